//! The FPU (COP1) as the guest sees it: usable with Status.CU1=1, CpU with
//! Cause.CE=1 without. The image itself is soft-float, so the FPU is only
//! reached from assembly here.
use super::rt::{mtc0, provoke, ST_CU1};
use super::{code, eq, expect, no_trap, vec, Case, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "fpu.mtc1_mfc1_round_trip", run: round_trip },
    Case { name: "fpu.add_s", run: add_s },
    Case { name: "fpu.cfc1_fir", run: fir },
    Case { name: "fpu.add_s_without_cu1_cpu", run: disabled },
];

fn round_trip() -> Outcome {
    mtc0!(12, 0, ST_CU1);
    let got: u32;
    let (_, trap) = provoke!(
        [".set hardfloat", "mtc1 {v}, $f6", "mfc1 {g}, $f6"],
        v = in(reg) 0x1234_5678u32,
        g = out(reg) got
    );
    no_trap(trap)?;
    eq("mfc1 after mtc1", got, 0x1234_5678)
}

fn add_s() -> Outcome {
    mtc0!(12, 0, ST_CU1);
    let sum: u32;
    let (_, trap) = provoke!(
        [".set hardfloat", "mtc1 {a}, $f0", "mtc1 {b}, $f2", "add.s $f4, $f0, $f2", "mfc1 {s}, $f4"],
        a = in(reg) 0x3FC0_0000u32, // 1.5
        b = in(reg) 0x4010_0000u32, // 2.25
        s = out(reg) sum
    );
    no_trap(trap)?;
    eq("1.5 + 2.25 = 3.75", sum, 0x4070_0000)
}

fn fir() -> Outcome {
    mtc0!(12, 0, ST_CU1);
    let fir: u32;
    let (_, trap) = provoke!([".set hardfloat", "cfc1 {f}, $0"], f = out(reg) fir);
    no_trap(trap)?;
    eq("FIR", fir, 0x0073_9300)
}

fn disabled() -> Outcome {
    let (at, trap) = provoke!([".set hardfloat", "add.s $f4, $f0, $f2", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::CPU)?;
    eq("EPC = the add.s", trap.epc, at)?;
    eq("Cause.CE", trap.ce(), 1)
}
