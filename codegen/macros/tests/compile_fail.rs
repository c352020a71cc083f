//! Malformed spec files must fail the build with a `compile_error!` that
//! names the spec file and line (`specs/*.isa`, `specs/*.cp0`, one mistake
//! each; the expected messages are `ui/*.stderr`).
//!
//! The macros resolve a spec path against the invoking crate's
//! `CARGO_MANIFEST_DIR`. Under trybuild that is the crate trybuild generates
//! in `<target>/tests/trybuild/codegen-macros/`, so the specs are copied there
//! first and the `ui/*.rs` files name them as `specs/NAME`. That keeps every
//! expected message free of machine-specific paths.
//!
//! To refresh the expected output after changing a message on purpose:
//! `TRYBUILD=overwrite cargo test -p codegen-macros --test compile_fail`.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target directory trybuild uses (it asks `cargo metadata` too).
fn target_directory() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(&manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8(out.stdout).expect("cargo metadata prints UTF-8");
    let key = "\"target_directory\":\"";
    let start = json.find(key).expect("cargo metadata names the target directory") + key.len();
    let end = start + json[start..].find('"').expect("a closed JSON string");
    // Paths without `"` or `\` need no JSON unescaping; refuse the others clearly.
    let dir = &json[start..end];
    assert!(!dir.contains('\\'), "target directory with an escaped character: {dir}");
    PathBuf::from(dir)
}

#[test]
fn malformed_specs_name_the_file_and_line() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let project = target_directory().join("tests/trybuild/codegen-macros/specs");
    std::fs::create_dir_all(&project).expect("create the trybuild spec folder");
    let mut copied = 0;
    for entry in std::fs::read_dir(&source).expect("tests/specs exists") {
        let path = entry.expect("readable directory entry").path();
        let name = path.file_name().expect("a file name");
        std::fs::copy(&path, project.join(name)).expect("copy a spec into the trybuild crate");
        copied += 1;
    }
    assert!(copied >= 15, "expected the malformed specs in {}", source.display());
    // A stale copy of the "missing" specs would turn their tests into something else.
    for missing in ["no_such_file.isa", "no_such_file.cp0"] {
        let _ = std::fs::remove_file(project.join(missing));
    }

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
