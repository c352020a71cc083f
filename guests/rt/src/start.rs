//! Start-up: `_start` (where QEMU's `-kernel` enters natively) and the
//! reset stub `_reset` (section `.reset`, which `guest.ld` places at the
//! VCPU reset vector 0x3FC00000 and `native.ld` discards). Both are in one
//! `global_asm!`, so the linker, asked for `_start`, takes both.
//!
//! `_start` sets `$gp` and the stack, clears the BSS, points EBase at the
//! program's vectors (written while BEV = 1, so no exception can find a
//! half-written EBase), leaves BEV/ERL/EXL/IE clear with Status = 0 and
//! Cause = 0, then calls `guest_rt_main` (defined by `entry!`).
core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
    .set push
    .set noreorder
_start:
    lui   $gp, %hi(_gp)
    addiu $gp, $gp, %lo(_gp)
    lui   $sp, %hi(__stack_top)
    addiu $sp, $sp, %lo(__stack_top)
    lui   $t0, %hi(__bss_start)
    addiu $t0, $t0, %lo(__bss_start)
    lui   $t1, %hi(__bss_end)
    addiu $t1, $t1, %lo(__bss_end)
1:  beq   $t0, $t1, 2f
    nop
    sw    $zero, 0($t0)
    b     1b
    addiu $t0, $t0, 4
2:  lui   $t0, 0x0040
    mtc0  $t0, $12
    ehb
    lui   $t0, %hi(__ebase)
    addiu $t0, $t0, %lo(__ebase)
    mtc0  $t0, $15, 1
    mtc0  $zero, $13
    mtc0  $zero, $12
    ehb
    jal   guest_rt_main
    addiu $sp, $sp, -16
3:  b     3b
    nop
    .set pop

    .section .reset, "ax"
    .globl _reset
    .set push
    .set noreorder
_reset:
    lui   $t0, %hi(_start)
    addiu $t0, $t0, %lo(_start)
    jr    $t0
    nop
    .set pop
"#
);
