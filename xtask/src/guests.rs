//! The guest programs in `guests/`: building the guest test suite for both
//! address maps, running it natively on QEMU Malta, and reading its
//! transcript (one `PASS name` / `FAIL name: detail` line per case, then
//! `N passed, M failed`), so that the virtualized run can be compared with
//! the native one case by case; building the console guest and its QEMU
//! test.

use crate::process::{self, Captured};
use crate::qemu::{self, Machine};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The suite's package; one binary per address map.
pub const SUITE_PACKAGE: &str = "guest-suite";
/// What the harness types at the suite's `uart-input>` prompt.
pub const UART_INPUT: &str = "ping\r";
/// The issue asks for at least this many cases.
pub const MIN_CASES: usize = 60;
/// A native run takes about a second; this only stops a hung suite.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The two link layouts of the same source (see `guests/README.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Map {
    /// KSEG0 at 0x80100000, booted by QEMU's `-kernel`.
    Native,
    /// Guest KSEG0 at 0x00100000 plus the reset stub at 0x3FC00000.
    Guest,
}

impl Map {
    pub fn bin(self) -> &'static str {
        match self {
            Map::Native => "guest-suite-native",
            Map::Guest => "guest-suite-guest",
        }
    }
}

/// Builds the suite for `map`; both binaries coexist in the target dir.
pub fn build_suite(map: Map) -> Result<PathBuf, String> {
    qemu::build_baremetal(SUITE_PACKAGE, map.bin(), &[])
}

/// The console guest's package and its two binaries.
pub const CONSOLE_PACKAGE: &str = "guest-console";

/// Builds the console guest for the guest map (the ELF `cargo xtask run`
/// gives guest0 by default).
pub fn build_console() -> Result<PathBuf, String> {
    qemu::build_baremetal(CONSOLE_PACKAGE, "guest-console-guest", &[])
}

/// Builds the console guest for native KSEG0 (booted with `-kernel`).
pub fn build_console_native() -> Result<PathBuf, String> {
    qemu::build_baremetal(CONSOLE_PACKAGE, "guest-console-native", &[])
}

/// The default guests of `cargo xtask run`: the console as guest0, the
/// suite as guest1.
pub fn run_defaults() -> Result<Vec<PathBuf>, String> {
    Ok(vec![build_console()?, build_suite(Map::Guest)?])
}

/// What the console test types: `help`, a line, a line with a DEL, an
/// empty line (CR LF: one Enter), `ticks`, a line ended by LF.
const CONSOLE_INPUT: &str = "help\rhello world\rabcd\x7fx\r\r\nticks\rfoo\n";

/// What the console must print for [`CONSOLE_INPUT`] and a closing
/// `poweroff`, in order (`\r` removed).
const CONSOLE_ANSWERS: &[&str] = &[
    "console: ready\n> help\ncommands:\n  help      this list\n",
    "  ticks     the CP0 Count register\n",
    "  poweroff  power off (Malta software-reset register)\n",
    "anything else is echoed back\n> hello world\nyou typed: hello world\n",
    "> abcd\x08 \x08x\nyou typed: abcx\n",
    "> \n> ticks\nticks: ",
    "\n> foo\nyou typed: foo\n",
    "> poweroff\nconsole: powering off\n",
];

/// Checks that `output` holds every answer in order, each line exactly
/// once (an empty line is one Enter, CR LF included); returns the Count
/// value `ticks` printed.
fn check_console_output(output: &str) -> Result<u32, String> {
    let mut rest = output;
    for answer in CONSOLE_ANSWERS {
        let at = rest.find(answer).ok_or_else(|| format!("expected {answer:?} (in this order)"))?;
        rest = &rest[at + answer.len()..];
    }
    if output.matches("> ").count() != 7 {
        return Err(format!("expected 7 prompts (one per Enter and the first), saw {}", output.matches("> ").count()));
    }
    let ticks = output.split("ticks: ").nth(1).and_then(|t| t.lines().next()).unwrap_or_default();
    ticks.trim().parse().map_err(|_| format!("`ticks` answered {ticks:?}, not a number"))
}

/// QEMU test: the console guest, natively (`-kernel`, its UART interrupt
/// through the southbridge's i8259) and as guest0 alone under the
/// hypervisor (its virtual UART on IP2), answers typed lines; it reads
/// them through its receive interrupt and sleeps in WAIT meanwhile.
pub fn console_guest(images: &crate::qemu_tests::Images) -> Result<(), String> {
    let script = format!("{CONSOLE_INPUT}poweroff\r");
    let native = Machine::new(&build_console_native()?).without_boot_flash().run_script(&script, TIME_LIMIT)?;
    let output = native.stdout.replace('\r', "");
    let context = |run: &Captured, output: &str| format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if native.timed_out() || !native.success() {
        return Err(format!("natively, the console did not power off: {}", context(&native, &output)));
    }
    check_console_output(&output).map_err(|why| format!("natively: {why}: {}", context(&native, &output)))?;

    let pack = crate::image::guest_pack(&[build_console()?], "console.pack")?;
    let machine = crate::qemu_tests::with_pack(Machine::new(&images.hypervisor), &pack);
    // Typed while bound; `guests wait` returns once the console has
    // answered everything and powered off; the dump is its output as sent.
    let script = format!("vserial bind guest0\n{CONSOLE_INPUT}poweroff\r\x1dguests wait guest0\nvserial dump guest0\nhalt\n");
    let run = machine.run_script(&script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context(&run, &output)));
    }
    for line in ["guest guest1: refused: image 1 is missing", "guest0: powered off"] {
        if !output.contains(line) {
            return Err(format!("expected {line:?}: {}", context(&run, &output)));
        }
    }
    let dump = output.split("mterm> vserial dump guest0\n").nth(1).unwrap_or_default();
    let dump = dump.split("--- end of guest0 ---").next().unwrap_or_default();
    let ticks = check_console_output(dump).map_err(|why| format!("virtualized: {why}: {}", context(&run, &output)))?;
    println!("      (answered natively and virtualized; guest Count at `ticks`: {ticks})");
    Ok(())
}

/// The per-case result lines of a transcript, without failure details:
/// `PASS name` or `FAIL name`, in order. Two runs agree when these agree.
pub fn case_results(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter_map(|line| {
            let (verdict, rest) = line.split_once(' ')?;
            if verdict != "PASS" && verdict != "FAIL" {
                return None;
            }
            let name = rest.split(':').next().unwrap_or(rest).trim();
            Some(format!("{verdict} {name}"))
        })
        .collect()
}

/// The closing `N passed, M failed` line, as (N, M).
pub fn summary(transcript: &str) -> Option<(usize, usize)> {
    transcript.lines().rev().find_map(|line| {
        let (passed, failed) = line.trim().split_once(" passed, ")?;
        let failed = failed.strip_suffix(" failed")?;
        Some((passed.parse().ok()?, failed.parse().ok()?))
    })
}

/// Checks that a transcript is complete and all green with at least
/// `MIN_CASES` cases; returns the number of cases.
pub fn check_transcript(transcript: &str) -> Result<usize, String> {
    let results = case_results(transcript);
    let (passed, failed) = summary(transcript).ok_or("no `N passed, M failed` line")?;
    if passed + failed != results.len() {
        return Err(format!("the summary counts {} cases but {} result lines were printed", passed + failed, results.len()));
    }
    let failures: Vec<&String> = results.iter().filter(|r| r.starts_with("FAIL")).collect();
    if failed != 0 || !failures.is_empty() {
        return Err(format!("{failed} case(s) failed: {failures:?}"));
    }
    if passed < MIN_CASES {
        return Err(format!("only {passed} cases ran (at least {MIN_CASES} required)"));
    }
    Ok(passed)
}

/// Compares two runs' per-case results line by line. For the virtualized
/// run, once the hypervisor runs guests.
pub fn compare_results(native: &str, virtualized: &str) -> Result<(), String> {
    let (a, b) = (case_results(native), case_results(virtualized));
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        let show = |r: Option<&String>| r.map_or("(nothing)".to_string(), |s| s.clone());
        return Err(format!(
            "case {} differs: native `{}`, virtualized `{}` ({} vs {} cases)",
            i + 1,
            show(a.get(i)),
            show(b.get(i)),
            a.len(),
            b.len()
        ));
    }
    Ok(())
}

/// A virtualized suite transcript against the native run: the same
/// per-case results, and a complete transcript.
pub fn check_like_native(native: &Captured, transcript: &str) -> Result<(), String> {
    compare_results(&native.stdout.replace('\r', ""), transcript).and_then(|()| check_transcript(transcript).map(drop))
}

/// Boots the native build with `-kernel` and types the UART input.
pub fn run_native(elf: &Path) -> Result<Captured, String> {
    Machine::new(elf).without_boot_flash().run_script(UART_INPUT, TIME_LIMIT)
}

/// Checks a native run: clean halt, the input echoed, all cases passed.
pub fn check_native_run(run: &Captured) -> Result<usize, String> {
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the suite did not halt cleanly: {}", context()));
    }
    if !output.contains("uart-input> ping\n") {
        return Err(format!("the UART input was not echoed: {}", context()));
    }
    check_transcript(&output).map_err(|why| format!("{why}: {}", context()))
}

/// The (VMA, name) of every allocated section `objdump -h` lists.
pub fn section_addresses(elf: &Path) -> Result<Vec<(u32, String)>, String> {
    let mut objdump = Command::new("mipsel-linux-gnu-objdump");
    objdump.arg("-h").arg(elf);
    let table = process::output(objdump)?;
    let mut sections = Vec::new();
    let mut lines = table.lines();
    while let Some(line) = lines.next() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "Idx Name Size VMA LMA File-off Algn", then a flags line.
        if fields.len() == 7 && fields[0].parse::<u32>().is_ok() {
            let flags = lines.next().unwrap_or_default();
            if let (true, Ok(vma)) = (flags.contains("LOAD"), u32::from_str_radix(fields[3], 16)) {
                sections.push((vma, fields[1].to_string()));
            }
        }
    }
    Ok(sections)
}

/// The guest-map build must load at guest KSEG0 0x00100000 (the vectors
/// first: EBase) and hold the reset stub at 0x3FC00000.
pub fn check_guest_layout(elf: &Path) -> Result<(), String> {
    let sections = section_addresses(elf)?;
    for (vma, name) in [(0x0010_0000, ".vectors"), (0x3FC0_0000, ".reset")] {
        if !sections.iter().any(|(v, n)| *v == vma && n == name) {
            return Err(format!("{}: no loadable {name} at {vma:#010x}; sections: {sections:x?}", elf.display()));
        }
    }
    if let Some((vma, name)) = sections.iter().find(|(v, _)| *v >= 0x2000_0000 && *v != 0x3FC0_0000) {
        return Err(format!("{}: section {name} at {vma:#010x} is outside guest KSEG0 and the ROM", elf.display()));
    }
    Ok(())
}

/// QEMU test: the native build passes every case.
pub fn suite_native(_: &crate::qemu_tests::Images) -> Result<(), String> {
    let elf = build_suite(Map::Native)?;
    let run = run_native(&elf)?;
    let cases = check_native_run(&run)?;
    println!("      ({cases} cases passed natively in {:.1} s)", run.elapsed.as_secs_f64());
    Ok(())
}

/// QEMU test list entry: the guest-map build links at the guest addresses.
pub fn suite_guest_map_build(_: &crate::qemu_tests::Images) -> Result<(), String> {
    check_guest_layout(&build_suite(Map::Guest)?)
}

const USAGE: &str = "usage: cargo xtask guest-suite [--native | --build]
  --native   build the suite and run it natively on QEMU Malta (default)
  --build    build both maps and print the ELF paths";

/// `cargo xtask guest-suite [--native | --build]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let native = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["--native"] => true,
        ["--build"] => false,
        _ => return Err(USAGE.into()),
    };
    crate::setup::ensure()?;
    let guest = build_suite(Map::Guest)?;
    check_guest_layout(&guest)?;
    let elf = build_suite(Map::Native)?;
    if !native {
        println!("native:    {}\nguest map: {}", elf.display(), guest.display());
        return Ok(());
    }
    let run = run_native(&elf)?;
    print!("{}", run.stdout.replace('\r', ""));
    let cases = check_native_run(&run)?;
    println!("xtask: {cases} cases passed natively");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSCRIPT: &str = "\r\nguest-suite: 3 cases\r\nPASS cp0.prid\r\nFAIL tlb.probe: Index: got 0x5, want 0x6\r\n\
        uart-input> ping\r\nPASS uart.input_ping\r\n2 passed, 1 failed\r\n";

    #[test]
    fn results_drop_details() {
        assert_eq!(case_results(TRANSCRIPT), ["PASS cp0.prid", "FAIL tlb.probe", "PASS uart.input_ping"]);
        assert_eq!(summary(TRANSCRIPT), Some((2, 1)));
        assert_eq!(summary("PASS x\n"), None);
    }

    #[test]
    fn transcripts_must_be_green_and_long_enough() {
        assert!(check_transcript(TRANSCRIPT).unwrap_err().starts_with("1 case(s) failed"));
        let short = "PASS a\nPASS b\n2 passed, 0 failed\n";
        assert!(check_transcript(short).unwrap_err().starts_with("only 2 cases"));
        let many: String = (0..MIN_CASES).map(|i| format!("PASS c{i}\n")).collect();
        assert_eq!(check_transcript(&format!("{many}{MIN_CASES} passed, 0 failed\n")), Ok(MIN_CASES));
        assert!(check_transcript(&format!("{many}61 passed, 0 failed\n")).unwrap_err().contains("result lines"));
    }

    #[test]
    fn comparison_is_case_by_case() {
        let other = TRANSCRIPT.replace("FAIL tlb.probe: Index: got 0x5", "FAIL tlb.probe: Index: got 0x7");
        assert_eq!(compare_results(TRANSCRIPT, &other), Ok(()));
        let differs = TRANSCRIPT.replace("PASS cp0.prid", "FAIL cp0.prid: PRId");
        assert_eq!(
            compare_results(TRANSCRIPT, &differs).unwrap_err(),
            "case 1 differs: native `PASS cp0.prid`, virtualized `FAIL cp0.prid` (3 vs 3 cases)"
        );
        let truncated = "PASS cp0.prid\n";
        assert!(compare_results(TRANSCRIPT, truncated).unwrap_err().contains("virtualized `(nothing)`"));
    }

    #[test]
    fn console_answers() {
        let good = "console: ready\n> help\ncommands:\n  help      this list\n  ticks     the CP0 Count register\n\
            \x20 poweroff  power off (Malta software-reset register)\nanything else is echoed back\n\
            > hello world\nyou typed: hello world\n> abcd\x08 \x08x\nyou typed: abcx\n> \n> ticks\nticks: 1234\n\
            > foo\nyou typed: foo\n> poweroff\nconsole: powering off\n";
        assert_eq!(check_console_output(good), Ok(1234));
        let two_enters = good.replace("> \n> ticks", "> \n> \n> ticks");
        assert!(check_console_output(&two_enters).unwrap_err().starts_with("expected 7 prompts"));
        let no_erase = good.replace("abcd\x08 \x08x", "abcdx");
        assert!(check_console_output(&no_erase).unwrap_err().contains("abcd"));
    }

    #[test]
    fn map_binaries() {
        assert_eq!(Map::Native.bin(), "guest-suite-native");
        assert_eq!(Map::Guest.bin(), "guest-suite-guest");
    }
}
