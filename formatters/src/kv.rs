//! Key-values (`log::info!(user = "x"; "msg")`): the visiting all formatters share, and the
//! ` key=value` text form of the two text formatters.

use logtree_core::log::kv;
use logtree_core::Error;

use crate::escape::{escape_from, needs_quotes, Mode};
use logtree_core::{for_each_key_value, write_display};

/// Appends a value as text: a string as it is, anything else through its `Display`.
#[inline]
pub(crate) fn write_value(out: &mut Vec<u8>, value: &kv::Value<'_>) -> Result<(), Error> {
    match value.to_borrowed_str() {
        Some(s) => {
            out.extend_from_slice(s.as_bytes());
            Ok(())
        }
        None => write_display(out, value, "a key-value"),
    }
}

/// Appends ` key=value` per key-value: the value `"quoted"` when it is empty or holds a space,
/// `"`, `=` or a control character (then `"` and `\` inside are escaped as `\"` and `\\`), and
/// always escaped onto one line. Keys follow the same rule: the `log` macros only accept
/// identifiers, but a hand-written `kv::Source` may give `a=b c`, written `"a=b c"=value`.
pub(crate) fn write_text(out: &mut Vec<u8>, source: &dyn kv::Source) -> Result<(), Error> {
    // Most records have none: skip building a visitor for them.
    if source.count() == 0 {
        return Ok(());
    }
    for_each_key_value(source, |key, value| {
        out.push(b' ');
        write_quoted_if_needed(out, key.as_str().as_bytes());
        out.push(b'=');
        let start = out.len();
        write_value(out, &value)?;
        quote_if_needed(out, start);
        Ok(())
    })
}

/// Appends `text`, quoted if [`needs_quotes`] says so.
fn write_quoted_if_needed(out: &mut Vec<u8>, text: &[u8]) {
    let start = out.len();
    out.extend_from_slice(text);
    quote_if_needed(out, start);
}

/// Quotes (and escapes for quotes) what `out` holds from `start` on if [`needs_quotes`] says
/// so; else escapes it onto one line.
fn quote_if_needed(out: &mut Vec<u8>, start: usize) {
    if needs_quotes(&out[start..]) {
        out.insert(start, b'"');
        escape_from(out, start + 1, Mode::Quoted);
        out.push(b'"');
    } else {
        escape_from(out, start, Mode::Line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(source: &dyn kv::Source) -> String {
        let mut out = Vec::new();
        write_text(&mut out, source).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_form_quotes_only_when_needed() {
        assert_eq!(text(&[("user", "alice")]), " user=alice");
        assert_eq!(text(&[("rows", 3), ("n", -1)]), " rows=3 n=-1");
        assert_eq!(
            text(&[("a", "two words"), ("b", ""), ("c", "x=y")]),
            r#" a="two words" b="" c="x=y""#
        );
        assert_eq!(text(&[("q", r#"say "hi" \o/"#)]), r#" q="say \"hi\" \\o/""#);
        assert_eq!(
            text(&[("evil", "x\nINFO forged\x1b[2J")]),
            r#" evil="x\nINFO forged\x1b[2J""#
        );
        assert_eq!(text(&[("path", r"C:\logs")]), r" path=C:\logs");
        assert_eq!(text(&[("f", 1.5)]), " f=1.5");
        assert_eq!(text(&[("ok", true)]), " ok=true");
    }

    #[test]
    fn keys_are_quoted_by_the_same_rule() {
        assert_eq!(text(&[("a=b c", "v")]), r#" "a=b c"=v"#);
        assert_eq!(text(&[("", "v")]), r#" ""=v"#);
        assert_eq!(text(&[("k\"q", "v")]), r#" "k\"q"=v"#);
        assert_eq!(text(&[("user_id", "v")]), " user_id=v");
    }

    #[test]
    fn display_values_are_quoted_by_the_same_rule() {
        let v = kv::Value::from_display(&"a b");
        assert_eq!(text(&[("d", v)]), r#" d="a b""#);
    }

    #[test]
    fn a_failing_display_is_a_format_error() {
        struct Bad;
        impl std::fmt::Display for Bad {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                Err(std::fmt::Error)
            }
        }
        let mut out = Vec::new();
        let err = write_text(&mut out, &[("bad", kv::Value::from_display(&Bad))]).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{err}");
    }
}
