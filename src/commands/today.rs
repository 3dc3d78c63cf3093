//! `extramile` alone: the morning view. What is overdue and due today, this week so
//! far, the streak, and who is being neglected.

use anyhow::Result;
use serde_json::json;

use super::follow_ups::follow_up_view;
use super::show_day;
use crate::context::Context;
use crate::dates::{Week, add_days};
use crate::render::{Block, Cell, Tone, View};
use crate::report::{client_summaries, neglected, streak, totals};

pub fn run(ctx: &Context) -> Result<()> {
    let today = ctx.today();
    let week = Week::of(today);
    let state = ctx.load_window(week.start(), add_days(week.end(), 1))?;
    let due: Vec<_> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.due <= today)
        .collect();
    let this_week = totals(&state, week.start(), week.end(), today);
    let streak = streak(&state, week).weeks;
    let summaries = client_summaries(&state, today);
    let neglected = neglected(&summaries);

    let empty = if state.clients.is_empty() {
        "Nothing logged yet. After your next call: extramile log CLIENT what you did --follow-up fri"
    } else {
        "Nothing overdue or due today."
    };
    let due_view = follow_up_view("due", &state, &due, today, empty, ctx.wants_json());
    let mut blocks = vec![Block::Heading(format!("Today, {}", show_day(today)))];
    blocks.extend(due_view.blocks);
    blocks.push(Block::Line(
        "week",
        format!(
            "This week ({week}): {} {} for {} {}.",
            this_week.actions,
            if this_week.actions == 1 {
                "action"
            } else {
                "actions"
            },
            this_week.clients_touched,
            if this_week.clients_touched == 1 {
                "client"
            } else {
                "clients"
            },
        )
        .into(),
    ));
    blocks.push(Block::Line(
        "streak",
        match streak {
            0 => Cell::new(
                "Streak: none yet this week. Log an extra mile to keep it going.",
                Tone::Alert,
            ),
            n => Cell::new(
                format!(
                    "Streak: {n} {} in a row.",
                    if n == 1 { "week" } else { "weeks" }
                ),
                Tone::Good,
            ),
        },
    ));
    if neglected.is_empty() {
        blocks.push(Block::Line(
            "neglected",
            "No client is past its cadence.".into(),
        ));
    } else {
        let names: Vec<String> = neglected
            .iter()
            .map(|s| format!("{} ({})", s.client, s.cadence.describe()))
            .collect();
        blocks.push(Block::Line(
            "neglected",
            Cell::new(format!("Neglected: {}.", names.join(", ")), Tone::Alert),
        ));
    }
    let json = json!({
        "date": today.format("%Y-%m-%d").to_string(),
        "due": due_view.json,
        "week": week.to_string(),
        "week_actions": this_week.actions,
        "week_clients_touched": this_week.clients_touched,
        "streak_weeks": streak,
        "neglected": neglected,
    });
    ctx.print(&View { blocks, json })
}
