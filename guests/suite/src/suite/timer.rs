//! The timer interrupt (Count/Compare on IP7), the software interrupts,
//! both interrupt vectors (Cause.IV), vectored interrupts (IntCtl.VS),
//! DI/EI, and WAIT woken by the timer.
//! IM2 (the Malta southbridge timer, which fires natively) stays masked.
use super::rt::{self, mtc0, provoke};
use super::{code, eq, expect, no_trap, vec, yes, Case, Fail, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "timer.interrupt_general_vector", run: general },
    Case { name: "timer.interrupt_iv_vector", run: iv },
    Case { name: "timer.masked_im7_no_interrupt", run: masked },
    Case { name: "timer.exl_blocks_interrupt", run: exl_blocks },
    Case { name: "timer.wait_wakes_on_timer", run: wait },
    Case { name: "timer.ei_takes_pending_interrupt", run: ei },
    Case { name: "timer.di_returns_status", run: di },
    Case { name: "timer.software_interrupt_ip0", run: software },
    Case { name: "timer.vectored_interrupts_vs", run: vectored },
];

/// Ticks ahead for Compare: far enough not to be in the past already.
const AHEAD: u32 = 0x4000;
/// How long to wait for an interrupt, in Count ticks (~800 ms natively).
const PATIENCE: u32 = 0x0800_0000;

/// With the interrupt already pending, how long to make sure none comes.
const NONE_COMES: u32 = 0x0010_0000;

/// Spins until an exception is recorded or `ticks` pass.
fn spin_for_interrupt_within(ticks: u32) -> Option<rt::Trap> {
    let start = rt::count();
    while rt::trap_count() == 0 && rt::count().wrapping_sub(start) < ticks {}
    rt::take_trap()
}

fn spin_for_interrupt() -> Option<rt::Trap> {
    spin_for_interrupt_within(PATIENCE)
}

fn timer_interrupt(vector: u32) -> Outcome {
    rt::arm_timer(AHEAD);
    mtc0!(12, 0, rt::ST_IM7 | rt::ST_IE);
    let trap = expect(spin_for_interrupt(), vector, code::INT)?;
    yes("Cause.TI", trap.cause & rt::CAUSE_TI != 0)?;
    yes("Cause.IP7", trap.cause & rt::CAUSE_IP7 != 0)?;
    eq("the vector cleared IE", rt::status() & rt::ST_IE, 0)?;
    yes("TI still pending until Compare is written", rt::cause() & rt::CAUSE_TI != 0)?;
    mtc0!(11, 0, rt::count().wrapping_add(0x4000_0000));
    eq("Compare write acknowledged", rt::cause() & rt::CAUSE_TI, 0)
}

fn general() -> Outcome {
    timer_interrupt(vec::GENERAL)
}

fn iv() -> Outcome {
    mtc0!(13, 0, rt::CAUSE_IV);
    timer_interrupt(vec::INTERRUPT)
}

fn masked() -> Outcome {
    mtc0!(12, 0, rt::ST_IE);
    yes("Cause.TI raised", super::cp0::wait_for_ti())?;
    no_trap(spin_for_interrupt_within(NONE_COMES))
}

fn exl_blocks() -> Outcome {
    mtc0!(12, 0, rt::ST_IM7 | rt::ST_IE | rt::ST_EXL);
    yes("Cause.TI raised", super::cp0::wait_for_ti())?;
    no_trap(spin_for_interrupt_within(NONE_COMES))?;
    // Clearing EXL lets it in.
    mtc0!(12, 0, rt::ST_IM7 | rt::ST_IE);
    expect(spin_for_interrupt(), vec::GENERAL, code::INT).map(drop)
}

fn wait() -> Outcome {
    // IE is set by the instruction just before the WAIT, so the interrupt
    // cannot strike earlier than the WAIT itself. If the host is slow
    // enough for it to strike right before the WAIT (EPC = the WAIT, which
    // the vector steps over), try again.
    mtc0!(12, 0, rt::ST_IM7);
    for _ in 0..3 {
        let compare = rt::arm_timer(0x0001_0000);
        let (at, trap) = provoke!(["mtc0 {s}, $12", "wait", "nop"], s = in(reg) rt::ST_IM7 | rt::ST_IE);
        let trap = expect(trap, vec::GENERAL, code::INT)?;
        if trap.epc == at + 4 {
            continue;
        }
        eq("EPC = WAIT + 4", trap.epc, at + 8)?;
        yes("woke at or after Compare", rt::count().wrapping_sub(compare) < 0x8000_0000)?;
        return yes("Cause.TI", trap.cause & rt::CAUSE_TI != 0);
    }
    Err(Fail { what: "the timer struck before WAIT three times", got: 3, want: 0 })
}

fn ei() -> Outcome {
    mtc0!(12, 0, rt::ST_IM7);
    yes("Cause.TI raised", super::cp0::wait_for_ti())?;
    let old: u32;
    let (at, trap) = provoke!(["ei {o}", "nop", "nop"], o = out(reg) old);
    let trap = expect(trap, vec::GENERAL, code::INT)?;
    eq("ei returned the old Status", old, rt::ST_IM7)?;
    eq("interrupt taken right after ei", trap.epc, at + 4)
}

fn di() -> Outcome {
    mtc0!(12, 0, rt::ST_IE | rt::ST_IM0 | rt::ST_CU0);
    let old: u32;
    let (_, trap) = provoke!(["di {o}"], o = out(reg) old);
    no_trap(trap)?;
    eq("di returned the old Status", old, rt::ST_IE | rt::ST_IM0 | rt::ST_CU0)?;
    eq("di cleared IE only", rt::status(), rt::ST_IM0 | rt::ST_CU0)
}

fn software() -> Outcome {
    mtc0!(12, 0, rt::ST_IM0 | rt::ST_IE);
    mtc0!(13, 0, rt::CAUSE_IP0);
    let trap = spin_for_interrupt().ok_or(Fail { what: "no interrupt", got: 0, want: 1 });
    mtc0!(13, 0, 0);
    let trap = expect(Some(trap?), vec::GENERAL, code::INT)?;
    yes("Cause.IP0", trap.cause & rt::CAUSE_IP0 != 0)
}

/// With Cause.IV and IntCtl.VS = 1 (32-byte spacing) each line has its
/// own vector, 0x200 + 32 * line: IP1 (software) at 0x220, IP7 (the
/// timer) at 0x2E0; the highest pending line wins.
fn vectored() -> Outcome {
    const VS_32_BYTES: u32 = 1 << 5;
    const CAUSE_IP1: u32 = 1 << 9;
    const ST_IM1: u32 = 1 << 9;
    mtc0!(12, 1, VS_32_BYTES);
    eq("IntCtl.VS", rt::mfc0!(12, 1) & (0x1F << 5), VS_32_BYTES)?;
    mtc0!(12, 0, ST_IM1 | rt::ST_IM7 | rt::ST_IE);
    mtc0!(13, 0, rt::CAUSE_IV | CAUSE_IP1);
    let trap = spin_for_interrupt();
    mtc0!(13, 0, rt::CAUSE_IV);
    let trap = expect(trap, 0x220, code::INT)?;
    yes("Cause.IP1", trap.cause & CAUSE_IP1 != 0)?;
    // The timer and IP1 both pending: IP7 has the higher priority.
    yes("Cause.TI raised", super::cp0::wait_for_ti())?;
    mtc0!(13, 0, rt::CAUSE_IV | CAUSE_IP1);
    mtc0!(12, 0, ST_IM1 | rt::ST_IM7 | rt::ST_IE);
    let trap = spin_for_interrupt();
    mtc0!(13, 0, rt::CAUSE_IV);
    mtc0!(11, 0, rt::count().wrapping_add(0x4000_0000));
    let trap = expect(trap, 0x2E0, code::INT)?;
    yes("Cause.TI", trap.cause & rt::CAUSE_TI != 0)
}
