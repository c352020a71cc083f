//! The fuzz program's generator: a seeded xorshift PRNG and, from it, the
//! operations of each block (TLB writes, TLBWR, probes, reads, ASID
//! changes, kernel- and user-mode loads and stores).
//!
//! Pure code, no CP0 and no memory access: the guest executes what this
//! returns (`super::run_op`), and xtask compiles this file too, so its
//! tests run on the host with `cargo test`.
//!
//! The generator keeps a model of the guest TLB (what each entry matches:
//! VPN2, PageMask, ASID, G) so that it never creates two entries matching
//! one address (the 24K would take a machine check; QEMU and the
//! hypervisor would each pick one): before an entry is written, every other
//! entry it overlaps is replaced by that index's *placeholder*, an invalid
//! 4 KiB entry at a VPN2 nothing else uses.
//!
//! Which addresses are used (both maps must treat them alike; the table is
//! in `docs/guests.md`):
//! - VPN2s from [`REGIONS`], each 128 KiB (a 64 KiB pair). Below
//!   0x40000000 a region is useg in user mode in both maps but guest
//!   KSEG0/KSEG1 in guest kernel mode, so only user-mode accesses go there;
//!   at 0x40000000–0x7FFFFFFF it is TLB-mapped in both modes of both maps
//!   (native kuseg, guest KSSEG/KSEG3) at the same address, so kernel-mode
//!   accesses go there too.
//! - Frames only in the data area [`DATA_BASE`]..+[`DATA_SIZE`] (physical,
//!   RAM in both maps), aligned to the page size.
//! - TLB entry 0 is the user-code page ([`USER_VA`], global, read-only),
//!   wired; the generator never writes it and no region overlaps it.
//! - A TLBWR either replaces entry 15 (Wired = 15), and accesses into
//!   what it replaced follow, or lands on placeholders (see
//!   [`Op::WriteRandom`]).
//! - User-mode stores never target the region at 0x00100000, which is the
//!   program itself in guest kernel mode (a hypervisor leaking its guest
//!   KSEG0 shadows into user mode would otherwise overwrite the program);
//!   user loads there are the probe for such a leak.

/// Marsaglia's xorshift32, seeded through a multiplier so that nearby
/// seeds diverge at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u32);

impl Rng {
    pub fn new(seed: u32) -> Self {
        let mixed = seed.wrapping_mul(0x9E37_79B9) ^ 0x5BD1_E995;
        let mut rng = Rng(if mixed == 0 { 1 } else { mixed });
        for _ in 0..4 {
            rng.next();
        }
        rng
    }

    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next()) * u64::from(n)) >> 32) as u32
    }

    /// True once in `n` times on average.
    pub fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// The data area (physical; RAM in both maps, nothing else there): every
/// frame the fuzz maps, 256 KiB aligned to 256 KiB.
pub const DATA_BASE: u32 = 0x0080_0000;
pub const DATA_SIZE: u32 = 0x0004_0000;

/// Where the user-code page is mapped (TLB entry 0, wired, global,
/// read-only; the odd half invalid).
pub const USER_VA: u32 = 0x0040_0000;
/// The TLB's size and the first entry the fuzz may write.
pub const TLB_ENTRIES: u32 = 16;
pub const FIRST_FREE: u32 = 1;
/// Placeholders: invalid 4 KiB entries, ASID 0, at `PLACEHOLDER_VA + i *
/// 0x2000` for entry `i`; no region or access comes near them.
pub const PLACEHOLDER_VA: u32 = 0x7F00_0000;

/// A 128 KiB range of VPN2s, and who may access it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub base: u32,
    /// Also accessed in kernel mode (0x40000000-0x7FFFFFFF only).
    pub kernel: bool,
    /// User-mode stores allowed.
    pub user_store: bool,
}

pub const REGION_SIZE: u32 = 0x2_0000;

const fn user(base: u32) -> Region {
    Region { base, kernel: false, user_store: true }
}

const fn both(base: u32) -> Region {
    Region { base, kernel: true, user_store: true }
}

/// What each region is in guest kernel mode is in the comments; natively
/// the low ones are plain kuseg.
pub const REGIONS: [Region; 13] = [
    user(0x0000_0000),                                              // guest KSEG0: guest-physical page 0
    Region { base: 0x0010_0000, kernel: false, user_store: false }, // guest KSEG0: the program
    user(0x003E_0000),                                              // just below the user-code page
    user(0x0042_0000),                                              // just above it
    user(0x0080_0000),                                              // guest KSEG0: the data area itself
    user(0x1FC0_0000),                                              // guest KSEG0: the ROM
    user(0x2000_0000),                                              // guest KSEG1: guest-physical 0, uncached
    user(0x3FFE_0000),                                              // guest KSEG1: the top of the ROM
    both(0x4000_0000),                                              // guest KSSEG
    both(0x4002_0000),
    both(0x5FFE_0000),
    both(0x6000_0000), // guest KSEG3
    both(0x7FFE_0000),
];

/// The ASIDs used, and the PageMask values (4 KiB, 16 KiB, 64 KiB pages).
pub const ASIDS: [u32; 4] = [0, 1, 2, 0xFE];
pub const PAGE_MASKS: [u32; 3] = [0, 0x6000, 0x1_E000];

/// EntryLo bits.
pub const LO_G: u32 = 1;
pub const LO_V: u32 = 2;
pub const LO_D: u32 = 4;
pub const LO_C_UNCACHED: u32 = 2 << 3;
pub const LO_C_CACHED: u32 = 3 << 3;

/// The registers TLBWI/TLBWR write and TLBR reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Entry {
    pub hi: u32,
    pub lo0: u32,
    pub lo1: u32,
    pub mask: u32,
}

impl Entry {
    /// Entry `index`'s placeholder: invalid, matching nothing the fuzz uses.
    pub const fn placeholder(index: u32) -> Entry {
        Entry { hi: PLACEHOLDER_VA + index * 0x2000, lo0: 0, lo1: 0, mask: 0 }
    }

    pub fn is_placeholder(&self, index: u32) -> bool {
        *self == Entry::placeholder(index)
    }

    /// G is the AND of both halves' G bits.
    pub fn global(&self) -> bool {
        self.lo0 & self.lo1 & LO_G != 0
    }

    pub fn vpn2(&self) -> u32 {
        self.hi & 0xFFFF_E000
    }

    pub fn asid(&self) -> u32 {
        self.hi & 0xFF
    }

    /// Bytes one half maps.
    pub fn page_size(&self) -> u32 {
        ((self.mask >> 1) | 0xFFF) + 1
    }

    /// Whether some address and ASID would match both entries.
    pub fn overlaps(&self, other: &Entry) -> bool {
        let ignored = self.mask | other.mask | 0x1FFF;
        (self.vpn2() ^ other.vpn2()) & !ignored == 0 && (self.global() || other.global() || self.asid() == other.asid())
    }

    /// Whether a lookup of `va` with `asid` matches this entry.
    #[cfg(test)]
    pub fn matches(&self, va: u32, asid: u32) -> bool {
        let ignored = self.mask | 0x1FFF;
        (va ^ self.vpn2()) & !ignored == 0 && (self.global() || self.asid() == asid)
    }
}

/// The user-code entry as the model sees it (its frame is the program's
/// user page, which only the runtime knows; G in both halves).
pub const USER_ENTRY_MODEL: Entry = Entry { hi: USER_VA, lo0: LO_G, lo1: LO_G, mask: 0 };

/// A load or store, with its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Lw,
    Lhu,
    Lbu,
    Sw,
    Sh,
    Sb,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Lw, Kind::Lhu, Kind::Lbu, Kind::Sw, Kind::Sh, Kind::Sb];

    pub fn size(self) -> u32 {
        match self {
            Kind::Lw | Kind::Sw => 4,
            Kind::Lhu | Kind::Sh => 2,
            Kind::Lbu | Kind::Sb => 1,
        }
    }

    pub fn is_store(self) -> bool {
        matches!(self, Kind::Sw | Kind::Sh | Kind::Sb)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Lw => "lw",
            Kind::Lhu => "lhu",
            Kind::Lbu => "lbu",
            Kind::Sw => "sw",
            Kind::Sh => "sh",
            Kind::Sb => "sb",
        }
    }
}

/// One operation of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// TLBWI of `entry` at `index`.
    Write { index: u32, entry: Entry },
    /// TLBWR of `entry` with Wired = `wired`. Random differs between the
    /// runs, so either `wired` is 15 (Random can only be 15: the TLBWR
    /// replaces entry 15, whatever it held) or entries `wired`..15 hold
    /// their placeholders, so wherever Random puts it the TLB means the
    /// same. The runtime then finds it (TLBP), moves it to entry 15 and
    /// sets Wired back to 1, so both runs go on from the same TLB.
    WriteRandom { wired: u32, entry: Entry },
    /// TLBP of `hi` (VPN2 | ASID).
    Probe { hi: u32 },
    /// TLBR of `index`.
    Read { index: u32 },
    /// EntryHi = `asid` (the current ASID).
    SetAsid { asid: u32 },
    /// A load or store at `va`, in user mode or kernel mode.
    Access { user: bool, kind: Kind, va: u32, value: u32 },
}

/// The generator: the PRNG, the TLB model and the current ASID.
#[derive(Clone, Debug)]
pub struct Gen {
    rng: Rng,
    tlb: [Entry; TLB_ENTRIES as usize],
    asid: u32,
}

impl Gen {
    /// Starts from the TLB the runtime sets up: the user-code entry at 0,
    /// placeholders elsewhere, ASID 0.
    pub fn new(seed: u32) -> Gen {
        let mut tlb = [Entry::default(); TLB_ENTRIES as usize];
        for (i, e) in tlb.iter_mut().enumerate() {
            *e = Entry::placeholder(i as u32);
        }
        tlb[0] = USER_ENTRY_MODEL;
        Gen { rng: Rng::new(seed), tlb, asid: 0 }
    }

    /// The model: what each TLB entry holds (entry 0's frame aside).
    #[cfg(test)]
    pub fn tlb(&self) -> &[Entry; TLB_ENTRIES as usize] {
        &self.tlb
    }

    /// Hands the operations of the next block to `emit`, in order.
    pub fn block(&mut self, emit: &mut impl FnMut(Op)) {
        let ops = 6 + self.rng.below(11);
        for _ in 0..ops {
            self.op(emit);
        }
    }

    fn op(&mut self, emit: &mut impl FnMut(Op)) {
        match self.rng.below(100) {
            0..=23 => {
                let index = FIRST_FREE + self.rng.below(TLB_ENTRIES - FIRST_FREE);
                let entry = self.random_entry();
                self.write(index, entry, emit);
            }
            24..=27 if self.rng.one_in(2) => {
                // Wired = 15: Random can only be 15, so TLBWR replaces
                // entry 15, whatever it holds; then touch what it replaced.
                let last = TLB_ENTRIES - 1;
                let entry = self.random_entry();
                let replaced = self.tlb[last as usize];
                self.evict_overlaps(&entry, last, emit);
                self.tlb[last as usize] = entry;
                emit(Op::WriteRandom { wired: last, entry });
                if !replaced.is_placeholder(last) {
                    for _ in 0..1 + self.rng.below(2) {
                        let user = self.rng.one_in(2);
                        self.access(user, Some(replaced), emit);
                    }
                }
            }
            24..=27 => {
                // Any Wired from 8: entries wired..15 become placeholders
                // first, so where Random puts the entry does not matter.
                let wired = 8 + self.rng.below(8);
                let entry = self.random_entry();
                for index in wired..TLB_ENTRIES {
                    if !self.tlb[index as usize].is_placeholder(index) {
                        self.write(index, Entry::placeholder(index), emit);
                    }
                }
                self.evict_overlaps(&entry, TLB_ENTRIES, emit);
                self.tlb[TLB_ENTRIES as usize - 1] = entry;
                emit(Op::WriteRandom { wired, entry });
            }
            28..=37 => {
                let hi = self.random_hi();
                emit(Op::Probe { hi });
            }
            38..=45 => {
                let index = FIRST_FREE + self.rng.below(TLB_ENTRIES - FIRST_FREE);
                emit(Op::Read { index });
            }
            46..=53 => {
                self.asid = self.rng.pick(&ASIDS);
                emit(Op::SetAsid { asid: self.asid });
            }
            54..=73 => self.access(false, None, emit),
            _ => self.access(true, None, emit),
        }
    }

    /// TLBWI of `entry` at `index`, after evicting what it overlaps.
    fn write(&mut self, index: u32, entry: Entry, emit: &mut impl FnMut(Op)) {
        self.evict_overlaps(&entry, index, emit);
        self.tlb[index as usize] = entry;
        emit(Op::Write { index, entry });
    }

    /// Replaces every entry but `keep` that overlaps `entry` by its
    /// placeholder.
    fn evict_overlaps(&mut self, entry: &Entry, keep: u32, emit: &mut impl FnMut(Op)) {
        for index in FIRST_FREE..TLB_ENTRIES {
            if index != keep && self.tlb[index as usize].overlaps(entry) {
                let placeholder = Entry::placeholder(index);
                self.tlb[index as usize] = placeholder;
                emit(Op::Write { index, entry: placeholder });
            }
        }
    }

    fn random_entry(&mut self) -> Entry {
        let region = self.rng.pick(&REGIONS);
        let mask = self.rng.pick(&PAGE_MASKS);
        let page = ((mask >> 1) | 0xFFF) + 1;
        let vpn2 = region.base + self.rng.below(REGION_SIZE / (2 * page)) * 2 * page;
        // Half the entries for the current ASID, so that accesses hit.
        let asid = if self.rng.one_in(2) { self.asid } else { self.rng.pick(&ASIDS) };
        let (g0, g1) = match self.rng.below(12) {
            0 | 1 => (LO_G, LO_G),
            2 => (LO_G, 0),
            3 => (0, LO_G),
            _ => (0, 0),
        };
        let lo0 = self.random_lo(page) | g0;
        let lo1 = self.random_lo(page) | g1;
        Entry { hi: vpn2 | asid, lo0, lo1, mask }
    }

    /// An EntryLo for a frame of the data area (aligned to `page`), valid
    /// three times in four, dirty half the time, mostly cacheable.
    fn random_lo(&mut self, page: u32) -> u32 {
        let frame = DATA_BASE + self.rng.below(DATA_SIZE / page) * page;
        let valid = if self.rng.below(4) != 0 { LO_V } else { 0 };
        let dirty = if self.rng.one_in(2) { LO_D } else { 0 };
        let cache = if self.rng.one_in(8) { LO_C_UNCACHED } else { LO_C_CACHED };
        ((frame >> 12) << 6) | cache | dirty | valid
    }

    /// A VPN2 | ASID to probe: half the time an entry's own VPN2.
    fn random_hi(&mut self) -> u32 {
        let asid = self.rng.pick(&ASIDS);
        if self.rng.one_in(2) {
            let index = FIRST_FREE + self.rng.below(TLB_ENTRIES - FIRST_FREE);
            return self.tlb[index as usize].vpn2() | asid;
        }
        let region = self.rng.pick(&REGIONS);
        (region.base + self.rng.below(REGION_SIZE / 0x2000) * 0x2000) | asid
    }

    /// A load or store: two times in three inside an entry's range (then,
    /// half the time, after switching to the entry's ASID, so most of
    /// those hit), else anywhere in a region; now and then misaligned, and
    /// in user mode now and then at a kernel address (address error).
    /// With `target`, inside that entry's range if the mode may go there.
    fn access(&mut self, user: bool, target: Option<Entry>, emit: &mut impl FnMut(Op)) {
        let kind = self.rng.pick(&Kind::ALL);
        let value = self.rng.next();
        let allowed = |r: &Region| if user { !kind.is_store() || r.user_store } else { r.kernel };
        let mut va = None;
        if target.is_some() || self.rng.below(3) != 0 {
            let tries = if target.is_some() { 1 } else { 4 };
            for _ in 0..tries {
                let e = match target {
                    Some(e) => e,
                    None => self.tlb[(FIRST_FREE + self.rng.below(TLB_ENTRIES - FIRST_FREE)) as usize],
                };
                let region = REGIONS.iter().find(|r| e.vpn2().wrapping_sub(r.base) < REGION_SIZE);
                if region.is_some_and(allowed) {
                    va = Some(e.vpn2() + self.rng.below(2 * e.page_size()));
                    if !e.global() && e.asid() != self.asid && self.rng.one_in(2) {
                        self.asid = e.asid();
                        emit(Op::SetAsid { asid: self.asid });
                    }
                    break;
                }
            }
        }
        let mut va = va.unwrap_or_else(|| loop {
            let region = self.rng.pick(&REGIONS);
            if allowed(&region) {
                break region.base + self.rng.below(REGION_SIZE);
            }
        });
        if user && self.rng.one_in(32) {
            va = 0x8000_0000 | self.rng.next();
        }
        va &= !(kind.size() - 1);
        if kind.size() > 1 && self.rng.one_in(24) {
            va |= 1 + self.rng.below(kind.size() - 1);
        }
        emit(Op::Access { user, kind, va, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(seed: u32, blocks: usize) -> Vec<Op> {
        let mut gen = Gen::new(seed);
        let mut out = Vec::new();
        for _ in 0..blocks {
            gen.block(&mut |op| out.push(op));
        }
        out
    }

    #[test]
    fn same_seed_same_program() {
        assert_eq!(ops(0x1405, 300), ops(0x1405, 300));
        assert_ne!(ops(0x1405, 20), ops(0x1406, 20));
        assert_ne!(Rng::new(0).next(), 0, "seed 0 still runs");
    }

    #[test]
    fn rng_stays_in_range() {
        let mut rng = Rng::new(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let n = rng.below(5);
            assert!(n < 5);
            seen[n as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    /// The invariants the guest's safety rests on, over a long history.
    #[test]
    fn tlb_model_never_overlaps_and_maps_only_the_data_area() {
        let mut gen = Gen::new(0x1405);
        let mut kinds = [0usize; 6];
        for _ in 0..3000 {
            let mut ops = Vec::new();
            gen.block(&mut |op| ops.push(op));
            for op in ops {
                match op {
                    Op::Write { index, entry } | Op::WriteRandom { wired: index, entry } => {
                        assert!((FIRST_FREE..TLB_ENTRIES).contains(&index), "{op:?}");
                        for lo in [entry.lo0, entry.lo1] {
                            let pa = (lo >> 6) << 12;
                            let in_area =
                                (DATA_BASE..DATA_BASE + DATA_SIZE).contains(&pa) && pa % entry.page_size() == 0;
                            assert!(in_area || entry.is_placeholder(index) && lo == 0, "{op:?}");
                        }
                        assert!(!entry.overlaps(&USER_ENTRY_MODEL), "{op:?}");
                        kinds[if matches!(op, Op::Write { .. }) { 0 } else { 1 }] += 1;
                    }
                    Op::Access { user, kind, va, .. } => {
                        let region = REGIONS.iter().find(|r| va.wrapping_sub(r.base) < REGION_SIZE);
                        if user {
                            assert!(region.is_some() || va >= 0x8000_0000, "{op:?}");
                            assert!(!kind.is_store() || region.is_none_or(|r| r.user_store), "{op:?}");
                        } else {
                            assert!(region.is_some_and(|r| r.kernel), "{op:?}");
                        }
                        kinds[if user { 2 } else { 3 }] += 1;
                    }
                    Op::Probe { .. } | Op::Read { .. } => kinds[4] += 1,
                    Op::SetAsid { asid } => {
                        assert!(ASIDS.contains(&asid));
                        kinds[5] += 1;
                    }
                }
            }
            let tlb = gen.tlb();
            for i in 0..TLB_ENTRIES as usize {
                for j in i + 1..TLB_ENTRIES as usize {
                    assert!(!tlb[i].overlaps(&tlb[j]), "entries {i} and {j} overlap: {:?} {:?}", tlb[i], tlb[j]);
                }
            }
            assert_eq!(tlb[0], USER_ENTRY_MODEL);
        }
        assert!(kinds.iter().all(|&n| n > 500), "every kind of operation is generated: {kinds:?}");
    }

    #[test]
    fn overlap_rules() {
        let e = |hi, mask, g| Entry { hi, lo0: g, lo1: g, mask };
        assert!(e(0x4000_0001, 0x1_E000, 0).overlaps(&e(0x4001_E001, 0, 0)), "a 4K pair inside a 64K pair");
        assert!(!e(0x4000_0001, 0x1_E000, 0).overlaps(&e(0x4001_E002, 0, 0)), "other ASID");
        assert!(e(0x4000_0001, 0x1_E000, LO_G).overlaps(&e(0x4001_E002, 0, 0)), "global");
        assert!(!e(0x4000_0001, 0x6000, 0).overlaps(&e(0x4000_8001, 0, 0)), "past a 16K pair");
        assert!(!Entry { hi: 0x4000_0000, lo0: LO_G, lo1: 0, mask: 0 }.global());
        assert!(e(0x4000_0001, 0x6000, 0).matches(0x4000_7FFF, 1));
        assert!(!e(0x4000_0001, 0x6000, 0).matches(0x4000_8000, 1));
    }
}
