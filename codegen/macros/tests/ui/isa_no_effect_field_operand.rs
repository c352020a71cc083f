// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_no_effect_field_operand.isa");

fn main() {}
