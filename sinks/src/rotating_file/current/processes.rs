//! Several processes appending to one stem: a roll-over always happens under the
//! cross-process lock (see [`lock`](super::super::lock)), after re-checking which file is at
//! the path (another process may have rolled over first); once other writers are known, every
//! write is made under the lock with the size taken from the file, so no file passes
//! `max_bytes` by more than one record.

use std::io;
use std::path::Path;

use logtree_core::Error;

use super::super::dir::LogDir;
use super::super::lock::Held;
use super::super::trigger::Trigger;
use super::Current;

impl Current {
    /// When other processes write the file too: takes the cross-process lock for a write (or
    /// a batch) and re-syncs with the file at the path, so the caller decides on a roll-over
    /// from its real size. Holding the returned guard, the caller writes; dropping it
    /// releases the lock. `None` (no system call) when this process writes alone, or when
    /// the lock is held already.
    ///
    /// # Errors
    /// [`Error::OpenFile`] naming the directory when it cannot be locked.
    pub(in crate::rotating_file) fn hold(&mut self, dir: &LogDir) -> Result<Option<Held>, Error> {
        if !self.shared {
            return Ok(None);
        }
        let held = self.lock.lock(dir)?;
        if held.is_some() {
            self.follow(dir);
        }
        Ok(held)
    }

    /// Rolls over before a record of `len` bytes, under the cross-process lock: first follows
    /// the file at the path (if another process rolled over meanwhile, its new file is opened
    /// and counted), then calls `roll` (which frees the path's name) only if that file is
    /// still too full for the record, and opens the new file.
    ///
    /// A lock that cannot be taken does not stop the roll-over (it is reported after it);
    /// the roll-over is refused while something else than the directory set up is at its
    /// path (it was moved away and replaced, by a link say): `roll` works by path.
    ///
    /// # Errors
    /// `roll`'s error (the file stays open and is appended to), a failed open of the new
    /// file, a refused roll-over, or a lock not taken.
    pub(in crate::rotating_file) fn roll_over(
        &mut self,
        dir: &LogDir,
        trigger: Trigger,
        len: usize,
        roll: impl FnOnce(&Path) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (_held, unlocked) = match self.lock.lock(dir) {
            Ok(held) => (held, None),
            Err(err) => (None, Some(err)),
        };
        self.follow(dir);
        self.ensure_open(dir)?;
        if !trigger.exceeded(self.size(), len) {
            return unlocked.map_or(Ok(()), Err);
        }
        if dir.replaced() {
            return Err(Error::Write {
                target: self.path.display().to_string(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    "the log directory is no longer at its path (moved away or replaced); \
                     the sink keeps appending to its file there and does not roll over",
                ),
            });
        }
        roll(&self.path)?;
        self.close();
        self.ensure_open(dir)?;
        unlocked.map_or(Ok(()), Err)
    }

    /// Re-syncs with the file at the path, the lock held: the same file gives its size (a
    /// larger one than counted shows another writer); another file there means another
    /// process rolled over (the file held was moved, not deleted), and the next write opens
    /// the new one. A deleted file is left to [`check`](Current::check), which writes its
    /// last lines again.
    fn follow(&mut self, dir: &LogDir) {
        let Some(log) = &self.file else {
            return;
        };
        match dir.stat(self.name()) {
            Ok(entry) if entry.id == log.id => {
                if !log.regular {
                    return;
                }
                let count = self.size.get_mut();
                if entry.len > *count {
                    self.shared = true;
                }
                *count = entry.len;
            }
            Ok(_) if !log.deleted() => self.file = None,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !log.deleted() => self.file = None,
            _ => {}
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs::{self, OpenOptions};
    use std::io::Write;

    use super::super::super::create::Modes;
    use super::*;

    const MODES: Modes = Modes {
        file: 0o640,
        dir: 0o750,
    };

    fn opened(dir: &LogDir, name: &str) -> Current {
        let mut current = Current::new(dir.path().join(name), false);
        current.ensure_open(dir).unwrap();
        current
    }

    #[test]
    fn a_file_truncated_under_the_sink_is_counted_again_at_the_check() {
        let root = tempfile::tempdir().unwrap();
        let dir = LogDir::open(root.path(), MODES).unwrap();
        let mut current = opened(&dir, "a.log");
        current.append(&dir, b"one\ntwo\n").unwrap();
        let path = root.path().join("a.log");
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        current.check(&dir).unwrap();
        assert_eq!((current.size(), current.shared), (0, false));
        current.append(&dir, b"three\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "three\n");
    }

    #[test]
    fn another_writer_is_found_at_the_check_and_then_writes_go_under_the_lock() {
        let root = tempfile::tempdir().unwrap();
        let dir = LogDir::open(root.path(), MODES).unwrap();
        let mut current = opened(&dir, "a.log");
        current.append(&dir, b"mine\n").unwrap();
        assert!(current.hold(&dir).unwrap().is_none(), "alone: no lock");
        let path = root.path().join("a.log");
        let mut other = OpenOptions::new().append(true).open(&path).unwrap();
        other.write_all(b"theirs\n").unwrap();
        current.check(&dir).unwrap();
        assert!(current.shared);
        other.write_all(b"more\n").unwrap();
        let held = current.hold(&dir).unwrap();
        assert!(held.is_some());
        assert_eq!(current.size(), 17, "taken from the file under the lock");
    }

    #[test]
    fn a_roll_over_another_process_did_is_followed_not_repeated() {
        let root = tempfile::tempdir().unwrap();
        let trigger = Trigger { max_bytes: 12 };
        // Two writers with a directory each, as two processes have.
        let (dir_a, dir_b) = (
            LogDir::open(root.path(), MODES).unwrap(),
            LogDir::open(root.path(), MODES).unwrap(),
        );
        let mut a = opened(&dir_a, "a.log");
        let mut b = opened(&dir_b, "a.log");
        a.append(&dir_a, b"from a\n").unwrap();
        b.append(&dir_b, b"from b\n").unwrap();
        let rename = |path: &Path| {
            fs::rename(path, root.path().join("a.log.1")).map_err(|source| Error::Write {
                target: path.display().to_string(),
                source,
            })
        };
        a.roll_over(&dir_a, trigger, 6, rename).unwrap();
        assert!(a.shared, "the file had grown by another's line");
        b.roll_over(&dir_b, trigger, 6, |_| panic!("rolled over twice"))
            .unwrap();
        b.append(&dir_b, b"b again\n").unwrap();
        let new = fs::read_to_string(root.path().join("a.log")).unwrap();
        let old = fs::read_to_string(root.path().join("a.log.1")).unwrap();
        assert_eq!(
            (old.as_str(), new.as_str()),
            ("from a\nfrom b\n", "b again\n")
        );
    }
}
