//! `--config` with a `[syslog]` table: every line read goes to the file and, as a record of its
//! own, to a real rsyslog daemon the test starts on loopback.

mod common;

use std::path::PathBuf;

use integration_tests::rsyslog::Rsyslog;
use tempfile::TempDir;

/// A directory with a daemon of its own and `logtree.toml` in it: `before` (top-level keys),
/// then a `[syslog]` table sending over TCP to the daemon, with `table`'s keys.
fn daemon_and_config(before: &str, table: &str) -> (TempDir, Rsyslog, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Rsyslog::start(dir.path());
    let config = dir.path().join("logtree.toml");
    let address = format!("tcp://127.0.0.1:{}", daemon.tcp_port);
    std::fs::write(
        &config,
        format!("{before}\n[syslog]\naddress = \"{address}\"\n{table}"),
    )
    .unwrap();
    (dir, daemon, config)
}

#[test]
fn a_config_syslog_table_sends_every_line_to_the_daemon_once_and_in_order() {
    let (dir, mut daemon, config) = daemon_and_config(
        "dir = \"logs\"\nfile_stem = \"piped\"\n",
        "facility = \"local3\"\napp_name = \"piped\"\nlevel = \"info\"\n",
    );
    const LINES: u64 = 2_000;
    let output = common::run(
        dir.path(),
        &["--config", config.to_str().unwrap()],
        common::numbered(LINES),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = daemon.wait_for("every line", |lines| {
        lines.iter().filter(|l| l.app_name == "piped").count() >= LINES as usize
    });
    let received: Vec<String> = lines.iter().map(|l| l.msg.clone()).collect();
    let expected: Vec<String> = (1..=LINES).map(|i| i.to_string()).collect();
    assert_eq!(received, expected, "each line once, in order");
    assert!(lines
        .iter()
        .all(|l| (l.severity, l.facility, l.app_name.as_str()) == (6, 19, "piped")));
    // The file has them too.
    let files = common::files_oldest_first(&dir.path().join("logs"));
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert_eq!(text.lines().count(), LINES as usize);
}

#[test]
fn the_syslog_tables_level_keeps_lines_below_it_from_the_daemon_but_not_from_the_file() {
    let (dir, mut daemon, config) = daemon_and_config("dir = \"logs\"\n", "level = \"warn\"\n");
    for (level, input) in [("info", "quiet\n"), ("error", "loud\n")] {
        let output = common::run(
            dir.path(),
            &["--config", config.to_str().unwrap(), "--level", level],
            input.as_bytes().to_vec(),
        );
        assert!(output.status.success());
    }
    let lines = daemon.wait_for("the error line", |lines| {
        lines.iter().any(|l| l.msg == "loud")
    });
    assert!(lines.iter().all(|l| l.msg != "quiet"), "{lines:?}");
    assert_eq!(lines.iter().find(|l| l.msg == "loud").unwrap().severity, 3);
    let files = common::files_oldest_first(&dir.path().join("logs"));
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(text.contains("quiet") && text.contains("loud"), "{text}");
}
