//! The paravirtual mode's policy (a guest's `paravirt-page`, in the manner
//! of KVM's dynamic translation): trapped CP0 instructions are rewritten
//! in the guest's code into loads and stores of one page of its own RAM
//! that the guest gives up, so that later executions do not trap.
//!
//! The page (guest kernel VA = guest-physical address, below 0x8000, so
//! that `lw rt, offset($zero)` reaches all of it) holds a mirror of the
//! VCPU's CP0 registers: the words of its `Cp0`, at their offsets. The
//! world switch copies them there before each entry (`arch::mips::world`),
//! and the exit fast path mirrors every CP0 store it makes. Its Status word is the guest's too: the
//! rewritten code stores there, and the hypervisor takes that word back
//! at each exit as an `mtc0 Status` ([`Vcpu`](super::vcpu::Vcpu) does it).
//!
//! What is rewritten ([`rewrite`]), once the trapped instruction has been
//! emulated, when it ran in guest kernel mode outside a delay slot:
//! - `mfc0 rt, r` of a register the CP0 spec marks `fast=r`/`fast=rw`
//!   (its stored value is what mfc0 returns): `lw rt, page + offset($zero)`;
//! - `mtc0 rt, Status` that changed nothing but IE: `sw rt, page + S`;
//! - `di` (rt = 0): `sb $zero, page + S`; `di rt` followed by `ehb`:
//!   `lw rt, page + S; sb $zero, page + S`. In the states where the page
//!   is writable ([`writable`]) Status's low byte is IE alone, so that
//!   byte store is `di`; an exit between the two (the pair is `di`'s
//!   atomic read-and-clear) completes the store ([`complete_di`]);
//! - `cache`: `nop`.
//!
//! Every other trapped instruction keeps trapping (`ei`, `eret`, `mtc0` of
//! the other registers: their exit fast path is short).
//!
//! The page is mapped writable in the guest's kernel view only while a
//! store there may take effect at the next exit: the guest in kernel mode
//! by KSU (EXL = ERL = 0, not in debug mode) with no interrupt pending
//! that Status.IM lets through ([`writable`]). Otherwise it is mapped
//! read-only and a store there exits at once and is emulated exactly (a
//! `di` store as `di`, any other as the store followed by that `mtc0
//! Status`): so a guest that sets IE with an interrupt pending takes it
//! before its next instruction, as the hardware would. What a rewritten
//! `mtc0 Status` does to bits besides IE (the site's first write changed
//! only IE) takes effect at the next exit, an interrupt it unmasks in IM
//! included. Stores to the page's other words are lost at the next entry,
//! and the guest reads its code as rewritten.
use emulator::addrmap::{GuestMap, Reach};
use emulator::{Cp0, Cp0Reg, Cpu};
use isa_spec::fields::{BASE, OFFSET, RT, SA};
use isa_spec::patterns::{CACHE, DI, LW, MFC0, MTC0, SB, SLL, SW};
use isa_spec::Pattern;

use super::fast_exit::{key, STATUS_KEY};

/// Bytes of the page.
pub const PAGE_BYTES: u32 = 0x1000;
/// The page must lie below this (the reach of a positive 16-bit offset
/// from `$zero`).
pub const REACH: u32 = 0x8000;

/// Status's offset in the page (and in `Cp0`).
pub const STATUS_OFFSET: u32 = offset(Cp0Reg::STATUS);

const fn offset(reg: Cp0Reg) -> u32 {
    match Cp0::offset(reg) {
        Some(offset) => offset as u32,
        None => panic!("a CP0 register the spec lists"),
    }
}

/// How many distinct register fields `Cp0` has (a `view` register shares
/// another's).
const CP0_FIELDS: usize = {
    let (mut key, mut words) = (0, 0u128);
    while key < 256 {
        if let Some(offset) = Cp0::offset(Cp0Reg::new((key >> 3) as u8, (key & 7) as u8)) {
            words |= 1 << (offset / 4);
        }
        key += 1;
    }
    words.count_ones() as usize
};

// `Cp0` is one u32 per register and nothing else (the mirror is its
// words), it fits the page, and Status's low byte holds IE and the mode
// bits that are 0 whenever the page is writable.
const _: () = {
    assert!(core::mem::size_of::<Cp0>() == 4 * CP0_FIELDS);
    assert!(core::mem::size_of::<Cp0>() as u32 <= PAGE_BYTES);
    assert!((Cp0::STATUS_IE | Cp0::STATUS_EXL | Cp0::STATUS_ERL | Cp0::STATUS_KSU) & !0xFF == 0);
};

/// Whether a store to the page may wait for the next exit: guest kernel
/// mode by KSU (EXL = ERL = 0, not debug mode), where Status's low byte
/// is IE alone, and no interrupt pending in Cause.IP that Status.IM lets
/// through, so that no store setting IE can enable one unseen.
pub fn writable(cpu: &Cpu) -> bool {
    let status = cpu.cp0.status;
    let mode = status & (Cp0::STATUS_EXL | Cp0::STATUS_ERL | Cp0::STATUS_KSU) == 0 && !cpu.debug_mode;
    mode && cpu.cp0.cause & status & Cp0::CAUSE_IP == 0
}

/// `sb $zero, page + S($zero)`: the store a rewritten `di` makes.
pub fn di_store(page: u32) -> u32 {
    at_zero(SB, 0, page + STATUS_OFFSET)
}

/// `pattern` (a load or store) with `rt` and base `$zero` at `offset`:
/// the spec's fields, without the general encoder (`Insn::encode` would
/// bring every instruction's encoding into the image).
const fn at_zero(pattern: Pattern, rt: u8, offset: u32) -> u32 {
    pattern.value | RT.put(rt as u32) | BASE.put(0) | OFFSET.put(offset)
}

/// `nop` and `ehb`: `sll $zero, $zero, 0` and `, 3` (the spec's aliases).
const NOP: u32 = SLL.value;
const EHB: u32 = SLL.value | SA.put(3);

/// `di` as the rewritten store does it: Status.IE = 0.
pub fn complete_di(cpu: &mut Cpu) {
    cpu.cp0.status &= !Cp0::STATUS_IE;
    cpu.pc = cpu.pc.wrapping_add(4);
}

/// The words to write over a trapped instruction `word` (and, for a pair,
/// over `next`, the word after it) once it has been emulated, with the
/// page at `page`; `status_before`/`status_after` are Status around its
/// emulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rewrite {
    /// Leave the code alone.
    Keep,
    /// Replace the word.
    One(u32),
    /// Replace the word and the one after it.
    Two(u32, u32),
}

pub fn rewrite(word: u32, next: Option<u32>, page: u32, status_before: u32, status_after: u32) -> Rewrite {
    let rt = RT.get(word) as u8;
    let status = page + STATUS_OFFSET;
    if MFC0.matches(word) {
        let reg = Cp0Reg::new((key(word) >> 3) as u8, key(word) as u8);
        match Cp0::offset(reg) {
            Some(offset) if reg.fast_read() => Rewrite::One(at_zero(LW, rt, page + offset as u32)),
            _ => Rewrite::Keep,
        }
    } else if MTC0.matches(word) {
        if key(word) == STATUS_KEY && (status_before ^ status_after) & !Cp0::STATUS_IE == 0 {
            Rewrite::One(at_zero(SW, rt, status))
        } else {
            Rewrite::Keep
        }
    } else if DI.matches(word) {
        let clear = di_store(page);
        match next {
            _ if rt == 0 => Rewrite::One(clear),
            Some(EHB) => Rewrite::Two(at_zero(LW, rt, status), clear),
            _ => Rewrite::Keep,
        }
    } else if CACHE.matches(word) {
        Rewrite::One(NOP)
    } else {
        Rewrite::Keep
    }
}

/// Whether `page` can be a paravirtual page: page-aligned, within reach
/// of `$zero`.
pub const fn page_ok(page: u32) -> bool {
    page.is_multiple_of(PAGE_BYTES) && page + PAGE_BYTES <= REACH
}

/// Whether `page` can be a paravirtual page in `map`: [`page_ok`], and
/// the map's kernel mode reaches it unmapped at the same guest-physical
/// address (the page the guest gives up is where it is seen).
pub fn page_in_map(map: &GuestMap, page: u32) -> bool {
    let same = map.segment(page).is_some_and(|s| matches!(s.kernel, Reach::Direct { phys, .. } if phys + (page - s.start) == page));
    page_ok(page) && same
}

#[cfg(test)]
mod tests {
    use super::*;
    use emulator::AddressMap;
    use isa_spec::Insn;

    const PAGE: u32 = 0x7000;
    const T1: u8 = 9;

    fn cpu() -> Cpu {
        let mut cpu = Cpu::new(AddressMap::Guest(&emulator::addrmap::SHIFTED));
        cpu.cp0.status = 0;
        cpu
    }

    /// The loads a rewrite makes: `(rt, offset)` of `lw rt, offset($zero)`.
    fn load(word: u32) -> Option<(u8, u32)> {
        match isa_spec::decode(word).ok()? {
            Insn::Lw { rt, offset, base: 0 } => Some((rt, offset as u32)),
            _ => None,
        }
    }

    #[test]
    fn a_rewritten_mfc0_loads_what_mfc0_returns() {
        let mut cpu = cpu();
        // A distinct value in every register (masked as stored).
        for key in 0..256u32 {
            let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
            cpu.cp0.set(reg, 0x9E37_79B9u32.wrapping_mul(key + 1));
        }
        // The mirror: the words of `Cp0` at their offsets.
        let mut page = [0u32; 1024];
        for key in 0..256u32 {
            let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
            if let (Some(offset), Some(value)) = (Cp0::offset(reg), cpu.cp0.get(reg)) {
                page[offset / 4] = value;
            }
        }
        let mut rewritten = 0;
        for key in 0..256u32 {
            let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
            let word = Insn::Mfc0 { rt: T1, rd: reg.rd, sel: reg.sel }.encode();
            match rewrite(word, None, PAGE, 0, 0) {
                Rewrite::One(lw) => {
                    let (rt, offset) = load(lw).expect("a load from $zero");
                    assert_eq!(rt, T1);
                    assert!((PAGE..PAGE + PAGE_BYTES).contains(&offset), "{reg:?}");
                    let read = cpu.cp0_read(reg).expect("a register the spec lists");
                    assert_eq!(page[(offset - PAGE) as usize / 4], read, "{reg:?}");
                    assert!(reg.fast_read());
                    rewritten += 1;
                }
                Rewrite::Keep => assert!(!reg.fast_read() || Cp0::offset(reg).is_none(), "{reg:?} kept"),
                other => panic!("{reg:?}: {other:?}"),
            }
        }
        assert!(rewritten > 30, "{rewritten}");
        // Count, Random, LLAddr and Debug have read hooks or live state.
        for (rd, sel) in [(9, 0), (1, 0), (17, 0), (23, 0)] {
            let word = Insn::Mfc0 { rt: T1, rd, sel }.encode();
            assert_eq!(rewrite(word, None, PAGE, 0, 0), Rewrite::Keep, "({rd}, {sel})");
        }
    }

    #[test]
    fn status_writes_that_mask_interrupts_become_stores() {
        let mtc0 = |rd| Insn::Mtc0 { rt: T1, rd, sel: 0 }.encode();
        let store = Insn::Sw { rt: T1, offset: (PAGE + STATUS_OFFSET) as i16, base: 0 }.encode();
        let (ie, im, exl) = (Cp0::STATUS_IE, Cp0::STATUS_IM, Cp0::STATUS_EXL);
        assert_eq!(rewrite(mtc0(12), None, PAGE, im, ie | im), Rewrite::One(store));
        assert_eq!(rewrite(mtc0(12), None, PAGE, ie, ie), Rewrite::One(store));
        // An IM change may unmask a pending interrupt: it keeps trapping.
        assert_eq!(rewrite(mtc0(12), None, PAGE, 0, ie | im), Rewrite::Keep);
        assert_eq!(rewrite(mtc0(12), None, PAGE, 0, exl), Rewrite::Keep);
        assert_eq!(rewrite(mtc0(12), None, PAGE, 0, Cp0::STATUS_CU1), Rewrite::Keep);
        // Other registers' writes keep trapping (their fast path is short).
        assert_eq!(rewrite(mtc0(14), None, PAGE, 0, 0), Rewrite::Keep);
        assert_eq!(rewrite(mtc0(11), None, PAGE, 0, 0), Rewrite::Keep);
    }

    #[test]
    fn di_becomes_a_byte_store_and_di_rt_ehb_a_pair() {
        let ehb = Insn::Sll { rd: 0, rt: 0, sa: 3 }.encode();
        let nop = Insn::Sll { rd: 0, rt: 0, sa: 0 }.encode();
        let clear = di_store(PAGE);
        assert_eq!(isa_spec::decode(clear), Ok(Insn::Sb { rt: 0, offset: (PAGE + STATUS_OFFSET) as i16, base: 0 }));
        assert_eq!(rewrite(Insn::Di { rt: 0 }.encode(), None, PAGE, 1, 0), Rewrite::One(clear));
        let read = Insn::Lw { rt: T1, offset: (PAGE + STATUS_OFFSET) as i16, base: 0 }.encode();
        assert_eq!(rewrite(Insn::Di { rt: T1 }.encode(), Some(ehb), PAGE, 1, 0), Rewrite::Two(read, clear));
        assert_eq!(rewrite(Insn::Di { rt: T1 }.encode(), Some(nop), PAGE, 1, 0), Rewrite::Keep);
        assert_eq!(rewrite(Insn::Di { rt: T1 }.encode(), None, PAGE, 1, 0), Rewrite::Keep);
        // ei, eret, cache.
        assert_eq!(rewrite(Insn::Ei { rt: 0 }.encode(), None, PAGE, 0, 1), Rewrite::Keep);
        assert_eq!(rewrite(isa_spec::patterns::ERET.value, None, PAGE, 0, 0), Rewrite::Keep);
        let cache = Insn::Cache { op: 0x10, offset: 0, base: 4 }.encode();
        assert_eq!(rewrite(cache, None, PAGE, 0, 0), Rewrite::One(nop));
    }

    /// Wherever the page is writable, clearing Status's low byte (the
    /// rewritten `di`'s store) is `di`.
    #[test]
    fn the_byte_store_is_di_wherever_the_page_is_writable() {
        let mut cpu = cpu();
        let mut writable_seen = 0;
        for low in 0..=0xFFu32 {
            for high in [0, Cp0::STATUS_IM, Cp0::STATUS_CU0 | Cp0::STATUS_BEV] {
                cpu.cp0.status = 0;
                let _ = cpu.cp0_write(Cp0Reg::STATUS, high | low);
                let status = cpu.cp0.status;
                if writable(&cpu) {
                    writable_seen += 1;
                    assert_eq!(status & !0xFF, status & !Cp0::STATUS_IE, "{status:#x}");
                }
            }
        }
        assert!(writable_seen > 0);
        // Not in a mode where the byte holds more, nor with an interrupt pending.
        for status in [Cp0::STATUS_EXL, Cp0::STATUS_ERL, 2 << 3] {
            cpu.cp0.status = status;
            assert!(!writable(&cpu), "{status:#x}");
        }
        cpu.cp0.status = 0;
        assert!(writable(&cpu));
        // A pending interrupt IM masks leaves it writable; one IM lets
        // through does not.
        cpu.cp0.cause |= 1 << 10;
        assert!(writable(&cpu));
        cpu.cp0.status = 1 << 10;
        assert!(!writable(&cpu));
        cpu.cp0.status = 0;
        cpu.cp0.cause = 0;
        cpu.debug_mode = true;
        assert!(!writable(&cpu));
    }

    #[test]
    fn pages_must_be_aligned_and_within_reach() {
        assert!(page_ok(0x7000) && page_ok(0));
        assert!(!page_ok(0x7800) && !page_ok(0x8000) && !page_ok(0x10_0000));
    }
}
