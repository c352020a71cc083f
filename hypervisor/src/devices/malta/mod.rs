//! The virtual Malta board a guest gets with `board = "malta"`: the parts
//! of QEMU's Malta that software written for it expects, at their Malta
//! addresses, with their interrupts wired as on the board.
//!
//! The windows are fixed by the board (as its address decoding is), not
//! declared region by region: a guest's declared regions may not overlap
//! them (the guest is refused). ISA I/O port `p` is at guest-physical
//! `0x1800_0000 + p` (the GT-64120's PCI I/O window as Malta's firmware
//! sets it up).
//!
//! | part | guest-physical | what |
//! |---|---|---|
//! | i8259 master | 0x18000020-21 | PIIX4 interrupt controller, output on the CPU's IP2 |
//! | i8254 PIT | 0x18000040-43 | timer; counter 0 on ISA IRQ 0 |
//! | MC146818 RTC | 0x18000070-71 | index/data; ISA IRQ 8 |
//! | i8259 slave | 0x180000A0-A1 | cascaded on master IRQ 2 |
//! | ELCR | 0x180004D0-D1 | PIIX4 edge/level control |
//! | GT-64120 | 0x1BE00000-0FFF | system controller, PCI configuration, interrupt acknowledge |
//! | FPGA | 0x1F000000-0FFFFF | switches, LEDs, ASCII display, software reset |
//! | PIIX4 PM | ISA PMBA-PMBA+63 | power management, while function 3 enables it ([`Piix4Pm`]) |
//!
//! [`MaltaBoard`] holds the parts and wires them: ISA interrupt inputs
//! (the bus's devices routed with `isa_irq`, PIT counter 0 on IRQ 0, the
//! RTC on IRQ 8) into the i8259 pair, whose INT is the guest's interrupt
//! line 0 (Cause.IP2); a read of the GT-64120's interrupt-acknowledge
//! register is the pair's INTA cycle. Time is injected in nanoseconds
//! since the board was built (the caller's clock, never read here).
//! ISA ports are byte-wide: a halfword or word access is split into byte
//! accesses at consecutive ports (counted as malformed), the bytes past
//! the part's window read 0xFF and are not written. The rest of the ISA
//! I/O window ([`ISA_IO_SIZE`]) is open bus, as on QEMU's Malta: what no
//! part or device answers reads all ones and ignores writes (port 0x61
//! among them: QEMU 7.2's Malta has no NMI status port, so PIT counter
//! 2's gate stays low).

/// The board's parts, one per address window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    PicMaster,
    Pit,
    Rtc,
    PicSlave,
    Elcr,
    Gt64120,
    Fpga,
}

/// One of the board's address windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub part: Part,
    /// Guest-physical base and size in bytes.
    pub base: u32,
    pub size: u32,
    /// For reports and refusals.
    pub name: &'static str,
}

/// Guest-physical address of ISA I/O port 0.
pub const ISA_IO_BASE: u32 = 0x1800_0000;
/// The GT-64120's PCI I/O window as Malta's firmware sets it up.
pub const ISA_IO_SIZE: u32 = 0x20_0000;

/// `gpa` lies in the ISA I/O window (open bus where nothing answers).
pub const fn in_isa_io(gpa: u32) -> bool {
    gpa.wrapping_sub(ISA_IO_BASE) < ISA_IO_SIZE
}

const fn isa(part: Part, port: u32, size: u32, name: &'static str) -> Window {
    Window { part, base: ISA_IO_BASE + port, size, name }
}

/// The board's windows, in address order.
pub const WINDOWS: &[Window] = &[
    isa(Part::PicMaster, 0x20, 2, "i8259 master (ISA ports 0x20-0x21)"),
    isa(Part::Pit, 0x40, 4, "i8254 PIT (ISA ports 0x40-0x43)"),
    isa(Part::Rtc, 0x70, 2, "MC146818 RTC (ISA ports 0x70-0x71)"),
    isa(Part::PicSlave, 0xA0, 2, "i8259 slave (ISA ports 0xA0-0xA1)"),
    isa(Part::Elcr, 0x4D0, 2, "ELCR (ISA ports 0x4D0-0x4D1)"),
    Window { part: Part::Gt64120, base: 0x1BE0_0000, size: 0x1000, name: "GT-64120 (0x1BE00000-0x1BE00FFF)" },
    Window { part: Part::Fpga, base: 0x1F00_0000, size: 0x10_0000, name: "FPGA (0x1F000000-0x1F0FFFFF)" },
];

/// The first of [`WINDOWS`] that overlaps `[base, base + size)`.
pub fn window_overlapping(base: u32, size: u32) -> Option<&'static Window> {
    WINDOWS.iter().find(|w| emulator::addrmap::ranges_overlap(base, u64::from(size), w.base, u64::from(w.size)))
}

/// The window holding guest-physical `gpa`, and the offset in it.
pub fn window_at(gpa: u32) -> Option<(&'static Window, u32)> {
    WINDOWS.iter().find(|w| gpa.wrapping_sub(w.base) < w.size).map(|w| (w, gpa - w.base))
}


pub mod fpga;
pub mod gt64120;
pub mod i8254;
pub mod i8259;
pub mod mc146818;
pub mod piix4_pm;

use self::fpga::{DisplayText, MaltaFpga};
use self::gt64120::{Gt64120, Gt64120Read, Gt64120Summary};
use self::i8254::I8254;
use self::i8259::I8259Pair;
use self::mc146818::Mc146818;
use self::piix4_pm::{Piix4Pm, PM_IO_SIZE};
use super::{AccessSize, DeviceEvent, MmioDevice};

/// ISA IRQ of PIT counter 0.
pub const PIT_IRQ: u8 = 0;

const NS_PER_SEC: u64 = 1_000_000_000;

/// Nanoseconds as PIT input-clock ticks (rounded down).
fn pit_ticks(ns: u64) -> u64 {
    i8254::ticks_from(ns, NS_PER_SEC)
}

/// PIT ticks as nanoseconds (rounded up, so a deadline is never early).
fn pit_ns(ticks: u64) -> u64 {
    let ns = (u128::from(ticks) * u128::from(NS_PER_SEC)).div_ceil(u128::from(i8254::CLOCK_HZ));
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// The virtual Malta board's parts, wired as on the board.
#[derive(Clone, Debug)]
pub struct MaltaBoard {
    pub pic: I8259Pair,
    pub pit: I8254,
    pub rtc: Mc146818,
    pub gt: Gt64120,
    pub fpga: MaltaFpga,
    /// The PIIX4's power-management I/O block (at PMBA when enabled).
    pub pm: Piix4Pm,
    /// The ISA inputs driven from outside the board (bit n = IRQ n).
    isa_lines: u16,
    /// The latest time seen, in ns.
    now_ns: u64,
    /// The interrupt inputs are up to date, and nothing changes them by
    /// itself before this time (`u64::MAX`: never); `None` after anything
    /// that may have (an access, reset). Spares the exit path the timers'
    /// arithmetic when nothing happened.
    settled_until: Option<u64>,
    /// Non-byte ISA accesses.
    malformed: u32,
}

/// The board's state for `guest info`.
#[derive(Clone, Copy, Debug)]
pub struct BoardSummary {
    pub pic: i8259::Summary,
    pub pit: i8254::Summary,
    pub rtc: mc146818::RtcSummary,
    pub gt: Gt64120Summary,
    pub display: DisplayText,
    pub leds: u8,
    pub malformed: u32,
}

impl MaltaBoard {
    /// The board as QEMU's Malta leaves it when its boot code hands over
    /// (the GT-64120 set up as the firmware does), with `ram_bytes` of RAM
    /// and the RTC reading `unix_secs` at time 0.
    pub fn new(ram_bytes: u64, unix_secs: i64) -> MaltaBoard {
        MaltaBoard {
            pic: I8259Pair::new(),
            pit: I8254::new(),
            rtc: Mc146818::new(unix_secs),
            gt: Gt64120::booted(),
            fpga: MaltaFpga::new(ram_bytes),
            pm: Piix4Pm::new(),
            isa_lines: 0,
            now_ns: 0,
            settled_until: None,
            malformed: 0,
        }
    }

    /// Every part back to its state after reset at `now_ns` (the RTC keeps
    /// its time and RAM).
    pub fn reset(&mut self, now_ns: u64) {
        self.advance(now_ns);
        self.pic.reset();
        self.pit.reset(pit_ticks(self.now_ns));
        self.rtc.reset();
        self.gt.reset();
        self.gt.boot_setup();
        self.fpga.reset();
        self.pm = Piix4Pm::new();
        self.isa_lines = 0;
        self.update_lines();
    }

    fn advance(&mut self, now_ns: u64) {
        self.now_ns = self.now_ns.max(now_ns);
    }

    /// Brings the interrupt inputs up to `now_ns`: `isa_lines` (bit n = ISA
    /// IRQ n) from the bus's devices, PIT counter 0, the RTC.
    pub fn sync(&mut self, isa_lines: u16, now_ns: u64) {
        self.advance(now_ns);
        if isa_lines == self.isa_lines && self.settled_until.is_some_and(|t| self.now_ns < t) {
            return;
        }
        self.isa_lines = isa_lines;
        self.update_lines();
    }

    /// The inputs brought up to the time last seen, and when they next
    /// change by themselves.
    fn update_lines(&mut self) {
        self.drive_lines();
        let next = self.compute_next_event().unwrap_or(u64::MAX);
        self.settled_until = Some(next);
    }

    fn drive_lines(&mut self) {
        let now = self.now_ns;
        let ticks = pit_ticks(now);
        // Every rising edge of OUT0 is a request of the edge-triggered IRQ 0.
        if self.pit.take_edges(ticks) > 0 {
            self.pic.set_irq(PIT_IRQ, false);
            self.pic.set_irq(PIT_IRQ, true);
        }
        self.pic.set_irq(PIT_IRQ, self.pit.out(0, ticks));
        let rtc = self.rtc.irq_level(now);
        for irq in (0..16u8).filter(|&n| n != PIT_IRQ && n != i8259::CASCADE_IRQ) {
            let device = self.isa_lines & (1 << irq) != 0;
            self.pic.set_irq(irq, device || (irq == mc146818::ISA_IRQ && rtc));
        }
    }

    /// The i8259 pair's INT: the guest's interrupt line 0 (IP2).
    pub fn output(&self) -> bool {
        self.pic.output()
    }

    /// When, after `now_ns`, an interrupt input may next change by itself
    /// (PIT counter 0's OUT, the RTC's output): the caller's next timer.
    pub fn next_event(&mut self, now_ns: u64) -> Option<u64> {
        self.advance(now_ns);
        let next = match self.settled_until {
            Some(t) if self.now_ns < t => t,
            _ => {
                self.update_lines();
                self.settled_until.unwrap_or(u64::MAX)
            }
        };
        (next != u64::MAX).then_some(next)
    }

    fn compute_next_event(&mut self) -> Option<u64> {
        let pit = self.pit.next_event(pit_ticks(self.now_ns)).map(pit_ns);
        let rtc = self.rtc.next_event(self.now_ns);
        match (pit, rtc) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes the event a guest access raised (the FPGA's software reset,
    /// the PIIX4's soft off).
    pub fn take_event(&mut self) -> Option<DeviceEvent> {
        self.fpga.take_event().or_else(|| self.pm.take_power_off().then_some(DeviceEvent::PowerOff))
    }

    /// The offset into the PIIX4's PM I/O block of the ISA access at `gpa`
    /// of `len` bytes, when it lies there while the block is enabled.
    #[inline]
    fn pm_offset(&self, gpa: u32, len: u32) -> Option<u16> {
        let base = ISA_IO_BASE + u32::from(self.gt.piix4_pm_base()?);
        let offset = gpa.checked_sub(base)?;
        (offset + len <= u32::from(PM_IO_SIZE)).then_some(offset as u16)
    }

    /// Whether an access of `len` bytes at `gpa` is the PM block's (the
    /// one part of the board the guest can move; the others are
    /// [`WINDOWS`]). [`read`](Self::read) and [`write`](Self::write) answer
    /// it before the windows.
    #[inline]
    pub fn pm_answers(&self, gpa: u32, len: u32) -> bool {
        self.pm_offset(gpa, len).is_some()
    }

    /// A guest load of `size` at guest-physical `gpa` in one of the
    /// board's windows at `now_ns`; `None` outside them.
    pub fn read(&mut self, gpa: u32, size: AccessSize, now_ns: u64) -> Option<u32> {
        if let Some(offset) = self.pm_offset(gpa, size.bytes()) {
            self.advance(now_ns);
            let bytes = (0..size.bytes() as u16).map(|lane| self.pm.read(offset + lane, self.now_ns));
            return Some(bytes.enumerate().fold(0, |v, (lane, b)| v | u32::from(b) << (8 * lane)));
        }
        let (window, offset) = window_at(gpa)?;
        self.advance(now_ns);
        let value = match window.part {
            Part::Gt64120 => match self.gt.read(offset, size) {
                Gt64120Read::Value(v) => v,
                Gt64120Read::InterruptAcknowledge => {
                    self.update_lines();
                    let vector = self.pic.acknowledge();
                    self.gt.iack_value(vector) & size.mask()
                }
            },
            Part::Fpga => self.fpga.read(offset, size),
            _ => {
                let port = (gpa - ISA_IO_BASE) as u16;
                self.isa_split(size);
                let mut value = 0;
                for lane in 0..size.bytes() {
                    let byte = match port.checked_add(lane as u16).filter(|_| lane < window.size - offset) {
                        Some(p) => self.read_port(window.part, p),
                        None => 0xFF,
                    };
                    value |= u32::from(byte) << (8 * lane);
                }
                value
            }
        };
        self.update_lines();
        Some(value)
    }

    /// A guest store of the low `size` bytes of `value` at guest-physical
    /// `gpa` at `now_ns`; `false` outside the board's windows.
    pub fn write(&mut self, gpa: u32, size: AccessSize, value: u32, now_ns: u64) -> bool {
        if let Some(offset) = self.pm_offset(gpa, size.bytes()) {
            self.advance(now_ns);
            for lane in 0..size.bytes() as u16 {
                self.pm.write(offset + lane, (value >> (8 * lane)) as u8);
            }
            return true;
        }
        let Some((window, offset)) = window_at(gpa) else { return false };
        self.advance(now_ns);
        match window.part {
            Part::Gt64120 => self.gt.write(offset, size, value),
            Part::Fpga => self.fpga.write(offset, size, value),
            _ => {
                let port = (gpa - ISA_IO_BASE) as u16;
                self.isa_split(size);
                for lane in 0..size.bytes().min(window.size - offset) {
                    self.write_port(window.part, port + lane as u16, (value >> (8 * lane)) as u8);
                }
            }
        }
        self.update_lines();
        true
    }

    fn isa_split(&mut self, size: AccessSize) {
        if size != AccessSize::Byte {
            self.malformed = self.malformed.wrapping_add(1);
        }
    }

    fn read_port(&mut self, part: Part, port: u16) -> u8 {
        let now = self.now_ns;
        match part {
            Part::PicMaster | Part::PicSlave | Part::Elcr => self.pic.read_port(port),
            Part::Pit => self.pit.read_port(port, pit_ticks(now)),
            Part::Rtc => self.rtc.read_port(port, now),
            Part::Gt64120 | Part::Fpga => 0xFF,
        }
    }

    fn write_port(&mut self, part: Part, port: u16, value: u8) {
        let now = self.now_ns;
        match part {
            Part::PicMaster | Part::PicSlave | Part::Elcr => self.pic.write_port(port, value),
            Part::Pit => self.pit.write_port(port, value, pit_ticks(now)),
            Part::Rtc => self.rtc.write_port(port, value, now),
            Part::Gt64120 | Part::Fpga => {}
        }
    }

    /// Accesses the parts ignored or tolerated as malformed, in total.
    pub fn malformed(&self) -> u32 {
        [self.malformed, self.pic.malformed(), self.pit.malformed(), self.rtc.malformed(), self.gt.malformed(), self.fpga.malformed()]
            .into_iter()
            .fold(0, u32::wrapping_add)
    }

    /// The parts' state at `now_ns`, for `guest info`.
    pub fn summary(&self, now_ns: u64) -> BoardSummary {
        let now = self.now_ns.max(now_ns);
        BoardSummary {
            pic: self.pic.summary(),
            pit: self.pit.summary(pit_ticks(now)),
            rtc: self.rtc.summary(now),
            gt: self.gt.summary(),
            display: self.fpga.display_text(),
            leds: self.fpga.leds(),
            malformed: self.malformed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_ordered_and_disjoint() {
        for pair in WINDOWS.windows(2) {
            assert!(u64::from(pair[0].base) + u64::from(pair[0].size) <= u64::from(pair[1].base), "{pair:?}");
        }
        assert_eq!(window_at(0x1800_0021).map(|(w, o)| (w.part, o)), Some((Part::PicMaster, 1)));
        assert_eq!(window_at(0x1800_04D1).map(|(w, o)| (w.part, o)), Some((Part::Elcr, 1)));
        assert_eq!(window_at(0x1BE0_0C34).map(|(w, o)| (w.part, o)), Some((Part::Gt64120, 0xC34)));
        assert_eq!(window_at(0x1F00_0500).map(|(w, o)| (w.part, o)), Some((Part::Fpga, 0x500)));
        // The UART at 0x3F8 is a device of its own, outside the windows.
        assert_eq!(window_at(0x1800_03F8), None);
        assert_eq!(window_at(0x1800_0022), None);
        assert_eq!(window_at(0x1F10_0000), None);
    }

    /// Between the timers' events a sync with the same device lines
    /// changes nothing and computes nothing; at an event it does.
    #[test]
    fn syncs_between_events_are_settled() {
        let mut b = MaltaBoard::new(64 << 20, 0);
        b.sync(0, 0);
        // PIT counter 0 runs from reset (mode 3, count 65536): OUT0 falls
        // after about 27.5 ms.
        let first = b.next_event(0).expect("the PIT runs from reset");
        assert!((27_000_000..28_000_000).contains(&first), "{first}");
        assert_eq!(b.settled_until, Some(first));
        b.sync(0, first - 1);
        assert_eq!(b.settled_until, Some(first), "nothing recomputed before the event");
        b.sync(0, first);
        let second = b.next_event(first).expect("and on");
        assert!(second > first);
        // A device line change is taken at once.
        b.sync(1 << 4, first + 1);
        assert_eq!(b.isa_lines, 1 << 4);
        // An access unsettles it: the next sync recomputes.
        b.settled_until = None;
        b.sync(1 << 4, first + 2);
        assert_eq!(b.settled_until, Some(second));
    }

    /// Linux's Malta fix-up puts the PIIX4's PM block at I/O 0x1000 and
    /// enables it; its poweroff then writes soft off to PMCNTRL (a
    /// halfword at port 0x1004), which powers the guest off. Before the
    /// block is enabled the ports are the ISA window's open bus.
    #[test]
    fn the_piix4_soft_off_powers_the_board_off() {
        let mut b = MaltaBoard::new(64 << 20, 0);
        let config = |b: &mut MaltaBoard, reg: u32| {
            // CFGADDR: enable, bus 0, device 10, function 3, register.
            assert!(b.write(0x1BE0_0CF8, AccessSize::Word, 0x8000_0000 | (10 << 11) | (3 << 8) | reg, 0));
        };
        assert_eq!(b.read(0x1800_1004, AccessSize::Half, 0), None, "not decoded: the bus's open bus answers");
        config(&mut b, 0x40);
        assert!(b.write(0x1BE0_0CFC, AccessSize::Word, 0x1000, 0));
        config(&mut b, 0x80);
        assert!(b.write(0x1BE0_0CFC, AccessSize::Byte, 0x01, 0));
        assert_eq!(b.gt.piix4_pm_base(), Some(0x1000));
        assert_eq!(b.read(0x1800_1000, AccessSize::Half, 0), Some(0), "PMSTS: no power button");
        assert!(b.write(0x1800_1004, AccessSize::Half, u32::from(crate::devices::malta::piix4_pm::SUS_EN), 0));
        assert_eq!(b.take_event(), Some(DeviceEvent::PowerOff));
        assert_eq!(b.malformed(), 0, "PM registers take halfwords");
        // A reset leaves PMREGMISC as the firmware does: the block is off.
        b.reset(0);
        assert_eq!(b.gt.piix4_pm_base(), None);
    }
}
