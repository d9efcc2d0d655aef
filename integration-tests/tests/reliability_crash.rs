//! A crash loses nothing the policy promises to keep.
//!
//! - `EveryRecord` (the default): a child process logs numbered records through `log::info!`
//!   into a `RotatingFileSink` (small files, many roll-overs) and reports on its stdout, one line
//!   per record, the number of each record whose call has returned. The parent reads up to a
//!   random count, kills the child with SIGKILL, and finds on disk every record up to the last
//!   reported one (and any logged after it), each once, in order, no line torn. The child is
//!   then restarted on the same files (it appends, its size counted) and killed again. Four
//!   threads logging at once (their lines written concurrently) are killed the same way.
//! - `Buffered` with a one-hour interval and a large buffer, so nothing but the process-wide
//!   tree's exit hooks can have flushed: a panic (then an abort, so no exit handler runs), a
//!   panic of the main thread, a return from `main` and `std::process::exit` each leave every
//!   record on disk; so does each of them with a custom sink stuck in `flush` attached before
//!   the file (the process still ends, and the file's records are written).
//! - `Buffered` records reach the file within about the interval without any `flush` call (the
//!   timer thread), so `kill -9` can only cost the last interval.
//! - An explicit tree (`LoggerTree::new`) has no exit hook: dropping it or calling `shutdown`
//!   before `std::process::exit` writes its buffered records (both tested).
//!
//! What no test can cover: `kill -9` (or an abort without a panic, or a power loss) while
//! records sit in a `Buffered` buffer loses up to one interval of records; only `EveryRecord`
//! survives that. The seed of the random kill points is printed; set `LOGTREE_CRASH_SEED` to
//! replay a run.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use integration_tests::numbered::InOrder;
use integration_tests::sinks::StuckOnFlush;
use integration_tests::trees::info_logger;
use integration_tests::{child, log_dir, log_line};
use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{FlushPolicy, RotatingFileSink};

/// The child's log directory.
const DIR: &str = "RELIABILITY_CRASH_DIR";
const MODE: &str = "RELIABILITY_CRASH_MODE";
/// The first record number of a restarted child.
const START: &str = "RELIABILITY_CRASH_START";
const STEM: &str = "Crash";
/// The killed child logs at most this many records; the parent kills it well before.
const MAX_RECORDS: u64 = 1_000_000;
const KILLS: usize = 4;
/// Threads of the child killed while they all log.
const THREADS: usize = 4;
const BUFFERED_RECORDS: u64 = 5_000;
const DEADLINE: Duration = Duration::from_secs(120);

/// SplitMix64: a seeded sequence, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn seed() -> u64 {
    match std::env::var("LOGTREE_CRASH_SEED") {
        Ok(s) => s.trim().parse().expect("LOGTREE_CRASH_SEED: a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

/// The message of every line of every file of `dir` (`<stem>_<date>.log` and its backups,
/// oldest first), each checked to be a whole `<time> - crash - INFO - <message>` line.
fn messages_on_disk(dir: &Path) -> Vec<String> {
    let mut messages = Vec::new();
    for file in log_dir::sink_files(dir, STEM) {
        for line in log_dir::read_whole_lines(&file).lines() {
            let message = log_line::after_timestamp(line)
                .and_then(|rest| rest.strip_prefix(" - crash - INFO - "))
                .unwrap_or_else(|| panic!("{}: torn or foreign line {line:?}", file.display()));
            messages.push(message.to_owned());
        }
    }
    messages
}

/// The numbers of `record N` lines on disk, oldest first.
fn numbers_on_disk(dir: &Path) -> Vec<u64> {
    messages_on_disk(dir)
        .iter()
        .map(|m| {
            m.strip_prefix("record ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("torn or foreign message {m:?}"))
        })
        .collect()
}

fn file_sink(dir: &Path, policy: FlushPolicy, max_bytes: u64) -> RotatingFileSink {
    RotatingFileSink::builder(STEM)
        .dir(dir)
        .max_bytes(max_bytes)
        .backup_count(100_000)
        .flush_policy(policy)
        .build()
        .unwrap()
}

/// Sets the process-wide logger `crash` up at `Info` with an `EveryRecord` file in `dir`
/// (8 KiB files: many roll-overs), as the killed children log.
fn set_up_every_record(dir: &Path) {
    LoggerTree::setup(
        "crash",
        SetupOptions::new().level(LevelFilter::Info).sink(file_sink(
            dir,
            FlushPolicy::EveryRecord,
            8 * 1024,
        )),
    )
    .unwrap();
}

/// The child's body for every test; a no-op unless this binary runs as a child.
#[test]
fn child() {
    if !child::is_child("child") {
        return;
    }
    let dir = std::env::var_os(DIR).expect("the child's directory");
    let mode = std::env::var(MODE).expect("the child's mode");
    let dir = Path::new(&dir);
    if mode == "kill" {
        set_up_every_record(dir);
        let start: u64 = std::env::var(START).map_or(0, |s| s.parse().unwrap());
        let mut out = std::io::stdout().lock();
        for i in start..start + MAX_RECORDS {
            log::info!(target: "crash", "record {i}");
            // The call has returned: say so (one line, flushed, through the pipe).
            writeln!(out, "returned {i}").unwrap();
            out.flush().unwrap();
        }
        return;
    }

    if mode == "kill_threads" {
        set_up_every_record(dir);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                s.spawn(move || {
                    for i in 0..MAX_RECORDS {
                        log::info!(target: "crash", "t{t} record {i}");
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "returned {t} {i}").unwrap();
                        out.flush().unwrap();
                    }
                });
            }
        });
        return;
    }

    let policy = FlushPolicy::Buffered {
        capacity: 4 * 1024 * 1024,
        interval: Duration::from_secs(3600),
    };
    if mode == "tree_dropped" || mode == "tree_shut_down" {
        // An explicit tree is no process-wide one: no exit hook flushes it. Its owner drops it
        // or shuts it down before `exit`, and that writes the buffer.
        let sink = file_sink(dir, policy, 0);
        let path = sink.path();
        let tree = LoggerTree::new();
        let app = info_logger(&tree, "crash", |options| options.sink(sink));
        for i in 0..BUFFERED_RECORDS {
            app.info(format_args!("record {i}"));
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "flushed early");
        if mode == "tree_shut_down" {
            tree.shutdown().unwrap();
            // Keep the tree alive past `exit`: only the shutdown can have written the buffer.
            std::mem::forget((tree, app));
        } else {
            drop((tree, app));
        }
        std::process::exit(7);
    }
    let sink = file_sink(dir, policy, 0);
    let path = sink.path();
    let (mode, stuck) = match mode.strip_suffix("_stuck") {
        Some(mode) => (mode.to_owned(), true),
        None => (mode, false),
    };
    let mut options = SetupOptions::new().level(LevelFilter::Info);
    if stuck {
        // Attached first, so the tree's flush reaches it before the file.
        options = options.sink(StuckOnFlush);
    }
    LoggerTree::setup("crash", options.sink(sink)).unwrap();
    for i in 0..BUFFERED_RECORDS {
        log::info!(target: "crash", "record {i}");
    }
    // Nothing reached the file yet: only the ending below can write the records.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "flushed early");
    match mode.as_str() {
        "panic" => {
            // A panic on another thread, then abort: no exit handler and no destructor runs,
            // so only the panic hook can have flushed.
            let _ = std::thread::spawn(|| panic!("the child panics")).join();
            std::process::abort();
        }
        "panic_main" => panic!("the child's main thread panics"),
        "exit" => std::process::exit(7),
        "return" => {} // the harness returns from `main`
        other => panic!("unknown mode {other}"),
    }
}

/// The child running `child` in `mode`, logging to `dir`.
fn child_command(dir: &Path, mode: &str) -> Command {
    let mut command = child::command("child");
    command.env(DIR, dir).env(MODE, mode);
    command
}

/// Runs a logging child (`command`), hands what follows `returned ` in each line it reports to
/// `returned` until that says to stop, then kills the child with SIGKILL.
fn run_until_killed(command: &mut Command, mut returned: impl FnMut(&str) -> bool) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let began = Instant::now();
    // Kept open until the kill: the child is killed, not cut off from its stdout.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.strip_prefix("returned ").is_some_and(&mut returned) {
            break;
        }
        assert!(began.elapsed() < DEADLINE, "the child is too slow");
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was not killed");
}

/// Runs the logging child from record `start` until it has reported `kill_at` records, kills it
/// with SIGKILL, and returns the last number it reported.
fn life_until_killed(dir: &Path, start: u64, kill_at: u64) -> u64 {
    let mut last_returned = None;
    run_until_killed(
        child_command(dir, "kill").env(START, start.to_string()),
        |n| {
            let n: u64 = n.parse().unwrap();
            last_returned = Some(n);
            n + 1 >= start + kill_at
        },
    );
    last_returned.expect("the child reported no record")
}

/// Checks the records on disk are exactly 0, 1, 2, ... and at least `through`.
fn assert_contiguous(dir: &Path, through: u64, context: &str) -> u64 {
    let numbers = numbers_on_disk(dir);
    let logged = numbers.len() as u64;
    assert!(
        logged > through,
        "{context}: record {through} had returned but only {logged} records are on disk"
    );
    for (expected, &found) in numbers.iter().enumerate() {
        assert_eq!(
            found, expected as u64,
            "{context}: record {found} where {expected} was due (lost or duplicated)"
        );
    }
    logged
}

#[test]
fn sigkill_loses_no_record_whose_call_returned() {
    let seed = seed();
    println!("LOGTREE_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    for round in 0..KILLS {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs");
        // Killed once, restarted on the same files (appending, its size counted), killed again.
        let first_kill = 1 + rng.next() % 20_000;
        let last = life_until_killed(&dir, 0, first_kill);
        let context = format!("round {round} (seed {seed}), first life");
        let logged = assert_contiguous(&dir, last, &context);
        let second_kill = 1 + rng.next() % 20_000;
        let last_again = life_until_killed(&dir, logged, second_kill);
        let context = format!("round {round} (seed {seed}), after the restart");
        let total = assert_contiguous(&dir, last_again, &context);
        let files = std::fs::read_dir(&dir).unwrap().count();
        println!(
            "round {round}: killed after record {last} returned, restarted, killed after record {last_again}; {total} records on disk in {files} files"
        );
    }
}

/// Four threads log at once (their lines written concurrently) when SIGKILL comes: on disk,
/// every line is whole, and each thread's records run from 0 without a gap up to at least the
/// last one it reported.
#[test]
fn sigkill_while_threads_log_at_once_loses_no_returned_record() {
    let seed = seed();
    println!("LOGTREE_CRASH_SEED={seed}");
    let mut rng = Rng(seed ^ 0x5EED);
    for round in 0..KILLS {
        let kill_at = 1 + rng.next() % 40_000;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs");
        let mut reported: [Option<usize>; THREADS] = [None; THREADS];
        let mut total = 0;
        run_until_killed(&mut child_command(&dir, "kill_threads"), |rest| {
            let (t, i) = rest.split_once(' ').unwrap();
            reported[t.parse::<usize>().unwrap()] = Some(i.parse().unwrap());
            total += 1;
            total >= kill_at
        });

        let mut in_order = InOrder::new(THREADS);
        for message in messages_on_disk(&dir) {
            let (t, i) = message
                .strip_prefix('t')
                .and_then(|m| m.split_once(" record "))
                .and_then(|(t, i)| Some((t.parse::<usize>().ok()?, i.parse::<usize>().ok()?)))
                .unwrap_or_else(|| panic!("torn or merged line {message:?}"));
            in_order.take(t, i, format_args!("round {round} (seed {seed})"));
        }
        let next = in_order.counts();
        for t in 0..THREADS {
            if let Some(last) = reported[t] {
                assert!(
                    next[t] > last,
                    "round {round} (seed {seed}): thread {t} reported record {last} returned, only {} on disk",
                    next[t]
                );
            }
        }
        println!(
            "round {round}: killed after {total} reported records; on disk per thread {next:?}"
        );
    }
}

/// How a child ends.
#[derive(Clone, Copy)]
enum Ending {
    /// By a panic or an abort: no success.
    Failure,
    /// By `std::process::exit(7)`.
    Exit7,
    /// By returning from `main`: success.
    Success,
}

impl Ending {
    fn assert(self, mode: &str, status: ExitStatus) {
        match self {
            Ending::Failure => assert!(!status.success(), "{mode}: {status}"),
            Ending::Exit7 => assert_eq!(status.code(), Some(7), "{mode}: {status}"),
            Ending::Success => assert!(status.success(), "{mode}: {status}"),
        }
    }
}

/// Runs the buffering child in `mode`, checks it ended as `ending` says and that every record
/// is on disk.
fn run_buffered(mode: &str, ending: Ending) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    let output = child::output_within(&mut child_command(&dir, mode), root.path(), DEADLINE, mode);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("flushed early"),
        "{mode}: the buffer was written before the ending: {stderr}"
    );
    let numbers = numbers_on_disk(&dir);
    let expected: Vec<u64> = (0..BUFFERED_RECORDS).collect();
    if numbers != expected {
        let first_wrong = numbers.iter().zip(&expected).position(|(a, b)| a != b);
        panic!(
            "{mode}: {} of {BUFFERED_RECORDS} records on disk, first out of place at {first_wrong:?}\n{stdout}\n{}",
            numbers.len(),
            &stderr[..stderr.len().min(2000)]
        );
    }
    ending.assert(mode, output.status);
}

#[test]
fn buffered_records_survive_a_panic() {
    run_buffered("panic", Ending::Failure);
}

#[test]
fn buffered_records_survive_a_panic_of_the_main_thread() {
    run_buffered("panic_main", Ending::Failure);
}

#[test]
fn buffered_records_survive_process_exit() {
    run_buffered("exit", Ending::Exit7);
}

#[test]
fn buffered_records_survive_a_return_from_main() {
    run_buffered("return", Ending::Success);
}

#[test]
fn buffered_records_of_an_explicit_tree_survive_exit_once_it_is_dropped() {
    run_buffered("tree_dropped", Ending::Exit7);
}

#[test]
fn buffered_records_of_an_explicit_tree_survive_exit_once_it_is_shut_down() {
    run_buffered("tree_shut_down", Ending::Exit7);
}

// A custom sink stuck in `flush` must neither keep the process alive nor cost the other sinks
// their buffered records.

#[test]
fn a_stuck_sink_does_not_keep_a_panicking_process_alive_or_lose_the_files_records() {
    run_buffered("panic_stuck", Ending::Failure);
}

#[test]
fn a_stuck_sink_does_not_keep_an_exiting_process_alive_or_lose_the_files_records() {
    run_buffered("exit_stuck", Ending::Exit7);
}

#[test]
fn a_stuck_sink_does_not_keep_a_returning_process_alive_or_lose_the_files_records() {
    run_buffered("return_stuck", Ending::Success);
}

/// `Buffered`: a record waits at most about the interval, with no `flush` call (the timer
/// thread writes it), so `kill -9` can only cost the last interval's records.
#[test]
fn buffered_records_reach_the_file_within_the_interval() {
    const INTERVAL: Duration = Duration::from_millis(200);
    /// Generous for a loaded CI machine; a timer that never fires fails it anyway.
    const SLACK: Duration = Duration::from_secs(5);
    let root = tempfile::tempdir().unwrap();
    let sink = file_sink(
        root.path(),
        FlushPolicy::Buffered {
            capacity: 1024 * 1024,
            interval: INTERVAL,
        },
        0,
    );
    let path = sink.path();
    let tree = LoggerTree::new();
    let app = info_logger(&tree, "crash", |options| options.sink(sink));
    for round in 0..3u64 {
        let start = Instant::now();
        for i in 0..100 {
            app.info(format_args!("record {}", round * 100 + i));
        }
        loop {
            let numbers = numbers_on_disk(root.path());
            if numbers.len() as u64 == (round + 1) * 100 {
                assert_eq!(numbers, (0..(round + 1) * 100).collect::<Vec<_>>());
                break;
            }
            assert!(
                start.elapsed() < INTERVAL + SLACK,
                "round {round}: {} records still buffered after {:?}",
                (round + 1) * 100 - numbers.len() as u64,
                start.elapsed()
            );
            std::thread::sleep(Duration::from_millis(5)); // polling a deadline
        }
        println!("round {round}: on disk after {:?}", start.elapsed());
    }
    drop((app, tree));
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
}
