//! `cargo xtask bench`: virtualization overhead, per-exit costs, footprint
//! and decoder throughput, printed as one table and written to
//! `BENCHMARKS.md` (the method is described in docs/benchmarks.md).
//!
//! The workloads (`guests/bench`, one source, two link maps) run natively
//! (`-kernel`) and as guest0 of the hypervisor, both under QEMU's
//! `-icount shift=0`, each twice to check that the figures repeat. Every
//! workload times itself with Count; the hypervisor prints its per-exit
//! samples (`hypervisor/src/vm/exitcost.rs`) when the guest powers off.

use crate::qemu::{self, Machine, QEMU};
use crate::{image, process, setup};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PACKAGE: &str = "guest-bench";
/// One instruction per ns of virtual time; `sleep=off` keeps the virtual
/// clock from following the host's real time while the CPU is idle (at
/// start-up), which otherwise moves Count's phase by a tick between runs.
const ICOUNT: &str = "shift=0,sleep=off";
/// A run takes a few seconds; this only stops a hung one.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// `cargo bench -p isa-bench` runs of each decoder (BENCHMARKS.md's table is
/// best of 3; one keeps `cargo xtask bench` well inside 10 minutes).
const DECODER_REPS: &str = "1";

/// The workloads, in the order the guest runs them, with what OPS counts.
const WORKLOADS: &[(&str, &str, &str)] = &[
    ("compute", "CRC-32 (bitwise) over 16 KiB, 40 times", "bytes"),
    ("cp0", "`mfc0`/`mtc0` Status pairs", "CP0 instructions"),
    ("tlb", "16 reads in each of 64 KSSEG pages (32 pairs, TLB holds 16), `tlbwr` refills", "pages touched"),
    ("syscall", "`syscall`, handler steps EPC", "syscalls"),
    ("interrupt", "CRC-32 with a Count/Compare interrupt every 2000 ticks", "interrupts"),
    ("mmio", "`lbu` of the UART line status register", "UART reads"),
    ("critical", "RTOS critical section: `di`, a counter's load/add/store, `mtc0 Status`", "critical sections"),
    ("switch", "RTOS context switch on `syscall`: the handler swaps s0-s7 between two contexts", "switches"),
];

/// One run's results: workload → (ticks, ops); reason → (n, median, p99).
#[derive(Debug, Default, PartialEq, Eq)]
struct Results {
    workloads: BTreeMap<String, (u64, u64)>,
    exit_costs: Vec<(String, u64, u64, u64)>,
    exits: String,
}

fn parse(output: &str) -> Results {
    let mut results = Results::default();
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        let body = line.strip_prefix("[guest0] ").unwrap_or(line);
        if let Some(rest) = body.strip_prefix("bench ") {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if let [name, ticks, ops] = fields[..] {
                if let (Ok(t), Ok(o)) = (ticks.parse(), ops.parse()) {
                    results.workloads.insert(name.to_string(), (t, o));
                }
            }
        } else if let Some(rest) = line.strip_prefix("  exit cost: ") {
            // NAME: n N, median M, p99 P ticks
            let Some((name, numbers)) = rest.rsplit_once(": n ") else { continue };
            let numbers = numbers.trim_end_matches(" ticks");
            let values: Vec<u64> = numbers
                .split(", ")
                .filter_map(|f| f.rsplit(' ').next().and_then(|v| v.parse().ok()))
                .collect();
            if let [n, median, p99] = values[..] {
                results.exit_costs.push((name.to_string(), n, median, p99));
            }
        } else if let Some(rest) = line.strip_prefix("  exits:") {
            results.exits = rest.trim().to_string();
        }
    }
    results
}

/// Boots `machine` under `-icount shift=0`; once `done` appears in the
/// output (the guest powered off), types `then` (e.g. `halt`), so that no
/// console input can disturb a measurement. Returns the serial output.
fn run_machine(machine: &Machine, done: &str, then: &str) -> Result<String, String> {
    run_machine_with(machine, done, then, Duration::from_millis(300))
}

/// [`run_machine`], waiting `settle` between `done` and typing `then`.
fn run_machine_with(machine: &Machine, done: &str, then: &str, settle: Duration) -> Result<String, String> {
    let mut command = Command::new(QEMU);
    command.args(machine.args()).args(["-icount", ICOUNT]);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| process::spawn_error(QEMU, &e))?;
    let output = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().ok_or("no QEMU stdout")?;
    let sink = Arc::clone(&output);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut out) = sink.lock() {
                out.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    let mut stdin = child.stdin.take();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("waiting for QEMU: {e}"))? {
            break Some(status);
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        let finished = output.lock().map(|o| o.contains(done)).unwrap_or(false);
        if finished {
            if let Some(mut pipe) = stdin.take() {
                // Give the hypervisor's report time to reach the console.
                std::thread::sleep(settle);
                let _ = pipe.write_all(then.as_bytes());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let _ = reader.join();
    let output = output.lock().map(|o| o.replace('\r', "")).unwrap_or_default();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    match status {
        Some(s) if s.success() && (output.contains("bench-done") || output.contains(done)) => Ok(output),
        Some(s) => Err(format!("QEMU exited with {s} before the benchmark finished:\n{output}\n{stderr}")),
        None => Err(format!("QEMU did not finish within {} s:\n{output}", RUN_LIMIT.as_secs())),
    }
}

/// Instructions of a function in the image, from its label up to and
/// including the first line containing `until` (and the delay slot after
/// it when `slot`).
fn asm_length(disassembly: &str, symbol: &str, until: &str, slot: bool) -> Option<usize> {
    let start = disassembly.find(&format!("<{symbol}>:\n"))?;
    let mut count = 0;
    for line in disassembly[start..].lines().skip(1) {
        if line.trim().is_empty() {
            return None;
        }
        if line.contains(":\t") {
            count += 1;
            if line.contains(until) {
                return Some(count + usize::from(slot));
            }
        }
    }
    None
}

/// Thread slots (`hypervisor::kernel::sched::MAX_THREADS`), each with its stack.
const THREAD_SLOTS: u64 = 12;

/// Section sizes of an ELF (`objdump -h`).
fn sections(elf: &Path) -> Result<BTreeMap<String, u64>, String> {
    let mut command = Command::new("mipsel-linux-gnu-objdump");
    command.arg("-h").arg(elf);
    let table = process::output(command)?;
    let mut sizes = BTreeMap::new();
    for line in table.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() >= 3 && fields[0].parse::<u32>().is_ok() {
            if let Ok(size) = u64::from_str_radix(fields[2], 16) {
                sizes.insert(fields[1].to_string(), size);
            }
        }
    }
    Ok(sizes)
}

/// The image's symbols (`nm -S -C`): (demangled name, size, `nm` type).
fn symbols(elf: &Path) -> Result<Vec<(String, u64, char)>, String> {
    let mut command = Command::new("mipsel-linux-gnu-nm");
    command.arg("-S").arg("-C").arg(elf);
    Ok(parse_symbols(&process::output(command)?))
}

fn parse_symbols(table: &str) -> Vec<(String, u64, char)> {
    table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.splitn(4, ' ').collect();
            let [_, size, kind, name] = fields[..] else { return None };
            Some((name.to_string(), u64::from_str_radix(size, 16).ok()?, kind.chars().next()?))
        })
        .collect()
}

/// The image's code and read-only data (`nm` symbol types T, t, R, r, W,
/// w, V, v) summed by where it comes from: a crate, or for the hypervisor
/// and the emulator their module (`hypervisor::devices::malta`: the board), largest
/// first. Symbols without a Rust path (assembly, `memcpy`, `kmain`) are one
/// group.
fn group_by_module(symbols: &[(String, u64, char)]) -> Vec<(String, u64)> {
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    for (name, size, kind) in symbols {
        if "TtRrWwVv".contains(*kind) {
            *groups.entry(module_of(name)).or_default() += size;
        }
    }
    let mut sorted: Vec<(String, u64)> = groups.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sorted
}

/// The group of a demangled symbol (see [`code_by_module`]).
fn module_of(name: &str) -> String {
    let path = name.trim_start_matches('<');
    let segments: Vec<&str> = path.split("::").take(3).map(|s| s.split([' ', '<', '>', '(']).next().unwrap_or("")).collect();
    if segments.len() < 2 {
        return "(assembly and C symbols)".to_string();
    }
    let depth = match segments[0] {
        "hypervisor" if matches!(segments[1], "devices" | "vm" | "arch" | "host" | "kernel" | "threads") => 3,
        "hypervisor" | "emulator" => 2,
        _ => 1,
    };
    segments[..depth.min(segments.len())].join("::")
}

/// `DW_AT_byte_size` of the structures named in `names`, from the image's
/// debug information (the sizes on the target, not on the host).
fn struct_sizes(elf: &Path, names: &[&str]) -> BTreeMap<String, u64> {
    let mut command = Command::new("mipsel-linux-gnu-readelf");
    command.arg("--debug-dump=info").arg(elf);
    let Ok(dump) = process::output(command) else { return BTreeMap::new() };
    let mut sizes = BTreeMap::new();
    let mut in_struct = false;
    let mut name: Option<String> = None;
    for line in dump.lines() {
        if line.contains("Abbrev Number") {
            in_struct = line.contains("(DW_TAG_structure_type)");
            name = None;
            continue;
        }
        if !in_struct {
            continue;
        }
        if line.contains("DW_AT_name") {
            let n = line.rsplit(": ").next().unwrap_or("").trim().to_string();
            name = names.contains(&n.as_str()).then_some(n);
        } else if line.contains("DW_AT_byte_size") {
            if let (Some(n), Some(size)) = (&name, line.rsplit(':').next().and_then(|v| v.trim().parse::<u64>().ok())) {
                let entry = sizes.entry(n.clone()).or_insert(0);
                *entry = (*entry).max(size);
            }
        }
    }
    sizes
}

fn decoder_table() -> String {
    let mut command = qemu::cargo();
    command
        .current_dir(qemu::workspace_root())
        .env("BENCH_REPS", DECODER_REPS)
        .args(["bench", "-j2", "-p", "isa-bench"])
        .stdin(Stdio::null());
    match process::output(command) {
        Ok(out) => {
            let table: Vec<&str> = out.lines().filter(|l| l.starts_with('|')).collect();
            let header = out.lines().find(|l| l.contains("words per input")).unwrap_or("");
            let ratios: Vec<String> =
                out.lines().filter(|l| l.contains("(target <=")).map(|l| format!("- {l}")).collect();
            format!("{header}\n\n{}\n\n{}", table.join("\n"), ratios.join("\n"))
        }
        Err(why) => format!("`cargo bench -p isa-bench` failed: {}", why.lines().last().unwrap_or("")),
    }
}

/// A raw guest for a profile: `PROFILE_PAIRS` times the two
/// instructions `{ops}`, then power-off. t4 holds the guest-KSEG1 address
/// of UART0 (physical 0x180003F8, the shifted map's KSEG1 at 0x20000000).
const PROFILE_GUEST: &str = r#"
    .set noreorder
    .set noat
    .text
start:
    li    $t0, 2000
    lui   $t4, 0x3800
1:  {ops}
    addiu $t0, $t0, -1
    bnez  $t0, 1b
    nop
    lui   $t4, 0x3f00
    li    $t5, 0x42
    sw    $t5, 0x500($t4)
2:  b     2b
    nop
"#;
const PROFILE_PAIRS: u64 = 2000;
/// Guest addresses of the loop (the ROM at 0x3FC00000): its first
/// instruction, and where the power-off sequence starts.
const PROFILE_LOOP: u32 = 0x3FC0_0008;
const PROFILE_END: u32 = 0x3FC0_001C;

/// What a profile runs: a name for its files, and the loop's two
/// instructions (one per line).
struct Profiled {
    name: &'static str,
    ops: &'static str,
}

/// An emulated CP0 instruction: `mfc0`/`mtc0` Status pairs.
const PROFILE_CP0: Profiled = Profiled { name: "cp0", ops: "mfc0  $t1, $12\n    mtc0  $t1, $12" };
/// An MMIO read: two `lbu`s of the UART's line status register.
const PROFILE_MMIO: Profiled = Profiled { name: "mmio", ops: "lbu   $t1, 0x3FD($t4)\n    lbu   $t1, 0x3FD($t4)" };

/// Where the host instructions of one profiled instruction go: QEMU's
/// execution trace (`-d exec,nochain,in_asm`, every translation block run
/// and the instructions of each) of the hypervisor running
/// `PROFILE_GUEST` with `what`'s instructions, from its loop's first
/// instruction to its power-off, summed per function of the image.
/// Returns (function, host instructions per guest instruction), largest
/// first, and the total per guest instruction.
fn profile(hypervisor: &Path, what: &Profiled) -> Result<(Vec<(String, f64)>, f64), String> {
    if !hypervisor.is_file() {
        return Err(format!("no image at {}", hypervisor.display()));
    }
    // A raw guest like the QEMU tests' (`print` appended after its code
    // changes none of the loop's addresses).
    let raw = image::assemble_raw(&format!("profile-{}", what.name), &PROFILE_GUEST.replace("{ops}", what.ops))?;
    let log = raw.with_extension("log");
    let pack = image::guest_pack(&[raw], "bench-profile.pack")?;
    let machine = crate::qemu_tests::with_pack(Machine::new(hypervisor), &pack);
    let machine = machine.arg("-d").arg("exec,nochain,in_asm").arg("-D").arg(log.display().to_string());
    run_machine_with(&machine, "guest0: powered off", "halt\n", Duration::ZERO)?;

    let mut nm = Command::new("mipsel-linux-gnu-nm");
    nm.args(["-n", "-C"]).arg(hypervisor);
    let mut symbols: Vec<(u32, String)> = process::output(nm)?
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ' ');
            let addr = u64::from_str_radix(f.next()?, 16).ok()? as u32;
            let kind = f.next()?;
            let name = f.next()?;
            matches!(kind, "t" | "T" | "W" | "w").then(|| (addr, name.to_string()))
        })
        .collect();
    symbols.sort();
    let symbol = |pc: u32| -> String {
        match symbols.partition_point(|(a, _)| *a <= pc) {
            0 => "?".into(),
            i => symbols[i - 1].1.clone(),
        }
    };
    let text = std::fs::read_to_string(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    let _ = std::fs::remove_file(&log);
    // Instructions per translation block (by start address), from in_asm.
    let mut lengths: BTreeMap<u32, u64> = BTreeMap::new();
    let mut per_symbol: BTreeMap<String, u64> = BTreeMap::new();
    let (mut block, mut started) = (None::<(u32, u64)>, false);
    for line in text.lines() {
        if line.starts_with("IN:") {
            block = Some((0, 0));
            continue;
        }
        if let Some((start, n)) = block.as_mut() {
            if let Some(pc) = line.strip_prefix("0x").and_then(|l| l.split(':').next()).and_then(|a| u32::from_str_radix(a, 16).ok()) {
                if *n == 0 {
                    *start = pc;
                }
                *n += 1;
                continue;
            }
            if *n > 0 {
                lengths.insert(*start, *n);
            }
            block = None;
        }
        let Some(fields) = line.strip_prefix("Trace ").and_then(|l| l.split('[').nth(1)) else { continue };
        let Some(pc) = fields.split('/').nth(1).and_then(|a| u32::from_str_radix(a, 16).ok()) else { continue };
        if !started {
            started = pc == PROFILE_LOOP;
            if !started {
                continue;
            }
        }
        if (PROFILE_END..0x8000_0000).contains(&pc) {
            break;
        }
        let name = if pc < 0x8000_0000 { "(the guest's own instructions)".to_string() } else { symbol(pc) };
        *per_symbol.entry(name).or_insert(0) += lengths.get(&pc).copied().unwrap_or(0);
    }
    if !started {
        return Err(format!("the trace never reached the guest's loop at {PROFILE_LOOP:#x}"));
    }
    let ops = (2 * PROFILE_PAIRS) as f64;
    let total = per_symbol.values().sum::<u64>() as f64 / ops;
    let mut rows: Vec<(String, f64)> = per_symbol.into_iter().map(|(k, v)| (k, v as f64 / ops)).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok((rows, total))
}

fn ratio(v: u64, n: u64) -> f64 {
    v as f64 / n.max(1) as f64
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

pub fn run(args: &[String]) -> Result<(), String> {
    match args {
        [] => {}
        [only] if only == "--linux" => {
            // The Linux boot alone, printed; BENCHMARKS.md is left as it is.
            setup::ensure()?;
            println!("\n{}", crate::linux_guest::bench()?);
            return Ok(());
        }
        [only] if only == "--profiles" => {
            // The two trace profiles alone, printed; BENCHMARKS.md is left as it is.
            setup::ensure()?;
            image::build_hypervisor()?;
            let plain = image::plain_guest0_hypervisor()?;
            for what in [PROFILE_CP0, PROFILE_MMIO] {
                let (rows, total) = profile(&plain, &what)?;
                println!("\nprofile {}: {total:.0} host instructions per operation", what.name);
                for (name, per) in rows.iter().take(24) {
                    println!("{per:8.1}  {name}");
                }
            }
            return Ok(());
        }
        [arg, ..] => return Err(format!("bench takes no arguments but --linux or --profiles (got `{arg}`)")),
    }
    let began = Instant::now();
    setup::ensure()?;
    let hypervisor = image::build_hypervisor()?;
    let native = qemu::build_baremetal(PACKAGE, "guest-bench-native", &[])?;
    let guest = qemu::build_baremetal(PACKAGE, "guest-bench-guest", &[])?;
    let pack = image::guest_pack(&[guest], "bench.pack")?;

    // `run_machine` starts QEMU itself, so the boot flash the hypervisor's
    // machine names must be written first (`Machine::run_*` would do it).
    let flash = qemu::boot_flash_path();
    std::fs::write(&flash, qemu::boot_flash_image()).map_err(|e| format!("cannot write {}: {e}", flash.display()))?;
    let native_machine = Machine::new(&native).without_boot_flash();
    let virt_machine = crate::qemu_tests::with_pack(Machine::new(&hypervisor), &pack);
    // The same guest in the paravirtual mode (dts/paravirt.dts).
    let pv_machine = crate::qemu_tests::with_pack(Machine::new(&image::paravirt_hypervisor()?), &pack);
    let mut runs = Vec::new();
    for round in 1..=2 {
        println!("bench: round {round}: native, under the hypervisor, in its paravirtual mode (-icount {ICOUNT})");
        let n = parse(&run_machine(&native_machine, "bench-done", "")?);
        let v = parse(&run_machine(&virt_machine, "guest0: powered off", "halt\n")?);
        let p = parse(&run_machine(&pv_machine, "guest0: powered off", "halt\n")?);
        runs.push((n, v, p));
    }
    let (native_r, virt_r, pv_r) = &runs[0];
    let deterministic = runs[0] == runs[1];
    let mut differences = Vec::new();
    let pairs = [("native", &runs[0].0, &runs[1].0), ("virtualized", &runs[0].1, &runs[1].1), ("paravirtual", &runs[0].2, &runs[1].2)];
    for (which, a, b) in pairs {
        for (name, first) in &a.workloads {
            if b.workloads.get(name) != Some(first) {
                differences.push(format!("{which} {name}: {first:?} then {:?}", b.workloads.get(name)));
            }
        }
        if a.exit_costs != b.exit_costs {
            differences.push(format!("{which} exit costs: {:?} then {:?}", a.exit_costs, b.exit_costs));
        }
    }

    // Host instructions per Count tick: the calibration loop runs a known
    // number of instructions natively.
    let (cal_ticks, cal_insns) = *native_r.workloads.get("calibrate").ok_or("no calibration result")?;
    let ipt = cal_insns as f64 / cal_ticks.max(1) as f64;

    let mut disassemble = Command::new("mipsel-linux-gnu-objdump");
    disassemble.arg("-d").arg(&hypervisor);
    let disassembly = process::output(disassemble).unwrap_or_default();
    // Outside the sampled window: the vector (2 + delay slot), the user-mode
    // test in `exception_save` (to its `bnez` and delay slot), the jump to
    // `guest_exit` (and its slot), `guest_exit` up to its Count read; and
    // `vcpu_enter` up to its `eret`.
    let save = asm_length(&disassembly, "exception_save", "bnez", true)
        .zip(asm_length(&disassembly, "guest_exit", "c0_count", false))
        .map(|(test, save)| 3 + test + 2 + save);
    let restore = asm_length(&disassembly, "vcpu_enter", "eret", false);
    let fixed = save.unwrap_or(0) + restore.unwrap_or(0);

    let mut md = String::new();
    let date = process::output({
        let mut c = Command::new("date");
        c.args(["-u", "+%Y-%m-%d %H:%M UTC"]);
        c
    })
    .unwrap_or_default();
    let _ = writeln!(md, "Measured {} by `cargo xtask bench` (QEMU Malta 24Kf, `-icount {ICOUNT}`).", date.trim());
    let _ = writeln!(
        md,
        "Deterministic: {} (two runs of each, every figure {}). 1 Count tick = {ipt:.2} host instructions (calibrated natively).\n",
        if deterministic { "yes" } else { "**no**" },
        if deterministic { "identical".to_string() } else { format!("compared; they differ: {}", differences.join("; ")) }
    );

    let _ = writeln!(md, "### Virtualization overhead\n");
    let _ = writeln!(md, "| workload | what | ops | native ticks | virtualized ticks | virtualized/native | paravirtual/native | host instructions per op, native → virtualized → paravirtual |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
    for (name, what, unit) in WORKLOADS {
        let (Some(&(nt, ops)), Some(&(vt, vops))) = (native_r.workloads.get(*name), virt_r.workloads.get(*name)) else {
            let _ = writeln!(md, "| {name} | {what} | — | — | — | missing | — | — |");
            continue;
        };
        let (pt, pops) = pv_r.workloads.get(*name).copied().unwrap_or((0, 0));
        let _ = writeln!(
            md,
            "| {name} | {what} | {ops} {unit}{} | {nt} | {vt} | **{:.3}** | **{:.3}** | {:.1} → {:.1} → {:.1} |",
            if vops != ops || pops != ops { format!(" ({vops} virtualized, {pops} paravirtual)") } else { String::new() },
            ratio(vt, nt),
            ratio(pt, nt),
            nt as f64 * ipt / ops.max(1) as f64,
            vt as f64 * ipt / vops.max(1) as f64,
            pt as f64 * ipt / pops.max(1) as f64,
        );
    }
    // Host instructions per CP0 instruction of the cp0 workload in a run:
    // its extra ticks over native, in host instructions, per CP0
    // instruction, plus the instruction itself.
    let cp0_cost = |run: &Results| {
        let (&(nt, ops), &(t, _)) = native_r.workloads.get("cp0").zip(run.workloads.get("cp0"))?;
        Some((t as f64 - nt as f64) * ipt / ops.max(1) as f64 + 1.0)
    };
    let (cp0, pv_cp0) = (cp0_cost(virt_r), cp0_cost(pv_r));
    if let Some(per) = cp0 {
        let _ = writeln!(
            md,
            "\nTrapped and emulated `mfc0`/`mtc0` round trip, seen by the guest (whole exit, emulation, re-entry): **{per:.0} host instructions** each (cp0 workload: extra ticks × {ipt:.2} / CP0 instructions + the instruction itself)."
        );
    }
    if let Some(per) = pv_cp0 {
        let _ = writeln!(
            md,
            "\nIn the paravirtual mode (the `mfc0` rewritten into a load of the VCPU's page, the `mtc0 Status` into a store): **{per:.1} host instructions** per CP0 instruction, same formula."
        );
    }
    let _ = writeln!(md, "\nExits of the virtualized run: {}", virt_r.exits);
    let _ = writeln!(md, "\nExits of the paravirtual run: {}", pv_r.exits);

    let _ = writeln!(md, "\n### Per-exit costs\n");
    let _ = writeln!(
        md,
        "Hypervisor samples over the whole virtualized run, from the Count read as `guest_exit` has saved the guest's registers to the one before `world::enter` (Count ticks), plus the {fixed} instructions of assembly outside that window (vector and register save {}, `vcpu_enter` to `eret` {}); in host instructions.\n",
        save.map_or("?".into(), |n| n.to_string()),
        restore.map_or("?".into(), |n| n.to_string()),
    );
    let _ = writeln!(md, "| exit reason | samples | median ticks | p99 ticks | median host instructions | p99 host instructions |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for (name, n, median, p99) in &virt_r.exit_costs {
        let _ = writeln!(
            md,
            "| {name} | {n} | {median} | {p99} | {:.0} | {:.0} |",
            *median as f64 * ipt + fixed as f64,
            *p99 as f64 * ipt + fixed as f64
        );
    }

    // Raw guests written for the plain map: their code is where the board
    // would put its revision word (ROM + 0x10).
    let profiles = [
        (PROFILE_CP0, "an emulated CP0 instruction", "`mfc0`/`mtc0` Status pairs", "CP0 instruction"),
        (PROFILE_MMIO, "an MMIO read", "pairs of `lbu` of the UART's line status register", "MMIO read"),
    ];
    let plain = image::plain_guest0_hypervisor();
    for (what, title, guest, unit) in profiles {
        println!("bench: profile of {title} (QEMU execution trace)");
        let _ = writeln!(md, "\n### Where {title}'s time goes\n");
        match plain.clone().and_then(|plain| profile(&plain, &what)) {
            Ok((rows, total)) => {
                let _ = writeln!(
                    md,
                    "QEMU's execution trace (`-d exec,nochain,in_asm`) of the hypervisor running a raw guest of {PROFILE_PAIRS} {guest}, from its loop to its power-off, summed per function of the image: **{total:.0} host instructions per {unit}** in all.\n"
                );
                let _ = writeln!(md, "| function | host instructions per {unit} |");
                let _ = writeln!(md, "|---|---:|");
                let mut rest = 0.0;
                for (i, (name, per)) in rows.iter().enumerate() {
                    if i < 16 {
                        let _ = writeln!(md, "| `{}` | {per:.1} |", name.replace('|', "\\|"));
                    } else {
                        rest += per;
                    }
                }
                let _ = writeln!(md, "| (everything else) | {rest:.1} |");
            }
            Err(why) => {
                let _ = writeln!(md, "The profile failed: {}", why.lines().next().unwrap_or(""));
            }
        }
    }

    let _ = writeln!(md, "\n### Footprint\n");
    let secs = sections(&hypervisor)?;
    let get = |names: &[&str]| names.iter().filter_map(|n| secs.get(*n)).sum::<u64>();
    let text = get(&[".vectors", ".text"]);
    let rodata = get(&[".rodata"]);
    let data = get(&[".data", ".sdata", ".dtb", ".got"]);
    let bss = get(&[".bss", ".sbss"]);
    let stack = get(&[".stack"]);
    let symbols = symbols(&hypervisor)?;
    let symbol = |name: &str| symbols.iter().find(|(n, _, _)| n == name).map_or(0, |&(_, size, _)| size);
    let thread_stacks = symbol("hypervisor::arch::mips::thread::STACKS");
    let guest_slots = symbol("hypervisor::threads::GUEST_SLOTS");
    let _ = writeln!(md, "| part | bytes | |");
    let _ = writeln!(md, "|---|---:|---|");
    let _ = writeln!(md, "| text (.vectors + .text) | {text} | {} |", kib(text));
    let _ = writeln!(md, "| read-only data (.rodata, with the embedded device tree) | {rodata} | {} |", kib(rodata));
    let _ = writeln!(md, "| data (.data, .sdata) | {data} | {} |", kib(data));
    let _ = writeln!(md, "| text + data (+ rodata): the image's loaded bytes | {} | {} |", text + data + rodata, kib(text + data + rodata));
    let _ = writeln!(md, "| bss | {bss} | {} |", kib(bss));
    let _ = writeln!(md, "| of which thread stacks (`thread::STACKS`, {} slots) | {thread_stacks} | {} |", THREAD_SLOTS, kib(thread_stacks));
    let _ = writeln!(md, "| of which the guest table (`GUEST_SLOTS`, `[Option<Guest>; 4]`) | {guest_slots} | {} |", kib(guest_slots));
    let _ = writeln!(md, "| of which the rest (exit costs, UART rings, scheduler, ...) | {} | {} |", bss - thread_stacks - guest_slots, kib(bss - thread_stacks - guest_slots));
    let _ = writeln!(md, "| boot + exception stacks (.stack) | {stack} | {} |", kib(stack));
    let _ = writeln!(md, "| host RAM the hypervisor occupies (text + rodata + data + bss + .stack) | {} | {} |", text + rodata + data + bss + stack, kib(text + rodata + data + bss + stack));
    let structs = struct_sizes(&hypervisor, &["Guest", "Vcpu", "Cpu", "Bus", "GuestMemory", "FpuRegs", "ExitCosts", "TrapFrame"]);
    let per_guest = guest_slots / 4 + structs.get("FpuRegs").copied().unwrap_or(0) + thread_stacks / THREAD_SLOTS;
    let _ = writeln!(
        md,
        "\nPer guest, on the hypervisor's side: {per_guest} bytes ({}): its slot of the guest table ({} bytes, `Option<Guest>`), its FPU save area (`FpuRegs`) and its VCPU thread's stack ({} bytes). All are reserved for `MAX_GUESTS` = 4 guests in .bss; guest RAM and ROM are the guests' own.",
        kib(per_guest),
        guest_slots / 4,
        thread_stacks / THREAD_SLOTS
    );
    println!("bench: footprint: text {}, rodata {}, data {}, bss {} (thread stacks {}), boot + exception stacks {}; per guest {}", kib(text), kib(rodata), kib(data), kib(bss), kib(thread_stacks), kib(stack), kib(per_guest));
    let _ = writeln!(md, "\nPer guest and per VCPU (`DW_AT_byte_size` from the image's debug information; the guests live in `GUEST_SLOTS`, `[Option<Guest>; MAX_GUESTS]` in .bss, filled at boot; the FPU save areas in `threads/mod.rs`'s `Vm`):\n");
    let _ = writeln!(md, "| structure | bytes |");
    let _ = writeln!(md, "|---|---:|");
    for (name, size) in &structs {
        let _ = writeln!(md, "| `{name}` | {size} |");
    }
    {
        let modules = group_by_module(&symbols);
        let total: u64 = modules.iter().map(|(_, n)| n).sum();
        let _ = writeln!(md, "\nWhere the text and read-only data go (`nm -S`, symbols of types T/t/R/r/W/V summed by crate, or module for the hypervisor and the emulator; {} in all):\n", kib(total));
        let _ = writeln!(md, "| from | bytes | share |");
        let _ = writeln!(md, "|---|---:|---:|");
        let mut rest = 0;
        for (i, (module, bytes)) in modules.iter().enumerate() {
            if i < 20 {
                let _ = writeln!(md, "| `{module}` | {bytes} | {:.1}% |", 100.0 * *bytes as f64 / total.max(1) as f64);
            } else {
                rest += bytes;
            }
        }
        let _ = writeln!(md, "| (everything else) | {rest} | {:.1}% |", 100.0 * rest as f64 / total.max(1) as f64);
    }
    let all_sections: Vec<String> = secs.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(md, "\nAll sections: {}.", all_sections.join(", "));

    let _ = writeln!(md, "\n### Linux guest\n");
    match crate::linux_guest::bench() {
        Ok(section) => md.push_str(&section),
        Err(why) => {
            let _ = writeln!(md, "The Linux boot failed: {}", why.lines().next().unwrap_or(""));
        }
    }

    println!("bench: decoder throughput (`cargo bench -p isa-bench`, BENCH_REPS={DECODER_REPS})");
    let _ = writeln!(md, "\n### Decoder throughput\n");
    let _ = writeln!(md, "`BENCH_REPS={DECODER_REPS} cargo bench -p isa-bench` (best of {DECODER_REPS} run, ns per instruction, on the host):\n");
    let _ = writeln!(md, "{}", decoder_table());

    let _ = writeln!(md, "\n### Targets\n");
    let target_row = |md: &mut String, what: &str, measured: String, met: Option<bool>| {
        let verdict = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "?",
        };
        let _ = writeln!(md, "| {what} | {measured} | {verdict} |");
    };
    let _ = writeln!(md, "| target | measured | met? |");
    let _ = writeln!(md, "|---|---|---|");
    let r = |name: &str| -> Option<f64> {
        Some(ratio(virt_r.workloads.get(name)?.0, native_r.workloads.get(name)?.0))
    };
    let compute = r("compute");
    target_row(&mut md, "compute-bound ratio ≤ 1.02", compute.map_or("—".into(), |x| format!("{x:.3}")), compute.map(|x| x <= 1.02));
    target_row(&mut md, "#16: trapped mfc0/mtc0 round trip ≤ 150 host instructions (moonshot 100)", cp0.map_or("—".into(), |x| format!("{x:.0}")), cp0.map(|x| x <= 150.0));
    let tlb = r("tlb");
    target_row(&mut md, "#16: TLB workload ≤ 10× native (moonshot 3×)", tlb.map_or("—".into(), |x| format!("{x:.1}×")), tlb.map(|x| x <= 10.0));
    // Host instructions per operation, virtualized.
    let per_op = |name: &str| virt_r.workloads.get(name).map(|&(vt, ops)| vt as f64 * ipt / ops.max(1) as f64);
    let syscall = per_op("syscall");
    target_row(&mut md, "#16: syscall ≤ 600 host instructions", syscall.map_or("—".into(), |x| format!("{x:.0}")), syscall.map(|x| x <= 600.0));
    let mmio = per_op("mmio");
    target_row(&mut md, "#16: MMIO read ≤ 800 host instructions", mmio.map_or("—".into(), |x| format!("{x:.0}")), mmio.map(|x| x <= 800.0));
    let critical = pv_r.workloads.get("critical").zip(native_r.workloads.get("critical")).map(|(p, n)| ratio(p.0, n.0));
    target_row(&mut md, "#16: RTOS critical section ≤ 3× native with the paravirtual mode", critical.map_or("—".into(), |x| format!("{x:.2}×")), critical.map(|x| x <= 3.0));
    target_row(&mut md, "#16: a CP0 read ≤ 10 host instructions with the paravirtual mode", pv_cp0.map_or("—".into(), |x| format!("{x:.1}")), pv_cp0.map(|x| x <= 10.0));
    target_row(&mut md, "#16: image text + rodata ≤ 64 KiB", kib(text + rodata), Some(text + rodata <= 64 * 1024));
    target_row(&mut md, "#16: hypervisor RAM per guest ≤ 8 KiB besides its VCPU stack", kib(guest_slots / 4 + structs.get("FpuRegs").copied().unwrap_or(0)), Some(guest_slots / 4 + structs.get("FpuRegs").copied().unwrap_or(0) <= 8 * 1024));

    let _ = writeln!(md, "\n`cargo xtask bench` took {:.0} s.", began.elapsed().as_secs_f64());
    println!("\n{md}");

    let path = qemu::workspace_root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let marker = "<!-- bench results -->";
    let head = old.split(marker).next().filter(|h| !h.trim().is_empty()).unwrap_or("# Benchmarks\n\n").to_string();
    std::fs::write(&path, format!("{head}{marker}\n\n{md}")).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("written to {}", path.display());
    let _: PathBuf = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_native_and_virtualized_lines() {
        let out = "[guest0] bench cp0 2000 40\nbench tlb 5 6\nguest0: powered off\n  exits: privileged (emulated) 40;\n  exit cost: privileged (emulated): n 40, median 270, p99 281 ticks\n";
        let r = parse(out);
        assert_eq!(r.workloads.get("cp0"), Some(&(2000, 40)));
        assert_eq!(r.workloads.get("tlb"), Some(&(5, 6)));
        assert_eq!(r.exit_costs, vec![("privileged (emulated)".to_string(), 40, 270, 281)]);
        assert_eq!(r.exits, "privileged (emulated) 40;");
    }

    #[test]
    fn groups_code_by_module() {
        let nm = "80100000 00000010 T kmain\n80100010 00000100 T <hypervisor::devices::malta::i8254::I8254>::write_port\n\
                  80100110 00000020 t hypervisor::mterm::parse\n80100130 00000008 r <hypervisor::vm::config::Refusal as core::fmt::Display>::fmt\n\
                  80100140 00000040 T core::fmt::write\n80100180 00000004 b hypervisor::boot::COSTS\n80100190 00000030 T <emulator::Cpu>::run\n";
        assert_eq!(
            group_by_module(&parse_symbols(nm)),
            [
                ("hypervisor::devices::malta".to_string(), 0x100),
                ("core".to_string(), 0x40),
                ("emulator::Cpu".to_string(), 0x30),
                ("hypervisor::mterm".to_string(), 0x20),
                ("(assembly and C symbols)".to_string(), 0x10),
                ("hypervisor::vm::config".to_string(), 8),
            ]
        );
    }

    #[test]
    fn counts_assembly() {
        let d = "80100280 <exception_save>:\n80100280:\t1 \tmtc0\n80100284:\t2 \tsw\n80100288:\t3 \tjal\t80100400 <exception_entry>\n8010028c:\t4 \taddiu\n\n";
        assert_eq!(asm_length(d, "exception_save", "exception_entry", true), Some(4));
        let d = "80100500 <vcpu_enter>:\n80100500:\t1 \tlui\n80100504:\t2 \teret\n\n";
        assert_eq!(asm_length(d, "vcpu_enter", "eret", false), Some(2));
    }
}
