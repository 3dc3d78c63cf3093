//! Moving data out: export as JSON, CSV or iCalendar (`import` reads the first two back
//! in).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cli::Alarm;
use crate::context::{local_instant, local_when};
use crate::dates::{Day, When};
use crate::error::UsageError;
use crate::model::{Action, Client, FollowUp, Person, Record, Status, hh_mm};
use crate::render::PrettyList;
use crate::state::State;
use crate::store::{Everything, Field, Sink};

/// The CSV columns: DESIGN's twelve, then what the store needs for a CSV export to
/// import back unchanged (the short number, how often a follow-up was snoozed, the
/// action it follows up on, the time of day it is due, how often it recurs and the date
/// its schedule counts from, the follow-up an action records the outcome of, and whether
/// an action was asked for or is a story), then the people: who an action or follow-up
/// was with (names joined by `;`), and a `person` row's name, role and email. New
/// columns go at the end, so files written before them still import.
pub const CSV_HEADER: [&str; 25] = [
    "type",
    "id",
    "client",
    "kind",
    "text",
    "at",
    "due",
    "status",
    "done_at",
    "tags",
    "tier",
    "cadence",
    "num",
    "snoozes",
    "action",
    "due_time",
    "every",
    "every_from",
    "follows_up",
    "asked",
    "story",
    "with",
    "name",
    "role",
    "email",
];

/// What `export --format json` writes and `import` reads back.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub clients: Vec<Client>,
    /// Left out when there is none, so exports without people read and write as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<Person>,
    pub actions: Vec<Action>,
    pub follow_ups: Vec<FollowUp>,
}

/// Every current record, in a stable order: clients by name, people by client and
/// name, actions by time, follow-ups by due date.
pub fn export(state: &State) -> Export {
    let mut follow_ups: Vec<FollowUp> = state.follow_ups.values().cloned().collect();
    follow_ups.sort_by_key(|f| (f.due, f.due_time, f.num));
    let clients = state.clients_by_name();
    Export {
        format: "extramile-export".into(),
        version: 1,
        people: clients
            .iter()
            .flat_map(|c| state.people_at(&c.id))
            .cloned()
            .collect(),
        clients: clients.into_iter().cloned().collect(),
        actions: state.actions_by_time().into_iter().cloned().collect(),
        follow_ups,
    }
}

/// Writes every record as `export --format json` does: `Export`, pretty-printed,
/// written a record at a time.
pub fn write_json(all: &mut Everything, mut out: impl Write) -> Result<()> {
    let state = &all.state;
    let clients = state.clients_by_name();
    let people: Vec<&Person> = clients
        .iter()
        .flat_map(|c| state.people_at(&c.id))
        .collect();
    write!(
        out,
        "{{\n  \"format\": \"extramile-export\",\n  \"version\": 1,\n  \"clients\": "
    )?;
    let mut list = PrettyList::new(1);
    clients.iter().try_for_each(|c| list.item(&mut out, c))?;
    list.end(&mut out)?;
    if !people.is_empty() {
        write!(out, ",\n  \"people\": ")?;
        let mut list = PrettyList::new(1);
        people.iter().try_for_each(|p| list.item(&mut out, p))?;
        list.end(&mut out)?;
    }
    write!(out, ",\n  \"actions\": ")?;
    let mut list = PrettyList::new(1);
    all.each_action(|_, a| list.item(&mut out, a))?;
    list.end(&mut out)?;
    write!(out, ",\n  \"follow_ups\": ")?;
    let mut list = PrettyList::new(1);
    all.each_follow_up(|_, f| list.item(&mut out, f))?;
    list.end(&mut out)?;
    writeln!(out, "\n}}")?;
    Ok(())
}

/// Writes every record as CSV. Cells a spreadsheet would run as a formula are
/// neutralised (see `render::csv_neutral`); `import` restores them.
pub fn write_csv(all: &mut Everything, out: impl Write) -> Result<()> {
    let mut csv = NeutralCsv(csv::Writer::from_writer(out));
    csv.write_record(CSV_HEADER)?;
    let state = &all.state;
    let clients = state.clients_by_name();
    for c in &clients {
        let cadence = c.cadence_days.map(|d| format!("{d}d")).unwrap_or_default();
        let tier = c.tier.clone().unwrap_or_default();
        let at = c.created.to_rfc3339();
        csv.write_record([
            "client", &c.id, &c.name, "", "", &at, "", "", "", "", &tier, &cadence, "", "", "", "",
            "", "", "", "", "", "", "", "", "",
        ])?;
    }
    for p in clients.iter().flat_map(|c| state.people_at(&c.id)) {
        let (client, at) = (state.client_name(&p.client), p.created.to_rfc3339());
        let (role, email) = (
            p.role.as_deref().unwrap_or(""),
            p.email.as_deref().unwrap_or(""),
        );
        csv.write_record([
            "person", &p.id, client, "", "", &at, "", "", "", "", "", "", "", "", "", "", "", "",
            "", "", "", "", &p.name, role, email,
        ])?;
    }
    let with = |state: &State, ids: &[String]| -> String {
        ids.iter()
            .map(|id| state.person_name(id))
            .collect::<Vec<_>>()
            .join(";")
    };
    all.each_action(|state, a| {
        let client = state.client_name(&a.client);
        let at = a.at.to_rfc3339();
        let (tags, num) = (a.tags.join(";"), a.num.to_string());
        csv.write_record([
            "action",
            &a.id,
            client,
            a.kind.name(),
            &a.text,
            &at,
            "",
            "",
            "",
            &tags,
            "",
            "",
            &num,
            "",
            "",
            "",
            "",
            "",
            a.follows_up.as_deref().unwrap_or(""),
            yes(a.asked),
            yes(a.story),
            &with(state, &a.with),
            "",
            "",
            "",
        ])?;
        Ok(())
    })?;
    all.each_follow_up(|state, f| {
        let client = state.client_name(&f.client);
        let (at, due) = (f.created.to_rfc3339(), f.due.to_string());
        let closed = f.closed_at.map(|at| at.to_rfc3339()).unwrap_or_default();
        let (num, snoozes) = (f.num.to_string(), f.snoozes.to_string());
        let due_time = f
            .due_time
            .map(|t| t.format(hh_mm::FORMAT).to_string())
            .unwrap_or_default();
        let every = f.every.map(|p| p.to_string()).unwrap_or_default();
        let every_from = f.every_from.map(|d| d.to_string()).unwrap_or_default();
        csv.write_record([
            "follow-up",
            &f.id,
            client,
            "",
            &f.text,
            &at,
            &due,
            f.status.name(),
            &closed,
            "",
            "",
            "",
            &num,
            &snoozes,
            f.action.as_deref().unwrap_or(""),
            &due_time,
            &every,
            &every_from,
            "",
            "",
            "",
            &with(state, &f.with),
            "",
            "",
            "",
        ])?;
        Ok(())
    })?;
    csv.flush()?;
    Ok(())
}

/// A yes-or-no column: `yes`, or empty for no.
fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "" }
}

/// A CSV writer that neutralises formula-like cells.
pub(crate) struct NeutralCsv<W: Write>(pub(crate) csv::Writer<W>);

impl<W: Write> NeutralCsv<W> {
    pub(crate) fn write_record<'a>(
        &mut self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> csv::Result<()> {
        self.0.write_record(
            cells
                .into_iter()
                .map(|c| crate::render::csv_neutral(c).into_owned()),
        )
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// How far back, in days, the iCalendar feed keeps follow-ups done, cancelled or
/// deleted, unless `--since` says otherwise.
pub const CLOSED_DAYS: i64 = 90;

/// What `export --format ics` writes.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    /// To-dos (VTODO) instead of events.
    pub tasks: bool,
    /// How long before it is due a follow-up reminds; `None`: the defaults (see
    /// `trigger`).
    pub alarm: Option<Alarm>,
    /// Follow-ups closed or deleted before this are left out.
    pub since: DateTime<FixedOffset>,
    pub now: DateTime<FixedOffset>,
}

/// A follow-up as the feed shows it: its newest version, its client's name, and the
/// time and sequence number of the change that wrote it (or deleted it).
pub struct Entry {
    follow_up: FollowUp,
    client: String,
    at: DateTime<FixedOffset>,
    seq: u64,
    deleted: bool,
}

impl Entry {
    /// Where it goes in the feed: by due date, time, number and id.
    fn order(&self) -> (NaiveDate, Option<NaiveTime>, u64, &str) {
        let f = &self.follow_up;
        (f.due, f.due_time, f.num, &f.id)
    }
}

/// The follow-ups a feed since `since` shows, gathered from the journal's changes as
/// they stream by: each as its changes left it. A deleted one keeps the version it had
/// when deleted: the one before in the walk or the deleting change's `was` (a follow-up
/// deleted by a merge, or in a journal older than `was`, whose version before was
/// closed before `since` or dropped by `compact`, leaves nothing to show, and is left
/// out). Changes that take no effect (see `Change::applies`) are skipped, as when the
/// state is folded.
///
/// Only what the feed may show is held: a version closed before `since` is let go at
/// once (a later change that writes it again brings it back), so memory follows the
/// feed, not the history.
struct Gather {
    since: DateTime<FixedOffset>,
    names: HashMap<String, String>,
    found: HashMap<String, (FollowUp, DateTime<FixedOffset>, u64, bool)>,
    /// Ids deleted and not brought back, as `State` keeps them for `Change::applies`,
    /// by their hash (see `id_hash`): an undo of a large import deletes a million.
    deleted: HashSet<u64>,
    /// The change being read: its time, sequence number and whether a merge wrote it.
    at: Option<DateTime<FixedOffset>>,
    seq: u64,
    merge: Option<bool>,
    /// Its records read before its time and command (a line reordered by hand).
    waiting: Vec<Record>,
    /// A hash of the id of each record it deletes since `since` that is not held, as
    /// an undo of a large import may delete a million (kept sorted once its `was`
    /// begins), and the versions of those its `was` holds that are follow-ups.
    unheld: Vec<u64>,
    was: HashMap<String, FollowUp>,
}

impl Gather {
    fn new(since: DateTime<FixedOffset>) -> Gather {
        Gather {
            since,
            names: HashMap::new(),
            found: HashMap::new(),
            deleted: HashSet::new(),
            at: None,
            seq: 0,
            merge: None,
            waiting: Vec::new(),
            unheld: Vec::new(),
            was: HashMap::new(),
        }
    }

    fn take(&mut self, record: Record, at: DateTime<FixedOffset>, merge: bool) {
        let numbered = matches!(record, Record::Action(_) | Record::FollowUp(_));
        let hash = id_hash(record.id());
        if merge && numbered && self.deleted.contains(&hash) {
            return;
        }
        match &record {
            Record::Deleted { .. } => self.deleted.insert(hash),
            _ => self.deleted.remove(&hash),
        };
        match record {
            Record::Client(c) => {
                self.names.insert(c.id, c.name);
            }
            Record::FollowUp(f) => {
                let closed = f.closed_at.filter(|_| f.status != Status::Open);
                if closed.is_some_and(|closed| closed < self.since) {
                    self.found.remove(&f.id);
                } else {
                    self.found.insert(f.id.clone(), (f, at, self.seq, false));
                }
            }
            Record::Deleted { id, .. } => match self.found.remove(&id) {
                Some(held) => self.shown_deleted(held.0, at),
                None if at >= self.since => self.unheld.push(hash),
                None => {}
            },
            Record::Person(_) | Record::Action(_) => {}
        }
    }

    /// A follow-up deleted at `at`, shown when that is since the feed's start.
    fn shown_deleted(&mut self, f: FollowUp, at: DateTime<FixedOffset>) {
        if at >= self.since {
            self.found.insert(f.id.clone(), (f, at, self.seq, true));
        }
    }

    /// The follow-ups found, in the feed's order (see `Entry::order`).
    fn entries(self) -> Vec<Entry> {
        let names = self.names;
        let mut entries: Vec<Entry> = self
            .found
            .into_values()
            .map(|(follow_up, at, seq, deleted)| Entry {
                client: names
                    .get(&follow_up.client)
                    .cloned()
                    .unwrap_or_else(|| "?".into()),
                follow_up,
                at,
                seq,
                deleted,
            })
            .collect();
        entries.sort_by(|a, b| a.order().cmp(&b.order()));
        entries
    }
}

impl Sink for Gather {
    type Record = Record;

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::At(at) => self.at = Some(at),
            Field::Seq(seq) => self.seq = seq,
            Field::Command(command) => self.merge = Some(command == "merge"),
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        match (self.at, self.merge) {
            (Some(at), Some(merge)) => self.take(record, at, merge),
            _ => self.waiting.push(record),
        }
        Ok(())
    }

    fn was_begin(&mut self) -> Result<(), String> {
        self.unheld.sort_unstable();
        Ok(())
    }

    /// Keeps the version of a follow-up the change deleted unheld (any follow-up when
    /// its records wait, as which it deleted is not known yet).
    fn was_record(&mut self, record: Record) -> Result<(), String> {
        if let Record::FollowUp(f) = record
            && (!self.waiting.is_empty() || self.unheld.binary_search(&id_hash(&f.id)).is_ok())
        {
            self.was.insert(f.id.clone(), f);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        let at = self.at.take().ok_or("a change without its time")?;
        let merge = self.merge.take() == Some(true);
        for record in std::mem::take(&mut self.waiting) {
            self.take(record, at, merge);
        }
        self.unheld.sort_unstable();
        for (id, f) in std::mem::take(&mut self.was) {
            if self.unheld.binary_search(&id_hash(&id)).is_ok() && !self.found.contains_key(&id) {
                self.shown_deleted(f, at);
            }
        }
        self.unheld = Vec::new();
        self.seq = 0;
        Ok(())
    }
}

/// A 64-bit hash of a record's id, the same in every run.
fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

/// The follow-ups the feed since `since` shows, from the journal of `store` (see
/// `Gather`), and a cut-short last line's length.
pub fn feed_entries(
    store: &crate::store::Store,
    since: DateTime<FixedOffset>,
) -> Result<(Vec<Entry>, usize)> {
    let mut gather = Gather::new(since);
    let torn = store.stream_changes(&mut gather)?;
    Ok((gather.entries(), torn))
}

/// An iCalendar feed of follow-ups, so a calendar that imports each new export stays
/// true. It holds every open follow-up, and those done, cancelled or deleted since
/// `feed.since`: done ones as cancelled events (the event is no longer needed; with
/// `tasks`, completed to-dos), cancelled and deleted ones cancelled. Each keeps its UID,
/// made from the follow-up's unique id, so a calendar updates it instead of adding
/// another.
///
/// SEQUENCE, which must grow with every change for a calendar to take the new version
/// (RFC 5545 3.8.7.4), is the sequence number of the change that wrote the version shown
/// (or deleted it): the journal's Lamport clock (see `Change::seq`), one more than any
/// change before it, so each change to a follow-up (a snooze, done, an edit, a delete,
/// an undo) raises it, whichever machine made it, with no state kept for it. `compact`
/// keeps each newest version in its change, so it survives that too; only an `undo` of
/// a `merge`, which takes the merged changes back out of the journal, can lower it. It
/// stays far below 2^31, INTEGER's limit (and is capped there).
///
/// A follow-up with a due time is at that local time, written in UTC so every calendar
/// places it at that instant (an event without an end lasts no time, RFC 5545 3.6.1);
/// without one, all day on its due date. Open ones remind (see `trigger`).
pub fn write_ics(entries: &[Entry], feed: &Feed, mut out: impl Write) -> Result<()> {
    let utc = |at: DateTime<FixedOffset>| at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ");
    let stamp = utc(feed.now).to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//extramile//extramile//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "X-WR-CALNAME:extramile follow-ups".to_string(),
    ];
    write_folded(&mut out, &mut lines)?;
    let component = if feed.tasks { "VTODO" } else { "VEVENT" };
    for entry in entries {
        let f = &entry.follow_up;
        let closed = if entry.deleted {
            Some(entry.at)
        } else {
            f.closed_at.filter(|_| f.status != Status::Open)
        };
        if closed.is_some_and(|at| at < feed.since) {
            continue;
        }
        let status = match (entry.deleted, f.status, feed.tasks) {
            (false, Status::Open, false) => "CONFIRMED",
            (false, Status::Open, true) => "NEEDS-ACTION",
            (false, Status::Done, true) => "COMPLETED",
            _ => "CANCELLED",
        };
        lines.push(format!("BEGIN:{component}"));
        lines.push(format!("UID:{}@extramile", f.id));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!("SEQUENCE:{}", entry.seq.min(i32::MAX as u64)));
        let day = |date: NaiveDate| date.format("%Y%m%d");
        let timed = f
            .due_time
            .map(|time| utc(local_instant(f.due.and_time(time))));
        match (&timed, feed.tasks) {
            (Some(at), false) => lines.push(format!("DTSTART:{at}")),
            // A to-do's DUE must come after its DTSTART: a timed one has only DUE.
            (Some(at), true) => lines.push(format!("DUE:{at}")),
            (None, tasks) => {
                lines.push(format!("DTSTART;VALUE=DATE:{}", day(f.due)));
                let end = if tasks { "DUE" } else { "DTEND" };
                let next = crate::dates::add_days(f.due, 1);
                lines.push(format!("{end};VALUE=DATE:{}", day(next)));
            }
        }
        let summary = ics_text(&format!("Follow up with {}: {}", entry.client, f.text));
        lines.push(format!("SUMMARY:{summary}"));
        lines.push(format!(
            "DESCRIPTION:{}",
            ics_text(&format!(
                "extramile follow-up #{} for {}",
                f.num, entry.client
            ))
        ));
        lines.push(format!("STATUS:{status}"));
        if status == "COMPLETED"
            && let Some(at) = closed
        {
            lines.push(format!("COMPLETED:{}", utc(at)));
        }
        if !feed.tasks {
            lines.push("TRANSP:TRANSPARENT".into());
        }
        if matches!(status, "CONFIRMED" | "NEEDS-ACTION")
            && let Some(trigger) = trigger(timed.is_some(), feed.tasks, feed.alarm)
        {
            lines.push("BEGIN:VALARM".into());
            lines.push("ACTION:DISPLAY".into());
            lines.push(format!("DESCRIPTION:{summary}"));
            lines.push(trigger);
            lines.push("END:VALARM".into());
        }
        lines.push(format!("END:{component}"));
        write_folded(&mut out, &mut lines)?;
    }
    lines.push("END:VCALENDAR".into());
    write_folded(&mut out, &mut lines)
}

/// Writes the lines folded, and lets them go: a feed is written a follow-up at a time,
/// never held whole.
fn write_folded(out: &mut impl Write, lines: &mut Vec<String>) -> Result<()> {
    for line in lines.drain(..) {
        out.write_all(fold(&line).as_bytes())?;
    }
    Ok(())
}

/// The TRIGGER of a follow-up's reminder: `alarm` before its due time, 15 minutes by
/// default; without a due time, `alarm` before 09:00 on its due day, 09:00 by default
/// (`PT9H` after the start of the day). A timed to-do has no start: its trigger is
/// relative to its DUE. `None` for `--alarm none`.
fn trigger(timed: bool, tasks: bool, alarm: Option<Alarm>) -> Option<String> {
    let default = if timed { 15 } else { 0 };
    let lead = match alarm {
        None => default,
        Some(Alarm(lead)) => i64::from(lead?),
    };
    let minutes = if timed { -lead } else { 9 * 60 - lead };
    let related = if timed && tasks { ";RELATED=END" } else { "" };
    let sign = if minutes < 0 { "-" } else { "" };
    let (hours, minutes) = (minutes.abs() / 60, minutes.abs() % 60);
    let duration = match (hours, minutes) {
        (0, 0) => "PT0S".to_string(),
        (0, m) => format!("PT{m}M"),
        (h, 0) => format!("PT{h}H"),
        (h, m) => format!("PT{h}H{m}M"),
    };
    Some(format!("TRIGGER{related}:{sign}{duration}"))
}

/// Escapes a TEXT value (RFC 5545, 3.3.11).
fn ics_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | ';' | ',' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Folds a content line at 75 octets, never inside a character, and ends it with CRLF.
/// Some readers trim each line they read, so a line is not left ending in spaces: they
/// go to the start of the next one (after the space that marks it), when they fit.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut current = String::with_capacity(75);
    for c in line.chars() {
        if current.len() + c.len_utf8() > 75 {
            let kept = current.trim_end_matches([' ', '\t']).len();
            let spaces = current.len() - kept;
            let carried = if kept > 0 && 1 + spaces + c.len_utf8() <= 75 {
                current.split_off(kept)
            } else {
                String::new()
            };
            out.push_str(&current);
            out.push_str("\r\n");
            current = format!(" {carried}");
        }
        current.push(c);
    }
    out.push_str(&current);
    out.push_str("\r\n");
    out
}

/// An instant in a file: RFC 3339, also with a `+0000` offset and milliseconds as
/// Salesforce's Data Loader writes it; `YYYY-MM-DD[ HH:MM[:SS]]` or, as Excel writes it
/// in much of Europe, `DD.MM.YYYY[ HH:MM]`, in local time. `Ok(None)` when it is no
/// date; an error when it names a local time the clocks skip.
pub(crate) fn read_instant(text: &str) -> Result<Option<DateTime<FixedOffset>>, UsageError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
    {
        return Ok(Some(at));
    }
    if let Some(
        when @ When {
            day: Day::Date(_), ..
        },
    ) = When::parse(text)
    {
        return local_when(when.resolve(NaiveDate::MIN), NaiveTime::MIN).map(Some);
    }
    let dotted = chrono::NaiveDateTime::parse_from_str(text, "%d.%m.%Y %H:%M").or_else(|_| {
        NaiveDate::parse_from_str(text, "%d.%m.%Y").map(|d| d.and_time(NaiveTime::MIN))
    });
    Ok(dotted.ok().map(local_instant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ics_text_is_escaped_and_folded_at_75_octets() {
        assert_eq!(ics_text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
        let spaced = format!("SUMMARY:{}", "ab ".repeat(60));
        let folded = fold(&spaced);
        let lines: Vec<&str> = folded.split("\r\n").filter(|l| !l.is_empty()).collect();
        let (last, before) = lines.split_last().unwrap();
        assert!(before.iter().all(|l| l.len() <= 75 && !l.ends_with(' ')));
        assert!(last.len() <= 75 && before.len() >= 2);
        assert_eq!(folded.replace("\r\n ", ""), format!("{spaced}\r\n"));
    }

    #[test]
    fn instants_read_as_crms_and_spreadsheets_write_them() {
        let utc = |text: &str| {
            read_instant(text)
                .unwrap()
                .map(|at| at.to_utc().to_rfc3339())
        };
        let expected = Some("2026-11-03T14:30:00+00:00".to_string());
        assert_eq!(utc("2026-11-03T14:30:00Z"), expected);
        assert_eq!(utc("2026-11-03T14:30:00.000+0000"), expected, "Data Loader");
        assert_eq!(utc("2026-11-03T15:30:00.000+0100"), expected);
        let local = |text: &str| {
            read_instant(text)
                .unwrap()
                .map(|at| at.naive_local().to_string())
        };
        assert_eq!(
            local("2026-11-03 14:30").as_deref(),
            Some("2026-11-03 14:30:00")
        );
        assert_eq!(
            local("2026-11-03 14:30:15").as_deref(),
            Some("2026-11-03 14:30:15")
        );
        assert_eq!(
            local("03.11.2026 14:30").as_deref(),
            Some("2026-11-03 14:30:00")
        );
        assert_eq!(local("03.11.2026").as_deref(), Some("2026-11-03 00:00:00"));
        for bad in ["11/03/2026", "2026-11-31", "tomorrow", "31.02.2026", ""] {
            assert_eq!(read_instant(bad), Ok(None), "{bad}");
        }
    }
}
