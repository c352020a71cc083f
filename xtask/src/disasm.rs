//! `cargo xtask disasm`: the command-line disassembler over the generated
//! decoder (`isa_spec::disassemble`), printing what GNU objdump prints.
//!
//! ```text
//! cargo xtask disasm [--base ADDR] [--no-aliases] [WORD...]   words as hex; stdin if none
//! cargo xtask disasm [--no-aliases] --elf FILE                executable sections, like objdump -d
//! ```
use std::io::{BufRead, Write};

const USAGE: &str = "usage: cargo xtask disasm [--base ADDR] [--no-aliases] [WORD...]
       cargo xtask disasm [--no-aliases] --elf FILE
WORDs are little-endian instruction words in hex (with or without 0x); with
none, one word per line is read from stdin.";

struct Options {
    base: u32,
    aliases: bool,
    elf: Option<String>,
    words: Vec<String>,
}

fn parse_hex(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    u32::from_str_radix(t, 16).map_err(|_| format!("`{s}` is not a 32-bit hex number"))
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options { base: 0, aliases: true, elf: None, words: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--base" => o.base = parse_hex(it.next().ok_or("--base needs an address")?)?,
            "--no-aliases" => o.aliases = false,
            "--elf" => o.elf = Some(it.next().ok_or("--elf needs a file")?.clone()),
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option `{s}`\n{USAGE}")),
            s => o.words.push(s.to_string()),
        }
    }
    if o.elf.is_some() && !o.words.is_empty() {
        return Err(format!("--elf takes no words\n{USAGE}"));
    }
    Ok(o)
}

/// One output line: address, tab, word, tab, instruction.
pub fn line(pc: u32, word: u32, aliases: bool) -> String {
    format!("{pc:x}\t{word:08x}\t{}", isa_spec::disassemble(word, pc, aliases))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let o = parse_args(args)?;
    if let Some(path) = &o.elf {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let text = disassemble_elf(&bytes, o.aliases)?;
        return write_out(&text);
    }
    let mut out = String::new();
    let mut pc = o.base;
    let mut emit = |s: &str| -> Result<(), String> {
        let w = parse_hex(s)?;
        out.push_str(&line(pc, w, o.aliases));
        out.push('\n');
        pc = pc.wrapping_add(4);
        Ok(())
    };
    if o.words.is_empty() {
        for l in std::io::stdin().lock().lines() {
            let l = l.map_err(|e| format!("reading stdin: {e}"))?;
            if !l.trim().is_empty() {
                emit(&l)?;
            }
        }
    } else {
        for w in &o.words {
            emit(w)?;
        }
    }
    write_out(&out)
}

fn write_out(s: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(s.as_bytes()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("writing stdout: {e}")),
    }
}

/// A section of an ELF32 little-endian MIPS file.
struct Section {
    name: String,
    addr: u32,
    offset: u32,
    size: u32,
    flags: u32,
    kind: u32,
    link: u32,
}

struct Symbol {
    name: String,
    value: u32,
    section: u16,
    kind: u8,
}

fn u16_at(b: &[u8], off: usize) -> Result<u16, String> {
    b.get(off..off + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| "truncated ELF file".to_string())
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, String> {
    b.get(off..off + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "truncated ELF file".to_string())
}

fn c_str(b: &[u8], off: usize) -> String {
    let tail = b.get(off..).unwrap_or(&[]);
    let end = tail.iter().position(|&c| c == 0).unwrap_or(tail.len());
    String::from_utf8_lossy(&tail[..end]).into_owned()
}

const SHF_EXECINSTR: u32 = 4;
const SHT_SYMTAB: u32 = 2;

fn sections(b: &[u8]) -> Result<Vec<Section>, String> {
    if b.get(0..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if b.get(4) != Some(&1) || b.get(5) != Some(&1) {
        return Err("only 32-bit little-endian ELF files are supported".into());
    }
    if u16_at(b, 18)? != 8 {
        return Err("not a MIPS ELF file".into());
    }
    let shoff = u32_at(b, 32)? as usize;
    let shentsize = u16_at(b, 46)? as usize;
    let shnum = u16_at(b, 48)? as usize;
    let shstrndx = u16_at(b, 50)? as usize;
    let mut raw = Vec::new();
    for i in 0..shnum {
        let h = shoff + i * shentsize;
        raw.push((
            u32_at(b, h)?,
            u32_at(b, h + 4)?,
            u32_at(b, h + 8)?,
            u32_at(b, h + 12)?,
            u32_at(b, h + 16)?,
            u32_at(b, h + 20)?,
            u32_at(b, h + 24)?,
        ));
    }
    let strtab = raw.get(shstrndx).map(|s| s.4 as usize).unwrap_or(0);
    Ok(raw
        .into_iter()
        .map(|(name, kind, flags, addr, offset, size, link)| Section {
            name: c_str(b, strtab + name as usize),
            addr,
            offset,
            size,
            flags,
            kind,
            link,
        })
        .collect())
}

fn symbols(b: &[u8], secs: &[Section]) -> Result<Vec<Symbol>, String> {
    let mut out = Vec::new();
    for s in secs.iter().filter(|s| s.kind == SHT_SYMTAB) {
        let strtab = secs.get(s.link as usize).map(|t| t.offset as usize).unwrap_or(0);
        for k in 0..(s.size / 16) as usize {
            let e = s.offset as usize + k * 16;
            let name = c_str(b, strtab + u32_at(b, e)? as usize);
            let info = *b.get(e + 12).ok_or("truncated ELF file")?;
            let section = u16_at(b, e + 14)?;
            // Functions, objects and untyped labels name code; skip files and sections.
            if !name.is_empty() && matches!(info & 0xf, 0..=2) && !name.starts_with('$') {
                out.push(Symbol { name, value: u32_at(b, e + 4)?, section, kind: info & 0xf });
            }
        }
    }
    Ok(out)
}

/// The `<symbol+0xoff>` objdump prints after an address, if a symbol precedes it.
fn label(syms: &[Symbol], addr: u32) -> Option<String> {
    // The nearest symbol at or below `addr`; among equals a function, then the
    // smallest name (objdump's order).
    let best = syms
        .iter()
        .filter(|s| s.value <= addr && s.section != 0)
        .min_by_key(|s| (std::cmp::Reverse(s.value), s.kind != 2, s.name.as_str()))?;
    Some(if best.value == addr { format!("<{}>", best.name) } else { format!("<{}+0x{:x}>", best.name, addr - best.value) })
}

fn disassemble_elf(b: &[u8], aliases: bool) -> Result<String, String> {
    let secs = sections(b)?;
    let syms = symbols(b, &secs)?;
    let mut out = String::new();
    for (index, s) in secs.iter().enumerate() {
        if s.flags & SHF_EXECINSTR == 0 || s.size == 0 {
            continue;
        }
        out.push_str(&format!("\nDisassembly of section {}:\n", s.name));
        let data = b
            .get(s.offset as usize..(s.offset as usize + s.size as usize))
            .ok_or_else(|| format!("section {} lies outside the file", s.name))?;
        // objdump disassembles symbol by symbol; a run of 8 or more zero bytes
        // inside one is printed as `...` unless it follows a branch (delay slot).
        let mut starts: Vec<u32> = syms.iter().filter(|y| y.section as usize == index).map(|y| y.value).collect();
        starts.sort_unstable();
        let mut k = 0usize;
        let mut after_branch = false;
        while k < data.len() {
            let pc = s.addr.wrapping_add(k as u32);
            let mut here: Vec<&Symbol> = syms.iter().filter(|y| y.value == pc && y.section as usize == index).collect();
            here.sort_by_key(|y| (y.kind != 2, y.name.as_str()));
            if let Some(y) = here.first() {
                out.push_str(&format!("\n{pc:08x} <{}>:\n", y.name));
            }
            let region_end = starts
                .iter()
                .find(|&&a| a > pc)
                .map(|&a| (a.wrapping_sub(s.addr) as usize).min(data.len()))
                .unwrap_or(data.len());
            let zeros = data[k..region_end].iter().take_while(|&&c| c == 0).count();
            if !after_branch && (zeros >= 8 || (k + zeros == region_end && zeros > 0 && zeros < 3)) {
                out.push_str("\t...\n");
                k += zeros & !3;
                if zeros & 3 != 0 && zeros < 4 {
                    k += zeros;
                }
                continue;
            }
            let chunk = &data[k..(k + 4).min(data.len())];
            k += 4;
            if chunk.len() < 4 {
                let hex: String = chunk.iter().map(|c| format!("{c:02x}")).collect();
                out.push_str(&format!("{pc:8x}:\t{hex}\n"));
                continue;
            }
            let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let mut text = isa_spec::disassemble(word, pc, aliases).to_string();
            let insn = isa_spec::decode_objdump(word);
            after_branch = insn.is_some_and(|i| i.control_flow().is_some() || i.branch_target(pc).is_some());
            // objdump -d prints branch targets as `ADDR <symbol+off>`.
            let target = insn.and_then(|i| i.branch_target(pc));
            if let Some(t) = target {
                if let Some(pos) = text.rfind("0x") {
                    let mut replaced = format!("{}{t:x}", &text[..pos]);
                    if let Some(l) = label(&syms, t) {
                        replaced.push(' ');
                        replaced.push_str(&l);
                    }
                    text = replaced;
                }
            }
            out.push_str(&format!("{pc:8x}:\t{word:08x} \t{text}\n"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_address_word_and_text() {
        assert_eq!(line(0x8010_0000, 0x4080_6000, true), "80100000\t40806000\tmtc0\tzero,c0_status");
        assert_eq!(line(0, 0x0000_0000, false), "0\t00000000\tsll\tzero,zero,0x0");
        assert_eq!(line(4, 0x4080_6008, true), "4\t40806008\t.word\t0x40806008");
    }

    #[test]
    fn parses_options() {
        let o = parse_args(&["--base".into(), "0x80000000".into(), "--no-aliases".into(), "24020005".into()]).unwrap();
        assert_eq!((o.base, o.aliases, o.words.len()), (0x8000_0000, false, 1));
        assert!(parse_args(&["--bogus".into()]).is_err());
        assert!(parse_hex("xyz").is_err());
    }

    #[test]
    fn rejects_non_elf() {
        assert!(disassemble_elf(b"not an elf", true).is_err());
        assert!(disassemble_elf(&[], true).is_err());
    }
}
