// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_reversed_field_range.isa");

fn main() {}
