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
    Ok((LogFile { file, id }, meta.len()))
}

/// How many probe names setup tries: a name is taken only by a leftover of a crashed process,
/// or by a file someone put there.
const PROBE_ATTEMPTS: usize = 8;

/// Creates and removes a probe file: an existing log file may be writable in a directory that
/// is not, and roll-overs need the directory.
pub(super) fn check_writable(dir: &Path, file: &Path) -> Result<(), Error> {
    probe_writable(
        dir,
        file,
        (0..PROBE_ATTEMPTS).map(|_| dir.join(probe_name())),
    )
}

/// `.logtree-probe-<pid>-<random>`: unique to each try, so that neither another thread's probe
/// nor a leftover of a process that had the same pid is in the way, and nobody can plant
/// something at it ahead of time.
fn probe_name() -> String {
    use std::hash::{BuildHasher, RandomState};
    // Each `RandomState` has fresh keys (randomly seeded, then stepped): a random number
    // without a dependency.
    let random = RandomState::new().hash_one(());
    format!(".logtree-probe-{}-{random:016x}", std::process::id())
}

/// Creates a probe at the first free name of `names` and removes it again. `create_new` (an
/// exclusive create) never opens what is already there: a symbolic link planted at the name
/// is not followed, so no file it points to is created or truncated; it and any leftover are
/// left alone, and the next name is tried.
pub(super) fn probe_writable(
    dir: &Path,
    file: &Path,
    names: impl IntoIterator<Item = PathBuf>,
) -> Result<(), Error> {
    let error = |kind, reason: String| Error::OpenFile {
        path: file.to_owned(),
        source: io::Error::new(kind, reason),
    };
    for probe in names {
        match OpenOptions::new().write(true).create_new(true).open(&probe) {
            Ok(_) => {
                // Removes whatever is at the name, a link included, never a link's target.
                let _ = fs::remove_file(&probe);
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let reason = format!("the directory {} is not writable: {e}", dir.display());
                return Err(error(e.kind(), reason));
            }
        }
    }
    let reason = format!(
        "cannot check that the directory {} is writable: every probe file name tried was taken",
        dir.display()
    );
    Err(error(io::ErrorKind::AlreadyExists, reason))
}
