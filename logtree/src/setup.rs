//! The one-call setup: a console sink and a size-rotating dated file, with millisecond lines,
//! configured by code, a file and the environment.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use logtree_core::{
    validate_name, Error, Formatter, LevelFilter, Logger, LoggerTree, SetupOptions, Sink,
};
use logtree_formatters::{JsonFormatter, MillisecondFormatter, PatternFormatter, Zone};
use logtree_sinks::{
    ColorMode, Compression, ConsoleSink, ConsoleStream, FlushPolicy, RotatingFileSink, Rotation,
};

use crate::config::{Config, FormatSpec};

/// The file stem when none is configured: `logs/App_<date>.log`, as in the Python seed.
pub const DEFAULT_FILE_STEM: &str = "App";

/// Reads one environment variable.
type EnvVar = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where the environment layer comes from.
#[derive(Clone)]
enum EnvSource {
    Process,
    Ignored,
    Custom(Arc<EnvVar>),
}

/// The standard setup: what Python's `setup_logger(name, level, file_name, max_bytes,
/// backup_count)` gives, in one call — the logger `name` writing to the console and to
/// `<dir>/<stem>_<YYYY-MM-DD>.log`, rolled over by size, with millisecond timestamps.
///
/// Settings come in three layers, each overriding the one before, setting by setting:
/// 1. what the code sets with this builder (defaults: level `Info`, console on stdout, file
///    `logs/App_<date>.log`, 1 MiB, 5 backups, a write per record);
/// 2. the configuration file, from [`config_file`](Setup::config_file) or, when set, the
///    `LOGTREE_CONFIG` environment variable ([`Config::from_file`] lists the keys);
/// 3. the environment: `LOGTREE_DIR`, `RUST_LOG` and `LOGTREE_LEVEL`
///    ([`Config::from_env_with`]).
///
/// Installing is idempotent: each module may install the same setup under its own module path
/// and gets a child logger writing through the same console and file, never a line twice (the
/// sinks have the identities `stdout` and the file's path).
///
/// ```
/// use logtree::{LevelFilter, Setup};
///
/// let dir = tempfile::tempdir()?;
/// let logger = Setup::new()
///     .dir(dir.path())
///     .file_stem("Shop")
///     .max_bytes(10 * 1024 * 1024)
///     .backup_count(3)
///     .console(false)
///     .logger_level("shop.db", LevelFilter::Debug)
///     .ignore_env()
///     .install("shop")?;
/// log::info!(target: "shop::cart", "3 items");
/// log::debug!(target: "shop::db", "query took {} ms", 4);
/// logtree::LoggerTree::global().flush()?;
///
/// let file = std::fs::read_dir(dir.path())?.next().unwrap()?.path();
/// let text = std::fs::read_to_string(file)?;
/// assert!(text.contains(" - shop.cart - INFO - 3 items\n"));
/// assert!(text.contains(" - shop.db - DEBUG - query took 4 ms\n"));
/// assert_eq!(logger.name(), "shop");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct Setup {
    code: Config,
    config_file: Option<PathBuf>,
    env: EnvSource,
    extra_sinks: Vec<Arc<dyn Sink>>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup::new()
    }
}

impl Setup {
    /// The defaults, reading the process environment at install time, and no file.
    pub fn new() -> Setup {
        Setup {
            code: Config::default(),
            config_file: None,
            env: EnvSource::Process,
            extra_sinks: Vec::new(),
        }
    }

    /// Lays a whole configuration layer over what the code set so far.
    pub fn config(mut self, config: Config) -> Setup {
        self.code.merge(config);
        self
    }

    /// The level of the logger being installed (`Info` unless set).
    pub fn level(mut self, level: LevelFilter) -> Setup {
        self.code.level = Some(level);
        self
    }

    /// The level of another logger, by dotted name (or module path).
    pub fn logger_level(mut self, name: &str, level: LevelFilter) -> Setup {
        self.code
            .levels
            .insert(logtree_core::target_to_name(name).into_owned(), level);
        self
    }

    /// The root logger's level (`Warn` unless set).
    pub fn root_level(mut self, level: LevelFilter) -> Setup {
        self.code.root_level = Some(level);
        self
    }

    /// The directory of the log files (`logs` unless set).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Setup {
        self.code.dir = Some(dir.into());
        self
    }

    /// The file name stem: `<stem>_<YYYY-MM-DD>.log` (`App` unless set).
    pub fn file_stem(mut self, stem: impl Into<String>) -> Setup {
        self.code.file_stem = Some(stem.into());
        self
    }

    /// The size in bytes past which the file rolls over; 0 never rolls (1 MiB unless set).
    pub fn max_bytes(mut self, max_bytes: u64) -> Setup {
        self.code.max_size = Some(max_bytes);
        self
    }

    /// How many numbered backups are kept (5 unless set).
    pub fn backup_count(mut self, backup_count: u32) -> Setup {
        self.code.backup_count = Some(backup_count);
        self
    }

    /// When file records reach the operating system ([`FlushPolicy::EveryRecord`] unless
    /// set).
    pub fn flush_policy(mut self, policy: FlushPolicy) -> Setup {
        self.code.flush = Some(policy);
        self
    }

    /// Whether to write the rotating file (true unless set).
    pub fn file(mut self, enabled: bool) -> Setup {
        self.code.file = Some(enabled);
        self
    }

    /// Whether to write to the console (true unless set).
    pub fn console(mut self, enabled: bool) -> Setup {
        self.code.console = Some(enabled);
        self
    }

    /// The console stream (stdout unless set).
    pub fn console_stream(mut self, stream: ConsoleStream) -> Setup {
        self.code.console_stream = Some(stream);
        self
    }

    /// The console's own level (every record of the logger unless set).
    pub fn console_level(mut self, level: LevelFilter) -> Setup {
        self.code.console_level = Some(level);
        self
    }

    /// The line layout of every sink (the millisecond line unless set).
    pub fn format(mut self, format: FormatSpec) -> Setup {
        self.code.format = Some(format);
        self
    }

    /// The console's line layout, over [`format`](Setup::format).
    pub fn console_format(mut self, format: FormatSpec) -> Setup {
        self.code.console_format = Some(format);
        self
    }

    /// The rotating file's line layout, over [`format`](Setup::format): JSON for the file
    /// while the console stays readable, say.
    pub fn file_format(mut self, format: FormatSpec) -> Setup {
        self.code.file_format = Some(format);
        self
    }

    /// Timestamps, and the date (or hour) in the file's name, in UTC (local time unless set).
    pub fn utc(mut self, utc: bool) -> Setup {
        self.code.utc = Some(utc);
        self
    }

    /// When the file starts a new period: each day, each hour or never (daily unless set).
    pub fn rotate(mut self, rotation: Rotation) -> Setup {
        self.code.rotate = Some(rotation);
        self
    }

    /// At most `max_files` files of the stem are kept, the current one included, the oldest
    /// deleted first (all unless set; 0 keeps all).
    pub fn max_files(mut self, max_files: u32) -> Setup {
        self.code.max_files = Some(max_files);
        self
    }

    /// Files of the stem older than `max_age` are deleted (none unless set; zero keeps all).
    pub fn max_age(mut self, max_age: Duration) -> Setup {
        self.code.max_age = Some(max_age);
        self
    }

    /// The stem's files together take at most `max_total_size` bytes, the oldest deleted
    /// first (no limit unless set; 0 sets none).
    pub fn max_total_size(mut self, max_total_size: u64) -> Setup {
        self.code.max_total_size = Some(max_total_size);
        self
    }

    /// How backups are compressed, on a background thread ([`Compression::None`] unless set).
    pub fn compress(mut self, compression: Compression) -> Setup {
        self.code.compress = Some(compression);
        self
    }

    /// Reads this configuration file (TOML, or JSON by its `.json` name) over the code's
    /// settings. `LOGTREE_CONFIG`, when set, names the file instead.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Setup {
        self.config_file = Some(path.into());
        self
    }

    /// Ignores the environment.
    pub fn ignore_env(mut self) -> Setup {
        self.env = EnvSource::Ignored;
        self
    }

    /// Reads the environment through `var` instead of the process's (for tests).
    pub fn env_with(
        mut self,
        var: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Setup {
        self.env = EnvSource::Custom(Arc::new(var));
        self
    }

    /// Attaches another sink beside the console and the file.
    pub fn sink(mut self, sink: impl Sink + 'static) -> Setup {
        self.extra_sinks.push(Arc::new(sink));
        self
    }

    /// The settings in force: code, then file, then environment.
    ///
    /// # Errors
    /// As [`Config::from_file`] and [`Config::from_env_with`].
    pub fn resolve(&self) -> Result<Config, Error> {
        let var = |name: &str| match &self.env {
            EnvSource::Process => std::env::var(name).ok(),
            EnvSource::Ignored => None,
            EnvSource::Custom(var) => var(name),
        };
        let env = Config::from_env_with(var)?;
        let mut config = self.code.clone();
        if let Some(path) = var("LOGTREE_CONFIG")
            .map(PathBuf::from)
            .or_else(|| self.config_file.clone())
        {
            config.merge(Config::from_file(path)?);
        }
        config.merge(env);
        Ok(config)
    }

    /// The sinks and level the logger gets, built from the resolved settings; nothing is
    /// installed.
    ///
    /// # Errors
    /// As [`resolve`](Setup::resolve), and the file sink's errors (a directory that cannot be
    /// created or written, a bad stem).
    pub fn options(&self) -> Result<(Config, SetupOptions), Error> {
        let config = self.resolve()?;
        let mut options = SetupOptions::new().level(config.level.unwrap_or(LevelFilter::Info));
        if config.console.unwrap_or(true) {
            let console = ConsoleSink::builder()
                .stream(config.console_stream.unwrap_or_default())
                .color(config.color.unwrap_or(ColorMode::Auto))
                .level(config.console_level.unwrap_or(LevelFilter::Trace))
                .boxed_formatter(formatter(&config, config.console_format.as_ref())?)
                .build();
            options = options.sink(console);
        }
        if config.file.unwrap_or(true) {
            let mut policy = config.flush.unwrap_or_default();
            if let (FlushPolicy::Buffered { interval, .. }, Some(wanted)) =
                (&mut policy, config.flush_interval)
            {
                *interval = wanted;
            }
            let mut file = RotatingFileSink::builder(
                config
                    .file_stem
                    .clone()
                    .unwrap_or_else(|| DEFAULT_FILE_STEM.to_owned()),
            )
            .flush_policy(policy)
            .boxed_formatter(formatter(&config, config.file_format.as_ref())?);
            if let Some(dir) = &config.dir {
                file = file.dir(dir.clone());
            }
            if let Some(max_bytes) = config.max_size {
                file = file.max_bytes(max_bytes);
            }
            if let Some(backup_count) = config.backup_count {
                file = file.backup_count(backup_count);
            }
            if let Some(utc) = config.utc {
                file = file.utc(utc);
            }
            if let Some(rotation) = config.rotate {
                file = file.rotate(rotation);
            }
            if let Some(max_files) = config.max_files {
                file = file.max_files(max_files);
            }
            if let Some(max_age) = config.max_age {
                file = file.max_age(max_age);
            }
            if let Some(max_total_size) = config.max_total_size {
                file = file.max_total_size(max_total_size);
            }
            if let Some(compression) = config.compress {
                file = file.compress(compression);
            }
            options = options.sink(file.build()?);
        }
        for sink in &self.extra_sinks {
            options = options.shared_sink(Arc::clone(sink));
        }
        Ok((config, options))
    }

    /// Installs the setup on the process-wide tree under `name` (usually the crate's or the
    /// module's path, `::` or `.`-separated) and returns that logger; `log::info!` anywhere
    /// below it arrives in its sinks.
    ///
    /// Everything that can fail is checked before the tree changes, so an error leaves it as
    /// it was.
    ///
    /// # Errors
    /// [`Error::InvalidName`], configuration errors naming the file or variable, the key and the
    /// reason, the sinks' setup errors, and [`Error::FacadeTaken`] when another logger owns the
    /// `log` facade.
    pub fn install(&self, name: &str) -> Result<Logger, Error> {
        self.install_with(name, LoggerTree::setup, LoggerTree::global())
    }

    /// Installs the setup on an explicit tree (tests, embedding).
    ///
    /// # Errors
    /// As [`install`](Setup::install), except that no facade is involved.
    pub fn install_on(&self, tree: &LoggerTree, name: &str) -> Result<Logger, Error> {
        self.install_with(name, |name, options| tree.setup_logger(name, options), tree)
    }

    fn install_with(
        &self,
        name: &str,
        setup: impl FnOnce(&str, SetupOptions) -> Result<Logger, Error>,
        tree: &LoggerTree,
    ) -> Result<Logger, Error> {
        let name = logtree_core::target_to_name(name);
        validate_name(&name)?;
        let (config, options) = self.options()?;
        let logger = setup(&name, options)?;
        if let Some(level) = config.root_level {
            tree.root().set_level(Some(level));
        }
        for (other, level) in &config.levels {
            // Names were validated when the configuration was read.
            tree.logger(other)?.set_level(Some(*level));
        }
        Ok(logger)
    }
}

/// One formatter per sink, from the sink's own layout (`own`) or else the common one, and the
/// zone.
fn formatter(config: &Config, own: Option<&FormatSpec>) -> Result<Box<dyn Formatter>, Error> {
    let zone = config
        .utc
        .map(|utc| if utc { Zone::Utc } else { Zone::Local });
    Ok(
        match own
            .or(config.format.as_ref())
            .unwrap_or(&FormatSpec::Millisecond)
        {
            FormatSpec::Millisecond => {
                Box::new(MillisecondFormatter::new().zone(zone.unwrap_or(Zone::Local)))
            }
            FormatSpec::Json => Box::new(JsonFormatter::new().zone(zone.unwrap_or(Zone::Utc))),
            FormatSpec::Pattern(layout) => {
                let pattern = PatternFormatter::new(layout)?;
                Box::new(match zone {
                    Some(zone) => pattern.zone(zone),
                    None => pattern,
                })
            }
        },
    )
}

/// Python's `setup_logger(__name__)`: [`Setup::new`] installed under `name`.
///
/// ```no_run
/// let logger = logtree::setup_logger(module_path!())?;
/// log::info!("ready"); // to stdout and logs/App_<date>.log
/// # Ok::<(), logtree::Error>(())
/// ```
///
/// # Errors
/// As [`Setup::install`].
pub fn setup_logger(name: &str) -> Result<Logger, Error> {
    Setup::new().install(name)
}
