//! The hypervisor image: `dts/*.dts` compiled with `dtc`, then the
//! `hypervisor` crate built for the target with `host.dtb` embedded.

use crate::process;
use crate::qemu::{self, target_dir, workspace_root};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Compiles every `dts/*.dts` into `<target>/dts/*.dtb`; returns the blobs.
pub fn compile_device_trees() -> Result<Vec<PathBuf>, String> {
    let source_dir = workspace_root().join("dts");
    let out_dir = target_dir().join("dts");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&source_dir)
        .map_err(|e| format!("cannot read {}: {e}", source_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "dts"))
        .collect();
    sources.sort();
    let mut blobs = Vec::new();
    for source in sources {
        let name = source.file_stem().unwrap_or_default();
        let blob = out_dir.join(name).with_extension("dtb");
        compile_device_tree(&source, &blob)?;
        blobs.push(blob);
    }
    Ok(blobs)
}

/// Runs dtc into a scratch file and replaces `blob` only when the bytes
/// differ, so an unchanged tree does not make cargo rebuild the image.
fn compile_device_tree(source: &Path, blob: &Path) -> Result<(), String> {
    let fresh = blob.with_extension("dtb.new");
    // dtc's warnings go straight to the terminal.
    let status = Command::new("dtc")
        .args(["-I", "dts", "-O", "dtb", "-o"])
        .arg(&fresh)
        .arg(source)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| process::spawn_error("dtc", &e))?;
    if !status.success() {
        return Err(format!("dtc failed on {} ({status})", source.display()));
    }
    let unchanged = match (std::fs::read(&fresh), std::fs::read(blob)) {
        (Ok(new), Ok(old)) => new == old,
        _ => false,
    };
    let result = if unchanged { std::fs::remove_file(&fresh) } else { std::fs::rename(&fresh, blob) };
    result.map_err(|e| format!("cannot update {}: {e}", blob.display()))
}

/// Builds the hypervisor ELF with `dts/host.dts` embedded.
pub fn build_hypervisor() -> Result<PathBuf, String> {
    let blobs = compile_device_trees()?;
    let host = blobs
        .iter()
        .find(|b| b.file_stem().is_some_and(|s| s == "host"))
        .ok_or("dts/host.dts is missing")?;
    qemu::build_baremetal("hypervisor", "hypervisor", &[("HYPERVISOR_DTB", host)])
}
