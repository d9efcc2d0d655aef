//! The rotating file sink at the edges of its files (issue 22), each case as a hostile operator
//! or a second process would make it:
//!
//! - logrotate's `copytruncate` (the file truncated under the sink), then a full disk: a write
//!   cut short is cut back to where it started, found from the file, so the cut never extends
//!   the file (no NUL bytes), and nothing is written twice; the count re-synced at the
//!   once-a-second check, so a truncated file fills up to `max_bytes` again;
//! - logrotate's rename + create with a `postrotate` that calls `reopen()` (a `SIGHUP`
//!   handler): later records go to the new file at once;
//! - a restart after a torn last line starts on a new line;
//! - the log directory swapped for a symbolic link (moved away, or deleted): no record is
//!   written through it;
//! - four processes on one stem: every record exactly once, no file past `max_bytes` by more
//!   than one record (declared with `multi_process`; undeclared, still exactly once).
//!
//! Records carry their own timestamps, so the sink's once-a-second check runs exactly where a
//! test wants it, without waiting. The full-disk cases mount a small tmpfs (root only; skipped
//! with a note otherwise).

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use integration_tests::child;
use integration_tests::log_dir::sink_files;
use integration_tests::numbered::InOrder;
use integration_tests::small_disk::SmallDisk;
use logtree_core::{Error, PlainFormatter, Record, Sink};
use logtree_sinks::{FlushPolicy, RotatingFileSink, RotatingFileSinkBuilder};

/// What [`PlainFormatter`] puts before the message of a record of the logger `t`.
const PREFIX: &str = "INFO t - ";

fn builder(dir: &Path, stem: &str) -> RotatingFileSinkBuilder {
    RotatingFileSink::builder(stem)
        .dir(dir)
        .formatter(PlainFormatter)
}

/// Logs `msg` stamped `at` (a record's time paces the sink's check of its file).
fn log_at(sink: &RotatingFileSink, msg: &str, at: SystemTime) -> Result<(), Error> {
    sink.log(
        &Record::builder()
            .logger("t")
            .args(format_args!("{msg}"))
            .timestamp(at)
            .build(),
    )
}

/// The messages of `text`'s lines; panics on a line that is not a whole record.
fn messages(text: &str, what: &str) -> Vec<String> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{what} ends mid-line"
    );
    text.lines()
        .map(|line| {
            line.strip_prefix(PREFIX)
                .filter(|m| !m.contains(PREFIX))
                .unwrap_or_else(|| panic!("{what}: not one whole record: {line:?}"))
                .to_owned()
        })
        .collect()
}

/// How often each message occurs.
fn tally<'a>(messages: impl IntoIterator<Item = &'a String>) -> BTreeMap<&'a str, usize> {
    let mut seen = BTreeMap::new();
    for m in messages {
        *seen.entry(m.as_str()).or_insert(0) += 1;
    }
    seen
}

/// logrotate's `copytruncate`: copies the file to `copy`, then truncates it to 0.
fn copytruncate(path: &Path, copy: &Path) {
    fs::copy(path, copy).unwrap();
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// A file in `dir` that takes every byte left on its file system.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = fs::File::create(&filler).unwrap();
    let chunk = vec![b'f'; 4096];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // The last pages of a tmpfs go byte by byte.
    while file.write(b"f").is_ok_and(|n| n == 1) {}
    filler
}

// ---------------------------------------------------------------------------------------------
// 22.1: copytruncate, then a failed write

/// Logs 1,000 records, lets logrotate `copytruncate` the file, fills the disk, logs until 20
/// writes failed, frees the disk and logs 100 more: no NUL byte anywhere, every line whole, and
/// across the copy and the file each record that was not reported lost is there exactly once.
///
/// Records from the truncation on are stamped `step` apart: a step past a second makes each
/// one run the sink's check of its file (so a record takes the sink's exclusive way).
fn copytruncate_then_full_disk(policy: FlushPolicy, step: Duration) {
    let root = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount(&root.path().join("small"), 256) {
        Ok(disk) => disk,
        Err(why) => {
            println!("SKIPPED: no small file system to fill ({why})");
            return;
        }
    };
    let sink = builder(&disk.path.join("logs"), "Copy")
        .max_bytes(0)
        .flush_policy(policy)
        .build()
        .unwrap();
    let path = sink.path();
    let t0 = SystemTime::now();
    let pad = "p".repeat(60);
    let mut kept = Vec::new();
    let mut i = 0;
    let mut at = t0;
    let mut record = |kept: &mut Vec<String>| {
        let m = format!("r{i:05} {pad}");
        if i >= 1000 {
            at += step;
        }
        i += 1;
        let logged = log_at(&sink, &m, at).is_ok();
        if logged {
            // Buffered: a failed flush keeps the lines and writes them later.
            kept.push(m);
        }
        logged && sink.flush().is_ok()
    };
    for _ in 0..1000 {
        assert!(record(&mut kept));
    }
    let copy = root.path().join("copy.log");
    copytruncate(&path, &copy);
    let filler = fill(&disk.path);
    let mut failed = 0;
    while failed < 20 {
        assert!(kept.len() < 20_000, "the disk never filled");
        if !record(&mut kept) {
            failed += 1;
        }
    }
    fs::remove_file(&filler).unwrap();
    for _ in 0..100 {
        record(&mut kept);
    }
    sink.flush().unwrap();

    let bytes = fs::read(&path).unwrap();
    let nuls = bytes.iter().filter(|&&b| b == 0).count();
    assert_eq!(nuls, 0, "{policy:?}: NUL bytes in the file");
    let copied = messages(&fs::read_to_string(&copy).unwrap(), "the copy");
    let after = messages(&String::from_utf8(bytes).unwrap(), "the file");
    let seen = tally(copied.iter().chain(&after));
    let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "{policy:?}: written twice: {twice:?}");
    let missing: Vec<_> = kept
        .iter()
        .filter(|m| !seen.contains_key(m.as_str()))
        .collect();
    assert!(missing.is_empty(), "{policy:?}: lost: {missing:?}");
    println!(
        "{policy:?}: {} records in the copy, {} in the file, {failed} writes failed",
        copied.len(),
        after.len()
    );
}

#[test]
fn copytruncate_then_a_full_disk_leaves_no_nul_and_nothing_twice() {
    copytruncate_then_full_disk(FlushPolicy::EveryRecord, Duration::from_millis(1100));
}

#[test]
fn copytruncate_then_a_full_disk_with_buffering_leaves_no_nul_and_nothing_twice() {
    copytruncate_then_full_disk(FlushPolicy::buffered(), Duration::ZERO);
}

/// After `copytruncate` the sink notices at its next check that the file shrank, and lets it
/// fill up to `max_bytes` again instead of rolling the empty file over.
#[test]
fn a_truncated_file_is_noticed_and_fills_up_again() {
    let root = tempfile::tempdir().unwrap();
    let sink = builder(root.path(), "Resync")
        .max_bytes(4096)
        .backup_count(3)
        .build()
        .unwrap();
    let path = sink.path();
    let t0 = SystemTime::now();
    // 100-byte lines: 40 fill the file to 4,000 of its 4,096 bytes.
    let line = |i: usize| format!("r{i:04} {}", "x".repeat(100 - PREFIX.len() - 7));
    for i in 0..40 {
        log_at(&sink, &line(i), t0).unwrap();
    }
    let copy = root.path().join("copy.log");
    copytruncate(&path, &copy);
    for i in 40..80 {
        log_at(&sink, &line(i), t0 + Duration::from_millis(1500)).unwrap();
    }
    let backup = root
        .path()
        .join(format!("{}.1", path.file_name().unwrap().to_str().unwrap()));
    let backup_len = fs::metadata(&backup).map(|m| m.len()).ok();
    assert_eq!(
        backup_len, None,
        "a roll-over of the truncated file (its count stale)"
    );
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), 4000);
    let all: Vec<String> = messages(&fs::read_to_string(&copy).unwrap(), "the copy")
        .into_iter()
        .chain(messages(&text, "the file"))
        .collect();
    assert_eq!(all, (0..80).map(line).collect::<Vec<_>>());
}

/// logrotate's default style, rename + `create`, with a `postrotate` that sends `SIGHUP`, whose
/// handler calls `reopen()`: the buffered records go to the moved file, every later one to the
/// new file, none twice, without waiting for the sink's check.
#[test]
fn reopen_after_logrotate_moves_the_file_writes_to_the_new_one() {
    let root = tempfile::tempdir().unwrap();
    let sink = builder(root.path(), "Hup")
        .flush_policy(FlushPolicy::buffered())
        .build()
        .unwrap();
    let path = sink.path();
    let t0 = SystemTime::now();
    let before: Vec<String> = (0..50).map(|i| format!("before {i:02}")).collect();
    let after: Vec<String> = (0..50).map(|i| format!("after {i:02}")).collect();
    for m in &before {
        log_at(&sink, m, t0).unwrap();
    }
    let rotated = root.path().join("rotated.log");
    fs::rename(&path, &rotated).unwrap();
    fs::File::create(&path).unwrap();
    sink.reopen().unwrap();
    for m in &after {
        log_at(&sink, m, t0).unwrap();
    }
    sink.flush().unwrap();
    let old = messages(&fs::read_to_string(&rotated).unwrap(), "the moved file");
    let new = messages(&fs::read_to_string(&path).unwrap(), "the new file");
    assert_eq!((old, new), (before, after));
}

// ---------------------------------------------------------------------------------------------
// 22.8: a torn last line

/// A file torn by `kill -9` in the middle of a record: the next process's first record starts
/// on a line of its own, and the newline counts towards `max_bytes`.
#[test]
fn a_restart_after_a_torn_line_starts_on_a_new_line() {
    let root = tempfile::tempdir().unwrap();
    let day = SystemTime::UNIX_EPOCH + Duration::from_secs(20_000 * 86_400 + 12 * 3600);
    let date = chrono::DateTime::<chrono::Local>::from(day).date_naive();
    let path = root
        .path()
        .join(format!("Torn_{}.log", date.format("%Y-%m-%d")));
    let torn = format!("{PREFIX}a big record cut sho");
    fs::write(&path, &torn).unwrap();
    let first = "first after the restart";
    let line_len = PREFIX.len() + first.len() + 1;
    let sink = builder(root.path(), "Torn")
        .clock(move || day)
        .max_bytes((torn.len() + 1 + line_len) as u64)
        .backup_count(2)
        .build()
        .unwrap();
    assert_eq!(sink.path(), path);
    log_at(&sink, first, day).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{torn}\n{PREFIX}{first}\n"));
    // Exactly full, newline included: the next record rolls over.
    log_at(&sink, "second", day).unwrap();
    // The archive thread numbers the backup: `flush` waits for it.
    sink.flush().unwrap();
    let backup = fs::read_to_string(
        root.path()
            .join(format!("{}.1", path.file_name().unwrap().to_str().unwrap())),
    );
    assert_eq!(backup.ok(), Some(text));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{PREFIX}second\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 22.9: the log directory swapped for a symbolic link

/// The directory moved away and a symbolic link to another directory put at its name: the
/// sink keeps writing into the directory it set up (now under its new name); nothing reaches
/// the link's target.
#[test]
fn a_log_directory_swapped_for_a_symlink_gets_every_record_and_the_target_none() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let elsewhere = root.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let sink = builder(&logs, "Swap").max_bytes(0).build().unwrap();
    let name = sink.path().file_name().unwrap().to_owned();
    let t0 = SystemTime::now();
    log_at(&sink, "before", t0).unwrap();
    let moved = root.path().join("logs.moved");
    fs::rename(&logs, &moved).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &logs).unwrap();
    let mut results = Vec::new();
    for i in 0..100 {
        let at = t0 + Duration::from_millis(1500 + 20 * i);
        results.push(log_at(&sink, &format!("after {i:03}"), at));
    }
    sink.flush().unwrap();
    let strays: Vec<_> = fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let stray_lines: usize = strays
        .iter()
        .map(|n| {
            fs::read_to_string(elsewhere.join(n))
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert!(
        strays.is_empty(),
        "{stray_lines} records written through the link into {strays:?}"
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let text = fs::read_to_string(moved.join(&name)).unwrap();
    let expected: Vec<String> = ["before".to_owned()]
        .into_iter()
        .chain((0..100).map(|i| format!("after {i:03}")))
        .collect();
    assert_eq!(messages(&text, "the moved file"), expected);
}

/// The directory deleted and a symbolic link put at its name: the sink refuses to create the
/// directory's files through it (the records are reported lost), and creates the directory
/// again once the link is gone.
#[test]
fn a_deleted_log_directory_replaced_by_a_symlink_is_not_written_through() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let elsewhere = root.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let sink = builder(&logs, "Gone").max_bytes(0).build().unwrap();
    let path = sink.path();
    let t0 = SystemTime::now();
    log_at(&sink, "before", t0).unwrap();
    fs::remove_dir_all(&logs).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &logs).unwrap();
    let refused: Vec<bool> = (0..10)
        .map(|i| {
            let at = t0 + Duration::from_millis(1500 + 20 * i);
            log_at(&sink, &format!("while linked {i}"), at).is_err()
        })
        .collect();
    let strays: Vec<_> = fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(strays.is_empty(), "written through the link: {strays:?}");
    assert!(refused.iter().all(|&r| r), "reported: {refused:?}");
    fs::remove_file(&logs).unwrap();
    // Written; it may return the report of the lines lost with the deleted file.
    let _ = log_at(&sink, "back", t0 + Duration::from_millis(1800));
    assert!(!fs::symlink_metadata(&logs).unwrap().is_symlink());
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(messages(&text, "the new file").last().unwrap(), "back");
}

// ---------------------------------------------------------------------------------------------
// 22.10: several processes on one stem

const PROCESSES: usize = 4;
const RECORDS: usize = 50_000;
const SHARED_MAX: u64 = 64 * 1024;
const SHARED_DIR: &str = "EDGES_FILES_SHARED_DIR";
const SHARED_PROCESS: &str = "EDGES_FILES_SHARED_PROCESS";
const SHARED_RECORDS: &str = "EDGES_FILES_SHARED_RECORDS";
const SHARED_DECLARED: &str = "EDGES_FILES_SHARED_DECLARED";

/// In a child process of a test of several processes on one stem: logs its records to the
/// shared stem, and returns true; false in the test itself.
fn log_as_one_of_many(test: &str) -> bool {
    if !child::is_child(test) {
        return false;
    }
    let var = |name| std::env::var(name).unwrap();
    let sink = builder(Path::new(&var(SHARED_DIR)), "Shared")
        .max_bytes(SHARED_MAX)
        .backup_count(10_000)
        .multi_process(var(SHARED_DECLARED) == "yes")
        .build()
        .unwrap();
    let p: usize = var(SHARED_PROCESS).parse().unwrap();
    let records: usize = var(SHARED_RECORDS).parse().unwrap();
    for i in 0..records {
        // A failure is reported and the record lost: the parent counts what is missing.
        let _ = log_at(&sink, &format!("p{p} {i:06}"), SystemTime::now());
    }
    true
}

/// Four processes log 50,000 records each to one stem with 64 KiB files and backups enough to
/// keep everything, each declaring `multi_process(true)`: every record is in the files exactly
/// once, each process's in order, and no file is larger than `max_bytes` by more than one
/// record.
#[test]
fn four_processes_on_one_stem_lose_and_duplicate_nothing() {
    const TEST: &str = "four_processes_on_one_stem_lose_and_duplicate_nothing";
    if log_as_one_of_many(TEST) {
        return;
    }
    let files = run_processes(TEST, PROCESSES, RECORDS, true);
    let (lost, twice, oversized, order) = tally_processes(&files, PROCESSES, RECORDS);
    assert_eq!((lost, twice), (0, 0), "records lost, written twice");
    assert!(oversized.is_empty(), "files past max_bytes: {oversized:?}");
    assert_eq!(order.counts(), [RECORDS; PROCESSES], "out of order");
}

/// The same without `multi_process`: roll-overs are coordinated all the same (each under the
/// lock, after re-checking the file), so nothing is lost or written twice; the processes find
/// each other at a roll-over or their once-a-second check (a file may pass `max_bytes` until
/// then).
#[test]
fn processes_that_do_not_declare_it_still_lose_and_duplicate_nothing() {
    const TEST: &str = "processes_that_do_not_declare_it_still_lose_and_duplicate_nothing";
    const FEWER: usize = 20_000;
    if log_as_one_of_many(TEST) {
        return;
    }
    let files = run_processes(TEST, PROCESSES, FEWER, false);
    let (lost, twice, _, _) = tally_processes(&files, PROCESSES, FEWER);
    assert_eq!((lost, twice), (0, 0), "records lost, written twice");
}

/// A process that forks after setting its sink up (`multi_process`), parent and child then
/// both logging: the child locks apart from its parent (a forked child shares its parent's
/// open directory, and a `flock` on it), so nothing is lost or written twice and no file
/// passes `max_bytes` by more than one record.
#[test]
fn a_forked_child_and_its_parent_exclude_each_other() {
    const TEST: &str = "a_forked_child_and_its_parent_exclude_each_other";
    const EACH: usize = 25_000;
    if !child::is_child(TEST) {
        let root = run_processes(TEST, 1, EACH, true);
        let (lost, twice, oversized, order) = tally_processes(&root, 2, EACH);
        assert_eq!((lost, twice), (0, 0), "records lost, written twice");
        assert!(oversized.is_empty(), "files past max_bytes: {oversized:?}");
        assert_eq!(order.counts(), [EACH; 2], "out of order");
        return;
    }
    let sink = builder(Path::new(&std::env::var(SHARED_DIR).unwrap()), "Shared")
        .max_bytes(SHARED_MAX)
        .backup_count(10_000)
        .multi_process(true)
        .build()
        .unwrap();
    log_at(&sink, "p0 000000", SystemTime::now()).unwrap();
    // SAFETY: the child only logs through the sink and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    let me = usize::from(pid == 0);
    for i in usize::from(me == 0)..EACH {
        log_at(&sink, &format!("p{me} {i:06}"), SystemTime::now()).unwrap();
    }
    if pid == 0 {
        // SAFETY: ends the forked child without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    let start = std::time::Instant::now();
    let mut status = 0;
    // SAFETY: waits for the child forked above, without blocking.
    while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
        if start.elapsed() > Duration::from_secs(60) {
            // SAFETY: the child forked above, hung.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child hung");
        }
        std::thread::sleep(Duration::from_millis(10)); // polling a deadline, not synchronising
    }
    assert_eq!(status, 0, "the forked child failed");
}

/// Runs `processes` children of `test`, each logging `records` records to the stem `Shared`
/// in one directory; returns that directory.
fn run_processes(
    test: &str,
    processes: usize,
    records: usize,
    declared: bool,
) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..processes)
        .map(|p| {
            child::command(test)
                .env(SHARED_DIR, root.path())
                .env(SHARED_PROCESS, p.to_string())
                .env(SHARED_RECORDS, records.to_string())
                .env(SHARED_DECLARED, if declared { "yes" } else { "no" })
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        let status = child::wait_within(&mut c, Duration::from_secs(120)).expect("a child hung");
        assert!(status.success(), "a child failed: {status}");
    }
    root
}

/// Reads every file of the stem `Shared` in `dir`, where `processes` processes logged
/// `records` records each: how many are lost and written twice, the files larger than
/// `max_bytes` by more than one record, and the records of each process found in order.
fn tally_processes(
    dir: &tempfile::TempDir,
    processes: usize,
    records: usize,
) -> (usize, usize, Vec<(PathBuf, usize)>, InOrder) {
    let longest = PREFIX.len() + "p0 000000".len() + 1;
    let mut order = InOrder::new(processes);
    let mut seen = vec![vec![0u8; records]; processes];
    let mut oversized = Vec::new();
    let files = sink_files(dir.path(), "Shared");
    for file in &files {
        let text = match fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{e}"),
        };
        if text.len() as u64 > SHARED_MAX + longest as u64 {
            oversized.push((file.clone(), text.len()));
        }
        for m in messages(&text, &file.display().to_string()) {
            let (p, i) = m.strip_prefix('p').unwrap().split_once(' ').unwrap();
            let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
            seen[p][i] = seen[p][i].saturating_add(1);
            if seen[p][i] == 1 && order.counts()[p] == i {
                order.take(p, i, "in order");
            }
        }
    }
    let lost = seen.iter().flatten().filter(|&&n| n == 0).count();
    let twice = seen.iter().flatten().filter(|&&n| n > 1).count();
    println!(
        "{} files; lost {lost}, twice {twice}, oversized {oversized:?}",
        files.len()
    );
    (lost, twice, oversized, order)
}
