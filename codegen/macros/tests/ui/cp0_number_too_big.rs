// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::cp0!("specs/cp0_number_too_big.cp0");

fn main() {}
