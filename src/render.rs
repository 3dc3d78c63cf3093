//! Printing what commands produce, as table, JSON, CSV or Markdown, into any `Write`.
//!
//! A command builds a `View`: blocks of headings, lines and tables for people, and a
//! JSON value for scripts. Rendering decides nothing about content, and every format
//! but JSON walks every block, so none can leave out what another shows.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use comfy_table::{Attribute, Cell as TableCell, Color, ContentArrangement, presets};
use serde_json::Value;

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

/// The name of a part of a view, for machines: CSV's `section` column.
pub type Section = &'static str;

/// The section CSV gives headings.
const TITLE: Section = "title";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A title for people; CSV keeps it as a row of section `title`, since some say what
    /// nothing else does (which week, which day, whose card).
    Heading(String),
    /// A line of text, in its section: one row in CSV, in the `text` column.
    Line(Section, Cell),
    /// A table, in its section.
    Table(Section, Table),
}

/// What a command shows: blocks for people, a value for scripts.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub blocks: Vec<Block>,
    pub json: Value,
}

impl View {
    pub fn table(section: Section, table: Table, json: Value) -> View {
        View {
            blocks: vec![Block::Table(section, table)],
            json,
        }
    }
}

/// Characters a table cell shows of a longer text; the rest is cut, with a marker.
pub const EXCERPT: usize = 300;

/// `text` with every hostile character shown visibly (`\e`, `\t`, `\u{7}`); newlines
/// are kept when `newlines` is set. Borrowed when there is nothing to show.
pub fn visible(text: &str, newlines: bool) -> Cow<'_, str> {
    if !text
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
        Format::Csv => match view.blocks.as_slice() {
            [Block::Table(_, table)] => write_csv(out, table)?,
            blocks => write_sections_csv(out, blocks)?,
        },
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
            Block::Line(_, cell) => writeln!(
                out,
                "{}",
                paint(
                    &Cell::new(visible(&cell.text, true), cell.tone),
                    style.color
                )
            )?,
            Block::Table(_, table) if table.rows.is_empty() => writeln!(
                out,
                "{}",
                paint(
                    &Cell::new(visible(&table.empty, false), Tone::Dim),
                    style.color
                )
            )?,
            Block::Table(_, table) => writeln!(out, "{}", comfy(table, style))?,
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

/// CSV column names: the table's headers, lowercased, words joined by underscores
/// (`Kind / status` is `kind_status`), `#` as `id`.
fn csv_header(header: &str) -> String {
    let words: Vec<&str> = header.split([' ', '/']).filter(|w| !w.is_empty()).collect();
    words.join("_").to_lowercase().replace('#', "id")
}

/// A CSV writer's error as the I/O error it wraps, so a closed pipe is recognised.
fn csv_io(err: csv::Error) -> std::io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// A row as CSV cells: neutralised for spreadsheets, with hostile characters visible.
fn csv_cells<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<String> {
    cells
        .map(|c| visible(&csv_neutral(c), true).into_owned())
        .collect()
}

fn write_csv(out: &mut impl Write, table: &Table) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    if !table.headers.is_empty() {
        writer
            .write_record(table.headers.iter().map(|h| csv_header(h)))
            .map_err(csv_io)?;
    }
    for row in &table.rows {
        writer
            .write_record(csv_cells(row.iter().map(|c| c.text.as_str())))
            .map_err(csv_io)?;
    }
    writer.flush()?;
    Ok(())
}

/// A view of several parts as one CSV a spreadsheet can filter and pivot: a first
/// `section` column, then every column of every part in the order they first appear,
/// empty where a part has no such column. Tables give their rows; headings and lines a
/// row each, in the `text` column.
fn write_sections_csv(out: &mut impl Write, blocks: &[Block]) -> Result<()> {
    let mut columns: Vec<String> = vec!["section".into()];
    let mut column = |name: String| match columns.iter().position(|c| *c == name) {
        Some(at) => at,
        None => {
            columns.push(name);
            columns.len() - 1
        }
    };
    // Each row as (column, text) pairs, so the header is known before any is written.
    let mut rows: Vec<Vec<(usize, &str)>> = Vec::new();
    for block in blocks {
        match block {
            Block::Heading(text) => rows.push(vec![(0, TITLE), (column("text".into()), text)]),
            Block::Line(section, cell) => {
                rows.push(vec![(0, *section), (column("text".into()), &cell.text)])
            }
            Block::Table(section, table) => {
                let at: Vec<usize> = table
                    .headers
                    .iter()
                    .map(|h| column(csv_header(h)))
                    .collect();
                for row in &table.rows {
                    let cells = row.iter().zip(&at).map(|(c, at)| (*at, c.text.as_str()));
                    rows.push(std::iter::once((0, *section)).chain(cells).collect());
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&columns).map_err(csv_io)?;
    for row in rows {
        let mut record = vec![""; columns.len()];
        for (at, text) in row {
            record[at] = text;
        }
        writer
            .write_record(csv_cells(record.into_iter()))
            .map_err(csv_io)?;
    }
    writer.flush()?;
    Ok(())
}

fn write_markdown(out: &mut impl Write, view: &View) -> Result<()> {
    for (i, block) in view.blocks.iter().enumerate() {
        let spaced = i > 0;
        if spaced
            && matches!(block, Block::Table(..))
            && matches!(view.blocks[i - 1], Block::Line(..))
        {
            writeln!(out)?;
        }
        match block {
            Block::Heading(text) => {
                if spaced && !matches!(view.blocks[i - 1], Block::Table(..)) {
                    writeln!(out)?;
                }
                writeln!(out, "### {}\n", markdown_escape(text))?;
            }
            Block::Line(_, cell) => writeln!(out, "{}  ", markdown_escape(&cell.text))?,
            Block::Table(_, table) if table.rows.is_empty() => {
                writeln!(out, "_{}_", markdown_escape(&table.empty))?
            }
            Block::Table(_, table) => {
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
            blocks: vec![
                Block::Heading("Clients".into()),
                Block::Table("clients", table),
            ],
            json: serde_json::json!([]),
        }
    }

    fn printed(format: Format, color: bool) -> String {
        printed_view(&sample(), format, color)
    }

    fn printed_view(view: &View, format: Format, color: bool) -> String {
        let mut out = Vec::new();
        print(&mut out, view, format, Style { color, width: None }).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_lone_table_is_plain_csv() {
        let Block::Table(_, table) = sample().blocks.remove(1) else {
            unreachable!()
        };
        let view = View::table("clients", table, serde_json::json!([]));
        assert_eq!(
            printed_view(&view, Format::Csv, false),
            "id,client,last_touch\n1,Acme | Co,3 days overdue\n"
        );
    }

    #[test]
    fn csv_of_several_parts_has_a_section_column_and_every_part() {
        let mut view = sample();
        let mut late = Table::new(&["Client", "Kind / status", "Days"], "");
        late.row(vec!["Globex".into(), "done late".into(), "-2".into()]);
        view.blocks
            .push(Block::Line("streak", "Streak: 3 weeks".into()));
        view.blocks.push(Block::Table("late", late));
        assert_eq!(
            printed_view(&view, Format::Csv, false),
            "section,text,id,client,last_touch,kind_status,days\n\
             title,Clients,,,,,\n\
             clients,,1,Acme | Co,3 days overdue,,\n\
             streak,Streak: 3 weeks,,,,,\n\
             late,,,Globex,,done late,'-2\n"
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
    fn colour_only_when_asked() {
        assert!(!printed(Format::Table, false).contains('\x1b'));
        assert!(printed(Format::Table, true).contains("\x1b["));
    }
}
