//! Building bare-metal crates and booting them on QEMU's Malta board.
//!
//! This is the harness every QEMU-based test and tool uses:
//! [`build_baremetal`] builds a crate of the workspace for
//! `mipsel-unknown-none` and returns the ELF; [`Machine`] boots an ELF either
//! on the terminal ([`Machine::run_interactive`]) or with a scripted serial
//! input, captured output and a time limit ([`Machine::run_script`]).

use crate::process::{self, Captured};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const TARGET: &str = "mipsel-unknown-none";
pub const QEMU: &str = "qemu-system-mipsel";
/// Default guest RAM in MiB (`cargo xtask run --mem`).
pub const DEFAULT_MEMORY_MIB: u32 = 128;
/// QEMU 7.2's Malta accepts at most 2 GiB.
pub const MAX_MEMORY_MIB: u32 = 2048;
/// Below this the image (at 1 MiB) and its stacks do not fit comfortably.
pub const MIN_MEMORY_MIB: u32 = 16;

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set, else `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// The `cargo` running this xtask (or the one on `PATH`).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds binary `bin` of workspace package `package` for
/// `mipsel-unknown-none` (release profile, `-Zbuild-std`), with extra
/// environment variables for its build script. Returns the ELF's path.
/// The compiler is the usual `rustc`, or Debian's when setup fell back to
/// it (no standard-library source of the usual rustc's version available).
pub fn build_baremetal(package: &str, bin: &str, env: &[(&str, &Path)]) -> Result<PathBuf, String> {
    let mut command = cargo();
    command
        .current_dir(workspace_root())
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["build", "--release", "-Zbuild-std=core,alloc", "--target", TARGET])
        .args(["--package", package, "--bin", bin])
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    if let Some(rustc) = crate::setup::baremetal_rustc() {
        command.env("RUSTC", rustc);
    }
    let status = command.status().map_err(|e| process::spawn_error("cargo", &e))?;
    if !status.success() {
        return Err(format!("building `{package}` for {TARGET} failed ({status})"));
    }
    let elf = target_dir().join(TARGET).join("release").join(bin);
    if elf.is_file() {
        Ok(elf)
    } else {
        Err(format!("cargo built `{package}` but {} is missing", elf.display()))
    }
}

/// Stops QEMU with SIGTERM, so it can restore the terminal it put in raw
/// mode; SIGKILL only if it is still there two seconds later.
fn terminate(child: &mut std::process::Child) {
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    if term.is_ok_and(|s| s.success()) {
        for _ in 0..40 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One QEMU Malta machine: which ELF to boot and how.
#[derive(Clone, Debug)]
pub struct Machine {
    pub kernel: PathBuf,
    pub memory_mib: u32,
    /// Start with the CPU stopped and a gdb server on TCP port 1234.
    pub gdb: bool,
    /// Further QEMU arguments (e.g. `-icount shift=0`).
    pub extra_args: Vec<String>,
    /// Boot with [`boot_flash_image`] as Malta's boot flash (the default,
    /// for hypervisor images: its debug vector leads to the hypervisor).
    pub boot_flash: bool,
}

/// Malta's 4 MiB boot flash for hypervisor images: empty but for the EJTAG
/// debug vector at 0xBFC00480, which a guest's SDBBP enters (in debug mode,
/// even from user mode). It parks k0 in DESAVE (CP0 31,0), as the
/// hypervisor's own vectors do, and jumps through k0 to EBase + 0x480, the
/// hypervisor's `__debug_exception`. QEMU's `-kernel` boot code is written
/// over the start of the flash (0x000 and 0x580 on), not over 0x480.
pub fn boot_flash_image() -> Vec<u8> {
    const DEBUG_VECTOR: usize = 0x480;
    let words: [u32; 7] = [
        0x409A_F800, // mtc0  k0, $31, 0   (DESAVE)
        0x401A_7801, // mfc0  k0, $15, 1   (EBase)
        0x375A_03FF, // ori   k0, k0, 0x3ff
        0x3B5A_03FF, // xori  k0, k0, 0x3ff (CPUNum cleared)
        0x375A_0480, // ori   k0, k0, 0x480
        0x0340_0008, // jr    k0
        0x0000_0000, // nop
    ];
    let mut flash = vec![0u8; 4 << 20];
    for (i, w) in words.iter().enumerate() {
        let at = DEBUG_VECTOR + i * 4;
        flash[at..at + 4].copy_from_slice(&w.to_le_bytes());
    }
    flash
}

/// Where [`boot_flash_image`] is written for QEMU.
pub fn boot_flash_path() -> PathBuf {
    target_dir().join("boot-flash.bin")
}

/// Writes [`boot_flash_image`] to [`boot_flash_path`] unless it is there
/// already (through a temporary file, so parallel tests never see half).
fn write_boot_flash() -> Result<(), String> {
    let path = boot_flash_path();
    let image = boot_flash_image();
    if std::fs::read(&path).is_ok_and(|old| old == image) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!("boot-flash.bin.{}.{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, &image).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

impl Machine {
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Self { kernel: kernel.into(), memory_mib: DEFAULT_MEMORY_MIB, gdb: false, extra_args: Vec::new(), boot_flash: true }
    }

    /// Boots with QEMU's own empty boot flash: for native programs and
    /// the vector recorder (which passes its own).
    pub fn without_boot_flash(mut self) -> Self {
        self.boot_flash = false;
        self
    }

    pub fn memory(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Adds a QEMU argument (e.g. `-icount`, `shift=0`); for tools such as
    /// the vector recorder.
    #[allow(dead_code)]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// The QEMU arguments: Malta, host serial port on stdio (with QEMU's
    /// monitor multiplexed behind Ctrl-A), no reboot so a board reset ends
    /// QEMU with status 0. No NIC and no VGA: Malta's defaults (a PCnet
    /// and a Cirrus card) need option ROMs (`efi-pcnet.rom`,
    /// `vgabios-cirrus.bin`) that a QEMU installed without its recommended
    /// packages lacks, and nothing here uses them.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["-M", "malta", "-m"].map(String::from).to_vec();
        args.push(self.memory_mib.to_string());
        args.extend(
            ["-nographic", "-vga", "none", "-nic", "none", "-no-reboot", "-serial", "mon:stdio", "-kernel"]
                .map(String::from),
        );
        args.push(self.kernel.display().to_string());
        if self.boot_flash {
            args.push("-drive".into());
            args.push(format!("if=pflash,format=raw,readonly=on,file={}", boot_flash_path().display()));
        }
        if self.gdb {
            args.extend(["-s", "-S"].map(String::from));
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }

    pub(crate) fn command(&self) -> Result<Command, String> {
        if !(MIN_MEMORY_MIB..=MAX_MEMORY_MIB).contains(&self.memory_mib) {
            return Err(format!(
                "memory size {} MiB is out of range ({MIN_MEMORY_MIB}..={MAX_MEMORY_MIB} MiB)",
                self.memory_mib
            ));
        }
        if !self.kernel.is_file() {
            return Err(format!("no image at {}", self.kernel.display()));
        }
        if self.boot_flash {
            write_boot_flash()?;
        }
        let mut command = Command::new(QEMU);
        command.args(self.args());
        Ok(command)
    }

    /// Boots on the terminal (stdin/stdout inherited) and waits for QEMU,
    /// killing it after `limit` if one is given. Returns QEMU's exit status,
    /// or `None` if it was killed.
    pub fn run_interactive(&self, limit: Option<Duration>) -> Result<Option<ExitStatus>, String> {
        let mut child = self.command()?.spawn().map_err(|e| process::spawn_error(QEMU, &e))?;
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) if limit.is_some_and(|limit| start.elapsed() >= limit) => {
                    terminate(&mut child);
                    return Ok(None);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(format!("waiting for {QEMU}: {e}")),
            }
        }
    }

    /// Boots with `input` fed to the host serial port, captures what the
    /// machine prints, and kills QEMU if it is still running after `limit`.
    /// `input` must not contain Ctrl-A: QEMU's `mon:` multiplexer takes it
    /// as its escape key.
    pub fn run_script(&self, input: &str, limit: Duration) -> Result<Captured, String> {
        if input.contains('\x01') {
            return Err("a serial script cannot contain Ctrl-A (QEMU's monitor escape)".into());
        }
        process::run_captured(self.command()?, input.as_bytes(), limit)
    }

    /// [`Machine::run_script`] with any bytes as input (binary noise); the
    /// same rule: no Ctrl-A.
    pub fn run_bytes(&self, input: &[u8], limit: Duration) -> Result<Captured, String> {
        if input.contains(&0x01) {
            return Err("a serial script cannot contain Ctrl-A (QEMU's monitor escape)".into());
        }
        process::run_captured(self.command()?, input, limit)
    }
}

/// The number of instructions QEMU has executed so far (`-icount` runs),
/// asked over the QMP socket `socket` (`-qmp unix:SOCKET,server=on,wait=off`)
/// with `query-replay`, which reports it even when nothing is recorded.
pub fn icount(socket: &Path) -> Result<u64, String> {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::os::unix::net::UnixStream::connect(socket)
        .map_err(|e| format!("cannot reach QEMU's QMP socket {}: {e}", socket.display()))?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| format!("QMP: {e}"))?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| format!("QMP: {e}"))?);
    let mut writer = stream;
    let mut line = String::new();
    let mut answer = |request: &str| -> Result<String, String> {
        if !request.is_empty() {
            writer.write_all(request.as_bytes()).map_err(|e| format!("QMP: {e}"))?;
        }
        line.clear();
        reader.read_line(&mut line).map_err(|e| format!("QMP: {e}"))?;
        Ok(line.clone())
    };
    answer("")?; // the greeting
    answer("{\"execute\": \"qmp_capabilities\"}\n")?;
    let reply = answer("{\"execute\": \"query-replay\"}\n")?;
    let digits = reply.split("\"icount\":").nth(1).map(|rest| rest.trim_start().chars().take_while(char::is_ascii_digit).collect::<String>());
    digits.and_then(|d| d.parse().ok()).ok_or_else(|| format!("QMP query-replay answered {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        let machine = Machine::new("/tmp/image.elf").memory(256).arg("-icount").arg("shift=0").without_boot_flash();
        assert_eq!(
            machine.args().join(" "),
            "-M malta -m 256 -nographic -vga none -nic none -no-reboot -serial mon:stdio \
             -kernel /tmp/image.elf \
             -icount shift=0"
        );
        let gdb = Machine { gdb: true, ..Machine::new("x.elf") };
        assert!(gdb.args().join(" ").ends_with(&format!(
            "-kernel x.elf -drive if=pflash,format=raw,readonly=on,file={} -s -S",
            boot_flash_path().display()
        )));
    }

    #[test]
    fn boot_flash_debug_vector() {
        let flash = boot_flash_image();
        assert_eq!(flash.len(), 4 << 20);
        let text: Vec<String> = (0..7)
            .map(|i| {
                let at = 0x480 + i * 4;
                let word = u32::from_le_bytes(flash[at..at + 4].try_into().unwrap());
                isa_spec::disassemble(word, 0xBFC0_0480 + at as u32, true).to_string()
            })
            .collect();
        assert_eq!(
            text.join("; "),
            "mtc0\tk0,c0_desave; mfc0\tk0,c0_ebase; ori\tk0,k0,0x3ff; xori\tk0,k0,0x3ff; ori\tk0,k0,0x480; jr\tk0; nop"
        );
        assert!(flash[..0x480].iter().chain(&flash[0x480 + 28..]).all(|&b| b == 0));
    }

    #[test]
    fn bad_memory_and_missing_image_are_errors() {
        let error = Machine::new("/nonexistent.elf").memory(4096).run_script("", Duration::from_secs(1));
        assert_eq!(error.unwrap_err(), "memory size 4096 MiB is out of range (16..=2048 MiB)");
        let error = Machine::new("/nonexistent.elf").run_script("", Duration::from_secs(1));
        assert_eq!(error.unwrap_err(), "no image at /nonexistent.elf");
        let error = Machine::new("/nonexistent.elf").run_script("\x01x", Duration::from_secs(1));
        assert!(error.unwrap_err().contains("Ctrl-A"));
    }

    #[test]
    fn workspace_paths() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
