//! mterm's commands: the one table of names, arguments and descriptions
//! (`help` prints it), and the parser that turns a line into a `Command`.

use crate::kernel::sched::{ThreadCommand, PRIO_MAX_USER, PRIO_VCPU};
use crate::vm::guest::LifecycleOp;
use crate::vm::ops::GuestCommand;
use core::fmt;

/// A parsed mterm command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `help [command]`
    Help(Option<&'a str>),
    Version,
    Host,
    /// `host irqs`: host interrupt lines, handlers and counts.
    HostIrqs,
    /// `thread ...`
    Thread(ThreadCommand<'a>),
    /// `canaries`: check the known patterns nothing may overwrite.
    Canaries,
    Devtree,
    Halt,
    Fault(Fault),
    /// `guests`: state and exit counters of every guest.
    Guests,
    /// `guests wait [NAME]`: run the guests until none (or NAME) is running.
    GuestsWait(Option<&'a str>),
    /// `vserial bind NAME`: console input goes to that virtual serial port.
    VserialBind(&'a str),
    /// `guest ...`, `vcpu ...`, `stats`, `vserial list|dump`.
    Guest(GuestCommand<'a>),
}

/// The byte that ends `vserial bind` and returns the console to mterm (Ctrl-]).
pub const UNBIND: u8 = 0x1D;

/// The host exceptions mterm's `fault` command can raise on purpose, to
/// exercise the exception vectors and the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Load from address 0: no TLB entry, so the TLB refill vector.
    Tlb,
    /// A `break` instruction: the general vector.
    Break,
    /// Load from the misaligned address 0x80000001: an address error.
    Align,
}

impl Fault {
    fn parse(word: Option<&str>) -> Option<Self> {
        match word {
            None | Some("tlb") => Some(Self::Tlb),
            Some("break") => Some(Self::Break),
            Some("align") => Some(Self::Align),
            Some(_) => None,
        }
    }
}

/// One entry of the command table: name, arguments, one-line description.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    pub args: &'static str,
    pub about: &'static str,
}

pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo { name: "help", args: "[command]", about: "list commands, or describe one" },
    CommandInfo { name: "version", args: "", about: "hypervisor name and version" },
    CommandInfo {
        name: "host",
        args: "[irqs]",
        about: "host CPU (PRId, Config0-3, TLB), RAM size and EBase; `irqs`: host interrupts, handlers, counts",
    },
    CommandInfo { name: "devtree", args: "", about: "print the host device tree" },
    CommandInfo { name: "halt", args: "", about: "stop the machine (QEMU exits)" },
    CommandInfo {
        name: "guests",
        args: "[wait [NAME]]",
        about: "guests: state, PC, exits per reason; `wait`: until all (or NAME) stopped",
    },
    CommandInfo {
        name: "guest",
        args: "list | info NAME | start|stop|reset|pause|resume NAME",
        about: "guests: list; regions, state, exits; start (reset + run), stop, reset (reboot its image), pause, resume",
    },
    CommandInfo {
        name: "vcpu",
        args: "list | regs NAME | tlb NAME",
        about: "VCPUs (NAME: guest0 or guest0/vcpu0): list; GPRs, HI/LO, PC, CP0 by name; guest TLB and host shadows",
    },
    CommandInfo { name: "stats", args: "", about: "exits per reason (all guests), time in guests, hypervisor, idle" },
    CommandInfo {
        name: "thread",
        args: "list | spin [PRIO] | pause|resume|kill NAME",
        about: "threads and VCPU threads: list; spin: start a busy thread (PRIO 1-3, for testing); pause, resume, kill one",
    },
    CommandInfo {
        name: "vserial",
        args: "list | dump NAME | bind NAME",
        about: "virtual serial ports: list; recent output (its last 1 KiB); bind: console is that port (Ctrl-] returns to mterm)",
    },
    CommandInfo {
        name: "canaries",
        args: "",
        about: "check the patterns in free host RAM and in the hypervisor's own data (no guest may reach them)",
    },
    CommandInfo {
        name: "fault",
        args: "[tlb|break|align]",
        about: "raise a host exception on purpose (tests the exception report)",
    },
];

pub(super) fn info(name: &str) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Why a line is not a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError<'a> {
    Unknown(&'a str),
    /// Wrong number of arguments for a known command.
    Usage(&'static CommandInfo),
}

impl fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(name) => write!(f, "unknown command `{name}`; type `help` for the list"),
            Self::Usage(c) if c.args.is_empty() => write!(f, "usage: {} (takes no arguments)", c.name),
            Self::Usage(c) => write!(f, "usage: {} {}", c.name, c.args),
        }
    }
}

/// Parses one line; `Ok(None)` for a blank line.
pub fn parse(line: &str) -> Result<Option<Command<'_>>, ParseError<'_>> {
    let mut words = line.split_ascii_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    let info = info(name).ok_or(ParseError::Unknown(name))?;
    let first = words.next();
    let command = match (name, first) {
        ("help", topic) => Command::Help(topic),
        ("version", None) => Command::Version,
        ("host", None) => Command::Host,
        ("host", Some("irqs")) => Command::HostIrqs,
        ("thread", Some("list")) => Command::Thread(ThreadCommand::List),
        ("thread", Some("spin")) => {
            let priority = match words.next() {
                None => PRIO_VCPU,
                Some(p) => p.parse().ok().filter(|p| (1..=PRIO_MAX_USER).contains(p)).ok_or(ParseError::Usage(info))?,
            };
            Command::Thread(ThreadCommand::Spin(priority))
        }
        ("thread", Some("pause")) => Command::Thread(ThreadCommand::Pause(words.next().ok_or(ParseError::Usage(info))?)),
        ("thread", Some("resume")) => Command::Thread(ThreadCommand::Resume(words.next().ok_or(ParseError::Usage(info))?)),
        ("thread", Some("kill")) => Command::Thread(ThreadCommand::Kill(words.next().ok_or(ParseError::Usage(info))?)),
        ("devtree", None) => Command::Devtree,
        ("halt", None) => Command::Halt,
        ("canaries", None) => Command::Canaries,
        ("fault", kind) => Command::Fault(Fault::parse(kind).ok_or(ParseError::Usage(info))?),
        ("guests", None) => Command::Guests,
        ("guests", Some("wait")) => Command::GuestsWait(words.next()),
        ("vserial", Some("bind")) => Command::VserialBind(words.next().ok_or(ParseError::Usage(info))?),
        ("vserial", Some("list")) => Command::Guest(GuestCommand::VserialList),
        ("vserial", Some("dump")) => Command::Guest(GuestCommand::VserialDump(words.next().ok_or(ParseError::Usage(info))?)),
        ("guest", Some("list")) => Command::Guest(GuestCommand::List),
        ("guest", Some("info")) => Command::Guest(GuestCommand::Info(words.next().ok_or(ParseError::Usage(info))?)),
        ("guest", Some(op)) => {
            let op = LifecycleOp::parse(op).ok_or(ParseError::Usage(info))?;
            Command::Guest(GuestCommand::Lifecycle(op, words.next().ok_or(ParseError::Usage(info))?))
        }
        ("vcpu", Some("list")) => Command::Guest(GuestCommand::VcpuList),
        ("vcpu", Some("regs")) => Command::Guest(GuestCommand::VcpuRegs(words.next().ok_or(ParseError::Usage(info))?)),
        ("vcpu", Some("tlb")) => Command::Guest(GuestCommand::VcpuTlb(words.next().ok_or(ParseError::Usage(info))?)),
        ("stats", None) => Command::Guest(GuestCommand::Stats),
        _ => return Err(ParseError::Usage(info)),
    };
    if words.next().is_some() {
        return Err(ParseError::Usage(info));
    }
    Ok(Some(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_gives_the_history_size_the_ports_keep() {
        let kib = crate::devices::vserial::HISTORY / 1024;
        assert!(info("vserial").unwrap().about.contains(&format!("its last {kib} KiB")));
    }
    #[test]
    fn guest_commands() {
        assert_eq!(parse("guests"), Ok(Some(Command::Guests)));
        assert_eq!(parse("guests wait"), Ok(Some(Command::GuestsWait(None))));
        assert_eq!(parse("guests wait guest1"), Ok(Some(Command::GuestsWait(Some("guest1")))));
        assert!(parse("guests wait a b").is_err());
        assert!(parse("guests later").is_err());
        assert_eq!(parse("vserial bind guest1"), Ok(Some(Command::VserialBind("guest1"))));
        assert!(parse("vserial").is_err());
        assert!(parse("vserial bind").is_err());
        assert!(parse("vserial bind a b").is_err());
        assert_eq!(parse("vserial dump a"), Ok(Some(Command::Guest(GuestCommand::VserialDump("a")))));
        assert_eq!(parse("vserial list"), Ok(Some(Command::Guest(GuestCommand::VserialList))));
        assert!(parse("vserial dump").is_err());
        assert!(parse("vserial list x").is_err());
        assert!(parse("vserial frob x").is_err());
        assert_eq!(parse("guest list"), Ok(Some(Command::Guest(GuestCommand::List))));
        assert_eq!(parse("guest info g"), Ok(Some(Command::Guest(GuestCommand::Info("g")))));
        for (word, op) in [
            ("start", LifecycleOp::Start),
            ("stop", LifecycleOp::Stop),
            ("reset", LifecycleOp::Reset),
            ("pause", LifecycleOp::Pause),
            ("resume", LifecycleOp::Resume),
        ] {
            let line = format!("guest {word} guest1");
            assert_eq!(parse(&line), Ok(Some(Command::Guest(GuestCommand::Lifecycle(op, "guest1")))));
            assert!(parse(&format!("guest {word}")).is_err());
        }
        let usage = parse("guest explode guest0").unwrap_err().to_string();
        assert_eq!(usage, "usage: guest list | info NAME | start|stop|reset|pause|resume NAME");
        assert!(parse("guest").is_err());
        assert!(parse("guest info a b").is_err());
        assert_eq!(parse("vcpu list"), Ok(Some(Command::Guest(GuestCommand::VcpuList))));
        assert_eq!(parse("vcpu regs g"), Ok(Some(Command::Guest(GuestCommand::VcpuRegs("g")))));
        assert_eq!(parse("vcpu tlb g/vcpu0"), Ok(Some(Command::Guest(GuestCommand::VcpuTlb("g/vcpu0")))));
        assert!(parse("vcpu regs").is_err());
        assert!(parse("vcpu").is_err());
        assert_eq!(parse("stats"), Ok(Some(Command::Guest(GuestCommand::Stats))));
        assert_eq!(parse("stats now").unwrap_err().to_string(), "usage: stats (takes no arguments)");
    }

    #[test]
    fn thread_and_irq_commands() {
        assert_eq!(parse("host irqs"), Ok(Some(Command::HostIrqs)));
        assert!(parse("host frob").is_err());
        assert_eq!(parse("thread list"), Ok(Some(Command::Thread(ThreadCommand::List))));
        assert_eq!(parse("thread spin"), Ok(Some(Command::Thread(ThreadCommand::Spin(1)))));
        assert_eq!(parse("thread spin 3"), Ok(Some(Command::Thread(ThreadCommand::Spin(3)))));
        for bad in ["thread spin 0", "thread spin 4", "thread spin x", "thread", "thread pause", "thread list x", "thread kill a b"] {
            assert_eq!(
                parse(bad).unwrap_err().to_string(),
                "usage: thread list | spin [PRIO] | pause|resume|kill NAME",
                "{bad}"
            );
        }
        assert_eq!(parse("thread pause spin1"), Ok(Some(Command::Thread(ThreadCommand::Pause("spin1")))));
        assert_eq!(parse("thread resume spin1"), Ok(Some(Command::Thread(ThreadCommand::Resume("spin1")))));
        assert_eq!(parse("thread kill spin1"), Ok(Some(Command::Thread(ThreadCommand::Kill("spin1")))));
    }
    #[test]
    fn parses_commands_and_rejects_bad_arguments() {
        assert_eq!(parse("  version  "), Ok(Some(Command::Version)));
        assert_eq!(parse("canaries"), Ok(Some(Command::Canaries)));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse("help"), Ok(Some(Command::Help(None))));
        assert_eq!(parse("help host"), Ok(Some(Command::Help(Some("host")))));
        assert_eq!(parse("frobnicate now"), Err(ParseError::Unknown("frobnicate")));
        let err = parse("halt now").unwrap_err();
        assert_eq!(err.to_string(), "usage: halt (takes no arguments)");
        assert_eq!(parse("help a b").unwrap_err().to_string(), "usage: help [command]");
        assert_eq!(parse("Halt"), Err(ParseError::Unknown("Halt")));
    }
}
