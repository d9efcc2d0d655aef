//! tracing + tracing-subscriber's `fmt` layer + tracing-appender's rolling appender, written
//! to directly (blocking: one `write` per event) or through `non_blocking` (a worker thread
//! behind a bounded, lossy queue: what it drops is counted, never hidden).
//!
//! What it cannot do: tracing-appender rotates by time only (here daily), never by size, so
//! the 10 MiB limit of W1 does not apply and one file grows to ~70 MB.

use std::fmt;

use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::{ErrorCounter, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use crate::line::TIMESTAMP;
use crate::BoxError;

/// The rolling appender written on the logging thread.
pub const BLOCKING: Case = Case {
    name: "tracing blocking",
    class: Class::EveryRecord,
    kind: Kind::Peer,
    api: Api::Tracing,
    install: install_blocking,
    w3: true,
    w3_other: true,
    note: "rotates by time only: no size limit",
    line: LineForm::Issue7,
};

/// The rolling appender behind `tracing_appender::non_blocking` (lossy by default).
pub const NON_BLOCKING: Case = Case {
    name: "tracing non-blocking",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Tracing,
    install: install_non_blocking,
    w3: false,
    w3_other: false,
    note: "lossy queue (128k lines); time rotation only",
    line: LineForm::Issue7,
};

/// `YYYY-MM-DD HH:MM:SS.mmm - target - LEVEL - message`, chrono per event as with
/// tracing-subscriber's own `ChronoLocal` timer.
struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        write!(
            writer,
            "{} - {} - {} - ",
            chrono::Local::now().format(TIMESTAMP),
            meta.target(),
            meta.level()
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn appender(setup: &Setup<'_>) -> Result<RollingFileAppender, BoxError> {
    Ok(RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("app")
        .filename_suffix("log")
        .max_log_files(setup.backups + 1)
        .build(setup.dir)?)
}

fn init<W>(setup: &Setup<'_>, writer: W) -> Result<(), BoxError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let mut targets = Targets::new().with_default(LevelFilter::INFO);
    if setup.other_at_debug {
        targets = targets.with_target("other", LevelFilter::DEBUG);
    }
    let subscriber = tracing_subscriber::registry().with(targets).with(
        tracing_subscriber::fmt::layer()
            .event_format(Line)
            .with_writer(writer),
    );
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(())
}

fn install_blocking(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    init(setup, appender(setup)?)?;
    Ok(Box::new(Blocking))
}

fn install_non_blocking(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let (writer, guard) = tracing_appender::non_blocking(appender(setup)?);
    let dropped = writer.error_counter();
    init(setup, writer)?;
    Ok(Box::new(NonBlocking { guard, dropped }))
}

/// Each event is written (one `write`) before the call returns: nothing to wait for.
struct Blocking;

impl Installed for Blocking {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        Ok(Finished::default())
    }
}

struct NonBlocking {
    guard: WorkerGuard,
    dropped: ErrorCounter,
}

impl Installed for NonBlocking {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        // Dropping the guard asks the worker to write out its queue and waits for it (for at
        // most a second, tracing-appender's own limit: what is still queued then is lost and
        // shows up in the line count).
        drop(self.guard);
        Ok(Finished {
            dropped: Some(u64::try_from(self.dropped.dropped_lines())?),
        })
    }
}
