//! One run of one case, in a process of its own (the `log` facade is global per process).

use std::path::Path;
use std::time::Instant;

use crate::cli::{ChildOptions, Workload};
use crate::latency::Percentiles;
use crate::peers::{self, Api, Setup};
use crate::workload::{self, TimedCalls, ViaBaseline, ViaLog, ViaTracing};
use crate::BoxError;

/// The child's last line on stdout starts with this, then the elapsed nanoseconds, the
/// records the library reported as dropped (`-` when it does not count them) and, for the
/// latency workload, the per-call percentiles ([`Percentiles::to_fields`]) and the calls around
/// the directory's changes ([`AtChanges::to_fields`](crate::latency::AtChanges::to_fields)).
pub const RESULT_PREFIX: &str = "RESULT";

/// Installs the case, runs the workload, waits for the last byte, prints [`RESULT_PREFIX`].
pub fn run(options: &ChildOptions) -> Result<(), BoxError> {
    let case = peers::cases_for(options.workload)
        .into_iter()
        .find(|c| c.name == options.case)
        .ok_or_else(|| {
            format!(
                "no case {:?} for workload {}",
                options.case, options.workload
            )
        })?;
    let setup = Setup {
        dir: &options.dir,
        other_at_debug: options.workload == Workload::W3Other,
        backups: options.backups,
    };
    let installed =
        (case.install)(&setup).map_err(|err| format!("cannot set up {}: {err}", case.name))?;
    let count = options.count;

    let mut latency = None;
    let (elapsed, finished) = match options.workload {
        Workload::W1 | Workload::W2 | Workload::W8 | Workload::Syslog => {
            let threads = options.workload.threads();
            let records: fn(u64, u64) = match case.api {
                Api::Log => workload::records::<ViaLog>,
                Api::Tracing => workload::records::<ViaTracing>,
                Api::Baseline => workload::records::<ViaBaseline>,
            };
            let start = Instant::now();
            records(count, threads);
            let finished = installed.finish()?;
            (start.elapsed(), finished)
        }
        Workload::W3 | Workload::W3Other => {
            let (warm_up, disabled): (fn(), fn(u64)) = match case.api {
                Api::Log => (
                    workload::disabled_warm_up::<ViaLog>,
                    workload::disabled::<ViaLog>,
                ),
                Api::Tracing => (
                    workload::disabled_warm_up::<ViaTracing>,
                    workload::disabled::<ViaTracing>,
                ),
                Api::Baseline => (
                    workload::disabled_warm_up::<ViaBaseline>,
                    workload::disabled::<ViaBaseline>,
                ),
            };
            warm_up();
            let start = Instant::now();
            disabled(count);
            let elapsed = start.elapsed();
            (elapsed, installed.finish()?)
        }
        Workload::Latency => {
            let calls: fn(u64, &Path) -> std::io::Result<TimedCalls> = match case.api {
                Api::Log => workload::timed_calls::<ViaLog>,
                Api::Tracing => workload::timed_calls::<ViaTracing>,
                Api::Baseline => workload::timed_calls::<ViaBaseline>,
            };
            let start = Instant::now();
            let (mut times, at_changes) = calls(count, &options.dir)
                .map_err(|err| format!("cannot watch {}: {err}", options.dir.display()))?;
            let finished = installed.finish()?;
            let elapsed = start.elapsed();
            latency = Percentiles::of(&mut times).map(|p| (p, at_changes));
            (elapsed, finished)
        }
        Workload::W4 => {
            workload::hierarchy(1_000);
            let start = Instant::now();
            workload::hierarchy(count);
            let elapsed = start.elapsed();
            (elapsed, installed.finish()?)
        }
    };
    let dropped = finished
        .dropped
        .map_or_else(|| "-".to_owned(), |d| d.to_string());
    let latency = latency.map_or_else(String::new, |(p, at)| {
        format!(" {} {}", p.to_fields(), at.to_fields())
    });
    println!("{RESULT_PREFIX} {} {dropped}{latency}", elapsed.as_nanos());
    Ok(())
}
