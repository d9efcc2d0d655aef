//! Callbacks run after each change to a tree, so that caches kept outside the tree (the
//! `tracing` crate's per-callsite interest, say) follow its levels.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::LoggerTree;
use crate::Error;

type Hook = dyn Fn() + Send + Sync;

/// The hooks of one tree. It holds them weakly: a hook lives as long as its [`ChangeHook`].
#[derive(Default)]
pub(crate) struct ChangeHooks {
    hooks: Mutex<Vec<Weak<Hook>>>,
}

impl ChangeHooks {
    fn add(&self, hook: &Arc<Hook>) {
        let mut hooks = self.hooks.lock().unwrap_or_else(PoisonError::into_inner);
        hooks.retain(|h| h.strong_count() > 0);
        hooks.push(Arc::downgrade(hook));
    }

    /// Runs every live hook, outside the list's lock (a hook may add another); a panicking
    /// hook is reported to the error handler and the others still run.
    pub(crate) fn run(&self, tree: &super::Shared) {
        let live: Vec<Arc<Hook>> = self
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for hook in live {
            if catch_unwind(AssertUnwindSafe(|| hook())).is_err() {
                tree.report(&Error::other("a change hook of the logger tree panicked"));
            }
        }
    }
}

/// A hook registered by [`LoggerTree::on_change`]; dropping it unregisters the hook.
#[must_use = "the hook is unregistered when this is dropped"]
pub struct ChangeHook {
    _hook: Arc<Hook>,
}

impl std::fmt::Debug for ChangeHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeHook").finish_non_exhaustive()
    }
}

impl LoggerTree {
    /// Calls `hook` after each change to the tree: a level set, a logger created, sinks
    /// attached, `propagate` set. It runs on the thread that made the change, once the change
    /// is visible to every reader and outside the tree's locks, so it may read the tree
    /// (levels, [`max_level`](LoggerTree::max_level), whether a target is enabled); it must
    /// not change it (nor call [`logger`](LoggerTree::logger), which may create one), which
    /// would call it again. A bridge from another logging API uses it to
    /// drop what it cached about the tree's levels. The hook stays registered as long as the
    /// returned [`ChangeHook`] lives.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use logtree_core::{LevelFilter, LoggerTree};
    ///
    /// let tree = LoggerTree::new();
    /// let changes = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&changes);
    /// let hook = tree.on_change(move || {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    /// });
    /// tree.root().set_level(Some(LevelFilter::Debug));
    /// assert_eq!(changes.load(Ordering::Relaxed), 1);
    /// drop(hook);
    /// tree.root().set_level(Some(LevelFilter::Info));
    /// assert_eq!(changes.load(Ordering::Relaxed), 1);
    /// ```
    pub fn on_change(&self, hook: impl Fn() + Send + Sync + 'static) -> ChangeHook {
        let hook: Arc<Hook> = Arc::new(hook);
        self.shared.change_hooks.add(&hook);
        ChangeHook { _hook: hook }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use crate::{Error, Level, LevelFilter, LoggerTree};

    #[test]
    fn a_hook_sees_the_change_it_follows() {
        let tree = LoggerTree::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (reader, log) = (tree.clone(), Arc::clone(&seen));
        let _hook = tree.on_change(move || {
            let root_debug = reader.root().enabled(Level::Debug);
            log.lock().unwrap().push((reader.max_level(), root_debug));
        });
        tree.root().set_level(Some(LevelFilter::Debug));
        assert_eq!(
            *seen.lock().unwrap(),
            [(LevelFilter::Debug, true)],
            "one call, after the level took effect"
        );
    }

    #[test]
    fn a_panicking_hook_is_reported_and_the_others_still_run() {
        let tree = LoggerTree::new();
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&errors);
        tree.set_error_handler(move |err: &Error| sink.lock().unwrap().push(err.to_string()));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let _bad = tree.on_change(|| panic!("hook failure"));
        let _good = tree.on_change(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        tree.root().set_level(Some(LevelFilter::Info));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(
            *errors.lock().unwrap(),
            ["a change hook of the logger tree panicked"]
        );
    }
}
