//! Polled driver for the Malta host's 16550 UART0 (physical 0x180003F8).

use core::fmt;

/// UART0 through uncached KSEG1; registers are one byte apart.
const BASE: usize = 0xB800_03F8;
const RBR_THR: usize = 0;
const IER: usize = 1;
const LCR: usize = 3;
const MCR: usize = 4;
const LSR: usize = 5;

const LCR_8N1: u8 = 0x03;
const MCR_DTR_RTS: u8 = 0x03;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;
const LSR_TRANSMITTER_EMPTY: u8 = 0x40;

fn read(register: usize) -> u8 {
    // SAFETY: BASE..BASE+8 are the 16550's registers, always mapped through
    // KSEG1; a read only pops a received byte (RBR), nothing Rust owns.
    unsafe { core::ptr::read_volatile((BASE + register) as *const u8) }
}

fn write(register: usize, value: u8) {
    // SAFETY: as in `read`; writes only affect the UART.
    unsafe { core::ptr::write_volatile((BASE + register) as *mut u8, value) }
}

/// Waits until every written byte has left the transmitter.
pub fn flush() {
    while read(LSR) & LSR_TRANSMITTER_EMPTY == 0 {}
}

/// The host console. Writing translates `\n` to `\r\n`.
pub struct Console(());

impl Console {
    /// Sets 8N1 with interrupts off. The FIFO control register is left
    /// alone: changing it would drop input that arrived before boot.
    pub fn init() -> Self {
        write(IER, 0);
        write(LCR, LCR_8N1);
        write(MCR, MCR_DTR_RTS);
        Self(())
    }

    /// The console as `init` left it (for the exception and panic reports).
    pub fn get() -> Self {
        Self(())
    }

    pub fn write_byte(&mut self, byte: u8) {
        while read(LSR) & LSR_THR_EMPTY == 0 {}
        write(RBR_THR, byte);
    }

    /// A byte is waiting to be read.
    pub fn has_input(&self) -> bool {
        read(LSR) & LSR_DATA_READY != 0
    }

    /// A received byte, if one is waiting.
    pub fn try_read(&mut self) -> Option<u8> {
        (read(LSR) & LSR_DATA_READY != 0).then(|| read(RBR_THR))
    }
}

impl fmt::Write for Console {
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
