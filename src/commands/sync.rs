//! `merge` and `merge-driver`: folding other copies of the journal in.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::context::Context;
use crate::store::{merged_journal, parse_journal, write_atomically};

pub fn merge(ctx: &Context, files: &[PathBuf]) -> Result<()> {
    let report = ctx.store.merge(files, ctx.now)?;
    let mut lines = vec![if report.added == 0 && report.renumbered.is_empty() {
        "Nothing new to merge.".to_string()
    } else {
        format!(
            "Merged {} new change(s) into {}.",
            report.added,
            ctx.store.path().display()
        )
    }];
    for name in &report.names {
        lines.push(format!(
            "Changed on both sides, the newest change kept: {name}"
        ));
    }
    for ((old, new, _), name) in report.renumbered.iter().zip(&report.renumbered_names) {
        lines.push(format!("Renumbered #{old} → #{new}: {name}"));
    }
    if let Some(backup) = &report.backup {
        lines.push(format!(
            "The journal before the merge is kept as {}.",
            backup.display()
        ));
    }
    let json = json!({
        "added": report.added,
        "both_changed": report.names,
        "renumbered": report.renumbered.iter().map(|(old, new, _)| json!({"from": old, "to": new})).collect::<Vec<_>>(),
        "backup": report.backup,
    });
    ctx.confirm(&lines.join("\n"), json)
}

/// For git: a three-way merge of journals, written over `ours`. What `theirs` added
/// since `base` is brought in, and what it took out since `base` (a revert) is taken
/// out of ours too; so a cherry-pick brings exactly the picked changes. An empty base
/// (both sides added the file) is a plain union. A journal that can't be read fails
/// the merge (exit 1), which git reports as a conflict.
pub fn merge_driver(ctx: &Context, base: &Path, ours: &Path, theirs: &Path) -> Result<()> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("could not read {}", path.display()))
    };
    let (base_bytes, ours_bytes, theirs_bytes) = (read(base)?, read(ours)?, read(theirs)?);
    let mine = parse_journal(ours, &ours_bytes, true)?;
    let their_changes = parse_journal(theirs, &theirs_bytes, true)?.changes;
    let base_changes = if base_bytes.is_empty() {
        Vec::new()
    } else {
        parse_journal(base, &base_bytes, true)?.changes
    };
    let (kept, new) = crate::merge::three_way(&base_changes, &mine.changes, &their_changes);
    let union = crate::merge::union(&kept, &new);
    let added = union.added.len();
    let header = crate::store::journal_header(&ours_bytes);
    let (bytes, _, renumbered) = merged_journal(
        header,
        union,
        &mine.state,
        ctx.now,
        false,
        "merge-driver",
        &base_changes,
    )?;
    write_atomically(ours, &bytes)
        .with_context(|| format!("could not write {}", ours.display()))?;
    ctx.notice(&format!(
        "extramile: merged {} change(s){}",
        added,
        if renumbered.is_empty() {
            String::new()
        } else {
            format!(", renumbered {}", renumbered.len())
        }
    ));
    Ok(())
}
