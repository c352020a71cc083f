//! Puts this crate's directory on the linker's search path, so a guest's
//! `build.rs` gives each binary one of the shared scripts by name:
//! `-Tguest.ld` (the guest map) or `-Tnative.ld` (native KSEG0).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=guest.ld");
    println!("cargo:rerun-if-changed=native.ld");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-search=native={dir}");
}
