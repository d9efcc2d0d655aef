//! Roll-over points, backup shifting and deletion, `max_bytes = 0`, `backup_count = 0` (never roll over), and
//! a roll-over that cannot rename.

use std::fs;

use logtree_core::Error;

use super::*;

#[test]
fn a_file_never_passes_max_bytes_unless_it_holds_one_larger_record() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .max_bytes(10)
            .backup_count(100)
            .flush_policy(policy)
            .build()
            .unwrap();
        // Sizes with the newline: 4, 4, 2 (exactly 10), 1 (rolls), 15 (alone, larger), 3.
        for msg in ["aaa", "bbb", "c", "", &"d".repeat(14), "ee"] {
            log(&sink, msg).unwrap();
        }
        sink.flush().unwrap();
        let name = name_of(&sink.path());
        let all = files(dir.path());
        assert_eq!(all[&backup(&name, 3)], "aaa\nbbb\nc\n", "{policy:?}");
        assert_eq!(all[&backup(&name, 2)], "\n", "{policy:?}");
        // A file holding one byte rolls before the larger record, which an empty file takes
        // whole; the next record rolls again.
        assert_eq!(all[&backup(&name, 1)], "d".repeat(14) + "\n", "{policy:?}");
        assert_eq!(all[&name], "ee\n", "{policy:?}");
        assert_eq!(all.len(), 4, "{policy:?}");
        for text in all.values() {
            assert!(text.len() <= 10 || text.lines().count() == 1, "{text:?}");
        }
    }
}

#[test]
fn backups_shift_and_the_oldest_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(3)
        .backup_count(3)
        .build()
        .unwrap();
    for i in 0..10 {
        log(&sink, &format!("{i}")).unwrap();
        // The backups are shifted and the oldest deleted by the archive thread: `flush`
        // waits for it.
        sink.flush().unwrap();
        let count = files(dir.path()).len();
        assert!(count <= 4, "at most backup_count + 1 files, got {count}");
    }
    let name = name_of(&sink.path());
    let all = files(dir.path());
    assert_eq!(all.len(), 4);
    assert_eq!(all[&name], "9\n");
    assert_eq!(all[&backup(&name, 1)], "8\n");
    assert_eq!(all[&backup(&name, 2)], "7\n");
    assert_eq!(all[&backup(&name, 3)], "6\n");
}

#[test]
fn max_bytes_zero_never_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(0)
        .backup_count(2)
        .build()
        .unwrap();
    let line = "x".repeat(1000);
    for _ in 0..100 {
        log(&sink, &line).unwrap();
    }
    let all = files(dir.path());
    assert_eq!(all.len(), 1);
    assert_eq!(all[&name_of(&sink.path())].len(), 100 * 1001);
}

/// Python's rule ("if either maxBytes or backupCount is zero, rollover never occurs"): with no
/// backup to keep, a roll-over could only discard the file, and no setting discards records
/// the user did not ask to discard. (Before: the file was removed and started afresh.)
#[test]
fn backup_count_zero_never_rolls_over() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .max_bytes(6)
            .backup_count(0)
            .flush_policy(policy)
            .build()
            .unwrap();
        for msg in ["ab", "cd", "ef", "gh"] {
            log(&sink, msg).unwrap();
        }
        sink.flush().unwrap();
        let all = files(dir.path());
        assert_eq!(all.len(), 1, "{policy:?}: {all:?}");
        assert_eq!(
            all[&name_of(&sink.path())],
            "ab\ncd\nef\ngh\n",
            "{policy:?}"
        );
    }
}

#[test]
fn a_roll_over_that_cannot_be_finished_keeps_every_record_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .max_bytes(4)
        .backup_count(1)
        .build()
        .unwrap();
    let name = name_of(&sink.path());
    // The only backup slot is a non-empty directory: it can be neither removed nor replaced.
    let blocker = dir.path().join(backup(&name, 1));
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "").unwrap();

    // The archive thread cannot finish the roll-overs (the caller only moves the file aside
    // under a staged name): a later roll-over or the flush reports why.
    let mut errors: Vec<Error> = ["one", "two", "three"]
        .into_iter()
        .filter_map(|msg| log(&sink, msg).err())
        .collect();
    errors.extend(sink.flush().err());
    assert!(!errors.is_empty(), "the failure is reported");
    for err in &errors {
        assert!(
            matches!(err, Error::Rename { to, .. } if to.ends_with(backup(&name, 1)))
                || matches!(err, Error::RemoveFile { path, .. } if path.ends_with(backup(&name, 1))),
            "{err}"
        );
    }
    // Nothing was lost or truncated: the staged files keep their records.
    let mut all: Vec<String> = files(dir.path()).into_values().collect();
    all.sort();
    assert_eq!(all, ["one\n", "three\n", "two\n"]);

    // Once the cause is gone, the staged roll-overs are finished in order: with one backup
    // kept, the newest of them is `.1` and the older ones are deleted as the oldest backups.
    fs::remove_dir_all(&blocker).unwrap();
    log(&sink, "four").unwrap();
    sink.flush().unwrap();
    let all = files(dir.path());
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[&backup(&name, 1)], "three\n");
    assert_eq!(all[&name], "four\n");
}
