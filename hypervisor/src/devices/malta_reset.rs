//! The Malta board's software-reset register (compatible
//! `mti,malta-reset`): a write of `0x42` at offset 0 asks for the guest to
//! be powered off (QEMU's Malta resets the board, and exits with
//! `-no-reboot`; a guest has nothing to reboot into, so it stops).
//!
//! As on QEMU's Malta FPGA, the write may be a byte, a halfword or a word:
//! the value stored, zero-extended, is compared with `0x42`. Reads return 0.
//! Any other value is ignored; an access at an offset other than 0 is
//! counted as malformed.
use super::{AccessSize, DeviceEvent, MmioDevice};

/// The value that requests the reset.
pub const RESET_MAGIC: u32 = 0x42;

#[derive(Clone, Debug, Default)]
pub struct MaltaReset {
    event: Option<DeviceEvent>,
    malformed: u32,
}

impl MaltaReset {
    pub const fn new() -> MaltaReset {
        MaltaReset { event: None, malformed: 0 }
    }
}

impl MmioDevice for MaltaReset {
    fn read(&mut self, offset: u32, _size: AccessSize) -> u32 {
        if offset != 0 {
            self.malformed = self.malformed.wrapping_add(1);
        }
        0
    }

    fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        if offset != 0 {
            self.malformed = self.malformed.wrapping_add(1);
        } else if value & size.mask() == RESET_MAGIC {
            self.event = Some(DeviceEvent::PowerOff);
        }
    }

    fn take_event(&mut self) -> Option<DeviceEvent> {
        self.event.take()
    }

    fn malformed(&self) -> u32 {
        self.malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_write_of_0x42_powers_off_once() {
        let mut dev = MaltaReset::new();
        assert_eq!(dev.take_event(), None);
        dev.write(0, AccessSize::Word, 0x41);
        assert_eq!(dev.take_event(), None);
        dev.write(0, AccessSize::Word, RESET_MAGIC);
        assert_eq!(dev.take_event(), Some(DeviceEvent::PowerOff));
        assert_eq!(dev.take_event(), None);
        assert_eq!(dev.read(0, AccessSize::Word), 0);
        assert_eq!(dev.malformed(), 0);
    }

    #[test]
    fn byte_and_halfword_writes_of_0x42_power_off_as_on_qemu() {
        for size in [AccessSize::Byte, AccessSize::Half] {
            let mut dev = MaltaReset::new();
            dev.write(0, size, 0x41);
            assert_eq!(dev.take_event(), None);
            // Only the stored bytes count: the bits above them are not stored.
            dev.write(0, size, !size.mask() | RESET_MAGIC);
            assert_eq!(dev.take_event(), Some(DeviceEvent::PowerOff), "{size:?}");
            assert_eq!(dev.read(0, size), 0);
            assert_eq!(dev.malformed(), 0);
        }
    }

    #[test]
    fn other_offsets_are_counted_and_ignored() {
        let mut dev = MaltaReset::new();
        dev.write(1, AccessSize::Byte, RESET_MAGIC);
        dev.write(2, AccessSize::Half, RESET_MAGIC);
        dev.write(4, AccessSize::Word, RESET_MAGIC);
        assert_eq!(dev.read(2, AccessSize::Half), 0);
        assert_eq!(dev.take_event(), None);
        assert_eq!(dev.malformed(), 4);
        assert!(!dev.irq_level());
    }
}
