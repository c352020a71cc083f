//! The world switch: entering a guest (host user mode, through `eret`) and
//! coming back when it traps. Kept small: the exception vectors save the
//! guest's registers into the usual `TrapFrame`; `exception_entry` sees
//! that the exception came from user mode and calls [`back_to_host`],
//! which resumes the hypervisor where [`enter`] was called.
//!
//! Host state across a guest run lives in `HOST_CONTEXT`: the callee-saved
//! registers, $gp, $sp, $ra and the hypervisor's Status.

use hypervisor::trap::{TrapFrame, FRAME_EPC, FRAME_HI, FRAME_LO};

/// Callee-saved registers s0-s7, s8, gp, sp, ra, then Status.
const HOST_WORDS: usize = 13;

#[no_mangle]
static mut HOST_CONTEXT: [u32; HOST_WORDS] = [0; HOST_WORDS];

core::arch::global_asm!(
    r#"
    .text
    .globl vcpu_enter
    .type vcpu_enter, @function
    .set push
    .set noreorder
    .set noat
# vcpu_enter(a0 = &TrapFrame (guest GPRs, HI, LO, EPC), a1 = Status for
# the guest (KSU=user, EXL=1), a2 = EntryHi (host ASID)) -> &TrapFrame of
# the exit (returned by back_to_host).
vcpu_enter:
    lui   $t0, %hi(HOST_CONTEXT)
    addiu $t0, $t0, %lo(HOST_CONTEXT)
    sw    $s0, 0($t0)
    sw    $s1, 4($t0)
    sw    $s2, 8($t0)
    sw    $s3, 12($t0)
    sw    $s4, 16($t0)
    sw    $s5, 20($t0)
    sw    $s6, 24($t0)
    sw    $s7, 28($t0)
    sw    $s8, 32($t0)
    sw    $gp, 36($t0)
    sw    $sp, 40($t0)
    sw    $ra, 44($t0)
    mfc0  $t1, $12, 0
    sw    $t1, 48($t0)
    mtc0  $a2, $10, 0
    lw    $t1, {epc}($a0)
    mtc0  $t1, $14, 0
    mtc0  $a1, $12, 0
    ehb
    lw    $t1, {hi}($a0)
    mthi  $t1
    lw    $t1, {lo}($a0)
    mtlo  $t1
    move  $k1, $a0
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
    lw    $26, 104($k1)
    lw    $28, 112($k1)
    lw    $29, 116($k1)
    lw    $30, 120($k1)
    lw    $31, 124($k1)
    lw    $27, 108($k1)
    eret
    .set pop

    .globl back_to_host
    .type back_to_host, @function
    .set push
    .set noreorder
# back_to_host(a0 = &TrapFrame) -> !: returns from vcpu_enter with a0.
back_to_host:
    lui   $t0, %hi(HOST_CONTEXT)
    addiu $t0, $t0, %lo(HOST_CONTEXT)
    lw    $t1, 48($t0)
    mtc0  $t1, $12, 0
    ehb
    lw    $s0, 0($t0)
    lw    $s1, 4($t0)
    lw    $s2, 8($t0)
    lw    $s3, 12($t0)
    lw    $s4, 16($t0)
    lw    $s5, 20($t0)
    lw    $s6, 24($t0)
    lw    $s7, 28($t0)
    lw    $s8, 32($t0)
    lw    $gp, 36($t0)
    lw    $sp, 40($t0)
    lw    $ra, 44($t0)
    jr    $ra
    move  $v0, $a0
    .set pop
"#,
    epc = const FRAME_EPC,
    hi = const FRAME_HI,
    lo = const FRAME_LO,
);

extern "C" {
    fn vcpu_enter(frame: *const TrapFrame, status: u32, entry_hi: u32) -> *const TrapFrame;
    fn back_to_host(frame: *const TrapFrame) -> !;
}

/// Runs the guest whose registers are in `guest` with host Status `status`
/// (user mode, EXL=1 so `eret` drops to it) and host ASID `asid`, until it
/// traps. Returns the registers and cause of the exit.
pub fn enter(guest: &TrapFrame, status: u32, asid: u8) -> TrapFrame {
    const KSU_USER: u32 = 2 << 3;
    const EXL: u32 = 1 << 1;
    const CU0: u32 = 1 << 28;
    const BEV: u32 = 1 << 22;
    // The guest never gets CU0, BEV or kernel mode, whatever `status` says.
    let status = (status & !(CU0 | BEV | (3 << 3) | (1 << 2))) | KSU_USER | EXL;
    // SAFETY: vcpu_enter saves every register Rust expects preserved (and
    // Status) in HOST_CONTEXT, then runs the guest in user mode, where it
    // can only reach memory through host TLB entries the hypervisor
    // installed (inside its own allocation) and cannot touch CP0. Any
    // exception enters the vectors, whose `exception_entry` calls
    // `back_to_host`, restoring that context and returning here with the
    // exit frame, a valid TrapFrame at the top of the exception stack.
    unsafe { *vcpu_enter(guest, status, u32::from(asid)) }
}

/// Leaves `exception_entry` for the hypervisor context `enter` saved.
/// Only for exceptions taken in user mode, that is, from a guest.
pub fn return_to_host(frame: &TrapFrame) -> ! {
    // SAFETY: only called for an exception from user mode, which only a
    // guest entered by `enter` runs in, so HOST_CONTEXT holds the context
    // of that `enter` call, whose stack frame is still live (the exception
    // stack is separate from the hypervisor's).
    unsafe { back_to_host(frame) }
}
