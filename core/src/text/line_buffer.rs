//! The per-thread buffer every sink formats into, so a record allocates nothing.

use std::cell::RefCell;
use std::mem;
use std::ops::{Deref, DerefMut};

/// Past this capacity a buffer is released after use: one huge record must not pin its memory
/// in every thread that ever logged one.
const KEEP_CAPACITY: usize = 64 * 1024;

thread_local! {
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// This thread's line buffer, empty, lent until the guard drops.
///
/// Formatting happens in it outside any sink lock; the sink then takes its lock only to write
/// the finished line. A nested use (a formatter that logs to another sink directly) or a use
/// while the thread is being torn down gets a fresh buffer instead of failing.
///
/// A guard rather than a function taking a closure, so that a sink's `log` can end with the
/// write it returns: a closure's `Result<(), Error>` was copied out of the helper whole, and
/// that copy read the 8-byte tag just written with 16-byte loads, a failed store-to-load
/// forward that perf put at ~4% of a buffered record's time.
pub struct LineBuffer(Vec<u8>);

impl LineBuffer {
    /// Takes this thread's buffer, leaving an empty vector for a nested use.
    #[inline]
    pub fn take() -> LineBuffer {
        let mut buf = LINE
            .try_with(|cell| cell.try_borrow_mut().map(|mut kept| mem::take(&mut *kept)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        buf.clear();
        LineBuffer(buf)
    }
}

impl Drop for LineBuffer {
    /// Gives the buffer back, unless it grew past 64 KiB or the thread is being torn
    /// down; then it is freed.
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() <= KEEP_CAPACITY {
            let buf = mem::take(&mut self.0);
            let _ = LINE.try_with(|cell| {
                if let Ok(mut kept) = cell.try_borrow_mut() {
                    *kept = buf;
                }
            });
        }
    }
}

impl Deref for LineBuffer {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for LineBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_is_empty_when_taken_and_reused() {
        let first = {
            let mut buf = LineBuffer::take();
            assert!(buf.is_empty());
            buf.extend_from_slice(b"abc");
            buf.as_ptr() as usize
        };
        let mut buf = LineBuffer::take();
        assert!(buf.is_empty());
        buf.extend_from_slice(b"x");
        assert_eq!(buf.as_ptr() as usize, first);
    }

    #[test]
    fn nested_uses_get_their_own_buffer() {
        let mut outer = LineBuffer::take();
        outer.extend_from_slice(b"outer");
        {
            let mut inner = LineBuffer::take();
            assert!(inner.is_empty());
            inner.extend_from_slice(b"inner");
        }
        assert_eq!(&outer[..], b"outer");
    }

    #[test]
    fn huge_buffers_are_released() {
        LineBuffer::take().resize(KEEP_CAPACITY * 2, b'x');
        assert!(LineBuffer::take().capacity() <= KEEP_CAPACITY);
    }
}
