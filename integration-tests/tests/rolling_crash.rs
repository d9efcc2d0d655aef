//! A process killed (SIGKILL) while its sink compresses a large backup loses nothing: every
//! backup is there plain or as a whole archive, and the restart's start-up pass finishes the
//! compression.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use integration_tests::child;
use integration_tests::rolled::{kept_files, read_all, wait_settled};
use integration_tests::trees::info_logger;
use logtree_core::LoggerTree;
use logtree_sinks::{Compression, RotatingFileSink, RotatingFileSinkBuilder, Rotation};

const TEST: &str = "a_kill_during_compression_loses_nothing_and_a_restart_finishes_it";
/// The child's log directory.
const DIR: &str = "LOGTREE_TEST_ROLLING_DIR";
const RECORDS: usize = 400_000;

fn builder(dir: &Path) -> RotatingFileSinkBuilder {
    RotatingFileSink::builder("App")
        .dir(dir)
        .rotate(Rotation::Never)
        .max_bytes(8 << 20)
        .backup_count(10)
        .compress(Compression::Gzip)
}

#[test]
fn a_kill_during_compression_loses_nothing_and_a_restart_finishes_it() {
    if child::is_child(TEST) {
        let dir = std::env::var(DIR).unwrap();
        let tree = LoggerTree::new();
        let app = info_logger(&tree, "app", |o| {
            o.sink(builder(Path::new(&dir)).build().unwrap())
        });
        for i in 0..RECORDS {
            app.info(format_args!("r{i}"));
        }
        // Every record has reached the OS (each call wrote it); the archive thread is
        // compressing the backups. Say so, and wait to be killed.
        std::fs::write(Path::new(&dir).join("logged"), "").unwrap();
        std::thread::sleep(Duration::from_secs(120));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut running = child::command(TEST)
        .env(DIR, dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let compressing = || {
        std::fs::read_dir(dir.path()).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".gz.tmp")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    };
    let logged = || dir.path().join("logged").exists();
    while !(logged() && compressing()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no compression seen"
        );
        assert!(running.try_wait().unwrap().is_none(), "the child ended");
        std::thread::sleep(Duration::from_millis(2)); // polling a deadline
    }
    running.kill().unwrap(); // SIGKILL
    running.wait().unwrap();
    // Right after the kill: every record in a plain file or a whole archive.
    let every_record_once = || {
        let found: Vec<usize> = read_all(dir.path(), "App")
            .lines()
            .map(|l| l.rsplit_once(" - r").unwrap().1.parse().unwrap())
            .collect();
        let first_difference = found.iter().zip(0..).position(|(n, i)| *n != i);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            found.len() == RECORDS && first_difference.is_none(),
            "{} records for {RECORDS}, first difference at {first_difference:?}; files {names:?}",
            found.len()
        );
    };
    every_record_once();
    // The restart's start-up pass finishes the compression.
    drop(builder(dir.path()).build().unwrap());
    wait_settled(dir.path(), "App", true);
    let kept = kept_files(dir.path(), "App");
    assert!(kept
        .iter()
        .filter(|k| k.index > 0)
        .all(|k| k.archive == ".gz"));
    every_record_once();
}
