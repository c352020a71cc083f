//! The software TLB, with QEMU 7.2's rules for writing, probing and reading
//! entries (`r4k_fill_tlb`, `r4k_helper_tlbp`, `r4k_helper_tlbr`,
//! `r4k_map_address`).
//!
//! QEMU also keeps entries TLBWR replaced (`r4k_invalidate_tlb` with
//! `use_extra`): an entry that was global or had the current ASID goes on
//! matching after the write, behind the real entries, until a TLBWI that
//! changes its entry (anything but giving it more rights), a TLBR, or a
//! TLBP that misses the real entries but matches a kept one (that one and
//! those kept after it go) drops them; up to 128 entries in all. A program
//! can tell (an access through the replaced mapping hits instead of
//! refilling), so a guest that runs as on QEMU needs them: they are
//! [`Tlb::kept`].
use crate::view::EntryLo0;
use crate::{Cp0, ASID_MASK, ENTRYLO_MASK, TLB_ENTRIES};

/// How many replaced entries QEMU keeps at most (`MIPS_TLB_MAX` is 128,
/// the real entries included).
pub const KEPT_MAX: usize = 128 - TLB_ENTRIES;

/// EntryHi's VPN2 field (VA bits 31:13).
pub const VPN2_MASK: u32 = Cp0::ENTRYHI_VPN2;
/// The bits of a PageMask value that can be set (Mask, 28:13).
pub const PAGEMASK_MASK: u32 = Cp0::PAGEMASK_MASK;

/// One TLB entry: a pair of pages (even, odd) at one virtual page pair,
/// held as the register values TLBR gives back (16 bytes: QEMU's 128
/// entries are most of a guest's state), its fields read through the
/// spec's masks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlbEntry {
    /// EntryHi: VPN2 (VA bits 31:13, not masked by the page size) and
    /// ASID.
    hi: u32,
    /// PageMask as written (bits 28:13).
    mask: u32,
    /// EntryLo0 and EntryLo1, PFN bits below the page size cleared, G the
    /// entry's (both halves' G together) in both.
    lo: [u32; 2],
}
/// The CP0 values that describe a TLB entry, as TLBWI reads them and TLBR
/// writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlbRegs {
    pub entry_hi: u32,
    pub entry_lo0: u32,
    pub entry_lo1: u32,
    pub page_mask: u32,
}

/// Why a translation through the TLB failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbFault {
    /// No entry matches: the refill exception.
    Refill,
    /// The matching page is not valid.
    Invalid,
    /// A store to a page that is not dirty.
    Modified,
}

impl TlbEntry {
    /// The entry TLBWI/TLBWR write from these register values (the values
    /// are masked to what the registers can hold first).
    pub fn from_regs(regs: TlbRegs) -> TlbEntry {
        let mask = regs.page_mask & PAGEMASK_MASK;
        // PFN bits below the page size: PageMask's bits 28:13 as PFN bits
        // 15:0, in EntryLo's PFN field (25:6).
        let below_page = EntryLo0(0).with_pfn(mask >> 13).0;
        let (lo0, lo1) = (regs.entry_lo0 & ENTRYLO_MASK, regs.entry_lo1 & ENTRYLO_MASK);
        let g = lo0 & lo1 & Cp0::ENTRYLO0_G;
        let lo = [lo0, lo1].map(|l| (l & !below_page & !Cp0::ENTRYLO0_G) | g);
        TlbEntry { hi: regs.entry_hi & (VPN2_MASK | ASID_MASK), mask, lo }
    }

    /// The register values TLBR loads from this entry (G goes into both
    /// EntryLo registers).
    pub fn to_regs(&self) -> TlbRegs {
        TlbRegs { entry_hi: self.hi, entry_lo0: self.lo[0], entry_lo1: self.lo[1], page_mask: self.mask }
    }

    /// Virtual address of the page pair, bits 31:13 (not masked by the
    /// page size).
    pub fn vpn2(&self) -> u32 {
        self.hi & VPN2_MASK
    }

    pub fn asid(&self) -> u8 {
        (self.hi & ASID_MASK) as u8
    }

    /// PageMask as written (bits 28:13).
    pub fn page_mask(&self) -> u32 {
        self.mask
    }

    /// Global: the ASID is ignored.
    pub fn g(&self) -> bool {
        self.lo[0] & Cp0::ENTRYLO0_G != 0
    }

    fn lo(&self, page: usize) -> u32 {
        self.lo.get(page).copied().unwrap_or(0)
    }

    /// Page `page`'s (0 even, 1 odd) physical frame number (4 KiB units),
    /// the bits below the page size cleared.
    pub fn pfn(&self, page: usize) -> u32 {
        EntryLo0(self.lo(page)).pfn()
    }

    /// Page `page`'s cache attribute.
    pub fn c(&self, page: usize) -> u8 {
        EntryLo0(self.lo(page)).c() as u8
    }

    /// Page `page` is dirty (writable).
    pub fn d(&self, page: usize) -> bool {
        EntryLo0(self.lo(page)).d() != 0
    }

    /// Page `page` is valid.
    pub fn v(&self, page: usize) -> bool {
        EntryLo0(self.lo(page)).v() != 0
    }

    /// The address bits the entry compares (`~(PageMask | 0x1FFF)`).
    fn compare_mask(&self) -> u32 {
        !(self.mask | 0x1FFF)
    }

    /// Whether the entry maps `vaddr` (any VA bits, ASID in the low byte of
    /// `asid`).
    pub fn matches(&self, vaddr: u32, asid: u8) -> bool {
        let mask = self.compare_mask();
        (self.g() || self.asid() == asid) && (vaddr & mask) == (self.hi & mask)
    }
}

/// The software TLB of the profile's size, and the replaced entries QEMU
/// keeps (see the module documentation). Power-on contents are all zero; a
/// CPU reset does not clear the real entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlb {
    pub entries: [TlbEntry; TLB_ENTRIES],
    kept: [TlbEntry; KEPT_MAX],
    kept_len: usize,
    /// Kept entries were dropped since the last [`Tlb::take_dropped`].
    dropped: bool,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb { entries: [TlbEntry::default(); TLB_ENTRIES], kept: [TlbEntry::default(); KEPT_MAX], kept_len: 0, dropped: false }
    }
}

impl Tlb {
    /// Entry `index` modulo the TLB size.
    pub fn entry(&self, index: u32) -> TlbEntry {
        let i = index as usize % TLB_ENTRIES;
        self.entries.get(i).copied().unwrap_or_default()
    }

    /// Writes entry `index` modulo the TLB size.
    pub fn write(&mut self, index: u32, entry: TlbEntry) {
        let i = index as usize % TLB_ENTRIES;
        if let Some(slot) = self.entries.get_mut(i) {
            *slot = entry;
        }
    }

    /// TLBWI: writes entry `index` modulo the TLB size; unless the write
    /// only gives the same entry more rights, the kept entries go.
    pub fn write_indexed(&mut self, index: u32, entry: TlbEntry) {
        let old = self.entry(index);
        // A V or D bit the old entry had and the new one lacks.
        let rights = Cp0::ENTRYLO0_V | Cp0::ENTRYLO0_D;
        let less = (old.lo[0] & !entry.lo[0] | old.lo[1] & !entry.lo[1]) & rights != 0;
        if old.hi != entry.hi || old.g() != entry.g() || less {
            self.drop_kept(0);
        }
        self.write(index, entry);
    }

    /// TLBWR: writes entry `index` (Random); the entry it replaces is kept
    /// if it was global or had `asid` (EntryHi's now) and there is room.
    pub fn write_random(&mut self, index: u32, entry: TlbEntry, asid: u8) {
        let old = self.entry(index);
        if (old.g() || old.asid() == asid) && self.kept_len < KEPT_MAX {
            if let Some(slot) = self.kept.get_mut(self.kept_len) {
                *slot = old;
                self.kept_len += 1;
            }
        }
        self.write(index, entry);
    }

    /// All entries zero, none kept (the power-on state), in place.
    pub fn clear(&mut self) {
        self.entries = [TlbEntry::default(); TLB_ENTRIES];
        self.kept_len = 0;
        self.dropped = false;
    }

    /// TLBR's side effect: the kept entries go.
    pub fn drop_all_kept(&mut self) {
        self.drop_kept(0);
    }

    /// The kept entries, oldest first.
    pub fn kept(&self) -> &[TlbEntry] {
        self.kept.get(..self.kept_len).unwrap_or(&[])
    }

    /// Whether kept entries were dropped since the last call (a shadow of
    /// one may be stale).
    pub fn take_dropped(&mut self) -> bool {
        core::mem::take(&mut self.dropped)
    }

    fn drop_kept(&mut self, first: usize) {
        if first < self.kept_len {
            self.kept_len = first;
            self.dropped = true;
        }
    }

    /// TLBP: the first entry matching EntryHi's VPN2 and ASID. On a miss,
    /// the first kept entry that matches goes, with those kept after it.
    pub fn probe(&mut self, entry_hi: u32) -> Option<u32> {
        let asid = (entry_hi & ASID_MASK) as u8;
        let hit = self.entries.iter().position(|e| e.matches(entry_hi, asid)).map(|i| i as u32);
        if hit.is_none() {
            if let Some(first) = self.kept().iter().position(|e| e.matches(entry_hi, asid)) {
                self.drop_kept(first);
            }
        }
        hit
    }

    /// Translates `vaddr` with the first matching entry, the real ones
    /// before the kept ones: the physical address, or why it failed.
    pub fn translate(&self, vaddr: u32, asid: u8, store: bool) -> Result<u32, TlbFault> {
        let Some(entry) = self.entries.iter().chain(self.kept()).find(|e| e.matches(vaddr, asid)) else {
            return Err(TlbFault::Refill);
        };
        let offset_mask = (entry.mask | 0x1FFF) >> 1;
        let odd = usize::from(vaddr & (offset_mask + 1) != 0);
        if !entry.v(odd) {
            return Err(TlbFault::Invalid);
        }
        if store && !entry.d(odd) {
            return Err(TlbFault::Modified);
        }
        Ok((entry.pfn(odd) << 12) | (vaddr & offset_mask))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(entry_hi: u32, entry_lo0: u32, entry_lo1: u32, page_mask: u32) -> TlbRegs {
        TlbRegs { entry_hi, entry_lo0, entry_lo1, page_mask }
    }

    #[test]
    fn write_and_read_back() {
        let e = TlbEntry::from_regs(regs(0x1234_6042, 0x0000_1017, 0x0000_2007, 0));
        assert_eq!(e.vpn2(), 0x1234_6000);
        assert_eq!(e.asid(), 0x42);
        assert!(e.g(), "G is EntryLo0.G & EntryLo1.G");
        assert_eq!([e.pfn(0), e.pfn(1)], [0x40, 0x80]);
        assert_eq!([e.c(0), e.c(1)], [2, 0]);
        assert_eq!([e.d(0), e.d(1)], [true, true]);
        assert_eq!([e.v(0), e.v(1)], [true, true]);
        assert_eq!(e.to_regs(), regs(0x1234_6042, 0x0000_1017, 0x0000_2007, 0));
    }

    #[test]
    fn g_needs_both_halves_and_is_copied_into_both_on_read() {
        let e = TlbEntry::from_regs(regs(0, 0x1, 0x0, 0));
        assert!(!e.g());
        assert_eq!(e.to_regs().entry_lo0, 0);
        let e = TlbEntry::from_regs(regs(0, 0x1, 0x1, 0));
        assert_eq!((e.to_regs().entry_lo0, e.to_regs().entry_lo1), (1, 1));
    }

    #[test]
    fn vpn2_is_not_masked_but_pfn_is() {
        // 16 KiB pages: PageMask 0x6000 clears PFN bits 1:0.
        let e = TlbEntry::from_regs(regs(0x0000_E000, 0x0000_00FF << 6, 0xFFFF_FFFF, 0x6000));
        assert_eq!(e.vpn2(), 0x0000_E000);
        assert_eq!(e.pfn(0), 0xFC);
        assert_eq!(e.pfn(1), 0x000F_FFFC);
        assert_eq!(e.to_regs().entry_lo1, (0x000F_FFFC << 6) | 0x3E, "G is clear: EntryLo0.G was 0");
    }

    #[test]
    fn probe_first_match_wins_and_honours_asid_and_g() {
        let mut tlb = Tlb::default();
        // Entry 0 (all zero) matches VA 0 with ASID 0.
        assert_eq!(tlb.probe(0x0000_0000), Some(0));
        assert_eq!(tlb.probe(0x0000_0001), None);
        tlb.write(3, TlbEntry::from_regs(regs(0x4000_2005, 2, 2, 0)));
        tlb.write(5, TlbEntry::from_regs(regs(0x4000_2007, 3, 3, 0)));
        assert_eq!(tlb.probe(0x4000_2005), Some(3));
        assert_eq!(tlb.probe(0x4000_3FFF & 0xFFFF_E0FF | 0x07), Some(5));
        assert_eq!(tlb.probe(0x4000_2099), Some(5), "global entry matches any ASID");
        // Larger pages compare fewer bits.
        tlb.write(7, TlbEntry::from_regs(regs(0x0100_0000, 0, 0, 0x001F_E000)));
        assert_eq!(tlb.probe(0x011F_E000), Some(7));
    }

    #[test]
    fn index_wraps_modulo_size() {
        let mut tlb = Tlb::default();
        let e = TlbEntry::from_regs(regs(0x2000, 0, 0, 0));
        tlb.write(TLB_ENTRIES as u32 + 2, e);
        assert_eq!(tlb.entry(2), e);
        assert_eq!(tlb.entry(u32::MAX), tlb.entries[u32::MAX as usize % TLB_ENTRIES]);
    }

    #[test]
    fn translate_pages_and_faults() {
        let mut tlb = Tlb::default();
        tlb.write(0, TlbEntry::from_regs(regs(0x4000_0001, (0x100 << 6) | 0x6, (0x200 << 6) | 0x2, 0)));
        assert_eq!(tlb.translate(0x4000_0123, 1, true), Ok(0x0010_0123));
        assert_eq!(tlb.translate(0x4000_1123, 1, false), Ok(0x0020_0123));
        assert_eq!(tlb.translate(0x4000_1123, 1, true), Err(TlbFault::Modified));
        assert_eq!(tlb.translate(0x4000_0123, 2, false), Err(TlbFault::Refill));
        tlb.write(1, TlbEntry::from_regs(regs(0x5000_0002, 0, 0, 0)));
        assert_eq!(tlb.translate(0x5000_0000, 2, false), Err(TlbFault::Invalid));
        // 16 KiB pages: the odd page starts at +16 KiB.
        tlb.write(2, TlbEntry::from_regs(regs(0x6000_0003, (0x104 << 6) | 2, (0x208 << 6) | 2, 0x6000)));
        assert_eq!(tlb.translate(0x6000_3FFC, 3, false), Ok(0x0010_7FFC));
        assert_eq!(tlb.translate(0x6000_4000, 3, false), Ok(0x0020_8000));
    }

    /// QEMU keeps what TLBWR replaces while it was global or had the
    /// current ASID: it still translates, behind the real entries, until a
    /// TLBWI that changes an entry, a TLBR or a TLBP that misses the real
    /// entries but matches a kept one.
    #[test]
    fn replaced_entries_are_kept_as_qemu_keeps_them() {
        let pair = |hi: u32, lo: u32| TlbEntry::from_regs(regs(hi, lo, lo, 0));
        let mut tlb = Tlb::default();
        tlb.write(3, pair(0x0040_2005, (0x100 << 6) | 0x6));
        // Another ASID's entry is not kept; the current one's is.
        tlb.write(4, pair(0x0050_2007, (0x200 << 6) | 0x6));
        tlb.write_random(4, pair(0x0060_0005, 0), 5);
        assert!(tlb.kept().is_empty());
        tlb.write_random(3, pair(0x0070_0005, 0), 5);
        assert_eq!(tlb.kept().len(), 1);
        assert_eq!(tlb.translate(0x0040_2010, 5, false), Ok(0x0010_0010));
        // A real entry comes first.
        tlb.write(6, pair(0x0040_2005, (0x300 << 6) | 0x6));
        assert_eq!(tlb.translate(0x0040_2010, 5, false), Ok(0x0030_0010));
        tlb.write(6, TlbEntry::default());
        // A TLBP hit keeps them; a miss matching none keeps them too.
        assert_eq!(tlb.probe(0x0070_0005), Some(3));
        assert_eq!(tlb.probe(0x0090_0005), None);
        assert_eq!((tlb.kept().len(), tlb.take_dropped()), (1, false));
        // A miss that matches a kept entry drops it (and those after it).
        assert_eq!(tlb.probe(0x0040_2005), None);
        assert_eq!((tlb.kept().len(), tlb.take_dropped()), (0, true));
        assert_eq!(tlb.translate(0x0040_2010, 5, false), Err(TlbFault::Refill));
        // A TLBWI only giving an entry more rights keeps them; any other drops them.
        tlb.write(3, pair(0x0040_2005, (0x100 << 6) | 0x2));
        tlb.write_random(3, pair(0x0070_0005, 0), 5);
        let more = pair(0x0070_0005, 0x6);
        tlb.write_indexed(3, more);
        assert_eq!(tlb.kept().len(), 1);
        tlb.write_indexed(3, pair(0x0080_0005, 0x6));
        assert!(tlb.kept().is_empty());
        // TLBR drops them; at most KEPT_MAX are kept.
        for i in 0..KEPT_MAX as u32 + 5 {
            tlb.write(1, pair((0x0100_0000 + (i << 13)) | 5, 0x6));
            tlb.write_random(1, TlbEntry::default(), 5);
        }
        assert_eq!(tlb.kept().len(), KEPT_MAX);
        tlb.drop_all_kept();
        assert!(tlb.kept().is_empty() && tlb.take_dropped());
    }
}
