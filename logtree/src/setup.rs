//! The one-call setup: a console sink and a size-rotating dated file, with millisecond lines,
//! configured by code, a file and the environment.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use logtree_core::{
    validate_name, Error, Formatter, LevelFilter, Logger, LoggerTree, SetupOptions, Sink,
};
use logtree_formatters::{JsonFormatter, LevelNames, MillisecondFormatter, PatternFormatter, Zone};
use logtree_sinks::{
    ColorMode, Compression, ConsoleSink, ConsoleStream, FlushPolicy, RotatingFileSink, Rotation,
};

use crate::config::{Config, FormatSpec, JournaldConfig, SyslogConfig};
use crate::message_filter::MessageFilter;

/// The file stem when none is configured: `logs/App_<date>.log`, as in the Python seed.
pub const DEFAULT_FILE_STEM: &str = "App";

/// The level of the installed logger when none is configured: `Debug`, as the seed's
/// `setup_logger(name)`, so that a `log::debug!` after the one-call setup is written.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::Debug;

/// Whether a configuration file named by the code must exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Presence {
    Required,
    Optional,
}

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
/// 1. what the code sets with this builder (defaults: level `Debug` as the seed's, console on stdout, file
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
/// The first install also gives the root logger the same sinks, so that the records of other
/// crates (`hyper::proto`), which reach only the root, are written to the same console and
/// file at `root_level` (`Warn` unless set); the application's own records, which propagate to
/// the root too, are still written once. A later install with other sinks (a second file for a
/// subsystem) leaves the root alone. It also turns on the logging of panics
/// ([`log_panics`](Setup::log_panics)).
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
    /// The configuration file the code names, and whether it may be absent.
    config_file: Option<(PathBuf, Presence)>,
    env: EnvSource,
    extra_sinks: Vec<Arc<dyn Sink>>,
    /// The console writes through `print!`, for the test harness's capture.
    test_capture: bool,
    /// Whether [`install`](Setup::install) also installs the global `tracing` subscriber.
    #[cfg(feature = "tracing")]
    tracing: bool,
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
            test_capture: false,
            #[cfg(feature = "tracing")]
            tracing: false,
        }
    }

    /// The setup for tests, as [`init_for_tests`] installs it: the console only, written
    /// through `print!` so that `cargo test` captures it per test and shows the lines of
    /// failing tests only; `Debug` and above of every logger (`RUST_LOG` still applies); no
    /// file, no configuration file.
    pub fn for_tests() -> Setup {
        let mut setup = Setup::new().file(false).root_level(DEFAULT_LEVEL);
        setup.test_capture = true;
        setup
    }

    /// Lays a whole configuration layer over what the code set so far.
    pub fn config(mut self, config: Config) -> Setup {
        self.code.merge(config);
        self
    }

    /// The level of the logger being installed (`Debug` unless set, as the seed's
    /// `setup_logger`).
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

    /// How the millisecond line spells levels: [`LevelNames::Python`] gives the seed's exact
    /// lines (`WARNING`); [`LevelNames::Rust`] (`WARN`) unless set.
    pub fn level_names(mut self, names: LevelNames) -> Setup {
        self.code.level_names = Some(names);
        self
    }

    /// Whether a record on a chain of loggers with no sink at all goes to stderr at `Warn` and
    /// above, as Python's `logging.lastResort` (true unless set).
    pub fn last_resort(mut self, enabled: bool) -> Setup {
        self.code.last_resort = Some(enabled);
        self
    }

    /// Whether a panic is logged at `Error` through the tree (message, location, thread, and
    /// the backtrace when `RUST_BACKTRACE` enables one) before the buffers are flushed, as the
    /// `log-panics` crate does (true unless set).
    pub fn log_panics(mut self, enabled: bool) -> Setup {
        self.code.log_panics = Some(enabled);
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
    /// settings; it must exist. `LOGTREE_CONFIG`, when set, names the file instead.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Setup {
        self.config_file = Some((path.into(), Presence::Required));
        self
    }

    /// Reads this configuration file when it exists, and uses the other layers alone when
    /// nothing is at `path` (a file the user may create later, as the seed's planned
    /// `data/config/config.json`). A file that is there but unreadable or invalid still fails
    /// setup. `LOGTREE_CONFIG`, when set, names a file that must exist instead.
    pub fn optional_config_file(mut self, path: impl Into<PathBuf>) -> Setup {
        self.config_file = Some((path.into(), Presence::Optional));
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

    /// Also sends records to a syslog daemon (merged over what the code set before; a file's
    /// `[syslog]` table is merged over this).
    ///
    /// ```
    /// use logtree::config::SyslogConfig;
    /// use logtree::sinks::{Facility, SyslogAddress};
    ///
    /// let daemon = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let address = SyslogAddress::Udp(daemon.local_addr()?.to_string());
    /// let tree = logtree::LoggerTree::new();
    /// let logger = logtree::Setup::new()
    ///     .console(false)
    ///     .file(false)
    ///     .ignore_env()
    ///     .syslog(SyslogConfig::new().address(address).facility(Facility::Local1).app_name("shop"))
    ///     .install_on(&tree, "shop")?;
    /// logger.info(format_args!("up"));
    /// tree.flush()?;
    /// let mut datagram = [0; 1024];
    /// let len = daemon.recv(&mut datagram)?;
    /// assert!(datagram[..len].starts_with(b"<142>1 ")); // local1 * 8 + info
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn syslog(mut self, syslog: SyslogConfig) -> Setup {
        crate::config::merge_syslog(&mut self.code, syslog);
        self
    }

    /// Also sends records to the systemd journal (merged like [`syslog`](Setup::syslog)).
    pub fn journald(mut self, journald: JournaldConfig) -> Setup {
        crate::config::merge_journald(&mut self.code, journald);
        self
    }

    /// Attaches another sink beside the console and the file.
    pub fn sink(mut self, sink: impl Sink + 'static) -> Setup {
        self.extra_sinks.push(Arc::new(sink));
        self
    }

    /// Whether [`install`](Setup::install) also makes the process-wide tree the global
    /// `tracing` subscriber ([`logtree_tracing::install_global`]), so that `tracing::info!` of
    /// tokio, hyper, axum and the program itself lands in the same sinks and format as
    /// `log::info!`, under the logger named by its target (false unless set; feature
    /// `tracing`). [`install_on`](Setup::install_on) ignores it: an explicit tree takes a
    /// [`LogtreeLayer`](logtree_tracing::LogtreeLayer) in a subscriber of one's own.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// logtree::Setup::new().dir(dir.path()).console(false).tracing(true).install("app")?;
    /// tracing::info!(target: "app::http", status = 200, "served");
    /// log::info!(target: "app::db", "connected");
    ///
    /// let file = std::fs::read_dir(dir.path())?.next().unwrap()?.path();
    /// let text = std::fs::read_to_string(file)?;
    /// assert!(text.contains(" - app.http - INFO - served status=200\n"));
    /// assert!(text.contains(" - app.db - INFO - connected\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tracing")]
    pub fn tracing(mut self, enabled: bool) -> Setup {
        self.tracing = enabled;
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
        // A bad value in the environment never stops the app: as env_logger, it is reported
        // once on stderr and that variable is left out.
        let (env, errors) = Config::from_env_skipping_errors(var);
        for err in &errors {
            report_once(err);
        }
        let mut config = self.code.clone();
        let file = match var("LOGTREE_CONFIG") {
            Some(path) => Some(Config::from_file(path)?),
            None => match &self.config_file {
                Some((path, Presence::Required)) => Some(Config::from_file(path)?),
                Some((path, Presence::Optional)) => Config::from_optional_file(path)?,
                None => None,
            },
        };
        if let Some(file) = file {
            config.merge(file);
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
        let (config, sinks) = self.sinks()?;
        let level = config.level.unwrap_or(DEFAULT_LEVEL);
        let options = sinks
            .into_iter()
            .fold(SetupOptions::new().level(level), SetupOptions::shared_sink);
        Ok((config, options))
    }

    /// The resolved settings and the sinks they make: console, file, then the extra ones.
    fn sinks(&self) -> Result<(Config, Vec<Arc<dyn Sink>>), Error> {
        let config = self.resolve()?;
        let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
        if config.console.unwrap_or(true) {
            let console = ConsoleSink::builder()
                .test_capture(self.test_capture)
                .stream(config.console_stream.unwrap_or_default())
                .color(config.color.unwrap_or(ColorMode::Auto))
                .level(config.console_level.unwrap_or(LevelFilter::Trace))
                .boxed_formatter(formatter(&config, config.console_format.as_ref())?)
                .build();
            sinks.push(filtered(&config, console));
        }
        if config.file.unwrap_or(true) {
            let mut policy = config.flush.unwrap_or_default();
            if let (FlushPolicy::Buffered { interval, .. }, Some(wanted)) =
                (&mut policy, config.flush_interval)
            {
                *interval = wanted;
            }
            if let (FlushPolicy::Background { overflow, .. }, Some(wanted)) =
                (&mut policy, config.overflow)
            {
                *overflow = wanted;
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
            sinks.push(filtered(&config, file.build()?));
        }
        for daemon in config.daemon_sinks()? {
            sinks.push(filtered(&config, daemon));
        }
        sinks.extend(self.extra_sinks.iter().cloned());
        Ok((config, sinks))
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
    /// `log` facade; with `tracing(true)`, [`Error::Other`] holding a
    /// `logtree::tracing::GlobalSubscriberTaken` when another global `tracing` subscriber was
    /// installed first.
    pub fn install(&self, name: &str) -> Result<Logger, Error> {
        // First, as it cannot be undone: the subscriber only feeds the tree, which is left as
        // it was if this fails or what follows does.
        #[cfg(feature = "tracing")]
        if self.tracing {
            logtree_tracing::install_global()?;
        }
        let mut log_panics = true;
        let logger =
            self.install_with(name, LoggerTree::setup, LoggerTree::global(), |config| {
                log_panics = config.log_panics.unwrap_or(true)
            })?;
        LoggerTree::set_log_panics(log_panics);
        Ok(logger)
    }

    /// Installs the setup on an explicit tree (tests, embedding).
    ///
    /// # Errors
    /// As [`install`](Setup::install), except that no facade is involved.
    pub fn install_on(&self, tree: &LoggerTree, name: &str) -> Result<Logger, Error> {
        self.install_with(
            name,
            |name, options| tree.setup_logger(name, options),
            tree,
            |_| {},
        )
    }

    fn install_with(
        &self,
        name: &str,
        setup: impl FnOnce(&str, SetupOptions) -> Result<Logger, Error>,
        tree: &LoggerTree,
        process_wide: impl FnOnce(&Config),
    ) -> Result<Logger, Error> {
        let name = logtree_core::target_to_name(name);
        validate_name(&name)?;
        let (config, sinks) = self.sinks()?;
        process_wide(&config);
        let level = config.level.unwrap_or(DEFAULT_LEVEL);
        let options = sinks
            .iter()
            .cloned()
            .fold(SetupOptions::new().level(level), SetupOptions::shared_sink);
        let logger = setup(&name, options)?;
        // Other crates' records (`hyper::proto`) reach the root only: the first standard setup
        // gives it the same sinks, so they are written beside the application's, at
        // `root_level`. A record reaches each sink identity once, so the application's own
        // records, which also propagate to the root, are still written once. A later setup with
        // other sinks (another file for a subsystem) leaves the root alone.
        let root = tree.root();
        if root.sink_ids().is_empty() && !sinks.is_empty() {
            let options = sinks
                .into_iter()
                .fold(SetupOptions::new(), SetupOptions::shared_sink);
            tree.setup_logger("", options)?;
        }
        if let Some(level) = config.root_level {
            tree.root().set_level(Some(level));
        }
        if let Some(on) = config.last_resort {
            tree.set_last_resort(on);
        }
        for (other, level) in &config.levels {
            // Names were validated when the configuration was read.
            tree.logger(other)?.set_level(Some(*level));
        }
        Ok(logger)
    }
}

/// `sink`, behind the message filter of `RUST_LOG`'s `/regex` when there is one.
fn filtered(config: &Config, sink: impl Sink + 'static) -> Arc<dyn Sink> {
    match &config.message_filter {
        Some(regex) => Arc::new(MessageFilter::new(sink, regex)),
        None => Arc::new(sink),
    }
}

/// Prints `err` on stderr, once per process for each distinct error: every module that
/// installs the setup reads the same environment.
fn report_once(err: &Error) {
    static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let text = err.to_string();
    let mut reported = REPORTED.lock().unwrap_or_else(PoisonError::into_inner);
    if !reported.contains(&text) {
        // `eprintln!` would panic on a closed stderr.
        let _ = writeln!(
            std::io::stderr(),
            "logtree: ignoring the environment variable: {text}"
        );
        reported.push(text);
    }
}

impl Config {
    /// The rotating file's formatter, as [`Setup`] builds it: `file_format`, else `format`,
    /// else the millisecond line, in the zone of `utc`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a pattern that does not parse.
    pub fn file_formatter(&self) -> Result<Box<dyn Formatter>, Error> {
        formatter(self, self.file_format.as_ref())
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
            FormatSpec::Millisecond => Box::new(
                MillisecondFormatter::new()
                    .zone(zone.unwrap_or(Zone::Local))
                    .level_names(config.level_names.unwrap_or_default()),
            ),
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

/// One line at the start of a test, as env_logger's `is_test(true)`: every record of every
/// logger at `Debug` and above (or as `RUST_LOG` says) is printed through `print!`, which
/// `cargo test` captures, so that the log lines of a failing test are shown under its name and
/// those of passing tests are not. Idempotent; each test may call it. Errors (another logger
/// owns the `log` facade, a bad `RUST_LOG` is reported on stderr anyway) are ignored: a test's
/// logging must not fail the test.
///
/// ```
/// // In a `#[test]` function:
/// logtree::init_for_tests();
/// log::debug!("shown only if this test fails");
/// ```
pub fn init_for_tests() {
    let _ = Setup::for_tests().install("");
}
