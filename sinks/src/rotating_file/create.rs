//! How the sink creates what it writes to: directories and log files, with its permissions,
//! and on unix never through a symbolic link at the log file's name. Every place that creates
//! one goes through here, so none of them forgets the mode or the check.

use std::fs::{self, File, OpenOptions};
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

/// Opens `path` for appending, creating it with `modes.file` when missing; a file that exists
/// keeps its permissions. On unix a symbolic link at `path` is refused, not followed.
///
/// Append mode: after a failed write is cut back, the next write lands at the new end. Read
/// access too when the permissions allow it (the boolean says whether), so that the lines of
/// a file deleted under the sink can be read back.
///
/// # Errors
/// The open's error; a refused symbolic link says so.
pub(crate) fn open_log_file(path: &Path, modes: Modes) -> io::Result<(File, bool)> {
    match open_with(path, modes, true) {
        Ok(file) => Ok((file, true)),
        // A file someone made write-only for the process is still a log file.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            open_with(path, modes, false).map(|file| (file, false))
        }
        Err(e) => Err(e),
    }
}

fn open_with(path: &Path, modes: Modes, read: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(read).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Whoever can write the log directory could plant a link there to a file the process
        // may write (a config, another log): the sink would append to it, and a roll-over
        // later rename the link away with the records.
        options.mode(modes.file).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = modes;
    options.open(path).map_err(explain_refused_link)
}

/// The errno with which `O_NOFOLLOW` refuses a symbolic link.
#[cfg(all(unix, not(any(target_os = "freebsd", target_os = "dragonfly"))))]
const REFUSED_LINK: i32 = libc::ELOOP;
#[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
const REFUSED_LINK: i32 = libc::EMLINK;

/// Says what the errno of a refused link means: its own text ("too many levels of symbolic
/// links") points at a loop, not at a link someone put where the log file should be.
fn explain_refused_link(err: io::Error) -> io::Error {
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
