//! Storage for a large table built at boot. A static initialised with a
//! value that is not all zero bytes (an array of `Option<Guest>`: its
//! `None` is a niche value) lands in .data and in the image; a
//! [`BootArray`] starts uninitialised, so it lands in .bss (zeroed by
//! `_start`, not carried by the image), and boot fills it once, element
//! by element (no table-sized temporary on the stack or in .rodata).

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

pub struct BootArray<T, const N: usize> {
    slots: UnsafeCell<[MaybeUninit<T>; N]>,
    taken: AtomicBool,
}

// SAFETY: the contents are only reached through the one `&'static mut`
// that `init` hands out (at most once), which carries the usual aliasing
// guarantees; sharing the `BootArray` itself shares nothing else.
unsafe impl<T: Send, const N: usize> Sync for BootArray<T, N> {}

impl<T, const N: usize> BootArray<T, N> {
    pub const fn new() -> Self {
        BootArray { slots: UnsafeCell::new([const { MaybeUninit::uninit() }; N]), taken: AtomicBool::new(false) }
    }

    /// Fills every element with `make()` and returns the only reference
    /// to the array; `None` on any later call.
    // The `&mut` comes from `&self` through the `UnsafeCell`, handed out
    // once only (`taken`).
    #[allow(clippy::mut_from_ref)]
    pub fn init(&'static self, mut make: impl FnMut() -> T) -> Option<&'static mut [T; N]> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        let slots = self.slots.get();
        // SAFETY: `taken` was false, so this is the only call that reaches
        // this point: no other reference to the storage exists or will.
        for slot in unsafe { &mut *slots } {
            slot.write(make());
        }
        // SAFETY: as above (this reference replaces the one of the loop);
        // every element was written just before, and `[MaybeUninit<T>; N]`
        // has the layout of `[T; N]`.
        Some(unsafe { &mut *slots.cast::<[T; N]>() })
    }
}
