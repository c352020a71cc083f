//! The VCPU threads: each enters its guest, handles the exits, and goes
//! again; it sleeps while the guest waits (WAIT) or mterm holds the guests.
//! The decisions are `hypervisor::vm::exit_loop`'s.

use super::{with_guests, Guests, VM};
use crate::arch::mips::host::HostHw;
use crate::arch::mips::irq::{self, IrqCell};
use crate::arch::mips::thread::{self, SCHED};
use crate::arch::mips::uart::Console;
use crate::arch::mips::{self, cp0, guestmem, timer, world};
use core::fmt::Write;
use hypervisor::vm::exit_loop::{self, Step};
use hypervisor::vm::exitcost::ExitCosts;
use hypervisor::vm::guest::{ns_to_ticks, ticks_to_ns, write_status};
use hypervisor::vm::vcpu::{Action, ExitReason, Host};

/// Per-exit-reason costs, printed when a guest powers off (zero at
/// boot, so in .bss).
static COSTS: IrqCell<ExitCosts> = IrqCell::new(ExitCosts::new());

/// A VCPU thread: enter the guest, handle the exit, again; sleeps
/// while the guest waits (WAIT) or mterm holds the guests. Everything
/// but the preemption point runs with interrupts disabled, so mterm
/// commands never see a guest half-way through an exit.
#[cfg_attr(target_os = "none", optimize(speed))]
pub fn vcpu_thread(index: usize) {
    let mut sample: Option<(ExitReason, u32)> = None;
    loop {
        let _guard = irq::disable();
        let now = timer::now();
        let hold = VM.with(|vm| vm.hold_until);
        let step = if now < hold { Step::Sleep(Some(hold)) } else { with_guests(|g| run_once(index, g, &mut sample)) };
        // The exit cost runs from the exit to the next entry; time
        // other threads ran meanwhile is not part of it.
        match step {
            Step::Again => {
                if thread::preempt_if_needed() {
                    sample = None;
                }
            }
            Step::Sleep(deadline) => {
                sample = None;
                thread::sleep(deadline);
            }
            Step::Exit => {
                VM.with(|vm| {
                    if vm.vcpu_thread[index] == Some(thread::current()) {
                        vm.vcpu_thread[index] = None;
                    }
                });
                mips::tlb::set_asid(0);
                thread::exit();
            }
        }
    }
}

/// Enters guest `index` and handles its exits. The exits that need
/// nothing but the VCPU's own handling (an emulated privileged
/// instruction, a shadow TLB fill, an exception passed to the guest)
/// re-enter the guest at once: the host timer stays armed, the FPU,
/// interrupt lines and UARTs are left alone, and no scheduling decision
/// is due (the next host interrupt ends the run with an interrupt exit).
/// The rest (host interrupts, MMIO, WAIT, a change of the guest's timer
/// or FPU mode, power-off, stop) return to the thread's loop.
// Not inlined into `vcpu_thread`'s closure, which is built for size.
#[cfg_attr(target_os = "none", optimize(speed), inline(never))]
fn run_once(index: usize, guests: &mut Guests, sample: &mut Option<(ExitReason, u32)>) -> Step {
    let Some(guest) = guests.get_mut(index).and_then(Option::as_mut) else { return Step::Exit };
    if let Some(step) = exit_loop::before_entry(guest.state) {
        return step;
    }
    guest.update_irq_lines(ticks_to_ns(timer::now()));
    guest.vcpu.sync_timer(cp0::count());
    // The board's next timer event, in host ticks.
    let board_event = guest.bus.next_event_ns().map(ns_to_ticks);
    let mut host = HostHw { tlb_entries: VM.with(|vm| vm.tlb_entries) };
    if !guest.vcpu.prepare_entry(&guest.memory, &mut host) {
        // WAIT: until its timer or the board's, or a device interrupt
        // (the worker wakes it when input arrives).
        return Step::Sleep(exit_loop::wake_at(guest.stuck(), timer::now(), guest.vcpu.ticks_to_compare(), board_event));
    }
    let uses_fpu = guest.vcpu.cpu.cp0.status_cu1() != 0;
    VM.with(|vm| {
        if let Some(switch) = vm.fpu_owner.claim(index, uses_fpu) {
            if let Some(owner) = switch.save {
                guestmem::save_fpu(&mut vm.fpu[owner]);
            }
            guestmem::restore_fpu(&vm.fpu[switch.restore]);
        }
    });
    let deadline = exit_loop::run_until(timer::now(), SCHED.with(|s| s.next_deadline()), guest.vcpu.ticks_to_compare(), board_event);
    timer::arm_at(deadline);
    let timer_key = guest.vcpu.timer_key();
    let fpu_view = exit_loop::fpu_view(guest.vcpu.cpu.cp0.status);
    let status = exit_loop::entry_status(guest.vcpu.cpu.cp0.status);
    let mut guest_ticks = 0u64;
    let (exit, action) = loop {
        if let Some((reason, at)) = sample.take() {
            COSTS.with(|c| c.record(reason, cp0::count().wrapping_sub(at)));
        }
        let entered = cp0::count();
        let asid = guest.vcpu.host_asid();
        // A reservation the exit's handling would lose: its page mapped
        // now, with interrupts off until the entry (see `pending_sc`).
        let linked = guest.vcpu.take_linked(&guest.memory).map(|(va, shadow)| {
            host.install(shadow);
            va
        });
        let views = guest.vcpu.asids();
        guest.vcpu.paravirt_entry(&mut host);
        let mirror = guest.vcpu.paravirt_page();
        let out = world::enter(&mut guest.vcpu.cpu, status, asid, views, linked, mirror);
        guest_ticks += u64::from(out.count.wrapping_sub(entered));
        guest.vcpu.count_fast(out.fast, out.reflected);
        guest.vcpu.sync_timer(out.count);
        let exit = exit_loop::exit_of(out.vector, out.cause, out.badvaddr, out.lladdr, guest.vcpu.cpu.pc, cp0::debug);
        // The lean MMIO exit changes no CP0 register: the FPU mode and
        // the timer stay as they were.
        let (action, lean) = match guest.vcpu.device_exit(&exit, &guest.memory, &mut guest.bus, &mut host) {
            Some(action) => (action, true),
            None => (guest.vcpu.handle_exit(exit, &guest.memory, &mut guest.bus, &mut host), false),
        };
        *sample = Some((guest.vcpu.last_exit, out.count));
        let fpu_view = lean || exit_loop::fpu_view(guest.vcpu.cpu.cp0.status) == fpu_view;
        let timer = lean || guest.vcpu.timer_key() == timer_key;
        let kept = exit_loop::Kept { fpu_view, timer, lines: !guest.bus.take_lines_moved() };
        let again = exit_loop::reenter_at_once(&exit, action, guest.vcpu.last_exit, kept) && guest.vcpu.prepare_entry(&guest.memory, &mut host);
        if !again {
            break (exit, action);
        }
    };
    VM.with(|vm| vm.guest_ticks += guest_ticks);
    mips::tlb::set_asid(0);
    let mut console = Console::get();
    if exit_loop::moves_uart_bytes(&exit, guest.vcpu.last_exit) {
        let _ = guest.bus.pump_serial(&mut console);
    }
    let (state, step) = exit_loop::after_run(action);
    if let Some(state) = state {
        guest.state = state;
    }
    match action {
        Action::Resume => {}
        Action::PowerOff => {
            let _ = write_status(guest, &mut console);
            let _ = writeln!(console, "exit costs since boot (all guests), Count ticks from the exit to the next entry:");
            let _ = COSTS.with(|c| c.write(&mut console));
        }
        Action::Stop(why) => {
            let _ = writeln!(console, "{}: stopped: {why} (EPC {:#010x}, Cause {:#010x})", guest.name, exit.epc, exit.cause);
            let _ = write_status(guest, &mut console);
        }
    }
    step
}
