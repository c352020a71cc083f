//! Reliability QEMU tests (issue #7): malformed guest device trees
//! (`dts/malformed/*.dts`) and malformed terminal input.

use crate::qemu::Machine;
use crate::qemu_tests::{with_pack, Images, QemuTest, TIME_LIMIT};

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "malformed_device_trees", run: malformed_device_trees },
    QemuTest { name: "malformed_terminal_input", run: malformed_terminal_input },
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
        guests::compare_results(&native.stdout.replace('\r', ""), &transcript)
            .and_then(|()| guests::check_transcript(&transcript).map(drop))
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
