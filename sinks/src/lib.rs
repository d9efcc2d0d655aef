//! Sinks for logtree: the console, and a size-rotating dated file that never loses or
//! duplicates a line.
//!
//! - [`ConsoleSink`]: standard output (or standard error), one whole line per write under the
//!   stream's lock, coloured by level on a terminal unless `NO_COLOR` is set.
//! - [`RotatingFileSink`]: `<dir>/<stem>_<YYYY-MM-DD>.log`, rolled over by size (1 MiB by
//!   default) into `.1` … `.5` backups and at local midnight (or each hour, or never), with
//!   retention by count, age and total size and gzip or zstd backups; every record written
//!   before the log call returns, or buffered ([`FlushPolicy`]).
//!
//! Buffered records and the end of the process: with the process-wide tree
//! ([`LoggerTree::setup`](logtree_core::LoggerTree::setup)), logtree-core writes them on a
//! panic, a return from `main` and `std::process::exit`; only `kill -9` (and an abort) lose
//! up to the policy's `interval` of records. A `RotatingFileSink` in a tree of your own is
//! written on the tree's `flush()`, `shutdown()` and drop.
//!
//! On unix the files a `RotatingFileSink` creates are `0o640` and the directories it creates
//! `0o750` before the umask ([`DEFAULT_FILE_MODE`], [`DEFAULT_DIR_MODE`]): the owner writes,
//! the group reads, others see nothing. Change them with
//! [`RotatingFileSinkBuilder::mode`] and [`RotatingFileSinkBuilder::dir_mode`]; files and
//! directories that exist keep their permissions.
//!
//! Both format with `logtree_formatters::MillisecondFormatter` unless given another formatter,
//! into a per-thread buffer outside their locks, and both have their own level.
//!
//! ```
//! use logtree_core::{LevelFilter, LoggerTree, SetupOptions, Sink};
//! use logtree_sinks::{ConsoleSink, FlushPolicy, RotatingFileSink};
//!
//! let dir = tempfile::tempdir()?;
//! let file = RotatingFileSink::builder("App")
//!     .dir(dir.path().join("logs"))
//!     .max_bytes(100)
//!     .backup_count(2)
//!     .flush_policy(FlushPolicy::buffered())
//!     .build()?;
//! let path = file.path();
//! let console = ConsoleSink::builder().stderr().level(LevelFilter::Error).build();
//!
//! let tree = LoggerTree::new();
//! let app = tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Info).sink(file).sink(console))?;
//! for i in 0..5 {
//!     app.info(format_args!("request {i} served"));
//! }
//! tree.flush()?;
//!
//! // Each line is about 60 bytes, so a file of at most 100 bytes holds one: the newest in the
//! // file, the two before in the backups, the oldest ones removed.
//! let file_name = path.file_name().unwrap().to_str().unwrap();
//! assert!(file_name.starts_with("App_") && file_name.ends_with(".log"));
//! assert!(std::fs::read_to_string(&path)?.ends_with(" - app - INFO - request 4 served\n"));
//! let backup = |n| path.with_file_name(format!("{file_name}.{n}"));
//! assert!(std::fs::read_to_string(backup(1))?.ends_with("request 3 served\n"));
//! assert!(std::fs::read_to_string(backup(2))?.ends_with("request 2 served\n"));
//! assert!(!backup(3).exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod console;
#[cfg(target_os = "linux")]
mod journald;
mod line_buffer;
mod rotating_file;
#[cfg(unix)]
mod syslog;

pub use console::{ColorMode, ConsoleSink, ConsoleSinkBuilder, ConsoleStream};
#[cfg(target_os = "linux")]
pub use journald::{JournaldSink, JournaldSinkBuilder, JOURNALD_SOCKET};
pub use rotating_file::validate_stem;
pub use rotating_file::{
    Clock, Compression, FlushPolicy, Overflow, RotatingFileSink, RotatingFileSinkBuilder, Rotation,
    SystemClock, DEFAULT_BACKUP_COUNT, DEFAULT_DIR, DEFAULT_MAX_BYTES,
};
#[cfg(unix)]
pub use rotating_file::{DEFAULT_DIR_MODE, DEFAULT_FILE_MODE};
#[cfg(unix)]
pub use syslog::{
    Facility, QueueLimits, SyslogAddress, SyslogFormat, SyslogSink, SyslogSinkBuilder,
    DEFAULT_ENTERPRISE_NUMBER, DEFAULT_MAX_MESSAGE_BYTES,
};
