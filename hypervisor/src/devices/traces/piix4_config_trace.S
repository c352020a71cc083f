# Prints the PCI configuration space of QEMU Malta's PIIX4 (00:0a.0-3)
# through the GT-64120's GT_PCI0_CFGADDR/CFGDATA for the script replayed
# by hypervisor/src/devices/gt64120.rs (mod qemu_piix4_trace); registers at
# 0x1BE00000, where QEMU's boot loader moved them; output on the ISA UART
# (0x180003F8 through the PCI0 I/O window). Dwords print as 8 hex digits,
# eight a line.
#   mipsel-linux-gnu-as -mips32r2 -EL -o x.o piix4_config_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o x.elf x.o
#   timeout 20 qemu-system-mipsel -M malta -cpu 24Kf -m 128 -nographic \
#       -vga none -nic none -no-reboot -kernel x.elf
# For each function, 32 lines: the 64 dwords as found; each dword after
# writing 0xFFFFFFFF to it (the original value is written back before
# the next dword); the same with 0; the 64 dwords again. A value is
# printed only after the original has been written back, so nothing the
# write switched on for a moment (an I/O decode, a PM or SMBus block
# moved over the ISA ports) is in place while the UART is used.
        .set noreorder
        .set noat
        .include "trace_io.S"
        .macro CR a
        WW 0xcf8, \a
        RW 0xcfc
        .endm
        .macro CW a, v
        WW 0xcf8, \a
        WW 0xcfc, \v
        .endm
        # the 32 lines of function \f
        .macro FUNCTION f
        li    $s2, 0x80005000 + (\f << 8)
        jal   dump
        nop
        li    $s3, 0xffffffff
        jal   probe
        nop
        li    $s3, 0
        jal   probe
        nop
        jal   dump
        nop
        .endm
        TRACE_START
        lui   $s6, 0xBBE0
        # 1-32 00:0a.0 ISA bridge, 33-64 00:0a.1 IDE, 65-96 00:0a.2 USB,
        # 97-128 00:0a.3 power management
        FUNCTION 0
        FUNCTION 1
        FUNCTION 2
        FUNCTION 3
        # 129 functions 4-7 of device 10, device 10 on bus 1, device 11;
        #   register 0x63 of function 0 reads dword 0x60 (CFGADDR drops
        #   bits 1:0)
        CR 0x80005400; CR 0x80005700; CR 0x80015000; CR 0x80005800
        CR 0x80005063; NL
        # 130 a write to an absent function lands nowhere
        CW 0x80005460, 0x0b0b0a0a; CR 0x80005460; CR 0x80005060; NL
        # 131 MByteSwap clear (PCI0_CMD = 0): PIRQ routing written and read
        #   swapped, then read with MByteSwap set again; the host bridge
        #   (00:00.x) is never swapped
        WW 0xc00, 0
        CW 0x80005060, 0x0b0b0a0a; CR 0x80005060; CR 0x80005000; CR 0x80000000
        WW 0xc00, 0x00010001
        CR 0x80005060
        CW 0x80005060, 0x80808080; CR 0x80005060; NL
        # 132 what Linux's Malta fix-ups write (PIRQ routing, TOM, SERIRQ
        #   control, DLC, IDE decode enable), read back
        CW 0x80005060, 0x0b0b0a0a; CR 0x80005060
        CW 0x80005068, 0x0000f000; CR 0x80005068
        CW 0x80005064, 0x000000d0; CR 0x80005064
        CW 0x80005080, 0x00070000; CR 0x80005080
        CW 0x80005140, 0x80008000; CR 0x80005140; NL
        TRACE_EXIT

# s2 = function's configuration address: prints its 64 dwords
dump:
        move  $s5, $ra
        li    $s4, 0
4:      addu  $t0, $s2, $s4
        sw    $t0, 0xcf8($s6)
        lw    $a0, 0xcfc($s6)
        jal   puthex8
        nop
        addiu $s4, $s4, 4
        andi  $t0, $s4, 0x1f
        bnez  $t0, 5f
        nop
        NL
5:      sltiu $t0, $s4, 256
        bnez  $t0, 4b
        nop
        jr    $s5
        nop

# s2 = function's configuration address, s3 = value: writes s3 to each
# dword, reads it back, writes the original back, prints what was read
probe:
        move  $s5, $ra
        li    $s4, 0
6:      addu  $t0, $s2, $s4
        sw    $t0, 0xcf8($s6)
        lw    $s0, 0xcfc($s6)
        sw    $s3, 0xcfc($s6)
        lw    $s1, 0xcfc($s6)
        sw    $s0, 0xcfc($s6)
        move  $a0, $s1
        jal   puthex8
        nop
        addiu $s4, $s4, 4
        andi  $t0, $s4, 0x1f
        bnez  $t0, 7f
        nop
        NL
7:      sltiu $t0, $s4, 256
        bnez  $t0, 6b
        nop
        jr    $s5
        nop
