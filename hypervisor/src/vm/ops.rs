//! The operator's commands on guests, VCPUs and virtual serial ports:
//! what mterm's `guest`, `vcpu`, `vserial` and `stats` print, and the
//! guest lifecycle (start, stop, reset, pause, resume). The target passes
//! in what only the hardware knows ([`HostView`]: the host TLB, the time
//! accounting) and carries out the returned [`Effects`].

use core::fmt::{self, Write};

use super::guest::{state_name, Effects, Guest, LifecycleOp, TICKS_PER_MS};
use super::vcpu::{ExitCounters, ExitReason};
use crate::host::cpu::Size;
use crate::devices::IrqRoute;
use crate::devices::malta::BoardSummary;
use crate::devices::Device;
use emulator::Cp0Reg;

/// A parsed guest-related mterm command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestCommand<'a> {
    /// `guest list`
    List,
    /// `guest info NAME`
    Info(&'a str),
    /// `guest start|stop|reset|pause|resume NAME`
    Lifecycle(LifecycleOp, &'a str),
    /// `vcpu list`
    VcpuList,
    /// `vcpu regs NAME`
    VcpuRegs(&'a str),
    /// `vcpu tlb NAME`
    VcpuTlb(&'a str),
    /// `stats`
    Stats,
    /// `vserial list`
    VserialList,
    /// `vserial dump NAME`
    VserialDump(&'a str),
}

/// One host TLB entry as TLBR reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostTlbEntry {
    pub index: u32,
    pub entry_hi: u32,
    pub entry_lo: [u32; 2],
    pub page_mask: u32,
}

/// Host ticks since the threads started, by where the CPU spent them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    /// In guests: from entering a guest to the exception that left it
    /// (Count read at the world switch).
    pub guest: u64,
    /// In the hypervisor: its threads (exit handling, mterm, the worker)
    /// and interrupt handlers; everything that is neither of the others.
    pub hypervisor: u64,
    /// In the idle thread (nothing could run: guests waiting, stopped,
    /// paused or held while mterm keeps the console).
    pub idle: u64,
}

/// What the hardware tells the commands.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostView<'h> {
    /// The host TLB (for the shadows of `vcpu tlb`); may be empty.
    pub tlb: &'h [HostTlbEntry],
    pub times: Times,
}

/// A VCPU's name: `GUEST/vcpu0` (one VCPU per guest).
pub const VCPU_SUFFIX: &str = "/vcpu0";

/// The guest called `name`, or its VCPU (`NAME/vcpu0` names it too).
fn find<'g, 'a>(guests: &'g mut [Option<Guest<'a>>], name: &str) -> Option<&'g mut Guest<'a>> {
    let name = name.strip_suffix(VCPU_SUFFIX).unwrap_or(name);
    guests.iter_mut().flatten().find(|g| g.name == name)
}

/// Runs `command`, printing its reply (or why it cannot) to `out`. A
/// lifecycle change returns the guest's index and what the host must do.
pub fn execute(
    command: GuestCommand<'_>,
    guests: &mut [Option<Guest<'_>>],
    host: &HostView<'_>,
    now: u32,
    out: &mut dyn Write,
) -> Result<Option<(usize, Effects)>, fmt::Error> {
    let no_guest = |out: &mut dyn Write, name: &str| {
        writeln!(out, "no guest or VCPU `{name}`; `guest list` shows them")
    };
    match command {
        GuestCommand::List => {
            if guests.iter().flatten().next().is_none() {
                writeln!(out, "no guests")?;
            }
            for g in guests.iter().flatten() {
                writeln!(
                    out,
                    "{}: {}, pc {:#010x}, {} exits",
                    g.name,
                    state_name(g),
                    g.vcpu.cpu.pc,
                    g.vcpu.counters.total()
                )?;
            }
        }
        GuestCommand::Info(name) => match find(guests, name) {
            Some(g) => write_info(g, out)?,
            None => no_guest(out, name)?,
        },
        GuestCommand::Lifecycle(op, name) => {
            let Some(g) = find(guests, name) else {
                no_guest(out, name)?;
                return Ok(None);
            };
            match g.lifecycle(op, now) {
                Ok(effects) => {
                    let what = match op {
                        LifecycleOp::Start | LifecycleOp::Reset => "reset, reloading its image, then running from",
                        LifecycleOp::Stop => "stopped at",
                        LifecycleOp::Pause => "paused at",
                        LifecycleOp::Resume => "resumed at",
                    };
                    writeln!(out, "{}: {what} {:#010x}", g.name, g.vcpu.cpu.pc)?;
                    return Ok(Some((g.index, effects)));
                }
                Err(why) => writeln!(out, "{} {why}", g.name)?,
            }
        }
        GuestCommand::VcpuList => {
            for g in guests.iter().flatten() {
                let c = &g.vcpu.cpu;
                let mode = if c.kernel_mode() { "kernel" } else { "user" };
                write!(out, "{}{VCPU_SUFFIX}: guest {}, {}, pc {:#010x}, {mode} mode", g.name, g.name, state_name(g), c.pc)?;
                for (set, flag) in [(c.cp0.status_erl() != 0, "ERL"), (c.cp0.status_exl() != 0, "EXL"), (c.cp0.status_bev() != 0, "BEV")] {
                    if set {
                        write!(out, " {flag}")?;
                    }
                }
                writeln!(out, ", host ASIDs {:?}", g.vcpu.asids())?;
            }
        }
        GuestCommand::VcpuRegs(name) => match find(guests, name) {
            Some(g) => write_regs(g, out)?,
            None => no_guest(out, name)?,
        },
        GuestCommand::VcpuTlb(name) => match find(guests, name) {
            Some(g) => write_tlb(g, host.tlb, out)?,
            None => no_guest(out, name)?,
        },
        GuestCommand::Stats => write_stats(guests, &host.times, out)?,
        GuestCommand::VserialList => {
            writeln!(out, "{:<12} {:<12} {:<6} history", "port", "guest", "bound")?;
            for g in guests.iter().flatten() {
                for port in g.bus.ports() {
                    let bound = if port.is_raw() { "yes" } else { "no" };
                    writeln!(out, "{:<12} {:<12} {bound:<6} {} bytes", port.name(), g.name, port.history_len())?;
                }
            }
        }
        GuestCommand::VserialDump(name) => {
            let port = guests.iter().flatten().flat_map(|g| g.bus.ports()).find(|p| p.name() == name);
            match port {
                Some(port) => {
                    writeln!(out, "--- {name}: last {} bytes of output ---", port.history_len())?;
                    port.dump(out)?;
                    if port.history().last().is_some_and(|b| b != b'\n') {
                        writeln!(out)?;
                    }
                    writeln!(out, "--- end of {name} ---")?;
                }
                None => writeln!(out, "vserial: no serial port `{name}`; `vserial list` shows them")?,
            }
        }
    }
    Ok(None)
}

fn write_counters(counters: &ExitCounters, out: &mut dyn Write) -> fmt::Result {
    for reason in ExitReason::ALL {
        writeln!(out, "    {:<32} {}", reason.name(), counters.get(reason))?;
    }
    writeln!(out, "    {:<32} {}", "total", counters.total())
}

/// `guest info`: state, regions, exit counters.
pub fn write_info(g: &Guest<'_>, out: &mut dyn Write) -> fmt::Result {
    writeln!(
        out,
        "{}: {}, pc {:#010x}, image {}, time slice {} ms, {} instructions emulated",
        g.name,
        state_name(g),
        g.vcpu.cpu.pc,
        g.image,
        g.time_slice_ticks / TICKS_PER_MS,
        g.vcpu.emulated
    )?;
    writeln!(out, "  address map: {}", g.vcpu.map().name)?;
    if let Some(linux) = &g.linux {
        write!(out, "  linux: entry {:#010x}, bootargs \"{}\"", linux.entry.pc, linux.bootargs)?;
        match linux.initrd {
            Some((image, gpa, len)) => writeln!(out, ", initramfs (image {image}) {} at {gpa:#010x}", Size(u64::from(len)))?,
            None => writeln!(out, ", no initramfs")?,
        }
    }
    writeln!(out, "  regions (guest-physical base, size, kind):")?;
    let m = &g.memory;
    writeln!(out, "    {:#010x} {:#010x} RAM, {} at host {:#010x}", 0, m.ram_size, Size(u64::from(m.ram_size)), m.ram_host)?;
    writeln!(out, "    {:#010x} {:#010x} ROM, {} at host {:#010x}", m.rom_base, m.rom_size, Size(u64::from(m.rom_size)), m.rom_host)?;
    for (_, r) in g.bus.regions() {
        let kind = match r.device {
            Device::Uart(_) => "device ns16550a UART",
            Device::Reset(_) => "device mti,malta-reset",
            #[cfg(test)]
            Device::Test(_) => "device test",
        };
        write!(out, "    {:#010x} {:#010x} {kind} `{}`", r.base.0, r.size, r.name)?;
        match r.irq {
            Some(IrqRoute::Line(line)) => writeln!(out, " (IP{})", line + 2)?,
            Some(IrqRoute::Isa(input)) => writeln!(out, " (ISA IRQ {input})")?,
            None => writeln!(out)?,
        }
    }
    if let Some(board) = g.bus.board() {
        write_board(&board.summary(g.bus.now_ns()), out)?;
    }
    writeln!(out, "  exits:")?;
    write_counters(&g.vcpu.counters, out)
}

/// The virtual Malta board's parts, one line each.
fn write_board(b: &BoardSummary, out: &mut dyn Write) -> fmt::Result {
    writeln!(out, "  board: Malta (malformed accesses {})", b.malformed)?;
    let p = &b.pic;
    for (name, c) in [("master", &p.master), ("slave ", &p.slave)] {
        writeln!(
            out,
            "    i8259 {name} IRR {:02x} ISR {:02x} IMR {:02x} ELCR {:02x} lines {:02x} vector base {:#04x}{}{}{}",
            c.irr,
            c.isr,
            c.imr,
            c.elcr,
            c.lines,
            c.vector_base,
            if c.auto_eoi { " auto-EOI" } else { "" },
            if c.special_mask { " special-mask" } else { "" },
            if c.initialising { " initialising" } else { "" },
        )?;
    }
    writeln!(out, "    i8259 INT {} acknowledges {} spurious {}", if p.output { "high" } else { "low" }, p.acknowledges, p.spurious)?;
    for (i, c) in b.pit.counters.iter().enumerate() {
        writeln!(
            out,
            "    i8254 counter {i} mode {} count {} value {} out {} gate {}",
            c.mode,
            c.count,
            c.value,
            u8::from(c.out),
            u8::from(c.gate)
        )?;
    }
    writeln!(out, "    rtc {}", b.rtc)?;
    writeln!(out, "    gt64120 {}", b.gt)?;
    writeln!(out, "    fpga display `{}` leds {:#04x}", b.display, b.leds)
}

/// `vcpu regs`: GPRs, HI/LO, PC and every CP0 register the spec lists, as
/// the guest's mfc0 would read it.
pub fn write_regs(g: &mut Guest<'_>, out: &mut dyn Write) -> fmt::Result {
    let state = state_name(g);
    let c = &mut g.vcpu.cpu;
    writeln!(out, "{}{VCPU_SUFFIX}: {state}", g.name)?;
    writeln!(out, "  pc   {:08x}  hi   {:08x}  lo   {:08x}", c.pc, c.hi, c.lo)?;
    for row in 0..8 {
        write!(out, " ")?;
        for col in 0..4 {
            let r = row * 4 + col;
            write!(out, " {:>4} {:08x}", isa_spec::operand::GPR[r], c.gpr[r])?;
        }
        writeln!(out)?;
    }
    writeln!(out, "  CP0 (rd,sel):")?;
    let mut column = 0;
    for &reg in Cp0Reg::LISTED {
        let (Some(name), Some(value)) = (reg.name(), c.cp0_peek(reg)) else { continue };
        write!(out, "  {name:>9} ({:>2},{}) {value:08x}", reg.rd, reg.sel)?;
        column += 1;
        if column == 3 {
            column = 0;
            writeln!(out)?;
        }
    }
    if column != 0 {
        writeln!(out)?;
    }
    Ok(())
}

fn lo_flags(lo: u32) -> (u32, u32, bool, bool) {
    let pa = (lo >> 6) << 12;
    (pa, (lo >> 3) & 7, lo & 4 != 0, lo & 2 != 0)
}

/// `vcpu tlb`: the guest's TLB entries (every entry with a valid page)
/// and the host TLB entries holding its shadows.
pub fn write_tlb(g: &Guest<'_>, host_tlb: &[HostTlbEntry], out: &mut dyn Write) -> fmt::Result {
    let c = &g.vcpu.cpu;
    writeln!(
        out,
        "{}{VCPU_SUFFIX} guest TLB ({} entries, Wired {}, EntryHi.ASID {:#04x}); valid entries:",
        g.name,
        emulator::TLB_ENTRIES,
        c.cp0.wired,
        c.cp0.entryhi & emulator::ASID_MASK
    )?;
    let mut shown = 0;
    for index in 0..emulator::TLB_ENTRIES as u32 {
        let e = c.tlb.entry(index);
        if !e.v(0) && !e.v(1) {
            continue;
        }
        shown += 1;
        let (start, end) = super::vcpu::entry_range(&e);
        let half = (end - u64::from(start)) / 2;
        write!(out, "  {index:>2}: va {start:#010x}-{:#010x}", end - 1)?;
        if e.g() {
            write!(out, " global")?;
        } else {
            write!(out, " asid {:#04x}", e.asid())?;
        }
        for (page, name) in [(0, "even"), (1, "odd")] {
            if e.v(page) {
                let pa = u64::from(e.pfn(page)) << 12;
                write!(out, " | {name} pa {pa:#010x} c{}{}", e.c(page), if e.d(page) { " D" } else { "" })?;
            } else {
                write!(out, " | {name} invalid")?;
            }
        }
        writeln!(out, " ({} pages)", Size(half))?;
    }
    if shown == 0 {
        writeln!(out, "  (none)")?;
    }
    let asids = g.vcpu.asids();
    writeln!(out, "host TLB shadows (host ASIDs {} kernel view, {} user view):", asids[0], asids[1])?;
    let mut shadows = 0;
    for h in host_tlb {
        let asid = (h.entry_hi & 0xFF) as u8;
        let valid = h.entry_lo.iter().any(|lo| lo & 2 != 0);
        if !asids.contains(&asid) || !valid {
            continue;
        }
        shadows += 1;
        let view = if asid == asids[0] { "kernel" } else { "user" };
        write!(out, "  host {:>2}: va {:#010x} {view}", h.index, h.entry_hi & 0xFFFF_E000)?;
        for (lo, name) in h.entry_lo.iter().zip(["even", "odd"]) {
            let (pa, cache, dirty, valid) = lo_flags(*lo);
            if valid {
                write!(out, " | {name} host pa {pa:#010x} c{cache}{}", if dirty { " D" } else { "" })?;
            } else {
                write!(out, " | {name} invalid")?;
            }
        }
        let half = crate::vm::vcpu::page_bytes(h.page_mask);
        writeln!(out, " ({} pages)", Size(half))?;
    }
    writeln!(out, "  {shadows} shadow entries")
}

/// `stats`: exits per reason over all guests, and where the time went.
pub fn write_stats(guests: &[Option<Guest<'_>>], times: &Times, out: &mut dyn Write) -> fmt::Result {
    let mut sum = ExitCounters::default();
    for g in guests.iter().flatten() {
        for (total, n) in sum.0.iter_mut().zip(g.vcpu.counters.0) {
            *total += n;
        }
    }
    writeln!(out, "exits since boot, all guests:")?;
    write_counters(&sum, out)?;
    let total = times.guest + times.hypervisor + times.idle;
    writeln!(out, "time since the threads started (host Count, at each world switch and thread switch):")?;
    let rows = [("in guests", times.guest), ("in the hypervisor", times.hypervisor), ("idle", times.idle)];
    for (name, ticks) in rows {
        let per_mille = (ticks * 1000).checked_div(total).unwrap_or(0);
        writeln!(
            out,
            "    {name:<18} {:>8} ms  {:>3}.{}%",
            ticks / u64::from(TICKS_PER_MS),
            per_mille / 10,
            per_mille % 10
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::config::tests::{blob, good_regions};
    use crate::vm::config::{self};
    use crate::vm::guest::{known_compatible, GuestState, LifecycleError};
    use crate::vm::memory::tests::pack;
    use crate::vm::memory::{HostRam, Pack};

    fn two_guests() -> Vec<Option<Guest<'static>>> {
        let regions = good_regions();
        let dt: &'static [u8] = Box::leak(blob(&[("guest0", 1, &regions), ("guest1", 1, &regions)]).into_boxed_slice());
        let fdt: &'static fdt::Fdt<'static> = Box::leak(Box::new(fdt::Fdt::new(dt).unwrap()));
        let bytes: &'static [u8] =
            Box::leak(pack(&[("a.elf", &[(0x1FC0_0000, &[0, 0, 0, 0])]), ("b.elf", &[(0x1FC0_0000, &[0, 0, 0, 0])])]).into_boxed_slice());
        let pack = Pack::parse(bytes).unwrap();
        let mut ram = HostRam::new(128 << 20);
        config::guests(fdt, &known_compatible)
            .enumerate()
            .map(|(i, (_, c))| Some(Guest::build(i, &c.unwrap(), &mut ram, Some(&pack), 0).unwrap().0))
            .collect()
    }

    fn run(command: GuestCommand<'_>, guests: &mut [Option<Guest<'static>>], host: &HostView<'_>) -> (Option<(usize, Effects)>, String) {
        let mut out = String::new();
        let effects = execute(command, guests, host, 0, &mut out).unwrap();
        (effects, out)
    }

    #[test]
    fn lifecycle_state_machine() {
        let mut guests = two_guests();
        let g = guests[0].as_mut().unwrap();
        let now = 1000;
        // Running: start refused, pause / resume keep the state.
        g.vcpu.cpu.pc = 0x0010_0040;
        g.vcpu.cpu.gpr[4] = 7;
        g.vcpu.counters.count(ExitReason::Mmio);
        assert_eq!(g.lifecycle(LifecycleOp::Start, now), Err(LifecycleError::AlreadyRunning));
        assert_eq!(g.lifecycle(LifecycleOp::Resume, now), Err(LifecycleError::NotPaused));
        assert_eq!(g.lifecycle(LifecycleOp::Pause, now), Ok(Effects::default()));
        assert_eq!(g.state, GuestState::Paused);
        assert!(!g.runnable());
        assert_eq!(g.lifecycle(LifecycleOp::Pause, now), Err(LifecycleError::AlreadyPaused));
        assert_eq!(g.lifecycle(LifecycleOp::Resume, now), Ok(Effects::default()));
        assert!(g.runnable());
        assert_eq!((g.vcpu.cpu.pc, g.vcpu.cpu.gpr[4]), (0x0010_0040, 7), "pause keeps the state");
        // Stop: not runnable, shadows dropped, state kept for inspection.
        let stop = g.lifecycle(LifecycleOp::Stop, now).unwrap();
        assert_eq!(stop, Effects { drop_shadows: true, reload_image: false });
        assert_eq!(g.state, GuestState::Stopped(crate::vm::guest::STOPPED_BY_OPERATOR));
        assert!(!g.runnable());
        assert_eq!(g.vcpu.cpu.pc, 0x0010_0040);
        assert_eq!(g.lifecycle(LifecycleOp::Stop, now), Err(LifecycleError::NotRunning));
        assert_eq!(g.lifecycle(LifecycleOp::Pause, now), Err(LifecycleError::NotRunning));
        // Start after stop = reset + run.
        g.vcpu.cpu.tlb.write(2, emulator::TlbEntry::from_regs(emulator::TlbRegs { entry_lo0: emulator::Cp0::ENTRYLO0_V, ..Default::default() }));
        g.vcpu.cpu.cp0.status = 0x10;
        let start = g.lifecycle(LifecycleOp::Start, now).unwrap();
        assert_eq!(start, Effects { drop_shadows: true, reload_image: true });
        assert_eq!(g.state, GuestState::Running);
        assert_eq!(g.vcpu.cpu.pc, 0x3FC0_0000);
        assert_eq!(g.vcpu.cpu.gpr, [0; 32]);
        assert_eq!(g.vcpu.cpu.cp0.status_bev(), 1);
        assert_eq!(g.vcpu.cpu.cp0.status_erl(), 1);
        assert_eq!(g.vcpu.cpu.tlb.entry(2), emulator::TlbEntry::default(), "a fresh TLB");
        assert_eq!(g.vcpu.counters.get(ExitReason::Mmio), 1, "exit counters count since boot");
        // Reset from any state; a powered-off guest can be started again.
        g.vcpu.cpu.pc = 0x1234;
        assert_eq!(g.lifecycle(LifecycleOp::Reset, now).unwrap(), start);
        assert_eq!(g.vcpu.cpu.pc, 0x3FC0_0000);
        g.state = GuestState::PoweredOff;
        assert!(g.lifecycle(LifecycleOp::Start, now).is_ok());
        assert!(g.runnable());
        // The other guest was never touched.
        let fresh = two_guests();
        let (a, b) = (guests[1].as_ref().unwrap(), fresh[1].as_ref().unwrap());
        assert_eq!((a.state, &a.vcpu.cpu, a.vcpu.counters), (b.state, &b.vcpu.cpu, b.vcpu.counters));
    }

    #[test]
    fn reset_resets_the_uart_and_keeps_its_history() {
        use crate::devices::AccessSize;
        use emulator::addrmap::GuestPhys;
        let mut guests = two_guests();
        let g = guests[0].as_mut().unwrap();
        let uart = GuestPhys(0x1800_03F8);
        g.bus.write(GuestPhys(uart.0 + 1), AccessSize::Byte, 1).unwrap(); // IER
        g.bus.write(uart, AccessSize::Byte, u32::from(b'x')).unwrap();
        g.bus.pump_serial(&mut String::new()).unwrap();
        g.bus.port_mut("guest0").unwrap().push_input(b'q');
        g.lifecycle(LifecycleOp::Reset, 0).unwrap();
        assert_eq!(g.bus.read(GuestPhys(uart.0 + 1), AccessSize::Byte), Ok(0), "IER back to 0");
        let port = g.bus.ports().next().unwrap();
        assert_eq!(port.history().collect::<Vec<_>>(), b"x");
        g.bus.pump_serial(&mut String::new()).unwrap();
        assert_eq!(g.bus.read(GuestPhys(uart.0 + 5), AccessSize::Byte).map(|lsr| lsr & 1), Ok(0), "typed input dropped");
    }

    #[test]
    fn replies_and_bad_names() {
        let mut guests = two_guests();
        let host = HostView::default();
        let (_, out) = run(GuestCommand::List, &mut guests, &host);
        assert_eq!(out, "guest0: running, pc 0x3fc00000, 0 exits\nguest1: running, pc 0x3fc00000, 0 exits\n");
        let (effects, out) = run(GuestCommand::Lifecycle(LifecycleOp::Stop, "guest1"), &mut guests, &host);
        assert_eq!(effects, Some((1, Effects { drop_shadows: true, reload_image: false })));
        assert_eq!(out, "guest1: stopped at 0x3fc00000\n");
        let (effects, out) = run(GuestCommand::Lifecycle(LifecycleOp::Stop, "guest1"), &mut guests, &host);
        assert_eq!((effects, out.as_str()), (None, "guest1 is not running\n"));
        let (effects, out) = run(GuestCommand::Lifecycle(LifecycleOp::Start, "guest1/vcpu0"), &mut guests, &host);
        assert_eq!(effects, Some((1, Effects { drop_shadows: true, reload_image: true })));
        assert_eq!(out, "guest1: reset, reloading its image, then running from 0x3fc00000\n");
        for command in [
            GuestCommand::Info("nope"),
            GuestCommand::Lifecycle(LifecycleOp::Reset, "nope"),
            GuestCommand::VcpuRegs("nope"),
            GuestCommand::VcpuTlb("guest0/vcpu1"),
        ] {
            let (effects, out) = run(command, &mut guests, &host);
            assert_eq!(effects, None);
            assert!(out.starts_with("no guest or VCPU `"), "{out}");
        }
        let (_, out) = run(GuestCommand::VserialDump("nope"), &mut guests, &host);
        assert_eq!(out, "vserial: no serial port `nope`; `vserial list` shows them\n");

        let (_, out) = run(GuestCommand::Info("guest0"), &mut guests, &host);
        assert!(out.starts_with("guest0: running, pc 0x3fc00000, image 0, time slice 5 ms"), "{out}");
        assert!(out.contains("\n  address map: shifted\n  regions"), "{out}");
        assert!(out.contains("    0x00000000 0x01000000 RAM, 16 MiB at host 0x01000000\n"), "{out}");
        assert!(out.contains("    0x1fc00000 0x00400000 ROM, 4 MiB at host"), "{out}");
        assert!(out.contains("    0x180003f8 0x00000008 device ns16550a UART `guest0` (IP2)\n"), "{out}");
        assert!(out.contains("device mti,malta-reset"), "{out}");
        assert!(out.contains("    MMIO                             0\n"), "{out}");

        let (_, out) = run(GuestCommand::VcpuList, &mut guests, &host);
        assert!(out.starts_with("guest0/vcpu0: guest guest0, running, pc 0x3fc00000, kernel mode ERL BEV, host ASIDs [2, 3]\n"), "{out}");
    }

    #[test]
    fn vserial_list_and_dump() {
        let mut guests = two_guests();
        let host = HostView::default();
        let g = guests[1].as_mut().unwrap();
        let mut console = String::new();
        for &b in b"hello\r\nworld" {
            g.bus.port_mut("guest1").unwrap().output(b, &mut console).unwrap();
        }
        g.bus.port_mut("guest1").unwrap().set_raw(true, &mut console).unwrap();
        let (_, out) = run(GuestCommand::VserialList, &mut guests, &host);
        assert_eq!(
            out,
            "port         guest        bound  history\nguest0       guest0       no     0 bytes\nguest1       guest1       yes    12 bytes\n"
        );
        let (_, out) = run(GuestCommand::VserialDump("guest1"), &mut guests, &host);
        assert_eq!(out, "--- guest1: last 12 bytes of output ---\nhello\r\nworld\n--- end of guest1 ---\n");
    }

    #[test]
    fn regs_by_abi_and_cp0_name() {
        let mut guests = two_guests();
        let g = guests[0].as_mut().unwrap();
        g.vcpu.cpu.gpr[29] = 0x0020_0000;
        g.vcpu.cpu.gpr[31] = 0x0010_0008;
        g.vcpu.cpu.hi = 0xAB;
        g.vcpu.cpu.cp0.epc = 0x0010_0100;
        let (_, out) = run(GuestCommand::VcpuRegs("guest0"), &mut guests, &HostView::default());
        assert!(out.starts_with("guest0/vcpu0: running\n  pc   3fc00000  hi   000000ab  lo   00000000\n"), "{out}");
        assert!(out.contains("   gp 00000000   sp 00200000   s8 00000000   ra 00100008\n"), "{out}");
        assert!(out.contains("  zero 00000000"), "{out}");
        assert!(out.contains("      EPC (14,0) 00100100"), "{out}");
        assert!(out.contains("   Status (12,0) 00400004"), "BEV and ERL at reset: {out}");
        assert!(out.contains("     PRId (15,0) 00019300"), "{out}");
        assert!(out.contains("    EBase (15,1)"), "{out}");
    }

    #[test]
    fn tlb_entries_and_shadows() {
        let mut guests = two_guests();
        let g = guests[1].as_mut().unwrap();
        let regs = emulator::TlbRegs { entry_hi: 0x4000_0042, entry_lo0: (0x100 << 6) | 0x1F, entry_lo1: 0, page_mask: 0x6000 };
        g.vcpu.cpu.tlb.write(5, emulator::TlbEntry::from_regs(regs));
        let host_tlb = [
            // guest1's kernel view (ASID 4): shown.
            HostTlbEntry { index: 3, entry_hi: 0x0012_2004, entry_lo: [(0x1122 << 6) | 0x1E, 0], page_mask: 0 },
            // guest0's (ASID 2) and an invalid parked entry: not shown.
            HostTlbEntry { index: 4, entry_hi: 0x0012_2002, entry_lo: [(0x1122 << 6) | 0x1E, 0], page_mask: 0 },
            HostTlbEntry { index: 5, entry_hi: 0x8000_A005, entry_lo: [0, 0], page_mask: 0 },
        ];
        let host = HostView { tlb: &host_tlb, times: Times::default() };
        let (_, out) = run(GuestCommand::VcpuTlb("guest1"), &mut guests, &host);
        assert!(out.starts_with("guest1/vcpu0 guest TLB (16 entries, Wired 0, EntryHi.ASID 0x00); valid entries:\n"), "{out}");
        assert!(
            out.contains("   5: va 0x40000000-0x40007fff asid 0x42 | even pa 0x00100000 c3 D | odd invalid (16 KiB pages)\n"),
            "{out}"
        );
        assert!(out.contains("host TLB shadows (host ASIDs 4 kernel view, 5 user view):\n"), "{out}");
        assert!(out.contains("  host  3: va 0x00122000 kernel | even host pa 0x01122000 c3 D | odd invalid (4 KiB pages)\n"), "{out}");
        assert!(!out.contains("host  4") && !out.contains("host  5"), "{out}");
        assert!(out.ends_with("  1 shadow entries\n"), "{out}");
    }

    #[test]
    fn stats_sum_the_guests() {
        let mut guests = two_guests();
        guests[0].as_mut().unwrap().vcpu.counters.count(ExitReason::Privileged);
        guests[1].as_mut().unwrap().vcpu.counters.count(ExitReason::Privileged);
        guests[1].as_mut().unwrap().vcpu.counters.count(ExitReason::Interrupt);
        let times = Times { guest: 3 * u64::from(TICKS_PER_MS), hypervisor: u64::from(TICKS_PER_MS), idle: 0 };
        let host = HostView { tlb: &[], times };
        let (_, out) = run(GuestCommand::Stats, &mut guests, &host);
        assert!(out.contains("    privileged (emulated)            2\n"), "{out}");
        assert!(out.contains("    interrupt                        1\n"), "{out}");
        assert!(out.contains("    total                            3\n"), "{out}");
        assert!(out.contains("    in guests                 3 ms   75.0%\n"), "{out}");
        assert!(out.contains("    in the hypervisor         1 ms   25.0%\n"), "{out}");
        assert!(out.contains("    idle                      0 ms    0.0%\n"), "{out}");
        // Nothing measured yet: no division by zero.
        let (_, out) = run(GuestCommand::Stats, &mut guests, &HostView::default());
        assert!(out.contains("idle                      0 ms    0.0%"), "{out}");
    }
}
