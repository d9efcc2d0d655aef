//! The parent: runs every (case, workload) in a child process, verifies what it wrote, and
//! hands the samples to the report.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::child::RESULT_PREFIX;
use crate::cli::{ParentOptions, Workload};
use crate::latency::{AtChanges, Percentiles};
use crate::line::LineForm;
use crate::peers::syslog::SYSLOG_PORT_VAR;
use crate::peers::{self, Case};
use crate::report;
use crate::rsyslog::Rsyslog;
use crate::BoxError;

/// One run of one case.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Records (W1, W2, W8, syslog, latency) or calls (W3, W4) the run made.
    pub count: u64,
    /// Nanoseconds from the first record to the last byte at the OS (W1, W2, W8), or of the timed
    /// loop (W3, W4).
    pub elapsed_ns: u128,
    /// Records the library reported as dropped, if it counts them.
    pub reported_dropped: Option<u64>,
    /// What the parent found in the files (W1, W2, W8, syslog, latency).
    pub files: Option<FileCheck>,
    /// Each call's time (latency).
    pub latency: Option<Percentiles>,
    /// The calls around the directory's changes (latency).
    pub at_changes: Option<AtChanges>,
}

/// What a W1/W2/W8 run left on disk.
#[derive(Debug, Clone, Default)]
pub struct FileCheck {
    /// Files in the directory.
    pub files: usize,
    /// Lines in all of them.
    pub lines: u64,
    /// Record numbers `0..count` that appear in no line.
    pub lost: u64,
    /// Lines that repeat a record number.
    pub duplicated: u64,
    /// Lines that are not the line of issue 7 (first one kept for the report).
    pub malformed: u64,
    /// The first malformed line.
    pub first_malformed: Option<String>,
}

/// The samples of one case in one workload; `Err` when a run failed.
pub type Outcome = Result<Vec<Sample>, String>;

/// Runs the selected workloads and cases `options.runs` times each (round-robin, so a burst
/// of load elsewhere spreads over cases) and prints the report.
pub fn run(options: &ParentOptions) -> Result<(), BoxError> {
    let exe = std::env::current_exe().map_err(|err| format!("cannot find myself: {err}"))?;
    let root = options.dir.clone().unwrap_or_else(std::env::temp_dir);
    let plan: Vec<(Workload, Case)> = options
        .workloads
        .iter()
        .flat_map(|&w| peers::cases_for(w).into_iter().map(move |c| (w, c)))
        .filter(|(_, c)| options.only.as_deref().is_none_or(|o| c.name.contains(o)))
        .collect();
    if plan.is_empty() {
        return Err("no case matches --only and --workloads".into());
    }
    let load_before = load_average();
    let mut outcomes: Vec<Outcome> = vec![Ok(Vec::new()); plan.len()];
    for run in 1..=options.runs {
        for ((workload, case), outcome) in plan.iter().zip(&mut outcomes) {
            let Ok(samples) = outcome else { continue };
            eprint!(
                "run {run}/{}: {:<8} {:<22} ",
                options.runs,
                workload.name(),
                case.name
            );
            match run_once(&exe, &root, *workload, case, options) {
                Ok(sample) => {
                    eprintln!("{:>10.1} ms", sample.elapsed_ns as f64 / 1e6);
                    samples.push(sample);
                }
                Err(err) => {
                    eprintln!("FAILED: {err}");
                    *outcome = Err(err.to_string());
                }
            }
        }
    }
    let load_after = load_average();
    let results: Vec<(Workload, Case, Outcome)> = plan
        .into_iter()
        .zip(outcomes)
        .map(|((w, c), o)| (w, c, o))
        .collect();
    report::print(options, &results, &load_before, &load_after);
    let faults: Vec<String> = results
        .iter()
        .filter_map(|(w, c, outcome)| {
            fault(outcome).map(|f| format!("{} {}: {f}", w.name(), c.name))
        })
        .collect();
    if faults.is_empty() {
        Ok(())
    } else {
        Err(format!("the report above shows faults:\n{}", faults.join("\n")).into())
    }
}

/// What makes a case's runs wrong rather than slow: a run that failed, or lines that are
/// lost without the library having reported them dropped, duplicated or malformed. A lossy
/// library that counts its drops (tracing's non-blocking writer) is shown, not faulted.
fn fault(outcome: &Outcome) -> Option<String> {
    let samples = match outcome {
        Ok(samples) => samples,
        Err(err) => return Some(format!("failed: {err}")),
    };
    samples.iter().enumerate().find_map(|(run, sample)| {
        let check = sample.files.as_ref()?;
        let unreported = check.lost != sample.reported_dropped.unwrap_or(0);
        (unreported || check.duplicated > 0 || check.malformed > 0).then(|| {
            format!(
                "run {}: {} lost ({} reported dropped), {} duplicated, {} malformed",
                run + 1,
                check.lost,
                sample.reported_dropped.unwrap_or(0),
                check.duplicated,
                check.malformed
            )
        })
    })
}

/// `/proc/loadavg`'s three load averages, or why not.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg").map_or_else(
        |err| format!("unknown ({err})"),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

fn run_once(
    exe: &Path,
    root: &Path,
    workload: Workload,
    case: &Case,
    options: &ParentOptions,
) -> Result<Sample, BoxError> {
    let dir = tempfile::Builder::new()
        .prefix("logtree-bench-")
        .tempdir_in(root)
        .map_err(|err| format!("cannot create a temp dir in {}: {err}", root.display()))?;
    let count = match workload {
        Workload::W1 | Workload::W2 | Workload::W8 | Workload::Syslog | Workload::Latency => {
            options.records
        }
        Workload::W3 | Workload::W3Other => options.calls,
        Workload::W4 => (options.calls / 10).max(1),
    };
    // The syslog workload's daemon, writing what it receives into the run's directory.
    let daemon = match workload {
        Workload::Syslog => Some(Rsyslog::start(dir.path())?),
        _ => None,
    };
    let mut command = Command::new(exe);
    if let Some(daemon) = &daemon {
        command.env(SYSLOG_PORT_VAR, daemon.tcp_port.to_string());
    }
    let output = command
        .args(["--child", case.name, "--workload", workload.name()])
        .args(["--count", &count.to_string()])
        .args(["--backups", &options.backups.to_string(), "--dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot start {}: {err}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("child {}: {}", output.status, stderr.trim()).into());
    }
    let result = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or_else(|| format!("no {RESULT_PREFIX} line in the child's output: {stdout}"))?;
    let mut fields = result.split_whitespace();
    let elapsed_ns = fields
        .next()
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| format!("bad {RESULT_PREFIX} line {result:?}"))?;
    let reported_dropped = fields.next().and_then(|f| f.parse().ok());
    if let Some(daemon) = daemon {
        daemon.wait_for_lines(count)?;
    }
    let latency = Percentiles::from_fields(fields.by_ref());
    let at_changes = AtChanges::from_fields(fields);
    if workload == Workload::Latency && (latency.is_none() || at_changes.is_none()) {
        return Err(format!("no percentiles in {RESULT_PREFIX} line {result:?}").into());
    }
    let files = if workload.writes_files() {
        Some(check_files(dir.path(), count, case.line)?)
    } else {
        None
    };
    Ok(Sample {
        count,
        elapsed_ns,
        reported_dropped,
        files,
        latency,
        at_changes,
    })
}

/// Reads every file under `dir` (`.gz` and `.zst` archives decompressed) and accounts for
/// each record number `0..count`, in lines of the case's `form`.
fn check_files(dir: &Path, count: u64, form: LineForm) -> Result<FileCheck, BoxError> {
    let mut seen = vec![false; usize::try_from(count)?];
    let mut check = FileCheck::default();
    let mut content = Vec::new();
    for path in files_under(dir)? {
        check.files += 1;
        content.clear();
        read_decompressed(&path, &mut content)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        for line in content.split_inclusive(|&b| b == b'\n') {
            check.lines += 1;
            let number = line
                .strip_suffix(b"\n")
                .and_then(|line| form.record_number(line))
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < seen.len());
            match number {
                Some(i) if seen[i] => check.duplicated += 1,
                Some(i) => seen[i] = true,
                None => {
                    check.malformed += 1;
                    check
                        .first_malformed
                        .get_or_insert_with(|| String::from_utf8_lossy(line).into_owned());
                }
            }
        }
    }
    check.lost = seen.iter().filter(|&&s| !s).count() as u64;
    Ok(check)
}

/// The content of `path` into `content`, decompressed when its name ends in `.gz` or `.zst`.
fn read_decompressed(path: &Path, content: &mut Vec<u8>) -> std::io::Result<()> {
    let file = fs::File::open(path)?;
    let name = path.to_string_lossy();
    if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_end(content)?;
    } else if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(file)?.read_to_end(content)?;
    } else {
        std::io::BufReader::new(file).read_to_end(content)?;
    }
    Ok(())
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, BoxError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            fs::read_dir(&dir).map_err(|err| format!("cannot list {}: {err}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: u64) -> String {
        format!(
            "2025-06-27 14:25:23.123 - app.module - INFO - request {i} handled in {} us\n",
            i % 997
        )
    }

    #[test]
    fn check_files_accounts_for_every_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sub = dir.path().join("old");
        fs::create_dir(&sub).expect("subdirectory");
        // Records 0..5 with 2 missing, 3 twice, one foreign line and a cut-off last line.
        let live = [line(0), line(1), line(3)].concat();
        let backup = [line(3), "garbage\n".to_owned(), line(4)].concat();
        fs::write(dir.path().join("app.log"), live).expect("write");
        fs::write(sub.join("app.1.log"), backup + "2025-06-27 14:25").expect("write");
        // Records 5 and 6 in archives, read decompressed.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, line(5).as_bytes()).expect("gzip");
        fs::write(dir.path().join("app.log.2.gz"), gz.finish().expect("gzip")).expect("write");
        let zst = zstd::encode_all(line(6).as_bytes(), 1).expect("zstd");
        fs::write(dir.path().join("app.log.3.zst"), zst).expect("write");

        let check = check_files(dir.path(), 8, LineForm::Issue7).expect("check");
        assert_eq!(check.files, 4);
        assert_eq!(check.lines, 9);
        assert_eq!(check.lost, 2);
        assert_eq!(check.duplicated, 1);
        assert_eq!(check.malformed, 2);
        assert_eq!(check.first_malformed.as_deref(), Some("garbage\n"));
    }

    #[test]
    fn check_files_reads_the_lines_of_the_cases_form() {
        let dir = tempfile::tempdir().expect("temp dir");
        let with_delay = |i: u64| line(i).replacen(" - ", " 12ms - ", 1);
        let text = [with_delay(0), with_delay(2), line(1)].concat();
        fs::write(dir.path().join("app-20250627.log"), text).expect("write");
        let check = check_files(dir.path(), 3, LineForm::QueueDelay).expect("check");
        assert_eq!((check.lines, check.lost, check.malformed), (3, 1, 1));
        assert_eq!(check.first_malformed, Some(line(1)));
        let check = check_files(dir.path(), 3, LineForm::Issue7).expect("check");
        assert_eq!((check.lost, check.malformed), (2, 2));
    }

    #[test]
    fn only_unreported_losses_duplicates_malformed_lines_and_failures_are_faults() {
        let sample = |lost, duplicated, malformed, reported_dropped| Sample {
            count: 10,
            elapsed_ns: 1,
            reported_dropped,
            latency: None,
            at_changes: None,
            files: Some(FileCheck {
                lost,
                duplicated,
                malformed,
                ..FileCheck::default()
            }),
        };
        assert_eq!(fault(&Ok(vec![sample(0, 0, 0, None)])), None);
        assert_eq!(
            fault(&Ok(vec![sample(3, 0, 0, Some(3))])),
            None,
            "counted drops"
        );
        assert!(fault(&Ok(vec![sample(0, 0, 0, None), sample(1, 0, 0, None)])).is_some());
        assert!(fault(&Ok(vec![sample(3, 0, 0, Some(2))])).is_some());
        assert!(fault(&Ok(vec![sample(0, 1, 0, None)])).is_some());
        assert!(fault(&Ok(vec![sample(0, 0, 1, None)])).is_some());
        assert!(fault(&Err("child exit status: 1".to_owned())).is_some());
        let no_files = Sample {
            files: None,
            ..sample(0, 0, 0, None)
        };
        assert_eq!(fault(&Ok(vec![no_files])), None, "W3 and W4 write no files");
    }

    #[test]
    fn the_command_line_reaches_the_child() {
        let args = [
            "--child",
            "fern",
            "--workload",
            "w3-other",
            "--count",
            "1_000",
        ]
        .into_iter()
        .chain(["--backups", "5", "--dir", "/tmp/x"])
        .map(String::from);
        match crate::cli::parse(args).expect("valid") {
            crate::cli::Command::Child(c) => {
                assert_eq!(c.case, "fern");
                assert_eq!(c.workload, Workload::W3Other);
                assert_eq!((c.count, c.backups), (1_000, 5));
                assert_eq!(c.dir, PathBuf::from("/tmp/x"));
            }
            other => panic!("not a child: {other:?}"),
        }
        assert!(crate::cli::parse(["--records".to_owned()]).is_err());
        assert!(crate::cli::parse(["--workloads".to_owned(), "w9".to_owned()]).is_err());
        match crate::cli::parse(["--workloads", "w2,w8"].map(String::from)).expect("valid") {
            crate::cli::Command::Parent(p) => {
                assert_eq!(p.workloads, [Workload::W2, Workload::W8]);
            }
            other => panic!("not the parent: {other:?}"),
        }
        match crate::cli::parse([]).expect("valid") {
            crate::cli::Command::Parent(p) => {
                assert_eq!(
                    &p.workloads[..3],
                    [Workload::W1, Workload::W2, Workload::W8]
                );
            }
            other => panic!("not the parent: {other:?}"),
        }
    }
}
