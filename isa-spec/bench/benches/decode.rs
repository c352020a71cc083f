//! `cargo bench -p isa-bench`: decodes the same 10 million words with the
//! generated decoder, a hand-written CP0 `match`, yaxpeax-mips, rabbitizer and
//! capstone (detail off), and prints ns per instruction for decode only and
//! for decode plus text, for uniform random words and for a realistic mix
//! with about 5% CP0 instructions.
//!
//! Methodology, the same for every decoder: the same input buffer (the
//! byte-slice APIs get the same words as little-endian bytes), one
//! `#[inline(never)]` loop per decoder so each is compiled on its own, every
//! result passed through `black_box` and then tested for success (counted), a
//! warm-up pass, then the best of `BENCH_REPS` (default 3) timed passes.
use std::fmt::Write;
use std::hint::black_box;
use std::time::Instant;

use isa_bench::{cp0_match, cp0_only, elf_text, predictable, realistic_mix, uniform, N};
use yaxpeax_arch::{Decoder, U8Reader};

/// Best of `reps` runs of `f` over `words`, in ns per word.
fn time(words: &[u32], reps: usize, mut f: impl FnMut(&[u32]) -> u64) -> f64 {
    black_box(f(words)); // warm-up
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        black_box(f(words));
        best = best.min(t.elapsed().as_nanos() as f64 / words.len() as f64);
    }
    best
}

#[inline(never)]
fn ours_decode(ws: &[u32]) -> u64 {
    let mut ok = 0;
    for &w in ws {
        if black_box(isa_spec::decode(w)).is_ok() {
            ok += 1;
        }
    }
    ok
}

#[inline(never)]
fn ours_text(ws: &[u32]) -> u64 {
    let mut buf = String::with_capacity(64);
    let mut n = 0;
    for (i, &w) in ws.iter().enumerate() {
        buf.clear();
        let _ = write!(buf, "{}", isa_spec::disassemble(w, (i as u32) << 2, true));
        n += black_box(&buf).len() as u64;
    }
    n
}

#[inline(never)]
fn cp0_decode(ws: &[u32]) -> u64 {
    let mut ok = 0;
    for &w in ws {
        if black_box(cp0_match(w)).is_some() {
            ok += 1;
        }
    }
    ok
}

#[inline(never)]
fn yaxpeax_decode(ws: &[u32], bytes: &[u8]) -> u64 {
    let d = yaxpeax_mips::MipsDecoder::default();
    let mut ok = 0;
    for i in 0..ws.len() {
        let mut r = U8Reader::new(&bytes[4 * i..4 * i + 4]);
        if black_box(d.decode(&mut r)).is_ok() {
            ok += 1;
        }
    }
    ok
}

#[allow(dead_code)]
fn yaxpeax_text(ws: &[u32], bytes: &[u8]) -> u64 {
    let d = yaxpeax_mips::MipsDecoder::default();
    let mut buf = String::with_capacity(64);
    let mut n = 0;
    for i in 0..ws.len() {
        let mut r = U8Reader::new(&bytes[4 * i..4 * i + 4]);
        buf.clear();
        match d.decode(&mut r) {
            Ok(insn) => {
                let _ = write!(buf, "{insn}");
            }
            Err(_) => {
                let _ = write!(buf, ".word\t0x{:x}", ws[i]);
            }
        }
        n += black_box(&buf).len() as u64;
    }
    n
}

#[inline(never)]
fn rabbitizer_decode(ws: &[u32]) -> u64 {
    let mut ok = 0;
    for (i, &w) in ws.iter().enumerate() {
        let insn = rabbitizer::Instruction::new(w, (i as u32) << 2, rabbitizer::InstrCategory::CPU);
        if black_box(&insn).is_valid() {
            ok += 1;
        }
    }
    ok
}

#[inline(never)]
fn rabbitizer_text(ws: &[u32]) -> u64 {
    let mut n = 0;
    for (i, &w) in ws.iter().enumerate() {
        let insn = rabbitizer::Instruction::new(w, (i as u32) << 2, rabbitizer::InstrCategory::CPU);
        n += black_box(insn.disassemble(None, 0)).len() as u64;
    }
    n
}

#[inline(never)]
fn capstone_text(ws: &[u32], bytes: &[u8]) -> u64 {
    use capstone::prelude::*;
    let cs = Capstone::new()
        .mips()
        .mode(arch::mips::ArchMode::Mips32)
        .endian(capstone::Endian::Little)
        .detail(false)
        .build()
        .expect("capstone");
    let mut buf = String::with_capacity(64);
    let mut n = 0;
    for i in 0..ws.len() {
        buf.clear();
        match cs.disasm_count(&bytes[4 * i..4 * i + 4], (4 * i) as u64, 1) {
            Ok(insns) if insns.len() == 1 => {
                let insn = insns.iter().next().expect("one");
                let _ = write!(buf, "{}\t{}", insn.mnemonic().unwrap_or(""), insn.op_str().unwrap_or(""));
            }
            _ => {
                let _ = write!(buf, ".word\t0x{:x}", ws[i]);
            }
        }
        n += black_box(&buf).len() as u64;
    }
    n
}

/// The real instruction stream: the hypervisor image's executable sections
/// (`BENCH_ELF` overrides the path; by default the image `cargo xtask
/// build` left in this target directory).
fn real_binary() -> Option<(std::path::PathBuf, Vec<u32>)> {
    let path = match std::env::var_os("BENCH_ELF") {
        Some(p) => std::path::PathBuf::from(p),
        // target/release/deps/decode-… → target/mipsel-unknown-none/release/hypervisor
        None => std::env::current_exe().ok()?.parent()?.parent()?.parent()?.join("mipsel-unknown-none/release/hypervisor"),
    };
    let words = elf_text(&path)?;
    Some((path, words))
}

fn main() {
    let reps = std::env::var("BENCH_REPS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    // BENCH_QUICK=1: decode-only rows (ours, the CP0 `match`, yaxpeax-mips).
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    println!("{N} words per input, best of {reps} runs, ns per instruction");
    let mut inputs = vec![
        ("uniform random".to_string(), uniform()),
        ("realistic mix (5% CP0)".to_string(), realistic_mix()),
        ("addiu only (predictable)".to_string(), predictable()),
        ("CP0 instructions only".to_string(), cp0_only()),
    ];
    match real_binary() {
        Some((path, words)) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            println!("real binary: the executable sections of {}, repeated", path.display());
            inputs.push((format!("real binary ({name} .text)"), words));
        }
        None => println!("real binary: none (run `cargo xtask build` first, or set BENCH_ELF to a MIPS32 little-endian ELF)"),
    }
    println!();
    println!("| decoder | input | decode only | decode + text |");
    println!("|---|---|---:|---:|");
    let mut ratios = Vec::new();
    for (label, words) in inputs {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let row = |name: &str, d: Option<f64>, t: Option<f64>| {
            let f = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into());
            println!("| {name} | {label} | {} | {} |", f(d), f(t));
        };
        let ours = time(&words, reps, ours_decode);
        let ours_t = if quick { None } else { Some(time(&words, reps, ours_text)) };
        row("isa-spec (generated, full ISA)", Some(ours), ours_t);
        let cp0 = time(&words, reps, cp0_decode);
        row("hand-written CP0 `match`", Some(cp0), None);
        // yaxpeax-mips 0.1.0 transmutes unchecked opcode bytes into its
        // `Opcode` enum; formatting such a value crashes (SIGILL) on both
        // inputs, so only its decode is measured (`yaxpeax_text` is kept for
        // a fixed release).
        let yax = time(&words, reps, |w| yaxpeax_decode(w, &bytes));
        row("yaxpeax-mips 0.1.0", Some(yax), None);
        let Some(ours_t) = ours_t else {
            ratios.push(format!("{label}: decode / yaxpeax-mips {:.2} (target <= 0.25), decode / CP0 match {:.2} (target <= 2)", ours / yax, ours / cp0));
            continue;
        };
        let rabbit_t = time(&words, reps, rabbitizer_text);
        row("rabbitizer 1.16.2", Some(time(&words, reps, rabbitizer_decode)), Some(rabbit_t));
        let cs_t = time(&words, 1, |w| capstone_text(w, &bytes));
        row("capstone 0.12 (detail off)", None, Some(cs_t));
        ratios.push(format!(
            "{label}: decode / yaxpeax-mips {:.2} (target <= 0.25), decode / CP0 match {:.2} (target <= 2), text / fastest peer {:.2} (target <= 0.5)",
            ours / yax,
            ours / cp0,
            ours_t / rabbit_t.min(cs_t)
        ));
    }
    println!();
    for r in ratios {
        println!("{r}");
    }
}
