// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::cp0!("specs/cp0_debug_exception_sets.cp0");

fn main() {}
