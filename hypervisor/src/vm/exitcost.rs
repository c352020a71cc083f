//! What each guest exit costs the host: Count ticks from the exception
//! entry to the `eret` back into the guest, per exit reason, kept in a
//! fixed-size histogram (no heap), reported as median and 99th percentile.
//!
//! The image samples Count as `exception_entry` starts and again just
//! before `world::enter` re-enters the same guest; an exit that ends the
//! guest's turn (its time slice, a WAIT, a power-off) is not sampled. The
//! register save in the vectors and the restore in `vcpu_enter` lie
//! outside that window (a fixed number of instructions, which `cargo
//! xtask bench` counts in the image and adds). Under QEMU's
//! `-icount shift=0` a tick is a fixed number of host instructions (6 on
//! Malta), so the figures are deterministic.

use crate::vm::vcpu::ExitReason;
use core::fmt;

/// Bins one tick wide, for 0 ..< FINE ticks.
pub const FINE: u32 = 512;
/// Then bins `COARSE_WIDTH` ticks wide up to `FINE + COARSE * COARSE_WIDTH`.
pub const COARSE: u32 = 120;
pub const COARSE_WIDTH: u32 = 32;
/// Last bin: everything above (reported as the largest sample).
const BINS: usize = (FINE + COARSE + 1) as usize;

/// A distribution of tick counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Histogram {
    bins: [u32; BINS],
    samples: u64,
    max: u32,
}

impl Histogram {
    pub const EMPTY: Histogram = Histogram { bins: [0; BINS], samples: 0, max: 0 };

    fn bin(ticks: u32) -> usize {
        if ticks < FINE {
            ticks as usize
        } else {
            (FINE + ((ticks - FINE) / COARSE_WIDTH).min(COARSE)) as usize
        }
    }

    /// The value a bin stands for: its tick count, or a coarse bin's middle.
    fn value(&self, bin: usize) -> u32 {
        let bin = bin as u32;
        if bin < FINE {
            bin
        } else if bin < FINE + COARSE {
            FINE + (bin - FINE) * COARSE_WIDTH + COARSE_WIDTH / 2
        } else {
            self.max
        }
    }

    pub fn record(&mut self, ticks: u32) {
        let bin = &mut self.bins[Self::bin(ticks)];
        *bin = bin.saturating_add(1);
        self.samples += 1;
        self.max = self.max.max(ticks);
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The smallest value with at least `percent`% of the samples at or
    /// below it (nearest rank); `None` without samples.
    pub fn percentile(&self, percent: u32) -> Option<u32> {
        if self.samples == 0 {
            return None;
        }
        let rank = (self.samples * u64::from(percent)).div_ceil(100).max(1);
        let mut seen = 0u64;
        for (bin, &n) in self.bins.iter().enumerate() {
            seen += u64::from(n);
            if seen >= rank {
                return Some(self.value(bin).min(self.max));
            }
        }
        Some(self.max)
    }
}

/// One histogram per exit reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitCosts {
    per_reason: [Histogram; ExitReason::ALL.len()],
}

impl Default for ExitCosts {
    fn default() -> Self {
        Self::new()
    }
}

impl ExitCosts {
    pub const fn new() -> Self {
        Self { per_reason: [Histogram::EMPTY; ExitReason::ALL.len()] }
    }

    pub fn record(&mut self, reason: ExitReason, ticks: u32) {
        self.per_reason[reason as usize].record(ticks);
    }

    pub fn get(&self, reason: ExitReason) -> &Histogram {
        &self.per_reason[reason as usize]
    }

    /// One line per sampled reason:
    /// `  exit cost: NAME: n N, median M, p99 P ticks`.
    pub fn write(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        for reason in ExitReason::ALL {
            let h = self.get(reason);
            if let (Some(median), Some(p99)) = (h.percentile(50), h.percentile(99)) {
                writeln!(out, "  exit cost: {}: n {}, median {median}, p99 {p99} ticks", reason.name(), h.samples())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_has_no_percentiles() {
        assert_eq!(Histogram::EMPTY.percentile(50), None);
        let mut out = String::new();
        ExitCosts::new().write(&mut out).unwrap();
        assert_eq!(out, "");
    }

    #[test]
    fn fine_bins_are_exact() {
        let mut h = Histogram::EMPTY;
        for t in 1..=100 {
            h.record(t);
        }
        assert_eq!(h.samples(), 100);
        assert_eq!(h.percentile(50), Some(50));
        assert_eq!(h.percentile(99), Some(99));
        assert_eq!(h.percentile(100), Some(100));
        assert_eq!(h.percentile(0), Some(1));
    }

    #[test]
    fn coarse_bins_and_overflow() {
        let mut h = Histogram::EMPTY;
        h.record(FINE + 5);
        assert_eq!(h.percentile(50), Some(FINE + 5), "capped at the largest sample");
        h.record(FINE + 40);
        h.record(FINE + 41);
        h.record(FINE + 100);
        assert_eq!(h.percentile(50), Some(FINE + COARSE_WIDTH + COARSE_WIDTH / 2), "a coarse bin's middle");
        assert_eq!(h.percentile(99), Some(FINE + 100), "capped at the largest sample");
        let mut h = Histogram::EMPTY;
        h.record(1_000_000);
        h.record(7);
        assert_eq!(h.percentile(99), Some(1_000_000));
        assert_eq!(h.percentile(50), Some(7));
    }

    #[test]
    fn report_lines() {
        let mut costs = ExitCosts::new();
        for t in [280, 281, 282] {
            costs.record(ExitReason::Privileged, t);
        }
        costs.record(ExitReason::Mmio, 300);
        let mut out = String::new();
        costs.write(&mut out).unwrap();
        assert_eq!(
            out,
            "  exit cost: privileged (emulated): n 3, median 281, p99 282 ticks\n  exit cost: MMIO: n 1, median 300, p99 300 ticks\n"
        );
    }
}
