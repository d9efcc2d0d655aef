//! Retention across periods and restarts: which of the sink's files to delete, oldest first.

use std::cmp::Reverse;
use std::time::{Duration, SystemTime};

use super::names::{Kind, LogName};

/// The limits on the files of one stem; `0` (or a zero duration) turns a limit off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Retention {
    /// At most this many files of the stem (the current one included), plain or compressed.
    pub(crate) max_files: u32,
    /// Files older than this go: see [`Entry::is_older_than`].
    pub(crate) max_age: Duration,
    /// At most this many bytes in the stem's files (the current one and archives included,
    /// archives by their compressed size), logback's `totalSizeCap`.
    pub(crate) max_total_size: u64,
}

/// One file of the sink, as retention sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: LogName,
    pub(crate) size: u64,
    /// The file's last modification: the time of its last record (archives keep it).
    pub(crate) modified: SystemTime,
    /// When the period in its name ended (the next one's start).
    pub(crate) period_end: SystemTime,
    /// The current file (or a newer period's): counted, never deleted.
    pub(crate) protected: bool,
}

impl Entry {
    /// The order of deletion: by period, and within one the highest backup first, the
    /// period's own file last (it holds the newest records).
    fn age_key(&self) -> impl Ord {
        let index = match self.name.kind {
            Kind::File { index, .. } | Kind::Partial { index, .. } => index,
            Kind::Staged { .. } => 0,
        };
        (self.name.period, Reverse(index), self.name.kind)
    }

    /// Whether the file is older than `max_age` at `now`: both its last modification and the
    /// end of its period are further back. Both, so that neither a file of the current
    /// period (whose end is ahead) nor one written recently (a period that never rotates,
    /// named after the day of setup) is taken for old.
    fn is_older_than(&self, max_age: Duration, now: SystemTime) -> bool {
        let age = |t: SystemTime| now.duration_since(t).unwrap_or(Duration::ZERO);
        age(self.modified) > max_age && age(self.period_end) > max_age
    }
}

impl Retention {
    /// Whether any limit is on.
    pub(crate) fn is_on(&self) -> bool {
        self.max_files != 0 || !self.max_age.is_zero() || self.max_total_size != 0
    }

    /// The entries to delete (indices into `entries`), oldest first: every unprotected one
    /// older than `max_age`, then the oldest unprotected ones until at most `max_files`
    /// remain and their sizes add up to at most `max_total_size`.
    pub(crate) fn select(&self, entries: &[Entry], now: SystemTime) -> Vec<usize> {
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by_key(|&i| entries[i].age_key());
        let mut delete = vec![false; entries.len()];
        if !self.max_age.is_zero() {
            for &i in &order {
                let e = &entries[i];
                delete[i] = !e.protected && e.is_older_than(self.max_age, now);
            }
        }
        let mut count = delete.iter().filter(|d| !**d).count() as u64;
        let mut total: u64 = entries
            .iter()
            .zip(&delete)
            .filter(|(_, d)| !**d)
            .map(|(e, _)| e.size)
            .fold(0, u64::saturating_add);
        let over = |count: u64, total: u64| {
            (self.max_files != 0 && count > u64::from(self.max_files))
                || (self.max_total_size != 0 && total > self.max_total_size)
        };
        for &i in &order {
            if !over(count, total) {
                break;
            }
            if !delete[i] && !entries[i].protected {
                delete[i] = true;
                count -= 1;
                total = total.saturating_sub(entries[i].size);
            }
        }
        order.into_iter().filter(|&i| delete[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::names::Form;
    use super::super::period::Period;
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    const DAY: u64 = 86_400;

    fn at(day: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(day * DAY)
    }

    fn period(day: u64) -> Period {
        Period {
            date: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::TimeDelta::days(day as i64),
            hour: None,
        }
    }

    /// A file of day `day` with backup index `index` written until the end of that day.
    fn entry(day: u64, index: u32, size: u64) -> Entry {
        Entry {
            name: LogName::file(period(day), index, Form::Gzip),
            size,
            modified: at(day + 1),
            period_end: at(day + 1),
            protected: false,
        }
    }

    #[test]
    fn each_limit_deletes_the_oldest_first() {
        let mut files = vec![
            entry(3, 0, 10),
            entry(1, 2, 10),
            entry(1, 0, 10),
            entry(2, 0, 10),
            entry(1, 1, 10),
        ];
        files[0].protected = true; // today's
        let now = at(4);
        let names = |picked: Vec<usize>| {
            picked
                .into_iter()
                .map(|i| files[i].name)
                .collect::<Vec<_>>()
        };
        let by_count = Retention {
            max_files: 3,
            ..Retention::default()
        };
        assert_eq!(
            names(by_count.select(&files, now)),
            [files[1].name, files[4].name]
        );
        let by_size = Retention {
            max_total_size: 25,
            ..Retention::default()
        };
        assert_eq!(
            names(by_size.select(&files, now)),
            [files[1].name, files[4].name, files[2].name]
        );
        // Day 1's files ended 2 days ago, day 2's 1 day ago.
        let by_age = Retention {
            max_age: Duration::from_secs(DAY + 1),
            ..Retention::default()
        };
        assert_eq!(
            names(by_age.select(&files, now)),
            [files[1].name, files[4].name, files[2].name]
        );
        assert!(Retention::default().select(&files, now).is_empty());
    }

    #[test]
    fn the_protected_file_is_counted_but_kept() {
        let mut files = vec![entry(1, 0, 100), entry(9, 0, 1000)];
        files[1].protected = true;
        let r = Retention {
            max_files: 1,
            max_total_size: 10,
            max_age: Duration::from_secs(1),
        };
        assert_eq!(r.select(&files, at(100)), [0]);
    }

    #[test]
    fn a_recently_written_file_of_an_old_period_is_not_old() {
        let mut file = entry(1, 0, 1);
        file.modified = at(30); // a file that never rotates, named after the day of setup
        let r = Retention {
            max_age: Duration::from_secs(7 * DAY),
            ..Retention::default()
        };
        assert!(r.select(&[file], at(31)).is_empty());
        assert_eq!(r.select(&[file], at(38)), [0]);
    }

    /// The model: delete every old unprotected file, then the shortest run of the oldest
    /// remaining unprotected files that brings both counts within the limits.
    fn model(r: &Retention, files: &[Entry], now: SystemTime) -> Vec<usize> {
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| files[i].age_key());
        let old = |i: usize| {
            !r.max_age.is_zero()
                && !files[i].protected
                && now.duration_since(files[i].modified).unwrap_or_default() > r.max_age
                && now.duration_since(files[i].period_end).unwrap_or_default() > r.max_age
        };
        let rest: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !old(i) && !files[i].protected)
            .collect();
        let fits = |gone: &[usize]| {
            let kept: Vec<&Entry> = (0..files.len())
                .filter(|i| !old(*i) && !gone.contains(i))
                .map(|i| &files[i])
                .collect();
            (r.max_files == 0 || kept.len() <= r.max_files as usize)
                && (r.max_total_size == 0
                    || kept.iter().map(|e| e.size).sum::<u64>() <= r.max_total_size)
        };
        let k = (0..=rest.len())
            .find(|&k| fits(&rest[..k]))
            .unwrap_or(rest.len());
        let gone: Vec<usize> = rest[..k].to_vec();
        order
            .into_iter()
            .filter(|&i| old(i) || gone.contains(&i))
            .collect()
    }

    prop_compose! {
        fn arb_entry()(day in 0u64..20, index in 0u32..4, size in 0u64..100,
                       written in 0u64..3, protected in proptest::bool::weighted(0.1)) -> Entry {
            let mut e = entry(day, index, size);
            e.modified = at(day + written);
            e.protected = protected;
            e
        }
    }

    proptest! {
        #[test]
        fn select_matches_the_model(
            files in proptest::collection::vec(arb_entry(), 0..12),
            max_files in 0u32..8,
            max_total_size in prop_oneof![Just(0u64), 1u64..400],
            max_age_days in 0u64..25,
            now_day in 0u64..30,
        ) {
            let r = Retention { max_files, max_total_size, max_age: Duration::from_secs(max_age_days * DAY) };
            let now = at(now_day);
            let picked = r.select(&files, now);
            prop_assert_eq!(&picked, &model(&r, &files, now));
            for &i in &picked {
                prop_assert!(!files[i].protected);
            }
        }
    }
}
