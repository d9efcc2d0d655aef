//! Where a rotating file sink reads the time: the period of its file and when the next starts.

use std::time::SystemTime;

/// The source of "now" for a [`RotatingFileSink`](super::RotatingFileSink): the date (and
/// hour) in the file name, the moment the next period starts (with a
/// [`Rotation`](super::Rotation) other than `Never`, the clock is then read once per record),
/// and the age of files for [`max_age`](super::RotatingFileSinkBuilder::max_age).
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
}

/// The real time, [`SystemTime::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F: Fn() -> SystemTime + Send + Sync> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}
