//! A recorded vector and the text format of the vector files.
use crate::state::{field_index, field_name, State};
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vector {
    pub name: String,
    /// The instruction under test, at `pre.pc`.
    pub word: u32,
    /// Its delay slot, when `word` is a branch or jump.
    pub slot: Option<u32>,
    pub pre: State,
    pub post: State,
    /// Bits of post-state fields that QEMU does not let the recorder observe
    /// (field, mask of ignored bits); see README.
    pub masks: Vec<(usize, u32)>,
}

/// Fields never compared: k0/k1 (the recorder's), Random (never read by
/// the dumps; its generator is compared as `lcg.*`), and the PW registers
/// (reading them raises RI).
pub fn always_masked(field: usize) -> bool {
    use crate::state::{cp0, RANDOM};
    field == 26 || field == 27 || field == RANDOM || [cp0(5, 5), cp0(5, 6), cp0(5, 7), cp0(6, 6)].contains(&field)
}

impl Vector {
    /// The bits of `field` that a comparison checks.
    pub fn compared_bits(&self, field: usize) -> u32 {
        if always_masked(field) {
            return 0;
        }
        !self.masks.iter().filter(|m| m.0 == field).fold(0, |acc, m| acc | m.1)
    }
}

fn fields(out: &mut String, key: &str, changes: &[(usize, u32)]) {
    let _ = write!(out, "  {key}");
    for &(i, v) in changes {
        let _ = write!(out, " {}={v:08x}", field_name(i));
    }
    out.push('\n');
}

/// Writes one vector file: a header, the base state (the first vector's
/// pre-state), then each vector with its pre-state as changes from the base
/// and its post-state as changes from its pre-state.
pub fn write_file(category: &str, vectors: &[Vector]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Test vectors `{category}`: {} vectors recorded on QEMU 7.2 Malta (24Kf)", vectors.len());
    out.push_str("# by `cargo xtask record-vectors`. Format: testvectors/README.md. Do not edit.\n");
    let base = vectors.first().map(|v| v.pre.clone()).unwrap_or_default();
    let nonzero: Vec<_> = State::default().changes_to(&base);
    for chunk in nonzero.chunks(8) {
        out.push_str("base");
        for &(i, v) in chunk {
            let _ = write!(out, " {}={v:08x}", field_name(i));
        }
        out.push('\n');
    }
    for v in vectors {
        let _ = writeln!(out, "\nvector {}", v.name);
        let _ = writeln!(out, "  word {:08x}", v.word);
        if let Some(slot) = v.slot {
            let _ = writeln!(out, "  slot {slot:08x}");
        }
        fields(&mut out, "pre", &base.changes_to(&v.pre));
        fields(&mut out, "post", &v.pre.changes_to(&v.post));
        if !v.masks.is_empty() {
            out.push_str("  mask");
            for &(i, m) in &v.masks {
                let _ = write!(out, " {}:{m:08x}", field_name(i));
            }
            out.push('\n');
        }
    }
    out
}

fn parse_hex(s: &str, line: usize) -> Result<u32, String> {
    u32::from_str_radix(s, 16).map_err(|_| format!("line {line}: bad hex `{s}`"))
}

fn parse_assignments(words: &[&str], sep: char, line: usize) -> Result<Vec<(usize, u32)>, String> {
    words
        .iter()
        .map(|w| {
            let (name, value) = w.split_once(sep).ok_or(format!("line {line}: expected name{sep}value, got `{w}`"))?;
            let field = field_index(name).ok_or(format!("line {line}: unknown field `{name}`"))?;
            Ok((field, parse_hex(value, line)?))
        })
        .collect()
}

/// Parses a file written by [`write_file`].
pub fn parse_file(text: &str) -> Result<Vec<Vector>, String> {
    let mut base = State::default();
    let mut vectors: Vec<Vector> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&key, rest)) = words.split_first() else { continue };
        if key.starts_with('#') {
            continue;
        }
        if key == "base" {
            base = base.with(&parse_assignments(rest, '=', n)?);
            continue;
        }
        if key == "vector" {
            let name = rest.first().ok_or(format!("line {n}: vector without a name"))?;
            vectors.push(Vector { name: name.to_string(), word: 0, slot: None, pre: base.clone(), post: base.clone(), masks: vec![] });
            continue;
        }
        let v = vectors.last_mut().ok_or(format!("line {n}: `{key}` outside a vector"))?;
        match key {
            "word" => v.word = parse_hex(rest.first().ok_or(format!("line {n}: no word"))?, n)?,
            "slot" => v.slot = Some(parse_hex(rest.first().ok_or(format!("line {n}: no slot"))?, n)?),
            "pre" => {
                v.pre = base.with(&parse_assignments(rest, '=', n)?);
                v.post = v.pre.clone();
            }
            "post" => v.post = v.pre.with(&parse_assignments(rest, '=', n)?),
            "mask" => v.masks = parse_assignments(rest, ':', n)?,
            other => return Err(format!("line {n}: unknown key `{other}`")),
        }
    }
    Ok(vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{FIELDS, LCG_PREV, LCG_SEED, PC};

    #[test]
    fn files_round_trip() {
        let mut pre = State::default();
        pre.0[PC] = 0x8040_0804;
        pre.0[5] = 0x1234;
        let mut post = pre.clone();
        post.0[PC] = 0x8040_0808;
        post.0[LCG_SEED] = 7;
        post.0[LCG_PREV] = 3;
        post.0[FIELDS - 3] = 0xFFFF_FFFF;
        let a = Vector { name: "a".into(), word: 0x4200_0002, slot: None, pre: pre.clone(), post, masks: vec![(crate::state::EPC, !0)] };
        let mut pre_b = pre;
        pre_b.0[7] = 9;
        let b = Vector { name: "b".into(), word: 0x1000_0003, slot: Some(0), pre: pre_b.clone(), post: pre_b, masks: vec![] };
        let text = write_file("t", &[a.clone(), b.clone()]);
        assert_eq!(parse_file(&text).unwrap(), vec![a, b]);
    }
}
