//! What the hypervisor learns about its host: the CPU's identification
//! registers, the RAM size from the boot arguments, the embedded device
//! tree, and the I/O ranges drivers may map.

pub mod bootenv;
pub mod cpu;
pub mod devtree;
pub mod memory;
