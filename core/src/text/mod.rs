//! What a text sink needs to write lines as the standard sinks do, without a dependency beyond
//! this crate: the escaping that keeps one record on one line ([`escape_from`]), the quoting
//! rule of key-values ([`needs_quotes`]), a reusable per-thread line buffer ([`LineBuffer`]),
//! and decimal digits without `core::fmt` ([`write_u64`], [`write_i64`]). The cached
//! millisecond time is in [`crate::timestamp`].
//!
//! ```
//! use logtree_core::text::{escape_from, EscapeMode, LineBuffer};
//! use logtree_core::timestamp::{Clock, Zone};
//! use logtree_core::{write_args, Record};
//!
//! let clock = Clock::new(Zone::Utc);
//! let record = Record::builder().logger("app").args(format_args!("two\nlines")).build();
//! let mut line = LineBuffer::take(); // this thread's buffer, empty; no allocation per record
//! clock.stamp(record.unix_time()).write_text(&mut line);
//! line.extend_from_slice(b" ");
//! let start = line.len();
//! write_args(&mut line, record.args())?;
//! escape_from(&mut line, start, EscapeMode::Line); // no forged lines, no terminal escapes
//! line.push(b'\n');
//! assert!(line.ends_with(b" two\\nlines\n"));
//! # Ok::<(), logtree_core::Error>(())
//! ```

mod digits;
mod escape;
mod line_buffer;

pub use digits::{three, two, write_i64, write_u64};
pub use escape::{escape_from, needs_quotes, EscapeMode};
pub use line_buffer::LineBuffer;
