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
    // dtc's warnings go straight to the terminal. Every tree may include
    // `dts/malta.dtsi`, wherever it is.
    let status = Command::new("dtc")
        .arg("-i")
        .arg(workspace_root().join("dts"))
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

/// Builds the hypervisor with the device tree `source` instead of
/// `dts/host.dts` and keeps the ELF as `<target>/<name>.elf`; then builds the
/// ordinary image again, so the usual path holds it as before.
pub fn build_hypervisor_with_dts(source: &Path, name: &str) -> Result<PathBuf, String> {
    let copied = build_hypervisor_with_dts_only(source, name);
    build_hypervisor()?;
    copied
}

/// [`build_hypervisor_with_dts`] without building the ordinary image
/// again: for a caller that builds several trees and calls
/// [`build_hypervisor`] once at the end.
pub fn build_hypervisor_with_dts_only(source: &Path, name: &str) -> Result<PathBuf, String> {
    let out_dir = target_dir().join("dts");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let blob = out_dir.join(format!("{name}.dtb"));
    compile_device_tree(source, &blob)?;
    let elf = qemu::build_baremetal("hypervisor", "hypervisor", &[("HYPERVISOR_DTB", &blob)])?;
    let kept = target_dir().join(format!("{name}.elf"));
    std::fs::copy(&elf, &kept).map_err(|e| format!("cannot copy {}: {e}", elf.display()))?;
    Ok(kept)
}

/// The hypervisor with `dts/linux.dts` (Linux as guest0, on the kvm-guest
/// map, beside guest1), kept as `<target>/linux-host.elf`.
pub fn linux_hypervisor() -> Result<PathBuf, String> {
    build_hypervisor_with_dts_only(&workspace_root().join("dts/linux.dts"), "linux-host")
}

/// The pack images `dts/linux.dts` expects: the guest kernel, `guest1`'s
/// image, the initramfs.
pub fn linux_guests(linux: &crate::linux::LinuxImages, guest1: PathBuf) -> Vec<PathBuf> {
    vec![linux.guest_kernel.clone(), guest1, linux.initramfs.clone()]
}

/// The hypervisor with `dts/paravirt.dts` (the default guests in the
/// paravirtual mode), kept as `<target>/paravirt.elf`. Built once.
pub fn paravirt_hypervisor() -> Result<PathBuf, String> {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| build_hypervisor_with_dts(&workspace_root().join("dts/paravirt.dts"), "paravirt")).clone()
}

/// The hypervisor with `dts/host.dts` but guest0 a plain guest, without the
/// virtual Malta board (its UART on Cause.IP2, the power-off register on
/// its own): for the raw test guests written for that map. Built once.
pub fn plain_guest0_hypervisor() -> Result<PathBuf, String> {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let host = std::fs::read_to_string(crate::qemu::workspace_root().join("dts/host.dts"))
                .map_err(|e| format!("cannot read dts/host.dts: {e}"))?;
            let start = host.find("\t\tguest0 {\n").ok_or("dts/host.dts has no guest0")?;
            let end = start + host[start..].find("\n\t\t};\n").ok_or("dts/host.dts: guest0 does not end")?;
            let board = "\t\t\tboard = \"malta\";\n";
            let isa = "isa_irq = <4>;";
            let guest0 = &host[start..end];
            if !guest0.contains(board) || !guest0.contains(isa) {
                return Err("dts/host.dts: guest0 has no `board = \"malta\"` and `isa_irq = <4>` to take away".into());
            }
            let plain = guest0.replace(board, "").replace(isa, "cause_ip = <2>;");
            let source = crate::qemu::target_dir().join("dts").join("plain-guest0.dts");
            std::fs::create_dir_all(source.parent().unwrap_or(&source))
                .and_then(|()| std::fs::write(&source, format!("{}{plain}{}", &host[..start], &host[end..])))
                .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
            build_hypervisor_with_dts(&source, "plain-guest0")
        })
        .clone()
}

/// Where the hypervisor looks for the guest image pack (host-physical;
/// `hypervisor::vm::memory::PACK_BASE`) and the most it reads.
pub const PACK_BASE: u32 = 0x0080_0000;
pub const PACK_MAX: usize = 0x0080_0000;
const PACK_MAGIC: &[u8; 8] = b"MVGPACK2";
/// The entry word of an image without one (a raw binary).
const NO_ENTRY: u32 = u32::MAX;

/// One guest image: its name, its ELF entry point (a guest virtual
/// address) if it has one, and the bytes for each guest-physical range.
#[derive(Debug, PartialEq, Eq)]
pub struct GuestImage {
    pub name: String,
    pub entry: Option<u32>,
    pub chunks: Vec<(u32, Vec<u8>)>,
}

/// The guest-physical address a link address in an unmapped kernel
/// segment of a guest map stands for: in the default map guest KSEG0
/// (0x00000000-0x1FFFFFFF) is guest-physical as is and guest KSEG1
/// (0x20000000-0x3FFFFFFF) is guest-physical + 0x20000000; in the
/// kvm-guest map KSEG0 (0x40000000-0x5FFFFFFF) is guest-physical +
/// 0x40000000 (a `CONFIG_KVM_GUEST` Linux kernel is linked there).
pub fn guest_phys(link: u32) -> Option<u32> {
    match link {
        0x0000_0000..=0x5FFF_FFFF => Some(link & 0x1FFF_FFFF),
        _ => None,
    }
}

/// Guest-physical address of the ROM region, where a raw image goes.
pub const GUEST_ROM: u32 = 0x1FC0_0000;

/// Reads a guest image: an ELF32 little-endian MIPS file (its PT_LOAD
/// segments, placed by link address in the guest map, BSS zero-filled) or
/// anything else as a raw binary for the ROM.
pub fn read_guest_image(path: &Path) -> Result<GuestImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read guest image {}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    if !bytes.starts_with(b"\x7fELF") {
        return Ok(GuestImage { name, entry: None, chunks: vec![(GUEST_ROM, bytes)] });
    }
    let chunks = elf_chunks(&bytes).map_err(|why| format!("guest image {}: {why}", path.display()))?;
    let entry = bytes.get(24..28).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    Ok(GuestImage { name, entry, chunks })
}

fn elf_chunks(elf: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, String> {
    let u16_at = |at: usize| elf.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| elf.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if elf.get(4) != Some(&1) || elf.get(5) != Some(&1) {
        return Err("not a 32-bit little-endian ELF".into());
    }
    if u16_at(18) != Some(8) {
        return Err("not a MIPS ELF".into());
    }
    let (phoff, phentsize, phnum) = match (u32_at(28), u16_at(42), u16_at(44)) {
        (Some(off), Some(size), Some(num)) => (off as usize, size as usize, num as usize),
        _ => return Err("truncated ELF header".into()),
    };
    let mut chunks = Vec::new();
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let field = |n: usize| u32_at(at + 4 * n).ok_or_else(|| "truncated program header".to_string());
        if field(0)? != 1 {
            continue; // not PT_LOAD
        }
        let (offset, vaddr, filesz, memsz) = (field(1)? as usize, field(2)?, field(4)? as usize, field(5)? as usize);
        if memsz == 0 {
            continue;
        }
        let gpa = guest_phys(vaddr).ok_or_else(|| {
            format!(
                "segment at {vaddr:#x} is not in a guest map's unmapped kernel segment \
                 (link guests below 0x40000000, or a kvm-guest kernel at 0x40000000-0x5FFFFFFF)"
            )
        })?;
        let mut data = elf.get(offset..offset + filesz).ok_or("segment beyond the end of the file")?.to_vec();
        data.resize(memsz.max(filesz), 0);
        chunks.push((gpa, data));
    }
    if chunks.is_empty() {
        return Err("no loadable segment".into());
    }
    Ok(chunks)
}

/// The pack the hypervisor reads at PACK_BASE (format in
/// `hypervisor::vm::memory`).
pub fn pack(images: &[GuestImage]) -> Result<Vec<u8>, String> {
    let mut out = PACK_MAGIC.to_vec();
    out.extend([0; 8]);
    let pad = |out: &mut Vec<u8>| out.resize(out.len().div_ceil(4) * 4, 0);
    for image in images {
        out.extend((image.name.len() as u32).to_le_bytes());
        out.extend(image.name.as_bytes());
        pad(&mut out);
        out.extend(image.entry.unwrap_or(NO_ENTRY).to_le_bytes());
        out.extend((image.chunks.len() as u32).to_le_bytes());
        for (gpa, data) in &image.chunks {
            out.extend(gpa.to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend(data);
            pad(&mut out);
        }
    }
    if out.len() > PACK_MAX {
        return Err(format!("the guest images take {} bytes; at most {PACK_MAX} fit", out.len()));
    }
    let total = out.len() as u32;
    out[8..12].copy_from_slice(&total.to_le_bytes());
    out[12..16].copy_from_slice(&(images.len() as u32).to_le_bytes());
    Ok(out)
}

/// Writes the pack of `files` (or, if there are none, of the default guests)
/// to `<target>/<name>`; returns its path.
pub fn guest_pack(files: &[PathBuf], name: &str) -> Result<PathBuf, String> {
    let files = if files.is_empty() { default_guests()? } else { files.to_vec() };
    let images = files.iter().map(|f| read_guest_image(f)).collect::<Result<Vec<_>, _>>()?;
    let path = target_dir().join(name);
    std::fs::write(&path, pack(&images)?).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The default guests of the QEMU tests (`qemu_tests::Images::guests`,
/// `dts/host.dts` guest0 and guest1): the guest suite built for the guest
/// map, twice. (`cargo xtask run` has its own: `guests::run_defaults`.)
pub fn default_guests() -> Result<Vec<PathBuf>, String> {
    let suite = crate::guests::build_suite(crate::guests::Map::Guest)?;
    Ok(vec![suite.clone(), suite])
}

/// QEMU arguments that load `pack` where the hypervisor looks for it.
pub fn pack_args(pack: &Path) -> [String; 2] {
    ["-device".into(), format!("loader,file={},addr={PACK_BASE:#x},force-raw=on", pack.display())]
}

/// `print`, appended to every raw guest by [`assemble_raw`]: writes `$a0`
/// as 8 hex digits and a newline to the UART at `$s0` (polling LSR.THRE);
/// clobbers t1-t4 and a0. Named labels, so a guest's numeric labels never
/// resolve into it.
const PRINT_HEX: &str = include_str!("../../guests/raw/print-hex.S");

/// Assembles `source`, followed by [`PRINT_HEX`], into a raw binary
/// (`.text` only) for a guest's ROM.
pub fn assemble_raw(name: &str, source: &str) -> Result<PathBuf, String> {
    let dir = target_dir().join("raw-guests");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (asm, object, raw) = (dir.join(format!("{name}.S")), dir.join(format!("{name}.o")), dir.join(format!("{name}.bin")));
    std::fs::write(&asm, format!("{source}\n{PRINT_HEX}")).map_err(|e| format!("cannot write {}: {e}", asm.display()))?;
    let mut assemble = Command::new("mipsel-linux-gnu-as");
    assemble.args(["-EL", "-march=24kf", "-o"]).arg(&object).arg(&asm);
    process::output(assemble)?;
    let mut copy = Command::new("mipsel-linux-gnu-objcopy");
    copy.args(["-O", "binary", "-j", ".text"]).arg(&object).arg(&raw);
    process::output(copy)?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_map_addresses() {
        assert_eq!(guest_phys(0x0010_0000), Some(0x0010_0000));
        assert_eq!(guest_phys(0x3FC0_0000), Some(0x1FC0_0000));
        assert_eq!(guest_phys(0x8010_0000), None);
        assert_eq!(guest_phys(0x4010_0000), Some(0x0010_0000), "kvm-guest KSEG0");
        assert_eq!(guest_phys(0x6000_0000), None);
    }

    #[test]
    fn pack_layout() {
        let images = [GuestImage { name: "ab".into(), entry: Some(0x4010_0400), chunks: vec![(0x1FC0_0000, vec![1, 2, 3])] }];
        let bytes = pack(&images).unwrap();
        assert_eq!(&bytes[..8], b"MVGPACK2");
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        assert_eq!(&bytes[12..16], &1u32.to_le_bytes());
        assert_eq!(&bytes[16..20], &2u32.to_le_bytes());
        assert_eq!(&bytes[20..24], b"ab\0\0");
        assert_eq!(&bytes[24..28], &0x4010_0400u32.to_le_bytes());
        assert_eq!(&bytes[28..32], &1u32.to_le_bytes());
        assert_eq!(&bytes[32..36], &0x1FC0_0000u32.to_le_bytes());
        assert_eq!(&bytes[36..40], &3u32.to_le_bytes());
        assert_eq!(&bytes[40..44], &[1, 2, 3, 0]);
        assert_eq!(bytes.len(), 44);
        let raw = [GuestImage { name: "ab".into(), entry: None, chunks: vec![] }];
        assert_eq!(&pack(&raw).unwrap()[24..28], &u32::MAX.to_le_bytes());
    }

    #[test]
    fn raw_and_bad_images() {
        let dir = std::env::temp_dir().join(format!("xtask-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = dir.join("raw.bin");
        std::fs::write(&raw, [0u8; 8]).unwrap();
        let image = read_guest_image(&raw).unwrap();
        assert_eq!((image.entry, image.chunks), (None, vec![(GUEST_ROM, vec![0; 8])]));
        let bad = dir.join("bad.elf");
        std::fs::write(&bad, b"\x7fELF\x02\x01").unwrap();
        assert!(read_guest_image(&bad).unwrap_err().contains("not a 32-bit little-endian ELF"));
        assert!(read_guest_image(&dir.join("missing")).unwrap_err().starts_with("cannot read guest image"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
