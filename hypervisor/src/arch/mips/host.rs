//! The VCPU's host: what `hypervisor::vm::vcpu::Host` asks of the
//! machine (guest memory through KSEG0, the host TLB, the clock), done on
//! this CPU.
use super::{guestmem, timer, tlb};
use emulator::Cp0;
use hypervisor::vm::guest::ticks_to_ns;
use hypervisor::vm::memory::HostPhys;
use hypervisor::vm::vcpu::{Host, Shadow};

/// The host side of one exit's handling.
pub struct HostHw {
    /// The host TLB's entry count (Config1.MMUSize + 1).
    pub tlb_entries: u32,
}

impl Host for HostHw {
    fn read_word(&mut self, pa: HostPhys) -> u32 {
        guestmem::read_word(pa)
    }
    fn write_word(&mut self, pa: HostPhys, value: u32) {
        guestmem::copy_in(pa, &value.to_le_bytes());
    }
    fn write_code(&mut self, pa: HostPhys, value: u32) {
        guestmem::write_code(pa, value);
    }
    #[cfg_attr(target_os = "none", optimize(speed))]
    fn install(&mut self, shadow: Shadow) {
        if shadow.page_mask != 0 {
            // A pair of large pages first drops the entries of its ASID
            // it overlaps: no two host entries may match one address.
            let asid = (shadow.entry_hi & Cp0::ENTRYHI_ASID) as u8;
            let (start, end) = shadow.range();
            tlb::flush(self.tlb_entries, [asid, asid], start, end);
        }
        tlb::install(shadow.entry_hi, shadow.entry_lo, shadow.page_mask);
    }
    fn flush(&mut self, asids: [u8; 2]) {
        tlb::flush(self.tlb_entries, asids, 0, u64::MAX);
    }
    fn flush_range(&mut self, asids: [u8; 2], start: u32, end: u64) {
        tlb::flush(self.tlb_entries, asids, start, end);
    }
    fn now_ns(&mut self) -> u64 {
        ticks_to_ns(timer::now())
    }
}
