//! The line every case writes, the rotation limits they share, and the timestamp cache of the
//! baselines.

use chrono::{Local, TimeZone};
use logtree_core::UnixTime;

/// Roll over past this many bytes (10 MiB).
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Backups kept beside the live file by default. Issue 7 says 5, but its lines are ~78 bytes,
/// so a million of them (~78 MB) do not fit in 6 files of 10 MiB (62.9 MiB): with 5 backups
/// every rotating case deletes its oldest ~267k lines, which would hide a real loss among
/// them. 7 backups (8 files, 80 MiB) keep every line, with the same number of roll-overs.
/// `--backups 5` runs the issue's exact setting.
pub const DEFAULT_BACKUPS: usize = 7;
/// The chrono/strftime layout of the timestamp: `2025-06-27 14:25:23.123`.
pub const TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.3f";
/// The part of every line after the timestamp and before the message numbers.
pub const MIDDLE: &str = " - app.module - INFO - request ";

/// The shape of the lines a case writes, as the parent checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineForm {
    /// The line of issue 7, `YYYY-MM-DD HH:MM:SS.mmm - app.module - INFO - request <i>
    /// handled in <i % 997> us`: every case that can write it.
    Issue7,
    /// The same with ` <n>ms` after the timestamp: ftlog writes the record's wait in its
    /// queue there on every line, and no option of its leaves it out.
    QueueDelay,
}

impl LineForm {
    /// The record number `i` of `line` (without its `\n`) if it has this form.
    pub fn record_number(self, line: &[u8]) -> Option<u64> {
        match self {
            LineForm::Issue7 => record_number(line),
            LineForm::QueueDelay => {
                let (stamp, rest) = line.split_at_checked(23)?;
                let rest = rest.strip_prefix(b" ")?;
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits == 0 {
                    return None;
                }
                after_stamp(stamp, rest[digits..].strip_prefix(b"ms")?)
            }
        }
    }
}

/// The record number `i` of `line` (without its `\n`) if it is `YYYY-MM-DD HH:MM:SS.mmm -
/// app.module - INFO - request <i> handled in <i % 997> us`, the line of issue 7.
fn record_number(line: &[u8]) -> Option<u64> {
    let (stamp, rest) = line.split_at_checked(23)?;
    after_stamp(stamp, rest)
}

/// The record number of a line whose timestamp is `stamp` and whose text after it is `rest`.
fn after_stamp(stamp: &[u8], rest: &[u8]) -> Option<u64> {
    let stamp_ok = stamp.iter().enumerate().all(|(at, &b)| match at {
        4 | 7 => b == b'-',
        10 => b == b' ',
        13 | 16 => b == b':',
        19 => b == b'.',
        _ => b.is_ascii_digit(),
    });
    let numbers = std::str::from_utf8(rest.strip_prefix(MIDDLE.as_bytes())?).ok()?;
    let (i, m) = numbers.strip_suffix(" us")?.split_once(" handled in ")?;
    let (i, m) = (i.parse::<u64>().ok()?, m.parse::<u64>().ok()?);
    (stamp_ok && i % 997 == m).then_some(i)
}

/// The local date-time text up to the second, recomputed only when the second changes; the
/// baselines append `.mmm` per record (spdlog-rs's trick, and logtree's plan).
#[derive(Debug, Default)]
pub struct SecondCache {
    second: Option<i64>,
    text: Vec<u8>,
}

impl SecondCache {
    /// Appends `YYYY-MM-DD HH:MM:SS.mmm` for `now`, milliseconds truncated.
    ///
    /// `now` comes from `UnixTime::now`, as logtree's records do (the TSC-extrapolated clock,
    /// ~10 ns, where logtree uses it): a baseline is meant to be the practical limit, and
    /// `SystemTime::now` + `duration_since` costs ~33 ns.
    pub fn write(&mut self, now: UnixTime, out: &mut Vec<u8>) {
        let second = now.secs();
        if self.second != Some(second) {
            let local = Local
                .timestamp_opt(second, 0)
                .single()
                .expect("every second since 1970 is a valid local time");
            self.text.clear();
            self.text
                .extend_from_slice(local.format("%Y-%m-%d %H:%M:%S").to_string().as_bytes());
            self.second = Some(second);
        }
        let millis = now.subsec_nanos() / 1_000_000;
        out.extend_from_slice(&self.text);
        out.extend_from_slice(&[
            b'.',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn recognises_the_line_of_issue_7() {
        let good = b"2025-06-27 14:25:23.123 - app.module - INFO - request 1000 handled in 3 us";
        assert_eq!(record_number(good), Some(1000));
        for bad in [
            &b"2025-06-27 14:25:23.123 - app.module - info - request 1000 handled in 3 us"[..],
            b"2025-06-27 14:25:23 - app.module - INFO - request 1000 handled in 3 us",
            b"2025-06-27 14:25:23.123 - app.module - INFO - request 1000 handled in 4 us",
        ] {
            assert_eq!(record_number(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn ftlog_lines_have_the_queue_delay_after_the_timestamp() {
        let line =
            b"2025-06-27 14:25:23.123 0ms - app.module - INFO - request 1000 handled in 3 us";
        assert_eq!(LineForm::QueueDelay.record_number(line), Some(1000));
        let slow =
            b"2025-06-27 14:25:23.123 1234ms - app.module - INFO - request 7 handled in 7 us";
        assert_eq!(LineForm::QueueDelay.record_number(slow), Some(7));
        assert_eq!(LineForm::Issue7.record_number(line), None);
        let issue7 = b"2025-06-27 14:25:23.123 - app.module - INFO - request 1000 handled in 3 us";
        assert_eq!(LineForm::Issue7.record_number(issue7), Some(1000));
        for bad in [
            &issue7[..],
            b"2025-06-27 14:25:23.123 ms - app.module - INFO - request 1000 handled in 3 us",
            b"2025-06-27 14:25:23.123 0 - app.module - INFO - request 1000 handled in 3 us",
            b"2025-06-27 14:25:23.123 0ms - app.module - INFO - request 1000 handled in 4 us",
            b"2025-06-27 14:25:23.123+00 0ms - app.module - INFO - request 1000 handled in 3 us",
            b"2025-06-27 14:25:23.123 0ms",
        ] {
            let text = String::from_utf8_lossy(bad);
            assert_eq!(LineForm::QueueDelay.record_number(bad), None, "{text}");
        }
    }

    #[test]
    fn second_cache_truncates_milliseconds() {
        let mut cache = SecondCache::default();
        let mut out = Vec::new();
        let at = std::time::UNIX_EPOCH + Duration::from_micros(1_751_034_323_123_999);
        cache.write(UnixTime::from(at), &mut out);
        let expected = chrono::DateTime::<Local>::from(at)
            .format(TIMESTAMP)
            .to_string();
        assert_eq!(String::from_utf8(out).expect("ASCII"), expected);
    }
}
