//! Snapshot of the disassembly of a fixed corpus: one word per spec pattern
//! (operand bits from a fixed mask) and a few hand-picked words, with and
//! without aliases. Review changes with `cargo insta review`.
use isa_spec::{disassemble, PATTERNS};

fn corpus() -> Vec<u32> {
    let mut words = vec![
        0x0000_0000, 0x0000_0040, 0x0000_00c0, 0x0000_0140, 0x03e0_0008, 0x0c00_0010, 0x1000_ffff, 0x0411_0004,
        0x2402_0005, 0x3402_ffff, 0x0040_1025, 0x0002_1023, 0x4080_6000, 0x4080_6008, 0x4200_0042, 0x4160_6000,
        0x4160_6020, 0x7c00_003b, 0x8fbf_001c, 0xafbf_001c, 0x0000_000f, 0x0000_040f, 0xffff_ffff,
    ];
    for p in PATTERNS {
        words.push(p.value | (0x1234_5678 & !p.mask & !p.ignored));
    }
    words
}

#[test]
fn corpus_disassembly() {
    let mut out = String::new();
    for (i, w) in corpus().into_iter().enumerate() {
        let pc = 0x8010_0000 + 4 * i as u32;
        out.push_str(&format!(
            "{pc:x}\t{w:08x}\t{}\t| {}\n",
            disassemble(w, pc, true),
            disassemble(w, pc, false)
        ));
    }
    insta::assert_snapshot!(out);
}
