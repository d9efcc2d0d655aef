//! Letting go of a dropped tree's sinks from every thread's route cache.
//!
//! A thread's cache holds the routes (and so the sinks) of the trees it logged to; a dropped
//! tree cannot reach another thread's cache, and the hot path must not pay for a lock or a
//! check per record to let it. So a drop starts a new generation in every live tree: each
//! thread's next record, to any tree, misses its cache, and the miss (cold) empties the cache
//! when a tree was dropped since it last looked. The dropping thread empties its own at once;
//! a thread that never logs again lets go when it ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError, Weak};

use super::Shared;

/// Every tree alive, to start a new generation in each when one is dropped.
static LIVE: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());
/// How many trees were dropped so far.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Adds a new tree to [`LIVE`].
pub(super) fn register(shared: &Arc<Shared>) {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.retain(|tree| tree.strong_count() > 0);
    live.push(Arc::downgrade(shared));
}

/// Called when a tree is dropped: see the module documentation.
pub(super) fn forget() {
    DROPPED.fetch_add(1, Ordering::Release);
    super::dispatch::forget_routes_of_this_thread();
    let others: Vec<Arc<Shared>> = {
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|tree| tree.strong_count() > 0);
        live.iter().filter_map(Weak::upgrade).collect()
    };
    for tree in &others {
        // A tree in the middle of a change starts a new generation at its end anyway.
        match tree.setup.try_lock() {
            Ok(_) | Err(TryLockError::Poisoned(_)) => tree.new_generation(),
            Err(TryLockError::WouldBlock) => {}
        }
    }
    // `others` is dropped here, outside `LIVE`'s lock: it may hold a tree's last handle.
}

/// How many trees were dropped so far: a thread's cache compares it with what it saw.
pub(super) fn dropped_count() -> u64 {
    DROPPED.load(Ordering::Acquire)
}
