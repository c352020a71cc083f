//! The QEMU test suite run by `cargo xtask test`: each test boots an image
//! on QEMU Malta, drives it over the host serial port and checks what comes
//! back. To add tests, add entries to [`TESTS`] (or a module of your own and
//! chain its list in [`all`]); build any extra image inside the test
//! function with [`crate::qemu::build_baremetal`].

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
    TESTS.iter().chain(crate::hostile::TESTS).chain(crate::linux_guest::TESTS).collect()
}

const TESTS: &[QemuTest] = &[
    QemuTest { name: "mterm_version_host_halt", run: mterm_version_host_halt },
    QemuTest { name: "mterm_devtree", run: mterm_devtree },
    QemuTest { name: "mterm_line_editing_and_errors", run: mterm_line_editing_and_errors },
    QemuTest { name: "ram_size_from_boot_arguments", run: ram_size_from_boot_arguments },
    QemuTest { name: "unexpected_exception_is_reported", run: unexpected_exception_is_reported },
    QemuTest { name: "guest-suite-native", run: crate::guests::suite_native },
    QemuTest { name: "guest-suite-guest-map-build", run: crate::guests::suite_guest_map_build },
    QemuTest { name: "general_vector_exceptions", run: general_vector_exceptions },
    QemuTest { name: "guest_suite_virtualized", run: guest_suite_virtualized },
    QemuTest { name: "two_guests_at_once", run: two_guests_at_once },
    QemuTest { name: "guests_refused_alone", run: guests_refused_alone },
    QemuTest { name: "raw_guest_mtc0_round_trip", run: raw_guest_mtc0_round_trip },
    QemuTest { name: "hostile_guest_beside_the_suite", run: hostile_guest_beside_the_suite },
    QemuTest { name: "sdbbp_guest_beside_the_suite", run: sdbbp_guest_beside_the_suite },
    QemuTest { name: "uart_interrupt_wakes_wait", run: uart_interrupt_wakes_wait },
    QemuTest { name: "guest_fpu_64bit_registers", run: guest_fpu_64bit_registers },
    QemuTest { name: "bad_guest_nodes_are_refused", run: bad_guest_nodes_are_refused },
    QemuTest { name: "mterm_guest_vcpu_vserial_stats", run: mterm_guest_vcpu_vserial_stats },
    QemuTest { name: "operate_two_guests", run: operate_two_guests },
    QemuTest { name: "spinners_do_not_starve_mterm", run: spinners_do_not_starve_mterm },
    QemuTest { name: "console_guest", run: crate::guests::console_guest },
    QemuTest { name: "tlb_fuzz_native_vs_virtualized", run: crate::fuzz::qemu_test },
];

/// The workspace version, which the hypervisor reports too.
const VERSION: &str = env!("CARGO_PKG_VERSION");

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

fn mterm_version_host_halt(images: &Images) -> Result<(), String> {
    let banner = format!("mipsvisor {VERSION} booting");
    let version = format!("mipsvisor {VERSION} - trap-and-emulate hypervisor for MIPS32r2");
    let run = expect_session(
        &images.with_guests(),
        "version\nhost\nhalt\n",
        &[
            &banner,
            "host: MIPS 24Kf, PRId 0x00019300, 16 TLB entries invalidated, EBase 0x80100000",
            "RAM: 128 MiB (boot arguments)",
            "mterm> version\n",
            &version,
            "mterm> host\n",
            "CPU       MIPS 24Kf (PRId 0x00019300: company 0x01, processor 0x93, revision 0x00)",
            "Config0   0x80000482  M=1 BE=0 AT=0 (MIPS32) AR=1 (release 2) MT=1 (standard TLB)",
            "Config1   0x9e190c8f  M=1 MMU=15",
            "Config2   0x80000000",
            "Config3   0x00000000",
            "TLB       16 entries",
            "EBase     0x80100000",
            "RAM       128 MiB (134217728 bytes, from the boot arguments)",
            "mterm> halt\nhalting\n",
        ],
    )?;
    if let Some(boot) = run.time_to("mterm> ") {
        println!("      (QEMU start to first prompt: {:.0} ms)", boot.as_secs_f64() * 1000.0);
    }
    Ok(())
}

fn mterm_devtree(images: &Images) -> Result<(), String> {
    expect_session(
        &Machine::new(&images.hypervisor),
        "devtree\nhalt\n",
        &[
            // The boot summary ...
            "device tree: MIPS Malta (QEMU)",
            "  cpu:    cpu@0 mti,mips24kf",
            "  memory: memory@0 at 0x0, 128 MiB",
            "  serial: serial@180003f8 ns16550a at 0x180003f8",
            "  guest:  guest0 (1 vcpu, 3 address-space regions)",
            "  guest:  guest1 (1 vcpu, 3 address-space regions)",
            // Without an image pack both guests are refused, and say why.
            "guest guest0: refused: image 0 is missing (0 image(s) given",
            "guest guest1: refused: image 1 is missing (0 image(s) given",
            // ... and the whole tree on request.
            "mterm> devtree\n",
            "/ {\n    model = \"MIPS Malta (QEMU)\";",
            "    serial@180003f8 {\n        compatible = \"ns16550a\";\n        reg = <0x180003f8 0x8>;",
            "    guests {\n        guest0 {",
            "            aspace {",
            "mterm> halt\nhalting\n",
        ],
    )
    .map(drop)
}

fn mterm_line_editing_and_errors(images: &Images) -> Result<(), String> {
    // "hosx" + DEL + "t" is "host"; Ctrl-U throws "garbage" away.
    let script = "hosx\x7ft\ngarbage\x15version\nfrobnicate\nversion now\nhelp\n\nhelp halt\nhalt\n";
    expect_session(
        &Machine::new(&images.hypervisor),
        script,
        &[
            "mterm> hosx\x08 \x08t\nCPU       MIPS 24Kf",
            "mterm> ",
            &format!("version\nmipsvisor {VERSION}"),
            "mterm> frobnicate\nunknown command `frobnicate`; type `help` for the list\n",
            "mterm> version now\nusage: version (takes no arguments)\n",
            "mterm> help\ncommands:\n  help [command]",
            "  devtree",
            "  halt",
            "mterm> \nmterm> help halt\nhalt: stop the machine (QEMU exits)\n",
            "mterm> halt\nhalting\n",
        ],
    )
    .map(drop)
}

fn ram_size_from_boot_arguments(images: &Images) -> Result<(), String> {
    for mib in [64, 512] {
        expect_session(
            &Machine::new(&images.hypervisor).memory(mib),
            "host\nhalt\n",
            &[&format!("RAM: {mib} MiB (boot arguments)"), &format!("RAM       {mib} MiB")],
        )?;
    }
    Ok(())
}

/// `fault` loads from address 0. QEMU powers up with every TLB entry zero
/// (VPN2 0, V=0), which would match and give a TLB *invalid* exception at
/// EBase+0x180; the refill vector (+0x000) is only taken because boot
/// invalidated the TLB with never-matching VPN2s. So this also checks the
/// TLB initialization.
fn unexpected_exception_is_reported(images: &Images) -> Result<(), String> {
    expect_session(
        &Machine::new(&images.hypervisor),
        "fault\n",
        &[
            "mterm> fault\n",
            "s0-s7 hold 0x5a000010-0x5a000017",
            "*** unexpected host exception: TLBL (TLB miss or invalid, load or instruction fetch), \
             ExcCode 2, TLB refill vector (EBase+0x000)",
            // Cause's IP bits vary (the southbridge timer raises IP2 some
            // time after boot), so only ExcCode, checked above, is matched.
            "BadVAddr 0x00000000  Status 0x00008403  Cause 0x",
            "zero 00000000",
            MARKERS_0_3,
            MARKERS_4_7,
            "  ra ",
            "  hi ",
            "*** halting",
        ],
    )
    .map(drop)
}

/// s0-s7 as `fault` sets them: each register's value must land in its slot.
const MARKERS_0_3: &str = "  s0 5a000010    s1 5a000011    s2 5a000012    s3 5a000013\n";
const MARKERS_4_7: &str = "  s4 5a000014    s5 5a000015    s6 5a000016    s7 5a000017\n";

/// A breakpoint and an address error go through the general vector.
fn general_vector_exceptions(images: &Images) -> Result<(), String> {
    expect_session(
        &Machine::new(&images.hypervisor),
        "fault break\n",
        &[
            "*** unexpected host exception: Bp (breakpoint), ExcCode 9, general vector (EBase+0x180)",
            MARKERS_0_3,
            MARKERS_4_7,
            "*** halting",
        ],
    )?;
    expect_session(
        &Machine::new(&images.hypervisor),
        "fault align\n",
        &[
            "*** unexpected host exception: AdEL (address error, load or instruction fetch), \
             ExcCode 4, general vector (EBase+0x180)",
            "BadVAddr 0x80000001  Status 0x00008403  Cause 0x",
            MARKERS_0_3,
            MARKERS_4_7,
            "*** halting",
        ],
    )
    .map(drop)
}

/// The lines guest `name` printed on its UART (without the `[name] ` prefix).
pub fn guest_lines(output: &str, name: &str) -> String {
    let prefix = format!("[{name}] ");
    output
        .lines()
        .filter_map(|line| line.trim_end_matches('\r').strip_prefix(&prefix))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The hypervisor's report of a guest (state line and exit counters).
fn guest_report<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let start = output.find(&format!("\n{name}: powered off"))? + 1;
    let end = output[start..].find("exits:").map(|e| start + e)?;
    let line_end = output[end..].find('\n').map_or(output.len(), |e| end + e);
    Some(&output[start..line_end])
}

/// The guest suite as guest0 (alone), its UART bound to the console for the
/// input case; every case must give the same result as natively.
fn guest_suite_virtualized(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    guests::check_native_run(&native)?;
    let suite = guests::build_suite(guests::Map::Guest)?;
    let pack = crate::image::guest_pack(&[suite], "suite.pack")?;
    let machine = with_pack(Machine::new(&images.hypervisor), &pack);
    let script = format!("vserial bind guest0\n{}\x1dguests wait\nhalt\n", guests::UART_INPUT);
    let run = machine.run_script(&script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    if !output.contains("guest guest1: refused: image 1 is missing") {
        return Err(format!("guest1 should have been refused (one image given): {}", context()));
    }
    let transcript = guest_lines(&output, "guest0");
    guests::compare_results(&native.stdout.replace('\r', ""), &transcript).map_err(|why| format!("{why}: {}", context()))?;
    let cases = guests::check_transcript(&transcript).map_err(|why| format!("{why}: {}", context()))?;
    let report = guest_report(&output, "guest0").ok_or_else(|| format!("no exit report: {}", context()))?;
    println!("      ({cases} cases, identical to the native run; {})", report.replace('\n', ";"));
    Ok(())
}

/// The default guests (the suite twice) run at once, each with its own
/// UART (its own input, its own `[name]` output), interleaved by the
/// scheduler; both agree case by case with the native run.
fn two_guests_at_once(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    guests::check_native_run(&native)?;
    let input = guests::UART_INPUT;
    let script = format!("vserial bind guest0\n{input}\x1dvserial bind guest1\n{input}\x1dguests wait\nguests\nhalt\n");
    let run = images.with_guests().run_script(&script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    for name in ["guest0", "guest1"] {
        let transcript = guest_lines(&output, name);
        guests::check_like_native(&native, &transcript)
            .map_err(|why| format!("{name}: {why}: {}", context()))?;
    }
    // Interleaved: guest1 printed before guest0 finished.
    let first_guest1 = output.find("[guest1] ").unwrap_or(usize::MAX);
    let last_guest0 = output.rfind("[guest0] ").unwrap_or(0);
    if first_guest1 > last_guest0 {
        return Err(format!("the guests did not run at once: {}", context()));
    }
    if !output.contains("[mterm] no guest is running") {
        return Err(format!("`guests wait` did not return: {}", context()));
    }
    Ok(())
}

/// With RAM for one guest only, guest1 is refused with a clear message and
/// guest0 still runs.
fn guests_refused_alone(images: &Images) -> Result<(), String> {
    expect_session(
        &images.with_guests().memory(40),
        "guests\nhalt\n",
        &[
            "guest guest0: image `guest-suite-guest`, RAM 16 MiB",
            "guest guest1: refused: needs 20480 KiB of host RAM for RAM+ROM, only 4096 KiB left",
            "mterm> guests\nguest0: running",
            "mterm> halt\nhalting\n",
        ],
    )
    .map(drop)
}

/// A raw guest image (for the ROM, so it starts at its first word): times
/// `ROUND_TRIPS` iterations of a loop, first without and then with an
/// `mtc0` (emulated), in Count ticks, prints both in hex on its UART and
/// powers itself off.
const MTC0_GUEST: &str = r#"
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 1000
    mfc0  $s1, $9
1:  sll   $zero, $zero, 0
    addiu $t0, $t0, -1
    bnez  $t0, 1b
    nop
    mfc0  $s2, $9
    bal   print
    subu  $a0, $s2, $s1
    li    $t0, 1000
    mfc0  $s1, $9
1:  mtc0  $zero, $14
    addiu $t0, $t0, -1
    bnez  $t0, 1b
    nop
    mfc0  $s2, $9
    bal   print
    subu  $a0, $s2, $s1
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
"#;
const ROUND_TRIPS: u64 = 1000;

/// A raw binary as guest0's ROM; with `-icount shift=0` (one instruction
/// per ns, a Count tick per 6 ns), how many host instructions one emulated
/// `mtc0` costs, from exit to re-entry.
fn raw_guest_mtc0_round_trip(images: &Images) -> Result<(), String> {
    let raw = assemble_raw("mtc0", MTC0_GUEST)?;
    let pack = crate::image::guest_pack(&[raw], "mtc0.pack")?;
    let machine = with_pack(Machine::new(&images.hypervisor), &pack).arg("-icount").arg("shift=0");
    let run = machine.run_script("guests wait\nguests\nhalt\n", TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    let ticks: Vec<u64> = guest_lines(&output, "guest0")
        .lines()
        .filter_map(|l| u64::from_str_radix(l.trim(), 16).ok())
        .collect();
    let [plain, with_mtc0] = ticks[..] else {
        return Err(format!("expected two tick counts from the guest: {}", context()));
    };
    if with_mtc0 <= plain {
        return Err(format!("the mtc0 loop was not slower ({with_mtc0} <= {plain} ticks): {}", context()));
    }
    let per_trip = (with_mtc0 - plain) * 6 / ROUND_TRIPS;
    let report = guest_report(&output, "guest0").unwrap_or("").replace('\n', ";");
    println!("      (about {per_trip} host instructions per emulated mtc0 round trip; {report})");
    Ok(())
}

/// `print`, appended to every raw guest by [`assemble_raw`]: writes `$a0`
/// as 8 hex digits and a newline to the UART at `$s0` (polling LSR.THRE);
/// clobbers t1-t4 and a0. Named labels, so a guest's numeric labels never
/// resolve into it.
const PRINT_HEX: &str = r#"
    .text
    .set push
    .set noreorder
print:
    li    $t1, 8
print_digit:
    srl   $t2, $a0, 28
    sltiu $t3, $t2, 10
    bnez  $t3, print_wait
    addiu $t2, $t2, 48
    addiu $t2, $t2, 39
print_wait:
    lbu   $t4, 5($s0)
    andi  $t4, $t4, 0x20
    beqz  $t4, print_wait
    nop
    sb    $t2, 0($s0)
    sll   $a0, $a0, 4
    addiu $t1, $t1, -1
    bnez  $t1, print_digit
    nop
    li    $t2, 10
    jr    $ra
    sb    $t2, 0($s0)
    .set pop
"#;

/// Assembles `source`, followed by [`PRINT_HEX`], into a raw binary
/// (`.text` only) for a guest's ROM.
fn assemble_raw(name: &str, source: &str) -> Result<PathBuf, String> {
    let dir = crate::qemu::target_dir().join("raw-guests");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (asm, object, raw) = (dir.join(format!("{name}.S")), dir.join(format!("{name}.o")), dir.join(format!("{name}.bin")));
    std::fs::write(&asm, format!("{source}\n{PRINT_HEX}")).map_err(|e| format!("cannot write {}: {e}", asm.display()))?;
    let mut assemble = std::process::Command::new("mipsel-linux-gnu-as");
    assemble.args(["-EL", "-march=24kf", "-o"]).arg(&object).arg(&asm);
    crate::process::output(assemble)?;
    let mut copy = std::process::Command::new("mipsel-linux-gnu-objcopy");
    copy.args(["-O", "binary", "-j", ".text"]).arg(&object).arg(&raw);
    crate::process::output(copy)?;
    Ok(raw)
}

/// A hostile raw guest: maps guest KSSEG 0x40000000 to guest-physical
/// 0x02000000 (past its 16 MiB of RAM; host RAM of the other guest sits
/// there in host terms) and loads through it; the hardware answer is a data
/// bus error, which its BEV vector (ROM + 0x380) prints (Cause), then it
/// tries the same with a store, and a KSEG1 load of guest-physical
/// 0x10000000 (nothing there), and finally spins forever with interrupts off.
const HOSTILE_GUEST: &str = r#"
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $s3, 0
    lui   $t0, 0x4000
    mtc0  $t0, $10
    li    $t0, 0x8001f
    mtc0  $t0, $2
    mtc0  $zero, $3
    mtc0  $zero, $5
    mtc0  $zero, $0
    tlbwi
    ehb
    lui   $t1, 0x4000
    lw    $t2, 0($t1)
    # (the handler comes back here for the second attack)
again:
    lui   $t1, 0x4000
    sw    $t1, 4($t1)
third:
    lui   $t1, 0x3000
    lw    $t2, 0($t1)
done:
    b     done
    nop


    .org 0x380
handler:
    mfc0  $a0, $13
    bal   print
    nop
    addiu $s3, $s3, 1
    li    $t0, 1
    beq   $s3, $t0, 5f
    li    $t0, 2
    beq   $s3, $t0, 6f
    nop
    la    $t0, done
    b     7f
    nop
5:  la    $t0, again
    b     7f
    nop
6:  la    $t0, third
7:  lui   $t1, 0x3fc0
    andi  $t0, $t0, 0xffff
    or    $t0, $t0, $t1
    mtc0  $t0, $14
    mfc0  $t1, $12
    li    $t2, 0xfffffffd
    and   $t1, $t1, $t2
    li    $t2, 0xfffffffe
    and   $t1, $t1, $t2
    mtc0  $t1, $12
    ehb
    jr    $t0
    nop
"#;

/// A hostile guest next to the suite: it only ever gets its own
/// exceptions (data bus errors for what is not its memory) and, spinning
/// with interrupts off, still gives up the CPU; the suite as guest1 gives
/// the native per-case results.
fn hostile_guest_beside_the_suite(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    let hostile = assemble_raw("hostile", HOSTILE_GUEST)?;
    let suite = guests::build_suite(guests::Map::Guest)?;
    let pack = crate::image::guest_pack(&[hostile, suite], "hostile.pack")?;
    let machine = with_pack(Machine::new(&images.plain_guest0()?), &pack);
    let script = format!("vserial bind guest1\n{}\x1dguests wait guest1\nguests\nhalt\n", guests::UART_INPUT);
    let run = machine.run_script(&script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    // Cause = DBE (ExcCode 7) for the mapped load and store past its RAM,
    // DBE for the KSEG1 load of guest-physical 0x10000000 (nothing there).
    let causes: Vec<String> = guest_lines(&output, "guest0").lines().map(str::to_string).collect();
    let want = ["0000001c", "0000001c", "0000001c"];
    if causes != want {
        return Err(format!("hostile guest saw Cause {causes:?}, want {want:?}: {}", context()));
    }
    let transcript = guest_lines(&output, "guest1");
    guests::check_like_native(&native, &transcript)
        .map_err(|why| format!("guest1: {why}: {}", context()))?;
    if !output.contains("guest0: running") {
        return Err(format!("the hostile guest should still be spinning: {}", context()));
    }
    Ok(())
}

/// A raw guest that prints `S` and executes SDBBP in a branch delay slot
/// (at ROM offset 0x44; the branch at 0x40). That enters its own debug
/// mode: its handler at ROM + 0x480 prints `D` and DEPC, then powers off.
const SDBBP_GUEST: &str = r#"
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 0x53
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    .org 0x40
    b     1f
    sdbbp 5
1:  li    $t0, 0x52
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
    # Its debug vector (BEV: ROM + 0x480): D, then DEPC, then power off.
    .org 0x480
    li    $t0, 0x44
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    mfc0  $a0, $24
    bal   print
    nop
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
3:  b     3b
    nop
"#;

/// A guest's SDBBP (host EJTAG debug mode, the boot flash's debug vector)
/// becomes the guest's own debug exception (its vector at ROM + 0x480,
/// DEPC); the suite beside it (guest1) gives the native results and the
/// hypervisor goes on.
fn sdbbp_guest_beside_the_suite(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    let raw = assemble_raw("sdbbp", SDBBP_GUEST)?;
    let suite = guests::build_suite(guests::Map::Guest)?;
    let pack = crate::image::guest_pack(&[raw, suite], "sdbbp.pack")?;
    let machine = with_pack(Machine::new(&images.plain_guest0()?), &pack);
    let script = format!("vserial bind guest1\n{}\x1dguests wait\nguests\nversion\nhalt\n", guests::UART_INPUT);
    let run = machine.run_script(&script, TIME_LIMIT)?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("QEMU {}; serial output:\n{output}\nQEMU stderr:\n{}", run.ending(), run.stderr);
    if run.timed_out() || !run.success() {
        return Err(format!("the machine did not halt cleanly: {}", context()));
    }
    // Its own debug exception: its debug vector runs with DEPC = the
    // branch whose delay slot holds the SDBBP.
    if guest_lines(&output, "guest0") != "S\nD\n3fc00040\n" {
        return Err(format!("the SDBBP guest should print S, D and DEPC 3fc00040: {}", context()));
    }
    if !output.contains("guest0: powered off") {
        return Err(format!("the SDBBP guest should power off from its debug handler: {}", context()));
    }
    let transcript = guest_lines(&output, "guest1");
    guests::check_like_native(&native, &transcript)
        .map_err(|why| format!("guest1: {why}: {}", context()))?;
    if !output.contains("[mterm] no guest is running") || !output.contains("mterm> version\n") {
        return Err(format!("mterm did not go on after the guests: {}", context()));
    }
    Ok(())
}

/// A raw guest that enables its UART's receive interrupt (IER.ERBFI, wired
/// to Cause.IP2), unmasks IP2 and sleeps in WAIT; the byte typed through
/// `vserial bind` raises the line, its BEV vector prints Cause and the byte,
/// and it powers off.
const UART_IRQ_GUEST: &str = r#"
    .set noreorder
    .set noat
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 1
    sb    $t0, 1($s0)
    li    $t0, 0x00400401
    mtc0  $t0, $12
    ehb
    wait
1:  b     1b
    nop


    .org 0x380
handler:
    mfc0  $a0, $13
    bal   print
    nop
    lbu   $t0, 0($s0)
    sb    $t0, 0($s0)
    li    $t0, 10
    sb    $t0, 0($s0)
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
"#;

/// A device interrupt (the UART's receive line on Cause.IP2) wakes a VCPU
/// from WAIT and enters its interrupt vector.
fn uart_interrupt_wakes_wait(images: &Images) -> Result<(), String> {
    let raw = assemble_raw("uart-irq", UART_IRQ_GUEST)?;
    let pack = crate::image::guest_pack(&[raw], "uart-irq.pack")?;
    expect_session(
        &with_pack(Machine::new(&images.plain_guest0()?), &pack),
        "vserial bind guest0\nx\x1dguests wait\nhalt\n",
        &["[guest0] 00000400\n", "[guest0] x\n", "guest0: powered off", "[mterm] no guest is running"],
    )
    .map(drop)
}

/// A raw guest using the FPU in its 64-bit view (Status.CU1 and FR): both
/// halves of $f1 written with mtc1/mthc1 read back as written.
const FPU64_GUEST: &str = r#"
    .set noreorder
    .set noat
    .set hardfloat
    .set fp=64
    .text
start:
    lui   $s0, 0x3800
    ori   $s0, $s0, 0x03f8
    li    $t0, 0x24400000
    mtc0  $t0, $12
    ehb
    li    $t1, 0x11111111
    mtc1  $t1, $f1
    li    $t2, 0x22222222
    mthc1 $t2, $f1
    li    $t1, 0x33333333
    mtc1  $t1, $f2
    mfhc1 $a0, $f1
    bal   print
    nop
    mfc1  $a0, $f1
    bal   print
    nop
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop

"#;

/// The guest's Status.FR reaches the host FPU: 64-bit registers work.
fn guest_fpu_64bit_registers(images: &Images) -> Result<(), String> {
    let raw = assemble_raw("fpu64", FPU64_GUEST)?;
    let pack = crate::image::guest_pack(&[raw], "fpu64.pack")?;
    expect_session(
        &with_pack(Machine::new(&images.hypervisor), &pack),
        "guests wait\nhalt\n",
        &["[guest0] 22222222\n", "[guest0] 11111111\n", "guest0: powered off"],
    )
    .map(drop)
}

/// Two more guests for `dts/host.dts`, each wrong in its own way.
const BAD_GUESTS: &str = r#"
		bad_overlap {
			device_type = "guest";
			image = <0>;
			vcpus { vcpu0 { device_type = "vcpu"; }; };
			aspace {
				ram { manifest_type = "real"; device_type = "alloced_ram"; guest_physical_addr = <0x0>; physical_size = <0x100000>; };
				rom { manifest_type = "real"; device_type = "alloced_rom"; guest_physical_addr = <0x1fc00000>; physical_size = <0x100000>; };
				uart0 { manifest_type = "virtual"; compatible = "ns16550a"; guest_physical_addr = <0xffff8>; physical_size = <0x10>; };
			};
		};
		bad_device {
			device_type = "guest";
			image = <0>;
			vcpus { vcpu0 { device_type = "vcpu"; }; };
			aspace {
				ram { manifest_type = "real"; device_type = "alloced_ram"; guest_physical_addr = <0x0>; physical_size = <0x100000>; };
				rom { manifest_type = "real"; device_type = "alloced_rom"; guest_physical_addr = <0x1fc00000>; physical_size = <0x100000>; };
				gpu { manifest_type = "virtual"; compatible = "acme,gpu"; guest_physical_addr = <0x10000000>; physical_size = <0x1000>; };
			};
		};
"#;

/// `dts/host.dts` plus two bad guest nodes: each is refused with its
/// reason, and guest0 and guest1 boot and run as usual.
fn bad_guest_nodes_are_refused(images: &Images) -> Result<(), String> {
    let host = std::fs::read_to_string(crate::qemu::workspace_root().join("dts/host.dts"))
        .map_err(|e| format!("cannot read dts/host.dts: {e}"))?;
    let at = host.find("\tguests {\n").ok_or("dts/host.dts has no `guests {` node")? + "\tguests {\n".len();
    let dts = format!("{}{BAD_GUESTS}{}", &host[..at], &host[at..]);
    let source = crate::qemu::target_dir().join("dts").join("bad-guests.dts");
    std::fs::create_dir_all(source.parent().unwrap_or(&source))
        .and_then(|()| std::fs::write(&source, dts))
        .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
    let elf = crate::image::build_hypervisor_with_dts(&source, "bad-guests")?;
    expect_session(
        &with_pack(Machine::new(&elf), &images.guests),
        "guests\nhalt\n",
        &[
            "guest bad_overlap: refused: regions `ram` and `uart0` overlap",
            "guest bad_device: refused: region `gpu`: no emulator for compatible \"acme,gpu\"",
            "guest guest0: image `guest-suite-guest`",
            "guest guest1: image `guest-suite-guest`",
            "mterm> guests\nguest0: running",
            "guest1: running",
            "mterm> halt\nhalting\n",
        ],
    )
    .map(drop)
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

/// The operator's commands on two guests (the suite twice): both run to
/// power-off; `vserial list|dump`, `guest info`, `vcpu regs|tlb`, `stats`
/// report on them; guest1 is started again and its suite runs to the end
/// once more, with the native results; guest0 is started and stopped
/// (its shadows leave the host TLB); bad arguments get a message and the
/// shell goes on.
fn mterm_guest_vcpu_vserial_stats(images: &Images) -> Result<(), String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    guests::check_native_run(&native)?;
    let input = guests::UART_INPUT;
    let script = format!(
        "vserial bind guest0\n{input}\x1dvserial bind guest1\n{input}\x1dguests wait\n\
         vserial list\nvserial dump guest1\nguest info guest0\nvcpu list\nvcpu regs guest0\nvcpu tlb guest1\nstats\n\
         guest start guest1\nguest start guest0\nvserial bind guest1\n{input}\x1dguests wait guest1\n\
         guest list\nvcpu tlb guest0\nguest stop guest0\nvcpu tlb guest0\nguest list\n\
         guest stop guest0\nguest pause guest1\nguest start guest1\nguest pause guest1\nguest list\nguest pause guest1\nguest resume guest1\nguest stop nobody\nguest info\nguest frob guest0\n\
         vcpu regs nobody\nvcpu tlb\nvcpu\nvserial dump nobody\nvserial frob\nstats now\nversion\nhalt\n"
    );
    let run = expect_session(
        &images.with_guests(),
        &script,
        &[
            "[mterm] no guest is running",
            "mterm> vserial list\nport         guest        bound  history\n",
            "guest0       guest0       no     ",
            "guest1       guest1       no     ",
            "mterm> vserial dump guest1\n--- guest1: last ",
            " passed, 0 failed",
            "--- end of guest1 ---",
            "mterm> guest info guest0\nguest0: powered off, pc 0x",
            "    0x00000000 0x01000000 RAM, 16 MiB at host 0x01000000\n",
            "    0x1fc00000 0x00400000 ROM, 4 MiB at host 0x02000000\n",
            "    0x180003f8 0x00000008 device ns16550a UART `guest0` (ISA IRQ 4)\n",
            "  board: Malta (malformed accesses ",
            "    i8259 master IRR ",
            "    i8254 counter 0 mode ",
            "    rtc 20",
            "    gt64120 regs 0x1be00000 ",
            "    fpga display `",
            "  exits:\n    interrupt ",
            "    privileged (emulated) ",
            "mterm> vcpu list\nguest0/vcpu0: guest guest0, powered off, pc 0x",
            "guest1/vcpu0: guest guest1, powered off",
            "mterm> vcpu regs guest0\nguest0/vcpu0: powered off\n  pc   ",
            "  zero 00000000",
            "  CP0 (rd,sel):",
            "     Status (12,0) ",
            "       PRId (15,0) 00019300",
            "   ErrorEPC (30,0) ",
            "mterm> vcpu tlb guest1\nguest1/vcpu0 guest TLB (16 entries",
            "host TLB shadows (host ASIDs 4 kernel view, 5 user view):",
            " shadow entries\n",
            "mterm> stats\nexits since boot, all guests:\n",
            "    total ",
            "    in guests ",
            "    in the hypervisor ",
            "    idle ",
            "mterm> guest start guest1\nguest1: reset, reloading its image, then running from 0x3fc00000\n",
            "mterm> guest start guest0\nguest0: reset, reloading its image, then running from 0x3fc00000\n",
            "\nguest1: powered off",
            "mterm> guest list\nguest0: ",
            "mterm> vcpu tlb guest0\n",
            "mterm> guest stop guest0\nguest0: stopped at 0x",
            "mterm> vcpu tlb guest0\n",
            "host TLB shadows (host ASIDs 2 kernel view, 3 user view):\n  0 shadow entries\n",
            "mterm> guest list\nguest0: stopped by the operator, pc 0x",
            "guest1: powered off, pc 0x",
            "mterm> guest stop guest0\nguest0 is not running\n",
            "mterm> guest pause guest1\nguest1 is not running\n",
            "mterm> guest start guest1\nguest1: reset, reloading its image",
            "mterm> guest pause guest1\nguest1: paused at 0x",
            "mterm> guest list\nguest0: stopped by the operator",
            "guest1: paused, pc 0x",
            "mterm> guest pause guest1\nguest1 is already paused\n",
            "mterm> guest resume guest1\nguest1: resumed at 0x",
            "mterm> guest stop nobody\nno guest or VCPU `nobody`; `guest list` shows them\n",
            "mterm> guest info\nusage: guest list | info NAME | start|stop|reset|pause|resume NAME\n",
            "mterm> guest frob guest0\nusage: guest ",
            "mterm> vcpu regs nobody\nno guest or VCPU `nobody`",
            "mterm> vcpu tlb\nusage: vcpu list | regs NAME | tlb NAME\n",
            "mterm> vcpu\nusage: vcpu ",
            "mterm> vserial dump nobody\nvserial: no serial port `nobody`; `vserial list` shows them\n",
            "mterm> vserial frob\nusage: vserial list | dump NAME | bind NAME\n",
            "mterm> stats now\nusage: stats (takes no arguments)\n",
            "mterm> version\nmipsvisor ",
            "mterm> halt\nhalting\n",
        ],
    )?;
    let output = run.stdout.replace('\r', "");
    let context = || format!("serial output:\n{output}");
    // guest0 ran beside guest1's second run, so it had shadows before the stop.
    let before_stop = output.find("mterm> vcpu tlb guest0\n").map(|at| &output[at..]).unwrap_or("");
    let shadows = before_stop.split(" shadow entries").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse::<u32>().ok());
    if shadows.unwrap_or(0) == 0 {
        return Err(format!("guest0 should have shadows before `guest stop` (saw {shadows:?}): {}", context()));
    }
    // guest1's second run, after its reset: the whole suite again, with the native results.
    let restart = output.find("guest1: reset, reloading its image").ok_or_else(|| format!("no restart: {}", context()))?;
    let second = guest_lines(&output[restart..], "guest1");
    guests::check_like_native(&native, &second)
        .map_err(|why| format!("guest1 after `guest start`: {why}: {}", context()))?;
    Ok(())
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

/// The number in the row of `host irqs` whose first column is `irq`.
fn irq_count(output: &str, irq: &str) -> Option<u64> {
    let line = output.lines().rev().find(|l| l.split_whitespace().next() == Some(irq))?;
    line.split_whitespace().last()?.parse().ok()
}

/// Issue #6's done-when: two guests at once (the interactive console as
/// guest0, the suite as guest1); the terminal binds to each console in
/// turn, types into the console guest and sees its echo and answer, stops
/// and restarts the suite, reads `stats`, `thread list` and `host irqs`
/// (the UART's receive interrupt counted), and halts.
fn operate_two_guests(images: &Images) -> Result<(), String> {
    use crate::guests;
    let pack = crate::image::guest_pack(&[guests::build_console()?, guests::build_suite(guests::Map::Guest)?], "operate.pack")?;
    let mut s = Session::start(&with_pack(Machine::new(&images.hypervisor), &pack))?;
    s.expect("type `help` for commands\nmterm> ", STEP)?;
    s.expect("[guest0] console: ready", STEP)?;
    // guest0's console: its prompt, then our keystrokes echoed and answered
    // (guest1 paused meanwhile: its lines would land inside the answer).
    s.send("guest pause guest1\n")?;
    s.expect("mterm> ", STEP)?;
    s.send("vserial bind guest0\n")?;
    s.expect("[mterm] console bound to guest0; Ctrl-] returns\n", STEP)?;
    s.send("\r")?;
    s.expect("> ", STEP)?;
    s.send("hello there\r")?;
    s.expect("hello there\nyou typed: hello there\n> ", STEP)?;
    s.send("ticks\r")?;
    s.expect("ticks\n", STEP)?;
    s.expect("> ", STEP)?;
    s.send("\x1d")?;
    s.expect("[mterm] console back to mterm\nmterm> ", STEP)?;
    // Stop the suite (it may have finished already: then it is powered
    // off) and start it again.
    s.send("guest stop guest1\n")?;
    let stop = s.expect("mterm> ", STEP)?;
    if !stop.contains("guest1: stopped at 0x") && !stop.contains("guest1 is not running") {
        return Err(format!("`guest stop guest1` answered {stop:?}"));
    }
    s.send("guest list\n")?;
    s.expect("guest list\nguest0: waiting (WAIT), pc 0x", STEP)?;
    let list = s.expect("mterm> ", STEP)?;
    if !list.contains("guest1: stopped by the operator, pc 0x") && !list.contains("guest1: powered off, pc 0x") {
        return Err(format!("`guest list` answered {list:?}"));
    }
    s.send("guest start guest1\n")?;
    s.expect("guest start guest1\nguest1: reset, reloading its image, then running from 0x3fc00000\n", STEP)?;
    // Its VCPU thread is back beside guest0's once the worker has
    // reloaded its image (deferred work: ask until it is there).
    let mut threads = String::new();
    for _ in 0..50 {
        s.send("thread list\n")?;
        s.expect("thread list\nid name             kind   prio state", STEP)?;
        threads = s.expect("mterm> ", STEP)?;
        if threads.contains("guest1/vcpu0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // guest1's console: its suite runs again and its input case reads
    // what we type at its prompt (typed earlier, it could reach the UART
    // before the suite has set it up, which empties its FIFO).
    s.send("vserial bind guest1\n")?;
    s.expect("[mterm] console bound to guest1; Ctrl-] returns\n", STEP)?;
    s.expect("uart-input> ", Duration::from_secs(60))?;
    s.send(guests::UART_INPUT)?;
    s.expect("PASS uart.input_ping\n", STEP)?;
    s.expect(" passed, 0 failed\n", STEP)?;
    s.send("\x1d")?;
    s.expect("[mterm] console back to mterm\nmterm> ", STEP)?;
    s.send("guests wait guest1\n")?;
    s.expect("[mterm] guest1 is not running\n", STEP)?;
    // guest0 kept its state all along: it still answers.
    s.send("vserial bind guest0\nagain\r")?;
    s.expect("you typed: again\n", STEP)?;
    s.send("\x1d")?;
    s.expect("[mterm] console back to mterm\nmterm> ", STEP)?;
    s.send("stats\n")?;
    let stats = s.expect("    idle ", STEP)?;
    s.send("host irqs\n")?;
    s.expect("host irqs\n", STEP)?;
    let irqs = s.expect("spurious: ", STEP)?;
    // The deepest printers, then the stacks' high-water marks.
    s.send("vcpu regs guest1\nvcpu tlb guest1\ndevtree\nthread list\n")?;
    s.expect("mterm> thread list\n", STEP)?;
    s.expect("deepest stack use since boot: ", STEP)?;
    let deepest = s.expect("\n", STEP)?;
    s.send("halt\n")?;
    s.expect("halting\n", STEP)?;
    let output = s.finish(STEP)?;
    let context = |what: &str| format!("{what}; output:\n{output}");
    // No thread came near half its stack (the sizes allow 2.4 times the
    // deepest use measured, interrupt path included: thread.rs).
    let marks = stack_marks(&deepest);
    if marks.len() != 2 || marks.iter().any(|&(used, size)| used * 2.0 >= size) {
        return Err(context(&format!("stack high-water marks {marks:?} from {deepest:?}: expected two, each under half its stack")));
    }
    for needle in ["    in guests ", "    in the hypervisor "] {
        if !stats.contains(needle) {
            return Err(context(&format!("`stats` lacks {needle:?}")));
        }
    }
    for needle in [" idle             thread    0 ", " mterm            thread    3 running", " worker           thread    2 ", " guest0/vcpu0     vcpu      1 ", " guest1/vcpu0     vcpu      1 "] {
        if !threads.contains(needle) {
            return Err(context(&format!("`thread list` lacks {needle:?}")));
        }
    }
    match (irq_count(&irqs, "isa4"), irq_count(&irqs, "cpu7")) {
        (Some(uart), Some(timer)) if uart > 0 && timer > 0 => Ok(()),
        counts => Err(context(&format!("`host irqs`: UART and timer interrupts should be counted, saw {counts:?}"))),
    }
}

/// A guest spinning with its interrupts off.
const SPIN_GUEST: &str = r#"
    .set noreorder
    .text
start:
    di
1:  b     1b
    nop
"#;

/// Nothing starves the terminal: with a guest spinning with interrupts
/// off and hypervisor threads spinning at the VCPUs' and at mterm's own
/// priority, every command is answered; the spinners are listed, paused,
/// resumed and killed; bad thread commands get a message.
fn spinners_do_not_starve_mterm(images: &Images) -> Result<(), String> {
    let raw = assemble_raw("spin", SPIN_GUEST)?;
    let pack = crate::image::guest_pack(&[raw], "spin.pack")?;
    let mut s = Session::start(&with_pack(Machine::new(&images.hypervisor), &pack))?;
    s.expect("mterm> ", STEP)?;
    s.send("thread spin\n")?;
    s.expect("thread 4 `spin001` started at priority 1\nmterm> ", STEP)?;
    // spin001 and the guest's VCPU share priority 1 (round robin) ...
    std::thread::sleep(Duration::from_millis(400));
    s.send("thread spin 3\n")?;
    s.expect("thread 5 `spin002` started at priority 3\nmterm> ", STEP)?;
    // ... and spin002 shares mterm's: mterm still answers every command.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        s.send("version\n")?;
        s.expect("version\nmipsvisor ", STEP)?;
    }
    s.send("thread list\n")?;
    s.expect("thread list\n", STEP)?;
    let list = s.expect("mterm> ", STEP)?;
    s.send("thread pause spin002\nthread pause spin002\nthread resume spin002\nthread kill spin002\nthread kill mterm\nthread pause guest0/vcpu0\nthread spin 4\nthread kill nobody\nthread list\nguest list\nhalt\n")?;
    s.expect("thread 5 `spin002` paused\n", STEP)?;
    s.expect("thread: `spin002` is already paused\n", STEP)?;
    s.expect("thread 5 `spin002` resumed\n", STEP)?;
    s.expect("thread 5 `spin002` destroyed\n", STEP)?;
    s.expect("thread: `mterm` is a system thread\n", STEP)?;
    s.expect("thread: `guest0/vcpu0` runs a VCPU; use `guest pause|resume|stop`\n", STEP)?;
    s.expect("usage: thread list | spin [PRIO] | pause|resume|kill NAME\n", STEP)?;
    s.expect("thread: no thread `nobody`; `thread list` shows them\n", STEP)?;
    let after = s.expect("mterm> guest list\nguest0: running, pc 0x", STEP)?;
    s.expect("halting\n", STEP)?;
    let output = s.finish(STEP)?;
    // Each spinner and the spinning guest's VCPU got the CPU.
    for name in ["spin001", "spin002", "guest0/vcpu0"] {
        // The run ms column, before the last one (stack).
        let ms = list.lines().find(|l| l.contains(name)).and_then(|l| l.split_whitespace().rev().nth(2)).and_then(|n| n.parse::<u64>().ok());
        if ms.unwrap_or(0) == 0 {
            return Err(format!("{name} should have run (run ms {ms:?}); output:\n{output}"));
        }
    }
    if after.contains("spin002") || !after.contains("spin001") {
        return Err(format!("after `thread kill spin002` only spin001 should be left; output:\n{output}"));
    }
    Ok(())
}

/// `(used, size)` in KiB of each `U/S KiB` in `thread list`'s last line
/// (`deepest stack use since boot: thread 4.3/12 KiB, vcpu 1.8/12 KiB`).
fn stack_marks(line: &str) -> Vec<(f64, f64)> {
    line.split(", ")
        .filter_map(|part| {
            let figure = part.trim().split(' ').nth(1)?;
            let (used, size) = figure.split_once('/')?;
            Some((used.parse().ok()?, size.parse().ok()?))
        })
        .collect()
}
