//! The exit loop's decisions, host-tested; `main.rs`'s `run_once` (the
//! VCPU thread's world-switch loop) carries them out on the host.
//!
//! After each exit the VCPU thread either enters the guest again at once,
//! without touching the host timer, the FPU, the interrupt lines or the
//! UARTs, or goes back to its thread loop (scheduling, timers, devices).

use super::vcpu::{Action, Exit, ExitReason};

/// Whether the guest re-enters at once after `exit`, handled as `action`
/// with exit reason `reason`: only when its handling needed nothing but the
/// VCPU. Not after a host interrupt (code 0: time passed), a debug exit, a
/// device access (the UARTs then have bytes to move), a change of the
/// guest's FPU mode (`fpu_view_kept` false) or of its timer deadline
/// (`timer_kept` false), or anything but `Resume`. The caller then still
/// asks the VCPU whether it can enter now (`Vcpu::prepare_entry`).
#[inline]
pub fn reenter_at_once(exit: &Exit, action: Action, reason: ExitReason, fpu_view_kept: bool, timer_kept: bool) -> bool {
    action == Action::Resume && !exit.debug && exit.code() != 0 && reason != ExitReason::Mmio && fpu_view_kept && timer_kept
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

    #[test]
    fn only_vcpu_only_exits_reenter_at_once() {
        let cpu = exit(11);
        assert!(reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, true, true));
        assert!(reenter_at_once(&exit(2), Action::Resume, ExitReason::ShadowFill, true, true));
        // An emulated access to RAM through an unmapped segment touches no
        // device; one that reached a device is MMIO.
        assert!(reenter_at_once(&exit(4), Action::Resume, ExitReason::SegmentAccess, true, true));
        assert!(!reenter_at_once(&exit(4), Action::Resume, ExitReason::Mmio, true, true));
        assert!(!reenter_at_once(&exit(0), Action::Resume, ExitReason::Interrupt, true, true), "time passed");
        assert!(!reenter_at_once(&Exit { debug: true, ..cpu }, Action::Resume, ExitReason::GuestException, true, true));
        assert!(!reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, false, true), "FPU mode changed");
        assert!(!reenter_at_once(&cpu, Action::Resume, ExitReason::Privileged, true, false), "timer changed");
        assert!(!reenter_at_once(&cpu, Action::PowerOff, ExitReason::Mmio, true, true));
        assert!(!reenter_at_once(&cpu, Action::Stop("why"), ExitReason::Unexpected, true, true));
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
