//! Property tests of names and of the hierarchy against simple models.

use std::collections::BTreeMap;

use logtree_core::{
    validate_name, Error, Level, LevelFilter, LoggerTree, MemorySink, SetupOptions,
};
use proptest::prelude::*;

/// The naming rules, written out independently of the library.
fn model_is_valid(name: &str) -> bool {
    name.is_empty()
        || name.split('.').all(|segment| {
            !segment.is_empty() && !segment.chars().any(|c| c.is_whitespace() || c.is_control())
        })
}

fn level_filter() -> impl Strategy<Value = LevelFilter> {
    prop_oneof![
        Just(LevelFilter::Trace),
        Just(LevelFilter::Debug),
        Just(LevelFilter::Info),
        Just(LevelFilter::Warn),
        Just(LevelFilter::Error),
        Just(LevelFilter::Off),
    ]
}

/// Names over a tiny alphabet, so that random names share ancestors.
fn tree_name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4).prop_map(|s| s.join("."))
}

proptest! {
    #[test]
    fn any_string_is_a_valid_name_or_an_invalid_name_error(
        name in prop_oneof![any::<String>(), "[a:. ]{0,8}"],
    ) {
        // A module path names its dotted logger: `a::b` is `a.b`.
        let dotted = name.replace("::", ".");
        match LoggerTree::new().logger(&name) {
            Ok(logger) => {
                prop_assert!(model_is_valid(&dotted));
                prop_assert_eq!(logger.name(), dotted.as_str());
            }
            Err(Error::InvalidName { name: reported, .. }) => {
                prop_assert!(!model_is_valid(&dotted));
                prop_assert_eq!(reported, dotted);
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn dotted_strings_validate_like_the_model(name in "[a. \t\u{1b}\n_-]{0,12}") {
        prop_assert_eq!(validate_name(&name).is_ok(), model_is_valid(&name));
    }

    #[test]
    fn effective_levels_and_delivery_match_the_model(
        levels in prop::collection::vec((tree_name(), prop::option::of(level_filter())), 1..12),
        blocked in prop::collection::btree_set(tree_name(), 0..4),
        target in tree_name(),
        level in prop::sample::select(Level::ALL.to_vec()),
    ) {
        let tree = LoggerTree::new();
        let mut model_levels: BTreeMap<String, Option<LevelFilter>> = BTreeMap::new();
        model_levels.insert(String::new(), Some(LevelFilter::Warn));
        for (name, level) in &levels {
            tree.logger(name).unwrap().set_level(*level);
            // Creating a logger creates its ancestors, with no level.
            let mut prefix = String::new();
            for segment in name.split('.') {
                if !prefix.is_empty() { prefix.push('.'); }
                prefix.push_str(segment);
                model_levels.entry(prefix.clone()).or_insert(None);
            }
            model_levels.insert(name.clone(), *level);
        }
        // One sink per existing logger; some loggers stop propagation.
        let mut sinks = BTreeMap::new();
        for name in model_levels.keys() {
            let sink = MemorySink::new();
            let logger = tree.setup_logger(name, SetupOptions::new().sink(sink.clone())).unwrap();
            if blocked.contains(name) { logger.set_propagate(false); }
            sinks.insert(name.clone(), sink);
        }

        // The model: nearest ancestor's level decides; delivery walks up until propagate stops.
        let ancestors = |name: &str| -> Vec<String> {
            let mut chain = vec![name.to_owned()];
            let mut current = name.to_owned();
            while !current.is_empty() {
                current = current.rfind('.').map_or(String::new(), |i| current[..i].to_owned());
                chain.push(current.clone());
            }
            chain
        };
        // The target's nearest existing logger takes the record.
        let owner = ancestors(&target).into_iter().find(|n| model_levels.contains_key(n)).unwrap();
        let effective = ancestors(&owner).iter().find_map(|n| model_levels[n]).unwrap();
        let mut expected = Vec::new();
        if effective.allows(level) {
            for n in ancestors(&owner) {
                expected.push(n.clone());
                if blocked.contains(&n) { break; }
            }
        }
        prop_assert_eq!(tree.logger(&owner).unwrap().effective_level(), effective);

        log::Log::log(&tree, &log::Record::builder()
            .level(level.into())
            .target(&target.replace('.', "::"))
            .args(format_args!("m"))
            .build());
        let mut delivered: Vec<String> =
            sinks.iter().filter(|(_, s)| !s.is_empty()).map(|(n, _)| n.clone()).collect();
        delivered.sort();
        expected.sort();
        prop_assert_eq!(delivered, expected);
        for sink in sinks.values().filter(|s| !s.is_empty()) {
            prop_assert_eq!(sink.lines(), vec![format!("{level} {target} - m")]);
        }
        let most_verbose = model_levels.keys()
            .map(|n| ancestors(n).iter().find_map(|a| model_levels[a]).unwrap())
            .min().unwrap();
        prop_assert_eq!(tree.max_level(), most_verbose);
    }
}
