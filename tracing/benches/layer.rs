//! `tracing::info!` into a file: logtree's layer and rotating file beside tracing-subscriber's
//! fmt layer and tracing-appender, on the same workload, in one run.
//!
//! Every case logs `tracing::info!(target: "bench::b::c::d", n, "x = {}", n)` and writes one
//! line per call, with a millisecond or RFC 3339 timestamp, the level, the target and the
//! field; files never roll over on either side (`max_bytes(0)`, `rolling::never`).
//!
//! - `logtree_every_record`: [`LogtreeLayer`] into a `RotatingFileSink` that writes each line
//!   before the call returns (the default policy).
//! - `logtree_buffered`: the same sink with [`FlushPolicy::buffered`]; `log_record` is the
//!   same record (message, field, call site) handed to the tree as a `log` record, for what
//!   the layer itself costs.
//! - `fmt_appender_never`: `tracing_subscriber::fmt::layer()` writing through
//!   `tracing_appender::rolling::never` (a write per line under a lock).
//! - `fmt_appender_non_blocking`: the same through `tracing_appender::non_blocking`, made
//!   lossless (`lossy(false)`) so that it writes every line, as logtree does.
//! - `*/disabled`: `tracing::info!` to a target whose level is `Warn` while another is at
//!   `Info`, so the global max level lets the call through and the callsite's cached interest
//!   stops it (logtree: from the tree's levels; fmt: from a `Targets` filter).
//!
//! Each peer runs under a scoped dispatcher of its own (`tracing::subscriber::with_default`),
//! so both pay the same dispatcher lookup.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use log::Log as _;
use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{FlushPolicy, RotatingFileSink};
use logtree_tracing::LogtreeLayer;
use tracing::level_filters::LevelFilter as TracingFilter;
use tracing::Dispatch;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn enabled(n: u64) {
    tracing::info!(target: "bench::b::c::d", n, "x = {}", n);
}

fn disabled(n: u64) {
    tracing::info!(target: "quiet::b::c::d", n, "x = {}", n);
}

/// Runs the enabled case (and the disabled one when asked) of one peer under `dispatch`.
fn cases(group: &mut Group<'_>, name: &str, dispatch: &Dispatch, with_disabled: bool) {
    tracing::dispatcher::with_default(dispatch, || {
        let mut n = 0u64;
        group.bench_function(format!("{name}/enabled"), |b| {
            b.iter(|| {
                n += 1;
                enabled(black_box(n));
            })
        });
        if with_disabled {
            group.bench_function(format!("{name}/disabled"), |b| {
                b.iter(|| disabled(black_box(1)))
            });
        }
    });
}

/// What [`enabled`] logs, as a `log` record: what `log::info!(target: "bench::b::c::d", n;
/// "x = {}", n)` builds.
fn log_record(tree: &LoggerTree, n: u64) {
    tree.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("bench::b::c::d")
            .module_path_static(Some(module_path!()))
            .file_static(Some(file!()))
            .line(Some(line!()))
            .key_values(&[("n", n)])
            .args(format_args!("x = {}", n))
            .build(),
    );
}

/// The logtree cases with `policy`: enabled, and disabled or the `log` record as asked.
fn logtree(
    group: &mut Group<'_>,
    dir: &Path,
    name: &str,
    policy: FlushPolicy,
    (disabled, log_reference): (bool, bool),
) {
    let tree = LoggerTree::new();
    let file = RotatingFileSink::builder(name)
        .dir(dir)
        .max_bytes(0)
        .flush_policy(policy)
        .build()
        .expect("file sink");
    tree.setup_logger(
        "bench",
        SetupOptions::new().level(LevelFilter::Info).sink(file),
    )
    .expect("setup");
    tree.setup_logger("quiet", SetupOptions::new().level(LevelFilter::Warn))
        .expect("setup");
    let dispatch =
        Dispatch::new(tracing_subscriber::registry().with(LogtreeLayer::new(tree.clone())));
    cases(group, name, &dispatch, disabled);
    if log_reference {
        let mut n = 0u64;
        group.bench_function(format!("{name}/log_record"), |b| {
            b.iter(|| {
                n += 1;
                log_record(&tree, black_box(n));
            })
        });
    }
    tree.shutdown().expect("shutdown");
}

fn fmt_filter() -> Targets {
    Targets::new()
        .with_default(TracingFilter::INFO)
        .with_target("quiet", TracingFilter::WARN)
}

fn tracing_info(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("tracing_info");

    logtree(
        &mut group,
        dir.path(),
        "logtree_every_record",
        FlushPolicy::EveryRecord,
        (true, false),
    );
    logtree(
        &mut group,
        dir.path(),
        "logtree_buffered",
        FlushPolicy::buffered(),
        (false, true),
    );

    let never = tracing_appender::rolling::never(dir.path(), "fmt_never.log");
    let dispatch = Dispatch::new(
        tracing_subscriber::registry().with(fmt_filter()).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(never),
        ),
    );
    cases(&mut group, "fmt_appender_never", &dispatch, true);
    drop(dispatch);

    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(tracing_appender::rolling::never(
            dir.path(),
            "fmt_non_blocking.log",
        ));
    let dispatch = Dispatch::new(
        tracing_subscriber::registry().with(fmt_filter()).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer),
        ),
    );
    cases(&mut group, "fmt_appender_non_blocking", &dispatch, false);
    drop(dispatch);
    drop(guard);
    group.finish();
}

criterion_group!(benches, tracing_info);
criterion_main!(benches);
