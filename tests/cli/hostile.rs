//! Hostile and careless text: nothing reaches a terminal, a spreadsheet or the store
//! unchecked, and the store's files are never taken for something else.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::Env;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A journal written by hand (or by an older extramile) holding `records` in one change.
pub fn plant(env: &Env, records: Value) {
    let dir = env.store().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let change =
        json!({"at": "2026-11-19T09:00:00Z", "command": "log", "records": records, "id": "k1"});
    let journal = format!(
        "{{\"format\":\"extramile-journal\",\"version\":1}}\n{}\n",
        serde_json::to_string(&change).unwrap()
    );
    std::fs::write(env.store(), journal).unwrap();
}

pub fn client(id: &str, name: &str) -> Value {
    json!({"type": "client", "id": id, "name": name, "created": "2026-11-01T09:00:00Z"})
}

fn action(id: &str, num: u64, client: &str, text: &str) -> Value {
    json!({"type": "action", "id": id, "num": num, "client": client, "kind": "fix", "text": text, "at": "2026-11-19T09:00:00Z"})
}

pub fn follow_up(id: &str, num: u64, client: &str, text: &str) -> Value {
    json!({"type": "follow-up", "id": id, "num": num, "client": client, "text": text, "due": "2026-11-18", "status": "open", "created": "2026-11-17T09:00:00Z"})
}

/// No byte that a terminal would act on: control characters but newline.
pub fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text
        .chars()
        .find(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c));
    assert!(bad.is_none(), "{what} printed {bad:?}: {text}");
}

#[test]
fn control_characters_typed_on_the_command_line_are_refused() {
    let env = Env::new();
    let err = env.fails(2, &["log", "Acme", "\u{1b}]0;pwned\u{7}\u{1b}[2J"]);
    assert!(
        err.contains("U+001B (ESC) at character 1"),
        "names the character and where: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = env.fails(2, &["log", "Ac\u{7}me", "hello"]);
    assert!(err.contains("U+0007 (BEL) at character 3"), "{err}");
    env.fails(
        2,
        &["fu", "Acme", "right-to-left \u{202e}evil", "--due", "mon"],
    );
    env.fails(2, &["log", "Acme", "ok", "--tag", "a\u{1b}b"]);
    env.ok(&["log", "Acme", "two lines\nand\ta tab"]);
    env.fails(2, &["edit", "1", "--text", "now \u{1b}[2J"]);
    env.fails(2, &["client", "Acme", "--rename", "Evil\u{1b}[2J"]);
    env.fails(2, &["client", "Acme", "--tier", "A\u{9b}"]);
    assert!(
        !String::from_utf8(env.store_bytes())
            .unwrap()
            .contains("\\u001b")
    );
}

#[test]
fn no_control_character_reaches_a_terminal_whatever_its_origin() {
    let env = Env::new();
    plant(
        &env,
        json!([
            client("c1", "Evil\u{1b}]0;pwned\u{7}"),
            action("a1", 1, "c1", "clear \u{1b}[2J screen\u{0}"),
            follow_up("f1", 2, "c1", "hide \u{202e}txet"),
        ]),
    );
    for format in ["table", "markdown", "csv"] {
        for args in [
            &["actions"][..],
            &["upcoming"],
            &["overdue"],
            &["clients"],
            &["next"],
            &["client", "Evil"],
            &["report", "week"],
            &[],
        ] {
            let mut all = vec!["--format", format];
            all.extend_from_slice(args);
            let out = env.run(&all);
            assert!(out.status.success(), "{all:?}");
            assert_inert(&format!("{all:?}"), &out.stdout);
        }
    }
    let table = env.ok(&["actions"]);
    assert!(table.contains("\\e[2J"), "shown visibly: {table}");
    // JSON escapes them as JSON does, and gives back the text exactly.
    let out = env.run(&["--format", "json", "actions"]);
    assert_inert("json", &out.stdout);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["text"], "clear \u{1b}[2J screen\u{0}");
    // Errors and confirmations too.
    let out = env.run(&["client", "Evil", "--tier", "A\u{1b}"]);
    assert_eq!(out.status.code(), Some(2));
    assert_inert("error", &out.stderr);
    let out = env.run(&["done", "2"]);
    assert_inert("confirmation", &out.stdout);
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised_and_restored() {
    let env = Env::new();
    let formulas = [
        "=HYPERLINK(\"http://evil\",\"click\")",
        "+SUM(A1)",
        "-2+3",
        "@cmd",
        "'=already quoted",
        "plain",
    ];
    for text in formulas {
        env.ok(&["log", "=Acme", "--", text]);
    }
    let csv = env.ok(&["export", "--format", "csv"]);
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell} in {line}"
            );
        }
    }
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let listing = env.ok(&["--format", "csv", "actions"]);
    assert!(listing.contains("'+SUM(A1)"), "{listing}");

    let file = env.dir.path().join("out.csv");
    std::fs::write(&file, &csv).unwrap();
    let other = Env::new();
    other.ok(&["import", path(&file)]);
    let texts: Vec<String> = other
        .json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, formulas, "the exact original text");
    assert_eq!(other.json(&["clients"])[0]["client"], "=Acme");
}

#[test]
fn every_way_in_applies_the_limits_log_applies() {
    let env = Env::new();
    env.ok(&["log", "Acme", "first"]);
    let export: Value = env.json(&["export"]);
    let before = env.store_bytes();
    let cases = [
        (
            "actions",
            "text",
            json!("x".repeat(10 << 20)),
            "longer than",
        ),
        ("clients", "name", json!("n".repeat(100_000)), "longer than"),
        ("clients", "name", json!("Ev\u{1b}il"), "control character"),
        ("actions", "text", json!("bell\u{7}"), "control character"),
    ];
    for (list, field, value, message) in cases {
        let mut data = export.clone();
        data[list][0][field] = value;
        let file = env.dir.path().join("bad.json");
        std::fs::write(&file, data.to_string()).unwrap();
        let err = env.fails(2, &["import", path(&file)]);
        assert!(
            err.contains(message),
            "{list}.{field}: {}",
            &err[..err.len().min(300)]
        );
        assert_eq!(env.store_bytes(), before);
    }

    // The same through merge and the merge driver.
    let other = Env::new();
    plant(
        &other,
        json!([
            client("c9", &"n".repeat(100_000)),
            action("a9", 1, "c9", "x")
        ]),
    );
    let err = env.fails(2, &["merge", path(&other.store())]);
    assert!(
        err.contains("the incoming change") && err.contains("longer than"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert_eq!(env.store_bytes(), before);
    // Into a store with no journal yet, which is left without one.
    let fresh = Env::new();
    let err = fresh.fails(2, &["merge", path(&other.store())]);
    assert!(
        err.contains("longer than"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(!fresh.store().exists());
    let ours = env.dir.path().join("ours.jsonl");
    std::fs::write(&ours, &before).unwrap();
    let base = env.dir.path().join("base.jsonl");
    std::fs::write(&base, &before).unwrap();
    let out = env.run(&[
        "merge-driver",
        path(&base),
        path(&ours),
        path(&other.store()),
    ]);
    assert!(
        !out.status.success(),
        "git sees a conflict, not a merged bad record"
    );
    assert_eq!(std::fs::read(&ours).unwrap(), before);
}

#[test]
fn a_long_note_never_stalls_a_table() {
    let env = Env::new();
    let long = "word ".repeat(200_000); // 1 MB, as an old journal may hold
    plant(
        &env,
        json!([client("c1", "Acme"), action("a1", 1, "c1", long.trim())]),
    );
    let mut cmd = env.command(&["actions"]);
    cmd.env("COLUMNS", "80");
    let out = cmd.output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        table.contains("[cut: "),
        "{}",
        &table[..table.len().min(2000)]
    );
    assert!(
        table.len() < 10_000,
        "a bounded excerpt: {} bytes",
        table.len()
    );
    let json = env.json(&["actions"]);
    assert_eq!(json[0]["text"].as_str().unwrap().len(), long.trim().len());
    let card = env.ok(&["client", "Acme"]);
    assert!(card.contains(long.trim()), "the card shows it in full");
}

#[cfg(unix)]
#[test]
fn files_it_should_not_touch() {
    // A planted symlink at the lock.
    let env = Env::new();
    env.ok(&["log", "Acme", "first"]);
    let lock = PathBuf::from(format!("{}.lock", env.store().display()));
    std::fs::remove_file(&lock).unwrap();
    let target = env.dir.path().join("planted");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let err = env.fails(1, &["log", "Acme", "second"]);
    assert!(
        err.contains("lock file") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(!target.exists(), "nothing created where the link points");

    // A store that is not a regular file.
    let out = Command::new(env!("CARGO_BIN_EXE_extramile"))
        .args(["--store", "/dev/null", "log", "Acme", "x"])
        .env("EXTRAMILE_NOW", crate::NOW)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert!(!Path::new("/dev/null.lock").exists());

    // An empty journal is refused by merge as by every other command.
    let empty = Env::new();
    std::fs::create_dir_all(empty.store().parent().unwrap()).unwrap();
    std::fs::write(empty.store(), "").unwrap();
    empty.fails(1, &["actions"]);
    let err = empty.fails(1, &["merge", path(&env.store())]);
    assert!(err.contains("no format line"), "{err}");
    assert_eq!(std::fs::read(empty.store()).unwrap(), b"");
}

#[test]
fn errors_that_confuse() {
    // A folder that does not exist yet, named with a trailing slash.
    let env = Env::new();
    let folder = format!("{}/new/", env.dir.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_extramile"))
        .args(["--store", &folder, "log", "Acme", "x"])
        .env("EXTRAMILE_NOW", crate::NOW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.dir.path().join("new").join("journal.jsonl").is_file());

    // Errors name the file asked for, never an internal temp file.
    env.ok(&["log", "Acme", "x"]);
    let err = env.fails(1, &["export", "--output", path(env.dir.path())]);
    assert!(!err.contains(".extramile-tmp"), "{err}");
    assert!(err.contains(path(env.dir.path())), "{err}");

    // A byte-order mark, and a pretty-printed journal.
    let journal = std::fs::read_to_string(env.store()).unwrap();
    std::fs::write(env.store(), format!("\u{feff}{journal}")).unwrap();
    let err = env.fails(1, &["actions"]);
    assert!(err.contains("byte-order mark"), "{err}");
    let mut pretty = String::new();
    for line in journal.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        pretty += &serde_json::to_string_pretty(&value).unwrap();
        pretty.push('\n');
    }
    std::fs::write(env.store(), pretty).unwrap();
    let err = env.fails(1, &["actions"]);
    assert!(
        err.contains("pretty-printed") && err.contains("jq -c"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

/// The first `log` on a fresh HOME fsyncs each new folder's parent, top down (seen in a
/// system-call trace; skipped where strace is not installed).
#[cfg(target_os = "linux")]
#[test]
fn the_stores_own_folders_are_made_durable() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace is not installed; skipping");
        return;
    }
    let env = Env::new();
    let home = env.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let trace = env.dir.path().join("trace");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-e", "trace=mkdir,mkdirat,openat,fsync", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_extramile"))
        .args(["log", "Acme", "first"])
        .env_remove("EXTRAMILE_STORE")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", &home)
        .env("EXTRAMILE_NOW", crate::NOW);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&trace).unwrap();
    // Every folder created is followed by an fsync of its parent.
    let created: Vec<String> = trace
        .lines()
        .filter(|l| l.contains("mkdir") && l.trim_end().ends_with("= 0"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    assert!(created.len() >= 3, "{trace}");
    let mut fds: std::collections::HashMap<String, String> = Default::default();
    let mut synced = Vec::new();
    for line in trace.lines() {
        if line.contains("openat(")
            && let (Some(name), Some(fd)) = (line.split('"').nth(1), line.rsplit("= ").next())
        {
            fds.insert(fd.trim().to_string(), name.to_string());
        }
        if let Some(rest) = line.split("fsync(").nth(1) {
            let fd = rest.split(')').next().unwrap_or("");
            if let Some(name) = fds.get(fd) {
                synced.push(name.clone());
            }
        }
    }
    for dir in &created {
        let parent = Path::new(dir).parent().unwrap().display().to_string();
        assert!(
            synced.contains(&parent),
            "the parent of {dir} was not synced: {synced:?}"
        );
    }
}
