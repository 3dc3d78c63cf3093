//! One view, every format: what the table shows, CSV, Markdown and JSON show too, for
//! every command made of several parts; and the demo on any day of the year.

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
        &["report", "team", &team],
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

/// The weeks the demo is tried on, each day of them: one in November, ISO week 53 of
/// 2026 (Monday 2026-12-28 to Sunday 2027-01-03) and the week after it, and the week
/// Berlin moves its clocks forward (Sunday 2026-03-29).
const DEMO_WEEKS: [(&str, &str); 4] = [
    ("2026-11-16", "UTC"),
    ("2026-12-28", "UTC"),
    ("2027-01-04", "UTC"),
    ("2026-03-23", "Europe/Berlin"),
];

#[test]
fn the_demo_shows_a_full_week_on_any_day() {
    for (monday, tz) in DEMO_WEEKS {
        let monday = NaiveDate::parse_from_str(monday, "%Y-%m-%d").unwrap();
        for day in 0..7 {
            let today = monday + chrono::Days::new(day);
            let mut env = Env::new();
            env.tz = tz.into();
            env.now = format!("{today} 08:00");
            let demo = env.json(&["demo"]);
            let r = &demo["report_week"];
            let start = NaiveDate::parse_from_str(r["start"].as_str().unwrap(), "%Y-%m-%d");
            let behind = (today - start.unwrap()).num_days();
            assert!(
                (3..=9).contains(&behind),
                "{today}: shows {} (this week from Thursday, else last week)",
                r["week"]
            );
            let count = |field: &str| r[field].as_u64().unwrap();
            assert!(count("actions") >= 5, "{today}: {r}");
            let kinds = r["by_kind"].as_object().unwrap();
            let used = kinds.values().filter(|n| n.as_u64() > Some(0)).count();
            assert!(used >= 4, "{today}: kinds {kinds:?}");
            assert!(count("intros") >= 1, "{today}");
            assert!(count("followups_done_late") >= 1, "{today}");
            assert!(count("overdue") >= 1, "{today}");
            let slipped = r["slipped"].as_array().unwrap();
            assert!(slipped.iter().any(|s| s["how"] == "overdue"), "{today}");
            assert!(slipped.iter().any(|s| s["how"] == "done-late"), "{today}");
            let neglected = r["neglected"].as_array().unwrap();
            assert!(neglected.iter().any(|n| n["tier"] == "A"), "{today}: {r}");
            assert_eq!(count("streak_weeks"), 5, "{today}: the streak holds");
            assert!(!demo["upcoming"].as_array().unwrap().is_empty(), "{today}");

            let table = env.ok(&["demo"]);
            let label = if behind <= 6 {
                "This week"
            } else {
                "Last week"
            };
            assert!(
                table.contains(&format!("{label} {}: ", r["week"].as_str().unwrap())),
                "{today}: {table}"
            );
            let end = table.lines().rev().take(3).collect::<Vec<_>>().join("\n");
            for command in [
                "extramile log Acme \"sent the renewal draft early\" --kind idea --follow-up fri",
                "extramile upcoming",
                "extramile report week",
            ] {
                assert!(end.contains(command), "{today}: {end}");
            }
        }
    }
}

/// The README's weekly report is the demo's, on the Friday of the README's tour.
#[test]
fn the_readme_shows_the_demo_as_it_is() {
    let readme = include_str!("../../README.md");
    let excerpt = readme
        .split("A weekly report as you see it (from `extramile demo`")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows a weekly report");
    let demo = Env::new().ok(&["demo"]);
    assert!(demo.contains(excerpt), "README:\n{excerpt}\ndemo:\n{demo}");
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
