//! The latency workload's statistics: each call's time, its percentiles, and the slowest call
//! around each change of the log directory (a roll-over: a file renamed, created or deleted).

use std::path::Path;

use inotify::{Inotify, WatchMask};

/// The percentiles of the latency table, in nanoseconds per call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// The median call.
    pub p50: u64,
    /// 99 % of calls took at most this.
    pub p99: u64,
    /// 99.9 %.
    pub p999: u64,
    /// 99.99 %.
    pub p9999: u64,
    /// The slowest call.
    pub max: u64,
}

impl Percentiles {
    /// The percentiles of `times` (sorted in place), by the nearest-rank method: the p-th
    /// percentile is the smallest time that at least p % of the calls did not exceed. `None`
    /// for no calls.
    pub fn of(times: &mut [u64]) -> Option<Percentiles> {
        times.sort_unstable();
        let max = *times.last()?;
        // Per ten thousand, so that 99.99 % is a whole number.
        let rank = |per_10k: usize| {
            let index = (per_10k * times.len()).div_ceil(10_000).max(1) - 1;
            times[index]
        };
        Some(Percentiles {
            p50: rank(5_000),
            p99: rank(9_900),
            p999: rank(9_990),
            p9999: rank(9_999),
            max,
        })
    }

    /// The five figures as the child prints them after its result.
    pub fn to_fields(self) -> String {
        format!(
            "{} {} {} {} {}",
            self.p50, self.p99, self.p999, self.p9999, self.max
        )
    }

    /// Reads what [`to_fields`](Percentiles::to_fields) printed.
    pub fn from_fields<'a>(mut fields: impl Iterator<Item = &'a str>) -> Option<Percentiles> {
        let mut next = || fields.next()?.parse().ok();
        Some(Percentiles {
            p50: next()?,
            p99: next()?,
            p999: next()?,
            p9999: next()?,
            max: next()?,
        })
    }

    /// Each figure's median over runs.
    pub fn median(runs: &[Percentiles]) -> Option<Percentiles> {
        Some(Percentiles {
            p50: median_of(runs, |p| p.p50)?,
            p99: median_of(runs, |p| p.p99)?,
            p999: median_of(runs, |p| p.p999)?,
            p9999: median_of(runs, |p| p.p9999)?,
            max: median_of(runs, |p| p.max)?,
        })
    }
}

/// The calls around changes of the log directory, in windows of [`WINDOW`] calls: a window
/// counts when a file of the directory was created, renamed or deleted while its calls ran (or
/// in the moment between two of them). A roll-over done in the call (log4rs, spdlog-rs sync,
/// logtree's rename and open) lands in the window of the call that did it; one done by a
/// background thread lands in the window of the calls it ran beside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtChanges {
    /// Windows in which the directory changed.
    pub windows: u64,
    /// The slowest call of those windows (0 when none).
    pub max: u64,
}

/// The median of one figure over runs (the upper one of an even count); `None` for no runs.
fn median_of<T>(runs: &[T], figure: impl Fn(&T) -> u64) -> Option<u64> {
    let mut values: Vec<u64> = runs.iter().map(figure).collect();
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Calls per window of [`AtChanges`]: the directory is looked at once per window, so the
/// look (one `read` of an inotify descriptor, ~0.2 us, outside the timed calls) disturbs
/// few calls, and the max of a window is that of its roll-over call unless another call of
/// the same few was slower still.
pub const WINDOW: usize = 8;

impl AtChanges {
    /// Counts a window whose calls took `times` and in which the directory changed.
    pub fn add(&mut self, times: &[u64]) {
        self.windows += 1;
        self.max = self.max.max(times.iter().copied().max().unwrap_or(0));
    }

    /// The two figures as the child prints them after the percentiles.
    pub fn to_fields(self) -> String {
        format!("{} {}", self.windows, self.max)
    }

    /// Reads what [`to_fields`](AtChanges::to_fields) printed.
    pub fn from_fields<'a>(mut fields: impl Iterator<Item = &'a str>) -> Option<AtChanges> {
        let mut next = || fields.next()?.parse().ok();
        Some(AtChanges {
            windows: next()?,
            max: next()?,
        })
    }

    /// Each figure's median over runs.
    pub fn median(runs: &[AtChanges]) -> Option<AtChanges> {
        Some(AtChanges {
            windows: median_of(runs, |c| c.windows)?,
            max: median_of(runs, |c| c.max)?,
        })
    }
}

/// Files created, renamed or deleted in one directory, as inotify reports them: the kernel
/// queues the event inside the system call that made the change, so a change made by a call
/// is there when the call returns.
pub struct DirChanges {
    inotify: Inotify,
    buffer: Vec<u8>,
}

impl DirChanges {
    /// Starts watching `dir`; changes before this are not seen.
    pub fn watch(dir: &Path) -> std::io::Result<DirChanges> {
        let inotify = Inotify::init()?;
        inotify.watches().add(
            dir,
            WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVED_FROM | WatchMask::MOVED_TO,
        )?;
        Ok(DirChanges {
            inotify,
            buffer: vec![0; 64 * 1024],
        })
    }

    /// Whether the directory changed since the last call (the events are consumed).
    pub fn changed(&mut self) -> std::io::Result<bool> {
        let mut any = false;
        loop {
            match self.inotify.read_events(&mut self.buffer) {
                Ok(mut events) => any |= events.next().is_some(),
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => return Ok(any),
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 1..=10_000 shuffled: the p-th percentile is p % of 10 000.
        let mut times: Vec<u64> = (1..=10_000).map(|i| (i * 7919) % 10_000 + 1).collect();
        let p = Percentiles::of(&mut times).unwrap();
        assert_eq!(
            p,
            Percentiles {
                p50: 5_000,
                p99: 9_900,
                p999: 9_990,
                p9999: 9_999,
                max: 10_000
            }
        );
        // One slow call in a million shows in the max only; ten in the p99.99 too.
        let mut times = vec![100; 1_000_000];
        times[123] = 2_000_000;
        let p = Percentiles::of(&mut times).unwrap();
        assert_eq!((p.p9999, p.max), (100, 2_000_000));
        for t in &mut times[..100] {
            *t = 50_000;
        }
        let p = Percentiles::of(&mut times).unwrap();
        assert_eq!((p.p999, p.p9999, p.max), (100, 50_000, 2_000_000));
        // Few calls: the ranks round up, never below the first.
        assert_eq!(Percentiles::of(&mut [7]).unwrap().p50, 7);
        assert_eq!(Percentiles::of(&mut [1, 2, 3]).unwrap().p50, 2);
        assert_eq!(Percentiles::of(&mut [1, 2, 3]).unwrap().p99, 3);
        assert_eq!(Percentiles::of(&mut []), None);
    }

    #[test]
    fn fields_round_trip_and_medians_are_per_figure() {
        let a = Percentiles {
            p50: 1,
            p99: 20,
            p999: 300,
            p9999: 4_000,
            max: 50_000,
        };
        let read = Percentiles::from_fields(a.to_fields().split_whitespace());
        assert_eq!(read, Some(a));
        assert_eq!(Percentiles::from_fields("1 2".split_whitespace()), None);
        let b = Percentiles { max: 10, ..a };
        let c = Percentiles { p50: 9, ..a };
        let m = Percentiles::median(&[a, b, c]).unwrap();
        assert_eq!((m.p50, m.max), (1, 50_000));
        let at = AtChanges {
            windows: 3,
            max: 700,
        };
        assert_eq!(
            AtChanges::from_fields(at.to_fields().split_whitespace()),
            Some(at)
        );
    }

    #[test]
    fn a_window_counts_when_a_file_is_renamed_created_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("App.log");
        std::fs::write(&file, "a\n").unwrap();
        let mut changes = DirChanges::watch(dir.path()).unwrap();
        assert!(!changes.changed().unwrap(), "nothing happened yet");
        // A write is no change of the directory.
        std::fs::write(&file, "b\n").unwrap();
        assert!(!changes.changed().unwrap());
        std::fs::rename(&file, dir.path().join("App.log.1")).unwrap();
        assert!(changes.changed().unwrap(), "a rename");
        assert!(!changes.changed().unwrap(), "consumed");
        std::fs::write(&file, "c\n").unwrap();
        std::fs::remove_file(dir.path().join("App.log.1")).unwrap();
        assert!(changes.changed().unwrap(), "a create and a delete");

        let mut at = AtChanges::default();
        at.add(&[5, 900, 7]);
        at.add(&[40]);
        assert_eq!(
            at,
            AtChanges {
                windows: 2,
                max: 900
            }
        );
    }
}
