//! The host address space drivers may map: the Malta I/O ranges. A
//! driver asks for a device window (physical base and size); anything
//! outside these ranges (RAM, guest memory, unmapped space) is refused, so
//! a driver bug cannot turn into a write over memory. The target maps an
//! accepted window through uncached KSEG1 (`arch::mips::mmio`).

use core::fmt;

/// One range of device space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceRange {
    pub name: &'static str,
    pub base: u32,
    pub size: u32,
}

/// Device space on QEMU's Malta (all below 512 MiB, so reachable through
/// KSEG1).
pub const MALTA_IO: &[DeviceRange] = &[
    DeviceRange { name: "ISA I/O (PIIX4: i8259, UARTs)", base: 0x1800_0000, size: 0x0001_0000 },
    DeviceRange { name: "GT-64120 registers", base: 0x1BE0_0000, size: 0x0000_1000 },
    DeviceRange { name: "Malta FPGA (LEDs, reset, CBUS UART)", base: 0x1F00_0000, size: 0x00C0_0000 },
];

/// Why a window was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Empty, or wrapping past 4 GiB.
    BadSize,
    /// Not inside one device range.
    NotDevice { base: u32, size: u32 },
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::BadSize => f.write_str("empty or wrapping device window"),
            MapError::NotDevice { base, size } => {
                write!(f, "{base:#010x}+{size:#x} is not inside one Malta device range")
            }
        }
    }
}

/// Checks that `[base, base + size)` lies inside one device range and
/// returns that range. A `const fn`, so drivers with fixed windows have
/// them checked when the hypervisor is compiled.
pub const fn check_device(base: u32, size: u32) -> Result<&'static DeviceRange, MapError> {
    if size == 0 || base.checked_add(size).is_none() {
        return Err(MapError::BadSize);
    }
    let end = base as u64 + size as u64;
    let mut i = 0;
    while i < MALTA_IO.len() {
        let r = &MALTA_IO[i];
        if base >= r.base && end <= r.base as u64 + r.size as u64 {
            return Ok(r);
        }
        i += 1;
    }
    Err(MapError::NotDevice { base, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_windows() {
        assert_eq!(check_device(0x1800_03F8, 8).unwrap().base, 0x1800_0000);
        assert_eq!(check_device(0x1800_0020, 2).unwrap().name, MALTA_IO[0].name);
        assert_eq!(check_device(0x1BE0_0C34, 4).unwrap().base, 0x1BE0_0000);
        assert!(check_device(0x1F00_0500, 4).is_ok());
        // RAM, a straddling window, an empty one, a wrapping one.
        assert_eq!(check_device(0x0010_0000, 4), Err(MapError::NotDevice { base: 0x0010_0000, size: 4 }));
        assert!(check_device(0x1800_FFFC, 8).is_err());
        assert_eq!(check_device(0x1800_0000, 0), Err(MapError::BadSize));
        assert_eq!(check_device(0xFFFF_FFFC, 8), Err(MapError::BadSize));
        assert_eq!(
            check_device(0, 4).unwrap_err().to_string(),
            "0x00000000+0x4 is not inside one Malta device range"
        );
    }
}
