//! The MC146818 real-time clock of the Malta board's PIIX4 (ISA ports
//! 0x70/0x71, ISA IRQ 8) as a pure state machine.
//!
//! It answers as QEMU 7.2's `hw/rtc/mc146818rtc.c` answers on Malta
//! (created by the PIIX4 with `base_year` 2000, so the year register holds
//! the year modulo 100 and CMOS byte 0x32 the century).
//!
//! Time is injected, never read. The caller passes the guest's clock
//! (nanoseconds, monotonic, from guest creation) with every access, or
//! through [`Mc146818::advance_to`]; the wall-clock time the RTC starts
//! from (seconds since the Unix epoch, UTC) is given to
//! [`Mc146818::new`]. A `now_ns` smaller than one seen before is taken as
//! the latest one (the clock never runs backwards). Nothing happens between
//! calls: periodic ticks and update cycles that fell due since the last
//! call are accounted for (in constant time, however long the gap) at the
//! next one. [`Mc146818::next_event`] says when the interrupt output would
//! next rise, so the caller can arm a timer for it.
//!
//! Ports: a write to 0x70 selects the register (bits 6:0; bit 7 is the
//! PC's NMI mask, kept for [`Mc146818::nmi_masked`], wired to nothing on
//! Malta); 0x71 reads and writes the selected one. The index stays
//! selected after an access. Reading 0x70 returns 0xFF (as QEMU).
//!
//! | index | register |
//! |---|---|
//! | 0, 2, 4 | seconds, minutes, hours (12-hour mode: bit 7 = PM) |
//! | 1, 3, 5 | seconds, minutes, hours alarm (0xC0-0xFF: don't care) |
//! | 6, 7, 8, 9 | day of week (1 = Sunday), day of month, month, year |
//! | 10 | A: UIP (read-only), DV (bits 6:4), RS (bits 3:0) |
//! | 11 | B: SET, PIE, AIE, UIE, SQWE, DM (binary), 24/12, DSE |
//! | 12 | C: IRQF, PF, AF, UF (read-only; a read clears it) |
//! | 13 | D: VRT (reads 0x80, read-only) |
//! | 0x0E-0x7F | CMOS RAM, 114 bytes; 0x32 is the century (a time register) |
//!
//! QEMU's MC146818 has 128 bytes and no extended bank, so neither has the
//! model. Index 0x37 (the IBM PS/2 century byte) is an alias of 0x32: an
//! access through it selects 0x32, as in QEMU.
//!
//! The clock and its registers:
//! - The time registers are encoded from the clock whenever they are read
//!   while the clock runs (B.SET clear and DV 000, 001 or 010, as QEMU;
//!   the data sheet only runs with 010), in BCD or binary (B.DM) and 12-
//!   or 24-hour format (B.24/12) as B says at that moment. Changing DM or
//!   24/12 converts nothing by itself.
//! - Writing a time register while the clock runs sets the clock from all
//!   the time registers; the fraction of the second restarts where it
//!   stood when the clock was last set (0 at power-on), as in QEMU.
//! - B.SET freezes the registers (the guest writes them at leisure) and
//!   drops B.UIE; clearing it sets the clock from the registers, decoded
//!   with B as it was *before* the write (as QEMU), keeping the fraction of
//!   the second, so updates stay on the same phase.
//! - DV = 11x holds the dividers in reset: the registers freeze and no
//!   update cycle happens; releasing it (to DV 0xx..010) restarts the
//!   clock from the registers with the first update half a second later.
//! - Every second boundary of the clock is an update cycle, unless the
//!   dividers are in reset: C.UF is set, even under SET (as QEMU); if the
//!   clock runs and the new time matches the alarm (each of seconds,
//!   minutes, hours equal or don't care), C.AF too. A flag that becomes
//!   set while its enable bit (UIE, AIE) is set raises C.IRQF.
//! - A.UIP reads 1 for the last 244 µs (8 cycles of the 32.768 kHz clock)
//!   before each update while the clock runs; the registers already show
//!   the new time when it falls, so a driver that waits for UIP to fall
//!   and then reads the time (Linux's `mc146818_get_time`) gets a
//!   consistent time.
//! - The periodic interrupt: with B.PIE set and A.RS non-zero, C.PF and
//!   C.IRQF are set every 2^(RS-1) cycles of 32.768 kHz (RS 1 and 2: 256
//!   and 128 Hz), on QEMU's tick grid: the first tick one period after PIE
//!   (or RS) is set, each tick `floor(k * 10^9 / 32768) + 1` ns. Changing
//!   RS keeps the phase of the last tick. As in QEMU, the periodic timer
//!   only runs with PIE, so PF is never set without it (the data sheet
//!   sets PF whatever PIE says).
//! - Reading C returns it and clears it, IRQF included. Writing B sets
//!   IRQF if a flag of C is pending whose enable bit the new value sets,
//!   and clears IRQF otherwise (as QEMU). The interrupt output (ISA IRQ 8)
//!   is C.IRQF.
//! - Register A stores bits 6:0; C and D ignore writes (counted as
//!   malformed); D reads 0x80 (valid RAM and time).
//! - SQWE and DSE are stored and do nothing (there is no square-wave pin
//!   and QEMU does no daylight saving).
//!
//! Where the model differs from QEMU, on purpose:
//! - Writing one time register while the clock runs: QEMU sets the clock
//!   from the other registers as they were last refreshed (at the last
//!   read, or at the last update that ran its timer), which may be seconds
//!   old; the model refreshes them first, so only the written field
//!   changes.
//! - Alarm hours in 12-hour mode are decoded with their own PM bit (QEMU
//!   takes the PM bit of the current hour and decodes the alarm's as part
//!   of the number), and an alarm value no time can match (seconds 75, hour
//!   25) never fires (QEMU computes some time for it). No alarm fires while
//!   the clock does not run (QEMU may, under SET).
//! - Out-of-range register values (month 13, BCD digits above 9) set the
//!   clock as if they rolled over (month 13 is January of the next year);
//!   QEMU's formula gives the same for most, but not all, of them.
//! - No reader misses an update's UIP pulse: a read of A after an update
//!   whose pulse the previous read of A came too early for (it was in the
//!   second before that update, at most [`LATE_PULSE_GAP_NS`] before this
//!   one, and saw UIP clear) shows UIP set once, late.
//!   A guest polling A sees every pulse natively, but a virtual machine's
//!   reader is descheduled for whole time slices, longer than the 244 µs
//!   pulse: without this, Linux's Malta timer calibration (UIP edge to UIP
//!   edge) could measure two seconds as one. The late pulse costs such a
//!   reader one extra read; the time registers are already updated.
//! - [`Mc146818::reset`] (QEMU's reset) clears PIE, AIE, SQWE and the flags
//!   of C, and byte 0x0F unless it holds 0xFE (the PC BIOS's S3-resume
//!   mark), exactly as QEMU; QEMU lets an armed periodic timer fire once
//!   more, the model stops it at once. UIE is kept (the data sheet clears
//!   it; QEMU does not).
//!
//! Checked against QEMU with a register script (`qemu_trace` test,
//! `traces/rtc_trace.S`): the same values everywhere.
//!
//! Nothing a guest does panics: every port, index and value is handled.
//! [`Mc146818::malformed`] counts accesses that make no sense: a port
//! other than 0x70/0x71, a read of the index port, a write to C or D.

/// The index (address) port.
pub const PORT_INDEX: u16 = 0x70;
/// The data port.
pub const PORT_DATA: u16 = 0x71;
/// The ISA interrupt the RTC raises (slave i8259 input 0).
pub const ISA_IRQ: u8 = 8;

pub const REG_SECONDS: u8 = 0x00;
pub const REG_SECONDS_ALARM: u8 = 0x01;
pub const REG_MINUTES: u8 = 0x02;
pub const REG_MINUTES_ALARM: u8 = 0x03;
pub const REG_HOURS: u8 = 0x04;
pub const REG_HOURS_ALARM: u8 = 0x05;
pub const REG_DAY_OF_WEEK: u8 = 0x06;
pub const REG_DAY_OF_MONTH: u8 = 0x07;
pub const REG_MONTH: u8 = 0x08;
pub const REG_YEAR: u8 = 0x09;
pub const REG_A: u8 = 0x0A;
pub const REG_B: u8 = 0x0B;
pub const REG_C: u8 = 0x0C;
pub const REG_D: u8 = 0x0D;
/// The century (PC CMOS convention), BCD or binary like the year.
pub const REG_CENTURY: u8 = 0x32;
/// The IBM PS/2 century byte: an alias of [`REG_CENTURY`].
pub const REG_PS2_CENTURY: u8 = 0x37;
/// The PC BIOS's shutdown status byte (reset clears it unless 0xFE).
pub const REG_SHUTDOWN_STATUS: u8 = 0x0F;

/// Registers and CMOS RAM.
pub const CMOS_SIZE: usize = 128;
/// The first byte of CMOS RAM (after the clock's 14 registers).
pub const RAM_START: usize = 0x0E;
/// Bytes of CMOS RAM (0x0E-0x7F).
pub const RAM_BYTES: usize = CMOS_SIZE - RAM_START;

pub const A_UIP: u8 = 0x80;
/// The divider bits DV2:0.
pub const A_DV: u8 = 0x70;
/// The rate select bits RS3:0.
pub const A_RS: u8 = 0x0F;
/// DV2 and DV1 both set: the dividers are held in reset.
const A_DV_RESET: u8 = 0x60;
/// The highest DV value at which the clock runs (010, 32.768 kHz).
const A_DV_RUN_MAX: u8 = 0x20;

pub const B_SET: u8 = 0x80;
pub const B_PIE: u8 = 0x40;
pub const B_AIE: u8 = 0x20;
pub const B_UIE: u8 = 0x10;
pub const B_SQWE: u8 = 0x08;
pub const B_DM: u8 = 0x04;
pub const B_24H: u8 = 0x02;
pub const B_DSE: u8 = 0x01;

pub const C_IRQF: u8 = 0x80;
pub const C_PF: u8 = 0x40;
pub const C_AF: u8 = 0x20;
pub const C_UF: u8 = 0x10;
/// The flags that IRQF summarises (each under the B bit in its place).
const C_FLAGS: u8 = C_PF | C_AF | C_UF;

pub const D_VRT: u8 = 0x80;

/// Register A after power-on: 32.768 kHz time base, 1024 Hz rate.
pub const A_POWER_ON: u8 = 0x26;
/// Register B after power-on: 24-hour BCD.
pub const B_POWER_ON: u8 = B_24H;

/// An alarm register byte with both top bits set matches any value.
const ALARM_DONT_CARE: u8 = 0xC0;

const NS_PER_SEC: u64 = 1_000_000_000;
/// The time base's frequency.
pub const RTC_HZ: u64 = 32_768;
/// How long A.UIP reads 1 before each update: 8 cycles of the time base
/// (QEMU truncates 244140.625 ns to whole nanoseconds).
pub const UIP_HOLD_NS: u64 = 8 * NS_PER_SEC / RTC_HZ;
/// The longest gap between two reads of A across which a missed UIP pulse
/// is shown late: a few time slices of a descheduled reader; a reader that
/// paused longer was not waiting for that pulse.
pub const LATE_PULSE_GAP_NS: u64 = 100_000_000;
/// Releasing the divider reset starts the first update after half a second.
const DIVIDER_RELEASE_PHASE_NS: u64 = NS_PER_SEC / 2;

const SECS_PER_DAY: i64 = 86_400;

/// A calendar time as the guest sees it in the registers (UTC, no DST).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    /// 1-12.
    pub month: u8,
    /// 1-31.
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// 0 = Sunday (the register holds this plus one).
    pub weekday: u8,
}

impl DateTime {
    /// The calendar time of `secs` seconds since the Unix epoch.
    pub fn from_unix(secs: i64) -> DateTime {
        let days = secs.div_euclid(SECS_PER_DAY);
        let tod = secs.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: (tod / 3600) as u8,
            minute: (tod / 60 % 60) as u8,
            second: (tod % 60) as u8,
            weekday: (days + 4).rem_euclid(7) as u8,
        }
    }

    /// Seconds since the Unix epoch (fields out of range roll over; years
    /// as [`from_unix`](Self::from_unix) gives them, within about 10^11).
    pub fn to_unix(&self) -> i64 {
        days_from_civil(self.year, i64::from(self.month), i64::from(self.day)) * SECS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

impl core::fmt::Display for DateTime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
/// A month out of 1-12 rolls over into the neighbouring years, a day out
/// of the month into the neighbouring months.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let months = year * 12 + (month - 1);
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    // Years start in March, so that the leap day is the last of its year.
    let (year, march_month) = if month > 2 { (year, month - 3) } else { (year - 1, month + 9) };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * march_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719468 days from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` days after 1970-01-01: (year, month 1-12, day 1-31).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 { march_month + 3 } else { march_month - 9 };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    (year, month as u8, day as u8)
}

/// `floor(ticks * 10^9 / 32768)`, without overflow for any tick count
/// below 2^64 / 2^15 * 32768.
fn ticks_to_ns(ticks: u64) -> u64 {
    (ticks / RTC_HZ).saturating_mul(NS_PER_SEC).saturating_add((ticks % RTC_HZ) * NS_PER_SEC / RTC_HZ)
}

/// `floor(ns * 32768 / 10^9)`.
fn ns_to_ticks(ns: u64) -> u64 {
    (ns / NS_PER_SEC) * RTC_HZ + (ns % NS_PER_SEC) * RTC_HZ / NS_PER_SEC
}

/// When periodic tick `k` of the time base fires (QEMU arms its timer one
/// nanosecond after the tick's edge).
fn tick_due_ns(tick: u64) -> u64 {
    ticks_to_ns(tick).saturating_add(1)
}

/// The last tick due at or before `ns`: the largest `k` with
/// `tick_due_ns(k) <= ns`, i.e. `k * 10^9 < ns * 32768`.
fn last_tick_due(ns: u64) -> Option<u64> {
    if ns == 0 {
        return None;
    }
    let ceil = (ns / NS_PER_SEC) * RTC_HZ + ((ns % NS_PER_SEC) * RTC_HZ).div_ceil(NS_PER_SEC);
    Some(ceil - 1)
}

/// One field of the alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AlarmField {
    Any,
    At(i64),
    /// A value no time has.
    Never,
}

impl AlarmField {
    fn matches(self, value: i64) -> bool {
        match self {
            AlarmField::Any => true,
            AlarmField::At(v) => v == value,
            AlarmField::Never => false,
        }
    }
}

/// Seconds (1 to 86400) from time of day `tod` to the next time of day
/// that matches the alarm, or `None` if none does.
fn seconds_to_alarm(tod: i64, hours: AlarmField, minutes: AlarmField, seconds: AlarmField) -> Option<i64> {
    if [hours, minutes, seconds].contains(&AlarmField::Never) {
        return None;
    }
    let (h0, m0, s0) = (tod / 3600, tod / 60 % 60, tod % 60);
    // Hours from this one to this one tomorrow: the first match after `tod`
    // is at most a day away.
    for dh in 0..=24 {
        if !hours.matches((h0 + dh) % 24) {
            continue;
        }
        let first_minute = if dh == 0 { m0 } else { 0 };
        for m in first_minute..60 {
            if !minutes.matches(m) {
                continue;
            }
            let first_second = if dh == 0 && m == m0 { s0 + 1 } else { 0 };
            if let Some(s) = (first_second..60).find(|&s| seconds.matches(s)) {
                return Some(dh * 3600 + (m - m0) * 60 + (s - s0));
            }
        }
    }
    None
}

/// What `guest info` shows of the RTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcSummary {
    /// The time the registers give (or would give, read now).
    pub time: DateTime,
    /// The clock runs (B.SET clear, dividers running).
    pub running: bool,
    /// Registers A (with UIP as a read would show it), B and C (the
    /// pending flags).
    pub reg_a: u8,
    pub reg_b: u8,
    pub reg_c: u8,
    /// The interrupt output (C.IRQF).
    pub irq: bool,
}

impl core::fmt::Display for RtcSummary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} UTC ({}, {} {}) A={:02x} B={:02x} C={:02x} irq {}",
            self.time,
            if self.running { "running" } else { "stopped" },
            if self.reg_b & B_DM != 0 { "binary" } else { "BCD" },
            if self.reg_b & B_24H != 0 { "24h" } else { "12h" },
            self.reg_a,
            self.reg_b,
            self.reg_c,
            if self.irq { "high" } else { "low" },
        )
    }
}

/// The RTC's state. See the module documentation.
#[derive(Clone, Debug)]
pub struct Mc146818 {
    cmos: [u8; CMOS_SIZE],
    index: u8,
    nmi_masked: bool,
    /// The clock: at guest time `anchor_ns` it read `base_secs` plus
    /// `phase_ns` nanoseconds.
    base_secs: i64,
    anchor_ns: u64,
    phase_ns: u64,
    /// The latest guest time seen; everything due up to it is accounted.
    now_ns: u64,
    /// Periodic interrupt: period in time-base ticks (0: off) and the tick
    /// of the next one.
    period: u64,
    next_tick: u64,
    /// The updates done (seconds of the clock since `base_secs`) at the
    /// last read of A and its time, and the last update whose UIP pulse a
    /// read showed.
    a_read: Option<(u64, u64)>,
    pulse_shown: u64,
    malformed: u32,
}

impl Mc146818 {
    /// The RTC at guest time 0, reading `unix_secs` (seconds since
    /// 1970-01-01 00:00:00 UTC) in 24-hour BCD, as QEMU starts it from the
    /// host's clock. CMOS RAM is zero but for the century.
    pub fn new(unix_secs: i64) -> Mc146818 {
        let mut rtc = Mc146818 {
            cmos: [0; CMOS_SIZE],
            index: 0,
            nmi_masked: false,
            base_secs: unix_secs,
            anchor_ns: 0,
            phase_ns: 0,
            now_ns: 0,
            period: 0,
            next_tick: 0,
            a_read: None,
            pulse_shown: 0,
            malformed: 0,
        };
        rtc.cmos[REG_A as usize] = A_POWER_ON;
        rtc.cmos[REG_B as usize] = B_POWER_ON;
        rtc.cmos[REG_D as usize] = D_VRT;
        rtc.encode(unix_secs);
        rtc
    }

    /// The host sets the clock: at `now_ns` it reads `unix_secs`, the next
    /// update one second later. The registers follow unless SET holds them.
    pub fn set_wall_clock(&mut self, unix_secs: i64, now_ns: u64) {
        self.advance_to(now_ns);
        self.base_secs = unix_secs;
        self.anchor_ns = self.now_ns;
        self.phase_ns = 0;
        if self.cmos[REG_B as usize] & B_SET == 0 {
            self.encode(unix_secs);
        }
    }

    /// The time another MC146818's registers show: `cmos` holds its bytes
    /// 0x00-0x7F as read (B's format bits and the century byte included).
    /// How the host reads its own RTC to start the guests' from.
    pub fn time_in(cmos: &[u8; CMOS_SIZE]) -> i64 {
        let mut rtc = Mc146818::new(0);
        rtc.cmos = *cmos;
        rtc.register_time()
    }

    /// Accesses it ignored as nonsense (see the module documentation).
    pub fn malformed(&self) -> u32 {
        self.malformed
    }

    /// Bit 7 of the last index written (the PC's NMI mask).
    pub fn nmi_masked(&self) -> bool {
        self.nmi_masked
    }

    /// The register or RAM byte at `index` as stored, without the side
    /// effects of a guest read (time registers as last refreshed, A
    /// without UIP).
    pub fn cmos(&self, index: u8) -> u8 {
        self.cmos[usize::from(index & 0x7F)]
    }

    /// The interrupt output at `now_ns`.
    pub fn irq_level(&mut self, now_ns: u64) -> bool {
        self.advance_to(now_ns);
        self.output()
    }

    /// The interrupt output as of the last call that took a time.
    pub fn output(&self) -> bool {
        self.cmos[REG_C as usize] & C_IRQF != 0
    }

    /// A guest load from `port`.
    pub fn read_port(&mut self, port: u16, now_ns: u64) -> u8 {
        self.advance_to(now_ns);
        match port {
            PORT_DATA => self.read_data(),
            _ => {
                // The index port is write-only (QEMU reads 0xFF).
                self.malformed = self.malformed.wrapping_add(1);
                0xFF
            }
        }
    }

    /// A guest store of `value` to `port`.
    pub fn write_port(&mut self, port: u16, value: u8, now_ns: u64) {
        self.advance_to(now_ns);
        match port {
            PORT_INDEX => {
                self.index = value & 0x7F;
                self.nmi_masked = value & 0x80 != 0;
            }
            PORT_DATA => self.write_data(value),
            _ => self.malformed = self.malformed.wrapping_add(1),
        }
    }

    /// Accounts for the periodic ticks and update cycles due up to
    /// `now_ns` (the flags of C and the interrupt output).
    pub fn advance_to(&mut self, now_ns: u64) {
        let now = now_ns.max(self.now_ns);
        self.run_periodic(now);
        let (s0, s1) = (self.clock_secs(self.now_ns), self.clock_secs(now));
        if s1 > s0 && !self.dividers_reset() {
            let mut flags = C_UF;
            if self.running() && self.alarm_between(s0, s1) {
                flags |= C_AF;
            }
            let c = self.cmos[REG_C as usize];
            let new = flags & !c;
            let mut c = c | flags;
            if new & self.cmos[REG_B as usize] & (B_UIE | B_AIE) != 0 {
                c |= C_IRQF;
            }
            self.cmos[REG_C as usize] = c;
        }
        self.now_ns = now;
    }

    /// When (guest time, after `now_ns`) the interrupt output would next
    /// rise: the next periodic tick, the next update cycle (UIE) or the
    /// next alarm (AIE) that would raise IRQF. `None` if nothing would, or
    /// if the output is high already (only a guest access can lower it).
    pub fn next_event(&mut self, now_ns: u64) -> Option<u64> {
        self.advance_to(now_ns);
        if self.output() {
            return None;
        }
        let now = self.now_ns;
        let mut next: Option<u64> = None;
        let mut consider = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        if self.period != 0 {
            consider(tick_due_ns(self.next_tick));
        }
        if !self.dividers_reset() {
            let b = self.cmos[REG_B as usize];
            let c = self.cmos[REG_C as usize];
            let boundary = now.saturating_add(NS_PER_SEC - self.elapsed(now) % NS_PER_SEC);
            if b & B_UIE != 0 && c & C_UF == 0 {
                consider(boundary);
            }
            if b & B_AIE != 0 && c & C_AF == 0 && self.running() {
                let tod = self.clock_secs(now).rem_euclid(SECS_PER_DAY);
                let (h, m, s) = self.alarm_fields();
                if let Some(d) = seconds_to_alarm(tod, h, m, s) {
                    consider(boundary.saturating_add((d as u64 - 1).saturating_mul(NS_PER_SEC)));
                }
            }
        }
        next
    }

    /// The board resets (the RTC keeps its time and RAM): as QEMU, clears
    /// B.PIE, B.AIE, B.SQWE and C, lowers the output, and clears byte 0x0F
    /// unless it holds 0xFE. Takes effect at the last time seen; call
    /// [`advance_to`](Self::advance_to) first to account for what fell due
    /// before.
    pub fn reset(&mut self) {
        let shutdown = &mut self.cmos[REG_SHUTDOWN_STATUS as usize];
        if *shutdown != 0xFE {
            *shutdown = 0;
        }
        self.cmos[REG_B as usize] &= !(B_PIE | B_AIE | B_SQWE);
        self.cmos[REG_C as usize] = 0;
        self.period = 0;
    }

    /// The time, registers and flags as the guest would see them at
    /// `now_ns` (nothing changes).
    pub fn summary(&self, now_ns: u64) -> RtcSummary {
        let mut rtc = self.clone();
        rtc.advance_to(now_ns);
        let secs = if rtc.running() { rtc.clock_secs(rtc.now_ns) } else { rtc.register_time() };
        let mut reg_a = rtc.cmos[REG_A as usize];
        if rtc.update_in_progress() {
            reg_a |= A_UIP;
        }
        RtcSummary {
            time: DateTime::from_unix(secs),
            running: rtc.running(),
            reg_a,
            reg_b: rtc.cmos[REG_B as usize],
            reg_c: rtc.cmos[REG_C as usize],
            irq: rtc.output(),
        }
    }

    fn read_data(&mut self) -> u8 {
        if self.index == REG_PS2_CENTURY {
            self.index = REG_CENTURY;
        }
        let index = self.index;
        match index {
            REG_A => {
                let uip = if self.uip_for_read() { A_UIP } else { 0 };
                self.cmos[REG_A as usize] | uip
            }
            REG_C => {
                let c = self.cmos[REG_C as usize];
                self.cmos[REG_C as usize] = 0;
                c
            }
            _ => {
                if is_time_register(index) && self.running() {
                    self.refresh();
                }
                self.cmos[usize::from(index)]
            }
        }
    }

    fn write_data(&mut self, value: u8) {
        if self.index == REG_PS2_CENTURY {
            self.index = REG_CENTURY;
        }
        let index = self.index;
        match index {
            REG_A => self.write_a(value),
            REG_B => self.write_b(value),
            REG_C | REG_D => self.malformed = self.malformed.wrapping_add(1),
            _ if is_time_register(index) => {
                if self.running() {
                    self.refresh();
                    self.cmos[usize::from(index)] = value;
                    self.set_clock_from_registers();
                } else {
                    self.cmos[usize::from(index)] = value;
                }
            }
            // Alarms and RAM.
            _ => self.cmos[usize::from(index)] = value,
        }
    }

    fn write_a(&mut self, value: u8) {
        let old = self.cmos[REG_A as usize];
        let rate_changed = (old ^ value) & A_RS != 0;
        let old_period = self.period;
        if value & A_DV_RESET == A_DV_RESET {
            // Entering (or staying in) divider reset: freeze the registers.
            if self.running() {
                self.refresh();
            }
        } else if old & A_DV_RESET == A_DV_RESET
            && value & A_DV <= A_DV_RUN_MAX
            && self.cmos[REG_B as usize] & B_SET == 0
        {
            // Released: the first update comes half a second later.
            self.phase_ns = DIVIDER_RELEASE_PHASE_NS;
            self.set_clock_from_registers();
        }
        self.cmos[REG_A as usize] = value & !A_UIP;
        if rate_changed {
            self.restart_periodic(old_period);
        }
    }

    fn write_b(&mut self, value: u8) {
        let old = self.cmos[REG_B as usize];
        let pie_changed = (old ^ value) & B_PIE != 0;
        let old_period = self.period;
        let mut value = value;
        if value & B_SET != 0 {
            if self.running() {
                self.refresh();
            }
            // No update-ended interrupts while the guest sets the time.
            value &= !B_UIE;
        } else if old & B_SET != 0 && self.cmos[REG_A as usize] & A_DV <= A_DV_RUN_MAX {
            // Leaving SET: the clock starts from the registers (decoded
            // with the old B) on the same sub-second phase.
            self.phase_ns = self.elapsed(self.now_ns) % NS_PER_SEC;
            self.set_clock_from_registers();
        }
        let c = &mut self.cmos[REG_C as usize];
        if value & *c & C_FLAGS != 0 {
            *c |= C_IRQF;
        } else {
            *c &= !C_IRQF;
        }
        self.cmos[REG_B as usize] = value;
        if pie_changed {
            self.restart_periodic(old_period);
        }
    }

    /// The periodic interrupt's period in time-base ticks, 0 if off.
    fn period_ticks(&self) -> u64 {
        let rs = u32::from(self.cmos[REG_A as usize] & A_RS);
        if self.cmos[REG_B as usize] & B_PIE == 0 || rs == 0 {
            0
        } else if rs <= 2 {
            1 << (rs + 6)
        } else {
            1 << (rs - 1)
        }
    }

    /// RS or PIE changed (from a period of `old_period`): the next tick is
    /// one new period after the last one, or at once if that is past.
    fn restart_periodic(&mut self, old_period: u64) {
        self.period = self.period_ticks();
        if self.period == 0 {
            return;
        }
        let now_tick = ns_to_ticks(self.now_ns);
        let since_last = if old_period != 0 {
            let last = self.next_tick.saturating_sub(old_period);
            now_tick.saturating_sub(last).min(self.period)
        } else {
            0
        };
        self.next_tick = now_tick + self.period - since_last;
        self.run_periodic(self.now_ns);
    }

    fn run_periodic(&mut self, now: u64) {
        if self.period == 0 {
            return;
        }
        let Some(last) = last_tick_due(now) else { return };
        if last >= self.next_tick {
            let ticks = (last - self.next_tick) / self.period + 1;
            self.next_tick = self.next_tick.saturating_add(ticks.saturating_mul(self.period));
            self.cmos[REG_C as usize] |= C_PF | C_IRQF;
        }
    }

    /// B.SET clear and the dividers at a running rate.
    fn running(&self) -> bool {
        self.cmos[REG_B as usize] & B_SET == 0 && self.cmos[REG_A as usize] & A_DV <= A_DV_RUN_MAX
    }

    fn dividers_reset(&self) -> bool {
        self.cmos[REG_A as usize] & A_DV_RESET == A_DV_RESET
    }

    /// UIP as a read of A shows it now: in the pulse before an update, or
    /// late, once, for the update the previous read came too early for
    /// (see the module documentation).
    fn uip_for_read(&mut self) -> bool {
        let done = self.elapsed(self.now_ns) / NS_PER_SEC;
        let previous = self.a_read.replace((done, self.now_ns));
        if self.update_in_progress() {
            self.pulse_shown = done + 1;
            return true;
        }
        let polling = previous.is_some_and(|(updates, at)| {
            done.checked_sub(1) == Some(updates) && self.now_ns.saturating_sub(at) <= LATE_PULSE_GAP_NS
        });
        let missed = self.running() && polling && self.pulse_shown < done;
        if missed {
            self.pulse_shown = done;
        }
        missed
    }

    fn update_in_progress(&self) -> bool {
        self.running() && self.elapsed(self.now_ns) % NS_PER_SEC >= NS_PER_SEC - UIP_HOLD_NS
    }

    /// Nanoseconds of the clock since `base_secs` at guest time `t`.
    fn elapsed(&self, t: u64) -> u64 {
        t.saturating_sub(self.anchor_ns).saturating_add(self.phase_ns)
    }

    /// The clock's seconds since the epoch at guest time `t`.
    fn clock_secs(&self, t: u64) -> i64 {
        self.base_secs.saturating_add((self.elapsed(t) / NS_PER_SEC) as i64)
    }

    fn set_clock_from_registers(&mut self) {
        self.base_secs = self.register_time();
        self.anchor_ns = self.now_ns;
    }

    /// Re-encodes the time registers from the clock.
    fn refresh(&mut self) {
        self.encode(self.clock_secs(self.now_ns));
    }

    fn binary(&self) -> bool {
        self.cmos[REG_B as usize] & B_DM != 0
    }

    fn h24(&self) -> bool {
        self.cmos[REG_B as usize] & B_24H != 0
    }

    /// A register value in the current format (no range check: a value out
    /// of range is encoded digit by digit and truncated).
    fn encode_field(&self, value: i64) -> u8 {
        if self.binary() {
            value as u8
        } else {
            (((value / 10) << 4) | (value % 10)) as u8
        }
    }

    /// A register value decoded; -1 for a "don't care" byte (0xC0-0xFF),
    /// as QEMU does for every field.
    fn decode_field(&self, byte: u8) -> i64 {
        if byte & ALARM_DONT_CARE == ALARM_DONT_CARE {
            -1
        } else if self.binary() {
            i64::from(byte)
        } else {
            i64::from(byte >> 4) * 10 + i64::from(byte & 0x0F)
        }
    }

    fn encode(&mut self, secs: i64) {
        let t = DateTime::from_unix(secs);
        let hour = i64::from(t.hour);
        let hours = if self.h24() {
            self.encode_field(hour)
        } else {
            let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
            self.encode_field(h12) | if hour >= 12 { 0x80 } else { 0 }
        };
        let fields = [
            (REG_SECONDS, self.encode_field(i64::from(t.second))),
            (REG_MINUTES, self.encode_field(i64::from(t.minute))),
            (REG_HOURS, hours),
            (REG_DAY_OF_WEEK, self.encode_field(i64::from(t.weekday) + 1)),
            (REG_DAY_OF_MONTH, self.encode_field(i64::from(t.day))),
            (REG_MONTH, self.encode_field(i64::from(t.month))),
            (REG_YEAR, self.encode_field(t.year.rem_euclid(100))),
            (REG_CENTURY, self.encode_field(t.year.div_euclid(100))),
        ];
        for (index, value) in fields {
            self.cmos[usize::from(index)] = value;
        }
    }

    /// The time the registers hold, in seconds since the epoch (the day of
    /// the week is ignored).
    fn register_time(&self) -> i64 {
        let reg = |i: u8| self.decode_field(self.cmos[usize::from(i)]);
        let hours_byte = self.cmos[REG_HOURS as usize];
        let mut hour = self.decode_field(hours_byte & 0x7F);
        if !self.h24() {
            hour %= 12;
            if hours_byte & 0x80 != 0 {
                hour += 12;
            }
        }
        let year = reg(REG_YEAR) + reg(REG_CENTURY) * 100;
        days_from_civil(year, reg(REG_MONTH), reg(REG_DAY_OF_MONTH)) * SECS_PER_DAY
            + hour * 3600
            + reg(REG_MINUTES) * 60
            + reg(REG_SECONDS)
    }

    fn alarm_fields(&self) -> (AlarmField, AlarmField, AlarmField) {
        let field = |index: u8, limit: i64| {
            let byte = self.cmos[usize::from(index)];
            if byte & ALARM_DONT_CARE == ALARM_DONT_CARE {
                return AlarmField::Any;
            }
            match self.decode_field(byte) {
                v if (0..limit).contains(&v) => AlarmField::At(v),
                _ => AlarmField::Never,
            }
        };
        let hours = if self.h24() {
            field(REG_HOURS_ALARM, 24)
        } else {
            let byte = self.cmos[REG_HOURS_ALARM as usize];
            if byte & ALARM_DONT_CARE == ALARM_DONT_CARE {
                AlarmField::Any
            } else {
                match self.decode_field(byte & 0x7F) {
                    h @ 1..=12 => AlarmField::At(h % 12 + if byte & 0x80 != 0 { 12 } else { 0 }),
                    _ => AlarmField::Never,
                }
            }
        };
        (hours, field(REG_MINUTES_ALARM, 60), field(REG_SECONDS_ALARM, 60))
    }

    /// Whether an update in the clock's seconds `(s0, s1]` hits the alarm.
    fn alarm_between(&self, s0: i64, s1: i64) -> bool {
        let (h, m, s) = self.alarm_fields();
        seconds_to_alarm(s0.rem_euclid(SECS_PER_DAY), h, m, s).is_some_and(|d| s0.saturating_add(d) <= s1)
    }
}

/// The registers the clock keeps: time, date and century.
fn is_time_register(index: u8) -> bool {
    matches!(
        index,
        REG_SECONDS
            | REG_MINUTES
            | REG_HOURS
            | REG_DAY_OF_WEEK
            | REG_DAY_OF_MONTH
            | REG_MONTH
            | REG_YEAR
            | REG_CENTURY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    /// 2026-01-02 03:04:05 UTC, a Friday.
    const T0: i64 = 1_767_323_045;

    fn rd(rtc: &mut Mc146818, index: u8, t: u64) -> u8 {
        rtc.write_port(PORT_INDEX, index, t);
        rtc.read_port(PORT_DATA, t)
    }

    fn wr(rtc: &mut Mc146818, index: u8, value: u8, t: u64) {
        rtc.write_port(PORT_INDEX, index, t);
        rtc.write_port(PORT_DATA, value, t);
    }

    /// Seconds, minutes, hours, day of week, day, month, year, century.
    fn time_regs(rtc: &mut Mc146818, t: u64) -> [u8; 8] {
        [0, 2, 4, 6, 7, 8, 9, REG_CENTURY].map(|i| rd(rtc, i, t))
    }

    /// Sets the registers under SET in the current format, then runs.
    fn set_time(rtc: &mut Mc146818, regs: [u8; 8], b: u8, t: u64) {
        wr(rtc, REG_B, b | B_SET, t);
        for (i, v) in [0, 2, 4, 6, 7, 8, 9, REG_CENTURY].into_iter().zip(regs) {
            wr(rtc, i, v, t);
        }
        wr(rtc, REG_B, b, t);
    }

    #[test]
    fn power_on_state() {
        let mut rtc = Mc146818::new(T0);
        assert_eq!([10, 11, 12, 13].map(|i| rd(&mut rtc, i, 0)), [0x26, 0x02, 0x00, 0x80]);
        assert_eq!(time_regs(&mut rtc, 0), [0x05, 0x04, 0x03, 0x06, 0x02, 0x01, 0x26, 0x20]);
        assert_eq!([1, 3, 5].map(|i| rd(&mut rtc, i, 0)), [0; 3]);
        for i in RAM_START as u8..CMOS_SIZE as u8 {
            let century = i == REG_CENTURY || i == REG_PS2_CENTURY;
            assert_eq!(rd(&mut rtc, i, 0), if century { 0x20 } else { 0 }, "byte {i:#x}");
        }
        assert!(!rtc.irq_level(0));
        assert_eq!(rtc.malformed(), 0);
        assert_eq!(rtc.read_port(PORT_INDEX, 0), 0xFF);
        assert_eq!(rtc.malformed(), 1);
        assert_eq!(RAM_BYTES, 114);
    }

    #[test]
    fn calendar_conversions() {
        let t = DateTime::from_unix(T0);
        assert_eq!(
            t,
            DateTime { year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, weekday: 5 }
        );
        assert_eq!(t.to_unix(), T0);
        assert_eq!(t.to_string(), "2026-01-02 03:04:05");
        assert_eq!(DateTime::from_unix(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(DateTime::from_unix(0).weekday, 4);
        assert_eq!(DateTime::from_unix(-1).to_string(), "1969-12-31 23:59:59");
        assert_eq!(DateTime::from_unix(951_782_400).to_string(), "2000-02-29 00:00:00");
        assert_eq!(DateTime::from_unix(4_107_542_400).to_string(), "2100-03-01 00:00:00");
        assert_eq!(days_from_civil(2100, 2, 29), days_from_civil(2100, 3, 1));
        assert_eq!(days_from_civil(2024, 13, 1), days_from_civil(2025, 1, 1));
        assert_eq!(days_from_civil(2024, 0, 1), days_from_civil(2023, 12, 1));
        assert_eq!(days_from_civil(2024, 1, 32), days_from_civil(2024, 2, 1));
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }
    }

    /// A reader of A descheduled across the UIP pulse sees it once, late,
    /// and the time registers already updated; one that reads on sees the
    /// pulse once, in time.
    #[test]
    fn a_reader_never_misses_the_uip_pulse() {
        let read_a = |rtc: &mut Mc146818, t: u64| {
            rtc.write_port(PORT_INDEX, REG_A, t);
            rtc.read_port(PORT_DATA, t) & A_UIP != 0
        };
        let mut rtc = Mc146818::new(0);
        assert!(!read_a(&mut rtc, 500_000_000));
        // Away from 0.5 s to 1.01 s: too long to be waiting for the pulse.
        assert!(!read_a(&mut rtc, 1_010_000_000));
        // Descheduled from 1.95 s to 2.01 s: the pulse (1.99976 s to 2 s) missed.
        assert!(!read_a(&mut rtc, 1_950_000_000));
        assert!(read_a(&mut rtc, 2_010_000_000), "late pulse");
        assert!(!read_a(&mut rtc, 2_010_000_100), "once");
        rtc.write_port(PORT_INDEX, REG_SECONDS, 2_010_000_200);
        assert_eq!(rtc.read_port(PORT_DATA, 2_010_000_200), 0x02);
        // Polling on: the next pulse in time, and only once.
        assert!(!read_a(&mut rtc, 2_999_000_000));
        assert!(read_a(&mut rtc, 2_999_900_000));
        assert!(!read_a(&mut rtc, 3_000_000_100));
        // A reader that last looked long before gets no pulse out of nowhere.
        assert!(!read_a(&mut rtc, 9_500_000_000));
    }

    #[test]
    fn time_in_reads_another_rtcs_registers() {
        for secs in [0, 951_782_400, 1_796_000_000] {
            let mut rtc = Mc146818::new(secs);
            let bcd: [u8; CMOS_SIZE] = core::array::from_fn(|i| rtc.cmos(i as u8));
            assert_eq!(Mc146818::time_in(&bcd), secs);
            wr(&mut rtc, REG_B, B_DM | B_24H, 0);
            rtc.set_wall_clock(secs, 0);
            let binary: [u8; CMOS_SIZE] = core::array::from_fn(|i| rtc.cmos(i as u8));
            assert_eq!(Mc146818::time_in(&binary), secs);
        }
    }

    #[test]
    fn bcd_and_binary_formats() {
        let mut rtc = Mc146818::new(T0);
        // Changing DM re-encodes the registers at the next read.
        wr(&mut rtc, REG_B, B_DM | B_24H, 0);
        assert_eq!(time_regs(&mut rtc, 0), [5, 4, 3, 6, 2, 1, 26, 20]);
        // Binary 2024-02-28 23:59:59 across the leap day.
        set_time(&mut rtc, [59, 59, 23, 1, 28, 2, 24, 20], B_DM | B_24H, 0);
        assert_eq!(time_regs(&mut rtc, S - 1), [59, 59, 23, 4, 28, 2, 24, 20]);
        assert_eq!(time_regs(&mut rtc, S), [0, 0, 0, 5, 29, 2, 24, 20]);
        wr(&mut rtc, REG_B, B_24H, S);
        assert_eq!(time_regs(&mut rtc, S), [0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24, 0x20]);
        // BCD 1999-12-31 23:59:59 across the century.
        set_time(&mut rtc, [0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19], B_24H, S);
        assert_eq!(time_regs(&mut rtc, 2 * S), [0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]);
        assert_eq!(rtc.summary(2 * S).time.to_string(), "2000-01-01 00:00:00");
    }

    #[test]
    fn twelve_and_twenty_four_hour_formats() {
        let bcd12 = [
            0x12, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, //
            0x92, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x90, 0x91,
        ];
        let midnight = T0 - (3 * 3600 + 4 * 60 + 5);
        for hour in 0..24u8 {
            let mut rtc = Mc146818::new(midnight + i64::from(hour) * 3600);
            assert_eq!(rd(&mut rtc, REG_HOURS, 0), ((hour / 10) << 4) | (hour % 10));
            wr(&mut rtc, REG_B, 0, 0);
            assert_eq!(rd(&mut rtc, REG_HOURS, 0), bcd12[usize::from(hour)], "{hour}");
            wr(&mut rtc, REG_B, B_DM, 0);
            let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
            assert_eq!(rd(&mut rtc, REG_HOURS, 0), h12 | if hour >= 12 { 0x80 } else { 0 });
            wr(&mut rtc, REG_B, B_DM | B_24H, 0);
            assert_eq!(rd(&mut rtc, REG_HOURS, 0), hour);
            // Set in 12-hour mode, read in 24-hour mode.
            set_time(&mut rtc, [0, 0, bcd12[usize::from(hour)], 1, 1, 1, 0x26, 0x20], 0, 0);
            wr(&mut rtc, REG_B, B_24H, 0);
            assert_eq!(rd(&mut rtc, REG_HOURS, 0), ((hour / 10) << 4) | (hour % 10));
        }
    }

    #[test]
    fn update_cycle_and_uip_window() {
        let mut rtc = Mc146818::new(T0);
        let update = S;
        let uip_start = update - UIP_HOLD_NS;
        assert_eq!(UIP_HOLD_NS, 244_140);
        assert_eq!(rd(&mut rtc, REG_A, uip_start - 1), 0x26);
        assert_eq!(rd(&mut rtc, REG_A, uip_start), 0x26 | A_UIP);
        assert_eq!(rd(&mut rtc, REG_SECONDS, update - 1), 0x05);
        assert_eq!(rd(&mut rtc, REG_A, update - 1), 0x26 | A_UIP);
        assert_eq!(rd(&mut rtc, REG_C, update - 1), 0);
        assert_eq!(rd(&mut rtc, REG_A, update), 0x26);
        assert_eq!(rd(&mut rtc, REG_SECONDS, update), 0x06);
        assert_eq!(rd(&mut rtc, REG_C, update), C_UF);
        // Three updates later, one UF (it is a flag, not a count).
        assert_eq!(rd(&mut rtc, REG_C, 4 * S + 10), C_UF);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 4 * S + 10), 0x09);
        assert!(!rtc.irq_level(4 * S + 10), "UIE is off");
    }

    /// Linux's `mc146818_get_time`: wait while UIP, then read the time;
    /// started inside the UIP window it reads the new second.
    #[test]
    fn waiting_for_uip_to_fall_gives_the_new_time() {
        let mut rtc = Mc146818::new(T0);
        let mut t = S - 100_000;
        rtc.write_port(PORT_INDEX, REG_A, t);
        let mut polls = 0;
        while rtc.read_port(PORT_DATA, t) & A_UIP != 0 {
            t += 1_000;
            polls += 1;
        }
        assert_eq!(polls, 100);
        assert_eq!(time_regs(&mut rtc, t)[..3], [0x06, 0x04, 0x03]);
    }

    #[test]
    fn update_ended_interrupt() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_B, B_UIE | B_24H, 0);
        assert_eq!(rtc.next_event(0), Some(S));
        assert!(!rtc.irq_level(S - 1));
        assert!(rtc.irq_level(S));
        assert_eq!(rtc.next_event(S), None, "the output is high until C is read");
        assert_eq!(rd(&mut rtc, REG_C, S + 5), C_IRQF | C_UF);
        assert!(!rtc.output());
        assert_eq!(rd(&mut rtc, REG_C, S + 6), 0);
        assert_eq!(rtc.next_event(S + 6), Some(2 * S));
        // A pending flag raises IRQF as soon as it is enabled.
        wr(&mut rtc, REG_B, B_24H, 2 * S + 1);
        assert!(!rtc.output());
        wr(&mut rtc, REG_B, B_UIE | B_24H, 3 * S + 1);
        assert!(rtc.output());
        // Writing B without the enable lowers it; the flag stays.
        wr(&mut rtc, REG_B, B_24H, 3 * S + 2);
        assert!(!rtc.output());
        assert_eq!(rd(&mut rtc, REG_C, 3 * S + 3), C_UF);
    }

    #[test]
    fn set_bit_stops_updates() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_B, B_SET | B_UIE | B_24H, S / 2);
        assert_eq!(rd(&mut rtc, REG_B, S / 2), B_SET | B_24H, "SET drops UIE");
        for t in [S - 1, S - 100, 3 * S + S / 2] {
            assert_eq!(rd(&mut rtc, REG_A, t), 0x26, "no UIP under SET");
        }
        assert_eq!(time_regs(&mut rtc, 3 * S + S / 2), [0x05, 0x04, 0x03, 0x06, 0x02, 0x01, 0x26, 0x20]);
        // QEMU keeps setting UF under SET.
        assert_eq!(rd(&mut rtc, REG_C, 3 * S + S / 2), C_UF);
        // Written registers stay as written while SET holds them.
        wr(&mut rtc, REG_SECONDS, 0x30, 3 * S + S / 2);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 5 * S), 0x30);
        // Cleared: the clock runs from the registers on the old phase.
        wr(&mut rtc, REG_B, B_24H, 5 * S + S / 4);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 6 * S - 1), 0x30);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 6 * S), 0x31);
        assert!(rtc.summary(6 * S).running);
    }

    #[test]
    fn writing_a_time_register_while_running() {
        let mut rtc = Mc146818::new(T0);
        // The fraction restarts at the phase of the last set (0).
        wr(&mut rtc, REG_MINUTES, 0x30, 10 * S + S / 2);
        assert_eq!(time_regs(&mut rtc, 11 * S + S / 2 - 1)[..3], [0x15, 0x30, 0x03]);
        assert_eq!(time_regs(&mut rtc, 11 * S + S / 2)[..3], [0x16, 0x30, 0x03]);
        // The day of the week is computed, whatever is written.
        wr(&mut rtc, REG_DAY_OF_WEEK, 0x01, 12 * S);
        assert_eq!(rd(&mut rtc, REG_DAY_OF_WEEK, 12 * S), 0x06);
        // The century byte is a time register; 0x37 is its alias.
        wr(&mut rtc, REG_PS2_CENTURY, 0x21, 12 * S);
        assert_eq!(rd(&mut rtc, REG_CENTURY, 12 * S), 0x21);
        assert_eq!(rtc.summary(12 * S).time.year, 2126);
        assert_eq!(rd(&mut rtc, REG_DAY_OF_WEEK, 12 * S), 0x04, "2126-01-02 is a Thursday");
    }

    #[test]
    fn periodic_rates() {
        for rs in 1..=15u8 {
            let mut rtc = Mc146818::new(T0);
            wr(&mut rtc, REG_A, 0x20 | rs, 0);
            wr(&mut rtc, REG_B, B_PIE | B_24H, 0);
            let hz = if rs <= 2 { 32768 >> (rs + 6) } else { 32768 >> (rs - 1) };
            let start = 2 * S + 12_345;
            rd(&mut rtc, REG_C, start);
            let mut count = 0;
            let mut t = start;
            while t < start + S {
                t += 10_000;
                if let Some(due) = rtc.next_event(t) {
                    assert!(due > t);
                }
                if rd(&mut rtc, REG_C, t) & C_PF != 0 {
                    count += 1;
                }
            }
            assert_eq!(count, hz, "RS {rs}");
        }
    }

    #[test]
    fn periodic_tick_grid_and_next_event() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_A, 0x26, 0); // 1024 Hz, 32 ticks
        assert_eq!(rtc.next_event(0), None, "PIE off");
        wr(&mut rtc, REG_B, B_PIE | B_24H, 100 * MS);
        // Tick 3276 at enable: the first 32 ticks later.
        let first = ticks_to_ns(3276 + 32) + 1;
        assert_eq!(rtc.next_event(100 * MS), Some(first));
        assert!(!rtc.irq_level(first - 1));
        assert!(rtc.irq_level(first));
        assert_eq!(rd(&mut rtc, REG_C, first), C_IRQF | C_PF);
        assert_eq!(rtc.next_event(first), Some(ticks_to_ns(3276 + 64) + 1));
        // Without PIE, no PF at all (as QEMU).
        wr(&mut rtc, REG_B, B_24H, first + 1);
        assert_eq!(rd(&mut rtc, REG_C, first + 10 * MS) & C_PF, 0);
        // RS 0 stops it.
        wr(&mut rtc, REG_A, 0x20, first + 10 * MS);
        wr(&mut rtc, REG_B, B_PIE | B_24H, first + 10 * MS);
        assert_eq!(rtc.next_event(first + 10 * MS), None);
        assert_eq!(rd(&mut rtc, REG_C, 5 * S) & C_PF, 0);
    }

    #[test]
    fn periodic_rate_change_keeps_the_phase() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_A, 0x2F, 0); // 2 Hz: ticks 16384, 32768, ...
        wr(&mut rtc, REG_B, B_PIE | B_24H, 0);
        assert_eq!(rtc.next_event(0), Some(500_000_001));
        // To 4 Hz 0.2 s after the last tick (0): the next 0.25 s after it.
        wr(&mut rtc, REG_A, 0x2E, 200 * MS);
        assert_eq!(rtc.next_event(200 * MS), Some(250_000_001));
        // To 8 Hz more than a period after it (tick 8192, 0.25 s): at once.
        rd(&mut rtc, REG_C, 260 * MS);
        wr(&mut rtc, REG_A, 0x2D, 490 * MS);
        assert_eq!(rd(&mut rtc, REG_C, 490 * MS), C_IRQF | C_PF);
    }

    #[test]
    fn c_read_clears_and_lowers() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_A, 0x23, 0);
        wr(&mut rtc, REG_B, B_PIE | B_UIE | B_24H, 0);
        assert!(rtc.irq_level(S));
        assert_eq!(rd(&mut rtc, REG_C, S), C_IRQF | C_PF | C_UF);
        assert!(!rtc.output());
        assert_eq!(rd(&mut rtc, REG_C, S), 0);
        // C and D ignore writes.
        wr(&mut rtc, REG_C, 0xFF, S);
        wr(&mut rtc, REG_D, 0x00, S);
        assert_eq!(rd(&mut rtc, REG_D, S), D_VRT);
        assert_eq!(rd(&mut rtc, REG_C, S), 0);
        assert_eq!(rtc.malformed(), 2);
    }

    #[test]
    fn alarms() {
        let mut rtc = Mc146818::new(T0);
        // 03:04:08 exactly, AIE: fires at the third update.
        wr(&mut rtc, REG_SECONDS_ALARM, 0x08, 0);
        wr(&mut rtc, REG_MINUTES_ALARM, 0x04, 0);
        wr(&mut rtc, REG_HOURS_ALARM, 0x03, 0);
        wr(&mut rtc, REG_B, B_AIE | B_24H, 0);
        assert_eq!(rtc.next_event(0), Some(3 * S));
        assert_eq!(rd(&mut rtc, REG_C, 3 * S - 1), C_UF);
        assert!(rtc.irq_level(3 * S));
        assert_eq!(rd(&mut rtc, REG_C, 3 * S), C_IRQF | C_AF | C_UF);
        // Next at the same time tomorrow.
        assert_eq!(rtc.next_event(3 * S), Some(3 * S + 86_400 * S));
        // Don't-care seconds and minutes: every second of hour 03.
        wr(&mut rtc, REG_SECONDS_ALARM, 0xC0, 3 * S);
        wr(&mut rtc, REG_MINUTES_ALARM, 0xFF, 3 * S);
        assert_eq!(rtc.next_event(3 * S), Some(4 * S));
        assert_eq!(rd(&mut rtc, REG_C, 4 * S), C_IRQF | C_AF | C_UF);
        // Without AIE, AF is set and IRQF is not.
        wr(&mut rtc, REG_B, B_24H, 4 * S);
        assert_eq!(rd(&mut rtc, REG_C, 5 * S), C_AF | C_UF);
        // Hour 04 (don't care below): first at 04:00:00, 3355 s after 03:04:05.
        wr(&mut rtc, REG_HOURS_ALARM, 0x04, 5 * S);
        wr(&mut rtc, REG_B, B_AIE | B_24H, 5 * S);
        assert_eq!(rtc.next_event(5 * S), Some(3355 * S));
        assert_eq!(rd(&mut rtc, REG_C, 3354 * S) & C_AF, 0);
        assert_eq!(rd(&mut rtc, REG_C, 3355 * S), C_IRQF | C_AF | C_UF);
        // An alarm that matches no time never fires.
        wr(&mut rtc, REG_SECONDS_ALARM, 0x75, 3355 * S);
        assert_eq!(rtc.next_event(3355 * S), None);
        assert_eq!(rd(&mut rtc, REG_C, 3 * 86_400 * S) & C_AF, 0);
        // A gap of days in one step still sees the alarm.
        wr(&mut rtc, REG_SECONDS_ALARM, 0x00, 3 * 86_400 * S);
        assert_eq!(rd(&mut rtc, REG_C, 5 * 86_400 * S), C_IRQF | C_AF | C_UF);
    }

    #[test]
    fn alarm_in_twelve_hour_mode() {
        // 15:00:00 is 03 PM: alarm 0x83:00:00.
        let mut rtc = Mc146818::new(T0 + 12 * 3600 - 4 * 60 - 5 - 2);
        wr(&mut rtc, REG_B, B_AIE, 0);
        assert_eq!(rd(&mut rtc, REG_HOURS, 0), 0x82);
        wr(&mut rtc, REG_SECONDS_ALARM, 0x00, 0);
        wr(&mut rtc, REG_MINUTES_ALARM, 0x00, 0);
        wr(&mut rtc, REG_HOURS_ALARM, 0x83, 0);
        assert_eq!(rtc.next_event(0), Some(2 * S));
        assert_eq!(rd(&mut rtc, REG_C, 2 * S), C_IRQF | C_AF | C_UF);
        assert_eq!(rd(&mut rtc, REG_HOURS, 2 * S), 0x83);
        // 03 AM is half a day on.
        wr(&mut rtc, REG_HOURS_ALARM, 0x03, 2 * S);
        assert_eq!(rtc.next_event(2 * S), Some(2 * S + 12 * 3600 * S));
        // Hour 13 does not exist in 12-hour mode.
        wr(&mut rtc, REG_HOURS_ALARM, 0x13, 2 * S);
        assert_eq!(rtc.next_event(2 * S), None);
    }

    #[test]
    fn divider_reset_freezes_and_restarts_half_a_second_later() {
        let mut rtc = Mc146818::new(T0);
        rd(&mut rtc, REG_C, 0);
        wr(&mut rtc, REG_A, 0x70, S / 4);
        assert_eq!(rd(&mut rtc, REG_A, S - 1), 0x70, "no UIP");
        assert_eq!(rd(&mut rtc, REG_SECONDS, 3 * S), 0x05);
        assert_eq!(rd(&mut rtc, REG_C, 3 * S), 0, "no update cycles");
        assert!(!rtc.summary(3 * S).running);
        wr(&mut rtc, REG_A, 0x26, 3 * S + 10);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 3 * S + 10 + S / 2 - 1), 0x05);
        assert_eq!(rd(&mut rtc, REG_A, 3 * S + 10 + S / 2 - 1), 0x26 | A_UIP);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 3 * S + 10 + S / 2), 0x06);
        assert_eq!(rd(&mut rtc, REG_C, 3 * S + 10 + S / 2), C_UF);
        // DV 011: stopped but not in reset: no time, but update flags.
        wr(&mut rtc, REG_A, 0x36, 4 * S);
        assert_eq!(rd(&mut rtc, REG_A, 5 * S - 1), 0x36);
        assert_eq!(rd(&mut rtc, REG_C, 6 * S) & C_UF, C_UF);
    }

    #[test]
    fn cmos_ram_and_index() {
        let mut rtc = Mc146818::new(T0);
        for i in RAM_START as u8..CMOS_SIZE as u8 {
            if i != REG_CENTURY && i != REG_PS2_CENTURY {
                wr(&mut rtc, i, i ^ 0xA5, 0);
            }
        }
        for i in RAM_START as u8..CMOS_SIZE as u8 {
            let expected = match i {
                REG_CENTURY => 0x20,
                REG_PS2_CENTURY => 0x20,
                _ => i ^ 0xA5,
            };
            // Bit 7 of the index is the NMI mask, not an address bit.
            assert_eq!(rd(&mut rtc, i | 0x80, 0), expected, "byte {i:#x}");
            assert!(rtc.nmi_masked());
        }
        // The index stays selected.
        rtc.write_port(PORT_INDEX, 0x40, 0);
        assert_eq!(rtc.read_port(PORT_DATA, 0), 0x40 ^ 0xA5);
        assert_eq!(rtc.read_port(PORT_DATA, 0), 0x40 ^ 0xA5);
        rtc.write_port(PORT_DATA, 0x11, 0);
        assert_eq!(rtc.cmos(0x40), 0x11);
        assert!(!{
            rtc.write_port(PORT_INDEX, 0x40, 0);
            rtc.nmi_masked()
        });
        assert_eq!(rtc.malformed(), 0);
    }

    #[test]
    fn reset_keeps_time_and_ram() {
        let mut rtc = Mc146818::new(T0);
        wr(&mut rtc, REG_SHUTDOWN_STATUS, 0x05, 0);
        wr(&mut rtc, 0x20, 0x77, 0);
        wr(&mut rtc, REG_B, B_PIE | B_AIE | B_UIE | B_SQWE | B_24H, 0);
        rtc.advance_to(2 * S);
        assert!(rtc.output());
        rtc.reset();
        assert!(!rtc.output());
        assert_eq!(rd(&mut rtc, REG_B, 2 * S), B_UIE | B_24H);
        assert_eq!(rd(&mut rtc, REG_C, 2 * S), 0);
        assert_eq!(rd(&mut rtc, REG_SHUTDOWN_STATUS, 2 * S), 0);
        assert_eq!(rd(&mut rtc, 0x20, 2 * S), 0x77);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 2 * S), 0x07);
        assert_eq!(rtc.next_event(2 * S), Some(3 * S), "UIE kept, periodic off");
        wr(&mut rtc, REG_SHUTDOWN_STATUS, 0xFE, 3 * S);
        rtc.reset();
        assert_eq!(rd(&mut rtc, REG_SHUTDOWN_STATUS, 3 * S), 0xFE);
    }

    #[test]
    fn malformed_accesses() {
        let mut rtc = Mc146818::new(T0);
        assert_eq!(rtc.read_port(0x72, 0), 0xFF);
        rtc.write_port(0x73, 1, 0);
        rtc.write_port(0x3F8, 1, 0);
        assert_eq!(rtc.read_port(PORT_INDEX, 0), 0xFF);
        wr(&mut rtc, REG_C, 1, 0);
        wr(&mut rtc, REG_D, 1, 0);
        assert_eq!(rtc.malformed(), 6);
    }

    #[test]
    fn time_never_runs_backwards() {
        let mut rtc = Mc146818::new(T0);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 5 * S), 0x10);
        assert_eq!(rd(&mut rtc, REG_SECONDS, S), 0x10);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 6 * S), 0x11);
    }

    #[test]
    fn host_sets_the_wall_clock_and_summary() {
        let mut rtc = Mc146818::new(0);
        rtc.set_wall_clock(T0, 7 * S + 3);
        assert_eq!(time_regs(&mut rtc, 7 * S + 3)[..3], [0x05, 0x04, 0x03]);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 8 * S + 2), 0x05);
        assert_eq!(rd(&mut rtc, REG_SECONDS, 8 * S + 3), 0x06);
        wr(&mut rtc, REG_B, B_UIE | B_24H, 8 * S + 3);
        assert_eq!(rd(&mut rtc, REG_C, 8 * S + 3), C_IRQF | C_UF);
        let summary = rtc.summary(9 * S + 3);
        assert_eq!(summary.time.to_string(), "2026-01-02 03:04:07");
        assert!(summary.irq);
        assert!(!rtc.output(), "summary changes nothing");
        assert_eq!(
            summary.to_string(),
            "2026-01-02 03:04:07 UTC (running, BCD 24h) A=26 B=12 C=90 irq high"
        );
        // Under SET the registers are shown as they would be decoded: BCD
        // bytes read as binary (year 0x26 = 38, century 0x20 = 32). The B
        // write lowered IRQF (UIE is off now); UF stays.
        wr(&mut rtc, REG_B, B_SET | B_DM, 9 * S + 3);
        assert_eq!(
            rtc.summary(9 * S + 4).to_string(),
            "3238-01-02 03:04:07 UTC (stopped, binary 12h) A=26 B=84 C=10 irq low"
        );
    }

    #[test]
    fn tick_arithmetic() {
        for k in [0u64, 1, 2, 31, 32, 32767, 32768, 32769, 1 << 40] {
            let due = tick_due_ns(k);
            assert_eq!(due, (u128::from(k) * 1_000_000_000 / 32768) as u64 + 1);
            assert_eq!(last_tick_due(due), Some(k));
            assert_eq!(last_tick_due(due - 1), k.checked_sub(1));
            assert_eq!(ns_to_ticks(due), k, "QEMU's +1 ns lands in the tick");
        }
        assert_eq!(last_tick_due(0), None);
        assert!(last_tick_due(u64::MAX).is_some());
    }

    #[test]
    fn random_traffic_never_panics() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for start in [0, T0, -T0, i64::MAX / 4, i64::MIN / 4] {
            let mut rtc = Mc146818::new(start);
            let mut t = 0u64;
            for _ in 0..100_000 {
                let r = next();
                t = t.saturating_add(match r % 7 {
                    0 => r >> 20,
                    1 => (r >> 40) % S,
                    _ => (r >> 50) % 4096,
                });
                let port = if r & 0x100 != 0 { PORT_DATA } else { PORT_INDEX };
                let value = (r >> 24) as u8;
                match (r >> 9) % 5 {
                    0 | 1 => rtc.write_port(port, value, t),
                    2 => {
                        rtc.read_port(port, t);
                    }
                    3 => {
                        if let Some(due) = rtc.next_event(t) {
                            assert!(due > t);
                        }
                    }
                    _ => {
                        let _ = rtc.summary(t).to_string();
                    }
                }
                assert_eq!(rtc.output(), rtc.cmos(REG_C) & C_IRQF != 0);
            }
            rtc.advance_to(u64::MAX);
            rtc.reset();
        }
    }
}

/// The register script of `traces/rtc_trace.S` (run natively on QEMU
/// Malta with `-rtc base=2026-01-02T03:04:05,clock=vm -icount shift=0`),
/// replayed on the model with a clock that advances 100 ns per port access
/// and 400 ns per polling pause.
#[cfg(test)]
mod qemu_trace {
    use super::*;

    /// The -rtc base.
    const BASE: i64 = 1_767_323_045;
    /// Guest time when the program starts (QEMU's boot loader runs first).
    const START_NS: u64 = 100_000;
    const ACCESS_NS: u64 = 100;
    const PAUSE_NS: u64 = 400;

    #[derive(Clone, Copy)]
    enum Op {
        /// Write the index port.
        I(u8),
        /// Read the data port, print.
        D,
        /// Write the data port.
        Dw(u8),
        /// Read the index port, print.
        X,
        /// Poll A until UIP rises, then until it falls.
        Sync,
        /// Poll C until non-zero, print.
        PollC,
        /// Poll C until UF, print the last value.
        WaitUf,
        /// Poll C until UF counting PF, print the count and the last value.
        Count,
        /// A delay loop of n iterations (2 instructions each).
        Delay(u64),
        Nl,
    }
    use Op::*;

    #[derive(Default)]
    struct Script(Vec<Op>);

    impl Script {
        fn rd(&mut self, indexes: &[u8]) -> &mut Self {
            for &i in indexes {
                self.0.extend([I(i), D]);
            }
            self
        }
        fn wr(&mut self, index: u8, value: u8) -> &mut Self {
            self.0.extend([I(index), Dw(value)]);
            self
        }
        fn op(&mut self, op: Op) -> &mut Self {
            self.0.push(op);
            self
        }
    }

    struct Replay {
        rtc: Mc146818,
        t: u64,
        out: String,
    }

    impl Replay {
        fn write(&mut self, port: u16, value: u8) {
            self.t += ACCESS_NS;
            self.rtc.write_port(port, value, self.t);
        }
        fn read(&mut self, port: u16) -> u8 {
            self.t += ACCESS_NS;
            self.rtc.read_port(port, self.t)
        }
        fn poll(&mut self) -> u8 {
            self.t += PAUSE_NS;
            self.read(PORT_DATA)
        }
        fn poll_until(&mut self, done: impl Fn(u8) -> bool) -> u8 {
            for _ in 0..100_000_000 {
                let v = self.poll();
                if done(v) {
                    return v;
                }
            }
            panic!("the poll never ended");
        }
        fn run(&mut self, op: Op) {
            match op {
                I(i) => self.write(PORT_INDEX, i),
                D => {
                    let v = self.read(PORT_DATA);
                    self.out += &format!("{v:02x} ");
                }
                Dw(v) => self.write(PORT_DATA, v),
                X => {
                    let v = self.read(PORT_INDEX);
                    self.out += &format!("{v:02x} ");
                }
                Sync => {
                    self.write(PORT_INDEX, REG_A);
                    self.poll_until(|a| a & A_UIP != 0);
                    self.poll_until(|a| a & A_UIP == 0);
                }
                PollC => {
                    self.write(PORT_INDEX, REG_C);
                    let c = self.poll_until(|c| c != 0);
                    self.out += &format!("{c:02x} ");
                }
                WaitUf => {
                    self.write(PORT_INDEX, REG_C);
                    let c = self.poll_until(|c| c & C_UF != 0);
                    self.out += &format!("{c:02x} ");
                }
                Count => {
                    self.write(PORT_INDEX, REG_C);
                    let mut count = 0u32;
                    let c = loop {
                        let c = self.poll();
                        count += u32::from(c & C_PF != 0);
                        if c & C_UF != 0 {
                            break c;
                        }
                    };
                    self.out += &format!("{count:04x} {c:02x} ");
                }
                Delay(n) => self.t += 2 * n,
                Nl => self.out.push('\n'),
            }
        }
    }

    fn script() -> Vec<Op> {
        let mut s = Script::default();
        // 1: A B C D after power-on
        s.rd(&[10, 11, 12, 13]).op(Nl);
        // 2: time and date, century, alarms
        s.rd(&[0, 2, 4, 6, 7, 8, 9, 0x32, 1, 3, 5]).op(Nl);
        // 3: index port, CMOS RAM, index bit 7, 0x37
        s.op(X).rd(&[0x0e, 0x0f, 0x31, 0x33, 0x7f, 0x37]).wr(0x0e, 0x5a).wr(0x7f, 0xa5);
        s.rd(&[0x8e]).op(D).rd(&[0xff]).op(I(0xc0)).op(Dw(0x11)).rd(&[0x40]).op(X).op(Nl);
        // 4: C and D read-only, A's UIP read-only
        s.wr(12, 0xff).wr(13, 0x00).wr(10, 0xa6).rd(&[13, 12, 10]).op(Nl);
        // 5: SET, BCD 1999-12-31 23:59:59, frozen, then the century rolls
        s.wr(11, 0x92).rd(&[11]);
        for (i, v) in [(0, 0x59), (2, 0x59), (4, 0x23), (6, 0x06), (7, 0x31), (8, 0x12), (9, 0x99), (0x32, 0x19)] {
            s.wr(i, v);
        }
        s.rd(&[0, 2, 4, 6, 7, 8, 9, 0x32]).wr(11, 0x02).rd(&[0]).op(Sync);
        s.rd(&[0, 2, 4, 6, 7, 8, 9, 0x32, 10]).op(Nl);
        // 6: binary 2024-02-28 23:59:59, UIE with UF pending, leap day
        for (i, v) in [(11, 0x86), (4, 23), (2, 59), (0, 59), (7, 28), (8, 2), (9, 24), (0x32, 20), (11, 0x16)] {
            s.wr(i, v);
        }
        s.rd(&[11, 12]).op(PollC).rd(&[0, 2, 4, 6, 7, 8, 9, 0x32]).op(Nl);
        // 7: formats while running; a 12-hour hour written under SET
        s.wr(11, 0x02).rd(&[7, 4, 0]).wr(11, 0x04).rd(&[4]).wr(11, 0x00).rd(&[4]);
        s.wr(11, 0x80).wr(4, 0x81).wr(11, 0x02).rd(&[4, 7, 0]).op(Nl);
        // 8: periodic 8192 Hz without PIE, then with
        s.wr(10, 0x23).op(Delay(500_000)).rd(&[12]).wr(11, 0x42).op(PollC).rd(&[12]).op(Nl);
        // 9: alarm 13:00:01 with AIE, 1024 Hz counted over a second
        s.wr(1, 0x01).wr(3, 0x00).wr(5, 0x13).wr(10, 0x26).wr(11, 0x62);
        s.op(WaitUf).op(Count).rd(&[12]).op(Nl);
        // 10: divider reset, released
        s.wr(11, 0x02).wr(10, 0x70).rd(&[10, 0]).wr(10, 0x26).rd(&[0]).op(Sync);
        s.rd(&[0, 12, 10]).op(Nl);
        s.0
    }

    /// Lines QEMU 7.2 printed for `traces/rtc_trace.S`.
    const QEMU: [&str; 10] = [
        "26 02 00 80 ",
        "05 04 03 06 02 01 26 20 00 00 00 ",
        "ff 00 00 00 00 00 20 5a 5a a5 11 ff ",
        "80 00 26 ",
        "82 59 59 23 06 31 12 99 19 59 00 00 00 07 01 01 00 20 26 ",
        "16 b0 b0 00 00 00 05 1d 02 18 14 ",
        "29 00 00 0c 12 13 29 00 ",
        "00 c0 00 ",
        "b0 0400 10 00 ",
        "70 02 02 03 10 26 ",
    ];

    #[test]
    fn matches_qemu() {
        let mut replay = Replay { rtc: Mc146818::new(BASE), t: START_NS, out: String::new() };
        for op in script() {
            replay.run(op);
        }
        let ours: Vec<&str> = replay.out.lines().collect();
        for (i, (ours, qemu)) in ours.iter().zip(QEMU).enumerate() {
            assert_eq!(*ours, qemu, "line {}", i + 1);
        }
        assert_eq!(ours.len(), QEMU.len());
        assert_eq!(replay.rtc.malformed(), 4, "two index reads, writes to C and D");
    }
}
