//! The CP0 generator: spec text in, the CP0 model and the privileged-
//! instruction dispatch out. `expand` is what `codegen_macros::cp0!` calls;
//! `generate` is the pure function from spec text to tokens that the tests
//! exercise.
//!
//! The generated code lives in the `emulator` crate and names, by path, the
//! hand-written runtime it relies on: `crate::Cpu` (with fields `cp0` and
//! the rest), `crate::hooks::*` (one plain function per hook named in the
//! spec), `crate::Next`, `crate::Exception`, `crate::VectorRule`, and
//! `::isa_spec::Insn`.
pub mod parse;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};

pub use parse::{parse, Spec, SpecError};
use parse::{Fast, Field, ProfileValue, Reg, VectorRule};

/// `cp0!("path")`: reads the spec (path relative to `CARGO_MANIFEST_DIR`)
/// and generates the model, or a `compile_error!` naming `file:LINE`.
pub fn expand(input: TokenStream) -> TokenStream {
    let path: syn::LitStr = match syn::parse2(input) {
        Ok(path) => path,
        Err(e) => return e.to_compile_error(),
    };
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let full = std::path::Path::new(&dir).join(path.value());
    let full_str = full.display().to_string();
    let text = match std::fs::read_to_string(&full) {
        Ok(text) => text,
        Err(e) => {
            // The path as written: the directory is the invoking crate's.
            let message = format!("cannot read the CP0 spec `{}` (relative to the crate's CARGO_MANIFEST_DIR): {e}", path.value());
            return syn::Error::new(path.span(), message).to_compile_error();
        }
    };
    match generate(&text) {
        Ok(body) => quote! {
            // Rebuild when the spec changes.
            const _CP0_SPEC: &str = include_str!(#full_str);
            #body
        },
        Err(e) => {
            let message = format!("{}:{}: {}", path.value(), e.line, e.message);
            syn::Error::new(path.span(), message).to_compile_error()
        }
    }
}

/// Spec text to generated code.
pub fn generate(text: &str) -> Result<TokenStream, SpecError> {
    let spec = parse(text)?;
    let profile = gen_profile(&spec);
    let reg = gen_cp0_reg(&spec);
    let model = gen_cp0(&spec);
    let access = gen_cpu_access(&spec);
    let dispatch = gen_dispatch(&spec);
    let exceptions = gen_exceptions(&spec);
    Ok(quote! {
        #profile
        #reg
        #model
        #access
        #dispatch
        #exceptions
    })
}

fn hex(value: u32) -> TokenStream {
    let text = format!("0x{:04X}_{:04X}", value >> 16, value & 0xFFFF);
    let lit = syn::LitInt::new(&text, Span::call_site());
    quote!(#lit)
}

fn snake(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn upper(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// `mfc0` -> `Mfc0`, `tlb_wi` -> `TlbWi`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn field_ident(reg: &Reg) -> proc_macro2::Ident {
    format_ident!("{}", snake(&reg.name))
}

fn gen_profile(spec: &Spec) -> TokenStream {
    let items = spec.profile.iter().map(|p| {
        let name = format_ident!("{}", upper(&p.key));
        let doc = format!("Profile `{}`.", p.key);
        match (&p.value, p.key.as_str()) {
            (ProfileValue::Str(s), _) => quote! { #[doc = #doc] pub const #name: &str = #s; },
            (ProfileValue::Num(n), "tlb_entries") => {
                let n = Literal::usize_unsuffixed(*n as usize);
                quote! { #[doc = #doc] pub const #name: usize = #n; }
            }
            (ProfileValue::Num(n), _) => {
                let n = hex(*n);
                quote! { #[doc = #doc] pub const #name: u32 = #n; }
            }
        }
    });
    let unlisted = hex(spec.unlisted_read);
    quote! {
        #(#items)*
        /// What mfc0 of a (rd, sel) the spec does not list returns.
        pub const UNLISTED_READ: u32 = #unlisted;
    }
}

fn gen_cp0_reg(spec: &Spec) -> TokenStream {
    let consts = spec.regs.iter().map(|r| {
        let name = format_ident!("{}", upper(&r.name));
        let (rd, sel) = (Literal::u8_unsuffixed(r.rd), Literal::u8_unsuffixed(r.sel));
        let doc = format!("{} ({}, {}).", r.name, r.rd, r.sel);
        quote! { #[doc = #doc] pub const #name: Cp0Reg = Cp0Reg { rd: #rd, sel: #sel }; }
    });
    let names = spec
        .regs
        .iter()
        .map(|r| (r.rd, r.sel, r.name.as_str()))
        .chain(spec.aliases.iter().map(|a| (a.rd, a.sel, a.target.as_str())))
        .map(|(rd, sel, name)| {
            let (rd, sel) = (Literal::u8_unsuffixed(rd), Literal::u8_unsuffixed(sel));
            quote! { (#rd, #sel) => Some(#name), }
        });
    let mut listed: Vec<(u8, u8)> = spec
        .regs
        .iter()
        .map(|r| (r.rd, r.sel))
        .chain(spec.aliases.iter().map(|a| (a.rd, a.sel)))
        .collect();
    listed.sort_unstable();
    let listed = listed.iter().map(|&(rd, sel)| {
        let (rd, sel) = (Literal::u8_unsuffixed(rd), Literal::u8_unsuffixed(sel));
        quote!(Cp0Reg { rd: #rd, sel: #sel })
    });
    let view: Vec<TokenStream> = spec
        .regs
        .iter()
        .filter(|r| r.view)
        .map(|r| {
            let (rd, sel) = (Literal::u8_unsuffixed(r.rd), Literal::u8_unsuffixed(r.sel));
            quote!((#rd, #sel))
        })
        .collect();
    let changes_view = if view.is_empty() { quote!(false) } else { quote!(matches!((self.rd, self.sel), #(#view)|*)) };
    let fast = |pick: fn(Fast) -> bool| {
        let pats: Vec<TokenStream> = spec.regs.iter().filter(|r| pick(r.fast)).map(|r| reg_pattern(spec, r)).collect();
        if pats.is_empty() {
            quote!(false)
        } else {
            quote!(matches!((self.rd, self.sel), #(#pats)|*))
        }
    };
    let fast_read = fast(|f| f != Fast::No);
    let fast_write = fast(|f| f == Fast::ReadWrite);
    let is_reserved = if spec.reserved.is_empty() {
        quote!(false)
    } else {
        let reserved = reserved_pattern(spec);
        quote!(matches!((self.rd, self.sel), #reserved))
    };
    quote! {
        /// A CP0 register: the `rd` and `sel` fields of mfc0/mtc0.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct Cp0Reg {
            pub rd: u8,
            pub sel: u8,
        }

        impl Cp0Reg {
            #(#consts)*

            /// Every (rd, sel) the spec lists (aliases included), in order.
            pub const LISTED: &'static [Cp0Reg] = &[#(#listed),*];

            /// The register with these encoding fields (`rd` is 5 bits, `sel` 3).
            pub const fn new(rd: u8, sel: u8) -> Cp0Reg {
                Cp0Reg { rd: rd & 0x1F, sel: sel & 0x7 }
            }

            /// The spec's name, or `None` for an unlisted or reserved register.
            pub fn name(self) -> Option<&'static str> {
                match (self.rd, self.sel) {
                    #(#names)*
                    _ => None,
                }
            }

            /// mfc0 and mtc0 of this register raise Reserved Instruction.
            pub fn is_reserved(self) -> bool {
                #is_reserved
            }

            /// The spec marks it `view`: an mtc0 to it can change the
            /// guest's view of memory (its mode, ASID or debug mode).
            pub const fn changes_view(self) -> bool {
                #changes_view
            }

            /// The spec marks it `fast=r` or `fast=rw`: mfc0 of it returns
            /// the stored value and does nothing else, so an exit fast path
            /// may read [`Cp0`]'s field itself.
            pub const fn fast_read(self) -> bool {
                #fast_read
            }

            /// The spec marks it `fast=rw`: mtc0 of it is the masked store
            /// ([`Cp0::write_mask`]) and nothing else, so an exit fast path
            /// may do it itself.
            pub const fn fast_write(self) -> bool {
                #fast_write
            }
        }
    }
}

/// `(rd, sel) | ...` of the reserved registers; only used when there are some.
fn reserved_pattern(spec: &Spec) -> TokenStream {
    let pats = spec.reserved.iter().map(|(rd, sel)| {
        let (rd, sel) = (Literal::u8_unsuffixed(*rd), Literal::u8_unsuffixed(*sel));
        quote!((#rd, #sel))
    });
    quote!(#(#pats)|*)
}

/// Match arms `(rd, sel) | (alias...) => body` for every register.
fn reg_pattern(spec: &Spec, reg: &Reg) -> TokenStream {
    let pairs = std::iter::once((reg.rd, reg.sel))
        .chain(spec.aliases.iter().filter(|a| a.target == reg.name).map(|a| (a.rd, a.sel)))
        .map(|(rd, sel)| {
            let (rd, sel) = (Literal::u8_unsuffixed(rd), Literal::u8_unsuffixed(sel));
            quote!((#rd, #sel))
        });
    quote!(#(#pairs)|*)
}

/// Where a CP0 field sits: its bits shifted down (`low_mask`), and
/// "bit N" / "bits H:L" for the docs.
struct FieldBits {
    low_mask: u32,
    text: String,
}

impl FieldBits {
    fn of(f: &Field) -> Self {
        let width = u32::from(f.hi - f.lo) + 1;
        let low_mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
        let text = if f.hi == f.lo { format!("bit {}", f.lo) } else { format!("bits {}:{}", f.hi, f.lo) };
        Self { low_mask, text }
    }
}

fn gen_cp0(spec: &Spec) -> TokenStream {
    let fields = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let doc = format!(
            "{} ({}, {}): reset 0x{:08X}, writable 0x{:08X}.",
            r.name, r.rd, r.sel, r.reset, r.mask
        );
        quote! { #[doc = #doc] pub #ident: u32, }
    });
    let resets = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let value = hex(r.reset);
        quote! { #ident: #value, }
    });
    let get_arms = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let pat = reg_pattern(spec, r);
        quote! { #pat => Some(self.#ident), }
    });
    let set_arms = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let pat = reg_pattern(spec, r);
        quote! { #pat => self.#ident = value, }
    });
    let offset_arms = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let pat = reg_pattern(spec, r);
        quote! { #pat => Some(core::mem::offset_of!(Cp0, #ident)), }
    });
    let mask_arms = spec.regs.iter().map(|r| {
        let pat = reg_pattern(spec, r);
        let mask = hex(r.mask);
        quote! { #pat => #mask, }
    });
    let reset_arms = spec.regs.iter().map(|r| {
        let pat = reg_pattern(spec, r);
        let value = hex(r.reset);
        quote! { #pat => Some(#value), }
    });
    // `Cp0`'s field accessors read and write through the register's view,
    // which holds the bit arithmetic.
    let accessors = spec.fields.iter().map(|f| {
        let Some(reg) = spec.regs.iter().find(|r| r.name == f.reg) else {
            return TokenStream::new();
        };
        let reg_ident = field_ident(reg);
        let bits = FieldBits::of(f);
        let view = format_ident!("{}", reg.name);
        let const_name = format_ident!("{}_{}", upper(&f.reg), upper(&f.name));
        let getter = format_ident!("{}_{}", snake(&f.reg), snake(&f.name));
        let setter = format_ident!("set_{}_{}", snake(&f.reg), snake(&f.name));
        let (view_getter, view_setter) = (format_ident!("{}", snake(&f.name)), format_ident!("with_{}", snake(&f.name)));
        let mask_lit = hex(bits.low_mask << f.lo);
        let const_doc = format!("{}.{}: {}.", f.reg, f.name, bits.text);
        let get_doc = format!("{}.{} ({}), shifted down.", f.reg, f.name, bits.text);
        let set_doc = format!("Sets {}.{} ({}) to the low bits of `value`.", f.reg, f.name, bits.text);
        quote! {
            #[doc = #const_doc]
            pub const #const_name: u32 = #mask_lit;
            #[doc = #get_doc]
            #[inline]
            pub fn #getter(&self) -> u32 {
                view::#view(self.#reg_ident).#view_getter()
            }
            #[doc = #set_doc]
            #[inline]
            pub fn #setter(&mut self, value: u32) {
                self.#reg_ident = view::#view(self.#reg_ident).#view_setter(value).0;
            }
        }
    });
    // One typed view per register with fields: the field getters and
    // setters on any raw value (a host register read, a saved Cause), not
    // only on `Cp0`.
    let views = spec.regs.iter().filter(|r| spec.fields.iter().any(|f| f.reg == r.name)).map(|reg| {
        let view = format_ident!("{}", reg.name);
        let getters = spec.fields.iter().filter(|f| f.reg == reg.name).map(|f| {
            let bits = FieldBits::of(f);
            let getter = format_ident!("{}", snake(&f.name));
            let low_lit = hex(bits.low_mask);
            let lo = Literal::u32_unsuffixed(u32::from(f.lo));
            let doc = format!("{}.{} ({}), shifted down.", f.reg, f.name, bits.text);
            let setter = format_ident!("with_{}", snake(&f.name));
            let set_doc = format!("The value with {}.{} ({}) set to `field` (cut to its width).", f.reg, f.name, bits.text);
            quote! {
                #[doc = #doc]
                #[inline]
                pub const fn #getter(self) -> u32 {
                    (self.0 >> #lo) & #low_lit
                }

                #[doc = #set_doc]
                #[must_use]
                #[inline]
                pub const fn #setter(self, field: u32) -> Self {
                    Self((self.0 & !(#low_lit << #lo)) | ((field & #low_lit) << #lo))
                }
            }
        });
        let doc = format!("A value of {} read and written through the spec's fields.", reg.name);
        quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct #view(pub u32);

            impl #view {
                #(#getters)*
            }
        }
    });
    quote! {
        /// Typed views of CP0 register values: `view::Cause(raw).exccode()`.
        pub mod view {
            #(#views)*
        }

        /// The CP0 register file: one field per spec register, holding the
        /// stored value (what mfc0 returns unless a read hook says otherwise).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Cp0 {
            #(#fields)*
        }

        impl Default for Cp0 {
            fn default() -> Self {
                Self::RESET
            }
        }

        impl Cp0 {
            /// The state after a CPU reset.
            pub const RESET: Cp0 = Cp0 {
                #(#resets)*
            };

            /// Returns every register to its reset value.
            pub fn reset(&mut self) {
                *self = Self::RESET;
            }

            /// The stored value of `reg` (no hooks), or `None` if the spec
            /// does not list it.
            pub fn get(&self, reg: Cp0Reg) -> Option<u32> {
                match (reg.rd, reg.sel) {
                    #(#get_arms)*
                    _ => None,
                }
            }

            /// Stores `value` into `reg` as is (no mask, no hooks): for
            /// setting up a state. Returns false if the spec does not list `reg`.
            pub fn set(&mut self, reg: Cp0Reg, value: u32) -> bool {
                match (reg.rd, reg.sel) {
                    #(#set_arms)*
                    _ => return false,
                }
                true
            }

            /// The byte offset of `reg`'s field in `Cp0`, or `None` if the
            /// spec does not list it (for code that reaches the fields
            /// without Rust, an exit fast path).
            pub const fn offset(reg: Cp0Reg) -> Option<usize> {
                match (reg.rd, reg.sel) {
                    #(#offset_arms)*
                    _ => None,
                }
            }

            /// The bits of `reg` that mtc0 may change (0 for unlisted registers).
            pub const fn write_mask(reg: Cp0Reg) -> u32 {
                match (reg.rd, reg.sel) {
                    #(#mask_arms)*
                    _ => 0,
                }
            }

            /// The reset value of `reg`, or `None` if the spec does not list it.
            pub fn reset_value(reg: Cp0Reg) -> Option<u32> {
                match (reg.rd, reg.sel) {
                    #(#reset_arms)*
                    _ => None,
                }
            }

            #(#accessors)*
        }
    }
}

fn gen_cpu_access(spec: &Spec) -> TokenStream {
    let read_arms = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let pat = reg_pattern(spec, r);
        match &r.read_hook {
            Some(hook) => {
                let hook = format_ident!("{}", hook);
                quote! { #pat => crate::hooks::#hook(self), }
            }
            None => quote! { #pat => self.cp0.#ident, },
        }
    });
    let write_arms = spec.regs.iter().map(|r| {
        let ident = field_ident(r);
        let pat = reg_pattern(spec, r);
        let mask = hex(r.mask);
        match (&r.write_hook, r.mask) {
            (Some(hook), _) => {
                let hook = format_ident!("{}", hook);
                quote! {
                    #pat => {
                        let merged = (self.cp0.#ident & !#mask) | (value & #mask);
                        self.cp0.#ident = crate::hooks::#hook(self, value, merged);
                    }
                }
            }
            (None, 0) => quote! { #pat => {} },
            (None, u32::MAX) => quote! { #pat => self.cp0.#ident = value, },
            (None, _) => quote! {
                #pat => self.cp0.#ident = (self.cp0.#ident & !#mask) | (value & #mask),
            },
        }
    });
    let reserved = if spec.reserved.is_empty() {
        TokenStream::new()
    } else {
        let pattern = reserved_pattern(spec);
        quote!(#pattern => return Err(ReservedCp0Reg(reg)),)
    };
    quote! {
        /// mfc0 or mtc0 named a register that raises Reserved Instruction.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct ReservedCp0Reg(pub Cp0Reg);

        impl crate::Cpu {
            /// What `mfc0` of `reg` returns, with its side effects (read hooks).
            pub fn cp0_read(&mut self, reg: Cp0Reg) -> Result<u32, ReservedCp0Reg> {
                Ok(match (reg.rd, reg.sel) {
                    #(#read_arms)*
                    #reserved
                    _ => UNLISTED_READ,
                })
            }

            /// `mtc0 value` to `reg`: the writable mask, then the write hook.
            /// Writes to unlisted registers are ignored.
            pub fn cp0_write(&mut self, reg: Cp0Reg, value: u32) -> Result<(), ReservedCp0Reg> {
                match (reg.rd, reg.sel) {
                    #(#write_arms)*
                    #reserved
                    _ => {}
                }
                Ok(())
            }
        }
    }
}

fn gen_dispatch(spec: &Spec) -> TokenStream {
    let arms = spec.insns.iter().map(|i| {
        let variant = format_ident!("{}", camel(&i.name));
        let hook = format_ident!("{}", i.hook);
        let ops: Vec<_> = i.operands.iter().map(|o| format_ident!("{}", o)).collect();
        quote! {
            ::isa_spec::Insn::#variant { #(#ops,)* .. } => crate::hooks::#hook(self #(, #ops)*),
        }
    });
    let listed = spec.insns.iter().map(|i| {
        let variant = format_ident!("{}", camel(&i.name));
        quote!(::isa_spec::Insn::#variant { .. })
    });
    let emulates = if spec.insns.is_empty() {
        quote!(false)
    } else {
        quote!(matches!(insn, #(#listed)|*))
    };
    quote! {
        impl crate::Cpu {
            /// Whether the spec lists `insn` as a privileged instruction.
            pub fn emulates(insn: &::isa_spec::Insn) -> bool {
                #emulates
            }

            /// Runs the hook of a privileged instruction listed in the spec;
            /// `None` for every other instruction.
            pub(crate) fn dispatch_privileged(
                &mut self,
                insn: &::isa_spec::Insn,
            ) -> Option<Result<crate::Next, crate::Exception>> {
                Some(match *insn {
                    #(#arms)*
                    _ => return None,
                })
            }
        }
    }
}

fn gen_exceptions(spec: &Spec) -> TokenStream {
    let codes = spec.exccodes.iter().map(|c| {
        let name = format_ident!("{}", c.name);
        let code = Literal::u8_unsuffixed(c.code);
        quote! { #name = #code, }
    });
    let from_arms = spec.exccodes.iter().map(|c| {
        let name = format_ident!("{}", c.name);
        let code = Literal::u8_unsuffixed(c.code);
        quote! { #code => Some(ExcCode::#name), }
    });
    let name_arms = spec.exccodes.iter().map(|c| {
        let name = format_ident!("{}", c.name);
        let text = &c.name;
        quote! { ExcCode::#name => #text, }
    });
    let description_arms = spec.exccodes.iter().map(|c| {
        let name = format_ident!("{}", c.name);
        let text = c.description.as_deref().unwrap_or(&c.name);
        quote! { ExcCode::#name => #text, }
    });
    let kinds = spec.exceptions.iter().map(|e| {
        let kind = format_ident!("{}", e.kind);
        let doc = format!("ExcCode {}.", e.code);
        quote! { #[doc = #doc] #kind, }
    });
    let code_arms = spec.exceptions.iter().map(|e| {
        let kind = format_ident!("{}", e.kind);
        let code = format_ident!("{}", e.code);
        quote! { ExceptionKind::#kind => ExcCode::#code, }
    });
    let vector_arms = spec.exceptions.iter().map(|e| {
        let kind = format_ident!("{}", e.kind);
        let rule = match e.vector {
            VectorRule::Refill => quote!(Refill),
            VectorRule::General => quote!(General),
            VectorRule::Interrupt => quote!(Interrupt),
            VectorRule::CacheError => quote!(CacheError),
            VectorRule::Debug => quote!(Debug),
        };
        quote! { ExceptionKind::#kind => crate::VectorRule::#rule, }
    });
    let flag = |pick: fn(&parse::Exception) -> bool| {
        let kinds: Vec<_> = spec
            .exceptions
            .iter()
            .filter(|e| pick(e))
            .map(|e| format_ident!("{}", e.kind))
            .collect();
        if kinds.is_empty() {
            quote!(false)
        } else {
            quote!(matches!(self, #(ExceptionKind::#kinds)|*))
        }
    };
    let badvaddr = flag(|e| e.sets_badvaddr);
    let tlb = flag(|e| e.sets_tlb);
    let ce = flag(|e| e.sets_ce);
    quote! {
        /// Cause.ExcCode values.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum ExcCode {
            #(#codes)*
        }

        impl ExcCode {
            /// The code with this value, if the spec defines one.
            pub fn from_u8(value: u8) -> Option<ExcCode> {
                match value {
                    #(#from_arms)*
                    _ => None,
                }
            }

            /// The spec's name of the code (`TLBL`).
            pub const fn name(self) -> &'static str {
                match self {
                    #(#name_arms)*
                }
            }

            /// What the code means, as the spec describes it.
            pub const fn description(self) -> &'static str {
                match self {
                    #(#description_arms)*
                }
            }
        }

        /// The exceptions the spec's exception table defines.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ExceptionKind {
            #(#kinds)*
        }

        impl ExceptionKind {
            /// The Cause.ExcCode this exception reports.
            pub fn code(self) -> ExcCode {
                match self {
                    #(#code_arms)*
                }
            }

            /// How the vector offset is chosen.
            pub fn vector(self) -> crate::VectorRule {
                match self {
                    #(#vector_arms)*
                }
            }

            /// Entry writes BadVAddr.
            pub fn sets_badvaddr(self) -> bool {
                #badvaddr
            }

            /// Entry writes Context.BadVPN2 and EntryHi.VPN2 (TLB exceptions).
            pub fn sets_tlb(self) -> bool {
                #tlb
            }

            /// Entry writes Cause.CE.
            pub fn sets_ce(self) -> bool {
                #ce
            }
        }
    }
}

#[cfg(test)]
mod tests;
