//! The exit fast path's policy: the trapped instructions the exception
//! vector finishes by itself (`arch::mips::fast_exit`), before any of the
//! full exit (the register save, `handle_exit`, the timer and interrupt
//! bookkeeping) runs.
//!
//! It takes a coprocessor-unusable exit (CE = 0, not in a delay slot, no
//! live LL reservation) whose word is
//! - `mfc0` of a register the CP0 spec marks `fast=r` or `fast=rw`: the
//!   stored value;
//! - `mtc0` to a `fast=rw` register: the masked store; or to Status when
//!   only IE and IM change and that enables no pending interrupt;
//! - `di`, or `ei` when it enables no pending interrupt;
//! - `cache` (the emulator's is a no-op once CP0 is usable),
//! - `eret` from EXL (not ERL, not debug mode) to an aligned EPC when it
//!   enables no pending interrupt,
//!
//! with CP0 usable in the guest's mode; PC steps over the word (or, for
//! `eret`, goes to EPC). It also enters a syscall, break or trap exit in
//! the guest ([`reflect`]) when the guest is at EXL = 0, BEV = 0 and not
//! in debug mode. Anything else leaves everything as it was and the full
//! exit runs.
//!
//! [`CP0_FAST`] and [`CP0_FAST_MASK`] are the tables the assembly reads,
//! built from the spec; [`emulate`] is the same policy in Rust, which the
//! tests hold against the emulator's own execution.
use emulator::{Cp0, Cp0Reg, Cpu, ExcCode, ExceptionKind};
use isa_spec::fields::{RD, RT, SEL};
use isa_spec::patterns::{CACHE, DI, EI, ERET, MFC0, MTC0};

/// [`CP0_FAST`] flag: mfc0 may read the field.
pub const READ: u8 = 1 << 6;
/// [`CP0_FAST`] flag: mtc0 may store to the field (with its mask).
pub const WRITE: u8 = 1 << 7;
/// [`CP0_FAST`]: the field's index in `Cp0`, in words.
pub const INDEX: u8 = 0x3F;

/// Bits of `sel` in a key: `rd << KEY_SEL_BITS | sel` (`rd * 8 + sel`).
pub const KEY_SEL_BITS: u32 = SEL.width;
/// Keys: every `(rd, sel)`.
const KEYS: usize = 1 << (RD.width + SEL.width);

/// Status's `rd * 8 + sel`: its writes have their own rule.
pub const STATUS_KEY: u32 = key_of(Cp0Reg::STATUS);

/// Status bits whose change alone an mtc0 fast path may make.
pub const STATUS_FAST_BITS: u32 = Cp0::STATUS_IE | Cp0::STATUS_IM;

/// Per `rd * 8 + sel` of mfc0/mtc0: [`READ`], [`WRITE`] and the field's
/// word index ([`INDEX`]); 0 for the registers the fast path leaves alone.
pub static CP0_FAST: [u8; KEYS] = TABLES.0;

/// Per word index of a `Cp0` field: its register's write mask.
pub static CP0_FAST_MASK: [u32; 64] = TABLES.1;

// Every field's word index fits [`INDEX`].
const _: () = assert!(core::mem::size_of::<Cp0>() <= 4 * (INDEX as usize + 1));

const fn key_of(reg: Cp0Reg) -> u32 {
    (reg.rd as u32) << KEY_SEL_BITS | reg.sel as u32
}

/// `rd * 8 + sel` of an mfc0/mtc0 word (the spec's fields).
pub const fn key(word: u32) -> u32 {
    RD.get(word) << KEY_SEL_BITS | SEL.get(word)
}

/// [`CP0_FAST`] and [`CP0_FAST_MASK`], from one walk over every `(rd, sel)`.
const TABLES: ([u8; KEYS], [u32; 64]) = {
    let (mut table, mut masks) = ([0u8; KEYS], [0u32; 64]);
    let mut key = 0;
    while key < KEYS {
        let reg = Cp0Reg::new((key >> KEY_SEL_BITS) as u8, (key as u32 & SEL.mask()) as u8);
        if let Some(offset) = Cp0::offset(reg) {
            masks[offset / 4] = Cp0::write_mask(reg);
            let flags = if reg.fast_read() { READ } else { 0 } | if reg.fast_write() { WRITE } else { 0 };
            if flags != 0 {
                table[key] = flags | (offset / 4) as u8;
            }
        }
        key += 1;
    }
    (table, masks)
};

/// COP0 instructions run in the guest's mode: kernel mode by Status (KSU
/// = 0, EXL or ERL) or CU0. Debug mode counts as well for the emulator;
/// the fast path leaves that rare case to it.
pub const fn cp0_usable(status: u32) -> bool {
    status & Cp0::STATUS_KSU == 0 || status & (Cp0::STATUS_EXL | Cp0::STATUS_ERL) != 0 || status & Cp0::STATUS_CU0 != 0
}

/// Status after a fast write that stores `merged` (already masked) over
/// `old`, or `None`: bits besides IE and IM change, or it enables an
/// interrupt Cause shows pending ([`takes_interrupt`]).
pub const fn status_write(old: u32, merged: u32, cause: u32) -> Option<u32> {
    if (old ^ merged) & !STATUS_FAST_BITS != 0 {
        return None;
    }
    if takes_interrupt(merged, cause) {
        return None;
    }
    Some(merged)
}

/// Status enables an interrupt Cause shows pending: IE = 1 and Cause.IP
/// & IM (EXL and ERL are not looked at: the full exit decides those).
pub const fn takes_interrupt(status: u32, cause: u32) -> bool {
    status & Cp0::STATUS_IE != 0 && cause & status & Cp0::STATUS_IM != 0
}

/// The exceptions [`reflect`] enters in the guest: the host's exit has
/// the same ExcCode (and BD) as the guest's exception.
pub const REFLECTED: [(ExcCode, ExceptionKind); 3] =
    [(ExcCode::Sys, ExceptionKind::Syscall), (ExcCode::Bp, ExceptionKind::Breakpoint), (ExcCode::Tr, ExceptionKind::Trap)];

/// The fast path's entry of a host exception with Cause `cause` (its exit
/// at `cpu.pc`, word-aligned, no live LL reservation) in the guest: a
/// syscall, break or trap when the guest is at EXL = 0, BEV = 0, not in
/// debug mode. EPC, Cause.BD and ExcCode, Status.EXL, and PC = EBase +
/// 0x180; `false` (nothing changed) otherwise.
pub fn reflect(cpu: &mut Cpu, cause: u32) -> bool {
    let code = emulator::view::Cause(cause).exccode();
    if !REFLECTED.iter().any(|&(c, _)| c as u32 == code) {
        return false;
    }
    let status = cpu.cp0.status;
    if status & (Cp0::STATUS_EXL | Cp0::STATUS_BEV) != 0 || cpu.debug_mode {
        return false;
    }
    let taken = Cp0::CAUSE_BD | Cp0::CAUSE_EXCCODE;
    cpu.cp0.epc = cpu.pc;
    cpu.cp0.status = status | Cp0::STATUS_EXL;
    cpu.cp0.cause = (cpu.cp0.cause & !taken) | (cause & taken);
    cpu.pc = (cpu.cp0.ebase & !0xFFF).wrapping_add(0x180);
    true
}

/// What the fast path does with the trapped `word` at `cpu.pc` (the
/// conditions on the exit itself hold): `true` when it finished it (PC
/// after it), `false` when the full exit must run (nothing changed).
pub fn emulate(cpu: &mut Cpu, word: u32) -> bool {
    let status = cpu.cp0.status;
    if !cp0_usable(status) {
        return false;
    }
    if ERET.matches(word) {
        let epc = cpu.cp0.epc;
        if status & (Cp0::STATUS_EXL | Cp0::STATUS_ERL) != Cp0::STATUS_EXL || cpu.debug_mode || epc & 3 != 0 {
            return false;
        }
        let after = status & !Cp0::STATUS_EXL;
        if takes_interrupt(after, cpu.cp0.cause) {
            return false;
        }
        cpu.cp0.status = after;
        cpu.lladdr = 1;
        cpu.cp0.lladdr = 1;
        cpu.pc = epc;
        return true;
    }
    let rt = RT.get(word) as u8;
    let key = key(word);
    let entry = CP0_FAST[key as usize];
    let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
    if MFC0.matches(word) {
        match cpu.cp0.get(reg) {
            Some(value) if entry & READ != 0 => cpu.set_reg(rt, value),
            _ => return false,
        }
    } else if MTC0.matches(word) {
        let value = cpu.reg(rt);
        if key == STATUS_KEY {
            let mask = Cp0::write_mask(Cp0Reg::STATUS);
            let merged = status ^ ((value ^ status) & mask);
            let Some(new) = status_write(status, merged, cpu.cp0.cause) else { return false };
            cpu.cp0.status = new;
        } else {
            let Some(old) = cpu.cp0.get(reg) else { return false };
            if entry & WRITE == 0 {
                return false;
            }
            let mask = CP0_FAST_MASK[(entry & INDEX) as usize];
            cpu.cp0.set(reg, old ^ ((value ^ old) & mask));
        }
    } else if DI.matches(word) || EI.matches(word) {
        let merged = if DI.matches(word) { status & !Cp0::STATUS_IE } else { status | Cp0::STATUS_IE };
        let Some(new) = status_write(status, merged, cpu.cp0.cause) else { return false };
        cpu.cp0.status = new;
        cpu.set_reg(rt, status);
    } else if !CACHE.matches(word) {
        return false;
    }
    cpu.pc = cpu.pc.wrapping_add(4);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use emulator::{AddressMap, Exception, Outcome};

    #[test]
    fn the_tables_follow_the_spec() {
        for key in 0..256u32 {
            let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
            let entry = CP0_FAST[key as usize];
            assert_eq!(entry & READ != 0, reg.fast_read() && Cp0::offset(reg).is_some(), "{reg:?}");
            assert_eq!(entry & WRITE != 0, reg.fast_write(), "{reg:?}");
            if entry != 0 {
                let offset = Cp0::offset(reg).unwrap();
                assert_eq!(usize::from(entry & INDEX) * 4, offset, "{reg:?}");
                assert_eq!(CP0_FAST_MASK[offset / 4], Cp0::write_mask(reg), "{reg:?}");
            }
        }
        assert_eq!(STATUS_KEY, 12 * 8);
    }

    fn mfc0(rt: u32, key: u32) -> u32 {
        MFC0.value | rt << RT.shift | (key >> 3) << RD.shift | (key & 7) << SEL.shift
    }

    fn mtc0(rt: u32, key: u32) -> u32 {
        MTC0.value | rt << RT.shift | (key >> 3) << RD.shift | (key & 7) << SEL.shift
    }

    fn guest_kernel() -> Cpu {
        let mut cpu = Cpu::new(AddressMap::SHIFTED);
        cpu.pc = 0x1000;
        cpu.cp0.status = 0x1000_FF00; // CU0, IM all, kernel mode, IE off
        cpu
    }

    /// A small LCG for the random states (no dependencies).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 32) as u32
        }
    }

    #[test]
    fn whatever_it_takes_it_does_as_the_emulator_does() {
        let mut lcg = Lcg(16);
        let mut taken = 0;
        for round in 0..64 {
            let mut cpu = guest_kernel();
            for r in 1..32 {
                cpu.gpr[r] = lcg.next();
            }
            // Any mode and interrupt state, often with CP0 usable.
            let bits = Cp0::STATUS_KSU | Cp0::STATUS_EXL | Cp0::STATUS_ERL | Cp0::STATUS_CU0 | Cp0::STATUS_IE | Cp0::STATUS_IM;
            cpu.cp0.status = (cpu.cp0.status & !bits) | (lcg.next() & bits);
            cpu.cp0.cause = lcg.next() & Cp0::CAUSE_IP;
            cpu.debug_mode = round % 16 == 0;
            // The guest runs with no interrupt pending: the entry takes it.
            if cpu.interrupt_pending() {
                cpu.cp0.status &= !Cp0::STATUS_IE;
            }
            let mut words: Vec<u32> = Vec::new();
            for key in 0..256 {
                let rt = lcg.next() % 32;
                words.extend([mfc0(rt, key), mtc0(rt, key)]);
            }
            for rt in [0, 5, 26, 31] {
                words.extend([DI.value | rt << RT.shift, EI.value | rt << RT.shift]);
            }
            words.push(CACHE.value | lcg.next() & !CACHE.mask);
            words.push(ERET.value | lcg.next() & !ERET.mask);
            words.push(0x0000_0000); // nop: not the fast path's
            for word in words {
                let (mut fast, mut full) = (cpu.clone(), cpu.clone());
                if emulate(&mut fast, word) {
                    taken += 1;
                    assert_eq!(full.execute(word, None), Outcome::Continue, "{word:#010x}");
                    assert_eq!(fast, full, "{word:#010x}");
                } else {
                    assert_eq!(fast, cpu, "{word:#010x}: a refusal changes nothing");
                }
            }
        }
        assert!(taken > 5000, "{taken}");
    }

    #[test]
    fn a_reflected_exception_is_the_emulators_entry() {
        let mut lcg = Lcg(7);
        let mut taken = 0;
        for _ in 0..400 {
            let mut cpu = guest_kernel();
            cpu.pc = lcg.next() & !3;
            let bits = Cp0::STATUS_KSU | Cp0::STATUS_EXL | Cp0::STATUS_ERL | Cp0::STATUS_BEV;
            cpu.cp0.status = (cpu.cp0.status & !bits) | (lcg.next() & bits & lcg.next());
            cpu.cp0.cause = lcg.next() & Cp0::write_mask(Cp0Reg::CAUSE);
            cpu.cp0.ebase = 0x3000_0000 | (lcg.next() & 0x0FFF_F000);
            let code = [8, 9, 13, 11, 0, 2][lcg.next() as usize % 6];
            let bd = lcg.next() & 1 == 1;
            let cause = u32::from(bd) << 31 | code << 2;
            let mut fast = cpu.clone();
            if reflect(&mut fast, cause) {
                taken += 1;
                let kind = REFLECTED.iter().find(|&&(c, _)| c as u32 == code).unwrap().1;
                cpu.raise(Exception { in_delay_slot: bd, ..Exception::new(kind) });
                assert_eq!(fast, cpu, "{cause:#010x}");
            } else {
                assert_eq!(fast, cpu, "a refusal changes nothing");
            }
        }
        assert!(taken > 50, "{taken}");
    }

    #[test]
    fn what_it_takes_and_what_it_leaves() {
        let status = key_of(Cp0Reg::STATUS);
        let take = |cpu: &Cpu, word: u32| emulate(&mut cpu.clone(), word);
        let cpu = guest_kernel();
        assert!(take(&cpu, mfc0(2, status)));
        assert!(take(&cpu, mfc0(2, key_of(Cp0Reg::CAUSE))));
        assert!(take(&cpu, mfc0(2, key_of(Cp0Reg::EPC))));
        assert!(take(&cpu, mtc0(2, key_of(Cp0Reg::ENTRYLO0))));
        assert!(!take(&cpu, mfc0(2, key_of(Cp0Reg::COUNT))), "Count is brought up to date by the full exit");
        assert!(!take(&cpu, mfc0(2, key_of(Cp0Reg::RANDOM))), "a read hook");
        assert!(!take(&cpu, mtc0(2, key_of(Cp0Reg::COMPARE))), "a write hook");
        assert!(!take(&cpu, mtc0(2, key_of(Cp0Reg::ENTRYHI))), "the view");
        assert!(!take(&cpu, mtc0(2, key_of(Cp0Reg::CAUSE))), "software interrupts");
        assert!(take(&cpu, DI.value));
        assert!(take(&cpu, CACHE.value));
        let mut handler = guest_kernel();
        handler.cp0.status |= Cp0::STATUS_EXL;
        handler.cp0.epc = 0x2000;
        assert!(take(&handler, ERET.value));
        handler.cp0.epc = 0x2001;
        assert!(!take(&handler, ERET.value), "to MIPS16 code");
        handler.cp0.epc = 0x2000;
        handler.cp0.status |= Cp0::STATUS_ERL;
        assert!(!take(&handler, ERET.value), "from ERL");
        handler.cp0.status ^= Cp0::STATUS_ERL | Cp0::STATUS_IE;
        handler.cp0.cause = 0x400;
        assert!(!take(&handler, ERET.value), "into a pending interrupt");

        // mtc0 Status: IE and IM alone, unless that takes an interrupt.
        let with = |value: u32, cause: u32| {
            let mut cpu = guest_kernel();
            cpu.gpr[2] = value;
            cpu.cp0.cause = cause;
            emulate(&mut cpu, mtc0(2, status))
        };
        assert!(with(0x1000_FF01, 0));
        assert!(with(0x1000_0001, 0x400));
        assert!(!with(0x1000_FF01, 0x400), "IP2 pending and now enabled");
        assert!(with(0x1000_FF00, 0x400), "IE still off");
        assert!(!with(0x1000_FF02, 0), "EXL");
        assert!(!with(0x0000_FF00, 0), "CU0");
        let mut cpu = guest_kernel();
        cpu.cp0.cause = 0x400;
        assert!(!take(&cpu, EI.value), "ei with IP2 pending");

        // Guest user mode without CU0: the guest's CpU, from the full exit.
        let mut user = guest_kernel();
        user.cp0.status = 0x0000_FF10;
        assert!(!take(&user, mfc0(2, status)));
        assert!(!take(&user, CACHE.value));
    }
}
