//! `report week`, `report month` and `report client`: the summaries people read on Friday.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::show_date;
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
            let mut view = week_view(&state, week, today);
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
        ReportCommand::Client { name } => super::clients::card(ctx, &name),
    }
}

/// The weekly report: figures against the week before, by client, slipped, neglected.
pub fn week_view(state: &State, week: Week, today: NaiveDate) -> View {
    let prev = week.previous();
    let p = period(
        state,
        (week.start(), week.end()),
        (prev.start(), prev.end()),
        today,
    );
    let title = format!(
        "Week {week}: {} to {}",
        show_date(week.start()),
        show_date(week.end())
    );
    let mut json = json!({ "week": week.to_string() });
    json.as_object_mut()
        .expect("an object")
        .extend(period_json(&p));
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
    let mut json = json!({ "month": month.to_string() });
    let object = json.as_object_mut().expect("an object");
    object.extend(period_json(&p));
    #[derive(serde::Serialize)]
    struct WeekRow<'a> {
        week: String,
        #[serde(flatten)]
        totals: &'a Totals,
    }
    let rows: Vec<WeekRow> = weeks
        .iter()
        .map(|(week, totals)| WeekRow {
            week: week.to_string(),
            totals,
        })
        .collect();
    object.insert("weeks".into(), json!(rows));
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
    let mut table = Table::new(&headers, "");
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
    view.blocks.push(Block::Table(table));
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

/// The JSON of a week or month: every figure the table shows.
fn period_json(p: &Period) -> serde_json::Map<String, Value> {
    let t = &p.totals;
    let json = json!({
        "start": show_date(t.start),
        "end": show_date(t.end),
        "actions": t.actions,
        "clients_touched": t.clients_touched,
        "intros": t.intros,
        "followups_new": t.followups_new,
        "followups_done": t.followups_done,
        "followups_done_on_time": t.followups_done_on_time,
        "followups_done_late": t.followups_done_late,
        "overdue": t.overdue,
        "streak_weeks": p.streak_weeks,
        "previous": p.previous,
        "by_client": p.by_client,
        "by_kind": p.by_kind,
        "slipped": p.slipped,
        "neglected": p.neglected,
    });
    match json {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal"),
    }
}

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

    let mut summary = Table::new(&["Figure", "Count", "Previous", "Change"], "");
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
    blocks.push(Block::Table(summary));
    let streak = match p.streak_weeks {
        0 => Cell::new("Streak: no action logged this week yet", Tone::Alert),
        1 => Cell::new("Streak: 1 week with an extra mile", Tone::Good),
        n => Cell::new(
            format!("Streak: {n} weeks in a row with an extra mile"),
            Tone::Good,
        ),
    };
    blocks.push(Block::Line(streak));

    if let Some(weeks) = weeks {
        blocks.push(Block::Heading("By week".into()));
        let mut table = Table::new(
            &[
                "Week",
                "Days",
                "Actions",
                "Clients",
                "Done on time",
                "Done late",
                "Overdue",
            ],
            "",
        );
        for (week, w) in weeks {
            table.row(vec![
                week.to_string().into(),
                format!("{} to {}", w.start.format("%m-%d"), w.end.format("%m-%d")).into(),
                w.actions.to_string().into(),
                w.clients_touched.to_string().into(),
                w.followups_done_on_time.to_string().into(),
                w.followups_done_late.to_string().into(),
                w.overdue.to_string().into(),
            ]);
        }
        blocks.push(Block::Table(table));
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
    let mut by_client = Table::new(&headers, "No client activity.");
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
    let main = Some(blocks.len());
    blocks.push(Block::Table(by_client));

    let kinds: Vec<String> = p.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    blocks.push(Block::Line(
        format!("By kind: {}", kinds.join(" · ")).into(),
    ));

    blocks.push(Block::Heading("Slipped".into()));
    let mut slipped = Table::new(
        &["#", "Client", "Follow-up", "Due", "Slipped"],
        "Nothing slipped.",
    );
    for s in p.slipped.iter().take(SLIPPED_SHOWN) {
        let how = match s.how {
            "done-late" => format!("done {} late", days(s.days_late)),
            _ => format!("{} overdue", days(s.days_late)),
        };
        slipped.row(vec![
            s.id.to_string().into(),
            s.client.as_str().into(),
            s.text.as_str().into(),
            show_date(s.due).into(),
            Cell::new(how, Tone::Alert),
        ]);
    }
    blocks.push(Block::Table(slipped));
    if let Some(more) = p
        .slipped
        .len()
        .checked_sub(SLIPPED_SHOWN)
        .filter(|n| *n > 0)
    {
        blocks.push(Block::Line(
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
    );
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
    blocks.push(Block::Table(neglected));
    View { blocks, json, main }
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
