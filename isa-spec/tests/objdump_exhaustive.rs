//! Whole opcode spaces against GNU objdump (ignored by default; run in release mode):
//!
//! ```text
//! cargo test --release -p isa-spec --test objdump_exhaustive -- --ignored --nocapture
//! ISA_MAJORS=cop0,0x1f cargo test --release -p isa-spec --test objdump_exhaustive -- --ignored --nocapture
//! ```
//!
//! Every word of the major opcodes whose other bits objdump looks at (see
//! [`EXHAUSTIVE`]) and a seeded sample of 2^20 words of every other major
//! opcode go through objdump in chunks of 2^20 words, one objdump run per
//! chunk and alias mode, on all cores. For every word it checks that
//! `disassemble` prints objdump's text in both alias modes, and that the
//! CPU view agrees with the objdump view where the spec says they agree
//! (see [`check_views`]). `ISA_MAJORS` (names or numbers, comma-separated)
//! picks some major opcodes; `ISA_SEED` changes the sample.
mod common;
use common::{cannot_run, listing_line, objdump_command, seed, words_file, Rng};
use core::fmt::Write as _;
use isa_spec::{decode, decode_objdump, disassemble, Insn, Pattern, PATTERNS};
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The major opcodes covered word by word: objdump's decoding of them
/// depends on bits below the opcode (sub-opcodes, fields that must be zero,
/// or both). For every other major opcode objdump prints every word as the
/// same instruction, or none as an instruction, so a sample suffices.
const EXHAUSTIVE: [u32; 14] = [0x00, 0x01, 0x06, 0x07, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x1c, 0x1e, 0x1f];

/// The words of one objdump run.
const CHUNK: u32 = 1 << 20;
/// The sample of a major opcode outside [`EXHAUSTIVE`], in chunks of `CHUNK / 4`.
const SAMPLE: u32 = 1 << 20;

/// Major opcode names (the instruction, or the opcode space); `-` is unused in MIPS32.
const MAJORS: [&str; 64] = [
    "special", "regimm", "j", "jal", "beq", "bne", "blez", "bgtz", //
    "addi", "addiu", "slti", "sltiu", "andi", "ori", "xori", "lui", //
    "cop0", "cop1", "cop2", "cop1x", "beql", "bnel", "blezl", "bgtzl", //
    "-", "-", "-", "-", "special2", "jalx", "msa", "special3", //
    "lb", "lh", "lwl", "lw", "lbu", "lhu", "lwr", "-", //
    "sb", "sh", "swl", "sw", "-", "-", "swr", "cache", //
    "ll", "lwc1", "lwc2", "pref", "-", "ldc1", "ldc2", "-", //
    "sc", "swc1", "swc2", "-", "-", "sdc1", "sdc2", "-",
];

/// A group of mismatches: their number per alias mode and a few examples.
#[derive(Default)]
struct Group {
    count: [u64; 2],
    examples: Vec<String>,
}

/// What one worker found.
#[derive(Default)]
struct Tally {
    words: u64,
    /// Words objdump prints as an instruction (without `-M no-aliases`).
    objdump_decodes: u64,
    /// Words `decode` accepts (the 24Kf executes).
    cpu_decodes: u64,
    /// Mismatches by (kind, our instruction, objdump's mnemonic).
    groups: BTreeMap<(&'static str, String, String), Group>,
}

impl Tally {
    fn add(&mut self, kind: &'static str, ours: &str, theirs: &str, mode: usize, example: String) {
        let g = self.groups.entry((kind, ours.to_string(), theirs.to_string())).or_default();
        g.count[mode] += 1;
        if g.examples.len() < 4 {
            g.examples.push(example);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.words += other.words;
        self.objdump_decodes += other.objdump_decodes;
        self.cpu_decodes += other.cpu_decodes;
        for (key, g) in other.groups {
            let mine = self.groups.entry(key).or_default();
            mine.count[0] += g.count[0];
            mine.count[1] += g.count[1];
            let room = 4usize.saturating_sub(mine.examples.len());
            mine.examples.extend(g.examples.into_iter().take(room));
        }
    }

    fn mismatches(&self) -> u64 {
        self.groups.values().map(|g| g.count[0] + g.count[1]).sum()
    }
}

/// The spec pattern of an instruction.
fn pattern_of(patterns: &HashMap<&'static str, &'static Pattern>, insn: &Insn) -> &'static Pattern {
    patterns[insn.name()]
}

/// The mnemonic of an objdump text (`.word` for a word it does not decode).
fn mnemonic(text: &str) -> &str {
    text.split(['\t', ' ']).next().unwrap_or("")
}

/// The checks between the two views that do not need objdump's text, on
/// words objdump prints as an instruction (`objdump_decodes`) or not:
/// - objdump decodes the word as a pattern that is neither `objdump-only`
///   nor `cpu-valid`: `decode` must give the same instruction;
/// - `decode` accepts the word with the bits the CPU ignores zero, and its
///   pattern is not `cpu-only`: objdump must print that instruction.
fn check_views(w: u32, objdump_decodes: bool, patterns: &HashMap<&'static str, &'static Pattern>, tally: &mut Tally) {
    let cpu = decode(w);
    let view = decode_objdump(w);
    if objdump_decodes {
        if let Some(i) = view {
            let p = pattern_of(patterns, &i);
            if !p.objdump_only && p.cpu_valid.is_none() && cpu != Ok(i) {
                let ours = cpu.map(|c| c.name()).unwrap_or("reserved");
                tally.add("decode differs from the objdump view", ours, i.name(), 0, format!("{w:08x}: decode {cpu:?}, objdump view {i:?}"));
            }
        }
    }
    if let Ok(i) = cpu {
        let p = pattern_of(patterns, &i);
        if w & i.ignored_bits() == 0 && !p.cpu_only && view != Some(i) {
            let theirs = view.map(|v| v.name()).unwrap_or(".word");
            tally.add("objdump view differs from decode", i.name(), theirs, 0, format!("{w:08x}: decode {i:?}, objdump view {view:?}"));
        }
    }
}

/// Runs objdump on `words` (word i at address 4·i) in both alias modes and
/// compares its text with ours word by word, streaming its output.
fn check_chunk(words: &[u32], patterns: &HashMap<&'static str, &'static Pattern>, tally: &mut Tally) {
    let path = words_file(words);
    for (mode, aliases) in [(0, true), (1, false)] {
        let mut child = objdump_command(&path, aliases).stdout(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{}", cannot_run(&e)));
        let mut out = std::io::BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped stdout"));
        let (mut line, mut ours) = (String::new(), String::new());
        let mut next = 0usize;
        while out.read_line(&mut line).expect("read objdump's output") > 0 {
            if let Some((pc, theirs)) = listing_line(line.trim_end_matches('\n')) {
                assert_eq!(pc as usize, 4 * next, "objdump's listing skips an address");
                let w = words[next];
                next += 1;
                ours.clear();
                write!(ours, "{}", disassemble(w, pc, aliases)).expect("formatting cannot fail");
                if ours != theirs {
                    let name = decode_objdump(w).map(|i| i.name()).unwrap_or(".word");
                    let mode_name = if aliases { "" } else { " (no-aliases)" };
                    tally.add("text", name, mnemonic(theirs), mode, format!("{w:08x}{mode_name}: ours `{ours}`, objdump `{theirs}`"));
                }
                if aliases {
                    let objdump_decodes = !theirs.starts_with(".word");
                    tally.objdump_decodes += u64::from(objdump_decodes);
                    tally.cpu_decodes += u64::from(decode(w).is_ok());
                    check_views(w, objdump_decodes, patterns, tally);
                }
            }
            line.clear();
        }
        let status = child.wait().expect("wait for objdump");
        assert!(status.success(), "objdump failed ({status})");
        assert_eq!(next, words.len(), "objdump printed {next} lines for {} words", words.len());
    }
    tally.words += words.len() as u64;
    let _ = std::fs::remove_file(&path);
}

/// One major opcode: all its 2^26 words or a seeded sample, over `threads` workers.
fn check_major(major: u32, exhaustive: bool, seed: u64, threads: usize) -> Tally {
    let patterns: HashMap<&'static str, &'static Pattern> = PATTERNS.iter().map(|p| (p.name, p)).collect();
    let (chunks, size) = if exhaustive { ((1 << 26) / CHUNK, CHUNK) } else { (4, SAMPLE / 4) };
    let chunk_words = |c: u32| -> Vec<u32> {
        if exhaustive {
            (0..size).map(|i| major << 26 | (c * size + i)).collect()
        } else {
            let mut rng = Rng(seed ^ u64::from(major) << 32 ^ u64::from(c) << 40);
            (0..size).map(|_| major << 26 | (rng.next_u32() & 0x03ff_ffff)).collect()
        }
    };
    let next = AtomicUsize::new(0);
    let mut total = Tally::default();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut tally = Tally::default();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed) as u32;
                        if c >= chunks {
                            return tally;
                        }
                        check_chunk(&chunk_words(c), &patterns, &mut tally);
                    }
                })
            })
            .collect();
        for w in workers {
            total.merge(w.join().expect("worker"));
        }
    });
    total
}

/// The major opcodes `ISA_MAJORS` names (numbers in hex with `0x` or
/// decimal, or the names in [`MAJORS`]); all 64 when unset.
fn selected_majors() -> Vec<u32> {
    let Ok(list) = std::env::var("ISA_MAJORS") else { return (0..64).collect() };
    list.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let n = match s.strip_prefix("0x") {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => s.parse().ok().or_else(|| MAJORS.iter().position(|&m| m == s).map(|p| p as u32)),
            };
            match n {
                Some(n) if n < 64 => n,
                _ => panic!("ISA_MAJORS: `{s}` is not a major opcode (0x00..0x3f or a name like cop0, special3)"),
            }
        })
        .collect()
}

#[test]
#[ignore = "objdump on about a billion words: run in release mode, see the file's header"]
fn whole_opcode_spaces_agree_with_objdump() {
    let seed = seed();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let start = Instant::now();
    let mut all = Tally::default();
    for major in selected_majors() {
        let exhaustive = EXHAUSTIVE.contains(&major);
        let t = Instant::now();
        let tally = check_major(major, exhaustive, seed, threads);
        eprintln!(
            "0x{major:02x} {:<8} {:>9} words ({}): objdump decodes {:>9}, decode accepts {:>9}, {} mismatches, {:.1} s",
            MAJORS[major as usize],
            tally.words,
            if exhaustive { "all" } else { "sample" },
            tally.objdump_decodes,
            tally.cpu_decodes,
            tally.mismatches(),
            t.elapsed().as_secs_f64()
        );
        all.merge(tally);
    }
    eprintln!("{} words, {:.1} s on {threads} threads", all.words, start.elapsed().as_secs_f64());
    let mut groups: Vec<_> = all.groups.iter().collect();
    groups.sort_by_key(|(_, g)| std::cmp::Reverse(g.count[0] + g.count[1]));
    for ((kind, ours, theirs), g) in groups.iter().take(60) {
        eprintln!("{kind}: ours {ours}, objdump {theirs}: {} with aliases, {} without", g.count[0], g.count[1]);
        for e in &g.examples {
            eprintln!("    {e}");
        }
    }
    if groups.len() > 60 {
        eprintln!("... and {} more groups", groups.len() - 60);
    }
    assert!(groups.is_empty(), "{} mismatches in {} groups", all.mismatches(), groups.len());
}
