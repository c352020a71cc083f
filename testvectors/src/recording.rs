//! Turns the recorder's output into vectors: rebuilds each dump, works out
//! the PC after the test, applies the documented masks, and mirrors QEMU's
//! Random LCG.
use crate::input::{Input, PAD_KERNEL, PAD_USER};
use crate::state::{self, State, BADVADDR, CAUSE, CONTEXT, ENTRYHI, COUNT, EBASE, EPC, LCG_PREV, LCG_SEED, PC, STATUS, WIRED};
use crate::vector::Vector;

/// The recorder's dump layout (see `recorder/src/run.rs`).
const R_OUTCOME: usize = 34;
const R_ENTRY: usize = 35;
const R_CP0: usize = 36;
const R_TLB: usize = R_CP0 + 256;
const R_SLOTS: usize = R_TLB + 64;

/// Outcome codes: an exception vector offset from EBase, 0x1000 + the
/// boot-ROM offset under BEV=1, or landed.
const LANDED: u32 = 0xFFFF;
const BEV: u32 = 0x1000;

const EXC_ADEL: u32 = 4;
/// Cause.BD and Cause.ExcCode.
const CAUSE_BD_EXCCODE: u32 = 0x8000_007C;

/// QEMU's `cpu_mips_get_random` (16 TLB entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lcg {
    pub seed: u32,
    pub prev: u32,
}

impl Lcg {
    pub const RESET: Lcg = Lcg { seed: 1, prev: 0 };

    pub fn next(&mut self, wired: u32) -> u32 {
        let count = 16 - wired % 16;
        if count == 1 {
            return 15;
        }
        loop {
            self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let index = (self.seed >> 16) % count + wired % 16;
            if index != self.prev {
                self.prev = index;
                return index;
            }
        }
    }
}

/// `mfc0 rt, Random` with rt != 0, or `tlbwr`: the words that draw from the LCG.
pub fn draws_random(word: u32) -> Option<Option<u8>> {
    let is_mfc0 = word & 0xFFE0_0000 == 0x4000_0000;
    let rt = ((word >> 16) & 31) as u8;
    if is_mfc0 && (word >> 11) & 31 == 1 && word & 7 == 0 && rt != 0 {
        return Some(Some(rt));
    }
    (word & 0xFFE0_003F == 0x4200_0006).then_some(None)
}

/// Branch-likely encodings (their slot is annulled when not taken).
fn is_likely(word: u32) -> bool {
    let op = word >> 26;
    let rt = (word >> 16) & 31;
    matches!(op, 0x14..=0x17) || (op == 1 && matches!(rt, 2 | 3 | 0x12 | 0x13)) || (matches!(op, 0x11 | 0x12) && (word >> 21) & 31 == 8 && word & (1 << 17) != 0)
}

struct Raw {
    land: u32,
    dumps: Vec<([u32; R_SLOTS], [u32; R_SLOTS])>,
}

fn parse_output(output: &str) -> Result<Raw, String> {
    let mut land = None;
    let mut last = [0u32; R_SLOTS];
    let mut dumps = Vec::new();
    let mut ended = false;
    for line in output.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("LAND ") {
            land = Some(u32::from_str_radix(rest.trim(), 16).map_err(|e| format!("LAND: {e}"))?);
        } else if line.starts_with("UNEXPECTED") || line.starts_with("PANIC") || line.starts_with("NO INPUT") {
            return Err(format!("recorder after {} vectors: {line}", dumps.len()));
        } else if line == "END" {
            ended = true;
        } else if let Some(rest) = line.strip_prefix('V') {
            let (pre_s, post_s) = rest.split_once('|').ok_or("V line without |")?;
            let mut apply = |s: &str| -> Result<[u32; R_SLOTS], String> {
                for pair in s.split_whitespace() {
                    let (i, v) = pair.split_once(':').ok_or(format!("bad pair {pair}"))?;
                    let i = usize::from_str_radix(i, 16).map_err(|e| format!("{pair}: {e}"))?;
                    let v = u32::from_str_radix(v, 16).map_err(|e| format!("{pair}: {e}"))?;
                    *last.get_mut(i).ok_or(format!("slot {i} out of range"))? = v;
                }
                Ok(last)
            };
            let pre = apply(pre_s)?;
            let post = apply(post_s)?;
            dumps.push((pre, post));
        }
    }
    if !ended {
        return Err(format!("recorder output ends after {} vectors without END", dumps.len()));
    }
    Ok(Raw { land: land.ok_or("no LAND line")?, dumps })
}

fn to_state(raw: &[u32; R_SLOTS]) -> State {
    let mut s = State::default();
    s.0[..34].copy_from_slice(&raw[..34]);
    s.0[state::CP0..state::CP0 + 256].copy_from_slice(&raw[R_CP0..R_CP0 + 256]);
    s.0[state::TLB..state::TLB + 64].copy_from_slice(&raw[R_TLB..R_TLB + 64]);
    s
}

/// Builds the vectors from the inputs and the recorder's output, in order.
pub fn interpret(inputs: &[Input], output: &str) -> Result<Vec<Vector>, String> {
    let raw = parse_output(output)?;
    if raw.dumps.len() != inputs.len() {
        return Err(format!("recorder ran {} of {} vectors", raw.dumps.len(), inputs.len()));
    }
    let mut lcg = Lcg::RESET;
    let mut vectors = Vec::with_capacity(inputs.len());
    for (input, (pre_raw, post_raw)) in inputs.iter().zip(&raw.dumps) {
        let v = one(input, pre_raw, post_raw, raw.land, &mut lcg).map_err(|e| format!("vector {}/{}: {e}", input.category, input.name))?;
        vectors.push(v);
    }
    Ok(vectors)
}

fn one(input: &Input, pre_raw: &[u32; R_SLOTS], post_raw: &[u32; R_SLOTS], land: u32, lcg: &mut Lcg) -> Result<Vector, String> {
    let entry = pre_raw[R_ENTRY];
    let outcome = post_raw[R_OUTCOME];
    let mut pre = to_state(pre_raw);
    let mut post = to_state(post_raw);
    pre.0[PC] = entry;
    if input.via_eret {
        // The setup left EXL set for the ERET that enters the test, and
        // ERET clears it (and the LL bit, which LLAddr does not show).
        pre.0[STATUS] &= !0x2;
    }
    let mut masks = Vec::new();

    let exc_code = (post.0[CAUSE] >> 2) & 31;
    let user_mode_after = |s: &State| s.0[STATUS] & 0x18 != 0;
    // Where the test ended, and whether the test itself raised an exception.
    let test_exception = match outcome {
        LANDED => {
            post.0[PC] = post.0[26].wrapping_sub(8);
            false
        }
        0 | 0x100 | 0x180 | 0x200 | 0x1200 | 0x1300 | 0x1380 | 0x1400 | 0x1480 => {
            let epc = post.0[EPC];
            let exit_fault = exc_code == EXC_ADEL && post.0[BADVADDR] == epc && epc != entry && user_mode_after(&post);
            if exc_code == EXC_ADEL && epc == land {
                // The pad's jump back to the recorder, from user or
                // supervisor mode: k0 holds the landing address + 8.
                post.0[PC] = post.0[26].wrapping_sub(8);
            } else if exit_fault {
                // The test left kernel mode and the next fetch (KSEG0) faulted.
                post.0[PC] = epc;
            } else if outcome >= BEV {
                post.0[PC] = 0xBFC0_0000 + (outcome - BEV);
            } else {
                let base = post.0[EBASE] & 0xFFFF_F000;
                post.0[PC] = if outcome == 0x100 { (base & 0x1FFF_FFFF) | 0xA000_0000 } else { base } + outcome;
            }
            if exc_code == EXC_ADEL && (epc == land || exit_fault) {
                // That fault was the recorder's, not the test's: EXL was 0
                // (the CPU was not in kernel mode), the rest is lost.
                post.0[STATUS] &= !0x2;
                masks.push((EPC, 0xFFFF_FFFF));
                masks.push((BADVADDR, 0xFFFF_FFFF));
                masks.push((CAUSE, CAUSE_BD_EXCCODE));
                // QEMU's address errors also load Context.BadVPN2 and EntryHi.VPN2.
                masks.push((CONTEXT, 0x007F_FFF0));
                masks.push((ENTRYHI, 0xFFFF_E000));
                false
            } else {
                true
            }
        }
        other => return Err(format!("unknown outcome {other:#x}")),
    };

    // Every landing is on the pad (the generator keeps targets there).
    let on_pad = |pc: u32| [PAD_KERNEL, PAD_USER].iter().any(|&pad| (pad..pad + 0x1000).contains(&pc));
    if !test_exception && !on_pad(post.0[PC]) {
        return Err(format!("landed at {:#010x}, outside the pad", post.0[PC]));
    }
    if test_exception && post.0[EPC] != pre.0[EPC] && !on_pad(post.0[EPC]) {
        return Err(format!("exception at {:#010x}, outside the pad", post.0[EPC]));
    }

    // Count only runs (and so is only deterministic) while Cause.DC = 0.
    // The file keeps the value the setup wrote, so that recording twice
    // gives the same bytes.
    if pre.0[CAUSE] & (1 << 27) == 0 || post.0[CAUSE] & (1 << 27) == 0 {
        masks.push((COUNT, 0xFFFF_FFFF));
        let written = input.cp0_value(9, 0).unwrap_or(0);
        pre.0[COUNT] = written;
        post.0[COUNT] = written;
    }

    // Mirror QEMU's LCG: the test word draws unless it raised an exception;
    // a slot draws unless anything trapped or a likely branch annulled it.
    pre.0[LCG_SEED] = lcg.seed;
    pre.0[LCG_PREV] = lcg.prev;
    let wired = pre.0[WIRED];
    if let Some(rt) = draws_random(input.word) {
        if !test_exception {
            let value = lcg.next(wired);
            if let Some(rt) = rt {
                if post.0[usize::from(rt)] != value {
                    return Err(format!("Random mirror: QEMU returned {} but the mirror {value}", post.0[usize::from(rt)]));
                }
            }
        }
    }
    if let Some(slot) = input.slot {
        let annulled = is_likely(input.word) && post.0[PC] == entry + 8;
        if draws_random(slot).is_some() && !test_exception && !annulled {
            lcg.next(wired);
        }
    }
    post.0[LCG_SEED] = lcg.seed;
    post.0[LCG_PREV] = lcg.prev;

    // k0/k1 are the recorder's; k0 told where the test landed (above).
    post.0[26] = pre.0[26];
    post.0[27] = pre.0[27];
    Ok(Vector { name: input.name.clone(), word: input.word, slot: input.slot, pre, post, masks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enc;
    use crate::input::{Input, PAD_KERNEL};

    #[test]
    fn lcg_matches_qemu_first_draws() {
        // The first Random values QEMU returns after start with Wired = 0.
        let mut lcg = Lcg::RESET;
        let draws: Vec<u32> = (0..5).map(|_| lcg.next(0)).collect();
        assert_eq!(draws, [6, 14, 1, 11, 2]);
        // Wired = 15 leaves one entry: no draw.
        let before = lcg;
        assert_eq!(lcg.next(15), 15);
        assert_eq!(lcg, before);
    }

    #[test]
    fn which_words_draw_and_which_branches_are_likely() {
        assert_eq!(draws_random(enc::mfc0(5, 1, 0)), Some(Some(5)));
        assert_eq!(draws_random(enc::mfc0(0, 1, 0)), None);
        assert_eq!(draws_random(enc::mfc0(5, 1, 1)), None);
        assert_eq!(draws_random(enc::TLBWR), Some(None));
        assert_eq!(draws_random(enc::TLBWI), None);
        for &(name, base, uses_rt, likely, _) in enc::BRANCHES {
            let rt = if uses_rt { 2 } else { 0 };
            assert_eq!(is_likely(enc::branch(base, 1, rt, 3)), likely, "{name}");
        }
        assert!(is_likely(enc::bc(1, 0, 1, 1, 3)));
        assert!(!is_likely(enc::bc(1, 0, 1, 0, 3)));
    }

    /// A dump line as the recorder prints it: changes as `slot:value`.
    fn line(pre: &[(usize, u32)], post: &[(usize, u32)]) -> String {
        let f = |c: &[(usize, u32)]| c.iter().map(|(i, v)| format!(" {i:x}:{v:x}")).collect::<String>();
        format!("V{} |{}\n", f(pre), f(post))
    }

    #[test]
    fn outcomes_become_pcs_and_masks() {
        let land: u32 = 0x8010_0368;
        let entry = PAD_KERNEL + 0x804;
        let status = R_CP0 + 12 * 8;
        let cause = R_CP0 + 13 * 8;
        let epc = R_CP0 + 14 * 8;
        let badvaddr = R_CP0 + 8 * 8;
        let ebase = R_CP0 + 15 * 8 + 1;
        let dc = 1 << 27;
        let inputs = vec![Input::new("t", "landed", 0), Input::new("t", "ri", enc::RESERVED), Input::new("t", "to_user", 0)];
        let mut out = format!("LAND {land:x}\nBEGIN 3\n");
        // Landed at entry + 4: k0 = entry + 12.
        out += &line(&[(R_ENTRY, entry), (ebase, 0x8010_0000), (cause, dc)], &[(26, entry + 12), (R_OUTCOME, LANDED)]);
        // Reserved instruction: general exception vector.
        out += &line(&[(R_OUTCOME, 0)], &[(R_OUTCOME, 0x180), (epc, entry), (cause, dc | 10 << 2), (status, 2)]);
        // The test switched to user mode; the fetch of entry + 4 faulted.
        out += &line(
            &[(R_OUTCOME, 0), (epc, 0), (cause, dc), (status, 0)],
            &[(R_OUTCOME, 0x180), (epc, entry + 4), (badvaddr, entry + 4), (cause, dc | 4 << 2), (status, 0x12)],
        );
        out += "END\n";
        let v = interpret(&inputs, &out).unwrap();
        assert_eq!(v[0].post.0[PC], entry + 4);
        assert!(v[0].masks.is_empty());
        assert_eq!(v[1].post.0[PC], 0x8010_0180);
        assert!(v[1].masks.is_empty());
        assert_eq!(v[2].post.0[PC], entry + 4);
        assert_eq!(v[2].post.0[STATUS], 0x10, "EXL restored");
        assert!(v[2].masks.contains(&(EPC, 0xFFFF_FFFF)));
        // Count is masked when DC = 0.
        assert!(v[2].masks.iter().all(|m| m.0 != COUNT));
    }

    #[test]
    fn truncated_or_failed_output_is_an_error() {
        let inputs = vec![Input::new("t", "a", 0)];
        assert!(interpret(&inputs, "LAND 0\nBEGIN 1\n").unwrap_err().contains("without END"));
        assert!(interpret(&inputs, "LAND 0\nUNEXPECTED epc=0 cause=0 badvaddr=0\n").unwrap_err().contains("UNEXPECTED"));
        assert!(interpret(&inputs, "LAND 0\nBEGIN 1\nEND\n").unwrap_err().contains("ran 0 of 1"));
    }
}
