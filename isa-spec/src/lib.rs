//! The MIPS32r2 (24Kf) instruction set, generated from `mips32r2.isa` by
//! `codegen_macros::isa!`: the typed [`Insn`] enum, [`decode`] (what the CPU
//! executes), [`Insn::encode`], the objdump-syntax disassembler
//! ([`Insn::display`], [`disassemble`]) and the semantic accessors
//! (`control_flow`, `mem_access`, `is_privileged`, `isa_level`).
#![no_std]
#![forbid(unsafe_code)]

pub mod operand;
pub mod semantics;
pub use semantics::{Cond, ControlFlow, IsaLevel, MemAccess, MemKind};

use core::fmt;

/// A word the 24Kf does not execute (it raises Reserved Instruction, or
/// Coprocessor Unusable for an absent coprocessor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecodeError {
    pub word: u32,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reserved instruction 0x{:08x}", self.word)
    }
}

codegen_macros::isa!("mips32r2.isa");

/// [`Insn::display`]'s value: prints the instruction as objdump does.
#[derive(Clone, Copy, Debug)]
pub struct Display<'a> {
    insn: &'a Insn,
    pc: u32,
    aliases: bool,
}

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.insn.write_asm(f, self.pc, self.aliases)
    }
}

impl Insn {
    /// The instruction in GNU objdump syntax, as it prints it at address `pc`
    /// (branch targets are absolute); `aliases: false` is `-M no-aliases`.
    pub fn display(&self, pc: u32, aliases: bool) -> Display<'_> {
        Display { insn: self, pc, aliases }
    }
}

/// What objdump prints for `word` at `pc`: the instruction, or `.word 0x…`
/// for a word it cannot decode.
#[derive(Clone, Copy, Debug)]
pub struct Disassembly {
    word: u32,
    insn: Option<Insn>,
    pc: u32,
    aliases: bool,
}

impl fmt::Display for Disassembly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.insn {
            Some(insn) => insn.write_asm(f, self.pc, self.aliases),
            None => write!(f, ".word\t0x{:x}", self.word),
        }
    }
}

/// Disassembles one word exactly as `mipsel-linux-gnu-objdump -D -b binary
/// -m mips:isa32r2 -EL` does (the text after the word column).
pub fn disassemble(word: u32, pc: u32, aliases: bool) -> Disassembly {
    Disassembly { word, insn: decode_objdump(word), pc, aliases }
}

/// One instruction pattern of the spec, as [`PATTERNS`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub name: &'static str,
    /// Line in `mips32r2.isa`.
    pub line: u32,
    /// Fixed bits (`0`/`1`) and their values.
    pub mask: u32,
    pub value: u32,
    /// Bits the CPU ignores and objdump requires zero (`-`).
    pub ignored: u32,
    /// objdump prints it; the CPU raises Reserved Instruction.
    pub objdump_only: bool,
    /// The CPU executes it; objdump prints it differently.
    pub cpu_only: bool,
    /// The spec's `cpu-valid=RULE`: the CPU raises Reserved Instruction
    /// (and `decode` rejects the word) unless the operands pass RULE
    /// (`extsize`: lsb + msb <= 31; `inssize`: lsb <= msb).
    pub cpu_valid: Option<&'static str>,
}

/// An operand field of the spec (`fields::RT`): one contiguous run of
/// bits of the instruction word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldBits {
    /// The field's lowest bit.
    pub shift: u32,
    /// Its width in bits.
    pub width: u32,
}

impl FieldBits {
    /// The field's bits in place.
    pub const fn mask(&self) -> u32 {
        (u32::MAX >> (32 - self.width)) << self.shift
    }

    /// `value` in the field's place (its low `width` bits).
    #[inline]
    pub const fn put(&self, value: u32) -> u32 {
        (value << self.shift) & self.mask()
    }

    /// The field's value in `word`, shifted down.
    #[inline]
    pub const fn get(&self, word: u32) -> u32 {
        (word & self.mask()) >> self.shift
    }
}

impl Pattern {
    /// Whether `word` has this pattern's fixed bits (the CPU's view: `-`
    /// and operand bits are not looked at).
    #[inline]
    pub const fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }
}
