//! spdlog-rs: its rotating file sink by size (a `BufWriter` inside, flushed at the end), fed by
//! the `log` crate proxy, synchronously or through an `AsyncPoolSink` on a one-thread pool
//! that blocks when full (no loss). Its pattern caches the date-time text per second.

use std::fmt::Write as _;
use std::sync::Arc;

use spdlog::formatter::{pattern, Pattern, PatternContext, PatternFormatter};
use spdlog::sink::{AsyncPoolSink, RotatingFileSink, RotationPolicy, Sink};
use spdlog::{Level, LevelFilter, Logger, Record, StringBuf, ThreadPool};

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use crate::line::MAX_BYTES;
use crate::BoxError;

/// spdlog-rs, rotating file sink on the logging thread.
pub const SYNC: Case = Case {
    name: "spdlog-rs sync",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_sync,
    w3: true,
    w3_other: false,
    note: "buffered (BufWriter), no hierarchy",
    line: LineForm::Issue7,
};

/// spdlog-rs, the same sink behind an async pool.
pub const ASYNC: Case = Case {
    name: "spdlog-rs async",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_async,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// `INFO` where spdlog-rs's `{level}` writes `info`.
#[derive(Clone, Default)]
struct UpperLevel;

impl Pattern for UpperLevel {
    fn format(
        &self,
        record: &Record<'_>,
        dest: &mut StringBuf,
        _: &mut PatternContext<'_, '_>,
    ) -> spdlog::Result<()> {
        let level = match record.level() {
            Level::Critical => "CRITICAL",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        dest.write_str(level).map_err(spdlog::Error::FormatRecord)
    }
}

fn rotating(setup: &Setup<'_>) -> Result<Arc<RotatingFileSink>, BoxError> {
    let formatter = PatternFormatter::new(pattern!(
        "{date} {time}.{millisecond} - {logger} - {$upper_level} - {payload}{eol}",
        {$upper_level} => UpperLevel::default,
    ));
    Ok(RotatingFileSink::builder()
        .base_path(setup.dir.join("app.log"))
        .rotation_policy(RotationPolicy::FileSize(MAX_BYTES))
        .max_files(setup.backups + 1)
        .formatter(formatter)
        .build_arc()?)
}

fn install_sync(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let file = rotating(setup)?;
    install(file.clone(), file, None)
}

fn install_async(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let file = rotating(setup)?;
    let pool = ThreadPool::builder().build_arc()?;
    let sink = AsyncPoolSink::builder()
        .sink(file.clone())
        .thread_pool(pool.clone())
        .build_arc()?;
    install(sink, file, Some(pool))
}

fn install(
    sink: Arc<dyn Sink>,
    file: Arc<RotatingFileSink>,
    pool: Option<Arc<ThreadPool>>,
) -> Result<Box<dyn Installed>, BoxError> {
    let logger = Arc::new(
        Logger::builder()
            .sink(sink)
            .level_filter(LevelFilter::MoreSevereEqual(Level::Info))
            .build()?,
    );
    spdlog::init_log_crate_proxy()?;
    spdlog::log_crate_proxy().set_logger(Some(logger.clone()));
    log::set_max_level(log::LevelFilter::Info);
    Ok(Box::new(Spdlog { logger, file, pool }))
}

struct Spdlog {
    logger: Arc<Logger>,
    file: Arc<RotatingFileSink>,
    pool: Option<Arc<ThreadPool>>,
}

impl Installed for Spdlog {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        let Spdlog { logger, file, pool } = *self;
        logger.flush();
        // Release every handle on the async sink so that dropping the pool drains its queue
        // and joins the worker; then flush the file sink itself.
        spdlog::log_crate_proxy().set_logger(None);
        drop(logger);
        drop(pool);
        file.flush()?;
        Ok(Finished::default())
    }
}
