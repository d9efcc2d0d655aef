//! The one-call setup against the seed's Python `setup_logger`, through the `log` facade of a
//! process of its own: other crates' records, the default level, Python's level names.

use std::path::Path;

use logtree::formatters::LevelNames;
use logtree::{LoggerTree, Setup};

/// The lines of every file in `dir`, timestamps checked and cut off.
fn lines_after_timestamp(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        for line in std::fs::read_to_string(entry.unwrap().path())
            .unwrap()
            .lines()
        {
            // `2025-06-27 14:25:23.123`: Python's `%(asctime)s.%(msecs)03d`.
            let (stamp, rest) = line.split_at(23);
            let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(digits.len(), 17, "{line}");
            assert_eq!(stamp.as_bytes()[10], b' ', "{line}");
            assert_eq!(stamp.as_bytes()[19], b'.', "{line}");
            lines.push(rest.to_owned());
        }
    }
    lines
}

#[test]
fn other_crates_share_the_console_and_file_at_root_level_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let logger = Setup::new()
        .dir(dir.path())
        .console(false)
        .ignore_env()
        .level_names(LevelNames::Python)
        .install("app")
        .unwrap();
    // Another crate: reaches the root, which the standard setup gave the same sinks.
    log::warn!(target: "hyper::proto", "connection closed");
    log::info!(target: "hyper::proto", "below root_level (warn): not written");
    // The application: Debug by default, as the seed's setup_logger.
    log::debug!(target: "app::utils::logger", "message");
    log::warn!(target: "app::utils::logger", "message");
    logger.error(format_args!("direct"));
    // A module setting up again changes nothing of the above.
    Setup::new()
        .dir(dir.path())
        .console(false)
        .ignore_env()
        .level_names(LevelNames::Python)
        .install("app::utils")
        .unwrap();
    log::warn!(target: "hyper::proto", "still once");
    LoggerTree::global().flush().unwrap();

    assert_eq!(
        lines_after_timestamp(dir.path()),
        [
            " - hyper.proto - WARNING - connection closed",
            " - app.utils.logger - DEBUG - message",
            " - app.utils.logger - WARNING - message",
            " - app - ERROR - direct",
            " - hyper.proto - WARNING - still once",
        ]
    );
}
