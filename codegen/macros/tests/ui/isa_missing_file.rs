// A spec that does not exist: a clear error naming the path.
codegen_macros::isa!("specs/no_such_file.isa");

fn main() {}
