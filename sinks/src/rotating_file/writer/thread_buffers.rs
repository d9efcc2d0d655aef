//! The buffers of [`FlushPolicy::Buffered`](super::FlushPolicy::Buffered): one per thread and
//! writer, so that threads logging at once do not take turns on one lock per record.
//!
//! A thread appends its finished lines to its own buffer under the buffer's own lock, which
//! only a flush ever contends for; no cache line is shared between threads per record. The
//! writer keeps every thread's buffer; a flush takes the lines of all of them (each buffer
//! locked only to swap its storage) and writes them merged by record time, so the file reads
//! in time order as with one shared buffer, and each thread's lines keep their order.
//!
//! To buffer a line without the writer's lock, a thread needs to know that the line needs
//! nothing else done first: each buffer keeps a [`View`] of the writer's state, refreshed
//! whenever the writer takes its lines or the thread takes the writer's lock.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::mem;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use logtree_core::UnixTime;

use crate::rotating_file::clock::Clock;

/// Lines not yet written, in the order they were logged.
#[derive(Default)]
pub(super) struct Lines {
    bytes: Vec<u8>,
    /// Each line's record time and where it ends in `bytes`.
    ends: Vec<(UnixTime, usize)>,
}

impl Lines {
    /// Appends a line; true when it is the first one (the buffer must be scheduled for
    /// writing).
    #[inline]
    pub(super) fn push(&mut self, line: &[u8], at: UnixTime) -> bool {
        let first = self.bytes.is_empty();
        self.bytes.extend_from_slice(line);
        self.ends.push((at, self.bytes.len()));
        first
    }

    /// Reserves room for `bytes` bytes of lines at once.
    pub(super) fn try_reserve(
        &mut self,
        bytes: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        self.bytes.try_reserve_exact(bytes)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn line(&self, index: usize) -> (UnixTime, &[u8]) {
        let start = index.checked_sub(1).map_or(0, |prev| self.ends[prev].1);
        let (at, end) = self.ends[index];
        (at, &self.bytes[start..end])
    }

    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// Empties the lines (just written) and readies the storage for the thread that fills it
    /// next: room for twice as many bytes (at most `capacity`) and lines, its memory touched
    /// once. Otherwise that thread's log calls would grow the storage (copying it) and take a
    /// page fault every 4 KiB the first time through (~1-2 us each), the slowest 0.1% of its
    /// calls. The storage never shrinks, so the memory is at most what the buffer may hold;
    /// when it cannot grow, the calls grow it as before.
    pub(super) fn clear_and_ready(&mut self, capacity: usize) {
        let bytes = self.bytes.len().saturating_mul(2).min(capacity);
        let lines = self.ends.len().saturating_mul(2);
        self.clear();
        ready(&mut self.bytes, bytes, 0);
        ready(&mut self.ends, lines, (UnixTime::EPOCH, 0));
    }

    /// The lines with their record times, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (UnixTime, &[u8])> {
        (0..self.ends.len()).map(|i| self.line(i))
    }

    /// Removes the oldest lines until at most `limit` bytes remain; returns how many went.
    pub(super) fn drop_oldest(&mut self, limit: usize) -> u64 {
        let excess = self.bytes.len().saturating_sub(limit);
        if excess == 0 {
            return 0;
        }
        // The first line that ends past the excess is the first one kept.
        let kept_from = self.ends.partition_point(|&(_, end)| end < excess);
        let kept_from = (kept_from + 1).min(self.ends.len());
        let cut = kept_from.checked_sub(1).map_or(0, |last| self.ends[last].1);
        self.bytes.drain(..cut);
        self.ends.drain(..kept_from);
        for (_, end) in &mut self.ends {
            *end -= cut;
        }
        kept_from as u64
    }
}

/// Makes `storage` (empty) hold `len` items without growing, its memory touched, unless it
/// can already.
fn ready<T: Copy>(storage: &mut Vec<T>, len: usize, any: T) {
    if storage.capacity() >= len || storage.try_reserve_exact(len).is_err() {
        return;
    }
    storage.resize(len, any);
    storage.clear();
}

/// What a thread checks before buffering a line on its own: a copy of the writer's state.
#[derive(Clone)]
pub(super) struct View {
    /// Records stamped within it need no check that the file is still at its path.
    pub(super) check_window: Range<UnixTime>,
    /// When the file of the next date starts (when rolling at midnight).
    pub(super) next_date_change: Option<SystemTime>,
}

impl View {
    /// Whether a line stamped `at` can be buffered without the writer's lock.
    #[inline]
    fn allows(&self, at: UnixTime, clock: &dyn Clock) -> bool {
        self.check_window.contains(&at)
            && self
                .next_date_change
                .is_none_or(|change| clock.record_time(at) < change)
    }
}

/// One thread's buffer for one writer.
pub(super) struct ThreadBuffer {
    inner: Mutex<Inner>,
}

struct Inner {
    lines: Lines,
    view: View,
}

/// What became of a line offered to a thread's buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Buffered {
    /// Buffered behind others.
    Behind,
    /// Buffered in an empty buffer: its writing must be scheduled.
    First,
}

impl ThreadBuffer {
    pub(super) fn new(view: View) -> ThreadBuffer {
        ThreadBuffer {
            inner: Mutex::new(Inner {
                lines: Lines::default(),
                view,
            }),
        }
    }

    // Nothing panics while the lock is held; should a panic poison it anyway, the lines are
    // whole between pushes.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Buffers `line` if the view allows it and it fits: `None` sends the caller to the
    /// writer's lock.
    #[inline]
    fn try_push(
        &self,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
        clock: &dyn Clock,
    ) -> Option<Buffered> {
        let mut inner = self.lock();
        if !fits(&inner.lines, line, capacity) || !inner.view.allows(at, clock) {
            return None;
        }
        Some(buffered(inner.lines.push(line, at)))
    }

    /// Buffers `line` if it fits, whatever the view (background writing: the writer's thread
    /// does every check); `None` when it does not fit. Also returns the bytes buffered after.
    #[inline]
    fn push_unchecked(
        &self,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
        clock: &dyn Clock,
    ) -> Result<(Buffered, usize), Offered> {
        let mut inner = self.lock();
        // A new date is the caller's to start (under the writer's lock), so that the lines
        // before it go to the old date's file.
        if inner
            .view
            .next_date_change
            .is_some_and(|change| clock.record_time(at) >= change)
        {
            return Err(Offered::NoBuffer);
        }
        if !fits(&inner.lines, line, capacity) {
            return Err(Offered::Full);
        }
        let first = inner.lines.push(line, at);
        Ok((buffered(first), inner.lines.bytes.len()))
    }

    /// How many bytes wait in the buffer.
    pub(super) fn filled(&self) -> usize {
        self.lock().lines.bytes.len()
    }

    /// Buffers `line` if it fits (the writer's lock is held: no view to check), and refreshes
    /// the view.
    pub(super) fn push_locked(
        &self,
        line: &[u8],
        at: UnixTime,
        capacity: usize,
        view: &View,
    ) -> Option<Buffered> {
        let mut inner = self.lock();
        inner.view.clone_from(view);
        fits(&inner.lines, line, capacity).then(|| buffered(inner.lines.push(line, at)))
    }

    /// Moves the buffered lines into `into` (which must be empty) and gives the buffer
    /// `into`'s storage, so that neither side allocates; refreshes the view.
    pub(super) fn take(&self, into: &mut Lines, view: &View) {
        let mut inner = self.lock();
        inner.view.clone_from(view);
        mem::swap(&mut inner.lines, into);
    }
}

/// Whether `line` goes into `lines` of at most `capacity` bytes; a line of `capacity` bytes
/// or more is never buffered.
#[inline]
fn fits(lines: &Lines, line: &[u8], capacity: usize) -> bool {
    line.len() < capacity && lines.bytes.len() + line.len() <= capacity
}

fn buffered(first: bool) -> Buffered {
    if first {
        Buffered::First
    } else {
        Buffered::Behind
    }
}

thread_local! {
    /// This thread's buffers, by writer key.
    static OWN: RefCell<Vec<(u64, Arc<ThreadBuffer>)>> = const { RefCell::new(Vec::new()) };
}

/// Buffers `line` in this thread's buffer for the writer `key`, without the writer's lock.
/// `None`: the thread has no buffer for it yet, the line does not fit, or the view asks for
/// the writer's lock.
#[inline]
pub(super) fn try_push(
    key: u64,
    line: &[u8],
    at: UnixTime,
    capacity: usize,
    clock: &dyn Clock,
) -> Option<Buffered> {
    OWN.try_with(|own| {
        let own = own.try_borrow().ok()?;
        let (_, buffer) = own.iter().find(|(k, _)| *k == key)?;
        buffer.try_push(line, at, capacity, clock)
    })
    .ok()
    .flatten()
}

/// What became of a line offered to this thread's buffer without the writer's lock and
/// without a view (background writing).
pub(super) enum Offered {
    /// Buffered; with the bytes the buffer holds now.
    Taken(Buffered, usize),
    /// The buffer is full.
    Full,
    /// The thread has no buffer for this writer yet, its locals are torn down, or a new date
    /// is due: the writer's lock is needed.
    NoBuffer,
}

/// Offers `line` to this thread's buffer for the writer `key` (background writing): only a
/// new date sends it to the writer's lock, every other check is the writer thread's.
#[inline]
pub(super) fn offer(
    key: u64,
    line: &[u8],
    at: UnixTime,
    capacity: usize,
    clock: &dyn Clock,
) -> Offered {
    OWN.try_with(|own| {
        let Ok(own) = own.try_borrow() else {
            return Offered::NoBuffer;
        };
        let Some((_, buffer)) = own.iter().find(|(k, _)| *k == key) else {
            return Offered::NoBuffer;
        };
        match buffer.push_unchecked(line, at, capacity, clock) {
            Ok((buffered, filled)) => Offered::Taken(buffered, filled),
            Err(other) => other,
        }
    })
    .unwrap_or(Offered::NoBuffer)
}

/// This thread's buffer for the writer `key`, created with `create` (which registers it with
/// the writer) if there is none. `None` while the thread's locals are torn down.
pub(super) fn own(
    key: u64,
    create: impl FnOnce() -> Arc<ThreadBuffer>,
) -> Option<Arc<ThreadBuffer>> {
    OWN.try_with(|own| {
        let mut own = own.try_borrow_mut().ok()?;
        if let Some((_, buffer)) = own.iter().find(|(k, _)| *k == key) {
            return Some(Arc::clone(buffer));
        }
        // Buffers of writers that are gone (only this thread still holds them).
        own.retain(|(_, buffer)| Arc::strong_count(buffer) > 1);
        let buffer = create();
        own.push((key, Arc::clone(&buffer)));
        Some(buffer)
    })
    .ok()
    .flatten()
}

/// Whether a thread other than the caller may still push to `buffer` (the writer holds one
/// reference, each thread that uses it another).
pub(super) fn in_use(buffer: &Arc<ThreadBuffer>) -> bool {
    Arc::strong_count(buffer) > 1
}

/// The lines of all `runs`, merged by record time; lines of one run keep their order, and
/// equal times keep the order of the runs.
///
/// The run with the earliest next line gives lines as long as they come before the earliest
/// next line of the others, which a heap keeps: a heap operation per switch between runs, not
/// per line, and O(log runs) each, so that many threads merge as cheaply as a few.
pub(super) fn merged(runs: &[Lines]) -> impl Iterator<Item = (UnixTime, &[u8])> {
    // The next line of each run waiting, as (time, run): run order breaks ties.
    let mut waiting: BinaryHeap<Reverse<(UnixTime, usize)>> = runs
        .iter()
        .enumerate()
        .filter_map(|(r, run)| run.ends.first().map(|&(at, _)| Reverse((at, r))))
        .collect();
    let mut next = vec![0; runs.len()];
    let mut current: Option<usize> = None;
    std::iter::from_fn(move || {
        if let Some(r) = current {
            let i = next[r];
            if let Some(&(at, _)) = runs[r].ends.get(i) {
                let first = waiting.peek().is_none_or(|Reverse(other)| (at, r) < *other);
                if first {
                    next[r] += 1;
                    return Some(runs[r].line(i));
                }
                waiting.push(Reverse((at, r)));
            }
        }
        let Reverse((_, r)) = waiting.pop()?;
        let i = next[r];
        next[r] += 1;
        current = Some(r);
        Some(runs[r].line(i))
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn run(lines: &[(u64, &str)]) -> Lines {
        let mut run = Lines::default();
        for (ms, text) in lines {
            run.push(
                text.as_bytes(),
                UnixTime::from(UNIX_EPOCH + Duration::from_millis(*ms)),
            );
        }
        run
    }

    fn merge(runs: &[Lines]) -> Vec<String> {
        merged(runs)
            .map(|(_, line)| String::from_utf8_lossy(line).into_owned())
            .collect()
    }

    #[test]
    fn runs_merge_by_time_and_keep_their_own_order() {
        let runs = [
            run(&[(1, "a1"), (4, "a4"), (2, "a2 late stamp")]),
            Lines::default(),
            run(&[(3, "b3"), (4, "b4")]),
        ];
        assert_eq!(
            merge(&runs),
            ["a1", "b3", "a4", "a2 late stamp", "b4"],
            "equal times keep run order; a run's own order wins over its stamps"
        );
    }

    proptest::proptest! {
        /// Every line comes out once; each run's lines in their order; and when every run is
        /// in time order (as a thread's records are, unless the clock is set back), so is the
        /// whole, ties in the order of the runs.
        #[test]
        fn merging_keeps_every_line_and_each_runs_order(
            runs in proptest::collection::vec(
                proptest::collection::vec(0u64..20, 0..12), 0..12),
            sort in proptest::bool::ANY,
        ) {
            let runs: Vec<Vec<(u64, String)>> = runs
                .into_iter()
                .enumerate()
                .map(|(r, mut times)| {
                    if sort {
                        times.sort_unstable();
                    }
                    times.into_iter().enumerate().map(|(i, ms)| (ms, format!("{r}.{i}"))).collect()
                })
                .collect();
            let lines: Vec<Lines> = runs
                .iter()
                .map(|lines| {
                    let pairs: Vec<(u64, &str)> = lines.iter().map(|(ms, text)| (*ms, text.as_str())).collect();
                    run(&pairs)
                })
                .collect();
            let out = merge(&lines);
            let total: usize = runs.iter().map(Vec::len).sum();
            proptest::prop_assert_eq!(out.len(), total);
            for (r, lines) in runs.iter().enumerate() {
                let mine: Vec<&str> = out
                    .iter()
                    .filter(|line| line.split('.').next() == Some(&r.to_string()))
                    .map(String::as_str)
                    .collect();
                let expected: Vec<&str> = lines.iter().map(|(_, text)| text.as_str()).collect();
                proptest::prop_assert_eq!(mine, expected);
            }
            if sort {
                let time_of = |line: &str| {
                    let (r, i) = line.split_once('.').unwrap();
                    let (r, i): (usize, usize) = (r.parse().unwrap(), i.parse().unwrap());
                    (runs[r][i].0, r)
                };
                let keys: Vec<(u64, usize)> = out.iter().map(|line| time_of(line)).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                proptest::prop_assert_eq!(keys, sorted);
            }
        }
    }

    #[test]
    fn dropping_the_oldest_keeps_whole_newest_lines_within_the_limit() {
        let mut lines = run(&[(1, "aaaa\n"), (2, "bb\n"), (3, "cccccc\n"), (4, "d\n")]);
        assert_eq!(lines.drop_oldest(100), 0);
        assert_eq!(lines.drop_oldest(9), 2, "5 + 3 bytes go, 7 + 2 stay");
        assert_eq!(lines.bytes(), b"cccccc\nd\n");
        let kept: Vec<_> = lines.iter().map(|(at, l)| (at, l.to_vec())).collect();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1].1, b"d\n");
        assert_eq!(lines.drop_oldest(0), 2);
        assert!(lines.is_empty() && lines.bytes().is_empty());
    }

    #[test]
    fn a_line_at_capacity_is_never_buffered() {
        let lines = run(&[(0, "abc")]);
        assert!(fits(&lines, b"1234567", 10));
        assert!(!fits(&lines, b"12345678", 10));
        assert!(!fits(&Lines::default(), b"0123456789", 10));
    }

    #[test]
    fn written_storage_is_emptied_with_room_for_twice_its_lines_within_the_capacity() {
        let mut lines = run(&[(0, "aaaa"), (1, "bb"), (2, "c")]);
        lines.clear_and_ready(100);
        assert!(lines.is_empty() && lines.bytes().is_empty());
        assert!(
            lines.bytes.capacity() >= 14 && lines.ends.capacity() >= 6,
            "twice 7 bytes, 3 lines"
        );
        lines.push(b"0123456789012345678", UnixTime::EPOCH);
        lines.clear_and_ready(30);
        assert!(lines.bytes.capacity() >= 30, "twice 19 bytes, capped at 30");
        // Room it has already is kept: the next fill may be as large as the last.
        lines.clear_and_ready(30);
        assert!(lines.bytes.capacity() >= 30);
    }
}
