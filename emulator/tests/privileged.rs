//! The privileged instructions, through `Cpu::execute`.
mod common;
use common::*;
use emulator::{Cpu, ExcCode, Outcome, TlbEntry, TlbRegs};

fn run(cpu: &mut Cpu, word: u32) -> Outcome {
    cpu.execute(word, None)
}

fn set_tlb_regs(cpu: &mut Cpu, entry_hi: u32, lo0: u32, lo1: u32, page_mask: u32) {
    cpu.cp0.entryhi = entry_hi;
    cpu.cp0.entrylo0 = lo0;
    cpu.cp0.entrylo1 = lo1;
    cpu.cp0.pagemask = page_mask;
}

#[test]
fn tlbwi_then_tlbr_round_trip() {
    let mut cpu = kernel_cpu();
    set_tlb_regs(&mut cpu, 0x1234_6042, (0x100 << 6) | 0x1F, (0x203 << 6) | 0x07, 0x6000);
    cpu.cp0.index = 0x8000_0005; // P is ignored for the slot
    assert_eq!(run(&mut cpu, TLBWI), Outcome::Continue);
    assert_eq!(cpu.pc, 0x8000_1004);
    let e = cpu.tlb.entries[5];
    assert_eq!((e.vpn2(), e.asid(), e.page_mask(), e.g()), (0x1234_6000, 0x42, 0x6000, true));
    assert_eq!([e.pfn(0), e.pfn(1)], [0x100, 0x200], "PFN low bits cleared by the page mask");
    set_tlb_regs(&mut cpu, 0, 0, 0, 0);
    assert_eq!(run(&mut cpu, TLBR), Outcome::Continue);
    assert_eq!(cpu.cp0.entryhi, 0x1234_6042);
    assert_eq!(cpu.cp0.entrylo0, (0x100 << 6) | 0x1F);
    assert_eq!(cpu.cp0.entrylo1, (0x200 << 6) | 0x07);
    assert_eq!(cpu.cp0.pagemask, 0x6000);
}

#[test]
fn tlbr_copies_g_into_both_and_loads_the_asid() {
    let mut cpu = kernel_cpu();
    cpu.tlb.entries[3] = TlbEntry::from_regs(TlbRegs { entry_hi: 0x4000_0011, entry_lo0: 0x3, entry_lo1: 0x5, page_mask: 0 });
    cpu.cp0.index = 3;
    cpu.cp0.entryhi = 0xFF;
    assert_eq!(run(&mut cpu, TLBR), Outcome::Continue);
    assert_eq!((cpu.cp0.entrylo0, cpu.cp0.entrylo1), (0x3, 0x5));
    assert_eq!(cpu.cp0.entryhi, 0x4000_0011);
}

#[test]
fn tlbp_first_match_and_miss_keeps_low_bits() {
    let mut cpu = kernel_cpu();
    for i in 0..16 {
        cpu.tlb.entries[i] = TlbEntry::from_regs(TlbRegs { entry_hi: (0x7000_0000 + ((i as u32) << 13)) | 1, ..TlbRegs::default() });
    }
    cpu.tlb.entries[9] = TlbEntry::from_regs(TlbRegs { entry_hi: 0x0000_2001, ..TlbRegs::default() });
    cpu.tlb.entries[11] = cpu.tlb.entries[9];
    cpu.cp0.entryhi = 0x0000_2001;
    cpu.cp0.index = 0x8000_0004;
    assert_eq!(run(&mut cpu, TLBP), Outcome::Continue);
    assert_eq!(cpu.cp0.index, 9, "first match, P clear");
    cpu.cp0.entryhi = 0x0000_2002;
    assert_eq!(run(&mut cpu, TLBP), Outcome::Continue);
    assert_eq!(cpu.cp0.index, 0x8000_0009, "miss: P set, low bits kept");
}

#[test]
fn tlbwr_uses_a_fresh_draw_of_the_shared_lcg() {
    let mut cpu = kernel_cpu();
    set_tlb_regs(&mut cpu, 0x0000_4000, 0x2, 0x2, 0);
    // First draws with Wired = 0 are 6, 14, 1.
    assert_eq!(cpu.execute(mfc0(2, 1, 0), None), Outcome::Continue);
    assert_eq!(cpu.gpr[2], 6);
    assert_eq!(run(&mut cpu, TLBWR), Outcome::Continue);
    assert_eq!(cpu.tlb.entries[14].vpn2(), 0x4000);
    assert_eq!(cpu.execute(mfc0(2, 1, 0), None), Outcome::Continue);
    assert_eq!(cpu.gpr[2], 1);
    // Wired = 15: always 15.
    cpu.cp0.wired = 15;
    set_tlb_regs(&mut cpu, 0x0000_8000, 0, 0, 0);
    assert_eq!(run(&mut cpu, TLBWR), Outcome::Continue);
    assert_eq!(cpu.tlb.entries[15].vpn2(), 0x8000);
}

#[test]
fn eret_prefers_erl_and_clears_ll() {
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x6; // ERL | EXL
    cpu.cp0.epc = 0x8000_0100;
    cpu.cp0.errorepc = 0xBFC0_0400;
    cpu.lladdr = 0x8000_2000;
    assert_eq!(run(&mut cpu, ERET), Outcome::Continue);
    assert_eq!(cpu.pc, 0xBFC0_0400);
    assert_eq!(cpu.cp0.status, 0x2, "ERL cleared, EXL kept");
    assert_eq!(cpu.lladdr, 1);
    assert_eq!(run(&mut cpu, ERET), Outcome::Continue);
    assert_eq!(cpu.pc, 0x8000_0100);
    assert_eq!(cpu.cp0.status, 0);
}

#[test]
fn deret_needs_debug_mode() {
    let mut cpu = kernel_cpu();
    cpu.cp0.depc = 0x8000_0300;
    assert_eq!(run(&mut cpu, DERET), Outcome::Exception(ExcCode::RI));
    let mut cpu = kernel_cpu();
    cpu.debug_mode = true;
    cpu.cp0.depc = 0x8000_0300;
    assert_eq!(run(&mut cpu, DERET), Outcome::Continue);
    assert_eq!(cpu.pc, 0x8000_0300);
    assert!(!cpu.debug_mode);
}

#[test]
fn wait_stops_at_the_next_instruction() {
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, WAIT), Outcome::Wait);
    assert_eq!(cpu.pc, 0x8000_1004);
    assert!(cpu.waiting);
    // WAIT's code field (bits 20:6) is ignored.
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, WAIT | 0x001F_FFC0), Outcome::Wait);
}

#[test]
fn di_and_ei() {
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_FF01;
    assert_eq!(run(&mut cpu, di(4)), Outcome::Continue);
    assert_eq!((cpu.gpr[4], cpu.cp0.status), (0x0000_FF01, 0x0000_FF00));
    assert_eq!(run(&mut cpu, ei(5)), Outcome::Continue);
    assert_eq!((cpu.gpr[5], cpu.cp0.status), (0x0000_FF00, 0x0000_FF01));
    assert_eq!(run(&mut cpu, di(0)), Outcome::Continue);
    assert_eq!((cpu.gpr[0], cpu.cp0.status), (0, 0x0000_FF00));
}

#[test]
fn cache_is_a_nop_in_kernel_mode_and_cpu_in_user_mode() {
    let mut cpu = kernel_cpu();
    let before = cpu.clone();
    assert_eq!(run(&mut cpu, cache(0x15, 4, 0x10)), Outcome::Continue);
    let mut expected = before;
    expected.pc += 4;
    assert_eq!(cpu, expected);
    let mut cpu = user_cpu();
    assert_eq!(run(&mut cpu, cache(0x15, 4, 0x10)), Outcome::Exception(ExcCode::CpU));
    assert_eq!(cpu.cp0.cause_ce(), 0);
}

#[test]
fn cop0_in_user_mode_raises_cpu_unless_cu0() {
    for word in [mfc0(2, 12, 0), mtc0(2, 12, 0), TLBWI, ERET, WAIT, di(2), 0x4220_0002, 0x4040_0000] {
        let mut cpu = user_cpu();
        cpu.cp0.cause = 0x3000_0000; // a stale CE
        assert_eq!(run(&mut cpu, word), Outcome::Exception(ExcCode::CpU), "{word:08x}");
        assert_eq!(cpu.cp0.cause_ce(), 0, "{word:08x}");
        assert_eq!(cpu.cp0.epc, 0x0040_0000);
        assert_eq!(cpu.pc, 0x8000_0180);
    }
    let mut cpu = user_cpu();
    cpu.cp0.status |= 0x1000_0000; // CU0
    assert_eq!(run(&mut cpu, mfc0(2, 15, 0)), Outcome::Continue);
    assert_eq!(cpu.gpr[2], 0x0001_9300);
    // Supervisor mode is not kernel mode.
    let mut cpu = user_cpu();
    cpu.cp0.status = 0x8;
    assert_eq!(run(&mut cpu, TLBP), Outcome::Exception(ExcCode::CpU));
    // EXL makes user mode kernel mode.
    let mut cpu = user_cpu();
    cpu.cp0.status = 0x12;
    assert_eq!(run(&mut cpu, TLBP), Outcome::Continue);
}

#[test]
fn bad_cop0_encodings_raise_ri() {
    for word in [
        0x4220_0002, // CO with bit 21
        0x4200_0005, // unknown CO function
        0x4200_0058, // ERETNC
        0x4040_0000, // MFHC0
        0x40C0_0000, // MTHC0
        0x4020_0000, // DMFC0
        0x40A0_0000, // DMTC0
        0x4168_6001, // MFMC0 not DI/EI
        0x4160_0BC1, // DMT
        0x41E0_0000, // rs = 0x0F
    ] {
        let mut cpu = kernel_cpu();
        assert_eq!(run(&mut cpu, word), Outcome::Exception(ExcCode::RI), "{word:08x}");
        assert_eq!(cpu.cp0.epc, 0x8000_1000);
    }
    // TLBINV / TLBINVF: no-ops.
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, 0x4200_0003), Outcome::Continue);
    assert_eq!(run(&mut cpu, 0x4200_0004), Outcome::Continue);
    assert_eq!(cpu.pc, 0x8000_1008);
}

#[test]
fn rdhwr_rules() {
    let mut cpu = kernel_cpu();
    cpu.cp0.count = 0x1234;
    cpu.cp0.ebase = 0x8000_0000;
    for (rd, expected) in [(0, 0), (1, 32), (2, 0x1234), (3, 2), (29, 0)] {
        assert_eq!(run(&mut cpu, rdhwr(8, rd)), Outcome::Continue, "rdhwr ${rd}");
        assert_eq!(cpu.gpr[8], expected, "rdhwr ${rd}");
    }
    assert_eq!(run(&mut cpu, rdhwr(8, 4)), Outcome::Exception(ExcCode::RI));
    // User mode: only what HWREna enables; 29 never (no ULRI).
    let mut cpu = user_cpu();
    assert_eq!(run(&mut cpu, rdhwr(8, 2)), Outcome::Exception(ExcCode::RI));
    let mut cpu = user_cpu();
    cpu.cp0.hwrena = 0x4;
    cpu.cp0.count = 77;
    assert_eq!(run(&mut cpu, rdhwr(8, 2)), Outcome::Continue);
    assert_eq!(cpu.gpr[8], 77);
    cpu.cp0.hwrena = 0xF;
    assert_eq!(run(&mut cpu, rdhwr(8, 29)), Outcome::Exception(ExcCode::RI));
    // CU0 counts as privileged.
    let mut cpu = user_cpu();
    cpu.cp0.status |= 0x1000_0000;
    assert_eq!(run(&mut cpu, rdhwr(8, 3)), Outcome::Continue);
    assert_eq!(cpu.gpr[8], 2);
}

#[test]
fn rdpgpr_and_wrpgpr_use_the_only_register_set() {
    let mut cpu = kernel_cpu();
    cpu.gpr[9] = 0xABCD;
    assert_eq!(run(&mut cpu, rdpgpr(10, 9)), Outcome::Continue);
    assert_eq!(cpu.gpr[10], 0xABCD);
    cpu.gpr[11] = 0x55;
    assert_eq!(run(&mut cpu, wrpgpr(12, 11)), Outcome::Continue);
    assert_eq!(cpu.gpr[12], 0x55);
    assert_eq!(run(&mut cpu, wrpgpr(0, 11)), Outcome::Continue);
    assert_eq!(cpu.gpr[0], 0);
}

#[test]
fn ordinary_instructions_are_not_emulated() {
    for word in [ADDU, 0x0000_0080 /* sll $0,$0,2 */, 0x0000_000F /* sync */, 0x4400_0000 /* mfc1, with CU1 = 1 */] {
        let mut cpu = kernel_cpu();
        cpu.cp0.status = 0x2000_0000; // CU1
        let before = cpu.clone();
        assert_eq!(run(&mut cpu, word), Outcome::NotEmulated, "{word:08x}");
        assert_eq!(cpu, before);
    }
}

/// lw $2, 0($4) / sw $2, 0($4) / ll / sc / lwl, with $4 = `base`.
const LW: u32 = 0x8C82_0000;
const LH: u32 = 0x8482_0000;
const SW: u32 = 0xAC82_0000;
const LWL: u32 = 0x8882_0000;
const LL: u32 = 0xC082_0000;
const SC: u32 = 0xE082_0000;

fn access(cpu: &mut Cpu, word: u32, base: u32) -> Outcome {
    cpu.gpr[4] = base;
    cpu.execute(word, None)
}

#[test]
fn data_accesses_that_succeed_are_not_emulated() {
    for (word, base) in [(LW, 0x8000_0100), (SW, 0xA000_0100), (LWL, 0x8000_0103), (LL, 0x8000_0200), (LH, 0x8000_0102)] {
        let mut cpu = kernel_cpu();
        let before = cpu.clone();
        assert_eq!(access(&mut cpu, word, base), Outcome::NotEmulated, "{word:08x} at {base:08x}");
        let mut expected = before;
        expected.gpr[4] = base;
        assert_eq!(cpu, expected);
    }
    // Through a valid, dirty TLB entry.
    let mut cpu = kernel_cpu();
    cpu.tlb.entries[3] = TlbEntry::from_regs(TlbRegs { entry_hi: 0x0040_0000, entry_lo0: 0x46, entry_lo1: 0x46, page_mask: 0 });
    assert_eq!(access(&mut cpu, SW, 0x0040_1000), Outcome::NotEmulated);
}

#[test]
fn data_access_faults() {
    // Misaligned: AdEL / AdES with BadVAddr; lwl has no alignment rule.
    let mut cpu = kernel_cpu();
    assert_eq!(access(&mut cpu, LW, 0x8000_0102), Outcome::Exception(ExcCode::AdEL));
    assert_eq!(cpu.cp0.badvaddr, 0x8000_0102);
    let mut cpu = kernel_cpu();
    assert_eq!(access(&mut cpu, SW, 0x8000_0101), Outcome::Exception(ExcCode::AdES));
    let mut cpu = kernel_cpu();
    assert_eq!(access(&mut cpu, LH, 0x8000_0101), Outcome::Exception(ExcCode::AdEL));
    // User mode: kernel segments are address errors.
    let mut cpu = user_cpu();
    assert_eq!(access(&mut cpu, LW, 0x8000_0100), Outcome::Exception(ExcCode::AdEL));
    assert_eq!(cpu.cp0.epc, 0x0040_0000);
    // TLB refill in kuseg and kseg2, with EXL 0 (offset 0) and 1 (0x180).
    let mut cpu = kernel_cpu();
    cpu.cp0.entryhi = 0x22;
    assert_eq!(access(&mut cpu, SW, 0xC000_1234 & !3), Outcome::Exception(ExcCode::TLBS));
    assert_eq!(cpu.pc, 0x8000_0000);
    assert_eq!(cpu.cp0.entryhi, 0xC000_0022);
    assert_eq!(cpu.cp0.badvaddr, 0xC000_1234);
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x2;
    assert_eq!(access(&mut cpu, LW, 0x1000_0000), Outcome::Exception(ExcCode::TLBL));
    assert_eq!(cpu.pc, 0x8000_0180);
    // Invalid and modified.
    let mut cpu = kernel_cpu();
    cpu.tlb.entries[3] = TlbEntry::from_regs(TlbRegs { entry_hi: 0x0040_0000, entry_lo0: 0x42, entry_lo1: 0x40, page_mask: 0 });
    assert_eq!(access(&mut cpu, LW, 0x0040_1000), Outcome::Exception(ExcCode::TLBL));
    assert_eq!(cpu.pc, 0x8000_0180, "invalid is not a refill");
    let mut cpu = kernel_cpu();
    cpu.tlb.entries[3] = TlbEntry::from_regs(TlbRegs { entry_hi: 0x0040_0000, entry_lo0: 0x42, entry_lo1: 0x40, page_mask: 0 });
    assert_eq!(access(&mut cpu, SW, 0x0040_0000), Outcome::Exception(ExcCode::Mod));
    // In a delay slot: EPC = the branch, BD = 1.
    let mut cpu = kernel_cpu();
    cpu.gpr[4] = 0x8000_0102;
    assert_eq!(cpu.execute(beq(0, 0, 4), Some(LW)), Outcome::Exception(ExcCode::AdEL));
    assert_eq!((cpu.cp0.epc, cpu.cp0.cause_bd()), (0x8000_1000, 1));
    // The slot sees the link register the branch wrote.
    let mut cpu = kernel_cpu();
    assert_eq!(cpu.execute(jal(0x100), Some(0x8FE2_0001 /* lw $2, 1($31) */)), Outcome::Exception(ExcCode::AdEL));
    assert_eq!(cpu.cp0.badvaddr, 0x8000_1009);
    // ...and an access that succeeds leaves the link unwritten.
    let mut cpu = kernel_cpu();
    let before = cpu.clone();
    assert_eq!(cpu.execute(jal(0x100), Some(0x8FE2_0000)), Outcome::NotEmulated);
    assert_eq!(cpu, before);
}

#[test]
fn sc_without_reservation_fails_quietly() {
    let mut cpu = kernel_cpu();
    cpu.lladdr = 1;
    cpu.gpr[2] = 0x55;
    // Misaligned and unmapped, yet no exception: QEMU compares first.
    assert_eq!(access(&mut cpu, SC, 0xC000_0002), Outcome::Continue);
    assert_eq!(cpu.gpr[2], 0);
    assert_eq!(cpu.pc, 0x8000_1004);
    // With the reservation it is a real store (faults are raised).
    let mut cpu = kernel_cpu();
    cpu.lladdr = 0xC000_0000;
    assert_eq!(access(&mut cpu, SC, 0xC000_0000), Outcome::Exception(ExcCode::TLBS));
    let mut cpu = kernel_cpu();
    cpu.lladdr = 0x8000_0000;
    assert_eq!(access(&mut cpu, SC, 0x8000_0000), Outcome::NotEmulated);
}

#[test]
fn unknown_words_raise_ri_and_absent_coprocessors_cpu() {
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, 0xFC00_0000), Outcome::Exception(ExcCode::RI));
    // mfc1 with CU1 = 0, even an invalid COP1 word.
    for word in [0x4400_0000, 0x45E0_0000, 0xC482_0000 /* lwc1 */, 0x0000_0001 /* movf */, 0x4C00_0000] {
        let mut cpu = kernel_cpu();
        assert_eq!(run(&mut cpu, word), Outcome::Exception(ExcCode::CpU), "{word:08x}");
        assert_eq!(cpu.cp0.cause_ce(), 1);
    }
    // lwc2 etc.: CpU 2; the COP2 opcode: RI.
    for word in [0xC882_0000u32, 0xD882_0000, 0xE882_0000, 0xF882_0000] {
        let mut cpu = kernel_cpu();
        assert_eq!(run(&mut cpu, word), Outcome::Exception(ExcCode::CpU), "{word:08x}");
        assert_eq!(cpu.cp0.cause_ce(), 2);
    }
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, 0x4800_0000 /* mfc2 */), Outcome::Exception(ExcCode::RI));
}

#[test]
fn rdhwr_encoding_rules() {
    // rs and bits 10:9 are ignored; sel (bits 8:6) != 0 is RI.
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, rdhwr(8, 3) | 0x03E0_0600), Outcome::Continue);
    assert_eq!(cpu.gpr[8], 2);
    assert_eq!(run(&mut cpu, rdhwr(8, 3) | 0x40), Outcome::Exception(ExcCode::RI));
}

#[test]
fn syscall_break_and_traps() {
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, 0x0000_000C | (0x1234 << 6)), Outcome::Exception(ExcCode::Sys));
    assert_eq!(cpu.cp0.epc, 0x8000_1000);
    let mut cpu = kernel_cpu();
    assert_eq!(run(&mut cpu, 0x0000_000D), Outcome::Exception(ExcCode::Bp));
    // In a delay slot.
    let mut cpu = kernel_cpu();
    assert_eq!(cpu.execute(j(0x100), Some(0x0000_000C)), Outcome::Exception(ExcCode::Sys));
    assert_eq!((cpu.cp0.epc, cpu.cp0.cause_bd()), (0x8000_1000, 1));

    // Register traps: (funct, rs, rt, traps). rs = $4, rt = $5.
    let neg = 0xFFFF_FFFF;
    for (funct, a, b, traps) in [
        (0x30, 1, neg, true),   // tge: 1 >= -1
        (0x30, neg, 1, false),
        (0x31, 1, neg, false),  // tgeu: 1 >= 0xFFFFFFFF unsigned
        (0x31, neg, 1, true),
        (0x32, neg, 1, true),   // tlt
        (0x32, 1, 1, false),
        (0x33, 1, neg, true),   // tltu
        (0x33, neg, 1, false),
        (0x34, 7, 7, true),     // teq
        (0x34, 7, 8, false),
        (0x36, 7, 8, true),     // tne
        (0x36, 7, 7, false),
    ] {
        let mut cpu = kernel_cpu();
        cpu.gpr[4] = a;
        cpu.gpr[5] = b;
        let word = (4 << 21) | (5 << 16) | (0x3FF << 6) | funct;
        let expected = if traps { Outcome::Exception(ExcCode::Tr) } else { Outcome::Continue };
        assert_eq!(run(&mut cpu, word), expected, "funct {funct:02x} {a:x} {b:x}");
    }
    // Immediate traps: (rt field, rs value, imm, traps).
    for (op, a, imm, traps) in [
        (8u32, 0u32, -1i16, true), // tgei 0 >= -1
        (8, neg, 0, false),
        (9, 5, -1, false),         // tgeiu 5 >= 0xFFFFFFFF
        (9, neg, -1, true),
        (10, neg, 0, true),        // tlti
        (11, 5, -1, true),         // tltiu 5 < 0xFFFFFFFF
        (11, neg, 5, false),
        (12, neg, -1, true),       // teqi
        (12, 1, -1, false),
        (14, 1, -1, true),         // tnei
        (14, neg, -1, false),
    ] {
        let mut cpu = kernel_cpu();
        cpu.gpr[4] = a;
        let word = 0x0400_0000 | (4 << 21) | (op << 16) | u32::from(imm as u16);
        let expected = if traps { Outcome::Exception(ExcCode::Tr) } else { Outcome::Continue };
        assert_eq!(run(&mut cpu, word), expected, "regimm {op} {a:x} {imm}");
        if !traps {
            assert_eq!(cpu.pc, 0x8000_1004);
        }
    }
}

#[test]
fn add_addi_sub_trap_on_overflow() {
    // add $2, $4, $5 / sub $2, $4, $5 / addi $2, $4, imm
    let add = (4 << 21) | (5 << 16) | (2 << 11) | 0x20;
    let sub = (4 << 21) | (5 << 16) | (2 << 11) | 0x22;
    let addi = |imm: i16| 0x2000_0000 | (4 << 21) | (2 << 16) | u32::from(imm as u16);
    for (word, a, b, result) in [
        (add, 1, 2, Some(3)),
        (add, 0x7FFF_FFFF, 1, None),
        (add, 0x8000_0000, 0xFFFF_FFFF, None),
        (add, 0xFFFF_FFFF, 0xFFFF_FFFF, Some(0xFFFF_FFFE)),
        (sub, 5, 7, Some(0xFFFF_FFFE)),
        (sub, 0x8000_0000, 1, None),
        (sub, 0x7FFF_FFFF, 0xFFFF_FFFF, None),
        (addi(-1), 0, 0, Some(0xFFFF_FFFF)),
        (addi(1), 0x7FFF_FFFF, 0, None),
        (addi(-1), 0x8000_0000, 0, None),
    ] {
        let mut cpu = kernel_cpu();
        cpu.gpr[4] = a;
        cpu.gpr[5] = b;
        cpu.gpr[2] = 0xDEAD;
        match result {
            Some(value) => {
                assert_eq!(run(&mut cpu, word), Outcome::Continue, "{word:08x} {a:x} {b:x}");
                assert_eq!(cpu.gpr[2], value);
            }
            None => {
                assert_eq!(run(&mut cpu, word), Outcome::Exception(ExcCode::Ov), "{word:08x} {a:x} {b:x}");
                assert_eq!(cpu.gpr[2], 0xDEAD, "rd unchanged");
            }
        }
    }
    // rd = $0 still traps; in a likely branch's slot, with BD.
    let mut cpu = kernel_cpu();
    cpu.gpr[4] = 0x7FFF_FFFF;
    cpu.gpr[5] = 1;
    assert_eq!(run(&mut cpu, (4 << 21) | (5 << 16) | 0x20), Outcome::Exception(ExcCode::Ov));
    let mut cpu = kernel_cpu();
    cpu.gpr[4] = 0x7FFF_FFFF;
    cpu.gpr[5] = 1;
    assert_eq!(cpu.execute(beql(0, 0, 4), Some(add)), Outcome::Exception(ExcCode::Ov));
    assert_eq!((cpu.cp0.epc, cpu.cp0.cause_bd()), (0x8000_1000, 1));
}

/// The generated views read the spec's fields out of any raw value.
#[test]
fn views_read_fields_of_raw_values() {
    use emulator::view::{Cause, EntryHi, Status};
    let cause = Cause(0x8000_0000 | (2 << 28) | (9 << 2));
    assert_eq!((cause.bd(), cause.ce(), cause.exccode()), (1, 2, 9));
    assert_eq!(Status(0x1000_0013).ksu(), 2);
    assert_eq!(Status(0x1000_0013).cu0(), 1);
    assert_eq!((EntryHi(0x0040_2042).vpn2(), EntryHi(0x0040_2042).asid()), (0x0040_2042 >> 13, 0x42));
}

/// The setters write one field of a raw value, cut to its width, and
/// leave the others.
#[test]
fn views_set_fields_of_raw_values() {
    use emulator::view::{Cause, EntryLo0, Status};
    assert_eq!(Cause(0).with_exccode(9).0, 9 << 2);
    assert_eq!(Cause(0xFFFF_FFFF).with_exccode(0).0, 0xFFFF_FF83);
    assert_eq!(Cause(0).with_exccode(0x25).0, 5 << 2, "cut to 5 bits");
    assert_eq!(Status(0x1000_0001).with_ksu(2).0, 0x1000_0011);
    assert_eq!(Status(0xFFFF_FFFF).with_im(0x84).0, 0xFFFF_84FF);
    let lo = EntryLo0(0).with_pfn(0x0001_2345).with_c(3).with_d(1).with_v(1);
    assert_eq!((lo.pfn(), lo.c(), lo.d(), lo.v(), lo.g()), (0x0001_2345, 3, 1, 1, 0));
    assert_eq!(lo.0, (0x12345 << 6) | (3 << 3) | 0b110);
}
