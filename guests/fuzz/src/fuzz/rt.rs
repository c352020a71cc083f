//! The fuzz program's runtime on top of guest-rt: exception vectors that
//! record and resume, the TLB instructions, loads and stores in kernel
//! mode, and the user-code page with its entry into user mode.
//!
//! Every exception is part of the result, so the vectors never stop: they
//! record it (vector offset, Cause, EPC, BadVAddr, EntryHi, Context) using
//! only k0/k1 and resume in kernel mode (Status.KSU and ERL cleared, EXL
//! cleared by the `eret`) at the address the caller stored in
//! `FUZZ_EXC[RESUME]`. Without a resume address the exception is
//! unexpected: it is printed and the machine powers off.
use super::gen::{Entry, Kind, USER_VA};
use core::arch::{asm, global_asm};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use guest_rt::cp0::{ST_EXL, ST_KSU_USER};
use guest_rt::{mfc0, mtc0};

/// Indexes of `FUZZ_EXC`, the exception record.
const RESUME: usize = 0;
const COUNT: usize = 1;
const VECTOR: usize = 2;
const CAUSE: usize = 3;
const EPC: usize = 4;
const BADVADDR: usize = 5;
const ENTRYHI: usize = 6;
const CONTEXT: usize = 7;
const EXC_WORDS: usize = 8;

#[no_mangle]
static FUZZ_EXC: [AtomicU32; EXC_WORDS] = [const { AtomicU32::new(0) }; EXC_WORDS];

fn exc_base() -> u32 {
    FUZZ_EXC.as_ptr() as u32
}

// Refill +0x000, general +0x180, interrupt +0x200 (interrupts stay
// disabled; one would be recorded like any exception).
global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
__ebase:
    .org 0x000
    j     fuzz_exc_common
    ori   $k0, $zero, 0x000
    .org 0x180
    j     fuzz_exc_common
    ori   $k0, $zero, 0x180
    .org 0x200
    j     fuzz_exc_common
    ori   $k0, $zero, 0x200
    .org 0x300
fuzz_exc_common:
    lui   $k1, %hi(FUZZ_EXC)
    addiu $k1, $k1, %lo(FUZZ_EXC)
    sw    $k0, {vector}($k1)
    lw    $k0, {count}($k1)
    addiu $k0, $k0, 1
    sw    $k0, {count}($k1)
    mfc0  $k0, $13
    sw    $k0, {cause}($k1)
    mfc0  $k0, $14
    sw    $k0, {epc}($k1)
    mfc0  $k0, $8
    sw    $k0, {badvaddr}($k1)
    mfc0  $k0, $10
    sw    $k0, {entryhi}($k1)
    mfc0  $k0, $4
    sw    $k0, {context}($k1)
    lw    $k0, {resume}($k1)
    beqz  $k0, 2f
    nop
    sw    $zero, {resume}($k1)
    mtc0  $k0, $14
    mfc0  $k0, $12
    li    $k1, 0xFFFFFFE3
    and   $k0, $k0, $k1
    mtc0  $k0, $12
    ehb
    eret
2:  lui   $sp, %hi(__exception_stack_top)
    addiu $sp, $sp, %lo(__exception_stack_top)
    lui   $gp, %hi(_gp)
    addiu $gp, $gp, %lo(_gp)
    j     fuzz_unexpected_exception
    addiu $sp, $sp, -16
    .set pop
"#,
    resume = const 4 * RESUME,
    count = const 4 * COUNT,
    vector = const 4 * VECTOR,
    cause = const 4 * CAUSE,
    epc = const 4 * EPC,
    badvaddr = const 4 * BADVADDR,
    entryhi = const 4 * ENTRYHI,
    context = const 4 * CONTEXT,
);

/// An exception as the vectors recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Offset from EBase: 0x000, 0x180 or 0x200.
    pub vector: u32,
    pub cause: u32,
    pub epc: u32,
    pub badvaddr: u32,
    pub entryhi: u32,
    pub context: u32,
}

impl Trap {
    pub fn code(&self) -> u32 {
        guest_rt::cp0::exc_code(self.cause)
    }
}

/// The exception recorded since the last call, if any; clears the record
/// and an unused resume address. Two exceptions in one access would mean
/// the vectors themselves faulted: that is reported as unexpected.
fn take_trap() -> Option<Trap> {
    let word = |i: usize| FUZZ_EXC[i].load(Relaxed);
    let count = word(COUNT);
    if count > 1 {
        fuzz_unexpected_exception();
    }
    let trap = (count != 0).then(|| Trap {
        vector: word(VECTOR),
        cause: word(CAUSE),
        epc: word(EPC),
        badvaddr: word(BADVADDR),
        entryhi: word(ENTRYHI),
        context: word(CONTEXT),
    });
    FUZZ_EXC[COUNT].store(0, Relaxed);
    FUZZ_EXC[RESUME].store(0, Relaxed);
    trap
}

#[no_mangle]
extern "C" fn fuzz_unexpected_exception() -> ! {
    let w = |i: usize| FUZZ_EXC[i].load(Relaxed);
    let mut console = guest_rt::Uart::new(crate::MAP);
    let _ = writeln!(
        console,
        "\n*** fuzz: unexpected exception ({} recorded): vector {:#x} Cause {:#010x} EPC {:#010x} BadVAddr {:#010x}",
        w(COUNT),
        w(VECTOR),
        w(CAUSE),
        w(EPC),
        w(BADVADDR)
    );
    guest_rt::power_off(crate::MAP)
}

// ---------------------------------------------------------------- TLB

fn load_entry(e: Entry) {
    mtc0!(10, 0, e.hi);
    mtc0!(2, 0, e.lo0);
    mtc0!(3, 0, e.lo1);
    mtc0!(5, 0, e.mask);
}

/// TLBWI of `e` at `index`; EntryHi is `asid` afterwards.
pub fn tlb_write(index: u32, e: Entry, asid: u32) {
    load_entry(e);
    mtc0!(0, 0, index);
    // SAFETY: the generator only maps the data area (and the runtime the
    // user page, read-only); no TLB entry can affect (guest) KSEG0/KSEG1,
    // where the program runs.
    unsafe { asm!("tlbwi", "ehb", options(nostack)) };
    mtc0!(10, 0, asid);
}

/// TLBWR of `e`; EntryHi is `asid` afterwards.
pub fn tlb_write_random(e: Entry, asid: u32) {
    load_entry(e);
    // SAFETY: as in `tlb_write`.
    unsafe { asm!("tlbwr", "ehb", options(nostack)) };
    mtc0!(10, 0, asid);
}

/// TLBR of `index`; EntryHi is `asid` afterwards.
pub fn tlb_read(index: u32, asid: u32) -> Entry {
    mtc0!(0, 0, index);
    // SAFETY: TLBR only loads EntryHi, EntryLo0/1 and PageMask.
    unsafe { asm!("tlbr", "ehb", options(nostack)) };
    let e = Entry { hi: mfc0!(10, 0), lo0: mfc0!(2, 0), lo1: mfc0!(3, 0), mask: mfc0!(5, 0) };
    mtc0!(10, 0, asid);
    e
}

/// TLBP of `hi`; returns Index. EntryHi is `asid` afterwards.
pub fn tlb_probe(hi: u32, asid: u32) -> u32 {
    mtc0!(10, 0, hi);
    // SAFETY: TLBP only writes Index.
    unsafe { asm!("tlbp", "ehb", options(nostack)) };
    let index = mfc0!(0, 0);
    mtc0!(10, 0, asid);
    index
}

// ---------------------------------------------------------- kernel access

/// The outcome of one access: the value loaded (0 for stores), the
/// exception if there was one, and the address of the access instruction
/// (what EPC must be).
pub struct Outcome {
    pub value: u32,
    pub trap: Option<Trap>,
    pub at: u32,
}

/// One load or store instruction at label 2, resuming at label 3.
macro_rules! kernel_access {
    ($insn:literal, $va:expr, $value:expr) => {{
        let (value, at): (u32, u32);
        // SAFETY: the address is in 0x40000000-0x7FFFFFFF (generator), where
        // the TLB only maps the data area, so the access reaches the data
        // area or faults; on a fault the vector resumes at label 3 with
        // every register but k0/k1 intact.
        unsafe {
            asm!(
                ".set push",
                ".set noreorder",
                ".set noat",
                "la {t}, 3f",
                "sw {t}, 0({exc})",
                "la {pc}, 2f",
                "move {v}, $zero",
                "2:",
                $insn,
                "3:",
                ".set pop",
                t = out(reg) _,
                pc = out(reg) at,
                exc = in(reg) exc_base(),
                va = in(reg) $va,
                v = inout(reg) $value => value,
                options(nostack)
            )
        };
        Outcome { value, trap: take_trap(), at }
    }};
}

/// A load or store at `va` in kernel mode.
pub fn kernel_access(kind: Kind, va: u32, value: u32) -> Outcome {
    debug_assert!((0x4000_0000..0x8000_0000).contains(&va));
    match kind {
        Kind::Lw => kernel_access!("lw {v}, 0({va})", va, value),
        Kind::Lhu => kernel_access!("lhu {v}, 0({va})", va, value),
        Kind::Lbu => kernel_access!("lbu {v}, 0({va})", va, value),
        // A store leaves {v} as it was: a store's outcome value is 0.
        Kind::Sw => Outcome { value: 0, ..kernel_access!("sw {v}, 0({va})", va, value) },
        Kind::Sh => Outcome { value: 0, ..kernel_access!("sh {v}, 0({va})", va, value) },
        Kind::Sb => Outcome { value: 0, ..kernel_access!("sb {v}, 0({va})", va, value) },
    }
}

// -------------------------------------------------------------- user mode

/// Offset of `kind`'s routine in the user page: the access, then
/// `syscall`, 16 bytes apart in the order of `Kind::ALL`.
fn user_offset(kind: Kind) -> u32 {
    16 * Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u32
}

// The user-code page: `insn 0(a0)` (loads into v0, stores a1), then
// `syscall` back to kernel mode.
global_asm!(
    r#"
    .section .user_page, "ax"
    .globl __fuzz_user_page
    .set push
    .set noreorder
    .balign 4096
__fuzz_user_page:
    .org 0x00
    lw    $v0, 0($a0)
    syscall
    .org 0x10
    lhu   $v0, 0($a0)
    syscall
    .org 0x20
    lbu   $v0, 0($a0)
    syscall
    .org 0x30
    sw    $a1, 0($a0)
    syscall
    .org 0x40
    sh    $a1, 0($a0)
    syscall
    .org 0x50
    sb    $a1, 0($a0)
    syscall
    .balign 4096
    .set pop
"#
);

/// The physical address of the user-code page.
pub fn user_page_pa() -> u32 {
    extern "C" {
        static __fuzz_user_page: u8;
    }
    core::ptr::addr_of!(__fuzz_user_page) as u32 - crate::MAP.kseg0()
}

/// A load or store at `va` in user mode: enters the user page's routine
/// for `kind` (eret with KSU = user, EXL = 1, interrupts off); its
/// `syscall`, or the fault of the access, resumes here in kernel mode. An
/// access that completes is reported without an exception.
pub fn user_access(kind: Kind, va: u32, value: u32) -> Outcome {
    let at = USER_VA + user_offset(kind);
    mtc0!(14, 0, at);
    let v0: u32;
    // SAFETY: the user routine only loads into v0 or stores a1 at a0, in
    // user mode, where the TLB maps only the data area (and the user page,
    // read-only); the closing exception resumes at label 3 in kernel mode
    // with every register but k0/k1 as user mode left it.
    unsafe {
        asm!(
            ".set push",
            ".set noreorder",
            ".set noat",
            "la {t}, 3f",
            "sw {t}, 0({exc})",
            "mtc0 {st}, $12",
            "ehb",
            "eret",
            "3:",
            ".set pop",
            t = out(reg) _,
            exc = in(reg) exc_base(),
            st = in(reg) ST_KSU_USER | ST_EXL,
            in("$4") va,
            in("$5") value,
            inout("$2") 0u32 => v0,
            options(nostack)
        )
    };
    let trap = take_trap();
    const SYSCALL: u32 = 8;
    match trap {
        Some(t) if t.code() == SYSCALL && t.epc == at + 4 => {
            Outcome { value: if kind.is_store() { 0 } else { v0 }, trap: None, at }
        }
        trap => Outcome { value: 0, trap, at },
    }
}
