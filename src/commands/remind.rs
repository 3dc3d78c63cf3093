//! `remind`: one short line per follow-up due today or overdue, and nothing at all when
//! none is, for cron jobs, timers and shell prompts. It reads only the open follow-ups,
//! never waits for the lock and never writes (see `Store::peek_due`).

use std::fmt::Write as _;

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::Value;

use super::follow_ups_json;
use crate::cli::Format;
use crate::context::Context;
use crate::dates::humanize_due;
use crate::model::FollowUp;
use crate::render::{Block, Cell, Tone, View, shorten, visible};
use crate::state::State;

/// Columns a reminder line takes at most, so it fits a terminal or a notification.
const WIDTH: usize = 80;

pub fn run(ctx: &Context, count: bool) -> Result<()> {
    if ctx.format == Format::Csv {
        crate::usage!(
            "`remind` prints lines or --format json; for CSV, `extramile upcoming --days 0 \
             --format csv` lists the same follow-ups"
        );
    }
    let today = ctx.today();
    let loaded = ctx.store.peek_due(today)?;
    ctx.warn_torn(loaded.torn_bytes);
    let state = &loaded.state;
    // Soonest due first is most overdue first.
    let due: Vec<&FollowUp> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.due <= today)
        .collect();
    let view = if count {
        View {
            blocks: (!due.is_empty())
                .then(|| Block::Line("count", due.len().to_string().into()))
                .into_iter()
                .collect(),
            json: due.len().into(),
        }
    } else {
        // The JSON is built only when it is printed: it costs more than the lines.
        let json = ctx
            .wants_json()
            .then(|| follow_ups_json(state, &due, today));
        View {
            blocks: due.iter().map(|f| line(state, f, today)).collect(),
            json: json.unwrap_or(Value::Null),
        }
    };
    ctx.print(&view)
}

/// `#12 Globex: send the pricing deck (3 days overdue)`, shown safely on one line and
/// cut to `WIDTH` columns: the text gives way first, the number and the due never.
fn line(state: &State, f: &FollowUp, today: NaiveDate) -> Block {
    let (when, tone) = if f.due == today {
        ("due today".to_string(), Tone::Plain)
    } else {
        (humanize_due(f.due, today), Tone::Alert)
    };
    let client = state.client_name(&f.client);
    let mut what = String::with_capacity(client.len() + f.text.len() + 24);
    write!(what, "#{} {client}: {}", f.num, f.text).expect("a String takes any text");
    let room = WIDTH.saturating_sub(when.len() + 3);
    let mut text = shorten(&visible(&what, false), room).into_owned();
    write!(text, " ({when})").expect("a String takes any text");
    Block::Line("due", Cell::new(text, tone))
}
