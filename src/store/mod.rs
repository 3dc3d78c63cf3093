//! The journal on disk: one JSON line per change, appended under an exclusive lock.
//!
//! The first line names the format and its version, so an empty or cut file is never
//! taken for a new store. Each later line is one change: the new versions of the records
//! one command touched. A last line without its newline is a write that was cut short
//! (a crash, `kill -9`): it is never counted, and the next writer sets it aside into a
//! `.torn` file beside the journal before appending. Any other unreadable line stops
//! every command, and the file is left as it is.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

mod snapshot;

use crate::merge::Renumbered;
use crate::model::Record;
use crate::state::State;

/// The format this build reads and writes.
pub const FORMAT: &str = "extramile-journal";
pub const VERSION: u32 = 1;

/// File name of the journal inside a store directory.
pub const JOURNAL: &str = "journal.jsonl";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// One line of the journal: what one command changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at: DateTime<FixedOffset>,
    /// The command that made it, for the audit trail.
    pub command: String,
    pub records: Vec<Record>,
    /// Set on the change that `undo` writes: the change it reverts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// Globally unique, so journals merge by the union of their changes. Written last,
    /// so the end of every line is unique (the snapshot checks the journal by it).
    pub id: String,
}

/// What a command wants to write: the new versions of the records it touched.
#[derive(Debug, Default)]
pub struct Draft {
    pub records: Vec<Record>,
    pub undoes: Option<String>,
}

impl From<Vec<Record>> for Draft {
    fn from(records: Vec<Record>) -> Self {
        Draft {
            records,
            undoes: None,
        }
    }
}

/// What a command needs from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Clients and the next short number (`log`, `follow-up`).
    Clients,
    /// Clients, follow-ups, and the actions whose time (Unix seconds) falls in
    /// `from..to`, with `State::all_actions` summing up the rest.
    Window(i64, i64),
    /// Every current record.
    State,
    /// Every current record and every change (undo).
    History,
}

/// How much of the journal a read went through.
#[derive(Debug, Default, Clone, Copy)]
struct Source {
    /// The journal's length when read, and without a cut-short last line.
    journal_len: u64,
    complete_len: u64,
    /// Whole-line bytes parsed from the journal (after the snapshot, when one was used).
    parsed: u64,
    /// Whether the state read holds every record (not only the snapshot's head).
    whole: bool,
}

/// Journal bytes read past the snapshot before a new snapshot is written.
const REFRESH_AFTER: u64 = 64 * 1024;
/// Journal bytes past the snapshot that `log` still reads itself; past that it reads
/// everything once and writes a new snapshot.
const LIGHT_READ_LIMIT: u64 = 1024 * 1024;

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

/// The format line of journal bytes, newline included.
fn journal_header(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1)]
}

/// A journal of `header` and `changes`, plus a change renumbering records whose short
/// numbers collide; checked by reading it back. Returns its bytes, state and the
/// renumbering.
pub fn merged_journal(
    header: &[u8],
    mut changes: Vec<Change>,
    at: DateTime<FixedOffset>,
) -> Result<(Vec<u8>, State, Renumbered)> {
    let (records, mapping) = crate::merge::renumber(&crate::merge::fold(&changes));
    if !records.is_empty() {
        changes.push(Change {
            at,
            command: "merge".into(),
            records,
            undoes: None,
            id: crate::model::new_id(),
        });
    }
    let mut bytes = header.to_vec();
    for change in &changes {
        bytes.extend(serde_json::to_vec(change)?);
        bytes.push(b'\n');
    }
    let state = parse_journal(Path::new("the merged journal"), &bytes, false)?.state;
    Ok((bytes, state, mapping))
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

/// A journal file and its lock.
#[derive(Debug, Clone)]
pub struct Store {
    journal: PathBuf,
    lock: PathBuf,
    /// Someone else's journal (`report week --team`): never write beside it.
    read_only: bool,
}

/// What reading the journal found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub state: State,
    /// Set when the last line was cut short: the number of bytes not counted.
    pub torn_bytes: usize,
    /// Every change, oldest first, when asked for (undo, check).
    pub changes: Vec<Change>,
}

impl Store {
    /// The store at `path`: a journal file, or a directory holding `journal.jsonl`.
    /// A symlink is followed, so a journal kept elsewhere (a synced folder) stays where
    /// it is; the lock and any rewrite happen beside the real file.
    pub fn open(path: &Path) -> Store {
        let journal = if path.is_dir() {
            path.join(JOURNAL)
        } else {
            path.to_path_buf()
        };
        let is_link = fs::symlink_metadata(&journal).is_ok_and(|m| m.file_type().is_symlink());
        let journal = if is_link {
            fs::canonicalize(&journal).unwrap_or(journal)
        } else {
            journal
        };
        let mut lock = journal.clone().into_os_string();
        lock.push(".lock");
        Store {
            journal,
            lock: PathBuf::from(lock),
            read_only: false,
        }
    }

    /// A journal to read and never write to, nor write a snapshot beside.
    pub fn open_read_only(path: &Path) -> Store {
        Store {
            read_only: true,
            ..Store::open(path)
        }
    }

    pub fn path(&self) -> &Path {
        &self.journal
    }

    pub fn exists(&self) -> bool {
        self.journal.exists()
    }

    /// Reads the current state. A store that does not exist yet reads as empty.
    pub fn load(&self) -> Result<Loaded> {
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_shared();
        let (loaded, source) = self.read(Need::State)?;
        self.refresh_snapshot(&loaded.state, source.parsed, source.complete_len);
        Ok(loaded)
    }

    /// Reads the clients, the follow-ups and the actions in a window of time (Unix
    /// seconds `from..to`); `State::all_actions` sums up every action. Falls back to
    /// reading everything when the snapshot can't answer.
    pub fn load_window(&self, from: i64, to: i64) -> Result<Loaded> {
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_shared();
        let (loaded, source) = self.read(Need::Window(from, to))?;
        if source.whole {
            self.refresh_snapshot(&loaded.state, source.parsed, source.complete_len);
        }
        Ok(loaded)
    }

    /// Compares what the snapshot and the journal after it say with the whole journal
    /// folded. When they differ the snapshot is removed (the next read rebuilds it) and
    /// this returns false; true when they agree or there is no usable snapshot.
    pub fn verify_snapshot(&self) -> Result<bool> {
        let _lock = self.lock_shared();
        let (from_snapshot, _) = self.read(Need::State)?;
        let (from_journal, _) = self.read(Need::History)?;
        let (a, b) = (&from_snapshot.state, &from_journal.state);
        let agree = a.clients == b.clients
            && a.actions == b.actions
            && a.follow_ups == b.follow_ups
            && a.next_num() == b.next_num();
        if !agree {
            fs::remove_file(self.snapshot_path())
                .with_context(|| format!("could not remove {}", self.snapshot_path().display()))?;
        }
        Ok(agree)
    }

    /// The journal's bytes, read under a shared lock so no writer is halfway through a
    /// line.
    pub fn read_shared(&self) -> Result<Vec<u8>> {
        let _lock = self.lock_shared();
        self.read_bytes()
    }

    /// A shared lock when the lock file can be opened; a store we can only read (no
    /// lock file, read-only directory) is read without one.
    fn lock_shared(&self) -> Option<File> {
        OpenOptions::new()
            .read(true)
            .open(&self.lock)
            .ok()
            .filter(|f| f.lock_shared().is_ok())
    }

    /// Runs `make` on the current state under the exclusive lock and appends the
    /// change it drafts, synced before this returns. Nothing is written when `make`
    /// fails or drafts no records.
    pub fn change<T>(
        &self,
        command: &str,
        at: DateTime<FixedOffset>,
        make: impl FnOnce(&Loaded) -> Result<(Draft, T)>,
    ) -> Result<T> {
        self.change_reading(Need::State, command, at, make)
    }

    /// Like `change`, for commands that only add records: `make` sees the clients and
    /// the next short number, not the actions and follow-ups. This is what keeps `log`
    /// as fast on a long history as on a short one.
    pub fn change_light<T>(
        &self,
        command: &str,
        at: DateTime<FixedOffset>,
        make: impl FnOnce(&Loaded) -> Result<(Draft, T)>,
    ) -> Result<T> {
        self.change_reading(Need::Clients, command, at, make)
    }

    /// Like `change`, with every earlier change in `Loaded::changes` (for undo).
    pub fn change_with_history<T>(
        &self,
        command: &str,
        at: DateTime<FixedOffset>,
        make: impl FnOnce(&Loaded) -> Result<(Draft, T)>,
    ) -> Result<T> {
        self.change_reading(Need::History, command, at, make)
    }

    fn change_reading<T>(
        &self,
        need: Need,
        command: &str,
        at: DateTime<FixedOffset>,
        make: impl FnOnce(&Loaded) -> Result<(Draft, T)>,
    ) -> Result<T> {
        let _lock = self.lock_exclusive()?;
        let (mut loaded, source) = if self.journal.exists() {
            self.read(need)?
        } else {
            (
                Loaded::default(),
                Source {
                    whole: true,
                    ..Source::default()
                },
            )
        };
        let (draft, out) = make(&loaded)?;
        if draft.records.is_empty() {
            return Ok(out);
        }
        self.create_if_missing()?;
        if loaded.torn_bytes > 0 {
            self.set_aside_torn_tail(source.journal_len, loaded.torn_bytes)?;
        }
        let change = Change {
            id: crate::model::new_id(),
            at,
            command: command.to_string(),
            records: draft.records,
            undoes: draft.undoes,
        };
        let journal_len = self.append(&change)?;
        if source.whole && need != Need::History {
            for record in change.records {
                loaded.state.insert(record);
            }
            self.refresh_snapshot(
                &loaded.state,
                source.parsed + journal_len - source.complete_len,
                journal_len,
            );
        }
        Ok(out)
    }

    fn snapshot_path(&self) -> PathBuf {
        let mut path = self.journal.clone().into_os_string();
        path.push(".snapshot");
        PathBuf::from(path)
    }

    /// Reads what `need` asks for: from the snapshot and the journal after it when the
    /// snapshot matches the journal, else from the whole journal.
    fn read(&self, need: Need) -> Result<(Loaded, Source)> {
        let mut file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let journal_len = file.metadata()?.len();
        let parts = match need {
            Need::History => vec![],
            Need::Clients => vec![snapshot::Part::Head],
            Need::Window(from, to) => vec![snapshot::Part::Window(from, to), snapshot::Part::All],
            Need::State => vec![snapshot::Part::All],
        };
        for part in parts {
            let Some((mark, state)) = snapshot::read(&self.snapshot_path(), part) else {
                break;
            };
            if !snapshot::matches(&mark, &mut file, journal_len)
                || (part == snapshot::Part::Head && journal_len - mark.covers > LIGHT_READ_LIMIT)
            {
                break;
            }
            let mut delta = Vec::new();
            file.seek(SeekFrom::Start(mark.covers))
                .and_then(|_| file.read_to_end(&mut delta))
                .with_context(|| format!("could not read the store {}", self.journal.display()))?;
            // A window holds only some actions, so it can take new ones but not edits.
            let only_new_actions =
                matches!(part, snapshot::Part::Window(..)).then(|| state.max_num());
            if let Some(loaded) = parse_changes(state, &delta, only_new_actions) {
                let parsed = (delta.len() - loaded.torn_bytes) as u64;
                let whole = part == snapshot::Part::All;
                let source = Source {
                    journal_len,
                    complete_len: mark.covers + parsed,
                    parsed,
                    whole,
                };
                return Ok((loaded, source));
            }
        }
        let mut bytes = Vec::with_capacity(journal_len as usize);
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let loaded = parse_journal(&self.journal, &bytes, need == Need::History)?;
        let complete_len = (bytes.len() - loaded.torn_bytes) as u64;
        let source = Source {
            journal_len: bytes.len() as u64,
            complete_len,
            parsed: complete_len,
            whole: true,
        };
        Ok((loaded, source))
    }

    /// Writes a new snapshot of `state`, which holds the journal's first `covers` bytes,
    /// when `unsnapshotted` of them were read from the journal rather than a snapshot.
    /// Best effort: a store in a read-only directory works without one.
    fn refresh_snapshot(&self, state: &State, unsnapshotted: u64, covers: u64) {
        if self.read_only || unsnapshotted < REFRESH_AFTER {
            return;
        }
        let Ok(mark) = self.mark_at(covers) else {
            return;
        };
        let _ = write_atomically(&self.snapshot_path(), &snapshot::encode(&mark, state));
    }

    /// The journal's format line and the bytes ending at `covers`, to recognise it by.
    fn mark_at(&self, covers: u64) -> Result<snapshot::Mark> {
        let mut file = File::open(&self.journal)?;
        let mut start = vec![0; 4096.min(covers as usize)];
        file.read_exact(&mut start)?;
        let header_end = start
            .iter()
            .position(|&b| b == b'\n')
            .context("no format line")?
            + 1;
        start.truncate(header_end);
        let tail_len = (snapshot::TAIL as u64).min(covers);
        let mut tail = vec![0; tail_len as usize];
        file.seek(SeekFrom::Start(covers - tail_len))?;
        file.read_exact(&mut tail)?;
        let length = file.metadata()?;
        let modified = if length.len() == covers {
            snapshot::modified(&length).unwrap_or(0)
        } else {
            0
        };
        Ok(snapshot::Mark {
            covers,
            header: start,
            tail,
            modified,
        })
    }

    fn read_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        File::open(&self.journal)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        Ok(bytes)
    }

    fn lock_exclusive(&self) -> Result<File> {
        if let Some(dir) = self.journal.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let lock = private_options()
            .read(true)
            .write(true)
            .truncate(false)
            .create(true)
            .open(&self.lock)
            .with_context(|| format!("could not open the lock file {}", self.lock.display()))?;
        lock.lock()
            .with_context(|| format!("could not lock {}", self.lock.display()))?;
        Ok(lock)
    }

    /// Rewrites the journal to the newest version of each record (and a tombstone for
    /// each deleted one, so merging an older copy does not bring it back). The old
    /// journal is kept as a timestamped backup beside it; the new one is read back and
    /// must hold exactly the same records before it replaces the old, through a temp
    /// file, fsync, rename and fsync of the directory.
    pub fn compact(&self, at: DateTime<FixedOffset>) -> Result<Compacted> {
        let _lock = self.lock_exclusive()?;
        if !self.journal.exists() {
            bail!(
                "there is no store at {} yet; nothing to compact",
                self.journal.display()
            );
        }
        let bytes = self.read_bytes()?;
        let old = parse_journal(&self.journal, &bytes, true)?;
        // The tombstone of each record deleted for good, with the last number it had.
        let mut deleted: Vec<Record> = Vec::new();
        let mut nums: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
        for record in old.changes.iter().flat_map(|c| &c.records) {
            if let Some(num) = record.num() {
                nums.insert(record.id(), num);
            }
            if let Record::Deleted { id, .. } = record
                && old.state.record(id).is_none()
                && !deleted.iter().any(|d| d.id() == id)
            {
                deleted.push(Record::Deleted {
                    id: id.clone(),
                    num: None,
                });
            }
        }
        for tombstone in &mut deleted {
            if let Record::Deleted { id, num } = tombstone {
                *num = nums.get(id.as_str()).copied();
            }
        }
        let export = crate::transfer::export(&old.state);
        let mut records: Vec<Record> = export.clients.into_iter().map(Record::Client).collect();
        records.extend(export.actions.into_iter().map(Record::Action));
        records.extend(export.follow_ups.into_iter().map(Record::FollowUp));
        records.extend(deleted);

        let header_end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut new = bytes[..header_end].to_vec();
        for chunk in records.chunks(1000) {
            let change = Change {
                at,
                command: "compact".into(),
                records: chunk.to_vec(),
                undoes: None,
                id: crate::model::new_id(),
            };
            new.extend(serde_json::to_vec(&change)?);
            new.push(b'\n');
        }
        let check = parse_journal(&self.journal, &new, false)?;
        let same = check.state.clients == old.state.clients
            && check.state.actions == old.state.actions
            && check.state.follow_ups == old.state.follow_ups
            && check.state.next_num() == old.state.next_num();
        if !same {
            bail!(
                "the compacted journal did not hold the same records; {} was left as it was",
                self.journal.display()
            );
        }

        let backup = self.replace(&bytes, &new, &check.state, at)?;
        let covers = new.len() as u64;
        Ok(Compacted {
            before: bytes.len() as u64,
            after: covers,
            changes_before: old.changes.len(),
            changes_after: records.len().div_ceil(1000),
            backup,
        })
    }

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
        if let Ok(mark) = self.mark_at(new.len() as u64) {
            let _ = write_atomically(&self.snapshot_path(), &snapshot::encode(&mark, state));
        }
        Ok(backup)
    }

    /// Folds other journals into this one: the union of the changes (see `merge`), and
    /// new numbers for incoming records whose numbers collide. Rewrites the journal as
    /// `compact` does, keeping a backup; writes nothing when there is nothing new.
    pub fn merge(&self, others: &[PathBuf], at: DateTime<FixedOffset>) -> Result<MergeReport> {
        let _lock = self.lock_exclusive()?;
        let old = if self.journal.exists() {
            self.read_bytes()?
        } else {
            Vec::new()
        };
        let mut header = if old.is_empty() {
            None
        } else {
            Some(journal_header(&old).to_vec())
        };
        let mut changes = if old.is_empty() {
            Vec::new()
        } else {
            parse_journal(&self.journal, &old, true)?.changes
        };
        let mut report = MergeReport::default();
        for other in others {
            let bytes =
                fs::read(other).with_context(|| format!("could not read {}", other.display()))?;
            let theirs = parse_journal(other, &bytes, true)?;
            header.get_or_insert_with(|| journal_header(&bytes).to_vec());
            let union = crate::merge::union(&changes, &theirs.changes);
            report.added += union.added;
            report.both_changed.extend(union.both_changed);
            changes = union.changes;
        }
        let header = header.context("nothing to merge")?;
        let (new, state, mapping) = merged_journal(&header, changes, at)?;
        report.renumbered = mapping;
        if report.added == 0 && report.renumbered.is_empty() {
            return Ok(report);
        }
        report.backup = if old.is_empty() {
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

    /// `journal.jsonl.backup-20261120T100000`, or with `-2`, `-3`… when taken.
    fn backup_path(&self, at: DateTime<FixedOffset>) -> PathBuf {
        let stamp = at.format("%Y%m%dT%H%M%S").to_string();
        (1..)
            .map(|n| {
                let mut path = self.journal.clone().into_os_string();
                path.push(if n == 1 {
                    format!(".backup-{stamp}")
                } else {
                    format!(".backup-{stamp}-{n}")
                });
                PathBuf::from(path)
            })
            .find(|path| !path.exists())
            .expect("an unused name")
    }

    /// Creates the journal with its format line, atomically: it appears whole or not at all.
    fn create_if_missing(&self) -> Result<()> {
        if self.journal.exists() {
            return Ok(());
        }
        let header = serde_json::to_string(&Header {
            format: FORMAT.into(),
            version: VERSION,
        })?;
        write_atomically(&self.journal, format!("{header}\n").as_bytes())
            .with_context(|| format!("could not create the store {}", self.journal.display()))
    }

    /// Moves a cut-short last line into a `.torn` file and cuts it off the journal.
    fn set_aside_torn_tail(&self, journal_len: u64, torn: usize) -> Result<()> {
        let keep = journal_len - torn as u64;
        let mut torn_bytes = vec![0; torn];
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.journal)
            .with_context(|| format!("could not open {} for writing", self.journal.display()))?;
        file.seek(SeekFrom::Start(keep))
            .and_then(|_| file.read_exact(&mut torn_bytes))
            .with_context(|| format!("could not read {}", self.journal.display()))?;
        let mut aside = self.journal.clone().into_os_string();
        aside.push(format!(".torn-{}", crate::model::new_id()));
        write_atomically(Path::new(&aside), &torn_bytes).with_context(|| {
            format!(
                "could not set aside the cut-short last line of {}",
                self.journal.display()
            )
        })?;
        file.set_len(keep)
            .and_then(|()| file.sync_data())
            .with_context(|| {
                format!(
                    "could not cut the torn last line off {}",
                    self.journal.display()
                )
            })
    }

    /// Appends one change as one line; returns the journal's new length.
    fn append(&self, change: &Change) -> Result<u64> {
        let mut line = serde_json::to_vec(change)?;
        line.push(b'\n');
        let mut file = OpenOptions::new()
            .append(true)
            .open(&self.journal)
            .with_context(|| format!("could not open {} for writing", self.journal.display()))?;
        let length = file.metadata()?.len();
        // One write for the whole line: a crash leaves it whole or cut short, never mixed.
        let written = file.write_all(&line).and_then(|()| file.sync_data());
        if let Err(err) = written {
            // A full disk or a file-size limit may have let part of the line through:
            // cut it off again so the journal ends on a whole change.
            let _ = file.set_len(length).and_then(|()| file.sync_data());
            return Err(err).with_context(|| {
                format!(
                    "could not append to {}; nothing was changed",
                    self.journal.display()
                )
            });
        }
        Ok(length + line.len() as u64)
    }
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
            anyhow::anyhow!(
                "line {number} of {} is not a valid change ({err}); nothing was changed: \
                 repair or remove that line, or restore a backup",
                path.display()
            )
        })?;
        if keep_changes {
            for record in &change.records {
                loaded.state.apply(record);
            }
            loaded.changes.push(change);
        } else {
            for record in change.records {
                loaded.state.insert(record);
            }
        }
    }
    Ok(loaded)
}

/// Folds the whole lines of `bytes` (the journal after a snapshot) into `state`; `None`
/// when a line does not read, or, given `only_new_actions_after`, when a change does
/// more than add actions numbered above it (and clients and follow-ups).
fn parse_changes(
    mut state: State,
    bytes: &[u8],
    only_new_actions_after: Option<u64>,
) -> Option<Loaded> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for line in bytes[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let change: Change = serde_json::from_slice(line).ok()?;
        for record in change.records {
            if let Some(max) = only_new_actions_after {
                match &record {
                    Record::Action(a) if a.num <= max || state.actions.contains_key(&a.id) => {
                        return None;
                    }
                    Record::Deleted { .. } => return None,
                    _ => {}
                }
            }
            state.insert(record);
        }
    }
    Some(Loaded {
        state,
        torn_bytes: bytes.len() - complete,
        changes: Vec::new(),
    })
}

pub fn check_header(path: &Path, header: Option<&[u8]>) -> Result<()> {
    let Some(line) = header else {
        bail!(
            "{} has no format line: it is empty or was cut short, so it is not read as a new store; \
             move it aside to start afresh, or restore a backup",
            path.display()
        );
    };
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

/// Writes `bytes` to `path` through a temp file: fsync, rename, fsync of the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("could not create the store directory {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Client, Kind};
    use proptest::prelude::*;

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()
    }

    /// A journal of a client and `n` actions, one change each, and the state after each.
    fn journal(n: u64) -> (Vec<u8>, Vec<State>) {
        let mut bytes = format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        let mut state = State::default();
        let mut states = vec![state.clone()];
        let client = Client {
            id: "c".into(),
            name: "Acme ünïcode".into(),
            tier: None,
            cadence_days: None,
            created: at(),
        };
        for num in 0..=n {
            let record = if num == 0 {
                Record::Client(client.clone())
            } else {
                Record::Action(Action {
                    id: format!("a{num}"),
                    num,
                    client: "c".into(),
                    kind: Kind::Idea,
                    text: format!("note {num} — with \"quotes\"\nand a newline"),
                    at: at(),
                    tags: vec![],
                })
            };
            state.apply(&record);
            states.push(state.clone());
            let change = Change {
                id: format!("k{num}"),
                at: at(),
                command: "log".into(),
                records: vec![record],
                undoes: None,
            };
            bytes.extend(serde_json::to_vec(&change).unwrap());
            bytes.push(b'\n');
        }
        (bytes, states)
    }

    fn same(a: &State, b: &State) -> bool {
        a.clients == b.clients
            && a.actions == b.actions
            && a.follow_ups == b.follow_ups
            && a.next_num() == b.next_num()
    }

    #[test]
    fn a_snapshot_that_disagrees_with_the_journal_is_found_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (bytes, states) = journal(3);
        std::fs::write(store.path(), &bytes).unwrap();
        assert!(
            store.verify_snapshot().unwrap(),
            "no snapshot: nothing to disagree"
        );
        // A snapshot with every mark of this journal but an older state.
        let mark = store.mark_at(bytes.len() as u64).unwrap();
        std::fs::write(store.snapshot_path(), snapshot::encode(&mark, &states[1])).unwrap();
        assert_eq!(
            store.load().unwrap().state.actions.len(),
            0,
            "a matching snapshot is used as it is"
        );
        assert!(!store.verify_snapshot().unwrap());
        assert!(!store.snapshot_path().exists());
        assert_eq!(store.load().unwrap().state.actions.len(), 3);
    }

    #[test]
    fn every_truncation_point_loads_as_a_prefix_of_the_changes() {
        let (bytes, states) = journal(6);
        let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        for cut in 0..=bytes.len() {
            let loaded = parse_journal(Path::new("j"), &bytes[..cut], false);
            if cut < header_end {
                assert!(
                    loaded.is_err(),
                    "a journal cut inside its format line is refused ({cut})"
                );
                continue;
            }
            let loaded = loaded.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let whole_lines = bytes[..cut].iter().filter(|&&b| b == b'\n').count();
            assert!(
                same(&loaded.state, &states[whole_lines - 1]),
                "cut at {cut}"
            );
            let last_newline = bytes[..cut].iter().rposition(|&b| b == b'\n').unwrap() + 1;
            assert_eq!(loaded.torn_bytes, cut - last_newline);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_loader(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_journal(Path::new("j"), &bytes, true);
            let _ = crate::check::check(&bytes);
        }

        #[test]
        fn a_damaged_journal_never_panics_the_loader(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
            let (mut bytes, _) = journal(3);
            for (index, byte) in flips {
                let i = index.index(bytes.len());
                bytes[i] = byte;
            }
            let _ = parse_journal(Path::new("j"), &bytes, true);
            let _ = crate::check::check(&bytes);
        }
    }
}
