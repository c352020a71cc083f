//! The console guest: a line prompt on the UART.
//!
//! At boot it prints `console: ready` and the prompt `> `. Every typed
//! character is echoed; backspace (0x08) and DEL (0x7F) erase the last one
//! (`"\x08 \x08"`); Enter (CR or LF, a CR LF pair counting once) ends the
//! line, which is answered:
//!
//! | line       | answer |
//! |------------|--------|
//! | `help`     | the commands |
//! | `ticks`    | `ticks: N`, the CP0 Count register |
//! | `poweroff` | `console: powering off`, then 0x42 to the Malta reset register |
//! | (empty)    | nothing |
//! | anything else | `you typed: TEXT` |
//!
//! then a new prompt. Input comes from the UART's receive interrupt
//! ([`irq`]); between keystrokes the CPU sits in WAIT.
mod irq;

use core::fmt::Write;
use guest_rt::{cp0, Uart};

/// The longest line kept; further characters are ignored (not echoed).
const LINE_MAX: usize = 120;

const HELP: &str = "commands:
  help      this list
  ticks     the CP0 Count register
  poweroff  power off (Malta software-reset register)
anything else is echoed back";

/// The line being typed.
struct Line {
    bytes: [u8; LINE_MAX],
    len: usize,
}

impl Line {
    /// Appends a printable ASCII character; false when the line is full.
    fn push(&mut self, byte: u8) -> bool {
        let room = self.len < LINE_MAX;
        if room {
            self.bytes[self.len] = byte;
            self.len += 1;
        }
        room
    }

    /// Drops the last character; false when the line is empty.
    fn pop(&mut self) -> bool {
        let some = self.len > 0;
        self.len -= usize::from(some);
        some
    }

    /// The line so far (printable ASCII only, so always valid UTF-8).
    fn text(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// The binary's `main` (given to `guest_rt::entry!`).
pub fn main() -> ! {
    let mut uart = Uart::init(crate::MAP);
    irq::init(&uart);
    let _ = write!(uart, "console: ready\n> ");
    let mut line = Line { bytes: [0; LINE_MAX], len: 0 };
    let mut after_cr = false;
    loop {
        let byte = irq::read_byte(&uart);
        let lf_of_crlf = after_cr && byte == b'\n';
        after_cr = byte == b'\r';
        match byte {
            _ if lf_of_crlf => {}
            b'\r' | b'\n' => {
                let _ = writeln!(uart);
                answer(&mut uart, line.text());
                line.len = 0;
                let _ = write!(uart, "> ");
            }
            // Erase, unless the line is empty.
            0x08 | 0x7F if line.pop() => {
                let _ = write!(uart, "\x08 \x08");
            }
            // Echo, unless the line is full.
            0x20..=0x7E if line.push(byte) => uart.write_byte(byte),
            _ => {}
        }
    }
}

/// Answers one line (the prompt follows).
fn answer(uart: &mut Uart, text: &str) {
    let _ = match text.trim() {
        "" => Ok(()),
        "help" => writeln!(uart, "{HELP}"),
        "ticks" => writeln!(uart, "ticks: {}", cp0::count()),
        "poweroff" => {
            let _ = writeln!(uart, "console: powering off");
            guest_rt::power_off(crate::MAP)
        }
        _ => writeln!(uart, "you typed: {text}"),
    };
}
