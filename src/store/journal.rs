//! The journal's format: its first line, one change per line, and reading it back.

use foldhash::{HashSet, HashSetExt};
use std::cell::RefCell;
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::action_sums::DAY;
use crate::model::{Action, Record};
use crate::state::State;

/// The format this build reads and writes.
pub const FORMAT: &str = "extramile-journal";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Header {
    pub(super) format: String,
    pub(super) version: u32,
}

/// One line of the journal: what one command changed. Its records are read as a list;
/// a command that writes many gives them as a list of its own that it reads back as it
/// is written (see `store::Listed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<R = Vec<Record>> {
    pub at: DateTime<FixedOffset>,
    /// A Lamport clock: one more than the highest of the journal it was appended to,
    /// so a change made after another was seen (here, or brought in by a merge) sorts
    /// after it whatever the machines' clocks say. 0 in journals older than it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The command that made it, for the audit trail.
    pub command: String,
    pub records: R,
    /// Set on the change that `undo` writes: the change it reverts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// Set on the change that `merge` writes last: the changes the merge brought in,
    /// which `undo` takes out again as one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
    /// The versions its records had just before it, for those that existed, so `undo`
    /// takes it back without reading the history. Absent (unknown) in journals older
    /// than it and on the changes a merge writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<R>,
    /// The journal's length and CRC-32 just before this change was appended: `was`
    /// holds only while the journal still begins with those bytes (a merge that put
    /// another machine's change before this one makes it stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<(u64, u32)>,
    /// Which copy of the store made it (see `Store::machine`), so `undo` takes back
    /// only this copy's own changes, never one a sync brought in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Globally unique, so journals merge by the union of their changes. Written last,
    /// so the end of every line is unique (the snapshot checks the journal by it).
    pub id: String,
}

impl Change {
    /// Whether folding `record`, one of this change's records, into `state` takes
    /// effect. A merge's own change (settling numbers and twins, adopting orphans)
    /// never brings back an action or follow-up that a change before it deleted: so a
    /// renumbering made on one machine cannot undo a delete or an undo made on another.
    pub fn applies(&self, record: &Record, state: &State) -> bool {
        takes_effect(self.command == "merge", record, state)
    }

    /// Folds this change's records into `state` (see `applies`).
    pub fn fold_into(&self, state: &mut State) {
        fold_records(&self.command, self.seq, &self.records, state);
    }

    /// `fold_into`, taking the records.
    pub fn fold_owned(mut self, state: &mut State) {
        state.note_seq(self.seq);
        for record in std::mem::take(&mut self.records) {
            if self.applies(&record, state) {
                state.insert(record);
            }
        }
    }
}

/// Folds the records a change made by `command` wrote, with sequence number `seq`,
/// into `state` (see `Change::applies`).
pub(super) fn fold_records(command: &str, seq: u64, records: &[Record], state: &mut State) {
    state.note_seq(seq);
    for record in records {
        if takes_effect(command == "merge", record, state) {
            state.apply(record);
        }
    }
}

/// `Change::applies`, for a change that is a merge's own or not.
pub(super) fn takes_effect(merge: bool, record: &Record, state: &State) -> bool {
    !merge
        || !matches!(record, Record::Action(_) | Record::FollowUp(_))
        || !state.was_deleted(record.id())
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What reading the journal found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub state: State,
    /// Set when the last line was cut short: the number of bytes not counted.
    pub torn_bytes: usize,
    /// Every change, oldest first, when asked for (undo, check).
    pub changes: Vec<Change>,
    /// The snapshot whose records are still to be read, for `Need::Everything`, or
    /// looked up, for `Need::Lookup`.
    pub(super) indexed: Option<super::snapshot::Indexed>,
    /// How many changes after the snapshot were to actions it holds: a window read
    /// looks each one up in it, so past a few dozen the snapshot is rebuilt.
    pub(super) older_changes: usize,
}

/// Reads journal bytes into state. `path` is only for messages.
pub fn parse_journal(path: &Path, bytes: &[u8], keep_changes: bool) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(last_newline) => last_newline + 1,
        None => 0,
    };
    loaded.torn_bytes = bytes.len() - complete;
    let mut lines = bytes[..complete].split(|&b| b == b'\n');
    let header = lines.next().filter(|line| !line.is_empty());
    check_header(path, header)?;
    for (index, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let number = index + 2;
        let change: Change = serde_json::from_slice(line).map_err(|err| {
            if is_conflict_marker(line) {
                return conflict_markers(path, number);
            }
            if looks_pretty_printed(line) {
                return pretty_printed(path, number);
            }
            anyhow::anyhow!(
                "line {number} of {} is not a valid change ({err}); nothing was changed: \
                 repair or remove that line, or restore a backup",
                path.display()
            )
        })?;
        if keep_changes {
            change.fold_into(&mut loaded.state);
            loaded.changes.push(change);
        } else {
            change.fold_owned(&mut loaded.state);
        }
    }
    Ok(loaded)
}

/// The snapshot a window of actions was read from, which holds the actions outside
/// it: a change to one of those is followed through it (see `parse_changes`).
pub(super) trait Earlier {
    /// The record numbered `num` as the snapshot holds it (`Some(None)` when it holds
    /// none); `None` when it can't be read.
    fn numbered(&mut self, num: u64) -> Option<Option<Record>>;
    /// The actions timed in `from..to` (Unix seconds) as the snapshot holds them.
    fn timed(&mut self, from: i64, to: i64) -> Option<Vec<Action>>;
    /// The latest of a client's actions timed before `before` as the snapshot holds
    /// them, passing over those `skip` names (by id).
    fn latest_before(
        &mut self,
        client: &str,
        before: i64,
        skip: &dyn Fn(&str) -> bool,
    ) -> Option<Option<Action>>;
}

/// Folds the whole lines of `bytes` (the journal after a snapshot) into `state`; `None`
/// when a line does not read. A state that holds only some actions (a window of time,
/// with `State::all_actions` summing up every one) is given the snapshot it was read
/// from, `earlier`: a change to an action the state does not hold takes that version
/// out of the sums first, and a removal the sums can't follow alone (see
/// `ActionSums::settle`) is followed through the snapshot's actions on its day and
/// the client's. Such a state can't take a merge (whose renumbering it could not
/// follow).
pub(super) fn parse_changes(
    mut state: State,
    bytes: &[u8],
    mut earlier: Option<&mut dyn Earlier>,
) -> Option<Loaded> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Numbers above this were given after the snapshot: no earlier version.
    let snapshot_max = state.max_num();
    // The actions the changes made, changed or deleted, by id.
    let mut touched = HashSet::new();
    let mut older_changes = 0;
    for line in bytes[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let change: Change = serde_json::from_slice(line).ok()?;
        older_changes += change
            .records
            .iter()
            .filter(|r| match r {
                Record::Action(a) => a.num <= snapshot_max,
                Record::Deleted { num, .. } => num.is_some_and(|n| n <= snapshot_max),
                _ => false,
            })
            .count();
        if let Some(earlier) = earlier.as_deref_mut() {
            if change.command == "merge" {
                return None;
            }
            for record in &change.records {
                let (id, num) = match record {
                    Record::Action(a) => (&a.id, Some(a.num)),
                    Record::Deleted { id, num, .. } => (id, *num),
                    _ => continue,
                };
                touched.insert(id.clone());
                if state.forget_action(id) || state.was_deleted(id) {
                    continue;
                }
                match num {
                    Some(num) if num > snapshot_max => {}
                    Some(num) => {
                        if let Some(Record::Action(old)) = earlier.numbered(num)? {
                            state.forget_counted(&old);
                        }
                    }
                    // A deleted record without a number is a client.
                    None if state.clients.contains_key(id) => {}
                    None => return None,
                }
            }
        }
        change.fold_owned(&mut state);
    }
    // A removal the sums could not follow is followed through the snapshot's actions
    // on its day or the client's, with the changes' own.
    if let Some(mut sums) = state.all_actions.take() {
        let since = sums.since;
        // The changes' own actions, as they are now.
        let changed = || touched.iter().filter_map(|id| state.actions.get(id));
        let earlier = RefCell::new(earlier);
        let settled = sums.exact()
            || earlier.borrow().is_some()
                && sums.settle(
                    |day| {
                        let (from, to) = (day * DAY, (day + 1) * DAY);
                        let mut now: Vec<(i64, bool)> = (earlier.borrow_mut().as_deref_mut()?)
                            .timed(from, to)?
                            .into_iter()
                            .filter(|a| !touched.contains(&a.id))
                            .map(|a| (a.at.timestamp(), a.story))
                            .collect();
                        now.extend(
                            changed()
                                .map(|a| (a.at.timestamp(), a.story))
                                .filter(|(at, _)| (from..to).contains(at)),
                        );
                        Some(now)
                    },
                    |client| {
                        let kept = (earlier.borrow_mut().as_deref_mut()?).latest_before(
                            client,
                            since,
                            &|id| touched.contains(id),
                        )?;
                        let own = changed()
                            .filter(|a| a.client == client)
                            .map(|a| a.at.timestamp())
                            .filter(|&at| at < since);
                        Some(own.chain(kept.map(|a| a.at.timestamp())).max())
                    },
                );
        if !settled {
            return None;
        }
        state.all_actions = Some(sums);
    }
    Some(Loaded {
        state,
        torn_bytes: bytes.len() - complete,
        older_changes,
        ..Loaded::default()
    })
}

/// A line git writes around the two sides of a conflict it could not merge.
pub fn is_conflict_marker(line: &[u8]) -> bool {
    [&b"<<<<<<< "[..], b">>>>>>> ", b"||||||| "]
        .iter()
        .any(|marker| line.starts_with(marker))
        || line == b"======="
        || line.starts_with(b"<<<<<<<")
        || line.starts_with(b">>>>>>>")
}

fn conflict_markers(path: &Path, number: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{} holds git conflict markers (line {number}): git merged it line by line because \
         extramile's merge driver is not set up in this clone; nothing was changed. Set it \
         up (see the README's \"Sync and teams\"), then redo the merge of this file with: \
         git checkout -m {}",
        path.display(),
        path.file_name()
            .map_or(path.display(), |n| Path::new(n).display())
    )
}

/// A line that holds part of a JSON object spread over several lines, as an editor's
/// "format document" leaves it.
fn looks_pretty_printed(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    matches!(text, "{" | "}" | "}," | "[" | "]") || line.starts_with(b"  ")
}

fn pretty_printed(path: &Path, number: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{} looks pretty-printed (line {number} holds part of a change spread over several \
         lines); each change must stay on one line: restore the backup, or join them again \
         with: jq -c . {} > fixed.jsonl",
        path.display(),
        path.display()
    )
}

pub fn check_header(path: &Path, header: Option<&[u8]>) -> Result<()> {
    let Some(line) = header else {
        bail!(
            "{} has no format line: it is empty or was cut short, so it is not read as a new store; \
             move it aside to start afresh, or restore a backup",
            path.display()
        );
    };
    if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF")
        && serde_json::from_slice::<Header>(rest).is_ok()
    {
        bail!(
            "{} begins with a byte-order mark (an editor added 3 invisible bytes); nothing \
             was changed: remove them, e.g. with: sed -i '1s/^\\xEF\\xBB\\xBF//' {}",
            path.display(),
            path.display()
        );
    }
    if looks_pretty_printed(line) {
        return Err(pretty_printed(path, 1));
    }
    let header: Header = serde_json::from_slice(line)
        .ok()
        .filter(|h: &Header| h.format == FORMAT)
        .with_context(|| {
            format!(
                "{} is not an extramile journal (line 1 is not its format line)",
                path.display()
            )
        })?;
    if header.version > VERSION {
        bail!(
            "{} was written by a newer extramile (format version {}; this one reads up to {VERSION}): upgrade extramile",
            path.display(),
            header.version
        );
    }
    Ok(())
}

/// The format line of journal bytes, newline included.
pub fn journal_header(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1)]
}

/// A journal line of a change made by `command` with these records, for tests.
#[cfg(test)]
pub(super) fn test_line(seq: u64, command: &str, records: Vec<Record>) -> Vec<u8> {
    let change = Change {
        id: format!("k{seq}"),
        at: DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
        seq,
        by: None,
        command: command.into(),
        records,
        undoes: None,
        merged: Vec::new(),
        was: None,
        follows: None,
    };
    let mut bytes = serde_json::to_vec(&change).unwrap();
    bytes.push(b'\n');
    bytes
}

/// Action #`num` (id `a{num}`, "note {num}") at client `c`, for tests.
#[cfg(test)]
pub(super) fn test_action(num: u64, at: DateTime<FixedOffset>) -> Record {
    Record::Action(crate::model::Action {
        id: format!("a{num}"),
        num,
        client: "c".into(),
        kind: crate::model::Kind::Idea,
        text: format!("note {num}"),
        at,
        tags: vec![],
        by: None,
        follows_up: None,
        asked: false,
        story: false,
        with: vec![],
    })
}

/// Follow-up #`num` (id `f{num}`, "call {num}") at client `c`, done at `closed_at`
/// when given, else open; for tests.
#[cfg(test)]
pub(super) fn test_follow_up(
    num: u64,
    created: DateTime<FixedOffset>,
    due: chrono::NaiveDate,
    closed_at: Option<DateTime<FixedOffset>>,
) -> Record {
    use crate::model::Status;
    Record::FollowUp(crate::model::FollowUp {
        id: format!("f{num}"),
        num,
        client: "c".into(),
        text: format!("call {num}"),
        due,
        due_time: None,
        status: if closed_at.is_some() {
            Status::Done
        } else {
            Status::Open
        },
        created,
        closed_at,
        snoozes: 0,
        action: None,
        by: None,
        every: None,
        every_from: None,
        with: vec![],
    })
}
