// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_cpu_valid_without_fields.isa");

fn main() {}
