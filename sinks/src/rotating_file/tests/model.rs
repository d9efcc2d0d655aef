//! Property test: random record sizes, `max_bytes`, `backup_count`, a pre-existing file and
//! a flush policy; the files and their exact contents equal what a simple model predicts.

use std::fs;

use proptest::prelude::*;

use super::*;

/// The specification in a few lines: `current` and the backups, newest first.
fn model(existing: &[u8], lines: &[Vec<u8>], max_bytes: u64, backup_count: u32) -> Vec<Vec<u8>> {
    let mut current = existing.to_vec();
    // A torn last line is ended first.
    if current.last().is_some_and(|&last| last != b'\n') {
        current.push(b'\n');
    }
    let mut backups: Vec<Vec<u8>> = Vec::new();
    for line in lines {
        let would_pass = (current.len() + line.len()) as u64 > max_bytes;
        // Either limit at zero: never roll over (Python's rule).
        if max_bytes != 0 && backup_count != 0 && !current.is_empty() && would_pass {
            backups.insert(0, std::mem::take(&mut current));
            backups.truncate(backup_count as usize);
        }
        current.extend_from_slice(line);
    }
    std::iter::once(current).chain(backups).collect()
}

fn policy() -> impl Strategy<Value = FlushPolicy> {
    prop_oneof![
        Just(FlushPolicy::EveryRecord),
        (1usize..64).prop_map(|capacity| FlushPolicy::Buffered {
            capacity,
            interval: Duration::from_secs(3600),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn files_match_the_model(
        sizes in proptest::collection::vec(0usize..40, 0..60),
        max_bytes in prop_oneof![Just(0u64), 1u64..100],
        backup_count in 0u32..5,
        existing in 0usize..50,
        policy in policy(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new(local(NaiveDate::from_ymd_opt(2025, 6, 27).unwrap(), 12, 0, 0));
        let name = "M_2025-06-27.log";
        let existing = vec![b'#'; existing];
        if !existing.is_empty() {
            fs::write(dir.path().join(name), &existing).unwrap();
        }
        let sink = builder(dir.path(), "M")
            .max_bytes(max_bytes)
            .backup_count(backup_count)
            .flush_policy(policy)
            .clock(clock)
            .build()
            .unwrap();
        prop_assert_eq!(name_of(&sink.path()), name);
        // Record k is its size in one letter, so every record's bytes are told apart.
        let lines: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(k, &size)| {
                let mut line = vec![b'a' + (k % 26) as u8; size];
                line.push(b'\n');
                line
            })
            .collect();
        for line in &lines {
            let msg = std::str::from_utf8(&line[..line.len() - 1]).unwrap();
            log(&sink, msg).unwrap();
        }
        sink.flush().unwrap();

        let expected: BTreeMap<String, String> = model(&existing, &lines, max_bytes, backup_count)
            .into_iter()
            .enumerate()
            .map(|(n, bytes)| {
                let file = if n == 0 { name.to_owned() } else { backup(name, n as u32) };
                (file, String::from_utf8(bytes).unwrap())
            })
            .collect();
        prop_assert_eq!(files(dir.path()), expected);
    }
}
