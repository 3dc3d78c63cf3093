//! Recurring follow-ups (`--every`: a schedule, not a drift; skips, ends, merges, undo)
//! and outcomes (`done --log`: an action linked to the follow-up it closes).

use serde_json::Value;

use crate::Env;
use crate::sync::{driver, in_clone, two_clones};

/// The open follow-ups as (text, due), soonest first.
fn open(env: &Env) -> Vec<(String, String)> {
    env.json(&["upcoming", "--days", "400"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["text"].as_str().unwrap().to_string(),
                f["due"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Marks follow-up `num` done at `now`; the due date of the next occurrence, if any.
fn done_at(env: &Env, now: &str, num: u64) -> Option<String> {
    let out = env.ok_at(now, &["--format", "json", "done", &num.to_string()]);
    let json: Value = serde_json::from_str(&out).unwrap();
    json[0]["next"]["due"].as_str().map(str::to_string)
}

/// Marks follow-up `num` done at `now`; the number of the next occurrence.
fn num_of_next(env: &Env, now: &str, num: u64) -> u64 {
    let out = env.ok_at(now, &["--format", "json", "done", &num.to_string()]);
    let json: Value = serde_json::from_str(&out).unwrap();
    json[0]["next"]["id"].as_u64().unwrap()
}

#[test]
fn done_late_keeps_the_schedule_and_past_dates_are_skipped() {
    let env = Env::new();
    let out = env.ok_at(
        "2026-11-16 09:00",
        &[
            "fu",
            "Acme",
            "review",
            "--due",
            "2026-11-16",
            "--every",
            "2w",
        ],
    );
    assert_eq!(
        out,
        "Follow-up #1 for Acme due Mon 2026-11-16, every 2 weeks.\n"
    );
    // Done four days late: the next is two weeks after the due date, not after today.
    let out = env.ok_at("2026-11-20 10:00", &["done", "1"]);
    assert_eq!(
        out,
        "Done #1 for Acme: review (4 days late). Next: #2 due Mon 2026-11-30, every 2 weeks.\n"
    );
    assert_eq!(open(&env), [("review".into(), "2026-11-30".into())]);
    let upcoming = env.ok_at("2026-11-20 10:00", &["upcoming", "--days", "30"]);
    assert!(upcoming.contains("review (every 2 weeks)"), "{upcoming}");
    // Done five weeks late: the dates missed meanwhile are skipped, to the first of
    // the schedule from today on (today included).
    assert_eq!(
        done_at(&env, "2026-12-28 10:00", 2).as_deref(),
        Some("2026-12-28")
    );
    assert_eq!(
        done_at(&env, "2027-01-05 10:00", 3).as_deref(),
        Some("2027-01-11")
    );
}

#[test]
fn a_snooze_moves_one_occurrence_and_edit_due_moves_the_schedule() {
    let env = Env::new();
    env.ok_at(
        "2026-11-16 09:00",
        &[
            "fu",
            "Acme",
            "weekly call",
            "--due",
            "2026-11-16",
            "--every",
            "1w",
        ],
    );
    env.ok_at("2026-11-16 09:00", &["snooze", "1", "2026-11-18"]);
    assert_eq!(
        done_at(&env, "2026-11-18 10:00", 1).as_deref(),
        Some("2026-11-23")
    );
    env.ok_at("2026-11-18 10:00", &["edit", "2", "--due", "2026-11-25"]);
    assert_eq!(
        done_at(&env, "2026-11-25 10:00", 2).as_deref(),
        Some("2026-12-02")
    );
}

#[test]
fn months_keep_their_day_and_quarters_count_from_the_start() {
    let env = Env::new();
    env.ok_at(
        "2026-01-20 09:00",
        &[
            "fu",
            "Acme",
            "monthly",
            "--due",
            "2026-01-31",
            "--every",
            "1m",
        ],
    );
    assert_eq!(
        done_at(&env, "2026-01-31 10:00", 1).as_deref(),
        Some("2026-02-28")
    );
    assert_eq!(
        done_at(&env, "2026-02-28 10:00", 2).as_deref(),
        Some("2026-03-31")
    );

    let env = Env::new();
    env.ok_at(
        "2026-11-30 09:00",
        &[
            "log",
            "Globex",
            "kick-off",
            "--follow-up",
            "2026-11-30",
            "--every",
            "quarter",
        ],
    );
    assert_eq!(
        done_at(&env, "2026-11-30 10:00", 2).as_deref(),
        Some("2027-02-28")
    );
    assert_eq!(
        done_at(&env, "2027-02-28 10:00", 3).as_deref(),
        Some("2027-05-30")
    );
    let card = env.ok_at("2027-02-28 10:00", &["client", "Globex"]);
    assert!(
        card.contains("Follow up: kick-off (every quarter)"),
        "{card}"
    );
}

#[test]
fn cancel_skips_one_and_series_or_every_none_ends_it() {
    let env = Env::new();
    env.ok(&[
        "fu",
        "Acme",
        "check-in",
        "--due",
        "2026-11-20",
        "--every",
        "7d",
    ]);
    let out = env.ok(&["cancel", "1"]);
    assert_eq!(
        out,
        "Cancelled #1 for Acme: check-in. Next: #2 due Fri 2026-11-27, every 7 days.\n"
    );
    assert_eq!(open(&env), [("check-in".into(), "2026-11-27".into())]);
    let out = env.ok(&["cancel", "2", "--series"]);
    assert_eq!(out, "Cancelled #2 for Acme: check-in; the series ends.\n");
    assert!(open(&env).is_empty());

    env.ok(&["fu", "Acme", "plain", "--due", "2026-11-20"]);
    let out = env.ok(&["edit", "3", "--every", "1m"]);
    assert_eq!(out, "Edited #3: repeats every month.\n");
    assert_eq!(done_at(&env, crate::NOW, 3).as_deref(), Some("2026-12-20"));
    let out = env.ok(&["edit", "4", "--every", "none"]);
    assert_eq!(out, "Edited #4: no longer repeats.\n");
    assert_eq!(done_at(&env, crate::NOW, 4), None);
    assert!(open(&env).is_empty());

    let err = env.fails(
        2,
        &["fu", "Acme", "x", "--due", "fri", "--every", "fortnight"],
    );
    assert!(err.contains("can't read the period 'fortnight'"), "{err}");
    let err = env.fails(2, &["edit", "4", "--every", "1w"]);
    assert!(err.contains("already done"), "{err}");
}

#[test]
fn undo_of_done_reopens_it_and_takes_the_next_one_away() {
    let env = Env::new();
    env.ok(&[
        "fu",
        "Acme",
        "review",
        "--due",
        "2026-11-20",
        "--every",
        "1w",
    ]);
    let next = num_of_next(&env, crate::NOW, 1);
    let out = env.ok(&["undo"]);
    assert!(
        out.contains("put back the earlier follow-up #1")
            && out.contains(&format!("removed follow-up #{next}")),
        "{out}"
    );
    assert_eq!(open(&env), [("review".into(), "2026-11-20".into())]);
    // Done again, the same next occurrence comes back.
    assert_eq!(done_at(&env, crate::NOW, 1).as_deref(), Some("2026-11-27"));
    assert_eq!(open(&env), [("review".into(), "2026-11-27".into())]);
    let health = env.json(&["check"]);
    assert_eq!(health["problems"], serde_json::json!([]), "{health}");
}

#[test]
fn two_copies_that_close_the_same_occurrence_merge_into_one_next_occurrence() {
    let laptop = Env::new();
    laptop.ok_at(
        "2026-11-16 09:00",
        &[
            "fu",
            "Acme",
            "weekly call",
            "--due",
            "2026-11-16",
            "--every",
            "1w",
        ],
    );
    let desktop = Env::new();
    std::fs::create_dir_all(desktop.store().parent().unwrap()).unwrap();
    std::fs::copy(laptop.store(), desktop.store()).unwrap();
    laptop.ok_at("2026-11-16 10:00", &["done", "1"]);
    desktop.ok_at("2026-11-17 10:00", &["done", "1", "--log", "all fine"]);

    desktop.ok(&["merge", laptop.store().to_str().unwrap()]);
    laptop.ok(&["merge", desktop.store().to_str().unwrap()]);
    for env in [&laptop, &desktop] {
        assert_eq!(open(env), [("weekly call".into(), "2026-11-23".into())]);
        let health = env.json(&["check"]);
        assert_eq!(health["problems"], serde_json::json!([]), "{health}");
    }
    // Closing the merged one goes on with the series.
    let next = desktop.json(&["upcoming"])[0]["id"].as_u64().unwrap();
    assert_eq!(
        done_at(&desktop, "2026-11-23 10:00", next).as_deref(),
        Some("2026-11-30")
    );
}

#[cfg(unix)]
#[test]
fn two_clones_that_close_the_same_occurrence_pull_into_one_next_occurrence() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = two_clones(
        root.path(),
        &[
            "fu",
            "Acme",
            "weekly call",
            "--due",
            "2026-11-16",
            "--every",
            "1w",
        ],
    );
    for clone in [&a, &b] {
        crate::git(clone, &["config", "merge.extramile.driver", &driver()]);
    }
    in_clone(&a, "2026-11-16 10:00", &["done", "1"]);
    in_clone(&b, "2026-11-16 11:00", &["done", "1"]);
    crate::git(&a, &["commit", "-am", "a"]);
    crate::git(&b, &["commit", "-am", "b"]);
    crate::git(&a, &["push", "origin", "main"]);
    let pulled = crate::git(&b, &["pull", "origin", "main"]);
    assert!(!pulled.contains("CONFLICT"), "{pulled}");
    let upcoming: Value = serde_json::from_str(&in_clone(
        &b,
        "2026-11-20 10:00",
        &["--format", "json", "upcoming"],
    ))
    .unwrap();
    let open: Vec<(&str, &str)> = upcoming
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["text"].as_str().unwrap(), f["due"].as_str().unwrap()))
        .collect();
    assert_eq!(open, [("weekly call", "2026-11-23")]);
    let health: Value = serde_json::from_str(&in_clone(
        &b,
        "2026-11-20 10:00",
        &["--format", "json", "check"],
    ))
    .unwrap();
    assert_eq!(health["problems"], serde_json::json!([]));
}

#[test]
fn an_outcome_is_an_action_linked_to_the_follow_up_shown_counted_and_undone() {
    let env = Env::new();
    env.ok_at(
        "2026-11-16 09:00",
        &["fu", "Acme", "ask about the renewal", "--due", "2026-11-19"],
    );
    let out = env.ok(&[
        "done",
        "1",
        "--log",
        "they renew for two years",
        "--kind",
        "idea",
    ]);
    assert_eq!(
        out,
        "Done #1 for Acme: ask about the renewal (1 day late). Logged #2 (idea): they renew for two years.\n"
    );
    let follow_up_uid = env.json(&["export"])["follow_ups"][0]["id"].clone();
    let actions = env.json(&["actions"]);
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    let action = &actions[0];
    assert_eq!(
        (&action["client"], &action["kind"], &action["text"]),
        (
            &Value::from("Acme"),
            &Value::from("idea"),
            &Value::from("they renew for two years")
        )
    );
    assert_eq!(action["follows_up"], follow_up_uid);
    let card = env.ok(&["client", "Acme"]);
    assert!(
        card.contains("ask about the renewal → outcome #2: they renew for two years"),
        "{card}"
    );
    let card = env.json(&["client", "Acme"]);
    assert_eq!(card["follow_ups"][0]["outcome"]["id"], 2, "{card}");
    let report = env.json(&["report", "week"]);
    assert_eq!(report["followups_with_outcome"], 1, "{report}");
    assert_eq!(report["followups_done"], 1, "{report}");
    let table = env.ok(&["report", "week"]);
    assert!(table.contains("Follow-ups with an outcome ┆ 1"), "{table}");

    // A plain done counts as done, not as one with an outcome; the kind defaults to other.
    env.ok(&["fu", "Acme", "send the contract", "--due", "2026-11-20"]);
    env.ok(&["fu", "Acme", "book the visit", "--due", "2026-11-20"]);
    env.ok(&["done", "3"]);
    env.ok(&["done", "4", "--log", "visit on the 3rd"]);
    let report = env.json(&["report", "week"]);
    assert_eq!(
        (&report["followups_done"], &report["followups_with_outcome"]),
        (&Value::from(3), &Value::from(2))
    );
    assert_eq!(
        env.json(&["actions", "--kind", "other"])[0]["text"],
        "visit on the 3rd"
    );

    // Undo takes back both: the follow-up reopens and the action goes.
    let out = env.ok(&["undo"]);
    assert!(out.contains("put back the earlier follow-up #4"), "{out}");
    assert!(out.contains("removed action #5"), "{out}");
    assert_eq!(env.json(&["actions"]).as_array().unwrap().len(), 1);
    assert_eq!(open(&env), [("book the visit".into(), "2026-11-20".into())]);
    assert_eq!(env.json(&["report", "week"])["followups_with_outcome"], 1);

    let err = env.fails(2, &["done", "4", "--kind", "fix"]);
    assert!(err.contains("--log"), "{err}");
}

#[test]
fn periods_and_outcomes_survive_export_and_import_and_plain_records_are_unchanged() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "plain", "--due", "fri"]);
    let journal = String::from_utf8(env.store_bytes()).unwrap();
    assert!(
        !journal.contains("every") && !journal.contains("follows_up"),
        "{journal}"
    );
    env.ok(&[
        "fu",
        "Acme",
        "monthly",
        "--due",
        "2026-11-30",
        "--every",
        "1m",
    ]);
    env.ok(&["done", "2", "--log", "went well"]);
    let json = env.ok(&["export"]);
    let csv = env.ok(&["export", "--format", "csv"]);
    assert!(csv.contains(",1m,2026-11-30,,,,,,,\n"), "{csv}");
    for (name, content) in [("out.json", &json), ("out.csv", &csv)] {
        let file = env.reimport_changes_nothing(name, content);
        let other = Env::new();
        other.ok(&["import", file.to_str().unwrap()]);
        assert_eq!(other.ok(&["export", "--format", "csv"]), csv, "{name}");
        assert_eq!(open(&other), open(&env), "{name}");
        let card = other.ok(&["client", "Acme"]);
        assert!(card.contains("monthly → outcome #"), "{name}: {card}");
    }
}
