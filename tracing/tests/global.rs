//! The layer under the global dispatcher, as programs use it: callsites disabled once by the
//! tree's levels and turned on and off again when the levels change at run time.
//!
//! One test only: the global dispatcher and `tracing`'s callsite cache are per process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use logtree_core::{
    Error, LevelFilter, LoggerTree, MemorySink, Record, SetupOptions, Sink, SinkId,
};
use logtree_tracing::LogtreeLayer;
use tracing::level_filters::LevelFilter as TracingFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A layer that counts how often `tracing` asks whether a callsite is enabled (it does not
/// when the callsite's interest is cached as `never` or `always`) and how many events pass.
#[derive(Clone, Default)]
struct Probe {
    enabled_calls: Arc<AtomicUsize>,
    events: Arc<AtomicUsize>,
}

impl<S: Subscriber> Layer<S> for Probe {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.enabled_calls.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn on_event(&self, _: &Event<'_>, _: Context<'_, S>) {
        self.events.fetch_add(1, Ordering::Relaxed);
    }
}

fn tick(i: u32) {
    tracing::debug!(target: "app::worker", i, "tick");
}

/// A sink that logs a `tracing` event from inside its `log`.
struct Chatty;

impl Sink for Chatty {
    fn id(&self) -> SinkId {
        SinkId::new("chatty")
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        if record.args().to_string() == "chatty" {
            tracing::error!(target: "app", "from inside a sink");
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A value whose `Debug` logs a `tracing` event of its own.
struct Nested;

impl std::fmt::Debug for Nested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tracing::info!(target: "app", "logged while formatting");
        f.write_str("nested")
    }
}

#[test]
fn levels_changed_at_run_time_turn_callsites_on_and_off() {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .sink(lines.clone())
                .sink(Chatty),
        )
        .unwrap();
    let probe = Probe::default();
    let subscriber = tracing_subscriber::registry()
        .with(LogtreeLayer::new(tree.clone()))
        .with(probe.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    assert_eq!(
        TracingFilter::current(),
        TracingFilter::INFO,
        "the tree's max level"
    );

    for i in 0..3 {
        tick(i);
    }
    assert_eq!(lines.lines(), Vec::<String>::new());
    assert_eq!(probe.events.load(Ordering::Relaxed), 0);

    // Raised at run time: the cached interest is rebuilt and the same callsite is on.
    app.set_level(Some(LevelFilter::Debug));
    assert_eq!(TracingFilter::current(), TracingFilter::DEBUG);
    tick(10);
    // And back off.
    app.set_level(Some(LevelFilter::Info));
    assert_eq!(TracingFilter::current(), TracingFilter::INFO);
    tick(11);
    // A logger created below `app` with its own level turns it on for its targets only.
    tree.setup_logger("app.worker", SetupOptions::new().level(LevelFilter::Trace))
        .unwrap();
    assert_eq!(TracingFilter::current(), TracingFilter::TRACE);
    tick(12);
    tracing::debug!(target: "app::other", "still below app's level");
    assert_eq!(
        lines.lines(),
        [
            "DEBUG app.worker - tick i=10",
            "DEBUG app.worker - tick i=12"
        ]
    );
    assert_eq!(
        probe.enabled_calls.load(Ordering::Relaxed),
        0,
        "every decision came from the callsites' cached interest"
    );

    // The global dispatcher lets events logged inside the subscriber through: one logged while
    // a field is formatted is written (with buffers of its own), one logged by a sink is
    // dropped by the tree's guard and counted.
    tracing::info!(target: "app", value = ?Nested, "outer");
    tracing::info!(target: "app", "chatty");
    assert_eq!(
        lines.lines()[2..],
        [
            "INFO app - logged while formatting",
            "INFO app - outer value=nested",
            "INFO app - chatty",
        ]
    );
    assert_eq!(tree.reentrant_records_dropped(), 1);
}
