//! The sample data `extramile demo` shows: a month with eight clients, dated relative to
//! today so the report always has a current week, late and overdue follow-ups, and a
//! neglected client. Built in memory; no store is read or written.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime};

use crate::dates::add_days;
use crate::model::{Action, Client, FollowUp, Kind, Record, Status};

/// (client, tier, cadence in days)
const CLIENTS: [(&str, Option<&str>, Option<u32>); 8] = [
    ("Acme Corp", Some("A"), Some(14)),
    ("Globex", Some("A"), Some(7)),
    ("Initech", Some("B"), Some(21)),
    ("Umbrella Health", Some("B"), None),
    ("Stark Industries", Some("A"), Some(14)),
    ("Wayne Foundation", None, None),
    ("Hooli", Some("C"), Some(30)),
    ("Soylent Foods", None, None),
];

/// (days ago, client index, kind, what was done)
const ACTIONS: [(i64, usize, Kind, &str); 24] = [
    (
        29,
        0,
        Kind::Fix,
        "Fixed the broken CSV export before month-end close",
    ),
    (
        27,
        1,
        Kind::Idea,
        "Suggested bundling support hours into the renewal",
    ),
    (
        26,
        2,
        Kind::CheckIn,
        "Checked the new SSO setup worked for all teams",
    ),
    (
        24,
        4,
        Kind::Intro,
        "Introduced their CTO to our security lead",
    ),
    (
        22,
        3,
        Kind::Touch,
        "Sent a note congratulating them on the clinic opening",
    ),
    (
        20,
        0,
        Kind::Idea,
        "Shared a benchmark showing where they could save 12%",
    ),
    (19, 5, Kind::Other, "Sponsored their charity run"),
    (
        17,
        6,
        Kind::CheckIn,
        "Asked how the pilot was landing with users",
    ),
    (
        15,
        2,
        Kind::Fix,
        "Spotted a billing error and refunded it unasked",
    ),
    (
        14,
        7,
        Kind::Idea,
        "Proposed a seasonal promotion for their new line",
    ),
    (
        13,
        1,
        Kind::Touch,
        "Sent a book on negotiation their buyer mentioned",
    ),
    (
        12,
        4,
        Kind::Fix,
        "Patched their integration over the weekend",
    ),
    (10, 0, Kind::Intro, "Introduced them to a logistics partner"),
    (
        8,
        3,
        Kind::Idea,
        "Drafted an onboarding checklist for their new clinics",
    ),
    (
        7,
        5,
        Kind::CheckIn,
        "Followed up on last quarter's training",
    ),
    (
        6,
        2,
        Kind::Touch,
        "Remembered their office move and sent plants",
    ),
    (5, 4, Kind::CheckIn, "Checked the patch held under load"),
    (
        4,
        0,
        Kind::Fix,
        "Caught an expiring certificate before it broke their login",
    ),
    (
        3,
        7,
        Kind::Touch,
        "Sent samples of their new line to our team, posted photos",
    ),
    (
        3,
        3,
        Kind::Intro,
        "Introduced their COO to a peer at another network",
    ),
    (
        2,
        4,
        Kind::Idea,
        "Suggested a usage dashboard for their board meeting",
    ),
    (
        1,
        0,
        Kind::CheckIn,
        "Confirmed the certificate renewal went through",
    ),
    (
        1,
        2,
        Kind::Idea,
        "Sent a migration plan for their legacy reports",
    ),
    (0, 5, Kind::Touch, "Thanked their director for the referral"),
];

/// (client index, what was promised, made days ago, due in days from today, done days ago)
const FOLLOW_UPS: [(usize, &str, i64, i64, Option<i64>); 10] = [
    (
        0,
        "Confirm the export matched their ledger",
        29,
        -25,
        Some(25),
    ),
    (1, "Send the renewal bundle proposal", 27, -20, Some(17)),
    (4, "Set up the security review call", 24, -18, Some(18)),
    (2, "Send the refund confirmation", 15, -13, Some(11)),
    (3, "Share the onboarding checklist draft", 8, -4, Some(2)),
    (6, "Collect pilot feedback", 17, -3, None),
    (1, "Call about the renewal decision", 13, -1, None),
    (0, "Review the logistics partner intro", 10, 0, None),
    (4, "Present the usage dashboard mock-up", 2, 3, None),
    (2, "Walk through the migration plan", 1, 6, None),
];

/// The sample records, dated relative to `now`.
pub fn records(now: DateTime<FixedOffset>) -> Vec<Record> {
    let today = now.date_naive();
    let at = |days_ago: i64, hour: u32| -> DateTime<FixedOffset> {
        let day = add_days(today, -days_ago);
        let time = NaiveTime::from_hms_opt(hour, 30, 0).expect("a valid time");
        let naive = day.and_time(time);
        naive
            .and_local_timezone(*now.offset())
            .single()
            .unwrap_or(now - Duration::days(days_ago))
    };
    let id = |kind: &str, n: usize| format!("demo-{kind}-{n}");
    let mut records = Vec::new();
    for (n, (name, tier, cadence)) in CLIENTS.iter().enumerate() {
        records.push(Record::Client(Client {
            id: id("client", n),
            name: name.to_string(),
            tier: tier.map(str::to_string),
            cadence_days: *cadence,
            created: at(40, 9),
        }));
    }
    let mut num = 0;
    for (n, (days_ago, client, kind, text)) in ACTIONS.iter().enumerate() {
        num += 1;
        records.push(Record::Action(Action {
            id: id("action", n),
            num,
            client: id("client", *client),
            kind: *kind,
            text: text.to_string(),
            at: at(*days_ago, 9 + (n as u32 % 8)),
            tags: Vec::new(),
            by: None,
        }));
    }
    for (n, (client, text, made, due_in, done)) in FOLLOW_UPS.iter().enumerate() {
        num += 1;
        let due: NaiveDate = add_days(today, *due_in);
        records.push(Record::FollowUp(FollowUp {
            id: id("follow-up", n),
            num,
            client: id("client", *client),
            text: text.to_string(),
            due,
            due_time: None,
            status: if done.is_some() {
                Status::Done
            } else {
                Status::Open
            },
            created: at(*made, 11),
            closed_at: done.map(|d| at(d, 16)),
            snoozes: 0,
            action: None,
            by: None,
        }));
    }
    records
}
