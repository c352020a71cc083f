//! The exit fast path: the general vector finishes the commonest trapped
//! CP0 instructions of a guest by itself and returns to it, saving only
//! the three registers it works with. What it takes and why that is the
//! emulator's result is `hypervisor::vm::fast_exit` (host-tested, with the
//! tables read here); anything else goes on to `guest_exit` (world.rs)
//! untouched.
//!
//! Entered from `exception_save` for an exception from host user mode,
//! k0 = the vector's offset, the guest's k0 in DESAVE and k1 in DataLo.
//! The guest's registers are live. Conditions, in order: the general
//! vector; Cause = coprocessor unusable with CE = 0 and BD = 0; host LLAddr
//! 0 (no `ll` of the guest in this run: the full exit keeps reservations);
//! EPC word-aligned (not MIPS16 code). The word is loaded from EPC: the CPU fetched it a moment ago through the
//! same host TLB entry (same address, same ASID, EXL changes no mapping of
//! useg), so the load cannot miss. Then t0-t2 go to their slots in the
//! VCPU's `Cpu` (its address is in HOST_CONTEXT), and the guest's Status
//! decides whether CP0 is usable in its mode.
//!
//! In paravirtual mode (`hypervisor::vm::paravirt`) the guest's Status
//! may be in its page and not yet in `Cpu`: the path takes an exit only
//! when the two agree, leaves the words the full exit rewrites (in guest
//! kernel mode: mfc0, mtc0 Status, di, cache) to it, and mirrors each CP0
//! store it makes at HOST_MIRROR (without a paravirtual page that is the
//! `Cp0` itself).
//!
//! GPR `rt` is reached through two jump tables of 32 two-instruction
//! entries: the live register, the saved slot (t0-t2), DESAVE (k0) or
//! DataLo (k1).
use super::world::{EXIT_FAST, EXIT_REFLECTED, HOST_KERNEL_ASID, HOST_MIRROR, HOST_REGS, HOST_USER_ASID};
use emulator::{Cp0, Cp0Reg, Cpu, ExcCode};
use hypervisor::vm::fast_exit::{CP0_FAST, CP0_FAST_MASK, INDEX, KEY_SEL_BITS, READ, STATUS_FAST_BITS, STATUS_KEY, WRITE};
use isa_spec::fields::{RD, RT, SEL};
use isa_spec::patterns::{CACHE, DI, EI, ERET, MFC0, MTC0};

const CP0: usize = core::mem::offset_of!(Cpu, cp0);
const fn field(reg: Cp0Reg) -> usize {
    match Cp0::offset(reg) {
        Some(offset) => CP0 + offset,
        None => panic!("a CP0 register the spec lists"),
    }
}
const STATUS: usize = field(Cp0Reg::STATUS);
const CAUSE: usize = field(Cp0Reg::CAUSE);
const EPC: usize = field(Cp0Reg::EPC);
const EBASE: usize = field(Cp0Reg::EBASE);
/// Offsets in the mirror (the `Cp0` layout; Status's is the paravirtual
/// page's).
const M_STATUS: usize = hypervisor::vm::paravirt::STATUS_OFFSET as usize;
const M_CAUSE: usize = CAUSE - CP0;
const M_EPC: usize = EPC - CP0;

/// An ExcCode in Cause's field.
const fn code(code: ExcCode) -> u32 {
    emulator::view::Cause(0).with_exccode(code as u32).0
}
/// Cause bits that must read CpU, CE = 0, BD = 0.
const CAUSE_CHECK: u32 = Cp0::CAUSE_BD | Cp0::CAUSE_CE | Cp0::CAUSE_EXCCODE;
const CAUSE_CPU: u32 = code(ExcCode::CpU);

/// `cp0_key`: rd * 8 + sel is the word shifted right by RD_TO_KEY under
/// RD_IN_KEY, or'ed with the word's SEL bits (which start at bit 0).
const RD_TO_KEY: u32 = RD.shift - KEY_SEL_BITS;
const RD_IN_KEY: u32 = RD.mask() >> RD_TO_KEY;
/// A jump-table entry is two instructions: rt's is at rt << GPR_ENTRY_SHIFT,
/// the word shifted right by RT_TO_ENTRY under RT_IN_ENTRY (`rt_entry`).
const GPR_ENTRY_SHIFT: u32 = 3;
const RT_TO_ENTRY: u32 = RT.shift - GPR_ENTRY_SHIFT;
const RT_IN_ENTRY: u32 = RT.mask() >> RT_TO_ENTRY;

// The shapes the assembly relies on.
const _: () = {
    assert!(MFC0.mask == MTC0.mask && DI.mask == EI.mask);
    // The shifts and `andi` masks of cp0_key and rt_entry.
    assert!(SEL.shift == 0 && RD.shift >= KEY_SEL_BITS && RT.shift >= GPR_ENTRY_SHIFT);
    assert!(RD_IN_KEY <= 0xFFFF && SEL.mask() <= 0xFFFF && RT_IN_ENTRY <= 0xFFFF);
    assert!(STATUS_FAST_BITS <= 0xFFFF && Cp0::STATUS_KSU <= 0xFFFF && Cp0::STATUS_EXL <= 0xFFFF);
    assert!(Cp0::STATUS_ERL <= 0xFFFF && Cp0::STATUS_IE <= 0xFFFF && Cp0::STATUS_IM <= 0xFFFF);
    assert!(Cp0::STATUS_CU0 & 0xFFFF == 0 && CAUSE_CPU <= 0xFFFF);
    assert!(STATUS < 0x8000 && CAUSE < 0x8000 && CP0 < 0x8000 && EPC < 0x8000 && EBASE < 0x8000);
    assert!(Cp0::CAUSE_EXCCODE <= 0xFFFF && Cp0::CAUSE_BD & 0xFFFF == 0 && Cp0::STATUS_BEV & 0xFFFF == 0);
    // The exceptions reflected are the ones vm::fast_exit models, in order.
    let r = hypervisor::vm::fast_exit::REFLECTED;
    assert!(r[0].0 as u32 == ExcCode::Sys as u32 && r[1].0 as u32 == ExcCode::Bp as u32 && r[2].0 as u32 == ExcCode::Tr as u32);
    // t0-t2 are GPRs 8-10, saved at 4 * n in Cpu.
    assert!(core::mem::offset_of!(Cpu, gpr) == 0);
};

const fn hi(value: u32) -> u32 {
    value >> 16
}
const fn lo(value: u32) -> u32 {
    value & 0xFFFF
}

cp0_global_asm!(
    r#"
    .text
    .globl guest_fast
    .type guest_fast, @function
    .set push
    .set noreorder
    .set noat
# t1 = rd * 8 + sel of the mfc0/mtc0 word in k0 (t2 clobbered).
.macro cp0_key
    srl   $t1, $k0, {rd_to_key}
    andi  $t1, $t1, {rd_in_key}
    andi  $t2, $k0, {sel}
    or    $t1, $t1, $t2
.endm
# k1 = the VCPU's Cpu; t0-t2 into their slots there.
.macro save_scratch
    lui   $k1, %hi(HOST_CONTEXT + {regs})
    lw    $k1, %lo(HOST_CONTEXT + {regs})($k1)
    sw    $t0, 32($k1)
    sw    $t1, 36($k1)
    sw    $t2, 40($k1)
.endm
# t0-t2 back from their slots (k1 = the Cpu).
.macro restore_scratch
    lw    $t0, 32($k1)
    lw    $t1, 36($k1)
    lw    $t2, 40($k1)
.endm
# One more in GUEST_EXIT's counter at `offset` (t1, t2 clobbered).
.macro count offset
    lui   $t1, %hi(GUEST_EXIT + \offset)
    lw    $t2, %lo(GUEST_EXIT + \offset)($t1)
    addiu $t2, $t2, 1
    sw    $t2, %lo(GUEST_EXIT + \offset)($t1)
.endm
# To the full exit (7f) when Status `status` takes an interrupt Cause
# shows pending (vm::fast_exit::takes_interrupt); `scratch` clobbered.
.macro refuse_if_pending status, scratch
    andi  \scratch, \status, {ie}
    beqz  \scratch, 1f
    lw    \scratch, {cause}($k1)
    and   \scratch, \scratch, \status
    andi  \scratch, \scratch, {im}
    bnez  \scratch, 7f
    nop
1:
.endm
# `value` also into the mirror at `offset` (HOST_MIRROR; `scratch`
# clobbered).
.macro mirror value, offset, scratch
    lui   \scratch, %hi(HOST_CONTEXT + {mirror})
    lw    \scratch, %lo(HOST_CONTEXT + {mirror})(\scratch)
    sw    \value, \offset(\scratch)
.endm
# To the full exit (7f) unless the mirror's Status is `status` (the
# guest's rewritten code stored none since the last exit; `scratch`
# clobbered).
.macro refuse_if_stored status, scratch
    lui   \scratch, %hi(HOST_CONTEXT + {mirror})
    lw    \scratch, %lo(HOST_CONTEXT + {mirror})(\scratch)
    lw    \scratch, {m_status}(\scratch)
    bne   \scratch, \status, 7f
    nop
.endm
# To `label` when the word in k0 under the mask is the value (each given
# as its halves); t1 = the word under the mask, t2 clobbered.
.macro to_if_word mask_hi, mask_lo, value_hi, value_lo, label
    lui   $t1, \mask_hi
    ori   $t1, $t1, \mask_lo
    and   $t1, $t1, $k0
    lui   $t2, \value_hi
    ori   $t2, $t2, \value_lo
    beq   $t1, $t2, \label
    nop
.endm
# t1 = the offset of rt's jump-table entry (rt * 8) for the word in k0.
.macro rt_entry
    srl   $t1, $k0, {rt_to_entry}
    andi  $t1, $t1, {rt_in_entry}
.endm
guest_fast:
    xori  $k0, $k0, 0x180
    bnez  $k0, 8f
    mfc0  $k1, ${c0_cause}, {c0_cause_sel}
    lui   $k0, {cause_check_hi}
    ori   $k0, $k0, {cause_check_lo}
    and   $k1, $k1, $k0
    xori  $k1, $k1, {cause_cpu}
    bnez  $k1, 10f
    mfc0  $k1, ${c0_lladdr}, {c0_lladdr_sel}
    bnez  $k1, 9f
    mfc0  $k0, ${c0_epc}, {c0_epc_sel}
    andi  $k1, $k0, 3
    bnez  $k1, 9f
    nop
    lw    $k0, 0($k0)
    save_scratch
    # CP0 usable: KSU = 0, or EXL or ERL, or CU0 (t0 = the guest's Status).
    lw    $t0, {status}($k1)
    # The paravirtual mode (the mirror is not this Cpu's Cp0) has its
    # own checks first (12f).
    lui   $t1, %hi(HOST_CONTEXT + {mirror})
    lw    $t1, %lo(HOST_CONTEXT + {mirror})($t1)
    subu  $t2, $t1, $k1
    xori  $t2, $t2, {cp0}
    bnez  $t2, 12f
    nop
fast_usable:
    andi  $t1, $t0, {ksu}
    beqz  $t1, 1f
    andi  $t1, $t0, {exl_erl}
    bnez  $t1, 1f
    lui   $t1, {cu0_hi}
    and   $t1, $t1, $t0
    beqz  $t1, 7f
    nop
1:  # mfc0 / mtc0 (one mask), k0 = the word.
    lui   $t1, {move_mask_hi}
    ori   $t1, $t1, {move_mask_lo}
    and   $t1, $t1, $k0
    lui   $t2, {mfc0_hi}
    ori   $t2, $t2, {mfc0_lo}
    beq   $t1, $t2, 2f
    lui   $t2, {mtc0_hi}
    ori   $t2, $t2, {mtc0_lo}
    beq   $t1, $t2, 3f
    lui   $t1, {mfmc0_mask_hi}
    # di / ei (one mask).
    ori   $t1, $t1, {mfmc0_mask_lo}
    and   $t1, $t1, $k0
    lui   $t2, {di_hi}
    ori   $t2, $t2, {di_lo}
    beq   $t1, $t2, 5f
    lui   $t2, {ei_hi}
    ori   $t2, $t2, {ei_lo}
    beq   $t1, $t2, 6f
    lui   $t1, {cache_mask_hi}
    # cache: nothing to do.
    and   $t1, $t1, $k0
    lui   $t2, {cache_hi}
    beq   $t1, $t2, fast_done
    lui   $t1, {eret_mask_hi}
    # eret: from EXL, not ERL, not in debug mode, to an aligned EPC.
    ori   $t1, $t1, {eret_mask_lo}
    and   $t1, $t1, $k0
    lui   $t2, {eret_hi}
    ori   $t2, $t2, {eret_lo}
    bne   $t1, $t2, 7f
    andi  $t1, $t0, {exl_erl}
    xori  $t1, $t1, {exl}
    bnez  $t1, 7f
    lbu   $t1, {debug_mode}($k1)
    bnez  $t1, 7f
    lw    $t2, {epc}($k1)
    andi  $t1, $t2, 3
    bnez  $t1, 7f
    xori  $t0, $t0, {exl}
    # No pending interrupt may become enabled (t0 = Status after).
    refuse_if_pending $t0, $t1
    sw    $t0, {status}($k1)
    mirror $t0, {m_status}, $t1
    ori   $t1, $zero, 1
    sw    $t1, {lladdr}($k1)
    sw    $t1, {cp0_lladdr}($k1)
    mtc0  $t2, ${c0_epc}, {c0_epc_sel}
    # The host ASID of the view the guest returns to: kernel if KSU = 0.
    andi  $t1, $t0, {ksu}
    lui   $t2, %hi(HOST_CONTEXT)
    addiu $t2, $t2, %lo(HOST_CONTEXT)
    beqz  $t1, 1f
    lw    $t0, {kernel_asid}($t2)
    lw    $t0, {user_asid}($t2)
1:  mtc0  $t0, ${c0_entryhi}, {c0_entryhi_sel}
    b     fast_counted
    nop

2:  # mfc0: t0 = the field, then to rt.
    cp0_key
    lui   $t2, %hi({fast_table})
    addu  $t2, $t2, $t1
    lbu   $t1, %lo({fast_table})($t2)
    andi  $t2, $t1, {read}
    beqz  $t2, 7f
    andi  $t1, $t1, {index}
    sll   $t1, $t1, 2
    addu  $t1, $t1, $k1
    b     fast_set_rt
    lw    $t0, {cp0}($t1)

3:  # mtc0: t0 = rt, then the checks and the store.
    rt_entry
    lui   $t2, %hi(fast_get_gpr)
    addiu $t2, $t2, %lo(fast_get_gpr)
    addu  $t2, $t2, $t1
    jr    $t2
    nop
fast_have_rt:
    cp0_key
    xori  $t2, $t1, {status_key}
    beqz  $t2, 4f
    lui   $t2, %hi({fast_table})
    addu  $t2, $t2, $t1
    lbu   $t1, %lo({fast_table})($t2)
    andi  $t2, $t1, {write}
    beqz  $t2, 7f
    andi  $t1, $t1, {index}
    sll   $t1, $t1, 2
    lui   $t2, %hi({fast_mask})
    addu  $t2, $t2, $t1
    lw    $k0, %lo({fast_mask})($t2)
    addu  $t1, $t1, $k1
    lw    $t2, {cp0}($t1)
    xor   $t0, $t0, $t2
    and   $t0, $t0, $k0
    xor   $t0, $t0, $t2
    sw    $t0, {cp0}($t1)
    # The mirror's word: at the same offset from HOST_MIRROR.
    subu  $t1, $t1, $k1
    lui   $t2, %hi(HOST_CONTEXT + {mirror})
    lw    $t2, %lo(HOST_CONTEXT + {mirror})($t2)
    addu  $t1, $t1, $t2
    b     fast_done
    sw    $t0, 0($t1)

4:  # mtc0 Status: the spec's mask, then only IE/IM may change and no
    # pending interrupt may become enabled.
    lw    $t2, {status}($k1)
    lui   $k0, {status_mask_hi}
    ori   $k0, $k0, {status_mask_lo}
    xor   $t0, $t0, $t2
    and   $t0, $t0, $k0
    xor   $t0, $t0, $t2
    xor   $k0, $t0, $t2
    ori   $k0, $k0, {status_fast}
    xori  $k0, $k0, {status_fast}
    bnez  $k0, 7f
    nop
    refuse_if_pending $t0, $k0
    sw    $t0, {status}($k1)
    mirror $t0, {m_status}, $k0
    b     fast_done
    nop

5:  # di: rt = Status, IE = 0.
    ori   $t1, $t0, {ie}
    xori  $t1, $t1, {ie}
    sw    $t1, {status}($k1)
    mirror $t1, {m_status}, $t2
    b     fast_set_rt
    nop

6:  # ei: rt = Status, IE = 1, unless that takes a pending interrupt.
    ori   $t1, $t0, {ie}
    refuse_if_pending $t1, $t2
    sw    $t1, {status}($k1)
    mirror $t1, {m_status}, $t2
    b     fast_set_rt
    nop

fast_set_rt:
    # t0 to GPR rt (k0 = the word).
    rt_entry
    lui   $t2, %hi(fast_set_gpr)
    addiu $t2, $t2, %lo(fast_set_gpr)
    addu  $t2, $t2, $t1
    jr    $t2
    nop

fast_done:
    # PC steps over the word; one more fast exit; back to the guest.
    mfc0  $t0, ${c0_epc}, {c0_epc_sel}
    addiu $t0, $t0, 4
    mtc0  $t0, ${c0_epc}, {c0_epc_sel}
fast_counted:
    count {fast}
fast_return:
    restore_scratch
    mfc0  $k0, ${c0_desave}, {c0_desave_sel}
    mfc0  $k1, ${c0_datalo}, {c0_datalo_sel}
    ehb
    eret

10: # syscall, break or trap: entered in the guest (vm::fast_exit::reflect).
    mfc0  $k1, ${c0_cause}, {c0_cause_sel}
    andi  $k1, $k1, {exccode}
    xori  $k0, $k1, {sys}
    beqz  $k0, 11f
    xori  $k0, $k1, {bp}
    beqz  $k0, 11f
    xori  $k0, $k1, {tr}
    bnez  $k0, 9f
11: mfc0  $k1, ${c0_lladdr}, {c0_lladdr_sel}
    bnez  $k1, 9f
    mfc0  $k0, ${c0_epc}, {c0_epc_sel}
    andi  $k1, $k0, 1
    bnez  $k1, 9f
    save_scratch
    # The guest at EXL = 0, BEV = 0, not in debug mode (t0 = its Status).
    lw    $t0, {status}($k1)
    refuse_if_stored $t0, $t1
    andi  $t1, $t0, {exl}
    bnez  $t1, 7f
    lui   $t1, {bev_hi}
    and   $t1, $t1, $t0
    bnez  $t1, 7f
    lbu   $t1, {debug_mode}($k1)
    bnez  $t1, 7f
    # EPC, Status.EXL, Cause.BD and ExcCode as the host's.
    sw    $k0, {epc}($k1)
    mirror $k0, {m_epc}, $t1
    ori   $t0, $t0, {exl}
    sw    $t0, {status}($k1)
    mirror $t0, {m_status}, $t1
    mfc0  $t1, ${c0_cause}, {c0_cause_sel}
    lui   $t2, {bd_hi}
    ori   $t2, $t2, {exccode}
    and   $t1, $t1, $t2
    lw    $t0, {cause}($k1)
    or    $t0, $t0, $t2
    xor   $t0, $t0, $t2
    or    $t0, $t0, $t1
    sw    $t0, {cause}($k1)
    mirror $t0, {m_cause}, $t1
    # PC = EBase + 0x180, in the kernel view.
    lw    $t0, {ebase}($k1)
    srl   $t0, $t0, 12
    sll   $t0, $t0, 12
    addiu $t0, $t0, 0x180
    mtc0  $t0, ${c0_epc}, {c0_epc_sel}
    lui   $t2, %hi(HOST_CONTEXT)
    addiu $t2, $t2, %lo(HOST_CONTEXT)
    lw    $t0, {kernel_asid}($t2)
    mtc0  $t0, ${c0_entryhi}, {c0_entryhi_sel}
    count {reflected}
    b     fast_return
    nop

12: # Paravirtual mode (t1 = the mirror): its Status must be the guest's.
    lw    $t1, {m_status}($t1)
    bne   $t1, $t0, 7f
    # In kernel mode by Status, mfc0, mtc0 Status, di and cache go to
    # the full exit, which rewrites them (vm::paravirt).
    andi  $t1, $t0, {ksu}
    beqz  $t1, 13f
    andi  $t1, $t0, {exl_erl}
    beqz  $t1, fast_usable
    nop
13: to_if_word {move_mask_hi}, {move_mask_lo}, {mfc0_hi}, {mfc0_lo}, 7f
    # mtc0 (t1: the word under the same mask): Status only.
    lui   $t2, {mtc0_hi}
    ori   $t2, $t2, {mtc0_lo}
    bne   $t1, $t2, 14f
    nop
    cp0_key
    xori  $t1, $t1, {status_key}
    beqz  $t1, 7f
    nop
    b     fast_usable
    nop
14: to_if_word {mfmc0_mask_hi}, {mfmc0_mask_lo}, {di_hi}, {di_lo}, 7f
    to_if_word {cache_mask_hi}, 0, {cache_hi}, 0, 7f
    b     fast_usable
    nop

    # Not the fast path's: the full exit, with k0 = the vector again.
7:  restore_scratch
9:  j     guest_exit
    ori   $k0, $zero, 0x180
8:  j     guest_exit
    xori  $k0, $k0, 0x180

    # GPR n to t0: entry n (8 bytes).
fast_get_gpr:
    b     fast_have_rt
    move  $t0, $zero
    .irp n, 1, 2, 3, 4, 5, 6, 7
    b     fast_have_rt
    move  $t0, $\n
    .endr
    .irp n, 8, 9, 10
    b     fast_have_rt
    lw    $t0, 4 * \n($k1)
    .endr
    .irp n, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25
    b     fast_have_rt
    move  $t0, $\n
    .endr
    b     fast_have_rt
    mfc0  $t0, ${c0_desave}, {c0_desave_sel}
    b     fast_have_rt
    mfc0  $t0, ${c0_datalo}, {c0_datalo_sel}
    .irp n, 28, 29, 30, 31
    b     fast_have_rt
    move  $t0, $\n
    .endr
    # 32 entries of 8 bytes (.org fails if there are more).
    .org fast_get_gpr + {gpr_table}

    # t0 to GPR n: entry n (8 bytes); t0-t2 through their slots, k0 and
    # k1 through DESAVE and DataLo (fast_done restores them all).
fast_set_gpr:
    b     fast_done
    nop
    .irp n, 1, 2, 3, 4, 5, 6, 7
    b     fast_done
    move  $\n, $t0
    .endr
    .irp n, 8, 9, 10
    b     fast_done
    sw    $t0, 4 * \n($k1)
    .endr
    .irp n, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25
    b     fast_done
    move  $\n, $t0
    .endr
    b     fast_done
    mtc0  $t0, ${c0_desave}, {c0_desave_sel}
    b     fast_done
    mtc0  $t0, ${c0_datalo}, {c0_datalo_sel}
    .irp n, 28, 29, 30, 31
    b     fast_done
    move  $\n, $t0
    .endr
    # 32 entries of 8 bytes (.org fails if there are more).
    .org fast_set_gpr + {gpr_table}
    .set pop
"#;
    regs = const HOST_REGS,
    fast = const EXIT_FAST,
    reflected = const EXIT_REFLECTED,
    kernel_asid = const HOST_KERNEL_ASID,
    user_asid = const HOST_USER_ASID,
    mirror = const HOST_MIRROR,
    m_status = const M_STATUS,
    m_cause = const M_CAUSE,
    m_epc = const M_EPC,
    exl = const Cp0::STATUS_EXL,
    bev_hi = const hi(Cp0::STATUS_BEV),
    bd_hi = const hi(Cp0::CAUSE_BD),
    exccode = const Cp0::CAUSE_EXCCODE,
    sys = const code(ExcCode::Sys),
    bp = const code(ExcCode::Bp),
    tr = const code(ExcCode::Tr),
    epc = const EPC,
    ebase = const EBASE,
    lladdr = const core::mem::offset_of!(Cpu, lladdr),
    cp0_lladdr = const field(Cp0Reg::LLADDR),
    debug_mode = const core::mem::offset_of!(Cpu, debug_mode),
    eret_mask_hi = const hi(ERET.mask),
    eret_mask_lo = const lo(ERET.mask),
    eret_hi = const hi(ERET.value),
    eret_lo = const lo(ERET.value),
    cause_check_hi = const hi(CAUSE_CHECK),
    cause_check_lo = const lo(CAUSE_CHECK),
    cause_cpu = const CAUSE_CPU,
    status = const STATUS,
    cause = const CAUSE,
    cp0 = const CP0,
    ksu = const Cp0::STATUS_KSU,
    exl_erl = const Cp0::STATUS_EXL | Cp0::STATUS_ERL,
    cu0_hi = const hi(Cp0::STATUS_CU0),
    ie = const Cp0::STATUS_IE,
    im = const Cp0::STATUS_IM,
    status_fast = const STATUS_FAST_BITS,
    status_mask_hi = const hi(Cp0::write_mask(Cp0Reg::STATUS)),
    status_mask_lo = const lo(Cp0::write_mask(Cp0Reg::STATUS)),
    status_key = const STATUS_KEY,
    move_mask_hi = const hi(MFC0.mask),
    move_mask_lo = const lo(MFC0.mask),
    mfc0_hi = const hi(MFC0.value),
    mfc0_lo = const lo(MFC0.value),
    mtc0_hi = const hi(MTC0.value),
    mtc0_lo = const lo(MTC0.value),
    mfmc0_mask_hi = const hi(DI.mask),
    mfmc0_mask_lo = const lo(DI.mask),
    di_hi = const hi(DI.value),
    di_lo = const lo(DI.value),
    ei_hi = const hi(EI.value),
    ei_lo = const lo(EI.value),
    cache_mask_hi = const hi(CACHE.mask),
    cache_hi = const hi(CACHE.value),
    read = const READ,
    write = const WRITE,
    index = const INDEX,
    rd_to_key = const RD_TO_KEY,
    rd_in_key = const RD_IN_KEY,
    sel = const SEL.mask(),
    rt_to_entry = const RT_TO_ENTRY,
    rt_in_entry = const RT_IN_ENTRY,
    gpr_table = const (1u32 << RT.width) << GPR_ENTRY_SHIFT,
    fast_table = sym CP0_FAST,
    fast_mask = sym CP0_FAST_MASK,
);

// `cache`'s pattern is all in the upper half (one `lui` compares it).
const _: () = assert!(lo(CACHE.mask) == 0 && lo(CACHE.value) == 0);
