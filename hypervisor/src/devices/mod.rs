//! A guest's emulated devices: the models, the bus that routes its loads
//! and stores to them, and the virtual serial ports behind its UARTs.
//!
//! A model is a pure state machine behind [`MmioDevice`]: the guest's
//! loads and stores arrive as `read`/`write` at an offset from the start of
//! the device's region; the host side (console bytes, events, the
//! interrupt line) is polled by the caller. Models never panic on what a
//! guest does: accesses they do not understand are counted
//! ([`MmioDevice::malformed`]) and ignored. [`create`] builds one from a
//! device tree's `compatible`.
//!
//! How the hypervisor uses them, per guest:
//! 1. build: for each device node, [`Bus::attach_compatible`] (or
//!    [`Bus::attach`] with a [`Device`]);
//! 2. on a guest data access that faults on a device address:
//!    [`emulate_mmio_word`] with the faulting word and the guest's GPRs;
//!    on `Ok` advance the PC, on `Err` raise [`MmioError::exception`];
//!    before it, [`Bus::set_time`]: the board's timers run on that clock;
//! 3. after it: [`Bus::take_event`] (power off), [`Bus::sync_board`] then
//!    [`Bus::irq_lines`] (the guest's Cause.IP2-7), [`Bus::next_event_ns`]
//!    (when the board's inputs next change by themselves: a timer),
//!    [`Bus::pump_serial`] (console output, input, [`VSerial`]).
pub mod bus;
pub mod malta;
pub mod malta_reset;
pub mod mmio;
pub mod ring;
#[cfg(test)]
pub mod testdev;
pub mod uart16550;
pub mod vserial;

pub use bus::{AttachError, Bus, BusFault, BusStats, DeviceId, EventSource, IrqRoute, Region, MAX_IRQ_LINE, MAX_PORTS, MAX_REGIONS};
pub use malta_reset::MaltaReset;
pub use mmio::{emulate_mmio, emulate_mmio_word, MmioDone, MmioError, Overlay, Registers, Target};
pub use uart16550::Uart16550;
pub use vserial::{Name, VSerial};

/// Width of one device access. Values travel right-aligned in a `u32`;
/// the bytes of a wider access are in little-endian order (the byte at
/// `offset` is the least significant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessSize {
    Byte,
    Half,
    Word,
}

impl AccessSize {
    pub const fn bytes(self) -> u32 {
        match self {
            AccessSize::Byte => 1,
            AccessSize::Half => 2,
            AccessSize::Word => 4,
        }
    }

    /// The size of an access of `bytes` bytes (1, 2 or 4).
    pub const fn from_bytes(bytes: u32) -> Option<AccessSize> {
        match bytes {
            1 => Some(AccessSize::Byte),
            2 => Some(AccessSize::Half),
            4 => Some(AccessSize::Word),
            _ => None,
        }
    }

    /// The bits a value of this size occupies.
    pub const fn mask(self) -> u32 {
        match self {
            AccessSize::Byte => 0xFF,
            AccessSize::Half => 0xFFFF,
            AccessSize::Word => 0xFFFF_FFFF,
        }
    }
}

/// Something a device asks of the hypervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceEvent {
    /// Stop this guest (the Malta software reset).
    PowerOff,
}

/// A memory-mapped device model.
pub trait MmioDevice {
    /// A load of `size` at `offset` from the region base. Returns the value
    /// right-aligned (only the low `size` bytes are used).
    fn read(&mut self, offset: u32, size: AccessSize) -> u32;
    /// A store of the low `size` bytes of `value` at `offset`.
    fn write(&mut self, offset: u32, size: AccessSize, value: u32);
    /// The device's interrupt output is asserted.
    fn irq_level(&self) -> bool {
        false
    }
    /// Takes the event the last accesses raised, if any.
    fn take_event(&mut self) -> Option<DeviceEvent> {
        None
    }
    /// How many malformed accesses (bad width, unknown offset) the device
    /// has ignored or tolerated.
    fn malformed(&self) -> u32 {
        0
    }
}

/// Every device model, stored by value (no heap).
#[derive(Clone, Debug)]
pub enum Device {
    Uart(Uart16550),
    Reset(MaltaReset),
    /// Host tests only: memory that records every access.
    #[cfg(test)]
    Test(testdev::Recorder),
}

/// `$body` with `$d` bound to the device inside `$device`, called
/// statically (the exit path's device accesses take no virtual call).
macro_rules! each_device {
    ($device:expr, $d:ident => $body:expr) => {
        match $device {
            Device::Uart($d) => $body,
            Device::Reset($d) => $body,
            #[cfg(test)]
            Device::Test($d) => $body,
        }
    };
}

impl Device {
    /// Back to the power-on state (same configuration, e.g. `reg-shift`).
    pub fn reset(&mut self) {
        match self {
            Device::Uart(d) => *d = Uart16550::new(d.reg_shift()),
            Device::Reset(d) => *d = MaltaReset::new(),
            #[cfg(test)]
            Device::Test(_) => {}
        }
    }

    pub fn as_uart(&self) -> Option<&Uart16550> {
        match self {
            Device::Uart(uart) => Some(uart),
            _ => None,
        }
    }

    pub fn as_uart_mut(&mut self) -> Option<&mut Uart16550> {
        match self {
            Device::Uart(uart) => Some(uart),
            _ => None,
        }
    }
}

impl MmioDevice for Device {
    #[inline]
    fn read(&mut self, offset: u32, size: AccessSize) -> u32 {
        each_device!(self, d => d.read(offset, size))
    }
    #[inline]
    fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        each_device!(self, d => d.write(offset, size, value))
    }
    #[inline]
    fn irq_level(&self) -> bool {
        each_device!(self, d => d.irq_level())
    }
    fn take_event(&mut self) -> Option<DeviceEvent> {
        each_device!(self, d => d.take_event())
    }
    fn malformed(&self) -> u32 {
        each_device!(self, d => d.malformed())
    }
}

/// Device-tree properties a model may need (defaults: all zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceParams {
    /// `reg-shift`: registers are `1 << reg_shift` bytes apart (UART).
    pub reg_shift: u8,
}

/// Builds a device from its parameters.
pub type Constructor = fn(&DeviceParams) -> Device;

/// The emulators, by `compatible` string.
pub const REGISTRY: &[(&str, Constructor)] = &[
    ("ns16550a", |p| Device::Uart(Uart16550::new(p.reg_shift))),
    ("ns16550", |p| Device::Uart(Uart16550::new(p.reg_shift))),
    ("mti,malta-reset", |_| Device::Reset(MaltaReset::new())),
];

/// No emulator for a `compatible` (names the first string of the node's
/// list, or is empty if the list was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownCompatible<'a>(pub &'a str);

impl core::fmt::Display for UnknownCompatible<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "no emulator for compatible \"{}\"", self.0)
    }
}

/// Builds the device for a node's `compatible` list: the first string that
/// has an emulator wins (device-tree order, most specific first).
pub fn create<'a>(
    compatibles: impl IntoIterator<Item = &'a str>,
    params: &DeviceParams,
) -> Result<Device, UnknownCompatible<'a>> {
    let mut first = "";
    for (i, compatible) in compatibles.into_iter().enumerate() {
        if i == 0 {
            first = compatible;
        }
        if let Some((_, build)) = REGISTRY.iter().find(|(name, _)| *name == compatible) {
            return Ok(build(params));
        }
    }
    Err(UnknownCompatible(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_builds_by_compatible() {
        let params = DeviceParams { reg_shift: 2 };
        let uart = create(["ns16550a"], &params).unwrap();
        assert_eq!(uart.as_uart().map(|u| u.window()), Some(32));
        assert!(matches!(create(["mti,malta-reset"], &params), Ok(Device::Reset(_))));
        // The first known string of the list wins.
        assert!(matches!(create(["acme,uart", "ns16550"], &params), Ok(Device::Uart(_))));
    }

    #[test]
    fn unknown_compatible_is_named() {
        let err = create(["acme,widget", "acme,thing"], &DeviceParams::default()).unwrap_err();
        assert_eq!(err, UnknownCompatible("acme,widget"));
        assert_eq!(err.to_string(), "no emulator for compatible \"acme,widget\"");
        assert_eq!(create([], &DeviceParams::default()).unwrap_err(), UnknownCompatible(""));
    }

    #[test]
    fn access_sizes() {
        for size in [AccessSize::Byte, AccessSize::Half, AccessSize::Word] {
            assert_eq!(AccessSize::from_bytes(size.bytes()), Some(size));
            assert_eq!(size.mask(), (((1u64) << (8 * size.bytes())) - 1) as u32);
        }
        assert_eq!(AccessSize::from_bytes(3), None);
        assert_eq!(AccessSize::from_bytes(8), None);
    }
}
