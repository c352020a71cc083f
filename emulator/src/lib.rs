//! The engine the hypervisor runs on: the CP0 model, the software TLB, the
//! privileged-instruction emulator, exception entry and branch evaluation of
//! a MIPS 24Kf, behaving as QEMU 7.2 does.
//!
//! The CP0 register file, the privileged-instruction table and the exception
//! table are generated from `isa-spec/cp0-24kf.cp0` by `codegen_macros::cp0!`;
//! the hooks the spec names are plain functions in [`hooks`].
//!
//! `no_std`, no `unsafe`, no allocation: the same code runs in host tests and
//! inside the hypervisor.
//!
//! Not modelled (each reports `NotEmulated` or is documented where it
//! matters): MFTR/MTTR, MIPS16 execution (an odd PC is kept as the ISA-mode
//! bit), shadow register sets other than PSS = 0 for rdpgpr/wrpgpr, the
//! pending-branch state QEMU keeps across a WAIT in a delay slot, and
//! instruction-fetch faults at a jump target.
#![no_std]
#![forbid(unsafe_code)]

pub mod addrmap;
pub mod branch;
mod decode;
pub mod hooks;
mod memory;
pub mod tlb;

/// Generated from the CP0 spec: `Cp0`, `Cp0Reg`, `ExcCode`, `ExceptionKind`,
/// the profile constants (`TLB_ENTRIES`, `PRID`, ...), `Cpu::cp0_read`,
/// `Cpu::cp0_write` and the privileged dispatch.
mod generated {
    codegen_macros::cp0!("../isa-spec/cp0-24kf.cp0");
}

pub use generated::*;
pub use tlb::{Tlb, TlbEntry, TlbRegs};

/// Which address layout the CPU sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressMap {
    /// The real MIPS32 map (vectors at 0x80000000 / 0xBFC00000).
    Native,
    /// A hypervisor guest's view ([`addrmap::GuestMap`]): the kernel
    /// segments below 0x80000000.
    Guest(&'static addrmap::GuestMap),
}

impl AddressMap {
    /// The seed's guest map (`addrmap::SHIFTED`).
    pub const SHIFTED: AddressMap = AddressMap::Guest(&addrmap::SHIFTED);

    /// A native kernel address (KSEG0..KSEG3) as this map shows it; one
    /// with no place in a guest map is given unchanged (an address error
    /// when used).
    pub fn from_native(self, addr: u32) -> u32 {
        match self {
            AddressMap::Native => addr,
            AddressMap::Guest(map) => map.from_native(addr).unwrap_or(addr),
        }
    }
}

/// QEMU's Random generator (`cpu_mips_get_random`): a process-global C
/// library LCG shared by `mfc0 Random` and `tlbwr`, which never returns the
/// same index twice in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RandomLcg {
    pub seed: u32,
    /// The index returned last.
    pub prev: u32,
}

impl Default for RandomLcg {
    fn default() -> Self {
        Self::RESET
    }
}

impl RandomLcg {
    /// QEMU's state when the process starts.
    pub const RESET: RandomLcg = RandomLcg { seed: 1, prev: 0 };

    /// The next index in `[wired, TLB_ENTRIES - 1]`.
    pub fn next(&mut self, wired: u32) -> u32 {
        let entries = TLB_ENTRIES as u32;
        let wired = wired % entries;
        let count = entries - wired;
        if count == 1 {
            return entries - 1;
        }
        // Terminates: the LCG has full period, so (seed >> 16) % count takes
        // every value in range.
        loop {
            self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let index = (self.seed >> 16) % count + wired;
            if index != self.prev {
                self.prev = index;
                return index;
            }
        }
    }
}

/// How the vector offset of an exception is chosen (from the spec's
/// exception table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorRule {
    /// TLB refill: 0x000 when Status.EXL was 0, else 0x180.
    Refill,
    /// 0x180.
    General,
    /// 0x200 when Cause.IV (plus the vector spacing when BEV=0 and
    /// IntCtl.VS != 0), else 0x180.
    Interrupt,
    /// 0x100, in KSEG1.
    CacheError,
    /// The EJTAG debug exception: [`DEBUG_VECTOR`], debug mode, DEPC.
    Debug,
}

/// An exception to enter: what, and the facts entry needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exception {
    pub kind: ExceptionKind,
    /// The faulting address, for kinds that set BadVAddr.
    pub badvaddr: u32,
    /// Cause.CE, for Coprocessor Unusable.
    pub ce: u8,
    /// The faulting instruction is in the delay slot of the branch at
    /// `Cpu::pc` (EPC = the branch, Cause.BD = 1).
    pub in_delay_slot: bool,
}

impl Exception {
    pub const fn new(kind: ExceptionKind) -> Exception {
        Exception { kind, badvaddr: 0, ce: 0, in_delay_slot: false }
    }

    /// An exception that sets BadVAddr (and, for TLB kinds, Context/EntryHi).
    pub const fn at(kind: ExceptionKind, badvaddr: u32) -> Exception {
        Exception { kind, badvaddr, ce: 0, in_delay_slot: false }
    }

    /// Coprocessor Unusable for coprocessor `ce`.
    pub const fn coprocessor_unusable(ce: u8) -> Exception {
        Exception { kind: ExceptionKind::CoprocessorUnusable, badvaddr: 0, ce, in_delay_slot: false }
    }

    pub const fn reserved_instruction() -> Exception {
        Exception::new(ExceptionKind::ReservedInstruction)
    }
}

/// What a privileged-instruction hook asks for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Go on at the following instruction.
    Continue,
    /// Go to this address (ERET, DERET: no delay slot).
    Jump(u32),
    /// Go on at the following instruction once an interrupt is pending (WAIT).
    Wait,
}

/// The result of [`Cpu::execute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Emulated; `pc` is the next instruction.
    Continue,
    /// Emulated and raised this exception; `pc` is its vector.
    Exception(ExcCode),
    /// WAIT: `pc` is the following instruction; resume on an interrupt.
    Wait,
    /// An ordinary instruction the emulator does not handle (the hypervisor
    /// runs those natively). Nothing was changed.
    NotEmulated,
}

/// The architectural state the emulator works on.
///
/// `repr(C)` with `gpr`, `hi`, `lo`, `pc` first: the hypervisor's world
/// switch loads and saves a guest's registers here directly (offsets 0,
/// 128, 132, 136).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Cpu {
    pub gpr: [u32; 32],
    pub hi: u32,
    pub lo: u32,
    /// The address of the instruction being executed; after `execute`, the
    /// next one. As in EPC, bit 0 set means MIPS16 mode (a `jr`/`eret` to an
    /// odd address); the emulator keeps the bit but does not execute MIPS16.
    pub pc: u32,
    pub cp0: Cp0,
    pub tlb: Tlb,
    pub lcg: RandomLcg,
    pub map: AddressMap,
    /// QEMU's LL reservation: the virtual address of the last LL. An SC to
    /// any other address fails without touching memory; ERET sets it to 1.
    pub lladdr: u32,
    /// EJTAG debug mode (QEMU's `MIPS_HFLAG_DM`; entered by SDBBP or by
    /// writing Debug.DM, left by DERET or by clearing Debug.DM).
    pub debug_mode: bool,
    /// The CPU is in WAIT.
    pub waiting: bool,
    /// The FPU control/status register; its condition codes drive `bc1t`/`bc1f`.
    pub fcsr: u32,
}

impl Cpu {
    /// A CPU in its reset state for `map`: CP0 reset values, PC at the reset
    /// vector, EBase and the vectors as `map` shows them, an all-zero TLB.
    pub fn new(map: AddressMap) -> Cpu {
        let mut cp0 = Cp0::RESET;
        cp0.ebase = map.from_native(cp0.ebase);
        Cpu {
            gpr: [0; 32],
            hi: 0,
            lo: 0,
            pc: map.from_native(RESET_PC),
            cp0,
            tlb: Tlb::default(),
            lcg: RandomLcg::RESET,
            map,
            lladdr: 0,
            debug_mode: false,
            waiting: false,
            fcsr: 0,
        }
    }

    /// A CPU reset (QEMU's `cpu_reset`): CP0 and the registers return to
    /// their reset values and PC to the reset vector; the TLB and the Random
    /// generator are kept (QEMU keeps both across a reset).
    pub fn reset(&mut self) {
        self.reset_registers();
        // QEMU's reset drops the entries it kept from TLBWRs.
        self.tlb.drop_all_kept();
    }

    /// Back to the state [`Cpu::new`] gives, in place: no temporary copy of
    /// the CPU (its TLB is most of it) on the caller's stack.
    pub fn power_on(&mut self) {
        self.reset_registers();
        self.tlb.clear();
        self.lcg = RandomLcg::RESET;
    }

    /// Everything but the TLB and the Random generator to its reset value.
    fn reset_registers(&mut self) {
        self.cp0 = Cp0::RESET;
        self.cp0.ebase = self.map.from_native(self.cp0.ebase);
        self.gpr = [0; 32];
        self.hi = 0;
        self.lo = 0;
        self.pc = self.map.from_native(RESET_PC);
        self.lladdr = 0;
        self.debug_mode = false;
        self.waiting = false;
        self.fcsr = 0;
    }

    /// A non-maskable interrupt: Status.NMI, then the reset-vector entry.
    pub fn nmi(&mut self) {
        self.cp0.set_status_nmi(1);
        self.enter_reset_vector();
    }

    /// A soft reset: Status.SR, the watch registers cleared, then the
    /// reset-vector entry.
    pub fn soft_reset(&mut self) {
        self.cp0.set_status_sr(1);
        for reg in 0..8 {
            self.cp0.set(Cp0Reg::new(18, reg), 0);
        }
        self.enter_reset_vector();
    }

    /// ErrorEPC = `pc` (the instruction to resume at), ERL and BEV set, PC
    /// at the reset vector.
    fn enter_reset_vector(&mut self) {
        self.cp0.errorepc = self.pc;
        self.cp0.set_status_erl(1);
        self.cp0.set_status_bev(1);
        self.pc = self.map.from_native(RESET_PC);
        self.waiting = false;
    }

    /// Advances Count by `ticks`; when it passes Compare, raises the timer
    /// interrupt (Cause.TI and the Cause.IP line IntCtl.IPTI names), as
    /// QEMU's timer does when Count reaches Compare. Frozen while Cause.DC.
    #[inline]
    pub fn advance_count(&mut self, ticks: u32) {
        if self.cp0.cause_dc() != 0 || ticks == 0 {
            return;
        }
        let old = self.cp0.count;
        self.cp0.count = old.wrapping_add(ticks);
        // Compare is in (old, old + ticks], modulo 2^32.
        let distance = self.cp0.compare.wrapping_sub(old);
        if distance != 0 && distance <= ticks {
            self.cp0.set_cause_ti(1);
            let line = self.cp0.intctl_ipti() & 7;
            self.cp0.cause |= 1u32 << (8 + line);
        }
    }

    /// GPR `r` (`$0` reads 0).
    pub fn reg(&self, r: u8) -> u32 {
        self.gpr.get(usize::from(r)).copied().unwrap_or(0)
    }

    /// Writes GPR `r`; writes to `$0` are dropped.
    pub fn set_reg(&mut self, r: u8, value: u32) {
        if r != 0 {
            if let Some(slot) = self.gpr.get_mut(usize::from(r)) {
                *slot = value;
            }
        }
    }

    /// What `mfc0` of `reg` would return now, without its side effects (a
    /// Random read's step of the LCG is undone). `None` for the registers
    /// whose mfc0 raises RI. For comparing states with recorded ones.
    pub fn cp0_peek(&mut self, reg: Cp0Reg) -> Option<u32> {
        // The read hooks change CP0 state at most (Random steps the LCG):
        // put it back rather than read from a copy of the whole CPU.
        let (cp0, lcg) = (self.cp0.clone(), self.lcg);
        let value = self.cp0_read(reg).ok();
        self.cp0 = cp0;
        self.lcg = lcg;
        value
    }

    /// If `word` (at `self.pc`) is a branch or jump: what it does, without
    /// changing anything (see [`branch::BranchEffect`]). `None` otherwise.
    pub fn branch_effect(&self, word: u32) -> Option<Result<branch::BranchEffect, Exception>> {
        let flow = isa_spec::decode(word).ok()?.control_flow()?;
        Some(branch::effect(self, flow).map(|mut effect| {
            if branch::is_jalx(word) && effect.slot_runs {
                effect.next_pc |= 1;
            }
            effect
        }))
    }

    /// The privilege level of data accesses now.
    pub fn mode(&self) -> addrmap::Mode {
        if self.kernel_mode() {
            addrmap::Mode::Kernel
        } else if self.cp0.status_ksu() == 1 {
            addrmap::Mode::Supervisor
        } else {
            addrmap::Mode::User
        }
    }

    /// Translates a virtual address for an access in the current mode and
    /// address map: the (guest-)physical address, or the exception the
    /// access raises.
    pub fn translate(&self, va: u32, access: addrmap::Access) -> Result<u32, Exception> {
        let asid = (self.cp0.entryhi & ASID_MASK) as u8;
        match self.map {
            AddressMap::Native => {
                let erl = self.cp0.status_erl() != 0;
                addrmap::translate_native(va, access, self.mode(), erl, asid, &self.tlb)
            }
            AddressMap::Guest(map) => {
                let kernel = self.mode() == addrmap::Mode::Kernel;
                addrmap::translate(map, addrmap::GuestVirt(va), access, kernel, asid, &self.tlb).map(|t| match t {
                    addrmap::Translation::Direct { phys, .. } | addrmap::Translation::Mapped { phys } => phys.0,
                })
            }
        }
    }

    /// The guest-physical address of `va` when the current mode reaches
    /// it in an unmapped segment of a guest map: what [`translate`]
    /// gives there, for any access, without its general route; `None`
    /// for a mapped segment, an address error or the native map.
    ///
    /// [`translate`]: Self::translate
    #[inline]
    pub fn unmapped_phys(&self, va: u32) -> Option<u32> {
        let AddressMap::Guest(map) = self.map else { return None };
        match map.reach(va, self.kernel_mode()) {
            (addrmap::Reach::Direct { phys, .. }, offset) => Some(phys + offset),
            _ => None,
        }
    }

    /// Kernel mode: Status.EXL or ERL, debug mode, or KSU = 0.
    pub fn kernel_mode(&self) -> bool {
        self.cp0.status_exl() != 0 || self.cp0.status_erl() != 0 || self.debug_mode || self.cp0.status_ksu() == 0
    }

    /// COP0 instructions and CACHE may run: kernel mode or Status.CU0.
    pub fn cp0_usable(&self) -> bool {
        self.kernel_mode() || self.cp0.status_cu0() != 0
    }

    /// An interrupt would be taken now: IE=1, EXL=0, ERL=0, not in debug
    /// mode, and an unmasked Cause.IP bit.
    pub fn interrupt_pending(&self) -> bool {
        self.cp0.status_ie() != 0
            && self.cp0.status_exl() == 0
            && self.cp0.status_erl() == 0
            && !self.debug_mode
            && (self.cp0.cause_ip() & self.cp0.status_im()) != 0
    }

    /// Executes the instruction `word` located at `self.pc`. If `word` is a
    /// branch or jump, `slot` is the word of its delay slot (at pc+4) and
    /// both are executed as the hardware does (branch evaluated, link
    /// written, slot executed or annulled for likely-not-taken; an exception
    /// in the slot has EPC = branch address and Cause.BD = 1). On return
    /// `self.pc` is the next PC (the branch target, pc+4/+8, or the
    /// exception vector). `NotEmulated` leaves the state untouched.
    pub fn execute(&mut self, word: u32, slot: Option<u32>) -> Outcome {
        if let Some(step) = self.move_cp0(word) {
            return self.finish(step);
        }
        match decode::classify(self, word) {
            decode::Class::Branch(flow) => branch::execute(self, word, flow, slot),
            decode::Class::NotEmulated => Outcome::NotEmulated,
            other => {
                let step = self.run(other);
                self.finish(step)
            }
        }
    }

    /// `mfc0`/`mtc0` while CP0 is usable, the commonest privileged
    /// instructions by far: the spec's hook straight from the word's
    /// fields, which is what `classify` (bits 10:3 ignored) and the
    /// generated dispatch make of every such word.
    fn move_cp0(&mut self, word: u32) -> Option<Result<Next, Exception>> {
        use isa_spec::patterns::{MFC0, MTC0};
        let (mfc0, mtc0) = (MFC0.matches(word), MTC0.matches(word));
        if !(mfc0 || mtc0) || !self.cp0_usable() {
            return None;
        }
        let (rt, rd, sel) = (((word >> 16) & 31) as u8, ((word >> 11) & 31) as u8, (word & 7) as u8);
        Some(if mfc0 { hooks::mfc0(self, rt, rd, sel) } else { hooks::mtc0(self, rt, rd, sel) })
    }

    /// The end of a non-branch instruction: the next PC, WAIT, or the
    /// exception entered.
    fn finish(&mut self, step: Result<Next, Exception>) -> Outcome {
        match step {
            Ok(Next::Continue) => {
                self.pc = self.pc.wrapping_add(4);
                self.take_interrupt()
            }
            Ok(Next::Jump(target)) => {
                self.pc = target;
                self.take_interrupt()
            }
            Ok(Next::Wait) => {
                self.pc = self.pc.wrapping_add(4);
                self.waiting = true;
                Outcome::Wait
            }
            Err(exception) => Outcome::Exception(self.raise(exception)),
        }
    }

    /// After an emulated instruction: QEMU ends the translation block after
    /// every instruction that can enable an interrupt (mtc0 Status/Cause/
    /// Debug, ei, eret, deret), so an interrupt it made pending and enabled
    /// is taken before the next instruction, with EPC = that instruction.
    pub(crate) fn take_interrupt(&mut self) -> Outcome {
        if self.interrupt_pending() {
            Outcome::Exception(self.raise(Exception::new(ExceptionKind::Interrupt)))
        } else {
            Outcome::Continue
        }
    }

    /// Runs a classified non-branch instruction.
    fn run(&mut self, class: decode::Class) -> Result<Next, Exception> {
        match class {
            decode::Class::Privileged(insn) => match self.dispatch_privileged(&insn) {
                Some(result) => result,
                // `classify` only returns instructions the spec lists.
                None => Err(Exception::reserved_instruction()),
            },
            decode::Class::Nop => Ok(Next::Continue),
            decode::Class::StoreConditionalFails { rt } => {
                self.set_reg(rt, 0);
                Ok(Next::Continue)
            }
            decode::Class::Raise(exception) => Err(exception),
            decode::Class::Branch(_) | decode::Class::NotEmulated => Err(Exception::reserved_instruction()),
        }
    }

    /// Exception entry, from the spec's exception table, as QEMU's
    /// `mips_cpu_do_interrupt` does it. `self.pc` is the faulting
    /// instruction (the branch, if `exception.in_delay_slot`). Returns the
    /// ExcCode written to Cause.
    pub fn raise(&mut self, exception: Exception) -> ExcCode {
        let kind = exception.kind;
        let exl = self.cp0.status_exl() != 0;
        let offset = match kind.vector() {
            VectorRule::Refill if !exl => 0x000,
            VectorRule::Refill | VectorRule::General => 0x180,
            VectorRule::Interrupt => self.interrupt_offset(),
            VectorRule::CacheError => 0x100,
            VectorRule::Debug => return self.enter_debug_mode(kind.code()),
        };
        let va = exception.badvaddr;
        if kind.sets_badvaddr() {
            self.cp0.badvaddr = va;
        }
        if kind.sets_tlb() {
            self.cp0.context = (self.cp0.context & !0x007F_FFFF) | ((va >> 9) & 0x007F_FFF0);
            self.cp0.entryhi = (self.cp0.entryhi & ASID_MASK) | (va & tlb::VPN2_MASK);
        }
        if !exl {
            self.cp0.epc = self.pc;
            self.cp0.set_cause_bd(u32::from(exception.in_delay_slot));
            self.cp0.set_status_exl(1);
        }
        let base = if self.cp0.status_bev() != 0 {
            self.map.from_native(BEV_BASE).wrapping_add(0x200)
        } else if kind.vector() == VectorRule::CacheError {
            self.map.from_native(0xA000_0000) | (self.cp0.ebase & 0x1FFF_F000)
        } else {
            self.cp0.ebase & 0xFFFF_F000
        };
        self.pc = base.wrapping_add(offset);
        let code = kind.code();
        self.cp0.set_cause_exccode(code as u32);
        if kind.sets_ce() {
            self.cp0.set_cause_ce(u32::from(exception.ce));
        }
        self.waiting = false;
        code
    }

    /// Debug exception entry, as QEMU 7.2 does it for SDBBP (EJTAG present,
    /// ProbEn = 0): DEPC = `self.pc` (the instruction, or its branch: QEMU
    /// does not set Debug.DBD), Debug.DBp and Debug.DExcCode = `code`, debug
    /// mode, Cause.BD cleared when EXL is 0, PC = the debug vector.
    /// Cause.ExcCode, EPC and Status are not touched.
    fn enter_debug_mode(&mut self, code: ExcCode) -> ExcCode {
        self.cp0.depc = self.pc;
        self.cp0.set_debug_dbp(1);
        self.cp0.set_debug_dexccode(code as u32);
        if self.cp0.status_exl() == 0 {
            self.cp0.set_cause_bd(0);
        }
        self.debug_mode = true;
        self.waiting = false;
        self.pc = self.map.from_native(DEBUG_VECTOR);
        code
    }

    /// The interrupt vector offset: 0x180, or with Cause.IV 0x200 plus, when
    /// BEV=0 and IntCtl.VS != 0, the highest pending enabled line times the
    /// spacing (QEMU honours this although Config3.VInt = 0).
    fn interrupt_offset(&self) -> u32 {
        if self.cp0.cause_iv() == 0 {
            return 0x180;
        }
        let spacing = self.cp0.intctl_vs();
        if self.cp0.status_bev() != 0 || spacing == 0 {
            return 0x200;
        }
        let pending = self.cp0.cause_ip() & self.cp0.status_im();
        let vector = 31u32.saturating_sub(pending.leading_zeros()).min(7);
        0x200 + vector * (spacing << 5)
    }
}
