//! The hot path: from a call to the sinks, without a lock and without allocating.
//!
//! A `log` target is mapped to its logger through a small per-thread cache, then a shared
//! snapshot map; only the first record of a target after a logger is created walks the names.

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

use rustc_hash::FxHashMap;

use super::node::Node;
use super::Shared;
use crate::name::{parent_name, target_to_name, validate_name};
use crate::record::NoKeyValues;
use crate::{Error, Level, LevelFilter, Record, Sink, SinkId, UnixTime};

/// Past this many distinct targets the shared cache stops growing (targets built at run time
/// must not grow memory without bound); further targets are resolved per record.
const ROUTE_MAP_CAPACITY: usize = 4096;
/// Targets remembered per thread; a thread that logs from a few modules in turn stays in it.
const THREAD_CACHE_SLOTS: usize = 4;

/// Where records of one target go: the logger name they show, the logger that takes them, and
/// that logger's sinks as they were when the route was resolved (any change to the tree makes
/// a new generation of routes).
pub(crate) struct Route {
    name: Box<str>,
    node: Arc<Node>,
    sinks: Arc<Vec<Arc<dyn Sink>>>,
}

/// The shared target -> route cache, valid for one generation of the tree's loggers.
#[derive(Clone)]
pub(crate) struct RouteMap {
    generation: u64,
    routes: FxHashMap<Box<str>, Arc<Route>>,
}

impl RouteMap {
    pub(crate) fn new(generation: u64) -> RouteMap {
        RouteMap {
            generation,
            routes: FxHashMap::default(),
        }
    }
}

struct CachedRoute {
    generation: u64,
    target: Box<str>,
    route: Arc<Route>,
    /// The route's logger's effective level, read after `generation` was: every level change
    /// starts a new generation, so it holds as long as the slot does. Kept here so that a
    /// disabled call decides without following `route` to the logger (a chain of three
    /// dependent loads was most of a disabled call's time).
    level: LevelFilter,
}

/// A thread's number and name, as records show them.
struct ThreadInfo {
    id: u64,
    name: Option<Box<str>>,
}

/// Everything the hot path keeps per thread, in one thread-local so that a record pays one
/// access for all of it.
struct ThreadState {
    info: OnceCell<ThreadInfo>,
    /// Set while this thread hands a record to sinks: a record logged from inside a sink is
    /// dropped instead of recursing into a sink that may hold its own lock.
    dispatching: Cell<bool>,
    routes: RefCell<[Option<CachedRoute>; THREAD_CACHE_SLOTS]>,
    next_slot: Cell<usize>,
    /// How many trees had been dropped when `routes` was last emptied of them.
    seen_dropped: Cell<u64>,
}

thread_local! {
    static THREAD_STATE: ThreadState = const {
        ThreadState {
            info: OnceCell::new(),
            dispatching: Cell::new(false),
            routes: RefCell::new([const { None }; THREAD_CACHE_SLOTS]),
            next_slot: Cell::new(0),
            seen_dropped: Cell::new(0),
        }
    };
}

impl ThreadState {
    fn info(&self) -> &ThreadInfo {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        self.info.get_or_init(|| ThreadInfo {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: std::thread::current().name().map(Box::from),
        })
    }
}

/// See [`crate::with_current_thread`].
pub(crate) fn with_thread_info<R>(f: impl FnOnce(u64, Option<&str>) -> R) -> Option<R> {
    THREAD_STATE
        .try_with(|ts| {
            let info = ts.info();
            f(info.id, info.name.as_deref())
        })
        .ok()
}

/// Whether this thread is handing a record to sinks right now.
pub(crate) fn dispatching_on_this_thread() -> bool {
    THREAD_STATE
        .try_with(|ts| ts.dispatching.get())
        .unwrap_or(false)
}

/// Empties this thread's route cache, when a tree was dropped (see `lifetime`).
pub(crate) fn forget_routes_of_this_thread() {
    let _ = THREAD_STATE.try_with(ThreadState::forget_routes);
}

impl ThreadState {
    /// Empties the route cache (unless it is in use further up this thread's stack: then the
    /// next miss does it).
    fn forget_routes(&self) {
        if let Ok(mut slots) = self.routes.try_borrow_mut() {
            self.seen_dropped.set(super::lifetime::dropped_count());
            // Taken out first: dropping a route may drop a sink, which runs its code.
            let forgotten = std::mem::replace(&mut *slots, [const { None }; THREAD_CACHE_SLOTS]);
            drop(slots);
            drop(forgotten);
        }
    }
}

/// Clears the dispatching flag when the dispatch ends, even by a panic.
struct Dispatching<'t>(&'t Cell<bool>);

impl Drop for Dispatching<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Shared {
    /// Whether the tree's level table knows that `record` is disabled.
    #[inline(always)]
    pub(crate) fn facade_known_disabled(&self, record: &log::Record<'_>) -> bool {
        // Relaxed: a slot's own stamp orders what is read from it; this only says which
        // generation to accept.
        let generation = self.generation.load(Ordering::Relaxed);
        self.levels
            .disables(generation, record.target(), record.level())
    }

    /// Handles a record from the `log` facade, once
    /// [`facade_known_disabled`](Self::facade_known_disabled) has said no.
    pub(crate) fn log_facade(&self, record: &log::Record<'_>) {
        let level = Level::from(record.level());
        let in_thread = THREAD_STATE.try_with(|ts| {
            if ts.dispatching.get() {
                self.reentrant_dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            self.with_route(ts, record.target(), |route, filter| {
                if filter.allows(level) {
                    self.deliver_facade(ts, route, level, record);
                }
            });
        });
        if in_thread.is_err() {
            self.log_facade_without_thread_state(record, level);
        }
    }

    /// [`log_facade`](Self::log_facade) while the thread's locals are being torn down: no
    /// cache, no re-entrancy flag and no thread name, but the record is still delivered. Out
    /// of line and cold, like the cache miss.
    #[cold]
    #[inline(never)]
    fn log_facade_without_thread_state(&self, record: &log::Record<'_>, level: Level) {
        let route = self.resolve(record.target());
        if route.node.enabled(level) {
            self.send(
                &route.sinks,
                &facade_record(record, &route.name, level, (0, None)),
            );
        }
    }

    /// The enabled part of [`log_facade`](Self::log_facade), kept out of line so that the
    /// disabled path stays a small function.
    #[inline(never)]
    fn deliver_facade(
        &self,
        ts: &ThreadState,
        route: &Route,
        level: Level,
        record: &log::Record<'_>,
    ) {
        let _dispatching = self.enter(ts);
        let info = ts.info();
        let thread = (info.id, info.name.as_deref());
        self.send(
            &route.sinks,
            &facade_record(record, &route.name, level, thread),
        );
    }

    /// Whether a record of `level` for `target` would be created.
    pub(crate) fn facade_enabled(&self, level: Level, target: &str) -> bool {
        THREAD_STATE
            .try_with(|ts| self.with_route(ts, target, |_, filter| filter.allows(level)))
            .unwrap_or_else(|_| self.resolve(target).node.enabled(level))
    }

    /// Handles a record logged directly on a logger, whose level was checked already.
    pub(crate) fn dispatch(&self, node: &Node, level: Level, args: fmt::Arguments<'_>) {
        let in_thread = THREAD_STATE.try_with(|ts| {
            if ts.dispatching.get() {
                self.reentrant_dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                let _dispatching = self.enter(ts);
                let info = ts.info();
                let thread = (info.id, info.name.as_deref());
                self.send(
                    &node.resolved.load(),
                    &logger_record(&node.name, level, args, thread),
                );
            }
        });
        if in_thread.is_err() {
            let record = logger_record(&node.name, level, args, (0, None));
            self.send(&node.resolved.load(), &record);
        }
    }

    fn enter<'t>(&self, ts: &'t ThreadState) -> Dispatching<'t> {
        ts.dispatching.set(true);
        Dispatching(&ts.dispatching)
    }

    /// Hands a record to every sink it reaches whose own level lets it through.
    fn send(&self, sinks: &[Arc<dyn Sink>], record: &Record<'_>) {
        for sink in sinks {
            // `level` is the sink's code too: a panic in it is caught with one in `log`.
            // The error is reported from where the sink wrote it: moving the result out first
            // (as `guarded` does) copied the error's bytes before looking at the tag, and that
            // read of what the sink had just written stalled (~4% of a buffered record's time).
            let logged = catch_unwind(AssertUnwindSafe(|| {
                if sink.level().allows(record.level()) {
                    if let Err(err) = sink.log(record) {
                        self.report_for(&**sink, &err);
                    }
                }
            }));
            if let Err(payload) = logged {
                self.report_for(&**sink, &sink_panicked(&**sink, payload));
            }
        }
    }

    /// Runs a sink operation, turning a panic into [`Error::SinkPanicked`].
    pub(crate) fn guarded(
        &self,
        sink: &dyn Sink,
        op: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        catch_unwind(AssertUnwindSafe(op))
            .unwrap_or_else(|payload| Err(sink_panicked(sink, payload)))
    }

    /// Hands a failure that is no sink's to the error handler; a panicking handler is
    /// ignored.
    #[cold]
    pub(crate) fn report(&self, err: &Error) {
        self.report_with(err, None);
    }

    /// Hands a failure of `sink` to the error handler, with the sink's identity.
    #[cold]
    pub(crate) fn report_for(&self, sink: &dyn Sink, err: &Error) {
        let id = catch_unwind(AssertUnwindSafe(|| sink.id())).ok();
        self.report_with(err, id.as_ref());
    }

    fn report_with(&self, err: &Error, sink: Option<&SinkId>) {
        let handler = Arc::clone(
            &self
                .error_handler
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let _ = catch_unwind(AssertUnwindSafe(|| handler(err, sink)));
    }

    /// Calls `f` with the route of `target` and its logger's effective level, from this
    /// thread's cache when it has them.
    fn with_route<R>(
        &self,
        ts: &ThreadState,
        target: &str,
        f: impl FnOnce(&Route, LevelFilter) -> R,
    ) -> R {
        let generation = self.generation.load(Ordering::Acquire);
        if let Ok(slots) = ts.routes.try_borrow() {
            let hit = slots
                .iter()
                .flatten()
                .find(|slot| slot.generation == generation && same_text(&slot.target, target));
            if let Some(slot) = hit {
                return f(&slot.route, slot.level);
            }
        }
        let (route, level) = self.remember_route(ts, generation, target);
        f(&route, level)
    }

    /// Resolves `target`, remembers its route in this thread's cache and its level in the
    /// tree's level table. Out of line and cold, so that the cache hit above stays a small
    /// function (fewer registers saved per call, disabled ones included).
    #[cold]
    #[inline(never)]
    fn remember_route(
        &self,
        ts: &ThreadState,
        generation: u64,
        target: &str,
    ) -> (Arc<Route>, LevelFilter) {
        if ts.seen_dropped.get() != super::lifetime::dropped_count() {
            ts.forget_routes();
        }
        let route = self.resolve(target);
        let level = route.node.effective_level();
        self.levels.insert(generation, target, level);
        // Busy only when a sink asks `log_enabled!` while this thread dispatches; then the
        // route is simply not remembered.
        if let Ok(mut slots) = ts.routes.try_borrow_mut() {
            let index = ts.next_slot.get();
            ts.next_slot.set((index + 1) % THREAD_CACHE_SLOTS);
            slots[index] = Some(CachedRoute {
                generation,
                target: target.into(),
                route: Arc::clone(&route),
                level,
            });
        }
        (route, level)
    }

    /// The route of `target`: its logger name, and the nearest logger that exists.
    fn resolve(&self, target: &str) -> Arc<Route> {
        let generation = self.generation.load(Ordering::Acquire);
        let routes = self.routes.load();
        if let Some(route) = routes.routes.get(target) {
            return Arc::clone(route);
        }
        let nodes = self.read_nodes();
        let name = target_to_name(target);
        let (name, start) = if validate_name(&name).is_ok() {
            let start: &str = &name;
            (Box::<str>::from(start), Some(start))
        } else {
            // Not a logger name (spaces, say): shown as given, handled by the root.
            (Box::<str>::from(target), None)
        };
        let node = std::iter::successors(start, |n| parent_name(n))
            .find_map(|n| nodes.get(n))
            .or_else(|| nodes.get(""))
            .map(Arc::clone)
            .expect("the root logger is created with the tree and never removed");
        drop(nodes);
        let sinks = node.resolved.load_full();
        let route = Arc::new(Route { name, node, sinks });
        if routes.routes.len() < ROUTE_MAP_CAPACITY {
            self.routes.rcu(|current| {
                // A map of a newer generation may not learn a route resolved from older loggers.
                if current.generation != generation || current.routes.contains_key(target) {
                    return Arc::clone(current);
                }
                let mut next = RouteMap::clone(current);
                next.routes.insert(target.into(), Arc::clone(&route));
                Arc::new(next)
            });
        }
        route
    }
}

/// Text equality for the short targets of the route cache, without a call to `memcmp`: this
/// comparison runs on every call, disabled ones included.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two overlapping 8-byte words cover any length from 8 to 16.
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
    };
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// The record of a `log` facade call, stamped now.
fn facade_record<'a>(
    origin: &'a log::Record<'a>,
    logger: &'a str,
    level: Level,
    (thread_id, thread_name): (u64, Option<&'a str>),
) -> Record<'a> {
    Record {
        level,
        logger,
        target: origin.target(),
        args: *origin.args(),
        timestamp: UnixTime::now(),
        module_path: origin.module_path(),
        file: origin.file(),
        line: origin.line(),
        thread_id,
        thread_name,
        key_values: origin.key_values(),
    }
}

/// The record of a direct [`Logger`](crate::Logger) call, stamped now.
fn logger_record<'a>(
    logger: &'a str,
    level: Level,
    args: fmt::Arguments<'a>,
    (thread_id, thread_name): (u64, Option<&'a str>),
) -> Record<'a> {
    Record {
        level,
        logger,
        target: logger,
        args,
        timestamp: UnixTime::now(),
        module_path: None,
        file: None,
        line: None,
        thread_id,
        thread_name,
        key_values: &NoKeyValues,
    }
}

/// The error of a sink that panicked with `payload`.
#[cold]
fn sink_panicked(sink: &dyn Sink, payload: Box<dyn Any + Send>) -> Error {
    Error::SinkPanicked {
        sink: catch_unwind(AssertUnwindSafe(|| sink.id().to_string()))
            .unwrap_or_else(|_| "<unknown>".to_owned()),
        message: panic_message(payload.as_ref()),
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::same_text;

    #[test]
    fn same_text_is_string_equality() {
        let words = [
            "",
            "a",
            "app",
            "app::db",
            "app::db:",
            "app::dbx",
            "app::db::pool",
            "app::db::pooL",
            "app::db::pool::x",
            "Papp::db::pool::",
            "app::db::pool::xy",
            "app::db::pool::xz",
            "ü::ß",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }
}
