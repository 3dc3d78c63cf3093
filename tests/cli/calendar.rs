//! The iCalendar feed stays true: every follow-up keeps its UID, each change raises its
//! SEQUENCE, and done, cancelled or deleted ones go out as cancelled (or completed).

use std::collections::HashMap;

use ical::parser::ical::component::IcalAlarm;
use ical::property::Property;

use crate::Env;

/// One VEVENT or VTODO: its properties by name (with parameters, as `DUE;VALUE=DATE`)
/// and its alarms' properties the same way.
#[derive(Debug)]
struct Entry {
    props: HashMap<String, String>,
    alarms: Vec<HashMap<String, String>>,
}

impl Entry {
    fn get(&self, name: &str) -> &str {
        self.props
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.props))
    }

    fn sequence(&self) -> u64 {
        self.get("SEQUENCE").parse().unwrap()
    }
}

fn props(properties: &[Property]) -> HashMap<String, String> {
    properties
        .iter()
        .map(|p| {
            let params: String = p
                .params
                .iter()
                .flatten()
                .map(|(k, v)| format!(";{k}={}", v.join(",")))
                .collect();
            (
                format!("{}{params}", p.name),
                p.value.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn alarms(alarms: &[IcalAlarm]) -> Vec<HashMap<String, String>> {
    alarms.iter().map(|a| props(&a.properties)).collect()
}

/// The entries of a feed by their follow-up's number (from DESCRIPTION), events or
/// to-dos; checks the file is one calendar with CRLF line endings.
fn parse(ics: &str) -> HashMap<u64, Entry> {
    assert!(
        ics.split_inclusive('\n').all(|l| l.ends_with("\r\n")),
        "CRLF line endings"
    );
    let calendars: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()))
        .collect::<Result<_, _>>()
        .expect("a valid iCalendar file");
    assert_eq!(calendars.len(), 1);
    let calendar = &calendars[0];
    let events = calendar.events.iter().map(|e| Entry {
        props: props(&e.properties),
        alarms: alarms(&e.alarms),
    });
    let todos = calendar.todos.iter().map(|t| Entry {
        props: props(&t.properties),
        alarms: alarms(&t.alarms),
    });
    events
        .chain(todos)
        .map(|e| {
            let description = e.get("DESCRIPTION");
            let num = description
                .split('#')
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no number in '{description}'"));
            (num, e)
        })
        .collect()
}

fn feed(env: &Env, extra: &[&str]) -> HashMap<u64, Entry> {
    let mut args = vec!["export", "--format", "ics"];
    args.extend_from_slice(extra);
    parse(&env.ok(&args))
}

/// Three follow-ups, #1 to #3, all day on Tue, Wed and Thu next week.
fn three(env: &Env) {
    env.ok(&["fu", "Acme", "send the deck", "--due", "2026-11-24"]);
    env.ok(&["fu", "Globex", "call back", "--due", "2026-11-25"]);
    env.ok(&["fu", "Hooli", "renewal", "--due", "2026-11-26"]);
}

#[test]
fn uids_stay_and_sequence_grows_with_each_change() {
    let env = Env::new();
    three(&env);
    let first = feed(&env, &[]);
    assert_eq!(first.len(), 3);
    for entry in first.values() {
        assert_eq!(entry.get("STATUS"), "CONFIRMED");
        assert!(entry.get("UID").ends_with("@extramile"));
    }
    assert_eq!(
        env.ok(&["export", "--format", "ics"]),
        env.ok(&["export", "--format", "ics"]),
        "nothing changed, the same file"
    );

    env.ok(&["snooze", "1", "2026-12-01"]);
    let snoozed = feed(&env, &[]);
    assert_eq!(snoozed[&1].get("UID"), first[&1].get("UID"));
    assert!(snoozed[&1].sequence() > first[&1].sequence());
    assert_eq!(snoozed[&1].get("DTSTART;VALUE=DATE"), "20261201");
    assert_eq!(snoozed[&1].get("STATUS"), "CONFIRMED");
    for other in [2, 3] {
        assert_eq!(snoozed[&other].sequence(), first[&other].sequence());
    }

    env.ok(&["done", "2"]);
    let done = feed(&env, &[]);
    assert_eq!(done[&2].get("UID"), first[&2].get("UID"));
    assert!(done[&2].sequence() > snoozed[&2].sequence());
    assert!(
        done[&2].sequence() > snoozed[&1].sequence(),
        "a later change"
    );
    assert_eq!(done[&2].get("STATUS"), "CANCELLED", "no longer needed");
    assert!(done[&2].alarms.is_empty(), "nothing to remind of");
    let tasks = feed(&env, &["--tasks"]);
    assert_eq!(tasks[&2].get("STATUS"), "COMPLETED");
    assert_eq!(tasks[&2].get("COMPLETED"), "20261120T100000Z");
    assert_eq!(tasks[&2].get("UID"), first[&2].get("UID"));
    assert_eq!(tasks[&2].sequence(), done[&2].sequence());
    assert_eq!(tasks[&1].get("STATUS"), "NEEDS-ACTION");
    assert_eq!(tasks[&1].get("DUE;VALUE=DATE"), "20261202");

    env.ok(&["delete", "3"]);
    let deleted = feed(&env, &[]);
    assert_eq!(deleted.len(), 3, "the deleted one stays, cancelled");
    assert_eq!(deleted[&3].get("UID"), first[&3].get("UID"));
    assert_eq!(deleted[&3].get("STATUS"), "CANCELLED");
    assert_eq!(deleted[&3].get("SUMMARY"), "Follow up with Hooli: renewal");
    assert!(deleted[&3].sequence() > done[&2].sequence());
    assert_eq!(feed(&env, &["--tasks"])[&3].get("STATUS"), "CANCELLED");

    env.ok(&["undo"]);
    let back = feed(&env, &[]);
    assert_eq!(back[&3].get("STATUS"), "CONFIRMED", "undo brings it back");
    assert!(back[&3].sequence() > deleted[&3].sequence());
    env.ok(&["delete", "3"]);
    let again = feed(&env, &[]);
    // Compaction drops the versions before the delete: the delete's own record of
    // what it took out keeps the entry, unchanged.
    env.ok(&["compact"]);
    let compacted = env.ok(&["export", "--format", "ics"]);
    assert_eq!(
        compacted,
        env.ok(&["export", "--format", "ics"]),
        "stable after compaction"
    );
    let compacted = parse(&compacted);
    for num in [1, 2, 3] {
        assert_eq!(compacted[&num].props, again[&num].props, "#{num}");
    }
}

#[test]
fn closed_ones_older_than_the_window_are_left_out() {
    let env = Env::new();
    three(&env);
    env.ok(&["done", "1"]);
    env.ok(&["cancel", "2"]);
    env.ok_at("2026-11-25 10:00", &["delete", "3"]);
    let at = |now: &str, extra: &[&str]| {
        let mut args = vec!["export", "--format", "ics"];
        args.extend_from_slice(extra);
        let mut nums: Vec<u64> = parse(&env.ok_at(now, &args)).into_keys().collect();
        nums.sort_unstable();
        nums
    };
    assert_eq!(at("2026-12-01 10:00", &[]), [1, 2, 3]);
    // 90 days: closed on 2026-11-20, kept through 2027-02-18.
    assert_eq!(at("2027-02-18 10:00", &[]), [1, 2, 3]);
    assert_eq!(at("2027-02-19 10:00", &[]), [3], "deleted later");
    assert_eq!(at("2027-02-24 10:00", &[]), Vec::<u64>::new());
    assert_eq!(
        at("2027-02-24 10:00", &["--since", "2026-11-20"]),
        [1, 2, 3]
    );
    assert_eq!(at("2026-12-01 10:00", &["--since", "2026-11-21"]), [3]);
    assert_eq!(at("2026-12-01 10:00", &["--since", "10 days ago"]), [3]);
    assert_eq!(
        at("2026-12-01 10:00", &["--since", "11 days ago"]),
        [1, 2, 3]
    );

    env.ok(&["fu", "Acme", "still open", "--due", "2026-11-01"]);
    assert_eq!(at("2030-01-01 10:00", &[]), [4], "open ones always stay");
    env.fails(2, &["export", "--format", "ics", "--since", "whenever"]);
}

/// A version closed before the window is let go as the journal streams by, yet a
/// follow-up deleted or reopened since comes back: the deleted one from its delete's
/// record of what it took out, the reopened one from the version that reopened it.
#[test]
fn closed_long_ago_then_deleted_or_reopened_is_in_the_feed() {
    let env = Env::new();
    three(&env);
    env.ok(&["done", "1"]);
    env.ok(&["done", "2"]);
    let later = "2027-11-20 10:00";
    let at = |now: &str| parse(&env.ok_at(now, &["export", "--format", "ics"]));
    let before = at(later);
    assert_eq!(before.keys().copied().collect::<Vec<_>>(), [3]);
    env.ok_at(later, &["undo"]);
    env.ok_at(later, &["delete", "1"]);
    let after = at("2027-11-21 10:00");
    let mut nums: Vec<u64> = after.keys().copied().collect();
    nums.sort_unstable();
    assert_eq!(nums, [1, 2, 3]);
    assert_eq!(after[&1].get("STATUS"), "CANCELLED");
    assert_eq!(
        after[&1].get("SUMMARY"),
        "Follow up with Acme: send the deck"
    );
    assert_eq!(after[&2].get("STATUS"), "CONFIRMED");
    assert!(after[&1].sequence() > after[&2].sequence(), "deleted last");
}

#[test]
fn timed_and_all_day_follow_ups_remind() {
    let mut env = Env::new();
    env.tz = "Europe/Berlin".into();
    env.ok(&[
        "fu",
        "Acme",
        "call at half past three",
        "--due",
        "tue 15:30",
    ]);
    env.ok(&["fu", "Globex", "send the deck", "--due", "2026-11-25"]);

    let events = feed(&env, &[]);
    let (timed, all_day) = (&events[&1], &events[&2]);
    assert_eq!(timed.get("DTSTART"), "20261124T143000Z", "15:30 in Berlin");
    assert!(!timed.props.contains_key("DTEND"));
    assert_eq!(all_day.get("DTSTART;VALUE=DATE"), "20261125");
    assert_eq!(all_day.get("DTEND;VALUE=DATE"), "20261126");
    let triggers = |entries: &HashMap<u64, Entry>, num: u64| -> Vec<String> {
        entries[&num]
            .alarms
            .iter()
            .map(|a| {
                assert_eq!(a["ACTION"], "DISPLAY");
                assert!(a["DESCRIPTION"].starts_with("Follow up with "));
                let (name, value) = a.iter().find(|(k, _)| k.starts_with("TRIGGER")).unwrap();
                format!("{name}:{value}")
            })
            .collect()
    };
    assert_eq!(triggers(&events, 1), ["TRIGGER:-PT15M"]);
    assert_eq!(triggers(&events, 2), ["TRIGGER:PT9H"], "09:00 on the day");

    let lead = feed(&env, &["--alarm", "30m"]);
    assert_eq!(triggers(&lead, 1), ["TRIGGER:-PT30M"]);
    assert_eq!(
        triggers(&lead, 2),
        ["TRIGGER:PT8H30M"],
        "30 minutes before 09:00"
    );
    let lead = feed(&env, &["--alarm", "2h"]);
    assert_eq!(triggers(&lead, 1), ["TRIGGER:-PT2H"]);
    assert_eq!(triggers(&lead, 2), ["TRIGGER:PT7H"]);
    let lead = feed(&env, &["--alarm", "1d"]);
    assert_eq!(
        triggers(&lead, 2),
        ["TRIGGER:-PT15H"],
        "09:00 the day before"
    );
    let none = feed(&env, &["--alarm", "none"]);
    assert!(none.values().all(|e| e.alarms.is_empty()));

    let tasks = feed(&env, &["--tasks"]);
    assert_eq!(tasks[&1].get("DUE"), "20261124T143000Z");
    assert!(!tasks[&1].props.contains_key("DTSTART"), "DUE alone");
    assert_eq!(triggers(&tasks, 1), ["TRIGGER;RELATED=END:-PT15M"]);
    assert_eq!(tasks[&2].get("DTSTART;VALUE=DATE"), "20261125");
    assert_eq!(triggers(&tasks, 2), ["TRIGGER:PT9H"]);

    env.fails(2, &["export", "--format", "ics", "--alarm", "soon"]);
    env.fails(2, &["export", "--format", "ics", "--alarm", "30s"]);
    env.fails(2, &["export", "--format", "ics", "--alarm", "99d"]);
    env.fails(2, &["export", "--format", "json", "--tasks"]);
    env.fails(2, &["export", "--format", "csv", "--alarm", "30m"]);
    env.fails(2, &["export", "--since", "yesterday"]);
    env.fails(2, &["export", "--format", "ics", "--to", "hubspot"]);
}

#[test]
fn long_texts_fold_at_75_octets() {
    let env = Env::new();
    let text = format!("{} — und; dann, {}", "é".repeat(50), "long ".repeat(30));
    env.ok(&["fu", "Société Générale", &text, "--due", "2026-11-24"]);
    let ics = env.ok(&["export", "--format", "ics"]);
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert!(ics.contains("\r\n "), "folded");
    let entries = parse(&ics);
    assert_eq!(
        entries[&1].get("SUMMARY"),
        format!("Follow up with Société Générale: {}", text.trim())
            .replace(';', "\\;")
            .replace(',', "\\,")
    );
}

/// With khal installed, a calendar that imports one export and then the next shows the
/// snoozed follow-up once, on its new day, and the done one only as cancelled.
#[test]
fn khal_takes_the_changes() {
    let Ok(khal) = std::process::Command::new("khal").arg("--version").output() else {
        eprintln!("note: khal is not installed; the khal check is skipped");
        return;
    };
    assert!(khal.status.success());
    let env = Env::new();
    three(&env);
    let dir = env.dir.path().join("khal");
    std::fs::create_dir_all(dir.join("calendar")).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[calendars]\n[[followups]]\npath = {}\n[sqlite]\npath = {}\n\
             [locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\n\
             longdateformat = %Y-%m-%d\ndatetimeformat = %Y-%m-%d %H:%M\n\
             longdatetimeformat = %Y-%m-%d %H:%M\nlocal_timezone = UTC\n\
             default_timezone = UTC\n",
            dir.join("calendar").display(),
            dir.join("khal.db").display()
        ),
    )
    .unwrap();
    let khal = |args: &[&str]| {
        let out = std::process::Command::new("khal")
            .arg("-c")
            .arg(&config)
            .args(args)
            .env("HOME", env.dir.path())
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config.d"))
            .env("TZ", "UTC")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "khal {args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let import = |name: &str| {
        let file = dir.join(name);
        env.ok(&[
            "export",
            "--format",
            "ics",
            "--output",
            file.to_str().unwrap(),
        ]);
        khal(&["import", "--batch", file.to_str().unwrap()]);
    };
    let list = || {
        khal(&[
            "list",
            "--format",
            "{start-date} {cancelled}{title}",
            "2026-11-20",
            "30d",
        ])
    };
    import("first.ics");
    let before = list();
    assert!(
        before.contains("2026-11-24 Follow up with Acme: send the deck"),
        "{before}"
    );
    env.ok(&["done", "2"]);
    env.ok(&["snooze", "1", "2026-12-01"]);
    import("second.ics");
    let after = list();
    let lines = |what: &str| after.lines().filter(|l| l.contains(what)).count();
    assert_eq!(lines("send the deck"), 1, "the snoozed one once: {after}");
    assert!(
        after.contains("2026-12-01 Follow up with Acme: send the deck"),
        "{after}"
    );
    assert!(
        after
            .lines()
            .all(|l| !l.contains("call back") || l.contains("CANCELLED")),
        "the done one only as cancelled: {after}"
    );
    assert!(
        after.contains("2026-11-26 Follow up with Hooli: renewal"),
        "{after}"
    );
}
