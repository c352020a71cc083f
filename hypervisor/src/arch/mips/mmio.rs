//! Device windows of the host address space, for drivers: a window is
//! checked against the Malta I/O ranges (`hypervisor::host::memory`) once, when
//! it is mapped, and reached through uncached KSEG1; every access is
//! bounds-checked against the window.

use hypervisor::host::memory::{self as hostmem, MapError};

const KSEG1: u32 = 0xA000_0000;

/// A mapped device window: `size` bytes at host-physical `base`.
#[derive(Clone, Copy, Debug)]
pub struct HostRegion {
    base: u32,
    size: u32,
}

impl HostRegion {
    /// Maps `[phys, phys + size)`, which must lie inside one Malta device
    /// range.
    pub const fn map(phys: u32, size: u32) -> Result<HostRegion, MapError> {
        match hostmem::check_device(phys, size) {
            Ok(_) => Ok(HostRegion { base: phys, size }),
            Err(e) => Err(e),
        }
    }

    /// [`HostRegion::map`] for a fixed window, in a `const`: a window
    /// outside the device ranges fails the build.
    pub const fn fixed(phys: u32, size: u32) -> HostRegion {
        match Self::map(phys, size) {
            Ok(region) => region,
            Err(_) => panic!("device window outside the Malta I/O ranges"),
        }
    }

    /// The address of `offset`..`offset + width` in KSEG1; a driver bug
    /// (an access outside its window) stops the hypervisor with a message.
    fn at(&self, offset: u32, width: u32) -> usize {
        match offset.checked_add(width) {
            Some(end) if end <= self.size => (KSEG1 | (self.base + offset)) as usize,
            _ => panic!("driver access at {:#x}+{offset:#x} is outside its {:#x}-byte window", self.base, self.size),
        }
    }

    pub fn read8(&self, offset: u32) -> u8 {
        let at = self.at(offset, 1);
        // SAFETY: `at` is inside a device window checked against the Malta
        // I/O ranges (never RAM Rust owns), through uncached KSEG1.
        unsafe { core::ptr::read_volatile(at as *const u8) }
    }

    pub fn write8(&self, offset: u32, value: u8) {
        let at = self.at(offset, 1);
        // SAFETY: as in `read8`; a device register write touches no memory.
        unsafe { core::ptr::write_volatile(at as *mut u8, value) }
    }

    pub fn read32(&self, offset: u32) -> u32 {
        let at = self.at(offset, 4);
        assert!(at.is_multiple_of(4), "misaligned device word");
        // SAFETY: as in `read8`, and aligned.
        unsafe { core::ptr::read_volatile(at as *const u32) }
    }
}
