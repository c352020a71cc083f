//! Operand printers named by the spec's operand kinds (`{rt:gpr}` calls
//! `gpr`). Each prints one operand exactly as GNU objdump does for
//! `-m mips:isa32r2`. Every printer gets the instruction's address, so branch
//! targets can be printed absolute.
use core::fmt::{Formatter, Result};

/// objdump's default (o32) GPR names, the one table of them: the
/// disassembler, the terminal's `vcpu regs` and the host exception report
/// print these.
pub const GPR: [&str; 32] = [
    "zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "s0", "s1",
    "s2", "s3", "s4", "s5", "s6", "s7", "t8", "t9", "k0", "k1", "gp", "sp", "s8", "ra",
];

/// CP0 register names objdump uses for `sel` 0 (MIPS32r2 names).
const CP0: [&str; 32] = [
    "c0_index", "c0_random", "c0_entrylo0", "c0_entrylo1", "c0_context", "c0_pagemask", "c0_wired", "c0_hwrena",
    "c0_badvaddr", "c0_count", "c0_entryhi", "c0_compare", "c0_status", "c0_cause", "c0_epc", "c0_prid",
    "c0_config", "c0_lladdr", "c0_watchlo", "c0_watchhi", "c0_xcontext", "$21", "$22", "c0_debug", "c0_depc",
    "c0_perfcnt", "c0_errctl", "c0_cacheerr", "c0_taglo", "c0_taghi", "c0_errorepc", "c0_desave",
];

/// objdump's MIPS32r2 names for `(rd, sel)` with `sel` != 0 (including the MT ASE ones it knows).
fn cp0_sel_name(rd: u8, sel: u8) -> Option<&'static str> {
    Some(match (rd, sel) {
        (0, 1) => "c0_mvpcontrol",
        (0, 2) => "c0_mvpconf0",
        (0, 3) => "c0_mvpconf1",
        (1, 1) => "c0_vpecontrol",
        (1, 2) => "c0_vpeconf0",
        (1, 3) => "c0_vpeconf1",
        (1, 4) => "c0_yqmask",
        (1, 5) => "c0_vpeschedule",
        (1, 6) => "c0_vpeschefback",
        (2, 1) => "c0_tcstatus",
        (2, 2) => "c0_tcbind",
        (2, 3) => "c0_tcrestart",
        (2, 4) => "c0_tchalt",
        (2, 5) => "c0_tccontext",
        (2, 6) => "c0_tcschedule",
        (2, 7) => "c0_tcschefback",
        (4, 1) => "c0_contextconfig",
        (5, 1) => "c0_pagegrain",
        (6, 1) => "c0_srsconf0",
        (6, 2) => "c0_srsconf1",
        (6, 3) => "c0_srsconf2",
        (6, 4) => "c0_srsconf3",
        (6, 5) => "c0_srsconf4",
        (12, 1) => "c0_intctl",
        (12, 2) => "c0_srsctl",
        (12, 3) => "c0_srsmap",
        (15, 1) => "c0_ebase",
        (16, 1) => "c0_config1",
        (16, 2) => "c0_config2",
        (16, 3) => "c0_config3",
        (18, _) => return Some(["c0_watchlo,1", "c0_watchlo,2", "c0_watchlo,3", "c0_watchlo,4", "c0_watchlo,5", "c0_watchlo,6", "c0_watchlo,7"][sel as usize - 1]),
        (19, _) => return Some(["c0_watchhi,1", "c0_watchhi,2", "c0_watchhi,3", "c0_watchhi,4", "c0_watchhi,5", "c0_watchhi,6", "c0_watchhi,7"][sel as usize - 1]),
        (23, 1) => "c0_tracecontrol",
        (23, 2) => "c0_tracecontrol2",
        (23, 3) => "c0_usertracedata",
        (23, 4) => "c0_tracebpc",
        (25, _) => return Some(["c0_perfcnt,1", "c0_perfcnt,2", "c0_perfcnt,3", "c0_perfcnt,4", "c0_perfcnt,5", "c0_perfcnt,6", "c0_perfcnt,7"][sel as usize - 1]),
        (27, 1) => "c0_cacheerr,1",
        (27, 2) => "c0_cacheerr,2",
        (27, 3) => "c0_cacheerr,3",
        (28, _) => return Some(["c0_datalo", "c0_taglo1", "c0_datalo1", "c0_taglo2", "c0_datalo2", "c0_taglo3", "c0_datalo3"][sel as usize - 1]),
        (29, _) => return Some(["c0_datahi", "c0_taghi1", "c0_datahi1", "c0_taghi2", "c0_datahi2", "c0_taghi3", "c0_datahi3"][sel as usize - 1]),
        _ => return None,
    })
}

fn reg(v: i64) -> usize {
    (v as usize) & 31
}

pub fn gpr(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    f.write_str(GPR[reg(v)])
}

pub fn fpr(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "$f{}", reg(v))
}

pub fn dec(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "{v}")
}

pub fn hex(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    if v < 0 {
        write!(f, "-0x{:x}", -v)
    } else {
        write!(f, "0x{v:x}")
    }
}

/// Boolean-valued operand printed as a number (`0`/`1`).
pub fn bool(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "{v}")
}

/// PC-relative branch: the delay slot's address plus the word offset.
pub fn branch(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    let target = pc.wrapping_add(4).wrapping_add((v as i32 as u32) << 2);
    write!(f, "0x{target:x}")
}

/// `j`/`jal`: the 256 MB region of the delay slot, with the 26-bit index.
pub fn jump(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    let target = (pc.wrapping_add(4) & 0xF000_0000) | ((v as u32) << 2);
    write!(f, "0x{target:x}")
}

/// `jalx`: a `jump` target with the ISA-mode bit (MIPS16) set.
pub fn jumpx(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    let target = (pc.wrapping_add(4) & 0xF000_0000) | ((v as u32) << 2) | 1;
    write!(f, "0x{target:x}")
}

/// A CP0 register named by `rd` alone (`c0_status`).
pub fn cp0reg(f: &mut Formatter<'_>, _pc: u32, rd: i64) -> Result {
    f.write_str(CP0[reg(rd)])
}

/// A CP0 register `(rd, sel)`: objdump's name, else `$rd,sel`.
pub fn cp0(f: &mut Formatter<'_>, _pc: u32, rd: i64, sel: i64) -> Result {
    let (rd, sel) = (reg(rd) as u8, (sel & 7) as u8);
    if sel == 0 {
        return f.write_str(CP0[rd as usize]);
    }
    match cp0_sel_name(rd, sel) {
        Some(name) => f.write_str(name),
        None => write!(f, "${rd},{sel}"),
    }
}

/// A hardware register of `rdhwr`.
pub fn hwr(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    match reg(v) {
        0 => f.write_str("hwr_cpunum"),
        1 => f.write_str("hwr_synci_step"),
        2 => f.write_str("hwr_cc"),
        3 => f.write_str("hwr_ccres"),
        n => write!(f, "${n}"),
    }
}

/// An FPU control register of `cfc1`/`ctc1`.
pub fn cp1ctl(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    match reg(v) {
        0 => f.write_str("c1_fir"),
        1 => f.write_str("c1_ufr"),
        4 => f.write_str("c1_unfr"),
        25 => f.write_str("c1_fccr"),
        26 => f.write_str("c1_fexr"),
        28 => f.write_str("c1_fenr"),
        31 => f.write_str("c1_fcsr"),
        n => write!(f, "${n}"),
    }
}

/// A COP2 (or other coprocessor) register: `$n`.
pub fn cp2reg(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "${}", reg(v))
}

/// An FPU condition code: `$fccN`.
pub fn cc(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "$fcc{}", v & 7)
}

/// A COP2 condition code: `$ccN`.
pub fn cc2(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "$cc{}", v & 7)
}

/// An MSA vector register: `$wN`.
pub fn msareg(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "$w{}", reg(v))
}

/// `ext` size: the encoded `msbd` plus one.
pub fn extsize(f: &mut Formatter<'_>, pc: u32, msbd: i64) -> Result {
    hex(f, pc, msbd + 1)
}

/// `ins` size: `msb - lsb + 1`, printed as an unsigned 32-bit value (objdump
/// prints `0xfffffffe` when `msb < lsb`).
pub fn inssize(f: &mut Formatter<'_>, _pc: u32, msb: i64, lsb: i64) -> Result {
    write!(f, "0x{:x}", (msb - lsb + 1) as u32)
}

/// A field printed as its value plus one, in hex (`lsa`'s shift amount).
pub fn plus1(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    hex(f, pc, v + 1)
}

/// A signed offset counted in 2-, 4- or 8-byte elements, printed in bytes (MSA `ld`/`st`).
pub fn scale2(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    dec(f, pc, v * 2)
}

pub fn scale4(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    dec(f, pc, v * 4)
}

pub fn scale8(f: &mut Formatter<'_>, pc: u32, v: i64) -> Result {
    dec(f, pc, v * 8)
}

/// An MSA control register (`cfcmsa`/`ctcmsa`).
pub fn msactl(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    const NAMES: [&str; 8] = ["msa_ir", "msa_csr", "msa_access", "msa_save", "msa_modify", "msa_request", "msa_map", "msa_unmap"];
    match NAMES.get(reg(v)) {
        Some(name) => f.write_str(name),
        None => write!(f, "${}", reg(v)),
    }
}

/// A DSP accumulator: `$acN`.
pub fn ac(f: &mut Formatter<'_>, _pc: u32, v: i64) -> Result {
    write!(f, "$ac{}", v & 3)
}
