//! What `execute` does with a word: QEMU 7.2's checks for the COP0 opcode
//! space (REFERENCE-24Kf.md §2.3) in front of the spec's decoder.
use isa_spec::{ControlFlow, Insn};

use crate::{memory, Cpu, Exception};

/// How the emulator handles one instruction word.
#[derive(Debug)]
pub(crate) enum Class {
    /// A branch or jump.
    Branch(ControlFlow),
    /// A privileged instruction the spec lists.
    Privileged(Insn),
    /// Accepted and does nothing (nop, ssnop, ehb; TLBINV/TLBINVF without
    /// Config4.IE; CACHE).
    Nop,
    /// Raises this exception without doing anything else.
    Raise(Exception),
    /// An SC without a matching LL reservation: rt = 0, nothing else.
    StoreConditionalFails { rt: u8 },
    /// Not handled by the emulator.
    NotEmulated,
}

const OP_COP0: u32 = 0x10;
const OP_CACHE: u32 = 0x2F;
const OP_SPECIAL3: u32 = 0x1F;
const FUNCT_RDHWR: u32 = 0x3B;

/// What QEMU makes of a COP0-opcode word before the spec's decoder sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cop0Word {
    /// Decode this word: the original with the bits QEMU ignores cleared.
    Canonical(u32),
    Nop,
    Reserved,
    NotEmulated,
}

fn cop0_word(word: u32) -> Cop0Word {
    let rs = (word >> 21) & 0x1F;
    match rs {
        // MFC0 / MTC0: sel is bits 2:0, bits 10:3 are ignored.
        0x00 | 0x04 => Cop0Word::Canonical(word & !0x0000_07F8),
        // RDPGPR / WRPGPR: bits 10:0 are ignored.
        0x0A | 0x0E => Cop0Word::Canonical(word & !0x0000_07FF),
        // MFMC0: only DI and EI, exactly.
        0x0B => match word & 0xFFFF {
            0x6000 | 0x6020 => Cop0Word::Canonical(word),
            _ => Cop0Word::Reserved,
        },
        // MFTR / MTTR: QEMU executes them although the 24Kf has no MT.
        0x08 | 0x0C => Cop0Word::NotEmulated,
        // CO: bits 24:21 must be 0, bits 20:6 are ignored, funct selects.
        0x10 => {
            let funct = word & 0x3F;
            match funct {
                0x01 | 0x02 | 0x06 | 0x08 | 0x1F | 0x20 => Cop0Word::Canonical(0x4200_0000 | funct),
                // ERET; bit 6 set is ERETNC, which needs Release 5.
                0x18 if word & 0x40 == 0 => Cop0Word::Canonical(0x4200_0018),
                // TLBINV / TLBINVF.
                0x03 | 0x04 => Cop0Word::Nop,
                _ => Cop0Word::Reserved,
            }
        }
        _ => Cop0Word::Reserved,
    }
}

/// `nop`, `ssnop` and `ehb`: no effect at all, so also emulated (a branch
/// with one of them in its delay slot is fully emulated).
const NOPS: [u32; 3] = [0x0000_0000, 0x0000_0040, 0x0000_00C0];

/// Classifies `word` for a CPU in state `cpu` (the mode decides CpU).
pub(crate) fn classify(cpu: &Cpu, word: u32) -> Class {
    if NOPS.contains(&word) {
        return Class::Nop;
    }
    let opcode = word >> 26;
    if opcode == OP_COP0 || opcode == OP_CACHE {
        if !cpu.cp0_usable() {
            return Class::Raise(Exception::coprocessor_unusable(0));
        }
        if opcode == OP_CACHE {
            return match isa_spec::decode(word) {
                Ok(insn) if Cpu::emulates(&insn) => Class::Privileged(insn),
                _ => Class::Nop,
            };
        }
        return match cop0_word(word) {
            Cop0Word::Canonical(canonical) => match isa_spec::decode(canonical) {
                Ok(insn) if Cpu::emulates(&insn) => Class::Privileged(insn),
                _ => Class::Raise(Exception::reserved_instruction()),
            },
            Cop0Word::Nop => Class::Nop,
            Cop0Word::Reserved => Class::Raise(Exception::reserved_instruction()),
            Cop0Word::NotEmulated => Class::NotEmulated,
        };
    }
    if opcode == OP_SPECIAL3 && word & 0x3F == FUNCT_RDHWR {
        // QEMU: rs and bits 10:9 are ignored; a nonzero sel (bits 8:6)
        // needs Release 6.
        if word & 0x0000_01C0 != 0 {
            return Class::Raise(Exception::reserved_instruction());
        }
        return match isa_spec::decode(word & !0x03E0_0600) {
            Ok(insn) if Cpu::emulates(&insn) => Class::Privileged(insn),
            _ => Class::Raise(Exception::reserved_instruction()),
        };
    }
    // Coprocessor checks QEMU makes before it decodes any further.
    if is_fpu(word) && cpu.cp0.status_cu1() == 0 {
        return Class::Raise(Exception::coprocessor_unusable(1));
    }
    if matches!(opcode, 0x32 | 0x36 | 0x3A | 0x3E) {
        // lwc2, ldc2, swc2, sdc2: the 24Kf has no COP2.
        return Class::Raise(Exception::coprocessor_unusable(2));
    }
    match isa_spec::decode(word) {
        Ok(insn) => {
            if let Some(flow) = insn.control_flow() {
                Class::Branch(flow)
            } else if Cpu::emulates(&insn) {
                Class::Privileged(insn)
            } else if let Some(access) = insn.mem_access() {
                memory::classify(cpu, access)
            } else {
                Class::NotEmulated
            }
        }
        // A word the 24Kf does not execute.
        Err(_) => Class::Raise(Exception::reserved_instruction()),
    }
}

/// The FPU's opcode space: COP1, COP1X, lwc1/ldc1/swc1/sdc1 and MOVCI
/// (movf/movt). QEMU checks Status.CU1 before decoding any of it.
fn is_fpu(word: u32) -> bool {
    let opcode = word >> 26;
    matches!(opcode, 0x11 | 0x13 | 0x31 | 0x35 | 0x39 | 0x3D) || (opcode == 0 && word & 0x3F == 0x01)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cop0_canonical_forms() {
        // mfc0 $8, $12, 0 with junk in bits 10:3.
        assert_eq!(cop0_word(0x4008_67F8), Cop0Word::Canonical(0x4008_6000));
        assert_eq!(cop0_word(0x4088_6002), Cop0Word::Canonical(0x4088_6002));
        // tlbwi with junk in bits 20:6; with bit 21 set it is RI.
        assert_eq!(cop0_word(0x421F_FFC2), Cop0Word::Canonical(0x4200_0002));
        assert_eq!(cop0_word(0x4220_0002), Cop0Word::Reserved);
        assert_eq!(cop0_word(0x4200_0018), Cop0Word::Canonical(0x4200_0018));
        assert_eq!(cop0_word(0x4200_0058), Cop0Word::Reserved, "ERETNC");
        assert_eq!(cop0_word(0x4200_0003), Cop0Word::Nop);
        assert_eq!(cop0_word(0x4200_0005), Cop0Word::Reserved);
        assert_eq!(cop0_word(0x4168_6000), Cop0Word::Canonical(0x4168_6000), "di $8");
        assert_eq!(cop0_word(0x4168_6020), Cop0Word::Canonical(0x4168_6020), "ei $8");
        assert_eq!(cop0_word(0x4168_6001), Cop0Word::Reserved);
        assert_eq!(cop0_word(0x4160_0BC1), Cop0Word::Reserved, "dmt");
        assert_eq!(cop0_word(0x4040_0000), Cop0Word::Reserved, "mfhc0");
        assert_eq!(cop0_word(0x4020_0000), Cop0Word::Reserved, "dmfc0");
        assert_eq!(cop0_word(0x4100_0000), Cop0Word::NotEmulated, "mftr");
    }
}
