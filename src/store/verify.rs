//! `check`, in memory that does not grow with the records: the journal read as a
//! stream, and the snapshot compared with it by tally.
//!
//! The journal is read twice. The first pass keeps a key of each record's id with its
//! kind and number (28 bytes a record), and the clients and people whole (they are
//! few); each id's versions are then replayed as `State::insert` takes them, which
//! finds the current records. The second pass reads the records again and keeps only
//! the actions and follow-ups that may breach an invariant, the names and lines of the
//! few records the replay asked about, and each change's id. What it reports is what
//! `crate::check::check` reports for the same bytes, in the same order; a journal with
//! a line that does not read is read whole by that instead, which names each such line.

use foldhash::{HashMap, HashMapExt};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::compact::Tally;
use super::journal::parse_changes;
use super::snapshot::{self, Part};
use super::stream::{self, Field, Sink};
use super::{Everything, Store, files, newest};
use crate::check::Health;
use crate::model::{Client, Person, Record, Status, Type};
use crate::validate::{Checker, Numbered};

impl Store {
    /// Checks the journal (see `crate::check::check`) under a shared lock: as a stream
    /// when every line reads, else read whole.
    pub fn check(&self) -> Result<Health> {
        self.usable()?;
        let _lock = self.lock_shared();
        let (file, len, _) = self.open_journal()?;
        match streamed(&file, len, files::dir_of(&self.journal))? {
            Some((health, _)) => Ok(health),
            None => Ok(crate::check::check(&self.read_whole(&file, len)?)),
        }
    }

    /// What is wrong with the snapshot, if anything: damaged (a checksum fails), stale
    /// (made for journal bytes that have since changed), or disagreeing with the
    /// journal (what it and the journal after it hold are not the journal's records,
    /// or not its highest number: a `Tally` of each is compared).
    pub(super) fn snapshot_problem(&self) -> Result<Option<String>> {
        let (mut file, len, stamp) = self.open_journal()?;
        // The journal's tally first, so what it keeps meanwhile is given back before the
        // snapshot's indexes are read.
        let (journal, _) = Tally::of(&file, len).ok_or_else(|| self.unreadable(&file, len))?;
        let path = self.snapshot_path();
        let checked = snapshot::read(&path, Part::Indexes, None)
            .and_then(|mut snap| snap.verify().then_some(snap));
        let Some(mut snap) = checked else {
            return Ok(Some(DAMAGED.to_string()));
        };
        if !self.believe(&mut file, &snap, len, stamp, true)? {
            return Ok(Some(STALE.to_string()));
        }
        let covers = snap.mark.covers;
        let mut delta = Vec::new();
        (&file).seek(SeekFrom::Start(covers))?;
        (&file).take(len - covers).read_to_end(&mut delta)?;
        let agrees = match parse_changes(std::mem::take(&mut snap.state), &delta, None) {
            Some(after) => {
                let mut everything = Everything::through(after.state, snap, path);
                let Ok(tally) = Tally::of_everything(&mut everything) else {
                    return Ok(Some(DAMAGED.to_string()));
                };
                tally == journal
            }
            None => false,
        };
        Ok((!agrees).then(|| "the snapshot disagrees with the journal".to_string()))
    }
}

const DAMAGED: &str = "the snapshot is damaged (a checksum does not match)";
const STALE: &str = "the snapshot is stale: the journal bytes it was made from have changed \
                     since (edited by hand, or replaced)";

/// Entries `check` gathers before it sorts them and spills them to a temp file
/// beside the journal (15 MB).
const RUN: usize = 1 << 19;

/// Checks the journal `file`, `len` bytes long, as a stream, and gives its people too;
/// `None` when a line does not read (or the file changed between the passes). A temp
/// file, if one is needed, goes in `dir`.
pub(super) fn streamed(
    file: &File,
    len: u64,
    dir: &Path,
) -> io::Result<Option<(Health, HashMap<String, Person>)>> {
    streamed_in_runs(file, len, dir, RUN)
}

/// `streamed`, spilling runs of `run` entries.
fn streamed_in_runs(
    file: &File,
    len: u64,
    dir: &Path,
    run: usize,
) -> io::Result<Option<(Health, HashMap<String, Person>)>> {
    let mut scan = Scan {
        entries: Runs::new(dir, run),
        merges: Vec::new(),
        clients: HashMap::new(),
        people: HashMap::new(),
        line_start: 0,
        merge: false,
        changes: 0,
        error: None,
    };
    let Some(first) = stream::read(file, len, &mut scan) else {
        return scan.error.map_or(Ok(None), Err);
    };
    let Scan {
        entries,
        merges,
        clients,
        people,
        changes,
        ..
    } = scan;
    let records = entries.len as u32;
    let current = Current::replay(records, entries.sorted()?, &merges)?;
    let mut details = Details::new(&current, Checker::new(&clients, &people));
    if stream::read(file, len, &mut details) != Some(first) || details.occurrence != records {
        return Ok(None);
    }
    let mut health = Health {
        bytes: len as usize,
        changes,
        clients: clients.len(),
        people: people.len(),
        actions: current.count(Type::Action),
        follow_ups: current.count(Type::FollowUp),
        open_follow_ups: details.open,
        ..Health::default()
    };
    health.torn((len - first.0) as usize);
    details.report(&mut health);
    Ok(Some((health, people)))
}

/// A record's or a change's id as 128 bits (see `newest::key`), in 32-bit parts so an
/// entry packs in 28 bytes.
type Key = [u32; 4];

fn key(id: &str) -> Key {
    let [high, low] = newest::key(id);
    [
        (high >> 32) as u32,
        high as u32,
        (low >> 32) as u32,
        low as u32,
    ]
}

/// The id a key was made from, when it is exact (see `newest::id_of`).
fn id_of(key: Key) -> Option<String> {
    let half = |at: usize| u64::from(key[at]) << 32 | u64::from(key[at + 1]);
    newest::id_of([half(0), half(2)])
}

/// A number that does not fit an entry, or none (any such is out of range anyway).
const NO_NUM: u32 = u32::MAX;

/// One record read in the first pass.
#[derive(Clone, Copy)]
struct Entry {
    key: Key,
    /// Its place among the records read.
    occurrence: u32,
    /// An action's or a follow-up's number (or `NO_NUM`).
    num: u32,
    of: Type,
    /// It is in a merge's own change (see `Change::applies`).
    merge: bool,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 28);

/// The first pass: an entry for each record, the clients and people folded whole.
struct Scan {
    entries: Runs,
    /// The occurrences of the records in each merge's own change, in order.
    merges: Vec<std::ops::Range<u32>>,
    clients: HashMap<String, Client>,
    people: HashMap<String, Person>,
    /// Where this change's records begin: it is told whether it is a merge's at its end.
    line_start: u32,
    merge: bool,
    changes: usize,
    /// Why the entries could not be spilled.
    error: Option<io::Error>,
}

impl Sink for Scan {
    type Record = Record;

    fn field(&mut self, field: Field) -> Result<(), String> {
        if let Field::Command(command) = field {
            self.merge = command == "merge";
        }
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        let occurrence = u32::try_from(self.entries.len)
            .ok()
            .filter(|&o| o != u32::MAX)
            .ok_or("more than 4 billion records")?;
        let num = match &record {
            Record::Action(a) => a.num,
            Record::FollowUp(f) => f.num,
            _ => u64::from(NO_NUM),
        };
        let entry = Entry {
            key: key(record.id()),
            occurrence,
            num: u32::try_from(num).unwrap_or(NO_NUM),
            of: record.of(),
            merge: false,
        };
        if let Err(err) = self.entries.push(entry) {
            let said = err.to_string();
            self.error = Some(err);
            return Err(said);
        }
        // Clients and people are always folded in (a merge keeps out only actions and
        // follow-ups), and a tombstone takes any record out.
        match record {
            Record::Client(client) => {
                self.clients.insert(client.id.clone(), client);
            }
            Record::Person(person) => {
                self.people.insert(person.id.clone(), person);
            }
            Record::Deleted { id, .. } => {
                self.clients.remove(&id);
                self.people.remove(&id);
            }
            Record::Action(_) | Record::FollowUp(_) => {}
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        let end = self.entries.len as u32;
        if std::mem::take(&mut self.merge) && self.line_start < end {
            self.merges.push(self.line_start..end);
        }
        self.line_start = end;
        self.changes += 1;
        Ok(())
    }
}

/// The entries, each `run` of them sorted by id (then as read) and spilled to a temp
/// file once there are more: what `check` holds stays the same as a journal grows.
/// An entry's kind is spilled as its place in `TYPES`, the order `Type` declares.
struct Runs {
    dir: PathBuf,
    run: usize,
    /// The run being gathered.
    held: Vec<Entry>,
    /// The temp file once made, and where each run in it begins.
    file: Option<Spilled>,
    starts: Vec<u64>,
    /// How many entries in all.
    len: usize,
}

/// An entry's bytes in a run: its key, occurrence and number, and its kind.
const ENTRY_BYTES: usize = 16 + 4 + 4 + 1;
const TYPES: [Type; 5] = [
    Type::Client,
    Type::Person,
    Type::Action,
    Type::FollowUp,
    Type::Deleted,
];

impl Runs {
    fn new(dir: &Path, run: usize) -> Runs {
        Runs {
            dir: dir.to_path_buf(),
            run,
            held: Vec::new(),
            file: None,
            starts: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, entry: Entry) -> io::Result<()> {
        self.held.push(entry);
        self.len += 1;
        if self.held.len() >= self.run {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the run gathered and writes it to the temp file.
    fn spill(&mut self) -> io::Result<()> {
        let spilled = match &mut self.file {
            Some(spilled) => spilled,
            None => {
                // `check` reads a journal it may not write beside: then the system's
                // temp folder takes the runs.
                let (file, path) = super::build::spill_file(&self.dir)
                    .or_else(|_| super::build::spill_file(&std::env::temp_dir()))?;
                self.file.insert(Spilled(Some(file), path))
            }
        };
        let file = spilled.0.as_ref().ok_or(io::ErrorKind::NotFound)?;
        self.held.sort_unstable_by_key(|e| (e.key, e.occurrence));
        let mut out = io::BufWriter::with_capacity(1 << 16, file);
        self.starts.push(out.seek(SeekFrom::End(0))?);
        for e in self.held.drain(..) {
            for part in e.key {
                out.write_all(&part.to_le_bytes())?;
            }
            out.write_all(&e.occurrence.to_le_bytes())?;
            out.write_all(&e.num.to_le_bytes())?;
            out.write_all(&[e.of as u8])?;
        }
        out.flush()
    }

    /// Every entry, by id and then as read: merged from the runs, or sorted in memory
    /// when none was spilled.
    fn sorted(mut self) -> io::Result<Box<dyn Iterator<Item = io::Result<Entry>>>> {
        if self.file.is_none() {
            self.held.sort_unstable_by_key(|e| (e.key, e.occurrence));
            return Ok(Box::new(self.held.into_iter().map(Ok)));
        }
        if !self.held.is_empty() {
            self.spill()?;
        }
        self.held = Vec::new();
        let spilled = self.file.take().expect("spilled");
        let file = spilled.0.as_ref().expect("open");
        let end = (&*file).seek(SeekFrom::End(0))?;
        let ends = self.starts[1..].iter().copied().chain([end]);
        let mut cursors: Vec<Cursor> = (self.starts.iter().copied().zip(ends))
            .map(|(at, end)| Cursor {
                at,
                end,
                bytes: Vec::new(),
                read: 0,
            })
            .collect();
        // The next entry of each run, and the runs by their next entry's order.
        let mut next = Vec::with_capacity(cursors.len());
        let mut heap = std::collections::BinaryHeap::new();
        for (run, cursor) in cursors.iter_mut().enumerate() {
            let e = cursor.next(file)?;
            if let Some(e) = e {
                heap.push(std::cmp::Reverse((e.key, e.occurrence, run)));
            }
            next.push(e);
        }
        Ok(Box::new(std::iter::from_fn(move || {
            let std::cmp::Reverse((.., run)) = heap.pop()?;
            let e = next[run].take()?;
            match cursors[run].next(spilled.0.as_ref()?) {
                Ok(Some(n)) => {
                    heap.push(std::cmp::Reverse((n.key, n.occurrence, run)));
                    next[run] = Some(n);
                }
                Ok(None) => {}
                Err(err) => return Some(Err(err)),
            }
            Some(Ok(e))
        })))
    }
}

/// The temp file of the spilled runs, removed once done with where the system could
/// not remove it as soon as it was made (see `build::spill_file`).
struct Spilled(Option<File>, PathBuf);

impl Drop for Spilled {
    fn drop(&mut self) {
        if let Some(file) = self.0.take()
            && cfg!(not(unix))
        {
            drop(file);
            let _ = std::fs::remove_file(&self.1);
        }
    }
}

/// Where a spilled run is read from: its next bytes, a window at a time.
struct Cursor {
    at: u64,
    end: u64,
    bytes: Vec<u8>,
    read: usize,
}

impl Cursor {
    fn next(&mut self, mut file: &File) -> io::Result<Option<Entry>> {
        if self.read == self.bytes.len() {
            let n = (self.end - self.at).min(4096 * ENTRY_BYTES as u64) as usize;
            if n == 0 {
                return Ok(None);
            }
            self.bytes.resize(n, 0);
            file.seek(SeekFrom::Start(self.at))?;
            file.read_exact(&mut self.bytes)?;
            (self.at, self.read) = (self.at + n as u64, 0);
        }
        let b = self
            .bytes
            .get(self.read..self.read + ENTRY_BYTES)
            .ok_or(io::ErrorKind::InvalidData)?;
        self.read += ENTRY_BYTES;
        let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        Ok(Some(Entry {
            key: [word(0), word(4), word(8), word(12)],
            occurrence: word(16),
            num: word(20),
            of: *TYPES
                .get(usize::from(b[24]))
                .ok_or(io::ErrorKind::InvalidData)?,
            merge: false,
        }))
    }
}

/// Which records are current, found by replaying each id's versions in order.
struct Current {
    /// A bit a record: whether it is current (the last version of its kind to take
    /// effect since its id was last deleted), as the state folded from it holds it.
    bits: Vec<u64>,
    /// How many current records there are of each kind.
    counts: [usize; 4],
    /// The numbers that more than one current action or follow-up has, sorted.
    shared: Vec<u32>,
    /// Records written under an id that was another kind of record, by occurrence: its
    /// kind, and the occurrence and kind of the id's version before it.
    changed_kind: Vec<(u32, Type, u32, Type)>,
    /// The current records whose id is current as another kind too, by occurrence.
    twins: Vec<(u32, Type)>,
    /// The records the second pass must name, sorted: those that changed kind, the
    /// versions before them, and the twins.
    asked: Vec<u32>,
}

impl Current {
    /// Replays the `records` entries, `sorted` by id and then as read, with the
    /// occurrences of merges' own changes.
    fn replay(
        records: u32,
        sorted: impl Iterator<Item = io::Result<Entry>>,
        merges: &[std::ops::Range<u32>],
    ) -> io::Result<Current> {
        let mut current = Current {
            bits: vec![0; (records as usize).div_ceil(64)],
            counts: [0; 4],
            shared: Vec::new(),
            changed_kind: Vec::new(),
            twins: Vec::new(),
            asked: Vec::new(),
        };
        let mut nums = Vec::new();
        let mut versions: Vec<Entry> = Vec::new();
        let mut sorted = sorted.peekable();
        while let Some(e) = sorted.next() {
            let mut e = e?;
            let place = merges.partition_point(|m| m.end <= e.occurrence);
            e.merge = merges.get(place).is_some_and(|m| m.contains(&e.occurrence));
            versions.push(e);
            match sorted.peek() {
                Some(Ok(next)) if next.key == e.key => continue,
                _ => {}
            }
            let held = current.replay_id(&versions);
            versions.clear();
            let twin = held.iter().flatten().count() > 1;
            for e in held.into_iter().flatten() {
                current.bits[e.occurrence as usize / 64] |= 1 << (e.occurrence % 64);
                current.counts[e.of as usize] += 1;
                if e.num != NO_NUM && matches!(e.of, Type::Action | Type::FollowUp) {
                    nums.push(e.num);
                }
                if twin {
                    current.twins.push((e.occurrence, e.of));
                }
            }
        }
        nums.sort_unstable();
        current.shared = nums
            .chunk_by(|a, b| a == b)
            .filter(|same| same.len() > 1)
            .map(|same| same[0])
            .collect();
        current.changed_kind.sort_unstable_by_key(|c| c.0);
        current.twins.sort_unstable_by_key(|t| t.0);
        let changed = current.changed_kind.iter().flat_map(|c| [c.0, c.2]);
        current.asked = changed.chain(current.twins.iter().map(|t| t.0)).collect();
        current.asked.sort_unstable();
        current.asked.dedup();
        Ok(current)
    }

    /// Replays one id's versions, in order: its current record of each kind. Notes each
    /// version that took effect under an id that was last another kind of record.
    fn replay_id(&mut self, versions: &[Entry]) -> [Option<Entry>; 4] {
        let (mut held, mut deleted, mut last) = ([None; 4], false, None::<Entry>);
        for &e in versions {
            let numbered = matches!(e.of, Type::Action | Type::FollowUp);
            if e.merge && numbered && deleted {
                continue;
            }
            if e.of == Type::Deleted {
                (held, deleted) = ([None; 4], true);
                continue;
            }
            deleted = false;
            if let Some(was) = last.filter(|was| was.of != e.of) {
                self.changed_kind
                    .push((e.occurrence, e.of, was.occurrence, was.of));
            }
            last = Some(e);
            held[e.of as usize] = Some(e);
        }
        held
    }

    fn is(&self, occurrence: u32) -> bool {
        newest::bit(&self.bits, occurrence)
    }

    fn count(&self, of: Type) -> usize {
        self.counts[of as usize]
    }

    /// Whether the second pass must name this record (see `asked`).
    fn asks_about(&self, occurrence: u32) -> bool {
        self.asked.binary_search(&occurrence).is_ok()
    }

    /// Whether another current action or follow-up has this number.
    fn shares(&self, num: u64) -> bool {
        u32::try_from(num).is_ok_and(|num| self.shared.binary_search(&num).is_ok())
    }
}

/// The second pass: what the report needs of the records `Current` found.
struct Details<'a> {
    current: &'a Current,
    /// The clients and people, to tell which actions and follow-ups breach alone.
    rules: Checker<'a>,
    occurrence: u32,
    line: usize,
    /// Each change's id and line, and the ids whose key is hashed by line.
    changes: Vec<(Key, usize)>,
    hashed: Vec<(usize, String)>,
    /// The changes that undo another, by line, and its id.
    undoes: Vec<(usize, String)>,
    /// The current actions and follow-ups that may breach an invariant.
    kept: Vec<Record>,
    named: Named,
    /// The last line that wrote each id of a record held or kept.
    lines: HashMap<String, usize>,
    open: usize,
}

impl<'a> Details<'a> {
    fn new(current: &'a Current, rules: Checker<'a>) -> Self {
        Details {
            current,
            rules,
            occurrence: 0,
            line: 0,
            changes: Vec::new(),
            hashed: Vec::new(),
            undoes: Vec::new(),
            kept: Vec::new(),
            named: Named::default(),
            lines: HashMap::new(),
            open: 0,
        }
    }

    /// Whether a current record is kept for the checks of the whole store: an action
    /// or a follow-up that breaches alone or shares its number.
    fn keeps(&self, record: &Record) -> bool {
        Numbered::of(record)
            .is_some_and(|item| self.rules.alone(&item) || self.current.shares(item.num))
    }

    /// Fills in what the passes found, in the order `crate::check::check` says it.
    fn report(self, health: &mut Health) {
        let Details {
            current,
            rules: mut checker,
            mut changes,
            hashed,
            undoes,
            kept,
            named,
            lines,
            ..
        } = self;
        changes.sort_unstable();
        health
            .problems
            .extend(line_problems(&changes, &hashed, current, &named));
        for (line, target) in &undoes {
            let target_key = key(target);
            if changes.binary_search_by(|c| c.0.cmp(&target_key)).is_err() {
                health.undoes_missing(*line, target);
            }
        }
        for &(occurrence, of) in &current.twins {
            checker.twin(of, named.get(occurrence).1);
        }
        for item in kept.iter().filter_map(Numbered::of) {
            checker.item(item);
        }
        let line_of = |id: &str| lines.get(id).copied().unwrap_or_default();
        health.breaches(checker.finish(), line_of);
    }
}

/// The line and id of each record `Current` asked about, by occurrence.
#[derive(Default)]
struct Named(Vec<(u32, usize, String)>);

impl Named {
    fn get(&self, occurrence: u32) -> (usize, &str) {
        let at = self.0.binary_search_by_key(&occurrence, |n| n.0);
        at.map(|at| (self.0[at].1, self.0[at].2.as_str()))
            .unwrap_or_default()
    }
}

/// The problems each line has, by line: its change's id seen on an earlier line (from
/// `changes`, sorted, and the `hashed` ids by line), then its records that changed kind.
fn line_problems(
    changes: &[(Key, usize)],
    hashed: &[(usize, String)],
    current: &Current,
    named: &Named,
) -> impl Iterator<Item = String> {
    let mut problems: Vec<(usize, u64, String)> = Vec::new();
    for pair in changes.windows(2).filter(|pair| pair[0].0 == pair[1].0) {
        let ((key, first), (_, line)) = (pair[0], pair[1]);
        let at = hashed.binary_search_by_key(&line, |h| h.0);
        let id = id_of(key)
            .or_else(|| at.ok().map(|at| hashed[at].1.clone()))
            .unwrap_or_default();
        problems.push((line, 0, crate::check::repeats(line, &id, first)));
    }
    for &(at, now, before, was) in &current.changed_kind {
        let ((line, id), (first, _)) = (named.get(at), named.get(before));
        let problem = crate::check::changes_kind(line, id, (was, first), now);
        problems.push((line, 1 + u64::from(at), problem));
    }
    problems.sort_unstable();
    problems.into_iter().map(|(_, _, problem)| problem)
}

impl Sink for Details<'_> {
    type Record = Record;

    fn line(&mut self, number: usize) -> Result<(), String> {
        self.line = number;
        Ok(())
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::Id(id) => {
                let key = key(&id);
                if id_of(key).is_none() {
                    self.hashed.push((self.line, id));
                }
                self.changes.push((key, self.line));
            }
            Field::Undoes(Some(target)) => self.undoes.push((self.line, target)),
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        let occurrence = self.occurrence;
        self.occurrence += 1;
        let asked = self.current.asks_about(occurrence);
        if asked {
            let id = record.id().to_string();
            self.named.0.push((occurrence, self.line, id));
        }
        if !self.current.is(occurrence) {
            return Ok(());
        }
        if let Record::FollowUp(f) = &record
            && f.status == Status::Open
        {
            self.open += 1;
        }
        let held = matches!(record, Record::Client(_) | Record::Person(_));
        let kept = self.keeps(&record);
        if held || kept || asked {
            let line = self.lines.entry(record.id().to_string()).or_default();
            *line = (*line).max(self.line);
        }
        if kept {
            self.kept.push(record);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    use super::*;
    use crate::check::check;

    const HEADER: &str = "{\"format\":\"extramile-journal\",\"version\":1}\n";
    const AT: &str = "2026-11-20T10:00:00Z";
    /// Record ids, shared by every kind: exact keys and hashed ones.
    const IDS: [&str; 7] = ["a1", "b2", "c", "0d", "e", "Fx", "g g"];
    const NAMES: [&str; 3] = ["Acme", "acme", "Globex"];
    const NUMS: [u64; 8] = [
        0,
        1,
        2,
        3,
        999_999_999,
        1_000_000_000,
        4_294_967_295,
        1 << 40,
    ];
    const CHANGES: [&str; 4] = ["k1", "k2", "abc", "0"];

    fn client(id: &str, name: &str) -> String {
        format!(r#"{{"type":"client","id":"{id}","name":"{name}","created":"{AT}"}}"#)
    }

    fn person(id: &str, client: &str, name: &str) -> String {
        format!(
            r#"{{"type":"person","id":"{id}","client":"{client}","name":"{name}","created":"{AT}"}}"#
        )
    }

    fn action(id: &str, num: u64, client: &str, with: &[&str]) -> String {
        format!(
            r#"{{"type":"action","id":"{id}","num":{num},"client":"{client}","kind":"fix","text":"t","at":"{AT}","with":{}}}"#,
            serde_json::to_string(with).unwrap()
        )
    }

    fn follow_up(id: &str, num: u64, client: &str, with: &[&str], open: bool) -> String {
        let status = if open { "open" } else { "done" };
        format!(
            r#"{{"type":"follow-up","id":"{id}","num":{num},"client":"{client}","text":"t","due":"2026-11-21","status":"{status}","created":"{AT}","with":{}}}"#,
            serde_json::to_string(with).unwrap()
        )
    }

    fn deleted(id: &str, num: Option<u64>) -> String {
        match num {
            Some(num) => format!(r#"{{"type":"deleted","id":"{id}","num":{num}}}"#),
            None => format!(r#"{{"type":"deleted","id":"{id}"}}"#),
        }
    }

    /// One change's line: its records before its command when `records_first`.
    fn change(
        command: &str,
        id: &str,
        undoes: Option<&str>,
        records: &[String],
        records_first: bool,
    ) -> String {
        let records = format!("\"records\":[{}]", records.join(","));
        let undoes = undoes.map_or(String::new(), |u| format!(",\"undoes\":\"{u}\""));
        let rest = format!("\"at\":\"{AT}\",\"command\":\"{command}\"{undoes}");
        if records_first {
            format!("{{{records},{rest},\"id\":\"{id}\"}}\n")
        } else {
            format!("{{{rest},{records},\"id\":\"{id}\"}}\n")
        }
    }

    fn record() -> impl Strategy<Value = String> {
        let id = || proptest::sample::select(&IDS[..]);
        let num = || proptest::sample::select(&NUMS[..]);
        let name = || proptest::sample::select(&NAMES[..]);
        let with = || proptest::collection::vec(id(), 0..3);
        prop_oneof![
            3 => (id(), name()).prop_map(|(id, name)| client(id, name)),
            2 => (id(), id(), name()).prop_map(|(id, c, name)| person(id, c, name)),
            4 => (id(), num(), id(), with()).prop_map(|(id, n, c, w)| action(id, n, c, &w)),
            3 => (id(), num(), id(), with(), any::<bool>())
                .prop_map(|(id, n, c, w, open)| follow_up(id, n, c, &w, open)),
            2 => (id(), proptest::option::of(num())).prop_map(|(id, n)| deleted(id, n)),
        ]
    }

    /// A journal's lines after the format line, with now and then an empty line.
    fn lines() -> impl Strategy<Value = Vec<String>> {
        let command = proptest::sample::select(&["log", "merge", "delete", "undo"][..]);
        let id = proptest::sample::select(&CHANGES[..]);
        let undoes = proptest::option::of(proptest::sample::select(&CHANGES[1..]));
        let records = proptest::collection::vec(record(), 0..5);
        let line = (command, id, undoes, records, any::<bool>(), 0..8u8).prop_map(
            |(command, id, undoes, records, first, blank)| {
                let line = change(command, id, undoes, &records, first);
                if blank == 0 {
                    format!("\n{line}")
                } else {
                    line
                }
            },
        );
        proptest::collection::vec(line, 0..14)
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    /// What the stream finds in `journal`, spilling runs of `run` entries to a temp
    /// file that is gone once it is done.
    fn streamed_health(journal: &str, run: usize) -> Option<Health> {
        let dir = tempfile::tempdir().unwrap();
        let file = file_of(journal.as_bytes());
        let found = streamed_in_runs(&file, journal.len() as u64, dir.path(), run).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        found.map(|(health, _)| health)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            rng_seed: RngSeed::Fixed(20261123),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn the_stream_finds_what_the_whole_read_finds(
            lines in lines(),
            torn in proptest::option::of("\\{\"at\":[a-z]{0,4}"),
        ) {
            let journal = format!("{HEADER}{}{}", lines.concat(), torn.unwrap_or_default());
            let whole = Some(check(journal.as_bytes()));
            // Held in memory, and spilled in runs of a few records.
            prop_assert_eq!(&streamed_health(&journal, RUN), &whole);
            prop_assert_eq!(&streamed_health(&journal, 3), &whole);
        }
    }

    #[test]
    fn every_kind_of_problem_is_found_the_same_way() {
        let lines = [
            change(
                "log",
                "k1",
                None,
                &[client("c", "Acme"), client("d", "ACME")],
                false,
            ),
            change(
                "log",
                "abc",
                Some("k9"),
                &[
                    person("p", "nobody", "Dana"),
                    action("a1", 1, "c", &["p"]),
                    action("a2", 1, "d", &[]),
                    follow_up("f", 0, "gone", &[], true),
                ],
                true,
            ),
            "\n".to_string(),
            // An id reused as another kind, twice, and changes with ids seen before.
            change("log", "k1", Some("abc"), &[action("c", 5, "c", &[])], false),
            change(
                "edit",
                "abc",
                None,
                &[person("c", "d", "Sam"), client("a1", "Init")],
                false,
            ),
            // A merge's own change does not bring back what was deleted.
            change("delete", "Zz", None, &[deleted("a2", Some(1))], false),
            change("merge", "Zz", None, &[action("a2", 2, "c", &[])], true),
        ];
        let journal = format!("{HEADER}{}", lines.concat());
        let whole = check(journal.as_bytes());
        for run in [RUN, 1, 2] {
            assert_eq!(streamed_health(&journal, run).as_ref(), Some(&whole));
        }
        // Beside a journal whose folder can't be written, the runs go to the
        // system's temp folder.
        let gone = tempfile::tempdir().unwrap().path().join("gone");
        let file = file_of(journal.as_bytes());
        let found = streamed_in_runs(&file, journal.len() as u64, &gone, 1).unwrap();
        assert_eq!(found.map(|(health, _)| health).as_ref(), Some(&whole));
        assert_eq!(
            whole.problems[..3],
            [
                "line 5: change k1 repeats line 2",
                "line 5: id c was a client on line 2, now a action",
                "line 6: change abc repeats line 3",
            ]
        );
        assert!(whole.problems.len() > 8, "{:#?}", whole.problems);
        assert_eq!(
            whole.warnings,
            ["line 3: undoes change k9, which is not in this journal"]
        );
        assert_eq!(
            (whole.changes, whole.actions, whole.open_follow_ups),
            (6, 2, 1)
        );
    }

    #[test]
    fn the_snapshot_is_checked_against_the_journal_by_tally() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let marked = action("a2", 3, "c", &[]).replace("\"t\"", "\"unmistakable\"");
        let first = [client("c", "Acme"), person("p", "c", "Dana")];
        let later = [
            action("a1", 1, "c", &["p"]),
            marked,
            follow_up("f1", 2, "c", &[], false),
            follow_up("f2", 4, "c", &["p"], true),
        ];
        let head = format!("{HEADER}{}", change("log", "k1", None, &first, false));
        let journal = head.clone() + &change("log", "k2", None, &later, false);
        std::fs::write(store.path(), &journal).unwrap();
        let state_of = |bytes: &str| {
            super::super::parse_journal(store.path(), bytes.as_bytes(), false)
                .unwrap()
                .state
        };
        let snapshot_of = |bytes: &str, state: &crate::state::State| {
            let mark = snapshot::Mark {
                covers: bytes.len() as u64,
                crc: crc32fast::hash(bytes.as_bytes()),
            };
            let encoded = crate::store::build::bytes_of(mark, None, state);
            std::fs::write(store.snapshot_path(), &encoded).unwrap();
            encoded
        };
        let state = state_of(&journal);
        // Made from the whole journal, or from its first line with the rest after it.
        snapshot_of(&journal, &state);
        assert_eq!(store.snapshot_problem().unwrap(), None);
        snapshot_of(&head, &state_of(&head));
        assert_eq!(store.snapshot_problem().unwrap(), None);
        // A person or a highest number that is not the journal's.
        let mut renamed = state.clone();
        renamed.people.get_mut("p").unwrap().name = "Sam".into();
        let mut numbered = state.clone();
        numbered.note_num(9);
        for other in [renamed, numbered] {
            snapshot_of(&journal, &other);
            let problem = store.snapshot_problem().unwrap().unwrap();
            assert!(problem.contains("disagrees"), "{problem}");
        }
        // An action's record changed in the snapshot.
        let mut encoded = snapshot_of(&journal, &state);
        let at = encoded
            .windows(12)
            .position(|w| w == b"unmistakable")
            .unwrap();
        encoded[at] ^= 1;
        std::fs::write(store.snapshot_path(), &encoded).unwrap();
        let problem = store.snapshot_problem().unwrap().unwrap();
        assert!(problem.contains("damaged"), "{problem}");
        // The journal bytes it was made from, edited.
        snapshot_of(&journal, &state);
        std::fs::write(store.path(), journal.replace("Dana", "Dane")).unwrap();
        let problem = store.snapshot_problem().unwrap().unwrap();
        assert!(problem.contains("stale"), "{problem}");
    }

    #[test]
    fn a_journal_with_a_line_that_does_not_read_is_read_whole() {
        let good = change("log", "k1", None, &[client("c", "Acme")], false);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        for bad in [
            format!("{HEADER}{good}not json\n{good}"),
            format!("{HEADER}{}{good}", good.replace('\n', " ")),
            format!("{HEADER}{good}  \n"),
            format!("{HEADER}{}", good.replace(",\"records", ",\n\"records")),
            format!("{HEADER}<<<<<<< ours\n{good}"),
            format!("\u{feff}{HEADER}{good}"),
            good.clone(),
        ] {
            assert!(streamed_health(&bad, RUN).is_none(), "{bad}");
            std::fs::write(store.path(), &bad).unwrap();
            let health = store.check().unwrap();
            assert_eq!(health, check(bad.as_bytes()));
            assert!(!health.problems.is_empty(), "{bad}");
        }
    }
}
