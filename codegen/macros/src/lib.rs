//! Proc-macro shim over the `codegen` library: each macro hands its input
//! tokens to an ordinary function that is unit-tested on the host.
use proc_macro::TokenStream;

/// `isa!("file.isa")`: parses an ISA spec (path relative to the invoking
/// crate's `CARGO_MANIFEST_DIR`) and emits the typed instruction enum, the
/// decoder and the disassembler.
#[proc_macro]
pub fn isa(input: TokenStream) -> TokenStream {
    codegen::isa::expand(input.into()).into()
}

/// `cp0!("file.cp0")`: parses a CP0 register-file spec and emits the CP0
/// model and the privileged-instruction dispatch.
#[proc_macro]
pub fn cp0(input: TokenStream) -> TokenStream {
    codegen::cp0::expand(input.into()).into()
}
