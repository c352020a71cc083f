//! Linux as a guest (`dts/linux.dts`): the QEMU test that boots the
//! `CONFIG_KVM_GUEST` kernel of `cargo xtask linux` as guest0 beside the
//! guest suite as guest1 and uses its shell.

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
    let linux = crate::linux::build()?;
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

/// The shell's prompt (its `PS1`, guests/linux/init) and the terminal
/// query busybox sends after it.
const PROMPT: &str = "~ # ";

/// Linux boots to its shell on the kvm-guest map while guest1 runs the
/// guest suite; the shell runs [`SHELL`]; the suite gives its native
/// results; Linux wrote nothing outside its own memory (`canaries`).
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
    s.expect("mipsvisor-linux: init done", BOOT_LIMIT)?;
    s.expect(PROMPT, STEP)?;
    for (command, wanted) in SHELL {
        s.send(&format!("{command}\n"))?;
        let answer = without_guest1(&s.expect(PROMPT, STEP)?);
        if !answer.contains(wanted) {
            return Err(format!("`{command}` printed {answer:?}, without {wanted:?}"));
        }
    }
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
    // guest1's lines may land inside one of guest0's: start each on a line.
    let transcript = guest_lines(&output.replace("[guest1] ", "\n[guest1] "), "guest1");
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
    let table = info.split_once("exits:").map_or("", |(_, e)| e);
    let rows = table.lines().filter_map(|row| {
        let (reason, count) = row.trim().rsplit_once(' ')?;
        (count != "0" && !reason.trim().is_empty() && count.parse::<u64>().is_ok()).then(|| format!("{} {count}", reason.trim()))
    });
    rows.collect::<Vec<_>>().join(", ")
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
