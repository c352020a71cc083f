//! The decision tree: nested `match`es on the bit runs every remaining pattern
//! fixes, down to one pattern (or an ordered group), checked against its
//! remaining fixed bits.
use super::parse::{Spec, Tag};
use super::{camel, convert, extract, field_ident, lit_u32, raw};
use crate::spec::SpecError;
use proc_macro2::TokenStream;
use quote::quote;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// What the CPU (QEMU's 24Kf) executes: `-` bits ignored, objdump-only forms absent.
    Cpu,
    /// What objdump prints: `-` bits must be zero, cpu-only forms absent.
    Objdump,
}

#[derive(Clone, Copy, Debug)]
struct Pat {
    mask: u32,
    value: u32,
    insn: usize,
    group: Option<usize>,
    /// Fixed bits inside an enclosing `match` run that this pattern does not
    /// fully fix; still to be checked at the leaf.
    pending: u32,
}

fn patterns(spec: &Spec, view: View) -> Vec<Pat> {
    spec.insns
        .iter()
        .filter(|i| match view {
            View::Cpu => !i.has(&Tag::ObjdumpOnly),
            View::Objdump => !i.has(&Tag::CpuOnly),
        })
        .map(|i| Pat {
            mask: match view {
                View::Cpu => i.mask,
                View::Objdump => i.mask | i.ignored,
            },
            value: i.value,
            insn: i.index,
            group: i.group,
            pending: 0,
        })
        .collect()
}

fn overlap(a: &Pat, b: &Pat) -> bool {
    (a.value ^ b.value) & a.mask & b.mask == 0
}

/// Unintended overlaps (two patterns matching one word, outside one ordered
/// group) are spec errors, in either view.
pub fn check_overlaps(spec: &Spec) -> Result<(), SpecError> {
    for view in [View::Cpu, View::Objdump] {
        let pats = patterns(spec, view);
        for (k, b) in pats.iter().enumerate() {
            for a in &pats[..k] {
                if overlap(a, b) && (a.group.is_none() || a.group != b.group) {
                    let (ia, ib) = (&spec.insns[a.insn], &spec.insns[b.insn]);
                    return Err(SpecError::new(
                        ib.line,
                        format!(
                            "`{}` overlaps `{}` (line {}){}; put both in one `group {{ }}` if that is intended",
                            ib.name,
                            ia.name,
                            ia.line,
                            if view == View::Objdump { " as objdump sees them" } else { "" }
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn build(spec: &Spec, view: View) -> Result<TokenStream, SpecError> {
    let pats = patterns(spec, view);
    Ok(node(spec, view, &pats, 0))
}

fn fail(view: View) -> TokenStream {
    match view {
        View::Cpu => quote!(Err(DecodeError { word })),
        View::Objdump => quote!(None),
    }
}

/// `Insn::Name { field: value, .. }` with each field's value from `value_of`.
fn variant(spec: &Spec, insn: usize, value_of: impl Fn(usize) -> TokenStream) -> TokenStream {
    let i = &spec.insns[insn];
    let v = camel(&i.name);
    let fields: Vec<TokenStream> = i
        .fields
        .iter()
        .map(|&fi| {
            let id = field_ident(&spec.fields[fi]);
            let e = value_of(fi);
            quote!(#id: #e)
        })
        .collect();
    if fields.is_empty() {
        quote!(Insn::#v)
    } else {
        quote!(Insn::#v { #(#fields),* })
    }
}

fn wrap(view: View, value: TokenStream) -> TokenStream {
    match view {
        View::Cpu => quote!(Ok(#value)),
        View::Objdump => quote!(Some(#value)),
    }
}

fn leaf(spec: &Spec, view: View, insn: usize) -> TokenStream {
    let value = variant(spec, insn, |fi| extract(&spec.fields[fi]));
    match view {
        View::Cpu => match cpu_validity(spec, insn) {
            Some(valid) => quote!(if #valid { Ok(#value) } else { Err(DecodeError { word }) }),
            None => quote!(Ok(#value)),
        },
        View::Objdump => quote!(Some(#value)),
    }
}

/// The condition a `cpu-valid=RULE` tag puts on the operands (QEMU raises
/// RI when it fails), or `None` without such a tag.
fn cpu_validity(spec: &Spec, insn: usize) -> Option<TokenStream> {
    let i = &spec.insns[insn];
    let rule = i.tags.iter().find_map(|t| match t {
        Tag::CpuValid(rule) => Some(rule.as_str()),
        _ => None,
    })?;
    // Both fields exist: checked with the other tags before the tree is built.
    let lsb = extract(i.field_named(spec, "lsb")?);
    let msb = extract(i.field_named(spec, "msb")?);
    Some(match rule {
        "extsize" => quote!((#lsb) + (#msb) <= 31),
        _ => quote!((#lsb) <= (#msb)),
    })
}

/// Tests `word` against a pattern's fixed bits not yet known from the enclosing matches.
fn check(p: &Pat, known: u32, then: TokenStream, otherwise: TokenStream) -> TokenStream {
    let m = p.mask & (!known | p.pending);
    if m == 0 {
        return then;
    }
    let mm = lit_u32(m);
    let vv = lit_u32(p.value & m);
    quote!(if word & #mm == #vv { #then } else { #otherwise })
}

/// The most significant contiguous run of set bits in `m`, as (hi, lo).
fn top_run(m: u32) -> (u32, u32) {
    let hi = 31 - m.leading_zeros();
    let mut lo = hi;
    while lo > 0 && m & (1 << (lo - 1)) != 0 {
        lo -= 1;
    }
    (hi, lo)
}

fn node(spec: &Spec, view: View, pats: &[Pat], known: u32) -> TokenStream {
    match pats {
        [] => return fail(view),
        [p] => return check(p, known, leaf(spec, view, p.insn), fail(view)),
        _ => {}
    }
    let common = pats.iter().fold(u32::MAX, |m, p| m & p.mask) & !known;
    let split = if common != 0 {
        common
    } else {
        // No bit is fixed by all: split on the run most patterns fix; the
        // others go down every arm (keeping spec order, which decides within
        // an ordered group). With nothing left to split on, the patterns
        // overlap (an ordered group, checked at parse time): first listed wins.
        let mut best = (0usize, 0u32);
        for p in pats {
            let m = p.mask & !known;
            if m == 0 {
                continue;
            }
            let (hi, lo) = top_run(m);
            let run = (((1u64 << (hi - lo + 1)) - 1) as u32) << lo;
            let count = pats.iter().filter(|q| q.mask & run == run).count();
            if count > best.0 {
                best = (count, run);
            }
        }
        if best.0 == 0 {
            let mut out = fail(view);
            for p in pats.iter().rev() {
                out = check(p, known, leaf(spec, view, p.insn), out);
            }
            return out;
        }
        best.1
    };
    let (hi, lo) = top_run(split);
    let run_mask = (((1u64 << (hi - lo + 1)) - 1) as u32) << lo;
    let width_mask = lit_u32(run_mask >> lo);
    let mut values: Vec<u32> = pats
        .iter()
        .filter(|p| p.mask & run_mask == run_mask)
        .map(|p| (p.value & run_mask) >> lo)
        .collect();
    values.sort_unstable();
    values.dedup();
    let rest: Vec<Pat> = pats
        .iter()
        .filter(|p| p.mask & run_mask != run_mask)
        .map(|p| Pat { pending: p.pending | (p.mask & run_mask), ..*p })
        .collect();
    let lo_lit = proc_macro2::Literal::u32_unsuffixed(lo);
    let sel = if lo == 0 { quote!(word & #width_mask) } else { quote!((word >> #lo_lit) & #width_mask) };
    // Arms that end in one instruction are grouped by shape (the same
    // remaining check, operands from the same bits into the same types), so
    // the dispatch has one target per shape instead of one per instruction
    // (fewer to mispredict). One arm per shape extracts the operands once;
    // a pair picks its variant with a two-way inner `match` (a conditional
    // move), three or more through `template_arm` (a table load). Other
    // forms measured slower (BENCHMARKS.md, decoder).
    let mut arms = Vec::new();
    let mut shapes: Vec<(Shape, Vec<(u32, usize)>)> = Vec::new();
    for v in values {
        let mut sub: Vec<Pat> = pats
            .iter()
            .filter(|p| p.mask & run_mask == run_mask && (p.value & run_mask) >> lo == v)
            .copied()
            .collect();
        sub.extend(rest.iter().copied());
        sub.sort_by_key(|p| p.insn);
        if let [p] = sub[..] {
            if let Some(shape) = shape(spec, view, &p, known | run_mask) {
                match shapes.iter_mut().find(|(s, _)| *s == shape) {
                    Some((_, members)) => members.push((v, p.insn)),
                    None => shapes.push((shape, vec![(v, p.insn)])),
                }
                continue;
            }
        }
        let body = node(spec, view, &sub, known | run_mask);
        let lit = lit_u32(v);
        arms.push((v, quote!(#lit => #body,)));
    }
    for (shape, members) in shapes {
        let v0 = members[0].0;
        let lits: Vec<_> = members.iter().map(|&(v, _)| lit_u32(v)).collect();
        let body = if let [(_, insn)] = members[..] {
            shape.check(view, leaf(spec, view, insn))
        } else if members.len() > 2 {
            template_arm(spec, view, &shape, &members, &sel)
        } else {
            let binds: Vec<TokenStream> = spec.insns[members[0].1]
                .fields
                .iter()
                .enumerate()
                .map(|(k, &fi)| {
                    let id = quote::format_ident!("op{}", k);
                    let raw = raw(&spec.fields[fi]);
                    quote!(let #id = #raw;)
                })
                .collect();
            let n = members.len();
            let inner: Vec<TokenStream> = members
                .iter()
                .enumerate()
                .map(|(k, &(v, insn))| {
                    let value = variant(spec, insn, |fi| {
                        let k = spec.insns[insn].fields.iter().position(|&f| f == fi).expect("field of the insn");
                        let f = &spec.fields[fi];
                        let id = quote::format_ident!("op{}", k);
                        convert(f, quote!(#id))
                    });
                    let value = wrap(view, value);
                    // The last arm is the catch-all (the outer arm admits only these values).
                    if k + 1 == n {
                        quote!(_ => #value,)
                    } else {
                        let lit = lit_u32(v);
                        quote!(#lit => #value,)
                    }
                })
                .collect();
            shape.check(
                view,
                quote! {{
                    #(#binds)*
                    match #sel {
                        #(#inner)*
                    }
                }},
            )
        };
        arms.push((v0, quote!(#(#lits)|* => #body,)));
    }
    arms.sort_by_key(|a| a.0);
    let arms = arms.into_iter().map(|a| a.1);
    let default = node(spec, view, &rest, known | run_mask);
    quote! {
        match #sel {
            #(#arms)*
            _ => #default,
        }
    }
}

/// One arm for three or more one-instruction leaves of one shape: the
/// variant with zero operands is picked by a `match` whose arms are
/// constants (LLVM makes that a table load, not a jump), then one
/// or-pattern over the variants (their operands have the same types and
/// layout) fills in the operands.
fn template_arm(spec: &Spec, view: View, shape: &Shape, members: &[(u32, usize)], sel: &TokenStream) -> TokenStream {
    let n = members.len();
    let templates: Vec<TokenStream> = members
        .iter()
        .enumerate()
        .map(|(k, &(v, insn))| {
            let value = variant(spec, insn, |fi| {
                let f = &spec.fields[fi];
                if f.kind == "bool" && f.width() == 1 && !f.signed {
                    quote!(false)
                } else {
                    quote!(0)
                }
            });
            if k + 1 == n {
                quote!(_ => #value,)
            } else {
                let lit = lit_u32(v);
                quote!(#lit => #value,)
            }
        })
        .collect();
    let first = members[0].1;
    let fields = &spec.insns[first].fields;
    let binds: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .map(|(k, &fi)| {
            let id = quote::format_ident!("op{}", k);
            let raw = raw(&spec.fields[fi]);
            quote!(let #id = #raw;)
        })
        .collect();
    let pats: Vec<TokenStream> = members
        .iter()
        .map(|&(_, insn)| {
            let i = &spec.insns[insn];
            let v = camel(&i.name);
            let fs: Vec<TokenStream> = i
                .fields
                .iter()
                .enumerate()
                .map(|(k, &fi)| {
                    let id = field_ident(&spec.fields[fi]);
                    let slot = quote::format_ident!("f{}", k);
                    quote!(#id: #slot)
                })
                .collect();
            quote!(Insn::#v { #(#fs),* })
        })
        .collect();
    let stores: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .map(|(k, &fi)| {
            let slot = quote::format_ident!("f{}", k);
            let op = quote::format_ident!("op{}", k);
            let value = convert(&spec.fields[fi], quote!(#op));
            quote!(*#slot = #value;)
        })
        .collect();
    let ok = wrap(view, quote!(insn));
    if fields.is_empty() {
        return shape.check(
            view,
            quote! {{
                let insn = match #sel {
                    #(#templates)*
                };
                #ok
            }},
        );
    }
    shape.check(
        view,
        quote! {{
            let mut insn = match #sel {
                #(#templates)*
            };
            #(#binds)*
            match &mut insn {
                #(#pats)|* => {
                    #(#stores)*
                }
                _ => {}
            }
            #ok
        }},
    )
}

/// What a leaf arm does besides naming its variant: the check of its
/// remaining fixed bits, and each operand's bits and type (in the
/// variant's field order). Leaves of one shape differ only in the variant.
#[derive(Clone, PartialEq)]
struct Shape {
    /// (mask, value) still to test, or none.
    check: Option<(u32, u32)>,
    /// Per field: the raw extraction (a `u32`) and how it is converted.
    operands: Vec<(String, String)>,
}

impl Shape {
    fn check(&self, view: View, then: TokenStream) -> TokenStream {
        match self.check {
            None => then,
            Some((m, v)) => {
                let (mm, vv) = (lit_u32(m), lit_u32(v));
                let otherwise = fail(view);
                quote!(if word & #mm == #vv { #then } else { #otherwise })
            }
        }
    }
}

/// The shape of a one-pattern leaf, or `None` when it is not shared (a
/// `cpu-valid` rule, checked on the operands, stays on its own).
fn shape(spec: &Spec, view: View, p: &Pat, known: u32) -> Option<Shape> {
    if view == View::Cpu && cpu_validity(spec, p.insn).is_some() {
        return None;
    }
    // Only `decode` groups: in objdump's view (the disassembler, which
    // formats through a `match` per variant anyway) grouping measured 3-9%
    // slower per word of text.
    if view == View::Objdump {
        return None;
    }
    let m = p.mask & (!known | p.pending);
    let check = if m == 0 { None } else { Some((m, p.value & m)) };
    let operands = spec.insns[p.insn]
        .fields
        .iter()
        .map(|&fi| {
            let f = &spec.fields[fi];
            let conv = convert(f, quote!(x)).to_string();
            (raw(f).to_string(), conv)
        })
        .collect();
    Some(Shape { check, operands })
}
