//! Exception entry: EPC/BD/EXL, ExcCode, CE, the TLB registers, and vector
//! selection in every BEV/EXL/IV combination, in both address maps.
mod common;
use common::*;
use emulator::{AddressMap, Cpu, ExcCode, Exception, ExceptionKind};

fn cpu_with(map: AddressMap, status: u32) -> Cpu {
    let mut cpu = Cpu::new(map);
    cpu.cp0.status = status;
    cpu.pc = 0x0040_1000;
    cpu
}

const BEV: u32 = 1 << 22;
const EXL: u32 = 1 << 1;
const IV: u32 = 1 << 23;

#[test]
fn vector_selection() {
    use ExceptionKind::*;
    // (kind, BEV, EXL, IV, native vector)
    let cases = [
        (TlbRefillLoad, false, false, false, 0x8000_0000),
        (TlbRefillStore, false, false, false, 0x8000_0000),
        (TlbRefillLoad, false, true, false, 0x8000_0180),
        (TlbRefillLoad, true, false, false, 0xBFC0_0200),
        (TlbRefillLoad, true, true, false, 0xBFC0_0380),
        (TlbInvalidLoad, false, false, false, 0x8000_0180),
        (ReservedInstruction, false, false, false, 0x8000_0180),
        (ReservedInstruction, true, false, false, 0xBFC0_0380),
        (ReservedInstruction, false, false, true, 0x8000_0180),
        (Interrupt, false, false, false, 0x8000_0180),
        (Interrupt, false, false, true, 0x8000_0200),
        (Interrupt, true, false, true, 0xBFC0_0400),
        (Interrupt, true, false, false, 0xBFC0_0380),
        (Interrupt, false, true, true, 0x8000_0200),
        (CacheError, false, false, false, 0xA000_0100),
        (CacheError, true, false, false, 0xBFC0_0300),
    ];
    for (kind, bev, exl, iv, native) in cases {
        for map in [AddressMap::Native, AddressMap::SHIFTED, AddressMap::Guest(&emulator::addrmap::KVM_GUEST)] {
            let status = if bev { BEV } else { 0 } | if exl { EXL } else { 0 };
            let mut cpu = cpu_with(map, status);
            if iv {
                cpu.cp0.cause |= IV;
            }
            let code = cpu.raise(Exception::at(kind, 0x1234_5678));
            assert_eq!(code, kind.code());
            assert_eq!(cpu.pc, map.from_native(native), "{kind:?} bev={bev} exl={exl} iv={iv} {map:?}");
            assert_eq!(cpu.cp0.cause_exccode(), code as u32);
        }
    }
}

#[test]
fn ebase_moves_the_vectors() {
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.cp0.ebase = 0x8123_4000 | 0x3FF; // CPUNum bits are not part of the base
    cpu.raise(Exception::reserved_instruction());
    assert_eq!(cpu.pc, 0x8123_4180);
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.cp0.ebase = 0x8123_4000;
    cpu.raise(Exception::at(ExceptionKind::TlbRefillStore, 0));
    assert_eq!(cpu.pc, 0x8123_4000);
}

#[test]
fn vectored_interrupts_with_spacing() {
    let mut cpu = cpu_with(AddressMap::Native, 0x0000_FF00);
    cpu.cp0.cause = IV | 0x0000_2400; // IP5 and IP2 pending
    cpu.cp0.intctl |= 0x1 << 5; // VS = 1: 32-byte spacing
    cpu.raise(Exception::new(ExceptionKind::Interrupt));
    assert_eq!(cpu.pc, 0x8000_0200 + 5 * 32);
    // Masked lines do not count.
    let mut cpu = cpu_with(AddressMap::Native, 0x0000_0400);
    cpu.cp0.cause = IV | 0x0000_2400;
    cpu.cp0.intctl |= 0x2 << 5;
    cpu.raise(Exception::new(ExceptionKind::Interrupt));
    assert_eq!(cpu.pc, 0x8000_0200 + 2 * 64);
}

#[test]
fn epc_bd_and_exl() {
    let mut cpu = cpu_with(AddressMap::Native, 0x0000_0010);
    cpu.cp0.cause = 0x8000_0000;
    cpu.raise(Exception::new(ExceptionKind::Syscall));
    assert_eq!(cpu.cp0.epc, 0x0040_1000);
    assert_eq!(cpu.cp0.cause, 8 << 2, "BD cleared");
    assert_eq!(cpu.cp0.status, 0x0000_0012);
    assert!(cpu.kernel_mode());

    let mut cpu = cpu_with(AddressMap::Native, 0);
    let mut e = Exception::new(ExceptionKind::Breakpoint);
    e.in_delay_slot = true;
    cpu.raise(e);
    assert_eq!(cpu.cp0.epc, 0x0040_1000);
    assert_eq!(cpu.cp0.cause, 0x8000_0000 | 9 << 2);

    // With EXL already set, EPC and BD stay.
    let mut cpu = cpu_with(AddressMap::Native, EXL);
    cpu.cp0.epc = 0x8000_0040;
    cpu.cp0.cause = 0x8000_0000;
    cpu.raise(Exception::new(ExceptionKind::Overflow));
    assert_eq!(cpu.cp0.epc, 0x8000_0040);
    assert_eq!(cpu.cp0.cause, 0x8000_0000 | 12 << 2);
}

#[test]
fn tlb_faults_set_badvaddr_context_and_entryhi() {
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.cp0.context = 0xFF80_0000 | 0x0000_000F;
    cpu.cp0.entryhi = 0x1111_E0AB;
    cpu.raise(Exception::at(ExceptionKind::TlbRefillLoad, 0x7654_3210));
    assert_eq!(cpu.cp0.badvaddr, 0x7654_3210);
    assert_eq!(cpu.cp0.context, 0xFF80_0000 | ((0x7654_3210 >> 9) & 0x007F_FFF0));
    assert_eq!(cpu.cp0.entryhi, 0x7654_2000 | 0xAB);
    assert_eq!(cpu.cp0.cause_exccode(), 2);

    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.raise(Exception::at(ExceptionKind::TlbModified, 0x0000_5000));
    assert_eq!(cpu.cp0.cause_exccode(), 1);
    assert_eq!(cpu.cp0.entryhi, 0x0000_4000);

    // Address errors only set BadVAddr.
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.cp0.entryhi = 0x1111_E0AB;
    cpu.raise(Exception::at(ExceptionKind::AddressErrorStore, 0x8000_0001));
    assert_eq!(cpu.cp0.badvaddr, 0x8000_0001);
    assert_eq!(cpu.cp0.entryhi, 0x1111_E0AB);
    assert_eq!(cpu.cp0.context, 0);
    assert_eq!(cpu.cp0.cause_exccode(), 5);

    // A segment error (user mode touching kernel space) comes from QEMU's
    // MMU and also writes Context and EntryHi.
    let mut cpu = cpu_with(AddressMap::Native, 0x10);
    cpu.cp0.entryhi = 0x1111_E0AB;
    cpu.raise(Exception::at(ExceptionKind::SegmentErrorLoad, 0xCA0C_9001));
    assert_eq!(cpu.cp0.badvaddr, 0xCA0C_9001);
    assert_eq!(cpu.cp0.entryhi, 0xCA0C_8000 | 0xAB);
    assert_eq!(cpu.cp0.context, (0xCA0C_9001 >> 9) & 0x007F_FFF0);
    assert_eq!(cpu.cp0.cause_exccode(), 4);

    // Other exceptions leave BadVAddr alone.
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.cp0.badvaddr = 0x42;
    cpu.raise(Exception::at(ExceptionKind::Trap, 0x1234));
    assert_eq!(cpu.cp0.badvaddr, 0x42);
}

#[test]
fn coprocessor_unusable_sets_ce_others_keep_it() {
    let mut cpu = cpu_with(AddressMap::Native, 0);
    cpu.raise(Exception::coprocessor_unusable(1));
    assert_eq!(cpu.cp0.cause_ce(), 1);
    assert_eq!(cpu.cp0.cause_exccode(), 11);
    cpu.cp0.status = 0;
    cpu.raise(Exception::reserved_instruction());
    assert_eq!(cpu.cp0.cause_ce(), 1, "CE is only written by CpU");
}

#[test]
fn exccodes_match_the_architecture() {
    use ExceptionKind::*;
    for (kind, code) in [
        (Interrupt, 0),
        (TlbModified, 1),
        (TlbRefillLoad, 2),
        (TlbInvalidLoad, 2),
        (TlbRefillStore, 3),
        (TlbInvalidStore, 3),
        (AddressErrorLoad, 4),
        (AddressErrorStore, 5),
        (SegmentErrorLoad, 4),
        (SegmentErrorStore, 5),
        (BusErrorFetch, 6),
        (BusErrorData, 7),
        (Syscall, 8),
        (Breakpoint, 9),
        (ReservedInstruction, 10),
        (CoprocessorUnusable, 11),
        (Overflow, 12),
        (Trap, 13),
        (FloatingPoint, 15),
        (Watch, 23),
        (MachineCheck, 24),
        (CacheError, 30),
    ] {
        assert_eq!(kind.code() as u8, code, "{kind:?}");
        assert_eq!(ExcCode::from_u8(code), Some(kind.code()));
    }
    assert_eq!(ExcCode::from_u8(14), None);
}

#[test]
fn execute_reports_exceptions_with_vector() {
    let mut cpu = kernel_cpu();
    cpu.cp0.status = BEV;
    assert_eq!(cpu.execute(0x4200_0005, None), emulator::Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.pc, 0xBFC0_0380);
    assert_eq!(cpu.cp0.epc, 0x8000_1000);
}

#[test]
fn an_interrupt_enabled_by_an_instruction_is_taken_before_the_next() {
    // ei with IP2 pending and unmasked.
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_0400;
    cpu.cp0.cause = 0x0000_0400;
    assert_eq!(cpu.execute(ei(0), None), emulator::Outcome::Exception(ExcCode::Int));
    assert_eq!(cpu.cp0.epc, 0x8000_1004);
    assert_eq!(cpu.pc, 0x8000_0180);
    assert_eq!(cpu.cp0.status, 0x0000_0403);
    // mtc0 Cause raising the software line IP0.
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_0101;
    cpu.gpr[2] = 0x0000_0100;
    assert_eq!(cpu.execute(mtc0(2, 13, 0), None), emulator::Outcome::Exception(ExcCode::Int));
    assert_eq!(cpu.cp0.epc, 0x8000_1004);
    // Masked: nothing happens.
    let mut cpu = kernel_cpu();
    cpu.cp0.cause = 0x0000_0400;
    assert_eq!(cpu.execute(ei(0), None), emulator::Outcome::Continue);
    // eret to a handler-enabled state: EPC is the eret target.
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_0403;
    cpu.cp0.cause = 0x0000_0400;
    cpu.cp0.epc = 0x0040_0000;
    assert_eq!(cpu.execute(ERET, None), emulator::Outcome::Exception(ExcCode::Int));
    assert_eq!(cpu.cp0.epc, 0x0040_0000);
    assert_eq!(cpu.cp0.cause_bd(), 0);
}

#[test]
fn reset_keeps_tlb_and_lcg() {
    let mut cpu = kernel_cpu();
    cpu.tlb.entries[4] = emulator::TlbEntry::from_regs(emulator::TlbRegs { entry_hi: 0x4000_0000, ..Default::default() });
    cpu.lcg.seed = 77;
    cpu.gpr[5] = 9;
    cpu.cp0.status = 0x1234;
    cpu.reset();
    assert_eq!(cpu.tlb.entries[4].vpn2(), 0x4000_0000);
    assert_eq!(cpu.lcg.seed, 77);
    assert_eq!(cpu.gpr[5], 0);
    assert_eq!(cpu.cp0.status, 0x0040_0004);
    assert_eq!(cpu.pc, 0xBFC0_0000);
    let mut guest = Cpu::new(AddressMap::SHIFTED);
    guest.pc = 0x1000;
    guest.reset();
    assert_eq!(guest.pc, 0x3FC0_0000);
    assert_eq!(guest.cp0.ebase, 0);
}

#[test]
fn nmi_and_soft_reset() {
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_FF01;
    cpu.cp0.watchlo3 = 0x1238;
    cpu.nmi();
    assert_eq!(cpu.cp0.errorepc, 0x8000_1000);
    assert_eq!(cpu.cp0.status, 0x0000_FF01 | BEV | 1 << 19 | 1 << 2);
    assert_eq!(cpu.pc, 0xBFC0_0000);
    assert_eq!(cpu.cp0.watchlo3, 0x1238);
    let mut cpu = kernel_cpu();
    cpu.cp0.watchlo3 = 0x1238;
    cpu.soft_reset();
    assert_eq!(cpu.cp0.status, BEV | 1 << 20 | 1 << 2);
    assert_eq!(cpu.cp0.watchlo3, 0);
}

#[test]
fn count_reaching_compare_raises_the_timer_line() {
    let mut cpu = kernel_cpu();
    cpu.cp0.count = 100;
    cpu.cp0.compare = 150;
    cpu.advance_count(49);
    assert_eq!(cpu.cp0.cause, 0);
    cpu.advance_count(1);
    assert_eq!(cpu.cp0.count, 150);
    assert_eq!(cpu.cp0.cause, 0x4000_8000, "TI and IP7");
    // Across the wrap.
    let mut cpu = kernel_cpu();
    cpu.cp0.count = 0xFFFF_FFF0;
    cpu.cp0.compare = 5;
    cpu.advance_count(0x20);
    assert_eq!(cpu.cp0.cause, 0x4000_8000);
    // Frozen by Cause.DC.
    let mut cpu = kernel_cpu();
    cpu.cp0.cause = 1 << 27;
    cpu.cp0.count = 7;
    cpu.advance_count(10);
    assert_eq!(cpu.cp0.count, 7);
    // An mtc0 Compare clears it again.
    let mut cpu = kernel_cpu();
    cpu.cp0.count = 0;
    cpu.cp0.compare = 1;
    cpu.advance_count(1);
    assert_eq!(cpu.cp0.cause, 0x4000_8000);
    cpu.gpr[2] = 500;
    assert_eq!(cpu.execute(mtc0(2, 11, 0), None), emulator::Outcome::Continue);
    assert_eq!(cpu.cp0.cause, 0);
}
