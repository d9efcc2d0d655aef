//! A third-party sink and formatter written against `logtree-core` alone: records as CSV rows
//! (`level,logger,message`), collected in memory. It uses what core offers text sinks: the
//! escaping that keeps one record on one line and the per-thread line buffer.
//!
//! ```
//! use downstream_sink::{CsvFormatter, CsvRows};
//! use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
//!
//! let rows = CsvRows::new(CsvFormatter);
//! let tree = LoggerTree::new();
//! let app = tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Info).sink(rows.clone()))?;
//! app.info(format_args!("hello, world"));
//! app.info(format_args!("two\nrows?"));
//! assert_eq!(rows.rows(), ["INFO,app,\"hello, world\"", "INFO,app,two\\nrows?"]);
//! # Ok::<(), logtree_core::Error>(())
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use logtree_core::text::{escape_from, EscapeMode, LineBuffer};
use logtree_core::{write_args, Error, Formatter, Record, Sink, SinkId};

/// Formats `LEVEL,logger,"message"` (the message quoted when it holds a comma or a quote, its
/// control characters escaped as the standard formatters do: `\n` cannot start a row).
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvFormatter;

impl Formatter for CsvFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.push(b',');
        out.extend_from_slice(record.logger().as_bytes());
        out.push(b',');
        let start = out.len();
        write_args(out, record.args())?;
        escape_from(out, start, EscapeMode::Line);
        if out[start..].iter().any(|b| matches!(b, b',' | b'"')) {
            let message: Vec<u8> = out.drain(start..).collect();
            out.push(b'"');
            for &b in &message {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Keeps formatted rows in memory; clones share them.
#[derive(Clone)]
pub struct CsvRows {
    id: SinkId,
    formatter: Arc<dyn Formatter>,
    rows: Arc<Mutex<Vec<String>>>,
}

impl CsvRows {
    /// An empty collection formatting with `formatter`.
    pub fn new(formatter: impl Formatter + 'static) -> CsvRows {
        CsvRows {
            id: SinkId::unique("csv-rows"),
            formatter: Arc::new(formatter),
            rows: Arc::default(),
        }
    }

    /// The rows so far, without line endings.
    pub fn rows(&self) -> Vec<String> {
        self.rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sink for CsvRows {
    fn id(&self) -> SinkId {
        self.id.clone()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        // This thread's buffer, reused: no allocation per record for the line itself.
        let mut line = LineBuffer::take();
        self.formatter.format(record, &mut line)?;
        let row = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line)).into_owned();
        self.rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(row);
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}
