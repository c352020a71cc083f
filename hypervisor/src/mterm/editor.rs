//! mterm's line editor: fed one byte at a time from the console, it echoes
//! what it accepts and hands back a whole line.

use core::fmt::{self, Write};

/// Longest line the editor accepts; further characters are refused.
pub const LINE_MAX: usize = 128;

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const BELL: char = '\x07';

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Saw ESC `[` (a CSI sequence, ended by a byte in 0x40..=0x7e).
    Csi,
}

/// Collects one command line, echoing what it accepts.
pub struct LineEditor {
    buf: [u8; LINE_MAX],
    len: usize,
    escape: Escape,
    last_was_cr: bool,
    line_done: bool,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    pub const fn new() -> Self {
        Self { buf: [0; LINE_MAX], len: 0, escape: Escape::None, last_was_cr: false, line_done: false }
    }

    /// Feeds one received byte; echoes to `echo`. Returns the line when the
    /// byte ends it (CR, LF or CR LF). Printable ASCII is kept, backspace and
    /// DEL erase, Ctrl-U erases the line, escape sequences (arrow keys) and
    /// other control bytes are ignored.
    pub fn feed(&mut self, byte: u8, echo: &mut dyn Write) -> Result<Option<&str>, fmt::Error> {
        if self.line_done {
            self.line_done = false;
            self.len = 0;
        }
        let after_cr = core::mem::replace(&mut self.last_was_cr, byte == b'\r');
        match self.escape {
            Escape::Start => {
                self.escape = if byte == b'[' { Escape::Csi } else { Escape::None };
                return Ok(None);
            }
            Escape::Csi => {
                if (0x40..=0x7e).contains(&byte) {
                    self.escape = Escape::None;
                }
                return Ok(None);
            }
            Escape::None => {}
        }
        match byte {
            b'\n' if after_cr => {}
            b'\r' | b'\n' => {
                echo.write_str("\n")?;
                self.line_done = true;
                // Only printable ASCII is ever stored, so this cannot fail.
                return Ok(Some(core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")));
            }
            BACKSPACE | DELETE if self.len > 0 => {
                self.len -= 1;
                echo.write_str("\x08 \x08")?;
            }
            CTRL_U => {
                while self.len > 0 {
                    self.len -= 1;
                    echo.write_str("\x08 \x08")?;
                }
            }
            ESCAPE => self.escape = Escape::Start,
            0x20..=0x7e => {
                if self.len < LINE_MAX {
                    self.buf[self.len] = byte;
                    self.len += 1;
                    echo.write_char(char::from(byte))?;
                } else {
                    echo.write_char(BELL)?;
                }
            }
            _ => {}
        }
        Ok(None)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(editor: &mut LineEditor, input: &[u8]) -> (Vec<String>, String) {
        let mut echo = String::new();
        let mut lines = Vec::new();
        for &b in input {
            if let Some(line) = editor.feed(b, &mut echo).unwrap() {
                lines.push(line.to_string());
            }
        }
        (lines, echo)
    }

    #[test]
    fn editor_collects_lines_ending_in_cr_lf_or_crlf() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"version\rhost\nhalt\r\n\r\n");
        assert_eq!(lines, ["version", "host", "halt", ""]);
        assert_eq!(echo, "version\nhost\nhalt\n\n");
    }

    #[test]
    fn editor_backspace_and_kill_line() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"hosx\x08t\n\x7fab\x15ver\x7f\x7f\x7f\x7fhelp\n");
        assert_eq!(lines, ["host", "help"]);
        assert_eq!(echo, "hosx\x08 \x08t\nab\x08 \x08\x08 \x08ver\x08 \x08\x08 \x08\x08 \x08help\n");
    }

    #[test]
    fn editor_ignores_escape_sequences_and_control_bytes() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"he\x1b[A\x1b[1;5Dl\x01\x1bxp\t\n");
        assert_eq!(lines, ["help"]);
        assert_eq!(echo, "help\n");
    }

    #[test]
    fn editor_refuses_overlong_lines() {
        let mut editor = LineEditor::new();
        let mut input = vec![b'a'; LINE_MAX + 3];
        input.push(b'\n');
        let (lines, echo) = feed_all(&mut editor, &input);
        assert_eq!(lines, ["a".repeat(LINE_MAX)]);
        assert_eq!(echo.matches(BELL).count(), 3);
    }
}
