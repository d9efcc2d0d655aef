//! The layer: tracing events in, the tree's records out.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use log::Log as _;
use logtree_core::{ChangeHook, LoggerTree};
use tracing_core::span::{Attributes, Id, Record as SpanValues};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Event, Level, LevelFilter, Metadata};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::fields::{Fields, Recorder};

/// A [`tracing_subscriber::Layer`] that hands every `tracing` event to a [`LoggerTree`], as
/// the `log` bridge hands `log` records.
///
/// An event becomes a record of its target's logger (`hyper::proto::h1` -> `hyper.proto.h1`,
/// or its nearest existing ancestor), with its level, its `message` field as the message, its
/// other fields as key-values (numbers and booleans keep their type, for the JSON formatter),
/// and its file, line and module path. The fields of the spans it happens in come first, as
/// key-values too: per span from the outermost, `span.name` and then the span's fields. It then
/// takes the same way as a `log` record: the logger's level, propagation, each sink's level, the
/// error handler, the thread name.
///
/// The tree's levels also decide which callsites `tracing` calls at all: a callsite below its
/// logger's level is disabled once ([`Interest::never`]), so that a disabled `tracing::debug!`
/// costs a load and a branch, and every change to the tree's levels re-enables or disables
/// the callsites it concerns. Spans are filtered by the same rule as events. As any filtering
/// layer, it filters for the whole subscriber: to combine it with a layer that wants other
/// events, give that layer a filter of its own (`Layer::with_filter`).
///
/// ```
/// use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};
/// use logtree_tracing::LogtreeLayer;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let tree = LoggerTree::new();
/// let lines = MemorySink::new();
/// tree.setup_logger("shop", SetupOptions::new().level(LevelFilter::Info).sink(lines.clone()))?;
/// let subscriber = tracing_subscriber::registry().with(LogtreeLayer::new(tree.clone()));
///
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!(target: "shop::cart", "checkout", user = "ann");
///     let _entered = span.enter();
///     tracing::info!(target: "shop::cart", items = 3, "paid");
///     tracing::debug!(target: "shop::cart", "below the logger's level");
/// });
/// assert_eq!(
///     lines.lines(),
///     ["INFO shop.cart - paid span.name=checkout user=ann items=3"]
/// );
/// # Ok::<(), logtree_core::Error>(())
/// ```
pub struct LogtreeLayer {
    tree: LoggerTree,
    /// Rebuilds `tracing`'s callsite interest after each change to the tree.
    _rebuild: ChangeHook,
}

impl LogtreeLayer {
    /// A layer feeding `tree`.
    pub fn new(tree: LoggerTree) -> LogtreeLayer {
        let rebuild = tree.on_change(tracing_core::callsite::rebuild_interest_cache);
        LogtreeLayer {
            tree,
            _rebuild: rebuild,
        }
    }

    /// A layer feeding the process-wide tree ([`LoggerTree::global`]), the one that
    /// [`LoggerTree::setup`] configures and the `log` bridge feeds.
    pub fn global() -> LogtreeLayer {
        LogtreeLayer::new(LoggerTree::global().clone())
    }

    /// The tree this layer feeds.
    pub fn tree(&self) -> &LoggerTree {
        &self.tree
    }

    /// Whether the tree would create a record for `metadata` (an event's, or a span's).
    fn tree_enables(&self, metadata: &Metadata<'_>) -> bool {
        self.tree.enabled(
            &log::Metadata::builder()
                .level(log_level(*metadata.level()))
                .target(metadata.target())
                .build(),
        )
    }

    /// Captures `event` and the fields of its spans into `scratch`, then dispatches it.
    fn deliver<S>(&self, scratch: &mut Scratch, event: &Event<'_>, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        scratch.message.clear();
        scratch.fields.clear();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                scratch.fields.push_static("span.name", span.name());
                if let Some(own) = span.extensions().get::<SpanFields>() {
                    scratch.fields.extend_from(&own.0);
                }
            }
        }
        let Scratch { message, fields } = scratch;
        // A field's `Debug` is the caller's code: if it panics, the record still goes out with
        // what was captured, and says so.
        if catch_unwind(AssertUnwindSafe(|| {
            event.record(&mut Recorder::event(fields, message));
        }))
        .is_err()
        {
            fields.push_static(
                "logtree.error",
                "a field panicked while it was being formatted",
            );
        }
        let metadata = event.metadata();
        self.tree.log(
            &log::Record::builder()
                .level(log_level(*metadata.level()))
                .target(metadata.target())
                .module_path_static(metadata.module_path())
                .file_static(metadata.file())
                .line(metadata.line())
                .key_values(&*fields)
                .args(format_args!("{message}"))
                .build(),
        );
    }
}

impl std::fmt::Debug for LogtreeLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogtreeLayer")
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

/// A span's own fields, kept in its registry extensions.
struct SpanFields(Fields);

/// What an event is captured into: kept per thread and reused, so that a record costs no
/// allocation once the buffers have grown.
#[derive(Default)]
struct Scratch {
    message: String,
    fields: Fields,
}

/// The most text a thread's [`Scratch`] keeps between events: one huge event must not hold
/// its memory for the life of the thread.
const SCRATCH_KEPT_BYTES: usize = 64 * 1024;

impl Scratch {
    /// Lets go of buffers that one large event grew past [`SCRATCH_KEPT_BYTES`].
    fn trim(&mut self) {
        if self.message.capacity() > SCRATCH_KEPT_BYTES {
            self.message = String::new();
        }
        self.fields.trim(SCRATCH_KEPT_BYTES);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl<S> Layer<S> for LogtreeLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Decided once per callsite; `rebuild_interest_cache` (after every change to the tree)
        // asks again.
        if self.tree_enables(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.tree_enables(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(tracing_level_filter(self.tree.max_level()))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        // As for events: a panicking `Debug` loses that field only.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            attrs.record(&mut Recorder::span(&mut fields));
        }));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &SpanValues<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                values.record(&mut Recorder::span(fields));
            }));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // The callsite's interest may be another subscriber's (a scoped one in a test, say):
        // the tree decides for itself before capturing anything.
        if !self.tree_enables(event.metadata()) {
            return;
        }
        let delivered = SCRATCH.try_with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                self.deliver(&mut scratch, event, &ctx);
                scratch.trim();
            }
            // An event logged while formatting another's field: its own buffers.
            Err(_) => self.deliver(&mut Scratch::default(), event, &ctx),
        });
        if delivered.is_err() {
            // The thread's locals are being torn down.
            self.deliver(&mut Scratch::default(), event, &ctx);
        }
    }
}

/// `tracing`'s level as `log`'s: the same five levels.
fn log_level(level: Level) -> log::Level {
    match level {
        Level::ERROR => log::Level::Error,
        Level::WARN => log::Level::Warn,
        Level::INFO => log::Level::Info,
        Level::DEBUG => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

/// The tree's level filter as `tracing`'s.
fn tracing_level_filter(filter: logtree_core::LevelFilter) -> LevelFilter {
    use logtree_core::LevelFilter as Tree;
    match filter {
        Tree::Trace => LevelFilter::TRACE,
        Tree::Debug => LevelFilter::DEBUG,
        Tree::Info => LevelFilter::INFO,
        Tree::Warn => LevelFilter::WARN,
        Tree::Error => LevelFilter::ERROR,
        Tree::Off => LevelFilter::OFF,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_one_to_one() {
        assert_eq!(log_level(Level::ERROR), log::Level::Error);
        assert_eq!(log_level(Level::WARN), log::Level::Warn);
        assert_eq!(log_level(Level::INFO), log::Level::Info);
        assert_eq!(log_level(Level::DEBUG), log::Level::Debug);
        assert_eq!(log_level(Level::TRACE), log::Level::Trace);
        use logtree_core::LevelFilter as Tree;
        for (tree, tracing) in [
            (Tree::Trace, LevelFilter::TRACE),
            (Tree::Debug, LevelFilter::DEBUG),
            (Tree::Info, LevelFilter::INFO),
            (Tree::Warn, LevelFilter::WARN),
            (Tree::Error, LevelFilter::ERROR),
            (Tree::Off, LevelFilter::OFF),
        ] {
            assert_eq!(tracing_level_filter(tree), tracing);
        }
    }
}
