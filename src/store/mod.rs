//! The store: one journal file (see `journal`), appended one change at a time under an
//! exclusive lock on a sidecar `.lock` file and synced before success is reported.
//!
//! A last line without its newline is a write that was cut short (a crash, `kill -9`):
//! it is never counted, and the next writer sets it aside into a `.torn` file beside
//! the journal before appending. Any other unreadable line stops every command, and the
//! file is left as it is. Reads go through a derived `snapshot` when it matches the
//! journal; `rewrite` holds the operations that replace the journal whole.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};

mod files;
mod journal;
mod rewrite;
mod snapshot;

use files::{create_private_dir, private_options};
pub use files::{stale_temp_files, write_atomically};
pub use journal::{Change, FORMAT, Loaded, VERSION, check_header, parse_journal};
use journal::{Header, parse_changes};
pub use rewrite::{Compacted, MergeReport, merged_journal};

use crate::model::Record;
use crate::state::State;

/// File name of the journal inside a store directory.
pub const JOURNAL: &str = "journal.jsonl";

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

/// A journal file and its lock.
#[derive(Debug, Clone)]
pub struct Store {
    journal: PathBuf,
    lock: PathBuf,
    /// Someone else's journal (`report week --team`): never write beside it.
    read_only: bool,
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

    /// Reads the clients and the next short number only.
    pub fn load_clients(&self) -> Result<Loaded> {
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_shared();
        Ok(self.read(Need::Clients)?.0)
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
    /// seconds `from..to`), only `client`'s when given (an id); `State::all_actions`
    /// sums up every action. Falls back to reading everything when the snapshot can't.
    pub fn load_window(&self, from: i64, to: i64, client: Option<&str>) -> Result<Loaded> {
        if !self.journal.exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock_shared();
        let (loaded, source) = self.read_for(Need::Window(from, to), client)?;
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
        self.read_for(need, None)
    }

    /// `read`, where a window of actions may be only `client`'s (a client id).
    fn read_for(&self, need: Need, client: Option<&str>) -> Result<(Loaded, Source)> {
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
            let Some((mark, state)) = snapshot::read(&self.snapshot_path(), part, client) else {
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
