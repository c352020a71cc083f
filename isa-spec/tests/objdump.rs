//! Agreement with GNU objdump (Debian's binutils-mipsel-linux-gnu 2.40):
//! every spec pattern with random operand fields, and random words.
mod common;
use common::{objdump, seed, Rng};
use isa_spec::{decode, disassemble, PATTERNS};

/// Compares our text with objdump's for `words` (word i at address 4*i),
/// in both alias modes, and returns the mismatches as printable lines.
fn compare(words: &[u32]) -> Vec<String> {
    let mut bad = Vec::new();
    for aliases in [true, false] {
        let theirs = objdump(words, aliases);
        for (i, (&w, t)) in words.iter().zip(&theirs).enumerate() {
            let ours = disassemble(w, 4 * i as u32, aliases).to_string();
            if &ours != t {
                bad.push(format!("{:08x} @{:x} aliases={aliases}: ours `{ours}`, objdump `{t}`", w, 4 * i));
            }
        }
    }
    bad
}

fn report(bad: &[String], total: usize) {
    for line in bad.iter().take(60) {
        eprintln!("{line}");
    }
    assert!(bad.is_empty(), "{} mismatches out of {} comparisons", bad.len(), total * 2);
}

#[test]
fn every_pattern_with_random_operands_agrees_with_objdump() {
    let mut rng = Rng(seed());
    let per = 100_000 / PATTERNS.len() + 1;
    let mut words = Vec::new();
    for p in PATTERNS {
        for k in 0..per {
            let r = rng.next_u32();
            // Half the words keep the CPU-ignored bits zero (objdump's form);
            // the other half set them at random.
            let free = if k % 2 == 0 { !p.mask & !p.ignored } else { !p.mask };
            let w = p.value | (r & free);
            if !p.objdump_only && p.cpu_valid.is_none() {
                assert!(decode(w).is_ok(), "{w:08x} ({}, line {}) must decode", p.name, p.line);
            }
            words.push(w);
        }
    }
    assert!(words.len() >= 100_000);
    let bad = compare(&words);
    report(&bad, words.len());
}

/// objdump (with `-m mips:isa32r2`) also decodes the MSA, DSP, MT, EVA, MCU,
/// VIRT, XPA, SmartMIPS and UDI encodings; the spec lists them as objdump-only.
#[test]
fn random_words_agree_with_objdump() {
    let mut rng = Rng(seed() ^ 0x5eed);
    let words: Vec<u32> = (0..100_000).map(|_| rng.next_u32()).collect();
    let bad = compare(&words);
    report(&bad, words.len());
}
