//! Thread stack accounting. The target fills every thread's stack with
//! [`PATTERN`] when the thread is spawned; the deepest word no longer
//! holding it is the stack's high-water mark. The lowest [`GUARD_WORDS`]
//! words must still hold it at every thread switch: a thread that reached
//! them is reported and the machine halts.

use core::fmt;

/// What an unused stack word holds.
pub const PATTERN: u32 = 0x57AC_CA11;

/// Words at the bottom of every stack that must keep the pattern (checked
/// at each switch; 256 bytes, so a frame that skips a few words below the
/// last one it wrote is still caught).
pub const GUARD_WORDS: usize = 64;

/// Bytes of a `size`-byte stack in use at its deepest so far, from its
/// words read from the bottom (lowest address) up: everything above the
/// run of untouched words at the bottom.
pub fn high_water(words_from_bottom: impl Iterator<Item = u32>, size: usize) -> usize {
    let untouched = words_from_bottom.take_while(|&w| w == PATTERN).count();
    size.saturating_sub(untouched * 4)
}

/// A stack's high-water mark and size, printed `3.1/16 KiB` (the used
/// part rounded up to a tenth of a KiB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackUse {
    pub used: usize,
    pub size: usize,
}

impl fmt::Display for StackUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (self.used * 10).div_ceil(1024);
        write!(f, "{}.{}/{} KiB", tenths / 10, tenths % 10, self.size / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_water_counts_from_the_first_touched_word() {
        let mut stack = [PATTERN; 16];
        assert_eq!(high_water(stack.iter().copied(), 64), 0);
        stack[15] = 0;
        assert_eq!(high_water(stack.iter().copied(), 64), 4);
        // A word skipped above the deepest one written still counts as used.
        stack[9] = 1;
        assert_eq!(high_water(stack.iter().copied(), 64), 28);
        stack[0] = 7;
        assert_eq!(high_water(stack.iter().copied(), 64), 64);
    }

    #[test]
    fn display_rounds_up_to_a_tenth() {
        assert_eq!(StackUse { used: 0, size: 16384 }.to_string(), "0.0/16 KiB");
        assert_eq!(StackUse { used: 3174, size: 16384 }.to_string(), "3.1/16 KiB");
        assert_eq!(StackUse { used: 3175, size: 16384 }.to_string(), "3.2/16 KiB");
        assert_eq!(StackUse { used: 16384, size: 16384 }.to_string(), "16.0/16 KiB");
    }
}
