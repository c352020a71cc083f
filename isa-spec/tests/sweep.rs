//! The exhaustive sweep over all 2^32 words (ignored by default; run it with
//! `cargo test --release -p isa-spec --test sweep -- --ignored`): no panic;
//! every word the CPU decodes re-encodes to itself (bits the CPU ignores read
//! as zero) and decodes again to the same instruction; every word objdump's
//! view decodes re-encodes exactly; the disassembler formats every word.
use core::fmt::Write;
use isa_spec::{decode, decode_objdump, disassemble};

/// A `fmt::Write` sink that only counts bytes.
struct Count(usize);
impl Write for Count {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

fn sweep(range: core::ops::Range<u64>) -> (u64, u64) {
    let (mut cpu, mut text_bytes) = (0u64, 0u64);
    let mut sink = Count(0);
    for w in range {
        let w = w as u32;
        if let Ok(i) = decode(w) {
            cpu += 1;
            let e = i.encode();
            assert_eq!(e, w & !i.ignored_bits(), "{w:08x}: {i:?} re-encodes to {e:08x}");
            assert_eq!(decode(e), Ok(i), "{w:08x}: {e:08x} decodes differently");
        }
        if let Some(i) = decode_objdump(w) {
            assert_eq!(i.encode(), w, "{w:08x}: objdump view {i:?} re-encodes differently");
        }
        sink.0 = 0;
        write!(sink, "{}", disassemble(w, w & !3, w & 1 == 0)).expect("formatting cannot fail");
        assert!(sink.0 > 0);
        text_bytes += sink.0 as u64;
    }
    (cpu, text_bytes)
}

#[test]
#[ignore = "4 billion words: run in release mode"]
fn all_words() {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(2) as u64;
    let chunk = (1u64 << 32) / threads;
    let handles: Vec<_> = (0..threads).map(|t| std::thread::spawn(move || sweep(t * chunk..(t + 1) * chunk))).collect();
    let mut cpu = 0;
    for h in handles {
        cpu += h.join().expect("sweep thread").0;
    }
    eprintln!("{cpu} of 2^32 words decode as 24Kf instructions");
}

#[test]
fn a_slice_of_the_sweep() {
    // A quick sample of the same checks on every 65537th word.
    let mut w = 0u64;
    while w < (1 << 32) {
        sweep(w..w + 1);
        w += 65_537;
    }
}
