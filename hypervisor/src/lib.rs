//! The hypervisor's hardware-independent logic.
//!
//! Everything here is `no_std`, free of `unsafe` and unit-tested on the
//! host, one module per room of the data path: `host` (what the host is),
//! `kernel` (scheduling, host interrupts, stacks, the trap report), `vm`
//! (guests, VCPUs and the exit loop's decisions), `devices` (device models
//! and the guest's bus), `mterm` (the management terminal). The
//! target-only code that feeds it real hardware values lives in
//! `src/main.rs`, `src/threads/` and `src/arch/`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(target_os = "none", feature(optimize_attribute))]

pub mod devices;
pub mod host;
pub mod kernel;
pub mod mterm;
pub mod text;
pub mod vm;

/// Name printed by the banner and `version`.
pub const NAME: &str = "mipsvisor";
/// Crate version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
