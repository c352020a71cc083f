//! Virtual serial ports: the host end of an emulated UART.
//!
//! Each port has a name (the guest's, for its console UART), keeps the last
//! [`HISTORY`] bytes the guest sent (for a later `vserial dump`), writes the
//! guest's output to the host console one line at a time prefixed with its
//! name (`[guest0] hello`), and queues input for the guest until the UART
//! can take it (so a whole typed line does not overrun its 16-byte FIFO).
use core::fmt::{self, Write};

use crate::devices::ring::ByteRing;
use crate::devices::Uart16550;

/// Bytes of output history kept per port.
pub const HISTORY: usize = 4096;
/// Longest line written to the console at once; longer lines are split.
pub const LINE_MAX: usize = 120;
/// Input bytes queued for the guest.
pub const INPUT_QUEUE: usize = 64;

/// A short name stored inline (UTF-8, at most 32 bytes; longer names are
/// cut at a character boundary).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; 32],
    len: u8,
}

impl Name {
    pub fn new(name: &str) -> Name {
        let mut len = name.len().min(32);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; 32];
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        Name { bytes, len: len as u8 }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The host end of one emulated UART.
#[derive(Clone, Debug)]
pub struct VSerial {
    name: Name,
    history: ByteRing<HISTORY>,
    line: [u8; LINE_MAX],
    line_len: usize,
    input: ByteRing<INPUT_QUEUE>,
    /// Input bytes refused because the queue was full.
    pub input_dropped: u32,
}

impl VSerial {
    pub fn new(name: &str) -> VSerial {
        VSerial {
            name: Name::new(name),
            history: ByteRing::new(),
            line: [0; LINE_MAX],
            line_len: 0,
            input: ByteRing::new(),
            input_dropped: 0,
        }
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// A byte the guest sent: kept in the history, and written to `console`
    /// when its line ends (`\n`) or fills up. `\r` and other control
    /// characters except tab are left out of the console copy (the
    /// history keeps every byte); bytes that are not UTF-8 show as U+FFFD.
    pub fn output(&mut self, byte: u8, console: &mut dyn Write) -> fmt::Result {
        self.history.push_overwrite(byte);
        match byte {
            b'\n' => return self.emit_line(console),
            b'\t' => {}
            0..=0x1F | 0x7F => return Ok(()),
            _ => {}
        }
        self.line[self.line_len] = byte;
        self.line_len += 1;
        if self.line_len == LINE_MAX {
            self.emit_line(console)?;
        }
        Ok(())
    }

    /// Writes the pending partial line, if any, as a line of its own.
    pub fn flush(&mut self, console: &mut dyn Write) -> fmt::Result {
        if self.line_len == 0 {
            return Ok(());
        }
        self.emit_line(console)
    }

    /// Writes the line buffer, prefixed with the port's name.
    fn emit_line(&mut self, console: &mut dyn Write) -> fmt::Result {
        let len = core::mem::take(&mut self.line_len);
        write!(console, "[{}]", self.name)?;
        if len > 0 {
            console.write_char(' ')?;
        }
        for chunk in self.line[..len].utf8_chunks() {
            console.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                console.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        console.write_char('\n')
    }

    /// The partial line not yet written.
    pub fn pending_line(&self) -> &[u8] {
        &self.line[..self.line_len]
    }

    /// The recent output, oldest byte first (at most [`HISTORY`] bytes).
    pub fn history(&self) -> impl Iterator<Item = u8> + '_ {
        self.history.iter()
    }

    /// Queues a byte typed for the guest; `false` (counted) if the queue is
    /// full.
    pub fn push_input(&mut self, byte: u8) -> bool {
        let queued = self.input.push(byte);
        if !queued {
            self.input_dropped = self.input_dropped.wrapping_add(1);
        }
        queued
    }

    /// Moves queued input into `uart` while its receiver has room, then the
    /// guest's output from `uart` through [`output`](Self::output).
    pub fn pump(&mut self, uart: &mut Uart16550, console: &mut dyn Write) -> fmt::Result {
        while uart.can_receive() {
            let Some(byte) = self.input.pop() else { break };
            uart.receive(byte);
        }
        while let Some(byte) = uart.take_tx() {
            self.output(byte, console)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::uart16550::{FCR_ENABLE, FIFO_SIZE};
    use crate::devices::{AccessSize, MmioDevice};

    fn feed(port: &mut VSerial, bytes: &[u8]) -> String {
        let mut out = String::new();
        for &b in bytes {
            port.output(b, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn lines_are_prefixed_and_cleaned() {
        let mut port = VSerial::new("guest0");
        assert_eq!(feed(&mut port, b"hello\r\nwor"), "[guest0] hello\n");
        assert_eq!(port.pending_line(), b"wor");
        assert_eq!(feed(&mut port, b"ld\x1b\x07\t!\n"), "[guest0] world\t!\n");
        assert_eq!(feed(&mut port, b"caf\xC3\xA9 \xFF\n"), "[guest0] caf\u{e9} \u{FFFD}\n");
        let mut out = String::new();
        port.output(b'x', &mut out).unwrap();
        port.flush(&mut out).unwrap();
        port.flush(&mut out).unwrap();
        assert_eq!(out, "[guest0] x\n");
        assert_eq!(feed(&mut port, b"\r\n"), "[guest0]\n");
    }

    #[test]
    fn long_lines_are_split() {
        let mut port = VSerial::new("g");
        let long = [b'a'; LINE_MAX + 3];
        let out = feed(&mut port, &long);
        assert_eq!(out, format!("[g] {}\n", "a".repeat(LINE_MAX)));
        assert_eq!(port.pending_line(), b"aaa");
    }

    #[test]
    fn history_keeps_the_last_bytes_raw() {
        let mut port = VSerial::new("g");
        feed(&mut port, b"\r\n");
        for i in 0..HISTORY + 10 {
            let mut out = String::new();
            port.output(b'a' + (i % 26) as u8, &mut out).unwrap();
        }
        let history: Vec<u8> = port.history().collect();
        assert_eq!(history.len(), HISTORY);
        assert_eq!(history[0], b'k', "the 11th letter written is the oldest kept");
        assert_eq!(*history.last().unwrap(), b'a' + ((HISTORY + 9) % 26) as u8);
        let mut short = VSerial::new("g");
        feed(&mut short, b"a\r\n");
        assert_eq!(short.history().collect::<Vec<_>>(), b"a\r\n");
    }

    #[test]
    fn names_are_cut_at_char_boundaries() {
        assert_eq!(Name::new("guest0").as_str(), "guest0");
        let long = "é".repeat(20); // 40 bytes
        assert_eq!(Name::new(&long).as_str(), "é".repeat(16));
        assert_eq!(format!("{:?}", Name::new("x")), "\"x\"");
    }

    #[test]
    fn input_is_queued_until_the_fifo_has_room() {
        let mut port = VSerial::new("g");
        let mut uart = Uart16550::new(0);
        uart.write(2, AccessSize::Byte, u32::from(FCR_ENABLE));
        for i in 0..INPUT_QUEUE as u8 {
            assert!(port.push_input(i));
        }
        assert!(!port.push_input(0xFF));
        assert_eq!(port.input_dropped, 1);
        let mut out = String::new();
        port.pump(&mut uart, &mut out).unwrap();
        assert_eq!(uart.overruns(), 0);
        let mut received = Vec::new();
        while received.len() < INPUT_QUEUE {
            for _ in 0..FIFO_SIZE {
                received.push(uart.read(0, AccessSize::Byte) as u8);
            }
            port.pump(&mut uart, &mut out).unwrap();
        }
        assert_eq!(received, (0..INPUT_QUEUE as u8).collect::<Vec<_>>());
        assert_eq!(uart.overruns(), 0);
        assert!(out.is_empty());
    }
}
