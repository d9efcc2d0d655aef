//! The system clock extrapolated from the CPU's time-stamp counter, for the time of every
//! record.
//!
//! Reading `CLOCK_REALTIME` through the vDSO costs ~20 ns here, and perf puts 80% of that on
//! its `rdtscp`, which waits for every earlier instruction to finish. A plain `rdtsc` does not
//! wait. So each thread reads the system clock once (an anchor) and, for the next millisecond,
//! adds the counter's ticks since then at a rate measured against `CLOCK_MONOTONIC_RAW`
//! (NanoLog, fmtlog and quill stamp records from the counter the same way).
//!
//! How far off it can be: the rate is first measured over a millisecond, from clock reads that
//! each pair with the counter within ~30 ns, so it is within ~60 ppm, ~60 ns over a window;
//! it is measured again at each new anchor over the whole time since, until that is a second
//! long. Add the ~30 ns of the anchor's own pairing. Well under the microsecond (measured
//! here over the first 500 ms, 4 M reads each time: within ~130 ns of `SystemTime::now`),
//! and a record's time is shown to the millisecond. A step of the system clock (NTP, an
//! administrator) reaches every thread within a millisecond.
//!
//! Compiled for x86-64 Linux only. Used only where the kernel itself keeps time with the
//! counter (its clocksource is `tsc`): then the counter runs at a constant rate, in step on
//! every CPU. Anywhere else, and until the rate is measured, each record reads the system
//! clock.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::UnixTime;

/// How long a thread extrapolates from one anchor before it reads the system clock again.
const WINDOW_NANOS: u64 = 1_000_000;
/// How long the rate is measured before the counter is used: reads that pair the counter and
/// the clock within ~30 ns make it right to ~60 ppm, ~60 ns over a window.
const CALIBRATION_NANOS: u64 = 1_000_000;
/// How long the rate is measured over before it is no longer refined (once a millisecond per
/// thread, at each new anchor): then it is right to well under 1 ppm.
const SETTLED_NANOS: u64 = 1_000_000_000;
/// `RATE` when the counter is not to be used.
const UNUSABLE: u64 = u64::MAX;

/// Nanoseconds per tick as a 32.32 fixed-point number; 0 while it is being measured.
static RATE: AtomicU64 = AtomicU64::new(0);
/// The span `RATE` was measured over, in nanoseconds.
static SPAN: AtomicU64 = AtomicU64::new(0);

/// A reading of the system clock and the counter's reading at the middle of that read (see
/// [`paired`]).
#[derive(Clone, Copy)]
struct Anchor {
    ticks: u64,
    /// The rate this anchor extrapolates with; 0 for no anchor yet.
    rate: u64,
    time: UnixTime,
}

thread_local! {
    // `const` and without a destructor: reading it is one load relative to the thread pointer,
    // and it is there even while the thread's other locals are torn down.
    static ANCHOR: Cell<Anchor> = const {
        Cell::new(Anchor { ticks: 0, rate: 0, time: UnixTime::EPOCH })
    };
}

/// The current time from the counter, or `None` where it is not used (the caller reads the
/// system clock).
#[inline]
pub(super) fn now() -> Option<UnixTime> {
    let from_anchor = ANCHOR.try_with(|anchor| {
        let a = anchor.get();
        // No anchor yet, or the counter is not used here: no counter read in either case.
        if a.rate == 0 {
            return reanchor(anchor);
        }
        // Wrapping: a counter behind the anchor (it cannot, but a VM could) gives a huge
        // elapsed count, outside the window, and a new anchor.
        let ticks = read_counter().wrapping_sub(a.ticks);
        let elapsed = (u128::from(ticks) * u128::from(a.rate)) >> 32;
        if elapsed < u128::from(WINDOW_NANOS) {
            // Below the window, hence below a second: the cast is exact.
            return Some(a.time.plus_nanos(elapsed as u32));
        }
        reanchor(anchor)
    });
    from_anchor.ok().flatten()
}

/// Reads the system clock into a new anchor for this thread, or `None` when the counter is not
/// used (yet). Out of line: once a millisecond at most where the counter is used.
#[cold]
#[inline(never)]
fn reanchor(anchor: &Cell<Anchor>) -> Option<UnixTime> {
    let rate = rate()?;
    let (ticks, time) = paired(|| Some(super::system_now()))?;
    anchor.set(Anchor { ticks, rate, time });
    Some(time)
}

/// Reads a clock with the counter around it, and gives the counter's reading in the middle. A
/// thread preempted between the two would pair the clock with a later count, and stamp every
/// record of the window early by that delay: the tightest of a few tries is kept.
fn paired<T>(read: impl Fn() -> Option<T>) -> Option<(u64, T)> {
    /// Around a hundred ticks without a preemption; a few microseconds with one.
    const TIGHT_TICKS: u64 = 2_048;
    let mut best: Option<(u64, u64, T)> = None;
    for _ in 0..8 {
        let before = read_counter();
        let value = read()?;
        let took = read_counter().wrapping_sub(before);
        if best
            .as_ref()
            .is_none_or(|(_, best_took, _)| took < *best_took)
        {
            best = Some((before.wrapping_add(took / 2), took, value));
        }
        if took < TIGHT_TICKS {
            break;
        }
    }
    best.map(|(ticks, _, value)| (ticks, value))
}

/// The counter's rate, once measured; `None` while it is measured or when the counter is not
/// to be used.
fn rate() -> Option<u64> {
    match RATE.load(Ordering::Relaxed) {
        UNUSABLE => None,
        0 => measure_rate(),
        // Measured again at each new anchor until the span is long enough for the error of
        // the clock reads to vanish in it; the rate so far is kept if that fails.
        rate if SPAN.load(Ordering::Relaxed) < SETTLED_NANOS => measure_rate().or(Some(rate)),
        rate => Some(rate),
    }
}

/// Measures the rate from the first call on: the counter and `CLOCK_MONOTONIC_RAW` (the
/// kernel's own count of the counter's time, which NTP does not adjust) at the first call and
/// now, once at least [`CALIBRATION_NANOS`] apart. A measurement over a longer span replaces
/// an earlier one (see [`rate`]).
fn measure_rate() -> Option<u64> {
    static START: OnceLock<Option<(u64, u64)>> = OnceLock::new();
    let start = *START.get_or_init(|| {
        let start = kernel_keeps_time_with_counter()
            .then(|| paired(monotonic_raw_nanos))
            .flatten();
        if start.is_none() {
            RATE.store(UNUSABLE, Ordering::Relaxed);
        }
        start
    });
    let (ticks0, nanos0) = start?;
    let (ticks, nanos) = paired(monotonic_raw_nanos)?;
    let span = nanos.checked_sub(nanos0)?;
    if span < CALIBRATION_NANOS {
        return None;
    }
    let rate = match ticks.checked_sub(ticks0) {
        Some(elapsed) if elapsed > 0 => {
            u64::try_from((u128::from(span) << 32) / u128::from(elapsed))
                .ok()
                .filter(|&rate| rate != 0 && rate != UNUSABLE)
        }
        _ => None,
    };
    // Threads that measure at once store about the same rate; any of them is as good.
    RATE.store(rate.unwrap_or(UNUSABLE), Ordering::Relaxed);
    SPAN.store(span, Ordering::Relaxed);
    rate
}

/// Whether the kernel keeps time with the counter (so trusts it to be constant and in step
/// across CPUs), and the user did not ask for the system clock (`LOGTREE_CLOCK=system`).
fn kernel_keeps_time_with_counter() -> bool {
    if std::env::var_os("LOGTREE_CLOCK").is_some_and(|v| v == "system") {
        return false;
    }
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .is_ok_and(|source| source.trim() == "tsc")
}

#[inline]
fn read_counter() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and only reads the counter.
    unsafe { std::arch::x86_64::_rdtsc() }
}

fn monotonic_raw_nanos() -> Option<u64> {
    let now = super::read_clock(libc::CLOCK_MONOTONIC_RAW)?;
    let secs = u64::try_from(now.secs()).ok()?;
    secs.checked_mul(1_000_000_000)?
        .checked_add(u64::from(now.subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    use crate::time::CLOCK_TOLERANCE;

    fn within_tolerance(before: SystemTime, at: SystemTime, after: SystemTime) -> bool {
        before - CLOCK_TOLERANCE <= at && at <= after + CLOCK_TOLERANCE
    }

    #[test]
    fn follows_the_system_clock_across_many_windows() {
        let deadline = std::time::Instant::now() + Duration::from_millis(30);
        let mut from_counter = 0;
        while std::time::Instant::now() < deadline {
            let before = SystemTime::now();
            let at = now();
            let after = SystemTime::now();
            if let Some(at) = at {
                from_counter += 1;
                let at = at.to_system_time();
                assert!(
                    within_tolerance(before, at, after),
                    "{before:?} {at:?} {after:?}"
                );
            }
        }
        if kernel_keeps_time_with_counter() {
            assert!(
                from_counter > 0,
                "the rate is measured within the first millisecond"
            );
            assert!(RATE.load(Ordering::Relaxed) != UNUSABLE);
        } else {
            assert_eq!(from_counter, 0);
        }
    }

    #[test]
    fn every_thread_keeps_its_own_anchor() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..20_000 {
                        let before = SystemTime::now();
                        let at = super::super::UnixTime::now().to_system_time();
                        let after = SystemTime::now();
                        assert!(
                            within_tolerance(before, at, after),
                            "{before:?} {at:?} {after:?}"
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            assert!(thread.join().is_ok());
        }
    }
}
