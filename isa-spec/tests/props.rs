//! Property tests of the generated decoder (seeded, bounded): any word into
//! `decode`, `decode_objdump`, `disassemble` and the semantic accessors never
//! panics, and what they return agrees with the word and with each other.
//!
//! Words are drawn half uniformly, half from a random spec pattern with random
//! operand and ignored bits (so every instruction is reached, not only the
//! dense opcode spaces). Fixed seed: a failure reproduces on every run.
use core::fmt::Write;
use isa_spec::{decode, decode_objdump, disassemble, ControlFlow, Insn, MemKind, PATTERNS};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

const CASES: u32 = 20_000;

fn config(seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A uniform word, or a word matching a random spec pattern.
fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        (0..PATTERNS.len(), any::<u32>()).prop_map(|(i, r)| {
            let p = &PATTERNS[i];
            p.value | (r & !p.mask)
        }),
    ]
}

/// PCs including the ends of the address space, where target arithmetic wraps.
fn pc() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>().prop_map(|p| p & !3), (0u32..64).prop_map(|k| 0u32.wrapping_sub(4 * k)), (0u32..64).prop_map(|k| 4 * k)]
}

fn text(insn: &Insn, pc: u32, aliases: bool) -> String {
    let mut s = String::new();
    write!(s, "{}", insn.display(pc, aliases)).expect("formatting an instruction cannot fail");
    s
}

proptest! {
    #![proptest_config(config(0x0024_CF01))]

    /// `decode`: no panic; a decoded word re-encodes to itself with the
    /// ignored bits cleared, decodes back to the same instruction, matches a
    /// CPU pattern of the same name, and prints as something.
    #[test]
    fn decode_reencodes_and_prints(w in word(), pc in pc(), aliases in any::<bool>()) {
        let Ok(insn) = decode(w) else { return Ok(()) };
        let ignored = insn.ignored_bits();
        let e = insn.encode();
        prop_assert_eq!(e, w & !ignored, "{:08x}: {:?}", w, insn);
        prop_assert_eq!(decode(e), Ok(insn), "{:08x} re-encoded as {:08x}", w, e);
        // Flipping ignored bits changes nothing the CPU sees.
        prop_assert_eq!(decode(w ^ ignored), Ok(insn), "{:08x}: ignored bits {:08x} matter", w, ignored);
        let name = insn.name();
        prop_assert!(!name.is_empty());
        prop_assert!(
            PATTERNS.iter().any(|p| p.name == name && !p.objdump_only && w & p.mask == p.value),
            "{:08x}: no CPU pattern named `{}` matches", w, name
        );
        let t = text(&insn, pc, aliases);
        prop_assert!(!t.is_empty() && !t.starts_with(char::is_whitespace), "{:08x}: text {:?}", w, t);
        let _ = insn.is_privileged();
        let _ = insn.isa_level();
    }

    /// `decode_objdump` and `disassemble`: no panic, exact re-encoding, and
    /// text for every word (`.word 0x…` for what objdump cannot decode).
    #[test]
    fn objdump_view_reencodes_exactly_and_prints(w in word(), pc in pc(), aliases in any::<bool>()) {
        if let Some(insn) = decode_objdump(w) {
            prop_assert_eq!(insn.encode(), w, "{:08x}: {:?}", w, insn);
            prop_assert!(!text(&insn, pc, aliases).is_empty());
        }
        let mut s = String::new();
        write!(s, "{}", disassemble(w, pc, aliases)).expect("formatting cannot fail");
        prop_assert!(!s.is_empty());
        if decode_objdump(w).is_none() {
            prop_assert_eq!(s, format!(".word\t0x{:x}", w));
        }
    }

    /// `control_flow`, `mem_access` and `branch_target` agree with the word
    /// and with each other, and target arithmetic wraps (no overflow panic
    /// at any PC).
    #[test]
    fn semantics_agree_with_the_word(w in word(), pc in pc()) {
        let Ok(insn) = decode(w) else { return Ok(()) };
        let cf = insn.control_flow();
        let mem = insn.mem_access();
        prop_assert!(cf.is_none() || mem.is_none(), "{:08x}: both a branch and a memory access", w);
        let target = insn.branch_target(pc);
        match cf {
            Some(ControlFlow::Branch { rs, rt, offset, .. }) => {
                prop_assert!(rs < 32 && rt < 32);
                // In bytes: the word's 16-bit offset times 4.
                prop_assert_eq!(offset, i32::from(w as u16 as i16) * 4, "{:08x}: branch offset", w);
                let expect = pc.wrapping_add(4).wrapping_add(offset as u32);
                prop_assert_eq!(target, Some(expect), "{:08x} at {:08x}", w, pc);
            }
            Some(ControlFlow::Jump { index, .. }) => {
                prop_assert_eq!(index, w & 0x03FF_FFFF, "{:08x}: jump index", w);
                let region = (pc.wrapping_add(4) & 0xF000_0000) | (index << 2);
                prop_assert!(target == Some(region) || target == Some(region | 1), "{:08x} at {:08x}: {:?}", w, pc, target);
            }
            Some(ControlFlow::JumpReg { rs, link_rd }) => {
                prop_assert_eq!(u32::from(rs), (w >> 21) & 31);
                if let Some(rd) = link_rd {
                    prop_assert_eq!(u32::from(rd), (w >> 11) & 31);
                }
                prop_assert_eq!(target, None, "{:08x}: a register jump has no static target", w);
            }
            None => prop_assert_eq!(target, None, "{:08x}: {:?} has a target but no control flow", w, insn),
        }
        if let Some(m) = mem {
            prop_assert!(matches!(m.width, 0 | 1 | 2 | 4 | 8), "{:08x}: width {}", w, m.width);
            prop_assert!(m.base < 32 && m.rt < 32);
            prop_assert_eq!(u32::from(m.base), (w >> 21) & 31, "{:08x}: base", w);
            prop_assert!(!m.signed || matches!(m.kind, MemKind::Load | MemKind::LoadLinked), "{:08x}: {:?}", w, m);
            // COP1X (lwxc1, sdxc1, ...) is indexed: base + index, offset 0.
            if w >> 26 == 0x13 {
                prop_assert_eq!(m.offset, 0, "{:08x}: indexed access with an offset", w);
            } else {
                prop_assert_eq!(m.offset, w as u16 as i16, "{:08x}: offset", w);
            }
        }
        if insn.is_privileged() {
            // COP0 space (mtc0, tlbwi, eret, di, mftr, ...) or CACHE.
            prop_assert!(matches!(w >> 26, 0x10 | 0x2F), "{:08x}: {} is privileged outside COP0/CACHE", w, insn.name());
        }
    }
}
