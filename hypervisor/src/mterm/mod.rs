//! The management terminal: a line editor fed one byte at a time
//! (`editor`), the command table and parser (`commands`), and the replies.
//! The target code only moves bytes between the UART and
//! `LineEditor::feed`, and carries out the `Action` returned by `execute`.

mod commands;
mod editor;

pub use commands::{parse, Command, CommandInfo, Fault, ParseError, COMMANDS, UNBIND};
pub use editor::{LineEditor, LINE_MAX};

use crate::host::cpu::{CpuInfo, Size};
use crate::host::devtree;
use crate::kernel::sched::ThreadCommand;
use crate::vm::ops::GuestCommand;
use commands::info;
use core::fmt::{self, Write};

pub const PROMPT: &str = "mterm> ";

/// What the hardware side must do after a command has printed its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    Continue,
    Halt,
    Fault(Fault),
    /// Print the guests (the target knows them).
    Guests,
    /// Check the canaries (the target owns them).
    Canaries,
    /// Print the host IRQ table (the target owns it).
    HostIrqs,
    /// A thread command (the target owns the scheduler and the stacks).
    Thread(ThreadCommand<'a>),
    /// Run the guests until none (or the one named) is running, then go on
    /// reading commands.
    WaitGuests(Option<&'a str>),
    /// Bind the console to this virtual serial port.
    Bind(&'a str),
    /// A command on guests, VCPUs or serial ports: `vm::ops::execute` it.
    Guest(GuestCommand<'a>),
}

/// Everything the commands report on, gathered at boot.
pub struct System<'a> {
    pub cpu: CpuInfo,
    /// RAM size from the boot arguments, or why it is unknown.
    pub ram: Result<u64, crate::host::bootenv::BootEnvError>,
    /// The embedded device tree blob.
    pub devtree: &'a [u8],
}

pub fn write_version(out: &mut dyn Write) -> fmt::Result {
    writeln!(
        out,
        "{} {} - trap-and-emulate hypervisor for MIPS32r2 (QEMU Malta, 24Kf, little-endian)",
        crate::NAME,
        crate::VERSION
    )
}

/// Handles one line: parses it, prints the reply or a usage message.
pub fn execute<'l>(line: &'l str, system: &System<'_>, out: &mut dyn Write) -> Result<Action<'l>, fmt::Error> {
    let command = match parse(line) {
        Ok(Some(command)) => command,
        Ok(None) => return Ok(Action::Continue),
        Err(error) => {
            writeln!(out, "{error}")?;
            return Ok(Action::Continue);
        }
    };
    match command {
        Command::Help(None) => {
            writeln!(out, "commands:")?;
            // Usage in a 20-column field, the description beside it; a
            // longer usage gets a line of its own.
            for c in COMMANDS {
                let usage = c.name.len() + 1 + c.args.len();
                if usage > 20 {
                    writeln!(out, "  {} {}\n{:23}{}", c.name, c.args, "", c.about)?;
                } else {
                    writeln!(out, "  {} {}{:pad$} {}", c.name, c.args, "", c.about, pad = 20 - usage)?;
                }
            }
            writeln!(out, "line editing: backspace, Ctrl-U erases the line")?;
        }
        Command::Help(Some(topic)) => match info(topic) {
            Some(c) if c.args.is_empty() => writeln!(out, "{}: {}", c.name, c.about)?,
            Some(c) => writeln!(out, "{} {}: {}", c.name, c.args, c.about)?,
            None => writeln!(out, "help: no command `{topic}`; type `help` for the list")?,
        },
        Command::Version => write_version(out)?,
        Command::Host => {
            system.cpu.write_report(out)?;
            match system.ram {
                Ok(bytes) => writeln!(out, "RAM       {} ({bytes} bytes, from the boot arguments)", Size(bytes))?,
                Err(why) => writeln!(out, "RAM       unknown: {why}")?,
            }
        }
        Command::Devtree => match devtree::parse(system.devtree) {
            Ok(fdt) => {
                devtree::write_summary(&fdt, out)?;
                devtree::write_tree(&fdt, out)?;
            }
            Err(error) => writeln!(out, "{error}")?,
        },
        Command::Halt => {
            writeln!(out, "halting")?;
            return Ok(Action::Halt);
        }
        Command::Fault(fault) => {
            let what = match fault {
                Fault::Tlb => "loading from unmapped address 0x00000000",
                Fault::Break => "executing a break instruction",
                Fault::Align => "loading a word from misaligned address 0x80000001",
            };
            writeln!(out, "{what}; s0-s7 hold 0x5a000010-0x5a000017")?;
            return Ok(Action::Fault(fault));
        }
        Command::Guests => return Ok(Action::Guests),
        Command::Canaries => return Ok(Action::Canaries),
        Command::HostIrqs => return Ok(Action::HostIrqs),
        Command::Thread(command) => return Ok(Action::Thread(command)),
        Command::GuestsWait(name) => return Ok(Action::WaitGuests(name)),
        Command::VserialBind(name) => return Ok(Action::Bind(name)),
        Command::Guest(command) => return Ok(Action::Guest(command)),
    }
    Ok(Action::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::host::bootenv::BootEnvError;

    fn system(devtree: &[u8]) -> System<'_> {
        System {
            cpu: CpuInfo {
                prid: 0x0001_9300,
                config: [0x8000_0482, 0x9E19_0C8F, 0x8000_0000, 0],
                ebase: 0x8010_1000,
            },
            ram: Ok(128 << 20),
            devtree,
        }
    }

    fn run<'l>(line: &'l str, system: &System<'_>) -> (Action<'l>, String) {
        let mut out = String::new();
        let action = execute(line, system, &mut out).unwrap();
        (action, out)
    }

    #[test]
    fn replies() {
        let blob = crate::host::devtree::tests::malta_blob();
        let system = system(&blob);
        let (action, out) = run("version", &system);
        assert_eq!(action, Action::Continue);
        assert!(out.starts_with(&format!("mipsvisor {} - trap-and-emulate", crate::VERSION)), "{out}");

        let (_, out) = run("host", &system);
        assert!(out.contains("MIPS 24Kf"));
        assert!(out.contains("TLB       16 entries"));
        assert!(out.contains("RAM       128 MiB (134217728 bytes, from the boot arguments)"));
        assert!(out.contains("EBase     0x80101000"));

        let (_, out) = run("devtree", &system);
        assert!(out.contains("guest:  guest0"));
        assert!(out.contains("serial@180003f8 {\n        compatible = \"ns16550a\";"), "{out}");

        let (_, out) = run("help", &system);
        for c in COMMANDS {
            assert!(out.contains(&format!("  {} ", c.name)), "{} missing:\n{out}", c.name);
            // Every description starts in column 23, beside its usage or under it.
            let about = out.lines().find(|l| l.ends_with(c.about)).unwrap_or_default();
            assert_eq!(about.len() - c.about.len(), 23, "{about:?}");
        }
        let (_, out) = run("help halt", &system);
        assert_eq!(out, "halt: stop the machine (QEMU exits)\n");
        let (_, out) = run("help guest", &system);
        assert!(out.starts_with("guest list | info NAME | start|stop|reset|pause|resume NAME: "), "{out}");
        let (_, out) = run("help nope", &system);
        assert_eq!(out, "help: no command `nope`; type `help` for the list\n");

        assert_eq!(run("halt", &system), (Action::Halt, "halting\n".into()));
        assert_eq!(run("fault", &system).0, Action::Fault(Fault::Tlb));
        assert_eq!(run("fault tlb", &system).0, Action::Fault(Fault::Tlb));
        assert_eq!(run("fault break", &system).0, Action::Fault(Fault::Break));
        assert_eq!(run("fault align", &system).0, Action::Fault(Fault::Align));
        assert_eq!(
            run("fault bus", &system),
            (Action::Continue, "usage: fault [tlb|break|align]\n".into())
        );
        assert_eq!(run("", &system), (Action::Continue, String::new()));
        assert_eq!(
            run("reboot", &system),
            (Action::Continue, "unknown command `reboot`; type `help` for the list\n".into())
        );
        assert_eq!(
            run("version 2", &system),
            (Action::Continue, "usage: version (takes no arguments)\n".into())
        );
    }

    #[test]
    fn unknown_ram_and_broken_tree_are_reported() {
        let mut system = system(&[1, 2, 3]);
        system.ram = Err(BootEnvError::NoMemsize);
        let (_, out) = run("host", &system);
        assert!(out.contains("RAM       unknown: no `memsize` in the boot environment"));
        let (action, out) = run("devtree", &system);
        assert_eq!(action, Action::Continue);
        assert!(out.starts_with("device tree blob is not valid"), "{out}");
    }
}
