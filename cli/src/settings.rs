//! From the command line and the configuration file to the sink and the way lines are
//! written: the command line wins over the file, the file over the tool's defaults.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use logtree::config::{Config, FormatSpec};
use logtree::sinks::{
    Compression, FlushPolicy, RotatingFileSink, RotatingFileSinkBuilder, Rotation, DEFAULT_DIR,
    DEFAULT_MAX_BYTES,
};
use logtree::{Error, Formatter, Level, LevelFilter, Sink};

use crate::args::{Args, Compress, Flush, Rotate};

/// The file stem when neither the command line nor the file sets one: `logs/log_<date>.log`.
pub const DEFAULT_STEM: &str = "log";

/// The line layout when none is set: the millisecond time, a space, the line.
pub const DEFAULT_FORMAT: &str = "{time} {message}";

/// Why the tool cannot start, and its exit status: 2 for a bad option or configuration, 1 for
/// a failure of the system (a directory that cannot be created, say).
#[derive(Debug)]
pub struct Failure {
    /// The process's exit status.
    pub code: u8,
    /// One line naming the option, key or path and the reason.
    pub message: String,
}

impl Failure {
    /// A bad option or configuration: exit status 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: one_line(&message.into()),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        let code = match err {
            Error::InvalidOption { .. }
            | Error::InvalidConfig { .. }
            | Error::InvalidLevel { .. }
            | Error::InvalidName { .. } => 2,
            _ => 1,
        };
        Failure {
            code,
            message: one_line(&err.to_string()),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// How each line is written.
pub enum Layout {
    /// Exactly as read.
    Raw,
    /// As a record of `level`, under the stem as logger name (`{logger}`). `enabled` is false
    /// when the configuration's `level` is above `level`: lines are then read (and teed) but
    /// not written.
    Formatted {
        /// The layout of `--format` or the configuration file.
        formatter: Box<dyn Formatter>,
        /// The level of every line.
        level: Level,
        /// Whether lines reach the file at all.
        enabled: bool,
    },
}

/// Everything the tool needs to run, resolved and checked.
pub struct Plan {
    /// The file sink, built and open.
    pub sink: RotatingFileSink,
    /// The logger name of the records: the stem.
    pub logger: String,
    /// Raw or formatted lines.
    pub layout: Layout,
    /// The most bytes of lines read together that are written with one write (see
    /// [`group_limit`]).
    pub group_limit: usize,
    /// The daemons of the configuration's `[syslog]` and `[journald]` tables: each line is
    /// also sent there, as a record of its own.
    pub daemons: Vec<Arc<dyn Sink>>,
}

impl Plan {
    /// Resolves the options over the configuration file (if any), checks them and opens the
    /// file.
    ///
    /// # Errors
    /// A [`Failure`] naming the option or key: exit status 2 for what is wrong with the
    /// options or the file (an option not supported yet included), 1 for the system's.
    pub fn new(args: &Args) -> Result<Plan, Failure> {
        let config = resolve(args)?;
        let stem = config
            .file_stem
            .clone()
            .unwrap_or_else(|| DEFAULT_STEM.to_owned());
        let mut builder = RotatingFileSink::builder(stem.clone())
            .dir(
                config
                    .dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)),
            )
            .flush_policy(flush_policy(args, &config)?);
        let max_bytes = config.max_size.unwrap_or(DEFAULT_MAX_BYTES);
        builder = builder.max_bytes(max_bytes);
        if let Some(backups) = config.backup_count {
            builder = builder.backup_count(backups);
        }
        builder = rolling(builder, args, &config);
        let layout = if args.raw {
            Layout::Raw
        } else {
            let level = args.level.unwrap_or(Level::Info);
            let threshold = config.level.unwrap_or(LevelFilter::Trace);
            Layout::Formatted {
                formatter: config.file_formatter()?,
                level,
                enabled: threshold.allows(level),
            }
        };
        Ok(Plan {
            daemons: config.daemon_sinks()?,
            sink: builder.build()?,
            logger: stem,
            layout,
            group_limit: group_limit(max_bytes),
        })
    }
}

/// The tool's defaults, under the configuration file, under the command line.
fn resolve(args: &Args) -> Result<Config, Failure> {
    let mut config = Config {
        format: Some(FormatSpec::Pattern(DEFAULT_FORMAT.to_owned())),
        ..Config::default()
    };
    if let Some(path) = &args.config {
        let file = Config::from_file(path).map_err(|err| match err {
            Error::ReadConfig { path, source } => Failure::usage(format!(
                "--config: cannot read the configuration file {path:?}: {source}"
            )),
            other => Failure::from(other),
        })?;
        config.merge(file);
    }
    config.merge(Config {
        dir: args.dir.clone(),
        file_stem: args.stem.clone(),
        max_size: args.max_size,
        backup_count: args.backups,
        // The file's own layout wins over `format` whichever layer sets it: the command
        // line's goes there so that it wins over the file's.
        file_format: args.format.clone(),
        ..Config::default()
    });
    Ok(config)
}

/// The most bytes of whole lines, read together, that go to the file in one write: 64 KiB,
/// or a sixteenth of `max_bytes` when that is less. One write per group instead of per line
/// is what makes the tool as fast as the tools that buffer; the group is what the file's
/// size limit sees, so a file rolls over before a group that would not fit, and ends up at
/// most this much short of `max_bytes` (never past it, unless a single line is longer).
pub fn group_limit(max_bytes: u64) -> usize {
    const MOST: u64 = 64 * 1024;
    let limit = match max_bytes {
        0 => MOST,
        max => (max / 16).min(MOST),
    };
    usize::try_from(limit).unwrap_or(usize::MAX)
}

fn flush_policy(args: &Args, config: &Config) -> Result<FlushPolicy, Failure> {
    let mut policy = match args.flush {
        None => config.flush.unwrap_or_default(),
        Some(Flush::EveryRecord) => FlushPolicy::EveryRecord,
        Some(Flush::Buffered) => FlushPolicy::buffered(),
        Some(Flush::Background) => FlushPolicy::background(),
    };
    if let (FlushPolicy::Buffered { interval, .. }, Some(wanted)) =
        (&mut policy, config.flush_interval)
    {
        *interval = wanted;
    }
    if let (FlushPolicy::Background { overflow, .. }, Some(wanted)) = (&mut policy, config.overflow)
    {
        *overflow = wanted;
    }
    Ok(policy)
}

/// Time rotation, retention and compression: the command line's, else the configuration
/// file's, else the library's defaults (daily, no retention, no compression).
fn rolling(
    mut builder: RotatingFileSinkBuilder,
    args: &Args,
    config: &Config,
) -> RotatingFileSinkBuilder {
    let rotation = match args.rotate {
        Some(Rotate::Daily) => Some(Rotation::Daily),
        Some(Rotate::Hourly) => Some(Rotation::Hourly),
        Some(Rotate::Never) => Some(Rotation::Never),
        None => config.rotate,
    };
    if let Some(rotation) = rotation {
        builder = builder.rotate(rotation);
    }
    let compression = match args.compress {
        Some(Compress::None) => Some(Compression::None),
        Some(Compress::Gzip) => Some(Compression::Gzip),
        Some(Compress::Zstd) => Some(Compression::Zstd),
        None => config.compress,
    };
    if let Some(compression) = compression {
        builder = builder.compress(compression);
    }
    if let Some(age) = args.max_age.or(config.max_age) {
        builder = builder.max_age(age);
    }
    if let Some(bytes) = args.max_total_size.or(config.max_total_size) {
        builder = builder.max_total_size(bytes);
    }
    if let Some(files) = args.max_files.or(config.max_files) {
        builder = builder.max_files(files);
    }
    if let Some(utc) = config.utc {
        builder = builder.utc(utc);
    }
    builder
}

/// Joins a message's lines (a parser's, say) so that an error stays one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
