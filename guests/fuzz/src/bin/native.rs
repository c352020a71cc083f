//! The TLB fuzz linked for native kernel-mode execution: KSEG0 at
//! 0x80100000, booted by QEMU Malta's `-kernel` loader (guest-rt's
//! `native.ld`).
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

/// Which address map this binary is linked for.
#[cfg(target_os = "none")]
const MAP: guest_rt::Map = guest_rt::Map::Native;

#[cfg(target_os = "none")]
#[path = "../fuzz/mod.rs"]
mod fuzz;

#[cfg(target_os = "none")]
guest_rt::entry!(fuzz::main, MAP);

#[cfg(not(target_os = "none"))]
fn main() {}
