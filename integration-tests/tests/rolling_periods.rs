//! Time rotation through the real sink, driven by a clock the test moves (no waiting for the
//! hour or midnight): under load, every record lands once, in order, in the file of its
//! period or a backup of it, with size roll-overs and compression on the way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chrono::{NaiveDate, TimeZone, Utc};
use integration_tests::numbered::InOrder;
use integration_tests::rolled::{kept_files, read_all, wait_settled, HandClock};
use integration_tests::trees::{info_logger, Errors};
use logtree_core::LoggerTree;
use logtree_sinks::{Compression, FlushPolicy, RotatingFileSink, Rotation};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> SystemTime {
    let naive = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .expect("a valid time");
    Utc.from_utc_datetime(&naive).into()
}

fn policies() -> [FlushPolicy; 2] {
    [
        FlushPolicy::EveryRecord,
        FlushPolicy::Buffered {
            capacity: 64 * 1024,
            interval: Duration::from_millis(5),
        },
    ]
}

/// Checks that `text` holds records `t<thread> r<i>` of `threads` threads, `each` of each,
/// once and in order per thread.
fn assert_each_once_in_order(text: &str, threads: usize, each: usize, context: &str) {
    let mut in_order = InOrder::new(threads);
    for line in text.lines() {
        let message = line
            .split_once(" - INFO - ")
            .unwrap_or_else(|| panic!("{context}: torn line {line:.80}"))
            .1;
        let (t, i) = message
            .strip_prefix('t')
            .and_then(|m| m.split_once(" r"))
            .unwrap_or_else(|| panic!("{context}: garbled {message:.80}"));
        in_order.take(t.parse().unwrap(), i.parse().unwrap(), context);
    }
    assert_eq!(in_order.counts(), vec![each; threads], "{context}: missing");
}

/// Runs `threads` threads of `each` records through `sink`, calling `tick` whenever another
/// `1 / steps` of the records is written, and returns after flushing.
fn log_under_load(
    sink: RotatingFileSink,
    threads: usize,
    each: usize,
    steps: u64,
    tick: impl Fn(u64),
) -> Errors {
    let tree = LoggerTree::new();
    let errors = Errors::collect(&tree);
    let app = info_logger(&tree, "app", |options| options.sink(sink));
    let logged = AtomicU64::new(0);
    let total = (threads * each) as u64;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (app, logged) = (app.clone(), &logged);
            s.spawn(move || {
                for i in 0..each {
                    app.info(format_args!("t{t} r{i}"));
                    logged.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let start = Instant::now();
        for step in 1..steps {
            while logged.load(Ordering::Relaxed) < total * step / steps {
                assert!(start.elapsed() < Duration::from_secs(120), "too slow");
                std::thread::yield_now();
            }
            tick(step);
        }
    });
    tree.flush().unwrap();
    drop(app);
    drop(tree);
    errors
}

#[test]
fn each_hour_starts_a_file_under_load_and_nothing_is_lost() {
    const THREADS: usize = 4;
    const EACH: usize = 15_000;
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let clock = HandClock::new(utc(2025, 6, 28, 13, 59));
        let sink = RotatingFileSink::builder("Hourly")
            .dir(dir.path())
            .rotate(Rotation::Hourly)
            .utc(true)
            .max_bytes(64 * 1024)
            .backup_count(10_000)
            .flush_policy(policy)
            .clock(clock.as_fn())
            .build()
            .unwrap();
        assert!(sink.path().ends_with("Hourly_2025-06-28T13.log"));
        let errors = log_under_load(sink, THREADS, EACH, 3, |_| {
            clock.advance(Duration::from_secs(3600))
        });
        assert!(errors.all().is_empty(), "{:?}", errors.all());
        wait_settled(dir.path(), "Hourly", false);
        let context = format!("hourly, {policy:?}");
        assert_each_once_in_order(&read_all(dir.path(), "Hourly"), THREADS, EACH, &context);
        let labels: std::collections::BTreeSet<String> = kept_files(dir.path(), "Hourly")
            .into_iter()
            .map(|k| k.label)
            .collect();
        assert_eq!(
            labels.into_iter().collect::<Vec<_>>(),
            ["2025-06-28T13", "2025-06-28T14", "2025-06-28T15"],
            "{context}"
        );
    }
}

#[test]
fn utc_midnight_under_load_with_gzip_loses_nothing() {
    const THREADS: usize = 4;
    const EACH: usize = 15_000;
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let clock = HandClock::new(utc(2025, 6, 28, 23, 59));
        let sink = RotatingFileSink::builder("Daily")
            .dir(dir.path())
            .rotate(Rotation::Daily)
            .utc(true)
            .max_bytes(64 * 1024)
            .backup_count(10_000)
            .compress(Compression::Gzip)
            .flush_policy(policy)
            .clock(clock.as_fn())
            .build()
            .unwrap();
        let errors = log_under_load(sink, THREADS, EACH, 2, |_| {
            clock.set(utc(2025, 6, 29, 0, 0))
        });
        assert!(errors.all().is_empty(), "{:?}", errors.all());
        wait_settled(dir.path(), "Daily", true);
        let context = format!("midnight, {policy:?}");
        assert_each_once_in_order(&read_all(dir.path(), "Daily"), THREADS, EACH, &context);
        let kept = kept_files(dir.path(), "Daily");
        for file in &kept {
            // Every file but the current one is compressed.
            let current = file.label == "2025-06-29" && file.index == 0 && file.staged.is_none();
            assert_eq!(
                file.archive.is_empty(),
                current,
                "{context}: {:?}",
                file.path
            );
        }
        assert!(kept.iter().any(|k| k.label == "2025-06-28"), "{context}");
    }
}

#[test]
fn never_keeps_the_date_of_setup_across_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Local
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2025, 6, 28)
                .and_then(|d| d.and_hms_opt(23, 59, 0))
                .unwrap(),
        )
        .earliest()
        .unwrap();
    let clock = HandClock::new(start.into());
    let sink = RotatingFileSink::builder("Once")
        .dir(dir.path())
        .rotate(Rotation::Never)
        .clock(clock.as_fn())
        .build()
        .unwrap();
    let path = sink.path();
    let errors = log_under_load(sink, 2, 1000, 2, |_| {
        clock.advance(Duration::from_secs(3 * 86_400))
    });
    assert!(errors.all().is_empty(), "{:?}", errors.all());
    assert!(path.ends_with("Once_2025-06-28.log"));
    let kept = kept_files(dir.path(), "Once");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_each_once_in_order(&read_all(dir.path(), "Once"), 2, 1000, "never");
}
