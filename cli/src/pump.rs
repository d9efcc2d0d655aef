//! Lines from chunks of input to the file: the whole lines of each chunk are written as soon
//! as it is fed, in groups of up to [`Plan::group_limit`] bytes, one write each; the
//! incomplete rest waits for the next chunk (or the end).

use std::fmt;

use logtree::sinks::RotatingFileSink;
use logtree::{Error, Level, Record, Sink, StderrErrorHandler, UnixTime};

use crate::settings::{Layout, Plan};

/// The longest line kept whole. A longer one is written in pieces of this size (each its own
/// record), so that input without newlines cannot take all memory.
pub const MAX_LINE: usize = 64 << 20;

/// Turns input into lines of the sink's file.
///
/// ```
/// use logtree_cli::{Args, Plan, Pump};
///
/// let dir = tempfile::tempdir()?;
/// let args = Args { dir: Some(dir.path().into()), raw: true, ..Args::default() };
/// let mut pump = Pump::new(Plan::new(&args)?);
/// pump.feed(b"first\nsec");
/// pump.feed(b"ond\nno newline");
/// pump.finish();
/// let file = pump.sink().path();
/// assert_eq!(std::fs::read(file)?, b"first\nsecond\nno newline");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Pump {
    plan: Plan,
    /// The start of a line whose end is not read yet.
    partial: Vec<u8>,
    /// Whole lines, as they go to the file, waiting for the end of their chunk.
    group: Vec<u8>,
    errors: StderrErrorHandler,
    failed: bool,
}

impl Pump {
    /// A pump writing to the plan's sink.
    pub fn new(plan: Plan) -> Pump {
        Pump {
            group: Vec::with_capacity(plan.group_limit),
            plan,
            partial: Vec::new(),
            errors: StderrErrorHandler::default(),
            failed: false,
        }
    }

    /// The file sink (for a reopen on SIGHUP).
    pub fn sink(&self) -> &RotatingFileSink {
        &self.plan.sink
    }

    /// Writes every line that `chunk` completes and keeps the incomplete rest.
    pub fn feed(&mut self, chunk: &[u8]) {
        let now = UnixTime::now();
        let mut rest = chunk;
        if !self.partial.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            self.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end..];
            if self.partial.ends_with(b"\n") {
                let line = std::mem::take(&mut self.partial);
                self.ship(&line, now);
                self.add(&line, now);
                self.partial = line;
                self.partial.clear();
            }
        }
        let whole = memchr::memrchr(b'\n', rest).map_or(0, |i| i + 1);
        if !self.plan.daemons.is_empty() {
            for line in rest[..whole].split_inclusive(|&b| b == b'\n') {
                self.ship(line, now);
            }
        }
        if let Layout::Raw = self.plan.layout {
            self.write_raw(&rest[..whole], now);
        } else {
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &rest[..whole]) {
                self.add(&rest[start..=end], now);
                start = end + 1;
            }
        }
        self.write_group(now);
        self.partial.extend_from_slice(&rest[whole..]);
        while self.partial.len() >= MAX_LINE {
            let piece: Vec<u8> = self.partial.drain(..MAX_LINE).collect();
            self.ship(&piece, now);
            self.add(&piece, now);
            self.write_group(now);
        }
    }

    /// Writes the incomplete last line (as it is: without a newline in `--raw`), and what the
    /// sink buffers. Returns whether every write succeeded since the start.
    pub fn finish(&mut self) -> bool {
        let now = UnixTime::now();
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.ship(&last, now);
            self.add(&last, now);
            self.write_group(now);
        }
        let flushed: Vec<Error> = std::iter::once(self.plan.sink.flush())
            .chain(self.plan.daemons.iter().map(|daemon| daemon.flush()))
            .filter_map(Result::err)
            .collect();
        for err in &flushed {
            self.report(err);
        }
        !self.failed
    }

    /// Sends one line (its newline, if any, left out) to the daemons of the configuration,
    /// as a record of the line's level (`info` with `--raw`) whose message is the line.
    fn ship(&mut self, line: &[u8], now: UnixTime) {
        let level = match &self.plan.layout {
            _ if self.plan.daemons.is_empty() => return,
            Layout::Formatted { enabled: false, .. } => return,
            Layout::Formatted { level, .. } => *level,
            Layout::Raw => Level::Info,
        };
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let log = |record: &Record<'_>| -> Vec<Error> {
            self.plan
                .daemons
                .iter()
                .filter(|daemon| daemon.level().allows(level))
                .filter_map(|daemon| daemon.log(record).err())
                .collect()
        };
        let failed = log(&Record::builder()
            .level(level)
            .logger(&self.plan.logger)
            .target(&self.plan.logger)
            .args(format_args!("{}", Escaped(text)))
            .timestamp(now.to_system_time())
            .build());
        for err in &failed {
            self.report(err);
        }
    }

    /// Adds one line (its newline included, if any) to the group, as it goes to the file;
    /// writes the group first if the line would take it past the limit.
    fn add(&mut self, line: &[u8], now: UnixTime) {
        let before = self.group.len();
        let formatted = match &self.plan.layout {
            Layout::Raw => {
                self.group.extend_from_slice(line);
                Ok(())
            }
            Layout::Formatted { enabled: false, .. } => return,
            Layout::Formatted {
                formatter, level, ..
            } => {
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                formatter.format(
                    &Record::builder()
                        .level(*level)
                        .logger(&self.plan.logger)
                        .target(&self.plan.logger)
                        .args(format_args!("{}", Escaped(text)))
                        .timestamp(now.to_system_time())
                        .build(),
                    &mut self.group,
                )
            }
        };
        if let Err(err) = formatted {
            self.group.truncate(before);
            self.report(&err);
            return;
        }
        if before > 0 && self.group.len() > self.plan.group_limit {
            // This line starts the next group: the size limit sees each group whole.
            let written = self.plan.sink.write_line(&self.group[..before], now);
            self.group.drain(..before);
            self.check(written);
        }
    }

    /// Writes whole `lines` as they are, in the groups [`add`](Pump::add) would make, but
    /// straight from the input: no copy, no look at each line.
    fn write_raw(&mut self, mut lines: &[u8], now: UnixTime) {
        let limit = self.plan.group_limit;
        if !self.group.is_empty() {
            // The line completed from the last chunk: the group takes what still fits.
            let room = limit.saturating_sub(self.group.len());
            let take = group_end(lines, room)
                .filter(|&end| end <= room)
                .unwrap_or(0);
            self.group.extend_from_slice(&lines[..take]);
            lines = &lines[take..];
            self.write_group(now);
        }
        while !lines.is_empty() {
            let end = group_end(lines, limit).unwrap_or(lines.len());
            let written = self.plan.sink.write_line(&lines[..end], now);
            self.check(written);
            lines = &lines[end..];
        }
    }

    /// Writes the lines of the group, with one write.
    fn write_group(&mut self, now: UnixTime) {
        if !self.group.is_empty() {
            let written = self.plan.sink.write_line(&self.group, now);
            self.group.clear();
            self.check(written);
        }
    }

    fn check(&mut self, written: Result<(), Error>) {
        if let Err(err) = written {
            self.report(&err);
        }
    }

    fn report(&mut self, err: &Error) {
        self.failed = true;
        self.errors.report(err);
    }
}

/// Where the first group of `lines` (whole lines) ends: as many lines as fit in `limit`
/// bytes, or the first line alone if it is longer. `None` for no line at all.
fn group_end(lines: &[u8], limit: usize) -> Option<usize> {
    if lines.len() <= limit {
        return (!lines.is_empty()).then_some(lines.len());
    }
    match memchr::memrchr(b'\n', &lines[..limit]) {
        Some(last) => Some(last + 1),
        None => memchr::memchr(b'\n', &lines[limit..]).map(|i| limit + i + 1),
    }
}

/// A line's bytes as text: valid UTF-8 as it is (the formatter escapes control characters),
/// each byte of invalid UTF-8 as `\xHH`, as the formatters write control characters.
struct Escaped<'a>(&'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{group_end, Escaped, Pump};
    use crate::{Args, Plan};

    /// Every file of `dir`, oldest (highest backup number) first.
    fn concatenated(dir: &std::path::Path) -> Vec<u8> {
        let mut files: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            // The archiver's lock file.
            .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
            .map(|path| {
                let name = path.file_name().unwrap().to_str().unwrap();
                let n = name
                    .rsplit_once(".log.")
                    .map_or(0, |(_, n)| n.parse().unwrap());
                (n, path)
            })
            .collect();
        files.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        files
            .iter()
            .flat_map(|(_, path)| std::fs::read(path).unwrap())
            .collect()
    }

    #[test]
    fn the_file_is_the_same_wherever_the_reads_cut_the_input() {
        let long = "y".repeat(300);
        let input = format!("a\n\nbb\nccc\n{long}\nd\ne\nf\r\ng\nlast");
        for raw in [true, false] {
            for chunk in [1, 2, 3, 7, 16, 64, 1000] {
                let dir = tempfile::tempdir().unwrap();
                let args = Args {
                    dir: Some(dir.path().into()),
                    // Groups of at most 10 bytes, so that lines are grouped and split apart.
                    max_size: Some(160),
                    backups: Some(1000),
                    raw,
                    format: (!raw).then(|| "{message}".parse().unwrap()),
                    ..Args::default()
                };
                let mut pump = Pump::new(Plan::new(&args).unwrap());
                for piece in input.as_bytes().chunks(chunk) {
                    pump.feed(piece);
                }
                assert!(pump.finish());
                let expected = if raw {
                    input.clone()
                } else {
                    input.replace("\r\n", "\n") + "\n"
                };
                let written = String::from_utf8(concatenated(dir.path())).unwrap();
                assert_eq!(written, expected, "raw {raw}, reads of {chunk} bytes");
            }
        }
    }

    #[test]
    fn a_group_is_the_lines_that_fit_or_one_longer_line() {
        assert_eq!(group_end(b"a\nb\nc\n", 10), Some(6), "all fit");
        assert_eq!(group_end(b"a\nb\nc\n", 4), Some(4), "two fit");
        assert_eq!(
            group_end(b"a\nb\nc\n", 3),
            Some(2),
            "a line ends inside the limit"
        );
        assert_eq!(
            group_end(b"long line\nb\n", 4),
            Some(10),
            "a longer line, alone"
        );
        assert_eq!(group_end(b"a\n", 0), Some(2), "no room: one line");
        assert_eq!(group_end(b"", 4), None);
    }

    #[test]
    fn invalid_utf8_becomes_hex_escapes_and_valid_text_stays() {
        let shown = Escaped(b"caf\xc3\xa9 \xff\xfe ok \xe2\x82").to_string();
        assert_eq!(shown, "caf\u{e9} \\xff\\xfe ok \\xe2\\x82");
    }
}
