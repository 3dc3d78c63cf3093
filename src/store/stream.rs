//! Reading a journal file change by change as it is read: neither the file nor a line
//! is ever held whole (one `import` of a million records is one line), only a window of
//! it that holds a value at least. Each line is one change, read as the whole read
//! takes it (an empty line is passed over; two changes on one line, or one spread over
//! two, do not read): its fields and records each read by serde_json from a slice, as
//! the whole read reads them, and the braces, brackets, commas and colons around them
//! here. A `Sink` is handed each change's line number, then its fields and records in
//! the order of the line; folding into state is one sink, `newest`, `compact` and
//! `check` have others.

use foldhash::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::skim::Punctuation;
use crate::model::Record;
use crate::state::State;

/// What a streaming read of the journal's complete lines gave.
pub struct Folded {
    pub state: State,
    /// How many bytes were read: every line up to and with the last newline.
    pub complete_len: u64,
    /// Their CRC-32.
    pub crc: u32,
}

/// Folds the complete lines of the journal `file`, `len` bytes long, into a state.
/// `None` when it does not read as a journal whose lines all fold (a damaged line,
/// conflict markers, no format line): the caller reads it whole instead, which says
/// exactly what is wrong.
pub fn fold(file: &File, len: u64) -> Option<Folded> {
    let mut sink = FoldSink::default();
    let (complete_len, crc) = read(file, len, &mut sink)?;
    Some(Folded {
        state: sink.state,
        complete_len,
        crc,
    })
}

/// The state the journal `file`, `len` bytes long, folds to, with only the actions and
/// follow-ups of the ids `only` holds (and every client and person): what a report on
/// a few records needs to name them. `None` as for `fold`.
pub fn fold_only(file: &File, len: u64, only: HashSet<String>) -> Option<State> {
    let mut sink = FoldSink {
        only: Some(only),
        ..FoldSink::default()
    };
    read(file, len, &mut sink)?;
    Some(sink.state)
}

/// A field of a change other than its records, as read (the same types as `Change`;
/// what no sink needs is checked and left out).
pub enum Field {
    At(DateTime<FixedOffset>),
    Seq(u64),
    Command(String),
    Undoes(Option<String>),
    Merged(Vec<String>),
    Was(Option<Vec<Record>>),
    Follows(Option<(u64, u32)>),
    By(Option<String>),
    Id(String),
}

/// What a streaming read hands each change to, in the order of its line. An error
/// stops the read.
pub trait Sink {
    /// How each record is read.
    type Record: DeserializeOwned;
    /// A change begins on this line of the file (the format line is line 1).
    fn line(&mut self, _number: usize) -> Result<(), String> {
        Ok(())
    }
    fn field(&mut self, _: Field) -> Result<(), String> {
        Ok(())
    }
    fn records_begin(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Reads the record at the start of `bytes` (past white space; the line may go on
    /// past them) when it can tell at once: the record, exactly as `Self::Record`
    /// deserializes it, and the bytes it took. `None` has it deserialized.
    fn skim(_bytes: &[u8]) -> Option<(Self::Record, usize)> {
        None
    }
    fn record(&mut self, record: Self::Record) -> Result<(), String>;
    fn records_end(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Whether the change's `was` is wanted whole, as `Field::Was`. Else (as most sinks
    /// need none of it, and an import's may hold a million records) each of its records
    /// is read and checked as the whole read checks it, handed to `was_record`, and let
    /// go; `was_begin` says it is there.
    fn wants_was(&self) -> bool {
        false
    }
    fn was_begin(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn was_record(&mut self, _record: Record) -> Result<(), String> {
        Ok(())
    }
    /// The change was read whole and has every field it must have.
    fn end(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// Hands the complete lines of the journal `file`, `len` bytes long, to `sink`, and
/// returns how many bytes that was and their CRC-32. `None` when it does not read as a
/// journal (see `fold`) or the sink stopped it.
pub fn read(file: &File, len: u64, sink: &mut impl Sink) -> Option<(u64, u32)> {
    read_by(file, len, sink, BUFFER)
}

/// `read`, `buffer` bytes at a time to begin with.
fn read_by(file: &File, len: u64, sink: &mut impl Sink, buffer: usize) -> Option<(u64, u32)> {
    let complete_len = complete_len(file, len).ok()?;
    (&*file).seek(SeekFrom::Start(0)).ok()?;
    let (mut crc, mut read) = (crc32fast::Hasher::new(), 0);
    let mut input = Input::new(
        Crc {
            inner: file.take(complete_len),
            crc: &mut crc,
            read: &mut read,
        },
        buffer,
    );
    lines(&mut input, sink)?;
    drop(input);
    // Every byte up to `complete_len`, and no fewer (a file cut short meanwhile).
    if read != complete_len {
        return None;
    }
    Some((complete_len, crc.finalize()))
}

/// Hands the change on the journal line at `start..end` of `file` (its newline left
/// out) to `sink`, read as `read` reads each: for a command that goes through one
/// change, such as `undo`. `None` when it does not read or the sink stopped it.
pub fn read_line(file: &File, start: u64, end: u64, sink: &mut impl Sink) -> Option<()> {
    (&*file).seek(SeekFrom::Start(start)).ok()?;
    let line = file.take(end.checked_sub(start)?).chain(&b"\n"[..]);
    let mut input = Input::new(line, BUFFER.min((end - start + 1) as usize));
    change(&mut input, sink)?;
    input.next_line();
    input.byte().is_none().then_some(())
}

/// Hands the journal's lines, its format line first, to `sink`.
fn lines<R: Read>(input: &mut Input<R>, sink: &mut impl Sink) -> Option<()> {
    let header = input.header()?;
    if super::check_header(std::path::Path::new(""), Some(header)).is_err() {
        return None;
    }
    input.next_line();
    let mut number = 1;
    while let Some(first) = input.byte() {
        number += 1;
        if first != b'\n' {
            sink.line(number).ok()?;
            change(input, sink)?;
        }
        input.next_line();
    }
    Some(())
}

/// Bytes the journal is read by at a time.
const BUFFER: usize = 256 * 1024;

/// The longest format line read.
const HEADER: usize = 4096;

/// The journal as it is read: a window of its bytes, which grows to hold a value longer
/// than it. The line read from is one of the whole read's lines, the bytes up to its
/// newline: each value in it is read from a slice of them as the whole read reads it,
/// so nothing is read past the newline.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    /// The next byte to read, and the end of those in `buf`.
    at: usize,
    end: usize,
    /// Where the line's newline is in `buf` once found; until then, how far it was
    /// looked for.
    newline: Result<usize, usize>,
}

impl<R: Read> Punctuation for Input<R> {
    /// A newline is not white space here: it ends the line.
    fn peek(&mut self) -> Option<u8> {
        loop {
            match self.byte()? {
                b' ' | b'\t' | b'\r' => self.at += 1,
                byte => return Some(byte),
            }
        }
    }

    fn step(&mut self) {
        self.at += 1;
    }
}

impl<R: Read> Input<R> {
    fn new(inner: R, buffer: usize) -> Self {
        Input {
            inner,
            buf: vec![0; buffer.max(1)],
            at: 0,
            end: 0,
            newline: Err(0),
        }
    }

    /// Reads more of the file, keeping the bytes from `at` on (moved to the start of
    /// `buf`, which doubles when they fill it). False at the end of the file.
    fn more(&mut self) -> Option<bool> {
        let at = self.at;
        self.buf.copy_within(at..self.end, 0);
        (self.at, self.end) = (0, self.end - at);
        self.newline = match self.newline {
            Ok(newline) => Ok(newline - at),
            Err(looked) => Err(looked.max(at) - at),
        };
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let before = self.end;
        while self.end < self.buf.len() {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(n) => self.end += n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(self.end > before)
    }

    /// The line's end as far as it was read: its newline, or the end of `buf`; and
    /// whether that is its newline.
    fn line_end(&mut self) -> (usize, bool) {
        if let Err(looked) = self.newline {
            self.newline = memchr::memchr(b'\n', &self.buf[looked..self.end])
                .map(|at| looked + at)
                .ok_or(self.end);
        }
        match self.newline {
            Ok(newline) => (newline, true),
            Err(end) => (end, false),
        }
    }

    /// Goes past the line's newline, to the next line.
    fn next_line(&mut self) {
        self.at += 1;
        self.newline = Err(self.at);
    }

    /// The format line, without its newline; `None` past `HEADER` bytes.
    fn header(&mut self) -> Option<&[u8]> {
        loop {
            match self.line_end() {
                (newline, true) if newline < HEADER => {
                    self.at = newline;
                    return Some(&self.buf[..newline]);
                }
                (end, false) if end < HEADER && self.more()? => {}
                _ => return None,
            }
        }
    }

    /// The next byte, not taken; `None` at the end of the file.
    fn byte(&mut self) -> Option<u8> {
        if self.at == self.end && !self.more()? {
            return None;
        }
        Some(self.buf[self.at])
    }

    /// Takes what follows an item of a list or object that ends with `close`: a comma
    /// (true: another item follows) or `close` (false).
    fn after_item(&mut self, close: u8) -> Option<bool> {
        if self.take(b',')? {
            return Some(true);
        }
        self.eat(close).map(|()| false)
    }

    /// The next value of the line, read as `T` reads it. A value cut short by the end
    /// of what was read (it may not fail, or not as the whole line would have it) is
    /// read again once more is read; one found wrong before that end is not (more would
    /// not change that, and a damaged line of hundreds of megabytes is not held).
    fn value<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.value_skimmed(|_| None)
    }

    /// `value`, read by `skim` when it can (see `Sink::skim`).
    fn value_skimmed<T: DeserializeOwned>(
        &mut self,
        skim: impl Fn(&[u8]) -> Option<(T, usize)>,
    ) -> Option<T> {
        loop {
            let (end, whole) = self.line_end();
            let rest = &self.buf[self.at..end];
            let read = skim(rest).map(Ok).unwrap_or_else(|| {
                let mut values = serde_json::Deserializer::from_slice(rest).into_iter();
                match values.next() {
                    Some(Ok(value)) => Ok((value, values.byte_offset())),
                    Some(Err(err)) => Err(Some(err)),
                    None => Err(None),
                }
            });
            match read {
                // Something follows it (a number ends with what follows it).
                Ok((value, taken)) if taken < rest.len() => {
                    self.at += taken;
                    return Some(value);
                }
                // Wrong where serde_json looked no further than the byte after.
                Err(Some(err)) if !err.is_eof() && err.column() + 8 < rest.len() => return None,
                _ if whole => return None,
                _ => {}
            }
            if !self.more()? {
                return None;
            }
        }
    }
}

/// Where the journal's last complete line ends: after its last newline (of its first
/// `len` bytes), or 0. So also where the line that holds the byte before `len` begins.
/// Read backward in chunks, so a long line is never held whole.
pub(super) fn complete_len(mut file: &File, len: u64) -> std::io::Result<u64> {
    let mut end = len;
    let mut chunk = vec![0; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(at) = part.iter().rposition(|&b| b == b'\n') {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Hands bytes on, summing them up.
struct Crc<'a, R> {
    inner: R,
    crc: &'a mut crc32fast::Hasher,
    read: &'a mut u64,
}

impl<R: Read> Read for Crc<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        *self.read += n as u64;
        Ok(n)
    }
}

/// A field of a change, as its name is read (`Other`: one it does not have).
#[derive(Clone, Copy, PartialEq, Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Name {
    At,
    Seq,
    Command,
    Records,
    Undoes,
    Merged,
    Was,
    Follows,
    By,
    Id,
    #[serde(other)]
    Other,
}

/// Reads one line as `Change` reads it (the same fields, types and errors), handing
/// it to the sink as it is read.
fn change<R: Read>(input: &mut Input<R>, sink: &mut impl Sink) -> Option<()> {
    input.eat(b'{')?;
    let mut seen = [false; Name::Other as usize];
    let mut more = !input.take(b'}')?;
    while more {
        let name = input.value::<Name>()?;
        input.eat(b':')?;
        if name != Name::Other && std::mem::replace(&mut seen[name as usize], true) {
            // A field given twice.
            return None;
        }
        let field = match name {
            Name::At => Some(Field::At(input.value()?)),
            Name::Seq => Some(Field::Seq(input.value()?)),
            Name::Command => Some(Field::Command(input.value()?)),
            Name::Records => {
                records(input, sink)?;
                None
            }
            Name::Undoes => Some(Field::Undoes(input.value()?)),
            Name::Merged => Some(Field::Merged(input.value()?)),
            Name::Was if sink.wants_was() => Some(Field::Was(input.value()?)),
            Name::Was => {
                was(input, sink)?;
                None
            }
            Name::Follows => Some(Field::Follows(input.value()?)),
            Name::By => Some(Field::By(input.value()?)),
            Name::Id => Some(Field::Id(input.value()?)),
            Name::Other => {
                input.value::<IgnoredAny>()?;
                None
            }
        };
        if let Some(field) = field {
            sink.field(field).ok()?;
        }
        more = input.after_item(b'}')?;
    }
    let required = [Name::At, Name::Command, Name::Records, Name::Id];
    if input.peek()? != b'\n' || required.iter().any(|&name| !seen[name as usize]) {
        return None;
    }
    sink.end().ok()
}

/// A change's records, each handed on as soon as it is read.
fn records<R: Read, S: Sink>(input: &mut Input<R>, sink: &mut S) -> Option<()> {
    input.eat(b'[')?;
    sink.records_begin().ok()?;
    let mut more = !input.take(b']')?;
    while more {
        sink.record(input.value_skimmed(S::skim)?).ok()?;
        more = input.after_item(b']')?;
    }
    sink.records_end().ok()
}

/// A change's `was`, each of its records handed on as soon as it is read (see
/// `Sink::wants_was`).
fn was<R: Read, S: Sink>(input: &mut Input<R>, sink: &mut S) -> Option<()> {
    if input.peek()? == b'n' {
        return input.value::<()>();
    }
    input.eat(b'[')?;
    sink.was_begin().ok()?;
    let mut more = !input.take(b']')?;
    while more {
        sink.was_record(input.value()?).ok()?;
        more = input.after_item(b']')?;
    }
    Some(())
}

/// Folds each record into the state as it is read. Records read before the command (a
/// line whose fields were reordered by hand) wait for it, as whether they take effect
/// depends on it.
#[derive(Default)]
struct FoldSink {
    state: State,
    merge: Option<bool>,
    waiting: Vec<Record>,
    /// The only actions and follow-ups to fold, when not all.
    only: Option<HashSet<String>>,
}

impl Sink for FoldSink {
    type Record = Record;

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::Seq(seq) => self.state.note_seq(seq),
            Field::Command(command) => self.merge = Some(command == "merge"),
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), String> {
        let numbered = matches!(record, Record::Action(_) | Record::FollowUp(_));
        if numbered
            && self
                .only
                .as_ref()
                .is_some_and(|only| !only.contains(record.id()))
        {
            return Ok(());
        }
        match self.merge {
            Some(merge) => fold_record(&mut self.state, merge, record),
            None => self.waiting.push(record),
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        let merge = self.merge.take() == Some(true);
        for record in std::mem::take(&mut self.waiting) {
            fold_record(&mut self.state, merge, record);
        }
        Ok(())
    }
}

fn fold_record(state: &mut State, merge: bool, record: Record) {
    if super::journal::takes_effect(merge, &record, state) {
        state.insert(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use proptest::prelude::*;

    use crate::store::skim::samples::{self, Fields};

    fn folded(bytes: &[u8]) -> Option<Folded> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        fold(&file, bytes.len() as u64)
    }

    const HEADER: &str = "{\"format\":\"extramile-journal\",\"version\":1}\n";

    fn client(id: &str, name: &str) -> String {
        format!(
            r#"{{"type":"client","id":"{id}","name":"{name}","created":"2026-01-01T00:00:00Z"}}"#
        )
    }

    #[test]
    fn folds_as_the_whole_read_does_and_leaves_a_torn_line_out() {
        let journal = format!(
            "{HEADER}{{\"at\":\"2026-01-01T00:00:00Z\",\"seq\":3,\"command\":\"client\",\"records\":[{}],\"id\":\"c1\"}}\n\
             {{\"records\":[{}],\"command\":\"client\",\"id\":\"c2\",\"at\":\"2026-01-02T00:00:00Z\",\"extra\":1}}\n\
             {{\"at\":\"2026-01-03T00:00:00Z\",\"command\":\"client\",\"records\":[{}",
            client("a", "Acme"),
            client("a", "Acme Corp"),
            client("b", "Beta"),
        );
        let whole =
            super::super::parse_journal(std::path::Path::new("j"), journal.as_bytes(), false)
                .unwrap();
        let streamed = folded(journal.as_bytes()).unwrap();
        assert!(super::super::same_records(&whole.state, &streamed.state));
        assert_eq!(whole.state.next_seq(), streamed.state.next_seq());
        assert_eq!(streamed.state.clients["a"].name, "Acme Corp");
        let complete = journal.len() - whole.torn_bytes;
        assert_eq!(streamed.complete_len, complete as u64);
        assert_eq!(
            streamed.crc,
            crc32fast::hash(&journal.as_bytes()[..complete])
        );
    }

    #[test]
    fn gives_way_to_the_whole_read_on_anything_it_would_refuse() {
        let line = |fields: &str| format!("{HEADER}{{{fields}}}\n");
        let records = format!("\"records\":[{}]", client("a", "Acme"));
        for bad in [
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records}"
            )),
            line(&format!(
                "\"at\":\"not a time\",\"command\":\"c\",{records},\"id\":\"x\""
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},{records},\"id\":\"x\""
            )),
            format!("{HEADER}<<<<<<< ours\n"),
            "not a journal\n".to_string(),
            String::new(),
            // One change a line, as the whole read takes them: not two on one line, not
            // one spread over two, and no line of spaces.
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},\"id\":\"x\"}} {{\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},\"id\":\"y\""
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",\n{records},\"id\":\"x\""
            )),
            format!("{HEADER} \n"),
            // JSON as the whole read would not take it: a list or an object not closed
            // as it was opened, a comma too many, a name without its colon.
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",\"id\":\"x\",\"records\":[{} ",
                client("a", "Acme")
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",\"id\":\"x\",\"records\":[{},]",
                client("a", "Acme")
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},\"id\":\"x\","
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},\"id\" \"x\""
            )),
            line(&format!(
                "\"at\":\"2026-01-01T00:00:00Z\",\"command\":\"c\",{records},\"id\":\"x\"]"
            )),
        ] {
            assert!(folded(bad.as_bytes()).is_none(), "{bad}");
            assert!(
                super::super::parse_journal(std::path::Path::new("j"), bad.as_bytes(), false)
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_line_found_damaged_is_read_no_further() {
        let record = client("a", "Acme");
        let records = vec![record.as_str(); 3000].join(",");
        let at = "\"at\":\"2026-01-01T00:00:00Z\"";
        for damaged in [
            format!("{at},\"seq\":x,\"records\":[{records}]"),
            format!("\"at\":\"not a time\",\"records\":[{records}]"),
            format!("{at},\"records\":[{{\"type\":\"client\",\"id\":5}},{records}]"),
        ] {
            let line = format!("{HEADER}{{{damaged},\"command\":\"c\",\"id\":\"x\"}}\n");
            let mut input = Input::new(line.as_bytes(), 64);
            assert!(lines(&mut input, &mut FoldSink::default()).is_none());
            let read = line.len() - input.inner.len();
            assert!(read < 1024, "{read} bytes read of {}", &damaged[..40]);
        }
    }

    /// Collects what it reads of each record, skimming it or not.
    #[derive(Default)]
    struct Collect<const SKIM: bool>(Vec<Fields>);

    impl<const SKIM: bool> Sink for Collect<SKIM> {
        type Record = Fields;

        fn skim(bytes: &[u8]) -> Option<(Fields, usize)> {
            Fields::skimmed(bytes).filter(|_| SKIM)
        }

        fn record(&mut self, record: Fields) -> Result<(), String> {
            self.0.push(record);
            Ok(())
        }
    }

    /// A record extramile writes, at times with a field it does not know, of any value;
    /// or one of a few fields that may not read as a record.
    fn record() -> impl Strategy<Value = String> {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap();
        let mut written: Vec<String> = crate::demo::records(now)
            .iter()
            .map(|record| serde_json::to_string(record).unwrap())
            .collect();
        written.truncate(40);
        written.push(r#"{"type":"deleted","id":"c1","num":3}"#.into());
        prop_oneof![
            12 => (
                prop::sample::select(written),
                prop::option::of((samples::string(), samples::value())),
            )
                .prop_map(|(json, extra)| match extra {
                    Some((name, value)) => json.replacen('{', &format!("{{{name}:{value},"), 1),
                    None => json,
                }),
            1 => samples::record(),
        ]
    }

    /// A line of the journal: a change of a few records, its fields at times in
    /// another order or with one it does not know, as a hand edit may leave it (see
    /// `samples::edit`; and at times a bracket, brace, comma or colon changed for
    /// another), with a line end of `\r\n` at times.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let commands = prop::sample::select(vec!["log", "edit", "merge"]);
        let fields = (
            prop::collection::vec(record(), 0..4),
            0u64..5,
            commands,
            prop::option::of(samples::value()),
            0usize..5,
        );
        let structural = prop::option::weighted(
            0.15,
            (
                any::<prop::sample::Index>(),
                prop::sample::select(b"{}[],: ".to_vec()),
            ),
        );
        (fields, samples::edit(0.1), structural, any::<bool>()).prop_map(
            |((records, seq, command, extra, turn), edit, structural, crlf)| {
                let mut fields = vec![
                    format!("\"at\":\"2026-01-0{}T00:00:00Z\"", seq + 1),
                    format!("\"seq\":{}", seq * 1_000_003),
                    format!("\"command\":\"{command}\""),
                    format!("\"records\":[{}]", records.join(",")),
                    format!("\"id\":\"k{seq}\""),
                ];
                fields.rotate_left(turn);
                fields.extend(extra.map(|value| format!("\"x\":{value}")));
                let mut line = samples::edited(&format!("{{{}}}", fields.join(",")), edit);
                let places: Vec<usize> = (0..line.len())
                    .filter(|&at| b"{}[],:".contains(&line[at]))
                    .collect();
                if let Some((place, byte)) = structural.filter(|_| !places.is_empty()) {
                    line[places[place.index(places.len())]] = byte;
                }
                if crlf {
                    line.push(b'\r');
                }
                line.push(b'\n');
                line
            },
        )
    }

    proptest! {
        /// Read by any buffer, however small (so that values straddle its ends), a
        /// journal reads as the whole read reads it; and skimming records reads them
        /// as deserializing them does.
        #[test]
        fn a_journal_reads_as_the_whole_read_reads_it_by_any_buffer(
            lines in prop::collection::vec(line(), 0..5),
            empty in any::<prop::sample::Index>(),
            cut in prop::option::weighted(0.2, any::<prop::sample::Index>()),
            buffer in 1usize..100,
        ) {
            let mut bytes = HEADER.as_bytes().to_vec();
            for (index, line) in lines.iter().enumerate() {
                if index == empty.index(lines.len()) {
                    bytes.push(b'\n');
                }
                bytes.extend_from_slice(line);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            let whole = super::super::parse_journal(std::path::Path::new("j"), &bytes, false);
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            let len = bytes.len() as u64;
            let mut sink = FoldSink::default();
            let read = read_by(&file, len, &mut sink, buffer);
            prop_assert_eq!(read.is_some(), whole.is_ok(), "{}", String::from_utf8_lossy(&bytes));
            if let (Some((complete_len, crc)), Ok(whole)) = (read, whole) {
                prop_assert!(super::super::same_records(&whole.state, &sink.state));
                prop_assert_eq!(whole.state.next_seq(), sink.state.next_seq());
                prop_assert_eq!(complete_len as usize, bytes.len() - whole.torn_bytes);
                prop_assert_eq!(crc, crc32fast::hash(&bytes[..complete_len as usize]));
            }
            let (mut skimming, mut reading) = (Collect::<true>::default(), Collect::<false>::default());
            prop_assert_eq!(
                read_by(&file, len, &mut skimming, buffer),
                read_by(&file, len, &mut reading, buffer)
            );
            prop_assert_eq!(skimming.0, reading.0);
        }
    }
}
