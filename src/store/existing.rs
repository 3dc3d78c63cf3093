//! The current records of a store, looked up by id, for an import that matches a
//! million records against a million: what `Need::Lookup` read is held (the clients,
//! the people, the open follow-ups, and what changed after the snapshot); every other
//! action and follow-up stays in the snapshot, found through a table of a hash of its
//! id and where its record is (16 bytes a record).

use std::path::PathBuf;

use anyhow::Result;

use super::everything::damaged;
use super::journal::Loaded;
use super::snapshot::{Contents, Indexed};
use crate::model::Record;
use crate::number_set::NumberSet;
use crate::state::State;

pub struct Existing<'a> {
    state: &'a State,
    snapshot: Option<(&'a Contents, PathBuf)>,
    /// Each action and closed follow-up of the snapshot that is not held, nor deleted
    /// since, sorted by the hash of its id.
    table: Vec<Placed>,
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

fn hash(id: &str) -> u32 {
    crate::state::fnv1a(id.bytes()) as u32
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
            let read = snap.each_numbered(|num, action, place, len| {
                // The open follow-ups are held; a record changed since the snapshot is
                // held, one deleted since is gone.
                let id = snap.id_at(place, len)?;
                let held = state.actions.contains_key(&id) || state.follow_ups.contains_key(&id);
                if held || state.was_deleted(&id) {
                    return Some(());
                }
                note(num);
                let len = u32::try_from(len).ok().filter(|len| len & ACTION == 0)?;
                table.push(Placed {
                    hash: hash(&id),
                    len: len | if action { ACTION } else { 0 },
                    place,
                });
                Some(())
            });
            if read.is_none() {
                return Err(damaged(&store.snapshot_path()));
            }
        }
        table.sort_unstable_by_key(|p| p.hash);
        shared.sort_unstable();
        shared.dedup();
        Ok(Existing {
            state,
            snapshot: snapshot.map(|snap| (snap, store.snapshot_path())),
            table,
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
        let from = self.table.partition_point(|p| p.hash < wanted);
        for placed in self.table[from..].iter().take_while(|p| p.hash == wanted) {
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
        let held = held.chain(self.state.follow_ups.values().map(|f| (f.num, &f.id)));
        if let Some((_, other)) = held.filter(|(n, other)| *n == num && *other != id).next() {
            return Ok(Some(other.clone()));
        }
        let Some((snap, path)) = &self.snapshot else {
            return Ok(None);
        };
        let mut found = None;
        let read = snap.each_numbered(|n, _, place, len| {
            if n == num && found.is_none() {
                let other = snap.id_at(place, len)?;
                let gone = self.state.record(&other).is_some() || self.state.was_deleted(&other);
                if other != id && !gone {
                    found = Some(other);
                }
            }
            Some(())
        });
        read.ok_or_else(|| damaged(path))?;
        Ok(found)
    }
}
