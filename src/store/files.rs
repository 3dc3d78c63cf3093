//! Creating files safely: atomically replaced, private to the user.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How temp files begin, so ones left by a killed process can be recognised.
pub const TEMP_PREFIX: &str = ".extramile-tmp-";

/// Writes `bytes` to `path` through a temp file: fsync, rename, fsync of the directory.
/// A failure removes the temp file and names only `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |file| Ok(file.write_all(bytes)?))
}

/// `write_atomically`, of what `write` writes (buffered); an error it returns leaves
/// `path` as it was.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let temp = write_temp(path, write)?;
    put_in_place(&temp, path)
}

/// Writes what `write` writes (buffered) to a new temp file beside `path`, synced, and
/// returns its path, for `put_in_place` once it is checked. A failure removes it and
/// names only `path`.
pub(super) fn write_temp(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<PathBuf> {
    let temp = dir_of(path).join(format!("{TEMP_PREFIX}{}", crate::model::new_id()));
    let written = private_options()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(anyhow::Error::from)
        .and_then(|file| {
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            write(&mut out)?;
            let file = out.into_inner().map_err(|err| err.into_error())?;
            Ok(file.sync_all()?)
        });
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err).with_context(|| format!("could not write {}", path.display()));
    }
    Ok(temp)
}

/// Renames the temp file `temp` to `path` and syncs the folder; a failure removes it.
pub(super) fn put_in_place(temp: &Path, path: &Path) -> Result<()> {
    if let Err(err) = fs::rename(temp, path) {
        let _ = fs::remove_file(temp);
        return Err(err).with_context(|| format!("could not write {}", path.display()));
    }
    sync_dir(dir_of(path))
}

/// The folder `path` is in (`.` for a bare name).
pub(super) fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Temp files in `dir` older than an hour: left by a process that was killed
/// mid-write (a live writer's temp file is seconds old).
pub fn stale_temp_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < hour_ago)
        })
        .map(|e| e.path())
        .collect()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

pub(super) fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Options that refuse to open a symbolic link (the lock file is never followed).
pub(super) fn no_follow(mut options: OpenOptions) -> OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options
}

/// Creates `dir` and any missing folders above it (mode 700), top down, and fsyncs the
/// parent of each new folder so the new entries survive a power cut.
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.is_dir())
        .collect();
    for new in missing.into_iter().rev() {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(new) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && new.is_dir() => {}
            Err(err) => {
                return Err(err).with_context(|| {
                    format!("could not create the store folder {}", new.display())
                });
            }
        }
        let parent = new
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        sync_dir(parent)
            .with_context(|| format!("could not sync the folder {}", parent.display()))?;
    }
    Ok(())
}
