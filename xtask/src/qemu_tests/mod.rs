//! The QEMU test suite run by `cargo xtask test`: each test boots an image
//! on QEMU Malta, drives it over the host serial port and checks what comes
//! back. This file is the harness (the images, [`expect_session`],
//! [`Session`], the runner); the tests are grouped by subject, one module
//! each with its `TESTS` list, chained in [`all`]: the terminal (`mterm`),
//! booting and exceptions (`boot`), the guests of `guests/` (`guests`), raw
//! guests from `guests/raw/` (`raw_guests`), and outside this folder the
//! reliability tests (`crate::hostile`) and Linux (`crate::linux_guest`).
//! Build any extra image inside the test function with
//! [`crate::qemu::build_baremetal`].

mod boot;
mod console;
mod guests;
mod mterm;
mod raw_guests;

pub use console::guest_lines;
use crate::process::Captured;
use crate::qemu::Machine;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Images built once before the tests run.
pub struct Images {
    pub hypervisor: PathBuf,
    /// The default guest images (`dts/host.dts` guest0 and guest1), packed.
    pub guests: PathBuf,
}

impl Images {
    /// The hypervisor with the default guests.
    pub fn with_guests(&self) -> Machine {
        with_pack(Machine::new(&self.hypervisor), &self.guests)
    }

    /// The hypervisor whose guest0 has no board
    /// ([`crate::image::plain_guest0_hypervisor`]).
    pub fn plain_guest0(&self) -> Result<PathBuf, String> {
        crate::image::plain_guest0_hypervisor()
    }
}

/// `machine` with the guest image pack `pack` loaded.
pub fn with_pack(mut machine: Machine, pack: &std::path::Path) -> Machine {
    for arg in crate::image::pack_args(pack) {
        machine = machine.arg(arg);
    }
    machine
}

pub struct QemuTest {
    pub name: &'static str,
    pub run: fn(&Images) -> Result<(), String>,
}

/// Every QEMU test, in the order they run.
pub fn all() -> Vec<&'static QemuTest> {
    let groups: [&[QemuTest]; 6] =
        [mterm::TESTS, boot::TESTS, guests::TESTS, raw_guests::TESTS, crate::hostile::TESTS, crate::linux_guest::TESTS];
    groups.into_iter().flatten().collect()
}

/// Time limit for one boot; a normal run takes about a second.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// Boots `machine` with `script` on the serial port and checks that QEMU
/// exited with status 0 (the hypervisor halted) and printed every line of
/// `expected`, in order (`\r` removed from the output before matching).
pub fn expect_session(machine: &Machine, script: &str, expected: &[&str]) -> Result<Captured, String> {
    let run = machine.run_script(script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() {
        return Err(format!("the machine did not halt in time: {}", context()));
    }
    if !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    let mut rest = output.as_str();
    for line in expected {
        match rest.find(line) {
            Some(at) => rest = &rest[at + line.len()..],
            None => return Err(format!("expected {line:?} (in this order); {}", context())),
        }
    }
    Ok(run)
}

/// The hypervisor's report of a guest (state line and exit counters).
fn guest_report<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let start = output.find(&format!("\n{name}: powered off"))? + 1;
    let end = output[start..].find("exits:").map(|e| start + e)?;
    let line_end = output[end..].find('\n').map_or(output.len(), |e| end + e);
    Some(&output[start..line_end])
}

/// Runs the tests whose names contain `filter`; prints one line per test
/// and a summary in the style of `cargo test`.
pub fn run(images: &Images, filter: Option<&str>) -> Result<(), String> {
    let tests: Vec<_> = all().into_iter().filter(|t| filter.is_none_or(|f| t.name.contains(f))).collect();
    println!("\nrunning {} QEMU tests", tests.len());
    let start = Instant::now();
    let mut failures = Vec::new();
    for test in &tests {
        let test_start = Instant::now();
        let result = (test.run)(images);
        let seconds = test_start.elapsed().as_secs_f64();
        match result {
            Ok(()) => println!("test qemu::{} ... ok ({seconds:.1} s)", test.name),
            Err(why) => {
                println!("test qemu::{} ... FAILED ({seconds:.1} s)", test.name);
                failures.push((test.name, why));
            }
        }
    }
    for (name, why) in &failures {
        println!("\n---- qemu::{name} ----\n{why}");
    }
    let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        tests.len() - failures.len(),
        failures.len(),
        all().len() - tests.len(),
        start.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} QEMU test(s) failed", failures.len()))
    }
}

/// An interactive serial session with QEMU, expect-style: [`Session::send`]
/// types, [`Session::expect`] waits (with a time limit) until the output
/// since the last match contains a text. QEMU is killed if the session is
/// dropped before it exits.
pub struct Session {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    output: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    /// Output before this offset has been matched.
    seen: usize,
}

impl Session {
    pub fn start(machine: &Machine) -> Result<Session, String> {
        use std::io::Read;
        use std::process::Stdio;
        let mut child = machine
            .command()?
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| crate::process::spawn_error(crate::qemu::QEMU, &e))?;
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if let Ok(mut out) = sink.lock() {
                    out.extend_from_slice(&chunk[..n]);
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Session { child, stdin, output, seen: 0 })
    }

    /// Everything printed so far, `\r` removed.
    pub fn text(&self) -> String {
        let bytes = self.output.lock().map(|o| o.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).replace('\r', "")
    }

    pub fn send(&mut self, text: &str) -> Result<(), String> {
        use std::io::Write;
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush()).map_err(|e| format!("typing {text:?}: {e}"))
    }

    /// Waits until `needle` appears after the last match; returns the text
    /// between the last match and the end of this one.
    pub fn expect(&mut self, needle: &str, limit: Duration) -> Result<String, String> {
        let start = Instant::now();
        loop {
            // Offsets are in the `\r`-free text.
            let text = self.text();
            if let Some(at) = text.get(self.seen..).and_then(|rest| rest.find(needle)) {
                let end = self.seen + at + needle.len();
                let between = text[self.seen..end].to_string();
                self.seen = end;
                return Ok(between);
            }
            if start.elapsed() >= limit {
                return Err(format!("expected {needle:?} within {limit:?}; output:\n{text}\nunmatched: {:?}", text.get(self.seen..).unwrap_or("")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for QEMU to exit (the hypervisor halted) and returns the output.
    pub fn finish(mut self, limit: Duration) -> Result<String, String> {
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(self.text()),
                Ok(Some(status)) => return Err(format!("QEMU exited with {status}; output:\n{}", self.text())),
                Ok(None) if start.elapsed() >= limit => return Err(format!("QEMU did not exit in time; output:\n{}", self.text())),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("waiting for QEMU: {e}")),
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a step of an interactive session may take (a normal one takes
/// milliseconds; this only catches a hang).
pub const STEP: Duration = Duration::from_secs(20);
