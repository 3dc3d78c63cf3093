//! Reading the dates users type (WHEN), and the calendar ranges reports use.
//!
//! Parsing is split from resolving: `When::parse` turns text into a typed value at the
//! command-line edge (so a typo is a usage error), and `When::resolve` turns that value
//! into a date and maybe a time given `today`, so nothing here reads the clock.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, IsoWeek, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// The forms listed in every "can't read this date" error.
pub const ACCEPTED_FORMS: &str = "today, tomorrow, yesterday, a weekday (fri, next fri, last fri), \
+3d, -2d, 2w, in 3 days, 3 days ago, YYYY-MM-DD, YYYY-MM-DD HH:MM";

/// A point in time as the user wrote it, not yet tied to a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `today`, `tomorrow`, `+3d`, `2w`, `in 3 days`, `3 days ago`: an offset from today.
    Days(i64),
    /// `+1 month`, `in 2 months`: an offset in calendar months.
    Months(i32),
    /// `fri`: the coming Friday, 1 to 7 days ahead.
    Coming(Weekday),
    /// `next fri`: Friday of next week.
    NextWeek(Weekday),
    /// `last fri`: the most recent Friday before today.
    Last(Weekday),
    /// `2026-11-20`.
    Date(NaiveDate),
    /// `2026-11-20 14:30`.
    DateTime(NaiveDateTime),
}

/// A `When` tied to the calendar: a date, and a time of day when the user gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Resolved {
    /// The instant this names, using `default_time` when the user gave only a date.
    pub fn at(self, default_time: NaiveTime) -> NaiveDateTime {
        self.date.and_time(self.time.unwrap_or(default_time))
    }
}

/// A WHEN that could not be read: quotes the input and lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenError(pub String);

impl fmt::Display for WhenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "can't read the date '{}'; use one of: {ACCEPTED_FORMS}",
            self.0
        )
    }
}

impl std::error::Error for WhenError {}

impl FromStr for When {
    type Err = WhenError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        When::parse(input).ok_or_else(|| WhenError(input.to_string()))
    }
}

impl When {
    pub fn parse(input: &str) -> Option<When> {
        let text = input.trim().to_ascii_lowercase();
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["today"] | ["now"] => Some(When::Days(0)),
            ["tomorrow"] => Some(When::Days(1)),
            ["yesterday"] => Some(When::Days(-1)),
            [day] if weekday(day).is_some() => weekday(day).map(When::Coming),
            ["next", day] => weekday(day).map(When::NextWeek),
            ["last", day] => weekday(day).map(When::Last),
            ["in", n, unit] => offset(n, unit, 1),
            [n, unit, "ago"] => offset(n, unit, -1),
            [a, b] => offset(a, b, 1).or_else(|| parse_date_time(a, b)),
            [one] => parse_single(one),
            _ => None,
        }
    }

    /// Ties this to the calendar, counting from `today`.
    pub fn resolve(self, today: NaiveDate) -> Resolved {
        let date = match self {
            When::Days(n) => add_days(today, n),
            When::Months(n) => add_months(today, n),
            When::Coming(day) => {
                let ahead = days_until(today.weekday(), day);
                add_days(today, if ahead == 0 { 7 } else { ahead })
            }
            When::NextWeek(day) => {
                let monday_next = add_days(week_start(today), 7);
                add_days(monday_next, i64::from(day.num_days_from_monday()))
            }
            When::Last(day) => {
                let back = days_until(day, today.weekday());
                add_days(today, -(if back == 0 { 7 } else { back }))
            }
            When::Date(date) => date,
            When::DateTime(at) => {
                return Resolved {
                    date: at.date(),
                    time: Some(at.time()),
                };
            }
        };
        Resolved { date, time: None }
    }
}

/// Parses a single token: `+3d`, `-2w`, `2w`, `3d`, `2026-11-20`, `2026-11-20T14:30`.
fn parse_single(token: &str) -> Option<When> {
    if let Ok(date) = NaiveDate::parse_from_str(token, "%Y-%m-%d") {
        return Some(When::Date(date));
    }
    if let Some((date, time)) = token.split_once('t') {
        return parse_date_time(date, time);
    }
    let (sign, rest) = match token.as_bytes().first()? {
        b'+' => (1, &token[1..]),
        b'-' => (-1, &token[1..]),
        _ => (1, token),
    };
    let split = rest.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = rest.split_at(split);
    offset(n, unit, sign)
}

fn parse_date_time(date: &str, time: &str) -> Option<When> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = NaiveTime::parse_from_str(time, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
        .ok()?;
    Some(When::DateTime(date.and_time(time)))
}

/// `3` + `d`/`days`/`w`/`weeks`/`months`, times `sign`.
fn offset(n: &str, unit: &str, sign: i64) -> Option<When> {
    if n.is_empty() || n.len() > 5 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = n.parse().ok()?;
    match unit {
        "d" | "day" | "days" => Some(When::Days(sign * n)),
        "w" | "wk" | "wks" | "week" | "weeks" => Some(When::Days(sign * n * 7)),
        "mo" | "month" | "months" => Some(When::Months(i32::try_from(sign * n).ok()?)),
        _ => None,
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    let day = match name {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// Days forward from weekday `from` to weekday `to` (0 to 6).
fn days_until(from: Weekday, to: Weekday) -> i64 {
    i64::from((7 + to.num_days_from_monday() - from.num_days_from_monday()) % 7)
}

/// `date` moved by `n` days, saturating at the ends of chrono's calendar.
pub fn add_days(date: NaiveDate, n: i64) -> NaiveDate {
    let moved = if n >= 0 {
        date.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(n.unsigned_abs()))
    };
    moved.unwrap_or(if n >= 0 {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
}

fn add_months(date: NaiveDate, n: i32) -> NaiveDate {
    let moved = if n >= 0 {
        date.checked_add_months(Months::new(n.unsigned_abs()))
    } else {
        date.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    moved.unwrap_or(date)
}

/// The Monday that starts the ISO week holding `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    add_days(date, -i64::from(date.weekday().num_days_from_monday()))
}

/// An ISO week, such as `2026-W47`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Week {
    pub year: i32,
    pub week: u32,
}

impl Week {
    pub fn of(date: NaiveDate) -> Week {
        let iso: IsoWeek = date.iso_week();
        Week {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// Monday of this week.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).expect("a valid ISO week")
    }

    /// Sunday of this week.
    pub fn end(self) -> NaiveDate {
        add_days(self.start(), 6)
    }

    pub fn previous(self) -> Week {
        Week::of(add_days(self.start(), -7))
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

impl FromStr for Week {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = || format!("can't read the week '{input}'; write it as YYYY-Www, e.g. 2026-W47");
        let (year, week) = input.trim().split_once(['-']).ok_or_else(bad)?;
        let week = week.strip_prefix(['W', 'w']).ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|_| Week { year, week })
            .ok_or_else(|| {
                format!("{year} has no ISO week {week}; write it as YYYY-Www, e.g. 2026-W47")
            })
    }
}

/// A calendar month, such as `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    pub fn end(self) -> NaiveDate {
        add_days(add_months(self.start(), 1), -1)
    }

    pub fn previous(self) -> Month {
        Month::of(add_days(self.start(), -1))
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(&format!("{}-01", input.trim()), "%Y-%m-%d")
            .map(Month::of)
            .map_err(|_| {
                format!("can't read the month '{input}'; write it as YYYY-MM, e.g. 2026-11")
            })
    }
}

/// A number of days in words: "1 day", "3 days".
pub fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// How far `due` is from `today` in words: "3 days overdue", "today", "in 4 days".
pub fn humanize_due(due: NaiveDate, today: NaiveDate) -> String {
    let days = (due - today).num_days();
    match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "1 day overdue".to_string(),
        d if d < 0 => format!("{} days overdue", -d),
        d => format!("in {d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Resolves `input` against Sunday 2026-11-22 unless told otherwise.
    fn on(today: &str, input: &str) -> NaiveDate {
        When::parse(input)
            .unwrap_or_else(|| panic!("{input} should parse"))
            .resolve(d(today))
            .date
    }

    const SUNDAY: &str = "2026-11-22";

    #[test]
    fn named_days() {
        assert_eq!(on(SUNDAY, "today"), d("2026-11-22"));
        assert_eq!(on(SUNDAY, "Tomorrow"), d("2026-11-23"));
        assert_eq!(on(SUNDAY, " yesterday "), d("2026-11-21"));
    }

    #[test]
    fn weekdays() {
        // The coming one is 1 to 7 days ahead, never today.
        assert_eq!(on(SUNDAY, "fri"), d("2026-11-27"));
        assert_eq!(on(SUNDAY, "sunday"), d("2026-11-29"));
        assert_eq!(on(SUNDAY, "mon"), d("2026-11-23"));
        // "next" is that day in next week; Sunday's next week starts tomorrow.
        assert_eq!(on(SUNDAY, "next fri"), d("2026-11-27"));
        assert_eq!(on("2026-11-18", "next fri"), d("2026-11-27"));
        assert_eq!(on("2026-11-18", "fri"), d("2026-11-20"));
        assert_eq!(on(SUNDAY, "last fri"), d("2026-11-20"));
        assert_eq!(on("2026-11-20", "last fri"), d("2026-11-13"));
        assert_eq!(on("2026-11-20", "thurs"), d("2026-11-26"));
    }

    #[test]
    fn offsets() {
        assert_eq!(on(SUNDAY, "+3d"), d("2026-11-25"));
        assert_eq!(on(SUNDAY, "-3d"), d("2026-11-19"));
        assert_eq!(on(SUNDAY, "3d"), d("2026-11-25"));
        assert_eq!(on(SUNDAY, "2w"), d("2026-12-06"));
        assert_eq!(on(SUNDAY, "+2w"), d("2026-12-06"));
        assert_eq!(on(SUNDAY, "in 3 days"), d("2026-11-25"));
        assert_eq!(on(SUNDAY, "in 1 day"), d("2026-11-23"));
        assert_eq!(on(SUNDAY, "in 2 weeks"), d("2026-12-06"));
        assert_eq!(on(SUNDAY, "3 days ago"), d("2026-11-19"));
        assert_eq!(on(SUNDAY, "in 1 month"), d("2026-12-22"));
        assert_eq!(on(SUNDAY, "0d"), d("2026-11-22"));
    }

    #[test]
    fn month_and_year_ends() {
        assert_eq!(on("2026-11-30", "tomorrow"), d("2026-12-01"));
        assert_eq!(on("2026-12-31", "+1d"), d("2027-01-01"));
        assert_eq!(on("2027-01-01", "yesterday"), d("2026-12-31"));
        assert_eq!(on("2026-12-28", "in 1 week"), d("2027-01-04"));
        assert_eq!(on("2026-01-31", "in 1 month"), d("2026-02-28"));
        assert_eq!(on("2026-12-30", "next mon"), d("2027-01-04"));
    }

    #[test]
    fn leap_days() {
        assert_eq!(on("2028-02-28", "tomorrow"), d("2028-02-29"));
        assert_eq!(on("2028-02-29", "tomorrow"), d("2028-03-01"));
        assert_eq!(on("2027-02-28", "tomorrow"), d("2027-03-01"));
        assert_eq!(on(SUNDAY, "2028-02-29"), d("2028-02-29"));
        assert!(When::parse("2027-02-29").is_none());
    }

    #[test]
    fn absolute_dates_and_times() {
        assert_eq!(When::parse("2026-11-20"), Some(When::Date(d("2026-11-20"))));
        let at = When::parse("2026-11-20 14:30").unwrap().resolve(d(SUNDAY));
        assert_eq!(at.date, d("2026-11-20"));
        assert_eq!(at.time, NaiveTime::from_hms_opt(14, 30, 0));
        let t = When::parse("2026-11-20T09:05").unwrap().resolve(d(SUNDAY));
        assert_eq!(t.time, NaiveTime::from_hms_opt(9, 5, 0));
    }

    #[test]
    fn bad_input_is_refused_with_the_forms_listed() {
        for bad in [
            "",
            "  ",
            "2026-13-01",
            "2026-11-31",
            "tomorow",
            "next",
            "in 3",
            "3 parsecs",
            "++3d",
            "+d",
            "2026-11-20 25:00",
            "fri fri",
            "in 999999 days",
            "3 days from now",
        ] {
            let err = bad.parse::<When>().expect_err(bad);
            let msg = err.to_string();
            assert!(msg.contains(&format!("'{bad}'")), "{msg}");
            assert!(msg.contains("YYYY-MM-DD HH:MM"), "{msg}");
        }
    }

    #[test]
    fn weeks() {
        let w: Week = "2026-W47".parse().unwrap();
        assert_eq!((w.start(), w.end()), (d("2026-11-16"), d("2026-11-22")));
        assert_eq!(Week::of(d(SUNDAY)), w);
        assert_eq!(w.previous().to_string(), "2026-W46");
        let w53: Week = "2026-W53".parse().unwrap();
        assert_eq!((w53.start(), w53.end()), (d("2026-12-28"), d("2027-01-03")));
        assert_eq!(Week::of(d("2027-01-03")), w53);
        assert!("2025-W53".parse::<Week>().is_err());
        assert!("2026-47".parse::<Week>().is_err());
        assert!("W47".parse::<Week>().is_err());
    }

    #[test]
    fn months() {
        let m: Month = "2026-02".parse().unwrap();
        assert_eq!(m.end(), d("2026-02-28"));
        assert_eq!("2028-02".parse::<Month>().unwrap().end(), d("2028-02-29"));
        assert_eq!("2026-12".parse::<Month>().unwrap().end(), d("2026-12-31"));
        assert_eq!(
            "2026-01".parse::<Month>().unwrap().previous().to_string(),
            "2025-12"
        );
        assert!("2026-13".parse::<Month>().is_err());
    }

    #[test]
    fn due_in_words() {
        let today = d(SUNDAY);
        assert_eq!(humanize_due(d("2026-11-19"), today), "3 days overdue");
        assert_eq!(humanize_due(d("2026-11-21"), today), "1 day overdue");
        assert_eq!(humanize_due(today, today), "today");
        assert_eq!(humanize_due(d("2026-11-23"), today), "tomorrow");
        assert_eq!(humanize_due(d("2026-11-26"), today), "in 4 days");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn reading_never_panics(text in ".{0,40}") {
            if let Some(when) = When::parse(&text) {
                let _ = when.resolve(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
            }
        }

        #[test]
        fn offsets_near_chronos_limits_do_not_panic(n in -99_999i64..99_999, unit in prop::sample::select(vec!["d", "w", "mo"])) {
            if let Some(when) = When::parse(&format!("{n}{unit}")) {
                let _ = when.resolve(NaiveDate::MAX);
                let _ = when.resolve(NaiveDate::MIN);
            }
        }

        #[test]
        fn formatted_dates_read_back_to_the_same_date(days in 0i64..150_000, hour in 0u32..24, minute in 0u32..60) {
            let date = add_days(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), days);
            let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
            let read = When::parse(&date.format("%Y-%m-%d").to_string()).unwrap().resolve(today);
            prop_assert_eq!(read, Resolved { date, time: None });
            let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
            let text = date.and_time(time).format("%Y-%m-%d %H:%M").to_string();
            let read = When::parse(&text).unwrap().resolve(today);
            prop_assert_eq!(read, Resolved { date, time: Some(time) });
        }

        #[test]
        fn weeks_and_months_read_back(days in 0i64..150_000) {
            let date = add_days(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), days);
            let week = Week::of(date);
            prop_assert_eq!(week.to_string().parse::<Week>(), Ok(week));
            prop_assert!(week.start() <= date && date <= week.end());
            let month = Month::of(date);
            prop_assert_eq!(month.to_string().parse::<Month>(), Ok(month));
        }
    }
}
