//! Encoders for the instruction words the generator uses (MIPS32r2
//! encodings, written out here so the vectors do not depend on the decoder
//! they help to test).

pub const NOP: u32 = 0;
pub const TLBR: u32 = 0x4200_0001;
pub const TLBWI: u32 = 0x4200_0002;
pub const TLBWR: u32 = 0x4200_0006;
pub const TLBP: u32 = 0x4200_0008;
pub const ERET: u32 = 0x4200_0018;
pub const DERET: u32 = 0x4200_001F;
pub const WAIT: u32 = 0x4200_0020;
/// `sd $0, 0($0)`: a MIPS64 store, reserved on MIPS32.
pub const RESERVED: u32 = 0xFC00_0000;

fn r(v: u32, shift: u32) -> u32 {
    v << shift
}

pub fn mfc0(rt: u32, rd: u32, sel: u32) -> u32 {
    0x4000_0000 | r(rt, 16) | r(rd, 11) | sel
}

pub fn mtc0(rt: u32, rd: u32, sel: u32) -> u32 {
    0x4080_0000 | r(rt, 16) | r(rd, 11) | sel
}

pub fn di(rt: u32) -> u32 {
    0x4160_6000 | r(rt, 16)
}

pub fn ei(rt: u32) -> u32 {
    0x4160_6020 | r(rt, 16)
}

pub fn rdpgpr(rd: u32, rt: u32) -> u32 {
    0x4140_0000 | r(rt, 16) | r(rd, 11)
}

pub fn wrpgpr(rd: u32, rt: u32) -> u32 {
    0x41C0_0000 | r(rt, 16) | r(rd, 11)
}

pub fn cache(op: u32, base: u32, offset: u16) -> u32 {
    0xBC00_0000 | r(base, 21) | r(op, 16) | u32::from(offset)
}

pub fn mfc1(rt: u32, fs: u32) -> u32 {
    0x4400_0000 | r(rt, 16) | r(fs, 11)
}

pub fn mfc2(rt: u32, rd: u32) -> u32 {
    0x4800_0000 | r(rt, 16) | r(rd, 11)
}

pub fn itype(op: u32, rs: u32, rt: u32, imm: u16) -> u32 {
    r(op, 26) | r(rs, 21) | r(rt, 16) | u32::from(imm)
}

/// The branches with two register operands or REGIMM/zero forms, by name:
/// (name, encoding without rs/rt/offset, uses rt, likely, links).
pub const BRANCHES: &[(&str, u32, bool, bool, bool)] = &[
    ("beq", 0x1000_0000, true, false, false),
    ("bne", 0x1400_0000, true, false, false),
    ("blez", 0x1800_0000, false, false, false),
    ("bgtz", 0x1C00_0000, false, false, false),
    ("beql", 0x5000_0000, true, true, false),
    ("bnel", 0x5400_0000, true, true, false),
    ("blezl", 0x5800_0000, false, true, false),
    ("bgtzl", 0x5C00_0000, false, true, false),
    ("bltz", 0x0400_0000, false, false, false),
    ("bgez", 0x0401_0000, false, false, false),
    ("bltzl", 0x0402_0000, false, true, false),
    ("bgezl", 0x0403_0000, false, true, false),
    ("bltzal", 0x0410_0000, false, false, true),
    ("bgezal", 0x0411_0000, false, false, true),
    ("bltzall", 0x0412_0000, false, true, true),
    ("bgezall", 0x0413_0000, false, true, true),
];

pub fn branch(base: u32, rs: u32, rt: u32, imm: u16) -> u32 {
    base | r(rs, 21) | r(rt, 16) | u32::from(imm)
}

pub fn j(target: u32) -> u32 {
    0x0800_0000 | ((target >> 2) & 0x03FF_FFFF)
}

pub fn jal(target: u32) -> u32 {
    0x0C00_0000 | ((target >> 2) & 0x03FF_FFFF)
}

pub fn jr(rs: u32, hb: bool) -> u32 {
    r(rs, 21) | if hb { 1 << 10 } else { 0 } | 0x08
}

pub fn jalr(rd: u32, rs: u32, hb: bool) -> u32 {
    r(rs, 21) | r(rd, 11) | if hb { 1 << 10 } else { 0 } | 0x09
}

/// bc1f/bc1t/bc1fl/bc1tl cc, and the COP2 forms (`cop` = 1 or 2).
pub fn bc(cop: u32, cc: u32, tf: u32, likely: u32, imm: u16) -> u32 {
    (if cop == 1 { 0x4500_0000 } else { 0x4900_0000 }) | r(cc, 18) | r(likely, 17) | r(tf, 16) | u32::from(imm)
}

/// sdbbp with a 20-bit code.
pub fn sdbbp(code: u32) -> u32 {
    0x7000_003F | ((code & 0xF_FFFF) << 6)
}

/// ext rt, rs, lsb, msbd + 1 (fields as encoded: msbd = size - 1).
pub fn ext(rt: u32, rs: u32, lsb: u32, msbd: u32) -> u32 {
    r(0x1F, 26) | r(rs, 21) | r(rt, 16) | r(msbd, 11) | r(lsb, 6)
}

/// ins rt, rs, lsb, msb - lsb + 1 (fields as encoded: msb = pos + size - 1).
pub fn ins(rt: u32, rs: u32, lsb: u32, msb: u32) -> u32 {
    r(0x1F, 26) | r(rs, 21) | r(rt, 16) | r(msb, 11) | r(lsb, 6) | 0x04
}
