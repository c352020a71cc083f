//! A second, small spec goes through the same `isa!` macro: adding an
//! instruction is editing a spec file, nothing else.
mod extra {
    use isa_spec::{operand, ControlFlow, DecodeError, FieldBits, IsaLevel, MemAccess, MemKind, Pattern};
    codegen_macros::isa!("tests/extra.isa");

    pub struct Text(pub Insn, pub u32, pub bool);
    impl core::fmt::Display for Text {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            self.0.write_asm(f, self.1, self.2)
        }
    }
}

use extra::{decode, Insn, Text, PATTERNS};

#[test]
fn the_extra_instruction_decodes_encodes_and_prints() {
    let word = 0x7062_1810; // add4 v1,v1,v0
    let insn = decode(word).unwrap();
    assert_eq!(insn, Insn::Add4 { rd: 3, rs: 3, rt: 2 });
    assert_eq!(insn.encode(), word);
    assert_eq!(insn.name(), "add4");
    assert_eq!(insn.isa_level(), isa_spec::IsaLevel::Mips32r2);
    assert_eq!(Text(insn, 0, true).to_string(), "add4\tv1,v1,v0");
    assert_eq!(PATTERNS.len(), 4);
}

#[test]
fn the_rest_of_the_small_spec_works_too() {
    assert_eq!(Text(decode(0x2402_0005).unwrap(), 0, true).to_string(), "li\tv0,5");
    assert_eq!(Text(decode(0x2402_0005).unwrap(), 0, false).to_string(), "addiu\tv0,zero,5");
    let lw = decode(0x8fa2_0010).unwrap();
    assert_eq!(lw.mem_access().unwrap().offset, 16);
    assert!(decode(0x4200_0002).unwrap().is_privileged());
    // Bits 20:6 of tlbwi are ignored by the CPU.
    assert_eq!(decode(0x4200_0042), Ok(Insn::Tlbwi));
    assert!(decode(0x7062_1811).is_err());
}
