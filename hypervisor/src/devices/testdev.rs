//! A device for host tests: 16 bytes of little-endian memory that logs
//! every access it receives.
use super::{AccessSize, MmioDevice};

/// One access, as the device saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    pub write: bool,
    pub offset: u32,
    pub size: AccessSize,
    pub value: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Recorder {
    pub mem: [u8; 16],
    pub log: Vec<Logged>,
}

impl MmioDevice for Recorder {
    fn read(&mut self, offset: u32, size: AccessSize) -> u32 {
        let mut value = 0;
        for i in 0..size.bytes() {
            let byte = self.mem.get((offset + i) as usize).copied().unwrap_or(0);
            value |= u32::from(byte) << (8 * i);
        }
        self.log.push(Logged { write: false, offset, size, value });
        value
    }

    fn write(&mut self, offset: u32, size: AccessSize, value: u32) {
        for i in 0..size.bytes() {
            if let Some(byte) = self.mem.get_mut((offset + i) as usize) {
                *byte = (value >> (8 * i)) as u8;
            }
        }
        self.log.push(Logged { write: true, offset, size, value });
    }
}
