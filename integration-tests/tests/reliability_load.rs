//! Under load no record is lost, duplicated, torn or reordered: 16 threads x 100,000 numbered
//! records through `log::info!` and the process-wide tree into a `RotatingFileSink` that rolls
//! over more than 500 times (every backup kept), in each flush policy, and again while another
//! thread changes levels and sets loggers up (new ones, and the logged-on one again with the
//! same file), flushes and shuts the tree down (stopping the buffered sink's timer) the whole
//! time.
//!
//! `load.w`, the logger the records are logged on, is itself created by the churning thread
//! while they are logged; a separate in-process test reproduces that race quickly and reliably
//! (it lost records before core refreshed a new logger before publishing it).
//!
//! Each scenario runs in its own child process (this test binary re-run, filtered to one test,
//! with `RELIABILITY_LOAD_DIR` set), because the process-wide tree is one per process. The child
//! logs and flushes; the parent reads every file back and checks each line.
//!
//! In-process tests with explicit trees add: records far larger than `max_bytes` and than the
//! buffer, mixed with small ones from four threads (never split, alone in their file, order
//! kept), and local midnight passing under load (each record once, in the old date's files or
//! the new one's, in order). Child processes add: console lines under load (never interleaved
//! with each other or with `println!`), and eight modules calling `Setup::install` at the same
//! moment on one file (each record written once).
//!
//! `LOGTREE_STRESS_SCALE` (a factor, default `1`) scales the records per thread, and `max_bytes`
//! with them so the number of roll-overs stays the same; below 1 the >500 roll-over check is
//! relaxed to >50.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use integration_tests::child;
use integration_tests::log_dir::{oldest_first, read_whole_lines, sink_files};
use integration_tests::log_line::after_timestamp;
use integration_tests::numbered::InOrder;
use integration_tests::trees::{info_logger, Errors};
use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{FlushPolicy, Overflow, RotatingFileSink, Rotation};

/// The child's log directory.
const DIR: &str = "RELIABILITY_LOAD_DIR";
const THREADS: usize = 16;
const FULL_RECORDS: usize = 100_000;
/// A line is 56 bytes (`2026-01-01 00:00:00.000 - load.w - INFO - t03 r0000042\n`), 89.6 MB
/// in all at full scale: 128 KiB files give some 680 roll-overs.
const FULL_MAX_BYTES: u64 = 128 * 1024;
/// Keeps every file.
const BACKUPS: u32 = 100_000;
const STEM: &str = "Load";
/// A child that takes longer has hung: it is killed and the test fails.
const CHILD_DEADLINE: Duration = Duration::from_secs(900);

/// One scenario at a time: each child already keeps every core busy.
static SERIAL: Mutex<()> = Mutex::new(());

fn scale() -> f64 {
    std::env::var("LOGTREE_STRESS_SCALE")
        .ok()
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .expect("LOGTREE_STRESS_SCALE: a number")
        })
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0)
}

fn records_per_thread() -> usize {
    ((FULL_RECORDS as f64 * scale()) as usize).max(100)
}

fn max_bytes() -> u64 {
    ((FULL_MAX_BYTES as f64 * scale()) as u64).max(1024)
}

fn buffered() -> FlushPolicy {
    FlushPolicy::Buffered {
        capacity: 16 * 1024,
        interval: Duration::from_millis(50),
    }
}

fn file_sink(dir: &Path, policy: FlushPolicy) -> RotatingFileSink {
    RotatingFileSink::builder(STEM)
        .dir(dir)
        .max_bytes(max_bytes())
        .backup_count(BACKUPS)
        .flush_policy(policy)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The child: log, flush, report.

/// Runs in the child process: 16 threads log their numbered records on `load.w` through the
/// `log` facade; with `churn`, one more thread changes the tree meanwhile.
/// What happens to the tree while the workers log.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Churn {
    /// Nothing.
    None,
    /// Levels change and loggers are set up, `load.w` (created meanwhile) included.
    Tree,
}

fn child(dir: &Path, policy: FlushPolicy, churn: Churn) {
    let tree = LoggerTree::global();
    let errors = Errors::collect(tree);
    LoggerTree::setup(
        "load",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(file_sink(dir, policy)),
    )
    .unwrap();

    let n = records_per_thread();
    let done = AtomicBool::new(false);
    let churn_ops = AtomicU64::new(0);
    std::thread::scope(|s| {
        if churn != Churn::None {
            s.spawn(|| churn_tree(dir, policy, &done, &churn_ops));
        }
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    for i in 0..n {
                        log::info!(target: "load::w", "t{t:02} r{i:07}");
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    tree.flush().unwrap();
    // After all the level changes, disabled calls still stop at the facade's max level, and it
    // is the tree's most verbose level.
    let facade_max: log::LevelFilter = tree.max_level().into();
    assert_eq!(log::max_level(), facade_max);
    println!(
        "CHILD records={} churn_ops={} reentrant_dropped={}",
        n * THREADS,
        churn_ops.load(Ordering::Relaxed),
        tree.reentrant_records_dropped()
    );
    assert!(errors.is_empty(), "errors reported: {:?}", errors.all());
}

/// Until the workers are done: sets levels of other loggers (the root and `Off` included),
/// moves `load.w` between levels that keep its records enabled, creates new loggers, and sets
/// `load` and `load.w` up again with a new sink on the same file (same identity: never a
/// second copy of a line), and flushes and shuts the tree down now and then.
fn churn_tree(dir: &Path, policy: FlushPolicy, done: &AtomicBool, ops: &AtomicU64) {
    use LevelFilter::{Debug, Error, Info, Off, Trace, Warn};
    const ALL: [LevelFilter; 6] = [Off, Error, Warn, Info, Debug, Trace];
    // `loadx` and `load_w` share a prefix with `load`/`load.w` but not a dotted segment.
    const OTHERS: [&str; 6] = ["other", "other.a", "other.a.b", "loadx", "load_w", "load.z"];
    const NEW_LOGGERS: u64 = 1_500;
    const MAX_OPS: u64 = 2_000_000;
    let tree = LoggerTree::global();
    let mut k: u64 = 0;
    while !done.load(Ordering::Relaxed) && k < MAX_OPS {
        let level = ALL[(k % 6) as usize];
        tree.logger(OTHERS[(k % 6) as usize])
            .unwrap()
            .set_level(Some(level));
        if k % 3 == 0 {
            tree.root().set_level(Some(ALL[((k / 3) % 6) as usize]));
        }
        if k % 5 == 0 {
            let keep = [Info, Debug, Trace][((k / 5) % 3) as usize];
            tree.logger("load.w").unwrap().set_level(Some(keep));
        }
        if k % 10 == 0 && k / 10 < NEW_LOGGERS {
            LoggerTree::setup(&format!("churn.n{k}.x"), SetupOptions::new().level(level)).unwrap();
        }
        if k % 20 == 0 {
            let name = if k % 40 == 0 { "load" } else { "load.w" };
            let level = if name == "load" { Info } else { Debug };
            LoggerTree::setup(
                name,
                SetupOptions::new()
                    .level(level)
                    .sink(file_sink(dir, policy)),
            )
            .unwrap();
        }
        // Flushes and shutdowns (which stop the buffered sink's timer thread; the next record
        // starts another) race with the writes and roll-overs.
        if k % 7 == 0 {
            tree.flush().unwrap();
        }
        if k % 97 == 0 {
            tree.shutdown().unwrap();
        }
        k += 1;
        // Lets the workers run between changes on 2 cores (the churn keeps its pace).
        std::thread::yield_now();
    }
    ops.store(k, Ordering::Relaxed);
}

// ---------------------------------------------------------------------------------------------
// The parent: run the child, then read every file back.

struct Figures {
    records: usize,
    rollovers: usize,
    child_line: String,
    elapsed: Duration,
}

fn run(test_name: &str, policy: FlushPolicy, churn: Churn) {
    if child::is_child(test_name) {
        let dir = std::env::var_os(DIR).expect("the child's log directory");
        child(Path::new(&dir), policy, churn);
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let start = Instant::now();
    let output = child::output_within(
        child::command(test_name).env(DIR, &logs),
        root.path(),
        CHILD_DEADLINE,
        test_name,
    );
    let status = output.status;
    let out = String::from_utf8(output.stdout).unwrap();
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(
        status.success(),
        "{test_name}: child failed ({status}):\n{out}\n{}",
        &err[..err.len().min(4000)]
    );
    let child_line = out
        .lines()
        .find(|l| l.starts_with("CHILD "))
        .unwrap_or_else(|| panic!("{test_name}: no report from the child:\n{out}"))
        .to_owned();
    let elapsed = start.elapsed();
    let verified = std::panic::catch_unwind(|| verify(&logs, test_name, child_line, elapsed));
    let figures = verified.unwrap_or_else(|failure| {
        // The files are the evidence: kept for a look (the report says where).
        eprintln!(
            "{test_name}: the files are kept in {}",
            root.keep().display()
        );
        std::panic::resume_unwind(failure)
    });
    println!(
        "{test_name}: {} records, {} roll-overs, {:.1} s in the child; {}",
        figures.records,
        figures.rollovers,
        figures.elapsed.as_secs_f64(),
        figures.child_line
    );
}

/// `(thread, number)` of `<23-char time> - load.w - INFO - tTT rNNNNNNN`, or `None` for any
/// other line (torn, merged, foreign).
fn parse(line: &str) -> Option<(usize, usize)> {
    let rest = after_timestamp(line)?.strip_prefix(" - load.w - INFO - t")?;
    let (t, i) = rest.split_once(" r")?;
    let digits = |s: &str, len: usize| -> Option<usize> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let t = digits(t, 2)?;
    (t < THREADS).then_some((t, digits(i, 7)?))
}

fn verify(dir: &Path, test_name: &str, child_line: String, elapsed: Duration) -> Figures {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        // The archiver's lock file (`.<stem>.archiver.lock`).
        .filter(|n| n != &format!(".{STEM}.archiver.lock"))
        .collect();
    let base: Vec<&String> = names.iter().filter(|n| n.ends_with(".log")).collect();
    assert_eq!(base.len(), 1, "{test_name}: one current file: {base:?}");
    let base = base[0].clone();
    assert!(base.starts_with(&format!("{STEM}_")), "{base}");
    // Every other file is a numbered backup, numbered 1..=rollovers without a gap.
    let mut numbers: Vec<u32> = names
        .iter()
        .filter(|n| **n != base)
        .map(|n| {
            n.strip_prefix(&format!("{base}."))
                .and_then(|k| k.parse().ok())
                .unwrap_or_else(|| panic!("{test_name}: unexpected file {n}"))
        })
        .collect();
    numbers.sort_unstable();
    let rollovers = numbers.len();
    assert_eq!(
        numbers,
        (1..=rollovers as u32).collect::<Vec<_>>(),
        "{test_name}: backups with gaps"
    );
    let least = if scale() >= 1.0 { 500 } else { 50 };
    assert!(
        rollovers > least,
        "{test_name}: only {rollovers} roll-overs"
    );

    let n = records_per_thread();
    let limit = max_bytes();
    let mut in_order = InOrder::new(THREADS);
    let mut records = 0;
    // Oldest first: the highest backup down to 1, then the current file.
    for file in oldest_first(&dir.join(&base)) {
        let text = read_whole_lines(&file);
        let shown = file.file_name().unwrap().to_string_lossy();
        assert!(
            text.len() as u64 <= limit,
            "{test_name}: {shown} has {} bytes, past max_bytes {limit}",
            text.len()
        );
        let mut count = 0;
        for line in text.lines() {
            let (t, i) = parse(line)
                .unwrap_or_else(|| panic!("{test_name}: torn or merged line in {shown}: {line:?}"));
            in_order.take(t, i, format_args!("{test_name}: in {shown}"));
            count += 1;
        }
        records += count;
    }
    assert_eq!(
        in_order.counts(),
        [n; THREADS],
        "{test_name}: records missing at the end"
    );
    assert_eq!(records, n * THREADS);
    Figures {
        records,
        rollovers,
        child_line,
        elapsed,
    }
}

#[test]
fn every_record_policy_keeps_each_record_exactly_once() {
    run(
        "every_record_policy_keeps_each_record_exactly_once",
        FlushPolicy::EveryRecord,
        Churn::None,
    );
}

#[test]
fn buffered_policy_keeps_each_record_exactly_once() {
    run(
        "buffered_policy_keeps_each_record_exactly_once",
        buffered(),
        Churn::None,
    );
}

/// Background writing with a small buffer, so that callers often wait for the writer
/// (`Overflow::Block`): nothing is lost, duplicated, torn or reordered.
#[test]
fn background_policy_keeps_each_record_exactly_once() {
    run(
        "background_policy_keeps_each_record_exactly_once",
        FlushPolicy::Background {
            capacity: 4 * 1024,
            overflow: Overflow::Block,
        },
        Churn::None,
    );
}

#[test]
fn background_policy_with_levels_and_setups_changing() {
    run(
        "background_policy_with_levels_and_setups_changing",
        FlushPolicy::background(),
        Churn::Tree,
    );
}

#[test]
fn every_record_policy_with_levels_and_setups_changing() {
    run(
        "every_record_policy_with_levels_and_setups_changing",
        FlushPolicy::EveryRecord,
        Churn::Tree,
    );
}

#[test]
fn buffered_policy_with_levels_and_setups_changing() {
    run(
        "buffered_policy_with_levels_and_setups_changing",
        buffered(),
        Churn::Tree,
    );
}

/// Creating the logger records are logged on, while they are logged: one thread creates
/// loggers `app.c0`, `app.c1`, ... while four threads log to their targets (a record of a target
/// whose logger does not exist yet goes to `app`). Every record must arrive.
#[test]
fn records_logged_while_their_logger_is_created_are_not_lost() {
    const LOGGERS: usize = 3_000;
    const WORKERS: usize = 4;
    const EACH: usize = 30_000;
    let tree = LoggerTree::new();
    let mem = logtree_core::MemorySink::new();
    info_logger(&tree, "app", |options| options.sink(mem.clone()));
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for k in 0..LOGGERS {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                tree.logger(&format!("app.c{k}")).unwrap();
            }
        });
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let tree = &tree;
                s.spawn(move || {
                    for i in 0..EACH {
                        let target = format!("app::c{}", (i * 7 + w) % LOGGERS);
                        log::Log::log(
                            tree,
                            &log::Record::builder()
                                .target(&target)
                                .level(log::Level::Info)
                                .args(format_args!("w{w} r{i}"))
                                .build(),
                        );
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(
        mem.len(),
        WORKERS * EACH,
        "records lost while their loggers were being created"
    );
}

// ---------------------------------------------------------------------------------------------
// In one process (explicit trees): huge records, and midnight, under concurrent load

/// Every record of the sink with file stem `stem` in `dir` as `(thread, number, length)`,
/// oldest file first: the current files oldest date first (one per date), each preceded by its
/// backups.
fn read_in_order(dir: &Path, stem: &str, test: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for path in sink_files(dir, stem) {
        let file = path.file_name().unwrap().to_string_lossy();
        for line in read_whole_lines(&path).lines() {
            let message = line
                .split_once(" - INFO - ")
                .unwrap_or_else(|| panic!("{test}: torn line in {file}: {line:.80}"))
                .1;
            let (t, rest) = message.strip_prefix('t').unwrap().split_once(" r").unwrap();
            let (i, pad) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(
                pad.bytes().all(|b| b == b'x'),
                "{test}: merged line in {file}"
            );
            out.push((t.parse().unwrap(), i.parse().unwrap(), line.len()));
        }
    }
    out
}

/// Checks `records` hold `each` records of each of `threads` threads, each once and in order.
fn assert_each_once_in_order(
    records: &[(usize, usize, usize)],
    threads: usize,
    each: usize,
    test: &str,
) {
    let mut in_order = InOrder::new(threads);
    for &(t, i, _) in records {
        in_order.take(t, i, test);
    }
    assert_eq!(
        in_order.counts(),
        vec![each; threads],
        "{test}: records missing"
    );
}

/// Records far larger than `max_bytes` and than the buffer, mixed with small ones from four
/// threads: each is written whole, alone in its file, and order is kept.
#[test]
fn huge_records_are_never_split_and_keep_their_order() {
    const THREADS: usize = 4;
    const EACH: usize = 300;
    const MAX_BYTES: u64 = 64 * 1024;
    for policy in [FlushPolicy::EveryRecord, buffered()] {
        let dir = tempfile::tempdir().unwrap();
        let sink = RotatingFileSink::builder("Huge")
            .dir(dir.path())
            .max_bytes(MAX_BYTES)
            .backup_count(10_000)
            .flush_policy(policy)
            .build()
            .unwrap();
        let tree = LoggerTree::new();
        let errors = Errors::collect(&tree);
        let app = info_logger(&tree, "app", |options| options.sink(sink));
        let huge = "x".repeat(100 * 1024);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (app, huge) = (app.clone(), huge.as_str());
                s.spawn(move || {
                    for i in 0..EACH {
                        let pad = if i % 10 == 3 { huge } else { "" };
                        app.info(format_args!("t{t} r{i} {pad}"));
                    }
                });
            }
        });
        tree.flush().unwrap();
        assert!(errors.is_empty(), "{:?}", errors.all());
        let records = read_in_order(dir.path(), "Huge", "huge");
        assert_each_once_in_order(&records, THREADS, EACH, "huge");
        // Only a record larger than max_bytes makes a file larger, and it is alone there.
        for entry in fs::read_dir(dir.path()).unwrap() {
            let text = fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(
                text.len() as u64 <= MAX_BYTES || text.lines().count() == 1,
                "{policy:?}: a file of {} bytes holds {} lines",
                text.len(),
                text.lines().count()
            );
        }
    }
}

/// Four threads log while the sink's clock passes local midnight: every record is in the old
/// date's files or the new date's, once, and each thread's records stay in order (old date
/// first), with size roll-overs on both dates.
#[test]
fn midnight_under_load_loses_nothing() {
    use std::sync::atomic::AtomicI64;
    const THREADS: usize = 4;
    const EACH: usize = 20_000;
    for policy in [FlushPolicy::EveryRecord, buffered()] {
        let dir = tempfile::tempdir().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2025, 6, 7).unwrap();
        let at = |date: chrono::NaiveDate, h, m, sec| {
            use chrono::TimeZone;
            chrono::Local
                .from_local_datetime(&date.and_hms_opt(h, m, sec).unwrap())
                .earliest()
                .unwrap()
                .timestamp()
        };
        let now = Arc::new(AtomicI64::new(at(day, 23, 59, 0)));
        let clock_now = Arc::clone(&now);
        let clock = move || {
            std::time::UNIX_EPOCH + Duration::from_secs(clock_now.load(Ordering::SeqCst) as u64)
        };
        let sink = RotatingFileSink::builder("Midnight")
            .dir(dir.path())
            .max_bytes(64 * 1024)
            .backup_count(10_000)
            .rotate(Rotation::Daily)
            .flush_policy(policy)
            .clock(clock)
            .build()
            .unwrap();
        let tree = LoggerTree::new();
        let app = info_logger(&tree, "app", |options| options.sink(sink));
        let logged = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (app, logged) = (app.clone(), &logged);
                s.spawn(move || {
                    for i in 0..EACH {
                        app.info(format_args!("t{t} r{i}"));
                        logged.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            // Midnight passes once about a third of the records are written.
            let start = Instant::now();
            while logged.load(Ordering::Relaxed) < (THREADS * EACH / 3) as u64 {
                assert!(start.elapsed() < Duration::from_secs(120), "too slow");
                std::thread::yield_now();
            }
            now.store(at(day.succ_opt().unwrap(), 0, 0, 1), Ordering::SeqCst);
        });
        tree.flush().unwrap();
        let names = [day, day.succ_opt().unwrap()]
            .map(|d| format!("Midnight_{}.log", d.format("%Y-%m-%d")));
        let records = read_in_order(dir.path(), "Midnight", "midnight");
        assert_each_once_in_order(&records, THREADS, EACH, "midnight");
        for name in &names {
            assert!(dir.path().join(name).exists(), "{policy:?}: {name} missing");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The console under load

/// Eight threads log to a `ConsoleSink` on stdout (a pipe) while the main thread prints with
/// `println!`: every line comes out whole, each record once, each thread's in order.
#[test]
fn console_lines_never_interleave_under_load() {
    const TEST: &str = "console_lines_never_interleave_under_load";
    const THREADS: usize = 8;
    const EACH: usize = 5_000;
    let output = child::run_in_child(
        TEST,
        |_| {},
        || {
            let tree = LoggerTree::new();
            let console = logtree_sinks::ConsoleSink::builder()
                .color(logtree_sinks::ColorMode::Never)
                .build();
            let app = info_logger(&tree, "con", |options| options.sink(console));
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    let app = app.clone();
                    s.spawn(move || {
                        for i in 0..EACH {
                            app.info(format_args!("t{t} r{i}"));
                        }
                    });
                }
                for k in 0..EACH {
                    println!("noise {k}");
                }
            });
        },
    );
    let Some(output) = output else { return };
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut records = Vec::new();
    let mut noise = 0;
    for line in stdout.lines() {
        if let Some(k) = line.strip_prefix("noise ") {
            assert_eq!(k.parse::<usize>().ok(), Some(noise), "torn line {line:?}");
            noise += 1;
            continue;
        }
        if line.is_empty()
            || line == "."
            || line.starts_with("running ")
            || line.starts_with("test result")
        {
            continue;
        }
        let message = line
            .split_once(" - con - INFO - ")
            .unwrap_or_else(|| panic!("torn or merged line {line:?}"))
            .1;
        let (t, i) = message.strip_prefix('t').unwrap().split_once(" r").unwrap();
        records.push((t.parse().unwrap(), i.parse().unwrap(), line.len()));
    }
    assert_each_once_in_order(&records, THREADS, EACH, "console");
    assert_eq!(noise, EACH);
}

// ---------------------------------------------------------------------------------------------
// Every module sets itself up at once

/// The directory the child's modules log to.
const INSTALL_DIR: &str = "RELIABILITY_LOAD_INSTALL_DIR";

/// Eight threads each call `Setup::install` with their own module path (`app`, `app::m1`, ...,
/// the same file) at the same moment, as modules of a program do at start-up, then log: every
/// record is in the file exactly once (the file sink is attached per module, records of
/// `app::mN` also propagate to `app`'s identical sink), in order.
#[test]
fn concurrent_setup_by_every_module_writes_each_record_once() {
    const TEST: &str = "concurrent_setup_by_every_module_writes_each_record_once";
    const THREADS: usize = 8;
    const EACH: usize = 20_000;
    if child::is_child(TEST) {
        let dir = std::env::var_os(INSTALL_DIR).expect("the child's log directory");
        let barrier = std::sync::Barrier::new(THREADS);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (barrier, dir) = (&barrier, Path::new(&dir));
                s.spawn(move || {
                    let module = if t == 0 {
                        "app".to_owned()
                    } else {
                        format!("app::m{t}")
                    };
                    barrier.wait();
                    logtree::Setup::new()
                        .dir(dir)
                        .file_stem("Modules")
                        .max_bytes(256 * 1024)
                        .backup_count(10_000)
                        .console(false)
                        .ignore_env()
                        .install(&module)
                        .unwrap();
                    for i in 0..EACH {
                        log::info!(target: &module, "t{t} r{i}");
                    }
                });
            }
        });
        LoggerTree::global().flush().unwrap();
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let output = child::command(TEST)
        .env(INSTALL_DIR, root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let records = read_in_order(root.path(), "Modules", "modules");
    assert_each_once_in_order(&records, THREADS, EACH, "modules");
}
