//! Translation of guest virtual addresses, through a guest address map.
//!
//! A guest runs in host user mode, where only the low 2 GiB are reachable,
//! so its kernel segments must live below 0x80000000 ([`GUEST_LIMIT`]). A
//! [`GuestMap`] says where: a table of segments covering the 4 GiB, each
//! saying what an address there leads to in guest kernel mode and in guest
//! user mode, and the windows that show where the native kernel segments
//! (the reset and exception vectors, EBase) appear. A segment at or above
//! GUEST_LIMIT that a map does not make an address error is one the host
//! cannot map for the guest: every access there traps and is emulated.
//!
//! Two maps exist ([`GuestMap::by_name`]):
//!
//! [`SHIFTED`] (`"shifted"`, the default): every kernel segment moved down
//! by 0x80000000.
//!
//! | guest VA                | native segment | guest kernel mode          | guest user mode |
//! |-------------------------|----------------|----------------------------|-----------------|
//! | 0x00000000 - 0x1FFFFFFF | KSEG0          | unmapped, cached, GPA = VA | useg, TLB-mapped |
//! | 0x20000000 - 0x3FFFFFFF | KSEG1          | unmapped, uncached, GPA = VA - 0x20000000 | useg, TLB-mapped |
//! | 0x40000000 - 0x7FFFFFFF | KSSEG / KSEG3  | TLB-mapped                 | useg, TLB-mapped |
//! | 0x80000000 - 0xFFFFFFFF | —              | address error              | address error   |
//!
//! [`KVM_GUEST`] (`"kvm-guest"`): the map a Linux kernel built with
//! `CONFIG_KVM_GUEST` expects (`KVM_GUEST_*` in Linux's
//! `arch/mips/include/asm/kvm_host.h`): a 1 GiB user segment, KSEG0 and
//! KSEG1 both at 0x40000000, KSEG2/3 at 0x60000000.
//!
//! | guest VA                | native segment | guest kernel mode          | guest user mode |
//! |-------------------------|----------------|----------------------------|-----------------|
//! | 0x00000000 - 0x3FFFFFFF | kuseg          | TLB-mapped                 | TLB-mapped      |
//! | 0x40000000 - 0x5FFFFFFF | KSEG0 and KSEG1 | unmapped, cached, GPA = VA - 0x40000000 | address error |
//! | 0x60000000 - 0x7FFFFFFF | KSEG2 / KSEG3  | TLB-mapped                 | address error   |
//! | 0x80000000 - 0x9FFFFFFF | KSEG0          | unmapped, emulated, GPA = VA - 0x80000000 | address error |
//! | 0xA0000000 - 0xBFFFFFFF | KSEG1          | unmapped, emulated, GPA = VA - 0xA0000000 | address error |
//! | 0xC0000000 - 0xFFFFFFFF | —              | address error              | address error   |
//!
//! Such a kernel still uses the native KSEG0 and KSEG1 addresses in
//! places (its boot arguments, the copies of its exception handlers,
//! `ioremap`): as under KVM, each access there is emulated.
//!
//! Status.ERL does not unmap kuseg in a guest map (QEMU's Malta guests of
//! KVM's trap-and-emulate mode did not get it either).
use crate::tlb::{Tlb, TlbFault};
use crate::{Exception, ExceptionKind};

/// Whether `[a, a + a_len)` and `[b, b + b_len)` share a byte (the ends
/// are 64-bit, so a range may reach 2^32; an empty range shares none).
pub const fn ranges_overlap(a: u32, a_len: u64, b: u32, b_len: u64) -> bool {
    (a as u64) < b as u64 + b_len && (b as u64) < a as u64 + a_len
}

/// A guest-physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestPhys(pub u32);

/// A guest-virtual address (in the guest map).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestVirt(pub u32);

/// The kind of access being translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Fetch,
    Load,
    Store,
}

/// Where a guest virtual address leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Translation {
    /// An unmapped kernel segment (KSEG0 cached, KSEG1 uncached): a fixed mapping.
    Direct { phys: GuestPhys, cached: bool },
    /// Through the guest's TLB.
    Mapped { phys: GuestPhys },
}

/// The first guest address the host cannot map for a guest (it runs in
/// host user mode).
pub const GUEST_LIMIT: u32 = 0x8000_0000;

/// What an address in a segment leads to at one privilege level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Unmapped: guest-physical `phys` + the offset into the segment.
    Direct { phys: u32, cached: bool },
    /// Through the guest TLB.
    Tlb,
    /// An address error (the segment is not this level's).
    AddressError,
}

/// One segment of a guest map: `start..=last`, as guest kernel mode and
/// guest user (and supervisor) mode see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    pub start: u32,
    pub last: u32,
    pub kernel: Reach,
    pub user: Reach,
}

/// Where a native segment appears in a guest map: native addresses
/// `native..=native + (last - start)` are guest addresses `start..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub native: u32,
    pub start: u32,
    pub last: u32,
}

/// A guest address map: the segments (in address order, covering the
/// 4 GiB without gaps) and the native windows.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GuestMap {
    /// The name a device tree chooses it by.
    pub name: &'static str,
    pub segments: &'static [Segment],
    pub windows: &'static [Window],
    /// The EBase bits that stay those of the map's KSEG0 base whatever the
    /// guest writes, so its exception base stays unmapped.
    pub ebase_fixed: u32,
    /// For each eighth of the address space (512 MiB, `va >> 29`), the
    /// index of the segment holding it: segment boundaries fall on eighths,
    /// so a translation finds its segment without a search (checked by a
    /// test).
    pub eighths: [u8; 8],
}

/// The seed's map: the native kernel segments moved down by 2 GiB.
pub static SHIFTED: GuestMap = GuestMap {
    name: "shifted",
    segments: &[
        Segment { start: 0x0000_0000, last: 0x1FFF_FFFF, kernel: Reach::Direct { phys: 0, cached: true }, user: Reach::Tlb },
        Segment { start: 0x2000_0000, last: 0x3FFF_FFFF, kernel: Reach::Direct { phys: 0, cached: false }, user: Reach::Tlb },
        Segment { start: 0x4000_0000, last: 0x7FFF_FFFF, kernel: Reach::Tlb, user: Reach::Tlb },
        Segment { start: 0x8000_0000, last: 0xFFFF_FFFF, kernel: Reach::AddressError, user: Reach::AddressError },
    ],
    windows: &[Window { native: 0x8000_0000, start: 0x0000_0000, last: 0x7FFF_FFFF }],
    ebase_fixed: 0xC000_0000,
    eighths: [0, 1, 2, 2, 3, 3, 3, 3],
};

/// Linux's `CONFIG_KVM_GUEST` map (KVM's trap-and-emulate guests).
pub static KVM_GUEST: GuestMap = GuestMap {
    name: "kvm-guest",
    segments: &[
        Segment { start: 0x0000_0000, last: 0x3FFF_FFFF, kernel: Reach::Tlb, user: Reach::Tlb },
        Segment {
            start: 0x4000_0000,
            last: 0x5FFF_FFFF,
            kernel: Reach::Direct { phys: 0, cached: true },
            user: Reach::AddressError,
        },
        Segment { start: 0x6000_0000, last: 0x7FFF_FFFF, kernel: Reach::Tlb, user: Reach::AddressError },
        Segment {
            start: 0x8000_0000,
            last: 0x9FFF_FFFF,
            kernel: Reach::Direct { phys: 0, cached: true },
            user: Reach::AddressError,
        },
        Segment {
            start: 0xA000_0000,
            last: 0xBFFF_FFFF,
            kernel: Reach::Direct { phys: 0, cached: false },
            user: Reach::AddressError,
        },
        Segment { start: 0xC000_0000, last: 0xFFFF_FFFF, kernel: Reach::AddressError, user: Reach::AddressError },
    ],
    windows: &[
        Window { native: 0x0000_0000, start: 0x0000_0000, last: 0x3FFF_FFFF },
        Window { native: 0x8000_0000, start: 0x4000_0000, last: 0x5FFF_FFFF },
        Window { native: 0xA000_0000, start: 0x4000_0000, last: 0x5FFF_FFFF },
        Window { native: 0xC000_0000, start: 0x6000_0000, last: 0x7FFF_FFFF },
    ],
    ebase_fixed: 0xE000_0000,
    eighths: [0, 0, 1, 2, 3, 4, 5, 5],
};

/// Every guest map, the default first.
pub static MAPS: [&GuestMap; 2] = [&SHIFTED, &KVM_GUEST];

impl GuestMap {
    /// The map a device tree names, if there is one.
    pub fn by_name(name: &str) -> Option<&'static GuestMap> {
        MAPS.iter().copied().find(|map| map.name == name)
    }

    /// The segment holding `va` (`None` only for a malformed table).
    #[inline]
    pub fn segment(&self, va: u32) -> Option<&Segment> {
        self.segments.get(usize::from(self.eighths[(va >> 29) as usize]))
    }

    /// A native kernel address as this map shows it, if it has a place.
    pub fn from_native(&self, addr: u32) -> Option<u32> {
        self.windows.iter().find_map(|w| {
            let offset = addr.wrapping_sub(w.native);
            (addr >= w.native && offset <= w.last - w.start).then_some(w.start + offset)
        })
    }

    /// How `va` reaches guest-physical memory in kernel or user mode, and
    /// its offset into its segment.
    #[inline]
    pub fn reach(&self, va: u32, kernel: bool) -> (Reach, u32) {
        match self.segment(va) {
            Some(s) => (if kernel { s.kernel } else { s.user }, va - s.start),
            None => (Reach::AddressError, 0),
        }
    }
}

/// Translates `va` in `map` for a guest in kernel mode (`kernel`) or not,
/// with the guest's current ASID and TLB. A failure is the exception the
/// guest must see, with BadVAddr = `va`.
#[inline]
pub fn translate(
    map: &GuestMap,
    va: GuestVirt,
    access: Access,
    kernel: bool,
    asid: u8,
    tlb: &Tlb,
) -> Result<Translation, Exception> {
    let addr = va.0;
    let store = access == Access::Store;
    match map.reach(addr, kernel) {
        (Reach::Direct { phys, cached }, offset) => Ok(Translation::Direct { phys: GuestPhys(phys + offset), cached }),
        (Reach::Tlb, _) => through_tlb(addr, store, asid, tlb).map(|phys| Translation::Mapped { phys: GuestPhys(phys) }),
        (Reach::AddressError, _) => Err(address_error(addr, store)),
    }
}

/// The privilege level an access is made at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Kernel,
    Supervisor,
    User,
}

/// An address in a segment the mode may not use. QEMU raises it from the
/// MMU, which also writes Context and EntryHi (unlike a misaligned access).
fn address_error(addr: u32, store: bool) -> Exception {
    let kind = if store { ExceptionKind::SegmentErrorStore } else { ExceptionKind::SegmentErrorLoad };
    Exception::at(kind, addr)
}

fn through_tlb(addr: u32, store: bool, asid: u8, tlb: &Tlb) -> Result<u32, Exception> {
    tlb.translate(addr, asid, store).map_err(|fault| {
        let kind = match (fault, store) {
            (TlbFault::Refill, false) => ExceptionKind::TlbRefillLoad,
            (TlbFault::Refill, true) => ExceptionKind::TlbRefillStore,
            (TlbFault::Invalid, false) => ExceptionKind::TlbInvalidLoad,
            (TlbFault::Invalid, true) => ExceptionKind::TlbInvalidStore,
            (TlbFault::Modified, _) => ExceptionKind::TlbModified,
        };
        Exception::at(kind, addr)
    })
}

/// Translates `va` in the native MIPS32 map (QEMU's legacy segment layout):
/// the physical address, or the exception the access raises (BadVAddr =
/// `va`). `erl` makes kuseg unmapped in kernel mode.
pub fn translate_native(va: u32, access: Access, mode: Mode, erl: bool, asid: u8, tlb: &Tlb) -> Result<u32, Exception> {
    let store = access == Access::Store;
    match (va >> 28, mode) {
        // kuseg
        (0x0..=0x7, Mode::Kernel) if erl => Ok(va),
        (0x0..=0x7, _) => through_tlb(va, store, asid, tlb),
        // kseg0, kseg1
        (0x8..=0x9, Mode::Kernel) => Ok(va - 0x8000_0000),
        (0xA..=0xB, Mode::Kernel) => Ok(va - 0xA000_0000),
        // ksseg / sseg
        (0xC..=0xD, Mode::Kernel | Mode::Supervisor) => through_tlb(va, store, asid, tlb),
        // kseg3
        (0xE..=0xF, Mode::Kernel) => through_tlb(va, store, asid, tlb),
        _ => Err(address_error(va, store)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlb::{TlbEntry, TlbRegs};

    #[test]
    fn ranges_overlap_at_a_shared_byte_only() {
        assert!(ranges_overlap(0x1000, 0x10, 0x100F, 4));
        assert!(!ranges_overlap(0x1000, 0x10, 0x1010, 4), "touching is not overlapping");
        assert!(ranges_overlap(0x0800, 0x1000, 0x1000, 1), "one inside the other");
        assert!(!ranges_overlap(0x1000, 0, 0x1000, 4), "an empty range");
        assert!(ranges_overlap(0xFFFF_FFF0, 0x10, 0xFFFF_FFFF, 1), "up to 2^32");
    }

    fn tlb() -> Tlb {
        let mut tlb = Tlb::default();
        // Entry 0 is all zero after power-on and would map VA 0 (ASID 0,
        // invalid); give it an ASID nobody uses.
        tlb.write(0, TlbEntry::from_regs(TlbRegs { entry_hi: 0x7FFF_E0FF, ..TlbRegs::default() }));
        let regs = TlbRegs {
            entry_hi: 0x4000_0005,
            entry_lo0: (0x0123 << 6) | 0x6,
            entry_lo1: (0x0456 << 6) | 0x2,
            page_mask: 0,
        };
        tlb.write(1, TlbEntry::from_regs(regs));
        let user = TlbRegs { entry_hi: 0x0040_0005, entry_lo0: (0x0777 << 6) | 0x6, entry_lo1: 0, page_mask: 0 };
        tlb.write(2, TlbEntry::from_regs(user));
        tlb
    }

    #[test]
    fn kernel_segments() {
        let t = tlb();
        let ok = |va, access| translate(&SHIFTED, GuestVirt(va), access, true, 5, &t);
        assert_eq!(ok(0x0010_0000, Access::Fetch), Ok(Translation::Direct { phys: GuestPhys(0x0010_0000), cached: true }));
        assert_eq!(ok(0x1FFF_FFFF, Access::Load), Ok(Translation::Direct { phys: GuestPhys(0x1FFF_FFFF), cached: true }));
        assert_eq!(ok(0x3F00_0010, Access::Store), Ok(Translation::Direct { phys: GuestPhys(0x1F00_0010), cached: false }));
        assert_eq!(ok(0x4000_0010, Access::Store), Ok(Translation::Mapped { phys: GuestPhys(0x0012_3010) }));
        assert_eq!(ok(0x4000_1010, Access::Load), Ok(Translation::Mapped { phys: GuestPhys(0x0045_6010) }));
    }

    #[test]
    fn user_mode_is_all_mapped() {
        let t = tlb();
        let user = |va, access| translate(&SHIFTED, GuestVirt(va), access, false, 5, &t);
        assert_eq!(user(0x0040_0004, Access::Load), Ok(Translation::Mapped { phys: GuestPhys(0x0077_7004) }));
        assert_eq!(user(0x0010_0000, Access::Load), Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x0010_0000)));
        assert_eq!(user(0x0040_1000, Access::Store), Err(Exception::at(ExceptionKind::TlbInvalidStore, 0x0040_1000)));
    }

    #[test]
    fn native_segments() {
        let t = tlb();
        let tr = |va, access, mode, erl| translate_native(va, access, mode, erl, 5, &t);
        assert_eq!(tr(0x8000_1000, Access::Load, Mode::Kernel, false), Ok(0x1000));
        assert_eq!(tr(0xBFC0_0000, Access::Fetch, Mode::Kernel, false), Ok(0x1FC0_0000));
        assert_eq!(tr(0x0040_0004, Access::Load, Mode::Kernel, false), Ok(0x0077_7004));
        assert_eq!(tr(0x0040_0004, Access::Load, Mode::Kernel, true), Ok(0x0040_0004), "ERL: kuseg unmapped");
        assert_eq!(tr(0x0040_0004, Access::Store, Mode::User, true), Ok(0x0077_7004), "ERL is kernel-only");
        assert_eq!(tr(0x8000_0000, Access::Load, Mode::User, false), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x8000_0000)));
        assert_eq!(tr(0xC000_0000, Access::Store, Mode::User, false), Err(Exception::at(ExceptionKind::SegmentErrorStore, 0xC000_0000)));
        assert_eq!(tr(0xC000_0000, Access::Load, Mode::Supervisor, false), Err(Exception::at(ExceptionKind::TlbRefillLoad, 0xC000_0000)));
        assert_eq!(tr(0xE000_0000, Access::Load, Mode::Supervisor, false), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0xE000_0000)));
        assert_eq!(tr(0x8000_0000, Access::Load, Mode::Supervisor, false), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x8000_0000)));
        assert_eq!(tr(0xE000_0000, Access::Store, Mode::Kernel, false), Err(Exception::at(ExceptionKind::TlbRefillStore, 0xE000_0000)));
    }

    #[test]
    fn faults() {
        let t = tlb();
        let k = |va, access| translate(&SHIFTED, GuestVirt(va), access, true, 5, &t);
        assert_eq!(k(0x8000_0000, Access::Load), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x8000_0000)));
        assert_eq!(k(0xFFFF_FFFC, Access::Store), Err(Exception::at(ExceptionKind::SegmentErrorStore, 0xFFFF_FFFC)));
        assert_eq!(k(0x4000_1000, Access::Store), Err(Exception::at(ExceptionKind::TlbModified, 0x4000_1000)));
        assert_eq!(k(0x6000_0000, Access::Fetch), Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x6000_0000)));
        let other_asid = translate(&SHIFTED, GuestVirt(0x4000_0000), Access::Load, true, 6, &t);
        assert_eq!(other_asid, Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x4000_0000)));
    }

    /// Every map covers the 4 GiB with contiguous segments, every window
    /// lands below GUEST_LIMIT, and no TLB-mapped segment lies above it.
    #[test]
    fn maps_are_well_formed() {
        for map in MAPS {
            let mut next = 0u64;
            for s in map.segments {
                assert_eq!(u64::from(s.start), next, "{}: gap or overlap at {:#x}", map.name, s.start);
                assert!(s.last >= s.start);
                if s.start >= GUEST_LIMIT {
                    assert!(s.kernel != Reach::Tlb && s.user == Reach::AddressError, "{}: {s:?}", map.name);
                }
                next = u64::from(s.last) + 1;
            }
            assert_eq!(next, 1 << 32, "{}: segments end at {next:#x}", map.name);
            for (eighth, &index) in map.eighths.iter().enumerate() {
                let (first, last) = ((eighth as u32) << 29, ((eighth as u32) << 29) | 0x1FFF_FFFF);
                let s = map.segments[usize::from(index)];
                assert!(s.start <= first && last <= s.last, "{}: eighth {eighth} is not in segment {index}", map.name);
            }
            for w in map.windows {
                assert!(w.last < GUEST_LIMIT && w.start <= w.last, "{}: window {w:?}", map.name);
            }
        }
        assert_eq!(GuestMap::by_name("kvm-guest"), Some(&KVM_GUEST));
        assert_eq!(GuestMap::by_name("shifted"), Some(&SHIFTED));
        assert_eq!(GuestMap::by_name("native"), None);
    }

    #[test]
    fn native_windows() {
        assert_eq!(SHIFTED.from_native(0xBFC0_0000), Some(0x3FC0_0000));
        assert_eq!(SHIFTED.from_native(0x8000_0000), Some(0));
        assert_eq!(SHIFTED.from_native(0x7FFF_FFFF), None);
        assert_eq!(KVM_GUEST.from_native(0x8000_0180), Some(0x4000_0180));
        assert_eq!(KVM_GUEST.from_native(0xBFC0_0480), Some(0x5FC0_0480));
        assert_eq!(KVM_GUEST.from_native(0xC000_1000), Some(0x6000_1000));
        assert_eq!(KVM_GUEST.from_native(0xDFFF_FFFF), Some(0x7FFF_FFFF));
        assert_eq!(KVM_GUEST.from_native(0xE000_0000), None, "KSEG3 has no place");
        assert_eq!(KVM_GUEST.from_native(0x0040_0000), Some(0x0040_0000));
    }

    /// The kvm-guest map through the table: user space is the low 1 GiB in
    /// both modes, KSEG0/KSEG1 unmapped at 0x40000000, KSEG2/3 mapped, the
    /// kernel's segments an address error from user mode.
    #[test]
    fn kvm_guest_map() {
        let t = tlb();
        let tr = |va, access, kernel| translate(&KVM_GUEST, GuestVirt(va), access, kernel, 5, &t);
        let direct = |pa| Ok(Translation::Direct { phys: GuestPhys(pa), cached: true });
        assert_eq!(tr(0x4010_0000, Access::Fetch, true), direct(0x0010_0000));
        assert_eq!(tr(0x5FC0_0010, Access::Load, true), direct(0x1FC0_0010));
        assert_eq!(tr(0x5F00_0500, Access::Store, true), direct(0x1F00_0500));
        assert_eq!(tr(0x0040_0004, Access::Load, true), Ok(Translation::Mapped { phys: GuestPhys(0x0077_7004) }));
        assert_eq!(tr(0x0040_0004, Access::Load, false), Ok(Translation::Mapped { phys: GuestPhys(0x0077_7004) }));
        assert_eq!(tr(0x0010_0000, Access::Fetch, true), Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x0010_0000)));
        assert_eq!(tr(0x6000_0000, Access::Store, true), Err(Exception::at(ExceptionKind::TlbRefillStore, 0x6000_0000)));
        assert_eq!(tr(0x4000_0000, Access::Load, false), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x4000_0000)));
        assert_eq!(tr(0x6000_0000, Access::Store, false), Err(Exception::at(ExceptionKind::SegmentErrorStore, 0x6000_0000)));
        assert_eq!(tr(0x8000_2000, Access::Load, true), direct(0x2000), "native KSEG0, emulated");
        let uncached = Ok(Translation::Direct { phys: GuestPhys(0x1800_03F8), cached: false });
        assert_eq!(tr(0xB800_03F8, Access::Store, true), uncached, "native KSEG1, emulated");
        assert_eq!(tr(0x8000_2000, Access::Load, false), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x8000_2000)));
        assert_eq!(tr(0xC000_0000, Access::Load, true), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0xC000_0000)));
        // The seed's mapped 0x40000000 entry is not reachable as a mapped
        // address here: that range is the unmapped kernel segment.
        assert_eq!(tr(0x4000_0010, Access::Load, true), direct(0x0000_0010));
    }
}
