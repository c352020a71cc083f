//! The management terminal's thread: it reads the console byte by byte,
//! feeds `hypervisor::mterm`'s editor and carries out the `Action` a
//! command returns (the guests, the threads, the host TLB and the
//! canaries are the target's), or passes the bytes to a bound serial port.

use super::{idle, wake_vcpus, with_guests, worker, BOOT, MAX_GUESTS, THREAD_SLICE, VM};
use crate::arch::mips::irq::{self, IRQS};
use crate::arch::mips::thread::{self, SCHED};
use crate::arch::mips::uart::{self, Console};
use crate::arch::mips::{self, cp0, guestmem, timer};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};
use hypervisor::devices::ring::ByteRing;
use hypervisor::devices::Name;
use hypervisor::kernel::sched::{self, Kind, ThreadAction};
use hypervisor::mterm::{self, Action, LineEditor, System};
use hypervisor::vm::guest::{write_status, Guest, GuestState, LifecycleOp, TICKS_PER_MS};
use hypervisor::vm::ops::{self, GuestCommand, HostTlbEntry, HostView, Times};
use hypervisor::vm::vcpu::shadow_asids;

/// Most host TLB entries `vcpu tlb` looks at (the 24Kf has 16 to 64).
const HOST_TLB_MAX: usize = 64;
/// How long mterm keeps the console after a typed byte: 100 ms.
const INPUT_GRACE: u64 = 100 * TICKS_PER_MS as u64;
/// `guests wait` checks the guests this often.
const WAIT_POLL: u64 = 10 * TICKS_PER_MS as u64;
/// Ends `guests wait`.
const CTRL_C: u8 = 0x03;

/// Canaries in the hypervisor's own data.
static CANARY: [u32; 256] = {
    let mut words = [0; 256];
    let mut i = 0;
    while i < words.len() {
        words[i] = guestmem::canary(i as u32);
        i += 1;
    }
    words
};

/// The next byte typed on the console; sleeps until one comes.
fn next_byte() -> u8 {
    let _guard = irq::disable();
    loop {
        if let Some(byte) = uart::read_byte() {
            return byte;
        }
        thread::sleep(None);
    }
}

/// The management terminal.
pub fn mterm_thread(_: usize) {
    uart::set_waiter(thread::current());
    let mut console = Console::get();
    let Some(boot) = BOOT.with(|b| *b) else { return };
    let system = System { cpu: boot.cpu, ram: boot.ram, devtree: boot.devtree };
    let _ = writeln!(console, "type `help` for commands");
    let _ = console.write_str(mterm::PROMPT);
    let mut editor = LineEditor::new();
    // The guest and the port the console is bound to.
    let mut bound: Option<(usize, Name)> = None;
    // Bytes typed while `guests wait` ran, for mterm afterwards.
    let mut typed_ahead: ByteRing<256> = ByteRing::new();
    // A byte for a bound port whose queue was full: it goes first.
    let mut held: Option<u8> = None;
    loop {
        let byte = held.take().or_else(|| typed_ahead.pop()).unwrap_or_else(next_byte);
        if let Some((index, port_name)) = bound {
            with_guests(|guests| {
                let port = guests.get_mut(index).and_then(Option::as_mut).and_then(|g| g.bus.port_mut(port_name.as_str()));
                if byte == mterm::UNBIND {
                    bound = None;
                    if let Some(port) = port {
                        let _ = port.set_raw(false, &mut console);
                    }
                    let _ = write!(console, "\n[mterm] console back to mterm\n{}", mterm::PROMPT);
                } else if let Some(port) = port {
                    // Input faster than the guest reads it (a paste)
                    // waits in the host's receive ring, not dropped.
                    if port.input_full() {
                        held = Some(byte);
                    } else {
                        port.push_input(byte);
                    }
                }
            });
            thread::wake(worker());
            if held.is_some() {
                thread::sleep(Some(timer::now() + u64::from(TICKS_PER_MS)));
            }
            continue;
        }
        let now = timer::now();
        VM.with(|vm| vm.hold_until = now + INPUT_GRACE);
        let Ok(Some(line)) = editor.feed(byte, &mut console) else {
            continue;
        };
        match mterm::execute(line, &system, &mut console) {
            Ok(Action::Halt) => mips::halt(),
            Ok(Action::Fault(fault)) => mips::raise(fault),
            Ok(Action::Canaries) => check_canaries(boot.free_ram, &mut console),
            Ok(Action::HostIrqs) => {
                let _ = IRQS.with(|t| t.write_list(&mut console));
                let _ = writeln!(console, "host timer: one-shot (tickless), programmed for the nearest event");
            }
            Ok(Action::Thread(command)) => thread_command(command, &mut console),
            Ok(Action::Guests) => with_guests(|guests| {
                for guest in guests.iter().flatten() {
                    let _ = write_status(guest, &mut console);
                }
            }),
            Ok(Action::WaitGuests(name)) => wait_guests(name, &mut typed_ahead, &mut console),
            Ok(Action::Bind(name)) => {
                let found = with_guests(|guests| {
                    let guest = guests.iter_mut().flatten().find(|g| g.bus.ports().any(|p| p.name() == name))?;
                    let _ = writeln!(console, "[mterm] console bound to {name}; Ctrl-] returns");
                    // Its output now comes as it is sent (prompts too), unprefixed.
                    if let Some(port) = guest.bus.port_mut(name) {
                        let _ = port.set_raw(true, &mut console);
                    }
                    Some(guest.index)
                });
                match found {
                    Some(index) => {
                        bound = Some((index, Name::new(name)));
                        // Typing into a guest does not hold the guests.
                        VM.with(|vm| vm.hold_until = 0);
                        wake_vcpus();
                        continue;
                    }
                    None => {
                        let _ = writeln!(console, "vserial: no serial port `{name}`");
                    }
                }
            }
            Ok(Action::Guest(command)) => guest_command(command, &mut console),
            Ok(Action::Continue) | Err(_) => {}
        }
        let _ = console.write_str(mterm::PROMPT);
    }
}

fn check_canaries(free_ram: (u32, u32), console: &mut Console) {
    let data = (0..CANARY.len()).find(|&i| {
        // SAFETY: an index inside the static array; volatile so the
        // compiler reads the memory instead of the constant.
        let word = unsafe { core::ptr::read_volatile(&CANARY[i]) };
        word != guestmem::canary(i as u32)
    });
    let ram = guestmem::check_canaries(free_ram.0, free_ram.1);
    let _ = match (ram, data) {
        (None, None) => writeln!(
            console,
            "canaries intact: {} KiB of free host RAM at {:#x}, {} words in the hypervisor's data",
            free_ram.1 / 1024,
            free_ram.0,
            CANARY.len()
        ),
        (Some((at, value)), _) => writeln!(console, "canaries OVERWRITTEN: host RAM {at:#x} holds {value:#010x}"),
        (None, Some(i)) => writeln!(console, "canaries OVERWRITTEN: the hypervisor's data, word {i}"),
    };
    // Canaries inside guests' own RAM (the `canary-ram` property).
    let memories: [Option<(Name, hypervisor::vm::memory::GuestMemory)>; MAX_GUESTS] =
        with_guests(|g| core::array::from_fn(|i| g.get(i).and_then(Option::as_ref).map(|g| (Name::new(g.name), g.memory))));
    for (name, memory) in memories.iter().flatten() {
        let _ = match guestmem::check_guest_canaries(memory) {
            None => Ok(()),
            Some(Ok(bytes)) => writeln!(console, "{name}: canaries intact: {} KiB of its RAM", bytes / 1024),
            Some(Err((at, value))) => writeln!(console, "{name}: canaries OVERWRITTEN: host RAM {at:#x} holds {value:#010x}"),
        };
    }
}

/// `guests wait [NAME]`: mterm sleeps until no guest (or NAME) runs,
/// or Ctrl-C; bytes typed meanwhile are kept for later (up to 256;
/// the rest stays in the UART's RX ring and then the UART).
fn wait_guests(name: Option<&str>, typed_ahead: &mut ByteRing<256>, console: &mut Console) {
    VM.with(|vm| vm.hold_until = 0);
    wake_vcpus();
    let running = |g: &Guest<'_>| g.state == GuestState::Running && !g.stuck() && name.is_none_or(|n| n == g.name);
    let any_running = || with_guests(|guests| guests.iter().flatten().any(running));
    'wait: while any_running() {
        while !typed_ahead.is_full() {
            match uart::read_byte() {
                Some(CTRL_C) => {
                    let _ = writeln!(console, "[mterm] ^C: stopped waiting");
                    break 'wait;
                }
                Some(byte) => {
                    typed_ahead.push(byte);
                }
                None => break,
            }
        }
        let _guard = irq::disable();
        if typed_ahead.is_full() || !uart::input_pending() {
            thread::sleep(Some(timer::now() + WAIT_POLL));
        }
    }
    with_guests(|guests| {
        for guest in guests.iter().flatten().filter(|g| g.stuck()) {
            let _ = writeln!(console, "[mterm] {} waits with interrupts disabled", guest.name);
        }
    });
    let _ = match name {
        _ if any_running() => Ok(()),
        Some(name) => writeln!(console, "[mterm] {name} is not running"),
        None => writeln!(console, "[mterm] no guest is running"),
    };
}

/// `thread ...`.
fn thread_command(command: sched::ThreadCommand<'_>, console: &mut Console) {
    static SPINNERS: AtomicU32 = AtomicU32::new(0);
    if command == sched::ThreadCommand::List {
        thread::measure_stacks();
    }
    let now = timer::now();
    let action = SCHED.with(|s| sched::execute(command, s, now, u64::from(TICKS_PER_MS), console));
    if let Ok(ThreadAction::Spawn(priority)) = action {
        let n = SPINNERS.fetch_add(1, Ordering::Relaxed) + 1;
        let mut name = [b's', b'p', b'i', b'n', b'0', b'0', b'0'];
        name[4] = b'0' + (n / 100 % 10) as u8;
        name[5] = b'0' + (n / 10 % 10) as u8;
        name[6] = b'0' + (n % 10) as u8;
        let name = core::str::from_utf8(&name).unwrap_or("spin");
        let _ = match thread::spawn(name, Kind::Thread, priority, THREAD_SLICE, false, spin_thread, 0) {
            Ok(id) => writeln!(console, "thread {id} `{name}` started at priority {priority}"),
            Err(why) => writeln!(console, "thread: cannot start one: {why}"),
        };
    }
}

/// `guest`, `vcpu`, `stats`, `vserial list|dump`: the library prints,
/// then the host side of a lifecycle change is carried out here.
fn guest_command(command: GuestCommand<'_>, console: &mut Console) {
    let mut tlb = [HostTlbEntry::default(); HOST_TLB_MAX];
    let tlb_entries = VM.with(|vm| vm.tlb_entries);
    let entries = if matches!(command, GuestCommand::VcpuTlb(_)) { read_host_tlb(tlb_entries, &mut tlb) } else { 0 };
    let now = timer::now();
    let idle = SCHED.with(|s| s.run_ticks(idle(), now));
    let (guest, started) = VM.with(|vm| (vm.guest_ticks, vm.started));
    let total = now.saturating_sub(started);
    let times = Times { guest, idle, hypervisor: total.saturating_sub(guest + idle) };
    let host = HostView { tlb: &tlb[..entries], times };
    let done = with_guests(|guests| ops::execute(command, guests, &host, cp0::count(), console));
    let (GuestCommand::Lifecycle(op, _), Ok(Some((index, effects)))) = (command, done) else { return };
    let thread = VM.with(|vm| vm.vcpu_thread[index]);
    if effects.drop_shadows {
        mips::tlb::flush(tlb_entries, shadow_asids(index), 0, u64::MAX);
        mips::tlb::set_asid(0);
    }
    match op {
        LifecycleOp::Pause => {
            if let Some(id) = thread {
                let _ = SCHED.with(|s| s.pause(id));
            }
        }
        LifecycleOp::Resume => {
            if let Some(id) = thread {
                let _ = SCHED.with(|s| s.resume(id));
                thread::wake(id);
            }
        }
        LifecycleOp::Stop | LifecycleOp::Start | LifecycleOp::Reset => {
            if let Some(id) = thread {
                let _ = thread::destroy(id);
            }
            VM.with(|vm| {
                vm.vcpu_thread[index] = None;
                if effects.reload_image {
                    vm.fpu[index] = guestmem::FpuRegs::ZERO;
                    vm.fpu_owner.release(index);
                    vm.reload[index] = true;
                }
            });
            thread::wake(worker());
        }
    }
}

/// The host TLB, for `vcpu tlb`; returns how many entries were read.
fn read_host_tlb(tlb_entries: u32, out: &mut [HostTlbEntry; HOST_TLB_MAX]) -> usize {
    let _guard = irq::disable();
    let n = (tlb_entries as usize).min(HOST_TLB_MAX);
    for (index, slot) in out.iter_mut().enumerate().take(n) {
        let (entry_hi, entry_lo, page_mask) = mips::tlb::read(index as u32);
        *slot = HostTlbEntry { index: index as u32, entry_hi, entry_lo, page_mask };
    }
    mips::tlb::set_asid(0);
    n
}

/// A thread that only spins (`thread spin`), with interrupts enabled.
fn spin_thread(_: usize) {
    loop {
        core::hint::spin_loop();
    }
}
