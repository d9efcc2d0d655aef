//! What reaches the files: the byte-for-byte check of 3,000,000 numbered lines, a
//! producer faster than the disk, the layout of formatted lines, long and unfinished lines.

mod common;

use std::fs;

use common::*;

#[test]
fn three_million_numbered_lines_come_back_byte_identical_from_the_rotated_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = numbered(3_000_000);
    let args = [
        "--raw",
        "--max-size",
        "1MiB",
        "--backups",
        "100",
        "--dir",
        "out",
    ];
    let output = run(dir.path(), &args, input.clone());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let logs = dir.path().join("out");
    let files = files_oldest_first(&logs);
    assert!(
        files.len() > 20,
        "the input rolls over about 22 times: {files:?}"
    );
    // Each file is full: lines read together are written (and counted) as one group of at
    // most 64 KiB, so a file rolls over at most that much short of the limit.
    for file in &files[..files.len() - 1] {
        let len = fs::metadata(file).unwrap().len();
        assert!(
            ((1 << 20) - (64 << 10)..=1 << 20).contains(&len),
            "{} holds {len} bytes",
            file.display()
        );
    }
    let copy = concatenated(&logs);
    assert_eq!(copy.len(), input.len());
    assert!(
        copy == input,
        "the files, oldest first, differ from the input"
    );
}

#[test]
fn a_producer_faster_than_the_disk_loses_nothing_under_either_policy() {
    for flush in ["every-record", "buffered"] {
        let dir = tempfile::tempdir().unwrap();
        let input = numbered(300_000);
        let args = [
            "--raw",
            "--flush",
            flush,
            "--max-size",
            "64KiB",
            "--backups",
            "1000",
        ];
        let output = run(dir.path(), &args, input.clone());
        assert!(output.status.success(), "{flush}: {}", stderr_of(&output));
        assert!(
            concatenated(&dir.path().join("logs")) == input,
            "{flush}: lines lost"
        );
    }
}

#[test]
fn each_line_gets_the_millisecond_time_and_the_default_names() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &[], b"service started\n".to_vec());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let file = only_file(&dir.path().join("logs"));
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    // log_YYYY-MM-DD.log
    assert!(
        name.starts_with("log_") && name.ends_with(".log") && name.len() == 18,
        "{name}"
    );
    let text = fs::read_to_string(&file).unwrap();
    // YYYY-MM-DD HH:MM:SS.mmm, a space, the line.
    let (time, line) = text.split_at(23);
    assert_eq!(line, " service started\n");
    let shape: String = time
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99 99:99:99.999");
    assert_eq!(
        &time[..10],
        &name[4..14],
        "the file is named after the date of its lines"
    );
}

#[test]
fn a_last_line_without_a_newline_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--raw"], b"one\ntwo".to_vec());
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        concatenated(&dir.path().join("logs")),
        b"one\ntwo",
        "raw: exactly"
    );

    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--format", "{message}"], b"one\ntwo".to_vec());
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        concatenated(&dir.path().join("logs")),
        b"one\ntwo\n",
        "a record: a line"
    );
}

#[test]
fn a_line_longer_than_max_size_stays_one_record() {
    for raw in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(5000);
        let input = format!("short\n{long}\nafter\n");
        let mut args = vec![
            "--max-size",
            "1000",
            "--backups",
            "10",
            "--format",
            "{message}",
        ];
        if raw {
            args = vec!["--max-size", "1000", "--backups", "10", "--raw"];
        }
        let output = run(dir.path(), &args, input.clone().into_bytes());
        assert!(output.status.success(), "{}", stderr_of(&output));
        let files: Vec<String> = files_oldest_first(&dir.path().join("logs"))
            .iter()
            .map(|path| fs::read_to_string(path).unwrap())
            .collect();
        assert_eq!(
            files,
            ["short\n", &format!("{long}\n"), "after\n"],
            "raw: {raw}"
        );
    }
}

#[test]
fn invalid_utf8_and_control_characters_are_escaped_but_passed_through_raw() {
    let input = b"caf\xc3\xa9 \xff\xfe \x1b[31mred\r\n".to_vec();

    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--format", "{message}"], input.clone());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = fs::read_to_string(only_file(&dir.path().join("logs"))).unwrap();
    assert_eq!(text, "caf\u{e9} \\xff\\xfe \\x1b[31mred\n");

    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--raw"], input.clone());
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(concatenated(&dir.path().join("logs")), input);
}

#[test]
fn every_record_puts_each_line_in_the_file_before_reading_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &["--tee", "--format", "{message}"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut expected = String::new();
    for i in 1..=20 {
        let line = format!("line {i}\n");
        feed(&mut stdin, line.as_bytes());
        // The copy comes after the write, and the producer is still there: no end of input,
        // no buffer flushed on exit, yet the line is in the file.
        read_tee(&mut stdout, line.len());
        expected.push_str(&line);
        let file = only_file(&dir.path().join("logs"));
        assert_eq!(fs::read_to_string(file).unwrap(), expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
