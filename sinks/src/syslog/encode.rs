//! One record to one syslog message: the settings both formats share, the message text, and
//! the size rule.

use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone, Utc};
use logtree_core::{write_args, Error, Formatter, Record};
use logtree_formatters::Zone;

use super::facility::{priority, Facility};
use super::{rfc3164, rfc5424, SyslogFormat};

/// What is appended to a message cut to fit the size limit, before the original size.
pub(crate) const TRUNCATED_MARKER: &str = "...[truncated from ";

/// Room kept for the marker (`...[truncated from 18446744073709551615 bytes]` at most).
const MARKER_ROOM: usize = TRUNCATED_MARKER.len() + 20 + " bytes]".len();

/// The smallest limit that leaves room for a header and the marker.
pub(crate) const MIN_MAX_MESSAGE_BYTES: usize = 480;

/// Everything a message is built from besides the record: the sink's settings, fixed at build.
pub(crate) struct Encoder {
    pub(crate) format: SyslogFormat,
    pub(crate) facility: Facility,
    /// HOSTNAME, sanitized.
    pub(crate) host: String,
    /// APP-NAME (RFC 5424) or TAG (RFC 3164), sanitized for its format.
    pub(crate) app_name: String,
    /// The SD-ID of the element holding logger, level and thread (`logtree@32473`).
    pub(crate) sd_id: String,
    /// The SD-ID of the element holding the record's key-values (`fields@32473`).
    pub(crate) fields_sd_id: String,
    pub(crate) zone: Zone,
    /// Formats the MSG part instead of the plain message (its trailing line break removed).
    pub(crate) message: Option<Box<dyn Formatter>>,
    /// The largest message, header and framing-free; see [`Encoder::encode`].
    pub(crate) max_bytes: usize,
}

/// Where the message text goes, and what it carries besides the record's own message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyValues {
    /// In structured data (RFC 5424) or not at all (the message formatter decides).
    Apart,
    /// Appended to the message as ` key=value`.
    InMessage,
}

impl Encoder {
    /// Appends the whole message for `record` logged by process `pid`.
    ///
    /// The size rule: a message longer than `max_bytes` is cut inside its MSG part, at a
    /// character boundary, and ends with `...[truncated from N bytes]` (N the full length), so
    /// that it fits and the reader sees it was cut. When the header and structured data alone
    /// leave no room, the key-values move from structured data to the message text, which is
    /// then cut the same way. Nothing is split into several messages: a daemon would not join
    /// them again.
    ///
    /// # Errors
    /// [`Error::Format`] when a value of the record fails to format.
    pub(crate) fn encode(
        &self,
        record: &Record<'_>,
        pid: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        let msg_at = self.encode_with(record, pid, out, KeyValues::Apart)?;
        let full = out.len() - start;
        if full <= self.max_bytes {
            return Ok(());
        }
        let msg_at = if msg_at - start + MARKER_ROOM > self.max_bytes {
            out.truncate(start);
            self.encode_with(record, pid, out, KeyValues::InMessage)?
        } else {
            msg_at
        };
        let full = full.max(out.len() - start);
        let mut cut = (start + self.max_bytes - MARKER_ROOM)
            .max(msg_at)
            .min(out.len());
        while cut > msg_at && !is_char_boundary(out, cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.extend_from_slice(TRUNCATED_MARKER.as_bytes());
        out.extend_from_slice(full.to_string().as_bytes());
        out.extend_from_slice(b" bytes]");
        Ok(())
    }

    /// Appends the message; returns where its MSG part starts.
    fn encode_with(
        &self,
        record: &Record<'_>,
        pid: u32,
        out: &mut Vec<u8>,
        key_values: KeyValues,
    ) -> Result<usize, Error> {
        out.push(b'<');
        out.extend_from_slice(
            priority(self.facility, record.level())
                .to_string()
                .as_bytes(),
        );
        out.push(b'>');
        match self.format {
            SyslogFormat::Rfc5424 => rfc5424::header(self, record, pid, out, key_values)?,
            SyslogFormat::Rfc3164 => rfc3164::header(self, record, pid, out),
        }
        let msg_at = out.len();
        self.write_message(record, out, key_values)?;
        Ok(msg_at)
    }

    /// The MSG part: the message formatter's text, or the record's message (and, when asked
    /// or when the format has no structured data, its key-values as ` key=value`).
    fn write_message(
        &self,
        record: &Record<'_>,
        out: &mut Vec<u8>,
        key_values: KeyValues,
    ) -> Result<(), Error> {
        match &self.message {
            Some(formatter) => {
                formatter.format(record, out)?;
                while out.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                    out.pop();
                }
            }
            None => write_args(out, record.args())?,
        }
        let in_message = key_values == KeyValues::InMessage
            || (self.format == SyslogFormat::Rfc3164 && self.message.is_none());
        if in_message {
            logtree_core::write_key_values(out, record.key_values())?;
        }
        Ok(())
    }

    /// The record's instant in the sink's zone.
    pub(crate) fn local_time(&self, record: &Record<'_>) -> DateTime<FixedOffset> {
        let time = record.unix_time();
        let utc = DateTime::from_timestamp(time.secs(), time.subsec_nanos()).unwrap_or_default();
        let offset = match self.zone {
            Zone::Local => Local.offset_from_utc_datetime(&utc.naive_utc()).fix(),
            Zone::Fixed(offset) => offset,
            // `Zone` is non-exhaustive: anything new is shown in UTC.
            _ => Utc.fix(),
        };
        utc.with_timezone(&offset)
    }
}

fn is_char_boundary(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_none_or(|&b| (b as i8) >= -0x40)
}
