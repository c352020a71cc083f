# A raw guest of the QEMU test sdbbp_guest_beside_the_suite (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A raw guest that prints `S` and executes SDBBP in a branch delay slot
# (at ROM offset 0x44; the branch at 0x40). That enters its own debug
# mode: its handler at ROM + 0x480 prints `D` and DEPC, then powers off.
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 0x53
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    .org 0x40
    b     1f
    sdbbp 5
1:  li    $t0, 0x52
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
    # Its debug vector (BEV: ROM + 0x480): D, then DEPC, then power off.
    .org 0x480
    li    $t0, 0x44
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    mfc0  $a0, $24
    bal   print
    nop
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
3:  b     3b
    nop
