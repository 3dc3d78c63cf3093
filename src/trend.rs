//! The long view: a week's figures over many weeks with sparklines (`report trend`), and a
//! year of actions per day laid out as a calendar (`report year`). Pure: everything takes
//! `today`; the week's figures are the weekly report's own (`report::totals`).

use chrono::{Datelike, NaiveDate};

use crate::dates::{Week, add_days, week_start};
use crate::model::local_date;
use crate::report::{Totals, streak};
use crate::state::State;

/// A figure a trend follows: its column header, and where it comes from.
pub type Figure = (&'static str, fn(&Totals) -> usize);

/// The figures a trend follows. One more figure is one more line here; the tables and
/// sparklines follow.
pub const FIGURES: &[Figure] = &[
    ("Actions", |t| t.actions),
    ("Clients", |t| t.clients_touched),
    // A week without actions counts as 0% unasked on the sparkline.
    ("Unasked %", |t| t.initiative.percent().unwrap_or(0)),
    ("Done on time", |t| t.followups_done_on_time),
    ("Done late", |t| t.followups_done_late),
    ("Overdue", |t| t.overdue),
];

/// The `count` weeks that end with `last`, oldest first.
pub fn weeks_ending(last: Week, count: u32) -> Vec<Week> {
    let mut weeks: Vec<Week> = std::iter::successors(Some(last), |w| Some(w.previous()))
        .take(count as usize)
        .collect();
    weeks.reverse();
    weeks
}

/// The eight heights of a sparkline, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One bar per value, in proportion to the largest: zero is the lowest bar and the only
/// value drawn so, any other value at least the second, the largest the full one.
pub fn sparkline(values: &[usize]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| match v {
            0 => BARS[0],
            // 1..=7 by ceiling, so a small value is never drawn as nothing.
            v => BARS[(v * 7).div_ceil(max)],
        })
        .collect()
}

/// Every day of `year` with the actions on it (by local date), in order.
pub fn actions_per_day(state: &State, year: i32) -> Vec<(NaiveDate, usize)> {
    let (first, last) = year_bounds(year);
    let mut days: Vec<(NaiveDate, usize)> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, 0))
        .collect();
    for a in state.actions.values() {
        let day = local_date(a.at);
        if (first..=last).contains(&day) {
            days[(day - first).num_days() as usize].1 += 1;
        }
    }
    days
}

/// January 1 and December 31 of `year`.
pub fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a year clap let through");
    (
        first,
        NaiveDate::from_ymd_opt(year, 12, 31).expect("a year clap let through"),
    )
}

/// Each count's shade: 0 for none; a busy day 1 to 4 by the quarter of the busy days it
/// falls in, ranked by how many busy days had fewer actions (so the quietest busy days are
/// 1, and days as busy as one another share a shade).
pub fn shades(counts: &[usize]) -> Vec<u8> {
    let mut busy: Vec<usize> = counts.iter().copied().filter(|&c| c > 0).collect();
    busy.sort_unstable();
    counts
        .iter()
        .map(|&c| match c {
            0 => 0,
            c => {
                let fewer = busy.partition_point(|&b| b < c);
                // fewer < busy.len(), so this is 1..=4.
                1 + (4 * fewer / busy.len()) as u8
            }
        })
        .collect()
}

/// A year as a calendar: a column per week (Monday first) from the week of January 1 to
/// the week of December 31 (53 columns, 54 when a leap year starts on a Sunday), seven
/// cells each, Monday to Sunday. A cell holds its day's shade, or nothing outside the year
/// and after `today`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub columns: Vec<[Option<u8>; 7]>,
    /// Each month that gets a label above the calendar (1 to 12), with its column.
    pub months: Vec<(u32, usize)>,
}

/// The calendar of `days` (every day of one year, in order, as `actions_per_day` gives).
pub fn calendar(days: &[(NaiveDate, usize)], today: NaiveDate) -> Calendar {
    let Some(&(first, _)) = days.first() else {
        return Calendar {
            columns: Vec::new(),
            months: Vec::new(),
        };
    };
    let monday = week_start(first);
    let column = |day: NaiveDate| ((day - monday).num_days() / 7) as usize;
    let counts: Vec<usize> = days.iter().map(|(_, n)| *n).collect();
    let last = days.last().map_or(first, |(d, _)| *d);
    let mut columns = vec![[None; 7]; column(last) + 1];
    for ((day, _), shade) in days.iter().zip(shades(&counts)) {
        if *day <= today {
            columns[column(*day)][day.weekday().num_days_from_monday() as usize] = Some(shade);
        }
    }
    // A month is labelled over the first column that is wholly its own (as its first
    // Monday), or the first column when it starts the calendar; a label is three letters
    // and a space, so one that would run into the one before is left out.
    let mut months: Vec<(u32, usize)> = Vec::new();
    for (day, _) in days.iter().filter(|(d, _)| d.day() == 1) {
        let at = match day.weekday().num_days_from_monday() {
            0 => column(*day),
            _ if *day == first => 0,
            _ => column(add_days(*day, 7)),
        };
        if months.last().is_none_or(|&(_, before)| at >= before + 4) && at < columns.len() {
            months.push((day.month(), at));
        }
    }
    Calendar { columns, months }
}

/// The longest streak (weeks in a row with an action, as the weekly report counts it)
/// that reaches any of `weeks`; a streak may have started before them.
pub fn longest_streak(state: &State, weeks: &[Week]) -> u32 {
    weeks
        .iter()
        .map(|w| streak(state, *w).weeks)
        .max()
        .unwrap_or(0)
}

/// The weeks of `year` up to `today`'s: each week that holds one of its days.
pub fn weeks_of_year(year: i32, today: NaiveDate) -> Vec<Week> {
    let (first, last) = year_bounds(year);
    let last = last.min(today);
    if last < first {
        return Vec::new();
    }
    let mut weeks = Vec::new();
    let mut day = first;
    while day <= last {
        weeks.push(Week::of(day));
        day = week_start(add_days(day, 7));
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn sparkline_scales_to_the_largest_value() {
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[0, 0, 0]), "▁▁▁", "all zeros");
        assert_eq!(sparkline(&[5]), "█", "one value is the largest");
        assert_eq!(sparkline(&[0]), "▁");
        assert_eq!(
            sparkline(&[0, 1, 7, 14]),
            "▁▂▅█",
            "half of the largest rounds up"
        );
        assert_eq!(sparkline(&[1, 1000]), "▂█", "a small value is not nothing");
        assert_eq!(sparkline(&[3, 3]), "██");
    }

    #[test]
    fn the_weeks_end_with_the_last_one_oldest_first() {
        let names = |last: NaiveDate, n| -> Vec<String> {
            weeks_ending(Week::of(last), n)
                .iter()
                .map(|w| w.to_string())
                .collect()
        };
        assert_eq!(
            names(date(2026, 1, 7), 3),
            ["2025-W52", "2026-W01", "2026-W02"]
        );
        assert_eq!(names(date(2027, 1, 4), 2), ["2026-W53", "2027-W01"]);
        assert_eq!(names(date(2027, 1, 4), 1), ["2027-W01"]);
    }

    #[test]
    fn busy_days_are_shaded_by_quarter() {
        assert_eq!(shades(&[0, 1, 2, 3, 4]), [0, 1, 2, 3, 4]);
        assert_eq!(shades(&[0, 0]), [0, 0], "no busy day");
        assert_eq!(shades(&[7]), [1], "one busy day is the quietest of one");
        assert_eq!(shades(&[2, 2, 2]), [1, 1, 1], "equally busy, one shade");
        assert_eq!(shades(&[1, 1, 1, 9]), [1, 1, 1, 4]);
        let eight: Vec<usize> = (1..=8).collect();
        assert_eq!(shades(&eight), [1, 1, 2, 2, 3, 3, 4, 4]);
    }

    fn year(y: i32, today: NaiveDate) -> Calendar {
        let (first, last) = year_bounds(y);
        let days: Vec<(NaiveDate, usize)> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, usize::from(d.day() == 1)))
            .collect();
        calendar(&days, today)
    }

    /// Where a date sits: (column, row).
    fn find(c: &Calendar, shade: u8) -> Vec<(usize, usize)> {
        let mut at = Vec::new();
        for (col, cells) in c.columns.iter().enumerate() {
            for (row, cell) in cells.iter().enumerate() {
                if *cell == Some(shade) {
                    at.push((col, row));
                }
            }
        }
        at
    }

    #[test]
    fn a_year_is_53_columns_of_monday_to_sunday() {
        let end = date(2100, 1, 1);
        // 2026 starts on a Thursday and has an ISO week 53 (Dec 28 to Jan 3).
        let c = year(2026, end);
        assert_eq!(c.columns.len(), 53);
        assert_eq!(
            c.columns[0],
            [None, None, None, Some(1), Some(0), Some(0), Some(0)]
        );
        assert_eq!(
            c.columns[52],
            [Some(0), Some(0), Some(0), Some(0), None, None, None]
        );
        // The first of each month is the only busy day: twelve cells, Jan 1 on Thursday.
        assert_eq!(find(&c, 1).len(), 12);
        assert_eq!(find(&c, 1)[0], (0, 3));
        // 2024 is a leap year starting on a Monday: 366 days, Dec 31 a Tuesday.
        let c = year(2024, end);
        assert_eq!(c.columns.len(), 53);
        assert_eq!(
            c.columns[0],
            [
                Some(1),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ]
        );
        assert_eq!(
            c.columns[52],
            [Some(0), Some(0), None, None, None, None, None]
        );
        let cells: usize = c.columns.iter().flatten().filter(|c| c.is_some()).count();
        assert_eq!(cells, 366);
        // 2023 starts on a Sunday: Jan 1 is alone in the first column.
        let c = year(2023, end);
        assert_eq!(c.columns[0], [None, None, None, None, None, None, Some(1)]);
        assert_eq!(c.columns.len(), 53);
        // A leap year starting on a Sunday (2012) needs a 54th column for Monday Dec 31.
        let c = year(2012, end);
        assert_eq!(c.columns.len(), 54);
        assert_eq!(c.columns[53], [Some(0), None, None, None, None, None, None]);
    }

    #[test]
    fn days_after_today_are_left_blank() {
        let c = year(2026, date(2026, 1, 5));
        let shown: usize = c.columns.iter().flatten().filter(|c| c.is_some()).count();
        assert_eq!(shown, 5, "Jan 1 to 5");
        assert_eq!(c.columns[1][0], Some(0), "Monday Jan 5 is today");
        assert_eq!(c.columns[1][1], None);
    }

    #[test]
    fn months_are_labelled_over_their_first_whole_week() {
        let c = year(2026, date(2100, 1, 1));
        let months: Vec<u32> = c.months.iter().map(|(m, _)| *m).collect();
        assert_eq!(months, (1..=12).collect::<Vec<u32>>());
        assert_eq!(c.months[0], (1, 0), "January starts the calendar");
        // Feb 1 2026 is a Sunday: February's first Monday (Feb 2) is in column 5.
        assert_eq!(c.months[1], (2, 5));
        // June 1 2026 is a Monday: its own column.
        assert_eq!(
            c.months[5],
            (
                6,
                (date(2026, 6, 1) - date(2025, 12, 29)).num_days() as usize / 7
            )
        );
        for pair in c.months.windows(2) {
            assert!(pair[1].1 >= pair[0].1 + 4, "{pair:?} overlap");
        }
        assert!(c.months.iter().all(|(_, at)| *at < c.columns.len()));
    }

    #[test]
    fn weeks_of_a_year_run_to_today() {
        let weeks = weeks_of_year(2026, date(2026, 1, 12));
        let names: Vec<String> = weeks.iter().map(|w| w.to_string()).collect();
        assert_eq!(names, ["2026-W01", "2026-W02", "2026-W03"]);
        assert_eq!(weeks_of_year(2026, date(2030, 1, 1)).len(), 53);
        // 2027 starts on a Friday, in 2026's week 53.
        assert_eq!(
            weeks_of_year(2027, date(2030, 1, 1))[0].to_string(),
            "2026-W53"
        );
        assert!(weeks_of_year(2027, date(2026, 6, 1)).is_empty());
    }
}
