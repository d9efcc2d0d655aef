//! logtree itself: the `log` facade into `LoggerTree`.
//!
//! W4 sets up `a` with a sink that does nothing and the loggers `a.b`, `a.b.c`, `a.b.c.d`
//! below it, and logs on `a.b.c.d`.

use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink, SinkId};

use super::{Api, Case, Class, Finished, Installed, Kind, Setup};
use crate::BoxError;

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
};

/// The W1/W2/W3 cases of logtree.
pub fn file_cases() -> Vec<Case> {
    Vec::new()
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

/// Flushes the tree and lets its sinks release what they hold (buffers, threads).
struct Shutdown;

impl Installed for Shutdown {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        LoggerTree::global().shutdown()?;
        Ok(Finished::default())
    }
}
