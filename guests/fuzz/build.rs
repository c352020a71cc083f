//! Gives each of the two binaries guest-rt's linker script for its map
//! (bare-metal target only; on the host both are empty programs).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    println!("cargo:rustc-link-arg-bin=guest-fuzz-native=-Tnative.ld");
    println!("cargo:rustc-link-arg-bin=guest-fuzz-guest=-Tguest.ld");
}
