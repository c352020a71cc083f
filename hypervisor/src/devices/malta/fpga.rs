//! The Malta board's FPGA register block (physical 0x1F000000, 1 MiB) as a
//! pure state machine: switches, status, LED bar, the 8-character ASCII
//! display, the software reset, general-purpose output and the bit-banged
//! I2C bus with the SPD EEPROM behind it.
//!
//! It answers as QEMU 7.2's `malta_fpga_read`/`malta_fpga_write`
//! (`hw/mips/malta.c`) on a little-endian Malta. Offsets from the block's
//! base (the same as Linux's `asm/mips-boards/malta.h`):
//!
//! | offset | register | read | write |
//! |---|---|---|---|
//! | 0x00200 | SWITCH | 0 | ignored |
//! | 0x00208 | STATUS | 0x10 (bit 1, big-endian, clear) | malformed |
//! | 0x00210 | JMPRS | 0 | ignored |
//! | 0x00408 | LEDBAR | the LEDs | bits 7:0 |
//! | 0x00410 | ASCIIWORD | malformed | display = the value as 8 hex digits |
//! | 0x00418 + 8n | ASCIIPOS0-7 | malformed | character n = bits 7:0 |
//! | 0x00500 | SOFTRES | malformed | 0x42: reset ([`DeviceEvent::PowerOff`]) |
//! | 0x00508 | BRKRES | bits 7:0 (0x0A at reset) | bits 7:0 |
//! | 0x00A00 | GPOUT | bits 7:0 | bits 7:0 |
//! | 0x00A08 | GPINP | I2COUT if I2CSEL, else 0 | malformed |
//! | 0x00B00 | I2CINP | 0x2 + the EEPROM's SDA | malformed |
//! | 0x00B08 | I2COE | bits 1:0 | bits 1:0 |
//! | 0x00B10 | I2COUT | the word written (0x3 at reset) | SCL = bit 1, SDA = bit 0 |
//! | 0x00B18 | I2CSEL | bit 0 (1 at reset) | bit 0 |
//!
//! Accesses of any width are performed at a register's offset, as QEMU
//! does: a read returns the register's low bytes, a write stores the value
//! zero-extended (so a byte, halfword or word write of 0x42 to SOFTRES
//! resets; 0x142 does not). An access at any other offset, or a read of a
//! write-only register, or a write of a read-only one (the ones QEMU logs
//! as "bad register"), reads 0, is ignored and counted
//! ([`MmioDevice::malformed`]); so are offsets past the 1 MiB window.
//! Offsets 0x900-0x9FF are not the FPGA's: QEMU maps the CBUS UART (a
//! 16550, registers 8 bytes apart) at 0x900 and nothing else there; the
//! board must route that range to the UART before this model.
//!
//! The display has no read-back; [`MaltaFpga::display`] gives its eight
//! bytes (spaces at reset) and [`MaltaFpga::leds`] the LED bar, for
//! `guest info`.
//!
//! The I2C bus: I2COUT drives SCL and SDA; I2CINP bit 0 reads SDA as the
//! EEPROM drives it (QEMU's `eeprom24c0x`), bit 1 reads 1. I2COE and
//! I2CSEL are stored only. The EEPROM is QEMU's simplified 24C02: a start
//! condition (SDA falling while SCL is high) begins a transfer; the EEPROM
//! shifts in 8 bits (the device address, not checked; bit 0 = read) on
//! rising edges of SCL with SDA stable, acknowledges (drives SDA low for
//! one clock), then shifts in 8 more bits as the byte address while, if
//! the device address had bit 0 set, shifting out the byte latched by the
//! previous transfer, MSB first; it then latches the byte at the address
//! just shifted in, acknowledges, and waits for the next start. So reading
//! byte N takes a write transfer of N, then a read transfer. Its contents
//! are the SPD of a module of the guest's RAM size, as QEMU generates them
//! ([`spd_contents`]). The bus state survives QEMU's reset; the model
//! resets it with the rest (a guest resets only by powering off here).
//!
//! The board revision register at physical 0x1FC00010 is not in this
//! block: it is a word of the boot ROM, [`BOARD_REVISION`].
//!
//! Checked against QEMU with a register script (`qemu_trace` test,
//! `traces/fpga_trace.S`): the same values everywhere (the display cannot
//! be read back on QEMU either, so it is checked by the unit tests only).
use crate::devices::{AccessSize, DeviceEvent, MmioDevice};

/// Size of the register block.
pub const WINDOW: u32 = 0x10_0000;

pub const SWITCH: u32 = 0x0_0200;
pub const STATUS: u32 = 0x0_0208;
pub const JMPRS: u32 = 0x0_0210;
pub const LEDBAR: u32 = 0x0_0408;
pub const ASCIIWORD: u32 = 0x0_0410;
/// ASCIIPOS0; character `n` is at `ASCIIPOS0 + ASCIIPOS_STRIDE * n`.
pub const ASCIIPOS0: u32 = 0x0_0418;
pub const ASCIIPOS_STRIDE: u32 = 8;
pub const SOFTRES: u32 = 0x0_0500;
pub const BRKRES: u32 = 0x0_0508;
/// The CBUS UART's range inside the block (not this model's).
pub const UART_START: u32 = 0x0_0900;
pub const UART_END: u32 = 0x0_0A00;
pub const GPOUT: u32 = 0x0_0A00;
pub const GPINP: u32 = 0x0_0A08;
pub const I2CINP: u32 = 0x0_0B00;
pub const I2COE: u32 = 0x0_0B08;
pub const I2COUT: u32 = 0x0_0B10;
pub const I2CSEL: u32 = 0x0_0B18;

/// Display characters.
pub const DISPLAY_LEN: usize = 8;
/// The value written to SOFTRES that resets the board.
pub const SOFTRES_MAGIC: u32 = 0x42;
/// STATUS on a little-endian board (QEMU's big-endian Malta reads 0x12).
pub const STATUS_LITTLE_ENDIAN: u32 = 0x10;
/// BRKRES after reset.
pub const BRKRES_RESET: u8 = 0x0A;
/// I2COUT after reset: both lines released (high).
pub const I2COUT_RESET: u32 = 0x3;
/// What I2CINP reads besides the EEPROM's SDA (QEMU's `i2cin` bit 1).
const I2CINP_IDLE: u32 = 0x2;
const I2C_SCL: u32 = 0x2;
const I2C_SDA: u32 = 0x1;

/// The Malta board revision word at physical 0x1FC00010: 0x00000420,
/// "Malta Board with CoreLV" (product ID 2 = Malta in bits 7:4, core card
/// ID 1 = CoreLV in bits 15:10), as QEMU's `mips_malta_init` stores it. It
/// is not an FPGA register but a word of the boot ROM mapped at
/// 0x1FC00000: the loader writes it, little-endian, into the guest's ROM
/// image at offset [`BOARD_REVISION_ROM_OFFSET`] (QEMU patches it into its
/// copy of the flash there). Linux reads it to identify the board.
pub const BOARD_REVISION: u32 = 0x0000_0420;
/// Where [`BOARD_REVISION`] lives in the boot ROM (0x1FC00000).
pub const BOARD_REVISION_ROM_OFFSET: u32 = 0x10;
/// The physical address of [`BOARD_REVISION`].
pub const BOARD_REVISION_ADDR: u32 = 0x1FC0_0000 + BOARD_REVISION_ROM_OFFSET;

/// Bytes of the SPD EEPROM (a 24C02).
pub const SPD_SIZE: usize = 256;

/// The SPD bytes QEMU's Malta starts from: a PC100 SDRAM module. Bytes 2
/// (memory type), 5 (banks), 31 (bank density) and 63 (checksum) are
/// filled in from the RAM size by [`spd_contents`]; 128-255 are 0.
const SPD_TEMPLATE: [u8; 128] = [
    0x80, 0x08, 0xFF, 0x0D, 0x0A, 0xFF, 0x40, 0x00, // 0x00
    0x01, 0x75, 0x54, 0x00, 0x82, 0x08, 0x00, 0x01, // 0x08
    0x8F, 0x04, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, // 0x10
    0x00, 0x00, 0x00, 0x14, 0x0F, 0x14, 0x2D, 0xFF, // 0x18
    0x15, 0x08, 0x15, 0x08, 0x00, 0x00, 0x00, 0x00, // 0x20
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x28
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x30
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0xD0, // 0x38
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x40
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x48
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x50
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x58
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x60
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x68
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0x70
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0xF4, // 0x78
];

const SPD_TYPE_SDR: u8 = 0x04;
const SPD_TYPE_DDR2: u8 = 0x08;

/// The SPD EEPROM's contents for `ram_bytes` of RAM, as QEMU's Malta
/// describes it: up to three banks, each the largest power of two (4 MiB
/// to 16 GiB) that fits in what is left; a single bank is split in two if
/// it can be; the density byte has one bit per bank size (bit 0 = 4 MiB),
/// in DDR2's encoding if a bank is 1 GiB or more or none is below 128 MiB.
/// RAM beyond what three banks describe is left out (QEMU warns).
pub fn spd_contents(ram_bytes: u64) -> [u8; SPD_SIZE] {
    let mut spd = [0u8; SPD_SIZE];
    spd[..SPD_TEMPLATE.len()].copy_from_slice(&SPD_TEMPLATE);
    let mut mib = ram_bytes >> 20;
    let mut banks: u8 = 0;
    let mut density: u16 = 0;
    while mib >= 4 && banks <= 2 {
        let log2 = (63 - mib.leading_zeros()).min(14);
        banks += 1;
        density |= 1 << (log2 - 2);
        mib -= 1 << log2;
    }
    if banks == 1 && density > 1 {
        banks = 2;
        density >>= 1;
    }
    let kind = if density & 0xFF00 != 0 {
        density = (density & 0xE0) | ((density >> 8) & 0x1F);
        SPD_TYPE_DDR2
    } else if density & 0x1F == 0 {
        SPD_TYPE_DDR2
    } else {
        SPD_TYPE_SDR
    };
    spd[2] = kind;
    spd[5] = banks;
    spd[31] = density as u8;
    spd[63] = spd[..63].iter().fold(0u8, |sum, &b| sum.wrapping_add(b));
    spd
}

/// QEMU's bit-banged 24C02 (see the module documentation).
#[derive(Clone, Debug)]
struct SpdEeprom {
    /// The RAM its contents describe ([`spd_contents`], made for each
    /// byte read rather than kept: 256 bytes less per guest).
    ram_bytes: u64,
    /// Bits clocked in this transfer, from 1 after the start; 0 idle.
    tick: u8,
    command: u8,
    address: u8,
    /// The byte being shifted out.
    data: u8,
    /// The next rising edge of SCL is an acknowledge.
    ack: bool,
    /// The lines as last seen (SDA as the EEPROM drives it, if it does).
    scl: bool,
    sda: bool,
}

impl SpdEeprom {
    fn new(ram_bytes: u64) -> SpdEeprom {
        SpdEeprom { ram_bytes, tick: 0, command: 0, address: 0, data: 0, ack: false, scl: false, sda: false }
    }

    /// The master drives the lines.
    fn drive(&mut self, scl: bool, sda: bool) {
        let mut sda = sda;
        if self.scl && scl && self.sda != sda {
            // SDA moved while SCL is high: a start (falling) or a stop.
            if !sda {
                self.tick = 1;
                self.command = 0;
            }
        } else if self.tick == 0 && !self.ack {
            // Idle until a start.
        } else if !self.scl && scl {
            // Rising edge of SCL.
            if self.ack {
                sda = false;
                self.ack = false;
            } else if self.sda == sda {
                let bit = u8::from(sda);
                if self.tick < 9 {
                    self.command = (self.command << 1) | bit;
                    self.tick += 1;
                    self.ack = self.tick == 9;
                } else if self.tick < 17 {
                    if self.command & 1 != 0 {
                        sda = self.data & 0x80 != 0;
                    }
                    self.address = (self.address << 1) | bit;
                    self.data <<= 1;
                    self.tick += 1;
                    if self.tick == 17 {
                        self.data = spd_contents(self.ram_bytes)[usize::from(self.address)];
                        self.ack = true;
                        self.tick = 0;
                    }
                } else {
                    sda = false;
                }
            }
            // SDA changing with the rising edge is ignored.
        }
        self.scl = scl;
        self.sda = sda;
    }
}

/// The FPGA's state. See the module documentation.
#[derive(Clone, Debug)]
pub struct MaltaFpga {
    ram_bytes: u64,
    leds: u8,
    brk: u8,
    gpout: u8,
    i2coe: u8,
    i2cout: u32,
    i2csel: u8,
    display: [u8; DISPLAY_LEN],
    eeprom: SpdEeprom,
    event: Option<DeviceEvent>,
    malformed: u32,
}

impl MaltaFpga {
    /// The FPGA after reset, its SPD EEPROM describing `ram_bytes` of RAM.
    pub fn new(ram_bytes: u64) -> MaltaFpga {
        MaltaFpga {
            ram_bytes,
            leds: 0,
            brk: BRKRES_RESET,
            gpout: 0,
            i2coe: 0,
            i2cout: I2COUT_RESET,
            i2csel: 1,
            display: [b' '; DISPLAY_LEN],
            eeprom: SpdEeprom::new(ram_bytes),
            event: None,
            malformed: 0,
        }
    }

    /// The RAM size it was built with.
    pub fn ram_bytes(&self) -> u64 {
        self.ram_bytes
    }

    /// Back to the state after reset (same RAM size).
    pub fn reset(&mut self) {
        *self = MaltaFpga::new(self.ram_bytes);
    }

    /// The eight bytes of the ASCII display, as the guest wrote them.
    pub fn display(&self) -> [u8; DISPLAY_LEN] {
        self.display
    }

    /// The display for printing: up to the first NUL (as QEMU's display
    /// shows it), non-printable bytes as '.', padded to 8 characters.
    pub fn display_text(&self) -> DisplayText {
        DisplayText(self.display)
    }

    /// The LED bar (bit n = LED n).
    pub fn leds(&self) -> u8 {
        self.leds
    }

    fn bad(&mut self) {
        self.malformed = self.malformed.wrapping_add(1);
    }
}

/// Character `n` for an ASCIIPOSn offset.
fn ascii_position(offset: u32) -> Option<usize> {
    let rel = offset.checked_sub(ASCIIPOS0)?;
    let n = rel / ASCIIPOS_STRIDE;
    (rel % ASCIIPOS_STRIDE == 0 && (n as usize) < DISPLAY_LEN).then_some(n as usize)
}

impl MmioDevice for MaltaFpga {
    fn read(&mut self, offset: u32, size: AccessSize) -> u32 {
        let value = match offset {
            SWITCH | JMPRS => 0,
            STATUS => STATUS_LITTLE_ENDIAN,
            LEDBAR => u32::from(self.leds),
            BRKRES => u32::from(self.brk),
            GPOUT => u32::from(self.gpout),
            // QEMU: "IN = OUT until a real I2C control is implemented".
            GPINP if self.i2csel != 0 => self.i2cout,
            GPINP => 0,
            I2CINP => I2CINP_IDLE | u32::from(self.eeprom.sda),
            I2COE => u32::from(self.i2coe),
            I2COUT => self.i2cout,
            I2CSEL => u32::from(self.i2csel),
            _ => {
                self.bad();
                0
            }
        };
        value & size.mask()
    }

    fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        let value = value & size.mask();
        match offset {
            SWITCH | JMPRS => {}
            LEDBAR => self.leds = value as u8,
            ASCIIWORD => {
                for (i, c) in self.display.iter_mut().enumerate() {
                    let nibble = (value >> (28 - 4 * i)) & 0xF;
                    *c = b"0123456789ABCDEF"[nibble as usize];
                }
            }
            SOFTRES => {
                if value == SOFTRES_MAGIC {
                    self.event = Some(DeviceEvent::PowerOff);
                }
            }
            BRKRES => self.brk = value as u8,
            GPOUT => self.gpout = value as u8,
            I2COE => self.i2coe = (value & 0x3) as u8,
            I2COUT => {
                self.eeprom.drive(value & I2C_SCL != 0, value & I2C_SDA != 0);
                self.i2cout = value;
            }
            I2CSEL => self.i2csel = (value & 1) as u8,
            _ => match ascii_position(offset) {
                Some(n) => self.display[n] = value as u8,
                None => self.bad(),
            },
        }
    }

    fn take_event(&mut self) -> Option<DeviceEvent> {
        self.event.take()
    }

    fn malformed(&self) -> u32 {
        self.malformed
    }
}

/// The ASCII display as text (see [`MaltaFpga::display_text`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisplayText(pub [u8; DISPLAY_LEN]);

impl core::fmt::Display for DisplayText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        let text = self.0.iter().take_while(|&&b| b != 0);
        let shown = text.clone().count();
        for &b in text {
            f.write_char(if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' })?;
        }
        for _ in shown..DISPLAY_LEN {
            f.write_char(' ')?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessSize::{Byte, Half, Word};

    const MIB: u64 = 1 << 20;

    fn fpga() -> MaltaFpga {
        MaltaFpga::new(128 * MIB)
    }

    #[test]
    fn reset_state() {
        let mut f = fpga();
        let regs = [
            (SWITCH, 0),
            (STATUS, 0x10),
            (JMPRS, 0),
            (LEDBAR, 0),
            (BRKRES, 0x0A),
            (GPOUT, 0),
            (GPINP, 3),
            (I2CINP, 2),
            (I2COE, 0),
            (I2COUT, 3),
            (I2CSEL, 1),
        ];
        for (offset, value) in regs {
            assert_eq!(f.read(offset, Word), value, "{offset:#x}");
        }
        assert_eq!(f.display(), *b"        ");
        assert_eq!(f.leds(), 0);
        assert_eq!(f.take_event(), None);
        assert!(!f.irq_level());
        assert_eq!(f.malformed(), 0);
    }

    #[test]
    fn register_writes_are_masked() {
        let mut f = fpga();
        f.write(LEDBAR, Word, 0x1A5);
        f.write(BRKRES, Word, 0xFFFF_1234);
        f.write(GPOUT, Word, 0x1FF);
        f.write(I2COE, Word, 0xFF);
        assert_eq!([LEDBAR, BRKRES, GPOUT, I2COE].map(|o| f.read(o, Word)), [0xA5, 0x34, 0xFF, 3]);
        assert_eq!(f.leds(), 0xA5);
        // GPINP echoes I2COUT (the whole word) while I2CSEL is set.
        f.write(I2COUT, Word, 0x1234_5678);
        assert_eq!(f.read(I2COUT, Word), 0x1234_5678);
        assert_eq!(f.read(GPINP, Word), 0x1234_5678);
        f.write(I2CSEL, Word, 0xFE);
        assert_eq!(f.read(I2CSEL, Word), 0);
        assert_eq!(f.read(GPINP, Word), 0);
        f.write(I2CSEL, Byte, 0x01);
        assert_eq!(f.read(GPINP, Word), 0x1234_5678);
        // SWITCH and JMPRS ignore writes quietly.
        f.write(SWITCH, Word, 5);
        f.write(JMPRS, Word, 5);
        assert_eq!((f.read(SWITCH, Word), f.read(JMPRS, Word)), (0, 0));
        assert_eq!(f.malformed(), 0);
        // Read-only registers count writes.
        for offset in [STATUS, GPINP, I2CINP] {
            f.write(offset, Word, 5);
        }
        assert_eq!(f.read(STATUS, Word), 0x10);
        assert_eq!(f.malformed(), 3);
        f.reset();
        assert_eq!(f.read(BRKRES, Word), 0x0A);
        assert_eq!(f.read(I2COUT, Word), 3);
        assert_eq!(f.malformed(), 0);
    }

    #[test]
    fn narrow_accesses_at_register_offsets_only() {
        let mut f = fpga();
        assert_eq!(f.read(STATUS, Byte), 0x10);
        assert_eq!(f.read(STATUS, Half), 0x10);
        assert_eq!(f.read(STATUS + 1, Byte), 0);
        assert_eq!(f.malformed(), 1);
        f.write(LEDBAR, Half, 0x5A5A);
        assert_eq!(f.read(LEDBAR, Word), 0x5A);
        f.write(LEDBAR + 1, Byte, 0x77);
        assert_eq!(f.read(LEDBAR, Word), 0x5A);
        f.write(I2COUT, Word, 0x8765_4321);
        assert_eq!(f.read(I2COUT, Half), 0x4321);
        assert_eq!(f.read(I2COUT, Byte), 0x21);
        // A byte write stores the byte zero-extended.
        f.write(I2COUT, Byte, 0xFFFF_FF03);
        assert_eq!(f.read(I2COUT, Word), 0x03);
        assert_eq!(f.malformed(), 2);
    }

    #[test]
    fn ascii_display() {
        let mut f = fpga();
        f.write(ASCIIWORD, Word, 0xDEAD_BEEF);
        assert_eq!(&f.display(), b"DEADBEEF");
        // The value as stored: a byte write of 0x41 shows 00000041.
        f.write(ASCIIWORD, Byte, 0x1234_5641);
        assert_eq!(&f.display(), b"00000041");
        f.write(ASCIIWORD, Half, 0xABCD);
        assert_eq!(f.display_text().to_string(), "0000ABCD");
        for (n, &c) in b"Linux ok".iter().enumerate() {
            f.write(ASCIIPOS0 + ASCIIPOS_STRIDE * n as u32, Word, 0x100 | u32::from(c));
        }
        assert_eq!(&f.display(), b"Linux ok");
        assert_eq!(f.display_text().to_string(), "Linux ok");
        // Not a position: counted, ignored.
        f.write(ASCIIPOS0 + 1, Byte, b'!'.into());
        f.write(ASCIIPOS0 + ASCIIPOS_STRIDE * 8, Byte, b'!'.into());
        assert_eq!(&f.display(), b"Linux ok");
        // Write-only: reads are counted.
        assert_eq!(f.read(ASCIIWORD, Word), 0);
        assert_eq!(f.read(ASCIIPOS0, Word), 0);
        assert_eq!(f.malformed(), 4);
        // Text stops at a NUL (QEMU prints a C string); others show as '.'.
        f.write(ASCIIPOS0 + 2 * ASCIIPOS_STRIDE, Byte, 0x07);
        assert_eq!(f.display_text().to_string(), "Li.ux ok");
        f.write(ASCIIPOS0 + 3 * ASCIIPOS_STRIDE, Byte, 0);
        assert_eq!(f.display_text().to_string(), "Li.     ");
        assert_eq!(f.display()[3], 0);
        f.reset();
        assert_eq!(f.display_text().to_string(), "        ");
    }

    #[test]
    fn softres_of_0x42_at_any_width_powers_off() {
        for size in [Byte, Half, Word] {
            let mut f = fpga();
            f.write(SOFTRES, size, 0x41);
            assert_eq!(f.take_event(), None);
            // Only the stored bytes count.
            f.write(SOFTRES, size, !size.mask() | SOFTRES_MAGIC);
            assert_eq!(f.take_event(), Some(DeviceEvent::PowerOff), "{size:?}");
            assert_eq!(f.take_event(), None);
            assert_eq!(f.malformed(), 0);
        }
        let mut f = fpga();
        f.write(SOFTRES, Word, 0x142);
        f.write(SOFTRES, Half, 0x4200);
        f.write(SOFTRES + 1, Byte, 0x42);
        f.write(SOFTRES + 4, Word, 0x42);
        assert_eq!(f.take_event(), None);
        assert_eq!(f.malformed(), 2);
        assert_eq!(f.read(SOFTRES, Word), 0, "write-only");
        assert_eq!(f.malformed(), 3);
    }

    #[test]
    fn unknown_offsets_read_zero_and_are_counted() {
        let mut f = fpga();
        let offsets = [0x0, 0x10, 0x108, 0x110, 0x504, UART_START, UART_END - 4, 0xA04, 0xB20, 0xF_FFFC, WINDOW, u32::MAX];
        for offset in offsets {
            assert_eq!(f.read(offset, Word), 0, "{offset:#x}");
            f.write(offset, Word, 0xFFFF_FFFF);
        }
        assert_eq!(f.malformed(), 2 * offsets.len() as u32);
        assert_eq!(f.read(LEDBAR, Word), 0);
        assert_eq!(f.take_event(), None);
    }

    #[test]
    fn spd_for_ram_sizes() {
        // (MiB, type, banks, density) as QEMU's generate_eeprom_spd.
        let cases = [
            (128, SPD_TYPE_SDR, 2, 0x10),
            (256, SPD_TYPE_DDR2, 2, 0x20),
            (192, SPD_TYPE_SDR, 2, 0x30),
            (64, SPD_TYPE_SDR, 2, 0x08),
            (8, SPD_TYPE_SDR, 2, 0x01),
            (4, SPD_TYPE_SDR, 1, 0x01),
            (512, SPD_TYPE_DDR2, 2, 0x40),
            (2048, SPD_TYPE_DDR2, 2, 0x01),
            (3, SPD_TYPE_DDR2, 0, 0x00),
        ];
        for (mib, kind, banks, density) in cases {
            let spd = spd_contents(mib * MIB);
            assert_eq!((spd[2], spd[5], spd[31]), (kind, banks, density), "{mib} MiB");
            let sum = spd[..63].iter().fold(0u8, |s, &b| s.wrapping_add(b));
            assert_eq!(spd[63], sum);
            assert_eq!(spd[0], 0x80);
            assert_eq!(spd[126..128], [0x64, 0xF4]);
            assert!(spd[128..].iter().all(|&b| b == 0));
        }
        assert_eq!(spd_contents(128 * MIB)[63], 0x91);
        // Four banks' worth: the fourth is left out.
        assert_eq!(spd_contents((8 + 4 + 2 + 1) * MIB * 16)[5], 3);
        let _ = spd_contents(u64::MAX);
    }

    /// A host-side I2C master on I2COUT/I2CINP, like the trace program.
    struct Master<'a>(&'a mut MaltaFpga);

    impl Master<'_> {
        fn lines(&mut self, scl: bool, sda: bool) {
            self.0.write(I2COUT, Word, u32::from(scl) << 1 | u32::from(sda));
        }
        fn sda(&mut self) -> bool {
            self.0.read(I2CINP, Word) & 1 != 0
        }
        fn start(&mut self) {
            self.lines(false, true);
            self.lines(true, true);
            self.lines(true, false);
            self.lines(false, false);
        }
        fn bit(&mut self, sda: bool) -> bool {
            self.lines(false, sda);
            self.lines(true, sda);
            let seen = self.sda();
            self.lines(false, sda);
            seen
        }
        /// Eight bits, then the acknowledge clock: (bits seen, ack seen).
        fn byte(&mut self, byte: u8) -> (u8, bool) {
            let mut seen = 0;
            for i in (0..8).rev() {
                seen = seen << 1 | u8::from(self.bit(byte >> i & 1 != 0));
            }
            (seen, self.bit(true))
        }
        fn read(&mut self, address: u8) -> u8 {
            self.start();
            assert!(!self.byte(0xA0).1, "ack");
            assert!(!self.byte(address).1, "ack");
            self.start();
            assert!(!self.byte(0xA1).1, "ack");
            self.byte(0xFF).0
        }
    }

    #[test]
    fn spd_eeprom_reads_through_the_i2c_registers() {
        for mib in [32, 128, 256, 1024] {
            let mut f = MaltaFpga::new(mib * MIB);
            let mut m = Master(&mut f);
            let got: Vec<u8> = (0..=255).map(|a| m.read(a)).collect();
            assert_eq!(got, spd_contents(mib * MIB), "{mib} MiB");
            // With SDA released and the EEPROM idle, SDA reads high.
            assert_eq!(f.read(I2CINP, Word), 3);
            assert_eq!(f.malformed(), 0);
        }
    }

    #[test]
    fn eeprom_ignores_clocks_without_a_start() {
        let mut f = fpga();
        let mut m = Master(&mut f);
        for _ in 0..20 {
            assert!(!m.bit(false));
            assert!(m.bit(true));
        }
        // A stop (SDA rising while SCL is high) does not start a transfer.
        m.lines(true, false);
        m.lines(true, true);
        assert!(m.bit(true));
    }

    #[test]
    fn board_revision() {
        assert_eq!(BOARD_REVISION, 0x0000_0420);
        assert_eq!(BOARD_REVISION_ADDR, 0x1FC0_0010);
        assert_eq!((BOARD_REVISION >> 4) & 0xF, 2, "product: Malta");
        assert_eq!((BOARD_REVISION >> 10) & 0x3F, 1, "core card: CoreLV");
    }

    #[test]
    fn random_traffic_never_panics() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let offsets = [SWITCH, STATUS, LEDBAR, ASCIIWORD, ASCIIPOS0, BRKRES, GPOUT, GPINP, I2CINP, I2COE, I2COUT, I2CSEL];
        let mut f = MaltaFpga::new(next());
        for _ in 0..100_000 {
            let r = next();
            let offset = match r % 4 {
                0 => (r >> 8) as u32,
                1 => (r >> 8) as u32 % 0xC00,
                _ => offsets[(r >> 8) as usize % offsets.len()] + (r >> 16) as u32 % 2,
            };
            let size = [Byte, Half, Word][(r >> 24) as usize % 3];
            if r & 0x10_0000 != 0 {
                f.write(offset, size, (r >> 32) as u32);
            } else {
                assert_eq!(f.read(offset, size) & !size.mask(), 0);
            }
            f.take_event();
            let _ = f.display_text().to_string();
        }
    }
}

/// The register script of `traces/fpga_trace.S` (run natively on QEMU
/// Malta with `-m 128`), replayed on the model.
#[cfg(test)]
mod qemu_trace {
    use super::*;
    use AccessSize::{Byte, Half, Word};

    enum Op {
        R(u32, AccessSize),
        W(u32, AccessSize, u32),
        /// Bit-bang a read of this SPD byte, print it.
        Spd(u8),
        Nl,
    }
    use Op::*;

    fn rw(offsets: &[u32]) -> impl Iterator<Item = Op> + '_ {
        offsets.iter().map(|&o| R(o, Word))
    }

    fn ww(writes: &[(u32, u32)]) -> impl Iterator<Item = Op> + '_ {
        writes.iter().map(|&(o, v)| W(o, Word, v))
    }

    /// Drives I2COUT/I2CINP exactly as the trace program's `spd`.
    fn spd_read(f: &mut MaltaFpga, address: u8) -> u8 {
        let out = |f: &mut MaltaFpga, v: u32| f.write(I2COUT, Word, v);
        let start = |f: &mut MaltaFpga| [1, 3, 2, 0].into_iter().for_each(|v| out(f, v));
        let bit = |f: &mut MaltaFpga, sda: u32| {
            out(f, sda);
            out(f, sda | 2);
            let seen = f.read(I2CINP, Word) & 1;
            out(f, sda);
            seen
        };
        let byte = |f: &mut MaltaFpga, b: u8| {
            let v = (0..8).rev().fold(0, |v, i| v << 1 | bit(f, u32::from(b >> i & 1)));
            bit(f, 1);
            v as u8
        };
        start(f);
        byte(f, 0xA0);
        byte(f, address);
        start(f);
        byte(f, 0xA1);
        byte(f, 0xFF)
    }

    fn script() -> Vec<Op> {
        let mut s = Vec::new();
        // 1: after reset
        s.extend(rw(&[SWITCH, STATUS, JMPRS, LEDBAR, BRKRES, GPOUT, GPINP, I2CINP, I2COE, I2COUT, I2CSEL]));
        s.push(Nl);
        // 2: no register, or write-only
        s.extend(rw(&[0x000, 0x010, 0x108, 0x110, ASCIIWORD, ASCIIPOS0, SOFTRES, 0xA04, 0xB20, 0xF_FFFC]));
        s.push(Nl);
        // 3: writes
        s.extend(ww(&[(LEDBAR, 0x1A5), (BRKRES, 0xFFFF_1234), (GPOUT, 0x1FF), (I2COE, 0xFF)]));
        s.extend(rw(&[LEDBAR, BRKRES, GPOUT, I2COE]));
        s.extend(ww(&[(I2CSEL, 0xFE)]));
        s.extend(rw(&[I2CSEL, GPINP]));
        s.extend(ww(&[(I2CSEL, 0x01), (I2COUT, 0x1234_5678)]));
        s.extend(rw(&[I2COUT, GPINP, I2CINP]));
        s.extend(ww(&[(SWITCH, 5), (JMPRS, 5), (STATUS, 5), (GPINP, 5), (I2CINP, 5)]));
        s.extend(rw(&[SWITCH, JMPRS, STATUS, I2CINP]));
        s.push(Nl);
        // 4: byte and halfword accesses
        s.extend([R(STATUS, Byte), R(STATUS + 1, Byte), R(STATUS, Half), R(STATUS + 2, Half), R(LEDBAR, Byte)]);
        s.extend([W(LEDBAR + 1, Byte, 0x77), R(LEDBAR, Word), W(LEDBAR, Half, 0x5A5A), R(LEDBAR, Word)]);
        s.extend([W(LEDBAR, Byte, 0x3C), R(LEDBAR, Word), R(BRKRES, Byte), R(I2COUT, Half), R(I2COUT + 3, Byte)]);
        s.extend([W(I2COUT + 2, Half, 0x4321), R(I2COUT, Word), Nl]);
        // 5: the display, then the LEDs
        s.extend([W(ASCIIWORD, Word, 0xDEAD_BEEF), W(ASCIIPOS0, Byte, 0x48), W(ASCIIPOS0 + 8, Half, 0x69)]);
        s.extend([W(ASCIIPOS0 + 7 * 8, Word, 0x21), W(ASCIIPOS0 + 4, Byte, 0x58)]);
        s.extend(rw(&[ASCIIWORD, ASCIIPOS0, LEDBAR]));
        s.push(Nl);
        // 6: the SPD EEPROM
        s.extend(ww(&[(I2COUT, 3)]));
        s.extend(rw(&[I2CINP]));
        s.extend([0, 2, 5, 31, 63, 126, 127, 128].map(Spd));
        s.extend(rw(&[I2CINP, I2COUT]));
        s.push(Nl);
        // 7: SOFTRES writes that do not reset
        s.extend([W(SOFTRES, Word, 0x142), W(SOFTRES, Half, 0x4200), W(SOFTRES + 1, Byte, 0x42)]);
        s.extend([W(SOFTRES + 4, Word, 0x42), W(SOFTRES, Byte, 0x43), R(LEDBAR, Word), Nl]);
        s
    }

    /// Lines QEMU 7.2 printed for `traces/fpga_trace.S`; after them it
    /// reset on the final byte write of 0x42 to SOFTRES (and, with
    /// `-no-reboot`, exited before the next read printed anything).
    const QEMU: [&str; 7] = [
        "00000000 00000010 00000000 00000000 0000000a 00000000 00000003 00000002 00000000 00000003 00000001 ",
        "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
        "000000a5 00000034 000000ff 00000003 00000000 00000000 12345678 12345678 00000002 00000000 00000000 00000010 00000002 ",
        "10 00 0010 0000 a5 000000a5 0000005a 0000003c 34 5678 00 12345678 ",
        "00000000 00000000 0000003c ",
        "00000003 80 04 02 10 91 64 f4 00 00000003 00000001 ",
        "0000003c ",
    ];

    #[test]
    fn matches_qemu() {
        let mut f = MaltaFpga::new(128 << 20);
        let mut out = String::new();
        for op in script() {
            match op {
                R(offset, size) => {
                    let v = f.read(offset, size);
                    out += &match size {
                        Byte => format!("{v:02x} "),
                        Half => format!("{v:04x} "),
                        Word => format!("{v:08x} "),
                    };
                }
                W(offset, size, value) => f.write(offset, size, value),
                Spd(address) => out += &format!("{:02x} ", spd_read(&mut f, address)),
                Nl => out.push('\n'),
            }
            assert_eq!(f.take_event(), None);
        }
        let ours: Vec<&str> = out.lines().collect();
        for (i, (ours, qemu)) in ours.iter().zip(QEMU).enumerate() {
            assert_eq!(*ours, qemu, "line {}", i + 1);
        }
        assert_eq!(ours.len(), QEMU.len());
        // ASCIIWORD, then positions 0, 1 and 7 (0x41C is no position).
        assert_eq!(&f.display(), b"HiADBEE!");
        f.write(SOFTRES, Byte, SOFTRES_MAGIC);
        assert_eq!(f.take_event(), Some(DeviceEvent::PowerOff));
    }
}
