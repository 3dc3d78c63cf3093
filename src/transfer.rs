//! Moving data in and out: export as JSON, CSV or iCalendar, and import JSON or CSV.
//!
//! Import is planned in memory against the current state and written as one change, so
//! it lands whole or not at all. Records keep their unique ids, so importing the same
//! file twice changes nothing the second time.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::cli::{Alarm, Cadence};
use crate::context::{local_instant, local_when};
use crate::crm::Columns;
use crate::dates::{Day, When};
use crate::error::UsageError;
use crate::model::{
    Action, Client, FollowUp, Kind, Period, Person, Record, Status, clean_name, clean_person_name,
    clean_tags, clean_text, hh_mm, stable_id,
};
use crate::render::PrettyList;
use crate::state::State;
use crate::store::Everything;

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

/// Reads a yes-or-no column: `yes`, `true` or `1`; `no`, `false`, `0` or empty.
fn read_yes(f: &HashMap<&str, String>, column: &str) -> Result<bool> {
    match f[column].trim().to_lowercase().as_str() {
        "yes" | "true" | "1" => Ok(true),
        "" | "no" | "false" | "0" => Ok(false),
        text => bail!("'{column}' must be yes or no, not '{text}'"),
    }
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

/// A follow-up as the feed shows it: its newest version, the change that made it (or
/// deleted it), and its client's name.
struct Entry<'a> {
    follow_up: &'a FollowUp,
    client: &'a str,
    change: &'a crate::store::Change,
    deleted: bool,
}

/// Every follow-up the journal ever held, as its changes left it. A deleted one keeps
/// the version it had when deleted: the one before in the walk or, once `compact` has
/// dropped that, the deleting change's `was` (a follow-up deleted by a merge, or in a
/// journal older than `was`, leaves nothing to show after a compaction, and is left
/// out). Changes that take no effect (see `Change::applies`) are skipped, as when the
/// state is folded.
fn entries(changes: &[crate::store::Change]) -> Vec<Entry<'_>> {
    let mut running = State::default();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut found: HashMap<&str, (&FollowUp, &crate::store::Change, bool)> = HashMap::new();
    for change in changes {
        for record in &change.records {
            if !change.applies(record, &running) {
                continue;
            }
            match record {
                Record::Client(c) => {
                    names.insert(&c.id, &c.name);
                }
                Record::FollowUp(f) => {
                    found.insert(&f.id, (f, change, false));
                }
                Record::Deleted { id, .. } => {
                    let was = change.was.iter().flatten().find_map(|r| match r {
                        Record::FollowUp(f) if f.id == *id => Some(f),
                        _ => None,
                    });
                    if let Some(last) = found.get(id.as_str()).map(|e| e.0).or(was) {
                        found.insert(&last.id, (last, change, true));
                    }
                }
                Record::Person(_) | Record::Action(_) => {}
            }
            running.apply(record);
        }
    }
    let mut entries: Vec<Entry> = found
        .into_values()
        .map(|(follow_up, change, deleted)| Entry {
            follow_up,
            client: names.get(follow_up.client.as_str()).copied().unwrap_or("?"),
            change,
            deleted,
        })
        .collect();
    entries.sort_by_key(|e| {
        let f = e.follow_up;
        (f.due, f.due_time, f.num, &f.id)
    });
    entries
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
pub fn write_ics(changes: &[crate::store::Change], feed: &Feed, mut out: impl Write) -> Result<()> {
    let utc = |at: DateTime<FixedOffset>| at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ");
    let stamp = utc(feed.now).to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//extramile//extramile//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "X-WR-CALNAME:extramile follow-ups".to_string(),
    ];
    let component = if feed.tasks { "VTODO" } else { "VEVENT" };
    for entry in entries(changes) {
        let f = entry.follow_up;
        let closed = if entry.deleted {
            Some(entry.change.at)
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
        lines.push(format!(
            "SEQUENCE:{}",
            entry.change.seq.min(i32::MAX as u64)
        ));
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
    }
    lines.push("END:VCALENDAR".into());
    for line in lines {
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

/// What an import would do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub records: Vec<Record>,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// New clients whose names are close to an existing client's: (new, existing).
    pub near: Vec<(String, String)>,
    /// Columns of the file that nothing read (a CRM's or a mapped file's).
    pub unused: Vec<String>,
}

/// Reads an export (JSON) or a CSV and plans how it folds into `state`. Any bad row
/// fails the whole import, naming the row. `columns` reads a CSV that is not in our
/// shape (a CRM's export, or `--map`) into rows of ours first.
pub fn plan_import(
    state: &State,
    bytes: &[u8],
    now: DateTime<FixedOffset>,
    columns: Option<&Columns>,
) -> Result<ImportPlan> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let mut incoming = match (first, columns) {
        (Some(b'{'), None) => read_json(bytes)?,
        (Some(b'{'), Some(_)) => {
            bail!("this is a JSON export; --from and --map read CSV files: import it without them")
        }
        _ => read_csv(bytes, now, columns)?,
    };
    let unused = std::mem::take(&mut incoming.unused);
    Ok(ImportPlan {
        unused,
        ..fold_in(state, incoming)?
    })
}

/// Records read from a file, before they are folded into the store.
#[derive(Debug, Default)]
struct Incoming {
    records: Vec<Record>,
    /// Where each came from ("row 3", "record 0f3a…"), for messages.
    places: Vec<String>,
    /// Ids of clients made up from a CSV name (no id column): matched by name only.
    by_name: std::collections::HashSet<String>,
    /// Columns of the file that nothing read.
    unused: Vec<String>,
}

fn read_json(bytes: &[u8]) -> Result<Incoming> {
    let data: Export = serde_json::from_slice(bytes).context("not a JSON export of extramile")?;
    if data.format != "extramile-export" {
        bail!(
            "not a JSON export of extramile (format is '{}')",
            data.format
        );
    }
    if data.version > 1 {
        bail!(
            "this export is version {}; this extramile reads version 1: upgrade extramile",
            data.version
        );
    }
    let mut records: Vec<Record> = data.clients.into_iter().map(Record::Client).collect();
    records.extend(data.people.into_iter().map(Record::Person));
    records.extend(data.actions.into_iter().map(Record::Action));
    records.extend(data.follow_ups.into_iter().map(Record::FollowUp));
    let known: std::collections::HashSet<String> = records
        .iter()
        .filter(|r| matches!(r, Record::Client(_)))
        .map(|r| r.id().to_string())
        .collect();
    for r in &records {
        let client = match r {
            Record::Person(p) => &p.client,
            Record::Action(a) => &a.client,
            Record::FollowUp(f) => &f.client,
            _ => continue,
        };
        if !known.contains(client) {
            bail!(
                "record {} points at client {client}, which the export does not hold",
                r.id()
            );
        }
    }
    let places = records
        .iter()
        .scan((String::new(), 0), |(list, index), r| {
            let name = match r {
                Record::Client(_) => "clients",
                Record::Person(_) => "people",
                Record::Action(_) => "actions",
                _ => "follow_ups",
            };
            if list != name {
                (*list, *index) = (name.to_string(), 0);
            }
            *index += 1;
            Some(format!("{name}[{}]", *index - 1))
        })
        .collect();
    Ok(Incoming {
        records,
        places,
        ..Incoming::default()
    })
}

/// The separator of a CSV: `;` when the header line holds more of them than commas
/// (Excel writes that in many European locales), else `,`.
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

fn read_csv(
    bytes: &[u8],
    now: DateTime<FixedOffset>,
    columns: Option<&Columns>,
) -> Result<Incoming> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(bytes))
        .flexible(false)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // Our own CSV is read strictly: a column we don't know is a typo, not a column
    // to skip. A CRM's or a mapped file is read through its own header.
    let mapped = columns.map(|c| c.reader(&headers)).transpose()?;
    let headers: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
    if mapped.is_none() {
        for required in ["type", "client"] {
            if !headers.iter().any(|h| h == required) {
                bail!(
                    "the CSV has no '{required}' column; the header needs at least type and client \
                     (for a CRM's export, use --from or --map)"
                );
            }
        }
        if let Some(unknown) = headers.iter().find(|h| !CSV_HEADER.contains(&h.as_str())) {
            bail!(
                "the CSV has an unknown column '{unknown}'; columns are {} \
                 (for a CRM's export, use --from or --map)",
                CSV_HEADER.join(",")
            );
        }
    }
    let mut clients: HashMap<String, (Client, String)> = HashMap::new();
    let mut by_name = std::collections::HashSet::new();
    let mut pending = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let number = index + 1;
        let row = row.map_err(|err| anyhow!("row {number}: {err}; nothing was imported"))?;
        let cells: Vec<&str> = row
            .iter()
            .map(|cell| crate::render::csv_restore(cell.trim()))
            .collect();
        let fields: HashMap<&str, String> = match &mapped {
            Some(mapped) => mapped
                .row(&cells)
                .map_err(|err| anyhow!("row {number}: {err}; nothing was imported"))?,
            None => CSV_HEADER
                .iter()
                .map(|h| {
                    let at = headers.iter().position(|name| name == h);
                    (*h, at.map_or("", |i| cells[i]).to_string())
                })
                .collect(),
        };
        let parsed = read_row(&fields, now)
            .map_err(|err| anyhow!("row {number}: {err}; nothing was imported"))?;
        match parsed {
            Row::Client(client) => {
                if fields["id"].is_empty() {
                    by_name.insert(client.id.clone());
                }
                clients.insert(
                    client.name.to_lowercase(),
                    (client, format!("row {number}")),
                );
            }
            other => pending.push((other, format!("row {number}"))),
        }
    }
    // Rows may name a client that has no client row: make one, with a stable id.
    for (row, place) in &mut pending {
        let name = row.client_name().to_string();
        let (client, _) = clients.entry(name.to_lowercase()).or_insert_with(|| {
            let id = stable_id(&["client", &name.to_lowercase()]);
            by_name.insert(id.clone());
            let client = Client {
                id,
                name: name.clone(),
                tier: None,
                cadence_days: None,
                created: now,
            };
            (client, place.clone())
        });
        row.set_client(&client.id);
    }
    // Rows name people by name: a `person` row's, or one made up with a stable id.
    let mut people: HashMap<(String, String), (Person, String)> = HashMap::new();
    let mut others = Vec::new();
    for (row, place) in pending {
        match row {
            Row::Person(person, _) => {
                let key = (person.client.clone(), person.name.to_lowercase());
                people.insert(key, (person, place));
            }
            other => others.push((other, place)),
        }
    }
    for (row, place) in &mut others {
        let (client, with) = match row {
            Row::Action(a, _) => (&a.client, &mut a.with),
            Row::FollowUp(f, _) => (&f.client, &mut f.with),
            _ => continue,
        };
        for name in with.iter_mut() {
            let key = (client.clone(), name.to_lowercase());
            let (person, _) = people.entry(key).or_insert_with(|| {
                let id = stable_id(&["person", client, &name.to_lowercase()]);
                by_name.insert(id.clone());
                let person = Person {
                    id,
                    client: client.clone(),
                    name: name.clone(),
                    role: None,
                    email: None,
                    created: now,
                };
                (person, place.clone())
            });
            *name = person.id.clone();
        }
    }
    let mut clients: Vec<(Client, String)> = clients.into_values().collect();
    clients.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let mut people: Vec<(Person, String)> = people.into_values().collect();
    people.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let mut incoming = Incoming {
        by_name,
        unused: mapped.map(|m| m.unused).unwrap_or_default(),
        ..Incoming::default()
    };
    let rows = clients
        .into_iter()
        .map(|(c, place)| (Record::Client(c), place))
        .chain(
            people
                .into_iter()
                .map(|(p, place)| (Record::Person(p), place)),
        )
        .chain(
            others
                .into_iter()
                .map(|(row, place)| (row.into_record(), place)),
        );
    for (record, place) in rows {
        incoming.records.push(record);
        incoming.places.push(place);
    }
    Ok(incoming)
}

/// A CSV row read, with the name of its client; an action's or follow-up's `with`
/// holds names until they are matched to people.
enum Row {
    Client(Client),
    Person(Person, String),
    Action(Action, String),
    FollowUp(FollowUp, String),
}

impl Row {
    fn client_name(&self) -> &str {
        match self {
            Row::Client(c) => &c.name,
            Row::Person(_, name) | Row::Action(_, name) | Row::FollowUp(_, name) => name,
        }
    }

    fn set_client(&mut self, id: &str) {
        match self {
            Row::Client(_) => {}
            Row::Person(p, _) => p.client = id.to_string(),
            Row::Action(a, _) => a.client = id.to_string(),
            Row::FollowUp(f, _) => f.client = id.to_string(),
        }
    }

    fn into_record(self) -> Record {
        match self {
            Row::Client(c) => Record::Client(c),
            Row::Person(p, _) => Record::Person(p),
            Row::Action(a, _) => Record::Action(a),
            Row::FollowUp(f, _) => Record::FollowUp(f),
        }
    }
}

fn read_row(f: &HashMap<&str, String>, now: DateTime<FixedOffset>) -> Result<Row> {
    let client = clean_name("client", &f["client"])?;
    let whole = |column: &str| -> Result<u64> {
        match f[column].as_str() {
            "" => Ok(0),
            text => text
                .parse()
                .map_err(|_| anyhow!("'{column}' must be a whole number, not '{text}'")),
        }
    };
    let num = whole("num")?;
    let text = || clean_text(std::slice::from_ref(&f["text"]));
    let id = |parts: &[&str]| {
        if f["id"].is_empty() {
            stable_id(parts)
        } else {
            f["id"].clone()
        }
    };
    // The people it was with, by name, each once.
    let mut with: Vec<String> = Vec::new();
    for name in f["with"].split(';').filter(|n| !n.trim().is_empty()) {
        let name = clean_person_name(name)?;
        if !with.iter().any(|w| w.to_lowercase() == name.to_lowercase()) {
            with.push(name);
        }
    }
    match f["type"].to_lowercase().as_str() {
        "client" => {
            let cadence = match f["cadence"].as_str() {
                "" => None,
                text => text.parse::<Cadence>().map_err(|e| anyhow!(e))?.0,
            };
            let created = optional_instant("at", &f["at"])?.unwrap_or(now);
            let tier = Some(f["tier"].clone()).filter(|t| !t.is_empty());
            Ok(Row::Client(Client {
                id: id(&["client", &client.to_lowercase()]),
                name: client,
                tier,
                cadence_days: cadence,
                created,
            }))
        }
        "action" => {
            let text = text()?;
            let at =
                optional_instant("at", &f["at"])?.ok_or_else(|| anyhow!("an action needs 'at'"))?;
            let kind = match f["kind"].as_str() {
                "" => Kind::Other,
                k => Kind::from_str(k, true).map_err(|_| {
                    anyhow!(
                        "unknown kind '{k}'; kinds are fix, idea, check-in, touch, intro, other"
                    )
                })?,
            };
            let tags: Vec<String> = f["tags"]
                .split(';')
                .filter(|t| !t.trim().is_empty())
                .map(str::to_string)
                .collect();
            let uid = id(&["action", &client.to_lowercase(), &text, &at.to_rfc3339()]);
            let action = Action {
                id: uid,
                num,
                client: String::new(),
                kind,
                text,
                at,
                tags: clean_tags(&tags)?,
                by: None,
                follows_up: Some(f["follows_up"].clone()).filter(|a| !a.is_empty()),
                asked: read_yes(f, "asked")?,
                story: read_yes(f, "story")?,
                with,
            };
            Ok(Row::Action(action, client))
        }
        "follow-up" | "followup" => {
            let text = text()?;
            let due = NaiveDate::parse_from_str(&f["due"], "%Y-%m-%d").map_err(|_| {
                anyhow!("a follow-up needs 'due' as YYYY-MM-DD, not '{}'", f["due"])
            })?;
            let due_time = match f["due_time"].as_str() {
                "" => None,
                text => Some(hh_mm::parse(text).ok_or_else(|| {
                    anyhow!("'due_time' must be a time of day as HH:MM, not '{text}'")
                })?),
            };
            let status = match f["status"].to_lowercase().as_str() {
                "" | "open" => Status::Open,
                "done" => Status::Done,
                "cancelled" | "canceled" => Status::Cancelled,
                other => bail!("unknown status '{other}'; use open, done or cancelled"),
            };
            let closed_at = optional_instant("done_at", &f["done_at"])?;
            if status != Status::Open && closed_at.is_none() {
                bail!("a {} follow-up needs 'done_at'", status.name());
            }
            let every = match f["every"].as_str() {
                "" => None,
                text => Some(text.parse::<Period>().map_err(|e| anyhow!(e))?),
            };
            let every_from = match f["every_from"].as_str() {
                "" => None,
                text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    anyhow!("'every_from' must be a date as YYYY-MM-DD, not '{text}'")
                })?),
            };
            if every.is_some() != every_from.is_some() {
                bail!("a recurring follow-up needs both 'every' and 'every_from'");
            }
            let created = optional_instant("at", &f["at"])?.unwrap_or(now);
            let uid = id(&["follow-up", &client.to_lowercase(), &text, &due.to_string()]);
            let follow_up = FollowUp {
                id: uid,
                num,
                client: String::new(),
                text,
                due,
                due_time,
                status,
                created,
                closed_at: closed_at.filter(|_| status != Status::Open),
                snoozes: u32::try_from(whole("snoozes")?)
                    .map_err(|_| anyhow!("'snoozes' is out of range"))?,
                action: Some(f["action"].clone()).filter(|a| !a.is_empty()),
                by: None,
                every,
                every_from,
                with,
            };
            Ok(Row::FollowUp(follow_up, client))
        }
        "person" => {
            let name = clean_person_name(&f["name"])
                .map_err(|err| anyhow!("a person row needs 'name': {err}"))?;
            let optional = |column: &str| Some(f[column].clone()).filter(|v| !v.is_empty());
            Ok(Row::Person(
                Person {
                    id: id(&["person", &client.to_lowercase(), &name.to_lowercase()]),
                    client: String::new(),
                    name,
                    role: optional("role"),
                    email: optional("email"),
                    created: optional_instant("at", &f["at"])?.unwrap_or(now),
                },
                client,
            ))
        }
        "" => bail!("the type is empty; use action, follow-up, client or person"),
        other => bail!("unknown type '{other}'; use action, follow-up, client or person"),
    }
}

/// An instant as RFC 3339, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (local time).
fn optional_instant(column: &str, text: &str) -> Result<Option<DateTime<FixedOffset>>> {
    if text.is_empty() {
        return Ok(None);
    }
    match read_instant(text)? {
        Some(at) => Ok(Some(at)),
        None => bail!("can't read '{column}' = '{text}'; use RFC 3339 or YYYY-MM-DD HH:MM"),
    }
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

/// Ids through `to` where it has them.
fn remap(to: &HashMap<String, String>, ids: Vec<String>) -> Vec<String> {
    ids.into_iter()
        .map(|id| to.get(&id).cloned().unwrap_or(id))
        .collect()
}

/// Plans the records that bring `incoming` into `state`. Clients are matched as every
/// command matches them: by id when the file gives one, else by their current name
/// (case aside); an existing client keeps its name, and its tier and cadence unless
/// the file gives others; people likewise, at their client. Records already here keep
/// their short numbers; new ones keep theirs when free, else get the next ones. Every record is checked as `log` checks
/// what it writes, and the store after the import must keep every invariant.
fn fold_in(state: &State, incoming: Incoming) -> Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    let mut used: std::collections::HashSet<u64> = state
        .actions
        .values()
        .map(|a| a.num)
        .chain(state.follow_ups.values().map(|f| f.num))
        .collect();
    let mut fresh = state.fresh_numbers();
    // A number kept from the file keeps the copy it came from; a new one is this
    // copy's (see `state::Numbering`).
    let machine = state.machine().map(str::to_string);
    let mut number =
        |wanted: u64, by: &mut Option<String>, used: &mut std::collections::HashSet<u64>| {
            let num = if wanted > 0 && !used.contains(&wanted) {
                wanted
            } else {
                by.clone_from(&machine);
                fresh
                    .by_ref()
                    .find(|n| !used.contains(n))
                    .unwrap_or(u64::MAX)
            };
            used.insert(num);
            num
        };
    let mut client_ids: HashMap<String, String> = HashMap::new();
    let mut person_ids: HashMap<String, String> = HashMap::new();
    // Each id once: where it is in the plan (none when unchanged), and where in the file.
    let mut seen: HashMap<String, (Option<usize>, &str)> = HashMap::new();
    for (record, place) in incoming.records.into_iter().zip(&incoming.places) {
        // What the file holds, as it holds it; then the record as it would be stored.
        crate::validate::fields(&record)
            .map_err(|err| anyhow!("{place}: {err}; nothing was imported"))?;
        if let Some(num) = record.num()
            && num > crate::validate::MAX_NUM
        {
            bail!(
                "{place}: #{num} is out of range; short numbers run from 1 to {}; nothing was imported",
                crate::validate::MAX_NUM
            );
        }
        let record = match record {
            Record::Client(mut c) => {
                let by_id = Some(&c.id)
                    .filter(|id| !incoming.by_name.contains(*id))
                    .and_then(|id| state.clients.get(id));
                let wanted = c.name.to_lowercase();
                let existing = by_id.or_else(|| {
                    state
                        .clients
                        .values()
                        .find(|e| e.name.to_lowercase() == wanted)
                });
                if existing.is_none()
                    && let Some(close) = state.close_to(&c.name)
                {
                    plan.near.push((c.name.clone(), close.name.clone()));
                }
                let id = match existing {
                    Some(e) => {
                        c.name = e.name.clone();
                        c.created = e.created;
                        c.tier = c.tier.or_else(|| e.tier.clone());
                        c.cadence_days = c.cadence_days.or(e.cadence_days);
                        e.id.clone()
                    }
                    // A made-up id that another record already has (a client since
                    // renamed): this is a new client, with an id of its own.
                    None if state.contains(&c.id) => crate::model::new_id(),
                    None => c.id.clone(),
                };
                client_ids.insert(std::mem::replace(&mut c.id, id.clone()), id);
                Record::Client(c)
            }
            Record::Person(mut p) => {
                p.client = client_ids.get(&p.client).cloned().unwrap_or(p.client);
                let by_id = Some(&p.id)
                    .filter(|id| !incoming.by_name.contains(*id))
                    .and_then(|id| state.people.get(id));
                let wanted = p.name.to_lowercase();
                let existing = by_id.or_else(|| {
                    state
                        .people_at(&p.client)
                        .into_iter()
                        .find(|e| e.name.to_lowercase() == wanted)
                });
                let id = match existing {
                    Some(e) => {
                        p.name = e.name.clone();
                        p.created = e.created;
                        p.role = p.role.or_else(|| e.role.clone());
                        p.email = p.email.or_else(|| e.email.clone());
                        e.id.clone()
                    }
                    None if state.contains(&p.id) => crate::model::new_id(),
                    None => p.id.clone(),
                };
                person_ids.insert(std::mem::replace(&mut p.id, id.clone()), id);
                Record::Person(p)
            }
            Record::Action(mut a) => {
                a.client = client_ids.get(&a.client).cloned().unwrap_or(a.client);
                a.with = remap(&person_ids, a.with);
                match state.actions.get(&a.id) {
                    Some(e) => (a.num, a.by) = (e.num, e.by.clone()),
                    None => a.num = number(a.num, &mut a.by, &mut used),
                }
                Record::Action(a)
            }
            Record::FollowUp(mut f) => {
                f.client = client_ids.get(&f.client).cloned().unwrap_or(f.client);
                f.with = remap(&person_ids, f.with);
                match state.follow_ups.get(&f.id) {
                    Some(e) => (f.num, f.by) = (e.num, e.by.clone()),
                    None => f.num = number(f.num, &mut f.by, &mut used),
                }
                Record::FollowUp(f)
            }
            deleted @ Record::Deleted { .. } => deleted,
        };
        crate::validate::record(&record)
            .map_err(|err| anyhow!("{place}: {err}; nothing was imported"))?;
        if let Some((first, first_place)) = seen.get(record.id()) {
            let first = match first {
                Some(at) => Some(plan.records[*at].clone()),
                None => state.record(record.id()),
            };
            if first.as_ref() != Some(&record) {
                bail!(
                    "{place}: record {} is also {first_place}, with other content; \
                     nothing was imported: keep one of them",
                    record.id()
                );
            }
            plan.unchanged += 1;
            continue;
        }
        let existing = state.record(record.id());
        let changed = existing.as_ref() != Some(&record);
        let at = changed.then_some(plan.records.len());
        seen.insert(record.id().to_string(), (at, place));
        match (existing, changed) {
            (Some(_), false) => plan.unchanged += 1,
            (Some(_), true) => {
                plan.updated += 1;
                plan.records.push(record);
            }
            (None, _) => {
                plan.added += 1;
                plan.records.push(record);
            }
        }
    }
    crate::validate::addition(state, &plan.records, "this import")?;
    Ok(plan)
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
    fn the_header_line_picks_the_separator() {
        assert_eq!(delimiter(b"type,client\na;b,c\n"), b',');
        assert_eq!(delimiter(b"type;client;text\naction;Acme;a, b, c\n"), b';');
        assert_eq!(
            delimiter(b"\"a;b;c\",client\n"),
            b',',
            "quoted ; don't count"
        );
        assert_eq!(delimiter(b""), b',');
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
