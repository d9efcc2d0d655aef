//! How the sink creates what it writes to: directories and log files, with its permissions.
//! Every place that creates one goes through here, so none of them forgets the mode.

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
/// keeps its permissions.
///
/// Append mode: after a failed write is cut back, the next write lands at the new end.
pub(crate) fn open_log_file(path: &Path, modes: Modes) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(modes.file);
    }
    #[cfg(not(unix))]
    let _ = modes;
    options.open(path)
}
