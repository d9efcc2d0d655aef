//! Time rotation: which period an instant belongs to, and when the next one starts.
//!
//! A period is a local (or UTC) calendar day or hour, named by its label (`2025-06-28`,
//! `2025-06-28T14`). Its start is the first instant whose wall-clock time is at or after the
//! label's: where a time-zone change skips the label's start (a DST gap at 02:00, a zone that
//! skips midnight), the period starts at the first wall-clock time that exists after it; where
//! the clock is set back (a DST overlap), the repeated hour keeps one label and one file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};

use super::names::LogName;

/// When a rotating file starts a new file besides the size limit: each day, each hour, or
/// never.
///
/// The period's date (and hour) is in the file name: `App_2025-06-28.log` (daily and never:
/// never keeps the date of setup), `App_2025-06-28T14.log` (hourly). Periods follow local time
/// unless [`utc`](crate::RotatingFileSinkBuilder::utc) is set.
///
/// ```
/// use logtree_sinks::{Rotation, RotatingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let sink = RotatingFileSink::builder("App").dir(dir.path()).rotate(Rotation::Daily).utc(true).build()?;
/// let name = sink.path().file_name().unwrap().to_string_lossy().into_owned();
/// assert_eq!(name.len(), "App_2025-06-28.log".len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rotation {
    /// A new file each day (the default: the file name carries the date).
    #[default]
    Daily,
    /// A new file each hour.
    Hourly,
    /// One file per setup: the name keeps the date of setup; only the size limit rolls it.
    Never,
}

/// The label of a period: a date, and the hour for hourly periods. Ordered by time (a day's
/// label sorts before the labels of its hours, which no one name mixes in practice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Period {
    pub(crate) date: NaiveDate,
    /// `0..=23` for an hourly period.
    pub(crate) hour: Option<u32>,
}

impl Period {
    /// The wall-clock time the period starts at.
    fn start(self) -> NaiveDateTime {
        self.date
            .and_hms_opt(self.hour.unwrap_or(0), 0, 0)
            .unwrap_or_else(|| self.date.and_time(chrono::NaiveTime::MIN))
    }

    /// The wall-clock time the next period starts at (`None` past chrono's last date).
    fn end(self) -> Option<NaiveDateTime> {
        let step = if self.hour.is_some() {
            TimeDelta::hours(1)
        } else {
            TimeDelta::days(1)
        };
        self.start().checked_add_signed(step)
    }

    /// How long the period lasts on a wall clock without zone changes.
    fn nominal_length(self) -> Duration {
        Duration::from_secs(if self.hour.is_some() { 3600 } else { 86_400 })
    }
}

/// A rotation and its zone: the plain value the writer asks for the current file's period and
/// the instant the next one starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Schedule {
    pub(crate) rotation: Rotation,
    /// Periods follow UTC rather than local time.
    pub(crate) utc: bool,
}

impl Schedule {
    /// The period `at` belongs to. [`Rotation::Never`] names its file by the date of setup, so
    /// it labels by date.
    pub(crate) fn period(&self, at: SystemTime) -> Period {
        let wall = if self.utc {
            DateTime::<Utc>::from(at).naive_utc()
        } else {
            DateTime::<Local>::from(at).naive_local()
        };
        period_of(self.rotation, wall)
    }

    /// `<dir>/<stem>_<label>.log`: the file written at `at` (with [`Rotation::Never`], call it
    /// once, at setup).
    pub(crate) fn current_path(&self, dir: &Path, stem: &str, at: SystemTime) -> PathBuf {
        dir.join(LogName::current(self.period(at)).render(stem))
    }

    /// The first instant after `now` that belongs to another period: when the writer starts
    /// the next file. `None` for [`Rotation::Never`].
    pub(crate) fn next_start(&self, now: SystemTime) -> Option<SystemTime> {
        if self.rotation == Rotation::Never {
            return None;
        }
        Some(self.end_of(self.period(now), now))
    }

    /// The first instant after `after` at which `period` is over (the next period's start).
    /// Should the zone never reach it (or chrono's range end), one nominal period after
    /// `after`.
    pub(crate) fn end_of(&self, period: Period, after: SystemTime) -> SystemTime {
        let found = period.end().and_then(|end| {
            if self.utc {
                first_instant_from(&Utc, end, after)
            } else {
                first_instant_from(&Local, end, after)
            }
        });
        found.unwrap_or_else(|| after.checked_add(period.nominal_length()).unwrap_or(after))
    }
}

/// The period label of a wall-clock time.
pub(crate) fn period_of(rotation: Rotation, wall: NaiveDateTime) -> Period {
    use chrono::Timelike;
    Period {
        date: wall.date(),
        hour: (rotation == Rotation::Hourly).then(|| wall.hour()),
    }
}

/// Where wall-clock times may be skipped, the first one that exists is searched for in steps
/// this long (zones move by whole quarter hours).
const GAP_STEP: TimeDelta = TimeDelta::minutes(15);
/// How far the search goes: the longest known skip is a day (a zone crossing the date line).
const GAP_STEPS: i32 = 26 * 4;

/// The first instant later than `after` whose wall-clock time in `zone` is `wall` or, if `wall`
/// does not exist there (a gap), the first existing time after it. Of a repeated time (an
/// overlap), the earlier instant unless it is not later than `after`.
fn first_instant_from<Tz: TimeZone>(
    zone: &Tz,
    wall: NaiveDateTime,
    after: SystemTime,
) -> Option<SystemTime> {
    (0..=GAP_STEPS)
        .filter_map(|step| wall.checked_add_signed(GAP_STEP * step))
        .find_map(|candidate| {
            let instants = match zone.from_local_datetime(&candidate) {
                LocalResult::Single(t) => [Some(t), None],
                LocalResult::Ambiguous(early, late) => [Some(early), Some(late)],
                LocalResult::None => [None, None],
            };
            instants
                .into_iter()
                .flatten()
                .map(|t| SystemTime::from(t.with_timezone(&Utc)))
                .find(|&t| t > after)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, MappedLocalTime, NaiveTime, Offset};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn wall(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
        d.and_hms_opt(h, m, 0).unwrap()
    }

    fn utc(d: NaiveDate, h: u32, m: u32) -> SystemTime {
        Utc.from_utc_datetime(&wall(d, h, m)).into()
    }

    /// A zone at +1 h that moves to +2 h at `switch` (spring forward: 02:00 local becomes
    /// 03:00) or, with `back`, from +2 h to +1 h (fall back: 03:00 becomes 02:00 again).
    #[derive(Clone, Copy, Debug)]
    struct DstZone {
        switch: NaiveDateTime, // in UTC
        back: bool,
    }

    impl DstZone {
        fn offsets(&self) -> (FixedOffset, FixedOffset) {
            let (one, two) = (
                FixedOffset::east_opt(3600).unwrap(),
                FixedOffset::east_opt(7200).unwrap(),
            );
            if self.back {
                (two, one)
            } else {
                (one, two)
            }
        }
    }

    impl TimeZone for DstZone {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> DstZone {
            unreachable!("not used by the code under test")
        }
        fn offset_from_local_date(&self, _: &NaiveDate) -> MappedLocalTime<FixedOffset> {
            unreachable!("not used by the code under test")
        }
        fn offset_from_local_datetime(
            &self,
            local: &NaiveDateTime,
        ) -> MappedLocalTime<FixedOffset> {
            let (before, after) = self.offsets();
            let valid = |offset: FixedOffset| {
                let as_utc = *local - TimeDelta::seconds(offset.local_minus_utc().into());
                ((as_utc < self.switch) == (offset == before)).then_some(offset)
            };
            match (valid(before), valid(after)) {
                (Some(a), Some(b)) => LocalResult::Ambiguous(a, b),
                (Some(a), None) | (None, Some(a)) => LocalResult::Single(a),
                (None, None) => LocalResult::None,
            }
        }
        fn offset_from_utc_date(&self, _: &NaiveDate) -> FixedOffset {
            unreachable!("not used by the code under test")
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            let (before, after) = self.offsets();
            if *utc < self.switch { before } else { after }.fix()
        }
    }

    #[test]
    fn labels_are_days_or_hours() {
        let at = wall(date(2025, 6, 28), 14, 59);
        assert_eq!(
            period_of(Rotation::Daily, at),
            Period {
                date: date(2025, 6, 28),
                hour: None
            }
        );
        assert_eq!(period_of(Rotation::Never, at).hour, None);
        assert_eq!(period_of(Rotation::Hourly, at).hour, Some(14));
    }

    #[test]
    fn utc_periods_end_on_the_hour_and_at_midnight() {
        let day = date(2025, 6, 28);
        let hourly = Schedule {
            rotation: Rotation::Hourly,
            utc: true,
        };
        let now = utc(day, 14, 30);
        assert_eq!(hourly.next_start(now), Some(utc(day, 15, 0)));
        assert_eq!(
            hourly.period(now),
            Period {
                date: day,
                hour: Some(14)
            }
        );
        let daily = Schedule {
            rotation: Rotation::Daily,
            utc: true,
        };
        assert_eq!(daily.next_start(now), Some(utc(date(2025, 6, 29), 0, 0)));
        assert_eq!(
            daily.next_start(utc(day, 23, 59)),
            Some(utc(date(2025, 6, 29), 0, 0))
        );
        // The last hour of a year.
        assert_eq!(
            hourly.next_start(utc(date(2025, 12, 31), 23, 1)),
            Some(utc(date(2026, 1, 1), 0, 0))
        );
        let never = Schedule {
            rotation: Rotation::Never,
            utc: true,
        };
        assert_eq!(never.next_start(now), None);
        let dir = Path::new("logs");
        assert_eq!(
            hourly.current_path(dir, "App", now),
            dir.join("App_2025-06-28T14.log")
        );
        assert_eq!(
            never.current_path(dir, "App", now),
            dir.join("App_2025-06-28.log")
        );
    }

    #[test]
    fn a_skipped_hour_starts_the_period_at_the_first_time_that_exists() {
        // 2025-03-30 01:00 UTC: 02:00 local (+1) becomes 03:00 local (+2).
        let day = date(2025, 3, 30);
        let zone = DstZone {
            switch: wall(day, 1, 0),
            back: false,
        };
        let after = utc(day, 0, 30); // 01:30 local
        let start = first_instant_from(&zone, wall(day, 2, 0), after).unwrap();
        assert_eq!(start, utc(day, 1, 0), "02:00 does not exist: 03:00 local");
        let next = first_instant_from(&zone, wall(day, 4, 0), utc(day, 1, 30)).unwrap();
        assert_eq!(next, utc(day, 2, 0), "04:00 local at +2");
    }

    #[test]
    fn a_repeated_hour_keeps_one_label_and_ends_after_its_second_pass() {
        // 2025-10-26 01:00 UTC: 03:00 local (+2) becomes 02:00 local (+1).
        let day = date(2025, 10, 26);
        let zone = DstZone {
            switch: wall(day, 1, 0),
            back: true,
        };
        // In the first pass of 02:xx (00:30 UTC), the hour labelled 02 ends at 03:00 local,
        // which exists once, at +1: after the second pass.
        let first_pass = utc(day, 0, 30);
        let end = first_instant_from(&zone, wall(day, 3, 0), first_pass).unwrap();
        assert_eq!(end, utc(day, 2, 0));
        // From 01:30 local (23:30 UTC the day before), 02:00 is ambiguous: its first pass.
        let before = utc(date(2025, 10, 25), 23, 30);
        let start = first_instant_from(&zone, wall(day, 2, 0), before).unwrap();
        assert_eq!(start, utc(day, 0, 0));
        // An ambiguous time whose first pass is already over: the second one.
        let late = first_instant_from(&zone, wall(day, 2, 0), utc(day, 0, 30)).unwrap();
        assert_eq!(late, utc(day, 1, 0));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_one() {
        // A zone skipping 00:00-00:59 on 2025-09-07 (as some did): at 23:00 UTC on the 6th,
        // +1 becomes +2, so local midnight does not exist.
        let zone = DstZone {
            switch: wall(date(2025, 9, 6), 23, 0),
            back: false,
        };
        let start = first_instant_from(
            &zone,
            date(2025, 9, 7).and_time(NaiveTime::MIN),
            utc(date(2025, 9, 6), 12, 0),
        )
        .unwrap();
        assert_eq!(start, utc(date(2025, 9, 6), 23, 0), "01:00 local at +2");
    }

    #[test]
    fn local_periods_end_after_now_at_the_next_label() {
        for rotation in [Rotation::Daily, Rotation::Hourly] {
            let schedule = Schedule {
                rotation,
                utc: false,
            };
            let now = SystemTime::now();
            let next = schedule.next_start(now).unwrap();
            assert!(next > now);
            assert!(next <= now + Duration::from_secs(86_400 + 3600));
            assert_ne!(schedule.period(next), schedule.period(now));
            let just_before = next - Duration::from_millis(1);
            assert_eq!(schedule.period(just_before), schedule.period(now));
        }
    }
}
