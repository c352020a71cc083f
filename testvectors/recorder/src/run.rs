//! The recording loop: input parsing, state dumps and the output protocol.
use crate::arch::{self, CTX_WORDS, HI, LO, OUTCOME};

/// The dump layout, shared with `testvectors::recording` (which has the
/// same constants): GPRs, HI, LO, outcome, entry PC, CP0 (rd * 8 + sel),
/// TLB (entry * 4 + EntryHi, EntryLo0, EntryLo1, PageMask).
const S_OUTCOME: usize = 34;
const S_ENTRY: usize = 35;
const S_CP0: usize = 36;
const S_TLB: usize = S_CP0 + 256;
const SLOTS: usize = S_TLB + 64;

const MAGIC: u32 = 0x5443_4556;
/// The landing pad: one 4 KiB page of `jalr k0, k1; nop` pairs at physical
/// 0x0040_0000 (also mapped at user VA 0x0040_0000 by the vectors that run
/// in user mode). Tests run at offset 0x800.
const PAD: u32 = 0x8040_0000;
const JALR_K0_K1: u32 = (27 << 21) | (26 << 11) | 0x09;

/// CP0 registers the dump never reads: Random (reading it advances QEMU's
/// LCG) and PWBase/PWField/PWSize/PWCtl (reading them raises RI).
fn skipped(rd: usize, sel: usize) -> bool {
    matches!((rd, sel), (1, 0) | (5, 5) | (5, 6) | (5, 7) | (6, 6))
}

fn dump_cp0(state: &mut [u32; SLOTS]) {
    for rd in 0..32 {
        for sel in 0..8 {
            if !skipped(rd, sel) {
                state[S_CP0 + rd * 8 + sel] = arch::read_cp0(rd, sel);
            }
        }
    }
}

fn dump_tlb(state: &mut [u32; SLOTS]) {
    for i in 0..16 {
        arch::write_cp0(0, 0, i as u32);
        arch::tlbr();
        let e = &mut state[S_TLB + i * 4..S_TLB + i * 4 + 4];
        e[0] = arch::read_cp0(10, 0);
        e[1] = arch::read_cp0(2, 0);
        e[2] = arch::read_cp0(3, 0);
        e[3] = arch::read_cp0(5, 0);
    }
}

fn print(s: &[u8]) {
    for &c in s {
        arch::putc(c);
    }
}

fn print_hex(v: u32) {
    let mut started = false;
    for shift in (0..8).rev() {
        let d = (v >> (shift * 4)) & 0xF;
        if d != 0 || started || shift == 0 {
            started = true;
            arch::putc(b"0123456789abcdef"[d as usize]);
        }
    }
}

/// Prints ` slot:value` for every slot that differs from `last`, then
/// updates `last`.
fn print_changes(last: &mut [u32; SLOTS], now: &[u32; SLOTS]) {
    for i in 0..SLOTS {
        if last[i] != now[i] {
            arch::putc(b' ');
            print_hex(i as u32);
            arch::putc(b':');
            print_hex(now[i]);
            last[i] = now[i];
        }
    }
}

pub fn report_unexpected(epc: u32, cause: u32, badvaddr: u32) -> ! {
    print(b"\nUNEXPECTED epc=");
    print_hex(epc);
    print(b" cause=");
    print_hex(cause);
    print(b" badvaddr=");
    print_hex(badvaddr);
    print(b"\n");
    arch::halt()
}

#[no_mangle]
extern "C" fn recorder_main() -> ! {
    arch::mask_pic();
    // Freeze Count (Cause.DC) so it is deterministic and never fires the timer.
    arch::write_cp0(13, 0, 1 << 27);
    arch::write_cp0(15, 1, 0x8010_0000);
    for i in 0..512 {
        arch::poke(PAD + i * 8, JALR_K0_K1);
        arch::poke(PAD + i * 8 + 4, 0);
    }
    let input = arch::input();
    if input.len() < 3 || input[0] != MAGIC {
        print(b"\nNO INPUT\n");
        arch::halt();
    }
    print(b"\nLAND ");
    print_hex(arch::land_address());
    print(b"\nBEGIN ");
    print_hex(input[2]);
    print(b"\n");
    let mut last = [0u32; SLOTS];
    let mut at = 3;
    for _ in 0..input[2] {
        let len = input[at] as usize;
        run_vector(&input[at..at + len], &mut last);
        at += len;
    }
    print(b"END\n");
    arch::halt()
}

/// Record layout: len, flags (bit 0: enter through eret), entry PC, the
/// words at pad+0x800 and pad+0x804, 32 GPRs, HI, LO, TLB count, TLB
/// entries (index, EntryHi, EntryLo0, EntryLo1, PageMask), CP0 write count,
/// CP0 writes (rd * 8 + sel, value) in order.
fn run_vector(rec: &[u32], last: &mut [u32; SLOTS]) {
    // Whatever the previous test left in Status, no interrupt may be taken
    // while this one is set up.
    arch::write_cp0(12, 0, 0);
    let via_eret = rec[1] & 1 != 0;
    let entry = rec[2];
    arch::poke(PAD + 0x800, rec[3]);
    arch::poke(PAD + 0x804, rec[4]);
    arch::sync_icache(PAD + 0x800);
    let mut ctx = [0u32; CTX_WORDS];
    ctx[..32].copy_from_slice(&rec[5..37]);
    ctx[HI] = rec[37];
    ctx[LO] = rec[38];
    ctx[26] = entry;
    ctx[27] = arch::land_address();
    let mut at = 39;
    let n_tlb = rec[at] as usize;
    at += 1;
    for _ in 0..n_tlb {
        let e = &rec[at..at + 5];
        arch::write_cp0(0, 0, e[0]);
        arch::write_cp0(10, 0, e[1]);
        arch::write_cp0(2, 0, e[2]);
        arch::write_cp0(3, 0, e[3]);
        arch::write_cp0(5, 0, e[4]);
        arch::tlbwi();
        at += 5;
    }
    let mut pre = [0u32; SLOTS];
    dump_tlb(&mut pre);
    let n_cp0 = rec[at] as usize;
    at += 1;
    for _ in 0..n_cp0 {
        let (reg, value) = (rec[at] as usize, rec[at + 1]);
        arch::write_cp0(reg / 8, reg % 8, value);
        at += 2;
    }
    dump_cp0(&mut pre);
    pre[..CTX_WORDS].copy_from_slice(&ctx);
    pre[S_OUTCOME] = 0;
    pre[S_ENTRY] = entry;

    let out = arch::run_test(&ctx, via_eret);

    let mut post = [0u32; SLOTS];
    dump_cp0(&mut post);
    dump_tlb(&mut post);
    post[..CTX_WORDS].copy_from_slice(&out);
    post[S_ENTRY] = entry;
    debug_assert_eq!(OUTCOME, S_OUTCOME);
    arch::putc(b'V');
    print_changes(last, &pre);
    print(b" |");
    print_changes(last, &post);
    arch::putc(b'\n');
}
