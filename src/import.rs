//! `import`: a JSON export, or a CSV (ours, a CRM's, or one mapped with `--map`), read as
//! a stream and folded into the store as one change, in memory that does not grow with
//! the file. It is read twice. The first reading checks every row and keeps the
//! clients and people (few) and a hash of each action's and follow-up's id, to find
//! those given twice; the second, under the store's lock, matches each record with the
//! store's (see `Existing`) and spools what changes. Nothing is written until every
//! record and the store's invariants have been checked: an import lands whole or not
//! at all. Records keep their unique ids, so importing the same file twice changes
//! nothing the second time.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::ValueEnum;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::cli::Cadence;
use crate::crm::{Columns, Reader as Mapped};
use crate::error::UsageError;
use crate::model::{
    Action, Client, FollowUp, Kind, Period, Person, Record, Status, clean_name, clean_person_name,
    clean_tags, clean_text, hh_mm, id_hash, repeated, stable_id,
};
use crate::number_set::NumberSet;
use crate::store::{Draft, Existing, Need, Spool, Store};
use crate::transfer::{CSV_HEADER, read_instant};
use crate::validate::{Addition, MAX_NUM};

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// New clients whose names are close to an existing client's: (new, existing).
    pub near: Vec<(String, String)>,
    /// Columns of the file that nothing read (a CRM's or a mapped file's).
    pub unused: Vec<String>,
}

/// Imports the export (JSON) or CSV at `path` into `store`, as a change made `now`. Any
/// bad row fails the whole import, naming the row, and nothing is written. `columns`
/// reads a CSV that is not in our shape (a CRM's export, or `--map`) into rows of ours.
pub fn import(
    store: &Store,
    path: &Path,
    now: DateTime<FixedOffset>,
    columns: Option<&Columns>,
) -> Result<Imported> {
    let file = Input { path, now, columns };
    let json = file.is_json()?;
    if json && columns.is_some() {
        return Err(file.refuse(
            "this is a JSON export; --from and --map read CSV files: import it without them",
        ));
    }
    let scan = if json {
        file.scan_json()?
    } else {
        file.scan_csv()?
    };
    store.change(Need::Lookup, "import", now, |loaded| {
        let mut numbers = NumberSet::default();
        let existing = Existing::of(loaded, store, &mut numbers)?;
        let mut fold = Fold::new(&file, &scan, existing, numbers, store);
        for (client, place) in &scan.clients {
            fold.fold(Record::Client(client.clone()), place)?;
        }
        for (person, place) in &scan.people {
            fold.fold(Record::Person(person.clone()), place)?;
        }
        if json {
            file.fold_json(&scan, &mut fold)?;
        } else {
            file.fold_csv(&scan, &mut fold)?;
        }
        let (draft, mut imported) = fold.finish()?;
        imported.unused.clone_from(&scan.unused);
        Ok((draft, imported))
    })
}

/// The file to import, and how to read it.
struct Input<'a> {
    path: &'a Path,
    now: DateTime<FixedOffset>,
    columns: Option<&'a Columns>,
}

/// What the first reading of the file found.
#[derive(Default)]
struct Scan {
    /// The clients and the people, in the order they are folded in, each with where in
    /// the file it is.
    clients: Vec<(Client, String)>,
    people: Vec<(Person, String)>,
    /// Ids of clients and people made up from a CSV's names (it has no id column):
    /// matched by name only.
    by_name: HashSet<String>,
    /// The hashes (see `id_hash`) of the ids that more than one action or follow-up has.
    twice: HashSet<u64>,
    /// A CSV's client ids by name (lowercase), and its people's ids by client id and
    /// name (lowercase).
    client_ids: HashMap<String, String>,
    person_ids: HashMap<(String, String), String>,
    /// Columns of the file that nothing read.
    unused: Vec<String>,
    /// The CRC-32 of the file's bytes, which every later reading must see again.
    crc: u32,
}

impl Input<'_> {
    /// Bad content in the file: the import is refused, naming the file (exit 2).
    fn refuse(&self, message: impl std::fmt::Display) -> anyhow::Error {
        UsageError::new(format!(
            "could not import {}: {message}",
            self.path.display()
        ))
        .into()
    }

    /// An error reading the file: the file system's (exit 1) when it could not be
    /// read, else the file's content refused.
    fn unreadable(&self, err: anyhow::Error) -> anyhow::Error {
        let io = err.chain().any(|cause| {
            cause.is::<std::io::Error>()
                || cause
                    .downcast_ref::<serde_json::Error>()
                    .is_some_and(serde_json::Error::is_io)
                || cause
                    .downcast_ref::<csv::Error>()
                    .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(_)))
        });
        if io {
            return err.context(format!("could not read {}", self.path.display()));
        }
        let causes: Vec<String> = err.chain().map(ToString::to_string).collect();
        self.refuse(causes.join(": "))
    }

    /// The file, opened to be read from the start, its bytes summed up into `crc`.
    fn open<'c>(&self, crc: &'c mut crc32fast::Hasher) -> Result<BufReader<Summed<'c>>> {
        let file = File::open(self.path).map_err(|err| {
            anyhow!(err).context(format!("could not read {}", self.path.display()))
        })?;
        Ok(BufReader::with_capacity(
            256 * 1024,
            Summed { inner: file, crc },
        ))
    }

    /// Whether the file is a JSON export: its first character, spaces aside, is `{`.
    fn is_json(&self) -> Result<bool> {
        let mut crc = crc32fast::Hasher::new();
        let reader = self.open(&mut crc)?;
        for byte in reader.bytes() {
            let byte = byte.map_err(|err| self.unreadable(err.into()))?;
            if !byte.is_ascii_whitespace() {
                return Ok(byte == b'{');
            }
        }
        Ok(false)
    }

    /// Checks that a later reading saw the bytes the first did.
    fn same(&self, scan: &Scan, crc: crc32fast::Hasher) -> Result<()> {
        if crc.finalize() != scan.crc {
            bail!(
                "{} changed while it was imported; nothing was imported: import it again",
                self.path.display()
            );
        }
        Ok(())
    }
}

/// The file's bytes, summed up as they are read.
struct Summed<'c> {
    inner: File,
    crc: &'c mut crc32fast::Hasher,
}

impl Read for Summed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// The separator of a CSV: `;` when the header line holds more of them than commas
/// (Excel writes that in many European locales), else `,`.
fn delimiter(header: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// A CSV's rows, read one at a time, each as the row of our CSV it stands for.
struct Rows<'c> {
    reader: csv::Reader<BufReader<Summed<'c>>>,
    /// Where each of our columns is in the file, for our own CSV; a CRM's or a mapped
    /// file's is read through `mapped`.
    columns: Vec<Option<usize>>,
    mapped: Option<Mapped>,
    row: csv::StringRecord,
    number: usize,
}

impl Input<'_> {
    /// The CSV's rows, read through `crc`. Our own CSV is read strictly: a column we
    /// don't know is a typo, not a column to skip.
    fn rows<'c>(&self, crc: &'c mut crc32fast::Hasher) -> Result<Rows<'c>> {
        // The header line (or its first megabyte) picks the separator.
        let mut header = Vec::new();
        let mut first = crc32fast::Hasher::new();
        std::io::BufRead::read_until(
            &mut self.open(&mut first)?.take(1 << 20),
            b'\n',
            &mut header,
        )
        .map_err(|err| self.unreadable(err.into()))?;
        let header = header.strip_suffix(b"\n").unwrap_or(&header);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter(header))
            .flexible(false)
            .from_reader(self.open(crc)?);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|err| self.unreadable(err.into()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mapped = self
            .columns
            .map(|c| c.reader(&headers))
            .transpose()
            .map_err(|err| self.unreadable(err))?;
        let headers: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
        if mapped.is_none() {
            for required in ["type", "client"] {
                if !headers.iter().any(|h| h == required) {
                    return Err(self.refuse(format!(
                        "the CSV has no '{required}' column; the header needs at least type and \
                         client (for a CRM's export, use --from or --map)"
                    )));
                }
            }
            if let Some(unknown) = headers.iter().find(|h| !CSV_HEADER.contains(&h.as_str())) {
                return Err(self.refuse(format!(
                    "the CSV has an unknown column '{unknown}'; columns are {} \
                     (for a CRM's export, use --from or --map)",
                    CSV_HEADER.join(",")
                )));
            }
        }
        let columns = CSV_HEADER
            .iter()
            .map(|h| headers.iter().position(|name| name == h))
            .collect();
        Ok(Rows {
            reader,
            columns,
            mapped,
            row: csv::StringRecord::new(),
            number: 0,
        })
    }

    /// The next row, read as `read_row` reads it, its number, and whether it gives no
    /// id (a client row that does not is matched by name alone); `None` at the end.
    fn next_row(&self, rows: &mut Rows) -> Result<Option<(usize, Row, bool)>> {
        let number = rows.number + 1;
        let more = rows
            .reader
            .read_record(&mut rows.row)
            .map_err(|err| self.unreadable(anyhow!("row {number}: {err}; nothing was imported")))?;
        if !more {
            return Ok(None);
        }
        rows.number = number;
        let row_error =
            |err: anyhow::Error| self.refuse(format!("row {number}: {err}; nothing was imported"));
        let cells: Vec<&str> = rows
            .row
            .iter()
            .map(|cell| crate::render::csv_restore(cell.trim()))
            .collect();
        let fields: HashMap<&str, String> = match &rows.mapped {
            Some(mapped) => mapped.row(&cells).map_err(row_error)?,
            None => (CSV_HEADER.iter().zip(&rows.columns))
                .map(|(h, at)| (*h, at.map_or("", |i| cells[i]).to_string()))
                .collect(),
        };
        let row = read_row(&fields, self.now).map_err(row_error)?;
        Ok(Some((number, row, fields["id"].is_empty())))
    }

    /// The first reading of a CSV. Rows may name a client that has no client row:
    /// one is made up, with a stable id; and the people an action or follow-up is with
    /// by name, when no person row has them. Clients and people come in order of id.
    fn scan_csv(&self) -> Result<Scan> {
        let mut crc = crc32fast::Hasher::new();
        let mut rows = self.rows(&mut crc)?;
        let mut scan = Scan::default();
        let mut clients: HashMap<String, (Client, String)> = HashMap::new();
        // The first row naming each client (by name, lowercase), and each person it is
        // with (by client and person name, lowercase): their names as given, and where.
        let mut named: HashMap<String, (String, String)> = HashMap::new();
        let mut with: HashMap<(String, String), (String, String)> = HashMap::new();
        let mut person_rows = Vec::new();
        let mut hashes = Vec::new();
        while let Some((number, row, no_id)) = self.next_row(&mut rows)? {
            let place = format!("row {number}");
            let (client, people) = match row {
                Row::Client(client) => {
                    if no_id {
                        scan.by_name.insert(client.id.clone());
                    }
                    clients.insert(client.name.to_lowercase(), (client, place));
                    continue;
                }
                Row::Person(person, client) => {
                    named
                        .entry(client.to_lowercase())
                        .or_insert_with(|| (client.clone(), place.clone()));
                    person_rows.push((person, client.to_lowercase(), place));
                    continue;
                }
                Row::Action(a, client) => {
                    hashes.push(id_hash(&a.id));
                    (client, a.with)
                }
                Row::FollowUp(f, client) => {
                    hashes.push(id_hash(&f.id));
                    (client, f.with)
                }
            };
            for name in people {
                let key = (client.to_lowercase(), name.to_lowercase());
                with.entry(key).or_insert_with(|| (name, place.clone()));
            }
            named
                .entry(client.to_lowercase())
                .or_insert_with(|| (client, place));
        }
        scan.unused = rows.mapped.take().map(|m| m.unused).unwrap_or_default();
        drop(rows);
        scan.crc = crc.finalize();
        scan.twice = repeated(&mut hashes);
        for (key, (name, place)) in named {
            clients.entry(key).or_insert_with(|| {
                let id = stable_id(&["client", &name.to_lowercase()]);
                scan.by_name.insert(id.clone());
                let client = Client {
                    id,
                    name,
                    tier: None,
                    cadence_days: None,
                    created: self.now,
                };
                (client, place)
            });
        }
        scan.client_ids = clients
            .iter()
            .map(|(key, (client, _))| (key.clone(), client.id.clone()))
            .collect();
        // A person row wins over a name an action gives; of two person rows, the later.
        let mut people: HashMap<(String, String), (Person, String)> = HashMap::new();
        for (mut person, client, place) in person_rows {
            person.client = scan.client_ids[&client].clone();
            let key = (person.client.clone(), person.name.to_lowercase());
            people.insert(key, (person, place));
        }
        for ((client, key), (name, place)) in with {
            let client = scan.client_ids[&client].clone();
            people.entry((client.clone(), key)).or_insert_with(|| {
                let id = stable_id(&["person", &client, &name.to_lowercase()]);
                scan.by_name.insert(id.clone());
                let person = Person {
                    id,
                    client,
                    name,
                    role: None,
                    email: None,
                    created: self.now,
                };
                (person, place)
            });
        }
        scan.person_ids = people
            .iter()
            .map(|(key, (person, _))| (key.clone(), person.id.clone()))
            .collect();
        scan.clients = clients.into_values().collect();
        scan.clients.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        scan.people = people.into_values().collect();
        scan.people.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(scan)
    }

    /// The second reading of a CSV: each action and follow-up, in order, folded in.
    fn fold_csv(&self, scan: &Scan, fold: &mut Fold) -> Result<()> {
        let mut crc = crc32fast::Hasher::new();
        let mut rows = self.rows(&mut crc)?;
        let changed = || {
            anyhow!(
                "{} changed while it was imported; nothing was imported: import it again",
                self.path.display()
            )
        };
        while let Some((number, row, _)) = self.next_row(&mut rows)? {
            let (mut record, client, with) = match row {
                Row::Client(..) | Row::Person(..) => continue,
                Row::Action(a, client) => {
                    let with = a.with.clone();
                    (Record::Action(a), client, with)
                }
                Row::FollowUp(f, client) => {
                    let with = f.with.clone();
                    (Record::FollowUp(f), client, with)
                }
            };
            let client = scan
                .client_ids
                .get(&client.to_lowercase())
                .ok_or_else(changed)?;
            let with = with
                .iter()
                .map(|name| {
                    let key = (client.clone(), name.to_lowercase());
                    scan.person_ids.get(&key).cloned().ok_or_else(changed)
                })
                .collect::<Result<Vec<_>>>()?;
            match &mut record {
                Record::Action(a) => (a.client, a.with) = (client.clone(), with),
                Record::FollowUp(f) => (f.client, f.with) = (client.clone(), with),
                _ => {}
            }
            fold.fold(record, &format!("row {number}"))?;
        }
        drop(rows);
        self.same(scan, crc)
    }
}

/// The lists of an export, in the order they are folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Clients,
    People,
    Actions,
    FollowUps,
}

impl List {
    fn name(self) -> &'static str {
        match self {
            List::Clients => "clients",
            List::People => "people",
            List::Actions => "actions",
            List::FollowUps => "follow_ups",
        }
    }
}

/// What a reading of an export hands its records to, list by list.
trait Walk {
    /// Whether this list's records are wanted; the others are passed over (the first
    /// reading checked them).
    fn wants(&mut self, list: List) -> bool;
    /// The `index`th record of `list`.
    fn record(&mut self, list: List, index: usize, record: Record) -> Result<()>;
}

impl Input<'_> {
    /// Reads the export as `Export` reads it (the same fields, types and errors), each
    /// record handed to `walk` as it is read, through `crc`; returns its format and
    /// version.
    fn walk_json(
        &self,
        crc: &mut crc32fast::Hasher,
        walk: &mut impl Walk,
    ) -> Result<(String, u32)> {
        let mut de = serde_json::Deserializer::from_reader(self.open(crc)?);
        let mut stopped = None;
        let read = ReadExport {
            walk,
            stopped: &mut stopped,
        }
        .deserialize(&mut de)
        .and_then(|head| de.end().map(|()| head));
        match (read, stopped) {
            (_, Some(err)) => Err(err),
            (Ok(head), None) => Ok(head),
            (Err(err), None) => {
                Err(self.unreadable(anyhow!(err).context("not a JSON export of extramile")))
            }
        }
    }

    /// The first reading of an export: its clients and people, in the file's order,
    /// each action's and follow-up's id hashed, and whom they point at.
    fn scan_json(&self) -> Result<Scan> {
        let mut crc = crc32fast::Hasher::new();
        let mut walk = ScanJson::default();
        let (format, version) = self.walk_json(&mut crc, &mut walk)?;
        if format != "extramile-export" {
            return Err(self.refuse(format!(
                "not a JSON export of extramile (format is '{format}')"
            )));
        }
        if version > 1 {
            return Err(self.refuse(format!(
                "this export is version {version}; this extramile reads version 1: upgrade extramile"
            )));
        }
        let known: HashSet<&str> = walk.clients.iter().map(|c| c.id.as_str()).collect();
        let lost = walk
            .people
            .iter()
            .find(|p| !known.contains(p.client.as_str()))
            .map(|p| (p.id.clone(), p.client.clone()))
            .or_else(|| {
                (0..2).find_map(|list| {
                    let first = walk
                        .points_at
                        .iter()
                        .filter(|(client, _)| !known.contains(client.as_str()));
                    first
                        .filter_map(|(client, firsts)| Some((firsts[list].clone()?, client)))
                        .min_by_key(|((index, _), _)| *index)
                        .map(|((_, id), client)| (id, client.clone()))
                })
            });
        if let Some((id, client)) = lost {
            return Err(self.refuse(format!(
                "record {id} points at client {client}, which the export does not hold"
            )));
        }
        let placed = |list: List, index: usize| format!("{}[{index}]", list.name());
        Ok(Scan {
            clients: (walk.clients.into_iter().enumerate())
                .map(|(i, c)| (c, placed(List::Clients, i)))
                .collect(),
            people: (walk.people.into_iter().enumerate())
                .map(|(i, p)| (p, placed(List::People, i)))
                .collect(),
            twice: repeated(&mut walk.hashes),
            crc: crc.finalize(),
            ..Scan::default()
        })
    }

    /// The second reading of an export: its actions, then its follow-ups, folded in (a
    /// third reading takes the follow-ups when they come first in the file).
    fn fold_json(&self, scan: &Scan, fold: &mut Fold) -> Result<()> {
        let mut walk = FoldJson {
            fold,
            actions: false,
            follow_ups_after: false,
        };
        let mut crc = crc32fast::Hasher::new();
        self.walk_json(&mut crc, &mut walk)?;
        self.same(scan, crc)?;
        if walk.follow_ups_after {
            (walk.actions, walk.follow_ups_after) = (true, false);
            let mut crc = crc32fast::Hasher::new();
            self.walk_json(&mut crc, &mut walk)?;
            self.same(scan, crc)?;
        }
        Ok(())
    }
}

/// The first reading of an export.
#[derive(Default)]
struct ScanJson {
    clients: Vec<Client>,
    people: Vec<Person>,
    hashes: Vec<u64>,
    /// Each client id the actions and the follow-ups point at: the first of each that
    /// does (its place in its list, and its id).
    points_at: HashMap<String, [Option<(usize, String)>; 2]>,
}

impl Walk for ScanJson {
    fn wants(&mut self, _: List) -> bool {
        true
    }

    fn record(&mut self, _: List, index: usize, record: Record) -> Result<()> {
        let (of, id, client) = match record {
            Record::Action(a) => (0, a.id, a.client),
            Record::FollowUp(f) => (1, f.id, f.client),
            Record::Client(c) => {
                self.clients.push(c);
                return Ok(());
            }
            Record::Person(p) => {
                self.people.push(p);
                return Ok(());
            }
            Record::Deleted { .. } => return Ok(()),
        };
        self.hashes.push(id_hash(&id));
        let firsts = self.points_at.entry(client).or_default();
        firsts[of].get_or_insert((index, id));
        Ok(())
    }
}

/// The second reading of an export.
struct FoldJson<'f, 'a, 's> {
    fold: &'f mut Fold<'a, 's>,
    /// Whether the actions were folded in (or come before the follow-ups).
    actions: bool,
    /// Whether the follow-ups came before the actions, for a reading of their own.
    follow_ups_after: bool,
}

impl Walk for FoldJson<'_, '_, '_> {
    fn wants(&mut self, list: List) -> bool {
        match list {
            List::Clients | List::People => false,
            List::Actions if self.actions => false,
            List::Actions => {
                self.actions = true;
                true
            }
            List::FollowUps if self.actions => true,
            List::FollowUps => {
                self.follow_ups_after = true;
                false
            }
        }
    }

    fn record(&mut self, list: List, index: usize, record: Record) -> Result<()> {
        self.fold.fold(record, &format!("{}[{index}]", list.name()))
    }
}

/// An export, read as `Export` reads it, its lists handed to a `Walk`.
struct ReadExport<'w, W> {
    walk: &'w mut W,
    /// Why the walk stopped the reading, if it did.
    stopped: &'w mut Option<anyhow::Error>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Format,
    Version,
    Clients,
    People,
    Actions,
    FollowUps,
    #[serde(other)]
    Other,
}

impl<'de, W: Walk> DeserializeSeed<'de> for ReadExport<'_, W> {
    type Value = (String, u32);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, W: Walk> Visitor<'de> for ReadExport<'_, W> {
    type Value = (String, u32);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct Export")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut format, mut version) = (None, None);
        let mut seen = [false; 4];
        while let Some(key) = map.next_key::<Key>()? {
            let list = match key {
                Key::Format if format.is_some() => {
                    return Err(de::Error::duplicate_field("format"));
                }
                Key::Format => {
                    format = Some(map.next_value::<String>()?);
                    continue;
                }
                Key::Version if version.is_some() => {
                    return Err(de::Error::duplicate_field("version"));
                }
                Key::Version => {
                    version = Some(map.next_value::<u32>()?);
                    continue;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                Key::Clients => List::Clients,
                Key::People => List::People,
                Key::Actions => List::Actions,
                Key::FollowUps => List::FollowUps,
            };
            if std::mem::replace(&mut seen[list as usize], true) {
                return Err(de::Error::duplicate_field(list.name()));
            }
            map.next_value_seed(ReadList {
                walk: &mut *self.walk,
                stopped: &mut *self.stopped,
                list,
            })?;
        }
        let format = format.ok_or_else(|| de::Error::missing_field("format"))?;
        let version = version.ok_or_else(|| de::Error::missing_field("version"))?;
        // In the order `Export` declares them; people may be left out.
        for list in [List::Clients, List::Actions, List::FollowUps] {
            if !seen[list as usize] {
                return Err(de::Error::missing_field(list.name()));
            }
        }
        Ok((format, version))
    }
}

/// One list of an export, each record handed on as soon as it is read.
struct ReadList<'w, W> {
    walk: &'w mut W,
    stopped: &'w mut Option<anyhow::Error>,
    list: List,
}

impl<'de, W: Walk> DeserializeSeed<'de> for ReadList<'_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, W: Walk> Visitor<'de> for ReadList<'_, W> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.walk.wants(self.list) {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        for index in 0.. {
            let record = match self.list {
                List::Clients => seq.next_element::<Client>()?.map(Record::Client),
                List::People => seq.next_element::<Person>()?.map(Record::Person),
                List::Actions => seq.next_element::<Action>()?.map(Record::Action),
                List::FollowUps => seq.next_element::<FollowUp>()?.map(Record::FollowUp),
            };
            let Some(record) = record else {
                break;
            };
            if let Err(err) = self.walk.record(self.list, index, record) {
                *self.stopped = Some(err);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Folds the file's records into the store, one at a time, in order: clients first,
/// then people, then actions and follow-ups. Clients are matched as every command
/// matches them: by id when the file gives one, else by their current name (case
/// aside); an existing client keeps its name, and its tier and cadence unless the file
/// gives others; people likewise, at their client. Records already here keep their
/// short numbers; new ones keep theirs when free, else get the next ones. Every record
/// is checked as `log` checks what it writes, and the store after the import must keep
/// every invariant (see `Addition`).
struct Fold<'a, 's> {
    file: &'s Input<'s>,
    scan: &'s Scan,
    existing: Existing<'a>,
    /// Every number a current record has or this import gave.
    used: NumberSet,
    fresh: Box<dyn Iterator<Item = u64> + 'a>,
    /// A number kept from the file keeps the copy it came from; a new one is this
    /// copy's (see `state::Numbering`).
    machine: Option<String>,
    /// The store's ids of the file's clients and people.
    client_ids: HashMap<String, String>,
    person_ids: HashMap<String, String>,
    /// Each client and person, and each action or follow-up whose id's hash is given
    /// twice: as it would be stored, and where it first is in the file.
    seen: HashMap<String, (Record, String)>,
    check: Addition<'static>,
    /// The records that change, and the versions before of those that were here.
    records: Spool,
    was: Spool,
    imported: Imported,
}

impl<'a, 's> Fold<'a, 's> {
    fn new(
        file: &'s Input<'s>,
        scan: &'s Scan,
        existing: Existing<'a>,
        used: NumberSet,
        store: &Store,
    ) -> Self {
        let state = existing.state();
        Fold {
            file,
            scan,
            fresh: state.fresh_numbers(),
            machine: state.machine().map(str::to_string),
            check: Addition::new(state, "this import"),
            existing,
            used,
            client_ids: HashMap::new(),
            person_ids: HashMap::new(),
            seen: HashMap::new(),
            records: store.spool(),
            was: store.spool(),
            imported: Imported::default(),
        }
    }

    /// A number for a new action or follow-up: the one it has in the file when no
    /// record has it, else the next fresh one of this copy's.
    fn number(&mut self, wanted: u64, by: &mut Option<String>) -> u64 {
        let num = if wanted > 0 && !self.used.contains(wanted) {
            wanted
        } else {
            by.clone_from(&self.machine);
            let used = &self.used;
            self.fresh.find(|n| !used.contains(*n)).unwrap_or(u64::MAX)
        };
        self.used.insert(num);
        num
    }

    /// Folds in `record`, which is at `place` in the file.
    fn fold(&mut self, record: Record, place: &str) -> Result<()> {
        let file = self.file;
        let refuse = |err: UsageError| file.refuse(format!("{place}: {err}; nothing was imported"));
        // What the file holds, as it holds it; then the record as it would be stored.
        crate::validate::fields(&record).map_err(refuse)?;
        if let Some(num) = record.num()
            && num > MAX_NUM
        {
            return Err(self.file.refuse(format!(
                "{place}: #{num} is out of range; short numbers run from 1 to {MAX_NUM}; nothing was imported"
            )));
        }
        let state = self.existing.state();
        let (record, before) = match record {
            Record::Client(mut c) => {
                let by_id = Some(&c.id)
                    .filter(|id| !self.scan.by_name.contains(*id))
                    .and_then(|id| state.clients.get(id));
                let wanted = c.name.to_lowercase();
                let existing = by_id.or_else(|| {
                    state
                        .clients
                        .values()
                        .find(|e| e.name.to_lowercase() == wanted)
                });
                if existing.is_none()
                    && let Some(close) = state.close_to(&c.name)
                {
                    self.imported
                        .near
                        .push((c.name.clone(), close.name.clone()));
                }
                let id = match existing {
                    Some(e) => {
                        c.name = e.name.clone();
                        c.created = e.created;
                        c.tier = c.tier.or_else(|| e.tier.clone());
                        c.cadence_days = c.cadence_days.or(e.cadence_days);
                        e.id.clone()
                    }
                    // A made-up id that another record already has (a client since
                    // renamed): this is a new client, with an id of its own.
                    None if self.existing.get(&c.id)?.is_some() => crate::model::new_id(),
                    None => c.id.clone(),
                };
                self.client_ids
                    .insert(std::mem::replace(&mut c.id, id.clone()), id);
                (Record::Client(c), None)
            }
            Record::Person(mut p) => {
                p.client = self.client_ids.get(&p.client).cloned().unwrap_or(p.client);
                let by_id = Some(&p.id)
                    .filter(|id| !self.scan.by_name.contains(*id))
                    .and_then(|id| state.people.get(id));
                let wanted = p.name.to_lowercase();
                let existing = by_id.or_else(|| {
                    state
                        .people_at(&p.client)
                        .into_iter()
                        .find(|e| e.name.to_lowercase() == wanted)
                });
                let id = match existing {
                    Some(e) => {
                        p.name = e.name.clone();
                        p.created = e.created;
                        p.role = p.role.or_else(|| e.role.clone());
                        p.email = p.email.or_else(|| e.email.clone());
                        e.id.clone()
                    }
                    None if self.existing.get(&p.id)?.is_some() => crate::model::new_id(),
                    None => p.id.clone(),
                };
                self.person_ids
                    .insert(std::mem::replace(&mut p.id, id.clone()), id);
                (Record::Person(p), None)
            }
            Record::Action(mut a) => {
                a.client = self.client_ids.get(&a.client).cloned().unwrap_or(a.client);
                a.with = remap(&self.person_ids, a.with);
                let before = self.existing.get(&a.id)?;
                match &before {
                    Some(Record::Action(e)) => (a.num, a.by) = (e.num, e.by.clone()),
                    _ => a.num = self.number(a.num, &mut a.by),
                }
                (Record::Action(a), Some(before))
            }
            Record::FollowUp(mut f) => {
                f.client = self.client_ids.get(&f.client).cloned().unwrap_or(f.client);
                f.with = remap(&self.person_ids, f.with);
                let before = self.existing.get(&f.id)?;
                match &before {
                    Some(Record::FollowUp(e)) => (f.num, f.by) = (e.num, e.by.clone()),
                    _ => f.num = self.number(f.num, &mut f.by),
                }
                (Record::FollowUp(f), Some(before))
            }
            deleted @ Record::Deleted { .. } => (deleted, None),
        };
        crate::validate::record(&record).map_err(refuse)?;
        let id = record.id();
        if let Some((first, first_place)) = self.seen.get(id) {
            if *first != record {
                return Err(self.file.refuse(format!(
                    "{place}: record {id} is also {first_place}, with other content; \
                     nothing was imported: keep one of them"
                )));
            }
            self.imported.unchanged += 1;
            return Ok(());
        }
        let before = match before {
            Some(before) => before,
            None => self.existing.get(id)?,
        };
        if record.num().is_none() || self.scan.twice.contains(&id_hash(id)) {
            self.seen
                .insert(id.to_string(), (record.clone(), place.to_string()));
        }
        match &before {
            Some(before) if *before == record => self.imported.unchanged += 1,
            Some(_) => self.imported.updated += 1,
            None => self.imported.added += 1,
        }
        if before.as_ref() == Some(&record) {
            return Ok(());
        }
        // A record that keeps its number: another may have it too, in a store that
        // breaches the invariants already.
        let sharer = match (&record, &before) {
            (Record::Action(_), Some(Record::Action(_)))
            | (Record::FollowUp(_), Some(Record::FollowUp(_))) => {
                let num = record.num().unwrap_or_default();
                self.existing.sharer(num, id)?
            }
            _ => None,
        };
        self.check
            .record(&record, before.as_ref(), sharer.as_deref());
        self.records.push(&record)?;
        if let Some(before) = &before {
            self.was.push(before)?;
        }
        Ok(())
    }

    /// What the import writes, once the store after it is known to keep every
    /// invariant.
    fn finish(self) -> Result<(Draft, Imported)> {
        self.check.finish().map_err(|err| self.file.refuse(err))?;
        let draft = Draft {
            spooled: Some((self.records, self.was)),
            ..Draft::default()
        };
        Ok((draft, self.imported))
    }
}

/// Ids through `to` where it has them.
fn remap(to: &HashMap<String, String>, ids: Vec<String>) -> Vec<String> {
    ids.into_iter()
        .map(|id| to.get(&id).cloned().unwrap_or(id))
        .collect()
}

/// Reads a yes-or-no column: `yes`, `true` or `1`; `no`, `false`, `0` or empty.
fn read_yes(f: &HashMap<&str, String>, column: &str) -> Result<bool> {
    match f[column].trim().to_lowercase().as_str() {
        "yes" | "true" | "1" => Ok(true),
        "" | "no" | "false" | "0" => Ok(false),
        text => bail!("'{column}' must be yes or no, not '{text}'"),
    }
}

/// A CSV row read, with the name of its client; an action's or follow-up's `with`
/// holds names until they are matched to people.
enum Row {
    Client(Client),
    Person(Person, String),
    Action(Action, String),
    FollowUp(FollowUp, String),
}

fn read_row(f: &HashMap<&str, String>, now: DateTime<FixedOffset>) -> Result<Row> {
    let client = clean_name("client", &f["client"])?;
    let whole = |column: &str| -> Result<u64> {
        match f[column].as_str() {
            "" => Ok(0),
            text => text
                .parse()
                .map_err(|_| anyhow!("'{column}' must be a whole number, not '{text}'")),
        }
    };
    let num = whole("num")?;
    let text = || clean_text(std::slice::from_ref(&f["text"]));
    let id = |parts: &[&str]| {
        if f["id"].is_empty() {
            stable_id(parts)
        } else {
            f["id"].clone()
        }
    };
    // The people it was with, by name, each once.
    let mut with: Vec<String> = Vec::new();
    for name in f["with"].split(';').filter(|n| !n.trim().is_empty()) {
        let name = clean_person_name(name)?;
        if !with.iter().any(|w| w.to_lowercase() == name.to_lowercase()) {
            with.push(name);
        }
    }
    match f["type"].to_lowercase().as_str() {
        "client" => {
            let cadence = match f["cadence"].as_str() {
                "" => None,
                text => text.parse::<Cadence>().map_err(|e| anyhow!(e))?.0,
            };
            let created = optional_instant("at", &f["at"])?.unwrap_or(now);
            let tier = Some(f["tier"].clone()).filter(|t| !t.is_empty());
            Ok(Row::Client(Client {
                id: id(&["client", &client.to_lowercase()]),
                name: client,
                tier,
                cadence_days: cadence,
                created,
            }))
        }
        "action" => {
            let text = text()?;
            let at =
                optional_instant("at", &f["at"])?.ok_or_else(|| anyhow!("an action needs 'at'"))?;
            let kind = match f["kind"].as_str() {
                "" => Kind::Other,
                k => Kind::from_str(k, true).map_err(|_| {
                    anyhow!(
                        "unknown kind '{k}'; kinds are fix, idea, check-in, touch, intro, other"
                    )
                })?,
            };
            let tags: Vec<String> = f["tags"]
                .split(';')
                .filter(|t| !t.trim().is_empty())
                .map(str::to_string)
                .collect();
            let uid = id(&["action", &client.to_lowercase(), &text, &at.to_rfc3339()]);
            let action = Action {
                id: uid,
                num,
                client: String::new(),
                kind,
                text,
                at,
                tags: clean_tags(&tags)?,
                by: None,
                follows_up: Some(f["follows_up"].clone()).filter(|a| !a.is_empty()),
                asked: read_yes(f, "asked")?,
                story: read_yes(f, "story")?,
                with,
            };
            Ok(Row::Action(action, client))
        }
        "follow-up" | "followup" => {
            let text = text()?;
            let due = NaiveDate::parse_from_str(&f["due"], "%Y-%m-%d").map_err(|_| {
                anyhow!("a follow-up needs 'due' as YYYY-MM-DD, not '{}'", f["due"])
            })?;
            let due_time = match f["due_time"].as_str() {
                "" => None,
                text => Some(hh_mm::parse(text).ok_or_else(|| {
                    anyhow!("'due_time' must be a time of day as HH:MM, not '{text}'")
                })?),
            };
            let status = match f["status"].to_lowercase().as_str() {
                "" | "open" => Status::Open,
                "done" => Status::Done,
                "cancelled" | "canceled" => Status::Cancelled,
                other => bail!("unknown status '{other}'; use open, done or cancelled"),
            };
            let closed_at = optional_instant("done_at", &f["done_at"])?;
            if status != Status::Open && closed_at.is_none() {
                bail!("a {} follow-up needs 'done_at'", status.name());
            }
            let every = match f["every"].as_str() {
                "" => None,
                text => Some(text.parse::<Period>().map_err(|e| anyhow!(e))?),
            };
            let every_from = match f["every_from"].as_str() {
                "" => None,
                text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    anyhow!("'every_from' must be a date as YYYY-MM-DD, not '{text}'")
                })?),
            };
            if every.is_some() != every_from.is_some() {
                bail!("a recurring follow-up needs both 'every' and 'every_from'");
            }
            let created = optional_instant("at", &f["at"])?.unwrap_or(now);
            let uid = id(&["follow-up", &client.to_lowercase(), &text, &due.to_string()]);
            let follow_up = FollowUp {
                id: uid,
                num,
                client: String::new(),
                text,
                due,
                due_time,
                status,
                created,
                closed_at: closed_at.filter(|_| status != Status::Open),
                snoozes: u32::try_from(whole("snoozes")?)
                    .map_err(|_| anyhow!("'snoozes' is out of range"))?,
                action: Some(f["action"].clone()).filter(|a| !a.is_empty()),
                by: None,
                every,
                every_from,
                with,
            };
            Ok(Row::FollowUp(follow_up, client))
        }
        "person" => {
            let name = clean_person_name(&f["name"])
                .map_err(|err| anyhow!("a person row needs 'name': {err}"))?;
            let optional = |column: &str| Some(f[column].clone()).filter(|v| !v.is_empty());
            Ok(Row::Person(
                Person {
                    id: id(&["person", &client.to_lowercase(), &name.to_lowercase()]),
                    client: String::new(),
                    name,
                    role: optional("role"),
                    email: optional("email"),
                    created: optional_instant("at", &f["at"])?.unwrap_or(now),
                },
                client,
            ))
        }
        "" => bail!("the type is empty; use action, follow-up, client or person"),
        other => bail!("unknown type '{other}'; use action, follow-up, client or person"),
    }
}

/// An instant as RFC 3339, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (local time).
fn optional_instant(column: &str, text: &str) -> Result<Option<DateTime<FixedOffset>>> {
    if text.is_empty() {
        return Ok(None);
    }
    match read_instant(text)? {
        Some(at) => Ok(Some(at)),
        None => bail!("can't read '{column}' = '{text}'; use RFC 3339 or YYYY-MM-DD HH:MM"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::Export;

    /// An export is read as a stream as `Export` reads it whole: the same files read,
    /// and the others fail with the same message (where in the file aside). Only a
    /// list of an export's values in order, which `Export` also reads, is refused.
    #[test]
    fn an_export_streams_as_it_reads_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        let head = r#""format":"extramile-export","version":1"#;
        let client = r#"{"id":"c","name":"Acme","created":"2026-01-01T00:00:00Z"}"#;
        let action = r#"{"id":"a","num":1,"client":"c","kind":"fix","text":"t","at":"2026-01-01T00:00:00Z"}"#;
        let files = [
            format!(r#"{{{head},"clients":[{client}],"actions":[{action}],"follow_ups":[]}}"#),
            format!(
                r#"{{"follow_ups":[],"actions":[{action}],"x":{{"y":[1]}},{head},"clients":[{client}]}}"#
            ),
            format!(r#"{{{head},"clients":[{client}],"follow_ups":[]}}"#),
            format!(r#"{{{head},"clients":[{client}],"actions":null,"follow_ups":[]}}"#),
            format!(r#"{{{head},"clients":[{client}],"actions":[{{"id":"a"}}],"follow_ups":[]}}"#),
            format!(r#"{{{head},"clients":[{client}],"actions":[],"follow_ups":[]}} {{}}"#),
            r#"{"format":"x","clients":[],"actions":[],"follow_ups":[]}"#.to_string(),
            format!(r#"{{{head},"version":2,"clients":[],"actions":[],"follow_ups":[]}}"#),
            r#"{"format":"extramile-export","version":-1}"#.to_string(),
            String::new(),
        ];
        let without_place = |message: String| match message.find(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        for file in files {
            std::fs::write(&path, &file).unwrap();
            let whole = serde_json::from_str::<Export>(&file).map_err(|e| e.to_string());
            let input = Input {
                path: &path,
                now: chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap(),
                columns: None,
            };
            let streamed = input
                .walk_json(&mut crc32fast::Hasher::new(), &mut ScanJson::default())
                .map_err(|e| e.to_string());
            match (whole, streamed) {
                (Ok(whole), Ok((format, version))) => {
                    assert_eq!((whole.format, whole.version), (format, version), "{file}");
                }
                (Err(whole), Err(streamed)) => assert_eq!(
                    without_place(format!(
                        "could not import {}: not a JSON export of extramile: {whole}",
                        path.display()
                    )),
                    without_place(streamed),
                    "{file}"
                ),
                (whole, streamed) => panic!("{file}: {whole:?} whole, {streamed:?} streamed"),
            }
        }
    }

    #[test]
    fn the_header_line_picks_the_separator() {
        assert_eq!(delimiter(b"type,client"), b',');
        assert_eq!(delimiter(b"type;client;text"), b';');
        assert_eq!(
            delimiter(b"\"a;b;c\",client\n"),
            b',',
            "quoted ; don't count"
        );
        assert_eq!(delimiter(b""), b',');
    }
}
