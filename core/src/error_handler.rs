//! What the tree does with failures at log time.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Error, SinkId};

/// Receives the failures of sinks at log time (a full disk, a deleted directory, a panicking
/// sink). Logging never returns these to the caller; the tree hands them here and goes on.
pub type ErrorHandler = dyn Fn(&Error) + Send + Sync;

/// An error handler that is also told which sink failed: `Some` of its [`SinkId`] for a
/// failure of a sink's `log`, `flush` or `shutdown` (a panic included), `None` for a failure
/// that is no sink's. Set with [`LoggerTree::set_sink_error_handler`](crate::LoggerTree::set_sink_error_handler).
pub type SinkErrorHandler = dyn Fn(&Error, Option<&SinkId>) + Send + Sync;

/// The default error handler: one line per failure on stderr, at most one line per interval;
/// the failures it holds back are counted and the count is printed with the next line.
///
/// ```
/// use logtree_core::{Error, StderrErrorHandler};
/// let handler = StderrErrorHandler::default();
/// handler.report(&Error::FacadeTaken); // printed
/// handler.report(&Error::FacadeTaken); // held back and counted
/// assert_eq!(handler.suppressed(), 1);
/// ```
#[derive(Debug)]
pub struct StderrErrorHandler {
    interval: Duration,
    state: Mutex<RateState>,
}

#[derive(Debug, Default)]
struct RateState {
    last_printed: Option<Instant>,
    suppressed: u64,
}

impl StderrErrorHandler {
    /// A handler that prints at most one line per `interval`.
    pub fn new(interval: Duration) -> StderrErrorHandler {
        StderrErrorHandler {
            interval,
            state: Mutex::new(RateState::default()),
        }
    }

    /// Prints `err` unless a line was printed less than one interval ago.
    pub fn report(&self, err: &Error) {
        let now = Instant::now();
        let held_back = {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = state
                .last_printed
                .is_none_or(|last| now.duration_since(last) >= self.interval);
            if !due {
                state.suppressed += 1;
                return;
            }
            state.last_printed = Some(now);
            std::mem::take(&mut state.suppressed)
        };
        // A failing stderr has nowhere left to report to: ignore it rather than panic.
        let mut stderr = std::io::stderr().lock();
        let _ = if held_back > 0 {
            writeln!(stderr, "logtree: {err} ({held_back} more errors held back)")
        } else {
            writeln!(stderr, "logtree: {err}")
        };
    }

    /// How many failures are held back since the last printed line.
    pub fn suppressed(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .suppressed
    }
}

impl Default for StderrErrorHandler {
    /// One line per second at most.
    fn default() -> StderrErrorHandler {
        StderrErrorHandler::new(Duration::from_secs(1))
    }
}
