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
use crate::report::{
    ClientSummary, Period, Placed, Slipped, Story, Streak, Totals, period, totals_each,
    weeks_within,
};
use crate::state::State;
use crate::store::Store;

pub fn run(ctx: &Context, report: ReportCommand) -> Result<()> {
    let today = ctx.today();
    match report {
        ReportCommand::Week { week, last, team } => {
            let week = chosen_week(week, last, today);
            let (previous, end) = (week.previous().start(), add_days(week.end(), 1));
            let state = ctx.load_window_counting(previous, end)?;
            let mut view = week_view(&state, week, today, "Week", ctx.wants_json());
            if !team.is_empty() {
                add_team(&mut view, &team, week, today)?;
            }
            ctx.print(&view)
        }
        ReportCommand::Month { month } => {
            let month = month.unwrap_or(Month::of(today));
            let (previous, end) = (month.previous().start(), add_days(month.end(), 1));
            let state = ctx.load_window_counting(previous, end)?;
            ctx.print(&month_view(&state, month, today, ctx.wants_json()))
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
        ReportCommand::Team {
            journals,
            week,
            last,
        } => ctx.print(&team_view(
            &journals,
            chosen_week(week, last, today),
            today,
        )?),
        ReportCommand::Client { name } => super::clients::card(ctx, &name),
    }
}

/// The week `--week` names, last week with `--last`, else this week.
fn chosen_week(week: Option<Week>, last: bool, today: NaiveDate) -> Week {
    let this = Week::of(today);
    week.unwrap_or(if last { this.previous() } else { this })
}

/// The weekly report: figures against the week before, by client, slipped, neglected.
/// Its title starts with `label`: "Week", or for the demo "This week" or "Last week".
/// Its JSON only when `json` is wanted (else null).
pub fn week_view(state: &State, week: Week, today: NaiveDate, label: &str, json: bool) -> View {
    let prev = week.previous();
    let p = period(
        &Placed::of(state, true),
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
        period: &'a Period<'a>,
    }
    let json = match json {
        true => json!(Report {
            week: week.to_string(),
            period: &p,
        }),
        false => Value::Null,
    };
    period_view(&title, &p, None, json)
}

fn month_view(state: &State, month: Month, today: NaiveDate, json: bool) -> View {
    let prev = month.previous();
    let placed = Placed::of(state, true);
    let p = period(
        &placed,
        (month.start(), month.end()),
        (prev.start(), prev.end()),
        today,
    );
    let within = weeks_within(month.start(), month.end());
    let spans: Vec<(NaiveDate, NaiveDate)> = within.iter().map(|w| (w.1, w.2)).collect();
    let weeks: Vec<(Week, Totals)> = within
        .iter()
        .map(|w| w.0)
        .zip(totals_each(&placed, &spans, today))
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
        period: &'a Period<'a>,
        weeks: Vec<WeekRow<'a>>,
    }
    let json = match json {
        true => json!(Report {
            month: month.to_string(),
            period: &p,
            weeks: weeks
                .iter()
                .map(|(week, totals)| WeekRow {
                    week: week.to_string(),
                    totals,
                })
                .collect(),
        }),
        false => Value::Null,
    };
    period_view(&title, &p, Some(&weeks), json)
}

/// One rep's week, read from their journal.
struct RepWeek<'a> {
    rep: &'a str,
    period: Period<'a>,
}

/// A rep's row: the week's figures, the streak, and how many stories.
#[derive(serde::Serialize)]
struct RepRow<'a> {
    rep: &'a str,
    #[serde(flatten)]
    totals: &'a Totals,
    /// Each rep's own; none for the team's total.
    #[serde(flatten)]
    streak: Option<Streak>,
    stories: usize,
}

impl RepWeek<'_> {
    fn row(&self) -> RepRow<'_> {
        RepRow {
            rep: self.rep,
            totals: &self.period.totals,
            streak: Some(self.period.streak),
            stories: self.period.stories.len(),
        }
    }
}

/// Each rep's name and the two weeks up to `week` from their journal (files, or every
/// `*.jsonl` in a directory), read without writing anything beside them: snapshots go
/// to the user's cache.
fn rep_states(paths: &[PathBuf], week: Week) -> Result<Vec<(String, State)>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|err| {
                    anyhow::anyhow!("can't list the directory {}: {err}", path.display())
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "jsonl"))
                .collect();
            if found.is_empty() {
                crate::usage!(
                    "there is no journal (*.jsonl) in {}; give each rep's journal file or a directory of them",
                    path.display()
                );
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let prev = week.previous();
    let [from, to] =
        [prev.start(), add_days(week.end(), 1)].map(|day| crate::report::start_of(day).timestamp());
    let mut states = Vec::new();
    for file in files {
        let store = Store::open_read_only(&file);
        if !store.exists() {
            crate::usage!(
                "there is no journal at {}; give each rep's journal file or a directory of them",
                file.display()
            );
        }
        let state = store.load_window_counting(from, to)?.state;
        states.push((rep_name(store.path()), state));
    }
    Ok(states)
}

/// Each rep's week, from their states (`rep_states`).
fn rep_weeks(states: &[(String, State)], week: Week, today: NaiveDate) -> Vec<RepWeek<'_>> {
    let prev = week.previous();
    states
        .iter()
        .map(|(rep, state)| RepWeek {
            rep,
            period: period(
                &Placed::of(state, true),
                (week.start(), week.end()),
                (prev.start(), prev.end()),
                today,
            ),
        })
        .collect()
}

/// The table of reps' weeks, with a team total row when given one.
fn reps_table(rows: &[RepRow], total: Option<&RepRow>) -> Table {
    let headers = [
        "Rep",
        "Actions",
        "Clients",
        "Unasked",
        "Done on time",
        "Done late",
        "Overdue",
        "Streak",
        "Stories",
    ];
    let mut table = Table::new(&headers, "").names(&["Rep"]).dropping(&[
        "Clients",
        "Stories",
        "Done late",
        "Done on time",
        "Streak",
        "Unasked",
    ]);
    for r in rows.iter().chain(total) {
        let t = r.totals;
        table.row(vec![
            r.rep.into(),
            t.actions.to_string().into(),
            t.clients_touched.to_string().into(),
            t.initiative
                .percent()
                .map(|p| format!("{p}%"))
                .unwrap_or_default()
                .into(),
            t.followups_done_on_time.to_string().into(),
            alert_count(t.followups_done_late),
            alert_count(t.overdue),
            r.streak
                .map(|s| format!("{} wk", s.weeks))
                .unwrap_or_default()
                .into(),
            count(r.stories),
        ]);
    }
    table
}

/// Adds a table of each rep's week, read from their journals without writing anything.
fn add_team(view: &mut View, files: &[PathBuf], week: Week, today: NaiveDate) -> Result<()> {
    let states = rep_states(files, week)?;
    let reps = rep_weeks(&states, week, today);
    let rows: Vec<RepRow> = reps.iter().map(RepWeek::row).collect();
    view.blocks
        .push(Block::Heading(format!("Team ({} reps)", reps.len())));
    view.blocks
        .push(Block::Table("team", reps_table(&rows, None)));
    view.json["team"] = serde_json::to_value(&rows)?;
    Ok(())
}

/// `report team`: a sales leader's view of the reps' week, from their journals alone.
fn team_view(files: &[PathBuf], week: Week, today: NaiveDate) -> Result<View> {
    let states = rep_states(files, week)?;
    let reps = rep_weeks(&states, week, today);
    let rows: Vec<RepRow> = reps.iter().map(RepWeek::row).collect();
    let mut sum = Totals {
        start: week.start(),
        end: week.end(),
        ..Totals::default()
    };
    for r in &reps {
        sum.add(&r.period.totals);
    }
    let total = RepRow {
        rep: "Team",
        totals: &sum,
        streak: None,
        stories: rows.iter().map(|r| r.stories).sum(),
    };
    let slipped: Vec<(&str, &Slipped)> = reps
        .iter()
        .flat_map(|r| r.period.slipped.iter().map(|s| (r.rep, s)))
        .collect();
    let neglected: Vec<(&str, &ClientSummary)> = reps
        .iter()
        .flat_map(|r| r.period.neglected.iter().map(|n| (r.rep, n)))
        .collect();
    let mut stories: Vec<(&str, &Story)> = reps
        .iter()
        .flat_map(|r| r.period.stories.iter().map(|s| (r.rep, s)))
        .collect();
    stories.sort_by_key(|(rep, s)| (s.date, rep.to_lowercase()));

    let title = format!(
        "Team {week}: {} to {} ({} reps)",
        show_date(week.start()),
        show_date(week.end()),
        reps.len()
    );
    let mut blocks = vec![Block::Heading(title)];
    blocks.push(Block::Table("reps", reps_table(&rows, Some(&total))));
    blocks.push(Block::Line(
        "unasked",
        format!("Unasked: {}", sum.initiative.describe()).into(),
    ));
    blocks.push(Block::Heading("Stories".into()));
    blocks.push(Block::Table("stories", stories_table(&stories)));
    blocks.push(Block::Heading("Slipped".into()));
    blocks.push(Block::Table("slipped", slipped_table(&slipped)));
    blocks.push(Block::Heading("Neglected".into()));
    blocks.push(Block::Table("neglected", neglected_table(&neglected)));

    #[derive(serde::Serialize)]
    struct OfRep<'a, T> {
        rep: &'a str,
        #[serde(flatten)]
        item: &'a T,
    }
    fn of_rep<'a, T>(items: &[(&'a str, &'a T)]) -> Vec<OfRep<'a, T>> {
        items
            .iter()
            .map(|&(rep, item)| OfRep { rep, item })
            .collect()
    }
    let json = json!({
        "week": week.to_string(),
        "start": week.start(),
        "end": week.end(),
        "reps": rows,
        "total": total,
        "stories": of_rep(&stories),
        "slipped": of_rep(&slipped),
        "neglected": of_rep(&neglected),
    });
    Ok(View { blocks, json })
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
    blocks.push(Block::Line(
        "unasked",
        format!("Unasked: {}", t.initiative.describe()).into(),
    ));
    let stories = match p.streak.story_weeks {
        0 => String::new(),
        n => format!(", {n} with a story"),
    };
    let streak = match p.streak.weeks {
        0 => Cell::new("Streak: no action logged this week yet", Tone::Alert),
        1 => Cell::new(
            format!("Streak: 1 week with an extra mile{stories}"),
            Tone::Good,
        ),
        n => Cell::new(
            format!("Streak: {n} weeks in a row with an extra mile{stories}"),
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

    blocks.push(Block::Heading("Stories".into()));
    let stories: Vec<(&str, &Story)> = p.stories.iter().map(|s| ("", s)).collect();
    blocks.push(Block::Table("stories", stories_table(&stories)));

    blocks.push(Block::Heading("Slipped".into()));
    let slipped: Vec<(&str, &Slipped)> = p.slipped.iter().map(|s| ("", s)).collect();
    blocks.push(Block::Table("slipped", slipped_table(&slipped)));
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
    let neglected: Vec<(&str, &ClientSummary)> = p.neglected.iter().map(|n| ("", n)).collect();
    blocks.push(Block::Table("neglected", neglected_table(&neglected)));
    View { blocks, json }
}

/// A table whose rows may each belong to a rep: with a Rep column first when any does
/// (the team view), without one when none does (one's own report).
fn rep_table<T>(
    rows: &[(&str, &T)],
    headers: &[&str],
    empty: &str,
    cells: impl Fn(&T) -> Vec<Cell>,
) -> Table {
    let with_rep = rows.iter().any(|(rep, _)| !rep.is_empty());
    let mut all: Vec<&str> = if with_rep { vec!["Rep"] } else { vec![] };
    all.extend_from_slice(headers);
    let mut table = Table::new(&all, empty);
    for (rep, item) in rows {
        let mut row: Vec<Cell> = if with_rep {
            vec![(*rep).into()]
        } else {
            vec![]
        };
        row.extend(cells(item));
        table.row(row);
    }
    if with_rep {
        table.names(&["Rep"])
    } else {
        table
    }
}

fn stories_table(rows: &[(&str, &Story)]) -> Table {
    rep_table(
        rows,
        &["Date", "#", "Client", "Story"],
        "No story marked; `extramile log … --story` marks one.",
        |s| {
            vec![
                show_date(s.date).into(),
                s.id.to_string().into(),
                s.client.as_str().into(),
                s.text.as_str().into(),
            ]
        },
    )
    .names(&["Client"])
    .prose(&["Story"])
    .dropping(&["#"])
}

fn slipped_table(rows: &[(&str, &Slipped)]) -> Table {
    let shown = &rows[..rows.len().min(SLIPPED_SHOWN)];
    rep_table(
        shown,
        &["#", "Client", "Follow-up", "Due", "Slipped"],
        "Nothing slipped.",
        |s| {
            let how = match s.how {
                "done-late" => format!("done {} late", days(s.days_late)),
                _ => format!("{} overdue", days(s.days_late)),
            };
            vec![
                s.id.to_string().into(),
                s.client.into(),
                s.text.into(),
                show_due(s.due, s.due_time).into(),
                Cell::new(how, Tone::Alert),
            ]
        },
    )
    .names(&["Client"])
    .prose(&["Follow-up"])
    .dropping(&["Due"])
}

fn neglected_table(rows: &[(&str, &ClientSummary)]) -> Table {
    rep_table(
        rows,
        &["Client", "Tier", "Cadence", "Last touch", "Status"],
        "No client is past its cadence.",
        |n| {
            vec![
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
            ]
        },
    )
    .names(&["Client", "Tier"])
    .dropping(&["Tier", "Cadence"])
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
