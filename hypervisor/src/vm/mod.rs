//! Guests: configuration, memory, VCPUs, the virtual MMU and timer, and
//! the exit handler. Hardware-independent; the world switch and the host
//! TLB writes are in `arch::mips`.
pub mod config;
pub mod exit_loop;
pub mod exitcost;
pub mod fast_exit;
pub mod memory;
pub mod vcpu;
pub mod guest;
pub mod linux;
pub mod ops;
pub mod paravirt;
