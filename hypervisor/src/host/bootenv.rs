//! RAM size from the boot arguments QEMU's Malta `-kernel` loader passes.
//!
//! The loader jumps to the image with `a0 = argc`, `a1 = argv`, `a2 = envp`.
//! `envp` points to a NULL-terminated array of string pointers read as
//! name/value pairs (`"memsize"`, `"134217728"`, `"ememsize"`, …), all inside
//! the boot block at physical 0x2000–0x3040 (KSEG0 0x80002000). `memsize` is
//! the RAM below 256 MiB; `ememsize`, when present, is the whole RAM.

/// Virtual address of the boot block QEMU writes for `-kernel` boots.
pub const BOOT_BLOCK_BASE: u32 = 0x8000_2000;
/// Size of that block in bytes.
pub const BOOT_BLOCK_SIZE: usize = 0x1040;
/// Most environment pointers read before giving up on a missing terminator.
const MAX_ENV_ENTRIES: usize = 64;

/// Why the RAM size could not be read from the boot arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootEnvError {
    /// A pointer (`envp` or an entry) lies outside the boot block.
    PointerOutOfBlock(u32),
    /// A string runs to the end of the block without a NUL.
    UnterminatedString(u32),
    /// The environment has no terminating NULL within `MAX_ENV_ENTRIES`.
    TooManyEntries,
    /// No `memsize` variable.
    NoMemsize,
    /// A size variable is not a decimal number.
    BadNumber(&'static str),
}

impl core::fmt::Display for BootEnvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::PointerOutOfBlock(p) => write!(f, "pointer {p:#010x} outside the boot block"),
            Self::UnterminatedString(p) => write!(f, "string at {p:#010x} has no terminator"),
            Self::TooManyEntries => write!(f, "environment has no end"),
            Self::NoMemsize => write!(f, "no `memsize` in the boot environment"),
            Self::BadNumber(name) => write!(f, "`{name}` is not a decimal number"),
        }
    }
}

/// The boot block, as bytes, with the address it was read from.
pub struct BootBlock<'a> {
    bytes: &'a [u8],
    base: u32,
}

impl<'a> BootBlock<'a> {
    pub fn new(bytes: &'a [u8], base: u32) -> Self {
        Self { bytes, base }
    }

    fn offset(&self, addr: u32, len: usize) -> Result<usize, BootEnvError> {
        let offset = addr.wrapping_sub(self.base) as usize;
        match offset.checked_add(len) {
            Some(end) if addr >= self.base && end <= self.bytes.len() => Ok(offset),
            _ => Err(BootEnvError::PointerOutOfBlock(addr)),
        }
    }

    fn word(&self, addr: u32) -> Result<u32, BootEnvError> {
        let at = self.offset(addr, 4)?;
        let bytes = [self.bytes[at], self.bytes[at + 1], self.bytes[at + 2], self.bytes[at + 3]];
        Ok(u32::from_le_bytes(bytes))
    }

    fn string(&self, addr: u32) -> Result<&'a [u8], BootEnvError> {
        let start = self.offset(addr, 0)?;
        let rest = &self.bytes[start..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(BootEnvError::UnterminatedString(addr))?;
        Ok(&rest[..len])
    }

    /// Looks up environment variable `name` in the array at `envp`.
    pub fn env(&self, envp: u32, name: &str) -> Result<Option<&'a [u8]>, BootEnvError> {
        let mut slot = envp;
        for _ in 0..MAX_ENV_ENTRIES / 2 {
            let name_ptr = self.word(slot)?;
            if name_ptr == 0 {
                return Ok(None);
            }
            let value_ptr = self.word(slot.wrapping_add(4))?;
            if value_ptr == 0 {
                return Ok(None);
            }
            if self.string(name_ptr)? == name.as_bytes() {
                return self.string(value_ptr).map(Some);
            }
            slot = slot.wrapping_add(8);
        }
        Err(BootEnvError::TooManyEntries)
    }

    /// RAM size in bytes: `ememsize` if present, else `memsize`.
    pub fn ram_size(&self, envp: u32) -> Result<u64, BootEnvError> {
        if let Some(value) = self.env(envp, "ememsize")? {
            return parse_decimal(value).ok_or(BootEnvError::BadNumber("ememsize"));
        }
        let value = self.env(envp, "memsize")?.ok_or(BootEnvError::NoMemsize)?;
        parse_decimal(value).ok_or(BootEnvError::BadNumber("memsize"))
    }
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lays out a boot block the way QEMU's Malta loader does: a pointer table
    /// (argv[0], argv[1], then env pairs, NULL) followed by the strings.
    fn block(strings: &[&str], terminate: bool) -> Vec<u8> {
        let table_len = 4 * (strings.len() + 1);
        let mut table = Vec::new();
        let mut text = Vec::new();
        for s in strings {
            let addr = BOOT_BLOCK_BASE + (table_len + text.len()) as u32;
            table.extend_from_slice(&addr.to_le_bytes());
            text.extend_from_slice(s.as_bytes());
            text.push(0);
        }
        if terminate {
            table.extend_from_slice(&0u32.to_le_bytes());
        } else {
            table.extend_from_slice(&0xdead_beefu32.to_le_bytes());
        }
        table.extend_from_slice(&text);
        table.resize(BOOT_BLOCK_SIZE, 0);
        table
    }

    const ENVP: u32 = BOOT_BLOCK_BASE + 8;

    #[test]
    fn reads_memsize_like_qemu_writes_it() {
        let bytes = block(&["image.elf", "", "memsize", "134217728", "modetty0", "38400n8r"], true);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Ok(128 << 20));
        assert_eq!(boot.env(ENVP, "modetty0"), Ok(Some(&b"38400n8r"[..])));
        assert_eq!(boot.env(ENVP, "nothere"), Ok(None));
    }

    #[test]
    fn ememsize_wins_over_memsize() {
        let bytes = block(&["k", "", "memsize", "268435456", "ememsize", "536870912"], true);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Ok(512 << 20));
    }

    #[test]
    fn bad_input_gives_errors() {
        let bytes = block(&["k", "", "modetty0", "x"], true);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Err(BootEnvError::NoMemsize));

        let bytes = block(&["k", "", "memsize", "12ab"], true);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Err(BootEnvError::BadNumber("memsize")));

        let bytes = block(&["k", "", "memsize", "99999999999999999999999"], true);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Err(BootEnvError::BadNumber("memsize")));

        let bytes = block(&["k", "", "a", "b"], false);
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(ENVP), Err(BootEnvError::PointerOutOfBlock(0xdead_beef)));

        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(0x1000), Err(BootEnvError::PointerOutOfBlock(0x1000)));
        let end = BOOT_BLOCK_BASE + BOOT_BLOCK_SIZE as u32 - 2;
        assert_eq!(boot.ram_size(end), Err(BootEnvError::PointerOutOfBlock(end)));
    }

    #[test]
    fn unterminated_string_and_endless_table() {
        let mut bytes = vec![0u8; 16];
        bytes[0..4].copy_from_slice(&(BOOT_BLOCK_BASE + 8).to_le_bytes());
        bytes[4..8].copy_from_slice(&(BOOT_BLOCK_BASE + 8).to_le_bytes());
        bytes[8..16].copy_from_slice(b"memsize!");
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(
            boot.ram_size(BOOT_BLOCK_BASE),
            Err(BootEnvError::UnterminatedString(BOOT_BLOCK_BASE + 8))
        );

        // Every slot points at "x": the table never ends.
        let mut bytes = vec![0u8; BOOT_BLOCK_SIZE];
        let x = BOOT_BLOCK_BASE + 0x1000;
        for slot in bytes[..0x1000].chunks_exact_mut(4) {
            slot.copy_from_slice(&x.to_le_bytes());
        }
        bytes[0x1000] = b'x';
        let boot = BootBlock::new(&bytes, BOOT_BLOCK_BASE);
        assert_eq!(boot.ram_size(BOOT_BLOCK_BASE), Err(BootEnvError::TooManyEntries));
    }
}
