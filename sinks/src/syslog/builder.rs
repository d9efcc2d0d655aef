//! Options of a [`SyslogSink`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use logtree_core::{AtomicLevelFilter, Error, Formatter, LevelFilter, SinkId};
use logtree_formatters::Zone;

use super::encode::{Encoder, MIN_MAX_MESSAGE_BYTES};
use super::names::{host_name, printable, program_name, sanitize, tag_char};
use super::transport::transport_for;
use super::{
    drop_notice, Background, QueueLimits, SenderSpec, SyslogAddress, SyslogFormat, SyslogSink,
    DEFAULT_ENTERPRISE_NUMBER, DEFAULT_MAX_MESSAGE_BYTES,
};
use crate::Facility;

/// The largest payload of a UDP datagram over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// Builds a [`SyslogSink`]; see [`SyslogSink::builder`].
///
/// ```
/// use std::time::Duration;
/// use logtree_core::LevelFilter;
/// use logtree_sinks::{Facility, QueueLimits, SyslogFormat, SyslogSink};
///
/// let sink = SyslogSink::builder()
///     .address("tcp://127.0.0.1:6514".parse()?)
///     .format(SyslogFormat::Rfc5424)
///     .facility(Facility::Local3)
///     .app_name("billing")
///     .level(LevelFilter::Info)
///     .queue_limits(QueueLimits { max_records: 50_000, max_bytes: 32 << 20 })
///     .reconnect_backoff(Duration::from_millis(50), Duration::from_secs(10))
///     .build()?;
/// assert_eq!(sink.address().to_string(), "tcp://127.0.0.1:6514");
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[must_use]
pub struct SyslogSinkBuilder {
    address: SyslogAddress,
    format: SyslogFormat,
    facility: Facility,
    app_name: Option<String>,
    host_name: Option<String>,
    level: LevelFilter,
    zone: Zone,
    message: Option<Box<dyn Formatter>>,
    max_message_bytes: usize,
    enterprise_number: u32,
    limits: QueueLimits,
    backoff: (Duration, Duration),
    flush_timeout: Duration,
}

impl SyslogSinkBuilder {
    pub(super) fn new() -> SyslogSinkBuilder {
        SyslogSinkBuilder {
            address: SyslogAddress::default(),
            format: SyslogFormat::default(),
            facility: Facility::default(),
            app_name: None,
            host_name: None,
            level: LevelFilter::Trace,
            zone: Zone::Local,
            message: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            enterprise_number: DEFAULT_ENTERPRISE_NUMBER,
            limits: QueueLimits::default(),
            backoff: (Duration::from_millis(100), Duration::from_secs(5)),
            flush_timeout: Duration::from_secs(2),
        }
    }

    /// Where to send (`unix:/dev/log` unless set).
    pub fn address(mut self, address: SyslogAddress) -> SyslogSinkBuilder {
        self.address = address;
        self
    }

    /// The message format (RFC 5424 unless set).
    pub fn format(mut self, format: SyslogFormat) -> SyslogSinkBuilder {
        self.format = format;
        self
    }

    /// The facility (`user` unless set).
    pub fn facility(mut self, facility: Facility) -> SyslogSinkBuilder {
        self.facility = facility;
        self
    }

    /// APP-NAME (RFC 5424) or TAG (RFC 3164); the program's name unless set. Characters the
    /// format does not allow become `_`, and it is cut at 48 (RFC 5424) or 32 (RFC 3164)
    /// characters.
    pub fn app_name(mut self, app_name: impl Into<String>) -> SyslogSinkBuilder {
        self.app_name = Some(app_name.into());
        self
    }

    /// HOSTNAME; the machine's name (`gethostname`) unless set.
    pub fn host_name(mut self, host_name: impl Into<String>) -> SyslogSinkBuilder {
        self.host_name = Some(host_name.into());
        self
    }

    /// The sink's own level (every record unless set).
    pub fn level(mut self, level: LevelFilter) -> SyslogSinkBuilder {
        self.level = level;
        self
    }

    /// The zone of timestamps (local time, with its offset, unless set).
    pub fn zone(mut self, zone: Zone) -> SyslogSinkBuilder {
        self.zone = zone;
        self
    }

    /// Writes MSG with `formatter` (its final line break removed) instead of the bare message;
    /// in RFC 5424 the key-values stay in structured data either way.
    pub fn message_formatter(mut self, formatter: impl Formatter + 'static) -> SyslogSinkBuilder {
        self.message = Some(Box::new(formatter));
        self
    }

    /// The largest message in bytes, header included and framing excluded; longer ones are
    /// cut (see [`SyslogSink`]). 8192 unless set; at least 480, and at most 65,507 over UDP.
    pub fn max_message_bytes(mut self, max: usize) -> SyslogSinkBuilder {
        self.max_message_bytes = max;
        self
    }

    /// The private enterprise number of the SD-IDs `logtree@N` and `fields@N` (32473, the
    /// number for documentation, unless set).
    pub fn enterprise_number(mut self, number: u32) -> SyslogSinkBuilder {
        self.enterprise_number = number;
        self
    }

    /// How much may wait while the daemon is slow or away (10,000 records and 8 MiB unless
    /// set).
    pub fn queue_limits(mut self, limits: QueueLimits) -> SyslogSinkBuilder {
        self.limits = limits;
        self
    }

    /// The first and the longest wait between reconnection attempts (100 ms and 5 s unless
    /// set); the wait doubles after each failure.
    pub fn reconnect_backoff(mut self, first: Duration, longest: Duration) -> SyslogSinkBuilder {
        self.backoff = (first, longest.max(first));
        self
    }

    /// The longest [`flush`](logtree_core::Sink::flush) waits for the queue to drain (2 s
    /// unless set).
    pub fn flush_timeout(mut self, timeout: Duration) -> SyslogSinkBuilder {
        self.flush_timeout = timeout;
        self
    }

    /// The sink; nothing is connected until the first record.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a size limit out of range or empty queue limits.
    pub fn build(self) -> Result<SyslogSink, Error> {
        let invalid = |option: &str, reason: String| Error::InvalidOption {
            option: option.to_owned(),
            reason,
        };
        let udp = matches!(self.address, SyslogAddress::Udp(_));
        if self.max_message_bytes < MIN_MAX_MESSAGE_BYTES
            || (udp && self.max_message_bytes > MAX_UDP_PAYLOAD)
        {
            return Err(invalid(
                "max_message_bytes",
                format!(
                    "{} is out of range: at least {MIN_MAX_MESSAGE_BYTES}{}",
                    self.max_message_bytes,
                    if udp {
                        ", and at most 65507 over UDP"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if self.limits.max_records == 0 || self.limits.max_bytes == 0 {
            return Err(invalid(
                "queue_limits",
                "a queue that holds nothing would drop every record".to_owned(),
            ));
        }
        let app_name = self.app_name.unwrap_or_else(program_name);
        let app_name = match self.format {
            SyslogFormat::Rfc5424 => sanitize(&app_name, 48, printable, true),
            SyslogFormat::Rfc3164 => sanitize(&app_name, 32, tag_char, true),
        };
        let host = self
            .host_name
            .map(|name| sanitize(&name, 255, printable, true))
            .unwrap_or_else(host_name);
        let encoder = Arc::new(Encoder {
            format: self.format,
            facility: self.facility,
            host,
            app_name,
            sd_id: format!("logtree@{}", self.enterprise_number),
            fields_sd_id: format!("fields@{}", self.enterprise_number),
            zone: self.zone,
            message: self.message,
            max_bytes: self.max_message_bytes,
        });
        let target = format!("syslog {}", self.address);
        let address = self.address.clone();
        let notice_encoder = Arc::clone(&encoder);
        let spec = SenderSpec {
            target: target.clone(),
            transport: Box::new(move || transport_for(&address)),
            drop_notice: Box::new(move |dropped, pid| drop_notice(&notice_encoder, dropped, pid)),
            limits: self.limits,
            backoff: self.backoff,
            flush_timeout: self.flush_timeout,
        };
        Ok(SyslogSink {
            id: SinkId::new(target),
            level: AtomicLevelFilter::new(self.level),
            address: self.address,
            encoder,
            background: Background::new(spec, "logtree-syslog"),
        })
    }
}

impl fmt::Debug for SyslogSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogSinkBuilder")
            .field("address", &self.address)
            .field("format", &self.format)
            .field("facility", &self.facility)
            .field("app_name", &self.app_name)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}
