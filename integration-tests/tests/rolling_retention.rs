//! Retention and compression through the real sink: every rule on a directory that holds
//! other files too (which survive), every archive decompressed to the records it replaced,
//! and a restart that finishes what a crash left.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use integration_tests::rolled::{kept_files, read_all, wait_settled, HandClock};
use integration_tests::trees::{info_logger, Errors};
use logtree_core::LoggerTree;
use logtree_sinks::{Compression, RotatingFileSink, RotatingFileSinkBuilder, Rotation};

/// Files beside the sink's that no rule may touch: other stems, other suffixes, near misses.
const OTHERS: [&str; 7] = [
    "Other_2020-01-01.log",
    "Other_2020-01-01.log.1.gz",
    "App_2020-01-01.log.bak",
    "App_2020-01-01.txt",
    "App-2020-01-01.log",
    "App_2020-01-01.log.01",
    "notes.md",
];

fn plant_others(dir: &Path) {
    for name in OTHERS {
        fs::write(dir.join(name), "not the sink's\n").unwrap();
    }
}

fn assert_others_survive(dir: &Path, context: &str) {
    for name in OTHERS {
        assert_eq!(
            fs::read_to_string(dir.join(name)).ok().as_deref(),
            Some("not the sink's\n"),
            "{context}: {name}"
        );
    }
}

fn builder(dir: &Path) -> RotatingFileSinkBuilder {
    RotatingFileSink::builder("App")
        .dir(dir)
        .rotate(Rotation::Daily)
        .utc(true)
        .max_bytes(4096)
        .backup_count(1000)
}

/// Logs records `r<first>` … `r<first + count - 1>`, about 60 bytes each, then drops the
/// sink (the writer's background work is awaited with [`wait_settled`]).
fn log(sink: RotatingFileSink, first: usize, count: usize) {
    let tree = LoggerTree::new();
    let errors = Errors::collect(&tree);
    let app = info_logger(&tree, "app", |options| options.sink(sink));
    for i in first..first + count {
        app.info(format_args!("r{i}"));
    }
    tree.flush().unwrap();
    drop(app);
    drop(tree);
    assert!(errors.all().is_empty(), "{:?}", errors.all());
}

/// The record numbers in `text`, which must rise by one from the first.
fn numbers(text: &str) -> Vec<usize> {
    let numbers: Vec<usize> = text
        .lines()
        .map(|l| l.rsplit_once(" - r").unwrap().1.parse().unwrap())
        .collect();
    for pair in numbers.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "records lost, repeated or reordered");
    }
    numbers
}

#[test]
fn every_archive_decompresses_to_its_records_once() {
    for compression in [Compression::Gzip, Compression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path()).compress(compression).build().unwrap();
        log(sink, 0, 5000);
        wait_settled(dir.path(), "App", true);
        let kept = kept_files(dir.path(), "App");
        assert!(kept.len() > 50, "{compression:?}: {} files", kept.len());
        for file in &kept[..kept.len() - 1] {
            assert_ne!(
                file.archive, "",
                "{compression:?}: {:?} is plain",
                file.path
            );
        }
        let all = numbers(&read_all(dir.path(), "App"));
        assert_eq!(all, (0..5000).collect::<Vec<_>>(), "{compression:?}");
    }
}

#[test]
fn max_files_keeps_the_newest_and_the_others_survive() {
    let dir = tempfile::tempdir().unwrap();
    plant_others(dir.path());
    let sink = builder(dir.path())
        .max_files(5)
        .compress(Compression::Gzip)
        .build()
        .unwrap();
    log(sink, 0, 5000);
    wait_settled(dir.path(), "App", true);
    assert_eq!(kept_files(dir.path(), "App").len(), 5);
    let kept = numbers(&read_all(dir.path(), "App"));
    assert_eq!(kept.last(), Some(&4999), "the newest records are kept");
    assert_others_survive(dir.path(), "max_files");
}

#[test]
fn max_total_size_counts_compressed_sizes_and_the_others_survive() {
    let dir = tempfile::tempdir().unwrap();
    plant_others(dir.path());
    const CAP: u64 = 20 * 1024;
    let sink = builder(dir.path())
        .max_total_size(CAP)
        .compress(Compression::Zstd)
        .build()
        .unwrap();
    log(sink, 0, 20_000);
    wait_settled(dir.path(), "App", true);
    let kept = kept_files(dir.path(), "App");
    let total: u64 = kept
        .iter()
        .map(|k| fs::metadata(&k.path).unwrap().len())
        .sum();
    assert!(total <= CAP, "{total} bytes kept");
    // Compressed backups are small: far more than CAP bytes of records fit.
    let records = numbers(&read_all(dir.path(), "App"));
    assert!(
        records.len() * 60 > 2 * CAP as usize,
        "{} records",
        records.len()
    );
    assert_eq!(records.last(), Some(&19_999));
    assert_others_survive(dir.path(), "max_total_size");
}

#[test]
fn max_age_deletes_old_periods_across_a_restart_and_the_others_survive() {
    let dir = tempfile::tempdir().unwrap();
    plant_others(dir.path());
    // Days move on by the sink's clock, ahead of the real time, so that each file's last
    // write (real time) is older than its period's end: age then follows the period.
    let day = Duration::from_secs(86_400);
    let clock = HandClock::new(SystemTime::now() + day);
    let mut first = 0;
    for _ in 0..40 {
        let sink = builder(dir.path())
            .max_age(30 * day)
            .clock(clock.as_fn())
            .build()
            .unwrap();
        log(sink, first, 100);
        first += 100;
        clock.advance(day);
    }
    // The restart of the 41st day applies retention at start-up.
    let sink = builder(dir.path())
        .max_age(30 * day)
        .clock(clock.as_fn())
        .build()
        .unwrap();
    drop(sink);
    wait_settled(dir.path(), "App", false);
    let labels: std::collections::BTreeSet<String> = kept_files(dir.path(), "App")
        .into_iter()
        .map(|k| k.label)
        .collect();
    assert!(
        (30..=32).contains(&labels.len()),
        "{} days kept: {labels:?}",
        labels.len()
    );
    let records = numbers(&read_all(dir.path(), "App"));
    assert_eq!(records.last(), Some(&3999));
    assert_others_survive(dir.path(), "max_age");
}

#[test]
fn a_restart_finishes_staged_roll_overs_and_cleans_partial_archives() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    plant_others(d);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let file = format!("App_{today}.log");
    let line = |i: usize| format!("2025-06-28 00:00:00.000 - app - INFO - r{i}\n");
    // What a crash left: two staged roll-overs, a backup, and a partial archive of it.
    fs::write(d.join(format!("{file}.1")), line(0)).unwrap();
    fs::write(d.join(format!("{file}.1.gz.tmp")), "half").unwrap();
    fs::write(d.join(format!("{file}.roll-5")), line(1)).unwrap();
    fs::write(d.join(format!("{file}.roll-6")), line(2)).unwrap();
    let sink = builder(d).compress(Compression::Gzip).build().unwrap();
    log(sink, 3, 1);
    wait_settled(d, "App", true);
    assert_eq!(numbers(&read_all(d, "App")), [0, 1, 2, 3]);
    assert_others_survive(d, "restart");
}
