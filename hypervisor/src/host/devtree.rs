//! The host device tree: a summary for the boot log and a dts-like dump for
//! mterm's `devtree`, both read with the `fdt` crate.

use core::fmt::{self, Write};
use fdt::node::{FdtNode, NodeProperty};
use fdt::Fdt;

/// Deepest node level `write_tree` descends to.
const MAX_DEPTH: usize = 12;

/// Why the embedded blob could not be read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadBlob(pub fdt::FdtError);

impl fmt::Display for BadBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device tree blob is not valid: {}", self.0)
    }
}

pub fn parse(blob: &[u8]) -> Result<Fdt<'_>, BadBlob> {
    Fdt::new(blob).map_err(BadBlob)
}

/// Reads big-endian cells as one number; `None` for more than two cells.
fn cells(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 || !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

fn cell_count(node: Option<FdtNode<'_, '_>>, name: &str, default: usize) -> usize {
    node.and_then(|n| n.property(name))
        .and_then(|p| cells(p.value))
        .map_or(default, |v| v as usize)
}

/// The first `(address, size)` pair of `node`'s `reg`, using `parent`'s cell sizes.
pub fn first_reg(parent: Option<FdtNode<'_, '_>>, node: FdtNode<'_, '_>) -> Option<(u64, u64)> {
    let address_cells = cell_count(parent, "#address-cells", 2);
    let size_cells = cell_count(parent, "#size-cells", 1);
    let reg = node.property("reg")?.value;
    let address_len = address_cells * 4;
    let size_len = size_cells * 4;
    if reg.len() < address_len + size_len {
        return None;
    }
    let address = cells(&reg[..address_len])?;
    let size = if size_cells == 0 { 0 } else { cells(&reg[address_len..address_len + size_len])? };
    Some((address, size))
}

fn first_string<'a>(node: FdtNode<'_, 'a>, name: &str) -> Option<&'a str> {
    let value = node.property(name)?.value;
    let first = value.split(|&b| b == 0).next()?;
    core::str::from_utf8(first).ok()
}

/// Writes the boot-time summary: CPU, memory, serial port, declared guests.
pub fn write_summary(fdt: &Fdt<'_>, out: &mut dyn Write) -> fmt::Result {
    let root = fdt.find_node("/");
    let model = root.and_then(|r| first_string(r, "model")).unwrap_or("(no model)");
    writeln!(out, "device tree: {model}, {} bytes", fdt.total_size())?;

    let cpus = fdt.find_node("/cpus");
    let mut cpu_count = 0;
    for cpu in cpus.into_iter().flat_map(|c| c.children()) {
        if first_string(cpu, "device_type") != Some("cpu") {
            continue;
        }
        cpu_count += 1;
        let compatible = first_string(cpu, "compatible").unwrap_or("(no compatible)");
        writeln!(out, "  cpu:    {} {compatible}", cpu.name)?;
    }
    if cpu_count == 0 {
        writeln!(out, "  cpu:    none declared")?;
    }

    let mut memory_count = 0;
    for node in root.into_iter().flat_map(|r| r.children()) {
        if first_string(node, "device_type") == Some("memory") {
            memory_count += 1;
            match first_reg(root, node) {
                Some((base, size)) => writeln!(
                    out,
                    "  memory: {} at {base:#x}, {}",
                    node.name,
                    crate::host::cpu::Size(size)
                )?,
                None => writeln!(out, "  memory: {} (no usable reg)", node.name)?,
            }
        }
    }
    if memory_count == 0 {
        writeln!(out, "  memory: none declared")?;
    }

    match fdt.find_compatible(&["ns16550a", "ns16550"]) {
        Some(serial) => {
            let compatible = first_string(serial, "compatible").unwrap_or("");
            match first_reg(root, serial) {
                Some((base, _)) => {
                    writeln!(out, "  serial: {} {compatible} at {base:#x}", serial.name)?
                }
                None => writeln!(out, "  serial: {} {compatible}", serial.name)?,
            }
        }
        None => writeln!(out, "  serial: none declared")?,
    }

    let guests = fdt.find_node("/guests");
    let mut guest_count = 0;
    for guest in guests.into_iter().flat_map(|g| g.children()) {
        guest_count += 1;
        let vcpus = guest
            .children()
            .find(|c| c.name == "vcpus")
            .map_or(0, |v| v.children().count());
        let regions = guest
            .children()
            .find(|c| c.name == "aspace")
            .map_or(0, |a| a.children().count());
        writeln!(out, "  guest:  {} ({vcpus} vcpu, {regions} address-space regions)", guest.name)?;
    }
    if guest_count == 0 {
        writeln!(out, "  guest:  none declared")?;
    }
    Ok(())
}

/// Writes the whole tree in dts syntax.
pub fn write_tree(fdt: &Fdt<'_>, out: &mut dyn Write) -> fmt::Result {
    match fdt.find_node("/") {
        Some(root) => write_node(root, 0, out),
        None => writeln!(out, "(empty device tree)"),
    }
}

fn write_node(node: FdtNode<'_, '_>, depth: usize, out: &mut dyn Write) -> fmt::Result {
    let indent = depth * 4;
    let name = if depth == 0 { "/" } else { node.name };
    writeln!(out, "{:indent$}{name} {{", "")?;
    for property in node.properties() {
        write!(out, "{:width$}", "", width = indent + 4)?;
        write_property(property, out)?;
    }
    for child in node.children() {
        if depth + 1 >= MAX_DEPTH {
            writeln!(out, "{:width$}/* deeper nodes not shown */", "", width = indent + 4)?;
            break;
        }
        write_node(child, depth + 1, out)?;
    }
    writeln!(out, "{:indent$}}};", "")
}

/// A value is shown as strings when it is one or more non-empty printable
/// NUL-terminated strings.
fn is_string_list(value: &[u8]) -> bool {
    value.last() == Some(&0)
        && value[..value.len() - 1]
            .split(|&b| b == 0)
            .all(|s| !s.is_empty() && s.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"'))
}

fn write_property(property: NodeProperty<'_>, out: &mut dyn Write) -> fmt::Result {
    let value = property.value;
    if value.is_empty() {
        return writeln!(out, "{};", property.name);
    }
    write!(out, "{} = ", property.name)?;
    if is_string_list(value) {
        for (i, s) in value[..value.len() - 1].split(|&b| b == 0).enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            // is_string_list checked the bytes are printable ASCII.
            write!(out, "{sep}\"{}\"", core::str::from_utf8(s).unwrap_or("?"))?;
        }
    } else if value.len().is_multiple_of(4) {
        write!(out, "<")?;
        for (i, cell) in value.chunks_exact(4).enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let cell = u32::from_be_bytes([cell[0], cell[1], cell[2], cell[3]]);
            write!(out, "{sep}{cell:#x}")?;
        }
        write!(out, ">")?;
    } else {
        write!(out, "[")?;
        for (i, byte) in value.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(out, "{sep}{byte:02x}")?;
        }
        write!(out, "]")?;
    }
    writeln!(out, ";")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal flattened-device-tree writer, so the tests need no `dtc`.
    pub struct Builder {
        structure: Vec<u8>,
        strings: Vec<u8>,
    }

    impl Builder {
        pub fn new() -> Self {
            Self { structure: Vec::new(), strings: Vec::new() }
        }

        fn word(&mut self, w: u32) {
            self.structure.extend_from_slice(&w.to_be_bytes());
        }

        fn pad(&mut self) {
            while !self.structure.len().is_multiple_of(4) {
                self.structure.push(0);
            }
        }

        pub fn begin(&mut self, name: &str) -> &mut Self {
            self.word(1);
            self.structure.extend_from_slice(name.as_bytes());
            self.structure.push(0);
            self.pad();
            self
        }

        pub fn end(&mut self) -> &mut Self {
            self.word(2);
            self
        }

        pub fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
            let name_offset = self.strings.len() as u32;
            self.strings.extend_from_slice(name.as_bytes());
            self.strings.push(0);
            self.word(3);
            self.word(value.len() as u32);
            self.word(name_offset);
            self.structure.extend_from_slice(value);
            self.pad();
            self
        }

        pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
            let mut bytes = value.as_bytes().to_vec();
            bytes.push(0);
            self.prop(name, &bytes)
        }

        pub fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
            let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
            self.prop(name, &bytes)
        }

        pub fn finish(&mut self) -> Vec<u8> {
            self.word(9);
            let header_len = 40u32;
            let reserve_len = 16u32;
            let struct_off = header_len + reserve_len;
            let strings_off = struct_off + self.structure.len() as u32;
            let total = strings_off + self.strings.len() as u32;
            let mut blob = Vec::new();
            for w in [
                0xd00d_feed,
                total,
                struct_off,
                strings_off,
                header_len,
                17,
                16,
                0,
                self.strings.len() as u32,
                self.structure.len() as u32,
            ] {
                blob.extend_from_slice(&w.to_be_bytes());
            }
            blob.extend_from_slice(&[0; 16]);
            blob.extend_from_slice(&self.structure);
            blob.extend_from_slice(&self.strings);
            blob
        }
    }

    /// The shape of `dts/host.dts`.
    pub fn malta_blob() -> Vec<u8> {
        let mut b = Builder::new();
        b.begin("")
            .str("model", "MIPS Malta (QEMU)")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1]);
        b.begin("cpus").cells("#address-cells", &[1]).cells("#size-cells", &[0]);
        b.begin("cpu@0").str("device_type", "cpu").str("compatible", "mti,mips24kf");
        b.cells("reg", &[0]).end().end();
        b.begin("memory@0").str("device_type", "memory").cells("reg", &[0, 0x0800_0000]).end();
        b.begin("serial@180003f8")
            .str("compatible", "ns16550a")
            .cells("reg", &[0x1800_03f8, 8])
            .end();
        b.begin("guests").begin("guest0");
        b.begin("vcpus").begin("vcpu0").end().end();
        b.begin("aspace").begin("mem0").end().begin("uart0").end().end();
        b.end().end();
        b.end();
        b.finish()
    }

    #[test]
    fn summary_of_the_malta_tree() {
        let blob = malta_blob();
        let fdt = parse(&blob).unwrap();
        let mut out = String::new();
        write_summary(&fdt, &mut out).unwrap();
        let size = blob.len();
        assert_eq!(
            out,
            format!(
                "device tree: MIPS Malta (QEMU), {size} bytes\n\
                 \x20 cpu:    cpu@0 mti,mips24kf\n\
                 \x20 memory: memory@0 at 0x0, 128 MiB\n\
                 \x20 serial: serial@180003f8 ns16550a at 0x180003f8\n\
                 \x20 guest:  guest0 (1 vcpu, 2 address-space regions)\n"
            )
        );
    }

    #[test]
    fn summary_of_an_empty_tree() {
        let blob = Builder::new().begin("").end().finish();
        let fdt = parse(&blob).unwrap();
        let mut out = String::new();
        write_summary(&fdt, &mut out).unwrap();
        assert!(out.contains("(no model)"));
        assert!(out.contains("cpu:    none declared"));
        assert!(out.contains("memory: none declared"));
        assert!(out.contains("serial: none declared"));
        assert!(out.contains("guest:  none declared"));
    }

    #[test]
    fn tree_dump_in_dts_syntax() {
        let mut b = Builder::new();
        b.begin("").str("compatible", "mti,malta\0qemu").cells("#size-cells", &[1]);
        b.prop("empty", &[]).prop("bytes", &[1, 2, 3]);
        b.begin("child@10").cells("reg", &[0x10, 0x20]).end().end();
        let blob = b.finish();
        let fdt = parse(&blob).unwrap();
        let mut out = String::new();
        write_tree(&fdt, &mut out).unwrap();
        assert_eq!(
            out,
            "/ {\n\
             \x20   compatible = \"mti,malta\", \"qemu\";\n\
             \x20   #size-cells = <0x1>;\n\
             \x20   empty;\n\
             \x20   bytes = [01 02 03];\n\
             \x20   child@10 {\n\
             \x20       reg = <0x10 0x20>;\n\
             \x20   };\n\
             };\n"
        );
    }

    #[test]
    fn bad_blobs_are_errors() {
        assert!(parse(&[]).is_err());
        let mut blob = malta_blob();
        blob[0] = 0;
        assert_eq!(parse(&blob).unwrap_err(), BadBlob(fdt::FdtError::BadMagic));
        let blob = malta_blob();
        assert!(parse(&blob[..blob.len() - 1]).is_err());
    }

    #[test]
    fn reg_with_odd_cells_is_ignored() {
        let mut b = Builder::new();
        b.begin("").cells("#address-cells", &[3]).cells("#size-cells", &[1]);
        b.begin("memory@0").str("device_type", "memory").cells("reg", &[0, 0, 0, 1]).end().end();
        let blob = b.finish();
        let fdt = parse(&blob).unwrap();
        let mut out = String::new();
        write_summary(&fdt, &mut out).unwrap();
        assert!(out.contains("memory: memory@0 (no usable reg)"), "{out}");
    }
}
