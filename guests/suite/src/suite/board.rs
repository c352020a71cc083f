//! The Malta board as its software uses it, natively and on the virtual
//! Malta board (`board = "malta"`): the revision word in the boot ROM, the
//! i8259 pair and its interrupt-acknowledge cycle through the GT-64120,
//! the RTC's update cycle and periodic interrupt (ISA IRQ 8, through the
//! slave and the master's IRQ 2 to IP2), the PIT's counter 0 on IRQ 0,
//! and a PCI probe of bus 0 that finds the board's own chipset and
//! no add-in device. Each case leaves every i8259 line masked and the RTC
//! without interrupts.
use super::rt;
use super::{code, eq, expect, no_trap, vec, yes, Case, Fail, Outcome};
use guest_rt::cp0::{CAUSE_IP2, ST_IE, ST_IM2};
use guest_rt::malta::{self, *};

pub const CASES: &[Case] = &[
    Case { name: "board.revision_word", run: revision },
    Case { name: "board.pic_masks_and_spurious_iack", run: pic_masks },
    Case { name: "board.rtc_update_cycle", run: rtc_update_cycle },
    Case { name: "board.rtc_periodic_interrupt", run: rtc_periodic },
    Case { name: "board.pit_interrupt_on_irq0", run: pit_interrupt },
    Case { name: "board.pci_probe_finds_only_the_chipset", run: pci_probe },
];

const MAP: guest_rt::Map = crate::MAP;
/// Vector bases as Malta's Linux sets them (the ISA IRQ is the vector).
const MASTER_BASE: u8 = 0x00;
const SLAVE_BASE: u8 = 0x08;
/// About 2 s of Count natively (the RTC updates once a second).
const SECOND_AND_A_HALF: u32 = 0x1400_0000;
/// About 100 ms.
const A_TENTH: u32 = 0x0100_0000;

/// QEMU's Malta: "Malta board with CoreLV".
const REVISION_CORE_LV: u32 = 0x0000_0420;
/// The GT-64120 (host bridge, 00:00.0) and the PIIX4's four functions at
/// 00:0a.0-3, as vendor | device << 16.
const GT64120_ID: u32 = 0x4620_11AB;
const PIIX4_SLOT: u8 = 10;
const PIIX4_IDS: [u32; 4] = [0x7110_8086, 0x7111_8086, 0x7112_8086, 0x7113_8086];
const ABSENT: u32 = 0xFFFF_FFFF;

/// Every i8259 line masked.
fn mask_all() {
    pic_init(MAP, MASTER_BASE, SLAVE_BASE, 0xFF, 0xFF);
}

fn revision() -> Outcome {
    eq("board revision at 0x1FC00010", malta::board_revision(MAP), REVISION_CORE_LV)
}

fn pic_masks() -> Outcome {
    mask_all();
    eq("master IMR", u32::from(inb(MAP, PIC_MASTER + 1)), 0xFF)?;
    eq("slave IMR", u32::from(inb(MAP, PIC_SLAVE + 1)), 0xFF)?;
    outb(MAP, PIC_MASTER + 1, !(1 << CASCADE_IRQ));
    eq("master IMR written", u32::from(inb(MAP, PIC_MASTER + 1)), u32::from(!(1u8 << CASCADE_IRQ)))?;
    outb(MAP, PIC_MASTER + 1, 0xFF);
    // Nothing unmasked is pending: the master answers its spurious IR7
    // and puts nothing in service.
    eq("spurious vector", u32::from(pic_acknowledge(MAP)), u32::from(MASTER_BASE + 7))?;
    outb(MAP, PIC_MASTER, OCW3_READ_ISR);
    let isr = inb(MAP, PIC_MASTER);
    outb(MAP, PIC_MASTER, OCW3_READ_IRR);
    eq("master ISR after a spurious INTA", u32::from(isr), 0)
}

/// Spins until `done()` or `ticks` pass; whether it was done.
fn within(ticks: u32, mut done: impl FnMut() -> bool) -> bool {
    let start = rt::count();
    loop {
        if done() {
            return true;
        }
        if rt::count().wrapping_sub(start) > ticks {
            return false;
        }
    }
}

/// Waits for the end of the next update cycle (UIP rises, then falls)
/// and returns the seconds register right after it.
fn next_update() -> Result<u8, Fail> {
    let uip = || rtc_read(MAP, RTC_A) & RTC_A_UIP != 0;
    if !within(SECOND_AND_A_HALF, uip) {
        return Err(Fail { what: "A.UIP never rose", got: 0, want: 1 });
    }
    if !within(A_TENTH, || !uip()) {
        return Err(Fail { what: "A.UIP never fell", got: 1, want: 0 });
    }
    Ok(rtc_read(MAP, RTC_SECONDS))
}

/// The second after `bcd` seconds, in BCD.
fn next_second(bcd: u8) -> u8 {
    let s = (bcd >> 4) * 10 + (bcd & 0xF);
    let n = (s + 1) % 60;
    (n / 10) << 4 | n % 10
}

fn rtc_update_cycle() -> Outcome {
    rtc_write(MAP, RTC_B, 0x02);
    let _ = rtc_read(MAP, RTC_C);
    let first = next_update()?;
    yes("C.UF after an update cycle", rtc_read(MAP, RTC_C) & RTC_C_UF != 0)?;
    eq("C.UF cleared by reading C", u32::from(rtc_read(MAP, RTC_C) & RTC_C_UF), 0)?;
    let second = next_update()?;
    eq("seconds one update later", u32::from(second), u32::from(next_second(first)))
}

fn rtc_periodic() -> Outcome {
    pic_init(MAP, MASTER_BASE, SLAVE_BASE, !(1 << CASCADE_IRQ), !(1 << (RTC_IRQ - 8)));
    // Rate 6: 1024 Hz, the dividers running (A = 0x26, its power-on value).
    rtc_write(MAP, RTC_A, 0x26);
    // C cleared before PIE is set: a flag already up then raises IRQ 8 at
    // once, and the PIC keeps that request even if C were read after it,
    // so reading C after PIE could leave an interrupt with C.PF clear
    // (whenever a period passed since the last case read C: a guest run
    // beside another one, descheduled meanwhile).
    let _ = rtc_read(MAP, RTC_C);
    rtc_write(MAP, RTC_B, 0x02 | RTC_B_PIE);
    rt::mtc0!(12, 0, ST_IM2 | ST_IE);
    let trap = within(A_TENTH, || rt::trap_count() != 0).then(rt::take_trap).flatten();
    rt::mtc0!(12, 0, 0);
    let result = (|| {
        let trap = expect(trap, vec::GENERAL, code::INT)?;
        yes("Cause.IP2", trap.cause & CAUSE_IP2 != 0)?;
        eq("vector of IRQ 8", u32::from(pic_acknowledge(MAP)), u32::from(SLAVE_BASE + RTC_IRQ - 8))?;
        let c = rtc_read(MAP, RTC_C);
        eq("C.IRQF and C.PF", u32::from(c & (RTC_C_IRQF | RTC_C_PF)), u32::from(RTC_C_IRQF | RTC_C_PF))?;
        pic_end_of_interrupt(MAP, RTC_IRQ);
        Ok(())
    })();
    rtc_write(MAP, RTC_B, 0x02);
    let _ = rtc_read(MAP, RTC_C);
    mask_all();
    result
}

const PIT_COUNTER0: u16 = 0x40;
const PIT_CONTROL: u16 = 0x43;
/// ISA IRQ of PIT counter 0.
const PIT_IRQ: u8 = 0;

/// Counter 0's count, latched.
fn pit_latch0() -> u16 {
    outb(MAP, PIT_CONTROL, 0x00);
    u16::from(inb(MAP, PIT_COUNTER0)) | u16::from(inb(MAP, PIT_COUNTER0)) << 8
}

fn pit_interrupt() -> Outcome {
    // Counter 0, LSB then MSB, mode 2 (rate generator), about 1 ms.
    const COUNT: u16 = 1193;
    pic_init(MAP, MASTER_BASE, SLAVE_BASE, !(1 << PIT_IRQ), 0xFF);
    outb(MAP, PIT_CONTROL, 0x34);
    outb(MAP, PIT_COUNTER0, COUNT as u8);
    outb(MAP, PIT_COUNTER0, (COUNT >> 8) as u8);
    let first = pit_latch0();
    rt::mtc0!(12, 0, ST_IM2 | ST_IE);
    let trap = within(A_TENTH, || rt::trap_count() != 0).then(rt::take_trap).flatten();
    rt::mtc0!(12, 0, 0);
    let result = (|| {
        yes("latched count within the count written", first <= COUNT)?;
        let trap = expect(trap, vec::GENERAL, code::INT)?;
        yes("Cause.IP2", trap.cause & CAUSE_IP2 != 0)?;
        eq("vector of IRQ 0", u32::from(pic_acknowledge(MAP)), u32::from(MASTER_BASE + PIT_IRQ))?;
        pic_end_of_interrupt(MAP, PIT_IRQ);
        let a = pit_latch0();
        yes("the counter counts", within(A_TENTH, || pit_latch0() != a))
    })();
    // Back to the state after reset: mode 3, count 65536.
    outb(MAP, PIT_CONTROL, 0x36);
    outb(MAP, PIT_COUNTER0, 0);
    outb(MAP, PIT_COUNTER0, 0);
    mask_all();
    result
}

fn pci_probe() -> Outcome {
    eq("00:00.0 GT-64120", pci_read(MAP, 0, 0, 0), GT64120_ID)?;
    let header_type = (pci_read(MAP, PIIX4_SLOT, 0, 0x0C) >> 16) as u8;
    yes("PIIX4 is multi-function", header_type & 0x80 != 0)?;
    for (function, &id) in PIIX4_IDS.iter().enumerate() {
        eq("PIIX4 function", pci_read(MAP, PIIX4_SLOT, function as u8, 0), id)?;
    }
    let mut others = 0;
    for device in (1..32).filter(|&d| d != PIIX4_SLOT) {
        if pci_read(MAP, device, 0, 0) != ABSENT {
            others += 1;
        }
    }
    for function in 4..8 {
        if pci_read(MAP, PIIX4_SLOT, function, 0) != ABSENT {
            others += 1;
        }
    }
    eq("add-in devices found", others, 0)?;
    no_trap(rt::take_trap())
}
