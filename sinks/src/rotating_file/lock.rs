//! The advisory lock that processes appending to one stem take to roll over (and, once they
//! share the file, to write): `flock` on the lock file `.<stem>.lock` beside the log, made by
//! the sink with the files' mode. Elsewhere than on unix there is no lock: it is always
//! granted, and only one process may write a stem.

use std::ffi::OsString;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use logtree_core::Error;

use super::dir::{FileId, LogDir};

/// How often a lock file found replaced after locking it is opened again before giving up.
const ATTEMPTS: usize = 8;

/// The lock of one stem, its file opened when first taken (a sink that never rolls over and
/// never shares its file makes none).
pub(crate) struct StemLock {
    name: OsString,
    file: Option<Arc<LockFile>>,
}

struct LockFile {
    file: File,
    /// Taken by this process (by the writer holding its own lock exclusively): taking it again
    /// is a no-op, so that a roll-over inside a locked write does not wait for itself.
    held: AtomicBool,
}

/// The lock, taken; released when dropped.
pub(crate) struct Held(Arc<LockFile>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.held.store(false, Ordering::Relaxed);
        sys::unlock(&self.0.file);
    }
}

impl StemLock {
    /// The lock of `stem`, in the file `.<stem>.lock`.
    pub(crate) fn new(stem: &str) -> StemLock {
        StemLock {
            name: OsString::from(format!(".{stem}.lock")),
            file: None,
        }
    }

    /// Takes the lock, waiting for another process that holds it; `None` when this process
    /// holds it already (the caller is inside a locked write). With `verify`, makes sure the
    /// file locked is still the one at its name (not deleted with its directory, say), else
    /// locks the one there now: a rare, slower path for roll-overs and the periodic check.
    ///
    /// # Errors
    /// [`Error::OpenFile`] naming the lock file when it cannot be created or locked.
    pub(crate) fn lock(&mut self, dir: &LogDir, verify: bool) -> Result<Option<Held>, Error> {
        let error = |source| Error::OpenFile {
            path: dir.join(&self.name),
            source,
        };
        for _ in 0..ATTEMPTS {
            let lock = match &self.file {
                Some(lock) => Arc::clone(lock),
                None => {
                    let file = dir.open_lock_file(&self.name).map_err(error)?;
                    let lock = Arc::new(LockFile {
                        file,
                        held: AtomicBool::new(false),
                    });
                    self.file = Some(Arc::clone(&lock));
                    lock
                }
            };
            if lock.held.load(Ordering::Relaxed) {
                return Ok(None);
            }
            sys::lock(&lock.file).map_err(error)?;
            lock.held.store(true, Ordering::Relaxed);
            let held = Held(lock);
            if !verify || self.still_named(dir, &held) {
                return Ok(Some(held));
            }
            drop(held);
            self.file = None;
        }
        Err(error(std::io::Error::other(
            "the lock file kept being replaced while it was locked",
        )))
    }

    fn still_named(&self, dir: &LogDir, held: &Held) -> bool {
        let Ok(meta) = held.0.file.metadata() else {
            return false;
        };
        dir.stat(&self.name)
            .is_ok_and(|entry| entry.id == FileId::of(&meta))
    }
}

#[cfg(unix)]
mod sys {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    pub(super) fn lock(file: &File) -> io::Result<()> {
        loop {
            // SAFETY: a valid descriptor.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    pub(super) fn unlock(file: &File) {
        // SAFETY: a valid descriptor. Closing it would release the lock too.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(not(unix))]
mod sys {
    use std::fs::File;
    use std::io;

    pub(super) fn lock(_: &File) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn unlock(_: &File) {}
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::create::Modes;
    use super::*;

    #[test]
    fn the_lock_is_exclusive_between_handles_and_reentrant_within_one() {
        let root = tempfile::tempdir().unwrap();
        let modes = Modes {
            file: 0o640,
            dir: 0o750,
        };
        let dir = LogDir::open(root.path(), modes).unwrap();
        let mut mine = StemLock::new("App");
        let held = mine.lock(&dir, true).unwrap().expect("taken");
        assert!(mine.lock(&dir, true).unwrap().is_none(), "already held");
        // Another open file description (as another process has) must wait.
        let other = std::fs::File::open(root.path().join(".App.lock")).unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: a valid descriptor.
        let try_other = || unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(try_other(), -1);
        drop(held);
        assert_eq!(try_other(), 0);
        // SAFETY: as above.
        unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_UN) };
        // The lock file replaced: the new one is locked.
        std::fs::remove_file(root.path().join(".App.lock")).unwrap();
        let _held = mine.lock(&dir, true).unwrap().expect("taken");
        assert!(root.path().join(".App.lock").exists());
    }
}
