//! CP0 access: `mfc0!(rd, sel)` / `mtc0!(rd, sel, value)` for any register,
//! named accessors for the common ones, and Status/Cause bits.
//!
//! Safety, for every accessor here: a CP0 access touches no memory Rust
//! knows. A write can change the mode, the interrupt mask, the TLB or
//! EBase, but by the runtime's contract (crate docs) the program runs in
//! kernel mode from (guest) KSEG0, which no CP0 write can unmap, and its
//! vectors preserve every register but k0/k1, so an interrupt or exception
//! a write lets in is invisible to Rust code.
use core::arch::asm;

/// Reads CP0 register `(RD, SEL)`.
#[inline(always)]
pub fn read<const RD: u32, const SEL: u32>() -> u32 {
    let value: u32;
    // SAFETY: mfc0 copies a CP0 register into a GPR; it touches no memory
    // (reading Random only advances QEMU's LCG).
    unsafe {
        asm!(
            ".set push",
            ".set noat",
            "mfc0 {v}, ${rd}, {sel}",
            ".set pop",
            v = out(reg) value,
            rd = const RD,
            sel = const SEL,
            options(nostack)
        )
    };
    value
}

/// Writes CP0 register `(RD, SEL)`, then clears the execution hazard.
#[inline(always)]
pub fn write<const RD: u32, const SEL: u32>(value: u32) {
    // SAFETY: see the module docs: the runtime's contract makes any CP0
    // write harmless to Rust code; mtc0 and ehb touch no memory.
    unsafe {
        asm!(
            ".set push",
            ".set noat",
            "mtc0 {v}, ${rd}, {sel}",
            "ehb",
            ".set pop",
            v = in(reg) value,
            rd = const RD,
            sel = const SEL,
            options(nostack)
        )
    };
}

/// Reads CP0 register `(rd, sel)`: `mfc0!(12, 0)` is Status.
#[macro_export]
macro_rules! mfc0 {
    ($rd:literal, $sel:literal) => {
        $crate::cp0::read::<$rd, $sel>()
    };
}

/// Writes CP0 register `(rd, sel)` and clears the hazard:
/// `mtc0!(11, 0, compare)`.
#[macro_export]
macro_rules! mtc0 {
    ($rd:literal, $sel:literal, $value:expr) => {
        $crate::cp0::write::<$rd, $sel>($value)
    };
}

/// Status bits.
pub const ST_IE: u32 = 1 << 0;
pub const ST_EXL: u32 = 1 << 1;
pub const ST_ERL: u32 = 1 << 2;
pub const ST_KSU_USER: u32 = 2 << 3;
/// Status.IM0..IM7: interrupt line n is enabled by `ST_IM0 << n`.
pub const ST_IM0: u32 = 1 << 8;
pub const ST_IM2: u32 = 1 << 10;
pub const ST_IM7: u32 = 1 << 15;
pub const ST_BEV: u32 = 1 << 22;
pub const ST_CU0: u32 = 1 << 28;
pub const ST_CU1: u32 = 1 << 29;
/// Cause bits.
pub const CAUSE_IV: u32 = 1 << 23;
/// Cause.IP0..IP7: interrupt line n is pending when `CAUSE_IP0 << n` is set.
pub const CAUSE_IP0: u32 = 1 << 8;
pub const CAUSE_IP2: u32 = 1 << 10;
pub const CAUSE_IP7: u32 = 1 << 15;
pub const CAUSE_TI: u32 = 1 << 30;
pub const CAUSE_BD: u32 = 1 << 31;

/// Cause.ExcCode (0 = interrupt).
pub const fn exc_code(cause: u32) -> u32 {
    (cause >> 2) & 0x1F
}

/// Count (9, 0).
#[inline(always)]
pub fn count() -> u32 {
    read::<9, 0>()
}

/// Compare (11, 0); writing it clears Cause.TI.
#[inline(always)]
pub fn set_compare(value: u32) {
    write::<11, 0>(value)
}

/// Status (12, 0).
#[inline(always)]
pub fn status() -> u32 {
    read::<12, 0>()
}

#[inline(always)]
pub fn set_status(value: u32) {
    write::<12, 0>(value)
}

/// Cause (13, 0).
#[inline(always)]
pub fn cause() -> u32 {
    read::<13, 0>()
}

/// EPC (14, 0).
#[inline(always)]
pub fn epc() -> u32 {
    read::<14, 0>()
}

/// BadVAddr (8, 0).
#[inline(always)]
pub fn badvaddr() -> u32 {
    read::<8, 0>()
}

/// `di`: clears Status.IE (then `ehb`).
#[inline(always)]
pub fn disable_interrupts() {
    // SAFETY: only Status.IE changes; no memory is touched.
    unsafe { asm!("di", "ehb", options(nostack)) };
}

/// `ei`: sets Status.IE (then `ehb`).
#[inline(always)]
pub fn enable_interrupts() {
    // SAFETY: only Status.IE changes; by the runtime's contract the
    // program's vectors make an interrupt invisible to Rust code.
    unsafe { asm!("ei", "ehb", options(nostack)) };
}
