//! The bounded queue between callers and the background sender, one per process.
//!
//! A caller formats its record, then holds the queue's lock only to push the bytes; the
//! sender holds it only to take everything queued at once. So a caller waits at most for
//! another push or a swap of two `VecDeque`s, never for the network.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, Once};
use std::thread::JoinHandle;

use logtree_core::Error;

/// How much may wait for the daemon: records past either bound are dropped (the newest: the
/// record that does not fit is refused, so what is queued stays in order and without gaps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLimits {
    /// At most this many records wait (default 10,000).
    pub max_records: usize,
    /// At most this many bytes of formatted messages wait (default 8 MiB).
    pub max_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> QueueLimits {
        QueueLimits {
            max_records: 10_000,
            max_bytes: 8 << 20,
        }
    }
}

/// The queue of one process. A forked child gets a fresh one (see [`fork_generation`]), so it
/// never sends what its parent had queued, and never touches a lock the parent's sender may
/// have held at the fork.
pub(crate) struct Channel {
    /// The fork generation this queue belongs to.
    pub(crate) generation: u64,
    /// The process's id, the PROCID of its messages.
    pub(crate) pid: u32,
    state: Mutex<State>,
    /// Wakes the sender: records were queued, or it must stop.
    pub(crate) wake: Condvar,
    /// Wakes flushers: records were sent or given up.
    pub(crate) progress: Condvar,
}

/// What the lock protects.
#[derive(Default)]
pub(crate) struct State {
    /// Records waiting for the sender.
    pub(crate) queue: VecDeque<Vec<u8>>,
    /// Records and bytes in memory: queued, plus those the sender holds and has not sent.
    pub(crate) records: usize,
    pub(crate) bytes: usize,
    /// Records accepted since the start, and records sent or given up: a flush waits until the
    /// second reaches what the first was when it began.
    pub(crate) accepted: u64,
    pub(crate) finished: u64,
    /// Records dropped since the count was last sent to the daemon.
    pub(crate) dropped: u64,
    /// Whether the error handler has heard of the current run of drops.
    pub(crate) drop_reported: bool,
    /// The count of the first drop of the current run: [`State::accepted`] then. The count
    /// is sent once every record accepted before the drops is, so that it comes after them.
    pub(crate) drops_after: u64,
    /// An error of the sender, handed to the next log call (and so to the error handler).
    pub(crate) error: Option<Error>,
    /// Whether the error handler has heard of the current outage.
    pub(crate) outage_reported: bool,
    /// The last failure, for a flush that times out.
    pub(crate) last_failure: Option<String>,
    /// The sender thread, once started.
    pub(crate) thread: Option<JoinHandle<()>>,
    /// Set by `shutdown`: the sender sends what it can, gives the rest up and exits.
    pub(crate) stopping: bool,
    /// Records the sender gave up at shutdown because the daemon could not be reached.
    pub(crate) abandoned: u64,
}

impl Channel {
    pub(crate) fn new() -> Channel {
        Channel {
            generation: fork_generation(),
            pid: std::process::id(),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            progress: Condvar::new(),
        }
    }

    /// The state, even if a thread panicked while holding it (every update leaves it
    /// consistent, so it stays usable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `record` unless a limit is reached; `Err` carries an error for the error handler
    /// (the first drop of a run, or a failure the sender met), even when the record was queued.
    pub(crate) fn push(
        &self,
        state: &mut State,
        record: Vec<u8>,
        limits: QueueLimits,
        target: &str,
    ) -> Result<(), Error> {
        let pending = state.error.take();
        if state.records >= limits.max_records
            || state.bytes.saturating_add(record.len()) > limits.max_bytes
        {
            if state.dropped == 0 {
                state.drops_after = state.accepted;
            }
            state.dropped += 1;
            if !state.drop_reported {
                state.drop_reported = true;
                return Err(Error::Write {
                    target: target.to_owned(),
                    source: io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "queue full ({} records, {} bytes waiting; limits {} records, {} \
                             bytes): newer records are dropped and counted until the daemon \
                             takes them{}",
                            state.records,
                            state.bytes,
                            limits.max_records,
                            limits.max_bytes,
                            state
                                .last_failure
                                .as_deref()
                                .map(|f| format!(" (last failure: {f})"))
                                .unwrap_or_default()
                        ),
                    ),
                });
            }
        } else {
            state.records += 1;
            state.bytes += record.len();
            state.accepted += 1;
            state.queue.push_back(record);
            // The sender only waits with an empty queue: a wake-up (a system call) is needed
            // for the first record only.
            if state.queue.len() == 1 {
                self.wake.notify_one();
            }
        }
        pending.map_or(Ok(()), Err)
    }

    /// Marks `sent` records (of `bytes` bytes in all) as done and wakes flushers.
    pub(crate) fn finish(&self, state: &mut State, sent: usize, bytes: usize) {
        state.records -= sent;
        state.bytes -= bytes;
        state.finished += sent as u64;
        self.progress.notify_all();
    }
}

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many forks this process descends from since the first sink was built: a queue made in
/// an earlier generation belongs to an ancestor.
pub(crate) fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}

/// Counts forks from now on (once per process): a child handler of `pthread_atfork` bumps the
/// generation, which costs the child one atomic add and the parent nothing.
pub(crate) fn watch_forks() {
    static ONCE: Once = Once::new();
    extern "C" fn in_child() {
        FORK_GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    ONCE.call_once(|| {
        // SAFETY: registers a handler that only does an atomic add, which is async-signal-safe
        // as a child handler must be. It can only fail for lack of memory, at the first sink's
        // build; forks are then not watched, which nothing else depends on.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
}
