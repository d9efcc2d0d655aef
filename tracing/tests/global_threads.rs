//! Threads logging `tracing` events while another changes the tree's levels and creates
//! loggers (each change rebuilds `tracing`'s callsite interest): nothing deadlocks, no enabled
//! event is lost, no disabled one is written.
//!
//! One test only: the global dispatcher and `tracing`'s callsite cache are per process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink, SinkId};
use logtree_tracing::LogtreeLayer;
use tracing_subscriber::layer::SubscriberExt;

/// Counts records by level.
#[derive(Clone, Default)]
struct Counting {
    info: Arc<AtomicUsize>,
    debug: Arc<AtomicUsize>,
}

impl Sink for Counting {
    fn id(&self) -> SinkId {
        SinkId::new("counting")
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let counter = match record.level() {
            logtree_core::Level::Info => &self.info,
            _ => &self.debug,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

const THREADS: usize = 4;
const EVENTS: usize = 2_000;
const CHANGES: usize = 300;

#[test]
fn level_changes_while_threads_log_neither_deadlock_nor_lose_events() {
    let tree = LoggerTree::new();
    let counts = Counting::default();
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(counts.clone()),
    )
    .unwrap();
    let subscriber = tracing_subscriber::registry().with(LogtreeLayer::new(tree.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..EVENTS {
                    tracing::info!(target: "app::worker", t, i, "enabled throughout");
                    tracing::debug!(target: "app::worker", t, i, "disabled throughout");
                }
            })
        })
        .collect();
    let other = tree.logger("app.other").unwrap();
    for i in 0..CHANGES {
        other.set_level(Some(if i % 2 == 0 {
            LevelFilter::Trace
        } else {
            LevelFilter::Info
        }));
        tree.logger(&format!("app.other.n{i}")).unwrap();
        tracing::debug!(target: "app::other", i, "on every other change");
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(counts.info.load(Ordering::Relaxed), THREADS * EVENTS);
    assert_eq!(
        counts.debug.load(Ordering::Relaxed),
        CHANGES / 2,
        "only app.other's debug events, while it was at Trace"
    );
}
