//! Reliability QEMU tests (issue #7): malformed guest device trees
//! (`dts/malformed/*.dts`), malformed terminal input, and the hostile guest
//! (`guests/hostile/`) beside the guest suite.

use crate::qemu::Machine;
use crate::qemu_tests::{with_pack, Images, QemuTest, TIME_LIMIT};
use std::time::Duration;

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "malformed_device_trees", run: malformed_device_trees },
    QemuTest { name: "malformed_terminal_input", run: malformed_terminal_input },
    QemuTest { name: "hostile_guests", run: hostile_guests },
];

/// Serial output with `\r` removed, or an error with the whole transcript
/// unless the machine halted cleanly.
fn halted(run: &crate::process::Captured) -> Result<String, String> {
    let output = run.stdout.replace('\r', "");
    if run.timed_out() || !run.success() {
        return Err(format!(
            "the machine did not halt cleanly: QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}",
            run.ending(),
            run.stderr
        ));
    }
    Ok(output)
}

/// The lines guest `name` printed (without the `[name] ` prefix).
fn guest_lines(output: &str, name: &str) -> String {
    let prefix = format!("[{name}] ");
    output.lines().filter_map(|l| l.strip_prefix(&prefix)).map(|l| format!("{l}\n")).collect()
}

/// The `/* expect: LINE */` comments of a device-tree source, in order.
pub fn expected_refusals(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("/* expect: ")?.strip_suffix(" */"))
        .collect()
}

/// Every `dts/malformed/*.dts`: the hypervisor built with it prints each
/// refusal the file's `expect:` comments name, in order, and its good guest
/// (guest0, the guest suite) runs the whole suite with the native results.
fn malformed_device_trees(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    let dir = crate::qemu::workspace_root().join("dts/malformed");
    let mut sources: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dts"))
        .collect();
    sources.sort();
    if sources.len() < 4 {
        return Err(format!("expected at least 4 files in {}, found {}", dir.display(), sources.len()));
    }
    let mut refused = 0;
    for source in &sources {
        let name = source.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let expected = expected_refusals(&text);
        if expected.len() < 3 {
            return Err(format!("{}: fewer than 3 `expect:` lines", source.display()));
        }
        let elf = crate::image::build_hypervisor_with_dts_only(source, &format!("malformed-{name}"))?;
        let machine = with_pack(Machine::new(&elf), &images.guests);
        let script = format!("vserial bind guest0\n{}\x1dguests wait guest0\nguests\nhalt\n", guests::UART_INPUT);
        let run = machine.run_script(&script, TIME_LIMIT)?;
        let output = halted(&run).map_err(|why| format!("{name}: {why}"))?;
        let context = || format!("{name}.dts; serial output:\n{output}");
        let mut rest = output.as_str();
        for line in &expected {
            match rest.find(line) {
                Some(at) => rest = &rest[at + line.len()..],
                None => return Err(format!("expected {line:?} (in this order): {}", context())),
            }
        }
        let accepted = output.lines().filter(|l| l.starts_with("guest ") && l.contains(": image `")).count();
        if accepted != 1 || !output.contains("guest guest0: image `guest-suite-guest`") {
            return Err(format!("only guest0 should have been accepted: {}", context()));
        }
        let transcript = guest_lines(&output, "guest0");
        guests::check_like_native(&native, &transcript)
            .map_err(|why| format!("guest0: {why}: {}", context()))?;
        refused += expected.len();
    }
    // Put the ordinary image back where the other tests expect it.
    crate::image::build_hypervisor()?;
    println!("      ({refused} malformed guest nodes in {} files refused; guest0 ran its suite each time)", sources.len());
    Ok(())
}

/// A small seeded generator (xorshift32), so the noise is the same each run.
pub struct XorShift(pub u32);

impl XorShift {
    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Terminal input nobody should type: a 10,000-byte line, every control
/// character (but Ctrl-A, QEMU's monitor escape) and 20,000 bytes of seeded
/// binary noise; the shell stays usable (`version` answers after a fresh
/// line) and `halt` works.
fn malformed_terminal_input(images: &Images) -> Result<(), String> {
    let mut input = Vec::new();
    input.extend(std::iter::repeat_n(b'x', 10_000));
    input.push(b'\n');
    input.extend((0u8..0x20).chain([0x7f]).filter(|&b| b != 0x01));
    input.extend(b"~\n");
    let mut rng = XorShift(0x2545_F491);
    let noise: Vec<u8> = (0..20_000).map(|_| rng.next() as u8).filter(|&b| b != 0x01).collect();
    input.extend(&noise);
    // An escape sequence the noise left open ends at the next final byte.
    input.extend(b"~\x15\nversion\nhalt\n");
    let run = Machine::new(&images.hypervisor).run_bytes(&input, TIME_LIMIT)?;
    let output = halted(&run)?;
    let version = format!("mipsvisor {} - trap-and-emulate hypervisor for MIPS32r2", env!("CARGO_PKG_VERSION"));
    let tail = output.rfind("mterm> version\n").map(|at| &output[at..]);
    match tail {
        Some(tail) if tail.contains(&version) && tail.contains("mterm> halt\nhalting") => {}
        _ => return Err(format!("`version` and `halt` after the noise did not answer; serial output:\n{output}")),
    }
    // The long line was cut at the editor's limit and refused as a command.
    let long_line = "x".repeat(128);
    if !output.contains(&format!("mterm> {long_line}")) || output.contains(&format!("{long_line}x")) {
        return Err(format!("the 10,000-byte line was not cut at 128 characters; serial output:\n{output}"));
    }
    println!("      ({} bytes of malformed input; the shell still answers)", input.len());
    Ok(())
}

/// Seeded random instruction words the hostile guest runs in CI (issue #7
/// asks for a million): about 1.7 exits per word, 26-51 s beside the suite
/// on the shared 2-core machine (BENCHMARKS.md, test run times).
/// `HOSTILE_RANDOM_WORDS=N` sets another count.
pub const RANDOM_WORDS: u32 = 1_000_000;

/// The `hostile_guests` boot's own limit: the whole boot takes 31-59 s,
/// about [`TIME_LIMIT`]; three times that leaves room for a slow or busy
/// CI machine.
pub const HOSTILE_TIME_LIMIT: Duration = Duration::from_secs(180);

fn random_words() -> u32 {
    std::env::var("HOSTILE_RANDOM_WORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(RANDOM_WORDS)
}

/// Assembles `source` (with `defines`), links it at the guest-map reset
/// vector and returns the raw binary for a guest's ROM.
fn assemble_rom(name: &str, source: &std::path::Path, defines: &[(&str, u32)]) -> Result<std::path::PathBuf, String> {
    let dir = crate::qemu::target_dir().join("raw-guests");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (object, elf, raw) = (dir.join(format!("{name}.o")), dir.join(format!("{name}.elf")), dir.join(format!("{name}.bin")));
    let mut assemble = std::process::Command::new("mipsel-linux-gnu-as");
    assemble.args(["-EL", "-march=24kf"]);
    for (symbol, value) in defines {
        assemble.arg("--defsym").arg(format!("{symbol}={value}"));
    }
    assemble.arg("-o").arg(&object).arg(source);
    crate::process::output(assemble)?;
    let mut link = std::process::Command::new("mipsel-linux-gnu-ld");
    link.args(["-EL", "-Ttext=0x3fc00000", "-e", "0x3fc00000", "-o"]).arg(&elf).arg(&object);
    crate::process::output(link)?;
    let mut copy = std::process::Command::new("mipsel-linux-gnu-objcopy");
    copy.args(["-O", "binary", "-j", ".text"]).arg(&elf).arg(&raw);
    crate::process::output(copy)?;
    Ok(raw)
}

/// A guest whose exception vectors point nowhere: BEV = 0 with EBase at
/// guest-physical 0x10000000 (nothing there), then a syscall. Every vector
/// fetch is an instruction bus error that would go to the same vector,
/// forever, with interrupts off; the hypervisor stops the guest instead.
const NOWHERE_GUEST: &str = "
    .set noreorder
    .text
    lui   $t0, 0x3000
    mtc0  $t0, $15, 1
    mtc0  $zero, $12
    ehb
    syscall
1:  b     1b
    nop
";

/// The hostile guest (guest0, `guests/hostile/hostile.S`) and a guest whose
/// vectors point nowhere (guest2) beside the guest suite (guest1), with
/// `guests/hostile/hostile.dts`: every attack case gets the architectural
/// answer, the random words run to the end, the suite gives the native
/// results, guest2 is stopped (its vector fetch faults at the vector), and
/// `canaries` finds free host RAM, the hypervisor's data and the unused top
/// of the suite's RAM (`canary-ram` in hostile.dts) intact.
fn hostile_guests(_: &Images) -> Result<(), String> {
    use crate::guests;
    let root = crate::qemu::workspace_root();
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    let hostile = assemble_rom("hostile", &root.join("guests/hostile/hostile.S"), &[("RANDOM_WORDS", random_words())])?;
    let nowhere_source = crate::qemu::target_dir().join("raw-guests").join("nowhere.S");
    std::fs::create_dir_all(nowhere_source.parent().unwrap_or(&nowhere_source))
        .and_then(|()| std::fs::write(&nowhere_source, NOWHERE_GUEST))
        .map_err(|e| format!("cannot write {}: {e}", nowhere_source.display()))?;
    let nowhere = assemble_rom("nowhere", &nowhere_source, &[])?;
    let suite = guests::build_suite(guests::Map::Guest)?;
    let pack = crate::image::guest_pack(&[hostile, suite, nowhere], "hostile3.pack")?;
    let elf = crate::image::build_hypervisor_with_dts(&root.join("guests/hostile/hostile.dts"), "hostile")?;
    let script = format!(
        "vserial bind guest1\n{}\x1dguests wait guest1\nguests wait guest0\nguests\ncanaries\nhalt\n",
        guests::UART_INPUT
    );
    let run = with_pack(Machine::new(&elf), &pack).run_script(&script, HOSTILE_TIME_LIMIT)?;
    let output = halted(&run)?;
    if std::env::var_os("HOSTILE_DUMP").is_some() {
        println!("{output}");
    }
    let context = || format!("serial output:\n{output}");
    let lines = guest_lines(&output, "guest0");
    let failed: Vec<&str> = lines.lines().filter(|l| l.starts_with("F ")).collect();
    let passed = lines.lines().filter(|l| l.starts_with("P ")).count();
    if !failed.is_empty() || passed < 50 {
        return Err(format!("hostile cases: {passed} passed, failed: {failed:?}: {}", context()));
    }
    let verdict = format!("D {passed:04x} 0000");
    if !lines.lines().any(|l| l == verdict) {
        return Err(format!("no verdict line {verdict:?} after the random words: {}", context()));
    }
    let transcript = guest_lines(&output, "guest1");
    guests::check_like_native(&native, &transcript)
        .map_err(|why| format!("guest1: {why}: {}", context()))?;
    // Its exception vector fetch faults at the vector itself: stopped.
    if !output.contains("guest2: stopped: fatal: instruction bus error at its own exception vector") {
        return Err(format!("guest2 (vectors nowhere) should have been stopped: {}", context()));
    }
    // Nothing wrote the free host RAM or the hypervisor's own canaries.
    if !output.contains("mterm> canaries\ncanaries intact: 16384 KiB of free host RAM") {
        return Err(format!("the canaries are not intact: {}", context()));
    }
    // Nor the part of the suite's RAM it never writes (its `canary-ram`).
    if !output.contains("guest1: canaries intact: 4096 KiB of its RAM") {
        return Err(format!("the canaries in guest1's RAM are not intact: {}", context()));
    }
    // The random words run between the last case's line and the verdict.
    let last_case = format!("[guest0] P {passed:02x} ");
    let rate = match (run.time_to(&last_case), run.time_to(&verdict)) {
        (Some(start), Some(end)) if end > start => {
            let seconds = (end - start).as_secs_f64();
            format!(" in {seconds:.1} s ({:.0} words/s)", f64::from(random_words()) / seconds)
        }
        _ => String::new(),
    };
    let exits = output
        .lines()
        .find_map(|l| l.strip_prefix("guest0: ")?.split(", ").find_map(|part| part.strip_suffix(" exits")?.parse::<u64>().ok()))
        .map_or(String::new(), |n| format!(", guest0 {n} exits"));
    println!(
        "      ({passed} attack cases contained, {} random words{rate}{exits}; the suite beside gave the native results)",
        random_words()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_from_the_comments() {
        let text = "\t\t/* expect: guest a: refused: why */\n\ta {};\n/* other */\n";
        assert_eq!(expected_refusals(text), ["guest a: refused: why"]);
    }

    #[test]
    fn every_malformed_tree_names_its_refusals() {
        let dir = crate::qemu::workspace_root().join("dts/malformed");
        let mut total = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            total += expected_refusals(&text).len();
        }
        assert!(total >= 10, "{total} malformed guest nodes");
    }

    #[test]
    fn noise_is_seeded() {
        let mut a = XorShift(7);
        let mut b = XorShift(7);
        assert_eq!((0..10).map(|_| a.next()).collect::<Vec<_>>(), (0..10).map(|_| b.next()).collect::<Vec<_>>());
    }
}
