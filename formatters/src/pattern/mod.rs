//! Layouts the user writes: `{time} [{level}] {logger}: {message}{kv}`.

mod parse;

use logtree_core::{Error, Formatter, Record};

use crate::digits::{three, write_u64};
use crate::escape::{escape_from, Mode};
use crate::kv;
use crate::timestamp::{Clock, Stamp, Zone};
use logtree_core::write_args;
use parse::Segment;

/// Formats records with a layout of placeholders, parsed once when the formatter is built.
///
/// | Placeholder | Writes | Python `logging` |
/// |---|---|---|
/// | `{time}` | `2025-06-27 14:25:23.123` (cached per second, fast) | `%(asctime)s` (Python writes `,123`: `{time:%Y-%m-%d %H:%M:%S,%3f}`) |
/// | `{time:FMT}` | chrono's strftime `FMT`, e.g. `{time:%H:%M:%S%.3f}` | `%(asctime)s` with `datefmt=FMT` |
/// | `{time:%3f}` | the milliseconds, three digits, truncated | `%(msecs)03d` |
/// | `{level}` | `TRACE` `DEBUG` `INFO` `WARN` `ERROR` | `%(levelname)s` (`WARNING` there) |
/// | `{logger}` | the logger's dotted name, `app.db` | `%(name)s` |
/// | `{message}` | the message | `%(message)s` |
/// | `{kv}` | ` key=value` per key-value, each with its leading space (nothing if none) | — (`extra=`) |
/// | `{module}` | the module path, `app::db` | `%(module)s` (a file stem there) |
/// | `{file}` | the source file as `file!()` gives it, `src/db.rs` | `%(filename)s`, `%(pathname)s` |
/// | `{line}` | the line number | `%(lineno)d` |
/// | `{thread}` | the thread's name, else its number | `%(threadName)s` |
/// | `{thread_id}` | the thread's number (1 for the first thread that logged) | `%(thread)d` |
/// | `{target}` | the `log` target, usually the module path | — |
/// | `{{`, `}}` | a literal `{`, `}` | `%%` for `%` |
///
/// So Python's `"%(asctime)s - %(name)s - %(levelname)s - %(message)s"` becomes
/// [`DEFAULT_LAYOUT`](Self::DEFAULT_LAYOUT), `"{time} - {logger} - {level} - {message}{kv}"`,
/// which writes the same line as [`MillisecondFormatter`](crate::MillisecondFormatter).
///
/// Text a placeholder writes and the layout doesn't know (message, key-values, names, file)
/// is escaped as by [`MillisecondFormatter`](crate::MillisecondFormatter): control characters
/// become `\n`, `\r`, `\t`, `\x1b`, `\u{9b}`, so one record is one line unless
/// [`multiline`](Self::multiline) is on. A missing module, file or line writes nothing.
/// `{time:…}` is as fast as `{time}` for most layouts: its parts that change at most once a
/// second are formatted by chrono once per second (up to 63 bytes each) and `%3f`, `%.3f` are
/// written directly; other fractions (`%f`, `%.6f`) are formatted by chrono per record. `%Z`
/// writes the offset, as chrono has no zone names.
///
/// ```
/// use logtree_core::{Formatter, Level, Record};
/// use logtree_formatters::PatternFormatter;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let formatter = PatternFormatter::new("{time:%H:%M:%S%.3f} [{level}] {logger} ({file}:{line}): {message}{kv}")?
///     .utc();
/// let kvs = [("user", "alice")];
/// let record = Record::builder()
///     .level(Level::Warn)
///     .logger("app.auth")
///     .file(Some("src/auth.rs"))
///     .line(Some(42))
///     .args(format_args!("login failed"))
///     .key_values(&kvs)
///     .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123))
///     .build();
/// let mut line = Vec::new();
/// formatter.format(&record, &mut line)?;
/// assert_eq!(line, b"14:25:23.123 [WARN] app.auth (src/auth.rs:42): login failed user=alice\n");
///
/// let err = PatternFormatter::new("{time} {lvl}").unwrap_err();
/// assert!(err.to_string().contains("unknown placeholder \"{lvl}\" at position 7"));
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PatternFormatter {
    layout: Box<str>,
    segments: Box<[Segment]>,
    clock: Clock,
    message: Mode,
}

impl PatternFormatter {
    /// The layout of [`MillisecondFormatter`](crate::MillisecondFormatter).
    pub const DEFAULT_LAYOUT: &'static str = "{time} - {logger} - {level} - {message}{kv}";

    /// A formatter for `layout` (see the table above), in local time, one line per record.
    /// A line ending is added after the layout.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] (option `layout`) that names the byte position of the
    /// offending placeholder or brace: `unknown placeholder "{lvl}" at position 12`, an
    /// unclosed `{`, a lone `}`, a format on a placeholder other than `{time}`, or a time format
    /// chrono cannot write.
    pub fn new(layout: &str) -> Result<PatternFormatter, Error> {
        Ok(PatternFormatter {
            layout: layout.into(),
            segments: parse::parse(layout)?.into(),
            clock: Clock::new(Zone::Local),
            message: Mode::Line,
        })
    }

    /// Shows timestamps in `zone` (the default is [`Zone::Local`]).
    pub fn zone(mut self, zone: Zone) -> PatternFormatter {
        self.clock = Clock::new(zone);
        // Cloning a segment empties its cache, which holds text of the former zone.
        self.segments = self.segments.iter().cloned().collect();
        self
    }

    /// Shows timestamps in UTC; the same as `.zone(Zone::Utc)`.
    pub fn utc(self) -> PatternFormatter {
        self.zone(Zone::Utc)
    }

    /// Keeps the message's line breaks, indenting continuation lines by four spaces, as
    /// [`MillisecondFormatter::multiline`](crate::MillisecondFormatter::multiline) does.
    pub fn multiline(mut self, multiline: bool) -> PatternFormatter {
        self.message = if multiline {
            Mode::Multiline
        } else {
            Mode::Line
        };
        self
    }

    /// The layout as given.
    pub fn layout(&self) -> &str {
        &self.layout
    }
}

impl Default for PatternFormatter {
    /// [`DEFAULT_LAYOUT`](Self::DEFAULT_LAYOUT), local time.
    fn default() -> PatternFormatter {
        PatternFormatter::new(PatternFormatter::DEFAULT_LAYOUT)
            .expect("the default layout is valid")
    }
}

impl Formatter for PatternFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut stamp: Option<Stamp> = None;
        let mut stamp = || *stamp.get_or_insert_with(|| self.clock.stamp(record.unix_time()));
        for segment in self.segments.iter() {
            match segment {
                Segment::Literal(text) => out.extend_from_slice(text.as_bytes()),
                Segment::Time => stamp().write_text(out),
                Segment::TimeSeconds(items, cache) => {
                    let stamp = stamp();
                    match stamp.cache_key() {
                        Some(second) => {
                            cache.write(out, second, |out| stamp.write_items(out, items))?
                        }
                        None => stamp.write_items(out, items)?,
                    }
                }
                Segment::Millis => out.extend_from_slice(&three(stamp().millis())),
                Segment::DotMillis => {
                    let [a, b, c] = three(stamp().millis());
                    out.extend_from_slice(&[b'.', a, b, c]);
                }
                Segment::TimeItems(items) => stamp().write_items(out, items)?,
                Segment::Level => out.extend_from_slice(record.level().as_str().as_bytes()),
                Segment::Logger => write_field(out, record.logger()),
                Segment::Target => write_field(out, record.target()),
                Segment::Message => {
                    let start = out.len();
                    write_args(out, record.args())?;
                    escape_from(out, start, self.message);
                }
                Segment::Module => write_text(out, record.module_path().unwrap_or_default()),
                Segment::File => write_text(out, record.file().unwrap_or_default()),
                Segment::Line => {
                    if let Some(line) = record.line() {
                        write_u64(out, u64::from(line));
                    }
                }
                Segment::Thread => match record.thread_name() {
                    Some(name) => write_text(out, name),
                    None => write_u64(out, record.thread_id()),
                },
                Segment::ThreadId => write_u64(out, record.thread_id()),
                Segment::KeyValues => kv::write_text(out, record.key_values())?,
            }
        }
        out.push(b'\n');
        Ok(())
    }
}

/// A field the layout does not control, escaped onto one line.
fn write_text(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    out.extend_from_slice(text.as_bytes());
    escape_from(out, start, Mode::Line);
}

/// The logger or target: escaped onto one line and without a space (`\x20`), so that a
/// target such as `"app - ERROR - x"` cannot fake the fields around it.
fn write_field(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    out.extend_from_slice(text.as_bytes());
    escape_from(out, start, Mode::Field);
}

#[cfg(test)]
mod tests;
