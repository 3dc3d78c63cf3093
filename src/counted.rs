//! Actions a window reads only to count them (the period a report sets its own
//! against): what the counts need of each, without its text, kept in a few
//! allocations for them all rather than several for each.

use std::hash::BuildHasher;

use foldhash::HashMap;

use crate::model::{Action, Kind};

/// What the counts need of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<'a> {
    pub client: &'a str,
    /// Its instant, in whole seconds.
    pub at: i64,
    pub kind: Kind,
    pub asked: bool,
    pub story: bool,
    /// The follow-up whose outcome it records.
    pub follows_up: Option<&'a str>,
}

impl<'a> Counted<'a> {
    pub fn of(a: &'a Action) -> Counted<'a> {
        Counted {
            client: &a.client,
            at: a.at.timestamp(),
            kind: a.kind,
            asked: a.asked,
            story: a.story,
            follows_up: a.follows_up.as_deref(),
        }
    }
}

/// Actions kept to be counted, each findable by its id so that a later change to one
/// takes it out (see `State::forget_action`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CountedActions {
    /// The ids, clients and follow-ups of the actions, end to end.
    text: String,
    entries: Vec<Entry>,
    /// Each entry by a hash of its id (`key`).
    by_id: HashMap<u64, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Where its id, client and follow-up (empty for none) end in `text`, one after
    /// the other.
    ends: [usize; 3],
    at: i64,
    kind: Kind,
    asked: bool,
    story: bool,
    has_follow_up: bool,
    taken_out: bool,
}

/// An id's hash, for finding its entry: foldhash's with a fixed seed (several times
/// faster than `model::id_hash` on ids, which matters at thousands an action read).
fn key(id: &str) -> u64 {
    foldhash::fast::FixedState::default().hash_one(id)
}

impl CountedActions {
    /// Makes room for `n` more actions.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.by_id.reserve(n);
    }

    /// Keeps an action with this id to be counted; false (and nothing kept) when one
    /// whose id has the same hash is kept already: that one is to be held whole.
    pub fn add(&mut self, id: &str, counted: Counted) -> bool {
        let hash = key(id);
        if self.by_id.contains_key(&hash) {
            return false;
        }
        self.by_id.insert(hash, self.entries.len());
        let mut end = |s: &str| {
            self.text.push_str(s);
            self.text.len()
        };
        let ends = [
            end(id),
            end(counted.client),
            end(counted.follows_up.unwrap_or("")),
        ];
        self.entries.push(Entry {
            ends,
            at: counted.at,
            kind: counted.kind,
            asked: counted.asked,
            story: counted.story,
            has_follow_up: counted.follows_up.is_some(),
            taken_out: false,
        });
        true
    }

    /// Takes the action with this id out, and gives what it was.
    pub fn remove(&mut self, id: &str) -> Option<Counted<'_>> {
        let &at = self.by_id.get(&key(id))?;
        if self.id_of(at) != id || self.entries[at].taken_out {
            return None;
        }
        self.by_id.remove(&key(id));
        self.entries[at].taken_out = true;
        Some(self.counted(at))
    }

    /// Every action kept and not taken out.
    pub fn iter(&self) -> impl Iterator<Item = Counted<'_>> {
        (0..self.entries.len())
            .filter(|&at| !self.entries[at].taken_out)
            .map(|at| self.counted(at))
    }

    fn start_of(&self, at: usize) -> usize {
        at.checked_sub(1)
            .map_or(0, |before| self.entries[before].ends[2])
    }

    fn id_of(&self, at: usize) -> &str {
        &self.text[self.start_of(at)..self.entries[at].ends[0]]
    }

    fn counted(&self, at: usize) -> Counted<'_> {
        let e = &self.entries[at];
        Counted {
            client: &self.text[e.ends[0]..e.ends[1]],
            at: e.at,
            kind: e.kind,
            asked: e.asked,
            story: e.story,
            follows_up: e.has_follow_up.then(|| &self.text[e.ends[1]..e.ends[2]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(
        client: &'static str,
        at: i64,
        follows_up: Option<&'static str>,
    ) -> Counted<'static> {
        Counted {
            client,
            at,
            kind: Kind::Intro,
            asked: at % 2 == 0,
            story: at % 3 == 0,
            follows_up,
        }
    }

    #[test]
    fn kept_actions_are_given_back_as_kept_until_taken_out() {
        let mut kept = CountedActions::default();
        assert!(kept.add("a1", counted("c1", 10, None)));
        assert!(kept.add("a2", counted("c2", 11, Some("f1"))));
        assert!(kept.add("a3", counted("c1", 12, Some(""))));
        // The same id again is refused, and changes nothing.
        assert!(!kept.add("a2", counted("c9", 99, None)));
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            [
                counted("c1", 10, None),
                counted("c2", 11, Some("f1")),
                counted("c1", 12, Some(""))
            ]
        );
        assert_eq!(kept.remove("a2"), Some(counted("c2", 11, Some("f1"))));
        assert_eq!(kept.remove("a2"), None);
        assert_eq!(kept.remove("a9"), None);
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            [counted("c1", 10, None), counted("c1", 12, Some(""))]
        );
        assert_eq!(kept.remove("a1"), Some(counted("c1", 10, None)));
        assert_eq!(kept.remove("a3"), Some(counted("c1", 12, Some(""))));
        assert_eq!(kept.iter().count(), 0);
    }
}
