//! The MIPS32r2 (24Kf) instruction set, generated from `mips32r2.isa`.
#![no_std]

pub mod semantics;
pub use semantics::{Cond, ControlFlow, MemAccess, MemKind};
