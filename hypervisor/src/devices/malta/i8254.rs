//! The PIIX4's Intel 8254 programmable interval timer (ISA ports
//! 0x40-0x43) as a pure state machine: three 16-bit down counters clocked
//! at 1.193182 MHz ([`CLOCK_HZ`]).
//!
//! Time is injected, never read: every call that can observe or change a
//! counter takes `now`, the number of input-clock periods ("ticks") since
//! some origin the caller chooses (the same for every call; [`ticks_from`]
//! converts another clock). A `now` earlier than one already seen is taken
//! as the latest seen (time does not run backwards). Between calls the
//! counters are not stepped: their state is computed from the instant they
//! were last loaded, so a caller may let any amount of time pass.
//!
//! The host side: counter 0's OUT is ISA IRQ 0 ([`I8254::out`] gives the
//! level, [`I8254::next_event`] when it next changes, so a timer can be
//! armed, and [`I8254::take_edges`] how many rising edges it made since the
//! last call: an edge-triggered i8259 input must see each, and in modes 2,
//! 4 and 5 OUT is low for one tick only). Counters 0 and 1 have their GATE
//! tied high; counter 2's GATE is an input ([`I8254::set_gate`]: on the
//! PIIX4, bit 0 of port 0x61), low after reset, and its OUT is what port
//! 0x61 bit 5 reads.
//!
//! The chip, as the Intel 8254 data sheet describes it:
//!
//! - Port 0x43 takes control words: bits 7:6 select the counter (3: the
//!   read-back command), bits 5:4 the access (0: counter latch command; 1
//!   LSB only; 2 MSB only; 3 LSB then MSB), bits 3:1 the mode (6 and 7 are
//!   modes 2 and 3; the status byte shows the bits as written), bit 0 BCD.
//!   A control word stops the counter: OUT goes low (mode 0) or high (the
//!   others) and stays there until a count is written; pending latches are
//!   dropped and the byte order of reads and writes restarts with the LSB.
//! - Counts: 0 is the largest (65536, or 10000 in BCD). In BCD the counter
//!   counts in decimal and reads back in BCD.
//! - Mode 0 (interrupt on terminal count): OUT low until the count reaches
//!   0, then high; writing a count restarts (the first byte of a two-byte
//!   count stops the counter and drops OUT); GATE low suspends counting.
//! - Mode 1 (hardware retriggerable one-shot): a rising GATE edge loads
//!   the count and drops OUT until the count reaches 0. GATE is level high
//!   on counters 0 and 1, so there it never triggers.
//! - Mode 2 (rate generator): OUT low for the last tick of every N, the
//!   count reloaded at the end of each cycle; a count written while
//!   counting takes effect at the next reload. GATE low forces OUT high and
//!   stops counting, its rising edge reloads (so a count written while
//!   GATE holds the counter is loaded then). The first count after a
//!   control word is loaded whatever GATE is. (A count of 1 is illegal.)
//! - Mode 3 (square wave): OUT high for ceil(N/2) ticks, low for
//!   floor(N/2); the counter counts down by two (an odd count: the first
//!   tick of the high half by one, of the low half by three); a count
//!   written while counting takes effect at the end of the half-cycle.
//!   GATE as in mode 2.
//! - Mode 4 (software triggered strobe): OUT high, low for one tick when
//!   the count reaches 0; writing a count restarts; GATE low suspends.
//! - Mode 5 (hardware triggered strobe): as mode 4, started and restarted
//!   by a rising GATE edge.
//! - After the terminal count the counter keeps counting down, wrapping.
//! - Counter latch command: the count at that instant is held for the next
//!   reads (one or two bytes, by the access mode); a second latch before
//!   they are read is ignored. Read-back command (0xC0 | bits): bit 5 clear
//!   latches the counts, bit 4 clear latches the status bytes (OUT, null
//!   count, then the control word's bits 5:0) of the counters in bits 3:1;
//!   the status is read first, then the count. The null count bit is set
//!   from the control word or a count write until the count is loaded into
//!   the counter.
//! - In LSB-then-MSB access, reads and writes each keep their own byte
//!   order (they may be interleaved).
//!
//! Deviations from the data sheet, where QEMU's model does the same: a
//! count is loaded at the instant it is written (or at the trigger), not
//! on the next clock: everything happens one tick (838 ns) earlier than on
//! the chip. Before any control word (power-on), as QEMU 7.2 has it, all
//! three counters are in mode 3 with count 0x10000, loaded at the reset
//! instant (counter 0 toggles IRQ 0 at 18.2 Hz until the guest reprograms
//! it), and the access mode is "none" (reads and writes act as LSB-only,
//! status bits 5:4 read 00).
//!
//! Differences from QEMU 7.2's `hw/timer/i8254.c`, as its source reads
//! (no register trace checks this model yet), all on purpose (the data
//! sheet's behaviour): QEMU lets a control word leave the counter running
//! with its old count under the new mode; ignores GATE except for
//! restarting modes 1, 2, 3 and 5 on a rising edge (it starts modes 1 and
//! 5 on the count write, and never suspends modes 0 and 4); has mode 1
//! high while counting, mode 2 low but for the first tick of each cycle
//! after the first, and modes 4 and 5 low but for the terminal-count tick
//! (the rising edges of modes 0, 2 and 3, which is what an edge-triggered
//! IRQ 0 sees, are at the same instants in both; in modes 4 and 5 QEMU's
//! is one tick earlier); restarts modes 2 and 3 at once on a count write;
//! counts mode 3 odd counts by two throughout; ignores BCD (counts
//! binary); does nothing on the first byte of a two-byte count in mode 0;
//! has no null count (status bit 6 reads 0); keeps latches across a
//! control word; and ignores counter latch commands before the first
//! control word.
//!
//! Nonsense accesses never panic and are counted ([`I8254::malformed`]):
//! ports outside 0x40-0x43 (reads 0, writes ignored), reads of the control
//! port (read 0, as in QEMU), read-back commands with bit 0 set or no
//! counter selected, counts of 1 in modes 2 and 3, and BCD counts with a
//! digit above 9 (taken modulo 10000).

/// The input clock: ticks per second.
pub const CLOCK_HZ: u64 = 1_193_182;
/// First port (counter 0); counters 1 and 2 follow, then the control port.
pub const BASE_PORT: u16 = 0x40;
pub const CONTROL_PORT: u16 = 0x43;
/// The port window, `(first port, ports)`.
pub const WINDOW: (u16, u16) = (BASE_PORT, 4);
pub const COUNTERS: usize = 3;

/// Control word bits 7:6 = 3: the read-back command.
pub const CW_READ_BACK: u8 = 0xC0;
/// Control word bits 5:4 = 0: the counter latch command.
pub const ACCESS_LATCH: u8 = 0;
pub const ACCESS_LSB: u8 = 1;
pub const ACCESS_MSB: u8 = 2;
pub const ACCESS_WORD: u8 = 3;
pub const CW_BCD: u8 = 0x01;
/// Read-back: do not latch the counts.
pub const READ_BACK_NO_COUNT: u8 = 0x20;
/// Read-back: do not latch the status bytes.
pub const READ_BACK_NO_STATUS: u8 = 0x10;
/// Status byte: OUT.
pub const STATUS_OUT: u8 = 0x80;
/// Status byte: the count register has not been loaded into the counter.
pub const STATUS_NULL_COUNT: u8 = 0x40;

/// `count` periods of a clock of `hz` as PIT ticks (rounded down,
/// saturating at `u64::MAX`; 0 if `hz` is 0).
pub const fn ticks_from(count: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    let ticks = count as u128 * CLOCK_HZ as u128 / hz as u128;
    if ticks > u64::MAX as u128 {
        u64::MAX
    } else {
        ticks as u64
    }
}

/// How the data port is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Power-on: no control word yet (acts as LSB-only).
    Unset,
    Lsb,
    Msb,
    Word,
}

impl Access {
    fn bits(self) -> u8 {
        match self {
            Access::Unset => 0,
            Access::Lsb => ACCESS_LSB,
            Access::Msb => ACCESS_MSB,
            Access::Word => ACCESS_WORD,
        }
    }
}

/// A latched count and the bytes of it still to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Latch {
    Lsb(u16),
    Msb(u16),
    /// LSB next, then MSB.
    Word(u16),
}

/// What the counting element is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// Not counting: the counter holds `ce`, OUT is `out`. `armed`: modes
    /// 0 and 4 have not reached the terminal count. `ready`: a count is
    /// loaded that runs when GATE allows.
    Held { ce: u32, out: bool, armed: bool, ready: bool },
    /// Modes 0, 1, 4, 5: counting down from `ce0` since `since`; `tc` is
    /// the terminal count (ticks after `since`) still to come.
    OneShot { since: u64, ce0: u32, tc: Option<u64> },
    /// Modes 2 and 3: `since` starts a cycle (mode 2) or half-cycle (mode
    /// 3, `high` tells which half) loaded with `n1`; the ones after it use
    /// the count register.
    Periodic { since: u64, n1: u32, high: bool },
}

/// A piecewise-constant output: the `prefix` segments from `start`, then
/// `cycle` repeated forever. Lengths are in ticks; a zero length is a
/// segment that does not occur.
#[derive(Clone, Copy, Debug)]
struct Wave {
    start: u64,
    prefix: [(u64, bool); 2],
    cycle: [(u64, bool); 2],
}

impl Wave {
    fn constant(level: bool) -> Wave {
        Wave { start: 0, prefix: [(0, level); 2], cycle: [(1, level), (0, level)] }
    }

    fn cycle_start(&self) -> u64 {
        self.start.saturating_add(self.prefix[0].0).saturating_add(self.prefix[1].0)
    }

    fn period(&self) -> u64 {
        self.cycle[0].0 + self.cycle[1].0
    }

    /// The cycle has two levels.
    fn toggles(&self) -> bool {
        self.cycle[0].0 > 0 && self.cycle[1].0 > 0 && self.cycle[0].1 != self.cycle[1].1
    }

    fn level_at(&self, t: u64) -> bool {
        let mut e = t.saturating_sub(self.start);
        for (len, level) in self.prefix {
            if e < len {
                return level;
            }
            e -= len;
        }
        let period = self.period();
        if period == 0 || e % period < self.cycle[0].0 {
            self.cycle[0].1
        } else {
            self.cycle[1].1
        }
    }

    /// The level changes at `t` (from `t - 1`).
    fn changes_at(&self, t: u64) -> bool {
        t > self.start && self.level_at(t) != self.level_at(t - 1)
    }

    /// The first instant after `t` at which the level changes.
    fn next_change(&self, t: u64) -> Option<u64> {
        let base = self.cycle_start();
        let mut candidates = [self.start.saturating_add(self.prefix[0].0), base, 0, 0, 0, 0];
        if self.toggles() {
            let period = self.period();
            let k = t.saturating_sub(base) / period;
            let from = base.saturating_add(k.saturating_mul(period));
            let c0 = self.cycle[0].0;
            candidates[2] = from.saturating_add(c0);
            candidates[3] = from.saturating_add(period);
            candidates[4] = from.saturating_add(period).saturating_add(c0);
            candidates[5] = from.saturating_add(2 * period);
        }
        candidates.into_iter().filter(|&c| c > t && self.changes_at(c)).min()
    }

    /// Rising edges at instants in `(from, to]`.
    fn rising_edges(&self, from: u64, to: u64) -> u64 {
        if to <= from {
            return 0;
        }
        let base = self.cycle_start();
        let first = self.start.saturating_add(self.prefix[0].0);
        let rises = |c: u64| from < c && c <= to && self.changes_at(c) && self.level_at(c);
        let mut edges = u64::from(rises(first));
        if base != first {
            edges += u64::from(rises(base));
        }
        if self.toggles() {
            let period = self.period();
            // Within a cycle the rise is into whichever part is high.
            let rise = if self.cycle[1].1 { base.saturating_add(self.cycle[0].0) } else { base.saturating_add(period) };
            edges += count_in(rise, period, from, to);
        }
        edges
    }
}

/// How many of `first + k * step` (k >= 0) lie in `(from, to]`.
fn count_in(first: u64, step: u64, from: u64, to: u64) -> u64 {
    if to < first || step == 0 {
        return 0;
    }
    let last = (to - first) / step;
    let skip = if from < first { 0 } else { ((from - first) / step).saturating_add(1) };
    last.saturating_add(1).saturating_sub(skip)
}

/// The length of a mode 3 half-cycle of count `n`.
fn half(n: u64, high: bool) -> u64 {
    if high {
        n.div_ceil(2)
    } else {
        n / 2
    }
}

/// The counter's value `pos` ticks into a mode 3 half-cycle of count `n`.
fn square_value(n: u64, high: bool, pos: u64) -> u64 {
    if n.is_multiple_of(2) {
        n - 2 * pos
    } else if pos == 0 {
        n
    } else if high {
        n + 1 - 2 * pos
    } else {
        n - 1 - 2 * pos
    }
}

fn to_bcd(value: u32) -> u16 {
    let v = value % 10_000;
    ((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10)) as u16
}

/// The value of BCD digits and whether they were all decimal.
fn from_bcd(raw: u16) -> (u32, bool) {
    let digits = [raw >> 12, (raw >> 8) & 0xF, (raw >> 4) & 0xF, raw & 0xF];
    let value = digits.iter().fold(0u32, |v, &d| v * 10 + u32::from(d));
    (value % 10_000, digits.iter().all(|&d| d <= 9))
}

/// One counter.
#[derive(Clone, Debug)]
struct Counter {
    /// Control word bits 3:1 as written.
    mode_bits: u8,
    access: Access,
    bcd: bool,
    /// The count register as a number of ticks (1 ..= the modulus).
    count: Option<u32>,
    read_msb: bool,
    write_msb: bool,
    write_lsb: u8,
    latch: Option<Latch>,
    status: Option<u8>,
    gate: bool,
    run: Run,
    /// When the count register is (was) loaded into the counter; the null
    /// count bit is set before. `None`: not yet known.
    loaded_at: Option<u64>,
}

impl Counter {
    /// The power-on state (QEMU's): mode 3, count 0x10000, loaded at `now`.
    fn power_on(gate: bool, now: u64) -> Counter {
        let run = if gate {
            Run::Periodic { since: now, n1: 0x10000, high: true }
        } else {
            Run::Held { ce: 0, out: true, armed: false, ready: true }
        };
        Counter {
            mode_bits: 3,
            access: Access::Unset,
            bcd: false,
            count: Some(0x10000),
            read_msb: false,
            write_msb: false,
            write_lsb: 0,
            latch: None,
            status: None,
            gate,
            run,
            loaded_at: Some(now),
        }
    }

    fn mode(&self) -> u8 {
        match self.mode_bits {
            6 => 2,
            7 => 3,
            m => m,
        }
    }

    fn modulus(&self) -> u64 {
        if self.bcd {
            10_000
        } else {
            0x1_0000
        }
    }

    /// The count a periodic run reloads: the count register (always set
    /// while one runs).
    fn reload(&self) -> u32 {
        self.count.unwrap_or(1).max(1)
    }

    /// Ticks from a counter value to its next terminal count.
    fn ticks_to_zero(&self, ce: u32) -> u64 {
        if ce == 0 {
            self.modulus()
        } else {
            u64::from(ce)
        }
    }

    /// The counter's value at `t` (a number below the modulus).
    fn ce_at(&self, t: u64) -> u32 {
        let m = self.modulus();
        let value = match self.run {
            Run::Held { ce, .. } => u64::from(ce),
            Run::OneShot { since, ce0, .. } => {
                let e = t.saturating_sub(since) % m;
                u64::from(ce0) + m - e
            }
            Run::Periodic { since, n1, high } => {
                let e = t.saturating_sub(since);
                let n1 = u64::from(n1);
                let n = u64::from(self.reload());
                if self.mode() == 2 {
                    if e < n1 {
                        n1 - e
                    } else {
                        n - (e - n1) % n
                    }
                } else {
                    let first = half(n1, high);
                    if e < first {
                        square_value(n1, high, e)
                    } else {
                        let r = (e - first) % n;
                        let next = half(n, !high);
                        if r < next {
                            square_value(n, !high, r)
                        } else {
                            square_value(n, high, r - next)
                        }
                    }
                }
            }
        };
        (value % m) as u32
    }

    /// The counter's value as a read shows it (BCD digits in BCD mode).
    fn shown(&self, ce: u32) -> u16 {
        if self.bcd {
            to_bcd(ce)
        } else {
            ce as u16
        }
    }

    fn wave(&self) -> Wave {
        match self.run {
            Run::Held { out, .. } => Wave::constant(out),
            Run::OneShot { since, tc: Some(tc), .. } => {
                if matches!(self.mode(), 0 | 1) {
                    Wave { start: since, prefix: [(tc, false), (0, true)], cycle: [(1, true), (0, true)] }
                } else {
                    Wave { start: since, prefix: [(tc, true), (1, false)], cycle: [(1, true), (0, true)] }
                }
            }
            Run::OneShot { tc: None, .. } => Wave::constant(true),
            Run::Periodic { since, n1, high } => {
                let n1 = u64::from(n1);
                let n = u64::from(self.reload());
                if self.mode() == 2 {
                    Wave { start: since, prefix: [(n1 - 1, true), (1, false)], cycle: [(n - 1, true), (1, false)] }
                } else {
                    let first = (half(n1, high), high);
                    Wave {
                        start: since,
                        prefix: [first, (0, high)],
                        cycle: [(half(n, !high), !high), (half(n, high), high)],
                    }
                }
            }
        }
    }

    fn out_at(&self, t: u64) -> bool {
        self.wave().level_at(t)
    }

    fn null_count(&self, t: u64) -> bool {
        self.loaded_at.is_none_or(|at| t < at)
    }

    fn status_byte(&self, t: u64) -> u8 {
        let mut status = self.access.bits() << 4 | self.mode_bits << 1 | u8::from(self.bcd);
        if self.out_at(t) {
            status |= STATUS_OUT;
        }
        if self.null_count(t) {
            status |= STATUS_NULL_COUNT;
        }
        status
    }

    fn latch_count(&mut self, t: u64) {
        if self.latch.is_none() {
            let value = self.shown(self.ce_at(t));
            self.latch = Some(match self.access {
                Access::Msb => Latch::Msb(value),
                Access::Word => Latch::Word(value),
                Access::Unset | Access::Lsb => Latch::Lsb(value),
            });
        }
    }

    fn latch_status(&mut self, t: u64) {
        if self.status.is_none() {
            self.status = Some(self.status_byte(t));
        }
    }

    fn control_word(&mut self, value: u8, t: u64) {
        let ce = self.ce_at(t);
        self.mode_bits = (value >> 1) & 7;
        self.bcd = value & CW_BCD != 0;
        self.access = match (value >> 4) & 3 {
            ACCESS_LSB => Access::Lsb,
            ACCESS_MSB => Access::Msb,
            _ => Access::Word,
        };
        let ce = (u64::from(ce) % self.modulus()) as u32;
        self.run = Run::Held { ce, out: self.mode() != 0, armed: false, ready: false };
        self.count = None;
        self.loaded_at = None;
        self.read_msb = false;
        self.write_msb = false;
        self.latch = None;
        self.status = None;
    }

    fn read(&mut self, t: u64) -> u8 {
        if let Some(status) = self.status.take() {
            return status;
        }
        if let Some(latch) = self.latch {
            let (byte, rest) = match latch {
                Latch::Lsb(v) => (v as u8, None),
                Latch::Msb(v) => ((v >> 8) as u8, None),
                Latch::Word(v) => (v as u8, Some(Latch::Msb(v))),
            };
            self.latch = rest;
            return byte;
        }
        let value = self.shown(self.ce_at(t));
        match self.access {
            Access::Unset | Access::Lsb => value as u8,
            Access::Msb => (value >> 8) as u8,
            Access::Word => {
                let msb = self.read_msb;
                self.read_msb = !msb;
                if msb {
                    (value >> 8) as u8
                } else {
                    value as u8
                }
            }
        }
    }

    /// A data port write. Returns `false` for an ill-formed count.
    fn write(&mut self, value: u8, t: u64) -> bool {
        match self.access {
            Access::Unset | Access::Lsb => self.load(u16::from(value), t),
            Access::Msb => self.load(u16::from(value) << 8, t),
            Access::Word if !self.write_msb => {
                self.write_lsb = value;
                self.write_msb = true;
                if self.mode() == 0 {
                    // The first byte stops the counter; OUT goes low.
                    let ce = self.ce_at(t);
                    self.run = Run::Held { ce, out: false, armed: true, ready: false };
                }
                true
            }
            Access::Word => {
                self.write_msb = false;
                self.load(u16::from(self.write_lsb) | u16::from(value) << 8, t)
            }
        }
    }

    /// The current cycle (mode 2) or half-cycle (mode 3) of a periodic
    /// run at `t`: its start, count, half and end.
    fn segment_at(&self, since: u64, n1: u32, high: bool, t: u64) -> (u64, u32, bool, u64) {
        let e = t.saturating_sub(since);
        let n = self.reload();
        let (n1w, nw) = (u64::from(n1), u64::from(n));
        let first = if self.mode() == 2 { n1w } else { half(n1w, high) };
        // Saturating: the end of time is u64::MAX.
        if e < first {
            return (since, n1, high, since.saturating_add(first));
        }
        let k = (e - first) / nw;
        let from = since.saturating_add(first).saturating_add(k * nw);
        if self.mode() == 2 {
            return (from, n, high, from.saturating_add(nw));
        }
        let next = half(nw, !high);
        if (e - first) % nw < next {
            (from, n, !high, from.saturating_add(next))
        } else {
            (from.saturating_add(next), n, high, from.saturating_add(nw))
        }
    }

    /// A complete count written. Returns `false` if it was ill-formed.
    fn load(&mut self, raw: u16, t: u64) -> bool {
        let (value, mut well_formed) = if self.bcd { from_bcd(raw) } else { (u32::from(raw), true) };
        let m = self.modulus() as u32;
        let n = if value == 0 { m } else { value };
        let mode = self.mode();
        if matches!(mode, 2 | 3) && n == 1 {
            well_formed = false;
        }
        match mode {
            0 | 4 => {
                self.loaded_at = Some(t);
                let ce = n % m;
                self.run = if self.gate {
                    Run::OneShot { since: t, ce0: ce, tc: Some(u64::from(n)) }
                } else {
                    Run::Held { ce, out: mode == 4, armed: true, ready: true }
                };
            }
            // Loaded by the next trigger; a one-shot under way goes on.
            1 | 5 => self.loaded_at = None,
            _ => match self.run {
                Run::Periodic { since, n1, high } => {
                    let (start, current, half_high, end) = self.segment_at(since, n1, high, t);
                    self.run = Run::Periodic { since: start, n1: current, high: half_high };
                    self.loaded_at = Some(end);
                }
                // Loaded and held by GATE low: the rising edge loads it.
                Run::Held { ready: true, .. } => self.loaded_at = None,
                _ => {
                    self.loaded_at = Some(t);
                    self.run = if self.gate {
                        Run::Periodic { since: t, n1: n, high: true }
                    } else {
                        Run::Held { ce: n % m, out: true, armed: false, ready: true }
                    };
                }
            },
        }
        self.count = Some(n);
        well_formed
    }

    fn set_gate(&mut self, level: bool, t: u64) {
        let rising = level && !self.gate;
        let falling = !level && self.gate;
        self.gate = level;
        match self.mode() {
            0 | 4 => {
                if falling {
                    if let Run::OneShot { since, tc, .. } = self.run {
                        let ce = self.ce_at(t);
                        let e = t.saturating_sub(since);
                        let (out, armed) = match tc {
                            // Mode 0 before the terminal count.
                            Some(tc) if self.mode() == 0 && e < tc => (false, true),
                            // Mode 4 before its strobe (one under way ends).
                            Some(tc) if self.mode() == 4 && e < tc => (true, true),
                            _ => (true, false),
                        };
                        self.run = Run::Held { ce, out, armed, ready: true };
                    }
                } else if rising {
                    if let Run::Held { ce, armed, ready: true, .. } = self.run {
                        let tc = armed.then(|| self.ticks_to_zero(ce));
                        self.run = Run::OneShot { since: t, ce0: ce, tc };
                    }
                }
            }
            1 | 5 => {
                if rising {
                    if let Some(n) = self.count {
                        let m = self.modulus() as u32;
                        self.run = Run::OneShot { since: t, ce0: n % m, tc: Some(u64::from(n)) };
                        self.loaded_at = Some(t);
                    }
                }
            }
            _ => {
                if falling {
                    if let Run::Periodic { .. } = self.run {
                        let ce = self.ce_at(t);
                        self.run = Run::Held { ce, out: true, armed: false, ready: true };
                        // A count waiting for the reload now waits for the rising edge.
                        if self.null_count(t) {
                            self.loaded_at = None;
                        }
                    }
                } else if rising {
                    if let (Some(n), Run::Held { .. }) = (self.count, self.run) {
                        self.run = Run::Periodic { since: t, n1: n, high: true };
                        if self.loaded_at.is_none_or(|at| at > t) {
                            self.loaded_at = Some(t);
                        }
                    }
                }
            }
        }
    }

    fn summary(&self, t: u64) -> CounterSummary {
        CounterSummary {
            mode: self.mode(),
            bcd: self.bcd,
            access: self.access.bits(),
            count: self.count.unwrap_or(0),
            value: self.shown(self.ce_at(t)),
            out: self.out_at(t),
            gate: self.gate,
            null_count: self.null_count(t),
        }
    }
}

/// One counter, for `guest info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterSummary {
    /// 0-5.
    pub mode: u8,
    pub bcd: bool,
    /// Control word bits 5:4 (0 before any control word).
    pub access: u8,
    /// The count register in ticks (65536 for a written 0); 0 if no count
    /// was written since the control word.
    pub count: u32,
    /// The counter's value as a read would show it.
    pub value: u16,
    pub out: bool,
    pub gate: bool,
    pub null_count: bool,
}

/// The three counters, for `guest info` (no `Display`: the caller formats
/// it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub counters: [CounterSummary; COUNTERS],
    pub malformed: u32,
}

/// The timer. See the module documentation.
#[derive(Clone, Debug)]
pub struct I8254 {
    counters: [Counter; COUNTERS],
    /// The latest `now` seen.
    now: u64,
    /// Rising edges of counter 0's OUT not yet taken, and up to when they
    /// are counted.
    edges: u64,
    edges_until: u64,
    malformed: u32,
}

impl Default for I8254 {
    fn default() -> Self {
        Self::new()
    }
}

impl I8254 {
    /// The timer after power-on at tick 0.
    pub fn new() -> I8254 {
        I8254 {
            counters: [Counter::power_on(true, 0), Counter::power_on(true, 0), Counter::power_on(false, 0)],
            now: 0,
            edges: 0,
            edges_until: 0,
            malformed: 0,
        }
    }

    /// Back to the power-on state, the counters loaded at `now` (which
    /// may be earlier than times seen before: the timer starts afresh).
    pub fn reset(&mut self, now: u64) {
        *self = I8254::new();
        self.counters = [Counter::power_on(true, now), Counter::power_on(true, now), Counter::power_on(false, now)];
        self.now = now;
        self.edges_until = now;
    }

    /// `now`, or the latest time seen if that is later.
    fn time(&mut self, now: u64) -> u64 {
        self.now = self.now.max(now);
        self.now
    }

    fn count_malformed(&mut self) {
        self.malformed = self.malformed.wrapping_add(1);
    }

    /// Counter 0's rising edges up to `now` under its present state.
    fn collect_edges(&mut self, now: u64) {
        let edges = self.counters[0].wave().rising_edges(self.edges_until, now);
        self.edges = self.edges.saturating_add(edges);
        self.edges_until = now;
    }

    /// Changes counter `index` at `now`, keeping counter 0's edges.
    fn change(&mut self, index: usize, now: u64, f: impl FnOnce(&mut Counter, u64) -> bool) {
        let Some(counter) = self.counters.get(index) else { return };
        let before = counter.out_at(now);
        if index == 0 {
            self.collect_edges(now);
        }
        let counter = &mut self.counters[index];
        let well_formed = f(counter, now);
        if index == 0 && !before && counter.out_at(now) {
            self.edges = self.edges.saturating_add(1);
        }
        if !well_formed {
            self.count_malformed();
        }
    }

    /// A guest read of ISA port `port` at `now`.
    pub fn read_port(&mut self, port: u16, now: u64) -> u8 {
        let now = self.time(now);
        match port.wrapping_sub(BASE_PORT) {
            index @ 0..=2 => self.counters[usize::from(index)].read(now),
            _ => {
                // The control port cannot be read (QEMU answers 0).
                self.count_malformed();
                0
            }
        }
    }

    /// A guest write of `value` to ISA port `port` at `now`.
    pub fn write_port(&mut self, port: u16, value: u8, now: u64) {
        let now = self.time(now);
        match port.wrapping_sub(BASE_PORT) {
            index @ 0..=2 => self.change(usize::from(index), now, |c, t| c.write(value, t)),
            3 => self.write_control(value, now),
            _ => self.count_malformed(),
        }
    }

    fn write_control(&mut self, value: u8, now: u64) {
        if value & CW_READ_BACK == CW_READ_BACK {
            if value & 1 != 0 || value & 0x0E == 0 {
                self.count_malformed();
            }
            for (i, counter) in self.counters.iter_mut().enumerate() {
                if value & (2 << i) == 0 {
                    continue;
                }
                // Status first: it shows the state before the count latch.
                if value & READ_BACK_NO_STATUS == 0 {
                    counter.latch_status(now);
                }
                if value & READ_BACK_NO_COUNT == 0 {
                    counter.latch_count(now);
                }
            }
            return;
        }
        let index = usize::from(value >> 6);
        if (value >> 4) & 3 == ACCESS_LATCH {
            self.counters[index].latch_count(now);
        } else {
            self.change(index, now, |c, t| {
                c.control_word(value, t);
                true
            });
        }
    }

    /// Sets counter `index`'s GATE input at `now` (counters 0 and 1 are
    /// tied high on the board; the caller should only move counter 2's).
    /// Out-of-range counters are ignored.
    pub fn set_gate(&mut self, index: usize, level: bool, now: u64) {
        let now = self.time(now);
        self.change(index, now, |c, t| {
            c.set_gate(level, t);
            true
        });
    }

    /// Counter `index`'s GATE input (false for out-of-range counters).
    pub fn gate(&self, index: usize) -> bool {
        self.counters.get(index).is_some_and(|c| c.gate)
    }

    /// Counter `index`'s OUT at `now` (false for out-of-range counters).
    pub fn out(&self, index: usize, now: u64) -> bool {
        let now = self.now.max(now);
        self.counters.get(index).is_some_and(|c| c.out_at(now))
    }

    /// When counter 0's OUT (IRQ 0) next changes after `now`, if it will
    /// without further programming.
    pub fn next_event(&self, now: u64) -> Option<u64> {
        self.next_change(0, now)
    }

    /// When counter `index`'s OUT next changes after `now`.
    pub fn next_change(&self, index: usize, now: u64) -> Option<u64> {
        let now = self.now.max(now);
        self.counters.get(index)?.wave().next_change(now)
    }

    /// Counter 0's rising edges (IRQ 0 requests of an edge-triggered
    /// i8259 input) since the last call (or reset), up to `now`.
    pub fn take_edges(&mut self, now: u64) -> u64 {
        let now = self.time(now);
        self.collect_edges(now);
        core::mem::take(&mut self.edges)
    }

    /// Nonsense accesses so far (see the module documentation).
    pub fn malformed(&self) -> u32 {
        self.malformed
    }

    /// The three counters at `now`, for `guest info`.
    pub fn summary(&self, now: u64) -> Summary {
        let now = self.now.max(now);
        Summary {
            counters: [self.counters[0].summary(now), self.counters[1].summary(now), self.counters[2].summary(now)],
            malformed: self.malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CH0: u16 = 0x40;
    const CH1: u16 = 0x41;
    const CH2: u16 = 0x42;
    const CTRL: u16 = 0x43;

    /// Control word: counter, access, mode.
    fn cw(counter: u8, access: u8, mode: u8) -> u8 {
        counter << 6 | access << 4 | mode << 1
    }

    /// Programs a counter for LSB-then-MSB access and loads `count`.
    fn program(pit: &mut I8254, counter: u8, mode: u8, count: u16, now: u64) {
        pit.write_port(CTRL, cw(counter, ACCESS_WORD, mode), now);
        pit.write_port(CH0 + u16::from(counter), count as u8, now);
        pit.write_port(CH0 + u16::from(counter), (count >> 8) as u8, now);
    }

    /// Latches and reads a counter in LSB-then-MSB access.
    fn latched(pit: &mut I8254, counter: u8, now: u64) -> u16 {
        pit.write_port(CTRL, counter << 6, now);
        let port = CH0 + u16::from(counter);
        u16::from(pit.read_port(port, now)) | u16::from(pit.read_port(port, now)) << 8
    }

    fn status(pit: &mut I8254, counter: u8, now: u64) -> u8 {
        pit.write_port(CTRL, CW_READ_BACK | READ_BACK_NO_COUNT | 2 << counter, now);
        pit.read_port(CH0 + u16::from(counter), now)
    }

    /// A xorshift64 generator.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// OUT of `counter` at each tick of `from..to`.
    fn outs(pit: &I8254, counter: usize, from: u64, to: u64) -> Vec<bool> {
        (from..to).map(|t| pit.out(counter, t)).collect()
    }

    #[test]
    fn power_on_is_mode_3_count_65536() {
        let mut pit = I8254::new();
        // Counter 0: 18.2 Hz square wave on IRQ 0.
        assert_eq!(pit.next_event(0), Some(32768));
        assert_eq!(pit.next_event(32768), Some(65536));
        assert!(pit.out(0, 32767) && !pit.out(0, 32768) && pit.out(0, 65536));
        // Counter 2's GATE is low: held until it rises.
        assert!(!pit.gate(2) && pit.gate(0) && pit.gate(1));
        assert_eq!(pit.next_change(2, 0), None);
        for counter in 0..3 {
            assert_eq!(status(&mut pit, counter, 5), 0x86, "counter {counter}");
        }
        assert_eq!(pit.take_edges(200_000), 3);
        assert_eq!(pit.take_edges(200_000), 0);
        // Reads before any control word act as LSB-only: no MSB follows.
        let value = 0x10000 - (2 * 200_000) % 0x10000;
        assert_eq!(value >> 8, 0xE5);
        assert_eq!(pit.read_port(CH1, 200_000), value as u8);
        assert_eq!(pit.read_port(CH1, 200_000), value as u8);
        assert!(pit.out(2, 1_000_000));
        pit.set_gate(2, true, 1_000_000);
        assert_eq!(pit.next_change(2, 1_000_000), Some(1_032_768));
        assert_eq!(pit.malformed(), 0);
        pit.reset(7);
        assert_eq!(pit.next_event(7), Some(32775));
        assert!(!pit.summary(7).counters[2].gate);
    }

    #[test]
    fn mode_0_interrupt_on_terminal_count() {
        let mut pit = I8254::new();
        let t0 = 1000;
        // Linux's pit_shutdown: mode 0, count 0 (65536).
        pit.write_port(CTRL, 0x30, t0);
        assert!(!pit.out(0, t0));
        assert_eq!(status(&mut pit, 0, t0), 0x70, "OUT low, null count");
        pit.write_port(CH0, 0, t0);
        assert_eq!(status(&mut pit, 0, t0), 0x70, "half a count: still null");
        pit.write_port(CH0, 0, t0);
        assert_eq!(status(&mut pit, 0, t0), 0x30);
        assert_eq!(pit.next_event(t0), Some(t0 + 0x10000));
        assert_eq!(latched(&mut pit, 0, t0), 0);
        assert_eq!(latched(&mut pit, 0, t0 + 1), 0xFFFF);
        // A short one: count 100 (time has reached t0 + 1).
        let t1 = t0 + 1;
        pit.take_edges(t1);
        program(&mut pit, 0, 0, 100, t1);
        assert_eq!(outs(&pit, 0, t1, t1 + 2), [false, false]);
        assert_eq!(outs(&pit, 0, t1 + 98, t1 + 102), [false, false, true, true]);
        assert_eq!(pit.next_event(t1), Some(t1 + 100));
        assert_eq!(pit.next_event(t1 + 100), None);
        assert_eq!(latched(&mut pit, 0, t1 + 40), 60);
        // After the terminal count it wraps and keeps counting.
        assert_eq!(latched(&mut pit, 0, t1 + 100), 0);
        assert_eq!(latched(&mut pit, 0, t1 + 101), 0xFFFF);
        assert_eq!(status(&mut pit, 0, t1 + 101), 0xB0);
        assert_eq!(pit.take_edges(t1 + 10_000), 1);
        // A new count drops OUT; its first byte stops the counter.
        let t2 = t1 + 10_000;
        pit.write_port(CH0, 50, t2);
        assert!(!pit.out(0, t2));
        let held = (0x10000 + 100 - 10_000) as u16;
        assert_eq!(latched(&mut pit, 0, t2), held);
        assert_eq!(latched(&mut pit, 0, t2 + 500), held);
        assert_eq!(pit.next_event(t2 + 500), None);
        pit.write_port(CH0, 0, t2 + 500);
        assert_eq!(pit.next_event(t2 + 500), Some(t2 + 550));
        assert_eq!(latched(&mut pit, 0, t2 + 510), 40);
        assert_eq!(pit.take_edges(t2 + 1000), 1);
    }

    #[test]
    fn mode_0_gate_suspends_counting() {
        let mut pit = I8254::new();
        program(&mut pit, 2, 0, 100, 0);
        // GATE low: loaded, not counting.
        assert_eq!(latched(&mut pit, 2, 50), 100);
        pit.set_gate(2, true, 50);
        assert_eq!(latched(&mut pit, 2, 80), 70);
        pit.set_gate(2, false, 80);
        assert_eq!(latched(&mut pit, 2, 1000), 70);
        assert!(!pit.out(2, 1000));
        assert_eq!(pit.next_change(2, 1000), None);
        pit.set_gate(2, true, 1000);
        assert_eq!(pit.next_change(2, 1000), Some(1070));
        // GATE does not touch OUT after the terminal count.
        pit.set_gate(2, false, 2000);
        assert!(pit.out(2, 2000));
        pit.set_gate(2, true, 3000);
        assert!(pit.out(2, 5000));
    }

    #[test]
    fn mode_2_rate_generator() {
        let mut pit = I8254::new();
        // Linux's pit_set_periodic at HZ=100: mode 2, LATCH 11932.
        let latch = 11932u64;
        let t0 = 5;
        pit.write_port(CTRL, 0x34, t0);
        pit.write_port(CH0, latch as u8, t0);
        pit.write_port(CH0, (latch >> 8) as u8, t0);
        pit.take_edges(t0);
        // OUT low for the last tick of each cycle.
        assert_eq!(outs(&pit, 0, t0 + latch - 2, t0 + latch + 1), [true, false, true]);
        assert_eq!(pit.next_event(t0), Some(t0 + latch - 1));
        assert_eq!(pit.next_event(t0 + latch - 1), Some(t0 + latch));
        assert_eq!(pit.next_event(t0 + latch), Some(t0 + 2 * latch - 1));
        assert_eq!(latched(&mut pit, 0, t0), latch as u16);
        assert_eq!(latched(&mut pit, 0, t0 + latch - 1), 1);
        assert_eq!(latched(&mut pit, 0, t0 + latch), latch as u16);
        // One rising edge (IRQ 0) per cycle, however late the caller looks.
        assert_eq!(pit.take_edges(t0 + 100 * latch), 100);
        assert_eq!(pit.take_edges(t0 + 100 * latch + latch / 2), 0);
        // A count written while counting waits for the next reload.
        let t1 = t0 + 100 * latch + latch / 2;
        pit.write_port(CH0, 100, t1);
        pit.write_port(CH0, 0, t1);
        assert_eq!(status(&mut pit, 0, t1) & STATUS_NULL_COUNT, STATUS_NULL_COUNT);
        let reload = t0 + 101 * latch;
        assert_eq!(latched(&mut pit, 0, reload - 1), 1);
        assert_eq!(status(&mut pit, 0, reload - 1) & STATUS_NULL_COUNT, STATUS_NULL_COUNT);
        assert_eq!(status(&mut pit, 0, reload), 0xB4);
        assert_eq!(latched(&mut pit, 0, reload), 100);
        assert_eq!(pit.next_event(reload), Some(reload + 99));
        assert_eq!(pit.take_edges(reload + 1000), 11);
    }

    #[test]
    fn mode_2_gate() {
        let mut pit = I8254::new();
        pit.set_gate(2, true, 0);
        program(&mut pit, 2, 2, 10, 0);
        assert!(!pit.out(2, 9));
        // GATE low during the low pulse forces OUT high, stops counting.
        pit.set_gate(2, false, 9);
        assert!(pit.out(2, 9));
        assert_eq!(latched(&mut pit, 2, 50), 1);
        assert_eq!(pit.next_change(2, 50), None);
        // The rising edge reloads.
        pit.set_gate(2, true, 50);
        assert_eq!(pit.next_change(2, 50), Some(59));
        assert_eq!(latched(&mut pit, 2, 50), 10);
        // A count waiting for the reload waits for the rising edge if GATE
        // holds the counter first; so does one written while it is held.
        pit.write_port(CH2, 20, 55);
        pit.write_port(CH2, 0, 55);
        pit.set_gate(2, false, 57);
        assert_eq!(status(&mut pit, 2, 100), 0xF4, "OUT high, null count");
        pit.write_port(CH2, 30, 100);
        pit.write_port(CH2, 0, 100);
        assert_eq!(latched(&mut pit, 2, 110), 3);
        assert_eq!(status(&mut pit, 2, 110), 0xF4);
        pit.set_gate(2, true, 120);
        assert_eq!(status(&mut pit, 2, 120), 0xB4);
        assert_eq!(latched(&mut pit, 2, 120), 30);
        assert_eq!(pit.next_change(2, 120), Some(149));
        // The first count after a control word is loaded with GATE low.
        pit.set_gate(2, false, 200);
        program(&mut pit, 2, 2, 10, 200);
        assert_eq!(status(&mut pit, 2, 250), 0xB4);
        assert_eq!(latched(&mut pit, 2, 250), 10);
        assert_eq!(pit.next_change(2, 250), None);
        pit.set_gate(2, true, 300);
        assert_eq!(pit.next_change(2, 300), Some(309));
    }

    #[test]
    fn mode_3_square_wave() {
        let mut pit = I8254::new();
        // Even count: 5 high, 5 low; counts down by two.
        program(&mut pit, 0, 3, 10, 0);
        assert_eq!(outs(&pit, 0, 0, 12), [true, true, true, true, true, false, false, false, false, false, true, true]);
        assert_eq!(pit.next_event(0), Some(5));
        assert_eq!(pit.next_event(5), Some(10));
        let values: Vec<u16> = (0..11).map(|t| latched(&mut pit, 0, t)).collect();
        assert_eq!(values, [10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10]);
        // Odd count: 4 high, 3 low; the halves start by one and by three.
        program(&mut pit, 1, 3, 7, 100);
        assert_eq!(outs(&pit, 1, 100, 108), [true, true, true, true, false, false, false, true]);
        assert_eq!(pit.next_change(1, 100), Some(104));
        assert_eq!(pit.next_change(1, 104), Some(107));
        let values: Vec<u16> = (100..108).map(|t| latched(&mut pit, 1, t)).collect();
        assert_eq!(values, [7, 6, 4, 2, 7, 4, 2, 7]);
        // Counter 0's edges only: its square wave rises every 10 ticks.
        assert_eq!(pit.take_edges(1000), 100);
        assert_eq!(pit.take_edges(1100), 10);
        // A new count takes effect at the end of the half-cycle.
        program(&mut pit, 0, 3, 10, 2000);
        pit.write_port(CH0, 4, 2002);
        pit.write_port(CH0, 0, 2002);
        assert_eq!(outs(&pit, 0, 2004, 2011), [true, false, false, true, true, false, false]);
        assert_eq!(latched(&mut pit, 0, 2004), 2);
        assert_eq!(latched(&mut pit, 0, 2005), 4);
        // Count 0: 65536.
        program(&mut pit, 0, 3, 0, 3000);
        assert_eq!(pit.next_event(3000), Some(3000 + 32768));
        // GATE: low forces OUT high, rising restarts the high half.
        pit.set_gate(2, true, 3000);
        program(&mut pit, 2, 3, 10, 4000);
        assert!(!pit.out(2, 4006));
        pit.set_gate(2, false, 4007);
        assert!(pit.out(2, 4007));
        assert_eq!(pit.next_change(2, 4007), None);
        pit.set_gate(2, true, 4100);
        assert_eq!(pit.next_change(2, 4100), Some(4105));
    }

    #[test]
    fn mode_4_software_strobe() {
        let mut pit = I8254::new();
        // Linux's oneshot: mode 4, then a count per event.
        pit.write_port(CTRL, 0x38, 0);
        assert!(pit.out(0, 0));
        pit.write_port(CH0, 20, 0);
        pit.write_port(CH0, 0, 0);
        pit.take_edges(0);
        assert_eq!(outs(&pit, 0, 19, 23), [true, false, true, true]);
        assert_eq!(pit.next_event(0), Some(20));
        assert_eq!(pit.next_event(20), Some(21));
        assert_eq!(pit.next_event(21), None);
        assert_eq!(pit.take_edges(1000), 1);
        // Rewriting the count restarts it (the first byte alone does not).
        pit.write_port(CH0, 30, 1000);
        assert_eq!(latched(&mut pit, 0, 1005), (0x10000 + 20 - 1005) as u16);
        pit.write_port(CH0, 0, 1005);
        assert_eq!(pit.next_event(1005), Some(1035));
        // GATE low suspends (counter 2).
        pit.set_gate(2, true, 2000);
        program(&mut pit, 2, 4, 10, 2000);
        pit.set_gate(2, false, 2005);
        assert_eq!(latched(&mut pit, 2, 3000), 5);
        pit.set_gate(2, true, 3000);
        assert_eq!(pit.next_change(2, 3000), Some(3005));
    }

    #[test]
    fn modes_1_and_5_wait_for_a_gate_trigger() {
        let mut pit = I8254::new();
        // Counter 1's GATE is tied high: mode 1 never triggers.
        program(&mut pit, 1, 1, 10, 0);
        assert!(pit.out(1, 0));
        assert_eq!(pit.next_change(1, 0), None);
        assert_eq!(status(&mut pit, 1, 100), 0xF2, "OUT high, null count");
        // Counter 2: each rising edge (re)loads and drops OUT.
        program(&mut pit, 2, 1, 10, 100);
        assert!(pit.out(2, 100));
        assert_eq!(status(&mut pit, 2, 100), 0xF2, "OUT high, null count");
        pit.set_gate(2, true, 100);
        assert_eq!(status(&mut pit, 2, 100), 0x32);
        assert_eq!(
            outs(&pit, 2, 100, 112),
            [false, false, false, false, false, false, false, false, false, false, true, true]
        );
        pit.set_gate(2, false, 105);
        assert!(!pit.out(2, 106), "GATE low does not stop mode 1");
        pit.set_gate(2, true, 106);
        assert_eq!(pit.next_change(2, 106), Some(116));
        // A new count is used at the next trigger only.
        pit.write_port(CH2, 3, 107);
        pit.write_port(CH2, 0, 107);
        assert_eq!(pit.next_change(2, 107), Some(116));
        pit.set_gate(2, false, 200);
        pit.set_gate(2, true, 201);
        assert_eq!(pit.next_change(2, 201), Some(204));
        // Mode 5: a strobe N ticks after the trigger.
        program(&mut pit, 2, 5, 4, 300);
        assert!(pit.out(2, 300));
        pit.set_gate(2, false, 300);
        pit.set_gate(2, true, 310);
        assert_eq!(outs(&pit, 2, 313, 317), [true, false, true, true]);
        assert_eq!(latched(&mut pit, 2, 314), 0);
    }

    #[test]
    fn latches_read_back_and_byte_order() {
        let mut pit = I8254::new();
        program(&mut pit, 1, 2, 1000, 0);
        pit.write_port(CTRL, 0x40, 10);
        pit.write_port(CTRL, 0x40, 20); // ignored: still latched
        assert_eq!(pit.read_port(CH1, 30), (990 & 0xFF) as u8);
        pit.write_port(CTRL, 0x40, 40); // ignored: MSB not read yet
        assert_eq!(pit.read_port(CH1, 50), (990 >> 8) as u8);
        // Live reads alternate LSB, MSB.
        assert_eq!(pit.read_port(CH1, 60), (940 & 0xFF) as u8);
        assert_eq!(pit.read_port(CH1, 70), (930 >> 8) as u8);
        // Read-back of counts and status of counters 0 and 1: status first.
        program(&mut pit, 0, 0, 500, 100);
        pit.write_port(CTRL, CW_READ_BACK | 0x06, 200);
        assert_eq!(pit.read_port(CH0, 300), 0x30);
        assert_eq!(pit.read_port(CH1, 300), 0xB4);
        assert_eq!(pit.read_port(CH0, 300), (400 & 0xFF) as u8);
        assert_eq!(pit.read_port(CH0, 300), (400 >> 8) as u8);
        assert_eq!(pit.read_port(CH1, 300), 800u16 as u8);
        assert_eq!(pit.read_port(CH1, 300), (800 >> 8) as u8);
        // A status latched and not read is kept (the second read-back, after
        // the terminal count, is ignored); a count latch still works.
        pit.write_port(CTRL, CW_READ_BACK | READ_BACK_NO_COUNT | 2, 400);
        pit.write_port(CTRL, 0x00, 450);
        pit.write_port(CTRL, CW_READ_BACK | READ_BACK_NO_COUNT | 2, 600);
        assert_eq!(pit.read_port(CH0, 700), 0xB0 & !STATUS_OUT);
        assert_eq!(pit.read_port(CH0, 700), (500 - 350) as u8);
        assert_eq!(pit.read_port(CH0, 700), 0);
        // LSB-only and MSB-only access.
        pit.write_port(CTRL, cw(0, ACCESS_LSB, 0), 800);
        pit.write_port(CH0, 0x80, 800);
        assert_eq!(pit.read_port(CH0, 800), 0x80);
        assert_eq!(pit.read_port(CH0, 810), 0x76);
        pit.write_port(CTRL, cw(0, ACCESS_MSB, 2), 900);
        pit.write_port(CH0, 0x12, 900);
        assert_eq!(pit.read_port(CH0, 900), 0x12);
        assert_eq!(pit.read_port(CH0, 901), 0x11);
        // Reads and writes keep separate byte orders.
        program(&mut pit, 1, 0, 0x1234, 1000);
        assert_eq!(pit.read_port(CH1, 1000), 0x34);
        pit.write_port(CH1, 0x00, 1000);
        assert_eq!(pit.read_port(CH1, 1000), 0x12);
        pit.write_port(CH1, 0x20, 1000);
        assert_eq!(latched(&mut pit, 1, 1000), 0x2000);
        // A control word drops a pending latch and restarts the byte order.
        pit.write_port(CTRL, 0x40, 1000);
        assert_eq!(pit.read_port(CH1, 1000), 0x00);
        pit.write_port(CTRL, cw(1, ACCESS_WORD, 0), 1000);
        pit.write_port(CH1, 0x10, 1000);
        pit.write_port(CH1, 0x00, 1000);
        assert_eq!(pit.read_port(CH1, 1001), 0x0F);
        assert_eq!(pit.read_port(CH1, 1001), 0x00);
        assert_eq!(pit.malformed(), 0);
    }

    #[test]
    fn bcd_counting() {
        let mut pit = I8254::new();
        pit.write_port(CTRL, cw(0, ACCESS_WORD, 0) | CW_BCD, 0);
        pit.write_port(CH0, 0x00, 0);
        pit.write_port(CH0, 0x01, 0); // 0100: a hundred ticks
        assert_eq!(pit.next_event(0), Some(100));
        assert_eq!(latched(&mut pit, 0, 1), 0x0099);
        assert_eq!(latched(&mut pit, 0, 91), 0x0009);
        assert_eq!(latched(&mut pit, 0, 101), 0x9999);
        assert_eq!(status(&mut pit, 0, 101), 0xB1);
        // 0 is 10000; mode 3 in BCD.
        pit.write_port(CTRL, cw(0, ACCESS_WORD, 3) | CW_BCD, 200);
        pit.write_port(CH0, 0, 200);
        pit.write_port(CH0, 0, 200);
        assert_eq!(pit.next_event(200), Some(5200));
        assert_eq!(latched(&mut pit, 0, 201), 0x9998);
        // A digit above 9 is counted as malformed and taken modulo 10000.
        pit.write_port(CTRL, cw(1, ACCESS_WORD, 0) | CW_BCD, 300);
        pit.write_port(CH1, 0x0A, 300);
        pit.write_port(CH1, 0x00, 300);
        assert_eq!(pit.malformed(), 1);
        assert_eq!(pit.next_change(1, 300), Some(310));
        assert_eq!(to_bcd(1234), 0x1234);
        assert_eq!(from_bcd(0x9876), (9876, true));
    }

    #[test]
    fn malformed_and_out_of_range() {
        let mut pit = I8254::new();
        assert_eq!(pit.read_port(CTRL, 0), 0);
        assert_eq!(pit.read_port(0x44, 0), 0);
        pit.write_port(0x3F, 0xFF, 0);
        pit.write_port(CTRL, CW_READ_BACK | 0x01 | 0x02, 0);
        pit.write_port(CTRL, CW_READ_BACK, 0);
        // Count 1 in mode 2: performed, counted.
        program(&mut pit, 0, 2, 1, 0);
        assert_eq!(pit.malformed(), 6);
        assert_eq!(pit.summary(0).malformed, 6);
        pit.set_gate(3, true, 0);
        assert!(!pit.out(3, 0) && !pit.gate(7));
        assert_eq!(pit.next_change(3, 0), None);
        // Time does not run backwards.
        program(&mut pit, 0, 0, 100, 1000);
        assert_eq!(latched(&mut pit, 0, 10), 100);
        assert!(!pit.out(0, 0));
        assert_eq!(ticks_from(1_000_000, 1_000_000), CLOCK_HZ);
        assert_eq!(ticks_from(5, 0), 0);
        assert_eq!(ticks_from(u64::MAX, 1), u64::MAX);
        assert_eq!(ticks_from(u64::MAX, u64::MAX), CLOCK_HZ);
        assert_eq!(ticks_from(100_000_000, 100_000_000), CLOCK_HZ);
    }

    #[test]
    fn summary_reports_the_counters() {
        let mut pit = I8254::new();
        program(&mut pit, 0, 2, 11932, 0);
        let s = pit.summary(100);
        assert_eq!(
            s.counters[0],
            CounterSummary {
                mode: 2,
                bcd: false,
                access: 3,
                count: 11932,
                value: 11832,
                out: true,
                gate: true,
                null_count: false
            }
        );
        assert_eq!(s.counters[2].mode, 3);
        pit.write_port(CTRL, cw(1, ACCESS_LSB, 1), 100);
        assert_eq!(pit.summary(100).counters[1].count, 0);
    }

    /// OUT, the next change and the edge count agree with each other for
    /// random programs, GATE moves and polling intervals.
    #[test]
    fn out_next_change_and_edges_agree() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..300 {
            let mut pit = I8254::new();
            let mut t = 0u64;
            pit.set_gate(2, true, 0);
            for _ in 0..6 {
                let r = next();
                let level = pit.out(0, t);
                let counter = (r % 3) as u8;
                let mode = ((r >> 8) % 6) as u8;
                let count = ((r >> 16) % 40) as u16 + 1;
                match (r >> 32) % 4 {
                    0 => pit.set_gate(2, r & 1 << 40 != 0, t),
                    1 => {
                        let port = CH0 + u16::from(counter);
                        pit.write_port(port, count as u8, t);
                        pit.write_port(port, 0, t);
                    }
                    _ => program(&mut pit, counter, mode, count, t),
                }
                // A rise at the instant of the change counts too.
                let rose = !level && pit.out(0, t);
                assert_eq!(pit.take_edges(t), u64::from(rose), "edges at {t}");
                // Walk tick by tick and compare.
                let span = (r >> 48) % 120 + 1;
                let mut edges = 0;
                let mut poll_edges = 0;
                for step in 1..=span {
                    let now = t + step;
                    for c in 0..3 {
                        let change = pit.next_change(c, now - 1);
                        let differs = pit.out(c, now) != pit.out(c, now - 1);
                        assert_eq!(change == Some(now), differs, "counter {c} at {now}");
                        if let Some(at) = change {
                            assert!(at >= now);
                        }
                    }
                    if pit.out(0, now) && !pit.out(0, now - 1) {
                        edges += 1;
                    }
                    if step % 7 == 0 || step == span {
                        poll_edges += pit.take_edges(now);
                    }
                }
                assert_eq!(poll_edges, edges, "edges from {t}");
                t += span;
            }
        }
    }

    /// Any byte to any port, GATE moves, queries and resets, at times that
    /// step forward, go back, jump by `u64::MAX / 2` and sit at the end of
    /// time: nothing panics or overflows (tests build with overflow checks).
    #[test]
    fn random_traffic_never_panics() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..50 {
            let mut pit = I8254::new();
            let mut t = 0u64;
            for _ in 0..4000 {
                let r = next();
                t = match (r >> 56) % 16 {
                    0 => t.saturating_sub((r >> 20) % 100_000),
                    1 => t.saturating_add(u64::MAX / 2),
                    2 => u64::MAX - (r >> 20) % 4,
                    3 => (r >> 20) % 1000,
                    4 => t.saturating_add((r >> 20) % 0x3_0000),
                    _ => t.saturating_add((r >> 20) % 40),
                };
                let port = 0x3E + ((r >> 8) % 8) as u16;
                let index = ((r >> 12) % 4) as usize;
                match r % 10 {
                    0..=3 => pit.write_port(port, (r >> 24) as u8, t),
                    4 => pit.write_port(CTRL, (r >> 24) as u8, t),
                    5 => {
                        pit.read_port(port, t);
                    }
                    6 => pit.set_gate(index, r & 1 << 32 != 0, t),
                    7 => {
                        pit.take_edges(t);
                        assert_eq!(pit.take_edges(t), 0);
                    }
                    8 => {
                        pit.out(index, t);
                        pit.gate(index);
                        pit.next_event(t);
                        pit.summary(t);
                        if let Some(at) = pit.next_change(index, t) {
                            assert!(at > t);
                        }
                    }
                    _ => {
                        if r & 0xF00 == 0 {
                            pit.reset(t);
                        }
                    }
                }
            }
        }
    }
}
