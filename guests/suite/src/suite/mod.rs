//! The guest test suite. Each case starts from a known state
//! ([`rt::reset_state`]), checks facts that hold in either address map
//! (addresses are compared with symbols, never printed), and reports one
//! line: `PASS name` or `FAIL name: detail`. The run ends with
//! `N passed, M failed` and a halt.

mod board;
mod branch;
mod cp0;
mod exc;
mod fpu;
mod map;
mod rt;
mod timer;
mod tlb;
mod uart;
mod user;

use core::fmt::Write;

/// Why a case failed: what was checked, what it found, what it wanted.
pub struct Fail {
    pub what: &'static str,
    pub got: u32,
    pub want: u32,
}

pub type Outcome = Result<(), Fail>;

pub struct Case {
    pub name: &'static str,
    pub run: fn() -> Outcome,
}

/// `got == want`, or a failure naming `what`.
pub fn eq(what: &'static str, got: u32, want: u32) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(Fail { what, got, want })
    }
}

/// `cond`, or a failure naming `what`.
pub fn yes(what: &'static str, cond: bool) -> Outcome {
    eq(what, cond as u32, 1)
}

/// The exception a case provoked; fails if there was none.
pub fn trapped(trap: Option<rt::Trap>) -> Result<rt::Trap, Fail> {
    trap.ok_or(Fail { what: "no exception", got: 0, want: 1 })
}

/// Checks an exception's vector offset and ExcCode.
pub fn expect(trap: Option<rt::Trap>, vector: u32, code: u32) -> Result<rt::Trap, Fail> {
    let trap = trapped(trap)?;
    eq("ExcCode", trap.code(), code)?;
    eq("vector offset", trap.vector, vector)?;
    Ok(trap)
}

/// No exception was provoked.
pub fn no_trap(trap: Option<rt::Trap>) -> Outcome {
    match trap {
        None => Ok(()),
        Some(t) => Err(Fail { what: "unexpected exception, ExcCode", got: t.code(), want: 0xFFFF_FFFF }),
    }
}

/// ExcCode values.
pub mod code {
    pub const INT: u32 = 0;
    pub const MOD: u32 = 1;
    pub const TLBL: u32 = 2;
    pub const TLBS: u32 = 3;
    pub const ADEL: u32 = 4;
    pub const ADES: u32 = 5;
    pub const SYS: u32 = 8;
    pub const BP: u32 = 9;
    pub const RI: u32 = 10;
    pub const CPU: u32 = 11;
    pub const OV: u32 = 12;
    pub const TR: u32 = 13;
}

/// Vector offsets.
pub mod vec {
    pub const REFILL: u32 = 0x000;
    pub const GENERAL: u32 = 0x180;
    pub const INTERRUPT: u32 = 0x200;
}

/// Every case, in the order they run.
fn groups() -> [&'static [Case]; 9] {
    [cp0::CASES, tlb::CASES, exc::CASES, user::CASES, timer::CASES, branch::CASES, fpu::CASES, uart::CASES, board::CASES]
}

/// The binary's `main` (given to `guest_rt::entry!`).
pub fn main() -> ! {
    let mut console = rt::Uart::init(crate::MAP);
    let total: usize = groups().iter().map(|g| g.len()).sum();
    let _ = writeln!(console, "\nguest-suite: {total} cases");
    let (mut passed, mut failed) = (0, 0);
    for case in groups().iter().flat_map(|g| g.iter()) {
        rt::reset_state();
        let outcome = (case.run)();
        rt::reset_state();
        let _ = match outcome {
            Ok(()) => {
                passed += 1;
                writeln!(console, "PASS {}", case.name)
            }
            Err(f) => {
                failed += 1;
                writeln!(console, "FAIL {}: {}: got {:#x}, want {:#x}", case.name, f.what, f.got, f.want)
            }
        };
    }
    let _ = writeln!(console, "{passed} passed, {failed} failed");
    rt::halt()
}
