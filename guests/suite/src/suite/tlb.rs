//! TLB programming (TLBWI/TLBR/TLBP/TLBWR) and mapped accesses through
//! KSSEG and KSEG3: page sizes, ASIDs, the G bit, and the refill, invalid
//! and modified exceptions with BadVAddr, Context and EntryHi.
use super::map::{KSEG3, KSSEG};
use super::rt::{self, entry_lo, mfc0, mtc0, provoke, Entry, LO_C3, LO_D, LO_G, LO_V};
use super::{code, eq, expect, no_trap, vec, yes, Case, Fail, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "tlb.write_read_round_trip", run: round_trip },
    Case { name: "tlb.g_is_and_of_both_halves", run: g_and },
    Case { name: "tlb.pfn_low_bits_cleared_by_mask", run: pfn_masked },
    Case { name: "tlb.probe_hit_and_miss", run: probe },
    Case { name: "tlb.probe_asid_and_global", run: probe_asid },
    Case { name: "tlb.tlbwr_lands_in_wired_to_15", run: tlbwr },
    Case { name: "tlb.kseg3_load_store_4k", run: kseg3_4k },
    Case { name: "tlb.ksseg_load_store_4k", run: ksseg_4k },
    Case { name: "tlb.page_16k", run: page_16k },
    Case { name: "tlb.page_64k", run: page_64k },
    Case { name: "tlb.page_1m", run: page_1m },
    Case { name: "tlb.asid_mismatch_refills", run: asid_mismatch },
    Case { name: "tlb.global_matches_any_asid", run: global },
    Case { name: "tlb.refill_load", run: refill_load },
    Case { name: "tlb.refill_store", run: refill_store },
    Case { name: "tlb.refill_in_delay_slot", run: refill_delay_slot },
    Case { name: "tlb.invalid_load", run: invalid_load },
    Case { name: "tlb.invalid_store", run: invalid_store },
    Case { name: "tlb.modified", run: modified },
    Case { name: "tlb.refill_with_exl_uses_general_vector", run: refill_exl },
    Case { name: "tlb.fetch_through_mapping", run: fetch_mapped },
    Case { name: "tlb.fetch_refill", run: fetch_refill },
];

/// Test frames (physical).
const A: u32 = 0x0060_0000;
const B: u32 = 0x0060_1000;

fn rw_entry(hi: u32) -> Entry {
    Entry { hi, lo0: entry_lo(A, LO_C3 | LO_V | LO_D), lo1: entry_lo(B, LO_C3 | LO_V | LO_D), mask: 0 }
}

fn load_ok(va: u32) -> Result<u32, Fail> {
    rt::load(va).map_err(|t| Fail { what: "mapped load faulted, ExcCode", got: t.code(), want: 0xFFFF_FFFF })
}

fn store_ok(va: u32, value: u32) -> Outcome {
    rt::store(va, value).map_err(|t| Fail { what: "mapped store faulted, ExcCode", got: t.code(), want: 0xFFFF_FFFF })
}

fn round_trip() -> Outcome {
    let e = Entry {
        hi: KSSEG + 0x0001_0000 + 0x23,
        lo0: entry_lo(A, LO_C3 | LO_V | LO_D),
        lo1: entry_lo(B, LO_C3 | LO_V),
        mask: 0,
    };
    rt::tlb_write(3, e);
    let got = rt::tlb_read(3);
    eq("EntryHi", got.hi, e.hi)?;
    eq("EntryLo0", got.lo0, e.lo0)?;
    eq("EntryLo1", got.lo1, e.lo1)?;
    eq("PageMask", got.mask, 0)?;
    eq("TLBR leaves EntryHi's ASID as restored", mfc0!(10, 0), 0)
}

fn g_and() -> Outcome {
    let hi = KSSEG + 0x0002_0000;
    rt::tlb_write(4, Entry { lo0: entry_lo(A, LO_V | LO_G), lo1: entry_lo(B, LO_V), ..rw_entry(hi) });
    let one = rt::tlb_read(4);
    eq("G in EntryLo0 only: read G0", one.lo0 & LO_G, 0)?;
    eq("G in EntryLo0 only: read G1", one.lo1 & LO_G, 0)?;
    rt::tlb_write(4, Entry { lo0: entry_lo(A, LO_V | LO_G), lo1: entry_lo(B, LO_V | LO_G), ..rw_entry(hi) });
    let both = rt::tlb_read(4);
    eq("G in both: read G0", both.lo0 & LO_G, LO_G)?;
    eq("G in both: read G1", both.lo1 & LO_G, LO_G)
}

fn pfn_masked() -> Outcome {
    let e = Entry {
        hi: KSSEG + 0x0010_0000,
        lo0: entry_lo(0x0061_1000, LO_V),
        lo1: entry_lo(0x0061_7000, LO_V),
        mask: 0x6000,
    };
    rt::tlb_write(2, e);
    let got = rt::tlb_read(2);
    eq("PageMask 16K", got.mask, 0x6000)?;
    eq("EntryLo0 PFN low bits cleared", got.lo0, entry_lo(0x0061_0000, LO_V))?;
    eq("EntryLo1 PFN low bits cleared", got.lo1, entry_lo(0x0061_4000, LO_V))
}

fn probe() -> Outcome {
    rt::tlb_write(5, rw_entry(KSSEG + 0x0003_0000));
    rt::tlb_write(9, rw_entry(KSEG3 + 0x0003_0000));
    eq("probe KSSEG entry", rt::tlb_probe(KSSEG + 0x0003_0000), 5)?;
    eq("probe odd page VPN2", rt::tlb_probe(KSSEG + 0x0003_1000), 5)?;
    eq("probe KSEG3 entry", rt::tlb_probe(KSEG3 + 0x0003_0000), 9)?;
    mtc0!(0, 0, 7);
    eq("probe miss sets P, keeps the index", rt::tlb_probe(KSSEG + 0x0005_0000), 0x8000_0007)
}

fn probe_asid() -> Outcome {
    rt::tlb_write(6, rw_entry(KSSEG + 0x0004_0000 + 5));
    let global = Entry { lo0: entry_lo(A, LO_V | LO_G), lo1: entry_lo(B, LO_V | LO_G), ..rw_entry(KSEG3 + 0x0004_0000 + 5) };
    rt::tlb_write(10, global);
    eq("same ASID hits", rt::tlb_probe(KSSEG + 0x0004_0000 + 5), 6)?;
    yes("other ASID misses", rt::tlb_probe(KSSEG + 0x0004_0000 + 6) & 0x8000_0000 != 0)?;
    eq("global entry hits any ASID", rt::tlb_probe(KSEG3 + 0x0004_0000 + 0x77), 10)
}

fn tlbwr() -> Outcome {
    mtc0!(6, 0, 8);
    let mut seen = 0u32;
    for i in 0..16 {
        let hi = KSSEG + 0x0100_0000 + i * 0x2000;
        rt::tlb_write_random(rw_entry(hi));
        let index = rt::tlb_probe(hi);
        yes("TLBWR landed at an index in [Wired, 15]", (8..16).contains(&index))?;
        seen |= 1 << index;
    }
    for i in 0..8 {
        eq("wired entries untouched", rt::tlb_read(i).hi, rt::unused_vpn2(i))?;
    }
    yes("TLBWR used more than one index", seen.count_ones() > 1)
}

/// Maps `va` (even page A, odd page B, 4K) and checks loads and stores.
fn load_store_4k(va: u32) -> Outcome {
    rt::tlb_write(1, rw_entry(va));
    rt::frame_write(A + 8, 0xCAFE_0001);
    rt::frame_write(B + 0xFFC, 0xCAFE_0002);
    eq("load from the even page", load_ok(va + 8)?, 0xCAFE_0001)?;
    eq("load from the odd page", load_ok(va + 0x1FFC)?, 0xCAFE_0002)?;
    store_ok(va + 0x10, 0x5EED_0003)?;
    store_ok(va + 0x1004, 0x5EED_0004)?;
    eq("store reached the even frame", rt::frame_read(A + 0x10), 0x5EED_0003)?;
    eq("store reached the odd frame", rt::frame_read(B + 4), 0x5EED_0004)
}

fn kseg3_4k() -> Outcome {
    load_store_4k(KSEG3 + 0x0010_0000)
}

fn ksseg_4k() -> Outcome {
    load_store_4k(KSSEG + 0x0010_0000)
}

/// Maps a pair of `size`-byte pages at `va` to `pa`, `pa + size`.
fn large_page(va: u32, pa: u32, size: u32) -> Outcome {
    let mask = (2 * size - 1) & !0x1FFF;
    rt::tlb_write(
        7,
        Entry { hi: va, lo0: entry_lo(pa, LO_C3 | LO_V | LO_D), lo1: entry_lo(pa + size, LO_C3 | LO_V | LO_D), mask },
    );
    rt::frame_write(pa + size - 4, 0x0BAD_F00D);
    rt::frame_write(pa + size + 0x40, 0x600D_F00D);
    eq("load at the end of the even page", load_ok(va + size - 4)?, 0x0BAD_F00D)?;
    eq("load in the odd page", load_ok(va + size + 0x40)?, 0x600D_F00D)?;
    store_ok(va + size / 2, 0x1234_4321)?;
    eq("store in the even page", rt::frame_read(pa + size / 2), 0x1234_4321)?;
    let (_, trap) = provoke!(["lw {v}, 0({a})"], v = out(reg) _, a = in(reg) va + 2 * size);
    expect(trap, vec::REFILL, code::TLBL).map(drop)
}

fn page_16k() -> Outcome {
    large_page(KSSEG + 0x0020_0000, 0x0061_0000, 0x4000)
}

fn page_64k() -> Outcome {
    large_page(KSEG3 + 0x0020_0000, 0x0062_0000, 0x1_0000)
}

fn page_1m() -> Outcome {
    large_page(KSSEG + 0x0080_0000, 0x0080_0000, 0x10_0000)
}

/// Checks what a TLB exception left for `va` (BadVAddr, Context, EntryHi).
fn tlb_fault_regs(trap: &rt::Trap, va: u32, asid: u32) -> Outcome {
    eq("BadVAddr", trap.badvaddr, va)?;
    eq("Context.BadVPN2", trap.context & 0x007F_FFF0, (va >> 9) & 0x007F_FFF0)?;
    eq("EntryHi = VPN2 | ASID", trap.entryhi, (va & 0xFFFF_E000) | asid)
}

fn asid_mismatch() -> Outcome {
    let va = KSSEG + 0x0030_0000;
    rt::tlb_write(3, rw_entry(va | 5));
    mtc0!(10, 0, 5);
    eq("same ASID loads", load_ok(va + 0x20).map(|_| 0)?, 0)?;
    mtc0!(10, 0, 6);
    let (at, trap) = provoke!(["lw {v}, 0x24({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::REFILL, code::TLBL)?;
    eq("EPC = the load", trap.epc, at)?;
    tlb_fault_regs(&trap, va + 0x24, 6)
}

fn global() -> Outcome {
    let va = KSEG3 + 0x0030_0000;
    rt::tlb_write(3, Entry { lo0: entry_lo(A, LO_V | LO_D | LO_G), lo1: entry_lo(B, LO_V | LO_D | LO_G), ..rw_entry(va | 5) });
    rt::frame_write(A + 0x30, 0x6106_A100);
    for asid in [5, 6, 0xFF] {
        mtc0!(10, 0, asid);
        eq("global mapping loads under any ASID", load_ok(va + 0x30)?, 0x6106_A100)?;
    }
    Ok(())
}

fn refill_load() -> Outcome {
    let va = KSSEG + 0x0040_0010;
    mtc0!(10, 0, 0x42);
    let (at, trap) = provoke!(["lw {v}, 0({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::REFILL, code::TLBL)?;
    eq("EPC = the load", trap.epc, at)?;
    tlb_fault_regs(&trap, va, 0x42)
}

fn refill_store() -> Outcome {
    let va = KSEG3 + 0x0040_1234;
    let (at, trap) = provoke!(["sb $zero, 0({a})"], a = in(reg) va);
    let trap = expect(trap, vec::REFILL, code::TLBS)?;
    eq("EPC = the store", trap.epc, at)?;
    tlb_fault_regs(&trap, va, 0)
}

fn refill_delay_slot() -> Outcome {
    let va = KSSEG + 0x0040_2000;
    let (at, trap) = provoke!(["la {t}, 3f", "jr {t}", "sw $zero, 8({a})"], t = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::REFILL, code::TLBS)?;
    eq("EPC = the jr", trap.epc, at + 8)?;
    yes("Cause.BD set", trap.bd())?;
    tlb_fault_regs(&trap, va + 8, 0)
}

fn invalid_load() -> Outcome {
    let va = KSSEG + 0x0050_0000;
    rt::tlb_write(8, Entry { lo1: entry_lo(B, LO_C3), ..rw_entry(va) });
    eq("valid even page loads", load_ok(va).map(|_| 0)?, 0)?;
    let (at, trap) = provoke!(["lw {v}, 0x1008({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::TLBL)?;
    eq("EPC = the load", trap.epc, at)?;
    tlb_fault_regs(&trap, va + 0x1008, 0)
}

fn invalid_store() -> Outcome {
    let va = KSEG3 + 0x0050_0000;
    rt::tlb_write(8, Entry { lo0: entry_lo(A, LO_C3 | LO_D), ..rw_entry(va) });
    let (at, trap) = provoke!(["sw $zero, 0x10({a})"], a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::TLBS)?;
    eq("EPC = the store", trap.epc, at)?;
    tlb_fault_regs(&trap, va + 0x10, 0)
}

fn modified() -> Outcome {
    let va = KSSEG + 0x0060_0000;
    rt::tlb_write(8, Entry { lo0: entry_lo(A, LO_C3 | LO_V), ..rw_entry(va | 9) });
    mtc0!(10, 0, 9);
    rt::frame_write(A + 0x40, 0x0DD0_0DD0);
    let (at, trap) = provoke!(["sw {v}, 0x40({a})"], v = in(reg) 0xFFFF_FFFFu32, a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::MOD)?;
    eq("EPC = the store", trap.epc, at)?;
    tlb_fault_regs(&trap, va + 0x40, 9)?;
    eq("the frame is unchanged", rt::frame_read(A + 0x40), 0x0DD0_0DD0)?;
    eq("a load through the clean page works", load_ok(va + 0x40)?, 0x0DD0_0DD0)
}

fn refill_exl() -> Outcome {
    let va = KSSEG + 0x0070_0000;
    mtc0!(14, 0, 0x0246_8ACC);
    mtc0!(12, 0, rt::ST_EXL);
    let (_, trap) = provoke!(["lw {v}, 0({a})"], v = out(reg) _, a = in(reg) va);
    let trap = expect(trap, vec::GENERAL, code::TLBL)?;
    eq("EPC unchanged", trap.epc, 0x0246_8ACC)?;
    eq("BadVAddr", trap.badvaddr, va)
}

fn fetch_mapped() -> Outcome {
    for (i, word) in rt::RET_42.iter().enumerate() {
        rt::frame_write(A + 0x100 + 4 * i as u32, *word);
    }
    let va = KSSEG + 0x0090_0000;
    rt::tlb_write(11, Entry { lo0: entry_lo(A, LO_C3 | LO_V), lo1: entry_lo(B, LO_C3 | LO_V), ..rw_entry(va) });
    match rt::call_mapped(va + 0x100) {
        Ok(v0) => eq("mapped code ran", v0, 42),
        Err(t) => Err(Fail { what: "fetch faulted, ExcCode", got: t.code(), want: 0xFFFF_FFFF }),
    }
}

fn fetch_refill() -> Outcome {
    let va = KSEG3 + 0x00A0_0000;
    let trap = rt::call_mapped(va).err();
    let trap = expect(trap, vec::REFILL, code::TLBL)?;
    eq("EPC = the fetch address", trap.epc, va)?;
    yes("Cause.BD clear", !trap.bd())?;
    tlb_fault_regs(&trap, va, 0)?;
    no_trap(rt::take_trap())
}
