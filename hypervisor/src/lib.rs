//! The hypervisor's hardware-independent logic.
//!
//! Everything here is `no_std`, free of `unsafe` and unit-tested on the host:
//! the management terminal (line editor, command parser, replies), decoding of
//! the CPU's identification registers, the Malta boot arguments, the device
//! tree summary and the report printed for an unexpected host exception.
//! The target-only code that feeds it real hardware values lives in
//! `src/main.rs` and `src/arch/`.
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
