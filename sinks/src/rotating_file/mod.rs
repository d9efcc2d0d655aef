//! The rotating file sink: `<dir>/<stem>_<YYYY-MM-DD>.log`, rolled over by size (and
//! by time (daily by default, hourly) into numbered backups; retention and compression of the
//! files of past periods.

mod builder;
mod clock;
mod create;
mod current;
mod dir;
mod flush;
mod fork;
mod lock;
mod naming;
mod policy;
mod registry;
#[cfg(test)]
mod tests;
mod trigger;
mod writer;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use logtree_core::{
    AtomicLevelFilter, Error, Formatter, LevelFilter, Record, Sink, SinkId, UnixTime,
};

pub use builder::{RotatingFileSinkBuilder, DEFAULT_BACKUP_COUNT, DEFAULT_DIR, DEFAULT_MAX_BYTES};
#[cfg(unix)]
pub use builder::{DEFAULT_DIR_MODE, DEFAULT_FILE_MODE};
pub use clock::{Clock, SystemClock};
pub use flush::{FlushPolicy, Overflow};
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
/// Semantics (the README's semantics table; how: `ARCHITECTURE.md`, "The rotating-file
/// writer"):
/// - Before writing a record that would take the file past `max_bytes`, the sink rolls over,
///   unless the file is empty: a record is never split, so only a single record larger than
///   `max_bytes` makes a file exceed it. `max_bytes = 0` never rolls over.
/// - A roll-over renames (never copies and truncates): in the caller, the file is renamed to
///   a staged name (`….log.roll-N`) and a new file is created; on the writer's archive thread,
///   `.N` is removed, `.1` … shift up and the staged file becomes `.1`. Backups numbered
///   above `backup_count` (left by an earlier run with more) are removed, so at most
///   `backup_count + 1` files per stem and period exist once that thread is done (`flush`
///   waits for it). `backup_count = 0`, like `max_bytes = 0`, never rolls over
///   (Python's rule: no setting discards records the user did not ask to discard).
/// - If a rename fails, the sink keeps appending to the current file and returns the error
///   (the tree reports it); the next record that does not fit tries again.
/// - Missing directories are created; an existing file is appended to, and its size counts.
///   One that does not end with a newline (a crash tore its last record) gets one first
///   (counted), so the first record starts on a line of its own.
/// - The directory is held open from setup on (unix): its files are created, opened and
///   checked relative to it (`openat`), so a directory moved away keeps getting the records
///   (there) and one put in its place, a symbolic link to elsewhere included, never gets one.
///   Only a directory that was deleted is created again at its path, never through a
///   symbolic link. Roll-overs still rename by path: while the directory is not at its path
///   they fail (reported) and the file grows past `max_bytes`.
/// - On unix, the files it creates get [`DEFAULT_FILE_MODE`] (`0o640`) and the directories
///   [`DEFAULT_DIR_MODE`] (`0o750`), before the umask, unless set with
///   [`mode`](RotatingFileSinkBuilder::mode) and [`dir_mode`](RotatingFileSinkBuilder::dir_mode);
///   files and directories that exist keep their permissions.
/// - On unix it never writes through a symbolic link at the file's name (one planted by
///   whoever may write the directory could lead to any file the process may write): opening
///   it fails with [`Error::OpenFile`]. Roll-overs rename and remove links at backup names as
///   links, never touching their targets.
/// - The byte count is kept in the sink: no file system call per record, beyond the write.
///   It is re-synced from the file at the once-a-second check and at each roll-over, so a
///   file truncated by another program (logrotate's `copytruncate`) fills up again.
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
/// - a failed write (disk full, say) cuts the file back to its last whole line (where the
///   write started is read from the file, never taken from the count: a file truncated under
///   the sink is never extended) and closes it;
///   each later record tries once to reopen the file, recreating the directory, until that
///   works again;
/// - at most once a second (paced by the records' timestamps) the sink checks that its file
///   is still at its path, and recreates file and directory if they were deleted or moved.
///   The lines a deleted file got since the last check are read back from it (the sink still
///   has it open) and written first to the new file, so none is lost; lines written in that
///   second before the deletion come back with them. A file moved away keeps its lines;
/// - errors of the background flusher are returned by the next `log` or `flush`.
///
/// After `fork`, the child inherits nothing pending: the records the parent had buffered are
/// the parent's to write, and the child's first use of the sink opens the file afresh for
/// itself (an empty buffer, a flusher of its own). Each record is written once, by the process
/// that logged it, and the child never waits for a lock a thread of the parent held.
///
/// Two sinks of one process on the same file share one writer (and must agree on its
/// options); their identity ([`Sink::id`]) is the canonical path of the file at setup, so a
/// logger never gets both. Each keeps its own formatter and level.
///
/// Processes: several may append to one stem. A roll-over always takes a cross-process lock
/// (`flock` on the log directory) and first re-checks which file is at the path: if another
/// process rolled over already, the sink opens the new file and rolls only if that one is
/// too full, so no process renames another's records away. With
/// [`multi_process(true)`](RotatingFileSinkBuilder::multi_process) every write is also made
/// under the lock with the size read from the file (about four system calls a write instead
/// of one, and a process's threads write one at a time), so no file passes `max_bytes` by
/// more than one record. Without it a process finds the others at its once-a-second check or
/// its next roll-over (its file grew more than it wrote) and switches to that mode then;
/// until then a file may pass `max_bytes`, but no record is lost or written twice.
///
/// logrotate: with its default `create` (the file renamed, a new one made), the sink follows
/// the new file at its next check, or at once when a `postrotate` `SIGHUP` handler calls
/// [`reopen`](RotatingFileSink::reopen); with `copytruncate` it keeps appending to the
/// truncated file (nothing written twice, no NUL bytes), losing only what `copytruncate`
/// itself loses (the records written between its copy and its truncation).
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
    /// The writer of the process that built the sink. Neither used nor dropped in a forked
    /// child (see `fork.rs`): it holds the parent's pending records, and maybe locks that the
    /// parent's threads held.
    writer: Arc<Writer>,
    /// The fork generation `writer` belongs to.
    born: u64,
    /// In a forked child, the child's own writer of the same file, made at its first use.
    child: ArcSwapOption<ChildWriter>,
    level: AtomicLevelFilter,
    formatter: Box<dyn Formatter>,
}

/// The writer a record goes to: borrowed (no reference count touched per record), or in a
/// forked child, the child's own.
enum WriterRef<'a> {
    Born(&'a Writer),
    Child(Arc<Writer>),
}

impl std::ops::Deref for WriterRef<'_> {
    type Target = Writer;

    #[inline]
    fn deref(&self) -> &Writer {
        match self {
            WriterRef::Born(writer) => writer,
            WriterRef::Child(writer) => writer,
        }
    }
}

/// A writer of a forked child, and the generation it belongs to (a grandchild makes its own).
struct ChildWriter {
    generation: u64,
    writer: Arc<Writer>,
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
        match self.writer() {
            Ok(writer) => writer.current_path(),
            // A forked child that cannot open the file: where it was at setup.
            Err(_) => PathBuf::from(self.writer.id().as_str()),
        }
    }

    pub(crate) fn from_writer(
        writer: Arc<Writer>,
        level: LevelFilter,
        formatter: Box<dyn Formatter>,
    ) -> RotatingFileSink {
        fork::watch();
        RotatingFileSink {
            writer,
            born: fork::generation(),
            child: ArcSwapOption::empty(),
            level: AtomicLevelFilter::new(level),
            formatter,
        }
    }

    /// The writer of this process: the sink's own, or in a forked child one made for the
    /// child (the same file, opened again, nothing pending).
    #[inline]
    fn writer(&self) -> Result<WriterRef<'_>, Error> {
        let generation = fork::generation();
        if generation == self.born {
            return Ok(WriterRef::Born(&self.writer));
        }
        self.child_writer(generation).map(WriterRef::Child)
    }

    #[cold]
    fn child_writer(&self, generation: u64) -> Result<Arc<Writer>, Error> {
        if let Some(child) = &*self.child.load() {
            if child.generation == generation {
                return Ok(Arc::clone(&child.writer));
            }
        }
        let writer = self.writer.reborn()?;
        self.child.store(Some(Arc::new(ChildWriter {
            generation,
            writer: Arc::clone(&writer),
        })));
        Ok(writer)
    }

    /// Writes `line`, already formatted (its newline included), as one record stamped `at`:
    /// the way [`Sink::log`] writes a formatted record, with the same roll-over (a line is
    /// never split), flush policy and failure handling, but no formatter and no level. For
    /// lines that must reach the file exactly as they are, such as a tool copying another
    /// program's output. Several lines passed at once are one record: one write, never split
    /// by a roll-over.
    ///
    /// # Errors
    /// As [`Sink::log`], except that no formatting can fail.
    ///
    /// ```
    /// use logtree_core::UnixTime;
    /// use logtree_sinks::RotatingFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = RotatingFileSink::builder("Raw").dir(dir.path()).build()?;
    /// sink.write_line(b"exactly this, \xff and all\n", UnixTime::now())?;
    /// assert_eq!(std::fs::read(sink.path())?, b"exactly this, \xff and all\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_line(&self, line: &[u8], at: UnixTime) -> Result<(), Error> {
        self.writer()?.write(line, at)
    }

    /// Writes what is buffered, closes the file and opens whatever is at its path now: for a
    /// `SIGHUP` handler (logrotate's `postrotate`) after an external rotation moved the file
    /// away, a new one is created there and the next records go to it (without it, the sink
    /// finds the new file at its once-a-second check). The moved file keeps everything
    /// written before.
    ///
    /// # Errors
    /// A failed write of the buffered records (they are kept and written later), or a failed
    /// open (the next record tries again).
    ///
    /// ```
    /// use logtree_core::UnixTime;
    /// use logtree_sinks::RotatingFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = RotatingFileSink::builder("App").dir(dir.path()).build()?;
    /// sink.write_line(b"before\n", UnixTime::now())?;
    /// let moved = dir.path().join("moved.log");
    /// std::fs::rename(sink.path(), &moved)?;
    /// sink.reopen()?;
    /// sink.write_line(b"after\n", UnixTime::now())?;
    /// assert_eq!(std::fs::read(&moved)?, b"before\n");
    /// assert_eq!(std::fs::read(sink.path())?, b"after\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopen(&self) -> Result<(), Error> {
        self.writer()?.reopen()
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
        self.writer()?.write(&line, record.unix_time())
    }

    /// Writes buffered records to the file.
    ///
    /// # Errors
    /// A failed write, or an earlier failure of the background flusher.
    fn flush(&self) -> Result<(), Error> {
        self.writer()?.flush()
    }

    /// Flushes and stops the background flusher (a later buffered record restarts it).
    ///
    /// # Errors
    /// As [`flush`](Sink::flush).
    fn shutdown(&self) -> Result<(), Error> {
        self.writer()?.shutdown()
    }
}

impl Drop for RotatingFileSink {
    fn drop(&mut self) {
        if fork::generation() != self.born {
            // The parent's writer must not be dropped here: its drop writes what it buffered
            // (the parent's records) and takes its locks. One more reference keeps it, unused.
            std::mem::forget(Arc::clone(&self.writer));
        }
    }
}
