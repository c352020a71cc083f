//! Privileged instructions in the delay slots of every branch kind, taken
//! and not taken: the slot's result, the path, and the link register.
//! Conditional branches carry `mfc0 EPC` in their slot (annulled when a
//! likely branch is not taken); the jumps carry di, mtc0, tlbp and ei.
use super::rt::{self, exc_base, mfc0, mtc0, take_trap, Entry};
use super::{eq, no_trap, Case, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "branch.beq_slot_mfc0", run: beq },
    Case { name: "branch.bne_slot_mfc0", run: bne },
    Case { name: "branch.blez_slot_mfc0", run: blez },
    Case { name: "branch.bgtz_slot_mfc0", run: bgtz },
    Case { name: "branch.bltz_slot_mfc0", run: bltz },
    Case { name: "branch.bgez_slot_mfc0", run: bgez },
    Case { name: "branch.bltzal_slot_mfc0_link", run: bltzal },
    Case { name: "branch.bgezal_slot_mfc0_link", run: bgezal },
    Case { name: "branch.beql_slot_annulled", run: beql },
    Case { name: "branch.bnel_slot_annulled", run: bnel },
    Case { name: "branch.blezl_slot_annulled", run: blezl },
    Case { name: "branch.bgtzl_slot_annulled", run: bgtzl },
    Case { name: "branch.bltzl_slot_annulled", run: bltzl },
    Case { name: "branch.bgezl_slot_annulled", run: bgezl },
    Case { name: "branch.bltzall_slot_annulled_link", run: bltzall },
    Case { name: "branch.bgezall_slot_annulled_link", run: bgezall },
    Case { name: "branch.j_slot_di", run: j },
    Case { name: "branch.jal_slot_mtc0_link", run: jal },
    Case { name: "branch.jr_slot_tlbp", run: jr },
    Case { name: "branch.jalr_slot_ei_link", run: jalr },
];

/// What one branch run observed.
struct Run {
    /// The branch's address.
    at: u32,
    /// The register the slot instruction writes ($11), 0 before.
    slot: u32,
    /// 2 if the branch went to its target, 1 if it fell through.
    path: u32,
    /// $31 afterwards (0 before).
    link: u32,
    trap: Option<rt::Trap>,
}

/// Runs `branch` (which targets label 5, with $8/$9 = a/b and $10 = the
/// address of label 5) with `slot` in its delay slot.
macro_rules! branch {
    ($branch:literal, $slot:literal, $a:expr, $b:expr) => {{
        let (at, slot, path, link): (u32, u32, u32, u32);
        // SAFETY: the sequence only writes the registers it declares, and
        // saves and restores $31 itself; the slot instructions change CP0
        // state only (Status.IE with IM clear, EPC, Index). If anything
        // faults the vector resumes at label 7, which restores $31.
        unsafe {
            core::arch::asm!(
                ".set push",
                ".set noreorder",
                ".set noat",
                "la $10, 7f",
                "sw $10, 0({exc})",
                "move $14, $31",
                "move $31, $zero",
                "move $11, $zero",
                "la $10, 5f",
                "la $15, 4f",
                concat!("4: ", $branch),
                $slot,
                "b 6f",
                "li $12, 1",
                "5: li $12, 2",
                "6: move $13, $31",
                "7: move $31, $14",
                ".set pop",
                exc = in(reg) exc_base(),
                in("$8") $a,
                in("$9") $b,
                out("$10") _,
                out("$11") slot,
                out("$12") path,
                out("$13") link,
                out("$14") _,
                out("$15") at,
            )
        };
        Run { at, slot, path, link, trap: take_trap() }
    }};
}

const MAGIC: u32 = 0x5107_0123;

/// A conditional branch with `mfc0 $11, EPC` in its slot, run with
/// operands that make it taken and not taken.
fn conditional(run: fn(u32, u32) -> Run, taken: (u32, u32), not_taken: (u32, u32), links: bool, likely: bool) -> Outcome {
    for (is_taken, (a, b)) in [(true, taken), (false, not_taken)] {
        mtc0!(14, 0, MAGIC);
        let r = run(a, b);
        no_trap(r.trap)?;
        eq(if is_taken { "taken: path" } else { "not taken: path" }, r.path, if is_taken { 2 } else { 1 })?;
        let want_slot = if is_taken || !likely { MAGIC } else { 0 };
        eq(if is_taken { "taken: slot mfc0" } else { "not taken: slot mfc0" }, r.slot, want_slot)?;
        eq("link register", r.link, if links { r.at + 8 } else { 0 })?;
    }
    Ok(())
}

const NEG: u32 = 0xFFFF_FFFF;

fn beq() -> Outcome {
    conditional(|a, b| branch!("beq $8, $9, 5f", "mfc0 $11, $14", a, b), (3, 3), (3, 4), false, false)
}
fn bne() -> Outcome {
    conditional(|a, b| branch!("bne $8, $9, 5f", "mfc0 $11, $14", a, b), (3, 4), (3, 3), false, false)
}
fn blez() -> Outcome {
    conditional(|a, b| branch!("blez $8, 5f", "mfc0 $11, $14", a, b), (0, 0), (1, 0), false, false)
}
fn bgtz() -> Outcome {
    conditional(|a, b| branch!("bgtz $8, 5f", "mfc0 $11, $14", a, b), (1, 0), (NEG, 0), false, false)
}
fn bltz() -> Outcome {
    conditional(|a, b| branch!("bltz $8, 5f", "mfc0 $11, $14", a, b), (NEG, 0), (0, 0), false, false)
}
fn bgez() -> Outcome {
    conditional(|a, b| branch!("bgez $8, 5f", "mfc0 $11, $14", a, b), (0, 0), (NEG, 0), false, false)
}
fn bltzal() -> Outcome {
    conditional(|a, b| branch!("bltzal $8, 5f", "mfc0 $11, $14", a, b), (NEG, 0), (1, 0), true, false)
}
fn bgezal() -> Outcome {
    conditional(|a, b| branch!("bgezal $8, 5f", "mfc0 $11, $14", a, b), (5, 0), (NEG, 0), true, false)
}
fn beql() -> Outcome {
    conditional(|a, b| branch!("beql $8, $9, 5f", "mfc0 $11, $14", a, b), (3, 3), (3, 4), false, true)
}
fn bnel() -> Outcome {
    conditional(|a, b| branch!("bnel $8, $9, 5f", "mfc0 $11, $14", a, b), (3, 4), (3, 3), false, true)
}
fn blezl() -> Outcome {
    conditional(|a, b| branch!("blezl $8, 5f", "mfc0 $11, $14", a, b), (NEG, 0), (7, 0), false, true)
}
fn bgtzl() -> Outcome {
    conditional(|a, b| branch!("bgtzl $8, 5f", "mfc0 $11, $14", a, b), (7, 0), (0, 0), false, true)
}
fn bltzl() -> Outcome {
    conditional(|a, b| branch!("bltzl $8, 5f", "mfc0 $11, $14", a, b), (NEG, 0), (0, 0), false, true)
}
fn bgezl() -> Outcome {
    conditional(|a, b| branch!("bgezl $8, 5f", "mfc0 $11, $14", a, b), (0, 0), (NEG, 0), false, true)
}
fn bltzall() -> Outcome {
    conditional(|a, b| branch!("bltzall $8, 5f", "mfc0 $11, $14", a, b), (NEG, 0), (0, 0), true, true)
}
fn bgezall() -> Outcome {
    conditional(|a, b| branch!("bgezall $8, 5f", "mfc0 $11, $14", a, b), (0, 0), (NEG, 0), true, true)
}

/// The checks every jump shares: taken, and the link register.
fn jumped(r: &Run, links: bool) -> Outcome {
    no_trap(r.trap)?;
    eq("path", r.path, 2)?;
    eq("link register", r.link, if links { r.at + 8 } else { 0 })
}

fn j() -> Outcome {
    mtc0!(12, 0, rt::ST_IE);
    let r = branch!("j 5f", "di $11", 0u32, 0u32);
    jumped(&r, false)?;
    eq("slot di returned the old Status", r.slot, rt::ST_IE)?;
    eq("slot di cleared IE", rt::status(), 0)
}

fn jal() -> Outcome {
    mtc0!(14, 0, 0);
    let r = branch!("jal 5f", "mtc0 $9, $14", 0u32, MAGIC);
    jumped(&r, true)?;
    eq("slot mtc0 wrote EPC", mfc0!(14, 0), MAGIC)
}

fn jr() -> Outcome {
    let hi = super::map::KSSEG + 0x0070_0000;
    rt::tlb_write(12, Entry { hi, ..Entry::default() });
    mtc0!(0, 0, 0);
    mtc0!(10, 0, hi);
    let r = branch!("jr $10", "tlbp", 0u32, 0u32);
    let index = mfc0!(0, 0);
    mtc0!(10, 0, 0);
    jumped(&r, false)?;
    eq("slot tlbp found the entry", index, 12)
}

fn jalr() -> Outcome {
    let r = branch!("jalr $10", "ei $11", 0u32, 0u32);
    let status = rt::status();
    mtc0!(12, 0, 0);
    jumped(&r, true)?;
    eq("slot ei returned the old Status", r.slot, 0)?;
    eq("slot ei set IE", status, rt::ST_IE)
}
