//! `check`: verifying a journal like `git fsck`. Reads every line, keeps going past
//! problems, and says what it found; never writes. `check` here reads journal bytes
//! whole; the store reads a journal whose every line reads as a stream instead (see
//! `Store::check`), which finds the same, said the same way (the messages are here).

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

use crate::model::Type;
use crate::state::State;
use crate::store::Change;
use crate::validate::Breach;

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Health {
    pub bytes: usize,
    pub changes: usize,
    pub clients: usize,
    pub people: usize,
    pub actions: usize,
    pub follow_ups: usize,
    pub open_follow_ups: usize,
    /// Things that are wrong, each naming its line.
    pub problems: Vec<String>,
    /// Things worth knowing that lose no data.
    pub warnings: Vec<String>,
}

/// Checks journal bytes: the format line, every change, unique ids and numbers, and
/// that every person, action and follow-up points at a client (and people) that exist.
pub fn check(bytes: &[u8]) -> Health {
    let mut health = Health {
        bytes: bytes.len(),
        ..Health::default()
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    health.torn(bytes.len() - complete);
    let mut lines = bytes[..complete].split(|&b| b == b'\n');
    if let Err(err) = crate::store::check_header(std::path::Path::new("the journal"), lines.next())
    {
        health.problems.push(format!("line 1: {err}"));
        return health;
    }
    let mut state = State::default();
    let mut change_lines: HashMap<String, usize> = HashMap::new();
    let mut record_lines: HashMap<String, (usize, Type)> = HashMap::new();
    let mut undo_targets = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        if line.is_empty() {
            continue;
        }
        let change: Change = match serde_json::from_slice(line) {
            Ok(change) => change,
            Err(err) => {
                health
                    .problems
                    .push(if crate::store::is_conflict_marker(line) {
                        format!(
                            "line {number}: a git conflict marker: set up extramile's merge \
                             driver, then run git checkout -m on the journal"
                        )
                    } else {
                        format!("line {number}: not a valid change ({err})")
                    });
                continue;
            }
        };
        health.changes += 1;
        if let Some(first) = change_lines.insert(change.id.clone(), number) {
            health.problems.push(repeats(number, &change.id, first));
        }
        if let Some(target) = &change.undoes {
            undo_targets.push((number, target.clone()));
        }
        for record in &change.records {
            let kind = record.of();
            if kind == Type::Deleted {
                state.apply(record);
                continue;
            }
            if !change.applies(record, &state) {
                continue;
            }
            if let Some((first, was)) = record_lines.insert(record.id().to_string(), (number, kind))
                && was != kind
            {
                let problem = changes_kind(number, record.id(), (was, first), kind);
                health.problems.push(problem);
            }
            state.apply(record);
        }
    }
    for (number, target) in undo_targets {
        if !change_lines.contains_key(&target) {
            health.undoes_missing(number, &target);
        }
    }
    let line_of = |id: &str| record_lines.get(id).map_or(0, |(line, _)| *line);
    health.breaches(crate::validate::state(&state), line_of);
    health.clients = state.clients.len();
    health.people = state.people.len();
    health.actions = state.actions.len();
    health.follow_ups = state.follow_ups.len();
    health.open_follow_ups = state.open_follow_ups().len();
    health
}

impl Health {
    /// Notes a last line cut short, `torn` bytes long (if any).
    pub fn torn(&mut self, torn: usize) {
        if torn > 0 {
            self.warnings.push(format!(
                "the last line was cut short ({torn} bytes, an interrupted write); it is not counted and the next change sets it aside"
            ));
        }
    }

    /// Notes the change on line `number`, which undoes one the journal does not hold.
    pub fn undoes_missing(&mut self, number: usize, target: &str) {
        self.warnings.push(format!(
            "line {number}: undoes change {target}, which is not in this journal"
        ));
    }

    /// Adds each breach of the store's invariants as a problem on the line of the
    /// record at fault (and names the line of the other), as `line_of` finds them: the
    /// last line that wrote a record with that id.
    pub fn breaches(&mut self, breaches: Vec<Breach>, line_of: impl Fn(&str) -> usize) {
        for breach in breaches {
            let mut problem = format!("line {}: {}", line_of(&breach.id), breach.message);
            if let Some(other) = &breach.other {
                problem += &format!(" (the other is on line {})", line_of(other));
            }
            self.problems.push(problem);
        }
    }
}

/// The problem of a change on line `number` whose id the change on line `first` has.
pub fn repeats(number: usize, id: &str, first: usize) -> String {
    format!("line {number}: change {id} repeats line {first}")
}

/// The problem of a record on line `number` whose id was another kind of record, last
/// written on line `first`.
pub fn changes_kind(number: usize, id: &str, (was, first): (Type, usize), now: Type) -> String {
    let (was, now) = (was.name(), now.name());
    format!("line {number}: id {id} was a {was} on line {first}, now a {now}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "{\"format\":\"extramile-journal\",\"version\":1}\n";
    const CLIENT: &str =
        r#"{"type":"client","id":"c1","name":"Acme","created":"2026-11-20T10:00:00Z"}"#;

    fn action(num: u64, id: &str, client: &str) -> String {
        format!(
            r#"{{"type":"action","id":"{id}","num":{num},"client":"{client}","kind":"fix","text":"t","at":"2026-11-20T10:00:00Z"}}"#
        )
    }

    fn change(id: &str, records: &[String]) -> String {
        format!(
            r#"{{"id":"{id}","at":"2026-11-20T10:00:00Z","command":"log","records":[{}]}}"#,
            records.join(",")
        ) + "\n"
    }

    #[test]
    fn a_healthy_journal() {
        let journal = format!(
            "{HEADER}{}",
            change("k1", &[CLIENT.into(), action(1, "a1", "c1")])
        );
        let health = check(journal.as_bytes());
        assert_eq!(health.problems, Vec::<String>::new());
        assert_eq!((health.changes, health.clients, health.actions), (1, 1, 1));
    }

    #[test]
    fn every_problem_names_its_line() {
        let journal = format!(
            "{HEADER}{}{}not json\n{}{}",
            change("k1", &[CLIENT.into(), action(1, "a1", "c1")]),
            change("k2", &[action(1, "a2", "c1")]),
            change("k1", &[action(3, "a3", "nobody")]),
            "{\"id\":\"torn"
        );
        let health = check(journal.as_bytes());
        assert_eq!(
            health.problems,
            [
                "line 4: not a valid change (expected ident at line 1 column 2)",
                "line 5: change k1 repeats line 2",
                "line 3: #1 is used by two records (the other is on line 2)",
                "line 5: action #3 points at a client that does not exist",
            ]
        );
        assert_eq!(health.warnings.len(), 1);
    }

    #[test]
    fn a_missing_format_line_is_a_problem() {
        assert_eq!(check(b"").problems.len(), 1);
        assert!(check(b"hello\n").problems[0].starts_with("line 1:"));
    }
}
