//! Where a rotating file sink reads the time: the period of its file and when the next starts.

use std::time::SystemTime;

use logtree_core::UnixTime;

/// The source of "now" for a [`RotatingFileSink`](super::RotatingFileSink): the date (and
/// hour) in the file name, the moment the next period starts (with a
/// [`Rotation`](super::Rotation) other than `Never`, each record's time is compared with it:
/// see [`record_time`](Clock::record_time)), and the age of files for
/// [`max_age`](super::RotatingFileSinkBuilder::max_age).
///
/// Programs keep the default, [`SystemClock`]. Tests inject their own to cross midnight without
/// waiting for it; any `Fn() -> SystemTime + Send + Sync` closure is a clock:
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use logtree_sinks::Clock;
/// let fixed = || SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
/// assert_eq!(fixed.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(86_400));
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The time that decides the period (and so the file) of a record stamped `at`. By
    /// default the clock is read ([`now`](Clock::now)), so that an injected clock decides
    /// alone.
    fn record_time(&self, at: UnixTime) -> SystemTime {
        let _ = at;
        self.now()
    }
}

/// The real time, [`SystemTime::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// `at` itself: the record was stamped from the system clock a moment ago, so a log call
    /// reads the clock once, not twice (a second read was ~9% of a `Background` call's time),
    /// and a line goes to the file of the period its timestamp shows, even when the call
    /// crosses midnight.
    fn record_time(&self, at: UnixTime) -> SystemTime {
        at.to_system_time()
    }
}

impl<F: Fn() -> SystemTime + Send + Sync> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn the_system_clock_takes_a_records_time_and_an_injected_clock_its_own() {
        let at = UnixTime::from(UNIX_EPOCH + Duration::from_millis(1_234));
        assert_eq!(SystemClock.record_time(at), at.to_system_time());
        let fixed = || UNIX_EPOCH + Duration::from_secs(86_400);
        assert_eq!(fixed.record_time(at), fixed());
    }
}
