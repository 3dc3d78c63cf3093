//! `demo`: the main reports on built-in sample data.

use anyhow::Result;
use serde_json::json;

use super::follow_ups::follow_up_view;
use super::report::week_view;
use crate::context::Context;
use crate::dates::{Week, add_days};
use crate::render::{Block, View};
use crate::state::State;

/// The weekly report and the upcoming list on the built-in sample; no store is touched.
pub fn demo(ctx: &Context) -> Result<()> {
    let mut state = State::default();
    for record in crate::demo::records(ctx.now) {
        state.apply(&record);
    }
    let today = ctx.today();
    let week = week_view(&state, Week::of(today), today);
    let horizon = add_days(today, 7);
    let due: Vec<_> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.due <= horizon)
        .collect();
    let upcoming = follow_up_view(&state, &due, today, "Nothing is due in the next 7 days.");

    let mut blocks = vec![Block::Line(
        "Sample data for 8 clients (built in; your store is neither read nor written).".into(),
    )];
    blocks.extend(week.blocks);
    blocks.push(Block::Heading("Upcoming follow-ups (next 7 days)".into()));
    blocks.extend(upcoming.blocks);
    let json = json!({ "report_week": week.json, "upcoming": upcoming.json });
    ctx.print(&View {
        blocks,
        json,
        main: None,
    })
}
