//! Inputs and the hand-written reference for the decoder benchmark
//! (`benches/decode.rs`).
use isa_spec::PATTERNS;

/// Words per input.
pub const N: usize = 10_000_000;

/// SplitMix64, seeded: the same words on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u32
    }
}

/// `N` uniform random words.
pub fn uniform() -> Vec<u32> {
    let mut rng = Rng(1);
    (0..N).map(|_| rng.next_u32()).collect()
}

/// `N` `addiu` words with varying operands: a perfectly predictable stream,
/// which shows the decoders' cost without branch mispredictions.
pub fn predictable() -> Vec<u32> {
    (0..N as u32).map(|i| 0x2400_0000 | (i.wrapping_mul(2_654_435_761) & 0x03ff_ffff)).collect()
}

/// The words of the executable sections of a little-endian ELF32 file
/// (`.text`, `.vectors`…), repeated to `N` words: a real instruction
/// stream, in program order. `None` when the file cannot be read or is
/// not such an ELF.
pub fn elf_text(path: &std::path::Path) -> Option<Vec<u32>> {
    let b = std::fs::read(path).ok()?;
    let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?) as usize);
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?) as usize);
    if b.get(..6)? != b"\x7fELF\x01\x01" {
        return None;
    }
    let (shoff, shentsize, shnum) = (u32_at(0x20)?, u16_at(0x2e)?, u16_at(0x30)?);
    let mut text = Vec::new();
    for k in 0..shnum {
        let sh = shoff + k * shentsize;
        const PROGBITS: usize = 1;
        const EXECINSTR: usize = 4;
        if u32_at(sh + 4)? == PROGBITS && u32_at(sh + 8)? & EXECINSTR != 0 {
            let (off, size) = (u32_at(sh + 16)?, u32_at(sh + 20)?);
            text.extend(b.get(off..off + size)?.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))));
        }
    }
    if text.is_empty() {
        return None;
    }
    Some(text.iter().copied().cycle().take(N).collect())
}

/// Instruction mix of ordinary compiled code, in parts per thousand; the CP0
/// rows add up to 50 (5%).
const MIX: &[(&str, u32)] = &[
    ("addiu", 120),
    ("lw", 140),
    ("sw", 90),
    ("addu", 60),
    ("lui", 50),
    ("ori", 30),
    ("andi", 20),
    ("sll", 40),
    ("srl", 20),
    ("beq", 50),
    ("bne", 50),
    ("jal", 30),
    ("jr", 20),
    ("lbu", 30),
    ("sb", 20),
    ("lhu", 10),
    ("sh", 10),
    ("or", 30),
    ("and", 15),
    ("subu", 15),
    ("slt", 15),
    ("sltu", 20),
    ("sltiu", 15),
    ("mult", 5),
    ("mflo", 5),
    ("movn", 5),
    ("xor", 10),
    ("bltz", 5),
    ("bgez", 5),
    ("blez", 5),
    ("bgtz", 5),
    ("j", 10),
    ("jalr", 10),
    ("mfc0", 20),
    ("mtc0", 15),
    ("eret", 5),
    ("tlbwi", 3),
    ("tlbp", 2),
    ("cache", 3),
    ("di", 1),
    ("ei", 1),
];

/// `N` words drawn from `MIX`, with random operand fields.
pub fn realistic_mix() -> Vec<u32> {
    draw(MIX, 2)
}

/// `N` words drawn from the CP0 rows of `MIX` only (`mfc0` … `ei`, same
/// weights), with random operand fields: the words the hand-written CP0
/// `match` actually decodes, so both decoders do a full, unpredictable
/// dispatch (a like-for-like comparison on the CP0 subset).
pub fn cp0_only() -> Vec<u32> {
    let first = MIX.iter().position(|m| m.0 == "mfc0").expect("mfc0 row");
    draw(&MIX[first..], 4)
}

fn draw(rows: &[(&str, u32)], seed: u64) -> Vec<u32> {
    let total: u32 = rows.iter().map(|m| m.1).sum();
    let pats: Vec<_> = rows
        .iter()
        .map(|(name, weight)| (PATTERNS.iter().find(|p| p.name == *name).expect("pattern in spec"), *weight))
        .collect();
    let mut rng = Rng(seed);
    (0..N)
        .map(|_| {
            let mut pick = rng.next_u32() % total;
            let mut chosen = pats[0].0;
            for (p, w) in &pats {
                if pick < *w {
                    chosen = p;
                    break;
                }
                pick -= w;
            }
            chosen.value | (rng.next_u32() & !chosen.mask & !chosen.ignored)
        })
        .collect()
}

/// The CP0 subset, decoded by a hand-written `match` (the baseline the
/// generated decoder should stay within 2x of).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cp0Insn {
    Mfc0 { rt: u8, rd: u8, sel: u8 },
    Mtc0 { rt: u8, rd: u8, sel: u8 },
    Tlbr,
    Tlbwi,
    Tlbinv,
    Tlbinvf,
    Tlbwr,
    Tlbp,
    Eret,
    Deret,
    Wait,
    Di { rt: u8 },
    Ei { rt: u8 },
    Rdpgpr { rd: u8, rt: u8 },
    Wrpgpr { rd: u8, rt: u8 },
    Cache { base: u8, op: u8, offset: i16 },
    /// MT ASE; QEMU executes it on the 24Kf (see the spec).
    Mftr { rt: u8, rd: u8, u: bool, sel: u8, h: bool },
    Mttr { rt: u8, rd: u8, u: bool, sel: u8, h: bool },
}

#[inline]
pub fn cp0_match(w: u32) -> Option<Cp0Insn> {
    let rt = ((w >> 16) & 31) as u8;
    let rd = ((w >> 11) & 31) as u8;
    match w >> 26 {
        0x10 => match (w >> 21) & 31 {
            0x00 => Some(Cp0Insn::Mfc0 { rt, rd, sel: (w & 7) as u8 }),
            0x04 => Some(Cp0Insn::Mtc0 { rt, rd, sel: (w & 7) as u8 }),
            0x08 => Some(Cp0Insn::Mftr { rt, rd, u: w & 0x20 != 0, sel: (w & 7) as u8, h: w & 0x10 != 0 }),
            0x0c => Some(Cp0Insn::Mttr { rt, rd, u: w & 0x20 != 0, sel: (w & 7) as u8, h: w & 0x10 != 0 }),
            0x0a => Some(Cp0Insn::Rdpgpr { rd, rt }),
            0x0e => Some(Cp0Insn::Wrpgpr { rd, rt }),
            0x0b => match w & 0xffff {
                0x6000 => Some(Cp0Insn::Di { rt }),
                0x6020 => Some(Cp0Insn::Ei { rt }),
                _ => None,
            },
            0x10 => match w & 0x3f {
                0x01 => Some(Cp0Insn::Tlbr),
                0x02 => Some(Cp0Insn::Tlbwi),
                0x03 => Some(Cp0Insn::Tlbinv),
                0x04 => Some(Cp0Insn::Tlbinvf),
                0x06 => Some(Cp0Insn::Tlbwr),
                0x08 => Some(Cp0Insn::Tlbp),
                0x18 if w & 0x40 == 0 => Some(Cp0Insn::Eret), // bit 6: ERETNC, RI on the 24Kf
                0x1f => Some(Cp0Insn::Deret),
                0x20 => Some(Cp0Insn::Wait),
                _ => None,
            },
            _ => None,
        },
        0x2f => Some(Cp0Insn::Cache { base: ((w >> 21) & 31) as u8, op: rt, offset: w as u16 as i16 }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cp0_match_accepts_what_the_generated_decoder_accepts() {
        let mut rng = Rng(3);
        for k in 0..2_000_000 {
            let op = if k % 2 == 0 { 0x4000_0000 } else { 0xbc00_0000 }; // COP0, CACHE
            let w = (rng.next_u32() & 0x03ff_ffff) | op;
            assert_eq!(isa_spec::decode(w).is_ok(), cp0_match(w).is_some(), "{w:08x}");
        }
        for w in cp0_only() {
            assert!(cp0_match(w).is_some() && isa_spec::decode(w).is_ok(), "{w:08x}");
        }
    }
}
