//! Buffered records of the process-wide tree reach the disk when the process ends: on a panic
//! (before unwinding or aborting), on a return from `main`, and on `std::process::exit`.
//!
//! The process-wide tree lives in a `static`, which Rust never drops, so nothing would flush
//! it otherwise. `kill -9` cannot be covered by any hook: sinks that must survive it write
//! every record before the log call returns (the default).

use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::LoggerTree;

/// Installs the panic hook and the exit handler, once per process.
pub(super) fn flush_global_tree_at_exit() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // A panic inside a sink may hold that sink's lock: flushing from the same thread
            // would deadlock, and the tree catches that panic anyway.
            if !super::dispatch::dispatching_on_this_thread() {
                flush_global_tree();
            }
            previous(info);
        }));
        register_exit_handler();
    });
}

fn flush_global_tree() {
    // Failures go to the error handler; a panic here must not cross into the C runtime.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let tree = LoggerTree::global();
        if let Err(err) = tree.flush() {
            tree.shared.report(&err);
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
