//! The core of logtree: a tree of dotted loggers in the manner of Python's `logging`, the
//! [`Sink`] and [`Formatter`] traits that destinations and layouts implement, and the bridge
//! that brings every `log::info!` of every crate into the tree.
//!
//! - [`LoggerTree::setup`] is the one call a program makes per logger, as Python's
//!   `setup_logger(__name__)`: it creates the logger and its ancestors, attaches sinks at most
//!   once, and connects the `log` facade.
//! - Records propagate from a logger to its ancestors' sinks; levels are inherited from the
//!   nearest ancestor that has one (the root's is `Warn`).
//! - A disabled `log::debug!` costs one atomic load: the facade's max level follows the most
//!   verbose level in the tree.
//! - A sink that fails or panics is reported through the tree's error handler; the caller and
//!   the other sinks go on.
//!
//! Sinks and formatters of other crates need this crate only. Console and rotating-file sinks
//! live in `logtree-sinks`, the millisecond formatter in `logtree-formatters`.
//!
//! ```
//! use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
//!
//! let lines = MemorySink::new();
//! LoggerTree::setup("shop", SetupOptions::new().level(LevelFilter::Info).sink(lines.clone()))?;
//!
//! // Any crate, any module below `shop`: the target `shop::cart` is the logger `shop.cart`.
//! log::info!(target: "shop::cart", "added {} items", 2);
//! log::debug!(target: "shop::cart", "disabled: below Info");
//!
//! // Setting up a module's logger again with the same sink never prints a line twice.
//! LoggerTree::setup("shop.cart", SetupOptions::new().sink(lines.clone()))?;
//! log::warn!(target: "shop::cart", "stock low");
//!
//! assert_eq!(lines.lines(), ["INFO shop.cart - added 2 items", "WARN shop.cart - stock low"]);
//! # Ok::<(), logtree_core::Error>(())
//! ```

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
mod error_handler;
mod formatter;
mod level;
mod memory;
mod name;
mod record;
mod sink;
pub mod text;
mod time;
pub mod timestamp;
mod tree;

pub use error::Error;
pub use error_handler::{ErrorHandler, SinkErrorHandler, StderrErrorHandler};
pub use formatter::{
    for_each_key_value, write_args, write_display, write_key_values, Formatter, PlainFormatter,
};
pub use level::{AtomicLevelFilter, Level, LevelFilter};
pub use memory::MemorySink;
pub use name::{target_to_name, validate_name};
pub use record::{with_current_thread, Record, RecordBuilder};
pub use sink::{Sink, SinkId};
pub use time::UnixTime;
pub use timestamp::Zone;
pub use tree::{ChangeHook, Logger, LoggerTree, SetupOptions, PANIC_LOGGER};

/// The `log` crate this one bridges, for its key-value types (`log::kv`) in custom sinks.
pub use log;

/// The crate's README, whose example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The `chrono` crate this one uses, for [`Zone::Fixed`]'s `FixedOffset`.
pub use chrono;
