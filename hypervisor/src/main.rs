//! The hypervisor image for QEMU Malta (`mipsel-unknown-none`).
//!
//! Boot: `arch::mips::start` sets up the stack and BSS and calls `kmain`,
//! which installs the exception vectors, initializes the host TLB, UART,
//! interrupt controllers and timer, reads the RAM size and the embedded
//! device tree, builds the guests and starts the threads:
//!
//! - `mterm` (priority 3): the management terminal; blocks on UART input;
//! - `worker` (priority 2): deferred work: guest image reloads for
//!   `guest start|reset`, and typed input carried to guests that wait;
//! - one VCPU thread per guest (priority 1): enters the guest, handles
//!   its exits, sleeps while the guest waits (WAIT);
//! - `idle` (priority 0): executes WAIT.
//!
//! All decisions and formatting live in the library (`hypervisor`), tested
//! on the host; this file only connects it to the hardware.
//!
//! On the host this binary is an empty `main`, so `cargo build` at the
//! workspace root works.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch, optimize_attribute))]

#[cfg(target_os = "none")]
mod arch;

#[cfg(target_os = "none")]
mod boot {
    use crate::arch::mips::irq::{self, IrqCell, IRQS};
    use crate::arch::mips::once::BootArray;
    use crate::arch::mips::thread::{self, SCHED};
    use crate::arch::mips::uart::{self, Console};
    use crate::arch::mips::host::HostHw;
    use crate::arch::mips::{self, cp0, guestmem, i8259, timer, world};
    use core::fmt::Write;
    use emulator::Cp0;
    use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
    use fdt::Fdt;
    use hypervisor::host::bootenv::{BootBlock, BootEnvError, BOOT_BLOCK_BASE};
    use hypervisor::host::cpu::{CpuInfo, Size};
    use hypervisor::devices::Name;
    use hypervisor::devices::ring::ByteRing;
    use hypervisor::mterm::{self, Action, LineEditor, System};
    use hypervisor::kernel::sched::{self, Kind, ThreadAction, ThreadId, PRIO_IDLE, PRIO_MTERM, PRIO_VCPU, PRIO_WORKER};
    use hypervisor::vm::{config, exit_loop};
    use hypervisor::vm::guest::{known_compatible, ns_to_ticks, ticks_to_ns, write_status, Guest, GuestState, LifecycleOp, TICKS_PER_MS};
    use hypervisor::vm::memory::{HostRam, Pack};
    use hypervisor::vm::ops::{self, GuestCommand, HostTlbEntry, HostView, Times};
    use hypervisor::vm::vcpu::{shadow_asids, Action as VcpuAction, Exit, ExitReason, Host};
    use hypervisor::host::devtree;
    use hypervisor::kernel::trap::TrapFrame;
    use hypervisor::vm::exitcost::ExitCosts;

    /// Per-exit-reason costs, printed when a guest powers off (zero at
    /// boot, so in .bss).
    static COSTS: IrqCell<ExitCosts> = IrqCell::new(ExitCosts::new());

    /// The host device tree, compiled from `dts/host.dts` by xtask.
    #[repr(C, align(8))]
    struct Aligned<T: ?Sized>(T);
    static DEVTREE: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("HYPERVISOR_DTB")));

    const MAX_GUESTS: usize = hypervisor::vm::config::MAX_GUESTS;
    /// Most host TLB entries `vcpu tlb` looks at (the 24Kf has 16 to 64).
    const HOST_TLB_MAX: usize = 64;
    type Guests = [Option<Guest<'static>>];

    /// The guests, shared by their VCPU threads, mterm and the worker:
    /// `MAX_GUESTS` slots in `GUEST_SLOTS`, from boot on (none before).
    static GUESTS: IrqCell<Option<&'static mut [Option<Guest<'static>>; MAX_GUESTS]>> = IrqCell::new(None);
    /// Where boot builds the guest table (44 KiB; in .bss, see `BootArray`).
    static GUEST_SLOTS: BootArray<Option<Guest<'static>>, MAX_GUESTS> = BootArray::new();

    /// Runs `f` on the guest table, with interrupts disabled.
    fn with_guests<R>(f: impl FnOnce(&mut Guests) -> R) -> R {
        GUESTS.with(|g| match g {
            Some(guests) => f(&mut guests[..]),
            None => f(&mut []),
        })
    }

    /// Host-side VM state shared by the threads.
    struct Vm {
        /// The thread running each guest's VCPU.
        vcpu_thread: [Option<ThreadId>; MAX_GUESTS],
        /// Guests whose image the worker must reload (then start their VCPU).
        reload: [bool; MAX_GUESTS],
        /// The guest whose registers are in the FPU, and everyone's FPU state.
        fpu_owner: Option<usize>,
        fpu: [guestmem::FpuRegs; MAX_GUESTS],
        /// Host ticks spent in guests (entry to exit).
        guest_ticks: u64,
        /// Guests do not run before this tick: mterm keeps the console
        /// while a command line is typed.
        hold_until: u64,
        /// Host ticks at the start of the first thread.
        started: u64,
        tlb_entries: u32,
        ram: u64,
    }

    static VM: IrqCell<Vm> = IrqCell::new(Vm {
        vcpu_thread: [None; MAX_GUESTS],
        reload: [false; MAX_GUESTS],
        fpu_owner: None,
        fpu: [guestmem::FpuRegs::ZERO; MAX_GUESTS],
        guest_ticks: 0,
        hold_until: 0,
        started: 0,
        tlb_entries: 0,
        ram: 0,
    });

    /// What mterm reports on, gathered at boot.
    #[derive(Clone, Copy)]
    struct BootInfo {
        cpu: CpuInfo,
        ram: Result<u64, BootEnvError>,
        /// Free host RAM filled with canaries (`canaries` checks them).
        free_ram: (u32, u32),
    }

    static BOOT: IrqCell<Option<BootInfo>> = IrqCell::new(None);

    /// Thread ids of the system threads.
    static WORKER: AtomicUsize = AtomicUsize::new(usize::MAX);
    static IDLE: AtomicUsize = AtomicUsize::new(usize::MAX);

    /// Time slice of the hypervisor's own threads.
    const THREAD_SLICE: u64 = 10 * TICKS_PER_MS as u64;
    /// The idle thread has nothing to share its turn with.
    const IDLE_SLICE: u64 = 1000 * TICKS_PER_MS as u64;
    /// How long mterm keeps the console after a typed byte: 100 ms.
    const INPUT_GRACE: u64 = 100 * TICKS_PER_MS as u64;
    /// The worker looks for work at least this often.
    const WORKER_PERIOD: u64 = 50 * TICKS_PER_MS as u64;
    /// `guests wait` checks the guests this often.
    const WAIT_POLL: u64 = 10 * TICKS_PER_MS as u64;
    /// Ends `guests wait`.
    const CTRL_C: u8 = 0x03;

    /// Free host RAM checked for canaries: at most this much (filling it
    /// costs boot time).
    const CANARY_RAM: u32 = 16 << 20;

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

    /// Entered from `_start` with QEMU's boot arguments (argc, argv, envp).
    #[no_mangle]
    extern "C" fn kmain(_argc: u32, _argv: u32, envp: u32) -> ! {
        let ebase = mips::exceptions::init();
        let mut console = uart::init();
        // Console writes cannot fail; the results are ignored throughout.
        let _ = writeln!(console, "\n{} {} booting", hypervisor::NAME, hypervisor::VERSION);

        let cpu = CpuInfo { prid: cp0::prid(), config: cp0::config0_3(), ebase };
        let entries = mips::tlb::init(cpu.tlb_entries());
        let _ = writeln!(
            console,
            "host: {}, PRId {:#010x}, {entries} TLB entries invalidated, EBase {ebase:#010x}",
            cpu.model(),
            cpu.prid
        );

        let ram = BootBlock::new(mips::boot_block(), BOOT_BLOCK_BASE).ram_size(envp);
        let _ = match ram {
            Ok(bytes) => writeln!(console, "RAM: {} (boot arguments)", Size(bytes)),
            Err(why) => writeln!(console, "RAM: unknown, {why}"),
        };

        let mut free_ram = (0, 0);
        let slots = GUEST_SLOTS.init(|| None);
        GUESTS.with(|g| *g = slots);
        let _ = match devtree::parse(&DEVTREE.0) {
            Ok(fdt) => {
                let _ = devtree::write_summary(&fdt, &mut console);
                let (start, end) = with_guests(|guests| build_guests(&fdt, *ram.as_ref().unwrap_or(&0), guests, &mut console));
                free_ram = (start, (end - start).min(CANARY_RAM));
                guestmem::fill_canaries(free_ram.0, free_ram.1);
                Ok(())
            }
            Err(error) => writeln!(console, "{error}"),
        };
        BOOT.with(|b| *b = Some(BootInfo { cpu, ram, free_ram }));
        VM.with(|vm| {
            vm.tlb_entries = entries;
            vm.ram = *ram.as_ref().unwrap_or(&0);
        });

        // Host interrupts: the i8259 pair (IP2), the CP0 timer (IP7), UART0.
        i8259::init();
        timer::init();
        uart::enable_interrupts();

        let spawned = [
            thread::spawn("idle", Kind::Thread, PRIO_IDLE, IDLE_SLICE, true, idle_thread, 0).map(|id| IDLE.store(id, Ordering::Relaxed)),
            thread::spawn("mterm", Kind::Thread, PRIO_MTERM, THREAD_SLICE, true, mterm_thread, 0).map(drop),
            thread::spawn("worker", Kind::Thread, PRIO_WORKER, THREAD_SLICE, true, worker_thread, 0).map(|id| WORKER.store(id, Ordering::Relaxed)),
        ];
        if let Some(Err(why)) = spawned.into_iter().find(Result::is_err) {
            let _ = writeln!(console, "cannot start the system threads: {why}");
            mips::halt();
        }
        for index in 0..MAX_GUESTS {
            start_vcpu(index);
        }
        let _ = writeln!(Console::get(), "boot stack used: {}", mips::boot_stack_use());
        VM.with(|vm| vm.started = timer::now());
        thread::start()
    }

    /// Reads, validates and builds every guest of the device tree; a
    /// refused guest is reported and skipped. Returns the host RAM left
    /// free, `(start, end)`.
    fn build_guests(fdt: &Fdt<'static>, ram: u64, guests: &mut Guests, console: &mut Console) -> (u32, u32) {
        let pack = guestmem::pack(ram);
        let mut host_ram = HostRam::new(ram);
        // The guests' RTCs start at the host's.
        let wall_clock = mips::rtc::unix_time();
        for (index, (node, config)) in config::guests(fdt, &known_compatible).enumerate() {
            let built = config.and_then(|c| Guest::build(index, &c, &mut host_ram, pack.as_ref(), cp0::count()));
            match built {
                Ok((mut guest, image)) => {
                    if let Some(pack) = &pack {
                        load_guest(&guest, pack);
                    }
                    if let Some(board) = guest.bus.board_mut() {
                        board.rtc.set_wall_clock(wall_clock, ticks_to_ns(timer::now()));
                    }
                    guestmem::fill_guest_canaries(&guest.memory);
                    let _ = writeln!(
                        console,
                        "guest {node}: image `{}`, RAM {} at host {:#x}, ROM at host {:#x}, starts at {:#010x}",
                        image.name,
                        Size(u64::from(guest.memory.ram_size)),
                        guest.memory.ram_host,
                        guest.memory.rom_host,
                        guest.vcpu.cpu.pc
                    );
                    if let Some(slot) = guests.get_mut(index) {
                        *slot = Some(guest);
                    }
                }
                Err(refusal) => {
                    let _ = writeln!(console, "guest {node}: refused: {refusal}");
                }
            }
        }
        host_ram.free()
    }

    /// Copies what `guest` finds in memory at power-on into its RAM and
    /// ROM ([`Guest::load`]); a piece outside them is left out (the build
    /// checked the image).
    fn load_guest(guest: &Guest<'_>, pack: &Pack<'_>) {
        guest.load(pack, &mut |gpa, bytes| {
            if let Some(pa) = guest.memory.host_range(gpa, bytes.len() as u32) {
                guestmem::copy_in(pa, bytes);
            }
        });
    }

    /// Starts the VCPU thread of guest `index` if it exists, is running
    /// (or paused: then its thread is paused too) and has none.
    fn start_vcpu(index: usize) {
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
        match thread::spawn(text, Kind::Vcpu, PRIO_VCPU, u64::from(slice), false, vcpu_thread, index) {
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

    // Status bits from the spec's fields.
    const STATUS_IE: u32 = Cp0::STATUS_IE;
    const STATUS_IM2: u32 = status_im(2);
    const STATUS_IM7: u32 = status_im(7);
    const STATUS_CU1: u32 = Cp0::STATUS_CU1;
    const STATUS_FR: u32 = Cp0::STATUS_FR;

    /// Status.IM's bit for CPU interrupt line `line`.
    const fn status_im(line: u32) -> u32 {
        (Cp0::STATUS_IM & Cp0::STATUS_IM.wrapping_neg()) << line
    }

    /// What a VCPU thread does after one turn of its loop.
    enum Step {
        /// Go on (after a preemption point).
        Again,
        /// Sleep until woken or until the tick given.
        Sleep(Option<u64>),
        /// The guest no longer runs: end the thread.
        Exit,
    }

    /// A VCPU thread: enter the guest, handle the exit, again; sleeps
    /// while the guest waits (WAIT) or mterm holds the guests. Everything
    /// but the preemption point runs with interrupts disabled, so mterm
    /// commands never see a guest half-way through an exit.
    #[cfg_attr(target_os = "none", optimize(speed))]
    fn vcpu_thread(index: usize) {
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
        match guest.state {
            GuestState::Running => {}
            GuestState::Paused => return Step::Sleep(None),
            GuestState::PoweredOff | GuestState::Stopped(_) => return Step::Exit,
        }
        guest.update_irq_lines(ticks_to_ns(timer::now()));
        guest.vcpu.sync_timer(cp0::count());
        // The board's next timer event, in host ticks.
        let board_event = guest.bus.next_event_ns().map(ns_to_ticks);
        let mut host = HostHw { tlb_entries: VM.with(|vm| vm.tlb_entries) };
        if !guest.vcpu.prepare_entry(&guest.memory, &mut host) {
            // WAIT: until its timer or the board's, or a device interrupt
            // (the worker wakes it when input arrives).
            if guest.stuck() {
                return Step::Sleep(None);
            }
            let ticks = u64::from(guest.vcpu.ticks_to_compare());
            let wake = (timer::now() + ticks).min(board_event.unwrap_or(u64::MAX));
            return Step::Sleep(Some(wake));
        }
        let cu1 = guest.vcpu.cpu.cp0.status_cu1() != 0;
        VM.with(|vm| {
            if cu1 && vm.fpu_owner != Some(index) {
                if let Some(owner) = vm.fpu_owner {
                    guestmem::save_fpu(&mut vm.fpu[owner]);
                }
                guestmem::restore_fpu(&vm.fpu[index]);
                vm.fpu_owner = Some(index);
            }
        });
        // The next scheduler event or the guest's own timer, whichever
        // comes first, ends the guest's run.
        let now = timer::now();
        let deadline = SCHED.with(|s| s.next_deadline())
            .min(now + u64::from(guest.vcpu.ticks_to_compare()))
            .min(board_event.unwrap_or(u64::MAX));
        timer::arm_at(deadline);
        let timer_key = guest.vcpu.timer_key();
        // The FPU runs in the guest's register view (Status.FR).
        let fpu_view = guest.vcpu.cpu.cp0.status & (STATUS_CU1 | STATUS_FR);
        let status = STATUS_IE | STATUS_IM2 | STATUS_IM7 | fpu_view;
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
            // Vector 0x480: a debug exception (SDBBP), left as one from user
            // mode by `__debug_exception`; BD is Debug.DBD.
            let debug = out.vector == 0x480;
            let cause = match debug {
                true if emulator::view::Debug(cp0::debug()).dbd() != 0 => Cp0::CAUSE_BD,
                true => 0,
                false => out.cause,
            };
            let exit = Exit { cause, epc: guest.vcpu.cpu.pc, badvaddr: out.badvaddr, debug, lladdr: out.lladdr };
            // The lean MMIO exit changes no CP0 register: the FPU mode and
            // the timer stay as they were.
            let (action, lean) = match guest.vcpu.device_exit(&exit, &guest.memory, &mut guest.bus, &mut host) {
                Some(action) => (action, true),
                None => (guest.vcpu.handle_exit(exit, &guest.memory, &mut guest.bus, &mut host), false),
            };
            *sample = Some((guest.vcpu.last_exit, out.count));
            let fpu_view = lean || guest.vcpu.cpu.cp0.status & (STATUS_CU1 | STATUS_FR) == fpu_view;
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
        match action {
            VcpuAction::Resume => Step::Again,
            VcpuAction::PowerOff => {
                guest.state = GuestState::PoweredOff;
                let _ = write_status(guest, &mut console);
                let _ = writeln!(console, "exit costs since boot (all guests), Count ticks from the exit to the next entry:");
                let _ = COSTS.with(|c| c.write(&mut console));
                Step::Exit
            }
            VcpuAction::Stop(why) => {
                guest.state = GuestState::Stopped(why);
                let _ = writeln!(console, "{}: stopped: {why} (EPC {:#010x}, Cause {:#010x})", guest.name, exit.epc, exit.cause);
                let _ = write_status(guest, &mut console);
                Step::Exit
            }
        }
    }

    /// The deferred-work thread: reloads guest images for `guest
    /// start|reset` (long copies, preemptible, outside any exit path) and
    /// then starts their VCPU threads; carries typed input into the UARTs
    /// of guests that wait for it and wakes their VCPU threads.
    fn worker_thread(_: usize) {
        loop {
            while let Some(index) = VM.with(|vm| {
                let index = vm.reload.iter().position(|&r| r)?;
                vm.reload[index] = false;
                Some(index)
            }) {
                reload_image(index);
                start_vcpu(index);
            }
            let _guard = irq::disable();
            let now = timer::now();
            with_guests(|guests| {
                let mut console = Console::get();
                for guest in guests.iter_mut().flatten() {
                    let _ = guest.bus.pump_serial(&mut console);
                    guest.update_irq_lines(ticks_to_ns(now));
                    guest.vcpu.sync_timer(cp0::count());
                    if guest.runnable() {
                        if let Some(id) = VM.with(|vm| vm.vcpu_thread[guest.index]) {
                            thread::wake(id);
                        }
                    }
                }
            });
            if !VM.with(|vm| vm.reload.iter().any(|&r| r)) {
                thread::sleep(Some(now + WORKER_PERIOD));
            }
        }
    }

    /// Clears guest `index`'s RAM and ROM and copies its image in again
    /// from the pack (its VCPU thread is gone meanwhile).
    fn reload_image(index: usize) {
        let Some(memory) = with_guests(|g| g.get(index).and_then(Option::as_ref).map(|g| g.memory)) else { return };
        let ram = VM.with(|vm| vm.ram);
        for (gpa, size) in [(0, memory.ram_size), (memory.rom_base, memory.rom_size)] {
            if let Some(pa) = memory.host_range(gpa, size) {
                guestmem::zero(pa, size);
            }
        }
        if let Some(pack) = guestmem::pack(ram) {
            with_guests(|g| g.get(index).and_then(Option::as_ref).map(|guest| load_guest(guest, &pack)));
        }
        guestmem::fill_guest_canaries(&memory);
    }

    /// A thread that only spins (`thread spin`), with interrupts enabled.
    fn spin_thread(_: usize) {
        loop {
            core::hint::spin_loop();
        }
    }

    /// The idle thread: WAIT with interrupts enabled; any interrupt that
    /// readies a thread preempts it.
    fn idle_thread(_: usize) {
        loop {
            mips::wait_for_interrupt();
        }
    }

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
    fn mterm_thread(_: usize) {
        uart::set_waiter(thread::current());
        let mut console = Console::get();
        let Some(boot) = BOOT.with(|b| *b) else { return };
        let system = System { cpu: boot.cpu, ram: boot.ram, devtree: &DEVTREE.0 };
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
                thread::wake(WORKER.load(Ordering::Relaxed));
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

    /// Wakes every VCPU thread (after the guests' hold ends early).
    fn wake_vcpus() {
        let threads = VM.with(|vm| vm.vcpu_thread);
        for id in threads.into_iter().flatten() {
            thread::wake(id);
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
        let any_running = || with_guests(|guests| guests.iter().flatten().any(|g| running(g)));
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
        let idle = SCHED.with(|s| s.run_ticks(IDLE.load(Ordering::Relaxed), now));
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
                        if vm.fpu_owner == Some(index) {
                            vm.fpu_owner = None;
                        }
                        vm.reload[index] = true;
                    }
                });
                thread::wake(WORKER.load(Ordering::Relaxed));
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

    /// Called by the exception vectors with the saved registers for an
    /// exception in kernel mode that is not an interrupt of a thread (guest
    /// exits go to `guest_exit`, kernel-mode interrupts to
    /// `irq::interrupt_entry`): a hypervisor bug. Report it and stop.
    #[no_mangle]
    extern "C" fn exception_entry(frame: &TrapFrame) -> ! {
        let mut console = Console::report();
        let _ = frame.write_report(&mut console);
        let _ = writeln!(console, "*** halting");
        mips::halt()
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        let mut console = Console::report();
        let _ = writeln!(console, "\n*** hypervisor panic: {info}\n*** halting");
        mips::halt()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
