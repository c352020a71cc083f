//! Link arguments and the device tree blob, for the bare-metal image only.
//! On the host the binary is an empty `main` and this script does nothing.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HYPERVISOR_DTB");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rerun-if-changed={dir}/link.ld");
    println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    // xtask compiles dts/host.dts with dtc and passes the blob's path.
    match env::var("HYPERVISOR_DTB") {
        Ok(path) if std::path::Path::new(&path).is_file() => {
            println!("cargo:rerun-if-changed={path}");
            println!("cargo:rustc-env=HYPERVISOR_DTB={path}");
        }
        Ok(path) => {
            eprintln!("error: HYPERVISOR_DTB={path} is not a file; build the image with `cargo xtask build`");
            std::process::exit(1);
        }
        Err(_) => {
            eprintln!("error: HYPERVISOR_DTB is not set; build the image with `cargo xtask build`");
            std::process::exit(1);
        }
    }
}
