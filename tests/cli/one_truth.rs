//! One truth, as a property: random sequences of every command that changes the store,
//! under a clock that crosses weeks, months and the year (ISO week 53 of 2026
//! included). After every step, `check` passes; every read command prints the same JSON
//! with the snapshot as it is, deleted, rebuilt by `check` or streamed by `index`; and
//! the step followed by `undo` gives back exactly the export from before it.
//!
//! The sequences come from a fixed seed, so `cargo test` runs the same ones every time;
//! `EXTRAMILE_PROPTEST_CASES` raises their number and `EXTRAMILE_PROPTEST_SEED` picks
//! others, for a long run.

use std::path::Path;

use chrono::Datelike;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::Value;

use crate::Env;

const CLIENTS: [&str; 5] = ["Acme", "Globex", "Initech", "Umbrella Corp", "acme"];
const NEW_NAMES: [&str; 2] = ["Hooli", "Pied Piper"];
/// People some actions are with ("dana" is "Dana" typed otherwise).
const PEOPLE: [&str; 3] = ["Dana", "Sam Roe", "dana"];

#[derive(Debug, Clone)]
enum Step {
    Log {
        client: usize,
        kind: usize,
        back: Option<u8>,
        follow_up: Option<u8>,
    },
    FollowUp {
        client: usize,
        due: u8,
    },
    Done(u8),
    Snooze(u8, u8),
    Cancel(u8),
    Edit(u8),
    /// An action moved in time, to another client.
    Move(u8, u8, usize),
    Delete(u8),
    Undo,
    Tier(usize),
    Cadence(usize),
    Rename(usize, usize),
    ImportCsv(u8),
    ImportJson(u8),
    Merge(u8),
    Compact,
    DeleteSnapshot,
    DamageSnapshot(u16, u8),
    Advance(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let client = 0..CLIENTS.len();
    prop_oneof![
        4 => (client.clone(), 0..6usize, proptest::option::of(0..20u8), proptest::option::of(0..10u8))
            .prop_map(|(client, kind, back, follow_up)| Step::Log { client, kind, back, follow_up }),
        2 => (client.clone(), 0..15u8).prop_map(|(client, due)| Step::FollowUp { client, due }),
        2 => (1..12u8).prop_map(Step::Done),
        1 => (1..12u8, 1..10u8).prop_map(|(n, d)| Step::Snooze(n, d)),
        1 => (1..12u8).prop_map(Step::Cancel),
        1 => (1..12u8).prop_map(Step::Edit),
        1 => (1..12u8, 0..20u8, client.clone()).prop_map(|(n, back, c)| Step::Move(n, back, c)),
        1 => (1..12u8).prop_map(Step::Delete),
        2 => Just(Step::Undo),
        1 => client.clone().prop_map(Step::Tier),
        1 => client.clone().prop_map(Step::Cadence),
        1 => (client, 0..NEW_NAMES.len()).prop_map(|(c, n)| Step::Rename(c, n)),
        1 => (0..4u8).prop_map(Step::ImportCsv),
        1 => (0..4u8).prop_map(Step::ImportJson),
        1 => (0..4u8).prop_map(Step::Merge),
        1 => Just(Step::Compact),
        1 => Just(Step::DeleteSnapshot),
        1 => (any::<u16>(), 1..5u8).prop_map(|(at, n)| Step::DamageSnapshot(at, n)),
        3 => (0..10u8).prop_map(Step::Advance),
    ]
}

/// The clock: a start in mid-December 2026, moved on by `Advance` steps.
fn clock(days: u32) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
    format!("{} 10:00", start + chrono::Days::new(u64::from(days)))
}

fn snapshot(store: &Path) -> std::path::PathBuf {
    store.with_extension("jsonl.snapshot")
}

/// A second store of a few records, made from `seed`, to import from or merge.
fn other_store(seed: u8, now: &str) -> Env {
    let other = Env::new();
    for i in 0..=seed % 3 {
        let client = CLIENTS[usize::from(seed + i) % CLIENTS.len()];
        other.ok_at(now, &["log", client, &format!("from elsewhere {seed}.{i}")]);
    }
    other.ok_at(
        now,
        &[
            "fu",
            "Globex",
            &format!("their promise {seed}"),
            "--due",
            "tomorrow",
        ],
    );
    other
}

/// How far back an action is logged or moved: mostly days, some over a year or two,
/// where the snapshot keeps its older index apart from the recent one.
fn days_back(back: u8) -> u32 {
    match back {
        0..15 => u32::from(back),
        _ => 380 + u32::from(back - 15) * 90,
    }
}

/// The command a step runs (files it needs are made in `env`'s folder); `None` for the
/// steps that touch the snapshot instead.
fn command(env: &Env, step: &Step, now: &str) -> Option<Vec<String>> {
    let owned = |args: &[&str]| Some(args.iter().map(|a| a.to_string()).collect());
    match step {
        Step::Log {
            client,
            kind,
            back,
            follow_up,
        } => {
            let kinds = ["fix", "idea", "check-in", "touch", "intro", "other"];
            let mut args = vec![
                "log".to_string(),
                CLIENTS[*client].to_string(),
                format!("went the extra mile {kind}"),
                "--kind".into(),
                kinds[*kind].into(),
            ];
            // Umbrella Corp's actions are all over a year old.
            let back = match client {
                3 => Some(back.unwrap_or(0) + 15),
                _ => *back,
            };
            if let Some(back) = back {
                args.extend(["--at".into(), format!("{} days ago", days_back(back))]);
            }
            if kind % 2 == 0 {
                args.extend(["--with".into(), PEOPLE[kind / 2].into()]);
            }
            if let Some(days) = follow_up {
                args.extend(["--follow-up".into(), format!("+{days}d")]);
            }
            Some(args)
        }
        // Some with a time of day, which every read path must keep alike.
        Step::FollowUp { client, due } => owned(&[
            "fu",
            CLIENTS[*client],
            "call them back",
            "--due",
            &format!("+{due}d{}", if due % 3 == 0 { " 9:30am" } else { "" }),
        ]),
        Step::Done(n) => owned(&["done", &n.to_string()]),
        Step::Snooze(n, d) => owned(&[
            "snooze",
            &n.to_string(),
            &format!("+{d}d{}", if d % 2 == 1 { " 15:45" } else { "" }),
        ]),
        Step::Cancel(n) => owned(&["cancel", &n.to_string()]),
        Step::Edit(n) => owned(&["edit", &n.to_string(), "--text", &format!("edited {n}")]),
        Step::Move(n, back, c) => owned(&[
            "edit",
            &n.to_string(),
            "--at",
            &format!("{} days ago", days_back(*back)),
            "--client",
            CLIENTS[*c],
        ]),
        Step::Delete(n) => owned(&["delete", &n.to_string()]),
        Step::Undo => owned(&["undo"]),
        Step::Tier(c) => owned(&["client", CLIENTS[*c], "--tier", "A"]),
        Step::Cadence(c) => owned(&["client", CLIENTS[*c], "--cadence", "14d"]),
        Step::Rename(c, n) => owned(&["client", CLIENTS[*c], "--rename", NEW_NAMES[*n]]),
        Step::ImportCsv(seed) => {
            let mut csv = String::from("type,client,text,at,due,status,done_at\n");
            for i in 0..3 {
                let client = CLIENTS[usize::from(*seed + i) % CLIENTS.len()];
                csv += &format!("action,{client},imported {seed}.{i},2026-12-1{i} 09:00,,,\n");
                csv += &format!(
                    "follow-up,{client},closed before {seed}.{i},,2026-12-1{i},done,2026-12-1{i}T09:00:00Z\n"
                );
            }
            csv += &format!(
                "follow-up,Globex,still open {seed},,2027-01-0{},open,\n",
                1 + seed
            );
            let file = env.dir.path().join(format!("import-{seed}.csv"));
            std::fs::write(&file, csv).unwrap();
            owned(&["import", file.to_str().unwrap()])
        }
        Step::ImportJson(seed) => {
            let other = other_store(*seed, now);
            let file = env.dir.path().join(format!("import-{seed}.json"));
            std::fs::write(&file, other.ok_at(now, &["export"])).unwrap();
            owned(&["import", file.to_str().unwrap()])
        }
        Step::Merge(seed) => {
            let other = other_store(*seed, now);
            let file = env.dir.path().join(format!("other-{seed}.jsonl"));
            std::fs::copy(other.store(), &file).unwrap();
            owned(&["merge", file.to_str().unwrap()])
        }
        Step::Compact => owned(&["compact"]),
        Step::DeleteSnapshot | Step::DamageSnapshot(..) | Step::Advance(_) => None,
    }
}

/// A copy of `env`'s store folder in a new temp folder.
fn copy(env: &Env) -> Env {
    let copy = Env::new();
    let from = env.store().parent().unwrap().to_path_buf();
    let to = copy.store().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&to).unwrap();
    if let Ok(entries) = std::fs::read_dir(&from) {
        for entry in entries.flatten() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    copy
}

fn json_of(env: &Env, now: &str, args: &[&str]) -> String {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    env.ok_at(now, &all)
}

/// Every read command's JSON, in one store; with `apart`, each in a copy of it, so that
/// none reads a snapshot another has brought up to date.
fn reads(env: &Env, now: &str, apart: bool) -> Vec<(String, String)> {
    let json_of = |env: &Env, now: &str, args: &[&str]| match apart {
        true => json_of(&copy(env), now, args),
        false => json_of(env, now, args),
    };
    let day = chrono::NaiveDateTime::parse_from_str(now, "%Y-%m-%d %H:%M").unwrap();
    let week_of = |day: chrono::NaiveDate| {
        let week = day.iso_week();
        format!("{}-W{:02}", week.year(), week.week())
    };
    let next_week = week_of(day.date() + chrono::Days::new(7));
    // A week and a month over a year back, which the snapshot's recent part does not
    // hold: Umbrella Corp's actions, and those moved back, fall there.
    let long_ago = day.date() - chrono::Days::new(470);
    let old_week = week_of(long_ago);
    let old_month = long_ago.format("%Y-%m").to_string();
    let mut commands: Vec<Vec<String>> = [
        &["overdue"][..],
        &["upcoming"],
        &["upcoming", "--days", "30"],
        &["actions"],
        &["clients"],
        &["next"],
        &["report", "week"],
        &["report", "week", "--last"],
        &["report", "month"],
        &["export"],
        &[],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    for week in [next_week, old_week] {
        commands.push(vec!["report".into(), "week".into(), "--week".into(), week]);
    }
    commands.push(vec![
        "report".into(),
        "month".into(),
        "--month".into(),
        old_month,
    ]);
    if env.store().exists() {
        let clients: Value = serde_json::from_str(&json_of(env, now, &["clients"])).unwrap();
        for c in clients.as_array().unwrap() {
            commands.push(vec!["client".into(), c["client"].as_str().unwrap().into()]);
        }
    }
    commands
        .iter()
        .map(|c| {
            let args: Vec<&str> = c.iter().map(String::as_str).collect();
            (c.join(" "), json_of(env, now, &args))
        })
        .collect()
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    match line {
        Some(i) => format!(
            "line {}: {:?} vs {:?}",
            i + 1,
            a.lines().nth(i),
            b.lines().nth(i)
        ),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

fn run_steps(steps: &[Step]) -> Result<(), TestCaseError> {
    let env = Env::new();
    let mut days = 0u32;
    for (index, step) in steps.iter().enumerate() {
        let now = clock(days);
        let so_far = || format!("after {:?}", &steps[..=index]);
        match step {
            Step::Advance(d) => days += u32::from(*d),
            Step::DeleteSnapshot => {
                let _ = std::fs::remove_file(snapshot(&env.store()));
            }
            Step::DamageSnapshot(at, n) => {
                if let Ok(mut bytes) = std::fs::read(snapshot(&env.store()))
                    && !bytes.is_empty()
                {
                    for k in 0..usize::from(*n) {
                        let i = (usize::from(*at) * 7919 + k * 104_729) % bytes.len();
                        bytes[i] ^= 0x5a;
                    }
                    std::fs::write(snapshot(&env.store()), bytes).unwrap();
                }
            }
            _ => {
                let args = command(&env, step, &now).unwrap();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                // The same step, then undo, on a copy: the export from before comes back.
                let undoable = !matches!(step, Step::Undo | Step::Compact);
                let before = (undoable && env.store().exists())
                    .then(|| (copy(&env), json_of(&env, &now, &["export"])));
                let out = env.run_at(&now, &args);
                let code = out.status.code();
                let stderr = String::from_utf8_lossy(&out.stderr);
                prop_assert!(
                    matches!(code, Some(0 | 2)) && !stderr.contains("panicked"),
                    "{args:?} exited {code:?}: {stderr}\n{}",
                    so_far()
                );
                if let (Some((copy, export)), Some(0)) = (before, code) {
                    let unchanged = copy.store_bytes();
                    copy.ok_at(&now, &args);
                    // A step that wrote nothing leaves nothing to undo.
                    if copy.store_bytes() != unchanged {
                        copy.ok_at(&now, &["undo"]);
                        let again = json_of(&copy, &now, &["export"]);
                        prop_assert!(
                            again == export,
                            "{args:?} then undo: {}\n{}",
                            first_difference(&export, &again),
                            so_far()
                        );
                    }
                }
            }
        }
        if !env.store().exists() {
            continue;
        }
        // The snapshot as the step left it: reads follow the changes since it was made.
        let as_is = copy(&env);
        // A command that reads everything finds a damaged snapshot and rebuilds it; then
        // `check` has nothing to report.
        env.ok_at(&now, &["export"]);
        let check = env.run_at(&now, &["check"]);
        prop_assert!(
            check.status.success(),
            "check: {}{}\n{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr),
            so_far()
        );
        let without = copy(&env);
        let _ = std::fs::remove_file(snapshot(&without.store()));
        let rebuilt = copy(&without);
        rebuilt.ok_at(&now, &["check"]);
        let indexed = copy(&without);
        indexed.ok_at(&now, &["index"]);
        // A folder where the snapshot would be: every read of `without` goes through the
        // journal (the first would otherwise write a snapshot for the rest).
        std::fs::create_dir(snapshot(&without.store())).unwrap();
        let expected = reads(&as_is, &now, true);
        let others = [
            ("without the snapshot", &without),
            ("rebuilt", &rebuilt),
            ("indexed", &indexed),
        ];
        for (name, other) in others {
            for ((command, want), (_, got)) in expected.iter().zip(reads(other, &now, false)) {
                prop_assert!(
                    *want == got,
                    "`{command}` {name}: {}\n{}",
                    first_difference(want, &got),
                    so_far()
                );
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("EXTRAMILE_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
}

fn seed() -> RngSeed {
    RngSeed::Fixed(
        std::env::var("EXTRAMILE_PROPTEST_SEED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20261123),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        rng_seed: seed(),
        failure_persistence: None,
        max_shrink_iters: 24,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_read_path_agrees_check_passes_and_undo_restores(
        steps in proptest::collection::vec(step(), 6..16)
    ) {
        run_steps(&steps)?;
    }
}
