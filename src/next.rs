//! Whom to call next: every client with a reason to be contacted now, ranked, each with
//! its reason in words. Pure: takes the state and `today`; nothing reads the clock.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::cmp::Reverse;

use chrono::NaiveDate;
use serde::Serialize;

use crate::dates::{days, humanize_due};
use crate::model::FollowUp;
use crate::report::{CADENCE_SOON, Cadence, ClientSummary, client_summaries, neglected};
use crate::state::State;

/// Days without a touch after which a tier A or B client with no cadence of its own is
/// worth a call.
pub const QUIET_AFTER: i64 = 14;

/// The ranking, as `next --help` tells it. The numbers are `CADENCE_SOON` and
/// `QUIET_AFTER` (a test keeps them in step).
pub const RANKING: &str = "\
Ranking, most pressing first; a client is listed once, under its first reason:
  1. Overdue follow-ups: the most overdue first, then the most follow-ups overdue.
  2. Past its stay-in-touch cadence: by tier (A, B, C, in alphabetical order; no
     tier last), then the most days past.
  3. Cadence falling due within 3 days: the soonest first.
  4. Tier A, then B, with no cadence set, untouched for 14 days or more: never
     touched first, then the longest untouched.
Remaining ties go by tier, then name. Clients with none of these reasons are not listed.
Set a client's tier and cadence with `extramile client NAME --tier A --cadence 14d`.";

/// Why a client is on the list, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// At least one follow-up is overdue.
    Overdue,
    /// Past its stay-in-touch cadence.
    PastCadence,
    /// Its cadence falls due within `CADENCE_SOON` days.
    CadenceSoon,
    /// Tier A or B, no cadence, untouched for `QUIET_AFTER` days or more.
    TopTierQuiet,
}

/// One client to call, with the reason and the facts beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// 1 for the most pressing.
    pub rank: usize,
    pub client: String,
    pub tier: Option<String>,
    /// The reason in words.
    pub reason: String,
    pub reason_kind: ReasonKind,
    /// Days overdue (the oldest follow-up), days past the cadence, days until the
    /// cadence falls due, or days since the last touch (none when never touched).
    pub days: Option<i64>,
    pub last_touch: Option<NaiveDate>,
    /// Open follow-ups.
    pub open: usize,
    /// Overdue follow-ups.
    pub overdue: usize,
}

/// Every client with a reason to be called on `today`, most pressing first (see
/// `RANKING`).
pub fn who_to_call(state: &State, today: NaiveDate) -> Vec<Call> {
    let summaries = client_summaries(state, today);
    // Summaries come by name and each class is sorted stably, so ties stay by name.
    let mut candidates: Vec<(ReasonKind, &ClientSummary, Option<i64>, String)> = Vec::new();

    // Each client's oldest overdue follow-up: its first, as they come soonest due first.
    let mut oldest: HashMap<&str, &FollowUp> = HashMap::new();
    for f in state.open_follow_ups() {
        if f.is_overdue(today) {
            oldest.entry(state.client_name(&f.client)).or_insert(f);
        }
    }
    let mut late: Vec<(&ClientSummary, &FollowUp)> = summaries
        .iter()
        .filter_map(|s| Some((s, *oldest.get(s.client.as_str())?)))
        .collect();
    late.sort_by_key(|(s, f)| (f.due, Reverse(s.overdue), tier_order(s)));
    for (s, f) in late {
        let reason = if s.overdue == 1 {
            format!(
                "follow-up #{} {}: {}",
                f.num,
                humanize_due(f.due, today),
                f.text
            )
        } else {
            format!(
                "{} follow-ups overdue; oldest #{}, {}: {}",
                s.overdue,
                f.num,
                days(f.days_overdue(today)),
                f.text
            )
        };
        candidates.push((ReasonKind::Overdue, s, Some(f.days_overdue(today)), reason));
    }

    let mut past = neglected(&summaries);
    past.sort_by_key(|s| tier_order(s));
    for s in past {
        if let (Cadence::Past { days_past }, Some(every)) = (s.cadence, s.cadence_days) {
            let reason = format!(
                "{}{} past its {every}-day cadence",
                tier_label(s),
                days(days_past)
            );
            candidates.push((ReasonKind::PastCadence, s, Some(days_past), reason));
        }
    }

    let mut soon: Vec<(&ClientSummary, i64)> = summaries
        .iter()
        .filter_map(|s| match s.cadence {
            Cadence::Ok { days_left } if days_left <= CADENCE_SOON => Some((s, days_left)),
            _ => None,
        })
        .collect();
    soon.sort_by_key(|(s, days_left)| (*days_left, tier_order(s)));
    for (s, days_left) in soon {
        let reason = format!("cadence {}", s.cadence.describe());
        candidates.push((ReasonKind::CadenceSoon, s, Some(days_left), reason));
    }

    let mut quiet: Vec<&ClientSummary> = summaries
        .iter()
        .filter(|s| {
            s.cadence == Cadence::None
                && s.tier.as_deref().is_some_and(is_top_tier)
                && s.days_since.is_none_or(|d| d >= QUIET_AFTER)
        })
        .collect();
    quiet.sort_by_key(|s| (tier_order(s), Reverse(s.days_since.unwrap_or(i64::MAX))));
    for s in quiet {
        let reason = match s.days_since {
            Some(ago) => format!("{}last touched {} ago", tier_label(s), days(ago)),
            None => format!("{}never touched", tier_label(s)),
        };
        candidates.push((ReasonKind::TopTierQuiet, s, s.days_since, reason));
    }

    let mut listed = HashSet::new();
    candidates
        .into_iter()
        .filter(|(_, s, _, _)| listed.insert(s.client.as_str()))
        .enumerate()
        .map(|(i, (reason_kind, s, days, reason))| Call {
            rank: i + 1,
            client: s.client.clone(),
            tier: s.tier.clone(),
            reason,
            reason_kind,
            days,
            last_touch: s.last_touch,
            open: s.open,
            overdue: s.overdue,
        })
        .collect()
}

/// Tiers in alphabetical order, case aside (A before B before C); no tier last.
fn tier_order(s: &ClientSummary) -> (bool, String) {
    (
        s.tier.is_none(),
        s.tier.as_deref().unwrap_or_default().to_lowercase(),
    )
}

/// The top tiers, which are worth a call when quiet even without a cadence.
fn is_top_tier(tier: &str) -> bool {
    tier.eq_ignore_ascii_case("a") || tier.eq_ignore_ascii_case("b")
}

/// "tier A, ", or nothing for a client without a tier.
fn tier_label(s: &ClientSummary) -> String {
    s.tier
        .as_deref()
        .map(|t| format!("tier {t}, "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::model::{Action, Client, Kind, Record, Status};

    const TODAY: &str = "2026-11-20";

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn noon(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("{text}T12:00:00Z")).unwrap()
    }

    /// A state built a record at a time; clients are added on 2026-09-01.
    #[derive(Default)]
    struct Build(State);

    impl Build {
        fn client(mut self, name: &str, tier: Option<&str>, cadence_days: Option<u32>) -> Build {
            self.0.apply(&Record::Client(Client {
                id: name.to_lowercase(),
                name: name.into(),
                tier: tier.map(str::to_string),
                cadence_days,
                created: noon("2026-09-01"),
            }));
            self
        }

        fn touched(mut self, name: &str, on: &str) -> Build {
            let num = self.0.next_num();
            self.0.apply(&Record::Action(Action {
                id: format!("a{num}"),
                num,
                client: name.to_lowercase(),
                kind: Kind::Touch,
                text: "coffee".into(),
                at: noon(on),
                tags: vec![],
                by: None,
                follows_up: None,
                asked: false,
                story: false,
                with: vec![],
            }));
            self
        }

        fn promised(mut self, name: &str, text: &str, due: &str) -> Build {
            let num = self.0.next_num();
            self.0.apply(&Record::FollowUp(FollowUp {
                id: format!("f{num}"),
                num,
                client: name.to_lowercase(),
                text: text.into(),
                due: day(due),
                due_time: None,
                status: Status::Open,
                created: noon("2026-09-01"),
                closed_at: None,
                snoozes: 0,
                action: None,
                by: None,
                every: None,
                every_from: None,
                with: vec![],
            }));
            self
        }

        fn calls(&self) -> Vec<Call> {
            who_to_call(&self.0, day(TODAY))
        }
    }

    fn listed(calls: &[Call]) -> Vec<(&str, ReasonKind, Option<i64>, &str)> {
        calls
            .iter()
            .map(|c| (c.client.as_str(), c.reason_kind, c.days, c.reason.as_str()))
            .collect()
    }

    #[test]
    fn each_reason_in_turn_and_each_client_once_under_its_first() {
        let calls = Build::default()
            // Overdue and past its cadence: listed once, as overdue.
            .client("Both", Some("A"), Some(7))
            .touched("Both", "2026-10-01")
            .promised("Both", "send the pricing deck", "2026-11-17")
            .client("Past", Some("B"), Some(7))
            .touched("Past", "2026-11-10")
            .client("Soon", None, Some(7))
            .touched("Soon", "2026-11-15")
            .client("Quiet", Some("A"), None)
            .touched("Quiet", "2026-11-01")
            // Nothing to say: touched yesterday; a cadence kept; a quiet tier C.
            .client("Recent", Some("A"), None)
            .touched("Recent", "2026-11-19")
            .client("Kept", Some("A"), Some(30))
            .touched("Kept", "2026-11-10")
            .client("Low", Some("C"), None)
            .calls();
        assert_eq!(
            listed(&calls),
            [
                (
                    "Both",
                    ReasonKind::Overdue,
                    Some(3),
                    "follow-up #2 3 days overdue: send the pricing deck"
                ),
                (
                    "Past",
                    ReasonKind::PastCadence,
                    Some(3),
                    "tier B, 3 days past its 7-day cadence"
                ),
                (
                    "Soon",
                    ReasonKind::CadenceSoon,
                    Some(2),
                    "cadence due in 2 days"
                ),
                (
                    "Quiet",
                    ReasonKind::TopTierQuiet,
                    Some(19),
                    "tier A, last touched 19 days ago"
                ),
            ]
        );
        let ranks: Vec<usize> = calls.iter().map(|c| c.rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4]);
        let both = &calls[0];
        assert_eq!(
            (
                both.tier.as_deref(),
                both.last_touch,
                both.open,
                both.overdue
            ),
            (Some("A"), Some(day("2026-10-01")), 1, 1)
        );
    }

    #[test]
    fn the_most_overdue_first_then_the_one_with_more_overdue() {
        let calls = Build::default()
            .client("Alpha", Some("A"), None)
            .promised("Alpha", "one day late", "2026-11-19")
            .client("Beta", None, None)
            .promised("Beta", "late too", "2026-11-18")
            .promised("Beta", "the oldest", "2026-11-15")
            .promised("Beta", "not due yet", "2026-11-25")
            // As overdue as Beta's oldest, and first by name, but with fewer overdue.
            .client("Abacus", None, None)
            .promised("Abacus", "as old", "2026-11-15")
            .calls();
        assert_eq!(
            listed(&calls),
            [
                (
                    "Beta",
                    ReasonKind::Overdue,
                    Some(5),
                    "2 follow-ups overdue; oldest #3, 5 days: the oldest"
                ),
                (
                    "Abacus",
                    ReasonKind::Overdue,
                    Some(5),
                    "follow-up #5 5 days overdue: as old"
                ),
                (
                    "Alpha",
                    ReasonKind::Overdue,
                    Some(1),
                    "follow-up #1 1 day overdue: one day late"
                ),
            ]
        );
        assert_eq!((calls[0].open, calls[0].overdue), (3, 2));
    }

    #[test]
    fn past_cadence_goes_by_tier_then_days_past() {
        let calls = Build::default()
            .client("No tier", None, Some(7))
            .touched("No tier", "2026-11-01")
            .client("Cee", Some("C"), Some(7))
            .touched("Cee", "2026-11-11")
            .client("Bee", Some("b"), Some(7))
            .touched("Bee", "2026-11-12")
            .client("Ay one", Some("A"), Some(7))
            .touched("Ay one", "2026-11-12")
            .client("Ay two", Some("A"), Some(7))
            .touched("Ay two", "2026-11-08")
            .calls();
        let order: Vec<(&str, Option<i64>)> =
            calls.iter().map(|c| (c.client.as_str(), c.days)).collect();
        assert_eq!(
            order,
            [
                ("Ay two", Some(5)),
                ("Ay one", Some(1)),
                ("Bee", Some(1)),
                ("Cee", Some(2)),
                ("No tier", Some(12)),
            ]
        );
        assert!(
            calls
                .iter()
                .all(|c| c.reason_kind == ReasonKind::PastCadence)
        );
        assert_eq!(calls[1].reason, "tier A, 1 day past its 7-day cadence");
        assert_eq!(calls[4].reason, "12 days past its 7-day cadence");
    }

    #[test]
    fn a_cadence_falling_due_within_three_days_soonest_first() {
        let calls = Build::default()
            .client("In four", Some("A"), Some(10))
            .touched("In four", "2026-11-14")
            .client("In three", None, Some(10))
            .touched("In three", "2026-11-13")
            .client("Today B", Some("B"), Some(10))
            .touched("Today B", "2026-11-10")
            .client("Today A", Some("A"), Some(10))
            .touched("Today A", "2026-11-10")
            .calls();
        assert_eq!(
            listed(&calls),
            [
                (
                    "Today A",
                    ReasonKind::CadenceSoon,
                    Some(0),
                    "cadence due today"
                ),
                (
                    "Today B",
                    ReasonKind::CadenceSoon,
                    Some(0),
                    "cadence due today"
                ),
                (
                    "In three",
                    ReasonKind::CadenceSoon,
                    Some(CADENCE_SOON),
                    "cadence due in 3 days"
                ),
            ]
        );
    }

    #[test]
    fn quiet_top_tier_clients_tier_a_first_never_touched_first() {
        let calls = Build::default()
            .client("B never", Some("B"), None)
            .client("B long", Some("B"), None)
            .touched("B long", "2026-10-01")
            .client("A threshold", Some("A"), None)
            .touched("A threshold", "2026-11-06")
            .client("A not yet", Some("A"), None)
            .touched("A not yet", "2026-11-07")
            .client("A longer", Some("a"), None)
            .touched("A longer", "2026-10-20")
            .client("A never", Some("A"), None)
            .client("C never", Some("C"), None)
            .client("No tier", None, None)
            .calls();
        assert_eq!(
            listed(&calls),
            [
                (
                    "A never",
                    ReasonKind::TopTierQuiet,
                    None,
                    "tier A, never touched"
                ),
                (
                    "A longer",
                    ReasonKind::TopTierQuiet,
                    Some(31),
                    "tier a, last touched 31 days ago"
                ),
                (
                    "A threshold",
                    ReasonKind::TopTierQuiet,
                    Some(QUIET_AFTER),
                    "tier A, last touched 14 days ago"
                ),
                (
                    "B never",
                    ReasonKind::TopTierQuiet,
                    None,
                    "tier B, never touched"
                ),
                (
                    "B long",
                    ReasonKind::TopTierQuiet,
                    Some(50),
                    "tier B, last touched 50 days ago"
                ),
            ]
        );
    }

    #[test]
    fn nobody_when_nothing_is_overdue_and_every_cadence_is_kept() {
        let build = Build::default()
            .client("Acme", Some("A"), Some(14))
            .touched("Acme", "2026-11-19")
            .promised("Acme", "due today is not overdue", TODAY)
            .client("Globex", None, None);
        assert_eq!(build.calls(), []);
        assert_eq!(Build::default().calls(), []);
    }

    #[test]
    fn the_help_names_the_thresholds_in_use() {
        assert!(RANKING.contains(&format!("within {CADENCE_SOON} days")));
        assert!(RANKING.contains(&format!("untouched for {QUIET_AFTER} days or more")));
    }
}
