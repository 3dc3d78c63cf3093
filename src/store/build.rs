//! Making a snapshot (its format is in `snapshot`), from a state in memory or from the
//! journal read as a stream.
//!
//! Either way the clients, the people and the open follow-ups are held in a `State`,
//! and every action and closed follow-up is encoded as it comes into a `Spill` (in
//! memory for a state, in a temp file for a journal), leaving only an `Entry` of 32
//! bytes per record: its time, number and client, and where its bytes are. The entries
//! are then sorted three ways, for the records in time order and their indexes, each
//! client's list, and the number index, and the snapshot is written front to back,
//! its prefix last. Made from the journal, this keeps memory to about 40 bytes a
//! record, whatever the records hold.

use foldhash::{HashMap, HashMapExt};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::newest::{Marks, Newest};
use super::snapshot::{
    BLOCK, CHECKPOINT, DAY, MAGIC, MONDAY, Mark, OLDER_SLICE, PREFIX, RECENT, Seal, Writer, ZONE,
    closed_key, crc, earliest_of, encode_seal,
};
use super::stream::{self, Sink};
use crate::action_sums::Days;
use crate::model::{Action, FollowUp, Person, Record};
use crate::state::State;

/// An action or a closed follow-up, encoded.
#[derive(Clone, Copy)]
struct Entry {
    /// What it is indexed by: an action's time, a follow-up's `closed_key`.
    time: i64,
    num: u64,
    /// Where its bytes are: in the spill, then once written, in the snapshot.
    at: u64,
    /// How many bytes, its checksum included.
    len: u32,
    /// Its client's rank among the clients' ids, and the flags `ACTION` and `STORY`.
    client: u32,
}

const ACTION: u32 = 1 << 31;
const STORY: u32 = 1 << 30;

impl Entry {
    fn is_action(&self) -> bool {
        self.client & ACTION != 0
    }

    fn rank(&self) -> u32 {
        self.client & !(ACTION | STORY)
    }

    /// The order of the records in the snapshot: the closed follow-ups, then the
    /// actions, each by time then number (then as they were spilled).
    fn order(&self) -> (bool, i64, u64, u64) {
        (self.is_action(), self.time, self.num, self.at)
    }
}

/// The records' bytes. They gather in memory; read from a journal, each `RUN` of them
/// is sorted as the snapshot orders them and written to a temp file, so that the
/// records, in order, are read from each run front to back.
struct Spill {
    /// Where a temp file may go; the file once made, and its name.
    dir: Option<PathBuf>,
    file: Option<(File, PathBuf)>,
    /// Where each run in the file begins.
    runs: Vec<u64>,
    /// The bytes since the last run, which begin at `buf_at`.
    buf: Vec<u8>,
    buf_at: u64,
    /// The first entry of the bytes in `buf`.
    first: usize,
    /// How many bytes gather before they are spilled as a run.
    run: usize,
}

const RUN: usize = 8 << 20;

impl Drop for Spill {
    /// Removes the temp file where `spill_file` could not.
    fn drop(&mut self) {
        if let Some((file, path)) = self.file.take()
            && cfg!(not(unix))
        {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Spill {
    /// The `len` bytes at `at`: in memory, or in a run, read in order from where the
    /// run's last were (`windows`: per run, where its window begins and its bytes).
    fn get<'a>(
        &'a self,
        windows: &'a mut [(u64, Vec<u8>)],
        at: u64,
        len: u32,
    ) -> io::Result<&'a [u8]> {
        let len = len as usize;
        if at >= self.buf_at {
            let from = (at - self.buf_at) as usize;
            return Ok(&self.buf[from..from + len]);
        }
        let run = self.runs.partition_point(|&start| start <= at) - 1;
        let end = self.runs.get(run + 1).copied().unwrap_or(self.buf_at);
        let (window_at, window) = &mut windows[run];
        if at < *window_at || at + len as u64 > *window_at + window.len() as u64 {
            let size = ((1 << 16).max(len) as u64).min(end - at);
            window.resize(size as usize, 0);
            let mut file = &self.file.as_ref().ok_or(io::ErrorKind::UnexpectedEof)?.0;
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(window)?;
            *window_at = at;
        }
        let from = (at - *window_at) as usize;
        Ok(&window[from..from + len])
    }
}

/// Every action and closed follow-up, encoded, and their clients.
pub struct Bulk {
    entries: Vec<Entry>,
    spill: Spill,
    /// The clients' ids, each once; sorted by `finish`, which ranks the entries so.
    clients: Vec<String>,
    ranks: HashMap<String, u32>,
    scratch: Writer,
}

impl Bulk {
    /// A bulk held in memory, or with runs spilled to a temp file in `dir`.
    fn new(dir: Option<&Path>) -> Bulk {
        Bulk {
            entries: Vec::new(),
            spill: Spill {
                dir: dir.map(Path::to_path_buf),
                file: None,
                runs: Vec::new(),
                buf: Vec::new(),
                buf_at: 0,
                first: 0,
                run: RUN,
            },
            clients: Vec::new(),
            ranks: HashMap::new(),
            scratch: Writer::default(),
        }
    }

    /// The actions and closed follow-ups of `state`, in memory.
    pub fn of(state: &State) -> io::Result<Bulk> {
        let mut bulk = Bulk::new(None);
        for a in state.actions.values() {
            bulk.action(a)?;
        }
        for f in state.follow_ups.values() {
            bulk.follow_up(f)?;
        }
        Ok(bulk)
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn action(&mut self, a: &Action) -> io::Result<()> {
        let flags = ACTION | if a.story { STORY } else { 0 };
        let time = a.at.timestamp();
        self.add(time, a.num, &a.client, flags, |w| w.action(a))
    }

    /// Takes a closed follow-up; an open one is not for it.
    fn follow_up(&mut self, f: &FollowUp) -> io::Result<()> {
        match closed_key(f) {
            Some(time) => self.add(time, f.num, &f.client, 0, |w| w.follow_up(f)),
            None => Ok(()),
        }
    }

    fn add(
        &mut self,
        time: i64,
        num: u64,
        client: &str,
        flags: u32,
        encode: impl FnOnce(&mut Writer),
    ) -> io::Result<()> {
        let rank = match self.ranks.get(client) {
            Some(&rank) => rank,
            None => {
                let rank = self.clients.len() as u32;
                self.clients.push(client.to_string());
                self.ranks.insert(client.to_string(), rank);
                rank
            }
        };
        self.scratch.0.clear();
        encode(&mut self.scratch);
        let sum = crc(&self.scratch.0);
        self.scratch.u32(sum);
        let spill = &self.spill;
        if spill.dir.is_some() && spill.buf.len() + self.scratch.0.len() > spill.run {
            self.write_run()?;
        }
        let spill = &mut self.spill;
        let at = spill.buf_at + spill.buf.len() as u64;
        spill.buf.extend_from_slice(&self.scratch.0);
        let len = self.scratch.0.len() as u32;
        self.entries.push(Entry {
            time,
            num,
            at,
            len,
            client: rank | flags,
        });
        Ok(())
    }

    /// Sorts the entries since the last run, and writes their bytes so to the file.
    fn write_run(&mut self) -> io::Result<()> {
        let spill = &mut self.spill;
        let (file, _) = match &mut spill.file {
            Some(file) => file,
            None => spill
                .file
                .insert(spill_file(spill.dir.as_deref().unwrap_or(Path::new(".")))?),
        };
        let run = &mut self.entries[spill.first..];
        run.sort_unstable_by_key(Entry::order);
        let mut out = io::BufWriter::with_capacity(1 << 18, &*file);
        let mut at = spill.buf_at;
        for e in run {
            let from = (e.at - spill.buf_at) as usize;
            out.write_all(&spill.buf[from..from + e.len as usize])?;
            e.at = at;
            at += u64::from(e.len);
        }
        out.flush()?;
        spill.runs.push(spill.buf_at);
        spill.buf_at = at;
        spill.buf.clear();
        spill.first = self.entries.len();
        Ok(())
    }

    /// Ranks the clients by id and sorts the entries as their records are written:
    /// the closed follow-ups, then the actions, each by time then number.
    fn finish(&mut self) -> io::Result<()> {
        // Once runs are spilled, the last is too, to free its memory.
        if self.spill.file.is_some() {
            self.write_run()?;
            self.spill.buf = Vec::new();
        }
        let mut order: Vec<u32> = (0..self.clients.len() as u32).collect();
        order.sort_by(|&a, &b| self.clients[a as usize].cmp(&self.clients[b as usize]));
        let mut rank = vec![0; order.len()];
        for (to, &from) in order.iter().enumerate() {
            rank[from as usize] = to as u32;
        }
        for e in &mut self.entries {
            e.client = rank[e.rank() as usize] | (e.client & (ACTION | STORY));
        }
        let mut clients = std::mem::take(&mut self.clients);
        self.clients = order
            .iter()
            .map(|&i| std::mem::take(&mut clients[i as usize]))
            .collect();
        self.ranks = HashMap::new();
        self.entries.sort_unstable_by_key(Entry::order);
        Ok(())
    }
}

/// Reads the journal `file`, `len` bytes long, as a stream, twice: for each record's
/// newest version, then to keep those. The clients, people and open follow-ups in a
/// state, with the numbering and the change sequence; the rest spilled to a temp file
/// in `dir`. With the bytes read (the complete lines) and their CRC-32; `None` when
/// the journal does not read (see `stream::read`).
pub fn from_journal(
    file: &File,
    len: u64,
    dir: &Path,
) -> io::Result<Option<(State, Bulk, u64, u32)>> {
    from_journal_in_runs(file, len, dir, RUN)
}

/// `from_journal`, spilling runs of `run` bytes.
fn from_journal_in_runs(
    file: &File,
    len: u64,
    dir: &Path,
    run: usize,
) -> io::Result<Option<(State, Bulk, u64, u32)>> {
    let Some(newest) = Newest::scan(file, len) else {
        return Ok(None);
    };
    let (max_seq, complete_len, crc) = (newest.max_seq, newest.complete_len, newest.crc);
    let marks = newest.marks();
    let mut bulk = Bulk::new(Some(dir));
    bulk.entries.reserve_exact(marks.records());
    bulk.spill.run = run;
    bulk.spill.buf.reserve_exact(run.min(RUN));
    let mut sink = Keep {
        marks,
        occurrence: 0,
        state: State::default(),
        bulk,
        error: None,
    };
    let read = stream::read(file, len, &mut sink);
    if let Some(err) = sink.error {
        return Err(err);
    }
    if read != Some((complete_len, crc)) {
        return Ok(None);
    }
    sink.state.note_seq(max_seq);
    Ok(Some((sink.state, sink.bulk, complete_len, crc)))
}

/// A temp file in `dir` for the spill, and its name. It is removed at once where the
/// system allows an open file to be (so even a killed process leaves nothing behind),
/// else when the spill is dropped.
pub(super) fn spill_file(dir: &Path) -> io::Result<(File, PathBuf)> {
    let path = dir.join(format!(
        "{}{}",
        super::files::TEMP_PREFIX,
        crate::model::new_id()
    ));
    let file = super::files::private_options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    #[cfg(unix)]
    std::fs::remove_file(&path)?;
    Ok((file, path))
}

/// Keeps each record's newest version: clients, people and open follow-ups in the
/// state, the others in the bulk; and notes the numbers of every version that took
/// effect.
struct Keep {
    marks: Marks,
    occurrence: u32,
    state: State,
    bulk: Bulk,
    error: Option<io::Error>,
}

impl Sink for Keep {
    type Record = Record;

    fn record(&mut self, record: Record) -> Result<(), String> {
        let occurrence = self.occurrence;
        self.occurrence += 1;
        if !self.marks.took_effect(occurrence) {
            return Ok(());
        }
        self.state.note_numbers(&record);
        if !self.marks.is_newest(occurrence) {
            return Ok(());
        }
        let kept = match record {
            Record::Action(a) => self.bulk.action(&a),
            Record::FollowUp(f) if f.closed_at.is_some() => self.bulk.follow_up(&f),
            Record::Deleted { .. } => Ok(()),
            other => {
                self.state.insert(other);
                Ok(())
            }
        };
        kept.map_err(|err| {
            let message = err.to_string();
            self.error = Some(err);
            message
        })
    }
}

/// A section of the snapshot written as it is made, with its length and checksum, and
/// the checksum of each `OLDER_SLICE` bytes of it.
struct Section<'a, W: Write> {
    out: &'a mut W,
    buf: Writer,
    crc: crc32fast::Hasher,
    len: u64,
    slice: crc32fast::Hasher,
    slices: Vec<u32>,
}

impl<'a, W: Write> Section<'a, W> {
    fn new(out: &'a mut W) -> Self {
        Section {
            out,
            buf: Writer::default(),
            crc: crc32fast::Hasher::new(),
            len: 0,
            slice: crc32fast::Hasher::new(),
            slices: Vec::new(),
        }
    }

    /// Writes out what gathered, once it is a chunk (`done`: whatever it is).
    fn flush(&mut self, done: bool) -> io::Result<()> {
        if done || self.buf.0.len() >= 1 << 20 {
            self.crc.update(&self.buf.0);
            let mut rest = &self.buf.0[..];
            while !rest.is_empty() {
                let filled = self.len as usize % OLDER_SLICE;
                let (now, later) = rest.split_at(rest.len().min(OLDER_SLICE - filled));
                self.slice.update(now);
                self.len += now.len() as u64;
                if self.len.is_multiple_of(OLDER_SLICE as u64) {
                    self.slices.push(std::mem::take(&mut self.slice).finalize());
                }
                rest = later;
            }
            self.out.write_all(&self.buf.0)?;
            self.buf.0.clear();
        }
        Ok(())
    }

    /// The section's length, checksum, and its slices' checksums.
    fn done(mut self) -> io::Result<(u64, u32, Vec<u32>)> {
        self.flush(true)?;
        if !self.len.is_multiple_of(OLDER_SLICE as u64) {
            self.slices.push(self.slice.finalize());
        }
        Ok((self.len, self.crc.finalize(), self.slices))
    }
}

/// Writes the snapshot of `state`'s clients, people and open follow-ups and `bulk`'s
/// records to `out`, marked and sealed so.
pub fn write(
    out: &mut (impl Write + Seek),
    mark: Mark,
    seal: Option<Seal>,
    state: &State,
    mut bulk: Bulk,
) -> io::Result<()> {
    bulk.finish()?;
    let head = head(mark, state);
    let (open, open_places) = open(state);
    let entries = &mut bulk.entries;
    let closed = entries.partition_point(|e| !e.is_action());
    // The indexes split at `since`: the recent part, which every window reads, and the
    // older one.
    let since = entries[closed..]
        .last()
        .map_or(i64::MIN, |last| (last.time - RECENT).div_euclid(DAY) * DAY);
    let split = (
        entries[..closed].partition_point(|e| e.time < since),
        closed + entries[closed..].partition_point(|e| e.time < since),
    );
    // Each client's entries, in the order of the records.
    let by_client = by_rank(entries, bulk.clients.len());
    let groups: Vec<&[u32]> = by_client
        .chunk_by(|&a, &b| entries[a as usize].rank() == entries[b as usize].rank())
        .collect();
    // The first time each closed follow-up bears on, read back from its record: a
    // window passes over those that begin after it ends.
    let mut windows = vec![(0, Vec::new()); bulk.spill.runs.len()];
    let earliest = entries[..closed]
        .iter()
        .map(|e| {
            let record = bulk.spill.get(&mut windows, e.at, e.len)?;
            earliest_of(record).ok_or(io::Error::from(io::ErrorKind::InvalidData))
        })
        .collect::<io::Result<Vec<i64>>>()?;
    drop(windows);
    let checkpoints = Checkpoints::of(entries, closed..split.1, &groups, bulk.clients.len());

    out.write_all(&[0; PREFIX])?;
    out.write_all(&head.0)?;
    out.write_all(&open.0)?;
    let mut recent = Section::new(out);
    recent.buf.i64(since);
    recent.buf.i64(checkpoints.step);
    recent.buf.u32(checkpoints.kept.len() as u32);
    timed(&mut recent, &entries[..closed], split.0..closed)?;
    instants(&mut recent, &earliest[split.0..])?;
    timed(
        &mut recent,
        &entries[closed..],
        split.1 - closed..entries.len() - closed,
    )?;
    places(
        &mut recent,
        entries,
        closed,
        &groups,
        &bulk.clients,
        since,
        true,
    )?;
    let (mut days, mut stories) = (Days::default(), Days::default());
    for e in &entries[closed..] {
        days.add(e.time);
        if e.client & STORY != 0 {
            stories.add(e.time);
        }
    }
    for days in [days, stories] {
        recent.buf.u32(days.iter().len() as u32);
        for (day, span) in days.iter() {
            recent.buf.i64(*day);
            recent.buf.i64(span.first);
            recent.buf.i64(span.last);
            recent.buf.u32(span.count);
        }
    }
    let (recent_len, recent_sum, _) = recent.done()?;
    let mut old = Section::new(out);
    timed(&mut old, &entries[..closed], 0..split.0)?;
    instants(&mut old, &earliest[..split.0])?;
    let zones: Vec<i64> = (earliest[..split.0].chunks(ZONE as usize))
        .map(|zone| zone.iter().copied().min().unwrap_or(i64::MAX))
        .collect();
    instants(&mut old, &zones)?;
    drop(earliest);
    timed(&mut old, &entries[closed..], 0..split.1 - closed)?;
    places(
        &mut old,
        entries,
        closed,
        &groups,
        &bulk.clients,
        since,
        false,
    )?;
    checkpoints.write(&mut old, &entries[closed..split.1])?;
    let (old_len, old_sum, old_slices) = old.done()?;

    // The records, in order; each entry now says where its record is in the file.
    let head_len = head.0.len() as u64;
    let open_at = PREFIX as u64 + head_len;
    let records_at = open_at + open.0.len() as u64 + recent_len + old_len;
    let mut at = records_at;
    let mut windows = vec![(0, Vec::new()); bulk.spill.runs.len()];
    for e in entries.iter_mut() {
        out.write_all(bulk.spill.get(&mut windows, e.at, e.len)?)?;
        e.at = at;
        at += u64::from(e.len);
    }
    drop((windows, bulk.spill));

    // Each client's records (the time each is indexed by, whether an action, where and
    // how long), in a checksummed list per client, listed in the directory.
    let mut lists = Writer::default();
    lists.u32(groups.len() as u32);
    let mut list = Writer::default();
    for group in &groups {
        list.0.clear();
        for &i in group.iter() {
            let e = &entries[i as usize];
            list.i64(e.time);
            list.u8(u8::from(e.is_action()));
            list.u64(e.at);
            list.u32(e.len);
        }
        out.write_all(&list.0)?;
        lists.str(&bulk.clients[entries[group[0] as usize].rank() as usize]);
        lists.u64(at);
        lists.u32(group.len() as u32);
        lists.u32(crc(&list.0));
        at += list.0.len() as u64;
    }
    drop(groups);

    // The number index: where each record is, by number, in checksummed blocks of
    // `BLOCK`, and a directory of the blocks' first numbers.
    let numbered = |i: u32| match entries.get(i as usize) {
        Some(e) => (e.num, (e.is_action(), e.at, e.len)),
        None => {
            let (num, place, len) = open_places[i as usize - entries.len()];
            (num, (false, open_at + place, len))
        }
    };
    drop(by_client);
    let places = entries.len() + open_places.len();
    let by_num = by_number(places, numbered);
    let mut directory = Writer::default();
    directory.u32(places as u32);
    let mut block = Writer::default();
    for chunk in by_num.chunks(BLOCK) {
        block.0.clear();
        for &key in chunk {
            let (num, (action, place, len)) = numbered(key as u32);
            block.u64(num);
            block.u8(u8::from(action));
            block.u64(place);
            block.u32(len);
        }
        out.write_all(&block.0)?;
        directory.u64(numbered(chunk[0] as u32).0);
        directory.u32(crc(&block.0));
        at += block.0.len() as u64;
    }
    directory.0.extend_from_slice(&lists.0);
    // The older indexes' slices' checksums, so a window that reaches back reads and
    // checks only the slices it needs.
    directory.u32(old_slices.len() as u32);
    for sum in old_slices {
        directory.u32(sum);
    }
    out.write_all(&directory.0)?;

    let mut lengths = Vec::with_capacity(32);
    for len in [head_len, open.0.len() as u64, recent_len, records_at] {
        lengths.extend_from_slice(&len.to_le_bytes());
    }
    let mut head_crc = crc32fast::Hasher::new();
    head_crc.update(&lengths);
    head_crc.update(&head.0);
    let mut prefix = Vec::with_capacity(PREFIX);
    prefix.extend_from_slice(MAGIC);
    prefix.extend_from_slice(&lengths);
    prefix.extend_from_slice(&encode_seal(seal));
    prefix.extend_from_slice(&head_crc.finalize().to_le_bytes());
    prefix.extend_from_slice(&crc(&open.0).to_le_bytes());
    prefix.extend_from_slice(&recent_sum.to_le_bytes());
    prefix.extend_from_slice(&old_sum.to_le_bytes());
    prefix.extend_from_slice(&at.to_le_bytes());
    prefix.extend_from_slice(&(directory.0.len() as u64).to_le_bytes());
    prefix.extend_from_slice(&crc(&directory.0).to_le_bytes());
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&prefix)
}

/// The entries' places, by their client's rank, then in their order: counted into
/// place, each client's after those of the clients ranked before it.
fn by_rank(entries: &[Entry], clients: usize) -> Vec<u32> {
    let mut starts = vec![0u32; clients + 1];
    for e in entries {
        starts[e.rank() as usize + 1] += 1;
    }
    for rank in 1..starts.len() {
        starts[rank] += starts[rank - 1];
    }
    let mut places = vec![0; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        let start = &mut starts[e.rank() as usize];
        places[*start as usize] = i as u32;
        *start += 1;
    }
    places
}

/// The places `0..places` in the order of `numbered`, each in the low 32 bits of a
/// `u64` whose high ones hold its number, as far as 32 bits tell it: so the numbers
/// themselves are sorted, not places that look each up (which, in the memory of a
/// million records, took seconds); those tied are then sorted by `numbered`.
fn by_number<K: Ord>(places: usize, numbered: impl Fn(u32) -> (u64, K)) -> Vec<u64> {
    let mut by_num: Vec<u64> = (0..places as u32)
        .map(|i| numbered(i).0.min(u32::MAX.into()) << 32 | u64::from(i))
        .collect();
    by_num.sort_unstable();
    for tied in by_num.chunk_by_mut(|a, b| a >> 32 == b >> 32) {
        if tied.len() > 1 {
            tied.sort_unstable_by_key(|&key| numbered(key as u32));
        }
    }
    by_num
}

/// The head: the mark, the highest number and change sequence number, the numbering,
/// the clients (by name) and the people (by id).
fn head(mark: Mark, state: &State) -> Writer {
    let mut head = Writer::default();
    head.u64(mark.covers);
    head.u32(mark.crc);
    head.u64(state.max_num());
    head.u64(state.next_seq() - 1);
    let numbering = &state.numbering;
    head.u64(numbering.home_max);
    head.u32(numbering.home.len() as u32);
    for copy in &numbering.home {
        head.str(copy);
    }
    head.u32(numbering.blocks.len() as u32);
    for (block, (max, owner)) in &numbering.blocks {
        head.u64(*block);
        head.u64(*max);
        head.opt_str(owner.as_deref());
    }
    let clients = state.clients_by_name();
    head.u32(clients.len() as u32);
    for c in &clients {
        head.str(&c.id);
        head.str(&c.name);
        head.opt_str(c.tier.as_deref());
        head.u32(c.cadence_days.map_or(u32::MAX, |d| d));
        head.time(c.created);
    }
    // The people, with the clients: `log --with` reads the head alone.
    let mut people: Vec<&Person> = state.people.values().collect();
    people.sort_by(|a, b| a.id.cmp(&b.id));
    head.u32(people.len() as u32);
    for p in people {
        head.str(&p.id);
        head.str(&p.client);
        head.str(&p.name);
        head.opt_str(p.role.as_deref());
        head.opt_str(p.email.as_deref());
        head.time(p.created);
    }
    head
}

/// The open follow-ups by number, each with its own checksum, and where each is in
/// them (its number, place and length), for the number index.
fn open(state: &State) -> (Writer, Vec<(u64, u64, u32)>) {
    let mut open = Writer::default();
    let mut open_ones: Vec<&FollowUp> = state
        .follow_ups
        .values()
        .filter(|f| f.closed_at.is_none())
        .collect();
    open_ones.sort_by_key(|f| f.num);
    open.u32(open_ones.len() as u32);
    let mut places = Vec::with_capacity(open_ones.len());
    for f in open_ones {
        let start = open.0.len();
        open.follow_up(f);
        let sum = crc(&open.0[start..]);
        open.u32(sum);
        places.push((f.num, start as u64, (open.0.len() - start) as u32));
    }
    (open, places)
}

/// The index of the `range` of `records` (sorted by time): where it starts among them,
/// how many, their times, and where each record starts in their section (and, last,
/// where the range's records end).
fn timed<W: Write>(
    part: &mut Section<'_, W>,
    records: &[Entry],
    range: std::ops::Range<usize>,
) -> io::Result<()> {
    part.buf.u32(range.start as u32);
    part.buf.u32(range.len() as u32);
    for e in &records[range.clone()] {
        part.buf.i64(e.time);
        part.flush(false)?;
    }
    let mut place: u64 = records[..range.start]
        .iter()
        .map(|e| u64::from(e.len))
        .sum();
    for e in &records[range] {
        part.buf.u64(place);
        part.flush(false)?;
        place += u64::from(e.len);
    }
    part.buf.u64(place);
    Ok(())
}

/// Times (Unix seconds), one after another.
fn instants<W: Write>(part: &mut Section<'_, W>, times: &[i64]) -> io::Result<()> {
    for &time in times {
        part.buf.i64(time);
        part.flush(false)?;
    }
    Ok(())
}

/// Each client's latest older action at checkpoints a step apart (`CHECKPOINT` or a
/// power of two times it, Mondays at 00:00 UTC): a window that begins long ago reads
/// the row at or before it and the actions from there on, not the whole older index.
/// A row is kept only at the end of a step that holds actions (any other is the same
/// as the one before it), and the step is widened until the rows take no more than
/// the actions do (8 bytes each), so that neither a sparse history nor many clients
/// make them large. The older part ends with the checkpoints' numbers (checkpoint `k`
/// is at `MONDAY + k * step`), then the rows, each a time (`i64::MIN`: none) per
/// client in the order of the recent part's list of clients with actions (see
/// `places`).
struct Checkpoints {
    step: i64,
    /// The checkpoints kept, by number.
    kept: Vec<i64>,
    /// Per client rank, its column in a row.
    columns: Vec<u32>,
    width: usize,
}

impl Checkpoints {
    /// The checkpoints of the older actions, `entries[older]` (the actions begin at
    /// `older.start`), with the clients' entries in `groups`.
    fn of(
        entries: &[Entry],
        older: std::ops::Range<usize>,
        groups: &[&[u32]],
        clients: usize,
    ) -> Checkpoints {
        let mut columns = vec![u32::MAX; clients];
        let mut width = 0;
        for group in groups {
            if group.last().is_some_and(|&i| i as usize >= older.start) {
                columns[entries[group[0] as usize].rank() as usize] = width as u32;
                width += 1;
            }
        }
        let older = &entries[older];
        let ends = |step: i64| {
            let mut kept: Vec<i64> = Vec::new();
            for e in older {
                let end = (e.time - MONDAY).div_euclid(step) + 1;
                if kept.last() != Some(&end) {
                    kept.push(end);
                }
            }
            kept
        };
        let mut step = CHECKPOINT;
        let mut kept = ends(step);
        while kept.len().saturating_mul(width) > older.len() && kept.len() > 1 {
            step *= 2;
            kept = ends(step);
        }
        Checkpoints {
            step,
            kept,
            columns,
            width,
        }
    }

    /// Writes the checkpoints' numbers and rows, from the `older` actions.
    fn write<W: Write>(&self, part: &mut Section<'_, W>, older: &[Entry]) -> io::Result<()> {
        instants(part, &self.kept)?;
        let mut latest = vec![i64::MIN; self.width];
        let mut older = older.iter().peekable();
        for &k in &self.kept {
            let at = MONDAY + k * self.step;
            while let Some(e) = older.next_if(|e| e.time < at) {
                latest[self.columns[e.rank() as usize] as usize] = e.time;
            }
            instants(part, &latest)?;
        }
        Ok(())
    }
}

/// Each client's actions as places in their time order (so one client's card reads
/// only its own records): the older part has those before `since`; the `recent` part
/// the others, then how many the client has and its latest older time, which the sums
/// of a recent window need.
fn places<W: Write>(
    part: &mut Section<'_, W>,
    entries: &[Entry],
    closed: usize,
    groups: &[&[u32]],
    clients: &[String],
    since: i64,
    recent: bool,
) -> io::Result<()> {
    let with_actions: Vec<&[u32]> = groups
        .iter()
        .copied()
        .filter(|group| group.last().is_some_and(|&i| i as usize >= closed))
        .map(|group| &group[group.partition_point(|&i| (i as usize) < closed)..])
        .collect();
    part.buf.u32(with_actions.len() as u32);
    for group in with_actions {
        let split = group.partition_point(|&i| entries[i as usize].time < since);
        part.buf
            .str(&clients[entries[group[0] as usize].rank() as usize]);
        let shown = if recent {
            &group[split..]
        } else {
            &group[..split]
        };
        part.buf.u32(shown.len() as u32);
        for &i in shown {
            part.buf.u32(i - closed as u32);
            part.flush(false)?;
        }
        if recent {
            part.buf.u32(group.len() as u32);
            part.buf.i64(
                group[..split]
                    .last()
                    .map_or(i64::MIN, |&i| entries[i as usize].time),
            );
        }
    }
    Ok(())
}

/// The snapshot of `state` as bytes, for tests.
#[cfg(test)]
pub fn bytes_of(mark: Mark, seal: Option<Seal>, state: &State) -> Vec<u8> {
    let mut out = io::Cursor::new(Vec::new());
    write(&mut out, mark, seal, state, Bulk::of(state).unwrap()).unwrap();
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use chrono::{DateTime, Duration};

    use super::*;
    use crate::model::Status;
    use crate::store::journal::test_line;
    use crate::store::{FORMAT, VERSION};

    /// A journal of the demo's records, hundreds of actions out of time order, and
    /// edits, deletions, a merge that may not bring a deleted action back, follow-ups
    /// closed and reopened.
    fn journal() -> Vec<u8> {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap();
        let demo = crate::demo::records(now);
        let action = demo
            .iter()
            .find_map(|r| match r {
                Record::Action(a) => Some(a.clone()),
                _ => None,
            })
            .unwrap();
        let follow_up = demo
            .iter()
            .find_map(|r| match r {
                Record::FollowUp(f) => Some(f.clone()),
                _ => None,
            })
            .unwrap();
        let mut bytes = format!("{{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}\n").into_bytes();
        bytes.extend(test_line(1, "import", demo.clone()));
        let many = |i: u64| {
            let mut a = action.clone();
            (a.id, a.num) = (format!("b{i}"), 1000 + i);
            a.at = now - Duration::days((i * 7919 % 1500) as i64) + Duration::seconds(i as i64 % 3);
            a.text = format!("{} {i}", "words ".repeat((i % 40) as usize));
            a.story = i.is_multiple_of(5);
            Record::Action(a)
        };
        bytes.extend(test_line(2, "import", (0..400).map(many).collect()));
        let mut edited = match many(5) {
            Record::Action(a) => a,
            _ => unreachable!(),
        };
        edited.text = "edited".into();
        edited.at = now - Duration::days(2000);
        bytes.extend(test_line(3, "edit", vec![Record::Action(edited)]));
        bytes.extend(test_line(
            4,
            "delete",
            vec![Record::tombstone("b7", Some(1007))],
        ));
        bytes.extend(test_line(5, "merge", vec![many(7), many(400)]));
        let mut closed = follow_up.clone();
        (closed.id, closed.num) = ("g1".into(), 5000);
        closed.status = Status::Done;
        closed.closed_at = Some(now - Duration::days(30));
        let mut reopened = closed.clone();
        (reopened.id, reopened.num) = ("g2".into(), 5001);
        bytes.extend(test_line(
            6,
            "fu",
            vec![Record::FollowUp(closed), Record::FollowUp(reopened.clone())],
        ));
        reopened.status = Status::Open;
        reopened.closed_at = None;
        bytes.extend(test_line(7, "undo", vec![Record::FollowUp(reopened)]));
        bytes
    }

    #[test]
    fn checkpoints_take_no_more_room_than_the_actions_they_sum_up() {
        // Two hundred clients' actions every day for ten years, and one dated a
        // thousand years ago: the rows stay within the actions' count, whatever the
        // span, and a step is no wider than it must be.
        let entry = |time: i64, client: u32| Entry {
            time,
            num: 0,
            at: 0,
            len: 0,
            client: client | ACTION,
        };
        let mut entries = vec![entry(-30_000_000_000, 7)];
        entries.extend((0..3650).map(|day| entry(1_300_000_000 + day * DAY, day as u32 % 200)));
        let by_client = by_rank(&entries, 200);
        let groups: Vec<&[u32]> = by_client
            .chunk_by(|&a, &b| entries[a as usize].rank() == entries[b as usize].rank())
            .collect();
        let checkpoints = Checkpoints::of(&entries, 0..entries.len(), &groups, 200);
        assert_eq!(checkpoints.width, 200);
        let rows = checkpoints.kept.len();
        assert!(rows * 200 <= entries.len(), "{rows} rows");
        assert!(rows > 5, "{rows} rows");
        // Half the step would have taken more.
        let half = checkpoints.step / 2;
        let mut ends: Vec<i64> = (entries.iter())
            .map(|e| (e.time - MONDAY).div_euclid(half) + 1)
            .collect();
        ends.dedup();
        assert!(ends.len() * 200 > entries.len());
    }

    proptest::proptest! {
        /// Numbers that tie, and numbers past 32 bits, are ordered as a sort of the
        /// places by number and the rest would order them.
        #[test]
        fn places_by_number_are_in_the_order_of_their_numbers(
            numbered in proptest::collection::vec(
                (proptest::prop_oneof![0u64..4, (u32::MAX as u64 - 2)..(u32::MAX as u64 + 2), proptest::num::u64::ANY], 0u8..3),
                0..40,
            ),
        ) {
            let by_num = by_number(numbered.len(), |i| numbered[i as usize]);
            let mut expected: Vec<u32> = (0..numbered.len() as u32).collect();
            expected.sort_by_key(|&i| numbered[i as usize]);
            let order = |places: Vec<u32>| places.into_iter().map(|i| numbered[i as usize]).collect::<Vec<_>>();
            proptest::prop_assert_eq!(order(by_num.iter().map(|&key| key as u32).collect()), order(expected));
        }
    }

    #[test]
    fn a_journal_streamed_in_runs_makes_the_snapshot_its_whole_state_makes() {
        let bytes = journal();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let len = bytes.len() as u64;
        let folded = stream::fold(&file, len).unwrap();
        let mark = Mark {
            covers: folded.complete_len,
            crc: folded.crc,
        };
        let expected = bytes_of(mark, None, &folded.state);
        let dir = tempfile::tempdir().unwrap();
        for run in [usize::MAX, 4096, 300] {
            let (state, bulk, covers, crc) = from_journal_in_runs(&file, len, dir.path(), run)
                .unwrap()
                .unwrap();
            assert_eq!((covers, crc), (mark.covers, mark.crc));
            assert!(run == usize::MAX || !bulk.spill.runs.is_empty(), "spilled");
            let mut out = io::Cursor::new(Vec::new());
            write(&mut out, mark, None, &state, bulk).unwrap();
            assert!(out.into_inner() == expected, "runs of {run} bytes");
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no spill left"
        );
    }
}
