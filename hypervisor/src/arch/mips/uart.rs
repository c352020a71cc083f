//! Driver for the Malta host's 16550 UART0 (ISA I/O 0x3F8, ISA IRQ 4, as
//! QEMU's Malta wires its first ISA serial port).
//!
//! Receive is interrupt-driven: the IRQ handler moves every received byte
//! into an RX ring and wakes the thread waiting for input (mterm). When the
//! ring is full the receive interrupt is switched off, so further bytes
//! wait in the UART (and QEMU) until the ring has room again. Transmit is
//! buffered: bytes go into a TX ring that the transmitter-empty interrupt
//! drains; when the ring is full (or interrupts are off and it fills), the
//! writer drains it by polling, so no output is ever lost. The fault and
//! panic reports use [`Console::report`], which drains the ring and then
//! writes synchronously.

use super::irq::{self, IrqCell};
use super::mmio::HostRegion;
use super::thread;
use core::fmt;
use hypervisor::devices::ring::ByteRing;
use hypervisor::kernel::irq::HostIrq;
use hypervisor::kernel::sched::ThreadId;

const UART: HostRegion = HostRegion::fixed(0x1800_03F8, 8);
/// The ISA interrupt of UART0 on QEMU's Malta.
pub const ISA_IRQ: u8 = 4;

const RBR_THR: u32 = 0;
const IER: u32 = 1;
const IIR: u32 = 2;
const LCR: u32 = 3;
const MCR: u32 = 4;
const LSR: u32 = 5;
const MSR: u32 = 6;
const LCR_8N1: u8 = 0x03;
/// DTR, RTS and OUT2 (which gates the interrupt line on PC-style boards).
const MCR_DTR_RTS_OUT2: u8 = 0x0B;
const IER_RX: u8 = 0x01;
const IER_TX: u8 = 0x02;
const IIR_NONE: u8 = 0x01;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;
const LSR_TRANSMITTER_EMPTY: u8 = 0x40;

pub const RX_RING: usize = 1024;
pub const TX_RING: usize = 4096;

struct State {
    rx: ByteRing<RX_RING>,
    tx: ByteRing<TX_RING>,
    /// IER as last written.
    ier: u8,
    /// Receive interrupt off because the RX ring was full.
    rx_stopped: bool,
    /// The thread to wake when input arrives.
    waiter: Option<ThreadId>,
}

static STATE: IrqCell<State> =
    IrqCell::new(State { rx: ByteRing::new(), tx: ByteRing::new(), ier: 0, rx_stopped: false, waiter: None });

fn set_ier(s: &mut State, ier: u8) {
    if s.ier != ier {
        s.ier = ier;
        UART.write8(IER, ier);
    }
}

/// Moves TX ring bytes into the transmitter while it has room, and asks
/// for the transmitter-empty interrupt while bytes remain.
fn kick(s: &mut State) {
    while !s.tx.is_empty() && UART.read8(LSR) & LSR_THR_EMPTY != 0 {
        if let Some(byte) = s.tx.pop() {
            UART.write8(RBR_THR, byte);
        }
    }
    let ier = if s.tx.is_empty() { s.ier & !IER_TX } else { s.ier | IER_TX };
    set_ier(s, ier);
}

/// Sends one ring byte, waiting for the transmitter (the polled path).
fn send_one_polled(s: &mut State) {
    while UART.read8(LSR) & LSR_THR_EMPTY == 0 {}
    if let Some(byte) = s.tx.pop() {
        UART.write8(RBR_THR, byte);
    }
}

/// Takes received bytes into the RX ring; returns whether any came.
fn receive(s: &mut State) -> bool {
    let mut got = false;
    while UART.read8(LSR) & LSR_DATA_READY != 0 {
        if s.rx.is_full() {
            s.rx_stopped = true;
            let ier = s.ier & !IER_RX;
            set_ier(s, ier);
            break;
        }
        s.rx.push(UART.read8(RBR_THR));
        got = true;
    }
    got
}

/// The UART's interrupt: receive, transmit, line and modem status.
fn on_irq(_: HostIrq) {
    let waiter = STATE.with(|s| {
        let mut got = false;
        // Bounded: each round clears the condition it saw.
        for _ in 0..32 {
            let iir = UART.read8(IIR);
            if iir & IIR_NONE != 0 {
                break;
            }
            match iir & 0x0E {
                0x04 | 0x0C => got |= receive(s),
                0x02 => kick(s),
                0x06 => {
                    UART.read8(LSR);
                }
                _ => {
                    UART.read8(MSR);
                }
            }
        }
        if got {
            s.waiter
        } else {
            None
        }
    });
    if let Some(id) = waiter {
        thread::wake(id);
    }
}

/// Sets 8N1 with interrupts off (output is synchronous until
/// [`enable_interrupts`]). The FIFO control register is left alone:
/// changing it would drop input that arrived before boot.
pub fn init() -> Console {
    UART.write8(IER, 0);
    UART.write8(LCR, LCR_8N1);
    UART.write8(MCR, MCR_DTR_RTS_OUT2);
    Console(())
}

/// Registers the UART's IRQ and turns on the receive interrupt.
pub fn enable_interrupts() {
    // Registering cannot fail: the line is free at boot.
    let _ = irq::register(HostIrq::Isa(ISA_IRQ), "uart0 (16550)", on_irq);
    STATE.with(|s| {
        receive(s);
        let ier = s.ier | IER_RX;
        set_ier(s, ier);
    });
}

/// `thread` is woken whenever input arrives.
pub fn set_waiter(thread: ThreadId) {
    STATE.with(|s| s.waiter = Some(thread));
}

/// A received byte, if one is waiting; turns the receive interrupt back on
/// once the ring has room.
pub fn read_byte() -> Option<u8> {
    STATE.with(|s| {
        let byte = s.rx.pop();
        if s.rx_stopped && s.rx.len() < RX_RING / 2 {
            s.rx_stopped = false;
            receive(s);
            let ier = s.ier | IER_RX;
            set_ier(s, ier);
        }
        byte
    })
}

/// Bytes waiting in the RX ring.
pub fn input_pending() -> bool {
    STATE.with(|s| !s.rx.is_empty())
}

/// Waits until every written byte has left the transmitter.
pub fn flush() {
    let _ = STATE.try_with(|s| {
        while !s.tx.is_empty() {
            send_one_polled(s);
        }
    });
    while UART.read8(LSR) & LSR_TRANSMITTER_EMPTY == 0 {}
}

/// The host console. Writing translates `\n` to `\r\n`.
pub struct Console(());

impl Console {
    /// The console (the driver keeps its state in statics).
    pub fn get() -> Self {
        Self(())
    }

    /// For the fault and panic reports: drains the TX ring, then writes
    /// synchronously, whatever state the interrupted code left.
    pub fn report() -> Report {
        flush();
        Report(())
    }

    pub fn write_byte(&mut self, byte: u8) {
        STATE.with(|s| {
            while s.tx.is_full() {
                send_one_polled(s);
            }
            s.tx.push(byte);
            kick(s);
        });
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}

/// The synchronous writer of the fault and panic reports.
pub struct Report(());

impl fmt::Write for Report {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            for b in [b'\r', byte].into_iter().skip(usize::from(byte != b'\n')) {
                while UART.read8(LSR) & LSR_THR_EMPTY == 0 {}
                UART.write8(RBR_THR, b);
            }
        }
        Ok(())
    }
}
