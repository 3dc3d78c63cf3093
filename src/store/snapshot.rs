//! A derived snapshot of the current state beside the journal, so commands need not
//! parse the whole history. It records how many journal bytes it covers and a copy of
//! the journal's format line and of the bytes just before that point (each journal line
//! ends with its change's unique id), and is used only when those still match the
//! journal; otherwise the journal is read whole and the snapshot rewritten. It is
//! never trusted over the journal and can be deleted at any time.
//!
//! The format is a compact binary one: a small head (clients, the highest short
//! number, each client's action count and last touch) that `log` reads alone; then the
//! open follow-ups; then indexes of the closed follow-ups (by when they closed) and of
//! the actions (by their time), each entry a time and a byte offset; then those
//! records. A report reads the head, the open follow-ups and the indexes, and decodes
//! only the records of the weeks it shows.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::model::{Action, Client, FollowUp, Kind, Status};
use crate::state::{ActionIndex, Activity, State};

const MAGIC: &[u8; 8] = b"EXMSNAP\x03";
/// The magic, the head's length, and where the indexed records start.
const PREFIX: usize = 24;
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
    /// The journal's modification time (nanoseconds since the epoch) when it was
    /// exactly `covers` long: a journal of that length modified since was rewritten.
    pub modified: u128,
}

/// How much of a snapshot to read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// Clients, the highest short number, and per-client action counts.
    Head,
    /// The head, the follow-ups open or closed since `from`, the time of every action,
    /// and the actions whose time (Unix seconds) falls in `from..to`.
    Window(i64, i64),
    /// Everything.
    All,
}

pub fn encode(mark: &Mark, state: &State) -> Vec<u8> {
    let mut head = Writer::default();
    head.u64(mark.covers);
    head.bytes(&mark.header);
    head.bytes(&mark.tail);
    head.u64((mark.modified >> 64) as u64);
    head.u64(mark.modified as u64);
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
    let activity = state.client_activity(DateTime::<FixedOffset>::MAX_UTC.fixed_offset());
    head.u32(activity.len() as u32);
    for (client, (count, last)) in &activity {
        head.str(client);
        head.u64(*count as u64);
        head.time(last.unwrap_or_default());
    }

    let mut body = Writer::default();
    let open: Vec<&FollowUp> = state
        .follow_ups
        .values()
        .filter(|f| f.closed_at.is_none())
        .collect();
    body.u32(open.len() as u32);
    for f in open {
        body.follow_up(f);
    }
    let mut closed: Vec<(i64, &FollowUp)> = state
        .follow_ups
        .values()
        .filter_map(|f| Some((f.closed_at?.timestamp(), f)))
        .collect();
    closed.sort_by_key(|(at, f)| (*at, f.num));
    let closed = body.timed(&closed, Writer::follow_up);
    let mut actions: Vec<(i64, &Action)> = state
        .actions
        .values()
        .map(|a| (a.at.timestamp(), a))
        .collect();
    actions.sort_by_key(|(at, a)| (*at, a.num));
    let actions = body.timed(&actions, Writer::action);

    let records_at = PREFIX + head.0.len() + body.0.len();
    let mut out = Vec::with_capacity(records_at + closed.len() + actions.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(head.0.len() as u64).to_le_bytes());
    out.extend_from_slice(&(records_at as u64).to_le_bytes());
    out.extend(head.0);
    out.extend(body.0);
    out.extend(closed);
    out.extend(actions);
    out
}

/// Reads a snapshot file, as much as `part` asks for. `None` for a missing, foreign or
/// damaged file.
pub fn read(path: &Path, part: Part, client: Option<&str>) -> Option<(Mark, State)> {
    let mut file = File::open(path).ok()?;
    let mut start = [0u8; PREFIX];
    file.read_exact(&mut start).ok()?;
    if &start[..8] != MAGIC {
        return None;
    }
    let number =
        |at: usize| usize::try_from(u64::from_le_bytes(start[at..at + 8].try_into().ok()?)).ok();
    let (head_len, records_at) = (number(8)?, number(16)?);
    // The head alone for `log`; else all up to the records, then the records asked for.
    let wanted = if part == Part::Head {
        head_len
    } else {
        records_at.checked_sub(PREFIX)?
    };
    let mut bytes = vec![0; wanted.min(1 << 30)];
    file.read_exact(&mut bytes).ok()?;
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    let (covers, header, tail) = (r.u64()?, r.bytes()?.to_vec(), r.bytes()?.to_vec());
    let modified = (u128::from(r.u64()?) << 64) | u128::from(r.u64()?);
    let mark = Mark {
        covers,
        header,
        tail,
        modified,
    };
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
    let mut index = ActionIndex::default();
    for _ in 0..r.u32()? {
        let (client, count, last) = (r.string()?, r.u64()? as usize, r.time()?);
        index.activity.insert(client, Activity { count, last });
    }
    if r.at != head_len {
        return None;
    }
    if part == Part::Head {
        return Some((mark, state));
    }
    for _ in 0..r.u32()? {
        let f = r.follow_up()?;
        state.follow_ups.insert(f.id.clone(), f);
    }
    let closed = r.timed()?;
    let actions = r.timed()?;
    if r.at != bytes.len() {
        return None;
    }
    // A window needs the follow-ups closed since it began (done in it, or still open
    // at its end) and the actions in it.
    let (closed_range, action_range) = match part {
        Part::Window(from, to) => (closed.select(from, i64::MAX), actions.select(from, to)),
        _ => (0..closed.len(), 0..actions.len()),
    };
    for f in closed.read(&mut file, records_at, closed_range, |r, _| {
        r.follow_up().map(Some)
    })? {
        state.follow_ups.insert(f.id.clone(), f);
    }
    let actions_at = records_at.checked_add(closed.bytes())?;
    let only = client.filter(|_| part != Part::All);
    let decoded = actions.read(&mut file, actions_at, action_range, |r, end| {
        r.action_of(only, end)
    })?;
    state.actions.reserve(decoded.len());
    for a in decoded {
        state.actions.insert(a.id.clone(), a);
    }
    if part == Part::All && file.read(&mut [0]).ok()? != 0 {
        return None;
    }
    if part != Part::All {
        index.instants = actions.instants;
        state.all_actions = Some(index);
    }
    Some((mark, state))
}

/// The index of records sorted by a time: each one's time and place.
struct Timed {
    instants: Vec<i64>,
    /// One more than the records: the last is where they end.
    places: Vec<usize>,
}

impl Timed {
    fn len(&self) -> usize {
        self.instants.len()
    }

    fn bytes(&self) -> usize {
        self.places.last().copied().unwrap_or(0)
    }

    /// The records timed in `from..to`.
    fn select(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        self.instants.partition_point(|&at| at < from)..self.instants.partition_point(|&at| at < to)
    }

    /// Reads the records in `range` from the section starting at `at`, decoding each
    /// (given where it ends) into `Some(record)`, or `Some(None)` to pass over it.
    fn read<T>(
        &self,
        file: &mut File,
        at: usize,
        range: std::ops::Range<usize>,
        decode: impl Fn(&mut Reader<'_>, usize) -> Option<Option<T>>,
    ) -> Option<Vec<T>> {
        let (from, to) = (*self.places.get(range.start)?, *self.places.get(range.end)?);
        let mut bytes = vec![0; to.checked_sub(from)?.min(1 << 30)];
        file.seek(SeekFrom::Start(at.checked_add(from)? as u64))
            .ok()?;
        file.read_exact(&mut bytes).ok()?;
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        let mut out = Vec::with_capacity(range.len());
        for pair in self.places[range.start..=range.end].windows(2) {
            if r.at != pair[0] - from {
                return None;
            }
            out.extend(decode(&mut r, pair[1].checked_sub(from)?)?);
        }
        (r.at == bytes.len()).then_some(out)
    }
}

/// Whether `mark` still describes the journal: same format line, long enough, and the
/// same bytes just before the point it covers.
pub fn matches(mark: &Mark, journal: &mut File, journal_len: u64) -> bool {
    let tail_len = mark.tail.len() as u64;
    if mark.covers > journal_len || tail_len > mark.covers || mark.header.is_empty() {
        return false;
    }
    // Not appended to since: then not modified at all since.
    if journal_len == mark.covers
        && journal.metadata().ok().and_then(|m| modified(&m)) != Some(mark.modified)
    {
        return false;
    }
    let mut header = vec![0; mark.header.len()];
    let mut tail = vec![0; mark.tail.len()];
    let read = journal
        .seek(SeekFrom::Start(0))
        .and_then(|_| journal.read_exact(&mut header))
        .and_then(|()| {
            journal
                .seek(SeekFrom::Start(mark.covers - tail_len))
                .and_then(|_| journal.read_exact(&mut tail))
        });
    read.is_ok() && header == mark.header && tail == mark.tail
}

/// A file's modification time in nanoseconds since the epoch.
pub fn modified(metadata: &std::fs::Metadata) -> Option<u128> {
    let time = metadata.modified().ok()?;
    Some(time.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos())
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    /// Writes the index of `records` (sorted by their time) here, and returns the
    /// records themselves, encoded, to be placed after all indexes.
    fn timed<T>(&mut self, records: &[(i64, &T)], encode: impl Fn(&mut Writer, &T)) -> Vec<u8> {
        let mut out = Writer::default();
        self.u32(records.len() as u32);
        for (at, _) in records {
            self.i64(*at);
        }
        for (_, record) in records {
            self.u64(out.0.len() as u64);
            encode(&mut out, record);
        }
        self.u64(out.0.len() as u64);
        out.0
    }

    fn action(&mut self, a: &Action) {
        self.str(&a.id);
        self.u64(a.num);
        self.str(&a.client);
        self.u8(Kind::ALL.iter().position(|k| *k == a.kind).unwrap_or(5) as u8);
        self.time(a.at);
        self.str(&a.text);
        self.u32(a.tags.len() as u32);
        for tag in &a.tags {
            self.str(tag);
        }
    }

    fn follow_up(&mut self, f: &FollowUp) {
        self.str(&f.id);
        self.u64(f.num);
        self.str(&f.client);
        self.str(&f.text);
        self.i64(i64::from(chrono::Datelike::num_days_from_ce(&f.due)));
        self.u8(match f.status {
            Status::Open => 0,
            Status::Done => 1,
            Status::Cancelled => 2,
        });
        self.time(f.created);
        self.u8(u8::from(f.closed_at.is_some()));
        if let Some(at) = f.closed_at {
            self.time(at);
        }
        self.u32(f.snoozes);
        self.opt_str(f.action.as_deref());
    }

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
    fn timed(&mut self) -> Option<Timed> {
        let n = self.u32()? as usize;
        let instants = (0..n).map(|_| self.i64()).collect::<Option<Vec<_>>>()?;
        let places = (0..=n)
            .map(|_| self.u64().and_then(|p| usize::try_from(p).ok()))
            .collect::<Option<Vec<_>>>()?;
        places.is_sorted().then_some(Timed { instants, places })
    }

    /// The action here if it is `client`'s (or any, without one); else skips to `end`.
    fn action_of(&mut self, client: Option<&str>, end: usize) -> Option<Option<Action>> {
        if let Some(client) = client {
            let start = self.at;
            let (_, _, owner) = (self.bytes()?, self.u64()?, self.bytes()?);
            if owner != client.as_bytes() {
                self.at = end;
                return Some(None);
            }
            self.at = start;
        }
        self.action().map(Some)
    }

    fn action(&mut self) -> Option<Action> {
        let id = self.string()?;
        let num = self.u64()?;
        let client = self.string()?;
        let kind = *Kind::ALL.get(usize::from(self.u8()?))?;
        let at = self.time()?;
        let text = self.string()?;
        let tags = (0..self.u32()?)
            .map(|_| self.string())
            .collect::<Option<Vec<_>>>()?;
        Some(Action {
            id,
            num,
            client,
            kind,
            text,
            at,
            tags,
        })
    }

    fn follow_up(&mut self) -> Option<FollowUp> {
        let id = self.string()?;
        let num = self.u64()?;
        let client = self.string()?;
        let text = self.string()?;
        let due = NaiveDate::from_num_days_from_ce_opt(i32::try_from(self.i64()?).ok()?)?;
        let status = [Status::Open, Status::Done, Status::Cancelled]
            .get(usize::from(self.u8()?))
            .copied()?;
        let created = self.time()?;
        let closed_at = if self.u8()? == 1 {
            Some(self.time()?)
        } else {
            None
        };
        let snoozes = self.u32()?;
        let action = self.opt_string()?;
        Some(FollowUp {
            id,
            num,
            client,
            text,
            due,
            status,
            created,
            closed_at,
            snoozes,
            action,
        })
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
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
        // (A window of time is checked end to end in the integration tests.)
        let mut state = State::default();
        for record in
            crate::demo::records(DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap())
        {
            state.insert(record);
        }
        state.insert(Record::Deleted {
            id: "demo-action-3".into(),
            num: Some(3),
        });
        let mark = Mark {
            covers: 1234,
            header: b"{\"format\"}\n".to_vec(),
            tail: b"xyz\n".to_vec(),
            modified: 1 << 70,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let bytes = encode(&mark, &state);
        std::fs::write(&path, &bytes).unwrap();
        let (read_mark, read_state) = read(&path, Part::All, None).unwrap();
        assert_eq!(read_mark, mark);
        assert_eq!(read_state.clients, state.clients);
        assert_eq!(read_state.actions, state.actions);
        assert_eq!(read_state.follow_ups, state.follow_ups);
        assert_eq!(read_state.next_num(), state.next_num());
        let (_, head) = read(&path, Part::Head, None).unwrap();
        assert_eq!(
            (&head.clients, head.actions.len(), head.next_num()),
            (&state.clients, 0, state.next_num())
        );
        for cut in [0, 10, 17, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(read(&path, Part::All, None).is_none(), "cut at {cut}");
        }
    }
}
