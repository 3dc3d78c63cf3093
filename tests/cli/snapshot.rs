//! The snapshot beside the journal: used when it matches, ignored when it does not, and
//! never changing what a command answers.

use std::path::PathBuf;

use crate::Env;

/// A store large enough to get a snapshot: 800 actions and 200 follow-ups.
fn big_store(env: &Env) {
    store_of(env, 800);
}

/// A store of `actions` actions and 200 follow-ups.
fn store_of(env: &Env, actions: usize) {
    let mut csv = String::from("type,client,kind,text,at,due,status,done_at\n");
    for i in 0..actions {
        let day = 1 + i % 28;
        csv += &format!(
            "action,Client {},fix,note number {i} about the account,2026-{:02}-{day:02} 09:00,,,\n",
            i % 40,
            1 + i % 11
        );
    }
    for i in 0..200 {
        let status = if i % 3 == 0 { "open" } else { "done" };
        let done = if status == "done" {
            "2026-11-10 17:00"
        } else {
            ""
        };
        csv += &format!(
            "follow-up,Client {},,promise {i},,2026-11-{:02},{status},{done}\n",
            i % 40,
            1 + i % 28
        );
    }
    let file = env.dir.path().join("big.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
}

fn snapshot(env: &Env) -> PathBuf {
    env.store().with_extension("jsonl.snapshot")
}

/// What the everyday commands answer, as JSON.
fn answers(env: &Env) -> Vec<String> {
    let commands: &[&[&str]] = &[
        &["actions"],
        &["client", "client 3"],
        &["report", "client", "Client 12"],
        &["actions", "--client", "client 3"],
        &["actions", "--since", "2026-11-01"],
        &[
            "actions",
            "--client",
            "Client 4",
            "--since",
            "2026-06-01",
            "--until",
            "2026-09-30",
        ],
        &["clients"],
        &["next"],
        &["upcoming", "--days", "30"],
        &["report", "week"],
        &["report", "month"],
        &["export"],
    ];
    commands
        .iter()
        .map(|args| env.json(args).to_string())
        .collect()
}

#[test]
fn the_snapshot_never_changes_an_answer() {
    let env = Env::new();
    big_store(&env);
    assert!(snapshot(&env).exists(), "a large import writes a snapshot");
    let with = answers(&env);
    std::fs::remove_file(snapshot(&env)).unwrap();
    assert!(
        answers(&env) == with,
        "the same answers from the journal alone"
    );

    // New actions after the snapshot are read from the journal, also by the commands
    // that read only a window of time from the snapshot.
    env.ok(&["log", "Client 3", "after the snapshot"]);
    env.ok(&["log", "Client 4", "last week", "--at", "2026-11-12"]);
    env.ok(&[
        "log",
        "Client 41",
        "a new client",
        "--follow-up",
        "tomorrow",
    ]);
    let logged = answers(&env);
    std::fs::rename(snapshot(&env), env.dir.path().join("kept")).unwrap();
    assert!(
        answers(&env) == logged,
        "the same answers after new actions"
    );
    std::fs::rename(env.dir.path().join("kept"), snapshot(&env)).unwrap();

    // Edits and deletions after the snapshot are read from the journal.
    env.ok(&[
        "edit",
        "5",
        "--at",
        "2026-11-19 08:00",
        "--text",
        "moved into this week",
    ]);
    env.ok(&["delete", "7"]);
    env.ok(&["done", "801"]);
    let after = answers(&env);
    std::fs::remove_file(snapshot(&env)).unwrap();
    assert!(answers(&env) == after, "the same answers after changes");
    let actions = env.json(&["actions", "--grep", "moved into"]);
    assert_eq!(actions[0]["id"], 5);
}

#[test]
fn a_damaged_snapshot_is_ignored() {
    let env = Env::new();
    big_store(&env);
    let expected = answers(&env);
    let export = env.ok(&["export"]);
    let bytes = std::fs::read(snapshot(&env)).unwrap();
    for damage in [
        b"garbage".to_vec(),
        bytes[..bytes.len() / 2].to_vec(),
        Vec::new(),
    ] {
        std::fs::write(snapshot(&env), damage).unwrap();
        assert!(
            answers(&env) == expected,
            "the same answers with a damaged snapshot"
        );
    }
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    std::fs::write(snapshot(&env), &flipped).unwrap();
    env.ok(&["actions"]);
    // A damaged record is found before export streams anything: it reads the journal.
    std::fs::write(snapshot(&env), &flipped).unwrap();
    assert_eq!(env.ok(&["export"]), export);
}

#[test]
fn a_snapshot_of_another_journal_is_never_used() {
    let env = Env::new();
    big_store(&env);
    let other = Env::new();
    big_store(&other);
    other.ok(&["log", "Someone else", "only in the other store"]);
    // Put this store's snapshot beside the other journal: same size class, other content.
    std::fs::copy(snapshot(&env), snapshot(&other)).unwrap();
    let texts = other.json(&["actions", "--grep", "only in the other"]);
    assert_eq!(texts.as_array().unwrap().len(), 1);
    // And a journal rewritten in place to the same length is recognised as different.
    let journal = std::fs::read_to_string(env.store()).unwrap();
    let rewritten = journal.replacen("note number 1 about", "note number X about", 1);
    assert_eq!(rewritten.len(), journal.len());
    std::fs::write(env.store(), rewritten).unwrap();
    assert_eq!(
        env.json(&["actions", "--grep", "number X"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn log_on_a_large_store_numbers_and_matches_clients_correctly() {
    let env = Env::new();
    big_store(&env);
    let out = env.ok(&["log", "client 12", "light path"]);
    assert_eq!(
        out,
        "Logged #1001 for Client 12 (other) on Fri 2026-11-20.\n"
    );
    let out = env.ok(&["log", "Client 1", "exact match wins over Client 10..19"]);
    assert!(out.contains("#1002 for Client 1 ("), "{out}");
    env.fails(2, &["log", "client", "ambiguous"]);
    assert_eq!(env.json(&["check"])["problems"], serde_json::json!([]));
}

/// Waits until no `extramile index` started in the background is at work on `env`'s
/// store: one holds the index lock while it works.
fn wait_for_index(env: &Env) {
    let lock = env.store().with_extension("jsonl.indexing");
    if let Ok(file) = std::fs::File::open(lock) {
        file.lock().unwrap();
    }
}

#[test]
fn a_long_journal_without_a_snapshot_is_snapshotted_first_and_answers_the_same() {
    let env = Env::new();
    // Over a megabyte of journal: a change to it is snapshotted in the background.
    store_of(&env, 6000);
    assert!(std::fs::metadata(env.store()).unwrap().len() > 1 << 20);
    wait_for_index(&env);
    assert!(snapshot(&env).exists(), "rebuilt after the import");
    let with = answers(&env);

    // The command that finds it missing rebuilds it, as a stream, before it reads.
    std::fs::remove_file(snapshot(&env)).unwrap();
    env.ok(&["overdue"]);
    assert!(
        snapshot(&env).exists(),
        "rebuilt by the command that missed it"
    );
    assert!(answers(&env) == with, "the same answers from it");
    assert_eq!(env.json(&["check"])["problems"], serde_json::json!([]));

    // Where no snapshot can be written, the journal is read: the same answers.
    std::fs::remove_file(snapshot(&env)).unwrap();
    std::fs::create_dir(snapshot(&env)).unwrap();
    assert!(answers(&env) == with, "the same answers without a snapshot");
    std::fs::remove_dir(snapshot(&env)).unwrap();

    // Rebuilt by hand: the same again.
    std::fs::write(snapshot(&env), b"damaged").unwrap();
    let out = env.ok(&["index"]);
    assert_eq!(
        out,
        format!(
            "Rebuilt the snapshot: 6240 records from {:.1} MB of journal.\n",
            std::fs::metadata(env.store()).unwrap().len() as f64 / 1e6
        )
    );
    assert!(answers(&env) == with);
}

/// Taking out the first or last of a day's actions, in this week or two years back
/// (where the snapshot keeps its older index apart), is followed through the snapshot:
/// every week's streak (this week's runs back two years), the clients and the month
/// read the same as from the journal.
#[test]
fn taking_out_a_days_first_or_last_action_reads_the_same() {
    let env = Env::new();
    for (at, story) in [
        ("2026-11-18 08:00", true),
        ("2026-11-18 12:00", false),
        ("2026-11-18 17:00", true),
        ("2024-11-13 08:00", true),
        ("2024-11-13 12:00", false),
        ("2024-11-13 17:00", true),
    ] {
        let mut args = vec!["log", "Acme", "a note", "--at", at];
        args.extend(story.then_some("--story"));
        env.ok(&args);
    }
    // A week's action every week in between, so that this week's streak reaches back.
    let mut csv = String::from("type,client,text,at\n");
    let mut day = chrono::NaiveDate::from_ymd_opt(2024, 11, 20).unwrap();
    while day < chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap() {
        csv += &format!("action,Globex,weekly,{day} 09:00\n");
        day = day + chrono::Days::new(7);
    }
    let file = env.dir.path().join("weekly.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    let answers = |env: &Env| -> Vec<String> {
        let commands: &[&[&str]] = &[
            &["report", "week"],
            &["report", "week", "--week", "2024-W46"],
            &["report", "month"],
            &["clients"],
        ];
        commands.iter().map(|c| env.json(c).to_string()).collect()
    };
    let changes: &[&[&str]] = &[
        &["delete", "1"],
        &["edit", "3", "--at", "2026-11-18 07:00"],
        &["delete", "4"],
        &["edit", "6", "--at", "2024-11-13 11:00"],
        &["delete", "6"],
        &["delete", "5"],
    ];
    for change in changes {
        env.ok(&["index"]);
        env.ok(change);
        let with = answers(&env);
        std::fs::rename(snapshot(&env), env.dir.path().join("kept")).unwrap();
        std::fs::create_dir(snapshot(&env)).unwrap();
        assert_eq!(answers(&env), with, "after {change:?}");
        std::fs::remove_dir(snapshot(&env)).unwrap();
        std::fs::rename(env.dir.path().join("kept"), snapshot(&env)).unwrap();
    }
    let streak = &env.json(&["report", "week"])["streak_weeks"];
    assert_eq!(streak, 105, "the streak runs back to the week emptied last");
}
