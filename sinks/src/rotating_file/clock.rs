//! Where a rotating file sink reads the time: the date of its file and local midnight.

use std::time::SystemTime;

/// The source of "now" for a [`RotatingFileSink`](super::RotatingFileSink): the date in the
/// file name at setup and, with [`roll_at_midnight`](super::RotatingFileSinkBuilder::roll_at_midnight),
/// the moment local midnight passes (the clock is then read once per record).
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
