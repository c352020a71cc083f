//! Everything that touches the hardware: exception vectors, the enter/return
//! trampolines, CP0 and TLB instructions, the UART and the halt register.
use core::arch::{asm, global_asm};

/// Word layout of `SAVE` (the GPRs at the end of a test) and of the context
/// passed to `enter_*`: GPR n at word n, then HI, LO, and the outcome.
pub const HI: usize = 32;
pub const LO: usize = 33;
pub const OUTCOME: usize = 34;
pub const CTX_WORDS: usize = 35;

// Outcome codes stored in `SAVE[OUTCOME]`: an exception vector offset
// from EBase, 0x1000 + the boot-ROM offset for an exception under BEV=1,
// or 0xFFFF (landed on the pad).

#[no_mangle]
static mut SAVE: [u32; CTX_WORDS] = [0; CTX_WORDS];
/// The recorder's callee-saved registers while a test runs.
#[no_mangle]
static mut HOST: [u32; 12] = [0; 12];
/// Non-zero while a test runs: exceptions are then the test's.
#[no_mangle]
static mut IN_TEST: u32 = 0;

// Exception vectors at EBase = 0x80100000. Each saves k0 in SAVE[26], puts
// its offset in k0 and joins `exc_common` (k1 = &SAVE).
global_asm!(
    r#"
    .section .text.vectors, "ax"
    .set noreorder
    .set noat
    .globl __vectors
__vectors:
    .macro VECTOR off
    .org \off
    lui $27, %hi(SAVE)
    addiu $27, $27, %lo(SAVE)
    sw $26, 104($27)
    j exc_common
    ori $26, $0, \off
    .endm
    VECTOR 0x000
    VECTOR 0x100
    VECTOR 0x180
    VECTOR 0x200

    # Exceptions under Status.BEV=1 go to the boot ROM, where the flash
    # image xtask gives QEMU jumps (through k1) to these: outcome 0x1000 +
    # the ROM offset (0x200 refill, 0x300 cache error, 0x380 general,
    # 0x400 interrupt with IV, 0x480 EJTAG debug).
    .macro BEV_STUB off, rom
    .org \off
    lui $27, %hi(SAVE)
    addiu $27, $27, %lo(SAVE)
    sw $26, 104($27)
    j exc_common
    ori $26, $0, 0x1000 + \rom
    .endm
    BEV_STUB 0xA00, 0x200
    BEV_STUB 0xA20, 0x300
    BEV_STUB 0xA40, 0x380
    BEV_STUB 0xA60, 0x400
    BEV_STUB 0xA80, 0x480

    # The landing pad's `jalr $26, $27` comes here in kernel mode, with
    # k0 = landing address + 8. At a fixed address (0x80100B00), because
    # a fetch fault on it from user mode leaves it in BadVAddr, EPC,
    # Context and EntryHi, which later vectors start from.
    .org 0xB00
    .globl land
land:
    lui $27, %hi(SAVE)
    addiu $27, $27, %lo(SAVE)
    sw $26, 104($27)
    j exc_common
    ori $26, $0, 0xFFFF
    .org 0xB80

exc_common:
    sw $1, 4($27)
    lui $1, %hi(IN_TEST)
    lw $1, %lo(IN_TEST)($1)
    beq $1, $0, unexpected
    nop
    sw $2, 8($27)
    sw $3, 12($27)
    sw $4, 16($27)
    sw $5, 20($27)
    sw $6, 24($27)
    sw $7, 28($27)
    sw $8, 32($27)
    sw $9, 36($27)
    sw $10, 40($27)
    sw $11, 44($27)
    sw $12, 48($27)
    sw $13, 52($27)
    sw $14, 56($27)
    sw $15, 60($27)
    sw $16, 64($27)
    sw $17, 68($27)
    sw $18, 72($27)
    sw $19, 76($27)
    sw $20, 80($27)
    sw $21, 84($27)
    sw $22, 88($27)
    sw $23, 92($27)
    sw $24, 96($27)
    sw $25, 100($27)
    sw $28, 112($27)
    sw $29, 116($27)
    sw $30, 120($27)
    sw $31, 124($27)
    sw $26, 136($27)
    mfhi $1
    sw $1, 128($27)
    mflo $1
    sw $1, 132($27)
    lui $1, %hi(HOST)
    addiu $1, $1, %lo(HOST)
    lw $29, 0($1)
    lw $31, 4($1)
    lw $28, 8($1)
    lw $16, 12($1)
    lw $17, 16($1)
    lw $18, 20($1)
    lw $19, 24($1)
    lw $20, 28($1)
    lw $21, 32($1)
    lw $22, 36($1)
    lw $23, 40($1)
    lw $30, 44($1)
    jr $31
    nop

unexpected:
    lui $29, %hi(__stack_top)
    addiu $29, $29, %lo(__stack_top)
    j unexpected_exception
    nop


    .macro ENTER name, last
    .globl \name
\name:
    lui $1, %hi(HOST)
    addiu $1, $1, %lo(HOST)
    sw $29, 0($1)
    sw $31, 4($1)
    sw $28, 8($1)
    sw $16, 12($1)
    sw $17, 16($1)
    sw $18, 20($1)
    sw $19, 24($1)
    sw $20, 28($1)
    sw $21, 32($1)
    sw $22, 36($1)
    sw $23, 40($1)
    sw $30, 44($1)
    lw $2, 128($4)
    mthi $2
    lw $2, 132($4)
    mtlo $2
    lui $27, %hi(land)
    addiu $27, $27, %lo(land)
    lw $26, 104($4)
    lw $1, 4($4)
    lw $2, 8($4)
    lw $3, 12($4)
    lw $5, 20($4)
    lw $6, 24($4)
    lw $7, 28($4)
    lw $8, 32($4)
    lw $9, 36($4)
    lw $10, 40($4)
    lw $11, 44($4)
    lw $12, 48($4)
    lw $13, 52($4)
    lw $14, 56($4)
    lw $15, 60($4)
    lw $16, 64($4)
    lw $17, 68($4)
    lw $18, 72($4)
    lw $19, 76($4)
    lw $20, 80($4)
    lw $21, 84($4)
    lw $22, 88($4)
    lw $23, 92($4)
    lw $24, 96($4)
    lw $25, 100($4)
    lw $28, 112($4)
    lw $29, 116($4)
    lw $30, 120($4)
    lw $31, 124($4)
    lw $4, 16($4)
    \last
    nop
    .endm

    # enter_jr(ctx): run the test in kernel mode by jumping to ctx[26].
    ENTER enter_jr, "jr $26"
    # enter_eret(ctx): run the test through eret (EPC = the test, EXL = 1).
    ENTER enter_eret, "eret"

    .section .text.start, "ax"
    .globl _start
_start:
    lui $29, %hi(__stack_top)
    addiu $29, $29, %lo(__stack_top)
    j recorder_main
    nop
    .set at
    .set reorder
    "#
);

extern "C" {
    fn enter_jr(ctx: *const u32);
    fn enter_eret(ctx: *const u32);
    fn land();
}

/// Runs one test from `ctx` (GPRs, HI, LO; ctx[26] = the kernel entry
/// address) and returns the GPRs, HI, LO and outcome at its end.
pub fn run_test(ctx: &[u32; CTX_WORDS], via_eret: bool) -> [u32; CTX_WORDS] {
    // SAFETY: the trampolines save the callee-saved registers in HOST and
    // restore them before returning here; the test code only reaches
    // `land` or an exception vector, both of which return through HOST.
    // IN_TEST and SAVE are only touched by this thread of control.
    unsafe {
        IN_TEST = 1;
        if via_eret {
            enter_eret(ctx.as_ptr());
        } else {
            enter_jr(ctx.as_ptr());
        }
        IN_TEST = 0;
        *core::ptr::addr_of!(SAVE)
    }
}

/// The address the landing pad returns to (`land`).
pub fn land_address() -> u32 {
    land as *const () as usize as u32
}

#[no_mangle]
extern "C" fn unexpected_exception() -> ! {
    crate::run::report_unexpected(read_cp0(14, 0), read_cp0(13, 0), read_cp0(8, 0))
}

fn mfc0<const RD: u32, const SEL: u32>() -> u32 {
    let v: u32;
    // SAFETY: mfc0 only reads CP0; callers never read the registers that
    // raise RI (PWBase..PWCtl) or change state (Random).
    unsafe { asm!(".set push", ".set noat", "mfc0 {v}, ${rd}, {sel}", ".set pop", v = out(reg) v, rd = const RD, sel = const SEL) };
    v
}

fn mtc0<const RD: u32, const SEL: u32>(v: u32) {
    // SAFETY: the recorder runs in KSEG0 in kernel mode; callers only write
    // the registers and values the vector inputs ask for (see run.rs).
    unsafe { asm!(".set push", ".set noat", "mtc0 {v}, ${rd}, {sel}", "ehb", ".set pop", v = in(reg) v, rd = const RD, sel = const SEL) };
}

macro_rules! row {
    ($f:ident, $rd:literal) => {
        [$f::<$rd, 0>, $f::<$rd, 1>, $f::<$rd, 2>, $f::<$rd, 3>, $f::<$rd, 4>, $f::<$rd, 5>, $f::<$rd, 6>, $f::<$rd, 7>]
    };
}
macro_rules! table {
    ($f:ident, $t:ty) => {
        [
            row!($f, 0), row!($f, 1), row!($f, 2), row!($f, 3), row!($f, 4), row!($f, 5), row!($f, 6), row!($f, 7),
            row!($f, 8), row!($f, 9), row!($f, 10), row!($f, 11), row!($f, 12), row!($f, 13), row!($f, 14), row!($f, 15),
            row!($f, 16), row!($f, 17), row!($f, 18), row!($f, 19), row!($f, 20), row!($f, 21), row!($f, 22), row!($f, 23),
            row!($f, 24), row!($f, 25), row!($f, 26), row!($f, 27), row!($f, 28), row!($f, 29), row!($f, 30), row!($f, 31),
        ]
    };
}
static READ: [[fn() -> u32; 8]; 32] = table!(mfc0, fn() -> u32);
static WRITE: [[fn(u32); 8]; 32] = table!(mtc0, fn(u32));

pub fn read_cp0(rd: usize, sel: usize) -> u32 {
    READ[rd][sel]()
}

pub fn write_cp0(rd: usize, sel: usize, value: u32) {
    WRITE[rd][sel](value)
}

/// TLBWI / TLBR with the hazard barrier.
pub fn tlbwi() {
    // SAFETY: the recorder runs unmapped (KSEG0/KSEG1), so TLB contents
    // cannot affect it.
    unsafe { asm!("tlbwi", "ehb") };
}

pub fn tlbr() {
    // SAFETY: only loads EntryHi/EntryLo0/EntryLo1/PageMask.
    unsafe { asm!("tlbr", "ehb") };
}

/// Makes the instruction stream at `addr` (KSEG0) see stores just made.
pub fn sync_icache(addr: u32) {
    // SAFETY: synci on a KSEG0 address of RAM cannot fault.
    unsafe { asm!("sync", "synci 0({a})", "sync", a = in(reg) addr) };
}

const UART: usize = 0xB800_03F8;
const PIC_MASTER_IMR: usize = 0xB800_0021;
const PIC_SLAVE_IMR: usize = 0xB800_00A1;
const RESET: usize = 0xBF00_0500;

fn write_io(addr: usize, v: u8) {
    // SAFETY: callers pass one of the Malta I/O registers above (KSEG1).
    unsafe { (addr as *mut u8).write_volatile(v) };
}

fn read_io(addr: usize) -> u8 {
    // SAFETY: as for write_io.
    unsafe { (addr as *const u8).read_volatile() }
}

pub fn putc(c: u8) {
    while read_io(UART + 5) & 0x20 == 0 {}
    write_io(UART, c);
}

/// Masks every line of both i8259s, so the southbridge timer never raises IP2.
pub fn mask_pic() {
    write_io(PIC_MASTER_IMR, 0xFF);
    write_io(PIC_SLAVE_IMR, 0xFF);
}

pub fn halt() -> ! {
    write_io(RESET, 0x42);
    loop {
        core::hint::spin_loop();
    }
}

/// The input blob loaded by QEMU's generic loader, as words.
pub fn input() -> &'static [u32] {
    const BASE: usize = 0x8100_0000;
    // SAFETY: xtask loads the blob at physical 0x01000000 before the CPU
    // starts; word 1 is its length in words, and nothing writes it.
    unsafe {
        let len = ((BASE + 4) as *const u32).read_volatile() as usize;
        core::slice::from_raw_parts(BASE as *const u32, len)
    }
}

/// Writes a word of RAM (the landing pad), by KSEG0 address.
pub fn poke(addr: u32, value: u32) {
    // SAFETY: callers pass the landing-pad page, which only the tests use.
    unsafe { (addr as *mut u32).write_volatile(value) };
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    for &c in b"\nPANIC\n" {
        putc(c);
    }
    halt()
}
