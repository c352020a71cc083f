//! Parser of the CP0 spec (`isa-spec/cp0-24kf.cp0`). The syntax is described
//! at the top of that file. Every error names the spec line it comes from.
use std::collections::BTreeSet;
use std::fmt;

/// A spec error at a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileValue {
    Str(String),
    Num(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub key: String,
    pub value: ProfileValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reg {
    pub name: String,
    pub rd: u8,
    pub sel: u8,
    pub reset: u32,
    pub mask: u32,
    pub read_hook: Option<String>,
    pub write_hook: Option<String>,
    /// `view`: an mtc0 to it can change the guest's view of memory
    /// (mode, ASID, debug mode), `Cp0Reg::changes_view`.
    pub view: bool,
    /// `fast=r` / `fast=rw`: an exit fast path may read (and write) the
    /// stored value directly, `Cp0Reg::fast_read` / `fast_write`.
    pub fast: Fast,
}

/// What an exit fast path may do with a register without the full
/// emulation (the spec's `fast=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fast {
    /// Neither: every access is emulated in full.
    No,
    /// `fast=r`: mfc0 returns the stored value, nothing else happens.
    Read,
    /// `fast=rw`: besides, mtc0 is the masked store and nothing else.
    ReadWrite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub rd: u8,
    pub sel: u8,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub reg: String,
    pub name: String,
    pub hi: u8,
    pub lo: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insn {
    pub name: String,
    pub operands: Vec<String>,
    pub hook: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorRule {
    Refill,
    General,
    Interrupt,
    CacheError,
    /// The EJTAG debug exception: debug mode, DEPC, the debug vector.
    Debug,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcCode {
    pub name: String,
    pub code: u8,
    /// What the code means, for reports (the name if not given).
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub kind: String,
    pub code: String,
    pub vector: VectorRule,
    pub sets_badvaddr: bool,
    pub sets_tlb: bool,
    pub sets_ce: bool,
}

/// A parsed and checked CP0 spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spec {
    pub profile: Vec<Profile>,
    pub regs: Vec<Reg>,
    pub aliases: Vec<Alias>,
    pub fields: Vec<Field>,
    pub unlisted_read: u32,
    pub reserved: Vec<(u8, u8)>,
    pub insns: Vec<Insn>,
    pub exccodes: Vec<ExcCode>,
    pub exceptions: Vec<Exception>,
}

/// Profile keys every spec must define.
pub const REQUIRED_PROFILE: &[&str] = &[
    "cpu",
    "prid",
    "tlb_entries",
    "asid_mask",
    "entrylo_mask",
    "reset_pc",
    "bev_base",
    "lladdr_shift",
];

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError { line, message: message.into() })
}

fn number(line: usize, text: &str) -> Result<u32, SpecError> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse::<u32>(),
    };
    parsed.or_else(|_| err(line, format!("`{text}` is not a 32-bit number")))
}

fn small(line: usize, text: &str, max: u32, what: &str) -> Result<u8, SpecError> {
    let n = number(line, text)?;
    if n > max {
        return err(line, format!("{what} {n} is out of range 0..={max}"));
    }
    Ok(n as u8)
}

/// Rust keywords: names become Rust identifiers (register `Type` would be a
/// field `type`), so they are refused here with a clear message.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "try", "type", "unsafe", "use", "where", "while", "yield",
];

fn ident(line: usize, text: &str, what: &str) -> Result<String, SpecError> {
    let mut chars = text.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return err(line, format!("{what} `{text}` is not an identifier"));
    }
    Ok(text.to_string())
}

/// An identifier used in the generated code as written (`lowercase` false:
/// hooks, operands) or lowercased (register names become fields).
fn rust_name(line: usize, text: &str, what: &str, lowercase: bool) -> Result<String, SpecError> {
    let name = ident(line, text, what)?;
    let used = if lowercase { name.to_ascii_lowercase() } else { name.clone() };
    if KEYWORDS.contains(&used.as_str()) {
        return err(line, format!("{what} `{text}` is a Rust keyword"));
    }
    Ok(name)
}

/// Splits `key=value`.
fn key_value(line: usize, word: &str) -> Result<(&str, &str), SpecError> {
    match word.split_once('=') {
        Some(kv) => Ok(kv),
        None => err(line, format!("expected `key=value`, found `{word}`")),
    }
}

/// Parses and checks a CP0 spec.
pub fn parse(text: &str) -> Result<Spec, SpecError> {
    let mut spec = Spec::default();
    let mut unlisted_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = match raw.find('#') {
            Some(at) => &raw[..at],
            None => raw,
        };
        let words: Vec<&str> = content.split_whitespace().collect();
        let Some((&keyword, args)) = words.split_first() else { continue };
        match keyword {
            "profile" => parse_profile(line, content, args, &mut spec)?,
            "reg" => parse_reg(line, args, &mut spec)?,
            "alias" => {
                let [rd, sel, target] = args else {
                    return err(line, "expected `alias RD SEL NAME`");
                };
                spec.aliases.push(Alias {
                    rd: small(line, rd, 31, "rd")?,
                    sel: small(line, sel, 7, "sel")?,
                    target: ident(line, target, "register")?,
                });
                check_free(line, &spec)?;
            }
            "field" => parse_field(line, args, &mut spec)?,
            "unlisted" => {
                let [read, write] = args else {
                    return err(line, "expected `unlisted read=V write=ignore`");
                };
                let (rk, rv) = key_value(line, read)?;
                let (wk, wv) = key_value(line, write)?;
                if rk != "read" || wk != "write" || wv != "ignore" {
                    return err(line, "expected `unlisted read=V write=ignore`");
                }
                if unlisted_seen {
                    return err(line, "`unlisted` given twice");
                }
                unlisted_seen = true;
                spec.unlisted_read = number(line, rv)?;
            }
            "reserved" => {
                let [rd, sel] = args else {
                    return err(line, "expected `reserved RD SEL`");
                };
                spec.reserved.push((small(line, rd, 31, "rd")?, small(line, sel, 7, "sel")?));
                check_free(line, &spec)?;
            }
            "insn" => parse_insn(line, content, &mut spec)?,
            "exccode" => {
                const USAGE: &str = "expected `exccode NAME CODE [\"DESCRIPTION\"]`";
                // The description, if any, is the quoted rest of the line.
                let (head, description) = match content.split_once('"') {
                    Some((head, rest)) => match rest.trim_end().strip_suffix('"') {
                        Some(text) if !text.contains('"') && !text.is_empty() => (head, Some(text.to_string())),
                        _ => return err(line, USAGE),
                    },
                    None => (content, None),
                };
                let [_, name, code] = head.split_whitespace().collect::<Vec<_>>()[..] else {
                    return err(line, USAGE);
                };
                let name = ident(line, name, "exception code")?;
                let code = small(line, code, 31, "ExcCode")?;
                if spec.exccodes.iter().any(|c| c.name == name || c.code == code) {
                    return err(line, format!("exception code `{name}` or its value {code} is defined twice"));
                }
                spec.exccodes.push(ExcCode { name, code, description });
            }
            "exception" => parse_exception(line, args, &mut spec)?,
            other => return err(line, format!("unknown item `{other}`")),
        }
    }
    for key in REQUIRED_PROFILE {
        if !spec.profile.iter().any(|p| p.key == *key) {
            return err(text.lines().count().max(1), format!("missing `profile {key}`"));
        }
    }
    if !unlisted_seen {
        return err(text.lines().count().max(1), "missing the `unlisted` rule");
    }
    Ok(spec)
}

fn parse_profile(line: usize, content: &str, args: &[&str], spec: &mut Spec) -> Result<(), SpecError> {
    let Some((&key, rest)) = args.split_first() else {
        return err(line, "expected `profile KEY VALUE`");
    };
    let key = ident(line, key, "profile key")?;
    if spec.profile.iter().any(|p| p.key == key) {
        return err(line, format!("profile `{key}` is defined twice"));
    }
    let value = match rest {
        [v] if v.starts_with('"') => {
            // The string is everything between the first and last quote.
            let (Some(start), Some(end)) = (content.find('"'), content.rfind('"')) else {
                return err(line, "unterminated string");
            };
            if end <= start {
                return err(line, "unterminated string");
            }
            ProfileValue::Str(content[start + 1..end].to_string())
        }
        [v] => ProfileValue::Num(number(line, v)?),
        _ => return err(line, "expected `profile KEY VALUE`"),
    };
    if key == "tlb_entries" {
        match value {
            ProfileValue::Num(n) if (1..=64).contains(&n) => {}
            _ => return err(line, "tlb_entries must be a number in 1..=64"),
        }
    }
    spec.profile.push(Profile { key, value });
    Ok(())
}

/// Checks that the last added register, alias or reserved (rd, sel) is new.
fn check_free(line: usize, spec: &Spec) -> Result<(), SpecError> {
    let mut seen = BTreeSet::new();
    let all = spec
        .regs
        .iter()
        .map(|r| (r.rd, r.sel))
        .chain(spec.aliases.iter().map(|a| (a.rd, a.sel)))
        .chain(spec.reserved.iter().copied());
    for pair in all {
        if !seen.insert(pair) {
            return err(line, format!("({}, {}) is defined twice", pair.0, pair.1));
        }
    }
    if let Some(alias) = spec.aliases.last() {
        if !spec.regs.iter().any(|r| r.name == alias.target) {
            return err(line, format!("alias of unknown register `{}`", alias.target));
        }
    }
    Ok(())
}

fn parse_reg(line: usize, args: &[&str], spec: &mut Spec) -> Result<(), SpecError> {
    let [name, rd, sel, options @ ..] = args else {
        return err(line, "expected `reg NAME RD SEL reset=V mask=M [read=HOOK] [write=HOOK] [view] [fast=r|rw]`");
    };
    let name = rust_name(line, name, "register name", true)?;
    if spec.regs.iter().any(|r| r.name.eq_ignore_ascii_case(&name)) {
        return err(line, format!("register `{name}` is defined twice"));
    }
    let mut reg = Reg {
        name,
        rd: small(line, rd, 31, "rd")?,
        sel: small(line, sel, 7, "sel")?,
        reset: 0,
        mask: 0,
        read_hook: None,
        write_hook: None,
        view: false,
        fast: Fast::No,
    };
    let mut has_fast = false;
    let (mut has_reset, mut has_mask) = (false, false);
    for option in options {
        if *option == "view" {
            if reg.view {
                return err(line, "`view` given twice");
            }
            reg.view = true;
            continue;
        }
        match key_value(line, option)? {
            ("reset", v) if !has_reset => {
                reg.reset = number(line, v)?;
                has_reset = true;
            }
            ("mask", v) if !has_mask => {
                reg.mask = number(line, v)?;
                has_mask = true;
            }
            ("read", v) if reg.read_hook.is_none() => reg.read_hook = Some(rust_name(line, v, "hook", false)?),
            ("write", v) if reg.write_hook.is_none() => reg.write_hook = Some(rust_name(line, v, "hook", false)?),
            ("fast", v) if !has_fast => {
                reg.fast = match v {
                    "r" => Fast::Read,
                    "rw" => Fast::ReadWrite,
                    _ => return err(line, format!("`fast={v}`: expected `fast=r` or `fast=rw`")),
                };
                has_fast = true;
            }
            (k, _) => return err(line, format!("unexpected or repeated option `{k}`")),
        }
    }
    if !has_reset || !has_mask {
        return err(line, format!("register `{}` needs reset= and mask=", reg.name));
    }
    // A fast path does only the stored value's read or masked store.
    if reg.fast != Fast::No {
        if let Some(hook) = &reg.read_hook {
            return err(line, format!("`fast` would skip `{}`'s read hook `{hook}`", reg.name));
        }
    }
    if reg.fast == Fast::ReadWrite {
        if let Some(hook) = &reg.write_hook {
            return err(line, format!("`fast=rw` would skip `{}`'s write hook `{hook}`", reg.name));
        }
        if reg.view {
            return err(line, format!("`fast=rw` on a `view` register: a write to `{}` changes the guest's view of memory", reg.name));
        }
    }
    spec.regs.push(reg);
    check_free(line, spec)
}

fn parse_field(line: usize, args: &[&str], spec: &mut Spec) -> Result<(), SpecError> {
    let [path, bits] = args else {
        return err(line, "expected `field REG.NAME BIT` or `field REG.NAME HI:LO`");
    };
    let Some((reg, name)) = path.split_once('.') else {
        return err(line, format!("`{path}` is not `REG.NAME`"));
    };
    let reg = ident(line, reg, "register")?;
    let name = ident(line, name, "field")?;
    if !spec.regs.iter().any(|r| r.name == reg) {
        return err(line, format!("field of unknown register `{reg}`"));
    }
    if spec.fields.iter().any(|f| f.reg == reg && f.name.eq_ignore_ascii_case(&name)) {
        return err(line, format!("field `{reg}.{name}` is defined twice"));
    }
    let (hi, lo) = match bits.split_once(':') {
        Some((hi, lo)) => (small(line, hi, 31, "bit")?, small(line, lo, 31, "bit")?),
        None => {
            let bit = small(line, bits, 31, "bit")?;
            (bit, bit)
        }
    };
    if hi < lo {
        return err(line, format!("field `{reg}.{name}`: {hi}:{lo} is reversed"));
    }
    spec.fields.push(Field { reg, name, hi, lo });
    Ok(())
}

fn parse_insn(line: usize, content: &str, spec: &mut Spec) -> Result<(), SpecError> {
    let usage = "expected `insn NAME [{ OPERANDS }] -> HOOK`";
    let Some((left, hook)) = content.split_once("->") else {
        return err(line, usage);
    };
    let hook = rust_name(line, hook.trim(), "hook", false)?;
    let left = left.trim().strip_prefix("insn").unwrap_or(left).trim();
    let (name, operands) = match left.split_once('{') {
        Some((name, rest)) => {
            let Some(list) = rest.trim().strip_suffix('}') else {
                return err(line, usage);
            };
            let operands = list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| rust_name(line, o, "operand", false))
                .collect::<Result<Vec<_>, _>>()?;
            (name.trim(), operands)
        }
        None => (left, Vec::new()),
    };
    // Instruction names become CamelCase variants (`break` -> `Break`).
    let name = ident(line, name, "instruction")?;
    if spec.insns.iter().any(|i| i.name == name) {
        return err(line, format!("instruction `{name}` is listed twice"));
    }
    spec.insns.push(Insn { name, operands, hook });
    Ok(())
}

fn parse_exception(line: usize, args: &[&str], spec: &mut Spec) -> Result<(), SpecError> {
    let [kind, code, options @ ..] = args else {
        return err(line, "expected `exception KIND EXCCODE vector=RULE [sets=...]`");
    };
    let kind = ident(line, kind, "exception kind")?;
    if spec.exceptions.iter().any(|e| e.kind == kind) {
        return err(line, format!("exception `{kind}` is defined twice"));
    }
    if !spec.exccodes.iter().any(|c| c.name == *code) {
        return err(line, format!("unknown exception code `{code}` (define it with `exccode` first)"));
    }
    let mut exception = Exception {
        kind,
        code: code.to_string(),
        vector: VectorRule::General,
        sets_badvaddr: false,
        sets_tlb: false,
        sets_ce: false,
    };
    let mut has_vector = false;
    for option in options {
        match key_value(line, option)? {
            ("vector", rule) if !has_vector => {
                exception.vector = match rule {
                    "refill" => VectorRule::Refill,
                    "general" => VectorRule::General,
                    "interrupt" => VectorRule::Interrupt,
                    "cache_error" => VectorRule::CacheError,
                    "debug" => VectorRule::Debug,
                    other => return err(line, format!("unknown vector rule `{other}`")),
                };
                has_vector = true;
            }
            ("sets", list) => {
                for what in list.split(',') {
                    match what {
                        "badvaddr" => exception.sets_badvaddr = true,
                        "tlb" => {
                            exception.sets_badvaddr = true;
                            exception.sets_tlb = true;
                        }
                        "ce" => exception.sets_ce = true,
                        other => return err(line, format!("unknown `sets` item `{other}`")),
                    }
                }
            }
            (k, _) => return err(line, format!("unexpected or repeated option `{k}`")),
        }
    }
    if !has_vector {
        return err(line, "missing vector=RULE");
    }
    if exception.vector == VectorRule::Debug && (exception.sets_badvaddr || exception.sets_ce) {
        return err(line, "a debug exception writes DEPC and Debug only: no `sets`");
    }
    spec.exceptions.push(exception);
    Ok(())
}
