//! A handle to one logger of a tree.

use std::fmt;
use std::sync::Arc;

use super::node::{Attached, Node};
use super::Shared;
use crate::{Level, LevelFilter, Sink, SinkId};

/// A handle to one named logger. Cheap to clone; all handles of a name refer to the same
/// logger, so a level set through one is seen through all.
///
/// Records usually come through the `log` macros, whose target (the module path) picks the
/// logger. A `Logger` also logs directly:
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
/// let tree = LoggerTree::new();
/// let lines = MemorySink::new();
/// let app = tree.setup_logger("app", SetupOptions::new().sink(lines.clone()))?;
/// app.set_level(Some(LevelFilter::Debug));
/// app.debug(format_args!("{} items", 3));
/// assert_eq!(lines.lines(), ["DEBUG app - 3 items"]);
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Logger {
    shared: Arc<Shared>,
    node: Arc<Node>,
}

impl Logger {
    pub(crate) fn new(shared: Arc<Shared>, node: Arc<Node>) -> Logger {
        Logger { shared, node }
    }

    /// The dotted name (`""` for the root).
    pub fn name(&self) -> &str {
        &self.node.name
    }

    /// The logger's own level, if it has one.
    pub fn level(&self) -> Option<LevelFilter> {
        self.node.level()
    }

    /// Sets the logger's own level, or with `None` lets it inherit its parent's. The root
    /// always has a level: `None` on the root sets it back to `Warn`.
    pub fn set_level(&self, level: Option<LevelFilter>) {
        let level = match (level, self.node.parent.is_some()) {
            (None, false) => Some(LevelFilter::Warn),
            (level, _) => level,
        };
        self.shared.change(|change| {
            self.node.set_level(level);
            change.refresh_below(&self.node);
        });
    }

    /// The level that decides which records are created here: the own level, or the nearest
    /// ancestor's.
    pub fn effective_level(&self) -> LevelFilter {
        self.node.effective_level()
    }

    /// Whether a record of `level` logged here would be created.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.node.enabled(level)
    }

    /// Whether records go on to the parent's sinks.
    pub fn propagate(&self) -> bool {
        self.node.propagate()
    }

    /// Sets whether records go on to the parent's sinks.
    pub fn set_propagate(&self, propagate: bool) {
        self.shared.change(|change| {
            self.node.set_propagate(propagate);
            change.refresh_below(&self.node);
        });
    }

    /// Attaches a sink; returns false (and attaches nothing) when a sink with the same identity
    /// is attached to this logger already, or when the sink's [`Sink::id`] panics (that is
    /// reported to the tree's error handler as [`Error::SinkPanicked`](crate::Error)).
    pub fn add_sink(&self, sink: Arc<dyn Sink>) -> bool {
        let sink = match Attached::new(sink) {
            Ok(sink) => sink,
            Err(err) => {
                self.shared.report(&err);
                return false;
            }
        };
        self.shared.change(|change| {
            let added = self.node.attach(sink);
            change.refresh_below(&self.node);
            added
        })
    }

    /// Detaches the sink with identity `id`; returns whether there was one.
    pub fn remove_sink(&self, id: &SinkId) -> bool {
        let removed = self.shared.change(|change| {
            let removed = self.node.detach(id);
            change.refresh_below(&self.node);
            removed
        });
        // Dropped here, after the tree's locks: dropping a sink runs its code.
        removed.is_some()
    }

    /// The identities of the sinks attached to this logger itself (not its ancestors').
    pub fn sink_ids(&self) -> Vec<SinkId> {
        self.node.own_sinks().iter().map(|a| a.id.clone()).collect()
    }

    /// The identities of every sink a record logged here reaches, nearest first.
    pub fn effective_sink_ids(&self) -> Vec<SinkId> {
        self.node.chain_ids()
    }

    /// The parent logger, `None` for the root.
    pub fn parent(&self) -> Option<Logger> {
        self.node
            .parent
            .as_ref()
            .map(|parent| Logger::new(Arc::clone(&self.shared), Arc::clone(parent)))
    }

    /// Logs a record on this logger, if `level` passes its effective level.
    #[inline]
    pub fn log(&self, level: Level, args: fmt::Arguments<'_>) {
        if self.node.enabled(level) {
            self.shared.dispatch(&self.node, level, args);
        }
    }

    /// Logs at `Trace`.
    pub fn trace(&self, args: fmt::Arguments<'_>) {
        self.log(Level::Trace, args);
    }

    /// Logs at `Debug`.
    pub fn debug(&self, args: fmt::Arguments<'_>) {
        self.log(Level::Debug, args);
    }

    /// Logs at `Info`.
    pub fn info(&self, args: fmt::Arguments<'_>) {
        self.log(Level::Info, args);
    }

    /// Logs at `Warn`.
    pub fn warn(&self, args: fmt::Arguments<'_>) {
        self.log(Level::Warn, args);
    }

    /// Logs at `Error`.
    pub fn error(&self, args: fmt::Arguments<'_>) {
        self.log(Level::Error, args);
    }

    /// Whether two handles refer to the same logger.
    pub fn same_as(&self, other: &Logger) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("name", &self.name())
            .field("level", &self.level())
            .field("effective_level", &self.effective_level())
            .field("propagate", &self.propagate())
            .field("sinks", &self.sink_ids())
            .finish()
    }
}
