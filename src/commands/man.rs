//! `man`: the one man page, extramile(1).

use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;
use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli::{Cli, WHEN_FORMS};
use crate::context::Context;

/// Prints the man page, dated today.
pub fn run(ctx: &Context) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(man_page(ctx.today()).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The one man page, extramile(1): every command with its arguments and options, from
/// the same model as `--help`, then the environment, files, exit status and examples.
fn man_page(date: NaiveDate) -> String {
    let mut cli = Cli::command();
    cli.build();
    let mut page = Roff::new();
    let source = format!("extramile {}", env!("CARGO_PKG_VERSION"));
    page.control(
        "TH",
        [
            "EXTRAMILE",
            "1",
            &super::show_date(date),
            &source,
            "User Commands",
        ],
    );
    // Left-aligned and unhyphenated: option names and paths stay whole.
    page.control("ad", ["l"]).control("nh", []);
    page.control("SH", ["NAME"]);
    page.text([roman(format!(
        "extramile - {}",
        env!("CARGO_PKG_DESCRIPTION")
    ))]);
    page.control("SH", ["SYNOPSIS"]);
    usage(&mut page, &cli);
    page.control("SH", ["DESCRIPTION"]);
    about(&mut page, &cli);
    notes(&mut page, &cli);
    page.control("SH", ["OPTIONS"]);
    page.text([roman("These apply to every command.")]);
    arguments(&mut page, &cli, true);
    page.control("SH", ["COMMANDS"]);
    for command in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        command_section(&mut page, command);
    }
    page.control("SH", ["WHEN"]);
    page.text([roman(WHEN_FORMS)]);
    for (title, entries) in [
        ("ENVIRONMENT", ENVIRONMENT),
        ("FILES", FILES),
        ("EXIT STATUS", EXIT_STATUS),
    ] {
        page.control("SH", [title]);
        for (tag, body) in entries {
            page.control("TP", []);
            page.text([bold(*tag)]);
            page.text([roman(*body)]);
        }
    }
    page.control("SH", ["EXAMPLES"]);
    for (i, (line, what)) in EXAMPLES.iter().enumerate() {
        if i > 0 {
            page.control("PP", []);
        }
        page.text([roman(*what)]);
        page.control("RS", []);
        page.text([bold(*line)]);
        page.control("RE", []);
    }
    wrap(&page.render())
}

/// One command's subsection: its usage, what it does, its arguments and options, and
/// its notes; a command with commands of its own (`report`) is followed by theirs.
fn command_section(page: &mut Roff, command: &clap::Command) {
    let name = command.get_bin_name().unwrap_or(command.get_name());
    page.control("SS", [name]);
    usage(page, command);
    page.control("PP", []);
    about(page, command);
    let aliases: Vec<&str> = command.get_visible_aliases().collect();
    if !aliases.is_empty() {
        page.control("br", []);
        page.text([roman(format!("Alias: {}.", aliases.join(", ")))]);
    }
    arguments(page, command, false);
    notes(page, command);
    for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
        command_section(page, sub);
    }
}

/// `Usage:` as `--help` gives it, the command's name in bold.
fn usage(page: &mut Roff, command: &clap::Command) {
    let name = command.get_bin_name().unwrap_or(command.get_name());
    let usage = command.clone().render_usage().to_string();
    for (i, line) in usage.lines().enumerate() {
        if i > 0 {
            page.control("br", []);
        }
        let line = line.trim().trim_start_matches("Usage:").trim();
        let rest = line.strip_prefix(name).unwrap_or(line);
        page.text([bold(name), roman(rest)]);
    }
}

/// What a command does, as a sentence.
fn about(page: &mut Roff, command: &clap::Command) {
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        page.text([roman(sentence(&about.to_string()))]);
    }
}

/// `text` ending in a full stop, as help lines do not.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    match text.ends_with(['.', ':', ')']) {
        true => text.to_string(),
        false => format!("{text}."),
    }
}

/// A command's positional arguments and options, each with its help, default and
/// values; global options only for the top (`top`), help and version only there too.
fn arguments(page: &mut Roff, command: &clap::Command, top: bool) {
    let shown = command.get_arguments().filter(|a| {
        !a.is_hide_set()
            && (top || !(a.is_global_set() || ["help", "version"].contains(&a.get_id().as_str())))
    });
    let (positionals, options): (Vec<_>, Vec<_>) = shown.partition(|a| a.is_positional());
    for arg in positionals.into_iter().chain(options) {
        let value = arg
            .get_value_names()
            .map(|names| names.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let value = if many { format!("{value}...") } else { value };
        let mut tag = Vec::new();
        if let Some(short) = arg.get_short() {
            tag.extend([bold(format!("-{short}")), roman(", ")]);
        }
        if let Some(long) = arg.get_long() {
            tag.push(bold(format!("--{long}")));
        }
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        if takes_value {
            tag.extend([
                roman(if arg.is_positional() { "" } else { " " }),
                italic(value),
            ]);
        }
        page.control("TP", []);
        page.text(tag);
        let mut help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let defaults: Vec<_> = arg
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy())
            .collect();
        if takes_value && !defaults.is_empty() && !arg.is_hide_default_value_set() {
            help.push_str(&format!(" [default: {}]", defaults.join(", ")));
        }
        page.text([roman(sentence(&help))]);
        let values: Vec<_> = arg
            .get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .collect();
        if !values.is_empty() && values.iter().all(|v| v.get_help().is_some()) {
            page.control("RS", []);
            for value in values {
                page.control("TP", []);
                page.text([bold(value.get_name())]);
                page.text([roman(
                    value
                        .get_help()
                        .map(|h| sentence(&h.to_string()))
                        .unwrap_or_default(),
                )]);
            }
            page.control("RE", []);
        } else if !values.is_empty() {
            let names: Vec<String> = values
                .iter()
                .map(|v| match v.get_help() {
                    Some(help) => format!("{} ({help})", v.get_name()),
                    None => v.get_name().to_string(),
                })
                .collect();
            page.control("br", []);
            page.text([roman(format!("One of: {}.", names.join(", ")))]);
        }
    }
}

/// A command's after-help, a paragraph at a time, but for the forms of WHEN, which have
/// a section of their own; its indented lines (commands to type) set apart, as typed.
fn notes(page: &mut Roff, command: &clap::Command) {
    let after = command
        .get_after_long_help()
        .or(command.get_after_help())
        .map(|text| text.to_string())
        .unwrap_or_default();
    for paragraph in after.split("\n\n").map(str::trim) {
        if !paragraph.is_empty() && paragraph != WHEN_FORMS {
            page.control("PP", []);
            paragraph_of_notes(page, paragraph);
        }
    }
}

fn paragraph_of_notes(page: &mut Roff, paragraph: &str) {
    let mut typed = false;
    for line in paragraph.lines() {
        let command = line.strip_prefix("  ");
        if command.is_some() != typed {
            typed = command.is_some();
            match typed {
                true => page.control("RS", []).control("nf", []),
                false => page.control("fi", []).control("RE", []),
            };
        }
        match command {
            Some(command) => page.text([bold(command.trim())]),
            None => page.text([roman(line)]),
        };
    }
    if typed {
        page.control("fi", []).control("RE", []);
    }
}

/// The longest text line `mandoc -T lint` accepts without a remark.
const MAN_WIDTH: usize = 80;

/// `roff` with every text line longer than `MAN_WIDTH` bytes broken at spaces (in
/// filled text a line break is a space), never before a character that would make the
/// next line a control line; lines set as typed (`.nf`) are left whole.
fn wrap(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len() + roff.len() / 40);
    let mut filled = true;
    for line in roff.lines() {
        match line {
            ".nf" => filled = false,
            ".fi" => filled = true,
            _ => {}
        }
        let mut rest = line;
        while filled && rest.len() > MAN_WIDTH && !rest.starts_with(['.', '\'']) {
            let fits = (0..=MAN_WIDTH)
                .rev()
                .find(|&at| rest.is_char_boundary(at))
                .unwrap_or(0);
            let at = rest[..fits]
                .rmatch_indices(' ')
                .map(|(at, _)| at)
                .find(|&at| at > 0 && !rest[at + 1..].starts_with(['.', '\'', ' ']));
            let Some(at) = at else { break };
            out.push_str(rest[..at].trim_end());
            out.push('\n');
            rest = &rest[at + 1..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "EXTRAMILE_STORE",
        "The store, when --store is not given: a journal file, or a folder to keep \
         journal.jsonl in.",
    ),
    (
        "EXTRAMILE_NOW",
        "Replaces the clock, for scripts, demos and tests: RFC 3339 \
         (2026-11-20T09:00:00+01:00) or YYYY-MM-DD[ HH:MM] in local time.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto (the default) prints no colour.",
    ),
    (
        "COLUMNS",
        "The width tables are fitted to. Without it, the terminal's width; output that \
         does not go to a terminal is not fitted.",
    ),
    (
        "TZ",
        "The time zone of local time: days, ISO weeks, due dates and times shown.",
    ),
    (
        "XDG_DATA_HOME, XDG_CACHE_HOME",
        "On Linux, where the data and cache folders are (see FILES).",
    ),
    (
        "COMPLETE",
        "Set by the completion scripts: when it names a shell, extramile prints the \
         completions of the words after -- instead of running a command (see completions).",
    ),
    (
        "EXTRAMILE_INDEX_LOCK_FD",
        "Set by extramile on the extramile index it starts in the background to rebuild \
         a long journal's snapshot; not for use by hand.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "~/.local/share/extramile/journal.jsonl",
        "The journal: every change, one JSON line each, appended and never edited. This \
         is its place on Linux ($XDG_DATA_HOME/extramile when that is set); on macOS it is \
         ~/Library/Application Support/extramile/journal.jsonl, on Windows \
         %APPDATA%\\extramile\\data\\journal.jsonl. --store or EXTRAMILE_STORE put it \
         elsewhere; the files below are kept beside it.",
    ),
    (
        "journal.jsonl.lock",
        "Locked by each command: exclusively by one that writes, shared by one that reads.",
    ),
    (
        "journal.jsonl.snapshot",
        "A derived copy of the current state that makes commands fast, checked against \
         the journal before it is used and rebuilt when it does not match. It may be \
         deleted at any time.",
    ),
    (
        "journal.jsonl.indexing",
        "Held locked by an extramile index at work in the background.",
    ),
    (
        "journal.jsonl.machine",
        "The id of this copy of the store, for numbering and undo; it is not synced.",
    ),
    (
        "journal.jsonl.torn-*",
        "A cut-short last line (an interrupted write), set aside by the next change.",
    ),
    (
        "journal.jsonl.backup-*",
        "The journal as it was before a compact or merge rewrote it.",
    ),
    (
        ".extramile-tmp-*",
        "A rewrite's temp file; one older than an hour was left by a killed process, and \
         compact removes it.",
    ),
    (
        "~/.cache/extramile/snapshots/",
        "Snapshots of other people's journals read by report week --team (on macOS \
         ~/Library/Caches/extramile/snapshots/).",
    ),
];

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "Something outside the command failed: the file system, a damaged store, the lock.",
    ),
    (
        "2",
        "The command as typed cannot be carried out: a usage error, a bad value, an \
         unknown ID or client, an ambiguous name, a follow-up already closed, a bad import \
         row. Nothing is changed.",
    ),
];

/// The README's tour.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "extramile log Acme caught an expiring cert --kind fix --follow-up fri",
        "After a call, log the extra mile and the follow-up you promised:",
    ),
    (
        "extramile fu Globex send the pricing deck --due \"next tue\"",
        "Schedule a follow-up on its own:",
    ),
    (
        "extramile upcoming",
        "See what is due: overdue first, then today, then the next 7 days:",
    ),
    (
        "extramile overdue",
        "Only what slipped, most overdue first:",
    ),
    ("extramile done 2", "Close a follow-up, on time or late:"),
    ("extramile snooze 3 4 mon", "Move several at once:"),
    (
        "extramile client Acme --tier A --cadence 14d",
        "Keep a top account warm: it is neglected after 14 days without an action:",
    ),
    (
        "extramile clients",
        "Every client's last touch, open and overdue follow-ups, and cadence status:",
    ),
    ("extramile report week --last", "Read last week:"),
    (
        "extramile",
        "Today's view: overdue and due today, this week's actions, the streak, neglected \
         clients:",
    ),
];
