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
pub const HISTORY: usize = 1024;
/// Longest line written to the console at once; longer lines are split.
/// A line is also written when it spans the whole history (control
/// characters the console copy leaves out), so it is all still there.
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
    /// The partial line: its last `line_span` bytes of the history, of
    /// which `line_len` are shown (the rest are control characters).
    line_span: u16,
    line_len: u8,
    input: ByteRing<INPUT_QUEUE>,
    /// Bound to the terminal: output goes to the console as it comes.
    raw: bool,
    utf8: Utf8Out,
    /// Input bytes refused because the queue was full.
    pub input_dropped: u32,
}

impl VSerial {
    pub fn new(name: &str) -> VSerial {
        VSerial {
            name: Name::new(name),
            history: ByteRing::new(),
            line_span: 0,
            line_len: 0,
            input: ByteRing::new(),
            raw: false,
            utf8: Utf8Out::new(),
            input_dropped: 0,
        }
    }

    /// Binds the port to the terminal (`raw`: every byte goes to the
    /// console at once, control characters included, no prefix) or back
    /// to attributed lines. On binding, the pending partial line (a prompt,
    /// or a line the guest is still writing) goes out raw, unprefixed, so
    /// the guest's next bytes continue it on the console.
    pub fn set_raw(&mut self, raw: bool, console: &mut dyn Write) -> fmt::Result {
        if raw && !self.raw {
            let span = usize::from(self.line_span);
            (self.line_span, self.line_len) = (0, 0);
            for byte in self.history.tail(span) {
                self.utf8.feed(byte, console)?;
            }
        }
        self.raw = raw;
        Ok(())
    }

    /// Bytes in the output history (at most [`HISTORY`]).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// The guest was reset: queued input and the partial line are dropped;
    /// the history (and whether the port is bound) stay.
    pub fn reset(&mut self) {
        self.input.clear();
        (self.line_span, self.line_len) = (0, 0);
        self.utf8 = Utf8Out::new();
    }

    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Writes the history to `console` as the guest sent it (UTF-8
    /// decoded, U+FFFD for invalid bytes).
    pub fn dump(&self, console: &mut dyn Write) -> fmt::Result {
        let mut utf8 = Utf8Out::new();
        for byte in self.history.iter() {
            utf8.feed(byte, console)?;
        }
        utf8.finish(console)
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// A byte the guest sent: kept in the history, and written to `console`
    /// when its line ends (`\n`) or fills up. `\r` and other control
    /// characters except tab are left out of the console copy (the
    /// history keeps every byte); bytes that are not UTF-8 show as U+FFFD.
    /// When bound ([`set_raw`](Self::set_raw)), the byte goes to the
    /// console at once.
    pub fn output(&mut self, byte: u8, console: &mut dyn Write) -> fmt::Result {
        self.history.push_overwrite(byte);
        if self.raw {
            return self.utf8.feed(byte, console);
        }
        if byte == b'\n' {
            return self.emit_line(1, console);
        }
        self.line_span += 1;
        if shown(byte) {
            self.line_len += 1;
        }
        if usize::from(self.line_len) == LINE_MAX || usize::from(self.line_span) == HISTORY {
            return self.emit_line(0, console);
        }
        Ok(())
    }

    /// Writes the partial line (the history's bytes before its newest
    /// `after` ones), prefixed with the port's name.
    fn emit_line(&mut self, after: usize, console: &mut dyn Write) -> fmt::Result {
        let mut line = [0; LINE_MAX];
        let len = self.pending_line(after, &mut line);
        (self.line_span, self.line_len) = (0, 0);
        write!(console, "[{}]", self.name)?;
        if len > 0 {
            console.write_char(' ')?;
        }
        for chunk in line.get(..len).unwrap_or(&[]).utf8_chunks() {
            console.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                console.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        console.write_char('\n')
    }

    /// Copies the partial line's shown bytes into `line`, leaving out the
    /// history's newest `after` bytes; returns how many.
    fn pending_line(&self, after: usize, line: &mut [u8; LINE_MAX]) -> usize {
        let span = usize::from(self.line_span);
        let bytes = self.history.tail(span + after).take(span).filter(|&b| shown(b));
        let mut len = 0;
        for (slot, byte) in line.iter_mut().zip(bytes) {
            *slot = byte;
            len += 1;
        }
        len
    }

    /// The recent output, oldest byte first (at most [`HISTORY`] bytes).
    pub fn history(&self) -> impl Iterator<Item = u8> + '_ {
        self.history.iter()
    }

    /// Whether the queue of typed bytes is full (the terminal then holds
    /// its input back instead of dropping it).
    pub fn input_full(&self) -> bool {
        self.input.len() == INPUT_QUEUE
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

/// Whether a byte goes into the console copy of a line: `\r` and other
/// control characters except tab are left out.
fn shown(byte: u8) -> bool {
    !matches!(byte, 0..=0x08 | 0x0A..=0x1F | 0x7F)
}

/// Writes a byte stream as UTF-8 text, holding back an incomplete
/// sequence until it completes; invalid bytes become U+FFFD.
#[derive(Clone, Copy, Debug)]
struct Utf8Out {
    pending: [u8; 4],
    len: usize,
    need: usize,
}

impl Utf8Out {
    const fn new() -> Utf8Out {
        Utf8Out { pending: [0; 4], len: 0, need: 0 }
    }

    fn feed(&mut self, byte: u8, out: &mut dyn Write) -> fmt::Result {
        if self.len > 0 {
            if byte & 0xC0 == 0x80 {
                self.pending[self.len] = byte;
                self.len += 1;
                if self.len == self.need {
                    let len = core::mem::take(&mut self.len);
                    return match core::str::from_utf8(&self.pending[..len]) {
                        Ok(text) => out.write_str(text),
                        Err(_) => out.write_char(char::REPLACEMENT_CHARACTER),
                    };
                }
                return Ok(());
            }
            // The sequence broke off.
            self.finish(out)?;
        }
        let need = match byte {
            0x00..=0x7F => return out.write_char(char::from(byte)),
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return out.write_char(char::REPLACEMENT_CHARACTER),
        };
        self.pending[0] = byte;
        self.len = 1;
        self.need = need;
        Ok(())
    }

    /// Ends the stream: an incomplete sequence shows as U+FFFD.
    fn finish(&mut self, out: &mut dyn Write) -> fmt::Result {
        if core::mem::take(&mut self.len) > 0 {
            out.write_char(char::REPLACEMENT_CHARACTER)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::uart16550::{FCR_ENABLE, FIFO_SIZE};
    use crate::devices::{AccessSize, MmioDevice};

    fn pending(port: &VSerial) -> Vec<u8> {
        let mut line = [0; LINE_MAX];
        let len = port.pending_line(0, &mut line);
        line[..len].to_vec()
    }

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
        assert_eq!(pending(&port), b"wor");
        assert_eq!(feed(&mut port, b"ld\x1b\x07\t!\n"), "[guest0] world\t!\n");
        assert_eq!(feed(&mut port, b"caf\xC3\xA9 \xFF\n"), "[guest0] caf\u{e9} \u{FFFD}\n");
        assert_eq!(feed(&mut port, b"\r\n"), "[guest0]\n");
    }

    #[test]
    fn long_lines_are_split() {
        let mut port = VSerial::new("g");
        let long = [b'a'; LINE_MAX + 3];
        let out = feed(&mut port, &long);
        assert_eq!(out, format!("[g] {}\n", "a".repeat(LINE_MAX)));
        assert_eq!(pending(&port), b"aaa");
    }

    /// A line of control characters as long as the history is written
    /// before its first byte would leave the history.
    #[test]
    fn a_line_spanning_the_history_is_written() {
        let mut port = VSerial::new("g");
        let mut bytes = b"ab".to_vec();
        bytes.resize(HISTORY, b'\r');
        assert_eq!(feed(&mut port, &bytes), "[g] ab\n");
        assert_eq!(feed(&mut port, b"\rc\n"), "[g] c\n");
        assert!(pending(&port).is_empty());
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

    #[test]
    fn raw_mode_passes_bytes_through_and_keeps_utf8_whole() {
        let mut port = VSerial::new("g");
        let mut out = String::new();
        feed(&mut port, b"one\n$\x1b[0m ");
        port.set_raw(true, &mut out).unwrap();
        assert!(port.is_raw());
        assert_eq!(out, "$\x1b[0m ", "the partial line goes out raw on binding, to be continued");
        port.set_raw(true, &mut out).unwrap();
        assert_eq!(out, "$\x1b[0m ", "binding again writes nothing");
        let out = feed(&mut port, b"\x1b[1m\r\n\xE2\x82");
        assert_eq!(out, "\x1b[1m\r\n");
        assert_eq!(feed(&mut port, b"\xAC"), "\u{20AC}");
        // A broken sequence, a stray continuation byte, an overlong form.
        assert_eq!(feed(&mut port, b"\xE2x\x80\xC0\x80\xF0\x9F\x98\x80"), "\u{FFFD}x\u{FFFD}\u{FFFD}\u{FFFD}\u{1F600}");
        let mut out = String::new();
        port.set_raw(false, &mut out).unwrap();
        assert_eq!(feed(&mut port, b"z\n"), "[g] z\n");
        assert!(out.is_empty());
    }

    #[test]
    fn dump_writes_the_history() {
        let mut port = VSerial::new("g");
        feed(&mut port, b"one\r\ntw\xC3\xA9\xFF");
        let mut out = String::new();
        port.dump(&mut out).unwrap();
        assert_eq!(out, "one\r\ntw\u{e9}\u{FFFD}");
        let mut cut = VSerial::new("g");
        feed(&mut cut, b"\xE2\x82");
        let mut out = String::new();
        cut.dump(&mut out).unwrap();
        assert_eq!(out, "\u{FFFD}");
    }
}
