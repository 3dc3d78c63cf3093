//! What every command needs, resolved once from flags and environment: the store, the
//! clock (`EXTRAMILE_NOW` or the real one), and how to print. The only place that reads
//! the clock or the environment.

use std::ffi::OsStr;
use std::io::{BufWriter, IsTerminal, StdoutLock, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use chrono::{
    DateTime, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike,
};

use crate::cli::{Cli, ColorChoice, Format};
use crate::dates::{Resolved, When};
use crate::error::UsageError;
use crate::render::{Columns, Rows, Style, Values, View};
use crate::state::State;
use crate::store::Store;

/// The state a command reads, left for the process's exit to free: a command reads
/// once and ends soon after, and freeing each record on its own would cost a report a
/// sixth of its time (3 ms of `report month` on the benchmark's store).
pub type Kept = std::mem::ManuallyDrop<State>;

pub struct Context {
    pub store: Store,
    pub now: DateTime<FixedOffset>,
    pub format: Format,
    pub style: Style,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Context> {
        let path = store_path(cli.store.as_deref())?;
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let color = use_color(
            cli.color,
            stdout_is_terminal,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        );
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .filter(|&c: &u16| c > 0)
            .or_else(|| {
                let size = stdout_is_terminal.then(crossterm::terminal::size);
                size.and_then(Result::ok).map(|(columns, _)| columns)
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

    /// The instant a resolved WHEN names, in local time; a bare date takes now's time of
    /// day. A time that does not exist here is refused (see `local_when`).
    pub fn instant(&self, when: Resolved) -> Result<DateTime<FixedOffset>, UsageError> {
        local_when(when, self.now.with_timezone(&Local).time())
    }

    /// A follow-up's due date from a WHEN, with its time of day (to the minute) when one
    /// is given: refused when that time does not exist here.
    pub fn due(&self, when: When) -> Result<Resolved, UsageError> {
        let mut due = when.resolve(self.today());
        due.time = due.time.and_then(|time| time.with_second(0));
        self.instant(due)?;
        Ok(due)
    }

    /// Reads the store, warning once on stderr about a cut-short last line.
    pub fn load(&self) -> Result<Kept> {
        let loaded = self.store.load()?;
        self.warn_torn(loaded.torn_bytes);
        Ok(Kept::new(loaded.state))
    }

    /// Reads every current record, the bulk of them to be gone through once (see
    /// `Everything`).
    pub fn load_everything(&self) -> Result<crate::store::Everything> {
        let all = self.store.load_everything()?;
        self.warn_torn(all.torn_bytes);
        Ok(all)
    }

    /// Reads the clients and the open follow-ups (other records may be there too).
    pub fn load_open(&self) -> Result<Kept> {
        let loaded = self.store.load_open()?;
        self.warn_torn(loaded.torn_bytes);
        Ok(Kept::new(loaded.state))
    }

    /// Reads the clients, the follow-ups, and the actions on the days `from..until`,
    /// with what all actions add up to (see `State::all_actions`).
    pub fn load_window(&self, from: NaiveDate, until: NaiveDate) -> Result<Kept> {
        let loaded = self.store.load_window(at(from), at(until), None)?;
        Ok(self.kept(loaded))
    }

    /// `load_window`, where the actions are read only to be counted but for stories
    /// (`Store::load_window_counting`): for the reports.
    pub fn load_window_counting(&self, from: NaiveDate, until: NaiveDate) -> Result<Kept> {
        let loaded = self.store.load_window_counting(at(from), at(until))?;
        Ok(self.kept(loaded))
    }

    /// Reads the clients, every follow-up, and one client's actions (by id).
    pub fn load_client(&self, client: &str) -> Result<Kept> {
        let loaded = self.store.load_window(i64::MIN, i64::MAX, Some(client))?;
        Ok(self.kept(loaded))
    }

    /// What a window read found, once a cut-short last line is told of.
    fn kept(&self, loaded: crate::store::Loaded) -> Kept {
        self.warn_torn(loaded.torn_bytes);
        Kept::new(loaded.state)
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
        self.to_stdout(|out| crate::render::print(out, view, self.format, self.style))
    }

    /// Prints a table read a row at a time (see `render::print_rows`).
    pub fn print_rows(&self, columns: &Columns, rows: &mut (impl Rows + Values)) -> Result<()> {
        self.to_stdout(|out| crate::render::print_rows(out, columns, rows, self.format, self.style))
    }

    fn to_stdout(
        &self,
        print: impl FnOnce(&mut BufWriter<StdoutLock>) -> Result<()>,
    ) -> Result<()> {
        // Buffered: stdout alone writes each line by itself, a system call per line.
        let mut out = BufWriter::new(std::io::stdout().lock());
        print(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// Whether what is printed is JSON: a view need not build its value otherwise.
    pub fn wants_json(&self) -> bool {
        self.format == Format::Json
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

    /// `confirm` of a heading and a list of what was done, written as `items` gives it:
    /// for people "heading: one; two." (the first `LISTED`, then how many more); with
    /// `--format json`, the object `{heading.0: heading.1, list: [items]}`, all of them.
    pub fn confirm_list(
        &self,
        heading: (&str, &str),
        list: &str,
        mut items: impl FnMut() -> Result<Option<String>>,
    ) -> Result<()> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if self.format == Format::Json {
            let key = |text: &str| serde_json::to_string(text);
            write!(
                out,
                "{{\n  {}: {},\n  {}: ",
                key(heading.0)?,
                key(heading.1)?,
                key(list)?
            )?;
            let mut pretty = crate::render::PrettyList::new(1);
            while let Some(item) = items()? {
                pretty.item(&mut out, &item)?;
            }
            pretty.end(&mut out)?;
            writeln!(out, "\n}}")?;
        } else {
            write!(out, "{}: ", crate::render::visible(heading.1, true))?;
            let (mut shown, mut more) = (0, 0u64);
            while let Some(item) = items()? {
                if shown == LISTED {
                    more += 1;
                    continue;
                }
                let separator = if shown == 0 { "" } else { "; " };
                write!(out, "{separator}{}", crate::render::visible(&item, true))?;
                shown += 1;
            }
            if more > 0 {
                let all = shown as u64 + more;
                write!(out, "; and {more} more ({all} in all with --format json)")?;
            }
            writeln!(out, ".")?;
        }
        out.flush()?;
        Ok(())
    }
}

/// How many of what a command did it lists for people, at most.
const LISTED: usize = 10;

/// The first instant of a local day, in Unix seconds: where a window read starts or ends.
fn at(day: NaiveDate) -> i64 {
    crate::report::start_of(day).timestamp()
}

/// Whether to colour: `--color always` or `never` decides; otherwise only a terminal
/// gets colour, and not when `NO_COLOR` is set (and not empty) or `TERM` is `dumb`.
fn use_color(
    choice: ColorChoice,
    terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
        }
    }
}

/// The store's path: `given` (by `--store` or `EXTRAMILE_STORE`), else `journal.jsonl`
/// in the platform's data directory.
pub fn store_path(given: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(path) if path.as_os_str().is_empty() => {
            Err(UsageError::new("--store (or EXTRAMILE_STORE) is empty; give a file path").into())
        }
        Some(path) => Ok(path.to_path_buf()),
        None => {
            let dirs = directories::ProjectDirs::from("", "", "extramile").context(
                "could not find your data directory; pass --store PATH or set EXTRAMILE_STORE",
            )?;
            Ok(dirs.data_dir().join(crate::store::JOURNAL))
        }
    }
}

/// Now, from `EXTRAMILE_NOW` (RFC 3339 or `YYYY-MM-DD[ HH:MM]`, local) or the clock.
pub fn now() -> Result<DateTime<FixedOffset>> {
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

/// The instant a WHEN names in local time, taking `default_time` when it gives no time
/// of day. Every date and time a user gives becomes an instant here. A time they typed
/// that the clocks skip (the hour lost when daylight saving starts) is refused, not
/// moved: moving it would keep a time nobody said. A time the clocks pass twice takes
/// the earlier instant.
pub fn local_when(
    when: Resolved,
    default_time: NaiveTime,
) -> Result<DateTime<FixedOffset>, UsageError> {
    let naive = when.at(default_time);
    match (Local.from_local_datetime(&naive), when.time) {
        (LocalResult::None, Some(time)) => Err(UsageError::new(format!(
            "{} does not exist on {} in this time zone (the clocks go forward past it); \
             pick another time",
            time.format("%H:%M"),
            when.date.format("%a %Y-%m-%d")
        ))),
        _ => Ok(local_instant(naive)),
    }
}

/// A local wall-clock time as an instant. In a daylight-saving gap the clock is moved
/// forward an hour; in an overlap the earlier instant is taken.
pub fn local_instant(naive: NaiveDateTime) -> DateTime<FixedOffset> {
    let earlier = |naive: NaiveDateTime| match Local.from_local_datetime(&naive) {
        LocalResult::Single(at) => Some(at),
        // chrono gives the two in the order of their offsets, not of the instants (its
        // `earliest` is the later instant when clocks go back): take the earlier.
        LocalResult::Ambiguous(a, b) => Some(a.min(b)),
        LocalResult::None => None,
    };
    earlier(naive)
        .or_else(|| earlier(naive + chrono::Duration::hours(1)))
        .map(|at| at.fixed_offset())
        .unwrap_or_else(|| naive.and_utc().fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_capable_terminal_unless_forced() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let auto =
            |terminal, no_color, term| use_color(ColorChoice::Auto, terminal, no_color, term);
        assert!(auto(true, None, os("xterm-256color")));
        assert!(auto(true, None, None));
        assert!(
            auto(true, os(""), os("xterm")),
            "an empty NO_COLOR is unset"
        );
        assert!(!auto(false, None, os("xterm")), "not when piped");
        assert!(!auto(true, os("1"), os("xterm")));
        assert!(!auto(true, None, os("dumb")));
        assert!(use_color(ColorChoice::Always, false, os("1"), os("dumb")));
        assert!(!use_color(ColorChoice::Never, true, None, os("xterm")));
    }
}
