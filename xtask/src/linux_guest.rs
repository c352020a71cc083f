//! Linux as a guest (`dts/linux.dts`): the QEMU test that boots the
//! `CONFIG_KVM_GUEST` kernel of `cargo xtask linux` as guest0 beside the
//! guest suite as guest1 and uses its shell, and the benchmark of its boot
//! beside the same kernel source booted natively.

use crate::guests;
use crate::qemu::Machine;
use crate::qemu_tests::{guest_lines, with_pack, Images, QemuTest, Session, STEP};
use std::path::PathBuf;
use std::time::Duration;

pub const TESTS: &[QemuTest] = &[QemuTest { name: "linux_beside_the_suite", run: linux_beside_the_suite }];

/// How long the kernel may take to reach its shell (about 20 s here).
const BOOT_LIMIT: Duration = Duration::from_secs(240);

/// The hypervisor of `dts/linux.dts` with its pack: the guest kernel,
/// `guest1` and the initramfs.
pub fn machine(guest1: PathBuf, pack_name: &str) -> Result<Machine, String> {
    let linux = crate::linux::build_guest()?;
    let hypervisor = crate::image::linux_hypervisor()?;
    let pack = crate::image::guest_pack(&crate::image::linux_guests(&linux, guest1), pack_name)?;
    Ok(with_pack(Machine::new(hypervisor), &pack))
}

/// What the test types at the shell, in order, each with a text its output
/// must contain: the kernel, the CPU, and a script in tmpfs that creates
/// processes (a pipeline, a subshell and its exit status, a background job)
/// and reads back a file.
const SHELL: &[(&str, &str)] = &[
    ("uname -a", "Linux (none) 5.10."),
    ("cat /proc/cpuinfo", "system type\t\t: MIPS Malta"),
    (
        "printf 'i=0\\nwhile [ $i -lt 50 ]; do i=$((i+1)); done\\necho loop $i\\n\
         echo pipe through tr | tr a-z A-Z | cat\\n(echo in a subshell; exit 3); echo status $?\\n\
         sleep 1 & wait $!; echo waited $?\\n' > /tmp/t.sh",
        "",
    ),
    ("sh /tmp/t.sh > /tmp/out; wc -l < /tmp/out; cat /tmp/out", "loop 50\nPIPE THROUGH TR\nin a subshell\nstatus 3\nwaited 0\n"),
];

use crate::linux::PROMPT;

/// Linux boots to its shell on the kvm-guest map while guest1 runs the
/// guest suite; the shell runs [`SHELL`], then `poweroff -f` powers guest0
/// off; the suite gives its native results; Linux wrote nothing outside
/// its own memory (`canaries`).
fn linux_beside_the_suite(_: &Images) -> Result<(), String> {
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    guests::check_native_run(&native)?;
    let machine = machine(guests::build_suite(guests::Map::Guest)?, "linux-suite.pack")?;
    let mut s = Session::start(&machine)?;
    s.expect("type `help` for commands\nmterm> ", STEP)?;
    // The suite's input case reads this from its queue when it gets there.
    s.send(&format!("vserial bind guest1\n{}\x1d", guests::UART_INPUT))?;
    s.expect("[mterm] console back to mterm\nmterm> ", STEP)?;
    s.send("vserial bind guest0\n")?;
    s.expect("[mterm] console bound to guest0; Ctrl-] returns\n", STEP)?;
    s.expect(crate::linux::INIT_MARKER, BOOT_LIMIT)?;
    s.expect(PROMPT, STEP)?;
    for (command, wanted) in SHELL {
        s.send(&format!("{command}\n"))?;
        let answer = without_guest1(&s.expect(PROMPT, STEP)?);
        if !answer.contains(wanted) {
            return Err(format!("`{command}` printed {answer:?}, without {wanted:?}"));
        }
    }
    // Its poweroff goes through the PIIX4's PM block.
    s.send("poweroff -f\n")?;
    s.expect("guest0: powered off", STEP)?;
    s.send("\x1d")?;
    s.expect("[mterm] console back to mterm\nmterm> ", STEP)?;
    s.send("guests wait guest1\n")?;
    s.expect("guest1", BOOT_LIMIT)?;
    s.expect("mterm> ", BOOT_LIMIT)?;
    s.send("canaries\n")?;
    let canaries = s.expect("mterm> ", STEP)?;
    if !canaries.contains("canaries intact: ") || !canaries.contains("guest1: canaries intact: 4096 KiB of its RAM") {
        return Err(format!("`canaries` answered {canaries:?}"));
    }
    s.send("guest info guest0\n")?;
    let info = s.expect("mterm> ", STEP)?;
    s.send("halt\n")?;
    let output = s.finish(STEP)?;
    let transcript = guest_lines(&output, "guest1");
    let cases = guests::check_like_native(&native, &transcript).map(|()| guests::check_transcript(&transcript));
    match cases {
        Ok(Ok(cases)) => {
            let exits = nonzero_exits(&info);
            println!("      (Linux shell answered; guest1: {cases} cases as natively; guest0 exits: {exits})");
            Ok(())
        }
        Ok(Err(why)) | Err(why) => Err(format!("guest1: {why}; transcript:\n{transcript}")),
    }
}

/// The exit counters of a `guest info` answer that are not zero, as
/// `reason N, reason N`.
fn nonzero_exits(info: &str) -> String {
    exit_counts(info).iter().map(|(reason, n)| format!("{reason} {n}")).collect::<Vec<_>>().join(", ")
}

/// The `-icount` options of the boot benchmark; the RTC on the virtual
/// clock too, so that the native kernel's calibration of its clock against
/// the RTC (a virtual second of busy waiting) takes the same every run.
const BENCH_ICOUNT: &str = "shift=0,sleep=off";
/// How long a boot under `-icount` may take (the native one about 2
/// minutes, most of it the calibration).
const BENCH_LIMIT: Duration = Duration::from_secs(900);

/// One boot to the shell, measured.
#[derive(Debug)]
pub struct Boot {
    /// Instructions QEMU executed from power-on to `/init`'s line (asked
    /// over QMP as the line arrives, so a little late: the machine goes on).
    pub instructions: u64,
    /// The kernel's own clock at `Run /init as init process` (printk's
    /// timestamp, seconds since it started).
    pub kernel_time: f64,
    /// guest0's exits by reason, since boot (virtualized only).
    pub exits: Vec<(String, u64)>,
    /// Instructions of the native kernel's clock calibration against the
    /// RTC (between the lines before and after it); 0 for the guest kernel,
    /// which has none.
    pub calibration: u64,
}

/// The lines around the native kernel's calibration of its clock against
/// the RTC (`plat_time_init` in `arch/mips/mti-malta/malta-time.c`).
const BEFORE_CALIBRATION: &str = "NR_IRQS: ";
const AFTER_CALIBRATION: &str = "CPU frequency ";
/// The kernel's line as it starts `/init`.
const RUN_INIT: &str = "] Run /init as init process";

/// Boots `machine` (the native kernel, or the hypervisor with Linux as
/// guest0 when `virtualized`) until its `/init` runs and measures it.
/// Nothing is typed before that, so the guest's time is the boot's alone.
fn boot(machine: Machine, virtualized: bool) -> Result<Boot, String> {
    let socket = crate::qemu::target_dir().join(if virtualized { "qmp-linux.sock" } else { "qmp-linux-native.sock" });
    let _ = std::fs::remove_file(&socket);
    let machine = machine
        .arg("-icount")
        .arg(BENCH_ICOUNT)
        .arg("-rtc")
        .arg("clock=vm")
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", socket.display()));
    let mut s = Session::start(&machine)?;
    let mut calibration = 0;
    if !virtualized {
        s.expect(BEFORE_CALIBRATION, BENCH_LIMIT)?;
        let before = crate::qemu::icount(&socket)?;
        s.expect(AFTER_CALIBRATION, BENCH_LIMIT)?;
        calibration = crate::qemu::icount(&socket)?.saturating_sub(before);
    }
    let log = s.expect(crate::linux::INIT_MARKER, BENCH_LIMIT)?;
    let instructions = crate::qemu::icount(&socket)?;
    let kernel_time = log
        .lines()
        .find(|l| l.contains(RUN_INIT))
        .and_then(|l| l.split(RUN_INIT).next()?.rsplit('[').next()?.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no `{RUN_INIT}` line with a time in:\n{log}"))?;
    let mut exits = Vec::new();
    if virtualized {
        s.send("guest info guest0\n")?;
        s.expect("guest info guest0", BENCH_LIMIT)?;
        let info = s.expect("mterm> ", BENCH_LIMIT)?;
        exits = exit_counts(&info);
        s.send("halt\n")?;
    } else {
        s.expect(PROMPT, BENCH_LIMIT)?;
        s.send("poweroff -f\n")?;
    }
    s.finish(BENCH_LIMIT)?;
    Ok(Boot { instructions, kernel_time, exits, calibration })
}

/// The Linux section of BENCHMARKS.md: the guest kernel's boot to its
/// shell under the hypervisor (beside the console guest) and the same
/// source built for native Malta booted natively, side by side.
pub fn bench() -> Result<String, String> {
    use std::fmt::Write;
    let linux = crate::linux::build()?;
    println!("bench: Linux: the native kernel to /init (-icount {BENCH_ICOUNT}, -rtc clock=vm)");
    let native = boot(crate::linux::native_machine_without_icount(&linux), false)?;
    println!("bench: Linux: the guest kernel to /init under the hypervisor");
    let virt = boot(machine(guests::build_console()?, "bench-linux.pack")?, true)?;
    let mut md = String::new();
    let _ = writeln!(md, "Linux 5.10 (`cargo xtask linux`: the same source and configuration, `CONFIG_KVM_GUEST` for the guest) from power-on until it starts `/init` (the shell's prompt follows at once), booted natively and as guest0 of `dts/linux.dts` beside the idle console guest; `-icount {BENCH_ICOUNT} -rtc clock=vm`, nothing typed meanwhile. Instructions: QEMU's count (QMP `query-replay`) as `/init`'s first line reached the host; the machine goes on meanwhile, so runs of the same image differ by up to about 10% ([how](docs/benchmarks.md#linux)). The native kernel calibrates its clock against the RTC (`estimate_frequency`, virtual seconds of busy waiting), which the guest kernel does not do (its Count rate is `CONFIG_KVM_GUEST_TIMER_FREQ`): the second row leaves that out, counted between the lines before and after it.\n");
    let without = native.instructions.saturating_sub(native.calibration);
    let _ = writeln!(md, "| | native | virtualized | virtualized/native |");
    let _ = writeln!(md, "|---|---:|---:|---:|");
    let _ = writeln!(md, "| instructions to `/init` | {} | {} | {:.2} |", native.instructions, virt.instructions, virt.instructions as f64 / native.instructions.max(1) as f64);
    let _ = writeln!(md, "| the same without the native clock calibration ({} instructions) | {without} | {} | **{:.2}** |", native.calibration, virt.instructions, virt.instructions as f64 / without.max(1) as f64);
    let _ = writeln!(md, "| the kernel's clock at `Run /init` (s; the native one as it calibrated it) | {:.3} | {:.3} | |\n", native.kernel_time, virt.kernel_time);
    let _ = writeln!(md, "guest0's exits from power-on to `/init`, per second of its own clock then:\n");
    let _ = writeln!(md, "| exit reason | exits | per second |");
    let _ = writeln!(md, "|---|---:|---:|");
    for (reason, n) in &virt.exits {
        let _ = writeln!(md, "| {reason} | {n} | {:.0} |", *n as f64 / virt.kernel_time.max(1e-9));
    }
    println!("bench: Linux: native {} instructions ({} of them calibration), virtualized {} instructions, {:.3} s of guest time", native.instructions, native.calibration, virt.instructions, virt.kernel_time);
    Ok(md)
}

/// The non-zero exit counters of a `guest info` answer, `total` included.
fn exit_counts(info: &str) -> Vec<(String, u64)> {
    let table = info.split_once("exits:").map_or("", |(_, e)| e);
    table
        .lines()
        .filter_map(|row| {
            let (reason, count) = row.trim().rsplit_once(' ')?;
            let count = count.parse::<u64>().ok()?;
            (count != 0 && !reason.trim().is_empty()).then(|| (reason.trim().to_string(), count))
        })
        .collect()
}

/// `text` without guest1's prefixed lines.
fn without_guest1(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("[guest1]") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once('\n').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn exit_rows() {
        let info = "guest0: running\n  exits:\n    interrupt          594\n    bus error          0\n    MMIO    25\nmterm> ";
        assert_eq!(super::nonzero_exits(info), "interrupt 594, MMIO 25");
    }

    #[test]
    fn guest1_lines_are_taken_out() {
        let text = "uname -a\nLinux (no[guest1] PASS a.b\nne) 5.10.223\n[guest1] PASS c\n~ # ";
        assert_eq!(super::without_guest1(text), "uname -a\nLinux (none) 5.10.223\n~ # ");
    }
}
