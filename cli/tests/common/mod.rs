//! Helpers of the tests that drive the built `logtree` binary: start it in a temporary
//! directory, read its files back oldest first, wait for its `--tee` copy.

#![allow(dead_code)] // each test file uses its own part

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The tool, started in `dir` with `args`, every stream piped.
pub fn start(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_logtree"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the logtree binary starts")
}

/// Runs the tool in `dir` with `input` on its standard input (written from a thread, so that
/// a large input cannot deadlock against its output) and waits for it.
pub fn run(dir: &Path, args: &[&str], input: Vec<u8>) -> Output {
    let mut child = start(dir, args);
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        // The tool may end early (a bad option): a broken pipe is its answer, not ours.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("waits for logtree");
    writer.join().expect("the input writer");
    output
}

/// `n` numbered lines, `1\n2\n…`.
pub fn numbered(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 8);
    for i in 1..=n {
        writeln!(out, "{i}").expect("a Vec takes it");
    }
    out
}

/// The log files of `dir`, oldest first: by date, then backups from the highest number down
/// to `.1`, then the current file.
pub fn files_oldest_first(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(String, (u8, u64), PathBuf)> = fs::read_dir(dir)
        .expect("the log directory")
        .map(|entry| entry.expect("an entry").path())
        // The archiver's lock file.
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            // Numbered backups (the highest the oldest), then files a roll-over moved aside
            // and the archiver has not numbered yet (a kill left them), then the current one.
            let (base, rank) = match name.rsplit_once('.') {
                Some((base, n)) if n.bytes().all(|b| b.is_ascii_digit()) => {
                    (base.to_owned(), (0, u64::MAX - n.parse::<u64>().unwrap()))
                }
                Some((base, staged)) if staged.starts_with("roll-") => (
                    base.to_owned(),
                    (1, staged["roll-".len()..].parse().unwrap()),
                ),
                _ => (name.clone(), (2, 0)),
            };
            (base, rank, path)
        })
        .collect();
    // Names carry the date, so they sort by it.
    files.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    files.into_iter().map(|(_, _, path)| path).collect()
}

/// Every log file of `dir` concatenated, oldest first.
pub fn concatenated(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for path in files_oldest_first(dir) {
        all.extend_from_slice(&fs::read(path).expect("a log file"));
    }
    all
}

/// The one file of `dir` (the tool's current file when nothing rolled over).
pub fn only_file(dir: &Path) -> PathBuf {
    let files = files_oldest_first(dir);
    assert_eq!(files.len(), 1, "one file in {}: {files:?}", dir.display());
    files[0].clone()
}

/// Reads the `--tee` copy until it holds `len` bytes: everything fed so far was read by the
/// tool, and written to its file before it was copied.
pub fn read_tee(stdout: &mut ChildStdout, len: usize) -> Vec<u8> {
    let mut copy = vec![0; len];
    stdout
        .read_exact(&mut copy)
        .expect("the tool copies its input to stdout");
    copy
}

/// Writes `bytes` to the tool and makes sure they left this process.
pub fn feed(stdin: &mut ChildStdin, bytes: &[u8]) {
    stdin.write_all(bytes).expect("the tool reads");
    stdin.flush().expect("the tool reads");
}

/// Sends `signal` to the child.
pub fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) with a live child's pid and a valid signal number has no memory effects.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal})");
}

/// Waits until `done` holds, failing after a generous deadline. Polls: a file appearing
/// cannot be waited on otherwise.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Standard error as text.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
