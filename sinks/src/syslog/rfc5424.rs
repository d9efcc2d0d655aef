//! RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`.
//!
//! The structured data carries what the header has no field for: an element `logtree@32473`
//! with the logger, the level (Trace and Debug share a severity), the thread and the call
//! site, and an element `fields@32473` with the record's key-values, one PARAM per key.

use logtree_core::{for_each_key_value, write_display, Error, Record};
use logtree_formatters::Zone;

use super::encode::{Encoder, KeyValues};
use super::names::{sanitize, sd_name_char};

/// Appends everything from the version to the space before MSG.
pub(super) fn header(
    encoder: &Encoder,
    record: &Record<'_>,
    pid: u32,
    out: &mut Vec<u8>,
    key_values: KeyValues,
) -> Result<(), Error> {
    out.extend_from_slice(b"1 ");
    timestamp(encoder, record, out)?;
    out.push(b' ');
    out.extend_from_slice(encoder.host.as_bytes());
    out.push(b' ');
    out.extend_from_slice(encoder.app_name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(pid.to_string().as_bytes());
    // MSGID: logtree has no message types; the logger name is in the structured data.
    out.extend_from_slice(b" - [");
    out.extend_from_slice(encoder.sd_id.as_bytes());
    param(out, "logger", |out| {
        out.extend_from_slice(record.logger().as_bytes());
        Ok(())
    })?;
    param(out, "level", |out| {
        out.extend_from_slice(record.level().as_str().as_bytes());
        Ok(())
    })?;
    if let Some(name) = record.thread_name() {
        param(out, "thread", |out| {
            out.extend_from_slice(name.as_bytes());
            Ok(())
        })?;
    }
    param(out, "thread_id", |out| {
        out.extend_from_slice(record.thread_id().to_string().as_bytes());
        Ok(())
    })?;
    if let Some(file) = record.file() {
        param(out, "file", |out| {
            out.extend_from_slice(file.as_bytes());
            Ok(())
        })?;
    }
    if let Some(line) = record.line() {
        param(out, "line", |out| {
            out.extend_from_slice(line.to_string().as_bytes());
            Ok(())
        })?;
    }
    out.push(b']');
    if key_values == KeyValues::Apart && record.key_values().count() > 0 {
        out.push(b'[');
        out.extend_from_slice(encoder.fields_sd_id.as_bytes());
        for_each_key_value(record.key_values(), |key, value| {
            let name = sanitize(key.as_str(), 32, sd_name_char, false);
            param(out, &name, |out| match value.to_borrowed_str() {
                Some(s) => {
                    out.extend_from_slice(s.as_bytes());
                    Ok(())
                }
                None => write_display(out, &value, "a key-value"),
            })
        })?;
        out.push(b']');
    }
    out.push(b' ');
    Ok(())
}

/// `2025-06-27T14:25:23.123456+02:00` (`Z` in UTC): microseconds, truncated. The text of the
/// second and the offset are computed once per second and thread.
fn timestamp(encoder: &Encoder, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
    thread_local! {
        static SECOND: std::cell::RefCell<(i64, Zone, String, String)> =
            const { std::cell::RefCell::new((i64::MIN, Zone::Utc, String::new(), String::new())) };
    }
    let time = record.unix_time();
    let micros = time.subsec_nanos() / 1_000;
    let cached = SECOND.try_with(|cell| {
        let mut cache = cell.borrow_mut();
        if cache.0 != time.secs() || cache.1 != encoder.zone {
            let at = encoder.local_time(record);
            let offset = match at.offset().local_minus_utc() {
                0 => "Z".to_owned(),
                _ => at.format("%:z").to_string(),
            };
            *cache = (
                time.secs(),
                encoder.zone,
                at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                offset,
            );
        }
        out.extend_from_slice(cache.2.as_bytes());
        out.push(b'.');
        let digits = [100_000, 10_000, 1_000, 100, 10, 1].map(|d| b'0' + (micros / d % 10) as u8);
        out.extend_from_slice(&digits);
        out.extend_from_slice(cache.3.as_bytes());
    });
    if cached.is_err() {
        // The thread is being torn down: format without the cache.
        let at = encoder.local_time(record);
        write_display(out, &at.format("%Y-%m-%dT%H:%M:%S%.6f%:z"), "the timestamp")?;
    }
    Ok(())
}

/// Appends ` name="value"`, the value written by `value` and escaped as PARAM-VALUE requires.
fn param(
    out: &mut Vec<u8>,
    name: &str,
    value: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    let start = out.len();
    value(out)?;
    escape_param_value(out, start);
    out.push(b'"');
    Ok(())
}

/// Escapes, in place, the PARAM-VALUE that starts at `start`: `"`, `\` and `]` get a
/// backslash (RFC 5424 §6.3.3); everything else, control characters included, is UTF-8 as
/// the RFC allows (daemons escape controls when they store the message).
pub(crate) fn escape_param_value(out: &mut Vec<u8>, start: usize) {
    let special = |b: &u8| matches!(b, b'"' | b'\\' | b']');
    let Some(first) = out[start..].iter().position(special) else {
        return;
    };
    let tail = out.split_off(start + first);
    for b in tail {
        if special(&b) {
            out.push(b'\\');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_values_escape_quote_backslash_and_bracket_only() {
        let mut out = b"x".to_vec();
        out.extend_from_slice(br#"say "hi" \o/ [a]"#);
        escape_param_value(&mut out, 1);
        assert_eq!(out, br#"xsay \"hi\" \\o/ [a\]"#);
        let mut clean = b"plain = text\n".to_vec();
        escape_param_value(&mut clean, 0);
        assert_eq!(clean, b"plain = text\n");
    }
}
