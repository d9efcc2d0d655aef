//! The names a syslog header carries (host, application, structured-data names), cut to what
//! the RFCs allow.

/// Keeps the characters of `text` that `allowed` accepts, replaces each other one with `_`,
/// and cuts the result at `max` bytes; an empty result becomes `-` (the RFC's nil value)
/// when `nil` is set, else `_`.
pub(crate) fn sanitize(text: &str, max: usize, allowed: fn(char) -> bool, nil: bool) -> String {
    let mut name: String = text
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .take(max)
        .collect();
    if name.is_empty() {
        name.push(if nil { '-' } else { '_' });
    }
    name
}

/// PRINTUSASCII of RFC 5424: `!` to `~`.
pub(crate) fn printable(c: char) -> bool {
    matches!(c, '!'..='~')
}

/// An SD-NAME character: PRINTUSASCII except `=`, space, `]` and `"`.
pub(crate) fn sd_name_char(c: char) -> bool {
    printable(c) && !matches!(c, '=' | ']' | '"')
}

/// A TAG character of RFC 3164 as daemons parse it: printable, but not `[`, `]` or `:`,
/// which end the tag.
pub(crate) fn tag_char(c: char) -> bool {
    printable(c) && !matches!(c, '[' | ']' | ':')
}

/// The program's name: the file name of `argv[0]`, else of the executable, else `-`.
pub(crate) fn program_name() -> String {
    let from = |path: std::path::PathBuf| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
    };
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(from)
        .or_else(|| std::env::current_exe().ok().and_then(from))
        .unwrap_or_else(|| "-".to_owned())
}

/// The machine's host name (`gethostname(2)`), `-` when it cannot be read.
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the pointer and length describe `buf`, which outlives the call; the name is
    // truncated (and may lack its NUL) when longer, which the search below handles.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "-".to_owned();
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    sanitize(&String::from_utf8_lossy(&buf[..len]), 255, printable, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_characters_become_underscores_and_long_names_are_cut() {
        assert_eq!(sanitize("user id", 32, sd_name_char, false), "user_id");
        assert_eq!(sanitize("a=b]\"c", 32, sd_name_char, false), "a_b__c");
        assert_eq!(sanitize("naïve", 32, sd_name_char, false), "na_ve");
        assert_eq!(sanitize(&"k".repeat(40), 32, sd_name_char, false).len(), 32);
        assert_eq!(sanitize("", 32, sd_name_char, false), "_");
        assert_eq!(sanitize("", 48, printable, true), "-");
        assert_eq!(sanitize("my app[1]:", 48, tag_char, true), "my_app_1__");
    }

    #[test]
    fn host_and_program_names_are_printable() {
        for name in [host_name(), program_name()] {
            assert!(!name.is_empty() && !name.contains(' '), "{name:?}");
        }
    }
}
