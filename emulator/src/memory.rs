//! Loads and stores. The emulator moves no data, but it raises what a data
//! access raises before touching memory (alignment, address error, TLB
//! refill/invalid/modified), as QEMU does, and it runs an SC that cannot
//! succeed.
use isa_spec::{MemAccess, MemKind};

use crate::addrmap::Access;
use crate::decode::Class;
use crate::{Cpu, Exception, ExceptionKind};

/// Classifies a load or store of `cpu`'s current state.
pub(crate) fn classify(cpu: &Cpu, access: MemAccess) -> Class {
    let address = cpu.reg(access.base).wrapping_add(access.offset as i32 as u32);
    let store = match access.kind {
        MemKind::Load | MemKind::LoadLeft | MemKind::LoadRight | MemKind::LoadLinked => false,
        MemKind::Store | MemKind::StoreLeft | MemKind::StoreRight | MemKind::StoreConditional => true,
        // FPU and COP2 transfers, cache and prefetch hints.
        _ => return Class::NotEmulated,
    };
    // QEMU compares SC's address with the LL reservation first; without a
    // match SC writes 0 to rt and touches nothing (no alignment check, no
    // translation).
    if access.kind == MemKind::StoreConditional && address != cpu.lladdr {
        return Class::StoreConditionalFails { rt: access.rt };
    }
    let must_align = matches!(
        access.kind,
        MemKind::Load | MemKind::Store | MemKind::LoadLinked | MemKind::StoreConditional
    );
    let width = u32::from(access.width.max(1));
    if must_align && !address.is_multiple_of(width) {
        let kind = if store { ExceptionKind::AddressErrorStore } else { ExceptionKind::AddressErrorLoad };
        return Class::Raise(Exception::at(kind, address));
    }
    match cpu.translate(address, if store { Access::Store } else { Access::Load }) {
        Ok(_) => Class::NotEmulated,
        Err(exception) => Class::Raise(exception),
    }
}
