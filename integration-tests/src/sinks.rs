//! Small misbehaving sinks.

use logtree_core::{Error, Record, Sink, SinkId};

/// A sink whose `flush` never returns (a full pipe, a hung network peer); it drops every
/// record.
pub struct StuckOnFlush;

impl Sink for StuckOnFlush {
    fn id(&self) -> SinkId {
        SinkId::new("stuck-on-flush")
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        loop {
            std::thread::park();
        }
    }
}
