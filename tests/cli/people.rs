//! People at a client: `client NAME --person`, `log`/`fu --with`, `actions --with`,
//! the card, export and import, merge, undo and check.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Env, check_ok};

/// Runs a command that succeeds; returns what it said on standard error.
fn notices(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    check_ok(args, out);
    stderr
}

/// The card's people: (name, role, email, last touch) as JSON shows them.
fn people(env: &Env, client: &str) -> Vec<(String, Value, Value, Value)> {
    let card = env.json(&["client", client]);
    card["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["role"].clone(),
                p["email"].clone(),
                p["last_touch"].clone(),
            )
        })
        .collect()
}

/// An export without the `by` of its actions and follow-ups.
fn without_by(mut export: Value) -> Value {
    for list in ["actions", "follow_ups"] {
        for record in export[list].as_array_mut().unwrap() {
            record.as_object_mut().unwrap().remove("by");
        }
    }
    export
}

fn nums(actions: &Value) -> Vec<u64> {
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn person_creates_updates_and_matches_like_clients() {
    let env = Env::new();
    env.ok(&["log", "Acme", "kickoff"]);
    let out = env.ok(&["client", "acme", "--person", "Dana Lee", "--role", "CFO"]);
    assert_eq!(out, "New person: Dana Lee at Acme (role CFO).\n");
    // A prefix, any case, finds her; a second call updates.
    let out = env.ok(&[
        "client",
        "ACME",
        "--person",
        "dana",
        "--email",
        "dana@acme.example",
    ]);
    assert_eq!(out, "Dana Lee at Acme: email dana@acme.example.\n");
    let out = env.ok(&["client", "Acme", "--person", "DANA LEE", "--role", "none"]);
    assert_eq!(out, "Dana Lee at Acme: role cleared.\n");
    let out = env.ok(&["client", "Acme", "--person", "Dana Lee"]);
    assert_eq!(out, "Dana Lee at Acme: nothing to change.\n");
    assert_eq!(
        people(&env, "Acme"),
        [(
            "Dana Lee".to_string(),
            Value::Null,
            Value::from("dana@acme.example"),
            Value::Null
        )]
    );

    // The typo guard: a new name close to hers is refused, unless --new.
    let before = env.store_bytes();
    let err = env.fails(2, &["client", "Acme", "--person", "Dana Lea"]);
    assert_eq!(
        err,
        "extramile: no person 'Dana Lea' at Acme; did you mean 'Dana Lee'? To add a new person of \
         that name, repeat with --new\n"
    );
    assert_eq!(env.store_bytes(), before, "nothing written");
    env.ok(&["client", "Acme", "--person", "Dana Lea", "--new"]);
    // Now "dana" is ambiguous; the candidates are listed.
    let err = env.fails(2, &["client", "Acme", "--person", "dana", "--role", "x"]);
    assert!(
        err.contains("'dana' matches several people at Acme: Dana Lea, Dana Lee;"),
        "{err}"
    );
    // People belong to their client: another client's Dana is someone new.
    env.ok(&["log", "Globex", "kickoff"]);
    env.ok(&["client", "Globex", "--person", "Dana"]);
    assert_eq!(people(&env, "Globex").len(), 1);
    assert_eq!(people(&env, "Acme").len(), 2);

    env.fails(
        2,
        &[
            "client",
            "Acme",
            "--person",
            "Sam",
            "--email",
            "not-an-address",
        ],
    );
    env.fails(2, &["client", "Nobody", "--person", "Sam"]);
    env.fails(2, &["client", "Acme", "--role", "CFO"]);
}

#[test]
fn with_on_log_and_follow_up_and_actions_with() {
    let env = Env::new();
    let said = notices(
        &env,
        &[
            "log",
            "Acme",
            "fixed the export",
            "--with",
            "Dana Lee",
            "--with",
            "Sam Roe",
        ],
    );
    assert_eq!(
        said,
        "New client: Acme\nNew person: Dana Lee at Acme\nNew person: Sam Roe at Acme\n"
    );
    // An unknown name close to a person's is refused like a client's.
    let before = env.store_bytes();
    let err = env.fails(2, &["log", "Acme", "call", "--with", "Dana Lea"]);
    assert!(err.contains("did you mean 'Dana Lee'?"), "{err}");
    assert_eq!(env.store_bytes(), before);
    let said = notices(
        &env,
        &[
            "log",
            "acme",
            "called back",
            "--with",
            "dana",
            "--at",
            "2026-11-18",
        ],
    );
    assert_eq!(said, "", "no one new");
    let logged = env.json(&["log", "Acme", "lunch", "--with", "sam", "--with", "SAM ROE"]);
    assert_eq!(logged["action"]["with"], serde_json::json!(["Sam Roe"]));
    let promised = env.json(&[
        "fu",
        "Acme",
        "send the deck",
        "--due",
        "fri",
        "--with",
        "dana",
    ]);
    assert_eq!(promised["with"], serde_json::json!(["Dana Lee"]));
    // An action without people shows none.
    let plain = env.json(&["log", "Acme", "alone"]);
    assert!(plain["action"].get("with").is_none(), "{plain}");

    assert_eq!(nums(&env.json(&["actions", "--with", "dana"])), [2, 1]);
    assert_eq!(nums(&env.json(&["actions", "--with", "Sam"])), [1, 3]);
    assert_eq!(
        nums(&env.json(&["actions", "--with", "sam", "--client", "acme"])),
        [1, 3]
    );
    let err = env.fails(2, &["actions", "--with", "Nobody"]);
    assert!(err.contains("no person is called 'Nobody'"), "{err}");
    // The same name at two clients: --client tells them apart.
    env.ok(&["log", "Globex", "met", "--with", "Dana Lee"]);
    let err = env.fails(2, &["actions", "--with", "Dana Lee"]);
    assert_eq!(
        err,
        "extramile: 'Dana Lee' matches several people: Dana Lee at Acme, Dana Lee at Globex; \
         give --client, or type more of the name\n"
    );
    assert_eq!(
        nums(&env.json(&["actions", "--with", "Dana Lee", "--client", "Globex"])),
        [6]
    );

    // The card: each person's latest action with them.
    let card = env.ok(&["client", "Acme"]);
    assert!(card.contains("People"), "{card}");
    assert_eq!(
        people(&env, "Acme"),
        [
            (
                "Dana Lee".to_string(),
                Value::Null,
                Value::Null,
                Value::from("2026-11-20")
            ),
            (
                "Sam Roe".to_string(),
                Value::Null,
                Value::Null,
                Value::from("2026-11-20")
            ),
        ]
    );
    let check = env.ok(&["check"]);
    assert!(check.contains("2 clients, 3 people, 5 actions"), "{check}");
}

#[test]
fn the_card_shows_the_last_touch_with_each_person() {
    let env = Env::new();
    env.ok_at(
        "2026-11-02 09:00",
        &["log", "Acme", "first", "--with", "Dana"],
    );
    env.ok_at(
        "2026-11-09 09:00",
        &["log", "Acme", "second", "--with", "Dana"],
    );
    env.ok_at("2026-11-12 09:00", &["log", "Acme", "without her"]);
    env.ok(&["client", "Acme", "--person", "Sam", "--role", "CTO"]);
    let card = env.ok(&["client", "Acme"]);
    let dana = card.lines().find(|l| l.contains("Dana")).unwrap();
    assert!(dana.contains("2026-11-09"), "{card}");
    let sam = card.lines().find(|l| l.contains("Sam")).unwrap();
    assert!(sam.contains("CTO") && sam.contains("never"), "{card}");
    // JSON gives the same day, as the client's own `last_touch` does.
    let touches: Vec<(String, Value)> = people(&env, "Acme")
        .into_iter()
        .map(|(name, _, _, last)| (name, last))
        .collect();
    assert_eq!(
        touches,
        [
            ("Dana".to_string(), Value::from("2026-11-09")),
            ("Sam".to_string(), Value::Null)
        ]
    );
    assert_eq!(
        env.json(&["client", "Acme"])["client"]["last_touch"],
        "2026-11-12"
    );
}

#[test]
fn exports_carry_people_and_import_back_unchanged() {
    let env = Env::new();
    env.ok(&[
        "log", "Acme", "fixed", "--with", "Dana Lee", "--with", "Sam",
    ]);
    env.ok(&[
        "client",
        "Acme",
        "--person",
        "Dana",
        "--role",
        "CFO",
        "--email",
        "d@acme.example",
    ]);
    env.ok(&["fu", "Acme", "call back", "--due", "fri", "--with", "Sam"]);
    let json = env.ok(&["export"]);
    let export: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(export["people"].as_array().unwrap().len(), 2);
    let csv = env.ok(&["export", "--format", "csv"]);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",with,name,role,email")
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("person,") && l.ends_with(",Dana Lee,CFO,d@acme.example")),
        "{csv}"
    );
    assert!(csv.contains(",Dana Lee;Sam,"), "{csv}");
    for (name, content) in [("out.json", &json), ("out.csv", &csv)] {
        let file = env.dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let before = env.store_bytes();
        let out = env.ok(&["import", file.to_str().unwrap()]);
        assert!(
            out.contains("0 new, 0 updated, 5 already here"),
            "{name}: {out}"
        );
        assert_eq!(env.store_bytes(), before, "{name}");

        // Into an empty store, the same records come back (but which copy of the store
        // numbered them, which a CSV does not carry).
        let other = Env::new();
        other.ok(&["import", file.to_str().unwrap()]);
        assert_eq!(
            without_by(other.json(&["export"])),
            without_by(export.clone()),
            "{name}"
        );
    }

    // A CSV written by hand names people by name; they are made, once.
    let file = env.dir.path().join("hand.csv");
    std::fs::write(
        &file,
        "type,client,text,at,with\naction,Initech,lunch,2026-11-18 12:00,Kim;Lou\n\
         action,Initech,call,2026-11-19 12:00,kim\n",
    )
    .unwrap();
    let other = Env::new();
    other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(people(&other, "Initech").len(), 2);
    assert_eq!(nums(&other.json(&["actions", "--with", "Kim"])), [1, 2]);
    let before = other.store_bytes();
    other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(
        other.store_bytes(),
        before,
        "a second import changes nothing"
    );
    assert!(other.ok(&["check"]).contains("OK"));
}

#[test]
fn merges_carry_people_and_make_twins_one() {
    let laptop = Env::new();
    laptop.ok_at("2026-11-16 09:00", &["log", "Acme", "base"]);
    let desktop = Env::new();
    std::fs::create_dir_all(desktop.store().parent().unwrap()).unwrap();
    std::fs::copy(laptop.store(), desktop.store()).unwrap();

    laptop.ok_at(
        "2026-11-17 09:00",
        &["log", "Acme", "met", "--with", "Dana Lee"],
    );
    laptop.ok_at(
        "2026-11-17 10:00",
        &["client", "Acme", "--person", "Dana", "--role", "CFO"],
    );
    desktop.ok_at(
        "2026-11-17 11:00",
        &["log", "Acme", "emailed", "--with", "dana lee"],
    );
    desktop.ok_at(
        "2026-11-17 12:00",
        &["log", "Acme", "lunch", "--with", "Sam"],
    );

    desktop.ok(&["merge", laptop.store().to_str().unwrap()]);
    // One Dana Lee (the desktop's own, as typed there, with the laptop's role), and Sam.
    let merged = people(&desktop, "Acme");
    let names: Vec<&str> = merged.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["dana lee", "Sam"]);
    assert_eq!(merged[0].1, Value::from("CFO"));
    let with_dana = desktop.json(&["actions", "--with", "Dana"]);
    assert_eq!(with_dana.as_array().unwrap().len(), 2, "{with_dana}");
    let check = desktop.ok(&["check"]);
    assert!(check.contains("OK"), "{check}");

    // The other way round gives the same records.
    laptop.ok(&["merge", desktop.store().to_str().unwrap()]);
    assert_eq!(people(&laptop, "Acme"), merged);
}

#[test]
fn undo_reverts_a_person_and_check_passes() {
    let env = Env::new();
    env.ok(&["log", "Acme", "kickoff"]);
    env.ok(&["client", "Acme", "--person", "Dana", "--role", "CFO"]);
    env.ok(&["client", "Acme", "--person", "Dana", "--role", "CEO"]);
    let out = env.ok(&["undo"]);
    assert!(out.contains("put back the earlier person Dana"), "{out}");
    assert_eq!(people(&env, "Acme")[0].1, Value::from("CFO"));
    let out = env.ok(&["undo"]);
    assert!(out.contains("removed person Dana"), "{out}");
    assert!(people(&env, "Acme").is_empty());
    // An undo of a log takes out the people it added with it.
    env.ok(&["log", "Acme", "met", "--with", "Sam"]);
    env.ok(&["undo"]);
    assert!(people(&env, "Acme").is_empty());
    let check = env.ok(&["check"]);
    assert!(
        check.contains("0 people") && check.contains("OK"),
        "{check}"
    );
}

#[test]
fn hostile_names_are_refused() {
    let env = Env::new();
    env.ok(&["log", "Acme", "kickoff"]);
    for bad in [
        "Dana\u{1b}[31m",
        "Dana\nLee",
        "Dana\u{202e}Lee",
        "Dana;Lee",
        "  ",
    ] {
        let before = env.store_bytes();
        env.fails(2, &["client", "Acme", "--person", bad]);
        env.fails(2, &["log", "Acme", "met", "--with", bad]);
        assert_eq!(env.store_bytes(), before, "{bad:?}");
    }
    env.fails(
        2,
        &["client", "Acme", "--person", "Dana", "--role", "C\u{7}FO"],
    );

    // A journal or an import that brings one in is refused too.
    let file = env.dir.path().join("bad.csv");
    std::fs::write(&file, "type,client,name\nperson,Acme,\"Da\u{1b}na\"\n").unwrap();
    let err = env.fails(2, &["import", file.to_str().unwrap()]);
    assert!(err.contains("row 1"), "{err}");
    let json = r#"{"format":"extramile-export","version":1,"clients":[{"id":"c1","name":"Acme","created":"2026-11-20T10:00:00Z"}],"people":[{"id":"p1","client":"c1","name":"Da\u001bna","created":"2026-11-20T10:00:00Z"}],"actions":[],"follow_ups":[]}"#;
    let file = env.dir.path().join("bad.json");
    std::fs::write(&file, json).unwrap();
    let err = env.fails(2, &["import", file.to_str().unwrap()]);
    assert!(err.contains("people[0]"), "{err}");
    // An action with someone from another client is refused.
    let json = r#"{"format":"extramile-export","version":1,"clients":[{"id":"c1","name":"Acme","created":"2026-11-20T10:00:00Z"},{"id":"c2","name":"Globex","created":"2026-11-20T10:00:00Z"}],"people":[{"id":"p1","client":"c2","name":"Dana","created":"2026-11-20T10:00:00Z"}],"actions":[{"id":"a1","num":5,"client":"c1","kind":"fix","text":"t","at":"2026-11-20T10:00:00Z","with":["p1"]}],"follow_ups":[]}"#;
    std::fs::write(&file, json).unwrap();
    let err = env.fails(2, &["import", file.to_str().unwrap()]);
    assert!(
        err.contains("is with a person who is not at its client"),
        "{err}"
    );
}

#[test]
fn people_stay_with_recurrences_outcomes_and_reminders() {
    let env = Env::new();
    env.ok(&[
        "fu",
        "Acme",
        "monthly review",
        "--due",
        "today",
        "--every",
        "1m",
        "--with",
        "Dana",
    ]);
    env.ok(&[
        "log",
        "Acme",
        "fixed the export",
        "--with",
        "dana",
        "--asked",
        "--story",
    ]);
    let due = env.json(&["remind"]);
    assert_eq!(due[0]["with"], serde_json::json!(["Dana"]), "{due}");

    // What came of it, and the next occurrence, are with the people it was with.
    let done = env.json(&["done", "1", "--log", "went through the numbers"]);
    assert_eq!(done[0]["with"], serde_json::json!(["Dana"]), "{done}");
    assert_eq!(
        done[0]["next"]["with"],
        serde_json::json!(["Dana"]),
        "{done}"
    );
    assert_eq!(
        done[0]["outcome"]["with"],
        serde_json::json!(["Dana"]),
        "{done}"
    );
    let outcome = done[0]["outcome"]["id"].as_u64().unwrap();
    let with_dana = env.json(&["actions", "--with", "Dana"]);
    assert_eq!(nums(&with_dana), [2, outcome]);
    let fixed = &with_dana[0];
    assert_eq!(
        (&fixed["asked"], &fixed["story"]),
        (&true.into(), &true.into())
    );

    // Exports carry people beside recurrence, outcomes and insight, and import back.
    let export = env.json(&["export"]);
    let csv = env.ok(&["export", "--format", "csv"]);
    assert!(csv.contains(",1m,2026-11-20,,,,Dana,,,\n"), "{csv}");
    assert!(csv.contains(",,yes,yes,Dana,,,\n"), "{csv}");
    for (name, content) in [("out.json", export.to_string()), ("out.csv", csv.clone())] {
        let file = env.reimport_changes_nothing(name, &content);
        let other = Env::new();
        other.ok(&["import", file.to_str().unwrap()]);
        assert_eq!(
            without_by(other.json(&["export"])),
            without_by(export.clone()),
            "{name}"
        );
        assert!(other.ok(&["check"]).contains("OK"), "{name}");
    }
}

#[test]
fn names_typed_wrong_say_where_they_were_looked_for() {
    let env = Env::new();
    env.ok(&[
        "log",
        "Acme",
        "a call",
        "--with",
        "Dana Lee",
        "--with",
        "Dan Brown",
    ]);
    env.ok(&[
        "log", "Globex", "lunch", "--with", "Dana Lee", "--with", "Kim Park",
    ]);
    let before = env.store_bytes();

    // At the client the write names.
    let err = env.fails(2, &["fu", "Acme", "call", "--due", "fri", "--with", "Dan"]);
    assert_eq!(
        err,
        "extramile: 'Dan' matches several people at Acme: Dan Brown, Dana Lee; type more of the \
         name\n"
    );
    let err = env.fails(2, &["log", "Acme", "call", "--with", "Dana Lea"]);
    assert!(
        err.starts_with("extramile: no person 'Dana Lea' at Acme; did you mean 'Dana Lee'?"),
        "{err}"
    );
    assert_eq!(env.store_bytes(), before, "nothing written");

    // actions --with: everyone's people, told apart by their clients; a typo gets a guess.
    let err = env.fails(2, &["actions", "--with", "dana"]);
    assert_eq!(
        err,
        "extramile: 'dana' matches several people: Dana Lee at Acme, Dana Lee at Globex; give \
         --client, or type more of the name\n"
    );
    let err = env.fails(2, &["actions", "--with", "Dana Lea"]);
    assert_eq!(
        err,
        "extramile: no person is called 'Dana Lea'; did you mean 'Dana Lee'? `extramile client \
         NAME` lists a client's people\n"
    );
    let err = env.fails(2, &["actions", "--with", "Zed"]);
    assert_eq!(
        err,
        "extramile: no person is called 'Zed'; `extramile client NAME` lists a client's people\n"
    );
    // Someone at another client is not found at this one.
    let err = env.fails(2, &["actions", "--with", "Kim", "--client", "acme"]);
    assert_eq!(
        err,
        "extramile: no person at Acme is called 'Kim'; `extramile client NAME` lists a client's \
         people\n"
    );
    assert_eq!(nums(&env.json(&["actions", "--with", "Kim"])), [2]);
    let err = env.fails(2, &["actions", "--with", "Kim", "--client", "Initech"]);
    assert!(
        err.starts_with("extramile: no client is called 'Initech'"),
        "{err}"
    );

    // A new person named like someone at another client is someone else, and told so.
    let said = notices(
        &env,
        &["log", "Initech", "a demo", "--with", "Kim", "--with", "Sam"],
    );
    assert_eq!(
        said,
        "New client: Initech\nNew person: Kim at Initech (people belong to one client: not Kim \
         Park at Globex)\nNew person: Sam at Initech\n"
    );
    let said = notices(
        &env,
        &[
            "fu", "Hooli", "send it", "--due", "fri", "--with", "dana lee",
        ],
    );
    assert_eq!(
        said,
        "New client: Hooli\nNew person: dana lee at Hooli (people belong to one client: not Dana \
         Lee at Acme, Dana Lee at Globex)\n"
    );
}

/// The fields of each `| field | type | meaning |` table in the README's People section.
fn documented_fields() -> Vec<BTreeSet<String>> {
    let readme = include_str!("../../README.md");
    let section = readme.split_once("\n## People\n").unwrap().1;
    let section = section.split_once("\n## ").map_or(section, |(s, _)| s);
    let mut tables: Vec<BTreeSet<String>> = Vec::new();
    let mut in_table = false;
    for line in section.lines() {
        let field = line
            .strip_prefix("| `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(field, _)| field.to_string());
        match field {
            Some(field) if in_table => {
                tables.last_mut().unwrap().insert(field);
            }
            None if in_table && line.starts_with("| ---") => {}
            _ => {
                in_table = line == "| field | type | meaning |";
                if in_table {
                    tables.push(BTreeSet::new());
                }
            }
        }
    }
    tables
}

fn keys(object: &Value) -> BTreeSet<String> {
    object.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_readme_documents_the_json_of_people_as_printed() {
    let env = Env::new();
    env.ok(&["log", "Acme", "kickoff"]);
    let plain = env.json(&["log", "Acme", "alone"]);
    let added = env.json(&["client", "Acme", "--person", "Dana Lee", "--role", "CFO"]);
    let logged = env.json(&["log", "Acme", "a call", "--with", "dana"]);
    let card = env.json(&["client", "Acme"]);
    let tables = documented_fields();
    assert_eq!(tables.len(), 3, "{tables:?}");
    // `with`: the one field people add to an action or follow-up.
    let with: BTreeSet<String> = keys(&logged["action"])
        .difference(&keys(&plain["action"]))
        .cloned()
        .collect();
    assert_eq!(tables[0], with);
    assert_eq!(logged["action"]["with"], serde_json::json!(["Dana Lee"]));
    assert_eq!(tables[1], keys(&card["people"][0]));
    assert_eq!(tables[2], keys(&added));
    assert_eq!(added["new"], true);
}
