//! The device-emulation framework: a guest's emulated devices on a
//! [`Bus`] of guest-physical regions, the emulation of the loads and stores
//! that reach them ([`emulate_mmio`]), and the virtual serial ports that
//! connect emulated UARTs to the host console ([`VSerial`]).
//!
//! How the hypervisor uses it, per guest:
//! 1. build: for each device node, [`Bus::attach_compatible`] (or
//!    [`Bus::attach`] with a [`crate::devices::Device`]);
//! 2. on a guest data access that faults on a device address:
//!    [`emulate_mmio_word`] with the faulting word and the guest's GPRs;
//!    on `Ok` advance the PC, on `Err` raise [`MmioError::exception`];
//!    before it, [`Bus::set_time`]: the board's timers run on that clock;
//! 3. after it: [`Bus::take_event`] (power off), [`Bus::sync_board`] then
//!    [`Bus::irq_lines`] (the guest's Cause.IP2-7), [`Bus::next_event_ns`]
//!    (when the board's inputs next change by themselves: a timer),
//!    [`Bus::pump_serial`] (console output, input).
pub mod bus;
pub mod mmio;
pub mod vserial;

pub use bus::{AttachError, Bus, BusFault, BusStats, DeviceId, EventSource, IrqRoute, Region, MAX_IRQ_LINE, MAX_PORTS, MAX_REGIONS};
pub use mmio::{emulate_mmio, emulate_mmio_word, MmioDone, MmioError, Overlay, Registers, Target};
pub use vserial::{Name, VSerial};
