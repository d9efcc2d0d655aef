//! The writer behind all sinks of one file: the open file, its byte count, the buffers and the
//! roll-over, under one lock held only to write finished lines.
//!
//! The lock is a read-write lock. With [`FlushPolicy::EveryRecord`] a line is written with it
//! shared, so threads are in `write(2)` at the same time (the file is `O_APPEND`; see
//! [`Current::write_shared`]). With [`FlushPolicy::Buffered`] a line goes to the thread's own
//! buffer without it (see [`thread_buffers`]). Everything else holds it exclusively, which
//! waits for the writes in flight: a roll-over, a new date, the check that the file is still
//! there, a reopen, settling a failed write, a deferred error to return, writing the buffers.
//! A line that cannot take its policy's way takes the exclusive way.

mod buffered;
mod thread_buffers;

use std::fs;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{Duration, SystemTime};

use logtree_core::{Error, SinkId, UnixTime};

use super::clock::Clock;
use super::create::Modes;
use super::current::{check_writable, Current, Shared};
use super::flush::FlushPolicy;
use super::naming::{file_path, local_date};
use super::policy::Policies;
use super::roller::Roller;
use super::trigger::Trigger;
use buffered::TimerSlot;
use thread_buffers::{Lines, ThreadBuffer};

/// How often the sink checks that its file is still at its path (one `stat`). Between checks,
/// records go to a file deleted or moved away; a deleted one's are written again to the new
/// file when the check finds it gone.
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
    /// Time rotation, retention and compression.
    pub(crate) policies: Policies,
}

pub(crate) struct Writer {
    id: SinkId,
    dir: PathBuf,
    stem: String,
    settings: Settings,
    state: RwLock<State>,
    /// Whether `State::pending` holds an error, read without the lock.
    has_pending: AtomicBool,
    /// Tells this writer's buffers apart in a thread's list of its buffers.
    key: u64,
    /// The thread that writes the buffers in time (`FlushPolicy::Buffered` only). Apart from
    /// the state, so that a thread scheduling its buffer never waits for a write under way.
    timer: Mutex<TimerSlot>,
    /// Handed to the timer thread, which must not keep the writer alive.
    me: Weak<Writer>,
}

struct State {
    current: Current,
    /// Every thread's buffer (`FlushPolicy::Buffered` only).
    threads: Vec<Arc<ThreadBuffer>>,
    /// Storage swapped with the threads' buffers when their lines are taken.
    runs: Vec<Lines>,
    /// The merged lines of the threads, as they go to the file.
    out: Vec<u8>,
    /// Lines whose write failed, written first by the next flush.
    retry: Vec<u8>,
    next_date_change: Option<SystemTime>,
    /// Records stamped within it skip the check that the file is still at its path.
    check_window: Range<UnixTime>,
    /// A failure no caller saw yet (from the timer thread, or one of two at once): the next
    /// `write` or `flush` returns it.
    pending: Option<Error>,
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
        let mut out = Vec::new();
        if let FlushPolicy::Buffered { capacity, .. } = settings.policy {
            // Reserved once here, so that merging the threads' lines rarely allocates (and an
            // impossible capacity is refused at setup).
            out.try_reserve_exact(capacity)
                .map_err(|e| Error::InvalidOption {
                    option: "flush_policy".to_owned(),
                    reason: format!("cannot allocate a buffer of {capacity} bytes: {e}"),
                })?;
        }
        let state = State {
            next_date_change: settings.trigger.next_date_change(now),
            current,
            threads: Vec::new(),
            runs: Vec::new(),
            out,
            retry: Vec::new(),
            check_window: check_window(UnixTime::from(now)),
            pending: None,
        };
        static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
        Ok(Arc::new_cyclic(|me| Writer {
            id: SinkId::new(state.current.path.to_string_lossy()),
            dir,
            stem: stem.to_owned(),
            settings,
            state: RwLock::new(state),
            has_pending: AtomicBool::new(false),
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            timer: Mutex::default(),
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
                "backup_count",
                mine.roller != other.roller,
                format!("{}", mine.roller.backup_count),
            ),
            (
                "flush_policy",
                mine.policy != other.policy,
                format!("{:?}", mine.policy),
            ),
            (
                "rotate",
                mine.policies.schedule.rotation != other.policies.schedule.rotation,
                format!("{:?}", mine.policies.schedule.rotation),
            ),
            (
                "utc",
                mine.policies.schedule.utc != other.policies.schedule.utc,
                format!("{}", mine.policies.schedule.utc),
            ),
            (
                "max_files",
                mine.policies.retention.max_files != other.policies.retention.max_files,
                format!("{}", mine.policies.retention.max_files),
            ),
            (
                "max_age",
                mine.policies.retention.max_age != other.policies.retention.max_age,
                format!("{:?}", mine.policies.retention.max_age),
            ),
            (
                "max_total_size",
                mine.policies.retention.max_total_size != other.policies.retention.max_total_size,
                format!("{}", mine.policies.retention.max_total_size),
            ),
            (
                "compress",
                mine.policies.compression != other.policies.compression,
                format!("{:?}", mine.policies.compression),
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
    pub(crate) fn write(&self, line: &[u8], at: UnixTime) -> Result<(), Error> {
        match self.settings.policy {
            FlushPolicy::EveryRecord => self.write_every_record(line, at),
            FlushPolicy::Buffered { capacity, .. } => {
                if !self.has_pending.load(Ordering::Relaxed) {
                    if let Some(buffered) = self.try_buffer(line, at, capacity) {
                        return self.buffered(buffered);
                    }
                }
                self.write_exclusive(line, at)
            }
        }
    }

    fn write_every_record(&self, line: &[u8], at: UnixTime) -> Result<(), Error> {
        let s = self.shared();
        if !self.has_pending.load(Ordering::Relaxed)
            && !self.date_change_due(&s)
            && !check_due(&s, at)
        {
            match s.current.write_shared(self.settings.trigger, line) {
                Shared::Written => return Ok(()),
                Shared::Exclusive => {}
                Shared::Failed(failure) => {
                    drop(s);
                    let mut s = self.exclusive();
                    s.current.settle(failure, line)?;
                    return self.take_pending(&mut s).map_or(Ok(()), Err);
                }
            }
        }
        drop(s);
        self.write_exclusive(line, at)
    }

    /// [`write`](Writer::write) with the lock held exclusively: everything a record may need
    /// done first is done here, then the line is written or buffered.
    fn write_exclusive(&self, line: &[u8], at: UnixTime) -> Result<(), Error> {
        let mut guard = self.exclusive();
        let s = &mut *guard;
        let mut deferred = None;
        if self.date_change_due(s) {
            keep_first(&mut deferred, self.start_new_date(s));
        }
        if check_due(s, at) {
            s.check_window = check_window(at);
            keep_first(&mut deferred, s.current.check(&self.dir));
        }
        let written = match self.settings.policy {
            FlushPolicy::EveryRecord => self.write_now(s, line, &mut deferred),
            FlushPolicy::Buffered { capacity, interval } => {
                self.buffer_locked(s, line, at, capacity, interval, &mut deferred)
            }
        };
        match written {
            Ok(()) => deferred
                .or_else(|| self.take_pending(s))
                .map_or(Ok(()), Err),
            Err(err) => {
                if let Some(later) = deferred {
                    self.defer(s, later);
                }
                Err(err)
            }
        }
    }

    /// Writes `line` to the file now, rolling over first if it does not fit.
    fn write_now(
        &self,
        s: &mut State,
        line: &[u8],
        deferred: &mut Option<Error>,
    ) -> Result<(), Error> {
        s.current.ensure_open(&self.dir)?;
        if self.settings.trigger.exceeded(s.current.size(), line.len()) {
            keep_first(deferred, self.roll(s));
        }
        s.current.append(&self.dir, line)
    }

    /// Keeps `err` for the next `write` or `flush` to return.
    fn defer(&self, s: &mut State, err: Error) {
        s.pending.get_or_insert(err);
        self.has_pending.store(true, Ordering::Relaxed);
    }

    /// The error kept for the caller, if any.
    fn take_pending(&self, s: &mut State) -> Option<Error> {
        let pending = s.pending.take();
        if pending.is_some() {
            self.has_pending.store(false, Ordering::Relaxed);
        }
        pending
    }

    /// Whether local midnight passed since the file was opened (when rolling at midnight).
    fn date_change_due(&self, s: &State) -> bool {
        s.next_date_change
            .is_some_and(|change| self.settings.clock.now() >= change)
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        let mut s = self.exclusive();
        self.write_buffers(&mut s)?;
        self.take_pending(&mut s).map_or(Ok(()), Err)
    }

    /// Flushes and stops the timer thread; a later buffered record starts a new one.
    pub(crate) fn shutdown(&self) -> Result<(), Error> {
        let result = {
            let mut s = self.exclusive();
            self.write_buffers(&mut s)
                .and_then(|()| self.take_pending(&mut s).map_or(Ok(()), Err))
        };
        // Outside the lock: the thread may be waiting for it.
        self.stop_timer();
        result
    }

    /// The timer thread's flush; true when records are still buffered (the write failed).
    pub(crate) fn flush_on_timer(&self) -> bool {
        let mut s = self.exclusive();
        if let Err(err) = self.write_buffers(&mut s) {
            self.defer(&mut s, err);
        }
        !s.retry.is_empty()
    }

    /// How many threads' buffers the writer keeps.
    #[cfg(test)]
    pub(crate) fn thread_buffers(&self) -> usize {
        self.shared().threads.len()
    }

    /// Whether a failure waits to be returned (tests wait for the timer's with it).
    #[cfg(test)]
    pub(crate) fn has_pending(&self) -> bool {
        self.has_pending.load(Ordering::Relaxed)
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

    /// Frees the file's name and opens a new file (buffered lines are written first by the
    /// caller). If the roller fails, the current file stays open and is appended to.
    fn roll(&self, s: &mut State) -> Result<(), Error> {
        if let Err(err) = self.settings.roller.roll(&s.current.path) {
            let gone = fs::symlink_metadata(&s.current.path)
                .is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
            if gone {
                // Closes the file, and writes again what it got since the last check; that
                // report follows the roll-over's.
                if let Err(report) = s.current.check(&self.dir) {
                    self.defer(s, report);
                }
            }
            return Err(err);
        }
        s.current.close();
        s.current.ensure_open(&self.dir)
    }

    /// Starts the file of the new local date; the old date's files keep their names.
    fn start_new_date(&self, s: &mut State) -> Result<(), Error> {
        self.write_buffers(s)?;
        let now = self.settings.clock.now();
        s.next_date_change = self.settings.trigger.next_date_change(now);
        s.current.path = file_path(&self.dir, &self.stem, local_date(now));
        s.current.close();
        s.current.ensure_open(&self.dir)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The last sink is gone and with it anyone to report to.
        let _ = self.write_buffers(&mut self.exclusive());
        self.stop_timer();
    }
}

/// Whether a record stamped `at` checks that the file is still at its path. The record's time
/// paces the check, so no clock is read per record; a record from before the last check (the
/// clock was set back) checks too.
fn check_due(s: &State, at: UnixTime) -> bool {
    !s.check_window.contains(&at)
}

/// The record times, from `at`, that need no check of the file. Empty (check every record)
/// for a time at the end of what `SystemTime` represents. Once a second: the conversions
/// cost nothing that matters.
fn check_window(at: UnixTime) -> Range<UnixTime> {
    let end = at.to_system_time().checked_add(CHECK_INTERVAL);
    at..end.map_or(at, UnixTime::from)
}

fn keep_first(slot: &mut Option<Error>, result: Result<(), Error>) {
    if let Err(err) = result {
        slot.get_or_insert(err);
    }
}
