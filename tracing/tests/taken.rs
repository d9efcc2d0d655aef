//! `Setup::tracing(true)` when another global `tracing` subscriber came first: a typed error,
//! and the tree left as it was.
//!
//! One test only: the global subscriber is per process.

use logtree::tracing::GlobalSubscriberTaken;
use logtree::{Error, LoggerTree, Setup};

#[test]
fn another_global_subscriber_is_a_typed_error_and_nothing_changes() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let result = Setup::new()
        .dir(dir.path())
        .console(false)
        .ignore_env()
        .tracing(true)
        .install("app");
    let err = result.unwrap_err();
    let Error::Other(inner) = &err else {
        panic!("not Error::Other: {err:?}")
    };
    assert_eq!(
        inner.downcast_ref::<GlobalSubscriberTaken>(),
        Some(&GlobalSubscriberTaken)
    );
    assert_eq!(
        err.to_string(),
        "another subscriber is already the global default of `tracing`"
    );
    assert_eq!(
        LoggerTree::global().logger_names(),
        [""],
        "no logger set up"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file created"
    );
    assert!(logtree::tracing::install_global().is_err(), "still taken");
}
