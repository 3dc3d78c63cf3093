//! Tables that fit: what people see at 40, 60, 80 and 120 columns. Every line fits the
//! width, no date is split, and piped output (no width) never wraps.

use std::collections::BTreeSet;

use unicode_width::UnicodeWidthStr;

use crate::Env;

const WIDTHS: [usize; 4] = [40, 60, 80, 120];

const LONG_NAME: &str = "Rosenthal & Partners Vermögensverwaltung GmbH";

/// The sample `extramile demo` shows, dated around the harness's clock, imported into
/// the store; then a client with a long name, long texts, someone there with a long
/// name, role and email, an emoji with a skin-tone modifier and some CJK.
fn sample() -> Env {
    let env = Env::new();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+00:00").unwrap();
    let mut state = extramile::state::State::default();
    for record in extramile::demo::records(now) {
        state.apply(&record);
    }
    let file = env.dir.path().join("demo.json");
    let export = extramile::transfer::export(&state);
    std::fs::write(&file, serde_json::to_vec(&export).unwrap()).unwrap();
    env.ok(&["import", file.to_str().unwrap()]);

    env.ok_at(
        "2026-11-12 09:00",
        &[
            "log",
            LONG_NAME,
            "Walked their new controller through the quarterly reconciliation, then stayed on \
             to fix two broken import mappings nobody had asked about",
            "--kind",
            "fix",
            "--follow-up",
            "2026-11-17",
            "--follow-up-text",
            "Check the import mappings held through the month-end close and send the \
             controller a short summary of what changed",
            "--with",
            "Friederike Müller-Lüdenscheidt",
        ],
    );
    env.ok_at(
        "2026-11-12 09:01",
        &[
            "client",
            LONG_NAME,
            "--person",
            "friederike",
            "--role",
            "Head of Group Finance",
            "--email",
            "friederike.mueller-luedenscheidt@rosenthal-partners.example",
        ],
    );
    env.ok_at(
        "2026-11-12 09:05",
        &[
            "client",
            LONG_NAME,
            "--cadence",
            "7d",
            "--tier",
            "key account",
        ],
    );
    env.ok_at(
        "2026-11-19 15:00",
        &[
            "log",
            "Hooli",
            "Sent the pilot team a thank-you 👍🏽 with their first usage numbers",
            "--kind",
            "touch",
            "--follow-up",
            "2026-11-20",
            "--follow-up-text",
            "Ask whether 👍🏽 means they will extend the pilot to the Osaka (大阪) office",
        ],
    );
    env
}

/// The commands people read most, by name for the snapshots.
const COMMANDS: [(&str, &[&str]); 6] = [
    ("today", &[]),
    ("overdue", &["overdue"]),
    ("upcoming", &["upcoming"]),
    ("clients", &["clients"]),
    ("client", &["client", "rosenthal"]),
    ("report_week", &["report", "week"]),
];

fn at_width(env: &Env, width: usize, args: &[&str]) -> String {
    let mut cmd = env.command(args);
    cmd.env("COLUMNS", width.to_string());
    crate::check_ok(args, cmd.output().unwrap())
}

/// Every `YYYY-MM-DD` the store holds.
fn dates(env: &Env) -> BTreeSet<String> {
    let export = env.ok(&["export"]);
    let chars: Vec<char> = export.chars().collect();
    chars
        .windows(10)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| is_date(w))
        .collect()
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Fails when a line is wider than `width`, or a date of `dates` is split across lines
/// (a piece of it with a hyphen stands alone between spaces or borders).
fn check_fits(output: &str, width: usize, dates: &BTreeSet<String>, what: &str) {
    for line in output.lines() {
        assert!(
            line.width() <= width,
            "{what} at {width}: a line is {} wide:\n{line}\n\n{output}",
            line.width()
        );
    }
    let tokens = output.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
    for token in tokens.filter(|t| t.contains('-') && t.chars().any(|c| c.is_ascii_digit())) {
        let piece = dates
            .iter()
            .any(|d| d != token && (d.starts_with(token) || d.ends_with(token)));
        assert!(
            !piece,
            "{what} at {width}: '{token}' is a piece of a date\n{output}"
        );
    }
}

#[test]
fn tables_fit_every_width() {
    let env = sample();
    let dates = dates(&env);
    assert!(dates.contains("2026-11-17"), "{dates:?}");
    for width in WIDTHS {
        for (name, args) in COMMANDS {
            let output = at_width(&env, width, args);
            check_fits(&output, width, &dates, name);
            insta::assert_snapshot!(format!("{name}_{width}"), output);
        }
    }
}

#[test]
fn every_other_table_fits_too() {
    let env = sample();
    let dates = dates(&env);
    let team = env.store();
    let commands: [&[&str]; 5] = [
        &["actions"],
        &["report", "client", "hooli"],
        &["report", "week", "--team", team.to_str().unwrap()],
        &["demo"],
        &["check"],
    ];
    for width in WIDTHS {
        for args in commands {
            check_fits(&at_width(&env, width, args), width, &dates, &args.join(" "));
        }
        // The month's "By week" shows days as `11-16 to 11-22`, so only the width is checked.
        let month = at_width(&env, width, &["report", "month"]);
        check_fits(&month, width, &BTreeSet::new(), "report month");
    }
}

#[test]
fn the_checks_catch_a_split_date_and_a_wide_line() {
    let dates = BTreeSet::from(["2026-11-18".to_string()]);
    let split = "│ 2026-1 ┆\n│ 1-18   ┆\n";
    let caught = std::panic::catch_unwind(|| check_fits(split, 80, &dates, "split"));
    assert!(caught.is_err());
    let caught = std::panic::catch_unwind(|| check_fits("👍🏽👍🏽👍🏽", 5, &dates, "wide"));
    assert!(caught.is_err(), "an emoji is two columns wide");
    check_fits("due 2026-11-18, 11 days", 23, &dates, "whole");
}

#[test]
fn piped_output_never_wraps() {
    let env = sample();
    let piped = env.ok(&["overdue"]);
    assert!(piped.lines().any(|line| line.contains(LONG_NAME)));
    assert!(
        piped.contains("send the controller a short summary of what changed"),
        "{piped}"
    );
    assert_eq!(
        piped
            .lines()
            .map(UnicodeWidthStr::width)
            .collect::<BTreeSet<_>>()
            .len(),
        1,
        "every line of a table is as wide as the table:\n{piped}"
    );
}

#[test]
fn narrow_tables_leave_out_columns_then_become_blocks() {
    let env = sample();
    let header = |output: &str| output.lines().nth(1).unwrap_or_default().to_string();
    let wide = header(&at_width(&env, 120, &["clients"]));
    assert!(wide.contains("┆ Days since ┆ Open ┆"), "{wide}");
    let narrower = header(&at_width(&env, 80, &["clients"]));
    assert!(
        narrower.contains("│ Client ") && narrower.contains("┆ Last touch ┆ Open ┆"),
        "{narrower}"
    );
    assert!(
        !narrower.contains("Days since"),
        "it goes first: {narrower}"
    );
    assert!(!narrower.contains("Tier"), "it goes next: {narrower}");

    let table = at_width(&env, 80, &["overdue"]);
    assert!(table.contains("┆ 2026-11-17 ┆ 3 days overdue │"), "{table}");
    let blocks = at_width(&env, 60, &["overdue"]);
    assert!(!blocks.contains('│'), "no table at 60:\n{blocks}");
    assert!(
        blocks.starts_with('#') && blocks.contains(" Hooli\n  Follow-up: Collect pilot feedback\n"),
        "{blocks}"
    );
    assert!(blocks.contains("\n  Due: 2026-11-17\n"), "{blocks}");
    assert!(blocks.contains("\n  When: 3 days overdue\n"), "{blocks}");

    // JSON, CSV and Markdown show every column whatever the width.
    for (format, column) in [
        ("csv", "days_since"),
        ("markdown", "Days since"),
        ("json", "\"days_since\""),
    ] {
        let out = at_width(&env, 40, &["clients", "--format", format]);
        assert!(out.contains(column), "{format}: {out}");
    }
}

/// Whether a terminal gets colour is unit-tested in `context`; a pipe never does, and
/// `--color always` colours even for a dumb terminal.
#[test]
fn colour_when_forced_even_for_a_dumb_terminal() {
    let env = Env::new();
    env.ok(&["log", "Acme", "fixed it", "--follow-up", "yesterday"]);
    let run = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("TERM", "dumb").env("COLUMNS", "80");
        crate::check_ok(args, cmd.output().unwrap())
    };
    assert!(!run(&["overdue"]).contains('\x1b'));
    let forced = run(&["--color", "always", "overdue"]);
    assert!(forced.contains("\x1b["), "{forced}");
}
