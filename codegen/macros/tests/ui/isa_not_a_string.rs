// The macro takes one string literal.
codegen_macros::isa!(mips32r2);

fn main() {}
