//! Reading a configuration file, TOML or JSON, into a [`Config`] layer.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use logtree_core::{Error, LevelFilter};
use logtree_formatters::LevelNames;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::duration::parse_age;
use super::size::parse_size;
use logtree_sinks::{ColorMode, Compression, ConsoleStream, FlushPolicy, Overflow, Rotation};

use super::syslog::{JournaldTable, SyslogTable};
use super::{Config, FormatSpec};

/// The largest configuration file read, in bytes: a configuration is a few hundred bytes, and
/// a path pointing at a huge or endless file must fail at once instead of filling memory.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The text of a configuration file: a regular file (checked before opening, so that a pipe
/// cannot block the open, and again on what was opened) of at most [`MAX_CONFIG_BYTES`].
fn read_config_text(path: &Path) -> io::Result<String> {
    let refuse = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    let check = |meta: &std::fs::Metadata| -> io::Result<()> {
        if !meta.is_file() {
            return Err(refuse("not a regular file".to_owned()));
        }
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(refuse(format!(
                "{} bytes, larger than a configuration file may be ({MAX_CONFIG_BYTES} bytes)",
                meta.len()
            )));
        }
        Ok(())
    };
    check(&std::fs::metadata(path)?)?;
    let file = std::fs::File::open(path)?;
    check(&file.metadata()?)?;
    let mut text = String::new();
    // A file that grows while it is read stops at the cap as well.
    file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(refuse(format!(
            "larger than a configuration file may be ({MAX_CONFIG_BYTES} bytes)"
        )));
    }
    Ok(text)
}

/// Every key a configuration file may hold.
pub const FILE_KEYS: [&str; 29] = [
    "level",
    "root_level",
    "levels",
    "dir",
    "file_stem",
    "max_size",
    "backup_count",
    "flush",
    "flush_interval_ms",
    "overflow",
    "file",
    "console",
    "console_level",
    "console_stream",
    "color",
    "format",
    "console_format",
    "file_format",
    "utc",
    "level_names",
    "last_resort",
    "log_panics",
    "syslog",
    "journald",
    "rotate",
    "max_files",
    "max_age",
    "max_total_size",
    "compress",
];

/// The file as written; each value is checked as it is read, so serde reports the key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    level: Option<Level>,
    root_level: Option<Level>,
    #[serde(default)]
    levels: BTreeMap<LoggerName, Level>,
    dir: Option<PathBuf>,
    file_stem: Option<Stem>,
    max_size: Option<Size>,
    backup_count: Option<u32>,
    flush: Option<Flush>,
    flush_interval_ms: Option<IntervalMs>,
    overflow: Option<OverflowText>,
    file: Option<bool>,
    console: Option<bool>,
    console_level: Option<Level>,
    console_stream: Option<Stream>,
    color: Option<Color>,
    format: Option<Format>,
    console_format: Option<Format>,
    file_format: Option<Format>,
    utc: Option<bool>,
    level_names: Option<Names>,
    last_resort: Option<bool>,
    log_panics: Option<bool>,
    syslog: Option<SyslogTable>,
    journald: Option<JournaldTable>,
    rotate: Option<Rotate>,
    max_files: Option<u32>,
    max_age: Option<Age>,
    max_total_size: Option<Size>,
    compress: Option<Compress>,
}

impl Config {
    /// Reads a configuration file: JSON when its name ends in `.json`, TOML otherwise.
    ///
    /// # Errors
    /// [`Error::ReadConfig`] when it cannot be read, is not a regular file (`/dev/zero`, a
    /// directory, a pipe) or is larger than [`MAX_CONFIG_BYTES`]; [`Error::InvalidConfig`]
    /// naming the file, the key and the reason (with line and column) when its content is not
    /// a configuration.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, Error> {
        let path = path.as_ref();
        let text = read_config_text(path).map_err(|source| Error::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        let name = path.display().to_string();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Config::from_json_str(&text, &name)
        } else {
            Config::from_toml_str(&text, &name)
        }
    }

    /// [`Config::from_file`] for a file that may not exist yet: `Ok(None)` when there is
    /// nothing at `path`, an error when something is there but cannot be used.
    ///
    /// # Errors
    /// As [`Config::from_file`], except for a missing file.
    pub fn from_optional_file(path: impl AsRef<Path>) -> Result<Option<Config>, Error> {
        let path = path.as_ref();
        match std::fs::symlink_metadata(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            _ => Config::from_file(path).map(Some),
        }
    }

    /// Parses TOML; `source_name` (a file name) appears in errors.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] with the key, the reason, and the line and column.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config, Error> {
        let result: Result<FileConfig, _> =
            serde_path_to_error::deserialize(toml::Deserializer::new(text));
        result.map(FileConfig::into_config).map_err(|err| {
            let key = key_of(err.path());
            let inner = err.into_inner();
            let place = inner.span().map(|span| line_and_column(text, span.start));
            let reason = match place {
                Some((line, column)) => {
                    format!(
                        "{} at line {line} column {column}",
                        inner.message().trim_end()
                    )
                }
                None => inner.message().trim_end().to_owned(),
            };
            invalid(source_name, key, reason)
        })
    }

    /// Parses JSON; `source_name` (a file name) appears in errors.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] with the key, the reason, and the line and column.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Config, Error> {
        // serde would also read a struct from a positional array: refuse anything but an object.
        if !text.trim_start().starts_with('{') {
            return Err(invalid(
                source_name,
                None,
                "expected a JSON object of settings at line 1 column 1".to_owned(),
            ));
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let result: Result<FileConfig, _> = serde_path_to_error::deserialize(&mut deserializer);
        let config = result.map_err(|err| {
            let key = key_of(err.path());
            invalid(source_name, key, err.into_inner().to_string())
        })?;
        deserializer
            .end()
            .map_err(|err| invalid(source_name, None, err.to_string()))?;
        Ok(config.into_config())
    }
}

impl FileConfig {
    /// Every value was checked as it was read, where the parser knows its line and column.
    fn into_config(self) -> Config {
        Config {
            level: self.level.map(|l| l.0),
            root_level: self.root_level.map(|l| l.0),
            levels: self
                .levels
                .into_iter()
                .map(|(name, level)| (name.0, level.0))
                .collect(),
            dir: self.dir,
            file_stem: self.file_stem.map(|s| s.0),
            max_size: self.max_size.map(|s| s.0),
            backup_count: self.backup_count,
            flush: self.flush.map(|f| f.0),
            flush_interval: self.flush_interval_ms.map(|i| i.0),
            overflow: self.overflow.map(|o| o.0),
            file: self.file,
            console: self.console,
            console_level: self.console_level.map(|l| l.0),
            console_stream: self.console_stream.map(|s| s.0),
            color: self.color.map(|c| c.0),
            format: self.format.map(|f| f.0),
            console_format: self.console_format.map(|f| f.0),
            file_format: self.file_format.map(|f| f.0),
            utc: self.utc,
            level_names: self.level_names.map(|n| n.0),
            last_resort: self.last_resort,
            log_panics: self.log_panics,
            message_filter: None,
            syslog: self.syslog.map(Into::into),
            journald: self.journald.map(Into::into),
            rotate: self.rotate.map(|r| r.0),
            max_files: self.max_files,
            max_age: self.max_age.map(|a| a.0),
            max_total_size: self.max_total_size.map(|s| s.0),
            compress: self.compress.map(|c| c.0),
        }
    }
}

fn invalid(source_name: &str, key: Option<String>, reason: String) -> Error {
    Error::InvalidConfig {
        source_name: source_name.to_owned(),
        key,
        reason,
    }
}

/// The dotted key path of an error, `None` at the top level or when the text did not parse.
fn key_of(path: &serde_path_to_error::Path) -> Option<String> {
    let key = path.to_string();
    (!matches!(key.as_str(), "" | "." | "?")).then_some(key)
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Deserializes a value from a string through a parse function, with its reason as the error.
macro_rules! from_text {
    ($name:ident, $inner:ty, $expecting:literal, $parse:expr) => {
        struct $name($inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$name, E> {
                        let parse: fn(&str) -> Result<$inner, String> = $parse;
                        parse(text).map($name).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

from_text!(
    Level,
    LevelFilter,
    "a level: trace, debug, info, warn, error or off",
    |t| t.parse::<LevelFilter>().map_err(|e| e.to_string())
);

from_text!(
    Flush,
    FlushPolicy,
    "\"every-record\", \"buffered\" or \"background\"",
    |t| match t {
        "every-record" | "every_record" => Ok(FlushPolicy::EveryRecord),
        "buffered" => Ok(FlushPolicy::buffered()),
        "background" => Ok(FlushPolicy::background()),
        other => Err(format!(
            "{other:?} is not a flush policy: use \"every-record\", \"buffered\" or \"background\""
        )),
    }
);

from_text!(
    OverflowText,
    Overflow,
    "\"block\" or \"drop\"",
    |t| match t {
        "block" => Ok(Overflow::Block),
        "drop" => Ok(Overflow::Drop),
        other => Err(format!(
            "{other:?} is not an overflow policy: use \"block\" or \"drop\""
        )),
    }
);

from_text!(
    Stream,
    ConsoleStream,
    "\"stdout\" or \"stderr\"",
    |t| match t {
        "stdout" => Ok(ConsoleStream::Stdout),
        "stderr" => Ok(ConsoleStream::Stderr),
        other => Err(format!(
            "{other:?} is not a stream: use \"stdout\" or \"stderr\""
        )),
    }
);

from_text!(
    Color,
    ColorMode,
    "\"auto\", \"always\" or \"never\"",
    |t| match t {
        "auto" => Ok(ColorMode::Auto),
        "always" => Ok(ColorMode::Always),
        "never" => Ok(ColorMode::Never),
        other => Err(format!(
            "{other:?} is not a colour choice: use \"auto\", \"always\" or \"never\""
        )),
    }
);

from_text!(Names, LevelNames, "\"rust\" or \"python\"", |t| match t {
    "rust" => Ok(LevelNames::Rust),
    "python" => Ok(LevelNames::Python),
    other => Err(format!(
        "{other:?} is not a set of level names: use \"rust\" (WARN) or \"python\" (WARNING)"
    )),
});

from_text!(
    Format,
    FormatSpec,
    "\"millisecond\", \"json\" or a pattern",
    |t| t.parse()
);

from_text!(Stem, String, "a file name stem such as \"App\"", |t| {
    match logtree_sinks::validate_stem(t) {
        Ok(()) => Ok(t.to_owned()),
        Err(Error::InvalidOption { reason, .. }) => Err(reason),
        Err(other) => Err(other.to_string()),
    }
});

/// A logger name of the `levels` table, dotted (`hyper::proto` is `hyper.proto`) and checked.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct LoggerName(String);

impl<'de> Deserialize<'de> for LoggerName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LoggerName, D::Error> {
        let name = String::deserialize(d)?;
        let dotted = logtree_core::target_to_name(&name).into_owned();
        logtree_core::validate_name(&dotted).map_err(de::Error::custom)?;
        Ok(LoggerName(dotted))
    }
}

/// `flush_interval_ms`: a whole number of milliseconds, at least 1.
struct IntervalMs(Duration);

impl<'de> Deserialize<'de> for IntervalMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IntervalMs, D::Error> {
        match u64::deserialize(d)? {
            0 => Err(de::Error::custom(
                "is 0: a buffered record must be allowed to wait at least 1 ms",
            )),
            ms => Ok(IntervalMs(Duration::from_millis(ms))),
        }
    }
}

/// A size: a number of bytes or a string such as `"10 MiB"`.
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size: a number of bytes or a string such as \"10 MiB\"")
            }
            fn visit_u64<E: de::Error>(self, bytes: u64) -> Result<Size, E> {
                Ok(Size(bytes))
            }
            fn visit_i64<E: de::Error>(self, bytes: i64) -> Result<Size, E> {
                u64::try_from(bytes)
                    .map(Size)
                    .map_err(|_| E::custom(format!("{bytes} is negative")))
            }
            fn visit_f64<E: de::Error>(self, bytes: f64) -> Result<Size, E> {
                Err(E::custom(format!(
                    "{bytes} is not a whole number of bytes: write \"1.5 MiB\" as a string"
                )))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Size, E> {
                parse_size(text).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

from_text!(
    Rotate,
    Rotation,
    "\"daily\", \"hourly\" or \"never\"",
    |t| match t {
        "daily" => Ok(Rotation::Daily),
        "hourly" => Ok(Rotation::Hourly),
        "never" => Ok(Rotation::Never),
        other => Err(format!(
            "{other:?} is not a rotation: use \"daily\", \"hourly\" or \"never\""
        )),
    }
);

from_text!(
    Age,
    Duration,
    "an age such as \"30d\", \"12h\", \"90m\" or \"45s\"",
    parse_age
);

from_text!(
    Compress,
    Compression,
    "\"none\", \"gzip\" or \"zstd\"",
    |t| match t {
        "none" => Ok(Compression::None),
        "gzip" => Ok(Compression::Gzip),
        "zstd" => Ok(Compression::Zstd),
        other => Err(format!(
            "{other:?} is not a compression: use \"none\", \"gzip\" or \"zstd\""
        )),
    }
);
