//! The journald sink against a real `systemd-journald`, started by the test in a journal
//! namespace of its own (`systemd-journald <namespace>` listens on
//! `/run/systemd/journal.<namespace>/socket` and needs no systemd as PID 1), read back with
//! `journalctl --namespace`.
//!
//! journald needs root (it writes under /run and /var/log/journal): without root or without
//! systemd's binaries the test says so on stderr and checks nothing; the sink's protocol is
//! also tested against a socket the test binds (sinks/src/journald/tests.rs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::JournaldSink;

const JOURNALD: &str = "/lib/systemd/systemd-journald";

/// A journald of the test's own, removed with its files when dropped.
struct Journald {
    namespace: String,
    child: Child,
}

impl Journald {
    fn socket(&self) -> PathBuf {
        PathBuf::from(format!("/run/systemd/journal.{}/socket", self.namespace))
    }
}

impl Drop for Journald {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(format!("/run/systemd/journal.{}", self.namespace));
        for base in ["/var/log/journal", "/run/log/journal"] {
            let Ok(entries) = std::fs::read_dir(base) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(&format!(".{}", self.namespace))
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

/// Starts journald, or says why it cannot.
fn start_journald() -> Result<Journald, String> {
    if !Path::new(JOURNALD).is_file() {
        return Err(format!(
            "{JOURNALD} is not installed (Debian package systemd)"
        ));
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("journald needs root to write under /run and /var/log/journal".into());
    }
    let namespace = format!("logtree{}", std::process::id());
    let child = Command::new(JOURNALD)
        .arg(&namespace)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("cannot start {JOURNALD}: {err}"))?;
    let journald = Journald { namespace, child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !journald.socket().exists() {
        if Instant::now() > deadline {
            return Err("journald did not create its socket within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(journald)
}

/// The entries of `identifier` in the namespace, as journalctl's JSON.
fn entries(journald: &Journald, identifier: &str) -> Vec<serde_json::Value> {
    let output = Command::new("journalctl")
        .arg(format!("--namespace={}", journald.namespace))
        .args(["-o", "json", "--no-pager", "--all"])
        .arg(format!("SYSLOG_IDENTIFIER={identifier}"))
        .output()
        .expect("run journalctl");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[test]
fn records_arrive_in_a_real_journal_with_their_fields() {
    let journald = match start_journald() {
        Ok(journald) => journald,
        Err(why) => {
            eprintln!("NOT TESTED against a real journald: {why}");
            return;
        }
    };
    let sink = JournaldSink::builder()
        .socket(journald.socket())
        .identifier("logtree-test")
        .build()
        .unwrap();
    let tree = LoggerTree::new();
    let logger = tree
        .setup_logger(
            "shop.db",
            SetupOptions::new().level(LevelFilter::Debug).sink(sink),
        )
        .unwrap();
    const N: usize = 200;
    for i in 0..N {
        logger.warn(format_args!("record {i}\nsecond line"));
    }
    tree.flush().unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let found = entries(&journald, "logtree-test");
        if found.len() >= N || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(found.len(), N, "entries in the journal");
    for (i, entry) in found.iter().enumerate() {
        assert_eq!(
            entry["MESSAGE"],
            format!("record {i}\nsecond line"),
            "{entry}"
        );
        assert_eq!(entry["PRIORITY"], "4");
        assert_eq!(entry["LOGGER"], "shop.db");
        assert_eq!(entry["_PID"], std::process::id().to_string());
        assert_eq!(entry["_TRANSPORT"], "journal");
    }
    tree.shutdown().unwrap();

    // Key-values become upper-cased fields; a value with a line break arrives whole.
    let sink = JournaldSink::builder()
        .socket(journald.socket())
        .identifier("logtree-kv")
        .build()
        .unwrap();
    let kvs = [("user_id", "ann"), ("trace", "a\nb"), ("message", "shadow")];
    logtree_core::Sink::log(
        &sink,
        &logtree_core::Record::builder()
            .logger("shop")
            .args(format_args!("with fields"))
            .key_values(&kvs)
            .build(),
    )
    .unwrap();
    logtree_core::Sink::flush(&sink).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let entry = loop {
        if let Some(entry) = entries(&journald, "logtree-kv").pop() {
            break entry;
        }
        assert!(
            Instant::now() < deadline,
            "the entry with fields never arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(entry["MESSAGE"], "with fields");
    assert_eq!(entry["USER_ID"], "ann");
    assert_eq!(entry["TRACE"], "a\nb");
    assert_eq!(entry["KV_MESSAGE"], "shadow");
}
