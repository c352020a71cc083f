// The spec is malformed on purpose; the .stderr file is the expected error.
codegen_macros::cp0!("specs/cp0_fast_skips_hook.cp0");

fn main() {}
