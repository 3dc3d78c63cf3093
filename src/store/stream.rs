//! Reading a journal file change by change as it is read: neither the file nor a line
//! is ever held whole (one `import` of a million records is one line). Each line is one
//! change, read as the whole read takes it (an empty line is passed over; two changes
//! on one line, or one spread over two, do not read). A `Sink` is handed each change's
//! line number, then its fields and records in the order of the line; folding into
//! state is one sink, `newest`, `compact` and `check` have others.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use chrono::{DateTime, FixedOffset};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, Deserializer};

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

/// A field of a change other than its records, as read (the same types as `Change`;
/// what no sink needs is checked and left out).
pub enum Field {
    At(DateTime<FixedOffset>),
    Seq(u64),
    Command(String),
    Undoes(Option<String>),
    Merged,
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
    let complete_len = complete_len(file, len).ok()?;
    (&*file).seek(SeekFrom::Start(0)).ok()?;
    let (mut crc, mut read) = (crc32fast::Hasher::new(), 0);
    let mut reader = BufReader::with_capacity(
        256 * 1024,
        Crc {
            inner: file.take(complete_len),
            crc: &mut crc,
            read: &mut read,
        },
    );
    let mut header = Vec::new();
    (&mut reader)
        .take(4096)
        .read_until(b'\n', &mut header)
        .ok()?;
    if header.pop() != Some(b'\n')
        || super::check_header(std::path::Path::new(""), Some(&header)).is_err()
    {
        return None;
    }
    let mut number = 1;
    while let Some(&first) = reader.fill_buf().ok()?.first() {
        number += 1;
        if first == b'\n' {
            reader.consume(1);
            continue;
        }
        sink.line(number).ok()?;
        // A `BufReader` of its own, which `io::Bytes` reads a byte at a time without a
        // call each: it is filled from the line alone, so nothing past it is lost.
        let line = BufReader::with_capacity(LINE_BUFFER, Line(&mut reader));
        let mut de = serde_json::Deserializer::from_reader(line);
        ReadChange { sink: &mut *sink }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        drop(de);
        reader.consume(1);
    }
    drop(reader);
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
    let line = BufReader::with_capacity(256 * 1024, file.take(end.checked_sub(start)?));
    let mut de = serde_json::Deserializer::from_reader(line);
    ReadChange { sink }.deserialize(&mut de).ok()?;
    de.end().ok()
}

/// Bytes a line is read by at a time.
const LINE_BUFFER: usize = 1024;

/// What is left of the current line: its bytes up to the newline, which is left unread.
struct Line<'r, R>(&'r mut R);

impl<R: BufRead> Read for Line<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buffered = self.0.fill_buf()?;
        let most = buffered.len().min(out.len());
        let n = buffered[..most]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(most);
        out[..n].copy_from_slice(&buffered[..n]);
        self.0.consume(n);
        Ok(n)
    }
}

/// Where the journal's last complete line ends: after its last newline.
fn complete_len(mut file: &File, len: u64) -> std::io::Result<u64> {
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

/// One line of the journal, read as `Change` reads it (the same fields, types and
/// errors), handed to the sink as it is read.
struct ReadChange<'s, S> {
    sink: &'s mut S,
}

#[derive(Deserialize)]
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

impl<'de, S: Sink> DeserializeSeed<'de> for ReadChange<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for ReadChange<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = [false; 10];
        while let Some(name) = map.next_key::<Name>()? {
            let (index, text) = match name {
                Name::At => (0, "at"),
                Name::Seq => (1, "seq"),
                Name::Command => (2, "command"),
                Name::Records => (3, "records"),
                Name::Undoes => (4, "undoes"),
                Name::Merged => (5, "merged"),
                Name::Was => (6, "was"),
                Name::Follows => (7, "follows"),
                Name::By => (8, "by"),
                Name::Id => (9, "id"),
                Name::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(de::Error::duplicate_field(text));
            }
            let field = match name {
                Name::At => Field::At(map.next_value()?),
                Name::Seq => Field::Seq(map.next_value()?),
                Name::Command => Field::Command(map.next_value()?),
                Name::Records => {
                    map.next_value_seed(ReadRecords {
                        sink: &mut *self.sink,
                    })?;
                    continue;
                }
                Name::Undoes => Field::Undoes(map.next_value()?),
                Name::Merged => {
                    map.next_value::<Vec<String>>()?;
                    Field::Merged
                }
                Name::Was if self.sink.wants_was() => Field::Was(map.next_value()?),
                Name::Was => {
                    map.next_value_seed(ReadWas {
                        sink: &mut *self.sink,
                    })?;
                    continue;
                }
                Name::Follows => Field::Follows(map.next_value()?),
                Name::By => Field::By(map.next_value()?),
                Name::Id => Field::Id(map.next_value()?),
                Name::Other => unreachable!(),
            };
            self.sink.field(field).map_err(de::Error::custom)?;
        }
        for (index, text) in [(0, "at"), (2, "command"), (3, "records"), (9, "id")] {
            if !seen[index] {
                return Err(de::Error::missing_field(text));
            }
        }
        self.sink.end().map_err(de::Error::custom)
    }
}

/// A change's records, each handed on as soon as it is read.
struct ReadRecords<'s, S> {
    sink: &'s mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for ReadRecords<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for ReadRecords<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.sink.records_begin().map_err(de::Error::custom)?;
        while let Some(record) = seq.next_element::<S::Record>()? {
            self.sink.record(record).map_err(de::Error::custom)?;
        }
        self.sink.records_end().map_err(de::Error::custom)
    }
}

/// A change's `was`, each of its records handed on as soon as it is read (see
/// `Sink::wants_was`).
struct ReadWas<'s, S> {
    sink: &'s mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for ReadWas<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for ReadWas<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of records or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.sink.was_begin().map_err(de::Error::custom)?;
        while let Some(record) = seq.next_element::<Record>()? {
            self.sink.was_record(record).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// Folds each record into the state as it is read. Records read before the command (a
/// line whose fields were reordered by hand) wait for it, as whether they take effect
/// depends on it.
#[derive(Default)]
struct FoldSink {
    state: State,
    merge: Option<bool>,
    waiting: Vec<Record>,
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
        ] {
            assert!(folded(bad.as_bytes()).is_none(), "{bad}");
            assert!(
                super::super::parse_journal(std::path::Path::new("j"), bad.as_bytes(), false)
                    .is_err(),
                "{bad}"
            );
        }
    }
}
