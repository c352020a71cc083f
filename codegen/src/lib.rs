//! Spec parsers and code generators. The `codegen-macros` crate is a thin
//! proc-macro shim over these functions, so everything here is an ordinary
//! library, unit-tested on the host.
pub mod cp0;
pub mod isa;
pub mod spec;
