//! `edit`, `delete` and `undo`: correcting mistakes. Each says exactly what it changed.

use std::collections::HashMap;

use anyhow::Result;
use serde_json::json;

use super::{client_for_write, show_at, show_due};
use crate::cli::{EditArgs, Every};
use crate::context::Context;
use crate::error::UsageError;
use crate::merge::last_undoable;
use crate::model::{Record, Status, clean_tags, clean_text, local_date};
use crate::state::Item;
use crate::store::{Change, Draft, Need, Tail};

pub fn edit(ctx: &Context, args: EditArgs) -> Result<()> {
    let today = ctx.today();
    let text = args
        .text
        .as_ref()
        .map(|t| clean_text(std::slice::from_ref(t)))
        .transpose()?;
    let tags = args.tag.as_ref().map(|t| {
        clean_tags(
            &t.iter()
                .filter(|t| !t.is_empty())
                .cloned()
                .collect::<Vec<_>>(),
        )
    });
    let tags = tags.transpose()?;
    let at = args.at.map(|w| ctx.instant(w.resolve(today))).transpose()?;
    let due = args.due.map(|w| ctx.due(w)).transpose()?;
    if [
        text.is_some(),
        args.kind.is_some(),
        at.is_some(),
        args.client.is_some(),
        tags.is_some(),
        due.is_some(),
        args.every.is_some(),
        args.asked().is_some(),
        args.story().is_some(),
    ]
    .iter()
    .all(|given| !given)
    {
        return Err(UsageError::new(
            "nothing to edit; give --text, --kind, --at, --client, --tag, --due, --every, --asked, --unasked, --story or --no-story",
        )
        .into());
    }
    let changes = ctx
        .store
        .change(Need::Num(args.id), "edit", ctx.now, |loaded| {
            let state = &loaded.state;
            let mut records = Vec::new();
            let mut said = Vec::new();
            let (client, new_client) = match &args.client {
                Some(typed) => {
                    let (client, new) = client_for_write(state, typed, ctx.now, false)?;
                    (Some(client), new)
                }
                None => (None, None),
            };
            match state.by_num(args.id) {
                None => crate::usage!(
                    "there is no action or follow-up #{}; `extramile actions` lists them",
                    args.id
                ),
                Some(Item::Action(a)) => {
                    if due.is_some() || args.every.is_some() {
                        return Err(UsageError::new(format!(
                            "#{} is an action; --due and --every are for follow-ups",
                            a.num
                        ))
                        .into());
                    }
                    let mut new = a.clone();
                    if let Some(text) = text.as_ref().filter(|t| **t != a.text) {
                        said.push(format!("text '{}' → '{text}'", a.text));
                        new.text = text.clone();
                    }
                    if let Some(kind) = args.kind.filter(|k| *k != a.kind) {
                        said.push(format!("kind {} → {kind}", a.kind));
                        new.kind = kind;
                    }
                    if let Some(at) = at {
                        if local_date(at) > today {
                            return Err(UsageError::new(
                                "--at is in the future; an action records what you did",
                            )
                            .into());
                        }
                        if at != a.at {
                            said.push(format!("time {} → {}", show_at(a.at), show_at(at)));
                            new.at = at;
                        }
                    }
                    if let Some(tags) = tags.as_ref().filter(|t| **t != a.tags) {
                        said.push(format!(
                            "tags [{}] → [{}]",
                            a.tags.join(" "),
                            tags.join(" ")
                        ));
                        new.tags = tags.clone();
                    }
                    if let Some(c) = client.as_ref().filter(|c| c.id != a.client) {
                        said.push(format!(
                            "client {} → {}",
                            state.client_name(&a.client),
                            c.name
                        ));
                        new.client = c.id.clone();
                        // The people it was with are at the client it leaves.
                        new.with.clear();
                    }
                    if let Some(asked) = args.asked().filter(|asked| *asked != a.asked) {
                        said.push(if asked { "unasked → asked" } else { "asked → unasked" }.into());
                        new.asked = asked;
                    }
                    if let Some(story) = args.story().filter(|story| *story != a.story) {
                        said.push(if story { "marked a story" } else { "no longer a story" }.into());
                        new.story = story;
                    }
                    if new != *a {
                        records.push(Record::Action(new));
                    }
                }
                Some(Item::FollowUp(f)) => {
                    if args.kind.is_some()
                        || at.is_some()
                        || tags.is_some()
                        || args.asked().is_some()
                        || args.story().is_some()
                    {
                        return Err(UsageError::new(format!(
                        "#{} is a follow-up; --kind, --at, --tag, --asked, --unasked, --story and --no-story are for actions (use --due)",
                        f.num
                    ))
                    .into());
                    }
                    let mut new = f.clone();
                    if let Some(text) = text.as_ref().filter(|t| **t != f.text) {
                        said.push(format!("text '{}' → '{text}'", f.text));
                        new.text = text.clone();
                    }
                    // The new due replaces the old whole: a date alone clears its time.
                    if let Some(due) = due.filter(|d| (d.date, d.time) != (f.due, f.due_time)) {
                        said.push(format!(
                            "due {} → {}",
                            show_due(f.due, f.due_time),
                            show_due(due.date, due.time)
                        ));
                        (new.due, new.due_time) = (due.date, due.time);
                        // A recurring one's schedule moves with it.
                        new.every_from = new.every.map(|_| due.date);
                    }
                    if let Some(Every(every)) = args.every.filter(|e| e.0 != f.every) {
                        if f.status != Status::Open {
                            crate::usage!(
                                "follow-up #{} is already {}; --every is for open ones (nothing was changed)",
                                f.num,
                                f.status.name()
                            );
                        }
                        said.push(match every {
                            Some(p) => format!("repeats {}", p.describe()),
                            None => "no longer repeats".into(),
                        });
                        new.every = every;
                        new.every_from = every.map(|_| new.due);
                    }
                    if let Some(c) = client.as_ref().filter(|c| c.id != f.client) {
                        said.push(format!(
                            "client {} → {}",
                            state.client_name(&f.client),
                            c.name
                        ));
                        new.client = c.id.clone();
                        // The people it was with are at the client it leaves.
                        new.with.clear();
                    }
                    if new != *f {
                        records.push(Record::FollowUp(new));
                    }
                }
            }
            if !records.is_empty() {
                records.splice(0..0, new_client);
            }
            Ok((records.into(), said))
        })?;
    let line = if changes.is_empty() {
        format!("#{}: nothing changed.", args.id)
    } else {
        format!("Edited #{}: {}.", args.id, changes.join("; "))
    };
    ctx.confirm(&line, json!({ "id": args.id, "changes": changes }))
}

pub fn delete(ctx: &Context, num: u64) -> Result<()> {
    let what = ctx
        .store
        .change(Need::Num(num), "delete", ctx.now, |loaded| {
            let state = &loaded.state;
            let (id, what) = match state.by_num(num) {
                None => crate::usage!(
                    "there is no action or follow-up #{num}; `extramile actions` lists them"
                ),
                Some(Item::Action(a)) => (
                    a.id.clone(),
                    format!(
                        "action #{num} ({}: {})",
                        state.client_name(&a.client),
                        a.text
                    ),
                ),
                Some(Item::FollowUp(f)) => (
                    f.id.clone(),
                    format!(
                        "follow-up #{num} ({}: {})",
                        state.client_name(&f.client),
                        f.text
                    ),
                ),
            };
            Ok((vec![Record::tombstone(id, Some(num))].into(), what))
        })?;
    ctx.confirm(
        &format!("Deleted {what}. `extramile undo` brings it back."),
        json!({ "deleted": num }),
    )
}

pub fn undo(ctx: &Context) -> Result<()> {
    if !ctx.store.exists() {
        crate::usage!("there is nothing to undo (made here)");
    }
    let me = ctx.store.machine()?;
    // The newest change made here, read back from the journal's end when it says what
    // its records were before; else from the whole history.
    let quick = ctx.store.change(Need::Clients, "undo", ctx.now, |_| {
        let (target, later) = match ctx.store.undoable_tail(&me)? {
            Some(Tail::Change(target, later)) => (target, later),
            // A merge is undone whole, by a rewrite (below), not record by record.
            Some(Tail::Merge(..)) => return Ok((Draft::default(), Some(None))),
            None => return Ok((Draft::default(), None)),
        };
        // Each record's newest version, and its version before the change.
        let newest: HashMap<&str, &Record> = target
            .records
            .iter()
            .chain(later.iter().flat_map(|c| &c.records))
            .map(|r| (r.id(), r))
            .collect();
        let was: HashMap<&str, &Record> =
            target.was.iter().flatten().map(|r| (r.id(), r)).collect();
        let now = |id: &str| {
            newest
                .get(id)
                .filter(|r| !matches!(r, Record::Deleted { .. }))
                .map(|r| (*r).clone())
        };
        let before = |id: &str| was.get(id).map(|r| (*r).clone());
        let (draft, said) = revert(&target, now, before);
        Ok((draft, Some(Some(said))))
    })?;
    let said = match quick {
        Some(said) => said,
        None => ctx.store.change(Need::History, "undo", ctx.now, |loaded| {
            let Some(index) = last_undoable(&loaded.changes, &me) else {
                crate::usage!("there is nothing to undo (made here)");
            };
            let target = &loaded.changes[index];
            // A merge is undone whole, by a rewrite (below), not record by record.
            if target.command == "merge" && !target.merged.is_empty() {
                return Ok((Draft::default(), None));
            }
            if target.command == "merge" {
                crate::usage!(
                    "the newest change here is a merge of {} that brought nothing in; it only \
                     settled numbers and names, and is not undone",
                    show_at(target.at)
                );
            }
            if target.command == "compact" {
                crate::usage!(
                    "there is nothing more to undo: the history before the compaction of {} was dropped",
                    show_at(target.at)
                );
            }
            let before = crate::merge::fold(&loaded.changes[..index]);
            let (draft, said) = revert(
                target,
                |id| loaded.state.record(id),
                |id| before.record(id),
            );
            Ok((draft, Some(said)))
        })?,
    };
    let Some((heading, lines)) = said else {
        return undo_merge(ctx);
    };
    ctx.confirm(
        &format!("{heading}: {}.", lines.join("; ")),
        json!({ "undid": heading, "changes": lines }),
    )
}

/// What undoing `target` writes, given each record's version now and just before
/// `target`: each record back as it was, unless it was changed since (here, or on
/// another machine a sync brought in), which keeps that newer change.
fn revert(
    target: &Change,
    now: impl Fn(&str) -> Option<Record>,
    before: impl Fn(&str) -> Option<Record>,
) -> (Draft, (String, Vec<String>)) {
    let (mut records, mut was, mut said) = (Vec::new(), Vec::new(), Vec::new());
    for record in &target.records {
        let now = now(record.id());
        let as_left = match record {
            Record::Deleted { .. } => None,
            other => Some(other),
        };
        if now.as_ref() != as_left {
            said.push(format!(
                "kept {} as it is: it was changed since",
                label(record)
            ));
            continue;
        }
        let previous = before(record.id());
        said.push(describe_revert(record, previous.as_ref()));
        was.extend(now);
        records.push(previous.unwrap_or_else(|| Record::tombstone(record.id(), record.num())));
    }
    let heading = format!("Undid `{}` from {}", target.command, show_at(target.at));
    let draft = Draft {
        records,
        undoes: Some(target.id.clone()),
        was: Some(was),
    };
    (draft, (heading, said))
}

/// Takes out the merge that is the newest change made here (see `Store::unmerge`).
fn undo_merge(ctx: &Context) -> Result<()> {
    let Some(unmerged) = ctx.store.unmerge(ctx.now)? else {
        crate::usage!("the store changed meanwhile; run undo again");
    };
    ctx.confirm(
        &format!(
            "Undid `merge` from {}: took out the {} change(s) it brought in ({} record(s) with them); the store is as it was before it. The journal as it was is kept as {}.",
            show_at(unmerged.merged_at),
            unmerged.changes,
            unmerged.removed,
            unmerged.backup.display()
        ),
        json!({ "undid": "merge", "changes": unmerged.changes, "removed": unmerged.removed, "backup": unmerged.backup }),
    )
}

/// "removed action #12", "restored follow-up #3", "put back the earlier client Acme".
fn describe_revert(record: &Record, previous: Option<&Record>) -> String {
    match (record, previous) {
        (_, None) => format!("removed {}", label(record)),
        (Record::Deleted { .. }, Some(p)) => format!("restored {}", label(p)),
        (_, Some(p)) => format!("put back the earlier {}", label(p)),
    }
}

fn label(record: &Record) -> String {
    match record {
        Record::Client(c) => format!("client {}", c.name),
        Record::Person(p) => format!("person {}", p.name),
        Record::Action(a) => format!("action #{}", a.num),
        Record::FollowUp(f) => format!("follow-up #{}", f.num),
        Record::Deleted { .. } => "a deleted record".into(),
    }
}
