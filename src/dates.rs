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
next week, next month, end of week (eow), end of month (eom), +3d, -2d, 2w, 1m, in 3 days, \
in 2 months, 3 days ago, a month and day (dec 5, 5 december 2027), YYYY-MM-DD, YYYY-MM-DD HH:MM; \
any of these followed by a time (fri 3pm, tomorrow 09:00, dec 5 3:30pm, noon), or a time alone for today";

/// A point in time as the user wrote it, not yet tied to a calendar: a day, and the
/// time of day when one was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub day: Day,
    pub time: Option<NaiveTime>,
}

/// A day as the user wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// `today`, `tomorrow`, `+3d`, `2w`, `in 3 days`, `3 days ago`: an offset from today.
    Days(i64),
    /// `+1m`, `in 2 months`: an offset in calendar months, clamped to the month's end
    /// (Jan 31 + 1m is the last day of February).
    Months(i32),
    /// `fri`: the coming Friday, 1 to 7 days ahead.
    Coming(Weekday),
    /// `next fri`: Friday of next week; `next week` is its Monday.
    NextWeek(Weekday),
    /// `last fri`: the most recent Friday before today.
    Last(Weekday),
    /// `end of week`, `eow`: the Sunday that ends this ISO week (today on a Sunday).
    EndOfWeek,
    /// `next month`: the first of next month.
    NextMonth,
    /// `end of month`, `eom`: the last day of this month.
    EndOfMonth,
    /// `dec 5`, `5 december`: the next December 5 on or after today. A leap day waits
    /// for the next leap year.
    Yearly { month: u32, day: u32 },
    /// `2026-11-20`, `december 5 2027`.
    Date(NaiveDate),
}

/// A `When` tied to the calendar: a date, and a time of day when the user gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Resolved {
    /// The wall-clock time this names, using `default_time` when the user gave only a date.
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
        let text = input.trim().to_ascii_lowercase().replace(',', " ");
        let mut words: Vec<&str> = text.split_whitespace().collect();
        // `2026-11-20T14:30`, one word.
        if let [one] = words.as_slice()
            && let Some((date, time)) = one.split_once('t')
            && let (Some(date), Some(time)) = (iso_date(date), time_of_day(time))
        {
            return Some(When {
                day: Day::Date(date),
                time: Some(time),
            });
        }
        // A time of day after the day (`fri 3pm`, `tomorrow at 9:00`, `3 pm`), or alone
        // for today.
        let joined;
        let time = match words.as_slice() {
            [.., hour, half @ ("am" | "pm")] => {
                joined = format!("{hour}{half}");
                words.truncate(words.len() - 2);
                Some(time_of_day(&joined)?)
            }
            [.., last] => time_of_day(last).inspect(|_| {
                words.pop();
            }),
            [] => return None,
        };
        if time.is_some() && words.last() == Some(&"at") {
            words.pop();
        }
        let day = match words.as_slice() {
            [] if time.is_some() => Day::Days(0),
            words => Day::parse(words)?,
        };
        Some(When { day, time })
    }

    /// Ties this to the calendar, counting from `today`.
    pub fn resolve(self, today: NaiveDate) -> Resolved {
        Resolved {
            date: self.day.resolve(today),
            time: self.time,
        }
    }
}

impl Day {
    fn parse(words: &[&str]) -> Option<Day> {
        match words {
            ["today"] | ["now"] => Some(Day::Days(0)),
            ["tomorrow"] => Some(Day::Days(1)),
            ["yesterday"] => Some(Day::Days(-1)),
            ["next", "week"] => Some(Day::NextWeek(Weekday::Mon)),
            ["next", "month"] => Some(Day::NextMonth),
            ["end", "of", "week"] | ["eow"] => Some(Day::EndOfWeek),
            ["end", "of", "month"] | ["eom"] => Some(Day::EndOfMonth),
            [day] if weekday(day).is_some() => weekday(day).map(Day::Coming),
            ["next", day] => weekday(day).map(Day::NextWeek),
            ["last", day] => weekday(day).map(Day::Last),
            ["in", n, unit] => offset(n, unit, 1),
            [n, unit, "ago"] => offset(n, unit, -1),
            [a, b] => offset(a, b, 1).or_else(|| month_day(a, b, None)),
            [a, b, year] => month_day(a, b, Some(year)),
            [one] => parse_single(one),
            _ => None,
        }
    }

    fn resolve(self, today: NaiveDate) -> NaiveDate {
        match self {
            Day::Days(n) => add_days(today, n),
            Day::Months(n) => add_months(today, n),
            Day::Coming(day) => {
                let ahead = days_until(today.weekday(), day);
                add_days(today, if ahead == 0 { 7 } else { ahead })
            }
            Day::NextWeek(day) => {
                let monday_next = add_days(week_start(today), 7);
                add_days(monday_next, i64::from(day.num_days_from_monday()))
            }
            Day::Last(day) => {
                let back = days_until(day, today.weekday());
                add_days(today, -(if back == 0 { 7 } else { back }))
            }
            Day::EndOfWeek => add_days(week_start(today), 6),
            Day::NextMonth => add_months(Month::of(today).start(), 1),
            Day::EndOfMonth => Month::of(today).end(),
            // Every month and day comes round within eight years (leap days skip 2100).
            Day::Yearly { month, day } => (today.year()..)
                .take(9)
                .find_map(|year| NaiveDate::from_ymd_opt(year, month, day).filter(|d| *d >= today))
                .unwrap_or(NaiveDate::MAX),
            Day::Date(date) => date,
        }
    }
}

/// Parses a single word: `+3d`, `-2w`, `2w`, `3d`, `1m`, `2026-11-20`.
fn parse_single(token: &str) -> Option<Day> {
    if let Some(date) = iso_date(token) {
        return Some(Day::Date(date));
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

fn iso_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A time of day: `15:30`, `9:05`, `15:30:10`, `3pm`, `3:30pm`, `12am` (midnight), `noon`.
/// Hours run 0 to 23, or 1 to 12 with am/pm; minutes and seconds take two digits.
fn time_of_day(word: &str) -> Option<NaiveTime> {
    if word == "noon" {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let (clock, half) = match word.strip_suffix("am") {
        Some(clock) => (clock, Some(0)),
        None => match word.strip_suffix("pm") {
            Some(clock) => (clock, Some(12)),
            None => (word, None),
        },
    };
    let mut parts = clock.split(':');
    let hour = number(parts.next()?, 1..=2)?;
    let minute = parts.next().map_or(Some(0), |m| number(m, 2..=2))?;
    let second = parts.next().map_or(Some(0), |s| number(s, 2..=2))?;
    if parts.next().is_some() || (half.is_none() && !clock.contains(':')) {
        return None;
    }
    let hour = match half {
        Some(add) if (1..=12).contains(&hour) => hour % 12 + add,
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// `text` as a number, when it is all ASCII digits and `digits` long.
fn number(text: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `dec 5` or `5 dec` (`5th`, `21st` too), with a four-digit year or without one. A day the
/// month never has (`feb 30`) is refused; `feb 29` without a year is kept for a leap year.
fn month_day(a: &str, b: &str, year: Option<&str>) -> Option<Day> {
    let (month, day) = match (month(a), month(b)) {
        (Some(month), None) => (month, b),
        (None, Some(month)) => (month, a),
        _ => return None,
    };
    let digits = day.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &day[digits.len()..];
    let day = number(digits, 1..=2)?;
    let ordinal = match (day / 10, day % 10) {
        (1, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if !suffix.is_empty() && suffix != ordinal {
        return None;
    }
    match year {
        Some(year) => {
            let year = i32::try_from(number(year, 4..=4)?).ok()?;
            NaiveDate::from_ymd_opt(year, month, day).map(Day::Date)
        }
        None => NaiveDate::from_ymd_opt(2000, month, day).map(|_| Day::Yearly { month, day }),
    }
}

fn month(name: &str) -> Option<u32> {
    let month = match name {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        "mar" | "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    };
    Some(month)
}

/// `3` + `d`/`days`/`w`/`weeks`/`m`/`months`, times `sign`.
fn offset(n: &str, unit: &str, sign: i64) -> Option<Day> {
    if n.is_empty() || n.len() > 5 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = n.parse().ok()?;
    match unit {
        "d" | "day" | "days" => Some(Day::Days(sign * n)),
        "w" | "wk" | "wks" | "week" | "weeks" => Some(Day::Days(sign * n * 7)),
        "m" | "mo" | "month" | "months" => Some(Day::Months(i32::try_from(sign * n).ok()?)),
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

/// `date` moved by `n` calendar months, clamped to the end of a shorter month and
/// saturating at the ends of chrono's calendar.
fn add_months(date: NaiveDate, n: i32) -> NaiveDate {
    let moved = if n >= 0 {
        date.checked_add_months(Months::new(n.unsigned_abs()))
    } else {
        date.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    moved.unwrap_or(if n >= 0 {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
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
        assert_eq!(
            When::parse("2026-11-20"),
            Some(When {
                day: Day::Date(d("2026-11-20")),
                time: None
            })
        );
        let at = When::parse("2026-11-20 14:30").unwrap().resolve(d(SUNDAY));
        assert_eq!(at.date, d("2026-11-20"));
        assert_eq!(at.time, NaiveTime::from_hms_opt(14, 30, 0));
        let t = When::parse("2026-11-20T09:05").unwrap().resolve(d(SUNDAY));
        assert_eq!(t.time, NaiveTime::from_hms_opt(9, 5, 0));
    }

    /// Each form resolved against fixed todays: weekdays and week ends in ISO week 53
    /// of 2026 (Monday 2026-12-28 to Sunday 2027-01-03), month ends, leap days, and the
    /// days clocks change (Berlin 2027-03-28 and 2027-10-31, New York 2026-03-08; the
    /// refusal of a time the clocks skip is the command layer's, tested end to end).
    #[test]
    fn forms_against_fixed_todays() {
        let table: &[(&str, &[(&str, &str)])] = &[
            (
                "2026-11-22", // Sunday, the last day of 2026-W47
                &[
                    ("fri", "2026-11-27"),
                    ("next fri", "2026-11-27"),
                    ("sunday", "2026-11-29"),
                    ("next week", "2026-11-23"),
                    ("Next Week", "2026-11-23"),
                    ("eow", "2026-11-22"),
                    ("end of week", "2026-11-22"),
                    ("next month", "2026-12-01"),
                    ("eom", "2026-11-30"),
                    ("END OF MONTH", "2026-11-30"),
                    ("dec 5", "2026-12-05"),
                    ("5 Dec", "2026-12-05"),
                    ("december 5th", "2026-12-05"),
                    ("dec 1st", "2026-12-01"),
                    ("22nd dec", "2026-12-22"),
                    ("dec 23rd", "2026-12-23"),
                    ("dec 11th", "2026-12-11"),
                    ("Nov 20", "2027-11-20"),
                    ("nov 22", "2026-11-22"),
                    ("january 1", "2027-01-01"),
                    ("december 5 2027", "2027-12-05"),
                    ("5 december 2027", "2027-12-05"),
                    ("dec 5, 2027", "2027-12-05"),
                    ("feb 29", "2028-02-29"),
                    ("tomorrow 09:00", "2026-11-23 09:00"),
                    ("tomorrow at 9:05", "2026-11-23 09:05"),
                    ("fri 3pm", "2026-11-27 15:00"),
                    ("fri 15:30", "2026-11-27 15:30"),
                    ("next mon 9 am", "2026-11-23 09:00"),
                    ("3:30pm", "2026-11-22 15:30"),
                    ("3:30 PM", "2026-11-22 15:30"),
                    ("dec 5 9am", "2026-12-05 09:00"),
                    ("noon", "2026-11-22 12:00"),
                    ("tomorrow noon", "2026-11-23 12:00"),
                    ("12am", "2026-11-22 00:00"),
                    ("12pm", "2026-11-22 12:00"),
                    ("in 3 days 8am", "2026-11-25 08:00"),
                    ("2026-11-25 15:30", "2026-11-25 15:30"),
                    ("2026-11-25 3pm", "2026-11-25 15:00"),
                    ("+1m", "2026-12-22"),
                    ("1m", "2026-12-22"),
                    ("1 month", "2026-12-22"),
                    ("2 months", "2027-01-22"),
                    ("in 2 months", "2027-01-22"),
                    ("-1m", "2026-10-22"),
                    ("1 month ago", "2026-10-22"),
                    ("+2w", "2026-12-06"),
                    ("2w", "2026-12-06"),
                    ("in 2 weeks", "2026-12-06"),
                    ("1 week", "2026-11-29"),
                ],
            ),
            (
                "2026-11-18", // Wednesday
                &[
                    ("fri", "2026-11-20"),
                    ("next fri", "2026-11-27"),
                    ("next week", "2026-11-23"),
                    ("eow", "2026-11-22"),
                    ("nov 18", "2026-11-18"),
                    ("nov 17", "2027-11-17"),
                ],
            ),
            (
                "2026-12-28", // Monday, the first day of 2026-W53
                &[
                    ("eow", "2027-01-03"),
                    ("next week", "2027-01-04"),
                    ("last sun", "2026-12-27"),
                    ("eom", "2026-12-31"),
                ],
            ),
            (
                "2026-12-31", // Thursday in 2026-W53
                &[
                    ("next week", "2027-01-04"),
                    ("eow", "2027-01-03"),
                    ("next month", "2027-01-01"),
                    ("eom", "2026-12-31"),
                    ("+1m", "2027-01-31"),
                    ("2 months", "2027-02-28"),
                    ("fri", "2027-01-01"),
                    ("next fri", "2027-01-08"),
                    ("jan 1", "2027-01-01"),
                    ("dec 31", "2026-12-31"),
                    ("tomorrow 09:00", "2027-01-01 09:00"),
                ],
            ),
            (
                "2027-01-03", // Sunday, the last day of 2026-W53
                &[
                    ("eow", "2027-01-03"),
                    ("next week", "2027-01-04"),
                    ("mon", "2027-01-04"),
                    ("next month", "2027-02-01"),
                    ("eom", "2027-01-31"),
                ],
            ),
            (
                "2026-01-31",
                &[
                    ("+1m", "2026-02-28"),
                    ("in 1 month", "2026-02-28"),
                    ("2 months", "2026-03-31"),
                    ("next month", "2026-02-01"),
                ],
            ),
            ("2028-01-31", &[("+1m", "2028-02-29")]),
            (
                "2028-02-29", // a leap day
                &[
                    ("+1m", "2028-03-29"),
                    ("feb 29", "2028-02-29"),
                    ("in 12 months", "2029-02-28"),
                    ("12 months ago", "2027-02-28"),
                    ("eom", "2028-02-29"),
                    ("next month", "2028-03-01"),
                    ("tomorrow", "2028-03-01"),
                ],
            ),
            ("2028-03-01", &[("feb 29", "2032-02-29")]),
            // 2100 is no leap year: the next leap day is eight years on.
            ("2096-03-01", &[("feb 29", "2104-02-29")]),
            (
                "2027-03-27", // the eve of Berlin's spring change
                &[
                    ("tomorrow 02:30", "2027-03-28 02:30"),
                    ("sun 2:30am", "2027-03-28 02:30"),
                    ("2027-03-28 02:30", "2027-03-28 02:30"),
                ],
            ),
            ("2027-10-30", &[("tomorrow 2:30", "2027-10-31 02:30")]),
            ("2026-03-07", &[("tomorrow 2:30am", "2026-03-08 02:30")]),
        ];
        for (today, cases) in table {
            for (input, expected) in *cases {
                let when = When::parse(input)
                    .unwrap_or_else(|| panic!("{input:?} should parse (today {today})"));
                let got = when.resolve(d(today));
                let shown = match got.time {
                    Some(time) => format!("{} {}", got.date, time.format("%H:%M")),
                    None => got.date.to_string(),
                };
                assert_eq!(&shown, expected, "{input:?} on {today}");
            }
        }
    }

    #[test]
    fn impossible_days_and_times_are_refused() {
        for bad in [
            "feb 30",
            "apr 31",
            "feb 29 2027",
            "dec 32",
            "dec 0",
            "dec 5 27",
            "dec",
            "5 6",
            "dec jan",
            "dec 5st",
            "dec 11st",
            "dec 5x",
            "24:00",
            "13pm",
            "0am",
            "9:75",
            "9:5",
            "tomorrow 24:00",
            "fri 13pm",
            "9",
            "tomorrow 9",
            "noon noon",
            "3pm tomorrow",
            "tomorrow at",
            "at",
            "next year",
            "end of",
            "1x",
        ] {
            assert!(When::parse(bad).is_none(), "{bad:?} should be refused");
        }
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
                for today in [NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), NaiveDate::MIN, NaiveDate::MAX] {
                    let _ = when.resolve(today);
                }
            }
        }

        #[test]
        fn offsets_near_chronos_limits_do_not_panic(n in -99_999i64..99_999, unit in prop::sample::select(vec!["d", "w", "m", "mo"])) {
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
        fn times_of_day_read_back_in_both_clocks(hour in 0u32..24, minute in 0u32..60) {
            let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
            let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
            for text in [time.format("fri %H:%M"), time.format("fri %-I:%M%P"), time.format("fri %-I:%M %p")] {
                let read = When::parse(&text.to_string()).unwrap().resolve(today);
                prop_assert_eq!(read.time, Some(time), "{}", text);
            }
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
