//! The address map this binary is linked for. Every kernel address the
//! suite uses comes from here, so one source serves both maps:
//!
//! | segment      | native       | guest map    |
//! |--------------|--------------|--------------|
//! | KSEG0        | 0x80000000   | 0x00000000   |
//! | KSEG1        | 0xA0000000   | 0x20000000   |
//! | KSSEG        | 0xC0000000   | 0x40000000   |
//! | KSEG3        | 0xE0000000   | 0x60000000   |
//! | reset vector | 0xBFC00000   | 0x3FC00000 (guest.ld's `.reset`) |
use core::ops::Range;

/// The guest map moves every kernel segment down by 2 GiB.
pub const KSEG0: u32 = if crate::GUEST_MAP { 0x0000_0000 } else { 0x8000_0000 };
pub const KSEG1: u32 = KSEG0 + 0x2000_0000;
pub const KSSEG: u32 = KSEG0 + 0x4000_0000;
pub const KSEG3: u32 = KSEG0 + 0x6000_0000;

/// In both maps an access at or above this address from user mode is an
/// address error.
pub const USER_LIMIT: u32 = 0x8000_0000;

/// Devices, through (guest) KSEG1.
pub const UART: u32 = KSEG1 + 0x1800_03F8;
pub const SOFTWARE_RESET: u32 = KSEG1 + 0x1F00_0500;

/// Physical frames the TLB and user-mode cases may map and write (nothing
/// else lives there; guest RAM is at least 16 MiB).
pub const TEST_FRAMES: Range<u32> = 0x0040_0000..0x0100_0000;

/// The physical address of an address in (guest) KSEG0.
pub fn kseg0_to_phys(va: u32) -> u32 {
    va - KSEG0
}

/// Whether `va` is in the mapped kernel segments (KSSEG or KSEG3).
pub fn is_mapped_kernel(va: u32) -> bool {
    va.wrapping_sub(KSSEG) < 0x4000_0000
}
