//! A guest: its configuration, memory, devices and VCPU, built from a
//! validated device-tree node; and the round-robin choice of what runs.

use super::config::{Board, GuestConfig, Irq, Refusal, RegionKind};
use super::linux;
use super::memory::{GuestMemory, HostRam, Image, Pack};
use super::vcpu::{CountRate, Vcpu};
use crate::devices::{AttachError, Bus, IrqRoute};
use crate::devices::malta::MaltaBoard;
use crate::devices::malta::fpga::{BOARD_REVISION, BOARD_REVISION_ADDR};
use crate::devices::{self, DeviceParams};
use emulator::addrmap::GuestPhys;

/// Whether an emulator exists for `compatible` (the device registry).
pub fn known_compatible(compatible: &str) -> bool {
    devices::REGISTRY.iter().any(|(name, _)| *name == compatible)
}

/// Host Count ticks per millisecond (the 24Kf on Malta counts at half its
/// 320 MHz clock... as QEMU runs it: 6 ns per tick, about 166.7 MHz).
pub const TICKS_PER_MS: u32 = 166_667;
/// Nanoseconds per host Count tick (the clock the boards' timers run on).
pub const NS_PER_TICK: u64 = 6;

/// Host time (Count ticks since boot) as the ns the device bus runs on.
pub const fn ticks_to_ns(ticks: u64) -> u64 {
    ticks.saturating_mul(NS_PER_TICK)
}

/// Bus time (ns) as host ticks, rounded up (a deadline is never early).
pub const fn ns_to_ticks(ns: u64) -> u64 {
    ns.div_ceil(NS_PER_TICK)
}

/// Where a guest is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestState {
    Running,
    /// Paused by the operator (`guest pause`): keeps its state, does not run.
    Paused,
    /// Powered itself off through its software-reset device.
    PoweredOff,
    /// Stopped by the hypervisor, for this reason.
    Stopped(&'static str),
}

/// A guest ready to run.
#[derive(Clone, Debug)]
pub struct Guest<'a> {
    pub name: &'a str,
    pub index: usize,
    pub memory: GuestMemory,
    pub bus: Bus,
    pub vcpu: Vcpu,
    pub state: GuestState,
    pub time_slice_ticks: u32,
    /// The guest uses the FPU (its Status.CU1 was set at some entry).
    pub fpu_used: bool,
    /// Where its VCPU starts after a reset (guest virtual).
    pub start_pc: u32,
    /// Its image's index in the pack (reloaded by a reset).
    pub image: u32,
    /// A Linux guest: how its kernel starts.
    pub linux: Option<LinuxStart<'a>>,
}

/// How a Linux guest's kernel starts ([`linux`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxStart<'a> {
    pub entry: linux::Entry,
    pub bootargs: &'a str,
    /// The initramfs: its pack image, guest-physical address and length.
    pub initrd: Option<(u32, u32, u32)>,
}

/// What the operator can do to a guest's life (`guest start|stop|...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleOp {
    /// A stopped or powered-off guest: reset, then run.
    Start,
    /// Stop running; its shadows leave the host TLB.
    Stop,
    /// From any state: VCPU and devices to their reset state, the image
    /// reloaded, then run.
    Reset,
    /// Stop scheduling it, keeping its state (its Count follows host time,
    /// as for a guest waiting its turn).
    Pause,
    /// Run a paused guest again.
    Resume,
}

impl LifecycleOp {
    pub fn parse(word: &str) -> Option<LifecycleOp> {
        Some(match word {
            "start" => LifecycleOp::Start,
            "stop" => LifecycleOp::Stop,
            "reset" => LifecycleOp::Reset,
            "pause" => LifecycleOp::Pause,
            "resume" => LifecycleOp::Resume,
            _ => return None,
        })
    }
}

/// What the machine must do after a lifecycle change (the library changes
/// the guest's own state; these touch the host).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Invalidate the guest's shadow entries in the host TLB.
    pub drop_shadows: bool,
    /// Clear its RAM and copy its image (`Guest::image`) in again; its FPU
    /// registers back to zero.
    pub reload_image: bool,
}

/// Why a lifecycle change was refused (the guest is unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleError {
    AlreadyRunning,
    AlreadyPaused,
    NotRunning,
    NotPaused,
}

impl core::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            LifecycleError::AlreadyRunning => "is already running (use `guest reset` to reboot it)",
            LifecycleError::AlreadyPaused => "is already paused",
            LifecycleError::NotRunning => "is not running",
            LifecycleError::NotPaused => "is not paused",
        })
    }
}

/// The state an operator stop leaves.
pub const STOPPED_BY_OPERATOR: &str = "stopped by the operator";

impl<'a> Guest<'a> {
    /// Builds guest number `index` from `config`: host RAM for its RAM and
    /// ROM, its devices, its image (returned, for the caller to copy in),
    /// and its VCPU in the reset state. Nothing is allocated on refusal.
    pub fn build<'p>(
        index: usize,
        config: &GuestConfig<'a>,
        ram: &mut HostRam,
        pack: Option<&Pack<'p>>,
        now: u32,
    ) -> Result<(Guest<'a>, Image<'p>), Refusal<'a>> {
        let image = pack_image(pack, config.image)?;
        let mut bus = Bus::new();
        let mut console_named = false;
        for region in config.devices() {
            let RegionKind::Device { compatible, irq } = region.kind else { continue };
            // The first UART is the guest's console: its port has the guest's name.
            let is_uart = devices::create([compatible], &DeviceParams::default())
                .is_ok_and(|d| d.as_uart().is_some());
            // Other devices (and their ports) are `GUEST/NODE`, unique across guests.
            let mut buf = [0u8; 32];
            let port_name = if is_uart && !console_named {
                console_named = true;
                config.name
            } else {
                join_name(config.name, region.name, &mut buf)
            };
            let line = irq.map(|irq| match irq {
                Irq::Cpu(ip) => IrqRoute::Line(ip - 2),
                Irq::Isa(n) => IrqRoute::Isa(n),
            });
            bus.attach_compatible([compatible], &DeviceParams::default(), GuestPhys(region.base), region.size, port_name, line)
                .map_err(|e| match e {
                    AttachError::Unknown(_) => Refusal::UnknownCompatible { node: region.name, compatible },
                    _ => Refusal::DeviceAttach { node: region.name },
                })?;
        }
        let mut scratch = *ram;
        let memory = scratch.allocate(config)?;
        image.check(&memory)?;
        if let Some(page) = config.paravirt_page.filter(|&page| image.touches(page, super::paravirt::PAGE_BYTES)) {
            return Err(Refusal::ParavirtPageTaken { page });
        }
        let linux = match config.linux {
            Some(boot) => Some(Self::linux_start(config, boot, &image, &memory, pack)?),
            None => None,
        };
        *ram = scratch;
        if let Some(Board::Malta) = config.board {
            // The RTC reads the epoch until the host sets it (`set_wall_clock`).
            bus.set_board(MaltaBoard::new(u64::from(memory.ram_size), 0));
        }
        let start_pc = linux.map_or(config.start_pc, |l| l.entry.pc);
        let mut guest = Guest {
            name: config.name,
            index,
            memory,
            bus,
            vcpu: Vcpu::new(index, config.map, start_pc, now),
            state: GuestState::Running,
            time_slice_ticks: config.time_slice_ms.saturating_mul(TICKS_PER_MS),
            fpu_used: false,
            start_pc,
            image: config.image,
            linux,
        };
        if let Some(hz) = config.count_hz {
            // Host Count ticks are NS_PER_TICK ns: hz * NS_PER_TICK / 1e9
            // guest ticks per host tick.
            let rate = CountRate::new(u64::from(hz) * NS_PER_TICK, 1_000_000_000);
            guest.vcpu.set_count_rate(rate.unwrap_or(CountRate::SAME));
        }
        if let Some(page) = config.paravirt_page {
            // The configuration checked the page.
            guest.vcpu.set_paravirt(page, &guest.memory);
        }
        guest.set_entry_registers();
        Ok((guest, image))
    }

    /// A Linux guest's start: its kernel's entry, where its initramfs goes.
    fn linux_start(
        config: &GuestConfig<'a>,
        boot: super::config::LinuxBoot<'a>,
        kernel: &Image<'_>,
        memory: &GuestMemory,
        pack: Option<&Pack<'_>>,
    ) -> Result<LinuxStart<'a>, Refusal<'a>> {
        let pc = kernel.entry.ok_or(Refusal::NoEntry { image: config.image })?;
        let ram_size = memory.ram_size;
        let initrd = match boot.initrd {
            None => None,
            Some(index) => {
                let image = pack_image(pack, index)?;
                let len = image.chunks().map(|c| c.data.len() as u32).fold(0u32, u32::saturating_add);
                let kernel_end = kernel
                    .chunks()
                    .filter(|c| c.gpa < ram_size)
                    .map(|c| c.gpa.saturating_add(c.data.len() as u32))
                    .max()
                    .unwrap_or(0);
                let gpa = linux::initrd_gpa(ram_size, kernel_end, len).ok_or(Refusal::InitrdTooLarge { len })?;
                Some((index, gpa, len))
            }
        };
        Ok(LinuxStart { entry: linux::entry(config.map, pc, ram_size), bootargs: boot.bootargs, initrd })
    }

    /// A Linux guest's argument registers (a0-a3, sp) as its kernel expects
    /// them at entry; nothing for other guests.
    fn set_entry_registers(&mut self) {
        if let Some(linux) = self.linux {
            self.vcpu.cpu.gpr[4..8].copy_from_slice(&linux.entry.args);
            self.vcpu.cpu.gpr[29] = linux.entry.sp;
        }
    }

    /// Writes everything the guest finds in memory at power-on through `put`
    /// (guest-physical address, bytes): its image from `pack`, the board's
    /// words in its ROM, a Linux guest's initramfs and boot arguments.
    /// The caller has cleared its RAM and ROM.
    pub fn load(&self, pack: &Pack<'_>, put: &mut dyn FnMut(u32, &[u8])) {
        for chunk in pack.image(self.image).iter().flat_map(|i| i.chunks()) {
            put(chunk.gpa, chunk.data);
        }
        for (gpa, value) in self.rom_patches() {
            put(gpa, &value.to_le_bytes());
        }
        let Some(linux) = self.linux else { return };
        let mut initrd = None;
        if let Some((index, gpa, len)) = linux.initrd {
            let mut at = gpa;
            for chunk in pack.image(index).iter().flat_map(|i| i.chunks()) {
                put(at, chunk.data);
                at += chunk.data.len() as u32;
            }
            initrd = Some((gpa, len));
        }
        linux::write_args(self.vcpu.map(), linux.bootargs, self.memory.ram_size, initrd, put);
    }

    /// VCPU and devices back to their reset state (BEV and ERL set, PC at
    /// `start_pc`, an empty TLB); the exit counters are kept (they count
    /// since boot). `now` is the host Count.
    pub fn reset(&mut self, now: u32) {
        self.vcpu.reset(self.start_pc, now);
        self.set_entry_registers();
        self.bus.reset_devices();
        self.fpu_used = false;
    }

    /// Applies `op` (see [`LifecycleOp`]); on success the caller carries
    /// out the returned [`Effects`] on the host. Other guests are not
    /// touched.
    pub fn lifecycle(&mut self, op: LifecycleOp, now: u32) -> Result<Effects, LifecycleError> {
        let running = matches!(self.state, GuestState::Running | GuestState::Paused);
        let reboot = Effects { drop_shadows: true, reload_image: true };
        match op {
            LifecycleOp::Start if running => Err(LifecycleError::AlreadyRunning),
            LifecycleOp::Start | LifecycleOp::Reset => {
                self.reset(now);
                self.state = GuestState::Running;
                Ok(reboot)
            }
            LifecycleOp::Stop if !running => Err(LifecycleError::NotRunning),
            LifecycleOp::Stop => {
                self.state = GuestState::Stopped(STOPPED_BY_OPERATOR);
                Ok(Effects { drop_shadows: true, reload_image: false })
            }
            LifecycleOp::Pause if self.state == GuestState::Paused => Err(LifecycleError::AlreadyPaused),
            LifecycleOp::Pause if self.state != GuestState::Running => Err(LifecycleError::NotRunning),
            LifecycleOp::Pause => {
                self.state = GuestState::Paused;
                Ok(Effects::default())
            }
            LifecycleOp::Resume if self.state != GuestState::Paused => Err(LifecycleError::NotPaused),
            LifecycleOp::Resume => {
                self.state = GuestState::Running;
                Ok(Effects::default())
            }
        }
    }

    /// The guest can run now (running and not waiting for an interrupt
    /// that is not pending).
    pub fn runnable(&self) -> bool {
        self.state == GuestState::Running && (!self.vcpu.cpu.waiting || self.vcpu.cpu.interrupt_pending())
    }

    /// The guest waits (WAIT) in a state no interrupt can end: interrupts
    /// disabled (IE = 0, EXL or ERL set) or every line masked.
    pub fn stuck(&self) -> bool {
        let c = &self.vcpu.cpu.cp0;
        self.state == GuestState::Running
            && self.vcpu.cpu.waiting
            && (c.status_ie() == 0 || c.status_exl() != 0 || c.status_erl() != 0 || c.status_im() == 0)
    }

    /// Device interrupt lines into Cause.IP2-IP6 at host time `now_ns`
    /// (the board's inputs first brought up to it).
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn update_irq_lines(&mut self, now_ns: u64) {
        self.bus.set_time(now_ns);
        self.bus.sync_board();
        let lines = self.bus.irq_lines();
        self.vcpu.set_device_lines(lines);
    }

    /// The words the board puts into the guest's ROM over its image (as
    /// QEMU's Malta does), each as (guest-physical address, value): the
    /// board revision. Write them after every image load.
    pub fn rom_patches(&self) -> impl Iterator<Item = (u32, u32)> {
        self.bus.board().map(|_| (BOARD_REVISION_ADDR, BOARD_REVISION)).into_iter()
    }
}

/// Image `index` of the pack, or the refusal naming how many there are.
fn pack_image<'p, 'a>(pack: Option<&Pack<'p>>, index: u32) -> Result<Image<'p>, Refusal<'a>> {
    let available = pack.map_or(0, |p| p.len());
    pack.and_then(|p| p.image(index)).ok_or(Refusal::MissingImage { index, available })
}

/// `guest/node` in `buf` (cut at 32 bytes, at a character boundary).
fn join_name<'b>(guest: &str, node: &str, buf: &'b mut [u8; 32]) -> &'b str {
    let mut len = 0;
    for part in [guest, "/", node] {
        for &byte in part.as_bytes() {
            if len < buf.len() {
                buf[len] = byte;
                len += 1;
            }
        }
    }
    let mut text = &buf[..len];
    loop {
        match core::str::from_utf8(text) {
            Ok(s) => return s,
            Err(e) => text = &text[..e.valid_up_to()],
        }
    }
}

/// Round robin: the first index after `current` (wrapping) whose entry is
/// `true`; `current` itself last.
pub fn next_runnable(current: usize, runnable: &[bool]) -> Option<usize> {
    let n = runnable.len();
    (1..=n).map(|step| (current + step) % n).find(|&i| runnable[i])
}

/// The guest's state in words.
pub fn state_name(guest: &Guest<'_>) -> &'static str {
    match guest.state {
        GuestState::Running if guest.vcpu.cpu.waiting => "waiting (WAIT)",
        GuestState::Running => "running",
        GuestState::Paused => "paused",
        GuestState::PoweredOff => "powered off",
        GuestState::Stopped(why) => why,
    }
}

/// One line per guest state change and the exit counters, for the boot
/// log, power-off and mterm's `guests`.
pub fn write_status(guest: &Guest<'_>, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    let state = state_name(guest);
    let c = &guest.vcpu.counters;
    writeln!(
        out,
        "{}: {state}, pc {:#010x}, {} exits, {} instructions emulated",
        guest.name,
        guest.vcpu.cpu.pc,
        c.total(),
        guest.vcpu.emulated
    )?;
    if let Some(rewritten) = guest.vcpu.paravirt_rewritten() {
        writeln!(out, "  paravirtual: {rewritten} instructions rewritten")?;
    }
    write!(out, "  exits:")?;
    for reason in super::vcpu::ExitReason::ALL {
        let n = c.get(reason);
        if n != 0 {
            write!(out, " {} {n};", reason.name())?;
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::config::tests::{blob, good_regions, guest_blob, R};
    use crate::vm::config::{self, ROM_BASE};
    use crate::vm::memory::tests::pack;

    /// A Linux guest with 64 MiB of RAM on the kvm-guest map; its kernel
    /// is image 0 and its initramfs image `initrd`.
    fn linux_config(initrd: u32) -> GuestConfig<'static> {
        let regions = [R("ram", "ram", 0, 0x0400_0000), R("rom", "rom", ROM_BASE, 0x0040_0000)];
        let linux = move |b: &mut crate::host::devtree::tests::Builder| {
            b.str("address-map", "kvm-guest").str("board", "malta");
            b.begin("linux").str("bootargs", "console=ttyS0").cells("initrd", &[initrd]).end();
        };
        let blob: &'static [u8] = Box::leak(guest_blob(&linux, None, &regions).into_boxed_slice());
        let fdt: &'static fdt::Fdt<'static> = Box::leak(Box::new(fdt::Fdt::new(blob).unwrap()));
        config::guests(fdt, &known_compatible).next().unwrap().1.unwrap()
    }

    #[test]
    fn a_linux_guest_starts_as_qemu_malta_starts_a_kernel() {
        let kernel: Vec<u8> = (0..0x4000u32).map(|i| i as u8).collect();
        let initrd = vec![0xA5u8; 0x3000];
        let bytes = pack(&[("vmlinux.elf", &[(0x0010_0000, &kernel)]), ("initramfs.bin", &[(ROM_BASE, &initrd)])]);
        let pack = Pack::parse(&bytes).unwrap();
        let config = linux_config(1);
        let mut ram = HostRam::new(128 << 20);
        let (mut guest, _) = Guest::build(0, &config, &mut ram, Some(&pack), 0).unwrap();
        let start = guest.linux.unwrap();
        let initrd_gpa = 0x03FD_0000;
        assert_eq!(start.initrd, Some((1, initrd_gpa, 0x3000)));
        let cpu = &guest.vcpu.cpu;
        assert_eq!((cpu.pc, &cpu.gpr[4..8], cpu.gpr[29]), (0x4010_0400, &[2, 0x8000_2000, 0x8000_2008, 64 << 20][..], 0x8000_1FC0));
        assert_eq!(cpu.cp0.ebase & 0xFFFF_F000, 0x4000_0000, "EBase in the map's KSEG0");
        // What `load` writes: the kernel, the board revision, the
        // initramfs and the argument table.
        let mut mem = vec![0u8; 0x2000_0000];
        guest.load(&pack, &mut |gpa, data| mem[gpa as usize..gpa as usize + data.len()].copy_from_slice(data));
        assert_eq!(&mem[0x0010_0000..0x0010_4000], &kernel[..]);
        assert_eq!(&mem[initrd_gpa as usize..initrd_gpa as usize + 0x3000], &initrd[..]);
        assert_eq!(mem[ROM_BASE as usize], 0, "the initramfs is not in the ROM");
        assert_eq!(&mem[0x1FC0_0010..0x1FC0_0014], &0x420u32.to_le_bytes());
        let cmdline_ptr = u32::from_le_bytes(mem[0x2004..0x2008].try_into().unwrap()) - 0x4000_0000;
        let cmdline = &mem[cmdline_ptr as usize..][..41];
        assert_eq!(cmdline, b"rd_start=0x43fd0000 rd_size=12288 console");
        let mut info = String::new();
        crate::vm::ops::write_info(&guest, &mut info).unwrap();
        assert!(info.contains("\n  address map: kvm-guest\n  linux: entry 0x40100400, bootargs \"console=ttyS0\", initramfs (image 1) 12 KiB at 0x03fd0000\n"), "{info}");
        // A reset starts it the same way again.
        guest.vcpu.cpu.gpr = [7; 32];
        guest.reset(0);
        assert_eq!((guest.vcpu.cpu.pc, guest.vcpu.cpu.gpr[4], guest.vcpu.cpu.gpr[29]), (0x4010_0400, 2, 0x8000_1FC0));
    }

    #[test]
    fn linux_guests_are_refused_for_what_cannot_boot() {
        let kernel = [0u8; 16];
        let config = linux_config(1);
        let mut ram = HostRam::new(128 << 20);
        let no_initrd = pack(&[("vmlinux.elf", &[(0x0010_0000, &kernel)])]);
        let err = Guest::build(0, &config, &mut ram, Pack::parse(&no_initrd).as_ref(), 0).unwrap_err();
        assert_eq!(err, Refusal::MissingImage { index: 1, available: 1 });
        let raw = pack(&[("kernel.bin", &[(ROM_BASE, &kernel)]), ("i", &[(ROM_BASE, &kernel)])]);
        let err = Guest::build(0, &config, &mut ram, Pack::parse(&raw).as_ref(), 0).unwrap_err();
        assert_eq!(err.to_string(), "image 0 has no entry point (a Linux guest's image must be an ELF kernel)");
        let huge = vec![0u8; 0x0400_0000];
        let too_big = pack(&[("vmlinux.elf", &[(0x0010_0000, &kernel)]), ("i", &[(ROM_BASE, &huge)])]);
        let err = Guest::build(0, &config, &mut ram, Pack::parse(&too_big).as_ref(), 0).unwrap_err();
        assert_eq!(err.to_string(), "the initramfs (65536 KiB) does not fit in RAM above the kernel");
        assert_eq!(ram.available(), HostRam::new(128 << 20).available(), "nothing allocated");
    }

    /// A paravirtual guest gets its page; one whose image has bytes in
    /// the page is refused, nothing allocated.
    #[test]
    fn a_paravirtual_page_is_the_guests_and_its_image_stays_out() {
        let regions = [R("ram", "ram", 0, 0x0100_0000), R("rom", "rom", ROM_BASE, 0x0040_0000)];
        let dt = guest_blob(&|b| {
            b.cells("paravirt-page", &[0x7000]);
        }, None, &regions);
        let fdt = fdt::Fdt::new(&dt).unwrap();
        let config = config::guests(&fdt, &known_compatible).next().unwrap().1.unwrap();
        let mut ram = HostRam::new(64 << 20);
        let clear = pack(&[("a.elf", &[(0x0010_0000, &[0; 16]), (0x6FF0, &[0; 16])])]);
        let (guest, _) = Guest::build(0, &config, &mut ram, Pack::parse(&clear).as_ref(), 0).unwrap();
        assert_eq!(guest.vcpu.paravirt_page(), guest.memory.host_phys(0x7000));
        assert_eq!(guest.vcpu.paravirt_rewritten(), Some(0));
        let mut status = String::new();
        write_status(&guest, &mut status).unwrap();
        assert!(status.contains("\n  paravirtual: 0 instructions rewritten\n"), "{status}");
        let before = ram.available();
        let taken = pack(&[("a.elf", &[(0x0010_0000, &[0; 16]), (0x6FF8, &[0; 16])])]);
        let err = Guest::build(1, &config, &mut ram, Pack::parse(&taken).as_ref(), 0).unwrap_err();
        assert_eq!(err.to_string(), "paravirt-page 0x7000: its image has bytes there");
        assert_eq!(ram.available(), before, "nothing allocated");
    }

    #[test]
    fn a_second_uart_port_is_named_guest_slash_node() {
        let regions = [
            R("ram", "ram", 0, 0x0100_0000),
            R("rom", "rom", ROM_BASE, 0x0040_0000),
            R("uart0", "ns16550a", 0x1800_03F8, 8),
            R("uart1", "ns16550a", 0x1800_02F8, 8),
        ];
        let dt = blob(&[("guest0", 1, &regions)]);
        let fdt = fdt::Fdt::new(&dt).unwrap();
        let config = config::guests(&fdt, &known_compatible).next().unwrap().1.unwrap();
        let bytes = pack(&[("a.elf", &[(0x1FC0_0000, &[0, 0, 0, 0])])]);
        let pack = Pack::parse(&bytes).unwrap();
        let (guest, _) = Guest::build(0, &config, &mut HostRam::new(64 << 20), Some(&pack), 0).unwrap();
        let ports: Vec<_> = guest.bus.ports().map(|p| p.name().to_string()).collect();
        assert_eq!(ports, ["guest0", "guest0/uart1"]);
        let mut buf = [0; 32];
        assert_eq!(join_name(&"g".repeat(30), "\u{e9}x", &mut buf), format!("{}/", "g".repeat(30)));
    }

    #[test]
    fn round_robin() {
        assert_eq!(next_runnable(0, &[true, true]), Some(1));
        assert_eq!(next_runnable(1, &[true, true]), Some(0));
        assert_eq!(next_runnable(0, &[true, false]), Some(0));
        assert_eq!(next_runnable(0, &[false, false]), None);
        assert_eq!(next_runnable(2, &[false, true, false, true]), Some(3));
    }

    #[test]
    fn build_and_refuse() {
        let regions = good_regions();
        let tiny = [R("ram", "ram", 0, 0x0800_0000), R("rom", "rom", ROM_BASE, 0x1000)];
        let dt = blob(&[("guest0", 1, &regions), ("guest1", 1, &tiny)]);
        let fdt = fdt::Fdt::new(&dt).unwrap();
        let configs: Vec<_> = config::guests(&fdt, &known_compatible).map(|(_, c)| c.unwrap()).collect();
        let bytes = pack(&[("suite.elf", &[(0x1FC0_0000, &[0x08, 0, 0, 0])])]);
        let pack = Pack::parse(&bytes).unwrap();
        let mut ram = HostRam::new(64 << 20);
        let (guest, image) = Guest::build(0, &configs[0], &mut ram, Some(&pack), 0).unwrap();
        assert_eq!(image.name, "suite.elf");
        assert_eq!(guest.vcpu.cpu.pc, 0x3FC0_0000);
        assert_eq!(guest.bus.ports().map(|p| p.name()).collect::<Vec<_>>(), ["guest0"]);
        assert_eq!(guest.bus.regions().map(|(_, r)| r.name.to_string()).collect::<Vec<_>>(), ["guest0", "guest0/reset"]);
        assert!(guest.bus.find(GuestPhys(0x1800_03F8)).is_some());
        assert!(guest.bus.find(GuestPhys(0x1F00_0500)).is_some());
        assert!(guest.runnable());
        let mut waiting = guest.clone();
        waiting.vcpu.cpu.waiting = true;
        waiting.vcpu.cpu.cp0.status = 0x8001;
        assert!(!waiting.stuck());
        waiting.vcpu.cpu.cp0.status = 0x8000;
        assert!(waiting.stuck() && !waiting.runnable());
        // guest1 has no image 0... it does (same pack), but its RAM does not fit.
        let left = ram.available();
        let err = Guest::build(1, &configs[1], &mut ram, Some(&pack), 0).unwrap_err();
        assert!(matches!(err, Refusal::RamTooLarge { .. }));
        assert_eq!(ram.available(), left, "nothing allocated for a refused guest");
        let mut report = String::new();
        let mut counted = guest.clone();
        counted.vcpu.counters.count(crate::vm::vcpu::ExitReason::Mmio);
        counted.vcpu.counters.count(crate::vm::vcpu::ExitReason::Mmio);
        counted.state = GuestState::PoweredOff;
        write_status(&counted, &mut report).unwrap();
        assert_eq!(report, "guest0: powered off, pc 0x3fc00000, 2 exits, 0 instructions emulated\n  exits: MMIO 2;\n");
        let err = Guest::build(1, &configs[0], &mut ram, None, 0).unwrap_err();
        assert_eq!(err.to_string(), "image 0 is missing (0 image(s) given; `cargo xtask run --guest FILE` adds one)");
    }
}
