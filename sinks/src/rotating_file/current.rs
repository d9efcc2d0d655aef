//! The log file being written: opened for appending, its size counted, cut back to its last
//! whole line when a write fails, and checked for deletion.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use logtree_core::Error;

use super::create::{create_dir_all, open_log_file, Modes};

/// The file written now.
pub(super) struct Current {
    pub(super) path: PathBuf,
    /// `None` after a failure: the next write reopens (and recreates the directory).
    file: Option<LogFile>,
    /// Bytes in the file, counted rather than asked for per record.
    pub(super) size: u64,
    /// The permissions of the file and directory when they must be created (again).
    modes: Modes,
}

struct LogFile {
    file: File,
    id: FileId,
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
            size: 0,
            modes,
        }
    }

    /// Closes the file; the next write opens whatever is at `path` then.
    pub(super) fn close(&mut self) {
        self.file = None;
    }

    pub(super) fn ensure_open(&mut self, dir: &Path) -> Result<(), Error> {
        if self.file.is_none() {
            let (file, size) = open_log(self.modes, dir, &self.path)?;
            self.file = Some(file);
            self.size = size;
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
                self.size = size;
                slot.insert(log)
            }
        };
        match log.file.write_all(bytes) {
            Ok(()) => {
                self.size += bytes.len() as u64;
                Ok(())
            }
            Err(source) => {
                let _ = log.file.set_len(self.size);
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
        let replaced = match fs::metadata(&self.path) {
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
    Ok((LogFile { file, id }, meta.len()))
}

/// Creates and removes a probe file: an existing log file may be writable in a directory that
/// is not, and roll-overs need the directory.
pub(super) fn check_writable(dir: &Path, file: &Path) -> Result<(), Error> {
    let probe = dir.join(format!(".logtree-probe-{}", std::process::id()));
    let created = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe);
    match created {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::OpenFile {
            path: file.to_owned(),
            source: io::Error::new(
                e.kind(),
                format!("the directory {} is not writable: {e}", dir.display()),
            ),
        }),
    }
}
