//! The standard line, `YYYY-MM-DD HH:MM:SS.mmm - <logger> - <LEVEL> - <message>`, taken apart.

/// The shape of the timestamp a line starts with: `d` a digit, any other byte itself.
const TIMESTAMP: &[u8; 23] = b"dddd-dd-dd dd:dd:dd.ddd";

/// What follows the `YYYY-MM-DD HH:MM:SS.mmm` timestamp `line` starts with (` - <logger> -
/// ...` in a standard line), or `None` if it does not start with one.
pub fn after_timestamp(line: &str) -> Option<&str> {
    let time = line.as_bytes().get(..TIMESTAMP.len())?;
    let shaped = TIMESTAMP.iter().zip(time).all(|(s, b)| match s {
        b'd' => b.is_ascii_digit(),
        other => other == b,
    });
    // All ASCII, so the timestamp ends on a character boundary.
    shaped.then(|| &line[TIMESTAMP.len()..])
}
