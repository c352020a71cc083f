//! The deferred-work thread: guest image reloads for `guest start|reset`
//! (long copies, preemptible, outside any exit path), then their VCPU
//! threads; typed input carried into the UARTs of guests that wait for it.

use super::{start_vcpu, with_guests, VM};
use crate::arch::mips::irq;
use crate::arch::mips::thread;
use crate::arch::mips::uart::Console;
use crate::arch::mips::{cp0, guestmem, timer};
use hypervisor::vm::guest::{ticks_to_ns, Guest, TICKS_PER_MS};
use hypervisor::vm::memory::Pack;

/// The worker looks for work at least this often.
const WORKER_PERIOD: u64 = 50 * TICKS_PER_MS as u64;

/// The worker: reloads the images asked for and starts their VCPU
/// threads; moves the guests' UART bytes and wakes a VCPU thread whose
/// guest can run.
pub fn worker_thread(_: usize) {
    loop {
        while let Some(index) = VM.with(|vm| {
            let index = vm.reload.iter().position(|&r| r)?;
            vm.reload[index] = false;
            Some(index)
        }) {
            reload_image(index);
            start_vcpu(index);
        }
        let _guard = irq::disable();
        let now = timer::now();
        with_guests(|guests| {
            let mut console = Console::get();
            for guest in guests.iter_mut().flatten() {
                let _ = guest.bus.pump_serial(&mut console);
                guest.update_irq_lines(ticks_to_ns(now));
                guest.vcpu.sync_timer(cp0::count());
                if guest.runnable() {
                    if let Some(id) = VM.with(|vm| vm.vcpu_thread[guest.index]) {
                        thread::wake(id);
                    }
                }
            }
        });
        if !VM.with(|vm| vm.reload.iter().any(|&r| r)) {
            thread::sleep(Some(now + WORKER_PERIOD));
        }
    }
}

/// Clears guest `index`'s RAM and ROM and copies its image in again
/// from the pack (its VCPU thread is gone meanwhile).
fn reload_image(index: usize) {
    let Some(memory) = with_guests(|g| g.get(index).and_then(Option::as_ref).map(|g| g.memory)) else { return };
    let ram = VM.with(|vm| vm.ram);
    for (gpa, size) in [(0, memory.ram_size), (memory.rom_base, memory.rom_size)] {
        if let Some(pa) = memory.host_range(gpa, size) {
            guestmem::zero(pa, size);
        }
    }
    if let Some(pack) = guestmem::pack(ram) {
        with_guests(|g| g.get(index).and_then(Option::as_ref).map(|guest| load_guest(guest, &pack)));
    }
    guestmem::fill_guest_canaries(&memory);
}

/// Copies what `guest` finds in memory at power-on into its RAM and
/// ROM ([`Guest::load`]); a piece outside them is left out (the build
/// checked the image).
pub fn load_guest(guest: &Guest<'_>, pack: &Pack<'_>) {
    guest.load(pack, &mut |gpa, bytes| {
        if let Some(pa) = guest.memory.host_range(gpa, bytes.len() as u32) {
            guestmem::copy_in(pa, bytes);
        }
    });
}
