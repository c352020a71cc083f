//! The PIIX4's power-management I/O block (function 3's PM registers),
//! as QEMU 7.2's PIIX4 models the part software uses: what powers a
//! Malta off.
//!
//! The block decodes 64 ISA I/O ports from PMBA when PMREGMISC.PMIOSE is
//! set (function 3 configuration registers 0x40 and 0x80, in
//! [`super::gt64120`]); Linux's Malta fix-up sets both (base 0x1000).
//!
//! | offset | register | here |
//! |---|---|---|
//! | 0x00 | PMSTS (16 bits) | write one to clear; nothing sets a bit (no power button, no timer overflow interrupt) |
//! | 0x02 | PMEN (16 bits) | read/write |
//! | 0x04 | PMCNTRL (16 bits) | read/write; SUS_EN (bit 13) with SUS_TYP (bits 12:10) = 0, soft off, powers the guest off, as in QEMU; other sleep types are stored and do nothing |
//! | 0x08 | PMTMR (32 bits) | the ACPI power-management timer: 3.579545 MHz, 24 bits, from the board's time |
//! | others | — | read 0, writes ignored |
//!
//! Accesses of any width are taken byte by byte over these registers
//! (little-endian), as the ISA bus delivers them to the PIIX4.

/// The block's size in ports.
pub const PM_IO_SIZE: u16 = 64;
const PMSTS: u16 = 0x00;
const PMEN: u16 = 0x02;
const PMCNTRL: u16 = 0x04;
const PMTMR: u16 = 0x08;
/// PMCNTRL: enter the sleep state SUS_TYP.
pub const SUS_EN: u16 = 1 << 13;
const SUS_TYP_SHIFT: u16 = 10;
/// SUS_TYP of soft off.
const SUS_TYP_SOFF: u16 = 0;
/// The ACPI timer's rate (Hz) and width.
const PMTMR_HZ: u64 = 3_579_545;
const PMTMR_MASK: u32 = 0x00FF_FFFF;

/// The PM registers' state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Piix4Pm {
    pmsts: u16,
    pmen: u16,
    pmcntrl: u16,
    /// Soft off was entered (taken by [`Piix4Pm::take_power_off`]).
    power_off: bool,
}

impl Piix4Pm {
    /// The state after reset.
    pub fn new() -> Piix4Pm {
        Piix4Pm::default()
    }

    /// Byte `offset` of the block at `now_ns` (the board's time).
    pub fn read(&self, offset: u16, now_ns: u64) -> u8 {
        let (register, lane) = (offset & !1, offset & 1);
        let word: u32 = match offset & !3 {
            PMTMR => pm_timer(now_ns),
            _ => u32::from(match register {
                PMSTS => self.pmsts,
                PMEN => self.pmen,
                PMCNTRL => self.pmcntrl,
                _ => 0,
            }),
        };
        let shift = if offset & !3 == PMTMR { 8 * (offset & 3) } else { 8 * lane };
        (word >> shift) as u8
    }

    /// Writes byte `offset` of the block.
    pub fn write(&mut self, offset: u16, value: u8) {
        let shift = 8 * (offset & 1);
        let byte = u16::from(value) << shift;
        let mask = 0xFFu16 << shift;
        match offset & !1 {
            PMSTS => self.pmsts &= !byte,
            PMEN => self.pmen = (self.pmen & !mask) | byte,
            PMCNTRL => {
                self.pmcntrl = (self.pmcntrl & !mask) | byte;
                // The enable sits in the high byte: a word write or the high
                // byte's write completes the request.
                let typ = (self.pmcntrl >> SUS_TYP_SHIFT) & 7;
                if self.pmcntrl & SUS_EN != 0 && shift == 8 {
                    self.pmcntrl &= !SUS_EN;
                    if typ == SUS_TYP_SOFF {
                        self.power_off = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether soft off was entered since the last call.
    pub fn take_power_off(&mut self) -> bool {
        core::mem::take(&mut self.power_off)
    }
}

/// The ACPI timer's count at `now_ns`.
fn pm_timer(now_ns: u64) -> u32 {
    let ticks = (u128::from(now_ns) * u128::from(PMTMR_HZ) / 1_000_000_000) as u64;
    (ticks as u32) & PMTMR_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write16(pm: &mut Piix4Pm, offset: u16, value: u16) {
        pm.write(offset, value as u8);
        pm.write(offset + 1, (value >> 8) as u8);
    }

    fn read16(pm: &Piix4Pm, offset: u16) -> u16 {
        u16::from(pm.read(offset, 0)) | u16::from(pm.read(offset + 1, 0)) << 8
    }

    /// What Linux's piix4-poweroff does: clear PWRBTN_STS, then write
    /// SUS_TYP soft off with SUS_EN.
    #[test]
    fn soft_off_powers_off() {
        let mut pm = Piix4Pm::new();
        assert_eq!(read16(&pm, PMSTS), 0);
        write16(&mut pm, PMSTS, 0xFFFF);
        assert!(!pm.take_power_off());
        write16(&mut pm, PMCNTRL, SUS_EN | (SUS_TYP_SOFF << SUS_TYP_SHIFT));
        assert!(pm.take_power_off());
        assert!(!pm.take_power_off(), "taken once");
        assert_eq!(read16(&pm, PMCNTRL) & SUS_EN, 0, "SUS_EN reads back 0");
    }

    #[test]
    fn other_sleep_types_and_registers_store_only() {
        let mut pm = Piix4Pm::new();
        write16(&mut pm, PMCNTRL, SUS_EN | (5 << SUS_TYP_SHIFT));
        assert!(!pm.take_power_off());
        assert_eq!(read16(&pm, PMCNTRL), 5 << SUS_TYP_SHIFT);
        write16(&mut pm, PMEN, 0x0121);
        assert_eq!(read16(&pm, PMEN), 0x0121);
        write16(&mut pm, 0x30, 0xFFFF);
        assert_eq!(read16(&pm, 0x30), 0);
        // SUS_TYP written alone (the low byte) does not enter anything.
        let mut pm = Piix4Pm::new();
        pm.write(PMCNTRL, 0x00);
        assert!(!pm.take_power_off());
    }

    #[test]
    fn the_acpi_timer_counts_at_3_58_mhz_in_24_bits() {
        let pm = Piix4Pm::new();
        let at = |ns| (0..4).fold(0u32, |v, i| v | u32::from(pm.read(PMTMR + i, ns)) << (8 * i));
        assert_eq!(at(0), 0);
        assert_eq!(at(1_000_000_000), 3_579_545);
        assert_eq!(at(10_000_000_000), 35_795_450 & PMTMR_MASK, "wraps at 24 bits");
    }
}
