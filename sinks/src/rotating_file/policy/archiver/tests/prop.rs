//! The archiver against a model of backup numbers: whatever the backups (plain or compressed,
//! with gaps) and the staged roll-overs, a run leaves each content at the number the model
//! says, in the configured form, and a second run changes nothing.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// `.N` contents after finishing `staged` (in order) over `backups`, keeping `n`.
fn model(mut backups: BTreeMap<u32, String>, staged: &[String], n: u32) -> BTreeMap<u32, String> {
    for s in staged {
        let mut gap = (1..).find(|i| !backups.contains_key(i)).unwrap();
        if gap > n {
            backups.remove(&n);
            gap = n;
        }
        for i in (1..gap).rev() {
            let moved = backups.remove(&i).unwrap();
            backups.insert(i + 1, moved);
        }
        backups.insert(1, s.clone());
    }
    backups.retain(|&i, _| i <= n);
    backups
}

fn archive(form: Form, text: &str) -> Vec<u8> {
    match form {
        Form::Plain => text.as_bytes().to_vec(),
        Form::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
            gz.finish().unwrap()
        }
        Form::Zstd => zstd::encode_all(text.as_bytes(), 1).unwrap(),
    }
}

fn form_of(i: u8) -> Form {
    [Form::Plain, Form::Gzip, Form::Zstd][usize::from(i % 3)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn runs_match_the_model(
        present in proptest::collection::vec(proptest::option::weighted(0.6, 0u8..3), 8),
        staged in 0usize..5,
        n in 1u32..6,
        compression in 0u8..3,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut backups = BTreeMap::new();
        for (i, form) in present.iter().enumerate() {
            if let Some(form) = form {
                let index = i as u32 + 1;
                let text = format!("b{index}");
                let name = format!("{TODAY}.{index}{}", form_of(*form).suffix());
                fs::write(d.join(name), archive(form_of(*form), &text)).unwrap();
                backups.insert(index, text);
            }
        }
        let staged: Vec<String> = (0..staged).map(|j| format!("s{j}")).collect();
        for (j, text) in staged.iter().enumerate() {
            write(d, &format!("{TODAY}.roll-{}", 10 * j + 3), text);
        }
        let compression = [Compression::None, Compression::Gzip, Compression::Zstd][usize::from(compression)];
        let a = archiver(d, n, Policies { compression, ..Policies::default() });
        a.run(&d.join(TODAY), now()).unwrap();
        // Each backup in whichever form it has now (checked below).
        let expected: BTreeMap<String, String> = model(backups, &staged, n)
            .into_iter()
            .map(|(i, text)| {
                let name = [Form::Plain, Form::Gzip, Form::Zstd]
                    .map(|form| format!("{TODAY}.{i}{}", form.suffix()))
                    .into_iter()
                    .find(|name| d.join(name).exists())
                    .unwrap_or_else(|| panic!("backup {i} is missing"));
                (name, text)
            })
            .collect();
        let after = contents(d);
        prop_assert_eq!(&after, &expected);
        if compression != Compression::None {
            for name in after.keys() {
                prop_assert!(name.ends_with(".gz") || name.ends_with(".zst"), "{} is plain", name);
            }
        }
        a.run(&d.join(TODAY), now()).unwrap();
        prop_assert_eq!(contents(d), after, "a second run changes nothing");
    }
}
