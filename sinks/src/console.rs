//! The console sink: standard output or standard error, coloured by level on a terminal.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use logtree_core::{AtomicLevelFilter, Error, Formatter, Level, LevelFilter, Record, Sink, SinkId};
use logtree_formatters::MillisecondFormatter;

use crate::line_buffer::LineBuffer;

/// Which standard stream a [`ConsoleSink`] writes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConsoleStream {
    /// Standard output (the default).
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
}

impl ConsoleStream {
    /// The stream's name, which is also the identity of the sinks writing to it: `stdout` or
    /// `stderr`.
    pub const fn name(self) -> &'static str {
        match self {
            ConsoleStream::Stdout => "stdout",
            ConsoleStream::Stderr => "stderr",
        }
    }

    fn is_terminal(self) -> bool {
        match self {
            ConsoleStream::Stdout => io::stdout().is_terminal(),
            ConsoleStream::Stderr => io::stderr().is_terminal(),
        }
    }

    /// Writes `bytes` through `print!` or `eprint!`, which the test harness captures per
    /// test (`std::io::stdout()` is not captured).
    fn print_line(self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        match self {
            ConsoleStream::Stdout => print!("{text}"),
            ConsoleStream::Stderr => eprint!("{text}"),
        }
    }

    /// Writes `bytes` with one `write_all` under the stream's lock, so that lines of
    /// concurrent records never interleave.
    fn write_line(self, bytes: &[u8]) -> io::Result<()> {
        match self {
            ConsoleStream::Stdout => io::stdout().lock().write_all(bytes),
            ConsoleStream::Stderr => io::stderr().lock().write_all(bytes),
        }
    }

    fn flush(self) -> io::Result<()> {
        match self {
            ConsoleStream::Stdout => io::stdout().lock().flush(),
            ConsoleStream::Stderr => io::stderr().lock().flush(),
        }
    }
}

/// Whether a [`ConsoleSink`] colours its lines by level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ColorMode {
    /// The conventions of the command line, as `anstream` reads them: never when `NO_COLOR`
    /// is set and not empty (<https://no-color.org>); always when `CLICOLOR_FORCE` is (even
    /// into a pipe); never when `CLICOLOR=0`; otherwise when the stream is a terminal that
    /// supports colour (not `TERM=dumb`; a Windows console gets its ANSI mode switched on).
    /// Decided once, when the sink is built.
    #[default]
    Auto,
    /// Always colours, even into a pipe or a file.
    Always,
    /// Never colours.
    Never,
}

impl ColorMode {
    fn applies_to(self, stream: ConsoleStream) -> bool {
        match self {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => {
                // The well-kept reading of NO_COLOR, CLICOLOR(_FORCE), TERM and the terminal
                // check, rather than a hand-written subset of it.
                let choice = match stream {
                    ConsoleStream::Stdout => anstream::AutoStream::choice(&io::stdout()),
                    ConsoleStream::Stderr => anstream::AutoStream::choice(&io::stderr()),
                };
                let color = choice != anstream::ColorChoice::Never;
                if color && stream.is_terminal() {
                    // Windows 10+ consoles show ANSI colours once asked to; elsewhere a no-op.
                    let _ = anstyle_query::windows::enable_ansi_colors();
                }
                color
            }
        }
    }
}

/// Writes each record as one line to standard output (by default) or standard error.
///
/// A record is formatted into a per-thread buffer outside any lock, then written with a single
/// `write_all` while the stream's lock is held: lines from concurrent threads never interleave,
/// and the lock is held only for the copy into the stream. Standard output is line-buffered by
/// the standard library, so a line reaches the terminal or pipe when the record is written.
///
/// The identity ([`Sink::id`]) is the stream's name, `stdout` or `stderr`: setting up a logger
/// twice with a console sink prints each line once.
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
/// use logtree_sinks::{ColorMode, ConsoleSink};
///
/// let tree = LoggerTree::new();
/// let console = ConsoleSink::builder().stderr().level(LevelFilter::Warn).color(ColorMode::Never).build();
/// let app = tree.setup_logger("app", SetupOptions::new().level(LevelFilter::Info).sink(console))?;
/// app.info(format_args!("not on stderr: below the sink's level"));
/// app.warn(format_args!("on stderr"));
/// # Ok::<(), logtree_core::Error>(())
/// ```
pub struct ConsoleSink {
    stream: ConsoleStream,
    /// Set once the reader went away (`demo | head -3`): nothing more is written, nothing is
    /// reported.
    closed: AtomicBool,
    /// Writes through `print!`, for the test harness's capture.
    test_capture: bool,
    color: bool,
    level: AtomicLevelFilter,
    formatter: Box<dyn Formatter>,
}

impl ConsoleSink {
    /// A sink writing to standard output, with the default options (see [`ConsoleSinkBuilder`]).
    pub fn stdout() -> ConsoleSink {
        ConsoleSink::builder().build()
    }

    /// A sink writing to standard error, with the default options otherwise.
    pub fn stderr() -> ConsoleSink {
        ConsoleSink::builder().stderr().build()
    }

    /// A builder: standard output, every level, colours decided by [`ColorMode::Auto`], the
    /// local-time [`MillisecondFormatter`].
    pub fn builder() -> ConsoleSinkBuilder {
        ConsoleSinkBuilder {
            stream: ConsoleStream::Stdout,
            test_capture: false,
            color: ColorMode::Auto,
            level: LevelFilter::Trace,
            formatter: None,
        }
    }

    /// The stream written to.
    pub fn stream(&self) -> ConsoleStream {
        self.stream
    }

    /// Whether lines are coloured (decided when the sink was built).
    pub fn colored(&self) -> bool {
        self.color
    }

    /// Whether the reader of the stream went away (a closed pipe): the sink then writes
    /// nothing more and reports nothing, as a command-line tool piped into `head` should.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// A closed pipe ends this sink's output quietly; any other failure is returned.
    fn quiet_if_closed(&self, result: io::Result<()>) -> io::Result<()> {
        match result {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }

    /// Sets the sink's own level; records below it are skipped by this sink only.
    pub fn set_level(&self, level: LevelFilter) {
        self.level.set(level);
    }
}

impl Default for ConsoleSink {
    /// The same as [`ConsoleSink::stdout`].
    fn default() -> ConsoleSink {
        ConsoleSink::stdout()
    }
}

impl fmt::Debug for ConsoleSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSink")
            .field("stream", &self.stream)
            .field("color", &self.color)
            .field("level", &self.level.get())
            .finish_non_exhaustive()
    }
}

impl Sink for ConsoleSink {
    fn id(&self) -> SinkId {
        SinkId::new(self.stream.name())
    }

    fn level(&self) -> LevelFilter {
        self.level.get()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut line = LineBuffer::take();
        render(&*self.formatter, self.color, record, &mut line)?;
        if self.test_capture {
            self.stream.print_line(&line);
            return Ok(());
        }
        let written = self.stream.write_line(&line);
        self.quiet_if_closed(written)
            .map_err(|source| Error::Write {
                target: self.stream.name().to_owned(),
                source,
            })
    }

    fn flush(&self) -> Result<(), Error> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let flushed = self.stream.flush();
        self.quiet_if_closed(flushed)
            .map_err(|source| Error::Flush {
                target: self.stream.name().to_owned(),
                source,
            })
    }
}

/// Builds a [`ConsoleSink`]; see [`ConsoleSink::builder`].
#[must_use]
pub struct ConsoleSinkBuilder {
    stream: ConsoleStream,
    test_capture: bool,
    color: ColorMode,
    level: LevelFilter,
    formatter: Option<Box<dyn Formatter>>,
}

impl ConsoleSinkBuilder {
    /// Writes to `stream`.
    pub fn stream(mut self, stream: ConsoleStream) -> ConsoleSinkBuilder {
        self.stream = stream;
        self
    }

    /// Writes to standard error.
    pub fn stderr(self) -> ConsoleSinkBuilder {
        self.stream(ConsoleStream::Stderr)
    }

    /// Decides colouring; [`ColorMode::Always`] and [`ColorMode::Never`] override the terminal
    /// and `NO_COLOR` checks.
    pub fn color(mut self, color: ColorMode) -> ConsoleSinkBuilder {
        self.color = color;
        self
    }

    /// With `true`, lines go through `print!` (or `eprint!`), which `cargo test` captures per
    /// test: a test's log lines are shown only when it fails, under its own name. Writing
    /// through the stream's handle, the default, escapes that capture. For tests only: each
    /// line is copied once more.
    pub fn test_capture(mut self, capture: bool) -> ConsoleSinkBuilder {
        self.test_capture = capture;
        self
    }

    /// Sets the sink's own level.
    pub fn level(mut self, level: LevelFilter) -> ConsoleSinkBuilder {
        self.level = level;
        self
    }

    /// Formats lines with `formatter` instead of the [`MillisecondFormatter`].
    pub fn formatter(self, formatter: impl Formatter + 'static) -> ConsoleSinkBuilder {
        self.boxed_formatter(Box::new(formatter))
    }

    /// Formats lines with a formatter that is already boxed.
    pub fn boxed_formatter(mut self, formatter: Box<dyn Formatter>) -> ConsoleSinkBuilder {
        self.formatter = Some(formatter);
        self
    }

    /// The sink. Reads `NO_COLOR` and checks for a terminal now, under [`ColorMode::Auto`].
    pub fn build(self) -> ConsoleSink {
        ConsoleSink {
            closed: AtomicBool::new(false),
            test_capture: self.test_capture,
            color: self.color.applies_to(self.stream),
            stream: self.stream,
            level: AtomicLevelFilter::new(self.level),
            formatter: self
                .formatter
                .unwrap_or_else(|| Box::new(MillisecondFormatter::new())),
        }
    }
}

impl fmt::Debug for ConsoleSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSinkBuilder")
            .field("stream", &self.stream)
            .field("color", &self.color)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

const RESET: &[u8] = b"\x1b[0m";

/// The ANSI colour that starts a line of `level`.
fn color_of(level: Level) -> &'static [u8] {
    match level {
        Level::Trace => b"\x1b[2m",
        Level::Debug => b"\x1b[36m",
        Level::Info => b"\x1b[32m",
        Level::Warn => b"\x1b[33m",
        Level::Error => b"\x1b[31m",
    }
}

/// Formats `record` into `line`, wrapped in its level's colour when `color` is set. The reset
/// goes before the final newline so that a terminal never carries the colour to the next line.
fn render(
    formatter: &dyn Formatter,
    color: bool,
    record: &Record<'_>,
    line: &mut Vec<u8>,
) -> Result<(), Error> {
    if !color {
        return formatter.format(record, line);
    }
    line.extend_from_slice(color_of(record.level()));
    formatter.format(record, line)?;
    let newline = line.ends_with(b"\n");
    if newline {
        line.pop();
    }
    line.extend_from_slice(RESET);
    if newline {
        line.push(b'\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use logtree_core::PlainFormatter;

    fn rendered(color: bool, level: Level) -> Vec<u8> {
        let mut line = Vec::new();
        let record = Record::builder()
            .level(level)
            .logger("app")
            .args(format_args!("hi"))
            .build();
        render(&PlainFormatter, color, &record, &mut line).unwrap();
        line
    }

    #[test]
    fn plain_lines_are_the_formatters() {
        assert_eq!(rendered(false, Level::Warn), b"WARN app - hi\n");
    }

    #[test]
    fn colored_lines_reset_before_the_newline() {
        assert_eq!(
            rendered(true, Level::Error),
            b"\x1b[31mERROR app - hi\x1b[0m\n"
        );
        let colors: Vec<_> = Level::ALL.iter().map(|&l| color_of(l)).collect();
        for (i, c) in colors.iter().enumerate() {
            assert!(!colors[i + 1..].contains(c), "two levels share a colour");
        }
    }

    #[test]
    fn identity_is_the_stream_name() {
        assert_eq!(ConsoleSink::stdout().id(), SinkId::new("stdout"));
        assert_eq!(ConsoleSink::stderr().id(), SinkId::new("stderr"));
        assert_eq!(ConsoleSink::default().stream(), ConsoleStream::Stdout);
    }

    #[test]
    fn color_mode_overrides_and_pipes_are_plain() {
        let forced = ConsoleSink::builder().color(ColorMode::Always).build();
        assert!(forced.colored());
        let off = ConsoleSink::builder().color(ColorMode::Never).build();
        assert!(!off.colored());
        // Under `cargo test` stdout is captured into a pipe, not a terminal.
        if !io::stdout().is_terminal() {
            assert!(!ConsoleSink::stdout().colored());
        }
    }

    #[test]
    fn own_level_is_reported_and_settable() {
        let sink = ConsoleSink::builder().level(LevelFilter::Warn).build();
        assert_eq!(sink.level(), LevelFilter::Warn);
        sink.set_level(LevelFilter::Error);
        assert_eq!(sink.level(), LevelFilter::Error);
    }

    #[test]
    fn writes_through_the_stream() {
        let sink = ConsoleSink::builder()
            .stderr()
            .formatter(PlainFormatter)
            .build();
        let record = Record::builder()
            .logger("console.test")
            .args(format_args!("visible on stderr"))
            .build();
        sink.log(&record).unwrap();
        sink.flush().unwrap();
    }
}
