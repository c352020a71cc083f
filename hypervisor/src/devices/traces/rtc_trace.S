# Prints MC146818 RTC reads for the script replayed by
# hypervisor/src/devices/mc146818.rs (mod qemu_trace), against QEMU Malta's
# PIIX4 RTC at ISA ports 0x70 (index) / 0x71 (data), through the PCI0 I/O
# window at 0x18000000; output on the ISA UART (0x3F8). One line per
# section; bytes print as 2 hex digits, counts as 4. The results are
# deterministic only with a fixed RTC base on the virtual clock and icount:
#   mipsel-linux-gnu-as -mips32r2 -EL -o r.o rtc_trace.S
#   mipsel-linux-gnu-ld -EL -Ttext=0x80100000 -e _start -o r.elf r.o
#   timeout 120 qemu-system-mipsel -M malta -cpu 24Kf -m 128 -nographic \
#       -vga none -nic none -no-reboot -icount shift=0 \
#       -rtc base=2026-01-02T03:04:05,clock=vm -kernel r.elf
# The script runs about 4.5 s of guest time (with shift=0 one instruction
# is one nanosecond), which takes QEMU some 35 s of host CPU time: a
# timeout shorter than that cuts the last lines. Waits are polling loops
# whose outcome does not depend on how long an instruction takes: SYNC
# waits for UIP to rise and fall (just after an update), POLLC for
# register C to read non-zero, WAITUF for C.UF, COUNT counts C.PF up to
# the next C.UF.
        .set noreorder
        .set noat
        .include "trace_io.S"
        # write the index port
        .macro IDX i
        li    $t0, \i
        sb    $t0, 0x70($s6)
        .endm
        # read the data port and print it
        .macro DAT
        lbu   $a0, 0x71($s6)
        jal   puthex2
        nop
        .endm
        # write the data port
        .macro WDAT v
        li    $t0, \v
        sb    $t0, 0x71($s6)
        .endm
        .macro RD i
        IDX \i
        DAT
        .endm
        .macro WR i, v
        IDX \i
        WDAT \v
        .endm
        # read the index port and print it
        .macro RIDX
        lbu   $a0, 0x70($s6)
        jal   puthex2
        nop
        .endm
        .macro SYNC
        jal   sync
        nop
        .endm
        .macro POLLC
        jal   pollc
        nop
        .endm
        .macro WAITUF
        jal   waituf
        nop
        .endm
        .macro COUNT
        jal   count
        nop
        .endm
        # 2 * n instructions
        .macro DELAY n
        li    $t0, \n
1:      bnez  $t0, 1b
        addiu $t0, $t0, -1
        .endm
        TRACE_START
        lui   $s6, 0xB800
        # 1 A B C D after power-on
        RD 10; RD 11; RD 12; RD 13; NL
        # 2 time and date (sec min hour wday mday month year century),
        #   then the alarms
        RD 0; RD 2; RD 4; RD 6; RD 7; RD 8; RD 9; RD 0x32; RD 1; RD 3; RD 5; NL
        # 3 index port, CMOS RAM, index bit 7, the PS/2 century alias 0x37
        RIDX; RD 0x0e; RD 0x0f; RD 0x31; RD 0x33; RD 0x7f; RD 0x37
        WR 0x0e, 0x5a; WR 0x7f, 0xa5; RD 0x8e; DAT; RD 0xff
        IDX 0xc0; WDAT 0x11; RD 0x40; RIDX; NL
        # 4 C and D read-only, A's UIP read-only
        WR 12, 0xff; WR 13, 0x00; WR 10, 0xa6; RD 13; RD 12; RD 10; NL
        # 5 SET (drops UIE), BCD 1999-12-31 23:59:59, frozen, then run
        #   across the century
        WR 11, 0x92; RD 11
        WR 0, 0x59; WR 2, 0x59; WR 4, 0x23; WR 6, 0x06; WR 7, 0x31; WR 8, 0x12
        WR 9, 0x99; WR 0x32, 0x19
        RD 0; RD 2; RD 4; RD 6; RD 7; RD 8; RD 9; RD 0x32
        WR 11, 0x02; RD 0; SYNC
        RD 0; RD 2; RD 4; RD 6; RD 7; RD 8; RD 9; RD 0x32; RD 10; NL
        # 6 binary 2024-02-28 23:59:59; UIE with UF already pending
        #   raises at once; the next update (leap day)
        WR 11, 0x86; WR 4, 23; WR 2, 59; WR 0, 59; WR 7, 28; WR 8, 2; WR 9, 24
        WR 0x32, 20; WR 11, 0x16; RD 11; RD 12; POLLC
        RD 0; RD 2; RD 4; RD 6; RD 7; RD 8; RD 9; RD 0x32; NL
        # 7 formats while running: BCD 24h, binary 12h, BCD 12h; a 12h
        #   hour written under SET, decoded when SET is cleared
        WR 11, 0x02; RD 7; RD 4; RD 0
        WR 11, 0x04; RD 4; WR 11, 0x00; RD 4
        WR 11, 0x80; WR 4, 0x81; WR 11, 0x02; RD 4; RD 7; RD 0; NL
        # 8 periodic 8192 Hz: no PF without PIE; with PIE
        WR 10, 0x23; DELAY 500000; RD 12; WR 11, 0x42; POLLC; RD 12; NL
        # 9 alarm 13:00:01 with AIE, periodic 1024 Hz: flags at the
        #   alarm's update, then PF counted over the next second
        WR 1, 0x01; WR 3, 0x00; WR 5, 0x13; WR 10, 0x26; WR 11, 0x62
        WAITUF; COUNT; RD 12; NL
        # 10 divider reset: frozen, then the first update half a second
        #   after it is released
        WR 11, 0x02; WR 10, 0x70; RD 10; RD 0; WR 10, 0x26; RD 0; SYNC
        RD 0; RD 12; RD 10; NL
        TRACE_EXIT

# about 400 instructions between two polls
pause:
        li    $t1, 200
1:      bnez  $t1, 1b
        addiu $t1, $t1, -1
        jr    $ra
        nop

# wait for A.UIP to rise, then to fall
sync:
        move  $s0, $ra
        IDX 10
1:      jal   pause
        nop
        lbu   $t2, 0x71($s6)
        andi  $t2, $t2, 0x80
        beqz  $t2, 1b
        nop
2:      jal   pause
        nop
        lbu   $t2, 0x71($s6)
        andi  $t2, $t2, 0x80
        bnez  $t2, 2b
        nop
        jr    $s0
        nop

# read C until it is not zero; print it
pollc:
        move  $s0, $ra
        IDX 12
1:      jal   pause
        nop
        lbu   $a0, 0x71($s6)
        beqz  $a0, 1b
        nop
        jal   puthex2
        nop
        jr    $s0
        nop

# read C until UF; print the last value
waituf:
        move  $s0, $ra
        IDX 12
1:      jal   pause
        nop
        lbu   $a0, 0x71($s6)
        andi  $t2, $a0, 0x10
        beqz  $t2, 1b
        nop
        jal   puthex2
        nop
        jr    $s0
        nop

# read C until UF, counting the reads with PF; print the count and the
# last value
count:
        move  $s0, $ra
        move  $s1, $zero
        IDX 12
1:      jal   pause
        nop
        lbu   $s2, 0x71($s6)
        andi  $t2, $s2, 0x40
        beqz  $t2, 2f
        nop
        addiu $s1, $s1, 1
2:      andi  $t2, $s2, 0x10
        beqz  $t2, 1b
        nop
        move  $a0, $s1
        jal   puthex4
        nop
        move  $a0, $s2
        jal   puthex2
        nop
        jr    $s0
        nop
