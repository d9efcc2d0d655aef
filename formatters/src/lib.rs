//! Formatters for logtree.
//!
//! ```
//! use logtree_core::{Formatter, Record};
//! use logtree_formatters::MillisecondFormatter;
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let record = Record::builder()
//!     .logger("app.utils.logger")
//!     .args(format_args!("ready"))
//!     .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123))
//!     .build();
//! let mut line = Vec::new();
//! MillisecondFormatter::utc().format(&record, &mut line)?;
//! assert_eq!(line, b"2025-06-27 14:25:23.123 - app.utils.logger - INFO - ready\n");
//! # Ok::<(), logtree_core::Error>(())
//! ```

mod millisecond;

pub use millisecond::MillisecondFormatter;
