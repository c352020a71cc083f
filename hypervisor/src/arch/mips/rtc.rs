//! The board's own MC146818 RTC (PIIX4, ISA ports 0x70/0x71), read once at
//! boot so that the guests' virtual RTCs start at the host's time.

use super::mmio::HostRegion;
use hypervisor::devices::malta::mc146818::{Mc146818, A_UIP, CMOS_SIZE, REG_A};

const RTC: HostRegion = HostRegion::fixed(0x1800_0070, 2);
const INDEX: u32 = 0;
const DATA: u32 = 1;

fn read(index: u8) -> u8 {
    RTC.write8(INDEX, index);
    RTC.read8(DATA)
}

/// Seconds since the Unix epoch, as the RTC shows them. Waits out an
/// update in progress (at most 2 ms on the chip; the loop is bounded) and
/// reads until two passes agree, so no update falls between the bytes.
pub fn unix_time() -> i64 {
    let mut last = None;
    for _ in 0..8 {
        for _ in 0..100_000 {
            if read(REG_A) & A_UIP == 0 {
                break;
            }
        }
        let cmos: [u8; CMOS_SIZE] = core::array::from_fn(|i| read(i as u8));
        let secs = Mc146818::time_in(&cmos);
        if last == Some(secs) {
            break;
        }
        last = Some(secs);
    }
    last.unwrap_or(0)
}
