//! `merge` and `merge-driver`: folding other copies of the journal in.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use crate::context::Context;

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
    let (added, renumbered) = crate::store::merge_three_way(base, ours, theirs, ctx.now)?;
    ctx.notice(&format!(
        "extramile: merged {} change(s){}",
        added,
        if renumbered == 0 {
            String::new()
        } else {
            format!(", renumbered {renumbered}")
        }
    ));
    Ok(())
}
