//! Everything a rotating file sink kept for a stem, across periods, backups and compressed
//! archives, read back in the order the records were written; and a clock tests move by hand.
//!
//! The names, for the stem `App`: `App_<label>.log` (the period's file; label `2025-06-28` or
//! `2025-06-28T14`), `….log.<n>` (backup `n`, 1 the newest), either of them with `.gz` or
//! `.zst` when compressed; staged roll-overs (`….log.roll-<n>`) and partial archives (`….tmp`)
//! are work in progress.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A clock the test sets: a shared count of milliseconds since the epoch.
#[derive(Clone, Debug)]
pub struct HandClock(Arc<AtomicU64>);

impl HandClock {
    /// A clock showing `at`.
    pub fn new(at: SystemTime) -> HandClock {
        let clock = HandClock(Arc::new(AtomicU64::new(0)));
        clock.set(at);
        clock
    }

    /// Sets the time.
    pub fn set(&self, at: SystemTime) {
        let ms = at
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        self.0.store(ms as u64, Ordering::SeqCst);
    }

    /// Moves the time on by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// The time shown.
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.load(Ordering::SeqCst))
    }

    /// The clock as a sink takes it.
    pub fn as_fn(&self) -> impl Fn() -> SystemTime + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}

/// One file of the sink, parsed from its name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kept {
    /// `2025-06-28` or `2025-06-28T14`.
    pub label: String,
    /// 0 for the period's file, `n` for backup `n`.
    pub index: u32,
    /// The number of a staged roll-over (`….log.roll-<n>`): newer than the backups, older
    /// than the period's file.
    pub staged: Option<u64>,
    /// `""`, `".gz"` or `".zst"`.
    pub archive: &'static str,
    /// The file.
    pub path: PathBuf,
}

/// The files of `stem` in `dir` that hold records (partial archives left out), in the order
/// their records were written: by period, then the highest backup first, then staged
/// roll-overs by number, the period's file last. Other names are left out.
pub fn kept_files(dir: &Path, stem: &str) -> Vec<Kept> {
    let prefix = format!("{stem}_");
    let mut kept: Vec<Kept> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            let rest = name.strip_prefix(&prefix)?;
            let (label, rest) = rest.split_once(".log")?;
            let (rest, archive) = if let Some(r) = rest.strip_suffix(".gz") {
                (r, ".gz")
            } else if let Some(r) = rest.strip_suffix(".zst") {
                (r, ".zst")
            } else {
                (rest, "")
            };
            let staged = match rest.strip_prefix(".roll-") {
                Some(seq) if archive.is_empty() => Some(seq.parse().ok()?),
                Some(_) => return None,
                None => None,
            };
            let index = match (rest, staged) {
                (_, Some(_)) | ("", None) => 0,
                _ => backup_index(rest.strip_prefix('.')?)?,
            };
            Some(Kept {
                label: label.to_owned(),
                index,
                staged,
                archive,
                path,
            })
        })
        .collect();
    let order = |k: &Kept| match (k.staged, k.index) {
        (Some(seq), _) => (1, seq),
        (None, 0) => (2, 0),
        (None, index) => (0, u64::MAX - u64::from(index)),
    };
    kept.sort_by(|a, b| (&a.label, order(a)).cmp(&(&b.label, order(b))));
    // A crash between an archive's rename into place and the removal of its plain file leaves
    // both, holding the same records: the plain one counts (a restart removes it).
    let plain: std::collections::HashSet<(String, u32, Option<u64>)> = kept
        .iter()
        .filter(|k| k.archive.is_empty())
        .map(|k| (k.label.clone(), k.index, k.staged))
        .collect();
    kept.retain(|k| k.archive.is_empty() || !plain.contains(&(k.label.clone(), k.index, k.staged)));
    kept
}

/// The number of a backup as the sink writes it (`3`, never `03`: that is somebody else's file).
fn backup_index(text: &str) -> Option<u32> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The text of a kept file, decompressed; panics if it is not whole lines.
pub fn read_kept(file: &Kept) -> String {
    let raw = std::fs::read(&file.path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.path.display()));
    let mut text = Vec::new();
    match file.archive {
        ".gz" => flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut text)
            .map(drop),
        ".zst" => zstd::stream::read::Decoder::new(&raw[..])
            .and_then(|mut d| d.read_to_end(&mut text))
            .map(drop),
        _ => {
            text = raw;
            Ok(())
        }
    }
    .unwrap_or_else(|e| panic!("{} is not a whole archive: {e}", file.path.display()));
    let text = String::from_utf8(text).expect("UTF-8 lines");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} ends mid-line",
        file.path.display()
    );
    text
}

/// Every record line of `stem` in `dir`, in the order written.
pub fn read_all(dir: &Path, stem: &str) -> String {
    kept_files(dir, stem).iter().map(read_kept).collect()
}

/// Waits (at most a minute) until the sink's background work on `stem` is done: no staged
/// roll-over, no partial archive, and, when `compressed`, no plain backup left.
pub fn wait_settled(dir: &Path, stem: &str, compressed: bool) {
    let start = Instant::now();
    loop {
        let busy: Vec<String> = std::fs::read_dir(dir)
            .expect("the log directory")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(&format!("{stem}_")))
            .filter(|n| {
                n.contains(".roll-")
                    || n.ends_with(".tmp")
                    || (compressed
                        && n.rsplit_once(".log.")
                            .is_some_and(|(_, i)| backup_index(i).is_some()))
            })
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the background work is not done: {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(10)); // polling a deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_come_in_the_order_their_records_were_written() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "App_2025-06-28.log.10.gz",
            "App_2025-06-28.log.9",
            "App_2025-06-28.log.1.zst",
            "App_2025-06-28.log.roll-7",
            "App_2025-06-28.log.roll-12",
            "App_2025-06-28.log",
            "App_2025-06-28T03.log.2",
            "App_2025-06-28T03.log",
            "App_2025-06-29.log",
        ];
        for name in names.iter().rev() {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        for other in [
            "App_2025-06-28.log.1.gz.tmp",
            "Other_2025-06-28.log",
            "notes",
        ] {
            std::fs::write(dir.path().join(other), "").unwrap();
        }
        let kept: Vec<String> = kept_files(dir.path(), "App")
            .into_iter()
            .map(|k| k.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, names);
    }
}
