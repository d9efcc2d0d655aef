//! `log::info!` in any module reaches the process-wide tree through the bridge installed by
//! `LoggerTree::setup`. Tests here share that tree: each uses its own top-level name.

use std::sync::Arc;

use logtree_core::{Error, LevelFilter, LoggerTree, MemorySink, SetupOptions, Sink, SinkId};

mod shop {
    pub mod cart {
        pub fn add(n: u32) {
            log::info!(items = n; "added {} items", n);
            log::debug!("cart debug");
        }
    }
}

#[test]
fn module_paths_map_to_dotted_loggers() {
    // This test binary's crate is `facade`, so `shop::cart` logs with target
    // `facade::shop::cart`.
    let lines = MemorySink::new();
    LoggerTree::setup(
        "facade.shop",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(lines.clone()),
    )
    .unwrap();
    shop::cart::add(2);
    assert_eq!(
        lines.lines(),
        ["INFO facade.shop.cart - added 2 items items=2"]
    );

    LoggerTree::setup(
        "facade.shop.cart",
        SetupOptions::new().level(LevelFilter::Debug),
    )
    .unwrap();
    shop::cart::add(3);
    assert_eq!(
        lines.lines()[1..],
        [
            "INFO facade.shop.cart - added 3 items items=3",
            "DEBUG facade.shop.cart - cart debug"
        ]
    );
}

#[test]
fn setup_from_many_threads_writes_each_record_once() {
    let lines = MemorySink::new();
    std::thread::scope(|s| {
        for thread in 0..8 {
            let lines = lines.clone();
            s.spawn(move || {
                for i in 0..100 {
                    LoggerTree::setup(
                        "concurrent",
                        SetupOptions::new()
                            .level(LevelFilter::Info)
                            .sink(lines.clone()),
                    )
                    .unwrap();
                    log::info!(target: "concurrent::worker", "t{thread} r{i}");
                }
            });
        }
    });
    let mut got = lines.lines();
    got.sort();
    let mut expected: Vec<String> = (0..8)
        .flat_map(|t| (0..100).map(move |i| format!("INFO concurrent.worker - t{t} r{i}")))
        .collect();
    expected.sort();
    assert_eq!(got, expected);
    let logger = LoggerTree::global().logger("concurrent").unwrap();
    assert_eq!(logger.sink_ids(), [lines.id()]);
}

#[test]
fn invalid_setup_is_a_typed_error() {
    let err = LoggerTree::setup("bad..name", SetupOptions::new()).unwrap_err();
    assert!(matches!(err, Error::InvalidName { ref name, .. } if name == "bad..name"));
    assert!(err.to_string().contains("bad..name"));
}

#[test]
fn setup_returns_one_logger_per_name() {
    let a = LoggerTree::setup("unique.name", SetupOptions::new()).unwrap();
    let b = LoggerTree::setup("unique.name", SetupOptions::new()).unwrap();
    assert!(a.same_as(&b));
    let shared: Arc<dyn logtree_core::Sink> = Arc::new(MemorySink::new());
    assert!(a.add_sink(Arc::clone(&shared)));
    assert!(!b.add_sink(shared));
    assert_ne!(a.sink_ids(), Vec::<SinkId>::new());
}
