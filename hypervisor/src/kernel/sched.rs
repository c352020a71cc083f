//! The scheduling policy shared by hypervisor threads and guest VCPUs.
//!
//! Every schedulable entity is a thread (a VCPU is run by a thread of kind
//! [`Kind::Vcpu`]). The policy is strict priority, round robin within a
//! priority: the ready thread of highest priority runs; among equals, the
//! one that became ready first (FIFO by a sequence number). A thread runs
//! until it blocks, yields, is preempted by a higher-priority thread
//! becoming ready, or its time slice ends while another thread of its
//! priority is ready. Time is the host's 64-bit tick count (CP0 Count,
//! extended by the target); this module only does the bookkeeping, the
//! context switch and the timer are `arch` code.

use crate::devices::Name;
use crate::kernel::stack::StackUse;
use crate::text::TextBuf;
use core::fmt::{self, Write};

/// Most threads at once (hypervisor threads and VCPU threads).
pub const MAX_THREADS: usize = 12;

/// Priorities (higher runs first).
pub const PRIO_IDLE: u8 = 0;
pub const PRIO_VCPU: u8 = 1;
pub const PRIO_WORKER: u8 = 2;
pub const PRIO_MTERM: u8 = 3;
/// Highest priority a thread created from mterm may have (that of mterm
/// itself, so it can never starve the terminal).
pub const PRIO_MAX_USER: u8 = PRIO_MTERM;

/// A thread's index in the table.
pub type ThreadId = usize;

/// What a thread runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A hypervisor thread (mterm, the deferred-work thread, idle, ...).
    Thread,
    /// The thread running a guest's VCPU.
    Vcpu,
}

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created, not started yet.
    Created,
    Ready,
    Running,
    /// Waiting for a wakeup, without a deadline.
    Blocked,
    /// Waiting for a wakeup or until the tick count reaches the deadline.
    Sleeping(u64),
    /// Finished or destroyed; its slot is free once it is not current.
    Dead,
}

/// One thread's bookkeeping.
#[derive(Clone, Copy, Debug)]
pub struct Thread {
    pub name: Name,
    pub kind: Kind,
    pub priority: u8,
    pub state: State,
    /// Paused by the operator: never picked while set (its state goes on:
    /// a sleeper's deadline still wakes it, to Ready).
    pub paused: bool,
    /// A system thread (mterm, idle, ...): the operator cannot pause or
    /// destroy it.
    pub system: bool,
    /// Ticks per turn.
    pub slice: u64,
    /// Times switched to.
    pub scheduled: u64,
    /// Ticks spent running.
    pub run_ticks: u64,
    /// Its stack's high-water mark, as the target last measured it.
    pub stack: StackUse,
    /// Ready order within a priority (smaller first).
    seq: u64,
}

impl Thread {
    fn runnable(&self) -> bool {
        self.state == State::Ready && !self.paused
    }
}

/// Why a thread operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedError {
    /// Every slot is taken.
    Full,
    NoSuchThread,
    /// The operation does not apply in the thread's state.
    WrongState,
}

impl fmt::Display for SchedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchedError::Full => "no free thread slot",
            SchedError::NoSuchThread => "no such thread",
            SchedError::WrongState => "not in a state that allows it",
        })
    }
}

/// A switch the target must carry out: save `from`'s context, load `to`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    pub from: ThreadId,
    pub to: ThreadId,
}

/// The thread table and the current thread.
#[derive(Clone, Debug)]
pub struct Scheduler {
    threads: [Option<Thread>; MAX_THREADS],
    current: ThreadId,
    /// Next ready-order number.
    seq: u64,
    /// When the current thread's run time was last accounted.
    since: u64,
    /// When the current thread's turn ends.
    slice_end: u64,
    /// A switch is due at the next preemption point.
    need_resched: bool,
    /// Deepest stack use measured since boot, per kind (threads, VCPUs),
    /// ended threads included.
    deepest: [StackUse; 2],
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    pub const fn new() -> Self {
        Scheduler { threads: [None; MAX_THREADS], current: 0, seq: 0, since: 0, slice_end: u64::MAX, need_resched: false, deepest: [StackUse { used: 0, size: 0 }; 2] }
    }

    /// A new thread in state `Created` (it runs once started). Reuses the
    /// slot of a dead thread that is not current.
    pub fn create(&mut self, name: &str, kind: Kind, priority: u8, slice: u64, system: bool) -> Result<ThreadId, SchedError> {
        let current = self.current;
        let free = (0..MAX_THREADS).find(|&i| match &self.threads[i] {
            None => true,
            Some(t) => t.state == State::Dead && i != current,
        });
        let id = free.ok_or(SchedError::Full)?;
        self.threads[id] = Some(Thread {
            name: Name::new(name),
            kind,
            priority,
            state: State::Created,
            paused: false,
            system,
            slice: slice.max(1),
            scheduled: 0,
            run_ticks: 0,
            stack: StackUse::default(),
            seq: 0,
        });
        Ok(id)
    }

    /// Records thread `id`'s stack high-water mark (the target measures
    /// it for `thread list` and before a thread ends).
    pub fn note_stack(&mut self, id: ThreadId, stack: StackUse) {
        let Some(Some(t)) = self.threads.get_mut(id) else { return };
        t.stack = stack;
        let deepest = &mut self.deepest[t.kind as usize];
        if stack.used >= deepest.used {
            *deepest = stack;
        }
    }

    fn get_mut(&mut self, id: ThreadId) -> Result<&mut Thread, SchedError> {
        match self.threads.get_mut(id) {
            Some(Some(t)) if t.state != State::Dead => Ok(t),
            _ => Err(SchedError::NoSuchThread),
        }
    }

    pub fn thread(&self, id: ThreadId) -> Option<&Thread> {
        self.threads.get(id)?.as_ref().filter(|t| t.state != State::Dead)
    }

    /// The live threads with their ids.
    pub fn threads(&self) -> impl Iterator<Item = (ThreadId, &Thread)> {
        self.threads.iter().enumerate().filter_map(|(i, t)| t.as_ref().filter(|t| t.state != State::Dead).map(|t| (i, t)))
    }

    /// The live thread called `name`.
    pub fn find(&self, name: &str) -> Option<ThreadId> {
        self.threads().find(|(_, t)| t.name.as_str() == name).map(|(i, _)| i)
    }

    pub fn current(&self) -> ThreadId {
        self.current
    }

    /// Run time counts from `now` (when the first thread starts).
    pub fn start_clock(&mut self, now: u64) {
        self.since = now;
    }

    /// Makes `id` ready and, if it outranks the current thread, asks for a
    /// switch.
    fn make_ready(&mut self, id: ThreadId) {
        self.seq += 1;
        let seq = self.seq;
        let current_priority = self.threads[self.current].map(|t| t.priority);
        if let Some(t) = self.threads[id].as_mut() {
            t.state = State::Ready;
            t.seq = seq;
            if !t.paused && current_priority.is_none_or(|p| t.priority > p) {
                self.need_resched = true;
            }
        }
    }

    /// Starts a created thread.
    pub fn start(&mut self, id: ThreadId) -> Result<(), SchedError> {
        if self.get_mut(id)?.state != State::Created {
            return Err(SchedError::WrongState);
        }
        self.make_ready(id);
        Ok(())
    }

    /// The operator pauses a thread: it is not picked until resumed.
    pub fn pause(&mut self, id: ThreadId) -> Result<(), SchedError> {
        let is_current = id == self.current;
        let t = self.get_mut(id)?;
        if t.paused {
            return Err(SchedError::WrongState);
        }
        t.paused = true;
        if is_current {
            self.need_resched = true;
        }
        Ok(())
    }

    pub fn resume(&mut self, id: ThreadId) -> Result<(), SchedError> {
        let t = self.get_mut(id)?;
        if !t.paused {
            return Err(SchedError::WrongState);
        }
        t.paused = false;
        if t.state == State::Ready {
            self.make_ready(id);
        }
        Ok(())
    }

    /// Ends a thread. The current thread keeps running until the next
    /// switch (which never comes back to it); any other thread's stack is
    /// free at once.
    pub fn destroy(&mut self, id: ThreadId) -> Result<(), SchedError> {
        let is_current = id == self.current;
        self.get_mut(id)?.state = State::Dead;
        if is_current {
            self.need_resched = true;
        }
        Ok(())
    }

    /// The current thread waits: for a wakeup, or until `deadline`.
    /// The target switches away next.
    pub fn block_current(&mut self, deadline: Option<u64>) {
        if let Some(t) = self.threads[self.current].as_mut().filter(|t| t.state == State::Running) {
            t.state = deadline.map_or(State::Blocked, State::Sleeping);
        }
        self.need_resched = true;
    }

    /// The current thread goes to the back of its priority's queue.
    pub fn yield_current(&mut self) {
        if self.threads[self.current].is_some_and(|t| t.state == State::Running) {
            self.make_ready(self.current);
        }
        self.need_resched = true;
    }

    /// Wakes a blocked or sleeping thread (nothing for others: a wakeup
    /// is not remembered).
    pub fn wake(&mut self, id: ThreadId) -> bool {
        match self.thread(id).map(|t| t.state) {
            Some(State::Blocked | State::Sleeping(_)) => {
                self.make_ready(id);
                true
            }
            _ => false,
        }
    }

    /// Time passed (a timer interrupt): wakes the sleepers whose deadline
    /// is reached and ends the current turn if its slice is over and
    /// another thread of its priority (or higher) is ready. Returns
    /// whether a switch is due.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn tick(&mut self, now: u64) -> bool {
        for id in 0..MAX_THREADS {
            if matches!(self.threads[id], Some(Thread { state: State::Sleeping(d), .. }) if d <= now) {
                self.make_ready(id);
            }
        }
        if now >= self.slice_end {
            let priority = self.threads[self.current].map_or(0, |t| t.priority);
            let contender = self.threads.iter().flatten().any(|t| t.runnable() && t.priority >= priority);
            if contender {
                self.need_resched = true;
            } else if let Some(t) = self.threads[self.current] {
                // Nobody else wants the CPU: a new turn.
                self.slice_end = now.saturating_add(t.slice);
            }
        }
        self.need_resched
    }

    pub fn need_resched(&self) -> bool {
        self.need_resched
    }

    /// Picks the thread to run at `now` and accounts the current one's run
    /// time. Returns the switch to make, if the pick is another thread.
    /// A current thread that is still running competes with its old place
    /// in the queue unless its slice is over.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn schedule(&mut self, now: u64) -> Option<Switch> {
        self.need_resched = false;
        let from = self.current;
        let slice_over = now >= self.slice_end;
        let was_running = self.threads[from].is_some_and(|t| t.state == State::Running);
        if let Some(t) = self.threads[from].as_mut() {
            t.run_ticks += now.saturating_sub(self.since);
            if t.state == State::Running {
                t.state = State::Ready;
                if slice_over {
                    self.seq += 1;
                    t.seq = self.seq;
                }
            }
        }
        self.since = now;
        let best = (0..MAX_THREADS)
            .filter(|&i| self.threads[i].is_some_and(|t| t.runnable()))
            .max_by_key(|&i| self.threads[i].map(|t| (t.priority, u64::MAX - t.seq)));
        // With nothing ready (no idle thread), the current one goes on.
        let to = best.unwrap_or(from);
        if let Some(t) = self.threads[to].as_mut() {
            if t.state == State::Ready {
                t.state = State::Running;
            }
            let dispatched = to != from || !was_running;
            if dispatched || slice_over {
                self.slice_end = now.saturating_add(t.slice);
            }
            if dispatched {
                t.scheduled += 1;
            }
        }
        self.current = to;
        (to != from).then_some(Switch { from, to })
    }

    /// The next tick at which the scheduler has something to do: the
    /// current turn's end or the earliest sleeper's deadline.
    pub fn next_deadline(&self) -> u64 {
        let sleepers = self.threads.iter().flatten().filter_map(|t| match t.state {
            State::Sleeping(d) => Some(d),
            _ => None,
        });
        sleepers.fold(self.slice_end, u64::min)
    }

    /// Ticks the current thread has run since it was last accounted.
    pub fn current_run(&self, now: u64) -> u64 {
        now.saturating_sub(self.since)
    }

    /// Total run ticks of thread `id`, up to `now`.
    pub fn run_ticks(&self, id: ThreadId, now: u64) -> u64 {
        let extra = if id == self.current { self.current_run(now) } else { 0 };
        self.thread(id).map_or(0, |t| t.run_ticks + extra)
    }

    /// `thread list`.
    pub fn write_list(&self, now: u64, ticks_per_ms: u64, out: &mut dyn Write) -> fmt::Result {
        writeln!(out, "{:>2} {:<16} {:<6} {:>4} {:<16} {:>9} {:>9} stack", "id", "name", "kind", "prio", "state", "scheduled", "run ms")?;
        for (id, t) in self.threads() {
            let mut state = StateName(t.state, t.paused, now);
            if id == self.current {
                state.0 = State::Running;
            }
            let ms = self.run_ticks(id, now) / ticks_per_ms.max(1);
            writeln!(
                out,
                "{id:>2} {:<16} {:<6} {:>4} {:<16} {:>9} {ms:>9} {}",
                t.name.as_str(),
                kind_name(t.kind),
                t.priority,
                state.to_string_buf().as_str(),
                t.scheduled,
                t.stack
            )?;
        }
        let [thread, vcpu] = self.deepest;
        writeln!(out, "deepest stack use since boot: thread {thread}, vcpu {vcpu}")
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Thread => "thread",
        Kind::Vcpu => "vcpu",
    }
}

/// A thread state in words (`sleeping 12ms`, `ready (paused)`).
struct StateName(State, bool, u64);

impl StateName {
    fn to_string_buf(&self) -> Name {
        let mut buf = TextBuf::<32>::default();
        let _ = write!(buf, "{self}");
        Name::new(buf.as_str())
    }
}

impl fmt::Display for StateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            State::Created => f.write_str("created")?,
            State::Ready => f.write_str("ready")?,
            State::Running => f.write_str("running")?,
            State::Blocked => f.write_str("blocked")?,
            State::Sleeping(d) => write!(f, "sleeping {}ms", d.saturating_sub(self.2) / u64::from(crate::vm::guest::TICKS_PER_MS))?,
            State::Dead => f.write_str("dead")?,
        }
        if self.1 {
            f.write_str(" (paused)")?;
        }
        Ok(())
    }
}

/// mterm's `thread` commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadCommand<'a> {
    List,
    /// Start a thread that only spins (with interrupts enabled), at this
    /// priority: shows preemption and round robin at work.
    Spin(u8),
    Pause(&'a str),
    Resume(&'a str),
    Kill(&'a str),
}

/// What the target must do after [`execute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadAction {
    None,
    /// Create and start a spinning thread at this priority.
    Spawn(u8),
}

/// Runs a `thread` command on the table, printing the reply. Pause,
/// resume and kill apply to the operator's own threads only: system
/// threads keep running, VCPU threads follow their guest (`guest pause`).
pub fn execute(command: ThreadCommand<'_>, s: &mut Scheduler, now: u64, ticks_per_ms: u64, out: &mut dyn Write) -> Result<ThreadAction, fmt::Error> {
    type Op = fn(&mut Scheduler, ThreadId) -> Result<(), SchedError>;
    let (name, op): (&str, Op) = match command {
        ThreadCommand::List => {
            s.write_list(now, ticks_per_ms, out)?;
            return Ok(ThreadAction::None);
        }
        ThreadCommand::Spin(priority) => return Ok(ThreadAction::Spawn(priority)),
        ThreadCommand::Pause(name) => (name, Scheduler::pause),
        ThreadCommand::Resume(name) => (name, Scheduler::resume),
        ThreadCommand::Kill(name) => (name, Scheduler::destroy),
    };
    let Some(id) = s.find(name) else {
        writeln!(out, "thread: no thread `{name}`; `thread list` shows them")?;
        return Ok(ThreadAction::None);
    };
    let t = s.threads[id].unwrap_or_else(|| unreachable!());
    if t.system {
        writeln!(out, "thread: `{name}` is a system thread")?;
    } else if t.kind == Kind::Vcpu {
        writeln!(out, "thread: `{name}` runs a VCPU; use `guest pause|resume|stop`")?;
    } else {
        match op(s, id) {
            Ok(()) => {
                let done = match command {
                    ThreadCommand::Pause(_) => "paused",
                    ThreadCommand::Resume(_) => "resumed",
                    _ => "destroyed",
                };
                writeln!(out, "thread {id} `{name}` {done}")?;
            }
            Err(SchedError::WrongState) if matches!(command, ThreadCommand::Pause(_)) => writeln!(out, "thread: `{name}` is already paused")?,
            Err(SchedError::WrongState) => writeln!(out, "thread: `{name}` is not paused")?,
            Err(e) => writeln!(out, "thread: `{name}`: {e}")?,
        }
    }
    Ok(ThreadAction::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// idle (0), two VCPUs (1), mterm (3); idle running.
    fn setup() -> (Scheduler, [ThreadId; 4]) {
        let mut s = Scheduler::new();
        let idle = s.create("idle", Kind::Thread, PRIO_IDLE, 100, true).unwrap();
        let a = s.create("guest0/vcpu0", Kind::Vcpu, PRIO_VCPU, 10, false).unwrap();
        let b = s.create("guest1/vcpu0", Kind::Vcpu, PRIO_VCPU, 10, false).unwrap();
        let m = s.create("mterm", Kind::Thread, PRIO_MTERM, 5, true).unwrap();
        for id in [idle, a, b, m] {
            s.start(id).unwrap();
        }
        (s, [idle, a, b, m])
    }

    #[test]
    fn highest_priority_first_then_round_robin() {
        let (mut s, [idle, a, b, m]) = setup();
        // mterm first; it blocks on input.
        assert_eq!(s.schedule(0), Some(Switch { from: 0, to: m }));
        s.block_current(None);
        assert_eq!(s.schedule(1).map(|x| x.to), Some(a));
        // a's slice (10) is not over: no switch at tick 5.
        assert!(!s.tick(5));
        // Over at 11, b is ready: round robin.
        assert!(s.tick(11));
        assert_eq!(s.schedule(11).map(|x| x.to), Some(b));
        assert!(s.tick(21));
        assert_eq!(s.schedule(21).map(|x| x.to), Some(a));
        // Both VCPUs wait: idle runs.
        s.block_current(Some(100));
        assert_eq!(s.schedule(22).map(|x| x.to), Some(b));
        s.block_current(None);
        assert_eq!(s.schedule(23).map(|x| x.to), Some(idle));
        // Input: mterm preempts idle at once.
        assert!(s.wake(m));
        assert!(s.need_resched());
        assert_eq!(s.schedule(30).map(|x| x.to), Some(m));
        assert!(!s.wake(m), "a running thread is not woken");
        s.block_current(None);
        assert_eq!(s.schedule(31).map(|x| x.to), Some(idle));
        // a's deadline passes: the timer wakes it, it preempts idle.
        assert!(!s.tick(99));
        assert!(s.tick(100));
        assert_eq!(s.schedule(100).map(|x| x.to), Some(a));
        assert_eq!(s.thread(a).unwrap().scheduled, 3);
    }

    #[test]
    fn a_lone_thread_keeps_the_cpu_after_its_slice() {
        let (mut s, [_, a, b, m]) = setup();
        s.schedule(0);
        s.block_current(None); // mterm
        s.schedule(0);
        s.destroy(b).unwrap();
        assert_eq!(s.current(), a);
        assert!(!s.tick(50), "only idle (lower) is ready");
        assert_eq!(s.next_deadline(), 60, "a new turn began at 50");
        assert_eq!(s.thread(m).unwrap().state, State::Blocked);
    }

    #[test]
    fn spinning_thread_does_not_starve_equal_or_higher_priorities() {
        let mut s = Scheduler::new();
        let spin = s.create("spin", Kind::Thread, PRIO_MTERM, 10, false).unwrap();
        let m = s.create("mterm", Kind::Thread, PRIO_MTERM, 10, true).unwrap();
        s.start(spin).unwrap();
        s.start(m).unwrap();
        s.schedule(0);
        assert_eq!(s.current(), spin);
        assert!(s.tick(10));
        assert_eq!(s.schedule(10).map(|x| x.to), Some(m));
        s.yield_current();
        assert_eq!(s.schedule(12).map(|x| x.to), Some(spin));
    }

    #[test]
    fn pause_resume_destroy_and_slot_reuse() {
        let (mut s, [idle, a, b, m]) = setup();
        s.schedule(0);
        s.block_current(None);
        s.schedule(0);
        assert_eq!(s.current(), a);
        s.pause(b).unwrap();
        assert_eq!(s.pause(b), Err(SchedError::WrongState));
        assert!(!s.tick(10), "b is paused: a goes on");
        s.resume(b).unwrap();
        assert_eq!(s.resume(b), Err(SchedError::WrongState));
        assert!(s.tick(20));
        assert_eq!(s.schedule(20).map(|x| x.to), Some(b));
        // Destroying the current thread: it never runs again; its slot is
        // reused only once it is not current.
        s.destroy(b).unwrap();
        assert!(s.need_resched());
        assert_eq!(s.thread(b).map(|t| t.state), None);
        let made: Vec<_> = (0..MAX_THREADS).map_while(|_| s.create("x", Kind::Thread, 1, 1, false).ok()).collect();
        assert_eq!(made.len(), MAX_THREADS - 4, "b's slot is not free while it is current");
        assert!(!made.contains(&b));
        assert_eq!(s.create("y", Kind::Thread, 1, 1, false), Err(SchedError::Full));
        assert_eq!(s.schedule(21).map(|x| x.to), Some(a));
        assert_eq!(s.create("z", Kind::Thread, 1, 1, false), Ok(b));
        assert_eq!(s.start(b), Ok(()));
        assert_eq!(s.start(b), Err(SchedError::WrongState));
        assert_eq!(s.pause(99), Err(SchedError::NoSuchThread));
        assert_eq!(s.find("mterm"), Some(m));
        assert_eq!(s.find("idle"), Some(idle));
    }

    #[test]
    fn run_time_accounting_and_list() {
        let (mut s, [_, a, _, m]) = setup();
        s.schedule(0);
        s.block_current(Some(1_000_000));
        s.schedule(166_667);
        assert_eq!(s.run_ticks(m, 200_000), 166_667);
        assert_eq!(s.run_ticks(a, 2 * 166_667 + 166_667), 2 * 166_667);
        s.pause(a).unwrap();
        s.note_stack(a, StackUse { used: 3174, size: 16384 });
        s.note_stack(m, StackUse { used: 2048, size: 8192 });
        s.note_stack(m, StackUse { used: 512, size: 8192 });
        s.note_stack(m, StackUse { used: 0, size: 0 });
        let mut out = String::new();
        s.write_list(3 * 166_667, 166_667, &mut out).unwrap();
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines[0], "id name             kind   prio state            scheduled    run ms stack");
        assert_eq!(lines[2], " 1 guest0/vcpu0     vcpu      1 running (paused)         1         2 3.1/16 KiB");
        assert_eq!(lines[4], " 3 mterm            thread    3 sleeping 2ms             1         1 0.0/0 KiB");
        assert_eq!(lines[5], "deepest stack use since boot: thread 2.0/8 KiB, vcpu 3.1/16 KiB");
        assert_eq!(s.next_deadline(), 166_667 + 10, "mterm's deadline is later than a's turn end");
    }

    #[test]
    fn thread_commands() {
        let (mut s, [_, _, _, _]) = setup();
        let spin = s.create("spin4", Kind::Thread, 1, 10, false).unwrap();
        s.start(spin).unwrap();
        let run = |s: &mut Scheduler, c| {
            let mut out = String::new();
            let action = execute(c, s, 0, 1, &mut out).unwrap();
            (action, out)
        };
        assert_eq!(run(&mut s, ThreadCommand::Spin(2)), (ThreadAction::Spawn(2), String::new()));
        assert_eq!(run(&mut s, ThreadCommand::Pause("spin4")).1, "thread 4 `spin4` paused\n");
        assert_eq!(run(&mut s, ThreadCommand::Pause("spin4")).1, "thread: `spin4` is already paused\n");
        assert_eq!(run(&mut s, ThreadCommand::Resume("spin4")).1, "thread 4 `spin4` resumed\n");
        assert_eq!(run(&mut s, ThreadCommand::Resume("spin4")).1, "thread: `spin4` is not paused\n");
        assert_eq!(run(&mut s, ThreadCommand::Kill("mterm")).1, "thread: `mterm` is a system thread\n");
        assert_eq!(run(&mut s, ThreadCommand::Pause("guest0/vcpu0")).1, "thread: `guest0/vcpu0` runs a VCPU; use `guest pause|resume|stop`\n");
        assert_eq!(run(&mut s, ThreadCommand::Kill("nope")).1, "thread: no thread `nope`; `thread list` shows them\n");
        assert_eq!(run(&mut s, ThreadCommand::Kill("spin4")).1, "thread 4 `spin4` destroyed\n");
        assert_eq!(s.find("spin4"), None);
        assert!(run(&mut s, ThreadCommand::List).1.contains(" mterm "));
    }
}
