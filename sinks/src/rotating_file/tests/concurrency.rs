//! 8 threads x 20,000 numbered records through a tree, with hundreds of roll-overs: every
//! record lands exactly once, whole, and each thread's records stay in order.

use std::fs;
use std::sync::Mutex;

use logtree_core::{LevelFilter, LoggerTree, SetupOptions};

use super::*;

const THREADS: usize = 8;
const RECORDS: usize = 20_000;
/// About 50 bytes a line, 8 MB in all: some 320 roll-overs.
const MAX_BYTES: u64 = 24 * 1024;
const BACKUPS: u32 = 2_000;

fn run(policy: FlushPolicy) {
    let dir = tempfile::tempdir().unwrap();
    // The default millisecond formatter: the real line, `<time> - app.w - INFO - t3 r00042`.
    let sink = RotatingFileSink::builder("Load")
        .dir(dir.path())
        .max_bytes(MAX_BYTES)
        .backup_count(BACKUPS)
        .flush_policy(policy)
        .build()
        .unwrap();
    let name = name_of(&sink.path());
    let tree = LoggerTree::new();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    tree.set_error_handler(move |err| seen.lock().unwrap().push(err.to_string()));
    tree.setup_logger(
        "app",
        SetupOptions::new().level(LevelFilter::Info).sink(sink),
    )
    .unwrap();

    std::thread::scope(|s| {
        for t in 0..THREADS {
            let logger = tree.logger("app.w").unwrap();
            s.spawn(move || {
                for i in 0..RECORDS {
                    logger.info(format_args!("t{t} r{i:05}"));
                }
            });
        }
    });
    tree.flush().unwrap();
    assert_eq!(*errors.lock().unwrap(), Vec::<String>::new(), "{policy:?}");

    let all = files(dir.path());
    let rolls = all.len() - 1;
    println!("{policy:?}: {rolls} roll-overs");
    assert!(
        (200..BACKUPS as usize).contains(&rolls),
        "{policy:?}: {rolls} roll-overs"
    );
    // Oldest first: the highest backup number down to 1, then the file.
    let ordered = (1..=rolls as u32)
        .rev()
        .map(|n| backup(&name, n))
        .chain([name.clone()]);
    let mut next = [0usize; THREADS];
    for file in ordered {
        let text = &all[&file];
        assert!(
            text.len() as u64 <= MAX_BYTES,
            "{policy:?}: {file} too large"
        );
        assert!(text.ends_with('\n'), "{policy:?}: {file} ends mid-line");
        for line in text.lines() {
            let (t, i) = parse(line).unwrap_or_else(|| panic!("{policy:?}: torn line {line:?}"));
            assert_eq!(
                i, next[t],
                "{policy:?}: thread {t} out of order or duplicated"
            );
            next[t] += 1;
        }
    }
    assert_eq!(next, [RECORDS; THREADS], "{policy:?}: records missing");
}

/// `YYYY-MM-DD HH:MM:SS.mmm - app.w - INFO - t<t> r<iiiii>` -> (t, i).
fn parse(line: &str) -> Option<(usize, usize)> {
    let rest = line.get(23..)?.strip_prefix(" - app.w - INFO - t")?;
    let (t, i) = rest.split_once(" r")?;
    let digits = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    (i.len() == 5).then_some(())?;
    Some((digits(t)?, digits(i)?)).filter(|&(t, _)| t < THREADS)
}

#[test]
fn every_record() {
    run(FlushPolicy::EveryRecord);
}

#[test]
fn buffered() {
    run(FlushPolicy::Buffered {
        capacity: 8 * 1024,
        interval: Duration::from_millis(5),
    });
}

#[test]
fn files_written_meanwhile_are_complete_lines() {
    // Readers of the file during the load see only whole lines (one write per line).
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "Read").max_bytes(0).build().unwrap();
    let path = sink.path();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..5_000 {
                log(&sink, &format!("line {i:04} {}", "x".repeat(i % 97))).unwrap();
            }
        });
        for _ in 0..50 {
            let text = fs::read_to_string(&path).unwrap();
            let complete = text.rfind('\n').map_or("", |end| &text[..=end]);
            for line in complete.lines() {
                assert!(line.starts_with("line "), "{line:?}");
            }
        }
    });
}

/// The shared way in: 8 threads, a 200-byte limit, lines of 9 to 61 bytes and every 23rd one
/// longer than the limit, so reservations race each other and roll-overs all the time.
#[test]
fn every_record_writes_shared_and_rolls_exactly_under_contention() {
    const THREADS: usize = 8;
    const RECORDS: usize = 250;
    const MAX_BYTES: u64 = 200;
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "Tiny")
        .max_bytes(MAX_BYTES)
        .backup_count(BACKUPS)
        .build()
        .unwrap();
    let name = name_of(&sink.path());
    let pad = |t: usize, i: usize| match (t * RECORDS + i) % 23 {
        0 => 210 + i % 50,
        k => (k * 7 + i) % 52,
    };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let sink = &sink;
            s.spawn(move || {
                for i in 0..RECORDS {
                    log(sink, &format!("t{t} r{i:04} {}", "x".repeat(pad(t, i)))).unwrap();
                }
            });
        }
    });
    sink.flush().unwrap();

    let all = files(dir.path());
    let rolls = all.len() - 1;
    assert!(
        (100..BACKUPS as usize).contains(&rolls),
        "{rolls} roll-overs"
    );
    let ordered: Vec<String> = (1..=rolls as u32)
        .rev()
        .map(|n| backup(&name, n))
        .chain([name.clone()])
        .collect();
    let mut next = [0usize; THREADS];
    for (k, file) in ordered.iter().enumerate() {
        let text = &all[file];
        assert!(text.ends_with('\n'), "{file} ends mid-line: {text:?}");
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert!(
            text.len() as u64 <= MAX_BYTES || lines.len() == 1,
            "{file} passes the limit with {} records",
            lines.len()
        );
        // Rolled only when needed: the next file's first record did not fit in this one.
        if let Some(newer) = ordered.get(k + 1) {
            let first = all[newer].split_inclusive('\n').next().unwrap();
            assert!(
                (text.len() + first.len()) as u64 > MAX_BYTES,
                "{file} ({} bytes) rolled before {first:?}",
                text.len()
            );
        }
        for line in lines {
            let (t, rest) = line.strip_prefix('t').unwrap().split_once(" r").unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), rest[..4].parse().unwrap());
            assert_eq!(
                *line,
                format!("t{t} r{i:04} {}\n", "x".repeat(pad(t, i))),
                "torn line"
            );
            assert_eq!(i, next[t], "thread {t} out of order, lost or duplicated");
            next[t] += 1;
        }
    }
    assert_eq!(next, [RECORDS; THREADS], "records missing");
}
