//! One view, every format: what the table shows, CSV, Markdown and JSON show too, for
//! every command made of several parts.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::Env;
use crate::reports::scenario;

/// The words of `text` that hold a digit (numbers, dates, weeks like 2026-W47), each
/// with how often it occurs. Signs and punctuation split words, so `+4` counts as `4`
/// and CSV's neutralising quote (`'-2`) does not hide `-2`.
fn figures(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
        let word = word.trim_matches('-');
        if word.chars().any(|c| c.is_ascii_digit()) {
            *counts.entry(word.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// Every figure of `table`, as often as it appears there, is in `other`.
fn assert_has_every_figure(args: &[&str], format: &str, table: &str, other: &str) {
    let have = figures(other);
    for (figure, times) in figures(table) {
        let found = have.get(&figure).copied().unwrap_or(0);
        assert!(
            found >= times,
            "{args:?}: `{figure}` appears {times} times in the table but {found} in {format}:\n\
             {table}\n{format}:\n{other}"
        );
    }
}

/// The commands whose views have several parts, on the worked scenario.
fn several_parts(env: &Env) -> Vec<Vec<String>> {
    let team = env.store().to_str().unwrap().to_string();
    [
        &["report", "week"][..],
        &["report", "week", "--team", &team],
        &["report", "month"],
        &["report", "client", "acme"],
        &["client", "globex"],
        &[],
        &["demo"],
        &["check"],
    ]
    .iter()
    .map(|args| args.iter().map(|a| a.to_string()).collect())
    .collect()
}

#[test]
fn every_figure_the_table_shows_is_in_csv_markdown_and_json() {
    let env = scenario();
    for args in several_parts(&env) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = |format: &str| {
            let mut all = args.clone();
            all.extend(["--format", format]);
            env.ok(&all)
        };
        let table = run("table");
        assert_has_every_figure(&args, "csv", &table, &run("csv"));
        assert_has_every_figure(&args, "markdown", &table, &run("markdown"));

        // JSON holds the same figures as values; the table's words around them differ,
        // so each number and date need only be found somewhere in it.
        let json = run("json");
        let numbers = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        };
        let json_numbers: std::collections::HashSet<String> = numbers(&json).into_iter().collect();
        for number in numbers(&table) {
            assert!(
                json_numbers.contains(&number),
                "{args:?}: {number} is in the table, not in JSON:\n{table}\n{json}"
            );
        }
        for date in figures(&table).into_keys().filter(|f| f.len() == 10) {
            if NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok() {
                assert!(json.contains(&date), "{args:?}: {date} is not in JSON");
            }
        }
    }
}

#[test]
fn csv_of_a_report_is_one_table_with_a_section_column() {
    let env = scenario();
    let csv = env.ok(&["report", "week", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "section");
    assert_eq!(&headers[1], "text", "the title comes first");
    for column in ["figure", "count", "previous", "client", "last_touch", "due"] {
        assert_eq!(
            headers.iter().filter(|h| *h == column).count(),
            1,
            "{column} once: {headers:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cell = |row: &csv::StringRecord, column: &str| {
        row[headers.iter().position(|h| h == column).unwrap()].to_string()
    };
    let section =
        |name: &str| -> Vec<&csv::StringRecord> { rows.iter().filter(|r| &r[0] == name).collect() };
    let figures = section("figures");
    let actions = figures.iter().find(|r| cell(r, "figure") == "Actions");
    let actions = actions.unwrap();
    assert_eq!(
        (cell(actions, "count"), cell(actions, "previous")),
        ("4".into(), "0".into())
    );
    assert_eq!(
        section("by_client")
            .iter()
            .map(|r| cell(r, "client"))
            .collect::<Vec<_>>(),
        ["Acme", "Globex", "Initech"]
    );
    assert_eq!(
        cell(section("streak")[0], "text"),
        "Streak: 1 week with an extra mile"
    );
    assert!(cell(section("by_kind")[0], "text").starts_with("By kind: fix 1"));
    assert_eq!(section("slipped").len(), 2);
    assert_eq!(cell(section("neglected")[0], "client"), "Hooli");
    assert_eq!(
        cell(section("title")[0], "text"),
        "Week 2026-W47: 2026-11-16 to 2026-11-22"
    );
}

#[test]
fn a_listing_of_one_table_keeps_its_plain_csv() {
    let env = scenario();
    for args in [&["actions"][..], &["clients"], &["upcoming"], &["overdue"]] {
        let mut all = args.to_vec();
        all.extend(["--format", "csv"]);
        let csv = env.ok(&all);
        assert!(!csv.starts_with("section,"), "{args:?}: {csv}");
    }
}

/// The README's example of a CSV of several parts is today's view of the worked scenario.
#[test]
fn the_readme_shows_a_csv_of_several_parts_as_it_is() {
    let readme = include_str!("../../README.md");
    let example = readme
        .split("$ extramile --format csv\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows a CSV of several parts");
    assert_eq!(scenario().ok(&["--format", "csv"]), example);
}
