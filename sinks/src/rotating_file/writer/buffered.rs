//! [`FlushPolicy::Buffered`](super::FlushPolicy::Buffered): lines wait in their thread's
//! buffer; the writer writes every thread's lines, merged by record time, when a buffer is
//! full, when the timer fires, before a new date, and on `flush`, `shutdown` and drop.
//!
//! Roll-overs happen as the merged lines are written, line by line, so the files hold the
//! same lines as if every record had been written at once.

use std::mem;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, PoisonError};

use logtree_core::{Error, UnixTime};

use super::thread_buffers::{self, merged, Buffered, Lines, ThreadBuffer, View};
use super::{keep_first, State, Writer};
use crate::rotating_file::flush::{FlushPolicy, Timer};

impl Writer {
    /// Buffers `line` in this thread's buffer without the writer's lock, when nothing else
    /// must be done first.
    #[inline]
    pub(super) fn try_buffer(
        &self,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
    ) -> Option<Buffered> {
        thread_buffers::try_push(self.key, line, at, capacity, &*self.settings.clock)
    }

    /// Finishes a line buffered without the lock: the first line of a buffer schedules it.
    pub(super) fn buffered(&self, buffered: Buffered) -> Result<(), Error> {
        if buffered != Buffered::First {
            return Ok(());
        }
        if self.arm_timer() {
            return Ok(());
        }
        let mut s = self.exclusive();
        self.write_buffers(&mut s)?;
        self.take_pending().map_or(Ok(()), Err)
    }

    /// Buffers `line` with the lock held: in this thread's buffer (registering it first),
    /// after writing every buffer if it is full. A line too large for a buffer, or logged
    /// while the thread's locals are torn down, is written at once, after every buffer.
    ///
    /// A file closed by a failure is reopened first, as with every record written at once:
    /// if that fails, the line is not buffered (the caller reports it lost).
    pub(super) fn buffer_locked(
        &self,
        s: &mut State,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
        deferred: &mut Option<Error>,
    ) -> Result<(), Error> {
        s.current.ensure_open(&self.dir)?;
        let own = if line.len() < capacity {
            thread_buffers::own(self.key, || {
                let buffer = Arc::new(ThreadBuffer::new(view(s)));
                s.threads.push(Arc::clone(&buffer));
                buffer
            })
        } else {
            None
        };
        let Some(own) = own else {
            self.write_buffers(s)?;
            return self.write_now(s, line, deferred);
        };
        let (pushed, written) = match own.push_locked(line, at, capacity, &view(s)) {
            Some(pushed) => (pushed, Ok(())),
            None => {
                // Even when this write fails, it takes the buffer's lines (they wait with the
                // failed ones, within the bound): the line still goes in, and the failure is
                // reported without losing it.
                let written = self.write_buffers(s);
                let pushed = own
                    .push_locked(line, at, capacity, &view(s))
                    .expect("an emptied buffer takes any line shorter than its capacity");
                (pushed, written)
            }
        };
        if pushed == Buffered::First && !self.arm_timer() {
            return written.and(self.write_buffers(s));
        }
        written
    }

    /// Makes sure the buffers are written in time, starting the background thread if need
    /// be: within the interval ([`FlushPolicy::Buffered`]), or as soon as it can
    /// ([`FlushPolicy::Background`]). False when there is no thread to bound the wait (it
    /// could not be started): the caller writes the buffers now instead.
    pub(super) fn arm_timer(&self) -> bool {
        let mut slot = self.timer_slot();
        if slot.timer.is_none() && !slot.failed {
            match Timer::spawn(self.me.clone(), self.settings.policy, &self.signal) {
                Ok(timer) => slot.timer = Some(timer),
                Err(_) => slot.failed = true,
            }
        }
        match (&slot.timer, self.settings.policy) {
            (Some(_), FlushPolicy::Buffered { interval, .. }) => {
                self.signal.arm_in(interval);
                true
            }
            (Some(_), _) => {
                self.signal.wake(true, false);
                true
            }
            (None, _) => false,
        }
    }

    /// Stops the timer thread; a later buffered record starts a new one. Called without the
    /// state's lock: the thread may be waiting for it.
    pub(super) fn stop_timer(&self) {
        let timer = self.timer_slot().timer.take();
        if let Some(timer) = timer {
            timer.stop();
        }
    }

    // Nothing panics while the lock is held.
    pub(super) fn timer_slot(&self) -> MutexGuard<'_, TimerSlot> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the lines of a failed write, then every thread's lines, merged by record time.
    ///
    /// Every thread's lines are taken even when the write fails: they then wait with the
    /// failed ones (so that the buffer of a thread that ended is freed), within
    /// [`PENDING_LIMIT`] bytes; past it the oldest are dropped and counted, and once writing
    /// works again a line in the file says how many, before the lines that follow them
    /// (and the count is returned as [`Error::RecordsDropped`]).
    ///
    /// # Errors
    /// A failed write: the lines not written are kept and written first next time. A failed
    /// roll-over is returned after everything is written.
    pub(super) fn write_buffers(&self, s: &mut State) -> Result<(), Error> {
        s.dropped += self.overflowed.swap(0, Ordering::Relaxed);
        if s.retry.is_empty() && s.threads.is_empty() && s.dropped == 0 {
            return Ok(());
        }
        // Other processes append to the file: write under the cross-process lock.
        let _held = s.current.hold(&self.dir)?;
        let mut deferred = None;
        let notice = self.write_drop_notice(s);
        let mut runs = mem::take(&mut s.runs);
        runs.resize_with(s.threads.len(), Lines::default);
        let view = view(s);
        // A buffer no thread holds any more is emptied one last time and dropped. Whether it
        // is held is asked before its lines are taken: a thread that still held it then may
        // add lines after, which the next flush takes.
        let mut index = 0;
        s.threads.retain(|buffer| {
            let in_use = thread_buffers::in_use(buffer);
            buffer.take(&mut runs[index], &view);
            index += 1;
            in_use
        });
        let written = match notice {
            // The notice could not be written: nor can anything else now; all of it waits.
            Err(err) => {
                merged(&runs).for_each(|(at, line)| {
                    s.retry.push(line, at);
                });
                Err(err)
            }
            Ok(()) if s.retry.is_empty() => self.write_runs(s, &runs, &mut deferred),
            Ok(()) => {
                // The lines of a failed write are older than any buffered one: first, in
                // their order, then the buffered ones merged.
                let retry = mem::take(&mut s.retry);
                let lines = retry.iter().chain(merged(&runs));
                let written = self.write_merged(s, lines, &mut deferred);
                s.spare = retry;
                s.spare.clear();
                written
            }
        };
        // Storage is kept for the threads still logging only: that of threads which ended
        // goes now, or a burst of short-lived threads would leave a storage each behind.
        runs.truncate(s.threads.len());
        let capacity = self.settings.policy.capacity().unwrap_or(0);
        for run in &mut runs {
            run.clear_and_ready(capacity);
        }
        s.runs = runs;
        let dropped = s.retry.drop_oldest(PENDING_LIMIT);
        s.dropped += dropped;
        written.and_then(|()| deferred.map_or(Ok(()), Err))
    }

    /// Writes the line that counts the records dropped since the last one, if any were: when
    /// it is in the file, the count is reported (kept for the caller) and starts again.
    fn write_drop_notice(&self, s: &mut State) -> Result<(), Error> {
        if s.dropped == 0 {
            return Ok(());
        }
        let line = drop_notice(s.dropped);
        let mut deferred = None;
        if self.settings.trigger.exceeded(s.current.size(), line.len()) {
            keep_first(&mut deferred, self.roll(s, line.len()));
        }
        s.current.append(&self.dir, line.as_bytes())?;
        let report = Error::RecordsDropped {
            target: s.current.path.display().to_string(),
            records: mem::take(&mut s.dropped),
            reason: format!(
                "more waited to be written than the bound allows (a writer behind with Overflow::Drop, or {PENDING_LIMIT} bytes of lines waiting for writes that failed); a line in the file says how many"
            ),
        };
        if let Some(err) = deferred {
            self.defer(err);
        }
        self.defer(report);
        Ok(())
    }

    /// Writes the lines of `runs` in time order, rolling over between lines as each needs.
    fn write_runs(
        &self,
        s: &mut State,
        runs: &[Lines],
        deferred: &mut Option<Error>,
    ) -> Result<(), Error> {
        let mut nonempty = runs.iter().filter(|run| !run.is_empty());
        match (nonempty.next(), nonempty.next()) {
            (None, _) => Ok(()),
            // One thread's lines that all fit: written as they are, without a copy.
            (Some(run), None)
                if self
                    .settings
                    .trigger
                    .holds(s.current.size(), run.bytes().len()) =>
            {
                s.current.append(&self.dir, run.bytes()).inspect_err(|_| {
                    run.iter().for_each(|(at, line)| {
                        s.retry.push(line, at);
                    });
                })
            }
            _ => self.write_merged(s, merged(runs), deferred),
        }
    }

    /// Writes `lines` through `s.out`, rolling over before a line that does not fit. After a
    /// failed write, the lines not written go to `s.retry`, in order.
    fn write_merged<'a>(
        &self,
        s: &mut State,
        mut lines: impl Iterator<Item = (UnixTime, &'a [u8])>,
        deferred: &mut Option<Error>,
    ) -> Result<(), Error> {
        let mut failed = None;
        for (at, line) in lines.by_ref() {
            let size = s.current.size() + s.out.bytes().len() as u64;
            if self.settings.trigger.exceeded(size, line.len()) {
                if let Err(err) = self.write_out(s) {
                    failed = Some(err);
                    s.retry.push(line, at);
                    break;
                }
                keep_first(deferred, self.roll(s, line.len()));
            }
            s.out.push(line, at);
            if s.out.bytes().len() >= WRITE_SIZE {
                if let Err(err) = self.write_out(s) {
                    failed = Some(err);
                    break;
                }
            }
        }
        let failed = match failed {
            Some(err) => Some(err),
            None => self.write_out(s).err(),
        };
        match failed {
            None => Ok(()),
            Some(err) => {
                lines.for_each(|(at, line)| {
                    s.retry.push(line, at);
                });
                Err(err)
            }
        }
    }

    /// Writes `s.out`; after a failed write its lines go to the front of `s.retry`.
    fn write_out(&self, s: &mut State) -> Result<(), Error> {
        let written = s.current.append(&self.dir, s.out.bytes());
        if written.is_err() {
            let mut retry = mem::take(&mut s.spare);
            retry.clear();
            s.out.iter().chain(s.retry.iter()).for_each(|(at, line)| {
                retry.push(line, at);
            });
            s.spare = mem::replace(&mut s.retry, retry);
        }
        s.out.clear();
        written
    }
}

/// The most bytes of merged lines written with one `write`: one of many megabytes (the
/// buffers of many threads) is copied into the page cache several times slower here.
const WRITE_SIZE: usize = 256 * 1024;

/// The most bytes of lines that wait for a failed write to be retried (a full disk, say),
/// besides what the threads' buffers hold: past it the oldest are dropped and counted.
pub(crate) const PENDING_LIMIT: usize = 1024 * 1024;

/// The line that stands in the file for `count` dropped records.
fn drop_notice(count: u64) -> String {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
    format!("{now} - logtree - ERROR - logtree dropped {count} records (more waited to be written than the bound allows)\n")
}

/// The timer thread of a buffering writer, once started.
#[derive(Default)]
pub(super) struct TimerSlot {
    pub(super) timer: Option<Timer>,
    /// The thread could not be started: buffers are written as soon as they hold a line.
    failed: bool,
}

/// The state a thread needs to buffer lines on its own.
fn view(s: &State) -> View {
    View {
        check_window: s.check_window.clone(),
        next_date_change: s.next_date_change,
    }
}
