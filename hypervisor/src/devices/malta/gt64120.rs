//! The Galileo GT-64120 system controller of the Malta board as a pure
//! state machine: its 4 KiB internal register block (physical 0x1BE00000
//! once the boot loader has moved it there) and the PCI configuration
//! mechanism behind GT_PCI0_CFGADDR (0xCF8) and GT_PCI0_CFGDATA (0xCFC),
//! with the configuration space of what bus 0 holds: the host bridge and
//! the PIIX4 southbridge.
//!
//! It answers as QEMU 7.2's `hw/mips/gt64xxx_pci.c` answers on a
//! little-endian Malta with no add-in PCI card (`-vga none -nic none`):
//!
//! - Registers are 32 bits wide, little-endian. The reset values are those
//!   QEMU's reset gives a little-endian Malta ([`Gt64120::new`]).
//! - Stored under QEMU's write masks: GT_CPU (all bits), the PCI0 and PCI1
//!   I/O and memory windows (low decode 0x7FFF, high decode 0x7F, remap
//!   0x7FF; writing a low decode register also sets its remap register to
//!   the value's low 11 bits), GT_ISD (0x7FFF), the SDRAM and device
//!   address decode registers, GT_ADERR, the SDRAM configuration and
//!   parameter registers (all bits), GT_PCI0_CMD and GT_PCI1_CMD
//!   (0x0401FC0F), GT_INTRMASK (0x3C3FFFFE), GT_PCI0_ICMASK (0x03FFFFFE),
//!   GT_PCI0_SERR0MASK (0x3F).
//! - Read-only, as QEMU has them (writes are ignored, reads give the reset
//!   value): GT_MULTI, the SCS/CS CPU decode and remap registers, CPU error
//!   report, ECC, the device parameters, DMA, timer/counter registers, the
//!   PCI internal registers other than the command registers, the
//!   registers reserved when only PCI_0 is configured. The sync barriers
//!   GT_PCI0SYNC/GT_PCI1SYNC read 0xC000FFEE. Writing a read-only register
//!   is not counted as malformed (QEMU logs the SCS/CS decode register
//!   writes as illegal, but they are registers on the chip).
//! - GT_INTRCAUSE: writing 0 to a bit clears it, bit 0 is the OR of the
//!   others. Nothing here raises a cause (QEMU raises none either: a
//!   configuration read of an absent device does not set the master-abort
//!   bit, it just reads all ones), so it reads 0.
//! - GT_PCI0_IACK (0xC34): a read is an interrupt-acknowledge cycle on the
//!   i8259s, which this model does not own: [`Gt64120::read`] returns
//!   [`Gt64120Read::InterruptAcknowledge`] and the caller acknowledges the
//!   i8259 and hands the guest [`Gt64120::iack_value`] of the vector.
//!   Through [`MmioDevice::read`], which cannot ask the i8259, the read
//!   returns [`IACK_UNCLAIMED`]. Writes are ignored.
//! - The windows: QEMU moves its memory regions when the PCI0 decode
//!   registers are written. The model only stores the registers and keeps
//!   what QEMU would have mapped ([`Gt64120::pci0_windows`]: a write that
//!   leaves a window inverted, high below low, keeps the old mapping, as
//!   in QEMU); [`Gt64120::decode`] decodes any register pair as it stands.
//! - GT_CPU's endianness bit (bit 12, set at reset on a little-endian
//!   board): cleared, QEMU byte-swaps every register value both ways, and
//!   so does the model.
//! - GT_PCI0_CMD's MByteSwap bit (bit 0, set at reset): cleared, QEMU
//!   byte-swaps CFGDATA, both ways, whenever CFGADDR's bus or device is not
//!   0 (so the PIIX4, never the host bridge's own functions), and so does
//!   the model (absent devices read all ones either way). Only big-endian
//!   boards clear it.
//!
//! PCI configuration: CFGADDR keeps ConfigEn (bit 31), bus (23:16), device
//! (15:11), function (10:8) and register (7:2); other bits read 0. With
//! ConfigEn clear CFGDATA reads all ones and ignores writes. Bus 0 holds
//! five functions; every other bus, device and function (00:00.1-7,
//! 00:0a.4-7, ...) reads 0xFFFFFFFF and ignores writes:
//!
//! | function | IDs | class, revision | status | header type | pin | BAR4 |
//! |---|---|---|---|---|---|---|
//! | 00:00.0 GT-64120 | 11AB:4620 | 0x060000 host bridge, 0x10 | 0x0280 | 0x00 | A | see below |
//! | 00:0a.0 PIIX4 ISA | 8086:7110 | 0x060100 ISA bridge, 0 | 0x0200 | 0x80 (multi-function) | none | none |
//! | 00:0a.1 PIIX4 IDE | 8086:7111 | 0x010180 IDE, bus master, 0 | 0x0280 | 0x00 | none | I/O, 16 bytes |
//! | 00:0a.2 PIIX4 USB | 8086:7112 | 0x0C0300 UHCI, 1 | 0x0000 | 0x00 | D | I/O, 32 bytes |
//! | 00:0a.3 PIIX4 PM | 8086:7113 | 0x068000 other bridge, 3 | 0x0280 | 0x00 | A | none |
//!
//! All have QEMU's default subsystem 0x1AF4:0x1100 and command 0 at reset.
//! The bytes a write can change are QEMU's wmask, the same everywhere:
//! command bits 0x0507 (I/O, memory, bus master, SERR#, INTx disable),
//! cache line size, interrupt line, every device-specific byte 0x40-0xFF
//! and, on the IDE and USB functions, BAR4's address bits (31:4 and 31:5:
//! sizing with 0xFFFFFFFF reads 0xFFFFFFF1 and 0xFFFFFFE1; bit 0, I/O,
//! stays set; all 32 bits are kept, as in QEMU). Everything else is
//! read-only and ignores writes: IDs, status (QEMU's write-1-to-clear bits
//! are never set, so they read 0 either way), class, header type, latency
//! timer, BIST, the other BARs (0), expansion ROM (0), interrupt pin.
//! The host bridge's BARs read 0x00000008, 0x01000008, 0x1C000000,
//! 0x1F000000, 0x14000000, 0x14000001 and are read-only (QEMU registers no
//! BAR for it, so sizing them reads the same values back and Linux's
//! write of BAR4 is lost).
//!
//! The PIIX4's device-specific bytes reset as QEMU 7.2 leaves them, 0 but
//! for: function 0 IORT 0x4C = 0x4D, XBCS 0x4E = 0x03, PIRQRC A-D
//! 0x60-0x63 = 0x0A 0x0A 0x0B 0x0B (PCI INTA/B to IRQ 10, INTC/D to IRQ
//! 11), TOM 0x69 = 0x02, MBIRQ0 0x70 = 0x80, MBDMA 0x76/0x77 = 0x0C, PCSC
//! 0x78 = 0x02, SMICNTL 0xA0 = 0x08, FTMR 0xA8 = 0x0F (SERIRQC 0x64 and
//! DLC 0x82 are 0); function 2 SBRN 0x60 = 0x10 and 0x6A = 0x01; function
//! 3 PMBA 0x40 = 0x00000001, DEVACTB 0x5B = 0x02, 0x5F = 0x90, 0x63 =
//! 0x60, 0x67 = 0x98 (the decode enables QEMU sets for the Super I/O's
//! parallel port and serial ports), SMBBA 0x90 = 0x00001101 and SMBHSTCFG
//! 0xD2 = 0x09. As QEMU does, the model lets a guest write every bit of
//! 0x40-0xFF, including those the PIIX4 datasheet makes read-only (PMBA
//! and SMBBA bit 0, reserved bytes).
//!
//! Only configuration space is modelled. What a write there switches on
//! in QEMU is stored and reads back but decodes nothing: the IDE
//! bus-master and UHCI registers behind BAR4, the PM and SMBus I/O blocks
//! behind PMBA/PMREGMISC (0x40, 0x80) and SMBBA/SMBHSTCFG (0x90, 0xD2),
//! the PIRQ routing (no PCI device here raises an interrupt), TOM and the
//! rest; the IDE's legacy ports are not modelled either. The ISA devices
//! behind the bridge (i8259s, PIT, RTC, UARTs) are other models and, as
//! in QEMU, decode whatever these bytes say. The PIIX4's reset control
//! register (I/O port 0xCF9) is not configuration space and is not here.
//!
//! Each function is a const description (header dwords and non-zero
//! device-specific bytes, `FUNCTIONS`); the controller keeps, for each,
//! only the 200 bytes a write can reach (command, cache line size, BAR4,
//! interrupt line, 0x40-0xFF).
//!
//! Byte and halfword accesses to CFGDATA (0xCFC-0xCFF) reach the
//! configuration bytes at `register + (offset & 3)`, as the generic PCI
//! host code of QEMU (`pci_data_read/write`) does for a 0xCF8/0xCFC
//! mechanism (with MByteSwap clear the lanes swap with the data: the byte
//! at 0xCFC is configuration byte `register + 3`). QEMU's GT differs: it
//! performs every access as a word at the register (a byte read at 0xCFD
//! returns byte 0; a byte write stores the byte zero-extended to the whole
//! dword). Linux on Malta only makes word accesses (ops-gt64xxx_pci0.c),
//! so both give the same results there.
//!
//! Checked against QEMU with two register scripts, run natively on QEMU
//! 7.2's Malta and replayed on the model: `traces/gt64120_trace.S`
//! (`qemu_trace` test) gives the same values everywhere but the
//! byte/halfword CFGDATA accesses above and byte and halfword accesses to
//! other registers (below); `traces/piix4_config_trace.S`
//! (`qemu_piix4_trace` test: every dword of the four PIIX4 functions as
//! found, after writing all ones, after writing 0, and again; absent
//! functions, MByteSwap, Linux's fix-ups) gives the same values
//! everywhere.
//!
//! Malformed accesses never panic and are counted ([`Gt64120::malformed`]):
//! offsets beyond the 4 KiB window or not aligned to the access size, and
//! offsets that are no register, read 0 and ignore writes (as QEMU, which
//! logs them); a byte or halfword access to a register other than CFGDATA
//! is performed on the bytes it covers (a read returns them, a write
//! replaces them and writes the register back with its usual mask and side
//! effects) and counted. QEMU instead widens it to the whole register: the
//! read returns the register's low bytes, the write stores the value
//! zero-extended.
//!
//! With `-kernel`, QEMU's boot loader (`write_bootloader` in malta.c) sets
//! the windows up as YAMON does before the guest runs: GT_ISD 0xDF
//! (registers at 0x1BE00000), PCI0 I/O 0x18000000-0x181FFFFF, memory 0
//! 0x10000000-0x17FFFFFF, memory 1 0x18200000-0x1BDFFFFF (and so the
//! remap registers). [`Gt64120::boot_setup`] makes the same writes.
use crate::devices::{AccessSize, MmioDevice};

/// Size of the register window.
pub const WINDOW: u32 = 0x1000;

pub const GT_CPU: u32 = 0x000;
pub const GT_SCS10LD: u32 = 0x008;
pub const GT_SCS10HD: u32 = 0x010;
pub const GT_SCS32LD: u32 = 0x018;
pub const GT_SCS32HD: u32 = 0x020;
pub const GT_CS20LD: u32 = 0x028;
pub const GT_CS20HD: u32 = 0x030;
pub const GT_CS3BOOTLD: u32 = 0x038;
pub const GT_CS3BOOTHD: u32 = 0x040;
pub const GT_PCI0IOLD: u32 = 0x048;
pub const GT_PCI0IOHD: u32 = 0x050;
pub const GT_PCI0M0LD: u32 = 0x058;
pub const GT_PCI0M0HD: u32 = 0x060;
pub const GT_ISD: u32 = 0x068;
pub const GT_CPUERR_ADDRLO: u32 = 0x070;
pub const GT_CPUERR_ADDRHI: u32 = 0x078;
pub const GT_PCI0M1LD: u32 = 0x080;
pub const GT_PCI0M1HD: u32 = 0x088;
pub const GT_PCI1IOLD: u32 = 0x090;
pub const GT_PCI1IOHD: u32 = 0x098;
pub const GT_PCI1M0LD: u32 = 0x0A0;
pub const GT_PCI1M0HD: u32 = 0x0A8;
pub const GT_PCI1M1LD: u32 = 0x0B0;
pub const GT_PCI1M1HD: u32 = 0x0B8;
pub const GT_PCI0SYNC: u32 = 0x0C0;
pub const GT_PCI1SYNC: u32 = 0x0C8;
pub const GT_SCS10AR: u32 = 0x0D0;
pub const GT_SCS32AR: u32 = 0x0D8;
pub const GT_CS20R: u32 = 0x0E0;
pub const GT_CS3BOOTR: u32 = 0x0E8;
pub const GT_PCI0IOREMAP: u32 = 0x0F0;
pub const GT_PCI0M0REMAP: u32 = 0x0F8;
pub const GT_PCI0M1REMAP: u32 = 0x100;
pub const GT_PCI1IOREMAP: u32 = 0x108;
pub const GT_PCI1M0REMAP: u32 = 0x110;
pub const GT_PCI1M1REMAP: u32 = 0x118;
pub const GT_MULTI: u32 = 0x120;
pub const GT_CPUERR_DATALO: u32 = 0x128;
pub const GT_CPUERR_DATAHI: u32 = 0x130;
pub const GT_CPUERR_PARITY: u32 = 0x138;
/// SDRAM and device decode: SCS0LD..BOOTHD, eighteen registers.
pub const GT_SCS0LD: u32 = 0x400;
pub const GT_BOOTHD: u32 = 0x444;
pub const GT_SDRAM_CFG: u32 = 0x448;
pub const GT_SDRAM_B0: u32 = 0x44C;
pub const GT_DEV_B0: u32 = 0x45C;
pub const GT_DEV_BOOT: u32 = 0x46C;
pub const GT_ADERR: u32 = 0x470;
pub const GT_SDRAM_OPMODE: u32 = 0x474;
pub const GT_SDRAM_BM: u32 = 0x478;
pub const GT_SDRAM_ADDRDECODE: u32 = 0x47C;
pub const GT_ECC_ERRDATALO: u32 = 0x480;
pub const GT_DMA0_CNT: u32 = 0x800;
pub const GT_DMA0_CTRL: u32 = 0x840;
pub const GT_TC0: u32 = 0x850;
pub const GT_DMA_ARB: u32 = 0x860;
pub const GT_TC_CONTROL: u32 = 0x864;
pub const GT_DMA0_CUR: u32 = 0x870;
pub const GT_PCI0_CMD: u32 = 0xC00;
pub const GT_PCI0_TOR: u32 = 0xC04;
pub const GT_INTRCAUSE: u32 = 0xC18;
pub const GT_INTRMASK: u32 = 0xC1C;
pub const GT_PCI0_ICMASK: u32 = 0xC24;
pub const GT_PCI0_SERR0MASK: u32 = 0xC28;
pub const GT_PCI1_IACK: u32 = 0xC30;
pub const GT_PCI0_IACK: u32 = 0xC34;
pub const GT_CPU_INTSEL: u32 = 0xC70;
pub const GT_PCI0_INTSEL: u32 = 0xC74;
pub const GT_PCI1_CMD: u32 = 0xC80;
pub const GT_HINTRCAUSE: u32 = 0xC98;
pub const GT_PCI1_CFGADDR: u32 = 0xCF0;
pub const GT_PCI1_CFGDATA: u32 = 0xCF4;
pub const GT_PCI0_CFGADDR: u32 = 0xCF8;
pub const GT_PCI0_CFGDATA: u32 = 0xCFC;

/// GT_CPU: the CPU interface is little-endian (clear: QEMU swaps).
pub const CPU_ENDIAN_LITTLE: u32 = 1 << 12;
/// GT_PCI0_CMD: master byte swap (see the module documentation).
pub const PCI_CMD_MBYTESWAP: u32 = 1 << 0;
/// GT_PCI0_CMD: slave byte swap.
pub const PCI_CMD_SBYTESWAP: u32 = 1 << 16;
/// GT_INTRCAUSE: PCI0 master abort and target abort (never raised here).
pub const INTRCAUSE_MASABORT0: u32 = 1 << 18;
pub const INTRCAUSE_TARABORT0: u32 = 1 << 19;

/// GT_PCI0_CFGADDR: configuration cycles enabled.
pub const CFGADDR_CONFIGEN: u32 = 1 << 31;
/// The CFGADDR bits that are kept (ConfigEn, bus, device, function,
/// register).
pub const CFGADDR_MASK: u32 = 0x80FF_FFFC;

/// What the sync barrier registers read (QEMU's "random" value).
pub const SYNC_VALUE: u32 = 0xC000_FFEE;
/// What an IACK read through [`MmioDevice::read`] returns: nothing
/// answers the cycle (all ones, a PCI master abort).
pub const IACK_UNCLAIMED: u32 = 0xFFFF_FFFF;

/// Masks of the decode registers: low decode (address bits 35:21), high
/// decode (bits 27:21), remap.
const LOW_DECODE_MASK: u32 = 0x7FFF;
const HIGH_DECODE_MASK: u32 = 0x7F;
const REMAP_MASK: u32 = 0x7FF;
/// Decode granularity: 2 MiB.
const DECODE_SHIFT: u32 = 21;
/// Size of the register window GT_ISD places.
const ISD_SIZE: u64 = WINDOW as u64;

/// The host bridge's PCI identity (dword 0 of 00:00.0).
pub const PCI_VENDOR_GALILEO: u16 = 0x11AB;
pub const PCI_DEVICE_GT64120: u16 = 0x4620;
pub const PCI_ID_GT64120: u32 = ((PCI_DEVICE_GT64120 as u32) << 16) | PCI_VENDOR_GALILEO as u32;
/// What an absent device (or a read with ConfigEn clear) returns.
pub const PCI_ABSENT: u32 = 0xFFFF_FFFF;
/// Size of a conventional PCI configuration space.
const CONFIG_SIZE: usize = 256;

/// How a register takes a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Stored under this mask.
    Stored(u32),
    /// Reads its reset value; writes are ignored.
    Fixed,
    /// A PCI window's low decode register; the write also sets the remap
    /// register at this offset.
    LowDecode(u32),
    /// A PCI window's high decode register.
    HighDecode,
    /// GT_INTRCAUSE.
    IntrCause,
    /// GT_PCI0_IACK.
    Iack,
    /// GT_PCI0_CFGADDR.
    CfgAddr,
    /// GT_PCI0_CFGDATA.
    CfgData,
}

#[derive(Clone, Copy, Debug)]
struct Reg {
    offset: u32,
    reset: u32,
    kind: Kind,
}

const fn reg(offset: u32, reset: u32, kind: Kind) -> Reg {
    Reg { offset, reset, kind }
}

const ALL: u32 = 0xFFFF_FFFF;
use Kind::{CfgAddr, CfgData, Fixed, HighDecode, Iack, IntrCause, LowDecode, Stored};

/// Every register, by offset (sorted), with its reset value on a
/// little-endian Malta.
#[rustfmt::skip]
const REGS: &[Reg] = &[
    reg(GT_CPU, CPU_ENDIAN_LITTLE, Stored(ALL)),
    reg(GT_SCS10LD, 0x000, Fixed),
    reg(GT_SCS10HD, 0x007, Fixed),
    reg(GT_SCS32LD, 0x008, Fixed),
    reg(GT_SCS32HD, 0x00F, Fixed),
    reg(GT_CS20LD, 0x0E0, Fixed),
    reg(GT_CS20HD, 0x070, Fixed),
    reg(GT_CS3BOOTLD, 0x0F8, Fixed),
    reg(GT_CS3BOOTHD, 0x07F, Fixed),
    reg(GT_PCI0IOLD, 0x080, LowDecode(GT_PCI0IOREMAP)),
    reg(GT_PCI0IOHD, 0x00F, HighDecode),
    reg(GT_PCI0M0LD, 0x090, LowDecode(GT_PCI0M0REMAP)),
    reg(GT_PCI0M0HD, 0x01F, HighDecode),
    reg(GT_ISD, 0x0A0, Stored(LOW_DECODE_MASK)),
    reg(GT_CPUERR_ADDRLO, 0, Fixed),
    reg(GT_CPUERR_ADDRHI, 0, Fixed),
    reg(GT_PCI0M1LD, 0x790, LowDecode(GT_PCI0M1REMAP)),
    reg(GT_PCI0M1HD, 0x01F, HighDecode),
    reg(GT_PCI1IOLD, 0x100, LowDecode(GT_PCI1IOREMAP)),
    reg(GT_PCI1IOHD, 0x00F, HighDecode),
    reg(GT_PCI1M0LD, 0x110, LowDecode(GT_PCI1M0REMAP)),
    reg(GT_PCI1M0HD, 0x01F, HighDecode),
    reg(GT_PCI1M1LD, 0x120, LowDecode(GT_PCI1M1REMAP)),
    reg(GT_PCI1M1HD, 0x02F, HighDecode),
    reg(GT_PCI0SYNC, SYNC_VALUE, Fixed),
    reg(GT_PCI1SYNC, SYNC_VALUE, Fixed),
    reg(GT_SCS10AR, 0x000, Fixed),
    reg(GT_SCS32AR, 0x008, Fixed),
    reg(GT_CS20R, 0x0E0, Fixed),
    reg(GT_CS3BOOTR, 0x0F8, Fixed),
    reg(GT_PCI0IOREMAP, 0x080, Stored(REMAP_MASK)),
    reg(GT_PCI0M0REMAP, 0x090, Stored(REMAP_MASK)),
    reg(GT_PCI0M1REMAP, 0x790, Stored(REMAP_MASK)),
    reg(GT_PCI1IOREMAP, 0x100, Stored(REMAP_MASK)),
    reg(GT_PCI1M0REMAP, 0x110, Stored(REMAP_MASK)),
    reg(GT_PCI1M1REMAP, 0x120, Stored(REMAP_MASK)),
    reg(GT_MULTI, 0x003, Fixed),
    reg(GT_CPUERR_DATALO, ALL, Fixed),
    reg(GT_CPUERR_DATAHI, ALL, Fixed),
    reg(GT_CPUERR_PARITY, 0xFF, Fixed),
    // SDRAM and device address decode.
    reg(0x400, 0x000, Stored(ALL)),
    reg(0x404, 0x007, Stored(ALL)),
    reg(0x408, 0x008, Stored(ALL)),
    reg(0x40C, 0x00F, Stored(ALL)),
    reg(0x410, 0x010, Stored(ALL)),
    reg(0x414, 0x017, Stored(ALL)),
    reg(0x418, 0x018, Stored(ALL)),
    reg(0x41C, 0x01F, Stored(ALL)),
    reg(0x420, 0x0C0, Stored(ALL)),
    reg(0x424, 0x0C7, Stored(ALL)),
    reg(0x428, 0x0C8, Stored(ALL)),
    reg(0x42C, 0x0CF, Stored(ALL)),
    reg(0x430, 0x0D0, Stored(ALL)),
    reg(0x434, 0x0DF, Stored(ALL)),
    reg(0x438, 0x0F0, Stored(ALL)),
    reg(0x43C, 0x0FB, Stored(ALL)),
    reg(0x440, 0x0FC, Stored(ALL)),
    reg(GT_BOOTHD, 0x0FF, Stored(ALL)),
    reg(GT_SDRAM_CFG, 0x200, Stored(ALL)),
    // SDRAM parameters B0-B3.
    reg(0x44C, 0x005, Stored(ALL)),
    reg(0x450, 0x005, Stored(ALL)),
    reg(0x454, 0x005, Stored(ALL)),
    reg(0x458, 0x005, Stored(ALL)),
    // Device parameters B0-B3, BOOT.
    reg(0x45C, 0x386F_FFFF, Fixed),
    reg(0x460, 0x386F_FFFF, Fixed),
    reg(0x464, 0x386F_FFFF, Fixed),
    reg(0x468, 0x386F_FFFF, Fixed),
    reg(GT_DEV_BOOT, 0x146F_FFFF, Fixed),
    reg(GT_ADERR, ALL, Stored(ALL)),
    reg(GT_SDRAM_OPMODE, 0x000, Stored(ALL)),
    reg(GT_SDRAM_BM, 0x007, Stored(ALL)),
    reg(GT_SDRAM_ADDRDECODE, 0x002, Stored(ALL)),
    // ECC (GT-64120A).
    reg(0x480, 0, Fixed),
    reg(0x484, 0, Fixed),
    reg(0x488, 0, Fixed),
    reg(0x48C, 0, Fixed),
    reg(0x490, 0, Fixed),
    // DMA records: count, source, destination, next, for channels 0-3.
    reg(0x800, 0, Fixed), reg(0x804, 0, Fixed), reg(0x808, 0, Fixed), reg(0x80C, 0, Fixed),
    reg(0x810, 0, Fixed), reg(0x814, 0, Fixed), reg(0x818, 0, Fixed), reg(0x81C, 0, Fixed),
    reg(0x820, 0, Fixed), reg(0x824, 0, Fixed), reg(0x828, 0, Fixed), reg(0x82C, 0, Fixed),
    reg(0x830, 0, Fixed), reg(0x834, 0, Fixed), reg(0x838, 0, Fixed), reg(0x83C, 0, Fixed),
    // DMA channel control 0-3.
    reg(0x840, 0, Fixed), reg(0x844, 0, Fixed), reg(0x848, 0, Fixed), reg(0x84C, 0, Fixed),
    // Timer/counters 0-3.
    reg(GT_TC0, ALL, Fixed),
    reg(0x854, 0x00FF_FFFF, Fixed),
    reg(0x858, 0x00FF_FFFF, Fixed),
    reg(0x85C, 0x00FF_FFFF, Fixed),
    reg(GT_DMA_ARB, 0, Fixed),
    reg(GT_TC_CONTROL, 0, Fixed),
    // DMA current descriptor 0-3.
    reg(0x870, 0, Fixed), reg(0x874, 0, Fixed), reg(0x878, 0, Fixed), reg(0x87C, 0, Fixed),
    // PCI_0 internal.
    reg(GT_PCI0_CMD, PCI_CMD_MBYTESWAP | PCI_CMD_SBYTESWAP, Stored(0x0401_FC0F)),
    reg(GT_PCI0_TOR, 0x70F, Fixed),
    reg(0xC08, 0x00FF_F000, Fixed), // bank sizes SCS10 SCS32 CS20 CS3BT
    reg(0xC0C, 0x00FF_F000, Fixed),
    reg(0xC10, 0x01FF_F000, Fixed),
    reg(0xC14, 0x00FF_F000, Fixed),
    reg(GT_INTRCAUSE, 0, IntrCause),
    reg(GT_INTRMASK, 0, Stored(0x3C3F_FFFE)),
    reg(GT_PCI0_ICMASK, 0, Stored(0x03FF_FFFE)),
    reg(GT_PCI0_SERR0MASK, 0, Stored(0x3F)),
    reg(GT_PCI1_IACK, 0, Fixed),
    reg(GT_PCI0_IACK, 0, Iack),
    reg(0xC3C, 0x0F, Fixed),        // BAR enable
    reg(0xC40, 0x40, Fixed),        // prefetch/max burst
    reg(0xC48, 0x0000_0000, Fixed), // base addresses SCS10 SCS32 CS20 CS3BT
    reg(0xC4C, 0x0100_0000, Fixed),
    reg(0xC50, 0x1C00_0000, Fixed),
    reg(0xC54, 0x1F00_0000, Fixed),
    reg(0xC58, 0x0000_0000, Fixed), // swapped SCS10 SCS32, SCS3BT
    reg(0xC5C, 0x0100_0000, Fixed),
    reg(0xC64, 0x1F00_0000, Fixed),
    reg(GT_CPU_INTSEL, 0, Fixed),
    reg(GT_PCI0_INTSEL, 0, Fixed),
    // PCI_1 internal (reserved when only PCI_0 is configured).
    reg(GT_PCI1_CMD, PCI_CMD_MBYTESWAP | PCI_CMD_SBYTESWAP, Stored(0x0401_FC0F)),
    reg(0xC84, 0x70F, Fixed),
    reg(0xC88, 0x00FF_F000, Fixed),
    reg(0xC8C, 0x00FF_F000, Fixed),
    reg(0xC90, 0x01FF_F000, Fixed),
    reg(0xC94, 0x00FF_F000, Fixed),
    reg(GT_HINTRCAUSE, 0, Fixed),
    reg(0xC9C, 0, Fixed), // HINTRMASK
    reg(0xCA4, 0, Fixed), // PCI0_HICMASK
    reg(0xCA8, 0, Fixed), // PCI1_SERR1MASK
    reg(0xCBC, 0x0F, Fixed),
    reg(0xCC0, 0x40, Fixed),
    reg(0xCC8, 0x0000_0000, Fixed),
    reg(0xCCC, 0x0100_0000, Fixed),
    reg(0xCD0, 0x1C00_0000, Fixed),
    reg(0xCD4, 0x1F00_0000, Fixed),
    reg(0xCD8, 0x0000_0000, Fixed),
    reg(0xCDC, 0x0100_0000, Fixed),
    reg(0xCE4, 0x1F00_0000, Fixed),
    reg(GT_PCI1_CFGADDR, 0, Fixed),
    reg(GT_PCI1_CFGDATA, 0, Fixed),
    reg(GT_PCI0_CFGADDR, 0, CfgAddr),
    reg(GT_PCI0_CFGDATA, 0, CfgData),
];

const REG_COUNT: usize = REGS.len();

/// Slot of a register in [`Gt64120::regs`], or `NO_SLOT` if it has no
/// state there (fixed values, IACK, the configuration registers).
const NO_SLOT: u8 = u8::MAX;

const fn slots() -> ([u8; REG_COUNT], usize) {
    let mut slots = [NO_SLOT; REG_COUNT];
    let mut stored = 0;
    let mut i = 0;
    while i < REG_COUNT {
        if matches!(REGS[i].kind, Stored(_) | LowDecode(_) | HighDecode | IntrCause) {
            slots[i] = stored as u8;
            stored += 1;
        }
        i += 1;
    }
    (slots, stored)
}

const SLOTS: [u8; REG_COUNT] = slots().0;
/// Registers with state.
const STORED: usize = slots().1;

/// Index of the register at word offset `offset`.
fn index_of(offset: u32) -> Option<usize> {
    REGS.binary_search_by_key(&offset, |r| r.offset).ok()
}

/// A configuration function on bus 0, as QEMU presents it after reset:
/// everything a read of it needs but the bytes a write can change.
#[derive(Clone, Copy, Debug)]
struct ConfigFunction {
    /// Device number on bus 0.
    device: u8,
    function: u8,
    /// Dwords 0x00-0x3F.
    header: [u32; 16],
    /// The device-specific bytes (0x40-0xFF) that are not 0, by offset.
    defaults: &'static [(u8, u8)],
    /// Writable bits of BAR4 (0x20): an I/O BAR of `!bar4_wmask + 1`
    /// bytes; 0 if the function has no BAR QEMU lets a guest move.
    bar4_wmask: u32,
}

/// Writable bits of the command register (QEMU's wmask): I/O, memory,
/// bus master, SERR#, INTx disable.
const COMMAND_WMASK: u16 = 0x0507;
/// Where the header ends and the device-specific registers begin.
const HEADER_SIZE: usize = 0x40;
/// Offset of BAR4.
const BAR4: usize = 0x20;

impl ConfigFunction {
    /// Writable bits of configuration byte `offset` (QEMU's wmask; the
    /// same for every function but BAR4).
    const fn wmask(&self, offset: usize) -> u8 {
        match offset {
            0x04 => COMMAND_WMASK as u8,
            0x05 => (COMMAND_WMASK >> 8) as u8,
            0x20..=0x23 => (self.bar4_wmask >> (8 * (offset - BAR4))) as u8,
            0x0C | 0x3C => 0xFF,        // cache line size, interrupt line
            HEADER_SIZE..=0xFF => 0xFF, // every device-specific byte
            _ => 0,
        }
    }

    /// Configuration byte `offset` after reset (0 past the space).
    fn reset_byte(&self, offset: usize) -> u8 {
        if offset < HEADER_SIZE {
            let word = self.header.get(offset / 4).copied().unwrap_or(0);
            (word >> (8 * (offset % 4))) as u8
        } else {
            let found = self.defaults.iter().find(|&&(o, _)| usize::from(o) == offset);
            found.map_or(0, |&(_, value)| value)
        }
    }
}

/// Where a writable configuration byte is kept in a function's
/// [`Writable`] bytes, or `None` if no function can write it.
#[inline]
const fn writable_slot(offset: usize) -> Option<usize> {
    match offset {
        0x04 | 0x05 => Some(offset - 0x04),
        0x0C => Some(2),
        0x20..=0x23 => Some(3 + offset - BAR4),
        0x3C => Some(7),
        HEADER_SIZE..=0xFF => Some(8 + offset - HEADER_SIZE),
        _ => None,
    }
}

/// Bytes of configuration space that some function can write: command,
/// cache line size, BAR4, interrupt line, 0x40-0xFF.
const WRITABLE_BYTES: usize = 8 + CONFIG_SIZE - HEADER_SIZE;
/// One function's writable bytes, by [`writable_slot`], holding only the
/// bits its wmask lets through.
type Writable = [u8; WRITABLE_BYTES];

/// PCI vendor of the PIIX4.
pub const PCI_VENDOR_INTEL: u16 = 0x8086;
/// Bus 0's device number of the PIIX4 (slot 10 on QEMU's Malta).
pub const PIIX4_DEVICE: u8 = 10;
/// PIIX4 function 0 (PCI-to-ISA bridge), 1 (IDE), 2 (USB UHCI) and 3
/// (power management, SMBus) as vendor | device << 16.
pub const PCI_ID_PIIX4_ISA: u32 = 0x7110_0000 | PCI_VENDOR_INTEL as u32;
pub const PCI_ID_PIIX4_IDE: u32 = 0x7111_0000 | PCI_VENDOR_INTEL as u32;
pub const PCI_ID_PIIX4_USB: u32 = 0x7112_0000 | PCI_VENDOR_INTEL as u32;
pub const PCI_ID_PIIX4_PM: u32 = 0x7113_0000 | PCI_VENDOR_INTEL as u32;
/// QEMU's default subsystem (vendor 0x1AF4, device 0x1100), dword 0x2C.
const SUBSYSTEM_QEMU: u32 = 0x1100_1AF4;
/// PIIX4 function 0, PIRQ route control A-D: each byte routes a PCI
/// interrupt to an ISA IRQ (bit 7: disabled).
pub const PIIX4_PIRQRC: u32 = 0x60;
/// PIIX4 function 3, PM and SMBus I/O base (bit 0: I/O space).
pub const PIIX4_PMBA: u32 = 0x40;
/// PIIX4 function 3, PM miscellaneous: bit 0 (PMIOSE) enables the PM
/// I/O block at PMBA.
pub const PIIX4_PMREGMISC: u32 = 0x80;
/// Function 3's index in [`FUNCTIONS`].
const PIIX4_PM_INDEX: usize = 4;
pub const PIIX4_SMBBA: u32 = 0x90;

/// The functions of bus 0, in [`Gt64120::config`] order.
#[rustfmt::skip]
const FUNCTIONS: [ConfigFunction; 5] = [
    // 00:00.0, the GT-64120 itself.
    ConfigFunction {
        device: 0,
        function: 0,
        header: [
            PCI_ID_GT64120,
            0x0280_0000, // status: fast back-to-back, DEVSEL medium; command 0
            0x0600_0010, // class: host bridge; revision 0x10
            0,           // BIST, header type 0, latency, cache line size
            // QEMU registers no BAR: they read these values whatever is written.
            0x0000_0008, 0x0100_0008, 0x1C00_0000, 0x1F00_0000, 0x1400_0000, 0x1400_0001,
            0,           // CardBus CIS
            SUBSYSTEM_QEMU,
            0,           // expansion ROM: none
            0,           // capabilities: none
            0,
            0x0000_0100, // interrupt pin A, line 0
        ],
        defaults: &[],
        bar4_wmask: 0,
    },
    // 00:0a.0, PIIX4 PCI-to-ISA bridge.
    ConfigFunction {
        device: PIIX4_DEVICE,
        function: 0,
        header: [
            PCI_ID_PIIX4_ISA,
            0x0200_0000, // status: DEVSEL medium; command 0
            0x0601_0000, // class: ISA bridge; revision 0
            0x0080_0000, // header type 0, multi-function
            0, 0, 0, 0, 0, 0, 0,
            SUBSYSTEM_QEMU,
            0, 0, 0,
            0,           // no interrupt pin
        ],
        defaults: &[
            (0x4C, 0x4D),                                           // IORT
            (0x4E, 0x03),                                           // XBCS
            (0x60, 0x0A), (0x61, 0x0A), (0x62, 0x0B), (0x63, 0x0B), // PIRQRC A-D
            (0x69, 0x02),                                           // TOM
            (0x70, 0x80),                                           // MBIRQ0: disabled
            (0x76, 0x0C), (0x77, 0x0C),                             // MBDMA0, MBDMA1
            (0x78, 0x02),                                           // PCSC
            (0xA0, 0x08),                                           // SMICNTL
            (0xA8, 0x0F),                                           // FTMR
        ],
        bar4_wmask: 0,
    },
    // 00:0a.1, PIIX4 IDE (legacy ports 0x1F0/0x170, IRQ 14/15).
    ConfigFunction {
        device: PIIX4_DEVICE,
        function: 1,
        header: [
            PCI_ID_PIIX4_IDE,
            0x0280_0000, // status: fast back-to-back, DEVSEL medium; command 0
            0x0101_8000, // class: IDE, bus master; revision 0
            0,
            0, 0, 0, 0,
            0x0000_0001, // BAR4, BMIBA: bus-master registers, 16 bytes of I/O
            0, 0,
            SUBSYSTEM_QEMU,
            0, 0, 0,
            0,           // no interrupt pin
        ],
        defaults: &[],
        bar4_wmask: !0xF,
    },
    // 00:0a.2, PIIX4 USB (UHCI).
    ConfigFunction {
        device: PIIX4_DEVICE,
        function: 2,
        header: [
            PCI_ID_PIIX4_USB,
            0,           // status 0, command 0
            0x0C03_0001, // class: USB UHCI; revision 1
            0,
            0, 0, 0, 0,
            0x0000_0001, // BAR4, USBBA: UHCI registers, 32 bytes of I/O
            0, 0,
            SUBSYSTEM_QEMU,
            0, 0, 0,
            0x0000_0400, // interrupt pin D
        ],
        defaults: &[
            (0x60, 0x10), // SBRN: USB 1.0
            (0x6A, 0x01), // QEMU's "USB clock"
        ],
        bar4_wmask: !0x1F,
    },
    // 00:0a.3, PIIX4 power management and SMBus.
    ConfigFunction {
        device: PIIX4_DEVICE,
        function: 3,
        header: [
            PCI_ID_PIIX4_PM,
            0x0280_0000, // status: fast back-to-back, DEVSEL medium; command 0
            0x0680_0003, // class: other bridge; revision 3
            0,
            0, 0, 0, 0, 0, 0, 0,
            SUBSYSTEM_QEMU,
            0, 0, 0,
            0x0000_0100, // interrupt pin A
        ],
        defaults: &[
            (0x40, 0x01),                         // PMBA: I/O, base 0
            (0x5B, 0x02),                         // DEVACTB: QEMU's "SMM done"
            // DEVRESB-D as QEMU sets them once the board is built: the
            // Super I/O's parallel port and COM1/COM2 decoded.
            (0x5F, 0x90), (0x63, 0x60), (0x67, 0x98),
            (0x90, 0x01), (0x91, 0x11),           // SMBBA: I/O 0x1100
            (0xD2, 0x09),                         // SMBHSTCFG: enabled, IRQ 9
        ],
        bar4_wmask: 0,
    },
];

const FUNCTION_COUNT: usize = FUNCTIONS.len();

/// A CPU physical address window `[base, base + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub base: u64,
    pub size: u64,
}

impl Window {
    /// The first address past the window.
    pub const fn end(&self) -> u64 {
        self.base + self.size
    }

    pub const fn contains(&self, pa: u64) -> bool {
        pa >= self.base && pa < self.end()
    }
}

/// A pair of CPU address decode registers (low and high decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoder {
    Scs10,
    Scs32,
    Cs20,
    Cs3Boot,
    Pci0Io,
    Pci0Mem0,
    Pci0Mem1,
    Pci1Io,
    Pci1Mem0,
    Pci1Mem1,
}

impl Decoder {
    /// Offsets of the low and high decode registers.
    pub const fn registers(self) -> (u32, u32) {
        match self {
            Decoder::Scs10 => (GT_SCS10LD, GT_SCS10HD),
            Decoder::Scs32 => (GT_SCS32LD, GT_SCS32HD),
            Decoder::Cs20 => (GT_CS20LD, GT_CS20HD),
            Decoder::Cs3Boot => (GT_CS3BOOTLD, GT_CS3BOOTHD),
            Decoder::Pci0Io => (GT_PCI0IOLD, GT_PCI0IOHD),
            Decoder::Pci0Mem0 => (GT_PCI0M0LD, GT_PCI0M0HD),
            Decoder::Pci0Mem1 => (GT_PCI0M1LD, GT_PCI0M1HD),
            Decoder::Pci1Io => (GT_PCI1IOLD, GT_PCI1IOHD),
            Decoder::Pci1Mem0 => (GT_PCI1M0LD, GT_PCI1M0HD),
            Decoder::Pci1Mem1 => (GT_PCI1M1LD, GT_PCI1M1HD),
        }
    }
}

/// The PCI_0 windows as QEMU maps them. CPU addresses in `io` reach PCI
/// I/O space from port 0 (`port = pa - io.base`; QEMU ignores the remap
/// register); `mem0` and `mem1` reach PCI memory at the same address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pci0Windows {
    pub io: Window,
    pub mem0: Window,
    pub mem1: Window,
}

/// The result of a register read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gt64120Read {
    /// The value, right-aligned.
    Value(u32),
    /// A read of GT_PCI0_IACK: the caller runs an interrupt-acknowledge
    /// cycle on the i8259s (master, cascading to the slave) and gives the
    /// guest [`Gt64120::iack_value`] of the vector they return.
    InterruptAcknowledge,
}

/// What `guest info` can print (see its `Display`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gt64120Summary {
    /// Where GT_ISD places the registers.
    pub registers: u64,
    pub windows: Pci0Windows,
    /// The last value written to GT_PCI0_CFGADDR (masked).
    pub config_address: u32,
    pub iack_reads: u32,
    pub malformed: u32,
}

impl core::fmt::Display for Gt64120Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let w = &self.windows;
        let a = self.config_address;
        write!(
            f,
            "regs {:#x} io {:#x}+{:#x} mem0 {:#x}+{:#x} mem1 {:#x}+{:#x} cfgaddr {:#010x} ({:02x}:{:02x}.{} reg {:#04x}{}) iack {} malformed {}",
            self.registers,
            w.io.base,
            w.io.size,
            w.mem0.base,
            w.mem0.size,
            w.mem1.base,
            w.mem1.size,
            a,
            (a >> 16) & 0xFF,
            (a >> 11) & 0x1F,
            (a >> 8) & 7,
            a & 0xFC,
            if a & CFGADDR_CONFIGEN != 0 { "" } else { ", disabled" },
            self.iack_reads,
            self.malformed,
        )
    }
}

/// The system controller's state. See the module documentation.
#[derive(Clone, Debug)]
pub struct Gt64120 {
    /// Values of the registers that have state, by slot (`SLOTS`); GT_CPU
    /// is slot 0.
    regs: [u32; STORED],
    config_address: u32,
    /// The writable configuration bytes of each of [`FUNCTIONS`].
    config: [Writable; FUNCTION_COUNT],
    /// What QEMU has mapped for the PCI_0 windows.
    windows: Pci0Windows,
    iack_reads: u32,
    malformed: u32,
}

impl Default for Gt64120 {
    fn default() -> Self {
        Self::new()
    }
}

impl Gt64120 {
    /// Where the PIIX4's power-management I/O block decodes (ISA I/O port
    /// PMBA & 0xFFC0, 64 ports), while function 3's PMREGMISC.PMIOSE (0x80
    /// bit 0) enables it, as QEMU maps it.
    #[inline]
    pub fn piix4_pm_base(&self) -> Option<u16> {
        let pm = &self.config[PIIX4_PM_INDEX];
        let byte = |offset: usize| writable_slot(offset).map_or(0, |slot| pm[slot]);
        (byte(PIIX4_PMREGMISC as usize) & 1 != 0)
            .then(|| u16::from_le_bytes([byte(PIIX4_PMBA as usize), byte(PIIX4_PMBA as usize + 1)]) & 0xFFC0)
    }

    /// The controller after a hardware reset (QEMU's reset values for a
    /// little-endian Malta: registers at 0x14000000, PCI0 I/O at
    /// 0x10000000).
    pub fn new() -> Gt64120 {
        let placeholder = Window { base: 0, size: 0 };
        let mut gt = Gt64120 {
            regs: [0; STORED],
            config_address: 0,
            config: [[0; WRITABLE_BYTES]; FUNCTION_COUNT],
            windows: Pci0Windows { io: placeholder, mem0: placeholder, mem1: placeholder },
            iack_reads: 0,
            malformed: 0,
        };
        gt.reset();
        gt
    }

    /// The controller as QEMU's boot loader (or YAMON) leaves it for a
    /// `-kernel` guest: [`new`](Self::new), then [`boot_setup`](Self::boot_setup).
    pub fn booted() -> Gt64120 {
        let mut gt = Gt64120::new();
        gt.boot_setup();
        gt
    }

    /// Back to the hardware reset state, in place (no second controller
    /// on the stack).
    pub fn reset(&mut self) {
        for (r, &slot) in REGS.iter().zip(&SLOTS) {
            if let Some(value) = self.regs.get_mut(usize::from(slot)) {
                *value = r.reset;
            }
        }
        self.config_address = 0;
        for (bytes, function) in self.config.iter_mut().zip(&FUNCTIONS) {
            for offset in 0..CONFIG_SIZE {
                if let Some(byte) = writable_slot(offset).and_then(|slot| bytes.get_mut(slot)) {
                    *byte = function.reset_byte(offset) & function.wmask(offset);
                }
            }
        }
        self.iack_reads = 0;
        self.malformed = 0;
        self.update_windows();
    }

    /// The register writes of QEMU 7.2's Malta boot loader, in its order:
    /// GT_ISD 0xDF (registers at 0x1BE00000), PCI0 I/O 0x18000000-
    /// 0x181FFFFF, memory 0 0x10000000-0x17FFFFFF, memory 1
    /// 0x18200000-0x1BDFFFFF. The remap registers follow the low decode
    /// writes. It touches nothing else (CFGADDR stays 0).
    pub fn boot_setup(&mut self) {
        for (offset, value) in [
            (GT_ISD, 0xDF),
            (GT_PCI0IOLD, 0xC0),
            (GT_PCI0IOHD, 0x40),
            (GT_PCI0M0LD, 0x80),
            (GT_PCI0M0HD, 0x3F),
            (GT_PCI0M1LD, 0xC1),
            (GT_PCI0M1HD, 0x5E),
        ] {
            self.write(offset, AccessSize::Word, value);
        }
    }

    /// A load of `size` at `offset` from the start of the register window.
    pub fn read(&mut self, offset: u32, size: AccessSize) -> Gt64120Read {
        let Some((index, lane)) = self.locate(offset, size) else {
            return Gt64120Read::Value(0);
        };
        let kind = REGS[index].kind;
        if size != AccessSize::Word && kind != CfgData {
            self.malformed = self.malformed.wrapping_add(1);
        }
        let word = match kind {
            Iack => {
                self.iack_reads = self.iack_reads.wrapping_add(1);
                return Gt64120Read::InterruptAcknowledge;
            }
            CfgAddr => self.config_address,
            CfgData => self.config_read(),
            _ => self.value(index),
        };
        let word = self.cpu_swap(word);
        Gt64120Read::Value((word >> (8 * lane)) & size.mask())
    }

    /// A store of the low `size` bytes of `value` at `offset`.
    pub fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        let Some((index, lane)) = self.locate(offset, size) else { return };
        let kind = REGS[index].kind;
        // The bytes written, as the register sees them.
        let word = self.cpu_swap((value & size.mask()) << (8 * lane));
        let enables = self.cpu_swap(size.mask() << (8 * lane));
        if kind == CfgData {
            self.config_write(word, enables);
            return;
        }
        let word = if size == AccessSize::Word {
            word
        } else {
            self.malformed = self.malformed.wrapping_add(1);
            let current = if kind == CfgAddr { self.config_address } else { self.value(index) };
            (current & !enables) | (word & enables)
        };
        match kind {
            Stored(mask) => self.set(index, word & mask),
            LowDecode(remap) => {
                self.set(index, word & LOW_DECODE_MASK);
                if let Some(remap) = index_of(remap) {
                    self.set(remap, word & REMAP_MASK);
                }
                self.update_windows();
            }
            HighDecode => {
                self.set(index, word & HIGH_DECODE_MASK);
                self.update_windows();
            }
            IntrCause => {
                // Write 0 to clear; bit 0 summarises the others.
                let cause = self.value(index) & word & !1;
                self.set(index, cause | u32::from(cause != 0));
            }
            CfgAddr => self.config_address = word & CFGADDR_MASK,
            Fixed | Iack | CfgData => {}
        }
    }

    /// The value to give the guest for an IACK read that the i8259s
    /// answered with `vector`.
    pub fn iack_value(&self, vector: u8) -> u32 {
        self.cpu_swap(u32::from(vector))
    }

    /// Nonsense accesses ignored or tolerated so far (see the module
    /// documentation).
    pub fn malformed(&self) -> u32 {
        self.malformed
    }

    /// GT_PCI0_IACK reads so far.
    pub fn iack_reads(&self) -> u32 {
        self.iack_reads
    }

    /// GT_PCI0_CFGADDR as last written (masked).
    pub fn config_address(&self) -> u32 {
        self.config_address
    }

    /// A register's current value, without side effects or byte swap
    /// (CFGADDR gives the configuration address; CFGDATA and IACK give 0).
    pub fn register(&self, offset: u32) -> Option<u32> {
        let index = index_of(offset)?;
        Some(match REGS[index].kind {
            CfgAddr => self.config_address,
            CfgData | Iack => 0,
            _ => self.value(index),
        })
    }

    /// The window a decode register pair describes now, or `None` if its
    /// high decode lies below its low decode. Addresses are 36-bit, as on
    /// the GT-64120 (QEMU truncates to 32 bits).
    pub fn decode(&self, decoder: Decoder) -> Option<Window> {
        let (low, high) = decoder.registers();
        let low = self.register(low).unwrap_or(0) & LOW_DECODE_MASK;
        let high = self.register(high).unwrap_or(0) & HIGH_DECODE_MASK;
        let first = low & HIGH_DECODE_MASK;
        if high < first {
            return None;
        }
        Some(Window { base: u64::from(low) << DECODE_SHIFT, size: u64::from(high + 1 - first) << DECODE_SHIFT })
    }

    /// The PCI_0 windows QEMU would have mapped: each follows its decode
    /// registers whenever they describe a window, and keeps the previous
    /// one while they are inverted.
    pub fn pci0_windows(&self) -> Pci0Windows {
        self.windows
    }

    /// Where GT_ISD places the register window (4 KiB). QEMU moves its
    /// window there (out of 0x1E000000-0x1F0FFFFF and 0x1FC00000-
    /// 0x1FCFFFFF if it falls inside); the model only reports it.
    pub fn registers_base(&self) -> u64 {
        (u64::from(self.register(GT_ISD).unwrap_or(0)) << DECODE_SHIFT) & !(ISD_SIZE - 1)
    }

    /// The CPU physical address of ISA/PCI I/O port 0.
    pub fn isa_io_base(&self) -> u64 {
        self.windows.io.base
    }

    pub fn summary(&self) -> Gt64120Summary {
        Gt64120Summary {
            registers: self.registers_base(),
            windows: self.windows,
            config_address: self.config_address,
            iack_reads: self.iack_reads,
            malformed: self.malformed,
        }
    }

    /// The value of register `index` (its reset value if it has no state).
    fn value(&self, index: usize) -> u32 {
        match self.regs.get(usize::from(SLOTS[index])) {
            Some(&value) => value,
            None => REGS[index].reset,
        }
    }

    fn set(&mut self, index: usize, value: u32) {
        if let Some(slot) = self.regs.get_mut(usize::from(SLOTS[index])) {
            *slot = value;
        }
    }

    /// The register index and byte lane of an access, or `None` (counted)
    /// if it is outside the window, misaligned or hits no register.
    fn locate(&mut self, offset: u32, size: AccessSize) -> Option<(usize, u32)> {
        let found = if offset < WINDOW && offset.is_multiple_of(size.bytes()) {
            index_of(offset & !3).map(|index| (index, offset & 3))
        } else {
            None
        };
        if found.is_none() {
            self.malformed = self.malformed.wrapping_add(1);
        }
        found
    }

    /// Register values are byte-swapped while GT_CPU says big-endian.
    fn cpu_swap(&self, value: u32) -> u32 {
        if self.regs[0] & CPU_ENDIAN_LITTLE != 0 {
            value
        } else {
            value.swap_bytes()
        }
    }

    /// The function (index into [`FUNCTIONS`]) and register CFGADDR
    /// selects, or `None` if configuration cycles are off or select a
    /// function that is absent.
    fn config_register(&self) -> Option<(usize, usize)> {
        let a = self.config_address;
        if a & CFGADDR_CONFIGEN == 0 || (a >> 16) & 0xFF != 0 {
            return None;
        }
        let (device, function) = ((a >> 11) & 0x1F, (a >> 8) & 7);
        let index =
            FUNCTIONS.iter().position(|f| u32::from(f.device) == device && u32::from(f.function) == function)?;
        Some((index, (a & 0xFC) as usize))
    }

    /// Whether CFGDATA is byte-swapped: GT_PCI0_CMD's MByteSwap is clear
    /// and CFGADDR's bus or device is not 0 (QEMU's test: the host
    /// bridge's own functions are never swapped).
    fn config_swapped(&self) -> bool {
        let mbyteswap = self.register(GT_PCI0_CMD).is_some_and(|cmd| cmd & PCI_CMD_MBYTESWAP != 0);
        !mbyteswap && self.config_address & 0x00FF_F800 != 0
    }

    /// Configuration byte `offset` of function `index`.
    fn config_byte(&self, index: usize, offset: usize) -> u8 {
        let Some(function) = FUNCTIONS.get(index) else { return 0xFF };
        let wmask = function.wmask(offset);
        let stored = writable_slot(offset)
            .and_then(|slot| self.config.get(index).and_then(|bytes| bytes.get(slot)))
            .copied()
            .unwrap_or(0);
        (function.reset_byte(offset) & !wmask) | (stored & wmask)
    }

    fn config_read(&self) -> u32 {
        let value = match self.config_register() {
            Some((index, r)) => {
                let bytes = [0, 1, 2, 3].map(|i| self.config_byte(index, r + i));
                u32::from_le_bytes(bytes)
            }
            None => PCI_ABSENT,
        };
        if self.config_swapped() {
            value.swap_bytes()
        } else {
            value
        }
    }

    /// Writes the bytes of `value` selected by `enables` (byte masks).
    fn config_write(&mut self, value: u32, enables: u32) {
        let Some((index, r)) = self.config_register() else { return };
        let (value, enables) =
            if self.config_swapped() { (value.swap_bytes(), enables.swap_bytes()) } else { (value, enables) };
        let (Some(function), Some(bytes)) = (FUNCTIONS.get(index), self.config.get_mut(index)) else { return };
        for (i, byte) in value.to_le_bytes().into_iter().enumerate() {
            if (enables >> (8 * i)) & 0xFF == 0 {
                continue;
            }
            let offset = r + i;
            if let Some(slot) = writable_slot(offset).and_then(|slot| bytes.get_mut(slot)) {
                *slot = byte & function.wmask(offset);
            }
        }
    }

    fn update_windows(&mut self) {
        if let Some(w) = self.decode(Decoder::Pci0Io) {
            self.windows.io = w;
        }
        if let Some(w) = self.decode(Decoder::Pci0Mem0) {
            self.windows.mem0 = w;
        }
        if let Some(w) = self.decode(Decoder::Pci0Mem1) {
            self.windows.mem1 = w;
        }
    }
}

/// For buses that cannot route the IACK read: it returns
/// [`IACK_UNCLAIMED`]. Use [`Gt64120::read`] to answer it from the i8259s.
impl MmioDevice for Gt64120 {
    fn read(&mut self, offset: u32, size: AccessSize) -> u32 {
        match Gt64120::read(self, offset, size) {
            Gt64120Read::Value(value) => value,
            Gt64120Read::InterruptAcknowledge => IACK_UNCLAIMED & size.mask(),
        }
    }

    fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        Gt64120::write(self, offset, size, value)
    }

    fn malformed(&self) -> u32 {
        self.malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessSize::{Byte, Half, Word};

    fn rd(gt: &mut Gt64120, offset: u32) -> u32 {
        match gt.read(offset, Word) {
            Gt64120Read::Value(v) => v,
            Gt64120Read::InterruptAcknowledge => panic!("IACK at {offset:#x}"),
        }
    }

    fn rd_size(gt: &mut Gt64120, offset: u32, size: AccessSize) -> u32 {
        match gt.read(offset, size) {
            Gt64120Read::Value(v) => v,
            Gt64120Read::InterruptAcknowledge => panic!("IACK at {offset:#x}"),
        }
    }

    fn wr(gt: &mut Gt64120, offset: u32, value: u32) {
        gt.write(offset, Word, value);
    }

    fn cfg_read(gt: &mut Gt64120, address: u32) -> u32 {
        wr(gt, GT_PCI0_CFGADDR, address);
        rd(gt, GT_PCI0_CFGDATA)
    }

    fn cfg_write(gt: &mut Gt64120, address: u32, value: u32) {
        wr(gt, GT_PCI0_CFGADDR, address);
        wr(gt, GT_PCI0_CFGDATA, value);
    }

    /// ConfigEn | bus | device | function | register.
    fn bdf(bus: u32, device: u32, function: u32, register: u32) -> u32 {
        CFGADDR_CONFIGEN | bus << 16 | device << 11 | function << 8 | register
    }

    #[test]
    fn register_table_is_sorted_aligned_and_in_the_window() {
        assert_eq!((REGS[0].offset, SLOTS[0]), (GT_CPU, 0), "cpu_swap reads regs[0]");
        assert!(STORED < usize::from(NO_SLOT));
        assert_eq!(SLOTS.iter().filter(|&&s| s != NO_SLOT).count(), STORED);
        // Stored by value in the board: keep it small (the five functions'
        // writable configuration bytes are most of it).
        assert!(core::mem::size_of::<Gt64120>() <= 1280, "{}", core::mem::size_of::<Gt64120>());
        for pair in REGS.windows(2) {
            assert!(pair[0].offset < pair[1].offset, "{:#x} before {:#x}", pair[0].offset, pair[1].offset);
        }
        for r in REGS {
            assert!(r.offset < WINDOW && r.offset.is_multiple_of(4), "{:#x}", r.offset);
            if let LowDecode(remap) = r.kind {
                assert!(matches!(REGS[index_of(remap).unwrap()].kind, Stored(REMAP_MASK)));
            }
            if let Stored(mask) = r.kind {
                assert_eq!(r.reset & !mask, 0, "reset of {:#x} within its mask", r.offset);
            }
        }
    }

    #[test]
    fn reset_values() {
        let mut gt = Gt64120::new();
        #[rustfmt::skip]
        let expected = [
            (GT_CPU, 0x1000), (GT_MULTI, 3), (GT_ISD, 0xA0),
            (GT_PCI0IOLD, 0x80), (GT_PCI0IOHD, 0x0F), (GT_PCI0IOREMAP, 0x80),
            (GT_PCI0M0LD, 0x90), (GT_PCI0M0HD, 0x1F), (GT_PCI0M0REMAP, 0x90),
            (GT_PCI0M1LD, 0x790), (GT_PCI0M1HD, 0x1F), (GT_PCI0M1REMAP, 0x790),
            (GT_SCS10HD, 7), (GT_CS20LD, 0xE0), (GT_CS3BOOTHD, 0x7F),
            (GT_CPUERR_DATALO, 0xFFFF_FFFF), (GT_CPUERR_PARITY, 0xFF),
            (GT_PCI0SYNC, SYNC_VALUE), (GT_PCI1SYNC, SYNC_VALUE),
            (GT_SCS0LD, 0), (GT_BOOTHD, 0xFF), (GT_ADERR, 0xFFFF_FFFF), (GT_SDRAM_CFG, 0x200),
            (GT_SDRAM_BM, 7), (GT_SDRAM_ADDRDECODE, 2), (GT_SDRAM_B0, 5),
            (GT_DEV_B0, 0x386F_FFFF), (GT_DEV_BOOT, 0x146F_FFFF),
            (GT_DMA0_CNT, 0), (GT_TC0, 0xFFFF_FFFF), (GT_TC0 + 4, 0x00FF_FFFF),
            (GT_PCI0_CMD, 0x0001_0001), (GT_PCI0_TOR, 0x70F), (GT_PCI1_CMD, 0x0001_0001),
            (GT_INTRCAUSE, 0), (GT_INTRMASK, 0), (GT_PCI0_CFGADDR, 0),
        ];
        for (offset, value) in expected {
            assert_eq!(rd(&mut gt, offset), value, "register {offset:#x}");
        }
        // With ConfigEn clear, CFGDATA reads all ones.
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), PCI_ABSENT);
        assert_eq!(gt.malformed(), 0);
        assert_eq!(gt.registers_base(), 0x1400_0000);
        let w = gt.pci0_windows();
        assert_eq!(w.io, Window { base: 0x1000_0000, size: 0x0200_0000 });
        assert_eq!(w.mem0, Window { base: 0x1200_0000, size: 0x0200_0000 });
        assert_eq!(w.mem1, Window { base: 0xF200_0000, size: 0x0200_0000 });
        assert_eq!(gt.decode(Decoder::Cs3Boot), Some(Window { base: 0x1F00_0000, size: 0x0100_0000 }));
    }

    #[test]
    fn boot_setup_matches_qemus_boot_loader() {
        let mut gt = Gt64120::booted();
        #[rustfmt::skip]
        let expected = [
            (GT_ISD, 0xDF), (GT_PCI0IOLD, 0xC0), (GT_PCI0IOHD, 0x40), (GT_PCI0IOREMAP, 0xC0),
            (GT_PCI0M0LD, 0x80), (GT_PCI0M0HD, 0x3F), (GT_PCI0M0REMAP, 0x80),
            (GT_PCI0M1LD, 0xC1), (GT_PCI0M1HD, 0x5E), (GT_PCI0M1REMAP, 0xC1),
            (GT_PCI0_CFGADDR, 0),
        ];
        for (offset, value) in expected {
            assert_eq!(rd(&mut gt, offset), value, "register {offset:#x}");
        }
        assert_eq!(gt.registers_base(), 0x1BE0_0000);
        assert_eq!(gt.isa_io_base(), 0x1800_0000);
        let w = gt.pci0_windows();
        assert_eq!(w.io, Window { base: 0x1800_0000, size: 0x0020_0000 });
        assert_eq!(w.mem0, Window { base: 0x1000_0000, size: 0x0800_0000 });
        assert_eq!(w.mem1, Window { base: 0x1820_0000, size: 0x03C0_0000 });
        assert!(w.mem1.contains(0x1BDF_FFFF) && !w.mem1.contains(0x1BE0_0000));
        // reset() is the hardware reset, not the boot loader's state.
        gt.reset();
        assert_eq!(rd(&mut gt, GT_ISD), 0xA0);
        assert_eq!(gt.isa_io_base(), 0x1000_0000);
    }

    #[test]
    fn write_masks() {
        let mut gt = Gt64120::booted();
        wr(&mut gt, GT_CPU, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_CPU), 0xFFFF_FFFF);
        wr(&mut gt, GT_CPU, CPU_ENDIAN_LITTLE);
        // A low decode write sets its remap register too.
        wr(&mut gt, GT_PCI1IOLD, 0xFFFF_FFFF);
        assert_eq!((rd(&mut gt, GT_PCI1IOLD), rd(&mut gt, GT_PCI1IOREMAP)), (0x7FFF, 0x7FF));
        wr(&mut gt, GT_PCI1IOHD, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_PCI1IOHD), 0x7F);
        wr(&mut gt, GT_PCI0IOREMAP, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_PCI0IOREMAP), 0x7FF);
        assert_eq!(rd(&mut gt, GT_PCI0IOLD), 0xC0, "the remap alone leaves the window");
        wr(&mut gt, GT_ISD, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_ISD), 0x7FFF);
        assert_eq!(gt.registers_base(), 0xF_FFE0_0000);
        for offset in [GT_SCS0LD, GT_BOOTHD, GT_ADERR, GT_SDRAM_CFG, GT_SDRAM_B0, GT_SDRAM_OPMODE] {
            wr(&mut gt, offset, 0x1234_5678);
            assert_eq!(rd(&mut gt, offset), 0x1234_5678, "{offset:#x}");
        }
        for (offset, mask) in [
            (GT_PCI0_CMD, 0x0401_FC0F),
            (GT_PCI1_CMD, 0x0401_FC0F),
            (GT_INTRMASK, 0x3C3F_FFFE),
            (GT_PCI0_ICMASK, 0x03FF_FFFE),
            (GT_PCI0_SERR0MASK, 0x3F),
        ] {
            wr(&mut gt, offset, 0xFFFF_FFFF);
            assert_eq!(rd(&mut gt, offset), mask, "{offset:#x}");
        }
        // QEMU ignores writes to these.
        #[rustfmt::skip]
        let read_only = [
            GT_MULTI, GT_SCS10LD, GT_CS3BOOTHD, GT_SCS10AR, GT_CPUERR_ADDRLO, GT_PCI0SYNC, GT_ECC_ERRDATALO,
            GT_DEV_B0, GT_DMA0_CNT, GT_DMA0_CTRL, GT_DMA_ARB, GT_DMA0_CUR, GT_TC0, GT_TC_CONTROL, GT_PCI0_TOR,
            0xC48, GT_PCI1_IACK, GT_CPU_INTSEL, GT_HINTRCAUSE, GT_PCI1_CFGADDR, GT_PCI1_CFGDATA,
        ];
        for offset in read_only {
            let before = rd(&mut gt, offset);
            wr(&mut gt, offset, !before);
            assert_eq!(rd(&mut gt, offset), before, "{offset:#x}");
        }
        assert_eq!(gt.malformed(), 0);
    }

    #[test]
    fn interrupt_cause_clears_on_zero_and_never_sets() {
        let mut gt = Gt64120::booted();
        wr(&mut gt, GT_INTRCAUSE, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_INTRCAUSE), 0);
        // Linux clears the abort bits around every configuration access.
        wr(&mut gt, GT_INTRCAUSE, !(INTRCAUSE_MASABORT0 | INTRCAUSE_TARABORT0));
        cfg_read(&mut gt, bdf(0, 5, 0, 0));
        assert_eq!(rd(&mut gt, GT_INTRCAUSE), 0, "absent devices do not abort");
        // The summary bit follows the others (internal state).
        gt.set(index_of(GT_INTRCAUSE).unwrap(), INTRCAUSE_MASABORT0 | 1);
        wr(&mut gt, GT_INTRCAUSE, !INTRCAUSE_TARABORT0);
        assert_eq!(rd(&mut gt, GT_INTRCAUSE), INTRCAUSE_MASABORT0 | 1);
        wr(&mut gt, GT_INTRCAUSE, !INTRCAUSE_MASABORT0);
        assert_eq!(rd(&mut gt, GT_INTRCAUSE), 0);
    }

    #[test]
    fn bus_probe_finds_the_host_bridge_and_the_piix4() {
        let mut gt = Gt64120::booted();
        let found: Vec<(u32, u32)> =
            (0..32).map(|d| (d, cfg_read(&mut gt, bdf(0, d, 0, 0)))).filter(|&(_, id)| id != PCI_ABSENT).collect();
        assert_eq!(found, [(0, PCI_ID_GT64120), (10, PCI_ID_PIIX4_ISA)]);
        let piix4: Vec<u32> = (0..8).map(|f| cfg_read(&mut gt, bdf(0, 10, f, 0))).collect();
        assert_eq!(piix4, [PCI_ID_PIIX4_ISA, PCI_ID_PIIX4_IDE, PCI_ID_PIIX4_USB, PCI_ID_PIIX4_PM, !0, !0, !0, !0]);
        // Other functions, other buses, every register of them.
        for (bus, device, function) in
            [(0, 0, 1), (0, 0, 7), (0, 10, 4), (0, 10, 7), (0, 11, 0), (0, 31, 7), (1, 0, 0), (1, 10, 0), (255, 31, 7)]
        {
            for register in (0..256).step_by(4) {
                assert_eq!(cfg_read(&mut gt, bdf(bus, device, function, register)), PCI_ABSENT);
            }
            // Writes are ignored.
            cfg_write(&mut gt, bdf(bus, device, function, 0x40), 0);
            assert_eq!(cfg_read(&mut gt, bdf(bus, device, function, 0x40)), PCI_ABSENT);
        }
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0x40)), 0);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, 0x40)), 0);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 3, 0x40)), 1);
        assert_eq!(gt.malformed(), 0);
    }

    #[test]
    fn host_bridge_configuration_space() {
        let mut gt = Gt64120::booted();
        let header: Vec<u32> = (0..64).map(|r| cfg_read(&mut gt, bdf(0, 0, 0, r * 4))).collect();
        assert_eq!(header[..16], FUNCTIONS[0].header);
        assert_eq!(header[2] >> 8, 0x06_0000, "class: host bridge");
        assert_eq!(header[2] & 0xFF, 0x10, "revision");
        assert!(header[16..].iter().all(|&w| w == 0));
        // Writable bits.
        for (register, written, read) in [
            (0x04, 0xFFFF_FFFF, 0x0280_0507),
            (0x04, 0, 0x0280_0000),
            (0x0C, 0xFFFF_FFFF, 0x0000_00FF),
            (0x10, 0xFFFF_FFFF, 0x0000_0008),
            (0x20, 0x1BE0_0000, 0x1400_0000), // Linux's BAR4 fix-up is lost, as in QEMU
            (0x30, 0xFFFF_FFFF, 0),
            (0x3C, 0xFFFF_FFFF, 0x0000_01FF),
            (0x40, 0x1234_5678, 0x1234_5678),
            (0xFC, 0xA5A5_A5A5, 0xA5A5_A5A5),
        ] {
            cfg_write(&mut gt, bdf(0, 0, 0, register), written);
            assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, register)), read, "register {register:#x}");
        }
        // ConfigEn clear: the write is lost, the read is all ones.
        cfg_write(&mut gt, 0x40, 0xDEAD_BEEF);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), PCI_ABSENT);
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0x40)), 0x1234_5678);
        // CFGADDR keeps its fields only.
        wr(&mut gt, GT_PCI0_CFGADDR, 0xFFFF_FFFF);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGADDR), CFGADDR_MASK);
        wr(&mut gt, GT_PCI0_CFGADDR, 0x7F00_0003);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGADDR), 0);
        assert_eq!(gt.config_address(), 0);
    }

    #[test]
    fn byte_and_halfword_configuration_data() {
        let mut gt = Gt64120::booted();
        wr(&mut gt, GT_PCI0_CFGADDR, bdf(0, 0, 0, 0));
        let bytes: Vec<u32> = (0..4).map(|i| rd_size(&mut gt, GT_PCI0_CFGDATA + i, Byte)).collect();
        assert_eq!(bytes, [0xAB, 0x11, 0x20, 0x46]);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA, Half), 0x11AB);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 2, Half), 0x4620);
        // Byte writes reach their byte only, under the write mask.
        cfg_write(&mut gt, bdf(0, 0, 0, 0x0C), 0);
        gt.write(GT_PCI0_CFGDATA, Byte, 0x10);
        gt.write(GT_PCI0_CFGDATA + 1, Byte, 0x08); // latency timer: read-only
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), 0x10);
        cfg_write(&mut gt, bdf(0, 0, 0, 0x40), 0x1234_5678);
        gt.write(GT_PCI0_CFGDATA + 2, Byte, 0xAA);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), 0x12AA_5678);
        gt.write(GT_PCI0_CFGDATA + 2, Half, 0xBEEF);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), 0xBEEF_5678);
        gt.write(GT_PCI0_CFGDATA, Half, 0x0102_C0DE);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), 0xBEEF_C0DE);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 3, Byte), 0xBE);
        // Command: the high byte keeps SERR# and INTx disable only.
        cfg_write(&mut gt, bdf(0, 0, 0, 0x04), 0);
        gt.write(GT_PCI0_CFGDATA + 1, Byte, 0xFF);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA, Half), 0x0500);
        // Absent devices: all ones in every lane.
        wr(&mut gt, GT_PCI0_CFGADDR, bdf(0, 1, 0, 0));
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 3, Byte), 0xFF);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 2, Half), 0xFFFF);
        // Misaligned halfword: malformed; these were all fine.
        assert_eq!(gt.malformed(), 0);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 1, Half), 0);
        assert_eq!(gt.malformed(), 1);
    }

    #[test]
    fn iack_read_is_reported_not_answered() {
        let mut gt = Gt64120::booted();
        assert_eq!(gt.read(GT_PCI0_IACK, Word), Gt64120Read::InterruptAcknowledge);
        assert_eq!(gt.iack_reads(), 1);
        assert_eq!(gt.iack_value(0x27), 0x27);
        // The second PCI interface's IACK register is just storage.
        assert_eq!(gt.read(GT_PCI1_IACK, Word), Gt64120Read::Value(0));
        // Writes do nothing.
        wr(&mut gt, GT_PCI0_IACK, 0x55);
        assert_eq!(gt.iack_reads(), 1);
        // A byte read is an INTA cycle too, counted as malformed.
        assert_eq!(gt.read(GT_PCI0_IACK, Byte), Gt64120Read::InterruptAcknowledge);
        assert_eq!((gt.iack_reads(), gt.malformed()), (2, 1));
        // Through the trait nothing can answer it.
        assert_eq!(MmioDevice::read(&mut gt, GT_PCI0_IACK, Word), IACK_UNCLAIMED);
        assert_eq!(MmioDevice::read(&mut gt, GT_PCI0_IACK, Byte), 0xFF);
        assert_eq!(gt.iack_reads(), 4);
        // Other registers read the same through the trait.
        assert_eq!(MmioDevice::read(&mut gt, GT_PCI0IOLD, Word), 0xC0);
        MmioDevice::write(&mut gt, GT_INTRMASK, Word, 0xFFFF_FFFF);
        assert_eq!(MmioDevice::read(&mut gt, GT_INTRMASK, Word), 0x3C3F_FFFE);
        assert_eq!(MmioDevice::malformed(&gt), 2, "the byte IACK through the trait");
    }

    #[test]
    fn malformed_accesses() {
        let mut gt = Gt64120::booted();
        // Offsets that are no register: read 0, writes ignored.
        for offset in [0x004, 0x0FC, 0x200, 0x4A0, 0x880, 0xC38, 0xD00, 0xFFC] {
            wr(&mut gt, offset, 0xFFFF_FFFF);
            assert_eq!(rd(&mut gt, offset), 0, "{offset:#x}");
        }
        assert_eq!(gt.malformed(), 16);
        // Outside the window, misaligned.
        assert_eq!(rd(&mut gt, WINDOW), 0);
        wr(&mut gt, WINDOW + GT_PCI0IOLD, 0);
        assert_eq!(rd(&mut gt, GT_PCI0IOLD + 2), 0);
        gt.write(GT_PCI0IOLD + 1, Half, 0);
        assert_eq!(gt.malformed(), 20);
        assert_eq!(rd(&mut gt, GT_PCI0IOLD), 0xC0);
        // Byte and halfword accesses to other registers: performed on the
        // bytes they cover, counted.
        assert_eq!(rd_size(&mut gt, GT_CPU + 1, Byte), 0x10);
        assert_eq!(rd_size(&mut gt, GT_PCI0IOLD + 2, Half), 0);
        assert_eq!(rd_size(&mut gt, GT_PCI0IOLD, Byte), 0xC0);
        gt.write(GT_PCI1M0LD + 1, Byte, 0x55);
        assert_eq!(rd(&mut gt, GT_PCI1M0LD), 0x5510);
        assert_eq!(rd(&mut gt, GT_PCI1M0REMAP), 0x510, "the remap follows");
        gt.write(GT_PCI1M0HD + 2, Half, 3);
        assert_eq!(rd(&mut gt, GT_PCI1M0HD), 0x1F, "outside the mask");
        gt.write(GT_PCI0_CFGADDR + 3, Byte, 0x80);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGADDR), CFGADDR_CONFIGEN);
        assert_eq!(gt.malformed(), 26);
    }

    #[test]
    fn cpu_endianness_bit_swaps_register_values() {
        let mut gt = Gt64120::booted();
        wr(&mut gt, GT_CPU, 0);
        assert_eq!(rd(&mut gt, GT_CPU), 0);
        assert_eq!(rd(&mut gt, GT_PCI0IOLD), 0xC000_0000);
        assert_eq!(rd(&mut gt, GT_MULTI), 0x0300_0000);
        // Values written are swapped too.
        wr(&mut gt, GT_PCI0_CFGADDR, CFGADDR_CONFIGEN.swap_bytes());
        assert_eq!(gt.config_address(), CFGADDR_CONFIGEN);
        assert_eq!(rd(&mut gt, GT_PCI0_CFGDATA), 0x4620_11ABu32.swap_bytes());
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA, Byte), 0x46);
        assert_eq!(gt.iack_value(7), 0x0700_0000);
        wr(&mut gt, GT_CPU, CPU_ENDIAN_LITTLE.swap_bytes());
        assert_eq!(rd(&mut gt, GT_CPU), CPU_ENDIAN_LITTLE);
        assert_eq!(rd(&mut gt, GT_PCI0IOLD), 0xC0);
    }

    #[test]
    fn windows_follow_decode_registers_as_qemu_maps_them() {
        let mut gt = Gt64120::booted();
        let booted = gt.pci0_windows();
        // Low above high: the old mapping stays, the decode says none.
        wr(&mut gt, GT_PCI0M0LD, 0xC0);
        assert_eq!(gt.decode(Decoder::Pci0Mem0), None);
        assert_eq!(gt.pci0_windows(), booted);
        wr(&mut gt, GT_PCI0M0HD, 0x5F);
        let mem0 = Window { base: 0x1800_0000, size: 0x0400_0000 };
        assert_eq!(gt.decode(Decoder::Pci0Mem0), Some(mem0));
        assert_eq!(gt.pci0_windows(), Pci0Windows { mem0, ..booted });
        // PCI_1 windows decode but QEMU maps none of them.
        wr(&mut gt, GT_PCI1IOLD, 0x100);
        wr(&mut gt, GT_PCI1IOHD, 0x01);
        assert_eq!(gt.decode(Decoder::Pci1Io), Some(Window { base: 0x2000_0000, size: 0x40_0000 }));
        assert_eq!(gt.decode(Decoder::Scs10), Some(Window { base: 0, size: 0x0100_0000 }));
        assert_eq!(gt.pci0_windows(), Pci0Windows { mem0, ..booted });
        // The I/O window moves with its low decode register.
        wr(&mut gt, GT_PCI0IOLD, 0xA0);
        wr(&mut gt, GT_PCI0IOHD, 0x20);
        assert_eq!(gt.isa_io_base(), 0x1400_0000);
        assert_eq!(gt.pci0_windows().io.size, 0x20_0000);
    }

    #[test]
    fn summary_prints_windows_and_config_address() {
        let mut gt = Gt64120::booted();
        cfg_read(&mut gt, bdf(0, 10, 3, 0x40));
        gt.read(GT_PCI0_IACK, Word);
        let s = gt.summary();
        assert_eq!(s.config_address, 0x8000_5340);
        assert_eq!(
            s.to_string(),
            "regs 0x1be00000 io 0x18000000+0x200000 mem0 0x10000000+0x8000000 \
             mem1 0x18200000+0x3c00000 cfgaddr 0x80005340 (00:0a.3 reg 0x40) iack 1 malformed 0"
        );
        wr(&mut gt, GT_PCI0_CFGADDR, 0x0001_0004);
        assert!(gt.summary().to_string().contains("cfgaddr 0x00010004 (01:00.0 reg 0x04, disabled)"));
    }

    /// What a Malta Linux kernel does with the GT-64120 at boot
    /// (arch/mips/mti-malta/malta-init.c, arch/mips/pci/pci-malta.c,
    /// ops-gt64xxx_pci0.c, malta-int.c), little-endian.
    #[test]
    fn linux_boot_sequence() {
        let mut gt = Gt64120::booted();
        // prom_init: byte swapping for a little-endian CPU, then the
        // Atlas I/O remap fix-up and the I/O port base.
        wr(&mut gt, GT_PCI0_CMD, PCI_CMD_MBYTESWAP | PCI_CMD_SBYTESWAP);
        let start = rd(&mut gt, GT_PCI0IOLD);
        let map = rd(&mut gt, GT_PCI0IOREMAP);
        assert_ne!(start & map, 0);
        wr(&mut gt, GT_PCI0IOREMAP, map & !start);
        let port_base = (rd(&mut gt, GT_PCI0IOLD) & 0xFFFF) << 21;
        assert_eq!(port_base, 0x1800_0000);
        assert_eq!(u64::from(port_base), gt.isa_io_base());
        // mips_pcibios_init: BAR4 of the GT, then the resource windows.
        cfg_write(&mut gt, bdf(0, 0, 0, 0x20), 0x1BE0_0000);
        let (m0, m0_end) = (rd(&mut gt, GT_PCI0M0LD), rd(&mut gt, GT_PCI0M0HD));
        let (m1, m1_end) = (rd(&mut gt, GT_PCI0M1LD), rd(&mut gt, GT_PCI0M1HD));
        let m0_end = (m0_end & 0x7F) | (m0 & !0x7F);
        let m1_end = (m1_end & 0x7F) | (m1 & !0x7F);
        assert!(m0_end - m0 > m1_end - m1, "Linux picks memory window 0");
        let (mem_start, mem_end) = (m0 << 21, (m0_end << 21) | 0x1F_FFFF);
        assert_eq!((mem_start, mem_end), (0x1000_0000, 0x17FF_FFFF));
        assert_eq!(rd(&mut gt, GT_PCI0M0REMAP) & 0x7F, m0 & 0x7F, "no memory offset");
        let io_map = rd(&mut gt, GT_PCI0IOREMAP);
        let io_end = (rd(&mut gt, GT_PCI0IOHD) & 0x7F) | (start & !0x7F);
        let mask = !(start ^ io_end);
        assert_eq!(((io_map & mask) << 21, ((io_map & mask) | !mask) << 21 | 0x1F_FFFF), (0, 0x1F_FFFF));
        // The bus scan: each access clears the abort bits, sets the
        // address, moves the data and checks for an abort.
        let mut present = Vec::new();
        for device in 0..31 {
            wr(&mut gt, GT_INTRCAUSE, !(INTRCAUSE_MASABORT0 | INTRCAUSE_TARABORT0));
            let id = cfg_read(&mut gt, bdf(0, device, 0, 0));
            let cause = rd(&mut gt, GT_INTRCAUSE);
            assert_eq!(cause & (INTRCAUSE_MASABORT0 | INTRCAUSE_TARABORT0), 0);
            if id & 0xFFFF != 0xFFFF {
                present.push((device, id));
            }
        }
        assert_eq!(present, [(0, PCI_ID_GT64120), (10, PCI_ID_PIIX4_ISA)]);
        // The host bridge's header type and class.
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0x0C)) >> 16 & 0x7F, 0);
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0x08)) >> 16, 0x0600);
        // The PIIX4 is multi-function: the scan goes on to functions 1-7.
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, 0x0C)) >> 16 & 0xFF, 0x80);
        let functions: Vec<u32> =
            (1..8).map(|f| cfg_read(&mut gt, bdf(0, 10, f, 0))).filter(|&id| id != PCI_ABSENT).collect();
        assert_eq!(functions, [PCI_ID_PIIX4_IDE, PCI_ID_PIIX4_USB, PCI_ID_PIIX4_PM]);
        // fixup-malta.c: PIRQ routing (A-D to the ISA IRQs the i8259
        // fix-up made level), one byte at a time as read-modify-writes
        // of the dword (ops-gt64xxx_pci0.c).
        for (pirq, irq) in [10, 10, 11, 11].into_iter().enumerate() {
            let shift = 8 * pirq as u32;
            let dword = cfg_read(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC));
            cfg_write(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC), (dword & !(0xFF << shift)) | (irq << shift));
        }
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC)), 0x0B0B_0A0A);
        // The IDE decode enables (IDETIM, bit 15 of each channel).
        let idetim = cfg_read(&mut gt, bdf(0, 10, 1, 0x40));
        cfg_write(&mut gt, bdf(0, 10, 1, 0x40), idetim | 0x8000_8000);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 1, 0x40)), 0x8000_8000);
        // An i8259 interrupt: the handler reads IACK.
        assert_eq!(gt.read(GT_PCI0_IACK, Word), Gt64120Read::InterruptAcknowledge);
        assert_eq!(gt.iack_value(4) & 0xFF, 4);
        assert_eq!(gt.malformed(), 0);
    }

    #[test]
    fn random_register_traffic_never_panics() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut gt = Gt64120::booted();
        for _ in 0..200_000 {
            let r = next();
            // Mostly inside the window, sometimes beyond.
            let offset = (r >> 8) as u32 % 0x1100;
            let size = [Byte, Half, Word][(r >> 24) as usize % 3];
            let value = (r >> 32) as u32;
            if r % 3 == 0 {
                gt.read(offset, size);
            } else if offset & !3 != GT_CPU {
                gt.write(offset, size, value);
            }
            let w = gt.pci0_windows();
            assert!(w.io.size > 0 && w.mem0.size > 0 && w.mem1.size > 0);
            let _ = gt.summary();
        }
    }

    /// The function at `device`.`function` of bus 0.
    fn function(device: u8, function: u8) -> &'static ConfigFunction {
        FUNCTIONS.iter().find(|f| (f.device, f.function) == (device, function)).unwrap()
    }

    #[test]
    fn configuration_tables_are_consistent() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(f.device < 32 && f.function < 8);
            assert!(FUNCTIONS[..i].iter().all(|g| (g.device, g.function) != (f.device, f.function)));
            // Every writable byte has a slot of its own.
            let mut slots = [false; WRITABLE_BYTES];
            for offset in 0..CONFIG_SIZE {
                if f.wmask(offset) == 0 {
                    continue;
                }
                let slot = writable_slot(offset).unwrap_or_else(|| panic!("{offset:#x} writable without a slot"));
                assert!(!slots[slot], "slot {slot} twice");
                slots[slot] = true;
            }
            assert!(f.wmask(CONFIG_SIZE) == 0 && writable_slot(CONFIG_SIZE).is_none(), "past the space");
            // Defaults are device-specific bytes, once each, not 0.
            for (j, &(offset, value)) in f.defaults.iter().enumerate() {
                assert!(usize::from(offset) >= HEADER_SIZE && value != 0, "{offset:#x}");
                assert!(f.defaults[..j].iter().all(|&(o, _)| o != offset), "{offset:#x} twice");
            }
            // A BAR is an I/O BAR of a power-of-two size.
            if f.bar4_wmask != 0 {
                assert!((!f.bar4_wmask + 1).is_power_of_two() && f.bar4_wmask & 3 == 0);
                assert_eq!(f.header[BAR4 / 4], 1, "I/O, unassigned");
            }
        }
        let slots: Vec<usize> = (0..CONFIG_SIZE).filter_map(writable_slot).collect();
        assert_eq!(slots, (0..WRITABLE_BYTES).collect::<Vec<_>>());
    }

    #[test]
    fn piix4_headers() {
        let mut gt = Gt64120::booted();
        // (function, id, status | command, class | revision, header type, interrupt pin)
        for (f, id, status, class, header_type, pin) in [
            (0, PCI_ID_PIIX4_ISA, 0x0200_0000, 0x0601_0000, 0x80, 0),
            (1, PCI_ID_PIIX4_IDE, 0x0280_0000, 0x0101_8000, 0, 0),
            (2, PCI_ID_PIIX4_USB, 0, 0x0C03_0001, 0, 4),
            (3, PCI_ID_PIIX4_PM, 0x0280_0000, 0x0680_0003, 0, 1),
        ] {
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x00)), id, "function {f}");
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x04)), status, "function {f}");
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x08)), class, "function {f}");
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x0C)), header_type << 16, "function {f}");
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x2C)), SUBSYSTEM_QEMU, "function {f}");
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, 0x3C)), pin << 8, "function {f}");
        }
        // The registers software reads first.
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC)), 0x0B0B_0A0A);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, 0x68)) >> 8 & 0xFF, 0x02, "TOM");
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, 0x64)) & 0xFF, 0, "SERIRQC");
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 2, 0x60)) & 0xFF, 0x10, "SBRN");
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 3, PIIX4_PMBA)), 0x0000_0001);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 3, PIIX4_SMBBA)), 0x0000_1101);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 3, 0xD0)) >> 16 & 0xFF, 0x09, "SMBHSTCFG");
        assert_eq!(gt.malformed(), 0);
    }

    #[test]
    fn piix4_bar_sizing() {
        let mut gt = Gt64120::booted();
        for (f, size) in [(1, 16u32), (2, 32)] {
            let bar = bdf(0, 10, f, 0x20);
            cfg_write(&mut gt, bar, 0xFFFF_FFFF);
            let mask = cfg_read(&mut gt, bar);
            assert_eq!(mask, !(size - 1) | 1, "function {f}: size mask, I/O");
            assert_eq!(!(mask & !3) + 1, size);
            // Bit 0 stays set; low bits read 0; all 32 bits are kept, as
            // in QEMU (the PIIX4 decodes 16).
            cfg_write(&mut gt, bar, 0x0000_1020);
            assert_eq!(cfg_read(&mut gt, bar), 0x0000_1021);
            cfg_write(&mut gt, bar, 0x1234_567E);
            assert_eq!(cfg_read(&mut gt, bar), (0x1234_567E & !(size - 1)) | 1);
            cfg_write(&mut gt, bar, 0);
            assert_eq!(cfg_read(&mut gt, bar), 1);
            // The other BARs and the expansion ROM are not there.
            for register in [0x10, 0x14, 0x18, 0x1C, 0x24, 0x30] {
                cfg_write(&mut gt, bdf(0, 10, f, register), 0xFFFF_FFFF);
                assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, register)), 0, "function {f} {register:#x}");
            }
        }
        // Functions 0 and 3 have no BAR at all.
        for f in [0, 3] {
            for register in (0x10..0x28).step_by(4).chain([0x30]) {
                cfg_write(&mut gt, bdf(0, 10, f, register), 0xFFFF_FFFF);
                assert_eq!(cfg_read(&mut gt, bdf(0, 10, f, register)), 0, "function {f} {register:#x}");
            }
        }
    }

    #[test]
    fn piix4_write_masks() {
        let mut gt = Gt64120::booted();
        for f in 0..4u8 {
            let spec = function(10, f);
            for offset in 0..CONFIG_SIZE as u32 {
                let before = cfg_read(&mut gt, bdf(0, 10, u32::from(f), offset & !3));
                // A byte write of the complement of the byte.
                wr(&mut gt, GT_PCI0_CFGADDR, bdf(0, 10, u32::from(f), offset & !3));
                let lane = 8 * (offset & 3);
                let old = (before >> lane) & 0xFF;
                gt.write(GT_PCI0_CFGDATA + (offset & 3), Byte, !old);
                let after = cfg_read(&mut gt, bdf(0, 10, u32::from(f), offset & !3));
                let wmask = u32::from(spec.wmask(offset as usize));
                assert_eq!(after, before ^ (wmask << lane), "function {f} byte {offset:#x}");
                // Put it back.
                cfg_write(&mut gt, bdf(0, 10, u32::from(f), offset & !3), before);
            }
        }
        // The command register keeps I/O, memory, bus master, SERR#, INTx
        // disable; status bits are never written (none is set to clear).
        cfg_write(&mut gt, bdf(0, 10, 1, 0x04), 0xFFFF_FFFF);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 1, 0x04)), 0x0280_0507);
        assert_eq!(gt.malformed(), 0);
    }

    #[test]
    fn mbyteswap_clear_swaps_all_but_the_host_bridge() {
        let mut gt = Gt64120::booted();
        wr(&mut gt, GT_PCI0_CMD, PCI_CMD_SBYTESWAP);
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0)), PCI_ID_GT64120);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, 0)), PCI_ID_PIIX4_ISA.swap_bytes());
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 5, 0)), PCI_ABSENT);
        cfg_write(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC), 0x0102_0304);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC)), 0x0102_0304);
        // Byte lanes swap too: the byte at CFGDATA reaches byte 3 (0x63).
        gt.write(GT_PCI0_CFGDATA, Byte, 0x80);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA, Byte), 0x80);
        assert_eq!(rd_size(&mut gt, GT_PCI0_CFGDATA + 2, Half), 0x0102);
        wr(&mut gt, GT_PCI0_CMD, PCI_CMD_MBYTESWAP | PCI_CMD_SBYTESWAP);
        assert_eq!(cfg_read(&mut gt, bdf(0, 10, 0, PIIX4_PIRQRC)), 0x8003_0201);
        // The host bridge's own writes are never swapped.
        wr(&mut gt, GT_PCI0_CMD, 0);
        cfg_write(&mut gt, bdf(0, 0, 0, 0x40), 0x1122_3344);
        wr(&mut gt, GT_PCI0_CMD, PCI_CMD_MBYTESWAP);
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0x40)), 0x1122_3344);
        assert_eq!(gt.malformed(), 0);
    }

    /// Every dword of every function of bus 0 (absent ones too).
    fn bus_dump(gt: &mut Gt64120) -> Vec<u32> {
        (0..32 * 8 * 64).map(|i| cfg_read(gt, bdf(0, i >> 9, (i >> 6) & 7, (i & 63) * 4))).collect()
    }

    #[test]
    fn reset_restores_every_configuration_byte() {
        let mut fresh = Gt64120::booted();
        let booted = bus_dump(&mut fresh);
        let mut gt = Gt64120::booted();
        for i in 0..32 * 8 * 64 {
            cfg_write(&mut gt, bdf(0, i >> 9, (i >> 6) & 7, (i & 63) * 4), 0xA5A5_A5A5);
        }
        assert_ne!(bus_dump(&mut gt), booted);
        gt.reset();
        gt.boot_setup();
        assert_eq!(bus_dump(&mut gt), booted);
        let mut new = Gt64120::new();
        gt.reset();
        assert_eq!(bus_dump(&mut gt), bus_dump(&mut new));
        assert_eq!(gt.summary(), new.summary());
        for r in REGS {
            assert_eq!(gt.register(r.offset), new.register(r.offset), "{:#x}", r.offset);
        }
    }

    #[test]
    fn random_configuration_traffic_never_panics() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut gt = Gt64120::booted();
        for _ in 0..200_000 {
            let r = next();
            let value = (r >> 32) as u32;
            match r % 8 {
                // Any address, mostly on bus 0 and the devices that answer.
                0 => {
                    let address = match (r >> 3) % 3 {
                        0 => value,
                        1 => CFGADDR_CONFIGEN | (value & 0x0000_FFFF),
                        _ => bdf(0, [0, 10][(r >> 5) as usize % 2], (value >> 8) & 7, value & 0xFF),
                    };
                    wr(&mut gt, GT_PCI0_CFGADDR, address);
                }
                // The swap bits, now and then.
                1 if (r >> 3) % 16 == 0 => wr(&mut gt, GT_PCI0_CMD, value),
                1 if (r >> 3) % 16 == 1 => wr(&mut gt, GT_CPU, value & CPU_ENDIAN_LITTLE),
                _ => {
                    let size = [Byte, Half, Word][(r >> 8) as usize % 3];
                    let offset = GT_PCI0_CFGDATA + ((r >> 12) as u32 & 3);
                    if r & (1 << 20) != 0 {
                        gt.read(offset, size);
                    } else {
                        gt.write(offset, size, value);
                    }
                }
            }
            let _ = gt.summary();
        }
        // Whatever was written, the read-only bytes kept their values.
        // (This value sets the endianness bit swapped or not.)
        wr(&mut gt, GT_CPU, CPU_ENDIAN_LITTLE | CPU_ENDIAN_LITTLE.swap_bytes());
        wr(&mut gt, GT_PCI0_CMD, PCI_CMD_MBYTESWAP);
        for (f, id) in [PCI_ID_PIIX4_ISA, PCI_ID_PIIX4_IDE, PCI_ID_PIIX4_USB, PCI_ID_PIIX4_PM].into_iter().enumerate() {
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f as u32, 0)), id);
            assert_eq!(cfg_read(&mut gt, bdf(0, 10, f as u32, 0x08)), function(10, f as u8).header[2]);
        }
        assert_eq!(cfg_read(&mut gt, bdf(0, 0, 0, 0)), PCI_ID_GT64120);
    }
}

/// The register script of `traces/gt64120_trace.S` (run on QEMU Malta with
/// `-kernel`, after QEMU's boot loader), replayed on
/// [`Gt64120::booted`].
#[cfg(test)]
mod qemu_trace {
    use super::*;
    use AccessSize::{Byte, Half, Word};

    /// The i8259s' answer in the script: all interrupts masked, vector
    /// base 0 (never initialised), so the master reports spurious IRQ 7.
    const SPURIOUS: u8 = 7;

    enum Op {
        R(u32, AccessSize),
        W(u32, AccessSize, u32),
        Nl,
    }

    /// The script, built as the assembly macros expand.
    #[derive(Default)]
    struct Script(Vec<Op>);

    impl Script {
        fn r(&mut self, offsets: &[u32]) -> &mut Self {
            self.0.extend(offsets.iter().map(|&o| Op::R(o, Word)));
            self
        }
        fn rb(&mut self, offset: u32) -> &mut Self {
            self.0.push(Op::R(offset, Byte));
            self
        }
        fn rh(&mut self, offset: u32) -> &mut Self {
            self.0.push(Op::R(offset, Half));
            self
        }
        fn w(&mut self, offset: u32, value: u32) -> &mut Self {
            self.0.push(Op::W(offset, Word, value));
            self
        }
        fn wb(&mut self, offset: u32, value: u32) -> &mut Self {
            self.0.push(Op::W(offset, Byte, value));
            self
        }
        fn wh(&mut self, offset: u32, value: u32) -> &mut Self {
            self.0.push(Op::W(offset, Half, value));
            self
        }
        /// A configuration read.
        fn cr(&mut self, address: u32) -> &mut Self {
            self.w(0xCF8, address).r(&[0xCFC])
        }
        /// A configuration write.
        fn cw(&mut self, address: u32, value: u32) -> &mut Self {
            self.w(0xCF8, address).w(0xCFC, value)
        }
        /// A write, then a read of the same register.
        fn wr(&mut self, offset: u32, value: u32) -> &mut Self {
            self.w(offset, value).r(&[offset])
        }
        fn nl(&mut self) -> &mut Self {
            self.0.push(Op::Nl);
            self
        }
    }

    #[rustfmt::skip]
    fn script() -> Script {
        let mut s = Script::default();
        // 1 what Linux reads at boot
        s.r(&[0x000, 0x120, 0x068, 0x048, 0x050, 0x0f0, 0x058, 0x060, 0x0f8, 0x080, 0x088, 0x100,
              0xc00, 0xcf8, 0xc18]).nl();
        // 2 CPU address decode
        s.r(&[0x008, 0x010, 0x018, 0x020, 0x028, 0x030, 0x038, 0x040, 0x090, 0x098, 0x0a0, 0x0a8,
              0x0b0, 0x0b8, 0x0d0, 0x0d8, 0x0e0, 0x0e8, 0x108, 0x110, 0x118]).nl();
        // 3 CPU error, sync barriers, ECC
        s.r(&[0x070, 0x078, 0x128, 0x130, 0x138, 0x0c0, 0x0c8, 0x480, 0x484, 0x488, 0x48c, 0x490]).nl();
        // 4 SDRAM and device decode, ADERR, SDRAM configuration and parameters
        s.r(&[0x400, 0x404, 0x408, 0x40c, 0x410, 0x414, 0x418, 0x41c, 0x420, 0x424, 0x428, 0x42c,
              0x430, 0x434, 0x438, 0x43c, 0x440, 0x444, 0x470, 0x448, 0x474, 0x478, 0x47c,
              0x44c, 0x450, 0x454, 0x458]).nl();
        // 5 device parameters, DMA, timer/counter
        s.r(&[0x45c, 0x460, 0x464, 0x468, 0x46c, 0x800, 0x810, 0x820, 0x830, 0x840, 0x860, 0x87c,
              0x850, 0x854, 0x858, 0x85c, 0x864]).nl();
        // 6 PCI internal
        s.r(&[0xc04, 0xc08, 0xc0c, 0xc10, 0xc14, 0xc30, 0xc3c, 0xc40, 0xc48, 0xc4c, 0xc50, 0xc54,
              0xc58, 0xc5c, 0xc64, 0xc80, 0xc84, 0xc88, 0xc8c, 0xc90, 0xc94, 0xcbc, 0xcc0,
              0xcc8, 0xccc, 0xcd0, 0xcd4, 0xcd8, 0xcdc, 0xce4, 0xcf0, 0xcf4]).nl();
        // 7 interrupt registers
        s.r(&[0xc18, 0xc1c, 0xc24, 0xc28, 0xc70, 0xc74, 0xc98, 0xc9c, 0xca4, 0xca8]).nl();
        // 8 offsets that are no register
        s.r(&[0x004, 0x0fc, 0x200, 0x4a0, 0x880, 0xc38, 0xd00, 0xffc]).nl();
        // 9-16 configuration space of 00:00.0
        for line in 0..8 {
            for r in 0..8 {
                s.cr(0x8000_0000 + line * 0x20 + r * 4);
            }
            s.nl();
        }
        // 17-20 bus 0 probe
        for d in 0..32 {
            s.cr(0x8000_0000 + (d << 11));
            if (d + 1) % 8 == 0 {
                s.nl();
            }
        }
        // 21 other functions and buses; ConfigEn clear; CFGADDR mask
        s.cr(0x8000_0100).cr(0x8000_0700).cr(0x8001_0000).cr(0x80ff_0000).cr(0x80ff_fffc);
        s.w(0xcf8, 0).r(&[0xcfc, 0xcf8]);
        s.wr(0xcf8, 0xffff_ffff).wr(0xcf8, 0x7f00_0003).nl();
        // 22 configuration writes to 00:00.0
        for (register, value) in [(0x04, 0xffff_ffff), (0x04, 0), (0x0c, 0xffff_ffff), (0x10, 0xffff_ffff),
                                  (0x20, 0x1be0_0000), (0x30, 0xffff_ffff), (0x3c, 0xffff_ffff),
                                  (0x40, 0x1234_5678), (0xfc, 0xa5a5_a5a5)] {
            s.cw(0x8000_0000 + register, value).r(&[0xcfc]);
        }
        s.nl();
        // 23 writes that must not land
        s.cw(0x0000_0040, 0xdead_beef).cr(0x8000_0040);
        s.cw(0x8000_0840, 0xdead_beef).cr(0x8000_0840);
        s.cw(0x8001_0040, 0xdead_beef).cr(0x8001_0040).cr(0x8000_0040).nl();
        // 24 byte and halfword CFGDATA reads
        s.w(0xcf8, 0x8000_0000).rb(0xcfc).rb(0xcfd).rb(0xcfe).rb(0xcff).rh(0xcfc).rh(0xcfe).nl();
        // 25 byte and halfword CFGDATA writes
        s.cw(0x8000_000c, 0).wb(0xcfc, 0x10).r(&[0xcfc]).wb(0xcfd, 0x08).r(&[0xcfc]);
        s.cw(0x8000_0040, 0x1234_5678).wb(0xcfe, 0xaa).r(&[0xcfc]);
        s.cw(0x8000_0040, 0x1234_5678).wh(0xcfe, 0xbeef).r(&[0xcfc]);
        s.cw(0x8000_0040, 0x1234_5678).wb(0xcff, 0x99).r(&[0xcfc]).rb(0xcff).nl();
        // 26 CPU, MULTI, PCI0IOLD and its remap, PCI1 windows
        s.wr(0x000, 0xffff_ffff).wr(0x000, 0x0000_1000).wr(0x120, 0);
        s.wr(0x048, 0xffff_80c0).r(&[0x0f0]);
        s.wr(0x0f0, 0xffff_ffff).wr(0x0f0, 0).r(&[0x048]);
        s.wr(0x090, 0xffff_ffff).r(&[0x108]).wr(0x098, 0xffff_ffff);
        s.wr(0x0a0, 0x1234_5678).r(&[0x110]).wr(0x0b8, 0x1234_5678).nl();
        // 27 PCI0 memory windows
        s.wr(0x060, 0x1f).wr(0x060, 0x3f).wr(0x100, 0).wr(0x080, 0xc1).r(&[0x100]).nl();
        // 28 registers QEMU does not let the guest change
        s.wr(0x008, 0x55).wr(0x0d0, 0x55).wr(0x070, 0x55).wr(0x0c0, 0x55).wr(0x488, 0x55).wr(0x45c, 0);
        s.wr(0x800, 0x1234).wr(0x840, 0x1234).wr(0x850, 0).wr(0xc04, 0).wr(0xc48, 0x55).wr(0xcf0, 0x55);
        s.w(0xc34, 0x55).wr(0xc98, 0xffff_ffff).wr(0xc70, 0xffff_ffff).nl();
        // 29 stored registers
        s.wr(0x400, 0xffff_ffff).wr(0x470, 0).wr(0x448, 0x1234_5678).wr(0x44c, 0x1234_5678);
        s.wr(0xc00, 0xffff_ffff).wr(0xc00, 0x0001_0001).wr(0xc80, 0xffff_ffff);
        s.wr(0xc18, 0xffff_ffff).wr(0xc18, 0).wr(0xc1c, 0xffff_ffff).wr(0xc24, 0xffff_ffff);
        s.wr(0xc28, 0xffff_ffff).wr(0x200, 0xffff_ffff).nl();
        // 30 byte and halfword accesses to other registers
        s.rb(0x048).rb(0x049).rh(0x04a).rb(0x001).rh(0x000);
        s.wb(0x0a1, 0x55).r(&[0x0a0, 0x110]).wh(0x0aa, 0x0003).r(&[0x0a8]).nl();
        // 31 MByteSwap clear
        s.wr(0xc00, 0).cr(0x8000_0000).cr(0x8000_0800).cr(0x8000_5000).wr(0xc00, 0x0001_0001).nl();
        // 32 GT_CPU endianness bit clear
        s.wr(0x000, 0).r(&[0x048, 0x120]).wr(0xcf8, 0x0000_0080).r(&[0xcfc]);
        s.wr(0x000, 0x0010_0000).r(&[0x048]).nl();
        // 33 interrupt acknowledge
        s.r(&[0xc34, 0xc34]).rb(0xc34).nl();
        s
    }

    fn replay(script: &Script) -> (String, Gt64120) {
        let mut gt = Gt64120::booted();
        let mut out = String::new();
        for op in &script.0 {
            match *op {
                Op::R(offset, size) => {
                    let value = match gt.read(offset, size) {
                        Gt64120Read::Value(v) => v,
                        Gt64120Read::InterruptAcknowledge => gt.iack_value(SPURIOUS) & size.mask(),
                    };
                    out += &match size {
                        Byte => format!("{value:02x} "),
                        Half => format!("{value:04x} "),
                        Word => format!("{value:08x} "),
                    };
                }
                Op::W(offset, size, value) => gt.write(offset, size, value),
                Op::Nl => out.push('\n'),
            }
        }
        (out, gt)
    }

    /// Lines QEMU 7.2 printed for the same script (`qemu-system-mipsel -M
    /// malta -cpu 24Kf -m 128 -vga none -nic none -kernel`), and where the
    /// model differs on purpose.
    #[test]
    fn matches_qemu_except_where_documented() {
        #[rustfmt::skip]
        let qemu = [
            "00001000 00000003 000000df 000000c0 00000040 000000c0 00000080 0000003f 00000080 000000c1 0000005e 000000c1 00010001 00000000 00000000 ",
            "00000000 00000007 00000008 0000000f 000000e0 00000070 000000f8 0000007f 00000100 0000000f 00000110 0000001f 00000120 0000002f 00000000 00000008 000000e0 000000f8 00000100 00000110 00000120 ",
            "00000000 00000000 ffffffff ffffffff 000000ff c000ffee c000ffee 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000007 00000008 0000000f 00000010 00000017 00000018 0000001f 000000c0 000000c7 000000c8 000000cf 000000d0 000000df 000000f0 000000fb 000000fc 000000ff ffffffff 00000200 00000000 00000007 00000002 00000005 00000005 00000005 00000005 ",
            "386fffff 386fffff 386fffff 386fffff 146fffff 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff 00ffffff 00ffffff 00ffffff 00000000 ",
            "0000070f 00fff000 00fff000 01fff000 00fff000 00000000 0000000f 00000040 00000000 01000000 1c000000 1f000000 00000000 01000000 1f000000 00010001 0000070f 00fff000 00fff000 01fff000 00fff000 0000000f 00000040 00000000 01000000 1c000000 1f000000 00000000 01000000 1f000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "462011ab 02800000 06000010 00000000 00000008 01000008 1c000000 1f000000 ",
            "14000000 14000001 00000000 11001af4 00000000 00000000 00000000 00000100 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "462011ab ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff 71108086 ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff 00000000 80fffffc 00000000 ",
            "02800507 02800000 000000ff 00000008 14000000 00000000 000001ff 12345678 a5a5a5a5 ",
            "12345678 ffffffff ffffffff 12345678 ",
            "ab ab ab ab 11ab 11ab ",
            "00000010 00000008 000000aa 0000beef 00000099 99 ",
            "ffffffff 00001000 00000003 000000c0 000000c0 000007ff 00000000 000000c0 00007fff 000007ff 0000007f 00005678 00000678 00000078 ",
            "0000001f 0000003f 00000000 000000c1 000000c1 ",
            "00000000 00000000 00000000 c000ffee 00000000 386fffff 00000000 00000000 ffffffff 0000070f 00000000 00000000 00000000 00000000 ",
            "ffffffff 00000000 12345678 12345678 0401fc0f 00010001 0401fc0f 00000000 00000000 3c3ffffe 03fffffe 0000003f 00000000 ",
            "c0 c0 00c0 00 1000 00000055 00000055 00000003 ",
            "00000000 462011ab ffffffff 86801071 00010001 ",
            "00000000 c0000000 03000000 00000080 ab112046 00001000 000000c0 ",
            "00000007 00000007 07 ",
        ];
        let (ours, gt) = replay(&script());
        let ours: Vec<&str> = ours.lines().collect();
        for (i, (ours, qemu)) in ours.iter().zip(qemu).enumerate() {
            let expected = match i + 1 {
                // Byte and halfword CFGDATA accesses reach the bytes at
                // register + (offset & 3), as pci_data_read/write do; QEMU's
                // GT widens them to the whole dword at the register (reads
                // give its low bytes; writes store the value zero-extended).
                24 => "ab 11 20 46 11ab 4620 ",
                25 => "00000010 00000010 12aa5678 beef5678 99345678 99 ",
                // Byte and halfword accesses to other registers: the bytes
                // they cover (QEMU widens them as above). The byte at
                // PCI1M0LD+1 replaces bits 15:8 of 0x5678 (line 26); the
                // halfword at PCI1M0HD+2 lands outside its 7-bit mask.
                30 => "c0 00 0000 10 1000 00005578 00000578 0000001f ",
                _ => qemu,
            };
            assert_eq!(*ours, expected, "line {}", i + 1);
        }
        assert_eq!(ours.len(), qemu.len());
        // Malformed: the seven byte and halfword accesses to registers
        // other than CFGDATA (line 30), the byte IACK (line 33), and the
        // offsets that are no register (lines 8 and 29).
        assert_eq!(gt.malformed(), 7 + 1 + 8 + 2);
        assert_eq!(gt.iack_reads(), 3);
    }
}

/// The script of `traces/piix4_config_trace.S` (run on QEMU Malta with
/// `-kernel`, after QEMU's boot loader): every configuration dword of the
/// PIIX4's four functions as found, after writing all ones, after writing
/// 0 (each time writing the original back) and again as found; then
/// absent functions, MByteSwap and what Linux writes. Replayed on
/// [`Gt64120::booted`].
#[cfg(test)]
mod qemu_piix4_trace {
    use super::*;
    use AccessSize::Word;

    struct Replay {
        gt: Gt64120,
        out: String,
    }

    impl Replay {
        fn rw(&mut self, offset: u32) -> u32 {
            match self.gt.read(offset, Word) {
                Gt64120Read::Value(v) => v,
                Gt64120Read::InterruptAcknowledge => panic!("IACK at {offset:#x}"),
            }
        }
        fn ww(&mut self, offset: u32, value: u32) {
            self.gt.write(offset, Word, value);
        }
        fn print(&mut self, value: u32) {
            self.out += &format!("{value:08x} ");
        }
        fn nl(&mut self) {
            self.out.push('\n');
        }
        /// A configuration read, printed (`CR`).
        fn cr(&mut self, address: u32) {
            self.ww(GT_PCI0_CFGADDR, address);
            let value = self.rw(GT_PCI0_CFGDATA);
            self.print(value);
        }
        /// A configuration write (`CW`).
        fn cw(&mut self, address: u32, value: u32) {
            self.ww(GT_PCI0_CFGADDR, address);
            self.ww(GT_PCI0_CFGDATA, value);
        }
        /// `dump`: the 64 dwords of the function at `base`, eight a line.
        fn dump(&mut self, base: u32) {
            for r in (0..256).step_by(4) {
                self.cr(base + r);
                if (r + 4) % 32 == 0 {
                    self.nl();
                }
            }
        }
        /// `probe`: each dword written with `value`, read, written back.
        fn probe(&mut self, base: u32, value: u32) {
            for r in (0..256).step_by(4) {
                self.ww(GT_PCI0_CFGADDR, base + r);
                let original = self.rw(GT_PCI0_CFGDATA);
                self.ww(GT_PCI0_CFGDATA, value);
                let read = self.rw(GT_PCI0_CFGDATA);
                self.ww(GT_PCI0_CFGDATA, original);
                self.print(read);
                if (r + 4) % 32 == 0 {
                    self.nl();
                }
            }
        }
    }

    fn replay() -> Replay {
        let mut s = Replay { gt: Gt64120::booted(), out: String::new() };
        // 1-128 each function: as found, all ones, zeros, as found
        for function in 0..4 {
            let base = 0x8000_5000 + (function << 8);
            s.dump(base);
            s.probe(base, 0xFFFF_FFFF);
            s.probe(base, 0);
            s.dump(base);
        }
        // 129 absent functions and devices; CFGADDR drops bits 1:0
        for address in [0x8000_5400, 0x8000_5700, 0x8001_5000, 0x8000_5800, 0x8000_5063] {
            s.cr(address);
        }
        s.nl();
        // 130 a write to an absent function
        s.cw(0x8000_5460, 0x0B0B_0A0A);
        s.cr(0x8000_5460);
        s.cr(0x8000_5060);
        s.nl();
        // 131 MByteSwap clear
        s.ww(GT_PCI0_CMD, 0);
        s.cw(0x8000_5060, 0x0B0B_0A0A);
        s.cr(0x8000_5060);
        s.cr(0x8000_5000);
        s.cr(0x8000_0000);
        s.ww(GT_PCI0_CMD, 0x0001_0001);
        s.cr(0x8000_5060);
        s.cw(0x8000_5060, 0x8080_8080);
        s.cr(0x8000_5060);
        s.nl();
        // 132 Linux's fix-ups: PIRQ routing, TOM, SERIRQ control, DLC, IDETIM
        for (address, value) in [
            (0x8000_5060, 0x0B0B_0A0A),
            (0x8000_5068, 0x0000_F000),
            (0x8000_5064, 0x0000_00D0),
            (0x8000_5080, 0x0007_0000),
            (0x8000_5140, 0x8000_8000),
        ] {
            s.cw(address, value);
            s.cr(address);
        }
        s.nl();
        s
    }

    /// Lines QEMU 7.2 printed for the script (`qemu-system-mipsel -M malta
    /// -cpu 24Kf -m 128 -vga none -nic none -kernel`): the model prints
    /// every one of them.
    #[test]
    fn matches_qemu() {
        #[rustfmt::skip]
        let qemu = [
            "71108086 02000000 06010000 00800000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 0003004d 00000000 00000000 00000000 00000000 ",
            "0b0b0a0a 00000000 00000200 00000000 00000080 0c0c0000 00000002 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000008 00000000 0000000f 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71108086 02000507 06010000 008000ff 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 000000ff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "71108086 02000000 06010000 00800000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71108086 02000000 06010000 00800000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 0003004d 00000000 00000000 00000000 00000000 ",
            "0b0b0a0a 00000000 00000200 00000000 00000080 0c0c0000 00000002 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000008 00000000 0000000f 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71118086 02800000 01018000 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71118086 02800507 01018000 000000ff 00000000 00000000 00000000 00000000 ",
            "fffffff1 00000000 00000000 11001af4 00000000 00000000 00000000 000000ff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "71118086 02800000 01018000 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71118086 02800000 01018000 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71128086 00000000 0c030001 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000400 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000010 00000000 00010000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71128086 00000507 0c030001 000000ff 00000000 00000000 00000000 00000000 ",
            "ffffffe1 00000000 00000000 11001af4 00000000 00000000 00000000 000004ff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "71128086 00000000 0c030001 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000400 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71128086 00000000 0c030001 00000000 00000000 00000000 00000000 00000000 ",
            "00000001 00000000 00000000 11001af4 00000000 00000000 00000000 00000400 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000010 00000000 00010000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71138086 02800000 06800003 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000100 ",
            "00000001 00000000 00000000 00000000 00000000 00000000 02000000 90000000 ",
            "60000000 98000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00001101 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00090000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71138086 02800507 06800003 000000ff 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 000001ff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ",
            "71138086 02800000 06800003 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000100 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "71138086 02800000 06800003 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 11001af4 00000000 00000000 00000000 00000100 ",
            "00000001 00000000 00000000 00000000 00000000 00000000 02000000 90000000 ",
            "60000000 98000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00001101 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00090000 00000000 00000000 00000000 ",
            "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ",
            "ffffffff ffffffff ffffffff ffffffff 0b0b0a0a ",
            "ffffffff 0b0b0a0a ",
            "0b0b0a0a 86801071 462011ab 0a0a0b0b 80808080 ",
            "0b0b0a0a 0000f000 000000d0 00070000 80008000 ",
        ];
        let s = replay();
        let ours: Vec<&str> = s.out.lines().collect();
        for (i, (ours, qemu)) in ours.iter().zip(qemu).enumerate() {
            assert_eq!(*ours, qemu, "line {}", i + 1);
        }
        assert_eq!(ours.len(), qemu.len());
        assert_eq!(s.gt.malformed(), 0);
    }
}
