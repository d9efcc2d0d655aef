//! The process-wide tree and the bridge from the `log` facade.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use super::{Logger, LoggerTree, SetupOptions};
use crate::name::{target_to_name, validate_name};
use crate::{Error, Level};

static GLOBAL: OnceLock<LoggerTree> = OnceLock::new();
/// Whether the bridge could be installed: decided once per process.
static FACADE_INSTALLED: OnceLock<bool> = OnceLock::new();

impl LoggerTree {
    /// The process-wide tree: the one [`LoggerTree::setup`] configures and the `log` facade
    /// feeds once `setup` has been called.
    pub fn global() -> &'static LoggerTree {
        GLOBAL.get_or_init(LoggerTree::new)
    }

    /// Sets up the logger `name` on the process-wide tree, like Python's
    /// `setup_logger(__name__)`, and on first use makes the tree the `log` crate's logger, so
    /// that `log::info!` anywhere reaches it (`a::b::c` -> logger `a.b.c`, or its nearest
    /// existing ancestor).
    ///
    /// See [`LoggerTree::setup_logger`] for what a second call for the same name does: it is
    /// idempotent and never attaches a sink twice.
    ///
    /// The first call also arranges for the tree to be flushed when the process ends: on a
    /// panic (from the panic hook, before the previous hook runs), on a return from `main` and
    /// on `std::process::exit` (from an `atexit` handler). Only `kill -9` and aborts escape it;
    /// against those, sinks write every record before the log call returns by default.
    ///
    /// ```
    /// use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
    /// let lines = MemorySink::new();
    /// LoggerTree::setup("app", SetupOptions::new().level(LevelFilter::Info).sink(lines.clone()))?;
    /// log::info!(target: "app::net", "listening on {}", 8080);
    /// log::debug!(target: "app::net", "not shown");
    /// assert_eq!(lines.lines(), ["INFO app.net - listening on 8080"]);
    /// # Ok::<(), logtree_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a bad name, [`Error::FacadeTaken`] when another logger owns
    /// the `log` facade already; nothing is changed in either case.
    pub fn setup(name: &str, opts: SetupOptions) -> Result<Logger, Error> {
        validate_name(&target_to_name(name))?;
        let tree = LoggerTree::global();
        tree.install_facade()?;
        tree.setup_logger(name, opts)
    }

    fn install_facade(&'static self) -> Result<(), Error> {
        let installed = *FACADE_INSTALLED.get_or_init(|| match log::set_logger(self) {
            Ok(()) => {
                // `change` pushes the tree's max level to the facade from now on.
                self.shared
                    .change(|_| self.shared.drives_facade.store(true, Ordering::Relaxed));
                super::exit::flush_global_tree_at_exit();
                true
            }
            Err(_) => false,
        });
        if installed {
            Ok(())
        } else {
            Err(Error::FacadeTaken)
        }
    }
}

/// Feeds `log` records into the tree. Installed for the process-wide tree by
/// [`LoggerTree::setup`]; on an explicit tree it lets tests hand records in directly.
impl log::Log for LoggerTree {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.shared
            .facade_enabled(Level::from(metadata.level()), metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.shared.facade_known_disabled(record) {
            self.log_looked_up(record);
        }
    }

    fn flush(&self) {
        if let Err(err) = LoggerTree::flush(self) {
            self.shared.report(&err);
        }
    }
}

impl LoggerTree {
    /// The facade's `log` past the level table's check. A method of the tree, taking what
    /// `log` took, so that `log` reaches it by a jump with its arguments still in place and
    /// saves no register of its own.
    #[inline(never)]
    fn log_looked_up(&self, record: &log::Record<'_>) {
        self.shared.log_facade(record);
    }
}
