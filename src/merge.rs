//! Merging journals: two laptops, or a git merge. A journal is a list of changes, each
//! with a unique id, so a merge is the union of the changes. Each side's own order is
//! kept and the two are interleaved by time, so where both sides changed the same
//! record the newest change comes last and wins. Short numbers that both sides gave to
//! different records are settled the same way whichever side merges into which.

use std::collections::{HashMap, HashSet};

use crate::model::Record;
use crate::state::State;
use crate::store::Change;

/// The union of two journals' changes.
#[derive(Debug)]
pub struct Union {
    pub changes: Vec<Change>,
    /// Changes of `theirs` that `ours` did not have.
    pub added: usize,
    /// Ids of records that both sides changed since they parted.
    pub both_changed: Vec<String>,
}

/// Every change of `ours` and `theirs` once: each side's order kept, interleaved by time
/// (then id), so merging A into B and B into A give the same list.
pub fn union(ours: &[Change], theirs: &[Change]) -> Union {
    let in_ours: HashSet<&str> = ours.iter().map(|c| c.id.as_str()).collect();
    let in_theirs: HashSet<&str> = theirs.iter().map(|c| c.id.as_str()).collect();
    let new: Vec<&Change> = theirs
        .iter()
        .filter(|c| !in_ours.contains(c.id.as_str()))
        .collect();
    let only_ours: Vec<&Change> = ours
        .iter()
        .filter(|c| !in_theirs.contains(c.id.as_str()))
        .collect();

    let touched = |changes: &[&Change]| -> HashSet<String> {
        changes
            .iter()
            .flat_map(|c| &c.records)
            .map(|r| r.id().to_string())
            .collect()
    };
    let theirs_touched = touched(&new);
    let mut both_changed: Vec<String> = touched(&only_ours)
        .intersection(&theirs_touched)
        .cloned()
        .collect();
    both_changed.sort();

    let key = |c: &Change| (c.at, c.id.clone());
    let mut changes = Vec::with_capacity(ours.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < ours.len() || j < new.len() {
        let take_ours = match (ours.get(i), new.get(j)) {
            (Some(a), Some(b)) => key(a) <= key(b),
            (Some(_), None) => true,
            _ => false,
        };
        if take_ours {
            changes.push(ours[i].clone());
            i += 1;
        } else {
            changes.push(new[j].clone());
            j += 1;
        }
    }
    Union {
        changes,
        added: new.len(),
        both_changed,
    }
}

/// (old number, new number, id) of each record given a new number.
pub type Renumbered = Vec<(u64, u64, String)>;

/// New versions of the records whose short number another record also has: of each
/// group, the record with the smallest id (ids begin with their creation time) keeps
/// the number and the others get new ones, in id order. Returns them with the mapping.
pub fn renumber(state: &State) -> (Vec<Record>, Renumbered) {
    let mut by_num: HashMap<u64, Vec<&str>> = HashMap::new();
    for a in state.actions.values() {
        by_num.entry(a.num).or_default().push(&a.id);
    }
    for f in state.follow_ups.values() {
        by_num.entry(f.num).or_default().push(&f.id);
    }
    let mut losers: Vec<(u64, &str)> = Vec::new();
    for (num, mut ids) in by_num.into_iter().filter(|(_, ids)| ids.len() > 1) {
        ids.sort();
        losers.extend(ids.into_iter().skip(1).map(|id| (num, id)));
    }
    losers.sort_by(|a, b| a.1.cmp(b.1));
    let mut next = state.next_num();
    let mut records = Vec::new();
    let mut mapping = Vec::new();
    for (old, id) in losers {
        let record = match state.record(id) {
            Some(Record::Action(mut a)) => {
                a.num = next;
                Record::Action(a)
            }
            Some(Record::FollowUp(mut f)) => {
                f.num = next;
                Record::FollowUp(f)
            }
            _ => continue,
        };
        mapping.push((old, next, id.to_string()));
        records.push(record);
        next += 1;
    }
    (records, mapping)
}

/// The state a list of changes folds to.
pub fn fold(changes: &[Change]) -> State {
    let mut state = State::default();
    for record in changes.iter().flat_map(|c| &c.records) {
        state.apply(record);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Client, Kind};
    use chrono::{DateTime, Duration, FixedOffset};
    use proptest::prelude::*;

    fn at(minutes: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()
            + Duration::minutes(minutes)
    }

    fn client() -> Record {
        Record::Client(Client {
            id: "c".into(),
            name: "Acme".into(),
            tier: None,
            cadence_days: None,
            created: at(0),
        })
    }

    fn action(id: &str, num: u64, text: &str) -> Record {
        Record::Action(Action {
            id: id.into(),
            num,
            client: "c".into(),
            kind: Kind::Fix,
            text: text.into(),
            at: at(0),
            tags: vec![],
        })
    }

    fn change(id: &str, minute: i64, records: Vec<Record>) -> Change {
        Change {
            at: at(minute),
            command: "log".into(),
            records,
            undoes: None,
            id: id.into(),
        }
    }

    /// Two journals parted after a shared base; `ops` says, per step, which side acts
    /// and whether it adds a record or edits one (by index) or deletes it.
    fn journals(ops: &[(bool, u8, u8)]) -> (Vec<Change>, Vec<Change>) {
        let base = vec![change("k0", 0, vec![client(), action("a0", 1, "base")])];
        let (mut a, mut b) = (base.clone(), base);
        for (step, &(on_a, op, target)) in ops.iter().enumerate() {
            let side = if on_a { &mut a } else { &mut b };
            let state = fold(side);
            let mut ids: Vec<String> = state.actions.keys().cloned().collect();
            ids.sort();
            let id = format!("{}{step}", if on_a { "A" } else { "B" });
            let record = match (op % 3, ids.get(target as usize % ids.len().max(1))) {
                (1, Some(existing)) => {
                    action(existing, state.actions[existing].num, &format!("edit {id}"))
                }
                (2, Some(existing)) => Record::Deleted {
                    id: existing.clone(),
                    num: None,
                },
                _ => action(&format!("a-{id}"), state.next_num(), &id),
            };
            side.push(change(&id, step as i64 + 1, vec![record]));
        }
        (a, b)
    }

    fn records(state: &State) -> Vec<String> {
        let mut out: Vec<String> = state
            .actions
            .values()
            .map(|a| format!("{} {} {}", a.id, a.num, a.text))
            .collect();
        out.sort();
        out
    }

    proptest! {
        #[test]
        fn merging_is_commutative_and_idempotent(ops in proptest::collection::vec((any::<bool>(), 0u8..3, 0u8..8), 0..24)) {
            let (a, b) = journals(&ops);
            let ab = union(&a, &b);
            let ba = union(&b, &a);
            prop_assert_eq!(records(&fold(&ab.changes)), records(&fold(&ba.changes)));
            prop_assert_eq!(ab.changes.iter().map(|c| &c.id).collect::<Vec<_>>(), ba.changes.iter().map(|c| &c.id).collect::<Vec<_>>());
            let again = union(&ab.changes, &b);
            prop_assert_eq!(again.added, 0);
            prop_assert_eq!(records(&fold(&again.changes)), records(&fold(&ab.changes)));
            let (ab_fix, _) = renumber(&fold(&ab.changes));
            let (ba_fix, _) = renumber(&fold(&ba.changes));
            prop_assert_eq!(ab_fix, ba_fix);
        }
    }

    #[test]
    fn the_newest_change_to_a_record_wins_and_is_reported() {
        let base = vec![change("k0", 0, vec![client(), action("a0", 1, "base")])];
        let mut a = base.clone();
        a.push(change(
            "ka",
            5,
            vec![action("a0", 1, "edited on the laptop later")],
        ));
        let mut b = base;
        b.push(change(
            "kb",
            3,
            vec![action("a0", 1, "edited on the desktop earlier")],
        ));
        let merged = union(&b, &a);
        assert_eq!(merged.both_changed, ["a0"]);
        assert_eq!(
            fold(&merged.changes).actions["a0"].text,
            "edited on the laptop later"
        );
        assert_eq!(
            fold(&union(&a, &b).changes).actions["a0"].text,
            "edited on the laptop later"
        );
    }

    #[test]
    fn colliding_numbers_are_settled_by_id() {
        let mut state = State::default();
        state.insert(client());
        state.insert(action("id-2", 2, "desktop's #2"));
        state.insert(action("id-1", 2, "laptop's #2"));
        let (records, mapping) = renumber(&state);
        assert_eq!(mapping, [(2, 3, "id-2".to_string())]);
        assert_eq!(records.len(), 1);
    }
}
