//! One logger's state inside the tree.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;

use crate::{Level, LevelFilter, Sink, SinkId};

/// The level of a logger that has none of its own.
const UNSET: u8 = u8::MAX;

/// A sink attached to a logger, with its identity read once at setup.
#[derive(Clone)]
pub(crate) struct Attached {
    pub(crate) id: SinkId,
    pub(crate) sink: Arc<dyn Sink>,
}

/// A logger. The tree mutates it only while holding its setup lock and then recomputes the
/// derived fields (`effective`, `resolved`), which the hot path reads without a lock.
pub(crate) struct Node {
    pub(crate) name: Box<str>,
    pub(crate) parent: Option<Arc<Node>>,
    level: AtomicU8,
    propagate: AtomicBool,
    own_sinks: Mutex<Vec<Attached>>,
    /// Derived: the own level or the nearest ancestor's.
    effective: AtomicU8,
    /// Derived: the sinks a record logged here reaches (own, then the parents' while
    /// `propagate` holds), each identity once, nearest first.
    pub(crate) resolved: ArcSwap<Vec<Arc<dyn Sink>>>,
}

impl Node {
    pub(crate) fn new(name: &str, parent: Option<Arc<Node>>, level: Option<LevelFilter>) -> Node {
        Node {
            name: name.into(),
            parent,
            level: AtomicU8::new(level.map_or(UNSET, |l| l as u8)),
            propagate: AtomicBool::new(true),
            own_sinks: Mutex::new(Vec::new()),
            effective: AtomicU8::new(level.unwrap_or(LevelFilter::Warn) as u8),
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
        // The list is only pushed to; a panic elsewhere cannot leave it half-written.
        self.own_sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `sink` unless a sink with its identity is attached here already.
    pub(crate) fn attach(&self, sink: Arc<dyn Sink>) -> bool {
        let id = sink.id();
        let mut own = self.own_sinks();
        if own.iter().any(|a| a.id == id) {
            return false;
        }
        own.push(Attached { id, sink });
        true
    }

    fn ancestors_and_self(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(self), |n| n.parent.as_deref())
    }

    /// Recomputes the derived fields from this logger's and its ancestors' settings; returns
    /// the effective level. Called with the tree's setup lock held.
    pub(crate) fn refresh(&self) -> LevelFilter {
        let effective = self
            .ancestors_and_self()
            .find_map(Node::level)
            .unwrap_or(LevelFilter::Warn);
        self.effective.store(effective as u8, Ordering::Relaxed);

        let mut seen: Vec<SinkId> = Vec::new();
        let mut resolved: Vec<Arc<dyn Sink>> = Vec::new();
        for node in self.ancestors_and_self() {
            for attached in node.own_sinks().iter() {
                if !seen.contains(&attached.id) {
                    seen.push(attached.id.clone());
                    resolved.push(Arc::clone(&attached.sink));
                }
            }
            if !node.propagate() {
                break;
            }
        }
        self.resolved.store(Arc::new(resolved));
        effective
    }
}
