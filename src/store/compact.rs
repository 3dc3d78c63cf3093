//! `compact`: the journal rewritten to each record's newest version, as a stream. One
//! pass finds the newest versions (`Newest`), a second writes them out change by
//! change, and the new journal is then read the same two ways and must hold the same
//! records and highest number before it replaces the old one. No record is held in
//! memory, so this costs what `Newest` keeps (about 32 bytes a record).

use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::{Seek, SeekFrom, Write};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};

use super::files::{put_in_place, write_atomically_with, write_temp};
use super::journal::{Change, parse_journal};
use super::newest::Newest;
use super::stream::{self, Field, Sink};
use super::{Compacted, Everything, Store, snapshot};
use crate::model::Record;
use crate::state::State;

impl Store {
    /// Rewrites the journal to the newest version of each record (and a tombstone for
    /// each deleted one, so merging an older copy does not bring it back). Each record
    /// stays in the change that wrote its newest version, with that change's id, time
    /// and sequence number, so a copy compacted elsewhere merges with this one as
    /// before; changes left with nothing are dropped, and a last `compact` change marks
    /// where undo stops. The old journal is kept as a timestamped backup beside it; the
    /// new one is read back and must hold exactly the same records before it replaces
    /// the old, through a temp file, fsync, rename and fsync of the directory.
    pub fn compact(&self, at: DateTime<FixedOffset>) -> Result<Compacted> {
        let _lock = self.lock_exclusive()?;
        if !self.journal.exists() {
            crate::usage!(
                "there is no store at {} yet; nothing to compact",
                self.journal.display()
            );
        }
        let (old, len, _) = self.open_journal()?;
        let newest = self.newest(&old, len)?;
        let marker: Change = Change {
            at,
            seq: newest.max_seq + 1,
            command: "compact".into(),
            records: Vec::new(),
            undoes: None,
            merged: Vec::new(),
            was: None,
            follows: None,
            by: Some(self.machine()?),
            id: crate::model::new_id(),
        };
        let mut written = Tally::default();
        let temp = write_temp(&self.journal, |out| {
            // The format line as it was.
            (&old).seek(SeekFrom::Start(0))?;
            let mut header = Vec::new();
            std::io::BufRead::read_until(
                &mut std::io::BufReader::new(std::io::Read::take(&old, 4096)),
                b'\n',
                &mut header,
            )?;
            out.write_all(&header)?;
            let mut rewrite = Rewrite::new(&newest, out);
            let read = stream::read(&old, len, &mut rewrite);
            if let Some(err) = rewrite.error.take() {
                return Err(err.into());
            }
            if read.is_none() {
                return Err(self.unreadable(&old, len));
            }
            written = rewrite.tally;
            serde_json::to_writer(&mut *out, &marker)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
        // What is kept of the old journal: the newest versions go before the new
        // journal's are found.
        let (old_mark, changes_before) = (mark(&newest), newest.changes);
        drop(newest);
        let checked = File::open(&temp)
            .ok()
            .and_then(|file| Tally::of(&file, file.metadata().ok()?.len()));
        let Some((tally, new)) = checked.filter(|(tally, _)| *tally == written) else {
            let _ = fs::remove_file(&temp);
            bail!(
                "the compacted journal did not hold the same records; {} was left as it was",
                self.journal.display()
            );
        };

        let backup = self.backup_path(at);
        let copied = write_atomically_with(&backup, |out| {
            (&old).seek(SeekFrom::Start(0))?;
            std::io::copy(&mut std::io::Read::take(&old, len), out)?;
            Ok(())
        });
        if let Err(err) = copied {
            let _ = fs::remove_file(&temp);
            return Err(err).with_context(|| {
                format!(
                    "could not write the backup {}; nothing was changed",
                    backup.display()
                )
            });
        }
        put_in_place(&temp, &self.journal).with_context(|| {
            format!(
                "could not replace {}; it is as it was",
                self.journal.display()
            )
        })?;
        // The old snapshot holds the new journal's state unless the numbering changed.
        if tally.numbers.numbering == written.numbers.numbering {
            self.remark_snapshot(old_mark, mark(&new));
        } else {
            let _ = fs::remove_file(self.snapshot_path());
        }
        // Temp files a killed rewrite left behind hold nothing the journal needs.
        if let Some(dir) = self.journal.parent() {
            for stale in super::stale_temp_files(dir) {
                let _ = fs::remove_file(stale);
            }
        }
        Ok(Compacted {
            before: len,
            after: new.complete_len,
            changes_before,
            changes_after: new.changes,
            backup,
        })
    }

    /// The newest versions in the journal `file`; when a line does not read, the error
    /// the whole read gives, which names it.
    fn newest(&self, file: &File, len: u64) -> Result<Newest> {
        Newest::scan(file, len).ok_or_else(|| self.unreadable(file, len))
    }

    /// Why the journal `file` did not read as a stream: what the whole read says.
    pub(super) fn unreadable(&self, file: &File, len: u64) -> anyhow::Error {
        match self
            .read_whole(file, len)
            .and_then(|bytes| parse_journal(&self.journal, &bytes, false))
        {
            Err(err) => err,
            Ok(_) => anyhow::anyhow!("{} changed while it was read", self.journal.display()),
        }
    }

    /// The snapshot of the old journal made the snapshot of the new one, which holds the
    /// same state: when it was made from the whole old journal, only its mark changes;
    /// else it goes, and the next read makes one.
    fn remark_snapshot(&self, old: (snapshot::Mark, u64), new: (snapshot::Mark, u64)) {
        let path = self.snapshot_path();
        let seal = fs::metadata(&self.journal)
            .ok()
            .filter(|metadata| metadata.len() == new.0.covers)
            .map(|metadata| snapshot::Seal {
                len: metadata.len(),
                stamp: snapshot::Stamp::of(&metadata),
            });
        if !snapshot::remark(&path, old, new, seal) {
            let _ = fs::remove_file(path);
        }
    }
}

/// The bytes a journal's newest versions were read from, and its highest change
/// sequence number: what a snapshot of it is marked with.
fn mark(newest: &Newest) -> (snapshot::Mark, u64) {
    let (covers, crc) = (newest.complete_len, newest.crc);
    (snapshot::Mark { covers, crc }, newest.max_seq)
}

/// What a journal holds, summed up to compare two journals (or a journal and its
/// snapshot) without holding either: its current records (an order-free sum of a hash
/// of each), and the numbers they took (the highest, and which copy numbered in which
/// range, in `numbers`).
#[derive(Default)]
pub(super) struct Tally {
    records: usize,
    sum: [u64; 2],
    numbers: State,
}

impl PartialEq for Tally {
    /// The same records and highest number. (Which copy numbered a record that is gone
    /// goes with its versions, so the numbering is not compared.)
    fn eq(&self, other: &Tally) -> bool {
        (self.records, self.sum) == (other.records, other.sum)
            && self.numbers.max_num() == other.numbers.max_num()
    }
}

impl Tally {
    /// The tally of the journal `file`, `len` bytes long, and its newest versions.
    pub(super) fn of(file: &File, len: u64) -> Option<(Tally, Newest)> {
        let newest = Newest::scan(file, len)?;
        let mut sink = Tallying {
            newest: &newest,
            tally: Tally::default(),
            occurrence: 0,
        };
        stream::read(file, len, &mut sink)?;
        let tally = sink.tally;
        Some((tally, newest.summary()))
    }

    /// Counts the `occurrence`th record read.
    fn see(&mut self, newest: &Newest, occurrence: u32, record: &Record) {
        if newest.took_effect(occurrence) {
            self.numbers.note_numbers(record);
        }
        if !matches!(record, Record::Deleted { .. }) && newest.is_newest(record.id(), occurrence) {
            self.count(record);
        }
    }

    /// Counts a current record.
    fn count(&mut self, record: &Record) {
        let bytes = serde_json::to_vec(record).unwrap_or_default();
        for (half, sum) in self.sum.iter_mut().enumerate() {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            half.hash(&mut hasher);
            bytes.hash(&mut hasher);
            *sum = sum.wrapping_add(hasher.finish());
        }
        self.records += 1;
    }

    /// The tally of every current record `everything` reads: through the snapshot and
    /// the journal after it.
    pub(super) fn of_everything(everything: &mut Everything) -> Result<Tally> {
        let mut tally = Tally::default();
        let held = &everything.state;
        tally.numbers.note_num(held.max_num());
        for client in held.clients.values() {
            tally.count(&Record::Client(client.clone()));
        }
        for person in held.people.values() {
            tally.count(&Record::Person(person.clone()));
        }
        everything.each_action(|_, action| {
            tally.count(&Record::Action(action.clone()));
            Ok(())
        })?;
        everything.each_follow_up(|_, follow_up| {
            tally.count(&Record::FollowUp(follow_up.clone()));
            Ok(())
        })?;
        Ok(tally)
    }
}

struct Tallying<'a> {
    newest: &'a Newest,
    tally: Tally,
    occurrence: u32,
}

impl Sink for Tallying<'_> {
    type Record = Record;

    fn record(&mut self, record: Record) -> Result<(), String> {
        self.tally.see(self.newest, self.occurrence, &record);
        self.occurrence += 1;
        Ok(())
    }
}

/// Writes each change with only the records that are their newest version, field by
/// field in the order of its line (less `undoes` and `merged`: what they point at may
/// be gone, and undo stops at the compaction anyway); a change is written once it is
/// known to keep a record, and one that keeps none is left out.
struct Rewrite<'a, 'w> {
    newest: &'a Newest,
    out: &'w mut dyn Write,
    error: Option<std::io::Error>,
    tally: Tally,
    occurrence: u32,
    /// The change so far, while none of its records is kept.
    pending: Vec<u8>,
    kept: bool,
    first_field: bool,
    first_record: bool,
}

impl<'a, 'w> Rewrite<'a, 'w> {
    fn new(newest: &'a Newest, out: &'w mut dyn Write) -> Self {
        Rewrite {
            newest,
            out,
            error: None,
            tally: Tally::default(),
            occurrence: 0,
            pending: b"{".to_vec(),
            kept: false,
            first_field: true,
            first_record: true,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        if !self.kept {
            self.pending.extend_from_slice(bytes);
            return Ok(());
        }
        self.out.write_all(bytes).map_err(|err| {
            let message = err.to_string();
            self.error = Some(err);
            message
        })
    }

    fn name(&mut self, name: &str) -> Result<(), String> {
        let comma = if std::mem::take(&mut self.first_field) {
            ""
        } else {
            ","
        };
        self.write(format!("{comma}\"{name}\":").as_bytes())
    }

    fn value(&mut self, name: &str, value: &impl serde::Serialize) -> Result<(), String> {
        self.name(name)?;
        let bytes = serde_json::to_vec(value).map_err(|err| err.to_string())?;
        self.write(&bytes)
    }
}

impl Sink for Rewrite<'_, '_> {
    type Record = Record;

    fn wants_was(&self) -> bool {
        true
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::At(at) => self.value("at", &at),
            Field::Seq(0) => Ok(()),
            Field::Seq(seq) => self.value("seq", &seq),
            Field::Command(command) => self.value("command", &command),
            Field::Undoes(_) | Field::Merged(_) | Field::Was(None) => Ok(()),
            Field::Was(Some(was)) => self.value("was", &was),
            Field::Follows(None) | Field::By(None) => Ok(()),
            Field::Follows(Some(follows)) => self.value("follows", &follows),
            Field::By(Some(by)) => self.value("by", &by),
            Field::Id(id) => self.value("id", &id),
        }
    }

    fn records_begin(&mut self) -> Result<(), String> {
        self.name("records")?;
        self.first_record = true;
        self.write(b"[")
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        let occurrence = self.occurrence;
        self.occurrence += 1;
        self.tally.see(self.newest, occurrence, &record);
        let Some((newest, num)) = self.newest.of(record.id()) else {
            return Ok(());
        };
        if newest != occurrence {
            return Ok(());
        }
        // A tombstone keeps the record's last number, so it is not given again.
        let record = match record {
            Record::Deleted {
                id,
                num: None,
                into,
            } => Record::Deleted { id, num, into },
            other => other,
        };
        if !self.kept {
            self.kept = true;
            let pending = std::mem::take(&mut self.pending);
            self.write(&pending)?;
        }
        if !std::mem::take(&mut self.first_record) {
            self.write(b",")?;
        }
        let bytes = serde_json::to_vec(&record).map_err(|err| err.to_string())?;
        self.write(&bytes)
    }

    fn records_end(&mut self) -> Result<(), String> {
        self.write(b"]")
    }

    fn end(&mut self) -> Result<(), String> {
        if self.kept {
            self.write(b"}\n")?;
        }
        self.pending.clear();
        self.pending.push(b'{');
        self.kept = false;
        self.first_field = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "{\"format\":\"extramile-journal\",\"version\":1}\n";

    fn action(id: &str, num: u64, text: &str) -> String {
        format!(
            r#"{{"type":"action","id":"{id}","num":{num},"client":"c","kind":"fix","text":"{text}","at":"2026-01-01T00:00:00Z","by":"m"}}"#
        )
    }

    fn change(seq: u64, command: &str, records: &[String]) -> String {
        format!(
            r#"{{"at":"2026-01-01T00:00:00Z","seq":{seq},"command":"{command}","records":[{}],"undoes":"u","follows":[1,2],"by":"m","id":"k{seq}"}}"#,
            records.join(",")
        ) + "\n"
    }

    #[test]
    fn compacting_keeps_the_state_the_numbers_and_a_snapshot_that_is_believed() {
        let client = r#"{"type":"client","id":"c","name":"Acme","created":"2026-01-01T00:00:00Z"}"#;
        let journal = [
            HEADER.to_string(),
            change(1, "log", &[client.into(), action("a", 1, "one"), action("b", 2, "two")]),
            change(2, "edit", &[action("a", 1, "one, edited")]),
            change(3, "delete", &[r#"{"type":"deleted","id":"b"}"#.into()]),
            change(4, "merge", &[action("b", 2, "back?")]),
            // Fields reordered by hand, and one no build knows.
            r#"{"records":[{"type":"deleted","id":"d","num":9}],"extra":1,"id":"k5","command":"delete","at":"2026-01-01T00:00:00Z"}"#.to_string() + "\n",
        ]
        .concat();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("journal.jsonl"));
        fs::write(store.path(), &journal).unwrap();
        store.index().unwrap();
        let before = parse_journal(store.path(), journal.as_bytes(), false).unwrap();

        let done = store.compact(before.state.clients["c"].created).unwrap();
        assert_eq!((done.changes_before, done.changes_after), (5, 5));
        let after = fs::read_to_string(store.path()).unwrap();
        let lines: Vec<&str> = after.lines().collect();
        assert_eq!(lines[0], HEADER.trim_end());
        // A change keeps only its newest versions, in the bytes a change is written in.
        let kept: Change = serde_json::from_str(&change(1, "log", &[client.into()])).unwrap();
        let kept = Change {
            undoes: None,
            ..kept
        };
        assert_eq!(lines[1], serde_json::to_string(&kept).unwrap());
        assert!(
            lines[3].contains(r#"{"type":"deleted","id":"b","num":2}"#),
            "{}",
            lines[3]
        );
        assert!(
            lines[4].starts_with(r#"{"records":[{"type":"deleted","id":"d","num":9}],"id":"k5""#),
            "{}",
            lines[4]
        );
        let compacted = parse_journal(store.path(), after.as_bytes(), false).unwrap();
        assert!(super::super::same_records(&before.state, &compacted.state));
        assert_eq!(compacted.state.next_num(), before.state.next_num());
        assert_eq!(compacted.state.next_seq(), before.state.next_seq() + 1);
        assert!(
            store.snapshot_path().exists(),
            "the snapshot was marked anew"
        );
        assert_eq!(
            store.check_snapshot().unwrap(),
            None,
            "and is believed and agrees"
        );
        assert_eq!(fs::read_to_string(&done.backup).unwrap(), journal);
    }
}
