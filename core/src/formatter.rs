//! The `Formatter` trait: how a record becomes bytes.

use std::fmt::{self, Write as _};
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

/// A `fmt::Write` view of a byte buffer.
///
/// `io::Write::write_fmt` on a `Vec<u8>` panics ("a formatting trait implementation returned
/// an error when the underlying stream did not") when a `Display` returns `Err`; `fmt::Write`
/// hands the error back instead.
struct FmtBuf<'a>(&'a mut Vec<u8>);

impl fmt::Write for FmtBuf<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends a message to `out`, copying it directly when it is a plain string literal.
///
/// # Errors
/// [`Error::Format`] when a `Display` implementation in `args` fails (never a panic).
#[inline]
pub fn write_args(out: &mut Vec<u8>, args: &fmt::Arguments<'_>) -> Result<(), Error> {
    match args.as_str() {
        Some(s) => {
            out.extend_from_slice(s.as_bytes());
            Ok(())
        }
        None => FmtBuf(out).write_fmt(*args).map_err(|_| Error::Format {
            reason: "a Display implementation in the message returned an error".to_owned(),
        }),
    }
}

/// Appends `value` through its `Display`; `what` names it in the error.
///
/// # Errors
/// [`Error::Format`] when the implementation fails (never a panic).
pub fn write_display(out: &mut Vec<u8>, value: &dyn fmt::Display, what: &str) -> Result<(), Error> {
    write!(FmtBuf(out), "{value}").map_err(|_| Error::Format {
        reason: format!("{what} returned an error from its Display implementation"),
    })
}

/// Calls `f` with each key-value of `source`, in the caller's order, and hands back `f`'s own
/// error (the `log` visitor can only carry its own).
///
/// # Errors
/// The first error of `f`, or [`Error::Format`] when the source itself fails.
pub fn for_each_key_value(
    source: &dyn kv::Source,
    f: impl FnMut(kv::Key<'_>, kv::Value<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    struct Visitor<F> {
        f: F,
        failed: Option<Error>,
    }
    impl<'kvs, F> kv::VisitSource<'kvs> for Visitor<F>
    where
        F: FnMut(kv::Key<'_>, kv::Value<'_>) -> Result<(), Error>,
    {
        fn visit_pair(
            &mut self,
            key: kv::Key<'kvs>,
            value: kv::Value<'kvs>,
        ) -> Result<(), kv::Error> {
            (self.f)(key, value).map_err(|err| {
                self.failed = Some(err);
                kv::Error::msg("formatting a key-value failed")
            })
        }
    }
    let mut visitor = Visitor { f, failed: None };
    source.visit(&mut visitor).map_err(|err| {
        visitor.failed.take().unwrap_or_else(|| Error::Format {
            reason: err.to_string(),
        })
    })
}

/// Appends ` key=value` for each key-value of the record, in the order the caller gave them,
/// as they are (no quoting or escaping: the formatters of `logtree-formatters` do that).
///
/// # Errors
/// [`Error::Format`] when a value fails to format.
pub fn write_key_values(out: &mut Vec<u8>, source: &dyn kv::Source) -> Result<(), Error> {
    for_each_key_value(source, |key, value| {
        out.push(b' ');
        out.extend_from_slice(key.as_str().as_bytes());
        out.push(b'=');
        write_display(out, &value, "a key-value")
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Bad;
    impl fmt::Display for Bad {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            Err(fmt::Error)
        }
    }

    #[test]
    fn a_failing_display_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        assert!(matches!(
            write_args(&mut out, &format_args!("{}", Bad)),
            Err(Error::Format { .. })
        ));
        assert!(write_display(&mut out, &Bad, "a value").is_err());
        let kvs = [("bad", kv::Value::from_display(&Bad))];
        assert!(matches!(
            write_key_values(&mut out, &kvs),
            Err(Error::Format { .. })
        ));
        out.clear();
        write_args(&mut out, &format_args!("{} {}", 1, "two")).unwrap();
        write_display(&mut out, &3.5, "a value").unwrap();
        write_key_values(&mut out, &[("n", 1)]).unwrap();
        assert_eq!(out, b"1 two3.5 n=1");
    }

    #[test]
    fn a_failing_message_reaches_the_error_handler_not_the_caller() {
        let tree = crate::LoggerTree::new();
        let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&errors);
        tree.set_error_handler(move |err| seen.lock().unwrap().push(err.to_string()));
        let sink = crate::MemorySink::new();
        let options = crate::SetupOptions::new()
            .level(crate::LevelFilter::Info)
            .sink(sink.clone());
        let app = tree.setup_logger("app", options).unwrap();
        app.info(format_args!("{}", Bad));
        app.info(format_args!("fine"));
        assert_eq!(sink.lines(), ["INFO app - fine"]);
        assert_eq!(errors.lock().unwrap().len(), 1);
    }
}
