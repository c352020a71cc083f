//! `cargo xtask record-vectors`: records test vectors on QEMU (owned by the
//! test-vector work; placeholder until then).
pub fn run(args: &[String]) -> Result<(), String> {
    let _ = args;
    Err("record-vectors: not implemented yet".into())
}
