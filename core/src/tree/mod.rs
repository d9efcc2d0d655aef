//! The logger tree: dotted names, levels, propagation and setup.

mod dispatch;
mod exit;
mod facade;
mod hooks;
mod last_resort;
mod level_table;
mod lifetime;
mod logger;
mod node;
mod options;
mod panic_log;
#[cfg(test)]
mod refresh_prop;
#[cfg(test)]
mod tests;

pub(crate) use dispatch::with_thread_info;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;

pub use hooks::ChangeHook;
pub use logger::Logger;
pub use options::SetupOptions;
pub use panic_log::PANIC_LOGGER;

use crate::error_handler::{SinkErrorHandler, StderrErrorHandler};
use crate::name::{parent_name, target_to_name, validate_name};
use crate::{Error, LevelFilter, Sink, SinkId};
use dispatch::RouteMap;
use level_table::LevelTable;
use node::{Attached, Node};

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
    setup: Mutex<SetupState>,
    /// Every logger by name. Written only under the setup lock, for as long as it takes to
    /// insert the loggers a change created; read to resolve a target the caches miss.
    nodes: RwLock<NodeMap>,
    /// Cache of target -> route, replaced on every change.
    routes: ArcSwap<RouteMap>,
    /// Replaced (after `routes` is) on every change by a number no tree has had: per-thread
    /// caches keyed by it need no tree id, and never mistake one tree's entry for another's.
    generation: AtomicU64,
    /// The most verbose effective level of any logger.
    max_level: AtomicU8,
    /// Whether this tree owns the `log` facade and keeps its max level.
    drives_facade: AtomicBool,
    error_handler: RwLock<Arc<SinkErrorHandler>>,
    reentrant_dropped: AtomicU64,
    /// Whether a record that reaches no sink goes to [`last_resort::LastResort`].
    last_resort_on: AtomicBool,
    last_resort: Arc<dyn Sink>,
    /// Run after each change ([`LoggerTree::on_change`]).
    change_hooks: hooks::ChangeHooks,
}

/// What the setup lock guards besides the order of changes.
struct SetupState {
    /// How many loggers have each effective level (indexed by `LevelFilter as usize`): the
    /// tree's most verbose level without visiting every logger.
    per_level: [usize; 6],
}

impl LoggerTree {
    /// A new tree holding only the root logger, at level `Warn`, with no sinks, and the last
    /// resort on ([`set_last_resort`](Self::set_last_resort)).
    pub fn new() -> LoggerTree {
        let root = Arc::new(Node::new("", None, Some(LevelFilter::Warn)));
        let last_resort: Arc<dyn Sink> = Arc::new(last_resort::LastResort::new());
        root.refresh(Some(&last_resort));
        let generation = next_generation();
        let mut nodes = NodeMap::default();
        nodes.insert("".into(), root);
        let mut per_level = [0; 6];
        per_level[LevelFilter::Warn as usize] = 1;
        let default_handler = StderrErrorHandler::default();
        let tree = LoggerTree {
            shared: Arc::new(Shared {
                nodes: RwLock::new(nodes),
                setup: Mutex::new(SetupState { per_level }),
                routes: ArcSwap::from_pointee(RouteMap::new(generation)),
                levels: LevelTable::new(),
                generation: AtomicU64::new(generation),
                max_level: AtomicU8::new(LevelFilter::Warn as u8),
                drives_facade: AtomicBool::new(false),
                error_handler: RwLock::new(Arc::new(move |err: &Error, _: Option<&SinkId>| {
                    default_handler.report(err)
                })),
                reentrant_dropped: AtomicU64::new(0),
                last_resort_on: AtomicBool::new(true),
                last_resort,
                change_hooks: hooks::ChangeHooks::default(),
            }),
        };
        lifetime::register(&tree.shared);
        tree
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
        // Sinks are asked their identity before anything changes: a panic there fails the
        // setup as a whole, outside the setup lock.
        let sinks = sinks
            .into_iter()
            .map(Attached::new)
            .collect::<Result<Vec<_>, _>>()?;
        let node = self.shared.change(|change| {
            let node = change.get_or_create(name);
            if let Some(level) = level {
                node.set_level(Some(level));
            }
            if let Some(propagate) = propagate {
                node.set_propagate(propagate);
            }
            let settings_given = level.is_some() || propagate.is_some() || !sinks.is_empty();
            for sink in sinks {
                node.attach(sink);
            }
            if settings_given {
                change.refresh_below(&node);
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
        self.handle(self.shared.root_node())
    }

    /// The names of all loggers, sorted (the root is `""`).
    pub fn logger_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .shared
            .read_nodes()
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
        self.set_sink_error_handler(move |err, _| handler(err));
    }

    /// Replaces the error handler with one that is also told which sink failed (`None` for a
    /// failure that is no sink's): a sink's errors name what it writes to, but a downstream
    /// sink's [`Error::Other`] may not, and a handler may want to act per sink.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use logtree_core::{Error, LoggerTree, Record, SetupOptions, Sink, SinkId};
    ///
    /// struct Failing;
    /// impl Sink for Failing {
    ///     fn id(&self) -> SinkId { SinkId::new("failing") }
    ///     fn log(&self, _: &Record<'_>) -> Result<(), Error> { Err(Error::other("down")) }
    ///     fn flush(&self) -> Result<(), Error> { Ok(()) }
    /// }
    ///
    /// let tree = LoggerTree::new();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let into = Arc::clone(&seen);
    /// tree.set_sink_error_handler(move |err, sink| {
    ///     into.lock().unwrap().push(format!("{}: {err}", sink.map_or("-", SinkId::as_str)));
    /// });
    /// tree.setup_logger("app", SetupOptions::new().sink(Failing))?.error(format_args!("x"));
    /// assert_eq!(*seen.lock().unwrap(), ["failing: down"]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn set_sink_error_handler(
        &self,
        handler: impl Fn(&Error, Option<&SinkId>) + Send + Sync + 'static,
    ) {
        let mut slot = self
            .shared
            .error_handler
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = Arc::new(handler);
    }

    /// Turns the last resort on or off. While it is on (the default, for every tree), a record
    /// of `Warn` or above whose logger reaches no sink at all (none on the logger, none on the
    /// ancestors it propagates to) is written to stderr as its bare message on a line of its
    /// own, as Python's `logging.lastResort` does, instead of vanishing. Control characters of
    /// the message are escaped (`\n`), so that it cannot forge lines. A logger with any sink
    /// (even one whose own level refuses the record) never reaches the last resort.
    ///
    /// ```
    /// use logtree_core::LoggerTree;
    /// let tree = LoggerTree::new();
    /// assert!(tree.last_resort());
    /// tree.set_last_resort(false); // records that reach no sink are dropped silently
    /// assert!(!tree.last_resort());
    /// ```
    pub fn set_last_resort(&self, on: bool) {
        let shared = &self.shared;
        shared.change(|change| {
            shared.last_resort_on.store(on, Ordering::Relaxed);
            change.refresh_below(&shared.root_node());
        });
    }

    /// Whether the last resort is on ([`set_last_resort`](Self::set_last_resort)).
    pub fn last_resort(&self) -> bool {
        self.shared.last_resort_on.load(Ordering::Relaxed)
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
    fn lock_setup(&self) -> MutexGuard<'_, SetupState> {
        // Changes under this lock leave the tree consistent at every step: poisoning carries
        // no meaning here.
        self.setup.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read_nodes(&self) -> RwLockReadGuard<'_, NodeMap> {
        // Only whole inserts happen under the write lock.
        self.nodes.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn root_node(&self) -> Arc<Node> {
        self.read_nodes()
            .get("")
            .cloned()
            .expect("the root logger is created with the tree and never removed")
    }

    /// The tree's last resort, when it is on.
    fn last_resort_sink(&self) -> Option<&Arc<dyn Sink>> {
        self.last_resort_on
            .load(Ordering::Relaxed)
            .then_some(&self.last_resort)
    }

    /// Applies a change under the setup lock, then recomputes what the hot path reads. The
    /// work is that of the loggers the change touches (see [`Change`]), never of the whole
    /// tree: creating loggers by the thousand stays linear.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut Change<'_>) -> R) -> R {
        let mut state = self.lock_setup();
        let mut change = Change {
            shared: self,
            state: &mut state,
            created: Vec::new(),
        };
        let result = f(&mut change);
        // Publish new loggers only now, refreshed: a logger must not take records before it
        // has its level and sinks.
        let created = std::mem::take(&mut change.created);
        if !created.is_empty() {
            let mut nodes = self.nodes.write().unwrap_or_else(PoisonError::into_inner);
            nodes.extend(created);
        }
        let max = (0..state.per_level.len())
            .find(|&level| state.per_level[level] > 0)
            .and_then(|level| LevelFilter::from_u8(level as u8))
            .unwrap_or(LevelFilter::Off);
        self.new_generation();
        self.max_level.store(max as u8, Ordering::Relaxed);
        if self.drives_facade.load(Ordering::Relaxed) {
            log::set_max_level(max.into());
        }
        // Outside the lock: hooks read the tree.
        drop(state);
        self.change_hooks.run(self);
        result
    }

    /// Starts a new generation of routes: every cached route (shared, per thread, in the
    /// level table) is resolved again. Routes hold sinks as they were: every change needs it.
    fn new_generation(&self) {
        let generation = next_generation();
        self.routes.store(Arc::new(RouteMap::new(generation)));
        self.generation.store(generation, Ordering::Release);
    }

    /// Every distinct sink of the tree, each once.
    fn all_sinks(&self) -> Vec<Arc<dyn Sink>> {
        // Not the setup lock: the panic hook comes here, maybe from a thread that holds it.
        let nodes = self.read_nodes();
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
                    Some(_) => self.report_for(&*sink, &err),
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// A change in progress, under the setup lock: creates loggers and refreshes the derived
/// fields of those whose settings it changed, and of the loggers below them.
pub(crate) struct Change<'a> {
    shared: &'a Shared,
    state: &'a mut SetupState,
    /// Loggers made by this change, published when it ends.
    created: Vec<(Box<str>, Arc<Node>)>,
}

impl Change<'_> {
    /// The logger `name`, created with any missing ancestor. A new logger has no settings of
    /// its own, so only it needs its derived fields (its parent's, in effect).
    pub(crate) fn get_or_create(&mut self, name: &str) -> Arc<Node> {
        if let Some(node) = self.find(name) {
            return node;
        }
        let parent = parent_name(name).map(|parent| self.get_or_create(parent));
        let node = Arc::new(Node::new(name, parent.clone(), None));
        if let Some(parent) = parent {
            parent.add_child(&node);
        }
        let effective = node.refresh(self.shared.last_resort_sink());
        self.state.per_level[effective as usize] += 1;
        self.created.push((name.into(), Arc::clone(&node)));
        node
    }

    fn find(&self, name: &str) -> Option<Arc<Node>> {
        self.created
            .iter()
            .find(|(created, _)| &**created == name)
            .map(|(_, node)| Arc::clone(node))
            .or_else(|| self.shared.read_nodes().get(name).cloned())
    }

    /// Refreshes `node` and every logger below it, after a change of its settings.
    pub(crate) fn refresh_below(&mut self, node: &Arc<Node>) {
        let per_level = &mut self.state.per_level;
        node.refresh_subtree(self.shared.last_resort_sink(), |before, after| {
            per_level[before as usize] -= 1;
            per_level[after as usize] += 1;
        });
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Buffering sinks may live on in other handles; what this tree gave them is flushed now.
        if let Err(err) = self.for_each_sink(|sink| sink.shutdown()) {
            self.report(&err);
        }
        // What threads' route caches hold of this tree goes too (see `lifetime`).
        lifetime::forget();
    }
}
