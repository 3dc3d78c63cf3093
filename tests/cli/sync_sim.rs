//! Three machines, one git repository: a seeded random schedule of everyday commands,
//! commits, pulls (by merge and by rebase) and pushes, with machines going offline for
//! a few rounds and compacting now and then. At the end every clone holds the same
//! records under the same numbers, `check` passes everywhere, and every record logged
//! is there unless the machine that logged it deleted or undid it. And throughout,
//! every short number any clone showed names the same record on every clone.
//!
//! `EXTRAMILE_SYNC_ROUNDS` (default 6) and `EXTRAMILE_SYNC_SEED` make longer or other runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Env, Lcg, git_run as git};

fn git_ok(dir: &Path, args: &[&str]) -> String {
    crate::git(dir, args)
}

/// Every short number shown, and the record (uid) it named; and the other way round.
#[derive(Default)]
struct Shown {
    records: std::collections::HashMap<u64, String>,
    numbers: std::collections::HashMap<String, u64>,
}

impl Shown {
    /// Notes each `(number, uid)` pair in `value`: a list of records as commands print
    /// them (`id`, `uid`), or an export (`num`, `id`).
    fn observe(&mut self, where_: &str, value: &Value) {
        let mut pairs = Vec::new();
        let lists: Vec<(&Value, &str, &str)> = match value {
            Value::Array(_) => vec![(value, "id", "uid")],
            _ => vec![
                (&value["actions"], "num", "id"),
                (&value["follow_ups"], "num", "id"),
            ],
        };
        for (list, num, uid) in lists {
            for record in list.as_array().into_iter().flatten() {
                if let (Some(n), Some(u)) = (record[num].as_u64(), record[uid].as_str()) {
                    pairs.push((n, u.to_string()));
                }
            }
        }
        for (num, uid) in pairs {
            let named = self.records.entry(num).or_insert_with(|| uid.clone());
            assert_eq!(*named, uid, "#{num} named another record before ({where_})");
            let number = self.numbers.entry(uid.clone()).or_insert(num);
            assert_eq!(
                *number, num,
                "record {uid} was shown as #{number} before ({where_})"
            );
        }
    }
}

/// One machine: its clone, whether it is offline (and for how many more rounds), and
/// what every machine has shown.
struct Machine {
    dir: PathBuf,
    offline: u64,
    shown: std::rc::Rc<std::cell::RefCell<Shown>>,
}

impl Machine {
    fn run(&self, now: &str, args: &[&str]) -> (Option<i32>, String) {
        let env = Env::new();
        let mut cmd = env.command(args);
        cmd.env("EXTRAMILE_STORE", self.dir.join("journal.jsonl"))
            .env("EXTRAMILE_NOW", now);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 2)) && !stderr.contains("panicked"),
            "{args:?} in {}: {stderr}",
            self.dir.display()
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn json(&self, now: &str, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let (code, out) = self.run(now, &all);
        assert_eq!(code, Some(0), "{args:?}");
        let value: Value = serde_json::from_str(&out).unwrap();
        let where_ = format!("{args:?} in {}", self.dir.display());
        self.shown.borrow_mut().observe(&where_, &value);
        value
    }

    /// This machine's own actions (the texts it logged and still has): number, text
    /// and kind.
    fn own(&self, now: &str, mine: &BTreeSet<String>) -> Vec<(u64, String, String)> {
        let actions = self.json(now, &["actions"]);
        let field = |a: &Value, name: &str| a[name].as_str().unwrap().to_string();
        actions
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["id"].as_u64().unwrap(),
                    field(a, "text"),
                    field(a, "kind"),
                )
            })
            .filter(|(_, text, _)| mine.contains(text))
            .collect()
    }

    /// Commits what changed here, without syncing.
    fn commit(&self) {
        git_ok(&self.dir, &["add", "-A"]);
        let _ = git(&self.dir, &["commit", "-qm", "work"]);
    }

    /// Commits what changed, pulls (by merge or rebase) and pushes, retrying a push
    /// that lost a race.
    fn sync(&self, rebase: bool) {
        self.commit();
        for _ in 0..5 {
            let pull = if rebase {
                ["pull", "--rebase", "origin", "main"]
            } else {
                ["pull", "--no-rebase", "origin", "main"]
            };
            let (ok, text) = git(&self.dir, &pull);
            assert!(ok, "pull in {}: {text}", self.dir.display());
            assert!(!text.contains("CONFLICT"), "{text}");
            if git(&self.dir, &["push", "origin", "main"]).0 {
                return;
            }
        }
        panic!("could not push from {}", self.dir.display());
    }
}

fn rounds() -> u64 {
    std::env::var("EXTRAMILE_SYNC_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(6)
}

#[cfg(unix)]
#[test]
fn three_machines_sync_through_git_and_keep_every_record() {
    let seed = std::env::var("EXTRAMILE_SYNC_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(18);
    let mut random = Lcg(seed);
    let root = tempfile::tempdir().unwrap();
    let origin = root.path().join("origin.git");
    git_ok(root.path(), &["init", "--bare", origin.to_str().unwrap()]);
    let driver = format!("{} merge-driver %O %A %B", env!("CARGO_BIN_EXE_extramile"));
    let shown = std::rc::Rc::new(std::cell::RefCell::new(Shown::default()));
    let mut machines: Vec<Machine> = Vec::new();
    for name in ["laptop", "desktop", "tablet"] {
        let dir = root.path().join(name);
        git_ok(
            root.path(),
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        git_ok(&dir, &["config", "merge.extramile.driver", &driver]);
        if machines.is_empty() {
            std::fs::write(
                dir.join(".gitattributes"),
                "journal.jsonl merge=extramile\n",
            )
            .unwrap();
            std::fs::write(dir.join(".gitignore"), "journal.jsonl.*\n").unwrap();
        }
        machines.push(Machine {
            dir,
            offline: 0,
            shown: shown.clone(),
        });
        if machines.len() == 1 {
            let first = &machines[0];
            first.run("2026-12-21 08:00", &["log", "Acme", "the start"]);
            git_ok(&first.dir, &["add", "-A"]);
            git_ok(&first.dir, &["commit", "-qm", "start"]);
            git_ok(&first.dir, &["push", "-q", "origin", "main"]);
        } else {
            git_ok(
                &machines.last().unwrap().dir,
                &["pull", "-q", "origin", "main"],
            );
        }
    }

    let clients = ["Acme", "Globex", "Initech", "Umbrella"];
    // What each machine logged, and what it then took out itself.
    let mut logged: Vec<BTreeSet<String>> = vec![BTreeSet::new(); 3];
    logged[0].insert("the start".into());
    let mut removed: BTreeSet<String> = BTreeSet::new();
    // Records that never reached the shared branch (not cherry-picked, or reverted).
    let mut never: BTreeSet<String> = BTreeSet::new();
    // Each record's kind as its machine's own newest change left it (only the machine
    // that logged a record edits it).
    let mut kinds: std::collections::BTreeMap<String, String> = Default::default();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 21).unwrap();
    for round in 0..rounds() {
        let mut order = vec![0usize, 1, 2];
        for i in (1..order.len()).rev() {
            order.swap(i, random.below(i as u64 + 1) as usize);
        }
        for &m in &order {
            let day = start + chrono::Days::new(round * 2 + random.below(2));
            let now = format!("{day} {:02}:{:02}", 8 + m * 3, random.below(60));
            if round == 1 && m < 2 {
                // A cherry-pick of one commit from a side branch, and a revert.
                let machine = &machines[m];
                machine.commit();
                if m == 0 {
                    git_ok(&machine.dir, &["checkout", "-q", "-b", "side"]);
                    machine.run(&now, &["log", "Acme", "side, not picked"]);
                    machine.commit();
                    machine.run(&now, &["log", "Acme", "side, picked"]);
                    machine.commit();
                    let picked = git_ok(&machine.dir, &["rev-parse", "HEAD"]);
                    git_ok(&machine.dir, &["checkout", "-q", "main"]);
                    git_ok(&machine.dir, &["cherry-pick", picked.trim()]);
                    logged[0].insert("side, picked".into());
                    never.insert("side, not picked".into());
                } else {
                    machine.run(&now, &["log", "Globex", "reverted"]);
                    machine.commit();
                    git_ok(&machine.dir, &["revert", "--no-edit", "HEAD"]);
                    never.insert("reverted".into());
                }
            }
            for op in 0..1 + random.below(4) {
                let machine = &machines[m];
                let client = clients[random.below(clients.len() as u64) as usize];
                let text = format!("m{m} r{round} o{op}");
                match random.below(10) {
                    0..=3 => {
                        let mut args = vec!["log", client, &text];
                        if random.below(3) == 0 {
                            args.extend(["--follow-up", "+3d"]);
                        }
                        if machine.run(&now, &args).0 == Some(0) {
                            logged[m].insert(text.clone());
                        }
                    }
                    4 => {
                        machine.run(&now, &["fu", client, &text, "--due", "+2d"]);
                    }
                    5 => {
                        // Close or move any open follow-up, whoever made it.
                        let open = machine.json(&now, &["upcoming", "--days", "60"]);
                        if let Some(f) = open.as_array().unwrap().first() {
                            let id = f["id"].to_string();
                            if random.below(2) == 0 {
                                machine.run(&now, &["done", &id]);
                            } else {
                                machine.run(&now, &["snooze", &id, "+1w"]);
                            }
                        }
                    }
                    6 => {
                        // Re-kind one of its own actions.
                        let own = machine.own(&now, &logged[m]);
                        let kind = ["fix", "idea", "touch"][random.below(3) as usize];
                        if let Some((id, _, _)) = own.get(random.below(own.len() as u64) as usize) {
                            machine.run(&now, &["edit", &id.to_string(), "--kind", kind]);
                        }
                        for (_, text, kind) in machine.own(&now, &logged[m]) {
                            kinds.insert(text, kind);
                        }
                    }
                    7 => {
                        let own = machine.own(&now, &logged[m]);
                        if let Some((id, text, _)) =
                            own.get(random.below(own.len() as u64) as usize)
                            && machine.run(&now, &["delete", &id.to_string()]).0 == Some(0)
                        {
                            removed.insert(text.clone());
                        }
                    }
                    8 => {
                        // Undo takes back this machine's own last change: a log it takes
                        // back is removed, a delete it takes back restored, an edit undone.
                        let before: BTreeSet<String> = machine
                            .own(&now, &logged[m])
                            .into_iter()
                            .map(|(_, t, _)| t)
                            .collect();
                        if machine.run(&now, &["undo"]).0 == Some(0) {
                            let own = machine.own(&now, &logged[m]);
                            for (_, text, kind) in &own {
                                kinds.insert(text.clone(), kind.clone());
                            }
                            let after: BTreeSet<String> =
                                own.into_iter().map(|(_, t, _)| t).collect();
                            removed.extend(before.difference(&after).cloned());
                            for back in after.difference(&before) {
                                removed.remove(back);
                            }
                        }
                    }
                    _ => {
                        if random.below(3) == 0 {
                            machine.run(&now, &["compact"]);
                        }
                    }
                }
            }
            let machine = &mut machines[m];
            if machine.offline > 0 {
                machine.offline -= 1;
            } else if random.below(6) == 0 {
                machine.offline = 2 + random.below(3);
            } else {
                machine.sync(random.below(2) == 0);
            }
        }
    }

    // Everyone comes back online and syncs twice over.
    for _ in 0..2 {
        for machine in &mut machines {
            machine.offline = 0;
            machine.sync(false);
        }
    }
    let now = "2027-02-01 09:00";
    // The same records everywhere, under the same numbers.
    let exports: Vec<Value> = machines.iter().map(|m| m.json(now, &["export"])).collect();
    let records =
        |export: &Value| -> Vec<String> {
            let mut out: Vec<String> =
                export["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| format!("{} {} {} {}", a["num"], a["text"], a["kind"], a["at"]))
                    .chain(export["follow_ups"].as_array().unwrap().iter().map(|f| {
                        format!("{} {} {} {}", f["num"], f["text"], f["status"], f["due"])
                    }))
                    .chain(
                        export["clients"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c["name"].to_string()),
                    )
                    .collect();
            out.sort();
            out
        };
    for (m, export) in exports.iter().enumerate().skip(1) {
        assert_eq!(records(export), records(&exports[0]), "machine {m} differs");
    }
    let texts: BTreeSet<String> = exports[0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_string())
        .collect();
    for (m, machine_logged) in logged.iter().enumerate() {
        for text in machine_logged.difference(&removed) {
            assert!(
                texts.contains(text),
                "machine {m} logged '{text}', and it is gone"
            );
        }
    }
    for text in removed.iter().chain(&never) {
        assert!(
            !texts.contains(text),
            "'{text}' was taken out, and it came back"
        );
    }
    // Each record as its newest change left it.
    for action in exports[0]["actions"].as_array().unwrap() {
        let text = action["text"].as_str().unwrap();
        if let Some(kind) = kinds.get(text) {
            assert_eq!(action["kind"], kind.as_str(), "the kind of '{text}'");
        }
    }
    for machine in &machines {
        let (code, out) = machine.run(now, &["check"]);
        assert_eq!(code, Some(0), "{out}");
        let journal = std::fs::read_to_string(machine.dir.join("journal.jsonl")).unwrap();
        assert!(!journal.contains("<<<<<<<"));
    }
}
