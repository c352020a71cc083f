# Prints lwr, lwl, swr, swl results for byte offsets 0-3 (register
# 0xAABBCCDD, memory word 0x44332211), one line per offset: the tables
# checked in hypervisor/src/devemu/mmio.rs. Build and run as uart_trace.S.
        .set noreorder
        .set noat
        .text
        .globl _start
_start:
        lui   $s7, 0xB800
        ori   $s7, $s7, 0x03F8
        la    $s0, buf
        li    $s1, 0
        li    $s2, 0x44332211
        li    $s3, 0xAABBCCDD
loop:
        addu  $s4, $s0, $s1
        sw    $s2, 0($s0)
        move  $a0, $s3
        lwr   $a0, 0($s4)
        jal   puthex
        nop
        move  $a0, $s3
        lwl   $a0, 0($s4)
        jal   puthex
        nop
        sw    $s2, 0($s0)
        swr   $s3, 0($s4)
        lw    $a0, 0($s0)
        jal   puthex
        nop
        sw    $s2, 0($s0)
        swl   $s3, 0($s4)
        lw    $a0, 0($s0)
        jal   puthex
        nop
        li    $a1, 10
        jal   putc
        nop
        addiu $s1, $s1, 1
        li    $t0, 4
        bne   $s1, $t0, loop
        nop
        lui   $t0, 0xBF00
        li    $t1, 0x42
        sw    $t1, 0x500($t0)
1:      b 1b
        nop

# a0 = value; prints 8 hex digits and a space
puthex:
        move  $t8, $ra
        li    $t6, 28
2:      srlv  $t3, $a0, $t6
        andi  $t3, $t3, 0xF
        sltiu $t4, $t3, 10
        bnez  $t4, 3f
        addiu $a1, $t3, 48
        addiu $a1, $t3, 87
3:      jal   putc
        nop
        addiu $t6, $t6, -4
        bgez  $t6, 2b
        nop
        li    $a1, 32
        jal   putc
        nop
        jr    $t8
        nop

putc:
        lbu   $t5, 5($s7)
        andi  $t5, $t5, 0x20
        beqz  $t5, putc
        nop
        sb    $a1, 0($s7)
        jr    $ra
        nop

        .data
        .align 4
buf:    .word 0, 0, 0, 0
