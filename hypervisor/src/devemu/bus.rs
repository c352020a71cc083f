//! A guest's emulated devices: non-overlapping guest-physical regions, each
//! holding a device model, and a virtual serial port per UART.
use emulator::addrmap::GuestPhys;

use super::vserial::{Name, VSerial};
use crate::devices::{self, AccessSize, Device, DeviceEvent, DeviceParams, MmioDevice, UnknownCompatible};

/// Most device regions per guest.
pub const MAX_REGIONS: usize = 8;
/// Most virtual serial ports (UARTs) per guest.
pub const MAX_PORTS: usize = 2;
/// The highest guest interrupt line (line n is Cause.IP(n + 2)).
pub const MAX_IRQ_LINE: u8 = 5;

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
    /// The guest interrupt line the device drives (0-5 = Cause.IP2-IP7),
    /// if any.
    pub irq: Option<u8>,
    pub device: Device,
    /// Index into the bus's serial ports, for a UART.
    port: Option<usize>,
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
    /// An interrupt line above `MAX_IRQ_LINE`.
    BadIrq(u8),
    Unknown(UnknownCompatible<'a>),
}

impl core::fmt::Display for AttachError<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AttachError::BadRange => write!(f, "empty or wrapping address range"),
            AttachError::Overlap(id) => write!(f, "overlaps device region {}", id.0),
            AttachError::Full => write!(f, "too many emulated devices"),
            AttachError::BadIrq(line) => write!(f, "interrupt line {line} out of range (0-{MAX_IRQ_LINE})"),
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
    event: Option<(DeviceId, DeviceEvent)>,
    pub stats: BusStats,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub const fn new() -> Bus {
        Bus { regions: [const { None }; MAX_REGIONS], ports: [const { None }; MAX_PORTS], event: None, stats: BusStats { unmapped: 0, out_of_range: 0, rejected: 0 } }
    }

    /// Attaches `device` at `[base, base + size)`. A UART also gets a
    /// virtual serial port called `name` (give the guest's name to the
    /// console UART: its output lines are prefixed with it).
    pub fn attach(
        &mut self,
        base: GuestPhys,
        size: u32,
        name: &str,
        irq: Option<u8>,
        device: Device,
    ) -> Result<DeviceId, AttachError<'static>> {
        if size == 0 || u64::from(base.0) + u64::from(size) > 1 << 32 {
            return Err(AttachError::BadRange);
        }
        if let Some(line) = irq.filter(|&line| line > MAX_IRQ_LINE) {
            return Err(AttachError::BadIrq(line));
        }
        let end = u64::from(base.0) + u64::from(size);
        for (id, region) in self.regions() {
            if u64::from(base.0) < region.end() && u64::from(region.base.0) < end {
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
        self.regions[slot] = Some(Region { base, size, name: Name::new(name), irq, device, port });
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
        irq: Option<u8>,
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
    pub fn find(&self, gpa: GuestPhys) -> Option<DeviceId> {
        self.regions().find(|(_, r)| r.contains(gpa)).map(|(id, _)| id)
    }

    /// Routes an access to its device: the region and the offset in it.
    fn route(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<(DeviceId, &mut Region, u32), BusFault> {
        let id = self.check(gpa, size.bytes())?;
        match self.regions[id.0].as_mut() {
            Some(region) => {
                let offset = gpa.0 - region.base.0;
                Ok((id, region, offset))
            }
            None => Err(BusFault::Unmapped(gpa)),
        }
    }

    /// Checks that `[gpa, gpa + len)` lies inside one region, counting the
    /// fault if not (for accesses made of several device accesses).
    pub fn check(&mut self, gpa: GuestPhys, len: u32) -> Result<DeviceId, BusFault> {
        let Some(id) = self.find(gpa) else {
            self.stats.unmapped = self.stats.unmapped.wrapping_add(1);
            return Err(BusFault::Unmapped(gpa));
        };
        let inside = self.region(id).is_some_and(|r| u64::from(gpa.0) + u64::from(len) <= r.end());
        if !inside {
            self.stats.out_of_range = self.stats.out_of_range.wrapping_add(1);
            return Err(BusFault::OutOfRange(gpa));
        }
        Ok(id)
    }

    /// A device load of `size` at `gpa` (value right-aligned).
    pub fn read(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<u32, BusFault> {
        let (_, region, offset) = self.route(gpa, size)?;
        Ok(region.device.read(offset, size) & size.mask())
    }

    /// A device store of the low `size` bytes of `value` at `gpa`. An event
    /// the store raises is kept for [`take_event`](Self::take_event).
    pub fn write(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Result<(), BusFault> {
        let (id, region, offset) = self.route(gpa, size)?;
        region.device.write(offset, size, value & size.mask());
        if let Some(event) = region.device.take_event() {
            self.event = Some((id, event));
        }
        Ok(())
    }

    /// Takes the latest device event (a power-off request).
    pub fn take_event(&mut self) -> Option<(DeviceId, DeviceEvent)> {
        self.event.take()
    }

    /// The guest interrupt lines the devices assert now: bit n = line n.
    pub fn irq_lines(&self) -> u8 {
        self.regions()
            .filter(|(_, r)| r.device.irq_level())
            .filter_map(|(_, r)| r.irq)
            .fold(0, |lines, irq| lines | (1u8 << (irq & 7)))
    }

    /// Malformed accesses the devices counted, in total.
    pub fn device_malformed(&self) -> u32 {
        self.regions().fold(0u32, |n, (_, r)| n.wrapping_add(r.device.malformed()))
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
        assert_eq!(bus.attach(GuestPhys(0x2000), 8, "b", Some(6), uart()).unwrap_err(), AttachError::BadIrq(6));
        assert_eq!(AttachError::BadIrq(6).to_string(), "interrupt line 6 out of range (0-5)");
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
        let id = bus.attach_compatible(["ns16550a"], &params, GuestPhys(0x1800_03F8), 8, "guest0", Some(2)).unwrap();
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
        let uart_id = bus.attach(GuestPhys(0x100), 8, "g", Some(3), uart()).unwrap();
        let reset = bus.attach(GuestPhys(0x500), 4, "reset", None, Device::Reset(MaltaReset::new())).unwrap();
        bus.write(GuestPhys(0x107), AccessSize::Byte, 0x5A).unwrap();
        assert_eq!(bus.read(GuestPhys(0x107), AccessSize::Byte), Ok(0x5A));
        assert_eq!(bus.irq_lines(), 0);
        bus.write(GuestPhys(0x101), AccessSize::Byte, u32::from(IER_ERBFI)).unwrap();
        bus.device_mut(uart_id).unwrap().as_uart_mut().unwrap().receive(b'x');
        assert_eq!(bus.irq_lines(), 1 << 3);
        assert_eq!(bus.read(GuestPhys(0x105), AccessSize::Byte).unwrap() as u8 & LSR_DR, LSR_DR);
        assert_eq!(bus.read(GuestPhys(0x100), AccessSize::Byte), Ok(u32::from(b'x')));
        assert_eq!(bus.irq_lines(), 0);
        assert_eq!(bus.take_event(), None);
        bus.write(GuestPhys(0x500), AccessSize::Word, 0x42).unwrap();
        assert_eq!(bus.take_event(), Some((reset, DeviceEvent::PowerOff)));
        assert_eq!(bus.take_event(), None);
        // A word access to the byte-wide UART is tolerated and counted.
        bus.read(GuestPhys(0x104), AccessSize::Word).unwrap();
        assert_eq!(bus.device_malformed(), 1);
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
