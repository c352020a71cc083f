//! The exception vectors at the hypervisor's own EBase and the code that
//! saves the registers into a `TrapFrame` before calling Rust.

use super::cp0::{self, mtc0};
use hypervisor::kernel::trap::{
    FRAME_BADVADDR, FRAME_CAUSE, FRAME_EPC, FRAME_HI, FRAME_LO, FRAME_SIZE, FRAME_STATUS,
    FRAME_VECTOR,
};

// Each vector parks k0 in DESAVE (CP0 31,0) and jumps to `exception_save`
// with its offset in k0; the save code parks k1 in DataLo (CP0 28,1), so
// k0/k1 of the interrupted code (a guest's exception handler uses them)
// are saved too. Neither register is used otherwise (the debug entry parks
// k0 in DESAVE the same way; no cache diagnostics).
//
// Two paths:
// - An interrupt taken in kernel mode (a hypervisor thread with Status.IE
//   set): the frame goes on the interrupted thread's own stack, EXL is
//   cleared (interrupts stay off), `interrupt_entry` dispatches the host
//   IRQs and may switch threads; when this thread is resumed the frame is
//   restored and `eret` returns exactly where it was interrupted. Kernel
//   code never holds a value in k0/k1, so they are not restored.
// - An exception from user mode is a guest's exit: `guest_fast`
//   (fast_exit.rs) finishes the commonest trapped CP0 instructions and
//   returns to the guest; for the rest `guest_exit` (world.rs) saves its
//   registers straight into its VCPU and resumes the VCPU thread in
//   `world::enter`.
// - Anything else: the frame goes at the top of the exception stack and
//   `exception_entry(frame)` runs there; it does not return (a kernel
//   fault is reported and the machine halts). A fault inside the handler re-enters here and
//   overwrites the frame with its own registers, so the last report
//   describes the newest fault.
// The debug vector (SDBBP) comes through the boot flash to
// `__debug_exception` at EBase + 0x480 (below).
cp0_global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
    # Stores every register but k0/k1 into the frame at k1, and the vector
    # offset (in k0), HI, LO, EPC, Status, Cause, BadVAddr, DESAVE, DataLo.
    .macro save_frame
    sw    $k0, {vector}($k1)
    sw    $0, 0($k1)
"#,
    save_registers!(),
    r#"
    mfc0  $k0, ${c0_status}, {c0_status_sel}
    sw    $k0, {status}($k1)
    mfc0  $k0, ${c0_cause}, {c0_cause_sel}
    sw    $k0, {cause}($k1)
    mfc0  $k0, ${c0_badvaddr}, {c0_badvaddr_sel}
    sw    $k0, {badvaddr}($k1)
    lui   $gp, %hi(_gp)
    addiu $gp, $gp, %lo(_gp)
    .endm
__ebase:
    .org 0x000
    mtc0  $k0, ${c0_desave}, {c0_desave_sel}
    j     exception_save
    ori   $k0, $zero, 0x000
    .org 0x180
    mtc0  $k0, ${c0_desave}, {c0_desave_sel}
    j     exception_save
    ori   $k0, $zero, 0x180
    .org 0x200
    mtc0  $k0, ${c0_desave}, {c0_desave_sel}
    j     exception_save
    ori   $k0, $zero, 0x200
    # The EJTAG debug exception: the boot flash's debug vector 0xBFC00480
    # (xtask writes it) parks k0 in DESAVE and jumps here through k0, in
    # debug mode. From kernel mode (Status.KSU = 0) it is the hypervisor's
    # only SDBBP, vcpu_enter's linked entry (world.rs): go on there, in
    # debug mode. From user mode it is a guest's SDBBP: leave debug mode as
    # an ordinary exception from user mode: EPC = DEPC (the SDBBP, or its
    # branch; Debug.DBD says which), EXL = 1 (kernel mode, interrupts off
    # after DERET), then DERET to a vector stub that saves the frame with
    # vector offset 0x480. Only k0 is used; k1 and the rest are saved by
    # exception_save.
    .org 0x480
    .globl __debug_exception
__debug_exception:
    mfc0  $k0, ${c0_status}, {c0_status_sel}
    andi  $k0, $k0, {ksu}
    bnez  $k0, 1f
    nop
    j     vcpu_enter_debug
    nop
1:  mfc0  $k0, ${c0_depc}, {c0_depc_sel}
    mtc0  $k0, ${c0_epc}, {c0_epc_sel}
    mfc0  $k0, ${c0_status}, {c0_status_sel}
    ori   $k0, $k0, {exl}
    mtc0  $k0, ${c0_status}, {c0_status_sel}
    lui   $k0, %hi(__debug_exit)
    addiu $k0, $k0, %lo(__debug_exit)
    mtc0  $k0, ${c0_depc}, {c0_depc_sel}
    ehb
    deret
__debug_exit:
    j     exception_save
    ori   $k0, $zero, 0x480
exception_save:
    mtc0  $k1, ${c0_datalo}, {c0_datalo_sel}
    # User mode (KSU != 0): a guest's exit, saved into its VCPU (world.rs).
    mfc0  $k1, ${c0_status}, {c0_status_sel}
    andi  $k1, $k1, {ksu}
    bnez  $k1, 2f
    # Kernel mode and ExcCode 0 (interrupt): a thread is interrupted.
    mfc0  $k1, ${c0_cause}, {c0_cause_sel}
    andi  $k1, $k1, {exccode}
    bnez  $k1, exception_stack_save
    nop
    addiu $k1, $sp, -{size}
    save_frame
    # EXL off, IE off: plain kernel mode with interrupts masked, so a
    # thread switch inside leaves no exception state behind.
    mfc0  $k0, ${c0_status}, {c0_status_sel}
    ori   $k0, $k0, {exl_ie}
    xori  $k0, $k0, {exl_ie}
    mtc0  $k0, ${c0_status}, {c0_status_sel}
    ehb
    move  $sp, $k1
    jal   interrupt_entry
    addiu $sp, $sp, -16
    addiu $k1, $sp, 16
    lw    $k0, {hi}($k1)
    mthi  $k0
    lw    $k0, {lo}($k1)
    mtlo  $k0
    # Status as interrupted (EXL set again, so the restore below is not
    # interrupted), but with today's interrupt mask.
    mfc0  $k0, ${c0_status}, {c0_status_sel}
    andi  $k0, $k0, {im}
    lw    $at, {status}($k1)
    ori   $at, $at, {im}
    xori  $at, $at, {im}
    or    $k0, $k0, $at
    mtc0  $k0, ${c0_status}, {c0_status_sel}
    lw    $k0, {epc}($k1)
    mtc0  $k0, ${c0_epc}, {c0_epc_sel}
    ehb
    lw    $1, 4($k1)
    lw    $2, 8($k1)
    lw    $3, 12($k1)
    lw    $4, 16($k1)
    lw    $5, 20($k1)
    lw    $6, 24($k1)
    lw    $7, 28($k1)
    lw    $8, 32($k1)
    lw    $9, 36($k1)
    lw    $10, 40($k1)
    lw    $11, 44($k1)
    lw    $12, 48($k1)
    lw    $13, 52($k1)
    lw    $14, 56($k1)
    lw    $15, 60($k1)
    lw    $16, 64($k1)
    lw    $17, 68($k1)
    lw    $18, 72($k1)
    lw    $19, 76($k1)
    lw    $20, 80($k1)
    lw    $21, 84($k1)
    lw    $22, 88($k1)
    lw    $23, 92($k1)
    lw    $24, 96($k1)
    lw    $25, 100($k1)
    lw    $28, 112($k1)
    lw    $30, 120($k1)
    lw    $31, 124($k1)
    lw    $29, 116($k1)
    eret
exception_stack_save:
    lui   $k1, %hi(__exception_stack_top - {size})
    addiu $k1, $k1, %lo(__exception_stack_top - {size})
    save_frame
    move  $a0, $k1
    move  $sp, $k1
    jal   exception_entry
    addiu $sp, $sp, -16
1:  b     1b
    nop
2:  j     guest_fast
    nop
    .set pop
"#;
    size = const FRAME_SIZE,
    ksu = const Cp0::STATUS_KSU,
    exccode = const Cp0::CAUSE_EXCCODE,
    exl = const Cp0::STATUS_EXL,
    exl_ie = const Cp0::STATUS_EXL | Cp0::STATUS_IE,
    im = const Cp0::STATUS_IM,
    vector = const FRAME_VECTOR,
    hi = const FRAME_HI,
    lo = const FRAME_LO,
    epc = const FRAME_EPC,
    status = const FRAME_STATUS,
    cause = const FRAME_CAUSE,
    badvaddr = const FRAME_BADVADDR,
);

use emulator::Cp0;
const STATUS_BEV: u32 = Cp0::STATUS_BEV;
const STATUS_KSU: u32 = Cp0::STATUS_KSU;
const STATUS_ERL: u32 = Cp0::STATUS_ERL;
const STATUS_EXL: u32 = Cp0::STATUS_EXL;
const STATUS_IE: u32 = Cp0::STATUS_IE;

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
        mtc0!(EBASE, ebase);
        mtc0!(CAUSE, 0u32);
        mtc0!(STATUS, status);
    }
    cp0::ebase()
}
