# Prints lwr, lwl, swr, swl results for byte offsets 0-3 (register
# 0xAABBCCDD, memory word 0x44332211), one line per offset: the tables
# checked in hypervisor/src/devemu/mmio.rs. Build and run as uart_trace.S.
        .set noreorder
        .set noat
        .include "trace_io.S"
        TRACE_START
        la    $s0, buf
        li    $s1, 0
        li    $s2, 0x44332211
        li    $s3, 0xAABBCCDD
loop:
        addu  $s4, $s0, $s1
        sw    $s2, 0($s0)
        move  $a0, $s3
        lwr   $a0, 0($s4)
        jal   puthex8
        nop
        move  $a0, $s3
        lwl   $a0, 0($s4)
        jal   puthex8
        nop
        sw    $s2, 0($s0)
        swr   $s3, 0($s4)
        lw    $a0, 0($s0)
        jal   puthex8
        nop
        sw    $s2, 0($s0)
        swl   $s3, 0($s4)
        lw    $a0, 0($s0)
        jal   puthex8
        nop
        NL
        addiu $s1, $s1, 1
        li    $t0, 4
        bne   $s1, $t0, loop
        nop
        TRACE_EXIT

        .data
        .align 4
buf:    .word 0, 0, 0, 0
