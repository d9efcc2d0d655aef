//! How to roll over: numbered backups, shifted by renames.

use std::fs;
use std::io;
use std::path::Path;

use logtree_core::Error;

use super::naming::backup_path;
use super::policy::remove_if_exists;

/// Moves the current file to `<file>.1` after shifting `.1` … to `.2` …, keeping at most
/// `backup_count` backups. A plain value; it never copies a file and never truncates one, so
/// a failure leaves every record in some file.
///
/// It never follows a symbolic link someone planted at a backup's name: `rename` moves the
/// link itself (and would replace one at the destination), `remove_file` removes the link,
/// not its target, and "exists" looks at the link (`symlink_metadata`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Roller {
    pub(crate) backup_count: u32,
}

impl Roller {
    /// Frees `file`'s name for a new file.
    ///
    /// With backups, only the run `.1`, `.2`, … up to the first missing number is shifted
    /// (into that gap), so a roll-over costs as many renames as there are backups to move;
    /// when the run reaches `backup_count`, the oldest is removed first. With
    /// `backup_count = 0` the file is removed and the sink starts afresh.
    ///
    /// Backups numbered above `backup_count` (left by a run configured with more) are removed
    /// first, so that at most `backup_count + 1` files remain.
    ///
    /// Errors leave `file` where it was (the rename of `file` itself comes last), so the sink
    /// keeps appending to it.
    pub(crate) fn roll(&self, file: &Path) -> Result<(), Error> {
        let n = self.backup_count;
        let surplus = (n.saturating_add(1)..=u32::MAX)
            .map(|i| backup_path(file, i))
            .take_while(|path| exists(path));
        for path in surplus {
            remove_if_exists(&path)?;
        }
        if n == 0 {
            return remove_if_exists(file);
        }
        let gap = match (1..=n).find(|&i| !exists(&backup_path(file, i))) {
            Some(gap) => gap,
            None => {
                remove_if_exists(&backup_path(file, n))?;
                n
            }
        };
        for i in (1..gap).rev() {
            rename(&backup_path(file, i), &backup_path(file, i + 1))?;
        }
        rename(file, &backup_path(file, 1))
    }
}

fn exists(path: &Path) -> bool {
    // An error other than "not found" is taken as "exists": the rename into it then reports
    // the real cause instead of the roll-over silently overwriting a backup.
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

fn rename(from: &Path, to: &Path) -> Result<(), Error> {
    fs::rename(from, to).map_err(|source| Error::Rename {
        from: from.to_owned(),
        to: to.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
    }

    fn read(path: PathBuf) -> Option<String> {
        fs::read_to_string(path).ok()
    }

    #[test]
    fn shifts_backups_and_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        let roller = Roller { backup_count: 2 };
        for text in ["one", "two", "three"] {
            write(&file, text);
            roller.roll(&file).unwrap();
            assert!(!file.exists());
        }
        assert_eq!(read(backup_path(&file, 1)).as_deref(), Some("three"));
        assert_eq!(read(backup_path(&file, 2)).as_deref(), Some("two"));
        assert_eq!(read(backup_path(&file, 3)), None);
    }

    #[test]
    fn a_gap_absorbs_the_shift() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        write(&file, "new");
        write(&backup_path(&file, 1), "b1");
        write(&backup_path(&file, 3), "b3");
        Roller { backup_count: 5 }.roll(&file).unwrap();
        assert_eq!(read(backup_path(&file, 1)).as_deref(), Some("new"));
        assert_eq!(read(backup_path(&file, 2)).as_deref(), Some("b1"));
        assert_eq!(read(backup_path(&file, 3)).as_deref(), Some("b3"));
    }

    #[test]
    fn backups_beyond_the_count_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        write(&file, "new");
        for i in 1..=4 {
            write(&backup_path(&file, i), &format!("b{i}"));
        }
        Roller { backup_count: 2 }.roll(&file).unwrap();
        assert_eq!(read(backup_path(&file, 1)).as_deref(), Some("new"));
        assert_eq!(read(backup_path(&file, 2)).as_deref(), Some("b1"));
        assert_eq!(read(backup_path(&file, 3)), None);
        assert_eq!(read(backup_path(&file, 4)), None);
        write(&file, "alone");
        Roller { backup_count: 0 }.roll(&file).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn no_backups_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        write(&file, "gone");
        Roller { backup_count: 0 }.roll(&file).unwrap();
        assert!(!file.exists());
        assert!(!backup_path(&file, 1).exists());
        Roller { backup_count: 0 }.roll(&file).unwrap();
    }

    #[test]
    fn a_missing_file_is_a_rename_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("missing.log");
        let err = Roller { backup_count: 1 }.roll(&file).unwrap_err();
        assert!(
            matches!(&err, Error::Rename { from, .. } if from == &file),
            "{err}"
        );
    }
}
