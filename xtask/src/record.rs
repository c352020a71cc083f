//! `cargo xtask record-vectors`: generates the vector inputs, runs them on
//! QEMU through the recorder (`testvectors/recorder`), and rewrites
//! `testvectors/vectors/*.txt`. Same generator seed, same QEMU, same bytes.
use crate::qemu::{self, Machine};
use std::time::{Duration, Instant};
use testvectors::{gen, input, recording, vector};

const USAGE: &str = "usage: cargo xtask record-vectors [--output FILE]

Records every test vector on QEMU Malta and rewrites testvectors/vectors/.
  --output FILE   also keep the recorder's raw serial output in FILE";

/// Recording all vectors takes well under a minute; a hang ends here.
const LIMIT: Duration = Duration::from_secs(300);

/// Where QEMU's generic loader puts the input blob (physical).
const INPUT_ADDRESS: u32 = 0x0100_0000;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut keep = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--output" => keep = Some(args.next().ok_or(USAGE)?.clone()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    let inputs = gen::generate();
    let blob = input::encode(&inputs);
    if blob.len() > 64 << 20 {
        return Err(format!("input blob of {} bytes does not fit below the top of RAM", blob.len()));
    }
    let work = qemu::target_dir().join("record-vectors");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let blob_path = work.join("input.bin");
    std::fs::write(&blob_path, &blob).map_err(|e| format!("{}: {e}", blob_path.display()))?;

    let flash_path = work.join("flash.bin");
    std::fs::write(&flash_path, input::flash_image()).map_err(|e| format!("{}: {e}", flash_path.display()))?;

    let elf = qemu::build_baremetal("recorder", "recorder", &[])?;
    eprintln!("record-vectors: running {} vectors on QEMU", inputs.len());
    let started = Instant::now();
    let loader = format!("loader,file={},addr={INPUT_ADDRESS:#x},force-raw=on", blob_path.display());
    let flash = format!("if=pflash,format=raw,readonly=on,file={}", flash_path.display());
    let captured = Machine::new(elf).without_boot_flash().arg("-device").arg(loader).arg("-drive").arg(flash).run_script("", LIMIT)?;
    if let Some(path) = keep {
        std::fs::write(&path, &captured.stdout).map_err(|e| format!("{path}: {e}"))?;
    }
    if !captured.success() {
        let tail: String = captured.stdout.lines().rev().take(3).collect::<Vec<_>>().join("\n");
        return Err(format!("QEMU: {} (last output: {tail})", captured.ending()));
    }
    let vectors = recording::interpret(&inputs, &captured.stdout)?;
    eprintln!("record-vectors: recorded in {:.1} s", started.elapsed().as_secs_f64());

    let dir = qemu::workspace_root().join("testvectors").join("vectors");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for category in gen::CATEGORIES {
        let these: Vec<_> = inputs.iter().zip(&vectors).filter(|(i, _)| i.category == *category).map(|(_, v)| v.clone()).collect();
        let path = dir.join(format!("{category}.txt"));
        std::fs::write(&path, vector::write_file(category, &these)).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("record-vectors: {} vectors in {}", these.len(), path.display());
    }
    Ok(())
}
