//! The typed form the emulator and the hypervisor rely on: operands, the
//! CPU view's ignored bits (QEMU 7.2), and the accessors generated from tags.
use isa_spec::{decode, Cond, ControlFlow, DecodeError, Insn, IsaLevel, MemAccess, MemKind};

fn ok(word: u32) -> Insn {
    match decode(word) {
        Ok(i) => i,
        Err(e) => panic!("{word:08x} must decode: {e}"),
    }
}

fn err(word: u32) {
    assert_eq!(decode(word), Err(DecodeError { word }), "{word:08x} must not decode");
}

#[test]
fn cp0_moves_ignore_bits_10_to_3() {
    // mtc0 $2, $12, 1 (IntCtl)
    assert_eq!(ok(0x4082_6001), Insn::Mtc0 { rt: 2, rd: 12, sel: 1 });
    // the same with junk in 10:3: QEMU executes it, objdump prints .word
    let junk = 0x4082_6001 | 0x7f8;
    assert_eq!(ok(junk), Insn::Mtc0 { rt: 2, rd: 12, sel: 1 });
    assert_eq!(ok(junk).ignored_bits(), 0x7f8);
    assert_eq!(isa_spec::disassemble(junk, 0, true).to_string(), format!(".word\t0x{junk:x}"));
    assert_eq!(ok(0x4008_6000), Insn::Mfc0 { rt: 8, rd: 12, sel: 0 });
    assert!(ok(0x4008_6000).is_privileged());
}

#[test]
fn co_operations_need_24_21_zero_and_ignore_20_6() {
    assert_eq!(ok(0x4200_0002), Insn::Tlbwi);
    assert_eq!(ok(0x4200_0002 | 0x001f_ffc0), Insn::Tlbwi);
    err(0x4220_0002); // bit 21 set
    assert_eq!(ok(0x4200_0001), Insn::Tlbr);
    assert_eq!(ok(0x4200_0006), Insn::Tlbwr);
    assert_eq!(ok(0x4200_0008), Insn::Tlbp);
    assert_eq!(ok(0x4200_0018), Insn::Eret);
    err(0x4200_0058); // ERETNC (bit 6) needs Release 5
    assert_eq!(ok(0x4200_001f), Insn::Deret);
    assert_eq!(ok(0x4200_0020), Insn::Wait);
    assert_eq!(ok(0x4200_0003), Insn::Tlbinv);
    err(0x4200_0011); // unknown function
    for w in [0x4200_0002, 0x4200_0018, 0x4200_0020] {
        assert!(ok(w).is_privileged());
        assert_eq!(ok(w).control_flow(), None);
    }
}

#[test]
fn di_and_ei_need_the_exact_low_half() {
    assert_eq!(ok(0x4162_6000), Insn::Di { rt: 2 });
    assert_eq!(ok(0x4162_6020), Insn::Ei { rt: 2 });
    err(0x4162_6001);
    err(0x4162_6021);
    assert_eq!(ok(0x4143_1000), Insn::Rdpgpr { rt: 3, rd: 2 });
    assert_eq!(ok(0x41c3_1000), Insn::Wrpgpr { rt: 3, rd: 2 });
    // MFTR/MTTR: QEMU executes them although the 24Kf has no MT.
    assert_eq!(ok(0x4102_1001).isa_level(), IsaLevel::Mt);
    assert!(ok(0x4182_1001).is_privileged());
}

#[test]
fn rdhwr_cache_sync_pref() {
    assert_eq!(ok(0x7c03_e83b), Insn::Rdhwr { rt: 3, rd: 29 });
    err(0x7c03_e87b); // sel != 0 needs Release 6
    let cache = ok(0xbc5f_0010);
    assert_eq!(cache, Insn::Cache { base: 2, op: 31, offset: 16 });
    assert!(cache.is_privileged());
    assert_eq!(
        cache.mem_access(),
        Some(MemAccess { kind: MemKind::NoData, width: 0, signed: false, base: 2, rt: 0, offset: 16 })
    );
    assert_eq!(ok(0x0000_000f), Insn::Sync { stype: 0 });
    assert!(!ok(0xcc5f_0000).is_privileged()); // pref
}

#[test]
fn branches_report_their_flow() {
    let flow = |w| ok(w).control_flow().expect("a branch");
    assert_eq!(
        flow(0x1043_fffe), // beq v0,v1,-8
        ControlFlow::Branch { cond: Cond::Eq, rs: 2, rt: 3, offset: -8, link: false, likely: false }
    );
    assert_eq!(
        flow(0x1443_0004), // bne
        ControlFlow::Branch { cond: Cond::Ne, rs: 2, rt: 3, offset: 16, link: false, likely: false }
    );
    assert_eq!(
        flow(0x0451_0001), // bgezal v0
        ControlFlow::Branch { cond: Cond::Gez, rs: 2, rt: 0, offset: 4, link: true, likely: false }
    );
    assert_eq!(
        flow(0x0452_0001), // bltzall v0
        ControlFlow::Branch { cond: Cond::Ltz, rs: 2, rt: 0, offset: 4, link: true, likely: true }
    );
    assert_eq!(
        flow(0x5840_0001), // blezl v0
        ControlFlow::Branch { cond: Cond::Lez, rs: 2, rt: 0, offset: 4, link: false, likely: true }
    );
    assert_eq!(
        flow(0x4505_0002), // bc1t $fcc1
        ControlFlow::Branch { cond: Cond::FpTrue { cc: 1 }, rs: 0, rt: 0, offset: 8, link: false, likely: false }
    );
    assert_eq!(flow(0x0c00_0010), ControlFlow::Jump { index: 0x10, link: true });
    assert_eq!(flow(0x0800_0010), ControlFlow::Jump { index: 0x10, link: false });
    assert_eq!(flow(0x0040_0008), ControlFlow::JumpReg { rs: 2, link_rd: None });
    assert_eq!(flow(0x0040_f809), ControlFlow::JumpReg { rs: 2, link_rd: Some(31) });
    assert_eq!(flow(0x0040_fc09), ControlFlow::JumpReg { rs: 2, link_rd: Some(31) }); // jalr.hb
    // blez/bgtz: QEMU ignores rt
    assert_eq!(flow(0x1843_0001), flow(0x1840_0001));
    err(0x0040_0048); // jr with a reserved hint
    assert_eq!(ok(0x2402_0005).control_flow(), None);
}

#[test]
fn loads_and_stores_report_their_access() {
    let mem = |w| ok(w).mem_access().expect("a memory access");
    let m = |kind, width, signed, base, rt, offset| MemAccess { kind, width, signed, base, rt, offset };
    assert_eq!(mem(0x8fbf_001c), m(MemKind::Load, 4, false, 29, 31, 28)); // lw ra,28(sp)
    assert_eq!(mem(0x8082_fffc), m(MemKind::Load, 1, true, 4, 2, -4)); // lb
    assert_eq!(mem(0x9082_0001), m(MemKind::Load, 1, false, 4, 2, 1)); // lbu
    assert_eq!(mem(0x8482_0002), m(MemKind::Load, 2, true, 4, 2, 2)); // lh
    assert_eq!(mem(0xa482_0002), m(MemKind::Store, 2, false, 4, 2, 2)); // sh
    assert_eq!(mem(0x8882_0003), m(MemKind::LoadLeft, 4, false, 4, 2, 3)); // lwl
    assert_eq!(mem(0x9882_0000), m(MemKind::LoadRight, 4, false, 4, 2, 0)); // lwr
    assert_eq!(mem(0xa882_0003), m(MemKind::StoreLeft, 4, false, 4, 2, 3)); // swl
    assert_eq!(mem(0xb882_0000), m(MemKind::StoreRight, 4, false, 4, 2, 0)); // swr
    assert_eq!(mem(0xc082_0000), m(MemKind::LoadLinked, 4, false, 4, 2, 0)); // ll
    assert_eq!(mem(0xe082_0000), m(MemKind::StoreConditional, 4, false, 4, 2, 0)); // sc
    assert_eq!(mem(0xc482_0008), m(MemKind::FpLoad, 4, false, 4, 2, 8)); // lwc1 $f2
    assert_eq!(mem(0xf482_0008), m(MemKind::FpStore, 8, false, 4, 2, 8)); // sdc1
    assert_eq!(mem(0xc882_0000), m(MemKind::Cp2Load, 4, false, 4, 2, 0)); // lwc2
    assert_eq!(ok(0x0043_1021).mem_access(), None); // addu
}

#[test]
fn objdump_only_forms_do_not_decode() {
    err(0x4200_0042 | 0x0200_0000 | 0x0100_0000); // c0 with bit 24: RI
    err(0x46c4_1000); // add.ps: the 24Kf has no paired single
    err(0x7800_0020); // MSA ld.b
    err(0x7c20_e810); // DSP addu.qb
    err(0x4800_0000); // COP2 mfc2: RI (lwc2 is CpU, see loads)
    assert_eq!(isa_spec::decode_objdump(0x46c4_1000).map(|i| i.name()), Some("add_ps"));
}

/// QEMU's gen_bitops: ext needs lsb + msbd <= 31, ins needs msb >= lsb;
/// otherwise RI. objdump prints them all.
#[test]
fn ext_and_ins_out_of_range_do_not_decode() {
    let ext = |lsb: u32, msbd: u32| 0x7C00_0000 | (6 << 21) | (5 << 16) | (msbd << 11) | (lsb << 6);
    let ins = |lsb: u32, msb: u32| 0x7C00_0004 | (6 << 21) | (5 << 16) | (msb << 11) | (lsb << 6);
    for lsb in 0..32 {
        for m in 0..32 {
            assert_eq!(decode(ext(lsb, m)).is_ok(), lsb + m <= 31, "ext lsb {lsb} msbd {m}");
            assert_eq!(decode(ins(lsb, m)).is_ok(), lsb <= m, "ins lsb {lsb} msb {m}");
        }
    }
    assert_eq!(ok(ext(4, 27)), Insn::Ext { rt: 5, rs: 6, lsb: 4, msb: 27 });
    err(ext(4, 28));
    err(ins(5, 4));
    assert_eq!(isa_spec::disassemble(ext(4, 28), 0, true).to_string(), "ext\ta1,a2,0x4,0x1d");
    assert_eq!(isa_spec::disassemble(ins(5, 4), 0, true).to_string(), "ins\ta1,a2,0x5,0x0");
}

#[test]
fn encode_inverts_decode() {
    for w in [0x4082_6001u32, 0x2402_fffb, 0x1043_fffe, 0x8fbf_001c, 0x7c43_1804, 0x4600_a085, 0x4c82_08a1] {
        let i = ok(w);
        assert_eq!(i.encode(), w, "{i:?}");
        assert_eq!(decode(i.encode()), Ok(i));
    }
    assert_eq!(ok(0x4082_67f9).encode(), 0x4082_6001);
    assert_eq!(Insn::Addiu { rs: 0, rt: 2, imm: -5 }.encode(), 0x2402_fffb);
    assert_eq!(Insn::Mtc0 { rt: 0, rd: 12, sel: 0 }.display(0, true).to_string(), "mtc0\tzero,c0_status");
}

#[test]
fn word_predicates_agree_with_the_decoded_tags() {
    use isa_spec::{is_no_effect_word, is_privileged_word, patterns};
    // Every COP0 and CACHE word with a spread of low bits, and a slice of all words.
    let cop0 = (0..1u32 << 16).map(|k| 0x4000_0000 | (k >> 6) << 16 | (k & 0x3F) << 5 | k & 7);
    let cache = (0..1u32 << 10).map(|k| 0xBC00_0000 | k << 16 | k);
    let slice = (0..=u32::MAX / 65_537).map(|k| k.wrapping_mul(65_537));
    for w in cop0.chain(cache).chain(slice) {
        if let Ok(insn) = decode(w) {
            assert_eq!(is_privileged_word(w), insn.is_privileged(), "{w:08x} {insn:?}");
        }
        if w >> 26 == 0x10 || w >> 26 == 0x2F {
            // Every COP0/CACHE word the objdump view knows is privileged.
            assert_eq!(is_privileged_word(w), isa_spec::decode_objdump(w).is_some_and(|i| i.is_privileged()) || decode(w).is_ok(), "{w:08x}");
        }
    }
    assert!(!is_privileged_word(0x0000_0000) && !is_privileged_word(0x2402_0001));
    // nop, ssnop, ehb (rs is ignored by the CPU); not sll zero,zero,2 or sll at,zero,0.
    for w in [0x0000_0000, 0x0000_0040, 0x0000_00C0, 0x03E0_00C0] {
        assert!(is_no_effect_word(w), "{w:08x}");
    }
    for w in [0x0000_0080, 0x0000_0800, 0x0001_0000, 0x0000_0001, 0x4200_0018] {
        assert!(!is_no_effect_word(w), "{w:08x}");
    }
    assert!(patterns::MTC0.matches(0x4082_6001 | 0x7F8) && !patterns::MFC0.matches(0x4082_6001));
    assert_eq!((patterns::TLBWR.mask, patterns::TLBWR.value), (0xFFE0_003F, 0x4200_0006));
}
