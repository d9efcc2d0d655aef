//! The sink's handle on its queue and sender thread: started on the first record, stopped
//! by `shutdown`, started afresh in a forked child.

use std::io;
use std::sync::Arc;

use arc_swap::ArcSwap;
use logtree_core::Error;

use super::queue::{fork_generation, watch_forks, Channel};
use super::sender::{run, wait_drained, SenderSpec};

/// A queue and the thread that empties it.
pub(crate) struct Background {
    channel: ArcSwap<Channel>,
    pub(crate) spec: Arc<SenderSpec>,
    thread_name: &'static str,
}

impl Background {
    pub(crate) fn new(spec: SenderSpec, thread_name: &'static str) -> Background {
        watch_forks();
        Background {
            channel: ArcSwap::from_pointee(Channel::new()),
            spec: Arc::new(spec),
            thread_name,
        }
    }

    /// This process's queue. In a forked child the parent's queue (its records, its lock,
    /// its thread, which the child does not have) is left alone and a fresh one replaces it.
    pub(crate) fn channel(&self) -> Arc<Channel> {
        let current = self.channel.load();
        if current.generation == fork_generation() {
            return Arc::clone(&current);
        }
        // The parent's queue stays referenced by its (absent) thread and is never dropped
        // here: dropping it could meet a lock held at the fork.
        std::mem::forget(Arc::clone(&current));
        let fresh = Arc::new(Channel::new());
        self.channel.compare_and_swap(&*current, fresh);
        self.channel.load_full()
    }

    /// Formats a record with `encode` (given this process's id) and queues it: what a sink's
    /// `log` does.
    ///
    /// # Errors
    /// As `encode`, and as [`Background::send`].
    pub(crate) fn log(
        &self,
        encode: impl FnOnce(u32, &mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let channel = self.channel();
        let mut message = Vec::with_capacity(256);
        encode(channel.pid, &mut message)?;
        self.send(&channel, message)
    }

    /// Queues one formatted record, starting the sender if it is not running.
    ///
    /// # Errors
    /// The first drop of a run of drops, a failure the sender met since the last call, or a
    /// thread that cannot be started; the record is queued in the last two cases.
    pub(crate) fn send(&self, channel: &Arc<Channel>, record: Vec<u8>) -> Result<(), Error> {
        let mut state = channel.lock();
        let started = if state.thread.is_none() {
            let (channel, spec) = (Arc::clone(channel), Arc::clone(&self.spec));
            match std::thread::Builder::new()
                .name(self.thread_name.to_owned())
                .spawn(move || run(channel, spec))
            {
                Ok(handle) => {
                    state.thread = Some(handle);
                    Ok(())
                }
                Err(source) => Err(Error::Write {
                    target: self.spec.target.clone(),
                    source: io::Error::new(
                        source.kind(),
                        format!("cannot start the sender thread: {source}"),
                    ),
                }),
            }
        } else {
            Ok(())
        };
        let pushed = channel.push(&mut state, record, self.spec.limits, &self.spec.target);
        started.and(pushed)
    }

    /// Waits, at most the flush timeout, until what was queued before the call is sent.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        wait_drained(&self.channel(), &self.spec, self.spec.flush_timeout)
    }

    /// Flushes, then stops the thread: what it cannot send (daemon unreachable) is given up
    /// and counted in the error. A later record starts a new thread.
    pub(crate) fn shutdown(&self) -> Result<(), Error> {
        let channel = self.channel();
        let flushed = self.flush();
        let handle = {
            let mut state = channel.lock();
            state.stopping = true;
            channel.wake.notify_all();
            state.thread.take()
        };
        if let Some(handle) = handle {
            // The thread catches nothing: a panic there is a bug, already printed by the hook.
            let _ = handle.join();
        }
        let mut state = channel.lock();
        state.stopping = false;
        let abandoned = std::mem::take(&mut state.abandoned);
        if abandoned > 0 {
            let why = state.last_failure.clone().unwrap_or_default();
            return Err(Error::Write {
                target: self.spec.target.clone(),
                source: io::Error::new(
                    io::ErrorKind::NotConnected,
                    format!("{abandoned} queued records were not sent at shutdown: {why}"),
                ),
            });
        }
        flushed
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
