//! A fixed-capacity FIFO of bytes, no allocation: the UART's FIFOs, the
//! virtual serial port's input queue and its output history.

/// A FIFO of at most `N` bytes.
#[derive(Clone, Debug)]
pub struct ByteRing<const N: usize> {
    buf: [u8; N],
    /// Index of the oldest byte.
    head: usize,
    len: usize,
}

impl<const N: usize> Default for ByteRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ByteRing<N> {
    pub const fn new() -> Self {
        ByteRing { buf: [0; N], head: 0, len: 0 }
    }

    pub const fn capacity(&self) -> usize {
        N
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Appends `byte`; `false` (and nothing stored) when full.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.len == N {
            return false;
        }
        self.buf[(self.head + self.len) % N] = byte;
        self.len += 1;
        true
    }

    /// Appends `byte`, dropping the oldest byte when full.
    pub fn push_overwrite(&mut self, byte: u8) {
        if N == 0 {
            return;
        }
        if self.len == N {
            self.head = (self.head + 1) % N;
            self.len -= 1;
        }
        self.push(byte);
    }

    /// Removes and returns the oldest byte.
    pub fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.buf[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(byte)
    }

    /// The bytes, oldest first, without removing them.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..self.len).map(move |i| self.buf[(self.head + i) % N])
    }

    /// The newest `n` bytes (all of them if fewer), oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = u8> + '_ {
        (self.len.saturating_sub(n)..self.len).map(move |i| self.buf[(self.head + i) % N])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_capacity_and_wrap() {
        let mut r = ByteRing::<3>::new();
        assert!(r.is_empty() && r.pop().is_none());
        assert!(r.push(1) && r.push(2) && r.push(3));
        assert!(r.is_full() && !r.push(4));
        assert_eq!(r.pop(), Some(1));
        assert!(r.push(4));
        assert_eq!(r.iter().collect::<Vec<_>>(), [2, 3, 4]);
        r.push_overwrite(5);
        assert_eq!(r.iter().collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(r.tail(2).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(r.tail(7).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!((r.pop(), r.pop(), r.pop(), r.pop()), (Some(3), Some(4), Some(5), None));
        r.push(9);
        r.clear();
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn zero_capacity_never_panics() {
        let mut r = ByteRing::<0>::new();
        assert!(!r.push(1));
        r.push_overwrite(1);
        assert_eq!(r.pop(), None);
    }
}
