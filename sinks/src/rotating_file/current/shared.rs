//! Writing with the writer's lock shared: the line's bytes reserved in the count, one
//! `write`, and a failed one settled afterwards with the lock held exclusively.

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::Ordering;

use logtree_core::Error;

use super::super::dir::FileId;
use super::super::trigger::Trigger;
use super::Current;

/// Whether lines may be written with the writer's lock shared. Linux appends each `write` to
/// an `O_APPEND` regular file whole at its end, under the inode's lock, whatever other
/// threads write at the same time; elsewhere that is not checked, and every write holds the
/// lock exclusively.
const SHARED_WRITES: bool = cfg!(target_os = "linux");

/// Longer lines are written with the lock held exclusively: one `write` of them is more
/// likely to be cut short (and past ~2 GiB Linux always cuts it), and they are too rare for
/// the wait to matter.
const SHARED_LINE_MAX: usize = 64 * 1024;

/// How a [`Current::write_shared`] went.
pub(crate) enum Shared {
    /// The whole line is in the file.
    Written,
    /// Nothing was done: the line needs the exclusive lock (the file is not open or not a
    /// regular file, the line is long, it must roll over first, or other processes write the
    /// file too).
    Exclusive,
    /// The write failed or was cut short: settle it with [`Current::settle`] under the
    /// exclusive lock.
    Failed(Failure),
}

/// A shared write that failed, to be settled once no other write is in flight.
pub(crate) struct Failure {
    /// The file written to (it may be closed, reopened or rolled over before it is settled).
    id: FileId,
    /// Bytes of the line that reached the file.
    written: usize,
    /// When some did, a handle of the file, to complete the line or cut it back.
    file: Option<File>,
    source: io::Error,
}

impl Current {
    /// One `write` of the whole `line` with the writer's lock shared, when the file is open,
    /// regular, and takes the line without rolling over; else [`Shared::Exclusive`].
    ///
    /// The line's bytes are reserved in the count first (compare-and-swap), so concurrent
    /// writers never together take the file past `max_bytes`: the count a record is checked
    /// against includes every record in flight. The file is `O_APPEND`, so each `write`
    /// lands whole at the end of the file; only a write cut short (the disk full mid-line)
    /// leaves part of a line, which [`Current::settle`] completes or cuts back.
    pub(crate) fn write_shared(&self, trigger: Trigger, line: &[u8]) -> Shared {
        let log = match &self.file {
            Some(log)
                if SHARED_WRITES
                    && log.regular
                    && !self.shared
                    && line.len() <= SHARED_LINE_MAX =>
            {
                log
            }
            _ => return Shared::Exclusive,
        };
        let len = line.len() as u64;
        let mut size = self.size();
        loop {
            if trigger.exceeded(size, line.len()) {
                return Shared::Exclusive;
            }
            // Relaxed: the count orders nothing else; the lock keeps roll-overs apart.
            match self.size.compare_exchange_weak(
                size,
                size.saturating_add(len),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => size = now,
            }
        }
        if line.is_empty() {
            return Shared::Written;
        }
        let (written, source) = match write_once(&log.file, line) {
            Ok(n) if n == line.len() => return Shared::Written,
            Ok(n) => (n, short_write()),
            Err(e) => (0, e),
        };
        // Count what is in the file; the lock is still held, so this is still its count.
        self.size
            .fetch_sub((line.len() - written) as u64, Ordering::Relaxed);
        Shared::Failed(Failure {
            id: log.id,
            written,
            // Without a handle (too many open files) the part written stays.
            file: (written > 0).then(|| log.file.try_clone().ok()).flatten(),
            source,
        })
    }

    /// Settles a failed [`write_shared`](Current::write_shared) of `line`, with the lock held
    /// exclusively (no write in flight), as [`append`](Current::append) handles a failed
    /// `write_all`: a line cut short is completed if its part is still the end of its file,
    /// and cut back if that fails too; the file is then closed, so the next write reopens it
    /// and counts its size afresh.
    ///
    /// Residual risk: another thread's line may land after the part of a line cut short
    /// before this runs (its `write` was already under way, or space was freed meanwhile).
    /// The part then stays, and that line follows it on the same text line; it is the only
    /// way lines mix, and needs a write cut short on a regular file (a full disk, a quota,
    /// the file size limit).
    pub(crate) fn settle(&mut self, failure: Failure, line: &[u8]) -> Result<(), Error> {
        let Failure {
            id,
            written,
            file,
            source,
        } = failure;
        let result = match file {
            Some(file) if written > 0 => complete(&file, &line[..written], &line[written..]),
            _ => Err(source),
        };
        if self.file.as_ref().is_some_and(|log| log.id == id) {
            self.file = None;
        }
        result.map_err(|source| Error::Write {
            target: self.path.display().to_string(),
            source,
        })
    }
}

/// One `write` of `line`, repeated only when interrupted before writing anything: a second
/// `write` of the rest could land after another thread's line.
fn write_once(mut file: &File, line: &[u8]) -> io::Result<usize> {
    loop {
        match file.write(line) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

fn short_write() -> io::Error {
    io::Error::new(
        io::ErrorKind::WriteZero,
        "the write of the line was cut short",
    )
}

/// Completes a line of which `part` was written, if `part` still ends `file` (no other line
/// came after it): writes `rest`, and if that fails, cuts `part` off again.
fn complete(mut file: &File, part: &[u8], rest: &[u8]) -> io::Result<()> {
    let Some(start) = start_of(file, part)? else {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the write of the line was cut short and another line was written after its first part, which stays",
        ));
    };
    file.write_all(rest).inspect_err(|_| {
        let _ = file.set_len(start);
    })
}

/// Cuts `part`, what a failed write got into `file`, off again if it still ends the file.
/// Where it starts is found from the file's size, never from the sink's count (stale after a
/// truncation by another program), so the cut never extends the file.
pub(super) fn cut_back(file: &File, part: &[u8]) -> io::Result<()> {
    if part.is_empty() {
        return Ok(());
    }
    match start_of(file, part)? {
        Some(start) => file.set_len(start),
        // Another line came after it: it stays, and the next open starts on a new line.
        None => Ok(()),
    }
}

/// Where `part` starts in `file`, if it is the file's end.
fn start_of(file: &File, part: &[u8]) -> io::Result<Option<u64>> {
    let len = file.metadata()?.len();
    let start = len.checked_sub(part.len() as u64);
    Ok(start.filter(|&start| ends_with(file, start, part)))
}

/// Whether the bytes of `file` from `start` on are `tail`. Read through the handle, or, if it
/// is write-only, through a handle of its own opened by `/proc/self/fd` (the very file, even
/// if renamed since); false when it cannot be read.
#[cfg(unix)]
fn ends_with(file: &File, start: u64, tail: &[u8]) -> bool {
    same_bytes(file, start, tail).unwrap_or_else(|_| {
        reader_of(file).is_some_and(|reader| same_bytes(&reader, start, tail).unwrap_or(false))
    })
}

#[cfg(unix)]
fn same_bytes(reader: &File, start: u64, tail: &[u8]) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut chunk = [0u8; 512];
    let mut at = start;
    for expected in tail.chunks(chunk.len()) {
        let buf = &mut chunk[..expected.len()];
        reader.read_exact_at(buf, at)?;
        if buf != expected {
            return Ok(false);
        }
        at += expected.len() as u64;
    }
    Ok(true)
}

#[cfg(target_os = "linux")]
fn reader_of(file: &File) -> Option<File> {
    use std::os::unix::io::AsRawFd;
    File::open(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn reader_of(_: &File) -> Option<File> {
    None
}

#[cfg(not(unix))]
fn ends_with(_: &File, _: u64, _: &[u8]) -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::fs::{self, OpenOptions};
    use std::path::Path;

    use super::super::super::create::Modes;
    use super::super::super::dir::LogDir;
    use super::*;

    fn append_only(path: &Path) -> File {
        OpenOptions::new().append(true).open(path).unwrap()
    }

    #[test]
    fn a_line_cut_short_at_the_end_is_completed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        fs::write(&path, "one\ntw").unwrap();
        complete(&append_only(&path), b"tw", b"o\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }

    #[test]
    fn a_line_cut_short_and_followed_by_another_stays_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        fs::write(&path, "one\ntwthree\n").unwrap();
        let err = complete(&append_only(&path), b"tw", b"o\n").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero, "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwthree\n");
        // A part longer than the file is not its end either.
        assert!(complete(&append_only(&path), &[b'x'; 600], b"\n").is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwthree\n");
    }

    #[test]
    fn the_end_of_a_file_is_compared_in_full_past_one_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let part: Vec<u8> = (0..1500u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut text = b"head\n".to_vec();
        text.extend_from_slice(&part);
        fs::write(&path, &text).unwrap();
        let file = append_only(&path);
        assert!(ends_with(&file, 5, &part));
        let mut other = part.clone();
        other[1400] = b'#';
        assert!(!ends_with(&file, 5, &other));
    }

    #[test]
    fn settling_a_failed_write_closes_the_file_it_went_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let modes = Modes {
            file: 0o640,
            dir: 0o750,
        };
        let log_dir = LogDir::open(dir.path(), modes).unwrap();
        let mut current = Current::new(path.clone(), false);
        current.ensure_open(&log_dir).unwrap();
        current.append(&log_dir, b"one\ntw").unwrap();
        let log = current.file.as_ref().unwrap();
        let failure = Failure {
            id: log.id,
            written: 2,
            file: Some(log.file.try_clone().unwrap()),
            source: short_write(),
        };
        current.settle(failure, b"two\n").unwrap();
        assert!(
            current.file.is_none(),
            "reopened (and counted) by the next write"
        );
        current.ensure_open(&log_dir).unwrap();
        assert_eq!(current.size(), 8);
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }
}
