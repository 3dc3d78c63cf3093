//! Insight: actions the client asked for against those done unasked, stories worth
//! telling, and the team view a sales leader reads.

use std::path::Path;

use serde_json::Value;

use crate::Env;

fn count(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field}: {value}"))
}

fn share(value: &Value) -> f64 {
    value["unasked_share"].as_f64().unwrap()
}

#[test]
fn the_unasked_share_in_the_week_month_card_and_team_digest() {
    let env = Env::new();
    env.ok(&["log", "Acme", "fixed the export before they noticed"]);
    env.ok(&["log", "Acme", "sent the figures they asked for", "--asked"]);
    env.ok(&[
        "log",
        "Globex",
        "an idea for their launch",
        "--at",
        "2026-11-17",
    ]);
    // Last week: nothing asked, one action.
    env.ok(&["log", "Globex", "a note", "--at", "2026-11-10"]);

    let week = env.json(&["report", "week"]);
    assert_eq!((count(&week, "unasked"), count(&week, "asked")), (2, 1));
    assert!((share(&week) - 2.0 / 3.0).abs() < 1e-9, "{week}");
    assert_eq!(count(&week, "unasked_percent"), 67);
    assert_eq!(count(&week["previous"], "unasked"), 1);
    let table = env.ok(&["report", "week"]);
    assert!(table.contains("Unasked: 2 of 3 (67%)\n"), "{table}");
    let csv = env.ok(&["report", "week", "--format", "csv"]);
    assert!(csv.contains("unasked,Unasked: 2 of 3 (67%),"), "{csv}");
    let md = env.ok(&["report", "week", "--format", "markdown"]);
    assert!(md.contains("Unasked: 2 of 3 (67%)  \n"), "{md}");

    let month = env.json(&["report", "month"]);
    assert_eq!((count(&month, "unasked"), count(&month, "asked")), (3, 1));
    assert!((share(&month) - 0.75).abs() < 1e-9);
    assert!(
        env.ok(&["report", "month"])
            .contains("Unasked: 3 of 4 (75%)")
    );
    let weeks = month["weeks"].as_array().unwrap();
    assert!(weeks.iter().any(|w| w["asked"] == 1 && w["unasked"] == 2));

    let card = env.json(&["client", "acme"]);
    assert_eq!(
        (
            count(&card["client"], "unasked"),
            count(&card["client"], "asked")
        ),
        (1, 1)
    );
    assert!((share(&card["client"]) - 0.5).abs() < 1e-9);
    assert!(
        env.ok(&["client", "acme"])
            .contains("Unasked: 1 of 2 (50%)")
    );

    let store = env.store();
    let team = env.json(&["report", "week", "--team", store.to_str().unwrap()]);
    let rep = &team["team"][0];
    assert_eq!((count(rep, "unasked"), count(rep, "asked")), (2, 1));
    assert!(
        env.ok(&["report", "week", "--team", store.to_str().unwrap()])
            .contains("67%")
    );

    // With no actions, there is no share.
    let empty = Env::new();
    empty.ok(&["follow-up", "Acme", "call", "--due", "fri"]);
    let week = empty.json(&["report", "week"]);
    assert!(week["unasked_share"].is_null(), "{week}");
    assert_eq!((count(&week, "unasked"), count(&week, "asked")), (0, 0));
    assert!(
        empty
            .ok(&["report", "week"])
            .contains("Unasked: no actions")
    );
}

#[test]
fn edit_marks_and_unmarks_and_undo_reverts() {
    let env = Env::new();
    env.ok(&["log", "Acme", "fixed the export"]);
    env.ok(&["follow-up", "Acme", "call", "--due", "mon"]);
    // Unmarked actions are written as before: no new fields in the journal.
    let journal = String::from_utf8(env.store_bytes()).unwrap();
    assert!(
        !journal.contains("asked") && !journal.contains("story"),
        "{journal}"
    );

    let out = env.ok(&["edit", "1", "--asked", "--story"]);
    assert_eq!(
        out, "Edited #1: unasked → asked; marked a story.\n",
        "says what changed"
    );
    let actions = env.json(&["actions"]);
    assert_eq!(
        (&actions[0]["asked"], &actions[0]["story"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    let week = env.json(&["report", "week"]);
    assert_eq!(
        (
            count(&week, "asked"),
            week["stories"].as_array().unwrap().len()
        ),
        (1, 1)
    );

    env.ok(&["undo"]);
    let week = env.json(&["report", "week"]);
    assert_eq!(
        (
            count(&week, "asked"),
            week["stories"].as_array().unwrap().len()
        ),
        (0, 0)
    );

    env.ok(&["edit", "1", "--story"]);
    env.ok(&["edit", "1", "--no-story", "--unasked"]);
    let week = env.json(&["report", "week"]);
    assert_eq!(
        (
            count(&week, "asked"),
            week["stories"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    assert_eq!(
        env.ok(&["edit", "1", "--unasked"]),
        "#1: nothing changed.\n"
    );

    let err = env.fails(2, &["edit", "2", "--asked"]);
    assert!(err.contains("#2 is a follow-up"), "{err}");
    env.fails(2, &["edit", "1", "--asked", "--unasked"]);
    env.fails(2, &["edit", "1", "--story", "--no-story"]);

    // Export and import keep both marks, in JSON and in CSV.
    env.ok(&["edit", "1", "--asked", "--story"]);
    for format in ["json", "csv"] {
        let file = env.dir.path().join(format!("export.{format}"));
        env.ok(&[
            "export",
            "--format",
            format,
            "--output",
            file.to_str().unwrap(),
        ]);
        let other = Env::new();
        other.ok(&["import", file.to_str().unwrap()]);
        let action = &other.json(&["actions"])[0];
        assert_eq!(action["asked"], true, "{format}");
        assert_eq!(action["story"], true, "{format}");
    }
}

#[test]
fn the_streak_counts_local_weeks_at_the_ends_of_the_world() {
    // Late on a Sunday and early on a Monday, local time: in UTC+14 both fall on the
    // same UTC day, in UTC-12 the Sunday falls in the next UTC week.
    for (tz, actions, streak) in [
        (
            "Pacific/Kiritimati",
            &["2026-11-08 23:30", "2026-11-09 00:30", "2026-11-16 12:00"][..],
            3,
        ),
        (
            "Etc/GMT+12",
            &["2026-11-08 23:30", "2026-11-16 12:00"][..],
            1,
        ),
    ] {
        let mut env = Env::new();
        env.tz = tz.into();
        for at in actions {
            env.ok(&["log", "Acme", "an extra mile", "--at", at]);
        }
        for _ in ["journal", "snapshot"] {
            let week = env.json(&["report", "week"]);
            assert_eq!(count(&week, "streak_weeks"), streak, "{tz}: {week}");
            let w45 = env.json(&["report", "week", "--week", "2026-W45"]);
            assert_eq!(count(&w45, "streak_weeks"), 1, "{tz}: {w45}");
            env.ok(&["index"]);
        }
    }
}

#[test]
fn stories_in_the_week_and_month_and_the_streak_line() {
    let env = Env::new();
    env.ok(&["log", "Hooli", "a plain week", "--at", "2026-11-03"]);
    env.ok(&[
        "log",
        "Globex",
        "drove the spare part over on a Sunday",
        "--story",
        "--at",
        "2026-11-10",
    ]);
    env.ok(&["log", "Acme", "a plain action", "--at", "2026-11-16"]);
    env.ok(&[
        "log",
        "Acme",
        "stayed late to rescue their launch",
        "--story",
        "--kind",
        "fix",
    ]);

    let check = |env: &Env| {
        let week = env.json(&["report", "week"]);
        assert_eq!(count(&week, "streak_weeks"), 3, "{week}");
        assert_eq!(count(&week, "streak_story_weeks"), 2, "{week}");
        let stories = week["stories"].as_array().unwrap();
        assert_eq!(stories.len(), 1, "{week}");
        assert_eq!(stories[0]["client"], "Acme");
        assert_eq!(stories[0]["text"], "stayed late to rescue their launch");
        assert_eq!(stories[0]["date"], "2026-11-20");
        assert_eq!(stories[0]["kind"], "fix");
        let table = env.ok(&["report", "week"]);
        assert!(
            table.contains("Streak: 3 weeks in a row with an extra mile, 2 with a story"),
            "{table}"
        );
        let section = table.split("\nStories\n").nth(1).unwrap();
        assert!(
            section.contains("2026-11-20") && section.contains("stayed late to rescue"),
            "{table}"
        );
        assert!(
            !section
                .split("Slipped")
                .next()
                .unwrap()
                .contains("spare part")
        );

        let month = env.json(&["report", "month"]);
        let texts: Vec<&str> = month["stories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "drove the spare part over on a Sunday",
                "stayed late to rescue their launch"
            ]
        );
        let month = env.ok(&["report", "month"]);
        assert!(month.contains("spare part") && month.contains("stayed late"));
        let last = env.json(&["report", "week", "--last"]);
        assert_eq!(count(&last, "streak_story_weeks"), 1);
        assert_eq!(count(&last, "streak_weeks"), 2);
    };
    check(&env);
    // The same through the snapshot, rebuilt on purpose.
    env.ok(&["index"]);
    check(&env);
    // A week without a story keeps the line as it was.
    let plain = Env::new();
    plain.ok(&["log", "Acme", "a plain action"]);
    assert!(
        plain
            .ok(&["report", "week"])
            .contains("Streak: 1 week with an extra mile\n")
    );
}

/// Each file in `dir`, with its bytes.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_team_view_reads_a_directory_of_journals_and_writes_nothing() {
    let anna = Env::new();
    anna.ok(&["log", "Acme", "fixed the export", "--at", "2026-11-16"]);
    anna.ok(&["log", "Acme", "sent the price list", "--asked"]);
    anna.ok(&["log", "Globex", "drove the part over", "--story"]);
    anna.ok(&["follow-up", "Acme", "send the deck", "--due", "2026-11-17"]);
    anna.ok(&["log", "Initech", "a note", "--at", "2026-11-10"]);
    let ben = Env::new();
    ben.ok(&["log", "Hooli", "an idea", "--at", "2026-11-02"]);
    ben.ok(&["client", "Hooli", "--cadence", "7d"]);
    ben.ok(&["log", "Umbrella", "a check-in", "--asked"]);

    let leader = Env::new();
    let team = leader.dir.path().join("team");
    std::fs::create_dir(&team).unwrap();
    std::fs::copy(anna.store(), team.join("anna.jsonl")).unwrap();
    std::fs::copy(ben.store(), team.join("ben.jsonl")).unwrap();
    std::fs::write(team.join("notes.txt"), "not a journal").unwrap();
    let before = listing(&team);

    let dir = team.to_str().unwrap();
    let view = leader.json(&["report", "team", dir]);
    assert_eq!(view["week"], "2026-W47");
    let reps = view["reps"].as_array().unwrap();
    assert_eq!(reps.len(), 2, "{view}");
    let (a, b) = (&reps[0], &reps[1]);
    assert_eq!(
        (a["rep"].as_str(), b["rep"].as_str()),
        (Some("anna"), Some("ben"))
    );
    assert_eq!(
        (
            count(a, "actions"),
            count(a, "clients_touched"),
            count(a, "asked")
        ),
        (3, 2, 1)
    );
    assert_eq!((count(a, "overdue"), count(a, "stories")), (1, 1));
    assert_eq!(
        (count(a, "streak_weeks"), count(a, "streak_story_weeks")),
        (2, 1)
    );
    assert_eq!(
        (count(b, "actions"), count(b, "asked"), count(b, "overdue")),
        (1, 1, 0)
    );
    let total = &view["total"];
    assert_eq!(total["rep"], "Team");
    assert_eq!(
        (
            count(total, "actions"),
            count(total, "unasked"),
            count(total, "asked")
        ),
        (4, 2, 2)
    );
    assert!((share(total) - 0.5).abs() < 1e-9);
    assert_eq!(count(total, "overdue"), 1);
    let slipped = view["slipped"].as_array().unwrap();
    assert_eq!(slipped.len(), 1, "{view}");
    assert_eq!(
        (
            &slipped[0]["rep"],
            &slipped[0]["client"],
            &slipped[0]["how"]
        ),
        (
            &Value::from("anna"),
            &Value::from("Acme"),
            &Value::from("overdue")
        )
    );
    let neglected = view["neglected"].as_array().unwrap();
    assert_eq!(neglected.len(), 1, "{view}");
    assert_eq!(
        (&neglected[0]["rep"], &neglected[0]["client"]),
        (&Value::from("ben"), &Value::from("Hooli"))
    );
    let stories = view["stories"].as_array().unwrap();
    assert_eq!(
        (&stories[0]["rep"], &stories[0]["text"]),
        (&Value::from("anna"), &Value::from("drove the part over"))
    );

    let table = leader.ok(&["report", "team", dir]);
    assert!(
        table.starts_with("Team 2026-W47: 2026-11-16 to 2026-11-22 (2 reps)\n"),
        "{table}"
    );
    assert!(table.contains("Unasked: 2 of 4 (50%)"), "{table}");
    let md = leader.ok(&["report", "team", dir, "--format", "markdown"]);
    assert!(
        md.contains("| anna | 3 | 2 | 67% | 0 | 0 | 1 | 2 wk | 1 |"),
        "{md}"
    );
    assert!(md.contains("| Team | 4 | 3 | 50% |"), "{md}");
    assert!(
        md.contains("| anna | 2026-11-20 |"),
        "stories have their rep: {md}"
    );
    assert!(
        md.contains("| ben | Hooli |"),
        "neglected have their rep: {md}"
    );

    // Files named one by one, and last week.
    let anna_file = team.join("anna.jsonl");
    let last = leader.json(&["report", "team", anna_file.to_str().unwrap(), "--last"]);
    assert_eq!(last["week"], "2026-W46");
    assert_eq!(count(&last["reps"][0], "actions"), 1);
    assert!(last["stories"].as_array().unwrap().is_empty());

    // Read only, with no store of its own.
    assert_eq!(listing(&team), before, "the reps' files are as they were");
    assert!(!leader.store().exists());
    assert!(!leader.store().parent().unwrap().exists());

    leader.fails(2, &["report", "team", "/no/such.jsonl"]);
    let empty = leader.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = leader.fails(2, &["report", "team", empty.to_str().unwrap()]);
    assert!(err.contains("no journal"), "{err}");
    leader.fails(2, &["report", "team"]);
}
