//! The management terminal: a line editor fed one byte at a time, a command
//! parser, and the replies. The target code only moves bytes between the
//! UART and `LineEditor::feed`, and carries out the `Action` returned by
//! `execute`.

use crate::cpu::{CpuInfo, Size};
use crate::devtree;
use crate::sched::ThreadCommand;
use crate::vm::guest::LifecycleOp;
use crate::vm::ops::GuestCommand;
use core::fmt::{self, Write};

pub const PROMPT: &str = "mterm> ";
/// Longest line the editor accepts; further characters are refused.
pub const LINE_MAX: usize = 128;

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const BELL: char = '\x07';

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Saw ESC `[` (a CSI sequence, ended by a byte in 0x40..=0x7e).
    Csi,
}

/// Collects one command line, echoing what it accepts.
pub struct LineEditor {
    buf: [u8; LINE_MAX],
    len: usize,
    escape: Escape,
    last_was_cr: bool,
    line_done: bool,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    pub const fn new() -> Self {
        Self { buf: [0; LINE_MAX], len: 0, escape: Escape::None, last_was_cr: false, line_done: false }
    }

    /// Feeds one received byte; echoes to `echo`. Returns the line when the
    /// byte ends it (CR, LF or CR LF). Printable ASCII is kept, backspace and
    /// DEL erase, Ctrl-U erases the line, escape sequences (arrow keys) and
    /// other control bytes are ignored.
    pub fn feed(&mut self, byte: u8, echo: &mut dyn Write) -> Result<Option<&str>, fmt::Error> {
        if self.line_done {
            self.line_done = false;
            self.len = 0;
        }
        let after_cr = core::mem::replace(&mut self.last_was_cr, byte == b'\r');
        match self.escape {
            Escape::Start => {
                self.escape = if byte == b'[' { Escape::Csi } else { Escape::None };
                return Ok(None);
            }
            Escape::Csi => {
                if (0x40..=0x7e).contains(&byte) {
                    self.escape = Escape::None;
                }
                return Ok(None);
            }
            Escape::None => {}
        }
        match byte {
            b'\n' if after_cr => {}
            b'\r' | b'\n' => {
                echo.write_str("\n")?;
                self.line_done = true;
                // Only printable ASCII is ever stored, so this cannot fail.
                return Ok(Some(core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")));
            }
            BACKSPACE | DELETE if self.len > 0 => {
                self.len -= 1;
                echo.write_str("\x08 \x08")?;
            }
            CTRL_U => {
                while self.len > 0 {
                    self.len -= 1;
                    echo.write_str("\x08 \x08")?;
                }
            }
            ESCAPE => self.escape = Escape::Start,
            0x20..=0x7e => {
                if self.len < LINE_MAX {
                    self.buf[self.len] = byte;
                    self.len += 1;
                    echo.write_char(char::from(byte))?;
                } else {
                    echo.write_char(BELL)?;
                }
            }
            _ => {}
        }
        Ok(None)
    }
}

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

fn info(name: &str) -> Option<&'static CommandInfo> {
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
                None => crate::sched::PRIO_VCPU,
                Some(p) => p.parse().ok().filter(|p| (1..=crate::sched::PRIO_MAX_USER).contains(p)).ok_or(ParseError::Usage(info))?,
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
    pub ram: Result<u64, crate::bootenv::BootEnvError>,
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

    #[test]
    fn help_gives_the_history_size_the_ports_keep() {
        let kib = crate::devices::vserial::HISTORY / 1024;
        assert!(info("vserial").unwrap().about.contains(&format!("its last {kib} KiB")));
    }
    use crate::bootenv::BootEnvError;

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

    fn feed_all(editor: &mut LineEditor, input: &[u8]) -> (Vec<String>, String) {
        let mut echo = String::new();
        let mut lines = Vec::new();
        for &b in input {
            if let Some(line) = editor.feed(b, &mut echo).unwrap() {
                lines.push(line.to_string());
            }
        }
        (lines, echo)
    }

    #[test]
    fn editor_collects_lines_ending_in_cr_lf_or_crlf() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"version\rhost\nhalt\r\n\r\n");
        assert_eq!(lines, ["version", "host", "halt", ""]);
        assert_eq!(echo, "version\nhost\nhalt\n\n");
    }

    #[test]
    fn editor_backspace_and_kill_line() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"hosx\x08t\n\x7fab\x15ver\x7f\x7f\x7f\x7fhelp\n");
        assert_eq!(lines, ["host", "help"]);
        assert_eq!(echo, "hosx\x08 \x08t\nab\x08 \x08\x08 \x08ver\x08 \x08\x08 \x08\x08 \x08help\n");
    }

    #[test]
    fn editor_ignores_escape_sequences_and_control_bytes() {
        let mut editor = LineEditor::new();
        let (lines, echo) = feed_all(&mut editor, b"he\x1b[A\x1b[1;5Dl\x01\x1bxp\t\n");
        assert_eq!(lines, ["help"]);
        assert_eq!(echo, "help\n");
    }

    #[test]
    fn editor_refuses_overlong_lines() {
        let mut editor = LineEditor::new();
        let mut input = vec![b'a'; LINE_MAX + 3];
        input.push(b'\n');
        let (lines, echo) = feed_all(&mut editor, &input);
        assert_eq!(lines, ["a".repeat(LINE_MAX)]);
        assert_eq!(echo.matches(BELL).count(), 3);
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
        let blob = crate::devtree::tests::malta_blob();
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
