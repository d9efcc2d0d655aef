//! ftlog (issue 18): a `log` backend built for low call latency. The call boxes the record's
//! message and sends it through a bounded channel to ftlog's own thread, which formats the
//! line (timestamp, queue delay, message) and writes it through a `BufWriter` into a file
//! that ftlog rotates by time.
//!
//! Configured as close to the other cases as ftlog allows, its defaults kept otherwise:
//! - Its builder's defaults for the channel: 100,000 records, and a record that finds it full
//!   is **dropped** (`bounded(_, false)`), as tracing's non-blocking writer drops; ftlog
//!   counts the drops but only prints the count to stderr, at most every 5 s. So the case
//!   counts them itself: the message ftlog boxes is ours ([`Message`]), and one that is
//!   dropped without ftlog's thread ever formatting it (ftlog drops it when the channel is
//!   full) counts as dropped. A line that ftlog's thread formatted but that never reached
//!   the file is not counted, and so still shows as an unreported loss.
//! - The line: ftlog writes `<timestamp> <delay>ms <message>\n`, the delay being the
//!   record's wait in the queue, on every line; no option leaves it out. The timestamp is
//!   `time_format("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]")`,
//!   local time (ftlog's default zone), taken in the calling thread; the message is
//!   `- app.module - INFO - request …` from a `FtLogFormat`, formatted in the calling thread
//!   as ftlog's own formatter formats `record.args()` there. The parent checks the lines as
//!   [`LineForm::QueueDelay`].
//! - Rotation: ftlog's `FileAppender` rotates by time only (`Period::Day` here), never by
//!   size, and keeps files by age (`expire`, not set here), not by number: one file.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ftlog::appender::{FileAppender, Period};
use ftlog::{FtLogFormat, LoggerGuard};
use log::{LevelFilter, Record};

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use crate::BoxError;

/// ftlog, its background thread writing a daily file.
pub const CASE: Case = Case {
    name: "ftlog",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install,
    w3: false,
    w3_other: false,
    note: "lossy queue (100k records), drops counted by the bench; time rotation only; \
           ` <n>ms` after the timestamp",
    line: LineForm::QueueDelay,
};

/// Messages ftlog dropped without formatting them: its channel was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Builds each record's [`Message`] in the calling thread.
struct Format;

impl FtLogFormat for Format {
    fn msg(&self, record: &Record<'_>) -> Box<dyn Send + Sync + fmt::Display> {
        Box::new(Message {
            text: format!(
                "- {} - {} - {}",
                record.target(),
                record.level(),
                record.args()
            ),
            formatted: AtomicBool::new(false),
        })
    }
}

/// The text after ftlog's `<timestamp> <delay>ms `, and whether ftlog's thread has formatted
/// it into a line.
struct Message {
    text: String,
    formatted: AtomicBool,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.formatted.store(true, Ordering::Relaxed);
        f.write_str(&self.text)
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        if !*self.formatted.get_mut() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn install(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let time_format = time::format_description::parse_owned::<1>(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]",
    )?;
    let file = FileAppender::builder()
        .path(setup.dir.join("app.log"))
        .rotate(Period::Day)
        .build();
    let guard = ftlog::builder()
        .max_log_level(LevelFilter::Info)
        .time_format(time_format)
        .format(Format)
        .root(file)
        .try_init()
        .map_err(|err| format!("cannot start ftlog: {err}"))?;
    Ok(Box::new(Ftlog(guard)))
}

struct Ftlog(LoggerGuard);

impl Installed for Ftlog {
    /// Dropping the guard sends ftlog's thread a flush behind every queued record and waits
    /// for its answer: the thread has then written every record it received and flushed its
    /// `BufWriter`.
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        drop(self.0);
        Ok(Finished {
            dropped: Some(DROPPED.load(Ordering::Relaxed)),
        })
    }
}
