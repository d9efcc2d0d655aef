//! A panic, logged at `Error` through the process-wide tree before the hook flushes it, as the
//! `log-panics` crate does: the message, where it happened, the thread, and the backtrace when
//! `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for one.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::fmt::Write;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};

use super::LoggerTree;

/// The logger panics are logged on: its records propagate to the root, like any other.
pub const PANIC_LOGGER: &str = "panic";

/// Off until asked for: a program that sets up only its own sinks gets no records it did not
/// log (the standard setup of the `logtree` crate turns it on).
static LOG_PANICS: AtomicBool = AtomicBool::new(false);

impl LoggerTree {
    /// Whether a panic anywhere in the process is logged at `Error` on the logger
    /// [`PANIC_LOGGER`] (`panic`) of the process-wide tree, before the panic hook flushes it:
    /// `thread 'main' panicked at src/main.rs:4:5: boom`, then the backtrace when
    /// `RUST_BACKTRACE` enables one. Off unless turned on; the previous panic hook (printing
    /// to stderr, by default) still runs. Takes effect once [`LoggerTree::setup`] has been
    /// called, which installs the hook.
    pub fn set_log_panics(enabled: bool) {
        LOG_PANICS.store(enabled, Ordering::Relaxed);
    }

    /// Whether panics are logged ([`LoggerTree::set_log_panics`]).
    pub fn log_panics() -> bool {
        LOG_PANICS.load(Ordering::Relaxed)
    }
}

/// Logs the panic `info` if panics are to be logged; called by the hook, never from inside a
/// sink (that thread may hold the sink's lock).
pub(super) fn log_panic(info: &PanicHookInfo<'_>) {
    if !LOG_PANICS.load(Ordering::Relaxed) {
        return;
    }
    // Through the facade's path, which resolves the target from snapshots: creating a logger
    // would take the setup lock, which a panic during setup may hold on this very thread.
    let text = describe(info);
    let location = info.location();
    log::Log::log(
        LoggerTree::global(),
        &log::Record::builder()
            .level(log::Level::Error)
            .target(PANIC_LOGGER)
            .file(location.map(|l| l.file()))
            .line(location.map(|l| l.line()))
            .args(format_args!("{text}"))
            .build(),
    );
}

/// `thread 'main' panicked at src/main.rs:4:5: boom`, and the backtrace when one is captured.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let thread = std::thread::current();
    let mut text = format!("thread '{}' panicked", thread.name().unwrap_or("<unnamed>"));
    if let Some(location) = info.location() {
        let _ = write!(text, " at {location}");
    }
    let _ = write!(text, ": {message}");
    // `capture` honours RUST_BACKTRACE and RUST_LIB_BACKTRACE, as the default hook does.
    let backtrace = Backtrace::capture();
    if backtrace.status() == BacktraceStatus::Captured {
        let _ = write!(text, "\nstack backtrace:\n{backtrace}");
    }
    text
}
