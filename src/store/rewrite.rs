//! Rewriting the journal whole: `compact` and `merge`. Each keeps the old journal as a
//! timestamped backup, checks the new one by reading it back, and replaces the old one
//! through a temp file, fsync, rename and fsync of the directory.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};

use super::files::{self, write_atomically};
use super::journal::{Change, Loaded, journal_header, parse_journal};
use super::{MergeTail, Store, Tail, snapshot, stream, union};
use crate::merge::Renumbered;
use crate::model::Record;
use crate::state::State;

/// What `merge` did.
#[derive(Debug, Default)]
pub struct MergeReport {
    /// Changes that were new here.
    pub added: usize,
    /// Ids of the records both sides changed (the newest change won), and their names.
    pub both_changed: Vec<String>,
    pub names: Vec<String>,
    /// (old number, new number, id) of each incoming record renumbered, and its name.
    pub renumbered: Renumbered,
    pub renumbered_names: Vec<String>,
    pub backup: Option<PathBuf>,
}

/// What undoing a merge did.
#[derive(Debug)]
pub struct Unmerged {
    pub merged_at: DateTime<FixedOffset>,
    /// Changes taken out, and records that went with them.
    pub changes: usize,
    pub removed: usize,
    pub backup: PathBuf,
}

/// What `compact` did.
#[derive(Debug)]
pub struct Compacted {
    pub before: u64,
    pub after: u64,
    pub changes_before: usize,
    pub changes_after: usize,
    pub backup: PathBuf,
}

/// "action #12 (Acme: sent the deck)", for reports.
fn describe(state: &State, id: &str) -> String {
    match state.record(id) {
        Some(Record::Action(a)) => format!(
            "action #{} ({}: {})",
            a.num,
            state.client_name(&a.client),
            a.text
        ),
        Some(Record::FollowUp(f)) => format!(
            "follow-up #{} ({}: {})",
            f.num,
            state.client_name(&f.client),
            f.text
        ),
        Some(Record::Client(c)) => format!("client {}", c.name),
        _ => format!("a record deleted on one side ({id})"),
    }
}

/// The journal a merge leaves: `header`, the union's changes, and a last change that
/// settles what both sides did independently (see `merge::settle`) and, when `mark` is
/// set, lists the changes brought in so that `undo` can take them out as one. Every
/// incoming record is checked as `log` checks what it writes, and the merged store
/// must keep every invariant; it is read back before it is returned. `by` is the copy
/// merging (its number range), `history` changes not merged that may know a client a
/// record needs (see `merge::adopt_orphans`). Returns its bytes, state and the
/// renumbering.
pub fn merged_journal(
    header: &[u8],
    union: crate::merge::Union,
    ours: &State,
    at: DateTime<FixedOffset>,
    mark: bool,
    by: &str,
    history: &[Change],
) -> Result<(Vec<u8>, State, Renumbered)> {
    let mut changes = union.changes;
    let incoming: foldhash::HashSet<&str> = union.added.iter().map(String::as_str).collect();
    for change in changes.iter().filter(|c| incoming.contains(c.id.as_str())) {
        for record in &change.records {
            crate::validate::record(record).map_err(|err| {
                crate::error::UsageError::new(format!(
                    "the incoming change {} is refused: {err}; nothing was merged",
                    change.id
                ))
            })?;
        }
    }
    // Records left pointing at a client that is gone are adopted first; then what both
    // sides did independently is settled. One change holds both, newest last.
    let mut state = crate::merge::fold(&changes);
    let home = state.numbering.is_home(by);
    state.set_machine(by, home);
    let adopted = crate::merge::adopt_orphans(&changes, history, &state);
    for record in &adopted {
        state.apply(record);
    }
    let (settled, mapping) = crate::merge::settle(&state, ours);
    let mut records: Vec<Record> = adopted
        .into_iter()
        .filter(|a| !settled.iter().any(|s| s.id() == a.id()))
        .collect();
    records.extend(settled);
    if !records.is_empty() || (mark && !union.added.is_empty()) {
        let seq = changes.iter().map(|c| c.seq).max().unwrap_or(0) + 1;
        changes.push(Change {
            at,
            seq,
            command: "merge".into(),
            records,
            undoes: None,
            merged: if mark { union.added } else { Vec::new() },
            was: None,
            follows: None,
            by: Some(by.to_string()),
            id: crate::model::new_id(),
        });
    }
    let mut bytes = header.to_vec();
    for change in &changes {
        bytes.extend(serde_json::to_vec(change)?);
        bytes.push(b'\n');
    }
    let state = parse_journal(Path::new("the merged journal"), &bytes, false)?.state;
    crate::validate::whole(&state, "this merge")?;
    Ok((bytes, state, mapping))
}

/// For git: a three-way merge of journals, written over `ours`. What `theirs` added
/// since `base` is brought in, and what it took out since `base` (a revert) is taken
/// out of ours too; so a cherry-pick brings exactly the picked changes. An empty base
/// (both sides added the file) is a plain union. A journal that can't be read fails
/// the merge (exit 1), which git reports as a conflict. As streams when nothing needs
/// settling (see `union`), else in memory. Returns how many changes were brought in
/// and how many records renumbered.
pub fn merge_three_way(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    at: DateTime<FixedOffset>,
) -> Result<(usize, usize)> {
    let plan = union::Plan {
        ours: union::Journal::open(ours)?,
        theirs: vec![union::Journal::open(theirs)?],
        base: Some(union::Journal::open(base)?),
        mark: false,
        by: "merge-driver",
        at,
    };
    if let Some(merged) = union::merge(plan, ours)? {
        files::put_in_place(&merged.temp, ours)
            .with_context(|| format!("could not write {}", ours.display()))?;
        return Ok((merged.added.len(), 0));
    }
    three_way_in_memory(base, ours, theirs, at)
}

/// `merge_three_way`, with the journals read whole.
pub(super) fn three_way_in_memory(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    at: DateTime<FixedOffset>,
) -> Result<(usize, usize)> {
    let read =
        |path: &Path| fs::read(path).with_context(|| format!("could not read {}", path.display()));
    let (base_bytes, ours_bytes, theirs_bytes) = (read(base)?, read(ours)?, read(theirs)?);
    let mine = parse_journal(ours, &ours_bytes, true)?;
    let their_changes = parse_journal(theirs, &theirs_bytes, true)?.changes;
    let base_changes = if base_bytes.is_empty() {
        Vec::new()
    } else {
        parse_journal(base, &base_bytes, true)?.changes
    };
    let (kept, new) = crate::merge::three_way(&base_changes, &mine.changes, &their_changes);
    let union = crate::merge::union(&kept, &new);
    let added = union.added.len();
    let header = journal_header(&ours_bytes);
    let (bytes, _, renumbered) = merged_journal(
        header,
        union,
        &mine.state,
        at,
        false,
        "merge-driver",
        &base_changes,
    )?;
    write_atomically(ours, &bytes)
        .with_context(|| format!("could not write {}", ours.display()))?;
    Ok((added, renumbered.len()))
}

impl Store {
    /// Replaces the journal's `old` bytes with `new` ones holding `state`: the old
    /// journal is kept as a timestamped backup first (never removed by a later one), the
    /// new one goes through a temp file, fsync, rename and fsync of the directory, and
    /// the snapshot is rewritten. Returns the backup's path.
    fn replace(
        &self,
        old: &[u8],
        new: &[u8],
        state: &State,
        at: DateTime<FixedOffset>,
    ) -> Result<PathBuf> {
        let backup = self.backup_path(at);
        write_atomically(&backup, old).with_context(|| {
            format!(
                "could not write the backup {}; nothing was changed",
                backup.display()
            )
        })?;
        write_atomically(&self.journal, new).with_context(|| {
            format!(
                "could not replace {}; it is as it was",
                self.journal.display()
            )
        })?;
        let _ = fs::remove_file(self.snapshot_path());
        if let Ok(metadata) = fs::metadata(&self.journal) {
            let len = new.len() as u64;
            let stamp = snapshot::Stamp::of(&metadata);
            self.write_snapshot(state, len, crc32fast::hash(new), metadata.len(), stamp);
        }
        Ok(backup)
    }

    /// Folds other journals into this one: the union of the changes (see `merge`), and
    /// new numbers for incoming records whose numbers collide. Rewrites the journal as
    /// `compact` does, keeping a backup; writes nothing when there is nothing new. As
    /// streams when nothing needs settling (see `union`), else in memory.
    pub fn merge(&self, others: &[PathBuf], at: DateTime<FixedOffset>) -> Result<MergeReport> {
        let _lock = self.lock_exclusive()?;
        let by = self.machine()?;
        // Into no journal yet: into one of just the first merged journal's format line.
        let empty = match (self.journal.exists(), others.first()) {
            (true, _) | (false, None) => None,
            (false, Some(first)) => header_only(first, &self.journal)?,
        };
        if self.journal.exists() || empty.is_some() {
            let ours = empty.as_deref().unwrap_or(&self.journal);
            let plan = (others.iter().map(|other| union::Journal::open(other)))
                .collect::<Result<_>>()
                .and_then(|theirs| {
                    Ok(union::Plan {
                        ours: union::Journal::open(ours)?,
                        theirs,
                        base: None,
                        mark: true,
                        by: &by,
                        at,
                    })
                });
            let merged = plan.and_then(|plan| union::merge(plan, &self.journal));
            if let Some(empty) = &empty {
                let _ = fs::remove_file(empty);
            }
            if let Some(merged) = merged? {
                return self.put_merged(merged, at);
            }
        }
        self.merge_in_memory(others, at, &by)
    }

    /// Puts the journal a streamed merge wrote in place, unless it brings nothing in.
    fn put_merged(&self, merged: union::Merged, at: DateTime<FixedOffset>) -> Result<MergeReport> {
        let union::Merged {
            temp,
            added,
            both_changed,
        } = merged;
        let mut report = MergeReport {
            added: added.len(),
            ..MergeReport::default()
        };
        if added.is_empty() {
            let _ = fs::remove_file(&temp);
            return Ok(report);
        }
        if self.journal.exists() {
            report.backup = Some(self.put_in_place(&temp, at)?);
        } else {
            files::put_in_place(&temp, &self.journal)?;
            let _ = self.write_index();
        }
        let (file, len, _) = self.open_journal()?;
        let named = stream::fold_only(&file, len, both_changed.iter().cloned().collect())
            .unwrap_or_default();
        report.names = both_changed.iter().map(|id| describe(&named, id)).collect();
        report.both_changed = both_changed;
        Ok(report)
    }

    /// `merge`, with the journals read whole: what settles what both sides did
    /// independently needs every record.
    pub(super) fn merge_in_memory(
        &self,
        others: &[PathBuf],
        at: DateTime<FixedOffset>,
        by: &str,
    ) -> Result<MergeReport> {
        // A journal that exists must read, as for every other command (an empty file is
        // refused, not overwritten).
        let exists = self.journal.exists();
        let old = if exists {
            self.read_bytes()?
        } else {
            Vec::new()
        };
        let mine = if exists {
            parse_journal(&self.journal, &old, true)?
        } else {
            Loaded::default()
        };
        let mut header = exists.then(|| journal_header(&old).to_vec());
        let mut union = crate::merge::Union {
            changes: mine.changes,
            added: Vec::new(),
            both_changed: Vec::new(),
        };
        for other in others {
            let bytes =
                fs::read(other).with_context(|| format!("could not read {}", other.display()))?;
            let theirs = parse_journal(other, &bytes, true)?;
            header.get_or_insert_with(|| journal_header(&bytes).to_vec());
            let next = crate::merge::union(&union.changes, &theirs.changes);
            union.added.extend(next.added);
            union.both_changed.extend(next.both_changed);
            union.changes = next.changes;
        }
        let header = header.context("nothing to merge")?;
        let mut report = MergeReport {
            added: union.added.len(),
            both_changed: std::mem::take(&mut union.both_changed),
            ..MergeReport::default()
        };
        let (new, state, mapping) = merged_journal(&header, union, &mine.state, at, true, by, &[])?;
        report.renumbered = mapping;
        if report.added == 0 && report.renumbered.is_empty() {
            return Ok(report);
        }
        report.backup = if !exists {
            write_atomically(&self.journal, &new)?;
            None
        } else {
            Some(self.replace(&old, &new, &state, at)?)
        };
        report.both_changed.sort();
        report.both_changed.dedup();
        report.names = report
            .both_changed
            .iter()
            .map(|id| describe(&state, id))
            .collect();
        report.renumbered_names = report
            .renumbered
            .iter()
            .map(|(_, _, id)| describe(&state, id))
            .collect();
        Ok(report)
    }

    /// Undoes `merge` when it is the newest change still in effect: the journal is
    /// rewritten without the changes the merge brought in, its own last change, and
    /// what came after it (changes undone and their undos), so it is again what it
    /// was before the merge; the journal as it was is kept as a backup. `None` when
    /// the newest change in effect is not a merge.
    /// The merge is found from the journal's end and taken out as a stream, in memory
    /// that holds the changes it brought in; when only the whole history can tell
    /// which change is the newest in effect, the journal is read whole.
    pub fn unmerge(&self, at: DateTime<FixedOffset>) -> Result<Option<Unmerged>> {
        let _lock = self.lock_exclusive()?;
        if !self.journal.exists() {
            return Ok(None);
        }
        let me = self.machine()?;
        let Some(Tail::Merge(MergeTail {
            target,
            merged,
            later,
        })) = self.undoable_tail(&me)?
        else {
            return self.unmerge_in_memory(&me, at);
        };
        let dropped = merged
            .iter()
            .chain(later.iter().map(|line| &line.id))
            .chain([&target.id]);
        let journal = union::Journal::open(&self.journal)?;
        let Some((temp, taken_out)) = union::without(&journal, dropped, &self.journal)? else {
            return self.unmerge_in_memory(&me, at);
        };
        // The records those changes wrote, as they were and as they are without them.
        let touched: foldhash::HashSet<String> = taken_out
            .iter()
            .flat_map(|c| c.records.iter().map(|r| r.id().to_string()))
            .collect();
        let was = stream::fold_only(&journal.file, journal.len, touched.clone());
        let after = union::Journal::open(&temp)?;
        let now = stream::fold_only(&after.file, after.len, touched.clone());
        let (Some(was), Some(now)) = (was, now) else {
            let _ = fs::remove_file(&temp);
            return self.unmerge_in_memory(&me, at);
        };
        let held = |id: &String| {
            was.actions.contains_key(id)
                || was.follow_ups.contains_key(id)
                || was.clients.contains_key(id)
        };
        let removed = touched
            .iter()
            .filter(|id| held(id) && !now.contains(id))
            .count();
        Ok(Some(Unmerged {
            merged_at: target.at,
            changes: merged.len(),
            removed,
            backup: self.put_in_place(&temp, at)?,
        }))
    }

    /// `unmerge`, with the journal read whole.
    pub(super) fn unmerge_in_memory(
        &self,
        me: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<Option<Unmerged>> {
        let bytes = self.read_bytes()?;
        let loaded = parse_journal(&self.journal, &bytes, true)?;
        let Some(index) = crate::merge::last_undoable(&loaded.changes, me) else {
            return Ok(None);
        };
        let target = &loaded.changes[index];
        if target.command != "merge" || target.merged.is_empty() {
            return Ok(None);
        }
        let mut dropped: foldhash::HashSet<&str> =
            target.merged.iter().map(String::as_str).collect();
        dropped.extend(loaded.changes[index..].iter().map(|c| c.id.as_str()));
        // Keep every other line exactly as it is.
        let complete = bytes.len() - loaded.torn_bytes;
        let mut lines = bytes[..complete].split_inclusive(|&b| b == b'\n');
        let mut new = lines.next().unwrap_or_default().to_vec();
        let mut kept = Vec::new();
        for line in lines.filter(|l| l.len() > 1) {
            let change: Change = serde_json::from_slice(line)?;
            if !dropped.contains(change.id.as_str()) {
                new.extend_from_slice(line);
                kept.push(change);
            }
        }
        let state = crate::merge::fold(&kept);
        let before = &loaded.state;
        let removed = before
            .actions
            .keys()
            .chain(before.follow_ups.keys())
            .chain(before.clients.keys())
            .filter(|id| !state.contains(id))
            .count();
        let backup = self.replace(&bytes, &new, &state, at)?;
        Ok(Some(Unmerged {
            merged_at: target.at,
            changes: target.merged.len(),
            removed,
            backup,
        }))
    }

    /// Replaces the journal with the checked journal `temp`, as `replace` does, copying
    /// the old one to a backup first as a stream; the snapshot is rebuilt from the new
    /// one. Returns the backup's path.
    fn put_in_place(&self, temp: &Path, at: DateTime<FixedOffset>) -> Result<PathBuf> {
        let backup = self.backup_path(at);
        let copied = fs::File::open(&self.journal)
            .map_err(anyhow::Error::from)
            .and_then(|mut old| {
                files::write_atomically_with(&backup, |out| {
                    std::io::copy(&mut old, out)?;
                    Ok(())
                })
            });
        if let Err(err) = copied {
            let _ = fs::remove_file(temp);
            return Err(err).with_context(|| {
                format!(
                    "could not write the backup {}; nothing was changed",
                    backup.display()
                )
            });
        }
        files::put_in_place(temp, &self.journal).with_context(|| {
            format!(
                "could not replace {}; it is as it was",
                self.journal.display()
            )
        })?;
        let _ = fs::remove_file(self.snapshot_path());
        let _ = self.write_index();
        Ok(backup)
    }

    /// `journal.jsonl.backup-20261120T100000`, or with `-2`, `-3`… when taken.
    pub(super) fn backup_path(&self, at: DateTime<FixedOffset>) -> PathBuf {
        let stamp = at.format("%Y%m%dT%H%M%S").to_string();
        (1..)
            .map(|n| {
                self.beside(&if n == 1 {
                    format!(".backup-{stamp}")
                } else {
                    format!(".backup-{stamp}-{n}")
                })
            })
            .find(|path| !path.exists())
            .expect("an unused name")
    }
}

/// A temp file beside `beside` holding only `journal`'s format line, for a merge into
/// no journal yet; `None` when it has none that reads (the merge in memory says why).
fn header_only(journal: &Path, beside: &Path) -> Result<Option<PathBuf>> {
    let file =
        fs::File::open(journal).with_context(|| format!("could not read {}", journal.display()))?;
    let mut line = Vec::new();
    BufReader::new(file.take(4096)).read_until(b'\n', &mut line)?;
    if line.pop() != Some(b'\n') || super::check_header(journal, Some(&line)).is_err() {
        return Ok(None);
    }
    line.push(b'\n');
    files::write_temp(beside, |out| Ok(out.write_all(&line)?)).map(Some)
}
