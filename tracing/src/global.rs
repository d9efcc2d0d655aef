//! The process-wide subscriber.

use std::sync::OnceLock;

use logtree_core::Error;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::LogtreeLayer;

/// Makes a [`tracing_subscriber::Registry`] with a [`LogtreeLayer`] on the process-wide tree
/// the global `tracing` subscriber, so that `tracing::info!` anywhere (tokio, hyper, axum, the
/// program's own code) reaches the loggers that [`LoggerTree::setup`] configures, beside the
/// `log` records. Calling it again does nothing.
///
/// It does not install the `log` bridge: [`LoggerTree::setup`] does, and `logtree`'s
/// `Setup::tracing(true)` does both.
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
///
/// let lines = MemorySink::new();
/// LoggerTree::setup("app", SetupOptions::new().level(LevelFilter::Info).sink(lines.clone()))?;
/// logtree_tracing::install_global()?;
/// logtree_tracing::install_global()?; // idempotent
///
/// tracing::info!(target: "app::net", port = 8080, "listening");
/// log::info!(target: "app::net", "from log");
/// assert_eq!(
///     lines.lines(),
///     ["INFO app.net - listening port=8080", "INFO app.net - from log"]
/// );
/// # Ok::<(), logtree_core::Error>(())
/// ```
///
/// [`LoggerTree::setup`]: logtree_core::LoggerTree::setup
///
/// # Errors
/// [`Error::Other`] holding a [`GlobalSubscriberTaken`] when another global subscriber was
/// installed first; nothing is changed then.
pub fn install_global() -> Result<(), Error> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(LogtreeLayer::global());
        tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber))
            .is_ok()
    });
    if installed {
        Ok(())
    } else {
        Err(Error::other(GlobalSubscriberTaken))
    }
}

/// Another global `tracing` subscriber was installed before [`install_global`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalSubscriberTaken;

impl std::fmt::Display for GlobalSubscriberTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("another subscriber is already the global default of `tracing`")
    }
}

impl std::error::Error for GlobalSubscriberTaken {}
