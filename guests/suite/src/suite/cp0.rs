//! Every CP0 register of the 24Kf: reset or profile values where they are
//! deterministic, writable masks, and the special write and read rules.
use super::rt::{self, mfc0, mtc0, provoke};
use super::{code, eq, expect, map, vec, yes, Case, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "cp0.prid", run: prid },
    Case { name: "cp0.config0", run: config0 },
    Case { name: "cp0.config1", run: config1 },
    Case { name: "cp0.config2_config3", run: config2_3 },
    Case { name: "cp0.config0_k0_writable", run: config0_k0 },
    Case { name: "cp0.intctl", run: intctl },
    Case { name: "cp0.srsctl_srsmap", run: srsctl_srsmap },
    Case { name: "cp0.index_rules", run: index_rules },
    Case { name: "cp0.entrylo_mask", run: entrylo_mask },
    Case { name: "cp0.entryhi_mask", run: entryhi_mask },
    Case { name: "cp0.context_mask", run: context_mask },
    Case { name: "cp0.pagemask_rules", run: pagemask_rules },
    Case { name: "cp0.wired_mod_16", run: wired },
    Case { name: "cp0.random_in_wired_to_15", run: random },
    Case { name: "cp0.hwrena_mask", run: hwrena },
    Case { name: "cp0.badvaddr_read_only", run: badvaddr },
    Case { name: "cp0.count_advances", run: count_advances },
    Case { name: "cp0.count_writable", run: count_writable },
    Case { name: "cp0.cause_dc_stops_count", run: cause_dc },
    Case { name: "cp0.compare_clears_ti", run: compare_clears_ti },
    Case { name: "cp0.status_mask", run: status_mask },
    Case { name: "cp0.cause_mask", run: cause_mask },
    Case { name: "cp0.epc_errorepc_32_bits", run: epc_errorepc },
    Case { name: "cp0.ebase_mask", run: ebase_mask },
    Case { name: "cp0.lladdr_read_only", run: lladdr },
    Case { name: "cp0.watch_masks", run: watch },
    Case { name: "cp0.watch_all_eight_pairs", run: watch_pairs },
    Case { name: "cp0.perfctl_errctl_masks", run: perf_errctl },
    Case { name: "cp0.cache_tag_data_regs", run: cache_regs },
    Case { name: "cp0.tag_data_every_select", run: tag_data_selects },
    Case { name: "cp0.debug_depc_desave", run: debug_regs },
    Case { name: "cp0.read_as_zero", run: read_as_zero },
    Case { name: "cp0.unlisted_read_all_ones", run: unlisted },
    Case { name: "cp0.pw_registers_ri", run: pw_ri },
];

const ONES: u32 = 0xFFFF_FFFF;

fn prid() -> Outcome {
    eq("PRId", mfc0!(15, 0), 0x0001_9300)?;
    mtc0!(15, 0, 0);
    eq("PRId after a write", mfc0!(15, 0), 0x0001_9300)
}

fn config0() -> Outcome {
    eq("Config0", mfc0!(16, 0), 0x8000_0482)
}

fn config1() -> Outcome {
    eq("Config1", mfc0!(16, 1), 0x9E19_0C8F)?;
    mtc0!(16, 1, 0);
    eq("Config1 after a write", mfc0!(16, 1), 0x9E19_0C8F)
}

fn config2_3() -> Outcome {
    eq("Config2", mfc0!(16, 2), 0x8000_0000)?;
    eq("Config3", mfc0!(16, 3), 0)?;
    mtc0!(16, 2, ONES);
    mtc0!(16, 3, ONES);
    eq("Config2 after a write", mfc0!(16, 2), 0x8000_0000)?;
    eq("Config3 after a write", mfc0!(16, 3), 0)
}

fn config0_k0() -> Outcome {
    let old = mfc0!(16, 0);
    mtc0!(16, 0, ONES);
    let got = mfc0!(16, 0);
    mtc0!(16, 0, old);
    eq("Config0 after writing ones", got, 0x8000_0487)?;
    eq("Config0 restored", mfc0!(16, 0), old)
}

fn intctl() -> Outcome {
    eq("IntCtl reset", mfc0!(12, 1), 0xE000_0000)?;
    mtc0!(12, 1, ONES);
    let got = mfc0!(12, 1);
    mtc0!(12, 1, 0);
    eq("IntCtl after writing ones", got, 0xE000_03E0)?;
    eq("IntCtl after writing zero", mfc0!(12, 1), 0xE000_0000)
}

fn srsctl_srsmap() -> Outcome {
    mtc0!(12, 2, ONES);
    let ctl = mfc0!(12, 2);
    mtc0!(12, 2, 0);
    eq("SRSCtl after writing ones", ctl, 0x0000_F3C0)?;
    mtc0!(12, 3, 0x1234_5678);
    let map = mfc0!(12, 3);
    mtc0!(12, 3, 0);
    eq("SRSMap", map, 0x1234_5678)?;
    eq("SRSMap cleared", mfc0!(12, 3), 0)
}

fn index_rules() -> Outcome {
    mtc0!(0, 0, 5);
    eq("Index = 5", mfc0!(0, 0), 5)?;
    mtc0!(0, 0, 16);
    eq("Index after writing 16 (ignored)", mfc0!(0, 0), 5)?;
    mtc0!(0, 0, 0x7F);
    eq("Index after writing 0x7f (ignored)", mfc0!(0, 0), 5)?;
    mtc0!(0, 0, 15);
    eq("Index = 15", mfc0!(0, 0), 15)
}

fn entrylo_mask() -> Outcome {
    mtc0!(2, 0, ONES);
    mtc0!(3, 0, ONES);
    eq("EntryLo0 after writing ones", mfc0!(2, 0), 0x03FF_FFFF)?;
    eq("EntryLo1 after writing ones", mfc0!(3, 0), 0x03FF_FFFF)?;
    mtc0!(2, 0, 0x1234_5678);
    eq("EntryLo0 pattern", mfc0!(2, 0), 0x1234_5678 & 0x03FF_FFFF)
}

fn entryhi_mask() -> Outcome {
    mtc0!(10, 0, ONES);
    let got = mfc0!(10, 0);
    mtc0!(10, 0, 0);
    eq("EntryHi after writing ones", got, 0xFFFF_E0FF)?;
    eq("EntryHi after writing zero", mfc0!(10, 0), 0)
}

fn context_mask() -> Outcome {
    let badvpn2 = mfc0!(4, 0) & 0x007F_FFF0;
    mtc0!(4, 0, ONES);
    eq("Context after writing ones", mfc0!(4, 0), 0xFF80_0000 | badvpn2)?;
    mtc0!(4, 0, 0);
    eq("Context after writing zero", mfc0!(4, 0), badvpn2)
}

fn pagemask_rules() -> Outcome {
    for mask in [0x0000_6000, 0x0001_E000, 0x0007_E000, 0x01FF_E000, 0x1FFF_E000] {
        mtc0!(5, 0, mask);
        eq("PageMask (contiguous)", mfc0!(5, 0), mask)?;
    }
    mtc0!(5, 0, ONES);
    eq("PageMask after writing ones", mfc0!(5, 0), 0x1FFF_E000)?;
    mtc0!(5, 0, 0x0000_A000);
    eq("PageMask non-contiguous becomes 0", mfc0!(5, 0), 0)?;
    mtc0!(5, 1, ONES);
    eq("PageGrain", mfc0!(5, 1), 0)
}

fn wired() -> Outcome {
    mtc0!(6, 0, 5);
    eq("Wired = 5", mfc0!(6, 0), 5)?;
    mtc0!(6, 0, 0x13);
    eq("Wired after writing 0x13", mfc0!(6, 0), 3)?;
    mtc0!(6, 0, 0);
    eq("Wired = 0", mfc0!(6, 0), 0)
}

fn random() -> Outcome {
    for wired in [0, 6, 15] {
        mtc0!(6, 0, wired);
        let (mut low, mut high) = (u32::MAX, 0);
        for _ in 0..64 {
            let r = mfc0!(1, 0);
            low = low.min(r);
            high = high.max(r);
        }
        yes("Random >= Wired", low >= wired)?;
        yes("Random <= 15", high <= 15)?;
        if wired < 15 {
            yes("Random varies", low < high)?;
        }
    }
    Ok(())
}

fn hwrena() -> Outcome {
    mtc0!(7, 0, ONES);
    let got = mfc0!(7, 0);
    mtc0!(7, 0, 0);
    eq("HWREna after writing ones", got, 0xF)
}

fn badvaddr() -> Outcome {
    let before = mfc0!(8, 0);
    mtc0!(8, 0, !before);
    eq("BadVAddr after a write", mfc0!(8, 0), before)
}

fn spin(n: u32) {
    for i in 0..n {
        core::hint::black_box(i);
    }
}

fn count_advances() -> Outcome {
    let first = rt::count();
    spin(20_000);
    let second = rt::count();
    let delta = second.wrapping_sub(first);
    yes("Count advanced", delta > 0 && delta < 0x4000_0000)
}

fn count_writable() -> Outcome {
    mtc0!(9, 0, 0x100);
    let got = rt::count();
    yes("Count restarted from the written value", got.wrapping_sub(0x100) < 0x0100_0000)
}

fn cause_dc() -> Outcome {
    mtc0!(13, 0, 1 << 27);
    let first = rt::count();
    spin(20_000);
    let second = rt::count();
    mtc0!(13, 0, 0);
    eq("Count frozen with Cause.DC", second, first)?;
    spin(20_000);
    yes("Count runs again", rt::count() != second)
}

/// Sets Compare a little ahead and waits (bounded) for Cause.TI.
pub fn wait_for_ti() -> bool {
    let start = rt::count();
    rt::arm_timer(0x2000);
    while rt::count().wrapping_sub(start) < 0x0800_0000 {
        if rt::cause() & rt::CAUSE_TI != 0 {
            return true;
        }
    }
    false
}

fn compare_clears_ti() -> Outcome {
    yes("Cause.TI set when Count reaches Compare", wait_for_ti())?;
    yes("Cause.IP7 follows TI", rt::cause() & rt::CAUSE_IP7 != 0)?;
    mtc0!(11, 0, rt::count().wrapping_add(0x4000_0000));
    eq("Cause.TI and IP7 after a Compare write", rt::cause() & (rt::CAUSE_TI | rt::CAUSE_IP7), 0)?;
    let compare = rt::count().wrapping_add(0x3000_0000);
    mtc0!(11, 0, compare);
    eq("Compare reads back", mfc0!(11, 0), compare)
}

fn status_mask() -> Outcome {
    // Interrupts stay blocked (EXL and ERL are set) and no exception can
    // happen before Status is restored.
    mtc0!(12, 0, ONES);
    let got = mfc0!(12, 0);
    mtc0!(12, 0, 0);
    eq("Status after writing ones", got, 0x3678_FF1F)?;
    eq("Status after writing zero", rt::status(), 0)
}

fn cause_mask() -> Outcome {
    mtc0!(13, 0, 0x0880_0300);
    let got = rt::cause();
    mtc0!(13, 0, 0);
    eq("Cause writable bits (DC, IV, IP1:0)", got & 0x0880_0300, 0x0880_0300)?;
    eq("Cause after writing zero", rt::cause() & 0x0880_0300, 0)?;
    mtc0!(13, 0, 0x7000_007C);
    eq("Cause BD/CE/ExcCode not writable", rt::cause() & 0x7000_007C, 0)
}

fn epc_errorepc() -> Outcome {
    for value in [0xA5A5_F00F, 0x5A5A_0FF1] {
        mtc0!(14, 0, value);
        mtc0!(30, 0, !value);
        eq("EPC", mfc0!(14, 0), value)?;
        eq("ErrorEPC", mfc0!(30, 0), !value)?;
    }
    Ok(())
}

fn ebase_mask() -> Outcome {
    // No exception can happen while EBase points elsewhere.
    let old = mfc0!(15, 1);
    mtc0!(15, 1, ONES);
    let ones = mfc0!(15, 1);
    mtc0!(15, 1, 0);
    let zero = mfc0!(15, 1);
    mtc0!(15, 1, old);
    eq("EBase after writing ones", ones, map::KSEG0 | 0x3FFF_F000)?;
    eq("EBase after writing zero", zero, map::KSEG0)?;
    eq("EBase restored", mfc0!(15, 1), old)?;
    eq("EBase is 4 KiB aligned, CPUNum 0", old & 0xFFF, 0)
}

fn lladdr() -> Outcome {
    let before = mfc0!(17, 0);
    mtc0!(17, 0, !before);
    eq("LLAddr after a write", mfc0!(17, 0), before)
}

fn watch() -> Outcome {
    mtc0!(18, 0, ONES);
    mtc0!(19, 0, ONES);
    mtc0!(18, 7, ONES);
    mtc0!(19, 7, ONES);
    let (lo0, hi0, lo7, hi7) = (mfc0!(18, 0), mfc0!(19, 0), mfc0!(18, 7), mfc0!(19, 7));
    mtc0!(18, 0, 0);
    mtc0!(19, 0, 0);
    mtc0!(18, 7, 0);
    mtc0!(19, 7, 0);
    eq("WatchLo0 after writing ones", lo0, 0xFFFF_FFF8)?;
    eq("WatchHi0 after writing ones", hi0, 0xC0FF_0FF8)?;
    eq("WatchLo7 after writing ones", lo7, 0xFFFF_FFF8)?;
    eq("WatchHi7 after writing ones", hi7, 0x40FF_0FF8)?;
    eq("WatchHi0 after writing zero (M stays)", mfc0!(19, 0), 0x8000_0000)
}

/// Writes `value` to CP0 `(rd, sel)`, reads it back, writes `reset`.
macro_rules! write_read {
    ($rd:literal, $sel:literal, $value:expr, $reset:expr) => {{
        mtc0!($rd, $sel, $value);
        let got = mfc0!($rd, $sel);
        mtc0!($rd, $sel, $reset);
        got
    }};
}

fn watch_pairs() -> Outcome {
    let lo = [
        write_read!(18, 1, ONES, 0),
        write_read!(18, 2, ONES, 0),
        write_read!(18, 3, ONES, 0),
        write_read!(18, 4, ONES, 0),
        write_read!(18, 5, ONES, 0),
        write_read!(18, 6, ONES, 0),
    ];
    let hi = [
        write_read!(19, 1, ONES, 0),
        write_read!(19, 2, ONES, 0),
        write_read!(19, 3, ONES, 0),
        write_read!(19, 4, ONES, 0),
        write_read!(19, 5, ONES, 0),
        write_read!(19, 6, ONES, 0),
    ];
    for value in lo {
        eq("WatchLo1-6 after writing ones", value, 0xFFFF_FFF8)?;
    }
    for value in hi {
        eq("WatchHi1-6 after writing ones (M set)", value, 0xC0FF_0FF8)?;
    }
    Ok(())
}

fn tag_data_selects() -> Outcome {
    let tag_lo = [write_read!(28, 2, ONES, 0), write_read!(28, 4, ONES, 0), write_read!(28, 6, ONES, 0)];
    let data_lo = [write_read!(28, 3, ONES, 0), write_read!(28, 5, ONES, 0), write_read!(28, 7, ONES, 0)];
    let tag_hi = [write_read!(29, 2, ONES, 0), write_read!(29, 4, ONES, 0), write_read!(29, 6, ONES, 0)];
    let data_hi = [write_read!(29, 3, ONES, 0), write_read!(29, 5, ONES, 0), write_read!(29, 7, ONES, 0)];
    for value in tag_lo {
        eq("TagLo (sel 2/4/6) after writing ones", value, 0xFFFF_FCF6)?;
    }
    for value in data_lo.into_iter().chain(tag_hi).chain(data_hi) {
        eq("DataLo/TagHi/DataHi after writing ones", value, ONES)?;
    }
    Ok(())
}

fn perf_errctl() -> Outcome {
    mtc0!(25, 0, ONES);
    let perf = mfc0!(25, 0);
    mtc0!(25, 0, 0);
    mtc0!(26, 0, ONES);
    let errctl = mfc0!(26, 0);
    mtc0!(26, 0, 0);
    eq("PerfCtl0 after writing ones", perf, 0x7FF)?;
    eq("ErrCtl after writing ones", errctl, 0x3000_0000)?;
    mtc0!(21, 0, 0x1357_9BDF);
    let framemask = mfc0!(21, 0);
    mtc0!(21, 0, 0);
    eq("Framemask", framemask, 0x1357_9BDF)
}

fn cache_regs() -> Outcome {
    mtc0!(28, 0, ONES);
    mtc0!(28, 1, ONES);
    mtc0!(29, 0, 0x1234_5678);
    mtc0!(29, 1, 0x9ABC_DEF0);
    let (taglo, datalo, taghi, datahi) = (mfc0!(28, 0), mfc0!(28, 1), mfc0!(29, 0), mfc0!(29, 1));
    mtc0!(28, 0, 0);
    mtc0!(28, 1, 0);
    mtc0!(29, 0, 0);
    mtc0!(29, 1, 0);
    eq("TagLo after writing ones", taglo, 0xFFFF_FCF6)?;
    eq("DataLo after writing ones", datalo, ONES)?;
    eq("TagHi", taghi, 0x1234_5678)?;
    eq("DataHi", datahi, 0x9ABC_DEF0)
}

fn debug_regs() -> Outcome {
    eq("Debug (not in debug mode)", mfc0!(23, 0), 0x0200_8000)?;
    mtc0!(24, 0, 0x1111_2222);
    mtc0!(31, 0, 0x3333_4444);
    eq("DEPC", mfc0!(24, 0), 0x1111_2222)?;
    eq("DESAVE", mfc0!(31, 0), 0x3333_4444)
}

fn read_as_zero() -> Outcome {
    mtc0!(22, 0, ONES);
    mtc0!(27, 0, ONES);
    mtc0!(6, 1, ONES);
    eq("Diagnostic", mfc0!(22, 0), 0)?;
    eq("CacheErr", mfc0!(27, 0), 0)?;
    mtc0!(16, 5, ONES);
    eq("SRSConf0", mfc0!(6, 1), 0)?;
    eq("SRSConf1", mfc0!(6, 2), 0)?;
    eq("SRSConf2", mfc0!(6, 3), 0)?;
    eq("SRSConf3", mfc0!(6, 4), 0)?;
    eq("SRSConf4", mfc0!(6, 5), 0)?;
    eq("Config4", mfc0!(16, 4), 0)?;
    eq("Config5", mfc0!(16, 5), 0)?;
    eq("Config6", mfc0!(16, 6), 0)?;
    eq("Config7", mfc0!(16, 7), 0)
}

fn unlisted() -> Outcome {
    mtc0!(4, 2, 0);
    mtc0!(20, 0, 0);
    eq("UserLocal (4,2)", mfc0!(4, 2), ONES)?;
    eq("(20,0)", mfc0!(20, 0), ONES)?;
    eq("KScratch (31,2)", mfc0!(31, 2), ONES)?;
    eq("PerfCnt0 (25,1)", mfc0!(25, 1), ONES)?;
    eq("(0,1)", mfc0!(0, 1), ONES)?;
    eq("(9,7)", mfc0!(9, 7), ONES)
}

fn pw_ri() -> Outcome {
    for sel in 0..2 {
        let (at, trap) = if sel == 0 {
            provoke!(["mfc0 {v}, $5, 5"], v = out(reg) _)
        } else {
            provoke!(["mtc0 $zero, $6, 6"])
        };
        let trap = expect(trap, vec::GENERAL, code::RI)?;
        eq("EPC = the PW access", trap.epc, at)?;
    }
    Ok(())
}
