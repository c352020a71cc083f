//! Interrupt-driven input: the UART's receive interrupt (IER bit 0) on
//! Cause.IP2, a guest exception handler that moves received bytes into a
//! ring, and an idle routine that WAITs until the next interrupt.
//!
//! As Malta software does on the board (natively) and on the virtual
//! Malta board (`board = "malta"` in `dts/host.dts`): the UART is IRQ 4 of
//! the southbridge's i8259 pair, whose output is IP2. The pair is set up
//! to pass only IRQ 4; the handler takes the vector from the GT-64120's
//! interrupt-acknowledge register (the INTA cycle) and ends it with an EOI.
//!
//! Waking without a lost wakeup: [`read_byte`] checks the ring with
//! interrupts off, and only then calls `console_idle` (`ei; ehb; wait`).
//! An interrupt that strikes inside that routine before the WAIT has
//! finished resumes after it (the handler moves EPC to
//! `console_idle_end`), so a byte that arrives between the check and the
//! WAIT is never left waiting for the next one.
use core::arch::global_asm;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering::Relaxed};
use guest_rt::cp0::{self, CAUSE_IP2, ST_IE, ST_IM2};
use guest_rt::Uart;

/// Received bytes not read yet: the handler writes at `RX_HEAD`, `read_byte`
/// reads at `RX_TAIL` (both count bytes since boot; the slot is the count
/// modulo `RING`).
const RING: usize = 64;
static RX: [AtomicU8; RING] = [const { AtomicU8::new(0) }; RING];
static RX_HEAD: AtomicU32 = AtomicU32::new(0);
static RX_TAIL: AtomicU32 = AtomicU32::new(0);
/// Set by the handler when the ring was full and it turned the receive
/// interrupt off (the bytes wait in the UART); `read_byte` turns it on again.
static RX_PAUSED: AtomicBool = AtomicBool::new(false);

/// Enables the receive interrupt and IP2 (interrupts on).
pub fn init(uart: &Uart) {
    pic::init();
    uart.write(Uart::IER, Uart::IER_RX_AVAILABLE);
    cp0::set_status(ST_IM2 | ST_IE);
}

/// The next typed byte; WAITs (interrupts on) until there is one.
pub fn read_byte(uart: &Uart) -> u8 {
    loop {
        cp0::disable_interrupts();
        let tail = RX_TAIL.load(Relaxed);
        if tail != RX_HEAD.load(Relaxed) {
            let byte = RX[tail as usize % RING].load(Relaxed);
            RX_TAIL.store(tail.wrapping_add(1), Relaxed);
            if RX_PAUSED.swap(false, Relaxed) {
                uart.write(Uart::IER, Uart::IER_RX_AVAILABLE);
            }
            cp0::enable_interrupts();
            return byte;
        }
        idle();
    }
}

extern "C" {
    /// `ei; ehb; wait`, then returns (with interrupts on).
    fn console_idle();
    static console_idle_end: u8;
}

fn idle() {
    // SAFETY: `console_idle` only enables interrupts and waits; the
    // handler saves every register it or Rust code might use.
    unsafe { console_idle() }
}

/// Called by the vectors: `vector` is the offset (0x000, 0x180, 0x200),
/// `cause` and `epc` as the exception left them. Returns where to resume.
#[no_mangle]
extern "C" fn console_exception(vector: u32, cause: u32, epc: u32) -> u32 {
    if cp0::exc_code(cause) != 0 {
        unexpected(vector, cause, epc);
    }
    if cause & CAUSE_IP2 != 0 {
        match pic::acknowledge() {
            pic::UART_VECTOR => {
                receive();
                pic::end_of_interrupt();
            }
            // Spurious (IR7, nothing in service) or a masked line's: no EOI.
            _ => {}
        }
    }
    let idle_start = console_idle as *const () as u32;
    let idle_end = core::ptr::addr_of!(console_idle_end) as u32;
    if (idle_start..idle_end).contains(&epc) {
        idle_end
    } else {
        epc
    }
}

/// Moves every received byte into the ring; when it is full, turns the
/// receive interrupt off instead (the UART's level would otherwise
/// interrupt again at once, forever).
fn receive() {
    let mut uart = Uart::new(crate::MAP);
    loop {
        let head = RX_HEAD.load(Relaxed);
        if head.wrapping_sub(RX_TAIL.load(Relaxed)) as usize == RING {
            uart.write(Uart::IER, 0);
            RX_PAUSED.store(true, Relaxed);
            return;
        }
        let Some(byte) = uart.try_read() else { return };
        RX[head as usize % RING].store(byte, Relaxed);
        RX_HEAD.store(head.wrapping_add(1), Relaxed);
    }
}

/// Any exception but an interrupt is a bug here: report it, power off.
fn unexpected(vector: u32, cause: u32, epc: u32) -> ! {
    let _ = writeln!(
        Uart::new(crate::MAP),
        "\nconsole: unexpected exception: ExcCode {} vector {vector:#x} EPC {epc:#010x} BadVAddr {:#010x}",
        cp0::exc_code(cause),
        cp0::badvaddr()
    );
    guest_rt::power_off(crate::MAP)
}

// The vectors at EBase (refill +0x000, general +0x180, interrupt +0x200)
// save every register the o32 ABI lets a call clobber (at, v0-v1, a0-a3,
// t0-t9, ra, HI, LO) on the interrupted stack (the console runs in kernel
// mode only, so $sp is always its own), call `console_exception`, put the
// address it returns into EPC, restore and `eret`. Then `console_idle`.
global_asm!(
    r#"
    .section .vectors, "ax"
    .globl __ebase
    .set push
    .set noreorder
    .set noat
__ebase:
    .org 0x000
    j     console_vector
    ori   $k0, $zero, 0x000
    .org 0x180
    j     console_vector
    ori   $k0, $zero, 0x180
    .org 0x200
    j     console_vector
    ori   $k0, $zero, 0x200
    .org 0x280
console_vector:
    addiu $sp, $sp, -96
    sw    $at, 16($sp)
    sw    $v0, 20($sp)
    sw    $v1, 24($sp)
    sw    $a0, 28($sp)
    sw    $a1, 32($sp)
    sw    $a2, 36($sp)
    sw    $a3, 40($sp)
    sw    $t0, 44($sp)
    sw    $t1, 48($sp)
    sw    $t2, 52($sp)
    sw    $t3, 56($sp)
    sw    $t4, 60($sp)
    sw    $t5, 64($sp)
    sw    $t6, 68($sp)
    sw    $t7, 72($sp)
    sw    $t8, 76($sp)
    sw    $t9, 80($sp)
    sw    $ra, 84($sp)
    mfhi  $k1
    sw    $k1, 88($sp)
    mflo  $k1
    sw    $k1, 92($sp)
    move  $a0, $k0
    mfc0  $a1, $13
    mfc0  $a2, $14
    jal   console_exception
    nop
    mtc0  $v0, $14
    lw    $k1, 88($sp)
    mthi  $k1
    lw    $k1, 92($sp)
    mtlo  $k1
    lw    $at, 16($sp)
    lw    $v0, 20($sp)
    lw    $v1, 24($sp)
    lw    $a0, 28($sp)
    lw    $a1, 32($sp)
    lw    $a2, 36($sp)
    lw    $a3, 40($sp)
    lw    $t0, 44($sp)
    lw    $t1, 48($sp)
    lw    $t2, 52($sp)
    lw    $t3, 56($sp)
    lw    $t4, 60($sp)
    lw    $t5, 64($sp)
    lw    $t6, 68($sp)
    lw    $t7, 72($sp)
    lw    $t8, 76($sp)
    lw    $t9, 80($sp)
    lw    $ra, 84($sp)
    addiu $sp, $sp, 96
    ehb
    eret
    .set pop

    .text
    .globl console_idle
    .globl console_idle_end
    .set push
    .set noreorder
    .set mips32r2
console_idle:
    ei
    ehb
    wait
console_idle_end:
    jr    $ra
    nop
    .set pop
"#
);

/// The i8259 pair as the console uses it: only the UART's IRQ 4 passes.
mod pic {
    use guest_rt::malta;

    const UART_IRQ: u8 = 4;
    /// ICW2: the master's vectors start here (the slave's at 0x10).
    const VECTOR_BASE: u8 = 0x08;
    pub const UART_VECTOR: u8 = VECTOR_BASE + UART_IRQ;

    /// Every line but the UART's masked (the PIT on IRQ 0 runs from reset).
    pub fn init() {
        malta::pic_init(crate::MAP, VECTOR_BASE, 0x10, !(1 << UART_IRQ), 0xFF);
    }

    /// The INTA cycle: the vector of the highest pending request, now in
    /// service (IP2 stays low until the EOI and the next edge).
    pub fn acknowledge() -> u8 {
        malta::pic_acknowledge(crate::MAP)
    }

    pub fn end_of_interrupt() {
        malta::pic_end_of_interrupt(crate::MAP, UART_IRQ);
    }
}
