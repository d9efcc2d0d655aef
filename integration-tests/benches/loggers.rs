//! Creating loggers: the time per logger should not grow with their number (it grew linearly,
//! so the total quadratically, before: 16,000 loggers took 33 s).
//!
//! - `create/N`: N loggers `app.user.<i>` created in a fresh tree (what names made at run time
//!   do);
//! - `create_with_level/N`: the same, each given a level (what a `RUST_LOG` of N directives
//!   does).
//!
//! Throughput is per logger: near-linear growth shows as about the same rate at 1k, 10k and
//! 100k.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};

fn create(c: &mut Criterion) {
    for (group_name, with_level) in [("create", false), ("create_with_level", true)] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        for count in [1_000usize, 10_000, 100_000] {
            let names: Vec<String> = (0..count).map(|i| format!("app.user.{i}")).collect();
            group.throughput(Throughput::Elements(count as u64));
            group.bench_with_input(BenchmarkId::from_parameter(count), &names, |b, names| {
                b.iter_batched(
                    || {
                        let tree = LoggerTree::new();
                        tree.setup_logger("app", SetupOptions::new().sink(MemorySink::new()))
                            .expect("setup");
                        tree
                    },
                    |tree| {
                        for name in names {
                            let opts = if with_level {
                                SetupOptions::new().level(LevelFilter::Debug)
                            } else {
                                SetupOptions::new()
                            };
                            tree.setup_logger(name, opts).expect("a valid name");
                        }
                        tree
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, create);
criterion_main!(benches);
