//! `tracing` events in logtree's logger tree: one tree, one configuration and the same files
//! for `log::info!` and `tracing::info!`.
//!
//! Most of the async ecosystem (tokio, hyper, axum, tower-http, reqwest, sqlx) emits `tracing`
//! events rather than `log` records. [`LogtreeLayer`], a [`tracing_subscriber::Layer`], turns
//! each event into a record of the tree: the target `hyper::proto::h1::conn` is the logger
//! `hyper.proto.h1.conn`, so the tree's levels, propagation and sinks apply to it as to a `log`
//! record; the event's fields and those of its spans become the record's key-values. The
//! tree's levels also filter `tracing`'s callsites, so a disabled `tracing::debug!` costs
//! about what a disabled `log::debug!` does.
//!
//! - [`install_global`] makes a registry with the layer on the process-wide tree the global
//!   subscriber (`logtree::Setup::new().tracing(true)` does it with the rest of the setup);
//! - [`LogtreeLayer::new`] feeds an explicit tree, in a subscriber of one's own making.
//!
//! ```
//! use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
//!
//! let lines = MemorySink::new();
//! LoggerTree::setup("app", SetupOptions::new().level(LevelFilter::Debug).sink(lines.clone()))?;
//! LoggerTree::setup("hyper", SetupOptions::new().level(LevelFilter::Warn).sink(lines.clone()))?;
//! logtree_tracing::install_global()?;
//!
//! let span = tracing::info_span!(target: "app::http", "request", method = "GET");
//! span.in_scope(|| {
//!     tracing::debug!(target: "app::http", status = 200, ok = true, "served");
//!     tracing::info!(target: "hyper::proto::h1", "below hyper's level: not written");
//! });
//! log::info!(target: "app::db", "a `log` record, in the same sink");
//!
//! assert_eq!(
//!     lines.lines(),
//!     [
//!         "DEBUG app.http - served span.name=request method=GET status=200 ok=true",
//!         "INFO app.db - a `log` record, in the same sink",
//!     ]
//! );
//! # Ok::<(), logtree_core::Error>(())
//! ```

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod fields;
mod global;
mod layer;

pub use global::{install_global, GlobalSubscriberTaken};
pub use layer::LogtreeLayer;
