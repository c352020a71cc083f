//! The shadow TLB: how a guest's view of memory becomes host TLB entries.
//!
//! Each guest has two host ASIDs ([`shadow_asids`]): one for its kernel
//! view, one for its user view. A shadow is one host entry pair
//! ([`Shadow`]): for a VPN2 the guest touches, each 4 KiB half valid when
//! the guest's view maps it to the guest's RAM or ROM and dirty when the
//! view allows stores; in an unmapped segment of the kernel view, the
//! largest page pair that lies in that segment and in one RAM/ROM region
//! ([`Vcpu::shadow`]). Which host entries a guest TLB write or ASID change
//! drops is [`flush_matches`]; `arch::mips::tlb` only reads, writes and
//! invalidates entries. Nothing here touches the hardware, so all of it is
//! tested on the host.
use super::{GuestMemory, HostPhys, Vcpu};
use emulator::addrmap::{Access, Reach};
use emulator::Cp0;

/// A host TLB entry pair for a shadow mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shadow {
    /// VPN2 | host ASID.
    pub entry_hi: u32,
    pub entry_lo: [u32; 2],
    /// The host PageMask: 0 for a pair of 4 KiB pages; larger pages only
    /// for an unmapped segment ([`Vcpu::shadow`]).
    pub page_mask: u32,
}

impl Shadow {
    /// The virtual range `[start, end)` the pair covers.
    pub fn range(&self) -> (u32, u64) {
        let start = self.entry_hi & !0x1FFF;
        (start, u64::from(start) + 2 * page_bytes(self.page_mask))
    }
}

/// The bytes of one page of a pair with `page_mask`.
pub const fn page_bytes(page_mask: u32) -> u64 {
    // The mask with the pair's offset bits set is one less than the pair.
    ((page_mask | 0x1FFF) as u64 + 1) >> 1
}

/// A shadow half's EntryLo (the spec's fields): host frame `pa`, cacheable
/// (C = 3), valid, dirty when `dirty`; G = 0, so the ASID matters.
fn shadow_lo(pa: u32, dirty: bool) -> u32 {
    emulator::view::EntryLo0(0).with_pfn(pa >> 12).with_c(3).with_d(u32::from(dirty)).with_v(1).0
}

/// The page sizes a shadow of an unmapped segment may use, largest first
/// (24Kf sizes; 1 MiB pages: a pair covers 2 MiB of a kernel's KSEG0).
const DIRECT_PAGE_MASKS: [u32; 4] = [0x001F_E000, 0x0007_E000, 0x0001_E000, 0x0000_6000];

/// The host ASIDs a guest's shadows use: one for its kernel view, one for
/// its user view. ASID 0 is the hypervisor's (it runs unmapped).
pub fn shadow_asids(guest_index: usize) -> [u8; 2] {
    let base = 2 + 2 * (guest_index as u8 & 0x3F);
    [base, base + 1]
}

/// The virtual range `[start, end)` a guest TLB entry maps.
pub fn entry_range(entry: &emulator::TlbEntry) -> (u32, u64) {
    let size = u64::from(entry.page_mask() | 0x1FFF) + 1;
    let start = entry.vpn2() & !(entry.page_mask() | 0x1FFF);
    (start, u64::from(start) + size)
}

/// Whether a host entry (`entry_hi`, `page_mask`, as TLBR reads them) is
/// one of these host ASIDs' and its pages, of its own size, overlap
/// `[start, end)`: the entries a guest TLB write over that range drops.
#[inline]
pub fn flush_matches(entry_hi: u32, page_mask: u32, asids: [u8; 2], start: u32, end: u64) -> bool {
    let pair = u64::from(page_mask | 0x1FFF) + 1;
    let first = u64::from(entry_hi) & !(pair - 1);
    let asid = (entry_hi & Cp0::ENTRYHI_ASID) as u8;
    asids.contains(&asid) && emulator::addrmap::ranges_overlap(start, end.saturating_sub(u64::from(start)), first as u32, pair)
}

impl Vcpu {
    /// The shadow pair for the VPN2 of `va` in the current guest mode: each
    /// 4 KiB half valid when the guest view maps it to this guest's RAM or
    /// ROM, dirty when the guest view allows stores there.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn shadow(&self, va: u32, memory: &GuestMemory) -> Shadow {
        if let Some(large) = self.direct_shadow(va, memory) {
            return large;
        }
        let even = va & !0x1FFF;
        let mut entry_lo = [0u32; 2];
        for (half, lo) in entry_lo.iter_mut().enumerate() {
            let page = even + half as u32 * 0x1000;
            let Ok(gpa) = self.guest_translate(page, Access::Load) else { continue };
            let Some(HostPhys(pa)) = memory.host_phys(gpa) else { continue };
            let dirty = self.guest_translate(page, Access::Store).is_ok() && !self.paravirt_read_only(page);
            *lo = shadow_lo(pa, dirty);
        }
        Shadow { entry_hi: even | u32::from(self.host_asid()), entry_lo, page_mask: 0 }
    }

    /// A shadow of large pages for `va` in an unmapped segment of the
    /// current mode (its translation does not depend on the guest's TLB):
    /// the largest of [`DIRECT_PAGE_MASKS`] whose pair lies in that one
    /// segment and, guest-physically, in one of the guest's RAM or ROM
    /// regions, its host frames aligned to the page size. Both halves are
    /// then valid and writable, and map exactly what the 4 KiB shadows of
    /// each of their pages would. `None`: no such size (the caller makes a
    /// 4 KiB pair).
    fn direct_shadow(&self, va: u32, memory: &GuestMemory) -> Option<Shadow> {
        let segment = self.map().segment(va)?;
        let reach = if self.cpu.kernel_mode() { segment.kernel } else { segment.user };
        let Reach::Direct { phys, .. } = reach else { return None };
        if segment.start >= emulator::addrmap::GUEST_LIMIT {
            return None; // emulated access by access, never mapped
        }
        DIRECT_PAGE_MASKS.iter().find_map(|&page_mask| {
            let pair = 2 * page_bytes(page_mask);
            let start = u64::from(va) & !(pair - 1);
            let inside = start >= u64::from(segment.start) && start + pair - 1 <= u64::from(segment.last);
            let gpa = (start - u64::from(segment.start)) as u32 + phys;
            // The paravirtual page has a 4 KiB shadow of its own.
            let paravirt = self.cpu.kernel_mode() && self.paravirt.is_some_and(|pv| (start..start + pair).contains(&u64::from(pv.page)));
            let HostPhys(pa) = memory.host_range(gpa, pair as u32).filter(|_| inside && !paravirt)?;
            let half = page_bytes(page_mask) as u32;
            (pa % half == 0).then(|| Shadow {
                entry_hi: start as u32 | u32::from(self.host_asid()),
                entry_lo: [shadow_lo(pa, true), shadow_lo(pa + half, true)],
                page_mask,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_match_by_asid_and_by_the_entrys_own_size() {
        let asids = shadow_asids(0);
        // A 4 KiB pair at 0x0040_2000 of the kernel view.
        let hi = 0x0040_2000 | u32::from(asids[0]);
        assert!(flush_matches(hi, 0, asids, 0x0040_2000, 0x0040_4000));
        assert!(flush_matches(hi, 0, asids, 0x0040_3000, 0x0040_3001), "any byte of the pair");
        assert!(!flush_matches(hi, 0, asids, 0x0040_4000, 0x0040_6000), "the next pair");
        assert!(!flush_matches(hi, 0, shadow_asids(1), 0x0040_2000, 0x0040_4000), "another guest's");
        // A 1 MiB-page pair covers 2 MiB from its aligned start.
        let large = 0x0020_0000 | u32::from(asids[1]);
        assert!(flush_matches(large, 0x001F_E000, asids, 0x003F_F000, 0x0040_0000));
        assert!(!flush_matches(large, 0x001F_E000, asids, 0x0040_0000, 0x0040_2000));
        // The whole address space, up to 2^32.
        assert!(flush_matches(0xFFFF_E000 | u32::from(asids[0]), 0, asids, 0, 1 << 32));
    }
}
