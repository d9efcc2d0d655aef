//! The cross-process side of the archiver's serialization.

use std::fs;
#[cfg(unix)]
use std::io;

use logtree_core::Error;

use super::Archiver;

impl Archiver {
    /// Holds the stem's archiver lock of this directory until dropped (unix), so that two
    /// processes never shift the same backups at once.
    pub(super) fn lock_across_processes(&self) -> Result<Option<fs::File>, Error> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            use std::os::unix::io::AsRawFd;
            let path = self.dir.join(format!(".{}.archiver.lock", self.stem));
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .mode(0o600)
                .open(&path)
                .map_err(|source| Error::OpenFile {
                    path: path.clone(),
                    source,
                })?;
            loop {
                // SAFETY: `file` is an open descriptor for the duration of the call.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                    return Ok(Some(file));
                }
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(Error::OpenFile { path, source: err });
                }
            }
        }
        #[cfg(not(unix))]
        Ok(None)
    }
}
