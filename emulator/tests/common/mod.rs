//! Instruction encoders and a kernel-mode CPU for the emulator's tests. Each
//! encoder is the MIPS32 encoding, written out so the tests do not depend
//! on the decoder they exercise.
#![allow(dead_code)]

use emulator::{AddressMap, Cpu};

/// A native-map CPU in kernel mode (Status = 0: BEV, ERL, EXL clear), at
/// 0x80001000.
pub fn kernel_cpu() -> Cpu {
    let mut cpu = Cpu::new(AddressMap::Native);
    cpu.cp0.status = 0;
    cpu.pc = 0x8000_1000;
    cpu
}

/// A CPU in user mode (KSU = 2), CU0 clear.
pub fn user_cpu() -> Cpu {
    let mut cpu = kernel_cpu();
    cpu.cp0.status = 0x0000_0010;
    cpu.pc = 0x0040_0000;
    cpu
}

fn r(reg: u32) -> u32 {
    reg & 0x1F
}

pub fn mfc0(rt: u32, rd: u32, sel: u32) -> u32 {
    0x4000_0000 | r(rt) << 16 | r(rd) << 11 | (sel & 7)
}
pub fn mtc0(rt: u32, rd: u32, sel: u32) -> u32 {
    0x4080_0000 | r(rt) << 16 | r(rd) << 11 | (sel & 7)
}
pub const TLBR: u32 = 0x4200_0001;
pub const TLBWI: u32 = 0x4200_0002;
pub const TLBWR: u32 = 0x4200_0006;
pub const TLBP: u32 = 0x4200_0008;
pub const ERET: u32 = 0x4200_0018;
pub const DERET: u32 = 0x4200_001F;
pub const WAIT: u32 = 0x4200_0020;
pub const NOP: u32 = 0;
/// addu $1, $2, $3: an ordinary instruction.
pub const ADDU: u32 = 0x0043_0821;
pub fn di(rt: u32) -> u32 {
    0x4160_6000 | r(rt) << 16
}
pub fn ei(rt: u32) -> u32 {
    0x4160_6020 | r(rt) << 16
}
pub fn rdhwr(rt: u32, rd: u32) -> u32 {
    0x7C00_003B | r(rt) << 16 | r(rd) << 11
}
pub fn rdpgpr(rd: u32, rt: u32) -> u32 {
    0x4140_0000 | r(rt) << 16 | r(rd) << 11
}
pub fn wrpgpr(rd: u32, rt: u32) -> u32 {
    0x41C0_0000 | r(rt) << 16 | r(rd) << 11
}
pub fn cache(op: u32, base: u32, offset: u16) -> u32 {
    0xBC00_0000 | r(base) << 21 | r(op) << 16 | u32::from(offset)
}

fn imm_branch(opcode: u32, rs: u32, rt: u32, offset_words: i16) -> u32 {
    opcode << 26 | r(rs) << 21 | r(rt) << 16 | u32::from(offset_words as u16)
}
pub fn beq(rs: u32, rt: u32, off: i16) -> u32 {
    imm_branch(0x04, rs, rt, off)
}
pub fn bne(rs: u32, rt: u32, off: i16) -> u32 {
    imm_branch(0x05, rs, rt, off)
}
pub fn blez(rs: u32, off: i16) -> u32 {
    imm_branch(0x06, rs, 0, off)
}
pub fn bgtz(rs: u32, off: i16) -> u32 {
    imm_branch(0x07, rs, 0, off)
}
pub fn beql(rs: u32, rt: u32, off: i16) -> u32 {
    imm_branch(0x14, rs, rt, off)
}
pub fn bnel(rs: u32, rt: u32, off: i16) -> u32 {
    imm_branch(0x15, rs, rt, off)
}
pub fn blezl(rs: u32, off: i16) -> u32 {
    imm_branch(0x16, rs, 0, off)
}
pub fn bgtzl(rs: u32, off: i16) -> u32 {
    imm_branch(0x17, rs, 0, off)
}
/// REGIMM branches: rt selects bltz (0), bgez (1), bltzl (2), bgezl (3),
/// bltzal (16), bgezal (17), bltzall (18), bgezall (19).
pub fn regimm(rs: u32, rt: u32, off: i16) -> u32 {
    imm_branch(0x01, rs, rt, off)
}
pub fn j(target: u32) -> u32 {
    0x0800_0000 | (target >> 2 & 0x03FF_FFFF)
}
pub fn jal(target: u32) -> u32 {
    0x0C00_0000 | (target >> 2 & 0x03FF_FFFF)
}
pub fn jr(rs: u32) -> u32 {
    r(rs) << 21 | 0x08
}
pub fn jalr(rd: u32, rs: u32) -> u32 {
    r(rs) << 21 | r(rd) << 11 | 0x09
}
/// bc1f / bc1t / bc1fl / bc1tl on condition code `cc`.
pub fn bc1(cc: u32, tf: bool, likely: bool, off: i16) -> u32 {
    0x4500_0000 | (cc & 7) << 18 | u32::from(likely) << 17 | u32::from(tf) << 16 | u32::from(off as u16)
}
