//! Host memory for guests: a bump allocator over host RAM above the
//! hypervisor, the image pack xtask loads next to the image, and the one
//! function that turns a guest-physical address into a host-physical one.

use super::config::{GuestConfig, Refusal};

/// A host-physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPhys(pub u32);

/// Where xtask asks QEMU to load the image pack (`-device loader`).
pub const PACK_BASE: u32 = 0x0080_0000;
/// The pack may be at most this long.
pub const PACK_MAX: u32 = 0x0080_0000;
/// Guest RAM is carved from here on (after the pack's window).
pub const GUEST_RAM_START: u32 = PACK_BASE + PACK_MAX;
/// Host RAM reachable through KSEG0 (the hypervisor runs unmapped).
pub const KSEG0_LIMIT: u32 = 0x1000_0000;
/// Allocations are aligned to 1 MiB.
const ALIGN: u32 = 0x0010_0000;

/// Bump allocator over `[next, end)` of host-physical RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostRam {
    next: u32,
    end: u32,
}

impl HostRam {
    /// Host RAM of `ram_size` bytes; guests get what lies above
    /// [`GUEST_RAM_START`] and below the 256 MiB KSEG0 limit.
    pub fn new(ram_size: u64) -> HostRam {
        let end = ram_size.min(u64::from(KSEG0_LIMIT)) as u32;
        HostRam { next: GUEST_RAM_START.min(end), end }
    }

    pub fn available(&self) -> u32 {
        self.end - self.next
    }

    /// The host-physical range no guest was given: `(start, end)`.
    pub fn free(&self) -> (u32, u32) {
        (self.next, self.end)
    }

    /// Allocates RAM and ROM for `config`, or refuses it.
    pub fn allocate<'a>(&mut self, config: &GuestConfig<'a>) -> Result<GuestMemory, Refusal<'a>> {
        let (ram, rom) = (config.ram().size, config.rom().size);
        let round = |n: u32| n.div_ceil(ALIGN).checked_mul(ALIGN);
        let wanted = round(ram).zip(round(rom)).and_then(|(a, b)| a.checked_add(b));
        match wanted {
            Some(total) if total <= self.available() => {
                let mut memory = GuestMemory {
                    ram_host: self.next,
                    ram_size: ram,
                    rom_host: self.next + total - round(rom).unwrap_or(0),
                    rom_size: rom,
                    rom_base: config.rom().base,
                    canary: None,
                };
                // Validation keeps it inside the RAM just allocated.
                memory.canary = config.canary_ram.and_then(|(gpa, len)| Some((memory.host_range(gpa, len)?, len)));
                self.next += total;
                Ok(memory)
            }
            _ => Err(Refusal::RamTooLarge { wanted: wanted.unwrap_or(u32::MAX), available: self.available() }),
        }
    }
}

/// Where a guest's RAM and ROM live in host memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestMemory {
    pub ram_host: u32,
    pub ram_size: u32,
    pub rom_host: u32,
    pub rom_size: u32,
    pub rom_base: u32,
    /// The part of its RAM holding canaries (`GuestConfig::canary_ram`):
    /// host-physical start and length. The hypervisor fills it when the
    /// guest is built or reset and `canaries` checks it.
    pub canary: Option<(HostPhys, u32)>,
}

impl GuestMemory {
    /// The host frame behind guest-physical `gpa`, if it is RAM or ROM of
    /// this guest. This is the only way a host TLB entry or a hypervisor
    /// access to guest memory gets its address: the result is always inside
    /// this guest's allocation.
    pub fn host_phys(&self, gpa: u32) -> Option<HostPhys> {
        if gpa < self.ram_size {
            Some(HostPhys(self.ram_host + gpa))
        } else if gpa >= self.rom_base && gpa - self.rom_base < self.rom_size {
            Some(HostPhys(self.rom_host + (gpa - self.rom_base)))
        } else {
            None
        }
    }

    /// The guest-physical address of host-physical `pa`, if `pa` is in this
    /// guest's RAM or ROM (the inverse of [`GuestMemory::host_phys`]).
    pub fn guest_phys(&self, HostPhys(pa): HostPhys) -> Option<u32> {
        if pa.wrapping_sub(self.ram_host) < self.ram_size {
            Some(pa - self.ram_host)
        } else if pa.wrapping_sub(self.rom_host) < self.rom_size {
            Some(self.rom_base + (pa - self.rom_host))
        } else {
            None
        }
    }

    /// `host_phys` for a whole range `[gpa, gpa + len)` in one region.
    pub fn host_range(&self, gpa: u32, len: u32) -> Option<HostPhys> {
        let first = self.host_phys(gpa)?;
        if len == 0 {
            return Some(first);
        }
        let last = self.host_phys(gpa.checked_add(len - 1)?)?;
        (last.0 - first.0 == len - 1).then_some(first)
    }

    /// The host ranges (`[start, end)`) this guest owns.
    pub fn ranges(&self) -> [(u32, u32); 2] {
        [(self.ram_host, self.ram_host + self.ram_size), (self.rom_host, self.rom_host + self.rom_size)]
    }
}

/// The image pack: `b"MVGPACK2"`, u32 total length, u32 image count, then
/// per image: u32 name length, the name padded to 4 bytes, u32 entry point
/// (a guest virtual address; all ones for none), u32 chunk count, and per
/// chunk u32 guest-physical address, u32 length, the bytes padded to 4.
/// All little-endian. A raw binary is one chunk at the ROM base.
pub const PACK_MAGIC: &[u8; 8] = b"MVGPACK2";
/// The entry word of an image without one.
const NO_ENTRY: u32 = u32::MAX;

/// A parsed pack (borrowing its bytes).
#[derive(Clone, Copy, Debug)]
pub struct Pack<'a> {
    count: u32,
    body: &'a [u8],
}

/// One image in a pack.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    pub name: &'a str,
    /// The ELF entry point, if the image has one.
    pub entry: Option<u32>,
    chunks: u32,
    body: &'a [u8],
}

/// A piece of an image: bytes for guest-physical `gpa`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub gpa: u32,
    pub data: &'a [u8],
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn padded(len: u32) -> usize {
    (len as usize).div_ceil(4) * 4
}

impl<'a> Pack<'a> {
    /// The total length a pack at the start of `header` declares, if the
    /// magic is there (to know how much memory to look at).
    pub fn declared_len(header: &[u8]) -> Option<u32> {
        (header.get(..8)? == PACK_MAGIC).then(|| word(header, 8))?
    }

    /// Parses and checks the whole pack; `None` if it is malformed.
    pub fn parse(bytes: &'a [u8]) -> Option<Pack<'a>> {
        let total = Self::declared_len(bytes)? as usize;
        let bytes = bytes.get(..total)?;
        let pack = Pack { count: word(bytes, 12)?, body: bytes.get(16..)? };
        // Walk every image once so later iteration cannot fail.
        let mut rest = pack.body;
        for _ in 0..pack.count {
            let (_, after) = Image::split(rest)?;
            rest = after;
        }
        Some(pack)
    }

    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn image(&self, index: u32) -> Option<Image<'a>> {
        let mut rest = self.body;
        for i in 0..self.count {
            let (image, after) = Image::split(rest)?;
            if i == index {
                return Some(image);
            }
            rest = after;
        }
        None
    }
}

impl<'a> Image<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Image<'a>, &'a [u8])> {
        let name_len = word(bytes, 0)?;
        let name_end = 4 + padded(name_len);
        let name = core::str::from_utf8(bytes.get(4..4 + name_len as usize)?).ok()?;
        let entry = Some(word(bytes, name_end)?).filter(|&e| e != NO_ENTRY);
        let chunks = word(bytes, name_end + 4)?;
        let body_start = name_end + 8;
        let mut at = body_start;
        for _ in 0..chunks {
            let len = word(bytes, at + 4)?;
            at = at.checked_add(8 + padded(len))?;
            bytes.get(..at)?;
        }
        Some((Image { name, entry, chunks, body: bytes.get(body_start..at)? }, bytes.get(at..)?))
    }

    pub fn chunks(&self) -> impl Iterator<Item = Chunk<'a>> + 'a {
        let body = self.body;
        let mut at = 0usize;
        (0..self.chunks).filter_map(move |_| {
            let gpa = word(body, at)?;
            let len = word(body, at + 4)?;
            let data = body.get(at + 8..at + 8 + len as usize)?;
            at += 8 + padded(len);
            Some(Chunk { gpa, data })
        })
    }

    /// Whether a chunk has bytes in `[gpa, gpa + len)`.
    pub fn touches(&self, gpa: u32, len: u32) -> bool {
        self.chunks().any(|c| emulator::addrmap::ranges_overlap(gpa, u64::from(len), c.gpa, c.data.len() as u64))
    }

    /// Checks every chunk lands in RAM or ROM of `memory`.
    pub fn check<'r>(&self, memory: &GuestMemory) -> Result<(), Refusal<'r>> {
        for chunk in self.chunks() {
            let len = chunk.data.len() as u32;
            if memory.host_range(chunk.gpa, len).is_none() {
                return Err(Refusal::ImageOutside { gpa: chunk.gpa, len });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vm::config::tests::{blob, good_regions, known};
    use crate::vm::config::{self};

    /// Builds a pack the way xtask does; an image whose name ends in `.elf`
    /// gets the entry point 0x40100400, any other none.
    #[allow(clippy::type_complexity)]
    pub fn pack(images: &[(&str, &[(u32, &[u8])])]) -> Vec<u8> {
        let mut out = PACK_MAGIC.to_vec();
        out.extend([0; 8]);
        let put = |out: &mut Vec<u8>, w: u32| out.extend(w.to_le_bytes());
        let pad = |out: &mut Vec<u8>| {
            while !out.len().is_multiple_of(4) {
                out.push(0)
            }
        };
        for (name, chunks) in images {
            put(&mut out, name.len() as u32);
            out.extend(name.as_bytes());
            pad(&mut out);
            put(&mut out, if name.ends_with(".elf") { 0x4010_0400 } else { NO_ENTRY });
            put(&mut out, chunks.len() as u32);
            for (gpa, data) in *chunks {
                put(&mut out, *gpa);
                put(&mut out, data.len() as u32);
                out.extend(*data);
                pad(&mut out);
            }
        }
        let total = out.len() as u32;
        out[8..12].copy_from_slice(&total.to_le_bytes());
        out[12..16].copy_from_slice(&(images.len() as u32).to_le_bytes());
        out
    }

    fn config_blob() -> Vec<u8> {
        blob(&[("guest0", 1, &good_regions())])
    }

    #[test]
    fn allocation_and_translation() {
        let blob = config_blob();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        let config = config::guests(&fdt, &known).next().unwrap().1.unwrap();
        let mut ram = HostRam::new(128 << 20);
        let a = ram.allocate(&config).unwrap();
        let b = ram.allocate(&config).unwrap();
        assert_eq!(a.ram_host, GUEST_RAM_START);
        assert_eq!(a.rom_host, GUEST_RAM_START + 0x0100_0000);
        assert_eq!(b.ram_host, GUEST_RAM_START + 0x0140_0000);
        assert_eq!(a.host_phys(0x1234), Some(HostPhys(GUEST_RAM_START + 0x1234)));
        assert_eq!(a.host_phys(0x00FF_FFFF), Some(HostPhys(GUEST_RAM_START + 0x00FF_FFFF)));
        assert_eq!(a.host_phys(0x0100_0000), None);
        assert_eq!(a.host_phys(0x1FC0_0010), Some(HostPhys(a.rom_host + 0x10)));
        assert_eq!(a.host_phys(0x1FFF_FFFF), Some(HostPhys(a.rom_host + 0x3F_FFFF)));
        assert_eq!(a.host_phys(0x1800_03F8), None);
        assert_eq!(a.host_range(0x00FF_FFFC, 8), None);
        // Every translation of every page stays in the guest's own ranges,
        // and guest_phys takes it back.
        for gpa in (0..u32::MAX).step_by(0x1000) {
            if let Some(HostPhys(h)) = a.host_phys(gpa) {
                assert!(a.ranges().iter().any(|&(s, e)| (s..e).contains(&h)));
                assert!(!b.ranges().iter().any(|&(s, e)| (s..e).contains(&h)));
                assert_eq!(a.guest_phys(HostPhys(h + 0xFFC)), Some(gpa + 0xFFC));
                assert_eq!(b.guest_phys(HostPhys(h)), None);
            }
        }
        // Host memory outside both ranges is no guest-physical address.
        for h in [0, a.ram_host - 1, a.rom_host + a.rom_size, u32::MAX] {
            assert_eq!(a.guest_phys(HostPhys(h)), None, "{h:#x}");
        }
        // 128 MiB host: 16 MiB to GUEST_RAM_START, 2 x 20 MiB used, 72 left.
        assert_eq!(ram.available(), 72 << 20);
        let mut small = HostRam::new(32 << 20);
        assert_eq!(
            small.allocate(&config).unwrap_err().to_string(),
            "needs 20480 KiB of host RAM for RAM+ROM, only 16384 KiB left"
        );
        // Above 256 MiB is out of KSEG0's reach.
        assert_eq!(HostRam::new(1 << 31).available(), KSEG0_LIMIT - GUEST_RAM_START);
    }

    #[test]
    fn canary_ram_is_in_the_guests_own_ram() {
        let blob = config_blob();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        let mut config = config::guests(&fdt, &known).next().unwrap().1.unwrap();
        let mut ram = HostRam::new(128 << 20);
        assert_eq!(ram.allocate(&config).unwrap().canary, None);
        config.canary_ram = Some((0x00C0_0000, 0x0040_0000));
        let m = ram.allocate(&config).unwrap();
        assert_eq!(m.canary, Some((HostPhys(m.ram_host + 0x00C0_0000), 0x0040_0000)));
    }

    #[test]
    fn packs() {
        let bytes = pack(&[("a.elf", &[(0x0010_0000, b"hello"), (0x1FC0_0000, &[1, 2, 3, 4])]), ("b.bin", &[])]);
        assert_eq!(Pack::declared_len(&bytes), Some(bytes.len() as u32));
        let pack = Pack::parse(&bytes).unwrap();
        assert_eq!(pack.len(), 2);
        let a = pack.image(0).unwrap();
        assert_eq!((a.name, a.entry), ("a.elf", Some(0x4010_0400)));
        assert_eq!(pack.image(1).unwrap().entry, None);
        let chunks: Vec<_> = a.chunks().collect();
        assert_eq!(chunks, [Chunk { gpa: 0x0010_0000, data: b"hello" }, Chunk { gpa: 0x1FC0_0000, data: &[1, 2, 3, 4] }]);
        assert_eq!(pack.image(1).unwrap().chunks().count(), 0);
        assert!(pack.image(2).is_none());
        // Truncated or corrupt packs are rejected, never read past the end.
        for cut in 0..bytes.len() {
            let mut broken = bytes[..cut].to_vec();
            if broken.len() >= 12 {
                broken[8..12].copy_from_slice(&(cut as u32).to_le_bytes());
            }
            assert!(Pack::parse(&broken).is_none(), "cut at {cut}");
        }
        assert!(Pack::parse(b"not a pack at all").is_none());
    }

    #[test]
    fn image_outside_memory_is_refused() {
        let memory =
            GuestMemory { ram_host: 0x0100_0000, ram_size: 0x1000, rom_host: 0x0200_0000, rom_size: 0x1000, rom_base: 0x1FC0_0000, canary: None };
        let bytes = pack(&[("x", &[(0x0FF0, &[0; 0x20])])]);
        let parsed = Pack::parse(&bytes).unwrap();
        assert_eq!(parsed.image(0).unwrap().check(&memory), Err(Refusal::ImageOutside { gpa: 0x0FF0, len: 0x20 }));
        let page = [0u8; 0x1000];
        let bytes = pack(&[("x", &[(0x0FE0, &[0; 0x20]), (0x1FC0_0000, &page)])]);
        assert_eq!(Pack::parse(&bytes).unwrap().image(0).unwrap().check(&memory), Ok(()));
    }
}
