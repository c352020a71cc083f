//! The architectural state a vector records, as a flat array of named
//! 32-bit fields, and the field names the vector files use.

/// GPR n is field n.
pub const HI: usize = 32;
pub const LO: usize = 33;
pub const PC: usize = 34;
/// CP0 register (rd, sel) is field `CP0 + rd * 8 + sel`.
pub const CP0: usize = 35;
/// TLB entry i is fields `TLB + i * 4 + {0: EntryHi, 1: EntryLo0, 2: EntryLo1, 3: PageMask}`,
/// as `tlbr` reads them back.
pub const TLB: usize = CP0 + 256;
/// QEMU's Random LCG (seed, previous index) as the host mirrors it.
pub const LCG_SEED: usize = TLB + 64;
pub const LCG_PREV: usize = LCG_SEED + 1;
pub const FIELDS: usize = LCG_PREV + 1;

pub const TLB_ENTRIES: usize = 16;

/// Names of the CP0 registers the 24Kf implements on QEMU 7.2 (others are
/// written `c0.RD.SEL`).
const CP0_NAMES: &[(u8, u8, &str)] = &[
    (0, 0, "Index"),
    (1, 0, "Random"),
    (2, 0, "EntryLo0"),
    (3, 0, "EntryLo1"),
    (4, 0, "Context"),
    (5, 0, "PageMask"),
    (5, 1, "PageGrain"),
    (6, 0, "Wired"),
    (7, 0, "HWREna"),
    (8, 0, "BadVAddr"),
    (9, 0, "Count"),
    (10, 0, "EntryHi"),
    (11, 0, "Compare"),
    (12, 0, "Status"),
    (12, 1, "IntCtl"),
    (12, 2, "SRSCtl"),
    (12, 3, "SRSMap"),
    (13, 0, "Cause"),
    (14, 0, "EPC"),
    (15, 0, "PRId"),
    (15, 1, "EBase"),
    (16, 0, "Config"),
    (16, 1, "Config1"),
    (16, 2, "Config2"),
    (16, 3, "Config3"),
    (17, 0, "LLAddr"),
    (23, 0, "Debug"),
    (24, 0, "DEPC"),
    (25, 0, "PerfCtl0"),
    (26, 0, "ErrCtl"),
    (27, 0, "CacheErr"),
    (30, 0, "ErrorEPC"),
    (31, 0, "DESAVE"),
];

pub const fn cp0(rd: u8, sel: u8) -> usize {
    CP0 + rd as usize * 8 + sel as usize
}

pub const STATUS: usize = cp0(12, 0);
pub const CAUSE: usize = cp0(13, 0);
pub const EPC: usize = cp0(14, 0);
pub const CONTEXT: usize = cp0(4, 0);
pub const ENTRYHI: usize = cp0(10, 0);
pub const BADVADDR: usize = cp0(8, 0);
pub const COUNT: usize = cp0(9, 0);
pub const RANDOM: usize = cp0(1, 0);
pub const WIRED: usize = cp0(6, 0);
pub const EBASE: usize = cp0(15, 1);

const TLB_PARTS: [&str; 4] = ["hi", "lo0", "lo1", "mask"];

/// The file name of field `i`: `r5`, `hi`, `pc`, `Status`, `c0.20.1`,
/// `tlb3.lo0`, `lcg.seed`.
pub fn field_name(i: usize) -> String {
    match i {
        0..32 => format!("r{i}"),
        HI => "hi".into(),
        LO => "lo".into(),
        PC => "pc".into(),
        CP0..TLB => {
            let (rd, sel) = (((i - CP0) / 8) as u8, ((i - CP0) % 8) as u8);
            match CP0_NAMES.iter().find(|n| n.0 == rd && n.1 == sel) {
                Some(n) => n.2.into(),
                None => format!("c0.{rd}.{sel}"),
            }
        }
        TLB..LCG_SEED => format!("tlb{}.{}", (i - TLB) / 4, TLB_PARTS[(i - TLB) % 4]),
        LCG_SEED => "lcg.seed".into(),
        LCG_PREV => "lcg.prev".into(),
        _ => format!("?{i}"),
    }
}

/// The inverse of [`field_name`].
pub fn field_index(name: &str) -> Option<usize> {
    if let Some(n) = name.strip_prefix('r') {
        if let Ok(n) = n.parse::<usize>() {
            return (n < 32).then_some(n);
        }
    }
    match name {
        "hi" => return Some(HI),
        "lo" => return Some(LO),
        "pc" => return Some(PC),
        "lcg.seed" => return Some(LCG_SEED),
        "lcg.prev" => return Some(LCG_PREV),
        _ => {}
    }
    if let Some(n) = CP0_NAMES.iter().find(|n| n.2 == name) {
        return Some(cp0(n.0, n.1));
    }
    if let Some(rest) = name.strip_prefix("c0.") {
        let (rd, sel) = rest.split_once('.')?;
        let (rd, sel): (u8, u8) = (rd.parse().ok()?, sel.parse().ok()?);
        return (rd < 32 && sel < 8).then(|| cp0(rd, sel));
    }
    if let Some(rest) = name.strip_prefix("tlb") {
        let (i, part) = rest.split_once('.')?;
        let i: usize = i.parse().ok()?;
        let p = TLB_PARTS.iter().position(|&x| x == part)?;
        return (i < TLB_ENTRIES).then_some(TLB + i * 4 + p);
    }
    None
}

/// One full architectural state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State(pub [u32; FIELDS]);

impl Default for State {
    fn default() -> Self {
        State([0; FIELDS])
    }
}

impl State {
    /// The fields where `self` and `other` differ, as (field, other's value).
    pub fn changes_to(&self, other: &State) -> Vec<(usize, u32)> {
        (0..FIELDS).filter(|&i| self.0[i] != other.0[i]).map(|i| (i, other.0[i])).collect()
    }

    pub fn with(&self, changes: &[(usize, u32)]) -> State {
        let mut s = self.clone();
        for &(i, v) in changes {
            s.0[i] = v;
        }
        s
    }

    pub fn cp0(&self, rd: u8, sel: u8) -> u32 {
        self.0[cp0(rd, sel)]
    }

    /// TLB entry i as (EntryHi, EntryLo0, EntryLo1, PageMask).
    pub fn tlb(&self, i: usize) -> [u32; 4] {
        let b = TLB + i * 4;
        [self.0[b], self.0[b + 1], self.0[b + 2], self.0[b + 3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_name_round_trips() {
        for i in 0..FIELDS {
            assert_eq!(field_index(&field_name(i)), Some(i), "{}", field_name(i));
        }
    }
}
