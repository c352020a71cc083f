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
    gpr: &mut [u32; 32],
    bus: &mut Bus,
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
    gpr: &mut [u32; 32],
    bus: &mut Bus,
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
        MemKind::StoreConditional => aligned(va, 4, true).map(|()| {
            set_reg(gpr, access.rt, 0);
            MmioDone { kind: access.kind, va, gpa: GuestPhys(0), value: 0 }
        }),
        MemKind::LoadLeft | MemKind::LoadRight => load_partial(access, va, gpr, bus, &mut translate),
        MemKind::StoreLeft | MemKind::StoreRight => store_partial(access, va, gpr, bus, &mut translate),
    };
    if matches!(result, Err(MmioError::Unaligned { .. } | MmioError::Coprocessor { .. } | MmioError::Translation(_))) {
        bus.stats.rejected = bus.stats.rejected.wrapping_add(1);
    }
    result
}

fn reg(gpr: &[u32; 32], r: u8) -> u32 {
    gpr[usize::from(r & 31)]
}

fn set_reg(gpr: &mut [u32; 32], r: u8, value: u32) {
    if r & 31 != 0 {
        gpr[usize::from(r & 31)] = value;
    }
}

fn aligned(va: GuestVirt, width: u32, store: bool) -> Result<(), MmioError> {
    if va.0 % width == 0 {
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
    gpr: &mut [u32; 32],
    bus: &mut Bus,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let size = size_of(access)?;
    aligned(va, size.bytes(), false)?;
    let gpa = translate(va, Access::Load).map_err(MmioError::Translation)?;
    let raw = bus.read(gpa, size)?;
    let value = match (size, access.signed) {
        (AccessSize::Byte, true) => raw as u8 as i8 as i32 as u32,
        (AccessSize::Half, true) => raw as u16 as i16 as i32 as u32,
        _ => raw & size.mask(),
    };
    set_reg(gpr, access.rt, value);
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

fn store(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut [u32; 32],
    bus: &mut Bus,
    translate: &mut Translate<'_>,
) -> Result<MmioDone, MmioError> {
    let size = size_of(access)?;
    aligned(va, size.bytes(), true)?;
    let gpa = translate(va, Access::Store).map_err(MmioError::Translation)?;
    let value = reg(gpr, access.rt);
    bus.write(gpa, size, value & size.mask())?;
    Ok(MmioDone { kind: access.kind, va, gpa, value })
}

/// `lwl` / `lwr`: one aligned word read, merged into `rt`.
fn load_partial(
    access: MemAccess,
    va: GuestVirt,
    gpr: &mut [u32; 32],
    bus: &mut Bus,
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
    gpr: &mut [u32; 32],
    bus: &mut Bus,
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
