//! [`FlushPolicy::Buffered`](super::FlushPolicy::Buffered): lines wait in their thread's
//! buffer; the writer writes every thread's lines, merged by record time, when a buffer is
//! full, when the timer fires, before a new date, and on `flush`, `shutdown` and drop.
//!
//! Roll-overs happen as the merged lines are written, line by line, so the files hold the
//! same lines as if every record had been written at once.

use std::mem;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

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
        let (Buffered::First, FlushPolicy::Buffered { interval, .. }) =
            (buffered, self.settings.policy)
        else {
            return Ok(());
        };
        if self.arm_timer(interval) {
            return Ok(());
        }
        let mut s = self.exclusive();
        self.write_buffers(&mut s)?;
        self.take_pending(&mut s).map_or(Ok(()), Err)
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
        interval: Duration,
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
        let pushed = match own.push_locked(line, at, capacity, &view(s)) {
            Some(pushed) => pushed,
            None => {
                self.write_buffers(s)?;
                own.push_locked(line, at, capacity, &view(s))
                    .expect("an emptied buffer takes any line shorter than its capacity")
            }
        };
        if pushed == Buffered::First && !self.arm_timer(interval) {
            return self.write_buffers(s);
        }
        Ok(())
    }

    /// Makes sure the buffers are written within `interval`, starting the timer thread if
    /// need be. False when there is no thread to bound the wait (it could not be started):
    /// the caller writes the buffers now instead.
    fn arm_timer(&self, interval: Duration) -> bool {
        let mut slot = self.timer_slot();
        if slot.timer.is_none() && !slot.failed {
            match Timer::spawn(self.me.clone(), interval) {
                Ok(timer) => slot.timer = Some(timer),
                Err(_) => slot.failed = true,
            }
        }
        match &slot.timer {
            Some(timer) => {
                timer.arm_in(interval);
                true
            }
            None => false,
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
    fn timer_slot(&self) -> MutexGuard<'_, TimerSlot> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the lines of a failed write, then every thread's lines, merged by record time.
    ///
    /// # Errors
    /// A failed write: the lines not written are kept and written first next time (and no
    /// thread's lines are taken while they cannot be written). A failed roll-over is returned
    /// after everything is written.
    pub(super) fn write_buffers(&self, s: &mut State) -> Result<(), Error> {
        let _held = s.current.hold(&self.dir)?;
        if !s.retry.is_empty() {
            s.current.append(&self.dir, &s.retry)?;
            s.retry.clear();
        }
        if s.threads.is_empty() {
            return Ok(());
        }
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
        let written = self.write_runs(s, &runs);
        for run in &mut runs {
            run.clear();
        }
        s.runs = runs;
        written
    }

    /// Writes the lines of `runs` in time order, rolling over between lines as each needs.
    fn write_runs(&self, s: &mut State, runs: &[Lines]) -> Result<(), Error> {
        let mut deferred = None;
        let mut nonempty = runs.iter().filter(|run| !run.is_empty());
        let written = match (nonempty.next(), nonempty.next()) {
            (None, _) => Ok(()),
            // One thread's lines that all fit: written as they are, without a copy.
            (Some(run), None)
                if self
                    .settings
                    .trigger
                    .holds(s.current.size(), run.bytes().len()) =>
            {
                s.current.append(&self.dir, run.bytes()).inspect_err(|_| {
                    s.retry.extend_from_slice(run.bytes());
                })
            }
            _ => self.write_merged(s, merged(runs), &mut deferred),
        };
        written.and_then(|()| deferred.map_or(Ok(()), Err))
    }

    /// Writes `lines` through `s.out`, rolling over before a line that does not fit. After a
    /// failed write, the lines not written go to `s.retry`.
    fn write_merged<'a>(
        &self,
        s: &mut State,
        mut lines: impl Iterator<Item = &'a [u8]>,
        deferred: &mut Option<Error>,
    ) -> Result<(), Error> {
        let mut failed = None;
        for line in lines.by_ref() {
            let size = s.current.size() + s.out.len() as u64;
            if self.settings.trigger.exceeded(size, line.len()) {
                if let Err(err) = self.write_out(s) {
                    failed = Some(err);
                    s.retry.extend_from_slice(line);
                    break;
                }
                keep_first(deferred, self.roll(s, line.len()));
            }
            s.out.extend_from_slice(line);
        }
        let failed = match failed {
            Some(err) => Some(err),
            None => self.write_out(s).err(),
        };
        match failed {
            None => Ok(()),
            Some(err) => {
                lines.for_each(|line| s.retry.extend_from_slice(line));
                Err(err)
            }
        }
    }

    /// Writes `s.out`; after a failed write its lines go to the front of `s.retry`.
    fn write_out(&self, s: &mut State) -> Result<(), Error> {
        let written = s.current.append(&self.dir, &s.out);
        if written.is_err() {
            s.retry.splice(0..0, s.out.iter().copied());
        }
        s.out.clear();
        written
    }
}

/// The timer thread of a buffering writer, once started.
#[derive(Default)]
pub(super) struct TimerSlot {
    timer: Option<Timer>,
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
