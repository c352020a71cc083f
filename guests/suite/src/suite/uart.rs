//! The 16550 UART: output (the transcript itself, plus the line status and
//! scratch registers) and input that the test harness types after a prompt.
use super::rt::{self, Uart, LSR, LSR_TEMT, LSR_THR_EMPTY, SCR};
use super::{eq, yes, Case, Fail, Outcome};
use core::fmt::Write;

pub const CASES: &[Case] = &[
    Case { name: "uart.line_status_idle", run: line_status },
    Case { name: "uart.scratch_register", run: scratch },
    Case { name: "uart.input_ping", run: input },
];

/// What the harness types after the prompt.
pub const EXPECTED_INPUT: &[u8] = b"ping";
/// How long to wait for each character, in Count ticks (~6 s natively).
const PATIENCE: u32 = 0x4000_0000;

fn line_status() -> Outcome {
    while rt::console().read(LSR) & LSR_TEMT == 0 {}
    let lsr = rt::console().read(LSR);
    eq("LSR: transmitter empty and holding register empty", u32::from(lsr & (LSR_TEMT | LSR_THR_EMPTY)), u32::from(LSR_TEMT | LSR_THR_EMPTY))
}

fn scratch() -> Outcome {
    for value in [0x5A, 0xA5] {
        rt::console().write(SCR, value);
        eq("scratch register", u32::from(rt::console().read(SCR)), u32::from(value))?;
    }
    Ok(())
}

fn read_byte(console: &mut Uart) -> Option<u8> {
    let start = rt::count();
    loop {
        if let Some(byte) = console.try_read() {
            return Some(byte);
        }
        if rt::count().wrapping_sub(start) > PATIENCE {
            return None;
        }
    }
}

/// Reads and echoes four characters and the end of the line.
fn read_line(console: &mut Uart) -> Result<([u8; 4], Option<u8>), Fail> {
    let mut got = [0u8; 4];
    for (i, slot) in got.iter_mut().enumerate() {
        let byte = read_byte(console).ok_or(Fail { what: "no input, characters received", got: i as u32, want: 4 })?;
        console.write_byte(byte);
        *slot = byte;
    }
    Ok((got, read_byte(console)))
}

fn input() -> Outcome {
    let mut console = rt::console();
    let _ = write!(console, "uart-input: type 'ping' then Enter\nuart-input> ");
    let line = read_line(&mut console);
    // The result line must start on a line of its own.
    let _ = writeln!(console);
    let (got, end) = line?;
    for (&g, &w) in got.iter().zip(EXPECTED_INPUT) {
        eq("input character", u32::from(g), u32::from(w))?;
    }
    yes("line ends with CR or LF", matches!(end, Some(b'\r' | b'\n')))
}
