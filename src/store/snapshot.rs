//! A derived snapshot of the current state beside the journal, so commands need not
//! parse the whole history. It is a cache that can never lie:
//! - every part is checksummed (CRC-32): the head, the body of open follow-ups and
//!   indexes, and each indexed record on its own; a part that fails its checksum makes
//!   the whole snapshot unread, and the journal is read instead;
//! - its mark says which journal bytes it was made from: how many, and their CRC-32;
//! - its seal says what the file system reported about the journal (length, modified
//!   and changed times, inode, device) the last time a writer that trusted the snapshot
//!   appended to it. While the journal still looks exactly so, the bytes the snapshot
//!   was made from are unchanged; when anything differs (a hand edit, `touch -r`, a
//!   replacement by git or a sync tool) they are read again and compared by checksum.
//!
//! The format is a compact binary one: the prefix (magic, lengths, seal, checksums);
//! a small head (the mark, clients and their people, the highest short number and change sequence
//! number) that `log` reads alone; then the open follow-ups, which is all `overdue`,
//! `upcoming`, `done`, `snooze` and `cancel` read besides (and `remind` decodes only
//! those due by today); then the indexes: of the
//! closed follow-ups (by when they closed, or were created if later) and of the actions
//! (by their time), each entry a time and a byte offset, and each client's actions as
//! places in that time order; then those records. A report reads the head, the open
//! follow-ups and the indexes, and decodes only the records of the weeks it shows; a
//! client's card only that client's.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Timelike};

use crate::action_sums::{ActionSums, ClientTimes, Days, Span};
use crate::counted::Counted;
use crate::model::{Action, Client, FollowUp, Kind, Person, Record, Status};
use crate::state::State;

pub(super) const MAGIC: &[u8; 8] = b"EXMSNAPA";
/// Where the seal starts: after the magic, the lengths of the head, of the open
/// follow-ups and of the recent indexes, and where the records start.
const SEAL_AT: usize = 40;
/// The seal: the journal's length and stamp, and a checksum of both.
const SEAL_LEN: usize = 8 + Stamp::LEN + 4;
/// The magic, the four lengths, the seal, the checksums of the head, of the open
/// follow-ups, of the recent and of the older indexes, and where the directory of the
/// number index is, how long, and its checksum.
pub(super) const PREFIX: usize = SEAL_AT + SEAL_LEN + 16 + 20;
/// Records timed more than this before the latest action (Unix seconds; a little
/// over a year) are indexed in the older part, which a window of the last year never
/// reads: what a report reads stays the same as the history grows.
pub(super) const RECENT: i64 = 400 * DAY;
pub(super) const DAY: i64 = 86_400;
/// How far apart the checkpoints are at least: a window that begins before the
/// recent part reads each client's latest action at the checkpoint before it, and the
/// actions from there on (see `build::Checkpoints`).
pub(super) const CHECKPOINT: i64 = 7 * DAY;
/// The checkpoints fall on Mondays, 00:00 UTC: the Unix epoch was a Thursday.
pub(super) const MONDAY: i64 = 4 * DAY;
/// Older closed follow-ups in one zone, whose earliest time any bears on is listed:
/// a window long ago passes over the zones that begin after it.
pub(super) const ZONE: u64 = 64;
/// Entries in one block of the number index: a number, whether it is an action, and
/// where its record is and how long.
pub(super) const BLOCK: usize = 128;
const ENTRY: usize = 8 + 1 + 8 + 4;
/// Bytes of the older indexes under one checksum (listed after the clients' lists in
/// the directory): a window that reaches back for a few older entries reads and checks
/// only the slices they lie in.
pub(super) const OLDER_SLICE: usize = 16 * 1024;
/// Slices of the older indexes one read keeps once checked, for its further searches.
const KEPT_SLICES: usize = 64;
/// An entry of a client's list: a time, whether an action, where its record is and how
/// long.
const LISTED: usize = 8 + 1 + 8 + 4;

/// Where a snapshot stands against its journal: the state after the journal's first
/// `covers` bytes, whose CRC-32 is `crc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub covers: u64,
    pub crc: u32,
}

/// What the file system says about the journal: its times, and which file it is. Any
/// write to the file (a hand edit, `touch -r`, a replacement) changes at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

impl Stamp {
    const LEN: usize = 48;

    pub fn of(metadata: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stamp {
                modified: (metadata.mtime(), metadata.mtime_nsec()),
                changed: (metadata.ctime(), metadata.ctime_nsec()),
                inode: metadata.ino(),
                device: metadata.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            let nanos = metadata
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            Stamp {
                modified: (
                    (nanos / 1_000_000_000) as i64,
                    (nanos % 1_000_000_000) as i64,
                ),
                ..Stamp::default()
            }
        }
    }
}

/// The journal as the last writer that trusted this snapshot left it: while the
/// journal's length and stamp are still these, its first `Mark::covers` bytes are
/// unchanged and need not be read to be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    pub len: u64,
    pub stamp: Stamp,
}

/// How much of a snapshot to read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// Clients, the highest short number and change sequence number.
    Head,
    /// The head and the open follow-ups.
    Open,
    /// The head and the open follow-ups due by this day.
    Due(NaiveDate),
    /// The head, the follow-ups open or closed since `from`, the time of every action,
    /// and the actions whose time (Unix seconds) falls in `from..to`: `Window(from,
    /// whole_from, to)`, those before `whole_from` only counted (`State::counted`).
    Window(i64, i64, i64),
    /// Everything.
    All,
    /// The head and the open follow-ups, and the indexes of the closed follow-ups and
    /// the actions, whose records `Contents::closed` and `Contents::actions` then read a slice at a time.
    Indexes,
}

/// What a snapshot file holds, as far as it was read: every part checked against its
/// checksum.
pub struct Contents {
    pub mark: Mark,
    /// `None` when the seal's own checksum fails.
    pub seal: Option<Seal>,
    pub state: State,
    /// The file, to look records up in (see `lookup`).
    file: File,
    /// Where the directory of the number index is, how long, and its checksum.
    directory: (u64, u64, u32),
    /// Read for `Part::Indexes` and windows: the closed follow-ups' and the actions'
    /// indexes, and where their records start; a window's hold those timed since
    /// `older.since` only when it has an older part unread.
    indexes: Option<Box<(Timed, usize, Timed, usize)>>,
    /// A window's older indexes, unread: where they are, how long, their checksum,
    /// and the time they end at.
    older: Option<Older>,
    /// The number index's directory, once `lookup` has read it.
    numbers: Option<NumberIndex>,
}

/// Where the older indexes are, left unread by a window that does not reach them, and
/// the slices of them read so far.
struct Older {
    at: u64,
    len: usize,
    since: i64,
    /// Where the directory is that lists each slice's checksum (see `read`).
    directory: (u64, u64, u32),
    /// The checksum of each slice, once read from the directory.
    sums: Option<Vec<u32>>,
    /// Slices read and checked, by their place.
    kept: Vec<(usize, Vec<u8>)>,
}

impl Older {
    /// `n` bytes of the older indexes from `from`, once the slices they lie in check
    /// against their checksums.
    fn bytes(&mut self, file: &File, from: u64, n: u64) -> Option<Vec<u8>> {
        if self.sums.is_none() {
            self.sums = Some(older_sums(file, self.directory, self.len)?);
        }
        let (from, n) = (usize::try_from(from).ok()?, usize::try_from(n).ok()?);
        let end = from.checked_add(n)?;
        if end > self.len {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        let mut at = from;
        while at < end {
            let slice = at / OLDER_SLICE;
            let unkept;
            let bytes = match self.kept.iter().position(|(kept, _)| *kept == slice) {
                Some(place) => &self.kept[place].1,
                None => {
                    let mut bytes = vec![0; OLDER_SLICE.min(self.len - slice * OLDER_SLICE)];
                    read_at(file, self.at + (slice * OLDER_SLICE) as u64, &mut bytes).ok()?;
                    if crc(&bytes) != *self.sums.as_deref()?.get(slice)? {
                        return None;
                    }
                    // Once full, the first kept (the most searched) stay.
                    if self.kept.len() < KEPT_SLICES {
                        self.kept.push((slice, bytes));
                        &self.kept.last().expect("just kept").1
                    } else {
                        unkept = bytes;
                        &unkept
                    }
                }
            };
            let start = at - slice * OLDER_SLICE;
            let take = (end - at).min(bytes.len() - start);
            out.extend_from_slice(&bytes[start..start + take]);
            at += take;
        }
        Some(out)
    }

    /// `n` times (Unix seconds) of the older indexes from `from`.
    fn times(&mut self, file: &File, from: u64, n: u64) -> Option<Vec<i64>> {
        let numbers = self.numbers(file, from, n)?;
        Some(numbers.into_iter().map(|t| t as i64).collect())
    }

    /// `n` numbers (64 bits each) of the older indexes from `from`.
    fn numbers(&mut self, file: &File, from: u64, n: u64) -> Option<Vec<u64>> {
        let bytes = self.bytes(file, from, n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        )
    }

    /// The older index at `at`: how many entries, and where their times and their
    /// places begin.
    fn index(&mut self, file: &File, at: u64) -> Option<(u64, u64, u64)> {
        // The position of the first and how many (32 bits each), their times, and one
        // more place than records (64 bits each).
        let count = self.numbers(file, at, 1)?[0] >> 32;
        let instants = at.checked_add(8)?;
        let places = instants.checked_add(count.checked_mul(8)?)?;
        (places.checked_add((count + 1) * 8)? <= self.len as u64)
            .then_some((count, instants, places))
    }

    /// The position of the first entry of `index` timed at or after `time`, found
    /// where it lies.
    fn first_at_or_after(&mut self, file: &File, index: (u64, u64, u64), time: i64) -> Option<u64> {
        let (mut low, mut high) = (0, index.0);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.times(file, index.1 + middle * 8, 1)?[0] < time {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Some(low)
    }

    /// The entries of `index` at positions `range`.
    fn piece(
        &mut self,
        file: &File,
        index: (u64, u64, u64),
        range: std::ops::Range<u64>,
    ) -> Option<Timed> {
        let n = range.end - range.start;
        let timed = Timed {
            first: usize::try_from(range.start).ok()?,
            instants: self.times(file, index.1 + range.start * 8, n)?,
            places: self
                .numbers(file, index.2 + range.start * 8, n + 1)?
                .into_iter()
                .map(usize::try_from)
                .collect::<Result<_, _>>()
                .ok()?,
        };
        timed.places.is_sorted().then_some(timed)
    }

    /// The closed follow-ups' index, and the actions': the first begins the older
    /// part, the second follows it, the first time each closed follow-up bears on,
    /// and the earliest of those in each zone.
    fn indexes(&mut self, file: &File) -> Option<[(u64, u64, u64); 2]> {
        let closed = self.index(file, 0)?;
        let earliest = closed.2.checked_add((closed.0 + 1) * 8)?;
        let zones = earliest.checked_add(closed.0.checked_mul(8)?)?;
        let actions = zones.checked_add(closed.0.div_ceil(ZONE) * 8)?;
        Some([closed, self.index(file, actions)?])
    }

    /// The index entries of the older actions timed in `from..to`, read through
    /// checked slices and searched where they lie, so that finding a few costs neither
    /// time nor memory that grows with the history.
    fn actions_timed(&mut self, file: &File, from: i64, to: i64) -> Option<Timed> {
        let [_, actions] = self.indexes(file)?;
        let low = self.first_at_or_after(file, actions, from)?;
        let high = self.first_at_or_after(file, actions, to)?;
        self.piece(file, actions, low..high)
    }

    /// What a window from `from` reaches back for (see `Reach`), its actions up to
    /// `to`: with the checkpoints (their step and how many are kept) of `width`
    /// clients.
    fn reach(
        &mut self,
        file: &File,
        from: i64,
        to: i64,
        (step, kept): (i64, usize),
        width: usize,
    ) -> Option<Reach> {
        // The checkpoint at or before `from`, and the row of the latest one kept at or
        // before it: there were no actions between the two. With none kept, there
        // were none before it.
        if step <= 0 {
            return None;
        }
        let k = from.checked_sub(MONDAY)?.div_euclid(step);
        let at = MONDAY.checked_add(k.checked_mul(step)?)?;
        let size = (width as u64).checked_mul(8)?;
        let rows_at = (self.len as u64).checked_sub(size.checked_mul(kept as u64)?)?;
        let numbers_at = rows_at.checked_sub(kept as u64 * 8)?;
        let (mut low, mut high) = (0, kept as u64);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.times(file, numbers_at + middle * 8, 1)?[0] <= k {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let row = match low {
            0 => vec![i64::MIN; width],
            row => self.times(file, rows_at + (row - 1) * size, width as u64)?,
        };
        let actions = self.actions_timed(file, at, to)?;
        // The follow-ups closed since `from` that bear on the window, found by the
        // first time each bears on, in the zones whose earliest does.
        let [closed_index, _] = self.indexes(file)?;
        let count = closed_index.0;
        let low = self.first_at_or_after(file, closed_index, from)?;
        let earliest_at = closed_index.2 + (count + 1) * 8;
        let zones_at = earliest_at + count * 8;
        let first_zone = low / ZONE;
        let zones = self.times(
            file,
            zones_at + first_zone * 8,
            count.div_ceil(ZONE) - first_zone,
        )?;
        let mut runs: Vec<std::ops::Range<u64>> = Vec::new();
        for (zone, earliest) in (first_zone..).zip(zones) {
            if earliest >= to {
                continue;
            }
            let start = low.max(zone * ZONE);
            let end = count.min((zone + 1) * ZONE);
            let earliest = self.times(file, earliest_at + start * 8, end - start)?;
            for run in bearing(&earliest, 0..earliest.len(), to) {
                let run = start + run.start as u64..start + run.end as u64;
                match runs.last_mut() {
                    Some(last) if last.end == run.start => last.end = run.end,
                    _ => runs.push(run),
                }
            }
        }
        let closed = (runs.into_iter())
            .map(|run| self.piece(file, closed_index, run))
            .collect::<Option<_>>()?;
        Some(Reach {
            at,
            row,
            actions,
            closed,
        })
    }
}

/// The runs of positions in `range` whose follow-ups bear on a time before `to`
/// (`earliest`: the first time each does, by position).
fn bearing(
    earliest: &[i64],
    range: std::ops::Range<usize>,
    to: i64,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = range.start;
    std::iter::from_fn(move || {
        start += earliest[start..range.end]
            .iter()
            .take_while(|&&t| t >= to)
            .count();
        let run = earliest[start..range.end]
            .iter()
            .take_while(|&&t| t < to)
            .count();
        let found = start..start + run;
        start += run;
        (run > 0).then_some(found)
    })
}

/// A snapshot read for `Part::Indexes`, its records still to be read.
pub struct Indexed(pub Contents);

impl std::fmt::Debug for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Indexed{:?}", self.0.indexed())
    }
}

pub(super) fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// The time a closed follow-up is indexed by: when it closed, or when it was created
/// if that is later (imported or merged records can be closed before they arrived),
/// so a window finds every follow-up created or closed in it.
pub(super) fn closed_key(f: &FollowUp) -> Option<i64> {
    Some(f.closed_at?.timestamp().max(f.created.timestamp()))
}

pub(super) fn encode_seal(seal: Option<Seal>) -> [u8; SEAL_LEN] {
    let mut out = [0; SEAL_LEN];
    let Some(seal) = seal else {
        return out;
    };
    let mut w = Writer::default();
    w.u64(seal.len);
    let s = seal.stamp;
    for v in [s.modified.0, s.modified.1, s.changed.0, s.changed.1] {
        w.i64(v);
    }
    w.u64(s.inode);
    w.u64(s.device);
    let sum = crc(&w.0);
    w.u32(sum);
    out.copy_from_slice(&w.0);
    out
}

fn decode_seal(bytes: &[u8]) -> Option<Seal> {
    let (body, sum) = bytes.split_at(SEAL_LEN - 4);
    if crc(body).to_le_bytes() != sum {
        return None;
    }
    let mut r = Reader { bytes: body, at: 0 };
    let len = r.u64()?;
    let stamp = Stamp {
        modified: (r.i64()?, r.i64()?),
        changed: (r.i64()?, r.i64()?),
        inode: r.u64()?,
        device: r.u64()?,
    };
    Some(Seal { len, stamp })
}

/// Whether the file at `path` is a snapshot in a format an older build wrote.
pub fn is_older_format(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic[..7] == MAGIC[..7]
        && magic != *MAGIC
}

/// Writes a new seal into the snapshot at `path`, in place. Best effort: a seal that
/// is not written only means the next read checks the journal's bytes instead.
pub fn write_seal(path: &Path, seal: Seal) {
    use std::io::Write;
    let Ok(mut file) = OpenOptions::new().read(true).write(true).open(path) else {
        return;
    };
    let mut magic = [0u8; 8];
    if file.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return;
    }
    let _ = file
        .seek(SeekFrom::Start(SEAL_AT as u64))
        .and_then(|_| file.write_all(&encode_seal(Some(seal))));
}

/// The snapshot at `path`, made from journal bytes marked `from` whose highest change
/// sequence number is `from_seq`, made anew for other bytes (`to`, whose highest is
/// `to_seq`) that hold the same records: its head takes the new mark and number and
/// its checksum, every other byte is copied. `false` when it was not made from `from`
/// (or does not read), and then nothing is written.
pub fn remark(
    path: &Path,
    (from, from_seq): (Mark, u64),
    (to, to_seq): (Mark, u64),
    seal: Option<Seal>,
) -> bool {
    let Some(mut file) = File::open(path).ok() else {
        return false;
    };
    let mut start = [0u8; PREFIX];
    if file.read_exact(&mut start).is_err() || &start[..8] != MAGIC {
        return false;
    }
    let Some(head_len) = usize::try_from(u64::from_le_bytes(
        start[8..16].try_into().unwrap_or_default(),
    ))
    .ok()
    .filter(|&len| (28..1 << 30).contains(&len)) else {
        return false;
    };
    let mut head = vec![0; head_len];
    let head_sum = |start: &[u8], head: &[u8]| {
        let mut sum = crc32fast::Hasher::new();
        sum.update(&start[8..SEAL_AT]);
        sum.update(head);
        sum.finalize().to_le_bytes()
    };
    let at = SEAL_AT + SEAL_LEN;
    if file.read_exact(&mut head).is_err() || head_sum(&start, &head) != start[at..at + 4] {
        return false;
    }
    let mut r = Reader {
        bytes: &head,
        at: 0,
    };
    let (covers, sum, _, seq) = (r.u64(), r.u32(), r.u64(), r.u64());
    if (covers, sum, seq) != (Some(from.covers), Some(from.crc), Some(from_seq)) {
        return false;
    }
    head[..8].copy_from_slice(&to.covers.to_le_bytes());
    head[8..12].copy_from_slice(&to.crc.to_le_bytes());
    head[20..28].copy_from_slice(&to_seq.to_le_bytes());
    let sum = head_sum(&start, &head);
    start[at..at + 4].copy_from_slice(&sum);
    start[SEAL_AT..SEAL_AT + SEAL_LEN].copy_from_slice(&encode_seal(seal));
    super::files::write_atomically_with(path, |out| {
        out.write_all(&start)?;
        out.write_all(&head)?;
        std::io::copy(&mut file, out)?;
        Ok(())
    })
    .is_ok()
}

/// Reads a snapshot file, as much as `part` asks for, checking each part read against
/// its checksum. `None` for a missing, foreign or damaged file.
pub fn read(path: &Path, part: Part, client: Option<&str>) -> Option<Contents> {
    let mut file = File::open(path).ok()?;
    let mut start = [0u8; PREFIX];
    file.read_exact(&mut start).ok()?;
    if &start[..8] != MAGIC {
        return None;
    }
    let number =
        |at: usize| usize::try_from(u64::from_le_bytes(start[at..at + 8].try_into().ok()?)).ok();
    let (head_len, open_len, recent_len, records_at) =
        (number(8)?, number(16)?, number(24)?, number(32)?);
    let open_end = head_len.checked_add(open_len)?;
    let recent_end = open_end.checked_add(recent_len)?;
    let seal = decode_seal(&start[SEAL_AT..SEAL_AT + SEAL_LEN]);
    let sums = &start[SEAL_AT + SEAL_LEN..];
    let directory = (
        u64::from_le_bytes(sums[16..24].try_into().ok()?),
        u64::from_le_bytes(sums[24..32].try_into().ok()?),
        u32::from_le_bytes(sums[32..36].try_into().ok()?),
    );
    // The directory of the number index ends the file: a cut-short file is refused.
    if file.metadata().ok()?.len() != directory.0.checked_add(directory.1)? {
        return None;
    }
    let (head_sum, open_sum, recent_sum, old_sum) =
        (&sums[..4], &sums[4..8], &sums[8..12], &sums[12..16]);
    // The head alone for `log`; the open follow-ups too for what is due; else the
    // recent indexes too, then the older ones if need be, then the records asked for.
    let wanted = match part {
        Part::Head => head_len,
        Part::Open | Part::Due(_) => open_end,
        _ => recent_end,
    };
    let old_len = records_at.checked_sub(PREFIX + recent_end)?;
    let bytes = read_next(&mut file, wanted.min(1 << 30))?;
    let mut head_crc = crc32fast::Hasher::new();
    head_crc.update(&start[8..SEAL_AT]);
    head_crc.update(&bytes[..head_len.min(wanted)]);
    if head_len > wanted || head_crc.finalize().to_le_bytes() != head_sum {
        return None;
    }
    let open_only = matches!(part, Part::Open | Part::Due(_));
    if part != Part::Head && crc(bytes.get(head_len..open_end)?).to_le_bytes() != open_sum {
        return None;
    }
    if part != Part::Head
        && !open_only
        && crc(bytes.get(open_end..recent_end)?).to_le_bytes() != recent_sum
    {
        return None;
    }
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    let mark = Mark {
        covers: r.u64()?,
        crc: r.u32()?,
    };
    let mut state = State::default();
    state.note_num(r.u64()?);
    state.note_seq(r.u64()?);
    state.numbering.home_max = r.u64()?;
    for _ in 0..r.u32()? {
        state.numbering.home.insert(r.string()?);
    }
    for _ in 0..r.u32()? {
        let (block, max, owner) = (r.u64()?, r.u64()?, r.opt_string()?);
        state.numbering.blocks.insert(block, (max, owner));
    }
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
    for _ in 0..r.u32()? {
        let person = Person {
            id: r.string()?,
            client: r.string()?,
            name: r.string()?,
            role: r.opt_string()?,
            email: r.opt_string()?,
            created: r.time()?,
        };
        state.people.insert(person.id.clone(), person);
    }
    if r.at != head_len {
        return None;
    }
    let contents = |state, file| Contents {
        mark,
        seal,
        state,
        file,
        directory,
        indexes: None,
        older: None,
        numbers: None,
    };
    if part == Part::Head {
        return Some(contents(state, file));
    }
    let due_by = match part {
        Part::Due(day) => Some(day),
        _ => None,
    };
    let open_count = r.u32()? as usize;
    // Each record ends with its own checksum, for a lookup of it alone; the section's,
    // checked above, covers them all here.
    let mut open = Reader {
        bytes: bytes.get(..open_end)?,
        at: r.at,
    };
    let mut read_open = |state: &mut State, closed: usize| {
        if due_by.is_none() {
            state.follow_ups.reserve(open_count + closed);
        }
        for _ in 0..open_count {
            let f = open.follow_up_due_by(due_by)?;
            open.take(4)?;
            if let Some(f) = f {
                state.follow_ups.insert(f.id.clone(), f);
            }
        }
        (open.at == open_end).then_some(())
    };
    if open_only {
        read_open(&mut state, 0)?;
        return Some(contents(state, file));
    }
    r.at = open_end;
    let since = r.i64()?;
    let checkpoints = (r.i64()?, r.u32()? as usize);
    let closed = r.timed()?;
    let earliest = r.instants(closed.len())?;
    let actions = r.timed()?;
    // The map is made once for the open follow-ups and those a window reads closed.
    let window_closed = match part {
        Part::Window(from, ..) => closed.select(from, i64::MAX).len(),
        _ => 0,
    };
    read_open(&mut state, window_closed)?;
    // Each client's recent places, how many actions it has, and its latest older time.
    let mut clients = Vec::new();
    for _ in 0..r.u32()? {
        let (owner, count) = (r.bytes()?, r.u32()? as usize);
        let places = r.places(count)?;
        clients.push((owner, places, r.u32()? as usize, r.i64()?));
    }
    let (days, story_days) = (r.days()?, r.days()?);
    if r.at != recent_end {
        return None;
    }
    // One client's window reads that client's list; any other window the recent
    // indexes, and what it needs of the older ones through their checked slices;
    // everything else the older indexes whole.
    let listed = match (client, part) {
        (Some(client), Part::Window(..)) => Some(client_list(&mut file, directory, client)?),
        _ => None,
    };
    let whole = !matches!(part, Part::Window(..));
    let mut indexes = (closed, actions);
    if whole {
        // The checkpoints that end the older part are checked, not held.
        let rows_len = checkpoints
            .1
            .checked_mul(clients.len() + 1)?
            .checked_mul(8)?;
        let bytes = read_next(&mut file, old_len.checked_sub(rows_len)?.min(1 << 30))?;
        let mut sum = crc32fast::Hasher::new();
        sum.update(&bytes);
        let mut chunk = vec![0; rows_len.min(1 << 16)];
        let mut left = rows_len;
        while left > 0 {
            let n = left.min(chunk.len());
            file.read_exact(&mut chunk[..n]).ok()?;
            sum.update(&chunk[..n]);
            left -= n;
        }
        if sum.finalize().to_le_bytes() != old_sum {
            return None;
        }
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        let older_closed = r.timed()?;
        let zones = older_closed.len().div_ceil(ZONE as usize);
        r.take(older_closed.len().checked_add(zones)?.checked_mul(8)?)?;
        indexes.0 = older_closed.then(indexes.0)?;
        indexes.1 = r.timed()?.then(indexes.1)?;
        // Each client's older places, which only a window reads (as counts).
        for _ in 0..r.u32()? {
            r.bytes()?;
            let count = r.u32()? as usize;
            r.take(count.checked_mul(4)?)?;
        }
        if r.at != bytes.len() {
            return None;
        }
    }
    let (closed, actions) = indexes;
    let mut older = (!whole).then_some(Older {
        at: (PREFIX + recent_end) as u64,
        len: old_len,
        since,
        directory,
        sums: None,
        kept: Vec::new(),
    });
    // A window that begins before the recent indexes reaches back to the checkpoint
    // before it, for each client's latest action then.
    let reach = match (part, older.as_mut()) {
        (Part::Window(from, _, to), Some(older)) if listed.is_none() && from < since => {
            Some(older.reach(&file, from, to.min(since), checkpoints, clients.len())?)
        }
        _ => None,
    };
    // What all actions add up to, for a window: each client's count and its times,
    // from the actions read when reaching back, else from its recent places.
    let mut sums = match part {
        Part::Window(..) => Some(ActionSums::new(
            reach.as_ref().map_or(since, |reach| reach.at),
            days,
            story_days,
        )),
        _ => None,
    };
    for (column, (owner, recent, count, latest_older)) in clients.into_iter().enumerate() {
        let Some(sums) = sums.as_mut() else {
            break;
        };
        let times = if let Some(reach) = &reach {
            let latest = reach.row[column];
            (latest != i64::MIN).then_some(latest).into_iter().collect()
        } else {
            let mut times = Vec::with_capacity(recent.len() + 1);
            if latest_older != i64::MIN {
                times.push(latest_older);
            }
            for place in recent {
                times.push(*actions.instants.get(place.checked_sub(actions.first)?)?);
            }
            times
        };
        let owner = std::str::from_utf8(owner).ok()?.to_string();
        sums.clients.insert(owner, ClientTimes { count, times });
    }
    // The head, open and recent sections are read: their memory is for the records.
    drop(bytes);
    let actions_at = records_at.checked_add(closed.bytes())?;
    if let (Some(list), Part::Window(from, _, to)) = (listed, part) {
        // As for any window, but only the client's, found through its list.
        for (at, action, place, len) in list {
            let wanted = if action {
                (from..to).contains(&at)
            } else {
                at >= from
            };
            if !wanted {
                continue;
            }
            match read_record(&file, action, place, len)? {
                Record::Action(a) => {
                    state.actions.insert(a.id.clone(), a);
                }
                Record::FollowUp(f) => {
                    state.follow_ups.insert(f.id.clone(), f);
                }
                _ => return None,
            }
        }
    } else if let Part::Window(from, whole_from, to) = part {
        // The follow-ups closed since the window began that bear on it (created or closed
        // before it ended)
        // (done in it, or still open at its end), and the actions in it: counted
        // before `whole_from`, held whole from there. Reaching back, the actions
        // from the checkpoint on add up the clients' times too.
        let mut window = Window {
            file: &mut file,
            state: &mut state,
            sums: sums.as_mut().filter(|_| reach.is_some()),
            bounds: (from, whole_from),
        };
        if let Some(reach) = &reach {
            for piece in &reach.closed {
                window.closed(records_at, piece, 0..piece.len())?;
            }
        }
        let range = closed.select(from, i64::MAX);
        for run in bearing(&earliest, range, to) {
            window.closed(records_at, &closed, run)?;
        }
        if let Some(reach) = &reach {
            window.actions(actions_at, &reach.actions, 0..reach.actions.len())?;
        }
        window.actions(actions_at, &actions, actions.select(from.max(since), to))?;
    } else if part == Part::All {
        let follow_ups = &mut state.follow_ups;
        let actions_held = &mut state.actions;
        closed.each(
            &mut file,
            records_at,
            0..closed.len(),
            |r| r.follow_up(),
            |f| {
                follow_ups.insert(f.id.clone(), f);
            },
        )?;
        actions.each(
            &mut file,
            actions_at,
            0..actions.len(),
            |r| r.action(),
            |a| {
                actions_held.insert(a.id.clone(), a);
            },
        )?;
    }
    // The records end where the number index begins.
    if actions_at.checked_add(actions.bytes())? as u64 > directory.0 {
        return None;
    }
    if let (Some(mut sums), Part::Window(.., to)) = (sums, part) {
        if reach.is_some() {
            sums.until = to;
        }
        state.all_actions = Some(sums);
    }
    let mut contents = contents(state, file);
    if matches!(part, Part::Indexes | Part::Window(..)) {
        contents.indexes = Some(Box::new((closed, records_at, actions, actions_at)));
    }
    contents.older = older;
    Some(contents)
}

/// What a window read reaches back for, before the recent indexes: the checkpoint at
/// or before it begins, each client's latest action before that (by the clients'
/// column), the actions from there, and the runs of the follow-ups closed since it
/// began that bear on it (see `earliest_of`).
struct Reach {
    at: i64,
    row: Vec<i64>,
    actions: Timed,
    closed: Vec<Timed>,
}

/// A window's records being read into its state.
struct Window<'a> {
    file: &'a mut File,
    state: &'a mut State,
    /// The sums, when the actions read add up the clients' times.
    sums: Option<&'a mut ActionSums>,
    /// Where the window begins, and where its actions are held whole from.
    bounds: (i64, i64),
}

impl Window<'_> {
    /// Reads the follow-ups at `range` of the index `closed`.
    fn closed(&mut self, at: usize, closed: &Timed, range: std::ops::Range<usize>) -> Option<()> {
        let follow_ups = &mut self.state.follow_ups;
        follow_ups.reserve(range.len());
        closed.each(
            self.file,
            at,
            range,
            |r| r.follow_up(),
            |f| {
                follow_ups.insert(f.id.clone(), f);
            },
        )
    }

    /// Reads the actions at `range` of the index `actions`: those before the window
    /// only into the sums, those before `whole_from` only counted but for stories (a
    /// report shows their text) and one whose id's hash another's has, the rest held
    /// whole.
    fn actions(&mut self, at: usize, actions: &Timed, range: std::ops::Range<usize>) -> Option<()> {
        let (from, whole_from) = self.bounds;
        let cut = |time: i64| {
            let within = &actions.instants[range.clone()];
            range.start + within.partition_point(|&t| t < time)
        };
        let (begins, split) = (cut(from), cut(whole_from).max(cut(from)));
        let (counted, held) = (&mut self.state.counted, &mut self.state.actions);
        let mut sums = self.sums.as_deref_mut();
        let mut note = |client: &str, at: i64| {
            if let Some(sums) = sums.as_deref_mut() {
                sums.clients.get_mut(client)?.times.push(at);
            }
            Some(())
        };
        counted.reserve(split - begins);
        held.reserve(range.end - split);
        actions.bodies(self.file, at, range.start..split, |body| {
            let mut r = Reader { bytes: body, at: 0 };
            let (id, a) = r.counted()?;
            if r.at != body.len() {
                return None;
            }
            note(a.client, a.at)?;
            if a.at < from {
                return Some(());
            }
            if a.story || !counted.add(id, a) {
                let a = Reader { bytes: body, at: 0 }.action()?;
                held.insert(a.id.clone(), a);
            }
            Some(())
        })?;
        actions.bodies(self.file, at, split..range.end, |body| {
            let mut r = Reader { bytes: body, at: 0 };
            let a = r.action()?;
            if r.at != body.len() {
                return None;
            }
            note(&a.client, a.at.timestamp())?;
            held.insert(a.id.clone(), a);
            Some(())
        })
    }
}

impl super::journal::Earlier for Contents {
    fn numbered(&mut self, num: u64) -> Option<Option<Record>> {
        self.lookup(&[num]).map(|found| found.into_iter().next())
    }

    fn timed(&mut self, from: i64, to: i64) -> Option<Vec<Action>> {
        self.actions_timed(from, to)
    }

    /// Through the client's list: its actions before `before`, latest first, read one
    /// at a time until one is not passed over.
    fn latest_before(
        &mut self,
        client: &str,
        before: i64,
        skip: &dyn Fn(&str) -> bool,
    ) -> Option<Option<Action>> {
        let mut list = client_list(&mut self.file, self.directory, client)?;
        list.retain(|&(at, action, ..)| action && at < before);
        list.sort_unstable_by_key(|&(at, ..)| std::cmp::Reverse(at));
        for (_, _, place, len) in list {
            let Record::Action(action) = read_record(&self.file, true, place, len)? else {
                return None;
            };
            if !skip(&action.id) {
                return Some(Some(action));
            }
        }
        Some(None)
    }
}

impl Contents {
    /// How many closed follow-ups and actions a `Part::Indexes` read found indexed.
    pub fn indexed(&self) -> (usize, usize) {
        self.indexes
            .as_deref()
            .map_or((0, 0), |(closed, _, actions, _)| {
                (closed.len(), actions.len())
            })
    }

    /// The closed follow-ups (by the time they are indexed by) at `range` of them,
    /// after a `Part::Indexes` read; `None` when a record fails its checksum.
    pub fn closed(&mut self, range: std::ops::Range<usize>) -> Option<Vec<FollowUp>> {
        let (closed, at, _, _) = self.indexes.as_deref()?;
        closed.read(&mut self.file, *at, range, |r| r.follow_up())
    }

    /// Whether every closed follow-up and action checks against its checksum, after a
    /// `Part::Indexes` read: what is streamed from it cannot fail halfway.
    pub fn verify(&mut self) -> bool {
        let Some((closed, closed_at, actions, actions_at)) = self.indexes.as_deref() else {
            return false;
        };
        closed.verify(&mut self.file, *closed_at) && actions.verify(&mut self.file, *actions_at)
    }

    /// Where the actions timed from `from` (Unix seconds) on begin among them all,
    /// after a `Part::Indexes` read.
    pub fn actions_from(&self, from: i64) -> usize {
        self.indexes
            .as_deref()
            .map_or(0, |(_, _, actions, _)| actions.select(from, i64::MAX).start)
    }

    /// The actions (by time, then number) at `range` of them, after a `Part::Indexes`
    /// read.
    pub fn actions(&mut self, range: std::ops::Range<usize>) -> Option<Vec<Action>> {
        let (_, _, actions, at) = self.indexes.as_deref()?;
        actions.read(&mut self.file, *at, range, |r| r.action())
    }

    /// The actions timed in `from..to` as this snapshot holds them, after a window
    /// read: through the indexes it read, and the older ones (read and checked now)
    /// for a time before them. `None` when a part read fails its checksum.
    fn actions_timed(&mut self, from: i64, to: i64) -> Option<Vec<Action>> {
        let (_, _, recent, at) = self.indexes.as_deref()?;
        let mut found = Vec::new();
        let since = match &mut self.older {
            Some(older) if from < older.since => {
                let timed = older.actions_timed(&self.file, from, to.min(older.since))?;
                found = timed.read(&mut self.file, *at, 0..timed.len(), |r| r.action())?;
                older.since
            }
            _ => from,
        };
        if since < to {
            let range = recent.select(since, to);
            found.extend(recent.read(&mut self.file, *at, range, |r| r.action())?);
        }
        Some(found)
    }

    /// The follow-ups and actions numbered `nums` as this snapshot holds them, found
    /// through the number index. A number it does not hold is left out; `None` when a
    /// part read fails its checksum.
    pub fn lookup(&mut self, nums: &[u64]) -> Option<Vec<Record>> {
        if self.numbers.is_none() {
            self.numbers = Some(self.number_index()?);
        }
        let index = self.numbers.as_ref().expect("read above");
        let mut found = Vec::new();
        for &num in nums {
            // The last block whose first number is at most `num`.
            let Some(at) = index.blocks.partition_point(|b| b.0 <= num).checked_sub(1) else {
                continue;
            };
            let block = index.block(&self.file, at)?;
            let Some(entry) = block
                .chunks_exact(ENTRY)
                .find(|e| e[..8] == num.to_le_bytes())
            else {
                continue;
            };
            let (_, action, place, len) = entry_of(entry)?;
            let record = read_record(&self.file, action, place, len)?;
            if record.num() != Some(num) {
                return None;
            }
            found.push(record);
        }
        Some(found)
    }

    /// Hands `each` every entry of the number index, by number: the number of a
    /// follow-up or an action, whether it is an action, and where its record is and how
    /// long (to read with `record_at` or `id_at`). `None` when a part read fails its
    /// checksum.
    pub fn each_numbered(
        &self,
        mut each: impl FnMut(u64, bool, u64, usize) -> Option<()>,
    ) -> Option<()> {
        let index = self.number_index()?;
        for at in 0..index.blocks.len() {
            for entry in index.block(&self.file, at)?.chunks_exact(ENTRY) {
                let (num, action, place, len) = entry_of(entry)?;
                each(num, action, place, len)?;
            }
        }
        Some(())
    }

    /// The follow-up or action `len` bytes at `place`, checked against its checksum.
    pub fn record_at(&self, action: bool, place: u64, len: usize) -> Option<Record> {
        read_record(&self.file, action, place, len)
    }

    /// The `len` bytes at `place`: records that follow one another, read at once (to
    /// take apart with `id_and_num`).
    pub fn bytes_at(&self, place: u64, len: usize) -> Option<Vec<u8>> {
        let mut bytes = vec![0; len];
        read_at(&self.file, place, &mut bytes).ok()?;
        Some(bytes)
    }

    /// The directory of the number index.
    fn number_index(&self) -> Option<NumberIndex> {
        let directory = read_directory(&self.file, self.directory)?;
        let mut r = Reader {
            bytes: &directory,
            at: 0,
        };
        let count = r.u32()? as usize;
        let blocks = (0..count.div_ceil(BLOCK))
            .map(|_| Some((r.u64()?, r.u32()?)))
            .collect::<Option<Vec<_>>>()?;
        let at = self.directory.0.checked_sub((count * ENTRY) as u64)?;
        Some(NumberIndex { count, blocks, at })
    }
}

/// The number index: how many entries, each block's first number and checksum, and
/// where the blocks start.
struct NumberIndex {
    count: usize,
    blocks: Vec<(u64, u32)>,
    at: u64,
}

impl NumberIndex {
    /// Block `index`'s entries, checked against its checksum.
    fn block(&self, mut file: &File, index: usize) -> Option<Vec<u8>> {
        let entries = BLOCK.min(self.count.checked_sub(index * BLOCK)?);
        let mut block = vec![0; entries * ENTRY];
        file.seek(SeekFrom::Start(self.at + (index * BLOCK * ENTRY) as u64))
            .ok()?;
        file.read_exact(&mut block).ok()?;
        (crc(&block) == self.blocks[index].1).then_some(block)
    }
}

/// An entry of the number index: a number, whether an action, where its record is and
/// how long.
fn entry_of(entry: &[u8]) -> Option<(u64, bool, u64, usize)> {
    let mut r = Reader {
        bytes: entry,
        at: 0,
    };
    Some((r.u64()?, r.u8()? == 1, r.u64()?, r.u32()? as usize))
}

/// The directory at the end of the file: of the number index's blocks, then of the
/// clients' lists; checked against its checksum.
fn read_directory(mut file: &File, (at, len, sum): (u64, u64, u32)) -> Option<Vec<u8>> {
    let mut directory = vec![0; usize::try_from(len).ok()?.min(1 << 30)];
    file.seek(SeekFrom::Start(at)).ok()?;
    file.read_exact(&mut directory).ok()?;
    (crc(&directory) == sum).then_some(directory)
}

/// A client's list as the directory names it: the client's id, where the list is, how
/// many entries it has, and its checksum.
type Listed<'a> = (&'a [u8], u64, usize, u32);

/// The directory's entries for the clients' lists, and where what follows them begins.
fn lists_in(directory: &[u8]) -> Option<(Vec<Listed<'_>>, usize)> {
    let mut r = Reader {
        bytes: directory,
        at: 0,
    };
    let count = r.u32()? as usize;
    r.take(count.div_ceil(BLOCK).checked_mul(12)?)?;
    let lists = (0..r.u32()?)
        .map(|_| Some((r.bytes()?, r.u64()?, r.u32()? as usize, r.u32()?)))
        .collect::<Option<Vec<_>>>()?;
    Some((lists, r.at))
}

/// The checksums of the slices of the older indexes (`len` bytes), listed last in the
/// directory.
fn older_sums(file: &File, directory: (u64, u64, u32), len: usize) -> Option<Vec<u32>> {
    let bytes = read_directory(file, directory)?;
    let (_, after) = lists_in(&bytes)?;
    let mut r = Reader {
        bytes: &bytes,
        at: after,
    };
    let slices = r.u32()? as usize;
    if slices != len.div_ceil(OLDER_SLICE) {
        return None;
    }
    let sums = (0..slices).map(|_| r.u32()).collect::<Option<Vec<_>>>()?;
    (r.at == bytes.len()).then_some(sums)
}

/// One action's or follow-up's record, `len` bytes at `place`, checked against the
/// checksum it ends with.
fn read_record(file: &File, action: bool, place: u64, len: usize) -> Option<Record> {
    let bytes = read_checked(file, place, len)?;
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    let record = if action {
        Record::Action(r.action()?)
    } else {
        Record::FollowUp(r.follow_up()?)
    };
    (r.at == bytes.len()).then_some(record)
}

/// The id and number of a follow-up's or an action's record (its first two fields),
/// once it checks against the checksum it ends with.
pub fn id_and_num(record: &[u8]) -> Option<(&str, u64)> {
    let body = record.len().checked_sub(4)?;
    if crc(&record[..body]).to_le_bytes() != record[body..] {
        return None;
    }
    let mut r = Reader {
        bytes: &record[..body],
        at: 0,
    };
    let id = std::str::from_utf8(r.bytes()?).ok()?;
    Some((id, r.u64()?))
}

/// The body of the record `len` bytes at `place`, once it checks against the checksum
/// it ends with.
fn read_checked(file: &File, place: u64, len: usize) -> Option<Vec<u8>> {
    let mut bytes = vec![0; len];
    read_at(file, place, &mut bytes).ok()?;
    let body = len.checked_sub(4)?;
    if crc(&bytes[..body]).to_le_bytes() != bytes[body..] {
        return None;
    }
    bytes.truncate(body);
    Some(bytes)
}

/// The next `len` bytes of `file`, read into memory not cleared first (a command that
/// reads a window touches little else).
fn read_next(file: &mut File, len: usize) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut bytes).ok()?;
    (bytes.len() == len).then_some(bytes)
}

/// Fills `bytes` from `place` in `file`: in one call where the system can (a record is
/// looked up this way a million times over by an import).
fn read_at(file: &File, place: u64, bytes: &mut [u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_exact_at(file, bytes, place);
    #[cfg(not(unix))]
    {
        let mut file = file;
        file.seek(SeekFrom::Start(place))?;
        file.read_exact(bytes)
    }
}

/// One client's closed follow-ups and actions: the time each is indexed by, whether it
/// is an action, and where its record is and how long.
fn client_list(
    file: &mut File,
    directory: (u64, u64, u32),
    client: &str,
) -> Option<Vec<(i64, bool, u64, usize)>> {
    let bytes = read_directory(file, directory)?;
    for (owner, at, n, sum) in lists_in(&bytes)?.0 {
        if owner != client.as_bytes() {
            continue;
        }
        let mut list = vec![0; n.checked_mul(LISTED)?];
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut list).ok()?;
        if crc(&list) != sum {
            return None;
        }
        let mut r = Reader {
            bytes: &list,
            at: 0,
        };
        return (0..n)
            .map(|_| Some((r.i64()?, r.u8()? == 1, r.u64()?, r.u32()? as usize)))
            .collect();
    }
    Some(Vec::new())
}

/// The index of records sorted by a time, or of a part of them: each one's time and
/// place.
struct Timed {
    /// The position of the first of them among all.
    first: usize,
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

    /// These records followed by `later` ones, which begin where these end.
    fn then(mut self, later: Timed) -> Option<Timed> {
        if later.first != self.first + self.len() || later.places.first() != self.places.last() {
            return None;
        }
        self.instants.extend(later.instants);
        self.places.pop();
        self.places.extend(later.places);
        Some(self)
    }

    /// The records timed in `from..to`.
    fn select(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        self.instants.partition_point(|&at| at < from)..self.instants.partition_point(|&at| at < to)
    }

    /// Reads the records in `range` from the section starting at `at`, decoding each.
    fn read<T>(
        &self,
        file: &mut File,
        at: usize,
        range: std::ops::Range<usize>,
        decode: impl Fn(&mut Reader<'_>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(range.len());
        self.each(file, at, range, decode, |record| out.push(record))?;
        Some(out)
    }

    /// Reads the records in `range` from the section starting at `at`, handing each to
    /// `sink` as it is decoded.
    fn each<T>(
        &self,
        file: &mut File,
        at: usize,
        range: std::ops::Range<usize>,
        decode: impl Fn(&mut Reader<'_>) -> Option<T>,
        mut sink: impl FnMut(T),
    ) -> Option<()> {
        self.bodies(file, at, range, |body| {
            let mut r = Reader { bytes: body, at: 0 };
            let record = decode(&mut r)?;
            (r.at == body.len()).then(|| sink(record))
        })
    }

    /// Whether every record checks against its checksum, read a slice at a time.
    fn verify(&self, file: &mut File, at: usize) -> bool {
        const SLICE: usize = 4096;
        (0..self.len()).step_by(SLICE).all(|start| {
            let range = start..(start + SLICE).min(self.len());
            self.bodies(file, at, range, |_| Some(())).is_some()
        })
    }

    /// Hands `each` the bytes of each record in `range` of the section starting at
    /// `at`, once they check against their checksum.
    fn bodies(
        &self,
        file: &mut File,
        at: usize,
        range: std::ops::Range<usize>,
        mut each: impl FnMut(&[u8]) -> Option<()>,
    ) -> Option<()> {
        let (from, to) = (*self.places.get(range.start)?, *self.places.get(range.end)?);
        file.seek(SeekFrom::Start(at.checked_add(from)? as u64))
            .ok()?;
        let bytes = read_next(file, to.checked_sub(from)?.min(1 << 30))?;
        for pair in self.places[range.start..=range.end].windows(2) {
            let (start, end) = (pair[0].checked_sub(from)?, pair[1].checked_sub(from)?);
            // Each record ends with the checksum of its bytes.
            let body_end = end.checked_sub(4)?;
            let body = bytes.get(start..body_end)?;
            if crc(body).to_le_bytes() != bytes[body_end..end] {
                return None;
            }
            each(body)?;
        }
        Some(())
    }
}

#[derive(Default)]
pub(super) struct Writer(pub(super) Vec<u8>);

impl Writer {
    pub(super) fn action(&mut self, a: &Action) {
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
        self.opt_str(a.by.as_deref());
        self.opt_str(a.follows_up.as_deref());
        self.u8(u8::from(a.asked) | u8::from(a.story) << 1);
        self.strs(&a.with);
    }

    pub(super) fn follow_up(&mut self, f: &FollowUp) {
        self.str(&f.id);
        self.u64(f.num);
        self.str(&f.client);
        self.str(&f.text);
        self.i64(i64::from(chrono::Datelike::num_days_from_ce(&f.due)));
        // The due time as minutes past midnight, or none.
        self.u32(f.due_time.map_or(u32::MAX, |t| t.hour() * 60 + t.minute()));
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
        self.opt_str(f.by.as_deref());
        // How often it recurs, as typed ("2w"), and the date its schedule counts from.
        let every = f.every.map(|p| p.to_string());
        self.opt_str(every.as_deref());
        self.i64(f.every_from.map_or(i64::MIN, |d| {
            i64::from(chrono::Datelike::num_days_from_ce(&d))
        }));
        self.strs(&f.with);
    }

    pub(super) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
    pub(super) fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    pub(super) fn strs(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
    pub(super) fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.str(v);
            }
            None => self.u8(0),
        }
    }
    pub(super) fn time(&mut self, at: DateTime<FixedOffset>) {
        self.i64(at.timestamp());
        self.u32(at.timestamp_subsec_nanos());
        self.i64(i64::from(at.offset().local_minus_utc()));
    }
}

/// The first time (Unix seconds) the follow-up encoded in `record` bears on: when it
/// was created, or closed if that was earlier (as an import may say). Read as far as
/// that.
pub(super) fn earliest_of(record: &[u8]) -> Option<i64> {
    let mut r = Reader {
        bytes: record,
        at: 0,
    };
    // Its id, number, client, text, due date and time, and status come first.
    r.bytes()?;
    r.u64()?;
    r.bytes()?;
    r.bytes()?;
    r.take(8 + 4 + 1)?;
    let created = r.time()?.timestamp();
    Some(match r.u8()? {
        1 => created.min(r.time()?.timestamp()),
        _ => created,
    })
}

/// UTF-8 bytes as a `String`.
fn owned(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

fn opt_owned(bytes: Option<&[u8]>) -> Option<Option<String>> {
    bytes.map_or(Some(None), |b| owned(b).map(Some))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn timed(&mut self) -> Option<Timed> {
        let (first, n) = (self.u32()? as usize, self.u32()? as usize);
        let instants = self
            .take(n.checked_mul(8)?)?
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let places: Vec<usize> = self
            .take(n.checked_add(1)?.checked_mul(8)?)?
            .chunks_exact(8)
            .map(|b| usize::try_from(u64::from_le_bytes(b.try_into().expect("8 bytes"))).ok())
            .collect::<Option<_>>()?;
        places.is_sorted().then_some(Timed {
            first,
            instants,
            places,
        })
    }

    /// `n` times (Unix seconds).
    fn instants(&mut self, n: usize) -> Option<Vec<i64>> {
        let bytes = self.take(n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        )
    }

    /// `n` places (positions among all actions).
    fn places(&mut self, n: usize) -> Option<Vec<usize>> {
        let bytes = self.take(n.checked_mul(4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
                .collect(),
        )
    }

    fn days(&mut self) -> Option<Days> {
        let n = self.u32()? as usize;
        let days = self
            .take(n.checked_mul(28)?)?
            .chunks_exact(28)
            .map(|b| {
                let number = |at: usize| i64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
                let count = u32::from_le_bytes(b[24..28].try_into().expect("4 bytes"));
                let (first, last) = (number(8), number(16));
                (number(0), Span { first, last, count })
            })
            .collect();
        Days::listed(days)
    }

    fn action(&mut self) -> Option<Action> {
        let id = self.string()?;
        let num = self.u64()?;
        let client = self.string()?;
        let kind = *Kind::ALL.get(usize::from(self.u8()?))?;
        let at = self.time()?;
        let text = self.string()?;
        let tags = self.strings()?;
        let by = self.opt_string()?;
        let follows_up = self.opt_string()?;
        let flags = self.u8()?;
        let with = self.strings()?;
        Some(Action {
            id,
            num,
            client,
            kind,
            text,
            at,
            tags,
            by,
            follows_up,
            asked: flags & 1 != 0,
            story: flags & 2 != 0,
            with,
        })
    }

    /// An action's id and what counting it needs: `action`, read as far and as
    /// strictly, without keeping the rest.
    fn counted(&mut self) -> Option<(&'a str, Counted<'a>)> {
        let id = self.str()?;
        self.u64()?;
        let client = self.str()?;
        let kind = *Kind::ALL.get(usize::from(self.u8()?))?;
        let at = self.time()?.timestamp();
        self.str()?;
        self.strs()?;
        self.opt_str()?;
        let follows_up = self.opt_str()?;
        let flags = self.u8()?;
        self.strs()?;
        let counted = Counted {
            client,
            at,
            kind,
            asked: flags & 1 != 0,
            story: flags & 2 != 0,
            follows_up,
        };
        Some((id, counted))
    }

    fn follow_up(&mut self) -> Option<FollowUp> {
        self.follow_up_due_by(None).flatten()
    }

    /// The follow-up here, or `Some(None)` when it is due after `by`: then it is passed
    /// over without copying any of its text.
    fn follow_up_due_by(&mut self, by: Option<NaiveDate>) -> Option<Option<FollowUp>> {
        let id = self.bytes()?;
        let num = self.u64()?;
        let client = self.bytes()?;
        let text = self.bytes()?;
        let due = NaiveDate::from_num_days_from_ce_opt(i32::try_from(self.i64()?).ok()?)?;
        let due_time = match self.u32()? {
            u32::MAX => None,
            minutes => Some(NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?),
        };
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
        let action = self.opt_bytes()?;
        let made_by = self.opt_bytes()?;
        let every = match self.opt_bytes()? {
            Some(text) => Some(std::str::from_utf8(text).ok()?.parse().ok()?),
            None => None,
        };
        let every_from = match self.i64()? {
            i64::MIN => None,
            days => Some(NaiveDate::from_num_days_from_ce_opt(
                i32::try_from(days).ok()?,
            )?),
        };
        let with = (0..self.u32()?)
            .map(|_| self.bytes())
            .collect::<Option<Vec<_>>>()?;
        if by.is_some_and(|by| due > by) {
            return Some(None);
        }
        Some(Some(FollowUp {
            id: owned(id)?,
            num,
            client: owned(client)?,
            text: owned(text)?,
            due,
            due_time,
            status,
            created,
            closed_at,
            snoozes,
            action: opt_owned(action)?,
            by: opt_owned(made_by)?,
            every,
            every_from,
            with: with.into_iter().map(owned).collect::<Option<_>>()?,
        }))
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
        owned(self.bytes()?)
    }
    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        self.opt_bytes()?.map(std::str::from_utf8).transpose().ok()
    }
    /// A list of strings, checked and passed over.
    fn strs(&mut self) -> Option<()> {
        (0..self.u32()?).try_for_each(|_| self.str().map(drop))
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        (0..self.u32()?).map(|_| self.string()).collect()
    }
    fn opt_bytes(&mut self) -> Option<Option<&'a [u8]>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.bytes().map(Some),
            _ => None,
        }
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        opt_owned(self.opt_bytes()?)
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

    /// The demo's time now, and one of its actions.
    fn demo_action() -> (DateTime<FixedOffset>, Action) {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap();
        let action = demo_record(now, |r| match r {
            Record::Action(a) => Some(a),
            _ => None,
        });
        (now, action)
    }

    /// The first of the demo's records at `now` that `pick` takes.
    fn demo_record<T>(now: DateTime<FixedOffset>, pick: impl Fn(Record) -> Option<T>) -> T {
        crate::demo::records(now)
            .into_iter()
            .find_map(pick)
            .unwrap()
    }

    #[test]
    fn a_window_adds_up_every_action_as_the_whole_state_does() {
        // Three years of actions: a client touched only long ago, one only lately, one
        // all along; some of them stories.
        let (now, template) = demo_action();
        let mut state = State::default();
        for (i, (client, days_ago)) in (0..3 * 365)
            .step_by(5)
            .map(|d| ("long ago", d + 500))
            .chain((0..300).step_by(3).map(|d| ("lately", d)))
            .chain((0..3 * 365).step_by(2).map(|d| ("all along", d)))
            .chain((0..4 * 365).step_by(30).map(|d| ("now and then", d + 13)))
            .chain([("once, long ago", 365 * 300)])
            .enumerate()
        {
            let mut a = template.clone();
            (a.id, a.num, a.client) = (format!("a{i}"), i as u64 + 1, client.to_string());
            a.at = now - chrono::Duration::days(days_ago) + chrono::Duration::minutes(i as i64);
            a.story = i % 7 == 0;
            state.insert(Record::Action(a));
        }
        // Follow-ups closed over the same years, some closed before they were made
        // (as an import may have it), some open long, one still open.
        let template = demo_record(now, |r| match r {
            Record::FollowUp(f) => Some(f),
            _ => None,
        });
        for (i, days_ago) in (0..3 * 365).step_by(4).enumerate() {
            let mut f = template.clone();
            (f.id, f.num) = (format!("f{i}"), 10_000 + i as u64);
            f.client = ["long ago", "lately", "all along"][i % 3].to_string();
            let open_for = [-2, 0, 3, 40, 500][i % 5];
            f.created = now - chrono::Duration::days(days_ago) + chrono::Duration::hours(i as i64);
            f.closed_at = Some(f.created + chrono::Duration::days(open_for));
            f.status = if i % 9 == 0 {
                crate::model::Status::Cancelled
            } else {
                crate::model::Status::Done
            };
            if i == 7 {
                (f.closed_at, f.status) = (None, crate::model::Status::Open);
            }
            state.insert(Record::FollowUp(f));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let mark = Mark { covers: 0, crc: 0 };
        std::fs::write(&path, super::super::build::bytes_of(mark, None, &state)).unwrap();
        let at = |days_ago: i64| (now - chrono::Duration::days(days_ago)).timestamp();
        // A recent window (the recent index alone), older ones (reaching back to a
        // checkpoint), one across the split, one before the first action.
        let windows = [
            (at(7), at(0)),
            (at(900), at(893)),
            (at(1206), at(1190)),
            (at(420), at(380)),
            (at(2000), at(1990)),
        ];
        for (from, to) in windows {
            let window = read(&path, Part::Window(from, from, to), None)
                .unwrap()
                .state;
            let sums = window.all_actions.as_ref().unwrap();
            if from < at(400) {
                // A checkpoint, a step or so before: the step widens to keep the rows
                // (4 clients) no bigger than the older actions (a few hundred).
                assert!(sums.since <= from && from - sums.since < 8 * CHECKPOINT);
                assert_eq!((sums.since - MONDAY) % CHECKPOINT, 0);
                assert_eq!(sums.until, to);
            } else {
                assert_eq!(sums.until, i64::MAX);
            }
            // Every follow-up that bears on the window: open, or closed since it
            // began, and made or closed before it ended; and none closed before it.
            let earliest = |f: &FollowUp| {
                let closed = f.closed_at.map_or(i64::MAX, |at| at.timestamp());
                f.created.timestamp().min(closed)
            };
            for f in state.follow_ups.values() {
                let bears = closed_key(f).is_none_or(|key| key >= from) && earliest(f) < to;
                if bears {
                    assert_eq!(window.follow_ups.get(&f.id), Some(f), "{from}");
                }
                if closed_key(f).is_some_and(|key| key < from) {
                    assert!(!window.follow_ups.contains_key(&f.id));
                }
            }
            let mut held: Vec<&String> = window.actions.keys().collect();
            let mut expected: Vec<&String> = state
                .actions
                .values()
                .filter(|a| (from..to).contains(&a.at.timestamp()))
                .map(|a| &a.id)
                .collect();
            held.sort();
            expected.sort();
            assert_eq!(held, expected);
            // The same window with its first days only counted: those are counted as
            // they are but for stories, the rest held whole.
            let whole_from = from + 3 * DAY;
            let counting = read(&path, Part::Window(from, whole_from, to), None)
                .unwrap()
                .state;
            let in_window = |a: &&Action| (from..to).contains(&a.at.timestamp());
            let mut counted: Vec<Counted> = counting.counted.iter().collect();
            let mut expected: Vec<Counted> = (state.actions.values().filter(in_window))
                .filter(|a| a.at.timestamp() < whole_from && !a.story)
                .map(Counted::of)
                .collect();
            counted.sort_by_key(|c| c.at);
            expected.sort_by_key(|c| c.at);
            // Only the window before the first action counts none.
            assert_eq!(counted.is_empty(), from == at(2000));
            assert_eq!(counted, expected);
            assert!((counting.actions.values()).all(|a| a.at.timestamp() >= whole_from || a.story));
            assert_eq!(counting.actions.len() + counted.len(), window.actions.len());
            for before in [to, at(0)].into_iter().filter(|&b| b <= sums.until) {
                let before = DateTime::from_timestamp(before, 0).unwrap().fixed_offset();
                assert_eq!(
                    window.client_activity(before),
                    state.client_activity(before)
                );
            }
            for start in (at(1200)..to).step_by(DAY as usize * 3) {
                for stories in [false, true] {
                    let week = (start, start + 7 * DAY);
                    assert_eq!(
                        window.action_days(stories).any_between(week.0, week.1),
                        state.action_days(stories).any_between(week.0, week.1),
                    );
                }
            }
        }
        // A week anywhere reaches back to the checkpoint before it: each client's
        // latest action by its end is the whole state's.
        for from in (at(1500)..at(0)).step_by(DAY as usize * 5) {
            let to = from + 7 * DAY;
            let window = read(&path, Part::Window(from, from, to), None).unwrap();
            let before = DateTime::from_timestamp(to, 0).unwrap().fixed_offset();
            assert_eq!(
                window.state.client_activity(before),
                state.client_activity(before),
                "{from}"
            );
        }
    }

    #[test]
    fn a_recent_window_finds_older_actions_in_the_slices_they_lie_in() {
        // Six years of actions, most of them in the older part, which spans many
        // slices.
        let (now, template) = demo_action();
        let mut state = State::default();
        for i in 0..6 * 365 * 8 {
            let mut a = template.clone();
            (a.id, a.num) = (format!("a{i}"), i as u64 + 1);
            a.at = now - chrono::Duration::hours(3 * i as i64);
            state.insert(Record::Action(a));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let mark = Mark { covers: 0, crc: 0 };
        let bytes = super::super::build::bytes_of(mark, None, &state);
        let at = |days_ago: i64| (now - chrono::Duration::days(days_ago)).timestamp();
        // The older part's place and length, the actions of a day long ago, and the
        // slices read to find them.
        let older = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            let mut contents = read(&path, Part::Window(at(7), at(7), at(0)), None).unwrap();
            let ids = contents.actions_timed(at(1000), at(999)).map(|found| {
                let mut ids: Vec<String> = found.into_iter().map(|a| a.id).collect();
                ids.sort();
                ids
            });
            let older = contents.older.as_ref().unwrap();
            let read: Vec<usize> = older.kept.iter().map(|(slice, _)| *slice).collect();
            (older.at as usize, older.len, ids, read)
        };
        let (start, len, day, read) = older(&bytes);
        let slices = len.div_ceil(OLDER_SLICE);
        assert!(slices > 8, "{len} bytes of older indexes");
        assert!(
            read.len() < slices / 2,
            "{} of {slices} slices read",
            read.len()
        );
        let mut expected: Vec<String> = state
            .actions
            .values()
            .filter(|a| (at(1000)..at(999)).contains(&a.at.timestamp()))
            .map(|a| a.id.clone())
            .collect();
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(day, Some(expected));
        // A damaged slice fails the search when it reads it, and only then.
        for slice in 0..slices {
            let mut damaged = bytes.clone();
            damaged[start + slice * OLDER_SLICE] ^= 1;
            let (_, _, day, _) = older(&damaged);
            assert_eq!(day.is_none(), read.contains(&slice), "slice {slice}");
        }
    }

    #[test]
    fn a_state_round_trips_and_a_damaged_file_reads_as_none() {
        // (A window of time is checked end to end in the integration tests.)
        let mut state = State::default();
        for record in
            crate::demo::records(DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap())
        {
            state.insert(record);
        }
        state.insert(Record::tombstone("demo-action-3", Some(3)));
        // A recurring follow-up, open and closed, and an action recording an outcome;
        // someone at a client, whom they are with.
        let mut follow_ups = state.follow_ups.values().cloned().collect::<Vec<_>>();
        follow_ups.sort_by_key(|f| f.num);
        let mut action = state.actions.values().next().cloned().unwrap();
        let person = Person {
            id: "p1".into(),
            client: action.client.clone(),
            name: "Dana Lee".into(),
            role: Some("CFO".into()),
            email: None,
            created: action.at,
        };
        for f in &mut follow_ups {
            f.every = Some("2w".parse().unwrap());
            f.every_from = Some(f.due);
            f.with = vec![person.id.clone()];
            action.follows_up = Some(f.id.clone());
            state.insert(Record::FollowUp(f.clone()));
        }
        action.with = vec![person.id.clone()];
        state.insert(Record::Person(person));
        state.insert(Record::Action(action));
        let mark = Mark {
            covers: 1234,
            crc: 0xdead_beef,
        };
        let seal = Seal {
            len: 2000,
            stamp: Stamp {
                inode: 7,
                ..Stamp::default()
            },
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let bytes = super::super::build::bytes_of(mark, Some(seal), &state);
        std::fs::write(&path, &bytes).unwrap();
        let Contents {
            mark: read_mark,
            seal: read_seal,
            state: read_state,
            ..
        } = read(&path, Part::All, None).unwrap();
        assert_eq!((read_mark, read_seal), (mark, Some(seal)));
        assert_eq!(read_state.clients, state.clients);
        assert_eq!(read_state.people, state.people);
        assert_eq!(read_state.actions, state.actions);
        assert_eq!(read_state.follow_ups, state.follow_ups);
        assert_eq!(read_state.next_num(), state.next_num());
        let open = read(&path, Part::Open, None).unwrap().state;
        assert_eq!(
            (open.actions.len(), open.clients.len()),
            (0, state.clients.len())
        );
        assert!(open.follow_ups.values().all(|f| f.status == Status::Open));
        assert_eq!(
            open.follow_ups.len(),
            state
                .follow_ups
                .values()
                .filter(|f| f.closed_at.is_none())
                .count()
        );
        // Only the open follow-ups due by a day, when asked for those.
        let mut partial = false;
        for day in state.follow_ups.values().map(|f| f.due) {
            let due = read(&path, Part::Due(day), None).unwrap().state;
            let mut nums: Vec<u64> = due.follow_ups.values().map(|f| f.num).collect();
            let mut expected: Vec<u64> = open
                .follow_ups
                .values()
                .filter(|f| f.due <= day)
                .map(|f| f.num)
                .collect();
            nums.sort();
            expected.sort();
            assert_eq!(nums, expected, "due by {day}");
            assert_eq!(due.clients, state.clients);
            partial |= !nums.is_empty() && nums.len() < open.follow_ups.len();
        }
        assert!(partial, "some day has some open follow-ups due, not all");
        // Every action and follow-up is found by its number, and only those.
        let mut snap = read(&path, Part::Head, None).unwrap();
        let held: Vec<Record> = state
            .actions
            .values()
            .cloned()
            .map(Record::Action)
            .chain(state.follow_ups.values().cloned().map(Record::FollowUp))
            .collect();
        assert!(state.follow_ups.values().any(|f| f.closed_at.is_none()));
        for record in &held {
            let num = record.num().unwrap();
            assert_eq!(snap.lookup(&[num]).unwrap(), vec![record.clone()]);
        }
        let unheld = (1..=state.max_num() + 1)
            .filter(|n| held.iter().all(|r| r.num() != Some(*n)))
            .collect::<Vec<_>>();
        assert!(!unheld.is_empty());
        assert_eq!(snap.lookup(&unheld).unwrap(), vec![]);
        // One client's window holds that client's actions and closed follow-ups alone.
        for client in state.clients.keys() {
            let window = read(
                &path,
                Part::Window(i64::MIN, i64::MIN, i64::MAX),
                Some(client),
            );
            let window = window.unwrap().state;
            // The ids of the client's records among (client, id) pairs, sorted.
            let of_client = |pairs: Vec<(&String, &String)>| {
                let mut ids: Vec<String> = pairs
                    .into_iter()
                    .filter(|(owner, _)| *owner == client)
                    .map(|(_, id)| id.clone())
                    .collect();
                ids.sort();
                ids
            };
            let actions =
                |s: &State| of_client(s.actions.values().map(|a| (&a.client, &a.id)).collect());
            let follow_ups =
                |s: &State| of_client(s.follow_ups.values().map(|f| (&f.client, &f.id)).collect());
            assert_eq!(actions(&window), actions(&state));
            assert_eq!(window.actions.len(), actions(&state).len());
            assert_eq!(follow_ups(&window), follow_ups(&state));
        }
        let head = read(&path, Part::Head, None).unwrap().state;
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
