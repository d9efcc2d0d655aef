//! The per-second cache: two seqlock slots, picked by the parity of the second, each holding
//! `W` words for one second. The clock keeps its date-time text in one; a pattern keeps the
//! text of each whole-second part of a strftime layout in another ([`SecondText`]).

use std::fmt;
use std::sync::atomic::{fence, AtomicI64, AtomicU64, Ordering};

use crate::Error;

/// `W` words per second for the last two seconds seen (one even, one odd).
pub(crate) struct PerSecond<const W: usize> {
    slots: [Slot<W>; 2],
}

impl<const W: usize> PerSecond<W> {
    pub(crate) const fn new() -> PerSecond<W> {
        PerSecond {
            slots: [Slot::new(), Slot::new()],
        }
    }

    /// The words cached for `second`, if they are there and not being replaced.
    #[inline]
    pub(crate) fn get(&self, second: i64) -> Option<[u64; W]> {
        self.slots[(second & 1) as usize].read(second)
    }

    /// Caches the words of `second`, unless another thread is caching its slot right now.
    pub(crate) fn put(&self, second: i64, words: [u64; W]) {
        self.slots[(second & 1) as usize].publish(second, words);
    }
}

/// One cached second: a seqlock over atomics, so a torn read is detected, never undefined
/// behaviour.
struct Slot<const W: usize> {
    /// Odd while a thread publishes; 0 while the slot has never been filled.
    seq: AtomicU64,
    second: AtomicI64,
    words: [AtomicU64; W],
}

impl<const W: usize> Slot<W> {
    const fn new() -> Slot<W> {
        Slot {
            seq: AtomicU64::new(0),
            second: AtomicI64::new(0),
            words: [const { AtomicU64::new(0) }; W],
        }
    }

    #[inline]
    fn read(&self, second: i64) -> Option<[u64; W]> {
        let seq = self.seq.load(Ordering::Acquire);
        if seq == 0 || seq & 1 == 1 || self.second.load(Ordering::Relaxed) != second {
            return None;
        }
        let words = std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
        // Orders the loads above before the re-check: if any of them saw a concurrent
        // publication, the re-check sees its odd sequence number or a later one.
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != seq {
            return None;
        }
        Some(words)
    }

    /// Publishes a second's words unless another thread is publishing (then its caller simply
    /// goes on with the words it computed).
    fn publish(&self, second: i64, words: [u64; W]) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq & 1 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // Keeps the data stores below after the odd sequence number, for readers.
        fence(Ordering::Release);
        self.second.store(second, Ordering::Relaxed);
        for (slot, word) in self.words.iter().zip(words) {
            slot.store(word, Ordering::Relaxed);
        }
        self.seq.store(seq + 2, Ordering::Release);
    }
}

/// Words of [`SecondText`]: 63 bytes of text and its length.
const TEXT_WORDS: usize = 8;

/// Text that depends only on the second (a strftime layout without fractions of a second),
/// rendered once per second. Text longer than 63 bytes is rendered for every record.
pub struct SecondText(PerSecond<TEXT_WORDS>);

impl SecondText {
    /// An empty cache.
    pub const fn new() -> SecondText {
        SecondText(PerSecond::new())
    }

    /// Appends the text of `second`: the cached one, or what `render` appends (then cached).
    ///
    /// # Errors
    /// What `render` returns.
    #[inline]
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        second: i64,
        render: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if let Some(words) = self.0.get(second) {
            let len = usize::from(words[TEXT_WORDS - 1].to_ne_bytes()[7]);
            let at = out.len();
            // Whole words, as the clock writes its text, then cut to the length.
            for word in &words[..len.div_ceil(8)] {
                out.extend_from_slice(&word.to_ne_bytes());
            }
            out.truncate(at + len);
            return Ok(());
        }
        let at = out.len();
        render(out)?;
        let text = &out[at..];
        if text.len() < TEXT_WORDS * 8 {
            let mut bytes = [0u8; TEXT_WORDS * 8];
            bytes[..text.len()].copy_from_slice(text);
            bytes[TEXT_WORDS * 8 - 1] = text.len() as u8;
            let words = std::array::from_fn(|i| {
                let mut eight = [0u8; 8];
                eight.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
                u64::from_ne_bytes(eight)
            });
            self.0.put(second, words);
        }
        Ok(())
    }
}

impl Default for SecondText {
    fn default() -> SecondText {
        SecondText::new()
    }
}

impl Clone for SecondText {
    /// An empty cache: the cache is an optimisation, not state.
    fn clone(&self) -> SecondText {
        SecondText::new()
    }
}

impl fmt::Debug for SecondText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecondText")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(cache: &SecondText, second: i64, text: &str) -> String {
        let mut out = b">".to_vec();
        cache
            .write(&mut out, second, |out| {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            })
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn second_text_is_rendered_once_per_second_and_any_length_works() {
        let cache = SecondText::new();
        assert_eq!(write(&cache, 5, "five"), ">five");
        // A hit ignores what the renderer would write.
        assert_eq!(write(&cache, 5, "other"), ">five");
        assert_eq!(write(&cache, 6, "six"), ">six");
        assert_eq!(write(&cache, 5, "ignored"), ">five");
        assert_eq!(write(&cache, 7, "seven"), ">seven");
        assert_eq!(write(&cache, 5, "new five"), ">new five");
        for len in [0, 1, 7, 8, 9, 62, 63, 64, 100] {
            let text = "x".repeat(len);
            let second = 100 + len as i64 * 2;
            assert_eq!(write(&cache, second, &text), format!(">{text}"));
            let hit = if len < 64 {
                text.clone()
            } else {
                "again".to_owned()
            };
            assert_eq!(write(&cache, second, "again"), format!(">{hit}"));
        }
    }

    #[test]
    fn a_render_error_is_returned_and_nothing_cached() {
        let cache = SecondText::new();
        let err = cache.write(&mut Vec::new(), 1, |_| Err(Error::from(fmt::Error)));
        assert!(err.is_err());
        assert_eq!(write(&cache, 1, "ok"), ">ok");
    }
}
