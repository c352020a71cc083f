//! The TLB fuzz linked for the hypervisor's guest map: guest KSEG0 at
//! 0x00100000, started at the VCPU reset vector 0x3FC00000 (guest-rt's
//! `guest.ld` and reset stub).
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

/// Which address map this binary is linked for.
#[cfg(target_os = "none")]
const MAP: guest_rt::Map = guest_rt::Map::Guest;

#[cfg(target_os = "none")]
#[path = "../fuzz/mod.rs"]
mod fuzz;

#[cfg(target_os = "none")]
guest_rt::entry!(fuzz::main, MAP);

#[cfg(not(target_os = "none"))]
fn main() {}
