//! A process killed (SIGKILL) in the middle of a run leaves a directory that the next run
//! turns into the complete, ordered set: this test binary is re-run as a child process that
//! runs the archiver, and killed while it works.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::super::compress::read_decompressed;
use super::super::Compression;
use super::*;

/// Set in the child to the directory it archives.
const CHILD_DIR: &str = "LOGTREE_ARCHIVER_CHILD_DIR";
/// Set in the child to the compression it uses (`gzip`, `zstd`, `none`).
const CHILD_COMPRESSION: &str = "LOGTREE_ARCHIVER_CHILD_COMPRESSION";
const TODAY: &str = "App_2025-06-28.log";

fn policies(compression: &str) -> Policies {
    Policies {
        compression: match compression {
            "gzip" => Compression::Gzip,
            "zstd" => Compression::Zstd,
            _ => Compression::None,
        },
        ..Policies::default()
    }
}

/// In the child (when `CHILD_DIR` is set): says it starts, runs the archiver, returns true.
fn child_side() -> bool {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return false;
    };
    let compression = std::env::var(CHILD_COMPRESSION).unwrap();
    let dir = PathBuf::from(dir);
    println!("started");
    let backup_count = if compression == "none" { 10 } else { 5 };
    Archiver::new(dir.clone(), "App", policies(&compression), backup_count)
        .run(&dir.join(TODAY), SystemTime::now())
        .unwrap();
    println!("done");
    true
}

/// Starts this test as a child archiving `dir`, waits for it to start, lets it work for
/// `after` (the crash point: no synchronisation rides on it), then kills it and reaps it.
/// Returns whether it had finished before the kill.
fn run_and_kill(test: &str, dir: &Path, compression: &str, ready: impl Fn() -> bool) -> bool {
    let test = test.strip_prefix("logtree_sinks::").unwrap_or(test);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_COMPRESSION, compression)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("started") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended early"
        );
    }
    // Polls the directory for the crash point, within a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill(); // SIGKILL on unix
    let status = child.wait().unwrap();
    status.success()
}

/// A large, varied log: about 8 MiB, so that compressing it takes a while.
fn big_log() -> Vec<u8> {
    let mut text = Vec::with_capacity(9 << 20);
    let mut i: u64 = 0;
    while text.len() < 8 << 20 {
        let noise = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        text.extend_from_slice(
            format!("2025-06-28 14:25:23.123 - app.db - INFO - request {i} took {noise} us\n")
                .as_bytes(),
        );
        i += 1;
    }
    text
}

#[test]
fn a_kill_during_compression_leaves_the_plain_file_or_the_archive_and_a_rerun_finishes() {
    if child_side() {
        return;
    }
    let text = big_log();
    for (compression, form) in [("gzip", Form::Gzip), ("zstd", Form::Zstd)] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let plain = d.join(format!("{TODAY}.1"));
        let partial = d.join(format!("{TODAY}.1{}.tmp", form.suffix()));
        let archive = d.join(format!("{TODAY}.1{}", form.suffix()));
        fs::write(&plain, &text).unwrap();
        let mid_compression = || fs::metadata(&partial).is_ok_and(|m| m.len() > 0);
        let finished = run_and_kill(
            &format!(
                "{}::a_kill_during_compression_leaves_the_plain_file_or_the_archive_and_a_rerun_finishes",
                module_path!()
            ),
            d,
            compression,
            mid_compression,
        );
        // Right after the kill: the plain file whole, or the archive whole.
        let plain_whole = fs::read(&plain).is_ok_and(|t| t == text);
        let archive_whole = read_decompressed(&archive, form).is_ok_and(|t| t == text);
        assert!(
            plain_whole || archive_whole,
            "{compression}: neither is whole"
        );
        assert!(
            finished || partial.exists(),
            "{compression}: killed mid-compression"
        );
        // The restart's run.
        Archiver::new(d.to_owned(), "App", policies(compression), 5)
            .run(&d.join(TODAY), SystemTime::now())
            .unwrap();
        assert!(!plain.exists() && !partial.exists(), "{compression}");
        assert_eq!(
            read_decompressed(&archive, form).unwrap(),
            text,
            "{compression}"
        );
    }
}

#[test]
fn a_kill_while_finishing_staged_files_keeps_their_order() {
    if child_side() {
        return;
    }
    const STAGED: usize = 600;
    const KEPT: usize = 10;
    // Crash points: before the first rename, and as the work goes on.
    for done in [0, 1, 100, 300, 500] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_staged(d, STAGED);
        let staged_left = |d: &Path| {
            fs::read_dir(d)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_str()
                        .unwrap()
                        .contains(".roll-")
                })
                .count()
        };
        run_and_kill(
            &format!(
                "{}::a_kill_while_finishing_staged_files_keeps_their_order",
                module_path!()
            ),
            d,
            "none",
            || staged_left(d) <= STAGED - done,
        );
        Archiver::new(d.to_owned(), "App", policies("none"), KEPT as u32)
            .run(&d.join(TODAY), SystemTime::now())
            .unwrap();
        for n in 1..=KEPT {
            // Backup 1 is the newest: the staged file with the highest number.
            let text = fs::read_to_string(d.join(format!("{TODAY}.{n}")))
                .unwrap_or_else(|e| panic!("kill after {done}: backup {n}: {e}"));
            assert_eq!(
                text,
                format!("roll {}", STAGED + 1 - n),
                "kill after {done}"
            );
        }
        assert_eq!(staged_left(d), 0);
        assert_eq!(
            fs::read_dir(d).unwrap().count(),
            KEPT + 1,
            "and the lock file"
        );
    }
}

fn write_staged(d: &Path, count: usize) {
    for n in 1..=count {
        fs::write(d.join(format!("{TODAY}.roll-{n}")), format!("roll {n}")).unwrap();
    }
}
