// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::isa!("specs/isa_unknown_cpu_valid_rule.isa");

fn main() {}
