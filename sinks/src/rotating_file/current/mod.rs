//! The log file being written: opened for appending in the held directory, its size counted
//! (and re-synced from the file), cut back to its last whole line when a write fails, checked
//! for deletion, and rolled over under the cross-process lock.
//!
//! Two ways to write: [`Current::append`] with the writer's lock held exclusively, and
//! [`Current::write_shared`] with it shared, so that several threads are in `write(2)` at once.

mod probe;
mod processes;
mod shared;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use logtree_core::Error;

use super::dir::{FileId, LogDir};
use super::lock::ProcessLock;

pub(super) use probe::check_writable;
#[cfg(test)]
pub(super) use probe::probe_writable;
pub(super) use shared::Shared;

/// The file written now.
pub(super) struct Current {
    /// In the held directory (only its name is used to open it).
    pub(super) path: PathBuf,
    /// `None` after a failure: the next write reopens (and recreates the directory).
    file: Option<LogFile>,
    /// Bytes in the file, counted rather than asked for per record. Atomic: writers holding
    /// the lock shared reserve their lines' bytes in it before writing them, so it is exact
    /// whenever no shared write is in flight (under the exclusive lock). Re-synced from the
    /// file at the once-a-second check, at each roll-over and, when other processes write
    /// too, before each write.
    size: AtomicU64,
    /// The file's size when it was last found at its path (or opened): a file deleted since
    /// took the bytes after it with it, and only those are written again.
    checked: u64,
    /// The lock processes writing to the directory take to roll over.
    lock: ProcessLock,
    /// Other processes append to the file too (set by `multi_process`, or found at a check
    /// or a roll-over): each write is then made under `lock`, with the size read from the file.
    shared: bool,
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

impl Current {
    /// A file not opened yet; with `multi_process`, written under the cross-process lock from
    /// the start.
    pub(super) fn new(path: PathBuf, multi_process: bool) -> Current {
        Current {
            path,
            file: None,
            size: AtomicU64::new(0),
            checked: 0,
            lock: ProcessLock::default(),
            shared: multi_process,
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

    /// The file's name in its directory.
    fn name(&self) -> &OsStr {
        self.path.file_name().unwrap_or_default()
    }

    /// Opens the file unless it is open (creating it, and the directory if that was
    /// deleted), its size counted.
    ///
    /// # Errors
    /// [`Error::CreateDir`] or [`Error::OpenFile`]; [`Error::Write`] when the newline ending
    /// a torn last line cannot be written.
    pub(super) fn ensure_open(&mut self, dir: &LogDir) -> Result<(), Error> {
        if self.file.is_none() {
            // Shared with other processes: the newline ending a torn last line must not land
            // after another process's line (an empty line), so open under the lock (at most
            // once a roll-over; a lock not taken only risks that empty line).
            let held = if self.shared {
                self.lock.lock(dir)
            } else {
                Ok(None)
            };
            // Locked (now or by the caller): no other writer is under way.
            let alone = self.shared && held.is_ok();
            let (file, size) = open_log(dir, &self.path, alone)?;
            self.file = Some(file);
            *self.size.get_mut() = size;
            self.checked = size;
        }
        Ok(())
    }

    /// Writes all of `bytes`. On failure the part written is cut off again (best effort) and
    /// the file closed, so the next write reopens it, counts it afresh and starts on a fresh
    /// line. Where that part starts is found from the file, never from the count: a file
    /// truncated under the sink (logrotate's `copytruncate`) is never extended.
    pub(super) fn append(&mut self, dir: &LogDir, bytes: &[u8]) -> Result<(), Error> {
        self.ensure_open(dir)?;
        let log = self
            .file
            .as_ref()
            .expect("ensure_open leaves the file open");
        match write_counted(&log.file, bytes) {
            Ok(()) => {
                *self.size.get_mut() += bytes.len() as u64;
                Ok(())
            }
            Err((written, source)) => {
                let _ = shared::cut_back(&log.file, &bytes[..written]);
                self.file = None;
                Err(Error::Write {
                    target: self.path.display().to_string(),
                    source,
                })
            }
        }
    }

    /// Re-syncs the count with the file and closes the file if it is no longer the one at
    /// its path (deleted with its directory, moved away by another program), so that the
    /// next write creates it again.
    ///
    /// The count takes the file's real size: smaller after a truncation by another program
    /// (logrotate's `copytruncate`), larger when another process appends to the file too,
    /// which from then on makes every write go under the cross-process lock.
    ///
    /// A file that was deleted (no name left anywhere) took with it the lines written since
    /// the last check: they are read back from the still-open file and written first to the
    /// new one, so none is lost. (Lines written in the same second before the deletion come
    /// back with them.) A file moved away keeps its lines where it went.
    ///
    /// # Errors
    /// Either way the event is reported, as [`Error::Write`] with
    /// [`io::ErrorKind::NotFound`], saying whether the lines were written again; a file
    /// moved away while other processes write too is their roll-over, not reported.
    pub(super) fn check(&mut self, dir: &LogDir) -> Result<(), Error> {
        let Some(old) = self.file.take() else {
            return Ok(());
        };
        self.resync(&old);
        // The entry itself, not what it points to: a link planted at the name (even to this
        // very file) closes the file, and the reopen refuses it.
        let replaced = match dir.stat(self.name()) {
            Ok(entry) => entry.id != old.id,
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
            if self.shared {
                return Ok(());
            }
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

    /// Takes the size of `log`, the file written until now, as the count. A file larger than
    /// counted has another writer: from now on every write is made under the cross-process lock.
    fn resync(&mut self, log: &LogFile) {
        if !log.regular {
            return;
        }
        if let Ok(meta) = log.file.metadata() {
            let count = self.size.get_mut();
            if meta.len() > *count {
                self.shared = true;
            }
            *count = meta.len();
        }
    }

    /// Whether nothing is at the file's path in its directory.
    pub(super) fn missing(&self, dir: &LogDir) -> bool {
        dir.stat(self.name())
            .is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
    }

    /// Copies the bytes of `old` from `from` to its end to the file at the path, opened (and
    /// its directory created) anew, in pieces of 64 KiB.
    fn write_again(&mut self, dir: &LogDir, old: &LogFile, from: u64) -> Result<(), String> {
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

/// Writes all of `bytes`; on failure, returns how many were written with the error.
fn write_counted(mut file: &File, bytes: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((written, e)),
        }
    }
    Ok(())
}

/// Opens the file at `path` in `dir` for appending, creating it (and the directory, if it
/// was deleted) as needed; returns the file and its size.
///
/// A file that does not end with a newline (its last line torn by a crash mid-record) gets
/// one first, counted, so that the first record starts on a line of its own. Unless `alone`
/// (every writer of the file under the lock taken), a torn end is trusted only once it stays
/// so for a moment: another process's write under way shows in part (a line across a page
/// boundary), and is no torn line.
fn open_log(dir: &LogDir, path: &std::path::Path, alone: bool) -> Result<(LogFile, u64), Error> {
    dir.ensure_present()?;
    let open_error = |source| Error::OpenFile {
        path: path.to_owned(),
        source,
    };
    let name = path.file_name().unwrap_or_default();
    let (file, readable) = dir.open_log(name).map_err(open_error)?;
    let meta = file.metadata().map_err(open_error)?;
    let log = LogFile {
        file,
        id: FileId::of(&meta),
        regular: meta.is_file(),
        readable,
    };
    let mut size = meta.len();
    if log.regular && log.readable && size > 0 && torn(&log.file, size, alone) {
        (&log.file)
            .write_all(b"\n")
            .map_err(|source| Error::Write {
                target: path.display().to_string(),
                source,
            })?;
        size += 1;
    }
    Ok((log, size))
}

/// How long a torn end must stay as it is to be taken for one, unless the file is written
/// under the lock only. Paid only on opening a file that seems torn.
const TORN_SETTLES: std::time::Duration = std::time::Duration::from_millis(2);

/// Whether the file of `len` bytes ends in the middle of a line (false when it cannot be
/// read: then nothing is added).
fn torn(file: &File, len: u64, alone: bool) -> bool {
    let mut last = [0u8];
    if !matches!(read_at(file, &mut last, len - 1), Ok(1) if last[0] != b'\n') {
        return false;
    }
    if alone {
        return true;
    }
    std::thread::sleep(TORN_SETTLES);
    file.metadata().is_ok_and(|meta| meta.len() == len)
}
