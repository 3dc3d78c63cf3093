//! `next`: the clients to contact now, ranked, each with its reason.

use anyhow::Result;

use super::show_date;
use crate::context::Context;
use crate::next::{ReasonKind, who_to_call};
use crate::render::{Cell, Table, Tone, View};

pub fn run(ctx: &Context, limit: usize) -> Result<()> {
    let today = ctx.today();
    // The clients, the open follow-ups and each client's last action: no action itself.
    let state = ctx.load_window(today, today)?;
    let mut calls = who_to_call(&state, today);
    let more = calls.len().saturating_sub(limit);
    calls.truncate(limit);

    let empty = if state.clients.is_empty() {
        "No clients yet. Log your first action: extramile log CLIENT what you did"
    } else {
        "Nobody needs a call now: no overdue follow-ups, every cadence is kept."
    };
    let mut table = Table::new(
        &[
            "Rank",
            "Client",
            "Tier",
            "Reason",
            "Last touch",
            "Open",
            "Overdue",
        ],
        empty,
    )
    .names(&["Client", "Tier"])
    .prose(&["Reason"])
    .dropping(&["Open", "Tier", "Last touch", "Overdue"]);
    for call in &calls {
        let tone = match call.reason_kind {
            ReasonKind::Overdue | ReasonKind::PastCadence => Tone::Alert,
            ReasonKind::CadenceSoon => Tone::Bold,
            ReasonKind::TopTierQuiet => Tone::Plain,
        };
        table.row(vec![
            call.rank.to_string().into(),
            call.client.as_str().into(),
            call.tier.clone().unwrap_or_default().into(),
            Cell::new(call.reason.as_str(), tone),
            call.last_touch
                .map(show_date)
                .unwrap_or_else(|| "never".into())
                .into(),
            call.open.to_string().into(),
            call.overdue.to_string().into(),
        ]);
    }
    ctx.print(&View::table("calls", table, serde_json::to_value(&calls)?))?;
    if more > 0 {
        ctx.notice(&format!(
            "{more} more to call; `extramile next --limit {}` lists them all.",
            limit + more
        ));
    }
    Ok(())
}
