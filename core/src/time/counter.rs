//! The system clock extrapolated from the CPU's time-stamp counter, for the time of every
//! record.
//!
//! Reading `CLOCK_REALTIME` through the vDSO costs ~20 ns here, and perf puts 80% of that on
//! its `rdtscp`, which waits for every earlier instruction to finish. A plain `rdtsc` does not
//! wait. So each thread reads the system clock once (an anchor) and, for the next millisecond,
//! adds the counter's ticks since then at a rate measured against `CLOCK_MONOTONIC`, which
//! runs at the rate of `CLOCK_REALTIME` (NTP slews both) and is never stepped (NanoLog, fmtlog
//! and quill stamp records from the counter the same way).
//!
//! How far off it can be, by construction ([`BOUND_NANOS`], 250 ns, what the README states
//! and a test measures):
//! - an anchor pairs the clock with the counter read just before and after it; the counter's
//!   reading at the clock read is taken as the middle, off by at most half the gap, and a
//!   pairing whose half gap exceeds [`PAIRING_NANOS`] is refused (that record reads the system
//!   clock, the next one tries again);
//! - the rate is used only once its error, from the pairings at both ends of the span it was
//!   measured over, amounts to at most [`RATE_ERROR_NANOS`] over a window.
//!
//! What it promises besides: a thread's times never go back. A new anchor may find the system
//! clock a little behind the counter's extrapolation (the errors above); the time is then held
//! where it was until the clock catches up (at most [`MAX_HOLD_NANOS`]: past that, the system
//! clock itself was stepped back, by NTP or an administrator, and the time follows it).
//!
//! Where the counter cannot keep the bound, the system clock is read for every record from
//! then on: at each new anchor the extrapolation is compared with the clock, and an error past
//! [`VIOLATION_NANOS`] (a counter whose rate changed, as on a migrated VM) turns the counter
//! off, as does a change of the kernel's clocksource away from `tsc` (looked at once a
//! second). Compiled for x86-64 Linux only, and used only where the kernel itself keeps time
//! with the counter and the CPU says it neither changes rate nor stops (`constant_tsc`,
//! `nonstop_tsc`). `LOGTREE_CLOCK=system` turns it off.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;

use super::UnixTime;

/// How long a thread extrapolates from one anchor before it reads the system clock again.
const WINDOW_NANOS: u64 = 1_000_000;
/// The most a time from the counter may be off the system clock, when the counter works.
pub(crate) const BOUND_NANOS: u64 = 250;
/// The most an anchor's pairing of the clock and the counter may be off.
const PAIRING_NANOS: u64 = 80;
/// The most the rate's error may add over one window.
const RATE_ERROR_NANOS: u64 = 80;
/// The shortest span the rate is measured over.
const CALIBRATION_NANOS: u64 = 1_000_000;
/// How long the rate is measured over before it is no longer refined (once a millisecond per
/// thread, at each new anchor): then it is right to well under 1 ppm.
const SETTLED_NANOS: u64 = 1_000_000_000;
/// An error seen at a new anchor past this means the times of the window before were off by
/// more than [`BOUND_NANOS`] (the new anchor's own pairing accounts for the rest).
const VIOLATION_NANOS: u64 = BOUND_NANOS + PAIRING_NANOS;
/// The longest a thread's time is held while the system clock catches up with it; a clock
/// further behind than this was stepped back, and the time follows it.
const MAX_HOLD_NANOS: u64 = 1_000_000;
/// Anchors in a row whose pairing was too loose, past which the counter is turned off.
const MAX_LOOSE_PAIRINGS: u64 = 64;
/// `RATE` when the counter is not to be used.
const UNUSABLE: u64 = u64::MAX;

/// Nanoseconds per tick as a 32.32 fixed-point number; 0 while it is being measured.
static RATE: AtomicU64 = AtomicU64::new(0);
/// The span `RATE` was measured over, in nanoseconds.
static SPAN: AtomicU64 = AtomicU64::new(0);
/// The error `RATE` may add over a window, in nanoseconds.
static RATE_ERROR: AtomicU64 = AtomicU64::new(u64::MAX);
/// Anchors refused in a row for a loose pairing, in any thread.
static LOOSE_PAIRINGS: AtomicU64 = AtomicU64::new(0);
/// The second of the system clock in which the clocksource was last looked at.
static CLOCKSOURCE_CHECKED: AtomicI64 = AtomicI64::new(0);

/// A reading of the system clock and the counter's reading at the middle of that read (see
/// [`paired`]).
#[derive(Clone, Copy)]
struct Anchor {
    ticks: u64,
    /// The rate this anchor extrapolates with; 0 for no anchor (the system clock is read).
    rate: u64,
    time: UnixTime,
    /// The latest time this thread may have had before this anchor: kept up to date on the
    /// slow paths only, so that the time never goes back.
    floor: UnixTime,
}

thread_local! {
    // `const` and without a destructor: reading it is one load relative to the thread pointer,
    // and it is there even while the thread's other locals are torn down.
    static ANCHOR: Cell<Anchor> = const {
        Cell::new(Anchor { ticks: 0, rate: 0, time: UnixTime::EPOCH, floor: UnixTime::EPOCH })
    };
}

/// The current time: from the counter where it is used, else from the system clock; never
/// before a time this thread had already (but see [`MAX_HOLD_NANOS`]). Not inlined: in the
/// record's construction it made the caller too large to be inlined in turn, and the record
/// was then copied out of it (25 instructions a record).
#[inline(never)]
pub(super) fn now() -> UnixTime {
    ANCHOR
        .try_with(|anchor| {
            let a = anchor.get();
            // No anchor: no counter read.
            if a.rate != 0 {
                // Wrapping: a counter behind the anchor gives a huge elapsed count, outside
                // the window, and the slow path.
                let ticks = read_counter().wrapping_sub(a.ticks);
                let elapsed = (u128::from(ticks) * u128::from(a.rate)) >> 32;
                if elapsed < u128::from(WINDOW_NANOS) {
                    // Below the window, hence below a second: the cast is exact.
                    return a.time.plus_nanos(elapsed as u32);
                }
            }
            reanchor(anchor)
        })
        .unwrap_or_else(|_| super::system_now())
}

/// Whether times come from the counter now: its rate is measured and it was not turned off.
pub(super) fn in_use() -> bool {
    !matches!(RATE.load(Ordering::Relaxed), 0 | UNUSABLE)
}

/// Nanoseconds in `ticks` at `rate`, saturated.
fn nanos(ticks: u64, rate: u64) -> u64 {
    u64::try_from((u128::from(ticks) * u128::from(rate)) >> 32).unwrap_or(u64::MAX)
}

/// The slow path of [`now`]: a held time, a new anchor, or the system clock. Out of line: once
/// a millisecond at most where the counter is used.
#[cold]
#[inline(never)]
fn reanchor(anchor: &Cell<Anchor>) -> UnixTime {
    let a = anchor.get();
    let mut floor = a.floor;
    if a.rate != 0 {
        let counter = read_counter();
        // Held (see `anchored`), or a counter a few ticks behind after a move to another CPU.
        if nanos(a.ticks.wrapping_sub(counter), a.rate) <= MAX_HOLD_NANOS {
            return a.time;
        }
        // Times from `a` stopped at the end of its window.
        let elapsed = nanos(counter.wrapping_sub(a.ticks), a.rate).min(WINDOW_NANOS - 1);
        floor = floor.max(a.time.plus_nanos(elapsed as u32));
    }
    let Some(rate) = rate() else {
        return from_system_clock(anchor, floor);
    };
    let tight_ticks = ((u128::from(2 * PAIRING_NANOS) << 32) / u128::from(rate)) as u64;
    let Some((ticks, took, time)) = paired(|| Some(super::system_now()), tight_ticks) else {
        return from_system_clock(anchor, floor);
    };
    if took > tight_ticks {
        // A machine that cannot pair them tightly (a slow clock read, a busy hypervisor)
        // would pay eight clock reads a record: the counter goes off for good.
        if LOOSE_PAIRINGS.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_LOOSE_PAIRINGS {
            RATE.store(UNUSABLE, Ordering::Relaxed);
        }
        return held(anchor, time, floor);
    }
    if LOOSE_PAIRINGS.load(Ordering::Relaxed) != 0 {
        LOOSE_PAIRINGS.store(0, Ordering::Relaxed);
    }
    if a.rate != 0 {
        let elapsed = nanos(ticks.wrapping_sub(a.ticks), a.rate);
        // Only right after a window (the healthy error is then at most two pairings and a
        // quarter more than a window's rate error, 260 ns): an idle thread's extrapolation
        // carries the rate's error over all its idle time.
        if elapsed < WINDOW_NANOS + WINDOW_NANOS / 4 {
            check_error(a.time.plus_nanos(elapsed as u32), time);
        }
    }
    check_clocksource(time);
    if RATE.load(Ordering::Relaxed) == UNUSABLE {
        return from_system_clock(anchor, floor);
    }
    let (next, now) = anchored(ticks, rate, time, floor);
    anchor.set(next);
    now
}

/// The anchor at `ticks` for the clock's `time`, and the time to give now: `time`, or when the
/// thread had a later one already (`floor`, by less than [`MAX_HOLD_NANOS`]), `floor`, with
/// the anchor moved ahead by as many ticks as the clock is behind, so that until the clock
/// reaches `floor` every time is `floor` (a counter behind its anchor takes the slow path,
/// which gives the anchor's time).
fn anchored(ticks: u64, rate: u64, time: UnixTime, floor: UnixTime) -> (Anchor, UnixTime) {
    match nanos_between(time, floor) {
        Some(behind) if behind > 0 && behind <= MAX_HOLD_NANOS => {
            let hold = ((u128::from(behind) << 32) / u128::from(rate)) as u64 + 1;
            let anchor = Anchor {
                ticks: ticks.wrapping_add(hold),
                rate,
                time: floor,
                floor,
            };
            (anchor, floor)
        }
        _ => {
            let anchor = Anchor {
                ticks,
                rate,
                time,
                floor: time,
            };
            (anchor, time)
        }
    }
}

/// Nanoseconds from `earlier` to `later`, if `later` is not before `earlier` and they are
/// less than a few seconds apart.
fn nanos_between(earlier: UnixTime, later: UnixTime) -> Option<u64> {
    let secs = u64::try_from(later.secs().checked_sub(earlier.secs())?).ok()?;
    if secs > 4 {
        return None;
    }
    (secs * 1_000_000_000 + u64::from(later.subsec_nanos()))
        .checked_sub(u64::from(earlier.subsec_nanos()))
}

/// The system clock, held at `floor` while it is behind it (by less than
/// [`MAX_HOLD_NANOS`]); the thread reads it again for its next record.
fn from_system_clock(anchor: &Cell<Anchor>, floor: UnixTime) -> UnixTime {
    held(anchor, super::system_now(), floor)
}

/// [`from_system_clock`] with the clock read already.
fn held(anchor: &Cell<Anchor>, clock: UnixTime, floor: UnixTime) -> UnixTime {
    // The usual case, and all there is where the counter is never used: a clock past the
    // floor needs no hold, and an anchor already off needs no update (a floor in the past
    // holds nothing).
    if clock >= floor && anchor.get().rate == 0 {
        return clock;
    }
    let now = match nanos_between(clock, floor) {
        Some(behind) if behind <= MAX_HOLD_NANOS => floor,
        _ => clock,
    };
    anchor.set(Anchor {
        ticks: 0,
        rate: 0,
        time: UnixTime::EPOCH,
        floor: now,
    });
    now
}

/// Turns the counter off when a window's extrapolation ended further from the clock than the
/// bound allows; a difference past [`MAX_HOLD_NANOS`] is a step of the clock, not an error of
/// the counter.
fn check_error(extrapolated: UnixTime, clock: UnixTime) {
    if misses_the_bound(extrapolated, clock) {
        RATE.store(UNUSABLE, Ordering::Relaxed);
    }
}

/// See [`check_error`].
fn misses_the_bound(extrapolated: UnixTime, clock: UnixTime) -> bool {
    let off = nanos_between(clock, extrapolated).or_else(|| nanos_between(extrapolated, clock));
    off.is_some_and(|off| off > VIOLATION_NANOS && off <= MAX_HOLD_NANOS)
}

/// Once a second of the clock (in whichever thread gets there first), turns the counter off if
/// the kernel no longer keeps time with it.
fn check_clocksource(clock: UnixTime) {
    let second = clock.secs();
    if CLOCKSOURCE_CHECKED.load(Ordering::Relaxed) != second
        && CLOCKSOURCE_CHECKED.swap(second, Ordering::Relaxed) != second
        && !clocksource_is_counter()
    {
        RATE.store(UNUSABLE, Ordering::Relaxed);
    }
}

/// Reads a clock with the counter around it, up to 8 times until the two counter reads are
/// at most `tight_ticks` apart, and gives, for the tightest, the counter's reading in the
/// middle, the gap, and the clock's value. A thread preempted between the two would pair the
/// clock with a later count.
fn paired<T>(read: impl Fn() -> Option<T>, tight_ticks: u64) -> Option<(u64, u64, T)> {
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
        if took <= tight_ticks {
            break;
        }
    }
    best
}

/// The counter's rate, once measured well enough; `None` while it is measured or when the
/// counter is not to be used.
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

/// Measures the rate from the first call on: the counter and `CLOCK_MONOTONIC` at the first
/// call and now. The result is used once its error (the two pairings' half gaps over the span)
/// stays within [`RATE_ERROR_NANOS`] a window, and replaces an earlier one only if it is more
/// precise.
fn measure_rate() -> Option<u64> {
    /// Loose on purpose: the error is accounted for, and a longer span makes up for it.
    const START_TIGHT_TICKS: u64 = 2_048;
    static START: OnceLock<Option<(u64, u64, u64)>> = OnceLock::new();
    let start = *START.get_or_init(|| {
        let start = counter_trusted()
            .then(|| paired(monotonic_nanos, START_TIGHT_TICKS))
            .flatten();
        if start.is_none() {
            RATE.store(UNUSABLE, Ordering::Relaxed);
        }
        start
    });
    let (ticks0, took0, nanos0) = start?;
    let (ticks, took, nanos_now) = paired(monotonic_nanos, START_TIGHT_TICKS)?;
    let span = nanos_now.checked_sub(nanos0)?;
    if span < CALIBRATION_NANOS {
        return None;
    }
    let elapsed = ticks.checked_sub(ticks0).filter(|&e| e > 0)?;
    let rate = u64::try_from((u128::from(span) << 32) / u128::from(elapsed))
        .ok()
        .filter(|&rate| rate != 0 && rate != UNUSABLE)?;
    let pairing = nanos(took0 / 2 + took / 2 + 1, rate);
    let error = u64::try_from(u128::from(pairing) * u128::from(WINDOW_NANOS) / u128::from(span))
        .unwrap_or(u64::MAX);
    if error > RATE_ERROR_NANOS || error > RATE_ERROR.load(Ordering::Relaxed) {
        return None;
    }
    // Threads that measure at once store about the same rate; any of them is as good.
    RATE_ERROR.store(error, Ordering::Relaxed);
    SPAN.store(span, Ordering::Relaxed);
    if RATE
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            (old != UNUSABLE).then_some(rate)
        })
        .is_err()
    {
        return None;
    }
    Some(rate)
}

/// Whether the counter may be used at all: the kernel keeps time with it (so trusts it to be
/// in step across CPUs), the CPU says it runs at a constant rate and never stops, and the
/// user did not ask for the system clock (`LOGTREE_CLOCK=system`).
fn counter_trusted() -> bool {
    if std::env::var_os("LOGTREE_CLOCK").is_some_and(|v| v == "system") {
        return false;
    }
    let flags_ok = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .find(|line| line.starts_with("flags"))
            .is_some_and(|line| {
                let flags: Vec<&str> = line.split_whitespace().collect();
                flags.contains(&"constant_tsc") && flags.contains(&"nonstop_tsc")
            })
    });
    flags_ok && clocksource_is_counter()
}

fn clocksource_is_counter() -> bool {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .is_ok_and(|source| source.trim() == "tsc")
}

#[inline]
fn read_counter() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and only reads the counter.
    unsafe { std::arch::x86_64::_rdtsc() }
}

fn monotonic_nanos() -> Option<u64> {
    let now = super::read_clock(libc::CLOCK_MONOTONIC)?;
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
            let at = now().to_system_time();
            let after = SystemTime::now();
            assert!(
                within_tolerance(before, at, after),
                "{before:?} {at:?} {after:?}"
            );
            if ANCHOR.with(|a| a.get().rate) != 0 {
                from_counter += 1;
            }
        }
        if counter_trusted() {
            assert!(
                from_counter > 0,
                "the rate is measured within the first milliseconds"
            );
        } else {
            assert_eq!(from_counter, 0);
        }
    }

    fn at(secs: i64, nanos: u32) -> UnixTime {
        UnixTime { secs, nanos }
    }

    /// 1 ns per tick, in 32.32.
    const ONE: u64 = 1 << 32;

    #[test]
    fn a_clock_behind_the_times_given_already_holds_them_until_it_catches_up() {
        let (anchor, now) = anchored(1_000, ONE, at(5, 100), at(5, 300));
        assert_eq!(now, at(5, 300), "held at the floor");
        assert_eq!(anchor.time, at(5, 300));
        // The anchor lies 200 ticks (and one for rounding) ahead: until then the slow path
        // gives its time; after, the clock's time plus the ticks since its reading.
        assert_eq!(anchor.ticks, 1_201);
        let (anchor, now) = anchored(1_000, ONE, at(5, 300), at(5, 100));
        assert_eq!(
            (anchor.ticks, anchor.time, now),
            (1_000, at(5, 300), at(5, 300))
        );
    }

    #[test]
    fn a_clock_stepped_back_further_than_a_hold_is_followed() {
        let (anchor, now) = anchored(1_000, ONE, at(5, 0), at(6, 0));
        assert_eq!((anchor.ticks, now), (1_000, at(5, 0)));
    }

    #[test]
    fn an_extrapolation_off_by_more_than_the_bound_turns_the_counter_off_but_a_step_does_not() {
        let clock = at(5, 0);
        assert!(!misses_the_bound(at(5, 300), clock), "within the bound");
        assert!(
            misses_the_bound(at(5, 400), clock),
            "ahead (a rate gone wrong)"
        );
        assert!(misses_the_bound(at(4, 999_999_600), clock), "behind");
        assert!(
            !misses_the_bound(at(5, 2_000_000), clock),
            "a step of the clock"
        );
    }

    #[test]
    fn nanoseconds_between_two_times() {
        assert_eq!(nanos_between(at(5, 999_999_990), at(6, 10)), Some(20));
        assert_eq!(nanos_between(at(6, 10), at(5, 999_999_990)), None);
        assert_eq!(nanos_between(at(0, 0), at(100, 0)), None, "too far apart");
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
