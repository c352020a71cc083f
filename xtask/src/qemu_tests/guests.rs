//! Guests from `guests/`: the guest suite natively, virtualized and twice
//! at once, guests refused for want of RAM or for bad device-tree nodes,
//! the console guest and the TLB fuzz.

use super::*;

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "guest-suite-native", run: crate::guests::suite_native },
    QemuTest { name: "guest-suite-guest-map-build", run: crate::guests::suite_guest_map_build },
    QemuTest { name: "guest_suite_virtualized", run: guest_suite_virtualized },
    QemuTest { name: "guest_suite_paravirtual", run: guest_suite_paravirtual },
    QemuTest { name: "two_guests_at_once", run: two_guests_at_once },
    QemuTest { name: "guests_refused_alone", run: guests_refused_alone },
    QemuTest { name: "bad_guest_nodes_are_refused", run: bad_guest_nodes_are_refused },
    QemuTest { name: "console_guest", run: crate::guests::console_guest },
    QemuTest { name: "tlb_fuzz_native_vs_virtualized", run: crate::fuzz::qemu_test },
    QemuTest { name: "tlb_fuzz_native_vs_paravirtual", run: crate::fuzz::qemu_test_paravirtual },
];

/// The guest suite as guest0 (alone), its UART bound to the console for the
/// input case; every case must give the same result as natively.
fn guest_suite_virtualized(images: &Images) -> Result<(), String> {
    suite_alone(&images.hypervisor).map(|_| ())
}

/// The same in the paravirtual mode (`dts/paravirt.dts`): the same
/// results, with its code rewritten.
fn guest_suite_paravirtual(_images: &Images) -> Result<(), String> {
    let report = suite_alone(&crate::image::paravirt_hypervisor()?)?;
    // `  paravirtual: N instructions rewritten`
    let rewritten = report
        .split_once("paravirtual: ")
        .and_then(|(_, rest)| rest.split(' ').next()?.parse::<u64>().ok());
    match rewritten {
        Some(n) if n > 0 => Ok(()),
        _ => Err(format!("the suite's code should have been rewritten: {report}")),
    }
}

/// The suite as the only guest of `hypervisor`, compared case by case with
/// its native run; the guest's exit report.
fn suite_alone(hypervisor: &std::path::Path) -> Result<String, String> {
    use crate::guests;
    let native = guests::run_native(&guests::build_suite(guests::Map::Native)?)?;
    guests::check_native_run(&native)?;
    let suite = guests::build_suite(guests::Map::Guest)?;
    let pack = crate::image::guest_pack(&[suite], "suite.pack")?;
    let machine = with_pack(Machine::new(hypervisor), &pack);
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
    Ok(report.to_string())
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
