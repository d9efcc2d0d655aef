//! The work a roll-over leaves for later, off the log call's path: a thread of the writer's
//! own runs the [`Archiver`] (staged roll-overs finished into `.1` … `.N`, the oldest
//! deleted, backups compressed, retention applied) whenever a roll-over or a new period asks.
//!
//! The caller that rolls over only renames the file to a staged name and opens a new one;
//! deleting a large backup or compressing it (milliseconds) happens here. `flush`, shutdown
//! and drop wait for the runs asked for so far, so that what a flush returns after is on disk
//! under its final names.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use logtree_core::Error;

use crate::rotating_file::clock::Clock;
use crate::rotating_file::policy::Archiver;

/// How long a flush waits for the runs asked for (a huge backup being compressed may take
/// longer: the flush then returns and the run goes on).
pub(crate) const SETTLE_WAIT: Duration = Duration::from_secs(30);

/// The archiver's thread of one writer, started at the first run asked for.
pub(crate) struct ArchiveJobs {
    archiver: Arc<Archiver>,
    clock: Arc<dyn Clock>,
    state: Arc<Jobs>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Jobs {
    queue: Mutex<Queue>,
    /// Wakes the thread (a run asked for, or stop).
    wake: Condvar,
    /// Wakes those waiting for the runs to be done.
    settled: Condvar,
}

#[derive(Default)]
struct Queue {
    /// The current file of the latest run asked for and not started (runs merge: each does
    /// everything there is to do).
    wanted: Option<PathBuf>,
    running: bool,
    stop: bool,
    /// Failures of runs not yet returned to a caller.
    failed: Option<Error>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ArchiveJobs {
    pub(crate) fn new(archiver: Archiver, clock: Arc<dyn Clock>) -> ArchiveJobs {
        ArchiveJobs {
            archiver: Arc::new(archiver),
            clock,
            state: Arc::default(),
            thread: Mutex::new(None),
        }
    }

    /// Asks for a run with `current` the file written now (it is never touched); starts the
    /// thread if need be. Should the thread not start, the run is made here. Returns the
    /// failure of an earlier run not returned yet.
    pub(crate) fn request(&self, current: PathBuf) -> Option<Error> {
        let failed = {
            let mut queue = self.state.lock();
            queue.wanted = Some(current);
            queue.failed.take()
        };
        self.state.wake.notify_one();
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if thread.as_ref().is_some_and(|t| !t.is_finished()) {
            return failed;
        }
        let (archiver, clock, state) = (
            Arc::clone(&self.archiver),
            Arc::clone(&self.clock),
            Arc::clone(&self.state),
        );
        let spawned = thread::Builder::new()
            .name("logtree-archive".to_owned())
            .spawn(move || work(&archiver, &*clock, &state));
        match spawned {
            Ok(handle) => *thread = Some(handle),
            Err(_) => {
                drop(thread);
                let wanted = self.state.lock().wanted.take();
                if let Some(current) = wanted {
                    if let Err(err) = self.archiver.run(&current, self.clock.now()) {
                        return failed.or(Some(err));
                    }
                }
            }
        }
        failed
    }

    /// Waits until every run asked for is done, at most `limit`; returns the first failure
    /// of those runs not returned yet.
    pub(crate) fn settle(&self, limit: Duration) -> Option<Error> {
        let deadline = Instant::now() + limit;
        let mut queue = self.state.lock();
        while queue.wanted.is_some() || queue.running {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || queue.stop {
                break;
            }
            queue = self
                .state
                .settled
                .wait_timeout(queue, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        queue.failed.take()
    }

    /// Finishes the runs asked for and stops the thread (unless called from it).
    pub(crate) fn stop(&self) {
        self.settle(SETTLE_WAIT);
        self.state.lock().stop = true;
        self.state.wake.notify_one();
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            if handle.thread().id() != thread::current().id() {
                // A panic there has nothing left to report.
                let _ = handle.join();
            }
        }
    }
}

/// The thread: runs while runs are asked for.
fn work(archiver: &Archiver, clock: &dyn Clock, jobs: &Jobs) {
    loop {
        let current = {
            let mut queue = jobs.lock();
            loop {
                if let Some(current) = queue.wanted.take() {
                    queue.running = true;
                    break current;
                }
                if queue.stop {
                    return;
                }
                queue = jobs
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let ran = archiver.run(&current, clock.now());
        let mut queue = jobs.lock();
        queue.running = false;
        if let Err(err) = ran {
            queue.failed.get_or_insert(err);
        }
        jobs.settled.notify_all();
    }
}
