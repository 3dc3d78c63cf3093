//! `remind`: one short line per follow-up due today or overdue, nothing when none, and
//! never a write, a wait for the lock or a rebuild; and the README's recipes for cron,
//! systemd and shell prompts, run as written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

use crate::Env;
use crate::hostile::{assert_inert, client, follow_up, plant};

/// At `NOW` (Friday 2026-11-20): #1 three days overdue, #2 due today, #3 due tomorrow,
/// #4 a day overdue, #5 overdue but done, #6 overdue but cancelled.
fn promises(env: &Env) {
    for (client, text, due) in [
        ("Globex", "send the pricing deck", "2026-11-17"),
        ("Acme", "call back about the renewal", "today"),
        ("Initech", "introduce their CFO", "tomorrow"),
        ("Hooli", "collect pilot feedback", "yesterday"),
        ("Umbrella", "share the checklist", "2026-11-10"),
        ("Soylent", "taste the new flavour", "2026-11-12"),
    ] {
        env.ok(&["fu", client, text, "--due", due]);
    }
    env.ok(&["done", "5"]);
    env.ok(&["cancel", "6"]);
}

const DUE: &str = "\
#1 Globex: send the pricing deck (3 days overdue)
#4 Hooli: collect pilot feedback (1 day overdue)
#2 Acme: call back about the renewal (due today)
";

/// Every file beside the journal, with its bytes.
fn files(env: &Env) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(env.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn snapshot(env: &Env) -> PathBuf {
    let mut path = env.store().into_os_string();
    path.push(".snapshot");
    PathBuf::from(path)
}

#[test]
fn one_line_per_follow_up_due_today_or_overdue_most_overdue_first() {
    let env = Env::new();
    promises(&env);
    assert_eq!(env.ok(&["remind"]), DUE);
    assert_eq!(env.ok(&["remind", "--count"]), "3\n");
    // What the next day brings: #3 is due, and the others one day later.
    let tomorrow = env.ok_at("2026-11-21 08:00", &["remind"]);
    assert_eq!(
        tomorrow,
        "#1 Globex: send the pricing deck (4 days overdue)\n\
         #4 Hooli: collect pilot feedback (2 days overdue)\n\
         #2 Acme: call back about the renewal (1 day overdue)\n\
         #3 Initech: introduce their CFO (due today)\n"
    );
    // Changes made since the snapshot count: one moved in, one closed.
    env.ok(&["snooze", "3", "today"]);
    env.ok(&["done", "1"]);
    let now = env.ok(&["remind"]);
    assert_eq!(
        now,
        "#4 Hooli: collect pilot feedback (1 day overdue)\n\
         #2 Acme: call back about the renewal (due today)\n\
         #3 Initech: introduce their CFO (due today)\n"
    );
    // The same follow-ups `upcoming --days 0` lists, read another way.
    let nums = |v: Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        nums(env.json(&["remind"])),
        nums(env.json(&["upcoming", "--days", "0"]))
    );
}

#[test]
fn nothing_at_all_is_printed_when_nothing_is_due() {
    let env = Env::new();
    env.ok(&["fu", "Initech", "introduce their CFO", "--due", "tomorrow"]);
    env.ok(&["fu", "Acme", "call back", "--due", "today"]);
    env.ok(&["done", "2"]);
    prints_nothing(
        &env,
        &[
            &["remind"][..],
            &["remind", "--count"],
            &["--color", "always", "remind"],
        ],
    );
    assert_eq!(env.json(&["remind"]), json!([]));
    assert_eq!(env.json(&["remind", "--count"]), json!(0));
}

/// Each of `commands` succeeds and prints nothing at all, on stdout or stderr.
fn prints_nothing(env: &Env, commands: &[&[&str]]) {
    for args in commands {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}");
        assert_eq!(
            (&out.stdout[..], &out.stderr[..]),
            (&b""[..], &b""[..]),
            "{args:?}"
        );
    }
}

#[test]
fn json_gives_each_follow_up_as_overdue_does() {
    let env = Env::new();
    promises(&env);
    let json = env.json(&["remind"]);
    let rows = json.as_array().unwrap();
    let brief: Vec<Value> = rows
        .iter()
        .map(|f| {
            json!({"id": f["id"], "client": f["client"], "text": f["text"], "due": f["due"],
                   "days_overdue": f["days_overdue"], "status": f["status"]})
        })
        .collect();
    assert_eq!(
        Value::Array(brief),
        json!([
            {"id": 1, "client": "Globex", "text": "send the pricing deck", "due": "2026-11-17", "days_overdue": 3, "status": "open"},
            {"id": 4, "client": "Hooli", "text": "collect pilot feedback", "due": "2026-11-19", "days_overdue": 1, "status": "open"},
            {"id": 2, "client": "Acme", "text": "call back about the renewal", "due": "2026-11-20", "days_overdue": 0, "status": "open"},
        ])
    );
    // The overdue ones exactly as `overdue` gives them.
    assert_eq!(Value::Array(rows[..2].to_vec()), env.json(&["overdue"]));
    assert_eq!(env.json(&["remind", "--count"]), json!(3));
}

#[test]
fn without_a_store_it_prints_nothing_and_creates_nothing() {
    let env = Env::new();
    prints_nothing(&env, &[&["remind"][..], &["remind", "--count"]]);
    assert_eq!(env.json(&["remind"]), json!([]));
    assert!(!env.store().parent().unwrap().exists());
}

#[test]
fn a_missing_snapshot_is_not_rebuilt_and_the_answer_is_the_same() {
    let env = Env::new();
    promises(&env);
    std::fs::remove_file(snapshot(&env)).unwrap();
    let before = files(&env);
    assert_eq!(env.ok(&["remind"]), DUE);
    assert_eq!(env.ok(&["remind", "--count"]), "3\n");
    assert_eq!(files(&env), before, "nothing written");
    assert!(!snapshot(&env).exists());
    // Another read does rebuild it.
    env.ok(&["overdue"]);
    assert!(snapshot(&env).exists());
}

#[test]
fn a_snapshot_believed_after_a_check_is_not_sealed_by_remind() {
    let env = Env::new();
    promises(&env);
    // The journal's times change but not its bytes (a backup tool, `touch`): the
    // snapshot is checked against the journal's bytes, and a read that finds it good
    // writes a new seal so the next one need not check again. Not `remind`.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let journal = std::fs::File::options()
        .write(true)
        .open(env.store())
        .unwrap();
    journal.set_modified(old).unwrap();
    let before = files(&env);
    assert_eq!(env.ok(&["remind"]), DUE);
    assert_eq!(files(&env), before, "nothing written");
    env.ok(&["overdue"]);
    assert_ne!(files(&env), before, "overdue seals it");
}

/// Runs `extramile remind` under `timeout`, so a wait for the lock (which the test holds
/// until the command is done, so a wait would never end) fails the test. The limit only
/// stops a hang: it is far above any run time, even on a loaded machine.
fn remind_within_seconds(env: &Env) -> Output {
    let cmd = env.command(&["remind"]);
    let mut timed = Command::new("timeout");
    timed.arg("120").arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    timed.output().unwrap()
}

#[test]
fn it_never_waits_for_the_lock_and_a_change_being_written_is_not_seen() {
    let env = Env::new();
    promises(&env);
    let mut lock_path = env.store().into_os_string();
    lock_path.push(".lock");
    let lock = std::fs::File::open(&lock_path).unwrap();
    lock.lock().unwrap();
    // A writer holds the lock, halfway through appending its line.
    let mut journal = env.store_bytes();
    journal.extend_from_slice(br#"{"at":"2026-11-20T10:00:00Z","records":[{"type":"follow-up""#);
    std::fs::write(env.store(), &journal).unwrap();
    let out = remind_within_seconds(&env);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), DUE);
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "",
        "no damage to report"
    );
    assert_eq!(env.store_bytes(), journal, "the line is left to its writer");
    drop(lock);
    // With the lock free, a cut-short line is no write under way: it is reported. Shown
    // on a store whose lock this test never held: a process another test is starting
    // keeps a copy of a held lock's descriptor until its exec, which would hold it on.
    let free = Env::new();
    promises(&free);
    let mut journal = free.store_bytes();
    journal.extend_from_slice(br#"{"at":"2026-11-20T10:00:00Z","records":[{"type":"follow-up""#);
    std::fs::write(free.store(), &journal).unwrap();
    let out = free.run(&["remind"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), DUE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cut short"), "{stderr}");
}

#[test]
fn hostile_text_is_shown_visibly_on_one_line() {
    let env = Env::new();
    plant(
        &env,
        json!([
            client("c1", "Evil\u{1b}]0;pwned\u{7}"),
            follow_up("f1", 2, "c1", "hide \u{202e}txet\nand \u{1b}[2J clear"),
        ]),
    );
    let out = env.run(&["remind"]);
    assert!(out.status.success());
    assert_inert("remind", &out.stdout);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "#2 Evil\\e]0;pwned\\u{7}: hide \\u{202e}txet\\nand \\e[2J clear (2 days overdue)\n"
    );
    let out = env.run(&["--format", "markdown", "remind"]);
    assert!(out.status.success());
    assert_inert("markdown", &out.stdout);
    // JSON escapes them as JSON does, and gives back the text exactly.
    assert_eq!(
        env.json(&["remind"])[0]["text"],
        "hide \u{202e}txet\nand \u{1b}[2J clear"
    );
}

#[test]
fn long_lines_are_cut_to_80_columns_keeping_the_number_and_the_due() {
    let env = Env::new();
    let long = "bring the signed contract, the pricing deck and the onboarding plan to the \
                quarterly review with their whole finance team";
    env.ok(&["fu", "Acme", long, "--due", "today"]);
    env.ok(&[
        "fu",
        "Globex",
        "会議の資料を送る前に、価格表と導入計画を全部見直して、財務チームに確認する",
        "--due",
        "today",
    ]);
    env.ok(&[
        "fu",
        "Wayne Enterprises International Holdings and Subsidiaries Worldwide Limited",
        long,
        "--due",
        "2026-11-01",
        "--new",
    ]);
    env.ok(&["fu", "Hooli", "short", "--due", "today"]);
    let out = env.ok(&["remind"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for line in &lines {
        assert!(line.width() <= 80, "{} columns: {line}", line.width());
    }
    assert!(
        lines[0].starts_with("#3 Wayne Enterprises International Holdings"),
        "{out}"
    );
    assert!(lines[0].ends_with("… (19 days overdue)"), "{out}");
    assert!(
        lines[1].starts_with("#1 Acme: bring the signed contract"),
        "{out}"
    );
    assert!(lines[1].ends_with("… (due today)"), "{out}");
    assert!(lines[2].starts_with("#2 Globex: 会議の資料"), "{out}");
    assert!(lines[2].ends_with("… (due today)"), "{out}");
    assert!(lines[2].width() >= 78, "as much as fits: {}", lines[2]);
    assert_eq!(lines[3], "#4 Hooli: short (due today)");
    // The text itself is kept whole.
    assert_eq!(env.json(&["remind"])[1]["text"], long);
}

#[test]
fn csv_is_refused_with_the_command_that_gives_it() {
    let env = Env::new();
    promises(&env);
    let err = env.fails(2, &["--format", "csv", "remind"]);
    assert!(err.contains("upcoming --days 0 --format csv"), "{err}");
}

/// The fenced blocks in `lang` of the README's "Reminders" section, in order.
fn recipes(lang: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("\n## Reminders\n")
        .expect("a Reminders section");
    let section = &readme[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let fence = format!("```{lang}\n");
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(at) = rest.find(&fence) {
        let body = &rest[at + fence.len()..];
        let end = body.find("```\n").expect("a closed block");
        blocks.push(body[..end].to_string());
        rest = &body[end..];
    }
    assert!(!blocks.is_empty(), "no ```{lang} block under Reminders");
    blocks
}

/// A home with `~/.cargo/bin/extramile` and a `notify-send` that records what it was
/// given, for running a recipe as cron or systemd would.
struct Desktop {
    home: PathBuf,
    bin: PathBuf,
}

impl Desktop {
    fn new(env: &Env) -> Desktop {
        let home = env.dir.path().join("home");
        let cargo_bin = home.join(".cargo").join("bin");
        std::fs::create_dir_all(&cargo_bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_extramile"), cargo_bin.join("extramile"))
            .unwrap();
        let bin = env.dir.path().join("fake-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let record = env.dir.path().join("notified");
        let script = format!(
            "#!/bin/sh\nprintf '%s' \"$DBUS_SESSION_BUS_ADDRESS\" > '{0}.bus'\n\
             for a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{0}'\n",
            record.display()
        );
        let notify = bin.join("notify-send");
        std::fs::write(&notify, script).unwrap();
        let mut permissions = std::fs::metadata(&notify).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&notify, permissions).unwrap();
        Desktop { home, bin }
    }

    /// Runs `script` in `sh` with only what cron or systemd give a job (and the store
    /// and clock of `env`); returns whether it succeeded, and the notification's
    /// arguments and bus address when one was sent.
    fn run(&self, env: &Env, script: &str) -> (bool, Option<(Vec<String>, String)>) {
        let record = env.dir.path().join("notified");
        let _ = std::fs::remove_file(&record);
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("EXTRAMILE_STORE", env.store())
            .env("EXTRAMILE_NOW", &env.now)
            .env("TZ", &env.tz)
            .output()
            .unwrap();
        let notified = std::fs::read_to_string(&record).ok().map(|args| {
            let args = args.split_terminator('\0').map(str::to_string).collect();
            let mut bus = record.into_os_string();
            bus.push(".bus");
            (args, std::fs::read_to_string(bus).unwrap())
        });
        (out.status.success(), notified)
    }
}

fn uid() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn notification(env: &Env) -> Vec<String> {
    let due = env.ok(&["remind"]);
    ["-a", "extramile", "Follow-ups due", due.trim_end()]
        .map(str::to_string)
        .to_vec()
}

#[test]
fn the_readme_cron_line_notifies_what_is_due_and_nothing_else() {
    let env = Env::new();
    promises(&env);
    let desktop = Desktop::new(&env);
    let cron = recipes("crontab").remove(0);
    let line = cron.lines().find(|l| !l.starts_with('#')).unwrap();
    // The five time fields, then the command, which cron gives to `sh`.
    let mut command = line.trim_start();
    for _ in 0..5 {
        command = command.split_once([' ', '\t']).unwrap().1.trim_start();
    }
    let (_, notified) = desktop.run(&env, command);
    let bus = format!("unix:path=/run/user/{}/bus", uid());
    assert_eq!(notified, Some((notification(&env), bus)));
    env.ok(&["done", "1", "2", "4"]);
    assert_eq!(
        desktop.run(&env, command).1,
        None,
        "nothing due, no notification"
    );
}

#[test]
fn the_readme_systemd_service_notifies_and_succeeds_when_nothing_is_due() {
    let env = Env::new();
    promises(&env);
    let desktop = Desktop::new(&env);
    let units = recipes("ini");
    let service = units.iter().find(|u| u.contains("[Service]")).unwrap();
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    // What systemd makes of it: `%h` is the home, `$$` a `$`; it splits the words as
    // `sh` does for these quotes.
    let home = desktop.home.to_str().unwrap();
    let command = exec.replace("%h", home).replace("$$", "$");
    let (ok, notified) = desktop.run(&env, &command);
    assert!(ok);
    let (args, _) = notified.unwrap();
    assert_eq!(args, notification(&env));
    env.ok(&["done", "1", "2", "4"]);
    assert_eq!(
        desktop.run(&env, &command),
        (true, None),
        "no failed unit either"
    );
}

#[test]
fn the_readme_systemd_units_pass_systemd_analyze() {
    let present = Command::new("systemd-analyze").arg("--version").output();
    if !present.is_ok_and(|o| o.status.success()) {
        eprintln!("systemd-analyze is not installed: the unit files are not verified here");
        return;
    }
    let env = Env::new();
    let units = recipes("ini");
    assert_eq!(units.len(), 2, "a service and a timer");
    let dir = env.dir.path().join("units");
    let runtime = env.dir.path().join("runtime");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    let mut paths = Vec::new();
    for unit in &units {
        let kind = if unit.contains("[Timer]") {
            "timer"
        } else {
            "service"
        };
        let path = dir.join(format!("extramile-remind.{kind}"));
        std::fs::write(&path, unit).unwrap();
        paths.push(path);
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .args(&paths)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", env.dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    // And the README names them as they are installed.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in ["extramile-remind.service", "extramile-remind.timer"] {
        assert!(
            readme.contains(&format!("~/.config/systemd/user/{name}")),
            "{name}"
        );
    }
    assert!(readme.contains("systemctl --user enable --now extramile-remind.timer"));
}

/// Runs a prompt recipe in `shell` with `setup` before and `show` after it; returns
/// what `show` printed.
fn prompt(env: &Env, shell: &[&str], setup: &str, recipe: &str, show: &str) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_extramile")).parent().unwrap();
    let out = Command::new(shell[0])
        .args(&shell[1..])
        .arg(format!("{setup}\n{recipe}\n{show}"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("LC_ALL", "C.UTF-8")
        .env("EXTRAMILE_STORE", env.store())
        .env("EXTRAMILE_NOW", &env.now)
        .env("TZ", &env.tz)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_readme_bash_prompt_shows_how_many_are_due() {
    let env = Env::new();
    let recipe = recipes("bash").remove(0);
    let shown = |env: &Env| {
        prompt(
            env,
            &["bash", "--norc", "--noprofile", "-c"],
            "PS1='$ '",
            &recipe,
            r#"printf '%s' "${PS1@P}""#,
        )
    };
    assert_eq!(shown(&env), "$ ", "no store yet");
    promises(&env);
    assert_eq!(shown(&env), "⏰3 $ ");
    env.ok(&["done", "1", "2", "4"]);
    assert_eq!(shown(&env), "$ ");
}

#[test]
fn the_readme_zsh_prompt_shows_how_many_are_due() {
    if Command::new("zsh").arg("--version").output().is_err() {
        eprintln!("zsh is not installed: its prompt recipe is not run here");
        return;
    }
    let env = Env::new();
    let recipe = recipes("zsh").remove(0);
    let shown = |env: &Env| {
        prompt(
            env,
            &["zsh", "-f", "-c"],
            "PROMPT='%% '",
            &recipe,
            // What zsh does before each prompt, then the prompt as shown.
            "for f in $precmd_functions; do $f; done\nprint -rn -- ${(%)PROMPT}",
        )
    };
    promises(&env);
    assert_eq!(shown(&env), "⏰3 % ");
    env.ok(&["done", "1", "2", "4"]);
    assert_eq!(shown(&env), "% ");
}
