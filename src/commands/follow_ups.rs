//! `done`, `snooze`, `cancel`, `overdue` and `upcoming`: keeping the promises made.

use anyhow::Result;
use serde_json::{Value, json};

use super::{
    action_json, follow_up_json, follow_ups_json, names, repeats, show_date, show_due, show_due_day,
};
use crate::context::Context;
use crate::dates::{Resolved, When, add_days, humanize_due};
use crate::model::{Action, FollowUp, Kind, Record, Status, clean_text, new_id};
use crate::render::{Cell, Section, Table, Tone, View};
use crate::state::{Item, State};
use crate::store::{Draft, Loaded, Need};

/// What a command does to each open follow-up it is given.
#[derive(Clone, Copy)]
enum Close<'a> {
    /// Done, with what came of it to log as an action, when given.
    Done(Option<(&'a str, Kind)>),
    /// Cancelled; with `series`, a recurring one does not come back.
    Cancel {
        series: bool,
    },
    Snooze(Resolved),
}

pub fn done(ctx: &Context, ids: &[u64], log: Option<String>, kind: Option<Kind>) -> Result<()> {
    let outcome = log
        .map(|text| clean_text(std::slice::from_ref(&text)))
        .transpose()?;
    let kind = kind.unwrap_or(Kind::Other);
    change_each(ctx, ids, Close::Done(outcome.as_deref().map(|t| (t, kind))))
}

pub fn cancel(ctx: &Context, ids: &[u64], series: bool) -> Result<()> {
    change_each(ctx, ids, Close::Cancel { series })
}

pub fn snooze(ctx: &Context, ids: &[u64], when: When) -> Result<()> {
    change_each(ctx, ids, Close::Snooze(ctx.due(when)?))
}

/// One follow-up a command changed, with what the same change made of it: the next
/// occurrence of a recurring one, and the action logging its outcome.
struct Changed {
    follow_up: FollowUp,
    client: String,
    /// The names of the people it is with.
    with: Vec<String>,
    next: Option<FollowUp>,
    outcome: Option<Action>,
}

/// Applies `how` to every follow-up in `ids` as one change, or to none when any is wrong.
fn change_each(ctx: &Context, ids: &[u64], how: Close) -> Result<()> {
    let today = ctx.today();
    let command = match how {
        Close::Done(_) => "done",
        Close::Cancel { .. } => "cancel",
        Close::Snooze(_) => "snooze",
    };
    let make = |loaded: &Loaded| {
        let state = &loaded.state;
        let by = state.machine().map(str::to_string);
        let mut numbers = state.fresh_numbers();
        let mut changed: Vec<Changed> = Vec::new();
        for &num in ids {
            if changed.iter().any(|c| c.follow_up.num == num) {
                continue;
            }
            let mut follow_up = open_follow_up(state, num)?.clone();
            let (mut next, mut outcome) = (None, None);
            match how {
                Close::Done(_) | Close::Cancel { .. } => {
                    follow_up.status = if matches!(how, Close::Done(_)) {
                        Status::Done
                    } else {
                        Status::Cancelled
                    };
                    follow_up.closed_at = Some(ctx.now);
                    // A recurring one comes back in the same change, done or skipped.
                    if !matches!(how, Close::Cancel { series: true }) {
                        next = follow_up.next_occurrence(today).map(|n| FollowUp {
                            num: numbers.next().unwrap_or(u64::MAX),
                            created: ctx.now,
                            by: by.clone(),
                            ..n
                        });
                    }
                    if let Close::Done(Some((text, kind))) = how {
                        outcome = Some(Action {
                            id: new_id(),
                            num: numbers.next().unwrap_or(u64::MAX),
                            client: follow_up.client.clone(),
                            kind,
                            text: text.to_string(),
                            at: ctx.now,
                            tags: Vec::new(),
                            by: by.clone(),
                            follows_up: Some(follow_up.id.clone()),
                            asked: false,
                            story: false,
                            // What came of it was with the people it was with.
                            with: follow_up.with.clone(),
                        });
                    }
                }
                // The new due replaces the old whole: a date alone clears its time.
                Close::Snooze(due) => {
                    (follow_up.due, follow_up.due_time) = (due.date, due.time);
                    follow_up.snoozes += 1;
                }
            }
            changed.push(Changed {
                client: state.client_name(&follow_up.client).to_string(),
                with: names(state, &follow_up.with)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                follow_up,
                next,
                outcome,
            });
        }
        let mut records = Vec::new();
        for c in &changed {
            records.push(Record::FollowUp(c.follow_up.clone()));
            records.extend(c.next.clone().map(Record::FollowUp));
            records.extend(c.outcome.clone().map(Record::Action));
        }
        Ok((records.into(), changed))
    };
    // The follow-ups themselves are all it takes (one looked up by its number, or all
    // the open ones). A number that is not an open one is looked up on its own, to say
    // what it is; only if it has become open since is the whole store read.
    let open = |loaded: &Loaded| {
        let open = loaded.state.open_follow_ups();
        match ids.iter().find(|&&num| !open.iter().any(|f| f.num == num)) {
            None => make(loaded).map(|(draft, out)| (draft, Ok(out))),
            Some(&num) => Ok((Draft::default(), Err(num))),
        }
    };
    let quick = match ids {
        [num] => ctx.store.change(Need::Num(*num), command, ctx.now, open)?,
        _ => ctx.store.change(Need::Open, command, ctx.now, open)?,
    };
    let changed = match quick {
        Ok(out) => out,
        Err(num) => {
            ctx.store
                .change(Need::Num(num), command, ctx.now, |loaded| {
                    open_follow_up(&loaded.state, num).map(|_| (Draft::default(), ()))
                })?;
            ctx.store.change(Need::State, command, ctx.now, make)?
        }
    };

    let mut lines = Vec::new();
    for Changed {
        follow_up: f,
        client,
        next,
        outcome,
        ..
    } in &changed
    {
        let mut line = match how {
            Close::Done(_) if f.done_late() => {
                let late = (today - f.due).num_days();
                format!(
                    "Done #{} for {client}: {} ({late} {} late).",
                    f.num,
                    f.text,
                    days(late)
                )
            }
            Close::Done(_) => format!("Done #{} for {client}: {} (on time).", f.num, f.text),
            Close::Cancel { series: true } if f.every.is_some() => format!(
                "Cancelled #{} for {client}: {}; the series ends.",
                f.num, f.text
            ),
            Close::Cancel { .. } => format!("Cancelled #{} for {client}: {}.", f.num, f.text),
            Close::Snooze(_) => format!(
                "Snoozed #{} for {client} to {}: {}.",
                f.num,
                show_due_day(f.due, f.due_time),
                f.text
            ),
        };
        if let Some(n) = next {
            line.push_str(&format!(
                " Next: #{} due {}{}.",
                n.num,
                show_due_day(n.due, n.due_time),
                repeats(n)
            ));
        }
        if let Some(a) = outcome {
            line.push_str(&format!(" Logged #{} ({}): {}.", a.num, a.kind, a.text));
        }
        lines.push(line);
    }
    let json = Value::Array(
        changed
            .iter()
            .map(|c| {
                let with: Vec<&str> = c.with.iter().map(String::as_str).collect();
                let mut json = follow_up_json(&c.client, &with, &c.follow_up, today);
                json["next"] = json!(
                    c.next
                        .as_ref()
                        .map(|n| follow_up_json(&c.client, &with, n, today))
                );
                json["outcome"] =
                    json!(c.outcome.as_ref().map(|a| action_json(&c.client, &with, a)));
                json
            })
            .collect(),
    );
    ctx.confirm(&lines.join("\n"), json)
}

/// The open follow-up with this number, or an error saying why it can't be changed.
fn open_follow_up(state: &State, num: u64) -> Result<&FollowUp> {
    match state.by_num(num) {
        None => crate::usage!(
            "there is no follow-up #{num}; `extramile upcoming` lists the open ones (nothing was changed)"
        ),
        Some(Item::Action(_)) => {
            crate::usage!(
                "#{num} is an action, not a follow-up; `extramile upcoming` lists follow-ups (nothing was changed)"
            )
        }
        Some(Item::FollowUp(f)) if f.status != Status::Open => crate::usage!(
            "follow-up #{num} is already {} (on {}); nothing was changed",
            f.status.name(),
            f.closed_at
                .map(|at| show_date(crate::model::local_date(at)))
                .unwrap_or_default()
        ),
        Some(Item::FollowUp(f)) => Ok(f),
    }
}

/// A follow-up's text, with how often it recurs when it does: "call (every 2 weeks)".
pub fn with_period(f: &FollowUp) -> String {
    match f.every {
        Some(p) => format!("{} ({})", f.text, p.describe()),
        None => f.text.clone(),
    }
}

fn days(n: i64) -> &'static str {
    if n == 1 { "day" } else { "days" }
}

pub fn overdue(ctx: &Context, client: Option<&str>) -> Result<()> {
    let today = ctx.today();
    let state = ctx.load_open()?;
    let client_id = client
        .map(|c| state.existing_client(c).map(|c| c.id.clone()))
        .transpose()?;
    let rows: Vec<&FollowUp> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.is_overdue(today))
        .filter(|f| client_id.as_ref().is_none_or(|id| &f.client == id))
        .collect();
    ctx.print(&follow_up_view(
        "overdue",
        &state,
        &rows,
        today,
        "Nothing is overdue.",
        ctx.wants_json(),
    ))
}

pub fn upcoming(ctx: &Context, days: u32) -> Result<()> {
    let today = ctx.today();
    let state = ctx.load_open()?;
    let horizon = add_days(today, i64::from(days));
    let rows: Vec<&FollowUp> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.due <= horizon)
        .collect();
    let empty = format!("Nothing is due in the next {days} days.");
    let json = ctx.wants_json();
    ctx.print(&follow_up_view(
        "upcoming", &state, &rows, today, &empty, json,
    ))
}

/// Follow-ups, in the order given, as a table with a human "when" column; its JSON
/// only when `json` is wanted (else null): it costs more than the table.
pub fn follow_up_view(
    section: Section,
    state: &State,
    rows: &[&FollowUp],
    today: chrono::NaiveDate,
    empty: &str,
    json: bool,
) -> View {
    let mut table = Table::new(&["#", "Client", "Follow-up", "Due", "When"], empty)
        .names(&["Client"])
        .prose(&["Follow-up"])
        .dropping(&["Due"]);
    for f in rows {
        // Overdue rows stand out whole; a follow-up due today only in its "when".
        let (row_tone, when_tone) = if f.is_overdue(today) {
            (Tone::Alert, Tone::Alert)
        } else if f.due == today {
            (Tone::Plain, Tone::Bold)
        } else {
            (Tone::Plain, Tone::Plain)
        };
        table.row(vec![
            Cell::new(f.num.to_string(), row_tone),
            Cell::new(state.client_name(&f.client), row_tone),
            Cell::new(with_period(f), row_tone),
            Cell::new(show_due(f.due, f.due_time), row_tone),
            Cell::new(humanize_due(f.due, today), when_tone),
        ]);
    }
    let json = json.then(|| follow_ups_json(state, rows, today));
    View::table(section, table, json.unwrap_or(Value::Null))
}
