//! The derived fields a change refreshes (only those of the loggers it touches, each from its
//! parent's) equal what a walk over every logger's ancestors gives, after any sequence of
//! changes.

use std::sync::Arc;

use proptest::prelude::*;

use crate::{Error, LevelFilter, LoggerTree, Record, Sink, SinkId};

/// A sink with an identity of the test's choosing, so that loggers can share one.
struct Named(SinkId);

impl Sink for Named {
    fn id(&self) -> SinkId {
        self.0.clone()
    }
    fn log(&self, _: &Record<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
}

const NAMES: [&str; 7] = ["", "a", "a.b", "a.b.c", "a.c", "b", "b.x.y"];
const LEVELS: [Option<LevelFilter>; 4] = [
    None,
    Some(LevelFilter::Debug),
    Some(LevelFilter::Error),
    Some(LevelFilter::Trace),
];

#[derive(Clone, Debug)]
enum Op {
    Create(usize),
    SetLevel(usize, usize),
    SetPropagate(usize, bool),
    AddSink(usize, usize),
    RemoveSink(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let name = 0..NAMES.len();
    prop_oneof![
        name.clone().prop_map(Op::Create),
        (name.clone(), 0..LEVELS.len()).prop_map(|(n, l)| Op::SetLevel(n, l)),
        (name.clone(), any::<bool>()).prop_map(|(n, p)| Op::SetPropagate(n, p)),
        (name.clone(), 0..3usize).prop_map(|(n, s)| Op::AddSink(n, s)),
        (name, 0..3usize).prop_map(|(n, s)| Op::RemoveSink(n, s)),
    ]
}

fn sink_id(i: usize) -> SinkId {
    SinkId::new(format!("sink{i}"))
}

/// The effective level and the sinks of `name`, walking its ancestors from scratch.
fn walked(tree: &LoggerTree, name: &str) -> (LevelFilter, Vec<SinkId>) {
    let logger = tree.logger(name).expect("a valid name");
    let chain: Vec<_> = std::iter::successors(Some(logger), |l| l.parent()).collect();
    let level = chain
        .iter()
        .find_map(|l| l.level())
        .unwrap_or(LevelFilter::Warn);
    let mut sinks: Vec<SinkId> = Vec::new();
    for l in &chain {
        for id in l.sink_ids() {
            if !sinks.contains(&id) {
                sinks.push(id);
            }
        }
        if !l.propagate() {
            break;
        }
    }
    (level, sinks)
}

proptest! {
    #[test]
    fn refreshed_fields_equal_a_full_walk(ops in proptest::collection::vec(op(), 0..40)) {
        let tree = LoggerTree::new();
        for op in ops {
            match op {
                Op::Create(n) => {
                    tree.logger(NAMES[n]).expect("a valid name");
                }
                Op::SetLevel(n, l) => tree.logger(NAMES[n]).expect("name").set_level(LEVELS[l]),
                Op::SetPropagate(n, p) => tree.logger(NAMES[n]).expect("name").set_propagate(p),
                Op::AddSink(n, s) => {
                    tree.logger(NAMES[n]).expect("name").add_sink(Arc::new(Named(sink_id(s))));
                }
                Op::RemoveSink(n, s) => {
                    tree.logger(NAMES[n]).expect("name").remove_sink(&sink_id(s));
                }
            }
        }
        let mut most_verbose = LevelFilter::Off;
        for name in tree.logger_names() {
            let logger = tree.logger(&name).expect("an existing name");
            let (level, sinks) = walked(&tree, &name);
            prop_assert_eq!(logger.effective_level(), level, "{:?}", name);
            prop_assert_eq!(logger.effective_sink_ids(), sinks, "{:?}", name);
            most_verbose = most_verbose.most_verbose(level);
        }
        prop_assert_eq!(tree.max_level(), most_verbose);
    }
}
