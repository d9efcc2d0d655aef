//! The system calls of [`LogDir`](super::LogDir) on unix: `openat`, `fstatat`, `renameat`,
//! `unlinkat`, `readdir`; every descriptor close-on-exec, and no name opened through a link.

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
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
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
