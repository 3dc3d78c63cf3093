//! The bridge to CRMs. Reading: the columns of a HubSpot or Salesforce activity export,
//! or of any CSV whose columns `--map` names, turned into the rows of extramile's own
//! CSV. Writing: actions and follow-ups as a file each CRM's importer takes.
//!
//! Reading only translates. Every row it makes goes on through `transfer`'s one import
//! path (`read_row`, then `fold_in` and `validate`), so a CRM file is held to the same
//! checks, ids and all-or-nothing rule as any other; what is here is what only a CRM
//! file needs: which column means what, how its statuses and activity types read, and
//! naming the column when a cell can't be read.
//!
//! The column names follow the CRMs' own documentation (see README, "CRM bridge"):
//! HubSpot's default activity properties by label or internal name, and Salesforce's
//! Task and Event fields as Data Loader writes them (API names) or a report shows them
//! (field labels).

use foldhash::HashMap;
use std::io::Write;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use clap::ValueEnum;

use crate::model::{Kind, Status, local_date};
use crate::store::Everything;
use crate::transfer::{CSV_HEADER, NeutralCsv, read_instant};

/// A CRM whose files extramile reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Crm {
    Hubspot,
    Salesforce,
}

impl Crm {
    fn name(self) -> &'static str {
        match self {
            Crm::Hubspot => "HubSpot",
            Crm::Salesforce => "Salesforce",
        }
    }

    /// The columns this CRM's exports hold, what each means here, and, for a column
    /// only one kind of activity has, that kind. Where several columns mean the same,
    /// the first one with a value in a row wins.
    fn columns(self) -> &'static [(&'static str, Slot, Option<&'static str>)] {
        use Slot::{Body, Created, Ours, Timestamp};
        match self {
            // HubSpot's default activity properties, by their labels, then by their
            // internal names (as the API and exports with internal names write them).
            Crm::Hubspot => &[
                ("Associated Company", Ours("client"), None),
                ("Company name", Ours("client"), None),
                ("Task title", Ours("text"), Some("task")),
                ("Call title", Ours("text"), Some("call")),
                ("Meeting name", Ours("text"), Some("meeting")),
                ("Email subject", Ours("text"), Some("email")),
                ("Note body", Body, Some("note")),
                ("Notes", Body, Some("task")),
                ("Call notes", Body, Some("call")),
                ("Meeting description", Body, Some("meeting")),
                ("Email body", Body, Some("email")),
                ("Activity date", Ours("at"), None),
                ("Due date", Ours("due"), Some("task")),
                ("Task status", Ours("status"), Some("task")),
                ("Task type", Ours("kind"), Some("task")),
                ("Create date", Created, None),
                ("hs_task_subject", Ours("text"), Some("task")),
                ("hs_call_title", Ours("text"), Some("call")),
                ("hs_meeting_title", Ours("text"), Some("meeting")),
                ("hs_email_subject", Ours("text"), Some("email")),
                ("hs_note_body", Body, Some("note")),
                ("hs_task_body", Body, Some("task")),
                ("hs_call_body", Body, Some("call")),
                ("hs_meeting_body", Body, Some("meeting")),
                ("hs_email_text", Body, Some("email")),
                ("hs_timestamp", Timestamp, None),
                ("hs_task_status", Ours("status"), Some("task")),
                ("hs_task_type", Ours("kind"), Some("task")),
                ("hs_createdate", Created, None),
            ],
            // Salesforce's Task and Event fields: API names (Data Loader, with the
            // account's name through the Account or What relationship), then labels.
            Crm::Salesforce => &[
                ("Account.Name", Ours("client"), None),
                ("What.Name", Ours("client"), None),
                ("Account Name", Ours("client"), None),
                ("Account", Ours("client"), None),
                ("Subject", Ours("text"), None),
                ("Description", Body, None),
                ("Comments", Body, None),
                ("TaskSubtype", Ours("kind"), None),
                ("Task Subtype", Ours("kind"), None),
                ("EventSubtype", Ours("kind"), Some("event")),
                ("Event Subtype", Ours("kind"), Some("event")),
                ("Type", Ours("kind"), None),
                ("ActivityDateTime", Ours("at"), Some("event")),
                ("StartDateTime", Ours("at"), Some("event")),
                ("ActivityDate", Ours("due"), None),
                ("Due Date", Ours("due"), None),
                ("Status", Ours("status"), None),
                ("CompletedDateTime", Ours("done_at"), None),
                ("Completed Date", Ours("done_at"), None),
                ("CreatedDate", Created, None),
                ("Created Date", Created, None),
            ],
        }
    }
}

/// What a column means here: one of our own CSV columns, or one a CRM has and ours
/// has not (the body of a note, beside its title; when a task was created; HubSpot's
/// `hs_timestamp`, which is a task's due date and any other activity's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Ours(&'static str),
    Body,
    Created,
    Timestamp,
}

/// One `--map` entry: a column of the file, and the column of ours it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub column: String,
    pub field: &'static str,
}

/// Reads `COLUMN=FIELD` (clap splits `--map` at commas).
pub fn parse_map_entry(text: &str) -> Result<MapEntry, String> {
    let Some((column, field)) = text.split_once('=') else {
        return Err(format!(
            "'{text}' is not COLUMN=FIELD; write e.g. --map \"Company Name=client,Activity Date=at\""
        ));
    };
    let (column, wanted) = (column.trim(), field.trim().to_lowercase());
    if column.is_empty() {
        return Err(format!("'{text}' names no column before '='"));
    }
    match CSV_HEADER.iter().find(|h| **h == wanted) {
        Some(field) => Ok(MapEntry {
            column: column.to_string(),
            field,
        }),
        None => Err(format!(
            "'{}' is not a field of extramile's; fields are {}",
            field.trim(),
            CSV_HEADER.join(", ")
        )),
    }
}

/// How to read a file that is not in extramile's own CSV shape: a CRM's columns, the
/// user's `--map`, or both (the map wins where they meet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub from: Option<Crm>,
    pub map: Vec<MapEntry>,
}

/// A file's header, read: where each of our slots comes from, and what is left over.
#[derive(Debug)]
pub struct Reader {
    /// (slot, column index, activity hint), in the order they are tried.
    sources: Vec<(Slot, usize, Option<&'static str>)>,
    headers: Vec<String>,
    /// The file's columns that nothing reads, as the file names them.
    pub unused: Vec<String>,
}

impl Columns {
    /// Matches the file's header (trimmed) against the map and the CRM's columns, case
    /// aside. Without `--from`, a column already named like one of ours is read as it is.
    pub fn reader(&self, headers: &[String]) -> Result<Reader> {
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let mut sources = Vec::new();
        for (n, entry) in self.map.iter().enumerate() {
            if let Some(other) = self.map[..n].iter().find(|e| e.field == entry.field) {
                bail!(
                    "--map gives '{}' twice (from '{}' and '{}'); map one column to it",
                    entry.field,
                    other.column,
                    entry.column
                );
            }
            let Some(index) = find(&entry.column) else {
                bail!(
                    "--map names the column '{}', which the file does not have; its columns are {}",
                    entry.column,
                    headers.join(", ")
                );
            };
            sources.push((Slot::Ours(entry.field), index, None));
        }
        // What the map names is settled: the CRM's columns (or, without one, columns
        // named like ours) fill in the rest.
        let taken = |sources: &[(Slot, usize, _)], slot: Slot, index: usize| {
            self.map.iter().any(|e| Slot::Ours(e.field) == slot)
                || sources[..self.map.len()]
                    .iter()
                    .any(|(_, i, _)| *i == index)
        };
        let rest: Vec<(&str, Slot, Option<&'static str>)> = match self.from {
            Some(crm) => crm.columns().to_vec(),
            None => CSV_HEADER
                .iter()
                .map(|f| (*f, Slot::Ours(f), None))
                .collect(),
        };
        for (name, slot, hint) in rest {
            if let Some(index) = find(name).filter(|i| !taken(&sources, slot, *i)) {
                sources.push((slot, index, hint));
            }
        }
        let has = |slot: Slot| sources.iter().any(|(s, ..)| *s == slot);
        for (slot, what) in [
            (Slot::Ours("client"), "client"),
            (Slot::Ours("text"), "text"),
        ] {
            if has(slot) || (slot == Slot::Ours("text") && has(Slot::Body)) {
                continue;
            }
            let known = match self.from {
                Some(crm) => {
                    let names: Vec<&str> = crm
                        .columns()
                        .iter()
                        .filter(|(_, s, _)| *s == slot || (what == "text" && *s == Slot::Body))
                        .map(|(name, ..)| *name)
                        .collect();
                    format!(" {} names it {}, and", crm.name(), names.join(" or "))
                }
                None => String::new(),
            };
            bail!(
                "no column of the file gives the {what}:{known} the file's columns are {}; \
                 name yours with --map \"COLUMN={what}\"",
                headers.join(", ")
            );
        }
        let unused = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !sources.iter().any(|(_, index, _)| index == i))
            .map(|(_, h)| h.clone())
            .collect();
        Ok(Reader {
            sources,
            headers: headers.to_vec(),
            unused,
        })
    }
}

/// What a row records, from its activity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activity {
    /// A call, meeting, email or note: something done.
    Logged(Kind),
    /// A to-do with a due date.
    Task,
    /// Anything else: one of our kinds by name, or `other`.
    Plain(Kind),
}

/// A picklist value as a key: `Not Started`, `NOT_STARTED` and `not-started` alike.
fn key(value: &str) -> String {
    value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Our kind for a CRM's activity type: calls and meetings are check-ins, emails and
/// LinkedIn messages touches, notes and anything unknown `other`.
fn activity(value: &str) -> Activity {
    let key = key(value);
    match key.as_str() {
        "call" | "phonecall" | "meeting" | "event" => Activity::Logged(Kind::CheckIn),
        "email" | "listemail" | "linkedin" => Activity::Logged(Kind::Touch),
        "note" => Activity::Logged(Kind::Other),
        "task" | "todo" | "cadence" => Activity::Task,
        _ => Activity::Plain(
            Kind::ALL
                .into_iter()
                .find(|k| k.name().replace('-', "") == key)
                .unwrap_or(Kind::Other),
        ),
    }
}

/// A task status, HubSpot's (NOT_STARTED, IN_PROGRESS, WAITING, COMPLETED, DEFERRED,
/// or their labels), Salesforce's default picklist (Not Started, In Progress,
/// Completed, Waiting on someone else, Deferred; Closed, which also closes a task), or
/// ours. Deferred is put off, not dropped: it stays open.
fn status(value: &str) -> Option<Status> {
    match key(value).as_str() {
        "open" | "notstarted" | "inprogress" | "waiting" | "waitingonsomeoneelse" | "deferred" => {
            Some(Status::Open)
        }
        "done" | "completed" | "complete" | "closed" => Some(Status::Done),
        "cancelled" | "canceled" => Some(Status::Cancelled),
        _ => None,
    }
}

fn not_a_date(column: &str, value: &str) -> anyhow::Error {
    anyhow!(
        "column '{column}' holds '{value}', which is not a date; use YYYY-MM-DD, \
         YYYY-MM-DD HH:MM, DD.MM.YYYY or RFC 3339 (2026-11-20T14:30:00Z)"
    )
}

/// A due date as the file writes it, whatever time or zone follows it: Salesforce
/// gives a date field midnight UTC, which is still that day west of Greenwich.
fn written_date(text: &str) -> Option<NaiveDate> {
    let at = read_instant(text).ok()??;
    let written = text
        .get(..10)
        .and_then(|head| NaiveDate::parse_from_str(head, "%Y-%m-%d").ok());
    Some(written.unwrap_or_else(|| local_date(at)))
}

/// The text of a row: a title and a body, joined unless the body already starts with
/// the title (as a Salesforce export of ours holds a long text whole).
fn join_text(title: &str, body: &str) -> String {
    match (title, body) {
        (title, "") => title.to_string(),
        ("", body) => body.to_string(),
        (title, body) if body.starts_with(title) => body.to_string(),
        (title, body) => format!("{title} — {body}"),
    }
}

impl Reader {
    /// One row of the file (cells trimmed, formulas restored) as the row of our CSV it
    /// stands for. An error names the column.
    pub fn row(&self, cells: &[&str]) -> Result<HashMap<&'static str, String>> {
        // A value for any of the slots, from the first of their columns that holds one,
        // and that column.
        let cell = |slots: &[Slot]| -> Option<(&str, &str)> {
            self.sources
                .iter()
                .filter(|(s, ..)| slots.contains(s))
                .find_map(|(_, index, _)| {
                    let value = cells.get(*index).copied().unwrap_or("");
                    (!value.is_empty()).then(|| (value, self.headers[*index].as_str()))
                })
        };
        let names = |slots: &[Slot]| -> String {
            let names: Vec<String> = self
                .sources
                .iter()
                .filter(|(s, ..)| slots.contains(s))
                .map(|(_, index, _)| format!("'{}'", self.headers[*index]))
                .collect();
            match names.as_slice() {
                [] => "the file has none".to_string(),
                [one] => format!("column {one} is empty"),
                _ => format!("columns {} are empty", names.join(", ")),
            }
        };
        let instant = |slots: &[Slot]| -> Result<Option<DateTime<FixedOffset>>> {
            let Some((value, column)) = cell(slots) else {
                return Ok(None);
            };
            match read_instant(value) {
                Ok(Some(at)) => Ok(Some(at)),
                Ok(None) => Err(not_a_date(column, value)),
                Err(err) => Err(anyhow!("column '{column}': {err}")),
            }
        };
        let mut out: HashMap<&'static str, String> =
            CSV_HEADER.iter().map(|h| (*h, String::new())).collect();
        for field in [
            "type", "id", "tags", "tier", "cadence", "num", "snoozes", "action", "with",
        ] {
            if let Some((value, _)) = cell(&[Slot::Ours(field)]) {
                out.insert(field, value.to_string());
            }
        }
        let client = cell(&[Slot::Ours("client")]).ok_or_else(|| {
            anyhow!(
                "{}; every row needs a client",
                names(&[Slot::Ours("client")])
            )
        })?;
        out.insert("client", client.0.to_string());
        // What the row is: its type column, else its activity type, else the first
        // column that only one kind of activity has and that holds something here.
        let hint = self
            .sources
            .iter()
            .find(|(_, index, hint)| {
                hint.is_some() && !cells.get(*index).copied().unwrap_or("").is_empty()
            })
            .and_then(|(.., hint)| *hint);
        let kind = cell(&[Slot::Ours("kind")])
            .map(|k| k.0)
            .or(hint)
            .map_or(Activity::Plain(Kind::Other), activity);
        // HubSpot's hs_timestamp: a task's due date, any other activity's date.
        let [at_from, due_from]: [&[Slot]; 2] = if hint == Some("task") || kind == Activity::Task {
            [&[Slot::Ours("at")], &[Slot::Ours("due"), Slot::Timestamp]]
        } else {
            [&[Slot::Ours("at"), Slot::Timestamp], &[Slot::Ours("due")]]
        };
        let at = instant(at_from)?;
        let status = match cell(&[Slot::Ours("status")]) {
            None => None,
            Some((value, column)) => Some(status(value).ok_or_else(|| {
                anyhow!(
                    "column '{column}' holds the status '{value}'; extramile reads Not started, \
                     In progress, Waiting and Deferred as open, Completed and Closed as done"
                )
            })?),
        };
        let due = match cell(due_from) {
            None => None,
            Some((value, column)) => {
                Some(written_date(value).ok_or_else(|| not_a_date(column, value))?)
            }
        };
        let given = out["type"].to_lowercase();
        let what = match (given.as_str(), kind) {
            ("", Activity::Task) => "follow-up",
            ("", Activity::Logged(_)) if status == Some(Status::Open) => "follow-up",
            ("", Activity::Plain(_)) if status.is_some() || due.is_some() => "follow-up",
            ("", _) => "action",
            ("followup", _) => "follow-up",
            (given, _) => given,
        };
        out.insert("type", what.to_string());
        if what == "client" {
            if let Some(created) = at {
                out.insert("at", created.to_rfc3339());
            }
            return Ok(out);
        }
        let title = cell(&[Slot::Ours("text")]);
        let body = cell(&[Slot::Body]);
        if title.is_none() && body.is_none() {
            let (title, body) = (names(&[Slot::Ours("text")]), names(&[Slot::Body]));
            bail!("{title} and {body}; every row needs a text");
        }
        out.insert(
            "text",
            join_text(title.map_or("", |t| t.0), body.map_or("", |b| b.0)),
        );
        let done_at = instant(&[Slot::Ours("done_at")])?;
        let created = instant(&[Slot::Created])?;
        let midnight =
            |date: NaiveDate| crate::context::local_instant(date.and_time(NaiveTime::MIN));
        if what == "follow-up" {
            let due = due.ok_or_else(|| {
                anyhow!(
                    "{}; a task becomes a follow-up, which needs a due date",
                    names(due_from)
                )
            })?;
            let status = status.unwrap_or(Status::Open);
            // A task's creation, else its activity date, else its due date: always from
            // the file, so importing it again changes nothing.
            let created = created.or(at).unwrap_or_else(|| midnight(due));
            if status != Status::Open {
                let done_at = done_at.unwrap_or_else(|| midnight(due));
                out.insert("done_at", done_at.to_rfc3339());
            }
            out.insert("due", due.format("%Y-%m-%d").to_string());
            out.insert("status", status.name().to_string());
            out.insert("at", created.to_rfc3339());
        } else {
            let at = at
                .or(done_at)
                .or(due.map(midnight))
                .or(created)
                .ok_or_else(|| anyhow!("{}; an activity needs its date", names(at_from)))?;
            out.insert("at", at.to_rfc3339());
            if let Activity::Logged(kind) | Activity::Plain(kind) = kind {
                out.insert("kind", kind.name().to_string());
            }
        }
        Ok(out)
    }
}

/// Writes the actions and follow-ups as `crm`'s importer takes them: HubSpot's default
/// activity properties (notes and tasks; dates as dates, task statuses as the API's
/// values), or Salesforce Task fields for Data Loader (ActivityDate as yyyy-MM-dd, the
/// default status picklist). Cancelled follow-ups are left out: neither CRM has a
/// status for a task that was dropped.
///
/// The records are streamed (see `Everything`): memory does not grow with the history.
pub fn write_csv(crm: Crm, all: &mut Everything, out: impl Write) -> Result<()> {
    let mut csv = NeutralCsv(csv::Writer::from_writer(out));
    let date = |at: DateTime<FixedOffset>| local_date(at).format("%Y-%m-%d").to_string();
    let headers: &[&str] = match crm {
        Crm::Hubspot => &[
            "Company name",
            "Activity date",
            "Note body",
            "Task title",
            "Due date",
            "Task status",
        ],
        Crm::Salesforce => &[
            "Account.Name",
            "Subject",
            "ActivityDate",
            "Status",
            "Description",
        ],
    };
    csv.write_record(headers.iter().copied())?;
    // A row: client, date, text, and for a follow-up its due date and whether it is open.
    let mut row = |client: &str, at: &str, text: &str, due: Option<(&str, bool)>| {
        let record: Vec<&str> = match (crm, due) {
            (Crm::Hubspot, None) => vec![client, at, text, "", "", ""],
            (Crm::Hubspot, Some((due, open))) => {
                let status = if open { "NOT_STARTED" } else { "COMPLETED" };
                vec![client, "", "", text, due, status]
            }
            (Crm::Salesforce, due) => {
                let subject = subject(text);
                let description = if subject == text { "" } else { text };
                let (date, status) = match due {
                    None => (at, "Completed"),
                    Some((due, true)) => (due, "Not Started"),
                    Some((due, false)) => (due, "Completed"),
                };
                vec![client, subject, date, status, description]
            }
        };
        csv.write_record(record)
    };
    all.each_action(|state, a| {
        row(state.client_name(&a.client), &date(a.at), &a.text, None)?;
        Ok(())
    })?;
    all.each_follow_up(|state, f| {
        if f.status != Status::Cancelled {
            let due = f.due.format("%Y-%m-%d").to_string();
            let open = f.status == Status::Open;
            row(
                state.client_name(&f.client),
                "",
                &f.text,
                Some((&due, open)),
            )?;
        }
        Ok(())
    })?;
    csv.flush()?;
    Ok(())
}

/// A Salesforce Subject: the first line, at most 255 characters (the field's limit);
/// the whole text then goes in the Description.
fn subject(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(255) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn hubspot() -> Columns {
        Columns {
            from: Some(Crm::Hubspot),
            map: Vec::new(),
        }
    }

    #[test]
    fn map_entries_name_a_column_and_one_of_our_fields() {
        assert_eq!(
            parse_map_entry(" Company Name = Client "),
            Ok(MapEntry {
                column: "Company Name".into(),
                field: "client"
            })
        );
        assert!(
            parse_map_entry("Company")
                .unwrap_err()
                .contains("COLUMN=FIELD")
        );
        assert!(
            parse_map_entry("=client")
                .unwrap_err()
                .contains("no column")
        );
        let err = parse_map_entry("Company=customer").unwrap_err();
        assert!(err.contains("'customer' is not a field"), "{err}");
        assert!(err.contains("client"), "{err}");
    }

    #[test]
    fn activity_types_map_onto_our_kinds() {
        assert_eq!(activity("Call"), Activity::Logged(Kind::CheckIn));
        assert_eq!(activity("MEETING"), Activity::Logged(Kind::CheckIn));
        assert_eq!(activity("List Email"), Activity::Logged(Kind::Touch));
        assert_eq!(activity("LinkedIn"), Activity::Logged(Kind::Touch));
        assert_eq!(activity("note"), Activity::Logged(Kind::Other));
        assert_eq!(activity("To-do"), Activity::Task);
        assert_eq!(activity("TODO"), Activity::Task);
        assert_eq!(activity("check-in"), Activity::Plain(Kind::CheckIn));
        assert_eq!(activity("Intro"), Activity::Plain(Kind::Intro));
        assert_eq!(activity("Lunch"), Activity::Plain(Kind::Other));
    }

    #[test]
    fn statuses_of_both_crms_read_as_open_or_done() {
        for open in [
            "NOT_STARTED",
            "In Progress",
            "WAITING",
            "Waiting on someone else",
            "Deferred",
        ] {
            assert_eq!(status(open), Some(Status::Open), "{open}");
        }
        assert_eq!(status("COMPLETED"), Some(Status::Done));
        assert_eq!(status("Completed"), Some(Status::Done));
        assert_eq!(status("cancelled"), Some(Status::Cancelled));
        assert_eq!(status("Escalated"), None);
    }

    #[test]
    fn titles_and_bodies_join_once() {
        assert_eq!(join_text("Call Acme", ""), "Call Acme");
        assert_eq!(join_text("", "Talked pricing"), "Talked pricing");
        assert_eq!(
            join_text("Call Acme", "Talked pricing"),
            "Call Acme — Talked pricing"
        );
        assert_eq!(join_text("Long", "Long text, whole"), "Long text, whole");
    }

    #[test]
    fn a_hubspot_header_is_read_and_the_rest_listed_as_unused() {
        let reader = hubspot()
            .reader(&headers(&[
                "Task ID",
                "Task title",
                "associated company",
                "Due date",
                "Task status",
                "Priority",
            ]))
            .unwrap();
        assert_eq!(reader.unused, ["Task ID", "Priority"]);
        let row = reader
            .row(&[
                "17",
                "Send the deck",
                "Acme",
                "2026-11-27",
                "NOT_STARTED",
                "HIGH",
            ])
            .unwrap();
        assert_eq!(row["type"], "follow-up");
        assert_eq!(row["client"], "Acme");
        assert_eq!(row["text"], "Send the deck");
        assert_eq!(row["due"], "2026-11-27");
        assert_eq!(row["status"], "open");
        assert_eq!(row["done_at"], "");
        // Created: from the file, so a second import matches the first.
        assert!(
            row["at"].starts_with("2026-11-27T00:00:00"),
            "{}",
            row["at"]
        );
    }

    #[test]
    fn hs_timestamp_is_a_tasks_due_date_and_any_other_activitys_date() {
        let reader = hubspot()
            .reader(&headers(&[
                "Associated Company",
                "hs_timestamp",
                "hs_note_body",
                "hs_task_subject",
                "hs_task_status",
            ]))
            .unwrap();
        assert!(reader.unused.is_empty(), "{:?}", reader.unused);
        let note = reader
            .row(&["Acme", "2026-11-02T09:15:00Z", "Lunch", "", ""])
            .unwrap();
        assert_eq!(note["type"], "action");
        assert_eq!(note["due"], "");
        assert!(
            note["at"].starts_with("2026-11-02T09:15:00"),
            "{}",
            note["at"]
        );
        let task = reader
            .row(&["Acme", "2026-11-27T17:00:00Z", "", "Send", "NOT_STARTED"])
            .unwrap();
        assert_eq!(task["type"], "follow-up");
        assert_eq!(task["due"], "2026-11-27");
        assert!(
            task["at"].starts_with("2026-11-27T00:00:00"),
            "{}",
            task["at"]
        );
        let err = reader
            .row(&["Acme", "", "", "Send", "NOT_STARTED"])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'hs_timestamp' is empty; a task becomes a follow-up"),
            "{err}"
        );
        let err = reader.row(&["Acme", "", "Lunch", "", ""]).unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'hs_timestamp' is empty; an activity needs its date"),
            "{err}"
        );
        // A type column that says to-do makes a task as well as a task's own columns.
        let mapped = Columns {
            from: Some(Crm::Hubspot),
            map: vec![
                parse_map_entry("Type=kind").unwrap(),
                parse_map_entry("Subject=text").unwrap(),
            ],
        }
        .reader(&headers(&[
            "Associated Company",
            "Type",
            "Subject",
            "hs_timestamp",
        ]))
        .unwrap();
        let to_do = mapped
            .row(&["Acme", "TODO", "Call back", "2026-11-30T16:00:00Z"])
            .unwrap();
        assert_eq!(to_do["type"], "follow-up");
        assert_eq!(to_do["due"], "2026-11-30");
    }

    #[test]
    fn a_completed_task_is_a_done_follow_up_and_a_logged_call_an_action() {
        let reader = Columns {
            from: Some(Crm::Salesforce),
            map: Vec::new(),
        }
        .reader(&headers(&[
            "Account.Name",
            "Subject",
            "TaskSubtype",
            "ActivityDate",
            "Status",
            "CompletedDateTime",
        ]))
        .unwrap();
        let task = reader
            .row(&[
                "Acme",
                "Send contract",
                "Task",
                "2026-11-10",
                "Completed",
                "2026-11-12T09:30:00.000+0000",
            ])
            .unwrap();
        assert_eq!(task["type"], "follow-up");
        assert_eq!(task["status"], "done");
        assert_eq!(task["due"], "2026-11-10");
        assert_eq!(
            DateTime::parse_from_rfc3339(&task["done_at"]).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-12T09:30:00Z").unwrap()
        );
        let call = reader
            .row(&["Acme", "Call", "Call", "2026-11-11", "Completed", ""])
            .unwrap();
        assert_eq!(call["type"], "action");
        assert_eq!(call["kind"], "check-in");
        assert!(
            call["at"].starts_with("2026-11-11T00:00:00"),
            "{}",
            call["at"]
        );
        let planned = reader
            .row(&["Acme", "Call back", "Call", "2026-11-30", "Not Started", ""])
            .unwrap();
        assert_eq!(planned["type"], "follow-up");
        assert_eq!(planned["status"], "open");
    }

    #[test]
    fn bad_cells_name_their_column() {
        let reader = hubspot()
            .reader(&headers(&[
                "Associated Company",
                "Note body",
                "Activity date",
                "Task status",
            ]))
            .unwrap();
        let err = reader
            .row(&["Acme", "Lunch", "2026-02-30", ""])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'Activity date' holds '2026-02-30'"),
            "{err}"
        );
        let err = reader.row(&["", "Lunch", "2026-02-03", ""]).unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'Associated Company' is empty"),
            "{err}"
        );
        let err = reader.row(&["Acme", "Lunch", "", "Escalated"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'Task status' holds the status 'Escalated'"),
            "{err}"
        );
        let err = reader.row(&["Acme", "Lunch", "", ""]).unwrap_err();
        assert!(
            err.to_string().contains("column 'Activity date' is empty"),
            "{err}"
        );
    }

    #[test]
    fn a_map_reads_other_files_and_refuses_columns_they_lack() {
        let columns = Columns {
            from: None,
            map: vec![
                parse_map_entry("Firma=client").unwrap(),
                parse_map_entry("Datum=at").unwrap(),
                parse_map_entry("Notiz=text").unwrap(),
            ],
        };
        let reader = columns
            .reader(&headers(&["Firma", "Datum", "Notiz", "kind", "Owner"]))
            .unwrap();
        assert_eq!(reader.unused, ["Owner"]);
        let row = reader
            .row(&["Acme", "20.11.2026 14:30", "Fixed it", "fix", "me"])
            .unwrap();
        assert_eq!(row["type"], "action");
        assert_eq!(row["kind"], "fix");
        assert!(
            row["at"].starts_with("2026-11-20T14:30:00"),
            "{}",
            row["at"]
        );
        let err = columns.reader(&headers(&["Firma", "Notiz"])).unwrap_err();
        assert!(
            err.to_string()
                .contains("the column 'Datum', which the file does not have"),
            "{err}"
        );
        let twice = Columns {
            from: None,
            map: vec![
                parse_map_entry("A=client").unwrap(),
                parse_map_entry("B=client").unwrap(),
            ],
        };
        assert!(
            twice
                .reader(&headers(&["A", "B"]))
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn the_map_wins_over_the_crm_for_a_field_and_for_a_column() {
        let columns = Columns {
            from: Some(Crm::Salesforce),
            map: vec![
                parse_map_entry("Region=client").unwrap(),
                parse_map_entry("Type=tags").unwrap(),
            ],
        };
        let reader = columns
            .reader(&headers(&[
                "Account.Name",
                "Region",
                "Subject",
                "Type",
                "ActivityDate",
            ]))
            .unwrap();
        assert_eq!(reader.unused, ["Account.Name"]);
        let row = reader
            .row(&["Acme", "EMEA", "Lunch", "Meeting", "2026-11-03"])
            .unwrap();
        assert_eq!(row["client"], "EMEA");
        assert_eq!(row["tags"], "Meeting");
        assert_eq!(row["type"], "follow-up", "Type is no longer the kind");
    }

    #[test]
    fn a_file_without_a_client_column_says_what_would_do() {
        let err = hubspot()
            .reader(&headers(&["Note body", "Activity date"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HubSpot names it Associated Company or Company name"),
            "{err}"
        );
        assert!(err.contains("--map \"COLUMN=client\""), "{err}");
    }

    #[test]
    fn salesforce_subjects_keep_to_one_line_of_255_characters() {
        assert_eq!(subject("Short"), "Short");
        assert_eq!(subject("First line\nsecond"), "First line");
        let long = "é".repeat(300);
        assert_eq!(subject(&long).chars().count(), 255);
    }
}
