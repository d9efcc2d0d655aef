//! What a `RotatingFileSink` wrote, read back: its file `<stem>_<date>.log` and the numbered
//! backups beside it (`<file>.1` the newest, the highest number the oldest).

use std::path::{Path, PathBuf};

/// `path` and every entry beside it whose name starts with `path`'s name (its backups, and
/// anything planted at their names), sorted by path.
pub fn file_and_backups(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().expect("a file path").as_encoded_bytes();
    let mut files: Vec<PathBuf> = entries(parent(path))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.as_encoded_bytes().starts_with(name))
        })
        .collect();
    files.sort();
    files
}

/// The files that hold `path`'s records, in the order they were written: its numbered backups
/// `<file>.<k>` that are files, the highest `k` first, then the files a roll-over moved aside
/// that the archive thread has not numbered yet (`<file>.roll-<seq>`, left by a kill), by
/// `seq`, then `path` itself (whether it exists or not).
pub fn oldest_first(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 file name");
    let prefix = format!("{name}.");
    let mut older: Vec<((u8, u64), PathBuf)> = entries(parent(path))
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let suffix = p.file_name()?.to_str()?.strip_prefix(&prefix)?;
            let rank = match suffix.strip_prefix("roll-") {
                Some(seq) => (1, seq.parse().ok()?),
                None => (0, u64::MAX - suffix.parse::<u64>().ok()?),
            };
            Some((rank, p))
        })
        .collect();
    older.sort_unstable_by_key(|(rank, _)| *rank);
    older
        .into_iter()
        .map(|(_, p)| p)
        .chain([path.to_owned()])
        .collect()
}

/// Every file of the sink with file stem `stem` in `dir`, in the order the records were
/// written: for each dated file `<stem>_<date>.log`, oldest date first, its
/// [`oldest_first`] files. A dated file counts when any of its files is there: a kill between a
/// roll-over's rename and the open of the new file leaves only `<file>.roll-<seq>` and the
/// numbered backups.
pub fn sink_files(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let prefix = format!("{stem}_");
    let mut current: Vec<PathBuf> = entries(dir)
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            if !name.starts_with(&prefix) {
                return None;
            }
            let end = name.find(".log.").map_or(name.len(), |i| i + ".log".len());
            let base = &name[..end];
            base.ends_with(".log").then(|| dir.join(base))
        })
        .collect();
    current.sort();
    current.dedup();
    current.iter().flat_map(|p| oldest_first(p)).collect()
}

/// The text of the file at `path`, empty if there is none; panics if it ends in the middle of
/// a line.
pub fn read_whole_lines(path: &Path) -> String {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} ends mid-line: {:?}",
        path.display(),
        &text[text.char_indices().rev().nth(79).map_or(0, |(i, _)| i)..]
    );
    text
}

/// The text of every file of [`oldest_first`]`(path)`, one after the other, each read by
/// [`read_whole_lines`].
pub fn read_oldest_first(path: &Path) -> String {
    oldest_first(path)
        .iter()
        .map(|p| read_whole_lines(p))
        .collect()
}

fn parent(path: &Path) -> &Path {
    path.parent().expect("a file path has a directory")
}

/// The paths of the entries of `dir`.
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kill between a roll-over's rename and the open of the new file leaves no
    /// `<stem>_<date>.log`: its records are still found, in order.
    #[test]
    fn a_dated_file_with_only_backups_left_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "Crash_2026-12-03.log.2",
            "Crash_2026-12-03.log.1",
            "Crash_2026-12-03.log.roll-7",
            "Crash_2026-12-04.log",
            "Other_2026-12-03.log",
        ] {
            std::fs::write(d.join(name), "x\n").unwrap();
        }
        let names: Vec<String> = sink_files(d, "Crash")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "Crash_2026-12-03.log.2",
                "Crash_2026-12-03.log.1",
                "Crash_2026-12-03.log.roll-7",
                "Crash_2026-12-03.log",
                "Crash_2026-12-04.log",
            ]
        );
    }
}
