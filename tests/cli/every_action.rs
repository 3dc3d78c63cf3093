//! `actions` with nothing to narrow it to a client or from a day reads every action a
//! slice at a time and prints as it goes; it must print exactly what the windowed read
//! (`--since` a day before everything) prints, in every format and at every width, with
//! the snapshot and without it.

use std::path::PathBuf;

use crate::Env;

/// Actions spread over four years, more than one slice of the snapshot (4096), with
/// wide characters, emoji, long words, texts longer than a table cell shows, tags, and
/// several in one second.
fn store() -> Env {
    let env = Env::new();
    let kinds = ["fix", "idea", "check-in", "touch", "intro", "other"];
    let texts = [
        "Sent the renewal bundle proposal to their new buyer",
        "会議の資料を送る 👍🏽 and a follow-up note",
        "unbreakablewordthatislongerthananycolumnofthetable at all",
        "short",
    ];
    let mut csv = String::from("type,client,kind,text,at,tags\n");
    for i in 0..4300 {
        let text = match i % 97 {
            0 => format!("{} ", "a long account of the visit".repeat(14)),
            _ => format!("{} {i}", texts[i % texts.len()]),
        };
        let tags = ["", "renewal", "renewal;q4", "pilot"][i % 4];
        csv += &format!(
            "action,Client {},{},{text},{}-{:02}-{:02} {:02}:{:02},{tags}\n",
            i % 37,
            kinds[i % kinds.len()],
            2023 + i % 4,
            1 + i % 12,
            1 + i % 28,
            8 + i % 9,
            (i / 3) % 60,
        );
    }
    let file = env.dir.path().join("actions.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    env.ok(&["index"]);
    assert!(snapshot(&env).exists());
    // After the snapshot: new actions, one with people, one among the old ones, an old
    // one edited and one deleted; these are read from the journal and merged in.
    env.ok(&["log", "Client 3", "after the snapshot", "--tag", "renewal"]);
    env.ok(&[
        "log",
        "Client 5",
        "lunch with the buyer",
        "--with",
        "Dana Scully",
        "--with",
        "Fox Mulder",
        "--kind",
        "touch",
    ]);
    env.ok(&[
        "log",
        "Client 7",
        "back in time",
        "--at",
        "2024-05-03 09:00",
    ]);
    env.ok(&["edit", "12", "--text", "edited after the snapshot"]);
    env.ok(&["delete", "13"]);
    env
}

fn snapshot(env: &Env) -> PathBuf {
    env.store().with_extension("jsonl.snapshot")
}

/// What `args` print, with the terminal `width` columns wide when given.
fn printed(env: &Env, width: Option<u16>, args: &[&str]) -> String {
    let mut cmd = env.command(args);
    if let Some(width) = width {
        cmd.env("COLUMNS", width.to_string());
    }
    crate::check_ok(args, cmd.output().unwrap())
}

/// The formats and widths to print in: piped, wide enough, narrowed, leaving columns
/// out, as blocks, in colour, and the other formats.
const FORMATS: [(&[&str], Option<u16>); 9] = [
    (&[], None),
    (&[], Some(200)),
    (&[], Some(100)),
    (&[], Some(60)),
    (&[], Some(30)),
    (&["--color", "always"], Some(100)),
    (&["--format", "json"], None),
    (&["--format", "csv"], None),
    (&["--format", "markdown"], None),
];

/// Every filter, and none.
const FILTERS: [&[&str]; 8] = [
    &[],
    &["--kind", "fix"],
    &["--tag", "Renewal", "--grep", "NOTE"],
    &["--with", "dana"],
    &["--until", "2024-06-30"],
    &["--until", "2024-06-30 08:30", "--limit", "7"],
    &["--limit", "5"],
    &["--grep", "nothing holds this"],
];

/// A format's flags, the terminal's width, and a filter's flags.
type Case = (
    &'static [&'static str],
    Option<u16>,
    &'static [&'static str],
);

/// Prints each case both ways, which must agree.
fn compare(env: &Env, cases: impl Iterator<Item = Case>) {
    for (format, width, filter) in cases {
        let args = [&["actions"], format, filter].concat();
        let streamed = printed(env, width, &args);
        let since = [&args[..], &["--since", "1990-01-01"]].concat();
        let windowed = printed(env, width, &since);
        assert!(
            streamed == windowed,
            "{args:?} at {width:?} columns prints otherwise than with --since:\n{}",
            first_difference(&streamed, &windowed)
        );
    }
}

/// Every format unfiltered, and with no row matching; every filter in a table (whose
/// widths the rows they keep decide) and in JSON.
fn every_way() -> impl Iterator<Item = Case> {
    let formats = FORMATS.iter().copied();
    let unfiltered = formats
        .clone()
        .map(|(format, width)| (format, width, FILTERS[0]));
    let empty = formats.map(|(format, width)| (format, width, FILTERS[7]));
    let filtered = FILTERS[1..7].iter().flat_map(|&filter| {
        [FORMATS[2], FORMATS[6]].map(|(format, width)| (format, width, filter))
    });
    unfiltered.chain(empty).chain(filtered)
}

/// The first line on which two outputs differ.
fn first_difference(a: &str, b: &str) -> String {
    let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    match at {
        Some(at) => format!(
            "line {at}:\n{}\n{}",
            a.lines().nth(at).unwrap(),
            b.lines().nth(at).unwrap()
        ),
        None => format!("{} lines against {}", a.lines().count(), b.lines().count()),
    }
}

#[test]
fn every_action_prints_as_the_windowed_read_does_with_and_without_the_snapshot() {
    let env = store();
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = printed(
            &env,
            None,
            &[&["--format", "json", "actions"], args].concat(),
        );
        serde_json::from_str(&out).unwrap()
    };
    let all = json(&[]);
    assert_eq!(all.len(), 4300 + 3 - 1);
    assert_eq!(json(&["--limit", "3"]), all[all.len() - 3..]);
    compare(&env, every_way());

    let with_snapshot = printed(&env, Some(100), &["actions"]);
    std::fs::remove_file(snapshot(&env)).unwrap();
    assert_eq!(printed(&env, Some(100), &["actions"]), with_snapshot);
    // From the journal alone, the rows come the same way: every format will do.
    let unfiltered = FORMATS
        .iter()
        .map(|&(format, width)| (format, width, FILTERS[0]));
    compare(&env, unfiltered);
}

#[test]
fn an_unknown_person_is_refused_before_anything_is_printed() {
    let env = Env::new();
    env.ok(&["log", "Acme", "lunch", "--with", "Dana Scully"]);
    let refused = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.stdout.is_empty(), "{args:?}");
        crate::check_fails(2, args, out)
    };
    let streamed = refused(&["actions", "--with", "Nobody Known"]);
    assert!(streamed.contains("Nobody Known"), "{streamed}");
    assert_eq!(
        streamed,
        refused(&["actions", "--with", "Nobody Known", "--since", "1990-01-01"])
    );
}
