//! The TLB fuzz (`guests/fuzz`, issue #14): one seeded program of random
//! TLB writes, probes, reads, ASID changes and kernel- and user-mode
//! accesses, run natively on QEMU Malta and as the only guest under the
//! hypervisor; the two transcripts (a hash every 100 blocks, counts, the
//! final hash) must be the same.
//!
//! The parameters (seed, blocks, which blocks print every operation) are
//! the guest's `FUZZ_PARAMS`, patched in a copy of each ELF after its
//! magic. On a difference, both runs are repeated with every operation of
//! the first differing stretch printed, which names the first differing
//! block and operation.
//!
//! `cargo xtask fuzz [--seed N] [--blocks N] [--tlbr-after-tlbwr] [--from B
//! [--to TO]]` runs one comparison; with `--from` it prints both runs'
//! operations for blocks `B..TO` side by side (`-` native, `+` virtualized
//! where they differ).

use crate::process::Captured;
use crate::qemu::{self, Machine};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The generator, compiled here as well so that its tests run on the host.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../guests/fuzz/src/fuzz/gen.rs"]
mod gen;

pub const PACKAGE: &str = "guest-fuzz";
/// The seed and length of the QEMU test (the guest's defaults too).
pub const DEFAULT_SEED: u32 = 0x1405;
pub const TEST_BLOCKS: u32 = 4000;
/// A `block N hash H` line every this many blocks.
pub const CHECKPOINT: u32 = 100;
/// Per boot; 4,000 blocks take about 2 s natively, 6 s virtualized.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);
/// The hypervisor breaks guest lines this long (`devices::vserial::LINE_MAX`).
const LINE_MAX: usize = 120;
/// What precedes the parameter words in the image.
const MAGIC: &[u8; 8] = b"FUZZPRM1";

/// The guest's `FUZZ_PARAMS`, after the magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub seed: u32,
    pub blocks: u32,
    /// Blocks `detail_from..detail_to` print every operation.
    pub detail_from: u32,
    pub detail_to: u32,
    pub checkpoint: u32,
    /// The guest's flags: [`TLBR_AFTER_TLBWR`].
    pub flags: u32,
}

/// After every TLBWR also TLBR, which makes QEMU drop the hidden extra
/// entry it keeps for the entry a TLBWR replaced (a 24K has none, so an
/// access there takes a refill; see the guest's `TLBR_AFTER_TLBWR`).
pub const TLBR_AFTER_TLBWR: u32 = 1;

impl Params {
    pub fn new(seed: u32, blocks: u32) -> Self {
        Params { seed, blocks, detail_from: 0, detail_to: 0, checkpoint: CHECKPOINT, flags: 0 }
    }

    /// The same run, stopping after `to` and detailing `from..to`.
    pub fn detailed(self, from: u32, to: u32) -> Self {
        Params { blocks: to.min(self.blocks), detail_from: from, detail_to: to, ..self }
    }

    fn words(&self) -> [u32; 6] {
        [self.seed, self.blocks, self.detail_from, self.detail_to, self.checkpoint, self.flags]
    }

    /// The `cargo xtask fuzz` options that repeat this run.
    fn options(&self) -> String {
        let flag = if self.flags & TLBR_AFTER_TLBWR != 0 { " --tlbr-after-tlbwr" } else { "" };
        format!("--seed {:#x} --blocks {}{flag}", self.seed, self.blocks)
    }
}

/// Writes `params` after the one occurrence of the magic in `image`.
pub fn patch_bytes(image: &mut [u8], params: &Params) -> Result<(), String> {
    let mut hits = image.windows(MAGIC.len()).enumerate().filter(|(_, w)| w == MAGIC).map(|(i, _)| i);
    let at = match (hits.next(), hits.next()) {
        (Some(at), None) => at + MAGIC.len(),
        (None, _) => return Err("the fuzz image has no FUZZ_PARAMS (magic FUZZPRM1 not found)".into()),
        (Some(_), Some(_)) => return Err("the magic FUZZPRM1 occurs more than once in the fuzz image".into()),
    };
    let bytes: Vec<u8> = params.words().iter().flat_map(|w| w.to_le_bytes()).collect();
    image.get_mut(at..at + bytes.len()).ok_or("FUZZ_PARAMS is cut off")?.copy_from_slice(&bytes);
    Ok(())
}

/// A copy of `elf` with `params`, in `<target>/fuzz/`.
fn patched(elf: &Path, params: &Params) -> Result<PathBuf, String> {
    let mut image = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    patch_bytes(&mut image, params)?;
    let dir = qemu::target_dir().join("fuzz");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = elf.file_name().unwrap_or_default().to_string_lossy();
    let [seed, blocks, from, to, _, flags] = params.words();
    let path = dir.join(format!("{name}-{seed:x}-{blocks}-{from}-{to}-{flags:x}.elf"));
    std::fs::write(&path, image).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The two builds: (native, guest map).
pub fn build() -> Result<(PathBuf, PathBuf), String> {
    Ok((
        qemu::build_baremetal(PACKAGE, "guest-fuzz-native", &[])?,
        qemu::build_baremetal(PACKAGE, "guest-fuzz-guest", &[])?,
    ))
}

/// What one run printed (`\r` removed), how long it took, and how it
/// ended when that was not a clean power-off.
#[derive(Debug)]
pub struct Run {
    pub transcript: String,
    pub seconds: f64,
    pub trouble: Option<String>,
}

fn context(run: &Captured, output: &str) -> String {
    format!(
        "QEMU {}; serial output (last 3000 bytes):\n{}\nQEMU stderr:\n{}",
        run.ending(),
        tail(output, 3000),
        run.stderr
    )
}

fn tail(text: &str, bytes: usize) -> &str {
    let mut at = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(at) {
        at += 1;
    }
    &text[at..]
}

/// The native build booted with `-kernel`.
pub fn run_native(elf: &Path, params: &Params) -> Result<Run, String> {
    let run = Machine::new(patched(elf, params)?).without_boot_flash().run_script("", TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let trouble = (run.timed_out() || !run.success()).then(|| context(&run, &output));
    Ok(Run { transcript: output, seconds: run.elapsed.as_secs_f64(), trouble })
}

/// The guest-map build as guest0, alone, under `hypervisor`; the
/// transcript is guest0's lines (mterm prefixes them with `[guest0] `).
pub fn run_virtualized(hypervisor: &Path, elf: &Path, params: &Params) -> Result<Run, String> {
    let image = patched(elf, params)?;
    let pack_name = format!("{}.pack", image.file_name().unwrap_or_default().to_string_lossy());
    let pack = crate::image::guest_pack(&[image], &pack_name)?;
    let machine = crate::qemu_tests::with_pack(Machine::new(hypervisor), &pack);
    let run = machine.run_script("guests wait guest0\nhalt\n", TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let transcript: String =
        output.lines().filter_map(|line| line.strip_prefix("[guest0] ")).map(|line| format!("{line}\n")).collect();
    let clean = !run.timed_out() && run.success() && output.contains("guest0: powered off");
    let trouble = (!clean).then(|| context(&run, &output));
    Ok(Run { transcript, seconds: run.elapsed.as_secs_f64(), trouble })
}

/// Both runs at once (one QEMU each).
pub fn run_both(hypervisor: &Path, elfs: &(PathBuf, PathBuf), params: &Params) -> Result<(Run, Run), String> {
    let (native, virtualized) = std::thread::scope(|s| {
        let native = s.spawn(|| run_native(&elfs.0, params));
        let virtualized = run_virtualized(hypervisor, &elfs.1, params);
        (native.join().unwrap_or_else(|_| Err("the native run panicked".into())), virtualized)
    });
    Ok((native?, virtualized?))
}

/// The lines both runs must print alike: the banner, the checkpoints, the
/// counts and the final hash.
pub fn summary_lines(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.starts_with("fuzz: ") || l.starts_with("block ")).collect()
}

/// The lines of one detailed block (`bN ...`).
fn block_lines(transcript: &str, block: u32) -> Vec<&str> {
    let prefix = format!("b{block} ");
    transcript.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// The block number of a checkpoint line (`block N hash H`).
fn checkpoint_block(line: &str) -> Option<u32> {
    line.strip_prefix("block ")?.split(' ').next()?.parse().ok()
}

/// Where two transcripts first differ: the index of the summary line, or
/// `None` if they agree.
pub fn first_difference(native: &str, virtualized: &str) -> Option<usize> {
    let (a, b) = (summary_lines(native), summary_lines(virtualized));
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
}

/// The checkpoint stretch `from..to` holding the first difference at
/// summary line `i`: up to the first differing checkpoint, or after the
/// last common one (a run cut short, or only the counts differ).
fn stretch(native: &str, i: usize, params: &Params) -> (u32, u32) {
    let lines = summary_lines(native);
    let last_common = lines[..i.min(lines.len())].iter().rev().find_map(|l| checkpoint_block(l)).unwrap_or(0);
    let end = match lines.get(i).and_then(|l| checkpoint_block(l)) {
        Some(end) => end,
        None => (last_common + params.checkpoint).min(params.blocks),
    };
    (end.saturating_sub(params.checkpoint), end)
}

/// Both runs' operations for `from..to`, compared block by block; the
/// report names the first differing block and operation and shows that
/// block from both runs.
pub fn narrow(
    hypervisor: &Path,
    elfs: &(PathBuf, PathBuf),
    params: &Params,
    from: u32,
    to: u32,
) -> Result<String, String> {
    let detailed = params.detailed(from, to);
    let (native, virtualized) = run_both(hypervisor, elfs, &detailed)?;
    let mut report = String::new();
    if let Some(trouble) = &virtualized.trouble {
        report += &format!("the virtualized run did not end cleanly: {trouble}\n");
    }
    for block in from..to {
        let (a, b) = (block_lines(&native.transcript, block), block_lines(&virtualized.transcript, block));
        if a == b {
            continue;
        }
        report += &format!("first differing block: {block} ({})\n", params.options());
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            let show = |line: Option<&&str>| line.map_or("(nothing)".to_string(), |l| l.to_string());
            report += &format!(
                "first differing operation (#{} of the block):\n  native:      {}\n  virtualized: {}\n",
                i + 1,
                show(a.get(i)),
                show(b.get(i))
            );
        }
        report += &format!("block {block} side by side (`-` native, `+` virtualized where they differ):\n");
        report += &side_by_side(&a, &b);
        report += &format!(
            "(rerun: cargo xtask fuzz {} --from {} --to {})\n",
            params.options(),
            block.saturating_sub(3),
            block + 1
        );
        return Ok(report);
    }
    report += &format!("blocks {from}..{to} print the same operations and hashes in both runs\n");
    Ok(report)
}

fn side_by_side(a: &[&str], b: &[&str]) -> String {
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) if x == y => out += &format!("  {x}\n"),
            (x, y) => {
                if let Some(x) = x {
                    out += &format!("- {x}\n");
                }
                if let Some(y) = y {
                    out += &format!("+ {y}\n");
                }
            }
        }
    }
    out
}

/// One comparison: `Ok` with a one-line summary when the runs agree, else
/// `Err` with what differs, narrowed to the first block and operation.
pub fn compare(hypervisor: &Path, elfs: &(PathBuf, PathBuf), params: &Params) -> Result<String, String> {
    let (native, virtualized) = run_both(hypervisor, elfs, params)?;
    if let Some(trouble) = &native.trouble {
        return Err(format!("the native run did not end cleanly: {trouble}"));
    }
    if let Some(long) = native.transcript.lines().find(|l| l.len() >= LINE_MAX) {
        return Err(format!("the fuzz printed a line the hypervisor would break (at {LINE_MAX} characters): {long}"));
    }
    let final_line = format!("fuzz: {} blocks, hash ", params.blocks);
    if !native.transcript.contains(&final_line) {
        return Err(format!("the native run printed no final hash:\n{}", tail(&native.transcript, 3000)));
    }
    let stats: Vec<&str> = native
        .transcript
        .lines()
        .filter(|l| l.starts_with("fuzz: ") && !l.contains("blocks"))
        .map(|l| l.trim_start_matches("fuzz: "))
        .collect();
    let stats = stats.join("; ");
    let Some(i) =
        first_difference(&native.transcript, &virtualized.transcript).or(virtualized.trouble.as_ref().map(|_| 0))
    else {
        return Ok(format!(
            "{} blocks agree ({}); native {:.1} s, virtualized {:.1} s; {}",
            params.blocks,
            params.options(),
            native.seconds,
            virtualized.seconds,
            stats
        ));
    };
    let (a, b) = (summary_lines(&native.transcript), summary_lines(&virtualized.transcript));
    let show = |line: Option<&&str>| line.map_or("(nothing)".to_string(), |l| l.to_string());
    let mut report = format!(
        "native and virtualized differ ({}; native {:.1} s, virtualized {:.1} s):\n  native:      {}\n  virtualized: {}\n",
        params.options(),
        native.seconds,
        virtualized.seconds,
        show(a.get(i)),
        show(b.get(i))
    );
    if let Some(trouble) = &virtualized.trouble {
        report += &format!("the virtualized run did not end cleanly: {trouble}\n");
    }
    for (run, transcript) in [("native", &native.transcript), ("virtualized", &virtualized.transcript)] {
        for line in transcript.lines().filter(|l| l.starts_with("***")) {
            report += &format!("{run}: {line}\n");
        }
    }
    report += &format!("native counts: {stats}\n");
    let (from, to) = stretch(&native.transcript, i, params);
    report += &narrow(hypervisor, elfs, params, from, to)?;
    Err(report)
}

/// QEMU test: the default seed, [`TEST_BLOCKS`] blocks, must agree.
pub fn qemu_test(images: &crate::qemu_tests::Images) -> Result<(), String> {
    test_against(&images.hypervisor)
}

/// The same with the fuzz guest in the paravirtual mode (`dts/paravirt.dts`).
pub fn qemu_test_paravirtual(_images: &crate::qemu_tests::Images) -> Result<(), String> {
    test_against(&crate::image::paravirt_hypervisor()?)
}

/// The default seed and blocks, natively and as the only guest of `hypervisor`.
fn test_against(hypervisor: &Path) -> Result<(), String> {
    let elfs = build()?;
    let summary = compare(hypervisor, &elfs, &Params::new(DEFAULT_SEED, TEST_BLOCKS))?;
    println!("      ({summary})");
    Ok(())
}

const USAGE: &str = "usage: cargo xtask fuzz [--seed N] [--blocks N] [--tlbr-after-tlbwr] [--from BLOCK [--to BLOCK]]
  --seed N             the generator's seed (decimal or 0x hex; default 0x1405)
  --blocks N           how many blocks (default 4000)
  --tlbr-after-tlbwr   follow every TLBWR with a TLBR, which makes QEMU drop the hidden
                       entry it keeps for the one a TLBWR replaced (a 24K has none)
  --from B             print both runs' operations for blocks B..TO (TO defaults to B + 1)";

fn parse_number(value: Option<&String>, option: &str) -> Result<u32, String> {
    let value = value.ok_or_else(|| format!("{option} needs a number\n\n{USAGE}"))?;
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed.map_err(|_| format!("{option} {value}: not a number\n\n{USAGE}"))
}

/// The options of `cargo xtask fuzz`: the parameters and the detailed
/// range, if any.
fn parse_options(args: &[String]) -> Result<(Params, Option<(u32, u32)>), String> {
    let (mut seed, mut blocks, mut from, mut to, mut flags) = (DEFAULT_SEED, TEST_BLOCKS, None, None, 0);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => seed = parse_number(args.next(), "--seed")?,
            "--blocks" => blocks = parse_number(args.next(), "--blocks")?,
            "--from" => from = Some(parse_number(args.next(), "--from")?),
            "--to" => to = Some(parse_number(args.next(), "--to")?),
            "--tlbr-after-tlbwr" => flags |= TLBR_AFTER_TLBWR,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("fuzz: unknown option `{other}`\n\n{USAGE}")),
        }
    }
    let range = match (from, to) {
        (None, None) => None,
        (Some(from), to) => {
            let to = to.unwrap_or(from + 1);
            if to <= from || to > blocks {
                return Err(format!("--from {from} --to {to}: give {from} < TO <= the block count {blocks}"));
            }
            Some((from, to))
        }
        (None, Some(_)) => return Err(format!("--to needs --from\n\n{USAGE}")),
    };
    Ok((Params { flags, ..Params::new(seed, blocks) }, range))
}

/// `cargo xtask fuzz`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (params, range) = parse_options(args)?;
    crate::setup::ensure()?;
    let hypervisor = crate::image::build_hypervisor()?;
    let elfs = build()?;
    let start = Instant::now();
    match range {
        None => {
            let summary = compare(&hypervisor, &elfs, &params)?;
            println!("xtask: {summary}");
        }
        Some((from, to)) => {
            let (native, virtualized) = run_both(&hypervisor, &elfs, &params.detailed(from, to))?;
            for trouble in [&native.trouble, &virtualized.trouble].into_iter().flatten() {
                println!("{trouble}");
            }
            for block in from..to {
                print!(
                    "{}",
                    side_by_side(&block_lines(&native.transcript, block), &block_lines(&virtualized.transcript, block))
                );
            }
        }
    }
    eprintln!("xtask: fuzz took {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_patched_after_the_magic() {
        let mut image = b"xxFUZZPRM1".to_vec();
        image.extend([0u8; 28]);
        let params = Params { flags: TLBR_AFTER_TLBWR, ..Params::new(0x1405, 2000).detailed(10, 20) };
        patch_bytes(&mut image, &params).unwrap();
        let words: Vec<u32> = image[10..34].chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(words, [0x1405, 20, 10, 20, CHECKPOINT, TLBR_AFTER_TLBWR]);
        assert_eq!(&image[34..], &[0; 4]);
        assert_eq!(params.options(), "--seed 0x1405 --blocks 20 --tlbr-after-tlbwr");
        assert!(patch_bytes(&mut b"nothing".to_vec(), &params).unwrap_err().contains("not found"));
        assert!(patch_bytes(&mut b"FUZZPRM1FUZZPRM1".repeat(3), &params).unwrap_err().contains("more than once"));
        assert!(patch_bytes(&mut b"FUZZPRM1\0\0".to_vec(), &params).unwrap_err().contains("cut off"));
    }

    const NATIVE: &str = "\nfuzz: seed 0x1405, 300 blocks\nb250 k lw 40000000 00000000 -> 00000001\n\
        block 100 hash 11111111\nblock 200 hash 22222222\nblock 300 hash 33333333\nfuzz: 300 blocks, hash 33333333\n";

    #[test]
    fn differences_are_found_by_checkpoint() {
        let params = Params::new(0x1405, 300);
        assert_eq!(first_difference(NATIVE, NATIVE), None);
        let other = NATIVE.replace("block 200 hash 22222222", "block 200 hash 2222222f");
        let i = first_difference(NATIVE, &other).unwrap();
        assert_eq!(summary_lines(NATIVE)[i], "block 200 hash 22222222");
        assert_eq!(stretch(NATIVE, i, &params), (100, 200));
        let cut = "\nfuzz: seed 0x1405, 300 blocks\nblock 100 hash 11111111\n";
        let i = first_difference(NATIVE, cut).unwrap();
        assert_eq!(stretch(NATIVE, i, &params), (100, 200), "up to the first missing checkpoint");
        let stats = NATIVE.replace("fuzz: 300", "fuzz: stats: 1 ops\nfuzz: 300");
        let i = first_difference(&stats, NATIVE).unwrap();
        assert_eq!(stretch(&stats, i, &params), (200, 300));
        assert_eq!(block_lines(NATIVE, 250), ["b250 k lw 40000000 00000000 -> 00000001"]);
        assert_eq!(block_lines(NATIVE, 25), Vec::<&str>::new());
    }

    #[test]
    fn options() {
        let strings = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_options(&[]), Ok((Params::new(DEFAULT_SEED, TEST_BLOCKS), None)));
        assert_eq!(
            parse_options(&strings(&["--seed", "0x10", "--blocks", "500", "--from", "7"])),
            Ok((Params::new(16, 500), Some((7, 8))))
        );
        assert_eq!(parse_options(&strings(&["--from", "7", "--to", "9"])).map(|o| o.1), Ok(Some((7, 9))));
        assert_eq!(parse_options(&strings(&["--tlbr-after-tlbwr"])).map(|o| o.0.flags), Ok(TLBR_AFTER_TLBWR));
        assert!(parse_options(&strings(&["--from", "9", "--to", "9"])).is_err());
        assert!(parse_options(&strings(&["--from", "3999", "--to", "4001"])).is_err());
        assert!(parse_options(&strings(&["--to", "9"])).is_err());
        assert!(parse_options(&strings(&["--seed", "x"])).is_err());
        assert!(parse_options(&strings(&["--fast"])).is_err());
    }
}
