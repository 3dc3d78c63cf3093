//! Printing what commands produce, as table, JSON, CSV or Markdown, into any `Write`.
//!
//! A command builds a `View`: blocks of headings, lines and tables for people, and a
//! JSON value for scripts. Rendering decides nothing about content.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use comfy_table::{Attribute, Cell as TableCell, Color, ContentArrangement, presets};
use serde_json::Value;
use unicode_width::UnicodeWidthChar;

use crate::cli::Format;
use crate::model::is_hostile;

/// How a piece of text should stand out when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// Needs attention: overdue, neglected.
    Alert,
    /// Good news: done on time, a streak.
    Good,
    /// Less important.
    Dim,
    Bold,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl Cell {
    pub fn new(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            text: text.into(),
            tone,
        }
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Cell {
        Cell {
            text: text.into(),
            tone: Tone::Plain,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Shown to people instead of a table with no rows.
    pub empty: String,
}

impl Table {
    pub fn new(headers: &[&str], empty: &str) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            empty: empty.into(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Line(Cell),
    Table(Table),
}

/// What a command shows: blocks for people, a value for scripts. CSV prints the first table.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub blocks: Vec<Block>,
    pub json: Value,
    /// The block CSV prints; the first table when unset.
    pub main: Option<usize>,
}

impl View {
    pub fn table(table: Table, json: Value) -> View {
        View {
            blocks: vec![Block::Table(table)],
            json,
            main: None,
        }
    }
}

/// Characters a table cell shows of a longer text; the rest is cut, with a marker.
pub const EXCERPT: usize = 300;

/// `text` with every hostile character shown visibly (`\e`, `\t`, `\u{7}`); newlines
/// are kept when `newlines` is set. Borrowed when there is nothing to show.
pub fn visible(text: &str, newlines: bool) -> Cow<'_, str> {
    // Printable ASCII, most text, is quickly seen to hold nothing to show.
    if text.bytes().all(|b| matches!(b, b' '..=b'~'))
        || !text
            .chars()
            .any(|c| is_hostile(c) && !(newlines && c == '\n'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' if newlines => out.push(c),
            '\u{1b}' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_hostile(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` cut to fit in `columns` terminal columns, with an ellipsis when cut. Wide
/// characters (CJK, most emoji) take two columns, combining marks none.
pub fn shorten(text: &str, columns: usize) -> Cow<'_, str> {
    // No character takes more columns than it has bytes.
    if text.len() <= columns {
        return Cow::Borrowed(text);
    }
    let room = columns.saturating_sub(1);
    let mut used = 0;
    let mut cut = None;
    for (at, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > room && cut.is_none() {
            cut = Some(at);
        }
        if used > columns {
            break;
        }
    }
    match cut {
        Some(at) if used > columns => Cow::Owned(format!("{}…", text[..at].trim_end())),
        _ => Cow::Borrowed(text),
    }
}

/// A table cell's text: visible, and cut to `EXCERPT` characters with a marker saying
/// how much was left out. Linear in the excerpt, whatever the text's length.
fn excerpt(text: &str) -> String {
    let cut = text.char_indices().nth(EXCERPT).map(|(at, _)| at);
    match cut {
        None => visible(text, true).into_owned(),
        Some(at) => {
            let rest = text[at..].chars().count();
            format!(
                "{}… [cut: {rest} more characters; --format json shows all]",
                visible(&text[..at], true)
            )
        }
    }
}

/// A CSV cell a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`,
/// a tab or a carriage return, after any quotes) gets a leading `'`, as OWASP advises.
/// `csv_restore` takes it off again, so every text survives the round trip.
pub fn csv_neutral(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Undoes `csv_neutral`.
pub fn csv_restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => text,
    }
}

fn starts_like_formula(text: &str) -> bool {
    matches!(
        text.trim_start_matches('\'').chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// Terminal settings, decided once by the command layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Width to fit tables into; `None` never wraps (piped output stays stable).
    pub width: Option<u16>,
}

pub fn print(out: &mut impl Write, view: &View, format: Format, style: Style) -> Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &view.json)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let main = view.main.and_then(|i| view.blocks.get(i)).into_iter();
            let table = main.chain(&view.blocks).find_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            });
            write_csv(out, table.unwrap_or(&Table::default()))?;
        }
        Format::Markdown => write_markdown(out, view)?,
        // `ics` is refused before any command runs but `export`, which does not print a view.
        Format::Table | Format::Ics => write_human(out, view, style)?,
    }
    Ok(())
}

fn write_human(out: &mut impl Write, view: &View, style: Style) -> Result<()> {
    for (i, block) in view.blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "{}",
                    paint(&Cell::new(visible(text, false), Tone::Bold), style.color)
                )?;
            }
            Block::Line(cell) => writeln!(
                out,
                "{}",
                paint(
                    &Cell::new(visible(&cell.text, true), cell.tone),
                    style.color
                )
            )?,
            Block::Table(table) if table.rows.is_empty() => writeln!(
                out,
                "{}",
                paint(
                    &Cell::new(visible(&table.empty, false), Tone::Dim),
                    style.color
                )
            )?,
            Block::Table(table) => writeln!(out, "{}", comfy(table, style))?,
        }
    }
    Ok(())
}

fn comfy(table: &Table, style: Style) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    match style.width {
        Some(width) => {
            t.set_width(width)
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t.set_header(
        table
            .headers
            .iter()
            .map(|h| TableCell::new(h).add_attribute(Attribute::Bold)),
    );
    for row in &table.rows {
        t.add_row(row.iter().map(|cell| {
            let c = TableCell::new(excerpt(&cell.text));
            match cell.tone {
                Tone::Plain => c,
                Tone::Alert => c.fg(Color::Red),
                Tone::Good => c.fg(Color::Green),
                Tone::Dim => c.fg(Color::DarkGrey),
                Tone::Bold => c.add_attribute(Attribute::Bold),
            }
        }));
    }
    t
}

/// The text with ANSI colour when `color` is on.
pub fn paint(cell: &Cell, color: bool) -> String {
    let code = match cell.tone {
        _ if !color => return cell.text.clone(),
        Tone::Plain => return cell.text.clone(),
        Tone::Alert => "31",
        Tone::Good => "32",
        Tone::Dim => "2",
        Tone::Bold => "1",
    };
    format!("\x1b[{code}m{}\x1b[0m", cell.text)
}

/// CSV column names: the table's headers, lowercased, spaces as underscores.
fn csv_header(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .replace([' ', '/'], "_")
        .replace('#', "id")
}

/// A CSV writer's error as the I/O error it wraps, so a closed pipe is recognised.
fn csv_io(err: csv::Error) -> std::io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

fn write_csv(out: &mut impl Write, table: &Table) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    if !table.headers.is_empty() {
        writer
            .write_record(table.headers.iter().map(|h| csv_header(h)))
            .map_err(csv_io)?;
    }
    for row in &table.rows {
        let cells = row.iter().map(|c| csv_neutral(&c.text).into_owned());
        writer
            .write_record(cells.map(|c| visible(&c, true).into_owned()))
            .map_err(csv_io)?;
    }
    writer.flush()?;
    Ok(())
}

fn write_markdown(out: &mut impl Write, view: &View) -> Result<()> {
    for (i, block) in view.blocks.iter().enumerate() {
        let spaced = i > 0;
        if spaced
            && matches!(block, Block::Table(_))
            && matches!(view.blocks[i - 1], Block::Line(_))
        {
            writeln!(out)?;
        }
        match block {
            Block::Heading(text) => {
                if spaced && !matches!(view.blocks[i - 1], Block::Table(_)) {
                    writeln!(out)?;
                }
                writeln!(out, "### {}\n", markdown_escape(text))?;
            }
            Block::Line(cell) => writeln!(out, "{}  ", markdown_escape(&cell.text))?,
            Block::Table(table) if table.rows.is_empty() => {
                writeln!(out, "_{}_", markdown_escape(&table.empty))?
            }
            Block::Table(table) => {
                let cells = |row: Vec<String>| format!("| {} |", row.join(" | "));
                writeln!(
                    out,
                    "{}",
                    cells(table.headers.iter().map(|h| markdown_escape(h)).collect())
                )?;
                writeln!(
                    out,
                    "{}",
                    cells(table.headers.iter().map(|_| "---".to_string()).collect())
                )?;
                for row in &table.rows {
                    writeln!(
                        out,
                        "{}",
                        cells(row.iter().map(|c| markdown_escape(&c.text)).collect())
                    )?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Escapes what would break a Markdown table or start formatting, and shows hostile
/// characters visibly.
fn markdown_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in visible(text, true).chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' | '\r' => escaped.push(' '),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> View {
        let mut table = Table::new(&["#", "Client", "Last touch"], "No clients.");
        table.row(vec![
            "1".into(),
            "Acme | Co".into(),
            Cell::new("3 days overdue", Tone::Alert),
        ]);
        View {
            blocks: vec![Block::Heading("Clients".into()), Block::Table(table)],
            json: serde_json::json!([]),
            main: None,
        }
    }

    fn printed(format: Format, color: bool) -> String {
        let mut out = Vec::new();
        print(&mut out, &sample(), format, Style { color, width: None }).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_uses_machine_headers_and_quotes() {
        assert_eq!(
            printed(Format::Csv, false),
            "id,client,last_touch\n1,Acme | Co,3 days overdue\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = printed(Format::Markdown, false);
        assert!(md.contains("| 1 | Acme \\| Co | 3 days overdue |"), "{md}");
        assert!(
            md.starts_with("### Clients\n\n| # | Client | Last touch |\n| --- | --- | --- |\n"),
            "{md}"
        );
        assert!(md.ends_with("|\n\n"), "a blank line ends the table: {md}");
    }

    #[test]
    fn shorten_cuts_to_columns_with_an_ellipsis() {
        assert_eq!(shorten("short", 5), "short");
        assert_eq!(shorten("a longer text", 8), "a longe…");
        assert_eq!(
            shorten("two words", 5),
            "two…",
            "no space before the ellipsis"
        );
        // Wide characters take two columns each.
        assert_eq!(shorten("会議の資料を送る", 7), "会議の…");
        assert_eq!(shorten("会議", 4), "会議");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!printed(Format::Table, false).contains('\x1b'));
        assert!(printed(Format::Table, true).contains("\x1b["));
    }
}
