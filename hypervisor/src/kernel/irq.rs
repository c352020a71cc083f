//! Host interrupts: their numbering, the registration table drivers use,
//! and what it implies for the interrupt controllers' masks.
//!
//! On Malta the CPU has eight interrupt lines (Cause.IP0-7); IP7 is the
//! CP0 timer, IP2 the output of the southbridge's i8259 pair (16 ISA
//! interrupts, the slave cascaded on the master's IRQ 2). A host IRQ is
//! one of those 8 + 16 lines. The target's dispatch code finds which line
//! fired, asks the table for its handler (counting it) and calls it.

use core::fmt::{self, Write};

/// A host interrupt line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostIrq {
    /// CPU line IPn (0-7).
    Cpu(u8),
    /// ISA IRQ n (0-15) of the i8259 pair.
    Isa(u8),
}

/// CPU lines plus ISA lines.
pub const COUNT: usize = 8 + 16;
/// The CPU line the i8259 pair drives (through the GT-64120).
pub const CPU_LINE_I8259: u8 = 2;
/// The CPU line of the CP0 timer (IntCtl.IPTI on the 24Kf).
pub const CPU_LINE_TIMER: u8 = 7;
/// The master i8259's input the slave is cascaded on.
pub const ISA_CASCADE: u8 = 2;

impl HostIrq {
    /// Its slot in the table, `None` for a line that does not exist.
    pub fn index(self) -> Option<usize> {
        match self {
            HostIrq::Cpu(n) if n < 8 => Some(usize::from(n)),
            HostIrq::Isa(n) if n < 16 => Some(8 + usize::from(n)),
            _ => None,
        }
    }

    pub fn from_index(index: usize) -> Option<HostIrq> {
        match index {
            0..=7 => Some(HostIrq::Cpu(index as u8)),
            8..=23 => Some(HostIrq::Isa(index as u8 - 8)),
            _ => None,
        }
    }
}

impl fmt::Display for HostIrq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostIrq::Cpu(n) => write!(f, "cpu{n}"),
            HostIrq::Isa(n) => write!(f, "isa{n}"),
        }
    }
}

/// Why a registration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqError {
    /// No such line.
    Invalid,
    /// Already registered by this driver.
    Busy(&'static str),
    /// Nothing registered there (for `unregister`).
    NotRegistered,
}

impl fmt::Display for IrqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrqError::Invalid => f.write_str("no such interrupt line"),
            IrqError::Busy(by) => write!(f, "already registered by `{by}`"),
            IrqError::NotRegistered => f.write_str("nothing registered"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry<H> {
    name: &'static str,
    handler: Option<H>,
    count: u64,
}

/// Registered handlers (of type `H`: a function pointer on the target)
/// and how often each line fired.
#[derive(Clone, Debug)]
pub struct IrqTable<H: Copy> {
    entries: [Entry<H>; COUNT],
    /// Interrupts no handler was registered for (or that the controller
    /// reported as spurious).
    pub spurious: u64,
}

impl<H: Copy> Default for IrqTable<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Copy> IrqTable<H> {
    pub const fn new() -> Self {
        IrqTable { entries: [Entry { name: "", handler: None, count: 0 }; COUNT], spurious: 0 }
    }

    /// Registers `handler` for `irq` under the driver name `name`.
    pub fn register(&mut self, irq: HostIrq, name: &'static str, handler: H) -> Result<(), IrqError> {
        let entry = &mut self.entries[irq.index().ok_or(IrqError::Invalid)?];
        if entry.handler.is_some() {
            return Err(IrqError::Busy(entry.name));
        }
        *entry = Entry { name, handler: Some(handler), count: entry.count };
        Ok(())
    }

    pub fn unregister(&mut self, irq: HostIrq) -> Result<(), IrqError> {
        let entry = &mut self.entries[irq.index().ok_or(IrqError::Invalid)?];
        if entry.handler.take().is_none() {
            return Err(IrqError::NotRegistered);
        }
        Ok(())
    }

    /// An interrupt on `irq`: counts it and returns its handler (`None`:
    /// counted as spurious).
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn dispatch(&mut self, irq: HostIrq) -> Option<H> {
        let handler = irq.index().and_then(|i| {
            let entry = &mut self.entries[i];
            entry.count += 1;
            entry.handler
        });
        if handler.is_none() {
            self.spurious += 1;
        }
        handler
    }

    pub fn is_registered(&self, irq: HostIrq) -> bool {
        irq.index().is_some_and(|i| self.entries[i].handler.is_some())
    }

    /// The i8259 pair's interrupt mask (bit n = ISA IRQ n masked): every
    /// line without a handler, except the cascade while any slave line
    /// (8-15) has one.
    pub fn isa_mask(&self) -> u16 {
        let mut enabled: u16 = 0;
        for n in 0..16u8 {
            if self.is_registered(HostIrq::Isa(n)) {
                enabled |= 1 << n;
            }
        }
        if enabled & 0xFF00 != 0 {
            enabled |= 1 << ISA_CASCADE;
        }
        !enabled
    }

    /// The CPU lines with a handler (for Status.IM, bit n = IPn).
    pub fn cpu_mask(&self) -> u8 {
        (0..8u8).filter(|&n| self.is_registered(HostIrq::Cpu(n))).fold(0, |m, n| m | (1 << n))
    }

    /// `host irqs`: every line with a handler or a count.
    pub fn write_list(&self, out: &mut dyn Write) -> fmt::Result {
        writeln!(out, "{:<6} {:<20} {:>10}", "irq", "handler", "count")?;
        for (i, e) in self.entries.iter().enumerate() {
            if e.handler.is_none() && e.count == 0 {
                continue;
            }
            let irq = HostIrq::from_index(i).unwrap_or(HostIrq::Cpu(0));
            let name = if e.handler.is_some() { e.name } else { "(none)" };
            writeln!(out, "{:<6} {name:<20} {:>10}", irq.to_string_buf().as_str(), e.count)?;
        }
        writeln!(out, "spurious: {}", self.spurious)
    }
}

impl HostIrq {
    fn to_string_buf(self) -> crate::devices::Name {
        let (prefix, n) = match self {
            HostIrq::Cpu(n) => ("cpu", n),
            HostIrq::Isa(n) => ("isa", n),
        };
        let digits = [b'0' + n / 10, b'0' + n % 10];
        let digits = if n < 10 { &digits[1..] } else { &digits[..] };
        let mut buf = [0u8; 5];
        buf[..3].copy_from_slice(prefix.as_bytes());
        buf[3..3 + digits.len()].copy_from_slice(digits);
        crate::devices::Name::new(core::str::from_utf8(&buf[..3 + digits.len()]).unwrap_or("?"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering() {
        for i in 0..COUNT {
            assert_eq!(HostIrq::from_index(i).unwrap().index(), Some(i));
        }
        assert_eq!(HostIrq::Cpu(8).index(), None);
        assert_eq!(HostIrq::Isa(16).index(), None);
        assert_eq!(HostIrq::from_index(24), None);
        assert_eq!(HostIrq::Isa(4).to_string(), "isa4");
        assert_eq!(HostIrq::Isa(12).to_string_buf().as_str(), "isa12");
    }

    #[test]
    fn register_dispatch_unregister() {
        let mut t: IrqTable<u32> = IrqTable::new();
        assert_eq!(t.isa_mask(), 0xFFFF, "everything masked");
        t.register(HostIrq::Isa(4), "uart0", 44).unwrap();
        t.register(HostIrq::Cpu(7), "timer", 77).unwrap();
        assert_eq!(t.register(HostIrq::Isa(4), "other", 1), Err(IrqError::Busy("uart0")));
        assert_eq!(t.register(HostIrq::Isa(16), "x", 1), Err(IrqError::Invalid));
        assert_eq!(t.isa_mask(), !(1 << 4));
        assert_eq!(t.cpu_mask(), 0x80);
        assert_eq!(t.dispatch(HostIrq::Isa(4)), Some(44));
        assert_eq!(t.dispatch(HostIrq::Isa(4)), Some(44));
        assert_eq!(t.dispatch(HostIrq::Isa(7)), None);
        assert_eq!(t.spurious, 1);
        // A slave line opens the cascade.
        t.register(HostIrq::Isa(12), "mouse", 12).unwrap();
        assert_eq!(t.isa_mask(), !((1 << 4) | (1 << 2) | (1 << 12)));
        t.unregister(HostIrq::Isa(12)).unwrap();
        assert_eq!(t.unregister(HostIrq::Isa(12)), Err(IrqError::NotRegistered));
        assert_eq!(t.isa_mask(), !(1 << 4));
        let mut out = String::new();
        t.write_list(&mut out).unwrap();
        assert_eq!(
            out,
            "irq    handler                   count\n\
             cpu7   timer                         0\n\
             isa4   uart0                         2\n\
             isa7   (none)                        1\n\
             spurious: 1\n"
        );
    }
}
