//! Buffered records of the process-wide tree reach the disk when the process ends: on a panic
//! (before unwinding or aborting), on a return from `main`, and on `std::process::exit`.
//!
//! The process-wide tree lives in a `static`, which Rust never drops, so nothing would flush
//! it otherwise. `kill -9` cannot be covered by any hook: sinks that must survive it write
//! every record before the log call returns (the default).

use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use super::LoggerTree;
use crate::Sink;

/// Installs the panic hook and the exit handler, once per process.
pub(super) fn flush_global_tree_at_exit() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // A panic inside a sink may hold that sink's lock: flushing from the same thread
            // would deadlock, and the tree catches that panic anyway.
            if !super::dispatch::dispatching_on_this_thread() {
                super::panic_log::log_panic(info);
                flush_global_tree();
            }
            previous(info);
        }));
        register_exit_handler();
    });
}

/// How long the end of the process waits for sinks to flush. A sink blocked for good (a full
/// pipe, a stuck custom sink) must not keep a panicking or exiting process alive.
const FLUSH_BUDGET: Duration = Duration::from_secs(2);

/// Flushes every sink of the process-wide tree, each on a thread of its own so that a stuck
/// sink costs the others nothing, and waits for them at most [`FLUSH_BUDGET`] in all.
fn flush_global_tree() {
    let shared = &LoggerTree::global().shared;
    let deadline = Instant::now() + FLUSH_BUDGET;
    let (done, finished) = mpsc::channel();
    let mut pending = 0;
    for sink in shared.all_sinks() {
        let (done, on_thread) = (done.clone(), Arc::clone(&sink));
        let spawned = thread::Builder::new()
            .name("logtree-exit-flush".into())
            .spawn(move || {
                flush_sink(&*on_thread);
                let _ = done.send(());
            });
        match spawned {
            Ok(_) => pending += 1,
            // No thread to be had: flush here, unbounded, rather than not at all.
            Err(_) => flush_sink(&*sink),
        }
    }
    while pending > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if finished.recv_timeout(left).is_err() {
            break;
        }
        pending -= 1;
    }
}

fn flush_sink(sink: &dyn Sink) {
    let shared = &LoggerTree::global().shared;
    // Failures go to the error handler; a panic here must not cross into the C runtime.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        if let Err(err) = shared.guarded(sink, || sink.flush()) {
            shared.report_for(sink, &err);
        }
    }));
}

#[cfg(any(unix, windows))]
fn register_exit_handler() {
    extern "C" fn at_exit() {
        flush_global_tree();
    }
    // SAFETY: `atexit` only stores the pointer of a function that lives for the whole program;
    // `at_exit` cannot unwind (it catches every panic).
    let _ = unsafe { libc::atexit(at_exit) };
}

#[cfg(not(any(unix, windows)))]
fn register_exit_handler() {}
