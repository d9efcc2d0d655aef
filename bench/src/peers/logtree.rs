//! logtree itself: the `log` facade into `LoggerTree`.
//!
//! W1-W3 set up the logger `app` at `Info` with a `RotatingFileSink` (its default
//! `MillisecondFormatter`, local time) and log on `app.module`, which inherits both. W4 sets up
//! `a` with a sink that does nothing and the loggers `a.b`, `a.b.c`, `a.b.c.d` below it, and
//! logs on `a::b::c::d` (the logger `a.b.c.d`).

use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink, SinkId};
use logtree_sinks::{Compression, FlushPolicy, RotatingFileSink};

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use crate::line::MAX_BYTES;
use crate::BoxError;

/// `FlushPolicy::EveryRecord`: one `write` per record.
pub const EVERY_RECORD: Case = Case {
    name: "logtree EveryRecord",
    class: Class::EveryRecord,
    kind: Kind::Logtree,
    api: Api::Log,
    install: install_every_record,
    w3: true,
    w3_other: true,
    note: "",
    line: LineForm::Issue7,
};

/// `FlushPolicy::buffered()`: a 64 KiB buffer, flushed at least once a second.
pub const BUFFERED: Case = Case {
    name: "logtree Buffered",
    class: Class::Buffered,
    kind: Kind::Logtree,
    api: Api::Log,
    install: install_buffered,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// `FlushPolicy::background()`: a buffer of at most 1 MiB per thread, a background thread per file does
/// every write, roll-over and check; `Overflow::Block` (a full buffer waits: nothing lost).
pub const BACKGROUND: Case = Case {
    name: "logtree Background",
    class: Class::Buffered,
    kind: Kind::Logtree,
    api: Api::Log,
    install: install_background,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// W4: a record through `a.b.c.d` to a no-op sink on `a`.
pub const HIERARCHY: Case = Case {
    name: "logtree",
    class: Class::EveryRecord,
    kind: Kind::Logtree,
    api: Api::Log,
    install: install_hierarchy,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// The W1/W2/W8/W3 cases of logtree (and the latency workload's, compression off).
pub fn file_cases() -> Vec<Case> {
    vec![EVERY_RECORD, BUFFERED, BACKGROUND]
}

/// A case of the latency workload whose backups are compressed: `$name` is the case's
/// name, `$policy` its flush policy and `$compression` its [`Compression`].
macro_rules! compressed {
    ($name:literal, $class:expr, $policy:expr, $compression:expr) => {{
        fn install(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
            install_file(setup, $policy, $compression)
        }
        Case {
            name: $name,
            class: $class,
            install,
            ..EVERY_RECORD
        }
    }};
}

/// The latency workload's cases of logtree with compression on: one line per case.
pub fn compressed_cases() -> Vec<Case> {
    vec![
        compressed!(
            "logtree EveryRecord gzip",
            Class::EveryRecord,
            FlushPolicy::EveryRecord,
            Compression::Gzip
        ),
        compressed!(
            "logtree Buffered gzip",
            Class::Buffered,
            FlushPolicy::buffered(),
            Compression::Gzip
        ),
        compressed!(
            "logtree Buffered zstd",
            Class::Buffered,
            FlushPolicy::buffered(),
            Compression::Zstd
        ),
        compressed!(
            "logtree Background gzip",
            Class::Buffered,
            FlushPolicy::background(),
            Compression::Gzip
        ),
    ]
}

fn install_every_record(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install_file(setup, FlushPolicy::EveryRecord, Compression::None)
}

fn install_buffered(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install_file(setup, FlushPolicy::buffered(), Compression::None)
}

fn install_background(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install_file(setup, FlushPolicy::background(), Compression::None)
}

fn install_file(
    setup: &Setup<'_>,
    policy: FlushPolicy,
    compression: Compression,
) -> Result<Box<dyn Installed>, BoxError> {
    let sink = RotatingFileSink::builder("app")
        .dir(setup.dir)
        .max_bytes(MAX_BYTES)
        .backup_count(u32::try_from(setup.backups)?)
        .flush_policy(policy)
        .compress(compression)
        .build()?;
    LoggerTree::setup(
        "app",
        SetupOptions::new().level(LevelFilter::Info).sink(sink),
    )?;
    if setup.other_at_debug {
        LoggerTree::setup("other", SetupOptions::new().level(LevelFilter::Debug))?;
    }
    Ok(Box::new(Shutdown))
}

/// A sink that drops every record: what W4 measures is the way to it.
struct NoopSink(SinkId);

impl Sink for NoopSink {
    fn id(&self) -> SinkId {
        self.0.clone()
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        std::hint::black_box(record);
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

fn install_hierarchy(_: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    LoggerTree::setup(
        "a",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(NoopSink(SinkId::unique("noop"))),
    )?;
    for name in ["a.b", "a.b.c", "a.b.c.d"] {
        LoggerTree::setup(name, SetupOptions::new())?;
    }
    Ok(Box::new(Shutdown))
}

/// Flushes the tree and lets its sinks release what they hold (buffers, threads): the
/// `RotatingFileSink`'s shutdown writes every thread's buffer under the writer's lock (the
/// background policy's thread included), stops its thread and waits for the archive thread's
/// roll-overs and compression.
struct Shutdown;

impl Installed for Shutdown {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        LoggerTree::global().shutdown()?;
        Ok(Finished::default())
    }
}
