//! `FlushPolicy::Buffered`: what waits in memory, and every way it gets written.

use std::fs;

use logtree_core::{LevelFilter, LoggerTree, SetupOptions};

use super::*;

fn buffered(capacity: usize, interval: Duration) -> FlushPolicy {
    FlushPolicy::Buffered { capacity, interval }
}

/// An interval no test reaches: the buffer is written only by what the test does.
const NEVER: Duration = Duration::from_secs(3600);

#[test]
fn records_wait_until_flush() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    log(&sink, "one").unwrap();
    log(&sink, "two").unwrap();
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "");
    sink.flush().unwrap();
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "one\ntwo\n");
}

#[test]
fn a_full_buffer_is_written_and_large_records_go_straight_through() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(0)
        .flush_policy(buffered(10, NEVER))
        .build()
        .unwrap();
    log(&sink, "abcd").unwrap();
    log(&sink, "efgh").unwrap();
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "");
    // 10 bytes buffered; one more does not fit, so the buffer is written first.
    log(&sink, "i").unwrap();
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "abcd\nefgh\n");
    // A record as large as the buffer is written at once, after what was buffered.
    log(&sink, "0123456789").unwrap();
    assert_eq!(
        fs::read_to_string(sink.path()).unwrap(),
        "abcd\nefgh\ni\n0123456789\n"
    );
}

#[test]
fn the_timer_writes_within_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(buffered(1 << 20, Duration::from_millis(20)))
        .build()
        .unwrap();
    let path = sink.path();
    let started = Instant::now();
    log(&sink, "soon").unwrap();
    wait_until("the timer's flush", || {
        fs::read_to_string(&path).unwrap() == "soon\n"
    });
    // Loose bound: only that the timer, not the 20 s deadline, wrote it.
    assert!(started.elapsed() < Duration::from_secs(10));
    // The timer keeps working for records after its first flush.
    log(&sink, "again").unwrap();
    wait_until("the second flush", || {
        fs::read_to_string(&path).unwrap() == "soon\nagain\n"
    });
}

#[test]
fn dropping_the_last_sink_writes_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    let path = sink.path();
    log(&sink, "kept").unwrap();
    drop(sink);
    assert_eq!(fs::read_to_string(path).unwrap(), "kept\n");
}

#[test]
fn tree_shutdown_and_drop_write_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(
        builder(dir.path(), "App")
            .flush_policy(buffered(1024, NEVER))
            .build()
            .unwrap(),
    );
    let path = sink.path();
    let tree = LoggerTree::new();
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .shared_sink(sink.clone()),
        )
        .unwrap();
    app.info(format_args!("before shutdown"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "");
    tree.shutdown().unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "before shutdown\n");

    // Logging after shutdown still works, and dropping the tree writes the buffer although
    // the sink lives on in this test.
    app.info(format_args!("after shutdown"));
    drop(app);
    drop(tree);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "before shutdown\nafter shutdown\n"
    );
    log(&sink, "timer restarted").unwrap();
    sink.flush().unwrap();
    assert!(fs::read_to_string(&path)
        .unwrap()
        .ends_with("timer restarted\n"));
}

#[test]
fn buffered_lines_roll_over_as_they_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(8)
        .backup_count(2)
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    log(&sink, "abc").unwrap();
    log(&sink, "def").unwrap();
    // 8 bytes for the file: the next record belongs in a new one.
    log(&sink, "ghi").unwrap();
    let name = name_of(&sink.path());
    assert_eq!(
        files(dir.path()).len(),
        1,
        "nothing is written or rolled yet"
    );
    sink.flush().unwrap();
    let all = files(dir.path());
    assert_eq!(all[&backup(&name, 1)], "abc\ndef\n");
    assert_eq!(all[&name], "ghi\n");
}

/// Threads buffer on their own; a flush writes their lines merged by record time, each
/// thread's in its order, and rolls over between lines exactly as one shared buffer would.
#[test]
fn lines_of_several_threads_are_written_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(12)
        .backup_count(10)
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    let t0 = SystemTime::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    // Each thread logs its lines, then waits for the next one, so that each thread has a
    // buffer of its own holding interleaved times.
    let plan: [&[(u64, &str)]; 3] = [
        &[(1, "a1"), (4, "a4"), (7, "a7")],
        &[(2, "b2"), (5, "b5")],
        &[(3, "c3"), (6, "c6"), (8, "c8")],
    ];
    std::thread::scope(|scope| {
        for lines in plan {
            let sink = &sink;
            scope
                .spawn(move || {
                    for (ms, msg) in lines {
                        log_at(sink, msg, at(*ms)).unwrap();
                    }
                })
                .join()
                .unwrap();
        }
    });
    assert_eq!(files(dir.path()).len(), 1, "all lines still buffered");
    sink.flush().unwrap();
    let name = name_of(&sink.path());
    let all = files(dir.path());
    // Lines are 3 bytes: four fit in 12.
    assert_eq!(all[&backup(&name, 1)], "a1\nb2\nc3\na4\n");
    assert_eq!(all[&name], "b5\nc6\na7\nc8\n");
    assert_eq!(all.len(), 2);
}

/// Threads come and go: the buffer of a thread that ended is written and dropped by the next
/// flush, so neither records nor memory are left behind.
#[test]
fn buffers_of_ended_threads_are_written_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    for round in 0..3 {
        std::thread::scope(|scope| {
            for t in 0..8 {
                let sink = &sink;
                scope.spawn(move || log(sink, &format!("round {round} thread {t}")).unwrap());
            }
        });
        assert_eq!(sink.writer.thread_buffers(), 8, "round {round}");
        // A thread lets go of its buffer as its thread-locals are destroyed, which may be
        // just after the scope saw it finish: a buffer still held is kept for a later flush.
        wait_until("the buffers of ended threads to be dropped", || {
            sink.flush().unwrap();
            sink.writer.thread_buffers() == 0
        });
    }
    let text = fs::read_to_string(sink.path()).unwrap();
    assert_eq!(text.lines().count(), 24, "{text}");
    for round in 0..3 {
        for t in 0..8 {
            assert!(
                text.contains(&format!("round {round} thread {t}\n")),
                "{text}"
            );
        }
    }
}

#[test]
fn an_impossible_capacity_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = builder(dir.path(), "App")
        .flush_policy(buffered(usize::MAX, NEVER))
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, logtree_core::Error::InvalidOption { option, .. } if option == "flush_policy"),
        "{err}"
    );
}

/// A record stamped in a later day than the clock's (another host's time, a hand-built
/// record) is buffered like any other: it does not start the day again, which would write
/// the buffer out (and ask the archive thread for a run) at every such record.
#[test]
fn a_record_stamped_ahead_of_the_clock_does_not_start_a_new_day() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .flush_policy(buffered(1024, NEVER))
        .build()
        .unwrap();
    log(&sink, "one").unwrap();
    let tomorrow = SystemTime::now() + Duration::from_secs(2 * 86_400);
    log_at(&sink, "from the future", tomorrow).unwrap();
    log_at(&sink, "and again", tomorrow).unwrap();
    assert_eq!(
        fs::read_to_string(sink.path()).unwrap(),
        "",
        "nothing written yet"
    );
    sink.flush().unwrap();
    assert_eq!(
        fs::read_to_string(sink.path()).unwrap(),
        "one\nfrom the future\nand again\n"
    );
}
