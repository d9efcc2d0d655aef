//! A sink that ships records to the host's syslog daemon (rsyslog, syslog-ng) or a remote
//! one, in RFC 5424 or RFC 3164, over `/dev/log`, UDP or TCP, from a background thread.

mod background;
mod builder;
mod encode;
mod facility;
mod names;
mod queue;
mod rfc3164;
mod rfc5424;
mod sender;
#[cfg(test)]
mod tests;
mod transport;

use std::fmt;
use std::sync::Arc;

use logtree_core::{AtomicLevelFilter, Error, Level, LevelFilter, Record, Sink, SinkId};

pub use builder::SyslogSinkBuilder;
pub use facility::Facility;
pub use queue::QueueLimits;
pub use transport::SyslogAddress;

pub(crate) use background::Background;
pub(crate) use facility::severity;
pub(crate) use names::program_name;
pub(crate) use sender::SenderSpec;
pub(crate) use transport::{Transport, UnixTransport};

use encode::Encoder;

/// The largest message by default, header included: rsyslog's default `maxMessageSize`.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 8192;

/// The private enterprise number in the SD-IDs by default (`logtree@32473`): 32473 is the
/// number IANA reserves for documentation and examples (RFC 5612); an organisation with its
/// own number sets it with [`SyslogSinkBuilder::enterprise_number`].
pub const DEFAULT_ENTERPRISE_NUMBER: u32 = 32473;

/// The message format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyslogFormat {
    /// RFC 5424 (the default): `<14>1 2025-06-27T14:25:23.123456+02:00 host app 4242 -
    /// [logtree@32473 logger="app.db" level="INFO" thread="main" thread_id="1"]
    /// [fields@32473 user="alice"] message`.
    #[default]
    Rfc5424,
    /// RFC 3164, the BSD format: `<14>Jun 27 14:25:23 host app[4242]: message user=alice`.
    Rfc3164,
}

/// Sends each record to a syslog daemon.
///
/// # Messages
/// - Priority: the facility ([`Facility`], `user` by default) and the severity of the level
///   (`Error` → err, `Warn` → warning, `Info` → info, `Debug` and `Trace` → debug, as Python's
///   `SysLogHandler`).
/// - RFC 5424 ([`SyslogFormat::Rfc5424`], the default): the timestamp with microseconds and
///   the zone's offset (local time by default), the host name, APP-NAME (the program's name
///   unless set), PROCID (the process id), MSGID `-`; structured data
///   `[logtree@32473 logger="…" level="…" thread="…" thread_id="…" file="…" line="…"]` and,
///   when the record has key-values, `[fields@32473 key="value" …]`. PARAM-VALUEs escape `"`,
///   `\` and `]` with a backslash (RFC 5424 §6.3.3). A key that is not a valid SD-NAME (1–32
///   printable ASCII characters other than `=`, space, `]` and `"`) has each other character
///   replaced by `_` and is cut at 32 characters (`user id` → `user_id`, `naïve` → `na_ve`).
///   MSG is the message, as UTF-8, without a byte-order mark.
/// - RFC 3164 ([`SyslogFormat::Rfc3164`]): `Mmm dd HH:MM:SS host app[pid]: message key=value`.
/// - A message formatter ([`SyslogSinkBuilder::message_formatter`]) may write MSG instead
///   (its line break removed).
/// - Size: a message longer than [`DEFAULT_MAX_MESSAGE_BYTES`] (or the size set) is cut
///   within its text and ends with `...[truncated from N bytes]`; when the header and
///   structured data alone are too large, the key-values move into the text, which is then
///   cut the same way. A message is never split, and never dropped for its size.
///
/// # Delivery
/// [`log`](Sink::log) formats the record and queues it; a background thread (started on the
/// first record, `logtree-syslog`) sends the queue in order. A caller never waits for the
/// network, only for the queue's lock, which no one holds during I/O.
/// - Bound: at most 10,000 records and 8 MiB wait ([`QueueLimits`]). Past it the newest
///   records are dropped and counted; the first drop of a run is returned from `log` (so the
///   tree's error handler reports it), and once the daemon takes records again a warning
///   record from `logtree` tells it how many were dropped.
/// - Failures: a send that fails keeps its records in the queue; the thread reconnects after
///   100 ms, then twice as long each time up to 5 s ([`SyslogSinkBuilder::reconnect_backoff`]),
///   and the failure reaches the error handler through the next `log` (once per outage).
/// - TCP: before each batch the thread checks whether the daemon closed the connection, so
///   records logged while it was down are sent after reconnecting. Records the kernel accepted
///   in the instant the daemon died are lost without a trace: TCP acknowledges bytes to the
///   kernel, not to the daemon (RELP exists for that guarantee).
/// - UDP and `/dev/log`: a datagram the kernel accepted is gone; under load a UDP receiver
///   may drop some. Use TCP when every record counts.
/// - [`flush`](Sink::flush) waits until what was queued before it was sent, at most 2 s
///   ([`SyslogSinkBuilder::flush_timeout`]); [`shutdown`](Sink::shutdown) flushes, stops the
///   thread and reports records it could not send.
/// - A forked child starts with an empty queue and its own thread: it never sends what its
///   parent had queued.
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
/// use logtree_sinks::{Facility, SyslogAddress, SyslogSink};
///
/// // A UDP "daemon" of our own.
/// let daemon = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let syslog = SyslogSink::builder()
///     .address(SyslogAddress::Udp(daemon.local_addr()?.to_string()))
///     .facility(Facility::Local0)
///     .app_name("shop")
///     .build()?;
/// let tree = LoggerTree::new();
/// let logger = tree.setup_logger("shop", SetupOptions::new().level(LevelFilter::Info).sink(syslog))?;
/// logger.warn(format_args!("stock low"));
/// tree.flush()?;
///
/// let mut datagram = [0; 2048];
/// let len = daemon.recv(&mut datagram)?;
/// let message = String::from_utf8_lossy(&datagram[..len]);
/// // local0 (16) * 8 + warning (4) = 132.
/// assert!(message.starts_with("<132>1 "));
/// assert!(message.contains(" shop "));
/// assert!(message.contains(r#"[logtree@32473 logger="shop" level="WARN""#));
/// assert!(message.ends_with("] stock low"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SyslogSink {
    id: SinkId,
    level: AtomicLevelFilter,
    address: SyslogAddress,
    encoder: Arc<Encoder>,
    background: Background,
}

impl SyslogSink {
    /// A builder with the defaults: `unix:/dev/log`, RFC 5424, facility `user`.
    pub fn builder() -> SyslogSinkBuilder {
        SyslogSinkBuilder::new()
    }

    /// Where the messages go.
    pub fn address(&self) -> &SyslogAddress {
        &self.address
    }

    /// Changes the sink's own level.
    pub fn set_level(&self, level: LevelFilter) {
        self.level.set(level);
    }
}

impl fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogSink")
            .field("address", &self.address)
            .field("format", &self.encoder.format)
            .field("facility", &self.encoder.facility)
            .field("app_name", &self.encoder.app_name)
            .finish_non_exhaustive()
    }
}

impl Sink for SyslogSink {
    fn id(&self) -> SinkId {
        self.id.clone()
    }

    fn level(&self) -> LevelFilter {
        self.level.get()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        self.background
            .log(|pid, message| self.encoder.encode(record, pid, message))
    }

    fn flush(&self) -> Result<(), Error> {
        self.background.flush()
    }

    fn shutdown(&self) -> Result<(), Error> {
        self.background.shutdown()
    }
}

/// The warning that tells the daemon how many records were dropped.
fn drop_notice(encoder: &Encoder, dropped: u64, pid: u32) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    // `format_args!` temporaries live to the end of the statement: build and encode in one.
    encoder
        .encode(
            &Record::builder()
                .level(Level::Warn)
                .logger("logtree")
                .args(format_args!(
                    "{dropped} records dropped: the syslog queue was full while the daemon \
                     could not be reached"
                ))
                .build(),
            pid,
            &mut message,
        )
        .ok()?;
    Some(message)
}
