//! Translation of guest virtual addresses in the hypervisor's guest map.
//!
//! The guest sees the MIPS32 map with every kernel segment moved down by
//! 0x80000000, because it runs in host user mode where only the low 2 GiB
//! are reachable:
//!
//! | guest VA                | native segment | guest kernel mode          | guest user mode |
//! |-------------------------|----------------|----------------------------|-----------------|
//! | 0x00000000 - 0x1FFFFFFF | KSEG0          | unmapped, cached, GPA = VA | useg, TLB-mapped |
//! | 0x20000000 - 0x3FFFFFFF | KSEG1          | unmapped, uncached, GPA = VA - 0x20000000 | useg, TLB-mapped |
//! | 0x40000000 - 0x7FFFFFFF | KSSEG / KSEG3  | TLB-mapped                 | useg, TLB-mapped |
//! | 0x80000000 - 0xFFFFFFFF | —              | address error              | address error   |
use crate::tlb::{Tlb, TlbFault};
use crate::{Exception, ExceptionKind};

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
    /// Guest KSEG0 (cached) or KSEG1 (uncached): a fixed mapping.
    Direct { phys: GuestPhys, cached: bool },
    /// Through the guest's TLB.
    Mapped { phys: GuestPhys },
}

/// The first guest address that is never valid in the guest map.
pub const GUEST_LIMIT: u32 = 0x8000_0000;
const KSEG1_START: u32 = 0x2000_0000;
const MAPPED_KERNEL_START: u32 = 0x4000_0000;

/// Translates `va` for a guest in kernel mode (`kernel`) or not, with the
/// guest's current ASID and TLB. A failure is the exception the guest must
/// see, with BadVAddr = `va`.
pub fn translate(va: GuestVirt, access: Access, kernel: bool, asid: u8, tlb: &Tlb) -> Result<Translation, Exception> {
    let addr = va.0;
    let store = access == Access::Store;
    if addr >= GUEST_LIMIT {
        return Err(address_error(addr, store));
    }
    if kernel && addr < KSEG1_START {
        return Ok(Translation::Direct { phys: GuestPhys(addr), cached: true });
    }
    if kernel && addr < MAPPED_KERNEL_START {
        return Ok(Translation::Direct { phys: GuestPhys(addr - KSEG1_START), cached: false });
    }
    through_tlb(addr, store, asid, tlb).map(|phys| Translation::Mapped { phys: GuestPhys(phys) })
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
        let ok = |va, access| translate(GuestVirt(va), access, true, 5, &t);
        assert_eq!(ok(0x0010_0000, Access::Fetch), Ok(Translation::Direct { phys: GuestPhys(0x0010_0000), cached: true }));
        assert_eq!(ok(0x1FFF_FFFF, Access::Load), Ok(Translation::Direct { phys: GuestPhys(0x1FFF_FFFF), cached: true }));
        assert_eq!(ok(0x3F00_0010, Access::Store), Ok(Translation::Direct { phys: GuestPhys(0x1F00_0010), cached: false }));
        assert_eq!(ok(0x4000_0010, Access::Store), Ok(Translation::Mapped { phys: GuestPhys(0x0012_3010) }));
        assert_eq!(ok(0x4000_1010, Access::Load), Ok(Translation::Mapped { phys: GuestPhys(0x0045_6010) }));
    }

    #[test]
    fn user_mode_is_all_mapped() {
        let t = tlb();
        let user = |va, access| translate(GuestVirt(va), access, false, 5, &t);
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
        let k = |va, access| translate(GuestVirt(va), access, true, 5, &t);
        assert_eq!(k(0x8000_0000, Access::Load), Err(Exception::at(ExceptionKind::SegmentErrorLoad, 0x8000_0000)));
        assert_eq!(k(0xFFFF_FFFC, Access::Store), Err(Exception::at(ExceptionKind::SegmentErrorStore, 0xFFFF_FFFC)));
        assert_eq!(k(0x4000_1000, Access::Store), Err(Exception::at(ExceptionKind::TlbModified, 0x4000_1000)));
        assert_eq!(k(0x6000_0000, Access::Fetch), Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x6000_0000)));
        let other_asid = translate(GuestVirt(0x4000_0000), Access::Load, true, 6, &t);
        assert_eq!(other_asid, Err(Exception::at(ExceptionKind::TlbRefillLoad, 0x4000_0000)));
    }
}
