//! The check at setup that the log directory is writable: roll-overs need it.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use logtree_core::Error;

/// How many probe names setup tries: a name is taken only by a leftover of a crashed process,
/// or by a file someone put there.
const PROBE_ATTEMPTS: usize = 8;

/// Creates and removes a probe file: an existing log file may be writable in a directory that
/// is not, and roll-overs need the directory.
pub(crate) fn check_writable(dir: &Path, file: &Path) -> Result<(), Error> {
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
pub(crate) fn probe_writable(
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
