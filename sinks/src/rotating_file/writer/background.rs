//! [`FlushPolicy::Background`](super::FlushPolicy::Background): a log call only copies its
//! line into its thread's buffer; the writer's background thread takes every
//! buffer's lines and writes them, merged by time, with the roll-overs and checks they need.
//!
//! The call takes no lock but its own buffer's (which the thread takes only to swap the
//! storage), and makes no system call unless it wakes the thread: the first line of a buffer
//! wakes it when idle, a buffer half full when it lets lines gather.

use std::sync::atomic::Ordering;
use std::time::Duration;

use logtree_core::{Error, UnixTime};

use super::thread_buffers::{self, Buffered, Offered};
use super::{check_due, check_window, keep_first, Writer};
use crate::rotating_file::flush::Overflow;

/// How long a blocked caller waits for one drain before looking again (the thread may have
/// been stopped, or a flush may have taken the lines).
const BLOCKED_WAIT: Duration = Duration::from_millis(50);

/// What a drain of the background thread did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Nothing waited.
    Nothing,
    /// Lines were written.
    Wrote,
    /// A write failed: the lines wait (within the bound) for the next try.
    Failed,
}

impl Writer {
    /// Buffers `line` for the background thread; see the module's documentation.
    #[inline]
    pub(super) fn write_background(
        &self,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
        overflow: Overflow,
    ) -> Result<(), Error> {
        loop {
            match thread_buffers::offer(self.key, line, at, capacity, &*self.settings.clock) {
                Offered::Taken(buffered, filled) => {
                    self.wake_writer(buffered == Buffered::First, filled >= capacity / 2);
                    break;
                }
                Offered::Full => match overflow {
                    Overflow::Drop => {
                        self.overflowed.fetch_add(1, Ordering::Relaxed);
                        self.wake_writer(false, true);
                        break;
                    }
                    Overflow::Block => {
                        if !self.wait_for_room() {
                            // No thread to wait for: write it all now.
                            return self.write_exclusive(line, at);
                        }
                    }
                },
                // The first line of this thread (it registers its buffer), a line too large
                // for a buffer, or one logged while the thread's locals are torn down.
                Offered::NoBuffer => return self.write_exclusive(line, at),
            }
        }
        self.take_pending().map_or(Ok(()), Err)
    }

    /// Tells the background thread about lines just buffered (see [`Signal::wake`]).
    ///
    /// [`Signal::wake`]: crate::rotating_file::flush::Signal::wake
    #[inline]
    fn wake_writer(&self, first: bool, half_full: bool) {
        if first {
            // Starts the thread again if a shutdown stopped it (a lock once per drain).
            self.arm_timer();
        } else {
            self.signal.wake(first, half_full);
        }
    }

    /// Waits until the background thread has drained the buffers once more; false when
    /// there is no thread to wait for.
    fn wait_for_room(&self) -> bool {
        if self.timer_slot().timer.is_none() {
            return false;
        }
        self.signal.wait_for_drain(BLOCKED_WAIT);
        true
    }

    /// The background thread's turn: a new date or a file gone are seen to, then every
    /// buffer's lines are written.
    pub(crate) fn drain(&self) -> Drained {
        let mut guard = self.exclusive();
        let s = &mut *guard;
        let mut deferred = None;
        let now = self.settings.clock.now();
        if self.date_change_due(s, now) {
            keep_first(&mut deferred, self.start_new_date(s));
        }
        let now = UnixTime::from(now);
        if check_due(s, now) {
            s.check_window = check_window(now);
            keep_first(&mut deferred, s.current.check(&self.dir));
        }
        let before = s.current.size();
        let written = self.write_buffers(s);
        let failed = written.is_err() || !s.retry.is_empty();
        keep_first(&mut deferred, written);
        if let Some(err) = deferred {
            self.defer(err);
        }
        if failed {
            Drained::Failed
        } else if s.current.size() != before {
            Drained::Wrote
        } else {
            Drained::Nothing
        }
    }

    /// Whether some thread's buffer holds at least `bytes` bytes.
    pub(crate) fn buffered_at_least(&self, bytes: usize) -> bool {
        let bytes = bytes.max(1);
        self.shared()
            .threads
            .iter()
            .any(|buffer| buffer.filled() >= bytes)
    }
}
