//! A sink that writes to the systemd journal in its native protocol.

mod fields;
mod memfd;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use logtree_core::{AtomicLevelFilter, Error, Formatter, LevelFilter, Record, Sink, SinkId};

use crate::syslog::{Background, QueueLimits, SenderSpec, Transport, UnixTransport};
use fields::Entry;

/// journald's socket for native messages.
pub const JOURNALD_SOCKET: &str = "/run/systemd/journal/socket";

/// Sends each record to the systemd journal as an entry of fields, in journald's native
/// protocol (a datagram to [`JOURNALD_SOCKET`]):
///
/// | field | value |
/// | --- | --- |
/// | `MESSAGE` | the message (or a message formatter's text) |
/// | `PRIORITY` | the syslog severity: `Error` 3, `Warn` 4, `Info` 6, `Debug` and `Trace` 7 |
/// | `SYSLOG_IDENTIFIER` | the program's name unless set |
/// | `LOGGER`, `THREAD` | the logger's dotted name, the thread's name when it has one |
/// | `CODE_FILE`, `CODE_LINE`, `CODE_MODULE` | the call site, when known |
/// | key-values | one field each, the key upper-cased (`user_id` → `USER_ID`) |
///
/// A key becomes a field name by upper-casing ASCII letters and replacing every character
/// other than `A`–`Z`, `0`–`9` and `_` with `_`; leading underscores are removed (journald
/// reserves them), and `KV_` is put in front of a name that would be empty, start with a digit
/// or repeat one of the fields above (`message` → `KV_MESSAGE`); names are cut at 64
/// characters. A value with a line break is sent in the protocol's binary form, so it arrives
/// whole. An entry larger than the socket takes in one datagram is written to a sealed memfd
/// whose descriptor is passed instead, as `sd_journal_send` does.
///
/// Records go through the same bounded queue and background thread as
/// [`SyslogSink`](crate::SyslogSink)'s, with the same guarantees: the caller never waits for
/// journald, records wait while it is away, and drops past the bound are counted, reported and
/// sent as a warning entry.
///
/// ```
/// use std::os::unix::net::UnixDatagram;
/// use logtree_core::{Record, Sink};
/// use logtree_sinks::JournaldSink;
///
/// // A socket of our own standing in for journald's.
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("journal.socket");
/// let journal = UnixDatagram::bind(&path)?;
/// let sink = JournaldSink::builder().socket(&path).identifier("shop").build()?;
/// let kvs = [("user_id", "ann")];
/// sink.log(&Record::builder().logger("shop.db").args(format_args!("ready")).key_values(&kvs).build())?;
/// sink.flush()?;
///
/// let mut entry = [0; 4096];
/// let len = journal.recv(&mut entry)?;
/// let text = String::from_utf8_lossy(&entry[..len]);
/// assert!(text.starts_with("MESSAGE=ready\nPRIORITY=6\nSYSLOG_IDENTIFIER=shop\nLOGGER=shop.db\n"));
/// assert!(text.ends_with("USER_ID=ann\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JournaldSink {
    id: SinkId,
    level: AtomicLevelFilter,
    entry: Entry,
    background: Background,
}

impl JournaldSink {
    /// A builder with the defaults: journald's socket, the program's name as identifier.
    pub fn builder() -> JournaldSinkBuilder {
        JournaldSinkBuilder {
            socket: PathBuf::from(JOURNALD_SOCKET),
            identifier: None,
            level: LevelFilter::Trace,
            message: None,
            limits: QueueLimits::default(),
            flush_timeout: Duration::from_secs(2),
        }
    }

    /// Changes the sink's own level.
    pub fn set_level(&self, level: LevelFilter) {
        self.level.set(level);
    }
}

impl fmt::Debug for JournaldSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournaldSink")
            .field("id", &self.id)
            .field("identifier", &self.entry.identifier)
            .finish_non_exhaustive()
    }
}

impl Sink for JournaldSink {
    fn id(&self) -> SinkId {
        self.id.clone()
    }

    fn level(&self) -> LevelFilter {
        self.level.get()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        self.background
            .log(|_pid, entry| self.entry.encode(record, entry))
    }

    fn flush(&self) -> Result<(), Error> {
        self.background.flush()
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.background.shutdown()
    }
}

/// Builds a [`JournaldSink`]; see [`JournaldSink::builder`].
#[must_use]
pub struct JournaldSinkBuilder {
    socket: PathBuf,
    identifier: Option<String>,
    level: LevelFilter,
    message: Option<Box<dyn Formatter>>,
    limits: QueueLimits,
    flush_timeout: Duration,
}

impl JournaldSinkBuilder {
    /// The socket to send to ([`JOURNALD_SOCKET`] unless set; a journald namespace `ns`
    /// listens on `/run/systemd/journal.ns/socket`).
    pub fn socket(mut self, path: impl Into<PathBuf>) -> JournaldSinkBuilder {
        self.socket = path.into();
        self
    }

    /// `SYSLOG_IDENTIFIER` (the program's name unless set).
    pub fn identifier(mut self, identifier: impl Into<String>) -> JournaldSinkBuilder {
        self.identifier = Some(identifier.into());
        self
    }

    /// The sink's own level (every record unless set).
    pub fn level(mut self, level: LevelFilter) -> JournaldSinkBuilder {
        self.level = level;
        self
    }

    /// Writes `MESSAGE` with `formatter` (its final line break removed) instead of the bare
    /// message.
    pub fn message_formatter(mut self, formatter: impl Formatter + 'static) -> JournaldSinkBuilder {
        self.message = Some(Box::new(formatter));
        self
    }

    /// How much may wait while journald is slow or away (10,000 records and 8 MiB unless
    /// set).
    pub fn queue_limits(mut self, limits: QueueLimits) -> JournaldSinkBuilder {
        self.limits = limits;
        self
    }

    /// The longest a flush waits (2 s unless set).
    pub fn flush_timeout(mut self, timeout: Duration) -> JournaldSinkBuilder {
        self.flush_timeout = timeout;
        self
    }

    /// The sink; nothing is connected until the first record.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for empty queue limits.
    pub fn build(self) -> Result<JournaldSink, Error> {
        if self.limits.max_records == 0 || self.limits.max_bytes == 0 {
            return Err(Error::InvalidOption {
                option: "queue_limits".to_owned(),
                reason: "a queue that holds nothing would drop every record".to_owned(),
            });
        }
        let entry = Entry {
            identifier: self.identifier.unwrap_or_else(crate::syslog::program_name),
            message: self.message,
        };
        let notice_entry = Entry {
            identifier: entry.identifier.clone(),
            message: None,
        };
        let target = format!("journald {}", self.socket.display());
        let socket = self.socket;
        let spec = SenderSpec {
            target: target.clone(),
            transport: Box::new(move || {
                Box::new(JournalTransport(UnixTransport::new(socket.clone()))) as Box<dyn Transport>
            }),
            drop_notice: Box::new(move |dropped, _pid| {
                let mut out = Vec::new();
                notice_entry
                    .encode(
                        &Record::builder()
                            .level(logtree_core::Level::Warn)
                            .logger("logtree")
                            .args(format_args!(
                                "{dropped} records dropped: the journald queue was full while \
                                 journald could not be reached"
                            ))
                            .build(),
                        &mut out,
                    )
                    .ok()?;
                Some(out)
            }),
            limits: self.limits,
            backoff: (Duration::from_millis(100), Duration::from_secs(5)),
            flush_timeout: self.flush_timeout,
        };
        Ok(JournaldSink {
            id: SinkId::new(target),
            level: AtomicLevelFilter::new(self.level),
            entry,
            background: Background::new(spec, "logtree-journald"),
        })
    }
}

impl fmt::Debug for JournaldSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournaldSinkBuilder")
            .field("socket", &self.socket)
            .field("identifier", &self.identifier)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// The unix datagram transport, with entries too large for a datagram sent through a memfd.
struct JournalTransport(UnixTransport);

impl Transport for JournalTransport {
    fn connect(&mut self) -> io::Result<()> {
        self.0.connect()
    }

    fn connected(&self) -> bool {
        self.0.connected()
    }

    fn disconnect(&mut self) {
        self.0.disconnect();
    }

    fn send(&mut self, records: &[Vec<u8>]) -> Result<(), (usize, io::Error)> {
        let mut done = 0;
        while done < records.len() {
            match self.0.send(&records[done..]) {
                Ok(()) => return Ok(()),
                Err((sent, err)) if err.raw_os_error() == Some(libc::EMSGSIZE) => {
                    let socket = self.0.socket.as_ref().ok_or((done + sent, err))?;
                    memfd::send_through_memfd(socket, &records[done + sent])
                        .map_err(|err| (done + sent, err))?;
                    done += sent + 1;
                }
                Err((sent, err)) => return Err((done + sent, err)),
            }
        }
        Ok(())
    }
}
