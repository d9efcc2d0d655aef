//! The advisory lock processes take to roll over a file of the log directory (and, once they
//! share a file, to write it): `flock` on the held directory itself. No lock file is made,
//! nothing is left behind, and a read-only directory can be locked too. It is one lock per
//! directory, not per stem: the roll-overs of other stems in the same directory wait for each
//! other, which is rare and short. Elsewhere than on unix there is no lock: it is always
//! granted, and only one process may write a stem.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use logtree_core::Error;

use super::dir::{DirHandle, LogDir};

/// This writer's side of the lock.
#[derive(Default)]
pub(crate) struct ProcessLock {
    /// The process whose writer holds it (holding its own lock exclusively meanwhile), or 0:
    /// taking it again is a no-op, so that a roll-over inside a locked write does not wait
    /// for itself. A process id, not a flag, so that a child forked while the parent held it
    /// does not take it for its own.
    held_by: Arc<AtomicU32>,
}

/// The lock, taken; released when dropped.
pub(crate) struct Held {
    dir: DirHandle,
    held_by: Arc<AtomicU32>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.held_by.store(0, Ordering::Relaxed);
        sys::unlock(&self.dir);
    }
}

impl ProcessLock {
    /// Takes the lock, waiting while another process holds it; `None` when this writer holds
    /// it already (the caller is inside a locked write).
    ///
    /// # Errors
    /// [`Error::OpenFile`] naming the directory when it cannot be locked.
    pub(crate) fn lock(&self, dir: &LogDir) -> Result<Option<Held>, Error> {
        let me = std::process::id();
        if self.held_by.load(Ordering::Relaxed) == me {
            return Ok(None);
        }
        let handle = dir.handle();
        sys::lock(&handle).map_err(|e| Error::OpenFile {
            path: dir.path().to_owned(),
            source: std::io::Error::new(e.kind(), format!("cannot lock the log directory: {e}")),
        })?;
        self.held_by.store(me, Ordering::Relaxed);
        Ok(Some(Held {
            dir: handle,
            held_by: Arc::clone(&self.held_by),
        }))
    }
}

#[cfg(unix)]
mod sys {
    use std::io;
    use std::os::fd::AsRawFd;

    use super::DirHandle;

    pub(super) fn lock(dir: &DirHandle) -> io::Result<()> {
        loop {
            // SAFETY: a valid descriptor.
            if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    pub(super) fn unlock(dir: &DirHandle) {
        // SAFETY: a valid descriptor.
        unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(not(unix))]
mod sys {
    use std::io;

    use super::DirHandle;

    pub(super) fn lock(_: &DirHandle) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn unlock(_: &DirHandle) {}
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::create::Modes;
    use super::*;

    #[test]
    fn the_lock_is_exclusive_between_processes_and_reentrant_within_a_writer() {
        let root = tempfile::tempdir().unwrap();
        let modes = Modes {
            file: 0o640,
            dir: 0o750,
        };
        let dir = LogDir::open(root.path(), modes).unwrap();
        let mine = ProcessLock::default();
        let held = mine.lock(&dir).unwrap().expect("taken");
        assert!(mine.lock(&dir).unwrap().is_none(), "already held");
        // Another open file description, as another process has, must wait.
        let other = std::fs::File::open(root.path()).unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: a valid descriptor.
        let try_other = || unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(try_other(), -1);
        drop(held);
        assert_eq!(try_other(), 0);
        // SAFETY: as above.
        unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_UN) };
        assert!(mine.lock(&dir).unwrap().is_some());
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            0,
            "no lock file"
        );
    }
}
