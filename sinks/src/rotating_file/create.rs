//! How the sink creates what it writes to: directories here, files in the held directory
//! ([`LogDir`](super::dir::LogDir)), with its permissions, and on unix never through a
//! symbolic link at the file's name (`O_NOFOLLOW`). Every place that creates one goes through
//! these two, so none of them forgets the mode or the check.

use std::fs;
use std::io;
use std::path::Path;

use logtree_core::Error;

/// The permissions the sink gives the files and directories it creates (before the umask).
/// Elsewhere than on unix there are none to set: the platform's defaults apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Modes {
    /// Log files, backups' originals included.
    #[cfg(unix)]
    pub(crate) file: u32,
    /// The log directory and every missing parent of it.
    #[cfg(unix)]
    pub(crate) dir: u32,
}

/// Creates `dir` and its missing parents, each with `modes.dir`; directories that exist keep
/// their permissions.
///
/// # Errors
/// [`Error::CreateDir`] naming `dir` when it (or a parent) cannot be created, or is a file.
pub(crate) fn create_dir_all(dir: &Path, modes: Modes) -> Result<(), Error> {
    let error = |source| Error::CreateDir {
        path: dir.to_owned(),
        source,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(error(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a file of that name exists",
        )));
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(modes.dir);
    }
    #[cfg(not(unix))]
    let _ = modes;
    builder.create(dir).map_err(error)
}

/// The errno with which `O_NOFOLLOW` refuses a symbolic link.
#[cfg(all(unix, not(any(target_os = "freebsd", target_os = "dragonfly"))))]
const REFUSED_LINK: i32 = libc::ELOOP;
#[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
const REFUSED_LINK: i32 = libc::EMLINK;

/// Says what the errno of a refused link means: its own text ("too many levels of symbolic
/// links") points at a loop, not at a link someone put where the log file should be.
pub(crate) fn explain_refused_link(err: io::Error) -> io::Error {
    #[cfg(unix)]
    if err.raw_os_error() == Some(REFUSED_LINK) {
        return io::Error::new(
            err.kind(),
            "there is a symbolic link at that name, and the sink refuses to follow a symbolic link \
             (it could lead into a file that is not the log); remove it",
        );
    }
    err
}
