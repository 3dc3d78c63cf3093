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

use crate::cli::Cadence;
use crate::context::{local_instant, local_when};
use crate::crm::Columns;
use crate::dates::{Day, When};
use crate::error::UsageError;
use crate::model::{
    Action, Client, FollowUp, Kind, Person, Record, Status, clean_name, clean_person_name,
    clean_tags, clean_text, hh_mm,
};
use crate::state::State;

/// The CSV columns: DESIGN's twelve, then what the store needs for a CSV export to
/// import back unchanged (the short number, how often a follow-up was snoozed, the
/// action it follows up on, and the time of day it is due), then the people: who an
/// action or follow-up was with (names joined by `;`), and a `person` row's name, role
/// and email. New columns go at the end, so files written before them still import.
pub const CSV_HEADER: [&str; 20] = [
    "type", "id", "client", "kind", "text", "at", "due", "status", "done_at", "tags", "tier",
    "cadence", "num", "snoozes", "action", "due_time", "with", "name", "role", "email",
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

/// Writes every record as CSV. Cells a spreadsheet would run as a formula are
/// neutralised (see `render::csv_neutral`); `import` restores them.
pub fn write_csv(state: &State, out: impl Write) -> Result<()> {
    let data = export(state);
    let mut csv = NeutralCsv(csv::Writer::from_writer(out));
    csv.write_record(CSV_HEADER)?;
    for c in &data.clients {
        let cadence = c.cadence_days.map(|d| format!("{d}d")).unwrap_or_default();
        let tier = c.tier.clone().unwrap_or_default();
        let at = c.created.to_rfc3339();
        csv.write_record([
            "client", &c.id, &c.name, "", "", &at, "", "", "", "", &tier, &cadence, "", "", "", "",
            "", "", "", "",
        ])?;
    }
    for p in &data.people {
        let (client, at) = (state.client_name(&p.client), p.created.to_rfc3339());
        let (role, email) = (
            p.role.as_deref().unwrap_or(""),
            p.email.as_deref().unwrap_or(""),
        );
        csv.write_record([
            "person", &p.id, client, "", "", &at, "", "", "", "", "", "", "", "", "", "", "",
            &p.name, role, email,
        ])?;
    }
    let with = |ids: &[String]| -> String {
        ids.iter()
            .map(|id| state.person_name(id))
            .collect::<Vec<_>>()
            .join(";")
    };
    for a in &data.actions {
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
            &with(&a.with),
            "",
            "",
            "",
        ])?;
    }
    for f in &data.follow_ups {
        let client = state.client_name(&f.client);
        let (at, due) = (f.created.to_rfc3339(), f.due.to_string());
        let closed = f.closed_at.map(|at| at.to_rfc3339()).unwrap_or_default();
        let (num, snoozes) = (f.num.to_string(), f.snoozes.to_string());
        let due_time = f
            .due_time
            .map(|t| t.format(hh_mm::FORMAT).to_string())
            .unwrap_or_default();
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
            &with(&f.with),
            "",
            "",
            "",
        ])?;
    }
    csv.flush()?;
    Ok(())
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

/// An iCalendar file with an entry per open follow-up: all day on its due date, or at
/// its due time (the local time here, written in UTC so every calendar places it at
/// that instant; an event without an end lasts no time, RFC 5545 3.6.1). The UID comes
/// from the follow-up's unique id, so a calendar updates instead of duplicating.
pub fn write_ics(state: &State, now: DateTime<FixedOffset>, mut out: impl Write) -> Result<()> {
    let utc = |at: DateTime<FixedOffset>| at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ");
    let stamp = utc(now).to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//extramile//extramile//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "X-WR-CALNAME:extramile follow-ups".to_string(),
    ];
    for f in state.open_follow_ups() {
        let client = state.client_name(&f.client);
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}@extramile", f.id));
        lines.push(format!("DTSTAMP:{stamp}"));
        match f.due_time {
            Some(time) => {
                let at = crate::context::local_instant(f.due.and_time(time));
                lines.push(format!("DTSTART:{}", utc(at)));
            }
            None => {
                lines.push(format!("DTSTART;VALUE=DATE:{}", f.due.format("%Y%m%d")));
                lines.push(format!(
                    "DTEND;VALUE=DATE:{}",
                    crate::dates::add_days(f.due, 1).format("%Y%m%d")
                ));
            }
        }
        lines.push(format!(
            "SUMMARY:{}",
            ics_text(&format!("Follow up with {client}: {}", f.text))
        ));
        lines.push(format!(
            "DESCRIPTION:{}",
            ics_text(&format!("extramile follow-up #{} for {client}", f.num))
        ));
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    for line in lines {
        out.write_all(fold(&line).as_bytes())?;
    }
    Ok(())
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
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
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

/// An id made from a record's content, so a CSV without ids imports idempotently.
fn stable_id(parts: &[&str]) -> String {
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

    #[test]
    fn stable_ids_depend_only_on_content() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["ab", ""]));
        assert_eq!(stable_id(&["x"]).len(), 28);
    }
}
