// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_branch_without_offset.isa");

fn main() {}
