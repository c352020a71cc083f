//! `cargo xtask disasm`: the command-line disassembler (owned by the ISA work).
pub fn run(args: &[String]) -> Result<(), String> {
    let _ = args;
    Err("disasm: not implemented yet".into())
}
