//! The background sender: one thread per sink and process, which takes everything queued,
//! sends it in order, and on a failure keeps it, backs off and reconnects.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logtree_core::Error;

use super::queue::{Channel, QueueLimits};
use super::transport::Transport;

/// What a sender needs besides its queue; shared by the sink and its thread.
pub(crate) struct SenderSpec {
    /// Names the destination in errors (`syslog tcp://127.0.0.1:514`).
    pub(crate) target: String,
    /// A fresh, unconnected transport.
    pub(crate) transport: Box<dyn Fn() -> Box<dyn Transport> + Send + Sync>,
    /// The message telling the daemon how many records were dropped, for process `pid`.
    pub(crate) drop_notice: Box<dyn Fn(u64, u32) -> Option<Vec<u8>> + Send + Sync>,
    pub(crate) limits: QueueLimits,
    /// The first and the longest wait between reconnection attempts.
    pub(crate) backoff: (Duration, Duration),
    /// The longest a flush (and so a shutdown) waits for the queue to drain.
    pub(crate) flush_timeout: Duration,
}

/// The thread's body: runs until `shutdown` sets `stopping` and everything queued is sent or,
/// with the daemon unreachable, given up.
pub(crate) fn run(channel: Arc<Channel>, spec: Arc<SenderSpec>) {
    let mut transport = (spec.transport)();
    let mut batch: VecDeque<Vec<u8>> = VecDeque::new();
    let mut backoff = spec.backoff.0;
    loop {
        let stopping = {
            let mut state = channel.lock();
            if batch.is_empty() {
                while state.queue.is_empty() && !state.stopping {
                    state = channel
                        .wake
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                if state.queue.is_empty() {
                    return;
                }
                std::mem::swap(&mut batch, &mut state.queue);
            }
            state.stopping
        };
        let failure = match connect_and_send(&mut *transport, &mut batch, &channel, &spec) {
            Ok(()) => {
                backoff = spec.backoff.0;
                send_drop_notice(&mut *transport, &channel, &spec);
                continue;
            }
            Err(err) => err,
        };
        transport.disconnect();
        let mut state = channel.lock();
        state.last_failure = Some(failure.to_string());
        if !state.outage_reported {
            state.outage_reported = true;
            state.error = Some(Error::Write {
                target: spec.target.clone(),
                source: io::Error::new(
                    failure.kind(),
                    format!("{failure}; records wait in the queue and are sent on reconnection"),
                ),
            });
        }
        if stopping {
            // Shutting down with the daemon unreachable: what is left cannot be sent.
            let left: Vec<Vec<u8>> = batch.drain(..).chain(state.queue.drain(..)).collect();
            let bytes = left.iter().map(Vec::len).sum();
            state.abandoned += left.len() as u64;
            channel.finish(&mut state, left.len(), bytes);
            return;
        }
        let _ = channel
            .wake
            .wait_timeout_while(state, backoff, |state| !state.stopping)
            .map_err(|poisoned| poisoned.into_inner());
        backoff = (backoff * 2).min(spec.backoff.1);
    }
}

/// Connects if needed and sends `batch`, removing what went out (or what can never go out:
/// a message too large for the socket, dropped and counted).
fn connect_and_send(
    transport: &mut dyn Transport,
    batch: &mut VecDeque<Vec<u8>>,
    channel: &Channel,
    spec: &SenderSpec,
) -> io::Result<()> {
    while !batch.is_empty() {
        if !transport.connected() {
            transport.connect()?;
        }
        let result = transport.send(batch.make_contiguous());
        let sent = match &result {
            Ok(()) => batch.len(),
            Err((sent, _)) => *sent,
        };
        let bytes = batch.drain(..sent).map(|record| record.len()).sum();
        let mut state = channel.lock();
        channel.finish(&mut state, sent, bytes);
        match result {
            Ok(()) => {
                if std::mem::take(&mut state.outage_reported) {
                    // Nobody logged during the outage: it cost no record (a drop is reported on
                    // its own), so there is nothing to tell late.
                    state.error = None;
                }
                state.last_failure = None;
            }
            Err((_, err)) if err.raw_os_error() == Some(libc::EMSGSIZE) => {
                // Larger than the socket takes (its limit is below the sink's size limit):
                // sending it again would fail again.
                let record_len = batch.pop_front().map_or(0, |record| record.len());
                channel.finish(&mut state, 1, record_len);
                if state.dropped == 0 {
                    state.drops_after = state.accepted;
                }
                state.dropped += 1;
                state.error = Some(Error::Write {
                    target: spec.target.clone(),
                    source: io::Error::new(
                        err.kind(),
                        format!("a {record_len}-byte message was dropped: {err}; lower max_message_bytes"),
                    ),
                });
            }
            Err((_, err)) => return Err(err),
        }
    }
    Ok(())
}

/// Once the daemon takes records again, tells it how many were dropped meanwhile.
fn send_drop_notice(transport: &mut dyn Transport, channel: &Channel, spec: &SenderSpec) {
    let dropped = {
        let mut state = channel.lock();
        if state.finished < state.drops_after {
            return;
        }
        std::mem::take(&mut state.dropped)
    };
    if dropped == 0 {
        return;
    }
    let sent = (spec.drop_notice)(dropped, channel.pid)
        .is_some_and(|notice| transport.send(&[notice]).is_ok());
    let mut state = channel.lock();
    if sent {
        state.drop_reported = false;
    } else {
        state.dropped += dropped;
    }
}

/// Waits until every record accepted before the call is sent or given up, for at most
/// `timeout`.
pub(crate) fn wait_drained(
    channel: &Channel,
    spec: &SenderSpec,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    let mut state = channel.lock();
    let target = state.accepted;
    while state.finished < target {
        let now = Instant::now();
        if now >= deadline || state.thread.is_none() {
            let waiting = target - state.finished;
            let why = state
                .last_failure
                .as_deref()
                .map(|f| format!(" (last failure: {f})"))
                .unwrap_or_default();
            return Err(Error::Flush {
                target: spec.target.clone(),
                source: io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{waiting} records still queued after {timeout:?}{why}"),
                ),
            });
        }
        state = channel
            .progress
            .wait_timeout(state, deadline - now)
            .map(|(state, _)| state)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
    state.error.take().map_or(Ok(()), Err)
}
