//! One logger's state inside the tree.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use arc_swap::ArcSwap;

use crate::{Error, Level, LevelFilter, Sink, SinkId};

/// The level of a logger that has none of its own.
const UNSET: u8 = u8::MAX;

/// A sink attached to a logger, with its identity read once at setup.
#[derive(Clone)]
pub(crate) struct Attached {
    pub(crate) id: SinkId,
    pub(crate) sink: Arc<dyn Sink>,
}

impl Attached {
    /// Reads the identity of `sink`, which is user code: a panic in it is an error, so that it
    /// never unwinds through the tree's locks.
    pub(crate) fn new(sink: Arc<dyn Sink>) -> Result<Attached, Error> {
        match catch_unwind(AssertUnwindSafe(|| sink.id())) {
            Ok(id) => Ok(Attached { id, sink }),
            Err(payload) => Err(Error::SinkPanicked {
                sink: "<unknown: its id() panicked>".to_owned(),
                message: super::dispatch::panic_message(payload.as_ref()),
            }),
        }
    }
}

/// A logger. The tree mutates it only while holding its setup lock and then recomputes the
/// derived fields (`effective`, `chain`, `resolved`) of it and the loggers below it, which the
/// hot path reads without a lock.
pub(crate) struct Node {
    pub(crate) name: Box<str>,
    pub(crate) parent: Option<Arc<Node>>,
    /// Weak: a child holds its parent, and the tree holds both.
    children: Mutex<Vec<Weak<Node>>>,
    level: AtomicU8,
    propagate: AtomicBool,
    own_sinks: Mutex<Vec<Attached>>,
    /// Derived: the own level or the nearest ancestor's.
    effective: AtomicU8,
    /// Derived: the sinks a record logged here reaches (own, then the parents' while
    /// `propagate` holds), each identity once, nearest first.
    chain: ArcSwap<Vec<Attached>>,
    /// Derived: what the hot path hands records to: the sinks of `chain`, or the tree's last
    /// resort when `chain` is empty and the tree has one.
    pub(crate) resolved: ArcSwap<Vec<Arc<dyn Sink>>>,
}

impl Node {
    pub(crate) fn new(name: &str, parent: Option<Arc<Node>>, level: Option<LevelFilter>) -> Node {
        Node {
            name: name.into(),
            parent,
            children: Mutex::new(Vec::new()),
            level: AtomicU8::new(level.map_or(UNSET, |l| l as u8)),
            propagate: AtomicBool::new(true),
            own_sinks: Mutex::new(Vec::new()),
            effective: AtomicU8::new(level.unwrap_or(LevelFilter::Warn) as u8),
            chain: ArcSwap::from_pointee(Vec::new()),
            resolved: ArcSwap::from_pointee(Vec::new()),
        }
    }

    /// Whether a record of `level` logged here is created at all.
    #[inline]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level as u8 >= self.effective.load(Ordering::Relaxed)
    }

    pub(crate) fn level(&self) -> Option<LevelFilter> {
        LevelFilter::from_u8(self.level.load(Ordering::Relaxed))
    }

    pub(crate) fn set_level(&self, level: Option<LevelFilter>) {
        self.level
            .store(level.map_or(UNSET, |l| l as u8), Ordering::Relaxed);
    }

    pub(crate) fn effective_level(&self) -> LevelFilter {
        LevelFilter::from_u8(self.effective.load(Ordering::Relaxed)).unwrap_or(LevelFilter::Warn)
    }

    pub(crate) fn propagate(&self) -> bool {
        self.propagate.load(Ordering::Relaxed)
    }

    pub(crate) fn set_propagate(&self, propagate: bool) {
        self.propagate.store(propagate, Ordering::Relaxed);
    }

    pub(crate) fn own_sinks(&self) -> MutexGuard<'_, Vec<Attached>> {
        // The list is changed by a push or a `retain` that drops nothing inside (see
        // `detach`): a panic elsewhere cannot leave it half-written.
        self.own_sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The identities of the sinks a record logged here reaches, nearest first.
    pub(crate) fn chain_ids(&self) -> Vec<SinkId> {
        self.chain.load().iter().map(|a| a.id.clone()).collect()
    }

    /// Adds `sink` unless a sink with its identity is attached here already.
    pub(crate) fn attach(&self, sink: Attached) -> bool {
        let mut own = self.own_sinks();
        if own.iter().any(|a| a.id == sink.id) {
            return false;
        }
        own.push(sink);
        true
    }

    /// Takes the sink with identity `id` off this logger and hands it back, so that the caller
    /// drops it (user code) outside this logger's lock.
    pub(crate) fn detach(&self, id: &SinkId) -> Option<Attached> {
        let mut own = self.own_sinks();
        let at = own.iter().position(|a| &a.id == id)?;
        Some(own.remove(at))
    }

    pub(crate) fn add_child(&self, child: &Arc<Node>) {
        self.children
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(child));
    }

    fn children(&self) -> Vec<Arc<Node>> {
        self.children
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Recomputes the derived fields of this logger and of every logger below it, parents
    /// before children, each from its own settings and its parent's derived fields (so each
    /// logger costs its own sinks, not the length of its ancestry). `changed` is told each
    /// logger's effective level before and after. Called with the tree's setup lock held.
    pub(crate) fn refresh_subtree(
        self: &Arc<Node>,
        last_resort: Option<&Arc<dyn Sink>>,
        mut changed: impl FnMut(LevelFilter, LevelFilter),
    ) {
        let mut pending = vec![Arc::clone(self)];
        while let Some(node) = pending.pop() {
            let before = node.effective_level();
            let after = node.refresh(last_resort);
            changed(before, after);
            pending.extend(node.children());
        }
    }

    /// Recomputes this logger's derived fields from its settings and its parent's derived
    /// fields; returns the effective level.
    pub(crate) fn refresh(&self, last_resort: Option<&Arc<dyn Sink>>) -> LevelFilter {
        let effective = self
            .level()
            .or_else(|| self.parent.as_ref().map(|p| p.effective_level()))
            .unwrap_or(LevelFilter::Warn);
        self.effective.store(effective as u8, Ordering::Relaxed);

        let mut chain: Vec<Attached> = Vec::new();
        for attached in self.own_sinks().iter() {
            if !chain.iter().any(|a| a.id == attached.id) {
                chain.push(attached.clone());
            }
        }
        if let Some(parent) = self.parent.as_ref().filter(|_| self.propagate()) {
            // The parent's chain is deduplicated already; only this logger's own may repeat it.
            let own = chain.len();
            for attached in parent.chain.load().iter() {
                if !chain[..own].iter().any(|a| a.id == attached.id) {
                    chain.push(attached.clone());
                }
            }
        }
        let resolved: Vec<Arc<dyn Sink>> = match last_resort {
            Some(fallback) if chain.is_empty() => vec![Arc::clone(fallback)],
            _ => chain.iter().map(|a| Arc::clone(&a.sink)).collect(),
        };
        self.chain.store(Arc::new(chain));
        self.resolved.store(Arc::new(resolved));
        effective
    }
}
