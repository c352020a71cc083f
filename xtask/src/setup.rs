//! `cargo xtask setup`: installs what building, running and reviewing
//! snapshots need, when it is missing. Idempotent, one progress line per
//! step, quick when everything is present (it looks at `PATH`, the sysroot
//! and `cargo insta --version`; apt and cargo only run for what is missing).

use crate::process::{self, which};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Tools found on `PATH`, with the Debian package providing each.
const TOOLS: &[(&str, &str)] = &[
    ("qemu-system-mipsel", "qemu-system-mips"),
    ("dtc", "device-tree-compiler"),
    ("mipsel-linux-gnu-objdump", "binutils-mipsel-linux-gnu"),
    ("gdb-multiarch", "gdb-multiarch"),
];

/// Debian's standard-library source package and where it installs.
const DEBIAN_RUST_SRC_PACKAGE: &str = "rust-web-src";
const DEBIAN_RUST_SRC: &str = "/usr/lib/rustlib/src/rust";
/// `rustup component add` gets this long before the Debian fallback.
const RUSTUP_TIME_LIMIT: Duration = Duration::from_secs(30);
const APT_TIME_LIMIT: Duration = Duration::from_secs(15 * 60);

/// The QEMU package, and the utilities package built from the same source.
/// A machine may carry a newer `qemu-utils` (bookworm-backports' 10.0)
/// that conflicts with bookworm's `qemu-system-mips` 7.2: setup then
/// installs the `qemu-utils` of `qemu-system-mips`'s own version beside it.
const QEMU_PACKAGE: &str = "qemu-system-mips";
const QEMU_UTILS_PACKAGE: &str = "qemu-utils";

/// `cargo insta review` for the snapshot tests: the cargo-insta of the
/// `insta` version in Cargo.lock (a test checks they agree).
const CARGO_INSTA_VERSION: &str = "1.49.0";
const CARGO_INSTALL_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);

fn step(name: &str, outcome: &str) {
    eprintln!("setup: {name:<26} {outcome}");
}

/// `cargo xtask setup`
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("setup takes no arguments (got `{arg}`)"));
    }
    ensure()
}

/// Makes sure the tools and the standard-library source are present.
pub fn ensure() -> Result<(), String> {
    let start = Instant::now();
    let mut apt = Apt::detect();
    let mut missing = Vec::new();
    for (tool, package) in TOOLS {
        match which(tool) {
            Some(path) => step(tool, &format!("ok ({})", path.display())),
            None => {
                step(tool, &format!("missing (Debian package {package})"));
                missing.push(*package);
            }
        }
    }
    if !missing.is_empty() {
        let packages = if missing.contains(&QEMU_PACKAGE) && apt.usable {
            apt.update_once()?;
            let (packages, change) = qemu_pins(&missing, &apt_candidate(QEMU_PACKAGE)?, installed_version(QEMU_UTILS_PACKAGE));
            if let Some(change) = &change {
                step(QEMU_UTILS_PACKAGE, change);
            }
            packages
        } else {
            missing.iter().map(|p| p.to_string()).collect()
        };
        apt.install(&packages.iter().map(String::as_str).collect::<Vec<_>>())?;
        for (tool, _) in TOOLS {
            if which(tool).is_none() {
                return Err(format!("`{tool}` is still missing after installing its package"));
            }
        }
    }
    ensure_rust_src(&mut apt)?;
    ensure_cargo_insta()?;
    step("done", &format!("in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

/// What `cargo xtask linux` needs besides [`ensure`]'s tools to build a
/// Linux kernel for Malta and its initramfs, with the Debian package
/// providing each: the cross compiler, the host compiler and tools of the
/// kernel build, and what unpacks the downloaded packages.
const LINUX_BUILD_TOOLS: &[(&str, &str)] = &[
    ("mipsel-linux-gnu-gcc", "gcc-mipsel-linux-gnu"),
    ("gcc", "gcc"),
    ("make", "make"),
    ("bc", "bc"),
    ("flex", "flex"),
    ("bison", "bison"),
    ("perl", "perl"),
    ("tar", "tar"),
    ("xz", "xz-utils"),
    ("gzip", "gzip"),
    ("dpkg-deb", "dpkg"),
    ("apt-get", "apt"),
];
/// Files the kernel build needs, with their packages: the host C headers
/// (`gcc` only recommends them).
const LINUX_BUILD_FILES: &[(&str, &str)] = &[("/usr/include/stdio.h", "libc6-dev")];

/// Installs what building a Linux guest needs ([`LINUX_BUILD_TOOLS`],
/// [`LINUX_BUILD_FILES`]) when some of it is missing; quick otherwise.
pub fn ensure_linux_build_tools() -> Result<(), String> {
    let name = "linux build tools";
    let missing: Vec<&str> = LINUX_BUILD_TOOLS
        .iter()
        .filter(|(tool, _)| which(tool).is_none())
        .chain(LINUX_BUILD_FILES.iter().filter(|(file, _)| !Path::new(file).is_file()))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        step(name, "ok");
        return Ok(());
    }
    step(name, &format!("missing (Debian packages {})", missing.join(" ")));
    Apt::detect().install(&missing)?;
    for (tool, package) in LINUX_BUILD_TOOLS {
        if which(tool).is_none() {
            return Err(format!("`{tool}` is still missing after installing {package}"));
        }
    }
    for (file, package) in LINUX_BUILD_FILES {
        if !Path::new(file).is_file() {
            return Err(format!("{file} is still missing after installing {package}"));
        }
    }
    Ok(())
}

/// The packages to install for `missing`, given the version apt would
/// install of `qemu-system-mips` and the installed `qemu-utils` version, if
/// any. When that `qemu-utils` is of another version, both are pinned to
/// `qemu-system-mips`'s version (apt then replaces `qemu-utils`, which it
/// would otherwise have to remove); the second value says so.
fn qemu_pins(missing: &[&str], qemu_version: &str, qemu_utils: Option<String>) -> (Vec<String>, Option<String>) {
    let mut packages: Vec<String> = missing.iter().map(|p| p.to_string()).collect();
    let Some(installed) = qemu_utils.filter(|v| v != qemu_version) else {
        return (packages, None);
    };
    for package in &mut packages {
        if package == QEMU_PACKAGE {
            *package = format!("{QEMU_PACKAGE}={qemu_version}");
        }
    }
    packages.push(format!("{QEMU_UTILS_PACKAGE}={qemu_version}"));
    let change = format!(
        "{installed} installed, which conflicts with {QEMU_PACKAGE} {qemu_version}: \
         replacing it with {QEMU_UTILS_PACKAGE} {qemu_version} (same source as {QEMU_PACKAGE})"
    );
    (packages, Some(change))
}

/// The version `apt-get install` would take of `package`.
fn apt_candidate(package: &str) -> Result<String, String> {
    let mut policy = Command::new("apt-cache");
    policy.args(["policy", package]);
    let output = process::output(policy)?;
    policy_candidate(&output).ok_or_else(|| format!("apt has no candidate version of {package}:\n{output}"))
}

/// The `Candidate:` line of `apt-cache policy` output.
fn policy_candidate(output: &str) -> Option<String> {
    let candidate = output.lines().find_map(|line| line.trim().strip_prefix("Candidate:"))?.trim();
    (!candidate.is_empty() && candidate != "(none)").then(|| candidate.to_string())
}

/// The installed version of `package`, if it is installed.
fn installed_version(package: &str) -> Option<String> {
    let mut query = Command::new("dpkg-query");
    query.args(["-W", "-f=${db:Status-Abbrev}|${Version}", package]);
    let output = process::output(query).ok()?;
    let (status, version) = output.split_once('|')?;
    (status.starts_with("ii") && !version.is_empty()).then(|| version.to_string())
}

/// `cargo insta` of [`CARGO_INSTA_VERSION`], installed with `cargo install
/// --locked` into cargo's bin directory when it is missing or of another
/// version. Needs no root.
fn ensure_cargo_insta() -> Result<(), String> {
    let name = "cargo-insta";
    let mut version = crate::qemu::cargo();
    version.args(["insta", "--version"]);
    let found = process::output(version).ok();
    if found.as_deref().and_then(|v| v.split_whitespace().nth(1)) == Some(CARGO_INSTA_VERSION) {
        step(name, &format!("ok ({CARGO_INSTA_VERSION})"));
        return Ok(());
    }
    step(
        name,
        &format!(
            "{}; installing {CARGO_INSTA_VERSION} with cargo install (a few minutes, once)",
            found.map_or("missing".to_string(), |v| format!("found `{v}`"))
        ),
    );
    let start = Instant::now();
    let mut install = crate::qemu::cargo();
    install.args(["install", "--locked", "--quiet", "cargo-insta", "--version", &format!("={CARGO_INSTA_VERSION}")]);
    // Its own target directory, not the workspace's (CARGO_TARGET_DIR may
    // point there).
    install.env_remove("CARGO_TARGET_DIR");
    let run = process::run_captured(install, b"", CARGO_INSTALL_TIME_LIMIT)?;
    if !run.success() {
        let tail: Vec<&str> = run.stderr.lines().collect();
        let tail = tail[tail.len().saturating_sub(15)..].join("\n");
        return Err(format!(
            "`cargo install cargo-insta --version ={CARGO_INSTA_VERSION} --locked` failed ({}):\n{tail}",
            run.ending()
        ));
    }
    step(name, &format!("installed {CARGO_INSTA_VERSION} in {:.0} s", start.elapsed().as_secs_f64()));
    Ok(())
}

/// apt-get, usable when running as root on Debian.
struct Apt {
    usable: bool,
    updated: bool,
}

impl Apt {
    fn detect() -> Self {
        let mut id = Command::new("id");
        id.arg("-u");
        let root = process::output(id).is_ok_and(|uid| uid == "0");
        let debian = Path::new("/etc/debian_version").is_file();
        Self { usable: root && debian && which("apt-get").is_some(), updated: false }
    }

    fn apt_get(&self, args: &[&str]) -> Result<(), String> {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        let run = process::run_captured(command, b"", APT_TIME_LIMIT)?;
        if run.success() {
            return Ok(());
        }
        let tail: Vec<&str> = run.stdout.lines().chain(run.stderr.lines()).collect();
        let tail = tail[tail.len().saturating_sub(15)..].join("\n");
        Err(format!("`apt-get {}` failed ({}):\n{tail}", args.join(" "), run.ending()))
    }

    fn update_once(&mut self) -> Result<(), String> {
        if !self.updated {
            let start = Instant::now();
            self.apt_get(&["update", "-q"])?;
            step("apt-get update", &format!("done in {:.0} s", start.elapsed().as_secs_f64()));
            self.updated = true;
        }
        Ok(())
    }

    fn install(&mut self, packages: &[&str]) -> Result<(), String> {
        if !self.usable {
            return Err(not_root_help(packages));
        }
        self.update_once()?;
        let start = Instant::now();
        let mut args =
            vec!["install", "-y", "-q", "--no-install-recommends", "--no-remove", "--allow-downgrades"];
        args.extend_from_slice(packages);
        self.apt_get(&args)?;
        step(
            "apt-get install",
            &format!("{} done in {:.0} s", packages.join(" "), start.elapsed().as_secs_f64()),
        );
        Ok(())
    }
}

/// What to tell a user who cannot install `packages` from here.
fn not_root_help(packages: &[&str]) -> String {
    let list = packages.join(" ");
    format!(
        "missing packages: {list}. Setup installs them only as root on Debian; \
         run these, then this command again:\n  \
         sudo apt-get update\n  \
         sudo apt-get install -y --no-install-recommends {list}"
    )
}

/// `major.minor` of a version string such as `1.95.0` or `1.96.0+dfsg1-1`.
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn rustc_version() -> Result<String, String> {
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let line = process::output(rustc_command(&["--version"]))?;
    line.split_whitespace()
        .nth(1)
        .map(str::to_string)
        .ok_or_else(|| format!("cannot read the version in `{line}`"))
}

fn rustc_command(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    command.args(args);
    command
}

fn debian_rust_src_version() -> Option<String> {
    let mut command = Command::new("dpkg-query");
    command.args(["-W", "-f=${Version}", DEBIAN_RUST_SRC_PACKAGE]);
    process::output(command).ok().filter(|v| !v.is_empty())
}

fn is_rust_src(dir: &Path) -> bool {
    dir.join("library/core/src/lib.rs").is_file()
}

/// Whether the installed Debian source matches rustc's major.minor version
/// (a different version's `core` does not compile).
fn debian_source_matches(rustc: &str, debian: Option<String>) -> Result<(), String> {
    let debian = debian.unwrap_or_else(|| "unknown".into());
    if major_minor(&debian).is_some() && major_minor(&debian) == major_minor(rustc) {
        Ok(())
    } else {
        Err(format!("Debian's {DEBIAN_RUST_SRC_PACKAGE} is version {debian} but rustc is {rustc}"))
    }
}

/// The versions in `apt-cache madison` output ("pkg | version | source").
fn madison_versions(output: &str) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    for line in output.lines() {
        if let Some(version) = line.split('|').nth(1).map(str::trim) {
            if !version.is_empty() && !versions.iter().any(|v| v == version) {
                versions.push(version.to_string());
            }
        }
    }
    versions
}

/// The standard-library source `-Zbuild-std` needs, in
/// `$(rustc --print sysroot)/lib/rustlib/src/rust`. In order of preference:
/// what is already there; rustup's `rust-src` (if rustup answers in time);
/// Debian's `rust-web-src` of rustc's version, linked into the sysroot; and
/// when Debian has no source of that version, Debian's own rustc with its
/// matching source for the bare-metal builds (see [`baremetal_rustc`]).
fn ensure_rust_src(apt: &mut Apt) -> Result<(), String> {
    let sysroot = PathBuf::from(process::output(rustc_command(&["--print", "sysroot"]))?);
    let rustc = rustc_version()?;
    let link = sysroot.join("lib/rustlib/src/rust");
    let name = "rust-src";

    let is_link = std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink());
    let points_to_debian = std::fs::read_link(&link).is_ok_and(|t| t == Path::new(DEBIAN_RUST_SRC));
    if points_to_debian && is_rust_src(&link) {
        if let Err(why) = debian_source_matches(&rustc, debian_rust_src_version()) {
            step(name, "linked Debian source has the wrong version; removing the link");
            eprintln!("       {why}");
            remove_link(&link)?;
        }
    } else if is_link && !is_rust_src(&link) {
        // A dangling link (e.g. its package was removed).
        remove_link(&link)?;
    }
    if is_rust_src(&link) {
        step(name, &format!("ok ({})", link.display()));
        return Ok(());
    }
    if let Some(debian) = debian_toolchain() {
        step(name, &format!("ok (Debian's rustc {debian} and its source, for bare-metal builds)"));
        return Ok(());
    }

    if which("rustup").is_some() {
        let start = Instant::now();
        let mut command = Command::new("rustup");
        command.args(["component", "add", "rust-src"]);
        let run = process::run_captured(command, b"", RUSTUP_TIME_LIMIT)?;
        if run.success() && is_rust_src(&link) {
            step(name, &format!("installed by rustup in {:.0} s", start.elapsed().as_secs_f64()));
            return Ok(());
        }
        step(name, &format!("rustup component add rust-src: {}; trying Debian's", run.ending()));
    }

    if !apt.usable {
        return Err(format!(
            "the Rust {rustc} standard-library source is missing. Run:\n  \
             rustup component add rust-src"
        ));
    }
    // Debian's source, if it exists in rustc's version (another version's
    // `core` does not compile).
    let matches = |version: &str| major_minor(version).is_some_and(|v| Some(v) == major_minor(&rustc));
    let installed = debian_rust_src_version();
    if !(installed.as_deref().is_some_and(matches) && is_rust_src(Path::new(DEBIAN_RUST_SRC))) {
        apt.update_once()?;
        let mut madison = Command::new("apt-cache");
        madison.args(["madison", DEBIAN_RUST_SRC_PACKAGE]);
        let available = madison_versions(&process::output(madison).unwrap_or_default());
        match available.iter().find(|v| matches(v)) {
            Some(version) => apt.install(&[&format!("{DEBIAN_RUST_SRC_PACKAGE}={version}")])?,
            None => return install_debian_toolchain(apt, &rustc, &available),
        }
    }
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    symlink(Path::new(DEBIAN_RUST_SRC), &link)?;
    step(name, &format!("linked {} -> {DEBIAN_RUST_SRC}", link.display()));
    Ok(())
}

/// Debian's compiler, whose sysroot (`/usr`) holds `rust-web-src`.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
/// The packages of Debian's Rust toolchain used for bare-metal builds.
const DEBIAN_TOOLCHAIN: &[&str] = &["rustc-web", "rust-web-src", "rust-web-llvm"];
/// The linker the `mipsel-unknown-none` target names.
const RUST_LLD: &str = "/usr/bin/rust-lld";

/// When Debian has no `rust-web-src` of rustc's version: installs Debian's
/// rustc, its source and `rust-lld`, which then build the bare-metal crates.
fn install_debian_toolchain(apt: &mut Apt, rustc: &str, available: &[String]) -> Result<(), String> {
    step(
        "rust-src",
        &format!(
            "Debian has no source for rustc {rustc} (only {}); using Debian's toolchain for \
             bare-metal builds",
            available.join(", ")
        ),
    );
    apt.install(DEBIAN_TOOLCHAIN)?;
    // rust-web-llvm's rust-lld is a link to a versioned lld (e.g. lld-22)
    // that it does not depend on; the package is named like the binary.
    if !Path::new(RUST_LLD).exists() {
        if let Some(lld) = std::fs::read_link(RUST_LLD).ok().and_then(|t| t.to_str().map(str::to_string)) {
            apt.install(&[&lld])?;
        }
    }
    match debian_toolchain() {
        Some(version) => {
            step("rust-src", &format!("using Debian's rustc {version} and its source"));
            Ok(())
        }
        None => Err(format!(
            "installed {} but Debian's rustc, source and rust-lld do not fit together; \
             run `rustup component add rust-src` with access to static.rust-lang.org",
            DEBIAN_TOOLCHAIN.join(" ")
        )),
    }
}

/// Debian's rustc version if it, its standard-library source and
/// `rust-lld` are installed and of the same version.
fn debian_toolchain() -> Option<String> {
    if !(Path::new(DEBIAN_RUSTC).is_file() && Path::new(RUST_LLD).exists()) {
        return None;
    }
    let mut version = Command::new(DEBIAN_RUSTC);
    version.arg("--version");
    let version = process::output(version).ok()?.split_whitespace().nth(1)?.to_string();
    let mut sysroot = Command::new(DEBIAN_RUSTC);
    sysroot.args(["--print", "sysroot"]);
    let source = PathBuf::from(process::output(sysroot).ok()?).join("lib/rustlib/src/rust");
    let source_version = debian_rust_src_version()?;
    (is_rust_src(&source) && major_minor(&version) == major_minor(&source_version)).then_some(version)
}

/// The compiler for `-Zbuild-std` builds: `None` for the usual `rustc`
/// (its sysroot has the source), or Debian's rustc when setup chose it
/// because Debian has no source of the usual rustc's version.
pub fn baremetal_rustc() -> Option<PathBuf> {
    let sysroot = process::output(rustc_command(&["--print", "sysroot"])).ok()?;
    if is_rust_src(&Path::new(&sysroot).join("lib/rustlib/src/rust")) {
        return None;
    }
    debian_toolchain().map(|_| PathBuf::from(DEBIAN_RUSTC))
}

fn remove_link(link: &Path) -> Result<(), String> {
    std::fs::remove_file(link).map_err(|e| format!("cannot remove {}: {e}", link.display()))
}

fn symlink(target: &Path, link: &Path) -> Result<(), String> {
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| format!("cannot link {} -> {}: {e}", link.display(), target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_minor("1.95.0"), Some((1, 95)));
        assert_eq!(major_minor("1.96.0+dfsg1-1~deb12u2"), Some((1, 96)));
        assert_eq!(major_minor("1.85.0+dfsg3-1~deb12u3"), Some((1, 85)));
        assert_eq!(major_minor("unknown"), None);
        assert_eq!(major_minor(""), None);
    }

    #[test]
    fn without_root_the_exact_commands_are_printed() {
        assert_eq!(
            not_root_help(&["qemu-system-mips", "device-tree-compiler"]),
            "missing packages: qemu-system-mips device-tree-compiler. Setup installs them only \
             as root on Debian; run these, then this command again:\n  \
             sudo apt-get update\n  \
             sudo apt-get install -y --no-install-recommends qemu-system-mips device-tree-compiler"
        );
    }

    #[test]
    fn madison_output() {
        let output = "rust-web-src | 1.96.0+dfsg1-1~deb12u2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n\
                      rust-web-src | 1.85.0+dfsg3-1~deb12u3 | http://deb.debian.org/debian bookworm/main amd64 Packages\n\
                      rust-web-src | 1.85.0+dfsg3-1~deb12u3 | http://mirror/debian bookworm/main amd64 Packages\n";
        assert_eq!(madison_versions(output), ["1.96.0+dfsg1-1~deb12u2", "1.85.0+dfsg3-1~deb12u3"]);
        assert!(madison_versions("").is_empty());
    }

    #[test]
    fn debian_source_version_check() {
        assert!(debian_source_matches("1.96.1", Some("1.96.0+dfsg1-1~deb12u2".into())).is_ok());
        let error = debian_source_matches("1.95.0", Some("1.96.0+dfsg1-1~deb12u2".into())).unwrap_err();
        assert_eq!(error, "Debian's rust-web-src is version 1.96.0+dfsg1-1~deb12u2 but rustc is 1.95.0");
        assert!(debian_source_matches("1.95.0", None).is_err());
    }

    #[test]
    fn qemu_utils_of_another_version_is_replaced_by_the_matching_one() {
        let missing = ["qemu-system-mips", "device-tree-compiler"];
        let qemu = "1:7.2+dfsg-7+deb12u18+b2";
        let (packages, change) = qemu_pins(&missing, qemu, Some("1:10.0.2+ds-2+deb13u1~bpo12+1".into()));
        assert_eq!(
            packages,
            [
                "qemu-system-mips=1:7.2+dfsg-7+deb12u18+b2",
                "device-tree-compiler",
                "qemu-utils=1:7.2+dfsg-7+deb12u18+b2"
            ]
        );
        assert_eq!(
            change.unwrap(),
            "1:10.0.2+ds-2+deb13u1~bpo12+1 installed, which conflicts with qemu-system-mips \
             1:7.2+dfsg-7+deb12u18+b2: replacing it with qemu-utils 1:7.2+dfsg-7+deb12u18+b2 \
             (same source as qemu-system-mips)"
        );
        // No qemu-utils, or the matching one: nothing pinned, nothing said.
        for installed in [None, Some(qemu.to_string())] {
            assert_eq!(qemu_pins(&missing, qemu, installed), (missing.map(String::from).to_vec(), None));
        }
    }

    #[test]
    fn apt_policy_candidate() {
        let output = "qemu-system-mips:\n  Installed: (none)\n  Candidate: 1:7.2+dfsg-7+deb12u18+b2\n  \
                      Version table:\n     1:7.2+dfsg-7+deb12u18+b2 500\n";
        assert_eq!(policy_candidate(output).as_deref(), Some("1:7.2+dfsg-7+deb12u18+b2"));
        assert_eq!(policy_candidate("x:\n  Installed: (none)\n  Candidate: (none)\n"), None);
        assert_eq!(policy_candidate(""), None);
    }

    #[test]
    fn cargo_insta_is_pinned_to_the_locked_insta() {
        let lock = std::fs::read_to_string(crate::qemu::workspace_root().join("Cargo.lock")).unwrap();
        let insta = lock.split("[[package]]").find(|p| p.contains("\nname = \"insta\"\n")).unwrap();
        assert!(insta.contains(&format!("\nversion = \"{CARGO_INSTA_VERSION}\"\n")), "{insta}");
    }

    #[test]
    fn every_tool_has_a_package() {
        for (tool, package) in TOOLS.iter().chain(LINUX_BUILD_TOOLS).chain(LINUX_BUILD_FILES) {
            assert!(!tool.is_empty() && !package.is_empty());
        }
    }
}
