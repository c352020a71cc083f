//! The register frame the exception vectors save, and the report printed
//! for an unexpected host exception.

use core::fmt::{self, Write};
use emulator::{view, ExcCode};

/// Registers saved by the exception entry code (`arch::mips::vectors`).
///
/// The assembly stores into this layout using the `FRAME_*` offsets below,
/// so the two cannot drift apart.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapFrame {
    /// General-purpose registers `$0`–`$31` at the time of the exception
    /// (k0/k1 included: the vectors park them in CP0 scratch registers).
    pub regs: [u32; 32],
    pub hi: u32,
    pub lo: u32,
    pub epc: u32,
    pub status: u32,
    pub cause: u32,
    pub badvaddr: u32,
    /// Offset of the vector that was taken from EBase (0x000, 0x180, 0x200;
    /// 0x480: a debug exception, through the boot flash's debug vector).
    pub vector: u32,
    _pad: u32,
}

pub const FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();
pub const FRAME_HI: usize = core::mem::offset_of!(TrapFrame, hi);
pub const FRAME_LO: usize = core::mem::offset_of!(TrapFrame, lo);
pub const FRAME_EPC: usize = core::mem::offset_of!(TrapFrame, epc);
pub const FRAME_STATUS: usize = core::mem::offset_of!(TrapFrame, status);
pub const FRAME_CAUSE: usize = core::mem::offset_of!(TrapFrame, cause);
pub const FRAME_BADVADDR: usize = core::mem::offset_of!(TrapFrame, badvaddr);
pub const FRAME_VECTOR: usize = core::mem::offset_of!(TrapFrame, vector);

/// Short name and description of a Cause.ExcCode value, as the spec
/// gives them; "Res" for a code the 24Kf does not define.
pub fn exception_name(code: u32) -> (&'static str, &'static str) {
    match u8::try_from(code).ok().and_then(ExcCode::from_u8) {
        Some(code) => (code.name(), code.description()),
        None => ("Res", "reserved exception code"),
    }
}

fn vector_name(offset: u32) -> &'static str {
    match offset {
        0x000 => "TLB refill",
        0x180 => "general",
        0x200 => "interrupt",
        0x480 => "EJTAG debug (SDBBP)",
        _ => "unknown",
    }
}

impl TrapFrame {
    pub fn exc_code(&self) -> u32 {
        view::Cause(self.cause).exccode()
    }

    /// Writes the report for an exception the hypervisor did not expect.
    pub fn write_report(&self, out: &mut dyn Write) -> fmt::Result {
        let (name, what) = exception_name(self.exc_code());
        writeln!(out)?;
        writeln!(
            out,
            "*** unexpected host exception: {name} ({what}), ExcCode {}, {} vector (EBase+{:#05x})",
            self.exc_code(),
            vector_name(self.vector),
            self.vector
        )?;
        let in_delay_slot = view::Cause(self.cause).bd() != 0;
        writeln!(
            out,
            "EPC {:#010x}{}  BadVAddr {:#010x}  Status {:#010x}  Cause {:#010x}",
            self.epc,
            if in_delay_slot { " (branch delay slot)" } else { "" },
            self.badvaddr,
            self.status,
            self.cause
        )?;
        for (row, names) in isa_spec::operand::GPR.chunks(4).enumerate() {
            for (col, name) in names.iter().enumerate() {
                let sep = if col == 0 { "" } else { "  " };
                write!(out, "{sep}{name:>4} {:08x}", self.regs[row * 4 + col])?;
            }
            writeln!(out)?;
        }
        writeln!(out, "  hi {:08x}    lo {:08x}", self.hi, self.lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_assembly() {
        assert_eq!(FRAME_HI, 128);
        assert_eq!(FRAME_LO, 132);
        assert_eq!(FRAME_EPC, 136);
        assert_eq!(FRAME_VECTOR, 152);
        assert_eq!(FRAME_SIZE, 160);
        // The stack pointer below the frame stays 8-byte aligned (o32 ABI).
        assert_eq!(FRAME_SIZE % 8, 0);
    }

    #[test]
    fn report_of_a_tlb_refill_load() {
        let mut frame = TrapFrame {
            epc: 0x8010_2468,
            badvaddr: 0x0000_0010,
            status: 0x0000_0002,
            cause: 2 << 2,
            vector: 0,
            ..TrapFrame::default()
        };
        frame.regs[29] = 0x8012_0000;
        frame.regs[31] = 0x8010_0040;
        let mut out = String::new();
        frame.write_report(&mut out).unwrap();
        assert!(out.contains(
            "unexpected host exception: TLBL (TLB miss or invalid, load or instruction fetch), \
             ExcCode 2, TLB refill vector (EBase+0x000)"
        ));
        assert!(out.contains("EPC 0x80102468  BadVAddr 0x00000010  Status 0x00000002  Cause 0x00000008"));
        assert!(out.contains("  gp 00000000    sp 80120000    s8 00000000    ra 80100040\n"));
        assert!(out.contains("zero 00000000    at 00000000"));
    }

    #[test]
    fn delay_slot_and_unknown_codes() {
        let frame = TrapFrame { cause: 0x8000_0000 | (14 << 2), vector: 0x180, ..TrapFrame::default() };
        let mut out = String::new();
        frame.write_report(&mut out).unwrap();
        assert!(out.contains("Res (reserved exception code), ExcCode 14, general vector"));
        assert!(out.contains("(branch delay slot)"));
        assert_eq!(exception_name(10).0, "RI");
        assert_eq!(exception_name(31).0, "Res");
    }
}
