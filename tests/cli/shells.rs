//! Shell completion (through the protocol the scripts speak, and in the real shells where
//! they are installed), the man page, and the README's install lines in a fresh home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use clap::CommandFactory;

use crate::{Env, check_ok};

/// A store with two clients (one name with a space), two open follow-ups, a closed one,
/// and actions from this week and from long ago.
fn clients_and_follow_ups(env: &Env) {
    env.ok_at(
        "2026-09-01 10:00",
        &["log", "Globex", "an old lunch", "--kind", "touch"],
    );
    env.ok(&[
        "log",
        "Acme Corp",
        "caught an expiring cert",
        "--kind",
        "fix",
        "--follow-up",
        "fri",
    ]);
    env.ok(&["fu", "Globex", "send the pricing deck", "--due", "next tue"]);
    env.ok(&["fu", "Globex", "a call already made", "--due", "mon"]);
    let done = number_of(env, "a call already made");
    env.ok(&["done", &done]);
}

/// The short number of the follow-up or action whose text is `text`.
fn number_of(env: &Env, text: &str) -> String {
    let export = env.json(&["export"]);
    let records = export.as_object().unwrap().values();
    let found = records
        .filter_map(|list| list.as_array())
        .flatten()
        .find(|r| r["text"] == text)
        .unwrap_or_else(|| panic!("no record '{text}' in {export}"));
    found["num"].to_string()
}

/// What the binary offers for the last of `words` (the line up to the cursor, as the
/// shell hands it over), through `shell`'s protocol: one line per candidate, with the
/// description after `:` (zsh) or a tab (fish).
fn offered(env: &Env, shell: &str, words: &[&str]) -> Vec<String> {
    let out = completer(env, shell, words).output().unwrap();
    let stdout = check_ok(words, out);
    stdout.lines().map(str::to_string).collect()
}

fn completer(env: &Env, shell: &str, words: &[&str]) -> Command {
    let mut cmd = env.command(&["--"]);
    cmd.args(words)
        .env("COMPLETE", shell)
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string());
    cmd
}

/// The values alone, without descriptions or options.
fn values(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l.split(['\t', ':']).next().unwrap())
        .filter(|v| !v.starts_with('-'))
        .collect()
}

#[test]
fn client_names_complete_wherever_a_client_is_typed() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    for shell in ["bash", "zsh", "fish"] {
        let all = offered(&env, shell, &["extramile", "log", ""]);
        assert_eq!(values(&all), ["Acme Corp", "Globex"], "{shell}");
        // Case aside, and with the shell's quoting still on the word.
        for typed in ["ac", "Acme C", "\"Acme C", "'acme", "Acme\\ C"] {
            let some = offered(&env, shell, &["extramile", "client", typed]);
            assert_eq!(values(&some), ["Acme Corp"], "{shell} {typed}");
        }
        for line in [
            &["extramile", "actions", "--client", "g"][..],
            &["extramile", "overdue", "--client", "G"],
            &["extramile", "fu", "G"],
            &["extramile", "report", "client", "G"],
            &["extramile", "edit", "3", "--client", "G"],
        ] {
            assert_eq!(values(&offered(&env, shell, line)), ["Globex"], "{line:?}");
        }
    }
}

/// Clients and follow-ups as above, with people: Dana Lee (CFO) and Dan Brown at Acme
/// Corp, another Dana Lee and Kim Park at Globex.
fn people_at_clients(env: &Env) {
    clients_and_follow_ups(env);
    env.ok(&[
        "log",
        "Acme Corp",
        "a call",
        "--with",
        "Dana Lee",
        "--with",
        "Dan Brown",
    ]);
    env.ok(&["client", "Acme Corp", "--person", "dana", "--role", "CFO"]);
    env.ok(&[
        "log", "Globex", "lunch", "--with", "Kim Park", "--with", "Dana Lee",
    ]);
}

#[test]
fn people_complete_at_the_client_on_the_line_else_everyone() {
    let env = Env::new();
    people_at_clients(&env);
    for shell in ["bash", "zsh", "fish"] {
        // The client's people, whichever way its name was typed.
        for line in [
            &["extramile", "log", "\"Acme Corp\"", "x", "--with", ""][..],
            &[
                "extramile",
                "log",
                "Acme\\ Corp",
                "x",
                "--with",
                "Dana Lee",
                "--with",
                "",
            ],
            &["extramile", "log", "acme", "x", "--with", ""],
            &["extramile", "client", "'Acme Corp'", "--person", ""],
            &[
                "extramile",
                "actions",
                "--client",
                "Acme Corp",
                "--with",
                "",
            ],
        ] {
            let offered = offered(&env, shell, line);
            assert_eq!(
                values(&offered),
                ["Dan Brown", "Dana Lee"],
                "{shell} {line:?}"
            );
        }
        for line in [
            &[
                "extramile",
                "fu",
                "Globex",
                "x",
                "--due",
                "fri",
                "--with",
                "",
            ][..],
            &[
                "extramile",
                "follow-up",
                "--due",
                "fri",
                "globex",
                "x",
                "--with",
                "",
            ],
            &["extramile", "actions", "--client=Globex", "--with", ""],
            // bash hands `--client=Globex` over as three words.
            &[
                "extramile",
                "actions",
                "--client",
                "=",
                "Globex",
                "--with",
                "",
            ],
        ] {
            let offered = offered(&env, shell, line);
            assert_eq!(
                values(&offered),
                ["Dana Lee", "Kim Park"],
                "{shell} {line:?}"
            );
        }
        // What is typed, case aside and with the shell's quoting still on the word.
        for typed in ["dana", "\"Dana L", "Dana\\ L"] {
            let line = ["extramile", "log", "Globex", "x", "--with", typed];
            assert_eq!(
                values(&offered(&env, shell, &line)),
                ["Dana Lee"],
                "{shell} {typed}"
            );
        }
        // No client yet, or a new one: everyone's, once each.
        for line in [
            &["extramile", "actions", "--with", ""][..],
            &["extramile", "log", "--with", ""],
            &["extramile", "log", "Initech", "x", "--with", ""],
        ] {
            let offered = offered(&env, shell, line);
            assert_eq!(
                values(&offered),
                ["Dan Brown", "Dana Lee", "Kim Park"],
                "{shell} {line:?}"
            );
        }
    }
    // Described by their role at a client, by their clients when from everyone's.
    let at_acme = offered(
        &env,
        "fish",
        &["extramile", "log", "Acme Corp", "x", "--with", ""],
    );
    assert_eq!(at_acme, ["Dan Brown", "Dana Lee\tCFO"]);
    let everyone = offered(&env, "zsh", &["extramile", "actions", "--with", "Da"]);
    assert_eq!(
        everyone,
        ["Dan Brown:Acme Corp", "Dana Lee:Acme Corp, Globex"]
    );
}

#[test]
fn open_follow_ups_complete_with_their_text() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let deck = number_of(&env, "send the pricing deck");
    let cert = number_of(&env, "Follow up: caught an expiring cert");
    let closed = number_of(&env, "a call already made");
    for command in ["done", "snooze", "cancel"] {
        let zsh = offered(&env, "zsh", &["extramile", command, ""]);
        // Soonest due first: Tuesday's, then Friday's.
        assert_eq!(values(&zsh), [deck.as_str(), cert.as_str()], "{command}");
        let described = format!("{deck}:Globex: send the pricing deck, due 2026-11-24");
        assert!(zsh.contains(&described), "{zsh:?}");
        let fish = offered(&env, "fish", &["extramile", command, ""]);
        assert!(
            fish.contains(&format!(
                "{cert}\tAcme Corp: Follow up: caught an expiring cert, due 2026-11-27"
            )),
            "{fish:?}"
        );
        assert!(!values(&fish).contains(&closed.as_str()), "{fish:?}");
    }
    // A second number, and a number typed in part.
    let more = offered(&env, "fish", &["extramile", "done", &deck, ""]);
    assert!(values(&more).contains(&cert.as_str()), "{more:?}");
    let part = offered(&env, "bash", &["extramile", "cancel", &deck[..1]]);
    assert!(
        values(&part).iter().all(|v| v.starts_with(&deck[..1])),
        "{part:?}"
    );
}

#[test]
fn edit_and_delete_offer_open_follow_ups_and_recent_actions() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let cert = number_of(&env, "caught an expiring cert");
    let deck = number_of(&env, "send the pricing deck");
    let old = number_of(&env, "an old lunch");
    for command in ["edit", "delete"] {
        let fish = offered(&env, "fish", &["extramile", command, ""]);
        assert!(
            fish.contains(&format!(
                "{cert}\tAcme Corp: caught an expiring cert (fix, 2026-11-20)"
            )),
            "{fish:?}"
        );
        assert!(values(&fish).contains(&deck.as_str()), "{fish:?}");
        assert!(!values(&fish).contains(&old.as_str()), "{fish:?}");
    }
}

#[test]
fn options_complete_after_the_free_text_which_still_parses() {
    let env = Env::new();
    let line = [
        "log",
        "Acme",
        "caught",
        "an",
        "expiring",
        "cert",
        "--kind",
        "fix",
        "--follow-up",
        "fri",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let mut words = vec!["extramile"];
        words.extend(&line[..7]);
        words.push("");
        let kinds = offered(&env, shell, &words);
        assert_eq!(
            values(&kinds),
            ["fix", "idea", "check-in", "touch", "intro", "other"],
            "{shell}"
        );
        let options = offered(&env, shell, &["extramile", "log", "Acme", "x", "--fo"]);
        assert!(
            options.iter().any(|o| o.starts_with("--follow-up")),
            "{shell}: {options:?}"
        );
    }
    env.ok(&line);
    let actions = env.json(&["actions"]);
    assert_eq!(actions[0]["kind"], "fix");
    assert_eq!(actions[0]["text"], "caught an expiring cert");
    assert_eq!(env.json(&["upcoming"]).as_array().unwrap().len(), 1);
}

#[test]
fn shell_names_and_colour_values_complete() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let shells = offered(&env, shell, &["extramile", "completions", ""]);
        assert_eq!(
            values(&shells),
            ["bash", "elvish", "fish", "powershell", "zsh"],
            "{shell}"
        );
        let colours = offered(&env, shell, &["extramile", "--color", ""]);
        assert_eq!(values(&colours), ["auto", "always", "never"], "{shell}");
    }
}

#[test]
fn the_store_typed_on_the_line_is_the_one_read() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let other = Env::new();
    other.ok(&["log", "Initech", "a call"]);
    let path = other.store();
    let path = path.to_str().unwrap();
    for words in [
        vec!["extramile", "--store", path, "log", ""],
        vec!["extramile", "log", &format!("--store={path}"), ""],
        // bash hands `--store=PATH` over as three words.
        vec!["extramile", "log", "--store", "=", path, ""],
    ] {
        assert_eq!(
            values(&offered(&env, "bash", &words)),
            ["Initech"],
            "{words:?}"
        );
    }
    // EXTRAMILE_STORE when no --store is typed.
    let mut cmd = completer(&env, "bash", &["extramile", "log", ""]);
    cmd.env("EXTRAMILE_STORE", other.store());
    let stdout = check_ok(&[], cmd.output().unwrap());
    assert_eq!(stdout.lines().next(), Some("Initech"));
}

#[test]
fn completing_writes_nothing_and_offers_nothing_on_a_missing_or_bad_store() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let dir = env.store().parent().unwrap().to_path_buf();
    // A missing snapshot is not rebuilt, nor the journal's seal written.
    std::fs::remove_file(dir.join("journal.jsonl.snapshot")).unwrap();
    let before = listing(&dir);
    for line in [
        &["extramile", "log", ""][..],
        &["extramile", "done", ""],
        &["extramile", "edit", ""],
    ] {
        assert!(!values(&offered(&env, "zsh", line)).is_empty(), "{line:?}");
    }
    assert_eq!(listing(&dir), before);

    let missing = env.dir.path().join("nowhere").join("journal.jsonl");
    let missing = missing.to_str().unwrap();
    let words = ["extramile", "--store", missing, "done", ""];
    assert!(values(&offered(&env, "zsh", &words)).is_empty());
    assert!(!env.dir.path().join("nowhere").exists());

    std::fs::write(env.store(), "not a journal\n").unwrap();
    assert!(values(&offered(&env, "zsh", &["extramile", "log", ""])).is_empty());
    let mut cmd = completer(&env, "zsh", &["extramile", "log", ""]);
    cmd.env("EXTRAMILE_STORE", "");
    let lines: Vec<String> = check_ok(&[], cmd.output().unwrap())
        .lines()
        .map(str::to_string)
        .collect();
    assert!(values(&lines).is_empty(), "{lines:?}");
}

/// Every file in `dir` with its length and modification time.
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, m.len(), m.modified().unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_command_holding_the_lock_does_not_hold_up_completion() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(env.store().with_extension("jsonl.lock"))
        .unwrap();
    lock.lock().unwrap();
    let child = completer(&env, "fish", &["extramile", "log", ""])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (sender, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output().unwrap()));
    // On failure the lock is let go as the test unwinds, and the child finishes.
    let out = finished
        .recv_timeout(Duration::from_secs(30))
        .expect("completion waited for the lock");
    let stdout = check_ok(&[], out);
    assert!(stdout.starts_with("Acme Corp\nGlobex\n"), "{stdout}");
}

#[test]
fn each_shell_gets_the_script_complete_prints() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = env.ok(&["completions", shell]);
        let mut cmd = env.command(&[]);
        cmd.env("COMPLETE", shell);
        let same = check_ok(&[shell], cmd.output().unwrap());
        assert_eq!(script, same, "{shell}");
        assert!(
            script.contains(env!("CARGO_BIN_EXE_extramile")),
            "{shell}: {script}"
        );
    }
    env.fails(2, &["completions", "tcsh"]);
}

/// `program` if it is installed, with the test's store and clock; else a note and `None`.
fn shell(env: &Env, program: &str) -> Option<Command> {
    let found = Command::new(program)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("{program} is not installed; skipping its part");
        return None;
    }
    let mut cmd = Command::new(program);
    cmd.env("EXTRAMILE_STORE", env.store())
        .env("EXTRAMILE_NOW", &env.now)
        .env("TZ", &env.tz)
        .env("HOME", env.dir.path())
        .env_remove("COMPLETE")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME");
    Some(cmd)
}

#[test]
fn bash_inserts_names_quoted_for_the_word_being_typed() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let Some(_) = shell(&env, "bash") else { return };
    let script = env.dir.path().join("extramile.bash");
    std::fs::write(&script, env.ok(&["completions", "bash"])).unwrap();
    // `current` is the word as bash hands it to the function: without an opening quote.
    let complete = |current: &str, words: &[&str]| -> Vec<String> {
        let mut cmd = shell(&env, "bash").unwrap();
        cmd.arg("-c")
            .arg(
                r#"source "$1"; cur=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                _extramile extramile "$cur" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\n' "${COMPREPLY[@]}""#,
            )
            .arg("bash")
            .arg(&script)
            .arg(current)
            .args(words);
        let out = cmd.output().unwrap();
        check_ok(words, out).lines().map(str::to_string).collect()
    };
    assert_eq!(complete("Ac", &["extramile", "log", "Ac"]), ["Acme\\ Corp"]);
    assert_eq!(complete("Ac", &["extramile", "log", "\"Ac"]), ["Acme Corp"]);
    assert_eq!(
        complete("Acme\\ C", &["extramile", "log", "Acme\\ C"]),
        ["Acme\\ Corp"]
    );
    let kinds = complete("", &["extramile", "log", "Acme", "x", "--kind", ""]);
    assert_eq!(
        kinds,
        ["fix", "idea", "check-in", "touch", "intro", "other"]
    );
    let deck = number_of(&env, "send the pricing deck");
    assert!(complete("", &["extramile", "done", ""]).contains(&deck));
    env.ok(&["log", "Acme Corp", "a call", "--with", "Dana Lee"]);
    env.ok(&["log", "Globex", "a call", "--with", "Dave Kim"]);
    let words = ["extramile", "log", "\"Acme Corp\"", "x", "--with", "D"];
    assert_eq!(complete("D", &words), ["Dana\\ Lee"]);
}

#[test]
fn fish_completes_through_the_installed_script() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let Some(_) = shell(&env, "fish") else { return };
    let dir = env.dir.path().join(".config/fish/completions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("extramile.fish"), env.ok(&["completions", "fish"])).unwrap();
    // fish loads a command's completions once the command is on PATH.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_extramile"));
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    let complete = |line: &str| -> Vec<String> {
        let mut cmd = shell(&env, "fish").unwrap();
        cmd.env("PATH", &path)
            .arg("-c")
            .arg("complete -C $argv[1]")
            .arg(line);
        let out = cmd.output().unwrap();
        check_ok(&[line], out).lines().map(str::to_string).collect()
    };
    let shells = complete("extramile completions ");
    assert_eq!(
        values(&shells),
        ["bash", "elvish", "fish", "powershell", "zsh"]
    );
    let colours = complete("extramile --color ");
    assert_eq!(values(&colours), ["auto", "always", "never"]);
    assert_eq!(values(&complete("extramile log Ac")), ["Acme Corp"]);
    let kinds = complete("extramile log Acme caught it --kind ");
    assert_eq!(
        values(&kinds),
        ["fix", "idea", "check-in", "touch", "intro", "other"]
    );
    env.ok(&["log", "Acme Corp", "a call", "--with", "Dana Lee"]);
    env.ok(&["log", "Globex", "a call", "--with", "Dave Kim"]);
    let with = complete("extramile fu 'Acme Corp' send it --due fri --with ");
    assert_eq!(with, ["Dana Lee"]);
    let deck = number_of(&env, "send the pricing deck");
    let due = complete("extramile snooze ");
    assert!(
        due.contains(&format!(
            "{deck}\tGlobex: send the pricing deck, due 2026-11-24"
        )),
        "{due:?}"
    );
}

/// The README's install block, as a user pastes it.
fn install_lines() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split_once("Shell completions and the man page:")
        .expect("the README's install section")
        .1;
    let block = section.split_once("```sh\n").unwrap().1;
    block.split_once("```").unwrap().0.to_string()
}

#[test]
fn the_readme_install_lines_work_in_a_fresh_home() {
    let env = Env::new();
    clients_and_follow_ups(&env);
    let home = env.dir.path();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_extramile"));
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    let has_man = shell(&env, "bash")
        .unwrap()
        .args(["-c", "command -v man"])
        .output()
        .unwrap()
        .status
        .success();
    let mut lines = install_lines();
    if !has_man {
        eprintln!("man is not installed; skipping `man extramile`");
        lines = lines
            .lines()
            .filter(|l| !l.starts_with("man "))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let mut bash = shell(&env, "bash").unwrap();
    bash.env("PATH", &path)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .arg("-c")
        .arg(format!("set -e\n{lines}"));
    let out = bash.output().unwrap();
    let shown = check_ok(&["README install lines"], out);
    if has_man {
        assert!(shown.contains("EXTRAMILE(1)"), "{shown}");
    }
    for file in [
        ".local/share/bash-completion/completions/extramile",
        ".zfunc/_extramile",
        ".config/fish/completions/extramile.fish",
        ".local/share/man/man1/extramile.1",
    ] {
        assert!(home.join(file).is_file(), "{file} was not written");
    }

    let mut bash = shell(&env, "bash").unwrap();
    bash.env("PATH", &path)
        .arg("-c")
        .arg("source ~/.local/share/bash-completion/completions/extramile; complete -p extramile");
    let registered = check_ok(&["bash"], bash.output().unwrap());
    assert!(
        registered.contains("-F _extramile extramile"),
        "{registered}"
    );

    if let Some(mut zsh) = shell(&env, "zsh") {
        zsh.env("PATH", &path)
            .args(["-i", "-c", "print -r -- ${_comps[extramile]}"]);
        let registered = check_ok(&["zsh"], zsh.output().unwrap());
        assert_eq!(registered.trim(), "_extramile");
    }
    if let Some(mut fish) = shell(&env, "fish") {
        fish.env("PATH", &path)
            .args(["-c", "complete -C 'extramile log G'"]);
        let offered = check_ok(&["fish"], fish.output().unwrap());
        assert_eq!(offered.trim(), "Globex");
    }
}

/// The man page, with roff's escaped hyphens and apostrophes as plain ones.
fn man_page(env: &Env) -> String {
    env.ok(&["man"]).replace("\\-", "-").replace("\\*(Aq", "'")
}

#[test]
fn the_man_page_documents_every_command_and_option() {
    let env = Env::new();
    let page = man_page(&env);
    assert!(!page.contains("extramile-log(1)"), "no pages of their own");
    let mut cli = extramile::cli::Cli::command();
    cli.build();
    for arg in cli.get_arguments().filter_map(|a| a.get_long()) {
        let options = section(&page, ".SH OPTIONS");
        assert!(options.contains(&format!("--{arg}")), "--{arg}");
    }
    let mut commands: Vec<&clap::Command> = cli.get_subcommands().collect();
    let mut seen = 0;
    while let Some(command) = commands.pop() {
        if command.get_name() == "help" {
            continue;
        }
        commands.extend(command.get_subcommands());
        let name = command.get_bin_name().unwrap();
        let own = section(&page, &format!(".SS \"{name}\""));
        let about = command.get_about().unwrap().to_string();
        assert!(words(own).contains(&words(&about)), "{name}");
        for arg in command.get_arguments().filter(|a| !a.is_global_set()) {
            match arg.get_long() {
                Some("help") | None => {}
                Some(long) => assert!(own.contains(&format!("--{long}")), "{name} --{long}"),
            }
        }
        seen += 1;
    }
    assert!(seen > 20, "{seen} commands");
    for heading in [
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
        ".SH EXAMPLES",
    ] {
        assert!(section(&page, heading).len() > 100, "{heading}");
    }
    for var in ["EXTRAMILE_STORE", "EXTRAMILE_NOW", "NO_COLOR", "COLUMNS"] {
        assert!(section(&page, ".SH ENVIRONMENT").contains(var), "{var}");
    }
    for file in ["journal.jsonl.lock", "journal.jsonl.snapshot"] {
        assert!(section(&page, ".SH FILES").contains(file), "{file}");
    }
}

/// `text` with its words one space apart, however roff broke its lines.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The part of `page` from the line `heading` to the next heading of any level.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let Some(start) = page.find(&format!("\n{heading}\n")) else {
        return "";
    };
    let body = &page[start + heading.len() + 2..];
    let end = body
        .find("\n.SH")
        .into_iter()
        .chain(body.find("\n.SS"))
        .min();
    &body[..end.unwrap_or(body.len())]
}

#[test]
fn mandoc_finds_nothing_to_remark_on_the_man_page() {
    let env = Env::new();
    let page = env.dir.path().join("extramile.1");
    std::fs::write(&page, env.ok(&["man"])).unwrap();
    let lint: Output = match Command::new("mandoc")
        .args(["-T", "lint"])
        .arg(&page)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("mandoc is not installed; skipping the lint of the man page");
            return;
        }
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(lint.status.success() && said.is_empty(), "{said}");
}
