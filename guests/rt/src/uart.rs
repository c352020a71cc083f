//! The board's 16550 UART as a polled console, and power-off.
use crate::Map;
use core::fmt::{self, Write};

/// The UART at `Map::uart()`: register access, polled byte I/O, and
/// `fmt::Write` with `\n` sent as `\r\n`.
#[derive(Clone, Copy, Debug)]
pub struct Uart {
    base: u32,
}

impl Uart {
    /// Register offsets (reg-shift 0).
    pub const RBR_THR: u32 = 0;
    pub const IER: u32 = 1;
    pub const IIR: u32 = 2;
    pub const LCR: u32 = 3;
    pub const MCR: u32 = 4;
    pub const LSR: u32 = 5;
    pub const SCR: u32 = 7;
    /// IER: interrupt when received data is available.
    pub const IER_RX_AVAILABLE: u8 = 0x01;
    /// LSR bits.
    pub const LSR_DATA_READY: u8 = 0x01;
    pub const LSR_THR_EMPTY: u8 = 0x20;
    pub const LSR_TEMT: u8 = 0x40;

    /// The UART of `map`, as it is (no register written).
    pub const fn new(map: Map) -> Self {
        Self { base: map.uart() }
    }

    /// The UART of `map` set up as a console: interrupts off, 8N1, DTR and
    /// RTS on.
    pub fn init(map: Map) -> Self {
        let uart = Self::new(map);
        uart.write(Self::IER, 0);
        uart.write(Self::LCR, 0x03);
        uart.write(Self::MCR, 0x03);
        uart
    }

    pub fn read(&self, register: u32) -> u8 {
        // SAFETY: the 16550's eight registers at `base` are device memory,
        // reached through (guest) KSEG1 (uncached); reading RBR only pops
        // a received byte, IIR only acknowledges THRE.
        unsafe { core::ptr::read_volatile((self.base + register) as *const u8) }
    }

    pub fn write(&self, register: u32, value: u8) {
        // SAFETY: as in `read`; writes only affect the UART.
        unsafe { core::ptr::write_volatile((self.base + register) as *mut u8, value) }
    }

    /// Waits until the transmit holding register is empty, then sends.
    pub fn write_byte(&mut self, byte: u8) {
        while self.read(Self::LSR) & Self::LSR_THR_EMPTY == 0 {}
        self.write(Self::RBR_THR, byte);
    }

    /// A received byte, if there is one.
    pub fn try_read(&mut self) -> Option<u8> {
        (self.read(Self::LSR) & Self::LSR_DATA_READY != 0).then(|| self.read(Self::RBR_THR))
    }

    /// Waits until everything written has left the transmitter.
    pub fn drain(&self) {
        while self.read(Self::LSR) & Self::LSR_TEMT == 0 {}
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}

/// Drains the UART, then writes the byte 0x42 to the Malta software-reset
/// register: natively QEMU (with `-no-reboot`) exits, under the hypervisor
/// the guest powers off. A byte, as Malta software may write it (QEMU's
/// FPGA takes any width); the QEMU tests' own programs write the word.
pub fn power_off(map: Map) -> ! {
    Uart::new(map).drain();
    // SAFETY: the software-reset register is a device register in (guest)
    // KSEG1; writing it touches no memory Rust knows.
    unsafe { core::ptr::write_volatile(map.software_reset() as *mut u8, 0x42) };
    loop {
        // SAFETY: `wait` only idles until an interrupt.
        unsafe { core::arch::asm!("wait", options(nomem, nostack)) };
    }
}

/// What `entry!`'s panic handler does: the message on the UART, then
/// power-off.
pub fn report_panic(map: Map, info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(Uart::new(map), "\n*** panic: {info}");
    power_off(map)
}
