//! Merging journals, syncing through git with the merge driver, and the team digest.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Env, git};

/// A second laptop: a copy of `env`'s store, under its own temp directory.
fn copy_of(env: &Env) -> Env {
    let other = Env::new();
    std::fs::create_dir_all(other.store().parent().unwrap()).unwrap();
    std::fs::copy(env.store(), other.store()).unwrap();
    other
}

fn records(env: &Env) -> Value {
    let mut export = env.json(&["export"]);
    export["format"] = Value::Null;
    export
}

#[test]
fn merge_takes_the_union_keeps_the_newest_change_and_every_number() {
    let laptop = Env::new();
    laptop.ok_at(
        "2026-11-16 09:00",
        &["log", "Acme", "base action", "--follow-up", "fri"],
    );
    let desktop = copy_of(&laptop);

    laptop.ok_at("2026-11-17 09:00", &["log", "Acme", "on the laptop"]);
    laptop.ok_at(
        "2026-11-18 12:00",
        &["edit", "1", "--text", "edited on the laptop, later"],
    );
    desktop.ok_at("2026-11-17 10:00", &["log", "Globex", "on the desktop"]);
    desktop.ok_at(
        "2026-11-18 09:00",
        &["edit", "1", "--text", "edited on the desktop, earlier"],
    );
    desktop.ok_at("2026-11-18 09:30", &["done", "2"]);

    // Both meet a new client the same day.
    laptop.ok_at(
        "2026-11-19 09:00",
        &["log", "Initech", "met them at the fair"],
    );
    desktop.ok_at("2026-11-19 11:00", &["log", "initech", "sent the brochure"]);

    // (number, record) pairs each copy shows now.
    let numbers = |env: &Env| -> Vec<(u64, String)> {
        let export = env.json(&["export"]);
        let mut pairs: Vec<(u64, String)> = ["actions", "follow_ups"]
            .iter()
            .flat_map(|list| export[list].as_array().unwrap().clone())
            .map(|r| {
                (
                    r["num"].as_u64().unwrap(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    };
    let shown: Vec<(u64, String)> = [numbers(&laptop), numbers(&desktop)].concat();
    let laptop_file = laptop.store();
    let out = desktop.ok(&["merge", laptop_file.to_str().unwrap()]);
    assert!(out.contains("Merged 3 new change(s)"), "{out}");
    assert!(out.contains("Changed on both sides, the newest change kept: action #1 (Acme: edited on the laptop, later)"), "{out}");
    // The desktop, a copy of the laptop's store, numbers from a block of its own: no
    // number was given twice, and none changes.
    assert!(!out.contains("Renumbered"), "{out}");
    let after = numbers(&desktop);
    for pair in &shown {
        assert!(after.contains(pair), "{pair:?} is no longer so: {after:?}");
    }
    assert!(out.contains("kept as"), "{out}");

    let texts: Vec<String> = desktop
        .json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("#{} {}", a["id"], a["text"].as_str().unwrap()))
        .collect();
    assert_eq!(texts.len(), 5);
    let clients = desktop.json(&["clients"]);
    let initech: Vec<&Value> = clients
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["client"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("initech")
        })
        .collect();
    assert_eq!(initech.len(), 1, "one Initech, not two: {clients}");
    assert_eq!(initech[0]["actions"], 2);
    assert!(
        texts.contains(&"#1 edited on the laptop, later".to_string()),
        "{texts:?}"
    );
    assert_eq!(
        desktop.json(&["upcoming"]),
        serde_json::json!([]),
        "the follow-up done on the desktop stays done"
    );

    // Idempotent: merging again changes nothing.
    let before = desktop.store_bytes();
    assert_eq!(
        desktop.ok(&["merge", laptop_file.to_str().unwrap()]),
        "Nothing new to merge.\n"
    );
    assert_eq!(desktop.store_bytes(), before);

    // Commutative: the laptop merging the desktop's copy ends with the same records.
    let desktop_file = desktop.store();
    laptop.ok(&["merge", desktop_file.to_str().unwrap()]);
    assert_eq!(records(&laptop), records(&desktop));
    assert_eq!(laptop.json(&["check"])["problems"], serde_json::json!([]));
}

#[test]
fn merge_refuses_a_damaged_journal_and_changes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    let bad = env.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"format\":\"extramile-journal\",\"version\":1}\nnot json\n",
    )
    .unwrap();
    let before = env.store_bytes();
    let err = env.fails(1, &["merge", bad.to_str().unwrap()]);
    assert!(
        err.contains("line 2 of") && err.contains("bad.jsonl"),
        "{err}"
    );
    assert_eq!(env.store_bytes(), before);
    env.fails(1, &["merge", "/no/such/journal.jsonl"]);
}

/// Runs extramile against the journal in a clone.
pub(crate) fn in_clone(clone: &Path, now: &str, args: &[&str]) -> String {
    let env = Env::new();
    let mut cmd = env.command(args);
    cmd.env("EXTRAMILE_STORE", clone.join("journal.jsonl"))
        .env("EXTRAMILE_NOW", now);
    crate::check_ok(args, cmd.output().unwrap())
}

/// A bare origin and two clones of it, `a` and `b`, sharing a journal that `a` started
/// with `first` (and .gitattributes naming the driver, which each clone configures).
pub(crate) fn two_clones(root: &Path, first: &[&str]) -> (PathBuf, PathBuf) {
    let (origin, a, b) = (root.join("origin.git"), root.join("a"), root.join("b"));
    git(root, &["init", "--bare", origin.to_str().unwrap()]);
    git(
        root,
        &["clone", origin.to_str().unwrap(), a.to_str().unwrap()],
    );
    std::fs::write(a.join(".gitattributes"), "journal.jsonl merge=extramile\n").unwrap();
    std::fs::write(a.join(".gitignore"), "journal.jsonl.*\n").unwrap();
    in_clone(&a, "2026-11-16 09:00", first);
    git(&a, &["add", "."]);
    git(&a, &["commit", "-m", "start"]);
    git(&a, &["push", "origin", "main"]);
    git(
        root,
        &["clone", origin.to_str().unwrap(), b.to_str().unwrap()],
    );
    (a, b)
}

/// The merge driver, as `git config merge.extramile.driver` takes it.
pub(crate) fn driver() -> String {
    format!("{} merge-driver %O %A %B", env!("CARGO_BIN_EXE_extramile"))
}

/// The texts of the actions in a clone's journal, oldest first.
fn texts_in(clone: &Path) -> Vec<String> {
    let actions: Value = serde_json::from_str(&in_clone(
        clone,
        "2026-11-20 10:00",
        &["--format", "json", "actions"],
    ))
    .unwrap();
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_string())
        .collect()
}

#[cfg(unix)]
#[test]
pub(crate) fn two_clones_sync_through_git_without_conflicts() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = two_clones(
        root.path(),
        &["log", "Acme", "shared start", "--follow-up", "fri"],
    );
    for clone in [&a, &b] {
        git(clone, &["config", "merge.extramile.driver", &driver()]);
    }

    in_clone(&a, "2026-11-17 09:00", &["log", "Acme", "from clone a"]);
    in_clone(
        &a,
        "2026-11-17 09:05",
        &["fu", "Globex", "a's promise", "--due", "2026-11-24"],
    );
    in_clone(&b, "2026-11-17 10:00", &["log", "Initech", "from clone b"]);
    in_clone(&b, "2026-11-17 10:05", &["done", "2"]);
    git(&a, &["commit", "-am", "a"]);
    git(&b, &["commit", "-am", "b"]);

    git(&a, &["push", "origin", "main"]);
    let pulled = git(&b, &["pull", "origin", "main"]);
    assert!(!pulled.contains("CONFLICT"), "{pulled}");
    git(&b, &["push", "origin", "main"]);
    git(&a, &["pull", "origin", "main"]);

    let journal_a = std::fs::read_to_string(a.join("journal.jsonl")).unwrap();
    let journal_b = std::fs::read_to_string(b.join("journal.jsonl")).unwrap();
    assert!(!journal_a.contains("<<<<<<<") && !journal_a.contains(">>>>>>>"));
    assert_eq!(
        journal_a, journal_b,
        "both clones end with the same journal"
    );
    assert_eq!(
        texts_in(&a),
        ["shared start", "from clone a", "from clone b"]
    );
    let actions: Value = serde_json::from_str(&in_clone(
        &a,
        "2026-11-20 10:00",
        &["--format", "json", "actions"],
    ))
    .unwrap();
    let numbers: Vec<u64> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        3,
        "numbers given on both clones were settled: {numbers:?}"
    );
    let upcoming: Value = serde_json::from_str(&in_clone(
        &a,
        "2026-11-20 10:00",
        &["--format", "json", "upcoming"],
    ))
    .unwrap();
    let open: Vec<&str> = upcoming
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        ["a's promise"],
        "b's done and a's new follow-up both survive"
    );
    let health: Value = serde_json::from_str(&in_clone(
        &a,
        "2026-11-20 10:00",
        &["--format", "json", "check"],
    ))
    .unwrap();
    assert_eq!(health["problems"], serde_json::json!([]));
}

#[test]
fn the_team_digest_counts_each_rep() {
    let reps: Vec<Env> = (0..3).map(|_| Env::new()).collect();
    // Anna: three actions for two clients, one follow-up done late. Ben: one action,
    // one overdue follow-up, and a week's action before. Cleo: nothing this week.
    reps[0].ok_at(
        "2026-11-16 09:00",
        &["log", "Acme", "a1", "--follow-up", "2026-11-17"],
    );
    reps[0].ok_at("2026-11-17 09:00", &["log", "Acme", "a2"]);
    reps[0].ok_at("2026-11-18 09:00", &["log", "Globex", "a3"]);
    reps[0].ok_at("2026-11-19 09:00", &["done", "2"]);
    reps[1].ok_at("2026-11-10 09:00", &["log", "Initech", "b0"]);
    reps[1].ok_at(
        "2026-11-16 09:00",
        &["log", "Initech", "b1", "--follow-up", "2026-11-18"],
    );
    reps[2].ok_at("2026-11-02 09:00", &["log", "Hooli", "c0"]);
    let mut files = Vec::new();
    for (rep, name) in reps.iter().zip(["anna", "ben", "cleo"]) {
        let file = reps[0].dir.path().join(format!("{name}.jsonl"));
        std::fs::copy(rep.store(), &file).unwrap();
        files.push(file);
    }
    let mut args = vec!["report", "week", "--team"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let report = reps[0].json(&args);
    let team = report["team"].as_array().unwrap();
    let row = |i: usize, field: &str| team[i][field].as_u64().unwrap();
    assert_eq!(team[0]["rep"], "anna");
    assert_eq!((row(0, "actions"), row(0, "clients_touched")), (3, 2));
    assert_eq!(
        (
            row(0, "followups_done_on_time"),
            row(0, "followups_done_late"),
            row(0, "overdue")
        ),
        (0, 1, 0)
    );
    assert_eq!(row(0, "streak_weeks"), 1);
    assert_eq!(team[1]["rep"], "ben");
    assert_eq!(
        (row(1, "actions"), row(1, "overdue"), row(1, "streak_weeks")),
        (1, 1, 2)
    );
    assert_eq!(team[2]["rep"], "cleo");
    assert_eq!((row(2, "actions"), row(2, "streak_weeks")), (0, 0));
    for file in &files {
        let names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with(".snapshot") || n.ends_with(".lock")),
            "read only: {names:?}"
        );
    }
    let md = reps[0].ok(&[&["--format", "markdown"][..], &args].concat());
    assert!(
        md.contains("### Team (3 reps)")
            && md.contains("| anna | 3 | 2 | 100% | 0 | 1 | 0 | 1 wk | 0 |"),
        "{md}"
    );
    reps[0].fails(2, &["report", "week", "--team", "/no/such.jsonl"]);

    // Their snapshots are kept in the reader's cache directory, one per journal, and
    // never change an answer: not when a rep's journal grows, nor when one is damaged.
    let cache = reps[0].dir.path().join("cache/extramile/snapshots");
    let cached = || {
        let mut names: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names
    };
    assert_eq!(cached().len(), 3, "{:?}", cached());
    assert_eq!(reps[0].json(&args), report, "the same from the cache");
    reps[1].ok_at("2026-11-19 10:00", &["log", "Initech", "b2"]);
    std::fs::copy(reps[1].store(), &files[1]).unwrap();
    let grown = reps[0].json(&args);
    assert_eq!(
        grown["team"][1]["actions"], 2,
        "ben's new action is counted"
    );
    for snapshot in cached() {
        std::fs::write(snapshot, b"damaged").unwrap();
    }
    assert_eq!(
        reps[0].json(&args),
        grown,
        "the same with damaged snapshots"
    );
}

#[cfg(unix)]
#[test]
fn without_the_driver_conflict_markers_are_named_and_recovered() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = two_clones(root.path(), &["log", "Acme", "shared start"]);
    in_clone(&a, "2026-11-17 09:00", &["log", "Acme", "from clone a"]);
    in_clone(&b, "2026-11-17 10:00", &["log", "Globex", "from clone b"]);
    git(&a, &["commit", "-am", "a"]);
    git(&b, &["commit", "-am", "b"]);
    git(&a, &["push", "origin", "main"]);
    // b has no driver configured: git merges the journal line by line.
    let (pulled, _) = crate::git_run(&b, &["pull", "origin", "main"]);
    assert!(!pulled, "git reports a conflict");
    let journal = std::fs::read_to_string(b.join("journal.jsonl")).unwrap();
    assert!(journal.contains("<<<<<<<"), "{journal}");

    let env = Env::new();
    let mut cmd = env.command(&["actions"]);
    cmd.env("EXTRAMILE_STORE", b.join("journal.jsonl"));
    let err = crate::check_fails(1, &["actions"], cmd.output().unwrap());
    assert!(
        err.contains("conflict markers") && err.contains("git checkout -m journal.jsonl"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // As the message says: set up the driver, then redo the merge of the journal.
    git(&b, &["config", "merge.extramile.driver", &driver()]);
    git(&b, &["checkout", "-m", "journal.jsonl"]);
    assert_eq!(
        texts_in(&b),
        ["shared start", "from clone a", "from clone b"]
    );
}

#[test]
fn two_copies_that_both_compacted_merge_without_reopening_a_follow_up() {
    let laptop = Env::new();
    laptop.ok_at(
        "2026-11-16 09:00",
        &["log", "Acme", "met them", "--follow-up", "fri"],
    );
    let desktop = copy_of(&laptop);
    desktop.ok_at("2026-11-17 09:00", &["done", "2"]);
    laptop.ok_at("2026-11-17 10:00", &["log", "Globex", "on the laptop"]);
    let compacted = laptop.ok_at("2026-11-18 09:00", &["compact"]);
    assert!(compacted.contains("Compacted"), "{compacted}");
    desktop.ok_at("2026-11-18 10:00", &["compact"]);
    for (into, from) in [(&laptop, &desktop), (&desktop, &laptop)] {
        into.ok_at(
            "2026-11-19 09:00",
            &["merge", from.store().to_str().unwrap()],
        );
        let follow_ups = into.json(&["export"])["follow_ups"].clone();
        assert_eq!(follow_ups[0]["status"], "done", "{follow_ups}");
        into.ok(&["check"]);
    }
    assert_eq!(records(&laptop), records(&desktop));
}

#[cfg(unix)]
#[test]
fn a_cherry_pick_takes_exactly_the_picked_change_and_a_revert_takes_it_out() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init"]);
    git(&repo, &["config", "merge.extramile.driver", &driver()]);
    std::fs::write(
        repo.join(".gitattributes"),
        "journal.jsonl merge=extramile\n",
    )
    .unwrap();
    in_clone(&repo, "2026-11-16 09:00", &["log", "Acme", "shared start"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-m", "start"]);
    git(&repo, &["checkout", "-b", "feature"]);
    in_clone(&repo, "2026-11-17 09:00", &["log", "Acme", "not picked"]);
    git(&repo, &["commit", "-am", "not picked"]);
    in_clone(&repo, "2026-11-17 10:00", &["log", "Globex", "picked"]);
    git(&repo, &["commit", "-am", "picked"]);
    let picked = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["checkout", "main"]);
    in_clone(&repo, "2026-11-17 11:00", &["log", "Initech", "on main"]);
    git(&repo, &["commit", "-am", "main"]);
    git(&repo, &["cherry-pick", picked.trim()]);
    assert_eq!(texts_in(&repo), ["shared start", "picked", "on main"]);
    in_clone(&repo, "2026-11-20 10:00", &["check"]);

    // Reverting the commit of "on main" takes its record out again.
    let on_main = git(&repo, &["rev-parse", "HEAD~1"]);
    git(&repo, &["revert", "--no-edit", on_main.trim()]);
    assert_eq!(texts_in(&repo), ["shared start", "picked"]);
    in_clone(&repo, "2026-11-20 10:00", &["check"]);
}

#[test]
fn undo_takes_back_only_this_copys_own_change_and_never_resurrects() {
    let laptop = Env::new();
    laptop.ok_at("2026-11-16 09:00", &["log", "Acme", "shared"]);
    let desktop = copy_of(&laptop);
    let base = desktop.dir.path().join("base.jsonl");
    std::fs::copy(desktop.store(), &base).unwrap();
    desktop.ok_at("2026-11-17 09:00", &["log", "Globex", "desktop's"]);
    desktop.ok_at(
        "2026-11-17 09:05",
        &["edit", "1", "--text", "edited on the desktop"],
    );
    // The laptop, with a clock behind, logs and then deletes #1 after the edit by
    // the order of things (it made more changes).
    laptop.ok_at("2026-11-17 08:00", &["log", "Initech", "laptop's"]);
    laptop.ok_at("2026-11-17 08:01", &["log", "Initech", "laptop's again"]);
    laptop.ok_at("2026-11-17 08:02", &["delete", "1"]);
    // A git pull on the desktop: the driver merges the laptop's journal into its own.
    let ours = desktop.store();
    desktop.ok_at(
        "2026-11-18 09:00",
        &[
            "merge-driver",
            base.to_str().unwrap(),
            ours.to_str().unwrap(),
            laptop.store().to_str().unwrap(),
        ],
    );
    let texts = |env: &Env| -> Vec<String> {
        let actions = env.json(&["actions"]);
        let mut texts: Vec<String> = actions
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["text"].as_str().unwrap().to_string())
            .collect();
        texts.sort();
        texts
    };
    assert_eq!(texts(&desktop), ["desktop's", "laptop's", "laptop's again"]);

    // undo on the desktop takes back the desktop's own edit, not the laptop's delete;
    // and #1, deleted since, stays deleted.
    let out = desktop.ok(&["undo"]);
    assert!(
        out.contains("Undid `edit`") && out.contains("kept action #1 as it is"),
        "{out}"
    );
    assert_eq!(texts(&desktop), ["desktop's", "laptop's", "laptop's again"]);
    // Then the desktop's own log, and then nothing: the rest came from the laptop.
    let actions = desktop.json(&["actions"]);
    let own = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["text"] == "desktop's")
        .unwrap()["id"]
        .clone();
    let out = desktop.ok(&["undo"]);
    assert!(
        out.contains("Undid `log`") && out.contains(&format!("removed action #{own}")),
        "{out}"
    );
    assert_eq!(texts(&desktop), ["laptop's", "laptop's again"]);
    desktop.ok(&["check"]);
}

#[test]
fn undo_after_a_pull_that_put_another_machines_change_first_puts_that_one_back() {
    let laptop = Env::new();
    laptop.ok_at("2026-11-16 09:00", &["log", "Acme", "as logged"]);
    let desktop = copy_of(&laptop);
    let base = desktop.dir.path().join("base.jsonl");
    std::fs::copy(desktop.store(), &base).unwrap();
    // Both edit #1; the laptop's edit is earlier, so a merge puts it first.
    laptop.ok_at("2026-11-17 09:00", &["edit", "1", "--text", "the laptop's"]);
    desktop.ok_at(
        "2026-11-17 10:00",
        &["edit", "1", "--text", "the desktop's"],
    );
    let ours = desktop.store();
    desktop.ok_at(
        "2026-11-18 09:00",
        &[
            "merge-driver",
            base.to_str().unwrap(),
            ours.to_str().unwrap(),
            laptop.store().to_str().unwrap(),
        ],
    );
    let text = |env: &Env| env.json(&["actions"])[0]["text"].clone();
    assert_eq!(text(&desktop), "the desktop's");
    // Undoing the desktop's edit gives back the version before it in the merged
    // journal (the laptop's), not the one the desktop saw when it edited.
    desktop.ok_at("2026-11-18 09:05", &["undo"]);
    assert_eq!(text(&desktop), "the laptop's");
    assert_eq!(desktop.json(&["check"])["problems"], serde_json::json!([]));
}
