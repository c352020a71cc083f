//! Interrupt masking, the state shared with interrupt handlers, and host
//! IRQ dispatch: which line fired (Cause.IP, then the i8259 pair for IP2),
//! its handler from the registration table, and a thread switch at the end
//! if the scheduler asks for one.
//!
//! The hypervisor runs in kernel mode with Status.IM = IP2 | IP7 and
//! Status.IE toggled by critical sections ([`disable`] / [`IrqGuard`]).
//! A kernel-mode interrupt saves the interrupted thread's whole context on
//! its own stack (`exceptions.rs`) and calls [`interrupt_entry`].

use super::{cp0, i8259, thread};
use core::cell::RefCell;
use hypervisor::kernel::irq::{HostIrq, IrqError, IrqTable};

/// A host interrupt handler (runs with interrupts disabled).
pub type Handler = fn(HostIrq);

/// Status.IE was set when the guard was taken; dropping it restores that.
#[must_use]
pub struct IrqGuard(bool);

/// Disables interrupts (MIPS32r2 `di`, atomic) and returns a guard that
/// restores the previous state when dropped.
pub fn disable() -> IrqGuard {
    let status: u32;
    // SAFETY: `di` only clears Status.IE (returning the old Status); it
    // makes the following code uninterruptible, which is always safe.
    unsafe { core::arch::asm!(".set push", ".set noat", "di {0}", "ehb", ".set pop", out(reg) status, options(nostack, preserves_flags)) };
    IrqGuard(status & 1 != 0)
}

/// Enables interrupts (for a thread's start and the idle loop).
pub fn enable() {
    // SAFETY: `ei` sets Status.IE. Every handler and every piece of state
    // shared with handlers is ready before the first call (boot enables
    // interrupts only when it starts the first thread).
    unsafe { core::arch::asm!("ei", "ehb", options(nostack, preserves_flags)) };
}

impl Drop for IrqGuard {
    fn drop(&mut self) {
        if self.0 {
            enable();
        }
    }
}

/// State shared between threads and interrupt handlers. Every access runs
/// with interrupts disabled, on the one CPU, so nothing else runs during
/// it; the `RefCell` turns a nested access (a bug) into a panic instead of
/// two `&mut` to the same value. Never switch threads inside [`with`].
///
/// [`with`]: IrqCell::with
pub struct IrqCell<T>(RefCell<T>);

// SAFETY: one CPU; `with` disables interrupts for the whole access, so no
// other thread or handler can observe the value meanwhile, and the RefCell
// rejects re-entry. Threads only switch outside `with` (see `thread`).
unsafe impl<T> Sync for IrqCell<T> {}

impl<T> IrqCell<T> {
    pub const fn new(value: T) -> Self {
        IrqCell(RefCell::new(value))
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _guard = disable();
        let mut value = self.0.borrow_mut();
        f(&mut value)
    }

    /// Like `with`, but `None` if the value is already in use (for the
    /// fault report, which may interrupt any code).
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let _guard = disable();
        let mut value = self.0.try_borrow_mut().ok()?;
        Some(f(&mut value))
    }
}

/// The host IRQ table.
pub static IRQS: IrqCell<IrqTable<Handler>> = IrqCell::new(IrqTable::new());

/// Registers `handler` for `irq` and unmasks the line (in Status.IM for a
/// CPU line, in the i8259 pair for an ISA line).
pub fn register(irq: HostIrq, name: &'static str, handler: Handler) -> Result<(), IrqError> {
    IRQS.with(|t| t.register(irq, name, handler))?;
    apply_masks();
    Ok(())
}

/// Removes the handler of `irq` and masks the line.
#[allow(dead_code)]
pub fn unregister(irq: HostIrq) -> Result<(), IrqError> {
    IRQS.with(|t| t.unregister(irq))?;
    apply_masks();
    Ok(())
}

/// Programs the controllers' masks from the table.
fn apply_masks() {
    let (isa, cpu) = IRQS.with(|t| (t.isa_mask(), t.cpu_mask()));
    i8259::set_mask(isa);
    cp0::set_interrupt_mask(cpu);
}

/// Called by the kernel-mode interrupt path with interrupts disabled
/// (Status.EXL already cleared): dispatches every pending, enabled CPU
/// line (IP2's handler is the i8259 driver, which dispatches the ISA line
/// in turn), then switches threads if the scheduler asks.
#[no_mangle]
#[cfg_attr(target_os = "none", optimize(speed))]
extern "C" fn interrupt_entry() {
    let pending = (cp0::cause() >> 8) as u8 & (cp0::status() >> 8) as u8;
    for line in (0..8u8).rev().filter(|l| pending & (1 << l) != 0) {
        dispatch(HostIrq::Cpu(line));
    }
    let _ = thread::preempt_if_needed();
}

/// Counts an interrupt on `irq` and calls its handler.
#[cfg_attr(target_os = "none", optimize(speed))]
pub fn dispatch(irq: HostIrq) {
    if let Some(handler) = IRQS.with(|t| t.dispatch(irq)) {
        handler(irq);
    }
}
