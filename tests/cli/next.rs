//! `next`: whom to contact now, ranked, against a scenario worked by hand.

use serde_json::Value;

use crate::Env;

/// On Friday 20 November 2026:
/// - Globex: follow-ups due 12 Nov (8 days overdue) and 18 Nov: overdue, the most.
/// - Acme: tier A, 7-day cadence, last touched 1 Oct (43 days past it), and a follow-up
///   due 17 Nov (3 days overdue): listed once, for the follow-up.
/// - Past their cadence: Initech (tier A, 2 days past), Hooli (tier C, 3 days),
///   Soylent (no tier, 12 days): by tier before days.
/// - Stark: 14-day cadence, touched 8 Nov: due in 2 days.
/// - Wayne (tier A, never touched), Umbrella (tier B, touched 5 Oct): quiet top tiers.
/// - Kept (tier A, 30-day cadence, touched 18 Nov) and Minor (tier C, never touched):
///   nothing to say.
fn scenario() -> Env {
    let env = Env::new();
    let steps: &[(&str, &[&str])] = &[
        ("2026-10-01 09:00", &["log", "Acme", "fixed the export"]),
        (
            "2026-10-01 09:05",
            &["client", "Acme", "--tier", "A", "--cadence", "7d"],
        ),
        (
            "2026-10-01 09:10",
            &["fu", "Acme", "send the pricing deck", "--due", "2026-11-17"],
        ),
        ("2026-10-05 09:00", &["log", "Umbrella", "lunch"]),
        ("2026-10-05 09:05", &["client", "Umbrella", "--tier", "B"]),
        ("2026-11-01 09:00", &["log", "Soylent", "sent an article"]),
        (
            "2026-11-01 09:05",
            &["client", "Soylent", "--cadence", "7d"],
        ),
        (
            "2026-11-02 09:00",
            &["fu", "Globex", "renewal call", "--due", "2026-11-12"],
        ),
        (
            "2026-11-02 09:05",
            &["fu", "Globex", "check the invoice", "--due", "2026-11-18"],
        ),
        ("2026-11-08 09:00", &["log", "Stark", "coffee"]),
        ("2026-11-08 09:05", &["client", "Stark", "--cadence", "14d"]),
        ("2026-11-10 09:00", &["log", "Hooli", "a card"]),
        (
            "2026-11-10 09:05",
            &["client", "Hooli", "--tier", "C", "--cadence", "7d"],
        ),
        ("2026-11-13 09:00", &["log", "Initech", "fixed their SSO"]),
        (
            "2026-11-13 09:05",
            &["client", "Initech", "--tier", "A", "--cadence", "5d"],
        ),
        (
            "2026-11-16 09:00",
            &["fu", "Wayne", "first meeting", "--due", "2026-12-01"],
        ),
        ("2026-11-16 09:05", &["client", "Wayne", "--tier", "A"]),
        (
            "2026-11-16 09:10",
            &["fu", "Minor", "a note", "--due", "2026-12-01"],
        ),
        ("2026-11-16 09:15", &["client", "Minor", "--tier", "C"]),
        ("2026-11-18 09:00", &["log", "Kept", "quarterly review"]),
        (
            "2026-11-18 09:05",
            &["client", "Kept", "--tier", "A", "--cadence", "30d"],
        ),
    ];
    for (now, args) in steps {
        env.ok_at(now, args);
    }
    env
}

fn field<'a>(calls: &'a Value, name: &str) -> Vec<&'a Value> {
    calls.as_array().unwrap().iter().map(|c| &c[name]).collect()
}

#[test]
fn each_reason_in_turn_each_client_once() {
    let env = scenario();
    let calls = env.json(&["next"]);
    let names: Vec<&str> = field(&calls, "client")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Globex", "Acme", "Initech", "Hooli", "Soylent", "Stark", "Wayne", "Umbrella"
        ]
    );
    let kinds: Vec<&str> = field(&calls, "reason_kind")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "overdue",
            "overdue",
            "past_cadence",
            "past_cadence",
            "past_cadence",
            "cadence_soon",
            "top_tier_quiet",
            "top_tier_quiet"
        ]
    );
    let days: Vec<Option<i64>> = field(&calls, "days").iter().map(|v| v.as_i64()).collect();
    assert_eq!(
        days,
        [
            Some(8),
            Some(3),
            Some(2),
            Some(3),
            Some(12),
            Some(2),
            None,
            Some(46)
        ]
    );
    let ranks: Vec<u64> = field(&calls, "rank")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=8).collect::<Vec<u64>>());
    assert_eq!(
        calls[0]["reason"],
        "2 follow-ups overdue; oldest #5, 8 days: renewal call"
    );
    assert_eq!(
        calls[1]["reason"],
        "follow-up #2 3 days overdue: send the pricing deck"
    );
    assert_eq!(calls[2]["reason"], "tier A, 2 days past its 5-day cadence");
    assert_eq!(calls[4]["reason"], "12 days past its 7-day cadence");
    assert_eq!(calls[5]["reason"], "cadence due in 2 days");
    assert_eq!(calls[6]["reason"], "tier A, never touched");
    assert_eq!(calls[7]["reason"], "tier B, last touched 46 days ago");
}

#[test]
fn json_rows_have_the_documented_fields() {
    let env = scenario();
    let calls = env.json(&["next"]);
    for call in calls.as_array().unwrap() {
        let keys: Vec<&str> = call
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "rank",
                "client",
                "tier",
                "reason",
                "reason_kind",
                "days",
                "last_touch",
                "open",
                "overdue"
            ]
        );
    }
    let acme = &calls[1];
    assert_eq!(acme["tier"], "A");
    assert_eq!(acme["last_touch"], "2026-10-01");
    assert_eq!(
        (acme["open"].as_u64(), acme["overdue"].as_u64()),
        (Some(1), Some(1))
    );
    let wayne = &calls[6];
    assert_eq!(wayne["last_touch"], Value::Null);
    assert_eq!(
        (wayne["open"].as_u64(), wayne["overdue"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(calls[4]["tier"], Value::Null, "Soylent has no tier");
}

#[test]
fn the_limit_keeps_the_first_and_says_how_many_more() {
    let env = scenario();
    let all = env.json(&["next"]);
    let first = env.json(&["next", "--limit", "3"]);
    assert_eq!(first.as_array().unwrap()[..], all.as_array().unwrap()[..3]);
    let out = env.run(&["next", "--limit", "3"]);
    let hint = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        hint, "5 more to call; `extramile next --limit 8` lists them all.\n",
        "the hint goes to standard error, so the listing stays one table"
    );
    assert!(
        !String::from_utf8(env.run(&["next"]).stderr)
            .unwrap()
            .contains("more to call")
    );
    let csv = env.ok(&["next", "--limit", "3", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 4, "a header and three rows: {csv}");
    let err = env.fails(2, &["next", "--limit", "0"]);
    assert!(err.contains("'0' is not a limit"), "{err}");
}

#[test]
fn the_ranking_follows_the_clock() {
    let env = scenario();
    // Once the follow-ups are done, Globex has nothing to say, and Acme is listed for
    // its next reason: tier A and 43 days past its cadence, it now leads.
    env.ok(&["done", "2", "5", "6"]);
    let now = env.json(&["next"]);
    let names: Vec<&str> = field(&now, "client")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Acme", "Initech", "Hooli", "Soylent", "Stark", "Wayne", "Umbrella"
        ]
    );
    assert_eq!(now[0]["reason"], "tier A, 43 days past its 7-day cadence");
    // A week on, Stark is past its cadence too (5 days): with no tier, after Hooli
    // (tier C, 10 days past) and Soylent (no tier, 19 days past).
    let later = env.ok_at(
        "2026-11-27 10:00",
        &["--format", "json", "next", "--limit", "20"],
    );
    let later: Value = serde_json::from_str(&later).unwrap();
    let past: Vec<&str> = later
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reason_kind"] == "past_cadence")
        .map(|c| c["client"].as_str().unwrap())
        .collect();
    assert_eq!(past, ["Acme", "Initech", "Hooli", "Soylent", "Stark"]);
}

#[test]
fn nobody_needs_a_call() {
    let env = Env::new();
    assert_eq!(
        env.ok(&["next"]),
        "No clients yet. Log your first action: extramile log CLIENT what you did\n"
    );
    env.ok(&["log", "Acme", "coffee"]);
    env.ok(&["client", "Acme", "--tier", "A", "--cadence", "14d"]);
    env.ok(&["fu", "Acme", "call back", "--due", "today"]);
    assert_eq!(
        env.ok(&["next"]),
        "Nobody needs a call now: no overdue follow-ups, every cadence is kept.\n"
    );
    assert_eq!(env.json(&["next"]), serde_json::json!([]));
    let dim = env.ok(&["--color", "always", "next"]);
    assert_eq!(
        dim,
        "\u{1b}[2mNobody needs a call now: no overdue follow-ups, every cadence is kept.\u{1b}[0m\n"
    );
}

#[test]
fn the_table_as_users_see_it() {
    let env = scenario();
    insta::assert_snapshot!("next", env.ok(&["next"]));
}

#[test]
fn the_man_page_and_completions_know_it() {
    let env = Env::new();
    let man = env.ok(&["man"]);
    assert!(man.contains("extramile next"), "a section of its own");
    assert!(man.contains("\\-\\-limit"), "with its option");
    for shell in ["bash", "zsh", "fish"] {
        let out = env
            .command(&["--", "extramile", "next", "--l"])
            .env("COMPLETE", shell)
            .env("_CLAP_IFS", "\n")
            .env("_CLAP_COMPLETE_INDEX", "2")
            .output()
            .unwrap();
        let offered = String::from_utf8(out.stdout).unwrap();
        assert!(offered.contains("--limit"), "{shell}: {offered}");
    }
    insta::assert_snapshot!("help_next", env.ok(&["next", "--help"]));
}
