//! The command line, parsed by clap: every option of the tool, each value checked as it is
//! read so that an error names the option.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use logtree::config::{parse_size, FormatSpec};
use logtree::Level;

/// Reads lines from standard input and writes each, with a millisecond timestamp, to
/// `DIR/NAME_<YYYY-MM-DD>.log`, rolled over by size into `.1` (newest) … `.N`.
///
/// Every line read is in the file before the next is read (unless `--flush buffered`), so
/// `kill -9` loses at most the line being read. End of input, SIGTERM and SIGINT write what
/// was read and exit 0; SIGHUP reopens the file (after an external logrotate).
#[derive(Parser, Debug, Clone, Default, PartialEq)]
#[command(name = "logtree", version)]
#[command(
    after_help = "Example:\n  some-daemon 2>&1 | logtree --dir logs --stem app --max-size 10MiB --backups 5"
)]
pub struct Args {
    /// Directory of the log files, created when missing [default: logs]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// File name stem: files are DIR/NAME_<YYYY-MM-DD>.log [default: log]
    #[arg(long, value_name = "NAME")]
    pub stem: Option<String>,

    /// Size that rolls the file over, such as 10MiB, 1MB, 512k; 0 never rolls. A line is
    /// never split: only a single line larger than SIZE makes a file exceed it. Lines read
    /// together are written together (up to 64 KiB, or SIZE/16), so a file may roll that much
    /// short of SIZE [default: 1MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Number of numbered backups kept (.1 … .N); 0 never rolls over [default: 5]
    #[arg(long, value_name = "N")]
    pub backups: Option<u32>,

    /// Also start a new file when the day (or hour) changes [default: daily]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub rotate: Option<Rotate>,

    /// Compression of the backups [default: none]
    #[arg(long, value_enum, value_name = "HOW")]
    pub compress: Option<Compress>,

    /// Deletes backups older than AGE, such as 7d, 12h, 30min
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub max_age: Option<Duration>,

    /// Deletes the oldest backups while all files of the stem take more than SIZE
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_total_size: Option<u64>,

    /// Deletes the oldest backups while the stem has more than N files
    #[arg(long, value_name = "N")]
    pub max_files: Option<u32>,

    /// When lines reach the file: every-record (before the next line is read), buffered
    /// (within a second), background (by a thread of its own)
    /// [default: every-record]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub flush: Option<Flush>,

    /// Line layout: millisecond, json, or a pattern such as "{time} [{level}] {message}"
    /// [default: "{time} {message}"]
    #[arg(long, value_name = "PATTERN", value_parser = parse_format, conflicts_with = "raw")]
    pub format: Option<FormatSpec>,

    /// Writes each line exactly as read: no time, no escaping, invalid UTF-8 passed through
    #[arg(long)]
    pub raw: bool,

    /// The level each line gets (trace, debug, info, warn, error) [default: info]
    #[arg(long, value_name = "LEVEL", value_parser = parse_level, conflicts_with = "raw")]
    pub level: Option<Level>,

    /// Copies the input to standard output too
    #[arg(long)]
    pub tee: bool,

    /// The library's configuration file (TOML, or JSON by its .json name): its dir,
    /// file_stem, max_size, backup_count, flush, flush_interval_ms, overflow, format,
    /// file_format, utc, rotate, compress, max_age, max_total_size, max_files, and level
    /// (lines below it are not written); its [syslog] and [journald] tables also send each
    /// line to those daemons. Options given on the command line override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `--rotate`: time-based roll-over, besides the size.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotate {
    /// A new file, named with the new date, at local midnight.
    Daily,
    /// A new file every hour.
    Hourly,
    /// By size only: the file keeps the date it was opened with.
    Never,
}

/// `--compress`: what happens to backups.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    /// Backups stay plain text.
    None,
    /// Backups compressed with gzip, `.gz`.
    Gzip,
    /// Backups compressed with zstd, `.zst`.
    Zstd,
}

/// `--flush`: the flush policy of the file.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Each line is written before the next is read.
    EveryRecord,
    /// Lines are written together, within a second.
    Buffered,
    /// A thread of its own writes the lines.
    Background,
}

fn parse_format(text: &str) -> Result<FormatSpec, String> {
    text.parse()
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.parse().map_err(|e: logtree::Error| e.to_string())
}

fn parse_age(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not an age such as 7d, 12h or 30min: {e}"))
}
