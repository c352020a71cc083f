//! Runs the emulator on every recorded vector and compares its state after
//! the instruction with QEMU's, field by field.
//!
//! One insta snapshot per vector file lists the vectors that differ and
//! where, so a regression shows up as a readable diff (`cargo insta
//! review`), and `every_vector_passes` insists on zero differences.
use emulator::{AddressMap, Cp0, Cp0Reg, Cpu, Outcome, RandomLcg, TlbEntry, TlbRegs, LLADDR_SHIFT};
use std::fmt::Write as _;
use testvectors::state::{self, field_name, State, FIELDS, HI, LCG_PREV, LCG_SEED, LO, PC, TLB, TLB_ENTRIES};
use testvectors::vector::{self, Vector};

/// Puts the emulator in the vector's pre-state: the recorded values go
/// into the CP0 fields as they are (no write masks or hooks).
fn load(pre: &State) -> Cpu {
    let mut cpu = Cpu::new(AddressMap::Native);
    cpu.gpr.copy_from_slice(&pre.0[..32]);
    cpu.hi = pre.0[HI];
    cpu.lo = pre.0[LO];
    cpu.pc = pre.0[PC];
    for rd in 0..32u8 {
        for sel in 0..8u8 {
            let reg = Cp0Reg::new(rd, sel);
            let value = pre.cp0(rd, sel);
            match (rd, sel) {
                (23, 0) => {
                    cpu.debug_mode = value & Cp0::DEBUG_DM != 0;
                    cpu.cp0.set(reg, value & !Cp0::DEBUG_DM);
                }
                (17, 0) => {
                    cpu.cp0.set(reg, value << (LLADDR_SHIFT & 31));
                }
                _ => {
                    cpu.cp0.set(reg, value);
                }
            }
        }
    }
    for i in 0..TLB_ENTRIES {
        let [entry_hi, entry_lo0, entry_lo1, page_mask] = pre.tlb(i);
        cpu.tlb.write(i as u32, TlbEntry::from_regs(TlbRegs { entry_hi, entry_lo0, entry_lo1, page_mask }));
    }
    cpu.lcg = RandomLcg { seed: pre.0[LCG_SEED], prev: pre.0[LCG_PREV] };
    cpu
}

/// The emulator's state as the recorder observes QEMU's: mfc0 of every
/// register (Random excepted: it would draw), tlbr of every entry.
fn observe(cpu: &mut Cpu) -> State {
    let mut s = State::default();
    s.0[..32].copy_from_slice(&cpu.gpr);
    s.0[HI] = cpu.hi;
    s.0[LO] = cpu.lo;
    s.0[PC] = cpu.pc;
    for rd in 0..32u8 {
        for sel in 0..8u8 {
            let field = state::cp0(rd, sel);
            if vector::always_masked(field) {
                continue;
            }
            s.0[field] = cpu.cp0_read(Cp0Reg::new(rd, sel)).unwrap_or(0);
        }
    }
    for i in 0..TLB_ENTRIES {
        let r = cpu.tlb.entry(i as u32).to_regs();
        s.0[TLB + i * 4..TLB + i * 4 + 4].copy_from_slice(&[r.entry_hi, r.entry_lo0, r.entry_lo1, r.page_mask]);
    }
    s.0[LCG_SEED] = cpu.lcg.seed;
    s.0[LCG_PREV] = cpu.lcg.prev;
    s
}

const NOT_EMULATED: &str = "the emulator does not emulate this instruction";

/// Runs one vector; returns a description of every difference.
fn check(v: &Vector) -> Vec<String> {
    let mut cpu = load(&v.pre);
    let mut problems = Vec::new();
    let outcome = cpu.execute(v.word, v.slot);
    if let Outcome::NotEmulated = outcome {
        problems.push(NOT_EMULATED.to_string());
        return problems;
    }
    // A branch that can never be taken (`bne rx, rx`) is a NOP to QEMU, and
    // the word after it an ordinary instruction: the emulator says so by
    // continuing at that word, which then runs as the next instruction.
    if let (Outcome::Continue, Some(next)) = (outcome, v.slot) {
        if cpu.pc == v.pre.0[PC].wrapping_add(4) {
            if let Outcome::NotEmulated = cpu.execute(next, None) {
                problems.push(NOT_EMULATED.to_string());
                return problems;
            }
        }
    }
    let got = observe(&mut cpu);
    for field in 0..FIELDS {
        let bits = v.compared_bits(field);
        let (emulator, qemu) = (got.0[field] & bits, v.post.0[field] & bits);
        if emulator != qemu {
            problems.push(format!("{}: emulator {:08x}, QEMU {:08x} (was {:08x})", field_name(field), got.0[field], v.post.0[field], v.pre.0[field]));
        }
    }
    problems
}

/// Checks every vector of a file; returns (differing vectors, report).
fn run_file(category: &str) -> (usize, String) {
    let path = format!("{}/vectors/{category}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vectors = vector::parse_file(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(!vectors.is_empty(), "{path} has no vectors");
    let mut report = String::new();
    let (mut failing, mut not_emulated) = (0, 0);
    for v in &vectors {
        let problems = check(v);
        if !problems.is_empty() {
            failing += 1;
            not_emulated += usize::from(problems[0] == NOT_EMULATED);
            let slot = v.slot.map(|s| format!(" slot {s:08x}")).unwrap_or_default();
            let _ = writeln!(report, "{} (word {:08x}{slot} at {:08x}):", v.name, v.word, v.pre.0[PC]);
            for p in problems {
                let _ = writeln!(report, "    {p}");
            }
        }
    }
    let count = format!("{failing} of {} vectors differ from QEMU ({not_emulated} not emulated)", vectors.len());
    (failing, format!("{count}\n{report}"))
}

const FILES: &[&str] = &["cp0_mfc0", "cp0_mtc0", "random", "tlb", "eret", "privileged", "branch", "exceptions", "interrupts", "overflow"];

#[test]
fn every_vector_passes() {
    let mut all = String::new();
    for file in FILES {
        let (failing, report) = run_file(file);
        if failing > 0 {
            all.push_str(&report);
        }
    }
    assert!(all.is_empty(), "{all}");
}

macro_rules! files {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                let (_, report) = run_file(stringify!($name));
                insta::assert_snapshot!(stringify!($name), report);
            }
        )*
    };
}

files!(cp0_mfc0 cp0_mtc0 random tlb eret privileged branch exceptions interrupts overflow);
