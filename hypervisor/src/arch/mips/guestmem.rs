//! The hypervisor's access to guest memory and to the image pack, through
//! KSEG0 (host-physical addresses below 256 MiB), and the guests' FPU
//! registers.

use emulator::Cp0;
use hypervisor::vm::memory::{GuestMemory, HostPhys, Pack, KSEG0_LIMIT, PACK_BASE, PACK_MAX};

const KSEG0: u32 = 0x8000_0000;

/// The KSEG0 address of host-physical `pa` (below the KSEG0 limit).
pub fn kseg0(pa: u32) -> u32 {
    KSEG0 | pa
}

/// A word of guest memory. `pa` comes from `GuestMemory::host_phys`, so it
/// is inside a guest's allocation, which `HostRam` keeps below the RAM
/// size and the KSEG0 limit.
pub fn read_word(pa: HostPhys) -> u32 {
    let pa = pa.0 & !3;
    if pa >= KSEG0_LIMIT {
        return 0;
    }
    // SAFETY: `pa` is RAM given to a guest (see above), reachable through
    // KSEG0, aligned; a read has no side effect.
    unsafe { core::ptr::read_volatile((KSEG0 | pa) as *const u32) }
}

/// Copies `bytes` to guest memory at `pa` (an image chunk whose range
/// `GuestMemory::host_range` checked).
pub fn copy_in(pa: HostPhys, bytes: &[u8]) {
    if u64::from(pa.0) + bytes.len() as u64 > u64::from(KSEG0_LIMIT) {
        return;
    }
    // SAFETY: the range is RAM allocated to one guest (checked by the
    // caller through host_range), below the KSEG0 limit, and not memory
    // the hypervisor's own Rust objects live in (those are in the image,
    // below PACK_BASE).
    let dst = unsafe { core::slice::from_raw_parts_mut((KSEG0 | pa.0) as *mut u8, bytes.len()) };
    dst.copy_from_slice(bytes);
}

/// Copies the words of `cp0` to guest memory at `pa` (a paravirtual page:
/// one page of the guest's RAM, `hypervisor::vm::paravirt`), each at its
/// offset in `Cp0`.
pub fn copy_cp0(pa: HostPhys, cp0: &Cp0) {
    const WORDS: usize = core::mem::size_of::<Cp0>() / 4;
    const _: () = assert!(core::mem::size_of::<Cp0>().is_multiple_of(4) && core::mem::align_of::<Cp0>() == 4);
    if u64::from(pa.0) + 4 * WORDS as u64 > u64::from(KSEG0_LIMIT) || !pa.0.is_multiple_of(4) {
        return;
    }
    // SAFETY: every field of `Cp0` is a u32 (generated from the spec:
    // one u32 per register), so it is WORDS initialized, aligned words
    // with no padding; the destination is the guest's own RAM (checked by
    // the caller through host_range), aligned, below the KSEG0 limit,
    // holding none of the hypervisor's objects.
    // Word by word: `copy_nonoverlapping` would call a byte-wise memcpy.
    unsafe {
        let (from, to) = (core::ptr::from_ref(cp0).cast::<u32>(), (KSEG0 | pa.0) as *mut u32);
        for i in 0..WORDS {
            to.add(i).write_volatile(from.add(i).read());
        }
    }
}

/// Writes an instruction word of a guest's code at `pa` (from
/// `GuestMemory::host_phys`) and makes fetches see it: `synci` writes the
/// D-cache line back and invalidates the I-cache line. The caches are
/// virtually indexed; the KSEG0 address has the index bits of the guest's
/// own address for code in its unmapped segments (its RAM's host frames
/// are 1 MiB-aligned).
pub fn write_code(pa: HostPhys, value: u32) {
    let pa = HostPhys(pa.0 & !3);
    if pa.0 >= KSEG0_LIMIT {
        return;
    }
    copy_in(pa, &value.to_le_bytes());
    sync_icache(KSEG0 | pa.0);
}

/// `synci` and `sync` on the line of KSEG0 address `address`.
fn sync_icache(address: u32) {
    // SAFETY: synci only writes back and invalidates cache lines (of RAM
    // through KSEG0, which cannot fault); sync orders memory accesses.
    unsafe { core::arch::asm!(".set noat", "synci 0({0})", "sync", ".set at", in(reg) address, options(nostack)) };
}

/// Zeroes guest memory `[pa, pa + len)` (a guest's RAM, from
/// `GuestMemory::host_range`), before its image is copied in again.
pub fn zero(pa: HostPhys, len: u32) {
    if u64::from(pa.0) + u64::from(len) > u64::from(KSEG0_LIMIT) {
        return;
    }
    // SAFETY: as for `copy_in`: the range is RAM allocated to one guest,
    // below the KSEG0 limit, holding none of the hypervisor's own objects.
    let dst = unsafe { core::slice::from_raw_parts_mut((KSEG0 | pa.0) as *mut u8, len as usize) };
    dst.fill(0);
}

/// The image pack xtask loaded at PACK_BASE, if there is one. `ram` is the
/// host RAM size.
pub fn pack(ram: u64) -> Option<Pack<'static>> {
    if ram < u64::from(PACK_BASE + PACK_MAX) {
        return None;
    }
    // SAFETY: PACK_BASE..PACK_BASE+PACK_MAX is RAM (checked against the RAM
    // size) that the hypervisor image does not use and that nothing writes
    // after boot (guest RAM starts above it); it is only read.
    let window = unsafe { core::slice::from_raw_parts((KSEG0 | PACK_BASE) as *const u8, PACK_MAX as usize) };
    Pack::parse(window)
}

core::arch::global_asm!(
    r#"
    .text
    .set push
    .set noreorder
    .set hardfloat
    .set fp=64
    .globl fpu_save
# fpu_save(a0 = &mut [u32; 65]): the 32 64-bit FPRs and FCSR (CU1 and FR
# must be on, so every bit of the register file is reached).
fpu_save:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sdc1  $f\n, (\n*8)($a0)
    .endr
    cfc1  $t0, $31
    jr    $ra
    sw    $t0, 256($a0)
    .globl fpu_restore
fpu_restore:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ldc1  $f\n, (\n*8)($a0)
    .endr
    lw    $t0, 256($a0)
    jr    $ra
    ctc1  $t0, $31
    .set pop
"#
);

/// A guest's FPU state: 32 64-bit registers and FCSR (8-byte aligned, for
/// sdc1/ldc1).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub struct FpuRegs(pub [u32; 66]);

impl FpuRegs {
    pub const ZERO: FpuRegs = FpuRegs([0; 66]);
}

extern "C" {
    fn fpu_save(regs: *mut FpuRegs);
    fn fpu_restore(regs: *const FpuRegs);
}

fn with_fpu_64(f: impl FnOnce()) {
    let status = super::cp0::status();
    // SAFETY: enabling CU1 only makes FPU instructions legal in kernel
    // mode; FR=1 only selects the 64-bit register view of the FPU, which
    // no hypervisor code uses otherwise.
    unsafe { super::cp0::mtc0!(STATUS, status | emulator::Cp0::STATUS_CU1 | emulator::Cp0::STATUS_FR) };
    f();
    // SAFETY: restores the previous Status.
    unsafe { super::cp0::mtc0!(STATUS, status) };
}

/// Saves the whole FPU register file (in the FR=1 view, which reaches all
/// of it whatever view the guest uses) and FCSR.
pub fn save_fpu(regs: &mut FpuRegs) {
    // SAFETY: fpu_save stores 65 words into the 8-byte aligned `regs` and touches only t0.
    with_fpu_64(|| unsafe { fpu_save(regs) });
}

/// Loads the FPU state saved by `save_fpu`.
pub fn restore_fpu(regs: &FpuRegs) {
    // SAFETY: fpu_restore reads 65 words from the 8-byte aligned `regs` and touches only t0 and the FPU.
    with_fpu_64(|| unsafe { fpu_restore(regs) });
}

/// The canary word for host-physical (or index) `at`.
pub const fn canary(at: u32) -> u32 {
    at.rotate_left(7) ^ 0xC4A2_13E5
}

/// Fills host RAM `[pa, pa + len)` with canaries: RAM that `HostRam` gave
/// to no guest, or a guest's canary RAM (`GuestMemory::canary`).
pub fn fill_canaries(pa: u32, len: u32) {
    let end = (u64::from(pa) + u64::from(len)).min(u64::from(KSEG0_LIMIT)) as u32;
    for at in (pa & !3..end & !3).step_by(4) {
        // SAFETY: `[pa, end)` is host RAM below the KSEG0 limit, either
        // given to no guest or part of one guest's own RAM, and holds none
        // of the hypervisor's objects (those are in the image, below
        // PACK_BASE); a guest racing with the fill only spoils its canaries.
        unsafe { core::ptr::write_volatile((KSEG0 | at) as *mut u32, canary(at)) };
    }
}

/// Fills the canary part of a guest's RAM, if it has one: when the guest is
/// built and again after each reset (which clears its RAM).
pub fn fill_guest_canaries(memory: &GuestMemory) {
    if let Some((pa, len)) = memory.canary {
        fill_canaries(pa.0, len);
    }
}

/// Checks a guest's canary RAM: `None` if it has none, `Some(Ok(bytes))`
/// when intact, `Some(Err((pa, value)))` for the first word overwritten.
pub fn check_guest_canaries(memory: &GuestMemory) -> Option<Result<u32, (u32, u32)>> {
    let (pa, len) = memory.canary?;
    Some(check_canaries(pa.0, len).map_or(Ok(len), Err))
}

/// The first word of `[pa, pa + len)` that is not its canary: `(pa, value)`.
pub fn check_canaries(pa: u32, len: u32) -> Option<(u32, u32)> {
    let end = (u64::from(pa) + u64::from(len)).min(u64::from(KSEG0_LIMIT)) as u32;
    (pa & !3..end & !3).step_by(4).map(|at| (at, read_word(HostPhys(at)))).find(|&(at, v)| v != canary(at))
}
