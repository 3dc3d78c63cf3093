//! `report week`, `report month` and `report client`: the summaries people read on Friday.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::{show_date, show_due};
use crate::cli::ReportCommand;
use crate::context::Context;
use crate::dates::{Month, Week, add_days, days};
use crate::render::{Block, Cell, Table, Tone, View};
use crate::report::{Period, Totals, period, streak_weeks, totals, weeks_within};
use crate::state::State;
use crate::store::Store;

pub fn run(ctx: &Context, report: ReportCommand) -> Result<()> {
    let today = ctx.today();
    match report {
        ReportCommand::Week { week, last, team } => {
            let this = Week::of(today);
            let week = week.unwrap_or(if last { this.previous() } else { this });
            let state = ctx.load_window(week.previous().start(), add_days(week.end(), 1))?;
            let mut view = week_view(&state, week, today, "Week");
            if !team.is_empty() {
                add_team(&mut view, &team, week, today)?;
            }
            ctx.print(&view)
        }
        ReportCommand::Month { month } => {
            let month = month.unwrap_or(Month::of(today));
            let state = ctx.load_window(month.previous().start(), add_days(month.end(), 1))?;
            ctx.print(&month_view(&state, month, today))
        }
        ReportCommand::Trend { weeks } => {
            let weeks = crate::trend::weeks_ending(Week::of(today), weeks);
            let state = ctx.load_window(weeks[0].start(), add_days(Week::of(today).end(), 1))?;
            ctx.print(&super::trend::trend_view(&state, &weeks, today))
        }
        ReportCommand::Year { year } => {
            let year = year.unwrap_or(today.year());
            let (first, last) = crate::trend::year_bounds(year);
            let state = ctx.load_window(first, add_days(last, 1))?;
            ctx.print(&super::trend::year_view(&state, year, today))
        }
        ReportCommand::Client { name } => super::clients::card(ctx, &name),
    }
}

/// The weekly report: figures against the week before, by client, slipped, neglected.
/// Its title starts with `label`: "Week", or for the demo "This week" or "Last week".
pub fn week_view(state: &State, week: Week, today: NaiveDate, label: &str) -> View {
    let prev = week.previous();
    let p = period(
        state,
        (week.start(), week.end()),
        (prev.start(), prev.end()),
        today,
    );
    let title = format!(
        "{label} {week}: {} to {}",
        show_date(week.start()),
        show_date(week.end())
    );
    #[derive(serde::Serialize)]
    struct Report<'a> {
        week: String,
        #[serde(flatten)]
        period: &'a Period,
    }
    let json = json!(Report {
        week: week.to_string(),
        period: &p,
    });
    period_view(&title, &p, None, json)
}

fn month_view(state: &State, month: Month, today: NaiveDate) -> View {
    let prev = month.previous();
    let p = period(
        state,
        (month.start(), month.end()),
        (prev.start(), prev.end()),
        today,
    );
    let weeks: Vec<(Week, Totals)> = weeks_within(month.start(), month.end())
        .into_iter()
        .map(|(week, start, end)| (week, totals(state, start, end, today)))
        .collect();
    let title = format!(
        "{}: {} to {}",
        month.start().format("%B %Y"),
        show_date(month.start()),
        show_date(month.end())
    );
    #[derive(serde::Serialize)]
    struct WeekRow<'a> {
        week: String,
        #[serde(flatten)]
        totals: &'a Totals,
    }
    #[derive(serde::Serialize)]
    struct Report<'a> {
        month: String,
        #[serde(flatten)]
        period: &'a Period,
        weeks: Vec<WeekRow<'a>>,
    }
    let json = json!(Report {
        month: month.to_string(),
        period: &p,
        weeks: weeks
            .iter()
            .map(|(week, totals)| WeekRow {
                week: week.to_string(),
                totals,
            })
            .collect(),
    });
    period_view(&title, &p, Some(&weeks), json)
}

/// Adds a table of each rep's week, read from their journals without writing anything.
fn add_team(view: &mut View, files: &[PathBuf], week: Week, today: NaiveDate) -> Result<()> {
    #[derive(serde::Serialize)]
    struct Rep {
        rep: String,
        #[serde(flatten)]
        totals: Totals,
        streak_weeks: u32,
    }
    let mut reps = Vec::new();
    for file in files {
        let store = Store::open_read_only(file);
        if !store.exists() {
            crate::usage!(
                "there is no journal at {}; --team takes each rep's journal file",
                file.display()
            );
        }
        let (from, to) = (
            crate::report::start_of(week.start()),
            crate::report::start_of(add_days(week.end(), 1)),
        );
        let state = store
            .load_window(from.timestamp(), to.timestamp(), None)?
            .state;
        reps.push(Rep {
            rep: rep_name(store.path()),
            totals: totals(&state, week.start(), week.end(), today),
            streak_weeks: streak_weeks(&state, week),
        });
    }
    let headers = [
        "Rep",
        "Actions",
        "Clients",
        "Done on time",
        "Done late",
        "Overdue",
        "Streak",
    ];
    let mut table = Table::new(&headers, "").names(&["Rep"]).dropping(&[
        "Clients",
        "Done late",
        "Done on time",
        "Streak",
    ]);
    for r in &reps {
        let t = &r.totals;
        table.row(vec![
            r.rep.as_str().into(),
            t.actions.to_string().into(),
            t.clients_touched.to_string().into(),
            t.followups_done_on_time.to_string().into(),
            alert_count(t.followups_done_late),
            alert_count(t.overdue),
            format!("{} wk", r.streak_weeks).into(),
        ]);
    }
    view.blocks
        .push(Block::Heading(format!("Team ({} reps)", reps.len())));
    view.blocks.push(Block::Table("team", table));
    view.json["team"] = serde_json::to_value(&reps)?;
    Ok(())
}

/// A rep's name from their journal's path: `anna.jsonl` is anna, `anna/journal.jsonl` too.
fn rep_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    match path.parent().and_then(|d| d.file_name()) {
        Some(dir) if stem == "journal" => dir.to_string_lossy().to_string(),
        _ => stem,
    }
}

/// How many slipped follow-ups the report's table shows (JSON has them all): a backlog
/// of hundreds would bury the rest of the report.
const SLIPPED_SHOWN: usize = 25;

/// "+3", "-2" or "=": the change from the span before.
fn change(now: usize, before: usize) -> String {
    match now as i64 - before as i64 {
        0 => "=".into(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

fn period_view(title: &str, p: &Period, weeks: Option<&[(Week, Totals)]>, json: Value) -> View {
    let (t, b) = (&p.totals, &p.previous);
    let mut blocks = vec![Block::Heading(title.to_string())];

    let mut summary = Table::new(&["Figure", "Count", "Previous", "Change"], "")
        .names(&["Figure"])
        .dropping(&["Previous", "Change"]);
    let figures = [
        ("Actions", t.actions, b.actions),
        ("Clients touched", t.clients_touched, b.clients_touched),
        ("Introductions", t.intros, b.intros),
        (
            "Follow-ups done on time",
            t.followups_done_on_time,
            b.followups_done_on_time,
        ),
        (
            "Follow-ups done late",
            t.followups_done_late,
            b.followups_done_late,
        ),
        (
            "Follow-ups with an outcome",
            t.followups_with_outcome,
            b.followups_with_outcome,
        ),
        ("Overdue", t.overdue, b.overdue),
        ("New follow-ups", t.followups_new, b.followups_new),
    ];
    for (name, now, before) in figures {
        let tone = match name {
            "Overdue" | "Follow-ups done late" if now > 0 => Tone::Alert,
            _ => Tone::Plain,
        };
        summary.row(vec![
            name.into(),
            Cell::new(now.to_string(), tone),
            before.to_string().into(),
            change(now, before).into(),
        ]);
    }
    blocks.push(Block::Table("figures", summary));
    let streak = match p.streak_weeks {
        0 => Cell::new("Streak: no action logged this week yet", Tone::Alert),
        1 => Cell::new("Streak: 1 week with an extra mile", Tone::Good),
        n => Cell::new(
            format!("Streak: {n} weeks in a row with an extra mile"),
            Tone::Good,
        ),
    };
    blocks.push(Block::Line("streak", streak));

    if let Some(weeks) = weeks {
        blocks.push(Block::Heading("By week".into()));
        let table = super::trend::weeks_table(weeks);
        blocks.push(Block::Table("by_week", table));
    }

    blocks.push(Block::Heading("By client".into()));
    let headers = [
        "Client",
        "Actions",
        "Kinds",
        "Done",
        "Late",
        "Open",
        "Overdue",
        "Last touch",
    ];
    let mut by_client = Table::new(&headers, "No client activity.")
        .names(&["Client", "Kinds"])
        .dropping(&["Kinds", "Open", "Late", "Done", "Last touch"]);
    for c in &p.by_client {
        let kinds: Vec<String> = c.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let mut row: Vec<Cell> = vec![
            c.client.as_str().into(),
            c.actions.to_string().into(),
            kinds.join(", ").into(),
        ];
        row.push(count(c.followups_done));
        row.push(alert_count(c.followups_done_late));
        row.push(count(c.open));
        row.push(alert_count(c.overdue));
        row.push(c.last_touch.map(show_date).unwrap_or_default().into());
        by_client.row(row);
    }
    blocks.push(Block::Table("by_client", by_client));

    let kinds: Vec<String> = p.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    blocks.push(Block::Line(
        "by_kind",
        format!("By kind: {}", kinds.join(" · ")).into(),
    ));

    blocks.push(Block::Heading("Slipped".into()));
    let mut slipped = Table::new(
        &["#", "Client", "Follow-up", "Due", "Slipped"],
        "Nothing slipped.",
    )
    .names(&["Client"])
    .prose(&["Follow-up"])
    .dropping(&["Due"]);
    for s in p.slipped.iter().take(SLIPPED_SHOWN) {
        let how = match s.how {
            "done-late" => format!("done {} late", days(s.days_late)),
            _ => format!("{} overdue", days(s.days_late)),
        };
        slipped.row(vec![
            s.id.to_string().into(),
            s.client.as_str().into(),
            s.text.as_str().into(),
            show_due(s.due, s.due_time).into(),
            Cell::new(how, Tone::Alert),
        ]);
    }
    blocks.push(Block::Table("slipped", slipped));
    if let Some(more) = p
        .slipped
        .len()
        .checked_sub(SLIPPED_SHOWN)
        .filter(|n| *n > 0)
    {
        blocks.push(Block::Line(
            "slipped_more",
            format!(
                "… and {more} more, less late; `extramile overdue` lists all that are overdue, \
                 --format json every one."
            )
            .into(),
        ));
    }

    blocks.push(Block::Heading("Neglected".into()));
    let mut neglected = Table::new(
        &["Client", "Tier", "Cadence", "Last touch", "Status"],
        "No client is past its cadence.",
    )
    .names(&["Client", "Tier"])
    .dropping(&["Tier", "Cadence"]);
    for n in &p.neglected {
        neglected.row(vec![
            n.client.as_str().into(),
            n.tier.clone().unwrap_or_default().into(),
            n.cadence_days
                .map(|d| format!("every {d} days"))
                .unwrap_or_default()
                .into(),
            n.last_touch
                .map(show_date)
                .unwrap_or_else(|| "never".into())
                .into(),
            Cell::new(n.cadence.describe(), Tone::Alert),
        ]);
    }
    blocks.push(Block::Table("neglected", neglected));
    View { blocks, json }
}

/// A count, with zero dimmed so the non-zero figures stand out.
fn count(n: usize) -> Cell {
    if n == 0 {
        Cell::new("0", Tone::Dim)
    } else {
        n.to_string().into()
    }
}

fn alert_count(n: usize) -> Cell {
    if n == 0 {
        count(0)
    } else {
        Cell::new(n.to_string(), Tone::Alert)
    }
}
