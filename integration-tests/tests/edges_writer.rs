//! The rotating file writer at the edges: `fork`, a full disk that clears, many short-lived
//! threads while writes fail. Each test failed before the fix it names (figures in the
//! comments).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use integration_tests::child;
use integration_tests::log_dir::{read_whole_lines, sink_files};
use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{FlushPolicy, RotatingFileSink};

/// How many times each line of every file of `stem` in `dir` occurs.
fn line_counts(dir: &Path, stem: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for path in sink_files(dir, stem) {
        for line in read_whole_lines(&path).lines() {
            let message = line.rsplit(" - ").next().unwrap_or(line).to_owned();
            *counts.entry(message).or_insert(0) += 1;
        }
    }
    counts
}

/// The daemonize pattern with buffered records: set up logging, log, `fork` while another
/// thread logs, the child logs and exits (through `exit`, which flushes the process-wide
/// tree), the parent goes on. Each record is written once, and the child never hangs.
///
/// Before the fork-aware writer (0bab32d): every record buffered before the fork was written
/// twice (by the child's exit flush too), and the child deadlocked on the logging thread's
/// buffer lock in some runs.
#[test]
fn a_forked_child_writes_none_of_its_parents_records_and_never_hangs() {
    const TEST: &str = "a_forked_child_writes_none_of_its_parents_records_and_never_hangs";
    let scratch = tempfile::tempdir().unwrap();
    if child::is_child(TEST) {
        forking_process(Path::new(&std::env::var("LOGTREE_TEST_DIR").unwrap()));
        return;
    }
    let dir = scratch.path().join("logs");
    let out = child::output_within(
        child::command(TEST).env("LOGTREE_TEST_DIR", &dir),
        scratch.path(),
        Duration::from_secs(60),
        "the forking process",
    );
    assert!(out.status.success(), "{out:?}");
    let counts = line_counts(&dir, "Fork");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "written more than once: {:?}",
        &twice[..twice.len().min(5)]
    );
    for i in 0..1000 {
        assert_eq!(counts.get(&format!("before {i}")), Some(&1), "before {i}");
        assert_eq!(counts.get(&format!("after {i}")), Some(&1), "after {i}");
    }
    for i in 0..100 {
        assert_eq!(counts.get(&format!("child {i}")), Some(&1), "child {i}");
    }
    let background = counts.keys().filter(|k| k.starts_with("thread ")).count();
    assert!(background > 0);
    for i in 0..background {
        assert_eq!(counts.get(&format!("thread {i}")), Some(&1), "thread {i}");
    }
}

fn forking_process(dir: &Path) {
    let file = RotatingFileSink::builder("Fork")
        .dir(dir)
        .max_bytes(16 * 1024)
        .backup_count(1000)
        .flush_policy(FlushPolicy::Buffered {
            capacity: 64 * 1024,
            interval: Duration::from_secs(3600),
        })
        .build()
        .unwrap();
    let app = LoggerTree::setup(
        "app",
        SetupOptions::new().level(LevelFilter::Info).sink(file),
    )
    .unwrap();
    for i in 0..1000 {
        app.info(format_args!("before {i}"));
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let logging = {
        let (stop, app) = (stop.clone(), app.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                app.info(format_args!("thread {i}"));
                i += 1;
            }
        })
    };
    // Let the thread get going, so that the fork lands while it logs.
    while !std::fs::read_dir(dir).is_ok_and(|d| d.count() > 0) {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    // SAFETY: fork in a multi-threaded process; the child only logs and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        for i in 0..100 {
            app.info(format_args!("child {i}"));
        }
        // `exit` flushes the process-wide tree (atexit), as a daemon's end does.
        std::process::exit(0);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    logging.join().unwrap();
    for i in 0..1000 {
        app.info(format_args!("after {i}"));
    }
    // The child must end on its own: a hang is a deadlock.
    let mut status = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        // SAFETY: waiting for our own child.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            break;
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child hung (deadlock)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status}"
    );
    LoggerTree::global().flush().unwrap();
}
