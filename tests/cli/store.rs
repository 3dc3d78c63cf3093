//! The store's guarantees: concurrent writers, cut-short and corrupt lines, versions,
//! and file permissions.

use std::io::Write;

use crate::{Env, check_ok, lines};

#[test]
fn forty_concurrent_logs_leave_exactly_forty_actions_with_unique_numbers() {
    let env = Env::new();
    env.ok(&["log", "Acme", "seed"]);
    let children: Vec<_> = (0..40)
        .map(|i| {
            env.command(&["log", "Acme", &format!("concurrent {i}")])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let actions = env.json(&["actions"]);
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 41);
    let mut nums: Vec<i64> = actions.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    nums.sort();
    assert_eq!(nums, (1..=41).collect::<Vec<_>>());
    for i in 0..40 {
        assert!(
            actions
                .iter()
                .any(|a| a["text"] == format!("concurrent {i}")),
            "concurrent {i} lost"
        );
    }
    let clients = env.json(&["clients"]);
    assert_eq!(
        clients.as_array().unwrap().len(),
        1,
        "one client, not one per racer"
    );
}

#[test]
fn a_torn_last_line_is_ignored_with_a_warning_then_set_aside_by_the_next_write() {
    let env = Env::new();
    env.ok(&["log", "Acme", "kept"]);
    let torn = br#"{"id":"x","at":"2026-11-20T10:00:00Z","command":"log","records":[{"type":"act"#;
    std::fs::OpenOptions::new()
        .append(true)
        .open(env.store())
        .unwrap()
        .write_all(torn)
        .unwrap();

    let out = env.run(&["actions", "--format", "json"]);
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(stderr.starts_with("warning: the last line of"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
    let listed: serde_json::Value = serde_json::from_str(&check_ok(&[], out)).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    env.ok(&["log", "Acme", "after the crash"]);
    let bytes = env.store_bytes();
    assert!(bytes.ends_with(b"\n"));
    assert_eq!(lines(&env.store()), 3, "format line and two changes");
    let aside: Vec<_> = std::fs::read_dir(env.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.contains(".torn-"))
        .collect();
    assert_eq!(aside.len(), 1, "the torn bytes are kept aside");
    let kept = std::fs::read(env.store().parent().unwrap().join(&aside[0])).unwrap();
    assert_eq!(kept, torn);
    let out = env.run(&["actions"]);
    assert!(out.stderr.is_empty(), "no warning once set aside");
    assert_eq!(env.json(&["actions"]).as_array().unwrap().len(), 2);
}

#[test]
fn a_corrupt_middle_line_stops_every_command_and_changes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    env.ok(&["log", "Acme", "two"]);
    env.ok(&["log", "Acme", "three"]);
    let text = std::fs::read_to_string(env.store()).unwrap();
    let mut all: Vec<&str> = text.lines().collect();
    all[2] = "{\"id\": garbage";
    std::fs::write(env.store(), all.join("\n") + "\n").unwrap();
    let before = env.store_bytes();
    for args in [
        &["actions"][..],
        &["log", "Acme", "four"],
        &["clients"],
        &["report", "week"],
        &["done", "1"],
    ] {
        let err = env.fails(1, args);
        assert!(err.contains("line 3 of"), "{args:?}: {err}");
        assert!(err.contains("journal.jsonl"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(env.store_bytes(), before, "{args:?} touched the store");
    }
}

#[test]
fn a_newer_format_version_is_refused() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    let text = std::fs::read_to_string(env.store()).unwrap();
    let newer = text.replacen("\"version\":1", "\"version\":2", 1);
    std::fs::write(env.store(), &newer).unwrap();
    let err = env.fails(1, &["log", "Acme", "two"]);
    assert!(err.contains("newer extramile (format version 2"), "{err}");
    assert_eq!(std::fs::read_to_string(env.store()).unwrap(), newer);
}

#[test]
fn an_empty_or_foreign_file_is_never_taken_for_a_new_store() {
    let env = Env::new();
    std::fs::create_dir_all(env.store().parent().unwrap()).unwrap();
    std::fs::write(env.store(), "").unwrap();
    let err = env.fails(1, &["log", "Acme", "x"]);
    assert!(err.contains("no format line"), "{err}");
    assert_eq!(env.store_bytes(), b"");
    std::fs::write(env.store(), "todo: call Acme\n").unwrap();
    let err = env.fails(1, &["actions"]);
    assert!(err.contains("not an extramile journal"), "{err}");
    assert_eq!(env.store_bytes(), b"todo: call Acme\n");
}

#[test]
fn a_store_path_may_be_a_directory() {
    let env = Env::new();
    let dir = env.dir.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let mut cmd = env.command(&["log", "Acme", "x"]);
    cmd.env("EXTRAMILE_STORE", &dir);
    assert!(cmd.output().unwrap().status.success());
    assert!(dir.join("journal.jsonl").is_file());
    let out = env
        .command(&[
            "--store",
            dir.to_str().unwrap(),
            "actions",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("Acme"));
}

#[cfg(unix)]
#[test]
fn new_store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.ok(&["log", "Acme", "x"]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.store()), 0o600);
    assert_eq!(mode(env.store().parent().unwrap()), 0o700);
    let lock = env.store().with_extension("jsonl.lock");
    assert_eq!(mode(&lock), 0o600);
}

#[test]
fn each_change_is_one_line_and_log_with_follow_up_is_one_change() {
    let env = Env::new();
    env.ok(&["log", "Acme", "x", "--follow-up", "fri"]);
    assert_eq!(lines(&env.store()), 2);
    let text = std::fs::read_to_string(env.store()).unwrap();
    assert!(text.starts_with("{\"format\":\"extramile-journal\",\"version\":1}\n"));
    let change: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let types: Vec<&str> = change["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["client", "action", "follow-up"]);
}
