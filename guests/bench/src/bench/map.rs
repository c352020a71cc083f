//! The address map this binary is linked for (as `guests/suite`'s `map.rs`):
//!
//! | segment | native     | guest map  |
//! |---------|------------|------------|
//! | KSEG0   | 0x80000000 | 0x00000000 |
//! | KSEG1   | 0xA0000000 | 0x20000000 |
//! | KSSEG   | 0xC0000000 | 0x40000000 |
//! | KSEG3   | 0xE0000000 | 0x60000000 |

/// The guest map moves every kernel segment down by 2 GiB.
pub const KSEG0: u32 = if crate::GUEST_MAP { 0x0000_0000 } else { 0x8000_0000 };
pub const KSEG1: u32 = KSEG0 + 0x2000_0000;
pub const KSSEG: u32 = KSEG0 + 0x4000_0000;
pub const KSEG3: u32 = KSEG0 + 0x6000_0000;

/// Devices, through (guest) KSEG1.
pub const UART: u32 = KSEG1 + 0x1800_03F8;
pub const SOFTWARE_RESET: u32 = KSEG1 + 0x1F00_0500;
