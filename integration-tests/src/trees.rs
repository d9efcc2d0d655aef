//! Explicit logger trees as the tests set them up: a logger at `Info` with the sinks a test
//! gives it, and an error handler that collects every failure.

use std::sync::{Arc, Mutex, PoisonError};

use logtree_core::{Error, LevelFilter, Logger, LoggerTree, SetupOptions};

/// Sets the logger `name` of `tree` up at `Info`, with the sinks `add` puts on its options.
pub fn info_logger(
    tree: &LoggerTree,
    name: &str,
    add: impl FnOnce(SetupOptions) -> SetupOptions,
) -> Logger {
    tree.setup_logger(name, add(SetupOptions::new().level(LevelFilter::Info)))
        .unwrap_or_else(|e| panic!("setting up the logger {name:?}: {e}"))
}

/// A failure as the error handler saw it: its message, and the OS error code if it has one.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The error's message (its `Display`).
    pub text: String,
    /// The OS error code behind it ([`os_error`]).
    pub os: Option<i32>,
}

/// The OS error code behind `err`, if it has one.
pub fn os_error(err: &Error) -> Option<i32> {
    match err {
        Error::Write { source, .. }
        | Error::Flush { source, .. }
        | Error::OpenFile { source, .. }
        | Error::CreateDir { source, .. }
        | Error::Rename { source, .. }
        | Error::RemoveFile { source, .. }
        | Error::Compress { source, .. }
        | Error::ReadDir { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// Every failure a tree's error handler has seen since [`Errors::collect`], in order.
#[derive(Clone, Debug, Default)]
pub struct Errors(Arc<Mutex<Vec<Seen>>>);

impl Errors {
    /// Sets `tree`'s error handler to one that collects every failure into the list returned.
    pub fn collect(tree: &LoggerTree) -> Errors {
        let errors = Errors::default();
        let seen = errors.clone();
        tree.set_error_handler(move |err| {
            seen.lock().push(Seen {
                text: err.to_string(),
                os: os_error(err),
            });
        });
        errors
    }

    /// The failures seen so far.
    pub fn all(&self) -> Vec<Seen> {
        self.lock().clone()
    }

    /// How many failures were seen so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True while no failure has been seen.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Seen>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new explicit tree whose error handler collects every failure.
pub fn collecting_tree() -> (LoggerTree, Errors) {
    let tree = LoggerTree::new();
    let errors = Errors::collect(&tree);
    (tree, errors)
}
