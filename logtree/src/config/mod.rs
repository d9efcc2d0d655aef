//! Configuration without code changes: a TOML or JSON file and environment variables, layered
//! over what the code sets.

mod directives;
mod duration;
mod file;
mod size;
mod syslog;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use logtree_core::{Error, LevelFilter};
use logtree_formatters::{LevelNames, PatternFormatter};
use logtree_sinks::{ColorMode, Compression, ConsoleStream, FlushPolicy, Overflow, Rotation};

use directives::parse_directives;
pub use file::FILE_KEYS;
pub use file::MAX_CONFIG_BYTES;
pub use size::parse_size;
pub use syslog::{JournaldConfig, SyslogConfig};

/// The layout of lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatSpec {
    /// `2025-06-27 14:25:23.123 - app.utils.logger - INFO - message`.
    Millisecond,
    /// One JSON object per line.
    Json,
    /// A pattern of `logtree_formatters::PatternFormatter`, such as `{time} {level} {message}`.
    Pattern(String),
}

impl std::str::FromStr for FormatSpec {
    type Err = String;

    /// What the `format` key takes: `millisecond`, `json`, or a pattern with
    /// `{placeholders}` (checked here).
    ///
    /// # Errors
    /// The reason, when the text is none of them or the pattern is not valid.
    fn from_str(text: &str) -> Result<FormatSpec, String> {
        match text {
            "millisecond" => Ok(FormatSpec::Millisecond),
            "json" => Ok(FormatSpec::Json),
            pattern if pattern.contains('{') => PatternFormatter::new(pattern)
                .map(|_| FormatSpec::Pattern(pattern.to_owned()))
                .map_err(|err| err.to_string()),
            other => Err(format!(
                "{other:?} is neither \"millisecond\", \"json\" nor a pattern with {{placeholders}}"
            )),
        }
    }
}

/// One layer of settings: every field is optional, and a later layer's `Some` wins.
///
/// The layers, weakest first: what the code sets, the configuration file, the environment.
/// [`Config::merge`] lays one over another.
///
/// ```
/// use logtree::config::Config;
/// use logtree::LevelFilter;
///
/// let mut config = Config { max_size: Some(1 << 20), ..Config::default() };
/// let file = Config::from_toml_str("max_size = \"10 MiB\"\n[levels]\n\"app.db\" = \"debug\"\n", "logtree.toml")?;
/// config.merge(file);
/// assert_eq!(config.max_size, Some(10 << 20));
/// assert_eq!(config.levels["app.db"], LevelFilter::Debug);
/// # Ok::<(), logtree::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The level of the logger being set up (key `level`).
    pub level: Option<LevelFilter>,
    /// The root logger's level (key `root_level`; `Warn` unless set).
    pub root_level: Option<LevelFilter>,
    /// Levels of other loggers by dotted name (table `levels`).
    pub levels: BTreeMap<String, LevelFilter>,
    /// Directory of the log files (key `dir`; default `logs`).
    pub dir: Option<PathBuf>,
    /// File name stem: `<stem>_<YYYY-MM-DD>.log` (key `file_stem`; default `App`).
    pub file_stem: Option<String>,
    /// Size that triggers a roll-over, in bytes; 0 never rolls (key `max_size`; default 1 MiB).
    pub max_size: Option<u64>,
    /// Number of numbered backups kept (key `backup_count`; default 5).
    pub backup_count: Option<u32>,
    /// Flush policy of the file (key `flush`: `every-record`, `buffered` for
    /// [`FlushPolicy::buffered`], or `background` for [`FlushPolicy::background`]).
    pub flush: Option<FlushPolicy>,
    /// What a log call does when background writing falls behind and its buffer is full
    /// (key `overflow`: `block`, the default, or `drop`); only with `flush = "background"`.
    pub overflow: Option<Overflow>,
    /// Longest time a buffered record waits, replacing the interval of a buffered policy (key
    /// `flush_interval_ms`).
    pub flush_interval: Option<Duration>,
    /// Whether to write the rotating file at all (key `file`; default true).
    pub file: Option<bool>,
    /// Whether to write to the console (key `console`; default true).
    pub console: Option<bool>,
    /// The console's own level, below which it skips records the file still gets (key
    /// `console_level`).
    pub console_level: Option<LevelFilter>,
    /// Console stream (key `console_stream`: `stdout` or `stderr`).
    pub console_stream: Option<ConsoleStream>,
    /// Console colours (key `color`: `auto`, `always`, `never`).
    pub color: Option<ColorMode>,
    /// Line layout of every sink (key `format`: `millisecond`, `json`, or a pattern).
    pub format: Option<FormatSpec>,
    /// Line layout of the console, over `format` (key `console_format`, same values): JSON in
    /// the file and readable lines on the console, say. The sink's own key wins over `format`
    /// whichever layer each comes from.
    pub console_format: Option<FormatSpec>,
    /// Line layout of the rotating file, over `format` (key `file_format`, same values).
    pub file_format: Option<FormatSpec>,
    /// Timestamps, and the periods of the file's rotation, in UTC instead of local time (key
    /// `utc`; default false).
    pub utc: Option<bool>,
    /// How the millisecond line spells levels (key `level_names`: `rust`, the default, for
    /// `WARN`, or `python` for the seed's `WARNING`).
    pub level_names: Option<LevelNames>,
    /// Whether a record on a chain of loggers with no sink at all goes to stderr at `Warn` and
    /// above, as Python's `logging.lastResort` (key `last_resort`; default true).
    pub last_resort: Option<bool>,
    /// Whether a panic is logged at `Error` through the tree before the process goes on
    /// unwinding or aborting (key `log_panics`; default true).
    pub log_panics: Option<bool>,
    /// A regular expression that the message of every record written by the standard sinks
    /// must match: the `/regex` part of `RUST_LOG` or `LOGTREE_LEVEL`, as env_logger has it.
    pub message_filter: Option<String>,
    /// A sink to the syslog daemon (table `syslog`; none unless set).
    pub syslog: Option<SyslogConfig>,
    /// A sink to the systemd journal (table `journald`; none unless set).
    pub journald: Option<JournaldConfig>,
    /// When the file starts a new period (key `rotate`: `daily`, `hourly`, `never`; default
    /// daily).
    pub rotate: Option<Rotation>,
    /// At most this many files of the stem are kept, the current one included; 0 keeps all
    /// (key `max_files`).
    pub max_files: Option<u32>,
    /// Files older than this are deleted; zero keeps all (key `max_age`: `"30d"`, `"12h"`,
    /// `"90m"`, `"45s"`).
    pub max_age: Option<Duration>,
    /// The stem's files together take at most this many bytes, the oldest deleted first; 0
    /// sets no limit (key `max_total_size`: a number of bytes or `"1 GiB"`).
    pub max_total_size: Option<u64>,
    /// How backups are compressed (key `compress`: `none`, `gzip`, `zstd`; default none).
    pub compress: Option<Compression>,
}

impl Config {
    /// Lays `over` on top of `self`: each setting `over` has replaces this one's; levels are
    /// merged name by name.
    pub fn merge(&mut self, over: Config) {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if over.$field.is_some() {
                    self.$field = over.$field;
                }
            )*};
        }
        take!(
            level,
            root_level,
            dir,
            file_stem,
            max_size,
            backup_count,
            flush,
            flush_interval,
            overflow,
            file,
            console,
            console_level,
            console_stream,
            color,
            format,
            console_format,
            file_format,
            utc,
            level_names,
            last_resort,
            log_panics,
            message_filter,
            rotate,
            max_files,
            max_age,
            max_total_size,
            compress
        );
        self.levels.extend(over.levels);
        syslog::merge_table(&mut self.syslog, over.syslog, SyslogConfig::merge);
        syslog::merge_table(&mut self.journald, over.journald, JournaldConfig::merge);
    }

    /// The environment's layer, read through `var` (pass `|name| std::env::var(name).ok()`):
    ///
    /// | variable | effect |
    /// | --- | --- |
    /// | `LOGTREE_DIR` | the log directory |
    /// | `RUST_LOG` | level directives in env_logger's syntax, `info,app.db=debug,hyper::proto=warn` |
    /// | `LOGTREE_LEVEL` | level directives as `RUST_LOG`, applied after it, so it wins |
    ///
    /// Directives are read by `env_filter`, env_logger's own parser: a bare level is the
    /// level of the logger being set up, `name=level` sets that logger (`::` in names is
    /// accepted), a bare `name` sets it to `trace`, and a final `/regex` keeps only the
    /// records whose message matches ([`Config::message_filter`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the variable, the offending item and the reason, for
    /// the first bad variable. [`Setup`](crate::Setup) uses
    /// [`Config::from_env_skipping_errors`] instead: a bad environment never stops the app.
    ///
    /// ```
    /// use logtree::config::Config;
    /// use logtree::LevelFilter;
    /// let env = |name: &str| (name == "LOGTREE_LEVEL").then(|| "warn,app::db=trace".to_owned());
    /// let config = Config::from_env_with(env)?;
    /// assert_eq!(config.level, Some(LevelFilter::Warn));
    /// assert_eq!(config.levels["app.db"], LevelFilter::Trace);
    /// # Ok::<(), logtree::Error>(())
    /// ```
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let (config, errors) = Config::from_env_skipping_errors(var);
        match errors.into_iter().next() {
            Some(err) => Err(err),
            None => Ok(config),
        }
    }

    /// The environment's layer as [`Config::from_env_with`] reads it, leaving out each
    /// variable whose value is bad; the errors, one per such variable, come beside it.
    pub fn from_env_skipping_errors(var: impl Fn(&str) -> Option<String>) -> (Config, Vec<Error>) {
        let mut config = Config::default();
        let mut errors = Vec::new();
        if let Some(dir) = var("LOGTREE_DIR") {
            if dir.trim().is_empty() {
                errors.push(env_error("LOGTREE_DIR", None, "is empty".to_owned()));
            } else {
                config.dir = Some(PathBuf::from(dir));
            }
        }
        for name in ["RUST_LOG", "LOGTREE_LEVEL"] {
            let Some(text) = var(name) else { continue };
            match parse_directives(&text) {
                Ok(directives) => {
                    if directives.level.is_some() {
                        config.level = directives.level;
                    }
                    config.levels.extend(directives.levels);
                    if directives.message_filter.is_some() {
                        config.message_filter = directives.message_filter;
                    }
                }
                Err((item, reason)) => errors.push(env_error(name, Some(item), reason)),
            }
        }
        (config, errors)
    }

    /// [`Config::from_env_with`] on the process environment.
    ///
    /// # Errors
    /// As [`Config::from_env_with`].
    pub fn from_env() -> Result<Config, Error> {
        Config::from_env_with(|name| std::env::var(name).ok())
    }
}

/// Lays `syslog` over the `[syslog]` settings of `config`.
pub(crate) fn merge_syslog(config: &mut Config, syslog: SyslogConfig) {
    syslog::merge_table(&mut config.syslog, Some(syslog), SyslogConfig::merge);
}

/// Lays `journald` over the `[journald]` settings of `config`.
pub(crate) fn merge_journald(config: &mut Config, journald: JournaldConfig) {
    syslog::merge_table(&mut config.journald, Some(journald), JournaldConfig::merge);
}

fn env_error(variable: &str, key: Option<String>, reason: String) -> Error {
    Error::InvalidConfig {
        source_name: variable.to_owned(),
        key,
        reason,
    }
}
