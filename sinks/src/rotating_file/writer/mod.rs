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

mod archive;
use archive::{ArchiveJobs, SETTLE_WAIT};
mod background;
mod buffered;
mod thread_buffers;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak,
};
use std::time::{Duration, SystemTime};

use logtree_core::{Error, SinkId, UnixTime};

use super::clock::Clock;
use super::create::Modes;
use super::current::{check_writable, Current, Shared};
use super::dir::LogDir;
use super::flush::{FlushPolicy, Signal};
use super::policy::Archiver;
use super::policy::Policies;
use super::policy::{Rotation, Stager};
use super::trigger::Trigger;
pub(crate) use background::Drained;
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
    /// Numbered backups kept per period (`0`: size roll-overs are off).
    pub(crate) backup_count: u32,
    pub(crate) policy: FlushPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    /// Permissions of the files and directories the sink creates.
    pub(crate) modes: Modes,
    /// Write under the cross-process lock from the start.
    pub(crate) multi_process: bool,
    /// Time rotation, retention and compression.
    pub(crate) policies: Policies,
}

pub(crate) struct Writer {
    id: SinkId,
    dir: LogDir,
    stem: String,
    settings: Settings,
    state: RwLock<State>,
    /// A failure no caller saw yet (from the background thread, or one of two at once): the
    /// next `write` or `flush` returns it. Apart from the state, so that a caller that does
    /// not write (background writing) never waits for a write under way to get it.
    pending: Mutex<Option<Error>>,
    /// Whether `pending` holds an error, read without its lock.
    has_pending: AtomicBool,
    /// Tells this writer's buffers apart in a thread's list of its buffers.
    key: u64,
    /// The thread that writes the buffers in time (`FlushPolicy::Buffered` and
    /// `Background`). Apart from the state, so that a thread scheduling its buffer never
    /// waits for a write under way.
    timer: Mutex<TimerSlot>,
    /// How callers reach that thread without a lock.
    signal: Arc<Signal>,
    /// Records dropped by callers whose buffer was full (`Overflow::Drop`), not yet counted
    /// in the state.
    overflowed: AtomicU64,
    /// The archive thread: finishes roll-overs, deletes, compresses, applies retention.
    jobs: ArchiveJobs,
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
    out: Lines,
    /// Lines whose write failed, written first by the next flush (at most
    /// [`buffered::PENDING_LIMIT`] bytes: the oldest beyond are dropped and counted).
    retry: Lines,
    /// Storage for the next `retry`, so that retrying allocates nothing.
    spare: Lines,
    /// Records dropped from `retry` and not yet reported.
    dropped: u64,
    next_date_change: Option<SystemTime>,
    /// Gives the files a roll-over moves aside their staged names.
    stager: Stager,
    /// Records stamped within it skip the check that the file is still at its path.
    check_window: Range<UnixTime>,
}

impl Writer {
    /// Opens (or creates) today's file in `dir`, which exists and is canonical.
    pub(crate) fn create(
        dir: PathBuf,
        stem: &str,
        settings: Settings,
    ) -> Result<Arc<Writer>, Error> {
        let now = settings.clock.now();
        let dir = LogDir::open(&dir, settings.modes)?;
        let path = settings
            .policies
            .schedule
            .current_path(dir.path(), stem, now);
        check_writable(dir.path(), &path)?;
        let mut current = Current::new(path, settings.multi_process);
        current.ensure_open(&dir)?;
        let mut out = Lines::default();
        if let Some(capacity) = settings.policy.capacity() {
            // Reserved once here, so that merging the threads' lines rarely allocates (and an
            // impossible capacity is refused at setup).
            out.try_reserve(capacity)
                .map_err(|e| Error::InvalidOption {
                    option: "flush_policy".to_owned(),
                    reason: format!("cannot allocate a buffer of {capacity} bytes: {e}"),
                })?;
        }
        let state = State {
            next_date_change: next_period(&settings, now),
            stager: Stager::new(dir.path(), stem),
            current,
            threads: Vec::new(),
            runs: Vec::new(),
            out,
            retry: Lines::default(),
            spare: Lines::default(),
            dropped: 0,
            check_window: check_window(UnixTime::from(now)),
        };
        let archiver = Archiver::new(
            dir.path().to_owned(),
            stem,
            settings.policies,
            settings.backup_count,
        );
        let jobs = ArchiveJobs::new(archiver, Arc::clone(&settings.clock));
        // Finishes what an earlier run left (staged files, partial archives) and applies
        // retention, in the background.
        // (No run has failed yet: nothing to report.)
        let _ = jobs.request(state.current.path.clone());
        static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
        Ok(Arc::new_cyclic(|me| Writer {
            id: SinkId::new(state.current.path.to_string_lossy()),
            dir,
            stem: stem.to_owned(),
            settings,
            state: RwLock::new(state),
            pending: Mutex::new(None),
            has_pending: AtomicBool::new(false),
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            timer: Mutex::default(),
            signal: Arc::default(),
            overflowed: AtomicU64::new(0),
            jobs,
            me: me.clone(),
        }))
    }

    /// A writer of the same file for a forked child, with nothing pending (see `fork.rs`):
    /// the child's one for this file if another sink made it already.
    ///
    /// # Errors
    /// As [`super::RotatingFileSinkBuilder::build`]: the file cannot be opened again.
    pub(crate) fn reborn(&self) -> Result<Arc<Writer>, Error> {
        super::registry::writer(self.dir.path(), &self.stem, self.settings.clone())
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
                mine.backup_count != other.backup_count,
                format!("{}", mine.backup_count),
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
            (
                "multi_process",
                mine.multi_process != other.multi_process,
                format!("{}", mine.multi_process),
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
            FlushPolicy::Background { capacity, overflow } => {
                self.write_background(line, at, capacity, overflow)
            }
        }
    }

    fn write_every_record(&self, line: &[u8], at: UnixTime) -> Result<(), Error> {
        let s = self.shared();
        if !self.has_pending.load(Ordering::Relaxed)
            && !self.date_change_due(&s, self.settings.clock.record_time(at))
            && !check_due(&s, at)
        {
            match s.current.write_shared(self.settings.trigger, line) {
                Shared::Written => return Ok(()),
                Shared::Exclusive => {}
                Shared::Failed(failure) => {
                    drop(s);
                    let mut s = self.exclusive();
                    s.current.settle(failure, line)?;
                    return self.take_pending().map_or(Ok(()), Err);
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
        // The record's time, but never ahead of the clock: a record stamped in a later period
        // (another host's time, a hand-built record) must not start the period again and
        // again. The clock is read here only, on the locked path.
        let record_time = self.settings.clock.record_time(at);
        if self.date_change_due(s, record_time.min(self.settings.clock.now())) {
            keep_first(&mut deferred, self.start_new_date(s));
        }
        if check_due(s, at) {
            s.check_window = check_window(at);
            keep_first(&mut deferred, s.current.check(&self.dir));
        }
        let written = match self.settings.policy {
            FlushPolicy::EveryRecord => self.write_now(s, line, &mut deferred),
            FlushPolicy::Buffered { capacity, .. } | FlushPolicy::Background { capacity, .. } => {
                self.buffer_locked(s, line, at, capacity, &mut deferred)
            }
        };
        match written {
            Ok(()) => deferred.or_else(|| self.take_pending()).map_or(Ok(()), Err),
            Err(err) => {
                if let Some(later) = deferred {
                    self.defer(later);
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
        let _held = s.current.hold(&self.dir)?;
        s.current.ensure_open(&self.dir)?;
        if self.settings.trigger.exceeded(s.current.size(), line.len()) {
            keep_first(deferred, self.roll(s, line.len()));
        }
        s.current.append(&self.dir, line)
    }

    /// Keeps `err` for the next `write` or `flush` to return (the first of several).
    fn defer(&self, err: Error) {
        self.pending_slot().get_or_insert(err);
        self.has_pending.store(true, Ordering::Relaxed);
    }

    /// The error kept for the caller, if any.
    fn take_pending(&self) -> Option<Error> {
        if !self.has_pending.load(Ordering::Relaxed) {
            return None;
        }
        let mut slot = self.pending_slot();
        self.has_pending.store(false, Ordering::Relaxed);
        slot.take()
    }

    // Nothing panics while the lock is held.
    fn pending_slot(&self) -> MutexGuard<'_, Option<Error>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the next period (day or hour) has started at `now`.
    fn date_change_due(&self, s: &State, now: SystemTime) -> bool {
        s.next_date_change.is_some_and(|change| now >= change)
    }

    /// Writes what is buffered, and waits for the archive thread's runs asked for so far (so
    /// that backups have their final names).
    pub(crate) fn flush(&self) -> Result<(), Error> {
        {
            let mut s = self.exclusive();
            self.write_buffers(&mut s)?;
        }
        if let Some(err) = self.jobs.settle(SETTLE_WAIT) {
            self.defer(err);
        }
        self.take_pending().map_or(Ok(()), Err)
    }

    /// Writes what is buffered, closes the file and opens whatever is at its path now (a new
    /// file when an external rotation moved the old one away). The first failure is returned;
    /// the file is reopened anyway (or by the next write if that fails).
    pub(crate) fn reopen(&self) -> Result<(), Error> {
        let mut s = self.exclusive();
        let written = self.write_buffers(&mut s);
        s.current.close();
        let opened = s.current.ensure_open(&self.dir);
        written
            .and(opened)
            .and_then(|()| self.take_pending().map_or(Ok(()), Err))
    }

    /// Flushes and stops the timer thread; a later buffered record starts a new one.
    pub(crate) fn shutdown(&self) -> Result<(), Error> {
        let result = {
            let mut s = self.exclusive();
            self.write_buffers(&mut s)
                .and_then(|()| self.take_pending().map_or(Ok(()), Err))
        };
        // Outside the lock: the thread may be waiting for it.
        self.stop_timer();
        let archived = self.jobs.settle(SETTLE_WAIT);
        result.and(archived.map_or(Ok(()), Err))
    }

    /// The timer thread's flush; true when records are still buffered (the write failed).
    pub(crate) fn flush_on_timer(&self) -> bool {
        let mut s = self.exclusive();
        if let Err(err) = self.write_buffers(&mut s) {
            self.defer(err);
        }
        !s.retry.is_empty()
    }

    /// How many threads' buffers the writer keeps.
    #[cfg(test)]
    pub(crate) fn thread_buffers(&self) -> usize {
        self.shared().threads.len()
    }

    /// Holds the writer's lock until the guard drops: the writer is stuck, as on a disk that
    /// does not answer.
    #[cfg(test)]
    pub(crate) fn stall(&self) -> impl Sized + '_ {
        self.exclusive()
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

    /// Frees the file's name and opens a new file before a line of `len` bytes (buffered
    /// lines are written first by the caller), under the cross-process lock (see
    /// [`Current::roll_over`]). If the roller fails, the current file stays open and is
    /// appended to.
    fn roll(&self, s: &mut State, len: usize) -> Result<(), Error> {
        let trigger = self.settings.trigger;
        let stager = &mut s.stager;
        let rolled = s.current.roll_over(&self.dir, trigger, len, |path| {
            stager.stage(path).map(|_| ())
        });
        if rolled.is_ok() {
            // The backups' shift, the oldest's deletion and compression: on the archive
            // thread (a failure of an earlier run is reported now).
            if let Some(err) = self.jobs.request(s.current.path.clone()) {
                self.defer(err);
            }
        }
        if let Err(err) = rolled {
            if s.current.missing(&self.dir) {
                // Closes the file, and writes again what it got since the last check; that
                // report follows the roll-over's.
                if let Err(report) = s.current.check(&self.dir) {
                    self.defer(report);
                }
            }
            return Err(err);
        }
        Ok(())
    }

    /// Starts the file of the new period (day or hour); the old period's files keep their
    /// names, and the archive thread compresses them and applies retention.
    fn start_new_date(&self, s: &mut State) -> Result<(), Error> {
        self.write_buffers(s)?;
        let now = self.settings.clock.now();
        s.next_date_change = next_period(&self.settings, now);
        s.current.path =
            self.settings
                .policies
                .schedule
                .current_path(self.dir.path(), &self.stem, now);
        s.current.close();
        let opened = s.current.ensure_open(&self.dir);
        if let Some(err) = self.jobs.request(s.current.path.clone()) {
            self.defer(err);
        }
        opened
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The last sink is gone and with it anyone to report to.
        let _ = self.write_buffers(&mut self.exclusive());
        self.stop_timer();
        self.jobs.stop();
    }
}

/// When the next period (day or hour) starts, unless the file never changes its name.
fn next_period(settings: &Settings, now: SystemTime) -> Option<SystemTime> {
    let schedule = settings.policies.schedule;
    (schedule.rotation != Rotation::Never)
        .then(|| schedule.next_start(now))
        .flatten()
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
