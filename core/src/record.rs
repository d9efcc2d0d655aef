//! One log event, as sinks and formatters see it.

use std::fmt;
use std::time::SystemTime;

use log::kv;

use crate::{Level, UnixTime};

/// One log event: everything a sink or formatter may print about it, borrowed from the call site.
///
/// Creating one allocates nothing: the message stays a [`fmt::Arguments`] until a formatter
/// writes it. The timestamp is taken once, when the record is built, so every sink prints the
/// same instant however late it writes.
///
/// ```
/// use logtree_core::{Level, Record};
/// let record = Record::builder()
///     .level(Level::Info)
///     .logger("app.db")
///     .args(format_args!("{} rows", 3))
///     .build();
/// assert_eq!(record.logger(), "app.db");
/// assert_eq!(record.args().to_string(), "3 rows");
/// ```
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub(crate) level: Level,
    pub(crate) logger: &'a str,
    pub(crate) target: &'a str,
    pub(crate) args: fmt::Arguments<'a>,
    pub(crate) timestamp: UnixTime,
    pub(crate) module_path: Option<&'a str>,
    pub(crate) file: Option<&'a str>,
    pub(crate) line: Option<u32>,
    pub(crate) thread_id: u64,
    pub(crate) thread_name: Option<&'a str>,
    pub(crate) key_values: &'a dyn kv::Source,
}

impl<'a> Record<'a> {
    /// A builder with defaults: level `Info`, empty names, empty message, the current time and
    /// no thread, location or key-values.
    pub fn builder() -> RecordBuilder<'a> {
        RecordBuilder {
            record: Record {
                level: Level::Info,
                logger: "",
                target: "",
                args: format_args!(""),
                timestamp: UnixTime::EPOCH,
                module_path: None,
                file: None,
                line: None,
                thread_id: 0,
                thread_name: None,
                key_values: &NoKeyValues,
            },
            timestamp: None,
            target_given: false,
        }
    }

    /// The severity.
    #[inline]
    pub fn level(&self) -> Level {
        self.level
    }

    /// The dotted name of the logger the record was logged on (`app.db.pool`). For records from
    /// the `log` facade, the target with `::` turned into `.`.
    #[inline]
    pub fn logger(&self) -> &'a str {
        self.logger
    }

    /// The target as the caller gave it (for `log` records, usually the module path).
    #[inline]
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The message, not yet formatted.
    #[inline]
    pub fn args(&self) -> &fmt::Arguments<'a> {
        &self.args
    }

    /// When the record was created.
    #[inline]
    pub fn timestamp(&self) -> SystemTime {
        self.timestamp.to_system_time()
    }

    /// When the record was created, as seconds and nanoseconds since the Unix epoch: the form
    /// timestamp layouts need, without the cost of converting a [`SystemTime`].
    #[inline]
    pub fn unix_time(&self) -> UnixTime {
        self.timestamp
    }

    /// The module path of the call site, when known.
    #[inline]
    pub fn module_path(&self) -> Option<&'a str> {
        self.module_path
    }

    /// The source file of the call site, when known.
    #[inline]
    pub fn file(&self) -> Option<&'a str> {
        self.file
    }

    /// The line of the call site, when known.
    #[inline]
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// A number that identifies the logging thread for the life of the process (1 for the first
    /// thread that logged, and so on; 0 when unknown).
    #[inline]
    pub fn thread_id(&self) -> u64 {
        self.thread_id
    }

    /// The logging thread's name, when it has one (`main` for the main thread).
    #[inline]
    pub fn thread_name(&self) -> Option<&'a str> {
        self.thread_name
    }

    /// The structured key-values of the record (`log::info!(user = "x"; "msg")`).
    #[inline]
    pub fn key_values(&self) -> &'a dyn kv::Source {
        self.key_values
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("level", &self.level)
            .field("logger", &self.logger)
            .field("target", &self.target)
            .field("args", &self.args)
            .field("timestamp", &self.timestamp())
            .field("module_path", &self.module_path)
            .field("file", &self.file)
            .field("line", &self.line)
            .field("thread_id", &self.thread_id)
            .field("thread_name", &self.thread_name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Record`]; see [`Record::builder`].
#[derive(Clone, Copy)]
pub struct RecordBuilder<'a> {
    record: Record<'a>,
    timestamp: Option<SystemTime>,
    target_given: bool,
}

impl<'a> RecordBuilder<'a> {
    /// Sets the severity.
    pub fn level(&mut self, level: Level) -> &mut Self {
        self.record.level = level;
        self
    }

    /// Sets the logger name; the target too, unless [`target`](Self::target) sets it.
    pub fn logger(&mut self, logger: &'a str) -> &mut Self {
        if !self.target_given {
            self.record.target = logger;
        }
        self.record.logger = logger;
        self
    }

    /// Sets the target as the caller gave it.
    pub fn target(&mut self, target: &'a str) -> &mut Self {
        self.record.target = target;
        self.target_given = true;
        self
    }

    /// Sets the message.
    pub fn args(&mut self, args: fmt::Arguments<'a>) -> &mut Self {
        self.record.args = args;
        self
    }

    /// Sets the timestamp (tests use fixed ones); by default [`build`](Self::build) takes the
    /// current time.
    pub fn timestamp(&mut self, timestamp: SystemTime) -> &mut Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Sets the module path of the call site.
    pub fn module_path(&mut self, module_path: Option<&'a str>) -> &mut Self {
        self.record.module_path = module_path;
        self
    }

    /// Sets the source file of the call site.
    pub fn file(&mut self, file: Option<&'a str>) -> &mut Self {
        self.record.file = file;
        self
    }

    /// Sets the line of the call site.
    pub fn line(&mut self, line: Option<u32>) -> &mut Self {
        self.record.line = line;
        self
    }

    /// Sets the thread's number and name.
    pub fn thread(&mut self, id: u64, name: Option<&'a str>) -> &mut Self {
        self.record.thread_id = id;
        self.record.thread_name = name;
        self
    }

    /// Sets the key-values.
    pub fn key_values(&mut self, key_values: &'a dyn kv::Source) -> &mut Self {
        self.record.key_values = key_values;
        self
    }

    /// The record, stamped with the time set or, by default, now.
    pub fn build(&self) -> Record<'a> {
        Record {
            timestamp: self.timestamp.map_or_else(UnixTime::now, UnixTime::from),
            ..self.record
        }
    }
}

/// The key-values of a record that has none.
pub(crate) struct NoKeyValues;

impl kv::Source for NoKeyValues {
    fn visit<'kvs>(&'kvs self, _visitor: &mut dyn kv::VisitSource<'kvs>) -> Result<(), kv::Error> {
        Ok(())
    }

    fn count(&self) -> usize {
        0
    }
}

/// Calls `f` with the current thread's number and name, as records show them.
///
/// The name is read from the standard library once per thread and kept, so records pay no
/// more than a thread-local access for it. Returns `None` (without calling `f`) while the
/// thread is being torn down.
pub fn with_current_thread<R>(f: impl FnOnce(u64, Option<&str>) -> R) -> Option<R> {
    crate::tree::with_thread_info(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn builder_sets_every_field() {
        let kvs = [("user", "ann")];
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_750_000_000_123);
        let check = |record: Record<'_>| {
            assert_eq!(record.level(), Level::Warn);
            assert_eq!(record.logger(), "app.db");
            assert_eq!(record.target(), "app::db");
            assert_eq!(record.args().to_string(), "x=1");
            assert_eq!(record.timestamp(), at);
            assert_eq!(record.module_path(), Some("app::db"));
            assert_eq!(record.file(), Some("src/db.rs"));
            assert_eq!(record.line(), Some(7));
            assert_eq!(record.thread_id(), 3);
            assert_eq!(record.thread_name(), Some("worker"));
            assert_eq!(record.key_values().count(), 1);
            assert_eq!(
                record
                    .key_values()
                    .get(kv::Key::from("user"))
                    .map(|v| v.to_string()),
                Some("ann".to_owned())
            );
        };
        // `format_args!` temporaries live to the end of the statement: build and check in one.
        check(
            Record::builder()
                .level(Level::Warn)
                .logger("app.db")
                .target("app::db")
                .args(format_args!("x={}", 1))
                .timestamp(at)
                .module_path(Some("app::db"))
                .file(Some("src/db.rs"))
                .line(Some(7))
                .thread(3, Some("worker"))
                .key_values(&kvs)
                .build(),
        );
    }

    #[test]
    fn logger_sets_target_unless_given() {
        let record = Record::builder().logger("a.b").build();
        assert_eq!(record.target(), "a.b");
        let record = Record::builder().target("a::b").logger("a.b").build();
        assert_eq!(record.target(), "a::b");
    }

    #[test]
    fn timestamp_is_taken_at_build() {
        let before = SystemTime::now();
        let record = Record::builder().build();
        let after = SystemTime::now();
        let tolerance = crate::time::CLOCK_TOLERANCE;
        assert!(
            before - tolerance <= record.timestamp() && record.timestamp() <= after + tolerance
        );
        assert_eq!(UnixTime::from(record.timestamp()), record.unix_time());
        assert_eq!(record.key_values().count(), 0);
    }

    #[test]
    fn thread_ids_are_stable_per_thread_and_distinct_across_threads() {
        let here = with_current_thread(|id, _| id);
        assert_eq!(here, with_current_thread(|id, _| id));
        let there = std::thread::Builder::new()
            .name("named".into())
            .spawn(|| with_current_thread(|id, name| (id, name.map(str::to_owned))))
            .map(|h| h.join());
        let Ok(Ok(Some((there_id, there_name)))) = there else {
            panic!("thread failed")
        };
        assert_ne!(here, Some(there_id));
        assert_eq!(there_name.as_deref(), Some("named"));
    }
}
