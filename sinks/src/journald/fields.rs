//! journald's native protocol: one datagram of fields, `NAME=value\n`, or for a value with a
//! line break `NAME\n`, its length as 64-bit little-endian, the value and `\n`
//! (<https://systemd.io/JOURNAL_NATIVE_PROTOCOL/>).

use logtree_core::{for_each_key_value, write_args, write_display, Error, Formatter, Record};

/// The fields the sink writes itself: a key-value with one of these names is prefixed with
/// `KV_` so that it cannot add a second `MESSAGE` or `PRIORITY` to the entry.
const OWN_FIELDS: [&str; 9] = [
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_IDENTIFIER",
    "SYSLOG_PID",
    "CODE_FILE",
    "CODE_LINE",
    "CODE_MODULE",
    "LOGGER",
    "THREAD",
];

/// The field name of a key-value: ASCII letters upper-cased, every other character but digits
/// and `_` replaced by `_`, leading underscores removed (they mark fields only journald may
/// set), `KV_` put in front of a name that is empty, starts with a digit or is one of the
/// sink's own fields, and cut at 64 characters.
pub(crate) fn field_name(key: &str) -> String {
    let mapped: String = key
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '_' => c,
            _ => '_',
        })
        .collect();
    let trimmed = mapped.trim_start_matches('_');
    let mut name = if trimmed.is_empty()
        || trimmed.starts_with(|c: char| c.is_ascii_digit())
        || OWN_FIELDS.contains(&trimmed)
    {
        format!("KV_{trimmed}")
    } else {
        trimmed.to_owned()
    };
    name.truncate(64);
    name
}

/// Appends the field `name` with the value `write` appends.
pub(crate) fn field(
    out: &mut Vec<u8>,
    name: &str,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    let start = out.len();
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    let value_at = out.len();
    write(out)?;
    if out[value_at..].contains(&b'\n') {
        // The binary form: the name, a line break, the length, the value.
        let value = out.split_off(value_at);
        out.truncate(start);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(&value);
    }
    out.push(b'\n');
    Ok(())
}

/// The settings an entry is built from.
pub(crate) struct Entry {
    pub(crate) identifier: String,
    pub(crate) message: Option<Box<dyn Formatter>>,
}

impl Entry {
    /// Appends the entry of `record`.
    pub(crate) fn encode(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        field(out, "MESSAGE", |out| match &self.message {
            Some(formatter) => {
                formatter.format(record, out)?;
                while out.last() == Some(&b'\n') {
                    out.pop();
                }
                Ok(())
            }
            None => write_args(out, record.args()),
        })?;
        field(out, "PRIORITY", |out| {
            out.push(b'0' + crate::syslog::severity(record.level()));
            Ok(())
        })?;
        field(out, "SYSLOG_IDENTIFIER", |out| {
            out.extend_from_slice(self.identifier.as_bytes());
            Ok(())
        })?;
        field(out, "LOGGER", |out| {
            out.extend_from_slice(record.logger().as_bytes());
            Ok(())
        })?;
        if let Some(name) = record.thread_name() {
            field(out, "THREAD", |out| {
                out.extend_from_slice(name.as_bytes());
                Ok(())
            })?;
        }
        if let Some(file) = record.file() {
            field(out, "CODE_FILE", |out| {
                out.extend_from_slice(file.as_bytes());
                Ok(())
            })?;
        }
        if let Some(line) = record.line() {
            field(out, "CODE_LINE", |out| {
                out.extend_from_slice(line.to_string().as_bytes());
                Ok(())
            })?;
        }
        if let Some(module) = record.module_path() {
            field(out, "CODE_MODULE", |out| {
                out.extend_from_slice(module.as_bytes());
                Ok(())
            })?;
        }
        for_each_key_value(record.key_values(), |key, value| {
            field(out, &field_name(key.as_str()), |out| {
                match value.to_borrowed_str() {
                    Some(s) => {
                        out.extend_from_slice(s.as_bytes());
                        Ok(())
                    }
                    None => write_display(out, &value, "a key-value"),
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_become_journal_field_names() {
        assert_eq!(field_name("user_id"), "USER_ID");
        assert_eq!(field_name("user id"), "USER_ID");
        assert_eq!(field_name("_secret"), "SECRET");
        assert_eq!(field_name("2fa"), "KV_2FA");
        assert_eq!(field_name("message"), "KV_MESSAGE");
        assert_eq!(field_name("___"), "KV_");
        assert_eq!(field_name("naïve"), "NA_VE");
        assert_eq!(field_name(&"k".repeat(80)).len(), 64);
    }

    #[test]
    fn a_value_with_a_line_break_takes_the_binary_form() {
        let mut out = Vec::new();
        field(&mut out, "A", |out| {
            out.extend_from_slice(b"one");
            Ok(())
        })
        .unwrap();
        field(&mut out, "B", |out| {
            out.extend_from_slice(b"x\ny");
            Ok(())
        })
        .unwrap();
        let mut want = b"A=one\nB\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"x\ny\n");
        assert_eq!(out, want);
    }
}
