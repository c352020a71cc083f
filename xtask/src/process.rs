//! Running child processes with captured output and a time limit.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What a finished (or stopped) child printed.
#[derive(Debug)]
pub struct Captured {
    /// `None` when the time limit ran out and the child was killed.
    pub status: Option<ExitStatus>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// When each chunk of stdout arrived: (time since start, end offset in
    /// the raw stdout bytes).
    arrivals: Vec<(Duration, usize)>,
    raw_stdout: Vec<u8>,
}

impl Captured {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// How long after the start `needle` had fully appeared on stdout.
    pub fn time_to(&self, needle: &str) -> Option<Duration> {
        let at = find(&self.raw_stdout, needle.as_bytes())? + needle.len();
        self.arrivals.iter().find(|(_, end)| *end >= at).map(|(t, _)| *t)
    }

    /// A short description of how the child ended.
    pub fn ending(&self) -> String {
        match self.status {
            None => format!("killed after the {:.0} s time limit", self.elapsed.as_secs_f64()),
            Some(status) => match status.code() {
                Some(code) => format!("exit status {code}"),
                None => format!("{status}"),
            },
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len().max(1)).position(|w| w == needle)
}

/// Describes a failure to start `program`, with a hint when it is missing.
pub fn spawn_error(program: &str, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::NotFound {
        format!("`{program}` is not installed (run `cargo xtask setup`)")
    } else {
        format!("cannot start `{program}`: {error}")
    }
}

/// Bytes read, and when each chunk arrived (time, end offset).
type Received = (Vec<u8>, Vec<(Duration, usize)>);

fn reader(mut source: impl Read + Send + 'static, start: Instant) -> JoinHandle<Received> {
    thread::spawn(move || {
        let mut data = Vec::new();
        let mut arrivals = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = source.read(&mut chunk) {
            if n == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
            arrivals.push((start.elapsed(), data.len()));
        }
        (data, arrivals)
    })
}

/// Runs `command` with `input` on its stdin (then closed), capturing stdout
/// and stderr. The child is killed when `limit` runs out.
pub fn run_captured(mut command: Command, input: &[u8], limit: Duration) -> Result<Captured, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let start = Instant::now();
    let mut child: Child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(&program, &e))?;

    let stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        if let Some(mut pipe) = stdin {
            // The child may exit before reading everything; that is fine.
            let _ = pipe.write_all(&input);
        }
    });
    let stdout = child.stdout.take().map(|s| reader(s, start));
    let stderr = child.stderr.take().map(|s| reader(s, start));

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    let elapsed = start.elapsed();
    let _ = writer.join();
    let (raw_stdout, arrivals) = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let (raw_stderr, _) = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Captured {
        status,
        stdout: String::from_utf8_lossy(&raw_stdout).into_owned(),
        stderr: String::from_utf8_lossy(&raw_stderr).into_owned(),
        elapsed,
        arrivals,
        raw_stdout,
    })
}

/// Looks `program` up in `PATH`, like `command -v`.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs `command` to completion and returns its trimmed stdout, or an error
/// quoting its stderr.
pub fn output(mut command: Command) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(&program, &e))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "`{program}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "cat; echo done; echo oops >&2; exit 3"]);
        let run = run_captured(command, b"hello\n", Duration::from_secs(20)).unwrap();
        assert_eq!(run.stdout, "hello\ndone\n");
        assert_eq!(run.stderr, "oops\n");
        assert_eq!(run.status.and_then(|s| s.code()), Some(3));
        assert!(!run.success());
        assert!(run.time_to("done").is_some());
        assert!(run.time_to("absent").is_none());
        assert_eq!(run.ending(), "exit status 3");
    }

    #[test]
    fn kills_a_child_that_runs_too_long() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo started; exec sleep 30"]);
        let run = run_captured(command, b"", Duration::from_millis(300)).unwrap();
        assert!(run.timed_out());
        assert!(run.elapsed < Duration::from_secs(10));
        assert_eq!(run.stdout, "started\n");
        assert!(run.ending().starts_with("killed after"));
    }

    #[test]
    fn missing_programs_are_reported_plainly() {
        let command = Command::new("no-such-program-xtask");
        let error = run_captured(command, b"", Duration::from_secs(1)).unwrap_err();
        assert_eq!(error, "`no-such-program-xtask` is not installed (run `cargo xtask setup`)");
        assert!(which("sh").is_some());
        assert!(which("no-such-program-xtask").is_none());
    }
}
