//! The decision tree: nested `match`es on the bit runs every remaining pattern
//! fixes, down to one pattern (or an ordered group), checked against its
//! remaining fixed bits.
use super::parse::{Spec, Tag};
use super::{camel, extract, field_ident, lit_u32};
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

fn leaf(spec: &Spec, view: View, insn: usize) -> TokenStream {
    let i = &spec.insns[insn];
    let v = camel(&i.name);
    let fields: Vec<TokenStream> = i
        .fields
        .iter()
        .map(|&fi| {
            let f = &spec.fields[fi];
            let id = field_ident(f);
            let e = extract(f);
            quote!(#id: #e)
        })
        .collect();
    let value = if fields.is_empty() { quote!(Insn::#v) } else { quote!(Insn::#v { #(#fields),* }) };
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
    let mut arms = Vec::new();
    for v in values {
        let mut sub: Vec<Pat> = pats
            .iter()
            .filter(|p| p.mask & run_mask == run_mask && (p.value & run_mask) >> lo == v)
            .copied()
            .collect();
        sub.extend(rest.iter().copied());
        sub.sort_by_key(|p| p.insn);
        let body = node(spec, view, &sub, known | run_mask);
        let lit = lit_u32(v);
        arms.push(quote!(#lit => #body,));
    }
    let default = node(spec, view, &rest, known | run_mask);
    let lo_lit = proc_macro2::Literal::u32_unsuffixed(lo);
    let sel = if lo == 0 { quote!(word & #width_mask) } else { quote!((word >> #lo_lit) & #width_mask) };
    quote! {
        match #sel {
            #(#arms)*
            _ => #default,
        }
    }
}
