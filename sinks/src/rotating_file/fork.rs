//! What a forked child inherits from a rotating file sink: nothing pending.
//!
//! After `fork`, the child has a copy of every writer as it was at that instant: the records
//! the parent's threads had buffered (the parent writes those itself) and locks that threads
//! of the parent held (they do not exist in the child, so those locks stay taken for good).
//! A child that touched that copy would write the parent's records a second time, or hang.
//! So a sink never uses, nor drops, the writer it was built with once the process is a
//! fork's child: at its first use there, it opens the file afresh through a writer of the
//! child's own (see `RotatingFileSink::writer`), with an empty buffer and a new flusher.
//!
//! The fork is noticed through a counter that a `pthread_atfork` child handler increments;
//! comparing it with the one a writer was made under is one relaxed load per record.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many `fork`s lie between the process that started the program and this one.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// This process's place in its line of forks: 0 in the program's first process, and one more
/// in each forked child. A writer made under one generation is not used under another.
#[inline]
pub(crate) fn generation() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// Makes [`generation`] count forks from now on (once per process; a child keeps the
/// handler).
pub(crate) fn watch() {
    #[cfg(unix)]
    {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            // SAFETY: registers a handler that only increments an atomic, which is
            // async-signal-safe and so allowed in a child right after `fork`. A failure
            // (ENOMEM) leaves forks unnoticed, as before this handler existed.
            unsafe {
                libc::pthread_atfork(None, None, Some(in_child));
            }
        });
    }
}

#[cfg(unix)]
extern "C" fn in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}
