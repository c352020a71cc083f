//! The benchmark workloads, run by `cargo xtask bench` natively (KSEG0,
//! `-kernel`) and under the hypervisor (guest map), both with QEMU's
//! `-icount shift=0`, so that time counts instructions.
//!
//! Each workload times itself with Count (CP0 9) read just before and just
//! after it, and prints one line: `bench NAME TICKS OPS`. Natively Count is
//! the board's; under the hypervisor the guest's Count advances with the
//! host's, so the same delta includes every exit the workload caused and
//! every host instruction the hypervisor ran meanwhile (its timer ticks
//! too). The run ends with `bench-done` and a power-off (0x42 to the Malta
//! software-reset register). Nothing printed depends on the address map.
//!
//! | workload  | what it does | OPS |
//! |-----------|--------------|-----|
//! | calibrate | `CALIBRATE` turns of a 3-instruction loop | instructions run |
//! | compute   | CRC-32 (bitwise) of a 16 KiB buffer, `COMPUTE_REPS` times | bytes |
//! | cp0       | `mfc0`/`mtc0` Status pairs | CP0 instructions |
//! | syscall   | `syscall`, handler steps EPC over it | syscalls |
//! | mmio      | `lbu` of the UART's line status register | UART reads |
//! | tlb       | 16 word reads in each of 64 KSSEG pages (32 TLB pairs; the TLB holds 16), refilled by `tlbwr` | pages touched |
//! | interrupt | the compute kernel with a Count/Compare interrupt every `PERIOD` ticks | interrupts taken |
//! | critical  | an RTOS-style critical section: `di`, a counter's load, add and store, `mtc0 Status` | critical sections |
//! | switch    | an RTOS-style context switch on `syscall` (`v0` = 1): the handler saves s0-s7 of one context and loads the other's | switches |

use core::arch::{asm, global_asm};
use core::fmt::Write;
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use guest_rt::cp0::{self, count, set_compare, set_status, ST_IE, ST_IM7};
use guest_rt::Uart;

/// Turns of the calibration loop (3 instructions each).
const CALIBRATE: u32 = 1_000_000;
/// The CRC-32 buffer.
const BUF_BYTES: usize = 16 * 1024;
const COMPUTE_REPS: u32 = 40;
const CP0_PAIRS: u32 = 20_000;
const SYSCALLS: u32 = 10_000;
const MMIO_READS: u32 = 20_000;
const CRITICAL_SECTIONS: u32 = 10_000;
const SWITCHES: u32 = 10_000;
/// KSSEG pages of the TLB workload: 32 even/odd pairs, twice what the
/// 16-entry TLB holds.
const TLB_PAGES: u32 = 64;
const TLB_ROUNDS: u32 = 40;
const IRQ_REPS: u32 = 20;
/// Count ticks between timer interrupts in the interrupt workload (about
/// 12.5 µs of Malta time, 80 kHz).
const PERIOD: u32 = 2000;

/// Timer interrupts taken (incremented by the general vector).
#[no_mangle]
static BENCH_IRQS: AtomicU32 = AtomicU32::new(0);

// Vectors at EBase (the image base; guest-rt's start-up points EBase here
// and calls `main`): TLB refill +0x000 maps KSSEG page pair n (of 32, by
// BadVAddr) to physical 0x00400000 + n * 8 KiB (global, cacheable, dirty,
// valid) with `tlbwr`; general +0x180 handles the timer interrupt (next
// Compare, count it) and `syscall` (EPC + 4); anything else is reported by
// `bench_unexpected`.
global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
__ebase:
    .org 0x000
    mfc0  $k0, $8
    srl   $k0, $k0, 13
    andi  $k0, $k0, 0x1f
    sll   $k0, $k0, 7
    lui   $k1, 1
    addu  $k0, $k0, $k1
    ori   $k0, $k0, 0x1f
    mtc0  $k0, $2
    addiu $k0, $k0, 0x40
    mtc0  $k0, $3
    ehb
    tlbwr
    eret
    .org 0x180
    mfc0  $k0, $13
    andi  $k0, $k0, 0x7c
    bnez  $k0, 1f
    nop
    mfc0  $k0, $9
    addiu $k0, $k0, {period}
    mtc0  $k0, $11
    lui   $k1, %hi(BENCH_IRQS)
    lw    $k0, %lo(BENCH_IRQS)($k1)
    addiu $k0, $k0, 1
    sw    $k0, %lo(BENCH_IRQS)($k1)
    eret
1:  xori  $k0, $k0, 0x20
    bnez  $k0, 2f
    nop
    bnez  $v0, 4f
    nop
    mfc0  $k0, $14
    addiu $k0, $k0, 4
    mtc0  $k0, $14
    ehb
    eret
    # v0 != 0: switch contexts, t8 the current one's save area, t9 the
    # other's; then as a plain syscall.
4:  sw    $s0, 0($t8)
    sw    $s1, 4($t8)
    sw    $s2, 8($t8)
    sw    $s3, 12($t8)
    sw    $s4, 16($t8)
    sw    $s5, 20($t8)
    sw    $s6, 24($t8)
    sw    $s7, 28($t8)
    lw    $s0, 0($t9)
    lw    $s1, 4($t9)
    lw    $s2, 8($t9)
    lw    $s3, 12($t9)
    lw    $s4, 16($t9)
    lw    $s5, 20($t9)
    lw    $s6, 24($t9)
    lw    $s7, 28($t9)
    move  $k0, $t8
    move  $t8, $t9
    move  $t9, $k0
    mfc0  $k0, $14
    addiu $k0, $k0, 4
    mtc0  $k0, $14
    ehb
    eret
2:  j     bench_unexpected
    nop
    .set pop

    .text
    .set push
    .set noreorder
    .globl bench_loop
bench_loop:
1:  addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    jr    $ra
    nop

    .globl bench_cp0
bench_cp0:
1:  mfc0  $t0, $12
    mtc0  $t0, $12
    addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    jr    $ra
    nop

    .globl bench_syscall
bench_syscall:
    li    $v0, 0
1:  syscall
    addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    jr    $ra
    nop

    .globl bench_critical
    .set mips32r2
bench_critical:
1:  di    $t1
    ehb
    lw    $t0, 0($a1)
    addiu $t0, $t0, 1
    sw    $t0, 0($a1)
    mtc0  $t1, $12
    ehb
    addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    jr    $ra
    nop

    .globl bench_switch
bench_switch:
    addiu $sp, $sp, -32
    sw    $s0, 0($sp)
    sw    $s1, 4($sp)
    sw    $s2, 8($sp)
    sw    $s3, 12($sp)
    sw    $s4, 16($sp)
    sw    $s5, 20($sp)
    sw    $s6, 24($sp)
    sw    $s7, 28($sp)
    move  $t8, $a1
    addiu $t9, $a1, 32
    li    $v0, 1
1:  syscall
    addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    li    $v0, 0
    lw    $s0, 0($sp)
    lw    $s1, 4($sp)
    lw    $s2, 8($sp)
    lw    $s3, 12($sp)
    lw    $s4, 16($sp)
    lw    $s5, 20($sp)
    lw    $s6, 24($sp)
    lw    $s7, 28($sp)
    addiu $sp, $sp, 32
    jr    $ra
    nop

    .globl bench_mmio
bench_mmio:
1:  lbu   $t0, 0($a1)
    addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    jr    $ra
    nop
    .set pop
"#,
    period = const PERIOD,
);

extern "C" {
    /// `n` turns of `addiu; bnez; nop`.
    fn bench_loop(n: u32);
    /// `n` turns of `mfc0 Status; mtc0 Status; addiu; bnez; nop`.
    fn bench_cp0(n: u32);
    /// `n` turns of `syscall; addiu; bnez; nop`.
    fn bench_syscall(n: u32);
    /// `n` turns of `lbu (addr); addiu; bnez; nop`.
    fn bench_mmio(n: u32, addr: u32);
    /// `n` critical sections: `di; ehb`, the word at `counter` incremented,
    /// `mtc0 Status` (the value `di` returned); `ehb`.
    fn bench_critical(n: u32, counter: *mut u32);
    /// `n` context switches between two contexts whose s0-s7 live in the
    /// 16 words at `areas`; the caller's s0-s7 are kept.
    fn bench_switch(n: u32, areas: *mut u32);
}

/// Every TLB entry invalid, at distinct VPN2s in KSEG3 that nothing uses;
/// PageMask 0, Wired 0, ASID 0.
fn tlb_reset() {
    for i in 0..16u32 {
        let hi = crate::MAP.kseg3() + 0x1F00_0000 + i * 0x2000;
        // SAFETY: writes invalid TLB entries where the program never looks.
        unsafe {
            asm!(
                ".set push",
                ".set noat",
                "mtc0 $zero, $5",
                "mtc0 $zero, $6",
                "mtc0 {i}, $0",
                "mtc0 {hi}, $10",
                "mtc0 $zero, $2",
                "mtc0 $zero, $3",
                "ehb",
                "tlbwi",
                "ehb",
                ".set pop",
                i = in(reg) i,
                hi = in(reg) hi,
            )
        };
    }
    // SAFETY: EntryHi = ASID 0 outside the mapped segments.
    unsafe { asm!("mtc0 $zero, $10", "ehb") };
}

/// Bitwise CRC-32 (IEEE, reflected), no table: a compute-bound kernel.
fn crc32(data: &[u8], mut crc: u32) -> u32 {
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    crc
}

fn crc_reps(buf: &[u8], reps: u32) -> u32 {
    let mut crc = !0;
    for _ in 0..reps {
        crc = crc32(black_box(buf), crc);
    }
    !crc
}

/// Reads 16 words (one per 16 bytes) of every page, `rounds` times.
fn touch_pages(rounds: u32) -> u32 {
    let mut sum = 0u32;
    for _ in 0..rounds {
        for page in 0..TLB_PAGES {
            let base = crate::MAP.ksseg() + page * 4096;
            for word in 0..16 {
                // SAFETY: KSSEG, mapped by the refill vector to physical
                // 0x00400000-0x0043FFFF, which nothing else uses.
                sum = sum.wrapping_add(unsafe { core::ptr::read_volatile((base + word * 16) as *const u32) });
            }
        }
    }
    sum
}

/// Times `f` with Count and prints `bench NAME TICKS OPS`.
fn measure(out: &mut Uart, name: &str, ops: impl FnOnce() -> u32, f: impl FnOnce() -> u32) {
    // Start on a Count edge, so that the phase of the first tick does not
    // move the result by one tick from run to run.
    let edge = count();
    let mut start = count();
    while start == edge {
        start = count();
    }
    let result = f();
    let ticks = count().wrapping_sub(start);
    black_box(result);
    let _ = writeln!(out, "bench {name} {ticks} {}", ops());
}

/// The binary's `main` (given to `guest_rt::entry!`).
pub fn main() -> ! {
    let mut out = Uart::new(crate::MAP);
    let _ = writeln!(out, "\nguest-bench: {}", crate::MAP.name());
    set_compare(count().wrapping_sub(1));
    tlb_reset();

    let mut buf = [0u8; BUF_BYTES];
    let mut seed = 0x1234_5678u32;
    for byte in buf.iter_mut() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *byte = (seed >> 16) as u8;
    }

    measure(&mut out, "calibrate", || 3 * CALIBRATE, || {
        // SAFETY: a loop over a0 only.
        unsafe { bench_loop(CALIBRATE) };
        0
    });
    measure(&mut out, "compute", || COMPUTE_REPS * BUF_BYTES as u32, || crc_reps(&buf, COMPUTE_REPS));
    measure(&mut out, "cp0", || 2 * CP0_PAIRS, || {
        // SAFETY: writes Status back as it read it.
        unsafe { bench_cp0(CP0_PAIRS) };
        0
    });
    measure(&mut out, "syscall", || SYSCALLS, || {
        // SAFETY: the general vector steps EPC over each syscall.
        unsafe { bench_syscall(SYSCALLS) };
        0
    });
    measure(&mut out, "mmio", || MMIO_READS, || {
        // SAFETY: reads the UART's LSR, which has no side effect.
        unsafe { bench_mmio(MMIO_READS, crate::MAP.uart() + Uart::LSR) };
        0
    });
    let mut counter = 0u32;
    measure(&mut out, "critical", || CRITICAL_SECTIONS, || {
        // SAFETY: `counter` is a live local; Status comes back as `di` found it.
        unsafe { bench_critical(CRITICAL_SECTIONS, &mut counter) };
        black_box(counter)
    });
    let mut areas = [0u32; 16];
    measure(&mut out, "switch", || SWITCHES, || {
        // SAFETY: `areas` holds the two contexts' 8 words each; the general
        // vector swaps them on each `syscall` with v0 = 1.
        unsafe { bench_switch(SWITCHES, areas.as_mut_ptr()) };
        black_box(areas[0])
    });
    tlb_reset();
    measure(&mut out, "tlb", || TLB_ROUNDS * TLB_PAGES, || touch_pages(TLB_ROUNDS));
    tlb_reset();

    BENCH_IRQS.store(0, Ordering::Relaxed);
    measure(&mut out, "interrupt", || BENCH_IRQS.load(Ordering::Relaxed), || {
        set_compare(count().wrapping_add(PERIOD));
        set_status(ST_IM7 | ST_IE);
        let crc = crc_reps(&buf, IRQ_REPS);
        set_status(0);
        set_compare(count().wrapping_sub(1));
        crc
    });

    let _ = writeln!(out, "bench-done");
    guest_rt::power_off(crate::MAP)
}

/// An exception no workload should raise: report it and power off.
#[no_mangle]
extern "C" fn bench_unexpected() -> ! {
    let (cause, epc, badvaddr) = (cp0::cause(), cp0::epc(), cp0::badvaddr());
    let _ = writeln!(Uart::new(crate::MAP), "bench-error: unexpected exception, Cause {cause:#010x}, EPC {epc:#010x}, BadVAddr {badvaddr:#010x}");
    guest_rt::power_off(crate::MAP)
}
