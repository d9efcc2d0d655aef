//! The `Formatter` trait: how a record becomes bytes.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use log::kv;

use crate::{Error, Record};

/// Turns a record into the bytes of one line.
///
/// Object-safe, `Send + Sync`, `&self`. A formatter appends to the caller's buffer, so a sink
/// reuses one buffer for every record and formatting allocates nothing.
///
/// ```
/// use logtree_core::{Error, Formatter, Record};
///
/// /// `level|message`
/// struct Terse;
/// impl Formatter for Terse {
///     fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
///         out.extend_from_slice(record.level().as_str().as_bytes());
///         out.push(b'|');
///         logtree_core::write_args(out, record.args())?;
///         out.push(b'\n');
///         Ok(())
///     }
/// }
///
/// let mut out = Vec::new();
/// Terse.format(&Record::builder().args(format_args!("up")).build(), &mut out).unwrap();
/// assert_eq!(out, b"INFO|up\n");
/// ```
pub trait Formatter: Send + Sync {
    /// Appends the formatted record (including its line ending) to `out`.
    ///
    /// # Errors
    /// [`Error::Format`] when a value in the message fails to format; what was appended may
    /// then be partial, and the caller discards it.
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error>;
}

impl<F: Formatter + ?Sized> Formatter for &F {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).format(record, out)
    }
}

impl<F: Formatter + ?Sized> Formatter for Box<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).format(record, out)
    }
}

impl<F: Formatter + ?Sized> Formatter for Arc<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).format(record, out)
    }
}

/// Appends a message to `out`, copying it directly when it is a plain string literal.
///
/// # Errors
/// [`Error::Format`] when a `Display` implementation in `args` fails.
#[inline]
pub fn write_args(out: &mut Vec<u8>, args: &fmt::Arguments<'_>) -> Result<(), Error> {
    match args.as_str() {
        Some(s) => {
            out.extend_from_slice(s.as_bytes());
            Ok(())
        }
        None => out.write_fmt(*args).map_err(|_| Error::Format {
            reason: "a Display implementation in the message returned an error".to_owned(),
        }),
    }
}

/// Appends ` key=value` for each key-value of the record, in the order the caller gave them.
///
/// # Errors
/// [`Error::Format`] when a value fails to format.
pub fn write_key_values(out: &mut Vec<u8>, source: &dyn kv::Source) -> Result<(), Error> {
    struct Visitor<'o>(&'o mut Vec<u8>);
    impl<'kvs> kv::VisitSource<'kvs> for Visitor<'_> {
        fn visit_pair(
            &mut self,
            key: kv::Key<'kvs>,
            value: kv::Value<'kvs>,
        ) -> Result<(), kv::Error> {
            write!(self.0, " {key}={value}").map_err(|_| kv::Error::msg("value failed to format"))
        }
    }
    source
        .visit(&mut Visitor(out))
        .map_err(|err| Error::Format {
            reason: err.to_string(),
        })
}

/// The simplest layout, `LEVEL logger - message key=value\n`: the default of [`crate::MemorySink`]
/// and a reference for custom formatters. Sinks default to the millisecond formatter of
/// `logtree-formatters` instead.
///
/// ```
/// use logtree_core::{Formatter, PlainFormatter, Record};
/// let kvs = [("rows", 3)];
/// let record = Record::builder().logger("app.db").args(format_args!("done")).key_values(&kvs).build();
/// let mut out = Vec::new();
/// PlainFormatter.format(&record, &mut out).unwrap();
/// assert_eq!(out, b"INFO app.db - done rows=3\n");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainFormatter;

impl Formatter for PlainFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(record.logger().as_bytes());
        out.extend_from_slice(b" - ");
        write_args(out, record.args())?;
        write_key_values(out, record.key_values())?;
        out.push(b'\n');
        Ok(())
    }
}
