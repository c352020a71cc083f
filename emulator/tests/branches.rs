//! Branches and jumps of every kind, with privileged instructions in their
//! delay slots, likely annulment, links, and exceptions in the slot.
mod common;
use common::*;
use emulator::{Cpu, ExcCode, Outcome};

const PC: u32 = 0x8000_1000;

/// Runs `branch` at PC with `slot` (mfc0 $2, PRId: an emulated slot that
/// leaves a trace) and returns the next PC.
fn next_pc(cpu: &mut Cpu, branch: u32) -> u32 {
    cpu.pc = PC;
    cpu.gpr[2] = 0;
    assert_eq!(cpu.execute(branch, Some(mfc0(2, 15, 0))), Outcome::Continue, "{branch:08x}");
    cpu.pc
}

fn cpu_with(rs: u32, rt: u32) -> Cpu {
    let mut cpu = kernel_cpu();
    cpu.gpr[4] = rs;
    cpu.gpr[5] = rt;
    cpu
}

const TAKEN: u32 = PC + 4 + 0x40;
const NOT_TAKEN: u32 = PC + 8;

#[test]
fn conditions_compare_signed() {
    // (word builder, rs value, rt value, taken)
    let neg = 0xFFFF_FFFF; // -1: a signed comparison must see it as negative
    let cases: &[(u32, u32, u32, bool)] = &[
        (beq(4, 5, 0x10), 1, 1, true),
        (beq(4, 5, 0x10), 1, 2, false),
        (bne(4, 5, 0x10), 1, 2, true),
        (bne(4, 5, 0x10), 3, 3, false),
        (blez(4, 0x10), 0, 0, true),
        (blez(4, 0x10), neg, 0, true),
        (blez(4, 0x10), 1, 0, false),
        (bgtz(4, 0x10), 1, 0, true),
        (bgtz(4, 0x10), neg, 0, false),
        (bgtz(4, 0x10), 0, 0, false),
        (regimm(4, 0, 0x10), neg, 0, true),   // bltz
        (regimm(4, 0, 0x10), 0, 0, false),    // bltz
        (regimm(4, 1, 0x10), 0, 0, true),     // bgez
        (regimm(4, 1, 0x10), 0x8000_0000, 0, false),
    ];
    for &(word, rs, rt, taken) in cases {
        let mut cpu = cpu_with(rs, rt);
        let next = next_pc(&mut cpu, word);
        assert_eq!(next, if taken { TAKEN } else { NOT_TAKEN }, "{word:08x} rs={rs:x} rt={rt:x}");
        assert_eq!(cpu.gpr[2], 0x0001_9300, "slot executed: {word:08x}");
        assert_eq!(cpu.gpr[31], 0, "no link: {word:08x}");
    }
}

#[test]
fn backward_offsets() {
    let mut cpu = cpu_with(0, 0);
    assert_eq!(next_pc(&mut cpu, beq(0, 0, -1)), PC);
    assert_eq!(next_pc(&mut cpu, beq(0, 0, i16::MIN)), PC + 4 - 0x2_0000);
}

#[test]
fn likely_branches_annul_the_slot_when_not_taken() {
    // (word, rs, rt, taken)
    let cases: &[(u32, u32, u32, bool)] = &[
        (beql(4, 5, 0x10), 1, 1, true),
        (beql(4, 5, 0x10), 1, 2, false),
        (bnel(4, 5, 0x10), 1, 2, true),
        (bnel(4, 5, 0x10), 1, 1, false),
        (blezl(4, 0x10), 0, 0, true),
        (blezl(4, 0x10), 5, 0, false),
        (bgtzl(4, 0x10), 5, 0, true),
        (bgtzl(4, 0x10), 0, 0, false),
        (regimm(4, 2, 0x10), 0xFFFF_FFFF, 0, true), // bltzl
        (regimm(4, 2, 0x10), 0, 0, false),
        (regimm(4, 3, 0x10), 0, 0, true), // bgezl
        (regimm(4, 3, 0x10), 0xFFFF_FFFF, 0, false),
    ];
    for &(word, rs, rt, taken) in cases {
        let mut cpu = cpu_with(rs, rt);
        let next = next_pc(&mut cpu, word);
        assert_eq!(next, if taken { TAKEN } else { NOT_TAKEN }, "{word:08x}");
        assert_eq!(cpu.gpr[2], if taken { 0x0001_9300 } else { 0 }, "slot: {word:08x}");
    }
    // An annulled slot may hold anything, even an instruction the emulator
    // does not handle, or nothing at all.
    let mut cpu = cpu_with(1, 2);
    cpu.pc = PC;
    assert_eq!(cpu.execute(beql(4, 5, 0x10), Some(ADDU)), Outcome::Continue);
    assert_eq!(cpu.pc, NOT_TAKEN);
    cpu.pc = PC;
    assert_eq!(cpu.execute(beql(4, 5, 0x10), None), Outcome::Continue);
    assert_eq!(cpu.pc, NOT_TAKEN);
}

#[test]
fn linking_branches_link_taken_or_not() {
    for (word, rs, taken) in [
        (regimm(4, 16, 0x10), 0xFFFF_FFFF, true), // bltzal
        (regimm(4, 16, 0x10), 1, false),
        (regimm(4, 17, 0x10), 0, true), // bgezal
        (regimm(4, 17, 0x10), 0xFFFF_FFFF, false),
        (regimm(4, 18, 0x10), 1, false), // bltzall: annulled, still links
        (regimm(4, 19, 0x10), 1, true),  // bgezall
    ] {
        let mut cpu = cpu_with(rs, 0);
        let next = next_pc(&mut cpu, word);
        assert_eq!(next, if taken { TAKEN } else { NOT_TAKEN }, "{word:08x}");
        assert_eq!(cpu.gpr[31], PC + 8, "{word:08x}");
    }
    // The condition reads $31 before the link overwrites it.
    let mut cpu = kernel_cpu();
    cpu.gpr[31] = 0xFFFF_FFFF;
    assert_eq!(next_pc(&mut cpu, regimm(31, 16, 0x10)), TAKEN);
    assert_eq!(cpu.gpr[31], PC + 8);
}

#[test]
fn jumps() {
    let mut cpu = kernel_cpu();
    assert_eq!(next_pc(&mut cpu, j(0x0123_4568)), 0x8123_4568);
    assert_eq!(cpu.gpr[31], 0);
    assert_eq!(next_pc(&mut cpu, jal(0x0000_0100)), 0x8000_0100);
    assert_eq!(cpu.gpr[31], PC + 8);
    // The region comes from the delay slot's address.
    let mut cpu = kernel_cpu();
    cpu.pc = 0x8FFF_FFFC;
    assert_eq!(cpu.execute(j(0x0000_0040), Some(mfc0(2, 15, 0))), Outcome::Continue);
    assert_eq!(cpu.pc, 0x9000_0040);

    let mut cpu = kernel_cpu();
    cpu.gpr[7] = 0x8000_4444;
    assert_eq!(next_pc(&mut cpu, jr(7)), 0x8000_4444);
    assert_eq!(next_pc(&mut cpu, jalr(9, 7)), 0x8000_4444);
    assert_eq!(cpu.gpr[9], PC + 8);
    // jalr rd == rs: the target is read before the link.
    cpu.gpr[9] = 0x8000_5550;
    assert_eq!(next_pc(&mut cpu, jalr(9, 9)), 0x8000_5550);
    assert_eq!(cpu.gpr[9], PC + 8);
    // The slot sees the link value.
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    cpu.gpr[31] = 0;
    assert_eq!(cpu.execute(jal(0x100), Some(mtc0(31, 14, 0))), Outcome::Continue);
    assert_eq!(cpu.cp0.epc, PC + 8);
}

#[test]
fn fpu_branches_need_cu1_and_read_fcsr() {
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    assert_eq!(cpu.execute(bc1(0, true, false, 0x10), Some(mfc0(2, 15, 0))), Outcome::Exception(ExcCode::CpU));
    assert_eq!(cpu.cp0.cause_ce(), 1);
    assert_eq!(cpu.cp0.epc, PC);
    assert_eq!(cpu.cp0.cause_bd(), 0);

    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x2000_0000; // CU1
    cpu.fcsr = 1 << 23; // cc0
    assert_eq!(next_pc(&mut cpu, bc1(0, true, false, 0x10)), TAKEN);
    assert_eq!(next_pc(&mut cpu, bc1(0, false, false, 0x10)), NOT_TAKEN);
    cpu.fcsr = 1 << 27; // cc3
    assert_eq!(next_pc(&mut cpu, bc1(3, true, false, 0x10)), TAKEN);
    assert_eq!(next_pc(&mut cpu, bc1(0, true, false, 0x10)), NOT_TAKEN);
    // bc1tl not taken annuls the slot.
    assert_eq!(next_pc(&mut cpu, bc1(2, true, true, 0x10)), NOT_TAKEN);
    assert_eq!(cpu.gpr[2], 0);
}

#[test]
fn exception_in_the_slot_reports_the_branch() {
    // A reserved COP0 encoding in the slot of a taken branch.
    let mut cpu = cpu_with(1, 1);
    cpu.pc = PC;
    assert_eq!(cpu.execute(beq(4, 5, 0x10), Some(0x4200_0005)), Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.cp0.epc, PC);
    assert_eq!(cpu.cp0.cause_bd(), 1);
    assert_eq!(cpu.pc, 0x8000_0180);
    // The link was written before the slot faulted.
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    assert_eq!(cpu.execute(jal(0x100), Some(0x4200_0005)), Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.gpr[31], PC + 8);
    // CpU in the slot in user mode.
    let mut cpu = user_cpu();
    let pc = cpu.pc;
    assert_eq!(cpu.execute(beq(0, 0, 4), Some(mtc0(2, 12, 0))), Outcome::Exception(ExcCode::CpU));
    assert_eq!(cpu.cp0.epc, pc);
    assert_eq!(cpu.cp0.cause_bd(), 1);
    // A branch in a delay slot is RI.
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    assert_eq!(cpu.execute(j(0x100), Some(beq(0, 0, 4))), Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.cp0.cause_bd(), 1);
}

#[test]
fn privileged_slots() {
    // eret in the slot: its state changes happen, the branch decides the PC.
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x2;
    cpu.cp0.epc = 0x8000_7000;
    cpu.pc = PC;
    assert_eq!(cpu.execute(j(0x8000_2000), Some(ERET)), Outcome::Continue);
    assert_eq!(cpu.cp0.status, 0);
    assert_eq!(cpu.pc, 0x8000_2000);
    // tlbwi in the slot.
    let mut cpu = kernel_cpu();
    cpu.cp0.entryhi = 0x0000_6000;
    cpu.cp0.index = 2;
    cpu.pc = PC;
    assert_eq!(cpu.execute(beq(0, 0, 0x10), Some(TLBWI)), Outcome::Continue);
    assert_eq!(cpu.tlb.entries[2].vpn2(), 0x6000);
    assert_eq!(cpu.pc, TAKEN);
    // wait in the slot.
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    assert_eq!(cpu.execute(beq(0, 0, 0x10), Some(WAIT)), Outcome::Wait);
    assert_eq!(cpu.pc, TAKEN);
}

#[test]
fn unemulated_slots_change_nothing() {
    for (branch, slot) in [
        (beq(0, 0, 0x10), Some(ADDU)),
        (jal(0x100), Some(0x0000_000F /* sync */)),
        (regimm(0, 17, 4), Some(ADDU)), // bal
        (jr(4), None),
    ] {
        let mut cpu = kernel_cpu();
        let before = cpu.clone();
        assert_eq!(cpu.execute(branch, slot), Outcome::NotEmulated, "{branch:08x}");
        assert_eq!(cpu, before, "{branch:08x}");
    }
}

#[test]
fn never_taken_branches_without_link_are_nops() {
    // QEMU: `bne rx,rx`, `bgtz $0`, `bltz $0` are NOPs; the next word is
    // not a delay slot, so `execute` steps over the branch alone.
    for word in [bne(5, 5, 0x10), bne(0, 0, 0x10), bgtz(0, 0x10), regimm(0, 0, 0x10)] {
        let mut cpu = kernel_cpu();
        cpu.pc = PC;
        let before = cpu.clone();
        assert_eq!(cpu.execute(word, Some(0x4200_0005)), Outcome::Continue, "{word:08x}");
        let mut expected = before;
        expected.pc = PC + 4;
        assert_eq!(cpu, expected, "{word:08x}");
    }
    // bltzal $0 is a real branch (to pc+8) that links; its slot is a slot.
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    assert_eq!(cpu.execute(regimm(0, 16, 0x10), Some(0x4200_0005)), Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.cp0.cause_bd(), 1);
    assert_eq!(cpu.gpr[31], PC + 8);
    // bne with different registers that happen to be equal is a branch.
    let mut cpu = cpu_with(3, 3);
    cpu.pc = PC;
    assert_eq!(cpu.execute(bne(4, 5, 0x10), Some(0x4200_0005)), Outcome::Exception(ExcCode::RI));
    assert_eq!(cpu.cp0.cause_bd(), 1);
}

#[test]
fn branch_effect_for_callers_that_run_the_slot() {
    use emulator::branch::BranchEffect;
    let mut cpu = cpu_with(1, 2);
    cpu.pc = PC;
    let before = cpu.clone();
    assert_eq!(
        cpu.branch_effect(regimm(4, 17, 0x10)), // bgezal, taken
        Some(Ok(BranchEffect { link: Some((31, PC + 8)), slot_runs: true, next_pc: TAKEN }))
    );
    assert_eq!(
        cpu.branch_effect(beql(4, 5, 0x10)), // not taken: annulled
        Some(Ok(BranchEffect { link: None, slot_runs: false, next_pc: NOT_TAKEN }))
    );
    assert_eq!(
        cpu.branch_effect(bgtz(0, 0x10)), // QEMU NOP
        Some(Ok(BranchEffect { link: None, slot_runs: false, next_pc: PC + 4 }))
    );
    assert_eq!(
        cpu.branch_effect(jalr(6, 4)),
        Some(Ok(BranchEffect { link: Some((6, PC + 8)), slot_runs: true, next_pc: 1 }))
    );
    assert_eq!(cpu.branch_effect(ADDU), None);
    assert!(matches!(cpu.branch_effect(bc1(0, true, false, 4)), Some(Err(_))), "CU1 = 0");
    assert_eq!(cpu, before);
}

#[test]
fn jalx_switches_to_mips16() {
    let mut cpu = kernel_cpu();
    cpu.pc = PC;
    let jalx = 0x7400_0000 | (0x0000_0100 >> 2);
    assert_eq!(cpu.execute(jalx, Some(mfc0(2, 15, 0))), Outcome::Continue);
    assert_eq!(cpu.pc, 0x8000_0101, "bit 0: MIPS16 mode");
    assert_eq!(cpu.gpr[31], PC + 8);
    assert_eq!(cpu.gpr[2], 0x0001_9300);
    cpu.pc = PC;
    assert_eq!(cpu.branch_effect(jalx).unwrap().unwrap().next_pc, 0x8000_0101);
}

#[test]
fn nop_slots_are_emulated() {
    for nop in [NOP, 0x0000_0040 /* ssnop */, 0x0000_00C0 /* ehb */] {
        let mut cpu = kernel_cpu();
        cpu.pc = PC;
        assert_eq!(cpu.execute(jal(0x100), Some(nop)), Outcome::Continue);
        assert_eq!((cpu.pc, cpu.gpr[31]), (0x8000_0100, PC + 8));
    }
}
