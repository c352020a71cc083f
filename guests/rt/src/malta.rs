//! The Malta board's devices as its software drives them: ISA I/O ports
//! (the i8259 pair, the RTC, the PIT) at physical 0x18000000 + port, the
//! GT-64120 system controller at 0x1BE00000 (PCI configuration cycles,
//! the interrupt-acknowledge cycle) and the board revision word in the
//! boot ROM, all through (guest) KSEG1. The same calls work natively and
//! on the hypervisor's virtual Malta board (`board = "malta"`).
use crate::Map;

/// Physical address of ISA I/O port 0 (the GT-64120's PCI I/O window).
pub const ISA_IO: u32 = 0x1800_0000;
/// The GT-64120's registers.
pub const GT: u32 = 0x1BE0_0000;
/// GT_PCI0_IACK: reading it is an INTA cycle of the i8259 pair.
pub const GT_PCI0_IACK: u32 = 0xC34;
/// GT_PCI0_CFGADDR / GT_PCI0_CFGDATA: PCI configuration mechanism #1.
pub const GT_PCI0_CFGADDR: u32 = 0xCF8;
pub const GT_PCI0_CFGDATA: u32 = 0xCFC;
/// Where QEMU's Malta puts the board revision (in the boot ROM).
pub const BOARD_REVISION: u32 = 0x1FC0_0010;

/// The i8259 ports and commands.
pub const PIC_MASTER: u16 = 0x20;
pub const PIC_SLAVE: u16 = 0xA0;
pub const ICW1_INIT_ICW4: u8 = 0x11;
pub const ICW4_8086: u8 = 0x01;
pub const OCW2_EOI: u8 = 0x20;
/// OCW3: the next command-port read returns IRR / ISR.
pub const OCW3_READ_IRR: u8 = 0x0A;
pub const OCW3_READ_ISR: u8 = 0x0B;
/// The slave is cascaded on the master's IRQ 2.
pub const CASCADE_IRQ: u8 = 2;

/// The MC146818 RTC's index and data ports, and the registers used here.
pub const RTC_INDEX: u16 = 0x70;
pub const RTC_DATA: u16 = 0x71;
pub const RTC_SECONDS: u8 = 0x00;
pub const RTC_A: u8 = 0x0A;
pub const RTC_B: u8 = 0x0B;
pub const RTC_C: u8 = 0x0C;
pub const RTC_A_UIP: u8 = 0x80;
pub const RTC_B_PIE: u8 = 0x40;
pub const RTC_C_IRQF: u8 = 0x80;
pub const RTC_C_PF: u8 = 0x40;
pub const RTC_C_UF: u8 = 0x10;
/// ISA IRQ of the RTC.
pub const RTC_IRQ: u8 = 8;

fn address(map: Map, phys: u32) -> u32 {
    map.kseg1() + phys
}

/// A byte from ISA I/O port `port`.
pub fn inb(map: Map, port: u16) -> u8 {
    // SAFETY: a device register on the ISA bus, reached through (guest)
    // KSEG1, which is never mapped out; only that device observes it.
    unsafe { core::ptr::read_volatile(address(map, ISA_IO + u32::from(port)) as *const u8) }
}

/// A byte to ISA I/O port `port`.
pub fn outb(map: Map, port: u16, value: u8) {
    // SAFETY: as in `inb`.
    unsafe { core::ptr::write_volatile(address(map, ISA_IO + u32::from(port)) as *mut u8, value) }
}

/// A GT-64120 register (offset from its base).
pub fn gt_read(map: Map, offset: u32) -> u32 {
    // SAFETY: the system controller's registers through (guest) KSEG1.
    unsafe { core::ptr::read_volatile(address(map, GT + offset) as *const u32) }
}

pub fn gt_write(map: Map, offset: u32, value: u32) {
    // SAFETY: as in `gt_read`.
    unsafe { core::ptr::write_volatile(address(map, GT + offset) as *mut u32, value) }
}

/// The board revision word QEMU's Malta puts in the boot ROM.
pub fn board_revision(map: Map) -> u32 {
    // SAFETY: the boot ROM through (guest) KSEG1: plain memory to read.
    unsafe { core::ptr::read_volatile(address(map, BOARD_REVISION) as *const u32) }
}

/// Initialises the i8259 pair as Malta's Linux does (edge-triggered,
/// cascaded on IRQ 2, 8086 mode) with vector bases `master_base` and
/// `slave_base`, then the masks (bit n set: IRQ n masked).
pub fn pic_init(map: Map, master_base: u8, slave_base: u8, master_mask: u8, slave_mask: u8) {
    for (port, base, icw3, mask) in
        [(PIC_MASTER, master_base, 1 << CASCADE_IRQ, master_mask), (PIC_SLAVE, slave_base, CASCADE_IRQ, slave_mask)]
    {
        outb(map, port, ICW1_INIT_ICW4);
        outb(map, port + 1, base);
        outb(map, port + 1, icw3);
        outb(map, port + 1, ICW4_8086);
        outb(map, port + 1, mask);
    }
}

/// The INTA cycle through the GT-64120: the vector of the highest
/// pending request, which is now in service.
pub fn pic_acknowledge(map: Map) -> u8 {
    gt_read(map, GT_PCI0_IACK) as u8
}

/// Ends ISA interrupt `irq` (non-specific EOIs: the slave's, then the
/// master's).
pub fn pic_end_of_interrupt(map: Map, irq: u8) {
    if irq >= 8 {
        outb(map, PIC_SLAVE, OCW2_EOI);
    }
    outb(map, PIC_MASTER, OCW2_EOI);
}

/// An RTC register.
pub fn rtc_read(map: Map, index: u8) -> u8 {
    outb(map, RTC_INDEX, index);
    inb(map, RTC_DATA)
}

pub fn rtc_write(map: Map, index: u8, value: u8) {
    outb(map, RTC_INDEX, index);
    outb(map, RTC_DATA, value);
}

/// The configuration address of bus 0, `device`, `function`, `reg`.
pub const fn pci_address(device: u8, function: u8, reg: u8) -> u32 {
    0x8000_0000 | (device as u32) << 11 | (function as u32) << 8 | (reg as u32 & 0xFC)
}

/// A configuration-space word of bus 0 (0xFFFFFFFF: nothing answers).
pub fn pci_read(map: Map, device: u8, function: u8, reg: u8) -> u32 {
    gt_write(map, GT_PCI0_CFGADDR, pci_address(device, function, reg));
    gt_read(map, GT_PCI0_CFGDATA)
}

pub fn pci_write(map: Map, device: u8, function: u8, reg: u8, value: u32) {
    gt_write(map, GT_PCI0_CFGADDR, pci_address(device, function, reg));
    gt_write(map, GT_PCI0_CFGDATA, value);
}
