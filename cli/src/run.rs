//! The process: standard input read in large chunks on the main thread, signals handled on a
//! thread of their own.
//!
//! The main thread may sit in `read(2)` for as long as the producer is quiet, so SIGTERM and
//! SIGINT are not left to it: the signal thread takes the pump (waiting for the chunk being
//! written, so that every line read is in the file), writes the incomplete last line and
//! what is buffered, and ends the process with status 0.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::pump::Pump;
use crate::settings::{Failure, Plan};
use crate::Args;

/// Bytes asked of each `read(2)`: large, so that a fast producer costs few calls; a read
/// returns what is there, so lines are written as soon as they arrive.
const CHUNK: usize = 1 << 20;

/// Runs the tool until the end of its input or a signal, then ends the process: status 0
/// when every line was written, 1 when a write failed (reported on standard error).
///
/// # Errors
/// A [`Failure`] before the first line is read: bad options or configuration, a file that
/// cannot be opened, signals that cannot be handled.
pub fn run(args: &Args) -> Result<Infallible, Failure> {
    let pump = Arc::new(Mutex::new(Pump::new(Plan::new(args)?)));
    let signals = Signals::new([SIGTERM, SIGINT, SIGHUP]).map_err(|e| Failure {
        code: 1,
        message: format!("cannot handle signals: {e}"),
    })?;
    let on_signal = Arc::clone(&pump);
    thread::Builder::new()
        .name("logtree-signals".to_owned())
        .spawn(move || handle_signals(signals, &on_signal))
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot start the signal thread: {e}"),
        })?;

    let mut chunk = vec![0; CHUNK];
    let mut stdin = io::stdin().lock();
    let mut tee = args.tee;
    loop {
        match stdin.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => {
                lock(&pump).feed(&chunk[..read]);
                // After the file, and without the pump: a stalled reader of the copy never
                // keeps a signal from writing what was read and ending the process.
                if tee {
                    tee = copy_to_stdout(&chunk[..read]);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("logtree: reading standard input failed: {e}");
                break;
            }
        }
    }
    // Held until the process ends (not returned from: that would release it to a signal
    // racing with the end).
    let mut pump = lock(&pump);
    let ok = pump.finish();
    std::process::exit(status(ok))
}

fn handle_signals(mut signals: Signals, pump: &Mutex<Pump>) {
    for signal in signals.forever() {
        if signal == SIGHUP {
            // Between chunks, so that the lines of one chunk go to one file.
            let reopened = lock(pump).sink().reopen();
            if let Err(err) = reopened {
                eprintln!("logtree: reopening the log file failed: {err}");
            }
            continue;
        }
        let mut pump = lock(pump);
        let ok = pump.finish();
        std::process::exit(status(ok));
    }
}

/// `--tee`: whether standard output still takes the copy (it stops, with a line on standard
/// error, when it fails: the file goes on).
fn copy_to_stdout(chunk: &[u8]) -> bool {
    let mut out = io::stdout().lock();
    match out.write_all(chunk).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(err) => {
            eprintln!("logtree: --tee stopped, standard output failed: {err}");
            false
        }
    }
}

fn status(ok: bool) -> i32 {
    if ok {
        0
    } else {
        1
    }
}

/// The pump; a panic while it was held leaves it usable (its state is whole between lines).
fn lock(pump: &Mutex<Pump>) -> MutexGuard<'_, Pump> {
    pump.lock().unwrap_or_else(PoisonError::into_inner)
}
