//! The tree's table of target -> level filter, read first on every facade call.
//!
//! A disabled `debug!` in a hot loop is the call a logger pays for most often, and the
//! facade's `log` is where it pays. The thread's route cache answers it too, but a
//! thread-local is compiled as a call (the linker only later turns it into a load), so a
//! function that touches one saves registers on entry, and that cost as much as the whole
//! lookup. This table is plain atomics in the tree: `log` reads it without touching a
//! thread-local and without saving a register, and calls out only when the target is not
//! known to be disabled.
//!
//! Each slot is a small seqlock: a writer claims a slot by swapping its stamp for
//! [`WRITING`], writes, then stamps it with its generation; a reader accepts what it read only
//! when the stamp is the current generation both before and after. Generations are unique
//! across trees and only grow, and a slot is only ever restamped with a larger one, so an
//! unchanged stamp means that no write happened in between. A slot is written at most once
//! per generation: a target whose slot another target took stays a miss, which only means
//! the slower path.

use std::sync::atomic::{fence, AtomicU64, Ordering};

use crate::LevelFilter;

/// Slots per tree: 64 bytes each, 4 KiB in all.
const SLOTS: usize = 64;
/// Longest target the table holds: four 8-byte words.
const MAX_LEN: usize = 32;
/// The stamp of a slot being written.
const WRITING: u64 = u64::MAX;

/// One target and its logger's level filter, valid for the generation in `stamp`.
#[repr(align(64))]
struct Slot {
    /// 0 (empty: generations start at 1), [`WRITING`], or the [`stamp`] of the generation it
    /// was written in and of its target's length.
    stamp: AtomicU64,
    /// The target packed by [`with_key_words`]; words past those of its length are 0.
    words: [AtomicU64; 4],
    /// The filter as a `log::LevelFilter` number, so that a check compares the record's level
    /// as it comes.
    filter: AtomicU64,
}

/// See the [module documentation](self).
pub(crate) struct LevelTable {
    slots: [Slot; SLOTS],
}

impl LevelTable {
    pub(crate) fn new() -> LevelTable {
        LevelTable {
            slots: std::array::from_fn(|_| Slot {
                stamp: AtomicU64::new(0),
                words: std::array::from_fn(|_| AtomicU64::new(0)),
                filter: AtomicU64::new(0),
            }),
        }
    }

    /// Whether the table knows that a record of `level` for `target` is disabled in
    /// `generation`.
    #[inline(always)]
    pub(crate) fn disables(&self, generation: u64, target: &str, level: log::Level) -> bool {
        self.filter(generation, target)
            .is_some_and(|filter| level as u64 > filter)
    }

    /// The level filter of `target` in `generation` (as a `log::LevelFilter` number), if the
    /// table holds it.
    #[inline(always)]
    pub(crate) fn filter(&self, generation: u64, target: &str) -> Option<u64> {
        with_key_words(target.as_bytes(), |words| {
            let slot = self.slot(words);
            let stamp = stamp(generation, target);
            if slot.stamp.load(Ordering::Acquire) != stamp {
                return None;
            }
            for (word, stored) in words.iter().zip(&slot.words) {
                if *word != stored.load(Ordering::Relaxed) {
                    return None;
                }
            }
            let filter = slot.filter.load(Ordering::Relaxed);
            // Orders the reads above before the second look at the stamp.
            fence(Ordering::Acquire);
            if slot.stamp.load(Ordering::Relaxed) != stamp {
                return None;
            }
            Some(filter)
        })
        .flatten()
    }

    /// Records that `target` has the level filter `filter` in `generation`, unless its slot
    /// already holds a target of that generation (or a later one), or is being written.
    pub(crate) fn insert(&self, generation: u64, target: &str, filter: LevelFilter) {
        with_key_words(target.as_bytes(), |words| {
            let slot = self.slot(words);
            let old = slot.stamp.load(Ordering::Relaxed);
            if old >= stamp(generation, "")
                || slot
                    .stamp
                    .compare_exchange(old, WRITING, Ordering::Acquire, Ordering::Relaxed)
                    .is_err()
            {
                return;
            }
            // Keeps the writes below after the claim, as readers see them.
            fence(Ordering::Release);
            for (i, stored) in slot.words.iter().enumerate() {
                stored.store(words.get(i).copied().unwrap_or(0), Ordering::Relaxed);
            }
            slot.filter
                .store(log::LevelFilter::from(filter) as u64, Ordering::Relaxed);
            slot.stamp
                .store(stamp(generation, target), Ordering::Release);
        });
    }

    /// The slot of a target, chosen by a multiplicative hash of its first and last words
    /// (module paths tend to share a start or an end, seldom both).
    #[inline(always)]
    fn slot(&self, words: &[u64]) -> &Slot {
        let first = words.first().copied().unwrap_or(0);
        let last = words.last().copied().unwrap_or(0);
        let mixed = (first ^ last).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The top bits of the product are its best mixed.
        let index = (mixed >> (u64::BITS - SLOTS.trailing_zeros())) as usize;
        &self.slots[index % SLOTS]
    }
}

/// A slot's stamp for `target` in `generation`: both in one word, so that one compare checks
/// them. Generations only grow and a length takes the low 6 bits, so stamps of later
/// generations are larger (a generation would have to reach 2^58 to overflow).
#[inline(always)]
fn stamp(generation: u64, target: &str) -> u64 {
    generation << 6 | target.len() as u64
}

/// Calls `f` with `bytes` (at most [`MAX_LEN`] of them) packed into up to four words, such
/// that two texts of the same length are equal exactly when their words are: each length reads
/// fixed, overlapping offsets that cover every byte. This is what lets a check skip `memcmp`;
/// `f` sees as many words as the length needs, so that a check compares no more. `None` when
/// longer.
#[inline(always)]
fn with_key_words<R>(bytes: &[u8], f: impl FnOnce(&[u64]) -> R) -> Option<R> {
    let len = bytes.len();
    let byte = |at: usize| bytes.get(at).map_or(0, |&b| u64::from(b));
    // The usual lengths of module paths first: each test costs every later case a branch.
    Some(if (8..=16).contains(&len) {
        f(&[u64_at(bytes, 0), u64_at(bytes, len - 8)])
    } else if (17..=MAX_LEN).contains(&len) {
        f(&[
            u64_at(bytes, 0),
            u64_at(bytes, 8),
            u64_at(bytes, len - 16),
            u64_at(bytes, len - 8),
        ])
    } else if (4..8).contains(&len) {
        f(&[u32_at(bytes, 0), u32_at(bytes, len - 4)])
    } else if (1..4).contains(&len) {
        f(&[byte(0) | byte(len / 2) << 8 | byte(len - 1) << 16])
    } else if len == 0 {
        f(&[])
    } else {
        return None;
    })
}

/// The 8 bytes of `bytes` from `at`; the callers keep them in range (out of range reads as
/// zero rather than panicking).
#[inline(always)]
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The 4 bytes of `bytes` from `at`, like [`u64_at`].
#[inline(always)]
fn u32_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 4)
        .and_then(|w| w.try_into().ok())
        .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    fn packed(text: &str) -> Option<Vec<u64>> {
        with_key_words(text.as_bytes(), <[u64]>::to_vec)
    }

    const FILTERS: [LevelFilter; 6] = [
        LevelFilter::Trace,
        LevelFilter::Debug,
        LevelFilter::Info,
        LevelFilter::Warn,
        LevelFilter::Error,
        LevelFilter::Off,
    ];

    /// Every byte of every length the table holds is covered by the packed words: changing
    /// any one of them changes the words. This is what lets a lookup skip comparing texts.
    #[test]
    fn packed_words_differ_for_texts_that_differ_in_any_byte() {
        for len in 0..=MAX_LEN {
            let text = "abcdefghijklmnopqrstuvwxyz0123456789"[..len].to_owned();
            for at in 0..len {
                let mut other = text.clone().into_bytes();
                other[at] = b'_';
                let other = String::from_utf8(other).expect("ASCII stays UTF-8");
                assert_ne!(packed(&text), packed(&other), "len {len}, byte {at}");
            }
        }
        assert_eq!(packed(&"a".repeat(MAX_LEN + 1)), None);
    }

    #[test]
    fn a_target_is_known_in_its_generation_only() {
        let table = LevelTable::new();
        assert_eq!(table.filter(7, "app::db"), None);
        table.insert(7, "app::db", LevelFilter::Info);
        assert_eq!(
            table.filter(7, "app::db"),
            Some(log::LevelFilter::Info as u64)
        );
        assert!(table.disables(7, "app::db", log::Level::Debug));
        assert!(!table.disables(7, "app::db", log::Level::Info));
        assert_eq!(table.filter(8, "app::db"), None, "a later generation");
        assert_eq!(table.filter(7, "app::dc"), None, "another target");

        // A later generation takes the slot over; an earlier one cannot take it back.
        table.insert(8, "app::db", LevelFilter::Error);
        table.insert(7, "app::db", LevelFilter::Trace);
        assert_eq!(
            table.filter(8, "app::db"),
            Some(log::LevelFilter::Error as u64)
        );
        assert_eq!(table.filter(7, "app::db"), None);
    }

    #[test]
    fn an_off_target_disables_every_level_and_long_targets_are_never_held() {
        let table = LevelTable::new();
        table.insert(1, "", LevelFilter::Off);
        assert!(table.disables(1, "", log::Level::Error));
        let long = "a::".repeat(20);
        table.insert(1, &long, LevelFilter::Off);
        assert!(!table.disables(1, &long, log::Level::Error));
    }

    proptest! {
        /// Whatever targets share slots, a lookup answers a target's own filter or nothing:
        /// never another target's, never one of a target that was not inserted.
        #[test]
        fn lookups_answer_a_targets_own_filter_or_nothing(
            targets in proptest::collection::btree_map("[a-z:_]{0,40}", 0..6usize, 0..200),
            absent in "[a-z:_]{0,40}",
        ) {
            let table = LevelTable::new();
            for (target, filter) in &targets {
                table.insert(3, target, FILTERS[*filter]);
            }
            for (target, filter) in &targets {
                let found = table.filter(3, target);
                prop_assert!(
                    found.is_none()
                        || found == Some(log::LevelFilter::from(FILTERS[*filter]) as u64),
                    "{target:?}: {found:?}"
                );
            }
            if !targets.contains_key(&absent) {
                prop_assert_eq!(table.filter(3, &absent), None);
            }
        }
    }

    /// Readers racing a writer that rewrites every slot in each new generation never see a
    /// torn slot: what they accept is the filter written for that target in that generation.
    #[test]
    fn readers_racing_writers_see_whole_slots_only() {
        let targets: Vec<String> = (0..200).map(|i| format!("app::module{i}::x")).collect();
        let filter_of = |generation: u64, i: usize| FILTERS[(generation as usize + i) % 6];
        let table = Arc::new(LevelTable::new());
        let current = Arc::new(AtomicU64::new(1));
        let done = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (table, current, done) = (table.clone(), current.clone(), done.clone());
                let (targets, reads) = (targets.clone(), reads.clone());
                std::thread::spawn(move || {
                    let mut accepted = 0u64;
                    while !done.load(Ordering::Relaxed) {
                        let generation = current.load(Ordering::Acquire);
                        for (i, target) in targets.iter().enumerate() {
                            if let Some(found) = table.filter(generation, target) {
                                let expected = log::LevelFilter::from(filter_of(generation, i));
                                assert_eq!(found, expected as u64, "{target} in {generation}");
                                accepted += 1;
                                reads.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    accepted
                })
            })
            .collect();
        // At least 2,000 generations, and on until the readers have accepted 1,000 slots
        // while the writer was at it (on a loaded machine they may not run before 2,000 are
        // done); a table that never answers stops at 1,000,000 and fails below.
        for generation in 2..1_000_000 {
            current.store(generation, Ordering::Release);
            for (i, target) in targets.iter().enumerate() {
                table.insert(generation, target, filter_of(generation, i));
            }
            if generation >= 2_000 && reads.load(Ordering::Relaxed) >= 1_000 {
                break;
            }
        }
        done.store(true, Ordering::Relaxed);
        let accepted: u64 = readers
            .into_iter()
            .map(|r| r.join().expect("a reader saw a torn slot"))
            .sum();
        assert!(accepted > 0, "the readers must have read something");
    }
}
