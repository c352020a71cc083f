//! Hypervisor threads on the CPU: a fixed pool of stacks (one per thread
//! slot, filled with `hypervisor::kernel::stack::PATTERN` at spawn; the lowest
//! words must still hold it at every switch), the
//! context switch, and the glue between the scheduling policy
//! (`hypervisor::kernel::sched`, host-tested) and the hardware.
//!
//! A switch saves the callee-saved registers on the old thread's stack and
//! loads the new one's; it always happens with interrupts disabled and no
//! [`IrqCell`] in use. Preemption: the kernel-mode interrupt path saves the
//! interrupted thread's whole context on its stack, and the dispatch ends
//! in [`preempt_if_needed`], which may switch; the interrupted thread
//! resumes later from that same point, returning through the interrupt
//! path exactly where it was.

use super::irq::{self, IrqCell};
use super::timer;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};
use hypervisor::kernel::sched::{Kind, SchedError, Scheduler, Switch, ThreadId, MAX_THREADS};
use hypervisor::kernel::stack::{self, StackUse, GUARD_WORDS, PATTERN};

/// The scheduling policy's state.
pub static SCHED: IrqCell<Scheduler> = IrqCell::new(Scheduler::new());

/// What a thread runs: its function and argument.
type Entry = (fn(usize), usize);
/// Each thread's [`Entry`].
static ENTRIES: IrqCell<[Option<Entry>; MAX_THREADS]> = IrqCell::new([None; MAX_THREADS]);

/// Bytes of stack per thread. Measured high-water marks (`thread list`,
/// after every QEMU test's workloads; BENCHMARKS.md, stack use):
/// mterm 4.5 KiB (`vcpu regs`/`tlb`, `devtree`, `stats`, `vserial dump`),
/// a VCPU thread 1.8 KiB (the guest
/// suite, the hostile guest's million random words), worker 0.7, idle
/// 0.5. Idle's figure is the kernel-mode interrupt path itself (the
/// 160-byte frame, the dispatch, a thread switch), which can land on top
/// of any thread's deepest interruptible point: 4.5 + 0.5 = 5.0 KiB at
/// most. The size is 2.4 times that: paths the tests do not reach, and
/// other compiler versions or inlining, may go deeper. One size for
/// every slot keeps the pool simple.
pub const STACK_SIZE: usize = 12 * 1024;
const STACK_WORDS: usize = STACK_SIZE / 4;

#[repr(C, align(16))]
struct Stacks(UnsafeCell<[[u32; STACK_WORDS]; MAX_THREADS]>);
// SAFETY: stack `i` is only used by thread `i` while it is alive, and
// written by `spawn` only while slot `i` holds no live thread (the
// scheduler never reuses the current thread's slot).
unsafe impl Sync for Stacks {}
static STACKS: Stacks = Stacks(UnsafeCell::new([[0; STACK_WORDS]; MAX_THREADS]));

/// Saved stack pointers (slot `MAX_THREADS`: the boot context, left for good).
static SAVED_SP: [AtomicU32; MAX_THREADS + 1] = [const { AtomicU32::new(0) }; MAX_THREADS + 1];

/// Words of the switch frame: s0-s7, s8, gp, ra, one spare (8-aligned).
const SWITCH_WORDS: usize = 12;

core::arch::global_asm!(
    r#"
    .text
    .set push
    .set noreorder
    .globl switch_context
    .type switch_context, @function
# switch_context(a0 = where to save this thread's sp, a1 = sp to load):
# saves the callee-saved registers here, resumes the other thread.
switch_context:
    addiu $sp, $sp, -48
    sw    $s0, 0($sp)
    sw    $s1, 4($sp)
    sw    $s2, 8($sp)
    sw    $s3, 12($sp)
    sw    $s4, 16($sp)
    sw    $s5, 20($sp)
    sw    $s6, 24($sp)
    sw    $s7, 28($sp)
    sw    $s8, 32($sp)
    sw    $gp, 36($sp)
    sw    $ra, 40($sp)
    sw    $sp, 0($a0)
    move  $sp, $a1
    lw    $s0, 0($sp)
    lw    $s1, 4($sp)
    lw    $s2, 8($sp)
    lw    $s3, 12($sp)
    lw    $s4, 16($sp)
    lw    $s5, 20($sp)
    lw    $s6, 24($sp)
    lw    $s7, 28($sp)
    lw    $s8, 32($sp)
    lw    $gp, 36($sp)
    lw    $ra, 40($sp)
    jr    $ra
    addiu $sp, $sp, 48
    .globl thread_trampoline
# A new thread's first return from switch_context lands here.
thread_trampoline:
    jal   thread_main
    addiu $sp, $sp, -16
1:  b     1b
    nop
    .set pop
"#
);

extern "C" {
    fn switch_context(save_sp: *mut u32, load_sp: u32);
    fn thread_trampoline();
    static _gp: u8;
}

fn stack_bottom(id: ThreadId) -> *mut u32 {
    // SAFETY: only the address is computed (in bounds: id < MAX_THREADS).
    unsafe { (*STACKS.0.get()).as_mut_ptr().add(id).cast() }
}

/// Creates and starts a thread running `entry(arg)` on its own stack.
pub fn spawn(name: &str, kind: Kind, priority: u8, slice: u64, system: bool, entry: fn(usize), arg: usize) -> Result<ThreadId, SchedError> {
    SCHED.with(|s| {
        let id = s.create(name, kind, priority, slice, system)?;
        ENTRIES.with(|e| e[id] = Some((entry, arg)));
        let bottom = stack_bottom(id);
        let mut frame = [0u32; SWITCH_WORDS];
        frame[9] = core::ptr::addr_of!(_gp) as u32;
        frame[10] = thread_trampoline as *const () as u32;
        // SAFETY: slot `id` holds no live thread (`create` never reuses
        // the current thread's slot and dead threads never run again), so
        // nothing uses its stack; the writes stay inside it.
        unsafe {
            for i in 0..STACK_WORDS - SWITCH_WORDS {
                bottom.add(i).write_volatile(PATTERN);
            }
            let sp = bottom.add(STACK_WORDS - SWITCH_WORDS);
            sp.cast::<[u32; SWITCH_WORDS]>().write(frame);
            SAVED_SP[id].store(sp as u32, Ordering::Relaxed);
        }
        s.start(id)?;
        Ok(id)
    })
}

/// A new thread's first Rust code: runs its function, then ends it.
#[no_mangle]
extern "C" fn thread_main() -> ! {
    let id = SCHED.with(|s| s.current());
    let entry = ENTRIES.with(|e| e[id]);
    irq::enable();
    if let Some((f, arg)) = entry {
        f(arg);
    }
    exit()
}

/// Word `i` (from the bottom) of stack `id`.
fn stack_word(id: ThreadId, i: usize) -> u32 {
    let i = i.min(STACK_WORDS - 1);
    // SAFETY: reads one word inside stack `id` (i < STACK_WORDS). It may
    // be part of a live frame (the caller's own stack, or a suspended
    // thread's): the read is volatile and only observes, as any stack
    // painting check does; nothing is written.
    unsafe { stack_bottom(id).add(i).read_volatile() }
}

/// The lowest words of stack `id` still hold the fill pattern: the
/// thread has not come near the bottom of its stack.
fn guard_intact(id: ThreadId) -> bool {
    (0..GUARD_WORDS).all(|i| stack_word(id, i) == PATTERN)
}

/// Stack `id`'s high-water mark since its thread was spawned.
#[inline(never)]
fn stack_use(id: ThreadId) -> StackUse {
    StackUse { used: stack::high_water((0..STACK_WORDS).map(|i| stack_word(id, i)), STACK_SIZE), size: STACK_SIZE }
}

/// Records every live thread's stack high-water mark in the scheduler
/// (for `thread list`).
pub fn measure_stacks() {
    let uses: [StackUse; MAX_THREADS] = core::array::from_fn(stack_use);
    SCHED.with(|s| {
        for (id, used) in uses.into_iter().enumerate() {
            s.note_stack(id, used);
        }
    });
}

/// Switches to the thread the policy picks. Interrupts must be disabled.
/// Returns whether another thread ran before this one came back.
fn schedule() -> bool {
    let now = timer::now();
    let (switch, deadline) = SCHED.with(|s| (s.schedule(now), s.next_deadline()));
    timer::arm_at(deadline);
    let Some(Switch { from, to }) = switch else { return false };
    for id in [from, to] {
        if !guard_intact(id) {
            let name = SCHED.with(|s| s.thread(id).map(|t| t.name));
            let bytes = GUARD_WORDS * 4;
            panic!("thread {id} ({name:?}) reached the lowest {bytes} bytes of its {STACK_SIZE}-byte stack");
        }
    }
    let to_sp = SAVED_SP[to].load(Ordering::Relaxed);
    // SAFETY: `to_sp` is the stack pointer `to` saved in switch_context
    // (or spawn's first frame), on its own live stack; the current
    // context is saved first, so this thread resumes here when picked.
    unsafe { switch_context(SAVED_SP[from].as_ptr(), to_sp) };
    true
}

/// Leaves the boot context for the first thread; never returns.
pub fn start() -> ! {
    let _guard = irq::disable();
    let now = timer::now();
    let (first, deadline) = SCHED.with(|s| {
        s.start_clock(now);
        s.schedule(now);
        (s.current(), s.next_deadline())
    });
    timer::arm_at(deadline);
    let to_sp = SAVED_SP[first].load(Ordering::Relaxed);
    // SAFETY: as in `schedule`; the boot context is saved in the spare
    // slot and never resumed.
    unsafe { switch_context(SAVED_SP[MAX_THREADS].as_ptr(), to_sp) };
    unreachable!("the boot context resumed")
}

/// End of an interrupt dispatch, or a preemption point in a thread
/// (interrupts disabled): switch if a higher-priority thread became ready
/// or the turn is over. Returns whether another thread ran meanwhile.
pub fn preempt_if_needed() -> bool {
    SCHED.with(|s| s.need_resched()) && schedule()
}

/// The timer fired at `now`: returns the next deadline.
#[cfg_attr(target_os = "none", optimize(speed))]
pub fn tick(now: u64) -> u64 {
    SCHED.with(|s| {
        s.tick(now);
        s.next_deadline()
    })
}

/// Gives the CPU to the next ready thread of the same priority, if any.
#[allow(dead_code)]
pub fn yield_now() {
    let _guard = irq::disable();
    SCHED.with(|s| s.yield_current());
    let _ = schedule();
}

/// The current thread waits until woken by [`wake`] or until tick
/// `deadline`. Callers check their condition with interrupts disabled
/// before calling, so a wakeup cannot slip in between.
pub fn sleep(deadline: Option<u64>) {
    let _guard = irq::disable();
    SCHED.with(|s| s.block_current(deadline));
    let _ = schedule();
}

/// Wakes thread `id` if it sleeps; a switch follows at the next
/// preemption point if it outranks the current thread.
pub fn wake(id: ThreadId) {
    SCHED.with(|s| s.wake(id));
}

pub fn current() -> ThreadId {
    SCHED.with(|s| s.current())
}

/// Ends the current thread.
pub fn exit() -> ! {
    let _guard = irq::disable();
    let id = current();
    let used = stack_use(id);
    SCHED.with(|s| {
        s.note_stack(id, used);
        let _ = s.destroy(id);
    });
    let _ = schedule();
    unreachable!("a dead thread resumed")
}

/// Ends thread `id` (not the current one: use [`exit`]).
pub fn destroy(id: ThreadId) -> Result<(), SchedError> {
    let used = stack_use(id.min(MAX_THREADS - 1));
    SCHED.with(|s| {
        s.note_stack(id, used);
        s.destroy(id)
    })
}
