//! The per-thread buffer every sink formats into, so a record allocates nothing.

use std::cell::RefCell;

/// Past this capacity a buffer is released after use: one huge record must not pin its memory
/// in every thread that ever logged one.
const KEEP_CAPACITY: usize = 64 * 1024;

thread_local! {
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Calls `f` with an empty buffer, reused across calls on this thread.
///
/// Formatting happens here, outside any sink lock; the sink then takes its lock only to write
/// the finished line. A nested call (a formatter that logs to another sink directly) or a call
/// while the thread is being torn down gets a fresh buffer instead of failing.
pub(crate) fn with_line_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut f = Some(f);
    let reused = LINE.try_with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        let f = f.take()?;
        buf.clear();
        let result = f(&mut buf);
        if buf.capacity() > KEEP_CAPACITY {
            *buf = Vec::new();
        }
        Some(result)
    });
    match reused {
        Ok(Some(result)) => result,
        _ => {
            let f = f
                .take()
                .expect("`f` is taken only on the path that runs it and returns its result");
            f(&mut Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_is_empty_on_entry_and_reused() {
        let first = with_line_buffer(|buf| {
            assert!(buf.is_empty());
            buf.extend_from_slice(b"abc");
            buf.as_ptr() as usize
        });
        let second = with_line_buffer(|buf| {
            assert!(buf.is_empty());
            buf.extend_from_slice(b"x");
            buf.as_ptr() as usize
        });
        assert_eq!(first, second);
    }

    #[test]
    fn nested_calls_get_their_own_buffer() {
        with_line_buffer(|outer| {
            outer.extend_from_slice(b"outer");
            with_line_buffer(|inner| {
                assert!(inner.is_empty());
                inner.extend_from_slice(b"inner");
            });
            assert_eq!(outer, b"outer");
        });
    }

    #[test]
    fn huge_buffers_are_released() {
        with_line_buffer(|buf| buf.resize(KEEP_CAPACITY * 2, b'x'));
        with_line_buffer(|buf| assert!(buf.capacity() <= KEEP_CAPACITY));
    }
}
