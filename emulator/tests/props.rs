//! Property tests of the CP0 model, the TLB instructions and the guest
//! address map (seeded, bounded). `no_panic.rs` covers random words into
//! `execute` from random states and the masks of five registers; this file
//! covers the rest of the ground:
//! - every listed register, from an arbitrary raw state: an mtc0 leaves the
//!   bits outside the write mask alone (PageMask and Debug excepted, which
//!   their hooks define), and from reset no mtc0 sequence sets a bit outside
//!   `write_mask | reset_value`;
//! - sequences of mtc0 / mfc0 / tlbwi / tlbwr / tlbp / tlbr / arbitrary words
//!   through `Cpu::execute`: Index, Wired, Random in range, tlbwr writes an
//!   entry in [Wired, TLB_ENTRIES - 1], PageMask a 24Kf page size (in CP0 and
//!   in every TLB entry), EntryLo within `ENTRYLO_MASK`, EBase 31:30 = 10;
//! - arbitrary CP0 states and TLB contents: Random and tlbwr stay in range;
//! - `addrmap::translate` with arbitrary TLB contents: guest KSEG0/KSEG1 never
//!   come out of the TLB and stay in the 512 MiB below 0x20000000, mapped
//!   addresses are exactly the TLB's, nothing at or above `GUEST_LIMIT`
//!   translates; the same for the native map's KSEG0/KSEG1.
use emulator::addrmap::{self, Access, GuestPhys, GuestVirt, Mode, Translation, GUEST_LIMIT};
use emulator::{AddressMap, Cp0, Cp0Reg, Cpu, Outcome, RandomLcg, Tlb, TlbEntry, TlbRegs, ENTRYLO_MASK, TLB_ENTRIES};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

const ENTRIES: u32 = TLB_ENTRIES as u32;

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const TLBR: u32 = 0x4200_0001;
const TLBWI: u32 = 0x4200_0002;
const TLBWR: u32 = 0x4200_0006;
const TLBP: u32 = 0x4200_0008;

fn mtc0(rt: u32, reg: Cp0Reg) -> u32 {
    0x4080_0000 | rt << 16 | u32::from(reg.rd) << 11 | u32::from(reg.sel)
}

fn mfc0(rt: u32, reg: Cp0Reg) -> u32 {
    0x4000_0000 | rt << 16 | u32::from(reg.rd) << 11 | u32::from(reg.sel)
}

/// A PageMask value the 24Kf keeps: 0 or an even number of ones from bit 13.
fn legal_page_mask(pm: u32) -> bool {
    let m = pm >> 13;
    pm & !0x1FFF_E000 == 0 && m & (m + 1) == 0 && m.count_ones().is_multiple_of(2)
}

/// Values that hit the interesting cases more often than uniform ones.
fn value() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        Just(0u32),
        Just(u32::MAX),
        (0u32..64),
        (0u32..=16).prop_map(|k| ((1u32 << k) - 1) << 13),
        (0u32..32).prop_map(|b| 1 << b),
    ]
}

fn listed() -> impl Strategy<Value = Cp0Reg> {
    (0..Cp0Reg::LISTED.len()).prop_map(|i| Cp0Reg::LISTED[i])
}

/// Keeps the CPU in kernel mode with CP0 usable, so the next instruction
/// really runs (ERL, as at reset, with BEV; the rest of Status as it is).
fn keep_kernel(cpu: &mut Cpu) {
    cpu.cp0.status |= Cp0::STATUS_ERL;
}

/// One step of a CP0/TLB program.
#[derive(Clone, Debug)]
enum Op {
    Mtc0(Cp0Reg, u32),
    Mfc0(Cp0Reg),
    Tlbwi,
    Tlbwr,
    Tlbp,
    Tlbr,
    Word(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (listed(), value()).prop_map(|(r, v)| Op::Mtc0(r, v)),
        // Also registers that are not listed (unlisted and reserved ones).
        1 => (0u8..32, 0u8..8, value()).prop_map(|(rd, sel, v)| Op::Mtc0(Cp0Reg::new(rd, sel), v)),
        2 => listed().prop_map(Op::Mfc0),
        2 => Just(Op::Tlbwi),
        2 => Just(Op::Tlbwr),
        1 => Just(Op::Tlbp),
        1 => Just(Op::Tlbr),
        1 => (0u32..64, any::<u32>()).prop_map(|(op, rest)| Op::Word(op << 26 | (rest & 0x03FF_FFFF))),
        1 => any::<u32>().prop_map(|w| Op::Word(0x4000_0000 | (w & 0x03FF_FFFF))),
    ]
}

/// Runs one step; returns the entry tlbwr was due to write (index), if it ran.
fn run(cpu: &mut Cpu, op: &Op) -> Result<Option<u32>, TestCaseError> {
    keep_kernel(cpu);
    cpu.pc = 0x8000_1000;
    let mut predicted = None;
    let word = match *op {
        Op::Mtc0(reg, v) => {
            cpu.gpr[8] = v;
            mtc0(8, reg)
        }
        Op::Mfc0(reg) => mfc0(9, reg),
        Op::Tlbwi => TLBWI,
        Op::Tlbwr => {
            let mut lcg = cpu.lcg;
            predicted = Some(lcg.next(cpu.cp0.wired));
            TLBWR
        }
        Op::Tlbp => TLBP,
        Op::Tlbr => TLBR,
        Op::Word(w) => w,
    };
    let regs = TlbRegs { entry_hi: cpu.cp0.entryhi, entry_lo0: cpu.cp0.entrylo0, entry_lo1: cpu.cp0.entrylo1, page_mask: cpu.cp0.pagemask };
    let outcome = cpu.execute(word, None);
    if let Op::Mtc0(reg, _) | Op::Mfc0(reg) = *op {
        if Cp0Reg::LISTED.contains(&reg) {
            // An mtc0 that unmasks a pending interrupt ran, and the
            // interrupt is taken after it.
            let ran_then_interrupted = outcome == Outcome::Exception(emulator::ExcCode::Int) && cpu.cp0.epc == 0x8000_1004;
            prop_assert!(outcome == Outcome::Continue || ran_then_interrupted, "{:08x} did not run: {:?}", word, outcome);
        }
    }
    if matches!(op, Op::Tlbwi | Op::Tlbp | Op::Tlbr) {
        prop_assert_eq!(outcome, Outcome::Continue, "{:08x} did not run", word);
    }
    if let Some(index) = predicted {
        prop_assert_eq!(outcome, Outcome::Continue);
        prop_assert!(index >= cpu.cp0.wired % ENTRIES && index < ENTRIES, "tlbwr index {} wired {}", index, cpu.cp0.wired);
        prop_assert_eq!(cpu.tlb.entry(index), TlbEntry::from_regs(regs), "tlbwr wrote another entry than {}", index);
    }
    Ok(predicted)
}

/// The invariants any sequence of steps from reset keeps.
fn check_invariants(cpu: &mut Cpu, native: bool) -> Result<(), TestCaseError> {
    let c = &cpu.cp0;
    prop_assert!((c.index & 0x7FFF_FFFF) < ENTRIES, "Index {:#x}", c.index);
    prop_assert_eq!(c.index & 0x7FFF_FFF0, 0, "Index has bits between P and the index: {:#x}", c.index);
    prop_assert!(c.wired < ENTRIES, "Wired {}", c.wired);
    prop_assert!(legal_page_mask(c.pagemask), "PageMask {:#x}", c.pagemask);
    prop_assert_eq!(c.entrylo0 & !ENTRYLO_MASK, 0, "EntryLo0 {:#x}", c.entrylo0);
    prop_assert_eq!(c.entrylo1 & !ENTRYLO_MASK, 0, "EntryLo1 {:#x}", c.entrylo1);
    if native {
        prop_assert_eq!(c.ebase >> 30, 0b10, "EBase {:#x}", c.ebase);
    }
    for (i, e) in cpu.tlb.entries.iter().enumerate() {
        prop_assert!(legal_page_mask(e.page_mask()), "entry {} page mask {:#x}", i, e.page_mask());
        prop_assert!((0..2).all(|p| e.pfn(p) < 1 << 20), "entry {} {:?}", i, e);
        prop_assert!((0..2).all(|p| e.c(p) < 8));
    }
    let wired = cpu.cp0.wired;
    let random = cpu.cp0_read(Cp0Reg::RANDOM).expect("Random is readable");
    prop_assert!(random >= wired && random < ENTRIES, "Random {} with Wired {}", random, wired);
    Ok(())
}

/// Arbitrary (raw) values in every listed register, expanded from one seed
/// (a vector strategy per register is slow in debug builds): uniform words
/// mixed with 0, all ones and single bits.
fn raw_cp0() -> impl Strategy<Value = Vec<u32>> {
    any::<u64>().prop_map(|mut x| {
        (0..Cp0Reg::LISTED.len())
            .map(|_| {
                // xorshift64*
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
                let w = (r >> 32) as u32;
                match r & 7 {
                    0 => 0,
                    1 => u32::MAX,
                    2 => 1 << (w & 31),
                    _ => w,
                }
            })
            .collect()
    })
}

fn arbitrary_entry() -> impl Strategy<Value = TlbEntry> {
    // Any register values, so page masks no tlbwi could write (PageMask's
    // hook keeps the 24Kf's sizes) among them.
    any::<(u32, u32, u32, u32)>().prop_map(|(entry_hi, entry_lo0, entry_lo1, page_mask)| {
        TlbEntry::from_regs(TlbRegs { entry_hi, entry_lo0, entry_lo1, page_mask })
    })
}

fn arbitrary_tlb() -> impl Strategy<Value = Tlb> {
    prop::collection::vec(arbitrary_entry(), TLB_ENTRIES).prop_map(|v| {
        let mut tlb = Tlb::default();
        for (slot, e) in tlb.entries.iter_mut().zip(v) {
            *slot = e;
        }
        tlb
    })
}

proptest! {
    #![proptest_config(config(2_000, 0x0024_CF02))]

    /// From an arbitrary raw state, an mtc0 of any listed register leaves
    /// the bits outside its write mask as they were. PageMask (a hook keeps
    /// only legal page sizes, else 0) and Debug (its hook keeps its own set
    /// of bits) are checked by their own rules.
    #[test]
    fn mtc0_keeps_read_only_bits(raw in raw_cp0(), reg in listed(), v in value(), native in any::<bool>()) {
        let mut cpu = Cpu::new(if native { AddressMap::Native } else { AddressMap::SHIFTED });
        for (r, x) in Cp0Reg::LISTED.iter().zip(&raw) {
            cpu.cp0.set(*r, *x);
        }
        let old = cpu.cp0.get(reg).expect("listed registers are stored");
        let _ = cpu.cp0_write(reg, v);
        let new = cpu.cp0.get(reg).expect("listed registers are stored");
        let mask = Cp0::write_mask(reg);
        if reg == Cp0Reg::PAGEMASK {
            prop_assert!(legal_page_mask(new), "PageMask {:#x} after writing {:#x}", new, v);
        } else if reg == Cp0Reg::INDEX {
            // index_write keeps the old value for an index past the TLB.
            prop_assert!(new == old || new == (old & !mask) | (v & mask), "Index {:#x} -> {:#x}", old, new);
        } else if reg == Cp0Reg::EBASE && !native {
            // ebase_write puts the map's KSEG0 base into the top bits.
            let fixed = emulator::addrmap::SHIFTED.ebase_fixed;
            prop_assert_eq!(new & fixed, 0, "EBase {:#x} left the shifted map's KSEG0", new);
            prop_assert_eq!(new & !mask & !fixed, old & !mask & !fixed);
        } else if reg != Cp0Reg::DEBUG {
            prop_assert_eq!(new & !mask, old & !mask, "{} ({:?}): read-only bits changed writing {:#x}", reg.name().unwrap_or("?"), reg, v);
        }
        if reg != Cp0Reg::DEBUG {
            // Writable bits hold what was written, unless a hook decides.
            if ![Cp0Reg::PAGEMASK, Cp0Reg::INDEX].contains(&reg) {
                prop_assert_eq!(new & mask, v & mask, "{} ({:?})", reg.name().unwrap_or("?"), reg);
            }
        }
    }

    /// From reset, any mtc0 sequence keeps every listed register inside
    /// `write_mask | reset_value`, and the read-only bits at their reset value.
    #[test]
    fn mtc0_sequences_from_reset_stay_masked(writes in prop::collection::vec((listed(), value()), 1..48), native in any::<bool>()) {
        let mut cpu = Cpu::new(if native { AddressMap::Native } else { AddressMap::SHIFTED });
        let start = cpu.cp0.clone();
        for (reg, v) in writes {
            let _ = cpu.cp0_write(reg, v);
            for &r in Cp0Reg::LISTED {
                let stored = cpu.cp0.get(r).expect("listed");
                let mask = Cp0::write_mask(r);
                let reset = start.get(r).expect("listed");
                prop_assert_eq!(stored & !(mask | reset), 0, "{} = {:#x} after writing {:#x} to {}", r.name().unwrap_or("?"), stored, v, reg.name().unwrap_or("?"));
                if r != Cp0Reg::DEBUG && r != Cp0Reg::PAGEMASK {
                    prop_assert_eq!(stored & !mask, reset & !mask, "{}: read-only bits moved after writing {}", r.name().unwrap_or("?"), reg.name().unwrap_or("?"));
                }
            }
            prop_assert_eq!(native, cpu.cp0.ebase >> 30 == 0b10, "EBase {:#x}", cpu.cp0.ebase);
        }
    }

    /// Programs of mtc0/mfc0/TLB instructions and other words, from reset:
    /// the TLB-facing invariants hold after every step.
    #[test]
    fn tlb_programs_keep_the_invariants(ops in prop::collection::vec(op(), 1..40), native in any::<bool>(), seed in any::<u32>()) {
        let mut cpu = Cpu::new(if native { AddressMap::Native } else { AddressMap::SHIFTED });
        cpu.lcg = RandomLcg { seed, prev: 0 };
        check_invariants(&mut cpu, native)?;
        for op in &ops {
            run(&mut cpu, op)?;
            prop_assert_eq!(cpu.gpr[0], 0);
            check_invariants(&mut cpu, native)?;
            if let Op::Tlbp = op {
                let expect = cpu.tlb.probe(cpu.cp0.entryhi);
                match expect {
                    Some(i) => prop_assert_eq!(cpu.cp0.index, i),
                    None => prop_assert!(cpu.cp0.index & Cp0::INDEX_P != 0),
                }
            }
        }
    }

    /// Arbitrary raw CP0 state and TLB contents: TLB instructions, mfc0
    /// Random and arbitrary COP0 words never panic; Random and tlbwr stay in
    /// [Wired mod size, size - 1]; tlbr leaves a legal-width EntryLo.
    #[test]
    fn arbitrary_states_keep_random_and_tlbwr_in_range(
        raw in raw_cp0(),
        tlb in arbitrary_tlb(),
        ops in prop::collection::vec(op(), 1..16),
        lcg in any::<(u32, u32)>(),
        native in any::<bool>(),
    ) {
        let mut cpu = Cpu::new(if native { AddressMap::Native } else { AddressMap::SHIFTED });
        for (r, x) in Cp0Reg::LISTED.iter().zip(&raw) {
            cpu.cp0.set(*r, *x);
        }
        cpu.tlb = tlb;
        cpu.lcg = RandomLcg { seed: lcg.0, prev: lcg.1 };
        for op in &ops {
            run(&mut cpu, op)?;
            let lo = cpu.cp0.wired % ENTRIES;
            let random = cpu.cp0_read(Cp0Reg::RANDOM).expect("Random is readable");
            prop_assert!(random >= lo && random < ENTRIES, "Random {} with Wired {:#x}", random, cpu.cp0.wired);
            if let Op::Tlbr = op {
                prop_assert_eq!(cpu.cp0.entrylo0 & !ENTRYLO_MASK, 0);
                prop_assert_eq!(cpu.cp0.entrylo1 & !ENTRYLO_MASK, 0);
                prop_assert_eq!(cpu.cp0.pagemask & !0x1FFF_E000, 0);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(4_000, 0x0024_CF03))]

    /// The guest maps: an unmapped kernel segment never comes from the TLB
    /// and stays below 0x20000000; nothing at or above GUEST_LIMIT
    /// translates; a mapped address is exactly what the guest TLB gives,
    /// page offset kept. What each map's segments are is stated here on its
    /// own, not read from its table.
    #[test]
    fn guest_map_translations_stay_in_the_guest(
        tlb in arbitrary_tlb(),
        va in prop_oneof![any::<u32>(), 0u32..0x8000_0000, (0u32..8).prop_map(|k| k * 0x1000_0000)],
        kvm in any::<bool>(),
        kernel in any::<bool>(),
        asid in any::<u8>(),
        access in prop_oneof![Just(Access::Fetch), Just(Access::Load), Just(Access::Store)],
    ) {
        let map = if kvm { &addrmap::KVM_GUEST } else { &addrmap::SHIFTED };
        // The unmapped kernel segments the mode may use; the first address
        // it may not use at all, apart from those.
        #[allow(clippy::single_range_in_vec_init)] // a list of segments, here of one
        let direct: &[core::ops::Range<u32>] = match (kvm, kernel) {
            (false, true) => &[0x0000_0000..0x4000_0000],
            (true, true) => &[0x4000_0000..0x6000_0000, 0x8000_0000..0xC000_0000],
            (_, false) => &[],
        };
        let mode_limit = if kvm && !kernel { 0x4000_0000 } else { GUEST_LIMIT };
        let in_direct = direct.iter().any(|d| d.contains(&va));
        let result = addrmap::translate(map, GuestVirt(va), access, kernel, asid, &tlb);
        let empty = addrmap::translate(map, GuestVirt(va), access, kernel, asid, &Tlb::default());
        if va >= mode_limit && !in_direct {
            prop_assert!(result.is_err(), "{:#x} translated: {:?}", va, result);
        }
        match result {
            Ok(Translation::Direct { phys: GuestPhys(pa), cached }) => {
                prop_assert!(in_direct, "{:#x} direct outside the unmapped kernel segments", va);
                prop_assert!(pa < 0x2000_0000, "{:#x} -> {:#x}", va, pa);
                prop_assert_eq!(pa, va & 0x1FFF_FFFF);
                prop_assert_eq!(cached, if kvm { va < 0xA000_0000 } else { va < 0x2000_0000 });
                prop_assert_eq!(result, empty, "unmapped segments depend on the TLB");
            }
            Ok(Translation::Mapped { phys: GuestPhys(pa) }) => {
                prop_assert!(!in_direct, "{:#x}: an unmapped segment came out of the TLB", va);
                prop_assert!(va < mode_limit);
                prop_assert_eq!(tlb.translate(va, asid, access == Access::Store), Ok(pa));
                // The page offset (at least the 4 KiB one) is the VA's.
                prop_assert_eq!(pa & 0xFFF, va & 0xFFF);
            }
            Err(e) => {
                prop_assert_eq!(e.badvaddr, va);
                if in_direct {
                    prop_assert!(false, "{:#x}: an unmapped kernel segment faulted: {:?}", va, e);
                }
            }
        }
    }

    /// The native map: KSEG0/KSEG1 are unmapped, below 0x20000000 and
    /// independent of the TLB; user mode never reaches them.
    #[test]
    fn native_map_kseg0_kseg1_never_use_the_tlb(
        tlb in arbitrary_tlb(),
        va in any::<u32>(),
        mode in prop_oneof![Just(Mode::Kernel), Just(Mode::Supervisor), Just(Mode::User)],
        erl in any::<bool>(),
        asid in any::<u8>(),
        store in any::<bool>(),
    ) {
        let access = if store { Access::Store } else { Access::Load };
        let result = addrmap::translate_native(va, access, mode, erl, asid, &tlb);
        let empty = addrmap::translate_native(va, access, mode, erl, asid, &Tlb::default());
        let kseg01 = (0x8000_0000..0xC000_0000).contains(&va);
        if kseg01 {
            prop_assert_eq!(result, empty, "{:#x}: KSEG0/KSEG1 depend on the TLB", va);
            if mode == Mode::Kernel {
                let pa = result.expect("kernel KSEG0/KSEG1 never fault");
                prop_assert!(pa < 0x2000_0000);
                prop_assert_eq!(pa, va & 0x1FFF_FFFF);
            } else {
                prop_assert!(result.is_err(), "{:?} reached {:#x}", mode, va);
            }
        }
        if mode == Mode::User && va >= 0x8000_0000 {
            prop_assert!(result.is_err(), "user mode reached {:#x}", va);
        }
        if let Err(e) = result {
            prop_assert_eq!(e.badvaddr, va);
        }
    }
}
