//! The logtree demo: a small multi-module application in the spirit of the Python seed.
//!
//! `main` sets logging up once from `integration-tests/demo.toml`; the modules `db`, `net` and `utils`
//! just use `log` macros and land in the loggers `demo.db`, `demo.net`, `demo.utils`. Three
//! worker threads log about 1,200 records with key-values; the file rolls over a few times
//! (`max_size = "32 KiB"`), the console shows warnings and errors only. At the end the demo
//! lists its files and their line counts.
//!
//! Run it with `cargo run -p integration-tests --bin demo`; `LOGTREE_DIR=/tmp/x` moves the files.

use std::io::Write;
use std::path::PathBuf;
use std::thread;

use logtree::{LoggerTree, Setup};

/// Iterations per worker thread.
const ITERATIONS: u32 = 300;

mod utils {
    /// A checksum whose computation is logged at debug level (enabled for `demo.utils` only).
    pub fn checksum(data: &[u8]) -> u32 {
        let sum = data
            .iter()
            .fold(0u32, |acc, &b| acc.rotate_left(5) ^ u32::from(b));
        log::debug!(bytes = data.len(); "checksum {sum:08x}");
        sum
    }
}

mod db {
    /// One query of a pool worker.
    pub fn query(worker: &str, seq: u32) {
        let micros = (seq * 37) % 900 + 50;
        log::info!(worker = worker, seq = seq; "query {seq} done in {micros} us");
        if seq % 50 == 49 {
            log::warn!(worker = worker, seq = seq; "slow query: pool at {}% capacity", 80 + seq % 20);
        }
    }
}

mod net {
    /// One request served.
    pub fn serve(seq: u32) {
        let body = format!("response body {seq}");
        let sum = super::utils::checksum(body.as_bytes());
        log::info!(worker = "net", seq = seq; "served GET /items/{} ({} bytes, sum {sum:08x})", seq % 17, body.len());
        if seq % 100 == 99 {
            log::error!(worker = "net", seq = seq; "connection reset by peer 10.0.0.{}", seq % 250);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = Setup::new().config_file(concat!(env!("CARGO_MANIFEST_DIR"), "/demo.toml"));
    // The example's crate is `demo`, so `module_path!()` is "demo" here and "demo::db" in `db`.
    let app = setup.install(module_path!())?;
    log::info!(version = env!("CARGO_PKG_VERSION"); "demo starting");

    let workers = [
        thread::Builder::new()
            .name("db-1".into())
            .spawn(|| (0..ITERATIONS).for_each(|i| db::query("db-1", i)))?,
        thread::Builder::new()
            .name("db-2".into())
            .spawn(|| (0..ITERATIONS).for_each(|i| db::query("db-2", i)))?,
        thread::Builder::new()
            .name("net".into())
            .spawn(|| (0..ITERATIONS).for_each(net::serve))?,
    ];
    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")?;
    }
    app.info(format_args!("demo finished"));
    LoggerTree::global().flush()?;

    let dir = setup
        .resolve()?
        .dir
        .unwrap_or_else(|| PathBuf::from("logs"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("Demo_"))
        })
        .collect();
    files.sort();
    let mut listing = format!("\nlog files in {}:\n", dir.display());
    let mut total = 0;
    for file in &files {
        let lines = std::fs::read_to_string(file)?.lines().count();
        total += lines;
        listing += &format!(
            "  {:<40} {lines:>5} lines\n",
            file.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    listing += &format!("  {:<40} {total:>5} lines\n", "total");
    // `println!` panics when the reader went away (`demo | head -3`); a closed pipe is the
    // end of the output, not an error.
    match std::io::stdout().lock().write_all(listing.as_bytes()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    Ok(())
}
