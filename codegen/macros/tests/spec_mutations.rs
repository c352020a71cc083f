//! The generators never panic on a malformed spec: the real specs, mutated
//! at random (lines deleted, duplicated, swapped or cut short, characters
//! and tokens replaced or inserted), go through `codegen::isa::generate` and
//! `codegen::cp0::generate`, which must return the expansion or a
//! `SpecError` naming a line of the mutated text. Seeded and bounded.
//!
//! The ISA spec is cut to a prefix (fields, ALU, groups, branches, jumps)
//! plus a few loads/stores, CP0 and FPU lines, so a case stays cheap in
//! debug builds (the whole spec takes about 0.2 s to generate).
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

const ISA: &str = include_str!("../../../isa-spec/mips32r2.isa");
const CP0: &str = include_str!("../../../isa-spec/cp0-24kf.cp0");

/// Instructions (and their alias/form lines) added to the ISA prefix.
const EXTRA: &[&str] = &["lw", "sw", "lwl", "ll", "sc", "cache", "mfc0", "mtc0", "eret", "tlbwi", "lwc1", "sdc1", "bc1t", "lwxc1", "jal", "jalx", "bgezal", "beql", "teq", "syscall", "rdhwr"];

/// The cut-down ISA spec: every line up to the first instruction line at or
/// after line 230 outside a group, then the `EXTRA` lines.
fn small_isa() -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut cut = false;
    for (i, line) in ISA.lines().enumerate() {
        let first = line.split_whitespace().next().unwrap_or("");
        if !cut {
            match first {
                "group" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            if i + 1 >= 230 && depth == 0 && first == "}" {
                cut = true;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let name = match first {
            "alias" | "form" => line.split_whitespace().nth(1).unwrap_or(""),
            other => other,
        };
        if first == "isa" || EXTRA.contains(&name) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Characters and tokens that make the format's structures go wrong.
const CHARS: &[char] = &['0', '1', '.', '-', 'x', '{', '}', '%', ':', '=', ',', '"', '#', ' ', 'a', '9', '_', '>', '\t', 'é', '€'];
const TOKENS: &[&str] = &[
    "group", "{", "}", "%rs", "%nosuch", "field", "alias", "form", "isa", "mips32r2", "x", "\"", "\"{rs}\"", "{rs:cp0}", "=", "0x", "0xFFFFFFFFF",
    "-1", "99:0", "31:0", "0:31", "5:5,5:5", "signed", "branch=eq", "branch=", "jump=link", "mem=load,3", "mem=", "priv", "objdump-only",
    "reg", "profile", "insn", "->", "reset=", "mask=0x1", "read=", "write=", "unlisted", "reserved", "exccode", "exception", "vector=refill",
    "sets=tlb", "0", "32", "64", "256", "Index", "Index.Index", "rs=0", "rs=rt", "{ rt, rd }", "é", "x€", "--------", "................................",
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    CutLine(usize, usize),
    ReplaceChar(usize, usize, usize),
    ReplaceToken(usize, usize, usize),
    InsertToken(usize, usize, usize),
    DeleteToken(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<(usize, usize)>().prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<(usize, usize)>().prop_map(|(l, at)| Mutation::CutLine(l, at)),
        any::<(usize, usize, usize)>().prop_map(|(l, at, c)| Mutation::ReplaceChar(l, at, c)),
        any::<(usize, usize, usize)>().prop_map(|(l, at, t)| Mutation::ReplaceToken(l, at, t)),
        any::<(usize, usize, usize)>().prop_map(|(l, at, t)| Mutation::InsertToken(l, at, t)),
        any::<(usize, usize)>().prop_map(|(l, at)| Mutation::DeleteToken(l, at)),
    ]
}

/// Applies the mutations to the spec's non-blank, non-comment lines (where
/// they do something) and returns the text.
fn mutate(base: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_owned).collect();
    let live = |lines: &Vec<String>, k: usize| -> usize {
        let idx: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].trim().is_empty() && !lines[i].trim_start().starts_with('#')).collect();
        if idx.is_empty() {
            0
        } else {
            idx[k % idx.len()]
        }
    };
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        match *m {
            Mutation::DeleteLine(k) => {
                let i = live(&lines, k);
                lines.remove(i);
            }
            Mutation::DuplicateLine(k) => {
                let i = live(&lines, k);
                let l = lines[i].clone();
                lines.insert(i + 1, l);
            }
            Mutation::SwapLines(a, b) => {
                let (i, j) = (live(&lines, a), live(&lines, b));
                lines.swap(i, j);
            }
            Mutation::CutLine(k, at) => {
                let i = live(&lines, k);
                let chars: Vec<char> = lines[i].chars().collect();
                lines[i] = chars[..at % (chars.len() + 1)].iter().collect();
            }
            Mutation::ReplaceChar(k, at, c) => {
                let i = live(&lines, k);
                let mut chars: Vec<char> = lines[i].chars().collect();
                if !chars.is_empty() {
                    let at = at % chars.len();
                    chars[at] = CHARS[c % CHARS.len()];
                }
                lines[i] = chars.into_iter().collect();
            }
            Mutation::ReplaceToken(k, at, t) | Mutation::InsertToken(k, at, t) => {
                let i = live(&lines, k);
                let mut words: Vec<String> = lines[i].split_whitespace().map(str::to_owned).collect();
                let token = TOKENS[t % TOKENS.len()].to_owned();
                if matches!(m, Mutation::ReplaceToken(..)) && !words.is_empty() {
                    let at = at % words.len();
                    words[at] = token;
                } else {
                    let at = at % (words.len() + 1);
                    words.insert(at, token);
                }
                lines[i] = words.join(" ");
            }
            Mutation::DeleteToken(k, at) => {
                let i = live(&lines, k);
                let mut words: Vec<String> = lines[i].split_whitespace().map(str::to_owned).collect();
                if !words.is_empty() {
                    words.remove(at % words.len());
                }
                lines[i] = words.join(" ");
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn the_base_specs_generate() {
    codegen::isa::generate(&small_isa()).expect("the cut-down ISA spec is valid");
    codegen::cp0::generate(CP0).expect("the CP0 spec is valid");
}

proptest! {
    #![proptest_config(config(1_000, 0x0024_CF04))]

    #[test]
    fn mutated_isa_specs_give_an_expansion_or_a_line(mutations in prop::collection::vec(mutation(), 1..4)) {
        let text = mutate(&small_isa(), &mutations);
        if let Err(e) = codegen::isa::generate(&text) {
            let lines = text.lines().count().max(1);
            prop_assert!(e.line >= 1 && e.line <= lines, "line {} of {}: {}", e.line, lines, e.message);
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn mutated_cp0_specs_give_an_expansion_or_a_line(mutations in prop::collection::vec(mutation(), 1..4)) {
        let text = mutate(CP0, &mutations);
        if let Err(e) = codegen::cp0::generate(&text) {
            let lines = text.lines().count().max(1);
            prop_assert!(e.line >= 1 && e.line <= lines, "line {} of {}: {}", e.line, lines, e.message);
            prop_assert!(!e.message.is_empty());
        }
    }
}
