//! The default line: `2025-06-27 14:25:23.123 - app.utils.logger - INFO - message`.

use std::io::Write;

use chrono::{DateTime, Local, Utc};
use logtree_core::{write_args, write_key_values, Error, Formatter, Record};

/// Formats `YYYY-MM-DD HH:MM:SS.mmm - logger - LEVEL - message key=value\n`, the line of
/// Python's `%(asctime)s.%(msecs)03d - %(name)s - %(levelname)s - %(message)s`.
///
/// Local time by default, UTC on request; milliseconds truncated, always three digits; the
/// record's own timestamp.
#[derive(Clone, Debug, Default)]
pub struct MillisecondFormatter {
    utc: bool,
}

impl MillisecondFormatter {
    /// Local time.
    pub fn new() -> MillisecondFormatter {
        MillisecondFormatter { utc: false }
    }

    /// UTC.
    pub fn utc() -> MillisecondFormatter {
        MillisecondFormatter { utc: true }
    }
}

impl Formatter for MillisecondFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let at: DateTime<Utc> = record.timestamp().into();
        let written = if self.utc {
            write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.3f"))
        } else {
            write!(
                out,
                "{}",
                at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S%.3f")
            )
        };
        written.map_err(|_| Error::Format {
            reason: "cannot write the timestamp".to_owned(),
        })?;
        out.extend_from_slice(b" - ");
        out.extend_from_slice(record.logger().as_bytes());
        out.extend_from_slice(b" - ");
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.extend_from_slice(b" - ");
        write_args(out, record.args())?;
        write_key_values(out, record.key_values())?;
        out.push(b'\n');
        Ok(())
    }
}
