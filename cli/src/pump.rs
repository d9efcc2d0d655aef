//! Lines from chunks of input to the file: each complete line is written as soon as its
//! chunk is fed, the incomplete rest waits for the next chunk (or the end).

use std::fmt;
use std::io::{self, Write};

use logtree::sinks::RotatingFileSink;
use logtree::{Error, Record, Sink, StderrErrorHandler, UnixTime};

use crate::settings::{Layout, Plan};

/// The longest line kept whole. A longer one is written in pieces of this size (each its own
/// record), so that input without newlines cannot take all memory.
pub const MAX_LINE: usize = 64 << 20;

/// Turns input into records of the sink.
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
    /// Whether standard output still takes the copy of the input.
    tee: bool,
    errors: StderrErrorHandler,
    failed: bool,
}

impl Pump {
    /// A pump writing to the plan's sink.
    pub fn new(plan: Plan) -> Pump {
        Pump {
            tee: plan.tee,
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

    /// Writes every line that `chunk` completes, keeps the incomplete rest, then copies the
    /// chunk to standard output with `--tee`.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(end + 1);
            if self.partial.is_empty() {
                self.write(line);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.write(&whole);
                whole.clear();
                self.partial = whole;
            }
            rest = after;
        }
        self.partial.extend_from_slice(rest);
        while self.partial.len() >= MAX_LINE {
            let piece: Vec<u8> = self.partial.drain(..MAX_LINE).collect();
            self.write(&piece);
        }
        if self.tee {
            let mut out = io::stdout().lock();
            if let Err(err) = out.write_all(chunk).and_then(|()| out.flush()) {
                self.tee = false;
                eprintln!("logtree: --tee stopped, standard output failed: {err}");
            }
        }
    }

    /// Writes the incomplete last line (as it is: without a newline in `--raw`), and what the
    /// sink buffers. Returns whether every write succeeded since the start.
    pub fn finish(&mut self) -> bool {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.write(&last);
        }
        if let Err(err) = self.plan.sink.flush() {
            self.report(&err);
        }
        if self.tee {
            let _ = io::stdout().flush();
        }
        !self.failed
    }

    /// Writes one line, its newline (if any) included.
    fn write(&mut self, line: &[u8]) {
        let written = match self.plan.layout {
            Layout::Raw => self.plan.sink.write_line(line, UnixTime::now()),
            Layout::Formatted { enabled: false, .. } => Ok(()),
            Layout::Formatted { level, .. } => {
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                self.plan.sink.log(
                    &Record::builder()
                        .level(level)
                        .logger(&self.plan.logger)
                        .target(&self.plan.logger)
                        .args(format_args!("{}", Escaped(text)))
                        .build(),
                )
            }
        };
        if let Err(err) = written {
            self.report(&err);
        }
    }

    fn report(&mut self, err: &Error) {
        self.failed = true;
        self.errors.report(err);
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
    use super::Escaped;

    #[test]
    fn invalid_utf8_becomes_hex_escapes_and_valid_text_stays() {
        let shown = Escaped(b"caf\xc3\xa9 \xff\xfe ok \xe2\x82").to_string();
        assert_eq!(shown, "caf\u{e9} \\xff\\xfe ok \\xe2\\x82");
    }
}
