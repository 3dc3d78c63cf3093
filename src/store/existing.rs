//! The current records of a store, looked up by id, for an import that matches a
//! million records against a million: what `Need::Lookup` read is held (the clients,
//! the people, the open follow-ups, and what changed after the snapshot); every other
//! action and follow-up stays in the snapshot, found through a table of a hash of its
//! id and where its record is (16 bytes a record).

use std::path::PathBuf;

use anyhow::Result;

use super::everything::damaged;
use super::journal::Loaded;
use super::snapshot::{self, Contents, Indexed};
use crate::model::Record;
use crate::number_set::NumberSet;
use crate::state::State;

pub struct Existing<'a> {
    state: &'a State,
    snapshot: Option<(&'a Contents, PathBuf)>,
    /// Each action and closed follow-up of the snapshot that is not held, nor deleted
    /// since, sorted by the hash of its id; and where those whose hash begins with
    /// each 16 bits begin among them (a lookup then reads a few entries, not twenty
    /// of them a million records apart).
    table: Vec<Placed>,
    starts: Vec<u32>,
    /// The numbers that more than one current record has (a breach `check` reports).
    shared: Vec<u64>,
}

/// Where a record of the snapshot is: its id's hash, how long it is and whether it is
/// an action (the top bit), and its place.
#[derive(Clone, Copy)]
struct Placed {
    hash: u32,
    len: u32,
    place: u64,
}

const ACTION: u32 = 1 << 31;

/// Bytes of records read at a time.
const RUN: u64 = 1 << 20;

fn hash(id: &str) -> u32 {
    crate::model::id_hash(id) as u32
}

impl<'a> Existing<'a> {
    /// The records `loaded` holds, read for `Need::Lookup` from the store at `store`;
    /// adds the number of every current action and follow-up to `numbers`.
    pub fn of(loaded: &'a Loaded, store: &super::Store, numbers: &mut NumberSet) -> Result<Self> {
        let state = &loaded.state;
        let mut shared = Vec::new();
        let mut note = |num: u64| {
            if !numbers.insert(num) {
                shared.push(num);
            }
        };
        for num in state.actions.values().map(|a| a.num) {
            note(num);
        }
        for num in state.follow_ups.values().map(|f| f.num) {
            note(num);
        }
        let mut table = Vec::new();
        let snapshot = loaded.indexed.as_ref().map(|Indexed(snap)| snap);
        if let Some(snap) = snapshot {
            let damaged = || damaged(&store.snapshot_path());
            let read = snap.each_numbered(|_, action, place, len| {
                let len = u32::try_from(len).ok().filter(|len| len & ACTION == 0)?;
                let len = len | if action { ACTION } else { 0 };
                table.push(Placed {
                    hash: 0,
                    len,
                    place,
                });
                Some(())
            });
            read.ok_or_else(damaged)?;
            // Read in the order they are in the file, records that follow one another
            // a megabyte at a time. The open follow-ups are held; a record changed
            // since the snapshot is held too, and one deleted since is gone.
            table.sort_unstable_by_key(|p| p.place);
            let (mut at, mut kept) = (0, 0);
            while at < table.len() {
                let start = table[at].place;
                let (mut end, mut run_end) = (at, start);
                while end < table.len() && table[end].place == run_end && run_end - start < RUN {
                    run_end += u64::from(table[end].len & !ACTION);
                    end += 1;
                }
                let run = snap
                    .bytes_at(start, (run_end - start) as usize)
                    .ok_or_else(damaged)?;
                for i in at..end {
                    let placed = table[i];
                    let from = (placed.place - start) as usize;
                    let record = &run[from..from + (placed.len & !ACTION) as usize];
                    let (id, num) = snapshot::id_and_num(record).ok_or_else(damaged)?;
                    let held = state.actions.contains_key(id) || state.follow_ups.contains_key(id);
                    if held || state.was_deleted(id) {
                        continue;
                    }
                    note(num);
                    table[kept] = Placed {
                        hash: hash(id),
                        ..placed
                    };
                    kept += 1;
                }
                at = end;
            }
            table.truncate(kept);
        }
        table.sort_unstable_by_key(|p| p.hash);
        let starts = (0..=1 << 16)
            .map(|top: u32| table.partition_point(|p| p.hash >> 16 < top) as u32)
            .collect();
        shared.sort_unstable();
        shared.dedup();
        Ok(Existing {
            state,
            snapshot: snapshot.map(|snap| (snap, store.snapshot_path())),
            table,
            starts,
            shared,
        })
    }

    /// What is held: the clients, the people, the numbering.
    pub fn state(&self) -> &'a State {
        self.state
    }

    /// The current record with this id, of any kind.
    pub fn get(&self, id: &str) -> Result<Option<Record>> {
        if let Some(record) = self.state.record(id) {
            return Ok(Some(record));
        }
        let Some((snap, path)) = &self.snapshot else {
            return Ok(None);
        };
        let wanted = hash(id);
        let top = (wanted >> 16) as usize;
        let bucket = &self.table[self.starts[top] as usize..self.starts[top + 1] as usize];
        let from = bucket.partition_point(|p| p.hash < wanted);
        for placed in bucket[from..].iter().take_while(|p| p.hash == wanted) {
            let len = (placed.len & !ACTION) as usize;
            let record = snap
                .record_at(placed.len & ACTION != 0, placed.place, len)
                .ok_or_else(|| damaged(path))?;
            if record.id() == id {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Another current record than `id` that has the number `num`, when the store
    /// has two (which `check` reports as a breach).
    pub fn sharer(&self, num: u64, id: &str) -> Result<Option<String>> {
        if self.shared.binary_search(&num).is_err() {
            return Ok(None);
        }
        let held = self.state.actions.values().map(|a| (a.num, &a.id));
        let mut held = held.chain(self.state.follow_ups.values().map(|f| (f.num, &f.id)));
        if let Some((_, other)) = held.find(|(n, other)| *n == num && *other != id) {
            return Ok(Some(other.clone()));
        }
        let Some((snap, path)) = &self.snapshot else {
            return Ok(None);
        };
        let mut found = None;
        let read = snap.each_numbered(|n, _, place, len| {
            if n == num && found.is_none() {
                let record = snap.bytes_at(place, len)?;
                let (other, _) = snapshot::id_and_num(&record)?;
                let gone = self.state.record(other).is_some() || self.state.was_deleted(other);
                if other != id && !gone {
                    found = Some(other.to_string());
                }
            }
            Some(())
        });
        read.ok_or_else(|| damaged(path))?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use chrono::{DateTime, Duration};

    use super::*;
    use crate::model::Client;
    use crate::store::journal::{test_action, test_follow_up, test_line};
    use crate::store::{FORMAT, Need, Store, VERSION, parse_journal};

    fn action(num: u64) -> Record {
        let at = DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z").unwrap();
        test_action(num, at + Duration::hours(num as i64))
    }

    fn follow_up(num: u64, closed: bool) -> Record {
        let created = DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z").unwrap();
        let due = created.date_naive() + Duration::days(num as i64 % 40);
        test_follow_up(
            num,
            created,
            due,
            closed.then(|| created + Duration::days(1)),
        )
    }

    #[test]
    fn finds_every_current_record_through_the_snapshot_and_what_changed_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal =
            format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        let client = Record::Client(Client {
            id: "c".into(),
            name: "Acme".into(),
            tier: None,
            cadence_days: None,
            created: DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z").unwrap(),
        });
        let mut records = vec![client];
        records.extend((1..=300).map(action));
        records.extend((1000..1100).map(|num| follow_up(num, num % 2 == 0)));
        journal.extend(test_line(1, "import", records));
        std::fs::write(&path, &journal).unwrap();
        let store = Store::open(&path);
        store.index().unwrap();
        // After the snapshot: an action edited, one deleted, a follow-up closed and one
        // reopened, a new action, and a number given twice (a breach).
        let mut edited = action(7);
        if let Record::Action(a) = &mut edited {
            a.text = "edited".into();
        }
        let mut later = test_line(2, "edit", vec![edited]);
        later.extend(test_line(
            3,
            "delete",
            vec![Record::tombstone("a9", Some(9))],
        ));
        later.extend(test_line(
            4,
            "done",
            vec![follow_up(1001, true), follow_up(1002, false)],
        ));
        let mut twin = action(400);
        if let Record::Action(a) = &mut twin {
            a.num = 5;
        }
        later.extend(test_line(5, "log", vec![twin]));
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(&later).unwrap();
        drop(file);

        let (loaded, _) = store.read(Need::Lookup).unwrap();
        assert!(loaded.indexed.is_some(), "read through the snapshot");
        let mut numbers = NumberSet::default();
        let existing = Existing::of(&loaded, &store, &mut numbers).unwrap();
        let whole = parse_journal(&path, &std::fs::read(&path).unwrap(), false)
            .unwrap()
            .state;
        let ids = (1..=400).map(|n| format!("a{n}"));
        for id in ids.chain((1000..1100).map(|n| format!("f{n}"))) {
            assert_eq!(existing.get(&id).unwrap(), whole.record(&id), "{id}");
        }
        assert_eq!(
            existing.get("a9").unwrap(),
            None,
            "deleted after the snapshot"
        );
        assert_eq!(existing.get("nothing").unwrap(), None);
        assert_eq!(existing.get("c").unwrap(), whole.record("c"));
        for num in [1, 7, 300, 1000, 1001, 1099] {
            assert!(numbers.contains(num), "{num}");
        }
        assert!(!numbers.contains(9) && !numbers.contains(301));
        assert_eq!(existing.sharer(5, "a400").unwrap().as_deref(), Some("a5"));
        assert_eq!(existing.sharer(5, "a5").unwrap().as_deref(), Some("a400"));
        assert_eq!(existing.sharer(6, "a6").unwrap(), None);
    }
}
