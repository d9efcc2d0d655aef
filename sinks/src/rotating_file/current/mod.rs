//! The log file being written: opened for appending, its size counted, cut back to its last
//! whole line when a write fails, and checked for deletion.
//!
//! Two ways to write: [`Current::append`] with the writer's lock held exclusively, and
//! [`Current::write_shared`] with it shared, so that several threads are in `write(2)` at once.

mod probe;
mod shared;

use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use logtree_core::Error;

use super::create::{create_dir_all, open_log_file, Modes};

pub(super) use probe::check_writable;
#[cfg(test)]
pub(super) use probe::probe_writable;
pub(super) use shared::Shared;

/// The file written now.
pub(super) struct Current {
    pub(super) path: PathBuf,
    /// `None` after a failure: the next write reopens (and recreates the directory).
    file: Option<LogFile>,
    /// Bytes in the file, counted rather than asked for per record. Atomic: writers holding
    /// the lock shared reserve their lines' bytes in it before writing them, so it is exact
    /// whenever no shared write is in flight (under the exclusive lock).
    size: AtomicU64,
    /// The permissions of the file and directory when they must be created (again).
    modes: Modes,
}

struct LogFile {
    file: File,
    id: FileId,
    /// A regular file: only there do concurrent appends land whole (a FIFO or device planted
    /// at the path does not promise it), so only there is the lock shared.
    regular: bool,
}

/// What tells the open file apart from another one put at its path.
#[derive(Clone, Copy, PartialEq, Eq)]
struct FileId(#[cfg(unix)] (u64, u64));

impl FileId {
    fn of(meta: &Metadata) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileId((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            FileId()
        }
    }
}

impl Current {
    /// A file not opened yet, to be created (with its directory) with `modes`.
    pub(super) fn new(path: PathBuf, modes: Modes) -> Current {
        Current {
            path,
            file: None,
            size: AtomicU64::new(0),
            modes,
        }
    }

    /// Bytes in the file (with those reserved by shared writes in flight).
    pub(super) fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    /// Closes the file; the next write opens whatever is at `path` then.
    pub(super) fn close(&mut self) {
        self.file = None;
    }

    pub(super) fn ensure_open(&mut self, dir: &Path) -> Result<(), Error> {
        if self.file.is_none() {
            let (file, size) = open_log(self.modes, dir, &self.path)?;
            self.file = Some(file);
            *self.size.get_mut() = size;
        }
        Ok(())
    }

    /// One `write_all` of `bytes`. On failure the file is cut back to its last whole record
    /// (best effort) and closed, so the next write reopens it and starts on a fresh line.
    pub(super) fn append(&mut self, dir: &Path, bytes: &[u8]) -> Result<(), Error> {
        let log = match &mut self.file {
            Some(log) => log,
            slot @ None => {
                let (log, size) = open_log(self.modes, dir, &self.path)?;
                *self.size.get_mut() = size;
                slot.insert(log)
            }
        };
        let size = self.size.get_mut();
        match log.file.write_all(bytes) {
            Ok(()) => {
                *size += bytes.len() as u64;
                Ok(())
            }
            Err(source) => {
                let _ = log.file.set_len(*size);
                self.file = None;
                Err(Error::Write {
                    target: self.path.display().to_string(),
                    source,
                })
            }
        }
    }

    /// Closes the file if it is no longer the one at its path (deleted with its directory,
    /// moved away by another program), so that the next write creates it again.
    pub(super) fn check(&mut self) -> Result<(), Error> {
        let Some(log) = &self.file else {
            return Ok(());
        };
        // The link itself, not what it points to: a link planted at the path (even to this very
        // file) closes the file, and the reopen refuses it.
        let replaced = match fs::symlink_metadata(&self.path) {
            Ok(meta) => FileId::of(&meta) != log.id,
            // Not found, or a file where the directory was. Only a denied look is no proof
            // that the file is gone: keep writing to it then.
            Err(e) => e.kind() != io::ErrorKind::PermissionDenied,
        };
        if !replaced {
            return Ok(());
        }
        self.file = None;
        Err(Error::Write {
            target: self.path.display().to_string(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "the log file was deleted or moved away; records since the last check may be lost with it, and it is created again",
            ),
        })
    }
}

/// Opens `path` for appending, creating it and `dir` as needed; returns the file and its size.
fn open_log(modes: Modes, dir: &Path, path: &Path) -> Result<(LogFile, u64), Error> {
    create_dir_all(dir, modes)?;
    let open_error = |source| Error::OpenFile {
        path: path.to_owned(),
        source,
    };
    let file = open_log_file(path, modes).map_err(open_error)?;
    let meta = file.metadata().map_err(open_error)?;
    let id = FileId::of(&meta);
    let regular = meta.is_file();
    Ok((LogFile { file, id, regular }, meta.len()))
}
