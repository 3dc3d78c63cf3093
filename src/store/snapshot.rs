//! A derived snapshot of the current state beside the journal, so commands need not
//! parse the whole history. It records how many journal bytes it covers and a copy of
//! the journal's format line and of the bytes just before that point (each journal line
//! ends with its change's unique id), and is used only when those still match the
//! journal; otherwise the journal is read whole and the snapshot rewritten. It is
//! never trusted over the journal and can be deleted at any time.
//!
//! The format is a compact binary one: a small head (clients, the highest short
//! number) that `log` reads alone, then every action and follow-up.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::model::{Action, Client, FollowUp, Kind, Status};
use crate::state::State;

const MAGIC: &[u8; 8] = b"EXMSNAP\x01";
/// Bytes of the journal, ending where the snapshot stops, kept to recognise it.
pub const TAIL: usize = 64;

/// Where a snapshot stands against its journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Journal bytes covered: the snapshot is the state after them.
    pub covers: u64,
    /// The journal's format line, newline included.
    pub header: Vec<u8>,
    /// The (up to) `TAIL` journal bytes ending at `covers`.
    pub tail: Vec<u8>,
}

pub fn encode(mark: &Mark, state: &State) -> Vec<u8> {
    let mut head = Writer::default();
    head.u64(mark.covers);
    head.bytes(&mark.header);
    head.bytes(&mark.tail);
    head.u64(state.max_num());
    let clients = state.clients_by_name();
    head.u32(clients.len() as u32);
    for c in &clients {
        head.str(&c.id);
        head.str(&c.name);
        head.opt_str(c.tier.as_deref());
        head.u32(c.cadence_days.map_or(u32::MAX, |d| d));
        head.time(c.created);
    }
    let mut body = Writer::default();
    body.u32(state.actions.len() as u32);
    for a in state.actions.values() {
        body.str(&a.id);
        body.u64(a.num);
        body.str(&a.client);
        body.u8(Kind::ALL.iter().position(|k| *k == a.kind).unwrap_or(5) as u8);
        body.time(a.at);
        body.str(&a.text);
        body.u32(a.tags.len() as u32);
        for tag in &a.tags {
            body.str(tag);
        }
    }
    body.u32(state.follow_ups.len() as u32);
    for f in state.follow_ups.values() {
        body.str(&f.id);
        body.u64(f.num);
        body.str(&f.client);
        body.str(&f.text);
        body.i64(i64::from(chrono::Datelike::num_days_from_ce(&f.due)));
        body.u8(match f.status {
            Status::Open => 0,
            Status::Done => 1,
            Status::Cancelled => 2,
        });
        body.time(f.created);
        body.u8(u8::from(f.closed_at.is_some()));
        if let Some(at) = f.closed_at {
            body.time(at);
        }
        body.u32(f.snoozes);
        body.opt_str(f.action.as_deref());
    }
    let mut out = Vec::with_capacity(16 + head.0.len() + body.0.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(head.0.len() as u64).to_le_bytes());
    out.extend(head.0);
    out.extend(body.0);
    out
}

/// Reads a snapshot file: the head alone (`full` false: clients and the highest short
/// number) or everything. `None` for a missing, foreign or damaged file.
pub fn read(path: &Path, full: bool) -> Option<(Mark, State)> {
    let mut file = File::open(path).ok()?;
    let mut start = [0u8; 16];
    file.read_exact(&mut start).ok()?;
    if &start[..8] != MAGIC {
        return None;
    }
    let head_len = usize::try_from(u64::from_le_bytes(start[8..16].try_into().ok()?)).ok()?;
    let mut bytes = Vec::new();
    if full {
        file.read_to_end(&mut bytes).ok()?;
    } else {
        bytes.resize(head_len.min(64 << 20), 0);
        file.read_exact(&mut bytes).ok()?;
    }
    let mut r = Reader { bytes: &bytes, at: 0 };
    let mark = Mark { covers: r.u64()?, header: r.bytes()?.to_vec(), tail: r.bytes()?.to_vec() };
    let mut state = State::default();
    state.note_num(r.u64()?);
    for _ in 0..r.u32()? {
        let client = Client {
            id: r.string()?,
            name: r.string()?,
            tier: r.opt_string()?,
            cadence_days: Some(r.u32()?).filter(|d| *d != u32::MAX),
            created: r.time()?,
        };
        state.clients.insert(client.id.clone(), client);
    }
    if r.at != head_len {
        return None;
    }
    if !full {
        return Some((mark, state));
    }
    let actions = r.u32()? as usize;
    state.actions.reserve(actions.min(bytes.len() / 32));
    for _ in 0..actions {
        let id = r.string()?;
        let num = r.u64()?;
        let client = r.string()?;
        let kind = *Kind::ALL.get(usize::from(r.u8()?))?;
        let at = r.time()?;
        let text = r.string()?;
        let tags = (0..r.u32()?).map(|_| r.string()).collect::<Option<Vec<_>>>()?;
        state.actions.insert(id.clone(), Action { id, num, client, kind, text, at, tags });
    }
    let follow_ups = r.u32()? as usize;
    state.follow_ups.reserve(follow_ups.min(bytes.len() / 32));
    for _ in 0..follow_ups {
        let id = r.string()?;
        let num = r.u64()?;
        let client = r.string()?;
        let text = r.string()?;
        let due = NaiveDate::from_num_days_from_ce_opt(i32::try_from(r.i64()?).ok()?)?;
        let status = [Status::Open, Status::Done, Status::Cancelled].get(usize::from(r.u8()?)).copied()?;
        let created = r.time()?;
        let closed_at = if r.u8()? == 1 { Some(r.time()?) } else { None };
        let snoozes = r.u32()?;
        let action = r.opt_string()?;
        let f = FollowUp { id: id.clone(), num, client, text, due, status, created, closed_at, snoozes, action };
        state.follow_ups.insert(id, f);
    }
    (r.at == bytes.len()).then_some((mark, state))
}

/// Whether `mark` still describes the journal: same format line, long enough, and the
/// same bytes just before the point it covers.
pub fn matches(mark: &Mark, journal: &mut File, journal_len: u64) -> bool {
    let tail_len = mark.tail.len() as u64;
    if mark.covers > journal_len || tail_len > mark.covers || mark.header.is_empty() {
        return false;
    }
    let mut header = vec![0; mark.header.len()];
    let mut tail = vec![0; mark.tail.len()];
    let read = journal.seek(SeekFrom::Start(0)).and_then(|_| journal.read_exact(&mut header)).and_then(|()| {
        journal.seek(SeekFrom::Start(mark.covers - tail_len)).and_then(|_| journal.read_exact(&mut tail))
    });
    read.is_ok() && header == mark.header && tail == mark.tail
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.str(v);
            }
            None => self.u8(0),
        }
    }
    fn time(&mut self, at: DateTime<FixedOffset>) {
        self.i64(at.timestamp());
        self.u32(at.timestamp_subsec_nanos());
        self.i64(i64::from(at.offset().local_minus_utc()));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8).map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_string)
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.string().map(Some),
            _ => None,
        }
    }
    fn time(&mut self) -> Option<DateTime<FixedOffset>> {
        let (secs, nanos, offset) = (self.i64()?, self.u32()?, self.i64()?);
        let offset = FixedOffset::east_opt(i32::try_from(offset).ok()?)?;
        Some(DateTime::from_timestamp(secs, nanos)?.with_timezone(&offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;

    #[test]
    fn a_state_round_trips_and_a_damaged_file_reads_as_none() {
        let mut state = State::default();
        for record in crate::demo::records(DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()) {
            state.insert(record);
        }
        state.insert(Record::Deleted { id: "demo-action-3".into() });
        let mark = Mark { covers: 1234, header: b"{\"format\"}\n".to_vec(), tail: b"xyz\n".to_vec() };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let bytes = encode(&mark, &state);
        std::fs::write(&path, &bytes).unwrap();
        let (read_mark, read_state) = read(&path, true).unwrap();
        assert_eq!(read_mark, mark);
        assert_eq!(read_state.clients, state.clients);
        assert_eq!(read_state.actions, state.actions);
        assert_eq!(read_state.follow_ups, state.follow_ups);
        assert_eq!(read_state.next_num(), state.next_num());
        let (_, head) = read(&path, false).unwrap();
        assert_eq!((&head.clients, head.actions.len(), head.next_num()), (&state.clients, 0, state.next_num()));
        for cut in [0, 10, 17, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(read(&path, true).is_none(), "cut at {cut}");
        }
    }
}
