use super::*;

const PROFILE: &str = r#"
profile cpu "Tiny"
profile prid 0x1
profile tlb_entries 4
profile asid_mask 0xFF
profile entrylo_mask 0x03FFFFFF
profile reset_pc 0xBFC00000
profile bev_base 0xBFC00000
profile lladdr_shift 4
unlisted read=0xFFFFFFFF write=ignore
"#;

fn spec_with(extra: &str) -> String {
    format!("{PROFILE}{extra}")
}

fn error_of(text: &str) -> SpecError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Formats tokens the way `cargo expand` would, for readable comparisons.
fn pretty(tokens: TokenStream) -> String {
    tokens.to_string()
}

#[test]
fn the_real_spec_parses_and_generates() {
    let text = include_str!("../../../isa-spec/cp0-24kf.cp0");
    let spec = parse(text).expect("spec parses");
    assert!(spec.regs.iter().any(|r| r.name == "Status" && r.rd == 12 && r.sel == 0));
    let status = spec.regs.iter().find(|r| r.name == "Status").unwrap();
    assert_eq!(status.mask, 0x3678_FF1F);
    assert_eq!(spec.reserved, vec![(5, 5), (5, 6), (5, 7), (6, 6)]);
    assert_eq!(spec.unlisted_read, 0xFFFF_FFFF);
    assert!(generate(text).is_ok());
}

#[test]
fn register_and_field_generate_model_and_accessors() {
    let text = spec_with(
        "reg Status 12 0 reset=0x00400004 mask=0x3678FF1F\nfield Status.EXL 1\nfield Status.KSU 4:3\n",
    );
    let out = pretty(generate(&text).unwrap());
    assert!(out.contains("pub const STATUS : Cp0Reg = Cp0Reg { rd : 12 , sel : 0 }"), "{out}");
    assert!(out.contains("pub status : u32"), "{out}");
    assert!(out.contains("status : 0x0040_0004"), "{out}");
    assert!(out.contains("pub const STATUS_KSU : u32 = 0x0000_0018"), "{out}");
    // The accessor reads through the view, which holds the arithmetic.
    assert!(out.contains("pub fn status_ksu (& self) -> u32 { view :: Status (self . status) . ksu () }"), "{out}");
    assert!(out.contains("pub const fn ksu (self) -> u32 { (self . 0 >> 3) & 0x0000_0003 }"), "{out}");
    assert!(
        out.contains("pub const fn with_ksu (self , field : u32) -> Self { Self ((self . 0 & ! (0x0000_0003 << 3)) | ((field & 0x0000_0003) << 3)) }"),
        "{out}"
    );
    assert!(
        out.contains("(12 , 0) => self . cp0 . status = (self . cp0 . status & ! 0x3678_FF1F) | (value & 0x3678_FF1F)"),
        "{out}"
    );
}

#[test]
fn hooks_are_called_by_name() {
    let text = spec_with(
        "reg Random 1 0 reset=15 mask=0 read=random_read\n\
         reg Compare 11 0 reset=0 mask=0xFFFFFFFF write=compare_write\n\
         insn mtc0 { rt, rd, sel } -> mtc0\ninsn tlbwi -> tlbwi\n",
    );
    let out = pretty(generate(&text).unwrap());
    assert!(out.contains("(1 , 0) => crate :: hooks :: random_read (self)"), "{out}");
    assert!(out.contains("self . cp0 . compare = crate :: hooks :: compare_write (self , value , merged)"), "{out}");
    assert!(
        out.contains(":: isa_spec :: Insn :: Mtc0 { rt , rd , sel , .. } => crate :: hooks :: mtc0 (self , rt , rd , sel)"),
        "{out}"
    );
    assert!(out.contains(":: isa_spec :: Insn :: Tlbwi { .. } => crate :: hooks :: tlbwi (self)"), "{out}");
    // A read-only register without a hook ignores writes.
    assert!(out.contains("(1 , 0) => { }"), "{out}");
}

#[test]
fn aliases_and_reserved_registers() {
    let text = spec_with("reg TagLo 28 0 reset=0 mask=0xFFFFFCF6\nalias 28 2 TagLo\nreserved 5 5\n");
    let out = pretty(generate(&text).unwrap());
    assert!(out.contains("(28 , 0) | (28 , 2) => Some (self . taglo)"), "{out}");
    assert!(out.contains("(5 , 5) => return Err (ReservedCp0Reg (reg))"), "{out}");
    assert!(out.contains("_ => UNLISTED_READ"), "{out}");
}

#[test]
fn exception_table() {
    let text = spec_with(
        "exccode Int 0\nexccode TLBL 2 \"TLB miss, load\"\nexccode CpU 11\n\
         exception Interrupt Int vector=interrupt\n\
         exception TlbRefillLoad TLBL vector=refill sets=tlb\n\
         exception CoprocessorUnusable CpU vector=general sets=ce\n",
    );
    let out = pretty(generate(&text).unwrap());
    assert!(out.contains("TLBL = 2"), "{out}");
    assert!(out.contains("ExcCode :: TLBL => \"TLBL\""), "{out}");
    assert!(out.contains("ExcCode :: TLBL => \"TLB miss, load\""), "{out}");
    assert!(out.contains("ExcCode :: Int => \"Int\" ,"), "a code without a description is described by its name: {out}");
    assert!(out.contains("ExceptionKind :: TlbRefillLoad => crate :: VectorRule :: Refill"), "{out}");
    assert!(out.contains("pub fn sets_tlb (self) -> bool { matches ! (self , ExceptionKind :: TlbRefillLoad) }"), "{out}");
    assert!(out.contains("pub fn sets_ce (self) -> bool { matches ! (self , ExceptionKind :: CoprocessorUnusable) }"), "{out}");
}

#[test]
fn errors_name_the_line() {
    // PROFILE is 10 lines (the first is empty), so the extra text starts on line 11.
    let cases: &[(&str, &str)] = &[
        ("reg Index 0 0 reset=0 mask=0xF\nreg Index2 0 0 reset=0 mask=0\n", "(0, 0) is defined twice"),
        ("reg Index 0 0 reset=0\n", "needs reset= and mask="),
        ("reg Index 32 0 reset=0 mask=0\n", "rd 32 is out of range"),
        ("reg Index 0 8 reset=0 mask=0\n", "sel 8 is out of range"),
        ("reg Index 0 0 reset=0x1FFFFFFFF mask=0\n", "is not a 32-bit number"),
        ("field Nope.X 3\n", "unknown register `Nope`"),
        ("reg Index 0 0 reset=0 mask=0\nfield Index.X 1:3\n", "reversed"),
        ("alias 1 1 Nope\n", "unknown register `Nope`"),
        ("frobnicate\n", "unknown item `frobnicate`"),
        ("exception X Nope vector=general\n", "unknown exception code `Nope`"),
        ("exccode Int 0\nexception X Int vector=sideways\n", "unknown vector rule"),
        ("insn tlbwi tlbwi\n", "expected `insn"),
        ("exccode Int 0 \"interrupt\n", "expected `exccode NAME CODE"),
        ("exccode Int 0 interrupt\n", "expected `exccode NAME CODE"),
        ("exccode Int 0 \"\"\n", "expected `exccode NAME CODE"),
        ("reg Bad-Name 0 0 reset=0 mask=0\n", "not an identifier"),
        ("reg Type 0 0 reset=0 mask=0\n", "is a Rust keyword"),
        ("reg Index 0 0 reset=0 mask=0 write=fn\n", "is a Rust keyword"),
        ("reg Random 1 0 reset=0 mask=0 read=random_read fast=r\n", "would skip `Random`'s read hook `random_read`"),
        ("reg Index 0 0 reset=0 mask=0xF write=index_write fast=rw\n", "would skip `Index`'s write hook `index_write`"),
        ("reg EntryHi 10 0 reset=0 mask=0xFF view fast=rw\n", "on a `view` register"),
        ("reg Index 0 0 reset=0 mask=0xF fast=w\n", "expected `fast=r` or `fast=rw`"),
        ("reg Index 0 0 reset=0 mask=0xF fast=r fast=rw\n", "repeated option `fast`"),
    ];
    for (extra, message) in cases {
        let e = error_of(&spec_with(extra));
        assert!(e.message.contains(message), "{extra:?}: got {e}");
        assert!(e.line >= 11, "{extra:?}: line {}", e.line);
    }
    let e = error_of(&spec_with("reg Index 0 0 reset=0 mask=0xF\nreg Index2 0 0 reset=0 mask=0\n"));
    assert_eq!(e.line, 12);
}

#[test]
fn missing_profile_and_unlisted_rule_are_errors() {
    assert!(error_of("unlisted read=0 write=ignore\n").message.contains("missing `profile cpu`"));
    let no_rule = PROFILE.replace("unlisted read=0xFFFFFFFF write=ignore", "");
    assert!(error_of(&no_rule).message.contains("unlisted"));
}

#[test]
fn expand_reports_a_missing_file_as_compile_error() {
    let out = expand(quote!("no/such/file.cp0")).to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.contains("cannot read the CP0 spec"), "{out}");
}

#[test]
fn camel_case_names() {
    assert_eq!(camel("mfc0"), "Mfc0");
    assert_eq!(camel("tlbwi"), "Tlbwi");
    assert_eq!(camel("tlb_wi"), "TlbWi");
}

/// The code generated for the real spec, pretty-printed: reviewing this
/// snapshot is reviewing what `cargo expand` shows in the emulator.
#[test]
fn snapshot_of_the_generated_code() {
    let text = include_str!("../../../isa-spec/cp0-24kf.cp0");
    let file: syn::File = syn::parse2(generate(text).unwrap()).expect("generated code parses");
    insta::assert_snapshot!("cp0_24kf", prettyplease::unparse(&file));
}
