//! Recorded vectors.
