//! Imports of many records, and their undo: read as streams, in memory that does not
//! grow with the file, and still all or nothing.

use serde_json::Value;

use crate::{Env, Lcg};

/// A CSV of `actions` actions and `follow_ups` follow-ups at a few clients, the same
/// for the same numbers.
fn many(actions: usize, follow_ups: usize) -> String {
    let mut rng = Lcg(7);
    let mut csv = String::from("type,client,kind,text,at,due,status,done_at,tags\n");
    let kinds = ["fix", "idea", "check-in", "touch", "intro", "other"];
    for n in 0..actions {
        let (client, day) = (rng.below(20), 1 + rng.below(28));
        let kind = kinds[rng.below(6) as usize];
        csv.push_str(&format!(
            "action,Client {client},{kind},note {n} for the file,2026-10-{day:02} 09:{:02},,,,q4\n",
            n % 60
        ));
    }
    for n in 0..follow_ups {
        let (client, day) = (rng.below(20), 1 + rng.below(28));
        let status = if n % 3 == 0 {
            ",open,"
        } else {
            ",done,2026-11-02 17:00"
        };
        csv.push_str(&format!(
            "follow-up,Client {client},,call {n} back,2026-09-01 09:00,2026-11-{day:02}{status},\n"
        ));
    }
    csv
}

fn write(env: &Env, name: &str, content: &str) -> String {
    let file = env.dir.path().join(name);
    std::fs::write(&file, content).unwrap();
    file.to_str().unwrap().to_string()
}

/// Runs `args` allowed `megabytes` of memory (of data: the heap, and what is mapped
/// for it), which it must not need more of; waits for any `extramile index` it
/// started in the background (which inherits the limit).
#[cfg(target_os = "linux")]
fn within(env: &Env, megabytes: u64, args: &[&str]) {
    let out = run_within(env, megabytes, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{args:?} in {megabytes} MB: {:?} {stderr}",
        out.status
    );
    if let Ok(lock) = std::fs::File::open(env.store().with_extension("jsonl.indexing")) {
        lock.lock().unwrap();
    }
}

/// Runs `args` allowed `megabytes` of memory (see `within`), whatever its outcome.
#[cfg(target_os = "linux")]
fn run_within(env: &Env, megabytes: u64, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut command = env.command(args);
    command.stdout(std::process::Stdio::null());
    let limit = libc::rlimit {
        rlim_cur: megabytes << 20,
        rlim_max: megabytes << 20,
    };
    // SAFETY: between fork and exec this only calls setrlimit, which is
    // async-signal-safe, with a value of its own.
    unsafe {
        command.pre_exec(move || match libc::setrlimit(libc::RLIMIT_DATA, &limit) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
    command.output().unwrap()
}

/// Twenty thousand records imported into an empty store, imported again (nothing is
/// written), and the import undone, each in less memory than holding them would take
/// (a whole-memory import needs over 30 MB for them).
#[cfg(target_os = "linux")]
#[test]
fn a_large_import_and_its_undo_do_not_hold_the_records() {
    let env = Env::new();
    let file = write(&env, "in.csv", &many(16_000, 4_000));
    within(&env, 24, &["import", &file]);
    within(&env, 24, &["import", &file]);
    within(&env, 24, &["undo"]);
    assert!(env.json(&["actions"]).as_array().unwrap().is_empty());
    assert!(env.json(&["clients"]).as_array().unwrap().is_empty());
    // Nothing is left to undo, which is found from the journal's end too.
    let again = run_within(&env, 24, &["undo"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("there is nothing to undo"), "{stderr}");
}

/// A long journal merged into a store that has none yet is not held either.
#[cfg(target_os = "linux")]
#[test]
fn a_large_journal_merged_into_a_new_store_is_not_held() {
    let env = Env::new();
    env.ok(&["import", &write(&env, "in.csv", &many(16_000, 4_000))]);
    let fresh = Env::new();
    within(&fresh, 24, &["merge", env.store().to_str().unwrap()]);
    assert_eq!(fresh.ok(&["export"]), env.ok(&["export"]));
    fresh.ok(&["check"]);
}

/// The feed, the CRM files, and what `done` says of a number that is not an open
/// follow-up, each in less memory than holding the store's records would take (each
/// needed over 16 MB for these when it held them).
#[cfg(target_os = "linux")]
#[test]
fn feeds_crm_files_and_a_wrong_number_do_not_hold_the_records() {
    let env = Env::new();
    env.ok(&["import", &write(&env, "in.csv", &many(16_000, 4_000))]);
    for args in [
        &["export", "--format", "ics"][..],
        &["export", "--format", "ics", "--tasks"],
        &["export", "--format", "csv", "--to", "hubspot"],
        &["export", "--format", "csv", "--to", "salesforce"],
    ] {
        within(&env, 12, args);
    }
    let action = env.json(&["actions"])[0]["id"].to_string();
    for command in ["done", "snooze", "cancel"] {
        let mut args = vec![command, &action];
        if command == "snooze" {
            args.push("+3d");
        }
        let out = run_within(&env, 12, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("is an action, not a follow-up"), "{stderr}");
    }
    // The import undone: the feed shows each of its follow-ups cancelled, found from
    // the undo's own record of them, without holding the ids it deleted.
    env.ok(&["undo"]);
    let path = env.dir.path().join("feed.ics");
    within(
        &env,
        12,
        &[
            "export",
            "--format",
            "ics",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    let feed = std::fs::read_to_string(path).unwrap();
    assert_eq!(feed.matches("STATUS:CANCELLED").count(), 4_000);
}

/// Actions since long ago (more than the two months `actions --since` holds) are
/// streamed in less memory than holding them would take, the same bytes as the same
/// actions held; and a report, which grows its heap in huge pages where it can, still
/// runs where memory is limited.
#[cfg(target_os = "linux")]
#[test]
fn actions_since_long_ago_stream_and_reports_run_within_a_memory_limit() {
    let env = Env::new();
    env.ok(&["import", &write(&env, "in.csv", &many(16_000, 4_000))]);
    let long_ago = ["actions", "--since", "2026-07-01", "--format", "csv"];
    within(&env, 12, &long_ago);
    let (since, all) = (env.ok(&long_ago), env.ok(&["actions", "--format", "csv"]));
    assert_eq!(since.lines().count(), 16_001);
    assert_eq!(since, all);
    // Every action is in October: from September on they are streamed, from October
    // on (within two months of today) held.
    for flags in [&["--kind", "idea"][..], &["--limit", "7"], &["--tag", "q4"]] {
        let streamed = env.ok(&[&["actions", "--since", "2026-09-01"], flags].concat());
        let held = env.ok(&[&["actions", "--since", "2026-10-01"], flags].concat());
        assert_eq!(streamed, held, "{flags:?}");
    }
    // Less than the 64 MB a report's heap would grow by at once.
    for report in ["week", "month"] {
        within(&env, 48, &["report", report]);
    }
}

/// For people, undo names the first ten things it did and counts the rest; JSON
/// lists them all.
#[test]
fn undo_of_a_large_change_names_a_few_and_counts_the_rest() {
    let env = Env::new();
    let file = write(&env, "in.csv", &many(30, 0));
    env.ok(&["import", &file]);
    let clients = env.json(&["clients"]).as_array().unwrap().len();
    let all = 30 + clients;
    let out = env.ok(&["undo"]);
    assert_eq!(out.matches("; ").count(), 10, "{out}");
    assert!(
        out.ends_with(&format!(
            "; and {} more ({all} in all with --format json).\n",
            all - 10
        )),
        "{out}"
    );
    env.ok(&["import", &file]);
    let undone = env.json(&["undo"]);
    assert_eq!(undone["changes"].as_array().unwrap().len(), all);
}

#[test]
fn a_large_import_lands_whole_and_again_changes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Client 3", "before the import"]);
    let csv = many(6_000, 1_500);
    let file = write(&env, "in.csv", &csv);
    let out = env.ok(&["import", &file]);
    assert_eq!(
        out,
        format!("Imported {file}: 7519 new, 0 updated, 1 already here.\n")
    );
    env.ok(&["check"]);
    let numbers: Vec<u64> = env
        .json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers.len(), 6_001);
    let exported = env.ok(&["export", "--format", "csv"]);
    let before = env.store_bytes();
    let again = env.ok(&["import", &file]);
    assert!(
        again.contains("0 new, 0 updated, 7520 already here"),
        "{again}"
    );
    assert_eq!(env.store_bytes(), before, "nothing was written");
    // Its own export, CSV or JSON, changes nothing either.
    env.reimport_changes_nothing("all.csv", &exported);
    env.reimport_changes_nothing("all.json", &env.ok(&["export"]));
}

#[test]
fn a_bad_row_at_the_end_of_a_large_file_writes_nothing_and_leaves_nothing_behind() {
    let env = Env::new();
    env.ok(&["log", "Acme", "existing"]);
    let before = env.store_bytes();
    let mut csv = String::from("type,id,client,text,at\n");
    for n in 0..8_000 {
        csv.push_str(&format!("action,id{n},Acme,note {n},2026-11-01 09:00\n"));
    }
    // The first id again, with other content.
    csv.push_str("action,id0,Acme,another note,2026-11-01 09:00\n");
    let file = write(&env, "bad.csv", &csv);
    let err = env.fails(2, &["import", &file]);
    assert!(
        err.contains("row 8001: record id0 is also row 1, with other content"),
        "{err}"
    );
    assert_eq!(env.store_bytes(), before);
    let dir = env.store().parent().unwrap().to_path_buf();
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".extramile-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A breach the whole store would have: a number given twice, found at the end.
    let twice = "type,id,client,text,at,num\n\
                 action,x1,Acme,one,2026-11-01 09:00,5\n\
                 action,x2,Acme,two,2026-11-01 09:00,\n";
    let file = write(&env, "fine.csv", twice);
    env.ok(&["import", &file]);
    env.ok(&["check"]);
}

#[test]
fn an_export_reads_whatever_the_order_of_its_lists() {
    let env = Env::new();
    env.ok(&[
        "log",
        "Acme",
        "a call",
        "--with",
        "Ann",
        "--follow-up",
        "fri",
    ]);
    env.ok(&["log", "Globex", "a visit"]);
    env.ok(&["done", "2"]);
    env.ok(&["fu", "Acme", "send the deck", "--due", "mon"]);
    let export: Value = serde_json::from_str(&env.ok(&["export"])).unwrap();
    // The lists backwards, after a field no build knows.
    let mut reordered = String::from("{\"later\": [1, {\"a\": null}]");
    for list in [
        "follow_ups",
        "actions",
        "people",
        "clients",
        "version",
        "format",
    ] {
        reordered.push_str(&format!(",\"{list}\": {}", export[list]));
    }
    reordered.push('}');
    let other = Env::new();
    let file = write(&other, "backwards.json", &reordered);
    assert_eq!(
        other.ok(&["import", &file]),
        format!("Imported {file}: 7 new, 0 updated, 0 already here.\n")
    );
    assert_eq!(other.ok(&["export"]), env.ok(&["export"]));
    // What `Export` would say of a file that lacks a list, or has one twice.
    let without = reordered.replace("\"actions\"", "\"deeds\"");
    let err = other.fails(2, &["import", &write(&other, "without.json", &without)]);
    assert!(
        err.contains("not a JSON export of extramile: missing field `actions`"),
        "{err}"
    );
    let twice = reordered.replace("\"people\"", "\"clients\"");
    let err = other.fails(2, &["import", &write(&other, "twice.json", &twice)]);
    assert!(err.contains("duplicate field `clients`"), "{err}");
}

#[test]
fn undo_of_an_import_takes_back_what_it_added_and_puts_back_what_it_updated() {
    let env = Env::new();
    env.ok(&["log", "Acme", "first note"]);
    env.ok(&["log", "Acme", "second note"]);
    let before = env.ok(&["export"]);
    let mut csv = env.ok(&["export", "--format", "csv"]);
    csv = csv.replace("first note", "first note reworded");
    csv.push_str("action,,Acme,,a new one,2026-11-19T09:00:00+00:00");
    csv.push_str(&",".repeat(19));
    csv.push('\n');
    let file = write(&env, "changes.csv", &csv);
    assert!(
        env.ok(&["import", &file])
            .contains("1 new, 1 updated, 2 already here")
    );
    let undone = env.json(&["undo"]);
    assert_eq!(undone["undid"], "Undid `import` from 2026-11-20 10:00");
    assert_eq!(
        undone["changes"],
        serde_json::json!(["put back the earlier action #1", "removed action #3"])
    );
    assert_eq!(env.ok(&["export"]), before);
    env.ok(&["check"]);

    // Undone again after a change that was itself undone: the changes after it are
    // read too, and what they left is what the import left.
    env.ok(&["import", &file]);
    let new = &env.json(&["actions", "--grep", "a new one"])[0]["id"];
    env.ok(&["edit", &new.to_string(), "--text", "edited since"]);
    assert!(env.ok(&["undo"]).starts_with("Undid `edit`"));
    let out = env.ok(&["undo"]);
    assert_eq!(
        out,
        format!(
            "Undid `import` from 2026-11-20 10:00: put back the earlier action #1; \
             removed action #{new}.\n"
        )
    );
    assert_eq!(env.ok(&["export"]), before);
}

#[test]
fn undo_reads_the_whole_history_when_a_changes_was_is_out_of_order() {
    let env = Env::new();
    env.ok(&["log", "Acme", "one"]);
    env.ok(&["log", "Acme", "two"]);
    let before = env.ok(&["export"]);
    let mut csv = env.ok(&["export", "--format", "csv"]);
    csv = csv.replace(",one,", ",one!,").replace(",two,", ",two!,");
    let file = write(&env, "both.csv", &csv);
    assert!(env.ok(&["import", &file]).contains("0 new, 2 updated"));
    // The import's `was` by hand in the other order: each entry is still there.
    let journal = String::from_utf8(env.store_bytes()).unwrap();
    let last = journal.lines().last().unwrap();
    let change: Value = serde_json::from_str(last).unwrap();
    let was = change["was"].as_array().unwrap();
    assert_eq!(was.len(), 2);
    let swapped = last.replacen(
        &format!("[{},{}]", was[0], was[1]),
        &format!("[{},{}]", was[1], was[0]),
        1,
    );
    assert_ne!(swapped, last);
    std::fs::write(env.store(), journal.replacen(last, &swapped, 1)).unwrap();
    let out = env.ok(&["undo"]);
    assert!(out.contains("put back the earlier action #1"), "{out}");
    assert!(out.contains("put back the earlier action #2"), "{out}");
    assert_eq!(env.ok(&["export"]), before);
}
