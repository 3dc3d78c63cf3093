//! `actions`: the logged actions, filtered.

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use super::{action_json, names, show_at};
use crate::cli::ActionsArgs;
use crate::context::Context;
use crate::dates::{When, add_days};
use crate::model::{Action, Kind, local_date};
use crate::render::{Cell, Columns, Rows, Table, Values, View};
use crate::report::start_of;
use crate::state::State;
use crate::store::Everything;

/// A `--since` or `--until` bound: its day, and the instant it names when it gives a
/// time of day.
type Bound = (NaiveDate, Option<DateTime<FixedOffset>>);

fn bound(ctx: &Context, when: Option<When>, today: NaiveDate) -> Result<Option<Bound>> {
    let Some(when) = when.map(|w| w.resolve(today)) else {
        return Ok(None);
    };
    let at = when.time.map(|_| ctx.instant(when)).transpose()?;
    Ok(Some((when.date, at)))
}

/// The longest `--since` window (without `--client`) read whole into memory, in days:
/// two months, what `report month` reads. A longer one is streamed as `actions`
/// without flags is, so its memory stays the same whatever it holds.
const HELD_DAYS: i64 = 62;

pub fn run(ctx: &Context, args: ActionsArgs) -> Result<()> {
    let today = ctx.today();
    let held = args.client.is_some()
        || args
            .since
            .is_some_and(|w| w.resolve(today).date >= add_days(today, -HELD_DAYS));
    if !held {
        return print_all(ctx, &args, today);
    }
    let state = load_window(ctx, &args, today)?;
    let filter = Filter::new(ctx, &state, &args, today)?;
    let mut rows: Vec<&Action> = state
        .actions_by_time()
        .into_iter()
        .filter(|a| filter.matches(a))
        .collect();
    if let Some(limit) = args.limit {
        rows.drain(..rows.len().saturating_sub(limit));
    }
    let table = Table {
        columns: columns(),
        rows: rows.iter().map(|a| cells(&state, a)).collect(),
    };
    let json = match ctx.wants_json() {
        true => Value::Array(rows.iter().map(|a| json(&state, a)).collect()),
        false => Value::Null,
    };
    ctx.print(&View::table("actions", table, json))
}

/// The table's columns, wherever its rows come from.
fn columns() -> Columns {
    Columns::new(
        &["#", "When", "Client", "Kind", "Action", "Tags"],
        "No actions match.",
    )
    .names(&["Client", "Tags"])
    .prose(&["Action"])
    .dropping(&["Tags", "Kind"])
}

fn cells(state: &State, a: &Action) -> Vec<Cell> {
    vec![
        a.num.to_string().into(),
        show_at(a.at).into(),
        state.client_name(&a.client).into(),
        a.kind.name().into(),
        a.text.as_str().into(),
        a.tags.join(" ").into(),
    ]
}

fn json(state: &State, a: &Action) -> Value {
    action_json(state.client_name(&a.client), &names(state, &a.with), a)
}

/// What the flags keep, resolved against the store: ids for the client and the person.
struct Filter {
    client: Option<String>,
    person: Option<String>,
    kind: Option<Kind>,
    tag: Option<String>,
    since: Option<Bound>,
    until: Option<Bound>,
    grep: Option<String>,
}

impl Filter {
    /// Refuses a client or person no one is called, or a bound that names no time here,
    /// before anything is printed.
    fn new(ctx: &Context, state: &State, args: &ActionsArgs, today: NaiveDate) -> Result<Filter> {
        let client = args
            .client
            .as_deref()
            .map(|c| state.existing_client(c))
            .transpose()?;
        let person = args
            .with
            .as_deref()
            .map(|typed| state.existing_person(client, typed))
            .transpose()?;
        Ok(Filter {
            client: client.map(|c| c.id.clone()),
            person: person.map(|p| p.id.clone()),
            kind: args.kind,
            tag: args.tag.as_ref().map(|t| t.trim().to_lowercase()),
            since: bound(ctx, args.since, today)?,
            until: bound(ctx, args.until, today)?,
            grep: args.grep.as_ref().map(|g| g.to_lowercase()),
        })
    }

    fn matches(&self, a: &Action) -> bool {
        let day = local_date(a.at);
        self.client.as_ref().is_none_or(|c| a.client == *c)
            && self.person.as_ref().is_none_or(|p| a.with.contains(p))
            && self.kind.is_none_or(|k| a.kind == k)
            && self.tag.as_ref().is_none_or(|t| a.tags.contains(t))
            && self
                .since
                .is_none_or(|(from, at)| at.map_or(day >= from, |at| a.at >= at))
            && self
                .until
                .is_none_or(|(to, at)| at.map_or(day <= to, |at| a.at <= at))
            && self
                .grep
                .as_ref()
                .is_none_or(|g| a.text.to_lowercase().contains(g))
    }
}

/// Every action, when no flag narrows them to a client or to the last two months:
/// printed as they are read from the store, never all held, from `--since` on. With
/// `--limit`, a first pass counts the matches, so the rows before the newest N are
/// known and passed over.
fn print_all(ctx: &Context, args: &ActionsArgs, today: NaiveDate) -> Result<()> {
    let mut all = ctx.load_everything()?;
    let filter = Filter::new(ctx, &all.state, args, today)?;
    let mut matching = Matching {
        all: &mut all,
        filter,
        skip: 0,
    };
    if let Some(limit) = args.limit {
        let mut count: usize = 0;
        matching.each(|_, _| {
            count += 1;
            Ok(())
        })?;
        matching.skip = count.saturating_sub(limit);
    }
    ctx.print_rows(&columns(), &mut matching)
}

/// The actions `filter` keeps, after the first `skip` of them, read from the store
/// again for every pass over them.
struct Matching<'a> {
    all: &'a mut Everything,
    filter: Filter,
    skip: usize,
}

impl Matching<'_> {
    fn each(&mut self, mut each: impl FnMut(&State, &Action) -> Result<()>) -> Result<()> {
        let (filter, mut skip) = (&self.filter, self.skip);
        // A day before the bound's day: whatever the time zone did that day, no action
        // the filter keeps is passed over.
        let from = filter
            .since
            .map_or(i64::MIN, |(day, _)| start_of(add_days(day, -1)).timestamp());
        self.all.each_action_from(from, |state, a| {
            if !filter.matches(a) {
                return Ok(());
            }
            if skip > 0 {
                skip -= 1;
                return Ok(());
            }
            each(state, a)
        })
    }
}

impl Rows for Matching<'_> {
    fn each(&mut self, row: &mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<()> {
        Matching::each(self, |state, a| row(&cells(state, a)))
    }
}

impl Values for Matching<'_> {
    fn each_value(&mut self, value: &mut dyn FnMut(&Value) -> Result<()>) -> Result<()> {
        Matching::each(self, |state, a| value(&json(state, a)))
    }
}

/// Reads only the actions the filters can match: those of `--client`, from `--since`.
fn load_window(ctx: &Context, args: &ActionsArgs, today: NaiveDate) -> Result<State> {
    let client = match &args.client {
        Some(typed) => Some(
            ctx.store
                .load_clients()?
                .state
                .existing_client(typed)?
                .id
                .clone(),
        ),
        None => None,
    };
    // Whole days around the bounds, so a bound with a time of day is applied later.
    let from = args
        .since
        .map_or(i64::MIN, |w| start_of(w.resolve(today).date).timestamp());
    let to = args.until.map_or(i64::MAX, |w| {
        start_of(add_days(w.resolve(today).date, 1)).timestamp()
    });
    let loaded = ctx.store.load_window(from, to, client.as_deref())?;
    ctx.warn_torn(loaded.torn_bytes);
    Ok(loaded.state)
}
