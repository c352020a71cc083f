# What the trace programs in this directory share: the entry point,
# output on QEMU Malta's ISA UART (COM1, port 0x3F8 through the
# GT-64120's PCI0 I/O window at 0x18000000: KSEG1 0xB80003F8), hex
# printing, access macros for the device under test, and the exit. A
# trace has `.include "trace_io.S"` after its `.set noreorder`; the
# assembler looks for the file only in the working directory and the -I
# directories, so the commands in a trace's header are run from here.
#
# The convention:
#   $s7                the UART, loaded by TRACE_START; nothing else
#                      writes it.
#   $s6                the device under test, for RW ... WB.
#   putc               $a1 = character; waits for LSR.THRE; clobbers $t5.
#   puthex8, puthex4, puthex2
#                      $a0 = value; prints its low 8, 4 or 2 hex digits
#                      (lower case) and a space; clobbers $a1, $t3-$t6 and
#                      $t8, where it keeps its return address (a caller
#                      keeps its own elsewhere); keeps $a0 and the rest.
#   NL                 a newline (putc: $a1, $t5, $ra).
#   RW, RH, RB off     lw, lhu or lbu off($s6) into $a0, and print it
#                      (8, 4 or 2 digits).
#   WW, WH, WB off, v  v into $t0, and sw, sh or sb it at off($s6).
#   TRACE_START        the entry point _start, in .text: loads $s7 (QEMU's
#                      UART needs no setting up).
#   TRACE_EXIT         0x42 to the FPGA's SOFTRES (0x1F000500): QEMU
#                      resets the board and, with -no-reboot, exits; if it
#                      did not, spins. Uses $t0, $t1.
# The routines land where the file is included, so in .text ahead of
# _start (the traces are linked with -e _start); they are assembled with
# .set noreorder (every delay slot filled by hand) whatever the includer
# has set.
        .macro TRACE_START
        .text
        .globl _start
_start:
        lui   $s7, 0xB800
        ori   $s7, $s7, 0x03F8
        .endm
        .macro NL
        li    $a1, 10
        jal   putc
        nop
        .endm
        .macro RW off
        lw    $a0, \off($s6)
        jal   puthex8
        nop
        .endm
        .macro RH off
        lhu   $a0, \off($s6)
        jal   puthex4
        nop
        .endm
        .macro RB off
        lbu   $a0, \off($s6)
        jal   puthex2
        nop
        .endm
        .macro WW off, v
        li    $t0, \v
        sw    $t0, \off($s6)
        .endm
        .macro WH off, v
        li    $t0, \v
        sh    $t0, \off($s6)
        .endm
        .macro WB off, v
        li    $t0, \v
        sb    $t0, \off($s6)
        .endm
        .macro TRACE_EXIT
        lui   $t0, 0xBF00
        li    $t1, 0x42
        sw    $t1, 0x500($t0)
1:      b     1b
        nop
        .endm

        .set push
        .set noreorder
        .set noat
        .text
puthex8:
        b     puthex
        li    $t6, 28
puthex4:
        b     puthex
        li    $t6, 12
puthex2:
        li    $t6, 4
# $t6 = the shift that brings the first digit down
puthex:
        move  $t8, $ra
puthex_digit:                   # '0'-'9' or 'a'-'f'
        srlv  $t3, $a0, $t6
        andi  $t3, $t3, 0xF
        sltiu $t4, $t3, 10
        bnez  $t4, puthex_put
        addiu $a1, $t3, 48
        addiu $a1, $t3, 87
puthex_put:
        jal   putc
        nop
        addiu $t6, $t6, -4
        bgez  $t6, puthex_digit
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
        .set pop
