//! `fmt` output into a byte buffer, with a failing `Display` as an error.
//!
//! `io::Write::write_fmt` on a `Vec<u8>` panics ("a formatting trait implementation returned
//! an error when the underlying stream did not") when a user's `Display` returns `Err`, so
//! everything here goes through `fmt::Write`, which hands the error back.

use std::fmt::{self, Write as _};

use logtree_core::Error;

/// A `fmt::Write` view of the caller's buffer.
struct Buf<'a>(&'a mut Vec<u8>);

impl fmt::Write for Buf<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends a message, copying it directly when it is a plain string literal.
///
/// # Errors
/// [`Error::Format`] when a `Display` implementation in `args` fails.
#[inline]
pub(crate) fn write_args(out: &mut Vec<u8>, args: &fmt::Arguments<'_>) -> Result<(), Error> {
    match args.as_str() {
        Some(s) => {
            out.extend_from_slice(s.as_bytes());
            Ok(())
        }
        None => Buf(out).write_fmt(*args).map_err(|_| Error::Format {
            reason: "a Display implementation in the message returned an error".to_owned(),
        }),
    }
}

/// Appends `value` through its `Display`.
///
/// # Errors
/// [`Error::Format`] naming `what` when the implementation fails.
pub(crate) fn write_display(
    out: &mut Vec<u8>,
    value: &dyn fmt::Display,
    what: &str,
) -> Result<(), Error> {
    write!(Buf(out), "{value}").map_err(|_| Error::Format {
        reason: format!("{what} returned an error from its Display implementation"),
    })
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
        assert!(write_args(&mut out, &format_args!("{}", Bad)).is_err());
        assert!(write_display(&mut out, &Bad, "a value").is_err());
        write_args(&mut out, &format_args!("{} {}", 1, "two")).unwrap();
        write_display(&mut out, &3.5, "a value").unwrap();
        assert_eq!(out, b"1 two3.5");
    }
}
