//! Flush policies, and the timer thread that bounds how long a buffered record waits.

use std::sync::atomic::{fence, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use logtree_core::Error;

use super::writer::{Drained, Writer};

/// When a [`RotatingFileSink`](super::RotatingFileSink) hands records to the operating system.
///
/// Neither policy calls `fsync`: what reached the operating system survives the process
/// (a crash, `kill -9`), not a power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlushPolicy {
    /// Every record is written (one `write` of the whole line) before the log call returns.
    /// Nothing is ever lost when the process dies. The default.
    #[default]
    EveryRecord,
    /// Records collect in memory and are written together. A record waits at most about
    /// `interval` (a background thread writes the buffers), and the buffers are written when
    /// one is full, before the file of a new date starts, on
    /// [`Sink::flush`](logtree_core::Sink::flush), on
    /// [`Sink::shutdown`](logtree_core::Sink::shutdown), and when the last sink sharing the
    /// file is dropped.
    ///
    /// Each thread has a buffer of its own (of up to `capacity` bytes), so that threads
    /// logging at once do not wait for each other. The buffers are written together, their
    /// lines merged by record time: the file is in time order, each thread's records in the
    /// order it logged them. Roll-overs happen as the lines are written, at the same lines
    /// as if each record had been written at once.
    ///
    /// When the process ends:
    /// - In the process-wide tree ([`LoggerTree::setup`](logtree_core::LoggerTree::setup)),
    ///   buffered records are written on a panic, on a return from `main` and on
    ///   `std::process::exit`: logtree-core flushes that tree from its panic hook and an
    ///   `atexit` handler. Only `kill -9` (and an abort) lose records, up to `interval` of them.
    /// - A sink in a tree of your own ([`LoggerTree::new`](logtree_core::LoggerTree::new)) is
    ///   written on the tree's `flush()`, `shutdown()` and drop; nothing else flushes it when
    ///   the process ends (`std::process::exit` runs no destructor), so flush or shut the tree
    ///   down first.
    Buffered {
        /// Size of each thread's buffer in bytes; a record at least this large is written
        /// directly (after what is buffered).
        capacity: usize,
        /// The longest a record waits in the buffer.
        interval: Duration,
    },
    /// The log call only formats the record and copies it into its thread's buffer; a
    /// background thread (one per file) does every write, roll-over and check, so a call
    /// never waits for the disk. Records are written as soon as that thread gets to them
    /// (within about a millisecond while records keep coming), in time order as with
    /// [`Buffered`](FlushPolicy::Buffered), and on the same occasions (`flush`, shutdown,
    /// drop, the end of the process).
    ///
    /// Memory is bounded: each thread's buffer holds at most `capacity` bytes. When the
    /// writer falls behind (a slow disk) and a buffer is full, `overflow` decides: wait for
    /// room ([`Overflow::Block`], the default: nothing is lost), or drop the record
    /// ([`Overflow::Drop`]: the call never waits; the records dropped are counted, the count
    /// is written into the file as a line of its own, `… logtree dropped 1234 records …`, and
    /// reported as [`Error::RecordsDropped`]).
    ///
    /// A record of `capacity` bytes or more is written by the caller (after what is
    /// buffered), as is the first record of each thread (which registers its buffer).
    Background {
        /// Size of each thread's buffer in bytes.
        capacity: usize,
        /// What a call does when its thread's buffer is full.
        overflow: Overflow,
    },
}

/// What a log call does under [`FlushPolicy::Background`] when its thread's buffer is full
/// because the writer's thread fell behind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Wait until the writer's thread has taken the buffer's lines: nothing is lost.
    #[default]
    Block,
    /// Drop the record and count it: the call never waits for the disk. The count is
    /// written into the file and reported as [`Error::RecordsDropped`].
    Drop,
}

impl FlushPolicy {
    /// [`FlushPolicy::Buffered`] with a 64 KiB buffer flushed at least once a second.
    pub const fn buffered() -> FlushPolicy {
        FlushPolicy::Buffered {
            capacity: 64 * 1024,
            interval: Duration::from_secs(1),
        }
    }

    /// [`FlushPolicy::Background`] with a buffer of at most 1 MiB per thread (it grows as
    /// lines wait) that blocks when full.
    ///
    /// Why 1 MiB: the writer's thread lets lines gather for about a millisecond, in which one
    /// busy thread logs a few hundred KiB; a buffer that fills within that wakes the thread
    /// from the caller (a system call) or blocks it. Measured in `bench/`'s latency workload
    /// (1 thread, 1,000,000 calls): p99.9 12.8 µs with 64 KiB, 0.95 µs with 1 MiB.
    pub const fn background() -> FlushPolicy {
        FlushPolicy::Background {
            capacity: 1024 * 1024,
            overflow: Overflow::Block,
        }
    }

    /// Each thread's buffer size, for the policies that buffer.
    pub(crate) fn capacity(&self) -> Option<usize> {
        match *self {
            FlushPolicy::EveryRecord => None,
            FlushPolicy::Buffered { capacity, .. } | FlushPolicy::Background { capacity, .. } => {
                Some(capacity)
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let reason = match *self {
            FlushPolicy::Buffered { capacity: 0, .. }
            | FlushPolicy::Background { capacity: 0, .. } => "the buffer capacity is 0",
            FlushPolicy::Buffered { interval, .. } if interval.is_zero() => {
                "the flush interval is 0"
            }
            _ => return Ok(()),
        };
        Err(Error::InvalidOption {
            option: "flush_policy".to_owned(),
            reason: reason.to_owned(),
        })
    }
}

/// The background thread of a buffering writer. It holds the writer weakly, so the writer is
/// dropped (and flushed) when its last sink goes; it sleeps on a condition variable with no
/// timeout while the buffer is empty.
pub(crate) struct Timer {
    signal: Arc<Signal>,
    thread: JoinHandle<()>,
    /// The start this thread belongs to (see `SignalState::epoch`).
    epoch: u64,
}

/// How callers and a writer's background thread reach each other. One per writer, kept
/// across the thread's stops and restarts, so that callers reach it without a lock.
#[derive(Default)]
pub(crate) struct Signal {
    state: Mutex<SignalState>,
    wake: Condvar,
    /// Background writing: notified after each drain, for callers waiting for room.
    drained: Condvar,
    /// Background writing: [`BUSY`], [`NAPPING`] or [`IDLE`].
    mode: AtomicU8,
}

#[derive(Default)]
struct SignalState {
    /// When the oldest buffered record must be written.
    deadline: Option<Instant>,
    /// Background writing: lines wait (a caller saw the thread asleep).
    work: bool,
    /// Background writing: how many times the thread took the buffers' lines (callers
    /// waiting for room wait for this to change).
    drains: u64,
    /// Bumped to stop the thread started under the previous value (a thread of a later start
    /// keeps running: a record may restart the thread while the old one is being stopped).
    epoch: u64,
}

/// What the background writer is doing, read by callers without a lock (see
/// [`Timer::wake`]).
const BUSY: u8 = 0;
/// Waiting a little for lines to gather: woken when a buffer is half full.
const NAPPING: u8 = 1;
/// Waiting for any line: woken by the first line of a buffer.
const IDLE: u8 = 2;

/// How long the background writer lets lines gather after writing some: long enough that
/// a write carries many lines, short enough that a record waits about a millisecond.
const NAP: Duration = Duration::from_millis(1);
/// How long it waits before trying a failed write again, and between checks of the file
/// (a new date, the file deleted) while no records come.
const IDLE_CHECK: Duration = Duration::from_millis(500);

impl Signal {
    fn lock(&self) -> MutexGuard<'_, SignalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes sure the buffer is flushed within `interval`: sets the deadline `interval` from
    /// now, unless one is set. An interval too long to represent sets none: the buffer then
    /// waits for the other flushes.
    pub(crate) fn arm_in(&self, interval: Duration) {
        let Some(deadline) = Instant::now().checked_add(interval) else {
            return;
        };
        let mut state = self.lock();
        if state.deadline.is_none() {
            state.deadline = Some(deadline);
            self.wake.notify_one();
        }
    }

    /// Wakes the background writer for lines just buffered: the first of a buffer wakes it
    /// when idle, a buffer half full when it lets lines gather. A fence and a relaxed load
    /// when it is busy.
    #[inline]
    pub(crate) fn wake(&self, first: bool, half_full: bool) {
        fence(Ordering::SeqCst);
        let mode = self.mode.load(Ordering::Relaxed);
        if (mode == IDLE && first) || (mode != BUSY && half_full) {
            self.wake_now();
        }
    }

    /// Waits until the background writer has taken the buffers' lines once more (a caller
    /// whose buffer is full), at most `limit`.
    pub(crate) fn wait_for_drain(&self, limit: Duration) {
        let mut state = self.lock();
        let seen = state.drains;
        state.work = true;
        self.wake.notify_one();
        let deadline = Instant::now() + limit;
        while state.drains == seen {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            state = self
                .drained
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Background writing: asks the thread to drain now.
    fn wake_now(&self) {
        let mut state = self.lock();
        state.work = true;
        self.wake.notify_one();
    }

    /// Background writing: one drain done; wakes the callers waiting for room.
    fn drained(&self) {
        self.lock().drains += 1;
        self.drained.notify_all();
    }

    /// Background writing: sleeps until woken, `wait` passes, or the thread of `epoch` is
    /// stopped (false).
    fn sleep(&self, wait: Option<Duration>, epoch: u64) -> bool {
        let mut state = self.lock();
        let deadline = wait.and_then(|wait| Instant::now().checked_add(wait));
        while !state.work && state.epoch == epoch {
            state = match deadline {
                None => self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    self.wake
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        state.work = false;
        state.epoch == epoch
    }

    /// Waits until the deadline passes (true) or the thread of `epoch` is stopped (false).
    fn wait_due(&self, epoch: u64) -> bool {
        let mut state = self.lock();
        loop {
            if state.epoch != epoch {
                return false;
            }
            state = match state.deadline {
                None => self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        state.deadline = None;
                        return true;
                    }
                    self.wake
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

impl Timer {
    /// Starts the thread for `writer`: with [`FlushPolicy::Buffered`] it writes the buffers
    /// `interval` after their first line; with [`FlushPolicy::Background`] it writes them as
    /// lines come.
    pub(crate) fn spawn(
        writer: Weak<Writer>,
        policy: FlushPolicy,
        signal: &Arc<Signal>,
    ) -> std::io::Result<Timer> {
        // A thread still running (being stopped) is superseded: it ends at its next look.
        let epoch = {
            let mut state = signal.lock();
            state.epoch += 1;
            state.epoch
        };
        let signal = Arc::clone(signal);
        let thread_signal = Arc::clone(&signal);
        let thread = thread::Builder::new()
            .name("logtree-flush".to_owned())
            .spawn(move || match policy {
                FlushPolicy::Buffered { interval, .. } => {
                    while thread_signal.wait_due(epoch) {
                        let Some(writer) = writer.upgrade() else {
                            return;
                        };
                        if writer.flush_on_timer() {
                            // The write failed and the records are still buffered: try again
                            // after another interval rather than wait for the next record.
                            thread_signal.arm_in(interval);
                        }
                    }
                }
                FlushPolicy::Background { capacity, .. } => loop {
                    let Some(writer) = writer.upgrade() else {
                        return;
                    };
                    let drained = writer.drain();
                    thread_signal.drained();
                    let (state, wait) = match drained {
                        Drained::Failed => (IDLE, Some(IDLE_CHECK)),
                        Drained::Wrote => (NAPPING, Some(NAP)),
                        Drained::Nothing => (IDLE, Some(IDLE_CHECK)),
                    };
                    // Past this point a caller that buffers sees the thread asleep and wakes
                    // it; lines buffered before it are seen here (both sides fence).
                    thread_signal.mode.store(state, Ordering::SeqCst);
                    fence(Ordering::SeqCst);
                    let ready = if state == NAPPING {
                        writer.buffered_at_least(capacity / 2)
                    } else {
                        drained != Drained::Failed && writer.buffered_at_least(1)
                    };
                    drop(writer);
                    if !ready && !thread_signal.sleep(wait, epoch) {
                        return;
                    }
                    thread_signal.mode.store(BUSY, Ordering::SeqCst);
                    if thread_signal.lock().epoch != epoch {
                        return;
                    }
                },
                FlushPolicy::EveryRecord => {}
            })?;
        Ok(Timer {
            signal,
            thread,
            epoch,
        })
    }

    /// Stops the thread and waits for it, unless called from the thread itself (its last
    /// reference to the writer may be the one being dropped).
    pub(crate) fn stop(self) {
        {
            let mut state = self.signal.lock();
            if state.epoch == self.epoch {
                state.epoch += 1;
            }
        }
        self.signal.wake.notify_one();
        self.signal.drained.notify_all();
        if self.thread.thread().id() != thread::current().id() {
            // The thread only flushes and returns; a panic there has nothing left to report.
            let _ = self.thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_buffered_options_are_refused() {
        assert!(FlushPolicy::EveryRecord.validate().is_ok());
        assert!(FlushPolicy::buffered().validate().is_ok());
        for bad in [
            FlushPolicy::Buffered {
                capacity: 0,
                interval: Duration::from_secs(1),
            },
            FlushPolicy::Buffered {
                capacity: 10,
                interval: Duration::ZERO,
            },
        ] {
            let err = bad.validate().unwrap_err();
            assert!(
                matches!(&err, Error::InvalidOption { option, .. } if option == "flush_policy"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_signal_fires_once_its_deadline_passes_and_stops_on_request() {
        let signal = Signal::default();
        signal.arm_in(Duration::ZERO);
        assert!(signal.wait_due(0));
        signal.arm_in(Duration::MAX);
        assert_eq!(signal.lock().deadline, None, "too far to represent: never");
        signal.lock().epoch = 1;
        assert!(!signal.wait_due(0));
    }
}
