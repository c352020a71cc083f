//! The Malta southbridge's (PIIX4) i8259 pair: master at ISA I/O
//! 0x20/0x21, slave at 0xA0/0xA1 cascaded on the master's IRQ 2. The
//! master's output reaches CPU IP2. An interrupt is acknowledged by reading
//! the GT-64120's PCI interrupt-acknowledge register (QEMU answers it with
//! the i8259 pair's INTA cycle: the vector, here base 0 / 8 so the vector
//! is the ISA IRQ number, with the in-service bits set, slave included),
//! and ended with a non-specific EOI to the slave (for IRQs 8-15) and the
//! master. Lines without a registered handler stay masked.

use super::irq::{self, IRQS};
use super::mmio::HostRegion;
use hypervisor::kernel::irq::{HostIrq, CPU_LINE_I8259};

const MASTER: HostRegion = HostRegion::fixed(0x1800_0020, 2);
const SLAVE: HostRegion = HostRegion::fixed(0x1800_00A0, 2);
/// GT-64120 register GT_PCI0_IACK (ISD base 0x1BE00000 + 0xC34).
const GT_PCI0_IACK: HostRegion = HostRegion::fixed(0x1BE0_0C34, 4);

const COMMAND: u32 = 0;
const DATA: u32 = 1;
/// ICW1: edge-triggered, cascade mode, ICW4 follows.
const ICW1: u8 = 0x11;
/// ICW4: 8086 mode, normal EOI.
const ICW4: u8 = 0x01;
/// OCW2: non-specific end of interrupt.
const EOI: u8 = 0x20;
/// OCW3: the next command-port read returns the in-service register.
const READ_ISR: u8 = 0x0B;
/// OCW3: back to reading the request register.
const READ_IRR: u8 = 0x0A;

/// Initializes both controllers (vector bases 0 and 8, the slave on the
/// master's IRQ 2), masks every line and registers the pair's CPU line.
pub fn init() {
    for (chip, base, cascade) in [(MASTER, 0x00, 1 << 2), (SLAVE, 0x08, 2)] {
        chip.write8(COMMAND, ICW1);
        chip.write8(DATA, base);
        chip.write8(DATA, cascade);
        chip.write8(DATA, ICW4);
        chip.write8(DATA, 0xFF);
    }
    // Registering cannot fail: the line is free at boot.
    let _ = irq::register(HostIrq::Cpu(CPU_LINE_I8259), "i8259", cascade);
}

/// Sets the interrupt mask registers (bit n = ISA IRQ n masked).
pub fn set_mask(mask: u16) {
    MASTER.write8(DATA, mask as u8);
    SLAVE.write8(DATA, (mask >> 8) as u8);
}

fn in_service(chip: HostRegion, line: u8) -> bool {
    chip.write8(COMMAND, READ_ISR);
    let isr = chip.read8(COMMAND);
    chip.write8(COMMAND, READ_IRR);
    isr & (1 << line) != 0
}

/// The ISA IRQ being signalled, acknowledged; `None` for a spurious one
/// (IRQ 7 or 15 not actually in service), which needs no EOI of its own.
fn acknowledge() -> Option<u8> {
    let irq = (GT_PCI0_IACK.read32(0) & 0xFF) as u8;
    match irq {
        7 if !in_service(MASTER, 7) => None,
        15 if !in_service(SLAVE, 7) => {
            // The master did take the cascade line in service.
            MASTER.write8(COMMAND, EOI);
            None
        }
        0..=15 => Some(irq),
        _ => None,
    }
}

fn end_of_interrupt(irq: u8) {
    if irq >= 8 {
        SLAVE.write8(COMMAND, EOI);
    }
    MASTER.write8(COMMAND, EOI);
}

/// The handler of CPU IP2: acknowledge, dispatch the ISA line, EOI.
fn cascade(_: HostIrq) {
    match acknowledge() {
        Some(isa) => {
            irq::dispatch(HostIrq::Isa(isa));
            end_of_interrupt(isa);
        }
        None => IRQS.with(|t| t.spurious += 1),
    }
}
