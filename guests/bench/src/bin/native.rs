//! The benchmark workloads linked for native kernel-mode execution: KSEG0
//! at 0x80100000, booted by QEMU Malta's `-kernel` loader.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

/// Which address map this binary is linked for (read by `bench::map`).
#[cfg(target_os = "none")]
const GUEST_MAP: bool = false;

#[cfg(target_os = "none")]
#[path = "../bench/mod.rs"]
mod bench;

#[cfg(not(target_os = "none"))]
fn main() {}
