//! What `setup` applies to a logger.

use std::fmt;
use std::sync::Arc;

use super::node::Attached;
use crate::{LevelFilter, Sink};

/// Options for [`LoggerTree::setup`](crate::LoggerTree::setup): a level, `propagate`, and the
/// sinks to attach. Every part is optional; an empty set of options just creates the logger.
///
/// ```
/// use logtree_core::{LevelFilter, MemorySink, SetupOptions};
/// let opts = SetupOptions::new()
///     .level(LevelFilter::Debug)
///     .propagate(false)
///     .sink(MemorySink::new());
/// assert_eq!(opts.sink_count(), 1);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct SetupOptions {
    level: Option<LevelFilter>,
    propagate: Option<bool>,
    sinks: Vec<Arc<dyn Sink>>,
}

impl SetupOptions {
    /// No level, `propagate` left as it is, no sinks.
    pub fn new() -> SetupOptions {
        SetupOptions::default()
    }

    /// Sets the logger's own level.
    pub fn level(mut self, level: LevelFilter) -> SetupOptions {
        self.level = Some(level);
        self
    }

    /// Sets whether records go on to the parent's sinks (true for a new logger).
    pub fn propagate(mut self, propagate: bool) -> SetupOptions {
        self.propagate = Some(propagate);
        self
    }

    /// Adds a sink to attach.
    pub fn sink(self, sink: impl Sink + 'static) -> SetupOptions {
        self.shared_sink(Arc::new(sink))
    }

    /// Adds a sink that is already shared.
    pub fn shared_sink(mut self, sink: Arc<dyn Sink>) -> SetupOptions {
        self.sinks.push(sink);
        self
    }

    /// The level to set, if any.
    pub fn level_option(&self) -> Option<LevelFilter> {
        self.level
    }

    /// How many sinks the options carry.
    pub fn sink_count(&self) -> usize {
        self.sinks.len()
    }

    pub(crate) fn into_parts(self) -> (Option<LevelFilter>, Option<bool>, Vec<Arc<dyn Sink>>) {
        (self.level, self.propagate, self.sinks)
    }
}

impl fmt::Debug for SetupOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupOptions")
            .field("level", &self.level)
            .field("propagate", &self.propagate)
            .field(
                "sinks",
                &self
                    .sinks
                    .iter()
                    // `id` is the sink's code: a panic in it must not escape a `Debug`.
                    .map(|s| {
                        Attached::new(Arc::clone(s))
                            .map_or_else(|_| "<id panicked>".to_owned(), |a| a.id.to_string())
                    })
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}
