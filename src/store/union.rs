//! `merge` and `merge-driver` as streams: the union of journals (see `crate::merge`)
//! in memory that holds a key per change and the changes brought in, never the
//! history's records. Each journal is read a few times; the merged journal is written
//! to a temp file, ours copied byte for byte with each new change put in its place
//! (newest last, as `merge::union` orders them), and checked as `check` checks a
//! journal. When what it holds needs settling (two clients or two people at a client
//! of one name, a number given twice, a record whose client or person is gone) or a
//! three-way merge takes changes out (a revert), `None` says so, and the caller
//! merges in memory instead, which settles them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::files;
use super::journal::Change;
use super::newest;
use super::stream::{self, Field, Sink};
use crate::error::UsageError;
use crate::model::Record;

/// A change's id as 128 bits (see `newest::key`).
type Key = [u64; 2];

/// A journal to read: the file, and how many of its bytes.
pub(super) struct Journal {
    pub file: File,
    pub len: u64,
}

impl Journal {
    pub fn open(path: &Path) -> Result<Journal> {
        let file =
            File::open(path).with_context(|| format!("could not read {}", path.display()))?;
        let len = file.metadata()?.len();
        Ok(Journal { file, len })
    }
}

/// The merged journal, written and synced to a temp file beside the journal merged
/// into, for `files::put_in_place`.
pub(super) struct Merged {
    pub temp: PathBuf,
    /// The ids of the changes brought in, in the order they were brought.
    pub added: Vec<String>,
    /// The ids of the records changed on both sides since they parted, sorted.
    pub both_changed: Vec<String>,
}

/// What the merge is: whose changes, and what the merge's own change says.
pub(super) struct Plan<'a> {
    pub ours: Journal,
    pub theirs: Vec<Journal>,
    /// Git's merge base, for a three-way merge (`merge-driver`).
    pub base: Option<Journal>,
    /// Writes the merge's own change listing the changes brought in, so that `undo`
    /// takes them out as one.
    pub mark: bool,
    pub by: &'a str,
    pub at: DateTime<FixedOffset>,
}

/// Merges `plan.theirs` into `plan.ours` as streams, into a temp file beside `beside`;
/// `None` when the merge must be done in memory (see the module's comment; also when a
/// journal does not read as a stream, which the merge in memory names exactly).
pub(super) fn merge(plan: Plan, beside: &Path) -> Result<Option<Merged>> {
    let mut ours = plan.ours;
    let mut temps = Temps(Vec::new());
    let (mut added, mut both_changed, mut seq) = (Vec::new(), Vec::new(), 0);
    let base = plan.base.as_ref();
    for theirs in &plan.theirs {
        let Some(new) = new_changes(&ours, theirs, base)? else {
            return Ok(None);
        };
        let mut gave_way = false;
        let temp = files::write_temp(beside, |out| {
            let Some(step) = write_union(&ours, theirs, new, out)? else {
                gave_way = true;
                anyhow::bail!("the journal does not read as a stream");
            };
            seq = step.seq;
            added.extend(step.added);
            both_changed.extend(step.both_changed);
            Ok(())
        });
        if gave_way {
            return Ok(None);
        }
        let temp = temp?;
        ours = Journal::open(&temp)?;
        temps.0.push(temp);
    }
    if plan.mark && !added.is_empty() {
        let change: Change = Change {
            at: plan.at,
            seq: seq + 1,
            command: "merge".into(),
            records: Vec::new(),
            undoes: None,
            merged: added.clone(),
            was: None,
            follows: None,
            by: Some(plan.by.to_string()),
            id: crate::model::new_id(),
        };
        let mut line = serde_json::to_vec(&change)?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(temps.0.last().context("a merged journal")?)?;
        file.write_all(&line)?;
        file.sync_all()?;
        ours = Journal::open(temps.0.last().expect("a merged journal"))?;
    }
    let Some(dir) = temps.0.last().and_then(|temp| temp.parent()) else {
        return Ok(None);
    };
    if !settled(&ours, dir)? {
        return Ok(None);
    }
    both_changed.sort();
    both_changed.dedup();
    let temp = temps.0.pop().expect("a merged journal");
    Ok(Some(Merged {
        temp,
        added,
        both_changed,
    }))
}

/// Temp files made on the way, removed when dropped (the last is taken when it is
/// the merged journal).
struct Temps(Vec<PathBuf>);

impl Drop for Temps {
    fn drop(&mut self) {
        for temp in &self.0 {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Whether the merged journal holds nothing that `merge::settle` or
/// `merge::adopt_orphans` would change: it checks clean (every breach of the store's
/// invariants is something they settle, or a store the merge must refuse), and no
/// two people at a client have one name.
fn settled(merged: &Journal, dir: &Path) -> Result<bool> {
    Ok(
        match super::verify::streamed(&merged.file, merged.len, dir)? {
            Some((health, people)) => {
                health.problems.is_empty() && !crate::merge::has_twin_people(people.values())
            }
            None => false,
        },
    )
}

/// The changes of `theirs` to bring into `ours`: those `ours` does not have (and, in a
/// three-way merge, that `base` did not have: theirs added them since), each with its
/// line and id's key, in the order of `theirs`; and the keys of `theirs`' changes,
/// sorted. `None` when a journal does not read as a stream, or when a three-way merge
/// takes out changes of ours (theirs reverted them since `base`).
fn new_changes(ours: &Journal, theirs: &Journal, base: Option<&Journal>) -> Result<Option<New>> {
    // The changes that are not new: ours' (or base's, in a three-way merge).
    let known = match base {
        Some(base) if base.len == 0 => Some(Vec::new()),
        Some(base) => keys(base)?,
        None => keys(ours)?,
    };
    let Some(known) = known else {
        return Ok(None);
    };
    let (mut theirs_keys, mut new) = (Vec::new(), Vec::new());
    let mut pass = Heads::<Record, _>::new(None, |head: &Head, _: &[String]| {
        let key = newest::key(&head.id);
        theirs_keys.push(key);
        if known.binary_search(&key).is_err() {
            new.push((head.line, key));
        }
    });
    let Some(read) = stream::read(&theirs.file, theirs.len, &mut pass) else {
        return Ok(None);
    };
    drop(pass);
    theirs_keys.sort_unstable();
    if base.is_some() {
        // What theirs took out since base, if ours has it, is a revert to bring in: the
        // merge in memory does that. Else, what both added (a cherry-pick) is ours.
        let taken_out: Vec<Key> = known
            .into_iter()
            .filter(|key| theirs_keys.binary_search(key).is_err())
            .collect();
        let Some(ours_keys) = keys(ours)? else {
            return Ok(None);
        };
        if taken_out
            .iter()
            .any(|key| ours_keys.binary_search(key).is_ok())
        {
            return Ok(None);
        }
        new.retain(|(_, key)| ours_keys.binary_search(key).is_err());
    } else {
        drop(known);
    }
    let lines: Vec<usize> = new.iter().map(|(line, _)| *line).collect();
    drop(new);
    // The new changes, each record checked as `log` checks one.
    let mut pass = Incoming {
        lines: &lines,
        wanted: false,
        head: Head::default(),
        refused: None,
        changes: Vec::new(),
        touched: Vec::new(),
    };
    let again = stream::read(&theirs.file, theirs.len, &mut pass);
    if let Some(refused) = pass.refused {
        return Err(UsageError::new(refused).into());
    }
    if again != Some(read) {
        anyhow::bail!("a journal changed while it was merged; nothing was merged");
    }
    let Incoming {
        changes,
        mut touched,
        ..
    } = pass;
    touched.sort_unstable();
    touched.dedup();
    Ok(Some(New {
        changes,
        touched,
        theirs_keys,
    }))
}

/// What `new_changes` found.
struct New {
    /// The new changes, in the order of theirs: each one's line and what sorts it.
    changes: Vec<Head>,
    /// The keys of the ids of the records they write, sorted.
    touched: Vec<Key>,
    theirs_keys: Vec<Key>,
}

/// Reads the changes on `lines` (sorted), checking each record and keeping its id's
/// key; a record refused stops the read.
struct Incoming<'l> {
    lines: &'l [usize],
    wanted: bool,
    head: Head,
    /// Why a record of this change is refused, until its id is read.
    refused: Option<String>,
    changes: Vec<Head>,
    touched: Vec<Key>,
}

impl Sink for Incoming<'_> {
    type Record = Record;

    fn line(&mut self, number: usize) -> Result<(), String> {
        self.wanted = self.lines.binary_search(&number).is_ok();
        self.head = Head::on(number);
        Ok(())
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        self.head.note(field);
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        if self.wanted {
            if let Err(err) = crate::validate::record(&record) {
                self.refused.get_or_insert(err.to_string());
            }
            self.touched.push(newest::key(record.id()));
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        if !self.wanted {
            return Ok(());
        }
        let head = std::mem::take(&mut self.head);
        if let Some(err) = self.refused.take() {
            let refused = format!(
                "the incoming change {} is refused: {err}; nothing was merged",
                head.id
            );
            self.refused = Some(refused.clone());
            return Err(refused);
        }
        self.changes.push(head);
        Ok(())
    }
}

/// What one union wrote.
struct Step {
    added: Vec<String>,
    both_changed: Vec<String>,
    /// The highest Lamport clock of the merged journal.
    seq: u64,
}

/// Writes the union of `ours` and `new` to `out`: ours' lines as they are (up to its
/// last newline), each new change before the first change of ours that is newer (see
/// `merge::union`). `None` when ours does not read as a stream.
fn write_union(
    ours: &Journal,
    theirs: &Journal,
    new: New,
    out: &mut impl Write,
) -> Result<Option<Step>> {
    let New {
        changes,
        touched,
        theirs_keys,
    } = new;
    let order = |c: &Head| (c.seq, c.at, c.id.clone());
    // Where each new change goes: before which line of ours.
    let (mut before, mut next, mut seq) = (Vec::new(), 0, 0);
    let mut both_changed = Vec::new();
    let mut pass = Heads::<Id, _>::new(Some(&touched), |head: &Head, touched: &[String]| {
        seq = seq.max(head.seq);
        let this = order(head);
        while next < changes.len() && order(&changes[next]) < this {
            before.push(head.line);
            next += 1;
        }
        if !touched.is_empty() && theirs_keys.binary_search(&newest::key(&head.id)).is_err() {
            both_changed.extend_from_slice(touched);
        }
    });
    let Some((complete_len, crc)) = stream::read(&ours.file, ours.len, &mut pass) else {
        return Ok(None);
    };
    drop(pass);
    drop(touched);
    let mut copy = Copy::new(&ours.file, complete_len)?;
    // Theirs' new lines are copied as they are, as ours' are.
    let mut copy_theirs = Copy::new(&theirs.file, theirs.len)?;
    for (change, line) in changes
        .iter()
        .zip(before.iter().map(Some).chain(std::iter::repeat(None)))
    {
        match line {
            Some(&line) => copy.through(line, out)?,
            None => copy.through(usize::MAX, out)?,
        }
        copy_theirs.through(change.line, &mut std::io::sink())?;
        copy_theirs.through(change.line + 1, out)?;
        seq = seq.max(change.seq);
    }
    copy.rest(out, crc)?;
    Ok(Some(Step {
        added: changes.into_iter().map(|c| c.id).collect(),
        both_changed,
        seq,
    }))
}

/// Copies a journal's bytes line by line.
struct Copy<'f> {
    reader: BufReader<std::io::Take<&'f File>>,
    /// The line the next byte begins (the format line is line 1).
    line: usize,
    crc: crc32fast::Hasher,
}

impl<'f> Copy<'f> {
    fn new(mut file: &'f File, len: u64) -> Result<Copy<'f>> {
        file.seek(SeekFrom::Start(0))?;
        Ok(Copy {
            reader: BufReader::with_capacity(256 * 1024, file.take(len)),
            line: 1,
            crc: crc32fast::Hasher::new(),
        })
    }

    /// Copies every line left to `out`; the bytes read must be those a pass read
    /// before, whose CRC-32 is `crc`.
    fn rest(mut self, out: &mut impl Write, crc: u32) -> Result<()> {
        self.through(usize::MAX, out)?;
        if self.crc.finalize() != crc {
            anyhow::bail!("a journal changed while it was merged; nothing was merged");
        }
        Ok(())
    }

    /// Copies the lines before line `end` (or every line left) to `out`.
    fn through(&mut self, end: usize, out: &mut impl Write) -> Result<()> {
        while self.line < end {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                break;
            }
            let (n, ends) = match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (buffer.len(), false),
            };
            out.write_all(&buffer[..n])?;
            self.crc.update(&buffer[..n]);
            self.reader.consume(n);
            self.line += usize::from(ends);
        }
        Ok(())
    }
}

/// `journal` without the changes of the ids `dropped`, written and synced to a temp
/// file beside `beside`, and those changes; every other line as it is. `None` when the
/// journal does not read as a stream.
pub(super) fn without<'a>(
    journal: &Journal,
    dropped: impl IntoIterator<Item = &'a String>,
    beside: &Path,
) -> Result<Option<(PathBuf, Vec<Change>)>> {
    let mut dropped: Vec<Key> = dropped.into_iter().map(|id| newest::key(id)).collect();
    dropped.sort_unstable();
    let mut lines = Vec::new();
    let mut pass = Heads::<Id, _>::new(None, |head: &Head, _: &[String]| {
        if dropped.binary_search(&newest::key(&head.id)).is_ok() {
            lines.push(head.line);
        }
    });
    let Some(read) = stream::read(&journal.file, journal.len, &mut pass) else {
        return Ok(None);
    };
    drop(pass);
    let changes = read_lines(journal, &lines, read)?;
    let temp = files::write_temp(beside, |out| {
        let mut copy = Copy::new(&journal.file, read.0)?;
        for &line in &lines {
            copy.through(line, out)?;
            copy.through(line + 1, &mut std::io::sink())?;
        }
        copy.rest(out, read.1)
    })?;
    Ok(Some((temp, changes)))
}

/// The changes on `lines` (sorted) of `journal`, read whole; `read` is what a pass
/// over it found (its complete length and CRC), which these bytes must match.
fn read_lines(journal: &Journal, lines: &[usize], read: (u64, u32)) -> Result<Vec<Change>> {
    let mut copy = Copy::new(&journal.file, read.0)?;
    let mut changes = Vec::with_capacity(lines.len());
    let mut sink = std::io::sink();
    for &line in lines {
        copy.through(line, &mut sink)?;
        let mut bytes = Vec::new();
        copy.through(line + 1, &mut bytes)?;
        changes.push(serde_json::from_slice(&bytes)?);
    }
    copy.rest(&mut sink, read.1)?;
    Ok(changes)
}

/// The sorted keys of a journal's changes' ids; `None` when it does not read as a
/// stream.
fn keys(journal: &Journal) -> Result<Option<Vec<Key>>> {
    let mut keys = Vec::new();
    let mut pass = Heads::<Record, _>::new(None, |head: &Head, _: &[String]| {
        keys.push(newest::key(&head.id));
    });
    let read = stream::read(&journal.file, journal.len, &mut pass);
    drop(pass);
    keys.sort_unstable();
    Ok(read.map(|_| keys))
}

/// What a pass learns of each change but its records.
#[derive(Default)]
struct Head {
    line: usize,
    seq: u64,
    at: DateTime<FixedOffset>,
    id: String,
}

impl Head {
    /// The head of the change that begins on line `number`.
    fn on(number: usize) -> Head {
        Head {
            line: number,
            ..Head::default()
        }
    }

    /// Takes what `field` says of the change.
    fn note(&mut self, field: Field) {
        match field {
            Field::Seq(seq) => self.seq = seq,
            Field::At(at) => self.at = at,
            Field::Id(id) => self.id = id,
            _ => {}
        }
    }
}

/// A record read only for its id.
#[derive(Deserialize)]
struct Id {
    id: String,
}

/// A record a pass reads: all of it (to take what the whole read takes), or its id.
trait Identified: DeserializeOwned {
    fn id(&self) -> &str;
}

impl Identified for Record {
    fn id(&self) -> &str {
        Record::id(self)
    }
}

impl Identified for Id {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Hands `each` every change's head and the ids among `watch` its records have.
struct Heads<'w, R, F> {
    head: Head,
    watch: Option<&'w [Key]>,
    touched: Vec<String>,
    each: F,
    record: std::marker::PhantomData<R>,
}

impl<'w, R, F: FnMut(&Head, &[String])> Heads<'w, R, F> {
    fn new(watch: Option<&'w [Key]>, each: F) -> Self {
        Heads {
            head: Head::default(),
            watch,
            touched: Vec::new(),
            each,
            record: std::marker::PhantomData,
        }
    }
}

impl<R: Identified, F: FnMut(&Head, &[String])> Sink for Heads<'_, R, F> {
    type Record = R;

    fn line(&mut self, number: usize) -> Result<(), String> {
        self.head = Head::on(number);
        self.touched.clear();
        Ok(())
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        self.head.note(field);
        Ok(())
    }

    fn record(&mut self, record: R) -> Result<(), String> {
        let watched = |watch: &[Key]| {
            !watch.is_empty() && watch.binary_search(&newest::key(record.id())).is_ok()
        };
        if self.watch.is_some_and(watched) {
            self.touched.push(record.id().to_string());
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        (self.each)(&self.head, &self.touched);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rewrite::{merge_three_way, three_way_in_memory};
    use crate::store::{Store, parse_journal, same_records};
    use proptest::prelude::*;

    const HEADER: &str = "{\"format\":\"extramile-journal\",\"version\":1}\n";

    fn write(path: &Path, changes: &[Change]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut bytes = HEADER.as_bytes().to_vec();
        for change in changes {
            bytes.extend(serde_json::to_vec(change).unwrap());
            bytes.push(b'\n');
        }
        std::fs::write(path, bytes).unwrap();
    }

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T12:00:00+01:00").unwrap()
    }

    /// A journal's changes, but the id of the merge's own change.
    fn changes(path: &Path) -> Vec<Change> {
        let bytes = std::fs::read(path).unwrap();
        let mut changes = parse_journal(path, &bytes, true).unwrap().changes;
        for change in changes.iter_mut().filter(|c| c.command == "merge") {
            change.id = String::new();
        }
        changes
    }

    fn same_journals(a: &Path, b: &Path) -> bool {
        let read = |path: &Path| {
            let bytes = std::fs::read(path).unwrap();
            parse_journal(path, &bytes, false).unwrap().state
        };
        same_records(&read(a), &read(b)) && changes(a) == changes(b)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn a_merge_as_streams_writes_what_the_merge_in_memory_writes(
            ops in proptest::collection::vec((any::<bool>(), 0u8..4, 0u8..8), 0..16),
        ) {
            let (a, b) = crate::merge::tests::journals(&ops);
            let dir = tempfile::tempdir().unwrap();
            let path = |name: &str| dir.path().join(name);
            write(&path("theirs.jsonl"), &b);
            for store in ["streamed", "in-memory"] {
                write(&path(&format!("{store}/journal.jsonl")), &a);
            }
            let streamed = Store::open(&path("streamed/journal.jsonl"));
            let in_memory = Store::open(&path("in-memory/journal.jsonl"));
            // One copy of the store, as far as the numbers it gives go.
            let by = in_memory.machine().unwrap();
            std::fs::copy(path("in-memory/journal.jsonl.machine"), path("streamed/journal.jsonl.machine")).unwrap();
            let theirs = [path("theirs.jsonl")];
            let one = streamed.merge(&theirs, at()).map_err(|e| e.to_string());
            let other = in_memory.merge_in_memory(&theirs, at(), &by).map_err(|e| e.to_string());
            let merged = match (one, other) {
                (Ok(one), Ok(other)) => {
                    prop_assert_eq!(one.added, other.added);
                    prop_assert_eq!(one.both_changed, other.both_changed);
                    prop_assert_eq!(one.names, other.names);
                    prop_assert_eq!(one.renumbered.len(), other.renumbered.len());
                    one.added > 0
                }
                (one, other) => {
                    prop_assert_eq!(one.err(), other.err());
                    false
                }
            };
            prop_assert!(same_journals(streamed.path(), in_memory.path()));
            if merged {
                let one = streamed.unmerge(at()).unwrap().unwrap();
                let other = in_memory.unmerge_in_memory(&by, at()).unwrap().unwrap();
                prop_assert_eq!((one.changes, one.removed), (other.changes, other.removed));
                prop_assert!(same_journals(streamed.path(), in_memory.path()));
                prop_assert_eq!(changes(streamed.path()), a.clone());
            }

            // Into a store with no journal yet.
            for store in ["fresh-streamed", "fresh-in-memory"] {
                std::fs::create_dir_all(path(store)).unwrap();
            }
            let streamed = Store::open(&path("fresh-streamed/journal.jsonl"));
            let in_memory = Store::open(&path("fresh-in-memory/journal.jsonl"));
            let by = in_memory.machine().unwrap();
            std::fs::copy(path("fresh-in-memory/journal.jsonl.machine"), path("fresh-streamed/journal.jsonl.machine")).unwrap();
            let report = |r: Result<crate::store::MergeReport>| r.map(|r| (r.added, r.backup)).map_err(|e| e.to_string());
            prop_assert_eq!(report(streamed.merge(&theirs, at())), report(in_memory.merge_in_memory(&theirs, at(), &by)));
            prop_assert_eq!(streamed.path().exists(), in_memory.path().exists());
            if in_memory.path().exists() {
                prop_assert!(same_journals(streamed.path(), in_memory.path()));
            }

            // Three ways, from the journal both began with.
            write(&path("base.jsonl"), &a[..1]);
            for side in ["ours", "ours-in-memory"] {
                write(&path(&format!("{side}.jsonl")), &a);
            }
            let one = merge_three_way(&path("base.jsonl"), &path("ours.jsonl"), &theirs[0], at())
                .map_err(|e| e.to_string());
            let other = three_way_in_memory(&path("base.jsonl"), &path("ours-in-memory.jsonl"), &theirs[0], at())
                .map_err(|e| e.to_string());
            prop_assert_eq!(one, other);
            prop_assert!(same_journals(&path("ours.jsonl"), &path("ours-in-memory.jsonl")));
        }
    }

    #[test]
    fn a_merge_as_streams_keeps_every_line_of_ours_as_it_is() {
        let (a, b) = crate::merge::tests::journals(&[(false, 0, 0)]);
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("journal.jsonl");
        let theirs = dir.path().join("theirs.jsonl");
        write(&theirs, &b);
        // A field this version does not know, from a newer one: kept as it is.
        let mut line = serde_json::to_value(&a[0]).unwrap();
        line["later"] = serde_json::json!({"kept": true});
        let before = format!("{HEADER}{line}\n");
        std::fs::write(&ours, &before).unwrap();
        let report = Store::open(&ours).merge(&[theirs], at()).unwrap();
        assert_eq!(report.added, 1);
        let after = std::fs::read_to_string(&ours).unwrap();
        assert!(after.starts_with(&before), "{after}");
        let backup = std::fs::read_to_string(report.backup.unwrap()).unwrap();
        assert_eq!(backup, before);
        assert_eq!(changes(&ours).len(), 3);
    }
}
