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
    /// The file's size when it was last found at its path (or opened): a file deleted since
    /// took the bytes after it with it, and only those are written again.
    checked: u64,
}

struct LogFile {
    file: File,
    id: FileId,
    /// A regular file: only there do concurrent appends land whole (a FIFO or device planted
    /// at the path does not promise it), so only there is the lock shared.
    regular: bool,
    /// Opened for reading too, so that lines can be read back if the file is deleted.
    readable: bool,
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
            checked: 0,
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
            self.checked = size;
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
                self.checked = size;
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
    ///
    /// A file that was deleted (no name left anywhere) took with it the lines written since
    /// the last check: they are read back from the still-open file and written first to the
    /// new one, so none is lost. (Lines written in the same second before the deletion come
    /// back with them.) A file moved away keeps its lines where it went.
    ///
    /// # Errors
    /// Either way the event is reported, as [`Error::Write`] with
    /// [`io::ErrorKind::NotFound`], saying whether the lines were written again.
    pub(super) fn check(&mut self, dir: &Path) -> Result<(), Error> {
        let Some(old) = self.file.take() else {
            return Ok(());
        };
        // The link itself, not what it points to: a link planted at the path (even to this very
        // file) closes the file, and the reopen refuses it.
        let replaced = match fs::symlink_metadata(&self.path) {
            Ok(meta) => FileId::of(&meta) != old.id,
            // Not found, or a file where the directory was. Only a denied look is no proof
            // that the file is gone: keep writing to it then.
            Err(e) => e.kind() != io::ErrorKind::PermissionDenied,
        };
        if !replaced {
            self.file = Some(old);
            self.checked = self.size();
            return Ok(());
        }
        let target = self.path.display().to_string();
        let gone = |what: String| Error::Write {
            target: target.clone(),
            source: io::Error::new(io::ErrorKind::NotFound, what),
        };
        if !old.deleted() {
            return Err(gone(
                "the log file was moved away (its lines since are in it there); it is created again".to_owned(),
            ));
        }
        let since_check = self.size().saturating_sub(self.checked);
        match self.write_again(dir, &old, self.checked) {
            Ok(()) => Err(gone(format!(
                "the log file was deleted; it is created again, and the {since_check} bytes of lines \
                 written to it since the last check were written again to the new file"
            ))),
            Err(why) => Err(gone(format!(
                "the log file was deleted; it is created again, but the {since_check} bytes of lines \
                 written to it since the last check were lost with it: {why}"
            ))),
        }
    }

    /// Copies the bytes of `old` from `from` to its end to the file at the path, opened (and
    /// its directory created) anew, in pieces of 64 KiB.
    fn write_again(&mut self, dir: &Path, old: &LogFile, from: u64) -> Result<(), String> {
        if !old.regular || !old.readable {
            return Err("the file cannot be read back".to_owned());
        }
        self.ensure_open(dir).map_err(|e| e.to_string())?;
        let mut piece = vec![0; 64 * 1024];
        let mut at = from;
        loop {
            let read = match read_at(&old.file, &mut piece, at) {
                Ok(0) => return Ok(()),
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("reading it back failed: {e}")),
            };
            self.append(dir, &piece[..read])
                .map_err(|e| e.to_string())?;
            at += read as u64;
        }
    }
}

impl LogFile {
    /// Whether the file has no name left: deleted, not moved.
    fn deleted(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            self.file.metadata().is_ok_and(|meta| meta.nlink() == 0)
        }
        #[cfg(not(unix))]
        false
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Opens `path` for appending, creating it and `dir` as needed; returns the file and its size.
fn open_log(modes: Modes, dir: &Path, path: &Path) -> Result<(LogFile, u64), Error> {
    create_dir_all(dir, modes)?;
    let open_error = |source| Error::OpenFile {
        path: path.to_owned(),
        source,
    };
    let (file, readable) = open_log_file(path, modes).map_err(open_error)?;
    let meta = file.metadata().map_err(open_error)?;
    let id = FileId::of(&meta);
    let regular = meta.is_file();
    let log = LogFile {
        file,
        id,
        regular,
        readable,
    };
    Ok((log, meta.len()))
}
