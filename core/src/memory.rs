//! A sink that keeps formatted records in memory, for tests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{
    AtomicLevelFilter, Error, Formatter, LevelFilter, PlainFormatter, Record, Sink, SinkId,
};

/// Keeps every record it receives as a formatted line, for assertions in tests (yours and
/// ours). Clones share the same lines, so keep one clone and give another to the tree.
///
/// ```
/// use logtree_core::{Level, MemorySink, Record, Sink};
/// let sink = MemorySink::new();
/// sink.log(&Record::builder().level(Level::Warn).logger("app").args(format_args!("low disk")).build())?;
/// assert_eq!(sink.lines(), ["WARN app - low disk"]);
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone)]
pub struct MemorySink {
    inner: Arc<Inner>,
}

struct Inner {
    id: SinkId,
    level: AtomicLevelFilter,
    formatter: Box<dyn Formatter>,
    records: Mutex<Vec<String>>,
}

impl MemorySink {
    /// An empty sink formatting with [`PlainFormatter`] (`LEVEL logger - message`).
    pub fn new() -> MemorySink {
        MemorySink::with_formatter(PlainFormatter)
    }

    /// An empty sink formatting with `formatter`.
    pub fn with_formatter(formatter: impl Formatter + 'static) -> MemorySink {
        MemorySink {
            inner: Arc::new(Inner {
                id: SinkId::unique("memory"),
                level: AtomicLevelFilter::default(),
                formatter: Box::new(formatter),
                records: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Sets the sink's own level.
    pub fn set_level(&self, level: LevelFilter) {
        self.inner.level.set(level);
    }

    /// Each record received so far, formatted, without its final line ending.
    pub fn lines(&self) -> Vec<String> {
        self.records()
            .iter()
            .map(|r| r.strip_suffix('\n').unwrap_or(r).to_owned())
            .collect()
    }

    /// Everything received so far, exactly as formatted.
    pub fn contents(&self) -> String {
        self.records().concat()
    }

    /// How many records were received.
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether no record was received.
    pub fn is_empty(&self) -> bool {
        self.records().is_empty()
    }

    /// Forgets the records received so far.
    pub fn clear(&self) {
        self.records().clear();
    }

    fn records(&self) -> MutexGuard<'_, Vec<String>> {
        self.inner
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemorySink {
    fn default() -> MemorySink {
        MemorySink::new()
    }
}

impl std::fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySink")
            .field("id", &self.inner.id)
            .field("records", &self.len())
            .finish()
    }
}

impl Sink for MemorySink {
    fn id(&self) -> SinkId {
        self.inner.id.clone()
    }

    fn level(&self) -> LevelFilter {
        self.inner.level.get()
    }

    fn log(&self, record: &Record<'_>) -> Result<(), Error> {
        let mut line = Vec::new();
        self.inner.formatter.format(record, &mut line)?;
        self.records()
            .push(String::from_utf8_lossy(&line).into_owned());
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}
