//! Formatters for logtree: how a record becomes one line.
//!
//! - [`MillisecondFormatter`], the default of every sink:
//!   `2025-06-27 14:25:23.123 - app.utils.logger - INFO - message key=value`.
//! - [`PatternFormatter`]: a layout of placeholders (`{time} [{level}] {logger}: {message}`),
//!   with a table for users of Python's `logging` format strings.
//! - [`JsonFormatter`]: one JSON object per line, for log collectors.
//!
//! All three print the record's own timestamp (taken when it was created) in a [`Zone`], build
//! the date-time text at most once per second, allocate nothing per record, and write the
//! record's key-values (`log::info!(user = "x"; "msg")`). The text formatters escape control
//! characters in what the caller logs (`\n`, `\r`, ANSI escapes), so that one record is one line
//! and a crafted message can neither forge a record nor drive a terminal.
//!
//! ```
//! use logtree_core::{Formatter, Record};
//! use logtree_formatters::{JsonFormatter, MillisecondFormatter, PatternFormatter};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let kvs = [("user", "alice")];
//! let record = Record::builder()
//!     .logger("app.utils.logger")
//!     .args(format_args!("ready"))
//!     .key_values(&kvs)
//!     .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123))
//!     .build();
//!
//! let mut line = Vec::new();
//! MillisecondFormatter::utc().format(&record, &mut line)?;
//! assert_eq!(line, b"2025-06-27 14:25:23.123 - app.utils.logger - INFO - ready user=alice\n");
//!
//! line.clear();
//! PatternFormatter::new("{level} {logger}: {message}{kv}")?.format(&record, &mut line)?;
//! assert_eq!(line, b"INFO app.utils.logger: ready user=alice\n");
//!
//! line.clear();
//! JsonFormatter::new().format(&record, &mut line)?;
//! assert!(line.starts_with(br#"{"timestamp":"2025-06-27T14:25:23.123Z","level":"INFO""#));
//! # Ok::<(), logtree_core::Error>(())
//! ```

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod digits;
mod escape;
mod json;
mod kv;
mod millisecond;
mod pattern;
mod timestamp;

pub use json::JsonFormatter;
pub use logtree_core::Zone;
pub use millisecond::{LevelNames, MillisecondFormatter};
pub use pattern::PatternFormatter;

/// The `chrono` crate this one uses, for [`Zone::Fixed`]'s `FixedOffset` without a separate
/// (and possibly mismatched) dependency.
pub use chrono;
