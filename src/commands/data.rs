//! `export` and `import`: moving records in and out of the store.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use chrono::NaiveTime;

use crate::cli::{CalendarArgs, Format};
use crate::context::{Context, local_when};
use crate::crm::{Columns, Crm, MapEntry};
use crate::dates::{Day, When};
use crate::error::UsageError;
use crate::import::Imported;
use crate::transfer::{CLOSED_DAYS, Feed, feed_entries, write_csv, write_ics, write_json};

/// Largest file `import` reads.
const MAX_IMPORT: u64 = 512 * 1024 * 1024;

pub fn export_to(
    ctx: &Context,
    output: Option<PathBuf>,
    to: Option<Crm>,
    calendar: CalendarArgs,
) -> Result<()> {
    let shaped = calendar.tasks || calendar.alarm.is_some() || calendar.since.is_some();
    if ctx.format != Format::Ics && shaped {
        return Err(UsageError::new(
            "--tasks, --alarm and --since shape the iCalendar feed: use them with --format ics",
        )
        .into());
    }
    match (ctx.format, to) {
        (Format::Table | Format::Csv, Some(crm)) => {
            let mut all = ctx.load_everything()?;
            write_out(ctx, output, |out| crate::crm::write_csv(crm, &mut all, out))
        }
        (_, Some(_)) => {
            Err(UsageError::new("--to writes a CSV file: use it with --format csv").into())
        }
        (Format::Table | Format::Json, None) => {
            let mut all = ctx.load_everything()?;
            write_out(ctx, output, |out| write_json(&mut all, out))
        }
        (Format::Csv, None) => {
            let mut all = ctx.load_everything()?;
            write_out(ctx, output, |out| write_csv(&mut all, out))
        }
        (Format::Ics, None) => {
            let feed = feed(ctx, calendar)?;
            let (entries, torn_bytes) = feed_entries(&ctx.store, feed.since)?;
            ctx.warn_torn(torn_bytes);
            write_out(ctx, output, |out| write_ics(&entries, &feed, out))
        }
        (Format::Markdown, None) => {
            Err(UsageError::new("export writes --format json, csv or ics, not markdown").into())
        }
    }
}

/// What `--tasks`, `--alarm` and `--since` ask of the iCalendar feed.
fn feed(ctx: &Context, calendar: CalendarArgs) -> Result<Feed> {
    let since = calendar.since.unwrap_or(When {
        day: Day::Days(-CLOSED_DAYS),
        time: None,
    });
    Ok(Feed {
        tasks: calendar.tasks,
        alarm: calendar.alarm,
        since: local_when(since.resolve(ctx.today()), NaiveTime::MIN)?,
        now: ctx.now,
    })
}

/// Writes an export to standard output as it is made, or to `output` whole: through a
/// temp file that replaces it only once everything is written.
fn write_out(
    ctx: &Context,
    output: Option<PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match output {
        None => {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
            write(&mut out)?;
            out.flush()?;
        }
        Some(path) => {
            crate::store::write_atomically_with(&path, |out| write(out))?;
            ctx.notice(&format!("Exported to {}.", path.display()));
        }
    }
    Ok(())
}

pub fn import(ctx: &Context, file: &Path, from: Option<Crm>, map: Vec<MapEntry>) -> Result<()> {
    let columns = (from.is_some() || !map.is_empty()).then_some(Columns { from, map });
    let size = std::fs::metadata(file)
        .with_context(|| format!("could not read {}", file.display()))?
        .len();
    if size > MAX_IMPORT {
        crate::usage!(
            "{} is {size} bytes; import reads files up to {MAX_IMPORT} bytes",
            file.display()
        );
    }
    let Imported {
        added,
        updated,
        unchanged,
        near,
        unused,
    } = crate::import::import(&ctx.store, file, ctx.now, columns.as_ref())?;
    let mut line = format!(
        "Imported {}: {} new, {} updated, {} already here.",
        file.display(),
        added,
        updated,
        unchanged
    );
    for (new, existing) in &near {
        line.push_str(&format!(
            "\nNew client '{new}' is close to '{existing}'; if they are the same client, \
             run `extramile undo`, correct the name in {} and import again.",
            file.display()
        ));
    }
    if !unused.is_empty() {
        line.push_str(&format!("\nColumns not read: {}.", unused.join(", ")));
    }
    let near: Vec<_> = near
        .iter()
        .map(|(new, existing)| json!({ "client": new, "close_to": existing }))
        .collect();
    ctx.confirm(
        &line,
        json!({
            "added": added,
            "updated": updated,
            "unchanged": unchanged,
            "near_duplicates": near,
            "unused_columns": unused,
        }),
    )
}
