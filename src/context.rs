//! What every command needs, resolved once from flags and environment: the store, the
//! clock (`EXTRAMILE_NOW` or the real one), and how to print. The only place that reads
//! the clock or the environment.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::cli::{Cli, ColorChoice, Format};
use crate::dates::Resolved;
use crate::error::UsageError;
use crate::render::{Style, View};
use crate::state::State;
use crate::store::Store;

pub struct Context {
    pub store: Store,
    pub now: DateTime<FixedOffset>,
    pub format: Format,
    pub style: Style,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Context> {
        let path = match &cli.store {
            Some(path) if path.as_os_str().is_empty() => {
                return Err(UsageError::new(
                    "--store (or EXTRAMILE_STORE) is empty; give a file path",
                )
                .into());
            }
            Some(path) => path.clone(),
            None => default_store_path()?,
        };
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .or_else(|| {
                stdout_is_terminal
                    .then(|| comfy_table::Table::new().width())
                    .flatten()
            });
        Ok(Context {
            store: Store::open(&path),
            now: now()?,
            format: cli.format,
            style: Style { color, width },
        })
    }

    pub fn today(&self) -> NaiveDate {
        crate::model::local_date(self.now)
    }

    /// The instant a resolved WHEN names, in local time; a bare date takes now's time of day.
    pub fn instant(&self, when: Resolved) -> DateTime<FixedOffset> {
        let local_now = self.now.with_timezone(&Local);
        local_instant(when.at(local_now.time()))
    }

    /// Reads the store, warning once on stderr about a cut-short last line.
    pub fn load(&self) -> Result<State> {
        let loaded = self.store.load()?;
        self.warn_torn(loaded.torn_bytes);
        Ok(loaded.state)
    }

    /// Reads the clients and the open follow-ups (other records may be there too).
    pub fn load_open(&self) -> Result<State> {
        let loaded = self.store.load_open()?;
        self.warn_torn(loaded.torn_bytes);
        Ok(loaded.state)
    }

    /// Reads the clients, the follow-ups, and the actions on the days `from..until`,
    /// with what all actions add up to (see `State::all_actions`).
    pub fn load_window(&self, from: NaiveDate, until: NaiveDate) -> Result<State> {
        let (start, end) = (
            crate::report::start_of(from),
            crate::report::start_of(until),
        );
        self.load_window_of(start.timestamp(), end.timestamp(), None)
    }

    /// Reads the clients, every follow-up, and one client's actions (by id).
    pub fn load_client(&self, client: &str) -> Result<State> {
        self.load_window_of(i64::MIN, i64::MAX, Some(client))
    }

    fn load_window_of(&self, from: i64, to: i64, client: Option<&str>) -> Result<State> {
        let loaded = self.store.load_window(from, to, client)?;
        self.warn_torn(loaded.torn_bytes);
        Ok(loaded.state)
    }

    pub fn warn_torn(&self, torn_bytes: usize) {
        if torn_bytes > 0 {
            self.notice(&format!(
                "warning: the last line of {} was cut short ({torn_bytes} bytes, an interrupted write) \
                 and is not counted; the next change sets it aside",
                self.store.path().display()
            ));
        }
    }

    /// A message for the person, not for scripts: stderr.
    pub fn notice(&self, message: &str) {
        eprintln!("{}", crate::render::visible(message, true));
    }

    pub fn print(&self, view: &View) -> Result<()> {
        // Buffered: stdout alone writes each line by itself, a system call per line.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        crate::render::print(&mut out, view, self.format, self.style)?;
        out.flush()?;
        Ok(())
    }

    /// Prints a one-line confirmation for people; with `--format json`, the value instead.
    pub fn confirm(&self, line: &str, json: serde_json::Value) -> Result<()> {
        let mut out = std::io::stdout().lock();
        if self.format == Format::Json {
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{}", crate::render::visible(line, true))?;
        }
        out.flush()?;
        Ok(())
    }
}

fn default_store_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "extramile")
        .context("could not find your data directory; pass --store PATH or set EXTRAMILE_STORE")?;
    Ok(dirs.data_dir().join(crate::store::JOURNAL))
}

/// Now, from `EXTRAMILE_NOW` (RFC 3339 or `YYYY-MM-DD[ HH:MM]`, local) or the clock.
fn now() -> Result<DateTime<FixedOffset>> {
    match std::env::var("EXTRAMILE_NOW") {
        Ok(text) if !text.trim().is_empty() => parse_now(text.trim()).ok_or_else(|| {
            UsageError::new(format!(
                "can't read EXTRAMILE_NOW='{text}'; use RFC 3339 (2026-11-20T09:00:00+01:00) or YYYY-MM-DD[ HH:MM]"
            ))
            .into()
        }),
        _ => Ok(Local::now().fixed_offset()),
    }
}

fn parse_now(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN))
        })
        .ok()?;
    Some(local_instant(naive))
}

/// A local wall-clock time as an instant. In a daylight-saving gap the clock is moved
/// forward an hour; in an overlap the earlier instant is taken.
pub fn local_instant(naive: NaiveDateTime) -> DateTime<FixedOffset> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            Local
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.fixed_offset())
        .unwrap_or_else(|| naive.and_utc().fixed_offset())
}
