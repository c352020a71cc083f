# Appended to every raw guest of the QEMU tests (xtask/src/qemu_tests/).
# `print`, appended to every raw guest by [`assemble_raw`]: writes `$a0`
# as 8 hex digits and a newline to the UART at `$s0` (polling LSR.THRE);
# clobbers t1-t4 and a0. Named labels, so a guest's numeric labels never
# resolve into it.
    .text
    .set push
    .set noreorder
print:
    li    $t1, 8
print_digit:
    srl   $t2, $a0, 28
    sltiu $t3, $t2, 10
    bnez  $t3, print_wait
    addiu $t2, $t2, 48
    addiu $t2, $t2, 39
print_wait:
    lbu   $t4, 5($s0)
    andi  $t4, $t4, 0x20
    beqz  $t4, print_wait
    nop
    sb    $t2, 0($s0)
    sll   $a0, $a0, 4
    addiu $t1, $t1, -1
    bnez  $t1, print_digit
    nop
    li    $t2, 10
    jr    $ra
    sb    $t2, 0($s0)
    .set pop
