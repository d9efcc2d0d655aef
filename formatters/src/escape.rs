//! In-place escaping of what a formatter has just appended: control characters for the text
//! formatters (log-injection safety), quotes and control characters for JSON strings.
//!
//! Formatters write a field straight into the caller's buffer, then call [`escape_from`] on the
//! bytes they appended. The common case (nothing to escape) is one vectorisable scan; only when
//! a byte needs escaping is the tail rewritten, in place, so no record allocates.

/// What a region of the line is and so which characters it must not contain raw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Text that must stay on one line: every C0 control, DEL and C1 control is escaped.
    Line,
    /// Text that may span lines: `\n` (and `\r\n`) stays a line break followed by four
    /// spaces, `\t` stays; every other control character is escaped as in [`Mode::Line`].
    Multiline,
    /// The inside of a `"…"`-quoted key-value: as [`Mode::Line`], plus `\"` and `\\`.
    Quoted,
    /// The inside of a JSON string (RFC 8259), with DEL and C1 escaped as well so that a JSON
    /// log shown on a terminal cannot carry an ANSI escape either.
    Json,
}

/// Escapes, in place, the bytes of `out` from `start` on, which must be valid UTF-8.
///
/// Escapes in text modes: `\n` `\r` `\t` as themselves; other C0 controls and DEL as `\xHH`;
/// C1 controls (U+0080–U+009F) as `\u{HH}`. In JSON: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// and `\u00HH` for the other controls, DEL and C1.
pub(crate) fn escape_from(out: &mut Vec<u8>, start: usize, mode: Mode) {
    let Some(first) = find_first(&out[start..], mode) else {
        return;
    };
    let first = start + first;
    let old_len = out.len();

    // Every replacement is at least as long as what it replaces, so the rewrite can run
    // forwards once the tail has been moved right by the growth: the write position never
    // overtakes the read position.
    let mut extra = 0;
    let mut i = first;
    while i < old_len {
        let (consumed, rep) = unit(&out[..old_len], i, mode);
        if let Some(rep) = rep {
            extra += usize::from(rep.len) - consumed;
        }
        i += consumed;
    }
    if extra == 0 {
        return;
    }

    let end = old_len + extra;
    out.resize(end, 0);
    out.copy_within(first..old_len, first + extra);
    let mut read = first + extra;
    let mut write = first;
    while read < end {
        let (consumed, rep) = unit(&out[..end], read, mode);
        match rep {
            None => out.copy_within(read..read + consumed, write),
            Some(rep) => {
                let len = usize::from(rep.len);
                out[write..write + len].copy_from_slice(&rep.bytes[..len]);
                write += len - consumed;
            }
        }
        write += consumed;
        read += consumed;
    }
}

/// Whether a key-value's text must be written `"quoted"` so that a reader can tell where it
/// ends: it is empty, or holds a space, a control character, `"` or `=`.
pub(crate) fn needs_quotes(value: &[u8]) -> bool {
    value.is_empty()
        || value
            .iter()
            .any(|&b| b <= b' ' || b == b'"' || b == b'=' || b == 0x7f)
}

/// Whether a byte may start something to escape (1) or not (0). `0xC2` is the lead byte of
/// U+0080–U+00BF, a superset of the C1 controls: a false alarm only costs the slow path.
/// Bitwise, not short-circuit, operators: no branch per byte, so the compiler vectorises.
#[inline(always)]
fn flag<const QUOTES: bool>(b: u8) -> u8 {
    let control = (b < 0x20) | (b == 0x7f) | (b == 0xc2);
    let quote = QUOTES & ((b == b'"') | (b == b'\\'));
    u8::from(control | quote)
}

/// The index of the first flagged byte: 16-byte chunks are or-reduced without an early exit
/// (a few SIMD compares each), and only from the chunk that has one is the search byte by
/// byte.
#[inline]
fn find_first(bytes: &[u8], mode: Mode) -> Option<usize> {
    if matches!(mode, Mode::Quoted | Mode::Json) {
        find_first_in::<true>(bytes)
    } else {
        find_first_in::<false>(bytes)
    }
}

#[inline(always)]
fn find_first_in<const QUOTES: bool>(bytes: &[u8]) -> Option<usize> {
    let any = |chunk: &[u8]| chunk.iter().fold(0, |any, &b| any | flag::<QUOTES>(b)) != 0;
    let mut base = 0;
    let mut found = false;
    for chunk in bytes.chunks_exact(16) {
        found = any(chunk);
        if found {
            break;
        }
        base += 16;
    }
    // A clean tail is checked as one last (overlapping) chunk rather than byte by byte.
    if !found && bytes.len() >= 16 && !any(&bytes[bytes.len() - 16..]) {
        return None;
    }
    bytes[base..]
        .iter()
        .position(|&b| flag::<QUOTES>(b) != 0)
        .map(|p| base + p)
}

/// A replacement of at most 8 bytes, on the stack.
#[derive(Clone, Copy)]
struct Rep {
    bytes: [u8; 8],
    len: u8,
}

impl Rep {
    const fn new(s: &[u8]) -> Rep {
        let mut bytes = [0; 8];
        let mut i = 0;
        while i < s.len() {
            bytes[i] = s[i];
            i += 1;
        }
        Rep {
            bytes,
            len: s.len() as u8,
        }
    }

    /// `\xHH`, `\u{HH}` or `\u00HH`.
    fn hex(prefix: &[u8], c: u8, suffix: &[u8]) -> Rep {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut rep = Rep::new(prefix);
        let mut push = |b: u8| {
            rep.bytes[usize::from(rep.len)] = b;
            rep.len += 1;
        };
        push(HEX[usize::from(c >> 4)]);
        push(HEX[usize::from(c & 0xf)]);
        for &b in suffix {
            push(b);
        }
        rep
    }
}

/// A line break of a multi-line message and the indentation of the next line, so that a reader
/// (and a log collector) tells a continuation from the start of a new record.
const LINE_BREAK: Rep = Rep::new(b"\n    ");

/// The character at `i`: how many bytes it takes and, if it must be escaped, its replacement.
#[inline]
fn unit(bytes: &[u8], i: usize, mode: Mode) -> (usize, Option<Rep>) {
    let b = bytes[i];
    let json = mode == Mode::Json;
    let rep = match b {
        b'\n' if mode == Mode::Multiline => LINE_BREAK,
        b'\r' if mode == Mode::Multiline && bytes.get(i + 1) == Some(&b'\n') => {
            return (2, Some(LINE_BREAK));
        }
        b'\t' if mode == Mode::Multiline => return (1, None),
        b'\n' => Rep::new(b"\\n"),
        b'\r' => Rep::new(b"\\r"),
        b'\t' => Rep::new(b"\\t"),
        0x08 if json => Rep::new(b"\\b"),
        0x0c if json => Rep::new(b"\\f"),
        b'"' | b'\\' if matches!(mode, Mode::Quoted | Mode::Json) => Rep::new(&[b'\\', b]),
        0x00..=0x1f | 0x7f if json => Rep::hex(b"\\u00", b, b""),
        0x00..=0x1f | 0x7f => Rep::hex(b"\\x", b, b""),
        0xc2 => match bytes.get(i + 1) {
            Some(&c1 @ 0x80..=0x9f) if json => return (2, Some(Rep::hex(b"\\u00", c1, b""))),
            Some(&c1 @ 0x80..=0x9f) => return (2, Some(Rep::hex(b"\\u{", c1, b"}"))),
            _ => return (1, None),
        },
        _ => return (1, None),
    };
    (1, Some(rep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, mode: Mode) -> String {
        let mut out = b"prefix\n".to_vec();
        out.extend_from_slice(s.as_bytes());
        escape_from(&mut out, 7, mode);
        let out = String::from_utf8(out).unwrap();
        out.strip_prefix("prefix\n").unwrap().to_owned()
    }

    #[test]
    fn line_mode_escapes_every_control_character() {
        assert_eq!(esc("plain text", Mode::Line), "plain text");
        assert_eq!(esc("a\nb\r\nc\td", Mode::Line), "a\\nb\\r\\nc\\td");
        assert_eq!(
            esc("\x1b[31mred\x1b[0m", Mode::Line),
            "\\x1b[31mred\\x1b[0m"
        );
        assert_eq!(esc("\0\x7f", Mode::Line), "\\x00\\x7f");
        assert_eq!(esc("csi\u{9b}2J", Mode::Line), "csi\\u{9b}2J");
        assert_eq!(esc("\u{80}\u{9f}", Mode::Line), "\\u{80}\\u{9f}");
        // U+00A0–U+00BF share the lead byte of C1 and must survive untouched.
        assert_eq!(esc("£5 ° ±", Mode::Line), "£5 ° ±");
        assert_eq!(esc("quote \" and \\", Mode::Line), "quote \" and \\");
    }

    #[test]
    fn a_control_in_an_early_chunk_is_found_whatever_the_tail() {
        let s = format!("{}\n{}", "a".repeat(3), "b".repeat(40));
        assert_eq!(esc(&s, Mode::Line), format!("aaa\\n{}", "b".repeat(40)));
        let s = format!("{}\x1b{}", "a".repeat(20), "b".repeat(17));
        assert_eq!(
            esc(&s, Mode::Line),
            format!("{}\\x1b{}", "a".repeat(20), "b".repeat(17))
        );
    }

    #[test]
    fn escapes_past_the_first_vector_chunk() {
        let long = format!("{}\n{}\x1b", "x".repeat(40), "y".repeat(17));
        let want = format!("{}\\n{}\\x1b", "x".repeat(40), "y".repeat(17));
        assert_eq!(esc(&long, Mode::Line), want);
    }

    #[test]
    fn multiline_mode_indents_and_still_escapes_terminal_controls() {
        assert_eq!(
            esc("first\nsecond\r\nthird\tcol", Mode::Multiline),
            "first\n    second\n    third\tcol"
        );
        assert_eq!(
            esc("over\rwrite \x1b[2J", Mode::Multiline),
            "over\\rwrite \\x1b[2J"
        );
    }

    #[test]
    fn quoted_mode_escapes_quotes_and_backslashes() {
        assert_eq!(esc(r#"say "hi" \o/"#, Mode::Quoted), r#"say \"hi\" \\o/"#);
        assert_eq!(esc("a\nb", Mode::Quoted), "a\\nb");
    }

    #[test]
    fn json_mode_follows_rfc_8259() {
        assert_eq!(
            esc("\"\\\n\r\t\x08\x0c\x01\x1f\x7f\u{85}é", Mode::Json),
            "\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\\u0085é"
        );
    }

    #[test]
    fn quoting_rule() {
        assert!(needs_quotes(b""));
        assert!(needs_quotes(b"a b"));
        assert!(needs_quotes(b"a=b"));
        assert!(needs_quotes(b"say\"hi"));
        assert!(needs_quotes(b"a\nb"));
        assert!(!needs_quotes(b"alice"));
        assert!(!needs_quotes(br"C:\logs"));
        assert!(!needs_quotes("café".as_bytes()));
    }
}
