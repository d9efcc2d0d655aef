//! Flush policies, and the timer thread that bounds how long a buffered record waits.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use logtree_core::Error;

use super::writer::Writer;

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
}

impl FlushPolicy {
    /// [`FlushPolicy::Buffered`] with a 64 KiB buffer flushed at least once a second.
    pub const fn buffered() -> FlushPolicy {
        FlushPolicy::Buffered {
            capacity: 64 * 1024,
            interval: Duration::from_secs(1),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let reason = match *self {
            FlushPolicy::Buffered { capacity: 0, .. } => "the buffer capacity is 0",
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
}

#[derive(Default)]
struct Signal {
    state: Mutex<SignalState>,
    wake: Condvar,
}

#[derive(Default)]
struct SignalState {
    /// When the oldest buffered record must be written.
    deadline: Option<Instant>,
    stop: bool,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, SignalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the deadline `interval` from now, unless one is set. An interval too long to
    /// represent sets none: the buffer then waits for the other flushes.
    fn arm_in(&self, interval: Duration) {
        let Some(deadline) = Instant::now().checked_add(interval) else {
            return;
        };
        let mut state = self.lock();
        if state.deadline.is_none() {
            state.deadline = Some(deadline);
            self.wake.notify_one();
        }
    }

    /// Waits until the deadline passes (true) or the timer is stopped (false).
    fn wait_due(&self) -> bool {
        let mut state = self.lock();
        loop {
            if state.stop {
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
    /// Starts the thread for `writer`.
    pub(crate) fn spawn(writer: Weak<Writer>, interval: Duration) -> std::io::Result<Timer> {
        let signal = Arc::new(Signal::default());
        let thread_signal = Arc::clone(&signal);
        let thread = thread::Builder::new()
            .name("logtree-flush".to_owned())
            .spawn(move || {
                while thread_signal.wait_due() {
                    let Some(writer) = writer.upgrade() else {
                        return;
                    };
                    if writer.flush_on_timer() {
                        // The write failed and the records are still buffered: try again
                        // after another interval rather than wait for the next record.
                        thread_signal.arm_in(interval);
                    }
                }
            })?;
        Ok(Timer { signal, thread })
    }

    /// Makes sure the buffer is flushed within `interval` (an earlier deadline already set
    /// stays).
    pub(crate) fn arm_in(&self, interval: Duration) {
        self.signal.arm_in(interval);
    }

    /// Stops the thread and waits for it, unless called from the thread itself (its last
    /// reference to the writer may be the one being dropped).
    pub(crate) fn stop(self) {
        self.signal.lock().stop = true;
        self.signal.wake.notify_one();
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
        assert!(signal.wait_due());
        signal.arm_in(Duration::MAX);
        assert_eq!(signal.lock().deadline, None, "too far to represent: never");
        signal.lock().stop = true;
        assert!(!signal.wait_due());
    }
}
