# Prints UART register reads for the script replayed by
# hypervisor/src/devices/uart16550.rs (mod qemu_trace), against QEMU Malta's
# CBUS UART (0x1F000900, registers 8 bytes apart); output on the ISA UART.
#   mipsel-linux-gnu-as -mips32r2 -EL -o u.o uart_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o u.elf u.o
#   qemu-system-mipsel -M malta -cpu 24Kf -nographic -vga none -nic none -no-reboot -kernel u.elf
        .set noreorder
        .set noat
        .include "trace_io.S"
        .macro RD r
        lbu   $a0, (\r << 3)($s6)
        jal   puthex2
        nop
        .endm
        .macro WR r, v
        li    $t0, \v
        sb    $t0, (\r << 3)($s6)
        .endm
        TRACE_START
        lui   $s6, 0xBF00
        ori   $s6, $s6, 0x0900
        # 1 reset state: IER IIR LCR MCR LSR MSR SCR
        RD 1; RD 2; RD 3; RD 4; RD 5; RD 6; RD 7; NL
        # 2 scratch, divisor
        WR 7, 0xA5; RD 7
        WR 3, 0x83; WR 0, 1; WR 1, 2; RD 0; RD 1; WR 3, 3; RD 3; RD 1; NL
        # 3 interrupts: IER=0x0F, IIR twice, IER
        WR 1, 0x0F; RD 2; RD 2; RD 1; NL
        # 4 FIFO enable
        WR 2, 0x01; RD 2; NL
        # 5 loopback MSR
        WR 4, 0x10; RD 6; RD 6; WR 4, 0x12; RD 6; WR 4, 0x1F; RD 6; WR 4, 0x1B; RD 6; RD 6; NL
        # 6 loopback data
        WR 0, 0x41; WR 0, 0x42; RD 5; RD 2; RD 0; RD 0; RD 5; RD 2; RD 2; NL
        # 7 FIFO trigger 8, 3 bytes, then 8
        WR 2, 0x83; WR 0, 1; WR 0, 2; WR 0, 3; RD 2; RD 5; WR 0, 4; WR 0, 5; WR 0, 6; WR 0, 7; WR 0, 8; RD 2; NL
        # 8 overrun: 9 more bytes (17 total)
        WR 0, 9; WR 0, 10; WR 0, 11; WR 0, 12; WR 0, 13; WR 0, 14; WR 0, 15; WR 0, 16; WR 0, 17
        RD 2; RD 5; RD 2; RD 5; NL
        # 9 drain 16 bytes
        RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 0; RD 5; RD 2; NL
        # 10 FIFO off: IIR, 16450 overrun
        WR 2, 0x00; RD 2; WR 0, 0x61; WR 0, 0x62; RD 2; RD 5; RD 2; RD 0; RD 5; NL
        # 11 leave loopback
        WR 4, 0x00; RD 6; RD 6; RD 4; NL
        TRACE_EXIT
