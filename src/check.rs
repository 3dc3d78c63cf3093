//! `check`: verifying a journal like `git fsck`. Reads every line, keeps going past
//! problems, and says what it found; never writes.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::Record;
use crate::state::State;
use crate::store::Change;

#[derive(Debug, Default, Serialize)]
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
    if complete < bytes.len() {
        health.warnings.push(format!(
            "the last line was cut short ({} bytes, an interrupted write); it is not counted and the next change sets it aside",
            bytes.len() - complete
        ));
    }
    let mut lines = bytes[..complete].split(|&b| b == b'\n');
    if let Err(err) = crate::store::check_header(std::path::Path::new("the journal"), lines.next())
    {
        health.problems.push(format!("line 1: {err}"));
        return health;
    }
    let mut state = State::default();
    let mut change_lines: HashMap<String, usize> = HashMap::new();
    let mut record_lines: HashMap<String, (usize, &'static str)> = HashMap::new();
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
            health.problems.push(format!(
                "line {number}: change {} repeats line {first}",
                change.id
            ));
        }
        if let Some(target) = &change.undoes {
            undo_targets.push((number, target.clone()));
        }
        for record in &change.records {
            let kind = match record {
                Record::Client(_) => "client",
                Record::Person(_) => "person",
                Record::Action(_) => "action",
                Record::FollowUp(_) => "follow-up",
                Record::Deleted { .. } => {
                    state.apply(record);
                    continue;
                }
            };
            if !change.applies(record, &state) {
                continue;
            }
            if let Some((first, was)) = record_lines.insert(record.id().to_string(), (number, kind))
                && was != kind
            {
                health.problems.push(format!(
                    "line {number}: id {} was a {was} on line {first}, now a {kind}",
                    record.id()
                ));
            }
            state.apply(record);
        }
    }
    for (number, target) in undo_targets {
        if !change_lines.contains_key(&target) {
            health.warnings.push(format!(
                "line {number}: undoes change {target}, which is not in this journal"
            ));
        }
    }
    let line_of = |id: &str| record_lines.get(id).map_or(0, |(line, _)| *line);
    for breach in crate::validate::state(&state) {
        let mut problem = format!("line {}: {}", line_of(&breach.id), breach.message);
        if let Some(other) = &breach.other {
            problem += &format!(" (the other is on line {})", line_of(other));
        }
        health.problems.push(problem);
    }
    health.clients = state.clients.len();
    health.people = state.people.len();
    health.actions = state.actions.len();
    health.follow_ups = state.follow_ups.len();
    health.open_follow_ups = state.open_follow_ups().len();
    health
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
