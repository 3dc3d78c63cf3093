//! One module per command: each loads what it needs, calls the domain, and hands a
//! view to the renderer.

mod actions;
mod check;
mod clients;
pub mod completion;
mod data;
mod edit;
mod follow_ups;
mod log;
mod man;
mod meta;
mod next;
mod remind;
mod report;
mod sync;
mod today;
mod trend;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde_json::{Value, json};

use crate::cli::{Cli, Command, Format};
use crate::context::Context;
use crate::error::UsageError;
use crate::model::{Action, Client, FollowUp, Person, Record, new_id};
use crate::state::{Match, Named, State};

pub fn run(cli: Cli) -> Result<()> {
    let ctx = Context::from_cli(&cli)?;
    if ctx.format == Format::Ics && !matches!(cli.command, Some(Command::Export { .. })) {
        return Err(UsageError::new("--format ics is for `export` only").into());
    }
    match cli.command {
        None => today::run(&ctx),
        Some(Command::Log(args)) => log::log(&ctx, args),
        Some(Command::FollowUp(args)) => log::follow_up(&ctx, args),
        Some(Command::Done { ids, log, kind }) => follow_ups::done(&ctx, &ids, log, kind),
        Some(Command::Snooze { ids, when }) => follow_ups::snooze(&ctx, &ids, when),
        Some(Command::Cancel { ids, series }) => follow_ups::cancel(&ctx, &ids, series),
        Some(Command::Overdue { client }) => follow_ups::overdue(&ctx, client.as_deref()),
        Some(Command::Upcoming { days }) => follow_ups::upcoming(&ctx, days),
        Some(Command::Remind { count }) => remind::run(&ctx, count),
        Some(Command::Actions(args)) => actions::run(&ctx, args),
        Some(Command::Clients) => clients::list(&ctx),
        Some(Command::Client(args)) => clients::client(&ctx, args),
        Some(Command::Next { limit }) => next::run(&ctx, limit),
        Some(Command::Report(report)) => report::run(&ctx, report),
        Some(Command::Edit(args)) => edit::edit(&ctx, args),
        Some(Command::Delete { id }) => edit::delete(&ctx, id),
        Some(Command::Undo) => edit::undo(&ctx),
        Some(Command::Export {
            output,
            to,
            calendar,
        }) => data::export_to(&ctx, output, to, calendar),
        Some(Command::Import { file, from, map }) => data::import(&ctx, &file, from, map),
        Some(Command::Demo) => meta::demo(&ctx),
        Some(Command::Completions { shell }) => completion::completions(shell),
        Some(Command::Man) => man::run(&ctx),
        Some(Command::Check) => check::run(&ctx),
        Some(Command::Index) => check::index(&ctx),
        Some(Command::Compact) => check::compact(&ctx),
        Some(Command::Merge { files }) => sync::merge(&ctx, &files),
        Some(Command::MergeDriver { base, ours, theirs }) => {
            sync::merge_driver(&ctx, &base, &ours, &theirs)
        }
    }
}

/// The client a write names, or a new one (with its record) for a name that matches
/// none. A new name close to an existing client's is refused as a likely typo, unless
/// `new` says it is meant.
fn client_for_write(
    state: &State,
    typed: &str,
    now: DateTime<FixedOffset>,
    new: bool,
) -> Result<(Client, Option<Record>)> {
    let (client, created) = named_for_write(
        state.match_client(typed)?,
        |name| state.close_to(name),
        "client",
        "",
        new,
        |name| Client {
            id: new_id(),
            name,
            tier: None,
            cadence_days: None,
            created: now,
        },
    )?;
    Ok((client.clone(), created.then_some(Record::Client(client))))
}

/// The person at `client` a write names, or a new one (with its record), as
/// `client_for_write` finds clients.
fn person_for_write(
    state: &State,
    client: &Client,
    typed: &str,
    now: DateTime<FixedOffset>,
    new: bool,
) -> Result<(Person, Option<Record>)> {
    let typed = crate::model::clean_person_name(typed)?;
    let (person, created) = named_for_write(
        state.match_person(client, &typed)?,
        |name| state.person_close_to(client, name),
        "person",
        &format!(" at {}", client.name),
        new,
        |name| Person {
            id: new_id(),
            client: client.id.clone(),
            name,
            role: None,
            email: None,
            created: now,
        },
    )?;
    Ok((person.clone(), created.then_some(Record::Person(person))))
}

/// What a typed name found: the record, and whether it is new (made by `make`). A new
/// name that `close` finds near an existing one is refused, unless `new` says it is meant;
/// `what` names the record ("person") and `at` where it was looked for (" at Acme").
fn named_for_write<'a, T: Named + Clone + 'a>(
    matched: Match<'a, T>,
    close: impl FnOnce(&str) -> Option<&'a T>,
    what: &str,
    at: &str,
    new: bool,
    make: impl FnOnce(String) -> T,
) -> Result<(T, bool)> {
    Ok(match matched {
        Match::Existing(found) => (found.clone(), false),
        Match::New(name) => {
            if let Some(near) = close(&name).filter(|_| !new) {
                crate::usage!(
                    "no {what} '{name}'{at}; did you mean '{}'? To add a new {what} of that name, \
                     repeat with --new",
                    near.name()
                );
            }
            (make(name), true)
        }
    })
}

/// The people a write names with `--with` at `client` (each once, in the order
/// given), and the records of those that are new.
fn people_for_write(
    state: &State,
    client: &Client,
    typed: &[String],
    now: DateTime<FixedOffset>,
    new: bool,
) -> Result<(Vec<Person>, Vec<Record>)> {
    let mut people: Vec<Person> = Vec::new();
    let mut created = Vec::new();
    for name in typed {
        let (person, record) = person_for_write(state, client, name, now, new)?;
        // A name given twice, or two names for one new person, count once.
        if people
            .iter()
            .any(|p| p.id == person.id || p.name.to_lowercase() == person.name.to_lowercase())
        {
            continue;
        }
        created.extend(record);
        people.push(person);
    }
    Ok((people, created))
}

/// What to say of the people a write added at the client named `client`: "New person:
/// NAME at CLIENT", and which people at other clients, named alike, they are not (each
/// client has its own people, so a name is not looked for at the others).
fn new_people_notes(state: &State, client: &str, created: &[Record]) -> Vec<String> {
    created
        .iter()
        .filter_map(|record| match record {
            Record::Person(person) => Some(person),
            _ => None,
        })
        .map(|person| {
            let name = person.name.to_lowercase();
            let mut others: Vec<String> = state
                .people
                .values()
                .filter(|p| p.client != person.client && p.name.to_lowercase().starts_with(&name))
                .map(|p| format!("{} at {}", p.name, state.client_name(&p.client)))
                .collect();
            others.sort_by_cached_key(|o| o.to_lowercase());
            let line = format!("New person: {} at {client}", person.name);
            match others.is_empty() {
                true => line,
                false => format!(
                    "{line} (people belong to one client: not {})",
                    others.join(", ")
                ),
            }
        })
        .collect()
}

/// `2026-11-20 14:30`, in local time.
fn show_at(at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn show_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    match date.year() {
        // As `%Y-%m-%d` writes it, without taking the pattern apart for each date.
        year @ 0..=9999 => format!("{year:04}-{:02}-{:02}", date.month(), date.day()),
        _ => date.format("%Y-%m-%d").to_string(),
    }
}

/// `Fri 2026-11-27`, for confirmations.
fn show_day(date: NaiveDate) -> String {
    date.format("%a %Y-%m-%d").to_string()
}

/// When a follow-up is due: `2026-11-24`, or `2026-11-24 15:30` when it has a time.
fn show_due(date: NaiveDate, time: Option<NaiveTime>) -> String {
    with_time(show_date(date), time)
}

/// `Tue 2026-11-24 15:30` (or without the time), for confirmations.
fn show_due_day(date: NaiveDate, time: Option<NaiveTime>) -> String {
    with_time(show_day(date), time)
}

fn with_time(day: String, time: Option<NaiveTime>) -> String {
    match time {
        Some(time) => format!("{day} {}", time.format(crate::model::hh_mm::FORMAT)),
        None => day,
    }
}

/// ", every 2 weeks" for a recurring follow-up, else nothing: for confirmations.
fn repeats(follow_up: &FollowUp) -> String {
    follow_up
        .every
        .map(|p| format!(", {}", p.describe()))
        .unwrap_or_default()
}

/// The names of the people with these ids.
fn names<'a>(state: &'a State, ids: &[String]) -> Vec<&'a str> {
    ids.iter().map(|id| state.person_name(id)).collect()
}

/// `with`: the names of the people an action or follow-up was with, when any (left
/// out when none, so output without people stays as it was).
fn with_people(mut json: Value, with: &[&str]) -> Value {
    if !with.is_empty() {
        json["with"] = json!(with);
    }
    json
}

fn action_json(client: &str, with: &[&str], action: &Action) -> Value {
    with_people(
        json!({
            "id": action.num,
            "uid": action.id,
            "client": client,
            "kind": action.kind,
            "text": action.text,
            "at": action.at.to_rfc3339(),
            "tags": action.tags,
            "follows_up": action.follows_up,
            "asked": action.asked,
            "story": action.story,
        }),
        with,
    )
}

/// `follow_up_json` of each of `rows`, as an array.
fn follow_ups_json(state: &State, rows: &[&FollowUp], today: NaiveDate) -> Value {
    rows.iter()
        .map(|f| {
            follow_up_json(
                state.client_name(&f.client),
                &names(state, &f.with),
                f,
                today,
            )
        })
        .collect()
}

fn follow_up_json(client: &str, with: &[&str], follow_up: &FollowUp, today: NaiveDate) -> Value {
    with_people(
        json!({
            "id": follow_up.num,
            "uid": follow_up.id,
            "client": client,
            "text": follow_up.text,
            "due": show_date(follow_up.due),
            "due_time": follow_up.due_time.map(|t| t.format(crate::model::hh_mm::FORMAT).to_string()),
            "status": follow_up.status.name(),
            "days_overdue": follow_up.days_overdue(today),
            "done_at": follow_up.closed_at.filter(|_| follow_up.status == crate::model::Status::Done).map(|at| at.to_rfc3339()),
            "done_late": follow_up.done_late(),
            "snoozes": follow_up.snoozes,
            "every": follow_up.every.map(|p| p.to_string()),
            "repeats": follow_up.every.map(|p| p.describe()),
            "created": follow_up.created.to_rfc3339(),
        }),
        with,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_as_chrono_writes_them() {
        let days = [
            NaiveDate::MIN,
            NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(7, 3, 9).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
            NaiveDate::MAX,
        ];
        for day in days {
            assert_eq!(show_date(day), day.format("%Y-%m-%d").to_string());
        }
    }
}
