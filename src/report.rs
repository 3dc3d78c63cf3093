//! Pure aggregation: per-client summaries, stay-in-touch cadences, and the figures of a
//! week or month. Everything takes `today`; nothing reads the clock or prints.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::counted::Counted;
use crate::dates::{Week, add_days};
use crate::model::{Action, Client, FollowUp, Kind, Status, hh_mm, local_date};
use crate::state::State;

/// Days ahead within which a cadence counts as falling due ("due in 2 days", not "ok").
pub const CADENCE_SOON: i64 = 3;

/// Where a client stands against its stay-in-touch cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Cadence {
    /// No cadence set.
    None,
    /// Next touch due in `days_left` days (0: today).
    Ok { days_left: i64 },
    /// Past the cadence by `days_past` days: neglected.
    Past { days_past: i64 },
}

impl Cadence {
    pub fn is_past(self) -> bool {
        matches!(self, Cadence::Past { .. })
    }

    /// "ok", "due in 2 days", "due today", "5 days past", or "" without a cadence.
    pub fn describe(self) -> String {
        match self {
            Cadence::None => String::new(),
            Cadence::Ok { days_left } if days_left > CADENCE_SOON => "ok".into(),
            Cadence::Ok { days_left: 0 } => "due today".into(),
            Cadence::Ok { days_left: 1 } => "due in 1 day".into(),
            Cadence::Ok { days_left } => format!("due in {days_left} days"),
            Cadence::Past { days_past: 1 } => "1 day past".into(),
            Cadence::Past { days_past } => format!("{days_past} days past"),
        }
    }
}

/// A client with the figures `clients` shows.
#[derive(Debug, Clone, Serialize)]
pub struct ClientSummary {
    pub client: String,
    pub tier: Option<String>,
    pub cadence_days: Option<u32>,
    pub actions: usize,
    pub last_touch: Option<NaiveDate>,
    pub days_since: Option<i64>,
    pub open: usize,
    pub overdue: usize,
    pub next_due: Option<NaiveDate>,
    pub cadence: Cadence,
}

/// Where `client` stands on `day`, given the last day anything was done for it.
pub fn cadence_status(client: &Client, last_touch: Option<NaiveDate>, day: NaiveDate) -> Cadence {
    let Some(every) = client.cadence_days else {
        return Cadence::None;
    };
    let since = last_touch.unwrap_or_else(|| local_date(client.created));
    let days_left = i64::from(every) - (day - since).num_days();
    if days_left < 0 {
        Cadence::Past {
            days_past: -days_left,
        }
    } else {
        Cadence::Ok { days_left }
    }
}

/// Every client with its figures at the end of `today`, by name. The last touch is the
/// latest action on or before `today`, so a past week's report sees the cadence as it was.
pub fn client_summaries(state: &State, today: NaiveDate) -> Vec<ClientSummary> {
    let places: HashMap<&str, usize> = (state.clients.keys().enumerate())
        .map(|(place, id)| (id.as_str(), place))
        .collect();
    let follow_ups = state.follow_ups.values();
    summaries(
        state,
        follow_ups.map(|f| (f, places.get(f.client.as_str()).copied())),
        today,
    )
}

/// `client_summaries`, given each follow-up with its client's place: its position
/// among the state's clients (`None`, or past them, for a client the state lacks).
fn summaries<'a>(
    state: &State,
    follow_ups: impl Iterator<Item = (&'a FollowUp, Option<usize>)>,
    today: NaiveDate,
) -> Vec<ClientSummary> {
    let activity = state.client_activity(start_of(add_days(today, 1)));
    let mut by_place: Vec<ClientSummary> = (state.clients.values())
        .map(|client| {
            let (actions, last_at) = activity
                .get(client.id.as_str())
                .copied()
                .unwrap_or_default();
            let last_touch = last_at.map(local_date);
            ClientSummary {
                client: client.name.clone(),
                tier: client.tier.clone(),
                cadence_days: client.cadence_days,
                actions,
                last_touch,
                days_since: last_touch.map(|d| (today - d).num_days()),
                open: 0,
                overdue: 0,
                next_due: None,
                cadence: cadence_status(client, last_touch, today),
            }
        })
        .collect();
    for (f, place) in follow_ups.filter(|(f, _)| f.status == Status::Open) {
        if let Some(s) = place.and_then(|place| by_place.get_mut(place)) {
            s.open += 1;
            s.overdue += usize::from(f.is_overdue(today));
            s.next_due = Some(s.next_due.map_or(f.due, |d| d.min(f.due)));
        }
    }
    by_place.sort_by_cached_key(|s| s.client.to_lowercase());
    by_place
}

/// The first instant of a local day.
pub fn start_of(day: NaiveDate) -> DateTime<FixedOffset> {
    crate::context::local_instant(day.and_time(chrono::NaiveTime::MIN))
}

/// Clients past their cadence on `today`, most neglected first.
pub fn neglected(summaries: &[ClientSummary]) -> Vec<&ClientSummary> {
    let mut out: Vec<&ClientSummary> = summaries.iter().filter(|s| s.cadence.is_past()).collect();
    out.sort_by_cached_key(|s| {
        let days_past = match s.cadence {
            Cadence::Past { days_past } => days_past,
            _ => 0,
        };
        (-days_past, s.client.to_lowercase())
    });
    out
}

/// Local days `first..=last`, as the instants that bound them (Unix seconds):
/// comparing instants is exact across daylight-saving changes and cheaper than finding
/// each record's day. The bounds are whole seconds, so a record's whole seconds
/// (`DateTime::timestamp`, rounded down) compare with them as its instant does.
#[derive(Debug, Clone, Copy)]
struct Days {
    from: i64,
    to: i64,
}

impl Days {
    fn new(first: NaiveDate, last: NaiveDate) -> Days {
        Days {
            from: start_of(first).timestamp(),
            to: start_of(add_days(last, 1)).timestamp(),
        }
    }

    fn contains(self, at: i64) -> bool {
        self.from <= at && at < self.to
    }
}

/// The instant each local day asked about ends (whole seconds; see `Days`), found once
/// a day: follow-ups share their due days, and finding one is a time-zone lookup.
#[derive(Default)]
struct DayEnds(HashMap<NaiveDate, i64>);

impl DayEnds {
    fn of(&mut self, day: NaiveDate) -> i64 {
        *(self.0.entry(day)).or_insert_with(|| start_of(add_days(day, 1)).timestamp())
    }
}

/// What the passes over a follow-up ask of it, found once: its instants in whole
/// seconds (see `Days`), and whether it was done late.
struct Facts<'a> {
    f: &'a FollowUp,
    created: i64,
    /// When it was done or cancelled; `None` while it is open.
    closed: Option<i64>,
    /// Done after the day it was due (`FollowUp::done_late`).
    late: bool,
}

impl<'a> Facts<'a> {
    fn of(f: &'a FollowUp, day_ends: &mut DayEnds) -> Facts<'a> {
        let closed = match f.status {
            Status::Open => None,
            _ => f.closed_at.map(|at| at.timestamp()),
        };
        Facts {
            f,
            created: f.created.timestamp(),
            closed,
            // `FollowUp::done_late` by instants: done at or after the end of its day.
            late: f.status == Status::Done && closed.is_some_and(|at| at >= day_ends.of(f.due)),
        }
    }

    /// Whether it was open at `moment` (whole seconds).
    fn open_at(&self, moment: i64) -> bool {
        self.created < moment && self.closed.is_none_or(|closed| closed >= moment)
    }

    /// Overdue at the end of `day` (the instant `end_of_day`): open then, and due
    /// before it.
    fn overdue_on(&self, day: NaiveDate, end_of_day: i64) -> bool {
        self.f.due < day && self.open_at(end_of_day)
    }

    fn done_within(&self, days: Days) -> bool {
        self.f.status == Status::Done && self.closed.is_some_and(|at| days.contains(at))
    }
}

/// How many actions went unasked (the client did not ask: proactive) and how many the
/// client asked for. Its JSON: `unasked`, `asked`, `unasked_share` (0 to 1, null with no
/// actions) and `unasked_percent`, the share as the tables show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Initiative {
    pub unasked: usize,
    pub asked: usize,
}

impl Initiative {
    pub fn add(&mut self, action: &Action) {
        self.count(action.asked);
    }

    /// Counts one more action, asked for or not.
    pub fn count(&mut self, asked: bool) {
        if asked {
            self.asked += 1;
        } else {
            self.unasked += 1;
        }
    }

    pub fn of<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Initiative {
        let mut initiative = Initiative::default();
        actions.into_iter().for_each(|a| initiative.add(a));
        initiative
    }

    fn total(self) -> usize {
        self.unasked + self.asked
    }

    /// The share of actions that went unasked; none without actions.
    pub fn share(self) -> Option<f64> {
        (self.total() > 0).then(|| self.unasked as f64 / self.total() as f64)
    }

    /// The share in whole percent, rounded half up.
    pub fn percent(self) -> Option<usize> {
        (self.total() > 0).then(|| (self.unasked * 200 + self.total()) / (self.total() * 2))
    }

    /// "6 of 7 (86%)", or "no actions".
    pub fn describe(self) -> String {
        match self.percent() {
            Some(percent) => format!("{} of {} ({percent}%)", self.unasked, self.total()),
            None => "no actions".into(),
        }
    }
}

impl Serialize for Initiative {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Initiative", 4)?;
        out.serialize_field("unasked", &self.unasked)?;
        out.serialize_field("asked", &self.asked)?;
        out.serialize_field("unasked_share", &self.share())?;
        out.serialize_field("unasked_percent", &self.percent())?;
        out.end()
    }
}

/// The headline figures of a span of days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub actions: usize,
    #[serde(flatten)]
    pub initiative: Initiative,
    pub clients_touched: usize,
    pub intros: usize,
    pub followups_new: usize,
    pub followups_done: usize,
    pub followups_done_on_time: usize,
    pub followups_done_late: usize,
    /// Follow-ups done in the span with their outcome logged (`done --log`).
    pub followups_with_outcome: usize,
    /// Overdue at the end of the span, or now when the span holds today.
    pub overdue: usize,
}

impl Totals {
    /// Adds another's counts to these (the span stays this one's).
    pub fn add(&mut self, other: &Totals) {
        self.actions += other.actions;
        self.initiative.unasked += other.initiative.unasked;
        self.initiative.asked += other.initiative.asked;
        self.clients_touched += other.clients_touched;
        self.intros += other.intros;
        self.followups_new += other.followups_new;
        self.followups_done += other.followups_done;
        self.followups_done_on_time += other.followups_done_on_time;
        self.followups_done_late += other.followups_done_late;
        self.overdue += other.overdue;
    }
}

/// The figures for `start..=end`, judged as of `today` when the span runs past it.
pub fn totals(state: &State, start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Totals {
    let mut each = totals_each(&Placed::of(state, false), &[(start, end)], today);
    each.swap_remove(0)
}

/// A state's actions, each with its client's place among the clients and its instant
/// in whole seconds, and its follow-ups with their facts (and their clients' places
/// when asked for): found once, so that the passes over them count by place instead
/// of looking up ids again (each lookup reads an id's bytes from wherever its record
/// lies), and compare instants as numbers.
pub struct Placed<'a> {
    pub state: &'a State,
    /// The names of the clients, by place: the state's, in the order of
    /// `state.clients` (as `summaries` takes them), then any other an action or
    /// follow-up names ("?").
    names: Vec<&'a str>,
    ids: Vec<&'a str>,
    /// Each action (whole or only counted) with its client's place.
    actions: Vec<(usize, Counted<'a>)>,
    follow_ups: Vec<Facts<'a>>,
    /// By follow-up, its client's place: empty unless asked for.
    follow_up_places: Vec<usize>,
}

impl<'a> Placed<'a> {
    pub fn of(state: &'a State, place_follow_ups: bool) -> Placed<'a> {
        let mut ids: Vec<&str> = state.clients.keys().map(String::as_str).collect();
        let mut places: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        places.extend(ids.iter().enumerate().map(|(place, id)| (*id, place)));
        let mut place = |id: &'a str| {
            *places.entry(id).or_insert_with(|| {
                ids.push(id);
                ids.len() - 1
            })
        };
        let actions = (state.actions.values().map(Counted::of))
            .chain(state.counted.iter())
            .map(|a| (place(a.client), a))
            .collect();
        let mut day_ends = DayEnds::default();
        let follow_ups: Vec<Facts> = (state.follow_ups.values())
            .map(|f| Facts::of(f, &mut day_ends))
            .collect();
        let follow_up_places = match place_follow_ups {
            true => follow_ups.iter().map(|f| place(&f.f.client)).collect(),
            false => Vec::new(),
        };
        Placed {
            state,
            names: ids.iter().map(|id| state.client_name(id)).collect(),
            ids,
            actions,
            follow_ups,
            follow_up_places,
        }
    }
}

/// The figures for each span, as `totals` gives them, in one pass over the records.
pub fn totals_each(
    placed: &Placed,
    spans: &[(NaiveDate, NaiveDate)],
    today: NaiveDate,
) -> Vec<Totals> {
    struct Tally<'a> {
        t: Totals,
        days: Days,
        as_of: NaiveDate,
        end_of_day: i64,
        /// By client place: whether it was touched.
        touched: Vec<bool>,
        outcomes: HashSet<&'a str>,
    }
    let mut tallies: Vec<Tally> = spans
        .iter()
        .map(|&(start, end)| {
            let as_of = end.min(today);
            Tally {
                t: Totals {
                    start,
                    end,
                    ..Totals::default()
                },
                days: Days::new(start, end),
                as_of,
                end_of_day: start_of(add_days(as_of, 1)).timestamp(),
                touched: vec![false; placed.ids.len()],
                outcomes: HashSet::new(),
            }
        })
        .collect();
    for &(place, a) in &placed.actions {
        for tally in tallies.iter_mut().filter(|tally| tally.days.contains(a.at)) {
            let t = &mut tally.t;
            t.actions += 1;
            t.initiative.count(a.asked);
            t.intros += usize::from(a.kind == Kind::Intro);
            t.clients_touched += usize::from(!std::mem::replace(&mut tally.touched[place], true));
            tally.outcomes.extend(a.follows_up);
        }
    }
    for f in &placed.follow_ups {
        for tally in &mut tallies {
            let t = &mut tally.t;
            t.followups_new += usize::from(tally.days.contains(f.created));
            if f.done_within(tally.days) {
                t.followups_done += 1;
                if f.late {
                    t.followups_done_late += 1;
                } else {
                    t.followups_done_on_time += 1;
                }
                t.followups_with_outcome += usize::from(tally.outcomes.contains(f.f.id.as_str()));
            }
            t.overdue += usize::from(f.overdue_on(tally.as_of, tally.end_of_day));
        }
    }
    tallies.into_iter().map(|tally| tally.t).collect()
}

/// One client's part of a period.
#[derive(Debug, Clone, Serialize)]
pub struct ClientPeriod {
    pub client: String,
    pub actions: usize,
    pub by_kind: BTreeMap<Kind, usize>,
    pub followups_done: usize,
    pub followups_done_late: usize,
    pub open: usize,
    pub overdue: usize,
    pub last_touch: Option<NaiveDate>,
}

/// A follow-up that slipped: done late within the period, or overdue at its end.
#[derive(Debug, Clone, Serialize)]
pub struct Slipped<'a> {
    pub id: u64,
    pub client: &'a str,
    pub text: &'a str,
    pub due: NaiveDate,
    /// "HH:MM" when it was due at a time of day, else null.
    #[serde(with = "hh_mm")]
    pub due_time: Option<NaiveTime>,
    /// `done-late` or `overdue`.
    pub how: &'static str,
    /// Days late when done, or days overdue.
    pub days_late: i64,
}

/// An action marked as a story worth telling.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub id: u64,
    pub date: NaiveDate,
    pub client: String,
    pub kind: Kind,
    pub text: String,
}

/// The stories among `actions` within `first..=last`, oldest first.
pub fn stories<'a>(
    state: &State,
    actions: impl IntoIterator<Item = &'a Action>,
    (first, last): (NaiveDate, NaiveDate),
) -> Vec<Story> {
    let days = Days::new(first, last);
    let mut stories: Vec<(&Action, Story)> = actions
        .into_iter()
        .filter(|a| a.story && days.contains(a.at.timestamp()))
        .map(|a| {
            let story = Story {
                id: a.num,
                date: local_date(a.at),
                client: state.client_name(&a.client).to_string(),
                kind: a.kind,
                text: a.text.clone(),
            };
            (a, story)
        })
        .collect();
    stories.sort_by_key(|(a, _)| (a.at, a.num));
    stories.into_iter().map(|(_, story)| story).collect()
}

/// A week or a month: totals, the span before it, and the detail tables. Its JSON is
/// the reports' JSON: the totals' fields at the top, then the rest.
#[derive(Debug, Clone, Serialize)]
pub struct Period<'a> {
    #[serde(flatten)]
    pub totals: Totals,
    #[serde(flatten)]
    pub streak: Streak,
    pub previous: Totals,
    pub by_client: Vec<ClientPeriod>,
    pub by_kind: BTreeMap<Kind, usize>,
    pub stories: Vec<Story>,
    /// Borrowing their texts from the state: a backlog holds thousands, and a table
    /// shows a few.
    pub slipped: Vec<Slipped<'a>>,
    pub neglected: Vec<ClientSummary>,
}

/// The figures for `start..=end` and the same-length span `previous` before it, from
/// a state placed with its follow-ups.
pub fn period<'a>(
    placed: &Placed<'a>,
    (start, end): (NaiveDate, NaiveDate),
    previous: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Period<'a> {
    let state = placed.state;
    let as_of = end.min(today);
    let days = Days::new(start, end);
    let end_of_day = start_of(add_days(as_of, 1)).timestamp();
    // By client place, the row of each client the period shows.
    let mut rows: Vec<Option<ClientPeriod>> = vec![None; placed.ids.len()];
    fn row<'r>(
        rows: &'r mut [Option<ClientPeriod>],
        name: &str,
        place: usize,
    ) -> &'r mut ClientPeriod {
        rows[place].get_or_insert_with(|| ClientPeriod {
            client: name.to_string(),
            actions: 0,
            by_kind: BTreeMap::new(),
            followups_done: 0,
            followups_done_late: 0,
            open: 0,
            overdue: 0,
            last_touch: None,
        })
    }
    let mut by_kind: BTreeMap<Kind, usize> = Kind::ALL.iter().map(|k| (*k, 0)).collect();
    for &(place, a) in &placed.actions {
        if days.contains(a.at) {
            let r = row(&mut rows, placed.names[place], place);
            r.actions += 1;
            *r.by_kind.entry(a.kind).or_default() += 1;
            *by_kind.entry(a.kind).or_default() += 1;
        }
    }
    let mut slipped = Vec::new();
    debug_assert_eq!(placed.follow_up_places.len(), placed.follow_ups.len());
    let follow_ups = || placed.follow_ups.iter().zip(&placed.follow_up_places);
    for (facts, &place) in follow_ups() {
        let (f, done) = (facts.f, facts.done_within(days));
        let overdue = facts.overdue_on(as_of, end_of_day);
        if done {
            let r = row(&mut rows, placed.names[place], place);
            r.followups_done += 1;
            r.followups_done_late += usize::from(facts.late);
        }
        if overdue {
            row(&mut rows, placed.names[place], place).overdue += 1;
        }
        let slip = |how, days_late| Slipped {
            id: f.num,
            client: placed.names[place],
            text: &f.text,
            due: f.due,
            due_time: f.due_time,
            how,
            days_late,
        };
        if done && facts.late {
            let closed = f.closed_at.map(local_date).unwrap_or(f.due);
            slipped.push(slip("done-late", (closed - f.due).num_days()));
        } else if overdue {
            slipped.push(slip("overdue", (as_of - f.due).num_days()));
        }
    }
    // Open follow-ups are counted for the clients the period shows, once all are known.
    for (facts, &place) in follow_ups() {
        if let Some(r) = rows[place].as_mut().filter(|_| facts.open_at(end_of_day)) {
            r.open += 1;
        }
    }
    // The last touch of a client is its latest action up to the end of the period.
    let activity = state.client_activity(start_of(add_days(end, 1)));
    for (place, r) in rows.iter_mut().enumerate() {
        if let Some(r) = r {
            r.last_touch = activity
                .get(placed.ids[place])
                .and_then(|(_, last)| *last)
                .map(local_date);
        }
    }
    let mut by_client: Vec<ClientPeriod> = rows.into_iter().flatten().collect();
    by_client.sort_by_cached_key(|c| (std::cmp::Reverse(c.actions), c.client.to_lowercase()));
    slipped.sort_by_key(|s| (std::cmp::Reverse(s.days_late), s.id));

    let summaries = summaries(
        state,
        follow_ups().map(|(facts, &place)| (facts.f, Some(place))),
        as_of,
    );
    let [this, before]: [Totals; 2] = totals_each(placed, &[(start, end), previous], today)
        .try_into()
        .expect("one for each span");
    Period {
        totals: this,
        // The streak up to the reported week; a week still to come has its own (0 when
        // nothing is logged in it yet).
        streak: streak(state, Week::of(as_of.max(start))),
        previous: before,
        by_client,
        by_kind,
        stories: stories(state, state.actions.values(), (start, end)),
        slipped,
        neglected: neglected(&summaries).into_iter().cloned().collect(),
    }
}

/// The weeks in a row, up to and including a week, that hold at least one action, and
/// how many of them hold a story.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    #[serde(rename = "streak_weeks")]
    pub weeks: u32,
    #[serde(rename = "streak_story_weeks")]
    pub story_weeks: u32,
}

/// The streak of `week`: consecutive weeks up to and including it with an action.
pub fn streak(state: &State, week: Week) -> Streak {
    let (days, story_days) = (state.action_days(false), state.action_days(true));
    let mut streak = Streak::default();
    let mut monday = week.start();
    while within_week(&days, monday) {
        streak.weeks += 1;
        streak.story_weeks += u32::from(within_week(&story_days, monday));
        monday = add_days(monday, -7);
    }
    streak
}

/// Whether any of `days` falls in the local week that starts on `monday`. Local
/// midnight is within 15 hours of UTC midnight, so most weeks are told from UTC bounds
/// (a day surely inside the week, or none near it); only the rest need the local ones.
fn within_week(days: &crate::action_sums::Days, monday: NaiveDate) -> bool {
    const MARGIN: i64 = 15 * 3600;
    let utc = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc().timestamp();
    let (from, to) = (utc(monday), utc(add_days(monday, 7)));
    if days.any_between(from + MARGIN, to - MARGIN) {
        return true;
    }
    if !days.any_between(from - MARGIN, to + MARGIN) {
        return false;
    }
    let local = |day: NaiveDate| start_of(day).timestamp();
    days.any_between(local(monday), local(add_days(monday, 7)))
}

/// The weeks that overlap `start..=end`, each cut to the span.
pub fn weeks_within(start: NaiveDate, end: NaiveDate) -> Vec<(Week, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut day = start;
    while day <= end {
        let week = Week::of(day);
        let last = week.end().min(end);
        out.push((week, day, last));
        day = add_days(last, 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;
    use chrono::TimeDelta;

    /// Follow-up `f{n}` for `client`, due on `due`, made at `created`, and done at
    /// `closed_at` when given, else open.
    fn follow_up(
        n: u64,
        client: &str,
        due: NaiveDate,
        created: DateTime<FixedOffset>,
        closed_at: Option<DateTime<FixedOffset>>,
    ) -> FollowUp {
        FollowUp {
            id: format!("f{n}"),
            num: n,
            client: client.into(),
            text: "t".into(),
            due,
            due_time: None,
            status: match closed_at {
                Some(_) => Status::Done,
                None => Status::Open,
            },
            created,
            closed_at,
            snoozes: 0,
            action: None,
            by: None,
            every: None,
            every_from: None,
            with: vec![],
        }
    }

    /// Instants are compared in whole seconds (see `Days`): a record half a second
    /// before a span's first local midnight is outside it, and one in the last
    /// nanosecond of its last day inside it, in any time zone.
    #[test]
    fn a_span_holds_its_records_to_the_nanosecond() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let (from, to) = (start_of(monday), start_of(add_days(monday, 7)));
        let half = TimeDelta::milliseconds(500);
        let mut state = State::default();
        let times = [from - half, from, to - TimeDelta::nanoseconds(1), to];
        for (n, at) in (1..).zip(times) {
            state.apply(&Record::Action(Action {
                id: format!("a{n}"),
                num: n,
                client: "c".into(),
                kind: Kind::Intro,
                text: "t".into(),
                at,
                tags: vec![],
                by: None,
                follows_up: None,
                asked: n == 2,
                story: false,
                with: vec![],
            }));
        }
        let due = add_days(monday, 5);
        // Made and done inside the week, to its last half second; made before it and
        // done as the next week begins.
        state.apply(&Record::FollowUp(follow_up(
            11,
            "c",
            due,
            from,
            Some(to - half),
        )));
        state.apply(&Record::FollowUp(follow_up(
            12,
            "c",
            due,
            from - half,
            Some(to),
        )));
        let today = add_days(monday, 30);
        let t = totals(&state, monday, add_days(monday, 6), today);
        assert_eq!((t.actions, t.intros, t.initiative.asked), (2, 2, 1));
        // The first was due on the Saturday: done late.
        assert_eq!((t.followups_new, t.followups_done_late), (1, 1));
        // The second was still open at the week's end, and due before it.
        assert_eq!(t.overdue, 1);
    }

    /// A period's neglected clients carry the figures `client_summaries` gives them,
    /// though the period finds each follow-up's client by its place, not its id.
    #[test]
    fn a_periods_neglected_clients_have_their_summaries_figures() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let created = start_of(add_days(monday, -60));
        let mut state = State::default();
        for n in 0..6 {
            state.apply(&Record::Client(Client {
                id: format!("c{n}"),
                name: format!("Client {n}"),
                tier: None,
                cadence_days: Some(7),
                created,
            }));
        }
        // Each client its own open, overdue and next due; one follow-up's client is
        // not in the state.
        for n in 0..12u64 {
            let client = format!("c{}", n % 7);
            let due = add_days(monday, n as i64 - 6);
            state.apply(&Record::FollowUp(follow_up(n, &client, due, created, None)));
        }
        let today = add_days(monday, 3);
        let week = (monday, add_days(monday, 6));
        let before = (add_days(monday, -7), add_days(monday, -1));
        let p = period(&Placed::of(&state, true), week, before, today);
        let summaries = client_summaries(&state, today);
        let expected: Vec<&ClientSummary> = neglected(&summaries);
        assert_eq!(p.neglected.len(), 6);
        assert_eq!(
            serde_json::to_value(&p.neglected).unwrap(),
            serde_json::to_value(&expected).unwrap()
        );
    }

    /// A follow-up's facts tell it done late exactly as `FollowUp::done_late` does, to
    /// the nanosecond around the end of its day, with a time of day or without.
    #[test]
    fn done_late_is_told_by_instants_as_by_local_dates() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 28).unwrap();
        let end = start_of(add_days(due, 1));
        let mut day_ends = DayEnds::default();
        for (n, late) in [
            -TimeDelta::hours(30),
            -TimeDelta::milliseconds(500),
            -TimeDelta::nanoseconds(1),
            TimeDelta::zero(),
            TimeDelta::nanoseconds(1),
            TimeDelta::hours(30),
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = follow_up(1, "c", due, end - TimeDelta::days(9), Some(end + late));
            f.due_time = (n % 2 == 0).then(|| NaiveTime::from_hms_opt(9, 30, 0).unwrap());
            let facts = Facts::of(&f, &mut day_ends);
            assert_eq!(facts.late, f.done_late(), "{late}");
            assert_eq!(facts.late, late >= TimeDelta::zero(), "{late}");
        }
    }
}
