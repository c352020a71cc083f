//! MIPS32r2 on QEMU Malta: entry point, CP0 access, exception vectors,
//! host TLB, UART and board control. Each `unsafe` block sits in the
//! smallest function that needs it.
//!
//! The assembly names CP0 registers by the spec, through
//! `cp0_global_asm!`: `mfc0 $k0, ${c0_epc}, {c0_epc_sel}`.

/// `global_asm!` with the CP0 registers the assembly names, by the spec:
/// `mfc0 $k0, ${c0_epc}, {c0_epc_sel}` (`Cp0Reg::EPC.rd` and `.sel`).
/// Templates first, then `;`, then the block's own operands. The list
/// is in one place; a comment line in the assembly uses every entry, so
/// a block need not use them all.
macro_rules! cp0_global_asm {
    ($($template:expr),+ ; $($operands:tt)*) => {
        core::arch::global_asm!(
            $($template,)+
            "# CP0 registers by the spec: BADVADDR ${c0_badvaddr},{c0_badvaddr_sel} CAUSE ${c0_cause},{c0_cause_sel} COUNT ${c0_count},{c0_count_sel} DATALO ${c0_datalo},{c0_datalo_sel} DEPC ${c0_depc},{c0_depc_sel} DESAVE ${c0_desave},{c0_desave_sel} ENTRYHI ${c0_entryhi},{c0_entryhi_sel} EPC ${c0_epc},{c0_epc_sel} LLADDR ${c0_lladdr},{c0_lladdr_sel} STATUS ${c0_status},{c0_status_sel}",
            $($operands)*
            c0_badvaddr = const emulator::Cp0Reg::BADVADDR.rd,
            c0_badvaddr_sel = const emulator::Cp0Reg::BADVADDR.sel,
            c0_cause = const emulator::Cp0Reg::CAUSE.rd,
            c0_cause_sel = const emulator::Cp0Reg::CAUSE.sel,
            c0_count = const emulator::Cp0Reg::COUNT.rd,
            c0_count_sel = const emulator::Cp0Reg::COUNT.sel,
            c0_datalo = const emulator::Cp0Reg::DATALO.rd,
            c0_datalo_sel = const emulator::Cp0Reg::DATALO.sel,
            c0_depc = const emulator::Cp0Reg::DEPC.rd,
            c0_depc_sel = const emulator::Cp0Reg::DEPC.sel,
            c0_desave = const emulator::Cp0Reg::DESAVE.rd,
            c0_desave_sel = const emulator::Cp0Reg::DESAVE.sel,
            c0_entryhi = const emulator::Cp0Reg::ENTRYHI.rd,
            c0_entryhi_sel = const emulator::Cp0Reg::ENTRYHI.sel,
            c0_epc = const emulator::Cp0Reg::EPC.rd,
            c0_epc_sel = const emulator::Cp0Reg::EPC.sel,
            c0_lladdr = const emulator::Cp0Reg::LLADDR.rd,
            c0_lladdr_sel = const emulator::Cp0Reg::LLADDR.sel,
            c0_status = const emulator::Cp0Reg::STATUS.rd,
            c0_status_sel = const emulator::Cp0Reg::STATUS.sel,
        );
    };
}

/// The one register save of an exception from any context, as assembly
/// for `global_asm!`: stores $1-$25, $28-$31, HI, LO, EPC and the k0/k1
/// the vector parked in DESAVE and DataLo into the frame at k1, laid out
/// as `TrapFrame` (register n at 4n; the block's `hi`, `lo` and `epc`
/// operands give the rest, and `c0_epc`, `c0_desave`, `c0_datalo` with
/// their `_sel`s). Uses k0.
macro_rules! save_registers {
    () => {
        "
    sw    $1, 4($k1)
    sw    $2, 8($k1)
    sw    $3, 12($k1)
    sw    $4, 16($k1)
    sw    $5, 20($k1)
    sw    $6, 24($k1)
    sw    $7, 28($k1)
    sw    $8, 32($k1)
    sw    $9, 36($k1)
    sw    $10, 40($k1)
    sw    $11, 44($k1)
    sw    $12, 48($k1)
    sw    $13, 52($k1)
    sw    $14, 56($k1)
    sw    $15, 60($k1)
    sw    $16, 64($k1)
    sw    $17, 68($k1)
    sw    $18, 72($k1)
    sw    $19, 76($k1)
    sw    $20, 80($k1)
    sw    $21, 84($k1)
    sw    $22, 88($k1)
    sw    $23, 92($k1)
    sw    $24, 96($k1)
    sw    $25, 100($k1)
    sw    $28, 112($k1)
    sw    $29, 116($k1)
    sw    $30, 120($k1)
    sw    $31, 124($k1)
    mfhi  $k0
    sw    $k0, {hi}($k1)
    mflo  $k0
    sw    $k0, {lo}($k1)
    mfc0  $k0, ${c0_epc}, {c0_epc_sel}
    sw    $k0, {epc}($k1)
    mfc0  $k0, ${c0_desave}, {c0_desave_sel}
    sw    $k0, 104($k1)
    mfc0  $k0, ${c0_datalo}, {c0_datalo_sel}
    sw    $k0, 108($k1)
"
    };
}

pub mod cp0;
pub mod exceptions;
pub mod fast_exit;
pub mod guestmem;
pub mod host;
pub mod i8259;
pub mod irq;
pub mod mmio;
pub mod once;
pub mod rtc;
pub mod thread;
pub mod timer;
pub mod tlb;
pub mod uart;
pub mod world;

use hypervisor::host::bootenv::{BOOT_BLOCK_BASE, BOOT_BLOCK_SIZE};
use hypervisor::mterm::Fault;

// Entry from QEMU's Malta boot code, with a0 = argc, a1 = argv, a2 = envp.
// Sets $gp and the stack, zeroes the BSS, fills the boot stack with the
// stack pattern (for `boot_stack_use`), then calls `kmain(a0, a1, a2)`.
core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
    .set push
    .set noreorder
_start:
    lui   $gp, %hi(_gp)
    addiu $gp, $gp, %lo(_gp)
    lui   $sp, %hi(__stack_top)
    addiu $sp, $sp, %lo(__stack_top)
    lui   $t0, %hi(__bss_start)
    addiu $t0, $t0, %lo(__bss_start)
    lui   $t1, %hi(__bss_end)
    addiu $t1, $t1, %lo(__bss_end)
1:  beq   $t0, $t1, 2f
    nop
    sw    $zero, 0($t0)
    b     1b
    addiu $t0, $t0, 4
2:  lui   $t0, %hi(__stack_bottom)
    addiu $t0, $t0, %lo(__stack_bottom)
    li    $t2, {pattern}
4:  beq   $t0, $sp, 5f
    nop
    sw    $t2, 0($t0)
    b     4b
    addiu $t0, $t0, 4
5:  jal   kmain
    addiu $sp, $sp, -16
3:  b     3b
    nop
    .set pop
"#,
    pattern = const hypervisor::kernel::stack::PATTERN,
);

/// The boot stack's high-water mark (boot runs on it until the first
/// thread starts; `_start` filled it with the stack pattern).
pub fn boot_stack_use() -> hypervisor::kernel::stack::StackUse {
    extern "C" {
        static __stack_bottom: u32;
        static __stack_top: u32;
    }
    let bottom = core::ptr::addr_of!(__stack_bottom);
    let size = core::ptr::addr_of!(__stack_top) as usize - bottom as usize;
    let words = (0..size / 4).map(|i| {
        // SAFETY: reads one word of the boot stack (link.ld), inside it.
        unsafe { bottom.add(i).read_volatile() }
    });
    hypervisor::kernel::stack::StackUse { used: hypervisor::kernel::stack::high_water(words, size), size }
}

/// Malta FPGA software-reset register (physical 0x1F000500), through KSEG1.
const SOFTWARE_RESET: usize = 0xBF00_0500;
/// The value that triggers a board reset; QEMU with `-no-reboot` then exits.
const SOFTWARE_RESET_MAGIC: u32 = 0x42;

/// Stops the machine: waits for the UART to drain, then resets the board,
/// which makes QEMU (run with `-no-reboot`) exit with status 0.
pub fn halt() -> ! {
    let _guard = irq::disable();
    uart::flush();
    // SAFETY: SOFTWARE_RESET is the Malta FPGA's reset register, an MMIO
    // word in uncached KSEG1 that is always mapped; writing it has no effect
    // on memory Rust knows about.
    unsafe { core::ptr::write_volatile(SOFTWARE_RESET as *mut u32, SOFTWARE_RESET_MAGIC) };
    loop {
        // SAFETY: `wait` only idles the CPU until an interrupt.
        unsafe { core::arch::asm!("wait", options(nomem, nostack)) };
    }
}

/// Waits for an interrupt (WAIT). With interrupts enabled, the interrupt
/// is taken before the next instruction.
pub fn wait_for_interrupt() {
    // SAFETY: `wait` only idles the CPU until an interrupt.
    unsafe { core::arch::asm!("wait", options(nomem, nostack)) };
}

/// The boot block QEMU's Malta `-kernel` loader wrote (argv, envp, strings).
pub fn boot_block() -> &'static [u8] {
    // SAFETY: physical 0x2000..0x3040 is RAM below the image (which starts at
    // 0x80100000) that nothing writes after boot; it is always mapped through
    // KSEG0, and the slice is only read.
    unsafe { core::slice::from_raw_parts(BOOT_BLOCK_BASE as *const u8, BOOT_BLOCK_SIZE) }
}

/// Puts 0x5a000010..0x5a000017 in s0..s7, so the exception report shows
/// each register landed in its own slot of the frame.
macro_rules! set_markers {
    () => {
        "lui $16, 0x5a00; ori $16, $16, 0x10
         lui $17, 0x5a00; ori $17, $17, 0x11
         lui $18, 0x5a00; ori $18, $18, 0x12
         lui $19, 0x5a00; ori $19, $19, 0x13
         lui $20, 0x5a00; ori $20, $20, 0x14
         lui $21, 0x5a00; ori $21, $21, 0x15
         lui $22, 0x5a00; ori $22, $22, 0x16
         lui $23, 0x5a00; ori $23, $23, 0x17"
    };
}

/// Raises a host exception on purpose (mterm's `fault`); the exception
/// handler reports it and halts.
pub fn raise(fault: Fault) -> ! {
    // In each arm: the marked registers are declared clobbered, the last
    // instruction faults, and the exception handler never returns, so no
    // Rust state is observed afterwards.
    match fault {
        // SAFETY: see above; the load from 0 faults before it reads anything.
        Fault::Tlb => unsafe {
            core::arch::asm!(
                set_markers!(), "lw $8, 0($0)",
                out("$8") _, out("$16") _, out("$17") _, out("$18") _, out("$19") _,
                out("$20") _, out("$21") _, out("$22") _, out("$23") _, options(nostack)
            )
        },
        // SAFETY: see above; `break` only traps.
        Fault::Break => unsafe {
            core::arch::asm!(
                set_markers!(), "break",
                out("$16") _, out("$17") _, out("$18") _, out("$19") _,
                out("$20") _, out("$21") _, out("$22") _, out("$23") _, options(nostack)
            )
        },
        // SAFETY: see above; the misaligned load faults before it reads.
        Fault::Align => unsafe {
            core::arch::asm!(
                set_markers!(), "lui $8, 0x8000", "lw $8, 1($8)",
                out("$8") _, out("$16") _, out("$17") _, out("$18") _, out("$19") _,
                out("$20") _, out("$21") _, out("$22") _, out("$23") _, options(nostack)
            )
        },
    }
    halt()
}
