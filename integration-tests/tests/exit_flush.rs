//! Records held in a buffering sink of the process-wide tree reach their file when the process
//! ends by a panic, a return from `main`, or `std::process::exit`: the tree flushes itself from
//! its panic hook and its `atexit` handler. Each ending runs in a child process (this test
//! binary, re-run with `EXIT_FLUSH_MODE` set).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use integration_tests::child;
use integration_tests::sinks::StuckOnFlush;
use logtree_core::{
    Error, Formatter, LevelFilter, LoggerTree, PlainFormatter, Record, SetupOptions, Sink, SinkId,
};

/// Keeps every record in memory until `flush`, as a buffered file sink does at worst.
struct HoldUntilFlush {
    path: PathBuf,
    held: Mutex<Vec<u8>>,
}

impl Sink for HoldUntilFlush {
    fn id(&self) -> SinkId {
        SinkId::new(self.path.display().to_string())
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        PlainFormatter.format(record, &mut self.held.lock().unwrap())
    }
    fn flush(&self) -> Result<(), Error> {
        let mut held = self.held.lock().unwrap();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
        file.write_all(&held).unwrap();
        held.clear();
        Ok(())
    }
}

const RECORDS: usize = 500;

/// The child's body; a no-op unless this binary runs as a child.
#[test]
fn child() {
    if !child::is_child("child") {
        return;
    }
    let mode = std::env::var("EXIT_FLUSH_MODE").expect("the child's mode");
    let path = std::env::var("EXIT_FLUSH_FILE").expect("the child's file");
    let sink = HoldUntilFlush {
        path: path.into(),
        held: Mutex::new(Vec::new()),
    };
    LoggerTree::setup(
        "child",
        SetupOptions::new().level(LevelFilter::Info).sink(sink),
    )
    .unwrap();
    for i in 0..RECORDS {
        log::info!(target: "child", "record {i}");
    }
    match mode.as_str() {
        "panic" => {
            // Abort right after the panic so that no exit handler runs: only the panic hook
            // can have flushed (as with `panic = "abort"`).
            let _ = std::thread::spawn(|| panic!("the child panics")).join();
            std::process::abort();
        }
        "exit" => std::process::exit(3),
        _ => {} // return: the test harness ends the process normally
    }
}

fn run_child(mode: &str) -> (std::process::ExitStatus, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.log");
    let output = child::command("child")
        .env("EXIT_FLUSH_MODE", mode)
        .env("EXIT_FLUSH_FILE", &file)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    (output.status, text.lines().map(str::to_owned).collect())
}

fn assert_all_records(lines: &[String]) {
    let expected: Vec<String> = (0..RECORDS)
        .map(|i| format!("INFO child - record {i}"))
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn a_panic_flushes_the_tree() {
    let (status, lines) = run_child("panic");
    assert!(!status.success());
    assert_all_records(&lines);
}

#[test]
fn process_exit_flushes_the_tree() {
    let (status, lines) = run_child("exit");
    assert_eq!(status.code(), Some(3));
    assert_all_records(&lines);
}

#[test]
fn returning_normally_flushes_the_tree() {
    let (status, lines) = run_child("return");
    assert!(status.success());
    assert_all_records(&lines);
}

/// The child's body for the stuck-sink case; a no-op unless run as that child.
#[test]
fn stuck_child() {
    if !child::is_child("stuck_child") {
        return;
    }
    LoggerTree::setup("stuck", SetupOptions::new().sink(StuckOnFlush)).unwrap();
    std::process::exit(7);
}

#[test]
fn a_stuck_sink_does_not_keep_the_process_alive_at_exit() {
    let mut child = child::command("stuck_child")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The exit flush gives up after its budget (2 s); allow ample time before calling it a hang.
    let status = child::wait_within(&mut child, Duration::from_secs(30))
        .expect("the child hung at exit behind a stuck sink");
    assert_eq!(status.code(), Some(7));
}
