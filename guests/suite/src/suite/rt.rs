//! The suite's own runtime on top of guest-rt (start-up, CP0 access, the
//! UART and power-off come from there): exception vectors and the record
//! they keep, TLB access, test-frame memory, user mode.
//!
//! Exceptions are part of what the suite tests, so the vectors do not
//! report and stop: they record the exception (vector offset, Cause, EPC,
//! BadVAddr, Status, EntryHi, Context) using only k0/k1, then
//! - an interrupt clears Status.IE, then resumes at the address a case
//!   stored in `EXC[RESUME]` if there is one, or else returns to where it
//!   struck (stepping over a WAIT it struck just before, so that cannot
//!   hang);
//! - any other exception resumes at `EXC[RESUME]`; with no resume address
//!   it is unexpected: it is reported and the machine halts.
//!
//! Resuming happens in kernel mode (Status.KSU and ERL cleared) and clears
//! `EXC[RESUME]`.
use super::map;
use core::arch::{asm, global_asm};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
pub use guest_rt::cp0::{cause, count, status, CAUSE_IP0, CAUSE_IP7, CAUSE_IV, CAUSE_TI, ST_CU0, ST_CU1, ST_ERL, ST_EXL, ST_IE, ST_IM0, ST_IM7, ST_KSU_USER};
pub(crate) use guest_rt::{mfc0, mtc0};
pub use guest_rt::Uart;

/// Indexes of `EXC`, the exception record (also used by the vectors).
pub const RESUME: usize = 0;
const COUNT: usize = 1;
const VECTOR: usize = 2;
const CAUSE: usize = 3;
const EPC: usize = 4;
const BADVADDR: usize = 5;
const STATUS: usize = 6;
const ENTRYHI: usize = 7;
const CONTEXT: usize = 8;
const EXC_WORDS: usize = 9;

/// The exception record written by the vectors.
#[no_mangle]
static EXC: [AtomicU32; EXC_WORDS] = [const { AtomicU32::new(0) }; EXC_WORDS];

/// The address of `EXC`, for assembly that stores a resume address.
pub fn exc_base() -> u32 {
    EXC.as_ptr() as u32
}

// The vectors at EBase (the image base; guest-rt's start-up points EBase
// here): refill +0x000, general +0x180, interrupt +0x200, and the eight
// vectored interrupts of IntCtl.VS = 1 (32 bytes apart, +0x200 to +0x2E0).
global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
__ebase:
    .org 0x000
    j     exc_common
    ori   $k0, $zero, 0x000
    .org 0x180
    j     exc_common
    ori   $k0, $zero, 0x180
    .org 0x200
    j     exc_common
    ori   $k0, $zero, 0x200
    .org 0x220
    j     exc_common
    ori   $k0, $zero, 0x220
    .org 0x240
    j     exc_common
    ori   $k0, $zero, 0x240
    .org 0x260
    j     exc_common
    ori   $k0, $zero, 0x260
    .org 0x280
    j     exc_common
    ori   $k0, $zero, 0x280
    .org 0x2A0
    j     exc_common
    ori   $k0, $zero, 0x2A0
    .org 0x2C0
    j     exc_common
    ori   $k0, $zero, 0x2C0
    .org 0x2E0
    j     exc_common
    ori   $k0, $zero, 0x2E0
    .org 0x300
exc_common:
    lui   $k1, %hi(EXC)
    addiu $k1, $k1, %lo(EXC)
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
    mfc0  $k0, $12
    sw    $k0, {status}($k1)
    mfc0  $k0, $10
    sw    $k0, {entryhi}($k1)
    mfc0  $k0, $4
    sw    $k0, {context}($k1)
    lw    $k0, {cause}($k1)
    andi  $k0, $k0, 0x7c
    bnez  $k0, 1f
    nop
    # Interrupt: Status.IE cleared. If it struck kernel code just before a
    # WAIT, step over the WAIT, which would otherwise never wake.
    lw    $k0, {status}($k1)
    andi  $k0, $k0, 0x18
    bnez  $k0, 4f
    mfc0  $k0, $14
    lw    $k1, 0($k0)
    lui   $k0, 0x4200
    ori   $k0, $k0, 0x0020
    bne   $k0, $k1, 4f
    mfc0  $k0, $14
    addiu $k0, $k0, 4
    mtc0  $k0, $14
4:  mfc0  $k0, $12
    srl   $k0, $k0, 1
    sll   $k0, $k0, 1
    mtc0  $k0, $12
    # Then resume where the case asked, or else where it struck.
    lui   $k1, %hi(EXC)
    addiu $k1, $k1, %lo(EXC)
    lw    $k0, {resume}($k1)
    bnez  $k0, 5f
    nop
    ehb
    eret
1:  lw    $k0, {resume}($k1)
    beqz  $k0, 2f
    nop
    # Resume at EXC[RESUME] in kernel mode (KSU and ERL cleared).
5:  sw    $zero, {resume}($k1)
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
    j     unexpected_exception
    addiu $sp, $sp, -16
    .set pop
"#,
    resume = const 4 * RESUME,
    count = const 4 * COUNT,
    vector = const 4 * VECTOR,
    cause = const 4 * CAUSE,
    epc = const 4 * EPC,
    badvaddr = const 4 * BADVADDR,
    status = const 4 * STATUS,
    entryhi = const 4 * ENTRYHI,
    context = const 4 * CONTEXT,
);

/// An exception as the vectors recorded it.
#[derive(Clone, Copy, Debug)]
pub struct Trap {
    /// Offset from the vector base: 0x000, 0x180 or 0x200.
    pub vector: u32,
    pub cause: u32,
    pub epc: u32,
    pub badvaddr: u32,
    pub status: u32,
    pub entryhi: u32,
    pub context: u32,
}

impl Trap {
    pub fn code(&self) -> u32 {
        (self.cause >> 2) & 0x1F
    }
    pub fn bd(&self) -> bool {
        self.cause & (1 << 31) != 0
    }
    pub fn ce(&self) -> u32 {
        (self.cause >> 28) & 3
    }
}

/// The exception recorded since the last call, if any; clears the record
/// and any unused resume address.
pub fn take_trap() -> Option<Trap> {
    let word = |i: usize| EXC[i].load(Relaxed);
    let trap = (word(COUNT) != 0).then(|| Trap {
        vector: word(VECTOR),
        cause: word(CAUSE),
        epc: word(EPC),
        badvaddr: word(BADVADDR),
        status: word(STATUS),
        entryhi: word(ENTRYHI),
        context: word(CONTEXT),
    });
    EXC[COUNT].store(0, Relaxed);
    EXC[RESUME].store(0, Relaxed);
    trap
}

/// How many exceptions were recorded since the last `take_trap`.
pub fn trap_count() -> u32 {
    EXC[COUNT].load(Relaxed)
}

#[no_mangle]
extern "C" fn unexpected_exception() -> ! {
    let trap = take_trap();
    let mut console = console();
    let _ = match trap {
        Some(t) => writeln!(
            console,
            "\n*** unexpected exception: ExcCode {} vector {:#x} EPC {:#010x} BadVAddr {:#010x} Status {:#010x} Cause {:#010x}",
            t.code(),
            t.vector,
            t.epc,
            t.badvaddr,
            t.status,
            t.cause
        ),
        None => writeln!(console, "\n*** unexpected exception"),
    };
    halt()
}

/// The known state every case starts from: kernel mode, interrupts off,
/// no vectored interrupts (IntCtl.VS = 0), Cause clear, Compare far ahead, Wired 0, ASID 0, an empty TLB, no
/// recorded exception.
pub fn reset_state() {
    mtc0!(12, 0, 0);
    mtc0!(12, 1, 0);
    mtc0!(13, 0, 0);
    mtc0!(11, 0, count().wrapping_add(0x4000_0000));
    mtc0!(6, 0, 0);
    mtc0!(5, 0, 0);
    mtc0!(7, 0, 0);
    tlb_flush();
    mtc0!(10, 0, 0);
    take_trap();
}

/// Sets Compare at least `ticks` ahead of Count, making sure it is still
/// ahead after the write (Count runs on host time; a slow host can let it
/// pass a close Compare before the write lands). Returns Compare.
pub fn arm_timer(ticks: u32) -> u32 {
    let mut ahead = ticks;
    loop {
        let start = count();
        let compare = start.wrapping_add(ahead);
        mtc0!(11, 0, compare);
        if count().wrapping_sub(start) < ahead {
            return compare;
        }
        ahead = ahead.saturating_mul(2).min(0x1000_0000);
    }
}

// ---------------------------------------------------------------- TLB

/// EntryLo flags.
pub const LO_G: u32 = 1;
pub const LO_V: u32 = 2;
pub const LO_D: u32 = 4;
/// Cacheable, noncoherent.
pub const LO_C3: u32 = 3 << 3;

/// An EntryLo value for physical address `pa` with `flags`.
pub fn entry_lo(pa: u32, flags: u32) -> u32 {
    ((pa >> 12) << 6) | flags
}

/// The registers TLBWI/TLBWR write and TLBR reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Entry {
    pub hi: u32,
    pub lo0: u32,
    pub lo1: u32,
    pub mask: u32,
}

/// A VPN2 in KSEG3 that no case uses, for invalidated entries.
pub fn unused_vpn2(i: u32) -> u32 {
    map::KSEG3 + 0x1F00_0000 + i * 0x2000
}

/// Writable mappings may only lead to the test frames (so mapped stores
/// never touch the image).
fn check_writable(lo: u32) {
    if lo & (LO_V | LO_D) == LO_V | LO_D {
        let pa = (lo >> 6) << 12;
        assert!(map::TEST_FRAMES.contains(&pa), "writable TLB mapping outside the test frames");
    }
}

fn load_entry_regs(e: Entry) {
    check_writable(e.lo0);
    check_writable(e.lo1);
    mtc0!(10, 0, e.hi);
    mtc0!(2, 0, e.lo0);
    mtc0!(3, 0, e.lo1);
    mtc0!(5, 0, e.mask);
}

/// TLBWI at `index`.
pub fn tlb_write(index: u32, e: Entry) {
    let hi = mfc0!(10, 0);
    load_entry_regs(e);
    mtc0!(0, 0, index);
    // SAFETY: the entry maps only test frames writably (checked above) and
    // no TLB entry can affect KSEG0/KSEG1, where the suite runs.
    unsafe { asm!("tlbwi", "ehb", options(nostack)) };
    mtc0!(10, 0, hi);
}

/// TLBWR; returns nothing (probe for where it landed).
pub fn tlb_write_random(e: Entry) {
    let hi = mfc0!(10, 0);
    load_entry_regs(e);
    // SAFETY: as in `tlb_write`.
    unsafe { asm!("tlbwr", "ehb", options(nostack)) };
    mtc0!(10, 0, hi);
}

/// TLBR of `index`; EntryHi (the current ASID) is restored afterwards.
pub fn tlb_read(index: u32) -> Entry {
    let hi = mfc0!(10, 0);
    mtc0!(0, 0, index);
    // SAFETY: TLBR only loads EntryHi/EntryLo0/EntryLo1/PageMask.
    unsafe { asm!("tlbr", "ehb", options(nostack)) };
    let e = Entry { hi: mfc0!(10, 0), lo0: mfc0!(2, 0), lo1: mfc0!(3, 0), mask: mfc0!(5, 0) };
    mtc0!(10, 0, hi);
    e
}

/// TLBP for `hi` (VPN2 | ASID); returns Index. EntryHi is restored.
pub fn tlb_probe(hi: u32) -> u32 {
    let old = mfc0!(10, 0);
    mtc0!(10, 0, hi);
    // SAFETY: TLBP only writes Index.
    unsafe { asm!("tlbp", "ehb", options(nostack)) };
    let index = mfc0!(0, 0);
    mtc0!(10, 0, old);
    index
}

/// Invalidates every entry: distinct unused VPN2s, V=0.
pub fn tlb_flush() {
    for i in 0..16 {
        tlb_write(i, Entry { hi: unused_vpn2(i), ..Entry::default() });
    }
}

// ---------------------------------------------------------- memory access

/// A word at physical `pa` in the test frames, through (guest) KSEG0.
pub fn frame_read(pa: u32) -> u32 {
    assert!(map::TEST_FRAMES.contains(&pa) && pa.is_multiple_of(4));
    // SAFETY: the test frames are RAM nothing else in the image uses.
    unsafe { core::ptr::read_volatile((map::KSEG0 + pa) as *const u32) }
}

/// Writes a word at physical `pa` in the test frames, through KSEG0.
pub fn frame_write(pa: u32, value: u32) {
    assert!(map::TEST_FRAMES.contains(&pa) && pa.is_multiple_of(4));
    // SAFETY: as in `frame_read`.
    unsafe { core::ptr::write_volatile((map::KSEG0 + pa) as *mut u32, value) }
}

/// `lw` from `va`, which may fault.
pub fn load(va: u32) -> Result<u32, Trap> {
    let value: u32;
    // SAFETY: a load changes no memory; if it faults the vector resumes at
    // label 3 with every register but k0/k1 intact.
    unsafe {
        asm!(
            ".set push",
            ".set noreorder",
            ".set noat",
            "la {t}, 3f",
            "sw {t}, 0({exc})",
            "move {v}, $zero",
            "lw {v}, 0({va})",
            "3:",
            ".set pop",
            t = out(reg) _,
            v = out(reg) value,
            exc = in(reg) exc_base(),
            va = in(reg) va,
            options(nostack)
        )
    };
    take_trap().map_or(Ok(value), Err)
}

/// `sw` to `va`, which must be in the mapped kernel segments (where the
/// TLB only maps test frames writably) or misaligned (so it faults).
pub fn store(va: u32, value: u32) -> Result<(), Trap> {
    assert!(map::is_mapped_kernel(va) || !va.is_multiple_of(4), "store outside the mapped segments");
    // SAFETY: by the assertion the store reaches a test frame or faults; on
    // a fault the vector resumes at label 3.
    unsafe {
        asm!(
            ".set push",
            ".set noreorder",
            ".set noat",
            "la {t}, 3f",
            "sw {t}, 0({exc})",
            "sw {v}, 0({va})",
            "3:",
            ".set pop",
            t = out(reg) _,
            exc = in(reg) exc_base(),
            va = in(reg) va,
            v = in(reg) value,
            options(nostack)
        )
    };
    take_trap().map_or(Ok(()), Err)
}

/// Calls the code at `va` (a mapped copy of a routine that sets v0 and
/// returns), which may fault on the fetch.
pub fn call_mapped(va: u32) -> Result<u32, Trap> {
    let value: u32;
    // SAFETY: the callee is `RET_42` copied to a test frame (it only writes
    // v0 and returns); a fetch fault resumes at label 3.
    unsafe {
        asm!(
            ".set push",
            ".set noreorder",
            ".set noat",
            "la {t}, 3f",
            "sw {t}, 0({exc})",
            "move $2, $zero",
            "jalr $24, {va}",
            "nop",
            "3:",
            ".set pop",
            t = out(reg) _,
            exc = in(reg) exc_base(),
            va = in(reg) va,
            out("$2") value,
            out("$24") _,
            options(nostack)
        )
    };
    take_trap().map_or(Ok(value), Err)
}

/// `li v0, 42; jr t8; nop` as words (the caller links in t8), for copying into a mapped frame.
pub const RET_42: [u32; 3] = [0x2402_002A, 0x0300_0008, 0x0000_0000];

// -------------------------------------------------------------- user mode

/// Where the user page (`.user_page`) is mapped for user-mode cases.
pub const USER_VA: u32 = 0x0040_0000;
/// The data page after it (odd half of the same TLB entry).
pub const USER_DATA_VA: u32 = USER_VA + 0x1000;
/// The frame behind the user data page.
pub const USER_DATA_PA: u32 = 0x0050_0000;

/// Offsets of the user-mode routines in the user page.
pub mod user {
    /// v0 = a0 + 1; syscall.
    pub const SYSCALL: u32 = 0x00;
    /// break.
    pub const BREAK: u32 = 0x20;
    /// v0 = *a0; syscall.
    pub const LOAD: u32 = 0x40;
    /// *a0 = a1; syscall.
    pub const STORE: u32 = 0x60;
    /// mtc0 $zero, Count; syscall.
    pub const MTC0: u32 = 0x80;
    /// v0 = rdhwr $3 (CCRes); syscall.
    pub const RDHWR_CCRES: u32 = 0xA0;
    /// v0 = Status (mfc0); syscall.
    pub const MFC0_STATUS: u32 = 0xC0;
    /// jr a0.
    pub const JUMP: u32 = 0xE0;
    /// v0 = rdhwr $0 (CPUNum); syscall.
    pub const RDHWR_CPUNUM: u32 = 0x100;
    /// Counts a0 down to zero (two instructions per turn); syscall.
    pub const SPIN: u32 = 0x120;
    /// A taken branch with a syscall in its delay slot.
    pub const SYSCALL_IN_SLOT: u32 = 0x140;
}

global_asm!(
    r#"
    .section .user_page, "ax"
    .globl __user_page
    .set push
    .set noreorder
    .balign 4096
__user_page:
    .org 0x00
    addiu $v0, $a0, 1
    syscall
    nop
    .org 0x20
    break
    nop
    .org 0x40
    lw    $v0, 0($a0)
    syscall
    nop
    .org 0x60
    sw    $a1, 0($a0)
    syscall
    nop
    .org 0x80
    mtc0  $zero, $9
    syscall
    nop
    .org 0xA0
    rdhwr $v0, $3
    syscall
    nop
    .org 0xC0
    mfc0  $v0, $12
    syscall
    nop
    .org 0xE0
    jr    $a0
    nop
    .org 0x100
    rdhwr $v0, $0
    syscall
    nop
    .org 0x120
1:  addiu $a0, $a0, -1
    bnez  $a0, 1b
    nop
    syscall
    nop
    .org 0x140
    b     1f
    syscall
1:  break
    nop
    .balign 4096
    .set pop
"#
);

/// The physical address of the user page.
pub fn user_page_pa() -> u32 {
    extern "C" {
        static __user_page: u8;
    }
    map::kseg0_to_phys(core::ptr::addr_of!(__user_page) as u32)
}

/// Maps the user page (read-only, at `USER_VA`) and the user data page
/// (writable) with `asid` in TLB entry 0, and makes `asid` current.
pub fn map_user(asid: u32) {
    tlb_write(
        0,
        Entry {
            hi: USER_VA | asid,
            lo0: entry_lo(user_page_pa(), LO_C3 | LO_V),
            lo1: entry_lo(USER_DATA_PA, LO_C3 | LO_V | LO_D),
            mask: 0,
        },
    );
    mtc0!(10, 0, asid);
}

/// Enters user mode at `USER_VA + offset` with a0, a1 (eret with KSU=2,
/// EXL=1 and the extra Status bits `status`). The routine ends with an
/// exception, which resumes here in kernel mode. Returns v0 and the trap.
pub fn run_user(offset: u32, a0: u32, a1: u32, status: u32) -> (u32, Option<Trap>) {
    let v0: u32;
    mtc0!(14, 0, USER_VA + offset);
    // SAFETY: the user routines only touch v0 and user-mapped memory (the
    // data page is a test frame); their closing exception resumes at label
    // 3 in kernel mode, with every register but k0/k1 as user mode left it.
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
            st = in(reg) status | ST_KSU_USER | ST_EXL,
            in("$4") a0,
            in("$5") a1,
            out("$2") v0,
            options(nostack)
        )
    };
    (v0, take_trap())
}

// ------------------------------------------------------------------ UART

pub const LSR: u32 = Uart::LSR;
pub const SCR: u32 = Uart::SCR;
pub const LSR_THR_EMPTY: u8 = Uart::LSR_THR_EMPTY;
pub const LSR_TEMT: u8 = Uart::LSR_TEMT;

/// The suite's UART (guest-rt's polled console).
pub fn console() -> Uart {
    Uart::new(crate::MAP)
}

/// Drains the UART and powers off: the machine (QEMU with -no-reboot, or
/// the VCPU) stops.
pub fn halt() -> ! {
    guest_rt::power_off(crate::MAP)
}

/// What `provoke!` returns: the address of its label `2:` and the
/// exception recorded, if any.
pub type Provoked = (u32, Option<Trap>);

/// Runs a short assembly `body` that may raise an exception, with the
/// resume address set to its end. Label `2:` marks the body's first
/// instruction and `3:` its end (the body may branch to either). Returns
/// the address of `2:` and the recorded exception, if any.
macro_rules! provoke {
    ([$($line:literal),+ $(,)?] $(, $($ops:tt)*)?) => {{
        let at: u32;
        // SAFETY: the body is a few instructions that only change the
        // registers passed as operands (and CP0 state, which cannot unmap
        // the KSEG0 code); when it faults, the vector resumes at label 3 in
        // kernel mode with every register but k0/k1 intact.
        unsafe {
            core::arch::asm!(
                ".set push",
                ".set noreorder",
            ".set noat",
                "la {p_t}, 3f",
                "sw {p_t}, 0({p_exc})",
                "la {p_at}, 2f",
                "2:",
                $($line,)+
                "3:",
                ".set pop",
                p_t = out(reg) _,
                p_exc = in(reg) crate::suite::rt::exc_base(),
                p_at = out(reg) at,
                $($($ops)*)?
            )
        };
        (at, crate::suite::rt::take_trap())
    }};
}

pub(crate) use provoke;
