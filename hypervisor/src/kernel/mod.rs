//! The hypervisor's own kernel services, as policy the target drives:
//! thread scheduling, the host interrupt table, thread stack accounting,
//! and the frame and report of an unexpected host exception.

pub mod irq;
pub mod sched;
pub mod stack;
pub mod trap;
