//! Target-only code, one module per architecture.
pub mod mips;
