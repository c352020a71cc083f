//! A guest: its configuration, memory, devices and VCPU, built from a
//! validated device-tree node; and the round-robin choice of what runs.

use super::config::{GuestConfig, Refusal, RegionKind};
use super::memory::{GuestMemory, HostRam, Image, Pack};
use super::vcpu::Vcpu;
use crate::devemu::{AttachError, Bus};
use crate::devices::{self, DeviceParams};
use emulator::addrmap::GuestPhys;

/// Whether an emulator exists for `compatible` (the device registry).
pub fn known_compatible(compatible: &str) -> bool {
    devices::REGISTRY.iter().any(|(name, _)| *name == compatible)
}

/// Host Count ticks per millisecond (the 24Kf on Malta counts at half its
/// 320 MHz clock... as QEMU runs it: 6 ns per tick, about 166.7 MHz).
pub const TICKS_PER_MS: u32 = 166_667;

/// Where a guest is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestState {
    Running,
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
}

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
        let available = pack.map_or(0, |p| p.len());
        let image = pack
            .and_then(|p| p.image(config.image))
            .ok_or(Refusal::MissingImage { index: config.image, available })?;
        let mut bus = Bus::new();
        let mut console_named = false;
        for region in config.devices() {
            let RegionKind::Device { compatible, irq } = region.kind else { continue };
            // The first UART is the guest's console: its port has the guest's name.
            let is_uart = devices::create([compatible], &DeviceParams::default())
                .is_ok_and(|d| d.as_uart().is_some());
            let port_name = if is_uart && !console_named {
                console_named = true;
                config.name
            } else {
                region.name
            };
            let line = irq.map(|ip| ip - 2);
            bus.attach_compatible([compatible], &DeviceParams::default(), GuestPhys(region.base), region.size, port_name, line)
                .map_err(|e| match e {
                    AttachError::Unknown(_) => Refusal::UnknownCompatible { node: region.name, compatible },
                    _ => Refusal::DeviceAttach { node: region.name },
                })?;
        }
        let mut scratch = *ram;
        let memory = scratch.allocate(config)?;
        image.check(&memory)?;
        *ram = scratch;
        let guest = Guest {
            name: config.name,
            index,
            memory,
            bus,
            vcpu: Vcpu::new(index, config.start_pc, now),
            state: GuestState::Running,
            time_slice_ticks: config.time_slice_ms.saturating_mul(TICKS_PER_MS),
            fpu_used: false,
        };
        Ok((guest, image))
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

    /// Device interrupt lines into Cause.IP2-IP6.
    pub fn update_irq_lines(&mut self) {
        let lines = self.bus.irq_lines();
        self.vcpu.set_device_lines(lines);
    }
}

/// Round robin: the first index after `current` (wrapping) whose entry is
/// `true`; `current` itself last.
pub fn next_runnable(current: usize, runnable: &[bool]) -> Option<usize> {
    let n = runnable.len();
    (1..=n).map(|step| (current + step) % n).find(|&i| runnable[i])
}

/// One line per guest state change and the exit counters, for the boot
/// log, power-off and mterm's `guests`.
pub fn write_status(guest: &Guest<'_>, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    let state = match guest.state {
        GuestState::Running if guest.vcpu.cpu.waiting => "waiting (WAIT)",
        GuestState::Running => "running",
        GuestState::PoweredOff => "powered off",
        GuestState::Stopped(why) => why,
    };
    let c = &guest.vcpu.counters;
    writeln!(
        out,
        "{}: {state}, pc {:#010x}, {} exits, {} instructions emulated",
        guest.name,
        guest.vcpu.cpu.pc,
        c.total(),
        guest.vcpu.emulated
    )?;
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
    use crate::vm::config::tests::{blob, good_regions, R};
    use crate::vm::config::{self, ROM_BASE};
    use crate::vm::memory::tests::pack;

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
