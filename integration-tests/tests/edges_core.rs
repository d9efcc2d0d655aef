//! The tree at its edges (issue 22, core side; issue 16's last resort): sinks whose `level` or
//! `id` panics, many loggers, a dropped tree's sinks, the order of timestamps, and records
//! that reach no sink.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use integration_tests::child;
use integration_tests::trees::{collecting_tree, info_logger};
use log::Log;
use logtree_core::{
    Error, LevelFilter, LoggerTree, MemorySink, Record, SetupOptions, Sink, SinkId, UnixTime,
};
use logtree_sinks::RotatingFileSink;

/// A sink that panics in the method named by `panics_in`, and otherwise keeps what it gets.
struct PanicsIn {
    panics_in: &'static str,
    id: SinkId,
    lines: MemorySink,
}

impl PanicsIn {
    fn new(panics_in: &'static str) -> PanicsIn {
        PanicsIn {
            panics_in,
            id: SinkId::unique("panics-in"),
            lines: MemorySink::new(),
        }
    }
    fn maybe_panic(&self, method: &str) {
        if self.panics_in == method {
            panic!("{method} panicked on purpose");
        }
    }
}

impl Sink for PanicsIn {
    fn id(&self) -> SinkId {
        self.maybe_panic("id");
        self.id.clone()
    }
    fn level(&self) -> LevelFilter {
        self.maybe_panic("level");
        LevelFilter::Trace
    }
    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        self.maybe_panic("log");
        self.lines.log(record)
    }
    fn flush(&self) -> Result<(), Error> {
        self.maybe_panic("flush");
        Ok(())
    }
    fn shutdown(&self) -> Result<(), Error> {
        self.maybe_panic("shutdown");
        Ok(())
    }
}

/// 22.5: a sink whose `level()` panics is reported; the call returns and the later sinks get
/// the record.
#[test]
fn a_sink_whose_level_panics_is_caught_and_later_sinks_still_get_the_record() {
    let (tree, errors) = collecting_tree();
    let after = MemorySink::new();
    let app = info_logger(&tree, "app", |o| {
        o.sink(PanicsIn::new("level")).sink(after.clone())
    });
    let logged = catch_unwind(AssertUnwindSafe(|| {
        app.info(format_args!("direct"));
        tree.log(
            &log::Record::builder()
                .level(log::Level::Info)
                .target("app::x")
                .args(format_args!("through the facade"))
                .build(),
        );
    }));
    assert!(
        logged.is_ok(),
        "a panic in Sink::level reached the log call"
    );
    assert_eq!(
        after.lines(),
        ["INFO app - direct", "INFO app.x - through the facade"]
    );
    let seen = errors.all();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].text.contains("level panicked on purpose"),
        "{seen:?}"
    );
}

/// 22.5: `id()` panicking while a logger is set up is a typed error that changes nothing; the
/// other entry points that ask a sink its id do not panic either.
#[test]
fn a_sink_whose_id_panics_gives_a_setup_error_and_changes_nothing() {
    let (tree, errors) = collecting_tree();
    let set_up = catch_unwind(AssertUnwindSafe(|| {
        tree.setup_logger(
            "app",
            SetupOptions::new()
                .sink(MemorySink::new())
                .sink(PanicsIn::new("id")),
        )
    }));
    let result = set_up.expect("a panic in Sink::id reached setup_logger's caller");
    assert!(
        matches!(result, Err(Error::SinkPanicked { ref message, .. }) if message.contains("id panicked")),
        "{result:?}"
    );
    let app = tree.logger("app").expect("the logger");
    assert!(
        app.sink_ids().is_empty(),
        "no sink of a failed setup is attached"
    );

    let added = catch_unwind(AssertUnwindSafe(|| {
        app.add_sink(Arc::new(PanicsIn::new("id")))
    }));
    assert_eq!(
        added.ok(),
        Some(false),
        "add_sink reports instead of panicking"
    );
    assert_eq!(errors.len(), 1);
    let shown = catch_unwind(AssertUnwindSafe(|| {
        format!("{:?}", SetupOptions::new().sink(PanicsIn::new("id")))
    }));
    assert!(shown.is_ok(), "Debug of SetupOptions panicked");
}

/// 22.5: flush, shutdown and drop of a tree whose sink panics in each return (an error)
/// instead of panicking.
#[test]
fn a_sink_panicking_in_flush_or_shutdown_is_reported() {
    for method in ["flush", "shutdown"] {
        let (tree, errors) = collecting_tree();
        info_logger(&tree, "app", |o| o.sink(PanicsIn::new(method)));
        let result = catch_unwind(AssertUnwindSafe(|| (tree.flush(), tree.shutdown())));
        let (flushed, shut) = result.expect("a sink's panic escaped");
        assert!(flushed.is_err() || shut.is_err(), "{method}");
        drop(tree);
        let _ = errors;
    }
}

/// 22.5: on the process-wide tree (whose panic hook flushes the tree), a sink whose `id()`
/// panics makes `setup` return an error; before, the hook's flush waited for the setup lock
/// that the panicking thread held, for ever.
#[test]
fn setup_of_the_global_tree_with_a_panicking_id_returns_an_error_without_deadlock() {
    const TEST: &str =
        "setup_of_the_global_tree_with_a_panicking_id_returns_an_error_without_deadlock";
    if child::is_child(TEST) {
        let lines = MemorySink::new();
        LoggerTree::setup("first", SetupOptions::new().sink(lines.clone())).expect("setup");
        let result = LoggerTree::setup("app", SetupOptions::new().sink(PanicsIn::new("id")));
        assert!(
            matches!(result, Err(Error::SinkPanicked { .. })),
            "{result:?}"
        );
        log::warn!(target: "first", "still logging");
        assert_eq!(lines.lines(), ["WARN first - still logging"]);
        return;
    }
    stderr_of_child(TEST, "setup with a panicking Sink::id");
}

/// Runs `test` in a child process, which must end well within 20 s (`what` names the case if
/// it does not) and succeed; returns what it wrote to stderr.
fn stderr_of_child(test: &str, what: &str) -> String {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let output = child::output_within(
        &mut child::command(test),
        scratch.path(),
        Duration::from_secs(20),
        what,
    );
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// How many of `count` loggers named `prefix.<i>` one tree creates (each with a level when
/// `with_levels`) before `limit` runs out.
fn loggers_created_within(count: usize, with_levels: bool, limit: Duration) -> (usize, Duration) {
    let tree = LoggerTree::new();
    info_logger(&tree, "app", |o| o.sink(MemorySink::new()));
    let start = Instant::now();
    for i in 0..count {
        let name = format!("app.user.{i}");
        let opts = if with_levels {
            SetupOptions::new().level(LevelFilter::Debug)
        } else {
            SetupOptions::new()
        };
        tree.setup_logger(&name, opts).expect("a valid name");
        if i % 1024 == 0 && start.elapsed() > limit {
            return (i, start.elapsed());
        }
    }
    (count, start.elapsed())
}

/// 22.6: creating loggers costs about the same whatever their number. 100,000 loggers, and
/// 8,000 loggers each given a level (what a `RUST_LOG` of 8,000 directives does), in a debug
/// build within a bound far above what they take (a release build: 100,000 in well under a
/// second) and far below the quadratic time they took.
#[test]
fn creating_many_loggers_takes_linear_time() {
    let limit = Duration::from_secs(20);
    let (created, took) = loggers_created_within(100_000, false, limit);
    assert_eq!(created, 100_000, "only {created} loggers in {took:?}");
    let (created, took) = loggers_created_within(8_000, true, limit);
    assert_eq!(
        created, 8_000,
        "only {created} loggers with levels in {took:?}"
    );
}

fn rotating_sink(dir: &std::path::Path, max_bytes: u64) -> Result<RotatingFileSink, Error> {
    RotatingFileSink::builder("app")
        .dir(dir)
        .max_bytes(max_bytes)
        .build()
}

fn facade_info(tree: &LoggerTree, target: &str, message: &str) {
    tree.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target(target)
            .args(format_args!("{message}"))
            .build(),
    );
}

/// 22.7: a dropped tree lets go of its sinks: the dropping thread's route cache at once,
/// another thread's at its next record (to any tree); then a sink with other options opens on
/// the same file.
#[test]
fn a_dropped_tree_releases_its_sinks_from_every_route_cache() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let tree = LoggerTree::new();
    info_logger(&tree, "app", |o| {
        o.sink(rotating_sink(dir.path(), 1 << 20).expect("the first sink"))
    });
    facade_info(&tree, "app::here", "from this thread");

    // Another thread logs to the tree, then lives on and logs to another tree only.
    let other_tree = LoggerTree::new();
    let other_lines = MemorySink::new();
    info_logger(&other_tree, "app", |o| o.sink(other_lines.clone()));
    let (handle_dropped, wait_for_handle) = mpsc::channel::<()>();
    let (tree_dropped, wait_for_drop) = mpsc::channel::<()>();
    let (logged_again, wait_for_log) = mpsc::channel::<()>();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (tree, other_tree, stop) = (tree.clone(), other_tree.clone(), stop.clone());
        std::thread::spawn(move || {
            facade_info(&tree, "app::there", "from another thread");
            facade_info(&other_tree, "app::there", "before");
            drop(tree);
            handle_dropped.send(()).expect("the test waits");
            wait_for_drop.recv().expect("the tree is dropped");
            facade_info(&other_tree, "app::there", "after");
            logged_again.send(()).expect("the test waits");
            while !stop.load(Ordering::Relaxed) {
                std::thread::park_timeout(Duration::from_millis(50));
            }
        })
    };
    wait_for_handle
        .recv()
        .expect("the worker dropped its handle");
    drop(tree);
    tree_dropped.send(()).expect("the worker waits");
    wait_for_log.recv().expect("the worker logged again");

    let reopened = rotating_sink(dir.path(), 4096);
    stop.store(true, Ordering::Relaxed);
    worker.thread().unpark();
    worker.join().expect("the worker");
    assert!(
        reopened.is_ok(),
        "{:?}",
        reopened.err().map(|e| e.to_string())
    );
    assert_eq!(other_lines.lines().len(), 2);
}

/// 22.7, the case: one thread, one tree, records through the facade, the tree dropped.
#[test]
fn a_dropped_tree_releases_its_file_for_a_sink_with_other_options() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let tree = LoggerTree::new();
    info_logger(&tree, "app", |o| {
        o.sink(rotating_sink(dir.path(), 1 << 20).expect("the first sink"))
    });
    facade_info(&tree, "app::db", "one");
    facade_info(&tree, "app", "two");
    drop(tree);
    let reopened = rotating_sink(dir.path(), 4096);
    assert!(
        reopened.is_ok(),
        "{:?}",
        reopened.err().map(|e| e.to_string())
    );
}

/// Issue 16, item 1: a `Warn` record whose logger chain reaches no sink goes to stderr, its bare
/// message on a line (Python's `lastResort`), control characters escaped; below `Warn`, or
/// with a sink anywhere on the chain, it does not.
#[test]
fn a_warning_that_reaches_no_sink_goes_to_stderr() {
    const TEST: &str = "a_warning_that_reaches_no_sink_goes_to_stderr";
    if child::is_child(TEST) {
        let lines = MemorySink::new();
        LoggerTree::setup(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .sink(lines.clone()),
        )
        .expect("setup");
        log::warn!(target: "hyper::proto", "connection reset\nforged line");
        log::info!(target: "hyper::proto", "below Warn: not shown");
        log::warn!(target: "app::db", "to the sink only");
        log::error!(target: "other", "an error from another crate");
        assert_eq!(lines.lines(), ["WARN app.db - to the sink only"]);
        return;
    }
    let stderr = stderr_of_child(TEST, "the last resort");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "connection reset\\nforged line",
            "an error from another crate"
        ],
        "{stderr}"
    );
}

/// Issue 16, item 1: the last resort is on for a new tree too, and `set_last_resort(false)`
/// turns it off.
#[test]
fn the_last_resort_can_be_turned_off() {
    const TEST: &str = "the_last_resort_can_be_turned_off";
    if child::is_child(TEST) {
        let tree = LoggerTree::new();
        assert!(tree.last_resort());
        let quiet = tree.logger("quiet").expect("a logger");
        quiet.warn(format_args!("on by default"));
        tree.set_last_resort(false);
        quiet.error(format_args!("turned off: not shown"));
        tree.set_last_resort(true);
        let lines = MemorySink::new();
        tree.root().add_sink(Arc::new(lines.clone()));
        quiet.error(format_args!("a sink on the root: not shown on stderr"));
        assert_eq!(lines.lines().len(), 1);
        return;
    }
    let stderr = stderr_of_child(TEST, "the last resort turned off");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        ["on by default"],
        "{stderr}"
    );
}

/// The bound the README states for the time of a record against the system clock.
const CLOCK_BOUND_NANOS: i128 = 250;

fn nanos_since_epoch(at: SystemTime) -> i128 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as i128)
}

/// What one thread saw of [`UnixTime::now`] over `span`: how often it went back, and how far
/// it was at most ahead of and behind the system clock read just around it.
#[derive(Debug, Default)]
struct ClockSeen {
    reads: u64,
    backwards: u64,
    most_back: i128,
    most_ahead: i128,
    most_behind: i128,
}

fn watch_the_clock(span: Duration) -> ClockSeen {
    let mut seen = ClockSeen::default();
    let mut last = 0i128;
    let end = Instant::now() + span;
    while Instant::now() < end {
        for _ in 0..1_000 {
            let before = nanos_since_epoch(SystemTime::now());
            let stamp = nanos_since_epoch(UnixTime::now().to_system_time());
            let after = nanos_since_epoch(SystemTime::now());
            seen.reads += 1;
            if stamp < last {
                seen.backwards += 1;
                seen.most_back = seen.most_back.max(last - stamp);
            }
            last = stamp;
            seen.most_ahead = seen.most_ahead.max(stamp - after);
            seen.most_behind = seen.most_behind.max(before - stamp);
        }
    }
    seen
}

/// 22.11: within a thread, record times never go back, and they stay within the README's
/// bound of the system clock (on x86-64 Linux they come from the TSC; elsewhere, or with
/// `LOGTREE_CLOCK=system`, from the system clock itself).
#[test]
fn timestamps_of_a_thread_never_go_back_and_stay_within_the_stated_bound() {
    let threads: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(|| watch_the_clock(Duration::from_millis(1_500))))
        .collect();
    for thread in threads {
        let seen = thread.join().expect("a clock-watching thread");
        assert!(seen.reads > 0);
        assert_eq!(seen.backwards, 0, "{seen:?}");
        assert!(seen.most_ahead <= CLOCK_BOUND_NANOS, "{seen:?}");
        assert!(seen.most_behind <= CLOCK_BOUND_NANOS, "{seen:?}");
    }
    // Not vacuous: where the counter may be used, it was, and was not turned off.
    let clocksource =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    if cfg!(all(target_arch = "x86_64", target_os = "linux"))
        && clocksource.trim() == "tsc"
        && cpu_flags_say_the_counter_is_steady()
        && std::env::var_os("LOGTREE_CLOCK").is_none()
    {
        assert!(UnixTime::counter_in_use());
    }
}

/// Whether the CPU says its time-stamp counter has a constant rate and never stops.
fn cpu_flags_say_the_counter_is_steady() -> bool {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|line| line.starts_with("flags"))
        .is_some_and(|line| {
            let flags: Vec<&str> = line.split_whitespace().collect();
            flags.contains(&"constant_tsc") && flags.contains(&"nonstop_tsc")
        })
}
