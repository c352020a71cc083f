# A raw guest of the QEMU test hostile_guest_beside_the_suite (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A hostile raw guest: maps guest KSSEG 0x40000000 to guest-physical
# 0x02000000 (past its 16 MiB of RAM; host RAM of the other guest sits
# there in host terms) and loads through it; the hardware answer is a data
# bus error, which its BEV vector (ROM + 0x380) prints (Cause), then it
# tries the same with a store, and a KSEG1 load of guest-physical
# 0x10000000 (nothing there), and finally spins forever with interrupts off.
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $s3, 0
    lui   $t0, 0x4000
    mtc0  $t0, $10
    li    $t0, 0x8001f
    mtc0  $t0, $2
    mtc0  $zero, $3
    mtc0  $zero, $5
    mtc0  $zero, $0
    tlbwi
    ehb
    lui   $t1, 0x4000
    lw    $t2, 0($t1)
    # (the handler comes back here for the second attack)
again:
    lui   $t1, 0x4000
    sw    $t1, 4($t1)
third:
    lui   $t1, 0x3000
    lw    $t2, 0($t1)
done:
    b     done
    nop


    .org 0x380
handler:
    mfc0  $a0, $13
    bal   print
    nop
    addiu $s3, $s3, 1
    li    $t0, 1
    beq   $s3, $t0, 5f
    li    $t0, 2
    beq   $s3, $t0, 6f
    nop
    la    $t0, done
    b     7f
    nop
5:  la    $t0, again
    b     7f
    nop
6:  la    $t0, third
7:  lui   $t1, 0x3fc0
    andi  $t0, $t0, 0xffff
    or    $t0, $t0, $t1
    mtc0  $t0, $14
    mfc0  $t1, $12
    li    $t2, 0xfffffffd
    and   $t1, $t1, $t2
    li    $t2, 0xfffffffe
    and   $t1, $t1, $t2
    mtc0  $t1, $12
    ehb
    jr    $t0
    nop
