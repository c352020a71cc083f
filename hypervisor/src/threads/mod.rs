//! The image's threads (target-only), and the state they share:
//!
//! - `mterm` (priority 3, [`mterm`]): the management terminal; blocks on
//!   UART input;
//! - `worker` (priority 2, [`worker`]): deferred work: guest image reloads
//!   for `guest start|reset`, and typed input carried to guests that wait;
//! - one VCPU thread per guest (priority 1, [`vcpu`]): enters the guest,
//!   handles its exits, sleeps while the guest waits (WAIT);
//! - `idle` (priority 0): executes WAIT.
//!
//! Their decisions live in the library (`hypervisor::vm::exit_loop`,
//! `hypervisor::kernel::sched`, `hypervisor::mterm`), host-tested; these
//! files carry them out with `arch`'s hardware.

pub mod mterm;
pub mod vcpu;
pub mod worker;

use crate::arch::mips::irq::IrqCell;
use crate::arch::mips::once::BootArray;
use crate::arch::mips::thread::{self, SCHED};
use crate::arch::mips::uart::Console;
use crate::arch::mips::{self, guestmem};
use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};
use hypervisor::devices::Name;
use hypervisor::host::bootenv::BootEnvError;
use hypervisor::host::cpu::CpuInfo;
use hypervisor::kernel::sched::{Kind, SchedError, ThreadId, PRIO_IDLE, PRIO_MTERM, PRIO_VCPU, PRIO_WORKER};
use hypervisor::vm::exit_loop::FpuOwner;
use hypervisor::vm::guest::{Guest, GuestState, TICKS_PER_MS};
use hypervisor::vm::ops;

pub const MAX_GUESTS: usize = hypervisor::vm::config::MAX_GUESTS;
pub type Guests = [Option<Guest<'static>>];

/// The guests, shared by their VCPU threads, mterm and the worker:
/// `MAX_GUESTS` slots in `GUEST_SLOTS`, from boot on (none before).
static GUESTS: IrqCell<Option<&'static mut [Option<Guest<'static>>; MAX_GUESTS]>> = IrqCell::new(None);
/// Where boot builds the guest table (44 KiB; in .bss, see `BootArray`).
static GUEST_SLOTS: BootArray<Option<Guest<'static>>, MAX_GUESTS> = BootArray::new();

/// Sets up the (empty) guest table; once, at boot.
pub fn init_guests() {
    let slots = GUEST_SLOTS.init(|| None);
    GUESTS.with(|g| *g = slots);
}

/// Runs `f` on the guest table, with interrupts disabled.
pub fn with_guests<R>(f: impl FnOnce(&mut Guests) -> R) -> R {
    GUESTS.with(|g| match g {
        Some(guests) => f(&mut guests[..]),
        None => f(&mut []),
    })
}

/// Host-side VM state shared by the threads.
pub struct Vm {
    /// The thread running each guest's VCPU.
    pub vcpu_thread: [Option<ThreadId>; MAX_GUESTS],
    /// Guests whose image the worker must reload (then start their VCPU).
    pub reload: [bool; MAX_GUESTS],
    /// The guest whose registers are in the FPU, and everyone's FPU state.
    pub fpu_owner: FpuOwner,
    pub fpu: [guestmem::FpuRegs; MAX_GUESTS],
    /// Host ticks spent in guests (entry to exit).
    pub guest_ticks: u64,
    /// Guests do not run before this tick: mterm keeps the console
    /// while a command line is typed.
    pub hold_until: u64,
    /// Host ticks at the start of the first thread.
    pub started: u64,
    pub tlb_entries: u32,
    pub ram: u64,
}

pub static VM: IrqCell<Vm> = IrqCell::new(Vm {
    vcpu_thread: [None; MAX_GUESTS],
    reload: [false; MAX_GUESTS],
    fpu_owner: FpuOwner::NONE,
    fpu: [guestmem::FpuRegs::ZERO; MAX_GUESTS],
    guest_ticks: 0,
    hold_until: 0,
    started: 0,
    tlb_entries: 0,
    ram: 0,
});

/// What mterm reports on, gathered at boot.
#[derive(Clone, Copy)]
pub struct BootInfo {
    pub cpu: CpuInfo,
    pub ram: Result<u64, BootEnvError>,
    /// The embedded host device tree.
    pub devtree: &'static [u8],
    /// Free host RAM filled with canaries (`canaries` checks them).
    pub free_ram: (u32, u32),
}

pub static BOOT: IrqCell<Option<BootInfo>> = IrqCell::new(None);

/// Thread ids of the system threads.
static WORKER: AtomicUsize = AtomicUsize::new(usize::MAX);
static IDLE: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Time slice of the hypervisor's own threads.
pub const THREAD_SLICE: u64 = 10 * TICKS_PER_MS as u64;
/// The idle thread has nothing to share its turn with.
const IDLE_SLICE: u64 = 1000 * TICKS_PER_MS as u64;

/// Starts the idle, mterm and worker threads.
pub fn spawn_system() -> Result<(), SchedError> {
    let idle = thread::spawn("idle", Kind::Thread, PRIO_IDLE, IDLE_SLICE, true, idle_thread, 0)?;
    IDLE.store(idle, Ordering::Relaxed);
    thread::spawn("mterm", Kind::Thread, PRIO_MTERM, THREAD_SLICE, true, mterm::mterm_thread, 0)?;
    let worker = thread::spawn("worker", Kind::Thread, PRIO_WORKER, THREAD_SLICE, true, worker::worker_thread, 0)?;
    WORKER.store(worker, Ordering::Relaxed);
    Ok(())
}

/// The worker's thread id.
pub fn worker() -> ThreadId {
    WORKER.load(Ordering::Relaxed)
}

/// The idle thread's id.
pub fn idle() -> ThreadId {
    IDLE.load(Ordering::Relaxed)
}

/// Starts the VCPU thread of guest `index` if it exists, is running
/// (or paused: then its thread is paused too) and has none.
pub fn start_vcpu(index: usize) {
    let Some((name, slice, state)) = with_guests(|g| g.get(index).and_then(Option::as_ref).map(|g| (Name::new(g.name), g.time_slice_ticks, g.state))) else {
        return;
    };
    if !matches!(state, GuestState::Running | GuestState::Paused) || VM.with(|vm| vm.vcpu_thread[index].is_some()) {
        return;
    }
    // `guest0/vcpu0` (cut to 32 bytes by the thread table).
    let mut bytes = [0u8; 64];
    let parts = name.as_str().as_bytes().iter().chain(ops::VCPU_SUFFIX.as_bytes());
    let mut len = 0;
    for (slot, &b) in bytes.iter_mut().zip(parts) {
        *slot = b;
        len += 1;
    }
    let text = core::str::from_utf8(&bytes[..len]).unwrap_or("vcpu");
    match thread::spawn(text, Kind::Vcpu, PRIO_VCPU, u64::from(slice), false, vcpu::vcpu_thread, index) {
        Ok(id) => {
            VM.with(|vm| vm.vcpu_thread[index] = Some(id));
            if state == GuestState::Paused {
                let _ = SCHED.with(|s| s.pause(id));
            }
        }
        Err(why) => {
            let _ = writeln!(Console::get(), "{name}: cannot start its VCPU thread: {why}");
        }
    }
}

/// Wakes every VCPU thread (after the guests' hold ends early).
pub fn wake_vcpus() {
    let threads = VM.with(|vm| vm.vcpu_thread);
    for id in threads.into_iter().flatten() {
        thread::wake(id);
    }
}

/// The idle thread: WAIT with interrupts enabled; any interrupt that
/// readies a thread preempts it.
fn idle_thread(_: usize) {
    loop {
        mips::wait_for_interrupt();
    }
}
