//! The writer behind all sinks of one file: the open file, its byte count, the buffer and the
//! roll-over, under one lock held only to write finished lines.
//!
//! The lock is a read-write lock. With [`FlushPolicy::EveryRecord`] a line is written with it
//! shared, so threads are in `write(2)` at the same time (the file is `O_APPEND`; see
//! [`Current::write_shared`]); everything else holds it exclusively, which waits for the
//! writes in flight: a roll-over, a new date, the check that the file is still there, a
//! reopen, settling a failed write, a deferred error to return, and the buffer of
//! [`FlushPolicy::Buffered`]. A line that cannot be written shared takes the exclusive way,
//! the same code whatever the policy.

use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{Duration, SystemTime};

use logtree_core::{Error, SinkId};

use super::clock::Clock;
use super::create::Modes;
use super::current::{check_writable, Current, Shared};
use super::flush::{FlushPolicy, Timer};
use super::naming::{file_path, local_date};
use super::roller::Roller;
use super::trigger::Trigger;

/// How often the sink checks that its file is still at its path (one `stat`). Between checks,
/// records written to a file deleted or moved away are lost with it.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// What a writer was opened with; sinks that share the writer must agree on it.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) trigger: Trigger,
    pub(crate) roller: Roller,
    pub(crate) policy: FlushPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    /// Permissions of the files and directories the sink creates.
    pub(crate) modes: Modes,
}

pub(crate) struct Writer {
    id: SinkId,
    dir: PathBuf,
    stem: String,
    settings: Settings,
    state: RwLock<State>,
    /// Handed to the timer thread, which must not keep the writer alive.
    me: Weak<Writer>,
}

struct State {
    current: Current,
    /// Records not yet written (`FlushPolicy::Buffered` only).
    buffer: Vec<u8>,
    next_date_change: Option<SystemTime>,
    /// Records stamped within it skip the check that the file is still at its path.
    check_window: Range<SystemTime>,
    /// A failure no caller saw yet (from the timer thread, or one of two at once): the next
    /// `write` or `flush` returns it.
    pending: Option<Error>,
    timer: Option<Timer>,
    timer_failed: bool,
}

impl Writer {
    /// Opens (or creates) today's file in `dir`, which exists and is canonical.
    pub(crate) fn create(
        dir: PathBuf,
        stem: &str,
        settings: Settings,
    ) -> Result<Arc<Writer>, Error> {
        let now = settings.clock.now();
        let path = file_path(&dir, stem, local_date(now));
        check_writable(&dir, &path)?;
        let mut current = Current::new(path, settings.modes);
        current.ensure_open(&dir)?;
        let mut buffer = Vec::new();
        if let FlushPolicy::Buffered { capacity, .. } = settings.policy {
            // Reserved once here, so that buffering a record never allocates.
            buffer
                .try_reserve_exact(capacity)
                .map_err(|e| Error::InvalidOption {
                    option: "flush_policy".to_owned(),
                    reason: format!("cannot allocate a buffer of {capacity} bytes: {e}"),
                })?;
        }
        let state = State {
            next_date_change: settings.trigger.next_date_change(now),
            current,
            buffer,
            check_window: check_window(now),
            pending: None,
            timer: None,
            timer_failed: false,
        };
        Ok(Arc::new_cyclic(|me| Writer {
            id: SinkId::new(state.current.path.to_string_lossy()),
            dir,
            stem: stem.to_owned(),
            settings,
            state: RwLock::new(state),
            me: me.clone(),
        }))
    }

    /// The canonical path of the file at setup: the identity of every sink sharing this writer.
    pub(crate) fn id(&self) -> &SinkId {
        &self.id
    }

    /// The file written now.
    pub(crate) fn current_path(&self) -> PathBuf {
        self.shared().current.path.clone()
    }

    /// Refuses to share this writer with a sink configured differently.
    pub(crate) fn check_settings(&self, other: &Settings) -> Result<(), Error> {
        let mine = &self.settings;
        let conflict = [
            (
                "max_bytes",
                mine.trigger.max_bytes != other.trigger.max_bytes,
                format!("{}", mine.trigger.max_bytes),
            ),
            (
                "roll_at_midnight",
                mine.trigger.at_midnight != other.trigger.at_midnight,
                format!("{}", mine.trigger.at_midnight),
            ),
            (
                "backup_count",
                mine.roller != other.roller,
                format!("{}", mine.roller.backup_count),
            ),
            (
                "flush_policy",
                mine.policy != other.policy,
                format!("{:?}", mine.policy),
            ),
            #[cfg(unix)]
            (
                "mode",
                mine.modes.file != other.modes.file,
                format!("{:#o}", mine.modes.file),
            ),
            #[cfg(unix)]
            (
                "dir_mode",
                mine.modes.dir != other.modes.dir,
                format!("{:#o}", mine.modes.dir),
            ),
        ]
        .into_iter()
        .find(|(_, differs, _)| *differs);
        match conflict {
            None => Ok(()),
            Some((option, _, value)) => Err(Error::InvalidOption {
                option: option.to_owned(),
                reason: format!(
                    "{} is already open in this process with {option} = {value}; sinks of one file share its writer and must agree",
                    self.id
                ),
            }),
        }
    }

    /// Writes (or buffers) one formatted line; `at` is the record's time.
    ///
    /// Failures that do not stop this line (a roll-over that could not rename, a file found
    /// deleted and recreated) are returned after the line is written.
    pub(crate) fn write(&self, line: &[u8], at: SystemTime) -> Result<(), Error> {
        if self.settings.policy == FlushPolicy::EveryRecord {
            let s = self.shared();
            if s.pending.is_none() && !self.date_change_due(&s) && !check_due(&s, at) {
                match s.current.write_shared(self.settings.trigger, line) {
                    Shared::Written => return Ok(()),
                    Shared::Exclusive => {}
                    Shared::Failed(failure) => {
                        drop(s);
                        let mut s = self.exclusive();
                        s.current.settle(failure, line)?;
                        return s.pending.take().map_or(Ok(()), Err);
                    }
                }
            }
        }
        self.write_exclusive(line, at)
    }

    /// [`write`](Writer::write) with the lock held exclusively: everything a record may need
    /// done first is done here, then the line is written or buffered.
    fn write_exclusive(&self, line: &[u8], at: SystemTime) -> Result<(), Error> {
        let mut guard = self.exclusive();
        let s = &mut *guard;
        let mut deferred = None;
        if self.date_change_due(s) {
            keep_first(&mut deferred, self.start_new_date(s));
        }
        if check_due(s, at) {
            s.check_window = check_window(at);
            keep_first(&mut deferred, s.current.check());
        }
        let written = s.current.ensure_open(&self.dir).and_then(|()| {
            if self.settings.trigger.exceeded(s.size(), line.len()) {
                keep_first(&mut deferred, self.roll(s));
            }
            self.put(s, line)
        });
        match written {
            Ok(()) => deferred.or_else(|| s.pending.take()).map_or(Ok(()), Err),
            Err(err) => {
                if let Some(later) = deferred {
                    s.pending.get_or_insert(later);
                }
                Err(err)
            }
        }
    }

    /// Whether local midnight passed since the file was opened (when rolling at midnight).
    fn date_change_due(&self, s: &State) -> bool {
        s.next_date_change
            .is_some_and(|change| self.settings.clock.now() >= change)
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        let mut s = self.exclusive();
        s.flush_buffer(&self.dir)?;
        s.pending.take().map_or(Ok(()), Err)
    }

    /// Flushes and stops the timer thread; a later buffered record starts a new one.
    pub(crate) fn shutdown(&self) -> Result<(), Error> {
        let (result, timer) = {
            let mut s = self.exclusive();
            let result = s
                .flush_buffer(&self.dir)
                .and_then(|()| s.pending.take().map_or(Ok(()), Err));
            (result, s.timer.take())
        };
        // Outside the lock: the thread may be waiting for it.
        if let Some(timer) = timer {
            timer.stop();
        }
        result
    }

    /// The timer thread's flush; true when records are still buffered (the write failed).
    pub(crate) fn flush_on_timer(&self) -> bool {
        let mut s = self.exclusive();
        if let Err(err) = s.flush_buffer(&self.dir) {
            s.pending.get_or_insert(err);
        }
        !s.buffer.is_empty()
    }

    /// Whether a failure waits to be returned (tests wait for the timer's with it).
    #[cfg(test)]
    pub(crate) fn has_pending(&self) -> bool {
        self.shared().pending.is_some()
    }

    // Nothing panics while the lock is held; should a panic poison it anyway, the state is
    // still consistent between records.

    /// The lock shared: for writing a line (and reading the state).
    fn shared(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lock held exclusively: for changing the state; waits for the writes in flight.
    fn exclusive(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn put(&self, s: &mut State, line: &[u8]) -> Result<(), Error> {
        let FlushPolicy::Buffered { capacity, interval } = self.settings.policy else {
            return s.current.append(&self.dir, line);
        };
        if s.buffer.len() + line.len() > capacity {
            s.flush_buffer(&self.dir)?;
        }
        if line.len() >= capacity {
            return s.current.append(&self.dir, line);
        }
        let was_empty = s.buffer.is_empty();
        s.buffer.extend_from_slice(line);
        if was_empty {
            self.arm_timer(s, interval)?;
        }
        Ok(())
    }

    fn arm_timer(&self, s: &mut State, interval: Duration) -> Result<(), Error> {
        if s.timer.is_none() && !s.timer_failed {
            match Timer::spawn(self.me.clone(), interval) {
                Ok(timer) => s.timer = Some(timer),
                Err(_) => s.timer_failed = true,
            }
        }
        match &s.timer {
            Some(timer) => {
                timer.arm_in(interval);
                Ok(())
            }
            // No thread to bound the wait: write through instead.
            None => s.flush_buffer(&self.dir),
        }
    }

    /// Buffered records go to the old file first; then the file's name is freed and a new
    /// file opened. If the roller fails, the current file stays open and is appended to.
    fn roll(&self, s: &mut State) -> Result<(), Error> {
        s.flush_buffer(&self.dir)?;
        if let Err(err) = self.settings.roller.roll(&s.current.path) {
            let gone = fs::symlink_metadata(&s.current.path)
                .is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
            if gone {
                s.current.close();
            }
            return Err(err);
        }
        s.current.close();
        s.current.ensure_open(&self.dir)
    }

    /// Starts the file of the new local date; the old date's files keep their names.
    fn start_new_date(&self, s: &mut State) -> Result<(), Error> {
        s.flush_buffer(&self.dir)?;
        let now = self.settings.clock.now();
        s.next_date_change = self.settings.trigger.next_date_change(now);
        s.current.path = file_path(&self.dir, &self.stem, local_date(now));
        s.current.close();
        s.current.ensure_open(&self.dir)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        // The last sink is gone and with it anyone to report to.
        let _ = state.flush_buffer(&self.dir);
        if let Some(timer) = state.timer.take() {
            timer.stop();
        }
    }
}

impl State {
    /// The size the file will have once the buffer is written.
    fn size(&self) -> u64 {
        self.current.size() + self.buffer.len() as u64
    }

    fn flush_buffer(&mut self, dir: &Path) -> Result<(), Error> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.current.append(dir, &self.buffer)?;
        self.buffer.clear();
        Ok(())
    }
}

/// Whether a record stamped `at` checks that the file is still at its path. The record's time
/// paces the check, so no clock is read per record; a record from before the last check (the
/// clock was set back) checks too.
fn check_due(s: &State, at: SystemTime) -> bool {
    !s.check_window.contains(&at)
}

/// The record times, from `at`, that need no check of the file. Empty (check every record)
/// for a time at the end of what `SystemTime` represents.
fn check_window(at: SystemTime) -> Range<SystemTime> {
    at..at.checked_add(CHECK_INTERVAL).unwrap_or(at)
}

fn keep_first(slot: &mut Option<Error>, result: Result<(), Error>) {
    if let Err(err) = result {
        slot.get_or_insert(err);
    }
}
