//! Behaviour of one tree: hierarchy, levels, propagation, setup, failures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use log::Log;

use crate::{
    Error, Level, LevelFilter, Logger, LoggerTree, MemorySink, Record, SetupOptions, Sink, SinkId,
};

fn facade_record(tree: &LoggerTree, level: log::Level, target: &str, message: &str) {
    tree.log(
        &log::Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build(),
    );
}

/// A tree whose logger `app` is at `level` and writes to the returned memory sink.
fn app_with_lines(level: LevelFilter) -> (LoggerTree, Logger, MemorySink) {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    let app = tree
        .setup_logger("app", SetupOptions::new().level(level).sink(lines.clone()))
        .unwrap();
    (tree, app, lines)
}

#[test]
fn effective_level_is_the_nearest_ancestors() {
    let tree = LoggerTree::new();
    let app = tree.logger("app").unwrap();
    let pool = tree.logger("app.db.pool").unwrap();
    assert_eq!(tree.root().level(), Some(LevelFilter::Warn));
    assert_eq!(pool.effective_level(), LevelFilter::Warn);

    app.set_level(Some(LevelFilter::Debug));
    assert_eq!(pool.effective_level(), LevelFilter::Debug);
    let db = tree.logger("app.db").unwrap();
    db.set_level(Some(LevelFilter::Error));
    assert_eq!(pool.effective_level(), LevelFilter::Error);
    assert_eq!(app.effective_level(), LevelFilter::Debug);

    db.set_level(None);
    assert_eq!(pool.effective_level(), LevelFilter::Debug);
    tree.root().set_level(None);
    assert_eq!(
        tree.root().level(),
        Some(LevelFilter::Warn),
        "the root keeps a level"
    );
}

#[test]
fn missing_ancestors_are_created_and_loggers_are_unique() {
    let tree = LoggerTree::new();
    let pool = tree.logger("app.db.pool").unwrap();
    assert_eq!(tree.logger_names(), ["", "app", "app.db", "app.db.pool"]);
    assert!(pool.same_as(&tree.logger("app.db.pool").unwrap()));
    let parent = pool.parent().unwrap();
    assert_eq!(parent.name(), "app.db");
    assert!(parent.same_as(&tree.logger("app.db").unwrap()));
    assert!(tree.root().parent().is_none());
}

#[test]
fn records_propagate_to_ancestors_until_propagate_is_false() {
    let tree = LoggerTree::new();
    let (root, app, db) = (MemorySink::new(), MemorySink::new(), MemorySink::new());
    tree.setup_logger(
        "",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(root.clone()),
    )
    .unwrap();
    tree.setup_logger("app", SetupOptions::new().sink(app.clone()))
        .unwrap();
    let db_logger = tree
        .setup_logger("app.db", SetupOptions::new().sink(db.clone()))
        .unwrap();

    db_logger.info(format_args!("one"));
    assert_eq!((root.len(), app.len(), db.len()), (1, 1, 1));

    tree.logger("app").unwrap().set_propagate(false);
    db_logger.info(format_args!("two"));
    assert_eq!((root.len(), app.len(), db.len()), (1, 2, 2));

    db_logger.set_propagate(false);
    db_logger.info(format_args!("three"));
    assert_eq!((root.len(), app.len(), db.len()), (1, 2, 3));
    assert_eq!(db.lines()[2], "INFO app.db - three");
}

#[test]
fn parents_levels_are_not_checked_while_propagating() {
    // Python's rule: the level of the logger a record was logged on decides; ancestors' levels
    // do not filter it again, their sinks' levels do.
    let (tree, _app, lines) = app_with_lines(LevelFilter::Error);
    let db = tree
        .setup_logger("app.db", SetupOptions::new().level(LevelFilter::Debug))
        .unwrap();
    db.debug(format_args!("shown"));
    tree.logger("app").unwrap().info(format_args!("hidden"));
    assert_eq!(lines.lines(), ["DEBUG app.db - shown"]);
}

#[test]
fn each_sink_applies_its_own_level() {
    let tree = LoggerTree::new();
    let (all, errors) = (MemorySink::new(), MemorySink::new());
    errors.set_level(LevelFilter::Error);
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Trace)
                .sink(all.clone())
                .sink(errors.clone()),
        )
        .unwrap();
    for level in Level::ALL {
        app.log(level, format_args!("{level}"));
    }
    assert_eq!(all.len(), 5);
    assert_eq!(errors.lines(), ["ERROR app - ERROR"]);
}

#[test]
fn setup_twice_never_attaches_a_sink_twice() {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    let opts = || {
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(lines.clone())
    };
    let first = tree.setup_logger("app", opts()).unwrap();
    let second = tree.setup_logger("app", opts()).unwrap();
    assert!(first.same_as(&second));
    assert_eq!(first.sink_ids().len(), 1);
    // A child set up with the same sink still writes each record once.
    let child = tree.setup_logger("app.net", opts()).unwrap();
    child.info(format_args!("once"));
    assert_eq!(lines.lines(), ["INFO app.net - once"]);
}

#[test]
fn second_setup_adds_new_sinks_and_changes_only_what_it_names() {
    let tree = LoggerTree::new();
    let (a, b) = (MemorySink::new(), MemorySink::new());
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .propagate(false)
                .sink(a.clone()),
        )
        .unwrap();
    tree.setup_logger("app", SetupOptions::new().sink(b.clone()))
        .unwrap();
    assert_eq!(app.level(), Some(LevelFilter::Info));
    assert!(!app.propagate());
    assert_eq!(app.sink_ids(), [a.id(), b.id()]);
    tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Error))
        .unwrap();
    assert_eq!(app.level(), Some(LevelFilter::Error));
}

#[test]
fn invalid_names_change_nothing() {
    let tree = LoggerTree::new();
    for bad in ["app..db", "app.", " app", "a\nb"] {
        assert!(matches!(
            tree.setup_logger(bad, SetupOptions::new().sink(MemorySink::new())),
            Err(Error::InvalidName { .. })
        ));
    }
    assert_eq!(tree.logger_names(), [""]);
}

#[test]
fn facade_targets_map_to_dotted_loggers() {
    let (tree, _app, lines) = app_with_lines(LevelFilter::Info);
    facade_record(&tree, log::Level::Info, "app::db::pool", "deep");
    facade_record(&tree, log::Level::Info, "app", "top");
    facade_record(&tree, log::Level::Debug, "app::db", "below level");
    // Whole segments only: `application` is not below `app`, so the root (Warn) decides.
    facade_record(&tree, log::Level::Info, "application::x", "other crate");
    assert_eq!(lines.lines(), ["INFO app.db.pool - deep", "INFO app - top"]);

    let db = tree
        .setup_logger("app.db", SetupOptions::new().level(LevelFilter::Debug))
        .unwrap();
    facade_record(&tree, log::Level::Debug, "app::db::pool", "now shown");
    assert_eq!(lines.lines()[2], "DEBUG app.db.pool - now shown");
    db.set_level(Some(LevelFilter::Off));
    facade_record(&tree, log::Level::Error, "app::db::pool", "off");
    assert_eq!(lines.len(), 3);
}

/// The thread's route cache keeps each target's level: a change anywhere above the target's
/// logger must reach a target it has cached, at once and in both directions.
#[test]
fn level_changes_reach_targets_the_thread_has_cached() {
    let (tree, app, lines) = app_with_lines(LevelFilter::Info);
    let debug_on = |tree: &LoggerTree| {
        tree.enabled(
            &log::Metadata::builder()
                .level(log::Level::Debug)
                .target("app::db")
                .build(),
        )
    };
    facade_record(&tree, log::Level::Debug, "app::db", "cached, below level");
    assert!(!debug_on(&tree));

    app.set_level(Some(LevelFilter::Debug));
    assert!(debug_on(&tree));
    facade_record(&tree, log::Level::Debug, "app::db", "shown");

    tree.root().set_level(Some(LevelFilter::Error));
    facade_record(
        &tree,
        log::Level::Debug,
        "app::db",
        "app's own level still decides",
    );

    app.set_level(None);
    assert!(!debug_on(&tree));
    facade_record(
        &tree,
        log::Level::Warn,
        "app::db",
        "root at error now decides",
    );
    facade_record(&tree, log::Level::Error, "app::db", "error passes");
    assert_eq!(
        lines.lines(),
        [
            "DEBUG app.db - shown",
            "DEBUG app.db - app's own level still decides",
            "ERROR app.db - error passes",
        ]
    );
}

/// Per-thread caches and the level table are keyed by generation numbers that no two trees
/// share: one thread feeding the same target to two trees at different levels gets each
/// tree's own decision, each time.
#[test]
fn two_trees_decide_the_same_target_by_their_own_levels() {
    let (quiet, _, quiet_lines) = app_with_lines(LevelFilter::Warn);
    let (verbose, _, verbose_lines) = app_with_lines(LevelFilter::Debug);
    for round in 0..3 {
        facade_record(
            &quiet,
            log::Level::Debug,
            "app::db",
            &format!("quiet {round}"),
        );
        facade_record(
            &verbose,
            log::Level::Debug,
            "app::db",
            &format!("verbose {round}"),
        );
    }
    assert!(quiet_lines.lines().is_empty());
    assert_eq!(
        verbose_lines.lines(),
        [
            "DEBUG app.db - verbose 0",
            "DEBUG app.db - verbose 1",
            "DEBUG app.db - verbose 2"
        ]
    );
}

#[test]
fn facade_records_keep_their_call_site_and_key_values() {
    let tree = LoggerTree::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    struct Capture(SinkId, Arc<Mutex<Vec<String>>>);
    impl Sink for Capture {
        fn id(&self) -> SinkId {
            self.0.clone()
        }
        fn log(&self, r: &Record<'_>) -> Result<(), Error> {
            let user = r.key_values().get(log::kv::Key::from("user"));
            self.1.lock().unwrap().push(format!(
                "{} {} {:?} {:?} {:?} {:?}",
                r.logger(),
                r.target(),
                r.module_path(),
                r.line(),
                user.map(|v| v.to_string()),
                r.thread_name()
            ));
            Ok(())
        }
        fn flush(&self) -> Result<(), Error> {
            Ok(())
        }
    }
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(Capture(SinkId::unique("capture"), Arc::clone(&seen))),
    )
    .unwrap();
    let kvs = [("user", "ann")];
    tree.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app::web")
            .module_path(Some("app::web"))
            .line(Some(42))
            .key_values(&kvs)
            .args(format_args!("hi"))
            .build(),
    );
    let thread = std::thread::current().name().map(str::to_owned);
    assert_eq!(
        *seen.lock().unwrap(),
        [format!(
            "app.web app::web Some(\"app::web\") Some(42) Some(\"ann\") {:?}",
            thread.as_deref()
        )]
    );
}

#[test]
fn odd_targets_go_to_the_root_under_their_own_name() {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    tree.setup_logger("", SetupOptions::new().sink(lines.clone()))
        .unwrap();
    facade_record(&tree, log::Level::Error, "my target", "x");
    facade_record(&tree, log::Level::Error, "", "y");
    assert_eq!(lines.lines(), ["ERROR my target - x", "ERROR  - y"]);
}

#[test]
fn max_level_is_the_most_verbose_effective_level() {
    let tree = LoggerTree::new();
    assert_eq!(tree.max_level(), LevelFilter::Warn);
    let db = tree.logger("app.db").unwrap();
    db.set_level(Some(LevelFilter::Trace));
    assert_eq!(tree.max_level(), LevelFilter::Trace);
    db.set_level(Some(LevelFilter::Off));
    assert_eq!(tree.max_level(), LevelFilter::Warn);
    tree.root().set_level(Some(LevelFilter::Off));
    assert_eq!(tree.max_level(), LevelFilter::Off);
}

struct Panicking(SinkId);

impl Sink for Panicking {
    fn id(&self) -> SinkId {
        self.0.clone()
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        panic!("sink exploded")
    }
    fn flush(&self) -> Result<(), Error> {
        panic!("flush exploded")
    }
}

struct Failing(SinkId);

impl Sink for Failing {
    fn id(&self) -> SinkId {
        self.0.clone()
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        Err(Error::Write {
            target: "/full/disk.log".into(),
            source: std::io::Error::other("no space left"),
        })
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

fn collecting_handler(tree: &LoggerTree) -> Arc<Mutex<Vec<String>>> {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&errors);
    tree.set_error_handler(move |err| sink.lock().unwrap().push(err.to_string()));
    errors
}

#[test]
fn failing_and_panicking_sinks_do_not_stop_the_others() {
    let tree = LoggerTree::new();
    let errors = collecting_handler(&tree);
    let (before, after) = (MemorySink::new(), MemorySink::new());
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .sink(before.clone())
                .sink(Panicking(SinkId::new("boom")))
                .sink(Failing(SinkId::new("full")))
                .sink(after.clone()),
        )
        .unwrap();
    app.info(format_args!("1"));
    app.info(format_args!("2"));
    assert_eq!(before.len(), 2);
    assert_eq!(after.len(), 2);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 4);
    assert_eq!(errors[0], "sink boom panicked: sink exploded");
    assert!(errors[1].contains("/full/disk.log") && errors[1].contains("no space left"));

    // flush reports the first failure and goes on with the other sinks.
    let flushed = tree.flush();
    assert!(matches!(flushed, Err(Error::SinkPanicked { ref sink, .. }) if sink == "boom"));
}

#[test]
fn a_panicking_error_handler_is_contained() {
    let tree = LoggerTree::new();
    tree.set_error_handler(|_| panic!("handler exploded"));
    let lines = MemorySink::new();
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .sink(Failing(SinkId::new("full")))
                .sink(lines.clone()),
        )
        .unwrap();
    app.info(format_args!("still here"));
    assert_eq!(lines.len(), 1);
}

/// A sink that logs from inside `log`, as a careless custom sink might.
struct Reentrant {
    id: SinkId,
    tree: LoggerTree,
    calls: AtomicUsize,
}

impl Sink for Reentrant {
    fn id(&self) -> SinkId {
        self.id.clone()
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        facade_record(&self.tree, log::Level::Error, "app", "from inside");
        self.tree.logger("app")?.error(format_args!("direct"));
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn logging_from_inside_a_sink_neither_recurses_nor_deadlocks() {
    let tree = LoggerTree::new();
    let sink = Arc::new(Reentrant {
        id: SinkId::unique("reentrant"),
        tree: tree.clone(),
        calls: AtomicUsize::new(0),
    });
    let app = tree
        .setup_logger("app", SetupOptions::new().shared_sink(sink.clone()))
        .unwrap();
    app.error(format_args!("outer"));
    facade_record(&tree, log::Level::Error, "app", "outer via facade");
    assert_eq!(sink.calls.load(Ordering::SeqCst), 2);
    assert_eq!(tree.reentrant_records_dropped(), 4);
}

#[test]
fn concurrent_setup_attaches_each_sink_once() {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..100 {
                    tree.setup_logger(
                        "app.worker",
                        SetupOptions::new()
                            .level(LevelFilter::Info)
                            .sink(lines.clone()),
                    )
                    .unwrap();
                }
            });
        }
    });
    let worker = tree.logger("app.worker").unwrap();
    assert_eq!(worker.sink_ids(), [lines.id()]);
    worker.info(format_args!("once"));
    assert_eq!(lines.lines(), ["INFO app.worker - once"]);
}

#[test]
fn removing_a_sink_stops_its_records() {
    let (_tree, app, lines) = app_with_lines(LevelFilter::Info);
    assert!(app.remove_sink(&lines.id()));
    assert!(!app.remove_sink(&lines.id()));
    app.info(format_args!("nobody hears"));
    assert!(lines.is_empty());
    assert!(app.add_sink(Arc::new(lines.clone())));
    assert!(!app.add_sink(Arc::new(lines.clone())));
    assert_eq!(app.effective_sink_ids(), [lines.id()]);
}

#[test]
fn dropping_the_tree_shuts_its_sinks_down() {
    struct CountShutdown(SinkId, Arc<AtomicUsize>);
    impl Sink for CountShutdown {
        fn id(&self) -> SinkId {
            self.0.clone()
        }
        fn log(&self, _: &Record<'_>) -> Result<(), Error> {
            Ok(())
        }
        fn flush(&self) -> Result<(), Error> {
            Ok(())
        }
        fn shutdown(&self) -> Result<(), Error> {
            self.1.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    let tree = LoggerTree::new();
    let sink = || CountShutdown(SinkId::new("shared"), Arc::clone(&count));
    tree.setup_logger("a", SetupOptions::new().sink(sink()))
        .unwrap();
    tree.setup_logger("a.b", SetupOptions::new().sink(sink()))
        .unwrap();
    let logger = tree.logger("a.b").unwrap();
    drop(tree);
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "a logger handle keeps the tree"
    );
    drop(logger);
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "one shutdown per distinct sink"
    );
}

#[test]
fn the_sink_error_handler_is_told_which_sink_failed() {
    struct Failing(&'static str);
    impl Sink for Failing {
        fn id(&self) -> SinkId {
            SinkId::new(self.0)
        }
        fn log(&self, _: &Record<'_>) -> Result<(), Error> {
            Err(Error::other("down"))
        }
        fn flush(&self) -> Result<(), Error> {
            panic!("flush exploded")
        }
    }
    let tree = LoggerTree::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&seen);
    tree.set_sink_error_handler(move |err, sink| {
        let sink = sink.map(|id| id.to_string());
        into.lock().unwrap().push((sink, err.to_string()));
    });
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .sink(Failing("first"))
                .sink(Failing("second")),
        )
        .unwrap();
    app.error(format_args!("x"));
    let err = tree.flush().unwrap_err();
    assert!(err.to_string().contains("flush exploded"), "{err}");
    let seen = seen.lock().unwrap();
    let names: Vec<_> = seen.iter().map(|(sink, _)| sink.as_deref()).collect();
    // Both log failures, then the second flush failure (the first is returned).
    assert_eq!(
        names,
        [Some("first"), Some("second"), Some("second")],
        "{seen:?}"
    );
    assert!(
        seen[2].1.contains("sink second panicked: flush exploded"),
        "{seen:?}"
    );
}
