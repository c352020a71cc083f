//! Raw guests (sources in `guests/raw/`, assembled by [`assemble_raw`](crate::image::assemble_raw)):
//! the emulated `mtc0` round trip, a guest reaching beyond its memory, a
//! guest's SDBBP, a UART interrupt waking WAIT, the FPU's 64-bit view.

use super::*;
use crate::image::assemble_raw;

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "raw_guest_mtc0_round_trip", run: raw_guest_mtc0_round_trip },
    QemuTest { name: "hostile_guest_beside_the_suite", run: hostile_guest_beside_the_suite },
    QemuTest { name: "sdbbp_guest_beside_the_suite", run: sdbbp_guest_beside_the_suite },
    QemuTest { name: "uart_interrupt_wakes_wait", run: uart_interrupt_wakes_wait },
    QemuTest { name: "guest_fpu_64bit_registers", run: guest_fpu_64bit_registers },
];

/// A raw guest image (for the ROM, so it starts at its first word): times
/// `ROUND_TRIPS` iterations of a loop, first without and then with an
/// `mtc0` (emulated), in Count ticks, prints both in hex on its UART and
/// powers itself off.
const MTC0_GUEST: &str = include_str!("../../../guests/raw/mtc0-round-trip.S");

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

/// A hostile raw guest: maps guest KSSEG 0x40000000 to guest-physical
/// 0x02000000 (past its 16 MiB of RAM; host RAM of the other guest sits
/// there in host terms) and loads through it; the hardware answer is a data
/// bus error, which its BEV vector (ROM + 0x380) prints (Cause), then it
/// tries the same with a store, and a KSEG1 load of guest-physical
/// 0x10000000 (nothing there), and finally spins forever with interrupts off.
const HOSTILE_GUEST: &str = include_str!("../../../guests/raw/kseg-bus-errors.S");

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
const SDBBP_GUEST: &str = include_str!("../../../guests/raw/sdbbp-in-slot.S");

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
const UART_IRQ_GUEST: &str = include_str!("../../../guests/raw/uart-irq-wait.S");

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
const FPU64_GUEST: &str = include_str!("../../../guests/raw/fpu64.S");

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
