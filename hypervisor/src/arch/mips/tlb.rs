//! Host TLB initialization.

use super::cp0::mtc0;

/// First EntryHi used to park invalid entries: KSEG0 is unmapped, so an
/// entry there never matches a translated address.
const PARK_BASE: u32 = 0x8000_0000;
/// One VPN2 (an even/odd pair of 4 KiB pages).
const VPN2_STEP: u32 = 0x2000;

/// Invalidates all `entries` host TLB entries (each with a distinct,
/// never-matching VPN2, V=0) and sets Wired=0. Returns the count.
pub fn init(entries: u32) -> u32 {
    for index in 0..entries {
        write_invalid(index, PARK_BASE + index * VPN2_STEP);
    }
    // SAFETY: Wired=0 lets TLBWR use every entry; EntryHi ASID 0 is the
    // hypervisor's. No mapping the hypervisor uses is affected (it runs
    // from unmapped KSEG0/KSEG1).
    unsafe {
        mtc0!(6, 0, 0u32);
        mtc0!(10, 0, 0u32);
    }
    entries
}

fn write_invalid(index: u32, entry_hi: u32) {
    // SAFETY: writes one TLB entry with V=0 in both halves and a VPN2 in
    // unmapped KSEG0; the hypervisor runs unmapped, so its own accesses do
    // not change.
    unsafe {
        mtc0!(0, 0, index);
        mtc0!(10, 0, entry_hi);
        mtc0!(2, 0, 0u32);
        mtc0!(3, 0, 0u32);
        mtc0!(5, 0, 0u32);
        core::arch::asm!("tlbwi", "ehb", options(nostack, preserves_flags));
    }
}
