//! The exit loop's decisions, host-tested; the VCPU thread's `run_once`
//! (`src/threads/vcpu.rs`, the world-switch loop) carries them out on the
//! host.
//!
//! Before an entry: whether the guest runs at all ([`before_entry`]), when
//! a waiting guest wakes ([`wake_at`]), when its run ends ([`run_until`]),
//! the Status it runs with ([`entry_status`]) and whose registers the FPU
//! must hold ([`FpuOwner`]). After each exit ([`exit_of`]) the thread
//! either enters the guest again at once ([`reenter_at_once`]), without
//! touching the host timer, the FPU, the interrupt lines or the UARTs, or
//! goes back to its thread loop (scheduling, timers, devices; [`after_run`]).

use super::guest::GuestState;
use super::vcpu::{code, Action, Exit, ExitReason};
use crate::kernel::irq::{CPU_LINE_I8259, CPU_LINE_TIMER};
use emulator::Cp0;

/// What a VCPU thread does after one turn of its loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Go on (after a preemption point).
    Again,
    /// Sleep until woken or until the tick given.
    Sleep(Option<u64>),
    /// The guest no longer runs: end the thread.
    Exit,
}

/// What the thread does instead of entering a guest in `state`; `None`:
/// enter it.
#[inline]
pub fn before_entry(state: GuestState) -> Option<Step> {
    match state {
        GuestState::Running => None,
        GuestState::Paused => Some(Step::Sleep(None)),
        GuestState::PoweredOff | GuestState::Stopped(_) => Some(Step::Exit),
    }
}

/// The host tick at which a guest that waits (WAIT) is woken: its own timer
/// (`compare_ticks` from `now`) or the board's next event, whichever comes
/// first. A guest that waits with interrupts disabled (`stuck`) has no
/// such tick: only the operator ends it.
#[inline]
pub fn wake_at(stuck: bool, now: u64, compare_ticks: u32, board_event: Option<u64>) -> Option<u64> {
    (!stuck).then(|| (now + u64::from(compare_ticks)).min(board_event.unwrap_or(u64::MAX)))
}

/// The host tick at which the guest's run ends: the scheduler's next event,
/// the guest's own timer or the board's, whichever comes first.
#[inline]
pub fn run_until(now: u64, scheduler: u64, compare_ticks: u32, board_event: Option<u64>) -> u64 {
    scheduler.min(now + u64::from(compare_ticks)).min(board_event.unwrap_or(u64::MAX))
}

/// The part of the guest's Status the host FPU runs with: CU1 (the guest
/// may use it) and FR (its register view).
#[inline]
pub const fn fpu_view(guest_status: u32) -> u32 {
    guest_status & (Cp0::STATUS_CU1 | Cp0::STATUS_FR)
}

/// Status.IM's bit for CPU interrupt line `line`.
const fn status_im(line: u8) -> u32 {
    (Cp0::STATUS_IM & Cp0::STATUS_IM.wrapping_neg()) << line
}

/// The Status a guest is entered with (the world switch adds user mode
/// and EXL): host interrupts on, the i8259's and the timer's lines
/// unmasked, the guest's FPU view.
#[inline]
pub const fn entry_status(guest_status: u32) -> u32 {
    Cp0::STATUS_IE | status_im(CPU_LINE_I8259) | status_im(CPU_LINE_TIMER) | fpu_view(guest_status)
}

/// Which guest's registers the host FPU holds: they stay there until
/// another guest that uses the FPU runs (a lazy switch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FpuOwner(Option<usize>);

/// The FPU registers to move before guest `restore` runs: `save`'s out
/// first, if any, then `restore`'s in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpuSwitch {
    pub save: Option<usize>,
    pub restore: usize,
}

impl FpuOwner {
    pub const NONE: Self = Self(None);

    /// Guest `index` is entered; `uses_fpu`: its Status.CU1 is set. The
    /// switch to make, if the FPU holds someone else's registers (or none).
    #[inline]
    pub fn claim(&mut self, index: usize, uses_fpu: bool) -> Option<FpuSwitch> {
        if !uses_fpu || self.0 == Some(index) {
            return None;
        }
        let save = self.0.replace(index);
        Some(FpuSwitch { save, restore: index })
    }

    /// Guest `index` starts afresh: what the FPU holds of it is void.
    pub fn release(&mut self, index: usize) {
        if self.0 == Some(index) {
            self.0 = None;
        }
    }
}

/// The world switch's vector offset for a debug exception (SDBBP), left
/// as one from user mode by `__debug_exception`.
pub const DEBUG_VECTOR: u32 = 0x480;

/// The exit the world switch reported: taken through vector offset
/// `vector` with `cause`, `badvaddr` and `lladdr`, at the guest's `epc`.
/// A debug exit has no Cause of its own: its BD is Debug.DBD, read by
/// `debug_register` (only then).
#[inline]
pub fn exit_of(vector: u32, cause: u32, badvaddr: u32, lladdr: u32, epc: u32, debug_register: impl FnOnce() -> u32) -> Exit {
    let debug = vector == DEBUG_VECTOR;
    let cause = match debug {
        true if emulator::view::Debug(debug_register()).dbd() != 0 => Cp0::CAUSE_BD,
        true => 0,
        false => cause,
    };
    Exit { cause, epc, badvaddr, debug, lladdr }
}

/// After the run ended with `action`: the guest's new state (if it
/// changes) and what its thread does next.
#[inline]
pub fn after_run(action: Action) -> (Option<GuestState>, Step) {
    match action {
        Action::Resume => (None, Step::Again),
        Action::PowerOff => (Some(GuestState::PoweredOff), Step::Exit),
        Action::Stop(why) => (Some(GuestState::Stopped(why)), Step::Exit),
    }
}

/// What the exit's handling changed that the loop must see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The guest's FPU mode (Status.CU1, FR).
    pub fpu_view: bool,
    /// The guest's timer deadline (`Vcpu::timer_key`).
    pub timer: bool,
    /// The guest's interrupt lines: no device access of the exit may have
    /// moved one (`Bus::take_lines_moved`).
    pub lines: bool,
}

/// Whether the guest re-enters at once after `exit`, handled as `action`
/// with exit reason `reason`: only when its handling needed nothing but the
/// VCPU, or was a device load that left the interrupt lines as they were
/// (a load moves no byte out of a UART; input waiting for room it made
/// goes in at the loop's next end). Not after a host interrupt (code 0:
/// time passed), a debug exit, a device store (the UARTs then may have
/// bytes to move), a change of the guest's FPU mode or of its timer
/// deadline, or anything but `Resume`. The caller then still asks the
/// VCPU whether it can enter now (`Vcpu::prepare_entry`).
#[inline]
pub fn reenter_at_once(exit: &Exit, action: Action, reason: ExitReason, kept: Kept) -> bool {
    let device = reason == ExitReason::Mmio;
    let quiet = !device || (device_load(exit) && kept.lines);
    action == Action::Resume && !exit.debug && exit.code() != 0 && quiet && kept.fpu_view && kept.timer
}

/// Whether a device access's exit is a load (TLBL or AdEL: an MMIO
/// exit is never a fetch).
#[inline]
fn device_load(exit: &Exit) -> bool {
    matches!(exit.code(), code::TLBL | code::ADEL)
}

/// Whether the guest's UARTs must be pumped when the loop ends with `exit`
/// (of `reason`): only a device access or time passing (a host interrupt)
/// moves their bytes.
#[inline]
pub fn moves_uart_bytes(exit: &Exit, reason: ExitReason) -> bool {
    exit.code() == 0 || reason == ExitReason::Mmio
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: u32) -> Exit {
        Exit { cause: code << 2, epc: 0, badvaddr: 0, debug: false, lladdr: 0 }
    }

    const ALL: Kept = Kept { fpu_view: true, timer: true, lines: true };

    #[test]
    fn only_vcpu_only_exits_reenter_at_once() {
        let cpu = exit(11);
        assert!(reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, ALL));
        assert!(reenter_at_once(&exit(2), Action::Resume, ExitReason::ShadowFill, ALL));
        // An emulated access to RAM through an unmapped segment touches no
        // device; one that reached a device is MMIO: a load that changed
        // no interrupt line re-enters, a store or a line change does not.
        assert!(reenter_at_once(&exit(4), Action::Resume, ExitReason::SegmentAccess, ALL));
        assert!(reenter_at_once(&exit(4), Action::Resume, ExitReason::Mmio, ALL));
        assert!(reenter_at_once(&exit(2), Action::Resume, ExitReason::Mmio, ALL));
        assert!(!reenter_at_once(&exit(2), Action::Resume, ExitReason::Mmio, Kept { lines: false, ..ALL }));
        assert!(!reenter_at_once(&exit(3), Action::Resume, ExitReason::Mmio, ALL), "a store");
        assert!(!reenter_at_once(&exit(5), Action::Resume, ExitReason::Mmio, ALL), "a store");
        assert!(!reenter_at_once(&exit(1), Action::Resume, ExitReason::Mmio, ALL), "a store");
        assert!(!reenter_at_once(&exit(0), Action::Resume, ExitReason::Interrupt, ALL), "time passed");
        assert!(!reenter_at_once(&Exit { debug: true, ..cpu }, Action::Resume, ExitReason::GuestException, ALL));
        assert!(!reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, Kept { fpu_view: false, ..ALL }), "FPU mode changed");
        assert!(!reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, Kept { timer: false, ..ALL }), "timer changed");
        assert!(!reenter_at_once(&exit(2), Action::PowerOff, ExitReason::Mmio, ALL));
        assert!(!reenter_at_once(&cpu, Action::Stop("why"), ExitReason::Unexpected, ALL));
    }

    #[test]
    fn only_a_running_guest_is_entered() {
        assert_eq!(before_entry(GuestState::Running), None);
        assert_eq!(before_entry(GuestState::Paused), Some(Step::Sleep(None)));
        assert_eq!(before_entry(GuestState::PoweredOff), Some(Step::Exit));
        assert_eq!(before_entry(GuestState::Stopped("why")), Some(Step::Exit));
    }

    #[test]
    fn a_run_and_a_wait_end_at_the_nearest_event() {
        assert_eq!(wake_at(false, 1000, 50, None), Some(1050));
        assert_eq!(wake_at(false, 1000, 50, Some(1020)), Some(1020));
        assert_eq!(wake_at(false, 1000, u32::MAX, None), Some(1000 + u64::from(u32::MAX)));
        assert_eq!(wake_at(true, 1000, 50, Some(1020)), None, "interrupts disabled: no timer wakes it");
        assert_eq!(run_until(1000, 1200, 50, None), 1050);
        assert_eq!(run_until(1000, 1040, 50, None), 1040);
        assert_eq!(run_until(1000, 1200, 50, Some(1010)), 1010);
    }

    #[test]
    fn a_guest_runs_with_host_interrupts_and_its_own_fpu_view() {
        let host = Cp0::STATUS_IE | status_im(2) | status_im(7);
        assert_eq!(status_im(2), 1 << 10);
        assert_eq!(status_im(7), 1 << 15);
        assert_eq!(entry_status(0), host);
        // The guest's own IE, IM, KSU or ERL never reach the host.
        let everything_else = !(Cp0::STATUS_CU1 | Cp0::STATUS_FR);
        assert_eq!(entry_status(everything_else), host);
        assert_eq!(entry_status(Cp0::STATUS_CU1 | Cp0::STATUS_FR), host | Cp0::STATUS_CU1 | Cp0::STATUS_FR);
        assert_eq!(fpu_view(Cp0::STATUS_FR | Cp0::STATUS_IE), Cp0::STATUS_FR);
    }

    #[test]
    fn the_fpu_changes_hands_only_for_a_guest_that_uses_it() {
        let mut owner = FpuOwner::NONE;
        assert_eq!(owner.claim(0, false), None, "no CU1: nothing to load");
        assert_eq!(owner.claim(0, true), Some(FpuSwitch { save: None, restore: 0 }));
        assert_eq!(owner.claim(0, true), None, "already there");
        assert_eq!(owner.claim(1, false), None, "guest 1 without CU1 leaves guest 0's registers");
        assert_eq!(owner.claim(1, true), Some(FpuSwitch { save: Some(0), restore: 1 }));
        owner.release(0);
        assert_eq!(owner.claim(1, true), None, "releasing another guest changes nothing");
        owner.release(1);
        assert_eq!(owner.claim(1, true), Some(FpuSwitch { save: None, restore: 1 }), "a restarted guest's registers are not saved");
    }

    #[test]
    fn a_debug_exit_takes_its_delay_slot_bit_from_debug() {
        let bd = Cp0::CAUSE_BD;
        let general = exit_of(0x180, 10 << 2, 0x1234, 0x10, 0x8000_0200, || panic!("Debug is not read"));
        assert_eq!(general, Exit { cause: 10 << 2, epc: 0x8000_0200, badvaddr: 0x1234, debug: false, lladdr: 0x10 });
        let dbd_set = Cp0::DEBUG_DBD;
        let in_slot = exit_of(DEBUG_VECTOR, 0x7c, 0, 0, 0x8000_0204, || dbd_set);
        assert_eq!((in_slot.debug, in_slot.cause), (true, bd));
        let not_in_slot = exit_of(DEBUG_VECTOR, 0x7c, 0, 0, 0x8000_0204, || 0);
        assert_eq!((not_in_slot.debug, not_in_slot.cause), (true, 0), "the world's Cause is stale");
    }

    #[test]
    fn a_run_ends_the_thread_only_when_the_guest_stops() {
        assert_eq!(after_run(Action::Resume), (None, Step::Again));
        assert_eq!(after_run(Action::PowerOff), (Some(GuestState::PoweredOff), Step::Exit));
        assert_eq!(after_run(Action::Stop("why")), (Some(GuestState::Stopped("why")), Step::Exit));
    }

    #[test]
    fn device_accesses_and_time_move_uart_bytes() {
        assert!(moves_uart_bytes(&exit(0), ExitReason::Interrupt));
        assert!(moves_uart_bytes(&exit(3), ExitReason::Mmio));
        assert!(moves_uart_bytes(&exit(4), ExitReason::Mmio), "a device through native KSEG1");
        assert!(!moves_uart_bytes(&exit(4), ExitReason::SegmentAccess));
        assert!(!moves_uart_bytes(&exit(11), ExitReason::Privileged));
    }
}
