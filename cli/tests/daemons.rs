//! `--config` with a `[syslog]` table: every line read goes to the file and, as a record of its
//! own, to a real rsyslog daemon the test starts on loopback.

mod common;

use integration_tests::rsyslog::Rsyslog;

#[test]
fn a_config_syslog_table_sends_every_line_to_the_daemon_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        format!(
            "dir = \"logs\"\nfile_stem = \"piped\"\n\n[syslog]\naddress = \"tcp://127.0.0.1:{}\"\n\
             facility = \"local3\"\napp_name = \"piped\"\nlevel = \"info\"\n",
            daemon.tcp_port
        ),
    )
    .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        format!(
            "dir = \"logs\"\n\n[syslog]\naddress = \"tcp://127.0.0.1:{}\"\nlevel = \"warn\"\n",
            daemon.tcp_port
        ),
    )
    .unwrap();
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
