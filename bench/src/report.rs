//! The Markdown report: one table per workload, medians, ratios within a durability class,
//! and every lost, duplicated or malformed line in plain sight.

use crate::cli::{ParentOptions, Workload};
use crate::latency::{AtChanges, Percentiles, WINDOW};
use crate::peers::{Case, Class, Kind};
use crate::runner::{Outcome, Sample};

/// A case's result in one workload.
type Row<'a> = (Workload, &'a Case, &'a Outcome);

/// Prints the report for `results` to stdout.
pub fn print(
    options: &ParentOptions,
    results: &[(Workload, Case, Outcome)],
    load_before: &str,
    load_after: &str,
) {
    let rows: Vec<Row<'_>> = results.iter().map(|(w, c, o)| (*w, c, o)).collect();
    println!(
        "Records per W1/W2/W8 run: {} (W2: {} per thread, W8: {}), files of {} MiB with {} \
         backups; W3: {} calls per run; W4: {} records per run; {} runs per case, median shown.",
        options.records,
        options.records / 2,
        options.records / 8,
        crate::line::MAX_BYTES >> 20,
        options.backups,
        options.calls,
        (options.calls / 10).max(1),
        options.runs
    );
    println!("Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.\n");
    for workload in [Workload::W1, Workload::W2, Workload::W8, Workload::Syslog] {
        if rows.iter().any(|r| r.0 == workload) {
            file_table(workload, &rows);
        }
    }
    if rows
        .iter()
        .any(|r| matches!(r.0, Workload::W3 | Workload::W3Other))
    {
        disabled_table(&rows);
    }
    if rows.iter().any(|r| r.0 == Workload::Latency) {
        latency_table(options, &rows);
    }
    if rows.iter().any(|r| r.0 == Workload::W4) {
        println!("### W4: one record through `a::b::c::d` to a no-op sink on `a`\n");
        println!("| case | ns/record |\n|---|---:|");
        for (_, case, outcome) in rows.iter().filter(|r| r.0 == Workload::W4) {
            println!("| {} | {} |", case.name, cell(outcome, ns_per));
        }
        println!();
    }
}

fn median(samples: &[Sample]) -> Option<&Sample> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.elapsed_ns);
    sorted.get(sorted.len() / 2).copied()
}

fn ns_per(sample: &Sample) -> f64 {
    sample.elapsed_ns as f64 / sample.count as f64
}

fn median_ns(outcome: &Outcome) -> Option<f64> {
    outcome.as_ref().ok().and_then(|s| median(s)).map(ns_per)
}

fn fmt_ns(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2}")
    } else if ns < 100.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.0}")
    }
}

fn cell(outcome: &Outcome, f: fn(&Sample) -> f64) -> String {
    match outcome {
        Ok(samples) => median(samples).map_or("-".to_owned(), |s| fmt_ns(f(s))),
        Err(err) => format!("failed: {}", err.lines().next().unwrap_or_default()),
    }
}

/// The fastest median of the cases of `kind` in `class` for `workload`.
fn fastest(rows: &[Row<'_>], workload: Workload, class: Class, kind: Kind) -> Option<f64> {
    rows.iter()
        .filter(|(w, c, _)| *w == workload && c.class == class && c.kind == kind)
        .filter_map(|(_, _, o)| median_ns(o))
        .min_by(f64::total_cmp)
}

/// `0`, or every run's figure when any is not zero.
fn per_run(samples: &[Sample], f: impl Fn(&Sample) -> Option<u64>) -> String {
    let values: Vec<Option<u64>> = samples.iter().map(f).collect();
    if values.iter().all(|v| *v == Some(0)) {
        "0".to_owned()
    } else if values.iter().all(Option::is_none) {
        "-".to_owned()
    } else {
        values
            .iter()
            .map(|v| v.map_or("-".to_owned(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The title of a file workload's table.
fn file_title(workload: Workload) -> String {
    match (workload, workload.threads()) {
        (Workload::W1, _) => "W1: one thread, INFO records into a size-rotating file".to_owned(),
        (Workload::Syslog, _) => {
            "Syslog: one thread, INFO records over TCP to a local rsyslogd (timed until the \
             library has handed the last record to the socket; checked in rsyslog's output)"
                .to_owned()
        }
        (_, threads) => format!(
            "{}: {threads} threads, 1/{threads} of the records each, same file",
            workload.name().to_uppercase()
        ),
    }
}

/// The lines lost in each run, and beside them the records the case counted as dropped
/// (its library's count, or what the case saw it discard) when it counts them.
fn lost(samples: &[Sample]) -> String {
    let mut lost = per_run(samples, |s| s.files.as_ref().map(|c| c.lost));
    if samples.iter().any(|s| s.reported_dropped.is_some()) {
        lost += &format!(
            " (counted dropped {})",
            per_run(samples, |s| s.reported_dropped)
        );
    }
    lost
}

fn file_table(workload: Workload, rows: &[Row<'_>]) {
    // Several threads at once: their total throughput against W1's one thread.
    let against_w1 = workload.threads() > 1;
    println!("### {}\n", file_title(workload));
    print!(
        "| case | class | ns/record | records/s | speed vs fastest peer of class | \
         cost vs class baseline |"
    );
    if against_w1 {
        print!(" throughput vs W1 |");
    }
    println!(" lost | duplicated | malformed | files | runs (ms) | note |");
    print!("|---|---|---:|---:|---:|---:|");
    if against_w1 {
        print!("---:|");
    }
    println!("---:|---:|---:|---:|---|---|");
    for &(w, case, outcome) in rows.iter().filter(|r| r.0 == workload) {
        let samples = match outcome {
            Ok(samples) if !samples.is_empty() => samples,
            _ => {
                println!(
                    "| {} | {} | {} |",
                    case.name,
                    case.class.name(),
                    cell(outcome, ns_per)
                );
                continue;
            }
        };
        let ns = median_ns(outcome).unwrap_or(f64::NAN);
        let peer = fastest(rows, w, case.class, Kind::Peer);
        let baseline = fastest(rows, w, case.class, Kind::Baseline);
        let ratio = |x: Option<f64>, f: fn(f64, f64) -> f64| {
            x.map_or("-".to_owned(), |x| format!("{:.2}x", f(x, ns)))
        };
        print!(
            "| {} | {} | {} | {:.2} M | {} | {} |",
            case.name,
            case.class.name(),
            fmt_ns(ns),
            1e3 / ns,
            ratio(peer, |peer, ns| peer / ns),
            ratio(baseline, |base, ns| ns / base),
        );
        if against_w1 {
            let w1 = rows
                .iter()
                .find(|(w, c, _)| *w == Workload::W1 && c.name == case.name)
                .and_then(|(_, _, o)| median_ns(o));
            print!(" {} |", ratio(w1, |w1, ns| w1 / ns));
        }
        let check =
            |f: fn(&crate::runner::FileCheck) -> u64| per_run(samples, |s| s.files.as_ref().map(f));
        let lost = lost(samples);
        let runs: Vec<String> = samples
            .iter()
            .map(|s| format!("{:.0}", s.elapsed_ns as f64 / 1e6))
            .collect();
        let mut note = case.note.to_owned();
        if let Some(bad) = samples
            .iter()
            .find_map(|s| s.files.as_ref()?.first_malformed.as_deref())
        {
            note += &format!(" first malformed line: `{}`", bad.trim_end());
        }
        println!(
            " {lost} | {} | {} | {} | {} | {} |",
            check(|c| c.duplicated),
            check(|c| c.malformed),
            per_run(samples, |s| s.files.as_ref().map(|c| c.files as u64)),
            runs.join(" / "),
            note.trim()
        );
    }
    println!();
}

fn disabled_table(rows: &[Row<'_>]) {
    println!("### W3: a disabled `debug!` call (ns/call)\n");
    println!("| case | disabled | disabled, another logger at debug |\n|---|---:|---:|");
    let mut names: Vec<&str> = Vec::new();
    for (w, case, _) in rows {
        if matches!(w, Workload::W3 | Workload::W3Other) && !names.contains(&case.name) {
            names.push(case.name);
        }
    }
    for name in names {
        let find = |workload| {
            rows.iter()
                .find(|(w, c, _)| *w == workload && c.name == name)
                .map_or("n/a".to_owned(), |(_, _, o)| cell(o, ns_per))
        };
        println!(
            "| {name} | {} | {} |",
            find(Workload::W3),
            find(Workload::W3Other)
        );
    }
    println!();
}

/// A time in nanoseconds, shown in the unit that keeps it short.
fn fmt_latency(ns: u64) -> String {
    match ns {
        0..=9_999 => format!("{ns} ns"),
        10_000..=9_999_999 => format!("{:.1} us", ns as f64 / 1e3),
        _ => format!("{:.2} ms", ns as f64 / 1e6),
    }
}

fn latency_table(options: &ParentOptions, rows: &[Row<'_>]) {
    println!(
        "### Latency: each call's time, 1 thread, {} calls, {} MiB files with {} backups \
         (median of each figure over the runs; the timer's ~20-40 ns included)\n",
        options.records,
        crate::line::MAX_BYTES >> 20,
        options.backups
    );
    println!(
        "*at roll-overs*: the windows of {WINDOW} calls in which a file of the directory was \
         created, renamed or deleted (a roll-over, its deletions and compressions, whether the \
         call or a background thread did them), and the slowest call of those windows.\n"
    );
    println!(
        "| case | class | p50 | p99 | p99.9 | p99.99 | max | at roll-overs: windows | max | \
         lost | duplicated | malformed | files |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (_, case, outcome) in rows.iter().filter(|r| r.0 == Workload::Latency) {
        let samples = match outcome {
            Ok(samples) if !samples.is_empty() => samples,
            _ => {
                println!(
                    "| {} | {} | {} |",
                    case.name,
                    case.class.name(),
                    cell(outcome, ns_per)
                );
                continue;
            }
        };
        let runs: Vec<Percentiles> = samples.iter().filter_map(|s| s.latency).collect();
        let figures = Percentiles::median(&runs).map_or_else(
            || "- | - | - | - | -".to_owned(),
            |p| {
                [p.p50, p.p99, p.p999, p.p9999, p.max]
                    .map(fmt_latency)
                    .join(" | ")
            },
        );
        let at: Vec<AtChanges> = samples.iter().filter_map(|s| s.at_changes).collect();
        let at_changes = AtChanges::median(&at).map_or_else(
            || "- | -".to_owned(),
            |c| match c.windows {
                0 => "0 | -".to_owned(),
                _ => format!("{} | {}", c.windows, fmt_latency(c.max)),
            },
        );
        let check =
            |f: fn(&crate::runner::FileCheck) -> u64| per_run(samples, |s| s.files.as_ref().map(f));
        println!(
            "| {} | {} | {figures} | {at_changes} | {} | {} | {} | {} |",
            case.name,
            case.class.name(),
            lost(samples),
            check(|c| c.duplicated),
            check(|c| c.malformed),
            per_run(samples, |s| s.files.as_ref().map(|c| c.files as u64)),
        );
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_drops_stand_beside_the_lost_lines() {
        let sample = |lost, reported_dropped| Sample {
            files: Some(crate::runner::FileCheck {
                lost,
                ..Default::default()
            }),
            reported_dropped,
            ..Default::default()
        };
        assert_eq!(lost(&[sample(0, None), sample(0, None)]), "0");
        assert_eq!(
            lost(&[sample(0, Some(0)), sample(5, Some(5))]),
            "0/5 (counted dropped 0/5)"
        );
    }

    #[test]
    fn every_several_thread_workload_has_its_own_title() {
        assert_eq!(
            file_title(Workload::W2),
            "W2: 2 threads, 1/2 of the records each, same file"
        );
        assert_eq!(
            file_title(Workload::W8),
            "W8: 8 threads, 1/8 of the records each, same file"
        );
        assert!(file_title(Workload::W1).starts_with("W1: one thread"));
    }
}
