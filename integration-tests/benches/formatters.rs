//! Formatters, per record: logtree's against a naive chrono `format()` per record, the
//! baseline the millisecond formatter replaced, in the same run.
//!
//! Run: `cargo bench -p integration-tests --bench formatters`. The record has a 60-byte
//! message and no key-values unless the benchmark's name says otherwise; the output buffer is
//! reused, as sinks do.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion};
use logtree_core::{write_args, Error, Formatter, Level, Record};
use logtree_formatters::chrono::{DateTime, Local, Utc};
use logtree_formatters::{JsonFormatter, MillisecondFormatter, PatternFormatter};

/// 60 bytes.
const MESSAGE: &str = "user alice logged in from 10.0.0.1 using password auth (ok!)";

/// What `MillisecondFormatter` did first: chrono's `format()` for every record.
struct NaiveChrono {
    utc: bool,
}

impl Formatter for NaiveChrono {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let at: DateTime<Utc> = record.timestamp().into();
        let written = if self.utc {
            write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.3f"))
        } else {
            write!(
                out,
                "{}",
                at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S%.3f")
            )
        };
        written.map_err(Error::other)?;
        out.extend_from_slice(b" - ");
        out.extend_from_slice(record.logger().as_bytes());
        out.extend_from_slice(b" - ");
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.extend_from_slice(b" - ");
        write_args(out, record.args())?;
        out.push(b'\n');
        Ok(())
    }
}

fn bench(c: &mut Criterion, name: &str, formatter: &dyn Formatter, kvs: &[(&str, &str)]) {
    assert_eq!(MESSAGE.len(), 60);
    let now = SystemTime::now();
    let mut out = Vec::with_capacity(512);
    c.bench_function(name, |b| {
        b.iter(|| {
            out.clear();
            let message = black_box(MESSAGE);
            formatter
                .format(
                    &Record::builder()
                        .level(Level::Info)
                        .logger("app.utils.logger")
                        .args(format_args!("{message}"))
                        .module_path(Some("app::utils::logger"))
                        .file(Some("src/utils/logger.rs"))
                        .line(Some(42))
                        .thread(1, Some("main"))
                        .key_values(&kvs)
                        .timestamp(black_box(now))
                        .build(),
                    &mut out,
                )
                .unwrap();
            black_box(&out);
        })
    });
}

/// Builds the record and writes only its message: the part of every benchmark here that is
/// not the formatter's own work (the message goes through `fmt`, as `{}` arguments do).
struct MessageOnly;

impl Formatter for MessageOnly {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        write_args(out, record.args())
    }
}

/// Every record in a new second: the cache misses each time (the worst case; real logs miss
/// once a second).
fn bench_new_second_each_record(c: &mut Criterion, name: &str, formatter: &dyn Formatter) {
    let mut at = SystemTime::now();
    let mut out = Vec::with_capacity(512);
    c.bench_function(name, |b| {
        b.iter(|| {
            out.clear();
            at += Duration::from_secs(1);
            let message = black_box(MESSAGE);
            formatter
                .format(
                    &Record::builder()
                        .logger("app.utils.logger")
                        .args(format_args!("{message}"))
                        .timestamp(at)
                        .build(),
                    &mut out,
                )
                .unwrap();
            black_box(&out);
        })
    });
}

/// Two threads formatting `iters` records each, `apart` seconds apart, thread `i` through
/// `formatters[i]`: the time is per record per thread. Passing the same formatter twice
/// against two separate ones shows what sharing its cache costs (with two free cores, both
/// equal the one-thread time).
fn bench_two_threads(c: &mut Criterion, name: &str, formatters: [&dyn Formatter; 2], apart: u64) {
    let now = SystemTime::now();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for (thread, formatter) in (0..).zip(formatters) {
                    let at = now + Duration::from_secs(thread * apart);
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity(512);
                        for _ in 0..iters {
                            out.clear();
                            let message = black_box(MESSAGE);
                            formatter
                                .format(
                                    &Record::builder()
                                        .logger("app.utils.logger")
                                        .args(format_args!("{message}"))
                                        .timestamp(black_box(at))
                                        .build(),
                                    &mut out,
                                )
                                .unwrap();
                            black_box(&out);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
}

fn formatters(c: &mut Criterion) {
    bench(
        c,
        "millisecond/overhead_record_and_message_only",
        &MessageOnly,
        &[],
    );
    bench(
        c,
        "millisecond/logtree_utc",
        &MillisecondFormatter::utc(),
        &[],
    );
    bench(
        c,
        "millisecond/logtree_local",
        &MillisecondFormatter::new(),
        &[],
    );
    bench(
        c,
        "millisecond/chrono_naive_utc",
        &NaiveChrono { utc: true },
        &[],
    );
    bench(
        c,
        "millisecond/chrono_naive_local",
        &NaiveChrono { utc: false },
        &[],
    );
    bench_new_second_each_record(
        c,
        "millisecond/logtree_utc_new_second_each_record",
        &MillisecondFormatter::utc(),
    );
    bench_new_second_each_record(
        c,
        "millisecond/logtree_local_new_second_each_record",
        &MillisecondFormatter::new(),
    );
    let shared = MillisecondFormatter::utc();
    let (own_0, own_1) = (MillisecondFormatter::utc(), MillisecondFormatter::utc());
    for (apart, seconds) in [(0, "same_second"), (1, "adjacent_seconds")] {
        bench_two_threads(
            c,
            &format!("millisecond/logtree_utc_2_threads_{seconds}_shared_formatter"),
            [&shared, &shared],
            apart,
        );
        bench_two_threads(
            c,
            &format!("millisecond/logtree_utc_2_threads_{seconds}_own_formatters"),
            [&own_0, &own_1],
            apart,
        );
    }
    let kvs = [("user", "alice"), ("ip", "10.0.0.1")];
    bench(
        c,
        "millisecond/logtree_utc_2_kvs",
        &MillisecondFormatter::utc(),
        &kvs,
    );

    bench(
        c,
        "pattern/default_layout_utc",
        &PatternFormatter::default().utc(),
        &[],
    );
    let python = PatternFormatter::new(
        "{time:%Y-%m-%d %H:%M:%S,%3f} {level} {logger} [{thread}] {file}:{line} - {message}{kv}",
    )
    .unwrap()
    .utc();
    bench(c, "pattern/strftime_time_utc", &python, &[]);

    bench(c, "json/utc", &JsonFormatter::new(), &[]);
    bench(c, "json/utc_2_kvs", &JsonFormatter::new(), &kvs);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = formatters
}
criterion_main!(benches);
