//! The hypervisor image for QEMU Malta (`mipsel-unknown-none`).
//!
//! Boot: `arch::mips::start` sets up the stack and BSS and calls `kmain`,
//! which installs the exception vectors, initializes the host TLB and UART,
//! reads the RAM size and the embedded device tree, and runs the management
//! terminal. All decisions and formatting live in the library (`hypervisor`),
//! tested on the host; this file only connects it to the hardware.
//!
//! On the host this binary is an empty `main`, so `cargo build` at the
//! workspace root works.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

#[cfg(target_os = "none")]
mod arch;

#[cfg(target_os = "none")]
mod boot {
    use crate::arch::mips::{self, cp0, guestmem, uart::Console, world};
    use core::fmt::Write;
    use fdt::Fdt;
    use hypervisor::bootenv::{BootBlock, BOOT_BLOCK_BASE};
    use hypervisor::devices::ring::ByteRing;
    use hypervisor::cpu::{CpuInfo, Size};
    use hypervisor::mterm::{self, Action, LineEditor, System};
    use hypervisor::vm::config;
    use hypervisor::vm::guest::{known_compatible, next_runnable, write_status, Guest, GuestState};
    use hypervisor::vm::memory::{HostPhys, HostRam};
    use hypervisor::vm::guest::Effects;
    use hypervisor::vm::ops::{self, GuestCommand, HostTlbEntry, HostView, Times};
    use hypervisor::vm::vcpu::{shadow_asids, Action as VcpuAction, Exit, ExitReason, Host, Shadow};
    use hypervisor::{devtree, exitcost::ExitCosts, trap::TrapFrame};
    use core::sync::atomic::{AtomicU32, Ordering};

    /// Host Count when `exception_entry` began handling the last guest exit.
    static EXIT_AT: AtomicU32 = AtomicU32::new(0);

    /// The host device tree, compiled from `dts/host.dts` by xtask.
    #[repr(C, align(8))]
    struct Aligned<T: ?Sized>(T);
    static DEVTREE: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("HYPERVISOR_DTB")));

    /// Entered from `_start` with QEMU's boot arguments (argc, argv, envp).
    #[no_mangle]
    extern "C" fn kmain(_argc: u32, _argv: u32, envp: u32) -> ! {
        let ebase = mips::exceptions::init();
        let mut console = Console::init();
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

        let mut guests: Guests = [const { None }; MAX_GUESTS];
        // Free host RAM filled with canaries (`canaries` checks them).
        let mut free_ram = (0, 0);
        let _ = match devtree::parse(&DEVTREE.0) {
            Ok(fdt) => {
                let _ = devtree::write_summary(&fdt, &mut console);
                let (start, end) = build_guests(&fdt, *ram.as_ref().unwrap_or(&0), &mut guests, &mut console);
                free_ram = (start, (end - start).min(CANARY_RAM));
                guestmem::fill_canaries(free_ram.0, free_ram.1);
                Ok(())
            }
            Err(error) => writeln!(console, "{error}"),
        };

        let system = System { cpu, ram, devtree: &DEVTREE.0 };
        let _ = writeln!(console, "type `help` for commands");
        let _ = console.write_str(mterm::PROMPT);
        let mut sched = Scheduler { current: 0, fpu_owner: None, fpu: [guestmem::FpuRegs::ZERO; MAX_GUESTS], tlb_entries: entries, costs: ExitCosts::new(), times: Times::default(), mark: cp0::count(), idle: false, held: false };
        let mut editor = LineEditor::new();
        // The guest and the port the console is bound to.
        let mut bound: Option<(usize, hypervisor::devemu::Name)> = None;
        let mut last_input: Option<u32> = None;
        // Bytes typed while `guests wait` ran, for mterm afterwards.
        let mut typed_ahead: ByteRing<256> = ByteRing::new();
        loop {
            while let Some(byte) = typed_ahead.pop().or_else(|| console.try_read()) {
                last_input = Some(cp0::count());
                if let Some((index, port_name)) = bound {
                    let port = guests[index].as_mut().and_then(|g| g.bus.port_mut(port_name.as_str()));
                    if byte == mterm::UNBIND {
                        bound = None;
                        if let Some(port) = port {
                            let _ = port.set_raw(false, &mut console);
                        }
                        let _ = write!(console, "\n[mterm] console back to mterm\n{}", mterm::PROMPT);
                    } else if let Some(port) = port {
                        port.push_input(byte);
                    }
                    continue;
                }
                let Ok(Some(line)) = editor.feed(byte, &mut console) else {
                    continue;
                };
                match mterm::execute(line, &system, &mut console) {
                    Ok(Action::Halt) => mips::halt(),
                    Ok(Action::Fault(fault)) => mips::raise(fault),
                    Ok(Action::Canaries) => {
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
                    }
                    Ok(Action::Guests) => {
                        for guest in guests.iter().flatten() {
                            let _ = write_status(guest, &mut console);
                        }
                    }
                    Ok(Action::WaitGuests(name)) => {
                        let running = |g: &&Guest<'_>| {
                            g.state == GuestState::Running && !g.stuck() && name.is_none_or(|n| n == g.name)
                        };
                        while guests.iter().flatten().any(|g| running(&g)) {
                            sched.run_one(&mut guests, &mut console);
                            // Once 256 bytes wait, the rest stays in the UART (and QEMU).
                            let typed = if typed_ahead.is_full() { None } else { console.try_read() };
                            match typed {
                                Some(CTRL_C) => {
                                    let _ = writeln!(console, "[mterm] ^C: stopped waiting");
                                    break;
                                }
                                Some(byte) => {
                                    typed_ahead.push(byte);
                                }
                                None => {}
                            }
                        }
                        for guest in guests.iter().flatten().filter(|g| g.stuck()) {
                            let _ = writeln!(console, "[mterm] {} waits with interrupts disabled", guest.name);
                        }
                        let still = guests.iter().flatten().any(|g| running(&g));
                        let _ = match name {
                            _ if still => Ok(()),
                            Some(name) => writeln!(console, "[mterm] {name} is not running"),
                            None => writeln!(console, "[mterm] no guest is running"),
                        };
                    }
                    Ok(Action::Bind(name)) => {
                        match guests.iter_mut().flatten().find(|g| g.bus.ports().any(|p| p.name() == name)) {
                            Some(guest) => {
                                bound = Some((guest.index, hypervisor::devemu::Name::new(name)));
                                let _ = writeln!(console, "[mterm] console bound to {name}; Ctrl-] returns");
                                // Its output now comes as it is sent (prompts too), unprefixed.
                                if let Some(port) = guest.bus.port_mut(name) {
                                    let _ = port.set_raw(true, &mut console);
                                }
                                continue;
                            }
                            None => {
                                let _ = writeln!(console, "vserial: no serial port `{name}`");
                            }
                        }
                    }
                    Ok(Action::Guest(command)) => {
                        let mut tlb = [HostTlbEntry::default(); HOST_TLB_MAX];
                        let entries = if matches!(command, GuestCommand::VcpuTlb(_)) { sched.read_host_tlb(&mut tlb) } else { 0 };
                        sched.account(cp0::count());
                        let host = HostView { tlb: &tlb[..entries], times: sched.times };
                        if let Ok(Some((index, effects))) = ops::execute(command, &mut guests, &host, cp0::count(), &mut console) {
                            sched.apply(index, effects, &mut guests, *system.ram.as_ref().unwrap_or(&0));
                        }
                    }
                    Ok(Action::Continue) | Err(_) => {}
                }
                let _ = console.write_str(mterm::PROMPT);
            }
            // Typed (or scripted) mterm input keeps the console for a
            // moment, so guest output does not cut a command line in two.
            if last_input.is_some_and(|t| cp0::count().wrapping_sub(t) < INPUT_GRACE) {
                sched.held = true;
                continue;
            }
            sched.run_one(&mut guests, &mut console);
        }
    }

    /// Ends `guests wait`.
    const CTRL_C: u8 = 0x03;

    /// How long mterm keeps the console after a typed byte: 100 ms.
    const INPUT_GRACE: u32 = 100 * hypervisor::vm::guest::TICKS_PER_MS;

    const MAX_GUESTS: usize = hypervisor::vm::config::MAX_GUESTS;
    /// Most host TLB entries `vcpu tlb` looks at (the 24Kf has 16 to 64).
    const HOST_TLB_MAX: usize = 64;
    type Guests = [Option<Guest<'static>>; MAX_GUESTS];

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

    /// Reads, validates and builds every guest of the device tree; a
    /// refused guest is reported and skipped. Returns the host RAM left
    /// free, `(start, end)`.
    fn build_guests(fdt: &Fdt<'static>, ram: u64, guests: &mut Guests, console: &mut Console) -> (u32, u32) {
        let pack = guestmem::pack(ram);
        let mut host_ram = HostRam::new(ram);
        for (index, (node, config)) in config::guests(fdt, &known_compatible).enumerate() {
            let built = config.and_then(|c| Guest::build(index, &c, &mut host_ram, pack.as_ref(), cp0::count()));
            match built {
                Ok((guest, image)) => {
                    for chunk in image.chunks() {
                        if let Some(pa) = guest.memory.host_range(chunk.gpa, chunk.data.len() as u32) {
                            guestmem::copy_in(pa, chunk.data);
                        }
                    }
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

    /// The host side of a VCPU exit.
    struct HostHw {
        tlb_entries: u32,
    }

    impl Host for HostHw {
        fn read_word(&mut self, pa: HostPhys) -> u32 {
            guestmem::read_word(pa)
        }
        fn install(&mut self, shadow: Shadow) {
            mips::tlb::install(shadow.entry_hi, shadow.entry_lo);
        }
        fn flush(&mut self, asids: [u8; 2]) {
            mips::tlb::flush(self.tlb_entries, asids, 0, u64::MAX);
        }
        fn flush_range(&mut self, asids: [u8; 2], start: u32, end: u64) {
            mips::tlb::flush(self.tlb_entries, asids, start, end);
        }
    }

    struct Scheduler {
        current: usize,
        fpu_owner: Option<usize>,
        fpu: [guestmem::FpuRegs; MAX_GUESTS],
        tlb_entries: u32,
        /// Per-exit-reason costs, printed when a guest powers off.
        costs: ExitCosts,
        /// Where the time went (for `stats`), accounted up to Count `mark`.
        times: Times,
        mark: u32,
        /// The last turn found no guest to run: the time since `mark` is idle.
        idle: bool,
        /// mterm kept the console since `mark` (no guest ran for it).
        held: bool,
    }

    const STATUS_IE: u32 = 1 << 0;
    const STATUS_IM7: u32 = 1 << 15;
    const STATUS_CU1: u32 = 1 << 29;
    const STATUS_FR: u32 = 1 << 26;

    impl Scheduler {
        /// Counts the ticks since `mark` as idle or hypervisor time.
        fn account(&mut self, now: u32) {
            let ticks = u64::from(now.wrapping_sub(self.mark));
            if core::mem::take(&mut self.held) {
                self.times.mterm += ticks;
            } else if self.idle {
                self.times.idle += ticks;
            } else {
                self.times.hypervisor += ticks;
            }
            self.mark = now;
        }

        /// The host TLB, for `vcpu tlb`; returns how many entries were read.
        fn read_host_tlb(&self, out: &mut [HostTlbEntry; HOST_TLB_MAX]) -> usize {
            let n = (self.tlb_entries as usize).min(HOST_TLB_MAX);
            for (index, slot) in out.iter_mut().enumerate().take(n) {
                let (entry_hi, entry_lo, page_mask) = mips::tlb::read(index as u32);
                *slot = HostTlbEntry { index: index as u32, entry_hi, entry_lo, page_mask };
            }
            mips::tlb::set_asid(0);
            n
        }

        /// Carries out a lifecycle change on guest `index`: its shadows out
        /// of the host TLB; for a reset, its FPU registers cleared and its
        /// RAM and ROM refilled from the image pack.
        fn apply(&mut self, index: usize, effects: Effects, guests: &mut Guests, ram: u64) {
            if effects.drop_shadows {
                mips::tlb::flush(self.tlb_entries, shadow_asids(index), 0, u64::MAX);
                mips::tlb::set_asid(0);
            }
            if !effects.reload_image {
                return;
            }
            if let Some(fpu) = self.fpu.get_mut(index) {
                *fpu = guestmem::FpuRegs::ZERO;
            }
            if self.fpu_owner == Some(index) {
                self.fpu_owner = None;
            }
            let Some(guest) = guests.get_mut(index).and_then(Option::as_mut) else { return };
            let m = guest.memory;
            for (gpa, size) in [(0, m.ram_size), (m.rom_base, m.rom_size)] {
                if let Some(pa) = m.host_range(gpa, size) {
                    guestmem::zero(pa, size);
                }
            }
            if let Some(image) = guestmem::pack(ram).and_then(|p| p.image(guest.image)) {
                for chunk in image.chunks() {
                    if let Some(pa) = m.host_range(chunk.gpa, chunk.data.len() as u32) {
                        guestmem::copy_in(pa, chunk.data);
                    }
                }
            }
        }

        /// Runs the next runnable guest for its time slice (or until it
        /// waits, stops, or console input arrives). Without one, brings
        /// the waiting guests' timers up to date and returns.
        fn run_one(&mut self, guests: &mut Guests, console: &mut Console) {
            let now = cp0::count();
            let mut runnable = [false; MAX_GUESTS];
            for (slot, guest) in runnable.iter_mut().zip(guests.iter_mut()) {
                if let Some(guest) = guest {
                    // Console input reaches a waiting guest's UART too.
                    let _ = guest.bus.pump_serial(console);
                    guest.vcpu.sync_timer(now);
                    guest.update_irq_lines();
                    *slot = guest.runnable();
                }
            }
            self.account(cp0::count());
            let Some(index) = next_runnable(self.current, &runnable) else {
                self.idle = true;
                return;
            };
            self.idle = false;
            self.current = index;
            let Some(guest) = guests[index].as_mut() else { return };
            let start = cp0::count();
            let mut host = HostHw { tlb_entries: self.tlb_entries };
            // The last exit's reason and Count at its entry, until re-entry.
            let mut exit_sample: Option<(ExitReason, u32)> = None;
            loop {
                guest.update_irq_lines();
                let now = cp0::count();
                guest.vcpu.sync_timer(now);
                if !guest.vcpu.prepare_entry() {
                    break;
                }
                let cu1 = guest.vcpu.cpu.cp0.status_cu1() != 0;
                if cu1 && self.fpu_owner != Some(index) {
                    if let Some(owner) = self.fpu_owner {
                        guestmem::save_fpu(&mut self.fpu[owner]);
                    }
                    guestmem::restore_fpu(&self.fpu[index]);
                    self.fpu_owner = Some(index);
                }
                let used = now.wrapping_sub(start);
                let left = guest.time_slice_ticks.saturating_sub(used);
                cp0::arm_timer(left.min(guest.vcpu.ticks_to_compare()));
                let mut frame = TrapFrame::default();
                frame.regs = guest.vcpu.cpu.gpr;
                frame.hi = guest.vcpu.cpu.hi;
                frame.lo = guest.vcpu.cpu.lo;
                frame.epc = guest.vcpu.cpu.pc;
                // The FPU runs in the guest's register view (Status.FR).
                let fr = guest.vcpu.cpu.cp0.status & STATUS_FR;
                let status = STATUS_IE | STATUS_IM7 | fr | if cu1 { STATUS_CU1 } else { 0 };
                if let Some((reason, at)) = exit_sample.take() {
                    self.costs.record(reason, cp0::count().wrapping_sub(at));
                }
                let entered = cp0::count();
                self.times.hypervisor += u64::from(entered.wrapping_sub(self.mark));
                let out = world::enter(&frame, status, guest.vcpu.host_asid());
                let exited = EXIT_AT.load(Ordering::Relaxed);
                self.times.guest += u64::from(exited.wrapping_sub(entered));
                self.mark = exited;
                guest.vcpu.cpu.gpr = out.regs;
                guest.vcpu.cpu.gpr[0] = 0;
                guest.vcpu.cpu.hi = out.hi;
                guest.vcpu.cpu.lo = out.lo;
                guest.vcpu.sync_timer(cp0::count());
                // Vector 0x480: a debug exception (SDBBP), left as one from user
                // mode by `__debug_exception`; BD is Debug.DBD.
                let debug = out.vector == 0x480;
                let cause = if debug { cp0::debug() & (1 << 31) } else { out.cause };
                let exit = Exit { cause, epc: out.epc, badvaddr: out.badvaddr, debug };
                let mmio_before = guest.vcpu.counters.get(ExitReason::Mmio);
                let action = guest.vcpu.handle_exit(exit, &guest.memory, &mut guest.bus, &mut host);
                exit_sample = Some((guest.vcpu.last_exit, EXIT_AT.load(Ordering::Relaxed)));
                // Only a device access or time (an interrupt exit) moves UART bytes.
                if exit.code() == 0 || guest.vcpu.counters.get(ExitReason::Mmio) != mmio_before {
                    let _ = guest.bus.pump_serial(console);
                }
                match action {
                    VcpuAction::Resume => {}
                    VcpuAction::PowerOff => {
                        guest.state = GuestState::PoweredOff;
                        let _ = write_status(guest, console);
                        let _ = writeln!(console, "exit costs since boot (all guests), Count ticks from exception_entry to world::enter:");
                        let _ = self.costs.write(console);
                        break;
                    }
                    VcpuAction::Stop(why) => {
                        guest.state = GuestState::Stopped(why);
                        let _ = writeln!(console, "{}: stopped: {why} (EPC {:#010x}, Cause {:#010x})", guest.name, exit.epc, exit.cause);
                        let _ = write_status(guest, console);
                        break;
                    }
                }
                // The slice ends on time whatever the exits (a guest polling
                // a device exits more often than the timer could fire).
                let slice_over = cp0::count().wrapping_sub(start) >= guest.time_slice_ticks;
                if slice_over || (exit.code() == 0 && console.has_input()) {
                    break;
                }
            }
            mips::tlb::set_asid(0);
        }
    }

    /// Called by the exception vectors with the saved registers. From user
    /// mode it is a guest's exit: back to the scheduler. Anything else is
    /// a hypervisor bug: report it and stop.
    #[no_mangle]
    extern "C" fn exception_entry(frame: &TrapFrame) -> ! {
        const KSU_USER: u32 = 2 << 3;
        if frame.status & (3 << 3) == KSU_USER {
            EXIT_AT.store(cp0::count(), Ordering::Relaxed);
            world::return_to_host(frame);
        }
        let mut console = Console::get();
        let _ = frame.write_report(&mut console);
        let _ = writeln!(console, "*** halting");
        mips::halt()
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        let mut console = Console::get();
        let _ = writeln!(console, "\n*** hypervisor panic: {info}\n*** halting");
        mips::halt()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
