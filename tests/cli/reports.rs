//! Weekly and monthly reports, client cards, cadences and today's view, checked figure
//! by figure against hand-worked scenarios.

use serde_json::{Value, json};

use crate::Env;

/// Weeks 2026-W44 to W47, worked by hand (W47 is Monday 16 to Sunday 22 November):
/// - W44: Hooli (cadence 7 days) touched on Wed 28 Oct.
/// - W45: Hooli idea on 2 Nov, Acme fix on 3 Nov. Globex follow-up #4, due 12 Nov, made 5 Nov.
/// - W46: no action (the streak breaks). #4 done on 13 Nov, a day late. Follow-ups #5
///   (Acme, due 17th), #6 (Globex, due 16th), #7 (Initech, due 18th) scheduled.
/// - W47: four actions for Acme (idea, intro), Globex (touch), Initech (fix); #5 done on
///   time, #6 done two days late, #7 still open (overdue by 2 on Friday 20th), #11 new.
pub fn scenario() -> Env {
    let env = Env::new();
    let steps: &[(&str, &[&str])] = &[
        (
            "2026-10-28 09:00",
            &["log", "Hooli", "coffee", "--kind", "touch"],
        ),
        (
            "2026-10-28 09:05",
            &["client", "Hooli", "--cadence", "7d", "--tier", "A"],
        ),
        (
            "2026-11-02 09:00",
            &["log", "Hooli", "sent an article", "--kind", "idea"],
        ),
        (
            "2026-11-03 09:00",
            &["log", "Acme", "fixed the invoice", "--kind", "fix"],
        ),
        (
            "2026-11-05 09:00",
            &["fu", "Globex", "call back", "--due", "2026-11-12"],
        ),
        ("2026-11-13 09:00", &["done", "4"]),
        (
            "2026-11-10 09:00",
            &["fu", "Acme", "check the fix held", "--due", "2026-11-17"],
        ),
        (
            "2026-11-10 09:00",
            &["fu", "Globex", "send the deck", "--due", "2026-11-16"],
        ),
        (
            "2026-11-12 09:00",
            &["fu", "Initech", "renewal call", "--due", "2026-11-18"],
        ),
        (
            "2026-11-16 09:00",
            &["log", "Acme", "idea for their Q1 launch", "--kind", "idea"],
        ),
        ("2026-11-17 09:00", &["done", "5"]),
        (
            "2026-11-17 09:00",
            &["log", "Globex", "birthday card", "--kind", "touch"],
        ),
        (
            "2026-11-18 09:00",
            &[
                "log",
                "Acme",
                "intro to our CFO",
                "--kind",
                "intro",
                "--follow-up",
                "2026-11-25",
            ],
        ),
        ("2026-11-18 09:00", &["done", "6"]),
        (
            "2026-11-19 09:00",
            &["log", "Initech", "fixed their SSO", "--kind", "fix"],
        ),
    ];
    for (now, args) in steps {
        env.ok_at(now, args);
    }
    env
}

fn client_row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["by_client"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == name)
        .unwrap()
}

#[test]
fn week_report_figures() {
    let env = scenario();
    let r = env.json(&["report", "week"]);
    assert_eq!(r["week"], "2026-W47");
    assert_eq!(
        (r["start"].as_str(), r["end"].as_str()),
        (Some("2026-11-16"), Some("2026-11-22"))
    );
    assert_eq!(r["actions"], 4);
    assert_eq!(r["clients_touched"], 3);
    assert_eq!(r["intros"], 1);
    assert_eq!(r["followups_new"], 1);
    assert_eq!(r["followups_done"], 2);
    assert_eq!(r["followups_done_on_time"], 1);
    assert_eq!(r["followups_done_late"], 1);
    assert_eq!(r["overdue"], 1);
    assert_eq!(r["streak_weeks"], 1);
    assert_eq!(
        r["by_kind"],
        json!({"fix": 1, "idea": 1, "check-in": 0, "touch": 1, "intro": 1, "other": 0})
    );

    let p = &r["previous"];
    assert_eq!(
        (p["actions"].as_i64(), p["followups_done_late"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        (p["followups_new"].as_i64(), p["overdue"].as_i64()),
        (Some(3), Some(0))
    );

    let names: Vec<&str> = r["by_client"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme", "Globex", "Initech"]);
    let acme = client_row(&r, "Acme");
    assert_eq!(acme["actions"], 2);
    assert_eq!(acme["by_kind"], json!({"idea": 1, "intro": 1}));
    assert_eq!(
        (acme["followups_done"].as_i64(), acme["open"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(acme["last_touch"], "2026-11-18");
    let globex = client_row(&r, "Globex");
    assert_eq!(
        (
            globex["followups_done"].as_i64(),
            globex["followups_done_late"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let initech = client_row(&r, "Initech");
    assert_eq!(
        (initech["open"].as_i64(), initech["overdue"].as_i64()),
        (Some(1), Some(1))
    );

    let slipped: Vec<(i64, &str, i64)> = r["slipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["how"].as_str().unwrap(),
                s["days_late"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(slipped, [(6, "done-late", 2), (7, "overdue", 2)]);

    let neglected = r["neglected"].as_array().unwrap();
    assert_eq!(neglected.len(), 1);
    assert_eq!(neglected[0]["client"], "Hooli");
    assert_eq!(
        neglected[0]["cadence"],
        json!({"state": "past", "days_past": 11})
    );
}

#[test]
fn a_streak_breaks_and_resumes() {
    let env = scenario();
    let streak = |week: &str| {
        env.json(&["report", "week", "--week", week])["streak_weeks"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(streak("2026-W44"), 1);
    assert_eq!(streak("2026-W45"), 2);
    assert_eq!(streak("2026-W46"), 0, "no action that week");
    assert_eq!(streak("2026-W47"), 1, "resumed");
    env.ok_at(
        "2026-11-11 12:00",
        &["log", "Acme", "a call in the gap week"],
    );
    assert_eq!(streak("2026-W47"), 4, "the gap is filled");
    assert_eq!(env.json(&["report", "week", "--last"])["week"], "2026-W46");
}

#[test]
fn an_empty_week() {
    let env = scenario();
    let r = env.json(&["report", "week", "--week", "2026-W40"]);
    for field in [
        "actions",
        "clients_touched",
        "followups_done",
        "followups_done_late",
        "overdue",
        "streak_weeks",
    ] {
        assert_eq!(r[field], 0, "{field}");
    }
    assert_eq!(r["by_client"], json!([]));
    let table = env.ok(&["report", "week", "--week", "2026-W40"]);
    assert!(table.contains("No client activity."), "{table}");
    assert!(table.contains("Nothing slipped."), "{table}");
}

#[test]
fn iso_week_53_spans_the_new_year() {
    let env = Env::new();
    env.ok_at(
        "2026-12-22 10:00",
        &["log", "Acme", "holiday card", "--kind", "touch"],
    );
    env.ok_at(
        "2026-12-28 10:00",
        &["log", "Acme", "year-end review", "--kind", "check-in"],
    );
    env.ok_at("2027-01-03 10:00", &["log", "Globex", "new year call"]);
    env.ok_at("2027-01-04 10:00", &["log", "Globex", "next week already"]);
    let out = env.run_at(
        "2027-01-05 10:00",
        &["--format", "json", "report", "week", "--week", "2026-W53"],
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["start"].as_str(), r["end"].as_str()),
        (Some("2026-12-28"), Some("2027-01-03"))
    );
    assert_eq!(r["actions"], 2);
    assert_eq!(r["clients_touched"], 2);
    assert_eq!(r["streak_weeks"], 2);
    assert_eq!(r["previous"]["actions"], 1);
    let out = env.run_at(
        "2027-01-05 10:00",
        &["--format", "json", "report", "week", "--last"],
    );
    let last: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(last["week"], "2026-W53");
}

#[test]
fn a_month_with_a_row_per_week() {
    let env = scenario();
    let r = env.json(&["report", "month", "--month", "2026-11"]);
    assert_eq!(r["month"], "2026-11");
    assert_eq!(r["actions"], 6);
    assert_eq!(r["followups_done"], 3);
    assert_eq!(r["followups_done_late"], 2);
    let weeks: Vec<(&str, i64)> = r["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["week"].as_str().unwrap(), w["actions"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-W44", 0),
            ("2026-W45", 2),
            ("2026-W46", 0),
            ("2026-W47", 4),
            ("2026-W48", 0),
            ("2026-W49", 0)
        ]
    );
    assert_eq!(r["weeks"][0]["start"], "2026-11-01");
    assert_eq!(r["weeks"][5]["end"], "2026-11-30");

    // October 2026 runs Thursday 1 to Saturday 31: five ISO weeks, W40 to W44.
    let october = env.json(&["report", "month", "--month", "2026-10"]);
    let weeks: Vec<(&str, i64)> = october["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["week"].as_str().unwrap(), w["actions"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-W40", 0),
            ("2026-W41", 0),
            ("2026-W42", 0),
            ("2026-W43", 0),
            ("2026-W44", 1)
        ]
    );
}

#[test]
fn cadence_is_reset_by_any_action_and_shown_in_clients() {
    let env = scenario();
    let status = |env: &Env| -> Value {
        let clients = env.json(&["clients"]);
        clients
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client"] == "Hooli")
            .unwrap()["cadence"]
            .clone()
    };
    assert_eq!(status(&env), json!({"state": "past", "days_past": 11}));
    env.ok(&["log", "hooli", "checked in", "--kind", "check-in"]);
    assert_eq!(status(&env), json!({"state": "ok", "days_left": 7}));
    env.ok(&["client", "hooli", "--cadence", "none"]);
    assert_eq!(status(&env), json!({"state": "none"}));
}

#[test]
fn client_settings_and_rename_keep_history() {
    let env = scenario();
    assert_eq!(
        env.ok(&["client", "acme", "--tier", "key", "--cadence", "2w"]),
        "Acme: tier key, stay in touch every 14 days.\n"
    );
    assert_eq!(
        env.ok(&["client", "acme", "--rename", "Acme Corp"]),
        "Acme Corp: renamed from Acme.\n"
    );
    let actions = env.json(&["actions", "--client", "acme corp"]);
    assert_eq!(actions.as_array().unwrap().len(), 3);
    assert_eq!(actions[0]["client"], "Acme Corp");
    let err = env.fails(2, &["client", "Acme Corp", "--rename", "globex"]);
    assert!(err.contains("already a client called 'Globex'"), "{err}");
    let err = env.fails(2, &["client", "Umbrella", "--tier", "A"]);
    assert!(err.contains("no client is called 'Umbrella'"), "{err}");
    assert_eq!(
        env.ok(&["client", "acme", "--tier", "none"]),
        "Acme Corp: tier cleared.\n"
    );
}

#[test]
fn client_card_and_timeline() {
    let env = scenario();
    let card = env.json(&["report", "client", "acme"]);
    assert_eq!(card["client"]["actions"], 3);
    assert_eq!(card["client"]["open"], 1);
    let texts: Vec<&str> = card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "fixed the invoice",
            "idea for their Q1 launch",
            "intro to our CFO"
        ]
    );
    assert_eq!(card["follow_ups"].as_array().unwrap().len(), 2);
    assert_eq!(
        env.ok(&["client", "acme"]),
        env.ok(&["report", "client", "Acme"])
    );
    insta::assert_snapshot!("client_card", env.ok(&["client", "acme"]));
}

#[test]
fn today_view() {
    let env = scenario();
    let today = env.json(&[]);
    assert_eq!(today["date"], "2026-11-20");
    assert_eq!(today["week_actions"], 4);
    assert_eq!(today["streak_weeks"], 1);
    assert_eq!(today["due"].as_array().unwrap().len(), 1);
    assert_eq!(today["neglected"][0]["client"], "Hooli");
    insta::assert_snapshot!("today", env.ok(&[]));
}

#[test]
fn tables_as_users_see_them() {
    let env = scenario();
    insta::assert_snapshot!("report_week", env.ok(&["report", "week"]));
    insta::assert_snapshot!("report_month", env.ok(&["report", "month"]));
    insta::assert_snapshot!("clients", env.ok(&["clients"]));
    insta::assert_snapshot!(
        "report_week_markdown",
        env.ok(&["report", "week", "--format", "markdown"])
    );
    insta::assert_snapshot!(
        "report_week_csv",
        env.ok(&["report", "week", "--format", "csv"])
    );
}

#[test]
fn tables_fit_the_width_they_are_given() {
    let env = scenario();
    let mut cmd = env.command(&["report", "week"]);
    cmd.env("COLUMNS", "80");
    let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
    let widest = out.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80, "widest line is {widest}:\n{out}");
}

#[test]
fn a_long_backlog_of_slipped_follow_ups_is_cut_short_in_the_table_not_in_json() {
    let env = Env::new();
    let mut csv = String::from("type,client,text,due\n");
    for i in 0..30 {
        csv += &format!("follow-up,Acme,promise {i},2026-11-{:02}\n", 1 + i % 15);
    }
    let file = env.dir.path().join("backlog.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    let table = env.ok(&["report", "week"]);
    assert!(
        table.contains("… and 5 more, less late; `extramile overdue` lists all"),
        "{table}"
    );
    assert!(
        table.contains("promise 0 ") && !table.contains("promise 29 "),
        "the most overdue are shown"
    );
    assert_eq!(
        env.json(&["report", "week"])["slipped"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
}
