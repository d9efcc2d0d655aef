//! When to roll over for size (the period's end is the schedule's: `policy/period.rs`).

/// Decides when the current file is done. A plain value: the sink keeps the byte count and
/// asks this whether the next record fits, so no file system call is made per record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trigger {
    /// `0`: never roll over for size.
    pub(crate) max_bytes: u64,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit_rolls_before_a_record_that_would_pass_it() {
        let t = Trigger { max_bytes: 100 };
        assert!(!t.exceeded(0, 500), "an empty file takes any record");
        assert!(!t.exceeded(90, 10), "exactly full is allowed");
        assert!(t.exceeded(90, 11));
        assert!(t.exceeded(150, 1));
        let never = Trigger { max_bytes: 0 };
        assert!(!never.exceeded(u64::MAX, usize::MAX));
    }
}
