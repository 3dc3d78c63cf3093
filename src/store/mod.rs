//! The store: one journal file (see `journal`), appended one change at a time under an
//! exclusive lock on a sidecar `.lock` file and synced before success is reported.
//!
//! A last line without its newline is a write that was cut short (a crash, `kill -9`):
//! it is never counted, and the next writer sets it aside into a `.torn` file beside
//! the journal before appending. Any other unreadable line stops every command, and the
//! file is left as it is. Reads go through a derived `snapshot` when it matches the
//! journal; `rewrite` holds the operations that replace the journal whole.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, FixedOffset, NaiveDate};

mod build;
mod compact;
mod everything;
mod existing;
mod files;
mod journal;
mod newest;
mod rewrite;
mod skim;
mod snapshot;
mod spool;
mod stream;
mod undoable;
mod union;
mod verify;

pub use everything::Everything;
pub use existing::Existing;
use files::{create_private_dir, private_options};
pub use files::{stale_temp_files, write_atomically, write_atomically_with};
pub use journal::{
    Change, FORMAT, Loaded, VERSION, check_header, is_conflict_marker, journal_header,
    parse_journal,
};
use journal::{Header, parse_changes};
pub use rewrite::{Compacted, MergeReport, Unmerged, merge_three_way};
pub use spool::{Spool, Unspool};
pub use stream::{Field, Sink};
pub use undoable::{ChangeTail, Line, MergeTail, Tail};

use crate::model::Record;
use crate::state::State;

/// File name of the journal inside a store directory.
pub const JOURNAL: &str = "journal.jsonl";

/// Set on an `extramile index` started in the background: the descriptor of the index
/// lock it inherited, held until it exits.
pub const INDEX_LOCK_FD: &str = "EXTRAMILE_INDEX_LOCK_FD";

/// What a command wants to write: the new versions of the records it touched.
#[derive(Debug, Default)]
pub struct Draft {
    pub records: Vec<Record>,
    pub undoes: Option<String>,
    /// The versions those records have now, for those that exist; taken from the
    /// state read when not given. A command's state holds every record it changes.
    pub was: Option<Vec<Record>>,
    /// Set by a command that writes more records than it holds (an import, its undo):
    /// the records and their versions before, spooled as it made them (`records` and
    /// `was` are then left empty).
    pub spooled: Option<(Spool, Spool)>,
}

impl Draft {
    /// Whether it writes nothing.
    fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.undoes.is_none()
            && self
                .spooled
                .as_ref()
                .is_none_or(|(records, _)| records.is_empty())
    }
}

/// A change's records, or their versions before, as `change` writes them: held, or
/// read back from a spool as they are written.
enum Listed {
    Held(Vec<Record>),
    Spooled(std::cell::RefCell<Unspool>),
}

impl serde::Serialize for Listed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let spool = match self {
            Listed::Held(records) => return records.serialize(serializer),
            Listed::Spooled(spool) => spool,
        };
        let mut spool = spool.borrow_mut();
        let mut list = serializer.serialize_seq(Some(spool.len()))?;
        // Each as it was serialized when spooled, checked to be one JSON value.
        while let Some(json) = spool.next_json().map_err(S::Error::custom)? {
            let text = std::str::from_utf8(json).map_err(S::Error::custom)?;
            let raw: &serde_json::value::RawValue =
                serde_json::from_str(text).map_err(S::Error::custom)?;
            list.serialize_element(raw)?;
        }
        list.end()
    }
}

impl From<Vec<Record>> for Draft {
    fn from(records: Vec<Record>) -> Self {
        Draft {
            records,
            ..Draft::default()
        }
    }
}

/// What a command needs from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Clients and the next short number (`log`, `follow-up`).
    Clients,
    /// Clients and the open follow-ups (what is due; `done`, `snooze`, `cancel`). The
    /// state may hold other records too: those changed since the snapshot.
    Open,
    /// Clients and the open follow-ups due by this day (`remind`), and maybe others as
    /// with `Open`.
    Due(NaiveDate),
    /// Clients and the action or follow-up with this short number (`edit`, `delete`,
    /// and `done`, `snooze` or `cancel` of one follow-up).
    Num(u64),
    /// Clients, follow-ups, and the actions whose time (Unix seconds) falls in
    /// `from..to`, with `State::all_actions` summing up the rest: `Window(from,
    /// whole_from, to)`, those before `whole_from` only counted (`State::counted`).
    Window(i64, i64, i64),
    /// Every current record.
    State,
    /// Every current record, the actions and closed follow-ups read from the snapshot
    /// a slice at a time when it matches (see `Everything`).
    Everything,
    /// Clients and the open follow-ups, and the snapshot kept open to look any other
    /// record up in by its id (see `Existing`).
    Lookup,
    /// Every current record and every change (undo).
    History,
}

/// How much of the journal a read went through.
#[derive(Debug, Default, Clone, Copy)]
struct Source {
    /// The journal's length and stamp when read, and its length without a cut-short
    /// last line.
    journal_len: u64,
    stamp: snapshot::Stamp,
    complete_len: u64,
    /// CRC-32 of the journal's first `complete_len` bytes.
    crc: u32,
    /// Whole-line bytes parsed from the journal (after the snapshot, when one was used).
    parsed: u64,
    /// Of the changes parsed, how many were to actions the snapshot holds.
    older_changes: usize,
    /// Whether the state read holds every record (not only the snapshot's head).
    whole: bool,
    /// What became of the snapshot.
    snapshot: Snapshot,
}

/// What a read made of the snapshot.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Snapshot {
    /// Not consulted (undo reads every change).
    #[default]
    NotAsked,
    /// Checked against the journal, and used.
    Used,
    /// Believed, but it could not answer (a window after edits, or a long way behind).
    Passed,
    /// Missing, damaged, or made for other journal bytes: rebuilt by this command.
    Rejected,
}

/// Journal bytes read past the snapshot before a new snapshot is written.
const REFRESH_AFTER: u64 = 64 * 1024;
/// Changes to actions the snapshot holds before a new snapshot is written: a read that
/// holds only some actions looks each one up (about 10 µs), so a read right after
/// such a write stays within a tenth or so of one on a fresh snapshot.
const REFRESH_AFTER_OLDER: usize = 32;
/// A journal up to this long is snapshotted by the command that finds it due, in a few
/// milliseconds; a longer one by an `extramile index` started in the background, so no
/// command waits for it (see `index_in_background`).
const FOREGROUND_INDEX: u64 = 1024 * 1024;
/// Journal bytes past the snapshot that a read still takes from the journal; past that
/// the snapshot is rebuilt first (see `read_for`), or when the read may not write, the
/// light ones (`log`, `done`, what is due) read the whole journal instead.
const LIGHT_READ_LIMIT: u64 = 1024 * 1024;

/// A journal file and its lock.
#[derive(Debug, Clone)]
pub struct Store {
    journal: PathBuf,
    lock: PathBuf,
    /// Someone else's journal (`report week --team`): never write beside it.
    read_only: bool,
    /// The snapshot: beside the journal, or for someone else's journal in the user's
    /// cache directory (`None` when there is none: then it is never written).
    snapshot: Option<PathBuf>,
    /// Why this store can't be used, when it can't: a symbolic link to nothing (a synced
    /// folder that is not mounted), or something that is not a regular file. It is
    /// left as it is.
    refused: Option<String>,
}

impl Store {
    /// The store at `path`: a journal file, or a directory holding `journal.jsonl`.
    /// A symlink is followed, so a journal kept elsewhere (a synced folder) stays where
    /// it is; the lock and any rewrite happen beside the real file.
    /// A path that ends in a separator names a folder, whether or not it exists yet.
    pub fn open(path: &Path) -> Store {
        let names_folder = path.as_os_str().to_string_lossy().ends_with(['/', '\\']);
        let journal = if path.is_dir() || names_folder {
            path.join(JOURNAL)
        } else {
            path.to_path_buf()
        };
        let is_link = fs::symlink_metadata(&journal).is_ok_and(|m| m.file_type().is_symlink());
        let mut refused = None;
        let journal = match is_link.then(|| fs::canonicalize(&journal)) {
            Some(Ok(target)) => target,
            Some(Err(_)) => {
                let target = fs::read_link(&journal).unwrap_or_default();
                refused = Some(format!(
                    "the store {} is a symbolic link to {}, which does not exist (is that \
                     folder mounted?); nothing was read or written: mount it, or point --store \
                     elsewhere",
                    journal.display(),
                    target.display()
                ));
                journal
            }
            None => journal,
        };
        if let Ok(metadata) = fs::metadata(&journal)
            && !metadata.is_file()
        {
            refused = Some(format!(
                "{} is not a regular file; --store takes a journal file or a folder to keep \
                 one in",
                journal.display()
            ));
        }
        let mut lock = journal.clone().into_os_string();
        lock.push(".lock");
        let mut snapshot = journal.clone().into_os_string();
        snapshot.push(".snapshot");
        Store {
            journal,
            lock: PathBuf::from(lock),
            read_only: false,
            snapshot: Some(PathBuf::from(snapshot)),
            refused,
        }
    }

    /// A journal to read and never write to, nor write anything beside: its snapshot
    /// is kept in the user's cache directory, named after the journal's path.
    pub fn open_read_only(path: &Path) -> Store {
        let store = Store::open(path);
        let name = store
            .journal
            .file_name()
            .map_or("journal".into(), |n| n.to_string_lossy().into_owned());
        let real = fs::canonicalize(&store.journal).unwrap_or_else(|_| store.journal.clone());
        let snapshot = directories::ProjectDirs::from("", "", "extramile").map(|dirs| {
            let key = crate::state::fnv1a(real.as_os_str().as_encoded_bytes().iter().copied());
            dirs.cache_dir()
                .join("snapshots")
                .join(format!("{name}-{key:016x}.snapshot"))
        });
        Store {
            read_only: true,
            snapshot,
            ..store
        }
    }

    pub fn path(&self) -> &Path {
        &self.journal
    }

    pub fn exists(&self) -> bool {
        self.journal.exists()
    }

    /// A spool whose temp file goes beside the journal.
    pub fn spool(&self) -> Spool {
        Spool::new(files::dir_of(&self.journal))
    }

    /// Refuses a journal whose symbolic link points at nothing: reading it as empty, or
    /// writing a new journal in its place, would hide every record where it points.
    pub fn usable(&self) -> Result<()> {
        match &self.refused {
            None => Ok(()),
            Some(why) => anyhow::bail!("{why}"),
        }
    }

    /// Reads the clients and the next short number only.
    pub fn load_clients(&self) -> Result<Loaded> {
        self.load_for(Need::Clients, None)
    }

    /// Reads the clients and the open follow-ups (see `Need::Open`).
    pub fn load_open(&self) -> Result<Loaded> {
        self.load_for(Need::Open, None)
    }

    /// Reads the current state.
    pub fn load(&self) -> Result<Loaded> {
        self.load_for(Need::State, None)
    }

    /// Hands every change of the journal's complete lines to `sink`, oldest first, as
    /// they stream by under a shared lock (see `stream::read`): memory follows what the
    /// sink keeps, not the history. A journal that does not stream is read whole, to
    /// say exactly what is wrong. Returns a cut-short last line's length, not counted.
    pub fn stream_changes(&self, sink: &mut impl Sink) -> Result<usize> {
        self.usable()?;
        if !self.journal.exists() {
            return Ok(0);
        }
        let _lock = self.lock_shared();
        let file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let len = file.metadata()?.len();
        match stream::read(&file, len, sink) {
            Some((complete_len, _)) => Ok((len - complete_len) as usize),
            None => {
                parse_journal(&self.journal, &self.read_whole(&file, len)?, false)?;
                Err(anyhow!(
                    "could not read the store {}; `extramile check` says what is wrong",
                    self.journal.display()
                ))
            }
        }
    }

    /// Reads the clients, the follow-ups and the actions in a window of time (Unix
    /// seconds `from..to`), only `client`'s when given (an id); `State::all_actions`
    /// sums up every action. Falls back to reading everything when the snapshot can't.
    pub fn load_window(&self, from: i64, to: i64, client: Option<&str>) -> Result<Loaded> {
        self.load_for(Need::Window(from, from, to), client)
    }

    /// `load_window` of every client, where the actions the snapshot holds are read
    /// only to be counted (`State::counted`), but for stories: for the reports, which
    /// show figures and stories.
    pub fn load_window_counting(&self, from: i64, to: i64) -> Result<Loaded> {
        self.load_for(Need::Window(from, to, to), None)
    }

    /// Reads what `need` asks for under a shared lock, and rebuilds the snapshot when
    /// the read found it missing, rejected or far behind. A store that does not exist
    /// yet reads as empty.
    fn load_for(&self, need: Need, client: Option<&str>) -> Result<Loaded> {
        self.usable()?;
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_shared();
        let (loaded, source) = self.read_for(need, client, true)?;
        self.refresh_snapshot(&loaded.state, &source, true);
        Ok(loaded)
    }

    /// Reads the clients and the open follow-ups due by `day` (see `Need::Due`) for
    /// `remind`, which runs from shell prompts and cron and must not hold them up: it
    /// never waits for the lock, never writes (not even the snapshot's seal), and never
    /// rebuilds the snapshot itself. While a change is being appended it may see it as
    /// a cut-short last line, which is not counted (nor reported: it is no damage);
    /// every rewrite replaces a file whole, so nothing else is ever seen half done. A
    /// snapshot missing or far behind is left to the next command, or for a long
    /// journal to an `extramile index` started in the background; until then the
    /// journal itself is read.
    pub fn peek_due(&self, day: NaiveDate) -> Result<Loaded> {
        self.usable()?;
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let lock = self.lock_file();
        let writing = lock
            .as_ref()
            .is_some_and(|f| matches!(f.try_lock_shared(), Err(TryLockError::WouldBlock)));
        let (mut loaded, source) = self.read_for(Need::Due(day), None, false)?;
        if writing {
            loaded.torn_bytes = 0;
        }
        self.refresh_snapshot(&loaded.state, &source, false);
        Ok(loaded)
    }

    /// Checks the snapshot against the journal, and writes a fresh one. Returns what was
    /// wrong with the old one: damaged (a checksum fails), stale (made for journal bytes
    /// that have since changed), or disagreeing with the journal (see
    /// `snapshot_problem`).
    pub fn check_snapshot(&self) -> Result<Option<String>> {
        let _lock = self.lock_shared();
        let path = self.snapshot_path();
        // A snapshot an older build wrote is not damage: it is simply rebuilt.
        let problem = if !path.exists() || snapshot::is_older_format(&path) {
            None
        } else {
            self.snapshot_problem()?
        };
        if problem.is_some() {
            fs::remove_file(&path)
                .with_context(|| format!("could not remove {}", path.display()))?;
        }
        // Best effort, as any snapshot: a store in a read-only folder works without one.
        if self.snapshot.is_some() {
            let _ = self.write_index();
        }
        Ok(problem)
    }

    /// Reads what `need` asks for, for shell completion: without waiting for the lock
    /// (a prompt must never hang on a writer; a line a writer is halfway through reads
    /// as cut short and is not counted) and without writing anything, not even a
    /// snapshot or its seal (a keypress changes no file).
    pub fn peek(&self, need: Need) -> Result<Loaded> {
        self.usable()?;
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_file().filter(|f| f.try_lock_shared().is_ok());
        // Without a snapshot path of its own, a store writes no snapshot and no seal,
        // and reads the one beside the journal.
        let quiet = Store {
            snapshot: None,
            ..self.clone()
        };
        Ok(quiet.read(need)?.0)
    }

    /// A shared lock when the lock file can be opened; a store we can only read (no
    /// lock file, read-only directory) is read without one.
    fn lock_shared(&self) -> Option<File> {
        self.lock_file().filter(|f| f.lock_shared().is_ok())
    }

    /// The lock file, opened to read, when it exists (it is never followed).
    fn lock_file(&self) -> Option<File> {
        files::no_follow(OpenOptions::new())
            .read(true)
            .open(&self.lock)
            .ok()
    }

    /// Runs `make` on what `need` reads of the store, under the exclusive lock, and
    /// appends the change it drafts, synced before this returns. Nothing is written
    /// when `make` fails or drafts no records. `make` sees only what `need` asks for
    /// (see `Need`): reading no more is what keeps `log`, `done` and `edit` as fast on
    /// a long history as on a short one. A command that finds what it needs missing
    /// drafts nothing and asks again for more.
    pub fn change<T>(
        &self,
        need: Need,
        command: &str,
        at: DateTime<FixedOffset>,
        make: impl FnOnce(&Loaded) -> Result<(Draft, T)>,
    ) -> Result<T> {
        let _lock = self.lock_exclusive()?;
        let (mut loaded, mut source) = if self.journal.exists() {
            let (loaded, mut source) = self.read(need)?;
            if need == Need::History && self.is_sealed() {
                source.snapshot = Snapshot::Used;
            }
            (loaded, source)
        } else {
            (Loaded::default(), Source::default())
        };
        let (machine, home) = self.copy_of_store(&loaded.state)?;
        loaded.state.set_machine(&machine, home);
        let (draft, out) = make(&loaded)?;
        if draft.is_empty() {
            return Ok(out);
        }
        if let Some(header) = self.create_if_missing()? {
            let len = header.len() as u64;
            source = Source {
                journal_len: len,
                complete_len: len,
                crc: crc32fast::hash(&header),
                parsed: len,
                whole: true,
                ..Source::default()
            };
        }
        if loaded.torn_bytes > 0 {
            self.set_aside_torn_tail(source.journal_len, loaded.torn_bytes)?;
        }
        let (records, was) = match draft.spooled {
            Some((records, was)) => (
                Listed::Spooled(records.reader()?.into()),
                Listed::Spooled(was.reader()?.into()),
            ),
            None => {
                let was = draft.was.unwrap_or_else(|| {
                    draft
                        .records
                        .iter()
                        .filter_map(|r| loaded.state.record(r.id()))
                        .collect()
                });
                (Listed::Held(draft.records), Listed::Held(was))
            }
        };
        let change = Change {
            id: crate::model::new_id(),
            at,
            seq: loaded.state.next_seq(),
            command: command.to_string(),
            records,
            undoes: draft.undoes,
            merged: Vec::new(),
            was: Some(was),
            follows: Some((source.complete_len, source.crc)),
            by: Some(machine),
        };
        let mut crc = crc32fast::Hasher::new_with_initial_len(source.crc, source.complete_len);
        let (journal_len, line_len) = self.append(&mut crc, |out| {
            serde_json::to_writer(&mut *out, &change)?;
            Ok(out.write_all(b"\n")?)
        })?;
        let stamp = snapshot::Stamp::of(&fs::metadata(&self.journal)?);
        let held = match &change.records {
            Listed::Held(records) => Some(records),
            Listed::Spooled(_) => None,
        };
        let after = Source {
            journal_len,
            stamp,
            complete_len: journal_len,
            crc: crc.finalize(),
            parsed: source.parsed + line_len,
            older_changes: source.older_changes,
            whole: source.whole && need != Need::History && held.is_some(),
            snapshot: source.snapshot,
        };
        if let Some(records) = held.filter(|_| after.whole) {
            journal::fold_records(command, change.seq, records, &mut loaded.state);
        }
        // Keep the snapshot in step: rebuilt when it was rejected or is far behind
        // (from the journal, as a stream, when the state does not hold every record),
        // else sealed at the journal's new length and stamp.
        if !self.refresh_snapshot(&loaded.state, &after, true) && source.snapshot == Snapshot::Used
        {
            snapshot::write_seal(
                &self.snapshot_path(),
                snapshot::Seal {
                    len: journal_len,
                    stamp,
                },
            );
        }
        Ok(out)
    }

    /// Whether the journal's first `len` bytes have the CRC-32 `crc`. With a believed
    /// snapshot, only the bytes between its mark and `len` are read: the mark's CRC is
    /// carried on to `len` when it covers less, and when it covers more, `crc` carried
    /// on over the bytes from `len` must come to the mark's (carrying on is one-to-one,
    /// so that holds exactly when the first `len` bytes hash to `crc`). Without one,
    /// every byte is read.
    fn begins_with(&self, file: &mut File, len: u64, crc: u32) -> Result<bool> {
        let metadata = file.metadata()?;
        let (journal_len, stamp) = (metadata.len(), snapshot::Stamp::of(&metadata));
        let snap = snapshot::read(&self.snapshot_path(), snapshot::Part::Head, None);
        let mark = match snap {
            Some(snap) if self.believe(file, &snap, journal_len, stamp, true)? => snap.mark,
            _ => return Ok(self.crc_of(file, crc32fast::Hasher::new(), 0, len)? == crc),
        };
        if mark.covers <= len {
            let from_mark = crc32fast::Hasher::new_with_initial_len(mark.crc, mark.covers);
            return Ok(self.crc_of(file, from_mark, mark.covers, len)? == crc);
        }
        let rest = self.crc_of(file, crc32fast::Hasher::new(), len, mark.covers)?;
        let mut carried = crc32fast::Hasher::new_with_initial_len(crc, len);
        carried.combine(&crc32fast::Hasher::new_with_initial_len(
            rest,
            mark.covers - len,
        ));
        Ok(carried.finalize() == mark.crc)
    }

    /// `crc` (the CRC-32 of the journal's first `from` bytes) carried on to `to`.
    fn crc_of(
        &self,
        file: &mut File,
        mut crc: crc32fast::Hasher,
        from: u64,
        to: u64,
    ) -> Result<u32> {
        let mut buffer = vec![0; (to - from).min(1 << 20) as usize];
        file.seek(SeekFrom::Start(from))?;
        let mut left = to - from;
        while left > 0 {
            let chunk = &mut buffer[..left.min(1 << 20) as usize];
            file.read_exact(chunk)
                .with_context(|| format!("could not read the store {}", self.journal.display()))?;
            crc.update(chunk);
            left -= chunk.len() as u64;
        }
        Ok(crc.finalize())
    }

    /// This copy of the store: an id kept beside the journal in `journal.jsonl.machine`
    /// (made on the first write, never synced: git ignores `journal.jsonl.*`), so two
    /// clones of one journal are two machines.
    pub fn machine(&self) -> Result<String> {
        let (path, id, lane) = self.machine_file();
        match id {
            Some(id) => Ok(id),
            None => {
                let id = crate::model::new_id();
                write_machine_file(&path, &id, lane)?;
                Ok(id)
            }
        }
    }

    /// This copy's id, and whether it numbers from the home range (see
    /// `state::Numbering`). The range is decided once, by the copy's first change, and
    /// kept on the second line of its file, so a compaction that leaves no record of
    /// it cannot change it.
    fn copy_of_store(&self, state: &State) -> Result<(String, bool)> {
        let (path, id, lane) = self.machine_file();
        if let (Some(id), Some(home)) = (&id, lane) {
            return Ok((id.clone(), home));
        }
        let id = id.unwrap_or_else(crate::model::new_id);
        let home = lane.unwrap_or_else(|| state.numbering.is_home(&id));
        write_machine_file(&path, &id, Some(home))?;
        Ok((id, home))
    }

    /// The copy's file, and what it says: the id, and `home` or `away`.
    fn machine_file(&self) -> (PathBuf, Option<String>, Option<bool>) {
        let path = self.beside(".machine");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let mut lines = text.lines().map(str::trim);
        let id = lines.next().filter(|id| !id.is_empty()).map(str::to_string);
        let lane = match lines.next() {
            Some("home") => Some(true),
            Some("away") => Some(false),
            _ => None,
        };
        (path, id, lane)
    }

    /// The journal's path with `suffix` added: the files kept beside it.
    pub(super) fn beside(&self, suffix: &str) -> PathBuf {
        let mut path = self.journal.clone().into_os_string();
        path.push(suffix);
        PathBuf::from(path)
    }

    /// Whether the snapshot is sealed at the journal as it is now.
    fn is_sealed(&self) -> bool {
        let Ok(metadata) = fs::metadata(&self.journal) else {
            return false;
        };
        let seal = snapshot::Seal {
            len: metadata.len(),
            stamp: snapshot::Stamp::of(&metadata),
        };
        snapshot::read(&self.snapshot_path(), snapshot::Part::Head, None)
            .is_some_and(|snap| snap.seal == Some(seal) && snap.mark.covers <= seal.len)
    }

    fn snapshot_path(&self) -> PathBuf {
        self.snapshot
            .clone()
            .unwrap_or_else(|| self.beside(".snapshot"))
    }

    /// Reads what `need` asks for: from the snapshot and the journal after it when the
    /// snapshot matches the journal, else from the whole journal.
    fn read(&self, need: Need) -> Result<(Loaded, Source)> {
        self.read_for(need, None, true)
    }

    /// `read`, where a window of actions may be only `client`'s (a client id), and a
    /// snapshot believed after a check is sealed when `may_seal` (see `believe`). When
    /// that would read more than `FOREGROUND_INDEX` bytes of the journal (no snapshot,
    /// a rejected one, or one far behind), the snapshot is rebuilt first, as a stream
    /// (unless `!may_seal`: such a read writes nothing), and read instead: a command
    /// never holds a long history in memory.
    fn read_for(
        &self,
        need: Need,
        client: Option<&str>,
        may_seal: bool,
    ) -> Result<(Loaded, Source)> {
        self.read_once(need, client, may_seal, may_seal)
    }

    /// `read_for`, rebuilding the snapshot only when `may_index`.
    fn read_once(
        &self,
        need: Need,
        client: Option<&str>,
        may_seal: bool,
        may_index: bool,
    ) -> Result<(Loaded, Source)> {
        let mut file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let metadata = file.metadata()?;
        let (journal_len, stamp) = (metadata.len(), snapshot::Stamp::of(&metadata));
        let parts = match need {
            Need::History => vec![],
            Need::Clients | Need::Num(_) => vec![snapshot::Part::Head],
            Need::Open => vec![snapshot::Part::Open],
            Need::Due(day) => vec![snapshot::Part::Due(day)],
            Need::Window(from, whole_from, to) => vec![
                snapshot::Part::Window(from, whole_from, to),
                snapshot::Part::All,
            ],
            Need::State => vec![snapshot::Part::All],
            Need::Everything => vec![snapshot::Part::Indexes],
            Need::Lookup => vec![snapshot::Part::Open],
        };
        let mut outcome = Snapshot::NotAsked;
        let mut believed = None;
        let mut unread = journal_len;
        for part in parts {
            let Some(mut snap) = snapshot::read(&self.snapshot_path(), part, client) else {
                outcome = Snapshot::Rejected;
                break;
            };
            if believed != Some(snap.mark)
                && !self.believe(&mut file, &snap, journal_len, stamp, may_seal)?
            {
                outcome = Snapshot::Rejected;
                break;
            }
            (outcome, believed) = (Snapshot::Passed, Some(snap.mark));
            let covers = snap.mark.covers;
            unread = journal_len - covers;
            let light = matches!(
                part,
                snapshot::Part::Head | snapshot::Part::Open | snapshot::Part::Due(_)
            );
            // Far behind: rebuilt first (see `read_for`), or for a light read that may
            // not, the journal is read instead.
            if (light || may_index) && unread > LIGHT_READ_LIMIT {
                break;
            }
            if part == snapshot::Part::Indexes && !snap.verify() {
                outcome = Snapshot::Rejected;
                break;
            }
            let mut state = std::mem::take(&mut snap.state);
            if let Need::Num(num) = need {
                let Some(found) = snap.lookup(&[num]) else {
                    outcome = Snapshot::Rejected;
                    break;
                };
                found.into_iter().for_each(|record| state.insert(record));
            }
            let mut delta = Vec::new();
            file.seek(SeekFrom::Start(covers))
                .and_then(|_| file.read_to_end(&mut delta))
                .with_context(|| format!("could not read the store {}", self.journal.display()))?;
            // A window holds only some actions: the snapshot holds the others.
            let window = matches!(part, snapshot::Part::Window(..));
            let earlier: Option<&mut dyn journal::Earlier> = window.then_some(&mut snap);
            if let Some(mut loaded) = parse_changes(state, &delta, earlier) {
                let parsed = delta.len() - loaded.torn_bytes;
                let mut crc = crc32fast::Hasher::new_with_initial_len(snap.mark.crc, covers);
                if part == snapshot::Part::Indexes || need == Need::Lookup {
                    loaded.indexed = Some(snapshot::Indexed(snap));
                }
                crc.update(&delta[..parsed]);
                let source = Source {
                    journal_len,
                    stamp,
                    complete_len: covers + parsed as u64,
                    crc: crc.finalize(),
                    parsed: parsed as u64,
                    older_changes: loaded.older_changes,
                    whole: part == snapshot::Part::All,
                    snapshot: Snapshot::Used,
                };
                return Ok((loaded, source));
            }
        }
        if may_index
            && need != Need::History
            && self.snapshot.is_some()
            && unread > LIGHT_READ_LIMIT
            && self.write_index().is_ok()
        {
            return self.read_once(need, client, may_seal, false);
        }
        let (loaded, complete_len, crc) = if need == Need::History {
            let bytes = self.read_whole(&file, journal_len)?;
            let loaded = parse_journal(&self.journal, &bytes, true)?;
            let complete_len = bytes.len() - loaded.torn_bytes;
            let crc = crc32fast::hash(&bytes[..complete_len]);
            (loaded, complete_len as u64, crc)
        } else {
            let folded = self.fold(&file, journal_len)?;
            let loaded = Loaded {
                state: folded.state,
                torn_bytes: (journal_len - folded.complete_len) as usize,
                ..Loaded::default()
            };
            (loaded, folded.complete_len, folded.crc)
        };
        let source = Source {
            journal_len,
            stamp,
            complete_len,
            crc,
            parsed: complete_len,
            older_changes: 0,
            whole: true,
            snapshot: outcome,
        };
        Ok((loaded, source))
    }

    /// The journal's first `len` bytes.
    fn read_whole(&self, mut file: &File, len: u64) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(len as usize);
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.take(len).read_to_end(&mut bytes))
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        Ok(bytes)
    }

    /// The state of the journal's complete lines (of its first `len` bytes), folded as
    /// they are read; when that fails, read whole, to say exactly what is wrong.
    fn fold(&self, file: &File, len: u64) -> Result<stream::Folded> {
        crate::memory::map_big_blocks_apart();
        if let Some(folded) = stream::fold(file, len) {
            return Ok(folded);
        }
        let bytes = self.read_whole(file, len)?;
        let loaded = parse_journal(&self.journal, &bytes, false)?;
        let complete_len = bytes.len() - loaded.torn_bytes;
        Ok(stream::Folded {
            state: loaded.state,
            complete_len: complete_len as u64,
            crc: crc32fast::hash(&bytes[..complete_len]),
        })
    }

    /// Whether a snapshot was made from the bytes the journal still begins with. When
    /// the journal is as the last trusting writer sealed it (same length, times and
    /// inode), yes; else the bytes it covers are read and compared by checksum, and a
    /// match is sealed (when `may_seal`) so the next read need not do it again.
    fn believe(
        &self,
        file: &mut File,
        snap: &snapshot::Contents,
        journal_len: u64,
        stamp: snapshot::Stamp,
        may_seal: bool,
    ) -> Result<bool> {
        let covers = snap.mark.covers;
        if covers > journal_len {
            return Ok(false);
        }
        let seal = snapshot::Seal {
            len: journal_len,
            stamp,
        };
        if snap.seal == Some(seal) {
            return Ok(true);
        }
        let same = self.crc_of(file, crc32fast::Hasher::new(), 0, covers)? == snap.mark.crc;
        if same && may_seal && self.snapshot.is_some() {
            snapshot::write_seal(&self.snapshot_path(), seal);
        }
        Ok(same)
    }

    /// Brings the snapshot up to date when the read found it missing, rejected or
    /// `REFRESH_AFTER` behind: from `state` when it is whole, else from the journal;
    /// for a long journal, in the background (and only then unless `foreground`).
    /// Whether a snapshot of `state` was written. Best effort: a store in a read-only
    /// directory works without one.
    fn refresh_snapshot(&self, state: &State, source: &Source, foreground: bool) -> bool {
        let due = source.snapshot == Snapshot::Rejected
            || source.parsed >= REFRESH_AFTER
            || source.older_changes >= REFRESH_AFTER_OLDER;
        if self.snapshot.is_none() || !due {
            return false;
        }
        // Someone else's journal is snapshotted here and now: it is read, not written.
        if !self.read_only && source.complete_len >= FOREGROUND_INDEX {
            self.index_in_background();
            false
        } else if !foreground {
            false
        } else if source.whole {
            self.write_snapshot(
                state,
                source.complete_len,
                source.crc,
                source.journal_len,
                source.stamp,
            )
        } else {
            let _ = self.write_index();
            false
        }
    }

    /// Rebuilds the snapshot from the whole journal, under a shared lock while the
    /// journal is read (`extramile index`). Returns how many records it holds and how
    /// many journal bytes it covers.
    pub fn index(&self) -> Result<(usize, u64)> {
        self.usable()?;
        let lock = self.lock_shared();
        let journal = self.open_journal()?;
        drop(lock);
        self.index_from(journal)
    }

    /// `index`, by a command that holds the lock already.
    fn write_index(&self) -> Result<(usize, u64)> {
        self.index_from(self.open_journal()?)
    }

    /// The journal, opened, with its length and stamp as it was opened: what is read
    /// from it is its first that many bytes, whatever is appended meanwhile.
    fn open_journal(&self) -> Result<(File, u64, snapshot::Stamp)> {
        let file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let metadata = file.metadata()?;
        Ok((file, metadata.len(), snapshot::Stamp::of(&metadata)))
    }

    /// Rebuilds the snapshot from the journal read as a stream (see `build`), in
    /// memory that does not grow with what the records hold.
    fn index_from(&self, (file, len, stamp): (File, u64, snapshot::Stamp)) -> Result<(usize, u64)> {
        // A read that rebuilds first goes through the whole history as the bulk
        // commands do.
        crate::memory::map_big_blocks_apart();
        let path = self.snapshot_path();
        let dir = files::dir_of(&path);
        if self.read_only {
            create_private_dir(dir)?;
        }
        let built = build::from_journal(&file, len, dir)
            .with_context(|| format!("could not write the snapshot {}", path.display()))?;
        let Some((state, bulk, complete_len, crc)) = built else {
            return Err(self.unreadable(&file, len));
        };
        let records = state.clients.len() + state.follow_ups.len() + bulk.len();
        if !self.write_built(&state, bulk, complete_len, crc, len, stamp) {
            anyhow::bail!("could not write the snapshot {}", path.display());
        }
        Ok((records, complete_len))
    }

    /// The lock an `extramile index` holds while it works, so one runs at a time and
    /// others (the benchmark, a test) can wait for it to finish.
    pub fn index_lock(&self) -> Result<File> {
        files::no_follow(private_options())
            .read(true)
            .write(true)
            .truncate(false)
            .create(true)
            .open(self.beside(".indexing"))
            .with_context(|| format!("could not open {}", self.beside(".indexing").display()))
    }

    /// Starts `extramile index` for this store as a process of its own, unless one is
    /// at work already, and returns at once. It takes over the index lock, so whoever
    /// waits for that lock waits for it to finish.
    #[cfg(unix)]
    fn index_in_background(&self) {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let Ok(lock) = self.index_lock() else {
            return;
        };
        if lock.try_lock().is_err() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let fd = lock.as_raw_fd();
        let mut command = std::process::Command::new(exe);
        command
            .arg("index")
            .arg("--store")
            .arg(&self.journal)
            .env(INDEX_LOCK_FD, fd.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            // Its own process group: a Ctrl-C meant for the command does not stop it.
            .process_group(0);
        // SAFETY: between fork and exec this only calls fcntl, which is
        // async-signal-safe, on a descriptor this process owns: the child keeps the
        // lock's descriptor open across exec, and with it the lock.
        unsafe {
            command.pre_exec(move || {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let _ = command.spawn();
    }

    #[cfg(not(unix))]
    fn index_in_background(&self) {
        let _ = self.write_index();
    }

    /// Writes a snapshot of `state` for the journal's first `covers` bytes, sealed when
    /// that is the whole journal (`journal_len` long, stamped `stamp`).
    fn write_snapshot(
        &self,
        state: &State,
        covers: u64,
        crc: u32,
        journal_len: u64,
        stamp: snapshot::Stamp,
    ) -> bool {
        build::Bulk::of(state)
            .is_ok_and(|bulk| self.write_built(state, bulk, covers, crc, journal_len, stamp))
    }

    /// `write_snapshot` of `state`'s clients, people and open follow-ups and `bulk`'s
    /// records.
    fn write_built(
        &self,
        state: &State,
        bulk: build::Bulk,
        covers: u64,
        crc: u32,
        journal_len: u64,
        stamp: snapshot::Stamp,
    ) -> bool {
        let path = self.snapshot_path();
        if self.read_only
            && let Some(dir) = path.parent()
            && create_private_dir(dir).is_err()
        {
            return false;
        }
        let mark = snapshot::Mark { covers, crc };
        let seal = (journal_len == covers).then_some(snapshot::Seal {
            len: journal_len,
            stamp,
        });
        files::write_atomically_with(&path, |file| {
            Ok(build::write(file, mark, seal, state, bulk)?)
        })
        .is_ok()
    }

    fn read_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        File::open(&self.journal)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        Ok(bytes)
    }

    fn lock_exclusive(&self) -> Result<File> {
        self.usable()?;
        if let Some(dir) = self.journal.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        if fs::symlink_metadata(&self.lock).is_ok_and(|m| !m.file_type().is_file()) {
            anyhow::bail!(
                "the lock file {} is a symbolic link or not a file; extramile never follows \
                 one: remove it and try again",
                self.lock.display()
            );
        }
        let lock = files::no_follow(private_options())
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

    /// Creates the journal with its format line, atomically: it appears whole or not at all.
    /// Returns the format line when it created the journal.
    fn create_if_missing(&self) -> Result<Option<Vec<u8>>> {
        if self.journal.exists() {
            return Ok(None);
        }
        let mut header = serde_json::to_vec(&Header {
            format: FORMAT.into(),
            version: VERSION,
        })?;
        header.push(b'\n');
        write_atomically(&self.journal, &header)
            .with_context(|| format!("could not create the store {}", self.journal.display()))?;
        Ok(Some(header))
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
        let aside = self.beside(&format!(".torn-{}", crate::model::new_id()));
        write_atomically(&aside, &torn_bytes).with_context(|| {
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

    /// Appends one change's line, as `write` writes it (ending with its newline), carrying
    /// `crc` on over it; returns the journal's new length and the line's. A line of up
    /// to a megabyte goes in one write; a longer one (an import) in several: either way
    /// a crash leaves it whole or cut short, never mixed with another.
    fn append(
        &self,
        crc: &mut crc32fast::Hasher,
        write: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<(u64, u64)> {
        let file = OpenOptions::new()
            .append(true)
            .open(&self.journal)
            .with_context(|| format!("could not open {} for writing", self.journal.display()))?;
        let length = file.metadata()?.len();
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            Summed {
                inner: &file,
                crc,
                len: 0,
            },
        );
        let written = write(&mut out)
            .and_then(|()| Ok(out.flush()?))
            .and_then(|()| Ok(file.sync_data()?));
        let line_len = out.get_ref().len;
        drop(out);
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
        Ok((length + line_len, line_len))
    }
}

/// Hands bytes on to be written, summing up those written.
struct Summed<'a, W> {
    inner: W,
    crc: &'a mut crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Summed<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.crc.update(&bytes[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_machine_file(path: &Path, id: &str, home: Option<bool>) -> Result<()> {
    let lane = match home {
        Some(true) => "home\n",
        Some(false) => "away\n",
        None => "",
    };
    write_atomically(path, format!("{id}\n{lane}").as_bytes())
}

/// Whether two states hold the same records and give the same next number.
pub fn same_records(a: &State, b: &State) -> bool {
    a.clients == b.clients
        && a.actions == b.actions
        && a.follow_ups == b.follow_ups
        && a.next_num() == b.next_num()
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
                    by: None,
                    follows_up: None,
                    asked: false,
                    story: false,
                    with: vec![],
                })
            };
            state.apply(&record);
            states.push(state.clone());
            let change = Change {
                id: format!("k{num}"),
                at: at(),
                seq: num + 1,
                by: None,
                command: "log".into(),
                records: vec![record],
                undoes: None,
                merged: Vec::new(),
                was: None,
                follows: None,
            };
            bytes.extend(serde_json::to_vec(&change).unwrap());
            bytes.push(b'\n');
        }
        (bytes, states)
    }

    /// Writes a snapshot of `state` marked as made from all of `bytes`, unsealed.
    fn snapshot_of(store: &Store, bytes: &[u8], state: &State) {
        let mark = snapshot::Mark {
            covers: bytes.len() as u64,
            crc: crc32fast::hash(bytes),
        };
        std::fs::write(store.snapshot_path(), build::bytes_of(mark, None, state)).unwrap();
    }

    #[test]
    fn taking_out_a_clients_latest_older_action_is_followed_without_reading_everything() {
        // Two clients, one touched only long ago, one all along: three years of
        // actions, most of them in the snapshot's older part.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (mut bytes, states) = journal(0);
        let mut state = states.last().unwrap().clone();
        let mut globex = state.clients["c"].clone();
        (globex.id, globex.name) = ("d".into(), "Globex".into());
        let mut seq = 2;
        bytes.extend(journal::test_line(
            seq,
            "client",
            vec![Record::Client(globex.clone())],
        ));
        state.apply(&Record::Client(globex));
        let mut actions = Vec::new();
        for days_ago in (0..3 * 365).step_by(3) {
            let num = actions.len() as u64 + 1;
            let client = if days_ago > 500 { "c" } else { "d" };
            let Record::Action(mut a) =
                journal::test_action(num, at() - chrono::Duration::days(days_ago))
            else {
                unreachable!("an action")
            };
            (a.client, a.story) = (client.into(), num.is_multiple_of(5));
            seq += 1;
            bytes.extend(journal::test_line(
                seq,
                "log",
                vec![Record::Action(a.clone())],
            ));
            state.apply(&Record::Action(a.clone()));
            actions.push(a);
        }
        std::fs::write(store.path(), &bytes).unwrap();
        snapshot_of(&store, &bytes, &state);
        // Each client's latest action before the recent part, its latest but one (moved
        // later than the one taken out), then the one before them both.
        let latest = |client: &str, since_days: i64| {
            let before = at() - chrono::Duration::days(since_days);
            let mut older: Vec<&Action> = actions
                .iter()
                .filter(|a| a.client == client && a.at < before)
                .collect();
            older.sort_by_key(|a| std::cmp::Reverse(a.at));
            older.into_iter().take(3).cloned().collect::<Vec<_>>()
        };
        let mut taken = latest("c", 405);
        taken.extend(latest("d", 405));
        assert_eq!(taken.len(), 6);
        let mut changes = Vec::new();
        for three in taken.chunks(3) {
            changes.push(Record::tombstone(three[0].id.clone(), Some(three[0].num)));
            let mut moved = three[1].clone();
            moved.at = three[0].at - chrono::Duration::hours(1);
            changes.push(Record::Action(moved));
            changes.push(Record::tombstone(three[2].id.clone(), Some(three[2].num)));
        }
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(store.path())
            .unwrap();
        for record in changes {
            seq += 1;
            state.apply(&record);
            let command = if matches!(record, Record::Action(_)) {
                "edit"
            } else {
                "delete"
            };
            file.write_all(&journal::test_line(seq, command, vec![record]))
                .unwrap();
        }
        drop(file);
        let week = (at() - chrono::Duration::days(7)).timestamp()..at().timestamp();
        let (loaded, source) = store
            .read_once(
                Need::Window(week.start, week.start, week.end),
                None,
                false,
                false,
            )
            .unwrap();
        assert_eq!(source.snapshot, Snapshot::Used);
        assert!(!source.whole, "read through the snapshot's window");
        for days_ago in [0, 7, 300] {
            let before = at() - chrono::Duration::days(days_ago);
            assert_eq!(
                loaded.state.client_activity(before),
                state.client_activity(before),
                "{days_ago} days ago"
            );
        }
    }

    #[test]
    fn a_change_reads_the_same_whether_its_records_were_held_or_spooled() {
        let dir = tempfile::tempdir().unwrap();
        let (_, states) = journal(40);
        let state = &states[states.len() - 1];
        let records: Vec<Record> = state
            .actions
            .values()
            .cloned()
            .map(Record::Action)
            .collect();
        let was: Vec<Record> = records[..5].to_vec();
        let spooled = |values: &[Record]| {
            let mut spool = Spool::new(dir.path());
            values.iter().for_each(|v| spool.push(v).unwrap());
            Listed::Spooled(spool.reader().unwrap().into())
        };
        let line = |records: Listed, was: Listed| {
            serde_json::to_string(&Change {
                at: at(),
                seq: 3,
                command: "import".into(),
                records,
                undoes: Some("u".into()),
                merged: Vec::new(),
                was: Some(was),
                follows: Some((10, 20)),
                by: Some("m".into()),
                id: "k".into(),
            })
            .unwrap()
        };
        let held = line(Listed::Held(records.clone()), Listed::Held(was.clone()));
        let change: Change = serde_json::from_str(&held).unwrap();
        assert_eq!(
            (change.records, change.was),
            (records.clone(), Some(was.clone()))
        );
        assert_eq!(line(spooled(&records), spooled(&was)), held);
        assert_eq!(
            line(spooled(&[]), spooled(&[])),
            line(Listed::Held(Vec::new()), Listed::Held(Vec::new()))
        );
    }

    #[test]
    fn a_few_dozen_changes_to_older_actions_have_the_snapshot_rebuilt() {
        // Far fewer bytes than `REFRESH_AFTER`, but each change a window read must look
        // up in the snapshot.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (mut bytes, states) = journal(40);
        std::fs::write(store.path(), &bytes).unwrap();
        snapshot_of(&store, &bytes, states.last().unwrap());
        let covers = || {
            snapshot::read(&store.snapshot_path(), snapshot::Part::Head, None)
                .unwrap()
                .mark
                .covers
        };
        let week = (at().timestamp() - 7 * 86_400, at().timestamp() + 86_400);
        for num in 1..=REFRESH_AFTER_OLDER as u64 {
            let mut edited = journal::test_action(num, at());
            if let Record::Action(a) = &mut edited {
                a.text = format!("edited {num}");
            }
            bytes.extend(journal::test_line(41 + num, "edit", vec![edited]));
            std::fs::write(store.path(), &bytes).unwrap();
            let before = covers();
            let loaded = store.load_window(week.0, week.1, None).unwrap();
            assert_eq!(
                loaded.state.actions[&format!("a{num}")].text,
                format!("edited {num}")
            );
            if (num as usize) < REFRESH_AFTER_OLDER {
                assert_eq!(covers(), before, "{num} changes: the snapshot is kept");
            } else {
                assert_eq!(covers(), bytes.len() as u64, "{num} changes: rebuilt");
            }
        }
        assert!(
            (bytes.len() as u64) < REFRESH_AFTER,
            "rebuilt for the changes, not their bytes"
        );
    }

    #[test]
    fn actions_only_counted_follow_the_changes_after_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (mut bytes, states) = journal(6);
        std::fs::write(store.path(), &bytes).unwrap();
        snapshot_of(&store, &bytes, states.last().unwrap());
        // After the snapshot: an action moved out of the counted days, one deleted,
        // one story marked, and one new, all within them or the days held whole.
        let hours = |n: i64| at() + chrono::Duration::hours(n);
        let mut story = journal::test_action(3, at());
        if let Record::Action(a) = &mut story {
            (a.story, a.kind) = (true, Kind::Intro);
        }
        let changes = [
            ("edit", journal::test_action(1, hours(30))),
            (
                "delete",
                Record::Deleted {
                    id: "a2".into(),
                    num: Some(2),
                    into: None,
                },
            ),
            ("edit", story),
            ("log", journal::test_action(7, hours(-2))),
        ];
        for (seq, (command, record)) in changes.into_iter().enumerate() {
            bytes.extend(journal::test_line(41 + seq as u64, command, vec![record]));
        }
        std::fs::write(store.path(), &bytes).unwrap();
        let (from, to) = (hours(-24).timestamp(), hours(48).timestamp());
        let counting = store.load_window_counting(from, to).unwrap().state;
        let whole = store.load_window(from, to, None).unwrap().state;
        // a4, a5, a6 as the snapshot has them; a1 moved, a3 made a story and a7 new are
        // held whole, as changed.
        let mut held: Vec<&str> = counting.actions.keys().map(String::as_str).collect();
        held.sort();
        assert_eq!(held, ["a1", "a3", "a7"][..]);
        assert_eq!(counting.counted.iter().count(), 3);
        let mut found: Vec<(i64, bool)> = (counting.counted.iter().map(|c| (c.at, c.story)))
            .chain(
                counting
                    .actions
                    .values()
                    .map(|a| (a.at.timestamp(), a.story)),
            )
            .collect();
        let mut expected: Vec<(i64, bool)> = (whole.actions.values())
            .map(|a| (a.at.timestamp(), a.story))
            .collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected);
        let day = |d: NaiveDate| crate::report::totals(&whole, d, d, d);
        let today = at().date_naive();
        for d in [
            today - chrono::Days::new(1),
            today,
            today + chrono::Days::new(1),
        ] {
            assert_eq!(crate::report::totals(&counting, d, d, d), day(d), "{d}");
        }
        assert_eq!(
            counting.client_activity(hours(72)),
            whole.client_activity(hours(72))
        );
    }

    #[test]
    fn a_snapshot_that_disagrees_with_the_journal_is_found_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (bytes, states) = journal(3);
        std::fs::write(store.path(), &bytes).unwrap();
        assert_eq!(
            store.check_snapshot().unwrap(),
            None,
            "no snapshot: nothing wrong"
        );
        assert!(store.snapshot_path().exists(), "check writes a fresh one");
        // A snapshot marked as made from these bytes, but of an older state.
        snapshot_of(&store, &bytes, &states[1]);
        assert_eq!(
            store.load().unwrap().state.actions.len(),
            0,
            "a matching snapshot is used as it is"
        );
        let problem = store.check_snapshot().unwrap().unwrap();
        assert!(problem.contains("disagrees"), "{problem}");
        assert_eq!(store.load().unwrap().state.actions.len(), 3);
        assert_eq!(store.check_snapshot().unwrap(), None);
    }

    #[test]
    fn a_snapshot_an_older_build_wrote_is_rebuilt_without_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (bytes, states) = journal(2);
        std::fs::write(store.path(), &bytes).unwrap();
        std::fs::write(store.snapshot_path(), b"EXMSNAP\x0a and what format 1 held").unwrap();
        assert_eq!(store.check_snapshot().unwrap(), None);
        assert!(!snapshot::is_older_format(&store.snapshot_path()));
        assert!(same_records(
            &store.load().unwrap().state,
            &states[states.len() - 1]
        ));
        // Anything else unreadable is damage.
        std::fs::write(store.snapshot_path(), b"EXMSNAQ3 garbage").unwrap();
        assert!(store.check_snapshot().unwrap().unwrap().contains("damaged"));
    }

    #[test]
    fn a_hand_edit_of_the_journal_is_seen_whatever_its_length_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        let (bytes, states) = journal(3);
        std::fs::write(store.path(), &bytes).unwrap();
        snapshot_of(&store, &bytes, &states[states.len() - 1]);
        assert!(same_records(
            &store.load().unwrap().state,
            &states[states.len() - 1]
        ));
        // The same length, one letter changed in an old line.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let edited = text.replacen("note 1 ", "NOTE 1 ", 1);
        assert_eq!(edited.len(), text.len());
        std::fs::write(store.path(), &edited).unwrap();
        let has =
            |state: &State, text: &str| state.actions.values().any(|a| a.text.starts_with(text));
        assert!(has(&store.load().unwrap().state, "NOTE 1 "));
        // The same again, with an append after the edit.
        let (bytes, states) = journal(4);
        let cut = journal(3).0.len();
        std::fs::write(store.path(), &bytes[..cut]).unwrap();
        snapshot_of(&store, &bytes[..cut], &states[states.len() - 2]);
        let edited = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("note 2 ", "NOTE 2 ", 1);
        std::fs::write(store.path(), &edited).unwrap();
        let loaded = store.load().unwrap().state;
        assert!(has(&loaded, "NOTE 2 "));
        assert_eq!(loaded.actions.len(), 4);
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
                same_records(&loaded.state, &states[whole_lines - 1]),
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
