//! Where a record goes when its logger reaches no sink: Python's `logging.lastResort`.

use std::io::Write;

use crate::{write_args, Error, LevelFilter, Record, Sink, SinkId};

/// Writes records of `Warn` and above to stderr, the bare message on a line of its own (as
/// Python's `lastResort`, a `_StderrHandler(WARNING)` with the format `%(message)s`). The tree
/// hands it only the records of loggers that reach no sink (see
/// [`LoggerTree::set_last_resort`](crate::LoggerTree::set_last_resort)).
pub(crate) struct LastResort {
    id: SinkId,
}

impl LastResort {
    pub(crate) fn new() -> LastResort {
        LastResort {
            id: SinkId::unique("last-resort"),
        }
    }
}

impl Sink for LastResort {
    fn id(&self) -> SinkId {
        self.id.clone()
    }

    fn level(&self) -> LevelFilter {
        LevelFilter::Warn
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let mut message = Vec::new();
        write_args(&mut message, record.args())?;
        let mut line = escape_controls(&String::from_utf8_lossy(&message));
        line.push('\n');
        // One write of the whole line, so that it never interleaves; a failing stderr has
        // nowhere left to report to.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), so that a message cannot
/// forge a line or drive the terminal.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\nb\x1b[31mc\u{7f}é"),
            "a\\nb\\u{1b}[31mc\\u{7f}é"
        );
    }
}
