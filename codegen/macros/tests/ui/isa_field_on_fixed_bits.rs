// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_field_on_fixed_bits.isa");

fn main() {}
