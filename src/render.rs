//! Printing what commands produce, as table, JSON, CSV or Markdown, into any `Write`.
//!
//! A command builds a `View`: blocks of headings, lines and tables for people, and a
//! JSON value for scripts. Rendering decides nothing about content, and every format
//! but JSON walks every block, so none can leave out what another shows.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// A table's columns: their headers, how they give way in a narrow terminal, and what
/// shows instead of no rows. With the rows, a `Table`; without, the frame of rows read
/// one at a time (see `Rows`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Columns {
    pub headers: Vec<String>,
    /// Shown to people instead of a table with no rows.
    pub empty: String,
    /// Columns of free text (by position), which may wrap at spaces to fit a terminal,
    /// with the least width each is narrowed to; the others (dates, numbers, ids, short
    /// phrases) are never split.
    wrapping: Vec<(usize, usize)>,
    /// Columns (by position) that a terminal too narrow for the table leaves out, in
    /// this order; the others are essential.
    dropping: Vec<usize>,
}

impl Columns {
    pub fn new(headers: &[&str], empty: &str) -> Columns {
        Columns {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            empty: empty.into(),
            ..Columns::default()
        }
    }

    /// Names the columns of names and short free text (tags, a tier), which may wrap at
    /// spaces in a narrow terminal, down to `NAMES_MIN` columns.
    pub fn names(self, headers: &[&str]) -> Columns {
        self.wrapping(headers, NAMES_MIN)
    }

    /// Names the columns of sentences people wrote, which may wrap at spaces in a narrow
    /// terminal, down to `PROSE_MIN` columns.
    pub fn prose(self, headers: &[&str]) -> Columns {
        self.wrapping(headers, PROSE_MIN)
    }

    fn wrapping(mut self, headers: &[&str], least: usize) -> Columns {
        let columns = self.positions(headers).into_iter().map(|c| (c, least));
        self.wrapping.extend(columns);
        self
    }

    /// The least width of a column of free text, if it is one.
    fn least(&self, column: usize) -> Option<usize> {
        self.wrapping
            .iter()
            .find_map(|&(c, least)| (c == column).then_some(least))
    }

    /// Names the columns a narrow terminal may leave out, the least useful first.
    pub fn dropping(mut self, headers: &[&str]) -> Columns {
        self.dropping = self.positions(headers);
        self
    }

    fn positions(&self, headers: &[&str]) -> Vec<usize> {
        headers
            .iter()
            .filter_map(|name| {
                let at = self.headers.iter().position(|h| h == name);
                debug_assert!(at.is_some(), "the table has no column {name}");
                at
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: Columns,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(headers: &[&str], empty: &str) -> Table {
        Table::from(Columns::new(headers, empty))
    }

    /// See `Columns::names`.
    pub fn names(self, headers: &[&str]) -> Table {
        self.with_columns(|columns| columns.names(headers))
    }

    /// See `Columns::prose`.
    pub fn prose(self, headers: &[&str]) -> Table {
        self.with_columns(|columns| columns.prose(headers))
    }

    /// See `Columns::dropping`.
    pub fn dropping(self, headers: &[&str]) -> Table {
        self.with_columns(|columns| columns.dropping(headers))
    }

    fn with_columns(self, change: impl FnOnce(Columns) -> Columns) -> Table {
        Table {
            columns: change(self.columns),
            ..self
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

impl From<Columns> for Table {
    fn from(columns: Columns) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }
}

/// A table's rows, handed over once for each pass a format makes over them, in the same
/// order every time: a table too long to hold is read again rather than kept.
pub trait Rows {
    /// Hands `row` the cells of every row.
    fn each(&mut self, row: &mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<()>;
}

impl Rows for &[Vec<Cell>] {
    fn each(&mut self, row: &mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<()> {
        self.iter().try_for_each(|cells| row(cells))
    }
}

/// Rows that are also values for scripts, one each: `--format json` prints them as an
/// array, as `print` prints a view's JSON.
pub trait Values {
    /// Hands `value` the value of every row, in the order of `Rows::each`.
    fn each_value(&mut self, value: &mut dyn FnMut(&Value) -> Result<()>) -> Result<()>;
}

/// A JSON array written as `serde_json::to_writer_pretty` writes it, one item at a time:
/// the whole document at depth 0, the value of an object's field at depth 1.
pub struct PrettyList {
    depth: usize,
    items: usize,
}

impl PrettyList {
    pub fn new(depth: usize) -> PrettyList {
        PrettyList { depth, items: 0 }
    }

    pub fn item(&mut self, out: &mut impl Write, item: &impl Serialize) -> Result<()> {
        out.write_all(if self.items == 0 { b"[\n" } else { b",\n" })?;
        self.items += 1;
        let indent = "  ".repeat(self.depth + 1);
        // Strings escape their line breaks: each line of the item is a line here.
        let pretty = serde_json::to_string_pretty(item)?;
        for (i, line) in pretty.lines().enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            write!(out, "{indent}{line}")?;
        }
        Ok(())
    }

    pub fn end(self, out: &mut impl Write) -> Result<()> {
        match self.items {
            0 => out.write_all(b"[]")?,
            _ => write!(out, "\n{}]", "  ".repeat(self.depth))?,
        }
        Ok(())
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
    /// Lines of text and shaded cells (a calendar heatmap), in its section: one row each
    /// in CSV, in the `text` column, and a code block in Markdown.
    Shades(Section, Vec<Vec<Shade>>),
}

/// A piece of a line of shades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shade {
    Text(String),
    /// A cell shaded by level: 0 for none, then 1 to 4, ever busier.
    Level(u8),
}

/// The cells of each level without colour: distinct characters.
const SHADES: [char; 5] = ['·', '░', '▒', '▓', '█'];

/// The cells of each level in colour (ANSI 256 colours): a grey dot for none, then ever
/// brighter greens, as a code-hosting contribution graph.
const GREENS: [u8; 5] = [240, 22, 28, 34, 46];

/// A line of shades as text: in colour, each cell a green block, else its character.
fn shades_line(pieces: &[Shade], color: bool) -> String {
    let mut line = String::new();
    for piece in pieces {
        match piece {
            Shade::Text(text) => line.push_str(&visible(text, false)),
            Shade::Level(level) => {
                let level = usize::from(*level).min(SHADES.len() - 1);
                match (color, level) {
                    (false, _) => line.push(SHADES[level]),
                    (true, 0) => line.push_str(&format!("\x1b[38;5;{}m·\x1b[0m", GREENS[0])),
                    (true, _) => line.push_str(&format!("\x1b[38;5;{}m█\x1b[0m", GREENS[level])),
                }
            }
        }
    }
    line
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
fn excerpt(text: &str) -> Cow<'_, str> {
    // No text has more characters than bytes.
    let cut = match text.len() > EXCERPT {
        true => text.char_indices().nth(EXCERPT).map(|(at, _)| at),
        false => None,
    };
    match cut {
        None => visible(text, true),
        Some(at) => {
            let rest = text[at..].chars().count();
            Cow::Owned(format!(
                "{}… [cut: {rest} more characters; --format json shows all]",
                visible(&text[..at], true)
            ))
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
            [Block::Table(_, table)] => write_csv(out, &table.columns, &mut table.rows.as_slice())?,
            blocks => write_sections_csv(out, blocks)?,
        },
        Format::Markdown => write_markdown(out, view)?,
        // `ics` is refused before any command runs but `export`, which does not print a view.
        Format::Table | Format::Ics => write_human(out, view, style)?,
    }
    Ok(())
}

/// Prints a table read a row at a time (see `Rows`) as `print` prints a view of that
/// table alone, whose JSON is the array of its rows' values.
pub fn print_rows(
    out: &mut impl Write,
    columns: &Columns,
    rows: &mut (impl Rows + Values),
    format: Format,
    style: Style,
) -> Result<()> {
    match format {
        Format::Json => {
            let mut list = PrettyList::new(0);
            rows.each_value(&mut |value| list.item(out, value))?;
            list.end(out)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(out, columns, rows)?,
        Format::Markdown => write_markdown_table(out, columns, rows)?,
        Format::Table | Format::Ics => write_table(out, columns, rows, style)?,
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
                write_text(out, &visible(text, false), Tone::Bold, style)?;
            }
            Block::Line(_, cell) => write_text(out, &visible(&cell.text, true), cell.tone, style)?,
            Block::Table(_, table) => {
                write_table(out, &table.columns, &mut table.rows.as_slice(), style)?
            }
            Block::Shades(_, lines) => {
                for pieces in lines {
                    writeln!(out, "{}", shades_line(pieces, style.color))?;
                }
            }
        }
    }
    Ok(())
}

/// A heading or a line, wrapped at spaces when the width is known.
fn write_text(out: &mut impl Write, text: &str, tone: Tone, style: Style) -> Result<()> {
    let lines = match style.width {
        Some(width) => wrap(text, width.into()),
        None => vec![text.to_string()],
    };
    for line in lines {
        writeln!(out, "{}", paint(&Cell::new(line, tone), style.color))?;
    }
    Ok(())
}

/// The least a column of names is narrowed to (or its header, or its widest cell, when
/// that is more or less) before the table leaves columns out.
pub const NAMES_MIN: usize = 12;

/// The same for sentences: narrower, they take too many lines to read well.
pub const PROSE_MIN: usize = 20;

/// A table for people, or its `empty` line (dimmed) when it has no rows. With no width
/// known (output piped), every column is as wide as its widest cell and nothing wraps,
/// so piped output is stable. Given a width:
///
/// 1. The table is drawn at its natural width if that fits.
/// 2. Otherwise the columns of free text (`Columns::names`, `Columns::prose`) are
///    narrowed, down to `NAMES_MIN` or `PROSE_MIN`, and their text wraps at spaces (a
///    word wider than the column is broken, nothing else). Other columns and headers
///    never wrap.
/// 3. If even that is too wide, the columns named in `Columns::dropping` are left out,
///    in that order, until the table fits; space left over goes to the text columns.
/// 4. If the essential columns still do not fit, each row becomes a block: a title line
///    (`#12` when the table has a `#` column, then the first other column), and one
///    indented `Header: value` line per other non-empty cell, every line wrapped to
///    the width with further lines indented by four.
///
/// Leaving columns out is for the human table only: JSON, CSV and Markdown show all.
///
/// The rows are gone through two or three times, and never held: once to measure them,
/// once more to measure the lines of the columns that wrap, when some do (a column is
/// as wide as its widest line, which may be narrower than the room it was given), and
/// once to draw them.
fn write_table(
    out: &mut impl Write,
    columns: &Columns,
    rows: &mut impl Rows,
    style: Style,
) -> Result<()> {
    let measured = Measured::of(columns, rows)?;
    if measured.rows == 0 {
        return write_text(out, &visible(&columns.empty, false), Tone::Dim, style);
    }
    let shown = match style.width.map(usize::from) {
        None => (0..columns.headers.len())
            .map(|c| (c, usize::MAX))
            .collect(),
        Some(width) => match fit(columns, &measured, width) {
            Some(shown) => shown,
            None => {
                return rows.each(&mut |row| write_block(out, columns, row, width, style.color));
            }
        },
    };
    let widths = drawn_widths(columns, rows, &measured, &shown)?;
    rule(out, TOP, &widths)?;
    let headers = shown
        .iter()
        .map(|&(c, _)| (vec![Cow::Borrowed(columns.headers[c].as_str())], Tone::Bold));
    draw_row(out, headers.collect(), &widths, style.color)?;
    rule(out, UNDER_HEADERS, &widths)?;
    rows.each(&mut |row| {
        let texts = excerpts(columns, row);
        let cells = shown
            .iter()
            .map(|&(c, width)| (cell_lines(&texts, c, width), tone(row, c)));
        draw_row(out, cells.collect(), &widths, style.color)
    })?;
    rule(out, BOTTOM, &widths)
}

/// What `fit` needs to know of a table's rows, measured in one pass over them.
struct Measured {
    rows: usize,
    /// Each column's widest line, or its header when wider.
    natural: Vec<usize>,
    /// Each column's longest word, or its header when longer.
    longest_word: Vec<usize>,
}

impl Measured {
    fn of(columns: &Columns, rows: &mut impl Rows) -> Result<Measured> {
        let headers: Vec<usize> = columns.headers.iter().map(|h| h.width()).collect();
        let mut measured = Measured {
            rows: 0,
            natural: headers.clone(),
            longest_word: headers,
        };
        rows.each(&mut |row| {
            measured.rows += 1;
            for (c, text) in excerpts(columns, row).iter().enumerate() {
                let longest_word = text.split_whitespace().map(columns_of).max();
                measured.natural[c] = measured.natural[c].max(text_width(text));
                measured.longest_word[c] = measured.longest_word[c].max(longest_word.unwrap_or(0));
            }
            Ok(())
        })?;
        Ok(measured)
    }
}

/// The text of each cell of a row under a header, as a table cell shows it (see `excerpt`).
fn excerpts<'a>(columns: &Columns, row: &'a [Cell]) -> Vec<Cow<'a, str>> {
    let cells = row.iter().take(columns.headers.len());
    cells.map(|cell| excerpt(&cell.text)).collect()
}

/// A cell's tone; a row short of this column has a plain, empty cell there.
fn tone(row: &[Cell], column: usize) -> Tone {
    row.get(column).map_or(Tone::Plain, |cell| cell.tone)
}

/// A cell's lines in a column `width` wide: as they are when they fit, else wrapped.
fn cell_lines<'a>(texts: &'a [Cow<'_, str>], column: usize, width: usize) -> Vec<Cow<'a, str>> {
    let text = texts.get(column).map_or("", |text| text);
    match text_width(text) > width {
        true => wrap(text, width).into_iter().map(Cow::Owned).collect(),
        false => text.split('\n').map(Cow::Borrowed).collect(),
    }
}

/// How wide each shown column is drawn: its widest line once wrapped to the width it
/// was given, or its header when wider; one at least. Only when a column wraps are the
/// rows gone through again to find it.
fn drawn_widths(
    columns: &Columns,
    rows: &mut impl Rows,
    measured: &Measured,
    shown: &[(usize, usize)],
) -> Result<Vec<usize>> {
    let mut widths: Vec<usize> = shown
        .iter()
        .map(|&(c, width)| match width < measured.natural[c] {
            true => columns.headers[c].width(),
            false => measured.natural[c],
        })
        .collect();
    let wrapped: Vec<(usize, (usize, usize))> = shown
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, (c, width))| width < measured.natural[c])
        .collect();
    if !wrapped.is_empty() {
        rows.each(&mut |row| {
            let texts = excerpts(columns, row);
            for &(at, (c, width)) in &wrapped {
                let widest = cell_lines(&texts, c, width)
                    .iter()
                    .map(|l| columns_of(l))
                    .max();
                widths[at] = widths[at].max(widest.unwrap_or(0));
            }
            Ok(())
        })?;
    }
    Ok(widths.into_iter().map(|w| w.max(1)).collect())
}

/// Display columns `text` takes on one line: its length when it is printable ASCII,
/// as most is, without looking up each character.
fn columns_of(text: &str) -> usize {
    match text.bytes().all(|b| matches!(b, b' '..=b'~')) {
        true => text.len(),
        false => text.width(),
    }
}

/// Display columns the text takes: its widest line.
fn text_width(text: &str) -> usize {
    text.split('\n').map(columns_of).max().unwrap_or(0)
}

/// Columns the table's frame takes around `columns` columns: `│ a ┆ b │`.
fn frame(columns: usize) -> usize {
    3 * columns + 1
}

/// The columns to show and the width of each (rules 1 to 3 of `write_table`), or
/// `None` when the table must become blocks.
fn fit(columns: &Columns, measured: &Measured, width: usize) -> Option<Vec<(usize, usize)>> {
    let natural = &measured.natural;
    let all = 0..columns.headers.len();
    let least: Vec<usize> = all
        .clone()
        .map(|c| match columns.least(c) {
            Some(least) => natural[c].min(columns.headers[c].width().max(least)),
            None => natural[c],
        })
        .collect();
    let mut shown: Vec<usize> = all.collect();
    let mut dropping = columns.dropping.iter();
    let needs =
        |shown: &[usize]| frame(shown.len()) + shown.iter().map(|&c| least[c]).sum::<usize>();
    while needs(&shown) > width {
        let gone = dropping.next()?;
        shown.retain(|c| c != gone);
    }
    // What is left goes to the text columns: first so that their longest words need not
    // be broken, then on towards their natural width.
    let mut widths: Vec<usize> = shown.iter().map(|&c| least[c]).collect();
    let mut spare = width - needs(&shown);
    let words: Vec<usize> = shown
        .iter()
        .map(|&c| measured.longest_word[c].min(natural[c]))
        .collect();
    share(&mut widths, &words, &mut spare);
    let natural: Vec<usize> = shown.iter().map(|&c| natural[c]).collect();
    share(&mut widths, &natural, &mut spare);
    Some(shown.into_iter().zip(widths).collect())
}

/// Widens columns towards their targets, evenly, while `spare` lasts.
fn share(widths: &mut [usize], targets: &[usize], spare: &mut usize) {
    loop {
        let wanting: Vec<usize> = (0..widths.len())
            .filter(|&i| widths[i] < targets[i])
            .collect();
        if wanting.is_empty() || *spare == 0 {
            return;
        }
        let each = (*spare / wanting.len()).max(1);
        for i in wanting {
            let more = each.min(targets[i] - widths[i]).min(*spare);
            widths[i] += more;
            *spare -= more;
        }
    }
}

/// A line of the frame: its left end, fill, junction between columns, and right end.
/// The frame is comfy-table's `UTF8_FULL_CONDENSED` with rounded corners, which drew
/// these tables first.
type Rule = [char; 4];

const TOP: Rule = ['╭', '─', '┬', '╮'];
const UNDER_HEADERS: Rule = ['╞', '═', '╪', '╡'];
const BOTTOM: Rule = ['╰', '─', '┴', '╯'];

/// A line of the frame across columns of these widths (each with a space either side).
fn rule(out: &mut impl Write, [left, fill, junction, right]: Rule, widths: &[usize]) -> Result<()> {
    let mut line = String::from(left);
    for (i, &width) in widths.iter().enumerate() {
        if i > 0 {
            line.push(junction);
        }
        line.extend(std::iter::repeat_n(fill, width + 2));
    }
    line.push(right);
    writeln!(out, "{line}")?;
    Ok(())
}

/// One row of the table: each cell's lines, in columns of these widths, `│ a ┆ b │`, as
/// many lines as its tallest cell. A cell's colour covers its padding too; the blank
/// below a shorter cell is not coloured.
fn draw_row(
    out: &mut impl Write,
    cells: Vec<(Vec<Cow<'_, str>>, Tone)>,
    widths: &[usize],
    color: bool,
) -> Result<()> {
    let height = cells
        .iter()
        .map(|(lines, _)| lines.len())
        .max()
        .unwrap_or(0);
    for i in 0..height {
        let mut line = String::from('│');
        for (c, ((lines, tone), &width)) in cells.iter().zip(widths).enumerate() {
            if c > 0 {
                line.push('┆');
            }
            match lines.get(i) {
                Some(text) => {
                    let pad = width.saturating_sub(columns_of(text));
                    paint_cell(&mut line, text, pad, *tone, color);
                }
                None => push_spaces(&mut line, width + 2),
            }
        }
        line.push('│');
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Adds a table cell's line to `line`: ` text ` and `pad` spaces, in colour when
/// `color` is on, in the codes tables have always used (256-colour red, green and grey;
/// bold ended by a full reset).
fn paint_cell(line: &mut String, text: &str, pad: usize, tone: Tone, color: bool) {
    let codes = match tone {
        _ if !color => None,
        Tone::Plain => None,
        Tone::Alert => Some(("38;5;9", "39")),
        Tone::Good => Some(("38;5;10", "39")),
        Tone::Dim => Some(("38;5;8", "39")),
        Tone::Bold => Some(("1", "0")),
    };
    if let Some((start, _)) = codes {
        line.push_str("\x1b[");
        line.push_str(start);
        line.push('m');
    }
    line.push(' ');
    line.push_str(text);
    push_spaces(line, pad + 1);
    if let Some((_, end)) = codes {
        line.push_str("\x1b[");
        line.push_str(end);
        line.push('m');
    }
}

fn push_spaces(line: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let run = n.min(SPACES.len());
        line.push_str(&SPACES[..run]);
        n -= run;
    }
}

/// A row as a block (rule 4 of `write_table`).
fn write_block(
    out: &mut impl Write,
    columns: &Columns,
    row: &[Cell],
    width: usize,
    color: bool,
) -> Result<()> {
    let texts = excerpts(columns, row);
    let headers = &columns.headers;
    let number_column = headers.iter().position(|h| h == "#");
    let title = (0..headers.len()).find(|&c| Some(c) != number_column);
    let (first, rest) = (width.saturating_sub(2), width.saturating_sub(4));
    let text = |c: usize| texts.get(c).map_or("", |text| text);
    let number = number_column.map(|c| format!("#{}", text(c)));
    let heading = number.iter().map(String::as_str).chain(title.map(text));
    let heading_tone = match title.map_or(Tone::Plain, |c| tone(row, c)) {
        Tone::Plain => Tone::Bold,
        alert => alert,
    };
    let words = heading.flat_map(str::split_whitespace);
    for (i, line) in fill(words, width, rest).into_iter().enumerate() {
        let indent = if i == 0 { "" } else { "    " };
        writeln!(
            out,
            "{indent}{}",
            paint(&Cell::new(line, heading_tone), color)
        )?;
    }
    for (c, header) in headers.iter().enumerate() {
        let value = text(c);
        if Some(c) == number_column || Some(c) == title || value.trim().is_empty() {
            continue;
        }
        let label = format!("{header}:");
        let words: Vec<&str> = match columns.least(c).is_some() {
            true => value.split_whitespace().collect(),
            false => value.split('\n').collect(),
        };
        let lines = fill(std::iter::once(label.as_str()).chain(words), first, rest);
        for (i, line) in lines.into_iter().enumerate() {
            let (indent, line) = match (i, line.strip_prefix(&label)) {
                (0, Some("")) => (format!("  {label}"), String::new()),
                (0, Some(value)) => (format!("  {label} "), value.trim_start().to_string()),
                (0, None) => ("  ".to_string(), line),
                _ => ("    ".to_string(), line),
            };
            writeln!(
                out,
                "{indent}{}",
                paint(&Cell::new(line, tone(row, c)), color)
            )?;
        }
    }
    Ok(())
}

/// The text in lines at most `width` columns wide, broken at spaces; lines that fit
/// are kept as they are.
fn wrap(text: &str, width: usize) -> Vec<String> {
    text.split('\n')
        .flat_map(|line| match columns_of(line) > width {
            true => fill(line.split_whitespace(), width, width),
            false => vec![line.to_string()],
        })
        .collect()
}

/// Words laid out in lines, greedily: the first line `first` columns wide, the others
/// `rest`. A word wider than a whole line is broken where the line ends.
fn fill<'a>(words: impl IntoIterator<Item = &'a str>, first: usize, rest: usize) -> Vec<String> {
    let room = |lines: &Vec<String>| if lines.len() == 1 { first } else { rest };
    let mut lines = vec![String::new()];
    let mut used = 0;
    for mut word in words {
        if used > 0 {
            if used + 1 + columns_of(word) <= room(&lines) {
                let line = lines.last_mut().expect("a line");
                line.push(' ');
                line.push_str(word);
                used += 1 + columns_of(word);
                continue;
            }
            lines.push(String::new());
        }
        // The word starts a line; one wider than a line takes whole lines until the rest fits.
        loop {
            let (head, tail) = match columns_of(word) > room(&lines) {
                true => split_at_width(word, room(&lines)),
                false => (word, ""),
            };
            lines.last_mut().expect("a line").push_str(head);
            used = columns_of(head);
            if tail.is_empty() {
                break;
            }
            lines.push(String::new());
            word = tail;
        }
    }
    lines
}

/// The longest head of `word` at most `width` columns wide (one grapheme at least), and
/// the rest. Cut between graphemes, so an emoji with its modifier stays whole.
fn split_at_width(word: &str, width: usize) -> (&str, &str) {
    let (mut cut, mut taken) = (0, 0);
    for (at, grapheme) in word.grapheme_indices(true) {
        if cut > 0 && taken + grapheme.width() > width {
            break;
        }
        taken += grapheme.width();
        cut = at + grapheme.len();
    }
    word.split_at(cut)
}

/// The text with ANSI colour when `color` is on.
pub fn paint(cell: &Cell, color: bool) -> String {
    let code = match cell.tone {
        _ if !color || cell.text.is_empty() => return cell.text.clone(),
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

fn write_csv(out: &mut impl Write, columns: &Columns, rows: &mut impl Rows) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    if !columns.headers.is_empty() {
        writer
            .write_record(columns.headers.iter().map(|h| csv_header(h)))
            .map_err(csv_io)?;
    }
    rows.each(&mut |row| {
        writer
            .write_record(csv_cells(row.iter().map(|c| c.text.as_str())))
            .map_err(csv_io)?;
        Ok(())
    })?;
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
    let mut rows: Vec<Vec<(usize, Cow<'_, str>)>> = Vec::new();
    for block in blocks {
        match block {
            Block::Heading(text) => rows.push(vec![
                (0, TITLE.into()),
                (column("text".into()), text.into()),
            ]),
            Block::Line(section, cell) => rows.push(vec![
                (0, (*section).into()),
                (column("text".into()), cell.text.as_str().into()),
            ]),
            Block::Shades(section, lines) => {
                let at = column("text".into());
                for pieces in lines {
                    let line = shades_line(pieces, false).into();
                    rows.push(vec![(0, (*section).into()), (at, line)]);
                }
            }
            Block::Table(section, table) => {
                let at: Vec<usize> = table
                    .columns
                    .headers
                    .iter()
                    .map(|h| column(csv_header(h)))
                    .collect();
                for row in &table.rows {
                    let cells = row
                        .iter()
                        .zip(&at)
                        .map(|(c, at)| (*at, c.text.as_str().into()));
                    rows.push(
                        std::iter::once((0, (*section).into()))
                            .chain(cells)
                            .collect(),
                    );
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&columns).map_err(csv_io)?;
    for row in rows {
        let mut record = vec![Cow::Borrowed(""); columns.len()];
        for (at, text) in row {
            record[at] = text;
        }
        writer
            .write_record(csv_cells(record.iter().map(|t| t.as_ref())))
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
            Block::Shades(_, lines) => {
                writeln!(out, "```")?;
                for pieces in lines {
                    writeln!(out, "{}", shades_line(pieces, false))?;
                }
                writeln!(out, "```\n")?;
            }
            Block::Table(_, table) => {
                write_markdown_table(out, &table.columns, &mut table.rows.as_slice())?
            }
        }
    }
    Ok(())
}

/// A table in Markdown, or its `empty` line in italics when it has no rows; a blank
/// line after either.
fn write_markdown_table(
    out: &mut impl Write,
    columns: &Columns,
    rows: &mut impl Rows,
) -> Result<()> {
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let mut any = false;
    rows.each(&mut |row| {
        if !any {
            let headers = columns.headers.iter().map(|h| markdown_escape(h));
            writeln!(out, "{}", line(headers.collect()))?;
            let rules = columns.headers.iter().map(|_| "---".to_string());
            writeln!(out, "{}", line(rules.collect()))?;
            any = true;
        }
        let cells = row.iter().map(|c| markdown_escape(&c.text));
        writeln!(out, "{}", line(cells.collect()))?;
        Ok(())
    })?;
    match any {
        true => writeln!(out)?,
        false => writeln!(out, "_{}_\n", markdown_escape(&columns.empty))?,
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

    fn fitted(table: Table, width: u16) -> String {
        let mut out = Vec::new();
        let view = View::table("rows", table, serde_json::json!([]));
        let style = Style {
            color: false,
            width: Some(width),
        };
        print(&mut out, &view, Format::Table, style).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn follow_ups() -> Table {
        let mut table = Table::new(&["#", "Client", "Follow-up", "Due"], "")
            .names(&["Client"])
            .prose(&["Follow-up"])
            .dropping(&["Due"]);
        table.row(vec![
            "7".into(),
            "Acme".into(),
            "Send the renewal bundle proposal to their new buyer".into(),
            "2026-11-18".into(),
        ]);
        table
    }

    #[test]
    fn text_wraps_at_spaces_and_only_a_word_too_long_is_broken() {
        assert_eq!(
            wrap("send the  renewal bundle", 12),
            ["send the", "renewal", "bundle"]
        );
        assert_eq!(wrap("fits  as is", 12), ["fits  as is"]);
        assert_eq!(wrap("one\ntwo", 12), ["one", "two"]);
        assert_eq!(fill(["Due:", "2026-11-18"], 12, 12), ["Due:", "2026-11-18"]);
        assert_eq!(fill(["abcdefghij"], 4, 3), ["abcd", "efg", "hij"]);
        // An emoji with a skin-tone modifier is two columns and never cut in half.
        assert_eq!(split_at_width("ab👍🏽cd", 3), ("ab", "👍🏽cd"));
        assert_eq!(
            split_at_width("👍🏽cd", 1),
            ("👍🏽", "cd"),
            "one grapheme at least"
        );
        assert_eq!(wrap("a 👍🏽 b", 3), ["a", "👍🏽", "b"]);
        assert_eq!(fill(["👍🏽", "ab"], 1, 1), ["👍🏽", "a", "b"], "no empty lines");
    }

    #[test]
    fn a_table_fits_then_wraps_then_leaves_out_columns_then_becomes_blocks() {
        let natural = fitted(follow_ups(), 120);
        assert_eq!(
            natural,
            printed_table(follow_ups()),
            "as piped when it fits"
        );
        let wrapped = fitted(follow_ups(), 55);
        assert!(
            wrapped.contains("│ 7 ┆ Acme   ┆ Send the renewal bundle ┆ 2026-11-18 │"),
            "{wrapped}"
        );
        let dropped = fitted(follow_ups(), 40);
        assert!(!dropped.contains("Due"), "{dropped}");
        assert!(
            dropped.contains("│ 7 ┆ Acme   ┆ Send the renewal"),
            "{dropped}"
        );
        assert_eq!(
            fitted(follow_ups(), 30),
            "#7 Acme\n  Follow-up: Send the renewal\n    bundle proposal to their\n    new buyer\n  Due: 2026-11-18\n"
        );
        for width in [30, 40, 55, 120] {
            for line in fitted(follow_ups(), width).lines() {
                assert!(line.width() <= usize::from(width), "{width}: {line}");
            }
        }
    }

    fn printed_table(table: Table) -> String {
        let mut out = Vec::new();
        let view = View::table("rows", table, serde_json::json!([]));
        let style = Style {
            color: false,
            width: None,
        };
        print(&mut out, &view, Format::Table, style).unwrap();
        String::from_utf8(out).unwrap()
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

    proptest::proptest! {
        #[test]
        fn a_pretty_list_is_what_serde_json_writes_whole(
            items in proptest::collection::vec(
                (proptest::prelude::any::<String>(), proptest::collection::vec(0u64..1000, 0..3)),
                0..5,
            ),
            depth in 0usize..3,
        ) {
            let values: Vec<Value> = items
                .iter()
                .map(|(text, tags)| serde_json::json!({"text": text, "tags": tags, "with": {}}))
                .collect();
            let mut streamed = Vec::new();
            let mut list = PrettyList::new(depth);
            for value in &values {
                list.item(&mut streamed, value).unwrap();
            }
            list.end(&mut streamed).unwrap();
            // The list as the value of a field `depth` objects deep.
            let mut whole = Value::Array(values);
            for _ in 0..depth {
                whole = serde_json::json!({ "list": whole });
            }
            let pretty = serde_json::to_string_pretty(&whole).unwrap();
            let start = pretty.find(['[']).unwrap();
            let end = pretty.rfind(']').unwrap() + 1;
            proptest::prop_assert_eq!(String::from_utf8(streamed).unwrap(), &pretty[start..end]);
        }
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!printed(Format::Table, false).contains('\x1b'));
        assert!(printed(Format::Table, true).contains("\x1b["));
    }
}

/// Tables drawn row by row are byte for byte what comfy-table drew from the whole table
/// in memory, as this program did before (that drawing is kept here to compare with).
#[cfg(test)]
mod as_comfy_table_drew {
    use comfy_table::{Attribute, Cell as TableCell, Color, ContentArrangement, presets};
    use proptest::prelude::*;

    use super::*;

    /// How tables were printed: the whole table in memory, laid out by the same rules,
    /// drawn by comfy-table.
    fn drawn_by_comfy(table: &Table, style: Style) -> String {
        let mut out = Vec::new();
        if table.rows.is_empty() {
            write_text(
                &mut out,
                &visible(&table.columns.empty, false),
                Tone::Dim,
                style,
            )
            .unwrap();
            return String::from_utf8(out).unwrap();
        }
        let cells: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| excerpt(&cell.text).into_owned())
                    .collect()
            })
            .collect();
        let columns = match style.width.map(usize::from) {
            None => (0..table.columns.headers.len())
                .map(|c| (c, usize::MAX))
                .collect(),
            Some(width) => match fit_in_memory(table, &cells, width) {
                Some(columns) => columns,
                None => {
                    for row in &table.rows {
                        write_block(&mut out, &table.columns, row, width, style.color).unwrap();
                    }
                    return String::from_utf8(out).unwrap();
                }
            },
        };
        // Whatever `NO_COLOR` says, as `--color always` asks.
        crossterm::style::Colored::set_ansi_color_disabled(false);
        writeln!(out, "{}", comfy(table, cells, &columns, style.color)).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn fit_in_memory(
        table: &Table,
        cells: &[Vec<String>],
        width: usize,
    ) -> Option<Vec<(usize, usize)>> {
        let headers = &table.columns.headers;
        let widest = |c: usize, measure: &dyn Fn(&str) -> usize| {
            let cells = cells.iter().filter_map(|row| row.get(c));
            cells
                .map(|text| measure(text))
                .fold(headers[c].width(), usize::max)
        };
        let columns = 0..headers.len();
        let natural: Vec<usize> = columns.clone().map(|c| widest(c, &text_width)).collect();
        let least: Vec<usize> = columns
            .clone()
            .map(|c| match table.columns.least(c) {
                Some(least) => natural[c].min(headers[c].width().max(least)),
                None => natural[c],
            })
            .collect();
        let mut shown: Vec<usize> = columns.collect();
        let mut dropping = table.columns.dropping.iter();
        let needs =
            |shown: &[usize]| frame(shown.len()) + shown.iter().map(|&c| least[c]).sum::<usize>();
        while needs(&shown) > width {
            let gone = dropping.next()?;
            shown.retain(|c| c != gone);
        }
        let mut widths: Vec<usize> = shown.iter().map(|&c| least[c]).collect();
        let mut spare = width - needs(&shown);
        let longest_word = |text: &str| text.split_whitespace().map(str::width).max().unwrap_or(0);
        let words: Vec<usize> = shown
            .iter()
            .map(|&c| widest(c, &longest_word).min(natural[c]))
            .collect();
        share(&mut widths, &words, &mut spare);
        let natural: Vec<usize> = shown.iter().map(|&c| natural[c]).collect();
        share(&mut widths, &natural, &mut spare);
        Some(shown.into_iter().zip(widths).collect())
    }

    fn comfy(
        table: &Table,
        cells: Vec<Vec<String>>,
        columns: &[(usize, usize)],
        color: bool,
    ) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
        if color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t.set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(columns.iter().map(|&(c, _)| {
            TableCell::new(&table.columns.headers[c]).add_attribute(Attribute::Bold)
        }));
        for (row, mut texts) in table.rows.iter().zip(cells) {
            t.add_row(columns.iter().map(|&(c, width)| {
                let (Some(cell), Some(text)) = (row.get(c), texts.get_mut(c)) else {
                    return TableCell::new("");
                };
                let text = match text_width(text) > width {
                    true => wrap(text, width).join("\n"),
                    false => std::mem::take(text),
                };
                let shown = TableCell::new(text);
                match cell.tone {
                    Tone::Plain => shown,
                    Tone::Alert => shown.fg(Color::Red),
                    Tone::Good => shown.fg(Color::Green),
                    Tone::Dim => shown.fg(Color::DarkGrey),
                    Tone::Bold => shown.add_attribute(Attribute::Bold),
                }
            }));
        }
        t
    }

    fn drawn_by_rows(table: &Table, style: Style) -> String {
        let mut out = Vec::new();
        write_table(&mut out, &table.columns, &mut table.rows.as_slice(), style).unwrap();
        String::from_utf8(out).unwrap()
    }

    const HEADERS: [&str; 9] = [
        "#",
        "When",
        "Client",
        "Kind",
        "Action",
        "Tags",
        "Follow-up",
        "Ünïcode",
        "会議",
    ];

    /// Pieces of cell text: words, long words, wide and combining characters, emoji,
    /// runs of spaces, line breaks, and characters shown escaped.
    const PIECES: [&str; 18] = [
        "send",
        "the",
        "renewal",
        "proposal",
        "to their new buyer",
        " ",
        "  ",
        "\n",
        "unbreakablewordthatislongerthananycolumn",
        "会議の資料を送る",
        "👍🏽",
        "👩‍💻",
        "e\u{301}",
        "ｗｉｄｅ",
        "\t",
        "\u{1b}[31m",
        "-",
        "2026-11-20 10:00",
    ];

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => proptest::collection::vec(proptest::sample::select(&PIECES[..]), 0..10)
                .prop_map(|pieces| pieces.concat()),
            1 => (1usize..400).prop_map(|n| "word ".repeat(n / 5) + &"x".repeat(n % 5)),
        ]
    }

    fn tone() -> impl Strategy<Value = Tone> {
        proptest::sample::select(vec![
            Tone::Plain,
            Tone::Alert,
            Tone::Good,
            Tone::Dim,
            Tone::Bold,
        ])
    }

    fn table() -> impl Strategy<Value = Table> {
        proptest::sample::subsequence(&HEADERS[..], 1..=6)
            .prop_flat_map(|headers| {
                let n = headers.len();
                (
                    Just(headers.clone()),
                    proptest::collection::vec(0u8..3, n),
                    proptest::sample::subsequence(headers, 0..=n).prop_shuffle(),
                    proptest::collection::vec(
                        proptest::collection::vec((text(), tone()), 0..=n + 1),
                        0..6,
                    ),
                )
            })
            .prop_map(|(headers, wrapping, dropping, rows)| {
                let names: Vec<&str> = (0..headers.len())
                    .filter(|&i| wrapping[i] == 1)
                    .map(|i| headers[i])
                    .collect();
                let prose: Vec<&str> = (0..headers.len())
                    .filter(|&i| wrapping[i] == 2)
                    .map(|i| headers[i])
                    .collect();
                let mut table = Table::new(&headers, "Nothing\tmatches.")
                    .names(&names)
                    .prose(&prose)
                    .dropping(&dropping);
                for row in rows {
                    table.row(
                        row.into_iter()
                            .map(|(t, tone)| Cell::new(t, tone))
                            .collect(),
                    );
                }
                table
            })
    }

    fn style() -> impl Strategy<Value = Style> {
        let width = prop_oneof![Just(None), (1u16..200).prop_map(Some)];
        (any::<bool>(), width).prop_map(|(color, width)| Style { color, width })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn a_table_drawn_row_by_row_is_what_comfy_table_drew(table in table(), style in style()) {
            prop_assert_eq!(drawn_by_rows(&table, style), drawn_by_comfy(&table, style));
        }
    }
}
