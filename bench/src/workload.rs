//! The workloads, written once and driven through each case's call site ([`Emit`]).

use std::hint::black_box;
use std::path::Path;
use std::sync::Barrier;
use std::thread;

use crate::latency::{AtChanges, DirChanges, WINDOW};
use crate::peers::baseline;

/// The call site of one case: the same record through different macro families. Monomorphised
/// into each loop, so a disabled call costs what it costs in user code.
pub trait Emit {
    /// `info!(target: "app.module", "request {} handled in {} us", i, i % 997)`.
    fn info(i: u64);
    /// The same at `debug`, disabled in every case.
    fn debug(i: u64);
}

/// `log::info!` / `log::debug!`.
pub struct ViaLog;

impl Emit for ViaLog {
    #[inline(always)]
    fn info(i: u64) {
        log::info!(target: "app.module", "request {} handled in {} us", i, i % 997);
    }
    #[inline(always)]
    fn debug(i: u64) {
        log::debug!(target: "app.module", "request {} handled in {} us", i, i % 997);
    }
}

/// `tracing::info!` / `tracing::debug!`.
pub struct ViaTracing;

impl Emit for ViaTracing {
    #[inline(always)]
    fn info(i: u64) {
        tracing::info!(target: "app.module", "request {} handled in {} us", i, i % 997);
    }
    #[inline(always)]
    fn debug(i: u64) {
        tracing::debug!(target: "app.module", "request {} handled in {} us", i, i % 997);
    }
}

/// A direct call into the installed baseline writer.
pub struct ViaBaseline;

impl Emit for ViaBaseline {
    #[inline(always)]
    fn info(i: u64) {
        baseline::emit(format_args!("request {} handled in {} us", i, i % 997));
    }
    /// Nothing: the loop around it is W3's floor.
    #[inline(always)]
    fn debug(_: u64) {}
}

/// W1 (`threads == 1`), W2 and W8: `records` INFO records, split over `threads` threads that
/// start together; record numbers are unique across threads and every one of `0..records` is
/// logged (thread `t` logs `t * records / threads .. (t + 1) * records / threads`, so a
/// remainder is spread rather than left out).
pub fn records<E: Emit>(records: u64, threads: u64) {
    if threads == 1 {
        (0..records).for_each(E::info);
        return;
    }
    let start = Barrier::new(usize::try_from(threads).expect("a few threads"));
    thread::scope(|scope| {
        for t in 0..threads {
            let start = &start;
            let range = share(records, threads, t);
            scope.spawn(move || {
                start.wait();
                range.for_each(E::info);
            });
        }
    });
}

/// The record numbers thread `t` of `threads` logs out of `0..records`.
fn share(records: u64, threads: u64, t: u64) -> std::ops::Range<u64> {
    t * records / threads..(t + 1) * records / threads
}

/// W3: `calls` disabled `debug!` calls (after a short untimed warm-up that registers call
/// sites and fills caches). Returns nothing: the caller times it.
pub fn disabled_warm_up<E: Emit>() {
    for i in 0..10_000 {
        E::debug(black_box(i));
    }
}

/// W3, the timed part.
pub fn disabled<E: Emit>(calls: u64) {
    for i in 0..calls {
        E::debug(black_box(i));
    }
}

/// W4: one INFO record on the logger `a::b::c::d` (logtree maps it to `a.b.c.d`), `calls`
/// times.
pub fn hierarchy(calls: u64) {
    for i in 0..calls {
        let i = black_box(i);
        log::info!(target: "a::b::c::d", "request {} handled in {} us", i, i % 997);
    }
}

/// Each call's time, and the calls around the directory's changes.
pub type TimedCalls = (Vec<u64>, AtChanges);

/// The latency workload: `calls` INFO records from one thread, each call timed on its own
/// (the two clock reads included, ~20-40 ns), and the slowest call around each change of
/// `dir` (see [`AtChanges`]). The times are written into storage touched beforehand, so no
/// page fault lands in a timed call.
pub fn timed_calls<E: Emit>(calls: u64, dir: &Path) -> std::io::Result<TimedCalls> {
    let mut times = vec![u64::MAX; usize::try_from(calls).expect("calls fit in memory")];
    let mut changes = DirChanges::watch(dir)?;
    let mut at_changes = AtChanges::default();
    let mut i = 0;
    for window in times.chunks_mut(WINDOW) {
        for time in window.iter_mut() {
            let start = std::time::Instant::now();
            E::info(i);
            *time = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            i += 1;
        }
        if changes.changed()? {
            at_changes.add(window);
        }
    }
    Ok((times, at_changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threads_share_every_record_once() {
        for (records, threads) in [(150_000, 8), (80_000, 8), (1_000_001, 2), (13, 8), (5, 8)] {
            let mut next = 0;
            for t in 0..threads {
                let range = share(records, threads, t);
                assert_eq!(range.start, next, "{records} over {threads}, thread {t}");
                assert!(range.end - range.start <= records / threads + 1);
                next = range.end;
            }
            assert_eq!(next, records, "{records} over {threads}");
        }
    }
}
