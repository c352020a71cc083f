//! Text formatted on the stack, without allocating.

use core::fmt;

/// Up to `N` bytes of formatted text (`write!` into it); what does not fit
/// is left out, at a character boundary.
pub struct TextBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        TextBuf { bytes: [0; N], len: 0 }
    }
}

impl<const N: usize> TextBuf<N> {
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let end = self.len + c.len_utf8();
            let Some(slot) = self.bytes.get_mut(self.len..end) else { break };
            c.encode_utf8(slot);
            self.len = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn keeps_what_fits_whole() {
        let mut t = TextBuf::<6>::default();
        let _ = write!(t, "ab{}", 12);
        assert_eq!(t.as_str(), "ab12");
        let _ = write!(t, "éé");
        assert_eq!(t.as_str(), "ab12é", "the second é does not fit");
    }
}
