//! Decoding of the host CPU's identification registers (PRId, Config0–3)
//! for the boot banner and mterm's `host` command.

use core::fmt::{self, Write};

/// Raw identification values read from the CPU at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuInfo {
    pub prid: u32,
    /// Config0 to Config3, raw.
    pub config: [u32; 4],
    /// EBase as programmed by the hypervisor.
    pub ebase: u32,
}

fn field(value: u32, high: u32, low: u32) -> u32 {
    (value >> low) & ((1u32 << (high - low + 1)) - 1)
}

fn bit(value: u32, n: u32) -> u32 {
    (value >> n) & 1
}

/// Geometry of one level-1 cache from Config1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheGeometry {
    pub sets: u32,
    pub line: u32,
    pub ways: u32,
}

impl CacheGeometry {
    /// Decodes an `S`, `L`, `A` triple; `None` when the line size says no cache.
    fn decode(s: u32, l: u32, a: u32) -> Option<Self> {
        if l == 0 || l == 7 {
            return None;
        }
        let sets = if s == 7 { 32 } else { 64 << s };
        Some(Self { sets, line: 2 << l, ways: a + 1 })
    }

    pub fn bytes(&self) -> u32 {
        self.sets * self.line * self.ways
    }
}

impl fmt::Display for CacheGeometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} KiB, {} sets x {} ways x {} bytes",
            self.bytes() / 1024,
            self.sets,
            self.ways,
            self.line
        )
    }
}

impl CpuInfo {
    /// Company ID, PRId bits 23:16 (1 = MIPS Technologies).
    pub fn company(&self) -> u32 {
        field(self.prid, 23, 16)
    }

    /// Processor ID, PRId bits 15:8 (0x93 = 24K).
    pub fn processor(&self) -> u32 {
        field(self.prid, 15, 8)
    }

    pub fn revision(&self) -> u32 {
        field(self.prid, 7, 0)
    }

    /// Whether Config1.FP says a floating-point unit is present.
    pub fn has_fpu(&self) -> bool {
        bit(self.config[1], 0) == 1
    }

    /// The CPU model, from PRId (and Config1.FP to tell 24Kf from 24Kc).
    pub fn model(&self) -> &'static str {
        match (self.company(), self.processor(), self.has_fpu()) {
            (0x01, 0x93, true) => "MIPS 24Kf",
            (0x01, 0x93, false) => "MIPS 24Kc",
            (0x01, 0x95, _) => "MIPS 34K",
            (0x01, 0x96, _) => "MIPS 24KE",
            (0x01, 0x97, _) => "MIPS 74K",
            (0x01, _, _) => "MIPS Technologies, unknown core",
            _ => "unknown CPU",
        }
    }

    /// Number of host TLB entries, Config1.MMU + 1.
    pub fn tlb_entries(&self) -> u32 {
        field(self.config[1], 30, 25) + 1
    }

    pub fn icache(&self) -> Option<CacheGeometry> {
        let c = self.config[1];
        CacheGeometry::decode(field(c, 24, 22), field(c, 21, 19), field(c, 18, 16))
    }

    pub fn dcache(&self) -> Option<CacheGeometry> {
        let c = self.config[1];
        CacheGeometry::decode(field(c, 15, 13), field(c, 12, 10), field(c, 9, 7))
    }

    /// Writes the `host` report (without the RAM line, which comes from the
    /// boot arguments).
    pub fn write_report(&self, out: &mut dyn Write) -> fmt::Result {
        let [c0, c1, c2, c3] = self.config;
        writeln!(
            out,
            "CPU       {} (PRId {:#010x}: company {:#04x}, processor {:#04x}, revision {:#04x})",
            self.model(),
            self.prid,
            self.company(),
            self.processor(),
            self.revision()
        )?;
        let arch = match field(c0, 14, 13) {
            0 => "MIPS32",
            1 => "MIPS64/32-bit",
            2 => "MIPS64",
            _ => "reserved",
        };
        let mmu = match field(c0, 9, 7) {
            0 => "none",
            1 => "standard TLB",
            2 => "BAT",
            3 => "fixed mapping",
            _ => "reserved",
        };
        let k0 = match field(c0, 2, 0) {
            2 => "uncached",
            3 => "cacheable",
            7 => "uncached accelerated",
            _ => "other",
        };
        writeln!(
            out,
            "Config0   {c0:#010x}  M={} BE={} AT={} ({arch}) AR={} (release {}) MT={} ({mmu}) VI={} K0={} ({k0})",
            bit(c0, 31),
            bit(c0, 15),
            field(c0, 14, 13),
            field(c0, 12, 10),
            field(c0, 12, 10) + 1,
            field(c0, 9, 7),
            bit(c0, 3),
            field(c0, 2, 0),
        )?;
        writeln!(
            out,
            "Config1   {c1:#010x}  M={} MMU={} C2={} MD={} PC={} WR={} CA={} EP={} FP={}",
            bit(c1, 31),
            field(c1, 30, 25),
            bit(c1, 6),
            bit(c1, 5),
            bit(c1, 4),
            bit(c1, 3),
            bit(c1, 2),
            bit(c1, 1),
            bit(c1, 0),
        )?;
        write_cache(out, "I-cache", self.icache())?;
        write_cache(out, "D-cache", self.dcache())?;
        writeln!(out, "Config2   {c2:#010x}  M={}", bit(c2, 31))?;
        let l2 = CacheGeometry::decode(field(c2, 11, 8), field(c2, 7, 4), field(c2, 3, 0));
        let l3 = CacheGeometry::decode(field(c2, 27, 24), field(c2, 23, 20), field(c2, 19, 16));
        write_cache(out, "L2", l2)?;
        write_cache(out, "L3", l3)?;
        writeln!(
            out,
            "Config3   {c3:#010x}  M={} VEIC={} VInt={} SP={} MT={} SM={} TL={} DSP={} ULRI={}",
            bit(c3, 31),
            bit(c3, 6),
            bit(c3, 5),
            bit(c3, 4),
            bit(c3, 2),
            bit(c3, 1),
            bit(c3, 0),
            bit(c3, 10),
            bit(c3, 13),
        )?;
        writeln!(out, "TLB       {} entries", self.tlb_entries())?;
        writeln!(out, "EBase     {:#010x}", self.ebase)
    }
}

fn write_cache(out: &mut dyn Write, name: &str, cache: Option<CacheGeometry>) -> fmt::Result {
    match cache {
        Some(geometry) => writeln!(out, "          {name} {geometry}"),
        None => writeln!(out, "          {name} none"),
    }
}

/// Writes a size in bytes as MiB (or KiB / bytes when smaller).
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
            write!(f, "{} MiB", bytes >> 20)
        } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
            write!(f, "{} KiB", bytes >> 10)
        } else {
            write!(f, "{bytes} bytes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU 7.2's 24Kf, little-endian (REFERENCE-24Kf.md §2.1).
    const QEMU_24KF: CpuInfo = CpuInfo {
        prid: 0x0001_9300,
        config: [0x8000_0482, 0x9E19_0C8F, 0x8000_0000, 0],
        ebase: 0x8010_1000,
    };

    #[test]
    fn decodes_qemu_24kf() {
        let cpu = QEMU_24KF;
        assert_eq!(cpu.model(), "MIPS 24Kf");
        assert_eq!((cpu.company(), cpu.processor(), cpu.revision()), (1, 0x93, 0));
        assert_eq!(cpu.tlb_entries(), 16);
        let two_kib = Some(CacheGeometry { sets: 64, line: 16, ways: 2 });
        assert_eq!(cpu.icache(), two_kib);
        assert_eq!(cpu.dcache(), two_kib);
    }

    #[test]
    fn without_fpu_it_is_a_24kc() {
        let cpu = CpuInfo { config: [0x8000_0482, 0x9E19_0C8E, 0x8000_0000, 0], ..QEMU_24KF };
        assert_eq!(cpu.model(), "MIPS 24Kc");
        let other = CpuInfo { prid: 0x0002_0100, ..QEMU_24KF };
        assert_eq!(other.model(), "unknown CPU");
    }

    #[test]
    fn report_lists_every_register() {
        let mut out = String::new();
        QEMU_24KF.write_report(&mut out).unwrap();
        for expected in [
            "CPU       MIPS 24Kf (PRId 0x00019300: company 0x01, processor 0x93, revision 0x00)",
            "Config0   0x80000482  M=1 BE=0 AT=0 (MIPS32) AR=1 (release 2) MT=1 (standard TLB) VI=0 K0=2 (uncached)",
            "Config1   0x9e190c8f  M=1 MMU=15 C2=0 MD=0 PC=0 WR=1 CA=1 EP=1 FP=1",
            "I-cache 2 KiB, 64 sets x 2 ways x 16 bytes",
            "Config2   0x80000000  M=1",
            "L2 none",
            "Config3   0x00000000  M=0 VEIC=0 VInt=0",
            "TLB       16 entries",
            "EBase     0x80101000",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(Size(128 << 20).to_string(), "128 MiB");
        assert_eq!(Size(3 << 10).to_string(), "3 KiB");
        assert_eq!(Size(1000).to_string(), "1000 bytes");
    }
}
