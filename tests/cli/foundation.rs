//! Logging and listing actions, client matching, and bad input.

use serde_json::json;

use crate::Env;

#[test]
fn log_then_list_round_trips_with_the_documented_json_shape() {
    let env = Env::new();
    let out = env.ok(&[
        "log", "Acme", "fixed", "their", "export", "--kind", "fix", "--tag", "Q4", "-t", "vip",
    ]);
    assert_eq!(out, "Logged #1 for Acme (fix) on Fri 2026-11-20.\n");
    let actions = env.json(&["actions"]);
    let action = &actions[0];
    let keys: Vec<&str> = action
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "uid",
            "client",
            "kind",
            "text",
            "at",
            "tags",
            "follows_up",
            "asked",
            "story"
        ]
    );
    assert_eq!(action["id"], 1);
    assert_eq!(action["client"], "Acme");
    assert_eq!(action["kind"], "fix");
    assert_eq!(action["text"], "fixed their export");
    assert_eq!(action["at"], "2026-11-20T10:00:00+00:00");
    assert_eq!(action["tags"], json!(["q4", "vip"]));
    assert_eq!(action["uid"].as_str().unwrap().len(), 28);
}

#[test]
fn a_new_client_is_announced_once() {
    let env = Env::new();
    let out = env.run(&["log", "Acme", "first"]);
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "New client: Acme\n");
    let out = env.run(&["log", "acme", "second"]);
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    let clients = env.json(&["clients"]);
    assert_eq!(clients.as_array().unwrap().len(), 1);
    assert_eq!(clients[0]["actions"], 2);
}

#[test]
fn clients_match_case_insensitively_by_exact_name_then_unique_prefix() {
    let env = Env::new();
    env.ok(&["log", "Acme", "a"]);
    env.ok(&["log", "Acme Labs", "b"]);
    env.ok(&["log", "Globex", "c"]);
    assert!(
        env.ok(&["log", "ACME", "exact wins"])
            .contains("for Acme (")
    );
    assert!(env.ok(&["log", "glo", "prefix"]).contains("for Globex ("));
    assert!(
        env.ok(&["log", "acme l", "prefix"])
            .contains("for Acme Labs (")
    );
    let before = env.store_bytes();
    let err = env.fails(2, &["log", "ac", "ambiguous"]);
    assert_eq!(
        err,
        "extramile: 'ac' matches several clients: Acme, Acme Labs; type more of the name\n"
    );
    assert_eq!(env.store_bytes(), before);
    let err = env.fails(2, &["actions", "--client", "initech"]);
    assert!(err.contains("no client is called 'initech'"), "{err}");
    let only = env.json(&["actions", "--client", "GLOBEX"]);
    assert_eq!(only.as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_exits_2_with_one_line_and_leaves_the_store_byte_identical() {
    let env = Env::new();
    env.ok(&["log", "Acme", "a", "--follow-up", "fri"]);
    let before = env.store_bytes();
    let cases: &[&[&str]] = &[
        &["log", "", "text"],
        &["log", "  ", "text"],
        &["log", "Acme", ""],
        &["log", "Acme", "  "],
        &["log", "Acme"],
        &["log", "Acme", "x", "--at", "2026-13-45"],
        &["log", "Acme", "x", "--at", "tomorow"],
        &["log", "Acme", "x", "--at", "tomorrow"],
        &["log", "Acme", "x", "--kind", "favour"],
        &["log", "Acme", "x", "--follow-up", "someday"],
        &["log", "Acme", "x", "--bogus"],
        &["log", "Acme", "x", "--tag", "two words"],
        &["fu", "Acme", "x", "--due", "31/12"],
        &["fu", "Acme", "x"],
        &["snooze", "2", "never"],
        &["done", "two"],
        &["actions", "--since", "last year"],
        &["report", "week", "--week", "2026-W54"],
        &["report", "month", "--month", "2026-13"],
        &["client", "Acme", "--cadence", "fortnightly"],
        &["clients", "--format", "json", "--format", "csv"],
        &["--format", "json", "clients", "--format", "csv"],
        &["frobnicate"],
    ];
    for args in cases {
        let err = env.fails(2, args);
        assert!(!err.trim().is_empty(), "{args:?} printed no error");
        assert_eq!(env.store_bytes(), before, "{args:?} changed the store");
    }
}

#[test]
fn a_bad_date_quotes_the_input_and_lists_the_forms() {
    let env = Env::new();
    let err = env.fails(2, &["log", "Acme", "x", "--at", "tomorow"]);
    assert!(err.contains("'tomorow'"), "{err}");
    assert!(err.contains("YYYY-MM-DD HH:MM"), "{err}");
    assert!(err.contains("next fri"), "{err}");
}

#[test]
fn kinds_and_formats_ignore_case() {
    let env = Env::new();
    assert!(
        env.ok(&["log", "Acme", "x", "--kind", "Check-In"])
            .contains("(check-in)")
    );
    assert_eq!(
        env.ok(&["actions", "--kind", "CHECK-IN", "--format", "JSON"])
            .matches("\"id\"")
            .count(),
        1
    );
}

#[test]
fn an_unknown_kind_lists_the_kinds() {
    let env = Env::new();
    let err = env.fails(2, &["log", "Acme", "x", "--kind", "favour"]);
    for kind in ["fix", "idea", "check-in", "touch", "intro", "other"] {
        assert!(err.contains(kind), "{err}");
    }
}

#[test]
fn oversized_input_is_refused() {
    let env = Env::new();
    let note = "x".repeat(20_000);
    let err = env.fails(2, &["log", "Acme", &note]);
    assert!(err.contains("limit"), "{err}");
    let name = "n".repeat(300);
    let err = env.fails(2, &["log", &name, "x"]);
    assert!(err.contains("limit is 200"), "{err}");
    assert!(!env.store().exists(), "nothing was written");
}

#[test]
fn actions_filter_by_kind_tag_dates_text_and_limit() {
    let env = Env::new();
    env.ok(&[
        "log",
        "Acme",
        "sent the article",
        "--kind",
        "idea",
        "--at",
        "2026-11-02 09:00",
        "--tag",
        "q4",
    ]);
    env.ok(&[
        "log",
        "Acme",
        "fixed the export",
        "--kind",
        "fix",
        "--at",
        "2026-11-10",
    ]);
    env.ok(&[
        "log",
        "Globex",
        "birthday card",
        "--kind",
        "touch",
        "--at",
        "yesterday",
        "--tag",
        "q4",
    ]);
    env.ok(&["log", "Globex", "introduced to Initech", "--kind", "intro"]);
    let ids = |args: &[&str]| -> Vec<i64> {
        env.json(&[&["actions"], args].concat())
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&[]), [1, 2, 3, 4]);
    assert_eq!(ids(&["--kind", "fix"]), [2]);
    assert_eq!(ids(&["--tag", "Q4"]), [1, 3]);
    assert_eq!(ids(&["--since", "2026-11-10"]), [2, 3, 4]);
    assert_eq!(ids(&["--until", "2026-11-10"]), [1, 2]);
    assert_eq!(
        ids(&["--since", "2026-11-03", "--until", "yesterday"]),
        [2, 3]
    );
    assert_eq!(ids(&["--grep", "EXPORT"]), [2]);
    assert_eq!(ids(&["--limit", "2"]), [3, 4]);
    assert_eq!(ids(&["--client", "glob", "--kind", "intro"]), [4]);
}

#[test]
fn logging_in_the_past_with_at_keeps_the_time_of_day() {
    let env = Env::new();
    env.ok(&["log", "Acme", "x", "--at", "last mon"]);
    env.ok(&["log", "Acme", "y", "--at", "2026-11-18 16:45"]);
    let actions = env.json(&["actions"]);
    assert_eq!(actions[0]["at"], "2026-11-16T10:00:00+00:00");
    assert_eq!(actions[1]["at"], "2026-11-18T16:45:00+00:00");
}

#[test]
fn csv_and_markdown_listings() {
    let env = Env::new();
    env.ok(&["log", "Acme, Inc.", "said \"thanks\"", "--kind", "touch"]);
    let csv = env.ok(&["actions", "--format", "csv"]);
    assert_eq!(
        csv,
        "id,when,client,kind,action,tags\n1,2026-11-20 10:00,\"Acme, Inc.\",touch,\"said \"\"thanks\"\"\",\n"
    );
    let md = env.ok(&["actions", "--format", "markdown"]);
    assert!(
        md.starts_with("| # | When | Client | Kind | Action | Tags |\n| --- |"),
        "{md}"
    );
}

#[test]
fn an_empty_store_lists_nothing_and_creates_no_file() {
    let env = Env::new();
    assert_eq!(env.ok(&["actions"]), "No actions match.\n");
    assert_eq!(env.json(&["actions"]), json!([]));
    assert!(env.ok(&["clients"]).starts_with("No clients yet."));
    assert!(!env.store().exists());
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "late thing", "--due", "2026-11-01"]);
    assert!(
        !env.ok(&["overdue"]).contains('\x1b'),
        "piped output has no colour"
    );
    assert!(env.ok(&["overdue", "--color", "always"]).contains("\x1b["));
    let mut cmd = env.command(&["overdue", "--color", "auto"]);
    cmd.env("NO_COLOR", "1");
    assert!(
        !String::from_utf8(cmd.output().unwrap().stdout)
            .unwrap()
            .contains('\x1b')
    );
}

#[test]
fn a_bad_clock_override_is_a_usage_error() {
    let env = Env::new();
    let out = env.run_at("next tuesday", &["actions"]);
    let err = crate::check_fails(2, &["actions"], out);
    assert!(err.contains("EXTRAMILE_NOW='next tuesday'"), "{err}");
    env.ok_at("2026-11-20T10:00:00+01:00", &["actions"]);
    env.ok_at("2026-11-20", &["actions"]);
}

#[test]
fn help_is_snapshotted() {
    let env = Env::new();
    insta::assert_snapshot!("help", env.ok(&["--help"]));
    insta::assert_snapshot!("help_log", env.ok(&["log", "--help"]));
    insta::assert_snapshot!("help_report", env.ok(&["report", "--help"]));
    insta::assert_snapshot!("help_report_team", env.ok(&["report", "team", "--help"]));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let env = Env::new();
    let mut csv = String::from("type,client,text,at\n");
    for i in 0..3000 {
        csv += &format!(
            "action,Acme,a note long enough to fill the pipe quickly {i},2026-11-01 09:00\n"
        );
    }
    let file = env.dir.path().join("many.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    for args in [
        &["actions", "--format", "table"][..],
        &["actions", "--format", "csv"],
        &["actions", "--format", "json"],
        &["actions", "--format", "markdown"],
        &["export", "--format", "csv"],
        &["export", "--format", "json"],
    ] {
        let format = args.join(" ");
        let mut child = env
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_typo_in_a_client_name_is_caught_before_it_becomes_a_client() {
    let env = Env::new();
    env.ok(&["log", "Acme", "first"]);
    let before = env.store_bytes();
    let err = env.fails(2, &["log", "Acmee", "second"]);
    assert_eq!(
        err,
        "extramile: no client 'Acmee'; did you mean 'Acme'? To add a new client of that name, repeat with --new\n"
    );
    env.fails(2, &["fu", "acme inc.", "call", "--due", "fri"]);
    assert_eq!(env.store_bytes(), before, "nothing was written");
    let out = env.ok(&["log", "Acmee", "really a new one", "--new"]);
    assert!(
        out.contains("New client: Acmee") || out.contains("Acmee"),
        "{out}"
    );
    // Names that differ in their numbers are different clients.
    env.ok(&["log", "Store 12", "x"]);
    env.ok(&["log", "Store 13", "y"]);
    assert_eq!(env.json(&["clients"]).as_array().unwrap().len(), 4);
}
