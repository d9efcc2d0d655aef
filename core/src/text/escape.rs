//! In-place escaping of what a formatter has just appended: control characters for the text
//! formatters (log-injection safety), quotes and control characters for JSON strings.
//!
//! Formatters write a field straight into the caller's buffer, then call [`escape_from`] on the
//! bytes they appended. The common case (nothing to escape) is one vectorisable scan; only when
//! a byte needs escaping is the tail rewritten, in place, so no record allocates.

/// What a region of the line is and so which characters it must not contain raw.
///
/// Every mode escapes, besides what it lists, the Unicode characters that move text without
/// being control characters: the line and paragraph separators U+2028 and U+2029 (a line
/// break to some readers) and the bidirectional embeddings, overrides and isolates U+202A–
/// U+202E and U+2066–U+2069 (which make a terminal or an editor show text in another order
/// than it is written), as `\u{2028}` (`\u2028` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EscapeMode {
    /// Text that must stay on one line: every C0 control, DEL and C1 control is escaped.
    Line,
    /// A field that a reader splits the line on, such as the logger name of
    /// `time - logger - LEVEL - message`: as [`EscapeMode::Line`], and a space is written
    /// `\x20`, so that a target such as `"app - ERROR - x"` cannot fake the level field. Valid
    /// logger names hold no space, so they are written as they are.
    Field,
    /// Text that may span lines: `\n` (and `\r\n`) stays a line break followed by four
    /// spaces, `\t` stays; every other control character is escaped as in [`EscapeMode::Line`].
    Multiline,
    /// The inside of a `"…"`-quoted key-value: as [`EscapeMode::Line`], plus `\"` and `\\`.
    Quoted,
    /// The inside of a JSON string (RFC 8259), with DEL and C1 escaped as well so that a JSON
    /// log shown on a terminal cannot carry an ANSI escape either.
    Json,
}

/// Escapes, in place, the bytes of `out` from `start` on, which must be valid UTF-8.
///
/// Escapes in text modes: `\n` `\r` `\t` as themselves; other C0 controls and DEL as `\xHH`;
/// C1 controls (U+0080–U+009F) as `\u{HH}`; the separators and bidirectional controls listed
/// under [`EscapeMode`] as `\u{HHHH}`. In JSON: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// `\u00HH` for the other controls, DEL and C1, and `\uHHHH` for those Unicode characters.
///
/// ```
/// use logtree_core::text::{escape_from, EscapeMode};
/// let mut line = b"app - INFO - ".to_vec();
/// line.extend_from_slice("evil\nINFO forged \u{202e}txt.exe".as_bytes());
/// escape_from(&mut line, 13, EscapeMode::Line);
/// assert_eq!(line, b"app - INFO - evil\\nINFO forged \\u{202e}txt.exe");
/// ```
#[inline]
pub fn escape_from(out: &mut Vec<u8>, start: usize, mode: EscapeMode) {
    if let Some(first) = find_first(&out[start..], mode) {
        rewrite_from(out, start + first, mode);
    }
}

/// [`escape_from`] once the first byte that may need it, at `first`, is found. Out of line
/// and cold: clean text, the common case, never pays for its setup.
#[cold]
#[inline(never)]
fn rewrite_from(out: &mut Vec<u8>, first: usize, mode: EscapeMode) {
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
pub fn needs_quotes(value: &[u8]) -> bool {
    value.is_empty()
        || value
            .iter()
            .any(|&b| b <= b' ' || b == b'"' || b == b'=' || b == 0x7f)
}

/// Whether a byte may start something to escape. `0xC2` is the lead byte of U+0080–U+00BF, a
/// superset of the C1 controls, and `0xE2` that of U+2000–U+2FFF, a superset of the separators
/// and bidirectional controls: a false alarm only costs the slow path. (The x86-64
/// [`chunk_mask`] flags the same bytes with vector compares.)
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn flag<const QUOTES: bool, const SPACE: bool>(b: u8) -> bool {
    let control = b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xe2;
    control || (QUOTES && (b == b'"' || b == b'\\')) || (SPACE && b == b' ')
}

/// The index of the first flagged byte, found 16 bytes at a time: clean text (the common
/// case) costs a few vector instructions per 16 bytes.
#[inline]
fn find_first(bytes: &[u8], mode: EscapeMode) -> Option<usize> {
    match mode {
        EscapeMode::Quoted | EscapeMode::Json => find_first_in::<true, false>(bytes),
        EscapeMode::Field => find_first_in::<false, true>(bytes),
        EscapeMode::Line | EscapeMode::Multiline => find_first_in::<false, false>(bytes),
    }
}

#[inline(always)]
fn find_first_in<const QUOTES: bool, const SPACE: bool>(bytes: &[u8]) -> Option<usize> {
    let Some(last) = bytes.last_chunk::<16>() else {
        // Shorter than a chunk (a logger name, a level): checked as one, padded with a byte
        // no mode flags; a byte-by-byte loop cost a record ~10 ns more.
        let mut padded = [b'a'; 16];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mask = chunk_mask::<QUOTES, SPACE>(&padded);
        return (mask != 0).then(|| mask.trailing_zeros() as usize);
    };
    let mut chunks = bytes.chunks_exact(16);
    for (i, chunk) in chunks.by_ref().enumerate() {
        // Every chunk has 16 bytes: the `None` arm is never taken.
        let mask = chunk.first_chunk().map_or(0, chunk_mask::<QUOTES, SPACE>);
        if mask != 0 {
            return Some(i * 16 + mask.trailing_zeros() as usize);
        }
    }
    // A ragged tail is checked as the last 16 bytes: the bytes it shares with the chunk
    // before are clean, so its first flagged byte is the first of all.
    let mask = if chunks.remainder().is_empty() {
        0
    } else {
        chunk_mask::<QUOTES, SPACE>(last)
    };
    (mask != 0).then(|| bytes.len() - 16 + mask.trailing_zeros() as usize)
}

/// Bit `i` set when `chunk[i]` is flagged. SSE2 is part of x86-64, so this needs no detection.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn chunk_mask<const QUOTES: bool, const SPACE: bool>(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, so every x86-64 CPU has these
    // instructions; the load reads exactly the 16 bytes of `chunk`, with no alignment needed.
    unsafe {
        let eq = |v, b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let below_space = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let leads = _mm_or_si128(eq(v, 0xc2), eq(v, 0xe2));
        let mut flagged = _mm_or_si128(below_space, _mm_or_si128(eq(v, 0x7f), leads));
        if QUOTES {
            flagged = _mm_or_si128(flagged, _mm_or_si128(eq(v, b'"'), eq(v, b'\\')));
        }
        if SPACE {
            flagged = _mm_or_si128(flagged, eq(v, b' '));
        }
        _mm_movemask_epi8(flagged) as u32
    }
}

/// Bit `i` set when `chunk[i]` is flagged.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn chunk_mask<const QUOTES: bool, const SPACE: bool>(chunk: &[u8; 16]) -> u32 {
    chunk.iter().enumerate().fold(0, |mask, (i, &b)| {
        mask | u32::from(flag::<QUOTES, SPACE>(b)) << i
    })
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

    /// `\\u{HHHH}`, or `\\uHHHH` in JSON: 8 bytes at most.
    fn hex4(json: bool, code: u16) -> Rep {
        let [high, low] = code.to_be_bytes();
        let (prefix, suffix): (&[u8], &[u8]) = if json { (b"\\u", b"") } else { (b"\\u{", b"}") };
        let mut rep = Rep::hex(prefix, high, b"");
        let tail = Rep::hex(b"", low, suffix);
        let at = usize::from(rep.len);
        rep.bytes[at..at + usize::from(tail.len)]
            .copy_from_slice(&tail.bytes[..usize::from(tail.len)]);
        rep.len += tail.len;
        rep
    }
}

/// A line break of a multi-line message and the indentation of the next line, so that a reader
/// (and a log collector) tells a continuation from the start of a new record.
const LINE_BREAK: Rep = Rep::new(b"\n    ");

/// The character at `i`: how many bytes it takes and, if it must be escaped, its replacement.
#[inline]
fn unit(bytes: &[u8], i: usize, mode: EscapeMode) -> (usize, Option<Rep>) {
    let b = bytes[i];
    let json = mode == EscapeMode::Json;
    let rep = match b {
        b'\n' if mode == EscapeMode::Multiline => LINE_BREAK,
        b'\r' if mode == EscapeMode::Multiline && bytes.get(i + 1) == Some(&b'\n') => {
            return (2, Some(LINE_BREAK));
        }
        b'\t' if mode == EscapeMode::Multiline => return (1, None),
        b' ' if mode == EscapeMode::Field => Rep::new(b"\\x20"),
        b'\n' => Rep::new(b"\\n"),
        b'\r' => Rep::new(b"\\r"),
        b'\t' => Rep::new(b"\\t"),
        0x08 if json => Rep::new(b"\\b"),
        0x0c if json => Rep::new(b"\\f"),
        b'"' | b'\\' if matches!(mode, EscapeMode::Quoted | EscapeMode::Json) => {
            Rep::new(&[b'\\', b])
        }
        0x00..=0x1f | 0x7f if json => Rep::hex(b"\\u00", b, b""),
        0x00..=0x1f | 0x7f => Rep::hex(b"\\x", b, b""),
        0xc2 => match bytes.get(i + 1) {
            Some(&c1 @ 0x80..=0x9f) if json => return (2, Some(Rep::hex(b"\\u00", c1, b""))),
            Some(&c1 @ 0x80..=0x9f) => return (2, Some(Rep::hex(b"\\u{", c1, b"}"))),
            _ => return (1, None),
        },
        0xe2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
            // U+2028–U+202E and U+2066–U+2069.
            (Some(&b1 @ 0x80), Some(&b2 @ 0xa8..=0xae))
            | (Some(&b1 @ 0x81), Some(&b2 @ 0xa6..=0xa9)) => {
                let code = 0x2000 | u16::from(b1 & 0x3f) << 6 | u16::from(b2 & 0x3f);
                return (3, Some(Rep::hex4(json, code)));
            }
            _ => return (1, None),
        },
        _ => return (1, None),
    };
    (1, Some(rep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, mode: EscapeMode) -> String {
        let mut out = b"prefix\n".to_vec();
        out.extend_from_slice(s.as_bytes());
        escape_from(&mut out, 7, mode);
        let out = String::from_utf8(out).unwrap();
        out.strip_prefix("prefix\n").unwrap().to_owned()
    }

    #[test]
    fn line_mode_escapes_every_control_character() {
        assert_eq!(esc("plain text", EscapeMode::Line), "plain text");
        assert_eq!(esc("a\nb\r\nc\td", EscapeMode::Line), "a\\nb\\r\\nc\\td");
        assert_eq!(
            esc("\x1b[31mred\x1b[0m", EscapeMode::Line),
            "\\x1b[31mred\\x1b[0m"
        );
        assert_eq!(esc("\0\x7f", EscapeMode::Line), "\\x00\\x7f");
        assert_eq!(esc("csi\u{9b}2J", EscapeMode::Line), "csi\\u{9b}2J");
        assert_eq!(esc("\u{80}\u{9f}", EscapeMode::Line), "\\u{80}\\u{9f}");
        // U+00A0–U+00BF share the lead byte of C1 and must survive untouched.
        assert_eq!(esc("£5 ° ±", EscapeMode::Line), "£5 ° ±");
        assert_eq!(esc("quote \" and \\", EscapeMode::Line), "quote \" and \\");
    }

    #[test]
    fn a_control_in_an_early_chunk_is_found_whatever_the_tail() {
        let s = format!("{}\n{}", "a".repeat(3), "b".repeat(40));
        assert_eq!(
            esc(&s, EscapeMode::Line),
            format!("aaa\\n{}", "b".repeat(40))
        );
        let s = format!("{}\x1b{}", "a".repeat(20), "b".repeat(17));
        assert_eq!(
            esc(&s, EscapeMode::Line),
            format!("{}\\x1b{}", "a".repeat(20), "b".repeat(17))
        );
    }

    #[test]
    fn escapes_past_the_first_vector_chunk() {
        let long = format!("{}\n{}\x1b", "x".repeat(40), "y".repeat(17));
        let want = format!("{}\\n{}\\x1b", "x".repeat(40), "y".repeat(17));
        assert_eq!(esc(&long, EscapeMode::Line), want);
    }

    #[test]
    fn the_first_flagged_byte_is_found_at_every_position_and_length() {
        let specials: &[(u8, EscapeMode)] = &[
            (0x00, EscapeMode::Line),
            (b'\n', EscapeMode::Line),
            (0x1f, EscapeMode::Line),
            (0x7f, EscapeMode::Line),
            (0xc2, EscapeMode::Line),
            (b'"', EscapeMode::Json),
            (b'\\', EscapeMode::Quoted),
            (0xe2, EscapeMode::Line),
            (b' ', EscapeMode::Field),
        ];
        // Bytes next to the flagged ranges, which must not be flagged.
        let clean = [b' ', b'~', 0x80, 0xc1, 0xc3, 0xff, b'a'];
        for len in 0..70 {
            for &filler in &clean {
                let mut bytes = vec![filler; len];
                assert_eq!(
                    find_first(&bytes, EscapeMode::Json),
                    None,
                    "{len} {filler:#x}"
                );
                for at in 0..len {
                    for &(special, mode) in specials {
                        if mode == EscapeMode::Field && filler == b' ' {
                            continue; // a space is what this mode flags
                        }
                        bytes[at] = special;
                        // A second flagged byte later must not hide the first.
                        if at + 3 < len {
                            bytes[at + 3] = b'\n';
                        }
                        assert_eq!(
                            find_first(&bytes, mode),
                            Some(at),
                            "{len} {at} {special:#x}"
                        );
                        bytes.fill(filler);
                    }
                }
            }
        }
        assert_eq!(find_first(b"say \"hi\"", EscapeMode::Line), None);
    }

    #[test]
    fn multiline_mode_indents_and_still_escapes_terminal_controls() {
        assert_eq!(
            esc("first\nsecond\r\nthird\tcol", EscapeMode::Multiline),
            "first\n    second\n    third\tcol"
        );
        assert_eq!(
            esc("over\rwrite \x1b[2J", EscapeMode::Multiline),
            "over\\rwrite \\x1b[2J"
        );
    }

    #[test]
    fn quoted_mode_escapes_quotes_and_backslashes() {
        assert_eq!(
            esc(r#"say "hi" \o/"#, EscapeMode::Quoted),
            r#"say \"hi\" \\o/"#
        );
        assert_eq!(esc("a\nb", EscapeMode::Quoted), "a\\nb");
    }

    #[test]
    fn json_mode_follows_rfc_8259() {
        assert_eq!(
            esc("\"\\\n\r\t\x08\x0c\x01\x1f\x7f\u{85}é", EscapeMode::Json),
            "\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\\u0085é"
        );
    }

    #[test]
    fn separators_and_bidi_controls_are_escaped_in_every_mode() {
        for mode in [EscapeMode::Line, EscapeMode::Multiline, EscapeMode::Quoted] {
            assert_eq!(
                esc("a\u{2028}b\u{2029}c\u{202a}\u{202e}d\u{2066}\u{2069}", mode),
                "a\\u{2028}b\\u{2029}c\\u{202a}\\u{202e}d\\u{2066}\\u{2069}",
                "{mode:?}"
            );
        }
        assert_eq!(
            esc("a\u{2028}b\u{202e}", EscapeMode::Json),
            "a\\u2028b\\u202e"
        );
        // Their neighbours, sharing the lead byte 0xE2, are left alone.
        let clean = "\u{2027}\u{202f}\u{2065}\u{206a}\u{2014}\u{2026}\u{20ac}→";
        for mode in [EscapeMode::Line, EscapeMode::Json, EscapeMode::Field] {
            assert_eq!(esc(clean, mode), clean, "{mode:?}");
        }
    }

    #[test]
    fn field_mode_escapes_spaces_too() {
        assert_eq!(
            esc("app.utils.logger", EscapeMode::Field),
            "app.utils.logger"
        );
        assert_eq!(
            esc("app - ERROR - x", EscapeMode::Field),
            "app\\x20-\\x20ERROR\\x20-\\x20x"
        );
        assert_eq!(esc("a\nb", EscapeMode::Field), "a\\nb");
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
