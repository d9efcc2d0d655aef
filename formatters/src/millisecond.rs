//! The default line: `2025-06-27 14:25:23.123 - app.utils.logger - INFO - message`.

use logtree_core::{Error, Formatter, Level, Record};

use crate::escape::{escape_from, Mode};
use crate::kv;
use crate::timestamp::{Clock, Zone};
use logtree_core::write_args;

/// Formats `YYYY-MM-DD HH:MM:SS.mmm - logger - LEVEL - message key=value\n`, the line of
/// Python's `%(asctime)s.%(msecs)03d - %(name)s - %(levelname)s - %(message)s`; the default
/// formatter of every logtree sink.
///
/// - Local time by default ([`new`](Self::new)), UTC with [`utc`](Self::utc), or any
///   [`Zone`]. The time is the record's own (taken when it was created); milliseconds are
///   truncated, never rounded, and always three digits.
/// - Fast: the date-time text is built once per second and shared by every thread; the local
///   offset is looked up only then (so a daylight-saving change shows from its first second);
///   nothing is allocated per record.
/// - One record is one line: control characters in the message and key-values are escaped
///   (`\n`, `\r`, `\t`, `\x1b`, `\u{9b}`), so a crafted message can neither forge a record nor
///   drive a terminal; so are the Unicode separators U+2028 and U+2029 and the bidirectional
///   overrides and isolates (U+202A–U+202E, U+2066–U+2069), as `\u{2028}`.
///   [`multiline`](Self::multiline) keeps line breaks instead. The escaping is for safety, not
///   reversible: a backslash the message holds is written as it is (Windows paths stay
///   readable).
/// - The logger field never holds a space (written `\x20`): a target such as
///   `"app - ERROR - x"` cannot fake the level field.
/// - Key-values follow the message as ` key=value`; a key or value that is empty or holds a
///   space, `"`, `=` or a control character is written quoted, `"a b"="c d"`, with `\"` and
///   `\\` inside.
///
/// ```
/// use logtree_core::{Formatter, Record};
/// use logtree_formatters::MillisecondFormatter;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let kvs = [("user", "alice"), ("cart", "2 items")];
/// let record = Record::builder()
///     .logger("shop.cart")
///     .args(format_args!("checkout\nINFO forged line"))
///     .key_values(&kvs)
///     .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_999))
///     .build();
/// let mut line = Vec::new();
/// MillisecondFormatter::utc().format(&record, &mut line)?;
/// assert_eq!(
///     String::from_utf8_lossy(&line),
///     "2025-06-27 14:25:23.999 - shop.cart - INFO - checkout\\nINFO forged line user=alice cart=\"2 items\"\n"
/// );
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MillisecondFormatter {
    clock: Clock,
    message: Mode,
    names: LevelNames,
}

/// How a text formatter spells levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LevelNames {
    /// The `log` crate's names, the default: `TRACE` `DEBUG` `INFO` `WARN` `ERROR`.
    #[default]
    Rust,
    /// Python's `%(levelname)s`, as the seed's lines show them: `WARNING` for `Warn`; the
    /// others as [`LevelNames::Rust`] (`TRACE`, which Python lacks, stays `TRACE`; Python's
    /// `CRITICAL` has no `log` level, so an `Error` record is `ERROR`).
    Python,
}

impl LevelNames {
    /// The separator, the level's name and the separator, as one constant per level: a
    /// fixed-size copy instead of a `memcpy` call and two more.
    #[inline]
    fn field(self, level: Level) -> &'static [u8] {
        match (level, self) {
            (Level::Error, _) => b" - ERROR - ",
            (Level::Warn, LevelNames::Rust) => b" - WARN - ",
            (Level::Warn, LevelNames::Python) => b" - WARNING - ",
            (Level::Info, _) => b" - INFO - ",
            (Level::Debug, _) => b" - DEBUG - ",
            (Level::Trace, _) => b" - TRACE - ",
        }
    }
}

impl MillisecondFormatter {
    /// Local time, one line per record.
    pub fn new() -> MillisecondFormatter {
        MillisecondFormatter {
            clock: Clock::new(Zone::Local),
            message: Mode::Line,
            names: LevelNames::Rust,
        }
    }

    /// UTC, one line per record.
    pub fn utc() -> MillisecondFormatter {
        MillisecondFormatter::new().zone(Zone::Utc)
    }

    /// Shows timestamps in `zone`.
    ///
    /// ```
    /// use logtree_formatters::{MillisecondFormatter, Zone};
    /// let formatter = MillisecondFormatter::new().zone(Zone::Utc);
    /// # let _ = formatter;
    /// ```
    pub fn zone(mut self, zone: Zone) -> MillisecondFormatter {
        self.clock = Clock::new(zone);
        self
    }

    /// Spells levels as `names`: [`LevelNames::Python`] writes the seed's exact lines,
    /// `... - app.utils.logger - WARNING - message`.
    ///
    /// ```
    /// use logtree_core::{Formatter, Level, Record};
    /// use logtree_formatters::{LevelNames, MillisecondFormatter};
    ///
    /// let record = Record::builder().level(Level::Warn).logger("app").args(format_args!("low")).build();
    /// let mut line = Vec::new();
    /// MillisecondFormatter::utc().level_names(LevelNames::Python).format(&record, &mut line)?;
    /// assert!(line.ends_with(b" - app - WARNING - low\n"));
    /// # Ok::<(), logtree_core::Error>(())
    /// ```
    pub fn level_names(mut self, names: LevelNames) -> MillisecondFormatter {
        self.names = names;
        self
    }

    /// With `true`, a message's line breaks (`\n`, `\r\n`) are kept and each continuation line
    /// is indented by four spaces, so that stack traces and pretty-printed values stay
    /// readable and a continuation is never mistaken for a record; tabs are kept too. Every
    /// other control character (a lone `\r`, ANSI escapes) is still escaped, and key-values
    /// stay on one line. The default, `false`, escapes line breaks as `\n`.
    ///
    /// ```
    /// use logtree_core::{Formatter, Record};
    /// use logtree_formatters::MillisecondFormatter;
    ///
    /// let record = Record::builder().logger("app").args(format_args!("trace:\n  at main")).build();
    /// let mut line = Vec::new();
    /// MillisecondFormatter::utc().multiline(true).format(&record, &mut line)?;
    /// assert!(line.ends_with(b" - app - INFO - trace:\n      at main\n"));
    /// # Ok::<(), logtree_core::Error>(())
    /// ```
    pub fn multiline(mut self, multiline: bool) -> MillisecondFormatter {
        self.message = if multiline {
            Mode::Multiline
        } else {
            Mode::Line
        };
        self
    }
}

impl Default for MillisecondFormatter {
    /// The same as [`MillisecondFormatter::new`]: local time, one line per record.
    fn default() -> MillisecondFormatter {
        MillisecondFormatter::new()
    }
}

impl Formatter for MillisecondFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        self.clock.stamp(record.unix_time()).write_text(out);
        out.extend_from_slice(b" - ");
        // A target that is not a logger name (`"app - ERROR - x"`) is shown as given, and a
        // hand-built record is not checked: the field is escaped so that it holds no space
        // and cannot fake the level field (a valid name has none: one short scan).
        let start = out.len();
        out.extend_from_slice(record.logger().as_bytes());
        escape_from(out, start, Mode::Field);
        out.extend_from_slice(self.names.field(record.level()));
        let start = out.len();
        write_args(out, record.args())?;
        escape_from(out, start, self.message);
        kv::write_text(out, record.key_values())?;
        out.push(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests;
