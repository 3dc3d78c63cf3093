//! Merging journals: two laptops, or a git merge. A journal is a list of changes, each
//! with a unique id, so a merge is the union of the changes. Each side's own order is
//! kept and the two are interleaved by time, so where both sides changed the same
//! record the newest change comes last and wins. Short numbers that both sides gave to
//! different records are settled the same way whichever side merges into which.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::model::{Action, Client, FollowUp, Person, Record};
use crate::state::State;
use crate::store::Change;

/// The union of two journals' changes.
#[derive(Debug)]
pub struct Union {
    pub changes: Vec<Change>,
    /// The ids of the changes of `theirs` that `ours` did not have.
    pub added: Vec<String>,
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

    // Newest last: by Lamport clock, then time, then id (see `Change::seq`).
    let key = |c: &Change| (c.seq, c.at, c.id.clone());
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
        added: new.iter().map(|c| c.id.clone()).collect(),
        both_changed,
    }
}

/// What a three-way merge starts from: ours without the changes theirs took out since
/// `base`, and the changes theirs added since `base`. Their union is the merge.
pub fn three_way(
    base: &[Change],
    ours: &[Change],
    theirs: &[Change],
) -> (Vec<Change>, Vec<Change>) {
    let ids =
        |changes: &[Change]| -> HashSet<String> { changes.iter().map(|c| c.id.clone()).collect() };
    let (in_base, in_theirs) = (ids(base), ids(theirs));
    let taken_out = |c: &Change| in_base.contains(&c.id) && !in_theirs.contains(&c.id);
    let mut kept: Vec<Change> = ours.iter().filter(|c| !taken_out(c)).cloned().collect();
    // Records that lived only through the changes taken out (a revert of the commit
    // that logged them) are not kept alive by a merge's settling of them either.
    let alive: HashSet<&str> = kept
        .iter()
        .filter(|c| c.command != "merge")
        .chain(theirs)
        .flat_map(|c| c.records.iter().map(Record::id))
        .collect();
    let gone: HashSet<String> = ours
        .iter()
        .filter(|c| taken_out(c))
        .flat_map(|c| c.records.iter().map(Record::id))
        .filter(|id| !alive.contains(id))
        .map(str::to_string)
        .collect();
    for change in kept.iter_mut().filter(|c| c.command == "merge") {
        change
            .records
            .retain(|r| matches!(r, Record::Client(_)) || !gone.contains(r.id()));
    }
    let added = theirs
        .iter()
        .filter(|c| !in_base.contains(&c.id))
        .cloned()
        .collect();
    (kept, added)
}

/// (old number, new number, id) of each record given a new number.
pub type Renumbered = Vec<(u64, u64, String)>;

/// What both sides did independently that the union can't hold twice. In each group the
/// record this store already had (in `ours`) wins, so nothing here changes under the
/// user; between incoming records, the smallest id (ids begin with their creation time):
/// - clients both created under the same name (case aside) become one: the winner
///   stays, the others' people, actions and follow-ups move to it, they are deleted;
/// - people both added under the same name at one client become one the same way;
/// - short numbers both gave to different records: the winner keeps the number, the
///   others get new ones, in id order.
///
/// Returns the new versions of the records, and the renumbering.
pub fn settle(state: &State, ours: &State) -> (Vec<Record>, Renumbered) {
    let rank = |id: &str| (!ours.contains(id), id.to_string());
    let mut changed: HashMap<String, Record> = HashMap::new();

    let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
    for c in state.clients.values() {
        by_name
            .entry(c.name.to_lowercase())
            .or_default()
            .push(&c.id);
    }
    let mut moved: HashMap<&str, &str> = HashMap::new();
    for mut ids in by_name.into_values().filter(|ids| ids.len() > 1) {
        ids.sort_by_key(|id| rank(id));
        let keeper = ids[0];
        let mut kept = state.clients[keeper].clone();
        for &other in &ids[1..] {
            moved.insert(other, keeper);
            let other_client = &state.clients[other];
            kept.tier = kept.tier.or_else(|| other_client.tier.clone());
            kept.cadence_days = kept.cadence_days.or(other_client.cadence_days);
            changed.insert(
                other.to_string(),
                Record::Deleted {
                    id: other.to_string(),
                    num: None,
                    into: Some(keeper.to_string()),
                },
            );
        }
        if kept != state.clients[keeper] {
            changed.insert(keeper.to_string(), Record::Client(kept));
        }
    }
    // People move with their client; two people of one name at a client become one.
    let mut twins: HashMap<(String, String), Vec<&str>> = HashMap::new();
    for p in state.people.values() {
        let client = moved.get(p.client.as_str()).copied().unwrap_or(&p.client);
        if client != p.client {
            let mut p = p.clone();
            p.client = client.to_string();
            changed.insert(p.id.clone(), Record::Person(p));
        }
        twins
            .entry((client.to_string(), p.name.to_lowercase()))
            .or_default()
            .push(&p.id);
    }
    let mut moved_people: HashMap<&str, &str> = HashMap::new();
    for mut ids in twins.into_values().filter(|ids| ids.len() > 1) {
        ids.sort_by_key(|id| rank(id));
        let keeper = ids[0];
        let mut kept = match changed.get(keeper) {
            Some(Record::Person(p)) => p.clone(),
            _ => state.people[keeper].clone(),
        };
        for &other in &ids[1..] {
            moved_people.insert(other, keeper);
            let twin = &state.people[other];
            kept.role = kept.role.or_else(|| twin.role.clone());
            kept.email = kept.email.or_else(|| twin.email.clone());
            changed.insert(
                other.to_string(),
                Record::Deleted {
                    id: other.to_string(),
                    num: None,
                    into: Some(keeper.to_string()),
                },
            );
        }
        if kept != state.people[keeper] {
            changed.insert(keeper.to_string(), Record::Person(kept));
        }
    }
    // Where an action or follow-up's client and people lead now, when that moved.
    let moves = |client: &str, with: &[String]| -> Option<(String, Vec<String>)> {
        let to = moved.get(client).copied().unwrap_or(client);
        let mut people: Vec<String> = Vec::new();
        for id in with {
            let id = moved_people.get(id.as_str()).copied().unwrap_or(id);
            if !people.iter().any(|p| p == id) {
                people.push(id.to_string());
            }
        }
        (to != client || people != with).then(|| (to.to_string(), people))
    };
    for a in state.actions.values() {
        if let Some((client, with)) = moves(&a.client, &a.with) {
            let a = Action {
                client,
                with,
                ..a.clone()
            };
            changed.insert(a.id.clone(), Record::Action(a));
        }
    }
    for f in state.follow_ups.values() {
        if let Some((client, with)) = moves(&f.client, &f.with) {
            let f = FollowUp {
                client,
                with,
                ..f.clone()
            };
            changed.insert(f.id.clone(), Record::FollowUp(f));
        }
    }

    let mut by_num: HashMap<u64, Vec<&str>> = HashMap::new();
    for a in state.actions.values() {
        by_num.entry(a.num).or_default().push(&a.id);
    }
    for f in state.follow_ups.values() {
        by_num.entry(f.num).or_default().push(&f.id);
    }
    let mut losers: Vec<(u64, &str)> = Vec::new();
    for (num, mut ids) in by_num.into_iter().filter(|(_, ids)| ids.len() > 1) {
        ids.sort_by_key(|id| rank(id));
        losers.extend(ids.into_iter().skip(1).map(|id| (num, id)));
    }
    losers.sort_by(|a, b| a.1.cmp(b.1));
    let taken: HashSet<u64> = state
        .actions
        .values()
        .map(|a| a.num)
        .chain(state.follow_ups.values().map(|f| f.num))
        .collect();
    let mut fresh = state.fresh_numbers().filter(|n| !taken.contains(n));
    let mut mapping = Vec::new();
    for (old, id) in losers {
        let Some(next) = fresh.next() else { break };
        let record = changed.remove(id).or_else(|| state.record(id));
        let record = match record {
            Some(Record::Action(mut a)) => {
                a.num = next;
                a.by = state.machine().map(str::to_string);
                Record::Action(a)
            }
            Some(Record::FollowUp(mut f)) => {
                f.num = next;
                f.by = state.machine().map(str::to_string);
                Record::FollowUp(f)
            }
            _ => continue,
        };
        mapping.push((old, next, id.to_string()));
        changed.insert(id.to_string(), record);
    }
    let mut records: Vec<Record> = changed.into_values().collect();
    records.sort_by(|a, b| a.id().cmp(b.id()));
    (records, mapping)
}

/// Whether two of `people` at one client have one name (case aside), which `settle`
/// makes one.
pub fn has_twin_people<'a>(people: impl IntoIterator<Item = &'a Person>) -> bool {
    let mut seen = HashSet::new();
    people
        .into_iter()
        .any(|p| !seen.insert((p.client.as_str(), p.name.to_lowercase())))
}

/// New versions of the records that point at a client (or person) the merged store no
/// longer has: moved to the one that took its place (a tombstone's `into`, as `settle`
/// leaves when it makes two one), else pointing at it as it last was, brought back,
/// since records still need it (one machine undid its creation while another
/// logged for it). `history` holds changes not merged that may know the client (git's
/// merge base: a cherry-picked record brings along the client an unpicked commit made).
/// Sorted by id.
pub fn adopt_orphans(changes: &[Change], history: &[Change], state: &State) -> Vec<Record> {
    let mut last: HashMap<&str, &Client> = HashMap::new();
    let mut last_person: HashMap<&str, &Person> = HashMap::new();
    let mut into: HashMap<&str, &str> = HashMap::new();
    for record in history.iter().chain(changes).flat_map(|c| &c.records) {
        match record {
            Record::Client(c) => {
                last.insert(&c.id, c);
            }
            Record::Person(p) => {
                last_person.insert(&p.id, p);
            }
            Record::Deleted {
                id, into: Some(to), ..
            } => {
                into.insert(id, to);
            }
            _ => {}
        }
    }
    // Where an id leads now, among those that `exists` (chains are short; a cycle
    // leads nowhere).
    let resolve = |start: &str, exists: &dyn Fn(&str) -> bool| -> Option<String> {
        let mut id = start.to_string();
        for _ in 0..=into.len() {
            if exists(&id) {
                return Some(id);
            }
            id = into.get(id.as_str())?.to_string();
        }
        None
    };
    let mut out: HashMap<String, Record> = HashMap::new();
    // The client that a record pointing at `client` goes to, brought back if need be.
    let client_for = |client: &str, out: &mut HashMap<String, Record>| -> Option<String> {
        resolve(client, &|id| state.clients.contains_key(id)).or_else(|| {
            let was = last.get(client)?;
            out.insert(was.id.clone(), Record::Client((*was).clone()));
            Some(was.id.clone())
        })
    };
    for p in state.people.values() {
        if !state.clients.contains_key(&p.client)
            && let Some(client) = client_for(&p.client, &mut out)
        {
            let p = Person {
                client,
                ..p.clone()
            };
            out.insert(p.id.clone(), Record::Person(p));
        }
    }
    // The person a record names by `id`, brought back (and their client) if need be.
    let person_for = |id: &str, out: &mut HashMap<String, Record>| -> Option<String> {
        resolve(id, &|id| state.people.contains_key(id)).or_else(|| {
            let was = last_person.get(id)?;
            let client = match state.clients.contains_key(&was.client) {
                true => was.client.clone(),
                false => client_for(&was.client, out)?,
            };
            let was = Person {
                client,
                ..(*was).clone()
            };
            out.insert(was.id.clone(), Record::Person(was.clone()));
            Some(was.id)
        })
    };
    let records = state
        .actions
        .values()
        .map(|a| Record::Action(a.clone()))
        .chain(
            state
                .follow_ups
                .values()
                .map(|f| Record::FollowUp(f.clone())),
        );
    for mut record in records {
        let (client, with) = match &mut record {
            Record::Action(a) => (&mut a.client, &mut a.with),
            Record::FollowUp(f) => (&mut f.client, &mut f.with),
            _ => continue,
        };
        let mut adopted = false;
        if !state.clients.contains_key(client.as_str()) {
            match client_for(client, &mut out) {
                Some(target) => *client = target,
                None => continue,
            }
            adopted = true;
        }
        if with.iter().any(|id| !state.people.contains_key(id)) {
            let found: Vec<String> = with
                .iter()
                .filter_map(|id| person_for(id, &mut out))
                .collect();
            *with = found;
            adopted = true;
        }
        if adopted {
            out.insert(record.id().to_string(), record);
        }
    }
    let mut records: Vec<Record> = out.into_values().collect();
    records.sort_by(|a, b| a.id().cmp(b.id()));
    records
}

/// The newest change that machine `me` made (or an older extramile, which did not
/// say) that is neither an undo nor already undone. Changes a sync brought in from
/// another copy are never undone here.
pub fn last_undoable(changes: &[Change], me: &str) -> Option<usize> {
    let mut undone = HashSet::new();
    for (index, change) in changes.iter().enumerate().rev() {
        if let Some(target) = &change.undoes {
            undone.insert(target.as_str());
        } else if !undone.contains(change.id.as_str())
            && change.by.as_deref().is_none_or(|by| by == me)
        {
            return Some(index);
        }
    }
    None
}

/// The state a list of changes folds to.
pub fn fold(changes: &[Change]) -> State {
    let mut state = State::default();
    for change in changes {
        change.fold_into(&mut state);
    }
    state
}

#[cfg(test)]
pub(crate) mod tests {
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
            by: None,
            follows_up: None,
            asked: false,
            story: false,
            with: vec![],
        })
    }

    fn change(id: &str, minute: i64, records: Vec<Record>) -> Change {
        Change {
            at: at(minute),
            seq: 0,
            by: None,
            command: "log".into(),
            records,
            undoes: None,
            merged: Vec::new(),
            was: None,
            follows: None,
            id: id.into(),
        }
    }

    /// Two journals parted after a shared base; `ops` says, per step, which side acts
    /// and whether it adds a record or edits one (by index) or deletes it.
    pub(crate) fn journals(ops: &[(bool, u8, u8)]) -> (Vec<Change>, Vec<Change>) {
        let base = vec![change("k0", 0, vec![client(), action("a0", 1, "base")])];
        let (mut a, mut b) = (base.clone(), base);
        for (step, &(on_a, op, target)) in ops.iter().enumerate() {
            let side = if on_a { &mut a } else { &mut b };
            let state = fold(side);
            let mut ids: Vec<String> = state.actions.keys().cloned().collect();
            ids.sort();
            let id = format!("{}{step}", if on_a { "A" } else { "B" });
            let records = match (op % 4, ids.get(target as usize % ids.len().max(1))) {
                (1, Some(existing)) => {
                    vec![action(
                        existing,
                        state.actions[existing].num,
                        &format!("edit {id}"),
                    )]
                }
                (2, Some(existing)) => vec![Record::tombstone(existing.clone(), None)],
                // Both sides may create a client of the same name, and log for it.
                (3, _) if !state.clients.values().any(|c| c.name == "Shared") => {
                    let shared = Client {
                        id: format!("s-{id}"),
                        name: "Shared".into(),
                        tier: None,
                        cadence_days: None,
                        created: at(step as i64),
                    };
                    let mut first = action(&format!("a-{id}"), state.next_num(), &id);
                    if let Record::Action(a) = &mut first {
                        a.client = shared.id.clone();
                    }
                    vec![Record::Client(shared), first]
                }
                _ => vec![action(&format!("a-{id}"), state.next_num(), &id)],
            };
            side.push(change(&id, step as i64 + 1, records));
        }
        (a, b)
    }

    fn records(state: &State) -> Vec<String> {
        let mut out: Vec<String> = state
            .actions
            .values()
            .map(|a| format!("{} {} {} {}", a.id, a.num, a.client, a.text))
            .collect();
        out.extend(state.clients.keys().cloned());
        out.sort();
        out
    }

    proptest! {
        #[test]
        fn merging_is_commutative_and_idempotent(ops in proptest::collection::vec((any::<bool>(), 0u8..4, 0u8..8), 0..24)) {
            let (a, b) = journals(&ops);
            let ab = union(&a, &b);
            let ba = union(&b, &a);
            prop_assert_eq!(records(&fold(&ab.changes)), records(&fold(&ba.changes)));
            prop_assert_eq!(ab.changes.iter().map(|c| &c.id).collect::<Vec<_>>(), ba.changes.iter().map(|c| &c.id).collect::<Vec<_>>());
            let again = union(&ab.changes, &b);
            prop_assert!(again.added.is_empty());
            prop_assert_eq!(records(&fold(&again.changes)), records(&fold(&ab.changes)));
            let ours = fold(&a);
            let (ab_fix, _) = settle(&fold(&ab.changes), &ours);
            // Settled: one client per name, one record per number, none orphaned, and
            // every record this side had keeps its number and client.
            let mut settled = fold(&ab.changes);
            for record in &ab_fix {
                settled.apply(record);
            }
            let names: HashSet<String> = settled.clients.values().map(|c| c.name.to_lowercase()).collect();
            prop_assert_eq!(names.len(), settled.clients.len());
            let nums: HashSet<u64> = settled.actions.values().map(|a| a.num).collect();
            prop_assert_eq!(nums.len(), settled.actions.len());
            prop_assert!(settled.actions.values().all(|a| settled.clients.contains_key(&a.client)));
            for (id, mine) in &ours.actions {
                if let Some(now) = settled.actions.get(id) {
                    prop_assert_eq!(now.num, mine.num);
                }
            }
            prop_assert!(crate::validate::state(&settled).is_empty());
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
    fn a_change_made_after_seeing_another_is_newer_whatever_the_clocks_say() {
        let base = change("k0", 0, vec![client(), action("a0", 1, "base")]);
        let mut laptop_edit = change("zz-laptop", 5, vec![action("a0", 1, "laptop's edit")]);
        laptop_edit.seq = 2;
        // The desktop pulled the laptop's edit, then edited again at the same minute
        // (its clock is behind), under an id that sorts first.
        let mut desktop_edit = change(
            "aa-desktop",
            5,
            vec![action("a0", 1, "desktop's later edit")],
        );
        desktop_edit.seq = 3;
        let laptop = vec![base.clone(), laptop_edit.clone()];
        let desktop = vec![base, laptop_edit, desktop_edit];
        for merged in [union(&laptop, &desktop), union(&desktop, &laptop)] {
            assert_eq!(
                fold(&merged.changes).actions["a0"].text,
                "desktop's later edit"
            );
        }
    }

    #[test]
    fn records_pointing_at_a_client_that_is_gone_are_adopted() {
        let named = |id: &str, name: &str| {
            Record::Client(Client {
                id: id.into(),
                name: name.into(),
                tier: None,
                cadence_days: None,
                created: at(0),
            })
        };
        let for_client = |id: &str, num: u64, client: &str| {
            let mut record = action(id, num, "logged offline");
            if let Record::Action(a) = &mut record {
                a.client = client.into();
            }
            record
        };
        let changes = vec![
            change(
                "k0",
                0,
                vec![client(), named("d", "ACME"), named("e", "Globex")],
            ),
            // A merge made the two Acmes one, into "c".
            change(
                "k1",
                1,
                vec![Record::Deleted {
                    id: "d".into(),
                    num: None,
                    into: Some("c".into()),
                }],
            ),
            // One machine undid Globex's creation...
            change("k2", 2, vec![Record::tombstone("e", None)]),
            // ...while another, offline, logged for it and for the other Acme.
            change(
                "k3",
                3,
                vec![for_client("x", 5, "d"), for_client("y", 6, "e")],
            ),
        ];
        let mut state = fold(&changes);
        assert!(!crate::validate::state(&state).is_empty(), "orphans before");
        for record in adopt_orphans(&changes, &[], &state) {
            state.apply(&record);
        }
        assert_eq!(state.actions["x"].client, "c");
        assert_eq!(state.actions["y"].client, "e");
        assert_eq!(state.clients["e"].name, "Globex", "brought back as it was");
        assert!(crate::validate::state(&state).is_empty());
    }

    #[test]
    fn colliding_numbers_are_settled_by_id() {
        let mut state = State::default();
        state.insert(client());
        state.insert(action("id-2", 2, "desktop's #2"));
        state.insert(action("id-1", 2, "laptop's #2"));
        let (records, mapping) = settle(&state, &State::default());
        assert_eq!(mapping, [(2, 3, "id-2".to_string())]);
        assert_eq!(records.len(), 1);
        // The record this store had keeps its number, whatever its id.
        let mut ours = State::default();
        ours.insert(action("id-2", 2, "desktop's #2"));
        let (_, mapping) = settle(&state, &ours);
        assert_eq!(mapping, [(2, 3, "id-1".to_string())]);
    }

    #[test]
    fn clients_created_twice_under_one_name_become_one() {
        let mut state = State::default();
        state.insert(client());
        let twin = Client {
            id: "d".into(),
            name: "ACME".into(),
            tier: Some("A".into()),
            cadence_days: None,
            created: at(1),
        };
        state.insert(Record::Client(twin));
        let mut on_twin = action("x", 5, "logged for the twin");
        if let Record::Action(a) = &mut on_twin {
            a.client = "d".into();
        }
        state.insert(on_twin);
        let (records, _) = settle(&state, &State::default());
        let mut folded = state.clone();
        for r in &records {
            folded.apply(r);
        }
        assert_eq!(folded.clients.len(), 1);
        assert_eq!(
            folded.clients["c"].tier.as_deref(),
            Some("A"),
            "the keeper takes what it lacked"
        );
        assert_eq!(folded.actions["x"].client, "c");
    }
}
