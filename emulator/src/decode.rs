//! What `execute` does with a word: QEMU 7.2's checks for the coprocessor
//! opcode spaces (REFERENCE-24Kf.md §2.3) in front of the spec's decoder,
//! which knows the bits QEMU ignores (`-` in the spec) and the words it
//! refuses.
use isa_spec::{patterns, ControlFlow, Insn};

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

/// The primary opcode (bits 31:26) of a spec pattern whose opcode is fixed.
const fn opcode(pattern: &isa_spec::Pattern) -> u32 {
    opcode_of(pattern.value)
}

/// `word`'s primary opcode (bits 31:26).
const fn opcode_of(word: u32) -> u32 {
    word >> 26
}

/// The COP0 opcode space and CACHE: QEMU checks CP0 access (CU0 or kernel
/// mode) for any word in them before it decodes further.
const OP_COP0: u32 = opcode(&patterns::MFC0);
const OP_CACHE: u32 = opcode(&patterns::CACHE);

/// The FPU's opcode space: COP1, COP1X and lwc1/ldc1/swc1/sdc1 by their
/// opcode, and MOVCI (movf/movt, which differ in the tf bit alone) by
/// opcode and function. QEMU checks Status.CU1 before decoding any of it.
const FPU_OPCODES: [u32; 6] = [
    opcode(&patterns::MFC1),
    opcode(&patterns::LWXC1),
    opcode(&patterns::LWC1),
    opcode(&patterns::LDC1),
    opcode(&patterns::SWC1),
    opcode(&patterns::SDC1),
];
const MOVCI_MASK: u32 = patterns::MOVF.mask & !(patterns::MOVF.value ^ patterns::MOVT.value);
const MOVCI: u32 = patterns::MOVF.value & MOVCI_MASK;

/// lwc2, ldc2, swc2, sdc2: the 24Kf has no COP2, and QEMU raises
/// Coprocessor Unusable for them.
const COP2_MEMORY_OPCODES: [u32; 4] =
    [opcode(&patterns::LWC2), opcode(&patterns::LDC2), opcode(&patterns::SWC2), opcode(&patterns::SDC2)];

/// Classifies `word` for a CPU in state `cpu` (the mode decides CpU).
pub(crate) fn classify(cpu: &Cpu, word: u32) -> Class {
    // nop, ssnop and ehb: no effect at all, so also emulated (a branch
    // with one of them in its delay slot is fully emulated).
    if isa_spec::is_no_effect_word(word) {
        return Class::Nop;
    }
    let opcode = opcode_of(word);
    if opcode == OP_COP0 || opcode == OP_CACHE {
        if !cpu.cp0_usable() {
            return Class::Raise(Exception::coprocessor_unusable(0));
        }
        // The spec's patterns give what QEMU ignores (MFC0's bits 10:3,
        // CO's 20:6) and what it refuses (ERETNC, MFMC0 other than di/ei,
        // CO with bits 24:21 set): `decode` answers both.
        return match isa_spec::decode(word) {
            Ok(insn) if Cpu::emulates(&insn) => Class::Privileged(insn),
            // A cache operation the emulator does not model does nothing.
            _ if opcode == OP_CACHE => Class::Nop,
            // Without Config4.IE, QEMU executes them as nops.
            Ok(Insn::Tlbinv | Insn::Tlbinvf) => Class::Nop,
            // QEMU executes them although the 24Kf has no MT ASE.
            Ok(Insn::Mftr { .. } | Insn::Mttr { .. }) => Class::NotEmulated,
            _ => Class::Raise(Exception::reserved_instruction()),
        };
    }
    // Coprocessor checks QEMU makes before it decodes any further.
    if is_fpu(word) && cpu.cp0.status_cu1() == 0 {
        return Class::Raise(Exception::coprocessor_unusable(1));
    }
    if COP2_MEMORY_OPCODES.contains(&opcode) {
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

/// Whether `word` is in the FPU's opcode space ([`FPU_OPCODES`], MOVCI).
fn is_fpu(word: u32) -> bool {
    FPU_OPCODES.contains(&opcode_of(word)) || word & MOVCI_MASK == MOVCI
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AddressMap;

    /// What `classify` makes of `word` in kernel mode, by name.
    fn class(word: u32) -> &'static str {
        match classify(&Cpu::new(AddressMap::Native), word) {
            Class::Privileged(insn) => insn.name(),
            Class::Nop => "nop",
            Class::Raise(_) => "RI",
            Class::NotEmulated => "not emulated",
            Class::Branch(_) | Class::StoreConditionalFails { .. } => "other",
        }
    }

    #[test]
    fn cop0_words_as_qemu_reads_them() {
        // mfc0 $8, $12, 0 with junk in bits 10:3 (the spec's `-` bits).
        assert_eq!(class(0x4008_67F8), "mfc0");
        assert_eq!(class(0x4088_6002), "mtc0");
        // tlbwi with junk in bits 20:6; with bit 21 set it is RI.
        assert_eq!(class(0x421F_FFC2), "tlbwi");
        assert_eq!(class(0x4220_0002), "RI");
        assert_eq!(class(0x4200_0018), "eret");
        assert_eq!(class(0x4200_0058), "RI", "ERETNC");
        assert_eq!(class(0x4200_0003), "nop", "tlbinv");
        assert_eq!(class(0x4200_0005), "RI");
        assert_eq!(class(0x4168_6000), "di", "di $8");
        assert_eq!(class(0x4168_6020), "ei", "ei $8");
        assert_eq!(class(0x4168_6001), "RI");
        assert_eq!(class(0x4160_0BC1), "RI", "dmt");
        assert_eq!(class(0x4040_0000), "RI", "mfhc0");
        assert_eq!(class(0x4020_0000), "RI", "dmfc0");
        assert_eq!(class(0x4100_0000), "not emulated", "mftr");
        // rdhwr $3, $29: rs and bits 10:9 ignored, a nonzero sel is RI.
        assert_eq!(class(0x7C03_E83B), "rdhwr");
        assert_eq!(class(0x7FE3_EE3B), "rdhwr");
        assert_eq!(class(0x7C03_E87B), "RI");
        // sll $0, $0, 0 with rs set (ignored) is still a nop.
        assert_eq!(class(0x0000_0000), "nop");
        assert_eq!(class(0x0020_0000), "nop");
        assert_eq!(class(0x0000_00C0), "nop", "ehb");
        // In user mode without CU0, every COP0 word is CpU first.
        let mut user = Cpu::new(AddressMap::Native);
        user.cp0.status = crate::view::Status(0).with_ksu(2).0;
        assert!(!user.cp0_usable());
        assert!(matches!(classify(&user, 0x4220_0002), Class::Raise(e) if e == Exception::coprocessor_unusable(0)));
    }
}
