//! The vector generator: every input is derived from [`SEED`] by a fixed
//! sequence of draws, so the same code always yields the same vectors.
use crate::enc::{self, *};
use crate::input::{Input, PAD_KERNEL, PAD_USER, TEST_OFFSET};

pub const SEED: u64 = 0x2024_0C0F_FEE5_0001;

/// splitmix64: small, fast, and fully specified here.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

/// GPRs a test may use (k0/k1 belong to the recorder).
const TEST_REGS: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 28, 29, 30, 31];

/// CP0 registers that exist on QEMU's 24Kf (besides Random and the
/// PW registers, which are special): these get every edge value.
fn implemented(rd: u8, sel: u8) -> bool {
    matches!(
        (rd, sel),
        (0, 0) | (2, 0) | (3, 0) | (4, 0) | (5, 0) | (5, 1) | (6, 0..=5) | (7, 0) | (8, 0) | (9, 0) | (10, 0) | (11, 0)
            | (12, 0..=3) | (13, 0) | (14, 0) | (15, 0..=1) | (16, _) | (17, 0) | (18, _) | (19, _) | (21, 0) | (22, _)
            | (23, 0) | (24, 0) | (25, 0) | (26, 0) | (27, 0) | (28, _) | (29, _) | (30, 0) | (31, 0)
    )
}

fn is_pw(rd: u8, sel: u8) -> bool {
    matches!((rd, sel), (5, 5) | (5, 6) | (5, 7) | (6, 6))
}

/// The edge values: 0, all ones, each single bit, and two random values.
fn edge_values(rng: &mut Rng) -> Vec<(String, u32)> {
    let mut v = vec![("zero".to_string(), 0), ("ones".to_string(), !0)];
    v.extend((0..32).map(|b| (format!("bit{b}"), 1u32 << b)));
    v.push(("rand0".into(), rng.u32()));
    v.push(("rand1".into(), rng.u32()));
    v
}


/// Status would leave kernel mode: KSU != 0 with EXL = ERL = 0.
fn user_mode(status: u32) -> bool {
    status & 0x18 != 0 && status & 0x6 == 0
}

/// A value the recorder can write in its own setup (it must stay in kernel
/// mode and out of debug mode), or None if the register is not written.
fn setup_value(rd: u8, sel: u8, v: u32) -> Option<u32> {
    match (rd, sel) {
        (1, 0) => None,
        _ if is_pw(rd, sel) => None,
        (12, 0) if user_mode(v) => Some(v | 0x2),
        (23, 0) => Some(v & !(1 << 30)),
        _ => Some(v),
    }
}

fn reg_name(rd: u8, sel: u8) -> String {
    format!("{}.{}", rd, sel)
}

/// `mfc0` of every (rd, sel) after the setup wrote an edge value to it.
fn cp0_mfc0(rng: &mut Rng, out: &mut Vec<Input>) {
    for rd in 0..32u8 {
        for sel in 0..8u8 {
            if (rd, sel) == (1, 0) {
                continue; // the `random` category
            }
            let values = if implemented(rd, sel) { edge_values(rng) } else { edge_values(rng).into_iter().take(2).collect() };
            for (vname, v) in values {
                let rt = rng.pick(TEST_REGS);
                let mut input = Input::new("cp0_mfc0", format!("mfc0.{}.{vname}", reg_name(rd, sel)), mfc0(rt, rd.into(), sel.into()));
                if let Some(v) = setup_value(rd, sel, v) {
                    input = input.set_cp0(rd, sel, v);
                } else if v != 0 {
                    continue;
                }
                out.push(input);
            }
        }
    }
}

/// `mtc0` of every edge value to every (rd, sel).
fn cp0_mtc0(rng: &mut Rng, out: &mut Vec<Input>) {
    for rd in 0..32u8 {
        for sel in 0..8u8 {
            let values = if implemented(rd, sel) { edge_values(rng) } else { edge_values(rng).into_iter().take(2).collect() };
            for (vname, v) in values {
                let rt = rng.pick(TEST_REGS);
                let input = Input::new("cp0_mtc0", format!("mtc0.{}.{vname}", reg_name(rd, sel)), mtc0(rt, rd.into(), sel.into()))
                    .set_gpr(rt as usize, v);
                out.push(input);
            }
        }
    }
}

/// PageMask with every run of ones from bit 13 (QEMU keeps only the
/// page sizes the 24Kf has, an even number of ones).
fn pagemask_runs(rng: &mut Rng, out: &mut Vec<Input>) {
    for n in 1..=16u32 {
        let rt = rng.pick(TEST_REGS);
        let value = ((1u32 << n) - 1) << 13;
        out.push(Input::new("cp0_mtc0", format!("mtc0.5.0.run{n}"), mtc0(rt, 5, 0)).set_gpr(rt as usize, value));
    }
}

/// `mfc0 Random` for every Wired value, and `mfc0 $0, Random` (no draw).
fn random(rng: &mut Rng, out: &mut Vec<Input>) {
    for wired in 0..16u32 {
        for n in 0..7 {
            let rt = if n == 6 { 0 } else { rng.pick(TEST_REGS) };
            out.push(Input::new("random", format!("mfc0.random.wired{wired}.{n}"), mfc0(rt, 1, 0)).set_cp0(6, 0, wired));
        }
    }
}

const PAGEMASKS: &[u32] = &[
    0, 0x6000, 0x1_E000, 0x7_E000, 0x1F_E000, 0x7F_E000, 0x1FF_E000, 0x7FF_E000, 0x1FFF_E000,
    // Odd runs of ones and a non-contiguous mask: QEMU makes both 0.
    0x2000, 0xE000, 0x3_E000, 0x5000,
];

/// A random TLB entry: VPN2 aligned to its page size, random ASID, PFNs and
/// flags, G on both, one or neither half.
fn tlb_entry(rng: &mut Rng) -> [u32; 4] {
    let mask = rng.pick(&PAGEMASKS[..9]);
    let hi = (rng.u32() & !(mask | 0x1FFF)) | rng.below(256);
    let g = rng.below(4);
    let lo = |rng: &mut Rng, g: bool| (rng.u32() & 0x03FF_FFFE) | u32::from(g);
    let lo0 = lo(rng, g & 1 != 0);
    let lo1 = lo(rng, g & 2 != 0);
    [hi, lo0, lo1, mask]
}

/// Fills six random TLB entries (at random indices) with random entries.
fn with_random_tlb(mut input: Input, rng: &mut Rng) -> Input {
    for _ in 0..6 {
        let i = rng.below(16) as usize;
        input = input.set_tlb(i, tlb_entry(rng));
    }
    input
}

/// Writes EntryHi/EntryLo0/EntryLo1/PageMask in the setup.
fn with_entry_regs(input: Input, e: [u32; 4]) -> Input {
    input.set_cp0(10, 0, e[0]).set_cp0(2, 0, e[1]).set_cp0(3, 0, e[2]).set_cp0(5, 0, e[3])
}

fn tlb(rng: &mut Rng, out: &mut Vec<Input>) {
    for n in 0..300 {
        let mut e = tlb_entry(rng);
        e[3] = rng.pick(PAGEMASKS);
        if rng.chance(20) {
            e[0] |= 0x1F00; // bits 12:8 are not writable
        }
        let index = rng.below(16);
        let input = with_entry_regs(Input::new("tlb", format!("tlbwi.{n}"), TLBWI), e).set_cp0(0, 0, index);
        out.push(with_random_tlb(input, rng));
    }
    for n in 0..250 {
        let mut e = tlb_entry(rng);
        e[3] = rng.pick(PAGEMASKS);
        let wired = if n < 32 { n % 16 } else { rng.below(16) };
        let input = with_entry_regs(Input::new("tlb", format!("tlbwr.wired{wired}.{n}"), TLBWR), e).set_cp0(6, 0, wired);
        out.push(with_random_tlb(input, rng));
    }
    for n in 0..150 {
        let input = Input::new("tlb", format!("tlbr.{n}"), TLBR).set_cp0(0, 0, rng.below(16));
        out.push(with_random_tlb(input, rng));
    }
    // TLBP: a hit on entry k (same ASID, or another ASID with G), a miss
    // on ASID, a hit inside a large page, duplicates (first match wins),
    // and plain misses.
    let kinds = ["hit", "global", "asid_miss", "in_page", "duplicate", "miss"];
    for n in 0..600 {
        let kind = kinds[n % kinds.len()];
        let mut input = with_random_tlb(Input::new("tlb", format!("tlbp.{kind}.{n}"), TLBP), rng);
        let k = rng.below(16) as usize;
        let mut e = input.tlb[k];
        let mask = e[3] | 0x1FFF;
        let asid = e[0] & 0xFF;
        let mut probe = e[0] & !mask & !0xFF;
        match kind {
            "hit" => {
                e[1] &= !1;
                probe |= asid;
            }
            "global" => {
                e[1] |= 1;
                e[2] |= 1;
                probe |= (asid + 1 + rng.below(255)) & 0xFF;
            }
            "asid_miss" => {
                e[1] &= !1;
                probe |= (asid + 1 + rng.below(255)) & 0xFF;
            }
            "in_page" => {
                probe |= (rng.u32() & mask & !0x1FFF & 0xFFFF_E000) | asid;
            }
            "duplicate" => {
                let k2 = rng.below(16) as usize;
                let mut e2 = tlb_entry(rng);
                e2[0] = e[0];
                e2[3] = e[3];
                input = input.set_tlb(k2, e2);
                probe |= asid;
            }
            _ => {
                probe = (rng.u32() & 0xFFFF_E000) | rng.below(256);
            }
        }
        input = input.set_tlb(k, e);
        input = input.set_cp0(10, 0, probe).set_cp0(0, 0, rng.below(16));
        out.push(input);
    }
}

/// A landing-pad address (never the test's own words at +0x800/+0x804).
fn pad_target(rng: &mut Rng, pad: u32) -> u32 {
    loop {
        let m = rng.below(512);
        if m != TEST_OFFSET / 8 {
            return pad + m * 8;
        }
    }
}

fn eret(rng: &mut Rng, out: &mut Vec<Input>) {
    // (EXL, ERL) in the setup; the target goes to EPC or ErrorEPC.
    for (exl, erl) in [(1, 0), (0, 1), (1, 1), (0, 0)] {
        for ksu in 0..3u32 {
            for user_target in [false, true] {
                for n in 0..12 {
                    let pad = if user_target { PAD_USER } else { PAD_KERNEL };
                    let target = pad_target(rng, pad);
                    let extra = rng.pick(&[0u32, 0x1000_0000, 0x0000_FF00, 0x0080_0000, 0x1000_FF00]);
                    let status = (ksu << 3) | (erl << 2) | (exl << 1) | extra;
                    let name = format!("eret.exl{exl}.erl{erl}.ksu{ksu}.{}{n}", if user_target { "user" } else { "kernel" });
                    let mut input = Input::new("eret", name, ERET)
                        .set_tlb(0, crate::input::user_pad_mapping())
                        .set_cp0(6, 0, 1)
                        .set_cp0(14, 0, if erl == 0 { target } else { rng.u32() & !3 })
                        .set_cp0(30, 0, if erl == 1 { target } else { rng.u32() & !3 })
                        .set_cp0(12, 0, status);
                    if exl == 0 && erl == 0 {
                        // No EXL/ERL: ERET goes to EPC anyway; kernel mode only.
                        if ksu != 0 {
                            continue;
                        }
                        input = input.set_cp0(14, 0, target);
                    }
                    out.push(input);
                }
            }
        }
    }
}

/// DERET in debug mode (the setup enters it by writing Debug.DM), to
/// kernel and user mode; and an exception in debug mode.
fn deret(rng: &mut Rng, out: &mut Vec<Input>) {
    for (mode, status) in [("kernel", 0u32), ("exl", 0x2), ("erl", 0x4), ("user_exl", 0x12), ("user", 0x10)] {
        for n in 0..3 {
            let target = pad_target(rng, PAD_KERNEL);
            let input = Input::new("eret", format!("deret.{mode}.{n}"), DERET)
                .set_cp0(24, 0, target)
                .set_cp0(23, 0, 1 << 30)
                .set_cp0(12, 0, status);
            out.push(input);
        }
    }
    for (name, word) in [("ri", RESERVED), ("mfc0", mfc0(5, 23, 0)), ("eret", ERET)] {
        let input = Input::new("eret", format!("debug_mode.{name}"), word)
            .set_cp0(23, 0, 1 << 30)
            .set_cp0(14, 0, pad_target(rng, PAD_KERNEL))
            .set_cp0(12, 0, 0x2);
        out.push(input);
    }
}

/// The privileged instructions in every mode that matters.
fn privileged(rng: &mut Rng, out: &mut Vec<Input>) {
    let ops: Vec<(&str, u32)> = vec![
        ("mfc0", mfc0(5, 12, 0)),
        ("mtc0", mtc0(6, 14, 0)),
        ("tlbr", TLBR),
        ("tlbwi", TLBWI),
        ("tlbwr", TLBWR),
        ("tlbp", TLBP),
        ("di", di(7)),
        ("ei", ei(8)),
        ("di0", di(0)),
        ("cache", cache(0x14, 9, 0x40)),
        ("wait", WAIT),
        ("deret", DERET),
        ("eret", ERET),
        ("rdpgpr", rdpgpr(10, 11)),
        ("wrpgpr", wrpgpr(12, 13)),
        ("reserved", RESERVED),
        ("mfc1", mfc1(14, 2)),
        ("mfc2", mfc2(15, 3)),
    ];
    // (name, ksu, extra Status bits); user/supervisor modes run from the
    // user-mapped pad through ERET.
    let modes: &[(&str, u32, u32)] = &[
        ("kernel", 0, 0),
        ("kernel_cu0", 0, 0x1000_0000),
        ("kernel_exl", 2, 0x2),
        ("kernel_erl", 2, 0x4),
        ("kernel_iv", 0, 0),
        ("kernel_bev", 0, 0x0040_0000),
        ("kernel_bev_exl", 0, 0x0040_0002),
        ("supervisor", 1, 0),
        ("supervisor_cu0", 1, 0x1000_0000),
        ("user", 2, 0),
        ("user_cu0", 2, 0x1000_0000),
        ("user_cu1", 2, 0x2000_0000),
    ];
    for &(mode, ksu, extra) in modes {
        let via_eret = ksu != 0 && extra & 0x6 == 0;
        for &(op, word) in &ops {
            let cu0 = extra & 0x1000_0000 != 0;
            let kernel = !via_eret;
            // WAIT that runs halts QEMU (no interrupt will come); ERET that
            // runs from user mode jumps back to itself.
            if (op == "wait" || op == "eret") && (kernel || cu0) {
                continue;
            }
            // With CU1 = 1 an FPU instruction is an ordinary one, which
            // the hypervisor runs natively: not the emulator's.
            if op == "mfc1" && extra & 0x2000_0000 != 0 {
                continue;
            }
            for n in 0..3 {
                let mut input = Input::new("privileged", format!("{op}.{mode}.{n}"), word);
                input = with_random_tlb(input, rng).set_cp0(0, 0, 5 + rng.below(11)).set_cp0(6, 0, rng.below(4));
                input = input.set_cp0(10, 0, tlb_entry(rng)[0]);
                if via_eret {
                    input = input.in_mode(ksu, extra).set_cp0(0, 0, 5 + rng.below(11));
                } else {
                    input = input.set_cp0(12, 0, (ksu << 3) | extra);
                }
                if mode == "kernel_iv" {
                    input = input.set_cp0(13, 0, 0x0880_0000);
                }
                out.push(input);
            }
        }
    }
    // The other coprocessors: COP1 (FPU, CU1 = 0) and COP2 (absent), every
    // opcode form, in kernel and in user mode.
    let coprocessor: &[(&str, u32)] = &[
        ("lwc1", 0xC4A3_0010),
        ("swc1", 0xE4A3_0010),
        ("ldc1", 0xD4A2_0010),
        ("sdc1", 0xF4A2_0010),
        ("cfc1", 0x4445_F800),
        ("ctc1", 0x44C5_F800),
        ("mtc1", 0x4485_1000),
        ("add.s", 0x4600_1080),
        ("lwxc1", 0x4CA6_0080),
        ("movf", 0x0080_3001),
        ("lwc2", 0xC8A3_0010),
        ("swc2", 0xE8A3_0010),
        ("ldc2", 0xD8A3_0010),
        ("sdc2", 0xF8A3_0010),
        ("mfc2", 0x4805_1800),
        ("mtc2", 0x4885_1800),
        ("cfc2", 0x4845_1800),
        ("ctc2", 0x48C5_1800),
        ("cop2", 0x4A12_3456),
    ];
    for &(op, word) in coprocessor {
        out.push(Input::new("privileged", format!("{op}.kernel"), word));
        out.push(Input::new("privileged", format!("{op}.user"), word).in_mode(2, 0));
    }
    // COP0 encoding corners: ignored bits, reserved rs and funct values.
    for n in 0..8u32 {
        let rt = rng.pick(TEST_REGS);
        out.push(Input::new("privileged", format!("mfc0.bits10_3.{n}"), mfc0(rt, 12, 0) | (rng.below(256) << 3)));
        out.push(
            Input::new("privileged", format!("mtc0.bits10_3.{n}"), mtc0(rt, 14, 0) | (rng.below(256) << 3)).set_gpr(rt as usize, rng.u32()),
        );
    }
    for funct in 0..64u32 {
        if funct == 0x18 || funct == 0x20 {
            continue; // ERET has its own category; WAIT halts
        }
        out.push(Input::new("privileged", format!("co.funct{funct:02x}"), 0x4200_0000 | funct));
        out.push(Input::new("privileged", format!("co.funct{funct:02x}.bits20_6"), 0x4200_0000 | funct | ((rng.u32() & 0x7FFF) << 6)));
        out.push(Input::new("privileged", format!("co.funct{funct:02x}.bits24_21"), 0x4200_0000 | funct | ((1 + rng.below(15)) << 21)));
    }
    out.push(Input::new("privileged", "eretnc", ERET | (1 << 6)));
    for low in [0x6000u32, 0x6020, 0x6001, 0x6021, 0x6040, 0x0000, 0x6800, 0x0020] {
        let rt = rng.pick(TEST_REGS);
        out.push(Input::new("privileged", format!("mfmc0.{low:04x}.r{rt}"), 0x4160_0000 | (rt << 16) | low).set_cp0(12, 0, 0xFF01));
    }
    for rs in [1u32, 2, 3, 5, 6, 7, 9, 13, 15] {
        for n in 0..3 {
            out.push(Input::new("privileged", format!("cop0.rs{rs}.{n}"), 0x4000_0000 | (rs << 21) | (rng.u32() & 0x001F_F807)));
        }
    }
    for n in 0..6 {
        let (rd, rt) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
        out.push(Input::new("privileged", format!("rdpgpr.{n}"), rdpgpr(rd, rt)));
        out.push(Input::new("privileged", format!("wrpgpr.{n}"), wrpgpr(rd, rt)));
    }
    for n in 0..12u32 {
        let op = rng.below(32);
        out.push(Input::new("privileged", format!("cache.op{op}.{n}"), cache(op, rng.pick(TEST_REGS), rng.u32() as u16)));
    }
    // RDHWR: in kernel mode, and in user mode with HWREna bits.
    for rd in [0u32, 1, 2, 3, 4, 29, 30] {
        for (mode, hwrena) in [("kernel", 0u32), ("user", 0), ("user_ena", 0xF)] {
            let rt = rng.pick(TEST_REGS);
            let mut input = Input::new("privileged", format!("rdhwr.{rd}.{mode}"), 0x7C00_003B | (rt << 16) | (rd << 11));
            input = input.set_cp0(7, 0, hwrena);
            if mode != "kernel" {
                input = input.in_mode(2, 0);
            }
            out.push(input);
        }
    }
}

/// The interesting operand values for branch conditions.
const COND_VALUES: &[u32] = &[0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x0001_0000];

fn branches(rng: &mut Rng, out: &mut Vec<Input>) {
    // Delay-slot words: trapping (RI, CpU for COP1 and COP2, RI from a PW
    // register) and not (mfc0, tlbp, nop).
    let slots: &[(&str, u32)] = &[
        ("ri", RESERVED),
        ("cpu1", mfc1(5, 3)),
        ("cpu2", mfc2(6, 1)),
        ("pw", mtc0(5, 5, 5)),
        ("mfc0", mfc0(7, 12, 0)),
        ("tlbp", TLBP),
        ("cache", cache(0x14, 0, 0)),
    ];
    for &(name, base, uses_rt, _likely, link) in enc::BRANCHES {
        for (ci, &a) in COND_VALUES.iter().enumerate() {
            for &(sname, slot) in slots {
                let rs = loop {
                    let r = rng.pick(TEST_REGS);
                    if !(link && r == 31) {
                        break r;
                    }
                };
                let rt = if uses_rt { rng.pick(TEST_REGS) } else { 0 };
                // Taken targets are pad pairs: offset = 8k + 4 bytes, so
                // the target is pad + 0x808 + 8k, within the page.
                let imm = loop {
                    let k = rng.below(511) as i32 - 257;
                    if k != 0 && k != -1 {
                        break (2 * k + 1) as u16;
                    }
                };
                let mut input = Input::new("branch", format!("{name}.c{ci}.{sname}"), branch(base, rs, rt, imm)).with_slot(slot);
                input = input.set_gpr(rs as usize, a);
                if uses_rt && rt != rs {
                    // Equal for half of the cases, else a different value.
                    let b = if rng.chance(50) { a } else { a ^ (1 << rng.below(32)) };
                    input = input.set_gpr(rt as usize, b);
                }
                out.push(input);
            }
        }
    }
    // The same register on both sides: beq always, bne never taken.
    for &(name, base, uses_rt, _, _) in enc::BRANCHES {
        if !uses_rt {
            continue;
        }
        for &(sname, slot) in slots {
            let rs = rng.pick(TEST_REGS);
            let imm = (2 * (1 + rng.below(200)) + 1) as u16;
            out.push(Input::new("branch", format!("{name}.same_reg.{sname}"), branch(base, rs, rs, imm)).with_slot(slot));
        }
    }
    for &(sname, slot) in slots {
        for n in 0..4 {
            let t = pad_target(rng, PAD_KERNEL);
            out.push(Input::new("branch", format!("j.{sname}.{n}"), j(t)).with_slot(slot));
            out.push(Input::new("branch", format!("jal.{sname}.{n}"), jal(t)).with_slot(slot));
            for hb in [false, true] {
                let h = if hb { ".hb" } else { "" };
                let rs = rng.pick(TEST_REGS);
                let t = pad_target(rng, PAD_KERNEL);
                out.push(Input::new("branch", format!("jr{h}.{sname}.{n}"), jr(rs, hb)).with_slot(slot).set_gpr(rs as usize, t));
                let rd = loop {
                    let r = rng.pick(&[31, 31, 0, 1, 2, 3, 9, 17, 25, 28, 30]);
                    if r != rs {
                        break r;
                    }
                };
                let t = pad_target(rng, PAD_KERNEL);
                out.push(Input::new("branch", format!("jalr{h}.rd{rd}.{sname}.{n}"), jalr(rd, rs, hb)).with_slot(slot).set_gpr(rs as usize, t));
            }
        }
    }
    // bc1f/bc1t(l) and bc2f/bc2t(l): Coprocessor Unusable at the branch
    // (CU1 = 0; COP2 does not exist).
    for cop in [1u32, 2] {
        for tf in 0..2 {
            for likely in 0..2 {
                for n in 0..3 {
                    let cc = rng.below(8);
                    out.push(Input::new("branch", format!("bc{cop}.tf{tf}.l{likely}.{n}"), bc(cop, cc, tf, likely, 5)).with_slot(mfc0(7, 12, 0)));
                }
            }
        }
    }
    // With CU1 = 1 they test FCSR's condition codes, which are all 0 (the
    // recorder never touches the FPU): bc1f taken, bc1t not.
    for tf in 0..2 {
        for likely in 0..2 {
            for (sname, slot) in [("mfc0", mfc0(7, 12, 0)), ("ri", RESERVED)] {
                let cc = rng.below(8);
                let imm = (2 * (1 + rng.below(200)) + 1) as u16;
                let input = Input::new("branch", format!("bc1.cu1.tf{tf}.l{likely}.{sname}"), bc(1, cc, tf, likely, imm))
                    .with_slot(slot)
                    .set_cp0(12, 0, 0x2000_0000);
                out.push(input);
            }
        }
    }
    // In user mode: the slot's COP0 access raises CpU with BD set.
    for &(name, base, uses_rt, _, link) in enc::BRANCHES {
        for n in 0..4 {
            let rs = loop {
                let r = rng.pick(TEST_REGS);
                if !(link && r == 31) {
                    break r;
                }
            };
            let k = 1 + rng.below(200) as i32;
            let imm = (2 * if rng.chance(50) { k } else { -k - 1 } + 1) as u16;
            let rt = if uses_rt { rng.pick(TEST_REGS) } else { 0 };
            let slot = if n % 2 == 0 { mfc0(7, 12, 0) } else { TLBP };
            let input = Input::new("branch", format!("{name}.user.{n}"), branch(base, rs, rt, imm))
                .with_slot(slot)
                .set_gpr(rs as usize, rng.pick(COND_VALUES))
                .in_mode(2, 0);
            out.push(input);
        }
    }
}

/// Loads and stores that fault: TLB refill (EXL 0 and 1), TLB invalid, TLB
/// modified, ASID miss, address errors; also in a delay slot.
fn exceptions(rng: &mut Rng, out: &mut Vec<Input>) {
    let ops: &[(&str, u32, u32, bool)] = &[
        ("lw", 0x23, 4, false),
        ("lh", 0x21, 2, false),
        ("lhu", 0x25, 2, false),
        ("lb", 0x20, 1, false),
        ("lbu", 0x24, 1, false),
        ("lwl", 0x22, 1, false),
        ("lwr", 0x26, 1, false),
        ("ll", 0x30, 4, false),
        ("sw", 0x2B, 4, true),
        ("sh", 0x29, 2, true),
        ("sb", 0x28, 1, true),
        ("swl", 0x2A, 1, true),
        ("swr", 0x2E, 1, true),
        ("sc", 0x38, 4, true),
    ];
    let kinds = ["refill", "refill_exl", "refill_bev", "invalid", "modified", "asid_miss", "misaligned"];
    for &(name, op, size, store) in ops {
        for kind in kinds {
            if kind == "modified" && !store || kind == "misaligned" && size == 1 {
                continue;
            }
            for n in 0..6 {
                // A VA in KUSEG (away from the user pad) or KSEG2/KSEG3.
                let region = rng.pick(&[0x0000_0000u32, 0x1000_0000, 0x7000_0000, 0xC000_0000, 0xE000_0000]);
                let va = region | (rng.u32() & 0x0FFF_FFFF & !(size - 1));
                let va = if kind == "misaligned" { va | 1 } else { va };
                let (base, rt) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
                let offset = (rng.u32() as u16) & 0x7FFC;
                let base_val = va.wrapping_sub(u32::from(offset));
                let word = itype(op, base, rt, offset);
                let mut input = with_random_tlb(Input::new("exceptions", format!("{name}.{kind}.{n}"), word), rng);
                // No random entry may map the VA by accident.
                for i in 0..16 {
                    input.tlb[i] = [0x8000_0000 + i as u32 * 0x2000, input.tlb[i][1], input.tlb[i][2], 0];
                }
                if base == rt && store {
                    continue;
                }
                input = input.set_gpr(base as usize, base_val);
                let asid = rng.below(256);
                input = input.set_cp0(10, 0, asid);
                let k = rng.below(16) as usize;
                let odd = va & 0x1000 != 0;
                let v_bit = |on: bool| if on { 0x2 } else { 0 };
                let page = |rng: &mut Rng, v: bool, d: bool| (rng.u32() & 0x03FF_FFC0) | (3 << 3) | v_bit(v) | if d { 4 } else { 0 };
                let mut e = [va & 0xFFFF_E000 | asid, page(rng, true, true), page(rng, true, true), 0];
                let half = if odd { 2 } else { 1 };
                match kind {
                    "invalid" => e[half] &= !0x2,
                    "modified" => e[half] &= !0x4,
                    "asid_miss" => e[0] = (e[0] & !0xFF) | ((asid + 1 + rng.below(255)) & 0xFF),
                    _ => {}
                }
                if matches!(kind, "invalid" | "modified" | "asid_miss") {
                    input = input.set_tlb(k, e);
                }
                if kind == "refill_exl" {
                    input = input.set_cp0(12, 0, 0x2);
                }
                if kind == "refill_bev" {
                    input = input.set_cp0(12, 0, 0x0040_0000);
                }
                if n == 5 {
                    // In the delay slot of a taken branch (beq $0, $0).
                    let imm = (2 * (1 + rng.below(100)) + 1) as u16;
                    let mut b = Input::new("exceptions", format!("{name}.{kind}.slot"), branch(0x1000_0000, 0, 0, imm)).with_slot(word);
                    b.gpr = input.gpr;
                    b.tlb = input.tlb;
                    b.cp0 = input.cp0.clone();
                    input = b;
                }
                out.push(input);
            }
        }
    }
    // User mode touching kernel addresses: address error.
    for &(name, op, size, _) in ops {
        for n in 0..2 {
            let (base, rt) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
            let va = rng.pick(&[0x8000_0000u32, 0xA000_0000, 0xC000_0000]) | (rng.u32() & 0x0FFF_FFFF & !(size - 1));
            let input = Input::new("exceptions", format!("{name}.user_kseg.{n}"), itype(op, base, rt, 0)).set_gpr(base as usize, va).in_mode(2, 0);
            if base == rt {
                continue;
            }
            out.push(input);
        }
    }
}

/// Instructions that enable a pending interrupt (QEMU takes it before the
/// next instruction, EPC = that instruction), and the cases that do not.
fn interrupts(rng: &mut Rng, out: &mut Vec<Input>) {
    const DC: u32 = 1 << 27;
    const IV: u32 = 1 << 23;
    // (name, word, GPR value, Status, Cause) in the setup.
    let cases: &[(&str, u32, u32, u32, u32)] = &[
        ("ei.ip0", ei(5), 0, 0x0100, DC | 0x100),
        ("ei.ip1", ei(5), 0, 0x0200, DC | 0x200),
        ("ei.masked", ei(5), 0, 0x0200, DC | 0x100),
        ("ei.exl", ei(5), 0, 0x0102, DC | 0x100),
        ("ei.erl", ei(5), 0, 0x0104, DC | 0x100),
        ("ei.nothing", ei(5), 0, 0xFF00, DC),
        ("di.ip0", di(5), 0, 0x0101, DC),
        ("mtc0_status.ie", mtc0(5, 12, 0), 0x0201, 0, DC | 0x200),
        ("mtc0_status.masked", mtc0(5, 12, 0), 0x0101, 0, DC | 0x200),
        ("mtc0_status.exl", mtc0(5, 12, 0), 0x0203, 0, DC | 0x200),
        ("mtc0_cause.ip0", mtc0(5, 13, 0), DC | 0x100, 0x0101, DC),
        ("mtc0_cause.ip1", mtc0(5, 13, 0), DC | 0x200, 0x0201, DC),
        ("mtc0_cause.both", mtc0(5, 13, 0), DC | 0x300, 0x0301, DC),
        ("mtc0_cause.masked", mtc0(5, 13, 0), DC | 0x100, 0x0201, DC),
    ];
    for &(name, word, value, status, cause) in cases {
        for (vname, extra_status, extra_cause) in [("", 0, 0), (".iv", 0, IV), (".bev", 0x0040_0000, 0), (".bev_iv", 0x0040_0000, IV)] {
            // The written Cause value carries IV too, so IV is what the case says.
            let value = if word == mtc0(5, 13, 0) { value | extra_cause } else { value };
            let input = Input::new("interrupts", format!("{name}{vname}"), word)
                .set_gpr(5, value)
                .set_cp0(13, 0, cause | extra_cause)
                .set_cp0(12, 0, status | extra_status);
            out.push(input);
        }
    }
    // In a delay slot: the interrupt comes after the slot, at the target.
    for n in 0..4 {
        let imm = (2 * (1 + rng.below(200)) + 1) as u16;
        let input = Input::new("interrupts", format!("ei.slot.{n}"), branch(0x1000_0000, 0, 0, imm))
            .with_slot(ei(0))
            .set_cp0(13, 0, DC | 0x100 | if n % 2 == 1 { IV } else { 0 })
            .set_cp0(12, 0, 0x0100);
        out.push(input);
    }
}

/// ADD, ADDI and SUB, which trap on signed overflow (rd unchanged), with
/// edge operands, rd = $0, and in a delay slot.
fn overflow(rng: &mut Rng, out: &mut Vec<Input>) {
    const EDGES: &[u32] = &[0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x7FFF_8000, 0x8000_7FFF, 0x4000_0000];
    let rtype = |rs: u32, rt: u32, rd: u32, funct: u32| (rs << 21) | (rt << 16) | (rd << 11) | funct;
    for (name, funct) in [("add", 0x20u32), ("sub", 0x22)] {
        for (i, &a) in EDGES.iter().enumerate() {
            for (j, &b) in EDGES.iter().enumerate() {
                let (rs, rt) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
                if rs == rt {
                    continue;
                }
                let rd = if (i + j) % 7 == 3 { 0 } else { rng.pick(TEST_REGS) };
                let input = Input::new("overflow", format!("{name}.{i}.{j}"), rtype(rs, rt, rd, funct)).set_gpr(rs as usize, a).set_gpr(rt as usize, b);
                out.push(input);
            }
        }
    }
    for (i, &a) in EDGES.iter().enumerate() {
        for imm in [0u16, 1, 0x7FFF, 0x8000, 0xFFFF] {
            let (rs, rt) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
            out.push(Input::new("overflow", format!("addi.{i}.{imm:04x}"), itype(0x08, rs, rt, imm)).set_gpr(rs as usize, a));
        }
    }
    // In the delay slot of a taken and a not-taken branch, and of a jal
    // whose link the slot reads.
    for n in 0..6u32 {
        let (rs, rt) = (rng.pick(&[1u32, 2, 3]), rng.pick(&[4u32, 5, 6]));
        let slot = rtype(rs, rt, 7, 0x20);
        let imm = (2 * (1 + rng.below(100)) + 1) as u16;
        let word = if n % 2 == 0 { branch(0x1000_0000, 0, 0, imm) } else { branch(0x1400_0000, 0, 0, imm) };
        let (a, b) = if n < 4 { (0x7FFF_FFFF, 1) } else { (5, 6) };
        out.push(Input::new("overflow", format!("add.slot.{n}"), word).with_slot(slot).set_gpr(rs as usize, a).set_gpr(rt as usize, b));
    }
    for n in 0..2u32 {
        let t = pad_target(rng, PAD_KERNEL);
        let slot = rtype(31, 8, 9, 0x20);
        let b = if n == 0 { 0x7FFF_FFFF } else { 1 };
        out.push(Input::new("overflow", format!("jal.add_link.{n}"), jal(t)).with_slot(slot).set_gpr(8, b));
    }
}

/// Every vector input, in recording order.
pub fn generate() -> Vec<Input> {
    let mut rng = Rng::new(SEED);
    let mut out = Vec::new();
    cp0_mfc0(&mut rng, &mut out);
    cp0_mtc0(&mut rng, &mut out);
    pagemask_runs(&mut rng, &mut out);
    random(&mut rng, &mut out);
    tlb(&mut rng, &mut out);
    eret(&mut rng, &mut out);
    deret(&mut rng, &mut out);
    privileged(&mut rng, &mut out);
    branches(&mut rng, &mut out);
    exceptions(&mut rng, &mut out);
    interrupts(&mut rng, &mut out);
    overflow(&mut rng, &mut out);
    // Added later, at the end so that the draws above stay as they were.
    debug_breakpoints(&mut rng, &mut out);
    bitfield_ranges(&mut rng, &mut out);
    out
}

/// SDBBP (the EJTAG debug exception, DEPC, 0xBFC00480) in every mode, in
/// debug mode, and in delay slots (taken, annulled, linking).
fn debug_breakpoints(rng: &mut Rng, out: &mut Vec<Input>) {
    let modes: &[(&str, u32)] = &[("kernel", 0), ("exl", 0x2), ("erl", 0x4), ("bev", 0x0040_0000), ("bev_exl", 0x0040_0002)];
    for &(mode, status) in modes {
        for n in 0..2 {
            out.push(Input::new("eret", format!("sdbbp.{mode}.{n}"), sdbbp(rng.below(1 << 20))).set_cp0(12, 0, status));
        }
    }
    for (mode, ksu) in [("supervisor", 1), ("user", 2)] {
        out.push(Input::new("eret", format!("sdbbp.{mode}"), sdbbp(rng.below(1 << 20))).in_mode(ksu, 0));
    }
    let input = Input::new("eret", "sdbbp.debug_mode", sdbbp(7)).set_cp0(23, 0, 1 << 30).set_cp0(24, 0, rng.u32() & !3);
    out.push(input.set_cp0(12, 0, 0x2));
    out.push(Input::new("eret", "sdbbp.cu0_user", sdbbp(0)).in_mode(2, 0x1000_0000));
    // In delay slots: beq $0,$0 (taken), bnel with equal registers
    // (annulled), jal (the link is written), with EXL 0 and 1.
    for exl in [0u32, 2] {
        let t = pad_target(rng, PAD_KERNEL);
        let imm = (((t.wrapping_sub(PAD_KERNEL + TEST_OFFSET + 4)) >> 2) & 0xFFFF) as u16;
        out.push(Input::new("eret", format!("sdbbp.slot.beq.exl{exl}"), branch(0x1000_0000, 0, 0, imm)).with_slot(sdbbp(1)).set_cp0(12, 0, exl));
        out.push(Input::new("eret", format!("sdbbp.slot.bnel.exl{exl}"), branch(0x5400_0000, 5, 5, imm)).with_slot(sdbbp(2)).set_cp0(12, 0, exl));
        out.push(Input::new("eret", format!("sdbbp.slot.jal.exl{exl}"), jal(t)).with_slot(sdbbp(3)).set_cp0(12, 0, exl));
    }
    out.push(Input::new("eret", "sdbbp.slot.user", j(PAD_USER + 0x808)).with_slot(sdbbp(4)).in_mode(2, 0));
}

/// ext with lsb + msbd > 31 and ins with msb < lsb: QEMU raises Reserved
/// Instruction (gen_bitops); also in a delay slot and from user mode.
fn bitfield_ranges(rng: &mut Rng, out: &mut Vec<Input>) {
    for n in 0..8 {
        let (rt, rs) = (rng.pick(TEST_REGS), rng.pick(TEST_REGS));
        let lsb = 1 + rng.below(31);
        let msbd = 32 - lsb + rng.below(lsb);
        out.push(Input::new("privileged", format!("ext.out_of_range.{n}"), ext(rt, rs, lsb, msbd)));
        let lsb = 1 + rng.below(31);
        let msb = rng.below(lsb);
        out.push(Input::new("privileged", format!("ins.msb_below_lsb.{n}"), ins(rt, rs, lsb, msb)));
    }
    out.push(Input::new("privileged", "ext.out_of_range.user", ext(5, 6, 31, 31)).in_mode(2, 0));
    out.push(Input::new("privileged", "ins.msb_below_lsb.user", ins(5, 6, 31, 0)).in_mode(2, 0));
    let t = pad_target(rng, PAD_KERNEL);
    out.push(Input::new("privileged", "ext.out_of_range.slot", j(t)).with_slot(ext(7, 8, 16, 16)));
    out.push(Input::new("privileged", "ins.msb_below_lsb.slot", j(t)).with_slot(ins(7, 8, 16, 15)));
}

/// The categories, in file order.
pub const CATEGORIES: &[&str] =
    &["cp0_mfc0", "cp0_mtc0", "random", "tlb", "eret", "privileged", "branch", "exceptions", "interrupts", "overflow"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_names_are_unique() {
        let a = generate();
        let b = generate();
        assert_eq!(crate::input::encode(&a), crate::input::encode(&b));
        let mut names: Vec<_> = a.iter().map(|i| (i.category, i.name.clone())).collect();
        names.sort();
        let len = names.len();
        names.dedup();
        assert_eq!(len, names.len(), "duplicate vector names");
        assert!(len >= 5000, "{len} vectors");
    }
}
