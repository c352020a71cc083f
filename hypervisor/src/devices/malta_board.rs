//! The virtual Malta board a guest gets with `board = "malta"`: the parts
//! of QEMU's Malta that software written for it expects, at their Malta
//! addresses, with their interrupts wired as on the board.
//!
//! The windows are fixed by the board (as its address decoding is), not
//! declared region by region: a guest's declared regions may not overlap
//! them (the guest is refused). ISA I/O port `p` is at guest-physical
//! `0x1800_0000 + p` (the GT-64120's PCI I/O window as Malta's firmware
//! sets it up).
//!
//! | part | guest-physical | what |
//! |---|---|---|
//! | i8259 master | 0x18000020-21 | PIIX4 interrupt controller, output on the CPU's IP2 |
//! | i8254 PIT | 0x18000040-43 | timer; counter 0 on ISA IRQ 0 |
//! | port 0x61 | 0x18000061 | NMI status and control (PIT counter 2 gate) |
//! | MC146818 RTC | 0x18000070-71 | index/data; ISA IRQ 8 |
//! | i8259 slave | 0x180000A0-A1 | cascaded on master IRQ 2 |
//! | ELCR | 0x180004D0-D1 | PIIX4 edge/level control |
//! | GT-64120 | 0x1BE00000-0FFF | system controller, PCI configuration, interrupt acknowledge |
//! | FPGA | 0x1F000000-0FFFFF | switches, LEDs, ASCII display, software reset |

/// The board's parts, one per address window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    PicMaster,
    Pit,
    Port61,
    Rtc,
    PicSlave,
    Elcr,
    Gt64120,
    Fpga,
}

/// One of the board's address windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub part: Part,
    /// Guest-physical base and size in bytes.
    pub base: u32,
    pub size: u32,
    /// For reports and refusals.
    pub name: &'static str,
}

/// Guest-physical address of ISA I/O port 0.
pub const ISA_IO_BASE: u32 = 0x1800_0000;

const fn isa(part: Part, port: u32, size: u32, name: &'static str) -> Window {
    Window { part, base: ISA_IO_BASE + port, size, name }
}

/// The board's windows, in address order.
pub const WINDOWS: &[Window] = &[
    isa(Part::PicMaster, 0x20, 2, "i8259 master (ISA ports 0x20-0x21)"),
    isa(Part::Pit, 0x40, 4, "i8254 PIT (ISA ports 0x40-0x43)"),
    isa(Part::Port61, 0x61, 1, "NMI status port (ISA port 0x61)"),
    isa(Part::Rtc, 0x70, 2, "MC146818 RTC (ISA ports 0x70-0x71)"),
    isa(Part::PicSlave, 0xA0, 2, "i8259 slave (ISA ports 0xA0-0xA1)"),
    isa(Part::Elcr, 0x4D0, 2, "ELCR (ISA ports 0x4D0-0x4D1)"),
    Window { part: Part::Gt64120, base: 0x1BE0_0000, size: 0x1000, name: "GT-64120 (0x1BE00000-0x1BE00FFF)" },
    Window { part: Part::Fpga, base: 0x1F00_0000, size: 0x10_0000, name: "FPGA (0x1F000000-0x1F0FFFFF)" },
];

/// The window holding guest-physical `gpa`, and the offset in it.
pub fn window_at(gpa: u32) -> Option<(&'static Window, u32)> {
    WINDOWS.iter().find(|w| gpa.wrapping_sub(w.base) < w.size).map(|w| (w, gpa - w.base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_ordered_and_disjoint() {
        for pair in WINDOWS.windows(2) {
            assert!(u64::from(pair[0].base) + u64::from(pair[0].size) <= u64::from(pair[1].base), "{pair:?}");
        }
        assert_eq!(window_at(0x1800_0021).map(|(w, o)| (w.part, o)), Some((Part::PicMaster, 1)));
        assert_eq!(window_at(0x1800_04D1).map(|(w, o)| (w.part, o)), Some((Part::Elcr, 1)));
        assert_eq!(window_at(0x1BE0_0C34).map(|(w, o)| (w.part, o)), Some((Part::Gt64120, 0xC34)));
        assert_eq!(window_at(0x1F00_0500).map(|(w, o)| (w.part, o)), Some((Part::Fpga, 0x500)));
        // The UART at 0x3F8 is a device of its own, outside the windows.
        assert_eq!(window_at(0x1800_03F8), None);
        assert_eq!(window_at(0x1800_0022), None);
        assert_eq!(window_at(0x1F10_0000), None);
    }
}
