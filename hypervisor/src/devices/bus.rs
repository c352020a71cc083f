//! A guest's emulated devices: non-overlapping guest-physical regions, each
//! holding a device model, a virtual serial port per UART, and optionally
//! the virtual Malta board, whose windows come before the regions.
use emulator::addrmap::{ranges_overlap, GuestPhys};

use super::vserial::{Name, VSerial};
use crate::devices::malta::{self, MaltaBoard};
use crate::devices::{self, AccessSize, Device, DeviceEvent, DeviceParams, MmioDevice, UnknownCompatible};

/// Most device regions per guest: the two UARTs and two more (a guest's
/// own devices are UARTs and reset registers; the Malta board's parts are
/// the board's). Each slot holds a whole device model, so it counts in
/// every guest's RAM.
pub const MAX_REGIONS: usize = 4;
/// Most virtual serial ports (UARTs) per guest.
pub const MAX_PORTS: usize = 2;
/// The highest guest interrupt line (line n is Cause.IP(n + 2)).
pub const MAX_IRQ_LINE: u8 = 5;

/// Where a region's interrupt output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqRoute {
    /// Guest interrupt line n, 0..=[`MAX_IRQ_LINE`] (Cause.IP(n + 2)).
    Line(u8),
    /// Input n, 0..=15, of the board's i8259 pair.
    Isa(u8),
}

/// Index of a region in its bus (stable: regions are never removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(pub usize);

/// One device's window in guest-physical space.
#[derive(Clone, Debug)]
pub struct Region {
    pub base: GuestPhys,
    pub size: u32,
    /// The device-tree node name (or any label), for reports.
    pub name: Name,
    /// Where the device's interrupt output goes, if anywhere.
    pub irq: Option<IrqRoute>,
    pub device: Device,
    /// Index into the bus's serial ports, for a UART.
    port: Option<usize>,
    /// One of the board's fixed windows overlaps the region (the board
    /// answers there first); kept by `attach` and `set_board`, so that the
    /// lean accesses need not search the windows.
    under_board: bool,
}

impl Region {
    /// `gpa` falls inside this region.
    pub fn contains(&self, gpa: GuestPhys) -> bool {
        gpa.0 >= self.base.0 && u64::from(gpa.0) < self.end()
    }

    /// One past the last byte (may be 2^32).
    pub fn end(&self) -> u64 {
        u64::from(self.base.0) + u64::from(self.size)
    }
}

/// Why a region could not be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachError<'a> {
    /// Zero size, or base + size beyond 4 GiB.
    BadRange,
    /// Overlaps this region.
    Overlap(DeviceId),
    /// `MAX_REGIONS` (or, for a UART, `MAX_PORTS`) reached.
    Full,
    /// An interrupt line above `MAX_IRQ_LINE`, or an ISA input above 15.
    BadIrq(IrqRoute),
    Unknown(UnknownCompatible<'a>),
}

impl core::fmt::Display for AttachError<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AttachError::BadRange => write!(f, "empty or wrapping address range"),
            AttachError::Overlap(id) => write!(f, "overlaps device region {}", id.0),
            AttachError::Full => write!(f, "too many emulated devices"),
            AttachError::BadIrq(IrqRoute::Line(line)) => {
                write!(f, "interrupt line {line} out of range (0-{MAX_IRQ_LINE})")
            }
            AttachError::BadIrq(IrqRoute::Isa(line)) => write!(f, "ISA interrupt {line} out of range (0-15)"),
            AttachError::Unknown(unknown) => unknown.fmt(f),
        }
    }
}

/// The guest did something the bus could not route, counted per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Accesses to an address with no device.
    pub unmapped: u32,
    /// Accesses running past the end of their region.
    pub out_of_range: u32,
    /// Loads and stores the MMIO emulation rejected (FPU/COP2 transfers,
    /// unaligned, untranslatable addresses).
    pub rejected: u32,
}

/// Why a bus access did not reach a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusFault {
    Unmapped(GuestPhys),
    /// The access starts in a region but runs past its end.
    OutOfRange(GuestPhys),
}

/// A guest's emulated devices.
#[derive(Clone, Debug)]
pub struct Bus {
    regions: [Option<Region>; MAX_REGIONS],
    ports: [Option<VSerial>; MAX_PORTS],
    /// Events raised by devices and not yet taken.
    event: Option<(EventSource, DeviceEvent)>,
    /// The board's parts, answering its windows ([`malta::WINDOWS`]).
    board: Option<MaltaBoard>,
    /// The time device accesses happen at, in ns (see [`Bus::set_time`]).
    now_ns: u64,
    /// An access since the last [`Bus::take_lines_moved`] may have changed
    /// an interrupt line.
    lines_moved: bool,
    pub stats: BusStats,
}

/// Where a device event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventSource {
    Region(DeviceId),
    Board,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub const fn new() -> Bus {
        Bus {
            regions: [const { None }; MAX_REGIONS],
            ports: [const { None }; MAX_PORTS],
            event: None,
            board: None,
            now_ns: 0,
            lines_moved: false,
            stats: BusStats { unmapped: 0, out_of_range: 0, rejected: 0 },
        }
    }

    /// Puts `board` in front of the regions (a guest with `board = "malta"`).
    pub fn set_board(&mut self, board: MaltaBoard) {
        self.board = Some(board);
        for region in self.regions.iter_mut().flatten() {
            region.under_board = malta::window_overlapping(region.base.0, region.size).is_some();
        }
    }

    pub fn board(&self) -> Option<&MaltaBoard> {
        self.board.as_ref()
    }

    pub fn board_mut(&mut self) -> Option<&mut MaltaBoard> {
        self.board.as_mut()
    }

    /// The time the following accesses happen at, in ns of the caller's
    /// clock (the board's timers run on it; it never runs backwards).
    pub fn set_time(&mut self, now_ns: u64) {
        self.now_ns = self.now_ns.max(now_ns);
    }

    /// The time last set.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The board's interrupt inputs brought up to the time last set, from
    /// the devices routed to them: call before reading [`irq_lines`](Self::irq_lines).
    pub fn sync_board(&mut self) {
        let lines = self.isa_lines();
        let now = self.now_ns;
        if let Some(board) = self.board.as_mut() {
            board.sync(lines, now);
        }
    }

    /// When, after the time last set, the board's interrupt inputs may
    /// next change by themselves (ns), if it has any timer running.
    pub fn next_event_ns(&mut self) -> Option<u64> {
        let now = self.now_ns;
        self.board.as_mut()?.next_event(now)
    }

    /// Attaches `device` at `[base, base + size)`. A UART also gets a
    /// virtual serial port called `name` (give the guest's name to the
    /// console UART: its output lines are prefixed with it).
    pub fn attach(
        &mut self,
        base: GuestPhys,
        size: u32,
        name: &str,
        irq: Option<IrqRoute>,
        device: Device,
    ) -> Result<DeviceId, AttachError<'static>> {
        if size == 0 || u64::from(base.0) + u64::from(size) > 1 << 32 {
            return Err(AttachError::BadRange);
        }
        if let Some(bad) = irq.filter(|&r| matches!(r, IrqRoute::Line(n) if n > MAX_IRQ_LINE) || matches!(r, IrqRoute::Isa(n) if n > 15)) {
            return Err(AttachError::BadIrq(bad));
        }
        for (id, region) in self.regions() {
            if ranges_overlap(base.0, u64::from(size), region.base.0, u64::from(region.size)) {
                return Err(AttachError::Overlap(id));
            }
        }
        let slot = self.regions.iter().position(Option::is_none).ok_or(AttachError::Full)?;
        let port = match device {
            Device::Uart(_) => {
                let port = self.ports.iter().position(Option::is_none).ok_or(AttachError::Full)?;
                self.ports[port] = Some(VSerial::new(name));
                Some(port)
            }
            _ => None,
        };
        let under_board = self.board.is_some() && malta::window_overlapping(base.0, size).is_some();
        self.regions[slot] = Some(Region { base, size, name: Name::new(name), irq, device, port, under_board });
        Ok(DeviceId(slot))
    }

    /// Builds the device for a node's `compatible` list (see
    /// [`devices::create`]) and attaches it.
    pub fn attach_compatible<'a>(
        &mut self,
        compatibles: impl IntoIterator<Item = &'a str>,
        params: &DeviceParams,
        base: GuestPhys,
        size: u32,
        name: &str,
        irq: Option<IrqRoute>,
    ) -> Result<DeviceId, AttachError<'a>> {
        let device = devices::create(compatibles, params).map_err(AttachError::Unknown)?;
        // `AttachError<'static>` is an `AttachError<'a>`.
        self.attach(base, size, name, irq, device)
    }

    pub fn regions(&self) -> impl Iterator<Item = (DeviceId, &Region)> {
        self.regions.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (DeviceId(i), r)))
    }

    pub fn region(&self, id: DeviceId) -> Option<&Region> {
        self.regions.get(id.0)?.as_ref()
    }

    pub fn device_mut(&mut self, id: DeviceId) -> Option<&mut Device> {
        Some(&mut self.regions.get_mut(id.0)?.as_mut()?.device)
    }

    /// The region containing `gpa`.
    #[inline]
    pub fn find(&self, gpa: GuestPhys) -> Option<DeviceId> {
        self.regions().find(|(_, r)| r.contains(gpa)).map(|(id, _)| id)
    }

    /// A device answers at `gpa`: a board window, a region, or the
    /// board's open ISA bus.
    pub fn claims(&self, gpa: GuestPhys) -> bool {
        self.find(gpa).is_some() || (self.board.is_some() && (malta::window_at(gpa.0).is_some() || malta::in_isa_io(gpa.0)))
    }

    /// `[gpa, gpa + len)` is on the board's open ISA bus: inside the ISA
    /// I/O window, touching no region.
    fn open_bus(&self, gpa: GuestPhys, len: u32) -> bool {
        let end = u64::from(gpa.0) + u64::from(len);
        self.board.is_some()
            && malta::in_isa_io(gpa.0)
            && end <= u64::from(malta::ISA_IO_BASE) + u64::from(malta::ISA_IO_SIZE)
            && !self.regions().any(|(_, r)| ranges_overlap(gpa.0, u64::from(len), r.base.0, u64::from(r.size)))
    }

    /// Checks that `[gpa, gpa + len)` lies inside one region or board
    /// window, counting the fault if not (for accesses made of several
    /// device accesses).
    pub fn check(&mut self, gpa: GuestPhys, len: u32) -> Result<(), BusFault> {
        if self.board.is_some() {
            if let Some((window, offset)) = malta::window_at(gpa.0) {
                if u64::from(offset) + u64::from(len) <= u64::from(window.size) {
                    return Ok(());
                }
                self.stats.out_of_range = self.stats.out_of_range.wrapping_add(1);
                return Err(BusFault::OutOfRange(gpa));
            }
        }
        self.region_for(gpa, len).map(|_| ())
    }

    /// Where `[gpa, gpa + len)` goes past the board: the region holding
    /// all of it, or `None` for the board's open ISA bus; the fault
    /// counted if neither.
    fn region_for(&mut self, gpa: GuestPhys, len: u32) -> Result<Option<DeviceId>, BusFault> {
        match self.find(gpa) {
            Some(id) => self.inside(id, gpa, len).map(|()| Some(id)),
            None if self.open_bus(gpa, len) => Ok(None),
            None => Err(self.unmapped(gpa)),
        }
    }

    /// A fault for an access no device answers, counted.
    fn unmapped(&mut self, gpa: GuestPhys) -> BusFault {
        self.stats.unmapped = self.stats.unmapped.wrapping_add(1);
        BusFault::Unmapped(gpa)
    }

    /// `[gpa, gpa + len)`, which starts in region `id`, ends in it too;
    /// the fault counted if not.
    fn inside(&mut self, id: DeviceId, gpa: GuestPhys, len: u32) -> Result<(), BusFault> {
        if self.region(id).is_some_and(|r| u64::from(gpa.0) + u64::from(len) <= r.end()) {
            return Ok(());
        }
        self.stats.out_of_range = self.stats.out_of_range.wrapping_add(1);
        Err(BusFault::OutOfRange(gpa))
    }

    /// A device load of `size` at `gpa` (value right-aligned).
    pub fn read(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<u32, BusFault> {
        let now = self.now_ns;
        if let Some(value) = self.board.as_mut().and_then(|b| b.read(gpa.0, size, now)) {
            self.lines_moved = true;
            return Ok(value & size.mask());
        }
        match self.region_for(gpa, size.bytes())? {
            Some(id) => Ok(self.read_region(id, gpa, size)),
            None => Ok(size.mask()),
        }
    }

    /// The region `id`'s device loads `size` at `gpa` (inside it): its
    /// interrupt output watched.
    #[inline(always)]
    fn read_region(&mut self, id: DeviceId, gpa: GuestPhys, size: AccessSize) -> u32 {
        let Some(region) = self.regions.get_mut(id.0).and_then(Option::as_mut) else { return size.mask() };
        let offset = gpa.0 - region.base.0;
        let level = region.device.irq_level();
        let value = region.device.read(offset, size) & size.mask();
        self.lines_moved |= region.device.irq_level() != level;
        value
    }

    /// The region `id`'s device stores the low `size` bytes of `value` at
    /// `gpa` (inside it); an event it raises is kept.
    fn write_region(&mut self, id: DeviceId, gpa: GuestPhys, size: AccessSize, value: u32) {
        self.lines_moved = true;
        let Some(region) = self.regions.get_mut(id.0).and_then(Option::as_mut) else { return };
        region.device.write(gpa.0 - region.base.0, size, value & size.mask());
        if let Some(event) = region.device.take_event() {
            self.event = Some((EventSource::Region(id), event));
        }
    }

    /// The region that alone answers a whole access of `size` at `gpa`:
    /// none when the board may (its windows, its PM block, wherever the
    /// guest moved that) or no region holds all of it. Counts nothing:
    /// the lean exit ([`Bus::device_load`], [`Bus::device_store`]) leaves
    /// such accesses to [`Bus::read`] and [`Bus::write`].
    #[inline]
    fn region_alone(&self, gpa: GuestPhys, size: AccessSize) -> Option<DeviceId> {
        let id = self.find(gpa)?;
        let region = self.region(id)?;
        let inside = u64::from(gpa.0) + u64::from(size.bytes()) <= region.end();
        let board = region.under_board || self.board.as_ref().is_some_and(|b| b.pm_answers(gpa.0, size.bytes()));
        (inside && !board).then_some(id)
    }

    /// [`Bus::read`] of an access a region alone answers, else `None`
    /// with nothing done.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn device_load(&mut self, gpa: GuestPhys, size: AccessSize) -> Option<u32> {
        let id = self.region_alone(gpa, size)?;
        Some(self.read_region(id, gpa, size))
    }

    /// [`Bus::write`] of an access a region alone answers, else `None`
    /// with nothing done.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn device_store(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Option<()> {
        let id = self.region_alone(gpa, size)?;
        self.write_region(id, gpa, size, value);
        Some(())
    }

    /// Whether an access since the last call may have changed one of the
    /// guest's interrupt lines: any store or board access, a load whose
    /// device changed its interrupt output.
    pub fn take_lines_moved(&mut self) -> bool {
        core::mem::take(&mut self.lines_moved)
    }

    /// A device store of the low `size` bytes of `value` at `gpa`. An event
    /// the store raises is kept for [`take_event`](Self::take_event).
    pub fn write(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Result<(), BusFault> {
        let now = self.now_ns;
        self.lines_moved = true;
        if let Some(board) = self.board.as_mut() {
            if board.write(gpa.0, size, value & size.mask(), now) {
                if let Some(event) = board.take_event() {
                    self.event = Some((EventSource::Board, event));
                }
                return Ok(());
            }
        }
        if let Some(id) = self.region_for(gpa, size.bytes())? {
            self.write_region(id, gpa, size, value);
        }
        Ok(())
    }

    /// Takes the latest device event (a power-off request).
    pub fn take_event(&mut self) -> Option<(EventSource, DeviceEvent)> {
        self.event.take()
    }

    /// The guest interrupt lines asserted now: bit n = line n, from the
    /// devices wired straight to the CPU and the board's i8259 pair on
    /// line 0 (as of the last [`sync_board`](Self::sync_board)).
    pub fn irq_lines(&self) -> u8 {
        let board = u8::from(self.board.as_ref().is_some_and(MaltaBoard::output));
        self.asserted().fold(board, |lines, irq| match irq {
            IrqRoute::Line(n) => lines | (1u8 << (n & 7)),
            IrqRoute::Isa(_) => lines,
        })
    }

    /// The ISA interrupt inputs the devices wired to the board's i8259
    /// assert now: bit n = input n.
    pub fn isa_lines(&self) -> u16 {
        self.asserted().fold(0, |lines, irq| match irq {
            IrqRoute::Isa(n) => lines | (1u16 << (n & 15)),
            IrqRoute::Line(_) => lines,
        })
    }

    fn asserted(&self) -> impl Iterator<Item = IrqRoute> + '_ {
        self.regions().filter(|(_, r)| r.device.irq_level()).filter_map(|(_, r)| r.irq)
    }

    /// Malformed accesses the devices counted, in total.
    pub fn device_malformed(&self) -> u32 {
        let board = self.board.as_ref().map_or(0, MaltaBoard::malformed);
        self.regions().fold(board, |n, (_, r)| n.wrapping_add(r.device.malformed()))
    }

    /// Moves bytes between every UART and its virtual serial port: pending
    /// host input into the UART while it has room, and the guest's output
    /// into the port (history and `console`, see [`VSerial::output`]).
    /// Call it after every MMIO exit and periodically.
    pub fn pump_serial(&mut self, console: &mut dyn core::fmt::Write) -> core::fmt::Result {
        let Bus { regions, ports, .. } = self;
        for region in regions.iter_mut().flatten() {
            let (Some(index), Device::Uart(uart)) = (region.port, &mut region.device) else { continue };
            let Some(port) = ports[index].as_mut() else { continue };
            port.pump(uart, console)?;
        }
        Ok(())
    }

    /// Every device back to its power-on state, the pending event dropped,
    /// the serial ports' input queues emptied (their history is kept).
    pub fn reset_devices(&mut self) {
        for region in self.regions.iter_mut().flatten() {
            region.device.reset();
        }
        for port in self.ports.iter_mut().flatten() {
            port.reset();
        }
        let now = self.now_ns;
        if let Some(board) = self.board.as_mut() {
            board.reset(now);
        }
        self.event = None;
    }

    /// The virtual serial ports.
    pub fn ports(&self) -> impl Iterator<Item = &VSerial> {
        self.ports.iter().flatten()
    }

    /// The virtual serial port called `name`.
    pub fn port_mut(&mut self, name: &str) -> Option<&mut VSerial> {
        self.ports.iter_mut().flatten().find(|p| p.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::uart16550::{IER_ERBFI, LSR_DR};
    use crate::devices::{MaltaReset, Uart16550};

    fn uart() -> Device {
        Device::Uart(Uart16550::new(0))
    }

    #[test]
    fn overlapping_and_bad_ranges_are_rejected() {
        let mut bus = Bus::new();
        let a = bus.attach(GuestPhys(0x1000), 0x10, "a", None, uart()).unwrap();
        assert_eq!(bus.attach(GuestPhys(0x100F), 4, "b", None, uart()).unwrap_err(), AttachError::Overlap(a));
        assert_eq!(bus.attach(GuestPhys(0x0FF0), 0x11, "b", None, uart()).unwrap_err(), AttachError::Overlap(a));
        assert_eq!(bus.attach(GuestPhys(0x0800), 0x1000, "b", None, uart()).unwrap_err(), AttachError::Overlap(a));
        assert_eq!(bus.attach(GuestPhys(0x2000), 0, "b", None, uart()).unwrap_err(), AttachError::BadRange);
        assert_eq!(bus.attach(GuestPhys(0xFFFF_FFF0), 0x20, "b", None, uart()).unwrap_err(), AttachError::BadRange);
        assert_eq!(bus.attach(GuestPhys(0x2000), 8, "b", Some(IrqRoute::Line(6)), uart()).unwrap_err(), AttachError::BadIrq(IrqRoute::Line(6)));
        assert_eq!(AttachError::BadIrq(IrqRoute::Line(6)).to_string(), "interrupt line 6 out of range (0-5)");
        let isa16 = Some(IrqRoute::Isa(16));
        assert_eq!(bus.attach(GuestPhys(0x2000), 8, "b", isa16, uart()).unwrap_err(), AttachError::BadIrq(IrqRoute::Isa(16)));
        assert_eq!(AttachError::BadIrq(IrqRoute::Isa(16)).to_string(), "ISA interrupt 16 out of range (0-15)");
        // Adjacent on both sides is fine; the very top of the space too.
        bus.attach(GuestPhys(0x0FF0), 0x10, "below", None, Device::Reset(MaltaReset::new())).unwrap();
        bus.attach(GuestPhys(0x1010), 0x10, "above", None, Device::Reset(MaltaReset::new())).unwrap();
        let top = bus.attach(GuestPhys(0xFFFF_FFF0), 0x10, "top", None, Device::Reset(MaltaReset::new())).unwrap();
        assert_eq!(bus.find(GuestPhys(0xFFFF_FFFF)), Some(top));
        assert_eq!(bus.find(GuestPhys(0x1000)), Some(a));
        assert_eq!(bus.find(GuestPhys(0x2000)), None);
    }

    #[test]
    fn capacity_limits_are_errors() {
        let mut bus = Bus::new();
        for i in 0..MAX_PORTS as u32 {
            bus.attach(GuestPhys(i * 0x100), 8, "u", None, uart()).unwrap();
        }
        assert_eq!(bus.attach(GuestPhys(0x8000), 8, "u", None, uart()).unwrap_err(), AttachError::Full);
        for i in MAX_PORTS as u32..MAX_REGIONS as u32 {
            bus.attach(GuestPhys(i * 0x100), 8, "r", None, Device::Reset(MaltaReset::new())).unwrap();
        }
        let err = bus.attach(GuestPhys(0x9000), 8, "r", None, Device::Reset(MaltaReset::new())).unwrap_err();
        assert_eq!(err, AttachError::Full);
    }

    #[test]
    fn attach_by_compatible() {
        let mut bus = Bus::new();
        let params = DeviceParams::default();
        let id = bus.attach_compatible(["ns16550a"], &params, GuestPhys(0x1800_03F8), 8, "guest0", Some(IrqRoute::Line(2))).unwrap();
        assert!(bus.region(id).unwrap().device.as_uart().is_some());
        assert_eq!(bus.region(id).unwrap().name.as_str(), "guest0");
        let err = bus.attach_compatible(["acme,dma"], &params, GuestPhys(0), 8, "x", None).unwrap_err();
        assert_eq!(err, AttachError::Unknown(UnknownCompatible("acme,dma")));
        assert_eq!(err.to_string(), "no emulator for compatible \"acme,dma\"");
        assert_eq!(bus.ports().map(|p| p.name()).collect::<Vec<_>>(), ["guest0"]);
    }

    #[test]
    fn unmapped_and_out_of_range_are_counted() {
        let mut bus = Bus::new();
        bus.attach(GuestPhys(0x100), 6, "u", None, uart()).unwrap();
        assert_eq!(bus.read(GuestPhys(0x200), AccessSize::Byte), Err(BusFault::Unmapped(GuestPhys(0x200))));
        assert_eq!(bus.write(GuestPhys(0xFC), AccessSize::Word, 0), Err(BusFault::Unmapped(GuestPhys(0xFC))));
        assert_eq!(bus.read(GuestPhys(0x104), AccessSize::Word), Err(BusFault::OutOfRange(GuestPhys(0x104))));
        assert_eq!(bus.stats, BusStats { unmapped: 2, out_of_range: 1, rejected: 0 });
    }

    #[test]
    fn reads_writes_irq_lines_and_events() {
        let mut bus = Bus::new();
        let uart_id = bus.attach(GuestPhys(0x100), 8, "g", Some(IrqRoute::Line(3)), uart()).unwrap();
        let isa_uart = bus.attach(GuestPhys(0x200), 8, "g/uart1", Some(IrqRoute::Isa(3)), uart()).unwrap();
        let reset = bus.attach(GuestPhys(0x500), 4, "reset", None, Device::Reset(MaltaReset::new())).unwrap();
        bus.write(GuestPhys(0x107), AccessSize::Byte, 0x5A).unwrap();
        assert_eq!(bus.read(GuestPhys(0x107), AccessSize::Byte), Ok(0x5A));
        assert_eq!(bus.irq_lines(), 0);
        bus.write(GuestPhys(0x101), AccessSize::Byte, u32::from(IER_ERBFI)).unwrap();
        bus.device_mut(uart_id).unwrap().as_uart_mut().unwrap().receive(b'x');
        assert_eq!((bus.irq_lines(), bus.isa_lines()), (1 << 3, 0));
        assert!(bus.take_lines_moved(), "stores may move lines");
        // Reading LSR moves no line; reading the byte lowers it.
        assert_eq!(bus.read(GuestPhys(0x105), AccessSize::Byte).unwrap() as u8 & LSR_DR, LSR_DR);
        assert!(!bus.take_lines_moved());
        assert_eq!(bus.read(GuestPhys(0x100), AccessSize::Byte), Ok(u32::from(b'x')));
        assert!(bus.take_lines_moved());
        assert!(!bus.take_lines_moved(), "taken");
        assert_eq!(bus.irq_lines(), 0);
        // A UART wired to the board's i8259 asserts its ISA input instead.
        bus.write(GuestPhys(0x201), AccessSize::Byte, u32::from(IER_ERBFI)).unwrap();
        bus.device_mut(isa_uart).unwrap().as_uart_mut().unwrap().receive(b'y');
        assert_eq!((bus.irq_lines(), bus.isa_lines()), (0, 1 << 3));
        assert_eq!(bus.read(GuestPhys(0x200), AccessSize::Byte), Ok(u32::from(b'y')));
        assert_eq!(bus.isa_lines(), 0);
        assert_eq!(bus.take_event(), None);
        bus.write(GuestPhys(0x500), AccessSize::Word, 0x42).unwrap();
        assert_eq!(bus.take_event(), Some((EventSource::Region(reset), DeviceEvent::PowerOff)));
        assert_eq!(bus.take_event(), None);
        // A word access to the byte-wide UART is tolerated and counted.
        bus.read(GuestPhys(0x104), AccessSize::Word).unwrap();
        assert_eq!(bus.device_malformed(), 1);
    }

    /// A guest on the board: a UART on ISA IRQ 4, the i8259 pair set up as
    /// Linux does (vector bases 0x20/0x28... here 0 and 8), served through
    /// the GT-64120's interrupt-acknowledge register.
    /// The lean accesses take a region's register as `read`/`write` do,
    /// and leave to them whatever the board answers first: its fixed
    /// windows (whether the region came before the board or after) and
    /// the PIIX4 PM block once the guest moves it over the region.
    #[test]
    fn lean_accesses_leave_the_boards_parts_to_the_board() {
        const ISA: u32 = malta::ISA_IO_BASE;
        const LSR: GuestPhys = GuestPhys(ISA + 0x3FD);
        let mut bus = Bus::new();
        bus.attach(GuestPhys(ISA + 0x40), 4, "under the PIT", None, uart()).unwrap();
        bus.set_board(MaltaBoard::new(64 << 20, 0));
        bus.attach(GuestPhys(ISA + 0x70), 2, "under the RTC", None, Device::Reset(MaltaReset::new())).unwrap();
        bus.attach(GuestPhys(ISA + 0x3F8), 8, "g", None, uart()).unwrap();
        let lsr = bus.read(LSR, AccessSize::Byte).unwrap();
        assert_eq!(bus.device_load(LSR, AccessSize::Byte), Some(lsr));
        assert_eq!(bus.device_store(GuestPhys(ISA + 0x3FF), AccessSize::Byte, 0x5A), Some(()));
        assert_eq!(bus.read(GuestPhys(ISA + 0x3FF), AccessSize::Byte), Ok(0x5A), "the scratch register");
        assert_eq!(bus.device_load(GuestPhys(ISA + 0x3FD), AccessSize::Word), None, "past the region's end");
        for port in [0x40, 0x70] {
            assert_eq!(bus.device_load(GuestPhys(ISA + port), AccessSize::Byte), None, "port {port:#x}");
            assert_eq!(bus.device_store(GuestPhys(ISA + port), AccessSize::Byte, 0), None, "port {port:#x}");
        }
        // PMBA = 0x3C0 (64 ports, over the UART), then PMREGMISC.PMIOSE.
        for (reg, size, value) in [(0x40, AccessSize::Word, 0x3C0), (0x80, AccessSize::Byte, 1)] {
            bus.write(GuestPhys(0x1BE0_0CF8), AccessSize::Word, 0x8000_0000 | (10 << 11) | (3 << 8) | reg).unwrap();
            bus.write(GuestPhys(0x1BE0_0CFC), size, value).unwrap();
        }
        assert_eq!(bus.device_load(LSR, AccessSize::Byte), None, "the PM block answers there now");
        assert_eq!(bus.stats, BusStats::default(), "the lean accesses count nothing");
    }

    #[test]
    fn board_interrupts_reach_line_0_through_the_i8259_and_gt_iack() {
        const ISA: u32 = malta::ISA_IO_BASE;
        const IACK: u32 = 0x1BE0_0C34;
        let b = |bus: &mut Bus, port: u32, v: u8| bus.write(GuestPhys(ISA + port), AccessSize::Byte, u32::from(v)).unwrap();
        let mut bus = Bus::new();
        bus.set_board(MaltaBoard::new(64 << 20, 0));
        let uart_id = bus.attach(GuestPhys(ISA + 0x3F8), 8, "g", Some(IrqRoute::Isa(4)), uart()).unwrap();
        // ICW1-4 on both chips, then unmask IRQ 4 and the cascade.
        for (base, vector, icw3) in [(0x20, 0x00, 0x04), (0xA0, 0x08, 0x02)] {
            b(&mut bus, base, 0x11);
            b(&mut bus, base + 1, vector);
            b(&mut bus, base + 1, icw3);
            b(&mut bus, base + 1, 0x01);
        }
        b(&mut bus, 0x21, !0x14);
        b(&mut bus, 0xA1, 0xFF);
        bus.sync_board();
        assert_eq!(bus.irq_lines(), 0);
        b(&mut bus, 0x3F9, IER_ERBFI);
        bus.device_mut(uart_id).unwrap().as_uart_mut().unwrap().receive(b'z');
        bus.sync_board();
        assert_eq!(bus.irq_lines(), 1, "the i8259's INT is line 0 (IP2)");
        assert_eq!(bus.read(GuestPhys(IACK), AccessSize::Word), Ok(4));
        // In service: no further request until the EOI.
        assert_eq!(bus.irq_lines(), 0);
        assert_eq!(bus.read(GuestPhys(ISA + 0x3F8), AccessSize::Byte), Ok(u32::from(b'z')));
        b(&mut bus, 0x20, 0x20);
        bus.sync_board();
        assert_eq!(bus.irq_lines(), 0);
        // Nothing pending: the master's spurious IR7.
        assert_eq!(bus.read(GuestPhys(IACK), AccessSize::Word), Ok(7));
        // The RTC's periodic interrupt (rate 15: 2 Hz) on IRQ 8, via the slave.
        b(&mut bus, 0xA1, !0x01);
        b(&mut bus, 0x70, 0x0B);
        b(&mut bus, 0x71, 0x42);
        let due = bus.next_event_ns().expect("the periodic interrupt is a timer event");
        assert!(due > 0 && due <= 500_000_000, "{due}");
        bus.set_time(due);
        bus.sync_board();
        assert_eq!(bus.irq_lines(), 1);
        assert_eq!(bus.read(GuestPhys(IACK), AccessSize::Word), Ok(8));
        b(&mut bus, 0x70, 0x0C);
        assert_eq!(bus.read(GuestPhys(ISA + 0x71), AccessSize::Byte), Ok(0xC0), "IRQF | PF, cleared by the read");
        b(&mut bus, 0xA0, 0x20);
        b(&mut bus, 0x20, 0x20);
        bus.sync_board();
        assert_eq!(bus.irq_lines(), 0);
        // The FPGA's software reset powers the guest off, at any width.
        bus.write(GuestPhys(0x1F00_0500), AccessSize::Byte, 0x42).unwrap();
        assert_eq!(bus.take_event(), Some((EventSource::Board, DeviceEvent::PowerOff)));
        // A word access to a byte-wide ISA window: split, counted, past the
        // window the bytes read 0xFF.
        let before = bus.device_malformed();
        assert_eq!(bus.read(GuestPhys(ISA + 0x21), AccessSize::Byte), Ok(0xEB));
        assert_eq!(bus.read(GuestPhys(ISA + 0x20), AccessSize::Half).map(|v| v >> 8), Ok(0xEB));
        assert_eq!(bus.device_malformed(), before + 1);
        assert_eq!(bus.check(GuestPhys(ISA + 0x21), 2), Err(BusFault::OutOfRange(GuestPhys(ISA + 0x21))));
        assert_eq!(bus.check(GuestPhys(ISA + 0x20), 2), Ok(()));
        assert!(bus.claims(GuestPhys(0x1BE0_0000)) && bus.claims(GuestPhys(ISA + 0x3F8)));
        assert!(!Bus::new().claims(GuestPhys(0x1BE0_0000)) && !Bus::new().claims(GuestPhys(ISA + 0x61)));
        // The rest of the ISA I/O window is open bus: all ones, writes ignored.
        assert!(bus.claims(GuestPhys(ISA + 0x61)) && bus.claims(GuestPhys(ISA + 0x1F_FFFF)));
        assert!(!bus.claims(GuestPhys(ISA + 0x20_0000)));
        assert_eq!(bus.read(GuestPhys(ISA + 0x61), AccessSize::Byte), Ok(0xFF));
        assert_eq!(bus.read(GuestPhys(ISA + 0x300), AccessSize::Word), Ok(0xFFFF_FFFF));
        bus.write(GuestPhys(ISA + 0x61), AccessSize::Byte, 1).unwrap();
        assert_eq!(bus.check(GuestPhys(ISA + 0x3F4), 4), Ok(()));
        // An access reaching into the UART is the UART's (out of range there).
        assert_eq!(bus.check(GuestPhys(ISA + 0x3F6), 4), Err(BusFault::Unmapped(GuestPhys(ISA + 0x3F6))));
    }

    #[test]
    fn serial_output_reaches_the_console_attributed() {
        let mut bus = Bus::new();
        bus.attach(GuestPhys(0x100), 8, "guest0", None, uart()).unwrap();
        bus.attach(GuestPhys(0x200), 8, "guest0/uart1", None, uart()).unwrap();
        for &b in b"hi\r\n" {
            bus.write(GuestPhys(0x100), AccessSize::Byte, u32::from(b)).unwrap();
        }
        bus.write(GuestPhys(0x200), AccessSize::Byte, u32::from(b'!')).unwrap();
        bus.write(GuestPhys(0x200), AccessSize::Byte, u32::from(b'\n')).unwrap();
        let mut out = String::new();
        bus.pump_serial(&mut out).unwrap();
        assert_eq!(out, "[guest0] hi\n[guest0/uart1] !\n");
        // Input from the terminal reaches the guest through the pump.
        assert!(bus.port_mut("guest0").unwrap().push_input(b'k'));
        bus.pump_serial(&mut out).unwrap();
        assert_eq!(bus.read(GuestPhys(0x100), AccessSize::Byte), Ok(u32::from(b'k')));
        assert!(bus.port_mut("nope").is_none());
    }
}
