//! Failures at log time: reported, and the sink recovers once the cause is gone.

use std::fs;

use logtree_core::Error;

use super::*;

#[test]
fn a_deleted_directory_is_noticed_within_a_second_and_no_line_is_lost_with_it() {
    for policy in synchronous_policies() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let sink = builder(&logs, "App").flush_policy(policy).build().unwrap();
        // Stamped past the window of setup: this record checks, and starts a window at t0.
        let t0 = SystemTime::now() + Duration::from_secs(5);
        log_at(&sink, "checked", t0).unwrap();
        sink.flush().unwrap();
        fs::remove_dir_all(&logs).unwrap();

        // Within the second the sink cannot know: the record goes to the deleted file.
        log_at(
            &sink,
            "in the deleted file",
            t0 + Duration::from_millis(500),
        )
        .unwrap();
        sink.flush().unwrap();
        // A second later it checks, reports, recreates directory and file, and writes again
        // what the deleted file got since the last check (the line before the deletion too).
        let err = log_at(&sink, "after", t0 + Duration::from_millis(1500)).unwrap_err();
        assert!(
            matches!(&err, Error::Write { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{policy:?}: {err}"
        );
        assert!(err.to_string().contains("written again"), "{err}");
        log_at(&sink, "later", t0 + Duration::from_millis(1600)).unwrap();
        sink.flush().unwrap();
        assert_eq!(
            fs::read_to_string(sink.path()).unwrap(),
            "checked\nin the deleted file\nafter\nlater\n",
            "{policy:?}"
        );
    }
}

#[test]
fn a_file_moved_away_keeps_its_lines_and_a_new_one_is_started() {
    for policy in synchronous_policies() {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .flush_policy(policy)
            .build()
            .unwrap();
        let t0 = SystemTime::now() + Duration::from_secs(5);
        log_at(&sink, "checked", t0).unwrap();
        sink.flush().unwrap();
        let moved = dir.path().join("moved.log");
        fs::rename(sink.path(), &moved).unwrap();
        log_at(&sink, "in the moved file", t0 + Duration::from_millis(500)).unwrap();
        sink.flush().unwrap();
        let err = log_at(&sink, "after", t0 + Duration::from_millis(1500)).unwrap_err();
        assert!(err.to_string().contains("moved away"), "{err}");
        sink.flush().unwrap();
        assert_eq!(
            fs::read_to_string(&moved).unwrap(),
            "checked\nin the moved file\n",
            "{policy:?}"
        );
        assert_eq!(fs::read_to_string(sink.path()).unwrap(), "after\n");
    }
}

/// Lines go to a deleted file for at most a second of record time: many of them, more than
/// one piece of the copy back, are all written again, once each, in order.
#[test]
fn every_line_written_to_a_deleted_file_is_written_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let sink = builder(&logs, "App").build().unwrap();
    let t0 = SystemTime::now() + Duration::from_secs(5);
    log_at(&sink, "checked", t0).unwrap();
    fs::remove_dir_all(&logs).unwrap();
    let lines: Vec<String> = (0..5000)
        .map(|i| format!("line {i:05} {}", "x".repeat(20)))
        .collect();
    for line in &lines {
        log_at(&sink, line, t0 + Duration::from_millis(500)).unwrap();
    }
    assert!(log_at(&sink, "after", t0 + Duration::from_millis(1500)).is_err());
    let mut want = vec!["checked".to_owned()];
    want.extend(lines);
    want.push("after".to_owned());
    assert_eq!(
        fs::read_to_string(sink.path()).unwrap(),
        want.join("\n") + "\n"
    );
}

/// The directory recreated at log time gets the sink's mode, as the one created at setup.
#[cfg(unix)]
#[test]
fn a_recreated_directory_gets_the_dir_mode() {
    let umask = umask();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs/app");
    let sink = builder(&logs, "App").dir_mode(0o710).build().unwrap();
    fs::remove_dir_all(dir.path().join("logs")).unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    // The check finds the file gone, reports it, and the record recreates both directories.
    let err = log_at(&sink, "written", later).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "written\n");
    for created in ["logs", "logs/app"] {
        assert_eq!(
            mode_of(&dir.path().join(created)),
            0o710 & !umask,
            "{created}"
        );
    }
}

#[test]
fn a_roll_over_into_a_deleted_directory_recreates_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let sink = builder(&logs, "App").max_bytes(4).build().unwrap();
    log(&sink, "abc").unwrap();
    fs::remove_dir_all(&logs).unwrap();
    let err = log(&sink, "def").unwrap_err();
    assert!(matches!(err, Error::Rename { .. }), "{err}");
    // The deletion is reported next; the record is written all the same.
    let err = log(&sink, "ghi").unwrap_err();
    assert!(err.to_string().contains("written again"), "{err}");
    // `abc`, read back from the deleted file, and `def` went to the recreated file, which
    // the next record rolled over.
    sink.flush().unwrap();
    let name = name_of(&sink.path());
    let all = files(&logs);
    assert_eq!(all[&name], "ghi\n");
    assert_eq!(all[&backup(&name, 1)], "abc\ndef\n");
}

/// Puts a device node like `/dev/full`, whose every write fails with "no space left on
/// device", at `path` (not a symbolic link to it: the sink refuses those). Only root may create
/// one, and not on every file system: false, with a note, when the test must be skipped.
#[cfg(target_os = "linux")]
fn plant_dev_full(path: &Path) -> bool {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let rdev = fs::metadata("/dev/full").unwrap().rdev();
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call, which only reads it.
    let made = unsafe { libc::mknod(c_path.as_ptr(), libc::S_IFCHR | 0o600, rdev) } == 0;
    let fails_as_full = made
        && fs::OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut device| device.write_all(b"x"))
            .is_err_and(|e| e.raw_os_error() == Some(libc::ENOSPC));
    if !fails_as_full {
        let cause = std::io::Error::last_os_error();
        let _ = fs::remove_file(path);
        eprintln!("note: skipped, no device node like /dev/full can be created here ({cause})");
    }
    fails_as_full
}

/// The log file is a device node like `/dev/full` while the disk is "full", and a regular
/// file once space is "freed".
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_reported_and_writing_resumes_once_there_is_space() {
    for policy in [
        FlushPolicy::EveryRecord,
        FlushPolicy::Buffered {
            capacity: 8,
            interval: Duration::from_secs(3600),
        },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .flush_policy(policy)
            .build()
            .unwrap();
        let path = sink.path();
        log(&sink, "ok").unwrap();
        sink.flush().unwrap();
        fs::remove_file(&path).unwrap();
        if !plant_dev_full(&path) {
            return;
        }
        // Make the sink open the device: its check finds another file at the path.
        let t = SystemTime::now() + Duration::from_secs(5);
        let _ = log_at(&sink, "x", t);
        let full = log_at(&sink, "full", t)
            .and_then(|()| sink.flush())
            .unwrap_err();
        assert!(
            matches!(&full, Error::Write { source, .. } if source.raw_os_error() == Some(28)),
            "{policy:?}: {full}"
        );
        fs::remove_file(&path).unwrap();
        // This call may also return a failure no call returned yet (the replaced file).
        let _ = log_at(&sink, "space again", t);
        sink.flush().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("space again\n"), "{policy:?}: {text:?}");
        assert!(!text.contains("ok"), "{policy:?}: a new file: {text:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn errors_of_the_background_flusher_reach_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(FlushPolicy::Buffered {
            capacity: 1024,
            interval: Duration::from_millis(10),
        })
        .build()
        .unwrap();
    let path = sink.path();
    fs::remove_file(&path).unwrap();
    if !plant_dev_full(&path) {
        return;
    }
    // The check a second (of record time) later finds the device and opens it; the record
    // waits in the buffer for the timer, whose write fails.
    let t = SystemTime::now() + Duration::from_secs(5);
    let err = log_at(&sink, "buffered", t).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    wait_until("the timer's failure", || sink.writer.has_pending());

    fs::remove_file(&path).unwrap();
    // This flush writes the records, then returns what the timer could not report.
    let err = sink.flush().unwrap_err();
    assert!(
        matches!(&err, Error::Write { source, .. } if source.raw_os_error() == Some(28)),
        "{err}"
    );
    sink.flush().unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "buffered\n");
}

#[test]
fn extreme_times_and_intervals_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(FlushPolicy::Buffered {
            capacity: 64,
            interval: Duration::MAX,
        })
        .build()
        .unwrap();
    let latest = (0..64)
        .rev()
        .find_map(|bit| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs((1u64 << bit) - 1)))
        .unwrap();
    for at in [SystemTime::UNIX_EPOCH, latest, SystemTime::UNIX_EPOCH] {
        let _ = log_at(&sink, "edge", at);
    }
    sink.flush().unwrap();
    assert_eq!(
        fs::read_to_string(sink.path()).unwrap(),
        "edge\nedge\nedge\n"
    );
}

/// The file size limit (`RLIMIT_FSIZE`) cuts the write that crosses it short and fails every
/// later one: threads writing with the lock shared then run into a write cut short, and the
/// part written must not stay. Process-wide, so the test runs itself again in a child process
/// that sets the limit.
#[cfg(target_os = "linux")]
#[test]
fn writes_cut_short_by_the_file_size_limit_leave_only_whole_lines() {
    const CHILD: &str = "LOGTREE_TEST_FSIZE_CHILD";
    const LIMIT: u64 = 10_000;
    const THREADS: usize = 4;
    const RECORDS: usize = 300;
    if std::env::var_os(CHILD).is_none() {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "rotating_file::tests::failures::writes_cut_short_by_the_file_size_limit_leave_only_whole_lines",
                "--nocapture",
            ])
            .env(CHILD, "1")
            // Pipes, not the parent's streams: the file size limit would also cut the child's
            // output short when those are files (a CI log), and fail the child for that.
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "the child failed: {}\n{}\n{}",
            child.status,
            String::from_utf8_lossy(&child.stdout),
            String::from_utf8_lossy(&child.stderr)
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "Limit").max_bytes(0).build().unwrap();
    // SAFETY: plain calls with valid arguments; nothing else in this child process minds that
    // SIGXFSZ is ignored (writes past the limit then fail with EFBIG instead of killing it).
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
        limit.rlim_cur = LIMIT;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let line = |t: usize, i: usize| format!("t{t} r{i:04} {}", "x".repeat((t * 31 + i * 7) % 90));
    let written: Vec<Vec<bool>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let sink = &sink;
                s.spawn(move || {
                    (0..RECORDS)
                        .map(|i| match log(sink, &line(t, i)) {
                            Ok(()) => true,
                            Err(Error::Write { source, .. }) => {
                                assert!(
                                    matches!(source.raw_os_error(), Some(libc::EFBIG) | None),
                                    "{source}"
                                );
                                false
                            }
                            Err(err) => panic!("{err}"),
                        })
                        .collect()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let text = fs::read_to_string(sink.path()).unwrap();
    assert!(
        text.len() as u64 <= LIMIT && text.ends_with('\n'),
        "{text:?}"
    );
    assert!(
        written.iter().flatten().any(|ok| !ok),
        "the limit was reached"
    );
    // Exactly the records reported written are in the file, whole.
    let mut expected = std::collections::BTreeSet::new();
    for (t, oks) in written.iter().enumerate() {
        for (i, _) in oks.iter().enumerate().filter(|(_, ok)| **ok) {
            expected.insert(line(t, i));
        }
    }
    let found: std::collections::BTreeSet<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(text.lines().count(), found.len(), "a line twice");
    assert_eq!(found, expected);
}
