//! `edit`, `delete` and `undo`: correcting mistakes. Each says exactly what it changed.

use foldhash::{HashMap, HashMapExt};

use anyhow::Result;
use serde_json::json;

use super::{client_for_write, show_at, show_due};
use crate::cli::{EditArgs, Every};
use crate::context::Context;
use crate::error::UsageError;
use crate::merge::last_undoable;
use crate::model::{Record, Status, clean_tags, clean_text, id_hash, local_date, repeated};
use crate::state::Item;
use crate::store::{ChangeTail, Draft, Need, Spool, Store, Tail};

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
    // The newest change made here, read back from the journal's end as a stream when
    // it says what its records were before; else from the whole history.
    let quick = ctx.store.change(Need::Clients, "undo", ctx.now, |_| {
        let tail = match ctx.store.undoable_tail(&me)? {
            Some(Tail::Change(tail)) => tail,
            // A merge is undone whole, by a rewrite (below), not record by record.
            Some(Tail::Merge(_)) => return Ok((Draft::default(), Some(None))),
            Some(Tail::Nothing) => crate::usage!("there is nothing to undo (made here)"),
            None => return Ok((Draft::default(), None)),
        };
        match revert_tail(&ctx.store, tail)? {
            Some((draft, said)) => Ok((draft, Some(Some(said)))),
            None => Ok((Draft::default(), None)),
        }
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
            let mut reverted = Reverted::new(&ctx.store, &target.id);
            for record in &target.records {
                let now = loaded.state.record(record.id());
                reverted.revert(record, now, before.record(record.id()))?;
            }
            let (draft, said) = reverted.into_draft(heading(&target.command, target.at));
            Ok((draft, Some(said)))
        })?,
    };
    let Some((heading, said)) = said else {
        return undo_merge(ctx);
    };
    let mut said = said.reader()?;
    ctx.confirm_list(("undid", &heading), "changes", || said.next_value())
}

/// What undoing the change `tail` ends at writes, its records read as a stream: each
/// record back as it was, unless it was changed since (by a later change, or later in
/// that change), which keeps that newer change. `None` when its `was` does not list
/// its records' versions before in the order of its records (as every change extramile
/// writes does): then the whole history tells.
fn revert_tail(store: &Store, tail: ChangeTail) -> Result<Option<(Draft, (String, Spool))>> {
    let ChangeTail {
        target,
        mut hashes,
        was,
        later,
    } = tail;
    let as_left = |record: &Record| match record {
        Record::Deleted { .. } => None,
        other => Some(other.clone()),
    };
    // The newer versions of its records: each id's last in the change, for an id it
    // writes twice (with where it is), and each id's last in the changes after it.
    let twice = repeated(&mut hashes);
    let mut newer: HashMap<String, (Option<Record>, Option<usize>)> = HashMap::new();
    if !twice.is_empty() {
        let mut at = 0;
        let each = |record: Record| {
            if twice.contains(&id_hash(record.id())) {
                newer.insert(record.id().to_string(), (as_left(&record), Some(at)));
            }
            at += 1;
            Ok(())
        };
        store.read_change(&target, each, |_| Ok(()))?;
    }
    for line in &later {
        let each = |record: Record| {
            if hashes.binary_search(&id_hash(record.id())).is_ok() {
                newer.insert(record.id().to_string(), (as_left(&record), None));
            }
            Ok(())
        };
        store.read_change(line, each, |_| Ok(()))?;
    }
    drop(hashes);
    // Its `was` lists the versions before of the records that had one, in order.
    let mut was = was.reader()?;
    let mut next: Option<Record> = was.next_value()?;
    let mut reverted = Reverted::new(store, &target.id);
    let mut at = 0;
    store.read_change(
        &target,
        |record| {
            let before = match next.as_ref().is_some_and(|w| w.id() == record.id()) {
                true => std::mem::replace(&mut next, was.next_value()?),
                false => None,
            };
            let now = match newer.get(record.id()) {
                Some((version, written)) if *written != Some(at) => version.clone(),
                _ => as_left(&record),
            };
            at += 1;
            reverted.revert(&record, now, before)
        },
        |_| Ok(()),
    )?;
    if next.is_some() {
        return Ok(None);
    }
    Ok(Some(
        reverted.into_draft(heading(&target.command, target.at)),
    ))
}

/// "Undid `import` from 2026-11-20 10:00".
fn heading(command: &str, at: chrono::DateTime<chrono::FixedOffset>) -> String {
    format!("Undid `{command}` from {}", show_at(at))
}

/// What undoing a change writes, record by record, and says; spooled, as an import
/// may have written a million.
struct Reverted {
    undoes: String,
    records: Spool,
    was: Spool,
    said: Spool,
}

impl Reverted {
    fn new(store: &Store, undoes: &str) -> Self {
        Reverted {
            undoes: undoes.to_string(),
            records: store.spool(),
            was: store.spool(),
            said: store.spool(),
        }
    }

    /// Takes back `record`, one of the change's, given its version now and just before
    /// the change: it goes back as it was, unless it was changed since (here, or on
    /// another machine a sync brought in), which keeps that newer change.
    fn revert(
        &mut self,
        record: &Record,
        now: Option<Record>,
        before: Option<Record>,
    ) -> Result<()> {
        let as_left = match record {
            Record::Deleted { .. } => None,
            other => Some(other),
        };
        if now.as_ref() != as_left {
            let kept = format!("kept {} as it is: it was changed since", label(record));
            return self.said.push(&kept);
        }
        self.said.push(&describe_revert(record, before.as_ref()))?;
        if let Some(now) = &now {
            self.was.push(now)?;
        }
        let back = before.unwrap_or_else(|| Record::tombstone(record.id(), record.num()));
        self.records.push(&back)
    }

    /// The change that undoes it, and what it says, under `heading`.
    fn into_draft(self, heading: String) -> (Draft, (String, Spool)) {
        let draft = Draft {
            undoes: Some(self.undoes),
            spooled: Some((self.records, self.was)),
            ..Draft::default()
        };
        (draft, (heading, self.said))
    }
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
