//! Real `tracing` macros through the layer into explicit trees: fields, spans, levels,
//! propagation, per-sink levels, failures.
//!
//! Each test runs its events under a scoped subscriber of its own tree, on its own thread.

use std::sync::{Arc, Mutex};

use logtree_core::{
    Error, Level, LevelFilter, LoggerTree, MemorySink, Record, SetupOptions, Sink, SinkId,
};
use logtree_formatters::JsonFormatter;
use logtree_tracing::LogtreeLayer;
use serde_json::{json, Value};
use tracing_subscriber::layer::SubscriberExt;

/// Runs `f` with a subscriber that feeds `tree`.
fn with_tree<R>(tree: &LoggerTree, f: impl FnOnce() -> R) -> R {
    let subscriber = tracing_subscriber::registry().with(LogtreeLayer::new(tree.clone()));
    tracing::subscriber::with_default(subscriber, f)
}

/// A tree whose logger `app` is at `level` and writes JSON lines to the returned sink.
fn json_app(level: LevelFilter) -> (LoggerTree, MemorySink) {
    let tree = LoggerTree::new();
    let lines = MemorySink::with_formatter(JsonFormatter::new());
    tree.setup_logger("app", SetupOptions::new().level(level).sink(lines.clone()))
        .unwrap();
    (tree, lines)
}

fn json_lines(sink: &MemorySink) -> Vec<Value> {
    sink.lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// Everything of a record the tests look at, kept past the dispatch.
#[derive(Debug, Clone)]
struct Seen {
    level: Level,
    logger: String,
    target: String,
    message: String,
    module_path: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    thread_name: Option<String>,
}

/// A sink that keeps [`Seen`] records.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<Seen>>>);

impl Sink for Recording {
    fn id(&self) -> SinkId {
        SinkId::new(format!("recording-{:p}", Arc::as_ptr(&self.0)))
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        self.0.lock().unwrap().push(Seen {
            level: record.level(),
            logger: record.logger().to_owned(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
            module_path: record.module_path().map(str::to_owned),
            file: record.file().map(str::to_owned),
            line: record.line(),
            thread_name: record.thread_name().map(str::to_owned),
        });
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug` only
struct Order {
    id: u32,
    items: Vec<&'static str>,
}

#[test]
fn fields_keep_their_types_and_the_message_is_apart() {
    let (tree, lines) = json_app(LevelFilter::Trace);
    let order = Order {
        id: 7,
        items: vec!["tea"],
    };
    let path = std::path::Path::new("/srv/a b");
    with_tree(&tree, || {
        tracing::info!(
            target: "app::orders",
            user = "ann",
            count = 3,
            big = u64::MAX,
            neg = -12i64,
            huge = i128::MIN,
            paid = true,
            ratio = 0.25,
            order = ?order,
            path = %path.display(),
            "order {} placed by {}", order.id, "ann"
        );
    });
    let lines = json_lines(&lines);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["logger"], "app.orders");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "order 7 placed by ann");
    assert_eq!(
        line["fields"],
        json!({
            "user": "ann",
            "count": 3,
            "big": u64::MAX,
            "neg": -12,
            "huge": i128::MIN.to_string(),
            "paid": true,
            "ratio": 0.25,
            "order": "Order { id: 7, items: [\"tea\"] }",
            "path": "/srv/a b",
        })
    );
}

#[test]
fn level_target_location_and_thread_come_from_the_event() {
    let tree = LoggerTree::new();
    let seen = Recording::default();
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Trace)
            .sink(seen.clone()),
    )
    .unwrap();
    let line = std::thread::Builder::new()
        .name("worker-1".into())
        .spawn(move || {
            with_tree(&tree, || {
                let line = line!() + 1;
                tracing::warn!(target: "app::net::pool", "no connection");
                tracing::trace!(target: "app", message = "a message field by name");
                tracing::error!(target: "app", status = 500);
                line
            })
        })
        .unwrap()
        .join()
        .unwrap();
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].level, Level::Warn);
    assert_eq!(seen[0].logger, "app.net.pool");
    assert_eq!(seen[0].target, "app::net::pool");
    assert_eq!(seen[0].message, "no connection");
    assert_eq!(seen[0].module_path.as_deref(), Some(module_path!()));
    assert_eq!(seen[0].file.as_deref(), Some(file!()));
    assert_eq!(seen[0].line, Some(line));
    assert_eq!(seen[0].thread_name.as_deref(), Some("worker-1"));
    assert_eq!(
        (seen[1].level, seen[1].message.as_str()),
        (Level::Trace, "a message field by name")
    );
    assert_eq!(
        (seen[2].level, seen[2].message.as_str()),
        (Level::Error, ""),
        "no message field: an empty message"
    );
}

#[test]
fn span_fields_come_first_outermost_first_and_follow_record() {
    let tree = LoggerTree::new();
    let lines = MemorySink::new();
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Debug)
            .sink(lines.clone()),
    )
    .unwrap();
    with_tree(&tree, || {
        let request = tracing::info_span!(target: "app", "request", method = "GET", id = 42);
        let _request = request.enter();
        let db = tracing::debug_span!(target: "app::db", "query", table = "users", rows = tracing::field::Empty);
        db.in_scope(|| {
            tracing::debug!(target: "app::db", "started");
            db.record("rows", 3);
            db.record("table", "orders");
            tracing::info!(target: "app::db", took_ms = 4, "done");
        });
        tracing::info!(target: "app", "outside the inner span");
    });
    tracing::info!(target: "app", "no subscriber here: not in the tree");
    assert_eq!(
        lines.lines(),
        [
            "DEBUG app.db - started span.name=request method=GET id=42 span.name=query table=users",
            "INFO app.db - done span.name=request method=GET id=42 span.name=query rows=3 \
             table=orders took_ms=4",
            "INFO app - outside the inner span span.name=request method=GET id=42",
        ]
    );
}

#[test]
fn the_tree_decides_levels_propagation_and_sinks_as_for_log_records() {
    let tree = LoggerTree::new();
    let root_lines = MemorySink::new();
    let app_lines = MemorySink::new();
    let quiet_lines = MemorySink::new();
    tree.root().add_sink(Arc::new(root_lines.clone()));
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(app_lines.clone()),
    )
    .unwrap();
    tree.setup_logger(
        "app.quiet",
        SetupOptions::new()
            .level(LevelFilter::Debug)
            .propagate(false)
            .sink(quiet_lines.clone()),
    )
    .unwrap();
    // Setting the same sink up again on a child never writes a line twice.
    tree.setup_logger("app.db", SetupOptions::new().sink(app_lines.clone()))
        .unwrap();
    app_lines.set_level(LevelFilter::Warn);
    with_tree(&tree, || {
        tracing::debug!(target: "app::db", "below app's level");
        tracing::info!(target: "app::db", "info: below the app sink's own level");
        tracing::warn!(target: "app::db", "warn: everywhere");
        tracing::debug!(target: "app::quiet", "debug: its own level, no propagation");
        tracing::warn!(target: "hyper::proto", "warn: the root's level");
        tracing::info!(target: "hyper::proto", "info: below the root's level");
        // A target that is not a logger name is handled by the root, shown as given.
        tracing::error!(target: "my target", "odd target");
    });
    assert_eq!(app_lines.lines(), ["WARN app.db - warn: everywhere"]);
    assert_eq!(
        root_lines.lines(),
        [
            "INFO app.db - info: below the app sink's own level",
            "WARN app.db - warn: everywhere",
            "WARN hyper.proto - warn: the root's level",
            "ERROR my target - odd target",
        ]
    );
    assert_eq!(
        quiet_lines.lines(),
        ["DEBUG app.quiet - debug: its own level, no propagation"]
    );
}

/// A sink that fails every write.
struct Failing;

impl Sink for Failing {
    fn id(&self) -> SinkId {
        SinkId::new("failing")
    }

    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        Err(Error::other("disk on fire"))
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A sink that logs a `tracing` event from inside its `log`.
struct Chatty;

impl Sink for Chatty {
    fn id(&self) -> SinkId {
        SinkId::new("chatty")
    }

    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        tracing::error!(target: "app", "from inside a sink");
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn failures_go_to_the_error_handler_and_events_from_sinks_are_dropped() {
    let (tree, lines) = json_app(LevelFilter::Info);
    let errors = Arc::new(Mutex::new(Vec::new()));
    let handler_errors = Arc::clone(&errors);
    tree.set_error_handler(move |err: &Error| handler_errors.lock().unwrap().push(err.to_string()));
    tree.setup_logger("app", SetupOptions::new().sink(Failing).sink(Chatty))
        .unwrap();
    with_tree(&tree, || tracing::info!(target: "app", "still written"));
    assert_eq!(json_lines(&lines)[0]["message"], "still written");
    assert_eq!(*errors.lock().unwrap(), ["disk on fire"]);
    // A scoped dispatcher does not re-enter itself: `tracing` drops the sink's event before the
    // tree sees it (the global one lets it through, to the tree's own guard: `global.rs`).
    assert_eq!(json_lines(&lines).len(), 1);
}

/// A value whose `Debug` panics, as user code may.
struct Explosive;

impl std::fmt::Debug for Explosive {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Debug of Explosive")
    }
}

/// A value whose `Debug` logs a `tracing` event of its own.
struct Nested;

impl std::fmt::Debug for Nested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tracing::info!(target: "app", "logged while formatting");
        f.write_str("nested")
    }
}

#[test]
fn a_panicking_field_still_gives_a_record() {
    let (tree, lines) = json_app(LevelFilter::Info);
    with_tree(&tree, || {
        tracing::info!(target: "app", before = 1, value = ?Explosive, "kept");
        tracing::info!(target: "app", value = ?Nested, "outer");
    });
    let lines = json_lines(&lines);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["message"], "kept");
    assert_eq!(lines[0]["fields"]["before"], 1);
    assert_eq!(
        lines[0]["fields"]["logtree.error"],
        "a field panicked while it was being formatted"
    );
    // The event logged while formatting is dropped by `tracing` itself under a scoped
    // dispatcher; `global.rs` sees it arrive under the global one.
    assert_eq!(lines[1]["message"], "outer");
    assert_eq!(lines[1]["fields"]["value"], "nested");
}

#[test]
fn log_and_tracing_records_of_one_target_look_the_same() {
    let tree = LoggerTree::new();
    let lines = MemorySink::with_formatter(JsonFormatter::new());
    tree.setup_logger(
        "app",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(lines.clone()),
    )
    .unwrap();
    let line = with_tree(&tree, || {
        tracing::info!(target: "app::db", rows = 3, ok = true, "query");
        line!() - 1
    });
    log::Log::log(
        &tree,
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app::db")
            .module_path(Some(module_path!()))
            .file(Some(file!()))
            .line(Some(line))
            .key_values(&[("rows", log::kv::Value::from(3)), ("ok", true.into())])
            .args(format_args!("query"))
            .build(),
    );
    let mut lines = json_lines(&lines);
    for line in &mut lines {
        line.as_object_mut().unwrap().remove("timestamp");
        line.as_object_mut().unwrap().remove("thread");
    }
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1]);
}
