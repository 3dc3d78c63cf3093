//! Values kept in order, one JSON line each, for a command that makes more of them than
//! it should hold (an import of a million records, its undo): in memory while they are
//! few, then in a temp file beside the journal that nothing else sees (see
//! `build::spill_file`), read back front to back.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Cursor, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes held in memory before they go to the temp file.
const HELD: usize = 1 << 20;

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    held: Vec<u8>,
    file: Option<(BufWriter<File>, Removed)>,
    count: usize,
}

/// The temp file's name, where it could not be removed as soon as it was made: it is
/// removed when its spool is done with.
#[derive(Debug)]
struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        if cfg!(not(unix)) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

impl Spool {
    /// A spool whose temp file, if it needs one, goes in `dir`.
    pub fn new(dir: &Path) -> Spool {
        Spool {
            dir: dir.to_path_buf(),
            held: Vec::new(),
            file: None,
            count: 0,
        }
    }

    /// Adds `value`, as compact JSON on a line of its own.
    pub fn push(&mut self, value: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.held, value)?;
        self.held.push(b'\n');
        self.count += 1;
        if self.held.len() >= HELD {
            self.spill()?;
        }
        Ok(())
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes what is held to the temp file, made now if need be.
    fn spill(&mut self) -> Result<()> {
        let (file, _) = match &mut self.file {
            Some(file) => file,
            None => {
                let (file, path) = super::build::spill_file(&self.dir).with_context(|| {
                    format!("could not write a temp file in {}", self.dir.display())
                })?;
                let file = BufWriter::with_capacity(256 * 1024, file);
                self.file.insert((file, Removed(path)))
            }
        };
        file.write_all(&self.held)
            .context("could not write a temp file")?;
        self.held.clear();
        Ok(())
    }

    /// The values, to read back in order.
    pub fn reader(mut self) -> Result<Unspool> {
        let (source, removed): (Box<dyn BufRead>, _) = match self.file.is_some() {
            false => (Box::new(Cursor::new(std::mem::take(&mut self.held))), None),
            true => {
                self.spill()?;
                let Some((file, removed)) = self.file.take() else {
                    unreachable!("a spool with a file");
                };
                let mut file = file
                    .into_inner()
                    .map_err(|err| err.into_error())
                    .context("could not write a temp file")?;
                file.seek(SeekFrom::Start(0))?;
                let file = BufReader::with_capacity(256 * 1024, file);
                (Box::new(file), Some(removed))
            }
        };
        Ok(Unspool {
            source,
            _removed: removed,
            line: Vec::new(),
            left: self.count,
        })
    }
}

/// A spool's values, read back in the order they were added.
pub struct Unspool {
    source: Box<dyn BufRead>,
    _removed: Option<Removed>,
    line: Vec<u8>,
    left: usize,
}

impl Unspool {
    /// How many values are left.
    pub fn len(&self) -> usize {
        self.left
    }

    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The next value's JSON.
    pub fn next_json(&mut self) -> Result<Option<&[u8]>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.line.clear();
        self.source
            .read_until(b'\n', &mut self.line)
            .context("could not read a temp file")?;
        if self.line.pop() != Some(b'\n') {
            anyhow::bail!("a temp file was cut short");
        }
        self.left -= 1;
        Ok(Some(&self.line))
    }

    /// The next value.
    pub fn next_value<T: DeserializeOwned>(&mut self) -> Result<Option<T>> {
        match self.next_json()? {
            Some(json) => Ok(Some(serde_json::from_slice(json)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_what_it_was_given_in_order_held_or_spilled() {
        let dir = tempfile::tempdir().unwrap();
        for count in [0, 3, 40_000] {
            let mut spool = Spool::new(dir.path());
            for n in 0..count {
                spool
                    .push(&format!("line {n} with \"quotes\"\nand a newline"))
                    .unwrap();
            }
            assert_eq!(spool.len(), count);
            assert_eq!(spool.file.is_some(), count == 40_000, "spilled once large");
            let mut back = spool.reader().unwrap();
            for n in 0..count {
                let line: String = back.next_value().unwrap().unwrap();
                assert_eq!(line, format!("line {n} with \"quotes\"\nand a newline"));
            }
            assert_eq!(back.next_value::<String>().unwrap(), None);
            assert!(back.is_empty());
        }
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the temp file is gone"
        );
    }
}
