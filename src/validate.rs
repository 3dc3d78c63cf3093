//! The store's invariants, checked the same way on every way in: `log`, `import` (CSV
//! and JSON), `merge` and the merge driver check each record they bring with `record`,
//! and the store they would leave with `state`; `check` reports the same breaches.

use foldhash::{HashMap, HashMapExt};

use crate::error::UsageError;
use crate::model::{
    Action, Client, FollowUp, MAX_NAME, MAX_TEXT, Person, Record, Type, hostile_in,
};
use crate::state::State;

/// The highest short number a record may have: far beyond any real store, and small
/// enough to type and to add to without overflow.
pub const MAX_NUM: u64 = 999_999_999;
/// Longest id accepted, in bytes (extramile's own are 28).
const MAX_ID: usize = 64;

/// Checks one record: its fields, and its short number.
pub fn record(record: &Record) -> Result<(), UsageError> {
    fields(record)?;
    if let Some(num) = record.num()
        && !(1..=MAX_NUM).contains(&num)
    {
        return Err(UsageError::new(format!(
            "record {}: #{num} is out of range; short numbers run from 1 to {MAX_NUM}",
            record.id().escape_debug()
        )));
    }
    Ok(())
}

/// Checks one record's fields but its short number (which an import may yet give):
/// its id, its names and its text.
pub fn fields(record: &Record) -> Result<(), UsageError> {
    let id = record.id();
    let what = || format!("record {}", id.escape_debug());
    if id.is_empty()
        || id.len() > MAX_ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(UsageError::new(format!(
            "{}: an id is 1 to {MAX_ID} letters, digits, '-' or '_'",
            what()
        )));
    }
    let reference = |field: &str, value: &str| {
        if value.is_empty() || value.len() > MAX_ID {
            Err(UsageError::new(format!(
                "{}: its {field} id is empty or too long",
                what()
            )))
        } else {
            Ok(())
        }
    };
    match record {
        Record::Client(c) => {
            name(&what, "name", &c.name)?;
            if let Some(tier) = &c.tier {
                name(&what, "tier", tier)?;
            }
        }
        Record::Person(p) => {
            reference("client", &p.client)?;
            name(&what, "name", &p.name)?;
            if p.name.contains(';') {
                return Err(UsageError::new(format!("{}: its name holds ';'", what())));
            }
            for (field, value) in [("role", &p.role), ("email", &p.email)] {
                if let Some(value) = value {
                    name(&what, field, value)?;
                }
            }
        }
        Record::Action(a) => {
            reference("client", &a.client)?;
            if let Some(by) = &a.by {
                reference("by", by)?;
            }
            if let Some(follow_up) = &a.follows_up {
                reference("follows_up", follow_up)?;
            }
            for person in &a.with {
                reference("with", person)?;
            }
            text(&what, &a.text)?;
            for tag in &a.tags {
                name(&what, "tag", tag)?;
            }
        }
        Record::FollowUp(f) => {
            reference("client", &f.client)?;
            if let Some(by) = &f.by {
                reference("by", by)?;
            }
            if let Some(action) = &f.action {
                reference("action", action)?;
            }
            for person in &f.with {
                reference("with", person)?;
            }
            text(&what, &f.text)?;
        }
        Record::Deleted { .. } => {}
    }
    Ok(())
}

/// A name, a tier or a tag: trimmed, not empty, not too long, no control character.
/// `what` names the record, when there is something to say.
fn name(what: &dyn Fn() -> String, field: &str, value: &str) -> Result<(), UsageError> {
    let length = value.chars().count();
    if value.trim() != value || value.is_empty() || length > MAX_NAME {
        return Err(UsageError::new(format!(
            "{}: its {field} is empty, padded with spaces, or longer than {MAX_NAME} characters",
            what()
        )));
    }
    if let Some(found) = hostile_in(value, &[]) {
        return Err(UsageError::new(format!(
            "{}: its {field} holds {found}",
            what()
        )));
    }
    Ok(())
}

/// A note: not empty, within the limit, no control character but newline and tab.
fn text(what: &dyn Fn() -> String, value: &str) -> Result<(), UsageError> {
    if value.trim().is_empty() || value.len() > MAX_TEXT {
        return Err(UsageError::new(format!(
            "{}: its text is empty or longer than {MAX_TEXT} bytes",
            what()
        )));
    }
    if let Some(found) = hostile_in(value, &['\n', '\t']) {
        return Err(UsageError::new(format!(
            "{}: its text holds {found}",
            what()
        )));
    }
    Ok(())
}

/// A breach of the store's invariants, naming the records it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub message: String,
    /// The record at fault, and the one it clashes with, if any.
    pub id: String,
    pub other: Option<String>,
}

/// Every breach in a store's current records: an id used by two kinds of record, a
/// short number used twice, a reference to a client or action that does not exist, an
/// action or follow-up with someone who is not a person at its client, and
/// two clients of one name (case aside). Sorted, so the first is stable.
pub fn state(state: &State) -> Vec<Breach> {
    let mut checker = Checker::new(&state.clients, &state.people);
    let kinds = |id: &str| {
        [
            state.clients.contains_key(id),
            state.people.contains_key(id),
            state.actions.contains_key(id),
            state.follow_ups.contains_key(id),
        ]
        .into_iter()
        .filter(|&held| held)
        .count()
    };
    let ids = state
        .clients
        .keys()
        .map(|id| (Type::Client, id))
        .chain(state.people.keys().map(|id| (Type::Person, id)))
        .chain(state.actions.keys().map(|id| (Type::Action, id)))
        .chain(state.follow_ups.keys().map(|id| (Type::FollowUp, id)));
    for (of, id) in ids.filter(|(_, id)| kinds(id) > 1) {
        checker.twin(of, id);
    }
    for action in state.actions.values() {
        checker.item(Numbered::action(action));
    }
    for follow_up in state.follow_ups.values() {
        checker.item(Numbered::follow_up(follow_up));
    }
    checker.finish()
}

/// An action or a follow-up, as the checks of a whole store see it; they go through
/// them by number, then id, client, kind and whom they are with.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Numbered<'a> {
    pub num: u64,
    pub id: &'a str,
    pub client: &'a str,
    pub of: Type,
    pub with: &'a [String],
}

impl<'a> Numbered<'a> {
    pub fn action(a: &'a Action) -> Self {
        Numbered {
            num: a.num,
            id: &a.id,
            client: &a.client,
            of: Type::Action,
            with: &a.with,
        }
    }

    pub fn follow_up(f: &'a FollowUp) -> Self {
        Numbered {
            num: f.num,
            id: &f.id,
            client: &f.client,
            of: Type::FollowUp,
            with: &f.with,
        }
    }

    /// The action or follow-up `record` is, if it is one.
    pub fn of(record: &'a Record) -> Option<Self> {
        match record {
            Record::Action(a) => Some(Numbered::action(a)),
            Record::FollowUp(f) => Some(Numbered::follow_up(f)),
            _ => None,
        }
    }
}

/// Finds the breaches `state` lists, from a store's clients and people, the ids it holds
/// as two kinds of record or more (each kind), and its actions and follow-ups. `state`
/// hands it every one; `check`, reading a journal as a stream, only those that breach
/// on their own (see `alone`) or share their number: the others add no breach, so the
/// breaches and their order are the same.
pub struct Checker<'a> {
    clients: &'a HashMap<String, Client>,
    people: &'a HashMap<String, Person>,
    twins: Vec<(Type, &'a str)>,
    items: Vec<Numbered<'a>>,
}

impl<'a> Checker<'a> {
    pub fn new(clients: &'a HashMap<String, Client>, people: &'a HashMap<String, Person>) -> Self {
        Checker {
            clients,
            people,
            twins: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The store holds a record of kind `of` with this id, and one of another kind.
    pub fn twin(&mut self, of: Type, id: &'a str) {
        self.twins.push((of, id));
    }

    pub fn item(&mut self, item: Numbered<'a>) {
        self.items.push(item);
    }

    /// Whether an action or a follow-up breaches an invariant whatever the other
    /// actions and follow-ups are.
    pub fn alone(&self, item: &Numbered) -> bool {
        self.stranger(item).is_some() || self.misfits(item).next().is_some()
    }

    /// Said when an action or a follow-up is with someone who is not a person at its
    /// client.
    fn stranger(&self, item: &Numbered) -> Option<String> {
        let client_of = |id: &str| self.people.get(id).map(|p| p.client.as_str());
        stranger(client_of, item.of.name(), item.num, item.client, item.with)
    }

    /// What is wrong with an action's or a follow-up's number and client.
    fn misfits(&self, item: &Numbered) -> impl Iterator<Item = String> {
        let (kind, num) = (item.of.name(), item.num);
        let range = !(1..=MAX_NUM).contains(&num);
        let client = !self.clients.contains_key(item.client);
        [
            range.then(|| format!("{kind} #{num} has a number out of range (1 to {MAX_NUM})")),
            client.then(|| format!("{kind} #{num} points at a client that does not exist")),
        ]
        .into_iter()
        .flatten()
    }

    /// Every breach, in `state`'s order.
    pub fn finish(mut self) -> Vec<Breach> {
        self.twins.sort();
        self.items.sort();
        let mut breaches = self.twin_breaches();
        breaches.extend(self.people_breaches());
        breaches.extend(self.item_breaches());
        breaches.extend(self.name_breaches());
        breaches
    }

    /// Each id held as a kind of record after another, by kind then id.
    fn twin_breaches(&self) -> Vec<Breach> {
        let mut kinds: HashMap<&str, Type> = HashMap::new();
        let mut breaches = Vec::new();
        for &(of, id) in &self.twins {
            if let Some(was) = kinds.insert(id, of) {
                let (was, of) = (was.name(), of.name());
                breaches.push(breach(
                    format!("id {id} is both a {was} and a {of}"),
                    id,
                    None,
                ));
            }
        }
        breaches
    }

    /// Each person at a client that does not exist, by id.
    fn people_breaches(&self) -> Vec<Breach> {
        let mut people: Vec<&Person> = self.people.values().collect();
        people.sort_by(|a, b| a.id.cmp(&b.id));
        let lost = people
            .into_iter()
            .filter(|p| !self.clients.contains_key(&p.client));
        lost.map(|p| {
            let message = format!("person '{}' points at a client that does not exist", p.name);
            breach(message, &p.id, None)
        })
        .collect()
    }

    /// What is wrong with each action and follow-up (sorted): whom it is with, its
    /// number given before, its number's range, its client.
    fn item_breaches(&self) -> Vec<Breach> {
        let mut breaches = Vec::new();
        let mut previous: Option<&Numbered> = None;
        for item in &self.items {
            breaches.extend(self.stranger(item).map(|m| breach(m, item.id, None)));
            if let Some(other) = previous.filter(|p| p.num == item.num) {
                let message = format!("#{} is used by two records", item.num);
                breaches.push(breach(message, item.id, Some(other.id)));
            }
            breaches.extend(self.misfits(item).map(|m| breach(m, item.id, None)));
            previous = Some(item);
        }
        breaches
    }

    /// Each client whose name (case aside) a client before it, by id, has.
    fn name_breaches(&self) -> Vec<Breach> {
        let mut names: HashMap<String, &Client> = HashMap::new();
        let mut clients: Vec<&Client> = self.clients.values().collect();
        clients.sort_by(|a, b| a.id.cmp(&b.id));
        let mut breaches = Vec::new();
        for client in clients {
            if let Some(other) = names.insert(client.name.to_lowercase(), client) {
                let message = format!(
                    "two clients are called '{}' (ids {} and {})",
                    client.name, other.id, client.id
                );
                breaches.push(breach(message, &client.id, Some(&other.id)));
            }
        }
        breaches
    }
}

fn breach(message: String, id: &str, other: Option<&str>) -> Breach {
    Breach {
        message,
        id: id.to_string(),
        other: other.map(str::to_string),
    }
}

/// Says so when an action or follow-up is with someone who is not a person at its
/// client.
fn stranger<'a>(
    client_of: impl Fn(&str) -> Option<&'a str>,
    kind: &str,
    num: u64,
    client: &str,
    with: &[String],
) -> Option<String> {
    with.iter()
        .any(|id| client_of(id) != Some(client))
        .then(|| format!("{kind} #{num} is with a person who is not at its client"))
}

/// `state`'s first breach as an error that names it and says nothing was changed.
pub fn whole(state_after: &State, what: &str) -> Result<(), UsageError> {
    match state(state_after).into_iter().next() {
        None => Ok(()),
        Some(breach) => Err(UsageError::new(format!(
            "{what} would break the store: {}; nothing was changed",
            breach.message
        ))),
    }
}

/// The invariants `whole` checks, for the records one change writes onto a store (an
/// import writes a million), checked as they come and without a copy of the store: each
/// comes with the version its id names now, if any, and clients and people come before
/// actions and follow-ups. `finish` names the first breach, as an error that says
/// nothing was changed.
pub struct Addition<'a> {
    what: &'a str,
    clients: HashMap<String, Client>,
    people: HashMap<String, Person>,
    /// The first record written under the id of another kind of record.
    twin: Option<String>,
    /// The people written, by name, and their clients.
    new_people: Vec<(String, String)>,
    /// The first action or follow-up that breaches an invariant.
    item: Option<String>,
}

impl<'a> Addition<'a> {
    /// Checks what is written onto `state` (its clients and people are copied) by
    /// `what` ("this import").
    pub fn new(state: &State, what: &'a str) -> Self {
        Addition {
            what,
            clients: state.clients.clone(),
            people: state.people.clone(),
            twin: None,
            new_people: Vec::new(),
            item: None,
        }
    }

    /// `record` is written over `before`, the record its id names now; for an action or
    /// a follow-up, `sharer` is another record that has its number already, if any.
    pub fn record(&mut self, record: &Record, before: Option<&Record>, sharer: Option<&str>) {
        let kind = |r: &Record| r.of().name();
        let id = record.id();
        if let Some(before) = before
            && !matches!(record, Record::Deleted { .. })
            && kind(before) != kind(record)
            && self.twin.is_none()
        {
            self.twin = Some(format!(
                "id {id} is both a {} and a {}",
                kind(before),
                kind(record)
            ));
        }
        let (num, client, with) = match record {
            Record::Client(c) => {
                self.clients.insert(c.id.clone(), c.clone());
                return;
            }
            Record::Person(p) => {
                self.people.insert(p.id.clone(), p.clone());
                self.new_people.push((p.name.clone(), p.client.clone()));
                return;
            }
            Record::Deleted { .. } => {
                self.clients.remove(id);
                self.people.remove(id);
                return;
            }
            Record::Action(a) => (a.num, &a.client, &a.with),
            Record::FollowUp(f) => (f.num, &f.client, &f.with),
        };
        if self.item.is_some() {
            return;
        }
        let client_of = |id: &str| self.people.get(id).map(|p| p.client.as_str());
        self.item = stranger(client_of, kind(record), num, client, with)
            .or_else(|| {
                sharer.map(|other| format!("#{num} is used by two records ({other} and {id})"))
            })
            .or_else(|| {
                (!self.clients.contains_key(client.as_str())).then(|| {
                    format!(
                        "{} #{num} points at a client that does not exist",
                        kind(record)
                    )
                })
            });
    }

    /// The first breach: of an id written as another kind of record, of two clients of
    /// one name, of a person at a client that does not exist, then of an action or
    /// follow-up.
    pub fn finish(self) -> Result<(), UsageError> {
        let mut names: HashMap<String, &str> = HashMap::new();
        let twins = self.clients.values().find_map(|client| {
            let other = names.insert(client.name.to_lowercase(), &client.id)?;
            Some(format!(
                "two clients are called '{}' (ids {other} and {})",
                client.name, client.id
            ))
        });
        let lost = self.new_people.iter().find_map(|(name, client)| {
            (!self.clients.contains_key(client))
                .then(|| format!("person '{name}' points at a client that does not exist"))
        });
        match self.twin.or(twins).or(lost).or(self.item) {
            None => Ok(()),
            Some(message) => Err(UsageError::new(format!(
                "{} would break the store: {message}; nothing was changed",
                self.what
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn action(id: &str, num: u64, client: &str, text: &str) -> Record {
        Record::Action(Action {
            id: id.into(),
            num,
            client: client.into(),
            kind: Kind::Fix,
            text: text.into(),
            at: chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
            tags: vec![],
            by: None,
            follows_up: None,
            asked: false,
            story: false,
            with: vec![],
        })
    }

    #[test]
    fn records_are_checked_field_by_field() {
        assert!(record(&action("a1", 1, "c", "fine\nwith\ttabs")).is_ok());
        for bad in [
            action("", 1, "c", "t"),
            action("a b", 1, "c", "t"),
            action("a1", 0, "c", "t"),
            action("a1", u64::MAX, "c", "t"),
            action("a1", 1, "", "t"),
            action("a1", 1, "c", "bell \u{7}"),
            action("a1", 1, "c", &"x".repeat(MAX_TEXT + 1)),
        ] {
            assert!(record(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn breaches_of_the_whole_store_are_found() {
        let mut s = State::default();
        let client = |id: &str, name: &str| {
            Record::Client(Client {
                id: id.into(),
                name: name.into(),
                tier: None,
                cadence_days: None,
                created: chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
            })
        };
        s.insert(client("c", "Acme"));
        s.insert(action("a1", 1, "c", "t"));
        assert!(state(&s).is_empty());
        s.insert(action("a2", 1, "c", "t"));
        s.insert(action("a3", 3, "nobody", "t"));
        s.insert(client("d", "ACME"));
        s.insert(action("d", 4, "c", "t"));
        let messages: Vec<String> = state(&s).into_iter().map(|b| b.message).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        // Ids held as two kinds come by kind, then id, whatever the maps' order.
        for id in ["z", "y", "x"] {
            s.insert(action(id, 10 + id.len() as u64, "c", "t"));
            s.insert(client(id, id));
        }
        let twins: Vec<String> = state(&s)
            .into_iter()
            .map(|b| b.message)
            .filter(|m| m.contains("both"))
            .collect();
        assert_eq!(
            twins,
            ["d", "x", "y", "z"].map(|id| format!("id {id} is both a client and a action"))
        );
        assert!(whole(&s, "this import").is_err());
        // The same breaches, found from the records a change adds.
        let mut base = State::default();
        base.insert(client("c", "Acme"));
        base.insert(action("a1", 1, "c", "t"));
        let addition = |records: &[Record]| {
            let mut check = Addition::new(&base, "this");
            for record in records {
                let sharer = base
                    .actions
                    .values()
                    .find(|a| Some(a.num) == record.num() && a.id != record.id());
                let sharer = sharer.map(|a| a.id.as_str());
                check.record(record, base.record(record.id()).as_ref(), sharer);
            }
            check.finish()
        };
        for bad in [
            vec![action("a2", 1, "c", "t")],
            vec![action("a3", 3, "nobody", "t")],
            vec![client("d", "ACME")],
            vec![action("c", 4, "c", "t")],
        ] {
            assert!(addition(&bad).is_err(), "{bad:?}");
        }
        assert!(addition(&[action("a1", 1, "c", "edited")]).is_ok());
    }
}
