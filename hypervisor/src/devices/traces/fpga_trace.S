# Prints Malta FPGA register reads for the script replayed by
# hypervisor/src/devices/malta_fpga.rs (mod qemu_trace), against QEMU
# Malta's FPGA block at 0x1F000000 (KSEG1 0xBF000000); output on the ISA
# UART (0x180003F8 through the PCI0 I/O window). One line per section;
# words print as 8 hex digits, halfwords as 4, bytes as 2.
#   mipsel-linux-gnu-as -mips32r2 -EL -o f.o fpga_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o f.elf f.o
#   timeout 20 qemu-system-mipsel -M malta -cpu 24Kf -m 128 -nographic \
#       -vga none -nic none -no-reboot -kernel f.elf
# -m 128 matters: QEMU fills the SPD EEPROM behind the I2C registers from
# the RAM size. The last line is printed before the software reset that
# ends QEMU; the word after it is printed only if the reset failed.
        .set noreorder
        .set noat
        .include "trace_io.S"
        # reads SPD EEPROM byte \a by bit-banging I2COUT/I2CINP; prints it
        .macro SPD a
        li    $a0, \a
        jal   spd
        nop
        .endm
        TRACE_START
        lui   $s6, 0xBF00
        # 1 after reset: SWITCH STATUS JMPRS LEDBAR BRKRES GPOUT GPINP
        #   I2CINP I2COE I2COUT I2CSEL
        RW 0x200; RW 0x208; RW 0x210; RW 0x408; RW 0x508; RW 0xa00; RW 0xa08
        RW 0xb00; RW 0xb08; RW 0xb10; RW 0xb18; NL
        # 2 no register, or write-only: 0 0x10 0x108 0x110 ASCIIWORD
        #   ASCIIPOS0 SOFTRES 0xa04 0xb20 0xffffc
        RW 0x000; RW 0x010; RW 0x108; RW 0x110; RW 0x410; RW 0x418; RW 0x500
        RW 0xa04; RW 0xb20
        lui   $t1, 0xBF10
        lw    $a0, -4($t1)
        jal   puthex8
        nop
        NL
        # 3 writes: LEDBAR BRKRES GPOUT I2COE masked; I2CSEL gates GPINP;
        #   I2COUT keeps the word; read-only registers ignore writes
        WW 0x408, 0x1a5; WW 0x508, 0xffff1234; WW 0xa00, 0x1ff; WW 0xb08, 0xff
        RW 0x408; RW 0x508; RW 0xa00; RW 0xb08
        WW 0xb18, 0xfe; RW 0xb18; RW 0xa08; WW 0xb18, 0x01
        WW 0xb10, 0x12345678; RW 0xb10; RW 0xa08; RW 0xb00
        WW 0x200, 5; WW 0x210, 5; WW 0x208, 5; WW 0xa08, 5; WW 0xb00, 5
        RW 0x200; RW 0x210; RW 0x208; RW 0xb00; NL
        # 4 byte and halfword accesses: only at a register's offset
        RB 0x208; RB 0x209; RH 0x208; RH 0x20a; RB 0x408
        WB 0x409, 0x77; RW 0x408; WH 0x408, 0x5a5a; RW 0x408
        WB 0x408, 0x3c; RW 0x408; RB 0x508; RH 0xb10; RB 0xb13
        WH 0xb12, 0x4321; RW 0xb10; NL
        # 5 the display (write-only: nothing reads back), then the LEDs
        WW 0x410, 0xdeadbeef; WB 0x418, 0x48; WH 0x420, 0x69
        WW 0x450, 0x21; WB 0x41c, 0x58; RW 0x410; RW 0x418; RW 0x408; NL
        # 6 SPD EEPROM: I2CINP with SDA released, then bytes 0 2 5 31 63
        #   126 127 128
        WW 0xb10, 3; RW 0xb00
        SPD 0; SPD 2; SPD 5; SPD 31; SPD 63; SPD 126; SPD 127; SPD 128
        RW 0xb00; RW 0xb10; NL
        # 7 SOFTRES: only 0x42 at offset 0x500 resets
        WW 0x500, 0x142; WH 0x500, 0x4200; WB 0x501, 0x42; WW 0x504, 0x42
        WB 0x500, 0x43; RW 0x408; NL
        WB 0x500, 0x42
        RW 0x408
1:      b 1b
        nop

# one I2C clock: a2 = SDA driven; returns v1 = SDA seen while SCL is high
i2cbit:
        sw    $a2, 0xb10($s6)
        ori   $t0, $a2, 2
        sw    $t0, 0xb10($s6)
        lw    $v1, 0xb00($s6)
        andi  $v1, $v1, 1
        sw    $a2, 0xb10($s6)
        jr    $ra
        nop

# start condition: SDA falls while SCL is high
i2cstart:
        li    $t0, 1
        sw    $t0, 0xb10($s6)
        li    $t0, 3
        sw    $t0, 0xb10($s6)
        li    $t0, 2
        sw    $t0, 0xb10($s6)
        sw    $zero, 0xb10($s6)
        jr    $ra
        nop

# eight clocks driving a3 (MSB first; 0xff releases SDA to read), then an
# acknowledge clock with SDA released; returns v0 = the bits seen,
# v1 = the acknowledge bit seen
i2cbyte:
        move  $t9, $ra
        li    $t7, 8
        move  $v0, $zero
1:      srl   $a2, $a3, 7
        andi  $a2, $a2, 1
        jal   i2cbit
        sll   $a3, $a3, 1
        sll   $v0, $v0, 1
        or    $v0, $v0, $v1
        addiu $t7, $t7, -1
        bnez  $t7, 1b
        nop
        li    $a2, 1
        jal   i2cbit
        nop
        jr    $t9
        nop

# a0 = EEPROM address: a write of the address, then a read of one byte;
# prints the byte
spd:
        move  $s3, $ra
        move  $s4, $a0
        jal   i2cstart
        nop
        li    $a3, 0xa0
        jal   i2cbyte
        nop
        move  $a3, $s4
        jal   i2cbyte
        nop
        jal   i2cstart
        nop
        li    $a3, 0xa1
        jal   i2cbyte
        nop
        li    $a3, 0xff
        jal   i2cbyte
        nop
        move  $a0, $v0
        jal   puthex2
        nop
        jr    $s3
        nop
