# A raw guest of the QEMU test raw_guest_mtc0_round_trip (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A raw guest image (for the ROM, so it starts at its first word): times
# `ROUND_TRIPS` iterations of a loop, first without and then with an
# `mtc0` (emulated), in Count ticks, prints both in hex on its UART and
# powers itself off.
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 1000
    mfc0  $s1, $9
1:  sll   $zero, $zero, 0
    addiu $t0, $t0, -1
    bnez  $t0, 1b
    nop
    mfc0  $s2, $9
    bal   print
    subu  $a0, $s2, $s1
    li    $t0, 1000
    mfc0  $s1, $9
1:  mtc0  $zero, $14
    addiu $t0, $t0, -1
    bnez  $t0, 1b
    nop
    mfc0  $s2, $9
    bal   print
    subu  $a0, $s2, $s1
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
