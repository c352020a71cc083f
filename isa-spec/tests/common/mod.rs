//! Test helpers: a seeded generator and a batch runner for GNU objdump.
#![allow(dead_code)]
use std::io::Write;
use std::process::Command;

pub const OBJDUMP: &str = "mipsel-linux-gnu-objdump";

/// SplitMix64: small, seeded, good enough to spread operand values.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u32
    }
}

/// The seed: `ISA_SEED` if set, else a fixed default (printed, so a failure can be replayed).
pub fn seed() -> u64 {
    let s = std::env::var("ISA_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x24_4b66);
    eprintln!("ISA_SEED={s}");
    s
}

/// The objdump command line for a raw little-endian file of words, in one
/// alias mode (`aliases: false` is `-M no-aliases`).
pub fn objdump_command(path: &std::path::Path, aliases: bool) -> Command {
    let mut cmd = Command::new(OBJDUMP);
    cmd.args(["-D", "-b", "binary", "-m", "mips:isa32r2", "-EL", "-z"]);
    if !aliases {
        cmd.args(["-M", "no-aliases"]);
    }
    cmd.arg(path);
    cmd
}

/// The panic message when objdump cannot be started.
pub fn cannot_run(e: &std::io::Error) -> String {
    format!("cannot run `{OBJDUMP}` ({e}); install it with `cargo xtask setup` (Debian package binutils-mipsel-linux-gnu)")
}

/// Splits one line of objdump's listing, `   1c:\t00000040 \tssnop`, into
/// the address and the instruction text; `None` for the other lines.
pub fn listing_line(line: &str) -> Option<(u32, &str)> {
    let (addr, rest) = line.split_once(":\t")?;
    let addr = addr.trim_start();
    if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let insn = rest.split_once('\t').map(|(_, i)| i).unwrap_or("");
    Some((u32::from_str_radix(addr, 16).ok()?, insn))
}

/// Writes `words` to a new temporary file as little-endian bytes (the
/// caller removes it).
pub fn words_file(words: &[u32]) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("isa-spec-objdump-{}-{n}.bin", std::process::id()));
    let mut bytes = Vec::with_capacity(words.len() * 4);
    for w in words {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    std::fs::File::create(&path).and_then(|mut f| f.write_all(&bytes)).expect("write temporary file");
    path
}

/// Disassembles `words` (placed at address 0, 4, 8, ...) with objdump and
/// returns the instruction text of each, as objdump prints it.
pub fn objdump(words: &[u32], aliases: bool) -> Vec<String> {
    let path = words_file(words);
    let out = match objdump_command(&path, aliases).output() {
        Ok(o) => o,
        Err(e) => panic!("{}", cannot_run(&e)),
    };
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "objdump failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("objdump prints UTF-8");
    let mut result = Vec::with_capacity(words.len());
    for line in text.lines() {
        if let Some((_, insn)) = listing_line(line) {
            result.push(insn.to_string());
        }
    }
    assert_eq!(result.len(), words.len(), "objdump printed {} lines for {} words", result.len(), words.len());
    result
}
