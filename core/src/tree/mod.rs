//! The logger tree: dotted names, levels, propagation and setup.

mod dispatch;
mod exit;
mod facade;
mod hooks;
mod level_table;
mod logger;
mod node;
mod options;
#[cfg(test)]
mod tests;

pub(crate) use dispatch::with_thread_info;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;

pub use hooks::ChangeHook;
pub use logger::Logger;
pub use options::SetupOptions;

use crate::error_handler::{ErrorHandler, StderrErrorHandler};
use crate::name::{parent_name, target_to_name, validate_name};
use crate::{Error, LevelFilter, Sink, SinkId};
use dispatch::RouteMap;
use level_table::LevelTable;
use node::Node;

type NodeMap = FxHashMap<Box<str>, Arc<Node>>;

/// A tree of loggers named by dotted paths, like Python's `logging` hierarchy.
///
/// A record logged on `app.db.pool` is created only if its level passes that logger's
/// effective level (its own, or its nearest ancestor's); it then goes to the logger's sinks and
/// to those of each ancestor up to the root, stopping after a logger whose `propagate` is
/// false. Each sink sees a record at most once, whatever the path.
///
/// Most programs use the process-wide tree through [`LoggerTree::setup`], which also receives
/// the `log` crate's records. An explicit tree ([`LoggerTree::new`]) serves tests and
/// embedding; it offers the same operations as methods. Cloning a `LoggerTree` gives another
/// handle to the same tree.
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
///
/// let tree = LoggerTree::new();
/// let lines = MemorySink::new();
/// tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Info).sink(lines.clone()))?;
///
/// let db = tree.logger("app.db")?; // inherits `app`'s level and writes through its sinks
/// db.info(format_args!("connected"));
/// db.debug(format_args!("not shown: below app's level"));
/// assert_eq!(lines.lines(), ["INFO app.db - connected"]);
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone)]
pub struct LoggerTree {
    shared: Arc<Shared>,
}

/// The state behind every handle of one tree. In declared order, so that the facade's first
/// check finds the level table at the start, where it needs no offset.
#[repr(C)]
pub(crate) struct Shared {
    /// Target -> level filter, for deciding a disabled facade call first.
    levels: LevelTable,
    /// Serialises every change of structure, level or sinks.
    setup: Mutex<NodeMap>,
    /// Snapshot of the loggers for resolving targets without the setup lock.
    nodes: ArcSwap<NodeMap>,
    /// Cache of target -> route, replaced on every change.
    routes: ArcSwap<RouteMap>,
    /// Replaced (after `routes` is) on every change by a number no tree has had: per-thread
    /// caches keyed by it need no tree id, and never mistake one tree's entry for another's.
    generation: AtomicU64,
    /// The most verbose effective level of any logger.
    max_level: AtomicU8,
    /// Whether this tree owns the `log` facade and keeps its max level.
    drives_facade: AtomicBool,
    error_handler: RwLock<Arc<ErrorHandler>>,
    reentrant_dropped: AtomicU64,
    /// Run after each change ([`LoggerTree::on_change`]).
    change_hooks: hooks::ChangeHooks,
}

impl LoggerTree {
    /// A new tree holding only the root logger, at level `Warn`, with no sinks.
    pub fn new() -> LoggerTree {
        let root = Arc::new(Node::new("", None, Some(LevelFilter::Warn)));
        let generation = next_generation();
        let mut nodes = NodeMap::default();
        nodes.insert("".into(), root);
        let default_handler = StderrErrorHandler::default();
        LoggerTree {
            shared: Arc::new(Shared {
                nodes: ArcSwap::from_pointee(nodes.clone()),
                setup: Mutex::new(nodes),
                routes: ArcSwap::from_pointee(RouteMap::new(generation)),
                levels: LevelTable::new(),
                generation: AtomicU64::new(generation),
                max_level: AtomicU8::new(LevelFilter::Warn as u8),
                drives_facade: AtomicBool::new(false),
                error_handler: RwLock::new(Arc::new(move |err: &Error| {
                    default_handler.report(err)
                })),
                reentrant_dropped: AtomicU64::new(0),
                change_hooks: hooks::ChangeHooks::default(),
            }),
        }
    }

    /// Creates the logger `name` (and any missing ancestor) or returns the existing one, then
    /// applies `opts`. The Rust twin of Python's `setup_logger(__name__)`, on this tree. A
    /// module path is accepted: `app::db` is the logger `app.db`.
    ///
    /// Calling it again for the same name is safe and never attaches a sink twice. A second call
    /// with different options:
    /// - adds each sink whose [`Sink::id`] is not attached to this logger yet, and skips the
    ///   others (the sink attached first stays);
    /// - sets the level if the options give one, and leaves it alone otherwise;
    /// - sets `propagate` if the options give it, and leaves it alone otherwise.
    ///
    /// Beyond that, a record never reaches two sinks with the same identity: a module that sets
    /// up its own logger with the same console sink as its parent still prints each line once.
    ///
    /// # Errors
    /// [`Error::InvalidName`] when `name` breaks the naming rules ([`crate::validate_name`]);
    /// nothing is changed then.
    pub fn setup_logger(&self, name: &str, opts: SetupOptions) -> Result<Logger, Error> {
        // A module path names the same logger as its dotted form, as for `log` targets.
        let name = &*target_to_name(name);
        validate_name(name)?;
        let (level, propagate, sinks) = opts.into_parts();
        let node = self.shared.change(|nodes| {
            let node = self.shared.get_or_create(nodes, name);
            if let Some(level) = level {
                node.set_level(Some(level));
            }
            if let Some(propagate) = propagate {
                node.set_propagate(propagate);
            }
            for sink in sinks {
                node.attach(sink);
            }
            node
        });
        Ok(self.handle(node))
    }

    /// The logger `name`, created (with no level, no sinks, `propagate` on) if it does not
    /// exist; Python's `logging.getLogger(name)`.
    ///
    /// # Errors
    /// [`Error::InvalidName`] when `name` breaks the naming rules.
    pub fn logger(&self, name: &str) -> Result<Logger, Error> {
        self.setup_logger(name, SetupOptions::new())
    }

    /// The root logger (the empty name).
    pub fn root(&self) -> Logger {
        let root = self
            .shared
            .lock_setup()
            .get("")
            .cloned()
            .expect("the root logger is created with the tree and never removed");
        self.handle(root)
    }

    /// The names of all loggers, sorted (the root is `""`).
    pub fn logger_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .shared
            .lock_setup()
            .keys()
            .map(|k| k.to_string())
            .collect();
        names.sort();
        names
    }

    /// The most verbose effective level of any logger: a record below it is disabled
    /// everywhere. For the process-wide tree this is also the `log` facade's max level.
    pub fn max_level(&self) -> LevelFilter {
        LevelFilter::from_u8(self.shared.max_level.load(Ordering::Relaxed))
            .unwrap_or(LevelFilter::Trace)
    }

    /// Replaces the error handler, which receives sink failures at log time. The default prints
    /// one line to stderr, at most once a second ([`StderrErrorHandler`]).
    pub fn set_error_handler(&self, handler: impl Fn(&Error) + Send + Sync + 'static) {
        let mut slot = self
            .shared
            .error_handler
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = Arc::new(handler);
    }

    /// How many records were logged from inside a sink or the error handler while that thread
    /// was already dispatching a record. They are dropped (counted here) instead of recursing
    /// into a sink that may hold its own lock.
    pub fn reentrant_records_dropped(&self) -> u64 {
        self.shared.reentrant_dropped.load(Ordering::Relaxed)
    }

    /// Flushes every sink in the tree; failures beyond the first go to the error handler.
    ///
    /// # Errors
    /// The first sink failure.
    pub fn flush(&self) -> Result<(), Error> {
        self.shared.for_each_sink(|sink| sink.flush())
    }

    /// Flushes every sink and lets it release what it holds (background threads). Call it
    /// before the process ends when sinks buffer; logging after it still works, as far as each
    /// sink allows.
    ///
    /// # Errors
    /// The first sink failure.
    pub fn shutdown(&self) -> Result<(), Error> {
        self.shared.for_each_sink(|sink| sink.shutdown())
    }

    fn handle(&self, node: Arc<Node>) -> Logger {
        Logger::new(Arc::clone(&self.shared), node)
    }
}

impl Default for LoggerTree {
    fn default() -> LoggerTree {
        LoggerTree::new()
    }
}

impl std::fmt::Debug for LoggerTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggerTree")
            .field("loggers", &self.logger_names())
            .field("max_level", &self.max_level())
            .finish()
    }
}

/// A generation number no tree has had yet. They start at 1: 0 is never current, so that an
/// empty per-thread cache entry matches nothing.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Shared {
    fn lock_setup(&self) -> MutexGuard<'_, NodeMap> {
        // Changes under this lock leave the map consistent at every step: poisoning carries no
        // meaning here.
        self.setup.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies a change under the setup lock, then recomputes what the hot path reads.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut NodeMap) -> R) -> R {
        let mut nodes = self.lock_setup();
        let before = nodes.len();
        let result = f(&mut nodes);
        // Refresh before publishing: a logger must not take records before it has its level
        // and sinks.
        let mut max = LevelFilter::Off;
        for node in nodes.values() {
            max = max.most_verbose(node.refresh());
        }
        if nodes.len() != before {
            self.nodes.store(Arc::new(nodes.clone()));
        }
        // Routes hold sinks as they were: every change starts a new generation of routes.
        let generation = next_generation();
        self.routes.store(Arc::new(RouteMap::new(generation)));
        self.generation.store(generation, Ordering::Release);
        self.max_level.store(max as u8, Ordering::Relaxed);
        if self.drives_facade.load(Ordering::Relaxed) {
            log::set_max_level(max.into());
        }
        // Outside the lock: hooks read the tree.
        drop(nodes);
        self.change_hooks.run(self);
        result
    }

    fn get_or_create(&self, nodes: &mut NodeMap, name: &str) -> Arc<Node> {
        if let Some(node) = nodes.get(name) {
            return Arc::clone(node);
        }
        let parent = parent_name(name).map(|parent| self.get_or_create(nodes, parent));
        let node = Arc::new(Node::new(name, parent, None));
        nodes.insert(name.into(), Arc::clone(&node));
        node
    }

    /// Every distinct sink of the tree, each once.
    fn all_sinks(&self) -> Vec<Arc<dyn Sink>> {
        let nodes = self.lock_setup();
        let mut seen: Vec<SinkId> = Vec::new();
        let mut sinks = Vec::new();
        for node in nodes.values() {
            for attached in node.own_sinks().iter() {
                if !seen.contains(&attached.id) {
                    seen.push(attached.id.clone());
                    sinks.push(Arc::clone(&attached.sink));
                }
            }
        }
        sinks
    }

    fn for_each_sink(&self, op: impl Fn(&dyn Sink) -> Result<(), Error>) -> Result<(), Error> {
        let mut first = None;
        for sink in self.all_sinks() {
            if let Err(err) = self.guarded(&*sink, || op(&*sink)) {
                match first {
                    None => first = Some(err),
                    Some(_) => self.report(&err),
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Buffering sinks may live on in other handles; what this tree gave them is flushed now.
        if let Err(err) = self.for_each_sink(|sink| sink.shutdown()) {
            self.report(&err);
        }
    }
}
