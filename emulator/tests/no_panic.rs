//! Guest-controlled input never panics the emulator: arbitrary words, delay
//! slots and CPU states into `execute`, with invariants checked afterwards.
use emulator::addrmap::{self, Access, GuestVirt};
use emulator::{AddressMap, Cp0, Cp0Reg, Cpu, Exception, ExceptionKind, Outcome, RandomLcg, TlbEntry, TlbRegs, DEBUG_VECTOR, TLB_ENTRIES};
use proptest::prelude::*;

/// Words biased towards the interesting opcode spaces: COP0, CACHE,
/// SPECIAL3 (rdhwr), REGIMM, COP1 branches, jumps and branches.
fn word() -> impl Strategy<Value = u32> {
    let opcode = prop_oneof![
        Just(0x10u32),
        Just(0x2F),
        Just(0x1F),
        Just(0x01),
        Just(0x11),
        Just(0x00),
        0x02u32..0x08,
        0x14u32..0x18,
        0u32..64,
    ];
    (opcode, any::<u32>()).prop_map(|(op, rest)| (op << 26) | (rest & 0x03FF_FFFF))
}

fn cpu() -> impl Strategy<Value = Cpu> {
    (
        prop::array::uniform32(any::<u32>()),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec((0u8..32, 0u8..8, any::<u32>()), 0..24),
        any::<(u32, u32, bool, u32)>(),
    )
        .prop_map(|(gpr, pc, fcsr, writes, (seed, prev, debug, status))| {
            let map = if seed & 1 == 0 { AddressMap::Native } else { AddressMap::SHIFTED };
            let mut cpu = Cpu::new(map);
            cpu.gpr = gpr;
            cpu.gpr[0] = 0;
            cpu.pc = pc;
            cpu.fcsr = fcsr;
            cpu.lcg = RandomLcg { seed, prev };
            cpu.debug_mode = debug;
            cpu.cp0.status = status;
            for (rd, sel, value) in writes {
                // Raw stores: any value, even ones mtc0 could never produce.
                cpu.cp0.set(Cp0Reg::new(rd, sel), value);
            }
            cpu
        })
}

/// The registers whose stored value must stay inside its writable mask
/// (plus reset bits) when only mtc0 writes them.
const MASKED: &[Cp0Reg] = &[Cp0Reg::ENTRYLO0, Cp0Reg::ENTRYLO1, Cp0Reg::WIRED, Cp0Reg::HWRENA, Cp0Reg::PAGEMASK];

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, rng_algorithm: prop::test_runner::RngAlgorithm::ChaCha, rng_seed: prop::test_runner::RngSeed::Fixed(0x24CF), ..ProptestConfig::default() })]

    #[test]
    fn execute_never_panics(mut cpu in cpu(), w in word(), slot in proptest::option::of(word())) {
        let before = cpu.clone();
        let outcome = cpu.execute(w, slot);
        match outcome {
            Outcome::NotEmulated => prop_assert_eq!(&cpu, &before),
            // Cause.ExcCode, or for the debug exception (SDBBP) Debug.DExcCode.
            Outcome::Exception(code) => prop_assert!(
                cpu.cp0.cause_exccode() == code as u32
                    || (cpu.debug_mode && cpu.cp0.debug_dexccode() == code as u32 && cpu.pc == cpu.map.from_native(DEBUG_VECTOR))
            ),
            Outcome::Continue | Outcome::Wait => {}
        }
        prop_assert_eq!(cpu.gpr[0], 0);
    }

    #[test]
    fn mtc0_keeps_masked_bits_and_indexes_in_range(values in prop::collection::vec((0u8..32, 0u8..8, any::<u32>()), 1..40)) {
        let mut cpu = Cpu::new(AddressMap::Native);
        cpu.cp0.status = 0;
        for (rd, sel, value) in values {
            let _ = cpu.cp0_write(Cp0Reg::new(rd, sel), value);
            prop_assert!((cpu.cp0.index & 0x7FFF_FFFF) < TLB_ENTRIES as u32);
            prop_assert!(cpu.cp0.wired < TLB_ENTRIES as u32);
            for reg in MASKED {
                let reset = Cp0::reset_value(*reg).unwrap_or(0);
                let stored = cpu.cp0.get(*reg).unwrap_or(0);
                prop_assert_eq!(stored & !(Cp0::write_mask(*reg) | reset), 0, "{:?}", reg);
            }
            let random = cpu.cp0_read(Cp0Reg::RANDOM).unwrap_or(u32::MAX);
            prop_assert!(random >= cpu.cp0.wired && random < TLB_ENTRIES as u32, "random {} wired {}", random, cpu.cp0.wired);
        }
    }

    #[test]
    fn raise_never_panics(mut cpu in cpu(), kind in 0usize..22, va in any::<u32>(), ce in any::<u8>(), bd in any::<bool>()) {
        use ExceptionKind::*;
        let kinds = [Interrupt, TlbModified, TlbRefillLoad, TlbInvalidLoad, TlbRefillStore, TlbInvalidStore,
            AddressErrorLoad, AddressErrorStore, SegmentErrorLoad, SegmentErrorStore, BusErrorFetch, BusErrorData, Syscall, Breakpoint,
            ReservedInstruction, CoprocessorUnusable, Overflow, Trap, FloatingPoint, Watch, MachineCheck, CacheError];
        let kind = kinds[kind % kinds.len()];
        let code = cpu.raise(Exception { kind, badvaddr: va, ce, in_delay_slot: bd });
        prop_assert_eq!(cpu.cp0.status_exl(), 1);
        prop_assert_eq!(cpu.cp0.cause_exccode(), code as u32);
    }

    #[test]
    fn debug_exception_touches_only_debug_state(mut cpu in cpu(), bd in any::<bool>()) {
        let before = cpu.clone();
        let code = cpu.raise(Exception { in_delay_slot: bd, ..Exception::new(ExceptionKind::DebugBreakpoint) });
        prop_assert!(cpu.debug_mode);
        prop_assert_eq!(cpu.cp0.depc, before.pc);
        prop_assert_eq!(cpu.pc, cpu.map.from_native(DEBUG_VECTOR));
        prop_assert_eq!(cpu.cp0.debug_dexccode(), code as u32);
        prop_assert_eq!(cpu.cp0.debug_dbp(), 1);
        prop_assert_eq!((cpu.cp0.status, cpu.cp0.epc, cpu.cp0.cause_exccode()), (before.cp0.status, before.cp0.epc, before.cp0.cause_exccode()));
    }

    #[test]
    fn branch_effect_and_translation_never_panic(
        cpu in cpu(),
        w in word(),
        entries in prop::collection::vec(any::<(u32, u32, u32, u32)>(), TLB_ENTRIES),
        va in any::<u32>(),
        kernel in any::<bool>(),
        asid in any::<u8>(),
    ) {
        let before = cpu.clone();
        let _ = cpu.branch_effect(w);
        prop_assert_eq!(&cpu, &before);
        let mut cpu = cpu;
        for (i, (hi, lo0, lo1, mask)) in entries.into_iter().enumerate() {
            cpu.tlb.write(i as u32, TlbEntry::from_regs(TlbRegs { entry_hi: hi, entry_lo0: lo0, entry_lo1: lo1, page_mask: mask }));
        }
        for (access, map) in [Access::Fetch, Access::Load, Access::Store].into_iter().zip(addrmap::MAPS.into_iter().cycle()) {
            if let Err(e) = addrmap::translate(map, GuestVirt(va), access, kernel, asid, &cpu.tlb) {
                prop_assert_eq!(e.badvaddr, va);
            }
        }
        let entry = TlbEntry::from_regs(TlbRegs { entry_hi: va, entry_lo0: va, entry_lo1: !va, page_mask: va });
        prop_assert_eq!(TlbEntry::from_regs(entry.to_regs()), entry, "tlbr then tlbwi is the identity");
    }
}
