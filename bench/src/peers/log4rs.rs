//! log4rs: a rolling-file appender with a size trigger and a fixed-window roller, its pattern
//! encoder for the line. It formats under its lock and flushes every record.
//!
//! W4: log4rs has a hierarchy too (`a::b::c::d`, appenders inherited through additivity), so it
//! runs with an appender that does nothing on `a`.

use log::LevelFilter;
use log4rs::append::rolling_file::policy::compound::roll::fixed_window::FixedWindowRoller;
use log4rs::append::rolling_file::policy::compound::trigger::size::SizeTrigger;
use log4rs::append::rolling_file::policy::compound::CompoundPolicy;
use log4rs::append::rolling_file::RollingFileAppender;
use log4rs::config::{Appender, Config, Logger, Root};
use log4rs::encode::pattern::PatternEncoder;

use super::{Api, Case, Class, FacadeFlush, Installed, Kind, LineForm, Setup};
use crate::line::MAX_BYTES;
use crate::BoxError;

/// log4rs, rolling file appender.
pub const CASE: Case = Case {
    name: "log4rs",
    class: Class::EveryRecord,
    kind: Kind::Peer,
    api: Api::Log,
    install,
    w3: true,
    w3_other: true,
    note: "",
    line: LineForm::Issue7,
};

/// log4rs, rolling file appender whose roller gzips each backup (in the logging thread: the
/// crate's `background_rotation` feature is off by default).
pub const GZIP: Case = Case {
    name: "log4rs gzip",
    install: install_gzip,
    w3: false,
    w3_other: false,
    ..CASE
};

/// W4: a record through `a::b::c::d` to a no-op appender on `a`.
pub const HIERARCHY: Case = Case {
    name: "log4rs",
    class: Class::EveryRecord,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_hierarchy,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// An appender that drops every record.
#[derive(Debug)]
struct NoopAppender;

impl log4rs::append::Append for NoopAppender {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        std::hint::black_box(record);
        Ok(())
    }
    fn flush(&self) {}
}

fn install_hierarchy(_: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let mut config =
        Config::builder().appender(Appender::builder().build("noop", Box::new(NoopAppender)));
    config = config.logger(
        Logger::builder()
            .appender("noop")
            .build("a", LevelFilter::Info),
    );
    for name in ["a::b", "a::b::c", "a::b::c::d"] {
        config = config.logger(Logger::builder().build(name, LevelFilter::Info));
    }
    log4rs::init_config(config.build(Root::builder().build(LevelFilter::Off))?)?;
    Ok(Box::new(FacadeFlush))
}

fn install(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install_with(setup, "app.{}.log")
}

fn install_gzip(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install_with(setup, "app.{}.log.gz")
}

/// The appender, with backups named by `pattern` (a `.gz` ending makes log4rs compress them).
fn install_with(setup: &Setup<'_>, pattern: &str) -> Result<Box<dyn Installed>, BoxError> {
    let backups = setup.dir.join(pattern);
    let roller = FixedWindowRoller::builder().build(
        backups.to_str().ok_or("the temp dir is not UTF-8")?,
        u32::try_from(setup.backups)?,
    )?;
    let policy = CompoundPolicy::new(Box::new(SizeTrigger::new(MAX_BYTES)), Box::new(roller));
    let appender = RollingFileAppender::builder()
        .encoder(Box::new(PatternEncoder::new(
            "{d(%Y-%m-%d %H:%M:%S%.3f)} - {t} - {l} - {m}{n}",
        )))
        .build(setup.dir.join("app.log"), Box::new(policy))?;
    let mut config =
        Config::builder().appender(Appender::builder().build("file", Box::new(appender)));
    if setup.other_at_debug {
        config = config.logger(Logger::builder().build("other", LevelFilter::Debug));
    }
    let config = config.build(Root::builder().appender("file").build(LevelFilter::Info))?;
    log4rs::init_config(config)?;
    Ok(Box::new(FacadeFlush))
}
