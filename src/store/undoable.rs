//! The change `undo` takes back, found from the journal's end, and its records read as
//! a stream: an import of a million records is one line, which is never held whole.

use foldhash::{HashSet, HashSetExt};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};

use super::Store;
use super::spool::Spool;
use super::stream::{self, Field, Sink};
use crate::model::{Record, id_hash};

/// A change on one line of the journal: where the line is (its newline left out), and
/// what it says of itself.
#[derive(Debug)]
pub struct Line {
    start: u64,
    end: u64,
    pub id: String,
    pub command: String,
    pub at: DateTime<FixedOffset>,
}

/// The newest change `undo` takes back, and every change after it (see
/// `Store::undoable_tail`).
pub enum Tail {
    /// A change taken back record by record.
    Change(ChangeTail),
    /// A merge that brought changes in, which `Store::unmerge` takes out whole.
    Merge(MergeTail),
    /// None: every change is an undo, undone, or another copy's.
    Nothing,
}

/// A change `undo` takes back record by record, and what it needs of it.
pub struct ChangeTail {
    pub target: Line,
    /// A hash of the id of each of its records (see `model::id_hash`), in order.
    pub hashes: Vec<u64>,
    /// Its `was`: the versions its records had before it, in order.
    pub was: Spool,
    /// Every change after it, oldest first.
    pub later: Vec<Line>,
}

/// A merge `undo` takes out: its line, the ids of the changes it brought in, and every
/// change after it, oldest first.
pub struct MergeTail {
    pub target: Line,
    pub merged: Vec<String>,
    pub later: Vec<Line>,
}

impl Store {
    /// The newest change copy `me` made that `undo` can take back (see
    /// `merge::last_undoable`), and every change after it: their lines, found from the
    /// journal's end, each read as a stream, so it costs what those changes hold, not
    /// the history. `None` when only the whole history can tell: a merge or compaction
    /// is among them or is the one (unless a merge that brought changes in), a line
    /// does not read, or the one does not say what its records were before. Called under the store's lock, by the command that will
    /// append.
    pub fn undoable_tail(&self, me: &str) -> Result<Option<Tail>> {
        let mut file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let len = file.metadata()?.len();
        // A cut-short last line is no change.
        let mut end = stream::complete_len(&file, len)?;
        let mut undone = HashSet::new();
        let mut later = Vec::new();
        while end > 0 {
            // The line before `end`, its newline left out.
            let start = stream::complete_len(&file, end - 1)?;
            let line_end = end - 1;
            end = start;
            if start == line_end {
                continue;
            }
            if start == 0 {
                // The format line, reached without finding one: nothing is undoable.
                let mut header = vec![0; line_end.min(4096) as usize];
                file.seek(SeekFrom::Start(0))?;
                file.read_exact(&mut header)?;
                let header = (line_end <= 4096).then_some(&header[..]);
                return Ok(super::check_header(&self.journal, header)
                    .is_ok()
                    .then_some(Tail::Nothing));
            }
            let mut head = Head::new(self.spool());
            let read = stream::read_line(&file, start, line_end, &mut head);
            let (Some(()), Some(id), Some(command), Some(at)) =
                (read, head.id, head.command, head.at)
            else {
                return Ok(None);
            };
            let mine = head.by.as_deref().is_none_or(|by| by == me);
            let line = Line {
                start,
                end: line_end,
                id,
                command,
                at,
            };
            if line.command == "merge" && !head.merged.is_empty() && mine {
                later.reverse();
                return Ok(Some(Tail::Merge(MergeTail {
                    target: line,
                    merged: head.merged,
                    later,
                })));
            }
            if matches!(line.command.as_str(), "merge" | "compact") {
                return Ok(None);
            }
            if let Some(target) = head.undoes {
                undone.insert(target);
            } else if !undone.contains(&line.id) && mine {
                // Its `was` holds if the journal before it is as it was then.
                let Some((len, crc)) = head.follows.filter(|_| head.has_was) else {
                    return Ok(None);
                };
                if len != start || !self.begins_with(&mut file, start, crc)? {
                    return Ok(None);
                }
                later.reverse();
                return Ok(Some(Tail::Change(ChangeTail {
                    target: line,
                    hashes: head.hashes,
                    was: head.was,
                    later,
                })));
            }
            later.push(line);
        }
        Ok(None)
    }

    /// Hands each record of the change on `line` to `record`, and each version its
    /// records had before it (its `was`) to `was`, as they are read.
    pub fn read_change(
        &self,
        line: &Line,
        record: impl FnMut(Record) -> Result<()>,
        was: impl FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        let file = File::open(&self.journal)
            .with_context(|| format!("could not read the store {}", self.journal.display()))?;
        let mut each = Each {
            record,
            was,
            error: None,
        };
        let read = stream::read_line(&file, line.start, line.end, &mut each);
        match (each.error, read) {
            (Some(err), _) => Err(err),
            (None, Some(())) => Ok(()),
            (None, None) => anyhow::bail!(
                "the change {} in {} no longer reads; nothing was changed",
                line.id,
                self.journal.display()
            ),
        }
    }
}

/// What a line says of itself, a hash of each of its records' ids, and its `was`,
/// spooled.
struct Head {
    id: Option<String>,
    command: Option<String>,
    at: Option<DateTime<FixedOffset>>,
    undoes: Option<String>,
    by: Option<String>,
    follows: Option<(u64, u32)>,
    merged: Vec<String>,
    has_was: bool,
    hashes: Vec<u64>,
    was: Spool,
}

impl Head {
    fn new(was: Spool) -> Self {
        Head {
            id: None,
            command: None,
            at: None,
            undoes: None,
            by: None,
            follows: None,
            merged: Vec::new(),
            has_was: false,
            hashes: Vec::new(),
            was,
        }
    }
}

impl Sink for Head {
    type Record = Record;

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::Id(id) => self.id = Some(id),
            Field::Command(command) => self.command = Some(command),
            Field::At(at) => self.at = Some(at),
            Field::Undoes(undoes) => self.undoes = undoes,
            Field::By(by) => self.by = by,
            Field::Follows(follows) => self.follows = follows,
            Field::Merged(merged) => self.merged = merged,
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        self.hashes.push(id_hash(record.id()));
        Ok(())
    }

    fn was_begin(&mut self) -> Result<(), String> {
        self.has_was = true;
        Ok(())
    }

    fn was_record(&mut self, record: Record) -> Result<(), String> {
        // An undo's `was` is never wanted: an undo is never the one.
        if self.undoes.is_some() {
            return Ok(());
        }
        self.was.push(&record).map_err(|err| err.to_string())
    }
}

/// Hands a change's records and its `was` to two functions.
struct Each<R, W> {
    record: R,
    was: W,
    error: Option<anyhow::Error>,
}

impl<R, W> Sink for Each<R, W>
where
    R: FnMut(Record) -> Result<()>,
    W: FnMut(Record) -> Result<()>,
{
    type Record = Record;

    fn record(&mut self, record: Record) -> Result<(), String> {
        (self.record)(record).map_err(|err| {
            let message = err.to_string();
            self.error = Some(err);
            message
        })
    }

    fn was_record(&mut self, record: Record) -> Result<(), String> {
        (self.was)(record).map_err(|err| {
            let message = err.to_string();
            self.error = Some(err);
            message
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::model::Client;
    use crate::store::journal::Change;
    use crate::store::{FORMAT, VERSION, parse_journal};

    fn client(id: &str, name: &str) -> Record {
        Record::Client(Client {
            id: id.into(),
            name: name.into(),
            tier: None,
            cadence_days: None,
            created: DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
        })
    }

    /// Appends a change to `journal`, following what it holds.
    fn append(journal: &mut Vec<u8>, id: &str, by: &str, records: Vec<Record>, was: Vec<Record>) {
        let change: Change = Change {
            at: DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
            seq: 1,
            command: "client".into(),
            records,
            undoes: None,
            merged: Vec::new(),
            was: Some(was),
            follows: Some((journal.len() as u64, crc32fast::hash(journal))),
            by: Some(by.into()),
            id: id.into(),
        };
        journal.extend(serde_json::to_vec(&change).unwrap());
        journal.push(b'\n');
    }

    fn store_of(dir: &tempfile::TempDir, journal: &[u8]) -> Store {
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, journal).unwrap();
        Store::open(&path)
    }

    #[test]
    fn the_tail_is_read_from_the_end_a_record_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal =
            format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        append(&mut journal, "k1", "me", vec![client("a", "Acme")], vec![]);
        let renamed = vec![client("a", "Acme Corp"), client("b", "Beta")];
        append(
            &mut journal,
            "k2",
            "me",
            renamed.clone(),
            vec![client("a", "Acme")],
        );
        append(
            &mut journal,
            "k3",
            "other",
            vec![client("c", "Gamma")],
            vec![],
        );
        let whole = journal.clone();
        // A cut-short last line is no change.
        journal.extend(b"{\"at\":\"2026-11-20T10:00:00Z\",\"command\":\"log\",\"rec");
        let store = store_of(&dir, &journal);
        let Some(Tail::Change(tail)) = store.undoable_tail("me").unwrap() else {
            panic!("the change is not found from the end");
        };
        assert_eq!(
            (tail.target.id.as_str(), tail.target.command.as_str()),
            ("k2", "client")
        );
        assert_eq!(
            tail.later.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["k3"]
        );
        assert_eq!(tail.hashes, [id_hash("a"), id_hash("b")]);
        let mut was = tail.was.reader().unwrap();
        assert_eq!(
            was.next_value::<Record>().unwrap(),
            Some(client("a", "Acme"))
        );
        assert_eq!(was.next_value::<Record>().unwrap(), None);
        let (mut records, mut before) = (Vec::new(), Vec::new());
        store
            .read_change(
                &tail.target,
                |r| {
                    records.push(r);
                    Ok(())
                },
                |r| {
                    before.push(r);
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!((records, before), (renamed, vec![client("a", "Acme")]));

        // Another copy's change is never the one; nor is a change whose `was` is stale
        // (the journal before it changed since), nor one after a merge.
        assert!(matches!(
            store_of(&dir, &journal).undoable_tail("someone").unwrap(),
            Some(Tail::Nothing)
        ));
        let stale = String::from_utf8(journal.clone())
            .unwrap()
            .replacen("Acme\"", "ACME\"", 1);
        assert!(
            store_of(&dir, stale.as_bytes())
                .undoable_tail("me")
                .unwrap()
                .is_none()
        );
        let mut merged = whole;
        merged.extend(crate::store::journal::test_line(
            9,
            "merge",
            vec![client("d", "D")],
        ));
        assert!(
            store_of(&dir, &merged)
                .undoable_tail("me")
                .unwrap()
                .is_none()
        );

        // A merge that brought changes in is the one, taken out whole, with every
        // change after it.
        let line = String::from_utf8(crate::store::journal::test_line(10, "merge", vec![]))
            .unwrap()
            .replacen('{', "{\"merged\":[\"k3\",\"k9\"],", 1);
        merged.extend(line.into_bytes());
        append(&mut merged, "k11", "other", vec![client("e", "E")], vec![]);
        let Some(Tail::Merge(tail)) = store_of(&dir, &merged).undoable_tail("me").unwrap() else {
            panic!("the merge is not found from the end");
        };
        assert_eq!(tail.target.id, "k10");
        assert_eq!(tail.merged, ["k3", "k9"]);
        assert_eq!(
            tail.later.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["k11"]
        );
    }

    #[test]
    fn a_change_the_snapshot_holds_is_checked_from_the_snapshot_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal =
            format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        append(&mut journal, "k1", "me", vec![client("a", "Acme")], vec![]);
        let before_k2 = (journal.len() as u64, crc32fast::hash(&journal));
        append(
            &mut journal,
            "k2",
            "me",
            vec![client("a", "Acme Corp")],
            vec![client("a", "Acme")],
        );
        append(
            &mut journal,
            "k3",
            "other",
            vec![client("c", "Gamma")],
            vec![],
        );
        let follows = format!("[{},{}]", before_k2.0, before_k2.1);
        let wrong = format!("[{},{}]", before_k2.0, before_k2.1 ^ 1);
        let tampered = String::from_utf8(journal.clone())
            .unwrap()
            .replacen(&follows, &wrong, 1);
        assert_ne!(tampered.as_bytes(), journal);
        for (bytes, undoable) in [(journal, true), (tampered.into_bytes(), false)] {
            let store = store_of(&dir, &bytes);
            // A snapshot that covers the change and the one after it.
            assert_eq!(store.index().unwrap().1, bytes.len() as u64);
            let tail = store.undoable_tail("me").unwrap();
            assert_eq!(
                matches!(tail, Some(Tail::Change(ref t)) if t.target.id == "k2"),
                undoable
            );
            assert_eq!(tail.is_none(), !undoable);
        }
    }

    #[test]
    fn a_was_that_does_not_read_is_refused_as_the_whole_read_refuses_it() {
        let mut journal =
            format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        append(
            &mut journal,
            "k1",
            "me",
            vec![client("a", "Acme")],
            vec![client("a", "A")],
        );
        let text = String::from_utf8(journal).unwrap();
        let bad = text.replace(
            "\"was\":[{\"type\":\"client\"",
            "\"was\":[{\"type\":\"clinet\"",
        );
        let none = text.replace("\"was\":[{", "\"was\":null,\"x\":[{");
        let cases = [(text, true), (bad, false), (none, true)];
        for (bytes, reads) in cases.map(|(text, reads)| (text.into_bytes(), reads)) {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            let streamed = stream::fold(&file, bytes.len() as u64);
            assert_eq!(streamed.is_some(), reads);
            assert_eq!(
                parse_journal(std::path::Path::new("j"), &bytes, false).is_ok(),
                reads
            );
        }
    }
}
