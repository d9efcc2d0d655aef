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

/// The system calls, on unix.
#[cfg(unix)]
mod sys {
    use std::ffi::{CStr, CString, OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::Path;

    use super::{EntryStat, FileId};
    use crate::rotating_file::create::explain_refused_link;

    fn c_name(name: &OsStr) -> io::Result<CString> {
        CString::new(name.as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a file name"))
    }

    /// Takes ownership of a descriptor a call returned, or its error.
    fn owned(fd: libc::c_int) -> io::Result<OwnedFd> {
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a descriptor just returned by the system, owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    fn check(result: libc::c_int) -> io::Result<()> {
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    const CLOSE_ON_EXEC_NO_LINK: libc::c_int = libc::O_CLOEXEC | libc::O_NOFOLLOW;

    /// Opens the directory `path`; a symbolic link as its last component is refused.
    pub(super) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
        let path = c_name(path.as_os_str())?;
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | CLOSE_ON_EXEC_NO_LINK;
        // SAFETY: a NUL-terminated path.
        owned(unsafe { libc::open(path.as_ptr(), flags) }).map_err(explain_refused_link)
    }

    /// `openat` with `O_NOFOLLOW` and `O_CLOEXEC` added.
    pub(super) fn open_at(
        dir: &OwnedFd,
        name: &OsStr,
        flags: libc::c_int,
        mode: u32,
    ) -> io::Result<File> {
        let name = c_name(name)?;
        let flags = flags | CLOSE_ON_EXEC_NO_LINK;
        // SAFETY: a valid descriptor and a NUL-terminated name; the mode is read only with
        // O_CREAT.
        let fd =
            unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
        owned(fd).map(File::from).map_err(explain_refused_link)
    }

    fn stat_of(st: &libc::stat) -> EntryStat {
        EntryStat {
            // The field types differ between platforms; all fit in 64 bits.
            #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
            id: FileId((st.st_dev as u64, st.st_ino as u64)),
            len: u64::try_from(st.st_size).unwrap_or(0),
            symlink: st.st_mode & libc::S_IFMT == libc::S_IFLNK,
        }
    }

    pub(super) fn stat_at(dir: &OwnedFd, name: &OsStr) -> io::Result<EntryStat> {
        let name = c_name(name)?;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: a valid descriptor, a NUL-terminated name, room for the result.
        check(unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })?;
        // SAFETY: filled in by the successful call.
        Ok(stat_of(unsafe { &st.assume_init() }))
    }

    fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: a valid descriptor, room for the result.
        check(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
        // SAFETY: filled in by the successful call.
        Ok(unsafe { st.assume_init() })
    }

    /// The identity of the directory held.
    pub(super) fn id(dir: &OwnedFd) -> Option<FileId> {
        fstat(dir).ok().map(|st| stat_of(&st).id)
    }

    /// Whether the directory held was deleted: it has no link left.
    pub(super) fn deleted(dir: &OwnedFd) -> bool {
        fstat(dir).is_ok_and(|st| st.st_nlink == 0)
    }

    pub(super) fn rename_at(dir: &OwnedFd, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (from, to) = (c_name(from)?, c_name(to)?);
        let fd = dir.as_raw_fd();
        // SAFETY: a valid descriptor and NUL-terminated names.
        check(unsafe { libc::renameat(fd, from.as_ptr(), fd, to.as_ptr()) })
    }

    pub(super) fn unlink_at(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
        let name = c_name(name)?;
        // SAFETY: a valid descriptor and a NUL-terminated name.
        check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) })
    }

    /// A descriptor of the directory `dir` holds, with an open file description of its own.
    pub(super) fn open_again(dir: &OwnedFd) -> io::Result<OwnedFd> {
        let here = c_name(OsStr::new("."))?;
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: a valid descriptor and a NUL-terminated name.
        owned(unsafe { libc::openat(dir.as_raw_fd(), here.as_ptr(), flags) })
    }

    /// Reads the entries through a descriptor of its own (`fdopendir` takes the one it gets).
    pub(super) fn entries(dir: &OwnedFd) -> io::Result<Vec<OsString>> {
        let own = open_again(dir)?;
        use std::os::fd::IntoRawFd;
        let raw = own.into_raw_fd();
        // SAFETY: a directory descriptor we own; on success the stream owns it.
        let stream = unsafe { libc::fdopendir(raw) };
        if stream.is_null() {
            let err = io::Error::last_os_error();
            // SAFETY: still ours after the failed call.
            drop(unsafe { OwnedFd::from_raw_fd(raw) });
            return Err(err);
        }
        let mut names = Vec::new();
        loop {
            // SAFETY: an open stream; the entry is valid until the next call on it.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            // SAFETY: `d_name` is NUL-terminated within the entry.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
            if name != b"." && name != b".." {
                names.push(OsString::from_vec(name.to_vec()));
            }
        }
        // SAFETY: the stream opened above, closed once (with its descriptor).
        unsafe { libc::closedir(stream) };
        Ok(names)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn modes() -> Modes {
        Modes {
            file: 0o640,
            dir: 0o750,
        }
    }

    #[test]
    fn files_are_made_renamed_listed_and_removed_in_the_directory_held() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("logs");
        let dir = LogDir::open(&path, modes()).unwrap();
        let (name, other) = (OsStr::new("a.log"), OsStr::new("b.log"));
        use std::io::Write;
        dir.open_log(name).unwrap().0.write_all(b"one\n").unwrap();
        // Moved away and replaced by a link: the directory held is the moved one.
        let moved = root.path().join("moved");
        std::fs::rename(&path, &moved).unwrap();
        std::fs::create_dir(root.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(root.path().join("elsewhere"), &path).unwrap();
        assert!(dir.replaced());
        dir.ensure_present().unwrap();
        dir.open_log(name).unwrap().0.write_all(b"two\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(moved.join(name)).unwrap(),
            "one\ntwo\n"
        );
        dir.rename(name, other).unwrap();
        assert_eq!(dir.stat(other).unwrap().len, 8);
        assert!(dir.create_new(other).is_err(), "taken");
        dir.create_new(name).unwrap();
        let mut names = dir.entries().unwrap();
        names.sort();
        assert_eq!(names, [name, other]);
        dir.remove(other).unwrap();
        assert!(dir.open_read(other).is_err());
        assert_eq!(
            std::fs::read_dir(root.path().join("elsewhere"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn a_deleted_directory_is_made_again_but_never_through_a_link() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("logs");
        let dir = LogDir::open(&path, modes()).unwrap();
        std::fs::remove_dir(&path).unwrap();
        std::fs::create_dir(root.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(root.path().join("elsewhere"), &path).unwrap();
        let err = dir.ensure_present().unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        std::fs::remove_file(&path).unwrap();
        dir.ensure_present().unwrap();
        dir.open_log(OsStr::new("a.log")).unwrap();
        assert!(path.join("a.log").is_file());
        let link = dir.stat(OsStr::new("a.log")).unwrap();
        assert!(!link.symlink);
    }
}
