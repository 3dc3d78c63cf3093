//! `actions`: the logged actions, filtered.

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use super::{action_json, names, show_at};
use crate::cli::ActionsArgs;
use crate::context::Context;
use crate::dates::{When, add_days};
use crate::model::{Action, local_date};
use crate::render::{Table, View};
use crate::report::start_of;
use crate::state::State;

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

pub fn run(ctx: &Context, args: ActionsArgs) -> Result<()> {
    let today = ctx.today();
    let state = load(ctx, &args, today)?;
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
    let since = bound(ctx, args.since, today)?;
    let until = bound(ctx, args.until, today)?;
    let tag = args.tag.map(|t| t.trim().to_lowercase());
    let grep = args.grep.map(|g| g.to_lowercase());

    let matches = |a: &&Action| {
        let day = local_date(a.at);
        client.is_none_or(|c| a.client == c.id)
            && person.is_none_or(|p| a.with.contains(&p.id))
            && args.kind.is_none_or(|k| a.kind == k)
            && tag.as_ref().is_none_or(|t| a.tags.contains(t))
            && since.is_none_or(|(from, at)| at.map_or(day >= from, |at| a.at >= at))
            && until.is_none_or(|(to, at)| at.map_or(day <= to, |at| a.at <= at))
            && grep
                .as_ref()
                .is_none_or(|g| a.text.to_lowercase().contains(g))
    };
    let mut rows: Vec<&Action> = state
        .actions_by_time()
        .into_iter()
        .filter(matches)
        .collect();
    if let Some(limit) = args.limit {
        rows.drain(..rows.len().saturating_sub(limit));
    }

    let mut table = Table::new(
        &["#", "When", "Client", "Kind", "Action", "Tags"],
        "No actions match.",
    )
    .names(&["Client", "Tags"])
    .prose(&["Action"])
    .dropping(&["Tags", "Kind"]);
    for a in &rows {
        table.row(vec![
            a.num.to_string().into(),
            show_at(a.at).into(),
            state.client_name(&a.client).into(),
            a.kind.name().into(),
            a.text.as_str().into(),
            a.tags.join(" ").into(),
        ]);
    }
    let json = rows
        .iter()
        .map(|a| action_json(state.client_name(&a.client), &names(&state, &a.with), a))
        .collect();
    ctx.print(&View::table("actions", table, Value::Array(json)))
}

/// Reads only the actions the filters can match when they narrow by client or from a
/// date; everything otherwise.
fn load(ctx: &Context, args: &ActionsArgs, today: NaiveDate) -> Result<State> {
    if args.client.is_none() && args.since.is_none() {
        return ctx.load();
    }
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
