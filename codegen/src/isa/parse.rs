//! Parsing the `.isa` format into a checked `Spec`.
use crate::spec::{Line, SpecError, Token};
use std::collections::HashMap;

/// A named field: bit ranges (most significant first, concatenated), sign
/// extension and the default operand kind used to print it.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ranges: Vec<(u8, u8)>,
    pub signed: bool,
    pub kind: String,
    pub line: usize,
}

impl Field {
    pub fn width(&self) -> u8 {
        self.ranges.iter().map(|(h, l)| h - l + 1).sum()
    }
    pub fn mask(&self) -> u32 {
        self.ranges.iter().fold(0, |m, &(h, l)| m | range_mask(h, l))
    }
}

fn range_mask(hi: u8, lo: u8) -> u32 {
    let w = (hi - lo + 1) as u32;
    let m = if w == 32 { u32::MAX } else { (1u32 << w) - 1 };
    m << lo
}

/// A piece of an assembly syntax template.
#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    /// `{field[,field...][:kind]}`: printed by `operand::<kind>`.
    Operand { kind: String, fields: Vec<usize> },
}

#[derive(Clone, Debug)]
pub struct Syntax {
    pub mnemonic: String,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tag {
    Priv,
    Isa(String),
    Branch { cond: String, link: bool, likely: bool },
    Jump { link: bool },
    JumpReg { link: bool },
    Mem { kind: String, width: u8, signed: bool },
    /// objdump prints it, the CPU raises Reserved Instruction.
    ObjdumpOnly,
    /// The CPU executes it, objdump does not print it as this instruction.
    CpuOnly,
    /// The CPU executes it only when its operands pass this rule, and
    /// raises Reserved Instruction otherwise (`decode` rejects the word;
    /// objdump prints it anyway): `extsize` (lsb + msb <= 31, `ext`),
    /// `inssize` (lsb <= msb, `ins`).
    CpuValid(String),
}

#[derive(Clone, Debug)]
pub struct Insn {
    pub index: usize,
    pub name: String,
    pub line: usize,
    /// Bits fixed by the pattern (`0`/`1`) and their values.
    pub mask: u32,
    pub value: u32,
    /// `-` bits: the CPU ignores them, objdump requires them zero.
    pub ignored: u32,
    /// `x` bits: both ignore them.
    pub dontcare: u32,
    pub fields: Vec<usize>,
    pub syntax: Syntax,
    pub tags: Vec<Tag>,
    pub group: Option<usize>,
    pattern: String,
}

impl Insn {
    pub fn pattern_text(&self) -> &str {
        &self.pattern
    }
    pub fn field_named<'a>(&self, spec: &'a Spec, name: &str) -> Option<&'a Field> {
        self.fields.iter().map(|&i| &spec.fields[i]).find(|f| f.name == name)
    }
    pub fn has(&self, tag: &Tag) -> bool {
        self.tags.contains(tag)
    }
}

#[derive(Clone, Debug)]
pub enum CondValue {
    Const(i64),
    Field(usize),
}

/// `alias`/`form`: an alternative syntax when operand conditions hold.
#[derive(Clone, Debug)]
pub struct Alias {
    pub insn: usize,
    pub conds: Vec<(usize, CondValue)>,
    pub syntax: Syntax,
    /// `form` lines apply with `-M no-aliases` too.
    pub always: bool,
    /// Tagged `no-effect`: the instruction with these operands does
    /// nothing (`nop`, `ssnop`, `ehb`); only with constant operands.
    pub no_effect: bool,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Spec {
    pub fields: Vec<Field>,
    pub insns: Vec<Insn>,
    pub aliases: Vec<Alias>,
}

/// Operand kinds implemented in `isa_spec::operand`, with their field counts.
pub const KINDS: &[(&str, usize)] = &[
    ("gpr", 1),
    ("fpr", 1),
    ("dec", 1),
    ("hex", 1),
    ("branch", 1),
    ("jump", 1),
    ("jumpx", 1),
    ("cp0", 2),
    ("cp0reg", 1),
    ("hwr", 1),
    ("cp1ctl", 1),
    ("cp2reg", 1),
    ("cc", 1),
    ("cc2", 1),
    ("msareg", 1),
    ("extsize", 1),
    ("inssize", 2),
    ("bool", 1),
    ("plus1", 1),
    ("ac", 1),
    ("msactl", 1),
    ("scale2", 1),
    ("scale4", 1),
    ("scale8", 1),
];

/// ISA levels, matching the variants of `isa_spec::IsaLevel` (in CamelCase).
pub const ISA_LEVELS: &[&str] = &["mips1", "mips2", "mips32", "mips32r2", "fpu", "fpu64", "mt", "cop2", "mips3d", "msa"];

fn check_level(level: &str, n: usize) -> Result<(), SpecError> {
    if ISA_LEVELS.contains(&level) {
        Ok(())
    } else {
        Err(SpecError::new(n, format!("unknown ISA level `{level}` (known: {})", ISA_LEVELS.join(", "))))
    }
}

fn word(tok: &Token, line: usize) -> Result<&str, SpecError> {
    tok.as_word().ok_or_else(|| SpecError::new(line, "unexpected quoted string"))
}

fn parse_num(s: &str, line: usize) -> Result<i64, SpecError> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s),
    };
    let v = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16)
    } else {
        t.parse::<i64>()
    }
    .map_err(|_| SpecError::new(line, format!("bad number `{s}`")))?;
    Ok(if neg { -v } else { v })
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_lowercase())
        && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.')
}

struct Parser {
    spec: Spec,
    field_index: HashMap<String, usize>,
    insn_index: HashMap<String, usize>,
    group: Option<(usize, usize)>,
    groups: usize,
    isa: String,
}

pub fn parse(lines: &[Line]) -> Result<Spec, SpecError> {
    let mut p = Parser {
        spec: Spec::default(),
        field_index: HashMap::new(),
        insn_index: HashMap::new(),
        group: None,
        groups: 0,
        isa: "mips1".into(),
    };
    for line in lines {
        p.line(line)?;
    }
    if let Some((_, l)) = p.group {
        return Err(SpecError::new(l, "`group {` is never closed"));
    }
    crate::isa::tree::check_overlaps(&p.spec)?;
    Ok(p.spec)
}

impl Parser {
    fn line(&mut self, line: &Line) -> Result<(), SpecError> {
        let n = line.number;
        let head = word(&line.tokens[0], n)?;
        match head {
            "field" => self.field(line),
            "isa" => {
                let [_, Token::Word(level)] = &line.tokens[..] else {
                    return Err(SpecError::new(n, "expected `isa LEVEL`"));
                };
                check_level(level, n)?;
                self.isa = level.clone();
                Ok(())
            }
            "group" => {
                if line.tokens.len() != 2 || line.tokens[1].as_word() != Some("{") {
                    return Err(SpecError::new(n, "expected `group {`"));
                }
                if self.group.is_some() {
                    return Err(SpecError::new(n, "groups do not nest"));
                }
                self.group = Some((self.groups, n));
                self.groups += 1;
                Ok(())
            }
            "}" => {
                if self.group.take().is_none() {
                    return Err(SpecError::new(n, "`}` without `group {`"));
                }
                Ok(())
            }
            "alias" | "form" => self.alias(line, head == "form"),
            _ => self.insn(line),
        }
    }

    fn field(&mut self, line: &Line) -> Result<(), SpecError> {
        let n = line.number;
        let t = &line.tokens;
        if t.len() < 3 {
            return Err(SpecError::new(n, "expected `field NAME HI:LO[,HI:LO...] [signed] [KIND]`"));
        }
        let name = word(&t[1], n)?;
        if !is_ident(name) {
            return Err(SpecError::new(n, format!("bad field name `{name}`")));
        }
        if self.field_index.contains_key(name) {
            return Err(SpecError::new(n, format!("duplicate field `{name}`")));
        }
        let mut ranges = Vec::new();
        for r in word(&t[2], n)?.split(',') {
            let (h, l) = r.split_once(':').ok_or_else(|| SpecError::new(n, format!("bad bit range `{r}`")))?;
            let h = parse_num(h, n)?;
            let l = parse_num(l, n)?;
            if !(0..32).contains(&h) || !(0..32).contains(&l) || h < l {
                return Err(SpecError::new(n, format!("bad bit range `{r}`")));
            }
            ranges.push((h as u8, l as u8));
        }
        let mut signed = false;
        let mut kind = "hex".to_string();
        for tok in &t[3..] {
            match word(tok, n)? {
                "signed" => signed = true,
                k => {
                    if !KINDS.iter().any(|(name, c)| *name == k && *c == 1) {
                        return Err(SpecError::new(n, format!("unknown operand kind `{k}`")));
                    }
                    kind = k.to_string();
                }
            }
        }
        let f = Field { name: name.to_string(), ranges, signed, kind, line: n };
        let mut seen = 0u32;
        for &(h, l) in &f.ranges {
            if seen & range_mask(h, l) != 0 {
                return Err(SpecError::new(n, "field ranges overlap"));
            }
            seen |= range_mask(h, l);
        }
        self.field_index.insert(f.name.clone(), self.spec.fields.len());
        self.spec.fields.push(f);
        Ok(())
    }

    fn syntax(&self, text: &str, n: usize, allowed: Option<&[usize]>) -> Result<Syntax, SpecError> {
        let (mnemonic, rest) = match text.split_once(' ') {
            Some((m, r)) => (m, r.trim()),
            None => (text, ""),
        };
        if mnemonic.is_empty() {
            return Err(SpecError::new(n, "empty syntax"));
        }
        let mut parts = Vec::new();
        let mut rest = rest;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or_else(|| SpecError::new(n, "unclosed `{` in syntax"))?;
                let inner = &after[..end];
                rest = &after[end + 1..];
                let (names, kind) = match inner.split_once(':') {
                    Some((a, k)) => (a, Some(k)),
                    None => (inner, None),
                };
                let mut fields = Vec::new();
                for name in names.split(',') {
                    let &i = self
                        .field_index
                        .get(name)
                        .ok_or_else(|| SpecError::new(n, format!("unknown field `{name}`")))?;
                    if let Some(allowed) = allowed {
                        if !allowed.contains(&i) {
                            return Err(SpecError::new(n, format!("field `{name}` is not an operand of this instruction")));
                        }
                    }
                    fields.push(i);
                }
                let kind = match kind {
                    Some(k) => k.to_string(),
                    None => self.spec.fields[fields[0]].kind.clone(),
                };
                match KINDS.iter().find(|(k, _)| *k == kind) {
                    Some((_, c)) if *c == fields.len() => {}
                    Some((_, c)) => {
                        return Err(SpecError::new(n, format!("operand kind `{kind}` takes {c} field(s)")))
                    }
                    None => return Err(SpecError::new(n, format!("unknown operand kind `{kind}`"))),
                }
                parts.push(Part::Operand { kind, fields });
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                parts.push(Part::Text(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        Ok(Syntax { mnemonic: mnemonic.to_string(), parts })
    }

    fn insn(&mut self, line: &Line) -> Result<(), SpecError> {
        let n = line.number;
        let t = &line.tokens;
        let name = word(&t[0], n)?;
        if !is_ident(name) {
            return Err(SpecError::new(n, format!("expected a directive or an instruction name, found `{name}`")));
        }
        if self.insn_index.contains_key(name) {
            return Err(SpecError::new(n, format!("duplicate instruction `{name}`")));
        }
        // Pattern: tokens made of 0 1 . - x until the first other token.
        let mut pattern = String::new();
        let mut i = 1;
        while i < t.len() {
            match &t[i] {
                Token::Word(w) if w.chars().all(|c| "01.-x".contains(c)) => {
                    if !pattern.is_empty() {
                        pattern.push(' ');
                    }
                    pattern.push_str(w);
                    i += 1;
                }
                _ => break,
            }
        }
        let bits: Vec<char> = pattern.chars().filter(|c| *c != ' ').collect();
        // A short pattern followed by a word that is mostly pattern: a typo in the pattern.
        if let (true, Some(Token::Word(w))) = (bits.len() < 32, t.get(i)) {
            let in_pattern = w.chars().filter(|c| "01.-x".contains(*c)).count();
            if !w.starts_with('%') && !w.contains('=') && 2 * in_pattern > w.chars().count() {
                if let Some(bad) = w.chars().find(|c| !"01.-x".contains(*c)) {
                    return Err(SpecError::new(n, format!("pattern of `{name}`: `{bad}` in `{w}` is not a pattern character (0 1 . - x)")));
                }
            }
        }
        if bits.len() != 32 {
            return Err(SpecError::new(n, format!("pattern of `{name}` has {} bits, not 32", bits.len())));
        }
        let (mut mask, mut value, mut ignored, mut dontcare, mut operand_bits) = (0u32, 0u32, 0u32, 0u32, 0u32);
        for (k, c) in bits.iter().enumerate() {
            let bit = 1u32 << (31 - k);
            match c {
                '0' => mask |= bit,
                '1' => {
                    mask |= bit;
                    value |= bit
                }
                '-' => ignored |= bit,
                'x' => dontcare |= bit,
                _ => operand_bits |= bit,
            }
        }
        // Explicit `%field` operands, then the syntax string, then tags.
        let mut fields: Vec<usize> = Vec::new();
        let mut syntax_text = None;
        let mut tags = vec![];
        for tok in &t[i..] {
            match tok {
                Token::Quoted(s) => {
                    if syntax_text.is_some() {
                        return Err(SpecError::new(n, "two syntax strings"));
                    }
                    syntax_text = Some(s.clone());
                }
                Token::Word(w) if w.starts_with('%') => {
                    let fname = &w[1..];
                    let &fi = self
                        .field_index
                        .get(fname)
                        .ok_or_else(|| SpecError::new(n, format!("unknown field `{fname}`")))?;
                    if !fields.contains(&fi) {
                        fields.push(fi);
                    }
                }
                Token::Word(w) => tags.push(parse_tag(w, n)?),
            }
        }
        let syntax_text = syntax_text.ok_or_else(|| SpecError::new(n, format!("`{name}` has no syntax string")))?;
        let syntax = self.syntax(&syntax_text, n, None)?;
        for part in &syntax.parts {
            if let Part::Operand { fields: fs, .. } = part {
                for &fi in fs {
                    if !fields.contains(&fi) {
                        fields.push(fi);
                    }
                }
            }
        }
        // Every operand bit belongs to exactly one field; fields touch no fixed bits.
        let mut covered = 0u32;
        for &fi in &fields {
            let f = &self.spec.fields[fi];
            let m = f.mask();
            if m & !operand_bits != 0 {
                return Err(SpecError::new(
                    n,
                    format!("field `{}` ({}) covers bits that are not `.` in the pattern of `{name}`", f.name, bit_list(m & !operand_bits)),
                ));
            }
            if covered & m != 0 {
                return Err(SpecError::new(n, format!("field `{}` overlaps another field of `{name}`", f.name)));
            }
            covered |= m;
        }
        if covered != operand_bits {
            return Err(SpecError::new(n, format!("bits {} of `{name}` are `.` but belong to no field", bit_list(operand_bits & !covered))));
        }
        // Operands in bit order, most significant first: instructions of the
        // same shape (addiu, lw, ...) then get the same layout and the same
        // extraction code, which lets the compiler share it across `match` arms.
        fields.sort_by_key(|&fi| std::cmp::Reverse(self.spec.fields[fi].ranges[0].0));
        if !tags.iter().any(|t| matches!(t, Tag::Isa(_))) {
            tags.push(Tag::Isa(self.isa.clone()));
        }
        let index = self.spec.insns.len();
        self.insn_index.insert(name.to_string(), index);
        self.spec.insns.push(Insn {
            index,
            name: name.to_string(),
            line: n,
            mask,
            value,
            ignored,
            dontcare,
            fields,
            syntax,
            tags,
            group: self.group.map(|(g, _)| g),
            pattern,
        });
        Ok(())
    }

    fn alias(&mut self, line: &Line, always: bool) -> Result<(), SpecError> {
        let n = line.number;
        let t = &line.tokens;
        if t.len() < 3 {
            return Err(SpecError::new(n, "expected `alias INSN [FIELD=VALUE...] \"SYNTAX\"`"));
        }
        let base = word(&t[1], n)?;
        let &insn = self
            .insn_index
            .get(base)
            .ok_or_else(|| SpecError::new(n, format!("unknown instruction `{base}` (aliases follow their instruction)")))?;
        let fields = self.spec.insns[insn].fields.clone();
        let mut conds = Vec::new();
        let mut syntax = None;
        let mut no_effect = false;
        for tok in &t[2..] {
            match tok {
                Token::Quoted(s) => syntax = Some(self.syntax(s, n, Some(&fields))?),
                Token::Word(w) if w == "no-effect" && syntax.is_some() && !no_effect => no_effect = true,
                Token::Word(w) if syntax.is_some() => {
                    return Err(SpecError::new(n, format!("unexpected `{w}` after the alias syntax (the only tag is `no-effect`, once)")))
                }
                Token::Word(w) => {
                    let (f, v) = w.split_once('=').ok_or_else(|| SpecError::new(n, format!("expected FIELD=VALUE, found `{w}`")))?;
                    let &fi = self.field_index.get(f).ok_or_else(|| SpecError::new(n, format!("unknown field `{f}`")))?;
                    if !fields.contains(&fi) {
                        return Err(SpecError::new(n, format!("`{base}` has no field `{f}`")));
                    }
                    let v = match self.field_index.get(v) {
                        Some(&other) if fields.contains(&other) => CondValue::Field(other),
                        _ => CondValue::Const(parse_num(v, n)?),
                    };
                    conds.push((fi, v));
                }
            }
        }
        let syntax = syntax.ok_or_else(|| SpecError::new(n, "alias has no syntax string"))?;
        if no_effect && conds.iter().any(|(_, v)| matches!(v, CondValue::Field(_))) {
            return Err(SpecError::new(n, "a `no-effect` alias needs constant operands (FIELD=NUMBER)"));
        }
        self.spec.aliases.push(Alias { insn, conds, syntax, always, no_effect, line: n });
        Ok(())
    }
}

fn parse_tag(w: &str, n: usize) -> Result<Tag, SpecError> {
    let (key, val) = match w.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (w, None),
    };
    let opts: Vec<&str> = val.map(|v| v.split(',').collect()).unwrap_or_default();
    let flag = |name: &str| opts.contains(&name);
    Ok(match key {
        "priv" => Tag::Priv,
        "objdump-only" => Tag::ObjdumpOnly,
        "cpu-only" => Tag::CpuOnly,
        "cpu-valid" => match val {
            Some(rule @ ("extsize" | "inssize")) => Tag::CpuValid(rule.to_string()),
            _ => return Err(SpecError::new(n, "`cpu-valid=` needs a rule: extsize or inssize")),
        },
        "isa" => {
            let level = val.ok_or_else(|| SpecError::new(n, "`isa=` needs a level"))?;
            check_level(level, n)?;
            Tag::Isa(level.to_string())
        }
        "branch" => {
            let cond = opts.first().ok_or_else(|| SpecError::new(n, "`branch=` needs a condition"))?;
            for o in &opts[1..] {
                if !["link", "likely"].contains(o) {
                    return Err(SpecError::new(n, format!("unknown branch option `{o}`")));
                }
            }
            Tag::Branch { cond: cond.to_string(), link: flag("link"), likely: flag("likely") }
        }
        "jump" => Tag::Jump { link: flag("link") },
        "jumpreg" => Tag::JumpReg { link: flag("link") },
        "mem" => {
            let kinds = [
                "load", "store", "load_left", "load_right", "store_left", "store_right", "load_linked",
                "store_conditional", "fp_load", "fp_store", "cp2_load", "cp2_store", "no_data",
            ];
            let kind = opts.first().copied().unwrap_or("");
            if !kinds.contains(&kind) {
                return Err(SpecError::new(n, format!("unknown memory kind `{kind}`")));
            }
            let width = opts.get(1).and_then(|w| w.parse::<u8>().ok()).filter(|w| [0, 1, 2, 4, 8].contains(w));
            let width = width.ok_or_else(|| SpecError::new(n, "`mem=KIND,WIDTH[,signed]` needs a width of 0, 1, 2, 4 or 8"))?;
            Tag::Mem { kind: kind.to_string(), width, signed: opts.get(2) == Some(&"signed") }
        }
        _ => return Err(SpecError::new(n, format!("unknown tag `{w}`"))),
    })
}

fn bit_list(m: u32) -> String {
    let bits: Vec<String> = (0..32).rev().filter(|b| m & (1 << b) != 0).map(|b| b.to_string()).collect();
    bits.join(",")
}
