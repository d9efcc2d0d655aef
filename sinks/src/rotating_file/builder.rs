//! Options of a rotating file sink and their defaults (the README's configuration table).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use logtree_core::{Error, Formatter, LevelFilter};
use logtree_formatters::MillisecondFormatter;

use super::clock::{Clock, SystemClock};
use super::create::Modes;
use super::flush::FlushPolicy;
use super::naming::validate_stem;
use super::policy::{Compression, Policies, Rotation};
use super::registry;
use super::trigger::Trigger;
use super::writer::Settings;
use super::RotatingFileSink;

/// The default directory, `logs` (relative to the working directory).
pub const DEFAULT_DIR: &str = "logs";
/// The default size limit, 1 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;
/// The default number of backups, 5.
pub const DEFAULT_BACKUP_COUNT: u32 = 5;
/// The default permissions of the log files the sink creates, `0o640` before the umask: the
/// owner reads and writes, the group (of log readers) reads, others nothing, since logs often
/// hold what others must not read.
#[cfg(unix)]
pub const DEFAULT_FILE_MODE: u32 = 0o640;
/// The default permissions of the directories the sink creates, `0o750` before the umask:
/// what [`DEFAULT_FILE_MODE`] gives a file, plus the search bit for whoever may read.
#[cfg(unix)]
pub const DEFAULT_DIR_MODE: u32 = 0o750;

/// Builds a [`RotatingFileSink`]; see [`RotatingFileSink::builder`] for the defaults.
#[must_use]
pub struct RotatingFileSinkBuilder {
    stem: String,
    dir: PathBuf,
    max_bytes: u64,
    backup_count: u32,
    policies: Policies,
    policy: FlushPolicy,
    level: LevelFilter,
    formatter: Option<Box<dyn Formatter>>,
    clock: Arc<dyn Clock>,
    modes: Modes,
    multi_process: bool,
}

impl RotatingFileSinkBuilder {
    pub(crate) fn new(stem: impl Into<String>) -> RotatingFileSinkBuilder {
        RotatingFileSinkBuilder {
            stem: stem.into(),
            dir: PathBuf::from(DEFAULT_DIR),
            max_bytes: DEFAULT_MAX_BYTES,
            backup_count: DEFAULT_BACKUP_COUNT,
            policies: Policies::default(),
            policy: FlushPolicy::EveryRecord,
            level: LevelFilter::Trace,
            formatter: None,
            clock: Arc::new(SystemClock),
            modes: Modes {
                #[cfg(unix)]
                file: DEFAULT_FILE_MODE,
                #[cfg(unix)]
                dir: DEFAULT_DIR_MODE,
            },
            multi_process: false,
        }
    }

    /// The directory of the files (created when missing); `logs` by default. An empty path
    /// means the working directory.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> RotatingFileSinkBuilder {
        self.dir = dir.into();
        if self.dir.as_os_str().is_empty() {
            self.dir = PathBuf::from(".");
        }
        self
    }

    /// The size past which the file is rolled over, 1 MiB by default; `0` never rolls over for
    /// size.
    pub fn max_bytes(mut self, max_bytes: u64) -> RotatingFileSinkBuilder {
        self.max_bytes = max_bytes;
        self
    }

    /// How many backups (`.1` … `.N`) to keep, 5 by default; `0` never rolls over for size
    /// (Python's rule: a roll-over with no backup to keep could only discard the file).
    pub fn backup_count(mut self, backup_count: u32) -> RotatingFileSinkBuilder {
        self.backup_count = backup_count;
        self
    }

    /// Starts a new file each day, each hour, or never ([`Rotation::Daily`] by default), as
    /// well as when the size limit is reached: whichever comes first. The period's date (and
    /// hour) is in the name, `App_2025-06-28.log` or `App_2025-06-28T14.log`; a past period's
    /// file and backups keep their names, and `backup_count` applies to each period's.
    /// [`Rotation::Never`] keeps the date of setup in the name.
    pub fn rotate(mut self, rotation: Rotation) -> RotatingFileSinkBuilder {
        self.policies.schedule.rotation = rotation;
        self
    }

    /// Periods (and the date in the name) follow UTC instead of local time (false by
    /// default).
    pub fn utc(mut self, utc: bool) -> RotatingFileSinkBuilder {
        self.policies.schedule.utc = utc;
        self
    }

    /// [`rotate`](Self::rotate)`(Rotation::Daily)` for true, `(Rotation::Never)` for false.
    #[deprecated(note = "use `rotate(Rotation::Daily)` or `rotate(Rotation::Never)`")]
    pub fn roll_at_midnight(self, at_midnight: bool) -> RotatingFileSinkBuilder {
        self.rotate(if at_midnight {
            Rotation::Daily
        } else {
            Rotation::Never
        })
    }

    /// Keeps at most `max_files` files of the stem, across periods and restarts: the current
    /// file, backups and past periods' files, plain or compressed. The oldest go first; the
    /// current file counts but is never deleted. `0` (the default): no limit.
    pub fn max_files(mut self, max_files: u32) -> RotatingFileSinkBuilder {
        self.policies.retention.max_files = max_files;
        self
    }

    /// Deletes the stem's files older than `max_age`: those whose last write and whose
    /// period's end are both further back (so a file that never rotates is judged by its last
    /// record). Zero (the default): no limit.
    pub fn max_age(mut self, max_age: Duration) -> RotatingFileSinkBuilder {
        self.policies.retention.max_age = max_age;
        self
    }

    /// Keeps the stem's files within `max_total_size` bytes together (logback's
    /// `totalSizeCap`; compressed files by their compressed size), deleting the oldest first.
    /// The current file counts but is never deleted. `0` (the default): no limit.
    pub fn max_total_size(mut self, max_total_size: u64) -> RotatingFileSinkBuilder {
        self.policies.retention.max_total_size = max_total_size;
        self
    }

    /// Compresses backups (and past periods' files) on the writer's background thread, never
    /// in a log call; [`Compression::None`] by default.
    pub fn compress(mut self, compression: Compression) -> RotatingFileSinkBuilder {
        self.policies.compression = compression;
        self
    }

    /// When records reach the operating system; [`FlushPolicy::EveryRecord`] by default.
    pub fn flush_policy(mut self, policy: FlushPolicy) -> RotatingFileSinkBuilder {
        self.policy = policy;
        self
    }

    /// The sink's own level; everything passes by default.
    pub fn level(mut self, level: LevelFilter) -> RotatingFileSinkBuilder {
        self.level = level;
        self
    }

    /// Formats lines with `formatter` instead of the local-time [`MillisecondFormatter`].
    pub fn formatter(self, formatter: impl Formatter + 'static) -> RotatingFileSinkBuilder {
        self.boxed_formatter(Box::new(formatter))
    }

    /// Formats lines with a formatter that is already boxed.
    pub fn boxed_formatter(mut self, formatter: Box<dyn Formatter>) -> RotatingFileSinkBuilder {
        self.formatter = Some(formatter);
        self
    }

    /// The permissions of the log files the sink creates, before the process's umask:
    /// [`DEFAULT_FILE_MODE`] (`0o640`) by default; `0o600` keeps the group out too. Files that
    /// exist keep theirs.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::unix::fs::PermissionsExt;
    /// use logtree_sinks::RotatingFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = RotatingFileSink::builder("Private").dir(dir.path()).mode(0o600).build()?;
    /// let mode = std::fs::metadata(sink.path())?.permissions().mode();
    /// assert_eq!(mode & 0o077, 0, "no one but the owner");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(unix)]
    pub fn mode(mut self, mode: u32) -> RotatingFileSinkBuilder {
        self.modes.file = mode;
        self
    }

    /// The permissions of the directories the sink creates (the log directory and each
    /// missing parent), before the process's umask: [`DEFAULT_DIR_MODE`] (`0o750`) by
    /// default. Directories that exist keep theirs.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::unix::fs::PermissionsExt;
    /// use logtree_sinks::RotatingFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let logs = dir.path().join("private/logs");
    /// RotatingFileSink::builder("App").dir(&logs).dir_mode(0o700).build()?;
    /// let mode = std::fs::metadata(&logs)?.permissions().mode();
    /// assert_eq!(mode & 0o077, 0, "no one but the owner");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(unix)]
    pub fn dir_mode(mut self, mode: u32) -> RotatingFileSinkBuilder {
        self.modes.dir = mode;
        self
    }

    /// Whether other processes write this stem too (off by default). Roll-overs always take
    /// a cross-process lock (`flock` on the log directory; no lock file), so processes never
    /// roll over each other's files; the size limit needs more. With this on, every write (a
    /// record, or a batch when buffered) is made under that lock, with the size read from
    /// the file, so no file passes `max_bytes` by more than one record from the first record
    /// on; it costs about four system calls per write instead of one (`flock` twice, a
    /// `stat`, the `write`), and the threads of a process write one at a time. Off, a process
    /// finds other writers at its once-a-second check or its next roll-over (its file grew
    /// more than it wrote) and switches to that mode then; until then a file may pass
    /// `max_bytes`, but no record is lost or written twice.
    ///
    /// ```
    /// use logtree_sinks::RotatingFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// // One of several worker processes sharing `Worker_<date>.log`.
    /// let sink = RotatingFileSink::builder("Worker").dir(dir.path()).multi_process(true).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn multi_process(mut self, multi_process: bool) -> RotatingFileSinkBuilder {
        self.multi_process = multi_process;
        self
    }

    /// Reads the time from `clock` instead of the system clock. Meant for tests that cross
    /// midnight; see [`Clock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> RotatingFileSinkBuilder {
        self.clock = Arc::new(clock);
        self
    }

    /// Creates the directory, opens (or creates) `<dir>/<stem>_<YYYY-MM-DD>.log` for
    /// appending, or joins the writer of a sink already open on that file in this process.
    ///
    /// # Errors
    /// - [`Error::InvalidOption`] when the stem is empty or contains a path separator or `..`,
    ///   when a buffered policy has a zero capacity or interval (or a capacity that cannot be
    ///   allocated), or when another sink of this process has the file open with a different
    ///   `max_bytes`, `backup_count`, `rotate`, `utc`, `max_files`, `max_age`,
    ///   `max_total_size`, `compress`, flush policy, `mode` or `dir_mode`;
    /// - [`Error::CreateDir`] when the directory cannot be created or is a file;
    /// - [`Error::OpenFile`] when the directory is not writable or the file cannot be opened,
    ///   a symbolic link at the file's name included (unix: refused, never followed).
    pub fn build(self) -> Result<RotatingFileSink, Error> {
        validate_stem(&self.stem)?;
        self.policy.validate()?;
        let settings = Settings {
            trigger: Trigger {
                // Python's rule: with no backup to keep, rolling over would discard the file.
                max_bytes: if self.backup_count == 0 {
                    0
                } else {
                    self.max_bytes
                },
            },
            backup_count: self.backup_count,
            policy: self.policy,
            clock: self.clock,
            modes: self.modes,
            multi_process: self.multi_process,
            policies: self.policies,
        };
        let writer = registry::writer(&self.dir, &self.stem, settings)?;
        Ok(RotatingFileSink::from_writer(
            writer,
            self.level,
            self.formatter
                .unwrap_or_else(|| Box::new(MillisecondFormatter::new())),
        ))
    }
}

impl fmt::Debug for RotatingFileSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RotatingFileSinkBuilder");
        debug
            .field("stem", &self.stem)
            .field("dir", &self.dir)
            .field("max_bytes", &self.max_bytes)
            .field("backup_count", &self.backup_count)
            .field("rotate", &self.policies.schedule.rotation)
            .field("utc", &self.policies.schedule.utc)
            .field("max_files", &self.policies.retention.max_files)
            .field("max_age", &self.policies.retention.max_age)
            .field("max_total_size", &self.policies.retention.max_total_size)
            .field("compress", &self.policies.compression)
            .field("flush_policy", &self.policy)
            .field("level", &self.level)
            .field("multi_process", &self.multi_process);
        #[cfg(unix)]
        debug
            .field("mode", &format_args!("{:#o}", self.modes.file))
            .field("dir_mode", &format_args!("{:#o}", self.modes.dir));
        debug.finish_non_exhaustive()
    }
}
