# A raw guest of the QEMU test uart_interrupt_wakes_wait (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A raw guest that enables its UART's receive interrupt (IER.ERBFI, wired
# to Cause.IP2), unmasks IP2 and sleeps in WAIT; the byte typed through
# `vserial bind` raises the line, its BEV vector prints Cause and the byte,
# and it powers off.
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 1
    sb    $t0, 1($s0)
    li    $t0, 0x00400401
    mtc0  $t0, $12
    ehb
    wait
1:  b     1b
    nop


    .org 0x380
handler:
    mfc0  $a0, $13
    bal   print
    nop
    lbu   $t0, 0($s0)
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
