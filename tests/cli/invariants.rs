//! The store's invariants and the snapshot's honesty: one regression test for each
//! defect of the trust issue, named after it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Env;

fn snapshot(env: &Env) -> PathBuf {
    env.store().with_extension("jsonl.snapshot")
}

fn write(env: &Env, name: &str, content: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The store's records as `export --format json` gives them.
fn export(env: &Env) -> Value {
    env.json(&["export"])
}

/// What `args` prints as JSON with the snapshot as it is, with none, and rebuilt.
fn on_every_read_path(env: &Env, now: &str, args: &[&str]) -> String {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let with = env.ok_at(now, &all);
    let _ = std::fs::remove_file(snapshot(env));
    let without = env.ok_at(now, &all);
    assert!(snapshot(env).exists(), "a read rebuilds a missing snapshot");
    let rebuilt = env.ok_at(now, &all);
    assert_eq!(with, without, "{args:?}: with and without the snapshot");
    assert_eq!(with, rebuilt, "{args:?}: with a rebuilt snapshot");
    with
}

#[test]
fn followups_new_depends_on_the_read_path() {
    let env = Env::new();
    let mut csv = String::from("type,client,text,due,status,done_at\n");
    for n in 0..400 {
        let day = 16 + n % 12;
        csv += &format!("follow-up,Acme,t{n},2026-11-{day:02},done,2026-11-{day:02}T09:00:00Z\n");
    }
    let file = write(&env, "closed.csv", &csv);
    let now = "2026-11-27 10:00";
    env.ok_at(now, &["import", path(&file)]);
    let week: Value =
        serde_json::from_str(&on_every_read_path(&env, now, &["report", "week"])).unwrap();
    // Imported now, closed before: new in the week they were imported (created).
    assert_eq!(week["followups_new"], 400, "{week}");
    let done_this_week = (0..400).filter(|n| 16 + n % 12 >= 23).count();
    assert_eq!(week["followups_done"], done_this_week);
    let month: Value =
        serde_json::from_str(&on_every_read_path(&env, now, &["report", "month"])).unwrap();
    let w48 = month["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["week"] == "2026-W48")
        .unwrap();
    assert_eq!(w48["followups_new"], week["followups_new"]);
    let next: Value = serde_json::from_str(&on_every_read_path(
        &env,
        "2026-12-02 10:00",
        &["report", "week", "--last"],
    ))
    .unwrap();
    assert_eq!(next["followups_new"], 400);
}

#[test]
fn a_damaged_snapshot_is_trusted_and_copied_into_the_journal() {
    let env = Env::new();
    for n in 0..30 {
        env.ok(&["fu", "Acme", &format!("renewal {n}"), "--due", "mon"]);
        env.ok(&["log", &format!("Client {}", n % 7), "a note"]);
    }
    let upcoming = env.ok(&["--format", "json", "upcoming"]);
    let clients = env.ok(&["--format", "json", "clients"]);
    assert!(snapshot(&env).exists());
    let good = std::fs::read(snapshot(&env)).unwrap();

    // Random damage of 1 to 4 bytes anywhere: every read still gives the journal's answer.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    };
    for _ in 0..100 {
        let mut bytes = good.clone();
        for _ in 0..1 + random(4) {
            let at = random(bytes.len());
            bytes[at] ^= 1 + random(255) as u8;
        }
        std::fs::write(snapshot(&env), &bytes).unwrap();
        assert_eq!(env.ok(&["--format", "json", "upcoming"]), upcoming);
        std::fs::write(snapshot(&env), &bytes).unwrap();
        assert_eq!(env.ok(&["--format", "json", "clients"]), clients);
    }

    // A hand-edited snapshot never reaches the journal.
    // What `sed -i s/renewal/RENEWAL/` does to it.
    let mut edited = good.clone();
    for at in 0..edited.len().saturating_sub(7) {
        if &edited[at..at + 7] == b"renewal" {
            edited[at..at + 7].copy_from_slice(b"RENEWAL");
        }
    }
    std::fs::write(snapshot(&env), &edited).unwrap();
    env.ok(&["done", "1"]);
    let journal = String::from_utf8(env.store_bytes()).unwrap();
    assert!(
        !journal.contains("RENEWAL"),
        "the damaged snapshot was copied"
    );
    // `done` rebuilt it; `check` says so when it meets a damaged one itself.
    std::fs::write(snapshot(&env), &edited).unwrap();
    let check = env.fails(1, &["check"]);
    assert!(check.contains("snapshot is damaged"), "{check}");
    env.ok(&["check"]);
}

#[test]
fn a_same_size_hand_edit_of_the_journal_is_hidden_then_reverted() {
    let env = Env::new();
    env.ok(&["fu", "Acme", "send teh deck", "--due", "mon"]);
    for n in 0..5 {
        env.ok(&["log", "Acme", &format!("note {n}")]);
    }
    env.ok(&["upcoming"]);
    assert!(snapshot(&env).exists());
    for n in 5..8 {
        env.ok(&["log", "Acme", &format!("note {n}")]);
    }
    // Fix the typo by hand, keeping the length and the modification time.
    let journal = std::fs::read_to_string(env.store()).unwrap();
    let fixed = journal.replace("send teh deck", "send the deck");
    assert_eq!(fixed.len(), journal.len());
    let reference = env.dir.path().join("reference");
    std::fs::copy(env.store(), &reference).unwrap();
    std::fs::write(env.store(), &fixed).unwrap();
    let touched = std::process::Command::new("touch")
        .arg("-r")
        .arg(&reference)
        .arg(env.store())
        .status()
        .unwrap();
    assert!(touched.success());
    let check = env.fails(1, &["check"]);
    assert!(check.contains("snapshot is stale"), "{check}");
    assert!(env.ok(&["upcoming"]).contains("send the deck"));
    env.ok(&["done", "1"]);
    let journal = std::fs::read_to_string(env.store()).unwrap();
    assert!(!journal.contains("teh"), "the old text was written back");
    env.ok(&["check"]);
}

#[test]
fn undo_after_merge_corrupts_the_store() {
    let a = Env::new();
    let b = Env::new();
    a.ok_at("2026-11-19 09:00", &["log", "Acme", "mine"]);
    b.ok_at("2026-11-19 10:00", &["log", "Acme", "theirs"]);
    b.ok_at(
        "2026-11-19 11:00",
        &["fu", "Globex", "call back", "--due", "mon"],
    );
    let before = export(&a);
    let out = a.ok(&["merge", path(&b.store())]);
    assert!(out.contains("Merged 2 new change(s)"), "{out}");
    a.ok(&["check"]);
    let undone = a.ok(&["undo"]);
    assert!(undone.starts_with("Undid `merge`"), "{undone}");
    a.ok(&["check"]);
    assert_eq!(
        export(&a),
        before,
        "undo gives back the store before the merge"
    );
    // Walking back past the merge undoes this store's own change.
    a.ok(&["undo"]);
    a.ok(&["check"]);
    assert_eq!(export(&a)["actions"], serde_json::json!([]));
    // And the merge can be made again.
    let again = a.ok(&["merge", path(&b.store())]);
    assert!(again.contains("Merged 2 new change(s)"), "{again}");
    a.ok(&["check"]);
}

#[test]
fn merge_renumbers_the_users_own_records() {
    let a = Env::new();
    let file = write(
        &a,
        "a.csv",
        "type,client,text,at\naction,Acme,mine,2026-11-18\n",
    );
    a.ok_at("2026-11-19 12:00", &["import", path(&file)]);
    let b = Env::new();
    b.ok_at("2026-11-19 09:00", &["log", "Acme", "theirs"]);
    let out = a.ok(&["merge", path(&b.store())]);
    assert!(
        out.contains("Renumbered #1 → #2: action #2 (Acme: theirs)"),
        "{out}"
    );
    let actions = a.json(&["actions"]);
    let mine = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["text"] == "mine")
        .unwrap();
    assert_eq!(mine["id"], 1, "the local record keeps its number");
    a.ok(&["check"]);
}

#[test]
fn csv_import_undoes_a_rename() {
    let env = Env::new();
    let a = write(
        &env,
        "a.csv",
        "type,client,text,at\naction,Acorn,first,2026-11-18\n",
    );
    env.ok(&["import", path(&a)]);
    env.ok(&["client", "Acorn", "--rename", "Hooli 94"]);
    let b = write(
        &env,
        "b.csv",
        "type,client,text,at\naction,acorn,second,2026-11-19\n",
    );
    let out = env.ok(&["import", path(&b)]);
    assert!(
        out.contains("2 new, 0 updated"),
        "a new client and its action: {out}"
    );
    let clients = env.json(&["clients"]);
    let names: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acorn", "Hooli 94"]);
    let hooli = env.json(&["actions", "--client", "Hooli 94"]);
    assert_eq!(hooli[0]["text"], "first");
    // A client that already has the name is matched, whatever the case.
    env.ok(&["log", "Initech", "x"]);
    let c = write(
        &env,
        "c.csv",
        "type,client,text,at\naction,INITECH,y,2026-11-19\n",
    );
    env.ok(&["import", path(&c)]);
    assert_eq!(env.json(&["clients"]).as_array().unwrap().len(), 3);
    env.ok(&["check"]);
}

#[test]
fn streak_of_a_future_week() {
    let env = Env::new();
    env.ok(&["log", "Acme", "this week"]);
    let w49 = env.json(&["report", "week", "--week", "2026-W49"]);
    assert_eq!(
        (w49["actions"].as_u64(), w49["streak_weeks"].as_u64()),
        (Some(0), Some(0))
    );
    let w47 = env.json(&["report", "week"]);
    assert_eq!(w47["streak_weeks"], 1);
}

#[test]
fn import_and_merge_skip_the_checks_log_makes() {
    let env = Env::new();
    env.ok(&["log", "Acme", "first"]);
    let mut data = export(&env);
    let before = env.store_bytes();
    // A number out of range.
    data["actions"][0]["id"] = "other-id".into();
    data["actions"][0]["num"] = u64::MAX.into();
    let file = write(&env, "huge.json", &data.to_string());
    let err = env.fails(2, &["import", path(&file)]);
    assert!(err.contains("out of range"), "{err}");
    // A control character in a note.
    data["actions"][0]["num"] = 5.into();
    data["actions"][0]["text"] = "bell \u{7}".into();
    let file = write(&env, "bell.json", &data.to_string());
    let err = env.fails(2, &["import", path(&file)]);
    assert!(err.contains("control character"), "{err}");
    // Two records with one id and different content.
    data["actions"][0]["text"] = "one".into();
    let mut twin = data["actions"][0].clone();
    twin["text"] = "two".into();
    data["actions"].as_array_mut().unwrap().push(twin);
    let file = write(&env, "twins.json", &data.to_string());
    let err = env.fails(2, &["import", path(&file)]);
    assert!(err.contains("other content"), "{err}");
    assert_eq!(env.store_bytes(), before, "nothing was written");
    assert_eq!(
        env.ok(&["log", "Acme", "next"]),
        "Logged #2 for Acme (other) on Fri 2026-11-20.\n"
    );

    // A merged action that reuses a client's id.
    let other = Env::new();
    other.ok(&["log", "Globex", "theirs"]);
    let client_id = export(&env)["clients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let journal = String::from_utf8(other.store_bytes()).unwrap();
    let action_id = export(&other)["actions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(other.store(), journal.replace(&action_id, &client_id)).unwrap();
    let before = env.store_bytes();
    let err = env.fails(2, &["merge", path(&other.store())]);
    assert!(err.contains("would break the store"), "{err}");
    assert_eq!(env.store_bytes(), before);
    env.ok(&["check"]);
}

#[cfg(unix)]
#[test]
fn a_dangling_journal_symlink_is_replaced() {
    let env = Env::new();
    let dir = env.store().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let target = env.dir.path().join("unmounted").join("journal.jsonl");
    std::os::unix::fs::symlink(&target, env.store()).unwrap();
    let err = env.fails(1, &["log", "Acme", "x"]);
    assert!(
        err.contains("symbolic link") && err.contains("does not exist"),
        "{err}"
    );
    env.fails(1, &["actions"]);
    env.fails(1, &["check"]);
    let link = std::fs::symlink_metadata(env.store()).unwrap();
    assert!(link.file_type().is_symlink(), "the link is left as it is");
    assert!(!target.exists());
}

/// The snapshot sums up actions over a year old apart from the recent ones (each
/// client's latest, each day's first and last): an edit or delete of one of those after
/// the snapshot was made is followed, or read afresh, never answered wrongly.
#[test]
fn changes_to_actions_over_a_year_old_show_in_every_read() {
    let env = Env::new();
    let now = "2026-11-20 10:00";
    for (text, at) in [
        ("first", "2025-06-02 09:00"),
        ("second", "2025-06-02 11:00"),
        ("third", "2025-06-02 15:00"),
        ("latest", "2025-07-14 10:00"),
    ] {
        env.ok_at(now, &["log", "Umbrella", text, "--at", at, "--story"]);
    }
    env.ok_at(now, &["log", "Acme", "lately"]);
    let changes: [&[&str]; 5] = [
        &["edit", "4", "--text", "the latest, reworded"],
        &["delete", "2"],
        &["delete", "3"],
        &["delete", "4"],
        &["edit", "1", "--at", "2025-05-01 09:00"],
    ];
    for change in changes {
        // A snapshot made before the change, which the reads take it onto.
        env.ok_at(now, &["check"]);
        env.ok_at(now, change);
        for read in [&["clients"][..], &["next"], &["report", "week"]] {
            on_every_read_path(&env, now, read);
        }
    }
    let clients = env.json(&["clients"]);
    let umbrella = &clients.as_array().unwrap()[1];
    assert_eq!(
        (
            &umbrella["client"],
            &umbrella["actions"],
            &umbrella["last_touch"]
        ),
        (
            &Value::from("Umbrella"),
            &Value::from(1),
            &Value::from("2025-05-01")
        )
    );
}

#[test]
fn the_previous_periods_actions_are_counted_as_changed_since_the_snapshot() {
    let now = "2026-11-04 10:00";
    // A store for each report, as each read leaves its snapshot rebuilt.
    let store = || {
        let env = Env::new();
        // Week 44 (the last of October): what week 45's and November's reports set
        // theirs against, all in the snapshot.
        let before = "2026-10-28 10:00";
        env.ok_at(before, &["log", "Acme", "one"]);
        env.ok_at(before, &["log", "Acme", "two", "--kind", "intro"]);
        env.ok_at(before, &["log", "Globex", "three", "--asked"]);
        env.ok_at(before, &["log", "Initech", "four", "--kind", "intro"]);
        // A story in the period reported on, whose text the reports show.
        let story = [
            "log",
            "Umbrella",
            "the story",
            "--story",
            "--at",
            "2026-11-03 08:00",
        ];
        env.ok_at(now, &story);
        env.ok_at(now, &["index"]);
        // Then: an action moved to another client, one's kind changed, one deleted,
        // one moved out of the period, one deleted and brought back, and one logged
        // back in it.
        env.ok_at(now, &["edit", "1", "--client", "Globex"]);
        env.ok_at(now, &["edit", "2", "--kind", "fix"]);
        env.ok_at(now, &["delete", "3"]);
        env.ok_at(now, &["edit", "4", "--at", "2026-11-03 09:00"]);
        env.ok_at(now, &["delete", "1"]);
        env.ok_at(now, &["undo"]);
        env.ok_at(now, &["log", "Initech", "five", "--at", "2026-10-29 09:00"]);
        env
    };
    for args in [&["report", "week"][..], &["report", "month"]] {
        let with = on_every_read_path(&store(), now, args);
        let report = serde_json::from_str::<Value>(&with).unwrap();
        assert_eq!(report["stories"][0]["text"], "the story", "{args:?}");
        let previous = &report["previous"];
        // one (Globex's now), two (Acme's, a fix now), five (Initech's).
        assert_eq!(
            (
                &previous["actions"],
                &previous["clients_touched"],
                &previous["intros"],
                &previous["asked"]
            ),
            (&3.into(), &3.into(), &0.into(), &0.into()),
            "{args:?}: {previous}"
        );
    }
}
