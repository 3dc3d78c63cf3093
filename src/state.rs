//! The current records, folded from the journal, and the questions commands ask of them.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::borrow::Cow;

use chrono::{DateTime, FixedOffset};

use crate::action_sums::{ActionSums, Days};
use crate::counted::CountedActions;
use crate::error::UsageError;
use crate::model::{Action, Client, FollowUp, Person, Record, Status};

/// The newest version of every record that has not been deleted.
#[derive(Debug, Default, Clone)]
pub struct State {
    pub clients: HashMap<String, Client>,
    /// The people at the clients, by their own id.
    pub people: HashMap<String, Person>,
    pub actions: HashMap<String, Action>,
    pub follow_ups: HashMap<String, FollowUp>,
    /// The highest short number ever given, deleted records included, so none is reused.
    max_num: u64,
    /// The highest change sequence number seen (see `Change::seq`).
    max_seq: u64,
    /// Ids deleted and not brought back since (as far as this state was folded).
    deleted: HashSet<String>,
    /// Which copy of the store numbers from which range (see `Numbering`).
    pub numbering: Numbering,
    /// The copy of the store this state is read by, and whether it is a home copy,
    /// for the numbers it gives.
    machine: Option<(String, bool)>,
    /// Set when this was read for a window of time (from the snapshot): `actions` holds
    /// only the window's actions (or one client's), `follow_ups` only those open or
    /// closed since the window began, and this sums up every action.
    pub all_actions: Option<ActionSums>,
    /// Actions a window read only to count them (see `Store::load_window_counting`),
    /// beside those `actions` holds whole.
    pub counted: CountedActions,
}

/// Short numbers stay the same on every copy of a store: each copy gives them from a
/// range no other copy uses. The copy that started the store (the home copy) numbers
/// 1, 2, 3… up to 99,999, then from 1,000,000 on; every other copy numbers from blocks
/// of 999 numbers in 100,000–999,999 (block 482 is 482,001–482,999), each block taken
/// by the first copy that numbers from it, picked from a hash of the copy's id among
/// the blocks not yet used. Each action and follow-up says which copy numbered it
/// (`by`, kept through edits, merges and compaction): a copy that has numbered in the
/// home range is a home copy, and so is any copy of a store where none has (a store
/// older than this rule).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// The highest number in the home range, and the copies that numbered in it.
    pub home_max: u64,
    pub home: std::collections::BTreeSet<String>,
    /// Per block (100–999): the highest number in it, and the copy that owns it.
    pub blocks: std::collections::BTreeMap<u64, (u64, Option<String>)>,
}

/// The block of a number outside the home range.
pub fn block_of(num: u64) -> Option<u64> {
    (100_000..1_000_000).contains(&num).then_some(num / 1000)
}

impl Numbering {
    fn note(&mut self, num: u64) {
        match block_of(num) {
            Some(block) => {
                let entry = self.blocks.entry(block).or_insert((0, None));
                entry.0 = entry.0.max(num);
            }
            None => self.home_max = self.home_max.max(num),
        }
    }

    /// Records that copy `by` numbered `num` (as the record says): the owner of its
    /// block when it has none yet, or one of the home copies.
    pub fn note_owner(&mut self, num: u64, by: &str) {
        match block_of(num) {
            Some(block) => {
                let owner = &mut self.blocks.entry(block).or_insert((0, None)).1;
                if owner.is_none() {
                    *owner = Some(by.to_string());
                }
            }
            None => {
                if !self.home.contains(by) {
                    self.home.insert(by.to_string());
                }
            }
        }
    }

    /// Whether copy `machine` numbers from the home range, as far as the records tell:
    /// it has before, or no copy has.
    pub fn is_home(&self, machine: &str) -> bool {
        self.home.is_empty() || self.home.contains(machine)
    }

    /// Fresh numbers for the copy `machine` (none: a home copy), in order.
    fn fresh(&self, machine: Option<(&str, bool)>) -> Box<dyn Iterator<Item = u64> + '_> {
        let home = machine.is_none_or(|(_, home)| home);
        let machine = machine.map(|(me, _)| me);
        if home {
            let next = self.home_max + 1;
            return if next <= 99_999 {
                Box::new((next..=99_999).chain(1_000_000..))
            } else {
                Box::new(next.max(1_000_000)..)
            };
        }
        let me = machine.unwrap_or_default().to_string();
        let owned = self
            .blocks
            .iter()
            .filter(move |(_, (_, owner))| owner.as_deref() == Some(me.as_str()));
        let room = owned
            .flat_map(|(block, (max, _))| (max + 1).max(block * 1000 + 1)..=block * 1000 + 999);
        let me = machine.unwrap_or_default().to_string();
        let free = (0..900 * 4)
            .map(move |attempt| 100 + fnv(&me, attempt) % 900)
            .filter(|block| !self.blocks.contains_key(block));
        let mut taken = HashSet::new();
        let new = free
            .filter(move |block| taken.insert(*block))
            .flat_map(|block| block * 1000 + 1..=block * 1000 + 999);
        Box::new(room.chain(new))
    }
}

/// FNV-1a of a copy's id and an attempt.
fn fnv(id: &str, attempt: u64) -> u64 {
    fnv1a(id.bytes().chain(attempt.to_le_bytes()))
}

/// FNV-1a: a small hash, stable across builds and platforms.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// A record users find by its name, as they type it: a client, or a person at one.
pub trait Named {
    fn name(&self) -> &str;
}

impl Named for Client {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Person {
    fn name(&self) -> &str {
        &self.name
    }
}

/// What a name typed by the user points at.
#[derive(Debug, PartialEq, Eq)]
pub enum Match<'a, T> {
    Existing(&'a T),
    /// Nothing matches: the name, trimmed, for a new one.
    New(String),
}

pub type ClientMatch<'a> = Match<'a, Client>;

/// Finds one of `items` the way users type names: case-insensitively; an exact name
/// wins, else a unique prefix; two exact names or an ambiguous prefix is an error
/// listing the candidates (each as `label` puts it) and ending with `hint`. `what` names
/// the field ("client name"), `plural` the items ("clients").
pub fn match_named<'a, T: Named>(
    items: impl IntoIterator<Item = &'a T>,
    typed: &str,
    what: &str,
    plural: &str,
    hint: &str,
    label: impl Fn(&T) -> String,
) -> Result<Match<'a, T>, UsageError> {
    let name = crate::model::clean_name(what, typed)?;
    let wanted = name.to_lowercase();
    let items: Vec<&T> = items.into_iter().collect();
    let exact: Vec<&T> = items
        .iter()
        .copied()
        .filter(|i| i.name().to_lowercase() == wanted)
        .collect();
    let candidates = if exact.is_empty() {
        items
            .into_iter()
            .filter(|i| i.name().to_lowercase().starts_with(&wanted))
            .collect()
    } else {
        exact
    };
    match candidates.len() {
        0 => Ok(Match::New(name)),
        1 => Ok(Match::Existing(candidates[0])),
        _ => {
            let mut names: Vec<String> = candidates.into_iter().map(label).collect();
            names.sort_by_cached_key(|n| n.to_lowercase());
            Err(UsageError::new(format!(
                "'{name}' matches several {plural}: {}; {hint}",
                names.join(", ")
            )))
        }
    }
}

/// The first of `items` (by name) whose name is close to `name` (which matches none):
/// at most two edits away (one for short names), or the same once case, punctuation,
/// spaces and company suffixes (Inc, Ltd, GmbH…) are set aside.
pub fn close_among<'a, T: Named>(
    items: impl IntoIterator<Item = &'a T>,
    name: &str,
) -> Option<&'a T> {
    let (wanted, bare) = (name.to_lowercase(), bare_name(name));
    let allowed = if wanted.chars().count() < 4 {
        0
    } else {
        1 + usize::from(wanted.chars().count() >= 6)
    };
    let mut items: Vec<&T> = items.into_iter().collect();
    items.sort_by_cached_key(|i| i.name().to_lowercase());
    items.into_iter().find(|i| {
        let theirs = i.name().to_lowercase();
        // Names that differ in their numbers ("Store 12", "Store 13") are not typos.
        let numbers = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
        (!bare.is_empty() && bare_name(i.name()) == bare)
            || (numbers(&theirs) == numbers(&wanted)
                && edit_distance(&theirs, &wanted, allowed) <= allowed)
    })
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
        self.note_numbers(&record);
        match record {
            Record::Client(client) => {
                self.clients.insert(client.id.clone(), client);
            }
            Record::Person(person) => {
                self.people.insert(person.id.clone(), person);
            }
            Record::Action(action) => {
                // A windowed state takes only new actions (the store sees to it).
                if let Some(sums) = &mut self.all_actions {
                    sums.add(&action);
                }
                self.actions.insert(action.id.clone(), action);
            }
            Record::FollowUp(follow_up) => {
                self.follow_ups.insert(follow_up.id.clone(), follow_up);
            }
            Record::Deleted { id, .. } => {
                self.deleted.insert(id.clone());
                self.clients.remove(&id);
                self.people.remove(&id);
                self.actions.remove(&id);
                self.follow_ups.remove(&id);
            }
        }
    }

    /// Notes the short number a record taking effect has, and which copy gave it: all
    /// a state keeps of it that the record's next version does not replace.
    pub fn note_numbers(&mut self, record: &Record) {
        let (num, by) = match record {
            Record::Action(a) => (a.num, a.by.as_deref()),
            Record::FollowUp(f) => (f.num, f.by.as_deref()),
            Record::Deleted { num: Some(num), .. } => (*num, None),
            _ => return,
        };
        self.note_num(num);
        if let Some(by) = by {
            self.numbering.note_owner(num, by);
        }
    }

    /// Takes the action with this id out, and out of `all_actions`; whether it was
    /// here.
    pub fn forget_action(&mut self, id: &str) -> bool {
        if let Some(action) = self.actions.remove(id) {
            self.forget_counted(&action);
            return true;
        }
        let Some(counted) = self.counted.remove(id) else {
            return false;
        };
        if let Some(sums) = &mut self.all_actions {
            sums.remove_at(counted.client, counted.at, counted.story);
        }
        true
    }

    /// Takes an action this state does not hold out of `all_actions`.
    pub fn forget_counted(&mut self, action: &Action) {
        if let Some(sums) = &mut self.all_actions {
            sums.remove(action);
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
        self.numbering.note(num);
    }

    /// Says which copy of the store reads this state, and whether it numbers from the
    /// home range, for the numbers it gives.
    pub fn set_machine(&mut self, machine: &str, home: bool) {
        self.machine = Some((machine.to_string(), home));
    }

    /// The copy of the store reading this state, when said.
    pub fn machine(&self) -> Option<&str> {
        self.machine.as_ref().map(|(id, _)| id.as_str())
    }

    /// Short numbers this copy of the store may give, in order (see `Numbering`).
    pub fn fresh_numbers(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        let machine = self.machine.as_ref().map(|(id, home)| (id.as_str(), *home));
        self.numbering.fresh(machine)
    }

    /// Per client id: how many actions it has, and its latest action before `before`.
    pub fn client_activity(
        &self,
        before: DateTime<FixedOffset>,
    ) -> HashMap<&str, (usize, Option<DateTime<FixedOffset>>)> {
        if let Some(sums) = &self.all_actions {
            // `before` is a whole second (the start of a day), so comparing seconds
            // is exact. The time is in UTC: callers keep only its local date. The
            // sums list the times since `since`, after the latest one before it.
            let before = before.timestamp();
            debug_assert!(
                (sums.since..=sums.until).contains(&before),
                "asked about a time the sums hold"
            );
            return sums
                .clients
                .iter()
                .map(|(id, client)| {
                    let times = &client.times;
                    let last = times[..times.partition_point(|&t| t < before)]
                        .last()
                        .and_then(|&t| DateTime::from_timestamp(t, 0))
                        .map(|t| t.fixed_offset());
                    (id.as_str(), (client.count, last))
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

    /// The days that hold actions (stories only, when `stories`), to tell whether any
    /// falls in a week.
    pub fn action_days(&self, stories: bool) -> Cow<'_, Days> {
        match &self.all_actions {
            Some(sums) if stories => Cow::Borrowed(&sums.story_days),
            Some(sums) => Cow::Borrowed(&sums.days),
            None => Cow::Owned(Days::of(
                self.actions
                    .values()
                    .filter(|a| a.story || !stories)
                    .map(|a| a.at.timestamp()),
            )),
        }
    }

    /// The short number the next new action or follow-up gets.
    pub fn next_num(&self) -> u64 {
        self.fresh_numbers().next().unwrap_or(u64::MAX)
    }

    /// Whether the record with this id was deleted (and not brought back).
    pub fn was_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    /// Whether a record with this id exists now.
    pub fn contains(&self, id: &str) -> bool {
        self.clients.contains_key(id)
            || self.people.contains_key(id)
            || self.actions.contains_key(id)
            || self.follow_ups.contains_key(id)
    }

    /// The version of the record with this id, if it exists now.
    pub fn record(&self, id: &str) -> Option<Record> {
        if let Some(c) = self.clients.get(id) {
            return Some(Record::Client(c.clone()));
        }
        if let Some(p) = self.people.get(id) {
            return Some(Record::Person(p.clone()));
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

    /// The name of the person with this id ("?" for a dangling id, which `check` reports).
    pub fn person_name(&self, id: &str) -> &str {
        self.people.get(id).map_or("?", |p| p.name.as_str())
    }

    /// Finds a client the way users type them (see `match_named`).
    pub fn match_client(&self, typed: &str) -> Result<ClientMatch<'_>, UsageError> {
        match_named(
            self.clients.values(),
            typed,
            "client name",
            "clients",
            "type more of the name",
            |c| c.name.clone(),
        )
    }

    /// An existing client whose name is close to `name` (see `close_among`).
    pub fn close_to(&self, name: &str) -> Option<&Client> {
        close_among(self.clients.values(), name)
    }

    /// The people at the client with this id, by name.
    pub fn people_at(&self, client: &str) -> Vec<&Person> {
        let mut people: Vec<&Person> = self
            .people
            .values()
            .filter(|p| p.client == client)
            .collect();
        people.sort_by_cached_key(|p| (p.name.to_lowercase(), p.id.clone()));
        people
    }

    /// Finds a person at the client as clients are found.
    pub fn match_person(
        &self,
        client: &Client,
        typed: &str,
    ) -> Result<Match<'_, Person>, UsageError> {
        match_named(
            self.people_at(&client.id),
            typed,
            "person's name",
            &format!("people at {}", client.name),
            "type more of the name",
            |p| p.name.clone(),
        )
    }

    /// An existing person at the client whose name is close to `name`.
    pub fn person_close_to(&self, client: &Client, name: &str) -> Option<&Person> {
        close_among(self.people_at(&client.id), name)
    }

    /// Finds an existing person: at the client, or at any client when
    /// none is given (several of one name there are told apart by their clients); an
    /// unknown name is an error, which suggests a close one.
    pub fn existing_person(&self, client: Option<&Client>, typed: &str) -> anyhow::Result<&Person> {
        let found = match client {
            Some(client) => self.match_person(client, typed)?,
            None => match_named(
                self.people.values(),
                typed,
                "person's name",
                "people",
                "give --client, or type more of the name",
                |p| format!("{} at {}", p.name, self.client_name(&p.client)),
            )?,
        };
        let name = match found {
            Match::Existing(person) => return Ok(person),
            Match::New(name) => name,
        };
        let (at, close) = match client {
            Some(client) => (
                format!(" at {}", client.name),
                self.person_close_to(client, &name),
            ),
            None => (String::new(), close_among(self.people.values(), &name)),
        };
        let guess = close
            .map(|p| format!(" did you mean '{}'?", p.name))
            .unwrap_or_default();
        crate::usage!(
            "no person{at} is called '{name}';{guess} `extramile client NAME` lists a client's \
             people"
        )
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

    /// Open follow-ups, soonest due first: a day's follow-ups without a time, then its
    /// timed ones by time (ties by number).
    pub fn open_follow_ups(&self) -> Vec<&FollowUp> {
        let mut open: Vec<&FollowUp> = self
            .follow_ups
            .values()
            .filter(|f| f.status == Status::Open)
            .collect();
        open.sort_by_key(|f| (f.due, f.due_time, f.num));
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
            by: None,
            follows_up: None,
            asked: false,
            story: false,
            with: vec![],
        };
        state.apply(&Record::Action(action));
        state.apply(&Record::tombstone("a1", None));
        assert!(state.actions.is_empty());
        assert_eq!(state.next_num(), 8);
    }
}
