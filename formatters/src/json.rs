//! JSON lines for log collectors.

use logtree_core::log::kv;
use logtree_core::{Error, Formatter, Record};

use crate::digits::{write_i64, write_u64};
use crate::escape::{escape_from, Mode};
use crate::kv as kvs;
use crate::timestamp::{Clock, Zone};
use logtree_core::{write_args, write_display};

/// Formats each record as one JSON object on one line, for log collectors:
///
/// ```text
/// {"timestamp":"2025-06-27T14:25:23.123Z","level":"INFO","logger":"app.db","message":"done",
///  "module":"app::db","file":"src/db.rs","line":42,"thread":"main","thread_id":1,
///  "fields":{"rows":3,"user":"alice"}}
/// ```
///
/// (shown wrapped; the real line has no line break before its final `\n`).
///
/// - `timestamp`: RFC 3339 with milliseconds (truncated), in UTC (`Z`) by default; another
///   [`Zone`] writes its offset (`+02:00`).
/// - `level`, `logger`, `message`: strings. `module`, `file`, `line`: the call site, `null`
///   when unknown. `thread`: the thread's name or `null`; `thread_id`: its number.
/// - `fields`: the record's key-values, present only when it has some. They are always
///   nested there, so a key named `message` or `level` can never shadow a built-in field;
///   keys repeated by the caller are written as often as given. Values keep their type where
///   `log` tells it: booleans and integers (fitting 64 bits) and finite floats are JSON
///   booleans and numbers; everything else, and `NaN`/`inf`/`-inf`, is a string.
/// - Every string is escaped per RFC 8259 (`\"`, `\\`, `\n`, `\u001b`, …), with DEL and the
///   C1 controls escaped too, so that no line carries a raw control character.
///
/// ```
/// use logtree_core::{Formatter, Record};
/// use logtree_formatters::JsonFormatter;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let kvs = [("rows", 3)];
/// let record = Record::builder()
///     .logger("app.db")
///     .args(format_args!("said \"hi\"\n"))
///     .key_values(&kvs)
///     .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123))
///     .build();
/// let mut line = Vec::new();
/// JsonFormatter::new().format(&record, &mut line)?;
/// assert_eq!(
///     String::from_utf8_lossy(&line),
///     concat!(
///         r#"{"timestamp":"2025-06-27T14:25:23.123Z","level":"INFO","logger":"app.db","#,
///         r#""message":"said \"hi\"\n","module":null,"file":null,"line":null,"#,
///         r#""thread":null,"thread_id":0,"fields":{"rows":3}}"#,
///         "\n"
///     )
/// );
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct JsonFormatter {
    clock: Clock,
}

impl JsonFormatter {
    /// Timestamps in UTC.
    pub fn new() -> JsonFormatter {
        JsonFormatter {
            clock: Clock::new(Zone::Utc),
        }
    }

    /// Timestamps in `zone`, with its offset.
    ///
    /// ```
    /// use logtree_formatters::{JsonFormatter, Zone};
    /// let formatter = JsonFormatter::new().zone(Zone::Local);
    /// # let _ = formatter;
    /// ```
    pub fn zone(mut self, zone: Zone) -> JsonFormatter {
        self.clock = Clock::new(zone);
        self
    }
}

impl Default for JsonFormatter {
    /// The same as [`JsonFormatter::new`].
    fn default() -> JsonFormatter {
        JsonFormatter::new()
    }
}

impl Formatter for JsonFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(br#"{"timestamp":""#);
        self.clock.stamp(record.unix_time()).write_rfc3339(out);
        out.extend_from_slice(br#"","level":""#);
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.extend_from_slice(br#"","logger":"#);
        write_str(out, record.logger());
        out.extend_from_slice(br#","message":""#);
        let start = out.len();
        write_args(out, record.args())?;
        escape_from(out, start, Mode::Json);
        out.extend_from_slice(br#"","module":"#);
        write_opt_str(out, record.module_path());
        out.extend_from_slice(br#","file":"#);
        write_opt_str(out, record.file());
        out.extend_from_slice(br#","line":"#);
        match record.line() {
            Some(line) => write_u64(out, u64::from(line)),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(br#","thread":"#);
        write_opt_str(out, record.thread_name());
        out.extend_from_slice(br#","thread_id":"#);
        write_u64(out, record.thread_id());

        let mut first = true;
        logtree_core::for_each_key_value(record.key_values(), |key, value| {
            out.extend_from_slice(if first { br#","fields":{"# } else { b"," });
            first = false;
            write_str(out, key.as_str());
            out.push(b':');
            write_value(out, &value)
        })?;
        if !first {
            out.push(b'}');
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

/// A JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let start = out.len();
    out.extend_from_slice(s.as_bytes());
    escape_from(out, start, Mode::Json);
    out.push(b'"');
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A key-value's value, typed where `log` can tell the type.
fn write_value(out: &mut Vec<u8>, value: &kv::Value<'_>) -> Result<(), Error> {
    if let Some(b) = value.to_bool() {
        out.extend_from_slice(if b { b"true" } else { b"false" });
    } else if let Some(n) = value.to_i64() {
        write_i64(out, n);
    } else if let Some(n) = value.to_u64() {
        write_u64(out, n);
    } else if let Some(f) = value.to_f64() {
        if f.is_finite() {
            // `Debug` writes the shortest text that reads back as the same float, and always
            // valid JSON (`1.0`, `1e300`, `-0.0`).
            write_display(out, &format_args!("{f:?}"), "a float")?;
        } else {
            out.push(b'"');
            write_display(out, &f, "a float")?;
            out.push(b'"');
        }
    } else {
        out.push(b'"');
        let start = out.len();
        kvs::write_value(out, value)?;
        escape_from(out, start, Mode::Json);
        out.push(b'"');
    }
    Ok(())
}

#[cfg(test)]
mod tests;
