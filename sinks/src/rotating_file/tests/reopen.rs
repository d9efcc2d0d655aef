//! `reopen` after an external rotation, and `write_line` of already formatted lines.

use std::fs;

use logtree_core::UnixTime;

use super::*;

#[test]
fn reopen_after_a_move_starts_a_new_file_and_the_moved_one_keeps_every_earlier_line() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .flush_policy(policy)
            .build()
            .unwrap();
        log(&sink, "one").unwrap();
        log(&sink, "two").unwrap();
        let moved = dir.path().join("rotated.log");
        fs::rename(sink.path(), &moved).unwrap();
        // Buffered lines are written before the file is closed: to the moved file.
        sink.reopen().unwrap();
        assert!(sink.path().exists(), "a new file at the path: {policy:?}");
        log(&sink, "three").unwrap();
        sink.flush().unwrap();
        assert_eq!(
            fs::read_to_string(&moved).unwrap(),
            "one\ntwo\n",
            "{policy:?}"
        );
        assert_eq!(
            fs::read_to_string(sink.path()).unwrap(),
            "three\n",
            "{policy:?}"
        );
    }
}

#[test]
fn reopen_of_a_file_still_in_place_appends_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App").max_bytes(10).build().unwrap();
    log(&sink, "abcd").unwrap();
    sink.reopen().unwrap();
    // The size is counted again from the file: "abcd\n" + "efgh\n" fills it, then it rolls.
    log(&sink, "efgh").unwrap();
    log(&sink, "ij").unwrap();
    sink.flush().unwrap();
    let name = name_of(&sink.path());
    let all = files(dir.path());
    assert_eq!(all[&backup(&name, 1)], "abcd\nefgh\n");
    assert_eq!(all[&name], "ij\n");
}

#[test]
fn write_line_writes_the_bytes_as_given_and_never_splits_a_line() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "Raw")
            .max_bytes(8)
            .backup_count(10)
            .flush_policy(policy)
            .build()
            .unwrap();
        let lines: [&[u8]; 4] = [b"ab\xff\n", b"\x1b[31m red\n", b"cd\n", b"end"];
        for line in lines {
            sink.write_line(line, UnixTime::now()).unwrap();
        }
        sink.flush().unwrap();
        let name = name_of(&sink.path());
        let read = |n: u32| fs::read(dir.path().join(backup(&name, n))).unwrap();
        assert_eq!(read(2), b"ab\xff\n", "{policy:?}");
        assert_eq!(
            read(1),
            b"\x1b[31m red\n",
            "longer than max_bytes, whole: {policy:?}"
        );
        assert_eq!(fs::read(sink.path()).unwrap(), b"cd\nend", "{policy:?}");
    }
}
