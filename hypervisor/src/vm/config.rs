//! Guest configuration from the host device tree (`/guests`), validated.
//!
//! The bindings are documented in `dts/README.md`. Each guest node is read
//! and checked on its own: a bad node gives a [`Refusal`] naming the guest
//! and the reason, and the other guests are unaffected.

use core::fmt;
use emulator::addrmap::{GuestMap, MAPS};
use fdt::node::FdtNode;
use fdt::Fdt;
use crate::devices::{MAX_PORTS, MAX_REGIONS as BUS_REGIONS};

/// Guest-physical address of the ROM region (the reset vector's target).
pub const ROM_BASE: u32 = 0x1FC0_0000;
/// Default VCPU start PC in the default map: the reset vector (KSEG1 view
/// of ROM_BASE); in general the map's view of the native 0xBFC00000.
pub const DEFAULT_START_PC: u32 = 0x3FC0_0000;
/// The native reset vector, which the guest map places.
const NATIVE_RESET_PC: u32 = 0xBFC0_0000;
/// Default time slice, in milliseconds.
pub const DEFAULT_TIME_SLICE_MS: u32 = 10;
/// Guest-physical addresses must stay below this: the guest map reaches
/// guest-physical memory through KSEG0/KSEG1, which cover 512 MiB.
pub const GUEST_PHYS_LIMIT: u64 = 0x2000_0000;
/// The range of `count-frequency` (Hz).
pub const COUNT_HZ_MIN: u32 = 1_000;
pub const COUNT_HZ_MAX: u32 = 1_000_000_000;
/// At most this many regions per guest.
pub const MAX_REGIONS: usize = 8;
/// At most this many guests.
pub const MAX_GUESTS: usize = 4;
/// Host pages are 4 KiB; RAM/ROM regions must be multiples of this.
pub const PAGE: u32 = 0x1000;

/// What a region of a guest's address space is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind<'a> {
    /// Host RAM given to the guest (`device_type = "alloced_ram"`).
    Ram,
    /// Host RAM holding the guest image, at the reset vector
    /// (`device_type = "alloced_rom"`).
    Rom,
    /// An emulated device, bound by `compatible`; `irq` is where its
    /// interrupt output goes, if anywhere.
    Device { compatible: &'a str, irq: Option<Irq> },
}

/// Where a device's interrupt output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irq {
    /// Straight to a guest Cause.IP line, 2..=6 (`cause_ip = <N>`).
    Cpu(u8),
    /// To input 0..=15 of the board's i8259 pair (`isa_irq = <N>`), whose
    /// output is the guest's IP2: only on a guest with a board.
    Isa(u8),
}

/// The board a guest gets around its devices (guest-node property `board`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// QEMU's Malta: the PIIX4's i8259 pair, PIT, RTC, the GT-64120 and
    /// the FPGA registers, at their Malta addresses
    /// ([`crate::devices::malta::WINDOWS`]).
    Malta,
}

/// How the hypervisor starts a Linux kernel (guest child node `linux`), as
/// QEMU's Malta does: the arguments in a0-a3, the initramfs in RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxBoot<'a> {
    /// The kernel command line (`bootargs`; default empty).
    pub bootargs: &'a str,
    /// The pack image holding the initramfs (`initrd = <N>`), if any.
    pub initrd: Option<u32>,
}

/// One region of a guest's address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region<'a> {
    pub name: &'a str,
    pub kind: RegionKind<'a>,
    /// Guest-physical base.
    pub base: u32,
    pub size: u32,
}

impl Region<'_> {
    pub fn end(&self) -> u64 {
        u64::from(self.base) + u64::from(self.size)
    }

    /// The two regions share a byte of guest-physical space.
    pub fn overlaps(&self, other: &Region<'_>) -> bool {
        emulator::addrmap::ranges_overlap(self.base, u64::from(self.size), other.base, u64::from(other.size))
    }

    pub fn contains(&self, gpa: u32) -> bool {
        gpa >= self.base && u64::from(gpa) < self.end()
    }
}

/// A validated guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestConfig<'a> {
    pub name: &'a str,
    /// Index of the guest's image in the image pack (`image = <N>`).
    pub image: u32,
    pub start_pc: u32,
    pub time_slice_ms: u32,
    /// The rate its Count runs at, in Hz (`count-frequency`); `None`: the
    /// host's.
    pub count_hz: Option<u32>,
    /// A guest-physical range `(base, size)` of its RAM that the guest never
    /// writes and the hypervisor fills with canaries (`canary-ram`, a
    /// test/diagnostic binding: mterm's `canaries` then checks it).
    pub canary_ram: Option<(u32, u32)>,
    /// `board = "malta"`: the virtual Malta board; none by default.
    pub board: Option<Board>,
    /// `address-map = "NAME"`: the guest address map (default `shifted`).
    pub map: &'static GuestMap,
    /// A `linux` child node: the guest's image is a Linux kernel, started
    /// at its entry point with QEMU Malta's boot arguments.
    pub linux: Option<LinuxBoot<'a>>,
    /// `paravirt-page = <VA>`: the paravirtual mode, with this page of the
    /// guest's RAM (`vm::paravirt`); off by default.
    pub paravirt_page: Option<u32>,
    regions: [Option<Region<'a>>; MAX_REGIONS],
}

impl<'a> GuestConfig<'a> {
    pub fn regions(&self) -> impl Iterator<Item = &Region<'a>> {
        self.regions.iter().flatten()
    }

    /// The RAM region (always at guest-physical 0).
    pub fn ram(&self) -> Region<'a> {
        self.find(|k| k == RegionKind::Ram)
    }

    /// The ROM region (always at [`ROM_BASE`]).
    pub fn rom(&self) -> Region<'a> {
        self.find(|k| k == RegionKind::Rom)
    }

    fn find(&self, want: impl Fn(RegionKind<'a>) -> bool) -> Region<'a> {
        // Validation guarantees exactly one RAM and one ROM region.
        self.regions().find(|r| want(r.kind)).copied().unwrap_or(Region {
            name: "",
            kind: RegionKind::Ram,
            base: 0,
            size: 0,
        })
    }

    pub fn devices(&self) -> impl Iterator<Item = &Region<'a>> {
        self.regions().filter(|r| matches!(r.kind, RegionKind::Device { .. }))
    }

    /// The region holding guest-physical `gpa`.
    pub fn region_at(&self, gpa: u32) -> Option<&Region<'a>> {
        self.regions().find(|r| r.contains(gpa))
    }
}

/// Why a guest node was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// A required property is missing or malformed.
    BadProperty { node: &'a str, property: &'static str },
    NoVcpu,
    /// Only one VCPU per guest is supported.
    TooManyVcpus(usize),
    TooManyRegions,
    /// A region with no known `device_type`/`manifest_type` combination.
    UnknownRegion { node: &'a str },
    /// A virtual device whose `compatible` no emulator handles.
    UnknownCompatible { node: &'a str, compatible: &'a str },
    /// Zero size, not page-aligned RAM/ROM, or beyond guest-physical 512 MiB.
    BadRegion { node: &'a str, base: u32, size: u32 },
    Overlap { first: &'a str, second: &'a str },
    NoRam,
    NoRom,
    /// RAM must start at guest-physical 0, the ROM at 0x1FC00000.
    Misplaced { node: &'a str, want: u32 },
    DuplicateRegion { node: &'a str },
    BadInterrupt { node: &'a str, line: u32 },
    /// `isa_irq` out of range, or on a guest without a board.
    BadIsaInterrupt { node: &'a str, line: u32 },
    /// A region overlaps one of the board's own windows.
    BoardOverlap { node: &'a str, part: &'static str },
    /// No image with this index was given.
    MissingImage { index: u32, available: u32 },
    /// An image segment falls outside RAM and ROM.
    ImageOutside { gpa: u32, len: u32 },
    /// The host cannot give this much RAM.
    RamTooLarge { wanted: u32, available: u32 },
    TooManyGuests,
    /// The device bus refused the region (too many devices or UARTs).
    DeviceAttach { node: &'a str },
    /// An earlier guest node has the same name (`model`, else node name).
    DuplicateName { name: &'a str },
    /// `address-map` names no known map.
    UnknownMap { name: &'a str },
    /// `start_pc` on a Linux guest, which starts at its kernel's entry.
    LinuxStartPc,
    /// A Linux guest's image has no entry point (a raw binary).
    NoEntry { image: u32 },
    /// The initramfs does not fit in the guest's RAM above its kernel.
    InitrdTooLarge { len: u32 },
    /// `paravirt-page` is not a page of its RAM that its kernel reaches
    /// unmapped at the same address below 0x8000.
    BadParavirtPage { page: u32 },
    /// The guest's image has bytes in its paravirtual page.
    ParavirtPageTaken { page: u32 },
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::BadProperty { node, property } => {
                write!(f, "node `{node}`: property `{property}` is missing or malformed")
            }
            Refusal::NoVcpu => write!(f, "no VCPU (vcpus/vcpu0 with device_type = \"vcpu\")"),
            Refusal::TooManyVcpus(n) => write!(f, "{n} VCPUs; one VCPU per guest is supported"),
            Refusal::TooManyRegions => write!(f, "more than {MAX_REGIONS} address-space regions"),
            Refusal::UnknownRegion { node } => write!(
                f,
                "region `{node}`: unknown kind (want device_type \"alloced_ram\" or \"alloced_rom\", or manifest_type \"virtual\" with a compatible)"
            ),
            Refusal::UnknownCompatible { node, compatible } => {
                write!(f, "region `{node}`: no emulator for compatible \"{compatible}\"")
            }
            Refusal::BadRegion { node, base, size } => write!(
                f,
                "region `{node}` at {base:#x} size {size:#x}: empty, not 4 KiB-aligned, or above guest-physical 0x20000000"
            ),
            Refusal::Overlap { first, second } => write!(f, "regions `{first}` and `{second}` overlap"),
            Refusal::NoRam => write!(f, "no RAM region (device_type = \"alloced_ram\")"),
            Refusal::NoRom => write!(f, "no ROM region (device_type = \"alloced_rom\") for the image"),
            Refusal::Misplaced { node, want } => write!(f, "region `{node}` must start at guest-physical {want:#x}"),
            Refusal::DuplicateRegion { node } => write!(f, "region `{node}`: a second RAM or ROM region"),
            Refusal::BadInterrupt { node, line } => {
                write!(f, "region `{node}`: cause_ip = <{line}>, want a Cause.IP line 2..6")
            }
            Refusal::BadIsaInterrupt { node, line } => write!(
                f,
                "region `{node}`: isa_irq = <{line}>, want an i8259 input 0..15 on a guest with `board = \"malta\"`"
            ),
            Refusal::BoardOverlap { node, part } => {
                write!(f, "region `{node}` overlaps the board's {part}")
            }
            Refusal::MissingImage { index, available } => write!(
                f,
                "image {index} is missing ({available} image(s) given; `cargo xtask run --guest FILE` adds one)"
            ),
            Refusal::ImageOutside { gpa, len } => write!(
                f,
                "image segment at guest-physical {gpa:#x} ({len} bytes) is outside the guest's RAM and ROM"
            ),
            Refusal::RamTooLarge { wanted, available } => write!(
                f,
                "needs {} KiB of host RAM for RAM+ROM, only {} KiB left",
                wanted / 1024,
                available / 1024
            ),
            Refusal::TooManyGuests => write!(f, "more than {MAX_GUESTS} guests; ignored"),
            Refusal::DeviceAttach { node } => {
                write!(f, "region `{node}`: cannot attach the device (at most {MAX_PORTS} UARTs and {BUS_REGIONS} devices per guest)")
            }
            Refusal::DuplicateName { name } => write!(f, "name `{name}` is taken by an earlier guest node"),
            Refusal::UnknownMap { name } => {
                write!(f, "address-map = \"{name}\": no such map (known:")?;
                for map in MAPS {
                    write!(f, " \"{}\"", map.name)?;
                }
                write!(f, ")")
            }
            Refusal::LinuxStartPc => write!(f, "start_pc on a Linux guest: it starts at its kernel's entry point"),
            Refusal::NoEntry { image } => {
                write!(f, "image {image} has no entry point (a Linux guest's image must be an ELF kernel)")
            }
            Refusal::InitrdTooLarge { len } => {
                write!(f, "the initramfs ({} KiB) does not fit in RAM above the kernel", len / 1024)
            }
            Refusal::BadParavirtPage { page } => write!(
                f,
                "paravirt-page {page:#x}: must be a 4 KiB-aligned page of its RAM below 0x8000 that its address map's kernel mode reaches unmapped at the same address (the shifted map)"
            ),
            Refusal::ParavirtPageTaken { page } => write!(f, "paravirt-page {page:#x}: its image has bytes there"),
        }
    }
}

fn string<'a>(node: FdtNode<'_, 'a>, name: &str) -> Option<&'a str> {
    let value = node.property(name)?.value;
    let first = value.split(|&b| b == 0).next()?;
    core::str::from_utf8(first).ok()
}

/// A one-cell property: `Ok(None)` when absent, `Err` when malformed.
fn cell<'a>(node: FdtNode<'_, 'a>, name: &'static str) -> Result<Option<u32>, Refusal<'a>> {
    match node.property(name) {
        None => Ok(None),
        Some(p) if p.value.len() == 4 => {
            Ok(Some(u32::from_be_bytes([p.value[0], p.value[1], p.value[2], p.value[3]])))
        }
        Some(_) => Err(Refusal::BadProperty { node: node.name, property: name }),
    }
}

fn required<'a>(node: FdtNode<'_, 'a>, name: &'static str) -> Result<u32, Refusal<'a>> {
    cell(node, name)?.ok_or(Refusal::BadProperty { node: node.name, property: name })
}

/// A two-cell property `<a b>`: `Ok(None)` when absent, `Err` when malformed.
fn pair<'a>(node: FdtNode<'_, 'a>, name: &'static str) -> Result<Option<(u32, u32)>, Refusal<'a>> {
    match node.property(name) {
        None => Ok(None),
        Some(p) if p.value.len() == 8 => {
            let word = |i: usize| u32::from_be_bytes([p.value[i], p.value[i + 1], p.value[i + 2], p.value[i + 3]]);
            Ok(Some((word(0), word(4))))
        }
        Some(_) => Err(Refusal::BadProperty { node: node.name, property: name }),
    }
}

/// The guest nodes of the tree, each validated: `(node name, result)`.
/// `known` says whether an emulator exists for a `compatible`.
pub fn guests<'b, 'a: 'b>(
    fdt: &'b Fdt<'a>,
    known: &'b dyn Fn(&str) -> bool,
) -> impl Iterator<Item = (&'a str, Result<GuestConfig<'a>, Refusal<'a>>)> + 'b {
    let nodes = fdt.find_node("/guests").into_iter().flat_map(|g| g.children());
    nodes.enumerate().map(move |(i, node)| {
        if i >= MAX_GUESTS {
            return (node.name, Err(Refusal::TooManyGuests));
        }
        // A name identifies a guest's serial port and its reports: unique.
        let name = guest_name(node);
        let nodes = fdt.find_node("/guests").into_iter().flat_map(|g| g.children());
        if nodes.take(i).any(|earlier| guest_name(earlier) == name) {
            return (node.name, Err(Refusal::DuplicateName { name }));
        }
        (node.name, guest(node, known))
    })
}

/// A guest's name: its `model`, else its node name.
fn guest_name<'a>(node: FdtNode<'_, 'a>) -> &'a str {
    string(node, "model").unwrap_or(node.name)
}

/// Reads and validates one guest node.
pub fn guest<'a>(node: FdtNode<'_, 'a>, known: &dyn Fn(&str) -> bool) -> Result<GuestConfig<'a>, Refusal<'a>> {
    let name = guest_name(node);
    let image = cell(node, "image")?.unwrap_or(0);
    let map = match string(node, "address-map") {
        None => MAPS[0],
        Some(name) => GuestMap::by_name(name).ok_or(Refusal::UnknownMap { name })?,
    };
    let linux = match node.children().find(|c| c.name == "linux") {
        None => None,
        Some(l) => Some(LinuxBoot { bootargs: string(l, "bootargs").unwrap_or(""), initrd: cell(l, "initrd")? }),
    };

    let vcpus = node.children().find(|c| c.name == "vcpus");
    let mut vcpu_nodes = vcpus.into_iter().flat_map(|v| v.children());
    let vcpu = vcpu_nodes.next().ok_or(Refusal::NoVcpu)?;
    let extra = vcpu_nodes.count();
    if extra > 0 {
        return Err(Refusal::TooManyVcpus(extra + 1));
    }
    let start_pc = cell(vcpu, "start_pc")?;
    if start_pc.is_some() && linux.is_some() {
        return Err(Refusal::LinuxStartPc);
    }
    let start_pc = start_pc.unwrap_or(map.from_native(NATIVE_RESET_PC).unwrap_or(DEFAULT_START_PC));
    if start_pc >= 0x8000_0000 || start_pc % 4 != 0 {
        return Err(Refusal::BadProperty { node: vcpu.name, property: "start_pc" });
    }
    let time_slice_ms = cell(vcpu, "time_slice")?.unwrap_or(DEFAULT_TIME_SLICE_MS);
    if time_slice_ms == 0 || time_slice_ms > 1000 {
        return Err(Refusal::BadProperty { node: vcpu.name, property: "time_slice" });
    }
    let count_hz = cell(vcpu, "count-frequency")?;
    if count_hz.is_some_and(|hz| !(COUNT_HZ_MIN..=COUNT_HZ_MAX).contains(&hz)) {
        return Err(Refusal::BadProperty { node: vcpu.name, property: "count-frequency" });
    }

    let mut regions = [None; MAX_REGIONS];
    let aspace = node.children().find(|c| c.name == "aspace");
    for (i, r) in aspace.into_iter().flat_map(|a| a.children()).enumerate() {
        let slot = regions.get_mut(i).ok_or(Refusal::TooManyRegions)?;
        *slot = Some(region(r, known)?);
    }
    let canary_ram = pair(node, "canary-ram")?;
    let board = match string(node, "board") {
        None => None,
        Some("malta") => Some(Board::Malta),
        Some(_) => return Err(Refusal::BadProperty { node: node.name, property: "board" }),
    };
    let paravirt_page = cell(node, "paravirt-page")?;
    let mut config = GuestConfig { name, image, start_pc, time_slice_ms, count_hz, canary_ram, board, map, linux, paravirt_page, regions };
    check_layout(&config)?;
    check_board(&config)?;
    if let Some(page) = paravirt_page {
        check_paravirt_page(&config, page)?;
    }
    if let Some((base, size)) = canary_ram {
        // Word-aligned, not empty, inside its RAM.
        let ram = config.ram();
        let inside = ram.contains(base) && u64::from(base) + u64::from(size) <= ram.end();
        if size == 0 || base % 4 != 0 || size % 4 != 0 || !inside {
            return Err(Refusal::BadProperty { node: node.name, property: "canary-ram" });
        }
    }
    add_default_devices(&mut config);
    Ok(config)
}

/// The console UART a guest gets when it declares none.
pub const DEFAULT_UART: Region<'static> = Region {
    name: "uart0",
    kind: RegionKind::Device { compatible: "ns16550a", irq: Some(Irq::Cpu(2)) },
    base: 0x1800_03F8,
    size: 8,
};
/// On a board, the default UART is wired as Malta's: ISA IRQ 4.
pub const DEFAULT_BOARD_UART: Region<'static> =
    Region { kind: RegionKind::Device { compatible: "ns16550a", irq: Some(Irq::Isa(4)) }, ..DEFAULT_UART };
/// The power-off register a guest gets when it declares none.
pub const DEFAULT_RESET: Region<'static> =
    Region { name: "reset", kind: RegionKind::Device { compatible: "mti,malta-reset", irq: None }, base: 0x1F00_0500, size: 4 };

/// Adds [`DEFAULT_UART`] (on a board [`DEFAULT_BOARD_UART`]) unless the
/// guest declares a UART, and [`DEFAULT_RESET`] unless it declares a reset
/// device, each only where it overlaps nothing (regions, the board's
/// windows: the board's FPGA has the reset register) and a slot is free.
fn add_default_devices(config: &mut GuestConfig<'_>) {
    let declares = |config: &GuestConfig<'_>, prefix: &str| {
        config.devices().any(|r| matches!(r.kind, RegionKind::Device { compatible, .. } if compatible.starts_with(prefix)))
    };
    let uart = if config.board.is_some() { DEFAULT_BOARD_UART } else { DEFAULT_UART };
    for (default, prefix) in [(uart, "ns16550"), (DEFAULT_RESET, "mti,malta-reset")] {
        let overlaps = config.regions().any(|r| r.overlaps(&default))
            || board_part_at(config.board, &default).is_some();
        if declares(config, prefix) || overlaps {
            continue;
        }
        if let Some(slot) = config.regions.iter_mut().find(|r| r.is_none()) {
            *slot = Some(default);
        }
    }
}

fn region<'a>(node: FdtNode<'_, 'a>, known: &dyn Fn(&str) -> bool) -> Result<Region<'a>, Refusal<'a>> {
    let base = required(node, "guest_physical_addr")?;
    let size = required(node, "physical_size")?;
    let manifest = string(node, "manifest_type");
    let device_type = string(node, "device_type");
    let kind = match (manifest, device_type) {
        (Some("real"), Some("alloced_ram")) => RegionKind::Ram,
        (Some("real"), Some("alloced_rom")) => RegionKind::Rom,
        (Some("virtual"), _) => {
            let compatible = string(node, "compatible")
                .ok_or(Refusal::BadProperty { node: node.name, property: "compatible" })?;
            if !known(compatible) {
                return Err(Refusal::UnknownCompatible { node: node.name, compatible });
            }
            let irq = match (cell(node, "cause_ip")?, cell(node, "isa_irq")?) {
                (None, None) => None,
                (Some(line @ 2..=6), None) => Some(Irq::Cpu(line as u8)),
                (Some(line), None) => return Err(Refusal::BadInterrupt { node: node.name, line }),
                (None, Some(line @ 0..=15)) => Some(Irq::Isa(line as u8)),
                (None, Some(line)) => return Err(Refusal::BadIsaInterrupt { node: node.name, line }),
                // Both: one output cannot go to two places.
                (Some(_), Some(_)) => return Err(Refusal::BadProperty { node: node.name, property: "isa_irq" }),
            };
            RegionKind::Device { compatible, irq }
        }
        _ => return Err(Refusal::UnknownRegion { node: node.name }),
    };
    let r = Region { name: node.name, kind, base, size };
    let page_aligned = base % PAGE == 0 && size % PAGE == 0;
    if size == 0 || r.end() > GUEST_PHYS_LIMIT || (!matches!(kind, RegionKind::Device { .. }) && !page_aligned) {
        return Err(Refusal::BadRegion { node: node.name, base, size });
    }
    Ok(r)
}

/// The board part whose window `region` overlaps, if any.
fn board_part_at(board: Option<Board>, region: &Region<'_>) -> Option<&'static str> {
    let Board::Malta = board?;
    crate::devices::malta::window_overlapping(region.base, region.size).map(|w| w.name)
}

/// No region in the board's windows; ISA interrupts only with a board.
fn check_board<'a>(config: &GuestConfig<'a>) -> Result<(), Refusal<'a>> {
    for r in config.regions() {
        if let Some(part) = board_part_at(config.board, r) {
            return Err(Refusal::BoardOverlap { node: r.name, part });
        }
        if let (RegionKind::Device { irq: Some(Irq::Isa(line)), .. }, None) = (r.kind, config.board) {
            return Err(Refusal::BadIsaInterrupt { node: r.name, line: u32::from(line) });
        }
    }
    Ok(())
}

/// `paravirt-page`: [`paravirt::page_in_map`](crate::vm::paravirt::page_in_map),
/// and in its RAM.
fn check_paravirt_page<'a>(config: &GuestConfig<'a>, page: u32) -> Result<(), Refusal<'a>> {
    let ram = config.ram();
    let in_ram = ram.contains(page) && u64::from(page) + u64::from(PAGE) <= ram.end();
    if !crate::vm::paravirt::page_in_map(config.map, page) || !in_ram {
        return Err(Refusal::BadParavirtPage { page });
    }
    Ok(())
}

fn check_layout<'a>(config: &GuestConfig<'a>) -> Result<(), Refusal<'a>> {
    let (mut ram, mut rom) = (None, None);
    for r in config.regions() {
        let slot = match r.kind {
            RegionKind::Ram => &mut ram,
            RegionKind::Rom => &mut rom,
            RegionKind::Device { .. } => continue,
        };
        if slot.replace(r).is_some() {
            return Err(Refusal::DuplicateRegion { node: r.name });
        }
    }
    let ram = ram.ok_or(Refusal::NoRam)?;
    let rom = rom.ok_or(Refusal::NoRom)?;
    if ram.base != 0 {
        return Err(Refusal::Misplaced { node: ram.name, want: 0 });
    }
    if rom.base != ROM_BASE {
        return Err(Refusal::Misplaced { node: rom.name, want: ROM_BASE });
    }
    let all = config.regions.iter().flatten();
    for (i, a) in all.clone().enumerate() {
        for b in all.clone().skip(i + 1) {
            if a.overlaps(b) {
                return Err(Refusal::Overlap { first: a.name, second: b.name });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::host::devtree::tests::Builder;

    pub fn known(c: &str) -> bool {
        matches!(c, "ns16550a" | "mti,malta-reset")
    }

    /// Region description for the test builder.
    #[derive(Clone, Copy)]
    pub struct R<'s>(pub &'s str, pub &'s str, pub u32, pub u32);

    pub fn add_guest(b: &mut Builder, name: &str, vcpus: usize, regions: &[R<'_>]) {
        b.begin(name).str("device_type", "guest").cells("image", &[0]);
        b.begin("vcpus");
        for i in 0..vcpus {
            b.begin(&format!("vcpu{i}")).str("device_type", "vcpu").cells("start_pc", &[DEFAULT_START_PC]);
            b.cells("time_slice", &[5]).end();
        }
        b.end().begin("aspace");
        for R(node, kind, base, size) in regions {
            b.begin(node);
            match *kind {
                "ram" => b.str("manifest_type", "real").str("device_type", "alloced_ram"),
                "rom" => b.str("manifest_type", "real").str("device_type", "alloced_rom"),
                "bogus" => b.str("manifest_type", "real").str("device_type", "bogus"),
                compatible => {
                    b.str("manifest_type", "virtual").str("compatible", compatible).cells("cause_ip", &[2])
                }
            };
            b.cells("guest_physical_addr", &[*base]).cells("physical_size", &[*size]).end();
        }
        b.end().end();
    }

    pub fn good_regions() -> [R<'static>; 4] {
        [
            R("ram", "ram", 0, 0x0100_0000),
            R("rom", "rom", ROM_BASE, 0x0040_0000),
            R("uart0", "ns16550a", 0x1800_03F8, 8),
            R("reset", "mti,malta-reset", 0x1F00_0500, 4),
        ]
    }

    pub fn blob(guests: &[(&str, usize, &[R<'_>])]) -> Vec<u8> {
        let mut b = Builder::new();
        b.begin("").cells("#address-cells", &[1]).cells("#size-cells", &[1]);
        b.begin("guests");
        for (name, vcpus, regions) in guests {
            add_guest(&mut b, name, *vcpus, regions);
        }
        b.end().end();
        b.finish()
    }

    fn results(blob: &[u8]) -> Vec<(String, Result<(), String>)> {
        let fdt = Fdt::new(blob).unwrap();
        guests(&fdt, &known)
            .map(|(n, r)| (n.to_string(), r.map(|_| ()).map_err(|e| e.to_string())))
            .collect()
    }

    #[test]
    fn a_good_guest() {
        let regions = good_regions();
        let good_blob = blob(&[("guest0", 1, &regions)]);
        let fdt = Fdt::new(&good_blob).unwrap();
        let (name, config) = guests(&fdt, &known).next().unwrap();
        assert_eq!(name, "guest0");
        let config = config.unwrap();
        assert_eq!(config.start_pc, 0x3FC0_0000);
        assert_eq!(config.time_slice_ms, 5);
        assert_eq!(config.ram().size, 0x0100_0000);
        assert_eq!(config.rom().base, ROM_BASE);
        let uart = config.region_at(0x1800_03FD).unwrap();
        assert_eq!(uart.kind, RegionKind::Device { compatible: "ns16550a", irq: Some(Irq::Cpu(2)) });
        assert_eq!(config.devices().count(), 2);
        assert!(config.region_at(0x1800_0400).is_none());
        // Without devices, a guest gets the default UART and reset register.
        let bare = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let bare_blob = blob(&[("bare", 1, &bare)]);
        let fdt = Fdt::new(&bare_blob).unwrap();
        let config = guests(&fdt, &known).next().unwrap().1.unwrap();
        assert_eq!(config.region_at(0x1800_03F8), Some(&DEFAULT_UART));
        assert_eq!(config.region_at(0x1F00_0500), Some(&DEFAULT_RESET));
        // Not where RAM already is.
        let big = [R("ram", "ram", 0, 0x1900_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let big_blob = blob(&[("big", 1, &big)]);
        let fdt = Fdt::new(&big_blob).unwrap();
        let config = guests(&fdt, &known).next().unwrap().1.unwrap();
        assert_eq!(config.devices().count(), 1);
    }

    /// A guest node with `canary-ram = <base size>` and the good regions.
    fn canary_blob(range: &[u32]) -> Vec<u8> {
        let mut b = Builder::new();
        b.begin("").cells("#address-cells", &[1]).cells("#size-cells", &[1]);
        b.begin("guests");
        b.begin("g").str("device_type", "guest").cells("canary-ram", range);
        b.begin("vcpus").begin("vcpu0").str("device_type", "vcpu").end().end();
        b.begin("aspace");
        for R(node, kind, base, size) in good_regions() {
            b.begin(node).str("manifest_type", if kind == "ram" || kind == "rom" { "real" } else { "virtual" });
            match kind {
                "ram" => b.str("device_type", "alloced_ram"),
                "rom" => b.str("device_type", "alloced_rom"),
                compatible => b.str("compatible", compatible),
            };
            b.cells("guest_physical_addr", &[base]).cells("physical_size", &[size]).end();
        }
        b.end().end().end().end();
        b.finish()
    }

    #[test]
    fn canary_ram_must_lie_inside_ram() {
        let good = canary_blob(&[0x00C0_0000, 0x0040_0000]);
        let fdt = Fdt::new(&good).unwrap();
        assert_eq!(guests(&fdt, &known).next().unwrap().1.unwrap().canary_ram, Some((0x00C0_0000, 0x0040_0000)));
        for bad in [&[0x00C0_0000, 0x0040_0004][..], &[0x00C0_0002, 8], &[0x1000, 0], &[0x1FC0_0000, 16], &[0x1000]] {
            let blob = canary_blob(bad);
            let fdt = Fdt::new(&blob).unwrap();
            let refusal = guests(&fdt, &known).next().unwrap().1.unwrap_err();
            assert_eq!(refusal, Refusal::BadProperty { node: "g", property: "canary-ram" }, "{bad:x?}");
        }
    }

    #[test]
    fn bad_guests_are_refused_alone() {
        let good = good_regions();
        let overlap = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000), R("u", "ns16550a", 0x00FF_FFF8, 8)];
        let unknown = [R("ram", "ram", 0, 0x1000), R("rom", "rom", ROM_BASE, 0x1000), R("gpu", "acme,gpu", 0x1000_0000, 8)];
        let no_rom = [R("ram", "ram", 0, 0x1000)];
        let bogus = [R("ram", "ram", 0, 0x1000), R("x", "bogus", 0x1000, 0x1000)];
        let misaligned = [R("ram", "ram", 0, 0x1800), R("rom", "rom", ROM_BASE, 0x1000)];
        let huge = [R("ram", "ram", 0, 0x2000_1000), R("rom", "rom", ROM_BASE, 0x1000)];
        let moved_rom = [R("ram", "ram", 0, 0x1000), R("rom", "rom", 0x1000_0000, 0x1000)];
        let two_rams = [R("ram", "ram", 0, 0x1000), R("ram2", "ram", 0x2000, 0x1000)];
        let first = blob(&[
            ("a", 1, &overlap),
            ("b", 1, &unknown),
            ("c", 1, &no_rom),
            ("d", 1, &good),
            ("e", 2, &good),
        ]);
        let got = results(&first);
        assert_eq!(got[0].1, Err("regions `ram` and `u` overlap".into()));
        assert_eq!(got[1].1, Err("region `gpu`: no emulator for compatible \"acme,gpu\"".into()));
        assert!(got[2].1.as_ref().unwrap_err().starts_with("no ROM region"));
        assert_eq!(got[3].1, Ok(()));
        assert_eq!(got[4].1, Err("more than 4 guests; ignored".into()));
        let more = blob(&[("f", 1, &bogus), ("g", 1, &misaligned), ("h", 1, &huge), ("i", 1, &moved_rom)]);
        let got = results(&more);
        assert!(got[0].1.as_ref().unwrap_err().contains("unknown kind"));
        assert!(got[1].1.as_ref().unwrap_err().contains("not 4 KiB-aligned"));
        assert!(got[2].1.as_ref().unwrap_err().contains("above guest-physical"));
        assert!(got[3].1.as_ref().unwrap_err().contains("must start at guest-physical 0x1fc00000"));
        let got = results(&blob(&[("j", 1, &two_rams)]));
        assert!(got[0].1.as_ref().unwrap_err().contains("second RAM or ROM"));
        let vcpus = blob(&[("k", 0, &good), ("l", 3, &good)]);
        let got = results(&vcpus);
        assert!(got[0].1.as_ref().unwrap_err().starts_with("no VCPU"));
        assert!(got[1].1.as_ref().unwrap_err().starts_with("3 VCPUs"));
    }

    /// A guest node `g` with `board` (if given) and `regions`; a region
    /// kind `uart@N` is an ns16550a with `isa_irq = <N>`.
    fn board_blob(board: Option<&str>, regions: &[R<'_>]) -> Vec<u8> {
        guest_blob(
            &|b| {
                if let Some(board) = board {
                    b.str("board", board);
                }
            },
            None,
            regions,
        )
    }

    /// A guest node `g`: `extra` adds its properties and children, then
    /// one VCPU (with `start_pc` if given) and `regions`.
    pub fn guest_blob(extra: &dyn Fn(&mut Builder), start_pc: Option<u32>, regions: &[R<'_>]) -> Vec<u8> {
        let mut b = Builder::new();
        b.begin("").cells("#address-cells", &[1]).cells("#size-cells", &[1]).begin("guests");
        b.begin("g").str("device_type", "guest");
        extra(&mut b);
        b.begin("vcpus").begin("vcpu0").str("device_type", "vcpu");
        if let Some(pc) = start_pc {
            b.cells("start_pc", &[pc]);
        }
        b.end().end();
        b.begin("aspace");
        for R(node, kind, base, size) in regions {
            b.begin(node);
            match *kind {
                "ram" => b.str("manifest_type", "real").str("device_type", "alloced_ram"),
                "rom" => b.str("manifest_type", "real").str("device_type", "alloced_rom"),
                isa if isa.starts_with("uart@") => {
                    let line = isa[5..].parse::<u32>().unwrap();
                    b.str("manifest_type", "virtual").str("compatible", "ns16550a").cells("isa_irq", &[line])
                }
                compatible => b.str("manifest_type", "virtual").str("compatible", compatible),
            };
            b.cells("guest_physical_addr", &[*base]).cells("physical_size", &[*size]).end();
        }
        b.end().end().end().end();
        b.finish()
    }

    fn board_result(board: Option<&str>, regions: &[R<'_>]) -> Result<GuestConfig<'static>, String> {
        blob_result(board_blob(board, regions))
    }

    fn blob_result(blob: Vec<u8>) -> Result<GuestConfig<'static>, String> {
        let blob: &'static [u8] = Box::leak(blob.into_boxed_slice());
        let fdt: &'static Fdt<'static> = Box::leak(Box::new(Fdt::new(blob).unwrap()));
        guests(fdt, &known).next().unwrap().1.map_err(|e| e.to_string())
    }

    #[test]
    fn address_maps() {
        let memory = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let config = blob_result(guest_blob(&|_| {}, None, &memory)).unwrap();
        assert_eq!(config.map.name, "shifted");
        assert_eq!(config.start_pc, DEFAULT_START_PC);
        let kvm = blob_result(guest_blob(&|b| {
            b.str("address-map", "kvm-guest");
        }, None, &memory)).unwrap();
        assert_eq!(kvm.map.name, "kvm-guest");
        assert_eq!(kvm.start_pc, 0x5FC0_0000, "the map's view of the reset vector");
        assert_eq!(
            blob_result(guest_blob(&|b| {
            b.str("address-map", "flat");
        }, None, &memory)).unwrap_err(),
            "address-map = \"flat\": no such map (known: \"shifted\" \"kvm-guest\")"
        );
    }

    #[test]
    fn paravirtual_pages() {
        let memory = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let with = |page: u32, map: &'static str| {
            blob_result(guest_blob(&|b| {
                b.cells("paravirt-page", &[page]);
                b.str("address-map", map);
            }, None, &memory))
        };
        assert_eq!(with(0x7000, "shifted").unwrap().paravirt_page, Some(0x7000));
        assert_eq!(blob_result(guest_blob(&|_| {}, None, &memory)).unwrap().paravirt_page, None);
        for (page, map) in [(0x7800, "shifted"), (0x8000, "shifted"), (0x7000, "kvm-guest")] {
            let refusal = with(page, map).unwrap_err();
            assert!(refusal.starts_with(&format!("paravirt-page {page:#x}: must be a 4 KiB-aligned page of its RAM below 0x8000")), "{refusal}");
        }
    }

    #[test]
    fn linux_guests() {
        let memory = [R("ram", "ram", 0, 0x0400_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let linux = |b: &mut Builder| {
            b.str("address-map", "kvm-guest").begin("linux").str("bootargs", "console=ttyS0 quiet");
            b.cells("initrd", &[1]).end();
        };
        let config = blob_result(guest_blob(&linux, None, &memory)).unwrap();
        assert_eq!(config.linux, Some(LinuxBoot { bootargs: "console=ttyS0 quiet", initrd: Some(1) }));
        let bare = blob_result(guest_blob(&|b| {
            b.begin("linux").end();
        }, None, &memory)).unwrap();
        assert_eq!(bare.linux, Some(LinuxBoot { bootargs: "", initrd: None }));
        assert_eq!(bare.count_hz, None);
        assert_eq!(blob_result(guest_blob(&|_| {}, None, &memory)).unwrap().linux, None);
        assert_eq!(
            blob_result(guest_blob(&linux, Some(0x4010_0000), &memory)).unwrap_err(),
            "start_pc on a Linux guest: it starts at its kernel's entry point"
        );
        let bad_initrd = |b: &mut Builder| {
            b.begin("linux").str("initrd", "the first").end();
        };
        assert_eq!(
            blob_result(guest_blob(&bad_initrd, None, &memory)).unwrap_err(),
            "node `linux`: property `initrd` is missing or malformed"
        );
    }

    #[test]
    fn a_malta_board_guest() {
        let memory = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let config = board_result(Some("malta"), &memory).unwrap();
        assert_eq!(config.board, Some(Board::Malta));
        // The default UART is on ISA IRQ 4; the FPGA has the reset register.
        assert_eq!(config.region_at(0x1800_03F8), Some(&DEFAULT_BOARD_UART));
        assert_eq!(config.region_at(0x1F00_0500), None);
        assert_eq!(config.devices().count(), 1);
        assert_eq!(board_result(None, &memory).unwrap().board, None);
        // A declared UART on an ISA input.
        let uart = [memory[0], memory[1], R("uart0", "uart@3", 0x1800_02F8, 8)];
        let config = board_result(Some("malta"), &uart).unwrap();
        let got = config.region_at(0x1800_02F8).unwrap().kind;
        assert_eq!(got, RegionKind::Device { compatible: "ns16550a", irq: Some(Irq::Isa(3)) });
    }

    #[test]
    fn board_mistakes_are_refused() {
        let memory = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        assert_eq!(
            board_result(Some("pc"), &memory).unwrap_err(),
            "node `g`: property `board` is missing or malformed"
        );
        let isa = [memory[0], memory[1], R("uart0", "uart@4", 0x1800_03F8, 8)];
        assert_eq!(
            board_result(None, &isa).unwrap_err(),
            "region `uart0`: isa_irq = <4>, want an i8259 input 0..15 on a guest with `board = \"malta\"`"
        );
        let isa16 = [memory[0], memory[1], R("uart0", "uart@16", 0x1800_03F8, 8)];
        assert!(board_result(Some("malta"), &isa16).unwrap_err().contains("isa_irq = <16>"));
        // A region in the board's windows: the reset register is the FPGA's.
        let reset = [memory[0], memory[1], R("reset", "mti,malta-reset", 0x1F00_0500, 4)];
        assert_eq!(
            board_result(Some("malta"), &reset).unwrap_err(),
            "region `reset` overlaps the board's FPGA (0x1F000000-0x1F0FFFFF)"
        );
        assert!(board_result(None, &reset).is_ok());
        let pic = [memory[0], memory[1], R("pic", "ns16550a", 0x1800_0020, 8)];
        assert!(board_result(Some("malta"), &pic).unwrap_err().contains("i8259 master"));
    }

    #[test]
    fn a_name_is_used_once() {
        let good = good_regions();
        let mut b = Builder::new();
        b.begin("").cells("#address-cells", &[1]).cells("#size-cells", &[1]).begin("guests");
        add_guest(&mut b, "a", 1, &good);
        add_guest(&mut b, "b", 1, &good);
        b.begin("c").str("model", "a").end();
        b.begin("d").str("model", "b").end();
        let blob = b.end().end().finish();
        let got = results(&blob);
        assert_eq!(got[0].1, Ok(()));
        assert_eq!(got[1].1, Ok(()));
        assert_eq!(got[2].1, Err("name `a` is taken by an earlier guest node".into()));
        assert_eq!(got[3].1, Err("name `b` is taken by an earlier guest node".into()));
    }
}
