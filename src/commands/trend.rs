//! `report trend` and `report year`: the weekly figures over many weeks, and a year of
//! actions as a calendar heatmap.

use chrono::NaiveDate;
use serde_json::json;

use super::show_date;
use crate::dates::Week;
use crate::render::{Block, Shade, Table, View};
use crate::report::{Placed, Totals, streak, totals_each};
use crate::state::State;
use crate::trend::{
    FIGURES, actions_per_day, calendar, longest_streak, sparkline, weeks_of_year, year_bounds,
};

/// A table of weeks: the week, its days, and a column per figure in `FIGURES`.
pub fn weeks_table(weeks: &[(Week, Totals)]) -> Table {
    let headers: Vec<&str> = ["Week", "Days"]
        .into_iter()
        .chain(FIGURES.iter().map(|(name, _)| *name))
        .collect();
    let mut table =
        Table::new(&headers, "").dropping(&["Days", "Clients", "Done on time", "Done late"]);
    for (week, w) in weeks {
        let days = format!("{} to {}", w.start.format("%m-%d"), w.end.format("%m-%d"));
        let figures = FIGURES
            .iter()
            .map(|(_, figure)| figure(w).to_string().into());
        table.row(
            [week.to_string().into(), days.into()]
                .into_iter()
                .chain(figures)
                .collect(),
        );
    }
    table
}

/// `weeks` (oldest first) with each one's figures, as `report week` counts them, and a
/// sparkline of each figure.
pub fn trend_view(state: &State, weeks: &[Week], today: NaiveDate) -> View {
    let spans: Vec<(NaiveDate, NaiveDate)> = weeks.iter().map(|w| (w.start(), w.end())).collect();
    let rows: Vec<(Week, Totals)> = weeks
        .iter()
        .copied()
        .zip(totals_each(&Placed::of(state, false), &spans, today))
        .collect();
    let (first, last) = (weeks[0], weeks[weeks.len() - 1]);
    let title = match weeks.len() {
        1 => format!(
            "Week {last}: {} to {}",
            show_date(last.start()),
            show_date(last.end())
        ),
        n => format!(
            "{n} weeks, {first} to {last}: {} to {}",
            show_date(first.start()),
            show_date(last.end())
        ),
    };
    let mut blocks = vec![
        Block::Heading(title),
        Block::Table("weeks", weeks_table(&rows)),
        Block::Heading("Trend".into()),
    ];
    let width = FIGURES
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, figure) in FIGURES {
        let values: Vec<usize> = rows.iter().map(|(_, t)| figure(t)).collect();
        let (min, max) = (values.iter().min(), values.iter().max());
        let line = format!(
            "{name:<width$}  {}  min {}, max {}",
            sparkline(&values),
            min.unwrap_or(&0),
            max.unwrap_or(&0)
        );
        blocks.push(Block::Line("trend", line.into()));
    }
    #[derive(serde::Serialize)]
    struct WeekRow<'a> {
        week: String,
        #[serde(flatten)]
        totals: &'a Totals,
    }
    let json = json!({
        "weeks": rows
            .iter()
            .map(|(week, totals)| WeekRow { week: week.to_string(), totals })
            .collect::<Vec<_>>(),
    });
    View { blocks, json }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The margin left of the calendar: a weekday's name and a space.
const MARGIN: &str = "    ";

/// `year` as a calendar of actions per day (a column per week, a row per weekday), with
/// its total and the streaks.
pub fn year_view(state: &State, year: i32, today: NaiveDate) -> View {
    let days = actions_per_day(state, year);
    let total: usize = days.iter().map(|(_, n)| n).sum();
    let grid = calendar(&days, today);
    let weeks = weeks_of_year(year, today);
    let current = weeks.last().map_or(0, |w| streak(state, *w).weeks);
    let longest = longest_streak(state, &weeks);

    let text = |s: String| Shade::Text(s);
    let mut months = format!("{MARGIN} ");
    for (month, at) in &grid.months {
        let pad = (MARGIN.len() + 1 + at).saturating_sub(months.chars().count());
        months.push_str(&" ".repeat(pad));
        months.push_str(MONTHS[*month as usize - 1]);
    }
    let rule = "─".repeat(grid.columns.len());
    let mut lines = vec![vec![text(months)], vec![text(format!("{MARGIN}╭{rule}╮"))]];
    for (row, weekday) in WEEKDAYS.iter().enumerate() {
        let mut line = vec![text(format!("{weekday} │"))];
        for cells in &grid.columns {
            line.push(match cells[row] {
                Some(level) => Shade::Level(level),
                None => text(" ".into()),
            });
        }
        line.push(text("│".into()));
        lines.push(line);
    }
    lines.push(vec![text(format!("{MARGIN}╰{rule}╯"))]);
    let mut legend = vec![text(format!("{MARGIN} Less "))];
    for level in 0..=4 {
        legend.push(Shade::Level(level));
        legend.push(text(" ".into()));
    }
    legend.push(text("More (each shade a quarter of the busy days)".into()));
    lines.push(legend);

    let plural = |n: usize, one: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    };
    let when = match year_bounds(year) {
        (_, last) if last < today => format!("at the end of {year}"),
        _ => "now".to_string(),
    };
    let blocks = vec![
        Block::Heading(format!("{year}: {}", plural(total, "action"))),
        Block::Shades("calendar", lines),
        Block::Line(
            "streak",
            format!(
                "Streak: {} {when}, the longest {}",
                plural(current as usize, "week"),
                plural(longest as usize, "week")
            )
            .into(),
        ),
    ];
    let json = json!({
        "year": year,
        "total": total,
        "days": days
            .iter()
            .map(|(date, actions)| json!({"date": date, "actions": actions}))
            .collect::<Vec<_>>(),
        "current_streak_weeks": current,
        "longest_streak_weeks": longest,
    });
    View { blocks, json }
}
