//! `guest-rt`: the runtime every guest program in `guests/` shares.
//!
//! A guest program is one source built as two binaries, one per address
//! map ([`Map::Guest`] for the hypervisor, [`Map::Native`] for the bare
//! board), each linked with this crate's script of the same name
//! (`guest.ld`, `native.ld`). A binary names its map once and hands its
//! `main` to [`entry!`]:
//!
//! ```ignore
//! const MAP: guest_rt::Map = guest_rt::Map::Guest;
//! guest_rt::entry!(program::main, MAP);
//! ```
//!
//! What the runtime gives:
//! - start-up (`_start`; in the guest map also the reset stub `_reset` at
//!   the VCPU's reset vector 0x3FC00000): `$gp`, the stack, the BSS
//!   cleared, EBase = the program's vectors (`__ebase`, written while
//!   BEV = 1), then Status = 0 (kernel mode, BEV = ERL = EXL = IE = 0) and
//!   Cause = 0, the same known state natively (QEMU's `-kernel` leaves
//!   BEV = 1, ERL = 0) and virtualized (a VCPU resets with BEV = ERL = 1);
//! - [`Map`]: the kernel segments and the devices of either map;
//! - [`cp0`]: `mfc0!`/`mtc0!` and named accessors;
//! - [`Uart`]: the board's 16550 as a polled console (`fmt::Write`);
//! - [`malta`]: the board's i8259 pair, RTC, GT-64120 (PCI configuration,
//!   interrupt acknowledge) and revision word, as Malta software drives them;
//! - [`power_off`] through the Malta software-reset register, and a panic
//!   handler that reports and powers off.
//!
//! What a program provides: `main() -> !` and its exception vectors,
//! `__ebase` in section `.vectors` (each guest handles exceptions its own
//! way).
//!
//! The contract every program keeps, on which the safety of the CP0
//! accessors rests: it runs in (guest) kernel mode from (guest) KSEG0,
//! which no CP0 write can unmap, and its vectors preserve every register
//! but k0/k1.
#![no_std]
#![cfg_attr(target_arch = "mips", feature(asm_experimental_arch))]

#[cfg(target_arch = "mips")]
pub mod cp0;
#[cfg(target_arch = "mips")]
pub mod malta;
#[cfg(target_arch = "mips")]
mod start;
#[cfg(target_arch = "mips")]
mod uart;

#[cfg(target_arch = "mips")]
pub use uart::{power_off, report_panic, Uart};

/// The two address maps a guest program is linked for.
///
/// | segment      | native       | guest map    |
/// |--------------|--------------|--------------|
/// | KSEG0        | 0x80000000   | 0x00000000   |
/// | KSEG1        | 0xA0000000   | 0x20000000   |
/// | KSSEG        | 0xC0000000   | 0x40000000   |
/// | KSEG3        | 0xE0000000   | 0x60000000   |
/// | reset vector | 0xBFC00000   | 0x3FC00000 (`guest.ld`'s `.reset`) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Map {
    /// Kernel mode on the bare board: KSEG0 at 0x80000000, linked at
    /// 0x80100000 (`native.ld`), booted by QEMU's `-kernel`.
    Native,
    /// The hypervisor's guest map, every kernel segment moved down by
    /// 2 GiB: linked at guest KSEG0 0x00100000 (`guest.ld`).
    Guest,
}

impl Map {
    pub const fn kseg0(self) -> u32 {
        match self {
            Map::Native => 0x8000_0000,
            Map::Guest => 0x0000_0000,
        }
    }
    pub const fn kseg1(self) -> u32 {
        self.kseg0() + 0x2000_0000
    }
    pub const fn ksseg(self) -> u32 {
        self.kseg0() + 0x4000_0000
    }
    pub const fn kseg3(self) -> u32 {
        self.kseg0() + 0x6000_0000
    }
    /// The 16550 UART (physical 0x180003F8), through (guest) KSEG1.
    pub const fn uart(self) -> u32 {
        self.kseg1() + 0x1800_03F8
    }
    /// The Malta software-reset register (physical 0x1F000500), through
    /// (guest) KSEG1: writing 0x42 powers the machine (or the guest) off.
    pub const fn software_reset(self) -> u32 {
        self.kseg1() + 0x1F00_0500
    }
    /// "native" or "guest map", for banners.
    pub const fn name(self) -> &'static str {
        match self {
            Map::Native => "native",
            Map::Guest => "guest map",
        }
    }
}

/// Defines the binary's entry and panic handler: guest-rt's `_start`
/// calls `$main` (a `fn() -> !`) once the machine is in the known state;
/// a panic is printed on the UART of `$map` and powers off.
#[macro_export]
macro_rules! entry {
    ($main:path, $map:expr) => {
        /// Called by guest-rt's `_start`.
        #[no_mangle]
        extern "C" fn guest_rt_main() -> ! {
            let main: fn() -> ! = $main;
            main()
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::report_panic($map, info)
        }
    };
}
