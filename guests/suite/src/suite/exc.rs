//! Every exception the suite can provoke in kernel mode: ExcCode, vector,
//! EPC, Cause.BD (also from a delay slot), BadVAddr, Cause.CE, and what
//! happens while Status.EXL is already set. Also ERET's two paths and its
//! effect on LL/SC.
use super::rt::{self, mfc0, mtc0, provoke, Provoked};
use super::{code, eq, expect, no_trap, trapped, vec, yes, Case, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "exc.syscall", run: syscall },
    Case { name: "exc.break", run: break_ },
    Case { name: "exc.trap_register_forms", run: trap_register },
    Case { name: "exc.trap_register_not_taken", run: trap_register_not_taken },
    Case { name: "exc.trap_immediate_forms", run: trap_immediate },
    Case { name: "exc.overflow_add", run: overflow_add },
    Case { name: "exc.overflow_addi", run: overflow_addi },
    Case { name: "exc.overflow_sub", run: overflow_sub },
    Case { name: "exc.no_overflow_addu_subu", run: no_overflow_unsigned },
    Case { name: "exc.reserved_instruction", run: reserved },
    Case { name: "exc.reserved_cop0_encodings", run: reserved_cop0 },
    Case { name: "exc.deret_outside_debug_ri", run: deret_ri },
    Case { name: "exc.adel_unaligned_lw", run: adel_lw },
    Case { name: "exc.adel_unaligned_lh", run: adel_lh },
    Case { name: "exc.ades_unaligned_sw", run: ades_sw },
    Case { name: "exc.ades_unaligned_sh", run: ades_sh },
    Case { name: "exc.adel_fetch", run: adel_fetch },
    Case { name: "exc.cpu_cop1_disabled", run: cpu_cop1 },
    Case { name: "exc.delay_slot_sets_bd", run: delay_slot_bd },
    Case { name: "exc.delay_slot_of_jr", run: delay_slot_jr },
    Case { name: "exc.adel_in_delay_slot", run: adel_delay_slot },
    Case { name: "exc.overflow_in_likely_delay_slot", run: overflow_likely_slot },
    Case { name: "exc.exl_set_keeps_epc", run: exl_keeps_epc },
    Case { name: "exc.status_exl_on_entry", run: exl_on_entry },
    Case { name: "exc.iv_does_not_move_exceptions", run: iv_general },
    Case { name: "eret.epc_path", run: eret_epc },
    Case { name: "eret.errorepc_path", run: eret_errorepc },
    Case { name: "eret.ll_sc_succeeds", run: ll_sc },
    Case { name: "eret.ll_cp0_sc_succeeds", run: ll_cp0_sc },
    Case { name: "eret.ll_sc_retry_loop_with_cp0", run: ll_sc_retry_loop },
    Case { name: "eret.ll_sets_lladdr", run: ll_sets_lladdr },
    Case { name: "eret.clears_ll", run: eret_clears_ll },
];

/// A word of scratch memory for the LL/SC cases.
static mut LL_WORD: u32 = 0;

fn syscall() -> Outcome {
    let (at, trap) = provoke!(["syscall", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("EPC = the syscall", trap.epc, at)?;
    yes("Cause.BD clear", !trap.bd())
}

fn break_() -> Outcome {
    let (at, trap) = provoke!(["break", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::BP)?;
    eq("EPC = the break", trap.epc, at)
}

fn trap_register() -> Outcome {
    let cases: [fn(u32, u32) -> Provoked; 6] = [
        |a, b| provoke!(["teq {a}, {b}"], a = in(reg) a, b = in(reg) b),
        |a, b| provoke!(["tne {a}, {b}"], a = in(reg) a, b = in(reg) b),
        |a, b| provoke!(["tge {a}, {b}"], a = in(reg) a, b = in(reg) b),
        |a, b| provoke!(["tgeu {a}, {b}"], a = in(reg) a, b = in(reg) b),
        |a, b| provoke!(["tlt {a}, {b}"], a = in(reg) a, b = in(reg) b),
        |a, b| provoke!(["tltu {a}, {b}"], a = in(reg) a, b = in(reg) b),
    ];
    // Operands that make each condition true; tge/tltu use a negative
    // number to tell signed from unsigned.
    let taken = [(7, 7), (7, 8), (5, 0xFFFF_FFFF), (0xFFFF_FFFF, 5), (0xFFFF_FFFF, 5), (5, 0xFFFF_FFFF)];
    for (run, (a, b)) in cases.iter().zip(taken) {
        let (at, trap) = run(a, b);
        let trap = expect(trap, vec::GENERAL, code::TR)?;
        eq("EPC = the trap", trap.epc, at)?;
    }
    Ok(())
}

fn trap_register_not_taken() -> Outcome {
    let (_, trap) = provoke!(
        [
            "teq {a}, {b}",
            "tne {a}, {a}",
            "tge {a}, {b}",
            "tgeu {b}, {a}",
            "tlt {b}, {a}",
            "tltu {a}, {b}",
        ],
        a = in(reg) 0xFFFF_FFFFu32,
        b = in(reg) 5u32
    );
    no_trap(trap)
}

fn trap_immediate() -> Outcome {
    let cases: [fn(u32) -> Provoked; 6] = [
        |a| provoke!(["teqi {a}, -3"], a = in(reg) a),
        |a| provoke!(["tnei {a}, 4"], a = in(reg) a),
        |a| provoke!(["tgei {a}, -4"], a = in(reg) a),
        |a| provoke!(["tgeiu {a}, 4"], a = in(reg) a),
        |a| provoke!(["tlti {a}, -2"], a = in(reg) a),
        |a| provoke!(["tltiu {a}, -1"], a = in(reg) a),
    ];
    // a = -3 makes all six true (tgeiu: 0xFFFFFFFD >= 4; tltiu: < 0xFFFFFFFF).
    for run in cases {
        let (at, trap) = run(0xFFFF_FFFD);
        let trap = expect(trap, vec::GENERAL, code::TR)?;
        eq("EPC = the trap", trap.epc, at)?;
    }
    // With a = 5, teqi and tlti are false.
    let (_, trap) = provoke!(["teqi {a}, -3", "tlti {a}, -2"], a = in(reg) 5u32);
    no_trap(trap)
}

fn overflow_add() -> Outcome {
    let mut d: u32 = 0x1234;
    let (at, trap) = provoke!(["add {d}, {a}, {b}"], d = inout(reg) d, a = in(reg) 0x7FFF_FFFFu32, b = in(reg) 1u32);
    let trap = expect(trap, vec::GENERAL, code::OV)?;
    eq("EPC = the add", trap.epc, at)?;
    eq("destination unchanged", d, 0x1234)
}

fn overflow_addi() -> Outcome {
    let mut d: u32 = 0x1234;
    let (at, trap) = provoke!(["addi {d}, {a}, -1"], d = inout(reg) d, a = in(reg) 0x8000_0000u32);
    let trap = expect(trap, vec::GENERAL, code::OV)?;
    eq("EPC = the addi", trap.epc, at)?;
    eq("destination unchanged", d, 0x1234)
}

fn overflow_sub() -> Outcome {
    let mut d: u32 = 0x1234;
    let (at, trap) = provoke!(["sub {d}, {a}, {b}"], d = inout(reg) d, a = in(reg) 0x8000_0000u32, b = in(reg) 1u32);
    let trap = expect(trap, vec::GENERAL, code::OV)?;
    eq("EPC = the sub", trap.epc, at)?;
    eq("destination unchanged", d, 0x1234)
}

fn no_overflow_unsigned() -> Outcome {
    let (sum, diff): (u32, u32);
    let (_, trap) = provoke!(
        ["addu {s}, {a}, {b}", "subu {d}, {b}, {a}", "add {d}, {d}, $zero"],
        s = out(reg) sum,
        d = out(reg) diff,
        a = in(reg) 0x7FFF_FFFFu32,
        b = in(reg) 1u32
    );
    no_trap(trap)?;
    eq("addu wraps", sum, 0x8000_0000)?;
    eq("subu wraps", diff, 0x8000_0002)
}

fn reserved() -> Outcome {
    // SPECIAL funct 0x3F (DSRA32) does not exist on a 32-bit CPU.
    let (at, trap) = provoke!([".word 0x0000003F", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::RI)?;
    eq("EPC = the reserved word", trap.epc, at)
}

fn reserved_cop0() -> Outcome {
    // CO with an unassigned funct; CO with bits 24:21 set; MFMC0 that is
    // neither DI nor EI.
    let words: [fn() -> Provoked; 3] = [
        || provoke!([".word 0x42000010"]),
        || provoke!([".word 0x43E00001"]),
        || provoke!([".word 0x41606001"]),
    ];
    for run in words {
        let (at, trap) = run();
        let trap = expect(trap, vec::GENERAL, code::RI)?;
        eq("EPC", trap.epc, at)?;
    }
    Ok(())
}

fn deret_ri() -> Outcome {
    let (at, trap) = provoke!(["deret", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::RI)?;
    eq("EPC = the deret", trap.epc, at)
}

/// The address of a word the unaligned cases use (`LL_WORD`).
fn scratch() -> u32 {
    core::ptr::addr_of!(LL_WORD) as u32
}

fn adel_lw() -> Outcome {
    let va = scratch() + 1;
    let (at, trap) = provoke!(["lw {v}, 0({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the load", trap.epc, at)?;
    eq("BadVAddr = the address", trap.badvaddr, va)
}

fn adel_lh() -> Outcome {
    let va = scratch() + 3;
    let (at, trap) = provoke!(["lhu {v}, 0({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the load", trap.epc, at)?;
    eq("BadVAddr = the address", trap.badvaddr, va)
}

fn ades_sw() -> Outcome {
    let va = scratch() + 2;
    let (at, trap) = provoke!(["sw $zero, 0({a})"], a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::ADES)?;
    eq("EPC = the store", trap.epc, at)?;
    eq("BadVAddr = the address", trap.badvaddr, va)
}

fn ades_sh() -> Outcome {
    let va = scratch() + 1;
    let (at, trap) = provoke!(["sh $zero, 0({a})"], a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::ADES)?;
    eq("EPC = the store", trap.epc, at)?;
    eq("BadVAddr = the address", trap.badvaddr, va)
}

fn adel_fetch() -> Outcome {
    let target: u32;
    let (_, trap) = provoke!(
        ["la {t}, 3f", "addiu {t}, {t}, 2", "jr {t}", "nop"],
        t = out(reg) target
    );
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the fetch address", trap.epc, target)?;
    eq("BadVAddr = the fetch address", trap.badvaddr, target)?;
    yes("Cause.BD clear", !trap.bd())
}

fn cpu_cop1() -> Outcome {
    // mfc1 $t0, $f8, as a word: the image is soft-float.
    let (at, trap) = provoke!([".word 0x44084000", "nop"], out("$8") _);
    let trap = expect(trap, vec::GENERAL, code::CPU)?;
    eq("EPC = the mfc1", trap.epc, at)?;
    eq("Cause.CE", trap.ce(), 1)
}

fn delay_slot_bd() -> Outcome {
    let (at, trap) = provoke!(["beq $zero, $zero, 3f", "syscall"]);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("EPC = the branch", trap.epc, at)?;
    yes("Cause.BD set", trap.bd())
}

fn delay_slot_jr() -> Outcome {
    let (at, trap) = provoke!(["la {t}, 3f", "jr {t}", "break"], t = out(reg) _);
    let trap = expect(trap, vec::GENERAL, code::BP)?;
    eq("EPC = the jr", trap.epc, at + 8)?;
    yes("Cause.BD set", trap.bd())
}

fn adel_delay_slot() -> Outcome {
    let va = scratch() + 2;
    let (at, trap) = provoke!(["bne {a}, $zero, 3f", "lw {v}, 0({a})"], a = in(reg) va, v = out(reg) _);
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the branch", trap.epc, at)?;
    yes("Cause.BD set", trap.bd())?;
    eq("BadVAddr = the address", trap.badvaddr, va)
}

fn overflow_likely_slot() -> Outcome {
    let (at, trap) = provoke!(["beql $zero, $zero, 3f", "add {d}, {a}, {a}"], d = out(reg) _, a = in(reg) 0x4000_0000u32);
    let trap = expect(trap, vec::GENERAL, code::OV)?;
    eq("EPC = the branch", trap.epc, at)?;
    yes("Cause.BD set", trap.bd())
}

fn exl_keeps_epc() -> Outcome {
    // A syscall outside a delay slot with EXL=0 clears Cause.BD ...
    let (_, trap) = provoke!(["syscall", "nop"]);
    expect(trap, vec::GENERAL, code::SYS)?;
    // ... and with EXL=1 neither EPC nor BD change, even in a delay slot.
    mtc0!(14, 0, 0x1357_9BDC);
    mtc0!(12, 0, rt::ST_EXL);
    let (_, trap) = provoke!(["beq $zero, $zero, 3f", "syscall"]);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("EPC unchanged", trap.epc, 0x1357_9BDC)?;
    yes("Cause.BD unchanged (clear)", !trap.bd())?;
    yes("Status.EXL was set", trap.status & rt::ST_EXL != 0)?;
    eq("EXL cleared by the resuming eret", rt::status() & rt::ST_EXL, 0)?;
    // A delay-slot syscall with EXL=0 sets BD; then with EXL=1 it stays.
    let (_, trap) = provoke!(["beq $zero, $zero, 3f", "syscall"]);
    yes("Cause.BD set", trapped(trap)?.bd())?;
    mtc0!(12, 0, rt::ST_EXL);
    let (_, trap) = provoke!(["syscall", "nop"]);
    yes("Cause.BD unchanged (set)", trapped(trap)?.bd())
}

fn exl_on_entry() -> Outcome {
    let (_, trap) = provoke!(["syscall", "nop"]);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("Status on entry: EXL set, nothing else", trap.status, rt::ST_EXL)
}

fn iv_general() -> Outcome {
    mtc0!(13, 0, rt::CAUSE_IV);
    let (_, trap) = provoke!(["syscall", "nop"]);
    expect(trap, vec::GENERAL, code::SYS).map(drop)
}

fn eret_epc() -> Outcome {
    let (landed, status): (u32, u32);
    let (_, trap) = provoke!(
        [
            "la {t}, 5f",
            "mtc0 {t}, $14",
            "la {t}, 6f",
            "mtc0 {t}, $30",
            "mfc0 {t}, $12",
            "ori {t}, {t}, 2",
            "mtc0 {t}, $12",
            "ehb",
            "eret",
            "6: b 7f",
            "li {l}, 6",
            "5: li {l}, 5",
            "7: mfc0 {s}, $12",
        ],
        t = out(reg) _,
        l = out(reg) landed,
        s = out(reg) status
    );
    no_trap(trap)?;
    eq("eret with ERL=0 went to EPC", landed, 5)?;
    eq("EXL cleared", status & (rt::ST_EXL | rt::ST_ERL), 0)
}

fn eret_errorepc() -> Outcome {
    let (landed, status): (u32, u32);
    let (_, trap) = provoke!(
        [
            "la {t}, 5f",
            "mtc0 {t}, $14",
            "la {t}, 6f",
            "mtc0 {t}, $30",
            "mfc0 {t}, $12",
            "ori {t}, {t}, 6",
            "mtc0 {t}, $12",
            "ehb",
            "eret",
            "6: b 7f",
            "li {l}, 6",
            "5: li {l}, 5",
            "7: mfc0 {s}, $12",
        ],
        t = out(reg) _,
        l = out(reg) landed,
        s = out(reg) status
    );
    mtc0!(12, 0, 0);
    no_trap(trap)?;
    eq("eret with ERL=1 went to ErrorEPC", landed, 6)?;
    eq("ERL cleared, EXL kept", status & (rt::ST_EXL | rt::ST_ERL), rt::ST_EXL)
}

fn ll_sc() -> Outcome {
    // The sc writes `LL_WORD`, which only these cases touch.
    let addr = scratch();
    let (old, ok): (u32, u32);
    let (_, trap) = provoke!(
        ["ll {o}, 0({a})", "addiu {k}, {o}, 1", "sc {k}, 0({a})"],
        o = out(reg) old,
        k = out(reg) ok,
        a = in(reg) addr
    );
    no_trap(trap)?;
    eq("sc after ll succeeds", ok, 1)?;
    // SAFETY: plain read of the suite's own scratch word.
    let now = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(LL_WORD)) };
    eq("sc stored", now, old.wrapping_add(1))
}

/// A CP0 access between `ll` and `sc` (which the hypervisor emulates)
/// does not clear LLbit: only an `eret` or a memory access of the
/// program's own may.
fn ll_cp0_sc() -> Outcome {
    let addr = scratch();
    let (old, ok): (u32, u32);
    let (_, trap) = provoke!(
        ["ll {o}, 0({a})", "mfc0 {k}, $12", "addiu {k}, {o}, 1", "mtc0 $zero, $11", "sc {k}, 0({a})"],
        o = out(reg) old,
        k = out(reg) ok,
        a = in(reg) addr
    );
    no_trap(trap)?;
    eq("sc after ll, mfc0, mtc0 succeeds", ok, 1)?;
    // SAFETY: plain read of the suite's own scratch word.
    let now = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(LL_WORD)) };
    eq("sc stored", now, old.wrapping_add(1))
}

/// An atomic increment as an RTOS writes it, its retry loop reading
/// Status inside: it finishes, on the first try.
fn ll_sc_retry_loop() -> Outcome {
    let addr = scratch();
    // SAFETY: plain read of the suite's own scratch word.
    let before = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(LL_WORD)) };
    let tries: u32;
    let (_, trap) = provoke!(
        [
            "move {n}, $zero",
            "1: addiu {n}, {n}, 1",
            "sltiu {t}, {n}, 100",
            "beqz {t}, 2f",
            "nop",
            "ll {t}, 0({a})",
            "mfc0 {s}, $12",
            "addiu {t}, {t}, 1",
            "sc {t}, 0({a})",
            "beqz {t}, 1b",
            "nop",
            "2: nop"
        ],
        n = out(reg) tries,
        t = out(reg) _,
        s = out(reg) _,
        a = in(reg) addr
    );
    no_trap(trap)?;
    eq("tries", tries, 1)?;
    // SAFETY: as above.
    let now = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(LL_WORD)) };
    eq("incremented once", now, before.wrapping_add(1))
}

/// LLAddr holds the physical address of the last `ll`, shifted right by 4
/// (under the hypervisor: the guest-physical one).
fn ll_sets_lladdr() -> Outcome {
    let addr = scratch();
    let lladdr: u32;
    let (_, trap) = provoke!(["ll {k}, 0({a})", "mfc0 {l}, $17"], k = out(reg) _, l = out(reg) lladdr, a = in(reg) addr);
    no_trap(trap)?;
    eq("LLAddr after ll", lladdr, super::map::kseg0_to_phys(addr) >> 4)
}

fn eret_clears_ll() -> Outcome {
    let addr = scratch();
    let ok: u32;
    let (_, trap) = provoke!(
        [
            "ll {k}, 0({a})",
            "la {t}, 5f",
            "mtc0 {t}, $14",
            "mfc0 {t}, $12",
            "ori {t}, {t}, 2",
            "mtc0 {t}, $12",
            "ehb",
            "eret",
            "nop",
            "5: sc {k}, 0({a})",
        ],
        t = out(reg) _,
        k = out(reg) ok,
        a = in(reg) addr
    );
    no_trap(trap)?;
    eq("sc after eret fails", ok, 0)?;
    eq("LLAddr after eret", mfc0!(17, 0), 0)
}
