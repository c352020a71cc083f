//! Host TLB primitives: park every entry, install a shadow, invalidate the
//! entries a change drops, read an entry back. Which entries those are is
//! the shadow policy's (`hypervisor::vm::vcpu::shadow`, host-tested).

use super::cp0::{mfc0, mtc0};
use emulator::Cp0;
use hypervisor::vm::vcpu::flush_matches;

/// First EntryHi used to park invalid entries: KSEG0 is unmapped, so an
/// entry there never matches a translated address.
const PARK_BASE: u32 = 0x8000_0000;
/// EntryHi's VPN2 and ASID (the spec's fields), VPN2 kept in the user
/// segment: a shadow never maps 0x80000000 up.
const USER_ENTRY_HI: u32 = (Cp0::ENTRYHI_VPN2 | Cp0::ENTRYHI_ASID) & !0x8000_0000;
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
        mtc0!(WIRED, 0u32);
        mtc0!(ENTRYHI, 0u32);
    }
    entries
}

fn write_invalid(index: u32, entry_hi: u32) {
    // SAFETY: writes one TLB entry with V=0 in both halves and a VPN2 in
    // unmapped KSEG0; the hypervisor runs unmapped, so its own accesses do
    // not change.
    unsafe {
        mtc0!(INDEX, index);
        mtc0!(ENTRYHI, entry_hi);
        mtc0!(ENTRYLO0, 0u32);
        mtc0!(ENTRYLO1, 0u32);
        mtc0!(PAGEMASK, 0u32);
        core::arch::asm!("tlbwi", "ehb", options(nostack, preserves_flags));
    }
}

/// Writes a shadow entry of pages `page_mask` (0: 4 KiB): over the entry
/// already holding its VPN2 and ASID (TLBP), else at a random one (TLBWR;
/// Wired is 0). The caller has invalidated any other entry of its ASID it
/// would overlap.
#[cfg_attr(target_os = "none", optimize(speed))]
pub fn install(entry_hi: u32, entry_lo: [u32; 2], page_mask: u32) {
    // SAFETY: the entry maps a user-segment range (below 0x80000000, the
    // caller's shadow policy) under a guest's host ASID, to frames inside
    // that guest's allocation; the hypervisor runs unmapped, so none of its
    // own accesses change. Index, EntryHi, PageMask and the EntryLos are
    // scratch.
    unsafe {
        mtc0!(ENTRYHI, entry_hi & USER_ENTRY_HI);
        mtc0!(PAGEMASK, page_mask & Cp0::PAGEMASK_MASK);
        mtc0!(ENTRYLO0, entry_lo[0]);
        mtc0!(ENTRYLO1, entry_lo[1]);
        core::arch::asm!("tlbp", "ehb", options(nostack, preserves_flags));
    }
    let index = super::cp0::index();
    // SAFETY: as above; TLBWI replaces the matching entry, TLBWR any one.
    unsafe {
        if index & Cp0::INDEX_P == 0 {
            core::arch::asm!("tlbwi", "ehb", options(nostack, preserves_flags));
        } else {
            core::arch::asm!("tlbwr", "ehb", options(nostack, preserves_flags));
        }
    }
}

/// Invalidates every host TLB entry the shadow policy says a change of
/// `[start, end)` for these host ASIDs drops
/// ([`hypervisor::vm::vcpu::flush_matches`]).
#[cfg_attr(target_os = "none", optimize(speed))]
pub fn flush(entries: u32, asids: [u8; 2], start: u32, end: u64) {
    for index in 0..entries {
        // SAFETY: TLBR only loads EntryHi, EntryLo0/1 and PageMask.
        unsafe {
            mtc0!(INDEX, index);
            core::arch::asm!("tlbr", "ehb", options(nostack, preserves_flags));
        }
        if flush_matches(mfc0!(ENTRYHI), mfc0!(PAGEMASK), asids, start, end) {
            write_invalid(index, PARK_BASE + index * VPN2_STEP);
        }
    }
}

/// Sets the current host ASID (EntryHi.ASID, VPN2 0).
pub fn set_asid(asid: u8) {
    // SAFETY: the hypervisor runs unmapped; the ASID only selects which
    // guest shadows match in user mode.
    unsafe { mtc0!(ENTRYHI, u32::from(asid)) };
}

/// Host TLB entry `index` as TLBR reads it: EntryHi, EntryLo0/1, PageMask.
/// Leaves EntryHi changed (the caller sets the ASID before entering a guest).
pub fn read(index: u32) -> (u32, [u32; 2], u32) {
    // SAFETY: TLBR only loads EntryHi, EntryLo0/1 and PageMask; the
    // hypervisor runs unmapped, so none of its accesses change.
    unsafe {
        mtc0!(INDEX, index);
        core::arch::asm!("tlbr", "ehb", options(nostack, preserves_flags));
    }
    (mfc0!(ENTRYHI), [mfc0!(ENTRYLO0), mfc0!(ENTRYLO1)], mfc0!(PAGEMASK))
}
