//! The benchmark workloads linked for the hypervisor's guest map: guest
//! KSEG0 at 0x00100000, started at the VCPU reset vector 0x3FC00000 by a
//! stub that jumps to `_start`.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", feature(asm_experimental_arch))]

/// Which address map this binary is linked for (read by `bench::map`).
#[cfg(target_os = "none")]
const GUEST_MAP: bool = true;

#[cfg(target_os = "none")]
#[path = "../bench/mod.rs"]
mod bench;

// The VCPU reset vector (guest KSEG1 view of the ROM at guest-physical
// 0x1FC00000): reset state has ERL=1 and BEV=1; `_start` sets a known state.
#[cfg(target_os = "none")]
core::arch::global_asm!(
    r#"
    .section .reset, "ax"
    .globl _reset
    .set push
    .set noreorder
_reset:
    lui   $t0, %hi(_start)
    addiu $t0, $t0, %lo(_start)
    jr    $t0
    nop
    .set pop
"#
);

#[cfg(not(target_os = "none"))]
fn main() {}
