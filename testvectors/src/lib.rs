//! Test vectors recorded on QEMU Malta (24Kf) and the tools around them:
//! the generator of the inputs, the blob the recorder reads, the
//! interpretation of the recorder's output, and the vector file format.
//! See `README.md`.

pub mod enc;
pub mod gen;
pub mod input;
pub mod state;
pub mod recording;
pub mod vector;
