//! Links the recorder at 0x80100000 with `link.ld`, but only for the
//! bare-metal target (a host build is an empty program).
fn main() {
    println!("cargo:rerun-if-changed=link.ld");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        println!("cargo:rustc-link-arg=-T{dir}/link.ld");
    }
}
