# Prints i8259 register reads, interrupt acknowledges (GT_PCI0_IACK) and
# the INT output (Cause.IP2) for the script replayed by
# hypervisor/src/devices/i8259.rs (mod qemu_trace), against QEMU Malta's
# PIIX4 interrupt controllers (ISA ports at 0x18000000, GT-64120 registers
# at 0x1BE00000 where QEMU's boot loader moved them); output on the ISA
# UART. Every value prints as two hex digits.
#   mipsel-linux-gnu-as -mips32r2 -EL -o p.o i8259_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o p.elf p.o
#   timeout 20 qemu-system-mipsel -M malta -cpu 24Kf -m 128 -nographic \
#       -vga none -nic none -no-reboot -icount shift=0 -kernel p.elf
# Interrupt lines are driven through devices whose interrupt QEMU raises
# and lowers on a register access, nothing else: IRQ 3 by COM2's IER
# (THRE interrupt), IRQ 1 and IRQ 12 by the i8042's "write keyboard/aux
# output buffer" commands (lowered by reading port 0x60; never both at
# once, they share the output buffer), IRQ 14 and 15 by an IDENTIFY to the
# IDE channels (lowered by reading the status register). IRQ 0 (the PIT,
# which QEMU starts in mode 3 with count 0x10000 at reset) is masked
# whenever the script unmasks anything, and with -icount shift=0 its
# first edge would come 55 ms after reset, long after the script ends.
# Every line is low when an ICW1 is written (QEMU re-latches a line that
# is raised again while its edge memory is clear).
        .set noreorder
        .set noat
        .include "trace_io.S"
        # a read whose value is not printed
        .macro RX port
        lbu   $t0, \port($s6)
        .endm
        .macro IACK
        lw    $a0, 0x0c34($s5)
        jal   puthex2
        nop
        .endm
        # the master's INT output as Cause.IP2
        .macro INT
        mfc0  $a0, $13
        srl   $a0, $a0, 10
        andi  $a0, $a0, 1
        jal   puthex2
        nop
        .endm
        .macro IRQ3_ON
        WB 0x2f9, 0x02
        .endm
        .macro IRQ3_OFF
        WB 0x2f9, 0x00
        .endm
        .macro IRQ1_ON
        WB 0x64, 0xd2
        WB 0x60, 0x11
        .endm
        .macro IRQ1_OFF
        RX 0x60
        .endm
        .macro IRQ12_ON
        WB 0x64, 0xd3
        WB 0x60, 0x12
        .endm
        .macro IRQ12_OFF
        RX 0x60
        .endm
        .macro IRQ14_ON
        WB 0x1f7, 0xec
        .endm
        .macro IRQ14_OFF
        RX 0x1f7
        .endm
        .macro IRQ15_ON
        WB 0x177, 0xec
        .endm
        .macro IRQ15_OFF
        RX 0x177
        .endm
        TRACE_START
        lui   $s6, 0xB800
        lui   $s5, 0xBBE0
        # 1 power-on: IRR IMR (master, slave), ISR (master, slave), ELCR1
        #   ELCR2, INT, IACK (spurious, vector base 0), master ISR
        RB 0x20; RB 0x21; RB 0xa0; RB 0xa1; WB 0x20, 0x0b; RB 0x20; WB 0xa0, 0x0b; RB 0xa0
        RB 0x4d0; RB 0x4d1; INT; IACK; RB 0x20; WB 0x20, 0x0a; WB 0xa0, 0x0a; NL
        # 2 Linux's init_8259A(0), then its masks: IMR during the ICWs,
        #   IMRs, IRRs, ISRs, INT, IACK
        WB 0x21, 0xff; WB 0xa1, 0xff
        WB 0x20, 0x11; RB 0x21; WB 0x21, 0x00; WB 0x21, 0x04; WB 0x21, 0x01
        WB 0xa0, 0x11; WB 0xa1, 0x08; WB 0xa1, 0x02; WB 0xa1, 0x01
        WB 0x21, 0xfb; WB 0xa1, 0xff
        RB 0x21; RB 0xa1; RB 0x20; RB 0xa0; WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x0a; INT; IACK; NL
        # 3 edge IRQ 3: latched while masked, INT once unmasked, IACK,
        #   IRR ISR INT, EOI, ISR INT, IRR (no new request while the line
        #   stays high), fall and rise: IRR INT IACK, specific EOI
        IRQ3_ON; RB 0x20; INT; WB 0x21, 0xf3; INT; IACK
        RB 0x20; WB 0x20, 0x0b; RB 0x20; INT; WB 0x20, 0x20; RB 0x20; INT; WB 0x20, 0x0a; RB 0x20
        IRQ3_OFF; IRQ3_ON; RB 0x20; INT; IACK; WB 0x20, 0x63; IRQ3_OFF; NL
        # 4 priority: IRQ 3 and 1 pending: IRR IACK(1) INT IACK(spurious)
        #   ISR, EOI: INT IACK(3) ISR, EOI: ISR
        WB 0x21, 0xf1; IRQ3_ON; IRQ1_ON; RB 0x20; IACK; INT; IACK; WB 0x20, 0x0b; RB 0x20
        WB 0x20, 0x20; INT; IACK; RB 0x20; WB 0x20, 0x20; RB 0x20; WB 0x20, 0x0a
        IRQ1_OFF; IRQ3_OFF; NL
        # 5 nesting: IRQ 3 in service, IRQ 1 preempts: IACK INT IACK ISR,
        #   EOI ISR, EOI ISR
        IRQ3_ON; IACK; IRQ1_ON; INT; IACK; WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x20; RB 0x20
        WB 0x20, 0x20; RB 0x20; WB 0x20, 0x0a; IRQ1_OFF; IRQ3_OFF; NL
        # 6 cascade, edge IRQ 14: slave IRR, master IRR, INT while the
        #   slave masks it; unmasked: master IRR, INT, IACK, IRRs, ISRs,
        #   INT, Linux's EOIs (specific to the slave, then IR2): ISRs
        IRQ14_ON; RB 0xa0; RB 0x20; INT; WB 0xa1, 0xbf; RB 0x20; INT; IACK
        RB 0xa0; RB 0x20; WB 0xa0, 0x0b; WB 0x20, 0x0b; RB 0xa0; RB 0x20; INT
        WB 0xa0, 0x66; WB 0x20, 0x62; RB 0xa0; RB 0x20; WB 0xa0, 0x0a; WB 0x20, 0x0a
        IRQ14_OFF; NL
        # 7 IRQ 15, 14 and 3: IACK(14) INT IACK(spurious), slave EOI: master
        #   IRR INT, master EOI: INT IACK(15), EOIs, IACK(3), EOI, ISRs
        WB 0xa1, 0x3f; IRQ15_ON; IRQ14_ON; IRQ3_ON; IACK; INT; IACK
        WB 0xa0, 0x20; RB 0x20; INT; WB 0x20, 0x20; INT; IACK
        WB 0xa0, 0x20; WB 0x20, 0x20; IACK; WB 0x20, 0x20
        WB 0xa0, 0x0b; WB 0x20, 0x0b; RB 0xa0; RB 0x20; WB 0xa0, 0x0a; WB 0x20, 0x0a
        IRQ15_OFF; IRQ14_OFF; IRQ3_OFF; NL
        # 8 level IRQ 14 (ELCR2 bit 6): ELCR2, slave IRR, IACK, slave IRR
        #   (still requested), EOIs: INT IACK, line low: slave IRR INT,
        #   EOIs: INT
        WB 0x4d1, 0x40; RB 0x4d1; IRQ14_ON; RB 0xa0; IACK; RB 0xa0
        WB 0xa0, 0x20; WB 0x20, 0x20; INT; IACK; IRQ14_OFF; RB 0xa0; INT
        WB 0xa0, 0x20; WB 0x20, 0x20; INT; NL
        # 9 spurious: level IRQ 14 withdrawn before the IACK: master IRR
        #   INT IACK(slave's IR7) ISRs, EOI; level IRQ 3 withdrawn: IRR INT
        #   IACK(master's IR7) ISR; reserved ELCR bits: ELCR1 ELCR2
        IRQ14_ON; IRQ14_OFF; RB 0x20; INT; IACK; WB 0xa0, 0x0b; WB 0x20, 0x0b; RB 0xa0; RB 0x20
        WB 0x20, 0x20; RB 0x20; WB 0xa0, 0x0a; WB 0x20, 0x0a
        WB 0x4d0, 0x08; IRQ3_ON; RB 0x20; IRQ3_OFF; RB 0x20; INT; IACK; WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x0a
        WB 0x4d0, 0xff; WB 0x4d1, 0xff; RB 0x4d0; RB 0x4d1; WB 0x4d0, 0x00; WB 0x4d1, 0x00; NL
        # 10 poll: IRQ 3: poll, ISR, poll (nothing), EOI; IRQ 14: master
        #   poll (IR2), master ISR, slave IRR, slave poll through A0=1,
        #   slave ISR, EOIs; poll wins over the register read: OCW3 0x0f
        #   with nothing pending, then ISR
        IRQ3_ON; WB 0x20, 0x0c; RB 0x20; WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x0c; RB 0x21
        WB 0x20, 0x20; IRQ3_OFF
        IRQ14_ON; WB 0x20, 0x0c; RB 0x20; RB 0x20; RB 0xa0; WB 0xa0, 0x0c; RB 0xa1
        WB 0xa0, 0x0b; RB 0xa0; WB 0xa0, 0x20; WB 0x20, 0x20; IRQ14_OFF
        WB 0x20, 0x0f; RB 0x20; RB 0x20; WB 0x20, 0x0a; NL
        # 11 rotation: IR1 lowest (IR2 highest): IRQ 3 and 1: IACK(3),
        #   rotating EOI (IR3 lowest): IACK(1), ISR, rotating specific EOI
        #   of IR1; IRQ 3 and 1 again: IACK(3); set priority IR7 lowest:
        #   IACK(spurious: 1 below 3); EOI: IACK(1), EOI, ISR
        WB 0x20, 0xc1; IRQ3_ON; IRQ1_ON; IACK; WB 0x20, 0xa0; IACK; WB 0x20, 0x0b; RB 0x20
        WB 0x20, 0xe1; RB 0x20; IRQ1_OFF; IRQ3_OFF
        IRQ3_ON; IRQ1_ON; IACK; WB 0x20, 0xc7; IACK; WB 0x20, 0x20; IACK; WB 0x20, 0x20; RB 0x20
        WB 0x20, 0x0a; IRQ1_OFF; IRQ3_OFF; NL
        # 12 special mask mode: IR1 lowest, IRQ 3 in service, IRQ 1 waits:
        #   INT; mask IR3 and set SMM: INT IACK(1) ISR; clear SMM, unmask,
        #   EOIs, priority back to IR7 lowest: ISR
        WB 0x20, 0xc1; IRQ3_ON; IACK; IRQ1_ON; INT; WB 0x21, 0xf9; WB 0x20, 0x68; INT; IACK
        WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x48; WB 0x21, 0xf1; WB 0x20, 0x61; WB 0x20, 0x63
        WB 0x20, 0xc7; RB 0x20; WB 0x20, 0x0a; IRQ1_OFF; IRQ3_OFF; NL
        # 13 auto-EOI, vector bases 0x25/0x2f (bits 2:0 dropped): master
        #   ICW1-4 (IMR read between), IACK(3) ISR INT; rotate in AEOI:
        #   IRQ 3 and 1: IACK(1) then IRQ 1 again: IACK(3) IACK(1); clear
        #   rotation; slave ICW1-4: IRQ 14: IACK, ISRs
        WB 0x20, 0x11; WB 0x21, 0x25; WB 0x21, 0x04; RB 0x21; WB 0x21, 0x03; WB 0x21, 0xf1
        IRQ3_ON; IACK; WB 0x20, 0x0b; RB 0x20; WB 0x20, 0x0a; INT; IRQ3_OFF
        WB 0x20, 0x80; IRQ3_ON; IRQ1_ON; IACK; IRQ1_OFF; IRQ1_ON; IACK; IACK; WB 0x20, 0x00
        IRQ1_OFF; IRQ3_OFF
        WB 0xa0, 0x11; WB 0xa1, 0x2f; WB 0xa1, 0x02; WB 0xa1, 0x01; WB 0xa1, 0xbf
        IRQ14_ON; IACK; WB 0xa0, 0x0b; WB 0x20, 0x0b; RB 0xa0; RB 0x20
        WB 0xa0, 0x20; RB 0xa0; WB 0xa0, 0x0a; WB 0x20, 0x0a; IRQ14_OFF; NL
        # 14 slave in single mode without ICW4 (ICW1 0x12: ICW2 only), then
        #   IMR: IMR, IRQ 14: IACK; master with SFNM (ICW4 0x11): IRQ 14 in
        #   service, IRQ 12 (higher on the slave): INT IACK ISRs; without
        #   SFNM IRQ 12 waits: INT
        WB 0xa0, 0x12; WB 0xa1, 0x33; WB 0xa1, 0xaf; RB 0xa1; IRQ14_ON; IACK
        WB 0xa0, 0x20; IRQ14_OFF
        WB 0x20, 0x11; WB 0x21, 0x00; WB 0x21, 0x04; WB 0x21, 0x11; WB 0x21, 0xfb
        IRQ14_ON; IACK; IRQ12_ON; INT; IACK; WB 0xa0, 0x0b; WB 0x20, 0x0b; RB 0xa0; RB 0x20
        WB 0xa0, 0x20; WB 0xa0, 0x20; WB 0x20, 0x20; RB 0xa0; RB 0x20; WB 0xa0, 0x0a; WB 0x20, 0x0a
        IRQ12_OFF; IRQ14_OFF
        WB 0x20, 0x11; WB 0x21, 0x00; WB 0x21, 0x04; WB 0x21, 0x01; WB 0x21, 0xfb
        IRQ14_ON; IACK; IRQ12_ON; INT; WB 0xa0, 0x20; WB 0x20, 0x20; INT; IACK
        WB 0xa0, 0x20; WB 0x20, 0x20; IRQ12_OFF; IRQ14_OFF; NL
        # 15 ICW1.LTIM on the master (ICW1 0x19): IRQ 3: IRR IACK, EOI: INT
        #   IRR, line low: IRR INT
        WB 0x20, 0x19; WB 0x21, 0x00; WB 0x21, 0x04; WB 0x21, 0x01; WB 0x21, 0xf3
        IRQ3_ON; RB 0x20; IACK; WB 0x20, 0x20; INT; RB 0x20; IRQ3_OFF; RB 0x20; INT; NL
        TRACE_EXIT
