// A spec that does not exist: a clear error naming the path.
codegen_macros::cp0!("specs/no_such_file.cp0");

fn main() {}
