//! The instant a record was made, in the form formatters need it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod counter;

/// An instant as whole seconds since the Unix epoch (negative before it) and the nanoseconds
/// into that second: what every timestamp layout starts from.
///
/// Records keep their time in this form, read straight from the clock, because turning a
/// [`SystemTime`] into it is slow: `SystemTime::duration_since` writes its result to memory in
/// pieces and reads it back whole, a failed store-to-load forward that measured ~10 ns per call
/// on x86-64 here, and every formatted record would pay it.
/// [`Record::timestamp`](crate::Record::timestamp) still gives a `SystemTime`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use logtree_core::UnixTime;
/// let at = UnixTime::from(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123));
/// assert_eq!((at.secs(), at.subsec_nanos()), (1_751_034_323, 123_000_000));
/// let before = UnixTime::from(UNIX_EPOCH - Duration::from_millis(1));
/// assert_eq!((before.secs(), before.subsec_nanos()), (-1, 999_000_000));
/// assert_eq!(before.to_system_time(), UNIX_EPOCH - Duration::from_millis(1));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    secs: i64,
    /// Always below 1,000,000,000.
    nanos: u32,
}

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// How far [`UnixTime::now`] may be from `SystemTime::now` in tests: far more than it is (well
/// under a microsecond), far less than the millisecond a line shows.
#[cfg(test)]
pub(crate) const CLOCK_TOLERANCE: Duration = Duration::from_micros(100);

impl UnixTime {
    /// The Unix epoch, 1970-01-01 00:00:00 UTC.
    pub const EPOCH: UnixTime = UnixTime { secs: 0, nanos: 0 };

    /// The current time of the system clock (`CLOCK_REALTIME`), as `SystemTime::now` reads it.
    ///
    /// On x86-64 Linux, where the kernel keeps time with the CPU's time-stamp counter, it is
    /// extrapolated from that counter for up to a millisecond after each read of the system
    /// clock, which cuts its cost from ~32 ns to ~10: it is then within 250 ns of the system
    /// clock, not exactly equal to it, and, in each thread, never earlier than a time that
    /// thread had before (unless the system clock itself is stepped back by more than a
    /// millisecond). A counter that cannot keep that bound is turned off for the system clock
    /// ([`counter_in_use`](Self::counter_in_use)). `LOGTREE_CLOCK=system` in the environment
    /// turns it off too.
    #[inline]
    pub fn now() -> UnixTime {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        return counter::now();
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        system_now()
    }

    /// Whether [`now`](Self::now) extrapolates from the CPU's time-stamp counter at the moment:
    /// false where it never does (other platforms, a kernel that does not keep time with the
    /// counter, `LOGTREE_CLOCK=system`), while the counter's rate is first measured (about a
    /// millisecond), and once the counter failed to keep within its bound of the system clock
    /// and was turned off for the rest of the process.
    pub fn counter_in_use() -> bool {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        return counter::in_use();
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        false
    }

    /// This instant plus `nanos`, below a second.
    #[inline]
    fn plus_nanos(self, nanos: u32) -> UnixTime {
        let nanos = self.nanos + nanos;
        if nanos < NANOS_PER_SEC {
            UnixTime {
                secs: self.secs,
                nanos,
            }
        } else {
            UnixTime {
                secs: self.secs.saturating_add(1),
                nanos: nanos - NANOS_PER_SEC,
            }
        }
    }

    /// Whole seconds since the epoch, rounded down: -1 for the last second before it.
    #[inline]
    pub fn secs(self) -> i64 {
        self.secs
    }

    /// Nanoseconds into the second [`secs`](Self::secs), below 1,000,000,000.
    #[inline]
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The same instant as a `SystemTime`. Exact for every `UnixTime` made from a `SystemTime`
    /// or the clock; [`UNIX_EPOCH`] only for an instant the platform's `SystemTime` cannot
    /// hold.
    pub fn to_system_time(self) -> SystemTime {
        let at = if self.secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(self.secs.unsigned_abs()))
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_secs(self.secs.unsigned_abs()))
        };
        at.and_then(|at| at.checked_add(Duration::from_nanos(u64::from(self.nanos))))
            .unwrap_or(UNIX_EPOCH)
    }
}

/// The system clock, read with `clock_gettime(CLOCK_REALTIME)` (no `SystemTime` on the way:
/// see [`UnixTime`]).
#[inline]
fn system_now() -> UnixTime {
    #[cfg(unix)]
    if let Some(now) = read_clock(libc::CLOCK_REALTIME) {
        return now;
    }
    UnixTime::from(SystemTime::now())
}

/// Reads `clock` with `clock_gettime`; `None` if the call fails or gives an impossible value.
#[cfg(unix)]
#[inline]
fn read_clock(clock: libc::clockid_t) -> Option<UnixTime> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; the call only writes into it.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return None;
    }
    let nanos = u32::try_from(now.tv_nsec)
        .ok()
        .filter(|&n| n < NANOS_PER_SEC)?;
    #[allow(clippy::useless_conversion)] // `time_t` is `i32` on some targets
    Some(UnixTime {
        secs: i64::from(now.tv_sec),
        nanos,
    })
}

impl From<SystemTime> for UnixTime {
    /// Saturates at ±2^63 seconds, beyond which no clock goes.
    fn from(time: SystemTime) -> UnixTime {
        match time.duration_since(UNIX_EPOCH) {
            Ok(since) => UnixTime {
                secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
                nanos: since.subsec_nanos(),
            },
            Err(before) => {
                let before = before.duration();
                let secs = i64::try_from(before.as_secs()).map_or(i64::MIN, |s| -s);
                match before.subsec_nanos() {
                    0 => UnixTime { secs, nanos: 0 },
                    nanos => UnixTime {
                        secs: secs.saturating_sub(1),
                        nanos: NANOS_PER_SEC - nanos,
                    },
                }
            }
        }
    }
}

impl From<UnixTime> for SystemTime {
    fn from(time: UnixTime) -> SystemTime {
        time.to_system_time()
    }
}

impl fmt::Debug for UnixTime {
    /// `1751034323.123000000`, `-1.999000000`: seconds and nanoseconds since the epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(time: SystemTime) {
        let unix = UnixTime::from(time);
        assert!(unix.subsec_nanos() < NANOS_PER_SEC, "{unix:?}");
        assert_eq!(unix.to_system_time(), time, "{unix:?}");
    }

    #[test]
    fn converts_both_ways_around_the_epoch() {
        for nanos in [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            86_400_123_456_789,
        ] {
            let d = Duration::from_nanos(nanos);
            round_trip(UNIX_EPOCH + d);
            round_trip(UNIX_EPOCH - d);
        }
        round_trip(SystemTime::now());
        assert_eq!(UnixTime::from(UNIX_EPOCH), UnixTime::EPOCH);
        let before = UnixTime::from(UNIX_EPOCH - Duration::from_nanos(1_000_000_001));
        assert_eq!((before.secs(), before.subsec_nanos()), (-2, 999_999_999));
    }

    #[test]
    fn converts_the_extremes_of_system_time() {
        // The latest and earliest instants this platform's `SystemTime` holds.
        let latest = (0..64)
            .rev()
            .find_map(|bit| UNIX_EPOCH.checked_add(Duration::from_secs((1u64 << bit) - 1)))
            .expect("some instant after the epoch is representable");
        let earliest = (0..64)
            .rev()
            .find_map(|bit| UNIX_EPOCH.checked_sub(Duration::from_secs(1u64 << bit)))
            .expect("some instant before the epoch is representable");
        round_trip(latest);
        round_trip(earliest);
        assert!(UnixTime::from(earliest) < UnixTime::EPOCH);
        assert!(UnixTime::EPOCH < UnixTime::from(latest));
    }

    #[test]
    fn orders_as_the_instants_do() {
        let times: Vec<SystemTime> = [-2_000_000_000i64, -1, 0, 1, 999_999_999, 1_000_000_000]
            .iter()
            .map(|&n| {
                let d = Duration::from_nanos(n.unsigned_abs());
                if n < 0 {
                    UNIX_EPOCH - d
                } else {
                    UNIX_EPOCH + d
                }
            })
            .collect();
        for a in &times {
            for b in &times {
                assert_eq!(UnixTime::from(*a).cmp(&UnixTime::from(*b)), a.cmp(b));
            }
        }
    }

    #[test]
    fn adding_nanoseconds_carries_into_the_second() {
        let at = UnixTime {
            secs: 5,
            nanos: 999_999_000,
        };
        assert_eq!(
            at.plus_nanos(999),
            UnixTime {
                secs: 5,
                nanos: 999_999_999
            }
        );
        assert_eq!(at.plus_nanos(1_000), UnixTime { secs: 6, nanos: 0 });
        assert_eq!(
            at.plus_nanos(999_999),
            UnixTime {
                secs: 6,
                nanos: 998_999
            }
        );
        let before = UnixTime {
            secs: -1,
            nanos: 999_999_999,
        };
        assert_eq!(before.plus_nanos(1), UnixTime::EPOCH);
    }

    #[test]
    fn now_reads_the_same_clock_as_system_time() {
        for _ in 0..10_000 {
            let before = SystemTime::now();
            let now = UnixTime::now().to_system_time();
            let after = SystemTime::now();
            assert!(
                before - CLOCK_TOLERANCE <= now && now <= after + CLOCK_TOLERANCE,
                "{before:?} {now:?} {after:?}"
            );
        }
    }
}
