//! The `Sink` trait: where records go.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::{Error, LevelFilter, Record};

/// A destination for records: the console, a file, a test's memory.
///
/// Object-safe, `Send + Sync`, every method takes `&self`: a sink that needs mutable state
/// keeps it behind its own lock, and holds that lock only to write one whole line. A downstream
/// crate implements a sink with `logtree-core` as its only dependency.
///
/// Errors returned from [`log`](Sink::log) never reach the code that logged: the tree hands them
/// to its error handler and goes on with the other sinks. A sink that panics is caught the same
/// way.
///
/// ```
/// use std::sync::Mutex;
/// use logtree_core::{Error, Formatter, LevelFilter, PlainFormatter, Record, Sink, SinkId};
///
/// /// Counts bytes instead of writing them.
/// struct CountingSink { id: SinkId, bytes: Mutex<usize> }
///
/// impl Sink for CountingSink {
///     fn id(&self) -> SinkId { self.id.clone() }
///     fn log(&self, record: &Record<'_>) -> Result<(), Error> {
///         let mut line = Vec::new();
///         PlainFormatter.format(record, &mut line)?;
///         *self.bytes.lock().unwrap() += line.len();
///         Ok(())
///     }
///     fn flush(&self) -> Result<(), Error> { Ok(()) }
/// }
///
/// let sink = CountingSink { id: SinkId::unique("counting"), bytes: Mutex::new(0) };
/// sink.log(&Record::builder().logger("app").args(format_args!("hi")).build()).unwrap();
/// assert_eq!(*sink.bytes.lock().unwrap(), "INFO app - hi\n".len());
/// assert_eq!(sink.level(), LevelFilter::Trace);
/// ```
pub trait Sink: Send + Sync {
    /// The sink's identity: two sinks with the same id write to the same place (`stdout`, a
    /// file's canonical path), so a logger never gets both and no line is written twice.
    fn id(&self) -> SinkId;

    /// The sink's own threshold, checked for every record that reaches it (propagated ones
    /// too). By default everything passes.
    fn level(&self) -> LevelFilter {
        LevelFilter::Trace
    }

    /// Writes one record.
    ///
    /// # Errors
    /// Any failure to write; the tree reports it through its error handler.
    fn log(&self, record: &Record<'_>) -> Result<(), Error>;

    /// Pushes buffered records to the operating system.
    ///
    /// # Errors
    /// Any failure to write what was buffered.
    fn flush(&self) -> Result<(), Error>;

    /// Flushes and releases what the sink holds (background threads, say) at tree shutdown.
    /// The default flushes.
    ///
    /// # Errors
    /// As [`flush`](Sink::flush).
    fn shutdown(&self) -> Result<(), Error> {
        self.flush()
    }
}

macro_rules! forward_sink {
    ($($ptr:ty),*) => {$(
        impl<S: Sink + ?Sized> Sink for $ptr {
            fn id(&self) -> SinkId {
                (**self).id()
            }
            fn level(&self) -> LevelFilter {
                (**self).level()
            }
            fn log(&self, record: &Record<'_>) -> Result<(), Error> {
                (**self).log(record)
            }
            fn flush(&self) -> Result<(), Error> {
                (**self).flush()
            }
            fn shutdown(&self) -> Result<(), Error> {
                (**self).shutdown()
            }
        }
    )*};
}

forward_sink!(&S, Box<S>, Arc<S>);

/// The identity of a sink: what it writes to.
///
/// The tree attaches a sink identity to a logger once and hands a record to each identity
/// once, so that setting a logger up again, or a module setting up its own logger with its
/// parent's console, never writes a line twice. The other side of that promise: **two
/// instances that return the same id are one sink to the tree**. The second one set up on a
/// logger (or reached by propagation) is skipped without a word. So an id must name the
/// destination, not the kind of sink:
///
/// - a sink that writes to a shared destination names it: `SinkId::new("stdout")`, a file's
///   canonical path, a URL with its port;
/// - a sink that owns its destination (a buffer in memory, a test collector) takes
///   [`SinkId::unique`], computed once when it is built and returned by every call to
///   [`Sink::id`];
/// - never a constant such as `SinkId::new("my-sink")` for a type that can have two instances
///   writing to different places: the second would never receive a record.
///
/// ```
/// use logtree_core::SinkId;
/// assert_eq!(SinkId::new("stdout"), SinkId::new("stdout"));
/// assert_ne!(SinkId::unique("memory"), SinkId::unique("memory"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SinkId(Arc<str>);

impl SinkId {
    /// An identity for a named destination (`"stdout"`, a canonical path).
    pub fn new(id: impl AsRef<str>) -> SinkId {
        SinkId(Arc::from(id.as_ref()))
    }

    /// A fresh identity, unequal to every other, for a sink that owns its destination
    /// (`memory#7`).
    pub fn unique(kind: &str) -> SinkId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SinkId::new(format!("{kind}#{}", NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
