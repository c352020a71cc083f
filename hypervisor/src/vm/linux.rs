//! Starting a Linux kernel as QEMU 7.2's Malta starts a `-kernel`
//! (`hw/mips/malta.c`: `load_kernel` and the boot code it writes): the
//! arguments YAMON would pass, in a0-a3, the initramfs in RAM.
//!
//! - At guest-physical [`ENVP_GPA`]: a table of string pointers, then the
//!   strings. `argv` = { the kernel's name, the command line }; `envp` =
//!   { "memsize", RAM below 256 MiB in bytes, "ememsize", all RAM,
//!   "modetty0", "38400n8r", NULL }. The pointers are KSEG0 addresses as
//!   the guest's map shows them (0x40002000... in the kvm-guest map).
//! - a0 = argc (2), a1 = argv, a2 = envp, a3 = the low RAM size; sp just
//!   below the table; PC = the kernel's ELF entry. a1, a2 and sp are native
//!   KSEG0 addresses where the map has native KSEG0 (Linux uses argv and
//!   envp only from 0x80000000 up, `fw_init_cmdline`), the map's KSEG0
//!   view otherwise; the strings' pointers are always the map's view,
//!   which the kernel reads without a trap.
//! - An initramfs goes at the top of the low RAM, 64 KiB-aligned, 128 KiB
//!   below its end (the kernel puts its boot allocator there), above the
//!   kernel; the command line starts with `rd_start=0x... rd_size=N`.

use crate::text::TextBuf;
use core::fmt::Write;
use emulator::addrmap::{GuestMap, Reach};

/// A short decimal or `rd_start=...` string.
type Number = TextBuf<48>;

/// Where the argument table goes (QEMU's `ENVP_PADDR`).
pub const ENVP_GPA: u32 = 0x2000;
/// Room for the table and its strings (below the kernel at 1 MiB).
pub const ENVP_LIMIT: u32 = 0x1_0000;
/// RAM Linux's Malta code takes from `memsize` (the rest is `ememsize`).
pub const RAM_LOW_MAX: u32 = 0x1000_0000;
/// The initramfs's alignment: a 64 KiB page is the largest Linux uses.
const INITRD_ALIGN: u32 = 0x1_0000;
/// Left free above the initramfs (QEMU leaves the same).
const INITRD_GAP: u32 = 0x2_0000;
/// The native KSEG0 base; the guest map places it.
const NATIVE_KSEG0: u32 = 0x8000_0000;

/// The registers a Linux guest starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub pc: u32,
    /// a0-a3.
    pub args: [u32; 4],
    pub sp: u32,
}

/// The name QEMU passes as argv[0] (the `-kernel` file name).
const KERNEL_NAME: &str = "vmlinux";

/// The low RAM Linux is told about (`memsize`, a3).
pub fn ram_low(ram_size: u32) -> u32 {
    ram_size.min(RAM_LOW_MAX)
}

/// Where an initramfs of `len` bytes goes, for a kernel whose image ends at
/// guest-physical `kernel_end`: `None` when it does not fit above it.
pub fn initrd_gpa(ram_size: u32, kernel_end: u32, len: u32) -> Option<u32> {
    let top = ram_low(ram_size).checked_sub(len)?.checked_sub(INITRD_GAP)?;
    let gpa = top & !(INITRD_ALIGN - 1);
    (gpa >= kernel_end && len > 0).then_some(gpa)
}

/// A guest-physical address in the map's KSEG0 view.
fn kseg0(map: &GuestMap, gpa: u32) -> u32 {
    map.from_native(NATIVE_KSEG0 | gpa).unwrap_or(gpa)
}

/// The registers a kernel with entry point `pc` starts with in `map`, with
/// `ram_size` bytes of RAM.
pub fn entry(map: &GuestMap, pc: u32, ram_size: u32) -> Entry {
    let native = NATIVE_KSEG0 | ENVP_GPA;
    let argv = match map.reach(native, true) {
        (Reach::Direct { .. }, _) => native,
        _ => kseg0(map, ENVP_GPA),
    };
    Entry { pc, args: [2, argv, argv + 8, ram_low(ram_size)], sp: argv - 64 }
}

/// Writes the argument table [`entry`]'s registers point to through `put`
/// (guest-physical address, bytes). `initrd` is the initramfs's
/// (guest-physical address, length). The command line is cut where the
/// table's room ends.
pub fn write_args(
    map: &GuestMap,
    bootargs: &str,
    ram_size: u32,
    initrd: Option<(u32, u32)>,
    put: &mut dyn FnMut(u32, &[u8]),
) {
    let low = ram_low(ram_size);
    let mut numbers = [Number::default(), Number::default()];
    let _ = write!(numbers[0], "{low}");
    let _ = write!(numbers[1], "{ram_size}");
    let mut rd = Number::default();
    if let Some((gpa, len)) = initrd {
        let _ = write!(rd, "rd_start={:#x} rd_size={len} ", kseg0(map, gpa));
    }
    // argv[0], argv[1] (two pieces), envp[0..6], then a NULL.
    let strings: [&[&str]; 8] = [
        &[KERNEL_NAME],
        &[rd.as_str(), bootargs],
        &["memsize"],
        &[numbers[0].as_str()],
        &["ememsize"],
        &[numbers[1].as_str()],
        &["modetty0"],
        &["38400n8r"],
    ];
    let table_len = (strings.len() as u32 + 1) * 4;
    let mut at = ENVP_GPA + table_len;
    for (i, pieces) in strings.iter().enumerate() {
        put(ENVP_GPA + 4 * i as u32, &kseg0(map, at).to_le_bytes());
        // The command line keeps 64 bytes for the environment's strings.
        let reserve = if i == 1 { 64 } else { 0 };
        for piece in pieces.iter() {
            let room = (ENVP_GPA + ENVP_LIMIT - 1 - reserve).saturating_sub(at) as usize;
            let bytes = &piece.as_bytes()[..piece.len().min(room)];
            put(at, bytes);
            at += bytes.len() as u32;
        }
        put(at, &[0]);
        at += 1;
    }
    put(ENVP_GPA + table_len - 4, &0u32.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use emulator::addrmap::{KVM_GUEST, SHIFTED};

    /// Guest RAM as a byte vector written through `put`.
    fn written(map: &GuestMap, bootargs: &str, ram: u32, initrd: Option<(u32, u32)>) -> (Vec<u8>, Entry) {
        let mut mem = vec![0u8; (ENVP_GPA + ENVP_LIMIT) as usize];
        write_args(map, bootargs, ram, initrd, &mut |gpa, bytes| {
            mem[gpa as usize..gpa as usize + bytes.len()].copy_from_slice(bytes);
        });
        (mem, entry(map, 0x4010_0400, ram))
    }

    fn word(mem: &[u8], at: u32) -> u32 {
        u32::from_le_bytes(mem[at as usize..at as usize + 4].try_into().unwrap())
    }

    /// The string a guest pointer in `map` points to.
    fn string(mem: &[u8], base: u32, ptr: u32) -> String {
        let at = (ptr - base) as usize;
        let end = mem[at..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8(mem[at..at + end].to_vec()).unwrap()
    }

    #[test]
    fn arguments_as_qemu_malta_passes_them() {
        let (mem, entry) = written(&KVM_GUEST, "console=ttyS0", 64 << 20, Some((0x03F0_0000, 1234)));
        assert_eq!(entry, Entry { pc: 0x4010_0400, args: [2, 0x8000_2000, 0x8000_2008, 64 << 20], sp: 0x8000_1FC0 });
        let base = 0x4000_0000;
        let argv: Vec<String> = (0..2).map(|i| string(&mem, base, word(&mem, ENVP_GPA + 4 * i))).collect();
        assert_eq!(argv, ["vmlinux", "rd_start=0x43f00000 rd_size=1234 console=ttyS0"]);
        let envp: Vec<String> = (2..8).map(|i| string(&mem, base, word(&mem, ENVP_GPA + 4 * i))).collect();
        assert_eq!(envp, ["memsize", "67108864", "ememsize", "67108864", "modetty0", "38400n8r"]);
        assert_eq!(word(&mem, ENVP_GPA + 32), 0, "envp ends with NULL");
    }

    #[test]
    fn other_maps_and_large_ram() {
        let (mem, entry) = written(&SHIFTED, "", 512 << 20, None);
        assert_eq!(entry.args, [2, 0x2000, 0x2008, 256 << 20]);
        assert_eq!(string(&mem, 0, word(&mem, ENVP_GPA + 4)), "");
        assert_eq!(string(&mem, 0, word(&mem, ENVP_GPA + 12)), "268435456");
        assert_eq!(string(&mem, 0, word(&mem, ENVP_GPA + 20)), "536870912");
    }

    #[test]
    fn a_long_command_line_stays_in_its_room() {
        let long = "x".repeat(100_000);
        let (mem, _) = written(&KVM_GUEST, &long, 64 << 20, None);
        let cmdline = string(&mem, 0x4000_0000, word(&mem, ENVP_GPA + 4));
        assert!(cmdline.len() > 60_000 && cmdline.len() < ENVP_LIMIT as usize);
        // The environment still follows it, inside the room.
        let last = word(&mem, ENVP_GPA + 28) - 0x4000_0000;
        assert!(last < ENVP_GPA + ENVP_LIMIT);
        assert_eq!(string(&mem, 0x4000_0000, word(&mem, ENVP_GPA + 28)), "38400n8r");
    }

    #[test]
    fn initrd_placement() {
        // 64 MiB of RAM, a 1.5 MiB initramfs: 64 KiB-aligned, 128 KiB gap.
        let gpa = initrd_gpa(64 << 20, 0x0080_0000, 0x0018_0000).unwrap();
        assert_eq!(gpa, 0x03E6_0000);
        assert_eq!(gpa % INITRD_ALIGN, 0);
        assert!(gpa + 0x0018_0000 + INITRD_GAP <= 64 << 20);
        assert_eq!(initrd_gpa(4 << 20, 0x002E_0000, 0x0010_0000), Some(0x002E_0000));
        assert_eq!(initrd_gpa(4 << 20, 0x002E_0004, 0x0010_0000), None, "it would overlap the kernel");
        assert_eq!(initrd_gpa(1 << 20, 0, 2 << 20), None, "larger than RAM");
        assert_eq!(initrd_gpa(64 << 20, 0, 0), None, "empty");
        // Above 256 MiB of RAM it still goes in the low RAM.
        assert!(initrd_gpa(512 << 20, 0x0080_0000, 0x1000).unwrap() < RAM_LOW_MAX);
    }
}
