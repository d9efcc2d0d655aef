//! The rotating file sink: `<dir>/<stem>_<YYYY-MM-DD>.log`, rolled over by size (and
//! by time (daily by default, hourly) into numbered backups; retention and compression of the
//! files of past periods.

mod builder;
mod clock;
mod create;
mod current;
mod flush;
mod naming;
// The writer's background thread calls the archiver once integrated (issue 17); until then
// parts of it are used by tests only.
#[allow(dead_code, unused_imports)]
mod policy;
mod registry;
mod roller;
#[cfg(test)]
mod tests;
mod trigger;
mod writer;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use logtree_core::{AtomicLevelFilter, Error, Formatter, LevelFilter, Record, Sink, SinkId};

pub use builder::{RotatingFileSinkBuilder, DEFAULT_BACKUP_COUNT, DEFAULT_DIR, DEFAULT_MAX_BYTES};
#[cfg(unix)]
pub use builder::{DEFAULT_DIR_MODE, DEFAULT_FILE_MODE};
pub use clock::{Clock, SystemClock};
pub use flush::FlushPolicy;
pub use naming::validate_stem;
pub use policy::{Compression, Rotation};

use crate::line_buffer::LineBuffer;
use writer::Writer;

/// Writes records to `<dir>/<stem>_<YYYY-MM-DD>.log` (the current day's, or
/// `…_<YYYY-MM-DD>T<HH>.log` the hour's, per the [`Rotation`]) and rolls it over into
/// `<file>.1` (newest) … `<file>.<backup_count>` by size.
///
/// Files of past periods and backups are kept, compressed ([`Compression`]) and deleted by
/// the retention limits ([`max_files`](RotatingFileSinkBuilder::max_files),
/// [`max_age`](RotatingFileSinkBuilder::max_age),
/// [`max_total_size`](RotatingFileSinkBuilder::max_total_size)) in the background; only names
/// the sink makes are ever touched.
///
/// Semantics (DESIGN.md, "Rotating file sink"):
/// - Before writing a record that would take the file past `max_bytes`, the sink rolls over,
///   unless the file is empty: a record is never split, so only a single record larger than
///   `max_bytes` makes a file exceed it. `max_bytes = 0` never rolls over.
/// - A roll-over renames (never copies and truncates): `.N` is removed, `.1` … shift up, the
///   file becomes `.1`, a new file is created. Backups numbered above `backup_count` (left by
///   an earlier run with more) are removed, so at most `backup_count + 1` files per stem and
///   date exist afterwards. `backup_count = 0` removes the file and starts a new one.
/// - If a rename fails, the sink keeps appending to the current file and returns the error
///   (the tree reports it); the next record that does not fit tries again.
/// - Missing directories are created; an existing file is appended to, and its size counts.
/// - On unix, the files it creates get [`DEFAULT_FILE_MODE`] (`0o640`) and the directories
///   [`DEFAULT_DIR_MODE`] (`0o750`), before the umask, unless set with
///   [`mode`](RotatingFileSinkBuilder::mode) and [`dir_mode`](RotatingFileSinkBuilder::dir_mode);
///   files and directories that exist keep their permissions.
/// - On unix it never writes through a symbolic link at the file's name (one planted by
///   whoever may write the directory could lead to any file the process may write): opening
///   it fails with [`Error::OpenFile`]. Roll-overs rename and remove links at backup names as
///   links, never touching their targets.
/// - The byte count is kept in the sink: no file system call per record, beyond the write.
///
/// Durability is the [`FlushPolicy`]'s: by default every record is written (one `write` of
/// the whole line) before [`Sink::log`] returns.
///
/// Threads: with [`FlushPolicy::EveryRecord`], threads write their lines at the same time (on
/// Linux; the file is opened for appending, so each line's one `write` lands whole), each
/// line's bytes counted before it is written so the size limit holds exactly; a roll-over
/// waits for the writes under way, and lines written meanwhile wait for it. A write cut short
/// (a full disk) is completed, or cut back if it fails, unless another thread's line was
/// already written after its first part: that part then stays. With
/// [`FlushPolicy::Buffered`], each thread buffers its lines on its own, and the buffers are
/// written together, merged by record time.
///
/// Failures at log time are returned from [`Sink::log`] (the tree hands them to its error
/// handler) and the sink goes on:
/// - a failed write (disk full, say) cuts the file back to its last whole line and closes it;
///   each later record tries once to reopen the file, recreating the directory, until that
///   works again;
/// - at most once a second (paced by the records' timestamps) the sink checks that its file
///   is still at its path, and recreates file and directory if they were deleted or moved.
///   The lines a deleted file got since the last check are read back from it (the sink still
///   has it open) and written first to the new file, so none is lost; lines written in that
///   second before the deletion come back with them. A file moved away keeps its lines;
/// - errors of the background flusher are returned by the next `log` or `flush`.
///
/// Two sinks of one process on the same file share one writer (and must agree on its
/// options); their identity ([`Sink::id`]) is the canonical path of the file at setup, so a
/// logger never gets both. Each keeps its own formatter and level. Rotation across processes
/// is not coordinated: give each process its own stem.
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
/// use logtree_sinks::RotatingFileSink;
///
/// let dir = tempfile::tempdir()?;
/// let file = RotatingFileSink::builder("App").dir(dir.path()).max_bytes(64 * 1024).backup_count(3).build()?;
/// let path = file.path();
/// let tree = LoggerTree::new();
/// let app = tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Info).sink(file))?;
/// app.info(format_args!("started"));
/// let text = std::fs::read_to_string(path)?;
/// assert!(text.ends_with(" - app - INFO - started\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RotatingFileSink {
    writer: Arc<Writer>,
    level: AtomicLevelFilter,
    formatter: Box<dyn Formatter>,
}

impl RotatingFileSink {
    /// A builder for the file `<dir>/<stem>_<YYYY-MM-DD>.log`, with the defaults: directory
    /// `logs`, `max_bytes` 1 MiB, 5 backups, a new file each local day, no retention limit, no
    /// compression,
    /// [`FlushPolicy::EveryRecord`], every level, the local-time millisecond formatter, and on
    /// unix files created `0o640` and directories `0o750` (before the umask).
    pub fn builder(stem: impl Into<String>) -> RotatingFileSinkBuilder {
        RotatingFileSinkBuilder::new(stem)
    }

    /// A sink with every default (`logs/<stem>_<date>.log`, 1 MiB, 5 backups).
    ///
    /// # Errors
    /// As [`RotatingFileSinkBuilder::build`].
    pub fn new(stem: impl Into<String>) -> Result<RotatingFileSink, Error> {
        RotatingFileSink::builder(stem).build()
    }

    /// The file written now (its date, or hour, follows the [`Rotation`]).
    pub fn path(&self) -> PathBuf {
        self.writer.current_path()
    }

    /// Sets the sink's own level; records below it are skipped by this sink only.
    pub fn set_level(&self, level: LevelFilter) {
        self.level.set(level);
    }
}

impl fmt::Debug for RotatingFileSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFileSink")
            .field("id", self.writer.id())
            .field("level", &self.level.get())
            .finish_non_exhaustive()
    }
}

impl Sink for RotatingFileSink {
    fn id(&self) -> SinkId {
        self.writer.id().clone()
    }

    fn level(&self) -> LevelFilter {
        self.level.get()
    }

    /// Formats outside the writer's lock, then writes (or buffers) the line under it.
    ///
    /// # Errors
    /// A formatting failure (nothing is written), a failed write or reopen (the record is
    /// lost), or a failure that did not stop this record: a roll-over that could not rename,
    /// a file found deleted, a failed background flush.
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let mut line = LineBuffer::take();
        self.formatter.format(record, &mut line)?;
        self.writer.write(&line, record.unix_time())
    }

    /// Writes buffered records to the file.
    ///
    /// # Errors
    /// A failed write, or an earlier failure of the background flusher.
    fn flush(&self) -> Result<(), Error> {
        self.writer.flush()
    }

    /// Flushes and stops the background flusher (a later buffered record restarts it).
    ///
    /// # Errors
    /// As [`flush`](Sink::flush).
    fn shutdown(&self) -> Result<(), Error> {
        self.writer.shutdown()
    }
}
