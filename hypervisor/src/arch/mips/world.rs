//! The world switch: entering a guest (host user mode, through `eret`) and
//! coming back when it traps. The guest's registers live in its VCPU's
//! `emulator::Cpu` (`gpr`, `hi`, `lo`, `pc` at the start of the `repr(C)`
//! struct, in the `TrapFrame` layout): `vcpu_enter` loads them from there
//! and the exception vectors (`exceptions.rs`, `guest_exit`) store them
//! straight back, so an exit copies no frame. `guest_exit` also notes
//! Cause, BadVAddr, LLAddr, the vector and Count in [`GUEST_EXIT`], then resumes
//! the hypervisor where [`enter`] was called.
//!
//! Host state across a guest run lives in `HOST_CONTEXT`: the callee-saved
//! registers, $gp, $sp, $ra, the hypervisor's Status, the address of
//! the guest's register file, and where the fast path mirrors its CP0
//! stores (the paravirtual page, `hypervisor::vm::paravirt`).

use emulator::{Cp0, Cpu};
use hypervisor::vm::memory::HostPhys;
use hypervisor::kernel::trap::{FRAME_EPC, FRAME_HI, FRAME_LO};

/// Callee-saved registers s0-s7, s8, gp, sp, ra, then Status, then the
/// guest's register file (`&mut Cpu`), then the host ASIDs of its kernel
/// and user views (for the fast path's mode changes), then the mirror's
/// address.
const HOST_WORDS: usize = 17;
/// Offset of the register-file pointer in `HOST_CONTEXT`.
pub const HOST_REGS: usize = 52;
/// Offsets of the kernel view's and the user view's host ASID.
pub const HOST_KERNEL_ASID: usize = 56;
pub const HOST_USER_ASID: usize = 60;
/// Offset of the address the fast path mirrors its CP0 stores at (in the
/// `Cp0` layout): the paravirtual page's, else the VCPU's own `Cp0`.
pub const HOST_MIRROR: usize = 64;

#[no_mangle]
static mut HOST_CONTEXT: [u32; HOST_WORDS] = [0; HOST_WORDS];

/// What the host saw at a guest's exit, written by `guest_exit`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GuestExit {
    pub cause: u32,
    pub badvaddr: u32,
    /// Offset of the vector taken (0x000, 0x180, 0x200; 0x480: SDBBP).
    pub vector: u32,
    /// Host Count once the registers were saved.
    pub count: u32,
    /// Host LLAddr (CP0 17: the physical address of the last `ll` >> 4).
    /// The `eret` that entered the guest left it 0, so a value other than
    /// 0 is the guest's own `ll` during this run.
    pub lladdr: u32,
    /// Privileged instructions the fast path (fast_exit.rs) finished
    /// during this run.
    pub fast: u32,
    /// Exceptions the fast path entered in the guest during this run.
    pub reflected: u32,
}

pub const EXIT_CAUSE: usize = core::mem::offset_of!(GuestExit, cause);
pub const EXIT_BADVADDR: usize = core::mem::offset_of!(GuestExit, badvaddr);
pub const EXIT_VECTOR: usize = core::mem::offset_of!(GuestExit, vector);
pub const EXIT_COUNT: usize = core::mem::offset_of!(GuestExit, count);
pub const EXIT_LLADDR: usize = core::mem::offset_of!(GuestExit, lladdr);
pub const EXIT_FAST: usize = core::mem::offset_of!(GuestExit, fast);
pub const EXIT_REFLECTED: usize = core::mem::offset_of!(GuestExit, reflected);

#[no_mangle]
static mut GUEST_EXIT: GuestExit = GuestExit { cause: 0, badvaddr: 0, vector: 0, count: 0, lladdr: 0, fast: 0, reflected: 0 };

// The assembly reads and writes the guest's registers in `Cpu` with the
// `TrapFrame` offsets.
const _: () = {
    assert!(core::mem::offset_of!(Cpu, gpr) == 0);
    assert!(core::mem::offset_of!(Cpu, hi) == FRAME_HI);
    assert!(core::mem::offset_of!(Cpu, lo) == FRAME_LO);
    assert!(core::mem::offset_of!(Cpu, pc) == FRAME_EPC);
};
cp0_global_asm!(
    r#"
# The guest's HI, LO and GPRs from the Cpu at a0 (k1 last: it is the base).
.macro load_guest
    lw    $t1, {hi}($a0)
    mthi  $t1
    lw    $t1, {lo}($a0)
    mtlo  $t1
    move  $k1, $a0
    lw    $26, 104($k1)
    lw    $1, 4($k1)
    lw    $2, 8($k1)
    lw    $3, 12($k1)
    lw    $4, 16($k1)
    lw    $5, 20($k1)
    lw    $6, 24($k1)
    lw    $7, 28($k1)
    lw    $8, 32($k1)
    lw    $9, 36($k1)
    lw    $10, 40($k1)
    lw    $11, 44($k1)
    lw    $12, 48($k1)
    lw    $13, 52($k1)
    lw    $14, 56($k1)
    lw    $15, 60($k1)
    lw    $16, 64($k1)
    lw    $17, 68($k1)
    lw    $18, 72($k1)
    lw    $19, 76($k1)
    lw    $20, 80($k1)
    lw    $21, 84($k1)
    lw    $22, 88($k1)
    lw    $23, 92($k1)
    lw    $24, 96($k1)
    lw    $25, 100($k1)
    lw    $28, 112($k1)
    lw    $29, 116($k1)
    lw    $30, 120($k1)
    lw    $31, 124($k1)
    lw    $27, 108($k1)
.endm

    .text
    .globl vcpu_enter
    .type vcpu_enter, @function
    .set push
    .set noreorder
    .set noat
# vcpu_enter(a0 = &mut Cpu (guest GPRs, HI, LO, PC), a1 = Status for the
# guest (KSU=user, EXL=1), a2 = the host ASID to enter with in bits 7:0,
# the kernel view's in 15:8, the user view's in 23:16, a3 = 0, or 1 + the
# guest address of a pending sc); returns when the guest exits
# (guest_exit), its registers back in *a0.
# With a3 != 0 the guest is entered with an LL reservation on that
# address: eret would clear it (QEMU), deret does not. So SDBBP into debug
# mode (__debug_exception comes back to vcpu_enter_debug), ll there with
# the guest's ASID (the caller installed the shadow), and deret to the
# guest with DEPC = its PC and Status as eret would leave it (EXL = 0).
vcpu_enter:
    lui   $t0, %hi(HOST_CONTEXT)
    addiu $t0, $t0, %lo(HOST_CONTEXT)
    sw    $s0, 0($t0)
    sw    $s1, 4($t0)
    sw    $s2, 8($t0)
    sw    $s3, 12($t0)
    sw    $s4, 16($t0)
    sw    $s5, 20($t0)
    sw    $s6, 24($t0)
    sw    $s7, 28($t0)
    sw    $s8, 32($t0)
    sw    $gp, 36($t0)
    sw    $sp, 40($t0)
    sw    $ra, 44($t0)
    mfc0  $t1, ${c0_status}, {c0_status_sel}
    sw    $t1, 48($t0)
    sw    $a0, {regs}($t0)
    lui   $t1, %hi(GUEST_EXIT + {fast})
    sw    $zero, %lo(GUEST_EXIT + {fast})($t1)
    lui   $t1, %hi(GUEST_EXIT + {reflected})
    sw    $zero, %lo(GUEST_EXIT + {reflected})($t1)
    srl   $t1, $a2, 8
    andi  $t2, $t1, 0xFF
    sw    $t2, {kernel_asid}($t0)
    srl   $t1, $t1, 8
    sw    $t1, {user_asid}($t0)
    andi  $a2, $a2, 0xFF
    mtc0  $a2, ${c0_entryhi}, {c0_entryhi_sel}
    bnez  $a3, 1f
    nop
    lw    $t1, {epc}($a0)
    mtc0  $t1, ${c0_epc}, {c0_epc_sel}
    mtc0  $a1, ${c0_status}, {c0_status_sel}
    ehb
    load_guest
    eret
1:  sdbbp
    .globl vcpu_enter_debug
vcpu_enter_debug:
    ehb
    ll    $t1, -1($a3)
    lw    $t1, {epc}($a0)
    mtc0  $t1, ${c0_depc}, {c0_depc_sel}
    li    $t1, {not_exl}
    and   $a1, $a1, $t1
    mtc0  $a1, ${c0_status}, {c0_status_sel}
    ehb
    load_guest
    deret
    .set pop

    .globl guest_exit
    .type guest_exit, @function
    .set push
    .set noreorder
    .set noat
# guest_exit: jumped to by exception_save for an exception from user mode
# (a guest), k0 = the vector's offset, the guest's k0 in DESAVE and k1 in
# DataLo. Saves the guest's registers into the Cpu vcpu_enter was given,
# notes the exit in GUEST_EXIT (LLAddr before any ll of the hypervisor's)
# and returns from vcpu_enter.
guest_exit:
    lui   $k1, %hi(GUEST_EXIT)
    addiu $k1, $k1, %lo(GUEST_EXIT)
    sw    $k0, {vector}($k1)
    mfc0  $k0, ${c0_cause}, {c0_cause_sel}
    sw    $k0, {cause}($k1)
    mfc0  $k0, ${c0_badvaddr}, {c0_badvaddr_sel}
    sw    $k0, {badvaddr}($k1)
    mfc0  $k0, ${c0_lladdr}, {c0_lladdr_sel}
    sw    $k0, {lladdr}($k1)
    lui   $k1, %hi(HOST_CONTEXT)
    lw    $k1, %lo(HOST_CONTEXT + {regs})($k1)
"#,
    save_registers!(),
    r#"
    lui   $t0, %hi(HOST_CONTEXT)
    addiu $t0, $t0, %lo(HOST_CONTEXT)
    lw    $t1, 48($t0)
    lui   $t2, %hi(GUEST_EXIT)
    mfc0  $t3, ${c0_count}, {c0_count_sel}
    sw    $t3, %lo(GUEST_EXIT + {count})($t2)
    mtc0  $t1, ${c0_status}, {c0_status_sel}
    ehb
    lw    $s0, 0($t0)
    lw    $s1, 4($t0)
    lw    $s2, 8($t0)
    lw    $s3, 12($t0)
    lw    $s4, 16($t0)
    lw    $s5, 20($t0)
    lw    $s6, 24($t0)
    lw    $s7, 28($t0)
    lw    $s8, 32($t0)
    lw    $gp, 36($t0)
    lw    $sp, 40($t0)
    lw    $ra, 44($t0)
    jr    $ra
    nop
    .set pop
"#;
    regs = const HOST_REGS,
    epc = const FRAME_EPC,
    hi = const FRAME_HI,
    lo = const FRAME_LO,
    vector = const EXIT_VECTOR,
    cause = const EXIT_CAUSE,
    badvaddr = const EXIT_BADVADDR,
    count = const EXIT_COUNT,
    lladdr = const EXIT_LLADDR,
    fast = const EXIT_FAST,
    reflected = const EXIT_REFLECTED,
    kernel_asid = const HOST_KERNEL_ASID,
    user_asid = const HOST_USER_ASID,
    not_exl = const !Cp0::STATUS_EXL as i32,
);

extern "C" {
    /// `cpu`: the start of an `emulator::Cpu` (its register file);
    /// `linked`: 0, or 1 + the guest address of its pending `sc`.
    fn vcpu_enter(cpu: *mut u32, status: u32, asids: u32, linked: u32);
}

/// Runs the guest whose registers are in `cpu` (`gpr`, `hi`, `lo`, `pc`)
/// with host Status `status` (user mode, EXL=1 so `eret` drops to it) and
/// host ASID `asid` (`views`: its kernel and user views' host ASIDs, which
/// the fast path switches between), until it traps. The guest's registers are then back
/// in `cpu` (`pc` = the host's EPC); returns what else the host saw.
/// With `linked_sc` (a word-aligned guest address whose shadow the caller
/// has just installed) the guest starts with an LL reservation on it.
/// `mirror`: the host frame of the VCPU's paravirtual page, if it has one.
/// Called with interrupts disabled.
pub fn enter(cpu: &mut Cpu, status: u32, asid: u8, views: [u8; 2], linked_sc: Option<u32>, mirror: Option<HostPhys>) -> GuestExit {
    const KSU_USER: u32 = emulator::view::Status(0).with_ksu(2).0;
    // The guest never gets CU0, BEV or kernel mode, whatever `status` says.
    let status = (status & !(Cp0::STATUS_CU0 | Cp0::STATUS_BEV | Cp0::STATUS_KSU | Cp0::STATUS_ERL)) | KSU_USER | Cp0::STATUS_EXL;
    let linked = linked_sc.map_or(0, |va| (va & !3) | 1);
    let asids = u32::from(asid) | u32::from(views[0]) << 8 | u32::from(views[1]) << 16;
    let mirror = match mirror {
        Some(page) => {
            super::guestmem::copy_cp0(page, &cpu.cp0);
            super::guestmem::kseg0(page.0)
        }
        None => core::ptr::addr_of!(cpu.cp0) as u32,
    };
    set_mirror(mirror);
    // SAFETY: vcpu_enter saves every register Rust expects preserved (and
    // Status) in HOST_CONTEXT, with the address of `cpu`, then runs the
    // guest in user mode, where it can only reach memory through host TLB
    // entries the hypervisor installed (inside its own allocation) and
    // cannot touch CP0. Its exceptions enter the vectors, which for user
    // mode jump to guest_exit: it writes the guest's registers into `cpu`
    // (offsets checked against `Cpu` above; `cpu` is exclusively borrowed
    // for the whole call) and GUEST_EXIT, restores that context and returns
    // here as from an ordinary call.
    // A linked entry also runs an `ll` in debug mode, in user space with
    // the guest's ASID, of an address the caller mapped with a shadow of
    // the guest's own RAM: it reads nothing else and cannot fault.
    // The fast path also stores CP0 values at `mirror`: `cpu.cp0`, or the
    // paravirtual page, one page of the guest's own RAM.
    unsafe { vcpu_enter(core::ptr::from_mut(cpu).cast::<u32>(), status, asids, linked) };
    // $zero's slot is never written by guest_exit; keep it 0 regardless.
    cpu.gpr[0] = 0;
    // SAFETY: GUEST_EXIT is written only by guest_exit, during the call
    // above, with interrupts disabled; nothing else runs meanwhile.
    unsafe { core::ptr::addr_of!(GUEST_EXIT).read() }
}

/// Where the fast path's CP0 stores are mirrored during the next run.
fn set_mirror(address: u32) {
    // SAFETY: HOST_CONTEXT is read by the exception vectors only while a
    // guest runs, never now (interrupts are disabled, no guest runs); the
    // slot is a plain word.
    unsafe { core::ptr::addr_of_mut!(HOST_CONTEXT[HOST_MIRROR / 4]).write(address) }
}
