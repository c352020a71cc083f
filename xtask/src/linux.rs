//! `cargo xtask linux`: a Linux 5.10 kernel for a guest of the hypervisor,
//! the same kernel built for native Malta (the benchmarks' reference), and
//! a busybox initramfs.
//!
//! Everything comes from Debian packages, fetched with `apt-get download`
//! through a private apt configuration under the cache (the machine's
//! `/etc/apt` is only read): bullseye's `linux-source-5.10` and bookworm's
//! `busybox-static` for mipsel (bullseye's mirror no longer carries mipsel).
//! The kernels are cross-compiled with bookworm's `gcc-mipsel-linux-gnu`.
//!
//! Each artefact lives in a cache directory named by a hash of its inputs
//! ([`cache_key`]): package versions (read from the downloaded `.deb`
//! names), the committed config fragment and `/init`, the compiler's and
//! linker's version lines and [`RECIPE`]. It is built in `tmp/` and renamed
//! into place when complete, so an interrupted build is never taken as
//! cached; a failed kernel build leaves its log there. With everything
//! cached, [`build`] runs no network access and no build at all.

use crate::process;
use crate::qemu::{self, Machine};
use crate::setup;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The three images `cargo xtask linux` builds.
#[derive(Clone, Debug)]
pub struct LinuxImages {
    /// Linked for the hypervisor's guest map (`CONFIG_KVM_GUEST`, 0x40100000).
    pub guest_kernel: PathBuf,
    /// The same source and configuration, linked for native Malta.
    pub native_kernel: PathBuf,
    /// A gzip-compressed `newc` cpio archive, for QEMU's `-initrd`.
    pub initramfs: PathBuf,
}

/// Changes whenever the way an artefact is made changes (flags, layout,
/// steps), so that older cache entries are not reused.
const RECIPE: &str = "mipsvisor-linux-1";

/// A Debian package, the suite it is taken from, and its architecture
/// (`all` packages are found in the index of the machine's own one).
struct Package {
    name: &'static str,
    suite: &'static str,
    arch: &'static str,
}

const KERNEL_SOURCE: Package = Package { name: "linux-source-5.10", suite: "bullseye", arch: "all" };
/// Bullseye's mirror dropped mipsel; bookworm's static busybox runs on 5.10.
const BUSYBOX: Package = Package { name: "busybox-static", suite: "bookworm", arch: "mipsel" };

/// Debian's mirror, then the archive old releases move to.
const MIRRORS: &[&str] = &["http://deb.debian.org/debian", "http://archive.debian.org/debian"];
/// The keys a release may be signed with: the current keyring, and the
/// keys moved out of it when a release retires.
const KEYRINGS: &[&str] =
    &["/usr/share/keyrings/debian-archive-keyring.gpg", "/usr/share/keyrings/debian-archive-removed-keys.gpg"];

const DEFCONFIG: &str = "arch/mips/configs/malta_kvm_guest_defconfig";
/// The committed config fragment and `/init`, relative to the workspace.
const FRAGMENT: &str = "guests/linux/kvm-guest.config";
const INIT: &str = "guests/linux/init";
const CROSS_COMPILE: &str = "mipsel-linux-gnu-";
/// The kernel command line for the native boot: the first UART as console,
/// and a panic ends QEMU (it reboots, and QEMU runs with `-no-reboot`).
pub const NATIVE_CMDLINE: &str = "console=ttyS0 rdinit=/init panic=-1";
/// What `/init` prints before it starts the shell, and the shell's prompt
/// (for the QEMU tests that script a session).
pub const INIT_MARKER: &str = "mipsvisor-linux: init done";
pub const PROMPT: &str = "~ # ";

/// Applets `/init` and a session need; the initramfs is refused without.
const NEEDED_APPLETS: &[&str] = &["sh", "mount", "setsid", "cttyhack", "poweroff", "uname", "cat"];

const USAGE: &str = "usage: cargo xtask linux [--refresh] [--boot-native [--timeout SECONDS]]";

fn step(name: &str, outcome: &str) {
    eprintln!("linux: {name:<26} {outcome}");
}

/// Options of `cargo xtask linux`.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    /// Download the packages' current versions even when some are cached.
    refresh: bool,
    boot_native: bool,
    timeout: Option<Duration>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options { refresh: false, boot_native: false, timeout: None };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--refresh" => options.refresh = true,
            "--boot-native" => options.boot_native = true,
            "--timeout" => {
                let value = args.next().ok_or("--timeout needs a number of seconds")?;
                match value.parse::<u64>() {
                    Ok(seconds) if seconds > 0 => options.timeout = Some(Duration::from_secs(seconds)),
                    _ => return Err(format!("--timeout {value}: give a whole number of seconds")),
                }
            }
            other => return Err(format!("linux: unknown option `{other}`\n{USAGE}")),
        }
    }
    if options.timeout.is_some() && !options.boot_native {
        return Err(format!("linux: --timeout goes with --boot-native\n{USAGE}"));
    }
    Ok(options)
}

/// `cargo xtask linux`
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let images = build_with(options.refresh, true)?;
    println!("kernel (guest):  {}", images.guest_kernel.display());
    println!("kernel (native): {}", images.native_kernel.display());
    println!("initramfs:       {}", images.initramfs.display());
    if options.boot_native {
        boot_native(&images, options.timeout)?;
    }
    Ok(())
}

/// Builds what is not cached yet and returns the three images' paths.
pub fn build() -> Result<LinuxImages, String> {
    build_with(false, true)
}

/// [`build`] without the native kernel (which only the benchmark boots):
/// `native_kernel` is where it would be, and may not exist.
pub fn build_guest() -> Result<LinuxImages, String> {
    build_with(false, false)
}

/// The QEMU machine that boots the native kernel with the initramfs, with
/// `-icount shift=0` (one instruction a virtual nanosecond). The RTC stays
/// on the host's clock: native Malta kernels measure the CPU's clock
/// against the RTC at boot, which on the virtual clock (`-rtc clock=vm`)
/// takes a virtual second, over a minute at icount's pace. Against the
/// host's clock the kernel takes Count for a few MHz, so printk's
/// timestamps are in real time, not virtual.
pub fn native_machine(images: &LinuxImages) -> Machine {
    native_machine_without_icount(images).arg("-icount").arg("shift=0")
}

/// [`native_machine`] without its `-icount`, for a caller with its own.
pub fn native_machine_without_icount(images: &LinuxImages) -> Machine {
    Machine::new(&images.native_kernel)
        .without_boot_flash()
        .arg("-initrd")
        .arg(images.initramfs.display().to_string())
        .arg("-append")
        .arg(NATIVE_CMDLINE)
}

fn boot_native(images: &LinuxImages, timeout: Option<Duration>) -> Result<(), String> {
    eprintln!("xtask: booting the native kernel on QEMU Malta (`{NATIVE_CMDLINE}`)");
    eprintln!("xtask: the shell's `poweroff -f` (or `exit`) ends QEMU; so does Ctrl-A x");
    match native_machine(images).run_interactive(timeout)? {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!("QEMU ended with {status}")),
        None => Err(format!("stopped QEMU after the {} s timeout", timeout.map_or(0, |t| t.as_secs()))),
    }
}

fn build_with(refresh: bool, native: bool) -> Result<LinuxImages, String> {
    let start = Instant::now();
    setup::ensure_linux_build_tools()?;
    let cache = cache_dir()?;
    let inputs = Inputs::read()?;

    // Everything cached: no lock, no network.
    if !refresh {
        if let Some(debs) = Debs::cached(&cache) {
            let plan = Plan::new(&cache, &debs, &inputs);
            if let Some(images) = plan.finished(native) {
                step("cached", &format!("{} ({:.2} s)", cache.display(), start.elapsed().as_secs_f64()));
                return Ok(images);
            }
        }
    }

    fs::create_dir_all(&cache).map_err(|e| format!("cannot create the cache {}: {e}", cache.display()))?;
    let _lock = lock(&cache)?;
    // What an earlier failed build left (its log) goes now; no other
    // build uses tmp/ while the lock is held.
    let tmp = cache.join("tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
    }
    let debs = match Debs::cached(&cache) {
        Some(debs) if !refresh => debs,
        _ => download(&cache)?,
    };
    step(KERNEL_SOURCE.name, &debs.kernel_version);
    step(BUSYBOX.name, &debs.busybox_version);
    let plan = Plan::new(&cache, &debs, &inputs);
    if plan.initramfs.is_file() {
        step("initramfs", "cached");
    } else {
        build_initramfs(&cache, &debs.busybox, &inputs.init, &plan.initramfs)?;
    }
    for (variant, vmlinux) in [(Variant::Guest, &plan.guest_kernel), (Variant::Native, &plan.native_kernel)] {
        if variant == Variant::Native && !native {
            continue;
        }
        if vmlinux.is_file() {
            step(&format!("kernel ({})", variant.name()), "cached");
            continue;
        }
        let source = kernel_source(&cache, &debs)?;
        build_kernel(&cache, &source, variant, &inputs.fragment, vmlinux)?;
    }
    step("done", &format!("in {:.0} s", start.elapsed().as_secs_f64()));
    plan.finished(native).ok_or_else(|| "the images are missing right after their build".to_string())
}

/// `$MIPSVISOR_CACHE/linux`, else `$XDG_CACHE_HOME/mipsvisor/linux`, else
/// `$HOME/.cache/mipsvisor/linux`.
fn cache_dir() -> Result<PathBuf, String> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("MIPSVISOR_CACHE") {
        return Ok(dir.join("linux"));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(dir.join("mipsvisor/linux"));
    }
    match var("HOME") {
        Some(home) => Ok(home.join(".cache/mipsvisor/linux")),
        None => Err("no cache directory: set MIPSVISOR_CACHE, XDG_CACHE_HOME or HOME".into()),
    }
}

/// Holds the cache's lock file, so that two builds never share `tmp/`.
fn lock(cache: &Path) -> Result<File, String> {
    let path = cache.join("lock");
    let file = File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        step("lock", &format!("waiting for another build ({})", path.display()));
        file.lock().map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    }
    Ok(file)
}

/// The committed inputs, and the cross tools' version lines.
struct Inputs {
    fragment: String,
    init: Vec<u8>,
    gcc: String,
    ld: String,
}

impl Inputs {
    fn read() -> Result<Self, String> {
        let root = qemu::workspace_root();
        let read = |path: &str| fs::read(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"));
        let fragment = String::from_utf8(read(FRAGMENT)?).map_err(|_| format!("{FRAGMENT} is not UTF-8"))?;
        let first_line = |tool: &str| -> Result<String, String> {
            let mut command = Command::new(format!("{CROSS_COMPILE}{tool}"));
            command.arg("--version");
            Ok(process::output(command)?.lines().next().unwrap_or_default().to_string())
        };
        Ok(Self { fragment, init: read(INIT)?, gcc: first_line("gcc")?, ld: first_line("ld")? })
    }
}

/// The downloaded packages.
struct Debs {
    kernel: PathBuf,
    kernel_version: String,
    busybox: PathBuf,
    busybox_version: String,
}

impl Debs {
    /// The `.deb`s in the cache's `debs/`, if both are there.
    fn cached(cache: &Path) -> Option<Self> {
        let dir = cache.join("debs");
        let find = |package: &Package| -> Option<(PathBuf, String)> {
            let mut found: Vec<(PathBuf, String)> = fs::read_dir(&dir)
                .ok()?
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| {
                    let name = entry.file_name().into_string().ok()?;
                    let version = deb_version(&name, package.name)?;
                    Some((entry.path(), version))
                })
                .collect();
            // One of each is kept; a leftover of an interrupted refresh
            // loses to the newest file name.
            found.sort();
            found.pop()
        };
        let (kernel, kernel_version) = find(&KERNEL_SOURCE)?;
        let (busybox, busybox_version) = find(&BUSYBOX)?;
        Some(Self { kernel, kernel_version, busybox, busybox_version })
    }
}

/// The version in a `.deb` file name as `apt-get download` writes it,
/// `NAME_VERSION_ARCH.deb` with the epoch's colon written `%3a`.
fn deb_version(file_name: &str, package: &str) -> Option<String> {
    let rest = file_name.strip_prefix(package)?.strip_prefix('_')?.strip_suffix(".deb")?;
    let (version, arch) = rest.rsplit_once('_')?;
    if version.is_empty() || arch.is_empty() || version.contains('_') {
        return None;
    }
    Some(version.replace("%3a", ":").replace("%3A", ":"))
}

/// A hash of named inputs, as the name of a cache directory: FNV-1a (64
/// bits) over each name and value with their lengths, so that no two
/// different lists of inputs are the same byte stream.
fn cache_key(inputs: &[(&str, &[u8])]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &byte in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (name, value) in inputs {
        feed(name.as_bytes());
        feed(value);
    }
    format!("{hash:016x}")
}

/// Where each artefact goes, from the hash of its inputs.
struct Plan {
    guest_kernel: PathBuf,
    native_kernel: PathBuf,
    initramfs: PathBuf,
}

impl Plan {
    fn new(cache: &Path, debs: &Debs, inputs: &Inputs) -> Self {
        let kernel = |variant: Variant| {
            let key = cache_key(&[
                ("recipe", RECIPE.as_bytes()),
                ("variant", variant.name().as_bytes()),
                (KERNEL_SOURCE.name, debs.kernel_version.as_bytes()),
                ("defconfig", DEFCONFIG.as_bytes()),
                ("fragment", inputs.fragment.as_bytes()),
                ("gcc", inputs.gcc.as_bytes()),
                ("ld", inputs.ld.as_bytes()),
            ]);
            cache.join(format!("kernel-{}-{key}", variant.name())).join("vmlinux")
        };
        let initramfs_key = cache_key(&[
            ("recipe", RECIPE.as_bytes()),
            (BUSYBOX.name, debs.busybox_version.as_bytes()),
            ("init", &inputs.init),
        ]);
        Self {
            guest_kernel: kernel(Variant::Guest),
            native_kernel: kernel(Variant::Native),
            initramfs: cache.join(format!("initramfs-{initramfs_key}")).join("initramfs.cpio.gz"),
        }
    }

    /// The images, when every one asked for (the native kernel only if
    /// `native`) is built.
    fn finished(&self, native: bool) -> Option<LinuxImages> {
        let all = self.guest_kernel.is_file() && self.initramfs.is_file() && (!native || self.native_kernel.is_file());
        all.then(|| LinuxImages {
            guest_kernel: self.guest_kernel.clone(),
            native_kernel: self.native_kernel.clone(),
            initramfs: self.initramfs.clone(),
        })
    }
}

/// A fresh, empty `tmp/NAME` in the cache (the cache's lock is held).
fn fresh_tmp(cache: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = cache.join("tmp").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Moves a finished `from` to `to`, the artefact's cache directory.
fn publish(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::rename(from, to).map_err(|e| format!("cannot move {} to {}: {e}", from.display(), to.display()))
}

/// Runs `command`, failing with its stderr when it fails.
fn run_quietly(what: &str, mut command: Command) -> Result<(), String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| {
        process::spawn_error(&command.get_program().to_string_lossy(), &e)
    })?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    Err(format!("{what} failed ({}):\n{}", out.status, last_lines(&text, 15)))
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

// ---------------------------------------------------------------------------
// Packages

/// Downloads the current [`KERNEL_SOURCE`] and [`BUSYBOX`] into `debs/`,
/// replacing older versions.
fn download(cache: &Path) -> Result<Debs, String> {
    let start = Instant::now();
    let apt = cache.join("apt");
    for dir in ["state/lists/partial", "cache/archives/partial"] {
        let dir = apt.join(dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut native = Command::new("dpkg");
    native.arg("--print-architecture");
    let native = process::output(native)?;
    let packages = [&KERNEL_SOURCE, &BUSYBOX];
    let mut lines = Vec::new();
    for package in packages {
        let arch = if package.arch == "all" { native.as_str() } else { package.arch };
        let mirror = probe_mirror(&apt, package.suite)?;
        lines.push(sources_line(mirror, package.suite, arch));
    }
    fs::write(apt.join("sources.list"), lines.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", apt.join("sources.list").display()))?;
    let options = apt_options(&apt, &native, &packages.map(|p| p.arch));
    let mut update = Command::new("apt-get");
    update.args(&options).args(["-q", "update"]);
    run_quietly("`apt-get update` (private lists in the cache)", update)?;

    let tmp = fresh_tmp(cache, "download")?;
    let mut get = Command::new("apt-get");
    get.args(&options).args(["-q", "download"]).current_dir(&tmp);
    for package in packages {
        let arch = if package.arch == "all" { String::new() } else { format!(":{}", package.arch) };
        get.arg(format!("{}{arch}/{}", package.name, package.suite));
    }
    run_quietly("`apt-get download`", get)?;

    let debs = cache.join("debs");
    fs::create_dir_all(&debs).map_err(|e| format!("cannot create {}: {e}", debs.display()))?;
    for package in packages {
        let old: Vec<PathBuf> = read_names(&debs)?
            .into_iter()
            .filter(|name| deb_version(name, package.name).is_some())
            .map(|name| debs.join(name))
            .collect();
        let Some(new) = read_names(&tmp)?.into_iter().find(|name| deb_version(name, package.name).is_some())
        else {
            return Err(format!("`apt-get download` left no .deb of {} in {}", package.name, tmp.display()));
        };
        for path in old {
            fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
        publish(&tmp.join(&new), &debs.join(&new))?;
    }
    fs::remove_dir_all(&tmp).map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
    step("download", &format!("done in {:.0} s", start.elapsed().as_secs_f64()));
    Debs::cached(cache).ok_or_else(|| format!("the downloaded packages are missing from {}", debs.display()))
}

fn read_names(dir: &Path) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    Ok(entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
}

/// The first of [`MIRRORS`] that serves `suite` (its InRelease file,
/// fetched with apt's own downloader and so through the machine's proxy
/// settings).
fn probe_mirror(apt: &Path, suite: &str) -> Result<&'static str, String> {
    let mut failures = Vec::new();
    for mirror in MIRRORS {
        let url = format!("{mirror}/dists/{suite}/InRelease");
        let target = apt.join(format!("probe-{suite}"));
        let mut probe = Command::new("/usr/lib/apt/apt-helper");
        probe.args(["-o", "APT::Sandbox::User=root", "download-file", &url]).arg(&target);
        let result = run_quietly(&format!("fetching {url}"), probe);
        let _ = fs::remove_file(&target);
        match result {
            Ok(()) => {
                step(&format!("mirror ({suite})"), mirror);
                return Ok(mirror);
            }
            Err(why) => failures.push(why),
        }
    }
    Err(format!("no mirror serves Debian {suite}:\n{}", failures.join("\n")))
}

/// One line of the private sources.list, verified with Debian's keys.
fn sources_line(mirror: &str, suite: &str, arch: &str) -> String {
    format!("deb [arch={arch} signed-by={}] {mirror} {suite} main", KEYRINGS.join(","))
}

/// apt-get options that keep apt's sources, lists, caches and preferences
/// under `apt` (the machine's `/etc/apt` is read for its settings only,
/// e.g. a proxy) and index only the architectures asked for.
fn apt_options(apt: &Path, native: &str, arches: &[&str]) -> Vec<String> {
    let dir = apt.display();
    let mut options = vec![
        format!("Dir::Etc::SourceList={dir}/sources.list"),
        "Dir::Etc::SourceParts=/dev/null".into(),
        "Dir::Etc::Preferences=/dev/null".into(),
        "Dir::Etc::PreferencesParts=/dev/null".into(),
        format!("Dir::State={dir}/state"),
        "Dir::State::status=/dev/null".into(),
        format!("Dir::Cache={dir}/cache"),
        format!("APT::Architecture={native}"),
        format!("APT::Architectures::={native}"),
        "Acquire::Languages=none".into(),
        "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false".into(),
        "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false".into(),
        "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false".into(),
        // The cache is the invoking user's; apt's `_apt` user may not
        // reach it.
        "APT::Sandbox::User=root".into(),
    ];
    for arch in arches {
        if *arch != "all" && *arch != native && !options.contains(&format!("APT::Architectures::={arch}")) {
            options.push(format!("APT::Architectures::={arch}"));
        }
    }
    options.into_iter().flat_map(|option| ["-o".to_string(), option]).collect()
}

// ---------------------------------------------------------------------------
// Kernels

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// For the hypervisor: `CONFIG_KVM_GUEST`, linked at 0x40100000.
    Guest,
    /// For native Malta: the same without `CONFIG_KVM_GUEST`.
    Native,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Guest => "guest",
            Variant::Native => "native",
        }
    }

    /// The variant's fragment: the committed one (the guest's), or for the
    /// native kernel the same with `CONFIG_KVM_GUEST` turned off.
    fn fragment(self, guest: &str) -> Result<String, String> {
        const ON: &str = "CONFIG_KVM_GUEST=y";
        if !guest.lines().any(|line| line.trim() == ON) {
            return Err(format!("{FRAGMENT} must set {ON}"));
        }
        Ok(match self {
            Variant::Guest => guest.to_string(),
            Variant::Native => guest
                .lines()
                .map(|line| if line.trim() == ON { "# CONFIG_KVM_GUEST is not set" } else { line })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        })
    }
}

/// The value of one option in a config file: `Some("y")`, `Some("100")`,
/// `Some("\"text\"")`, or `None` for `# CONFIG_X is not set`.
type Setting = (String, Option<String>);

/// The settings in a defconfig, fragment or `.config`; other comments
/// and blank lines are skipped.
fn settings(text: &str) -> Vec<Setting> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("# ") {
                let name = rest.strip_suffix(" is not set")?;
                return is_option_name(name).then(|| (name.to_string(), None));
            }
            let (name, value) = line.split_once('=')?;
            is_option_name(name).then(|| (name.to_string(), Some(value.to_string())))
        })
        .collect()
}

fn is_option_name(name: &str) -> bool {
    name.strip_prefix("CONFIG_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
}

fn show(name: &str, value: &Option<String>) -> String {
    match value {
        Some(value) => format!("{name}={value}"),
        None => format!("# {name} is not set"),
    }
}

/// The defconfig with the fragment's settings in place of its own (what
/// `scripts/kconfig/merge_config.sh` does): the defconfig's lines for
/// options the fragment sets are dropped, the fragment's appended.
fn merge_config(defconfig: &str, fragment: &str) -> String {
    let overridden: Vec<String> = settings(fragment).into_iter().map(|(name, _)| name).collect();
    let mut merged: Vec<String> = defconfig
        .lines()
        .filter(|line| settings(line).first().is_none_or(|(name, _)| !overridden.contains(name)))
        .map(str::to_string)
        .collect();
    merged.extend(settings(fragment).iter().map(|(name, value)| show(name, value)));
    merged.join("\n") + "\n"
}

/// Checks that every setting of `fragment` is in `config` (a `.config`) as
/// written; the error names each option that is not.
fn check_config(fragment: &str, config: &str) -> Result<(), String> {
    let have = settings(config);
    let mut wrong = Vec::new();
    for (name, wanted) in settings(fragment) {
        match have.iter().find(|(n, _)| *n == name) {
            Some((_, value)) if *value == wanted => {}
            Some((_, value)) => {
                wrong.push(format!("  {name}: asked for `{}`, got `{}`", show(&name, &wanted), show(&name, value)))
            }
            None => wrong.push(format!(
                "  {name}: asked for `{}`, but .config does not list it (unmet dependencies, or a misspelt name)",
                show(&name, &wanted)
            )),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("the kernel configuration does not have what {FRAGMENT} asks for:\n{}", wrong.join("\n")))
    }
}

/// The extracted kernel source tree, `source-KEY/linux-source-5.10`.
fn kernel_source(cache: &Path, debs: &Debs) -> Result<PathBuf, String> {
    let key = cache_key(&[("recipe", RECIPE.as_bytes()), (KERNEL_SOURCE.name, debs.kernel_version.as_bytes())]);
    let dir = cache.join(format!("source-{key}"));
    let tree = dir.join(KERNEL_SOURCE.name);
    if tree.join("Makefile").is_file() {
        return Ok(tree);
    }
    let start = Instant::now();
    let tmp = fresh_tmp(cache, &format!("source-{key}"))?;
    let mut unpack = Command::new("dpkg-deb");
    unpack.arg("-x").arg(&debs.kernel).arg(tmp.join("deb"));
    run_quietly(&format!("unpacking {}", debs.kernel.display()), unpack)?;
    let tarball = tmp.join("deb/usr/src").join(format!("{}.tar.xz", KERNEL_SOURCE.name));
    let mut untar = Command::new("tar");
    untar.arg("-xf").arg(&tarball).arg("-C").arg(&tmp);
    run_quietly(&format!("extracting {}", tarball.display()), untar)?;
    fs::remove_dir_all(tmp.join("deb")).map_err(|e| format!("cannot remove {}: {e}", tmp.join("deb").display()))?;
    if !tmp.join(KERNEL_SOURCE.name).join("Makefile").is_file() {
        return Err(format!("{} holds no {} tree", tarball.display(), KERNEL_SOURCE.name));
    }
    publish(&tmp, &dir)?;
    step("kernel source", &format!("extracted in {:.0} s ({})", start.elapsed().as_secs_f64(), tree.display()));
    Ok(tree)
}

/// Configures and builds one kernel variant out of tree in `tmp/`, and
/// moves `vmlinux`, its `.config`, `System.map` and the build log to the
/// directory of `vmlinux`.
fn build_kernel(cache: &Path, source: &Path, variant: Variant, fragment: &str, vmlinux: &Path) -> Result<(), String> {
    let start = Instant::now();
    let final_dir = vmlinux.parent().ok_or("a kernel path without a directory")?;
    let name = final_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = fresh_tmp(cache, &name)?;
    let out = tmp.join("out");
    let obj = tmp.join("obj");
    for dir in [&out, &obj] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let log = out.join("build.log");
    let label = format!("kernel ({})", variant.name());
    step(&label, &format!("building (log: {})", log.display()));

    let fragment = variant.fragment(fragment)?;
    let defconfig = fs::read_to_string(source.join(DEFCONFIG))
        .map_err(|e| format!("cannot read {}: {e}", source.join(DEFCONFIG).display()))?;
    let merged = tmp.join("merged.config");
    fs::write(&merged, merge_config(&defconfig, &fragment)).map_err(|e| format!("cannot write {}: {e}", merged.display()))?;

    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let make = |args: &[String]| -> Result<(), String> {
        let mut command = Command::new("make");
        command
            .current_dir(source)
            .arg(format!("O={}", obj.display()))
            .arg("ARCH=mips")
            .arg(format!("CROSS_COMPILE={CROSS_COMPILE}"))
            .args(args);
        logged(command, &log).map_err(|why| {
            format!(
                "building the {} kernel failed: `make {}` {why}; the log is {}, ending:\n{}",
                variant.name(),
                args.join(" "),
                log.display(),
                last_lines(&fs::read_to_string(&log).unwrap_or_default(), 25)
            )
        })
    };
    // merge_config.sh's recipe: the merged file as the answers to
    // `alldefconfig`, then `olddefconfig` to settle the rest.
    make(&[format!("KCONFIG_ALLCONFIG={}", merged.display()), "alldefconfig".into()])?;
    make(&["olddefconfig".into()])?;
    let config_path = obj.join(".config");
    let config = fs::read_to_string(&config_path).map_err(|e| format!("cannot read {}: {e}", config_path.display()))?;
    check_config(&fragment, &config)
        .map_err(|why| format!("{why}\n(the {} kernel's .config: {})", variant.name(), config_path.display()))?;
    // Bookworm's gcc 12 builds Debian's 5.10 without a warning, so
    // `arch/mips`'s `-Werror` needs no exceptions.
    make(&[format!("-j{jobs}"), "vmlinux".into()])?;

    for (from, to) in [("vmlinux", "vmlinux"), (".config", "config"), ("System.map", "System.map")] {
        fs::copy(obj.join(from), out.join(to)).map_err(|e| format!("cannot copy {from} out of {}: {e}", obj.display()))?;
    }
    publish(&out, final_dir)?;
    fs::remove_dir_all(&tmp).map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
    step(&label, &format!("built in {:.0} s", start.elapsed().as_secs_f64()));
    Ok(())
}

/// Runs `command` with its output appended to `log`.
fn logged(mut command: Command, log: &Path) -> Result<(), String> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(|e| process::spawn_error(&program, &e))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("ended with {status}"))
    }
}

// ---------------------------------------------------------------------------
// Initramfs

/// Builds the initramfs: busybox from `deb`, a link in `/bin` for each of
/// its applets, `/init`, the mount points, and `/dev/console` and
/// `/dev/null` (the kernel opens the console before anything mounts
/// devtmpfs).
fn build_initramfs(cache: &Path, deb: &Path, init: &[u8], target: &Path) -> Result<(), String> {
    let final_dir = target.parent().ok_or("an initramfs path without a directory")?;
    let name = final_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = fresh_tmp(cache, &name)?;
    let mut unpack = Command::new("dpkg-deb");
    unpack.arg("-x").arg(deb).arg(tmp.join("deb"));
    run_quietly(&format!("unpacking {}", deb.display()), unpack)?;
    let busybox_path = tmp.join("deb/bin/busybox");
    let busybox = fs::read(&busybox_path).map_err(|e| format!("cannot read {}: {e}", busybox_path.display()))?;
    let applets = applet_names(&busybox);
    if let Some(missing) = NEEDED_APPLETS.iter().find(|a| !applets.iter().any(|n| n == *a)) {
        return Err(format!("{} has no `{missing}` applet (found {} applets)", deb.display(), applets.len()));
    }

    let mut archive = Cpio::default();
    for dir in ["bin", "dev", "etc", "proc", "root", "sys", "usr"] {
        archive.directory(dir, 0o755);
    }
    archive.directory("tmp", 0o1777);
    archive.symlink("sbin", "bin");
    archive.symlink("usr/bin", "../bin");
    archive.symlink("usr/sbin", "../bin");
    archive.file("bin/busybox", 0o755, &busybox);
    for applet in applets.iter().filter(|a| *a != "busybox") {
        archive.symlink(&format!("bin/{applet}"), "busybox");
    }
    archive.file("init", 0o755, init);
    archive.char_device("dev/console", 0o600, 5, 1);
    archive.char_device("dev/null", 0o666, 1, 3);

    let out = tmp.join("out");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let cpio = out.join("initramfs.cpio");
    fs::write(&cpio, archive.finish()).map_err(|e| format!("cannot write {}: {e}", cpio.display()))?;
    let mut gzip = Command::new("gzip");
    gzip.args(["-9", "-n"]).arg(&cpio);
    run_quietly("gzip", gzip)?;
    publish(&out, final_dir)?;
    fs::remove_dir_all(&tmp).map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
    step("initramfs", &format!("built ({} applets)", applets.len()));
    Ok(())
}

/// The applet names in a busybox binary: its `applet_names` table, the
/// sorted NUL-separated list that starts with `[` and `[[`.
fn applet_names(busybox: &[u8]) -> Vec<String> {
    const START: &[u8] = b"\0[\0[[\0";
    let Some(at) = busybox.windows(START.len()).position(|w| w == START) else {
        return Vec::new();
    };
    let is_name = |s: &[u8]| {
        !s.is_empty() && s.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.[".contains(&b))
    };
    busybox[at + 1..]
        .split(|&b| b == 0)
        .take_while(|s| is_name(s))
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// A `newc` cpio archive (the initramfs format, `Documentation/
/// driver-api/early-userspace/buffer-format.rst`), owned by root, every
/// time 0, so that equal inputs give equal bytes.
#[derive(Default)]
struct Cpio {
    bytes: Vec<u8>,
    inode: u32,
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

impl Cpio {
    fn directory(&mut self, path: &str, mode: u32) {
        self.entry(path, S_IFDIR | mode, 2, (0, 0), b"");
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.entry(path, S_IFREG | mode, 1, (0, 0), data);
    }

    fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, S_IFLNK | 0o777, 1, (0, 0), target.as_bytes());
    }

    fn char_device(&mut self, path: &str, mode: u32, major: u32, minor: u32) {
        self.entry(path, S_IFCHR | mode, 1, (major, minor), b"");
    }

    fn entry(&mut self, path: &str, mode: u32, links: u32, rdev: (u32, u32), data: &[u8]) {
        self.inode += 1;
        let name_size = path.len() as u32 + 1;
        let fields = [self.inode, mode, 0, 0, links, 0, data.len() as u32, 0, 0, rdev.0, rdev.1, name_size, 0];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(path.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
    }

    /// The archive with its `TRAILER!!!` entry.
    fn finish(mut self) -> Vec<u8> {
        self.inode = 0;
        self.entry("TRAILER!!!", 0, 1, (0, 0), b"");
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options() {
        let none = Options { refresh: false, boot_native: false, timeout: None };
        assert_eq!(parse_options(&[]), Ok(none));
        assert_eq!(
            parse_options(&strings(&["--boot-native", "--timeout", "90", "--refresh"])),
            Ok(Options { refresh: true, boot_native: true, timeout: Some(Duration::from_secs(90)) })
        );
        assert!(parse_options(&strings(&["--timeout", "5"])).unwrap_err().contains("--boot-native"));
        assert!(parse_options(&strings(&["--boot-native", "--timeout", "0"])).is_err());
        assert!(parse_options(&strings(&["--boot-native", "--timeout"])).is_err());
        assert!(parse_options(&strings(&["--fast"])).unwrap_err().starts_with("linux: unknown option `--fast`"));
    }

    #[test]
    fn cache_key_changes_with_every_input() {
        let base: [(&str, &[u8]); 3] = [("recipe", b"r1"), ("linux-source-5.10", b"5.10.223-1"), ("fragment", b"X=y\n")];
        let key = cache_key(&base);
        assert_eq!(key.len(), 16);
        assert_eq!(key, cache_key(&base), "the key is a pure function of the inputs");
        for i in 0..base.len() {
            let mut changed = base;
            changed[i].1 = b"other";
            assert_ne!(cache_key(&changed), key, "input {} does not change the key", base[i].0);
            let mut renamed = base;
            renamed[i].0 = "other";
            assert_ne!(cache_key(&renamed), key);
        }
        // Lengths are hashed: moving bytes between a name and its value,
        // or between values, changes the key.
        assert_ne!(cache_key(&[("ab", b"c")]), cache_key(&[("a", b"bc")]));
        assert_ne!(cache_key(&[("a", b"x"), ("b", b"")]), cache_key(&[("a", b""), ("b", b"x")]));
    }

    #[test]
    fn versions_from_deb_names() {
        assert_eq!(deb_version("linux-source-5.10_5.10.223-1_all.deb", "linux-source-5.10").as_deref(), Some("5.10.223-1"));
        assert_eq!(
            deb_version("busybox-static_1%3a1.35.0-4+deb12u1+b1_mipsel.deb", "busybox-static").as_deref(),
            Some("1:1.35.0-4+deb12u1+b1")
        );
        assert_eq!(deb_version("busybox-static_1.35_mipsel.deb", "busybox"), None);
        assert_eq!(deb_version("busybox-static_1.35.deb", "busybox-static"), None);
        assert_eq!(deb_version("busybox-static_1.35_mipsel.deb.partial", "busybox-static"), None);
    }

    #[test]
    fn apt_stays_in_the_cache() {
        let options = apt_options(Path::new("/c/apt"), "amd64", &["all", "mipsel"]).join(" ");
        for wanted in [
            "-o Dir::Etc::SourceList=/c/apt/sources.list",
            "-o Dir::Etc::SourceParts=/dev/null",
            "-o Dir::State=/c/apt/state",
            "-o Dir::Cache=/c/apt/cache",
            "-o APT::Architectures::=amd64",
            "-o APT::Architectures::=mipsel",
        ] {
            assert!(options.contains(wanted), "{wanted} missing from {options}");
        }
        assert!(!options.contains("=all"));
        assert_eq!(
            sources_line("http://deb.debian.org/debian", "bullseye", "amd64"),
            "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg,\
             /usr/share/keyrings/debian-archive-removed-keys.gpg] http://deb.debian.org/debian bullseye main"
        );
    }

    const FRAGMENT_TEXT: &str = "# a comment\nCONFIG_KVM_GUEST=y\n# CONFIG_NET is not set\nCONFIG_HZ=100\n";

    #[test]
    fn settings_are_read_and_merged() {
        assert_eq!(
            settings(FRAGMENT_TEXT),
            [
                ("CONFIG_KVM_GUEST".to_string(), Some("y".to_string())),
                ("CONFIG_NET".to_string(), None),
                ("CONFIG_HZ".to_string(), Some("100".to_string()))
            ]
        );
        let defconfig = "CONFIG_NET=y\nCONFIG_INET=y\n# CONFIG_KVM_GUEST is not set\n";
        assert_eq!(
            merge_config(defconfig, FRAGMENT_TEXT),
            "CONFIG_INET=y\nCONFIG_KVM_GUEST=y\n# CONFIG_NET is not set\nCONFIG_HZ=100\n"
        );
    }

    #[test]
    fn the_native_fragment_turns_kvm_guest_off() {
        assert_eq!(Variant::Guest.fragment(FRAGMENT_TEXT).unwrap(), FRAGMENT_TEXT);
        let native = Variant::Native.fragment(FRAGMENT_TEXT).unwrap();
        assert_eq!(native, "# a comment\n# CONFIG_KVM_GUEST is not set\n# CONFIG_NET is not set\nCONFIG_HZ=100\n");
        assert!(Variant::Native.fragment("CONFIG_NET=y\n").unwrap_err().contains("must set CONFIG_KVM_GUEST=y"));
    }

    #[test]
    fn the_config_check_names_each_option_that_is_off() {
        let good = "CONFIG_KVM_GUEST=y\nCONFIG_KVM_GUEST_TIMER_FREQ=100\n# CONFIG_NET is not set\nCONFIG_HZ=100\n";
        assert_eq!(check_config(FRAGMENT_TEXT, good), Ok(()));
        let bad = "# CONFIG_KVM_GUEST is not set\nCONFIG_NET=y\n";
        let error = check_config(FRAGMENT_TEXT, bad).unwrap_err();
        assert!(error.contains("CONFIG_KVM_GUEST: asked for `CONFIG_KVM_GUEST=y`, got `# CONFIG_KVM_GUEST is not set`"), "{error}");
        assert!(error.contains("CONFIG_NET: asked for `# CONFIG_NET is not set`, got `CONFIG_NET=y`"), "{error}");
        assert!(error.contains("CONFIG_HZ: asked for `CONFIG_HZ=100`, but .config does not list it"), "{error}");
    }

    #[test]
    fn the_committed_fragment_and_init_are_sound() {
        let root = qemu::workspace_root();
        let fragment = fs::read_to_string(root.join(FRAGMENT)).unwrap();
        for required in ["CONFIG_KVM_GUEST=y", "CONFIG_CPU_MIPS32_R2=y", "CONFIG_CPU_LITTLE_ENDIAN=y", "CONFIG_PAGE_SIZE_16KB=y"] {
            assert!(fragment.lines().any(|l| l == required), "{FRAGMENT} lacks {required}");
        }
        // merge_config.sh-style tools take any line naming an option for a
        // setting: comments must name none.
        for line in fragment.lines().filter(|l| l.starts_with('#') && settings(l).is_empty()) {
            assert!(!line.contains("CONFIG_"), "a comment in {FRAGMENT} names an option: {line}");
        }
        let init = fs::read_to_string(root.join(INIT)).unwrap();
        assert!(init.starts_with("#!/bin/sh\n"));
        assert!(init.contains(&format!("echo \"{INIT_MARKER}\"")));
        assert!(init.contains(&format!("PS1='{PROMPT}'")));
    }

    #[test]
    fn applets_are_read_from_the_binary() {
        let binary = b"\x7fELF junk\0usage text\0[\0[[\0ash\0cat\0sh\0\x01\x02rest\0";
        assert_eq!(applet_names(binary), ["[", "[[", "ash", "cat", "sh"]);
        assert!(applet_names(b"no table here").is_empty());
    }

    /// Reads a `newc` archive back: (name, mode, rdev major, minor, data).
    fn parse_cpio(mut bytes: &[u8]) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
        let mut entries = Vec::new();
        let start_len = bytes.len();
        loop {
            assert_eq!(&bytes[..6], b"070701", "magic at offset {}", start_len - bytes.len());
            let field = |i: usize| u32::from_str_radix(std::str::from_utf8(&bytes[6 + 8 * i..14 + 8 * i]).unwrap(), 16).unwrap();
            let (mode, size, major, minor, name_size) = (field(1), field(6) as usize, field(9), field(10), field(11) as usize);
            let name = String::from_utf8(bytes[110..110 + name_size - 1].to_vec()).unwrap();
            assert_eq!(bytes[110 + name_size - 1], 0);
            let data_at = (110 + name_size).next_multiple_of(4);
            let data = bytes[data_at..data_at + size].to_vec();
            bytes = &bytes[(data_at + size).next_multiple_of(4)..];
            if name == "TRAILER!!!" {
                assert!(bytes.is_empty());
                return entries;
            }
            entries.push((name, mode, major, minor, data));
        }
    }

    #[test]
    fn cpio_newc_format() {
        let mut archive = Cpio::default();
        archive.directory("bin", 0o755);
        archive.file("bin/busybox", 0o755, b"12345");
        archive.symlink("bin/sh", "busybox");
        archive.char_device("dev/console", 0o600, 5, 1);
        let bytes = archive.finish();
        assert_eq!(bytes.len() % 4, 0);
        // The first header, field by field: inode 1, a directory, root's,
        // 2 links, time 0, no data, name "bin" + NUL.
        let fields = ["00000001", "000041ED", "00000000", "00000000", "00000002", "00000000", "00000000"]
            .iter()
            .chain(&["00000000", "00000000", "00000000", "00000000", "00000004", "00000000"])
            .fold("070701".to_string(), |header, field| header + field);
        assert_eq!(std::str::from_utf8(&bytes[..110]).unwrap(), fields);
        assert_eq!(&bytes[110..116], b"bin\0\0\0");
        let entries = parse_cpio(&bytes);
        assert_eq!(
            entries,
            [
                ("bin".to_string(), 0o040755, 0, 0, vec![]),
                ("bin/busybox".to_string(), 0o100755, 0, 0, b"12345".to_vec()),
                ("bin/sh".to_string(), 0o120777, 0, 0, b"busybox".to_vec()),
                ("dev/console".to_string(), 0o020600, 5, 1, vec![]),
            ]
        );
    }
}
