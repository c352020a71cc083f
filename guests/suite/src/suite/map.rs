//! The address map this binary is linked for (`crate::MAP`; the table is
//! in `guest_rt::Map`). Every kernel address the suite uses comes from
//! here, so one source serves both maps.
use core::ops::Range;

/// The binary's map (`crate::MAP`, a `guest_rt::Map`): the guest map
/// moves every kernel segment down by 2 GiB.
pub const KSEG0: u32 = crate::MAP.kseg0();
pub const KSSEG: u32 = crate::MAP.ksseg();
pub const KSEG3: u32 = crate::MAP.kseg3();

/// In both maps an access at or above this address from user mode is an
/// address error.
pub const USER_LIMIT: u32 = 0x8000_0000;

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
