//! Demo, export and import, edit, delete and undo.

use serde_json::Value;

use crate::{Env, check_fails};

fn scenario(env: &Env) {
    env.ok(&[
        "log",
        "Acme",
        "fixed, the \"export\"; quickly",
        "--kind",
        "fix",
        "--tag",
        "q4",
        "--tag",
        "vip",
    ]);
    env.ok(&[
        "log",
        "Globex",
        "sent a book",
        "--kind",
        "touch",
        "--at",
        "2026-11-02 08:15",
        "--follow-up",
        "2026-11-10",
    ]);
    env.ok(&["fu", "Acme", "check the export held", "--due", "next tue"]);
    env.ok(&[
        "fu",
        "Initech",
        "renewal, call; prepare",
        "--due",
        "2026-11-30",
    ]);
    env.ok(&["fu", "Hooli", "send photos", "--due", "2026-11-24"]);
    env.ok(&["done", "4"]);
    env.ok(&["cancel", "5"]);
    env.ok(&["client", "acme", "--tier", "A", "--cadence", "14d"]);
}

#[test]
fn demo_runs_without_a_store_and_touches_none() {
    let env = Env::new();
    let out = env.ok(&["demo"]);
    assert!(out.contains("This week 2026-W47"), "{out}");
    assert!(out.contains("Upcoming follow-ups"), "{out}");
    assert!(out.contains("overdue"), "{out}");
    assert!(out.contains("Neglected"), "{out}");
    assert!(!env.store().exists());
    // A broken store is not even read.
    std::fs::create_dir_all(env.store().parent().unwrap()).unwrap();
    std::fs::write(env.store(), "garbage").unwrap();
    env.ok(&["demo"]);
    let json = env.json(&["demo"]);
    assert_eq!(json["report_week"]["week"], "2026-W47");
    assert!(json["report_week"]["followups_done_late"].as_u64().unwrap() >= 1);
    assert_eq!(
        json["report_week"]["neglected"].as_array().unwrap().len(),
        1
    );
    assert_eq!(std::fs::read_to_string(env.store()).unwrap(), "garbage");
}

#[test]
fn csv_export_import_round_trips_every_record() {
    let env = Env::new();
    scenario(&env);
    let csv = env.ok(&["export", "--format", "csv"]);
    assert!(csv.starts_with(
        "type,id,client,kind,text,at,due,status,done_at,tags,tier,cadence,num,snoozes,action,due_time,every,every_from,follows_up,asked,story,with,name,role,email\n"
    ));
    let file = env.dir.path().join("out.csv");
    std::fs::write(&file, &csv).unwrap();
    // Back into the store it came from: nothing changes, not even a link.
    let before = env.store_bytes();
    let same = env.ok(&["import", file.to_str().unwrap()]);
    assert!(same.contains("0 new, 0 updated, 10 already here"), "{same}");
    assert_eq!(env.store_bytes(), before);

    let other = Env::new();
    let out = other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(
        out,
        format!(
            "Imported {}: 10 new, 0 updated, 0 already here.\n",
            file.display()
        )
    );
    assert_eq!(other.ok(&["export", "--format", "csv"]), csv);
    assert_eq!(other.json(&["clients"]), env.json(&["clients"]));
    let again = other.ok(&["import", file.to_str().unwrap()]);
    assert!(
        again.contains("0 new, 0 updated, 10 already here"),
        "{again}"
    );
    assert_eq!(
        other.ok(&["export", "--format", "csv"]),
        csv,
        "importing twice duplicates nothing"
    );
}

#[test]
fn json_export_import_round_trips_every_record_with_numbers() {
    let env = Env::new();
    scenario(&env);
    let file = env.dir.path().join("backup.json");
    env.ok(&["export", "--output", file.to_str().unwrap()]);
    let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(exported["clients"].as_array().unwrap().len(), 4);
    assert_eq!(exported["actions"].as_array().unwrap().len(), 2);
    assert_eq!(exported["follow_ups"].as_array().unwrap().len(), 4);

    let other = Env::new();
    other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(other.ok(&["export"]), env.ok(&["export"]));
    assert_eq!(
        other.ok(&["report", "week", "--format", "json"]),
        env.ok(&["report", "week", "--format", "json"])
    );
    other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(
        other.ok(&["export"]),
        env.ok(&["export"]),
        "importing twice duplicates nothing"
    );
}

#[test]
fn importing_a_partial_csv_creates_clients_and_is_idempotent() {
    let env = Env::new();
    env.ok(&["log", "Acme", "existing"]);
    let file = env.dir.path().join("in.csv");
    std::fs::write(
        &file,
        "client,type,text,at,kind,due\n\
         ACME,action,from the old tool,2026-10-01 09:00,idea,\n\
         Umbrella,follow-up,send contract,,,2026-12-01\n",
    )
    .unwrap();
    assert!(
        env.ok(&["import", file.to_str().unwrap()])
            .contains("3 new")
    );
    let clients = env.json(&["clients"]);
    assert_eq!(clients.as_array().unwrap().len(), 2, "ACME matched Acme");
    assert_eq!(
        env.json(&["actions", "--client", "acme"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        env.ok(&["import", file.to_str().unwrap()])
            .contains("0 new")
    );
}

#[test]
fn a_bad_row_aborts_the_import_naming_it_and_writes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Acme", "existing"]);
    let before = env.store_bytes();
    let file = env.dir.path().join("bad.csv");
    let cases = [
        (
            "type,client,text,at\naction,Acme,ok,2026-11-01\naction,Acme,bad date,2026-02-30\n",
            "row 2",
        ),
        (
            "type,client,text,due\nfollow-up,Acme,fine,2026-12-01\nfollow-up,Acme,no due,\n",
            "row 2: a follow-up needs 'due'",
        ),
        (
            "type,client,text,at\nmeeting,Acme,x,2026-11-01\n",
            "row 1: unknown type 'meeting'",
        ),
        (
            "type,client,text,at,kind\naction,,x,2026-11-01,fix\n",
            "row 1: the client is empty",
        ),
        (
            "type,client,text,at,kind\naction,Acme,x,2026-11-01,favour\n",
            "row 1: unknown kind 'favour'",
        ),
        ("type,text\naction,x\n", "no 'client' column"),
        (
            "{\"format\": \"something-else\", \"version\": 1, \"clients\": [], \"actions\": [], \"follow_ups\": []}",
            "not a JSON export",
        ),
    ];
    for (content, message) in cases {
        std::fs::write(&file, content).unwrap();
        let err = env.fails(2, &["import", file.to_str().unwrap()]);
        assert!(err.contains(message), "{content}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(env.store_bytes(), before);
    }
    env.fails(1, &["import", "/no/such/file.csv"]);
}

#[test]
fn ics_has_an_entry_per_follow_up_with_stable_uids() {
    let env = Env::new();
    scenario(&env);
    let ics = env.ok(&["export", "--format", "ics"]);
    assert!(ics.contains("\r\n"), "CRLF line endings");
    let parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let calendars: Vec<_> = parser
        .collect::<Result<_, _>>()
        .expect("a valid iCalendar file");
    assert_eq!(calendars.len(), 1);
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap()
    };
    let (events, closed): (Vec<_>, Vec<_>) = calendars[0]
        .events
        .iter()
        .partition(|e| prop(e, "STATUS") == "CONFIRMED");
    assert_eq!(events.len(), 2, "the open follow-ups");
    assert_eq!(closed.len(), 2, "the done and the cancelled one, cancelled");
    assert!(closed.iter().all(|e| prop(e, "STATUS") == "CANCELLED"));
    let uids: Vec<String> = events.iter().map(|e| prop(e, "UID")).collect();
    assert!(uids.iter().all(|u| u.ends_with("@extramile")));
    assert_eq!(prop(events[0], "DTSTART"), "20261110");
    assert_eq!(
        prop(events[0], "SUMMARY"),
        "Follow up with Globex: Follow up: sent a book"
    );
    assert_eq!(prop(events[1], "DTSTART"), "20261124");
    assert_eq!(
        prop(events[1], "SUMMARY"),
        "Follow up with Hooli: send photos"
    );
    let again = env.ok(&["export", "--format", "ics"]);
    assert_eq!(ics, again, "the same follow-ups give the same file");
    env.fails(2, &["actions", "--format", "ics"]);
    env.fails(2, &["export", "--format", "markdown"]);
}

#[test]
fn edit_delete_and_undo_say_what_they_changed() {
    let env = Env::new();
    env.ok(&["log", "Acme", "fixd it", "--follow-up", "fri"]);
    assert_eq!(
        env.ok(&[
            "edit",
            "1",
            "--text",
            "fixed the export",
            "--kind",
            "fix",
            "--tag",
            "q4"
        ]),
        "Edited #1: text 'fixd it' → 'fixed the export'; kind other → fix; tags [] → [q4].\n"
    );
    assert_eq!(
        env.ok(&["edit", "2", "--due", "2026-12-01"]),
        "Edited #2: due 2026-11-27 → 2026-12-01.\n"
    );
    assert!(
        env.ok(&["edit", "1", "--client", "Globex"])
            .contains("client Acme → Globex")
    );
    let before = env.store_bytes();
    assert_eq!(
        env.ok(&["edit", "2", "--due", "2026-12-01"]),
        "#2: nothing changed.\n"
    );
    assert_eq!(
        env.store_bytes(),
        before,
        "an edit to the same value writes nothing"
    );
    env.fails(2, &["edit", "2", "--kind", "fix"]);
    env.fails(2, &["edit", "1", "--due", "fri"]);
    env.fails(2, &["edit", "1"]);
    env.fails(2, &["edit", "9", "--text", "x"]);

    assert_eq!(
        env.ok(&["delete", "1"]),
        "Deleted action #1 (Globex: fixed the export). `extramile undo` brings it back.\n"
    );
    assert_eq!(env.json(&["actions"]), serde_json::json!([]));
    env.fails(2, &["delete", "1"]);
    assert!(env.ok(&["undo"]).contains("restored action #1"));
    assert_eq!(env.json(&["actions"])[0]["client"], "Globex");
    assert!(
        env.ok(&["undo"]).contains("put back the earlier action #1"),
        "undo walks back"
    );
    assert_eq!(env.json(&["actions"])[0]["client"], "Acme");
    env.ok(&["undo"]);
    assert_eq!(
        env.json(&["upcoming", "--days", "30"])[0]["due"],
        "2026-11-27"
    );
    env.ok(&["undo"]);
    assert_eq!(env.json(&["actions"])[0]["text"], "fixd it");
    let out = env.ok(&["undo"]);
    assert!(
        out.contains("removed action #1") && out.contains("removed follow-up #2"),
        "{out}"
    );
    assert_eq!(env.json(&["clients"]), serde_json::json!([]));
    let err = check_fails(2, &["undo"], env.run(&["undo"]));
    assert!(err.contains("nothing to undo"), "{err}");
}

#[test]
fn undo_after_new_work_reverts_the_newest_first() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    env.ok(&["log", "Acme", "two"]);
    env.ok(&["undo"]);
    env.ok(&["log", "Acme", "three"]);
    env.ok(&["undo"]);
    let texts: Vec<String> = env
        .json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, ["one"]);
    env.ok(&["undo"]);
    assert_eq!(env.json(&["actions"]), serde_json::json!([]));
}

#[test]
fn import_lists_new_clients_close_to_existing_ones() {
    let env = Env::new();
    env.ok(&["log", "Acme", "x"]);
    let file = env.dir.path().join("in.csv");
    std::fs::write(
        &file,
        "type,client,text,at\naction,Acmee,a,2026-11-19\naction,Globex,b,2026-11-19\naction,Acme Inc.,c,2026-11-19\n",
    )
    .unwrap();
    let out = env.ok(&["import", file.to_str().unwrap()]);
    let close: Vec<&str> = out.lines().filter(|l| l.contains("is close to")).collect();
    assert_eq!(close.len(), 2, "{out}");
    assert!(
        out.contains("New client 'Acmee' is close to 'Acme'"),
        "{out}"
    );
    assert!(
        out.contains("New client 'Acme Inc.' is close to 'Acme'"),
        "{out}"
    );
    assert!(!out.contains("'Globex' is close"), "{out}");
    // Imported as asked: the summary warns, it does not refuse.
    assert_eq!(env.json(&["clients"]).as_array().unwrap().len(), 4);
    let again = env.json(&["import", file.to_str().unwrap()]);
    assert_eq!(again["near_duplicates"], serde_json::json!([]));
}
