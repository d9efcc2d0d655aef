//! The dispatch path of the process-wide tree: what a `log` call costs before any formatting.
//!
//! - `disabled`: `log::debug!` while every logger is at Info or above: one atomic load.
//! - `disabled_other_subtree_debug`: the same call while another subtree is at Debug, so the
//!   facade lets it through and the tree's route cache and level check must reject it.
//! - `hierarchy_4_levels_noop_sink`: an enabled record on `bench.b.c.d` reaching a no-op sink
//!   attached to `bench`.
//! - `clock/*`: the time every created record reads: `UnixTime::now` (extrapolated from the
//!   TSC where the kernel keeps time with it), the system clock it follows, and `SystemTime`.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink, SinkId, UnixTime};

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

fn clock(c: &mut Criterion) {
    let mut group = c.benchmark_group("clock");
    group.bench_function("unix_time_now", |b| b.iter(|| black_box(UnixTime::now())));
    group.bench_function("clock_gettime_realtime", |b| {
        b.iter(|| {
            let mut now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `now` is a valid, writable `timespec`.
            black_box(unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) });
            black_box(now)
        })
    });
    group.bench_function("system_time_now_since_epoch", |b| {
        b.iter(|| black_box(SystemTime::now().duration_since(UNIX_EPOCH)))
    });
    group.finish();
}

criterion_group!(benches, dispatch, clock);
criterion_main!(benches);
