//! Which version of each record is its newest, found by reading the journal as a
//! stream and keeping no record: for each occurrence of a record in the journal (its
//! place in the order of reading), a key of its id, its number and three flags. Once
//! sorted by key, each id's occurrences are replayed as `State::insert` would take
//! them (a merge's own change does not bring back a deleted action or follow-up, see
//! `Change::applies`), which gives each id's newest version that took effect.
//!
//! Occurrences are replayed a chunk at a time into each id's winner so far, so this
//! costs 32 bytes an id and a chunk of occurrences, whatever the records hold and
//! however often each is changed: `compact` rewrites a journal of a million records,
//! and the snapshot of a million records imported and then undone is built, in a few
//! tens of megabytes.

use std::fs::File;
use std::hash::{Hash, Hasher};

use serde::de::Visitor;
use serde::{Deserialize, Deserializer};

use super::skim;
use super::stream::{self, Field, Sink};
use crate::model::Type;

/// A record id as 128 bits: up to 30 hexadecimal digits (every id extramile makes)
/// exactly, with their count in the top byte; any other id by a 120-bit hash, with
/// 0xFF in the top byte.
pub fn key(id: &str) -> [u64; 2] {
    let bytes = id.as_bytes();
    if bytes.len() <= 30 {
        // The digits' values, looked up (a branch on each digit's kind costs more than
        // the rest), and whether any byte was not one.
        let (mut digits, mut not_all) = (0u128, 0);
        for &b in bytes {
            let digit = HEX[usize::from(b)];
            not_all |= digit;
            digits = digits << 4 | u128::from(digit & 0xF);
        }
        if not_all < 16 {
            let value = u128::from(bytes.len() as u8) << 120 | digits;
            return [(value >> 64) as u64, value as u64];
        }
    }
    let half = |seed: u64| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut hasher);
        id.hash(&mut hasher);
        hasher.finish()
    };
    [half(1) | 0xFF << 56, half(2)]
}

/// Each byte's value as a lowercase hexadecimal digit; 16 for one that is not.
const HEX: [u8; 256] = {
    let mut table = [16; 256];
    let mut at = 0;
    while at < 16 {
        table[b"0123456789abcdef"[at] as usize] = at as u8;
        at += 1;
    }
    table
};

/// The id an exact key was made from; `None` for a hashed one.
pub fn id_of([high, low]: [u64; 2]) -> Option<String> {
    let value = u128::from(high) << 64 | u128::from(low);
    let digits = (value >> 120) as u32;
    (digits <= 30).then(|| {
        (0..digits)
            .rev()
            .filter_map(|at| char::from_digit((value >> (4 * at)) as u32 & 0xF, 16))
            .collect()
    })
}

/// No number (a client's or a person's, or a tombstone without one).
const NO_NUM: u64 = u64::MAX;
/// The change is a merge's own.
const MERGE: u8 = 1;
/// An action or a follow-up: what a merge's own change does not bring back.
const NUMBERED: u8 = 2;
/// A tombstone.
const DELETED: u8 = 4;

#[derive(Clone, Copy)]
struct Entry {
    key: [u64; 2],
    /// Its number; for a winner, the last number the record had.
    num: u64,
    occurrence: u32,
    flags: u8,
}

/// Each id's newest version, and which occurrences took effect.
pub struct Newest {
    /// One an id, sorted by key: the occurrence of its newest version that took effect.
    winners: Vec<Entry>,
    /// A bit an occurrence: whether it took effect.
    effective: Vec<u64>,
    /// The highest change sequence number.
    pub max_seq: u64,
    /// How many changes the journal holds.
    pub changes: usize,
    /// How many bytes were read (the complete lines), and their CRC-32.
    pub complete_len: u64,
    pub crc: u32,
}

impl Newest {
    /// Reads the complete lines of the journal `file`, `len` bytes long. `None` when a
    /// line does not read (see `stream::read`).
    pub fn scan(file: &File, len: u64) -> Option<Newest> {
        Self::scan_by(file, len, CHUNK)
    }

    /// `scan`, replaying `chunk` occurrences at a time.
    fn scan_by(file: &File, len: u64, chunk: usize) -> Option<Newest> {
        let mut sink = Scan {
            chunk,
            ..Scan::default()
        };
        let (complete_len, crc) = stream::read(file, len, &mut sink)?;
        sink.replay();
        let Scan {
            mut winners,
            effective,
            max_seq,
            changes,
            ..
        } = sink;
        winners.shrink_to_fit();
        Some(Newest {
            winners,
            effective,
            max_seq,
            changes,
            complete_len,
            crc,
        })
    }

    /// This, without what it knows of each record.
    pub fn summary(self) -> Newest {
        Newest {
            winners: Vec::new(),
            effective: Vec::new(),
            ..self
        }
    }

    /// Whether the occurrence took effect.
    pub fn took_effect(&self, occurrence: u32) -> bool {
        bit(&self.effective, occurrence)
    }

    /// This, as a bit an occurrence: all a second reading of the journal in order needs.
    pub fn marks(self) -> Marks {
        let mut newest = vec![0u64; self.effective.len()];
        for winner in &self.winners {
            let at = winner.occurrence as usize;
            newest[at / 64] |= 1 << (at % 64);
        }
        Marks {
            effective: self.effective,
            newest,
        }
    }

    /// The newest version of the record with this id that took effect: its occurrence,
    /// and the last number the record had.
    pub fn of(&self, id: &str) -> Option<(u32, Option<u64>)> {
        let key = key(id);
        let at = self.winners.binary_search_by_key(&key, |e| e.key).ok()?;
        let winner = self.winners[at];
        Some((
            winner.occurrence,
            (winner.num != NO_NUM).then_some(winner.num),
        ))
    }

    /// Whether this occurrence of the record with this id is its newest version.
    pub fn is_newest(&self, id: &str, occurrence: u32) -> bool {
        self.of(id).is_some_and(|(at, _)| at == occurrence)
    }
}

/// Which occurrences took effect, and which are their record's newest version.
pub struct Marks {
    effective: Vec<u64>,
    newest: Vec<u64>,
}

impl Marks {
    pub fn took_effect(&self, occurrence: u32) -> bool {
        bit(&self.effective, occurrence)
    }

    pub fn is_newest(&self, occurrence: u32) -> bool {
        bit(&self.newest, occurrence)
    }

    /// How many records have a newest version (deleted ones included).
    pub fn records(&self) -> usize {
        self.newest.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// Whether bit `at` of `bits` is set.
pub(super) fn bit(bits: &[u64], at: u32) -> bool {
    let at = at as usize;
    bits.get(at / 64)
        .is_some_and(|word| word & (1 << (at % 64)) != 0)
}

/// The little of a record the scan reads.
#[derive(Deserialize)]
struct Light {
    #[serde(rename = "type")]
    of: Type,
    #[serde(rename = "id")]
    key: Key,
    num: Option<u64>,
}

/// A record's id, read as its key (a string, as for a `String`).
struct Key([u64; 2]);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct Id;
        impl Visitor<'_> for Id {
            type Value = Key;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E>(self, id: &str) -> Result<Key, E> {
                Ok(Key(key(id)))
            }
        }
        deserializer.deserialize_string(Id)
    }
}

/// Occurrences read before they are replayed into each id's winner (8 MB of them):
/// what the scan holds is its winners and these, however often each id occurs.
const CHUNK: usize = 1 << 18;

#[derive(Default)]
struct Scan {
    /// One an id seen so far, sorted by key, as `Newest::winners`.
    winners: Vec<Entry>,
    /// Occurrences read and not yet replayed, in the order read.
    pending: Vec<Entry>,
    /// A bit an occurrence replayed: whether it took effect.
    effective: Vec<u64>,
    occurrences: u32,
    /// Where this change's pending occurrences begin, and whether it is a merge's own,
    /// once its command is read: whether its occurrences take effect depends on it.
    line_start: usize,
    merge: Option<bool>,
    max_seq: u64,
    changes: usize,
    /// How many occurrences are replayed at a time, at most.
    chunk: usize,
}

impl Scan {
    /// Replays the pending occurrences, each id's in the order read, after those
    /// replayed before (its winner says where they left it).
    fn replay(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable_by_key(|e| (e.key, e.occurrence));
        self.effective
            .resize((self.occurrences as usize).div_ceil(64), 0);
        // The winners of ids not seen before, written over `pending` as it is read.
        let mut fresh = 0;
        let (mut at, mut from) = (0, 0);
        while at < pending.len() {
            let key = pending[at].key;
            from += self.winners[from..].partition_point(|w| w.key < key);
            let known = self.winners.get(from).filter(|w| w.key == key).copied();
            let (mut deleted, mut winner, mut num) = match known {
                Some(w) => (w.flags & DELETED != 0, Some(w), w.num),
                None => (false, None, NO_NUM),
            };
            while at < pending.len() && pending[at].key == key {
                let e = pending[at];
                at += 1;
                if e.flags & MERGE != 0 && e.flags & NUMBERED != 0 && deleted {
                    continue;
                }
                self.effective[e.occurrence as usize / 64] |= 1 << (e.occurrence % 64);
                deleted = e.flags & DELETED != 0;
                if e.num != NO_NUM {
                    num = e.num;
                }
                winner = Some(e);
            }
            match (known, winner) {
                (Some(_), Some(winner)) => self.winners[from] = Entry { num, ..winner },
                (None, Some(winner)) => {
                    pending[fresh] = Entry { num, ..winner };
                    fresh += 1;
                }
                (_, None) => {}
            }
        }
        pending.truncate(fresh);
        merge_into(&mut self.winners, &pending);
        pending.clear();
        self.pending = pending;
        self.line_start = 0;
    }
}

/// Merges `new` into `winners`, both sorted by key and with no key in common, in
/// place: from the end, into the room made for `new`.
fn merge_into(winners: &mut Vec<Entry>, new: &[Entry]) {
    let (mut old, mut left) = (winners.len(), new.len());
    winners.reserve_exact(left);
    // Room for them (overwritten below).
    winners.extend_from_slice(new);
    let mut to = winners.len();
    while left > 0 {
        to -= 1;
        if old > 0 && winners[old - 1].key > new[left - 1].key {
            old -= 1;
            winners[to] = winners[old];
        } else {
            left -= 1;
            winners[to] = new[left];
        }
    }
}

impl Sink for Scan {
    type Record = Light;

    fn skim(bytes: &[u8]) -> Option<(Light, usize)> {
        let (of, id, num, taken) = skim::record(bytes)?;
        let key = Key(key(id));
        Some((Light { of, key, num }, taken))
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::Seq(seq) => self.max_seq = self.max_seq.max(seq),
            Field::Command(command) => {
                let merge = command == "merge";
                if merge {
                    for entry in &mut self.pending[self.line_start..] {
                        entry.flags |= MERGE;
                    }
                }
                self.merge = Some(merge);
            }
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, record: Light) -> Result<(), String> {
        let occurrence = self.occurrences;
        self.occurrences = occurrence
            .checked_add(1)
            .ok_or_else(|| "more than 4 billion records".to_string())?;
        let mut flags = match record.of {
            Type::Action | Type::FollowUp => NUMBERED,
            Type::Deleted => DELETED,
            Type::Client | Type::Person => 0,
        };
        if self.merge == Some(true) {
            flags |= MERGE;
        }
        let num = match record.of {
            Type::Client | Type::Person => NO_NUM,
            _ => record.num.unwrap_or(NO_NUM),
        };
        self.pending.push(Entry {
            key: record.key.0,
            num,
            occurrence,
            flags,
        });
        if self.merge.is_some() && self.pending.len() >= self.chunk {
            self.replay();
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        self.merge = None;
        self.line_start = self.pending.len();
        self.changes += 1;
        if self.pending.len() >= self.chunk {
            self.replay();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn keys_tell_every_id_apart_whatever_its_form() {
        let ids = [
            "",
            "0",
            "00",
            "a",
            "0a",
            "a0",
            "f",
            "F",
            "g",
            "af4527f97def14658975812edfb",
            "0af4527f97def14658975812edfb",
            "c1",
            "client one",
            "ffffffffffffffffffffffffffffff",
            "ffffffffffffffffffffffffffffff0",
        ];
        let keys: std::collections::HashSet<[u64; 2]> = ids.iter().map(|id| key(id)).collect();
        assert_eq!(keys.len(), ids.len());
        assert_eq!(key("c1"), key("c1"));
        // An exact key gives its id back; a hashed one does not.
        for id in ids {
            let exact = id.len() <= 30
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            assert_eq!(id_of(key(id)), exact.then(|| id.to_string()), "{id:?}");
        }
    }

    fn newest(journal: &str) -> Newest {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(journal.as_bytes()).unwrap();
        Newest::scan(&file, journal.len() as u64).unwrap()
    }

    #[test]
    fn the_newest_version_is_the_last_that_took_effect() {
        let action = |id: &str, num: u64| {
            format!(
                r#"{{"type":"action","id":"{id}","num":{num},"client":"c","kind":"fix","text":"t","at":"2026-01-01T00:00:00Z"}}"#
            )
        };
        let change = |command: &str, records: &[String]| {
            format!(
                r#"{{"at":"2026-01-01T00:00:00Z","seq":4,"command":"{command}","records":[{}],"id":"x"}}"#,
                records.join(",")
            ) + "\n"
        };
        let journal = [
            "{\"format\":\"extramile-journal\",\"version\":1}\n".to_string(),
            change("log", &[action("a", 1), action("b", 2)]),
            change("edit", &[action("a", 1)]),
            change("delete", &[r#"{"type":"deleted","id":"b"}"#.into()]),
            // A merge's own change does not bring back what was deleted.
            change("merge", &[action("b", 7), action("a", 5)]),
            // Its records before its command, as a hand edit may leave them.
            r#"{"records":[{"type":"deleted","id":"c"}],"command":"merge","at":"2026-01-01T00:00:00Z","id":"y"}"#.to_string() + "\n",
        ]
        .concat();
        let newest = newest(&journal);
        // Occurrences: a1 b2 | a1 | b- | b7 a5 | c-
        assert_eq!(newest.of("a"), Some((5, Some(5))));
        assert_eq!(
            newest.of("b"),
            Some((3, Some(2))),
            "the tombstone, with b's number"
        );
        assert!(!newest.took_effect(4), "b7 came after b was deleted");
        assert!(newest.took_effect(5) && newest.took_effect(6));
        assert_eq!(newest.of("c"), Some((6, None)));
        assert_eq!(newest.of("d"), None);
        assert!(newest.is_newest("a", 5) && !newest.is_newest("a", 2));
        assert_eq!((newest.max_seq, newest.changes), (4, 5));
    }

    proptest::proptest! {
        /// Replayed a few occurrences at a time (mid-change too), the scan gives what
        /// it gives replayed all at once: every id's winner and every occurrence's
        /// effect, merges' own changes and commands read after records included.
        #[test]
        fn chunks_replay_as_one(
            changes in proptest::collection::vec(
                (0u8..4, proptest::bool::ANY, proptest::collection::vec((0u8..6, 0u8..3, 0u64..4), 0..6)),
                0..12,
            ),
            chunk in 1usize..5,
        ) {
            let mut journal = String::from("{\"format\":\"extramile-journal\",\"version\":1}\n");
            for (command, command_last, records) in changes {
                let command = ["log", "merge", "delete", "edit"][command as usize];
                let records: Vec<String> = records
                    .iter()
                    .map(|&(id, of, num)| match of {
                        0 => format!(r#"{{"type":"action","id":"i{id}","num":{num},"client":"c","kind":"fix","text":"t","at":"2026-01-01T00:00:00Z"}}"#),
                        1 => format!(r#"{{"type":"deleted","id":"i{id}"}}"#),
                        _ => format!(r#"{{"type":"client","id":"i{id}","name":"n","created":"2026-01-01T00:00:00Z"}}"#),
                    })
                    .collect();
                let records = records.join(",");
                journal += &if command_last {
                    format!(r#"{{"records":[{records}],"at":"2026-01-01T00:00:00Z","command":"{command}","id":"x"}}"#)
                } else {
                    format!(r#"{{"at":"2026-01-01T00:00:00Z","command":"{command}","records":[{records}],"id":"x"}}"#)
                };
                journal.push('\n');
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(journal.as_bytes()).unwrap();
            let len = journal.len() as u64;
            let whole = Newest::scan(&file, len).unwrap();
            let chunked = Newest::scan_by(&file, len, chunk).unwrap();
            let winners = |n: &Newest| n.winners.iter().map(|e| (e.key, e.num, e.occurrence, e.flags)).collect::<Vec<_>>();
            proptest::prop_assert_eq!(winners(&chunked), winners(&whole));
            proptest::prop_assert_eq!(&chunked.effective, &whole.effective);
        }
    }
}
