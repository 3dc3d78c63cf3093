//! Follow-ups: scheduling, closing, snoozing, and what counts as overdue.

use serde_json::Value;

use crate::Env;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_after_a_call_flow() {
    let env = Env::new();
    let out = env.ok(&[
        "log",
        "Acme",
        "fixed",
        "the",
        "export",
        "--kind",
        "fix",
        "--follow-up",
        "next fri",
    ]);
    assert_eq!(
        out,
        "Logged #1 for Acme (fix) on Fri 2026-11-20. Follow-up #2 due Fri 2026-11-27.\n"
    );
    let out = env.ok(&[
        "fu",
        "Globex",
        "send the pricing deck",
        "--due",
        "2026-11-18",
    ]);
    assert_eq!(out, "Follow-up #3 for Globex due Wed 2026-11-18.\n");
    let overdue = env.json(&["overdue"]);
    assert_eq!(
        overdue,
        serde_json::json!([{
            "id": 3, "uid": overdue[0]["uid"], "client": "Globex", "text": "send the pricing deck",
            "due": "2026-11-18", "due_time": null, "status": "open", "days_overdue": 2, "done_at": null, "done_late": false,
            "snoozes": 0, "every": null, "repeats": null, "created": "2026-11-20T10:00:00+00:00",
        }])
    );
    assert_eq!(
        env.ok(&["done", "3"]),
        "Done #3 for Globex: send the pricing deck (2 days late).\n"
    );
    assert_eq!(env.ok(&["overdue"]), "Nothing is overdue.\n");
    let upcoming = env.json(&["upcoming"]);
    assert_eq!(ids(&upcoming), [2]);
    assert_eq!(upcoming[0]["text"], "Follow up: fixed the export");
}

#[test]
fn log_with_follow_up_text() {
    let env = Env::new();
    env.ok(&[
        "log",
        "Acme",
        "demo",
        "--follow-up",
        "+3d",
        "--follow-up-text",
        "ask how the demo landed",
    ]);
    let upcoming = env.json(&["upcoming"]);
    assert_eq!(upcoming[0]["text"], "ask how the demo landed");
    assert_eq!(upcoming[0]["due"], "2026-11-23");
    env.fails(2, &["log", "Acme", "x", "--follow-up-text", "no date"]);
}

#[test]
fn due_today_is_not_overdue_and_overdue_is_sorted_most_overdue_first() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "today", "--due", "today"]);
    env.ok(&["fu", "Acme", "two days", "--due", "2026-11-18"]);
    env.ok(&["fu", "Globex", "ten days", "--due", "2026-11-10"]);
    env.ok(&["fu", "Globex", "yesterday", "--due", "yesterday"]);
    let overdue = env.json(&["overdue"]);
    assert_eq!(ids(&overdue), [3, 2, 4]);
    let days: Vec<i64> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["days_overdue"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [10, 2, 1]);
    assert_eq!(ids(&env.json(&["overdue", "--client", "glob"])), [3, 4]);
    env.fails(2, &["overdue", "--client", "Initech"]);
}

#[test]
fn upcoming_lists_overdue_then_today_then_the_next_days() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "in 9 days", "--due", "+9d"]);
    env.ok(&["fu", "Acme", "tomorrow", "--due", "tomorrow"]);
    env.ok(&["fu", "Acme", "today", "--due", "today"]);
    env.ok(&["fu", "Acme", "overdue", "--due", "-3d"]);
    env.ok(&["fu", "Acme", "in 4 days", "--due", "in 4 days"]);
    assert_eq!(ids(&env.json(&["upcoming"])), [4, 3, 2, 5]);
    assert_eq!(
        ids(&env.json(&["upcoming", "--days", "9"])),
        [4, 3, 2, 5, 1]
    );
    assert_eq!(ids(&env.json(&["upcoming", "--days", "0"])), [4, 3]);
    insta::assert_snapshot!("upcoming", env.ok(&["upcoming"]));
}

#[test]
fn done_the_day_after_due_is_late_and_on_the_day_is_on_time() {
    let env = Env::new();
    env.ok_at(
        "2026-11-16 09:00",
        &["fu", "Acme", "on time", "--due", "2026-11-18"],
    );
    env.ok_at(
        "2026-11-16 09:00",
        &["fu", "Acme", "late", "--due", "2026-11-18"],
    );
    assert!(
        env.ok_at("2026-11-18 23:59", &["done", "1"])
            .contains("(on time)")
    );
    assert!(
        env.ok_at("2026-11-19 00:01", &["done", "2"])
            .contains("(1 day late)")
    );
    let report = env.json(&["report", "week"]);
    assert_eq!(report["followups_done"], 2);
    assert_eq!(report["followups_done_late"], 1);
}

#[test]
fn snooze_moves_several_and_counts() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "a", "--due", "-2d"]);
    env.ok(&["fu", "Globex", "b", "--due", "-1d"]);
    let out = env.ok(&["snooze", "1", "2", "next mon"]);
    assert_eq!(
        out,
        "Snoozed #1 for Acme to Mon 2026-11-23: a.\nSnoozed #2 for Globex to Mon 2026-11-23: b.\n"
    );
    env.ok(&["snooze", "1", "+1w"]);
    let list = env.json(&["upcoming", "--days", "30"]);
    assert_eq!(list[0]["id"], 2);
    assert_eq!(list[1]["due"], "2026-11-27");
    assert_eq!(list[1]["snoozes"], 2);
    assert_eq!(env.ok(&["overdue"]), "Nothing is overdue.\n");
}

#[test]
fn cancel_drops_a_follow_up() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "a", "--due", "-2d"]);
    assert_eq!(env.ok(&["cancel", "1"]), "Cancelled #1 for Acme: a.\n");
    assert_eq!(env.ok(&["overdue"]), "Nothing is overdue.\n");
    let err = env.fails(2, &["done", "1"]);
    assert!(err.contains("follow-up #1 is already cancelled"), "{err}");
}

#[test]
fn a_bad_id_changes_nothing_not_even_the_good_ids_in_the_same_call() {
    let env = Env::new();
    env.ok(&["log", "Acme", "an action"]);
    env.ok(&["fu", "Acme", "open one", "--due", "fri"]);
    env.ok(&["fu", "Acme", "closed one", "--due", "fri"]);
    env.ok(&["done", "3"]);
    let before = env.store_bytes();
    let cases: [(&[&str], &str); 6] = [
        (&["done", "2", "99"], "there is no follow-up #99"),
        (&["done", "2", "1"], "#1 is an action, not a follow-up"),
        (
            &["done", "2", "3"],
            "follow-up #3 is already done (on 2026-11-20)",
        ),
        (&["cancel", "3"], "already done"),
        (&["snooze", "2", "3", "tomorrow"], "already done"),
        (&["snooze", "42", "tomorrow"], "no follow-up #42"),
    ];
    for (args, message) in cases {
        let err = env.fails(2, args);
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1);
        assert_eq!(env.store_bytes(), before, "{args:?} changed the store");
    }
}

#[test]
fn done_with_the_same_id_twice_closes_it_once() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "a", "--due", "fri"]);
    assert_eq!(env.ok(&["done", "1", "1"]).lines().count(), 1);
}

#[test]
fn clients_show_open_and_overdue_counts_and_the_next_due_date() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "a", "--due", "-2d"]);
    env.ok(&["fu", "Acme", "b", "--due", "2026-11-25"]);
    env.ok(&["fu", "Acme", "c", "--due", "2026-11-24"]);
    env.ok(&["fu", "Globex", "d", "--due", "2026-11-30"]);
    env.ok(&["done", "4"]);
    let clients = env.json(&["clients"]);
    assert_eq!(clients[0]["client"], "Acme");
    assert_eq!(
        (clients[0]["open"].as_i64(), clients[0]["overdue"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(clients[0]["next_due"], "2026-11-18");
    assert_eq!(
        (
            clients[1]["open"].as_i64(),
            clients[1]["next_due"].is_null()
        ),
        (Some(0), true)
    );
}

#[test]
fn week_month_and_year_boundaries() {
    let env = Env::new();
    // Sunday 29 November: tomorrow is in the next week and the next month.
    env.ok_at(
        "2026-11-29 18:00",
        &["fu", "Acme", "monday", "--due", "tomorrow"],
    );
    env.ok_at(
        "2026-11-29 18:00",
        &["fu", "Acme", "next week", "--due", "next wed"],
    );
    let out = env.run_at("2026-11-29 18:00", &["--format", "json", "upcoming"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["due"], "2026-11-30");
    assert_eq!(list[1]["due"], "2026-12-02");
    let out = env.run_at("2027-01-02 09:00", &["--format", "json", "overdue"]);
    let overdue: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(overdue[0]["days_overdue"], 33);
    assert_eq!(overdue[1]["days_overdue"], 31);
}

#[cfg(unix)]
#[test]
fn days_are_calendar_days_across_a_daylight_saving_change() {
    let mut env = Env::new();
    env.tz = "America/New_York".into();
    // Clocks went back at 02:00 on Sunday 1 November 2026.
    env.ok_at(
        "2026-10-31 23:30",
        &["log", "Acme", "late saturday", "--follow-up", "tomorrow"],
    );
    env.ok_at("2026-11-01 01:30", &["log", "Acme", "in the repeated hour"]);
    let actions = env.json(&["actions", "--until", "2026-10-31"]);
    assert_eq!(
        actions.as_array().unwrap().len(),
        1,
        "23:30 local is still Saturday"
    );
    assert_eq!(actions[0]["at"], "2026-10-31T23:30:00-04:00");
    let out = env.run_at("2026-11-03 00:30", &["--format", "json", "overdue"]);
    let overdue: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(overdue[0]["due"], "2026-11-01");
    assert_eq!(overdue[0]["days_overdue"], 2);
    let out = env.run_at("2026-11-01 23:00", &["--format", "json", "report", "week"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["week"], "2026-W44");
    assert_eq!(
        report["actions"], 2,
        "both Saturday night and Sunday's repeated hour are in W44"
    );
}

#[test]
fn ids_are_taken_as_printed_and_a_wrong_one_says_what_an_id_looks_like() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "a", "--due", "fri"]);
    env.ok(&["fu", "Acme", "b", "--due", "fri"]);
    assert_eq!(env.ok(&["done", "#1"]), "Done #1 for Acme: a (on time).\n");
    let before = env.store_bytes();
    for (args, message) in [
        (&["done", "abc"][..], "'abc' is not an ID"),
        (&["cancel", "#"][..], "like 12 or #12"),
        (&["delete", "0"][..], "'0' is not an ID"),
        (&["snooze", "2"][..], "'2' looks like an ID, not a date"),
        (&["snooze", "#2"][..], "e.g. `extramile snooze #2 mon`"),
    ] {
        let err = env.fails(2, args);
        assert!(err.starts_with("error: invalid value"), "{args:?}: {err}");
        assert!(
            err.lines().next().unwrap().contains(message),
            "{args:?}: {err}"
        );
        assert_eq!(env.store_bytes(), before, "{args:?} changed the store");
    }
    env.ok(&["snooze", "#2", "mon"]);
    assert_eq!(env.json(&["upcoming"])[0]["due"], "2026-11-23");
}

#[test]
fn log_with_a_follow_up_in_the_past_warns_as_fu_does() {
    let env = Env::new();
    let out = env.run(&["log", "Acme", "late call", "--follow-up", "yesterday"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Follow-up #2 due Thu 2026-11-19"),
        "{stdout}"
    );
    let notes = String::from_utf8(out.stderr).unwrap();
    assert!(
        notes.contains("note: #2 is already overdue (due Thu 2026-11-19)"),
        "{notes}"
    );
    let out = env.run(&["log", "Acme", "on time", "--follow-up", "today"]);
    assert!(!String::from_utf8(out.stderr).unwrap().contains("overdue"));
}

/// The `due_time` of each listed follow-up, by number.
fn due_times(list: &Value) -> Vec<(i64, String, Value)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_i64().unwrap(),
                f["due"].as_str().unwrap().to_string(),
                f["due_time"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_due_time_is_kept_through_fu_log_snooze_and_edit_and_shown() {
    let env = Env::new();
    assert_eq!(
        env.ok(&["fu", "Globex", "send the deck", "--due", "2026-11-24 15:30"]),
        "Follow-up #1 for Globex due Tue 2026-11-24 15:30.\n"
    );
    assert_eq!(
        env.ok(&["log", "Acme", "demo", "--follow-up", "fri 3pm"]),
        "Logged #2 for Acme (other) on Fri 2026-11-20. Follow-up #3 due Fri 2026-11-27 15:00.\n"
    );
    env.ok(&["fu", "Initech", "all day", "--due", "nov 24"]);
    env.ok(&["fu", "Initech", "early", "--due", "2026-11-24 9am"]);
    let upcoming = env.json(&["upcoming", "--days", "10"]);
    assert_eq!(
        due_times(&upcoming),
        [
            (4, "2026-11-24".into(), Value::Null),
            (5, "2026-11-24".into(), "09:00".into()),
            (1, "2026-11-24".into(), "15:30".into()),
            (3, "2026-11-27".into(), "15:00".into()),
        ],
        "a day's untimed follow-ups first, then by time"
    );
    let table = env.ok(&["upcoming", "--days", "10"]);
    assert!(table.contains("2026-11-24 15:30"), "{table}");
    assert!(table.contains("2026-11-27 15:00"), "{table}");

    assert_eq!(
        env.ok(&["snooze", "1", "mon 9am"]),
        "Snoozed #1 for Globex to Mon 2026-11-23 09:00: send the deck.\n"
    );
    assert_eq!(
        env.ok(&["snooze", "3", "2026-11-30"]),
        "Snoozed #3 for Acme to Mon 2026-11-30: Follow up: demo.\n",
        "a date alone clears the time"
    );
    assert_eq!(
        env.ok(&["edit", "3", "--due", "dec 1 8:15am"]),
        "Edited #3: due 2026-11-30 → 2026-12-01 08:15.\n"
    );
    assert_eq!(
        env.ok(&["edit", "5", "--due", "2026-11-24"]),
        "Edited #5: due 2026-11-24 09:00 → 2026-11-24.\n"
    );
    let upcoming = env.json(&["upcoming", "--days", "30"]);
    assert_eq!(
        due_times(&upcoming),
        [
            (1, "2026-11-23".into(), "09:00".into()),
            (4, "2026-11-24".into(), Value::Null),
            (5, "2026-11-24".into(), Value::Null),
            (3, "2026-12-01".into(), "08:15".into()),
        ]
    );

    // Shown on the day in today's view and on the client card; overdue only after the day.
    let today = env.ok_at("2026-11-23 23:00", &[]);
    assert!(today.contains("2026-11-23 09:00"), "{today}");
    let card = env.ok(&["client", "Globex"]);
    assert!(card.contains("2026-11-23 09:00"), "{card}");
    let out = env.run_at("2026-11-23 23:00", &["--format", "json", "overdue"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );
    let out = env.run_at("2026-11-24 00:30", &["--format", "json", "overdue"]);
    let overdue: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        due_times(&overdue),
        [(1, "2026-11-23".into(), "09:00".into())]
    );
    assert_eq!(overdue[0]["days_overdue"], 1);
}

#[test]
fn due_times_survive_export_and_import_and_older_files_still_import() {
    let env = Env::new();
    env.ok(&["fu", "Globex", "send the deck", "--due", "2026-11-24 15:30"]);
    env.ok(&["log", "Acme", "demo", "--follow-up", "tomorrow noon"]);
    env.ok(&["fu", "Acme", "untimed", "--due", "fri"]);
    let journal = String::from_utf8(env.store_bytes()).unwrap();
    let untimed = journal.lines().find(|l| l.contains("untimed")).unwrap();
    assert!(!untimed.contains("due_time"), "{untimed}");
    assert!(
        journal.contains(r#""due":"2026-11-24","due_time":"15:30""#),
        "{journal}"
    );

    let json = env.ok(&["export"]);
    let csv = env.ok(&["export", "--format", "csv"]);
    assert!(
        csv.contains(",2026-11-24,open,") && csv.contains(",15:30,,,,,,,,,\n"),
        "{csv}"
    );
    for (name, content) in [("out.json", &json), ("out.csv", &csv)] {
        let file = env.reimport_changes_nothing(name, content);
        let other = Env::new();
        other.ok(&["import", file.to_str().unwrap()]);
        // A CSV has no column for the copy that numbered a record, so only JSON is whole.
        if name.ends_with("json") {
            assert_eq!(other.ok(&["export"]), json);
        }
        assert_eq!(other.ok(&["export", "--format", "csv"]), csv, "{name}");
        assert_eq!(other.json(&["upcoming"]), env.json(&["upcoming"]), "{name}");
    }

    // A CSV written before the due_time column (and those after it: recurrence,
    // outcomes, insight, people) imports, its follow-ups without a time.
    let old: String = csv
        .lines()
        .map(|line| format!("{}\n", line.rsplitn(11, ',').last().unwrap()))
        .collect();
    assert!(old.starts_with(
        "type,id,client,kind,text,at,due,status,done_at,tags,tier,cadence,num,snoozes,action\n"
    ));
    let file = env.dir.path().join("old.csv");
    std::fs::write(&file, &old).unwrap();
    let other = Env::new();
    other.ok(&["import", file.to_str().unwrap()]);
    let upcoming = other.json(&["upcoming"]);
    assert!(
        upcoming
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["due_time"].is_null()),
        "{upcoming}"
    );

    let bad = csv.replace(",15:30,", ",3pm,");
    std::fs::write(&file, bad).unwrap();
    let err = Env::new().fails(2, &["import", file.to_str().unwrap()]);
    assert!(
        err.contains("'due_time' must be a time of day as HH:MM, not '3pm'"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_timed_follow_up_is_a_timed_calendar_entry_at_that_local_time() {
    let mut env = Env::new();
    env.tz = "Europe/Berlin".into();
    env.ok(&["fu", "Globex", "call", "--due", "2026-11-24 15:30"]);
    env.ok(&["fu", "Globex", "summer", "--due", "2027-06-01 15:30"]);
    env.ok(&["fu", "Acme", "all day", "--due", "2026-11-25"]);
    let ics = env.ok(&["export", "--format", "ics"]);
    let parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let calendars: Vec<_> = parser.collect::<Result<_, _>>().unwrap();
    let starts: Vec<(String, Option<String>)> = calendars[0]
        .events
        .iter()
        .map(|e| {
            let value = |name: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
            };
            (value("DTSTART").unwrap(), value("DTEND"))
        })
        .collect();
    assert_eq!(
        starts,
        [
            // 15:30 in Berlin is 14:30 UTC in winter and 13:30 in summer.
            ("20261124T143000Z".to_string(), None),
            ("20261125".to_string(), Some("20261126".to_string())),
            ("20270601T133000Z".to_string(), None),
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_earlier() {
    for (tz, day, now) in [
        ("Europe/Berlin", "2027-03-28", "2027-03-29 10:00"),
        ("America/New_York", "2026-03-08", "2026-03-09 10:00"),
    ] {
        let mut env = Env::new();
        env.tz = tz.into();
        env.now = now.into();
        env.ok(&["fu", "Acme", "open", "--due", "tomorrow"]);
        let before = env.store_bytes();
        let skipped = format!("{day} 02:30");
        let weekday = "Sun";
        let message = format!(
            "02:30 does not exist on {weekday} {day} in this time zone (the clocks go forward past it); pick another time"
        );
        for args in [
            &["fu", "Acme", "x", "--due", &skipped][..],
            &["log", "Acme", "x", "--follow-up", &skipped],
            &["log", "Acme", "x", "--at", "yesterday 2:30am"],
            &["snooze", "1", &skipped],
            &["edit", "1", "--due", &skipped],
            &["actions", "--since", &skipped],
        ] {
            let err = env.fails(2, args);
            assert_eq!(err, format!("extramile: {message}\n"), "{tz} {args:?}");
            assert_eq!(env.store_bytes(), before, "{tz} {args:?} changed the store");
        }
        // The hour after the gap exists.
        let out = env.ok(&["fu", "Acme", "x", "--due", &format!("{day} 03:30")]);
        assert!(out.contains(&format!("{day} 03:30")), "{out}");
    }

    // Clocks went back at 03:00 on Sunday 2027-10-31 in Berlin: 02:30 came twice.
    let mut env = Env::new();
    env.tz = "Europe/Berlin".into();
    env.now = "2027-11-01 10:00".into();
    env.ok(&["log", "Acme", "twice", "--at", "2027-10-31 02:30"]);
    assert_eq!(
        env.json(&["actions"])[0]["at"],
        "2027-10-31T02:30:00+02:00",
        "the earlier 02:30, still summer time"
    );
}
