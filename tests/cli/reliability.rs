//! Nothing a user logged is lost: kill -9 mid-write, concurrent writers with readers and
//! edits, a full disk, read-only files, symlinks, open permissions, oversized input.

use std::process::Stdio;

use serde_json::Value;

use crate::{Env, Lcg, check_fails};

fn texts(env: &Env) -> Vec<String> {
    env.json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kill_9_at_random_moments_never_loses_a_reported_write() {
    let env = Env::new();
    env.ok(&["log", "Acme", "before the storm"]);
    let mut random = Lcg(20261122);
    let mut reported = vec!["before the storm".to_string()];
    for i in 0..220 {
        let text = format!("write {i}");
        let mut child = env
            .command(&["log", "Acme", &text, "--follow-up", "fri"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Every tenth write runs to the end; the others are killed at a random moment.
        if i % 10 != 0 {
            std::thread::sleep(std::time::Duration::from_micros(random.below(6000)));
            let _ = child.kill();
        }
        if child.wait().unwrap().success() {
            reported.push(text);
        }
    }
    let present = texts(&env);
    for text in &reported {
        assert!(
            present.contains(text),
            "'{text}' reported success but is gone"
        );
    }
    assert!(
        reported.len() > 22,
        "at least the writes left to finish reported success"
    );
    let out = env.run(&["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    env.ok(&["log", "Acme", "after the storm"]);
    assert!(texts(&env).contains(&"after the storm".to_string()));
    let health = env.json(&["check"]);
    assert_eq!(health["problems"], serde_json::json!([]));
    assert_eq!(
        health["actions"].as_u64().unwrap() as usize,
        present.len() + 1
    );
}

#[test]
fn thirty_two_concurrent_writers_readers_and_editors() {
    let env = Env::new();
    env.ok(&["log", "Acme", "seed"]);
    let mut children = Vec::new();
    for i in 0..32 {
        let args: Vec<String> = match i % 4 {
            0 => vec![
                "edit".into(),
                "1".into(),
                "--text".into(),
                format!("edited by {i}"),
            ],
            1 => vec!["actions".into()],
            _ => vec![
                "log".into(),
                if i % 2 == 0 {
                    "Acme".into()
                } else {
                    "Globex".into()
                },
                format!("writer {i}"),
            ],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        children.push(
            env.command(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let actions = env.json(&["actions"]);
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 17, "the seed and 16 writers");
    let mut nums: Vec<u64> = actions.iter().map(|a| a["id"].as_u64().unwrap()).collect();
    nums.sort();
    nums.dedup();
    assert_eq!(nums.len(), 17, "unique short numbers");
    for i in (0..32).filter(|i| i % 4 >= 2) {
        assert!(
            actions.iter().any(|a| a["text"] == format!("writer {i}")),
            "writer {i} lost"
        );
    }
    let seed = actions.iter().find(|a| a["id"] == 1).unwrap();
    assert!(seed["text"].as_str().unwrap().starts_with("edited by"));
    assert_eq!(env.json(&["clients"]).as_array().unwrap().len(), 2);
    assert_eq!(env.json(&["check"])["problems"], serde_json::json!([]));
}

#[test]
fn oversized_input_is_refused_with_a_clear_message() {
    let env = Env::new();
    env.ok(&["log", "Acme", "existing"]);
    let before = env.store_bytes();
    let err = env.fails(2, &["log", "Acme", &"n".repeat(100_000)]);
    assert!(err.contains("the limit is 16384 bytes"), "{err}");
    let err = env.fails(2, &["log", &"c".repeat(100_000), "x"]);
    assert!(err.contains("the limit is 200"), "{err}");
    let file = env.dir.path().join("huge.csv");
    std::fs::write(
        &file,
        format!(
            "type,client,text,at\naction,Acme,{},2026-11-01\n",
            "x".repeat(10 << 20)
        ),
    )
    .unwrap();
    let err = env.fails(2, &["import", file.to_str().unwrap()]);
    assert!(
        err.contains("row 1") && err.contains("limit"),
        "{}",
        &err[..200.min(err.len())]
    );
    assert_eq!(env.store_bytes(), before);
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::*;

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Whether this process is held to file permissions (root is not).
    fn permissions_apply(dir: &Path) -> bool {
        let probe = dir.join("probe");
        std::fs::write(&probe, "").unwrap();
        chmod(&probe, 0o444);
        let held = std::fs::OpenOptions::new()
            .append(true)
            .open(&probe)
            .is_err();
        std::fs::remove_file(&probe).unwrap();
        held
    }

    /// Runs the binary under a file-size limit of `blocks` 512-byte blocks, with SIGXFSZ
    /// ignored so an over-long write fails instead of killing the process.
    fn under_size_limit(env: &Env, blocks: u64, args: &[&str]) -> std::process::Output {
        let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
        let cmd = env.command(args);
        let program = cmd.get_program().to_owned();
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c").arg(script).arg(program).args(args);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => sh.env(key, v),
                None => sh.env_remove(key),
            };
        }
        sh.output().unwrap()
    }

    #[test]
    fn a_full_disk_or_size_limit_fails_cleanly_and_keeps_earlier_data() {
        let env = Env::new();
        env.ok(&["log", "Acme", "kept"]);
        let before = env.store_bytes();
        let blocks = before.len() as u64 / 512 + 2;
        let note = "x".repeat(15_000);
        let out = under_size_limit(&env, blocks, &["log", "Acme", &note]);
        let err = check_fails(1, &["log", "under a size limit"], out);
        assert!(err.contains("could not append to"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(
            env.store_bytes(),
            before,
            "the journal ends on a whole change"
        );
        assert_eq!(
            files_in(env.store().parent().unwrap()),
            [
                "journal.jsonl",
                "journal.jsonl.lock",
                "journal.jsonl.machine"
            ]
        );
        assert_eq!(texts(&env), ["kept"]);

        // A new store that cannot be written leaves nothing behind either.
        let fresh = Env::new();
        let out = under_size_limit(&fresh, 0, &["log", "Acme", "x"]);
        check_fails(1, &["log", "with no room"], out);
        assert!(!fresh.store().exists());
        let leftovers: Vec<String> = files_in(fresh.store().parent().unwrap())
            .into_iter()
            .filter(|n| n != "journal.jsonl.lock")
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "no stray temp files");
    }

    /// Runs the binary as an unprivileged user when this process is root (which file
    /// permissions do not hold back): through `setpriv`, as nobody, owning `env`'s files.
    fn as_unprivileged(env: &Env, args: &[&str]) -> Option<std::process::Command> {
        let cmd = env.command(args);
        if permissions_apply(env.dir.path()) {
            return Some(cmd);
        }
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        chown_all(env.dir.path());
        let mut wrapped = std::process::Command::new(setpriv);
        wrapped
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(cmd.get_program())
            .args(args);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => wrapped.env(key, v),
                None => wrapped.env_remove(key),
            };
        }
        Some(wrapped)
    }

    fn chown_all(path: &Path) {
        std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                chown_all(&entry.unwrap().path());
            }
        }
    }

    #[test]
    fn a_read_only_store_or_directory_fails_with_exit_1_and_changes_nothing() {
        let env = Env::new();
        let run = |args: &[&str]| as_unprivileged(&env, args).map(|mut cmd| cmd.output().unwrap());
        let Some(first) = run(&["log", "Acme", "kept"]) else {
            eprintln!("skipped: running as root without setpriv, so file permissions do not apply");
            return;
        };
        crate::check_ok(&["log"], first);
        let before = env.store_bytes();
        chmod(&env.store(), 0o444);
        let err = check_fails(
            1,
            &["log to a read-only store"],
            run(&["log", "Acme", "more"]).unwrap(),
        );
        assert!(
            err.contains("could not open") && err.contains("journal.jsonl"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(env.store_bytes(), before);
        let listed = crate::check_ok(&["actions"], run(&["actions", "--format", "csv"]).unwrap());
        assert!(listed.contains("kept"), "reading still works: {listed}");

        let dir = env.dir.path().join("locked");
        std::fs::create_dir(&dir).unwrap();
        let mut cmd = as_unprivileged(&env, &["log", "Acme", "x"]).unwrap();
        chmod(&dir, 0o555);
        cmd.env("EXTRAMILE_STORE", dir.join("journal.jsonl"));
        let err = check_fails(1, &["log in a read-only directory"], cmd.output().unwrap());
        assert!(err.contains("could not"), "{err}");
        chmod(&dir, 0o755);
        assert_eq!(files_in(&dir), Vec::<String>::new());
    }

    #[test]
    fn a_symlinked_store_is_followed_and_stays_a_link() {
        let env = Env::new();
        let real_dir = env.dir.path().join("synced");
        std::fs::create_dir(&real_dir).unwrap();
        let mut cmd = env.command(&["log", "Acme", "first"]);
        cmd.env("EXTRAMILE_STORE", real_dir.join("journal.jsonl"));
        assert!(cmd.output().unwrap().status.success());
        std::fs::create_dir_all(env.store().parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(real_dir.join("journal.jsonl"), env.store()).unwrap();

        env.ok(&["log", "Acme", "through the link"]);
        assert!(
            std::fs::symlink_metadata(env.store())
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(texts(&env), ["first", "through the link"]);
        assert!(
            real_dir.join("journal.jsonl.lock").exists(),
            "the lock sits beside the real file"
        );
    }

    #[test]
    fn open_permissions_are_reported_by_check_and_left_as_they_are() {
        let env = Env::new();
        env.ok(&["log", "Acme", "x"]);
        chmod(&env.store(), 0o644);
        let health: Value = env.json(&["check"]);
        let warnings = health["warnings"].as_array().unwrap();
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap().contains("chmod 600")),
            "{warnings:?}"
        );
        env.ok(&["log", "Acme", "y"]);
        assert_eq!(
            std::fs::metadata(env.store()).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
}

#[test]
fn compact_keeps_every_record_and_a_backup_and_stops_undo() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one", "--follow-up", "fri"]);
    env.ok(&["log", "Globex", "two"]);
    env.ok(&["edit", "1", "--text", "one, edited"]);
    env.ok(&["delete", "3"]);
    env.ok(&["done", "2"]);
    env.ok(&["client", "acme", "--cadence", "2w"]);
    let before = env.store_bytes();
    let export = env.ok(&["export"]);
    let out = env.ok(&["compact"]);
    assert!(
        out.starts_with("Compacted ") && out.contains("in 6 changes →"),
        "{out}"
    );
    let after = env.store_bytes();
    assert!(
        after.len() < before.len(),
        "{} → {}",
        before.len(),
        after.len()
    );
    assert_eq!(env.ok(&["export"]), export, "every record as it was");
    let dir = env.store().parent().unwrap().to_path_buf();
    let backups: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".backup-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read(&backups[0]).unwrap(),
        before,
        "the backup is the old journal"
    );
    let err = env.fails(2, &["undo"]);
    assert!(err.contains("history before the compaction"), "{err}");
    assert_eq!(env.json(&["check"])["problems"], serde_json::json!([]));

    // A second compaction keeps the first backup.
    env.ok(&["log", "Acme", "three"]);
    env.ok(&["compact"]);
    let count = std::fs::read_dir(&dir).unwrap().filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".backup-")
    });
    assert_eq!(count.count(), 2);
    let log = env.ok(&["log", "Acme", "four"]);
    assert!(
        log.contains("#5 "),
        "numbers go on after the highest live one: {log}"
    );
}

#[test]
fn temp_files_left_by_a_killed_rewrite_are_reported_and_compact_removes_them() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    let dir = env.store().parent().unwrap().to_path_buf();
    let stale = dir.join(".extramile-tmp-abc123");
    let fresh = dir.join(".extramile-tmp-def456");
    std::fs::write(&stale, "half a journal").unwrap();
    std::fs::write(&fresh, "someone writing right now").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let health = env.json(&["check"]);
    let warnings = health["warnings"].to_string();
    assert!(
        warnings.contains("abc123") && !warnings.contains("def456"),
        "{warnings}"
    );
    env.ok(&["compact"]);
    assert!(!stale.exists(), "the stale one is removed");
    assert!(fresh.exists(), "a recent one may belong to a live writer");
}

#[test]
fn compact_refuses_a_damaged_journal_and_changes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    env.ok(&["log", "Acme", "two"]);
    let mut text = std::fs::read_to_string(env.store()).unwrap();
    text = text.replacen("\"command\":\"log\"", "\"command\":", 1);
    std::fs::write(env.store(), &text).unwrap();
    let err = env.fails(1, &["compact"]);
    assert!(err.contains("line 2"), "{err}");
    assert_eq!(std::fs::read_to_string(env.store()).unwrap(), text);
    let names: Vec<String> = std::fs::read_dir(env.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".backup-")), "{names:?}");
}

#[test]
fn kill_9_during_compaction_leaves_the_old_or_the_new_journal_whole() {
    let env = Env::new();
    let mut csv = String::from("type,client,text,at\n");
    for i in 0..1500 {
        csv += &format!(
            "action,Client {},note {i},2026-10-{:02} 09:00\n",
            i % 30,
            1 + i % 28
        );
    }
    let file = env.dir.path().join("seed.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    for i in 0..10 {
        env.ok(&[
            "edit",
            &(i + 1).to_string(),
            "--text",
            &format!("edited {i}"),
        ]);
    }
    let expected = env.ok(&["export"]);
    let mut random = Lcg(7);
    for _ in 0..25 {
        let mut child = env
            .command(&["compact"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(random.below(20_000)));
        let _ = child.kill();
        child.wait().unwrap();
        assert_eq!(
            env.ok(&["export"]),
            expected,
            "every record, whole, after a kill"
        );
    }
    assert_eq!(env.json(&["check"])["problems"], serde_json::json!([]));
}
