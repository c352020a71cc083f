# The hostile guest (issue #7): a raw image for a guest's ROM (linked at
# the guest-map reset vector 0x3FC00000). Each attack case stores where
# its exception handler resumes, attacks, and then checks the exception it
# got (ExcCode, or 0xff for none) against the architectural answer:
#     P nn ee       the case passed (nn = case number, ee = ExcCode got)
#     F nn ee ww    it failed (ww = the ExcCode it wanted)
# Then RANDOM_WORDS seeded random instruction words run one at a time in
# guest kernel mode, the handlers resuming after each exception (also after
# SDBBP's debug exception); then
#     D pppp ffff   passes and failures
# and it sleeps in WAIT with interrupts off. (Vectors that point nowhere
# and a spin with interrupts off are guests of their own beside it:
# `NOWHERE_GUEST` in xtask/src/hostile.rs.) Expects 1 MiB of RAM
# (guests/hostile/hostile.dts): a random jump past it faults at once.
    .set noreorder
    .set noat
    .set mips32r2

    .equ UART,   0x380003f8          # guest KSEG1 view of the 16550
    .equ VARS,   0x3fc10000          # variables in the ROM (it is RAM)
    .equ V_RESUME, 0
    .equ V_EXC,    4
    .equ V_PASS,   8
    .equ V_FAIL,   12
    .equ V_SEED,   16
    .equ V_LEFT,   20
    .equ V_EXCS,   24
    .equ V_SCRATCH, 28
    .equ V_STATUS, 32                # the Status the handler returns with
    .equ V_FAST,   36                # nonzero: the handler's fast path (below)
    .equ V_CAUSE,  40                # the Cause settle writes
    .equ V_DEPC,   44                # what the debug handler found
    .equ V_DEBUG,  48
    .equ V_K1,     52
    .equ WATCHDOG, 200000            # Count ticks a random word may run
    .equ SLOT,   0x00080000          # guest KSEG0: where random words run
    .equ NONE,   0xff
    .equ ANY,    0x100
    .equ BEV,    0x00400000
    .equ IV,     0x00800000
    .equ DEBUGEXC, 0x20              # "ExcCode" of the debug exception (SDBBP)
    .equ MAGIC0, 0x5a5aa5a5
    .equ MAGIC1, 0x12345678

    .ifndef SEED
    .equ SEED, 0x2545f491
    .endif
    .ifndef RANDOM_WORDS
    .equ RANDOM_WORDS, 1000000
    .endif

# Case n expects ExcCode `want` (NONE: no exception; ANY: any outcome).
    .macro BEGIN n
    la    $t9, r\n
    sw    $t9, V_RESUME($gp)
    li    $t9, NONE
    sw    $t9, V_EXC($gp)
    .endm
    .macro END n, want
r\n:
    li    $a0, \n
    lw    $a1, V_EXC($gp)
    bal   report
    li    $a2, \want
    .endm

# One TLB entry (index 0, 4 KiB pages): KSSEG 0x40000000 -> `pfn` (both halves valid, dirty).
    .macro MAP pfn
    lui   $t0, 0x4000
    mtc0  $t0, $10
    li    $t0, ((\pfn >> 12) << 6) | 0x1f
    mtc0  $t0, $2
    li    $t0, (((\pfn + 0x1000) >> 12) << 6) | 0x1f
    mtc0  $t0, $3
    mtc0  $zero, $5
    mtc0  $zero, $0
    tlbwi
    ehb
    .endm

    .macro LOAD n, addr, want
    BEGIN \n
    li    $t1, \addr
    lw    $t2, 0($t1)
    END   \n, \want
    .endm
    .macro STORE n, addr, want
    BEGIN \n
    li    $t1, \addr
    sw    $t1, 0($t1)
    END   \n, \want
    .endm
    .macro MAPLOAD n, pfn, want
    BEGIN \n
    MAP   \pfn
    lui   $t1, 0x4000
    lw    $t2, 0($t1)
    END   \n, \want
    .endm
    .macro MAPSTORE n, pfn, want
    BEGIN \n
    MAP   \pfn
    lui   $t1, 0x4000
    sw    $t1, 0x1004($t1)
    END   \n, \want
    .endm
# mtc0 `value` to (rd, sel), then back to a known state.
    .macro WRITE n, rd, sel, value
    BEGIN \n
    li    $t1, \value
    mtc0  $t1, $\rd, \sel
    ehb
    bal   settle
    nop
    END   \n, NONE
    .endm
    .macro ERETTO n, epc, want
    BEGIN \n
    li    $t1, \epc
    mtc0  $t1, $14
    li    $t1, BEV | 2
    mtc0  $t1, $12
    ehb
    eret
    END   \n, \want
    .endm

    .text
start:
    b     main
    nop

    .org 0x200                       # BEV TLB refill
    j     handler
    nop
    .org 0x380                       # BEV general
    j     handler
    nop
    .org 0x400                       # BEV interrupt (Cause.IV)
    j     slow
    nop
    .org 0x480                       # EJTAG debug vector (SDBBP)
    j     dhandler
    mtc0  $k0, $31                   # k0 parked in its own DESAVE
    .org 0x1000                      # EBase while BEV = 0: refill
    j     handler
    nop
    .org 0x1180                      # general
    j     handler
    nop
    .org 0x1200                      # interrupt
    j     handler
    nop

# Fast path, for the random words that cannot change Status or Cause: one
# emulated instruction (Status = V_FAST: EXL off, the watchdog armed), then
# on at V_RESUME. Interrupts come through Cause.IV to the slow path.
handler:
    lui   $k1, VARS >> 16
    lw    $k0, V_FAST($k1)
    beqz  $k0, slow
    nop
    mtc0  $k0, $12
    lw    $k0, V_RESUME($k1)
    jr    $k0
    nop

# Records the ExcCode, counts it, and resumes at V_RESUME in kernel mode
# with BEV = 1, EXL/ERL/IE = 0 (eret clears the EXL written here).
slow:
    mfc0  $k0, $13
    lui   $k1, VARS >> 16
    srl   $k0, $k0, 2
    andi  $k0, $k0, 0x1f
    sw    $k0, V_EXC($k1)
    lw    $k0, V_EXCS($k1)
    addiu $k0, $k0, 1
    sw    $k0, V_EXCS($k1)
    lw    $k0, V_EXC($k1)
    bnez  $k0, 15f                   # an interrupt: re-arm the watchdog
    nop
    mfc0  $k0, $9
    li    $k1, WATCHDOG
    addu  $k0, $k0, $k1
    mtc0  $k0, $11
    lui   $k1, VARS >> 16
15: lw    $k0, V_RESUME($k1)
    mtc0  $k0, $14
    lw    $k0, V_STATUS($k1)
    mtc0  $k0, $12
    ehb
    eret

# The debug exception (SDBBP; k0 is in DESAVE): records DEPC and Debug,
# the "ExcCode" DEBUGEXC, and DERETs to V_RESUME with k0 and k1 as they were.
dhandler:
    lui   $k0, VARS >> 16
    sw    $k1, V_K1($k0)
    mfc0  $k1, $24
    sw    $k1, V_DEPC($k0)
    mfc0  $k1, $23
    sw    $k1, V_DEBUG($k0)
    li    $k1, DEBUGEXC
    sw    $k1, V_EXC($k0)
    lw    $k1, V_RESUME($k0)
    mtc0  $k1, $24
    lw    $k1, V_K1($k0)
    mfc0  $k0, $31
    deret

# After a case's SDBBP: V_EXC stays DEBUGEXC if DEPC = a0, Debug showed DM,
# DBp and DExcCode = Bp (9), and k0/k1 came back as MAGIC0/MAGIC1; else
# it becomes DEBUGEXC + 1.
debugcheck:
    lw    $t0, V_DEPC($gp)
    bne   $t0, $a0, 1f
    nop
    lw    $t0, V_DEBUG($gp)
    li    $t1, 0x40007c02
    and   $t0, $t0, $t1
    li    $t1, 0x40002402
    bne   $t0, $t1, 1f
    nop
    li    $t1, MAGIC0
    bne   $k0, $t1, 1f
    nop
    li    $t1, MAGIC1
    beq   $k1, $t1, 2f
    nop
1:  li    $t0, DEBUGEXC + 1
    sw    $t0, V_EXC($gp)
2:  jr    $ra
    nop

# Back to the known state after a CP0 attack.
settle:
    li    $t0, BEV
    mtc0  $t0, $12
    lw    $t0, V_CAUSE($gp)
    mtc0  $t0, $13
    lui   $t0, 0x3fc0
    ori   $t0, $t0, 0x1000
    mtc0  $t0, $15, 1
    mtc0  $zero, $6
    mtc0  $zero, $5
    mtc0  $zero, $10
    mtc0  $zero, $23                  # Debug.DM = 0: out of debug mode
    mfc0  $t0, $9
    li    $t1, WATCHDOG
    addu  $t0, $t0, $t1
    mtc0  $t0, $11
    lw    $t0, V_STATUS($gp)
    ori   $t0, $t0, 2
    xori  $t0, $t0, 2                 # without EXL
    mtc0  $t0, $12
    jr    $ra
    ehb

# report(a0 = case, a1 = got, a2 = want)
report:
    move  $s4, $ra
    li    $t0, ANY
    beq   $a2, $t0, 1f
    nop
    bne   $a1, $a2, 2f
    nop
1:  lw    $t0, V_PASS($gp)
    addiu $t0, $t0, 1
    sw    $t0, V_PASS($gp)
    bal   putc
    li    $a3, 'P'
    bal   hex2
    move  $a3, $a0
    bal   hex2
    move  $a3, $a1
    b     3f
    nop
2:  lw    $t0, V_FAIL($gp)
    addiu $t0, $t0, 1
    sw    $t0, V_FAIL($gp)
    bal   putc
    li    $a3, 'F'
    bal   hex2
    move  $a3, $a0
    bal   hex2
    move  $a3, $a1
    bal   hex2
    move  $a3, $a2
3:  bal   putc
    li    $a3, '\n'
    jr    $s4
    nop

# hex2: ' ' and a3's low byte in hex; hex4: ' ' and the low 16 bits.
hex4:
    move  $s5, $ra
    li    $t3, 16
    b     4f
    nop
hex2:
    move  $s5, $ra
    li    $t3, 8
4:  move  $t5, $a3
    bal   putc
    li    $a3, ' '
5:  addiu $t3, $t3, -4
    srlv  $a3, $t5, $t3
    andi  $a3, $a3, 0xf
    sltiu $t4, $a3, 10
    bnez  $t4, 6f
    addiu $a3, $a3, '0'
    addiu $a3, $a3, 'a' - '0' - 10
6:  bal   putc
    nop
    bnez  $t3, 5b
    nop
    jr    $s5
    nop

# putc(a3); keeps every register but t6/t7.
putc:
    lui   $t6, %hi(UART)
7:  lbu   $t7, %lo(UART) + 5($t6)
    andi  $t7, $t7, 0x20
    beqz  $t7, 7b
    nop
    jr    $ra
    sb    $a3, %lo(UART)($t6)

main:
    li    $gp, VARS
    li    $t0, BEV | 2
    sw    $t0, V_STATUS($gp)
    sw    $zero, V_PASS($gp)
    sw    $zero, V_FAIL($gp)
    sw    $zero, V_EXCS($gp)
    sw    $zero, V_FAST($gp)
    sw    $zero, V_CAUSE($gp)
    li    $sp, 0x00100000
    bal   settle
    nop

    # --- TLB entries pointing outside the guest's memory: data bus error (7)
    MAPLOAD  1, 0x01000000, 7        # just past its 16 MiB of RAM
    MAPSTORE 2, 0x01000000, 7
    MAPLOAD  3, 0x02000000, 7        # where the next guest's RAM sits on the host
    MAPSTORE 4, 0x03000000, 7
    MAPLOAD  5, 0x000f0000, NONE     # its own RAM (1 MiB): fine
    MAPLOAD  6, 0x1e000000, 7        # device regions it does not own
    MAPLOAD  7, 0x1be00000, 7        # (the host's GT-64120 system controller)
    MAPSTORE 8, 0x1f000000, 7        # the page after its reset register's
    MAPLOAD  9, 0x18000000, 7        # host i8259 page: offset 0 is not its UART
    MAPLOAD 10, 0x20000000, 7        # beyond guest-physical 512 MiB
    MAPLOAD 11, 0x80000000, 7
    MAPSTORE 12, 0xffffe000, 7       # (the odd page: 0xfffff000)
    MAPLOAD 13, 0x00100000, 7        # just past its RAM (the host image's physical address)

    # --- the real kernel segments and other addresses it cannot reach
    LOAD  14, 0x80000000, 4          # KSEG0: AdEL
    STORE 15, 0x80100000, 5          # the hypervisor's code: AdES
    LOAD  16, 0xa0000000, 4          # KSEG1
    STORE 17, 0xbf000500, 5          # the host's reset register
    STORE 18, 0xb80003f8, 5          # the host's UART
    LOAD  19, 0xbfc00000, 4
    LOAD  20, 0xc0000000, 4          # KSEG2
    LOAD  21, 0xe0000000, 4          # KSEG3
    LOAD  22, 0xfffffffc, 4
    LOAD  23, 0x21000000, 7          # guest KSEG1 just past RAM
    LOAD  24, 0x30000000, 7          # guest-physical 0x10000000: nothing
    LOAD  25, 0x3be00000, 7          # guest-physical 0x1BE00000 (host GT-64120)
    LOAD  26, 0x7fff0000, 2          # guest KSEG3 without a mapping: TLB refill

    # --- CP0 registers written with all ones and with odd values
    WRITE 27, 0, 0, 0xffffffff       # Index out of range
    WRITE 28, 2, 0, 0xffffffff       # EntryLo0
    WRITE 29, 3, 0, 0xffffffff
    WRITE 30, 4, 0, 0xffffffff       # Context
    WRITE 31, 5, 0, 0xffffffff       # PageMask
    WRITE 32, 6, 0, 0xffffffff       # Wired beyond the TLB
    WRITE 33, 6, 0, 16               # Wired = TLB size
    WRITE 34, 7, 0, 0xffffffff       # HWREna
    WRITE 35, 8, 0, 0xffffffff       # BadVAddr (read-only)
    WRITE 36, 9, 0, 0xffffffff       # Count
    WRITE 37, 10, 0, 0xffffffff      # EntryHi
    WRITE 38, 11, 0, 0x00000001      # Compare
    WRITE 39, 12, 0, 0xffffffff      # Status: all ones (ERL, EXL, KSU, BEV, CU0-3, RE, IE)
    WRITE 40, 12, 0, 0x00400006      # BEV, ERL, EXL
    WRITE 41, 12, 0, 0xf0000000      # CU0-3, BEV = 0
    WRITE 42, 13, 0, 0xffffffff      # Cause (IV, software interrupts)
    WRITE 43, 14, 0, 0xffffffff      # EPC
    WRITE 44, 15, 0, 0xffffffff      # PRId (read-only)
    WRITE 45, 15, 1, 0xffffffff      # EBase outside its RAM (BEV = 1: unused)
    WRITE 46, 16, 0, 0xffffffff      # Config (K0)
    WRITE 47, 16, 2, 0xffffffff
    WRITE 48, 16, 3, 0xffffffff
    WRITE 49, 17, 0, 0xffffffff      # LLAddr
    WRITE 50, 18, 0, 0xffffffff      # WatchLo
    WRITE 51, 19, 0, 0xffffffff      # WatchHi
    WRITE 52, 23, 0, 0xffffffff      # Debug
    WRITE 53, 24, 0, 0xffffffff      # DEPC
    WRITE 54, 25, 0, 0xffffffff      # PerfCtl
    WRITE 55, 26, 0, 0xffffffff      # ErrCtl
    WRITE 56, 28, 0, 0xffffffff      # TagLo
    WRITE 57, 30, 0, 0xffffffff      # ErrorEPC
    WRITE 58, 31, 0, 0xffffffff      # DESAVE
    WRITE 59, 12, 0, 0x5a5a5a5a      # random values
    WRITE 60, 16, 0, 0x12345678
    WRITE 61, 15, 1, 0xa5a5a5a5

    # Index out of range then tlbwi / tlbr; Wired beyond the TLB then tlbwr
    BEGIN 62
    li    $t0, 0x7fffffff
    mtc0  $t0, $0
    tlbwi
    tlbr
    bal   settle
    nop
    END   62, NONE
    BEGIN 63
    li    $t0, 40
    mtc0  $t0, $6
    tlbwr
    tlbp
    bal   settle
    nop
    END   63, NONE

    # Status: KSU = user while running kernel code -> fetch in useg: TLB refill (2)
    BEGIN 64
    li    $t0, BEV | 0x10
    mtc0  $t0, $12
    ehb
    nop
    END   64, 2
    # BEV = 0, EBase in its ROM: a syscall goes through EBase + 0x180
    BEGIN 65
    lui   $t0, 0x3fc0
    ori   $t0, $t0, 0x1000
    mtc0  $t0, $15, 1
    mtc0  $zero, $12
    ehb
    syscall
    END   65, 8

    # --- eret to illegal addresses
    ERETTO 66, 0x80000000, 4
    ERETTO 67, 0x80100000, 4
    ERETTO 68, 0x00000002, 4
    ERETTO 69, 0xfffffffc, 4
    ERETTO 70, 0x7fff0000, 2
    ERETTO 71, 0x21000000, 6          # guest KSEG1 past RAM: instruction bus error
    BEGIN 72                         # ERL: eret goes to ErrorEPC
    li    $t1, 0xbfc00000
    mtc0  $t1, $30
    li    $t1, BEV | 4
    mtc0  $t1, $12
    ehb
    eret
    END   72, 4
    BEGIN 73                         # eret into user mode at an unmapped address
    li    $t1, 0x00100000
    mtc0  $t1, $14
    li    $t1, BEV | 0x12
    mtc0  $t1, $12
    ehb
    eret
    END   73, 2

    # --- a jump into the hypervisor's code and into nothing
    BEGIN 74
    li    $t1, 0x80100180
    jr    $t1
    nop
    END   74, 4
    BEGIN 75
    li    $t1, 0x30000000
    jr    $t1
    nop
    END   75, 6

    # --- interrupt storm from its UART: THRE interrupt enabled, IE on, 1000 times
    BEGIN 76
    li    $t0, 2
    lui   $t1, %hi(UART)
    sb    $t0, %lo(UART) + 1($t1)     # IER.ETBEI: THR empty -> interrupt, always
    li    $s1, 1000
storm:
    la    $t9, stormed
    sw    $t9, V_RESUME($gp)
    li    $t0, BEV | 0x0401           # IM2, IE
    mtc0  $t0, $12
    ehb
    li    $t3, 100000
13: addiu $t3, $t3, -1
    bnez  $t3, 13b
    nop
    b     stormed                     # the interrupt did not come
    li    $s1, 0
stormed:
    addiu $s1, $s1, -1
    bgtz  $s1, storm
    nop
    lui   $t1, %hi(UART)
    sb    $zero, %lo(UART) + 1($t1)
    END   76, 0

    # --- SDBBP: the guest's own debug exception (debug mode, DEPC, its
    # vector 0x3FC00480, its own DESAVE), and DERET back
    BEGIN 77
    la    $t9, 81f                    # resume right after it
    sw    $t9, V_RESUME($gp)
    li    $k0, MAGIC0
    li    $k1, MAGIC1
77: sdbbp 0x1234
81: la    $a0, 77b
    bal   debugcheck
    nop
    END   77, DEBUGEXC
    BEGIN 78                         # in a delay slot: DEPC = the branch
    la    $t9, 79f
    sw    $t9, V_RESUME($gp)
    li    $k0, MAGIC0
    li    $k1, MAGIC1
78: b     79f
    sdbbp 5
79: la    $a0, 78b
    bal   debugcheck
    nop
    END   78, DEBUGEXC
    BEGIN 79                         # BEV = 0, EBase elsewhere: still 0x3FC00480
    lui   $t0, 0x3fc0
    ori   $t0, $t0, 0x1000
    mtc0  $t0, $15, 1
    mtc0  $zero, $12
    ehb
    la    $t9, 82f
    sw    $t9, V_RESUME($gp)
    li    $k0, MAGIC0
    li    $k1, MAGIC1
80: sdbbp
82: la    $a0, 80b
    bal   debugcheck
    nop
    bal   settle
    nop
    END   79, DEBUGEXC
    BEGIN 80                         # DERET outside debug mode: RI
    deret
    END   80, 10

    # --- seeded random instruction words, one at a time, in kernel mode
    li    $t0, SEED
    sw    $t0, V_SEED($gp)
    li    $t0, RANDOM_WORDS
    sw    $t0, V_LEFT($gp)
    sw    $zero, V_EXCS($gp)
    # RAM from 0 to 1 MiB: `break` everywhere (jumps there trap at once)
    li    $t0, 0x0000000d
    li    $t1, 0
    lui   $t2, 0x0010
8:  sw    $t0, 0($t1)
    addiu $t1, $t1, 4
    bne   $t1, $t2, 8b
    nop
    li    $t0, BEV | 0x8001 | 2       # the timer (IM7) is a watchdog for runaway words
    sw    $t0, V_STATUS($gp)
    li    $t0, IV                     # its interrupt takes the slow path
    sw    $t0, V_CAUSE($gp)
    bal   settle
    nop
    # the word's slot: the word, a nop, then back to `resumed`
    li    $t1, SLOT
    sw    $zero, 4($t1)
    lui   $t2, 0x3c00 | 25            # lui t9, %hi(resumed)
    ori   $t2, $t2, %hi(resumed)
    sw    $t2, 8($t1)
    lui   $t2, 0x3739                 # ori t9, t9, %lo(resumed)
    ori   $t2, $t2, %lo(resumed)
    sw    $t2, 12($t1)
    li    $t2, 0x03200008             # jr t9
    sw    $t2, 16($t1)
    sw    $zero, 20($t1)
random:
    la    $t9, resumed
    sw    $t9, V_RESUME($gp)
    lw    $t0, V_SEED($gp)            # xorshift32
    sll   $t1, $t0, 13
    xor   $t0, $t0, $t1
    srl   $t1, $t0, 17
    xor   $t0, $t0, $t1
    sll   $t1, $t0, 5
    xor   $t0, $t0, $t1
    sw    $t0, V_SEED($gp)
    # never WAIT (it would sleep for good with interrupts off)
    srl   $t1, $t0, 25
    li    $t2, 0x21
    bne   $t1, $t2, 10f
    andi  $t2, $t0, 0x3f
    li    $t3, 0x20
    beq   $t2, $t3, resumed
    nop
10: sw    $t0, V_SCRATCH($gp)
    .ifdef TRACE_BELOW                # debugging: print each word below this many left
    lw    $t1, V_LEFT($gp)
    li    $t2, TRACE_BELOW
    sltu  $t1, $t1, $t2
    beqz  $t1, 14f
    nop
    li    $a3, 'w'
    bal   putc
    nop
    lw    $a3, V_LEFT($gp)
    bal   hex4
    nop
    lw    $a3, V_SCRATCH($gp)
    srl   $a3, $a3, 16
    bal   hex4
    nop
    lw    $a3, V_SCRATCH($gp)
    bal   hex4
    nop
    bal   putc
    li    $a3, '\n'
14: lw    $t0, V_SCRATCH($gp)
    .endif
    # the fast path unless it is a COP0 word that can change CP0 state
    # (mtc0, di/ei, the CO operations: Status, Cause.IV, debug mode...;
    # `settle` follows it); mfc0, rdpgpr/wrpgpr and reserved forms cannot
    srl   $t1, $t0, 26
    xori  $t1, $t1, 0x10
    bnez  $t1, 16f
    srl   $t1, $t0, 21
    andi  $t1, $t1, 0x1f              # rs
    li    $t3, 0x04
    beq   $t1, $t3, 15f
    move  $t2, $zero
    li    $t3, 0x0b
    beq   $t1, $t3, 15f
    li    $t3, 0x10
    beq   $t1, $t3, 15f
    nop
16: lw    $t2, V_STATUS($gp)
    xori  $t2, $t2, 2                 # without EXL
15: sw    $t2, V_FAST($gp)
    li    $t1, SLOT
    sw    $t0, 0($t1)                 # the word
    # every other register points where nothing is (guest KSEG3, unmapped)
    lui   $at, 0x7fff
    move  $v0, $at
    move  $v1, $at
    move  $a0, $at
    move  $a1, $at
    move  $a2, $at
    move  $a3, $at
    move  $t0, $at
    move  $t2, $at
    move  $t3, $at
    move  $t4, $at
    move  $t5, $at
    move  $t6, $at
    move  $t7, $at
    move  $s0, $at
    move  $s1, $at
    move  $s2, $at
    move  $s3, $at
    move  $s4, $at
    move  $s5, $at
    move  $s6, $at
    move  $s7, $at
    move  $t8, $at
    move  $t9, $at
    move  $k0, $at
    move  $k1, $at
    move  $gp, $at
    move  $sp, $at
    move  $fp, $at
    move  $ra, $at
    jr    $t1
    move  $t1, $at                    # nothing points at the slot
resumed:
    li    $gp, VARS
    lw    $t0, V_FAST($gp)            # a CP0-changing word: back to the known state
    bnez  $t0, 11f
    sw    $zero, V_FAST($gp)
    bal   settle
    nop
11: lw    $t0, V_LEFT($gp)
    addiu $t0, $t0, -1
    sw    $t0, V_LEFT($gp)
    bgtz  $t0, random
    nop

    sw    $zero, V_FAST($gp)
    sw    $zero, V_CAUSE($gp)
    li    $t0, BEV | 2
    sw    $t0, V_STATUS($gp)
    bal   settle
    nop
    # --- the verdict
    li    $a0, 'D'
    bal   putc
    move  $a3, $a0
    lw    $a3, V_PASS($gp)
    bal   hex4
    nop
    lw    $a3, V_FAIL($gp)
    bal   hex4
    nop
    bal   putc
    li    $a3, '\n'

    # --- done: sleep with interrupts off (`guests wait` counts that as stopped)
12: wait
    b     12b
    nop
