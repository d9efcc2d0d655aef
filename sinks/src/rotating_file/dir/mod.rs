//! The log directory, held open from setup on: files are created, opened, renamed and removed
//! relative to it (`openat`, `renameat`, `unlinkat` on unix), so that a directory moved away
//! and replaced by a symbolic link (or by another directory) never receives a record. Only a
//! directory that was deleted (no name left) is created again at its path, and then never
//! through a symbolic link.
//!
//! Names given to its methods are plain file names (no `/`): entries of this directory.
//! Elsewhere than on unix it falls back to paths below the directory's path.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::sync::atomic::{AtomicU32, Ordering};
#[cfg(unix)]
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use logtree_core::Error;

use super::create::{create_dir_all, Modes};

/// The directory a sink set up, held open.
pub(crate) struct LogDir {
    /// Its canonical path at setup: where it is created again should it be deleted.
    path: PathBuf,
    modes: Modes,
    /// The directory itself, whatever its name now. Replaced when it was deleted, and in a
    /// forked child (see [`LogDir::handle`]).
    #[cfg(unix)]
    fd: RwLock<DirHandle>,
    /// The process that opened `fd`.
    #[cfg(unix)]
    opened_by: AtomicU32,
}

/// The held directory's descriptor, kept by a lock on it while the lock is held.
#[cfg(unix)]
pub(crate) type DirHandle = std::sync::Arc<std::os::fd::OwnedFd>;
/// Nothing to hold elsewhere than on unix.
#[cfg(not(unix))]
pub(crate) type DirHandle = ();

/// What tells a file apart from another one put at its name: device and inode on unix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId(#[cfg(unix)] (u64, u64));

impl FileId {
    /// The identity of the file `meta` describes.
    pub(crate) fn of(meta: &std::fs::Metadata) -> FileId {
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

/// An entry of the directory as [`LogDir::stat`] sees it: a symbolic link as a link.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryStat {
    pub(crate) id: FileId,
    /// Its size in bytes.
    pub(crate) len: u64,
    /// A symbolic link (never followed).
    #[allow(dead_code)] // for the archiver
    pub(crate) symlink: bool,
}

impl LogDir {
    /// Creates `path` (and its missing parents) with `modes.dir`, and holds it open. `path`
    /// should be canonical: a symbolic link as its last component is refused.
    ///
    /// # Errors
    /// [`Error::CreateDir`] naming `path`.
    pub(crate) fn open(path: &Path, modes: Modes) -> Result<LogDir, Error> {
        create_dir_all(path, modes)?;
        Ok(LogDir {
            path: path.to_owned(),
            modes,
            #[cfg(unix)]
            fd: RwLock::new(DirHandle::new(
                sys::open_dir(path).map_err(|e| dir_error(path, e))?,
            )),
            #[cfg(unix)]
            opened_by: AtomicU32::new(std::process::id()),
        })
    }

    /// The directory's path at setup.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `<dir>/<name>`, for the fallback elsewhere than on unix.
    #[cfg(not(unix))]
    fn join(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    /// Creates the directory again at its path if the one held was deleted (it has no name
    /// left), and holds the new one. A directory merely moved away is kept: its files are
    /// still the log's. The path must lead to a real directory: a symbolic link anywhere on
    /// it (planted after setup; the path was canonical) is refused.
    ///
    /// # Errors
    /// [`Error::CreateDir`] when it cannot be created or its path is a symbolic link.
    pub(crate) fn ensure_present(&self) -> Result<(), Error> {
        #[cfg(unix)]
        {
            if !sys::deleted(&self.fd()) {
                return Ok(());
            }
            create_dir_all(&self.path, self.modes)?;
            let through_link = std::fs::canonicalize(&self.path).is_ok_and(|c| c != self.path);
            if through_link {
                return Err(dir_error(
                    &self.path,
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the log directory was deleted and its path now leads through a symbolic \
                         link; the sink refuses to follow it (it could lead anywhere); remove it",
                    ),
                ));
            }
            let fd = sys::open_dir(&self.path).map_err(|e| dir_error(&self.path, e))?;
            *self.fd.write().unwrap_or_else(PoisonError::into_inner) = DirHandle::new(fd);
            self.opened_by.store(std::process::id(), Ordering::Relaxed);
        }
        Ok(())
    }

    /// Opens the log file `name` for appending, creating it with `modes.file` when missing (a
    /// file that exists keeps its permissions); a symbolic link at `name` is refused. Read
    /// access too when the permissions allow it (the boolean says whether), so that lines can
    /// be read back.
    pub(crate) fn open_log(&self, name: &OsStr) -> io::Result<(File, bool)> {
        match self.open_append(name, true) {
            Ok(file) => Ok((file, true)),
            // A file someone made write-only for the process is still a log file.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                self.open_append(name, false).map(|file| (file, false))
            }
            Err(e) => Err(e),
        }
    }

    fn open_append(&self, name: &OsStr, read: bool) -> io::Result<File> {
        #[cfg(unix)]
        {
            let access = if read { libc::O_RDWR } else { libc::O_WRONLY };
            let flags = access | libc::O_APPEND | libc::O_CREAT;
            sys::open_at(&self.fd(), name, flags, self.modes.file)
        }
        #[cfg(not(unix))]
        {
            std::fs::OpenOptions::new()
                .read(read)
                .append(true)
                .create(true)
                .open(self.join(name))
        }
    }

    /// Opens `name` for reading (a symbolic link is refused): for an archiver reading a backup.
    #[allow(dead_code)] // for the archiver
    pub(crate) fn open_read(&self, name: &OsStr) -> io::Result<File> {
        #[cfg(unix)]
        return sys::open_at(&self.fd(), name, libc::O_RDONLY, 0);
        #[cfg(not(unix))]
        File::open(self.join(name))
    }

    /// Creates `name` for writing, failing if anything (a link included) is at that name
    /// already: for a temporary file an archiver writes before renaming it into place.
    #[allow(dead_code)] // for the archiver
    pub(crate) fn create_new(&self, name: &OsStr) -> io::Result<File> {
        #[cfg(unix)]
        return sys::open_at(
            &self.fd(),
            name,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            self.modes.file,
        );
        #[cfg(not(unix))]
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.join(name))
    }

    /// What is at `name`, not following a symbolic link.
    pub(crate) fn stat(&self, name: &OsStr) -> io::Result<EntryStat> {
        #[cfg(unix)]
        return sys::stat_at(&self.fd(), name);
        #[cfg(not(unix))]
        std::fs::symlink_metadata(self.join(name)).map(|meta| EntryStat {
            id: FileId::of(&meta),
            len: meta.len(),
            symlink: meta.is_symlink(),
        })
    }

    /// Renames `from` to `to` within the directory, replacing what is at `to` (a link at either
    /// name is moved or replaced as a link, never followed).
    #[allow(dead_code)] // for the archiver
    pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        #[cfg(unix)]
        return sys::rename_at(&self.fd(), from, to);
        #[cfg(not(unix))]
        std::fs::rename(self.join(from), self.join(to))
    }

    /// Removes the entry `name` (a link itself, never its target; not a directory).
    #[allow(dead_code)] // for the archiver
    pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
        #[cfg(unix)]
        return sys::unlink_at(&self.fd(), name);
        #[cfg(not(unix))]
        std::fs::remove_file(self.join(name))
    }

    /// The names of the directory's entries (without `.` and `..`), in no particular order.
    #[allow(dead_code)] // for the archiver
    pub(crate) fn entries(&self) -> io::Result<Vec<OsString>> {
        #[cfg(unix)]
        return sys::entries(&self.fd());
        #[cfg(not(unix))]
        std::fs::read_dir(&self.path)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect()
    }

    /// Whether something else than the directory held is at its path now (another directory,
    /// a link to one): what works by path there would not work in the directory set up.
    /// False when nothing is at the path.
    pub(crate) fn replaced(&self) -> bool {
        #[cfg(unix)]
        return match std::fs::metadata(&self.path) {
            Ok(meta) => Some(FileId::of(&meta)) != sys::id(&self.fd()),
            Err(_) => std::fs::symlink_metadata(&self.path).is_ok(),
        };
        #[cfg(not(unix))]
        false
    }

    /// The directory's descriptor, for locking it (`flock`). A forked child shares its
    /// parent's open directory, and with it any `flock` on it, so that the lock would not
    /// keep them apart: in a process other than the one that opened it, the same directory
    /// is opened anew first (`openat(fd, ".")`), once.
    pub(crate) fn handle(&self) -> DirHandle {
        #[cfg(unix)]
        {
            let me = std::process::id();
            if self.opened_by.load(Ordering::Relaxed) != me {
                // Bound first: the read guard must be gone before the write lock is taken.
                let again = sys::open_again(&self.fd());
                if let Ok(fd) = again {
                    *self.fd.write().unwrap_or_else(PoisonError::into_inner) = DirHandle::new(fd);
                    self.opened_by.store(me, Ordering::Relaxed);
                }
            }
            DirHandle::clone(&self.fd())
        }
    }

    #[cfg(unix)]
    fn fd(&self) -> RwLockReadGuard<'_, DirHandle> {
        // Nothing panics while it is held.
        self.fd.read().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(unix)]
fn dir_error(path: &Path, source: io::Error) -> Error {
    Error::CreateDir {
        path: path.to_owned(),
        source,
    }
}

#[cfg(unix)]
mod sys;
#[cfg(all(test, unix))]
mod tests;
