//! The TLB fuzz: a seeded differential test, the same binary natively and
//! under the hypervisor (issue #14).
//!
//! The program generates blocks of random operations from its seed
//! ([`gen`]): TLBWI at random entries, TLBWR, TLBP and TLBR, EntryHi ASID
//! changes, and loads and stores through the mappings in kernel mode and
//! in user mode. It records every exception instead of stopping and folds
//! everything observable into a running hash: the values loaded, each
//! exception (vector offset, ExcCode and BD, BadVAddr, EntryHi, Context,
//! EPC against the access instruction), the Index TLBP returns, the
//! entries TLBR reads, and after each block a checksum of the data area.
//! Nothing folded depends on the address map, so the two runs must print
//! the same lines:
//!
//! ```text
//! fuzz: seed 0x1405, 4000 blocks, flags 0x0
//! block 100 hash 1a2b3c4d          (every `checkpoint` blocks)
//! ...
//! fuzz: 24801 ops: ...             (operation and exception counts)
//! fuzz: exceptions: ...
//! fuzz: 4000 blocks, hash 5e6f7a8b
//! ```
//!
//! For blocks `detail_from..detail_to` it also prints every operation and
//! its result (`b123 u lw 40021234 -> ...`) and the block's hash
//! (`b123 hash ... sum ...`), so a difference can be narrowed to one
//! operation. The parameters are [`FUZZ_PARAMS`], which xtask patches in
//! the ELF (found by its magic; `cargo xtask fuzz`).
//!
//! The TLB entries map only the data area ([`gen::DATA_BASE`]) and, in
//! entry 0 (wired), the user-code page read-only; the program runs in
//! (guest) KSEG0, which no TLB entry can touch.

mod gen;
mod rt;

use core::fmt::Write;
use gen::{Entry, Gen, Op, DATA_BASE, DATA_SIZE, LO_C_CACHED, LO_G, LO_V, TLB_ENTRIES, USER_VA};
use guest_rt::{mtc0, Uart};

/// What xtask may patch in the image: it finds `magic` and rewrites the
/// words after it.
#[repr(C)]
pub struct Params {
    pub magic: [u8; 8],
    pub seed: u32,
    pub blocks: u32,
    /// Blocks `detail_from..detail_to` print every operation.
    pub detail_from: u32,
    pub detail_to: u32,
    /// A `block N hash H` line every `checkpoint` blocks.
    pub checkpoint: u32,
    /// [`TLBR_AFTER_TLBWR`].
    pub flags: u32,
}

/// Flag: after every TLBWR also TLBR. QEMU keeps the entry a TLBWR
/// replaced as a hidden extra entry, which still translates (a 24K has no
/// such entry: the access takes a refill) until the next TLBWI that
/// changes an entry, TLBR, or TLBP miss that matches it; the TLBR drops
/// it, so the native run shows what the hardware would.
pub const TLBR_AFTER_TLBWR: u32 = 1;

/// The defaults: the seed and block count of the QEMU test.
#[no_mangle]
#[used]
pub static FUZZ_PARAMS: Params =
    Params { magic: *b"FUZZPRM1", seed: 0x1405, blocks: 4000, detail_from: 0, detail_to: 0, checkpoint: 100, flags: 0 };

/// A running hash of 32-bit words: each step is a bijection of the state,
/// so two runs whose words differ in exactly one place always end with
/// different hashes.
struct Hash(u32);

impl Hash {
    fn add(&mut self, word: u32) {
        self.0 = (self.0 ^ word).wrapping_mul(0x9E37_79B1).rotate_left(13);
    }
}

/// Counts for the closing lines (also compared).
#[derive(Default)]
struct Stats {
    ops: u32,
    user: u32,
    kernel: u32,
    /// Exceptions by ExcCode, and refills (vector offset 0x000) apart.
    codes: [u32; 32],
    refills: u32,
    user_refills: u32,
    probe_hits: u32,
}

struct Fuzz {
    console: Uart,
    hash: Hash,
    stats: Stats,
    /// The current ASID (EntryHi after every operation).
    asid: u32,
    flags: u32,
    block: u32,
    detail: bool,
}

/// The data area through (guest) KSEG0.
fn data_word(i: u32) -> *mut u32 {
    (crate::MAP.kseg0() + DATA_BASE + 4 * i) as *mut u32
}

fn fill_data(seed: u32) {
    for i in 0..DATA_SIZE / 4 {
        // SAFETY: the data area is RAM in both maps that only the fuzz uses.
        unsafe { core::ptr::write_volatile(data_word(i), i.wrapping_mul(0x9E37_79B9) ^ seed) };
    }
}

fn data_checksum() -> u32 {
    let mut sum = Hash(0);
    for i in 0..DATA_SIZE / 4 {
        // SAFETY: as in `fill_data`.
        sum.add(unsafe { core::ptr::read_volatile(data_word(i)) });
    }
    sum.0
}

/// The TLB the generator's model starts from: the user-code page in entry
/// 0 (wired), placeholders elsewhere; ASID 0.
fn reset_tlb() {
    mtc0!(6, 0, 0);
    for i in 1..TLB_ENTRIES {
        rt::tlb_write(i, Entry::placeholder(i), 0);
    }
    let lo = |pa: u32, flags: u32| ((pa >> 12) << 6) | flags;
    let user = Entry { hi: USER_VA, lo0: lo(rt::user_page_pa(), LO_C_CACHED | LO_V | LO_G), lo1: LO_G, mask: 0 };
    rt::tlb_write(0, user, 0);
    mtc0!(6, 0, 1);
    mtc0!(0, 0, 0);
    mtc0!(4, 0, 0);
}

impl Fuzz {
    fn run(&mut self, op: Op) {
        self.stats.ops += 1;
        let b = self.block;
        match op {
            Op::Write { index, entry: e } => {
                rt::tlb_write(index, e, self.asid);
                self.detail_line(format_args!(
                    "b{b} tlbwi {index} hi {:08x} lo0 {:08x} lo1 {:08x} pm {:08x}",
                    e.hi, e.lo0, e.lo1, e.mask
                ));
            }
            Op::WriteRandom { wired, entry: e } => {
                mtc0!(6, 0, wired);
                rt::tlb_write_random(e, self.asid);
                let index = rt::tlb_probe(e.hi, self.asid);
                let landed = (wired..TLB_ENTRIES).contains(&index);
                if landed && index != TLB_ENTRIES - 1 {
                    rt::tlb_write(TLB_ENTRIES - 1, e, self.asid);
                    rt::tlb_write(index, Entry::placeholder(index), self.asid);
                }
                if self.flags & TLBR_AFTER_TLBWR != 0 {
                    rt::tlb_read(TLB_ENTRIES - 1, self.asid);
                }
                mtc0!(6, 0, 1);
                mtc0!(0, 0, 0);
                self.hash.add(landed as u32);
                if landed {
                    self.detail_line(format_args!(
                        "b{b} tlbwr wired {wired} hi {:08x} lo0 {:08x} lo1 {:08x} pm {:08x} -> landed",
                        e.hi, e.lo0, e.lo1, e.mask
                    ));
                } else {
                    self.detail_line(format_args!(
                        "b{b} tlbwr wired {wired} hi {:08x} lo0 {:08x} lo1 {:08x} pm {:08x} -> LOST: Index {index:08x}",
                        e.hi, e.lo0, e.lo1, e.mask
                    ));
                }
            }
            Op::Probe { hi } => {
                let index = rt::tlb_probe(hi, self.asid);
                self.hash.add(index);
                self.stats.probe_hits += (index & 0x8000_0000 == 0) as u32;
                self.detail_line(format_args!("b{b} tlbp {hi:08x} -> Index {index:08x}"));
            }
            Op::Read { index } => {
                let e = rt::tlb_read(index, self.asid);
                for word in [e.hi, e.lo0, e.lo1, e.mask] {
                    self.hash.add(word);
                }
                self.detail_line(format_args!(
                    "b{b} tlbr {index} -> hi {:08x} lo0 {:08x} lo1 {:08x} pm {:08x}",
                    e.hi, e.lo0, e.lo1, e.mask
                ));
            }
            Op::SetAsid { asid } => {
                mtc0!(10, 0, asid);
                self.asid = asid;
                self.detail_line(format_args!("b{b} asid {asid:02x}"));
            }
            Op::Access { user, kind, va, value } => {
                let outcome = if user {
                    self.stats.user += 1;
                    rt::user_access(kind, va, value)
                } else {
                    self.stats.kernel += 1;
                    rt::kernel_access(kind, va, value)
                };
                let mode = if user { 'u' } else { 'k' };
                let stored = if kind.is_store() { value } else { 0 };
                self.hash.add(outcome.value);
                match outcome.trap {
                    None => self.detail_line(format_args!(
                        "b{b} {mode} {} {va:08x} {stored:08x} -> {:08x}",
                        kind.name(),
                        outcome.value
                    )),
                    Some(t) => {
                        let cause = t.cause & 0x8000_007C;
                        let epc = t.epc.wrapping_sub(outcome.at);
                        for word in [t.vector, cause, t.badvaddr, t.entryhi, t.context, epc] {
                            self.hash.add(word);
                        }
                        self.stats.codes[t.code() as usize] += 1;
                        if t.vector == 0 {
                            self.stats.refills += 1;
                            self.stats.user_refills += user as u32;
                        }
                        self.detail_line(format_args!(
                            "b{b} {mode} {} {va:08x} {stored:08x} -> exc {} vec {:03x} cause {cause:08x} bad {:08x} hi {:08x} ctx {:08x} epc {}",
                            kind.name(),
                            t.code(),
                            t.vector,
                            t.badvaddr,
                            t.entryhi,
                            t.context,
                            if epc == 0 { "ok" } else { "WRONG" }
                        ));
                    }
                }
            }
        }
    }

    fn detail_line(&mut self, line: core::fmt::Arguments<'_>) {
        if self.detail {
            let _ = writeln!(self.console, "{line}");
        }
    }
}

/// The binary's `main` (given to `guest_rt::entry!`).
pub fn main() -> ! {
    // SAFETY: a plain read of a static; volatile so that the values xtask
    // patched in the image are read, not the ones the compiler saw.
    let params = unsafe { core::ptr::read_volatile(&FUZZ_PARAMS) };
    let mut fuzz = Fuzz {
        console: Uart::init(crate::MAP),
        hash: Hash(params.seed),
        stats: Stats::default(),
        asid: 0,
        flags: params.flags,
        block: 0,
        detail: false,
    };
    let _ =
        writeln!(fuzz.console, "\nfuzz: seed {:#x}, {} blocks, flags {:#x}", params.seed, params.blocks, params.flags);
    reset_tlb();
    mtc0!(10, 0, 0);
    fill_data(params.seed);
    let mut gen = Gen::new(params.seed);
    let checkpoint = params.checkpoint.max(1);
    for block in 0..params.blocks {
        fuzz.block = block;
        fuzz.detail = (params.detail_from..params.detail_to).contains(&block);
        gen.block(&mut |op| fuzz.run(op));
        let sum = data_checksum();
        fuzz.hash.add(sum);
        let hash = fuzz.hash.0;
        fuzz.detail_line(format_args!("b{block} hash {hash:08x} sum {sum:08x}"));
        if (block + 1) % checkpoint == 0 {
            let _ = writeln!(fuzz.console, "block {} hash {hash:08x}", block + 1);
        }
    }
    let s = &fuzz.stats;
    let c = &s.codes;
    // Lines stay under 120 characters, where the hypervisor's virtual
    // serial port breaks them.
    let _ = writeln!(
        fuzz.console,
        "fuzz: {} ops: {} user and {} kernel accesses, {} probe hits",
        s.ops, s.user, s.kernel, s.probe_hits
    );
    let _ = writeln!(
        fuzz.console,
        "fuzz: exceptions: {} refills ({} in user mode), TLBL {}, TLBS {}, Mod {}, AdEL {}, AdES {}",
        s.refills, s.user_refills, c[2], c[3], c[1], c[4], c[5]
    );
    let _ = writeln!(fuzz.console, "fuzz: {} blocks, hash {:08x}", params.blocks, fuzz.hash.0);
    guest_rt::power_off(crate::MAP)
}
