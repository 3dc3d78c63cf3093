//! `log` and `follow-up`: recording what was done and what was promised.

use anyhow::Result;
use serde_json::json;

use super::{
    action_json, client_for_write, follow_up_json, new_people_notes, people_for_write, repeats,
    show_day, show_due_day,
};
use crate::cli::{FollowUpArgs, LogArgs};
use crate::context::Context;
use crate::dates::Resolved;
use crate::error::UsageError;
use crate::model::{
    Action, FollowUp, Period, Record, Status, clean_tags, clean_text, local_date, new_id,
};
use crate::render::shorten;
use crate::store::Need;

pub fn log(ctx: &Context, args: LogArgs) -> Result<()> {
    let text = clean_text(&args.text)?;
    let tags = clean_tags(&args.tag)?;
    let today = ctx.today();
    let at = match args.at {
        None => ctx.now,
        Some(when) => {
            let at = ctx.instant(when.resolve(today))?;
            if local_date(at) > today {
                return Err(UsageError::new(format!(
                    "--at {} is in the future; an action records what you did (for a promise, use --follow-up)",
                    show_day(local_date(at))
                ))
                .into());
            }
            at
        }
    };
    let due = args.follow_up.map(|when| ctx.due(when)).transpose()?;
    let follow_up_text = match &args.follow_up_text {
        Some(t) => clean_text(std::slice::from_ref(t))?,
        None => format!("Follow up: {}", shorten(&text, 80)),
    };

    let (client, is_new, new_people, with, action, follow_up) =
        ctx.store.change(Need::Clients, "log", ctx.now, |loaded| {
            let (client, new_client) =
                client_for_write(&loaded.state, &args.client, ctx.now, args.new)?;
            let (people, new_people) =
                people_for_write(&loaded.state, &client, &args.with, ctx.now, args.new)?;
            let with: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
            let mut numbers = loaded.state.fresh_numbers();
            let (num, next) = (
                numbers.next().unwrap_or(u64::MAX),
                numbers.next().unwrap_or(u64::MAX),
            );
            let action = Action {
                id: new_id(),
                num,
                client: client.id.clone(),
                kind: args.kind,
                text,
                at,
                tags,
                by: loaded.state.machine().map(str::to_string),
                follows_up: None,
                asked: args.asked,
                story: args.story,
                with: with.clone(),
            };
            let follow_up = due.map(|due| FollowUp {
                action: Some(action.id.clone()),
                by: action.by.clone(),
                with,
                ..new_follow_up(ctx, next, &client.id, follow_up_text, due, args.every)
            });
            let is_new = new_client.is_some();
            let mut records: Vec<Record> = new_client.into_iter().collect();
            records.extend(new_people.iter().cloned());
            records.push(Record::Action(action.clone()));
            records.extend(follow_up.clone().map(Record::FollowUp));
            let with: Vec<String> = people.into_iter().map(|p| p.name).collect();
            let new_people = new_people_notes(&loaded.state, &client.name, &new_people);
            Ok((
                records.into(),
                (client, is_new, new_people, with, action, follow_up),
            ))
        })?;

    note_new(ctx, &client.name, is_new, &new_people);
    if let Some(f) = &follow_up {
        note_if_overdue(ctx, f, today);
    }
    let mut line = format!(
        "Logged #{} for {} ({}) on {}.",
        action.num,
        client.name,
        action.kind,
        show_day(local_date(action.at))
    );
    if let Some(f) = &follow_up {
        line.push_str(&format!(
            " Follow-up #{} due {}{}.",
            f.num,
            show_due_day(f.due, f.due_time),
            repeats(f)
        ));
    }
    let with: Vec<&str> = with.iter().map(String::as_str).collect();
    let json = json!({
        "action": action_json(&client.name, &with, &action),
        "follow_up": follow_up.as_ref().map(|f| follow_up_json(&client.name, &with, f, today)),
    });
    ctx.confirm(&line, json)
}

pub fn follow_up(ctx: &Context, args: FollowUpArgs) -> Result<()> {
    let text = clean_text(&args.text)?;
    let today = ctx.today();
    let due = ctx.due(args.due)?;
    let (client, is_new, new_people, with, follow_up) =
        ctx.store
            .change(Need::Clients, "follow-up", ctx.now, |loaded| {
                let (client, new_client) =
                    client_for_write(&loaded.state, &args.client, ctx.now, args.new)?;
                let (people, new_people) =
                    people_for_write(&loaded.state, &client, &args.with, ctx.now, args.new)?;
                let follow_up = FollowUp {
                    by: loaded.state.machine().map(str::to_string),
                    with: people.iter().map(|p| p.id.clone()).collect(),
                    ..new_follow_up(
                        ctx,
                        loaded.state.next_num(),
                        &client.id,
                        text,
                        due,
                        args.every,
                    )
                };
                let is_new = new_client.is_some();
                let mut records: Vec<Record> = new_client.into_iter().collect();
                records.extend(new_people.iter().cloned());
                records.push(Record::FollowUp(follow_up.clone()));
                let with: Vec<String> = people.into_iter().map(|p| p.name).collect();
                let new_people = new_people_notes(&loaded.state, &client.name, &new_people);
                Ok((
                    records.into(),
                    (client, is_new, new_people, with, follow_up),
                ))
            })?;
    note_new(ctx, &client.name, is_new, &new_people);
    note_if_overdue(ctx, &follow_up, today);
    let line = format!(
        "Follow-up #{} for {} due {}{}.",
        follow_up.num,
        client.name,
        show_due_day(follow_up.due, follow_up.due_time),
        repeats(&follow_up)
    );
    let with: Vec<&str> = with.iter().map(String::as_str).collect();
    ctx.confirm(
        &line,
        follow_up_json(&client.name, &with, &follow_up, today),
    )
}

/// Says so when a write added the client, or people at it (`new_people_notes`).
fn note_new(ctx: &Context, client: &str, is_new: bool, new_people: &[String]) {
    if is_new {
        ctx.notice(&format!("New client: {client}"));
    }
    for line in new_people {
        ctx.notice(line);
    }
}

/// Says so when a follow-up just scheduled is due before today.
fn note_if_overdue(ctx: &Context, follow_up: &FollowUp, today: chrono::NaiveDate) {
    if follow_up.due < today {
        ctx.notice(&format!(
            "note: #{} is already overdue (due {})",
            follow_up.num,
            show_due_day(follow_up.due, follow_up.due_time)
        ));
    }
}

fn new_follow_up(
    ctx: &Context,
    num: u64,
    client: &str,
    text: String,
    due: Resolved,
    every: Option<Period>,
) -> FollowUp {
    FollowUp {
        id: new_id(),
        num,
        client: client.to_string(),
        text,
        due: due.date,
        due_time: due.time,
        status: Status::Open,
        created: ctx.now,
        closed_at: None,
        snoozes: 0,
        action: None,
        by: None,
        every,
        every_from: every.map(|_| due.date),
        with: Vec::new(),
    }
}
