//! Options of a rotating file sink, with the defaults of DESIGN.md.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use logtree_core::{AtomicLevelFilter, Error, Formatter, LevelFilter};
use logtree_formatters::MillisecondFormatter;

use super::clock::{Clock, SystemClock};
use super::flush::FlushPolicy;
use super::naming::validate_stem;
use super::registry;
use super::roller::Roller;
use super::trigger::Trigger;
use super::writer::Settings;
use super::RotatingFileSink;

/// The default directory, `logs` (relative to the working directory).
pub const DEFAULT_DIR: &str = "logs";
/// The default size limit, 1 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;
/// The default number of backups, 5.
pub const DEFAULT_BACKUP_COUNT: u32 = 5;

/// Builds a [`RotatingFileSink`]; see [`RotatingFileSink::builder`] for the defaults.
#[must_use]
pub struct RotatingFileSinkBuilder {
    stem: String,
    dir: PathBuf,
    max_bytes: u64,
    backup_count: u32,
    at_midnight: bool,
    policy: FlushPolicy,
    level: LevelFilter,
    formatter: Option<Box<dyn Formatter>>,
    clock: Arc<dyn Clock>,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl RotatingFileSinkBuilder {
    pub(crate) fn new(stem: impl Into<String>) -> RotatingFileSinkBuilder {
        RotatingFileSinkBuilder {
            stem: stem.into(),
            dir: PathBuf::from(DEFAULT_DIR),
            max_bytes: DEFAULT_MAX_BYTES,
            backup_count: DEFAULT_BACKUP_COUNT,
            at_midnight: false,
            policy: FlushPolicy::EveryRecord,
            level: LevelFilter::Trace,
            formatter: None,
            clock: Arc::new(SystemClock),
            #[cfg(unix)]
            mode: None,
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

    /// How many backups (`.1` … `.N`) to keep, 5 by default; `0` keeps none: a roll-over
    /// removes the file and starts a new one.
    pub fn backup_count(mut self, backup_count: u32) -> RotatingFileSinkBuilder {
        self.backup_count = backup_count;
        self
    }

    /// Also starts a new file, named with the new date, when local midnight passes (off by
    /// default: the file keeps the date of setup). The old date's file and backups keep their
    /// names; `backup_count` applies to each date's file.
    pub fn roll_at_midnight(mut self, at_midnight: bool) -> RotatingFileSinkBuilder {
        self.at_midnight = at_midnight;
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

    /// The permissions of the files the sink creates (log files often hold what others must
    /// not read: `0o640`, `0o600`), before the process's umask. By default `0o666` before the
    /// umask, as `std::fs::File::create`. Files that exist keep theirs.
    #[cfg(unix)]
    pub fn mode(mut self, mode: u32) -> RotatingFileSinkBuilder {
        self.mode = Some(mode);
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
    ///   `max_bytes`, `backup_count`, `roll_at_midnight`, flush policy or mode;
    /// - [`Error::CreateDir`] when the directory cannot be created or is a file;
    /// - [`Error::OpenFile`] when the directory is not writable or the file cannot be opened.
    pub fn build(self) -> Result<RotatingFileSink, Error> {
        validate_stem(&self.stem)?;
        self.policy.validate()?;
        let settings = Settings {
            trigger: Trigger {
                max_bytes: self.max_bytes,
                at_midnight: self.at_midnight,
            },
            roller: Roller {
                backup_count: self.backup_count,
            },
            policy: self.policy,
            clock: self.clock,
            #[cfg(unix)]
            mode: self.mode,
        };
        let writer = registry::writer(&self.dir, &self.stem, settings)?;
        Ok(RotatingFileSink {
            writer,
            level: AtomicLevelFilter::new(self.level),
            formatter: self
                .formatter
                .unwrap_or_else(|| Box::new(MillisecondFormatter::new())),
        })
    }
}

impl fmt::Debug for RotatingFileSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFileSinkBuilder")
            .field("stem", &self.stem)
            .field("dir", &self.dir)
            .field("max_bytes", &self.max_bytes)
            .field("backup_count", &self.backup_count)
            .field("roll_at_midnight", &self.at_midnight)
            .field("flush_policy", &self.policy)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}
