//! The test-vector recorder: a bare-metal program for QEMU Malta (24Kf).
//!
//! It reads the vector inputs that `cargo xtask record-vectors` loads at
//! physical 0x0100_0000, and for each vector: writes the TLB, dumps it, writes
//! the CP0 registers, dumps them, runs the instruction word (and its delay
//! slot) natively from a landing pad, catches whatever exception it raises,
//! dumps everything again and prints both dumps over UART0 as changes from
//! the previous dump. The host side (`testvectors::recording`) interprets
//! the output; this program only executes and reports. See
//! `testvectors/README.md` for the protocol.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod run;

#[cfg(not(target_os = "none"))]
fn main() {}
