use super::*;

const BASE: &str = r#"
field rs 25:21 gpr
field rt 20:16 gpr
field imm 15:0 signed dec
addiu 001001 ..... ..... ................ "addiu {rt},{rs},{imm}"
"#;

fn err(src: &str) -> String {
    generate(src).map(|_| ()).unwrap_err().render("t.isa")
}

#[test]
fn base_spec_generates() {
    let out = generate(BASE).unwrap().to_string();
    assert!(out.contains("Addiu"));
    assert!(out.contains("pub fn decode"));
}

#[test]
fn unknown_field_is_named() {
    let e = err(&format!("{BASE}lw 100011 ..... ..... ................ \"lw {{rt}},{{off}}({{rs}})\"\n"));
    assert_eq!(e, "t.isa:6: unknown field `off`");
}

#[test]
fn short_pattern_is_an_error() {
    let e = err(&format!("{BASE}foo 10001 ..... ..... ................ \"foo {{rt}},{{rs}},{{imm}}\"\n"));
    assert_eq!(e, "t.isa:6: pattern of `foo` has 31 bits, not 32");
}

#[test]
fn duplicate_name_is_an_error() {
    let e = err(&format!("{BASE}addiu 001000 ..... ..... ................ \"addi {{rt}},{{rs}},{{imm}}\"\n"));
    assert_eq!(e, "t.isa:6: duplicate instruction `addiu`");
}

#[test]
fn unintended_overlap_is_an_error() {
    let e = err(&format!("{BASE}li 001001 00000 ..... ................ \"li {{rt}},{{imm}}\"\n"));
    assert!(e.starts_with("t.isa:6: `li` overlaps `addiu` (line 5)"), "{e}");
}

#[test]
fn ordered_group_allows_overlap() {
    let src = r#"
field rt 20:16 gpr
field rs 25:21 gpr
field imm 15:0 signed dec
group {
li    001001 00000 ..... ................ "li {rt},{imm}"
addiu 001001 ..... ..... ................ "addiu {rt},{rs},{imm}"
}
"#;
    generate(src).unwrap();
}

#[test]
fn uncovered_operand_bits_are_an_error() {
    let e = err(&format!("{BASE}foo 000000 ..... ..... ................ \"foo {{rt}}\"\n"));
    assert_eq!(e, "t.isa:6: bits 25,24,23,22,21,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1,0 of `foo` are `.` but belong to no field");
}

#[test]
fn field_on_fixed_bits_is_an_error() {
    let e = err("field rt 20:16 gpr\nfoo 000000 00000 00000 ................ %rt \"foo\"\n");
    assert!(e.starts_with("t.isa:2: field `rt` (20,19,18,17,16) covers bits"), "{e}");
}

#[test]
fn split_fields_concatenate() {
    let f = parse::Field { name: "x".into(), ranges: vec![(20, 16), (10, 6)], signed: true, kind: "dec".into(), line: 1 };
    assert_eq!(f.width(), 10);
    assert_eq!(f.mask(), 0x001f_07c0);
    let e = extract(&f).to_string();
    assert!(e.contains("<< 5"), "{e}");
}

/// The code generated for a small spec, pretty-printed: what `cargo expand`
/// shows for `isa!`, and a review aid when the generator changes.
#[test]
fn generated_code_for_a_small_spec() {
    let src = include_str!("../../../isa-spec/tests/extra.isa");
    let file: syn::File = syn::parse2(generate(src).unwrap()).unwrap();
    insta::assert_snapshot!(prettyplease::unparse(&file));
}

/// Three one-instruction arms of one shape share an arm: the variant comes
/// from a `match` of constants, one or-pattern fills the operands.
#[test]
fn generated_decode_for_one_shape() {
    let src = r#"
field rs 25:21 gpr
field rt 20:16 gpr
field base 25:21 gpr
field imm 15:0 signed dec
field offset 15:0 signed dec
field rd 15:11 dec
field sel 2:0 dec
addi  001000 ..... ..... ................ "addi {rt},{rs},{imm}"
addiu 001001 ..... ..... ................ "addiu {rt},{rs},{imm}"
lw    100011 ..... ..... ................ "lw {rt},{offset}({base})"
mfc0  010000 00000 ..... ..... -------- ... "mfc0 {rt},{rd},{sel}"
mtc0  010000 00100 ..... ..... -------- ... "mtc0 {rt},{rd},{sel}"
"#;
    let file: syn::File = syn::parse2(generate(src).unwrap()).unwrap();
    let decode = file
        .items
        .into_iter()
        .find(|i| matches!(i, syn::Item::Fn(f) if f.sig.ident == "decode"))
        .expect("decode");
    let file = syn::File { shebang: None, attrs: vec![], items: vec![decode] };
    insta::assert_snapshot!(prettyplease::unparse(&file));
}
