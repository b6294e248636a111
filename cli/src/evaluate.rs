//! `tandem evaluate`: the thin front of `tandem-eval` — reads the spec, the event logs (or
//! statistics computed elsewhere) and the target bundles, shows a progress bar on a terminal,
//! and writes the table, JSON, HTML, and the statistics as JSON and CSV.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use tandem::policy::Bundle;
use tandem_eval::report::{to_html, to_table};
use tandem_eval::spec::TargetSource;
use tandem_eval::{analyze, Reducer, Spec, Stats};

use crate::input::read_file;

/// Arguments of `tandem evaluate`.
#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// The analysis spec (JSON): experiment, allocation, metrics, tests, off-policy targets.
    #[arg(long, value_name = "FILE")]
    spec: String,
    /// NDJSON event logs as the SDK emits them (`-` for stdin), read in order as one stream.
    #[arg(value_name = "EVENTS")]
    events: Vec<String>,
    /// Analyse statistics computed elsewhere instead of logs: a JSON or CSV statistics file
    /// (from `--write-stats`, `--write-csv` or the SQL in sdk-eval/sql). Several are merged
    /// (shards by unit).
    #[arg(long, value_name = "FILE", conflicts_with = "events")]
    stats: Vec<String>,
    /// Write the sufficient statistics as JSON.
    #[arg(long, value_name = "FILE")]
    write_stats: Option<String>,
    /// Write the sufficient statistics as CSV.
    #[arg(long, value_name = "FILE")]
    write_csv: Option<String>,
    /// Write the analysis as JSON (`-` for stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// Write the self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<String>,
    /// Write the SQL that computes the same A/B statistics over a table of the events (one
    /// file per statistic) into this folder, and exit.
    #[arg(long, value_name = "DIR")]
    sql: Option<String>,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    quiet: bool,
}

fn write(path: &str, text: &str) -> Result<(), String> {
    if path == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write to stdout: {e}"));
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))
}

/// The target bundles the spec names, loaded relative to the spec's folder.
fn load_bundles(spec: &Spec, spec_path: &str) -> Result<Vec<(String, Bundle)>, String> {
    let base = Path::new(spec_path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut bundles = Vec::new();
    let Some(ope) = &spec.ope else {
        return Ok(bundles);
    };
    for target in &ope.targets {
        if let TargetSource::Bundle(file) = &target.source {
            let path: PathBuf = base.join(file);
            let text = read_file(&path.to_string_lossy())?;
            let bundle = Bundle::from_json(&text)
                .map_err(|e| format!("{}: not a valid policy bundle: {e}", path.display()))?;
            bundles.push((target.name.clone(), bundle));
        }
    }
    Ok(bundles)
}

fn read_stats(paths: &[String], spec: &Spec) -> Result<Stats, String> {
    let mut merged: Option<Stats> = None;
    for path in paths {
        let text = read_file(path)?;
        let mut stats = if text.trim_start().starts_with('{') {
            Stats::from_json(&text)
        } else {
            tandem_eval::csv::from_csv(&text)
        }
        .map_err(|e| format!("{path}: {e}"))?;
        stats.align(spec).map_err(|e| format!("{path}: {e}"))?;
        match &mut merged {
            None => merged = Some(stats),
            Some(m) => m.merge(&stats).map_err(|e| format!("{path}: {e}"))?,
        }
    }
    merged.ok_or_else(|| "no statistics".to_owned())
}

/// A progress line on stderr: bytes read of the total, rate and units.
struct Progress {
    total: u64,
    done: u64,
    start: Instant,
    enabled: bool,
}

impl Progress {
    fn show(&self, current: u64, units: usize) {
        if !self.enabled {
            return;
        }
        let bytes = self.done + current;
        let fraction = if self.total > 0 {
            bytes as f64 / self.total as f64
        } else {
            0.0
        };
        let width = 30;
        let filled = ((fraction * width as f64) as usize).min(width);
        let seconds = self.start.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r[{}{}] {:5.1}%  {:.0} MB/s  {} units ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            100.0 * fraction,
            bytes as f64 / 1e6 / seconds,
            units
        );
    }
}

fn reduce(args: &EvaluateArgs, spec: &Spec, bundles: &[(String, Bundle)]) -> Result<Stats, String> {
    let mut reducer = Reducer::new(spec, bundles).map_err(|e| format!("{}: {e}", args.spec))?;
    let total = args
        .events
        .iter()
        .filter(|p| *p != "-")
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut progress = Progress {
        total,
        done: 0,
        start: Instant::now(),
        enabled: !args.quiet && std::io::stderr().is_terminal() && total > 0,
    };
    for path in &args.events {
        let result = if path == "-" {
            reducer.read(std::io::stdin().lock(), |_, _| {})
        } else {
            let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let result = reducer.read(BufReader::with_capacity(1 << 20, file), |bytes, units| {
                progress.show(bytes, units);
            });
            progress.done += size;
            result
        };
        result.map_err(|e| format!("{path}: {e}"))?;
    }
    if progress.enabled {
        progress.show(0, reducer.units());
        eprintln!();
    }
    reducer.finish().map_err(|e| e.to_string())
}

/// Runs `tandem evaluate`.
pub(crate) fn run(args: &EvaluateArgs) -> Result<ExitCode, String> {
    let spec =
        Spec::from_json(&read_file(&args.spec)?).map_err(|e| format!("{}: {e}", args.spec))?;
    if let Some(dir) = &args.sql {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
        for (name, text) in tandem_eval::sql::render(&spec) {
            write(&Path::new(dir).join(name).to_string_lossy(), &text)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stats = if args.stats.is_empty() {
        if args.events.is_empty() {
            return Err("give event logs (or - for stdin), or --stats FILE".to_owned());
        }
        let bundles = load_bundles(&spec, &args.spec)?;
        reduce(args, &spec, &bundles)?
    } else {
        read_stats(&args.stats, &spec)?
    };
    if let Some(path) = &args.write_stats {
        write(path, &stats.to_json())?;
    }
    if let Some(path) = &args.write_csv {
        write(path, &tandem_eval::csv::to_csv(&stats))?;
    }
    let analysis = analyze(&spec, &stats).map_err(|e| e.to_string())?;
    if let Some(path) = &args.html {
        let arms: Vec<String> = spec.allocation.iter().map(|(a, _)| a.clone()).collect();
        write(path, &to_html(&analysis, &arms))?;
    }
    let json = serde_json::to_string_pretty(&analysis).map_err(|e| e.to_string())?;
    match args.json.as_deref() {
        Some("-") => write("-", &format!("{json}\n"))?,
        Some(path) => {
            write(path, &format!("{json}\n"))?;
            write("-", &to_table(&analysis))?;
        }
        None => write("-", &to_table(&analysis))?,
    }
    Ok(ExitCode::SUCCESS)
}
