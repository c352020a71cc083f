# A raw guest of the QEMU test guest_fpu_64bit_registers (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A raw guest using the FPU in its 64-bit view (Status.CU1 and FR): both
# halves of $f1 written with mtc1/mthc1 read back as written.
    .set noreorder
    .set noat
    .set hardfloat
    .set fp=64
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 0x24400000
    mtc0  $t0, $12
    ehb
    li    $t1, 0x11111111
    mtc1  $t1, $f1
    li    $t2, 0x22222222
    mthc1 $t2, $f1
    li    $t1, 0x33333333
    mtc1  $t1, $f2
    mfhc1 $a0, $f1
    bal   print
    nop
    mfc1  $a0, $f1
    bal   print
    nop
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop

