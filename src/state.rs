//! The current records, folded from the journal, and the questions commands ask of them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};

use crate::error::UsageError;
use crate::model::{Action, Client, FollowUp, Record, Status};

/// The newest version of every record that has not been deleted.
#[derive(Debug, Default, Clone)]
pub struct State {
    pub clients: HashMap<String, Client>,
    pub actions: HashMap<String, Action>,
    pub follow_ups: HashMap<String, FollowUp>,
    /// The highest short number ever given, deleted records included, so none is reused.
    max_num: u64,
    /// The highest change sequence number seen (see `Change::seq`).
    max_seq: u64,
    /// Ids deleted and not brought back since (as far as this state was folded).
    deleted: HashSet<String>,
    /// Set when this was read for a window of time (from the snapshot): `actions` holds
    /// only the window's actions (or one client's), `follow_ups` only those open or
    /// closed since the window began, and this sums up every action.
    pub all_actions: Option<ActionIndex>,
}

/// What all actions add up to, for a state that holds only some of them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ActionIndex {
    /// Every action's time, as Unix seconds, sorted.
    pub instants: Vec<i64>,
    /// Per client id, its actions' times, as Unix seconds, sorted.
    pub times: HashMap<String, Vec<i64>>,
}

impl ActionIndex {
    /// Counts one more action.
    pub fn add(&mut self, action: &Action) {
        let at = action.at.timestamp();
        let place = self.instants.partition_point(|&i| i <= at);
        self.instants.insert(place, at);
        let times = self.times.entry(action.client.clone()).or_default();
        times.insert(times.partition_point(|&i| i <= at), at);
    }
}

/// What a client name typed by the user points at.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientMatch<'a> {
    Existing(&'a Client),
    /// No client matches: the name, trimmed, for a new one.
    New(String),
}

/// An action or a follow-up, found by its short number.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Action(&'a Action),
    FollowUp(&'a FollowUp),
}

impl State {
    /// Folds one record version in: the newest version wins, a tombstone removes.
    pub fn apply(&mut self, record: &Record) {
        self.insert(record.clone());
    }

    /// `apply`, taking the record.
    pub fn insert(&mut self, record: Record) {
        if !matches!(record, Record::Deleted { .. }) && !self.deleted.is_empty() {
            self.deleted.remove(record.id());
        }
        match record {
            Record::Client(client) => {
                self.clients.insert(client.id.clone(), client);
            }
            Record::Action(action) => {
                self.max_num = self.max_num.max(action.num);
                // A windowed state takes only new actions (the store sees to it).
                if let Some(index) = &mut self.all_actions {
                    index.add(&action);
                }
                self.actions.insert(action.id.clone(), action);
            }
            Record::FollowUp(follow_up) => {
                self.max_num = self.max_num.max(follow_up.num);
                self.follow_ups.insert(follow_up.id.clone(), follow_up);
            }
            Record::Deleted { id, num, .. } => {
                self.deleted.insert(id.clone());
                self.max_num = self.max_num.max(num.unwrap_or(0));
                self.clients.remove(&id);
                self.actions.remove(&id);
                self.follow_ups.remove(&id);
            }
        }
    }

    /// Raises the highest change sequence number seen.
    pub fn note_seq(&mut self, seq: u64) {
        self.max_seq = self.max_seq.max(seq);
    }

    /// The sequence number of the next change appended.
    pub fn next_seq(&self) -> u64 {
        self.max_seq + 1
    }

    /// The highest short number ever given.
    pub fn max_num(&self) -> u64 {
        self.max_num
    }

    /// Raises the highest short number seen (a snapshot carries it for deleted records).
    pub fn note_num(&mut self, num: u64) {
        self.max_num = self.max_num.max(num);
    }

    /// Per client id: how many actions it has, and its latest action before `before`.
    pub fn client_activity(
        &self,
        before: DateTime<FixedOffset>,
    ) -> HashMap<&str, (usize, Option<DateTime<FixedOffset>>)> {
        if let Some(index) = &self.all_actions {
            // `before` is a whole second (the start of a day), so comparing seconds
            // is exact. The time is in UTC: callers keep only its local date.
            let before = before.timestamp();
            return index
                .times
                .iter()
                .map(|(id, times)| {
                    let last = times[..times.partition_point(|&t| t < before)]
                        .last()
                        .and_then(|&t| DateTime::from_timestamp(t, 0))
                        .map(|t| t.fixed_offset());
                    (id.as_str(), (times.len(), last))
                })
                .collect();
        }
        let mut out: HashMap<&str, (usize, Option<DateTime<FixedOffset>>)> = HashMap::new();
        for action in self.actions.values() {
            let entry = out.entry(action.client.as_str()).or_default();
            entry.0 += 1;
            if action.at < before {
                entry.1 = Some(entry.1.map_or(action.at, |last| last.max(action.at)));
            }
        }
        out
    }

    /// Every action's time as Unix seconds, sorted.
    pub fn action_instants(&self) -> Cow<'_, [i64]> {
        match &self.all_actions {
            Some(index) => Cow::Borrowed(&index.instants),
            None => {
                let mut instants: Vec<i64> =
                    self.actions.values().map(|a| a.at.timestamp()).collect();
                instants.sort_unstable();
                Cow::Owned(instants)
            }
        }
    }

    /// The short number the next new action or follow-up gets.
    pub fn next_num(&self) -> u64 {
        self.max_num + 1
    }

    /// Whether the record with this id was deleted (and not brought back).
    pub fn was_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    /// Whether a record with this id exists now.
    pub fn contains(&self, id: &str) -> bool {
        self.clients.contains_key(id)
            || self.actions.contains_key(id)
            || self.follow_ups.contains_key(id)
    }

    /// The version of the record with this id, if it exists now.
    pub fn record(&self, id: &str) -> Option<Record> {
        if let Some(c) = self.clients.get(id) {
            return Some(Record::Client(c.clone()));
        }
        if let Some(a) = self.actions.get(id) {
            return Some(Record::Action(a.clone()));
        }
        self.follow_ups.get(id).map(|f| Record::FollowUp(f.clone()))
    }

    /// The name of the client with this id ("?" for a dangling id, which `check` reports).
    pub fn client_name(&self, id: &str) -> &str {
        self.clients.get(id).map_or("?", |c| c.name.as_str())
    }

    /// Finds a client the way users type them: case-insensitively; an exact name wins,
    /// else a unique prefix; an ambiguous prefix is an error listing the candidates.
    pub fn match_client(&self, typed: &str) -> Result<ClientMatch<'_>, UsageError> {
        let name = crate::model::clean_name("client name", typed)?;
        let wanted = name.to_lowercase();
        if let Some(client) = self
            .clients
            .values()
            .find(|c| c.name.to_lowercase() == wanted)
        {
            return Ok(ClientMatch::Existing(client));
        }
        let mut candidates: Vec<&Client> = self
            .clients
            .values()
            .filter(|c| c.name.to_lowercase().starts_with(&wanted))
            .collect();
        match candidates.len() {
            0 => Ok(ClientMatch::New(name)),
            1 => Ok(ClientMatch::Existing(candidates[0])),
            _ => {
                candidates.sort_by_cached_key(|c| c.name.to_lowercase());
                let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
                Err(UsageError::new(format!(
                    "'{name}' matches several clients: {}; type more of the name",
                    names.join(", ")
                )))
            }
        }
    }

    /// An existing client whose name is close to `name` (which matches none): at most
    /// two edits away (one for short names), or the same once case, punctuation,
    /// spaces and company suffixes (Inc, Ltd, GmbH…) are set aside.
    pub fn close_to(&self, name: &str) -> Option<&Client> {
        let (wanted, bare) = (name.to_lowercase(), bare_name(name));
        let allowed = if wanted.chars().count() < 4 {
            0
        } else {
            1 + usize::from(wanted.chars().count() >= 6)
        };
        self.clients_by_name().into_iter().find(|c| {
            let theirs = c.name.to_lowercase();
            // Names that differ in their numbers ("Store 12", "Store 13") are not typos.
            let numbers = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
            (!bare.is_empty() && bare_name(&c.name) == bare)
                || (numbers(&theirs) == numbers(&wanted)
                    && edit_distance(&theirs, &wanted, allowed) <= allowed)
        })
    }

    /// Finds an existing client; an unknown name is an error.
    pub fn existing_client(&self, typed: &str) -> anyhow::Result<&Client> {
        match self.match_client(typed)? {
            ClientMatch::Existing(client) => Ok(client),
            ClientMatch::New(name) => {
                crate::usage!("no client is called '{name}'; `extramile clients` lists them")
            }
        }
    }

    pub fn by_num(&self, num: u64) -> Option<Item<'_>> {
        if let Some(a) = self.actions.values().find(|a| a.num == num) {
            return Some(Item::Action(a));
        }
        self.follow_ups
            .values()
            .find(|f| f.num == num)
            .map(Item::FollowUp)
    }

    /// Actions, oldest first (ties by number).
    pub fn actions_by_time(&self) -> Vec<&Action> {
        let mut actions: Vec<&Action> = self.actions.values().collect();
        actions.sort_by_key(|a| (a.at, a.num));
        actions
    }

    /// Open follow-ups, soonest due first (ties by number).
    pub fn open_follow_ups(&self) -> Vec<&FollowUp> {
        let mut open: Vec<&FollowUp> = self
            .follow_ups
            .values()
            .filter(|f| f.status == Status::Open)
            .collect();
        open.sort_by_key(|f| (f.due, f.num));
        open
    }

    /// Clients by name, case-insensitively.
    pub fn clients_by_name(&self) -> Vec<&Client> {
        let mut clients: Vec<&Client> = self.clients.values().collect();
        clients.sort_by_cached_key(|c| c.name.to_lowercase());
        clients
    }
}

/// A company name without case, punctuation, spaces or a legal-form suffix.
fn bare_name(name: &str) -> String {
    const SUFFIXES: [&str; 14] = [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "ag",
        "sa",
        "bv",
    ];
    let words: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let keep = words.len()
        - words
            .iter()
            .rev()
            .take_while(|w| SUFFIXES.contains(&w.as_str()))
            .count();
    words[..keep].concat()
}

/// The edit distance of `a` and `b` in characters (insertions, deletions,
/// substitutions and swaps of two neighbours, each one edit), or `limit + 1` once it
/// is sure to be more than `limit`.
fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut before: Vec<usize> = Vec::new();
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (last[j - 1] + cost).min(last[j] + 1).min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        if row.iter().min().is_some_and(|&m| m > limit) {
            return limit + 1;
        }
        before = std::mem::replace(&mut last, row);
    }
    last[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(names: &[&str]) -> State {
        let mut state = State::default();
        for (i, name) in names.iter().enumerate() {
            state.apply(&Record::Client(Client {
                id: format!("c{i}"),
                name: name.to_string(),
                tier: None,
                cadence_days: None,
                created: chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap(),
            }));
        }
        state
    }

    fn matched(state: &State, typed: &str) -> String {
        match state.match_client(typed) {
            Ok(ClientMatch::Existing(c)) => c.name.clone(),
            Ok(ClientMatch::New(name)) => format!("new {name}"),
            Err(err) => format!("error {err}"),
        }
    }

    #[test]
    fn client_matching() {
        let state = state_with(&["Acme", "Acme Labs", "Globex", "Initech"]);
        assert_eq!(
            matched(&state, "acme"),
            "Acme",
            "an exact match wins over a longer name"
        );
        assert_eq!(matched(&state, "ACME LABS"), "Acme Labs");
        assert_eq!(matched(&state, "glo"), "Globex", "a unique prefix selects");
        assert_eq!(matched(&state, " Umbrella "), "new Umbrella");
        assert_eq!(
            matched(&state, "ac"),
            "error 'ac' matches several clients: Acme, Acme Labs; type more of the name"
        );
        assert!(matched(&state, "").starts_with("error the client name is empty"));
    }

    #[test]
    fn a_name_close_to_a_client_is_caught() {
        let state = state_with(&["Acme", "Globex Corporation", "IBM"]);
        let close = |typed: &str| state.close_to(typed).map(|c| c.name.clone());
        assert_eq!(close("Acmee").as_deref(), Some("Acme"));
        assert_eq!(close("Amce").as_deref(), Some("Acme"));
        assert_eq!(close("Globex, Inc.").as_deref(), Some("Globex Corporation"));
        assert_eq!(close("globex").as_deref(), Some("Globex Corporation"));
        assert_eq!(close("IBN"), None, "short names allow no edit");
        assert_eq!(close("Initech"), None);
        let stores = state_with(&["Store 12"]);
        assert_eq!(stores.close_to("Store 13").map(|c| c.name.as_str()), None);
        assert_eq!(close("Umbrella"), None);
        assert_eq!(edit_distance("kitten", "sitting", 5), 3);
        assert_eq!(edit_distance("acme", "amce", 5), 1);
    }

    #[test]
    fn numbers_are_never_reused_after_a_delete() {
        let mut state = State::default();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap();
        let action = Action {
            id: "a1".into(),
            num: 7,
            client: "c".into(),
            kind: crate::model::Kind::Fix,
            text: "t".into(),
            at,
            tags: vec![],
        };
        state.apply(&Record::Action(action));
        state.apply(&Record::tombstone("a1", None));
        assert!(state.actions.is_empty());
        assert_eq!(state.next_num(), 8);
    }
}
