//! Hand-written types that the generated accessors (`Insn::control_flow`,
//! `Insn::mem_access`) return. The generator only fills them in from the
//! spec's tags; their meaning is documented here once.

/// The condition a branch tests. GPR conditions compare `rs` (and `rt`) as
/// signed 32-bit values; FPU conditions test a condition-code bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// `beq`: rs == rt.
    Eq,
    /// `bne`: rs != rt.
    Ne,
    /// rs <= 0.
    Lez,
    /// rs > 0.
    Gtz,
    /// rs < 0.
    Ltz,
    /// rs >= 0.
    Gez,
    /// FPU condition code `cc` is set (`bc1t`).
    FpTrue { cc: u8 },
    /// FPU condition code `cc` is clear (`bc1f`).
    FpFalse { cc: u8 },
    /// COP2 condition `cc` set / clear (`bc2t` / `bc2f`); always false on the 24Kf (no COP2).
    Cp2True { cc: u8 },
    Cp2False { cc: u8 },
}

/// Where control goes after a branch or jump. Every MIPS32 branch and jump has
/// one delay slot; `likely` branches annul it when not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlFlow {
    /// PC-relative branch: taken target = address of the delay slot + `offset`.
    Branch {
        cond: Cond,
        rs: u8,
        rt: u8,
        /// Byte offset (the 16-bit field sign-extended and shifted left by 2).
        offset: i32,
        /// Writes the return address (branch + 8) to `$31`, taken or not (`bltzal`, `bgezal`, ...).
        link: bool,
        likely: bool,
    },
    /// `j` / `jal`: target = (delay-slot address & 0xF000_0000) | (index << 2).
    Jump { index: u32, link: bool },
    /// `jr` / `jalr` (also `.hb`): target = GPR[rs]; `link_rd` gets branch + 8.
    JumpReg { rs: u8, link_rd: Option<u8> },
}

/// What a load or store touches: the effective address is GPR[base] + offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    pub kind: MemKind,
    /// Access width in bytes: 1, 2, 4 or 8 (`ldc1`/`sdc1`).
    pub width: u8,
    /// Loads only: sign-extend the loaded value (lb, lh) rather than zero-extend (lbu, lhu).
    pub signed: bool,
    pub base: u8,
    /// The data register: a GPR, or an FPR for `Fp*` kinds.
    pub rt: u8,
    pub offset: i16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemKind {
    Load,
    Store,
    /// lwl / lwr / swl / swr: the unaligned partial-word forms.
    LoadLeft,
    LoadRight,
    StoreLeft,
    StoreRight,
    /// ll / sc.
    LoadLinked,
    StoreConditional,
    /// lwc1 / ldc1 / swc1 / sdc1 (and lwxc1 style indexed forms use `Indexed`).
    FpLoad,
    FpStore,
    /// COP2 loads/stores (lwc2, swc2, ldc2, sdc2): reach no device on the 24Kf.
    Cp2Load,
    Cp2Store,
    /// A cache or prefetch op that names an address but transfers no data.
    NoData,
}

/// The ISA level (or extension) that introduced an instruction, from the
/// spec's `isa` directives and `isa=` tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsaLevel {
    Mips1,
    Mips2,
    Mips32,
    Mips32r2,
    /// Floating point (CP1) of MIPS I–IV / MIPS32.
    Fpu,
    /// Paired-single and other 64-bit FPU formats (MIPS32r2 with a 64-bit FPU).
    Fpu64,
    /// The MIPS MT ASE (`mftr`, `mttr`), which QEMU's 24Kf accepts anyway.
    Mt,
    /// The COP2 class.
    Cop2,
    /// MIPS-3D ASE forms (objdump-only: the 24Kf lacks the ASE).
    Mips3d,
    /// MSA forms (objdump-only).
    Msa,
}
