// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::cp0!("specs/cp0_duplicate_name.cp0");

fn main() {}
