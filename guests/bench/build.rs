//! Gives each of the two binaries its linker script (bare-metal target
//! only; on the host both are empty programs).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=native.ld");
    println!("cargo:rerun-if-changed=guest.ld");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-arg-bin=guest-bench-native=-T{dir}/native.ld");
    println!("cargo:rustc-link-arg-bin=guest-bench-guest=-T{dir}/guest.ld");
}
