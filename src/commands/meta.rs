//! `demo`: the main reports on built-in sample data.

use anyhow::Result;
use serde_json::json;

use super::follow_ups::follow_up_view;
use super::report::week_view;
use crate::context::Context;
use crate::dates::add_days;
use crate::render::{Block, View};
use crate::state::State;

/// The weekly report and the upcoming list on the built-in sample, then how to start;
/// no store is touched.
pub fn demo(ctx: &Context) -> Result<()> {
    let mut state = State::default();
    for record in crate::demo::records(ctx.now) {
        state.apply(&record);
    }
    let today = ctx.today();
    let (week, label) = crate::demo::shown_week(today);
    let week = week_view(&state, week, today, label, ctx.wants_json());
    let horizon = add_days(today, 7);
    let due: Vec<_> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.due <= horizon)
        .collect();
    let upcoming = follow_up_view(
        "upcoming",
        &state,
        &due,
        today,
        "Nothing is due in the next 7 days.",
        ctx.wants_json(),
    );

    let clients = state.clients.len();
    let mut blocks = vec![Block::Line(
        "sample",
        format!(
            "Sample data for {clients} clients (built in; your store is neither read nor written)."
        )
        .into(),
    )];
    blocks.extend(week.blocks);
    blocks.push(Block::Heading("Upcoming follow-ups (next 7 days)".into()));
    blocks.extend(upcoming.blocks);
    blocks.push(Block::Heading("Try it".into()));
    for line in [
        r#"Log your first action:  extramile log Acme "sent the renewal draft early" --kind idea --follow-up fri"#,
        "See what is due:        extramile upcoming",
        "Read your week:         extramile report week",
    ] {
        blocks.push(Block::Line("try", line.into()));
    }
    let json = json!({
        "sample_clients": clients,
        "report_week": week.json,
        "upcoming": upcoming.json,
    });
    ctx.print(&View { blocks, json })
}
