//! The archiver on real directories: backups, compression, leftovers and retention.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::compress::read_decompressed;
use super::super::{Compression, Retention, Rotation, Schedule};
use super::*;

mod backups;
mod prop;
mod retention;

const TODAY: &str = "App_2025-06-28.log";

fn archiver(dir: &Path, backup_count: u32, policies: Policies) -> Archiver {
    Archiver::new(dir.to_owned(), "App", policies, backup_count)
}

fn utc_daily() -> Schedule {
    Schedule {
        rotation: Rotation::Daily,
        utc: true,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

/// Every file of the directory but the archiver's lock, by name, archives decompressed.
fn contents(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|name| name != ".App.archiver.lock")
        .map(|name| {
            let form = if name.ends_with(".gz") {
                Form::Gzip
            } else if name.ends_with(".zst") {
                Form::Zstd
            } else {
                Form::Plain
            };
            let text = read_decompressed(&dir.join(&name), form).unwrap();
            (name, String::from_utf8(text).unwrap())
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

fn now() -> SystemTime {
    SystemTime::now()
}
