//! `check` and `compact`: the store's health, and rewriting it smaller.

use anyhow::{Result, bail};

use crate::context::Context;
use crate::render::{Block, Cell, Tone, View};

/// `index`: rebuilds the snapshot. Started in the background by a command that found
/// it due, it holds the index lock it inherited; run by hand, it waits for one at work.
pub fn index(ctx: &Context) -> Result<()> {
    ctx.store.usable()?;
    if !ctx.store.exists() {
        crate::usage!(
            "there is no store at {} yet; log an action to start one",
            ctx.store.path().display()
        );
    }
    let _lock = match std::env::var_os(crate::store::INDEX_LOCK_FD) {
        Some(_) => None,
        None => {
            let lock = ctx.store.index_lock()?;
            lock.lock()?;
            Some(lock)
        }
    };
    let (records, covers) = ctx.store.index()?;
    ctx.confirm(
        &format!(
            "Rebuilt the snapshot: {records} records from {} of journal.",
            size(covers)
        ),
        serde_json::json!({ "records": records, "journal_bytes": covers }),
    )
}

pub fn run(ctx: &Context) -> Result<()> {
    let path = ctx.store.path();
    ctx.store.usable()?;
    if !ctx.store.exists() {
        crate::usage!(
            "there is no store at {} yet; log an action to start one",
            path.display()
        );
    }
    let mut health = ctx.store.check()?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for stale in crate::store::stale_temp_files(dir) {
        health.warnings.push(format!(
            "{} was left by an interrupted write and holds nothing the journal needs; it is safe to delete",
            stale.display()
        ));
    }
    if let Some(mode) = open_permissions(path) {
        health.warnings.push(format!(
            "{} can be read by other users (mode {mode:o}); run: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    if health.problems.is_empty()
        && let Some(problem) = ctx.store.check_snapshot()?
    {
        health.problems.push(format!(
            "{}.snapshot: {problem}; it was removed and rebuilt from the journal, which is unharmed",
            path.display()
        ));
    }
    let mut blocks = vec![
        Block::Heading(format!("Store {} ({} bytes)", path.display(), health.bytes)),
        Block::Line(
            "store",
            format!(
                "{} changes: {} clients, {} people, {} actions, {} follow-ups ({} open)",
                health.changes,
                health.clients,
                health.people,
                health.actions,
                health.follow_ups,
                health.open_follow_ups
            )
            .into(),
        ),
    ];
    blocks.extend(
        health
            .problems
            .iter()
            .map(|p| Block::Line("problem", Cell::new(format!("problem: {p}"), Tone::Alert))),
    );
    blocks.extend(
        health
            .warnings
            .iter()
            .map(|w| Block::Line("warning", format!("warning: {w}").into())),
    );
    if health.problems.is_empty() {
        blocks.push(Block::Line(
            "ok",
            Cell::new(
                "OK: every line reads, ids and numbers are unique, every record has its client.",
                Tone::Good,
            ),
        ));
    }
    #[derive(serde::Serialize)]
    struct Report<'a> {
        store: String,
        #[serde(flatten)]
        health: &'a crate::check::Health,
    }
    let json = serde_json::to_value(Report {
        store: path.display().to_string(),
        health: &health,
    })?;
    ctx.print(&View { blocks, json })?;
    if !health.problems.is_empty() {
        bail!(
            "check found {} problem(s) in {}, first: {}; nothing was changed",
            health.problems.len(),
            path.display(),
            health.problems[0]
        );
    }
    Ok(())
}

/// The file's mode when others may read or write it.
#[cfg(unix)]
fn open_permissions(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_permissions(_path: &std::path::Path) -> Option<u32> {
    None
}

pub fn compact(ctx: &Context) -> Result<()> {
    let done = ctx.store.compact(ctx.now)?;
    let line = format!(
        "Compacted {}: {} in {} changes → {} in {} lines. The old journal is kept as {}. \
         undo cannot go back past this point.",
        ctx.store.path().display(),
        size(done.before),
        done.changes_before,
        size(done.after),
        done.changes_after,
        done.backup.display()
    );
    let json = serde_json::json!({
        "bytes_before": done.before,
        "bytes_after": done.after,
        "changes_before": done.changes_before,
        "changes_after": done.changes_after,
        "backup": done.backup,
    });
    ctx.confirm(&line, json)
}

/// "453 bytes", "12.3 KB", "26.6 MB".
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}
