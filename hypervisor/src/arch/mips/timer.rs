//! The host clock and timer: CP0 Count extended to 64 bits, and the CP0
//! timer (Compare, CPU IP7) as a one-shot ("tickless") event source. The
//! timer is always programmed for the nearest thing the hypervisor waits
//! for: the end of the running thread's turn, the earliest sleeping
//! thread's deadline or, while a guest runs, the guest's own Compare;
//! never further than [`MAX_AHEAD`], so the 32-bit Count cannot wrap
//! unseen. There is no periodic tick.

use super::irq::{self, IrqCell};
use super::{cp0, thread};
use hypervisor::kernel::irq::{HostIrq, CPU_LINE_TIMER};
use hypervisor::vm::guest::TICKS_PER_MS;

/// The longest the timer is programmed ahead: 1 s (Count wraps in 25 s).
const MAX_AHEAD: u64 = 1000 * TICKS_PER_MS as u64;

struct Clock {
    /// Count's wraps so far.
    high: u32,
    /// Count at the last reading.
    last: u32,
}

static CLOCK: IrqCell<Clock> = IrqCell::new(Clock { high: 0, last: 0 });

/// Host ticks since boot (Count with its wraps counted; read at least
/// once per wrap because the timer fires at least once a second).
pub fn now() -> u64 {
    CLOCK.with(|c| {
        let count = cp0::count();
        if count < c.last {
            c.high += 1;
        }
        c.last = count;
        (u64::from(c.high) << 32) | u64::from(count)
    })
}

/// Programs the timer interrupt for tick `deadline` (or as soon as
/// possible if it has passed; at most `MAX_AHEAD` from now).
pub fn arm_at(deadline: u64) {
    let ticks = deadline.saturating_sub(now()).min(MAX_AHEAD);
    cp0::arm_timer(ticks as u32);
}

/// Registers the timer's CPU line.
pub fn init() {
    now();
    // Registering cannot fail: the line is free at boot.
    let _ = irq::register(HostIrq::Cpu(CPU_LINE_TIMER), "cp0 timer", on_timer);
}

/// The timer interrupt: time-based scheduling (wakeups, turn ends), then
/// the next event. Writing Compare acknowledges the interrupt.
#[cfg_attr(target_os = "none", optimize(speed))]
fn on_timer(_: HostIrq) {
    let deadline = thread::tick(now());
    arm_at(deadline);
}
