//! When to roll over: a size limit, and optionally local midnight.

use std::time::SystemTime;

use super::policy::{Rotation, Schedule};

/// Decides when the current file is done. A plain value: the sink keeps the byte count and
/// asks this whether the next record fits, so no file system call is made per record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trigger {
    /// `0`: never roll over for size.
    pub(crate) max_bytes: u64,
    /// Also start a new dated file when local midnight passes.
    pub(crate) at_midnight: bool,
}

impl Trigger {
    /// Whether a record of `len` bytes must go to a fresh file, the current one holding
    /// `size` bytes. An empty file takes any record, so a record is never split and only a
    /// single record larger than `max_bytes` makes a file exceed it.
    #[inline]
    pub(crate) fn exceeded(&self, size: u64, len: usize) -> bool {
        self.max_bytes != 0 && size != 0 && size.saturating_add(len as u64) > self.max_bytes
    }

    /// Whether `len` bytes appended to a file of `size` bytes keep it within the limit: then
    /// any records they hold are written without a roll-over.
    #[inline]
    pub(crate) fn holds(&self, size: u64, len: usize) -> bool {
        self.max_bytes == 0 || size.saturating_add(len as u64) <= self.max_bytes
    }

    /// The next moment a new dated file starts, when rolling at midnight.
    pub(crate) fn next_date_change(&self, now: SystemTime) -> Option<SystemTime> {
        let daily = Schedule {
            rotation: Rotation::Daily,
            utc: false,
        };
        daily.next_start(now).filter(|_| self.at_midnight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Local, NaiveDate, TimeZone};

    #[test]
    fn size_limit_rolls_before_a_record_that_would_pass_it() {
        let t = Trigger {
            max_bytes: 100,
            at_midnight: false,
        };
        assert!(!t.exceeded(0, 500), "an empty file takes any record");
        assert!(!t.exceeded(90, 10), "exactly full is allowed");
        assert!(t.exceeded(90, 11));
        assert!(t.exceeded(150, 1));
        let never = Trigger {
            max_bytes: 0,
            at_midnight: false,
        };
        assert!(!never.exceeded(u64::MAX, usize::MAX));
        assert_eq!(never.next_date_change(SystemTime::now()), None);
    }

    #[test]
    fn midnight_is_the_start_of_the_next_local_day() {
        let t = Trigger {
            max_bytes: 0,
            at_midnight: true,
        };
        let noon = NaiveDate::from_ymd_opt(2025, 3, 4)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .and_then(|n| Local.from_local_datetime(&n).earliest())
            .unwrap();
        let next = t.next_date_change(noon.into()).unwrap();
        let next = DateTime::<Local>::from(next);
        assert_eq!(
            next.date_naive(),
            NaiveDate::from_ymd_opt(2025, 3, 5).unwrap()
        );
        assert_eq!(next.time(), chrono::NaiveTime::MIN);
        assert!(next > noon);
    }
}
