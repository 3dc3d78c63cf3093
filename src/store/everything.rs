//! Every current record, for the commands that go through them all (`export`), in
//! memory that does not grow with the history: the actions and closed follow-ups are
//! read from the snapshot a slice at a time, and only what changed after it is held.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use chrono::{NaiveDate, NaiveTime};

use super::snapshot::{self, Indexed};
use super::{Need, Store};
use crate::model::{Action, FollowUp};
use crate::state::State;

/// Records read from the snapshot at a time.
const SLICE: usize = 4096;

/// Every current record: `state` holds the clients, the people, the open follow-ups and
/// every record changed after the snapshot (without a snapshot that matches the
/// journal, every record); the rest stays in the snapshot until `each_action` and
/// `each_follow_up` go through it.
pub struct Everything {
    pub state: State,
    /// A cut-short last line's length, not counted.
    pub torn_bytes: usize,
    indexed: Option<Indexed>,
    snapshot: PathBuf,
}

impl Store {
    /// Reads every current record as `Everything`, under a shared lock.
    pub fn load_everything(&self) -> Result<Everything> {
        let loaded = self.load_for(Need::Everything, None)?;
        Ok(Everything {
            state: loaded.state,
            torn_bytes: loaded.torn_bytes,
            indexed: loaded.indexed,
            snapshot: self.snapshot_path(),
        })
    }
}

impl Everything {
    /// Every current record through `snapshot` (at `path`), read for `Part::Indexes`
    /// and checked: `state` holds its head and what changed after it.
    pub(super) fn through(state: State, snapshot: snapshot::Contents, path: PathBuf) -> Self {
        Everything {
            state,
            torn_bytes: 0,
            indexed: Some(Indexed(snapshot)),
            snapshot: path,
        }
    }

    /// Hands `each` every current action, by time then number (with the state that
    /// names their clients and people).
    pub fn each_action(&mut self, each: impl FnMut(&State, &Action) -> Result<()>) -> Result<()> {
        self.each_action_from(i64::MIN, each)
    }

    /// As `each_action`, passing over without reading them the snapshot's actions
    /// timed before `from` (Unix seconds); any other may come before it too.
    pub fn each_action_from(
        &mut self,
        from: i64,
        mut each: impl FnMut(&State, &Action) -> Result<()>,
    ) -> Result<()> {
        let state = &self.state;
        let mut each = |a: &Action| each(state, a);
        let mut held = state.actions_by_time().into_iter().peekable();
        // The snapshot orders by the second, then number: the actions of one second
        // are sorted again by their whole time.
        let mut second: Vec<Action> = Vec::new();
        let mut flush = |second: &mut Vec<Action>| -> Result<()> {
            second.sort_by_key(|a| (a.at, a.num));
            for a in second.drain(..) {
                while let Some(h) = held.next_if(|h| (h.at, h.num) < (a.at, a.num)) {
                    each(h)?;
                }
                each(&a)?;
            }
            Ok(())
        };
        if let Some(Indexed(snapshot)) = &mut self.indexed {
            let count = snapshot.indexed().1;
            for start in (snapshot.actions_from(from)..count).step_by(SLICE) {
                let slice = snapshot
                    .actions(start..count.min(start + SLICE))
                    .ok_or_else(|| damaged(&self.snapshot))?;
                for a in slice {
                    if state.actions.contains_key(&a.id) || state.was_deleted(&a.id) {
                        continue;
                    }
                    if second
                        .first()
                        .is_some_and(|s| s.at.timestamp() != a.at.timestamp())
                    {
                        flush(&mut second)?;
                    }
                    second.push(a);
                }
            }
        }
        flush(&mut second)?;
        held.try_for_each(each)
    }

    /// Hands `each` every current follow-up, by due date, time and number.
    pub fn each_follow_up(
        &mut self,
        mut each: impl FnMut(&State, &FollowUp) -> Result<()>,
    ) -> Result<()> {
        type Key = (NaiveDate, Option<NaiveTime>, u64);
        let state = &self.state;
        // Those held, and where in the snapshot's closed ones the others are.
        let mut order: Vec<(Key, Result<&FollowUp, usize>)> = state
            .follow_ups
            .values()
            .map(|f| ((f.due, f.due_time, f.num), Ok(f)))
            .collect();
        if let Some(Indexed(snapshot)) = &mut self.indexed {
            let count = snapshot.indexed().0;
            for start in (0..count).step_by(SLICE) {
                let slice = snapshot
                    .closed(start..count.min(start + SLICE))
                    .ok_or_else(|| damaged(&self.snapshot))?;
                for (f, place) in slice.iter().zip(start..) {
                    if !state.follow_ups.contains_key(&f.id) && !state.was_deleted(&f.id) {
                        order.push(((f.due, f.due_time, f.num), Err(place)));
                    }
                }
            }
        }
        order.sort_unstable_by_key(|(key, _)| *key);
        for (_, f) in order {
            match f {
                Ok(f) => each(state, f)?,
                Err(place) => {
                    let Some(Indexed(snapshot)) = &mut self.indexed else {
                        unreachable!("a place in the snapshot without one");
                    };
                    let f = snapshot
                        .closed(place..place + 1)
                        .and_then(|mut one| one.pop())
                        .ok_or_else(|| damaged(&self.snapshot))?;
                    each(state, &f)?;
                }
            }
        }
        Ok(())
    }
}

/// A record of the snapshot failed its checksum after its indexes passed theirs.
pub(super) fn damaged(snapshot: &std::path::Path) -> anyhow::Error {
    anyhow!(
        "a record in the snapshot {} failed its checksum (the journal is intact): run \
         `extramile index` to rebuild it, then run this again",
        snapshot.display()
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

    use super::*;
    use crate::model::{Client, Record};
    use crate::store::journal::{test_action, test_follow_up, test_line};
    use crate::store::{FORMAT, VERSION, parse_journal};
    use crate::transfer::{export, write_csv, write_json};

    fn line(seq: u64, records: Vec<Record>) -> Vec<u8> {
        test_line(seq, "log", records)
    }

    fn action(num: u64, at: DateTime<FixedOffset>) -> Record {
        test_action(num, at)
    }

    fn follow_up(num: u64, due: NaiveDate, closed: bool) -> Record {
        let created = DateTime::parse_from_rfc3339("2025-01-01T09:00:00Z").unwrap();
        let closed_at = closed.then(|| created + Duration::days(num as i64));
        test_follow_up(num, created, due, closed_at)
    }

    /// What the whole journal folds to, exported as the in-memory export writes it.
    fn exported_whole(journal: &std::path::Path) -> Vec<u8> {
        let bytes = std::fs::read(journal).unwrap();
        let state = parse_journal(journal, &bytes, false).unwrap().state;
        let mut out = serde_json::to_vec_pretty(&export(&state)).unwrap();
        out.push(b'\n');
        out
    }

    #[test]
    fn reads_through_the_snapshot_as_the_whole_journal_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let base = DateTime::parse_from_rfc3339("2024-03-01T08:00:00.900Z").unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let mut journal =
            format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        let client = Client {
            id: "c".into(),
            name: "Acme".into(),
            tier: None,
            cadence_days: None,
            created: base,
        };
        let mut records = vec![Record::Client(client)];
        // Several actions in one second, their numbers against their fractions of it,
        // and more than a slice of them, spread over two years.
        for num in 1..=(SLICE as u64 + 50) {
            let at = base + Duration::hours(num as i64 * 3)
                - Duration::milliseconds(num as i64 % 7 * 100);
            let at = if num % 10 == 0 {
                base + Duration::milliseconds(-(num as i64))
            } else {
                at
            };
            records.push(action(num, at));
        }
        for num in 5000..5300 {
            let due = day + Duration::days((num % 37) as i64);
            records.push(follow_up(num, due, num % 3 != 0));
        }
        journal.extend(line(1, records));
        std::fs::write(&path, &journal).unwrap();
        let store = Store::open(&path);
        store.index().unwrap();

        // After the snapshot: an old action moved in time, one deleted, a new one in a
        // second the snapshot has, a closed follow-up reopened, an open one closed.
        let mut later = line(2, vec![action(3, base + Duration::days(900))]);
        later.extend(line(3, vec![Record::tombstone("a5", Some(5))]));
        later.extend(line(
            4,
            vec![action(9000, base + Duration::milliseconds(-55))],
        ));
        later.extend(line(5, vec![follow_up(5001, day, false)]));
        later.extend(line(6, vec![follow_up(5001 + 2, day, true)]));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&later)
            .unwrap();

        let mut all = store.load_everything().unwrap();
        assert!(all.indexed.is_some(), "read through the snapshot");
        let mut streamed = Vec::new();
        write_json(&mut all, &mut streamed).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(exported_whole(&path)).unwrap()
        );

        // The CSV, through the snapshot and from the whole state, is the same too.
        let mut csv = Vec::new();
        write_csv(&mut store.load_everything().unwrap(), &mut csv).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let mut whole = Everything {
            state: parse_journal(&path, &bytes, false).unwrap().state,
            torn_bytes: 0,
            indexed: None,
            snapshot: path.clone(),
        };
        let mut expected = Vec::new();
        write_csv(&mut whole, &mut expected).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }
}
