//! The `log` facade's max level follows every level change in the process-wide tree, so a
//! disabled call stops at one atomic load. Alone in its binary: it owns the global levels.

use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};

#[test]
fn facade_max_level_follows_level_changes() {
    let lines = MemorySink::new();
    let app = LoggerTree::setup("app", SetupOptions::new().sink(lines.clone())).unwrap();
    // Root at Warn, `app` inherits it.
    assert_eq!(log::max_level(), log::LevelFilter::Warn);
    assert!(!log::log_enabled!(target: "app", log::Level::Info));

    let db = LoggerTree::setup("app.db", SetupOptions::new().level(LevelFilter::Trace)).unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Trace);
    assert!(log::log_enabled!(target: "app::db::pool", log::Level::Trace));
    assert!(!log::log_enabled!(target: "app::net", log::Level::Info));

    db.set_level(Some(LevelFilter::Info));
    assert_eq!(log::max_level(), log::LevelFilter::Info);
    app.set_level(Some(LevelFilter::Debug));
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    app.set_level(None);
    db.set_level(None);
    assert_eq!(log::max_level(), log::LevelFilter::Warn);

    LoggerTree::global()
        .root()
        .set_level(Some(LevelFilter::Off));
    assert_eq!(log::max_level(), log::LevelFilter::Off);
    log::error!(target: "app", "nobody hears this");
    assert!(lines.is_empty());

    LoggerTree::global()
        .root()
        .set_level(Some(LevelFilter::Error));
    log::error!(target: "app::db", "heard");
    assert_eq!(lines.lines(), ["ERROR app.db - heard"]);
}
