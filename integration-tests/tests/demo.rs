//! The demo, run as a user runs it: its files carry today's date, stay within the backup
//! count, hold only millisecond lines, and lose nothing.

use std::collections::BTreeMap;
use std::process::Command;

use integration_tests::log_dir::oldest_first;
use integration_tests::log_line::after_timestamp;

/// What the demo logs to its file: start and finish, 2 db workers x (300 queries + 6 slow-query
/// warnings), and the net worker's 300 requests, 300 checksums (debug) and 3 errors.
const DEMO_RECORDS: usize = 2 + 2 * (300 + 6) + 300 + 300 + 3;

/// Whether `line` is `YYYY-MM-DD HH:MM:SS.mmm - <logger> - <LEVEL> - <message>`.
fn is_millisecond_line(line: &str) -> bool {
    let Some(rest) = after_timestamp(line) else {
        return false;
    };
    let mut rest = rest.splitn(4, " - ");
    rest.next() == Some("")
        && rest.next().is_some_and(|logger| logger.starts_with("demo"))
        && rest
            .next()
            .is_some_and(|level| ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level))
        && rest.next().is_some()
}

#[test]
fn the_demo_rotates_its_dated_files_and_loses_nothing() {
    let work = tempfile::tempdir().unwrap();
    let logs = work.path().join("demo-logs");
    let day_before = chrono::Local::now().format("%Y-%m-%d").to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(work.path())
        .env("LOGTREE_DIR", &logs)
        .env_remove("LOGTREE_LEVEL")
        .env_remove("RUST_LOG")
        .env_remove("LOGTREE_CONFIG")
        .output()
        .unwrap();
    let day_after = chrono::Local::now().format("%Y-%m-%d").to_string();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The console shows warnings and errors only (console_level = "warn").
    let console_records: Vec<&str> = stdout.lines().filter(|l| is_millisecond_line(l)).collect();
    assert_eq!(console_records.len(), 2 * 6 + 3, "{stdout}");
    let total = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .unwrap_or_default();
    assert!(
        total.ends_with(&format!("{DEMO_RECORDS} lines")),
        "{stdout}"
    );

    let mut names: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The archiver's lock file.
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    let base = [&day_before, &day_after]
        .iter()
        .map(|day| format!("Demo_{day}.log"))
        .find(|base| names.contains(base))
        .unwrap_or_else(|| panic!("no file of today: {names:?}"));
    assert!(
        names.len() >= 3,
        "the demo rolls over a few times: {names:?}"
    );
    assert!(
        names.len() <= 6,
        "at most backup_count (5) backups: {names:?}"
    );
    for (i, name) in names.iter().enumerate() {
        let expected = if i == 0 {
            base.clone()
        } else {
            format!("{base}.{i}")
        };
        assert_eq!(name, &expected);
    }

    // Read oldest first: .N … .1, then the current file.
    let mut lines = Vec::new();
    for file in oldest_first(&logs.join(&base)) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.ends_with('\n'));
        assert!(
            std::fs::metadata(&file).unwrap().len() <= 32 * 1024,
            "{} past max_size",
            file.display()
        );
        lines.extend(text.lines().map(str::to_owned));
    }
    assert_eq!(lines.len(), DEMO_RECORDS);
    for line in &lines {
        assert!(is_millisecond_line(line), "{line:?}");
    }
    assert!(lines[0].contains(" - demo - INFO - demo starting"));
    assert!(lines
        .last()
        .unwrap()
        .contains(" - demo - INFO - demo finished"));

    // Every worker's numbered records are there once, in order.
    let mut seqs: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for line in &lines {
        if line.contains(" - INFO - ") {
            if let Some(kv) = line.split(" worker=").nth(1) {
                let (worker, seq) = kv.split_once(" seq=").unwrap();
                seqs.entry(worker).or_default().push(seq.parse().unwrap());
            }
        }
    }
    let all: Vec<u32> = (0..300).collect();
    assert_eq!(
        seqs.keys().copied().collect::<Vec<_>>(),
        ["db-1", "db-2", "net"]
    );
    for (worker, seen) in seqs {
        assert_eq!(seen, all, "{worker}");
    }
}

#[test]
fn the_demo_piped_into_a_closed_reader_ends_quietly() {
    use std::process::Stdio;

    let work = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(work.path())
        .env("LOGTREE_DIR", work.path().join("logs"))
        .env_remove("LOGTREE_LEVEL")
        .env_remove("RUST_LOG")
        .env_remove("LOGTREE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `demo | head -0`: the reader goes away before the demo writes, so that every line the
    // demo writes (console records, then its listing) meets the closed pipe.
    drop(demo.stdout.take());
    let output = demo.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(stderr.is_empty(), "a closed stdout is quiet: {stderr}");
}

#[test]
fn a_setup_error_returned_from_main_prints_its_sentence() {
    // `LOGTREE_CONFIG=/dev/zero` was read until memory ran out; now it fails at once, and
    // `main`'s `Err` shows the error's sentence, not the variant's fields.
    let work = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(work.path())
        .env("LOGTREE_CONFIG", "/dev/zero")
        .env("LOGTREE_DIR", work.path().join("logs"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "Error: cannot read configuration file \"/dev/zero\": not a regular file"
    );
}
