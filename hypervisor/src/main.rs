//! The hypervisor image for QEMU Malta (`mipsel-unknown-none`): boot.
//!
//! `arch::mips::start` sets up the stack and BSS and calls `kmain`, which
//! installs the exception vectors, initializes the host TLB, UART,
//! interrupt controllers and timer, reads the RAM size and the embedded
//! device tree, builds the guests and starts the threads (`threads/`).
//!
//! All decisions and formatting live in the library (`hypervisor`), tested
//! on the host; this file and `threads/` only connect it to the hardware
//! (`arch/`).
//!
//! On the host this binary is an empty `main`, so `cargo build` at the
//! workspace root works.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch, optimize_attribute))]

#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod threads;

#[cfg(target_os = "none")]
mod boot {
    use crate::arch::mips::uart::{self, Console};
    use crate::arch::mips::{self, cp0, guestmem, thread, timer, i8259};
    use crate::threads::{self, with_guests, BootInfo, Guests, BOOT, MAX_GUESTS, VM};
    use core::fmt::Write;
    use fdt::Fdt;
    use hypervisor::host::bootenv::{BootBlock, BOOT_BLOCK_BASE};
    use hypervisor::host::cpu::{CpuInfo, Size};
    use hypervisor::host::devtree;
    use hypervisor::kernel::trap::TrapFrame;
    use hypervisor::vm::config;
    use hypervisor::vm::guest::{known_compatible, ticks_to_ns, Guest};
    use hypervisor::vm::memory::HostRam;

    /// The host device tree, compiled from `dts/host.dts` by xtask.
    #[repr(C, align(8))]
    struct Aligned<T: ?Sized>(T);
    static DEVTREE: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("HYPERVISOR_DTB")));

    /// Free host RAM checked for canaries: at most this much (filling it
    /// costs boot time).
    const CANARY_RAM: u32 = 16 << 20;

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
        threads::init_guests();
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
        BOOT.with(|b| *b = Some(BootInfo { cpu, ram, devtree: &DEVTREE.0, free_ram }));
        VM.with(|vm| {
            vm.tlb_entries = entries;
            vm.ram = *ram.as_ref().unwrap_or(&0);
        });

        // Host interrupts: the i8259 pair (IP2), the CP0 timer (IP7), UART0.
        i8259::init();
        timer::init();
        uart::enable_interrupts();

        if let Err(why) = threads::spawn_system() {
            let _ = writeln!(console, "cannot start the system threads: {why}");
            mips::halt();
        }
        for index in 0..MAX_GUESTS {
            threads::start_vcpu(index);
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
                        threads::worker::load_guest(&guest, pack);
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
