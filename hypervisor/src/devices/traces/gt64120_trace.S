# Prints GT-64120 register and PCI configuration reads for the script
# replayed by hypervisor/src/devices/gt64120.rs (mod qemu_trace), against
# QEMU Malta's system controller (registers at 0x1BE00000, where QEMU's
# boot loader moved them); output on the ISA UART (0x180003F8 through the
# PCI0 I/O window). One line per section; words print as 8 hex digits,
# halfwords as 4, bytes as 2.
#   mipsel-linux-gnu-as -mips32r2 -EL -o g.o gt64120_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o g.elf g.o
#   timeout 20 qemu-system-mipsel -M malta -cpu 24Kf -m 128 -nographic \
#       -vga none -nic none -no-reboot -kernel g.elf
# The program must not move the ISA window (PCI0IOLD keeps 0xC0) nor the
# register window (GT_ISD is never written).
        .set noreorder
        .set noat
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
        # configuration read / write through CFGADDR and CFGDATA
        .macro CR a
        WW 0xcf8, \a
        RW 0xcfc
        .endm
        .macro CW a, v
        WW 0xcf8, \a
        WW 0xcfc, \v
        .endm
        .macro NL
        li    $a1, 10
        jal   putc
        nop
        .endm
        .text
        .globl _start
_start:
        lui   $s7, 0xB800
        ori   $s7, $s7, 0x03F8
        lui   $s6, 0xBBE0
        # 1 what Linux reads at boot: CPU MULTI ISD PCI0IOLD/HD/REMAP
        #   M0LD/HD/REMAP M1LD/HD/REMAP PCI0_CMD CFGADDR INTRCAUSE
        RW 0x000; RW 0x120; RW 0x068; RW 0x048; RW 0x050; RW 0x0f0
        RW 0x058; RW 0x060; RW 0x0f8; RW 0x080; RW 0x088; RW 0x100
        RW 0xc00; RW 0xcf8; RW 0xc18; NL
        # 2 CPU address decode: SCS10 SCS32 CS20 CS3BOOT LD/HD, PCI1 IO M0 M1
        #   LD/HD, SCS10AR SCS32AR CS20R CS3BOOTR, PCI1 remaps
        RW 0x008; RW 0x010; RW 0x018; RW 0x020; RW 0x028; RW 0x030; RW 0x038; RW 0x040
        RW 0x090; RW 0x098; RW 0x0a0; RW 0x0a8; RW 0x0b0; RW 0x0b8
        RW 0x0d0; RW 0x0d8; RW 0x0e0; RW 0x0e8; RW 0x108; RW 0x110; RW 0x118; NL
        # 3 CPU error, sync barriers, ECC
        RW 0x070; RW 0x078; RW 0x128; RW 0x130; RW 0x138; RW 0x0c0; RW 0x0c8
        RW 0x480; RW 0x484; RW 0x488; RW 0x48c; RW 0x490; NL
        # 4 SDRAM and device decode, ADERR, SDRAM configuration and parameters
        RW 0x400; RW 0x404; RW 0x408; RW 0x40c; RW 0x410; RW 0x414; RW 0x418; RW 0x41c
        RW 0x420; RW 0x424; RW 0x428; RW 0x42c; RW 0x430; RW 0x434; RW 0x438; RW 0x43c
        RW 0x440; RW 0x444; RW 0x470; RW 0x448; RW 0x474; RW 0x478; RW 0x47c
        RW 0x44c; RW 0x450; RW 0x454; RW 0x458; NL
        # 5 device parameters, DMA, timer/counter
        RW 0x45c; RW 0x460; RW 0x464; RW 0x468; RW 0x46c
        RW 0x800; RW 0x810; RW 0x820; RW 0x830; RW 0x840; RW 0x860; RW 0x87c
        RW 0x850; RW 0x854; RW 0x858; RW 0x85c; RW 0x864; NL
        # 6 PCI internal: PCI0 TOR BS_* IACK1 BARE PREFMBR BARs, PCI1 the same,
        #   PCI1 CFGADDR/CFGDATA
        RW 0xc04; RW 0xc08; RW 0xc0c; RW 0xc10; RW 0xc14; RW 0xc30; RW 0xc3c; RW 0xc40
        RW 0xc48; RW 0xc4c; RW 0xc50; RW 0xc54; RW 0xc58; RW 0xc5c; RW 0xc64
        RW 0xc80; RW 0xc84; RW 0xc88; RW 0xc8c; RW 0xc90; RW 0xc94; RW 0xcbc; RW 0xcc0
        RW 0xcc8; RW 0xccc; RW 0xcd0; RW 0xcd4; RW 0xcd8; RW 0xcdc; RW 0xce4
        RW 0xcf0; RW 0xcf4; NL
        # 7 interrupt registers
        RW 0xc18; RW 0xc1c; RW 0xc24; RW 0xc28; RW 0xc70; RW 0xc74
        RW 0xc98; RW 0xc9c; RW 0xca4; RW 0xca8; NL
        # 8 offsets that are no register
        RW 0x004; RW 0x0fc; RW 0x200; RW 0x4a0; RW 0x880; RW 0xc38; RW 0xd00; RW 0xffc; NL
        # 9-16 configuration space of 00:00.0, 8 dwords a line
        .irp r, 0x00,0x20,0x40,0x60,0x80,0xa0,0xc0,0xe0
        CR (0x80000000+\r); CR (0x80000004+\r); CR (0x80000008+\r); CR (0x8000000c+\r)
        CR (0x80000010+\r); CR (0x80000014+\r); CR (0x80000018+\r); CR (0x8000001c+\r)
        NL
        .endr
        # 17-20 bus 0 probe: dword 0 of devices 0-31, function 0
        .irp d, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        CR (0x80000000+(\d<<11))
        .ifeq (\d + 1) % 8
        NL
        .endif
        .endr
        # 21 other functions and buses; CFGDATA with ConfigEn clear; the
        #   CFGADDR write mask
        CR 0x80000100; CR 0x80000700; CR 0x80010000; CR 0x80ff0000; CR 0x80fffffc
        WW 0xcf8, 0x00000000; RW 0xcfc; RW 0xcf8
        WW 0xcf8, 0xffffffff; RW 0xcf8; WW 0xcf8, 0x7f000003; RW 0xcf8; NL
        # 22 configuration writes to 00:00.0: command, cache line, BAR0, BAR4
        #   (as Linux's pci-malta.c), ROM BAR, interrupt line, 0x40, 0xfc
        CW 0x80000004, 0xffffffff; RW 0xcfc
        CW 0x80000004, 0x00000000; RW 0xcfc
        CW 0x8000000c, 0xffffffff; RW 0xcfc
        CW 0x80000010, 0xffffffff; RW 0xcfc
        CW 0x80000020, 0x1be00000; RW 0xcfc
        CW 0x80000030, 0xffffffff; RW 0xcfc
        CW 0x8000003c, 0xffffffff; RW 0xcfc
        CW 0x80000040, 0x12345678; RW 0xcfc
        CW 0x800000fc, 0xa5a5a5a5; RW 0xcfc; NL
        # 23 writes that must not land: ConfigEn clear, absent device, bus 1
        CW 0x00000040, 0xdeadbeef; CR 0x80000040
        CW 0x80000840, 0xdeadbeef; CR 0x80000840
        CW 0x80010040, 0xdeadbeef; CR 0x80010040; CR 0x80000040; NL
        # 24 byte and halfword CFGDATA reads of 00:00.0 dword 0
        WW 0xcf8, 0x80000000; RB 0xcfc; RB 0xcfd; RB 0xcfe; RB 0xcff; RH 0xcfc; RH 0xcfe; NL
        # 25 byte and halfword CFGDATA writes: cache line / latency; 0x40
        CW 0x8000000c, 0; WB 0xcfc, 0x10; RW 0xcfc; WB 0xcfd, 0x08; RW 0xcfc
        CW 0x80000040, 0x12345678; WB 0xcfe, 0xaa; RW 0xcfc
        CW 0x80000040, 0x12345678; WH 0xcfe, 0xbeef; RW 0xcfc
        CW 0x80000040, 0x12345678; WB 0xcff, 0x99; RW 0xcfc; RB 0xcff; NL
        # 26 CPU, MULTI, PCI0IOLD (its remap follows), remap alone, PCI1 windows
        WW 0x000, 0xffffffff; RW 0x000; WW 0x000, 0x00001000; RW 0x000
        WW 0x120, 0; RW 0x120
        WW 0x048, 0xffff80c0; RW 0x048; RW 0x0f0
        WW 0x0f0, 0xffffffff; RW 0x0f0; WW 0x0f0, 0; RW 0x0f0; RW 0x048
        WW 0x090, 0xffffffff; RW 0x090; RW 0x108; WW 0x098, 0xffffffff; RW 0x098
        WW 0x0a0, 0x12345678; RW 0x0a0; RW 0x110; WW 0x0b8, 0x12345678; RW 0x0b8; NL
        # 27 PCI0 memory windows shrunk and restored; M1LD rewritten
        WW 0x060, 0x1f; RW 0x060; WW 0x060, 0x3f; RW 0x060
        WW 0x100, 0; RW 0x100; WW 0x080, 0xc1; RW 0x080; RW 0x100; NL
        # 28 registers QEMU does not let the guest change
        WW 0x008, 0x55; RW 0x008; WW 0x0d0, 0x55; RW 0x0d0; WW 0x070, 0x55; RW 0x070
        WW 0x0c0, 0x55; RW 0x0c0; WW 0x488, 0x55; RW 0x488; WW 0x45c, 0; RW 0x45c
        WW 0x800, 0x1234; RW 0x800; WW 0x840, 0x1234; RW 0x840; WW 0x850, 0; RW 0x850
        WW 0xc04, 0; RW 0xc04; WW 0xc48, 0x55; RW 0xc48; WW 0xcf0, 0x55; RW 0xcf0
        WW 0xc34, 0x55; WW 0xc98, 0xffffffff; RW 0xc98; WW 0xc70, 0xffffffff; RW 0xc70; NL
        # 29 stored registers: SDRAM decode and parameters, PCI command,
        #   interrupt cause and masks, unknown offset
        WW 0x400, 0xffffffff; RW 0x400; WW 0x470, 0; RW 0x470; WW 0x448, 0x12345678; RW 0x448
        WW 0x44c, 0x12345678; RW 0x44c
        WW 0xc00, 0xffffffff; RW 0xc00; WW 0xc00, 0x00010001; RW 0xc00
        WW 0xc80, 0xffffffff; RW 0xc80
        WW 0xc18, 0xffffffff; RW 0xc18; WW 0xc18, 0; RW 0xc18
        WW 0xc1c, 0xffffffff; RW 0xc1c; WW 0xc24, 0xffffffff; RW 0xc24
        WW 0xc28, 0xffffffff; RW 0xc28; WW 0x200, 0xffffffff; RW 0x200; NL
        # 30 byte and halfword accesses to other registers
        RB 0x048; RB 0x049; RH 0x04a; RB 0x001; RH 0x000
        WB 0x0a1, 0x55; RW 0x0a0; RW 0x110
        WH 0x0aa, 0x0003; RW 0x0a8; NL
        # 31 MByteSwap clear (PCI0_CMD = 0): configuration reads
        WW 0xc00, 0; RW 0xc00; CR 0x80000000; CR 0x80000800; CR 0x80005000
        WW 0xc00, 0x00010001; RW 0xc00; NL
        # 32 GT_CPU endianness bit clear: register values swap both ways
        WW 0x000, 0; RW 0x000; RW 0x048; RW 0x120
        WW 0xcf8, 0x00000080; RW 0xcf8; RW 0xcfc
        WW 0x000, 0x00100000; RW 0x000; RW 0x048; NL
        # 33 PCI0 interrupt acknowledge with the i8259s' interrupts masked
        lui   $t1, 0xB800
        li    $t0, 0xff
        sb    $t0, 0x21($t1)
        sb    $t0, 0xa1($t1)
        RW 0xc34; RW 0xc34; RB 0xc34; NL
        lui   $t0, 0xBF00
        li    $t1, 0x42
        sw    $t1, 0x500($t0)
1:      b 1b
        nop

# a0 = value; prints 8, 4 or 2 hex digits and a space
puthex8:
        b     puthex
        li    $t6, 28
puthex4:
        b     puthex
        li    $t6, 12
puthex2:
        li    $t6, 4
puthex:
        move  $t8, $ra
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
