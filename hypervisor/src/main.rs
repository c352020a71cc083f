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
    use crate::arch::mips::{self, cp0, uart::Console};
    use core::fmt::Write;
    use hypervisor::bootenv::{BootBlock, BOOT_BLOCK_BASE};
    use hypervisor::cpu::{CpuInfo, Size};
    use hypervisor::mterm::{self, Action, LineEditor, System};
    use hypervisor::{devtree, trap::TrapFrame};

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

        let _ = match devtree::parse(&DEVTREE.0) {
            Ok(fdt) => devtree::write_summary(&fdt, &mut console),
            Err(error) => writeln!(console, "{error}"),
        };

        let system = System { cpu, ram, devtree: &DEVTREE.0 };
        let _ = writeln!(console, "type `help` for commands");
        let _ = console.write_str(mterm::PROMPT);
        let mut editor = LineEditor::new();
        loop {
            let Some(byte) = console.try_read() else {
                continue;
            };
            let Ok(Some(line)) = editor.feed(byte, &mut console) else {
                continue;
            };
            match mterm::execute(line, &system, &mut console) {
                Ok(Action::Halt) => mips::halt(),
                Ok(Action::Fault(fault)) => mips::raise(fault),
                Ok(Action::Continue) | Err(_) => {}
            }
            let _ = console.write_str(mterm::PROMPT);
        }
    }

    /// Called by the exception vectors with the saved registers. Every host
    /// exception is unexpected for now: report it and stop.
    #[no_mangle]
    extern "C" fn exception_entry(frame: &TrapFrame) -> ! {
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
