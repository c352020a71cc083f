//! The exception vectors at the hypervisor's own EBase and the code that
//! saves the registers into a `TrapFrame` before calling Rust.

use super::cp0::{self, mtc0};
use hypervisor::trap::{
    FRAME_BADVADDR, FRAME_CAUSE, FRAME_EPC, FRAME_HI, FRAME_LO, FRAME_SIZE, FRAME_STATUS,
    FRAME_VECTOR,
};

// Each vector parks k0 in DESAVE (CP0 31,0) and jumps to `exception_save`
// with its offset in k0; the save code parks k1 in DataLo (CP0 28,1), so
// k0/k1 of the interrupted code (a guest's exception handler uses them)
// are saved too. Neither register is used otherwise (the debug entry parks
// k0 in DESAVE the same way; no cache diagnostics). The save code
// stores every register into the frame at the top of the exception stack,
// switches to that stack and calls `exception_entry(frame)`, which does not
// return. The debug vector (SDBBP) comes through the boot flash to
// `__debug_exception` at EBase + 0x480 (below). A fault inside the handler
// re-enters here and overwrites the frame with its own registers, so the
// last report describes the newest fault.
core::arch::global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
__ebase:
    .org 0x000
    mtc0  $k0, $31, 0
    j     exception_save
    ori   $k0, $zero, 0x000
    .org 0x180
    mtc0  $k0, $31, 0
    j     exception_save
    ori   $k0, $zero, 0x180
    .org 0x200
    mtc0  $k0, $31, 0
    j     exception_save
    ori   $k0, $zero, 0x200
    .org 0x280

exception_save:
    mtc0  $k1, $28, 1
    lui   $k1, %hi(__exception_stack_top - {size})
    addiu $k1, $k1, %lo(__exception_stack_top - {size})
    sw    $k0, {vector}($k1)
    sw    $0, 0($k1)
    sw    $1, 4($k1)
    sw    $2, 8($k1)
    sw    $3, 12($k1)
    sw    $4, 16($k1)
    sw    $5, 20($k1)
    sw    $6, 24($k1)
    sw    $7, 28($k1)
    sw    $8, 32($k1)
    sw    $9, 36($k1)
    sw    $10, 40($k1)
    sw    $11, 44($k1)
    sw    $12, 48($k1)
    sw    $13, 52($k1)
    sw    $14, 56($k1)
    sw    $15, 60($k1)
    sw    $16, 64($k1)
    sw    $17, 68($k1)
    sw    $18, 72($k1)
    sw    $19, 76($k1)
    sw    $20, 80($k1)
    sw    $21, 84($k1)
    sw    $22, 88($k1)
    sw    $23, 92($k1)
    sw    $24, 96($k1)
    sw    $25, 100($k1)
    sw    $28, 112($k1)
    sw    $29, 116($k1)
    sw    $30, 120($k1)
    sw    $31, 124($k1)
    mfhi  $k0
    sw    $k0, {hi}($k1)
    mflo  $k0
    sw    $k0, {lo}($k1)
    mfc0  $k0, $14, 0
    sw    $k0, {epc}($k1)
    mfc0  $k0, $12, 0
    sw    $k0, {status}($k1)
    mfc0  $k0, $13, 0
    sw    $k0, {cause}($k1)
    mfc0  $k0, $8, 0
    sw    $k0, {badvaddr}($k1)
    mfc0  $k0, $31, 0
    sw    $k0, 104($k1)
    mfc0  $k0, $28, 1
    sw    $k0, 108($k1)
    lui   $gp, %hi(_gp)
    addiu $gp, $gp, %lo(_gp)
    move  $a0, $k1
    move  $sp, $k1
    jal   exception_entry
    addiu $sp, $sp, -16
1:  b     1b
    nop

    # The EJTAG debug exception (a guest's SDBBP): the boot flash's debug
    # vector 0xBFC00480 (xtask writes it) parks k0 in DESAVE and jumps here
    # through k0, in debug mode. Leave debug mode as an ordinary exception
    # from user mode: EPC = DEPC (the SDBBP, or its branch; Debug.DBD says
    # which), EXL = 1 (kernel mode, interrupts off after DERET), then DERET
    # to a vector stub that saves the frame with vector offset 0x480.
    # Only k0 is used; k1 and the rest are saved by exception_save.
    .org 0x480
    .globl __debug_exception
__debug_exception:
    mfc0  $k0, $24, 0
    mtc0  $k0, $14, 0
    mfc0  $k0, $12, 0
    ori   $k0, $k0, 2
    mtc0  $k0, $12, 0
    lui   $k0, %hi(__debug_exit)
    addiu $k0, $k0, %lo(__debug_exit)
    mtc0  $k0, $24, 0
    ehb
    deret
__debug_exit:
    j     exception_save
    ori   $k0, $zero, 0x480
    .set pop
"#,
    size = const FRAME_SIZE,
    vector = const FRAME_VECTOR,
    hi = const FRAME_HI,
    lo = const FRAME_LO,
    epc = const FRAME_EPC,
    status = const FRAME_STATUS,
    cause = const FRAME_CAUSE,
    badvaddr = const FRAME_BADVADDR,
);

const STATUS_BEV: u32 = 1 << 22;
const STATUS_KSU: u32 = 3 << 3;
const STATUS_ERL: u32 = 1 << 2;
const STATUS_EXL: u32 = 1 << 1;
const STATUS_IE: u32 = 1 << 0;

/// Points EBase at the hypervisor's vectors and leaves the boot-time
/// exception vectors (BEV) behind: kernel mode, interrupts off, Cause.IV=0
/// (interrupts use the general vector). Returns EBase as read back.
pub fn init() -> u32 {
    extern "C" {
        static __ebase: u8;
    }
    let ebase = core::ptr::addr_of!(__ebase) as u32;
    let status = cp0::status() & !(STATUS_BEV | STATUS_KSU | STATUS_ERL | STATUS_EXL | STATUS_IE);
    // SAFETY: `__ebase` is the 4 KiB-aligned vector area of this image
    // (link.ld); EBase is written while BEV is still 1, as the PRA requires,
    // then BEV is cleared so exceptions use it. Clearing IE, EXL, ERL and KSU
    // keeps the CPU in kernel mode with interrupts off. Cause = 0 only
    // clears IV and the software interrupt bits.
    unsafe {
        mtc0!(15, 1, ebase);
        mtc0!(13, 0, 0u32);
        mtc0!(12, 0, status);
    }
    cp0::ebase()
}
