//! Signals and a killed tool, with a producer that keeps the pipe open: SIGTERM and SIGINT
//! write everything read and exit 0, SIGHUP reopens the file after an external rotation,
//! `kill -9` loses nothing the tool had read as a whole line.
//!
//! The `--tee` copy tells the test what the tool has read: it copies a chunk after writing
//! its lines to the file.

mod common;

use std::fs;
use std::io::Read;
use std::thread;

use common::*;

fn stops_on(sig: libc::c_int) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &["--raw", "--tee"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Whole lines, then the start of one whose end never comes.
    let mut input = numbered(1000);
    input.extend_from_slice(b"the start of a line");
    feed(&mut stdin, &input);
    assert_eq!(read_tee(&mut stdout, input.len()), input);

    // The tool now waits in read(2) for more; the producer is still there.
    signal(&child, sig);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "signal {sig}");
    assert_eq!(
        concatenated(&dir.path().join("logs")),
        input,
        "signal {sig}: everything read is in the file, the unfinished line too"
    );
    drop(stdin);
}

#[test]
fn sigterm_writes_everything_read_and_exits_0_while_the_producer_is_still_there() {
    stops_on(libc::SIGTERM);
}

#[test]
fn sigint_writes_everything_read_and_exits_0_while_the_producer_is_still_there() {
    stops_on(libc::SIGINT);
}

#[test]
fn sigterm_writes_what_a_buffered_tool_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &["--raw", "--tee", "--flush", "buffered"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let input = numbered(100);
    feed(&mut stdin, &input);
    assert_eq!(read_tee(&mut stdout, input.len()), input);
    signal(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(concatenated(&dir.path().join("logs")), input);
    drop(stdin);
}

#[test]
fn sighup_after_an_external_rotation_sends_new_lines_to_a_new_file_at_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &["--raw", "--tee", "--rotate", "never"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    feed(&mut stdin, b"before\n");
    assert_eq!(read_tee(&mut stdout, 7), b"before\n");

    // What logrotate does: move the file away, then signal the writer.
    let path = only_file(&dir.path().join("logs"));
    let rotated = dir.path().join("rotated.log");
    fs::rename(&path, &rotated).unwrap();
    signal(&child, libc::SIGHUP);
    // No line is written meanwhile: only the reopen can create the file.
    wait_until("the reopened file", || path.exists());

    feed(&mut stdin, b"after\n");
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(fs::read(&rotated).unwrap(), b"before\n");
    assert_eq!(fs::read(&path).unwrap(), b"after\n");
}

#[test]
fn kill_9_loses_no_line_the_tool_had_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(
        dir.path(),
        &["--raw", "--tee", "--max-size", "64KiB", "--backups", "1000"],
    );
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let input = numbered(400_000);
    let producer = {
        let input = input.clone();
        thread::spawn(move || {
            // Cut short by the kill: the pipe breaks.
            let _ = std::io::Write::write_all(&mut stdin, &input);
        })
    };
    // Kill it mid-stream, once it has copied (so read, and written) 512 KiB.
    let mut teed = read_tee(&mut stdout, 512 * 1024);
    child.kill().unwrap();
    child.wait().unwrap();
    producer.join().unwrap();
    stdout.read_to_end(&mut teed).unwrap();

    let written = concatenated(&dir.path().join("logs"));
    // Every whole line read is in the files; only the line being read may be missing.
    let whole_lines_read = teed.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    assert!(
        written.len() >= whole_lines_read,
        "{} bytes written, {whole_lines_read} read as whole lines",
        written.len()
    );
    assert!(written.len() < input.len(), "killed mid-stream");
    assert!(
        input.starts_with(&written),
        "the files hold the input's start, nothing else"
    );
    assert_eq!(written.last(), Some(&b'\n'), "whole lines only");
}

#[test]
fn sigterm_ends_the_tool_even_when_nobody_reads_the_tee_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &["--raw", "--tee", "--max-size", "0"]);
    let mut stdin = child.stdin.take().unwrap();
    let _stdout = child.stdout.take().unwrap(); // never read: the copy fills its pipe
    let input = numbered(100_000);
    let producer = thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut stdin, &input);
        stdin // kept open: the tool must not see an end of input
    });
    let logs = dir.path().join("logs");
    // Past what the copy's pipe holds (64 KiB): the tool is, or soon will be, stuck copying.
    wait_until("more than 64 KiB in the file", || {
        logs.exists() && concatenated(&logs).len() > 64 * 1024
    });
    signal(&child, libc::SIGTERM);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "SIGTERM did not end the tool"
        );
        thread::sleep(std::time::Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(0));
    let written = concatenated(&logs);
    assert!(numbered(100_000).starts_with(&written));
    drop(producer);
}
