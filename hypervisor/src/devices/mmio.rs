//! Emulation of a guest load or store that hit an emulated device.
//!
//! The instruction is described by the generated decoder
//! (`Insn::mem_access`); the device accesses go through the guest's [`Bus`].
//! What a device sees, per instruction (little-endian; `k` = address & 3):
//!
//! - `lb lbu lh lhu lw ll`: one access of the instruction's width at the
//!   effective address, which must be aligned (else AdEL); the value is
//!   sign- or zero-extended into `rt`. `ll` is a plain load (see `sc`).
//! - `sb sh sw`: one access of the width (aligned, else AdES) with the low
//!   bytes of `rt`.
//! - `lwl lwr`: one aligned word read (as QEMU does); `lwr` puts memory
//!   bytes `k..=3` into the low `4 - k` bytes of `rt`, `lwl` puts bytes
//!   `0..=k` into the high `k + 1` bytes, the other bytes of `rt` kept
//!   (the MIPS32 manual's little-endian tables).
//! - `swl swr`: byte writes, in QEMU's order: `swr` writes `rt`'s low
//!   `4 - k` bytes to addresses `a, a+1, ..` (bytes `k..=3`), `swl` writes
//!   `rt`'s high `k + 1` bytes, most significant first, to `a, a-1, ..`
//!   (bytes `k..=0`). All of them must reach one device or none is written.
//! - `sc`: never succeeds on a device: `rt` = 0 and nothing is written
//!   (a reservation on device memory means nothing; guests do not rely
//!   on one).
//! - FPU and COP2 loads and stores (`lwc1 ldc1 swc1 sdc1 lwxc1 ...`):
//!   rejected with [`MmioError::Coprocessor`]; the guest takes a data bus
//!   error.
//!
//! A load into `$zero` still reads the device (the read may have side
//! effects) and discards the value. The PC is the caller's: on success it
//! advances past the instruction (or, if it sat in a branch delay slot,
//! goes where the branch says: `emulator::Cpu::branch_effect`).
use emulator::addrmap::{Access, GuestPhys, GuestVirt};
use emulator::{Exception, ExceptionKind};
use isa_spec::{Insn, MemAccess, MemKind};

use super::bus::{Bus, BusFault};
use crate::devices::AccessSize;

/// What an emulated access reaches by guest-physical address: the guest's
/// devices (its [`Bus`]), and for a caller that can, its RAM (a kernel
/// segment the host cannot map for it, like the kvm-guest map's native
/// KSEG0).
pub trait Target {
    fn read(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<u32, BusFault>;
    fn write(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Result<(), BusFault>;
    /// `len` bytes from `gpa` reach one device or RAM region, all of them.
    fn check(&mut self, gpa: GuestPhys, len: u32) -> Result<(), BusFault>;
    /// Counts an access the emulation refused.
    fn note_rejected(&mut self);
}

impl Target for Bus {
    fn read(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<u32, BusFault> {
        Bus::read(self, gpa, size)
    }
    fn write(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Result<(), BusFault> {
        Bus::write(self, gpa, size, value)
    }
    fn check(&mut self, gpa: GuestPhys, len: u32) -> Result<(), BusFault> {
        Bus::check(self, gpa, len)
    }
    fn note_rejected(&mut self) {
        self.stats.rejected = self.stats.rejected.wrapping_add(1);
    }
}

/// An emulated access, for tracing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioDone {
    pub kind: MemKind,
    /// The effective (guest-virtual) address.
    pub va: GuestVirt,
    /// Its guest-physical address.
    pub gpa: GuestPhys,
    /// Loads: the value written to `rt`; stores: `rt`'s value.
    pub value: u32,
}

/// Why the access was not emulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioError {
    /// Not a load or store moving data to or from a GPR or FPR (no memory
    /// operand, or `cache`/`pref`/`synci`, or an undecodable word).
    NotLoadStore,
    /// A load (`store` false) or store at an address its width does not
    /// align with: the guest takes AdEL / AdES with BadVAddr = `va`.
    Unaligned { va: GuestVirt, store: bool },
    /// The guest's translation of the address failed with this exception.
    Translation(Exception),
    /// An FPU or COP2 transfer to a device: the guest takes a data bus error.
    Coprocessor { va: GuestVirt },
    /// No device (or not the whole access) at the address: the guest takes
    /// a data bus error.
    Bus(BusFault),
}

impl MmioError {
    /// The exception the guest should take, `None` for `NotLoadStore`
    /// (the caller's own problem: it is not a data access).
    pub fn exception(&self) -> Option<Exception> {
        match *self {
            MmioError::NotLoadStore => None,
            MmioError::Unaligned { va, store: false } => Some(Exception::at(ExceptionKind::AddressErrorLoad, va.0)),
            MmioError::Unaligned { va, store: true } => Some(Exception::at(ExceptionKind::AddressErrorStore, va.0)),
            MmioError::Translation(exception) => Some(exception),
            MmioError::Coprocessor { .. } | MmioError::Bus(_) => Some(Exception::new(ExceptionKind::BusErrorData)),
        }
    }
}

impl From<BusFault> for MmioError {
    fn from(fault: BusFault) -> MmioError {
        MmioError::Bus(fault)
    }
}

/// Emulates the load or store `word` (see [`emulate_mmio`]); an
/// undecodable word is `NotLoadStore`.
pub fn emulate_mmio_word(
    word: u32,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    translate: impl FnMut(GuestVirt, Access) -> Result<GuestPhys, Exception>,
) -> Result<MmioDone, MmioError> {
    let insn = isa_spec::decode(word).map_err(|_| MmioError::NotLoadStore)?;
    emulate_mmio(&insn, gpr, bus, translate)
}

/// Emulates the load or store `insn` against `bus`, with the guest's
/// registers `gpr` and its address translation `translate` (guest-virtual
/// to guest-physical, or the exception the guest takes). On success `rt`
/// holds what a load produced; nothing is changed on error except device
/// state a completed read changed. See the module documentation for what
/// each instruction does.
pub fn emulate_mmio(
    insn: &Insn,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    mut translate: impl FnMut(GuestVirt, Access) -> Result<GuestPhys, Exception>,
) -> Result<MmioDone, MmioError> {
    let access = insn.mem_access().ok_or(MmioError::NotLoadStore)?;
    let va = GuestVirt(reg(gpr, access.base).wrapping_add(access.offset as i32 as u32));
    let result = match access.kind {
        MemKind::NoData => return Err(MmioError::NotLoadStore),
        MemKind::FpLoad | MemKind::FpStore | MemKind::Cp2Load | MemKind::Cp2Store => {
            Err(MmioError::Coprocessor { va })
        }
        MemKind::Load | MemKind::LoadLinked => load(access, va, gpr, bus, &mut translate),
        MemKind::Store => store(access, va, gpr, bus, &mut translate),
        MemKind::StoreConditional => store_conditional(access, va, gpr, &mut translate),
        MemKind::LoadLeft | MemKind::LoadRight => load_partial(access, va, gpr, bus, &mut translate),
        MemKind::StoreLeft | MemKind::StoreRight => store_partial(access, va, gpr, bus, &mut translate),
    };
    if matches!(result, Err(MmioError::Unaligned { .. } | MmioError::Coprocessor { .. } | MmioError::Translation(_))) {
        bus.note_rejected();
    }
    result
}

/// The guest's GPRs as an emulated access reads and writes them: a whole
/// register file, or an [`Overlay`] on one.
pub trait Registers {
    fn get(&self, r: u8) -> u32;
    /// Writes GPR `r` (`$zero` stays 0).
    fn set(&mut self, r: u8, value: u32);
}

impl Registers for [u32; 32] {
    fn get(&self, r: u8) -> u32 {
        self[usize::from(r & 31)]
    }
    fn set(&mut self, r: u8, value: u32) {
        if r & 31 != 0 {
            self[usize::from(r & 31)] = value;
        }
    }
}

/// A register file with at most one write before the access (a delay
/// slot's branch link) and the access's own write held back, so that the
/// caller commits both only when the access succeeds, without copying the
/// register file.
#[derive(Clone, Copy, Debug)]
pub struct Overlay<'a> {
    pub base: &'a [u32; 32],
    /// A register written before the access (`$zero` ignored).
    pub link: Option<(u8, u32)>,
    /// What the access wrote.
    pub written: Option<(u8, u32)>,
}

impl Registers for Overlay<'_> {
    fn get(&self, r: u8) -> u32 {
        let r = r & 31;
        match (self.written, self.link) {
            _ if r == 0 => 0,
            (Some((w, value)), _) if w == r => value,
            (_, Some((l, value))) if l & 31 == r => value,
            _ => self.base[usize::from(r)],
        }
    }
    fn set(&mut self, r: u8, value: u32) {
        if r & 31 != 0 {
            self.written = Some((r & 31, value));
        }
    }
}

fn reg(gpr: &impl Registers, r: u8) -> u32 {
    gpr.get(r)
}

fn set_reg(gpr: &mut impl Registers, r: u8, value: u32) {
    gpr.set(r, value);
}

fn aligned(va: GuestVirt, width: u32, store: bool) -> Result<(), MmioError> {
    if va.0.is_multiple_of(width) {
        Ok(())
    } else {
        Err(MmioError::Unaligned { va, store })
    }
}

fn size_of(access: MemAccess) -> Result<AccessSize, MmioError> {
    // The spec gives GPR transfers widths 1, 2 and 4 only.
    AccessSize::from_bytes(u32::from(access.width)).ok_or(MmioError::NotLoadStore)
}

type Translate<'a> = dyn FnMut(GuestVirt, Access) -> Result<GuestPhys, Exception> + 'a;

fn load(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let size = size_of(access)?;
    aligned(va, size.bytes(), false)?;
    let gpa = translate(va, Access::Load).map_err(MmioError::Translation)?;
    let value = extend(bus.read(gpa, size)?, size, access.signed);
    set_reg(gpr, access.rt, value);
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

/// What a load of `size` leaves in its register from the device's `raw`
/// value: sign-extended when `signed`, else zero-extended.
pub fn extend(raw: u32, size: AccessSize, signed: bool) -> u32 {
    match (size, signed) {
        (AccessSize::Byte, true) => raw as u8 as i8 as i32 as u32,
        (AccessSize::Half, true) => raw as u16 as i16 as i32 as u32,
        _ => raw & size.mask(),
    }
}

fn store(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let size = size_of(access)?;
    aligned(va, size.bytes(), true)?;
    let gpa = translate(va, Access::Store).map_err(MmioError::Translation)?;
    let value = reg(gpr, access.rt);
    bus.write(gpa, size, value & size.mask())?;
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

/// `sc` to a device: checked and translated like a store, then fails
/// (`rt` = 0) without writing.
fn store_conditional(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut impl Registers,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    aligned(va, 4, true)?;
    let gpa = translate(va, Access::Store).map_err(MmioError::Translation)?;
    let value = reg(gpr, access.rt);
    set_reg(gpr, access.rt, 0);
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

/// `lwl` / `lwr`: one aligned word read, merged into `rt`.
fn load_partial(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let gpa = translate(va, Access::Load).map_err(MmioError::Translation)?;
    let word = bus.read(GuestPhys(gpa.0 & !3), AccessSize::Word)?;
    let value = merge_load(access.kind == MemKind::LoadLeft, va.0 & 3, word, reg(gpr, access.rt));
    set_reg(gpr, access.rt, value);
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

/// The value `lwl` (`left`) or `lwr` leaves in a register holding `old`,
/// for byte offset `k` and the aligned memory word `word`.
pub fn merge_load(left: bool, k: u32, word: u32, old: u32) -> u32 {
    let k = k & 3;
    if left {
        let shift = 8 * (3 - k);
        let mask = u32::MAX << shift;
        (old & !mask) | (word << shift)
    } else {
        let shift = 8 * k;
        let mask = u32::MAX >> shift;
        (old & !mask) | (word >> shift)
    }
}

/// The byte writes `swl` (`left`) or `swr` of `value` makes at byte offset
/// `k`: (offset from `k`, byte), in the order they are made.
pub fn partial_store_bytes(left: bool, k: u32, value: u32) -> impl Iterator<Item = (i32, u8)> {
    let k = k & 3;
    let count = if left { k + 1 } else { 4 - k };
    (0..count).map(move |j| {
        if left {
            (-(j as i32), (value >> (24 - 8 * j)) as u8)
        } else {
            (j as i32, (value >> (8 * j)) as u8)
        }
    })
}

/// `swl` / `swr`: byte writes, all inside one device region.
fn store_partial(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut impl Registers,
    bus: &mut dyn Target,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let left = access.kind == MemKind::StoreLeft;
    let gpa = translate(va, Access::Store).map_err(MmioError::Translation)?;
    let k = va.0 & 3;
    let (first, len) = if left { (gpa.0.wrapping_sub(k), k + 1) } else { (gpa.0, 4 - k) };
    bus.check(GuestPhys(first), len)?;
    let value = reg(gpr, access.rt);
    for (delta, byte) in partial_store_bytes(left, k, value) {
        bus.write(GuestPhys(gpa.0.wrapping_add(delta as u32)), AccessSize::Byte, u32::from(byte))?;
    }
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::testdev::{Logged, Recorder};
    use crate::devices::{Device, MaltaReset, Uart16550};
    use crate::devices::IrqRoute;

    #[test]
    fn an_overlay_reads_its_writes_and_the_link_over_the_registers() {
        let base: [u32; 32] = core::array::from_fn(|r| 100 + r as u32);
        let mut regs = Overlay { base: &base, link: Some((31, 7)), written: None };
        assert_eq!((regs.get(0), regs.get(5), regs.get(31)), (0, 105, 7));
        regs.set(0, 1);
        assert_eq!((regs.get(0), regs.written), (0, None), "$zero stays 0");
        regs.set(5 | 32, 9);
        assert_eq!((regs.get(5), regs.get(31), regs.written), (9, 7, Some((5, 9))));
        regs.set(31, 8);
        assert_eq!(regs.get(31), 8, "the access's write wins over the link");
        assert_eq!(base[5], 105, "nothing reaches the registers themselves");
    }

    const BASE: u32 = 0x1F00_1000;
    /// The guest address of the recorder: a KSEG1-like alias, translated
    /// by subtracting `ALIAS`.
    const ALIAS: u32 = 0x2000_0000;
    const T0: u8 = 8;
    const T1: u8 = 9;

    fn i_type(op: u32, base: u8, rt: u8, offset: i16) -> u32 {
        (op << 26) | (u32::from(base) << 21) | (u32::from(rt) << 16) | u32::from(offset as u16)
    }

    fn bus() -> Bus {
        let mut bus = Bus::new();
        let mut rec = Recorder::default();
        for (i, byte) in rec.mem.iter_mut().enumerate() {
            *byte = 0x80 + i as u8;
        }
        bus.attach(GuestPhys(BASE), 16, "rec", None, Device::Test(rec)).unwrap();
        bus
    }

    fn translate(va: GuestVirt, _: Access) -> Result<GuestPhys, Exception> {
        Ok(GuestPhys(va.0.wrapping_sub(ALIAS)))
    }

    fn recorder(bus: &mut Bus) -> &mut Recorder {
        let id = bus.find(GuestPhys(BASE)).unwrap();
        match bus.device_mut(id).unwrap() {
            Device::Test(rec) => rec,
            _ => unreachable!(),
        }
    }

    /// Runs `word` with `$t0` = the device's guest address; returns the
    /// result and the accesses the device saw.
    fn run(bus: &mut Bus, gpr: &mut [u32; 32], word: u32) -> (Result<MmioDone, MmioError>, Vec<Logged>) {
        gpr[usize::from(T0)] = BASE + ALIAS;
        let result = emulate_mmio_word(word, gpr, bus, translate);
        (result, core::mem::take(&mut recorder(bus).log))
    }

    fn read(offset: u32, size: AccessSize, value: u32) -> Logged {
        Logged { write: false, offset, size, value }
    }

    fn write(offset: u32, size: AccessSize, value: u32) -> Logged {
        Logged { write: true, offset, size, value }
    }

    #[test]
    fn loads_of_every_width_and_extension() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        for offset in 0..16i16 {
            let o = offset as u32;
            let byte = 0x80 + o;
            let (r, log) = run(&mut bus, &mut gpr, i_type(0x20, T0, T1, offset)); // lb
            assert_eq!((r.unwrap().value, gpr[9]), (0xFFFF_FF00 | byte, 0xFFFF_FF00 | byte));
            assert_eq!(log, [read(o, AccessSize::Byte, byte)]);
            run(&mut bus, &mut gpr, i_type(0x24, T0, T1, offset)).0.unwrap(); // lbu
            assert_eq!(gpr[9], byte);
            if o.is_multiple_of(2) {
                let half = byte | ((byte + 1) << 8);
                let (_, log) = run(&mut bus, &mut gpr, i_type(0x21, T0, T1, offset)); // lh
                assert_eq!(gpr[9], 0xFFFF_0000 | half);
                assert_eq!(log, [read(o, AccessSize::Half, half)]);
                run(&mut bus, &mut gpr, i_type(0x25, T0, T1, offset)).0.unwrap(); // lhu
                assert_eq!(gpr[9], half);
            }
            if o.is_multiple_of(4) {
                let word = u32::from_le_bytes([byte as u8, byte as u8 + 1, byte as u8 + 2, byte as u8 + 3]);
                for op in [0x23, 0x30] {
                    // lw, ll
                    let (_, log) = run(&mut bus, &mut gpr, i_type(op, T0, T1, offset));
                    assert_eq!(gpr[9], word);
                    assert_eq!(log, [read(o, AccessSize::Word, word)]);
                }
            }
        }
        // Positive bytes are not sign-extended; a negative offset works.
        recorder(&mut bus).mem[3] = 0x7F;
        gpr[T1 as usize] = 0xDEAD;
        let word = i_type(0x21, T1, T1, -4 + 2); // lh t1, -2(t1)
        gpr[T1 as usize] = BASE + ALIAS + 4;
        emulate_mmio_word(word, &mut gpr, &mut bus, translate).unwrap();
        assert_eq!(gpr[9], 0x7F82);
    }

    #[test]
    fn stores_of_every_width() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        gpr[T1 as usize] = 0xAABB_CCDD;
        for offset in 0..16i16 {
            let o = offset as u32;
            let (r, log) = run(&mut bus, &mut gpr, i_type(0x28, T0, T1, offset)); // sb
            assert_eq!(r.unwrap(), MmioDone { kind: MemKind::Store, va: GuestVirt(BASE + ALIAS + o), gpa: GuestPhys(BASE + o), value: 0xAABB_CCDD });
            assert_eq!(log, [write(o, AccessSize::Byte, 0xDD)]);
            if o.is_multiple_of(2) {
                let (_, log) = run(&mut bus, &mut gpr, i_type(0x29, T0, T1, offset)); // sh
                assert_eq!(log, [write(o, AccessSize::Half, 0xCCDD)]);
            }
            if o.is_multiple_of(4) {
                let (_, log) = run(&mut bus, &mut gpr, i_type(0x2B, T0, T1, offset)); // sw
                assert_eq!(log, [write(o, AccessSize::Word, 0xAABB_CCDD)]);
            }
        }
        assert_eq!(gpr[9], 0xAABB_CCDD);
        // sw $zero stores 0.
        let (_, log) = run(&mut bus, &mut gpr, i_type(0x2B, T0, 0, 0));
        assert_eq!(log, [write(0, AccessSize::Word, 0)]);
    }

    #[test]
    fn unaligned_accesses_are_address_errors() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        let cases = [(0x21, 1, false), (0x25, 3, false), (0x23, 2, false), (0x30, 1, false), (0x29, 1, true), (0x2B, 3, true), (0x38, 2, true)];
        for (n, (op, offset, store)) in cases.into_iter().enumerate() {
            gpr[T1 as usize] = 0x1234;
            let (r, log) = run(&mut bus, &mut gpr, i_type(op, T0, T1, offset));
            let va = GuestVirt(BASE + ALIAS + offset as u32);
            assert_eq!(r, Err(MmioError::Unaligned { va, store }), "op {op:#x}");
            let kind = if store { ExceptionKind::AddressErrorStore } else { ExceptionKind::AddressErrorLoad };
            assert_eq!(r.unwrap_err().exception(), Some(Exception::at(kind, va.0)));
            assert!(log.is_empty());
            assert_eq!(gpr[9], 0x1234);
            assert_eq!(bus.stats.rejected, n as u32 + 1);
        }
    }

    // The four tables below (register 0xAABBCCDD, memory word 0x44332211,
    // byte offsets 0-3) are the MIPS32 manual's little-endian LWL/LWR/
    // SWL/SWR figures; the same values were printed by a bare-metal
    // program doing these instructions on RAM under QEMU Malta (24Kf):
    // `src/devices/traces/lwlr_trace.S`.
    #[test]
    fn lwl_lwr_follow_the_little_endian_tables() {
        let mut bus = bus();
        recorder(&mut bus).mem[4..8].copy_from_slice(&[0x11, 0x22, 0x33, 0x44]);
        let lwr = [0x4433_2211, 0xAA44_3322, 0xAABB_4433, 0xAABB_CC44];
        let lwl = [0x11BB_CCDD, 0x2211_CCDD, 0x3322_11DD, 0x4433_2211];
        let mut gpr = [0u32; 32];
        for k in 0..4 {
            for (op, expected) in [(0x26, lwr[k]), (0x22, lwl[k])] {
                gpr[T1 as usize] = 0xAABB_CCDD;
                let (r, log) = run(&mut bus, &mut gpr, i_type(op, T0, T1, 4 + k as i16));
                assert_eq!(gpr[9], expected, "op {op:#x} k {k}");
                assert_eq!(r.unwrap().value, expected);
                assert_eq!(log, [read(4, AccessSize::Word, 0x4433_2211)], "one aligned word read");
            }
        }
        // lwl/lwr into $zero read the device and change nothing.
        let (_, log) = run(&mut bus, &mut gpr, i_type(0x22, T0, 0, 5));
        assert_eq!((gpr[0], log.len()), (0, 1));
    }

    #[test]
    fn swl_swr_follow_the_little_endian_tables() {
        let swr = [0xAABB_CCDD, 0xBBCC_DD11, 0xCCDD_2211, 0xDD33_2211];
        let swl = [0x4433_22AA, 0x4433_AABB, 0x44AA_BBCC, 0xAABB_CCDD];
        for k in 0..4u32 {
            for (op, expected) in [(0x2E, swr[k as usize]), (0x2A, swl[k as usize])] {
                let mut bus = bus();
                recorder(&mut bus).mem[4..8].copy_from_slice(&[0x11, 0x22, 0x33, 0x44]);
                let mut gpr = [0u32; 32];
                gpr[T1 as usize] = 0xAABB_CCDD;
                let (r, log) = run(&mut bus, &mut gpr, i_type(op, T0, T1, 4 + k as i16));
                assert!(r.is_ok());
                let mem = recorder(&mut bus).mem;
                assert_eq!(u32::from_le_bytes([mem[4], mem[5], mem[6], mem[7]]), expected, "op {op:#x} k {k}");
                assert_eq!((mem[3], mem[8]), (0x83, 0x88), "neighbours untouched");
                // Byte writes in QEMU's order: swr upwards from the address,
                // swl downwards, most significant byte first.
                let order: Vec<u32> = log.iter().map(|l| l.offset).collect();
                let expected_order: Vec<u32> = if op == 0x2E { (4 + k..8).collect() } else { (4..=4 + k).rev().collect() };
                assert_eq!(order, expected_order);
                assert!(log.iter().all(|l| l.write && l.size == AccessSize::Byte));
            }
        }
    }

    #[test]
    fn unaligned_word_through_left_right_pairs() {
        // usw/ulw at device offset 5: swl/lwl at 8, swr/lwr at 5.
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        gpr[T1 as usize] = 0x0102_0304;
        run(&mut bus, &mut gpr, i_type(0x2A, T0, T1, 8)).0.unwrap();
        run(&mut bus, &mut gpr, i_type(0x2E, T0, T1, 5)).0.unwrap();
        assert_eq!(recorder(&mut bus).mem[4..10], [0x84, 0x04, 0x03, 0x02, 0x01, 0x89]);
        gpr[10] = 0xFFFF_FFFF;
        run(&mut bus, &mut gpr, i_type(0x22, T0, 10, 8)).0.unwrap();
        run(&mut bus, &mut gpr, i_type(0x26, T0, 10, 5)).0.unwrap();
        assert_eq!(gpr[10], 0x0102_0304);
    }

    #[test]
    fn zero_register_sc_and_ll() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        let (r, log) = run(&mut bus, &mut gpr, i_type(0x23, T0, 0, 0)); // lw $zero
        assert!(r.is_ok());
        assert_eq!((gpr[0], log.len()), (0, 1), "the read happens, the value is dropped");
        gpr[T1 as usize] = 7;
        let (r, log) = run(&mut bus, &mut gpr, i_type(0x38, T0, T1, 4)); // sc
        assert_eq!(r.unwrap().gpa, GuestPhys(BASE + 4));
        assert_eq!((gpr[9], log.len()), (0, 0), "sc fails without touching the device");
    }

    #[test]
    fn coprocessor_and_non_memory_words_are_rejected() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        for op in [0x31, 0x35, 0x39, 0x3D] {
            // lwc1 ldc1 swc1 sdc1
            let (r, log) = run(&mut bus, &mut gpr, i_type(op, T0, 2, 0));
            assert_eq!(r, Err(MmioError::Coprocessor { va: GuestVirt(BASE + ALIAS) }), "op {op:#x}");
            assert_eq!(r.unwrap_err().exception(), Some(Exception::new(ExceptionKind::BusErrorData)));
            assert!(log.is_empty());
        }
        // lwxc1 $f0, $t1($t0)
        let lwxc1 = (0x13 << 26) | (u32::from(T0) << 21) | (u32::from(T1) << 16);
        assert!(matches!(run(&mut bus, &mut gpr, lwxc1).0, Err(MmioError::Coprocessor { .. })));
        for word in [0x2508_0001 /* addiu */, i_type(0x33, T0, 0, 0) /* pref */, i_type(0x2F, T0, 0, 0) /* cache */, 0xFFFF_FFFF] {
            let (r, log) = run(&mut bus, &mut gpr, word);
            assert_eq!(r, Err(MmioError::NotLoadStore), "{word:#010x}");
            assert_eq!(r.unwrap_err().exception(), None);
            assert!(log.is_empty());
        }
    }

    #[test]
    fn translation_and_bus_faults_are_reported() {
        let mut bus = bus();
        let mut gpr = [0u32; 32];
        gpr[T0 as usize] = 0x0040_0000;
        let refill = Exception::at(ExceptionKind::TlbRefillLoad, 0x0040_0000);
        let r = emulate_mmio_word(i_type(0x23, T0, T1, 0), &mut gpr, &mut bus, |_, _| Err(refill));
        assert_eq!(r, Err(MmioError::Translation(refill)));
        assert_eq!(r.unwrap_err().exception(), Some(refill));
        // Nothing at the address.
        let (r, _) = run(&mut bus, &mut gpr, i_type(0x23, T0, T1, 16));
        assert_eq!(r, Err(MmioError::Bus(BusFault::Unmapped(GuestPhys(BASE + 16)))));
        assert_eq!(r.unwrap_err().exception(), Some(Exception::new(ExceptionKind::BusErrorData)));
        // swr/swl whose bytes leave the region write nothing.
        let mut small = Bus::new();
        small.attach(GuestPhys(BASE), 6, "rec", None, Device::Test(Recorder::default())).unwrap();
        let (r, log) = run(&mut small, &mut gpr, i_type(0x2E, T0, T1, 4));
        assert_eq!(r, Err(MmioError::Bus(BusFault::OutOfRange(GuestPhys(BASE + 4)))));
        assert!(log.is_empty());
        assert_eq!(small.stats.out_of_range, 1);
    }

    #[test]
    fn guest_console_output_through_sb() {
        let mut bus = Bus::new();
        bus.attach(GuestPhys(0x1800_03F8), 8, "guest0", Some(IrqRoute::Line(2)), Device::Uart(Uart16550::new(0))).unwrap();
        let mut gpr = [0u32; 32];
        gpr[T0 as usize] = 0x1800_03F8 + ALIAS;
        for &b in b"ok\n" {
            gpr[T1 as usize] = u32::from(b);
            emulate_mmio_word(i_type(0x28, T0, T1, 0), &mut gpr, &mut bus, translate).unwrap();
        }
        // lbu t1, 5(t0): LSR
        emulate_mmio_word(i_type(0x24, T0, T1, 5), &mut gpr, &mut bus, translate).unwrap();
        assert_eq!(gpr[9], 0x20, "THRE; not TEMT: the host has not taken the bytes");
        let mut out = String::new();
        bus.pump_serial(&mut out).unwrap();
        assert_eq!(out, "[guest0] ok\n");
        emulate_mmio_word(i_type(0x24, T0, T1, 5), &mut gpr, &mut bus, translate).unwrap();
        assert_eq!(gpr[9], 0x60);
    }

    #[test]
    fn power_off_through_sw() {
        let mut bus = Bus::new();
        let id = bus.attach(GuestPhys(0x1F00_0500), 4, "reset", None, Device::Reset(MaltaReset::new())).unwrap();
        let mut gpr = [0u32; 32];
        gpr[T0 as usize] = 0x1F00_0500 + ALIAS;
        gpr[T1 as usize] = 0x42;
        emulate_mmio_word(i_type(0x2B, T0, T1, 0), &mut gpr, &mut bus, translate).unwrap();
        assert_eq!(bus.take_event(), Some((crate::devices::bus::EventSource::Region(id), crate::devices::DeviceEvent::PowerOff)));
    }

    #[test]
    fn power_off_through_sb_as_on_qemu() {
        let mut bus = Bus::new();
        let id = bus.attach(GuestPhys(0x1F00_0500), 4, "reset", None, Device::Reset(MaltaReset::new())).unwrap();
        let mut gpr = [0u32; 32];
        gpr[T0 as usize] = 0x1F00_0500 + ALIAS;
        gpr[T1 as usize] = 0x142; // sb stores the low byte, 0x42
        emulate_mmio_word(i_type(0x28, T0, T1, 0), &mut gpr, &mut bus, translate).unwrap();
        assert_eq!(bus.take_event(), Some((crate::devices::bus::EventSource::Region(id), crate::devices::DeviceEvent::PowerOff)));
    }

    #[test]
    fn random_words_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut bus = bus();
        bus.attach(GuestPhys(BASE + 0x10), 8, "g", Some(IrqRoute::Line(0)), Device::Uart(Uart16550::new(0))).unwrap();
        bus.attach(GuestPhys(BASE + 0x18), 4, "r", None, Device::Reset(MaltaReset::new())).unwrap();
        let mut gpr = [0u32; 32];
        let mut out = String::new();
        let mut emulated = 0;
        for i in 0..200_000 {
            let r = next();
            // Mostly load/store opcodes, with a base near the devices.
            let word = if i % 2 == 0 { (r as u32 & 0x03FF_0000) | ((r >> 48) as u32 & 0x3F) | (((0x20 + (r >> 40) % 0x20) as u32) << 26) } else { r as u32 };
            let base = ((word >> 21) & 31) as usize;
            gpr[base] = BASE + ALIAS + ((r >> 32) as u32 & 0x3F);
            gpr[0] = 0;
            if emulate_mmio_word(word, &mut gpr, &mut bus, translate).is_ok() {
                emulated += 1;
            }
            assert_eq!(gpr[0], 0);
            recorder(&mut bus).log.clear();
            if i % 64 == 0 {
                bus.pump_serial(&mut out).unwrap();
                out.clear();
            }
            bus.take_event();
        }
        assert!(emulated > 2_000, "{emulated}");
    }
}
