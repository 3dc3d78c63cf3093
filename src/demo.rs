//! The sample data `extramile demo` shows: five weeks with eight clients, dated around
//! the week the demo reports on, so that week is a full, believable one whatever the
//! day: several kinds, an introduction, a follow-up done late, two that slipped, and a
//! neglected top client. Built in memory; no store is read or written.

use chrono::{DateTime, Datelike, FixedOffset, NaiveTime};

use crate::dates::{Week, add_days};
use crate::model::{Action, Client, FollowUp, Kind, Record, Status};

/// The week the demo reports on: this week from Thursday, when it has a few days in it;
/// before that, last week, which is complete. With "This week" or "Last week".
pub fn shown_week(today: chrono::NaiveDate) -> (Week, &'static str) {
    let this = Week::of(today);
    if today.weekday().num_days_from_monday() >= 3 {
        (this, "This week")
    } else {
        (this.previous(), "Last week")
    }
}

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

/// (day, client index, kind, what was done); days count from the Monday of the shown
/// week. Globex, a top client to touch every 7 days, is last served on day -10. Actions
/// the clock has not reached yet (this week's Thursday and Friday) are left out.
const ACTIONS: [(i64, usize, Kind, &str); 25] = [
    (
        -28,
        0,
        Kind::Fix,
        "Fixed the broken CSV export before month-end close",
    ),
    (
        -26,
        1,
        Kind::Idea,
        "Suggested bundling support hours into the renewal",
    ),
    (
        -25,
        2,
        Kind::CheckIn,
        "Checked the new SSO setup worked for all teams",
    ),
    (
        -24,
        4,
        Kind::Intro,
        "Introduced their CTO to our security lead",
    ),
    (
        -21,
        3,
        Kind::Touch,
        "Sent a note congratulating them on the clinic opening",
    ),
    (
        -20,
        0,
        Kind::Idea,
        "Shared a benchmark showing where they could save 12%",
    ),
    (-18, 5, Kind::Other, "Sponsored their charity run"),
    (
        -17,
        6,
        Kind::CheckIn,
        "Asked how the pilot was landing with users",
    ),
    (
        -14,
        2,
        Kind::Fix,
        "Spotted a billing error and refunded it unasked",
    ),
    (
        -13,
        7,
        Kind::Idea,
        "Proposed a seasonal promotion for their new line",
    ),
    (
        -10,
        1,
        Kind::Touch,
        "Sent a book on negotiation their buyer mentioned",
    ),
    (
        -9,
        4,
        Kind::Fix,
        "Patched their integration over the weekend",
    ),
    (-7, 0, Kind::Intro, "Introduced them to a logistics partner"),
    (
        -6,
        3,
        Kind::Idea,
        "Drafted an onboarding checklist for their new clinics",
    ),
    (
        -5,
        5,
        Kind::CheckIn,
        "Followed up on last quarter's training",
    ),
    (
        -4,
        2,
        Kind::Touch,
        "Remembered their office move and sent plants",
    ),
    (-3, 4, Kind::CheckIn, "Checked the patch held under load"),
    (
        0,
        0,
        Kind::Fix,
        "Caught an expiring certificate before it broke their login",
    ),
    (
        0,
        7,
        Kind::Touch,
        "Sent samples of their new line to our team, posted photos",
    ),
    (
        1,
        3,
        Kind::Intro,
        "Introduced their COO to a peer at another network",
    ),
    (
        1,
        4,
        Kind::Idea,
        "Suggested a usage dashboard for their board meeting",
    ),
    (
        2,
        0,
        Kind::CheckIn,
        "Confirmed the certificate renewal went through",
    ),
    (
        2,
        2,
        Kind::Idea,
        "Sent a migration plan for their legacy reports",
    ),
    (3, 5, Kind::Touch, "Thanked their director for the referral"),
    (
        4,
        6,
        Kind::Fix,
        "Found why their pilot dashboard was slow and fixed it",
    ),
];

/// The actions (by place in `ACTIONS`) the client asked for; the rest went unasked.
const ASKED: [usize; 3] = [2, 13, 22];
/// The actions worth telling as stories.
const STORIES: [usize; 2] = [11, 17];

/// When a follow-up is due: on a day of the shown week's calendar, or days from today
/// (for those still to come, so the upcoming list has some whatever the day).
#[derive(Clone, Copy)]
enum Due {
    Day(i64),
    FromToday(i64),
}

/// (client index, what was promised, made on day, due, done on day); days as in
/// `ACTIONS`. All are made and closed by the shown week's Wednesday.
const FOLLOW_UPS: [(usize, &str, i64, Due, Option<i64>); 11] = [
    (
        0,
        "Confirm the export matched their ledger",
        -28,
        Due::Day(-25),
        Some(-25),
    ),
    (
        1,
        "Send the renewal bundle proposal",
        -26,
        Due::Day(-21),
        Some(-19),
    ),
    (
        4,
        "Set up the security review call",
        -24,
        Due::Day(-18),
        Some(-18),
    ),
    (
        2,
        "Send the refund confirmation",
        -14,
        Due::Day(-12),
        Some(-10),
    ),
    (
        3,
        "Share the onboarding checklist draft",
        -6,
        Due::Day(0),
        Some(2),
    ),
    (
        0,
        "Check the new certificate is live",
        0,
        Due::Day(1),
        Some(1),
    ),
    (6, "Collect pilot feedback", -17, Due::Day(-4), None),
    (1, "Call about the renewal decision", -10, Due::Day(1), None),
    (
        0,
        "Review the logistics partner intro",
        -7,
        Due::FromToday(0),
        None,
    ),
    (
        4,
        "Present the usage dashboard mock-up",
        1,
        Due::FromToday(3),
        None,
    ),
    (
        2,
        "Walk through the migration plan",
        2,
        Due::FromToday(6),
        None,
    ),
];

/// The sample records, dated around the week `shown_week` picks for `now`.
pub fn records(now: DateTime<FixedOffset>) -> Vec<Record> {
    let today = now.date_naive();
    let monday = shown_week(today).0.start();
    let at = |day: i64, hour: u32| -> DateTime<FixedOffset> {
        let time = NaiveTime::from_hms_opt(hour, 30, 0).expect("a valid time");
        let local = add_days(monday, day).and_time(time);
        // A fixed offset maps every local time to exactly one instant.
        local
            .and_local_timezone(*now.offset())
            .single()
            .unwrap_or(now)
    };
    let id = |kind: &str, n: usize| format!("demo-{kind}-{n}");
    let mut records = Vec::new();
    for (n, (name, tier, cadence)) in CLIENTS.iter().enumerate() {
        records.push(Record::Client(Client {
            id: id("client", n),
            name: name.to_string(),
            tier: tier.map(str::to_string),
            cadence_days: *cadence,
            created: at(-40, 9),
        }));
    }
    // Numbers are given in list order, so each record has the same one whatever the day.
    for (n, (day, client, kind, text)) in ACTIONS.iter().enumerate() {
        let at = at(*day, 9 + (n as u32 % 8));
        if at > now {
            continue;
        }
        records.push(Record::Action(Action {
            id: id("action", n),
            num: n as u64 + 1,
            client: id("client", *client),
            kind: *kind,
            text: text.to_string(),
            at,
            tags: Vec::new(),
            by: None,
            follows_up: None,
            asked: ASKED.contains(&n),
            story: STORIES.contains(&n),
            with: Vec::new(),
        }));
    }
    for (n, (client, text, made, due, done)) in FOLLOW_UPS.iter().enumerate() {
        records.push(Record::FollowUp(FollowUp {
            id: id("follow-up", n),
            num: (ACTIONS.len() + n) as u64 + 1,
            client: id("client", *client),
            text: text.to_string(),
            due: match *due {
                Due::Day(day) => add_days(monday, day),
                Due::FromToday(days) => add_days(today, days),
            },
            due_time: None,
            status: if done.is_some() {
                Status::Done
            } else {
                Status::Open
            },
            created: at(*made, 11),
            closed_at: done.map(|day| at(day, 16)),
            snoozes: 0,
            action: None,
            by: None,
            every: None,
            every_from: None,
            with: Vec::new(),
        }));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_dated_after_now() {
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        for day in 0..7 {
            for hour in [0, 12, 23] {
                let local = add_days(monday, day).and_hms_opt(hour, 0, 0).unwrap();
                let now = local.and_utc().fixed_offset();
                for record in records(now) {
                    let latest = match &record {
                        Record::Client(c) => c.created,
                        Record::Action(a) => a.at,
                        Record::FollowUp(f) => f.closed_at.unwrap_or(f.created),
                        _ => continue,
                    };
                    assert!(latest <= now, "{record:?} is after {now}");
                }
            }
        }
    }
}
