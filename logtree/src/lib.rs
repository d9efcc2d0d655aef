//! logtree: the hierarchy and ergonomics of Python's `logging` for Rust, with rotation that
//! never loses a line.
//!
//! One call per program (or per module) gives a logger in a dotted hierarchy that writes to
//! the console and to a size-rotating dated file, `logs/App_2025-06-27.log` with backups `.1`
//! … `.5`, in lines like `2025-06-27 14:25:23.123 - app.db - INFO - connected`. Every
//! `log::info!` of every crate arrives in the tree, under its module path.
//!
//! ```
//! use logtree::{LevelFilter, Setup};
//!
//! let dir = tempfile::tempdir()?;
//! // What Python's setup_logger("app", INFO, "App", 1 MiB, 5) does, configurable by a file
//! // and the environment (LOGTREE_DIR, LOGTREE_LEVEL, RUST_LOG, LOGTREE_CONFIG).
//! Setup::new().dir(dir.path()).console(false).install("app")?;
//!
//! mod db {
//!     pub fn connect() {
//!         log::info!(target: "app::db", "connected"); // in `app::db`, plain `log::info!`
//!     }
//! }
//! db::connect();
//!
//! let file = std::fs::read_dir(dir.path())?.next().unwrap()?.path();
//! let name = file.file_name().unwrap().to_string_lossy().into_owned();
//! assert!(name.starts_with("App_") && name.ends_with(".log"));
//! let text = std::fs::read_to_string(&file)?;
//! assert!(text.ends_with(" - app.db - INFO - connected\n"));
//! assert_eq!(text.as_bytes()[23], b' ', "millisecond timestamp: YYYY-MM-DD HH:MM:SS.mmm");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The parts, usable on their own: [`logtree_core`] (the tree, the `Sink` and `Formatter`
//! traits, re-exported here), [`logtree_formatters`], [`logtree_sinks`].

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

/// The repository's README: every Rust snippet in it runs as a doctest, as pasted (the Quick
/// start writes `logs/` beside this crate's manifest, ignored by git).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub mod config;
mod message_filter;
mod setup;

pub use logtree_core::*;
pub use logtree_formatters as formatters;
pub use logtree_sinks as sinks;
/// `tracing` events in the tree (feature `tracing`, on by default).
#[cfg(feature = "tracing")]
pub use logtree_tracing as tracing;
pub use setup::{init_for_tests, setup_logger, Setup, DEFAULT_FILE_STEM, DEFAULT_LEVEL};
