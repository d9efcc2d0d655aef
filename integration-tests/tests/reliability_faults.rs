//! Faults at log time never reach the code that logs, never take the other sinks down, and
//! logging recovers once the fault is gone:
//!
//! - the log directory deleted while logging (one thread, or four at once; both policies):
//!   recreated, and later records land in the new file;
//! - the directory made read-only: roll-overs fail and are reported through the error handler,
//!   records keep being appended (none lost), other sinks get every record, and roll-overs resume
//!   when permissions return (run as `nobody` in a child process when the tests run as root,
//!   since root ignores permissions; skipped with a note if that is impossible);
//! - the default error handler is rate-limited (a child process's stderr is counted);
//! - ENOSPC: a real `RotatingFileSink` filling a 256 KiB tmpfs (mounted when the tests run as
//!   root, skipped with a note otherwise; both flush policies): only the records whose call
//!   reported the failure are missing, no line is torn, and logging recovers once space
//!   returns; the same disk filled by eight threads at once (only whole lines, nothing twice,
//!   order kept, nothing lost that was not reported); a custom sink writing to `/dev/full`, and
//!   a sink that fails on demand;
//! - the console's reader gone (EPIPE on every write): reported, the program and the other sinks
//!   go on;
//! - a directory planted at a backup's name: the failed roll-over is reported and no record is
//!   lost; a message whose `Display` panics or fails leaves no partial line and is reported
//!   (a failing one as `Error::Format`, not a panic); records from thread-local destructors and after `shutdown` are delivered;
//! - a panicking sink, and a sink that blocks: the others get every record; a blocked sink stalls
//!   only the thread whose record it holds (and that record's later sinks), not other threads,
//!   setup, level changes or `flush`;
//! - a log call from inside a sink or from the error handler (re-entrancy) neither deadlocks nor
//!   recurses: it is dropped and counted in `reentrant_records_dropped`.
//!
//! Calls that could hang run on a thread watched with `recv_timeout`, so a deadlock fails the
//! test instead of hanging CI.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use integration_tests::small_disk::nearly_full_disk;

use integration_tests::child;
use integration_tests::log_dir::read_oldest_first;
use integration_tests::numbered::InOrder;
use integration_tests::trees::{collecting_tree, info_logger, os_error, Seen};
use logtree_core::{
    Error, Formatter, LevelFilter, Logger, LoggerTree, MemorySink, PlainFormatter, Record,
    SetupOptions, Sink, SinkId,
};
use logtree_sinks::{FlushPolicy, RotatingFileSink};

/// The child's directory.
const CHILD_DIR: &str = "RELIABILITY_FAULTS_DIR";
/// Longest wait for anything that could hang.
const TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs `f` on a thread and fails the test if it has not returned within [`TIMEOUT`].
fn within_timeout<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(TIMEOUT)
        .unwrap_or_else(|e| panic!("{what}: no return within {TIMEOUT:?} (deadlock?): {e}"))
}

/// The message part (after `INFO - ` or the like) of every line of `text`.
fn messages(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.split_once(" - INFO - ")
                .or_else(|| l.split_once(" - ERROR - "))
                .map(|(_, m)| m.to_owned())
                .unwrap_or_else(|| panic!("not a whole line: {l:?}"))
        })
        .collect()
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix} {i:05}")).collect()
}

fn mem_messages(mem: &MemorySink) -> Vec<String> {
    mem.lines()
        .iter()
        .map(|l| l.split_once(" - ").unwrap().1.to_owned())
        .collect()
}

/// The logger `app` at `Info` on `tree`, with the sinks `add` puts on its options.
fn app_logger(tree: &LoggerTree, add: impl FnOnce(SetupOptions) -> SetupOptions) -> Logger {
    info_logger(tree, "app", add)
}

/// The error a sink named `target` reports when its disk is full.
fn no_space(target: &str) -> Error {
    Error::Write {
        target: target.to_owned(),
        source: io::Error::from_raw_os_error(libc::ENOSPC),
    }
}

// ---------------------------------------------------------------------------------------------
// The directory deleted while logging

fn deleted_directory_scenario(policy: FlushPolicy) {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let sink = RotatingFileSink::builder("Deleted")
        .dir(logs.join("app"))
        .flush_policy(policy)
        .build()
        .unwrap();
    let path = sink.path();
    let app = app_logger(&tree, |options| options.sink(sink).sink(mem.clone()));
    for i in 0..100 {
        app.info(format_args!("before {i:05}"));
    }
    fs::remove_dir_all(&logs).unwrap();

    // The sink looks for its file at most once a second (paced by the records' times): keep
    // logging until it has recreated directory and file.
    let start = Instant::now();
    let mut gap = 0;
    while !path.exists() {
        assert!(
            start.elapsed() < TIMEOUT,
            "the directory was not recreated after {gap} records"
        );
        app.info(format_args!("gap {gap:05}"));
        gap += 1;
        std::thread::sleep(Duration::from_millis(5)); // pacing the records, not synchronising
    }
    for i in 0..100 {
        app.info(format_args!("after {i:05}"));
    }
    tree.flush().unwrap();

    // No record is lost with the deleted file: the new file holds the last records before the
    // deletion (those the deleted file got after the sink's last check, or still buffered),
    // then every gap record and every later one, each once, in order.
    let text = fs::read_to_string(&path).unwrap();
    let found = messages(&text);
    let befores = found
        .iter()
        .take_while(|m| m.starts_with("before "))
        .count();
    assert_eq!(
        found[..befores],
        numbered("before", 100 - befores..100)[..],
        "{policy:?}: {text}"
    );
    assert_eq!(
        found[befores..],
        [numbered("gap", 0..gap), numbered("after", 0..100)].concat()[..],
        "{policy:?}: {text}"
    );
    // Other sinks got everything.
    assert_eq!(mem.len(), 200 + gap);
    let errs = errors.all();
    assert!(
        errs.iter().any(|e| e.text.contains("was deleted")),
        "the deletion is reported: {errs:?}"
    );
    println!(
        "{policy:?}: deleted directory recreated after {gap} records ({:?}); {} error(s) reported",
        start.elapsed(),
        errs.len()
    );
}

#[test]
fn deleted_directory_is_recreated_and_logging_goes_on() {
    deleted_directory_scenario(FlushPolicy::EveryRecord);
}

#[test]
fn deleted_directory_is_recreated_and_buffered_logging_goes_on() {
    deleted_directory_scenario(FlushPolicy::Buffered {
        capacity: 64 * 1024,
        interval: Duration::from_millis(200),
    });
}

/// Four threads log while the directory is deleted; once the file is back, each logs 200 more:
/// every record from the deletion on lands in the new file, whole and in order.
#[test]
fn deleted_directory_while_threads_log_is_recreated_for_all_of_them() {
    const THREADS: usize = 4;
    const AFTER: usize = 200;
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let (tree, _errors) = collecting_tree();
    let sink = RotatingFileSink::builder("DeletedTogether")
        .dir(&logs)
        .build()
        .unwrap();
    let path = sink.path();
    let app = app_logger(&tree, |options| options.sink(sink));
    let back = AtomicBool::new(false);
    let gaps: Vec<usize> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (app, back) = (app.clone(), &back);
                s.spawn(move || {
                    let start = Instant::now();
                    let mut k = 0;
                    while !back.load(Ordering::SeqCst) {
                        assert!(start.elapsed() < TIMEOUT, "the file never came back");
                        app.info(format_args!("t{t} gap {k:05}"));
                        k += 1;
                        std::thread::sleep(Duration::from_millis(2)); // pacing the records
                    }
                    for i in 0..AFTER {
                        app.info(format_args!("t{t} after {i:05}"));
                    }
                    k
                })
            })
            .collect();
        fs::remove_dir_all(&logs).unwrap();
        let start = Instant::now();
        while !path.exists() {
            assert!(start.elapsed() < TIMEOUT, "the directory was not recreated");
            std::thread::sleep(Duration::from_millis(5)); // polling a deadline
        }
        back.store(true, Ordering::SeqCst);
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    tree.flush().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let mut after = InOrder::new(THREADS);
    // Each thread's gap records in the new file: from some record on (those the deleted
    // file got after the last check), every one up to its last.
    let mut gap_runs: Vec<Option<InOrder>> = vec![None; THREADS];
    for message in messages(&text) {
        let (t, rest) = message.strip_prefix('t').unwrap().split_once(' ').unwrap();
        let t: usize = t.parse().unwrap();
        if let Some(i) = rest.strip_prefix("after ") {
            after.take(t, i.parse().unwrap(), "after the recreation");
        } else {
            let i: usize = rest
                .strip_prefix("gap ")
                .expect("torn or merged")
                .parse()
                .unwrap();
            assert_eq!(
                after.counts()[t],
                0,
                "thread {t}: a gap record after an after record"
            );
            gap_runs[t]
                .get_or_insert_with(|| InOrder::starting_at(i))
                .take(0, i, format_args!("thread {t}: gap records"));
        }
    }
    for (t, run) in gap_runs.iter().enumerate() {
        let next = run.as_ref().map(|run| run.counts()[0]);
        assert_eq!(next, Some(gaps[t]), "thread {t}: the last gap records lost");
    }
    assert_eq!(
        after.counts(),
        [AFTER; THREADS],
        "records after the recreation lost"
    );
}

// ---------------------------------------------------------------------------------------------
// A read-only directory

fn read_only_scenario(root: &Path) {
    let dir = root.join("logs");
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let sink = RotatingFileSink::builder("ReadOnly")
        .dir(&dir)
        .max_bytes(2048)
        .backup_count(1000)
        .build()
        .unwrap();
    let path = sink.path();
    let app = app_logger(&tree, |options| options.sink(sink).sink(mem.clone()));
    let backups = || {
        fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_str()
                    .unwrap()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .parse::<u32>()
                    .is_ok()
            })
            .count()
    };
    for i in 0..100 {
        app.info(format_args!("record {i:05}"));
    }
    // The archive thread numbers the backups: `flush` waits for it.
    tree.flush().unwrap();
    let rolled_before = backups();
    assert!(rolled_before > 0);
    assert!(errors.is_empty());

    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::File::create(dir.join("probe")).is_ok() {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        println!("SKIPPED: permissions are not enforced for this user (root?)");
        return;
    }
    for i in 100..600 {
        app.info(format_args!("record {i:05}"));
    }
    let read_only_errors = errors.all();
    assert!(
        !read_only_errors.is_empty(),
        "failed roll-overs are reported"
    );
    for e in &read_only_errors {
        assert_eq!(e.os, Some(libc::EACCES), "{e:?}");
        assert!(e.text.contains("cannot rename"), "{e:?}");
    }
    assert_eq!(
        backups(),
        rolled_before,
        "no roll-over in a read-only directory"
    );
    assert_eq!(mem.len(), 600, "other sinks get every record");

    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    for i in 600..1000 {
        app.info(format_args!("record {i:05}"));
    }
    tree.flush().unwrap();
    assert_eq!(
        errors.len(),
        read_only_errors.len(),
        "no error once the directory is writable again"
    );
    assert!(backups() > rolled_before + 1, "roll-overs resume");
    assert_eq!(mem_messages(&mem), numbered("record", 0..1000));
    // The file kept every record while roll-overs failed: nothing lost, nothing twice.
    assert_eq!(
        messages(&read_oldest_first(&path)),
        numbered("record", 0..1000)
    );
    println!(
        "CHILD read-only: {} roll-over failures reported, 1000 records kept, {} backups",
        read_only_errors.len(),
        backups()
    );
}

#[test]
fn read_only_directory_is_reported_other_sinks_go_on_and_logging_recovers() {
    const TEST: &str = "read_only_directory_is_reported_other_sinks_go_on_and_logging_recovers";
    if child::is_child(TEST) {
        read_only_scenario(Path::new(&std::env::var_os(CHILD_DIR).unwrap()));
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let mut command = child::command(TEST);
    command.env(CHILD_DIR, root.path());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Root ignores permissions: run the scenario as `nobody`.
        use std::os::unix::process::CommandExt;
        const NOBODY: u32 = 65534;
        if let Err(e) = std::os::unix::fs::chown(root.path(), Some(NOBODY), Some(NOBODY)) {
            println!("SKIPPED: running as root and cannot hand a directory to nobody: {e}");
            return;
        }
        command.uid(NOBODY).gid(NOBODY);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => {
            println!("SKIPPED: cannot run the scenario as an unprivileged user: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout
        .lines()
        .find(|l| l.starts_with("CHILD ") || l.starts_with("SKIPPED"))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    println!("{report}");
}

// ---------------------------------------------------------------------------------------------
// The default error handler is rate-limited

struct AlwaysFails;

impl Sink for AlwaysFails {
    fn id(&self) -> SinkId {
        SinkId::new("always-fails")
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        Err(no_space("always-fails"))
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn default_error_handler_prints_at_most_a_line_a_second() {
    const TEST: &str = "default_error_handler_prints_at_most_a_line_a_second";
    const RECORDS: usize = 5_000;
    let output = child::run_in_child(
        TEST,
        |_| {},
        || {
            let tree = LoggerTree::new(); // the default handler
            let mem = MemorySink::new();
            let app = app_logger(&tree, |options| options.sink(AlwaysFails).sink(mem.clone()));
            let start = Instant::now();
            for i in 0..RECORDS {
                app.info(format_args!("record {i}"));
            }
            assert_eq!(mem.len(), RECORDS);
            println!("ELAPSED_MS {}", start.elapsed().as_millis());
        },
    );
    let Some(output) = output else { return };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let elapsed_ms: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ELAPSED_MS "))
        .unwrap()
        .parse()
        .unwrap();
    let printed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("logtree:"))
        .collect();
    assert!(!printed.is_empty(), "the failure is reported: {stderr}");
    assert!(
        printed.len() as u64 <= 1 + elapsed_ms / 1000 + 1,
        "{} lines in {elapsed_ms} ms for {RECORDS} failures",
        printed.len()
    );
    assert!(
        printed[0].contains("cannot write to always-fails"),
        "{}",
        printed[0]
    );
    println!(
        "{RECORDS} failures in {elapsed_ms} ms: {} line(s) on stderr",
        printed.len()
    );
}

// ---------------------------------------------------------------------------------------------
// ENOSPC

fn dev_full_available() -> bool {
    let ok = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .and_then(|mut f| f.write_all(b"x"))
        .is_err_and(|e| e.raw_os_error() == Some(libc::ENOSPC));
    if !ok {
        println!("SKIPPED: /dev/full is not available here");
    }
    ok
}

/// Fills a 256 KiB file system while logging (a filler file takes most of it), then frees
/// it: every record whose call reported no error (buffered: every record, the failed ones
/// waited) is in the file once, in order, every line whole (a write cut short by the full disk
/// is cut back), and the records after the space returns all land.
fn full_disk_scenario(policy: FlushPolicy) {
    let root = tempfile::tempdir().unwrap();
    let Some((disk, filler)) = nearly_full_disk(root.path()) else {
        return;
    };
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let sink = RotatingFileSink::builder("Full")
        .dir(disk.path.join("logs"))
        .max_bytes(0)
        .flush_policy(policy)
        .build()
        .unwrap();
    let path = sink.path();
    let app = app_logger(&tree, |options| options.sink(sink).sink(mem.clone()));
    let padding = "p".repeat(60);
    let mut kept = Vec::new();
    let mut failed = 0;
    let mut i = 0;
    // Buffered records whose write failed wait (within a bound) for the disk to have room,
    // so none is lost; written one by one, a record whose write failed is.
    let (waits, failures) = match policy {
        FlushPolicy::Buffered { .. } => (true, 5),
        _ => (false, 50),
    };
    // Until the disk is full and a good many records have failed (bounded: 1 MB of records
    // cannot fit in 56 KiB).
    while failed < failures {
        assert!(i < 10_000, "the disk never filled");
        let before = errors.len();
        app.info(format_args!("record {i:05} {padding}"));
        if errors.len() == before || waits {
            kept.push(format!("record {i:05} {padding}"));
        }
        if errors.len() != before {
            failed += 1;
        }
        i += 1;
    }
    let full = errors.all();
    assert!(
        full.iter().any(|e| e.os == Some(libc::ENOSPC)),
        "the full disk is reported: {full:?}"
    );
    // Space returns.
    fs::remove_file(&filler).unwrap();
    let reported = full.len();
    for j in i..i + 100 {
        app.info(format_args!("record {j:05} {padding}"));
        kept.push(format!("record {j:05} {padding}"));
    }
    tree.flush().unwrap();
    assert_eq!(errors.len(), reported, "no error once there is room");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(messages(&text), kept, "{policy:?}");
    assert_eq!(mem.len(), i + 100, "other sinks get every record");
    println!(
        "{policy:?}: disk full after {} records; {failed} records failed and were reported; {} kept",
        i - failed,
        kept.len()
    );
}

#[test]
fn a_full_disk_is_reported_loses_only_reported_records_and_recovers() {
    full_disk_scenario(FlushPolicy::EveryRecord);
}

#[test]
fn a_full_disk_with_buffering_loses_only_reported_records_and_recovers() {
    full_disk_scenario(FlushPolicy::Buffered {
        capacity: 4 * 1024,
        interval: Duration::from_secs(3600),
    });
}

thread_local! {
    /// Failures the error handler saw on this thread (it runs on the thread that logged).
    static FAILED_HERE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Eight threads fill a 256 KiB file system at once (writes cut short at the edge of the
/// space, while other threads append behind them), then space returns: every line in the file
/// is whole, no record is there twice, each thread's are in order, every record whose call
/// reported nothing is there, and every record after the space returned is there.
fn concurrent_full_disk_scenario(policy: FlushPolicy) {
    const THREADS: usize = 8;
    const MAX_EACH: usize = 2_000;
    const AFTER: usize = 50;
    let root = tempfile::tempdir().unwrap();
    let Some((disk, filler)) = nearly_full_disk(root.path()) else {
        return;
    };
    let tree = LoggerTree::new();
    let reports = Arc::new(AtomicUsize::new(0));
    let enospc = Arc::new(AtomicUsize::new(0));
    let (count, full) = (Arc::clone(&reports), Arc::clone(&enospc));
    tree.set_error_handler(move |err| {
        FAILED_HERE.with(|n| n.set(n.get() + 1));
        count.fetch_add(1, Ordering::SeqCst);
        if os_error(err) == Some(libc::ENOSPC) {
            full.fetch_add(1, Ordering::SeqCst);
        }
    });
    let sink = RotatingFileSink::builder("FullTogether")
        .dir(disk.path.join("logs"))
        .max_bytes(0)
        .flush_policy(policy)
        .build()
        .unwrap();
    let path = sink.path();
    let app = app_logger(&tree, |options| options.sink(sink));
    let padding = "p".repeat(90);
    let filled = std::sync::Barrier::new(THREADS + 1);
    let freed = std::sync::Barrier::new(THREADS + 1);
    let kept: Vec<Vec<usize>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (app, padding, filled, freed) = (app.clone(), &padding, &filled, &freed);
                s.spawn(move || {
                    let mut kept = Vec::new();
                    let mut failed = 0;
                    let mut i = 0;
                    // Buffered records wait for room (within a bound) instead of being lost.
                    let (waits, failures) = match policy {
                        FlushPolicy::Buffered { .. } => (true, 2),
                        _ => (false, 20),
                    };
                    while i < MAX_EACH && failed < failures {
                        let before = FAILED_HERE.with(|n| n.get());
                        app.info(format_args!("t{t} r{i:05} {padding}"));
                        let reported = FAILED_HERE.with(|n| n.get()) != before;
                        if !reported || waits {
                            kept.push(i);
                        }
                        if reported {
                            failed += 1;
                        }
                        i += 1;
                    }
                    filled.wait();
                    freed.wait();
                    for j in i..i + AFTER {
                        app.info(format_args!("t{t} r{j:05} {padding}"));
                        kept.push(j);
                    }
                    kept
                })
            })
            .collect();
        filled.wait();
        fs::remove_file(&filler).unwrap();
        // Let a record settle what the full disk left behind before the others go on.
        freed.wait();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    tree.flush().unwrap();
    assert!(enospc.load(Ordering::SeqCst) > 0, "the disk never filled");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'), "{policy:?}: the file ends mid-line");
    let mut present: Vec<Vec<usize>> = vec![Vec::new(); THREADS];
    for line in text.lines() {
        let message = line
            .split_once(" - INFO - ")
            .map(|(_, m)| m)
            .unwrap_or_else(|| panic!("{policy:?}: torn line {line:?}"));
        let parsed = message
            .strip_prefix('t')
            .and_then(|m| m.split_once(" r"))
            .and_then(|(t, rest)| {
                let (i, pad) = rest.split_once(' ')?;
                (pad == padding).then_some(())?;
                Some((t.parse::<usize>().ok()?, i.parse::<usize>().ok()?))
            });
        let (t, i) = parsed.unwrap_or_else(|| panic!("{policy:?}: torn or merged line {line:?}"));
        assert!(
            present[t].last().is_none_or(|&last| last < i),
            "{policy:?}: thread {t}: record {i} twice or out of order"
        );
        present[t].push(i);
    }
    for t in 0..THREADS {
        let missing: Vec<_> = kept[t]
            .iter()
            .filter(|i| present[t].binary_search(i).is_err())
            .collect();
        assert!(
            missing.is_empty(),
            "{policy:?}: thread {t}: records {missing:?} lost although their calls reported nothing"
        );
    }
    println!(
        "{policy:?}: {} failures reported ({} ENOSPC) by {THREADS} threads filling the disk; {} records in the file",
        reports.load(Ordering::SeqCst),
        enospc.load(Ordering::SeqCst),
        present.iter().map(Vec::len).sum::<usize>()
    );
}

#[test]
fn a_disk_filled_by_many_threads_at_once_leaves_only_whole_lines() {
    concurrent_full_disk_scenario(FlushPolicy::EveryRecord);
}

#[test]
fn a_disk_filled_by_many_buffering_threads_at_once_leaves_only_whole_lines() {
    concurrent_full_disk_scenario(FlushPolicy::Buffered {
        capacity: 4 * 1024,
        interval: Duration::from_secs(3600),
    });
}

/// Writes each line to `/dev/full`, as a console sink would to a full stream.
struct DevFullSink {
    file: Mutex<fs::File>,
}

impl Sink for DevFullSink {
    fn id(&self) -> SinkId {
        SinkId::new("/dev/full")
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let mut line = Vec::new();
        PlainFormatter.format(record, &mut line)?;
        self.file
            .lock()
            .unwrap()
            .write_all(&line)
            .map_err(|source| Error::Write {
                target: "/dev/full".to_owned(),
                source,
            })
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Fails with ENOSPC while `fail` is set.
#[derive(Default)]
struct FailOnDemand {
    fail: AtomicBool,
    lines: Mutex<Vec<String>>,
}

impl Sink for FailOnDemand {
    fn id(&self) -> SinkId {
        SinkId::new("fail-on-demand")
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(no_space("fail-on-demand"));
        }
        self.lines.lock().unwrap().push(record.args().to_string());
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn a_sink_out_of_space_does_not_stop_the_others() {
    let root = tempfile::tempdir().unwrap();
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let file = RotatingFileSink::builder("Others")
        .dir(root.path())
        .build()
        .unwrap();
    let path = file.path();
    let flaky = Arc::new(FailOnDemand::default());
    let mut opts = SetupOptions::new()
        .level(LevelFilter::Info)
        .sink(Arc::clone(&flaky))
        .sink(mem.clone())
        .sink(file);
    let dev_full = dev_full_available();
    if dev_full {
        let file = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        opts = opts.sink(DevFullSink {
            file: Mutex::new(file),
        });
    }
    let app = tree.setup_logger("app", opts).unwrap();
    for i in 0..300 {
        flaky.fail.store((100..200).contains(&i), Ordering::SeqCst);
        app.info(format_args!("record {i:05}"));
    }
    let errs = errors.all();
    let expected = 100 + if dev_full { 300 } else { 0 };
    assert_eq!(errs.len(), expected, "{errs:?}");
    assert!(errs.iter().all(|e| e.os == Some(libc::ENOSPC)), "{errs:?}");
    assert_eq!(mem_messages(&mem), numbered("record", 0..300));
    assert_eq!(
        messages(&fs::read_to_string(&path).unwrap()),
        numbered("record", 0..300)
    );
    let got = flaky.lines.lock().unwrap().clone();
    let mut want = numbered("record", 0..100);
    want.extend(numbered("record", 200..300));
    assert_eq!(
        got, want,
        "the failing sink resumes when it can write again"
    );
}

// ---------------------------------------------------------------------------------------------
// A panicking sink

struct Panics;

impl Sink for Panics {
    fn id(&self) -> SinkId {
        SinkId::new("panics")
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        panic!("sink bug on {}", record.args());
    }
    fn flush(&self) -> Result<(), Error> {
        panic!("flush bug");
    }
}

#[test]
fn a_panicking_sink_does_not_take_the_others_down() {
    let root = tempfile::tempdir().unwrap();
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let root_mem = MemorySink::new();
    let file = RotatingFileSink::builder("Panics")
        .dir(root.path())
        .build()
        .unwrap();
    let path = file.path();
    tree.root().set_level(Some(LevelFilter::Info));
    tree.setup_logger("", SetupOptions::new().sink(root_mem.clone()))
        .unwrap();
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(Panics)
            .sink(mem.clone())
            .sink(file),
    )
    .unwrap();
    const THREADS: usize = 4;
    const EACH: usize = 50;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let app = tree.logger("app.worker").unwrap();
            s.spawn(move || {
                for i in 0..EACH {
                    app.info(format_args!("t{t} r{i:03}"));
                }
            });
        }
    });
    // Flushing: the panicking flush is reported, the others are flushed.
    let err = tree.flush().unwrap_err();
    assert!(matches!(err, Error::SinkPanicked { .. }), "{err}");
    let total = THREADS * EACH;
    assert_eq!(mem.len(), total);
    assert_eq!(root_mem.len(), total, "propagation goes on past the panic");
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), total);
    let errs = errors.all();
    assert_eq!(errs.len(), total, "one report per panic");
    assert!(
        errs.iter()
            .all(|e| e.text.starts_with("sink panics panicked: sink bug on t")),
        "{errs:?}"
    );
    // Still usable afterwards.
    tree.logger("app").unwrap().info(format_args!("after"));
    assert_eq!(mem.len(), total + 1);
}

// ---------------------------------------------------------------------------------------------
// A blocking sink

/// Blocks every record whose message contains "block" until the gate opens (at most
/// [`TIMEOUT`], so that a bug cannot hang the test).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
    entered: AtomicUsize,
}

impl Sink for Gate {
    fn id(&self) -> SinkId {
        SinkId::new("gate")
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        if record.args().to_string().contains("block") {
            self.entered.fetch_add(1, Ordering::SeqCst);
            let open = self.open.lock().unwrap();
            let _ = self
                .changed
                .wait_timeout_while(open, TIMEOUT, |open| !*open)
                .unwrap();
        }
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn a_blocking_sink_stalls_only_the_thread_whose_record_it_holds() {
    let root = tempfile::tempdir().unwrap();
    let (tree, _errors) = collecting_tree();
    let gate = Arc::new(Gate::default());
    let mem = MemorySink::new();
    let file = RotatingFileSink::builder("Blocking")
        .dir(root.path())
        .build()
        .unwrap();
    let path = file.path();
    let app = app_logger(&tree, |options| {
        options.sink(Arc::clone(&gate)).sink(mem.clone()).sink(file)
    });

    let (blocked_tx, blocked_rx) = mpsc::channel();
    let stalled = app.clone();
    std::thread::spawn(move || {
        stalled.info(format_args!("block me"));
        let _ = blocked_tx.send(());
    });
    let start = Instant::now();
    while gate.entered.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < TIMEOUT,
            "the blocking record never arrived"
        );
        std::thread::yield_now();
    }

    // Meanwhile other threads log, set up, change levels and flush.
    let (others, tree2) = (app.clone(), tree.clone());
    within_timeout("logging beside a blocked sink", move || {
        std::thread::scope(|s| {
            for t in 0..4 {
                let app = others.clone();
                s.spawn(move || {
                    for i in 0..250 {
                        app.info(format_args!("free t{t} r{i:03}"));
                    }
                });
            }
        });
        tree2
            .setup_logger("app.new", SetupOptions::new().level(LevelFilter::Debug))
            .unwrap();
        tree2
            .logger("other")
            .unwrap()
            .set_level(Some(LevelFilter::Error));
        tree2.flush().unwrap();
    });
    assert_eq!(mem.len(), 1000, "the other threads' records all arrived");
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1000);
    // Observed: the held record has not reached the sinks after the blocking one yet.
    assert!(!mem.lines().iter().any(|l| l.ends_with("block me")));
    assert!(
        blocked_rx.try_recv().is_err(),
        "the blocked caller is still inside"
    );

    *gate.open.lock().unwrap() = true;
    gate.changed.notify_all();
    blocked_rx
        .recv_timeout(TIMEOUT)
        .expect("the blocked caller returns once the sink does");
    assert!(mem.lines().last().unwrap().ends_with("block me"));
    assert_eq!(
        fs::read_to_string(&path)
            .unwrap()
            .lines()
            .last()
            .map(|l| l.ends_with("block me")),
        Some(true)
    );
}

// ---------------------------------------------------------------------------------------------
// Re-entrancy: logging from inside a sink or the error handler

/// Logs through `logger` while holding its own lock, as a sink that reports its own state might.
struct LogsFromInside {
    logger: Mutex<Option<Logger>>,
    received: Mutex<Vec<String>>,
    via_facade: bool,
}

impl Sink for LogsFromInside {
    fn id(&self) -> SinkId {
        SinkId::new(if self.via_facade {
            "inside-facade"
        } else {
            "inside"
        })
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let mut received = self.received.lock().unwrap();
        received.push(record.args().to_string());
        if self.via_facade {
            log::info!(target: "reentrant", "from inside the sink");
            log::error!(target: "elsewhere", "from inside the sink");
        } else if let Some(logger) = &*self.logger.lock().unwrap() {
            logger.info(format_args!("from inside the sink"));
        }
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn logging_from_inside_a_sink_neither_deadlocks_nor_recurses() {
    let tree = LoggerTree::new();
    let sink = Arc::new(LogsFromInside {
        logger: Mutex::new(None),
        received: Mutex::new(Vec::new()),
        via_facade: false,
    });
    let app = app_logger(&tree, |options| options.sink(Arc::clone(&sink)));
    *sink.logger.lock().unwrap() = Some(app.clone());
    let tree2 = tree.clone();
    within_timeout("a sink logging into its own logger", move || {
        for i in 0..100 {
            app.info(format_args!("outer {i}"));
        }
        tree2.flush().unwrap();
    });
    assert_eq!(
        *sink.received.lock().unwrap(),
        (0..100).map(|i| format!("outer {i}")).collect::<Vec<_>>()
    );
    assert_eq!(tree.reentrant_records_dropped(), 100);
    *sink.logger.lock().unwrap() = None; // break the cycle sink -> logger -> tree -> sink
}

#[test]
fn logging_through_the_facade_from_inside_a_sink_neither_deadlocks_nor_recurses() {
    let sink = Arc::new(LogsFromInside {
        logger: Mutex::new(None),
        received: Mutex::new(Vec::new()),
        via_facade: true,
    });
    LoggerTree::setup(
        "reentrant",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(Arc::clone(&sink)),
    )
    .unwrap();
    let before = LoggerTree::global().reentrant_records_dropped();
    within_timeout("a sink logging through log::info!", || {
        for i in 0..100 {
            log::info!(target: "reentrant", "outer {i}");
        }
    });
    assert_eq!(sink.received.lock().unwrap().len(), 100);
    assert_eq!(
        LoggerTree::global().reentrant_records_dropped() - before,
        200
    );
}

#[test]
fn logging_from_the_error_handler_neither_deadlocks_nor_recurses() {
    let tree = LoggerTree::new();
    let mem = MemorySink::new();
    let app = app_logger(&tree, |options| {
        options.sink(AlwaysFails).sink(Panics).sink(mem.clone())
    });
    let reports = Arc::new(AtomicUsize::new(0));
    let (count, handler_logger) = (Arc::clone(&reports), app.clone());
    tree.set_error_handler(move |err| {
        count.fetch_add(1, Ordering::SeqCst);
        handler_logger.error(format_args!("handler saw: {err}"));
    });
    let tree2 = tree.clone();
    within_timeout("an error handler that logs", move || {
        for i in 0..50 {
            app.info(format_args!("record {i}"));
        }
        // Outside any dispatch: the handler's record is delivered (and its failures reported,
        // whose records are then dropped as re-entrant).
        let _ = tree2.flush();
    });
    // Two failures per record, each reported once; their records were logged while
    // dispatching, so they were dropped and counted.
    assert!(reports.load(Ordering::SeqCst) >= 100);
    assert!(tree.reentrant_records_dropped() >= 100);
    assert!(mem.len() >= 50);
    assert_eq!(
        mem.lines().iter().filter(|l| l.starts_with("INFO")).count(),
        50
    );
    tree.set_error_handler(|_| {}); // break the cycle handler -> logger -> tree
}

// ---------------------------------------------------------------------------------------------
// A directory planted at a backup's name

#[test]
fn a_directory_at_a_backup_name_loses_no_record() {
    let root = tempfile::tempdir().unwrap();
    let (tree, errors) = collecting_tree();
    let sink = RotatingFileSink::builder("Occupied")
        .dir(root.path())
        .max_bytes(400)
        .backup_count(3)
        .build()
        .unwrap();
    let path = sink.path();
    let planted = PathBuf::from(format!("{}.1", path.display()));
    fs::create_dir(&planted).unwrap();
    fs::write(planted.join("keep"), "inside").unwrap();
    let app = app_logger(&tree, |options| options.sink(sink));
    for i in 0..200 {
        app.info(format_args!("record {i:05}"));
    }
    // The archive thread cannot number the files roll-overs moved aside (a directory holds
    // the name `.1`): they keep their records under their staged names, and the failure is
    // reported (by the roll-overs that follow, and the flush).
    let flushed = tree.flush();
    let mut errs = errors.all();
    if let Err(err) = &flushed {
        errs.push(Seen {
            text: err.to_string(),
            os: None,
        });
    }
    assert!(!errs.is_empty(), "the failed roll-over is reported");
    // The backups that are files, oldest first, then the file.
    let text = read_oldest_first(&path);
    assert_eq!(messages(&text), numbered("record", 0..200));
    let moved: Vec<_> = (1..=3)
        .map(|n| PathBuf::from(format!("{}.{n}", path.display())))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(moved.len(), 1, "the directory is still there");
    assert_eq!(fs::read_to_string(moved[0].join("keep")).unwrap(), "inside");
    println!(
        "directory at a backup name: {} roll-over failure(s) reported, e.g. {}",
        errs.len(),
        errs[0].text
    );
}

// ---------------------------------------------------------------------------------------------
// A message whose `Display` fails or panics

struct Broken {
    panics: bool,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("half a mess")?;
        if self.panics {
            panic!("Display bug");
        }
        Err(std::fmt::Error)
    }
}

/// Logs 20 good records, each followed by one whose `Display` breaks, to two file sinks (each
/// policy) and a memory sink; checks no partial line and returns what the handler saw.
fn log_broken_displays(panics: bool) -> Vec<Seen> {
    let root = tempfile::tempdir().unwrap();
    let (tree, errors) = collecting_tree();
    let mem = MemorySink::new();
    let buffered = RotatingFileSink::builder("BrokenBuffered")
        .dir(root.path())
        .flush_policy(FlushPolicy::buffered())
        .build()
        .unwrap();
    let every = RotatingFileSink::builder("Broken")
        .dir(root.path())
        .build()
        .unwrap();
    let paths = [every.path(), buffered.path()];
    let app = app_logger(&tree, |options| {
        options.sink(every).sink(buffered).sink(mem.clone())
    });
    for i in 0..20 {
        app.info(format_args!("record {i:05}"));
        app.info(format_args!("broken {}", Broken { panics }));
    }
    tree.flush().unwrap();
    for path in &paths {
        let text = fs::read_to_string(path).unwrap();
        assert_eq!(
            messages(&text),
            numbered("record", 0..20),
            "{}: {text}",
            path.display()
        );
    }
    assert_eq!(mem_messages(&mem), numbered("record", 0..20));
    let errs = errors.all();
    assert_eq!(
        errs.len(),
        20 * 3,
        "one report per sink and broken record: {errs:?}"
    );
    errs
}

#[test]
fn a_panicking_display_in_a_message_is_reported_and_leaves_no_partial_line() {
    let errs = log_broken_displays(true);
    assert!(
        errs.iter()
            .all(|e| e.text.contains("panicked: Display bug")),
        "{errs:?}"
    );
}

#[test]
fn a_failing_display_in_a_message_is_a_format_error_and_leaves_no_partial_line() {
    let errs = log_broken_displays(false);
    // `write_args` promises `Error::Format` ("cannot format record: ..."), not a panic.
    assert!(
        errs.iter()
            .all(|e| e.text.starts_with("cannot format record")),
        "{:?}",
        errs.first()
    );
}

// ---------------------------------------------------------------------------------------------
// Records logged at the edges of a thread's or a tree's life

struct LogsOnDrop(Logger);

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        self.0.info(format_args!("from a thread-local destructor"));
    }
}

thread_local! {
    static ON_EXIT: std::cell::RefCell<Option<LogsOnDrop>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn records_from_thread_local_destructors_and_after_shutdown_are_delivered() {
    let root = tempfile::tempdir().unwrap();
    let (tree, errors) = collecting_tree();
    let file = RotatingFileSink::builder("Edges")
        .dir(root.path())
        .flush_policy(FlushPolicy::Buffered {
            capacity: 64 * 1024,
            interval: Duration::from_secs(3600),
        })
        .build()
        .unwrap();
    let path = file.path();
    let app = app_logger(&tree, |options| options.sink(file));
    let logger = app.clone();
    std::thread::spawn(move || {
        logger.info(format_args!("from the thread"));
        ON_EXIT.with(|slot| *slot.borrow_mut() = Some(LogsOnDrop(logger)));
    })
    .join()
    .unwrap();
    tree.shutdown().unwrap();
    app.info(format_args!("after shutdown"));
    tree.flush().unwrap();
    assert_eq!(
        messages(&fs::read_to_string(&path).unwrap()),
        [
            "from the thread",
            "from a thread-local destructor",
            "after shutdown"
        ]
    );
    assert!(errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The console's reader goes away

/// The console sink writes to a pipe nobody reads any more (the reader of `app | head` has
/// exited): each write fails with EPIPE, which is reported, and the program and its other sinks
/// go on (Rust programs ignore SIGPIPE).
#[test]
fn a_closed_console_pipe_is_quiet_and_the_other_sinks_go_on() {
    const TEST: &str = "a_closed_console_pipe_is_quiet_and_the_other_sinks_go_on";
    const RECORDS: usize = 2_000;
    if child::is_child(TEST) {
        let report = PathBuf::from(std::env::var_os(CHILD_DIR).unwrap()).join("report");
        let (tree, errors) = collecting_tree();
        let mem = MemorySink::new();
        let console = logtree_sinks::ConsoleSink::builder()
            .stderr()
            .color(logtree_sinks::ColorMode::Never)
            .build();
        let console = std::sync::Arc::new(console);
        let console_closed = std::sync::Arc::clone(&console);
        let app = app_logger(&tree, |options| {
            options.shared_sink(console).sink(mem.clone())
        });
        for i in 0..RECORDS {
            app.info(format_args!("record {i:05}"));
        }
        let errs = errors.all();
        let epipe = errs.iter().filter(|e| e.os == Some(libc::EPIPE)).count();
        fs::write(
            report,
            format!(
                "errors={} epipe={epipe} mem={} closed={}",
                errs.len(),
                mem.len(),
                u8::from(console_closed.closed())
            ),
        )
        .unwrap();
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let mut child = child::command(TEST)
        .env(CHILD_DIR, root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // the reader goes away at once
    let status = child::wait_within(&mut child, TIMEOUT).expect("the child hangs on a closed pipe");
    assert!(status.success(), "{status}");
    let report = fs::read_to_string(root.path().join("report")).unwrap();
    let field = |name: &str| -> usize {
        report
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("mem"), RECORDS, "{report}");
    // A reader that went away (`app | head -3`) is the end of that output, not a failure: the
    // console stops writing and nothing is reported.
    assert_eq!(field("closed"), 1, "{report}");
    assert_eq!(field("errors"), 0, "{report}");
    println!("closed console pipe: {report}");
}
