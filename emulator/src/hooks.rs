//! The hooks the CP0 spec names: one plain function each. Register hooks
//! carry the QEMU behaviour a writable mask cannot express; instruction
//! hooks are the privileged instructions.
//!
//! Signatures (checked by the generated code):
//! - read hook: `fn(&mut Cpu) -> u32`, the value mfc0 returns;
//! - write hook: `fn(&mut Cpu, value, merged) -> u32`, where `value` is what
//!   mtc0 wrote and `merged` is `(old & !mask) | (value & mask)`; returns
//!   what the register keeps;
//! - instruction hook: `fn(&mut Cpu, operands...) -> Result<Next, Exception>`.
use crate::tlb::{TlbEntry, TlbRegs};
use crate::{AddressMap, Cp0, Cp0Reg, Cpu, Exception, ExceptionKind, Next, CCRES, LLADDR_SHIFT, SYNCI_STEP, TLB_ENTRIES};

type Step = Result<Next, Exception>;

// ---------------------------------------------------------------- registers

/// Index: a write whose index (bits 30:0) is not below the TLB size is
/// ignored entirely; P is kept.
pub fn index_write(cpu: &mut Cpu, value: u32, merged: u32) -> u32 {
    if (value & 0x7FFF_FFFF) < TLB_ENTRIES as u32 {
        merged
    } else {
        cpu.cp0.index
    }
}

/// Random: a fresh draw of QEMU's LCG in [Wired, TLB_ENTRIES - 1].
pub fn random_read(cpu: &mut Cpu) -> u32 {
    let wired = cpu.cp0.wired;
    cpu.lcg.next(wired)
}

/// PageMask: kept only if Mask is a page size of the 24Kf (ones contiguous
/// from bit 13, an even number of them); anything else makes it 0.
pub fn pagemask_write(_cpu: &mut Cpu, value: u32, _merged: u32) -> u32 {
    let mask = (value >> 13) & 0xFFFF;
    let contiguous = mask & (mask + 1) == 0;
    let even = mask.count_ones().is_multiple_of(2);
    if contiguous && even {
        mask << 13
    } else {
        0
    }
}

/// EBase: the exception base stays in the unmapped kernel segment of the
/// CPU's map. Natively the mask keeps bits 31:30 at 10; a guest map fixes
/// the bits [`GuestMap::ebase_fixed`](crate::addrmap::GuestMap) says to its
/// KSEG0 base (the kvm-guest map: bits 31:29, as KVM did).
pub fn ebase_write(cpu: &mut Cpu, _value: u32, merged: u32) -> u32 {
    match cpu.map {
        AddressMap::Native => merged,
        AddressMap::Guest(map) => {
            let base = map.from_native(0x8000_0000).unwrap_or(0);
            (merged & !map.ebase_fixed) | (base & map.ebase_fixed)
        }
    }
}

/// Compare: clears Cause.TI and lowers the timer line (Cause.IP bit
/// IntCtl.IPTI).
pub fn compare_write(cpu: &mut Cpu, _value: u32, merged: u32) -> u32 {
    cpu.cp0.set_cause_ti(0);
    let line = cpu.cp0.intctl_ipti();
    cpu.cp0.cause &= !(1u32 << (8 + (line & 7)));
    merged
}

/// LLAddr reads the stored address shifted right.
pub fn lladdr_read(cpu: &mut Cpu) -> u32 {
    cpu.cp0.lladdr >> (LLADDR_SHIFT & 31)
}

/// Debug bits a write keeps from the old value.
const DEBUG_KEEP: u32 = 0x8C03_FC1F;

/// Debug reads DM from debug mode.
pub fn debug_read(cpu: &mut Cpu) -> u32 {
    let dm = if cpu.debug_mode { Cp0::DEBUG_DM } else { 0 };
    cpu.cp0.debug | dm
}

/// Debug: keeps `DEBUG_KEEP` of the old value, takes the writable bits of
/// the new one (the rest is cleared), and bit 30 enters or leaves debug mode.
pub fn debug_write(cpu: &mut Cpu, value: u32, _merged: u32) -> u32 {
    cpu.debug_mode = value & Cp0::DEBUG_DM != 0;
    (cpu.cp0.debug & DEBUG_KEEP) | (value & Cp0::write_mask(Cp0Reg::DEBUG))
}

// ---------------------------------------------------------------- instructions

/// mfc0: `mfc0 $0, ...` does nothing at all (no read side effects, no RI).
pub fn mfc0(cpu: &mut Cpu, rt: u8, rd: u8, sel: u8) -> Step {
    if rt == 0 {
        return Ok(Next::Continue);
    }
    let value = cpu.cp0_read(Cp0Reg::new(rd, sel)).map_err(|_| Exception::reserved_instruction())?;
    cpu.set_reg(rt, value);
    Ok(Next::Continue)
}

/// mtc0: the spec's mask and write hook.
pub fn mtc0(cpu: &mut Cpu, rt: u8, rd: u8, sel: u8) -> Step {
    let value = cpu.reg(rt);
    cpu.cp0_write(Cp0Reg::new(rd, sel), value).map_err(|_| Exception::reserved_instruction())?;
    Ok(Next::Continue)
}

fn tlb_regs(cp0: &Cp0) -> TlbRegs {
    TlbRegs { entry_hi: cp0.entryhi, entry_lo0: cp0.entrylo0, entry_lo1: cp0.entrylo1, page_mask: cp0.pagemask }
}

/// tlbr: loads entry `Index % size` (its ASID goes into EntryHi).
pub fn tlbr(cpu: &mut Cpu) -> Step {
    cpu.tlb.drop_all_kept();
    let regs = cpu.tlb.entry(cpu.cp0.index & 0x7FFF_FFFF).to_regs();
    cpu.cp0.entryhi = regs.entry_hi;
    cpu.cp0.entrylo0 = regs.entry_lo0;
    cpu.cp0.entrylo1 = regs.entry_lo1;
    cpu.cp0.pagemask = regs.page_mask;
    Ok(Next::Continue)
}

/// tlbwi: writes entry `Index % size`.
pub fn tlbwi(cpu: &mut Cpu) -> Step {
    let entry = TlbEntry::from_regs(tlb_regs(&cpu.cp0));
    cpu.tlb.write_indexed(cpu.cp0.index & 0x7FFF_FFFF, entry);
    Ok(Next::Continue)
}

/// tlbwr: writes the entry a fresh Random draw names.
pub fn tlbwr(cpu: &mut Cpu) -> Step {
    let index = cpu.lcg.next(cpu.cp0.wired);
    let entry = TlbEntry::from_regs(tlb_regs(&cpu.cp0));
    cpu.tlb.write_random(index, entry, (cpu.cp0.entryhi & crate::ASID_MASK) as u8);
    Ok(Next::Continue)
}

/// tlbp: Index = the first match (P = 0); on a miss only P is set.
pub fn tlbp(cpu: &mut Cpu) -> Step {
    match cpu.tlb.probe(cpu.cp0.entryhi) {
        Some(index) => cpu.cp0.index = index,
        None => cpu.cp0.index |= Cp0::INDEX_P,
    }
    Ok(Next::Continue)
}

/// eret: ErrorEPC and ERL first, else EPC and EXL; clears the LL
/// reservation (QEMU sets LLAddr to 1). No delay slot.
pub fn eret(cpu: &mut Cpu) -> Step {
    let target = if cpu.cp0.status_erl() != 0 {
        cpu.cp0.set_status_erl(0);
        cpu.cp0.errorepc
    } else {
        cpu.cp0.set_status_exl(0);
        cpu.cp0.epc
    };
    cpu.lladdr = 1;
    cpu.cp0.lladdr = 1;
    // Bit 0 selects MIPS16 (kept in `pc`, see `Cpu::pc`).
    Ok(Next::Jump(target))
}

/// deret: RI outside debug mode; else leaves it and returns to DEPC.
pub fn deret(cpu: &mut Cpu) -> Step {
    if !cpu.debug_mode {
        return Err(Exception::reserved_instruction());
    }
    cpu.debug_mode = false;
    Ok(Next::Jump(cpu.cp0.depc))
}

/// wait: continue at the next instruction once an interrupt is pending.
pub fn wait(_cpu: &mut Cpu) -> Step {
    Ok(Next::Wait)
}

/// di: rt = Status, then IE = 0.
pub fn di(cpu: &mut Cpu, rt: u8) -> Step {
    let status = cpu.cp0.status;
    cpu.cp0.set_status_ie(0);
    cpu.set_reg(rt, status);
    Ok(Next::Continue)
}

/// ei: rt = Status, then IE = 1.
pub fn ei(cpu: &mut Cpu, rt: u8) -> Step {
    let status = cpu.cp0.status;
    cpu.cp0.set_status_ie(1);
    cpu.set_reg(rt, status);
    Ok(Next::Continue)
}

/// cache: a no-op once the CpU check has passed (no translation, no
/// exceptions).
pub fn cache(_cpu: &mut Cpu) -> Step {
    Ok(Next::Continue)
}

/// rdpgpr rd, rt: rd = rt of the previous shadow set. The 24Kf has no
/// shadow sets (SRSCtl.HSS = 0), so that is the current set.
pub fn rdpgpr(cpu: &mut Cpu, rd: u8, rt: u8) -> Step {
    let value = cpu.reg(rt);
    cpu.set_reg(rd, value);
    Ok(Next::Continue)
}

/// wrpgpr rd, rt: rd of the previous shadow set = rt (the current set).
pub fn wrpgpr(cpu: &mut Cpu, rd: u8, rt: u8) -> Step {
    let value = cpu.reg(rt);
    cpu.set_reg(rd, value);
    Ok(Next::Continue)
}

/// rdhwr rt, rd: hardware registers 0-3 (CPUNum, SYNCI_Step, CC, CCRes)
/// when COP0 is usable or HWREna enables them; 29 (UserLocal, always 0 on a
/// CPU without Config3.ULRI) only when COP0 is usable; anything else is RI.
pub fn rdhwr(cpu: &mut Cpu, rt: u8, rd: u8) -> Step {
    let privileged = cpu.cp0_usable();
    let enabled = |bit: u8| privileged || cpu.cp0.hwrena & (1u32 << (bit & 31)) != 0;
    let value = match rd {
        0 if enabled(0) => cpu.cp0.ebase & 0x3FF,
        1 if enabled(1) => SYNCI_STEP,
        2 if enabled(2) => cpu.cp0.count,
        3 if enabled(3) => CCRES,
        29 if privileged => 0,
        _ => return Err(Exception::reserved_instruction()),
    };
    cpu.set_reg(rt, value);
    Ok(Next::Continue)
}

// ---------------------------------------------------------------- traps

/// syscall: the System Call exception.
pub fn syscall(_cpu: &mut Cpu) -> Step {
    Err(Exception::new(ExceptionKind::Syscall))
}

/// break: the Breakpoint exception.
pub fn breakpoint(_cpu: &mut Cpu) -> Step {
    Err(Exception::new(ExceptionKind::Breakpoint))
}

/// sdbbp: the EJTAG debug exception (debug mode, DEPC, the debug vector).
pub fn sdbbp(_cpu: &mut Cpu) -> Step {
    Err(Exception::new(ExceptionKind::DebugBreakpoint))
}

/// The Trap exception when `condition` holds; else nothing.
fn trap_if(condition: bool) -> Step {
    if condition {
        Err(Exception::new(ExceptionKind::Trap))
    } else {
        Ok(Next::Continue)
    }
}

/// GPR `r` as a signed value.
fn signed(cpu: &Cpu, r: u8) -> i32 {
    cpu.reg(r) as i32
}

pub fn tge(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(signed(cpu, rs) >= signed(cpu, rt))
}

pub fn tgeu(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(cpu.reg(rs) >= cpu.reg(rt))
}

pub fn tlt(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(signed(cpu, rs) < signed(cpu, rt))
}

pub fn tltu(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(cpu.reg(rs) < cpu.reg(rt))
}

pub fn teq(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(cpu.reg(rs) == cpu.reg(rt))
}

pub fn tne(cpu: &mut Cpu, rs: u8, rt: u8) -> Step {
    trap_if(cpu.reg(rs) != cpu.reg(rt))
}

pub fn tgei(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(signed(cpu, rs) >= i32::from(imm))
}

/// The immediate is sign-extended, then compared unsigned.
pub fn tgeiu(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(cpu.reg(rs) >= i32::from(imm) as u32)
}

pub fn tlti(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(signed(cpu, rs) < i32::from(imm))
}

/// The immediate is sign-extended, then compared unsigned.
pub fn tltiu(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(cpu.reg(rs) < i32::from(imm) as u32)
}

pub fn teqi(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(signed(cpu, rs) == i32::from(imm))
}

pub fn tnei(cpu: &mut Cpu, rs: u8, imm: i16) -> Step {
    trap_if(signed(cpu, rs) != i32::from(imm))
}

// ---------------------------------------------------------------- overflow

/// rd = the sum, or the Overflow exception (rd unchanged).
fn overflow_checked(cpu: &mut Cpu, rd: u8, result: Option<i32>) -> Step {
    match result {
        Some(value) => {
            cpu.set_reg(rd, value as u32);
            Ok(Next::Continue)
        }
        None => Err(Exception::new(ExceptionKind::Overflow)),
    }
}

pub fn add(cpu: &mut Cpu, rd: u8, rs: u8, rt: u8) -> Step {
    let result = signed(cpu, rs).checked_add(signed(cpu, rt));
    overflow_checked(cpu, rd, result)
}

pub fn addi(cpu: &mut Cpu, rt: u8, rs: u8, imm: i16) -> Step {
    let result = signed(cpu, rs).checked_add(i32::from(imm));
    overflow_checked(cpu, rt, result)
}

pub fn sub(cpu: &mut Cpu, rd: u8, rs: u8, rt: u8) -> Step {
    let result = signed(cpu, rs).checked_sub(signed(cpu, rt));
    overflow_checked(cpu, rd, result)
}
