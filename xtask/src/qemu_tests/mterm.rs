//! The management terminal: its commands, line editing, the operator's
//! commands on running guests, and that spinning threads never starve it.

use crate::image::assemble_raw;
use super::*;

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "mterm_version_host_halt", run: mterm_version_host_halt },
    QemuTest { name: "mterm_devtree", run: mterm_devtree },
    QemuTest { name: "mterm_line_editing_and_errors", run: mterm_line_editing_and_errors },
    QemuTest { name: "mterm_guest_vcpu_vserial_stats", run: mterm_guest_vcpu_vserial_stats },
    QemuTest { name: "operate_two_guests", run: operate_two_guests },
    QemuTest { name: "spinners_do_not_starve_mterm", run: spinners_do_not_starve_mterm },
];

/// The workspace version, which the hypervisor reports too.
const VERSION: &str = env!("CARGO_PKG_VERSION");

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
const SPIN_GUEST: &str = include_str!("../../../guests/raw/spin.S");

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
