//! Background writing: records reach the file with no flush, `Block` never loses one under
//! load, and `Drop` never waits for a stuck writer and counts exactly what it dropped.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::*;
use crate::rotating_file::Overflow;

fn background(capacity: usize, overflow: Overflow) -> FlushPolicy {
    FlushPolicy::Background { capacity, overflow }
}

/// Polls `dir` until its files hold `lines` lines, at most 10 s.
fn wait_for_lines(dir: &Path, lines: usize) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = files(dir);
        let count: usize = all.values().map(|text| text.lines().count()).sum();
        if count >= lines || Instant::now() > deadline {
            return all;
        }
        thread::sleep(Duration::from_millis(5)); // polling a deadline, not synchronising
    }
}

#[test]
fn records_reach_the_file_without_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(background(4096, Overflow::Block))
        .build()
        .unwrap();
    for i in 0..100 {
        log(&sink, &format!("line {i}")).unwrap();
    }
    let all = wait_for_lines(dir.path(), 100);
    let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
    assert_eq!(all[&name_of(&sink.path())], expected);
}

#[test]
fn blocking_loses_nothing_under_load_and_keeps_the_size_limit() {
    const THREADS: usize = 4;
    const EACH: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(
        builder(dir.path(), "App")
            .max_bytes(64 * 1024)
            .backup_count(1000)
            .flush_policy(background(512, Overflow::Block))
            .build()
            .unwrap(),
    );
    thread::scope(|s| {
        for t in 0..THREADS {
            let sink = &sink;
            s.spawn(move || {
                for i in 0..EACH {
                    log(sink, &format!("t{t} {i:06}")).unwrap();
                }
            });
        }
    });
    sink.flush().unwrap();
    let mut next = [0usize; THREADS];
    let mut total = 0;
    for (name, text) in files(dir.path()) {
        assert!(text.len() <= 64 * 1024, "{name}: {} bytes", text.len());
    }
    let name = name_of(&sink.path());
    let mut oldest_first: Vec<String> = (1..=1000)
        .rev()
        .map(|n| backup(&name, n))
        .filter(|b| dir.path().join(b).exists())
        .collect();
    oldest_first.push(name);
    for path in oldest_first.iter().map(|n| dir.path().join(n)) {
        for line in fs::read_to_string(path).unwrap().lines() {
            let (t, i) = line[1..].split_once(' ').unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[t], "thread {t}: record {i} out of order or twice");
            next[t] += 1;
            total += 1;
        }
    }
    assert_eq!(total, THREADS * EACH);
}

#[test]
fn dropping_never_waits_for_a_stuck_writer_and_counts_exactly_what_it_dropped() {
    const RECORDS: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(
        builder(dir.path(), "App")
            .max_bytes(0)
            .flush_policy(background(1024, Overflow::Drop))
            .build()
            .unwrap(),
    );
    let (ready, registered) = mpsc::channel();
    let (go, start) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel();
    let logging = Arc::clone(&sink);
    let caller = thread::spawn(move || {
        // Its first record registers its buffer (under the writer's lock, free still).
        log(&logging, "first").unwrap();
        ready.send(()).unwrap();
        start.recv().unwrap();
        for i in 0..RECORDS {
            log(&logging, &format!("record {i:05}")).unwrap();
        }
        done.send(()).unwrap();
    });
    registered.recv().unwrap();
    let stuck = sink.writer.stall();
    let started = Instant::now();
    go.send(()).unwrap();
    // The stuck writer holds its lock; every call must return regardless.
    let returned = finished.recv_timeout(Duration::from_secs(20)).is_ok();
    drop(stuck);
    assert!(returned, "a caller waited for the stuck writer");
    caller.join().unwrap();
    let elapsed = started.elapsed();
    let reported = match sink.flush() {
        Err(Error::RecordsDropped { records, .. }) => records,
        other => panic!("the flush reports the dropped records: {other:?}"),
    };
    sink.flush().unwrap();
    let text = fs::read_to_string(sink.path()).unwrap();
    let kept: Vec<usize> = text
        .lines()
        .filter_map(|l| l.strip_prefix("record "))
        .map(|n| n.parse().unwrap())
        .collect();
    let in_file: u64 = text
        .lines()
        .find_map(|l| l.split("logtree dropped ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .map(|n| n.parse().unwrap())
        .expect("the count is in the file");
    assert_eq!(in_file, reported);
    assert!(reported > 0);
    assert_eq!(
        kept.len() as u64 + reported,
        RECORDS as u64,
        "each kept or counted ({elapsed:?})"
    );
    assert!(
        kept.windows(2).all(|w| w[0] < w[1]),
        "the kept ones in order"
    );
}
