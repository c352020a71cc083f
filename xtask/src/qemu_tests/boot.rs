//! Booting: the RAM size from the boot arguments, and exceptions the
//! hypervisor reports (the general vector, an unexpected one).

use super::*;

pub const TESTS: &[QemuTest] = &[
    QemuTest { name: "ram_size_from_boot_arguments", run: ram_size_from_boot_arguments },
    QemuTest { name: "unexpected_exception_is_reported", run: unexpected_exception_is_reported },
    QemuTest { name: "general_vector_exceptions", run: general_vector_exceptions },
];

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
