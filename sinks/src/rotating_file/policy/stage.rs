//! The caller's part of a roll-over: rename the current file to a staged name, and nothing
//! else. The archiver finishes it later.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use logtree_core::Error;

use super::names::{Kind, LogName};

/// Numbers staged roll-overs: each number is higher than the last this stager gave and than
/// any staged file found at setup, and at least the wall-clock time in microseconds, so that
/// numbers keep rising across restarts (and across processes that stage under one lock).
#[derive(Debug)]
pub(crate) struct Stager {
    last: u64,
}

impl Stager {
    /// A stager for `<dir>/<stem>_*`: reads the directory once for staged files left by an
    /// earlier run (a failure to read it counts as none: the clock still orders them).
    pub(crate) fn new(dir: &Path, stem: &str) -> Stager {
        let last = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let name = LogName::parse(stem, entry.ok()?.file_name().to_str()?)?;
                match name.kind {
                    Kind::Staged { seq } => Some(seq),
                    _ => None,
                }
            })
            .max()
            .unwrap_or(0);
        Stager { last }
    }

    /// Renames `current` (a file the sink named, `<stem>_<label>.log`) to
    /// `<stem>_<label>.log.roll-<n>`, a name no file has, and returns that name. The caller
    /// then opens a new `current` and hands the archiver a run.
    ///
    /// # Errors
    /// [`Error::Rename`]: the file keeps its name (and the caller keeps appending to it).
    pub(crate) fn stage(&mut self, current: &Path) -> Result<PathBuf, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let mut seq = self.last.saturating_add(1).max(now);
        let staged = loop {
            let mut name = current.as_os_str().to_owned();
            name.push(format!(".roll-{seq}"));
            let staged = PathBuf::from(name);
            // A name taken (another process's stager, a clock set back) is skipped: the rename
            // would replace that file.
            match fs::symlink_metadata(&staged) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => break staged,
                _ if seq == u64::MAX => {
                    return Err(Error::Rename {
                        from: current.to_owned(),
                        to: staged,
                        source: io::ErrorKind::AlreadyExists.into(),
                    })
                }
                _ => seq += 1,
            }
        };
        fs::rename(current, &staged).map_err(|source| Error::Rename {
            from: current.to_owned(),
            to: staged.clone(),
            source,
        })?;
        self.last = seq;
        Ok(staged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_names_rise_and_never_replace_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("App_2025-06-28.log");
        let mut stager = Stager::new(dir.path(), "App");
        let mut seqs = Vec::new();
        for text in ["one", "two", "three"] {
            fs::write(&current, text).unwrap();
            let staged = stager.stage(&current).unwrap();
            assert!(!current.exists());
            assert_eq!(fs::read_to_string(&staged).unwrap(), text);
            let name = LogName::parse("App", staged.file_name().unwrap().to_str().unwrap());
            let Some(LogName {
                kind: Kind::Staged { seq },
                ..
            }) = name
            else {
                panic!("{staged:?} is not a staged name");
            };
            seqs.push(seq);
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        // A new stager (a restart) continues above what it finds, even from the future.
        let far = dir
            .path()
            .join(format!("App_2025-06-28.log.roll-{}", u64::MAX - 5));
        fs::write(&far, "future").unwrap();
        let mut restarted = Stager::new(dir.path(), "App");
        fs::write(&current, "four").unwrap();
        let staged = restarted.stage(&current).unwrap();
        assert!(staged
            .to_str()
            .unwrap()
            .ends_with(&format!("roll-{}", u64::MAX - 4)));
        assert_eq!(fs::read_to_string(&far).unwrap(), "future");
    }

    #[test]
    fn a_missing_file_is_a_rename_error() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("App_2025-06-28.log");
        let err = Stager::new(dir.path(), "App").stage(&current).unwrap_err();
        assert!(
            matches!(&err, Error::Rename { from, .. } if from == &current),
            "{err}"
        );
    }
}
