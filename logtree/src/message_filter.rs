//! The `/regex` of `RUST_LOG`: a sink that passes on only records whose message matches.

use logtree_core::{Error, LevelFilter, Record, Sink, SinkId};

/// Wraps a standard sink; same identity and level, so idempotence and propagation are
/// unchanged.
pub(crate) struct MessageFilter<S> {
    inner: S,
    filter: env_filter::Filter,
}

impl<S: Sink> MessageFilter<S> {
    /// `regex` was checked when the directives were parsed; one that is not valid here
    /// anyway keeps every record (`env_filter` ignores it with a message).
    pub(crate) fn new(inner: S, regex: &str) -> MessageFilter<S> {
        let mut builder = env_filter::Builder::new();
        // Levels are the tree's business: let every level through, test only the message.
        builder.filter_level(log::LevelFilter::Trace);
        if builder.try_parse(&format!("/{regex}")).is_err() {
            builder = env_filter::Builder::new();
            builder.filter_level(log::LevelFilter::Trace);
        }
        MessageFilter {
            inner,
            filter: builder.build(),
        }
    }
}

impl<S: Sink> Sink for MessageFilter<S> {
    fn id(&self) -> SinkId {
        self.inner.id()
    }

    fn level(&self) -> LevelFilter {
        self.inner.level()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let probe = log::Record::builder()
            .level(record.level().into())
            .target(record.target())
            .args(*record.args())
            .build();
        if self.filter.matches(&probe) {
            self.inner.log(record)
        } else {
            Ok(())
        }
    }

    fn flush(&self) -> Result<(), Error> {
        self.inner.flush()
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.inner.shutdown()
    }
}
