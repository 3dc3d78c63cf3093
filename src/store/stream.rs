//! Folding a journal file into state as it is read: neither the file nor a line is
//! ever held whole (one `import` of a million records is one line), so a whole read
//! costs the state it builds, not the journal's length on top.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use chrono::{DateTime, FixedOffset};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    let mut state = State::default();
    // By value: `io::Bytes` reads a `BufReader` a byte at a time without a call each.
    let mut de = serde_json::Deserializer::from_reader(reader);
    while de.end().is_err() {
        FoldChange { state: &mut state }.deserialize(&mut de).ok()?;
    }
    drop(de);
    // Every byte up to `complete_len`, and no fewer (a file cut short meanwhile).
    if read != complete_len {
        return None;
    }
    let crc = crc.finalize();
    Some(Folded {
        state,
        complete_len,
        crc,
    })
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
/// errors) but with its records folded into the state one by one as they are read.
struct FoldChange<'s> {
    state: &'s mut State,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
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

impl<'de> DeserializeSeed<'de> for FoldChange<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FoldChange<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = [false; 10];
        let mut command: Option<String> = None;
        // Records read before the command (a line whose fields were reordered by
        // hand) wait for it, as whether they take effect depends on it.
        let mut waiting: Option<Vec<Record>> = None;
        while let Some(field) = map.next_key::<Field>()? {
            let (index, name) = match field {
                Field::At => (0, "at"),
                Field::Seq => (1, "seq"),
                Field::Command => (2, "command"),
                Field::Records => (3, "records"),
                Field::Undoes => (4, "undoes"),
                Field::Merged => (5, "merged"),
                Field::Was => (6, "was"),
                Field::Follows => (7, "follows"),
                Field::By => (8, "by"),
                Field::Id => (9, "id"),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(de::Error::duplicate_field(name));
            }
            match field {
                Field::At => drop(map.next_value::<DateTime<FixedOffset>>()?),
                Field::Seq => self.state.note_seq(map.next_value()?),
                Field::Command => command = Some(map.next_value()?),
                Field::Records => match &command {
                    Some(command) => {
                        map.next_value_seed(FoldRecords {
                            state: self.state,
                            merge: command == "merge",
                        })?;
                    }
                    None => waiting = Some(map.next_value()?),
                },
                Field::Undoes | Field::By => drop(map.next_value::<Option<String>>()?),
                Field::Merged => drop(map.next_value::<Vec<String>>()?),
                Field::Was => drop(map.next_value::<Option<Vec<Record>>>()?),
                Field::Follows => drop(map.next_value::<Option<(u64, u32)>>()?),
                Field::Id => drop(map.next_value::<String>()?),
                Field::Other => unreachable!(),
            }
        }
        for (index, name) in [(0, "at"), (2, "command"), (3, "records"), (9, "id")] {
            if !seen[index] {
                return Err(de::Error::missing_field(name));
            }
        }
        if let (Some(records), Some(command)) = (waiting, command) {
            let merge = command == "merge";
            for record in records {
                fold_record(self.state, merge, record);
            }
        }
        Ok(())
    }
}

/// A change's records, each folded in as soon as it is read.
struct FoldRecords<'s> {
    state: &'s mut State,
    merge: bool,
}

impl<'de> DeserializeSeed<'de> for FoldRecords<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FoldRecords<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Record>()? {
            fold_record(self.state, self.merge, record);
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
