//! Branches and jumps with their delay slot, evaluated from the spec's
//! `ControlFlow` description of each instruction.
use isa_spec::{Cond, ControlFlow};

use crate::decode::{self, Class};
use crate::{Cpu, Exception, Next, Outcome};

/// Where a branch goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub taken: bool,
    /// The taken target.
    pub target: u32,
    /// The register receiving the return address (branch + 8), if any.
    pub link: Option<u8>,
    /// A not-taken branch annuls its delay slot.
    pub likely: bool,
}

/// FPU condition code `cc` of FCSR (cc 0 is bit 23, cc n is bit 24 + n).
pub fn fp_condition(fcsr: u32, cc: u8) -> bool {
    let bit = if cc == 0 { 23 } else { 24 + u32::from(cc & 7) };
    fcsr & (1u32 << (bit & 31)) != 0
}

/// Evaluates the branch or jump at `cpu.pc`. `Err` is an exception the
/// branch itself raises (an FPU branch while Status.CU1 = 0, a COP2 branch);
/// `Ok(None)` is a branch the emulator does not handle (none today).
pub fn resolve(cpu: &Cpu, flow: ControlFlow) -> Result<Option<Resolved>, Exception> {
    let slot_pc = cpu.pc.wrapping_add(4);
    Ok(Some(match flow {
        ControlFlow::Branch { cond, rs, rt, offset, link, likely } => {
            let a = cpu.reg(rs) as i32;
            let b = cpu.reg(rt) as i32;
            let taken = match cond {
                Cond::Eq => a == b,
                Cond::Ne => a != b,
                Cond::Lez => a <= 0,
                Cond::Gtz => a > 0,
                Cond::Ltz => a < 0,
                Cond::Gez => a >= 0,
                Cond::FpTrue { cc } | Cond::FpFalse { cc } => {
                    if cpu.cp0.status_cu1() == 0 {
                        return Err(Exception::coprocessor_unusable(1));
                    }
                    fp_condition(cpu.fcsr, cc) == matches!(cond, Cond::FpTrue { .. })
                }
                // No COP2: QEMU 7.2 raises RI for the whole COP2 opcode
                // (`check_insn(ctx, ASE_LMMI)`), branches included.
                Cond::Cp2True { .. } | Cond::Cp2False { .. } => return Err(Exception::reserved_instruction()),
            };
            Resolved {
                taken,
                target: slot_pc.wrapping_add(offset as u32),
                link: if link { Some(31) } else { None },
                likely,
            }
        }
        ControlFlow::Jump { index, link } => Resolved {
            taken: true,
            target: (slot_pc & 0xF000_0000) | ((index & 0x03FF_FFFF) << 2),
            link: if link { Some(31) } else { None },
            likely: false,
        },
        ControlFlow::JumpReg { rs, link_rd } => Resolved {
            taken: true,
            target: cpu.reg(rs),
            link: link_rd,
            likely: false,
        },
    }))
}

/// What a branch does, for a caller that runs the delay slot itself (the
/// hypervisor emulating an MMIO access in a delay slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchEffect {
    /// Register and value to link (written before the slot runs).
    pub link: Option<(u8, u32)>,
    /// The slot runs (false: annulled likely branch, or a QEMU NOP branch
    /// whose next word is not a slot at all).
    pub slot_runs: bool,
    /// Where execution continues after the slot (or after the branch
    /// itself for a NOP branch).
    pub next_pc: u32,
}

/// Evaluates the branch `flow` at `cpu.pc` without changing anything.
/// `Err` is an exception the branch raises itself (enter it with
/// `Cpu::raise`; EPC is the branch, not in a delay slot).
/// `jalx` (opcode 0x1D) also switches to MIPS16: its target gets bit 0 set
/// (the ISA-mode bit, as in EPC).
pub fn is_jalx(word: u32) -> bool {
    word >> 26 == 0x1D
}

pub fn effect(cpu: &Cpu, flow: ControlFlow) -> Result<BranchEffect, Exception> {
    let pc = cpu.pc;
    if is_nop(&flow) {
        return Ok(BranchEffect { link: None, slot_runs: false, next_pc: pc.wrapping_add(4) });
    }
    let Some(resolved) = resolve(cpu, flow)? else {
        return Err(Exception::reserved_instruction());
    };
    Ok(BranchEffect {
        link: resolved.link.map(|r| (r, pc.wrapping_add(8))),
        slot_runs: resolved.taken || !resolved.likely,
        next_pc: if resolved.taken { resolved.target } else { pc.wrapping_add(8) },
    })
}

/// QEMU translates a branch that can never be taken and neither links nor
/// annuls (`bne rx,rx`, `bgtz $0`, `bltz $0`) as a NOP: the word after it
/// is an ordinary instruction, not a delay slot.
pub fn is_nop(flow: &ControlFlow) -> bool {
    match *flow {
        ControlFlow::Branch { cond, rs, rt, link: false, likely: false, .. } => match cond {
            Cond::Ne => rs == rt,
            Cond::Gtz | Cond::Ltz => rs == 0,
            _ => false,
        },
        _ => false,
    }
}

/// Executes the branch at `cpu.pc` and its delay slot `slot`.
pub(crate) fn execute(cpu: &mut Cpu, word: u32, flow: ControlFlow, slot: Option<u32>) -> Outcome {
    let branch_pc = cpu.pc;
    if is_nop(&flow) {
        cpu.pc = branch_pc.wrapping_add(4);
        return Outcome::Continue;
    }
    let resolved = match resolve(cpu, flow) {
        Ok(Some(resolved)) => resolved,
        Ok(None) => return Outcome::NotEmulated,
        Err(exception) => return Outcome::Exception(cpu.raise(exception)),
    };
    let return_address = branch_pc.wrapping_add(8);
    let fall_through = branch_pc.wrapping_add(8);
    if resolved.likely && !resolved.taken {
        if let Some(r) = resolved.link {
            cpu.set_reg(r, return_address);
        }
        cpu.pc = fall_through;
        return Outcome::Continue;
    }
    let Some(slot) = slot else { return Outcome::NotEmulated };
    // The branch writes its link register before the slot runs (the slot
    // may use it as a base address); undone if the slot is not emulated.
    let saved_link = resolved.link.map(|r| (r, cpu.reg(r)));
    if let Some(r) = resolved.link {
        cpu.set_reg(r, return_address);
    }
    let class = decode::classify(cpu, slot);
    if matches!(class, Class::NotEmulated) {
        if let Some((r, value)) = saved_link {
            cpu.set_reg(r, value);
        }
        return Outcome::NotEmulated;
    }
    let result = match class {
        // QEMU raises RI for a branch in a delay slot.
        Class::Branch(_) => Err(Exception::reserved_instruction()),
        other => cpu.run(other),
    };
    let target = if is_jalx(word) { resolved.target | 1 } else { resolved.target };
    let next = if resolved.taken { target } else { fall_through };
    match result {
        // A jump requested by the slot (ERET) is overridden by the branch.
        Ok(Next::Continue) | Ok(Next::Jump(_)) => {
            cpu.pc = next;
            cpu.take_interrupt()
        }
        Ok(Next::Wait) => {
            cpu.pc = next;
            cpu.waiting = true;
            Outcome::Wait
        }
        Err(mut exception) => {
            exception.in_delay_slot = true;
            cpu.pc = branch_pc;
            Outcome::Exception(cpu.raise(exception))
        }
    }
}
