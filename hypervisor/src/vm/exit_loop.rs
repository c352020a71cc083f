//! The exit loop's decisions, host-tested; `main.rs`'s `run_once` (the
//! VCPU thread's world-switch loop) carries them out on the host.
//!
//! After each exit the VCPU thread either enters the guest again at once,
//! without touching the host timer, the FPU, the interrupt lines or the
//! UARTs, or goes back to its thread loop (scheduling, timers, devices).

use super::vcpu::{code, Action, Exit, ExitReason};

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
    fn device_accesses_and_time_move_uart_bytes() {
        assert!(moves_uart_bytes(&exit(0), ExitReason::Interrupt));
        assert!(moves_uart_bytes(&exit(3), ExitReason::Mmio));
        assert!(moves_uart_bytes(&exit(4), ExitReason::Mmio), "a device through native KSEG1");
        assert!(!moves_uart_bytes(&exit(4), ExitReason::SegmentAccess));
        assert!(!moves_uart_bytes(&exit(11), ExitReason::Privileged));
    }
}
