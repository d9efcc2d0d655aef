//! The dispatch path of the process-wide tree: what a `log` call costs before any formatting.
//!
//! - `disabled`: `log::debug!` while every logger is at Info or above: one atomic load.
//! - `disabled_other_subtree_debug`: the same call while another subtree is at Debug, so the
//!   facade lets it through and the tree's route cache and level check must reject it.
//! - `hierarchy_4_levels_noop_sink`: an enabled record on `bench.b.c.d` reaching a no-op sink
//!   attached to `bench`.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink, SinkId};

/// Accepts every record and does nothing, so only the dispatch is measured.
struct NoopSink(SinkId);

impl Sink for NoopSink {
    fn id(&self) -> SinkId {
        self.0.clone()
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        black_box(record.level());
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

fn dispatch(c: &mut Criterion) {
    LoggerTree::setup(
        "bench",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(NoopSink(SinkId::new("noop"))),
    )
    .expect("setup");

    c.bench_function("disabled", |b| {
        b.iter(|| log::debug!(target: "bench::b::c::d", "x = {}", black_box(1)))
    });

    LoggerTree::setup("other", SetupOptions::new().level(LevelFilter::Debug)).expect("setup");
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    c.bench_function("disabled_other_subtree_debug", |b| {
        b.iter(|| log::debug!(target: "bench::b::c::d", "x = {}", black_box(1)))
    });

    c.bench_function("hierarchy_4_levels_noop_sink", |b| {
        b.iter(|| log::info!(target: "bench::b::c::d", "x = {}", black_box(1)))
    });

    let logger = LoggerTree::global().logger("bench.b.c.d").expect("logger");
    c.bench_function("logger_info_noop_sink", |b| {
        b.iter(|| logger.info(format_args!("x = {}", black_box(1))))
    });
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
