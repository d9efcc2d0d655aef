//! Severity levels and level filters, in severity order as in Python's `logging`.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::Error;

/// The severity of a record: `Trace < Debug < Info < Warn < Error`.
///
/// The order is by severity, as in Python. The `log` crate's `Level` compares the other way
/// round; [`From`] converts at the boundary.
///
/// ```
/// use logtree_core::Level;
/// assert!(Level::Trace < Level::Error);
/// assert_eq!("WARNING".parse::<Level>().unwrap(), Level::Warn);
/// assert_eq!(Level::Info.as_str(), "INFO");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Very fine-grained diagnostics.
    Trace = 0,
    /// Diagnostics useful when debugging.
    Debug = 1,
    /// Normal operation.
    Info = 2,
    /// Something unexpected that the program handles.
    Warn = 3,
    /// A failure.
    Error = 4,
}

/// A threshold: records below it are discarded. `Off` discards everything.
///
/// `LevelFilter::Info` lets `Info`, `Warn` and `Error` through.
///
/// ```
/// use logtree_core::{Level, LevelFilter};
/// assert!(LevelFilter::Info.allows(Level::Warn));
/// assert!(!LevelFilter::Info.allows(Level::Debug));
/// assert!(!LevelFilter::Off.allows(Level::Error));
/// assert_eq!("off".parse::<LevelFilter>().unwrap(), LevelFilter::Off);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LevelFilter {
    /// Everything passes.
    Trace = 0,
    /// `Debug` and above.
    Debug = 1,
    /// `Info` and above.
    Info = 2,
    /// `Warn` and above.
    Warn = 3,
    /// `Error` only.
    Error = 4,
    /// Nothing passes.
    Off = 5,
}

impl Level {
    /// All levels, least severe first.
    pub const ALL: [Level; 5] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ];

    /// The upper-case name used in log lines: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    /// The filter that lets exactly this level and the more severe ones through.
    pub const fn to_filter(self) -> LevelFilter {
        match self {
            Level::Trace => LevelFilter::Trace,
            Level::Debug => LevelFilter::Debug,
            Level::Info => LevelFilter::Info,
            Level::Warn => LevelFilter::Warn,
            Level::Error => LevelFilter::Error,
        }
    }
}

impl LevelFilter {
    /// Whether a record of `level` passes this filter.
    #[inline]
    pub const fn allows(self, level: Level) -> bool {
        level as u8 >= self as u8
    }

    /// The name used in configuration: `TRACE` … `ERROR`, `OFF`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LevelFilter::Off => "OFF",
            LevelFilter::Trace => "TRACE",
            LevelFilter::Debug => "DEBUG",
            LevelFilter::Info => "INFO",
            LevelFilter::Warn => "WARN",
            LevelFilter::Error => "ERROR",
        }
    }

    /// The more verbose of two filters (the one that lets more through).
    pub fn most_verbose(self, other: LevelFilter) -> LevelFilter {
        self.min(other)
    }

    pub(crate) const fn from_u8(v: u8) -> Option<LevelFilter> {
        match v {
            0 => Some(LevelFilter::Trace),
            1 => Some(LevelFilter::Debug),
            2 => Some(LevelFilter::Info),
            3 => Some(LevelFilter::Warn),
            4 => Some(LevelFilter::Error),
            5 => Some(LevelFilter::Off),
            _ => None,
        }
    }
}

impl From<Level> for LevelFilter {
    fn from(level: Level) -> LevelFilter {
        level.to_filter()
    }
}

impl From<log::Level> for Level {
    fn from(level: log::Level) -> Level {
        match level {
            log::Level::Trace => Level::Trace,
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        }
    }
}

impl From<Level> for log::Level {
    fn from(level: Level) -> log::Level {
        match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        }
    }
}

impl From<log::LevelFilter> for LevelFilter {
    fn from(filter: log::LevelFilter) -> LevelFilter {
        match filter {
            log::LevelFilter::Off => LevelFilter::Off,
            log::LevelFilter::Trace => LevelFilter::Trace,
            log::LevelFilter::Debug => LevelFilter::Debug,
            log::LevelFilter::Info => LevelFilter::Info,
            log::LevelFilter::Warn => LevelFilter::Warn,
            log::LevelFilter::Error => LevelFilter::Error,
        }
    }
}

impl From<LevelFilter> for log::LevelFilter {
    fn from(filter: LevelFilter) -> log::LevelFilter {
        match filter {
            LevelFilter::Off => log::LevelFilter::Off,
            LevelFilter::Trace => log::LevelFilter::Trace,
            LevelFilter::Debug => log::LevelFilter::Debug,
            LevelFilter::Info => log::LevelFilter::Info,
            LevelFilter::Warn => log::LevelFilter::Warn,
            LevelFilter::Error => log::LevelFilter::Error,
        }
    }
}

/// Parses a level name, ignoring ASCII case: `trace`, `debug`, `info`, `warn`/`warning`,
/// `error`/`critical` (Python's `CRITICAL` has no level of its own here), or `off`/`none` when
/// `off` is allowed.
fn parse_filter(s: &str, allow_off: bool) -> Result<LevelFilter, Error> {
    let t = s.trim();
    let eq = |name: &str| t.eq_ignore_ascii_case(name);
    let filter = if eq("trace") {
        LevelFilter::Trace
    } else if eq("debug") {
        LevelFilter::Debug
    } else if eq("info") {
        LevelFilter::Info
    } else if eq("warn") || eq("warning") {
        LevelFilter::Warn
    } else if eq("error") || eq("critical") {
        LevelFilter::Error
    } else if allow_off && (eq("off") || eq("none")) {
        LevelFilter::Off
    } else {
        return Err(Error::InvalidLevel {
            value: s.to_owned(),
        });
    };
    Ok(filter)
}

impl FromStr for LevelFilter {
    type Err = Error;

    /// # Errors
    /// [`Error::InvalidLevel`] for anything but a level name or `off`.
    fn from_str(s: &str) -> Result<LevelFilter, Error> {
        parse_filter(s, true)
    }
}

impl FromStr for Level {
    type Err = Error;

    /// # Errors
    /// [`Error::InvalidLevel`] for anything but a level name.
    fn from_str(s: &str) -> Result<Level, Error> {
        match parse_filter(s, false)? {
            LevelFilter::Trace => Ok(Level::Trace),
            LevelFilter::Debug => Ok(Level::Debug),
            LevelFilter::Info => Ok(Level::Info),
            LevelFilter::Warn => Ok(Level::Warn),
            LevelFilter::Error => Ok(Level::Error),
            LevelFilter::Off => Err(Error::InvalidLevel {
                value: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for LevelFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A [`LevelFilter`] that can be read and changed from any thread; sinks keep their own level
/// in one.
///
/// ```
/// use logtree_core::{AtomicLevelFilter, LevelFilter};
/// let level = AtomicLevelFilter::new(LevelFilter::Info);
/// level.set(LevelFilter::Debug);
/// assert_eq!(level.get(), LevelFilter::Debug);
/// ```
#[derive(Debug)]
pub struct AtomicLevelFilter(AtomicU8);

impl AtomicLevelFilter {
    /// A filter starting at `filter`.
    pub const fn new(filter: LevelFilter) -> AtomicLevelFilter {
        AtomicLevelFilter(AtomicU8::new(filter as u8))
    }

    /// The current filter.
    #[inline]
    pub fn get(&self) -> LevelFilter {
        LevelFilter::from_u8(self.0.load(Ordering::Relaxed)).unwrap_or(LevelFilter::Trace)
    }

    /// Replaces the filter.
    pub fn set(&self, filter: LevelFilter) {
        self.0.store(filter as u8, Ordering::Relaxed);
    }
}

impl Default for AtomicLevelFilter {
    fn default() -> AtomicLevelFilter {
        AtomicLevelFilter::new(LevelFilter::Trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_is_pythons() {
        let mut sorted = Level::ALL;
        sorted.sort();
        assert_eq!(sorted, Level::ALL);
        assert!(LevelFilter::Error < LevelFilter::Off);
    }

    #[test]
    fn filter_allows_its_level_and_above_only() {
        for filter_level in Level::ALL {
            let filter = filter_level.to_filter();
            for level in Level::ALL {
                assert_eq!(
                    filter.allows(level),
                    level >= filter_level,
                    "{filter} {level}"
                );
            }
            assert!(!LevelFilter::Off.allows(filter_level));
        }
    }

    #[test]
    fn log_crate_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::from(log::Level::from(level)), level);
            let filter = level.to_filter();
            assert_eq!(LevelFilter::from(log::LevelFilter::from(filter)), filter);
        }
        assert_eq!(
            log::LevelFilter::from(LevelFilter::Off),
            log::LevelFilter::Off
        );
        // `log` orders the other way round: the boundary conversion must not keep its order.
        assert!(log::Level::Error < log::Level::Trace);
        assert!(Level::from(log::Level::Error) > Level::from(log::Level::Trace));
    }

    #[test]
    fn parses_python_and_rust_names() {
        assert_eq!("info".parse::<Level>().ok(), Some(Level::Info));
        assert_eq!("WARNING".parse::<Level>().ok(), Some(Level::Warn));
        assert_eq!("warn".parse::<Level>().ok(), Some(Level::Warn));
        assert_eq!(" Debug ".parse::<Level>().ok(), Some(Level::Debug));
        assert_eq!("CRITICAL".parse::<Level>().ok(), Some(Level::Error));
        assert_eq!("OFF".parse::<LevelFilter>().ok(), Some(LevelFilter::Off));
        for bad in ["", "verbose", "off", "inf", "information", "5"] {
            assert!(
                matches!(bad.parse::<Level>(), Err(Error::InvalidLevel { ref value }) if value == bad),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for level in Level::ALL {
            assert_eq!(level.to_string().parse::<Level>().ok(), Some(level));
        }
        assert_eq!(format!("{:<5}|", Level::Info), "INFO |");
    }
}
