//! A VCPU and what happens when it leaves host user mode: the exit
//! dispatch of trap-and-emulate, the virtual MMU's fault path, exception
//! injection, the virtual timer and interrupt delivery.
//!
//! Hardware access goes through [`Host`], implemented by `arch::mips` on
//! the target and by a model in the tests.

mod shadow;

pub use shadow::{entry_range, flush_matches, page_bytes, shadow_asids, Shadow};
use super::memory::{GuestMemory, HostPhys};
use super::paravirt;
use crate::devices::{emulate_mmio_word, Bus, BusFault, Overlay, Target};
use crate::devices::AccessSize;
use crate::devices::DeviceEvent;
use emulator::addrmap::{Access, GuestMap, GuestPhys, Reach};
use emulator::{view, Cp0, Cp0Reg, Cpu, Exception, ExceptionKind, Outcome};
use isa_spec::patterns::DI;
use isa_spec::{MemAccess, MemKind};

/// The host exception codes an exit is dispatched on: the spec's
/// `ExcCode` values, as the `u32` that `Exit::code` reads from Cause.
pub(crate) mod code {
    use emulator::ExcCode;
    pub const INT: u32 = ExcCode::Int as u32;
    pub const MOD: u32 = ExcCode::Mod as u32;
    pub const TLBL: u32 = ExcCode::TLBL as u32;
    pub const TLBS: u32 = ExcCode::TLBS as u32;
    pub const ADEL: u32 = ExcCode::AdEL as u32;
    pub const ADES: u32 = ExcCode::AdES as u32;
    pub const SYS: u32 = ExcCode::Sys as u32;
    pub const BP: u32 = ExcCode::Bp as u32;
    pub const RI: u32 = ExcCode::RI as u32;
    pub const CPU: u32 = ExcCode::CpU as u32;
    pub const OV: u32 = ExcCode::Ov as u32;
    pub const TR: u32 = ExcCode::Tr as u32;
    pub const FPE: u32 = ExcCode::FPE as u32;
}

/// Why the guest left host user mode, counted per VCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum ExitReason {
    /// A host interrupt (timer tick, guest timer deadline).
    Interrupt,
    /// Coprocessor Unusable (CE=0): a privileged instruction, emulated.
    Privileged,
    /// A privileged instruction the exception vector's fast path finished
    /// (`vm::fast_exit`); counted at the run's next full exit.
    FastPrivileged,
    /// A syscall, break or trap the fast path entered in the guest.
    FastException,
    /// A host TLB miss filled from the guest view (a new shadow entry).
    ShadowFill,
    /// A load or store to an emulated device.
    Mmio,
    /// A guest kernel's load or store of its RAM in an unmapped segment the
    /// host cannot map for it (the kvm-guest map's native KSEG0/KSEG1),
    /// emulated (one reaching a device there is `Mmio`).
    SegmentAccess,
    /// A store to the paravirtual page while it is read-only, emulated.
    ParavirtStore,
    /// A guest TLB refill/invalid/modified exception injected.
    GuestTlbFault,
    /// An address error, passed on to the guest.
    AddressError,
    /// syscall, break, sdbbp (a debug exception), trap, overflow, floating
    /// point, passed on to the guest.
    GuestException,
    /// A reserved instruction (rdhwr is emulated, the rest passed on).
    Reserved,
    /// Coprocessor Unusable for COP1/2/3, passed on to the guest.
    CopUnusable,
    /// An access to guest-physical memory with nothing behind it (bus error).
    BusError,
    /// A host exception the VCPU cannot cause (reported, the guest stopped).
    Unexpected,
}

impl ExitReason {
    pub const ALL: [ExitReason; 15] = [
        ExitReason::Interrupt,
        ExitReason::Privileged,
        ExitReason::FastPrivileged,
        ExitReason::FastException,
        ExitReason::ShadowFill,
        ExitReason::Mmio,
        ExitReason::SegmentAccess,
        ExitReason::ParavirtStore,
        ExitReason::GuestTlbFault,
        ExitReason::AddressError,
        ExitReason::GuestException,
        ExitReason::Reserved,
        ExitReason::CopUnusable,
        ExitReason::BusError,
        ExitReason::Unexpected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExitReason::Interrupt => "interrupt",
            ExitReason::Privileged => "privileged (emulated)",
            ExitReason::FastPrivileged => "privileged (fast path)",
            ExitReason::FastException => "syscall/break/trap (fast path)",
            ExitReason::ShadowFill => "shadow TLB fill",
            ExitReason::Mmio => "MMIO",
            ExitReason::SegmentAccess => "unmapped-segment access",
            ExitReason::ParavirtStore => "paravirtual-page store",
            ExitReason::GuestTlbFault => "guest TLB exception",
            ExitReason::AddressError => "address error",
            ExitReason::GuestException => "syscall/break/sdbbp/trap/overflow/FPE",
            ExitReason::Reserved => "reserved instruction",
            ExitReason::CopUnusable => "coprocessor unusable (CE>0)",
            ExitReason::BusError => "bus error",
            ExitReason::Unexpected => "unexpected",
        }
    }
}

/// Exit counters, indexed by [`ExitReason`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitCounters(pub [u64; ExitReason::ALL.len()]);

impl ExitCounters {
    pub fn count(&mut self, reason: ExitReason) {
        self.0[reason as usize] += 1;
    }

    pub fn get(&self, reason: ExitReason) -> u64 {
        self.0[reason as usize]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// What the guest's exit left in the host's registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub cause: u32,
    pub epc: u32,
    pub badvaddr: u32,
    /// An EJTAG debug exception (the guest's SDBBP): the host entered
    /// debug mode; `epc` is DEPC (the SDBBP, or its branch) and `cause`
    /// holds only BD (Debug.DBD, which QEMU 7.2 leaves 0).
    pub debug: bool,
    /// The host's LLAddr (host-physical address >> 4 of the guest's last
    /// `ll` in this run), or 0: no `ll` since the hypervisor's `eret`
    /// entered the guest.
    pub lladdr: u32,
}

impl Exit {
    pub fn code(&self) -> u32 {
        view::Cause(self.cause).exccode()
    }

    pub fn in_delay_slot(&self) -> bool {
        view::Cause(self.cause).bd() != 0
    }

    /// What the faulting access at BadVAddr was: a store (`store`), the
    /// fetch of the instruction at EPC or of its delay slot, or a load.
    /// EPC bit 0 is the ISA mode (MIPS16e), not part of the address.
    pub fn access(&self, store: bool) -> Access {
        let pc = self.epc & !1;
        let va = self.badvaddr;
        if store {
            Access::Store
        } else if va == pc || (self.in_delay_slot() && va == pc.wrapping_add(4)) {
            Access::Fetch
        } else {
            Access::Load
        }
    }

    pub fn ce(&self) -> u8 {
        view::Cause(self.cause).ce() as u8
    }
}

/// What the VCPU needs from the machine.
pub trait Host {
    /// A word of host-physical memory; only called with addresses
    /// [`GuestMemory::host_phys`] produced.
    fn read_word(&mut self, pa: HostPhys) -> u32;
    /// Writes a word of host-physical memory (same addresses).
    fn write_word(&mut self, pa: HostPhys, value: u32);
    /// Writes an instruction word of the guest's code (same addresses),
    /// which its next fetch there must see (the caches made coherent).
    fn write_code(&mut self, pa: HostPhys, value: u32) {
        self.write_word(pa, value);
    }
    /// Installs (or replaces the entry for the same VPN2 and ASID) a shadow.
    fn install(&mut self, shadow: Shadow);
    /// Invalidates every host TLB entry of these host ASIDs.
    fn flush(&mut self, asids: [u8; 2]);
    /// Invalidates the host TLB entries of these host ASIDs whose page pair
    /// lies in `[start, end)` (addresses, 8 KiB-aligned).
    fn flush_range(&mut self, asids: [u8; 2], start: u32, end: u64);
    /// The time now, in the ns the device bus runs on (the board's timers);
    /// read only for device accesses.
    fn now_ns(&mut self) -> u64 {
        0
    }
}

/// What the caller must do after an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Enter the guest again (after scheduling decisions).
    Resume,
    /// The guest asked to be powered off (its software-reset register).
    PowerOff,
    /// The guest did something the hypervisor does not support: stop it
    /// (the message says what).
    Stop(&'static str),
}

/// Most instructions one exit emulates after the one that trapped (host
/// interrupts wait meanwhile).
const BATCH: u32 = 32;

/// Whether the exit's batch emulates `word` after the one that trapped:
/// the spec's privileged words (`priv`: COP0 and CACHE; each would trap in
/// host user mode, and its exit would emulate it exactly so) and its
/// `no-effect` ones (`nop`, `ssnop`, `ehb`).
fn traps(word: u32) -> bool {
    isa_spec::is_privileged_word(word) || isa_spec::is_no_effect_word(word)
}

/// Whether the guest's view of memory (its mode, ASID and TLB) is the same
/// after `word`: anything but a privileged word, `mfc0`, and `mtc0` to a
/// register the CP0 spec does not mark `view` (EntryHi, Status, Debug).
fn keeps_view(word: u32) -> bool {
    use isa_spec::patterns::{MFC0, MTC0};
    if MTC0.matches(word) {
        !emulator::Cp0Reg::new((word >> 11) as u8, word as u8).changes_view()
    } else {
        MFC0.matches(word) || !isa_spec::is_privileged_word(word)
    }
}

/// `tlbwi` or `tlbwr` (the spec's patterns: bits 20:6 are ignored).
fn writes_tlb(word: u32) -> bool {
    use isa_spec::patterns::{TLBWI, TLBWR};
    TLBWI.matches(word) || TLBWR.matches(word)
}

/// One VCPU: the architectural state (the emulator's `Cpu` in the guest
/// map), its exit counters and its virtual-timer bookkeeping.
#[derive(Clone, Debug)]
pub struct Vcpu {
    pub cpu: Cpu,
    pub counters: ExitCounters,
    /// The reason of the last exit handled (for `exitcost`).
    pub last_exit: ExitReason,
    /// Emulated instructions (a CpU exit may emulate a branch and its slot).
    pub emulated: u64,
    /// Host Count when the guest's Count was last brought up to date.
    last_count: u32,
    /// The guest's Count rate as a fraction of the host's: `num / den`
    /// guest ticks per host tick (1/1 unless its device tree asks).
    count_rate: CountRate,
    asids: [u8; 2],
    /// `cpu.pc` is a branch whose delay slot the last exit interrupted
    /// (host Cause.BD): an interrupt delivered there has Cause.BD = 1.
    resume_in_slot: bool,
    /// Enter the guest with an LL reservation on this guest virtual
    /// address, that of the `sc` it is about to run (see [`pending_sc`]).
    /// Set by [`Vcpu::handle_exit`], taken by the entry.
    pub linked_sc: Option<u32>,
    /// The paravirtual page, when the guest asked for one.
    paravirt: Option<Paravirt>,
    /// The last word the lean MMIO exit emulated, decoded: a polling
    /// loop's load is decoded once (a word's decoding never changes).
    decoded: Option<(u32, MemAccess)>,
}

/// A VCPU's paravirtual page ([`super::paravirt`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Paravirt {
    /// Its guest kernel VA, which is its guest-physical address.
    page: u32,
    /// Its host frame.
    host: HostPhys,
    /// Whether the kernel view's shadow of it may be writable now (the
    /// last entry's [`paravirt::writable`]).
    writable: bool,
    /// Instructions rewritten so far.
    rewritten: u64,
}

/// A guest Count rate relative to the host's, and the part of a guest tick
/// accumulated so far (`rem / den`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRate {
    num: u32,
    den: u32,
    rem: u32,
}

impl CountRate {
    /// The host's rate.
    pub const SAME: CountRate = CountRate { num: 1, den: 1, rem: 0 };

    /// `num / den` guest ticks per host tick, reduced; `None` unless both
    /// are non-zero.
    pub fn new(num: u64, den: u64) -> Option<CountRate> {
        if num == 0 || den == 0 {
            return None;
        }
        let (mut a, mut b) = (num, den);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let (num, den) = (u32::try_from(num / a).ok()?, u32::try_from(den / a).ok()?);
        Some(CountRate { num, den, rem: 0 })
    }

    /// Guest ticks in `host` host ticks (carrying the remainder).
    #[inline(always)]
    fn advance(&mut self, host: u32) -> u32 {
        if self.num == self.den {
            host
        } else {
            self.advance_scaled(host)
        }
    }

    #[inline(never)]
    fn advance_scaled(&mut self, host: u32) -> u32 {
        let total = u64::from(host) * u64::from(self.num) + u64::from(self.rem);
        self.rem = (total % u64::from(self.den)) as u32;
        (total / u64::from(self.den)) as u32
    }

    /// Host ticks until `guest` more guest ticks have passed (at least 1,
    /// capped at `u32::MAX`).
    #[inline(always)]
    fn host_ticks(&self, guest: u32) -> u32 {
        if self.num == self.den {
            guest
        } else {
            self.host_ticks_scaled(guest)
        }
    }

    #[inline(never)]
    fn host_ticks_scaled(&self, guest: u32) -> u32 {
        let need = (u64::from(guest) * u64::from(self.den)).saturating_sub(u64::from(self.rem));
        need.div_ceil(u64::from(self.num)).clamp(1, u64::from(u32::MAX)) as u32
    }
}

/// How far [`pending_sc`] looks ahead for the `sc` of a live reservation.
const LINKED_SCAN: usize = 8;

impl Vcpu {
    /// Back to the reset state of [`Vcpu::new`] in place, starting at
    /// `start_pc`; the exit counters and the emulated-instruction count
    /// are kept (they count since boot).
    pub fn reset(&mut self, start_pc: u32, now: u32) {
        self.cpu.power_on();
        self.cpu.pc = start_pc;
        self.last_exit = ExitReason::Interrupt;
        self.last_count = now;
        self.count_rate.rem = 0;
        self.resume_in_slot = false;
        self.linked_sc = None;
    }

    /// A VCPU in its reset state, starting at `start_pc`, for guest number
    /// `index` (which picks its host ASIDs). `now` is the host Count.
    pub fn new(index: usize, map: &'static GuestMap, start_pc: u32, now: u32) -> Vcpu {
        let mut cpu = Cpu::new(emulator::AddressMap::Guest(map));
        cpu.pc = start_pc;
        Vcpu {
            cpu,
            counters: ExitCounters::default(),
            last_exit: ExitReason::Interrupt,
            emulated: 0,
            last_count: now,
            count_rate: CountRate::SAME,
            asids: shadow_asids(index),
            resume_in_slot: false,
            linked_sc: None,
            paravirt: None,
            decoded: None,
        }
    }

    /// Turns the paravirtual mode on with the page at guest kernel VA
    /// `page` (config-checked: [`paravirt::page_in_map`], in the guest's
    /// RAM). `false`: the page is not that, nothing changed.
    pub fn set_paravirt(&mut self, page: u32, memory: &GuestMemory) -> bool {
        let host = memory.host_range(page, paravirt::PAGE_BYTES).filter(|_| paravirt::page_in_map(self.map(), page));
        let Some(host) = host else { return false };
        self.paravirt = Some(Paravirt { page, host, writable: false, rewritten: 0 });
        true
    }

    /// The host frame of the paravirtual page, if any (the fast path
    /// mirrors its CP0 stores there).
    pub fn paravirt_page(&self) -> Option<HostPhys> {
        self.paravirt.map(|p| p.host)
    }

    /// Just before an entry, in paravirtual mode: the page's shadow made
    /// read-only or writable for this run ([`paravirt::writable`]; the
    /// kernel view's pair of it dropped when that changes). The world
    /// switch writes the mirror.
    pub fn paravirt_entry(&mut self, host: &mut dyn Host) {
        let Some(pv) = self.paravirt else { return };
        let writable = paravirt::writable(&self.cpu);
        if writable != pv.writable {
            let pair = pv.page & !0x1FFF;
            host.flush_range([self.asids[0]; 2], pair, u64::from(pair) + 0x2000);
            self.paravirt = Some(Paravirt { writable, ..pv });
        }
    }

    /// At an exit in paravirtual mode: the page's Status word, which the
    /// guest's rewritten code may have stored to, taken as `mtc0 Status`.
    fn paravirt_status(&mut self, host: &mut dyn Host) {
        let Some(pv) = self.paravirt else { return };
        let stored = host.read_word(HostPhys(pv.host.0 + paravirt::STATUS_OFFSET));
        if stored != self.cpu.cp0.status {
            let _ = self.cpu.cp0_write(Cp0Reg::STATUS, stored);
        }
    }

    /// In paravirtual mode, how many instructions it rewrote.
    pub fn paravirt_rewritten(&self) -> Option<u64> {
        self.paravirt.map(|p| p.rewritten)
    }

    /// Whether `va` is in the paravirtual page.
    fn in_paravirt_page(&self, va: u32) -> bool {
        self.paravirt.is_some_and(|pv| va & !(paravirt::PAGE_BYTES - 1) == pv.page)
    }

    /// Whether the kernel view's shadow of the page at `va` must be
    /// read-only: it is the paravirtual page, which is not writable now.
    fn paravirt_read_only(&self, va: u32) -> bool {
        self.cpu.kernel_mode() && self.in_paravirt_page(va) && self.paravirt.is_some_and(|pv| !pv.writable)
    }

    /// An interrupt is about to be taken with the guest at the second half
    /// of a rewritten `di` (an exit came between its load and its store):
    /// the store is done first, as `di`, so that no interrupt comes
    /// between the two. (Otherwise the guest runs the store itself.)
    fn paravirt_complete_di(&mut self, memory: &GuestMemory, host: &mut dyn Host) {
        let Some(pv) = self.paravirt else { return };
        if self.resume_in_slot {
            return;
        }
        if self.fetch(self.cpu.pc, memory, host) == Some(paravirt::di_store(pv.page)) {
            paravirt::complete_di(&mut self.cpu);
        }
    }

    /// A store to the paravirtual page while it is read-only: a rewritten
    /// `di`'s store is `di`; any other is made, then the page's Status
    /// word taken as `mtc0 Status` (a pending interrupt it enables is
    /// taken before the next instruction).
    fn paravirt_store(&mut self, exit: Exit, memory: &GuestMemory, bus: &mut Bus, host: &mut dyn Host) -> Action {
        let Some(pv) = self.paravirt else { return Action::Resume };
        let bd = exit.in_delay_slot();
        let at = if bd { exit.epc.wrapping_add(4) } else { exit.epc };
        let word = self.fetch(at, memory, host);
        if !bd && word == Some(paravirt::di_store(pv.page)) {
            paravirt::complete_di(&mut self.cpu);
            return Action::Resume;
        }
        // The page's guest kernel VA is its guest-physical address.
        let action = self.mmio(exit, word, Some((exit.badvaddr, Access::Store, exit.badvaddr)), memory, bus, host);
        self.paravirt_status(host);
        action
    }

    /// After emulating `word` at `pc` (guest kernel mode, not in a delay
    /// slot; Status was `status_before`), in paravirtual mode: rewrites it
    /// as [`paravirt::rewrite`] says, in the guest's RAM or ROM.
    fn paravirt_rewrite(&mut self, pc: u32, word: u32, status_before: u32, memory: &GuestMemory, host: &mut dyn Host) {
        let Some(pv) = self.paravirt else { return };
        let next = DI.matches(word).then(|| self.fetch(pc.wrapping_add(4), memory, host)).flatten();
        let words: &[u32] = match paravirt::rewrite(word, next, pv.page, status_before, self.cpu.cp0.status) {
            paravirt::Rewrite::Keep => return,
            paravirt::Rewrite::One(a) => &[a],
            paravirt::Rewrite::Two(a, b) => &[a, b],
        };
        // Every word's frame first: all or nothing.
        let mut frames = [HostPhys(0); 2];
        for (i, frame) in frames.iter_mut().enumerate().take(words.len()) {
            match self.code_phys(pc.wrapping_add(4 * i as u32), memory) {
                Some(pa) => *frame = pa,
                None => return,
            }
        }
        for (&frame, &word) in frames.iter().zip(words) {
            host.write_code(frame, word);
        }
        self.paravirt = Some(Paravirt { rewritten: pv.rewritten + words.len() as u64, ..pv });
    }

    /// The guest's address map (a VCPU's CPU always has one).
    pub fn map(&self) -> &'static GuestMap {
        match self.cpu.map {
            emulator::AddressMap::Guest(map) => map,
            emulator::AddressMap::Native => &emulator::addrmap::SHIFTED,
        }
    }

    /// The host ASID the guest runs under now.
    pub fn host_asid(&self) -> u8 {
        if self.cpu.kernel_mode() {
            self.asids[0]
        } else {
            self.asids[1]
        }
    }

    pub fn asids(&self) -> [u8; 2] {
        self.asids
    }

    /// Brings the guest's Count up to host Count `now` (raising Cause.TI
    /// when it passes Compare).
    #[inline]
    pub fn sync_timer(&mut self, now: u32) {
        let ticks = self.count_rate.advance(now.wrapping_sub(self.last_count));
        self.last_count = now;
        self.cpu.advance_count(ticks);
    }

    /// Runs the guest's Count at `rate` times the host's from now on.
    pub fn set_count_rate(&mut self, rate: CountRate) {
        self.count_rate = rate;
    }

    /// Host Count ticks until the guest's Count reaches Compare (1 ..= 2^32-1;
    /// `u32::MAX` when Count is frozen).
    pub fn ticks_to_compare(&self) -> u32 {
        if self.cpu.cp0.cause_dc() != 0 {
            return u32::MAX;
        }
        match self.cpu.cp0.compare.wrapping_sub(self.cpu.cp0.count) {
            0 => u32::MAX,
            n => self.count_rate.host_ticks(n),
        }
    }

    /// Names the host Count at which the guest's Count reaches Compare
    /// (`None` while Count is frozen, Cause.DC). It stays the same as time
    /// passes and changes only when the guest writes Count, Compare or
    /// Cause.DC, so a caller that armed a host timer for it can tell
    /// whether it must arm it again.
    #[inline]
    pub fn timer_key(&self) -> Option<u32> {
        if self.cpu.cp0.cause_dc() != 0 {
            return None;
        }
        let guest = self.cpu.cp0.compare.wrapping_sub(self.cpu.cp0.count);
        Some(self.count_rate.host_ticks(guest).wrapping_add(self.last_count))
    }

    /// Sets the device interrupt lines (bit n = Cause.IP(2+n), n = 0..5),
    /// level-triggered. IP7 is shared with the timer (IntCtl.IPTI = 7): a
    /// device on line 5 can raise it but not lower the timer's.
    pub fn set_device_lines(&mut self, lines: u8) {
        // Cause.IP's bits 2..7 (IP0 and IP1 are the software interrupts).
        let cause = emulator::view::Cause(self.cpu.cp0.cause);
        let ip = (cause.ip() & 0b11) | u32::from(lines & 0x3F) << 2;
        let timer = self.cpu.cp0.cause_ti() != 0;
        let mut cause = cause.with_ip(ip).0;
        if timer {
            cause |= Cp0::CAUSE_IP7;
        }
        self.cpu.cp0.cause = cause;
    }

    /// Counts what the fast path did during the run that just ended:
    /// `privileged` instructions finished, `reflected` exceptions entered.
    #[inline]
    pub fn count_fast(&mut self, privileged: u32, reflected: u32) {
        if privileged | reflected == 0 {
            return;
        }
        self.counters.0[ExitReason::FastPrivileged as usize] += u64::from(privileged);
        self.counters.0[ExitReason::FastException as usize] += u64::from(reflected);
        self.emulated += u64::from(privileged);
    }

    /// Before entering the guest: takes a pending, enabled interrupt (as the
    /// hardware would before the next instruction), waking a WAIT. Returns
    /// whether the VCPU can run (false: it waits for an interrupt).
    /// (`memory` and `host`: for the paravirtual mode's `di`.)
    pub fn prepare_entry(&mut self, memory: &GuestMemory, host: &mut dyn Host) -> bool {
        if !self.cpu.interrupt_pending() {
            return !self.cpu.waiting;
        }
        self.paravirt_complete_di(memory, host);
        if self.cpu.interrupt_pending() {
            let in_delay_slot = core::mem::take(&mut self.resume_in_slot);
            self.cpu.raise(Exception { in_delay_slot, ..Exception::new(ExceptionKind::Interrupt) });
            return true;
        }
        !self.cpu.waiting
    }

    /// Handles an exit: `exit` is what the host saw, the guest's GPRs,
    /// HI/LO are already in `self.cpu`. `memory` is this guest's RAM/ROM
    /// and `is_device` tells whether a guest-physical address belongs to
    /// an emulated device.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn handle_exit(
        &mut self,
        exit: Exit,
        memory: &GuestMemory,
        bus: &mut Bus,
        host: &mut dyn Host,
    ) -> Action {
        self.cpu.pc = exit.epc;
        self.paravirt_status(host);
        self.note_linked_load(exit.lladdr, memory);
        let bd = exit.in_delay_slot();
        self.resume_in_slot = false;
        let (reason, action) = match exit.code() {
            // SDBBP: the guest's own debug exception (debug mode, DEPC =
            // the host's DEPC: the SDBBP or its branch, its debug vector
            // 0x3FC00480 in its ROM). Its DERET is emulated like any
            // privileged instruction.
            _ if exit.debug => {
                self.cpu.raise(Exception::new(ExceptionKind::DebugBreakpoint));
                (ExitReason::GuestException, Action::Resume)
            }
            code::INT => (ExitReason::Interrupt, Action::Resume),
            // From MIPS16e code (EPC bit 0): no privileged instruction
            // exists there, so the exception is the guest's own (emulating
            // the word at an odd EPC failed and resumed it forever).
            code::CPU | code::RI if exit.epc & 1 != 0 => {
                let exception = if exit.code() == code::RI {
                    Exception::reserved_instruction()
                } else {
                    Exception::coprocessor_unusable(exit.ce())
                };
                self.inject(exception, bd);
                (ExitReason::Reserved, Action::Resume)
            }
            code::CPU if exit.ce() == 0 => (ExitReason::Privileged, self.emulate(bd, memory, host)),
            code::CPU => {
                self.inject(Exception::coprocessor_unusable(exit.ce()), bd);
                (ExitReason::CopUnusable, Action::Resume)
            }
            code::RI => (ExitReason::Reserved, self.emulate(bd, memory, host)),
            code::SYS | code::BP | code::OV | code::TR | code::FPE => {
                // FPE: the guest's FPU state is live in the host FPU, so
                // FCSR already holds the cause the guest's handler reads.
                let kind = match exit.code() {
                    code::SYS => ExceptionKind::Syscall,
                    code::BP => ExceptionKind::Breakpoint,
                    code::OV => ExceptionKind::Overflow,
                    code::FPE => ExceptionKind::FloatingPoint,
                    _ => ExceptionKind::Trap,
                };
                self.inject(Exception::new(kind), bd);
                (ExitReason::GuestException, Action::Resume)
            }
            code::ADEL | code::ADES => {
                let store = exit.code() == code::ADES;
                // A misaligned access raises the plain address error
                // (BadVAddr only), checked first as QEMU does. An aligned
                // one outside the segments the guest's mode may use (guest
                // addresses from 0x80000000 up, kernel segments from user
                // mode) is the guest view's segment error, which also
                // writes EntryHi.VPN2 and Context.
                let access = exit.access(store);
                let fetch = access == Access::Fetch;
                let at = if bd { exit.epc.wrapping_add(4) } else { exit.epc };
                let word = if fetch { None } else { self.fetch(at, memory, host) };
                let width = if fetch {
                    Some(4)
                } else {
                    // lwl/lwr/swl/swr never are misaligned.
                    word.and_then(|w| isa_spec::decode(w).ok()?.mem_access()).map(|m| match m.kind {
                        MemKind::LoadLeft | MemKind::LoadRight | MemKind::StoreLeft | MemKind::StoreRight => 1,
                        _ => u32::from(m.width.max(1)),
                    })
                };
                let misaligned = width.is_none_or(|w| !exit.badvaddr.is_multiple_of(w));
                let translated = self.guest_translate(exit.badvaddr, access);
                if let (false, false, Ok(gpa)) = (fetch, misaligned, translated) {
                    // An unmapped segment of the guest's map above what
                    // the host can map for it: every access is emulated,
                    // counted as MMIO when it reaches a device.
                    let ram = memory.host_phys(gpa).is_some();
                    let reason = if ram { ExitReason::SegmentAccess } else { ExitReason::Mmio };
                    (reason, self.mmio(exit, word, Some((exit.badvaddr, access, gpa)), memory, bus, host))
                } else {
                    let exception = match translated {
                        Err(e) if !misaligned && matches!(e.kind, ExceptionKind::SegmentErrorLoad | ExceptionKind::SegmentErrorStore) => e,
                        _ if store => Exception::at(ExceptionKind::AddressErrorStore, exit.badvaddr),
                        _ => Exception::at(ExceptionKind::AddressErrorLoad, exit.badvaddr),
                    };
                    self.inject(exception, bd);
                    (ExitReason::AddressError, Action::Resume)
                }
            }
            code::MOD | code::TLBL | code::TLBS => {
                let store = exit.code() != code::TLBL;
                self.mmu_fault(exit, store, memory, bus, host)
            }
            _ => (ExitReason::Unexpected, Action::Stop("unexpected host exception from the guest")),
        };
        self.counters.count(reason);
        self.last_exit = reason;
        // Nothing moved the guest: it resumes at EPC, inside the slot if BD.
        self.resume_in_slot = bd && self.cpu.pc == exit.epc;
        // The host's eret into the guest clears its reservation, which
        // only the guest's own eret may (the emulated one leaves LLAddr 1).
        let live = exit.lladdr != 0 && !matches!(self.cpu.cp0.lladdr, 0 | 1);
        self.linked_sc = if live && !self.resume_in_slot { self.pending_sc(memory, host) } else { None };
        action
    }

    /// The lean MMIO exit, for the exit loop to try before
    /// [`handle_exit`](Self::handle_exit): a plain load or store (`lb lbu
    /// lh lhu lw sb sh sw`) that took a TLB miss outside a delay slot, in
    /// a run without `ll` and without the paravirtual page, at an aligned
    /// address the guest reaches as one of its device regions that the
    /// board does not answer. It does what `handle_exit` would (the access,
    /// PC past the word, the exit counted as MMIO) without the generic
    /// routes; `None`, with nothing changed, for anything else.
    #[cfg_attr(target_os = "none", optimize(speed))]
    pub fn device_exit(&mut self, exit: &Exit, memory: &GuestMemory, bus: &mut Bus, host: &mut dyn Host) -> Option<Action> {
        let store = match exit.code() {
            code::TLBL => false,
            code::TLBS => true,
            _ => return None,
        };
        if exit.debug || exit.in_delay_slot() || exit.lladdr != 0 || self.paravirt.is_some() {
            return None;
        }
        let gpa = self.cpu.unmapped_phys(exit.badvaddr)?;
        if memory.host_phys(gpa).is_some() {
            return None;
        }
        let word = self.fetch(exit.epc, memory, host)?;
        let access = match self.decoded {
            Some((decoded, access)) if decoded == word => access,
            _ => isa_spec::decode(word).ok()?.mem_access()?,
        };
        let size = AccessSize::from_bytes(u32::from(access.width))?;
        let va = self.cpu.reg(access.base).wrapping_add(access.offset as i32 as u32);
        if va != exit.badvaddr || !va.is_multiple_of(size.bytes()) {
            return None;
        }
        match (access.kind, store) {
            (MemKind::Load, false) => {
                let raw = bus.device_load(GuestPhys(gpa), size)?;
                self.cpu.set_reg(access.rt, crate::devices::mmio::extend(raw, size, access.signed));
            }
            (MemKind::Store, true) => bus.device_store(GuestPhys(gpa), size, self.cpu.reg(access.rt))?,
            _ => return None,
        }
        self.decoded = Some((word, access));
        self.cpu.pc = exit.epc.wrapping_add(4);
        self.counters.count(ExitReason::Mmio);
        self.last_exit = ExitReason::Mmio;
        self.resume_in_slot = false;
        self.linked_sc = None;
        Some(match bus.take_event() {
            Some((_, DeviceEvent::PowerOff)) => Action::PowerOff,
            None => Action::Resume,
        })
    }

    /// For the entry: the pending `sc`'s address (see [`pending_sc`]) and
    /// the shadow to install for it, if the guest, in the mode it enters
    /// in now, still reaches its own RAM there (taking an interrupt may
    /// have changed its mode since the exit).
    #[inline]
    pub fn take_linked(&mut self, memory: &GuestMemory) -> Option<(u32, Shadow)> {
        let va = self.linked_sc.take()?;
        self.linked_shadow(va, memory)
    }

    fn linked_shadow(&mut self, va: u32, memory: &GuestMemory) -> Option<(u32, Shadow)> {
        let gpa = self.guest_translate(va, Access::Load).ok()?;
        memory.host_phys(gpa)?;
        Some((va, self.shadow(va, memory)))
    }

    /// The `sc` the guest is about to run with its reservation live: the
    /// guest virtual address it stores to, when straight-line code from
    /// `cpu.pc` reaches it within [`LINKED_SCAN`] instructions, with no
    /// branch, no other `ll` and nothing that may write its base register
    /// on the way, and it stores to the guest's RAM. The entry puts the
    /// reservation back on that address (QEMU's `sc` succeeds when the
    /// address matches and memory still holds what `ll` read), so an
    /// exit between `ll` and `sc` (an emulated CP0 access, a shadow fill,
    /// a device access, a host interrupt) does not make the `sc` fail.
    fn pending_sc(&self, memory: &GuestMemory, host: &mut dyn Host) -> Option<u32> {
        let mut pc = self.cpu.pc;
        let mut written = 0u32;
        for _ in 0..LINKED_SCAN {
            let word = self.fetch(pc, memory, host)?;
            let insn = isa_spec::decode(word).ok()?;
            if insn.control_flow().is_some() {
                return None;
            }
            if let Some(access) = insn.mem_access() {
                match access.kind {
                    MemKind::LoadLinked => return None,
                    MemKind::StoreConditional if written & (1 << (access.base & 31)) == 0 => {
                        let va = self.cpu.reg(access.base).wrapping_add(access.offset as i32 as u32);
                        let gpa = self.guest_translate(va, Access::Store).ok()?;
                        return (va.is_multiple_of(4) && memory.host_phys(gpa).is_some()).then_some(va);
                    }
                    MemKind::StoreConditional => return None,
                    _ => {}
                }
            }
            // Whatever register an instruction names in rt or rd may change.
            written |= 1 << ((word >> 16) & 31) | 1 << ((word >> 11) & 31);
            pc = pc.wrapping_add(4);
        }
        None
    }

    /// The guest ran an `ll` in its last run (`host_lladdr`, host LLAddr,
    /// not 0): its LLAddr now reads the guest-physical address of that
    /// load, shifted as the 24Kf shifts it. The guest's own `eret` clears
    /// it again (the emulator's `eret`), the hypervisor's entries do not.
    fn note_linked_load(&mut self, host_lladdr: u32, memory: &GuestMemory) {
        if host_lladdr == 0 {
            return;
        }
        let shift = emulator::LLADDR_SHIFT & 31;
        if let Some(gpa) = memory.guest_phys(HostPhys(host_lladdr << shift)) {
            self.cpu.cp0.lladdr = gpa;
        }
    }

    /// Enters `exception` in the guest for the instruction at `cpu.pc`.
    fn inject(&mut self, mut exception: Exception, in_delay_slot: bool) {
        exception.in_delay_slot = in_delay_slot;
        self.cpu.raise(exception);
    }

    /// Fetches the instruction word at guest VA `va` through the guest view.
    pub fn fetch(&self, va: u32, memory: &GuestMemory, host: &mut dyn Host) -> Option<u32> {
        Some(host.read_word(self.code_phys(va, memory)?))
    }

    /// The host frame of the instruction word at `va` (word-aligned, in
    /// the guest's RAM or ROM) as the guest fetches it now; an unmapped
    /// segment's straight from the map.
    #[cfg_attr(target_os = "none", optimize(speed))]
    fn code_phys(&self, va: u32, memory: &GuestMemory) -> Option<HostPhys> {
        if !va.is_multiple_of(4) {
            return None;
        }
        let gpa = match self.cpu.unmapped_phys(va) {
            Some(gpa) => gpa,
            None => self.cpu.translate(va, Access::Fetch).ok()?,
        };
        memory.host_phys(gpa)
    }

    /// Emulates the instruction at `cpu.pc` (with its slot when the
    /// exception was in a delay slot: `cpu.pc` is then the branch), then
    /// the instructions after it while they would trap again ([`traps`]):
    /// a run of privileged instructions (`mtc0`s, `ehb`, `tlbwr`, `eret`)
    /// costs one exit instead of one each.
    fn emulate(&mut self, bd: bool, memory: &GuestMemory, host: &mut dyn Host) -> Action {
        // The code page fetched from: (guest page, host frame), kept while
        // nothing changes the guest's view of memory.
        let mut code: Option<(u32, u32)> = None;
        let pc = self.cpu.pc;
        let Some(word) = self.fetch_code(pc, &mut code, memory, host) else {
            // The code is gone from under the guest (it rewrote its TLB
            // between the fault and now): run it again and let it fault.
            return Action::Resume;
        };
        let slot = if bd {
            match self.fetch_code(pc.wrapping_add(4), &mut code, memory, host) {
                Some(slot) => Some(slot),
                None => return Action::Resume,
            }
        } else {
            None
        };
        if !keeps_view(word) || slot.is_some_and(|w| !keeps_view(w)) {
            code = None;
        }
        let mut outcome = self.execute(word, slot, memory, host);
        if outcome == Outcome::NotEmulated {
            // An ordinary instruction the host refused (RI): the guest sees RI.
            self.inject(Exception::reserved_instruction(), bd);
        }
        let mut budget = BATCH;
        while outcome == Outcome::Continue && budget > 0 && !self.cpu.waiting {
            budget -= 1;
            let Some(next) = self.fetch_code(self.cpu.pc, &mut code, memory, host) else { break };
            if !traps(next) {
                break;
            }
            if !keeps_view(next) {
                code = None;
            }
            outcome = self.execute(next, None, memory, host);
        }
        Action::Resume
    }

    /// The instruction word at `pc`, from the cached code page when `pc`
    /// is in it; else through the guest view (caching the page when all of
    /// it is the guest's memory).
    fn fetch_code(&self, pc: u32, code: &mut Option<(u32, u32)>, memory: &GuestMemory, host: &mut dyn Host) -> Option<u32> {
        if !pc.is_multiple_of(4) {
            return None;
        }
        let page = pc & !0xFFF;
        let frame = match *code {
            Some((cached, frame)) if cached == page => frame,
            _ => match self.code_frame(page, memory) {
                Some(frame) => {
                    *code = Some((page, frame));
                    frame
                }
                None => return self.fetch(pc, memory, host),
            },
        };
        Some(host.read_word(HostPhys(frame + (pc & 0xFFF))))
    }

    /// The host frame of the 4 KiB guest page at `page`, in the guest's
    /// view now, when all of it is the guest's RAM or ROM.
    fn code_frame(&self, page: u32, memory: &GuestMemory) -> Option<u32> {
        let gpa = self.cpu.translate(page, Access::Fetch).ok()?;
        let (HostPhys(first), HostPhys(last)) = (memory.host_phys(gpa)?, memory.host_phys(gpa | 0xFFF)?);
        (last.wrapping_sub(first) == 0xFFF).then_some(first)
    }

    /// Emulates one trapping instruction (and its slot), drops the shadows
    /// it made stale and, in paravirtual mode, rewrites it (in guest kernel
    /// mode, outside a delay slot: [`Vcpu::paravirt_rewrite`]).
    fn execute(&mut self, word: u32, slot: Option<u32>, memory: &GuestMemory, host: &mut dyn Host) -> Outcome {
        let (pc, status) = (self.cpu.pc, self.cpu.cp0.status);
        let rewritable = slot.is_none() && self.paravirt.is_some() && self.cpu.kernel_mode();
        let asid = self.cpu.cp0.entryhi & emulator::ASID_MASK;
        let tlb_write = writes_tlb(word) || slot.is_some_and(writes_tlb);
        // Lazily: the copy is the whole guest TLB, wanted only for a TLB write.
        #[allow(clippy::unnecessary_lazy_evaluations)]
        let before = tlb_write.then(|| self.cpu.tlb.entries);
        let outcome = self.cpu.execute(word, slot);
        self.emulated += 1 + u64::from(slot.is_some());
        // Entries QEMU kept from TLBWRs that are gone now (a TLBWI, TLBR or
        // TLBP dropped them) may have shadows anywhere.
        let dropped = self.cpu.tlb.take_dropped();
        if self.cpu.cp0.entryhi & emulator::ASID_MASK != asid || dropped {
            self.flush_tlb_shadows(host);
        } else if let Some(before) = before {
            // Shadows of what the rewritten entries mapped before and map now.
            for (index, &old) in before.iter().enumerate() {
                let new = self.cpu.tlb.entry(index as u32);
                if old != new {
                    for e in [old, new] {
                        let (start, end) = entry_range(&e);
                        host.flush_range(self.asids, start, end);
                    }
                }
            }
        }
        if rewritable && outcome == Outcome::Continue {
            self.paravirt_rewrite(pc, word, status, memory, host);
        }
        outcome
    }

    /// Drops every shadow that came from the guest's TLB: all of the user
    /// view's, and the kernel view's in the segments its TLB maps. The
    /// kernel view's shadows of unmapped segments stay: they depend on
    /// nothing the TLB or the ASID says (an ASID change is every context
    /// switch of a Linux guest).
    fn flush_tlb_shadows(&self, host: &mut dyn Host) {
        let [kernel, user] = self.asids;
        host.flush([user, user]);
        let mapped = self.map().segments.iter().filter(|s| s.kernel == Reach::Tlb && s.start < emulator::addrmap::GUEST_LIMIT);
        for segment in mapped {
            host.flush_range([kernel, kernel], segment.start, u64::from(segment.last) + 1);
        }
    }

    /// A host TLB miss/invalid/modified in host user mode: fill a shadow,
    /// route to a device, or inject the guest's own exception.
    fn mmu_fault(
        &mut self,
        exit: Exit,
        store: bool,
        memory: &GuestMemory,
        bus: &mut Bus,
        host: &mut dyn Host,
    ) -> (ExitReason, Action) {
        let va = exit.badvaddr;
        let bd = exit.in_delay_slot();
        let access = exit.access(store);
        let fetch = access == Access::Fetch;
        if exit.code() == code::MOD && self.cpu.kernel_mode() && self.in_paravirt_page(va) {
            return (ExitReason::ParavirtStore, self.paravirt_store(exit, memory, bus, host));
        }
        let gpa = match self.guest_translate(va, access) {
            Ok(t) => t,
            Err(exception) => {
                self.inject(exception, bd);
                return (ExitReason::GuestTlbFault, Action::Resume);
            }
        };
        if memory.host_phys(gpa).is_some() {
            host.install(self.shadow(va, memory));
            return (ExitReason::ShadowFill, Action::Resume);
        }
        if !fetch && bus.claims(GuestPhys(gpa)) {
            return (ExitReason::Mmio, self.mmio(exit, None, Some((va, access, gpa)), memory, bus, host));
        }
        let kind = if fetch { ExceptionKind::BusErrorFetch } else { ExceptionKind::BusErrorData };
        self.inject(Exception::new(kind), bd);
        if fetch && self.cpu.pc == va {
            // Its exception vector is not memory: it would take this
            // exception at the same place forever.
            return (ExitReason::BusError, Action::Stop("fatal: instruction bus error at its own exception vector"));
        }
        (ExitReason::BusError, Action::Resume)
    }

    fn guest_translate(&self, va: u32, access: Access) -> Result<u32, Exception> {
        self.cpu.translate(va, access)
    }

    /// Emulates the load or store at EPC (in the delay slot of the branch
    /// at EPC when BD) against the guest's devices, then moves past it
    /// (following the branch), or enters the exception it raises. `word`
    /// is that instruction when the caller has fetched it already.
    /// Emulates the access that exited (`word`, else fetched), with the
    /// guest registers it reads and writes; `known`: a translation the
    /// exit's handling already made (guest virtual, access, guest physical),
    /// used again when the access asks for the same.
    fn mmio(
        &mut self,
        exit: Exit,
        word: Option<u32>,
        known: Option<(u32, Access, u32)>,
        memory: &GuestMemory,
        bus: &mut Bus,
        host: &mut dyn Host,
    ) -> Action {
        let bd = exit.in_delay_slot();
        let mut link = None;
        let next_pc = if bd {
            let Some(branch) = self.fetch(exit.epc, memory, host) else { return Action::Resume };
            match self.cpu.branch_effect(branch) {
                Some(Ok(effect)) => {
                    // The link is written before the slot runs.
                    link = effect.link;
                    effect.next_pc
                }
                Some(Err(exception)) => {
                    self.inject(exception, false);
                    return Action::Resume;
                }
                None => return Action::Stop("delay-slot fault after a word that is not a branch"),
            }
        } else {
            exit.epc.wrapping_add(4)
        };
        let at = if bd { exit.epc.wrapping_add(4) } else { exit.epc };
        let Some(word) = word.or_else(|| self.fetch(at, memory, host)) else { return Action::Resume };
        bus.set_time(host.now_ns());
        let cpu = &self.cpu;
        let mut target = GuestTarget { memory, host, bus };
        // The registers as the access sees them, its writes held back (no
        // copy of the register file on this path).
        let mut regs = Overlay { base: &cpu.gpr, link, written: None };
        let translate = |va: emulator::addrmap::GuestVirt, access: Access| match known {
            Some((known_va, known_access, gpa)) if known_va == va.0 && known_access == access => Ok(GuestPhys(gpa)),
            _ => cpu.translate(va.0, access).map(GuestPhys),
        };
        let result = emulate_mmio_word(word, &mut regs, &mut target, translate);
        let written = regs.written;
        match result {
            Ok(_) => {
                for (r, value) in [link, written].into_iter().flatten() {
                    self.cpu.set_reg(r, value);
                }
                self.cpu.pc = next_pc;
            }
            Err(error) => {
                let exception = error.exception().unwrap_or(Exception::new(ExceptionKind::BusErrorData));
                self.inject(exception, bd);
            }
        }
        match bus.take_event() {
            Some((_, DeviceEvent::PowerOff)) => Action::PowerOff,
            None => Action::Resume,
        }
    }

}

/// What an emulated access reaches: the guest's RAM and ROM (through the
/// host), else its devices.
struct GuestTarget<'a> {
    memory: &'a GuestMemory,
    host: &'a mut dyn Host,
    bus: &'a mut Bus,
}

impl GuestTarget<'_> {
    /// The host word holding `gpa` and the byte offset in it, when the
    /// whole access lies in the guest's RAM or ROM.
    fn ram(&self, gpa: GuestPhys, len: u32) -> Option<(HostPhys, u32)> {
        // Guest RAM and ROM are contiguous and 1 MiB-aligned on the host.
        let HostPhys(pa) = self.memory.host_range(gpa.0, len)?;
        Some((HostPhys(pa & !3), pa & 3))
    }
}

impl Target for GuestTarget<'_> {
    fn read(&mut self, gpa: GuestPhys, size: AccessSize) -> Result<u32, BusFault> {
        match self.ram(gpa, size.bytes()) {
            Some((word, k)) => Ok((self.host.read_word(word) >> (8 * k)) & size.mask()),
            None => self.bus.read(gpa, size),
        }
    }
    fn write(&mut self, gpa: GuestPhys, size: AccessSize, value: u32) -> Result<(), BusFault> {
        match self.ram(gpa, size.bytes()) {
            Some((word, k)) => {
                let mask = size.mask() << (8 * k);
                let old = self.host.read_word(word);
                self.host.write_word(word, (old & !mask) | ((value << (8 * k)) & mask));
                Ok(())
            }
            None => self.bus.write(gpa, size, value),
        }
    }
    fn check(&mut self, gpa: GuestPhys, len: u32) -> Result<(), BusFault> {
        match self.memory.host_range(gpa.0, len) {
            Some(_) => Ok(()),
            None => self.bus.check(gpa, len),
        }
    }
    fn note_rejected(&mut self) {
        self.bus.note_rejected();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::DeviceParams;
    use std::collections::HashMap;

    const MEMORY: GuestMemory =
        GuestMemory { ram_host: 0x0100_0000, ram_size: 0x0100_0000, rom_host: 0x0200_0000, rom_size: 0x0040_0000, rom_base: 0x1FC0_0000, canary: None };
    const CODE: u32 = 0x1000;
    const UNSET: u32 = 0x8c00_0000;

    #[derive(Default)]
    struct Machine {
        words: HashMap<u32, u32>,
        installed: Vec<Shadow>,
        flushes: usize,
        flushed: Vec<[u8; 2]>,
        ranges: Vec<(u32, u64)>,
        range_asids: Vec<[u8; 2]>,
    }

    impl Host for Machine {
        fn read_word(&mut self, pa: HostPhys) -> u32 {
            assert!(MEMORY.ranges().iter().any(|&(s, e)| (s..e).contains(&pa.0)), "read outside the guest: {pa:?}");
            // Memory not set reads as a load (`lw zero, 0(zero)`), which an
            // exit never runs itself, so a test's code ends where its words do.
            self.words.get(&pa.0).copied().unwrap_or(UNSET)
        }
        fn write_word(&mut self, pa: HostPhys, value: u32) {
            assert!(MEMORY.ranges().iter().any(|&(s, e)| (s..e).contains(&pa.0)), "write outside the guest: {pa:?}");
            self.words.insert(pa.0, value);
        }
        fn install(&mut self, shadow: Shadow) {
            self.installed.push(shadow);
        }
        fn flush(&mut self, asids: [u8; 2]) {
            self.flushes += 1;
            self.flushed.push(asids);
        }
        fn flush_range(&mut self, asids: [u8; 2], start: u32, end: u64) {
            self.ranges.push((start, end));
            self.range_asids.push(asids);
        }
    }

    impl Machine {
        /// Puts `words` at guest-physical `gpa` (in RAM).
        fn code(&mut self, gpa: u32, words: &[u32]) {
            for (i, w) in words.iter().enumerate() {
                self.words.insert(MEMORY.ram_host + gpa + 4 * i as u32, *w);
            }
        }
    }

    fn bus() -> Bus {
        let mut bus = Bus::new();
        let params = DeviceParams::default();
        bus.attach_compatible(["ns16550a"], &params, GuestPhys(0x1800_03F8), 8, "g", Some(crate::devices::IrqRoute::Line(0))).unwrap();
        bus.attach_compatible(["mti,malta-reset"], &params, GuestPhys(0x1F00_0500), 4, "reset", None).unwrap();
        bus
    }

    /// A VCPU in kernel mode (BEV=0, ERL=0, EBase 0) at CODE.
    fn vcpu() -> Vcpu {
        let mut v = Vcpu::new(1, &emulator::addrmap::SHIFTED, CODE, 0);
        v.cpu.cp0.status = 0;
        v
    }

    /// [`vcpu`] on the kvm-guest map for every third `case`: the isolation
    /// tests hold for both maps.
    fn vcpu_for(case: u32) -> Vcpu {
        let mut v = vcpu();
        if case % 3 == 2 {
            v = Vcpu::new(1, &emulator::addrmap::KVM_GUEST, 0x4000_0000 + CODE, 0);
            v.cpu.cp0.status = 0;
        }
        v
    }

    fn exit(code: u32, epc: u32, badvaddr: u32) -> Exit {
        Exit { cause: code << 2, epc, badvaddr, debug: false, lladdr: 0 }
    }

    /// A guest Count at 3/5 of the host's (100 MHz on QEMU's 166.7 MHz):
    /// no tick lost to rounding, the host deadline exact, and the timer key
    /// the same however time is cut up.
    #[test]
    fn a_scaled_guest_count() {
        let mut v = vcpu();
        v.set_count_rate(CountRate::new(600_000_000, 1_000_000_000).unwrap());
        v.cpu.cp0.count = 0;
        v.cpu.cp0.compare = 300;
        let key = v.timer_key();
        assert_eq!(v.ticks_to_compare(), 500);
        let mut now = 0u32;
        for step in [1, 2, 7, 13, 1, 1, 100, 3] {
            now += step;
            v.sync_timer(now);
            assert_eq!(v.timer_key(), key, "after {now} host ticks");
            assert_eq!(v.cpu.cp0.count, now * 3 / 5);
        }
        v.sync_timer(499);
        assert_eq!((v.cpu.cp0.count, v.cpu.cp0.cause_ti()), (299, 0));
        assert_eq!(v.ticks_to_compare(), 1);
        v.sync_timer(500);
        assert_eq!((v.cpu.cp0.count, v.cpu.cp0.cause_ti()), (300, 1));
        assert_eq!(CountRate::new(0, 5), None);
        assert_eq!(CountRate::new(7, 7), Some(CountRate::SAME));
    }

    use isa_spec::Insn;

    const PV_PAGE: u32 = 0x7000;
    const PV_STATUS: u32 = PV_PAGE + paravirt::STATUS_OFFSET;

    /// [`vcpu`] in the paravirtual mode with its page at [`PV_PAGE`].
    fn paravirtual() -> Vcpu {
        let mut v = vcpu();
        assert!(v.set_paravirt(PV_PAGE, &MEMORY));
        v
    }

    /// What an entry does in the mode: the shadow decision, and the world
    /// switch's copy of the `Cp0` words into the page.
    fn enter(m: &mut Machine, v: &mut Vcpu) {
        v.paravirt_entry(m);
        for key in 0..256u32 {
            let reg = Cp0Reg::new((key >> 3) as u8, key as u8);
            if let (Some(offset), Some(value)) = (Cp0::offset(reg), v.cpu.cp0.get(reg)) {
                m.words.insert(MEMORY.ram_host + PV_PAGE + offset as u32, value);
            }
        }
    }

    fn word_at(m: &Machine, gpa: u32) -> u32 {
        m.words.get(&(MEMORY.ram_host + gpa)).copied().unwrap_or(UNSET)
    }

    #[test]
    fn paravirtual_pages_must_be_low_ram_reached_unmapped() {
        let mut v = vcpu();
        for page in [0x7800, 0x8000, 0x0010_0000] {
            assert!(!v.set_paravirt(page, &MEMORY), "{page:#x}");
        }
        let mut kvm = Vcpu::new(1, &emulator::addrmap::KVM_GUEST, 0x4000_0000 + CODE, 0);
        assert!(!kvm.set_paravirt(PV_PAGE, &MEMORY), "kuseg in the kvm-guest map");
        assert!(v.set_paravirt(0, &MEMORY) && v.set_paravirt(PV_PAGE, &MEMORY));
    }

    /// A trapped mfc0 is emulated, then rewritten into the load of its
    /// mirror word; not in a delay slot.
    #[test]
    fn paravirtual_mode_rewrites_mfc0_into_a_load_of_the_page() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), paravirtual());
        let mfc0_epc = Insn::Mfc0 { rt: 8, rd: 14, sel: 0 }.encode();
        m.code(CODE, &[mfc0_epc]);
        v.cpu.cp0.epc = 0x1234;
        enter(&mut m, &mut v);
        v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!((v.cpu.gpr[8], v.cpu.pc), (0x1234, CODE + 4));
        let offset = Cp0::offset(Cp0Reg::EPC).unwrap() as u32;
        assert_eq!(word_at(&m, CODE), Insn::Lw { rt: 8, offset: (PV_PAGE + offset) as i16, base: 0 }.encode());
        assert_eq!(v.paravirt_rewritten(), Some(1));
        // In a delay slot: emulated with its branch, left as it is.
        let beq = Insn::Beq { rs: 0, rt: 0, offset: 4 }.encode();
        m.code(CODE + 8, &[beq, mfc0_epc]);
        enter(&mut m, &mut v);
        v.handle_exit(Exit { cause: 11 << 2 | 1 << 31, ..exit(11, CODE + 8, 0) }, &MEMORY, &mut bus, &mut m);
        assert_eq!(word_at(&m, CODE + 12), mfc0_epc);
    }

    /// `di t1; ehb` becomes the page's load and byte store, which the
    /// guest runs from then on; what it stores is taken at the next exit.
    #[test]
    fn paravirtual_di_and_the_status_the_guest_stores() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), paravirtual());
        let ehb = Insn::Sll { rd: 0, rt: 0, sa: 3 }.encode();
        m.code(CODE, &[Insn::Di { rt: 9 }.encode(), ehb]);
        v.cpu.cp0.status = Cp0::STATUS_IE;
        enter(&mut m, &mut v);
        v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!((v.cpu.gpr[9], v.cpu.cp0.status), (Cp0::STATUS_IE, 0));
        let load = Insn::Lw { rt: 9, offset: PV_STATUS as i16, base: 0 }.encode();
        assert_eq!([word_at(&m, CODE), word_at(&m, CODE + 4)], [load, paravirt::di_store(PV_PAGE)]);
        // The guest's rewritten `mtc0 t1, Status` stored IE = 1 in the page:
        // the next exit (any) takes it.
        enter(&mut m, &mut v);
        m.words.insert(MEMORY.ram_host + PV_STATUS, Cp0::STATUS_IE);
        v.handle_exit(exit(0, CODE + 16, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.status, Cp0::STATUS_IE);
    }

    /// With an interrupt pending that IM lets through, the page is mapped
    /// read-only: the guest's store there exits and is emulated at once,
    /// and the interrupt it enables is taken before the next instruction.
    #[test]
    fn a_store_to_the_read_only_page_is_emulated_at_once() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), paravirtual());
        let im2 = 1 << 10;
        v.cpu.cp0.status = im2;
        // Writable at first (nothing pending): the kernel view's shadow
        // of the page is dirty.
        enter(&mut m, &mut v);
        assert_eq!(v.shadow(PV_PAGE, &MEMORY).entry_lo[1] & Cp0::ENTRYLO0_D, Cp0::ENTRYLO0_D);
        assert_eq!(m.ranges, [(0x6000, 0x8000)]);
        // IP2 pending: read-only, the old shadow dropped.
        v.cpu.cp0.cause |= im2;
        enter(&mut m, &mut v);
        assert_eq!(m.ranges, [(0x6000, 0x8000), (0x6000, 0x8000)]);
        let shadow = v.shadow(PV_PAGE, &MEMORY);
        assert_eq!((shadow.page_mask, shadow.entry_lo[1] & Cp0::ENTRYLO0_D), (0, 0));
        assert_ne!(shadow.entry_lo[0] & Cp0::ENTRYLO0_D, 0, "its neighbour stays writable");
        // sw t1, S($zero) with IE set: Status written, the store made.
        m.code(CODE, &[Insn::Sw { rt: 9, offset: PV_STATUS as i16, base: 0 }.encode()]);
        v.cpu.gpr[9] = im2 | Cp0::STATUS_IE;
        v.handle_exit(exit(1, CODE, PV_STATUS), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.counters.get(ExitReason::ParavirtStore), 1);
        assert_eq!((v.cpu.cp0.status, v.cpu.pc), (im2 | Cp0::STATUS_IE, CODE + 4));
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!((v.cpu.cp0.epc, v.cpu.cp0.status_exl()), (CODE + 4, 1));
        // The rewritten di's store, read-only (EXL now): `di`.
        let mut d = paravirtual();
        d.cpu.cp0.status = Cp0::STATUS_IE | Cp0::STATUS_EXL;
        m.code(CODE + 8, &[paravirt::di_store(PV_PAGE)]);
        enter(&mut m, &mut d);
        d.handle_exit(exit(1, CODE + 8, PV_STATUS), &MEMORY, &mut bus, &mut m);
        assert_eq!((d.cpu.cp0.status, d.cpu.pc), (Cp0::STATUS_EXL, CODE + 12));
    }

    /// An interrupt about to be taken between the load and the store of a
    /// rewritten `di` completes the store first: none comes between.
    #[test]
    fn an_interrupt_inside_a_rewritten_di_waits_for_its_store() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), paravirtual());
        m.code(CODE, &[paravirt::di_store(PV_PAGE)]);
        let im2 = 1 << 10;
        v.cpu.cp0.status = im2 | Cp0::STATUS_IE;
        v.cpu.cp0.cause |= im2;
        enter(&mut m, &mut v);
        v.handle_exit(exit(0, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.pc, CODE, "the exit alone leaves it to the guest");
        assert!(v.prepare_entry(&MEMORY, &mut m));
        assert_eq!((v.cpu.cp0.status, v.cpu.pc), (im2, CODE + 4));
        // Without the mode the same word is the guest's own store: the
        // interrupt is taken before it.
        let mut plain = vcpu();
        plain.cpu.cp0.status = im2 | Cp0::STATUS_IE;
        plain.cpu.cp0.cause |= im2;
        plain.handle_exit(exit(0, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert!(plain.prepare_entry(&MEMORY, &mut m));
        assert_eq!((plain.cpu.cp0.epc, plain.cpu.cp0.status_exl()), (CODE, 1));
    }

    #[test]
    fn privileged_instruction_is_emulated() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[0x4088_6000]); // mtc0 t0, Status
        v.cpu.gpr[8] = 0x0000_FF01;
        assert_eq!(v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!(v.cpu.cp0.status, 0x0000_FF01);
        assert_eq!(v.cpu.pc, CODE + 4);
        assert_eq!(v.counters.get(ExitReason::Privileged), 1);
        assert_eq!(m.flushes, 0);
        // An ASID change drops the shadows the guest's TLB made: all of the
        // user view's, the kernel view's in its mapped segment (KSSEG/KSEG3
        // in this map), not its KSEG0/KSEG1 shadows.
        m.code(CODE + 4, &[0x4088_5000]); // mtc0 t0, EntryHi
        v.cpu.gpr[8] = 0x42;
        v.handle_exit(exit(11, CODE + 4, 0), &MEMORY, &mut bus, &mut m);
        let [kernel, user] = v.asids;
        assert_eq!((m.flushes, &m.flushed[..]), (1, &[[user, user]][..]));
        assert_eq!(m.ranges, [(0x4000_0000, 0x8000_0000)]);
        assert_eq!(m.range_asids, [[kernel, kernel]]);
        m.ranges.clear();
        // A TLB write drops the shadows of the old and the new mapping only.
        v.cpu.cp0.entryhi = 0x4000_0042;
        v.cpu.cp0.pagemask = 0x0000_6000; // 16 KiB pages
        v.cpu.cp0.index = 3;
        v.cpu.tlb.write(3, emulator::TlbEntry::from_regs(emulator::TlbRegs { entry_hi: 0x0070_2042, ..Default::default() }));
        m.code(CODE + 8, &[0x4200_0002]); // tlbwi
        v.handle_exit(exit(11, CODE + 8, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(m.flushes, 1);
        assert_eq!(m.ranges, [(0x0070_2000, 0x0070_4000), (0x4000_0000, 0x4000_8000)]);
        assert_eq!(v.cpu.pc, CODE + 12);
        // Writing the same entry again changes nothing: nothing to drop.
        m.code(CODE + 12, &[0x4200_0002]);
        v.handle_exit(exit(11, CODE + 12, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(m.ranges.len(), 2);
    }

    #[test]
    fn lladdr_reads_the_guest_physical_address_of_the_guests_ll() {
        use isa_spec::Insn;
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        let mfc0_lladdr = |rt| Insn::Mfc0 { rt, rd: 17, sel: 0 }.encode();
        m.code(CODE, &[mfc0_lladdr(8), mfc0_lladdr(9)]);
        // The guest's ll of guest-physical 0x0012_3450 in this run: the host
        // saw host-physical 0x0112_3450 >> 4.
        let host_lladdr = (MEMORY.ram_host + 0x0012_3450) >> emulator::LLADDR_SHIFT;
        let e = Exit { lladdr: host_lladdr, ..exit(11, CODE, 0) };
        v.handle_exit(e, &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.gpr[8], 0x0012_3450 >> emulator::LLADDR_SHIFT);
        // Later runs without an ll (host LLAddr 0 after the hypervisor's
        // eret) keep it, as the hardware keeps it until the guest's eret.
        v.handle_exit(exit(11, CODE + 4, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.gpr[9], 0x0012_3450 >> emulator::LLADDR_SHIFT);
        // In the ROM too.
        let rom = Exit { lladdr: (MEMORY.rom_host + 0x10) >> emulator::LLADDR_SHIFT, ..exit(11, CODE, 0) };
        v.handle_exit(rom, &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.gpr[8], 0x1FC0_0010 >> emulator::LLADDR_SHIFT);
    }

    /// An exit between the guest's `ll` and `sc` leaves the reservation to
    /// be put back at the entry, on the address the `sc` stores to, when
    /// straight-line code reaches it; not after the guest's own `eret`.
    #[test]
    fn an_exit_between_ll_and_sc_keeps_the_reservation() {
        use isa_spec::Insn;
        const T0: u8 = 8;
        const T1: u8 = 9;
        const A0: u8 = 4;
        let mfc0 = Insn::Mfc0 { rt: T0, rd: 12, sel: 0 }.encode();
        let addiu = |rt, rs| Insn::Addiu { rt, rs, imm: 1 }.encode();
        let sc = Insn::Sc { rt: T1, offset: 8, base: A0 }.encode();
        let beq = Insn::Beq { rs: 0, rt: 0, offset: 4 }.encode();
        let ll_seen = (MEMORY.ram_host + 0x2000) >> emulator::LLADDR_SHIFT;
        let run = |words: &[u32], lladdr: u32| {
            let (mut m, mut devices, mut v) = (Machine::default(), bus(), vcpu());
            m.code(CODE, words);
            v.cpu.gpr[A0 as usize] = 0x2000;
            v.handle_exit(Exit { lladdr, ..exit(11, CODE, 0) }, &MEMORY, &mut devices, &mut m);
            let linked = v.linked_sc;
            (linked, v.take_linked(&MEMORY).map(|(va, shadow)| (va, shadow.entry_lo[0] & 2 != 0)))
        };
        // ll (seen by the host); mfc0 (the exit); addiu; sc 8(a0).
        assert_eq!(run(&[mfc0, addiu(T1, T1), sc], ll_seen), (Some(0x2008), Some((0x2008, true))));
        // No ll in the run, or something in the way: the entry is plain.
        assert_eq!(run(&[mfc0, addiu(T1, T1), sc], 0).0, None);
        assert_eq!(run(&[mfc0, beq, sc], ll_seen).0, None, "a branch");
        assert_eq!(run(&[mfc0, addiu(A0, A0), sc], ll_seen).0, None, "its base written");
        let ll = Insn::Ll { rt: T1, offset: 0, base: A0 }.encode();
        assert_eq!(run(&[mfc0, ll, sc], ll_seen).0, None, "a new ll");
        let mut far = vec![mfc0];
        far.extend([addiu(T1, T1); LINKED_SCAN]);
        far.push(sc);
        assert_eq!(run(&far, ll_seen).0, None, "beyond the look-ahead");
        // An sc to a device (or nowhere) is not the guest's RAM.
        let (mut m, mut devices, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[mfc0, sc]);
        v.cpu.gpr[A0 as usize] = 0x1800_03F0;
        v.handle_exit(Exit { lladdr: ll_seen, ..exit(11, CODE, 0) }, &MEMORY, &mut devices, &mut m);
        assert_eq!(v.linked_sc, None);
        // The guest's own eret clears its reservation: nothing to put back.
        let (mut m, mut devices, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[Insn::Eret.encode()]);
        m.code(0x3000, &[sc]);
        v.cpu.cp0.epc = 0x3000;
        v.cpu.cp0.set_status_exl(1);
        v.cpu.gpr[A0 as usize] = 0x2000;
        v.handle_exit(Exit { lladdr: ll_seen, ..exit(11, CODE, 0) }, &MEMORY, &mut devices, &mut m);
        assert_eq!((v.cpu.pc, v.linked_sc), (0x3000, None));
    }

    /// An address error the host raises for a guest: misaligned, the
    /// plain one (BadVAddr only); outside the guest's segments, the guest
    /// view's segment error, which also writes EntryHi.VPN2 and Context.
    #[test]
    fn address_errors_are_misalignment_or_segment_errors() {
        use isa_spec::Insn;
        let sb = Insn::Sb { rt: 8, offset: 0, base: 4 }.encode();
        let lw = Insn::Lw { rt: 8, offset: 0, base: 4 }.encode();
        let lwl = Insn::Lwl { rt: 8, offset: 0, base: 4 }.encode();
        let run = |word: u32, code: u32, va: u32| {
            let (mut m, mut devices, mut v) = (Machine::default(), bus(), vcpu());
            m.code(CODE, &[word]);
            // Kernel mode (ERL, BEV clear): guest 0x80000000 up is still not its.
            v.cpu.cp0.status = 0;
            v.handle_exit(exit(code, CODE, va), &MEMORY, &mut devices, &mut m);
            (v.cpu.cp0.cause_exccode(), v.cpu.cp0.badvaddr, v.cpu.cp0.entryhi & !0xFF, v.cpu.cp0.context)
        };
        // A byte store to guest 0xD3AA0BBD: a segment error.
        assert_eq!(run(sb, 5, 0xD3AA_0BBD), (5, 0xD3AA_0BBD, 0xD3AA_0000, 0x0069_D500));
        // A misaligned word load there: the plain address error.
        let (code, bad, hi, context) = run(lw, 4, 0xD3AA_0BBD);
        assert_eq!((code, bad, hi, context), (4, 0xD3AA_0BBD, 0, 0));
        // lwl is never misaligned: a segment error.
        assert_eq!(run(lwl, 4, 0x8000_0001).2, 0x8000_0000);
        // Misaligned inside the guest's segments: plain.
        assert_eq!(run(lw, 4, 0x0000_1001).2, 0);
    }

    #[test]
    fn exceptions_from_mips16_code_are_the_guests() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[0x4088_6000]); // (an mtc0 word, not what MIPS16e runs)
        let odd = CODE | 1;
        assert_eq!(v.handle_exit(exit(10, odd, 0), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!(v.cpu.cp0.cause_exccode(), 10, "RI, not an emulated mtc0");
        assert_eq!(v.cpu.cp0.epc, odd);
        assert_eq!(v.cpu.cp0.status_exl(), 1);
        // A fetch miss past its memory at an odd EPC is an instruction bus error.
        let mut v = vcpu();
        let past = 0x0200_0000;
        v.handle_exit(exit(2, past | 1, past), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.cause_exccode(), 6);
    }

    #[test]
    fn privileged_instruction_in_a_delay_slot() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        // beq $0, $0, +4 ; mtc0 t0, Status (slot)
        m.code(CODE, &[0x1000_0004, 0x4088_6000]);
        v.cpu.gpr[8] = 0x0000_0401;
        let e = Exit { cause: (1 << 31) | (11 << 2), epc: CODE, badvaddr: 0, debug: false, lladdr: 0 };
        v.handle_exit(e, &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.status, 0x0000_0401);
        assert_eq!(v.cpu.pc, CODE + 4 + 16);
    }

    #[test]
    fn syscall_is_delivered_like_the_hardware() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.ebase = 0x0010_0000;
        let e = Exit { cause: (1 << 31) | (8 << 2), epc: 0x2000, badvaddr: 0, debug: false, lladdr: 0 };
        v.handle_exit(e, &MEMORY, &mut bus, &mut m);
        assert_eq!(v.counters.get(ExitReason::GuestException), 1);
        assert_eq!(v.cpu.pc, 0x0010_0180);
        assert_eq!(v.cpu.cp0.epc, 0x2000);
        assert_eq!(v.cpu.cp0.cause_bd(), 1);
        assert_eq!(v.cpu.cp0.cause_exccode(), 8);
        assert_eq!(v.cpu.cp0.status_exl(), 1);
        // With BEV, the vector is in the guest's ROM view.
        let mut v = Vcpu::new(0, &emulator::addrmap::SHIFTED, 0x3FC0_0000, 0);
        v.handle_exit(exit(9, 0x3FC0_0010, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.pc, 0x3FC0_0380);
        assert_eq!(v.cpu.cp0.cause_exccode(), 9);
        // A host exception no guest action explains stops the guest.
        let mut v = vcpu();
        assert!(matches!(v.handle_exit(exit(24, CODE, 0), &MEMORY, &mut bus, &mut m), Action::Stop(_)));
        let mut v = vcpu();
        v.handle_exit(exit(15, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.cause_exccode(), 15);
    }

    /// Seeded random guest TLBs, ASIDs, modes and addresses (20,000): every
    /// valid half of every shadow is a page of this guest's RAM or ROM, and
    /// dirty only where the guest view allows stores.
    /// A guest TLB entry of every 24Kf page size (4 KiB to 16 MiB, 16 KiB
    /// for Linux) is shadowed 4 KiB by 4 KiB: each host page of a pair
    /// maps exactly the guest-physical page the guest's entry gives, even
    /// or odd half alike, under the user view's or the kernel view's ASID,
    /// in both maps.
    #[test]
    fn every_page_size_is_shadowed_page_by_page() {
        let big = GuestMemory { ram_size: 0x0400_0000, ..MEMORY };
        for map in [&emulator::addrmap::SHIFTED, &emulator::addrmap::KVM_GUEST] {
            for mask_bits in (0..=12).step_by(2) {
                let page_mask = ((1u32 << mask_bits) - 1) << 13;
                let page = (page_mask | 0x1FFF).wrapping_add(1) / 2;
                // A pair (aligned for every size) in a segment both views
                // map, for guest-physical 0x01000000 (even) and 0x02000000
                // (odd).
                let vpn2 = if map.name == "shifted" { 0x4000_0000 } else { 0x0200_0000 };
                let (pfn0, pfn1) = (0x0100_0000u32 >> 12, 0x0200_0000u32 >> 12);
                let mut v = Vcpu::new(1, map, 0, 0);
                v.cpu.cp0.status = 0x10; // user mode
                v.cpu.cp0.entryhi = 7;
                let regs = emulator::TlbRegs { entry_hi: vpn2 | 7, entry_lo0: (pfn0 << 6) | 0x6, entry_lo1: (pfn1 << 6) | 0x2, page_mask };
                v.cpu.tlb.write(0, emulator::TlbEntry::from_regs(regs));
                for offset in [0, page / 2, page - 0x1000, page, page + page / 2, 2 * page - 0x1000] {
                    let va = vpn2 + offset;
                    for kernel in [false, true] {
                        v.cpu.cp0.status = if kernel { 0 } else { 0x10 };
                        let shadow = v.shadow(va, &big);
                        assert_eq!(shadow.entry_hi, (va & !0x1FFF) | u32::from(v.host_asid()));
                        for (half, lo) in shadow.entry_lo.iter().enumerate() {
                            let host_va = (va & !0x1FFF) + 0x1000 * half as u32;
                            let (even, within) = (host_va - vpn2 < page, (host_va - vpn2) % page);
                            let gpa = if even { 0x0100_0000 } else { 0x0200_0000 } + within;
                            let host = big.ram_host + gpa;
                            assert_eq!(lo >> 6, host >> 12, "{} mask {page_mask:#x} va {host_va:#x}", map.name);
                            assert_eq!(lo & 0x4 != 0, even, "dirty only where the guest's D bit is");
                            assert_eq!(lo & 0x2, 0x2);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shadows_never_leave_the_guests_memory() {
        let mut seed = 0x2545_F491u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let small = GuestMemory { ram_size: 0x0001_0000, rom_size: 0x1000, ..MEMORY };
        let mut valid = 0;
        for case in 0..20_000 {
            let memory = if case % 2 == 0 { MEMORY } else { small };
            let mut v = vcpu_for(case);
            for i in 0..emulator::TLB_ENTRIES as u32 {
                // PFNs mostly near the guest's RAM and ROM, sometimes anywhere.
                let mut lo = [0; 2];
                for lo in &mut lo {
                    let (kind, a, b) = (next() % 4, next(), next());
                    *lo = match kind {
                        0 => a,
                        1 => ((0x1FC0_0000 + (a & 0x3F_F000)) >> 6) | (b & 0x3F),
                        _ => a & 0x0007_FFFF,
                    };
                }
                let regs = emulator::TlbRegs { entry_hi: next(), entry_lo0: lo[0], entry_lo1: lo[1], page_mask: next() };
                v.cpu.tlb.write(i, emulator::TlbEntry::from_regs(regs));
            }
            v.cpu.cp0.entryhi = next() & 0xFF;
            v.cpu.cp0.status = [0, 0x10, 0x12, 0x08][(next() % 4) as usize];
            let entry = v.cpu.tlb.entry(next() % 16);
            let va = match next() % 4 {
                0 => next(),
                1 => {
                    v.cpu.cp0.entryhi = u32::from(entry.asid());
                    entry.vpn2() | (next() & 0x1FFF)
                }
                2 => next() & 0x01FF_FFFF,
                _ => 0x3FC0_0000 | (next() & 0x3F_FFFF),
            };
            let shadow = v.shadow(va, &memory);
            assert_eq!(shadow.entry_hi & 0xFF, u32::from(v.host_asid()));
            for (half, lo) in shadow.entry_lo.into_iter().enumerate() {
                if lo & 2 == 0 {
                    assert_eq!(lo, 0);
                    continue;
                }
                valid += 1;
                // The whole host page, whatever its size, in one of the
                // guest's regions, and each of its 4 KiB pages exactly
                // where the guest's view puts it.
                let size = page_bytes(shadow.page_mask) as u32;
                let pa = (lo >> 6) << 12;
                let inside = memory.ranges().iter().any(|&(s, e)| pa >= s && u64::from(pa) + u64::from(size) <= u64::from(e));
                assert!(inside, "case {case}: {pa:#x}+{size:#x} outside");
                let (start, _) = shadow.range();
                let page = start + size * half as u32 + (va & (size - 1) & !0xFFF);
                let gpa = v.guest_translate(page, Access::Load).expect("a valid shadow page translates");
                assert_eq!(memory.host_phys(gpa), Some(HostPhys(pa + (page & (size - 1)))), "case {case}");
                assert_eq!(lo & 4 != 0, v.guest_translate(page, Access::Store).is_ok(), "case {case}: dirty bit");
            }
        }
        assert!(valid > 2_000, "only {valid} valid halves: the generator misses the guest");
    }

    #[test]
    fn kseg0_fault_installs_a_shadow_inside_the_guest() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        // 16 MiB of RAM at host 16 MiB: KSEG0 is shadowed 2 MiB at a time.
        v.handle_exit(exit(2, CODE, 0x0012_3456), &MEMORY, &mut bus, &mut m);
        let s = m.installed[0];
        assert_eq!((s.entry_hi, s.page_mask), (u32::from(shadow_asids(1)[0]), 0x001F_E000));
        assert_eq!(s.entry_lo[0] >> 6, MEMORY.ram_host >> 12);
        assert_eq!(s.entry_lo[1] >> 6, (MEMORY.ram_host + 0x0010_0000) >> 12);
        assert_eq!(s.entry_lo[0] & 0x6, 0x6, "valid and dirty");
        assert_eq!(v.cpu.pc, CODE, "the access runs again");
        // KSEG1's view of the same RAM: the same frames.
        v.handle_exit(exit(2, CODE, 0x2030_0000), &MEMORY, &mut bus, &mut m);
        assert_eq!((m.installed[1].entry_hi & !0xFF, m.installed[1].entry_lo[0] >> 6), (0x2020_0000, (MEMORY.ram_host + 0x0020_0000) >> 12));
        // A pair never runs past the RAM: near its end (RAM of 1 MiB + 64
        // KiB) 16 KiB pages are the largest that fit.
        let odd = GuestMemory { ram_size: 0x0011_0000, ..MEMORY };
        v.handle_exit(exit(2, CODE, 0x0010_8000), &odd, &mut bus, &mut m);
        assert_eq!((m.installed[2].entry_hi & !0xFF, m.installed[2].page_mask), (0x0010_8000, 0x0000_6000));
        // The top of a 12 KiB RAM: 4 KiB pages, the odd page past it invalid.
        let small = GuestMemory { ram_size: 0x3000, ..MEMORY };
        v.handle_exit(exit(2, CODE, 0x0000_2010), &small, &mut bus, &mut m);
        assert_eq!(m.installed[3].page_mask, 0);
        assert_eq!(m.installed[3].entry_lo[1], 0);
        assert_ne!(m.installed[3].entry_lo[0], 0);
    }

    /// A kvm-guest kernel's context switch (an ASID change) keeps its
    /// KSEG0 shadows and drops those of user space and KSEG2.
    #[test]
    fn kvm_guest_asid_change_keeps_the_kernels_unmapped_shadows() {
        let (mut m, mut bus) = (Machine::default(), bus());
        let mut v = Vcpu::new(1, &emulator::addrmap::KVM_GUEST, 0x4000_0000 + CODE, 0);
        v.cpu.cp0.status = 0;
        m.code(CODE, &[0x4088_5000]); // mtc0 t0, EntryHi
        v.cpu.gpr[8] = 0x17;
        v.handle_exit(exit(11, 0x4000_0000 + CODE, 0), &MEMORY, &mut bus, &mut m);
        let [kernel, user] = v.asids;
        assert_eq!(m.flushed, [[user, user]]);
        assert_eq!(m.ranges, [(0, 0x4000_0000), (0x6000_0000, 0x8000_0000)]);
        assert_eq!(m.range_asids, [[kernel, kernel], [kernel, kernel]]);
    }

    /// On the kvm-guest map the kernel's segments (0x40000000 up) are an
    /// address error from user mode, and no shadow is ever installed for
    /// them under the user view's host ASID.
    #[test]
    fn kvm_guest_user_mode_never_reaches_the_kernel() {
        let (mut m, mut bus) = (Machine::default(), bus());
        let mut v = Vcpu::new(1, &emulator::addrmap::KVM_GUEST, 0x4000_0000 + CODE, 0);
        v.cpu.cp0.status = 0;
        let kernel_asid = v.host_asid();
        v.handle_exit(exit(2, 0x4000_0000 + CODE, 0x4000_1000), &MEMORY, &mut bus, &mut m);
        assert_eq!(m.installed.len(), 1, "the kernel's unmapped segment is shadowed in its view");
        assert_eq!(m.installed[0].entry_hi & 0xFF, u32::from(kernel_asid));
        for va in [0x4000_1000, 0x5FFF_F000, 0x6000_0000, 0x7FFF_0000] {
            v.cpu.cp0.status = 0x10;
            v.cpu.pc = 0x0040_0000;
            assert_ne!(v.host_asid(), kernel_asid);
            // The host TLB misses under the user view's ASID: a TLB exit.
            v.handle_exit(exit(2, 0x0040_0000, va), &MEMORY, &mut bus, &mut m);
            assert_eq!((v.cpu.cp0.cause_exccode(), v.cpu.cp0.badvaddr), (4, va), "{va:#x}");
            assert_eq!(m.installed.len(), 1, "{va:#x}: nothing installed for user mode");
        }
    }

    #[test]
    fn user_mode_sees_the_guest_tlb_and_never_the_kernel_view() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.status = 0x10; // user mode
        v.cpu.cp0.ebase = 0x0010_0000;
        v.handle_exit(exit(2, 0x0040_0000, 0x0040_0000), &MEMORY, &mut bus, &mut m);
        assert!(m.installed.is_empty());
        assert_eq!(v.cpu.pc, 0x0010_0000, "TLB refill vector");
        assert_eq!(v.cpu.cp0.badvaddr, 0x0040_0000);
        assert_eq!(v.counters.get(ExitReason::GuestTlbFault), 1);
        // A kernel address from user mode is an address error, as natively.
        let mut v = vcpu();
        v.cpu.cp0.status = 0x10;
        v.handle_exit(exit(4, 0x0040_0000, 0x8000_0000), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.cause_exccode(), 4);
        assert_eq!(v.cpu.cp0.badvaddr, 0x8000_0000);
    }

    /// Whatever a guest writes into its TLB, a shadow only ever points into
    /// its own RAM or ROM; anything else is a guest exception (both maps).
    #[test]
    fn hostile_tlb_entries_never_reach_other_memory() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed
        };
        for round in 0..3000 {
            let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu_for(round));
            v.cpu.cp0.status = if round % 2 == 0 { 0x10 } else { 0 };
            v.cpu.cp0.entryhi = next() & 0xFF;
            for i in 0..emulator::TLB_ENTRIES {
                let regs = emulator::TlbRegs {
                    entry_hi: next() & 0x7FFF_E0FF,
                    entry_lo0: next() & 0x03FF_FFFF,
                    entry_lo1: next() & 0x03FF_FFFF,
                    page_mask: [0, 0x6000, 0x1E000, 0x1FFE000][(next() % 4) as usize],
                };
                v.cpu.tlb.write(i as u32, emulator::TlbEntry::from_regs(regs));
            }
            let va = next() & 0x7FFF_FFFC;
            let code = [1, 2, 3][(next() % 3) as usize];
            m.code(CODE, &[0x8D09_0000]); // lw t1, 0(t0)
            let _ = v.handle_exit(exit(code, CODE, va), &MEMORY, &mut bus, &mut m);
            for s in &m.installed {
                for lo in s.entry_lo {
                    if lo & 2 != 0 {
                        let (pa, size) = (u64::from((lo >> 6) << 12), page_bytes(s.page_mask));
                        assert!(MEMORY.ranges().iter().any(|&(a, b)| pa >= u64::from(a) && pa + size <= u64::from(b)), "{pa:#x}+{size:#x}");
                    }
                }
                assert!(s.range().1 <= 0x8000_0000);
            }
        }
    }

    #[test]
    fn uart_store_and_load_through_kseg1() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[0xA109_0000, 0x8D09_0000]); // sb t1, 0(t0) ; lw t1, 0(t0)
        v.cpu.gpr[8] = 0x3800_03F8 + 7; // scratch register, via guest KSEG1
        v.cpu.gpr[9] = 0x5A;
        assert_eq!(v.handle_exit(exit(3, CODE, 0x3800_03FF), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!(v.cpu.pc, CODE + 4);
        assert_eq!(bus.read(GuestPhys(0x1800_03FF), crate::devices::AccessSize::Byte), Ok(0x5A));
        // A misaligned word load from the device is the guest's AdEL.
        v.cpu.gpr[9] = 0;
        v.handle_exit(exit(2, CODE + 4, 0x3800_03FF), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.cause_exccode(), 4);
        assert_eq!(v.counters.get(ExitReason::Mmio), 2);
    }

    /// The kvm-guest map's native KSEG0/KSEG1 (which a CONFIG_KVM_GUEST
    /// kernel still uses for its boot arguments, exception handlers and
    /// devices): every access from guest kernel mode is an address error
    /// exit the VCPU emulates against RAM or devices; from user mode it is
    /// the guest's address error.
    #[test]
    fn kvm_guest_native_kseg0_and_kseg1_are_emulated() {
        let (mut m, mut bus) = (Machine::default(), bus());
        let mut v = Vcpu::new(1, &emulator::addrmap::KVM_GUEST, 0x4000_0000 + CODE, 0);
        v.cpu.cp0.status = 0;
        let pc = 0x4000_0000 + CODE;
        // lw t1, 0(t0) ; sb t2, 1(t0) ; sb t2, 0(t3)
        m.code(CODE, &[0x8D09_0000, 0xA10A_0001, 0xA16A_0000]);
        m.code(0x2000, &[0x4000_2020]);
        v.cpu.gpr[8] = 0x8000_2000;
        v.cpu.gpr[10] = 0x5A;
        v.cpu.gpr[11] = 0xB800_03F8 + 7;
        assert_eq!(v.handle_exit(exit(4, pc, 0x8000_2000), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!((v.cpu.gpr[9], v.cpu.pc), (0x4000_2020, pc + 4));
        v.handle_exit(exit(5, pc + 4, 0x8000_2001), &MEMORY, &mut bus, &mut m);
        assert_eq!(m.words[&(MEMORY.ram_host + 0x2000)], 0x4000_5A20, "a byte store merges into RAM");
        v.handle_exit(exit(5, pc + 8, 0xB800_03FF), &MEMORY, &mut bus, &mut m);
        assert_eq!(bus.read(GuestPhys(0x1800_03FF), crate::devices::AccessSize::Byte), Ok(0x5A), "KSEG1: the UART");
        assert_eq!(v.cpu.pc, pc + 12);
        assert_eq!(v.counters.get(ExitReason::SegmentAccess), 2);
        assert_eq!(v.counters.get(ExitReason::Mmio), 1, "the UART through KSEG1 is MMIO");
        assert!(m.installed.is_empty(), "nothing above 2 GiB is shadowed");
        // From guest user mode: its address error, BadVAddr the address.
        v.cpu.cp0.status = 0x10;
        v.cpu.pc = 0x0040_0000;
        m.code(0x3000, &[0x8D09_0000]);
        v.cpu.tlb.write(0, emulator::TlbEntry::from_regs(emulator::TlbRegs {
            entry_hi: 0x0040_0000,
            entry_lo0: ((0x3000 >> 12) << 6) | 0x6,
            entry_lo1: 0,
            page_mask: 0,
        }));
        v.handle_exit(exit(4, 0x0040_0000, 0x8000_2000), &MEMORY, &mut bus, &mut m);
        assert_eq!((v.cpu.cp0.cause_exccode(), v.cpu.cp0.badvaddr), (4, 0x8000_2000));
        assert_eq!(v.cpu.pc, 0x4000_0180, "the general vector at EBase 0x40000000");
        assert_eq!(v.counters.get(ExitReason::AddressError), 1);
    }

    /// The lean MMIO exit does exactly what `handle_exit` does where it
    /// takes the exit, and nothing at all where it leaves it: plain loads
    /// and stores of every width to the UART and the reset device, next to
    /// what it must leave (`ll`, `sc`, `lwl`, an FPU load, a misaligned
    /// address, a delay slot, RAM, the board's windows and no device).
    #[test]
    fn the_lean_mmio_exit_is_the_full_exits_result() {
        const UART: u32 = 0x3800_03F8; // guest KSEG1 of the UART
        let cases: &[(&str, u32, u32, u32, bool, bool)] = &[
            // (what, word, t0, exit code, in a slot, taken lean)
            ("lbu t1, 5(t0)", 0x9109_0005, UART, 2, false, true),
            ("lb t1, 5(t0)", 0x8109_0005, UART, 2, false, true),
            ("lhu t1, 4(t0)", 0x9509_0004, UART, 2, false, true),
            ("lh t1, 4(t0)", 0x8509_0004, UART, 2, false, true),
            ("lw t1, 4(t0)", 0x8D09_0004, UART, 2, false, true),
            ("lbu t1, 0(t0)", 0x9109_0000, UART, 2, false, true),
            ("sb t1, 0(t0)", 0xA109_0000, UART, 3, false, true),
            ("sh t1, 4(t0)", 0xA509_0004, UART, 3, false, true),
            ("sw t1, 0(t0): reset", 0xAD09_0000, 0x3F00_0500, 3, false, true),
            ("ll t1, 4(t0)", 0xC109_0004, UART, 2, false, false),
            ("sc t1, 4(t0)", 0xE109_0004, UART, 3, false, false),
            ("lwl t1, 3(t0)", 0x8909_0003, UART, 2, false, false),
            ("lwc1 $f9, 4(t0)", 0xC509_0004, UART, 2, false, false),
            ("lw t1, 1(t0): misaligned", 0x8D09_0001, UART, 2, false, false),
            ("lbu t1, 5(t0) in a slot", 0x9109_0005, UART, 2, true, false),
            ("lbu t1, 0(t0): RAM", 0x9109_0000, 0x0000_4000, 2, false, false),
            ("lbu t1, 0(t0): the PIT", 0x9109_0000, 0x3800_0040, 2, false, false),
            ("lbu t1, 0(t0): nothing", 0x9109_0000, 0x3000_0000, 2, false, false),
        ];
        for &(what, word, base, code, slot, lean) in cases {
            let mut m = Machine::default();
            let mut bus = bus();
            if what.ends_with("the PIT") {
                bus.set_board(crate::devices::malta::MaltaBoard::new(64 << 20, 0));
            }
            let mut v = vcpu();
            m.code(CODE, &[0x1000_0010, word]); // b +0x44 ; the access
            let epc = if slot { CODE } else { CODE + 4 };
            v.cpu.pc = epc;
            v.cpu.gpr[8] = base;
            v.cpu.gpr[9] = 0x42;
            let offset = (word & 0xFFFF) as u16 as i16 as i32 as u32;
            let e = Exit { cause: u32::from(slot) << 31 | code << 2, epc, badvaddr: base.wrapping_add(offset), debug: false, lladdr: 0 };
            let (mut full_m, mut full_bus, mut full_v) = (Machine { words: m.words.clone(), ..Machine::default() }, bus.clone(), v.clone());
            let before = format!("{v:?} {bus:?}");
            let taken = v.device_exit(&e, &MEMORY, &mut bus, &mut m);
            assert_eq!(taken.is_some(), lean, "{what}: taken lean");
            match taken {
                Some(action) => {
                    let full = full_v.handle_exit(e, &MEMORY, &mut full_bus, &mut full_m);
                    assert_eq!(action, full, "{what}");
                    assert_eq!(v.decoded.map(|(w, _)| w), Some(word), "{what}: the word's decoding kept");
                    // Again, from the decoding kept, then the full exit again.
                    (v.cpu.pc, full_v.cpu.pc) = (epc, epc);
                    let again = v.device_exit(&e, &MEMORY, &mut bus, &mut m);
                    assert_eq!(again, Some(full_v.handle_exit(e, &MEMORY, &mut full_bus, &mut full_m)), "{what}: again");
                    v.decoded = None; // the lean exit's own cache
                    assert_eq!(format!("{v:?}"), format!("{full_v:?}"), "{what}: the VCPU");
                    assert_eq!(format!("{bus:?}"), format!("{full_bus:?}"), "{what}: the devices");
                }
                None => assert_eq!(format!("{v:?} {bus:?}"), before, "{what}: left as it was"),
            }
        }
    }

    #[test]
    fn mmio_in_a_delay_slot_follows_the_branch() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        // jal 0x2000 ; sw t1, 0(t0) (slot: the software reset)
        m.code(CODE, &[0x0C00_0800, 0xAD09_0000]);
        v.cpu.gpr[8] = 0x3F00_0500;
        v.cpu.gpr[9] = 0x42;
        let e = Exit { cause: (1 << 31) | (3 << 2), epc: CODE, badvaddr: 0x3F00_0500, debug: false, lladdr: 0 };
        assert_eq!(v.handle_exit(e, &MEMORY, &mut bus, &mut m), Action::PowerOff);
        assert_eq!(v.cpu.pc, 0x2000);
        assert_eq!(v.cpu.gpr[31], CODE + 8);
    }

    #[test]
    fn unbacked_guest_physical_is_a_bus_error() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        m.code(CODE, &[0x8D09_0000]);
        v.handle_exit(exit(2, CODE, 0x1000_0000), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.cp0.cause_exccode(), 7);
        assert!(m.installed.is_empty());
    }

    #[test]
    fn sdbbp_enters_the_guests_debug_mode_and_deret_returns() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.desave = 0x1234_5678;
        let status = v.cpu.cp0.status;
        // The host's DEPC is the branch whose delay slot held the SDBBP.
        let e = Exit { cause: 0, epc: CODE, badvaddr: 0, debug: true, lladdr: 0 };
        assert_eq!(v.handle_exit(e, &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!(v.counters.get(ExitReason::GuestException), 1);
        assert!(v.cpu.debug_mode && v.cpu.kernel_mode());
        assert_eq!((v.cpu.pc, v.cpu.cp0.depc, v.cpu.cp0.status), (0x3FC0_0480, CODE, status));
        assert_eq!((v.cpu.cp0.debug_dbp(), v.cpu.cp0.debug_dexccode()), (1, 9));
        // Its handler in its ROM: mfc0 k0, DESAVE (the guest's own), deret;
        // both trap, so one exit emulates both.
        m.words.insert(0x0200_0480, 0x401A_F800);
        m.words.insert(0x0200_0484, 0x4200_001F);
        v.handle_exit(exit(11, 0x3FC0_0480, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!(v.cpu.gpr[26], 0x1234_5678);
        assert!(!v.cpu.debug_mode);
        assert_eq!(v.cpu.pc, CODE);
        assert_eq!((v.counters.get(ExitReason::Privileged), v.emulated), (1, 2));
        // DERET outside debug mode is RI.
        m.words.insert(0x0100_0000 + CODE, 0x4200_001F);
        v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!((v.cpu.cp0.cause_exccode(), v.cpu.pc), (10, 0x180));
    }

    #[test]
    fn a_run_of_privileged_instructions_is_emulated_in_one_exit() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.status = 0x2; // EXL: the end of the guest's refill handler
        v.cpu.cp0.epc = 0x4000_2000; // where the guest returns to
        v.cpu.gpr[26] = 0x0001_019f; // k0
        v.cpu.gpr[27] = 0x0001_01df; // k1
        m.code(
            CODE,
            &[
                0x409a_1000, // mtc0  k0, EntryLo0
                0x409b_1800, // mtc0  k1, EntryLo1
                0x0000_00c0, // ehb
                0x4200_0006, // tlbwr
                0x4200_0018, // eret
            ],
        );
        assert_eq!(v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!((v.cpu.cp0.entrylo0, v.cpu.cp0.entrylo1), (0x0001_019f, 0x0001_01df));
        // eret: back at EPC in the guest's code (not memory here: left to the guest).
        assert_eq!((v.cpu.pc, v.cpu.cp0.status_exl()), (0x4000_2000, 0));
        assert_eq!((v.counters.get(ExitReason::Privileged), v.emulated), (1, 5));
        // The TLB write dropped the shadows of the entry it replaced.
        assert!(!m.ranges.is_empty());
        // An ordinary instruction ends the run: the guest executes it.
        m.code(CODE + 0x100, &[0x401a_6000, 0x275a_0001, 0x409a_6000]); // mfc0 k0, Status; addiu; mtc0
        v.cpu.pc = CODE + 0x100;
        v.cpu.cp0.status = 0x2;
        v.handle_exit(exit(11, CODE + 0x100, 0), &MEMORY, &mut bus, &mut m);
        assert_eq!((v.cpu.pc, v.emulated), (CODE + 0x104, 6));
    }

    #[test]
    fn an_exception_vector_that_is_not_memory_stops_the_guest() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.ebase = 0x1000_0000; // guest-physical 0x10000000: nothing there
        // A jump to unbacked memory: an instruction bus error, delivered.
        assert_eq!(v.handle_exit(exit(2, 0x0F00_0000, 0x0F00_0000), &MEMORY, &mut bus, &mut m), Action::Resume);
        assert_eq!(v.cpu.pc, 0x1000_0180);
        assert_eq!(v.cpu.cp0.cause_exccode(), 6);
        // Its vector cannot be fetched either: the guest is stopped.
        let action = v.handle_exit(exit(2, 0x1000_0180, 0x1000_0180), &MEMORY, &mut bus, &mut m);
        assert_eq!(action, Action::Stop("fatal: instruction bus error at its own exception vector"));
        assert_eq!(v.counters.get(ExitReason::BusError), 2);
        assert!(m.installed.is_empty());
    }

    #[test]
    fn timer_interrupt_gating_and_wait() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.compare = 1000;
        v.cpu.cp0.count = 0;
        assert_eq!(v.ticks_to_compare(), 1000);
        // WAIT with the timer enabled but not yet due: the VCPU idles.
        m.code(CODE, &[0x4200_0020]);
        v.cpu.cp0.status = 0x8001; // IM7, IE
        v.handle_exit(exit(11, CODE, 0), &MEMORY, &mut bus, &mut m);
        assert!(v.cpu.waiting);
        assert!(!v.prepare_entry(&MEMORY, &mut Machine::default()));
        v.sync_timer(999);
        assert!(!v.prepare_entry(&MEMORY, &mut Machine::default()));
        v.sync_timer(1001);
        assert_eq!(v.cpu.cp0.cause_ti(), 1);
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!(v.cpu.cp0.epc, CODE + 4, "EPC = WAIT + 4");
        assert_eq!(v.cpu.cp0.cause_exccode(), 0);
        // EXL blocks it; IV moves the vector.
        let mut v = vcpu();
        v.cpu.cp0.status = 0x8003;
        v.sync_timer(0);
        v.cpu.cp0.compare = 10;
        v.sync_timer(20);
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!(v.cpu.pc, CODE, "not taken while EXL");
        v.cpu.cp0.status = 0x8001;
        v.cpu.cp0.cause |= 1 << 23;
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!(v.cpu.pc, 0x200);
        // A device line drives IP2.
        let mut v = vcpu();
        v.cpu.cp0.status = 0x0401;
        v.set_device_lines(1);
        assert_eq!(v.cpu.cp0.cause & 0xFC00, 0x0400);
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!(v.cpu.pc, 0x180);
        // Lowering the line clears IP2; the timer's IP7 stays with TI.
        v.cpu.cp0.cause |= 1 << 30;
        v.set_device_lines(0);
        assert_eq!(v.cpu.cp0.cause & 0xFC00, 0x8000);
    }

    #[test]
    fn interrupt_after_an_exit_in_a_delay_slot_has_bd() {
        let (mut m, mut bus, mut v) = (Machine::default(), bus(), vcpu());
        v.cpu.cp0.status = 0x0101; // IM0, IE
        let e = Exit { cause: 1 << 31, epc: 0x3000, badvaddr: 0, debug: false, lladdr: 0 };
        v.handle_exit(e, &MEMORY, &mut bus, &mut m);
        v.cpu.cp0.cause |= 1 << 8;
        assert!(v.prepare_entry(&MEMORY, &mut Machine::default()));
        assert_eq!(v.cpu.cp0.epc, 0x3000);
        assert_eq!(v.cpu.cp0.cause_bd(), 1);
    }
}
