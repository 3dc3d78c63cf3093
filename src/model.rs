//! The records users keep: clients, the actions logged for them, and follow-ups.
//! Serde shapes, validation of what users type, and ids. No I/O.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, NaiveTime};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::error::UsageError;

/// Longest note (action or follow-up text) accepted, in bytes.
pub const MAX_TEXT: usize = 16 * 1024;
/// Longest client name, tier or tag accepted, in characters.
pub const MAX_NAME: usize = 200;

/// What kind of extra mile an action was.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A problem solved before the client asked.
    Fix,
    /// An idea the client hadn't asked for.
    Idea,
    /// Coming back to check it worked.
    CheckIn,
    /// A personal touch.
    Touch,
    /// An introduction made or earned.
    Intro,
    /// Anything else.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Fix,
        Kind::Idea,
        Kind::CheckIn,
        Kind::Touch,
        Kind::Intro,
        Kind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Fix => "fix",
            Kind::Idea => "idea",
            Kind::CheckIn => "check-in",
            Kind::Touch => "touch",
            Kind::Intro => "intro",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Someone the user sells to or serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Globally unique id; actions and follow-ups point at it, so a rename keeps history.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Stay-in-touch cadence: the client is neglected after this many days without an action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_days: Option<u32>,
    pub created: DateTime<FixedOffset>,
}

/// Someone at a client: the user works with them, and actions and follow-ups name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    /// The client's id.
    pub client: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub created: DateTime<FixedOffset>,
}

/// One extra mile gone for a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    /// The short number a person types.
    pub num: u64,
    /// The client's id.
    pub client: String,
    pub kind: Kind,
    pub text: String,
    pub at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The copy of the store that gave it its number (see `state::Numbering`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The follow-up whose outcome it records, when logged with `done --log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_up: Option<String>,
    /// The client asked for it (reactive); left out when not, the usual extra mile.
    #[serde(default, skip_serializing_if = "is_false")]
    pub asked: bool,
    /// An extra-mile story worth telling; left out when not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub story: bool,
    /// The ids of the people at the client it was with; left out when none, so
    /// records without any read and write as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Open,
    Done,
    Cancelled,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A promise to come back to a client by a date, and maybe a time of day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: String,
    pub num: u64,
    pub client: String,
    pub text: String,
    pub due: NaiveDate,
    /// The local time of day it is due, to the minute, when one was given ("15:30").
    /// Left out when there is none, so records without one read and write as before.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hh_mm")]
    pub due_time: Option<NaiveTime>,
    pub status: Status,
    pub created: DateTime<FixedOffset>,
    /// When it was done or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snoozes: u32,
    /// The action it follows up on, when scheduled with `log --follow-up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The copy of the store that gave it its number (see `state::Numbering`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// How often it recurs, when it does: closing it schedules the next one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Period>,
    /// The due date its schedule counts from (set with `every`): occurrences fall
    /// on this date plus whole periods, whatever snoozes moved one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_from: Option<NaiveDate>,
    /// The ids of the people at the client it is with (see `Action::with`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A time of day as "HH:MM", the only form stored: a due time is kept to the minute.
pub mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub const FORMAT: &str = "%H:%M";

    /// `15:30`, exactly: two-digit hours 00 to 23 and minutes.
    pub fn parse(text: &str) -> Option<NaiveTime> {
        let b = text.as_bytes();
        (b.len() == 5 && b[2] == b':')
            .then(|| NaiveTime::parse_from_str(text, FORMAT).ok())
            .flatten()
    }

    pub fn serialize<S: Serializer>(time: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => s.collect_str(&time.format(FORMAT)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("due_time '{text}' is not a time of day as HH:MM"))
            }),
        }
    }
}

/// A record's time, read as chrono reads one (RFC 3339, leniently), with the form
/// extramile writes (`2026-01-16T09:27:00Z`, or an offset such as `+01:00` for the `Z`)
/// read at once: chrono's own reading took a tenth of the time a journal took to read.
mod stored_time {
    use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
    use serde::de::{Error, Visitor};
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        Ok(Option::<Time>::deserialize(d)?.map(|Time(time)| time))
    }

    struct Time(DateTime<FixedOffset>);

    impl<'de> Deserialize<'de> for Time {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
            d.deserialize_str(TimeVisitor)
        }
    }

    /// As chrono's own, which says what it expects in the same words.
    struct TimeVisitor;

    impl Visitor<'_> for TimeVisitor {
        type Value = Time;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 formatted date and time string")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<Time, E> {
            match written(text) {
                Some(time) => Ok(Time(time)),
                None => text.parse().map(Time).map_err(E::custom),
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS`, then `Z` or an offset `+HH:MM` (`-HH:MM`), as chrono
    /// reads it; `None` for any other text (a leap second, say), which chrono reads.
    pub(super) fn written(text: &str) -> Option<DateTime<FixedOffset>> {
        let b = text.as_bytes();
        let two = |at: usize| {
            let (tens, ones) = (b[at].wrapping_sub(b'0'), b[at + 1].wrapping_sub(b'0'));
            (tens < 10 && ones < 10).then(|| u32::from(tens * 10 + ones))
        };
        if !matches!(b.len(), 20 | 25) || [b[4], b[7], b[10], b[13], b[16]] != *b"--T::" {
            return None;
        }
        let year = two(0)? * 100 + two(2)?;
        let date = NaiveDate::from_ymd_opt(year as i32, two(5)?, two(8)?)?;
        let time = NaiveTime::from_hms_opt(two(11)?, two(14)?, two(17)?)?;
        let east = match (b[19], b.len()) {
            (b'Z', 20) => 0,
            (sign @ (b'+' | b'-'), 25) if b[22] == b':' => {
                let (hours, minutes) = (two(20)?, two(23)?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let east = (hours * 3600 + minutes * 60) as i32;
                if sign == b'-' { -east } else { east }
            }
            _ => return None,
        };
        let offset = FixedOffset::east_opt(east)?;
        NaiveDateTime::new(date, time)
            .and_local_timezone(offset)
            .single()
    }
}

impl FollowUp {
    /// Due before `today` and still open. Due today is not overdue.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == Status::Open && self.due < today
    }

    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        if self.is_overdue(today) {
            (today - self.due).num_days()
        } else {
            0
        }
    }

    /// Done on a later day than its due date (local time).
    pub fn done_late(&self) -> bool {
        self.status == Status::Done && self.closed_at.is_some_and(|at| local_date(at) > self.due)
    }

    /// The next occurrence of a recurring follow-up, once this one is closed: due on
    /// the first date of its schedule after this one's due date that is not before
    /// `today` (dates missed meanwhile are skipped). Its id comes from this one's, so
    /// two copies of the store that close the same occurrence make the same record,
    /// and a merge keeps one. `None` for a follow-up that does not recur.
    pub fn next_occurrence(&self, today: NaiveDate) -> Option<FollowUp> {
        let every = self.every?;
        let from = self.every_from.unwrap_or(self.due);
        let due = (1..)
            .map_while(|k| every.after(from, k))
            .find(|d| *d > self.due && *d >= today)?;
        Some(FollowUp {
            id: stable_id(&["next occurrence", &self.id]),
            due,
            status: Status::Open,
            closed_at: None,
            snoozes: 0,
            every_from: Some(from),
            ..self.clone()
        })
    }
}

/// How often a follow-up recurs: every `n` days, weeks, months or quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub n: u32,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
    Quarter,
}

impl Period {
    /// The most of any unit a period may hold.
    const MAX: u32 = 1000;

    /// `from` plus `k` periods; a month's day past its end is its last day (Jan 31
    /// monthly falls on Feb 28, then Mar 31). `None` past the calendar's end.
    pub fn after(self, from: NaiveDate, k: u32) -> Option<NaiveDate> {
        let times = self.n.checked_mul(k)?;
        match self.unit {
            Unit::Day => from.checked_add_days(Days::new(u64::from(times))),
            Unit::Week => from.checked_add_days(Days::new(u64::from(times) * 7)),
            Unit::Month => from.checked_add_months(Months::new(times)),
            Unit::Quarter => from.checked_add_months(Months::new(times.checked_mul(3)?)),
        }
    }

    /// "every 2 weeks", "every month", "every quarter".
    pub fn describe(self) -> String {
        let unit = match self.unit {
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Quarter => "quarter",
        };
        match self.n {
            1 => format!("every {unit}"),
            n => format!("every {n} {unit}s"),
        }
    }
}

/// As stored and typed: `7d`, `2w`, `1m`, `quarter` (`2q` for more than one).
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.n, self.unit) {
            (1, Unit::Quarter) => f.write_str("quarter"),
            (n, Unit::Day) => write!(f, "{n}d"),
            (n, Unit::Week) => write!(f, "{n}w"),
            (n, Unit::Month) => write!(f, "{n}m"),
            (n, Unit::Quarter) => write!(f, "{n}q"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "can't read the period '{input}'; write it as 7d, 2w, 1m or quarter \
                 (days, weeks, months, quarters)"
            )
        };
        let named = match text.as_str() {
            "daily" => Some((1, Unit::Day)),
            "weekly" => Some((1, Unit::Week)),
            "monthly" => Some((1, Unit::Month)),
            "quarter" | "quarterly" => Some((1, Unit::Quarter)),
            _ => None,
        };
        let (n, unit) = match named {
            Some(named) => named,
            None => {
                let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
                let (n, unit) = text.split_at(split);
                let n: u32 = n.parse().map_err(|_| bad())?;
                let unit = match unit.trim() {
                    "d" | "day" | "days" => Unit::Day,
                    "w" | "week" | "weeks" => Unit::Week,
                    "m" | "month" | "months" => Unit::Month,
                    "q" | "quarter" | "quarters" => Unit::Quarter,
                    _ => return Err(bad()),
                };
                (n, unit)
            }
        };
        if n == 0 || n > Period::MAX {
            return Err(format!(
                "a period of '{input}' makes no sense; give 1 to {} of a unit",
                Period::MAX
            ));
        }
        Ok(Period { n, unit })
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The new version of one record, as one change writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Record {
    Client(Client),
    Person(Person),
    Action(Action),
    FollowUp(FollowUp),
    /// A tombstone: the record with this id is gone. It keeps the record's short
    /// number, so that number is not given again.
    Deleted {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        num: Option<u64>,
        /// For a client merged into another (two machines created it under one name):
        /// the client that took its place, so records that still point here move there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        into: Option<String>,
    },
}

/// The kinds of record, as a record's `type` names them, in the order a store's checks
/// go through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Type {
    Client,
    Person,
    Action,
    FollowUp,
    Deleted,
}

impl Type {
    /// Its name, as a record's `type` and messages say it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Client => "client",
            Type::Person => "person",
            Type::Action => "action",
            Type::FollowUp => "follow-up",
            Type::Deleted => "deleted",
        }
    }
}

/// Reads a record in one pass: serde's own reading of an internally tagged enum
/// buffers every record before it looks at the tag, which made reading a long
/// journal twice as slow. Same shape, same errors for a missing field or type.
impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;

        #[derive(Deserialize)]
        struct Fields {
            #[serde(rename = "type")]
            of: Type,
            id: String,
            num: Option<u64>,
            client: Option<String>,
            kind: Option<Kind>,
            text: Option<String>,
            #[serde(default, deserialize_with = "stored_time::deserialize")]
            at: Option<DateTime<FixedOffset>>,
            #[serde(default)]
            tags: Vec<String>,
            by: Option<String>,
            name: Option<String>,
            tier: Option<String>,
            cadence_days: Option<u32>,
            #[serde(default, deserialize_with = "stored_time::deserialize")]
            created: Option<DateTime<FixedOffset>>,
            due: Option<NaiveDate>,
            #[serde(default, with = "hh_mm")]
            due_time: Option<NaiveTime>,
            status: Option<Status>,
            #[serde(default, deserialize_with = "stored_time::deserialize")]
            closed_at: Option<DateTime<FixedOffset>>,
            #[serde(default)]
            snoozes: u32,
            action: Option<String>,
            into: Option<String>,
            follows_up: Option<String>,
            every: Option<Period>,
            every_from: Option<NaiveDate>,
            #[serde(default)]
            asked: bool,
            #[serde(default)]
            story: bool,
            role: Option<String>,
            email: Option<String>,
            #[serde(default)]
            with: Vec<String>,
        }
        fn need<T, E: Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
            value.ok_or_else(|| E::missing_field(field))
        }
        let f = Fields::deserialize(deserializer)?;
        Ok(match f.of {
            Type::Client => Record::Client(Client {
                id: f.id,
                name: need(f.name, "name")?,
                tier: f.tier,
                cadence_days: f.cadence_days,
                created: need(f.created, "created")?,
            }),
            Type::Person => Record::Person(Person {
                id: f.id,
                client: need(f.client, "client")?,
                name: need(f.name, "name")?,
                role: f.role,
                email: f.email,
                created: need(f.created, "created")?,
            }),
            Type::Action => Record::Action(Action {
                id: f.id,
                num: need(f.num, "num")?,
                client: need(f.client, "client")?,
                kind: need(f.kind, "kind")?,
                text: need(f.text, "text")?,
                at: need(f.at, "at")?,
                tags: f.tags,
                by: f.by,
                follows_up: f.follows_up,
                asked: f.asked,
                story: f.story,
                with: f.with,
            }),
            Type::FollowUp => Record::FollowUp(FollowUp {
                id: f.id,
                num: need(f.num, "num")?,
                client: need(f.client, "client")?,
                text: need(f.text, "text")?,
                due: need(f.due, "due")?,
                due_time: f.due_time,
                status: need(f.status, "status")?,
                created: need(f.created, "created")?,
                closed_at: f.closed_at,
                snoozes: f.snoozes,
                action: f.action,
                by: f.by,
                every: f.every,
                every_from: f.every_from,
                with: f.with,
            }),
            Type::Deleted => Record::Deleted {
                id: f.id,
                num: f.num,
                into: f.into,
            },
        })
    }
}

impl Record {
    /// A tombstone for the record `id`, keeping its short number.
    pub fn tombstone(id: impl Into<String>, num: Option<u64>) -> Record {
        Record::Deleted {
            id: id.into(),
            num,
            into: None,
        }
    }

    /// The short number of an action or follow-up (or the one a tombstone kept).
    pub fn num(&self) -> Option<u64> {
        match self {
            Record::Action(a) => Some(a.num),
            Record::FollowUp(f) => Some(f.num),
            Record::Deleted { num, .. } => *num,
            Record::Client(_) | Record::Person(_) => None,
        }
    }

    /// Which kind of record it is.
    pub fn of(&self) -> Type {
        match self {
            Record::Client(_) => Type::Client,
            Record::Person(_) => Type::Person,
            Record::Action(_) => Type::Action,
            Record::FollowUp(_) => Type::FollowUp,
            Record::Deleted { .. } => Type::Deleted,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Record::Client(c) => &c.id,
            Record::Person(p) => &p.id,
            Record::Action(a) => &a.id,
            Record::FollowUp(f) => &f.id,
            Record::Deleted { id, .. } => id,
        }
    }
}

/// The local calendar date of an instant.
pub fn local_date(at: DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&chrono::Local).date_naive()
}

/// A fresh globally unique id: 128 bits from the clock, the process and std's random keys.
pub fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(nanos);
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:012x}{:016x}", nanos & 0xffff_ffff_ffff, hasher.finish())
}

/// An id made from content: the same parts give the same id on every machine, so
/// records that two copies of the store make alike (an import of the same file, the
/// next occurrence of the same follow-up) fold into one.
pub fn stable_id(parts: &[&str]) -> String {
    // FNV-1a, 64 bits, twice with different offsets: stable across builds and platforms.
    let hash = |offset: u64| {
        parts
            .iter()
            .flat_map(|p| p.bytes().chain([0x1f]))
            .fold(offset, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
            })
    };
    format!(
        "{:012x}{:016x}",
        hash(0xcbf29ce484222325) & 0xffff_ffff_ffff,
        hash(0x84222325cbf29ce4)
    )
}

/// A 64-bit hash of a record's id, to find ids given twice among a million without
/// holding them (a match is then checked on the ids themselves).
pub fn id_hash(id: &str) -> u64 {
    crate::state::fnv1a(id.bytes())
}

/// Sorts `hashes` and gives those it holds more than once.
pub fn repeated(hashes: &mut [u64]) -> foldhash::HashSet<u64> {
    hashes.sort_unstable();
    hashes
        .chunk_by(|a, b| a == b)
        .filter(|same| same.len() > 1)
        .map(|same| same[0])
        .collect()
}

/// Whether `c` must never be stored from what a user types, nor reach a terminal as
/// it is: control characters (C0, DEL, C1) and the bidirectional overrides that can
/// hide or reorder text.
pub fn is_hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The first hostile character of `text` (see `is_hostile`) but those `allowed`, as
/// "the control character U+001B (ESC) at character 4".
pub fn hostile_in(text: &str, allowed: &[char]) -> Option<String> {
    let (at, c) = text
        .chars()
        .enumerate()
        .find(|(_, c)| is_hostile(*c) && !allowed.contains(c))?;
    let name = match c {
        '\u{1b}' => " (ESC)",
        '\u{7}' => " (BEL)",
        '\0' => " (NUL)",
        '\r' => " (carriage return)",
        '\n' => " (newline)",
        '\t' => " (tab)",
        _ => "",
    };
    Some(format!(
        "the control character U+{:04X}{name} at character {}",
        c as u32,
        at + 1
    ))
}

/// A client name, trimmed and checked.
pub fn clean_name(what: &str, name: &str) -> Result<String, UsageError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError::new(format!("the {what} is empty; give a name")));
    }
    if name.chars().count() > MAX_NAME {
        return Err(UsageError::new(format!(
            "the {what} is {} characters long; the limit is {MAX_NAME}",
            name.chars().count()
        )));
    }
    if let Some(found) = hostile_in(name, &[]) {
        return Err(UsageError::new(format!(
            "the {what} holds {found}; type it without"
        )));
    }
    Ok(name.to_string())
}

/// A person's name, trimmed and checked: a name, without ';' (which separates the
/// people of a CSV cell).
pub fn clean_person_name(name: &str) -> Result<String, UsageError> {
    let name = clean_name("person's name", name)?;
    if name.contains(';') {
        return Err(UsageError::new(format!(
            "the person's name '{name}' holds ';'; type it without"
        )));
    }
    Ok(name)
}

/// A note, from the words given on the command line, joined by spaces.
pub fn clean_text(words: &[String]) -> Result<String, UsageError> {
    let text = words.join(" ").trim().to_string();
    if text.is_empty() {
        return Err(UsageError::new(
            "the text is empty; say what you did, e.g. extramile log Acme \"fixed the export\"",
        ));
    }
    if text.len() > MAX_TEXT {
        return Err(UsageError::new(format!(
            "the text is {} bytes long; the limit is {MAX_TEXT} bytes (keep notes short, link to documents)",
            text.len()
        )));
    }
    if let Some(found) = hostile_in(&text, &['\n', '\t']) {
        return Err(UsageError::new(format!(
            "the text holds {found}; only newlines and tabs may stand in a note"
        )));
    }
    Ok(text)
}

/// Tags, trimmed, lowercased and de-duplicated in the order given.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>, UsageError> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = clean_name("tag", tag)?.to_lowercase();
        if tag.contains(';') || tag.contains(char::is_whitespace) {
            return Err(UsageError::new(format!(
                "the tag '{tag}' holds a space or ';'; use one word per --tag"
            )));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_fixed_length() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 28));
    }

    #[test]
    fn records_round_trip_through_json() {
        let at = DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap();
        let record = Record::FollowUp(FollowUp {
            id: "f1".into(),
            num: 3,
            client: "c1".into(),
            text: "send the deck".into(),
            due: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            due_time: NaiveTime::from_hms_opt(15, 30, 0),
            status: Status::Done,
            created: at,
            closed_at: Some(at),
            snoozes: 2,
            action: None,
            by: None,
            every: None,
            every_from: None,
            with: vec!["p1".into()],
        });
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains(r#""with":["p1"]"#), "{json}");
        assert!(json.starts_with(r#"{"type":"follow-up""#), "{json}");
        assert!(
            json.contains(r#""due":"2026-11-25","due_time":"15:30","#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), record);
        let Record::FollowUp(timed) = record else {
            unreachable!()
        };
        let untimed = Record::FollowUp(FollowUp {
            due_time: None,
            with: vec![],
            ..timed
        });
        let json = serde_json::to_string(&untimed).unwrap();
        assert!(!json.contains("due_time"), "{json}");
        assert!(!json.contains("with"), "none is left out: {json}");
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), untimed);
        for bad in ["15:30:00", "9:30", "24:00", "", "3pm"] {
            let json = json.replace(
                r#""due":"2026-11-25""#,
                &format!(r#""due":"2026-11-25","due_time":"{bad}""#),
            );
            assert!(serde_json::from_str::<Record>(&json).is_err(), "{bad}");
        }
    }

    #[test]
    fn people_round_trip_through_json() {
        let person = Record::Person(Person {
            id: "p1".into(),
            client: "c1".into(),
            name: "Dana Lee".into(),
            role: Some("CFO".into()),
            email: None,
            created: DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap(),
        });
        let json = serde_json::to_string(&person).unwrap();
        assert_eq!(
            json,
            r#"{"type":"person","id":"p1","client":"c1","name":"Dana Lee","role":"CFO","created":"2026-11-20T10:00:00+01:00"}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), person);
        let nameless = json.replace(r#""name":"Dana Lee","#, "");
        assert!(serde_json::from_str::<Record>(&nameless).is_err());
    }

    #[test]
    fn stable_ids_depend_only_on_content() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["ab", ""]));
        assert_eq!(stable_id(&["x"]).len(), 28);
    }

    #[test]
    fn periods_read_write_and_count_from_their_start() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for (typed, stored, said) in [
            ("7d", "7d", "every 7 days"),
            ("2w", "2w", "every 2 weeks"),
            ("1 month", "1m", "every month"),
            ("Quarter", "quarter", "every quarter"),
            ("2q", "2q", "every 2 quarters"),
            ("weekly", "1w", "every week"),
        ] {
            let period: Period = typed.parse().unwrap();
            assert_eq!(
                (period.to_string(), period.describe()),
                (stored.into(), said.into())
            );
            assert_eq!(stored.parse::<Period>(), Ok(period));
        }
        for bad in ["", "0d", "2", "fortnight", "1001w", "-1d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        let monthly: Period = "1m".parse().unwrap();
        let dates: Vec<_> = (1..=3)
            .map(|k| monthly.after(day(2026, 1, 31), k).unwrap())
            .collect();
        assert_eq!(
            dates,
            [day(2026, 2, 28), day(2026, 3, 31), day(2026, 4, 30)]
        );
        let quarterly: Period = "quarter".parse().unwrap();
        assert_eq!(
            quarterly.after(day(2026, 11, 30), 1),
            Some(day(2027, 2, 28))
        );
    }

    #[test]
    fn asked_and_story_are_written_only_when_set() {
        let plain = r#"{"type":"action","id":"a1","num":1,"client":"c1","kind":"fix","text":"t","at":"2026-11-20T10:00:00+01:00"}"#;
        let record: Record = serde_json::from_str(plain).unwrap();
        assert_eq!(serde_json::to_string(&record).unwrap(), plain);
        let Record::Action(action) = record else {
            unreachable!()
        };
        assert!(!action.asked && !action.story);
        let marked = Record::Action(Action {
            asked: true,
            story: true,
            ..action
        });
        let json = serde_json::to_string(&marked).unwrap();
        assert!(json.ends_with(r#","asked":true,"story":true}"#), "{json}");
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), marked);
    }

    #[test]
    fn text_limits() {
        assert!(clean_text(&["  ".into()]).is_err());
        assert_eq!(clean_text(&["a".into(), "b".into()]).unwrap(), "a b");
        assert!(clean_text(&["x".repeat(MAX_TEXT + 1)]).is_err());
        assert!(clean_name("client", &"x".repeat(MAX_NAME + 1)).is_err());
        assert!(clean_name("client", "a\u{7}b").is_err());
        assert_eq!(
            clean_tags(&["Q4".into(), "q4".into(), "vip".into()]).unwrap(),
            ["q4", "vip"]
        );
        assert!(clean_tags(&["a b".into()]).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Times of the written form, valid or not (a 31st of February, hour 24, second
        /// 60, offsets out of range), read as chrono reads them, or left to it.
        #[test]
        fn stored_times_read_as_chrono_reads_them(
            text in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](Z|z|[+-][0-2][0-9]:[0-6][0-9]|)",
            noise in "[-+:0-9TZ]{0,26}",
        ) {
            for text in [&text, &noise] {
                if let Some(time) = stored_time::written(text) {
                    prop_assert_eq!(Ok(time), text.parse::<DateTime<FixedOffset>>(), "{}", text);
                }
            }
        }
    }

    #[test]
    fn the_written_forms_are_read_at_once() {
        for text in [
            "2026-01-16T09:27:00Z",
            "2024-02-29T23:59:59+01:00",
            "0001-01-01T00:00:00-00:00",
            "9999-12-31T23:59:59-23:59",
        ] {
            let time = stored_time::written(text);
            assert!(time.is_some(), "{text}");
            assert_eq!(time, text.parse().ok(), "{text}");
        }
        // Which chrono reads, and the quick reading leaves to it.
        for text in [
            "2026-06-30T23:59:60Z",
            "2026-01-16t09:27:00z",
            "2026-01-16 09:27:00Z",
        ] {
            assert_eq!(stored_time::written(text), None, "{text}");
            assert!(text.parse::<DateTime<FixedOffset>>().is_ok(), "{text}");
        }
        let record = r#"{"type":"action","id":"a","num":1,"client":"c","kind":"fix","text":"t","at":"2026-06-30T23:59:60+02:00"}"#;
        let Record::Action(action) = serde_json::from_str(record).unwrap() else {
            panic!("an action")
        };
        assert_eq!(
            action.at,
            "2026-06-30T23:59:60+02:00"
                .parse::<DateTime<FixedOffset>>()
                .unwrap()
        );
        for bad in [r#""2026-02-30T00:00:00Z""#, "5", r#""""#] {
            let record = record.replace(r#""2026-06-30T23:59:60+02:00""#, bad);
            let err = serde_json::from_str::<Record>(&record)
                .unwrap_err()
                .to_string();
            let chrono = serde_json::from_str::<DateTime<FixedOffset>>(bad)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err.split(" at line").next(),
                chrono.split(" at line").next(),
                "{bad}"
            );
        }
    }
}
