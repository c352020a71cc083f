//! `cargo xtask`: the project's one build, run and test entry point.
//!
//! Every subcommand that needs the cross tools runs `setup` first, which
//! installs what is missing and is quick when nothing is.

mod bench;
mod disasm;
mod fuzz;
mod guests;
mod hostile;
mod image;
mod linux_guest;
mod linux;
mod process;
mod qemu;
mod qemu_tests;
mod record;
mod setup;

use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

const USAGE: &str = "usage: cargo xtask <command> [args]

commands:
  setup                install what is missing (QEMU, dtc, binutils, gdb, rust-src)
  build                build the hypervisor image (prints its path and size)
  run [--gdb] [--mem MiB] [--timeout SECONDS] [--guest FILE]... | [--linux]
                       build and boot it on QEMU Malta, serial port on the terminal;
                       --guest (repeatable) gives guest N its image (ELF linked for
                       the guest map, or a raw binary for its ROM); without it
                       guest0 runs the console guest, guest1 the guest suite;
                       --linux: Linux (`cargo xtask linux`) as guest0, the console
                       guest as guest1 (dts/linux.dts);
                       --gdb waits for gdb-multiarch on :1234; --mem sets the RAM
                       size (default 128); --timeout stops QEMU after that long
  test [--host | --qemu] [FILTER]
                       host tests (cargo test), then the QEMU tests whose names
                       contain FILTER
  disasm ...           disassemble MIPS32r2 words
  record-vectors ...   record emulator test vectors on QEMU
  guest-suite [--native | --build]
                       run the guest test suite natively on QEMU (or only build both maps)
  fuzz [--seed N] [--blocks N] [--from BLOCK [--to BLOCK]]
                       the TLB fuzz natively and virtualized, compared block by block
  linux [--refresh] [--boot-native [--timeout SECONDS]]
                       build (or find cached) the Linux guest and native kernels and
                       the initramfs, print their paths; --boot-native boots the native
                       one on QEMU Malta with a shell on the terminal
  bench [--linux | --profiles]
                       measure (native vs virtualized, per-exit costs, footprint,
                       Linux's boot, decoder) and write BENCHMARKS.md; --linux: only
                       the Linux boot, printed; --profiles: only the CP0 and MMIO
                       trace profiles, printed";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = match command.as_str() {
        "setup" => setup::run(rest),
        "build" => build(rest),
        "run" => run(rest),
        "test" => test(rest),
        "disasm" => disasm::run(rest),
        "record-vectors" => record::run(rest),
        "guest-suite" => guests::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "linux" => linux::run(rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("build takes no arguments (got `{arg}`)"));
    }
    setup::ensure()?;
    let elf = image::build_hypervisor()?;
    let mut size = Command::new("mipsel-linux-gnu-size");
    size.arg(&elf);
    match process::output(size) {
        Ok(table) => println!("{table}"),
        Err(why) => eprintln!("xtask: cannot show the image size: {why}"),
    }
    println!("image: {}", elf.display());
    Ok(())
}

/// Options of `cargo xtask run`.
#[derive(Debug, PartialEq, Eq)]
struct RunOptions {
    gdb: bool,
    /// `--linux`: Linux as guest0 beside the console guest (dts/linux.dts).
    linux: bool,
    memory_mib: u32,
    timeout: Option<Duration>,
    guests: Vec<std::path::PathBuf>,
}

fn parse_run_options(args: &[String]) -> Result<RunOptions, String> {
    let mut options =
        RunOptions { gdb: false, linux: false, memory_mib: qemu::DEFAULT_MEMORY_MIB, timeout: None, guests: Vec::new() };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--gdb" => options.gdb = true,
            "--linux" => options.linux = true,
            "--mem" | "-m" => {
                let value = args.next().ok_or("--mem needs a size in MiB")?;
                options.memory_mib = parse_mib(value)?;
            }
            "--guest" => {
                let value = args.next().ok_or("--guest needs a file (ELF or raw binary)")?;
                options.guests.push(value.into());
            }
            "--timeout" => {
                let value = args.next().ok_or("--timeout needs a number of seconds")?;
                match value.parse::<u64>() {
                    Ok(seconds) if seconds > 0 => options.timeout = Some(Duration::from_secs(seconds)),
                    _ => return Err(format!("--timeout {value}: give a whole number of seconds")),
                }
            }
            other => match other.strip_prefix("--mem=") {
                Some(value) => options.memory_mib = parse_mib(value)?,
                None => return Err(format!("run: unknown option `{other}`\n\n{USAGE}")),
            },
        }
    }
    if options.linux && !options.guests.is_empty() {
        return Err("run: --linux chooses the guests itself; leave out --guest".into());
    }
    Ok(options)
}

fn parse_mib(value: &str) -> Result<u32, String> {
    let mib = value.strip_suffix(['M', 'm']).unwrap_or(value);
    match mib.parse::<u32>() {
        Ok(mib) if (qemu::MIN_MEMORY_MIB..=qemu::MAX_MEMORY_MIB).contains(&mib) => Ok(mib),
        _ => Err(format!(
            "--mem {value}: give the RAM size in MiB, {}..={}",
            qemu::MIN_MEMORY_MIB,
            qemu::MAX_MEMORY_MIB
        )),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let options = parse_run_options(args)?;
    setup::ensure()?;
    let (elf, guests) = if options.linux {
        let linux = linux::build_guest()?;
        (image::linux_hypervisor()?, image::linux_guests(&linux, guests::build_console()?))
    } else {
        let guests = if options.guests.is_empty() { guests::run_defaults()? } else { options.guests.clone() };
        (image::build_hypervisor()?, guests)
    };
    let pack = image::guest_pack(&guests, "guests.pack")?;
    let mut machine = qemu::Machine { gdb: options.gdb, ..qemu::Machine::new(&elf).memory(options.memory_mib) };
    for arg in image::pack_args(&pack) {
        machine = machine.arg(arg);
    }
    eprintln!("xtask: booting {} on QEMU Malta, {} MiB", elf.display(), options.memory_mib);
    eprintln!("xtask: quit with `halt` at the mterm prompt, or Ctrl-A x");
    if options.gdb {
        eprintln!(
            "xtask: QEMU waits for gdb; in another terminal:\n  gdb-multiarch {} -ex 'target remote :1234'",
            elf.display()
        );
    }
    match machine.run_interactive(options.timeout)? {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!("QEMU ended with {status}")),
        None => Err(format!(
            "stopped QEMU after the {} s timeout",
            options.timeout.map_or(0, |t| t.as_secs())
        )),
    }
}

fn test(args: &[String]) -> Result<(), String> {
    let (mut host, mut qemu_tests, mut filter) = (true, true, None);
    for arg in args {
        match arg.as_str() {
            "--host" => qemu_tests = false,
            "--qemu" => host = false,
            other if other.starts_with('-') => {
                return Err(format!("test: unknown option `{other}`\n\n{USAGE}"))
            }
            other => filter = Some(other),
        }
    }
    if !host && !qemu_tests {
        return Err("test: --host and --qemu exclude each other".into());
    }
    setup::ensure()?;
    // Both suites run even when the first fails; the verdict covers both.
    let mut failures = Vec::new();
    if host {
        // The workspace's default members are the host crates.
        let status = qemu::cargo()
            .current_dir(qemu::workspace_root())
            .args(["test", "--no-fail-fast"])
            .stdin(Stdio::null())
            .status()
            .map_err(|e| process::spawn_error("cargo", &e))?;
        if !status.success() {
            failures.push(format!("host tests failed ({status})"));
        }
    }
    if qemu_tests {
        let result = image::build_hypervisor().and_then(|hypervisor| {
            let guests = image::guest_pack(&[], "default-guests.pack")?;
            qemu_tests::run(&qemu_tests::Images { hypervisor, guests }, filter)
        });
        if let Err(why) = result {
            failures.push(why);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn run_options() {
        assert_eq!(
            parse_run_options(&[]),
            Ok(RunOptions { gdb: false, linux: false, memory_mib: 128, timeout: None, guests: vec![] })
        );
        assert_eq!(
            parse_run_options(&strings(&["--gdb", "--mem", "256", "--timeout", "5", "--guest", "a.elf", "--guest", "b"])),
            Ok(RunOptions {
                gdb: true,
                linux: false,
                memory_mib: 256,
                timeout: Some(Duration::from_secs(5)),
                guests: vec!["a.elf".into(), "b".into()]
            })
        );
        assert!(parse_run_options(&strings(&["--guest"])).is_err());
        assert_eq!(parse_run_options(&strings(&["--linux"])).map(|o| o.linux), Ok(true));
        assert!(parse_run_options(&strings(&["--linux", "--guest", "a.elf"])).is_err());
        assert!(parse_run_options(&strings(&["--timeout", "soon"])).is_err());
        assert!(parse_run_options(&strings(&["--timeout", "0"])).is_err());
        assert_eq!(parse_run_options(&strings(&["--mem=512M"])).map(|o| o.memory_mib), Ok(512));
        assert!(parse_run_options(&strings(&["--mem"])).is_err());
        assert!(parse_run_options(&strings(&["--mem", "4096"])).is_err());
        assert!(parse_run_options(&strings(&["--mem", "lots"])).is_err());
        assert!(parse_run_options(&strings(&["--fast"])).unwrap_err().starts_with("run: unknown option"));
    }
}
