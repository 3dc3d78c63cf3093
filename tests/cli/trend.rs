//! `report trend` and `report year`: each week's figures are the weekly report's, and the
//! calendar fits a terminal, in characters without colour and in greens with it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Env;
use crate::reports::scenario;

/// The weekly report's figures that the trend repeats for each week.
const FIELDS: [&str; 8] = [
    "week",
    "start",
    "end",
    "actions",
    "clients_touched",
    "followups_done",
    "followups_done_late",
    "overdue",
];

fn assert_weeks_match_the_weekly_report(env: &Env, now: &str, count: usize) {
    let args = [
        "--format",
        "json",
        "report",
        "trend",
        "--weeks",
        &count.to_string(),
    ];
    let trend: Value = serde_json::from_str(&env.ok_at(now, &args)).unwrap();
    let weeks = trend["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), count);
    for row in weeks {
        let week = row["week"].as_str().unwrap();
        let args = ["--format", "json", "report", "week", "--week", week];
        let report: Value = serde_json::from_str(&env.ok_at(now, &args)).unwrap();
        for field in FIELDS {
            assert_eq!(row[field], report[field], "{week} {field}");
        }
    }
}

#[test]
fn each_week_has_the_weekly_reports_figures() {
    let env = scenario();
    assert_weeks_match_the_weekly_report(&env, crate::NOW, 6);
    let trend = env.json(&["report", "trend"]);
    let weeks = trend["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 12, "twelve weeks unless told");
    assert_eq!(
        weeks.last().unwrap()["week"],
        "2026-W47",
        "ending with this one"
    );
    assert_eq!(weeks[0]["week"], "2026-W36", "oldest first");
    // Later, across ISO week 2026-W53, with the scenario's weeks long past.
    assert_weeks_match_the_weekly_report(&env, "2027-01-06 10:00", 12);
}

#[test]
fn one_week_and_no_weeks() {
    let env = scenario();
    let trend = env.json(&["report", "trend", "--weeks", "1"]);
    let weeks = trend["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0]["week"], "2026-W47");
    let table = env.ok(&["report", "trend", "--weeks", "1"]);
    assert!(
        table.starts_with("Week 2026-W47: 2026-11-16 to 2026-11-22\n"),
        "{table}"
    );
    assert!(table.contains("Actions       █  min 4, max 4"), "{table}");

    for weeks in ["0", "521", "many"] {
        let err = env.fails(2, &["report", "trend", "--weeks", weeks]);
        assert!(err.contains("--weeks"), "{err}");
    }
    let err = env.fails(2, &["report", "year", "--year", "0"]);
    assert!(err.contains("--year"), "{err}");
}

#[test]
fn trend_lines_draw_each_figure() {
    let env = scenario();
    let out = env.ok(&["report", "trend", "--weeks", "4"]);
    let trend = env.json(&["report", "trend", "--weeks", "4"]);
    let actions: Vec<u64> = trend["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["actions"].as_u64().unwrap())
        .collect();
    let line = out.lines().find(|l| l.starts_with("Actions ")).unwrap();
    let bars: String = line.chars().filter(|c| ('▁'..='█').contains(c)).collect();
    assert_eq!(bars.chars().count(), 4, "{line}");
    // The busiest week is the full bar, a week without actions the lowest.
    let max = *actions.iter().max().unwrap();
    for (bar, n) in bars.chars().zip(&actions) {
        match *n {
            0 => assert_eq!(bar, '▁', "{line}"),
            n if n == max => assert_eq!(bar, '█', "{line}"),
            _ => assert!(bar != '▁' && bar != '█', "{line}"),
        }
    }
    let min = actions.iter().min().unwrap();
    assert!(line.ends_with(&format!("min {min}, max {max}")), "{line}");
}

#[test]
fn the_year_counts_every_action_by_day() {
    let env = scenario();
    let year = env.json(&["report", "year"]);
    assert_eq!(year["year"], 2026);
    let days = year["days"].as_array().unwrap();
    assert_eq!(days.len(), 365);
    assert_eq!(days[0]["date"], "2026-01-01");
    assert_eq!(days[364]["date"], "2026-12-31");

    let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
    for action in env.json(&["actions"]).as_array().unwrap() {
        *by_day
            .entry(action["at"].as_str().unwrap()[..10].to_string())
            .or_default() += 1;
    }
    let busy: BTreeMap<String, u64> = days
        .iter()
        .filter(|d| d["actions"] != 0)
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["actions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(busy, by_day);
    assert_eq!(year["total"], by_day.values().sum::<u64>());

    // The streaks are the weekly report's: now, and at its longest (2026-W45).
    let week = |w: &str| env.json(&["report", "week", "--week", w])["streak_weeks"].clone();
    assert_eq!(year["current_streak_weeks"], week("2026-W47"));
    assert_eq!(year["longest_streak_weeks"], week("2026-W45"));
    assert_eq!(year["longest_streak_weeks"], 2);

    let before = env.json(&["report", "year", "--year", "2024"]);
    assert_eq!(before["days"].as_array().unwrap().len(), 366, "a leap year");
    assert_eq!(before["total"], 0);
    assert_eq!(before["longest_streak_weeks"], 0);
    let out = env.ok(&["report", "year", "--year", "2024"]);
    assert!(out.contains("Streak: 0 weeks at the end of 2024"), "{out}");
}

fn calendar_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains('│')).collect()
}

#[test]
fn the_calendar_fits_80_columns_with_or_without_colour() {
    let env = scenario();
    for year in ["2026", "2012", "2027"] {
        let out = env.ok(&["report", "year", "--year", year]);
        for line in out.lines() {
            assert!(line.chars().count() <= 80, "{year}: {line}");
        }
        let rows = calendar_lines(&out);
        assert_eq!(rows.len(), 7, "{out}");
        assert!(rows[0].starts_with("Mon │") && rows[6].starts_with("Sun │"));
    }

    let plain = {
        let mut cmd = env.command(&["report", "year", "--color", "auto"]);
        cmd.env("NO_COLOR", "1");
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(!plain.contains('\x1b'), "{plain}");
    let cells: String = calendar_lines(&plain).concat();
    assert!(cells.contains('·') && cells.contains('░'), "{plain}");

    let colour = env.ok(&["report", "year", "--color", "always"]);
    assert!(colour.contains("\x1b[38;5;"), "{colour}");
    let cells: String = calendar_lines(&colour).concat();
    assert!(!cells.contains('░'), "shades are colours: {colour}");
    // The same calendar once the colour is taken out, cell for cell.
    let strip = |text: &str| {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                chars.by_ref().find(|c| *c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(
        calendar_lines(&strip(&colour)).concat().replace('█', "x"),
        calendar_lines(&plain)
            .concat()
            .replace(['░', '▒', '▓', '█'], "x")
    );
}

#[test]
fn busy_days_take_the_darker_shades() {
    let env = Env::new();
    // One action on Jan 5, two on Jan 6, three on Jan 7, four on Jan 8 (Mon to Thu).
    for (day, n) in [("05", 1), ("06", 2), ("07", 3), ("08", 4)] {
        for i in 0..n {
            env.ok_at(&format!("2026-01-{day} 09:0{i}"), &["log", "Acme", "call"]);
        }
    }
    let out = env.ok_at("2026-01-09 10:00", &["report", "year"]);
    let rows = calendar_lines(&out);
    let second_week: Vec<char> = rows.iter().map(|r| r.chars().nth(6).unwrap()).collect();
    assert_eq!(second_week, ['░', '▒', '▓', '█', '·', ' ', ' '], "{out}");
    assert!(out.starts_with("2026: 10 actions\n"), "{out}");
}

#[test]
fn every_format() {
    let env = scenario();
    let csv = env.ok(&["--format", "csv", "report", "trend", "--weeks", "3"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("section,text,week,days,actions,clients,unasked_%,")
    );
    let weeks: Vec<&str> = csv.lines().filter(|l| l.starts_with("weeks,")).collect();
    assert_eq!(weeks.len(), 3, "{csv}");
    assert!(
        weeks[2].starts_with("weeks,,2026-W47,11-16 to 11-22,4,3,100,1,1,1"),
        "{csv}"
    );
    assert_eq!(csv.lines().filter(|l| l.starts_with("trend,")).count(), 6);

    let csv = env.ok(&["--format", "csv", "report", "year"]);
    assert_eq!(csv.lines().next(), Some("section,text"));
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("calendar,")).count(),
        11
    );
    assert!(csv.contains("\nstreak,"), "{csv}");

    let md = env.ok(&["--format", "markdown", "report", "year"]);
    assert!(md.contains("\n```\n     Jan"), "{md}");
    assert!(md.contains("Mon │"), "{md}");
    let md = env.ok(&["--format", "markdown", "report", "trend"]);
    assert!(md.contains("| Week | Days | Actions |"), "{md}");
}

#[test]
fn snapshots() {
    let env = scenario();
    insta::assert_snapshot!("report_trend", env.ok(&["report", "trend", "--weeks", "6"]));
    insta::assert_snapshot!("report_year", env.ok(&["report", "year"]));
}
