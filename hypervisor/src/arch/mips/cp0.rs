//! Reading and writing the host's CP0 registers.

/// Reads the CP0 register the spec names `$reg` (`mfc0!(STATUS)` reads
/// `emulator::Cp0Reg::STATUS`).
macro_rules! mfc0 {
    ($reg:ident) => {{
        let value: u32;
        // SAFETY: reading a CP0 register in kernel mode has no side effect on
        // memory (the registers read here have no read side effects at all).
        unsafe {
            core::arch::asm!(
                ".set push",
                ".set noat",
                "mfc0 {value}, ${rd}, {sel}",
                ".set pop",
                value = out(reg) value,
                rd = const emulator::Cp0Reg::$reg.rd,
                sel = const emulator::Cp0Reg::$reg.sel,
                options(nomem, nostack, preserves_flags)
            )
        };
        value
    }};
}

/// Writes the CP0 register the spec names `$reg`, followed by an
/// execution hazard barrier. Only usable inside an `unsafe` block: the
/// caller states why the write keeps the machine in a state Rust code can
/// run in.
macro_rules! mtc0 {
    ($reg:ident, $value:expr) => {
        core::arch::asm!(
            ".set push",
            ".set noat",
            "mtc0 {value}, ${rd}, {sel}",
            "ehb",
            ".set pop",
            value = in(reg) $value,
            rd = const emulator::Cp0Reg::$reg.rd,
            sel = const emulator::Cp0Reg::$reg.sel,
            options(nostack, preserves_flags)
        )
    };
}

pub(crate) use mtc0;
pub(crate) use mfc0;

pub fn prid() -> u32 {
    mfc0!(PRID)
}

pub fn config0_3() -> [u32; 4] {
    [mfc0!(CONFIG), mfc0!(CONFIG1), mfc0!(CONFIG2), mfc0!(CONFIG3)]
}

pub fn ebase() -> u32 {
    mfc0!(EBASE)
}

/// Debug: DBD tells whether the last debug exception was in a
/// delay slot.
pub fn debug() -> u32 {
    mfc0!(DEBUG)
}

pub fn status() -> u32 {
    mfc0!(STATUS)
}

pub fn index() -> u32 {
    mfc0!(INDEX)
}

pub fn count() -> u32 {
    mfc0!(COUNT)
}

pub fn cause() -> u32 {
    mfc0!(CAUSE)
}

/// Sets Status.IM to `lines` (bit n = IPn). Done at boot, before the
/// first thread starts; an interrupted context resumes with the IM bits
/// current at that time (the interrupt return path keeps them).
pub fn set_interrupt_mask(lines: u8) {
    let _guard = super::irq::disable();
    let status = emulator::view::Status(status()).with_im(u32::from(lines)).0;
    // SAFETY: only the interrupt mask changes, with interrupts disabled;
    // every line it enables has a registered handler.
    unsafe { mtc0!(STATUS, status) };
}

/// Sets Compare at least `ticks` ahead of Count, which also acknowledges
/// the timer interrupt. QEMU's Count follows real time: if Count has
/// already passed the new Compare when the write lands, the interrupt would
/// only come after Count wraps (25 s), so the write is checked and redone
/// further ahead until it is still in the future.
pub fn arm_timer(ticks: u32) {
    let mut ahead = ticks.max(MIN_TIMER_TICKS);
    loop {
        let start = count();
        // SAFETY: Compare only schedules the timer interrupt (IP7), whose
        // handler re-arms it; writing it also acknowledges the interrupt.
        unsafe { mtc0!(COMPARE, start.wrapping_add(ahead)) };
        if count().wrapping_sub(start) < ahead {
            return;
        }
        ahead = ahead.saturating_mul(2);
    }
}

/// The shortest timer the hypervisor arms (about 12 µs).
const MIN_TIMER_TICKS: u32 = 2000;
