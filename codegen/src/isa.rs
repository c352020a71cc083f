//! The ISA spec (`*.isa`) parser and the generator of the typed instruction
//! enum, the decision-tree decoders, the encoder, the objdump-syntax
//! disassembler and the semantic accessors. The format is documented in
//! `isa-spec/README.md`.
//!
//! `expand` is what `codegen_macros::isa!` calls; `generate` maps spec text to
//! tokens and is what the unit tests exercise.
use crate::spec::{read_lines, SpecError};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

mod parse;
mod tree;

pub use parse::{Alias, Field, Insn, Part, Spec, Syntax, Tag};

/// `isa!("file.isa")`: reads the spec relative to the invoking crate's
/// `CARGO_MANIFEST_DIR` and expands it. Errors become `compile_error!`.
pub fn expand(input: TokenStream) -> TokenStream {
    let lit: syn::LitStr = match syn::parse2(input) {
        Ok(l) => l,
        Err(e) => return e.to_compile_error(),
    };
    let rel = lit.value();
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let path = std::path::Path::new(&dir).join(&rel);
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            // The path as written: the directory is the invoking crate's.
            let msg = format!("cannot read the ISA spec `{rel}` (relative to the crate's CARGO_MANIFEST_DIR): {e}");
            return syn::Error::new(lit.span(), msg).to_compile_error();
        }
    };
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or(rel);
    let path_str = path.to_string_lossy().into_owned();
    match generate(&src) {
        Ok(tokens) => quote! {
            /// The spec text; including it makes Cargo rebuild when the spec changes.
            #[allow(dead_code)]
            const ISA_SPEC_SOURCE: &str = include_str!(#path_str);
            #tokens
        },
        Err(e) => {
            let msg = e.render(&file);
            quote! {
                const _: &str = include_str!(#path_str);
                compile_error!(#msg);
            }
        }
    }
}

/// Parses spec text and generates the whole expansion.
pub fn generate(src: &str) -> Result<TokenStream, SpecError> {
    let spec = parse::parse(&read_lines(src)?)?;
    emit(&spec)
}

fn camel(name: &str) -> Ident {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c == '.' || c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Ident::new(&out, Span::call_site())
}

fn field_ident(f: &Field) -> Ident {
    Ident::new(&f.name, Span::call_site())
}

/// The Rust type holding a field's value.
fn field_type(f: &Field) -> TokenStream {
    let w = f.width();
    match (f.signed, w) {
        (false, 0..=1) if f.kind == "bool" => quote!(bool),
        (false, 0..=8) => quote!(u8),
        (false, 9..=16) => quote!(u16),
        (false, _) => quote!(u32),
        (true, 0..=8) => quote!(i8),
        (true, 9..=16) => quote!(i16),
        (true, _) => quote!(i32),
    }
}

/// Expression extracting field `f` from `word`.
fn extract(f: &Field) -> TokenStream {
    convert(f, raw(f))
}

/// Expression concatenating field `f`'s bit ranges of `word` into a `u32`.
fn raw(f: &Field) -> TokenStream {
    // Concatenate the ranges, most significant first, into a u32.
    let mut acc: Option<TokenStream> = None;
    for &(hi, lo) in &f.ranges {
        let rw = (hi - lo + 1) as u32;
        let mask = lit_u32(if rw == 32 { u32::MAX } else { (1u32 << rw) - 1 });
        let lo = unsuffixed(lo as u32);
        let part = if lo.to_string() == "0" { quote!((word & #mask)) } else { quote!(((word >> #lo) & #mask)) };
        let rw = unsuffixed(rw);
        acc = Some(match acc {
            None => part,
            Some(prev) => quote!((#prev << #rw) | #part),
        });
    }
    acc.unwrap_or_else(|| quote!(0u32))
}

/// Expression converting `raw`, field `f`'s bits as a `u32`, to the field's
/// type (sign-extended for `signed` fields).
fn convert(f: &Field, raw: TokenStream) -> TokenStream {
    let w = f.width();
    let ty = field_type(f);
    if f.signed {
        let sh = unsuffixed(32 - w as u32);
        quote!(((#raw << #sh) as i32 >> #sh) as #ty)
    } else if ty.to_string() == "bool" {
        quote!(#raw != 0)
    } else {
        quote!(#raw as #ty)
    }
}

/// Expression inserting the value of variable `f.name` into its bit positions.
fn insert(f: &Field) -> TokenStream {
    let id = field_ident(f);
    let w = f.width() as u32;
    let value = if f.signed { quote!((*#id as i32 as u32)) } else { quote!((*#id as u32)) };
    let mut parts = Vec::new();
    let mut consumed = 0u32;
    for &(hi, lo) in &f.ranges {
        let rw = (hi - lo + 1) as u32;
        let shift_in = w - consumed - rw;
        consumed += rw;
        let mask = lit_u32(if rw == 32 { u32::MAX } else { (1u32 << rw) - 1 });
        let v = if shift_in == 0 {
            quote!(#value)
        } else {
            let shift_in = unsuffixed(shift_in);
            quote!((#value >> #shift_in))
        };
        parts.push(if lo == 0 {
            quote!((#v & #mask))
        } else {
            let lo = unsuffixed(lo as u32);
            quote!(((#v & #mask) << #lo))
        });
    }
    quote!(#(#parts)|*)
}

/// A shift amount or other small number, printed without a type suffix.
fn unsuffixed(v: u32) -> proc_macro2::Literal {
    proc_macro2::Literal::u32_unsuffixed(v)
}

fn lit_u32(v: u32) -> proc_macro2::Literal {
    // Hex literals keep the generated code legible next to the spec's bit patterns.
    let s = format!("0x{v:08x}");
    s.parse::<proc_macro2::Literal>().expect("valid literal")
}

fn emit(spec: &Spec) -> Result<TokenStream, SpecError> {
    let mut variants = Vec::new();
    let mut encode_arms = Vec::new();
    let mut name_arms = Vec::new();
    let mut ignored_arms = Vec::new();
    let mut fmt_arms = Vec::new();
    let mut flow_arms = Vec::new();
    let mut mem_arms = Vec::new();
    let mut priv_arms = Vec::new();
    let mut isa_arms = Vec::new();
    let mut target_arms = Vec::new();

    for insn in &spec.insns {
        let v = camel(&insn.name);
        let fields: Vec<&Field> = insn.fields.iter().map(|&i| &spec.fields[i]).collect();
        let ids: Vec<Ident> = fields.iter().map(|f| field_ident(f)).collect();
        let tys: Vec<TokenStream> = fields.iter().map(|f| field_type(f)).collect();
        let doc = format!("`{}` (spec line {}): `{}`", insn.name, insn.line, insn.pattern_text());
        if fields.is_empty() {
            variants.push(quote!(#[doc = #doc] #v));
        } else {
            variants.push(quote!(#[doc = #doc] #v { #(#ids: #tys),* }));
        }
        let pat = if fields.is_empty() { quote!(Insn::#v) } else { quote!(Insn::#v { #(#ids),* }) };
        let pat_ignore = if fields.is_empty() { quote!(Insn::#v) } else { quote!(Insn::#v { .. }) };
        let fixed = lit_u32(insn.value);
        let inserts: Vec<TokenStream> = fields.iter().map(|f| insert(f)).collect();
        if inserts.is_empty() {
            encode_arms.push(quote!(#pat => #fixed,));
        } else {
            encode_arms.push(quote!(#pat => #fixed #(| #inserts)*,));
        }
        let name = &insn.name;
        name_arms.push(quote!(#pat_ignore => #name,));
        let ign = lit_u32(insn.ignored);
        if insn.ignored != 0 {
            ignored_arms.push(quote!(#pat_ignore => #ign,));
        }

        // Display: aliases first (in spec order), then the instruction's own syntax.
        let mut alias_code = Vec::new();
        for alias in spec.aliases.iter().filter(|a| a.insn == insn.index) {
            let conds: Vec<TokenStream> = alias
                .conds
                .iter()
                .map(|(fi, val)| {
                    let f = &spec.fields[*fi];
                    let id = field_ident(f);
                    match val {
                        parse::CondValue::Const(c) => {
                            let c = proc_macro2::Literal::i64_unsuffixed(*c);
                            quote!(*#id as i64 == #c)
                        }
                        parse::CondValue::Field(other) => {
                            let o = field_ident(&spec.fields[*other]);
                            quote!(*#id as i64 == *#o as i64)
                        }
                    }
                })
                .collect();
            let cond = if conds.is_empty() { quote!(true) } else { quote!(#(#conds)&&*) };
            let body = emit_syntax(spec, &alias.syntax);
            let gate = if alias.always { quote!(true) } else { quote!(aliases) };
            alias_code.push(quote! {
                if #gate && #cond {
                    return #body;
                }
            });
        }
        let body = emit_syntax(spec, &insn.syntax);
        let uses: Vec<TokenStream> = ids.iter().map(|i| quote!(let _ = #i;)).collect();
        fmt_arms.push(quote! {
            #pat => {
                #(#uses)*
                #(#alias_code)*
                #body
            }
        });

        // The absolute target objdump prints, from the syntax's branch/jump operand.
        let target_operand = insn.syntax.parts.iter().find_map(|p| match p {
            Part::Operand { kind, fields } if ["branch", "jump", "jumpx"].contains(&kind.as_str()) => {
                Some((kind.as_str(), field_ident(&spec.fields[fields[0]])))
            }
            _ => None,
        });
        if let Some((kind, f)) = target_operand {
            let target = match kind {
                "branch" => quote!(pc.wrapping_add(4).wrapping_add((*#f as i32 as u32) << 2)),
                "jump" => quote!((pc.wrapping_add(4) & 0xF000_0000) | ((*#f as u32) << 2)),
                _ => quote!((pc.wrapping_add(4) & 0xF000_0000) | ((*#f as u32) << 2) | 1),
            };
            target_arms.push(quote!(Insn::#v { #f, .. } => Some(#target),));
        }

        for tag in &insn.tags {
            match tag {
                Tag::Priv => priv_arms.push(quote!(#pat_ignore => true,)),
                Tag::Isa(level) => {
                    let l = camel(level);
                    isa_arms.push(quote!(#pat_ignore => IsaLevel::#l,));
                }
                Tag::Branch { cond, link, likely } => {
                    let get = |n: &str| -> TokenStream {
                        match insn.field_named(spec, n) {
                            Some(f) => {
                                let id = field_ident(f);
                                quote!(*#id as u8)
                            }
                            None => quote!(0),
                        }
                    };
                    let rs = get("rs");
                    let rt = get("rt");
                    let cc = get("cc");
                    let c = match cond.as_str() {
                        "eq" => quote!(Cond::Eq),
                        "ne" => quote!(Cond::Ne),
                        "lez" => quote!(Cond::Lez),
                        "gtz" => quote!(Cond::Gtz),
                        "ltz" => quote!(Cond::Ltz),
                        "gez" => quote!(Cond::Gez),
                        "fpt" => quote!(Cond::FpTrue { cc: #cc }),
                        "fpf" => quote!(Cond::FpFalse { cc: #cc }),
                        "cp2t" => quote!(Cond::Cp2True { cc: #cc }),
                        "cp2f" => quote!(Cond::Cp2False { cc: #cc }),
                        other => return Err(SpecError::new(insn.line, format!("unknown branch condition `{other}`"))),
                    };
                    let off = match insn.field_named(spec, "offset") {
                        Some(f) => {
                            let id = field_ident(f);
                            quote!((*#id as i32) << 2)
                        }
                        None => return Err(SpecError::new(insn.line, "a branch needs an `offset` field")),
                    };
                    let fp = if fields.is_empty() { quote!(Insn::#v) } else { quote!(Insn::#v { #(#ids),* }) };
                    let unused: Vec<TokenStream> = ids.iter().map(|i| quote!(let _ = #i;)).collect();
                    flow_arms.push(quote! {
                        #fp => {
                            #(#unused)*
                            Some(ControlFlow::Branch { cond: #c, rs: #rs, rt: #rt, offset: #off, link: #link, likely: #likely })
                        }
                    });
                }
                Tag::Jump { link } => {
                    let t = match insn.field_named(spec, "target") {
                        Some(f) => field_ident(f),
                        None => return Err(SpecError::new(insn.line, "a jump needs a `target` field")),
                    };
                    flow_arms.push(quote!(Insn::#v { #t, .. } => Some(ControlFlow::Jump { index: *#t as u32, link: #link }),));
                }
                Tag::JumpReg { link } => {
                    let rs = match insn.field_named(spec, "rs") {
                        Some(f) => field_ident(f),
                        None => return Err(SpecError::new(insn.line, "a register jump needs an `rs` field")),
                    };
                    if *link {
                        let rd = match insn.field_named(spec, "rd") {
                            Some(f) => field_ident(f),
                            None => return Err(SpecError::new(insn.line, "a linking register jump needs an `rd` field")),
                        };
                        flow_arms.push(quote!(Insn::#v { #rs, #rd, .. } => Some(ControlFlow::JumpReg { rs: *#rs, link_rd: Some(*#rd) }),));
                    } else {
                        flow_arms.push(quote!(Insn::#v { #rs, .. } => Some(ControlFlow::JumpReg { rs: *#rs, link_rd: None }),));
                    }
                }
                Tag::Mem { kind, width, signed } => {
                    let k = camel(kind);
                    let base = match insn.field_named(spec, "base") {
                        Some(f) => field_ident(f),
                        None => return Err(SpecError::new(insn.line, "a memory access needs a `base` field")),
                    };
                    let off = match insn.field_named(spec, "offset") {
                        Some(f) => {
                            let id = field_ident(f);
                            quote!(*#id as i16)
                        }
                        None => quote!(0),
                    };
                    let data = ["rt", "ft"].iter().find_map(|n| insn.field_named(spec, n));
                    let rt = match data {
                        Some(f) => {
                            let id = field_ident(f);
                            quote!(*#id as u8)
                        }
                        None => quote!(0),
                    };
                    let unused: Vec<TokenStream> = ids.iter().map(|i| quote!(let _ = #i;)).collect();
                    let fp = if fields.is_empty() { quote!(Insn::#v) } else { quote!(Insn::#v { #(#ids),* }) };
                    let w = proc_macro2::Literal::u8_unsuffixed(*width);
                    let _ = base;
                    let base_id = field_ident(insn.field_named(spec, "base").expect("checked above"));
                    mem_arms.push(quote! {
                        #fp => {
                            #(#unused)*
                            Some(MemAccess { kind: MemKind::#k, width: #w, signed: #signed, base: *#base_id, rt: #rt, offset: #off })
                        }
                    });
                }
                Tag::CpuValid(_) => {
                    if insn.field_named(spec, "lsb").is_none() || insn.field_named(spec, "msb").is_none() {
                        return Err(SpecError::new(insn.line, "`cpu-valid` needs `lsb` and `msb` fields"));
                    }
                }
                Tag::ObjdumpOnly | Tag::CpuOnly => {}
            }
        }
    }

    // `patterns::NAME`: each pattern by name (an index into `PATTERNS`).
    let pattern_consts: Vec<TokenStream> = spec
        .insns
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let id = Ident::new(&i.name.to_uppercase().replace(['.', '-'], "_"), Span::call_site());
            let doc = format!("`{}` (spec line {}).", i.name, i.line);
            quote!(#[doc = #doc] pub const #id: Pattern = PATTERNS[#k];)
        })
        .collect();
    // `fields::NAME`: each contiguous operand field's bits.
    let field_consts: Vec<TokenStream> = spec
        .fields
        .iter()
        .filter_map(|f| {
            let [(hi, lo)] = f.ranges[..] else { return None };
            let id = Ident::new(&f.name.to_uppercase(), Span::call_site());
            let doc = format!("Field `{}`: bits {hi}:{lo} (spec line {}).", f.name, f.line);
            let (shift, width) = (u32::from(lo), u32::from(hi - lo + 1));
            Some(quote!(#[doc = #doc] pub const #id: FieldBits = FieldBits { shift: #shift, width: #width };))
        })
        .collect();
    let is_priv_word = word_predicate(spec.insns.iter().filter(|i| i.has(&Tag::Priv)).map(|i| (i.mask, i.value)).collect());
    let is_no_effect_word = word_predicate(spec.aliases.iter().filter(|a| a.no_effect).map(|a| alias_word(spec, a)).collect());
    let pattern_rows: Vec<TokenStream> = spec
        .insns
        .iter()
        .map(|i| {
            let (name, line, mask, value, ignored) = (&i.name, i.line as u32, lit_u32(i.mask), lit_u32(i.value), lit_u32(i.ignored));
            let (od, co) = (i.has(&Tag::ObjdumpOnly), i.has(&Tag::CpuOnly));
            let valid = match i.tags.iter().find_map(|t| if let Tag::CpuValid(rule) = t { Some(rule) } else { None }) {
                Some(rule) => quote!(Some(#rule)),
                None => quote!(None),
            };
            quote!(Pattern { name: #name, line: #line, mask: #mask, value: #value, ignored: #ignored, objdump_only: #od, cpu_only: #co, cpu_valid: #valid },)
        })
        .collect();
    let decode_tree = tree::build(spec, tree::View::Cpu)?;
    let objdump_tree = tree::build(spec, tree::View::Objdump)?;

    Ok(quote! {
        /// One decoded instruction: a variant per spec instruction, operands named
        /// after the spec's fields.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Insn {
            #(#variants,)*
        }

        /// Decodes `word` as the 24Kf (QEMU 7.2) does: bits the CPU ignores are
        /// ignored, and a word the CPU would reject is an error.
        #[inline]
        pub fn decode(word: u32) -> Result<Insn, DecodeError> {
            #decode_tree
        }

        /// Decodes `word` as GNU objdump sees it (for the disassembler): bits the
        /// CPU ignores must be zero, and objdump-only forms are recognised.
        #[inline]
        pub fn decode_objdump(word: u32) -> Option<Insn> {
            #objdump_tree
        }

        /// Every spec pattern, in spec order (for tests, sweeps and tools).
        pub const PATTERNS: &[Pattern] = &[
            #(#pattern_rows)*
        ];

        /// Every spec pattern by name, in upper case (`patterns::MTC0`,
        /// `patterns::C_EQ_S`): its mask and value as `const`s.
        pub mod patterns {
            use super::{Pattern, PATTERNS};
            #(#pattern_consts)*
        }

        /// Every operand field made of one run of bits, by name in upper
        /// case (`fields::RT`).
        pub mod fields {
            use super::FieldBits;
            #(#field_consts)*
        }

        /// Whether `word` matches a `priv` pattern of the spec (its fixed
        /// bits; objdump-only ones included): the words that need CP0
        /// access, without decoding them.
        #[inline]
        pub fn is_privileged_word(word: u32) -> bool {
            #is_priv_word
        }

        /// Whether `word` is one of the spec's `no-effect` aliases (`nop`,
        /// `ssnop`, `ehb`: their fixed bits and fixed operands).
        #[inline]
        pub fn is_no_effect_word(word: u32) -> bool {
            #is_no_effect_word
        }

        impl Insn {
            /// The instruction word; bits the CPU ignores are zero.
            pub fn encode(&self) -> u32 {
                match self {
                    #(#encode_arms)*
                }
            }

            /// The spec name (`"mtc0"`).
            pub fn name(&self) -> &'static str {
                match self {
                    #(#name_arms)*
                }
            }

            /// The bits of the word the CPU ignores for this instruction (`-` in
            /// the spec); `encode` leaves them zero.
            pub fn ignored_bits(&self) -> u32 {
                #[allow(unreachable_patterns)]
                match self {
                    #(#ignored_arms)*
                    _ => 0,
                }
            }

            /// Branch or jump behaviour, from the spec's `branch`/`jump`/`jumpreg` tags.
            pub fn control_flow(&self) -> Option<ControlFlow> {
                #[allow(unreachable_patterns)]
                match self {
                    #(#flow_arms)*
                    _ => None,
                }
            }

            /// The absolute branch or jump target objdump prints for this
            /// instruction at `pc` (every instruction with a `branch`, `jump`
            /// or `jumpx` operand, including objdump-only ones).
            pub fn branch_target(&self, pc: u32) -> Option<u32> {
                let _ = pc;
                #[allow(unreachable_patterns)]
                match self {
                    #(#target_arms)*
                    _ => None,
                }
            }

            /// Memory access, from the spec's `mem` tags.
            pub fn mem_access(&self) -> Option<MemAccess> {
                #[allow(unreachable_patterns)]
                match self {
                    #(#mem_arms)*
                    _ => None,
                }
            }

            /// Whether the instruction needs CP0 access (kernel mode or Status.CU0).
            pub fn is_privileged(&self) -> bool {
                #[allow(unreachable_patterns)]
                match self {
                    #(#priv_arms)*
                    _ => false,
                }
            }

            /// The ISA level or extension that introduced the instruction.
            pub fn isa_level(&self) -> IsaLevel {
                #[allow(unreachable_patterns)]
                match self {
                    #(#isa_arms)*
                    _ => IsaLevel::Mips1,
                }
            }

            /// Writes the objdump text. `pc` is the instruction's address (branch
            /// targets are printed absolute); `aliases` as objdump without `-M no-aliases`.
            pub fn write_asm(&self, f: &mut core::fmt::Formatter<'_>, pc: u32, aliases: bool) -> core::fmt::Result {
                let _ = (pc, aliases);
                match self {
                    #(#fmt_arms)*
                }
            }
        }
    })
}

/// The code writing one syntax template; evaluates to `core::fmt::Result`.
fn emit_syntax(spec: &Spec, syn: &Syntax) -> TokenStream {
    let mnemonic = &syn.mnemonic;
    if syn.parts.is_empty() {
        return quote!(f.write_str(#mnemonic));
    }
    let head = format!("{}\t", syn.mnemonic);
    let mut stmts = vec![quote!(f.write_str(#head)?;)];
    for part in &syn.parts {
        match part {
            Part::Text(t) => stmts.push(quote!(f.write_str(#t)?;)),
            Part::Operand { kind, fields } => {
                let func = format_ident!("{}", kind);
                let args: Vec<TokenStream> = fields
                    .iter()
                    .map(|&i| {
                        let id = field_ident(&spec.fields[i]);
                        quote!(*#id as i64)
                    })
                    .collect();
                stmts.push(quote!(operand::#func(f, pc, #(#args),*)?;));
            }
        }
    }
    quote!({ #(#stmts)* Ok(()) })
}

#[cfg(test)]
mod tests;

/// The word an alias with constant operands fixes: (mask, value) over the
/// pattern's fixed bits and the operands' bits.
fn alias_word(spec: &Spec, alias: &Alias) -> (u32, u32) {
    let insn = &spec.insns[alias.insn];
    let (mut mask, mut value) = (insn.mask, insn.value);
    for (f, v) in &alias.conds {
        let parse::CondValue::Const(c) = v else { unreachable!("the parser allows `no-effect` only with constant operands") };
        let field = &spec.fields[*f];
        // Most significant range first: place the value's bits from the bottom.
        let mut c = *c as u64;
        for &(hi, lo) in field.ranges.iter().rev() {
            let width = u32::from(hi - lo + 1);
            let bits = (c & ((1u64 << width) - 1)) as u32;
            mask |= (((1u64 << width) - 1) as u32) << lo;
            value |= bits << lo;
            c >>= width;
        }
    }
    (mask, value)
}

/// `(word & mask) == value` for any of `pats`, as a `match` on the
/// primary opcode (bits 31:26) and then on bits 25:21 (a jump table each),
/// leaving the remaining fixed bits of the patterns there to test; a
/// pattern that does not fix the opcode is tested first on its own.
fn word_predicate(pats: Vec<(u32, u32)>) -> TokenStream {
    const OP: u32 = 0xFC00_0000;
    const RS: u32 = 0x03E0_0000;
    if pats.is_empty() {
        return quote!(let _ = word; false);
    }
    let test = |m: u32, v: u32| {
        let (m, v) = (lit_u32(m), lit_u32(v));
        quote!(word & #m == #v)
    };
    let loose: Vec<TokenStream> = pats.iter().filter(|&&(m, _)| m & OP != OP).map(|&(m, v)| test(m, v)).collect();
    // opcode -> bits 25:21 -> what is left to test (None: nothing, a match).
    type Left = Vec<Option<(u32, u32)>>;
    let mut ops: std::collections::BTreeMap<u32, Vec<Left>> = Default::default();
    for &(m, v) in pats.iter().filter(|&&(m, _)| m & OP == OP) {
        let arms = ops.entry(v >> 26).or_insert_with(|| vec![Vec::new(); 32]);
        for (rs, rest) in arms.iter_mut().enumerate() {
            if (rs as u32) << 21 & m == v & RS & m {
                let left = m & !(OP | RS);
                let t = (left != 0).then_some((left, v & left));
                if !rest.contains(&t) {
                    rest.push(t);
                }
            }
        }
    }
    let op_arms = ops.iter().map(|(&op, arms)| {
        // Bits 25:21 values with the same tests share an arm.
        let mut groups: Vec<(Vec<u32>, TokenStream)> = Vec::new();
        for (rs, rest) in arms.iter().enumerate() {
            if rest.is_empty() {
                continue;
            }
            let body = if rest.contains(&None) {
                quote!(true)
            } else {
                let tests = rest.iter().flatten().map(|&(m, v)| test(m, v));
                quote!(#(#tests)||*)
            };
            match groups.iter_mut().find(|(_, b)| b.to_string() == body.to_string()) {
                Some((values, _)) => values.push(rs as u32),
                None => groups.push((vec![rs as u32], body)),
            }
        }
        let inner = if groups.len() == 1 && groups[0].0.len() == 32 {
            groups[0].1.clone()
        } else {
            let rs_arms = groups.iter().map(|(values, body)| quote!(#(#values)|* => #body,));
            quote!(match (word >> 21) & 0x1F { #(#rs_arms)* _ => false })
        };
        quote!(#op => #inner,)
    });
    quote!(#(#loose ||)* match word >> 26 { #(#op_arms)* _ => false })
}
