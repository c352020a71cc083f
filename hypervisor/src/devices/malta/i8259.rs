//! The PIIX4's two Intel 8259A interrupt controllers as one pure state
//! machine: the master at ISA ports 0x20/0x21, the slave at 0xA0/0xA1
//! cascaded on the master's IR2, and the PIIX4's edge/level control
//! registers ELCR1/ELCR2 at ports 0x4D0/0x4D1.
//!
//! The host side: [`I8259Pair::set_irq`] drives the sixteen ISA interrupt
//! lines (IRQ 0-15; IRQ 2 is the cascade, driven by the slave's output and
//! not by the host), [`I8259Pair::output`] is the master's INT pin (on
//! Malta the CPU's Cause.IP2), [`I8259Pair::acknowledge`] is an INTA cycle
//! (on Malta a read of the GT-64120's GT_PCI0_IACK register) and returns
//! the vector. The guest side is [`I8259Pair::read_port`] and
//! [`I8259Pair::write_port`] with ISA port numbers ([`decode`] maps them).
//! Nothing here knows about time.
//!
//! It answers as QEMU 7.2's `hw/intc/i8259.c` (the model QEMU's Malta
//! uses) and the 8259A data sheet describe the chip, in 8086 mode:
//!
//! - ICW1 (port A0=0, bit 4 set) starts initialisation: IMR, ISR, the
//!   priority rotation, special mask mode, poll, auto-EOI, special fully
//!   nested mode and the vector base are cleared, the register read
//!   selects IRR, edge-triggered requests are dropped and the edge
//!   detectors re-armed (a line that is high must fall and rise again);
//!   ICW1.SNGL skips ICW3, ICW1.IC4 asks for ICW4. ICW2 sets the vector
//!   base (bits 7:3), ICW3 (the cascade wiring, fixed here: the slave is
//!   on IR2) is stored and otherwise ignored, ICW4 sets AEOI (bit 1) and
//!   SFNM (bit 4, master only). ELCR is not changed by ICW1.
//! - OCW1 (port A0=1 outside initialisation): IMR.
//! - OCW2 (A0=0, bits 4:3 = 00), by bits 7:5: 001 non-specific EOI (the
//!   highest-priority ISR bit), 011 specific EOI of IR bits 2:0, 101 rotate
//!   on non-specific EOI (the EOI'd level becomes the lowest priority),
//!   111 rotate on specific EOI, 110 set priority (IR bits 2:0 becomes the
//!   lowest), 100/000 set/clear rotate in auto-EOI mode, 010 no operation.
//! - OCW3 (A0=0, bits 4:3 = 01): RR/RIS (bits 1:0) select IRR or ISR for
//!   reads of port A0=0, P (bit 2) makes the next read of either port a
//!   poll (an INTA on this chip alone: returns 0x80 | IR of the highest
//!   pending request, or 0 if there is none), ESMM/SMM (bits 6:5) set or
//!   clear special mask mode (masked in-service levels stop blocking the
//!   lower ones).
//! - Port A0=1 reads IMR; A0=0 reads IRR or ISR (poll first if armed).
//! - Triggering: ELCR1 bits 7:3 and ELCR2 bits 7:6 and 4:1 select level
//!   triggering per line (the others are reserved on the PIIX4: IRQ 0, 1,
//!   2, 8 and 13 are always edge-triggered, as QEMU's masks 0xF8 and 0xDE
//!   have it); ICW1.LTIM makes all eight lines of its chip level-triggered.
//!   An edge-triggered request is latched in IRR on the line's rising edge
//!   and cleared by the INTA that services it; a level-triggered IRR bit
//!   follows its line, so a line still high after the EOI requests again.
//! - Priorities: IR(n+1) mod 8 is the highest when IR n is the lowest
//!   (after reset IR0 is the highest); a request is passed on if it is
//!   unmasked and of higher priority than every in-service level (in
//!   special mask mode, every unmasked in-service level; with SFNM on the
//!   master, IR2 in service does not block the slave's requests).
//! - INTA ([`I8259Pair::acknowledge`]): the master's highest request is
//!   set in ISR (unless AEOI, which instead rotates when rotate-in-AEOI is
//!   set) and, if edge-triggered, cleared in IRR; for IR2 the slave does
//!   the same and gives the vector. With no request the master answers
//!   spurious IR7 (vector base + 7, ISR untouched); with IR2 requested but
//!   nothing left on the slave, the master services IR2 and the slave
//!   answers its spurious IR7.
//!
//! Checked against QEMU 7.2 with a register script (`qemu_trace` test,
//! `traces/i8259_trace.S`: Linux's initialisation, masks, every EOI kind,
//! nesting, the cascade, level and edge triggering, spurious IR7 on both
//! chips, poll, rotation, special mask mode, auto-EOI, single mode, SFNM,
//! LTIM): the same values everywhere but the first two differences below,
//! both on purpose.
//!
//! Deliberate differences from QEMU 7.2:
//!
//! - ICW1.LTIM is honoured, as on the data sheet's 8259A (and in QEMU from
//!   8.0); QEMU 7.2 logs it as unimplemented and stays edge-triggered.
//! - INT (and the slave's output into IR2) is always what the registers
//!   say. QEMU re-evaluates a chip's output only on IMR, OCW2 and ICW1
//!   writes, line changes and acknowledges, so after an OCW3 that sets or
//!   clears special mask mode (or an ELCR write) its INT is stale until the
//!   next of those; its acknowledge looks afresh and agrees with the model.
//! - Edge detection follows the line: a request is latched only when the
//!   line rises. QEMU latches on any "raise" call while its edge memory is
//!   clear, so after ICW1 a device re-raising a line that never fell
//!   requests again there (and, for the same reason, a slave whose output
//!   stays high across the master's ICW1 requests IR2 again at its next
//!   update). A caller may therefore set a line to the same level as often
//!   as it likes.
//! - Writing ELCR or ICW1.LTIM resamples the level-triggered IRR bits from
//!   the lines at once; QEMU waits for the line's next update.
//! - ICW4's uPM bit and ICW1.IC4 are not checked (as in QEMU): the chip
//!   always answers an INTA with the 8086-mode vector byte.
//!
//! Nonsense accesses never panic and are counted ([`I8259Pair::malformed`]):
//! ports outside the three windows (reads return 0, writes are ignored),
//! OCW3 with bit 7 set, ICW4 with bits 7:5 set, and ELCR writes that set
//! reserved bits (the reserved bits are dropped; the rest is performed).

/// First port of the master's window (ICW1/OCW2/OCW3, and IRR/ISR).
pub const MASTER_PORT: u16 = 0x20;
/// First port of the slave's window.
pub const SLAVE_PORT: u16 = 0xA0;
/// ELCR1 (master's lines); ELCR2 (slave's) is the next port.
pub const ELCR_PORT: u16 = 0x4D0;

/// The three port windows, `(first port, ports)`, in port order: master,
/// slave, ELCR.
pub const WINDOWS: [(u16, u16); 3] = [(MASTER_PORT, 2), (SLAVE_PORT, 2), (ELCR_PORT, 2)];

/// The master's input the slave's output drives.
pub const CASCADE_IRQ: u8 = 2;

/// ELCR bits that exist on the PIIX4 (the others are reserved, read 0).
pub const ELCR1_MASK: u8 = 0xF8;
pub const ELCR2_MASK: u8 = 0xDE;

pub const ICW1_IC4: u8 = 0x01;
pub const ICW1_SNGL: u8 = 0x02;
pub const ICW1_ADI: u8 = 0x04;
pub const ICW1_LTIM: u8 = 0x08;
pub const ICW1_INIT: u8 = 0x10;

pub const ICW4_UPM: u8 = 0x01;
pub const ICW4_AEOI: u8 = 0x02;
pub const ICW4_MS: u8 = 0x04;
pub const ICW4_BUF: u8 = 0x08;
pub const ICW4_SFNM: u8 = 0x10;

/// Bit 3 of a command-port write without ICW1_INIT: OCW3 (else OCW2).
pub const OCW3_SELECT: u8 = 0x08;
pub const OCW3_RIS: u8 = 0x01;
pub const OCW3_RR: u8 = 0x02;
pub const OCW3_POLL: u8 = 0x04;
pub const OCW3_SMM: u8 = 0x20;
pub const OCW3_ESMM: u8 = 0x40;

/// OCW2 commands (bits 7:5).
pub const OCW2_ROTATE_AEOI_CLEAR: u8 = 0x00;
pub const OCW2_EOI: u8 = 0x20;
pub const OCW2_NOP: u8 = 0x40;
pub const OCW2_SPECIFIC_EOI: u8 = 0x60;
pub const OCW2_ROTATE_AEOI_SET: u8 = 0x80;
pub const OCW2_ROTATE_EOI: u8 = 0xA0;
pub const OCW2_SET_PRIORITY: u8 = 0xC0;
pub const OCW2_ROTATE_SPECIFIC_EOI: u8 = 0xE0;

/// Bit 7 of a poll answer: a request was there.
pub const POLL_REQUEST: u8 = 0x80;
/// The IR a spurious INTA reports.
pub const SPURIOUS_IRQ: u8 = 7;

/// Which register a port reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// A chip's port: `slave`, and A0 (0 or 1).
    Chip { slave: bool, a0: u8 },
    /// ELCR1 (`slave` false) or ELCR2.
    Elcr { slave: bool },
}

/// The register at ISA port `port`, if one of the windows holds it.
pub const fn decode(port: u16) -> Option<Port> {
    match port {
        0x20 | 0x21 => Some(Port::Chip { slave: false, a0: (port & 1) as u8 }),
        0xA0 | 0xA1 => Some(Port::Chip { slave: true, a0: (port & 1) as u8 }),
        0x4D0 | 0x4D1 => Some(Port::Elcr { slave: port & 1 != 0 }),
        _ => None,
    }
}

/// Where a chip is in its initialisation sequence: the next A0=1 write
/// is the named word, or OCW1 when `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    Ready,
    Icw2,
    Icw3,
    Icw4,
}

/// One 8259A.
#[derive(Clone, Debug)]
struct Chip {
    master: bool,
    /// ELCR bits that exist for this chip.
    elcr_mask: u8,
    /// The input lines' levels.
    lines: u8,
    irr: u8,
    isr: u8,
    imr: u8,
    elcr: u8,
    /// ICW1.LTIM: every line level-triggered.
    ltim: bool,
    /// The IR with the highest priority (one above the lowest).
    priority_add: u8,
    vector_base: u8,
    read_isr: bool,
    poll: bool,
    special_mask: bool,
    init: Init,
    icw4_expected: bool,
    single: bool,
    auto_eoi: bool,
    rotate_on_aeoi: bool,
    sfnm: bool,
    icw3: u8,
}

/// The highest-priority bit of `mask` counted from IR `priority_add`:
/// its distance in priority (0 is the highest), or `None`.
fn priority(mask: u8, priority_add: u8) -> Option<u8> {
    (0..8).find(|p| mask & (1 << ((p + priority_add) & 7)) != 0)
}

impl Chip {
    fn new(master: bool) -> Chip {
        Chip {
            master,
            elcr_mask: if master { ELCR1_MASK } else { ELCR2_MASK },
            lines: 0,
            irr: 0,
            isr: 0,
            imr: 0,
            elcr: 0,
            ltim: false,
            priority_add: 0,
            vector_base: 0,
            read_isr: false,
            poll: false,
            special_mask: false,
            init: Init::Ready,
            icw4_expected: false,
            single: false,
            auto_eoi: false,
            rotate_on_aeoi: false,
            sfnm: false,
            icw3: 0,
        }
    }

    /// Lines whose requests follow the level.
    fn level_mask(&self) -> u8 {
        if self.ltim {
            0xFF
        } else {
            self.elcr
        }
    }

    fn set_line(&mut self, irq: u8, level: bool) {
        let bit = 1u8 << (irq & 7);
        if self.level_mask() & bit != 0 {
            if level {
                self.irr |= bit;
            } else {
                self.irr &= !bit;
            }
        } else if level && self.lines & bit == 0 {
            self.irr |= bit;
        }
        if level {
            self.lines |= bit;
        } else {
            self.lines &= !bit;
        }
    }

    /// Level-triggered IRR bits follow their lines again (after ELCR or
    /// LTIM changed); edge-triggered ones keep what they latched.
    fn resample_levels(&mut self) {
        let level = self.level_mask();
        self.irr = (self.irr & !level) | (self.lines & level);
    }

    /// The IR this chip would pass on to its INT pin, if any.
    fn pending(&self) -> Option<u8> {
        let wanted = priority(self.irr & !self.imr, self.priority_add)?;
        let mut in_service = self.isr;
        if self.special_mask {
            in_service &= !self.imr;
        }
        if self.sfnm && self.master {
            in_service &= !(1 << CASCADE_IRQ);
        }
        match priority(in_service, self.priority_add) {
            Some(current) if current <= wanted => None,
            _ => Some((wanted + self.priority_add) & 7),
        }
    }

    /// The INTA (or poll) that services `irq`.
    fn intack(&mut self, irq: u8) {
        let bit = 1u8 << irq;
        if self.auto_eoi {
            if self.rotate_on_aeoi {
                self.priority_add = (irq + 1) & 7;
            }
        } else {
            self.isr |= bit;
        }
        if self.level_mask() & bit == 0 {
            self.irr &= !bit;
        }
    }

    /// ICW1: the reset of the initialisation sequence.
    fn icw1(&mut self, value: u8) {
        self.ltim = value & ICW1_LTIM != 0;
        // Edge detectors re-armed: only level-triggered requests survive.
        self.irr = self.lines & self.level_mask();
        self.imr = 0;
        self.isr = 0;
        self.priority_add = 0;
        self.vector_base = 0;
        self.read_isr = false;
        self.poll = false;
        self.special_mask = false;
        self.auto_eoi = false;
        self.rotate_on_aeoi = false;
        self.sfnm = false;
        self.icw4_expected = value & ICW1_IC4 != 0;
        self.single = value & ICW1_SNGL != 0;
        self.init = Init::Icw2;
    }

    fn ocw2(&mut self, value: u8) {
        let level = value & 7;
        match value & 0xE0 {
            OCW2_ROTATE_AEOI_CLEAR => self.rotate_on_aeoi = false,
            OCW2_ROTATE_AEOI_SET => self.rotate_on_aeoi = true,
            OCW2_EOI | OCW2_ROTATE_EOI => {
                if let Some(p) = priority(self.isr, self.priority_add) {
                    let irq = (p + self.priority_add) & 7;
                    self.isr &= !(1 << irq);
                    if value & 0xE0 == OCW2_ROTATE_EOI {
                        self.priority_add = (irq + 1) & 7;
                    }
                }
            }
            OCW2_SPECIFIC_EOI => self.isr &= !(1 << level),
            OCW2_SET_PRIORITY => self.priority_add = (level + 1) & 7,
            OCW2_ROTATE_SPECIFIC_EOI => {
                self.isr &= !(1 << level);
                self.priority_add = (level + 1) & 7;
            }
            // OCW2_NOP
            _ => {}
        }
    }

    /// OCW3. Returns `false` if a reserved bit was set.
    fn ocw3(&mut self, value: u8) -> bool {
        if value & OCW3_POLL != 0 {
            self.poll = true;
        }
        if value & OCW3_RR != 0 {
            self.read_isr = value & OCW3_RIS != 0;
        }
        if value & OCW3_ESMM != 0 {
            self.special_mask = value & OCW3_SMM != 0;
        }
        value & 0x80 == 0
    }

    /// A write with A0=0. Returns `false` if a reserved bit was set.
    fn write_command(&mut self, value: u8) -> bool {
        if value & ICW1_INIT != 0 {
            self.icw1(value);
            true
        } else if value & OCW3_SELECT != 0 {
            self.ocw3(value)
        } else {
            self.ocw2(value);
            true
        }
    }

    /// A write with A0=1. Returns `false` if a reserved bit was set.
    fn write_data(&mut self, value: u8) -> bool {
        match self.init {
            Init::Ready => self.imr = value,
            Init::Icw2 => {
                self.vector_base = value & 0xF8;
                self.init = match (self.single, self.icw4_expected) {
                    (false, _) => Init::Icw3,
                    (true, true) => Init::Icw4,
                    (true, false) => Init::Ready,
                };
            }
            Init::Icw3 => {
                self.icw3 = value;
                self.init = if self.icw4_expected { Init::Icw4 } else { Init::Ready };
            }
            Init::Icw4 => {
                self.auto_eoi = value & ICW4_AEOI != 0;
                self.sfnm = value & ICW4_SFNM != 0;
                self.init = Init::Ready;
                return value & 0xE0 == 0;
            }
        }
        true
    }

    /// A read with A0 `a0`.
    fn read(&mut self, a0: u8) -> u8 {
        if self.poll {
            self.poll = false;
            return match self.pending() {
                Some(irq) => {
                    self.intack(irq);
                    POLL_REQUEST | irq
                }
                None => 0,
            };
        }
        match (a0, self.read_isr) {
            (0, false) => self.irr,
            (0, true) => self.isr,
            _ => self.imr,
        }
    }

    fn summary(&self) -> ChipSummary {
        ChipSummary {
            irr: self.irr,
            isr: self.isr,
            imr: self.imr,
            elcr: self.elcr,
            lines: self.lines,
            vector_base: self.vector_base,
            highest_priority: self.priority_add,
            level_triggered: self.ltim,
            auto_eoi: self.auto_eoi,
            special_mask: self.special_mask,
            special_fully_nested: self.sfnm,
            initialising: self.init != Init::Ready,
        }
    }
}

/// One chip's registers, for `guest info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChipSummary {
    pub irr: u8,
    pub isr: u8,
    pub imr: u8,
    pub elcr: u8,
    /// The input lines' levels (on the master, bit 2 is the slave's INT).
    pub lines: u8,
    /// ICW2: the vector of IR0.
    pub vector_base: u8,
    /// The IR with the highest priority (0 unless rotated).
    pub highest_priority: u8,
    /// ICW1.LTIM: all lines level-triggered.
    pub level_triggered: bool,
    pub auto_eoi: bool,
    pub special_mask: bool,
    pub special_fully_nested: bool,
    /// In the middle of an ICW sequence.
    pub initialising: bool,
}

/// Both chips, for `guest info` (no `Display`: the caller formats it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub master: ChipSummary,
    pub slave: ChipSummary,
    /// The master's INT pin.
    pub output: bool,
    pub acknowledges: u32,
    /// Acknowledges answered with a spurious IR7 (master or slave).
    pub spurious: u32,
    pub malformed: u32,
}

/// The master/slave pair with its ELCRs. See the module documentation.
#[derive(Clone, Debug)]
pub struct I8259Pair {
    master: Chip,
    slave: Chip,
    acknowledges: u32,
    spurious: u32,
    malformed: u32,
}

impl Default for I8259Pair {
    fn default() -> Self {
        Self::new()
    }
}

impl I8259Pair {
    /// The pair after power-on: never initialised (vector base 0), nothing
    /// masked, all lines edge-triggered, every line low.
    pub fn new() -> I8259Pair {
        I8259Pair { master: Chip::new(true), slave: Chip::new(false), acknowledges: 0, spurious: 0, malformed: 0 }
    }

    /// Back to the power-on state (ELCR and LTIM cleared too). The input
    /// lines keep their levels: they belong to the devices, which the
    /// caller resets.
    pub fn reset(&mut self) {
        let (master_lines, slave_lines) = (self.master.lines, self.slave.lines);
        *self = I8259Pair::new();
        self.master.lines = master_lines & !(1 << CASCADE_IRQ);
        self.slave.lines = slave_lines;
    }

    /// The slave's output drives the master's IR2.
    fn cascade(&mut self) {
        let level = self.slave.pending().is_some();
        self.master.set_line(CASCADE_IRQ, level);
    }

    /// Sets ISA interrupt line `irq` (0-15) to `level`. IRQ 2 is the
    /// cascade, which only the slave drives, and lines above 15 do not
    /// exist: both are ignored.
    pub fn set_irq(&mut self, irq: u8, level: bool) {
        match irq {
            0 | 1 | 3..=7 => self.master.set_line(irq, level),
            8..=15 => {
                self.slave.set_line(irq - 8, level);
                self.cascade();
            }
            _ => {}
        }
    }

    /// The master's INT output: an interrupt is waiting for an INTA.
    pub fn output(&self) -> bool {
        self.master.pending().is_some()
    }

    /// An interrupt-acknowledge cycle: the vector byte the pair puts on
    /// the bus (what QEMU's GT_PCI0_IACK read returns), with ISR and IRR
    /// updated on both chips. With nothing to service, the spurious IR7
    /// vector of the master (or, through IR2, of the slave).
    pub fn acknowledge(&mut self) -> u8 {
        self.acknowledges = self.acknowledges.wrapping_add(1);
        let vector = match self.master.pending() {
            Some(CASCADE_IRQ) => {
                let slave_irq = match self.slave.pending() {
                    Some(irq) => {
                        self.slave.intack(irq);
                        irq
                    }
                    None => {
                        self.spurious = self.spurious.wrapping_add(1);
                        SPURIOUS_IRQ
                    }
                };
                self.cascade();
                self.master.intack(CASCADE_IRQ);
                self.slave.vector_base.wrapping_add(slave_irq)
            }
            Some(irq) => {
                self.master.intack(irq);
                self.master.vector_base.wrapping_add(irq)
            }
            None => {
                self.spurious = self.spurious.wrapping_add(1);
                self.master.vector_base.wrapping_add(SPURIOUS_IRQ)
            }
        };
        // A level-triggered IR2 (LTIM) follows the slave's new output.
        self.cascade();
        vector
    }

    fn count_malformed(&mut self) {
        self.malformed = self.malformed.wrapping_add(1);
    }

    /// A guest read of ISA port `port`.
    pub fn read_port(&mut self, port: u16) -> u8 {
        match decode(port) {
            Some(Port::Chip { slave: false, a0 }) => self.master.read(a0),
            Some(Port::Chip { slave: true, a0 }) => {
                let value = self.slave.read(a0);
                self.cascade();
                value
            }
            Some(Port::Elcr { slave }) => {
                if slave {
                    self.slave.elcr
                } else {
                    self.master.elcr
                }
            }
            None => {
                self.count_malformed();
                0
            }
        }
    }

    /// A guest write of `value` to ISA port `port`.
    pub fn write_port(&mut self, port: u16, value: u8) {
        let well_formed = match decode(port) {
            Some(Port::Chip { slave, a0 }) => {
                let chip = if slave { &mut self.slave } else { &mut self.master };
                if a0 == 0 {
                    chip.write_command(value)
                } else {
                    chip.write_data(value)
                }
            }
            Some(Port::Elcr { slave }) => {
                let chip = if slave { &mut self.slave } else { &mut self.master };
                chip.elcr = value & chip.elcr_mask;
                chip.resample_levels();
                value & !chip.elcr_mask == 0
            }
            None => false,
        };
        if !well_formed {
            self.count_malformed();
        }
        self.cascade();
    }

    /// Nonsense accesses so far (see the module documentation).
    pub fn malformed(&self) -> u32 {
        self.malformed
    }

    /// The registers of both chips, for `guest info`.
    pub fn summary(&self) -> Summary {
        Summary {
            master: self.master.summary(),
            slave: self.slave.summary(),
            output: self.output(),
            acknowledges: self.acknowledges,
            spurious: self.spurious,
            malformed: self.malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCMD: u16 = 0x20;
    const MDATA: u16 = 0x21;
    const SCMD: u16 = 0xA0;
    const SDATA: u16 = 0xA1;
    const ELCR1: u16 = 0x4D0;
    const ELCR2: u16 = 0x4D1;

    /// What Linux's `init_8259A(0)` (arch/mips/kernel/i8259.c) writes on
    /// Malta, vector base 0, then its cached masks (only the cascade open).
    fn linux_init(pic: &mut I8259Pair) {
        for (port, value) in [
            (MDATA, 0xFF),
            (SDATA, 0xFF),
            (MCMD, 0x11),
            (MDATA, 0x00),
            (MDATA, 1 << CASCADE_IRQ),
            (MDATA, 0x01),
            (SCMD, 0x11),
            (SDATA, 0x08),
            (SDATA, CASCADE_IRQ),
            (SDATA, 0x01),
            (MDATA, 0xFB),
            (SDATA, 0xFF),
        ] {
            pic.write_port(port, value);
        }
    }

    fn isr(pic: &mut I8259Pair, cmd: u16) -> u8 {
        pic.write_port(cmd, 0x0B);
        let isr = pic.read_port(cmd);
        pic.write_port(cmd, 0x0A);
        isr
    }

    /// Linux's `mask_and_ack_8259A` for `irq`, then its unmask.
    fn linux_ack(pic: &mut I8259Pair, irq: u8, master_mask: u8, slave_mask: u8) {
        if irq & 8 != 0 {
            pic.read_port(SDATA);
            pic.write_port(SDATA, slave_mask | (1 << (irq & 7)));
            pic.write_port(SCMD, 0x60 + (irq & 7));
            pic.write_port(MCMD, 0x60 + CASCADE_IRQ);
        } else {
            pic.read_port(MDATA);
            pic.write_port(MDATA, master_mask | (1 << irq));
            pic.write_port(MCMD, 0x60 + irq);
        }
        pic.write_port(MDATA, master_mask);
        pic.write_port(SDATA, slave_mask);
    }

    #[test]
    fn power_on_state() {
        let mut pic = I8259Pair::new();
        for port in [MCMD, MDATA, SCMD, SDATA, ELCR1, ELCR2] {
            assert_eq!(pic.read_port(port), 0, "port {port:#x}");
        }
        assert_eq!(isr(&mut pic, MCMD), 0);
        assert!(!pic.output());
        // Never initialised: vector base 0, spurious IR7.
        assert_eq!(pic.acknowledge(), 7);
        let s = pic.summary();
        assert_eq!((s.acknowledges, s.spurious, s.malformed), (1, 1, 0));
        assert!(!s.master.initialising && !s.slave.initialising);
        // Unmasked at power-on: a request goes straight through.
        pic.set_irq(5, true);
        assert!(pic.output());
        assert_eq!(pic.acknowledge(), 5);
    }

    #[test]
    fn linux_init_sequence_and_interrupt_flow() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        assert_eq!(pic.read_port(MDATA), 0xFB);
        assert_eq!(pic.read_port(SDATA), 0xFF);
        let s = pic.summary();
        assert_eq!((s.master.vector_base, s.slave.vector_base), (0x00, 0x08));
        assert_eq!(s.master.lines, 0);
        assert!(!s.master.auto_eoi && !s.master.initialising && !s.slave.initialising);
        assert_eq!(pic.malformed(), 0);
        // Linux's enable of IRQ 4 and 14.
        let (m, s) = (0xFB & !(1u8 << 4), !(1u8 << 6));
        pic.write_port(MDATA, m);
        pic.write_port(SDATA, s);
        pic.set_irq(4, true);
        assert!(pic.output());
        assert_eq!(pic.acknowledge(), 4);
        assert!(!pic.output());
        linux_ack(&mut pic, 4, m, s);
        assert_eq!(isr(&mut pic, MCMD), 0);
        pic.set_irq(4, false);
        pic.set_irq(14, true);
        assert_eq!(pic.read_port(MCMD), 1 << CASCADE_IRQ);
        assert_eq!(pic.acknowledge(), 14);
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0x04, 0x40));
        linux_ack(&mut pic, 14, m, s);
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0, 0));
        assert!(!pic.output());
        assert_eq!(pic.summary().spurious, 0);
    }

    #[test]
    fn initialisation_word_sequencing() {
        let mut pic = I8259Pair::new();
        pic.write_port(MDATA, 0x5A);
        pic.set_irq(3, true);
        // ICW1 clears IMR and the edge-triggered request.
        pic.write_port(MCMD, ICW1_INIT | ICW1_IC4);
        assert!(pic.summary().master.initialising);
        assert_eq!(pic.read_port(MDATA), 0);
        assert_eq!(pic.read_port(MCMD), 0);
        pic.write_port(MDATA, 0x47); // ICW2: base 0x40
        pic.write_port(MDATA, 0x04); // ICW3
        assert_eq!(pic.read_port(MDATA), 0, "ICWs are not the IMR");
        pic.write_port(MDATA, ICW4_UPM);
        assert!(!pic.summary().master.initialising);
        pic.write_port(MDATA, 0x12); // OCW1
        assert_eq!(pic.read_port(MDATA), 0x12);
        // The line stayed high through ICW1: it must fall and rise again.
        assert!(!pic.output());
        pic.set_irq(3, true);
        assert!(!pic.output());
        pic.set_irq(3, false);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x43);
        pic.write_port(MCMD, OCW2_EOI);
        pic.set_irq(3, false);

        // Single mode, no ICW4: ICW2 only.
        pic.write_port(SCMD, ICW1_INIT | ICW1_SNGL);
        pic.write_port(SDATA, 0x70);
        assert!(!pic.summary().slave.initialising);
        pic.write_port(SDATA, 0xEE);
        assert_eq!(pic.read_port(SDATA), 0xEE);
        // Single mode with ICW4: ICW2 then ICW4.
        pic.write_port(SCMD, ICW1_INIT | ICW1_SNGL | ICW1_IC4);
        pic.write_port(SDATA, 0x70);
        pic.write_port(SDATA, ICW4_UPM | ICW4_AEOI);
        assert!(pic.summary().slave.auto_eoi);
        pic.write_port(SDATA, 0x00);
        assert_eq!(pic.read_port(SDATA), 0x00);
        // Cascade mode without ICW4: ICW2, ICW3; ICW4 functions cleared.
        pic.write_port(SCMD, ICW1_INIT);
        assert!(!pic.summary().slave.auto_eoi);
        pic.write_port(SDATA, 0x78);
        pic.write_port(SDATA, 0x02);
        pic.write_port(SDATA, 0x33);
        assert_eq!(pic.read_port(SDATA), 0x33);
        assert_eq!(pic.summary().slave.vector_base, 0x78);
        // A new ICW1 in the middle of a sequence starts over.
        pic.write_port(SCMD, ICW1_INIT | ICW1_IC4);
        pic.write_port(SDATA, 0x08);
        pic.write_port(SCMD, ICW1_INIT | ICW1_IC4);
        pic.write_port(SDATA, 0x28);
        pic.write_port(SDATA, 0x02);
        pic.write_port(SDATA, 0x01);
        assert_eq!(pic.summary().slave.vector_base, 0x28);
        assert!(!pic.summary().slave.initialising);
        assert_eq!(pic.malformed(), 0);
    }

    #[test]
    fn masks_and_edge_latching() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.set_irq(6, true);
        assert_eq!(pic.read_port(MCMD), 0x40, "latched while masked");
        assert!(!pic.output());
        pic.write_port(MDATA, 0xBB);
        assert!(pic.output());
        // Dropping the line does not withdraw an edge-triggered request.
        pic.set_irq(6, false);
        assert!(pic.output());
        pic.write_port(MDATA, 0xFB);
        assert!(!pic.output());
        pic.write_port(MDATA, 0xBB);
        assert_eq!(pic.acknowledge(), 6);
        assert_eq!(pic.read_port(MCMD), 0);
        pic.write_port(MCMD, OCW2_EOI);
        // Repeated "high" calls are one edge.
        pic.set_irq(6, true);
        assert_eq!(pic.acknowledge(), 6);
        pic.write_port(MCMD, OCW2_EOI);
        pic.set_irq(6, true);
        assert!(!pic.output());
        assert_eq!(pic.acknowledge(), 7, "spurious");
        assert_eq!(isr(&mut pic, MCMD), 0);
        // IRQ 2 and lines above 15 belong to nobody.
        pic.set_irq(2, true);
        pic.set_irq(16, true);
        pic.set_irq(255, true);
        assert_eq!(pic.read_port(MCMD), 0);
    }

    #[test]
    fn priorities_nesting_and_eoi_kinds() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(MDATA, 0x00);
        for irq in [7, 5, 3, 1] {
            pic.set_irq(irq, true);
        }
        assert_eq!(pic.acknowledge(), 1);
        // 3, 5, 7 wait for IR1's EOI.
        assert!(!pic.output());
        assert_eq!(isr(&mut pic, MCMD), 0x02);
        // A higher request preempts.
        pic.set_irq(0, true);
        assert!(pic.output());
        assert_eq!(pic.acknowledge(), 0);
        assert_eq!(isr(&mut pic, MCMD), 0x03);
        // Non-specific EOI ends the highest in service.
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(isr(&mut pic, MCMD), 0x02);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.acknowledge(), 3);
        assert!(!pic.output());
        // Specific EOI of a level not the highest; the no-op command.
        pic.write_port(MCMD, OCW2_NOP | 3);
        assert_eq!(isr(&mut pic, MCMD), 0x08);
        pic.write_port(MCMD, OCW2_SPECIFIC_EOI | 3);
        assert_eq!(pic.acknowledge(), 5);
        pic.write_port(MCMD, OCW2_SPECIFIC_EOI | 6); // not in service: no effect
        assert_eq!(isr(&mut pic, MCMD), 0x20);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.acknowledge(), 7);
        assert_eq!(isr(&mut pic, MCMD), 0x80, "IR7 is real, not spurious");
        pic.write_port(MCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI); // nothing in service
        assert_eq!(isr(&mut pic, MCMD), 0);
        assert_eq!(pic.summary().spurious, 0);
    }

    #[test]
    fn rotation_commands() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(MDATA, 0x00);
        // Set priority: IR4 lowest, IR5 highest.
        pic.write_port(MCMD, OCW2_SET_PRIORITY | 4);
        assert_eq!(pic.summary().master.highest_priority, 5);
        pic.set_irq(4, true);
        pic.set_irq(6, true);
        assert_eq!(pic.acknowledge(), 6);
        // IR4 is the lowest now, below IR6 in service.
        assert!(!pic.output());
        // Rotate on non-specific EOI: IR6 becomes the lowest.
        pic.write_port(MCMD, OCW2_ROTATE_EOI);
        assert_eq!(pic.summary().master.highest_priority, 7);
        assert_eq!(pic.acknowledge(), 4);
        pic.set_irq(6, false);
        pic.set_irq(6, true);
        pic.set_irq(1, true);
        // Order 7 0 1 ... 6: IR1 preempts IR4, IR6 waits.
        assert_eq!(pic.acknowledge(), 1);
        assert_eq!(isr(&mut pic, MCMD), 0x12);
        // Rotate on specific EOI of IR4: ISR bit 4 cleared, IR4 lowest.
        pic.write_port(MCMD, OCW2_ROTATE_SPECIFIC_EOI | 4);
        assert_eq!(isr(&mut pic, MCMD), 0x02);
        assert_eq!(pic.summary().master.highest_priority, 5);
        // Now IR6 (priority 1) is above IR1 (priority 4) in service.
        assert_eq!(pic.acknowledge(), 6);
        assert_eq!(isr(&mut pic, MCMD), 0x42);
        // Non-specific EOI ends the highest-priority level: IR6.
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(isr(&mut pic, MCMD), 0x02);
        pic.write_port(MCMD, OCW2_SET_PRIORITY | 7);
        assert_eq!(pic.summary().master.highest_priority, 0);
    }

    #[test]
    fn auto_eoi_and_rotate_in_auto_eoi() {
        let mut pic = I8259Pair::new();
        pic.write_port(MCMD, 0x11);
        pic.write_port(MDATA, 0x20);
        pic.write_port(MDATA, 0x04);
        pic.write_port(MDATA, ICW4_UPM | ICW4_AEOI);
        pic.write_port(MDATA, 0x00);
        pic.set_irq(3, true);
        pic.set_irq(5, true);
        assert_eq!(pic.acknowledge(), 0x23);
        assert_eq!(isr(&mut pic, MCMD), 0, "AEOI: nothing stays in service");
        assert_eq!(pic.acknowledge(), 0x25);
        assert!(!pic.output());
        // Rotate in AEOI: each serviced level becomes the lowest.
        pic.write_port(MCMD, OCW2_ROTATE_AEOI_SET);
        pic.set_irq(3, false);
        pic.set_irq(5, false);
        pic.set_irq(3, true);
        pic.set_irq(5, true);
        assert_eq!(pic.acknowledge(), 0x23);
        assert_eq!(pic.summary().master.highest_priority, 4);
        pic.set_irq(3, false);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 0x25, "IR5 is above IR3 now");
        assert_eq!(pic.acknowledge(), 0x23);
        pic.write_port(MCMD, OCW2_ROTATE_AEOI_CLEAR);
        pic.set_irq(3, false);
        pic.set_irq(3, true);
        let before = pic.summary().master.highest_priority;
        assert_eq!(pic.acknowledge(), 0x23);
        assert_eq!(pic.summary().master.highest_priority, before);
    }

    #[test]
    fn cascade_acknowledge_and_slave_spurious() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(SDATA, 0x00);
        pic.set_irq(13, true);
        assert_eq!(pic.read_port(SCMD), 0x20);
        assert_eq!(pic.read_port(MCMD), 0x04);
        assert_eq!(pic.acknowledge(), 13);
        assert_eq!((pic.read_port(MCMD), pic.read_port(SCMD)), (0, 0));
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0x04, 0x20));
        // A higher slave request waits for the master's IR2 (no SFNM)...
        pic.set_irq(9, true);
        assert_eq!(pic.read_port(SCMD), 0x02);
        assert!(!pic.output());
        // ...though the slave passes it on: IR2 is requested on the master.
        assert_eq!(pic.read_port(MCMD), 0x04);
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.acknowledge(), 9);
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        // Master requests rank by their IR: IR1 > slave (IR2) > IR3.
        pic.write_port(MDATA, 0x00);
        pic.set_irq(3, true);
        pic.set_irq(12, true);
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 1);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.acknowledge(), 12);
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.acknowledge(), 3);
        pic.write_port(MCMD, OCW2_EOI);
        // Slave spurious: a level request withdrawn after the master
        // latched IR2: the master services IR2, the slave answers IR7.
        pic.write_port(ELCR2, 0x02);
        pic.set_irq(9, false);
        pic.set_irq(9, true);
        pic.set_irq(9, false);
        assert!(pic.output());
        assert_eq!(pic.acknowledge(), 15);
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0x04, 0x00));
        assert_eq!(pic.summary().spurious, 1);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(!pic.output());
    }

    #[test]
    fn special_fully_nested_mode() {
        let mut pic = I8259Pair::new();
        for (port, value) in [(MCMD, 0x11), (MDATA, 0x00), (MDATA, 0x04), (MDATA, 0x11), (MDATA, 0xFB)] {
            pic.write_port(port, value);
        }
        linux_slave(&mut pic);
        pic.write_port(SDATA, 0x00);
        assert!(pic.summary().master.special_fully_nested);
        pic.set_irq(14, true);
        assert_eq!(pic.acknowledge(), 14);
        pic.set_irq(10, true);
        assert!(pic.output(), "SFNM: IR2 in service does not block the slave");
        assert_eq!(pic.acknowledge(), 10);
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0x04, 0x44));
        // A lower slave request is still blocked by the slave's ISR.
        pic.set_irq(15, true);
        assert!(!pic.output());
    }

    fn linux_slave(pic: &mut I8259Pair) {
        for value in [0x08, 0x02, 0x01] {
            if value == 0x08 {
                pic.write_port(SCMD, 0x11);
            }
            pic.write_port(SDATA, value);
        }
    }

    #[test]
    fn special_mask_mode() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(MDATA, 0x00);
        pic.set_irq(3, true);
        assert_eq!(pic.acknowledge(), 3);
        pic.set_irq(5, true);
        assert!(!pic.output());
        // Masking IR3 alone does not help...
        pic.write_port(MDATA, 0x08);
        assert!(!pic.output());
        // ...special mask mode does.
        pic.write_port(MCMD, OCW3_SELECT | OCW3_ESMM | OCW3_SMM);
        assert!(pic.summary().master.special_mask);
        assert!(pic.output());
        assert_eq!(pic.acknowledge(), 5);
        assert_eq!(isr(&mut pic, MCMD), 0x28);
        // OCW3 without ESMM leaves it alone; with ESMM and not SMM clears.
        pic.write_port(MCMD, OCW3_SELECT | OCW3_SMM);
        assert!(pic.summary().master.special_mask);
        pic.write_port(MCMD, OCW3_SELECT | OCW3_ESMM);
        assert!(!pic.summary().master.special_mask);
    }

    #[test]
    fn poll_mode() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(MDATA, 0xFF);
        pic.set_irq(6, true);
        pic.write_port(MCMD, OCW3_SELECT | OCW3_POLL);
        assert_eq!(pic.read_port(MCMD), 0, "masked requests are not polled");
        pic.write_port(MDATA, 0x00);
        pic.write_port(MCMD, OCW3_SELECT | OCW3_POLL);
        assert_eq!(pic.read_port(MDATA), POLL_REQUEST | 6);
        assert_eq!(isr(&mut pic, MCMD), 0x40);
        // Poll only once: the next read is a plain register read.
        assert_eq!(pic.read_port(MDATA), 0x00);
        // Poll wins over the register read selection.
        pic.write_port(MCMD, OCW3_SELECT | OCW3_POLL | OCW3_RR | OCW3_RIS);
        assert_eq!(pic.read_port(MCMD), 0);
        assert_eq!(pic.read_port(MCMD), 0x40, "ISR selected");
        pic.write_port(MCMD, OCW2_EOI);
        pic.write_port(MCMD, 0x0A);
        // Cascade: polling the master reports IR2 and leaves the slave.
        pic.write_port(SDATA, 0x00);
        pic.set_irq(11, true);
        pic.write_port(MCMD, OCW3_SELECT | OCW3_POLL);
        assert_eq!(pic.read_port(MCMD), POLL_REQUEST | 2);
        assert_eq!(pic.read_port(SCMD), 0x08);
        pic.write_port(SCMD, OCW3_SELECT | OCW3_POLL);
        assert_eq!(pic.read_port(SCMD), POLL_REQUEST | 3);
        assert_eq!((isr(&mut pic, MCMD), isr(&mut pic, SCMD)), (0x04, 0x08));
    }

    #[test]
    fn level_triggering_from_elcr() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        // What Linux's PIIX4 fixup does: PCI interrupts 10 and 11 level.
        let elcr2 = pic.read_port(ELCR2);
        pic.write_port(ELCR2, elcr2 | 0x0C);
        assert_eq!(pic.read_port(ELCR2), 0x0C);
        pic.write_port(SDATA, 0x00);
        pic.set_irq(10, true);
        assert_eq!(pic.acknowledge(), 10);
        assert_eq!(pic.read_port(SCMD), 0x04, "a level request stays in IRR");
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(pic.output(), "still high after the EOI: requested again");
        assert_eq!(pic.acknowledge(), 10);
        pic.set_irq(10, false);
        assert_eq!(pic.read_port(SCMD), 0);
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(!pic.output());
        // Switching a line that is high to level: requested at once.
        pic.write_port(ELCR1, 0x20);
        pic.write_port(MDATA, 0x00);
        pic.set_irq(5, true);
        assert_eq!(pic.acknowledge(), 5);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(pic.output());
        // Back to edge: the request latched stays until serviced.
        pic.write_port(ELCR1, 0x00);
        assert_eq!(pic.acknowledge(), 5);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(!pic.output());
        // Master spurious: a level request withdrawn before the INTA.
        pic.write_port(ELCR1, 0x08);
        pic.set_irq(3, true);
        assert!(pic.output());
        pic.set_irq(3, false);
        assert!(!pic.output());
        assert_eq!(pic.acknowledge(), 7);
        assert_eq!(isr(&mut pic, MCMD), 0);
        // ICW1 keeps ELCR and level requests, drops edge ones.
        pic.set_irq(3, true);
        pic.set_irq(6, true);
        pic.write_port(MCMD, 0x11);
        assert_eq!(pic.read_port(ELCR1), 0x08);
        assert_eq!(pic.read_port(MCMD), 0x08);
        assert_eq!(pic.malformed(), 0);
    }

    #[test]
    fn elcr_reserved_bits() {
        let mut pic = I8259Pair::new();
        pic.write_port(ELCR1, 0xFF);
        pic.write_port(ELCR2, 0xFF);
        assert_eq!((pic.read_port(ELCR1), pic.read_port(ELCR2)), (ELCR1_MASK, ELCR2_MASK));
        assert_eq!(pic.malformed(), 2);
        // IRQ 0, 1, 8 and 13 stay edge-triggered.
        pic.write_port(SDATA, 0x00);
        pic.set_irq(0, true);
        assert_eq!(pic.acknowledge(), 0);
        assert_eq!(pic.read_port(MCMD), 0);
        pic.write_port(ELCR1, ELCR1_MASK);
        pic.write_port(ELCR2, ELCR2_MASK);
        assert_eq!(pic.malformed(), 2);
    }

    #[test]
    fn ltim_makes_the_whole_chip_level_triggered() {
        let mut pic = I8259Pair::new();
        pic.write_port(MCMD, ICW1_INIT | ICW1_LTIM | ICW1_IC4);
        pic.write_port(MDATA, 0x00);
        pic.write_port(MDATA, 0x04);
        pic.write_port(MDATA, 0x01);
        assert!(pic.summary().master.level_triggered);
        pic.set_irq(1, true);
        assert_eq!(pic.acknowledge(), 1);
        pic.write_port(MCMD, OCW2_EOI);
        assert!(pic.output());
        pic.set_irq(1, false);
        assert!(!pic.output());
        // The cascade input too: IR2 follows the slave's output.
        linux_slave(&mut pic);
        pic.write_port(SDATA, 0x00);
        pic.write_port(ELCR2, 0x02);
        pic.set_irq(9, true);
        assert!(pic.output());
        pic.set_irq(9, false);
        assert!(!pic.output(), "level IR2: nothing latched");
        pic.set_irq(9, true);
        assert_eq!(pic.acknowledge(), 9);
        assert_eq!(pic.read_port(MCMD), 0, "IR2 follows the slave's output");
        pic.write_port(SCMD, OCW2_EOI);
        pic.write_port(MCMD, OCW2_EOI);
        assert_eq!(pic.read_port(MCMD), 0x04);
        pic.set_irq(9, false);
        // Reinitialising without LTIM: edge again, the level bit dropped.
        pic.set_irq(1, true);
        pic.write_port(MCMD, ICW1_INIT | ICW1_IC4);
        assert!(!pic.summary().master.level_triggered);
        assert_eq!(pic.read_port(MCMD), 0);
    }

    #[test]
    fn malformed_accesses_are_counted() {
        let mut pic = I8259Pair::new();
        assert_eq!(pic.read_port(0x22), 0);
        pic.write_port(0x4D2, 0xFF);
        pic.write_port(0xFFFF, 0xFF);
        assert_eq!(pic.malformed(), 3);
        // OCW3 with bit 7: performed, counted.
        pic.write_port(MCMD, 0x8B);
        assert_eq!(pic.read_port(MCMD), 0);
        assert_eq!(pic.malformed(), 4);
        // ICW4 with bits 7:5.
        pic.write_port(MCMD, 0x11);
        pic.write_port(MDATA, 0x08);
        pic.write_port(MDATA, 0x04);
        pic.write_port(MDATA, 0xE3);
        assert!(pic.summary().master.auto_eoi);
        assert_eq!(pic.malformed(), 5);
        assert_eq!(pic.summary().malformed, 5);
        assert_eq!(decode(0x21), Some(Port::Chip { slave: false, a0: 1 }));
        assert_eq!(decode(0xA0), Some(Port::Chip { slave: true, a0: 0 }));
        assert_eq!(decode(0x4D1), Some(Port::Elcr { slave: true }));
        for (base, len) in WINDOWS {
            assert!((base..base + len).all(|p| decode(p).is_some()));
            assert_eq!(decode(base + len), None);
        }
    }

    #[test]
    fn reset_returns_to_power_on() {
        let mut pic = I8259Pair::new();
        linux_init(&mut pic);
        pic.write_port(ELCR2, 0x0C);
        pic.write_port(SDATA, 0x00);
        pic.set_irq(10, true);
        pic.set_irq(4, true);
        pic.reset();
        let s = pic.summary();
        assert_eq!((s.master.irr, s.master.imr, s.master.isr, s.master.elcr), (0, 0, 0, 0));
        assert_eq!((s.slave.irr, s.slave.imr, s.slave.elcr, s.slave.vector_base), (0, 0, 0, 0));
        assert_eq!((s.master.lines, s.slave.lines), (0x10, 0x04));
        assert!(!pic.output());
        // The lines still high must fall and rise to request.
        pic.set_irq(4, false);
        pic.set_irq(4, true);
        assert_eq!(pic.acknowledge(), 4);
    }

    #[test]
    fn random_traffic_never_panics() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let ports = [MCMD, MDATA, SCMD, SDATA, ELCR1, ELCR2, 0x22, 0x4D2];
        let mut pic = I8259Pair::new();
        for _ in 0..200_000 {
            let r = next();
            let port = ports[(r >> 8) as usize % ports.len()];
            match r % 6 {
                0 => {
                    pic.read_port(port);
                }
                1 | 2 => pic.write_port(port, (r >> 32) as u8),
                3 => pic.set_irq((r >> 16) as u8 % 20, r & 0x100 != 0),
                4 => {
                    pic.acknowledge();
                }
                _ => {
                    if r & 0xFFF0 == 0 {
                        pic.reset();
                    }
                }
            }
            // The cascade line always is the slave's output.
            let s = pic.summary();
            assert_eq!(s.master.lines & 4 != 0, pic.slave.pending().is_some());
            assert_eq!(s.output, pic.master.pending().is_some());
        }
    }
}

/// The script of `traces/i8259_trace.S` (run on QEMU Malta against the
/// PIIX4's i8259s, interrupt lines driven through ISA devices), replayed
/// on the model.
#[cfg(test)]
mod qemu_trace {
    use super::*;

    #[derive(Clone, Copy)]
    enum Op {
        /// Read a port and print it.
        R(u16),
        W(u16, u8),
        /// GT_PCI0_IACK: acknowledge and print the vector.
        A,
        /// Print the INT output (Cause.IP2).
        I,
        /// A device sets an interrupt line.
        L(u8, bool),
        Nl,
    }
    use Op::*;

    fn replay(script: &[Op]) -> String {
        let mut pic = I8259Pair::new();
        let mut out = String::new();
        for op in script {
            match *op {
                R(port) => out += &format!("{:02x} ", pic.read_port(port)),
                W(port, value) => pic.write_port(port, value),
                A => out += &format!("{:02x} ", pic.acknowledge()),
                I => out += &format!("{:02x} ", u8::from(pic.output())),
                L(irq, level) => pic.set_irq(irq, level),
                Nl => out.push('\n'),
            }
        }
        assert_eq!(pic.malformed(), 2, "the reserved ELCR bits of section 9");
        out
    }

    const ON3: Op = L(3, true);
    const OFF3: Op = L(3, false);
    const ON1: Op = L(1, true);
    const OFF1: Op = L(1, false);
    const ON12: Op = L(12, true);
    const OFF12: Op = L(12, false);
    const ON14: Op = L(14, true);
    const OFF14: Op = L(14, false);
    const ON15: Op = L(15, true);
    const OFF15: Op = L(15, false);

    /// Lines QEMU 7.2 printed for the same script
    /// (`qemu-system-mipsel -M malta -cpu 24Kf -icount shift=0`; the same
    /// without `-icount`), and where the model differs on purpose.
    #[test]
    fn matches_qemu_except_where_documented() {
        #[rustfmt::skip]
        let script = [
            // 1 power-on
            R(0x20), R(0x21), R(0xa0), R(0xa1), W(0x20, 0x0b), R(0x20), W(0xa0, 0x0b), R(0xa0),
            R(0x4d0), R(0x4d1), I, A, R(0x20), W(0x20, 0x0a), W(0xa0, 0x0a), Nl,
            // 2 Linux's init_8259A(0)
            W(0x21, 0xff), W(0xa1, 0xff),
            W(0x20, 0x11), R(0x21), W(0x21, 0x00), W(0x21, 0x04), W(0x21, 0x01),
            W(0xa0, 0x11), W(0xa1, 0x08), W(0xa1, 0x02), W(0xa1, 0x01),
            W(0x21, 0xfb), W(0xa1, 0xff),
            R(0x21), R(0xa1), R(0x20), R(0xa0), W(0x20, 0x0b), R(0x20), W(0x20, 0x0a), I, A, Nl,
            // 3 edge IRQ 3
            ON3, R(0x20), I, W(0x21, 0xf3), I, A,
            R(0x20), W(0x20, 0x0b), R(0x20), I, W(0x20, 0x20), R(0x20), I, W(0x20, 0x0a), R(0x20),
            OFF3, ON3, R(0x20), I, A, W(0x20, 0x63), OFF3, Nl,
            // 4 priority
            W(0x21, 0xf1), ON3, ON1, R(0x20), A, I, A, W(0x20, 0x0b), R(0x20),
            W(0x20, 0x20), I, A, R(0x20), W(0x20, 0x20), R(0x20), W(0x20, 0x0a),
            OFF1, OFF3, Nl,
            // 5 nesting
            ON3, A, ON1, I, A, W(0x20, 0x0b), R(0x20), W(0x20, 0x20), R(0x20),
            W(0x20, 0x20), R(0x20), W(0x20, 0x0a), OFF1, OFF3, Nl,
            // 6 cascade, edge IRQ 14
            ON14, R(0xa0), R(0x20), I, W(0xa1, 0xbf), R(0x20), I, A,
            R(0xa0), R(0x20), W(0xa0, 0x0b), W(0x20, 0x0b), R(0xa0), R(0x20), I,
            W(0xa0, 0x66), W(0x20, 0x62), R(0xa0), R(0x20), W(0xa0, 0x0a), W(0x20, 0x0a),
            OFF14, Nl,
            // 7 IRQ 15, 14 and 3
            W(0xa1, 0x3f), ON15, ON14, ON3, A, I, A,
            W(0xa0, 0x20), R(0x20), I, W(0x20, 0x20), I, A,
            W(0xa0, 0x20), W(0x20, 0x20), A, W(0x20, 0x20),
            W(0xa0, 0x0b), W(0x20, 0x0b), R(0xa0), R(0x20), W(0xa0, 0x0a), W(0x20, 0x0a),
            OFF15, OFF14, OFF3, Nl,
            // 8 level IRQ 14
            W(0x4d1, 0x40), R(0x4d1), ON14, R(0xa0), A, R(0xa0),
            W(0xa0, 0x20), W(0x20, 0x20), I, A, OFF14, R(0xa0), I,
            W(0xa0, 0x20), W(0x20, 0x20), I, Nl,
            // 9 spurious, reserved ELCR bits
            ON14, OFF14, R(0x20), I, A, W(0xa0, 0x0b), W(0x20, 0x0b), R(0xa0), R(0x20),
            W(0x20, 0x20), R(0x20), W(0xa0, 0x0a), W(0x20, 0x0a),
            W(0x4d0, 0x08), ON3, R(0x20), OFF3, R(0x20), I, A, W(0x20, 0x0b), R(0x20), W(0x20, 0x0a),
            W(0x4d0, 0xff), W(0x4d1, 0xff), R(0x4d0), R(0x4d1), W(0x4d0, 0x00), W(0x4d1, 0x00), Nl,
            // 10 poll
            ON3, W(0x20, 0x0c), R(0x20), W(0x20, 0x0b), R(0x20), W(0x20, 0x0c), R(0x21),
            W(0x20, 0x20), OFF3,
            ON14, W(0x20, 0x0c), R(0x20), R(0x20), R(0xa0), W(0xa0, 0x0c), R(0xa1),
            W(0xa0, 0x0b), R(0xa0), W(0xa0, 0x20), W(0x20, 0x20), OFF14,
            W(0x20, 0x0f), R(0x20), R(0x20), W(0x20, 0x0a), Nl,
            // 11 rotation
            W(0x20, 0xc1), ON3, ON1, A, W(0x20, 0xa0), A, W(0x20, 0x0b), R(0x20),
            W(0x20, 0xe1), R(0x20), OFF1, OFF3,
            ON3, ON1, A, W(0x20, 0xc7), A, W(0x20, 0x20), A, W(0x20, 0x20), R(0x20),
            W(0x20, 0x0a), OFF1, OFF3, Nl,
            // 12 special mask mode
            W(0x20, 0xc1), ON3, A, ON1, I, W(0x21, 0xf9), W(0x20, 0x68), I, A,
            W(0x20, 0x0b), R(0x20), W(0x20, 0x48), W(0x21, 0xf1), W(0x20, 0x61), W(0x20, 0x63),
            W(0x20, 0xc7), R(0x20), W(0x20, 0x0a), OFF1, OFF3, Nl,
            // 13 auto-EOI, vector bases 0x25/0x2f
            W(0x20, 0x11), W(0x21, 0x25), W(0x21, 0x04), R(0x21), W(0x21, 0x03), W(0x21, 0xf1),
            ON3, A, W(0x20, 0x0b), R(0x20), W(0x20, 0x0a), I, OFF3,
            W(0x20, 0x80), ON3, ON1, A, OFF1, ON1, A, A, W(0x20, 0x00),
            OFF1, OFF3,
            W(0xa0, 0x11), W(0xa1, 0x2f), W(0xa1, 0x02), W(0xa1, 0x01), W(0xa1, 0xbf),
            ON14, A, W(0xa0, 0x0b), W(0x20, 0x0b), R(0xa0), R(0x20),
            W(0xa0, 0x20), R(0xa0), W(0xa0, 0x0a), W(0x20, 0x0a), OFF14, Nl,
            // 14 single-mode slave, SFNM
            W(0xa0, 0x12), W(0xa1, 0x33), W(0xa1, 0xaf), R(0xa1), ON14, A,
            W(0xa0, 0x20), OFF14,
            W(0x20, 0x11), W(0x21, 0x00), W(0x21, 0x04), W(0x21, 0x11), W(0x21, 0xfb),
            ON14, A, ON12, I, A, W(0xa0, 0x0b), W(0x20, 0x0b), R(0xa0), R(0x20),
            W(0xa0, 0x20), W(0xa0, 0x20), W(0x20, 0x20), R(0xa0), R(0x20), W(0xa0, 0x0a), W(0x20, 0x0a),
            OFF12, OFF14,
            W(0x20, 0x11), W(0x21, 0x00), W(0x21, 0x04), W(0x21, 0x01), W(0x21, 0xfb),
            ON14, A, ON12, I, W(0xa0, 0x20), W(0x20, 0x20), I, A,
            W(0xa0, 0x20), W(0x20, 0x20), OFF12, OFF14, Nl,
            // 15 ICW1.LTIM
            W(0x20, 0x19), W(0x21, 0x00), W(0x21, 0x04), W(0x21, 0x01), W(0x21, 0xf3),
            ON3, R(0x20), A, W(0x20, 0x20), I, R(0x20), OFF3, R(0x20), I, Nl,
        ];
        let qemu = [
            "00 00 00 00 00 00 00 00 00 07 00 ",
            "00 fb ff 00 00 00 00 07 ",
            "08 00 01 03 00 08 00 00 00 00 08 01 03 ",
            "0a 01 00 07 02 01 03 08 00 ",
            "03 01 01 0a 08 00 ",
            "40 00 00 04 01 0e 00 00 40 04 00 00 00 ",
            "0e 00 07 0c 00 01 0f 03 00 00 ",
            "40 40 0e 40 01 0e 00 00 00 ",
            "04 01 0f 00 04 00 08 00 00 07 00 f8 de ",
            "83 08 00 82 04 40 86 40 00 00 ",
            "03 01 02 00 03 01 07 00 ",
            "03 00 00 01 0a 00 ",
            "00 23 00 00 21 23 21 2e 40 00 00 ",
            "af 36 36 01 34 50 04 00 00 36 00 01 34 ",
            "08 03 00 00 00 00 ",
        ];
        let ours = replay(&script);
        let ours: Vec<&str> = ours.lines().collect();
        for (i, (ours, qemu)) in ours.iter().zip(qemu).enumerate() {
            let expected = match i {
                // Special mask mode set by OCW3 unblocks IRQ 1 at once;
                // QEMU re-evaluates INT only on IMR, OCW2 and ICW1 writes,
                // line changes and acknowledges, so its Cause.IP2 stays low
                // until then (its IACK, which looks afresh, answers 1).
                11 => "03 00 01 01 0a 00 ",
                // ICW1.LTIM: QEMU 7.2 ignores it (edge-triggered: the IACK
                // cleared the request); the model, as the data sheet and
                // QEMU 8.0, is level-triggered: the line still high after
                // the EOI requests again.
                14 => "08 03 01 08 00 00 ",
                _ => qemu,
            };
            assert_eq!(*ours, expected, "line {}", i + 1);
        }
        assert_eq!(ours.len(), qemu.len());
    }
}
