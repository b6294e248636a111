//! `tandem simulate`: assign N synthetic units to a flag and report how they split — per
//! variant, per reason and per experiment (arms, holdouts, units that got no experiment) — with a
//! chi-square sample-ratio-mismatch (SRM) check of each experiment's arms against its weights.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use tandem::{Capacities, Client, Context, ErrorCode, FlagType, Reason};

use crate::input::{clock, entropy, json_arg, read_file};

/// Below this p-value the arms' counts are flagged as a sample-ratio mismatch.
const SRM_ALPHA: f64 = 0.001;

/// How the report names the caller's default (served when a flag has no default variant).
const CALLER_DEFAULT: &str = "(caller default)";

/// Arguments of `tandem simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The config file.
    config: String,
    /// The flag key.
    flag: String,
    /// How many synthetic units to assign: `u0 … u{N-1}`, each as the `targetingKey`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    units: u64,
    /// Attributes every unit shares, a JSON object (e.g. '{"country": "SE"}'); its
    /// `targetingKey`, if any, is replaced by each unit's.
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// The time the evaluations see, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

/// One experiment of the flag, as written in the config: key, layer and allocation.
#[derive(Debug)]
struct ExperimentSpec {
    key: String,
    layer: Option<String>,
    /// `(variant, weight)` in allocation order.
    allocation: Vec<(String, u64)>,
}

/// What the units of one experiment got.
#[derive(Debug, Default)]
struct ExperimentTally {
    /// Units split into each variant (held-out units excluded).
    arms: BTreeMap<String, u64>,
    /// Units held out, per holdout.
    holdouts: BTreeMap<String, u64>,
    /// Units skipped for want of a valid unit, per error code.
    skipped: BTreeMap<&'static str, u64>,
}

impl ExperimentTally {
    fn split(&self) -> u64 {
        self.arms.values().sum()
    }

    fn held_out(&self) -> u64 {
        self.holdouts.values().sum()
    }
}

/// Everything counted over the units.
#[derive(Debug, Default)]
struct Tally {
    variants: BTreeMap<String, u64>,
    reasons: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
    experiments: BTreeMap<String, ExperimentTally>,
    /// Units no experiment split or held out.
    no_experiment: u64,
}

/// Pearson's chi-square of observed arm counts against allocation weights.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SrmCheck {
    statistic: f64,
    df: usize,
    p_value: f64,
}

impl SrmCheck {
    fn mismatch(&self) -> bool {
        self.p_value < SRM_ALPHA
    }
}

/// The SRM check of `observed` (per arm, in allocation order) against `weights`; `None` when
/// there is nothing to test (no units, or a single arm with weight). An arm with weight 0 that
/// got units is a mismatch whatever the rest (statistic infinite, p 0).
fn srm_check(observed: &[u64], weights: &[u64]) -> Option<SrmCheck> {
    let n: u64 = observed.iter().sum();
    let total: u64 = weights.iter().sum();
    let positive = weights.iter().filter(|&&w| w > 0).count();
    if n == 0 || total == 0 {
        return None;
    }
    let df = positive.saturating_sub(1);
    if observed.iter().zip(weights).any(|(&o, &w)| w == 0 && o > 0) {
        return Some(SrmCheck {
            statistic: f64::INFINITY,
            df,
            p_value: 0.0,
        });
    }
    if df == 0 {
        return None;
    }
    let statistic: f64 = observed
        .iter()
        .zip(weights)
        .filter(|(_, &w)| w > 0)
        .map(|(&o, &w)| {
            let expected = n as f64 * w as f64 / total as f64;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let p_value = ChiSquared::new(df as f64)
        .map(|dist| dist.sf(statistic))
        .unwrap_or(f64::NAN);
    Some(SrmCheck {
        statistic,
        df,
        p_value,
    })
}

/// The flag's experiments in config order, read from the document (their allocation is what the
/// SRM check compares with; the compiled config keeps it private).
fn experiment_specs(document: &Value, flag: &str) -> Vec<ExperimentSpec> {
    let Some(experiments) = document.get("experiments").and_then(Value::as_object) else {
        return Vec::new();
    };
    experiments
        .iter()
        .filter(|(_, e)| e.get("flag").and_then(Value::as_str) == Some(flag))
        .map(|(key, e)| ExperimentSpec {
            key: key.clone(),
            layer: e.get("layer").and_then(Value::as_str).map(str::to_owned),
            allocation: e
                .get("allocation")
                .and_then(Value::as_array)
                .map(|pairs| {
                    pairs
                        .iter()
                        .filter_map(|pair| match pair.as_array().map(Vec::as_slice) {
                            Some([Value::String(name), weight]) => {
                                Some((name.clone(), weight.as_u64().unwrap_or(0)))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The flag's variants in config order with their counts (variants no unit got included), then
/// anything else served (the caller's default).
fn ordered_variants(document: &Value, flag: &str, tally: &Tally) -> Vec<(String, u64)> {
    let mut variants: Vec<(String, u64)> = document
        .get("flags")
        .and_then(|flags| flags.get(flag))
        .and_then(|f| f.get("variants"))
        .and_then(Value::as_object)
        .map(|v| {
            v.keys()
                .map(|name| (name.clone(), tally.variants.get(name).copied().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    for (name, &count) in &tally.variants {
        if !variants.iter().any(|(n, _)| n == name) {
            variants.push((name.clone(), count));
        }
    }
    variants
}

fn simulate(client: &Client, flag: &str, base: &Context, units: u64) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let mut ctx = base.clone();
    for n in 0..units {
        ctx.set_str("targetingKey", &format!("u{n}"));
        let details = client.evaluate(flag, &ctx, &Value::Null, FlagType::Any);
        if n == 0 {
            match details.error_code {
                Some(ErrorCode::FlagNotFound) => {
                    return Err(format!("flag \"{flag}\" is not in the config"))
                }
                Some(ErrorCode::ParseError) => {
                    return Err(format!(
                        "flag \"{flag}\" cannot be served: {}",
                        details.error_message().unwrap_or("it failed to load")
                    ))
                }
                _ => {}
            }
        }
        let variant = details.variant().unwrap_or(CALLER_DEFAULT);
        *tally.variants.entry(variant.to_owned()).or_default() += 1;
        *tally.reasons.entry(details.reason.as_str()).or_default() += 1;
        if let (Reason::Error, Some(code)) = (details.reason, details.error_code) {
            *tally.errors.entry(code.as_str()).or_default() += 1;
        }
        match details.experiment() {
            Some(e) if e.skipped.is_none() => {
                let entry = tally.experiments.entry(e.key.to_owned()).or_default();
                match e.holdout {
                    Some(holdout) => *entry.holdouts.entry(holdout.to_owned()).or_default() += 1,
                    None => *entry.arms.entry(variant.to_owned()).or_default() += 1,
                }
            }
            Some(e) => {
                tally.no_experiment += 1;
                if let Some(code) = e.skipped {
                    let entry = tally.experiments.entry(e.key.to_owned()).or_default();
                    *entry.skipped.entry(code.as_str()).or_default() += 1;
                }
            }
            None => tally.no_experiment += 1,
        }
        // The queue and the deduplication window are bounded; nothing here reads them.
        if n % 4096 == 4095 {
            client.drain_events();
        }
    }
    Ok(tally)
}

fn share(count: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        count as f64 / of as f64
    }
}

/// A finite number as JSON, else `null` (JSON has no infinity).
fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The arms of `spec` with their observed counts, in allocation order; variants the tally saw
/// that the allocation does not name (a config changed under sticky units) come last, weight 0.
fn arms(spec: &ExperimentSpec, tally: &ExperimentTally) -> Vec<(String, u64, u64)> {
    let mut arms: Vec<(String, u64, u64)> = spec
        .allocation
        .iter()
        .map(|(name, weight)| {
            let observed = tally.arms.get(name).copied().unwrap_or(0);
            (name.clone(), *weight, observed)
        })
        .collect();
    for (name, &observed) in &tally.arms {
        if !spec.allocation.iter().any(|(n, _)| n == name) {
            arms.push((name.clone(), 0, observed));
        }
    }
    arms
}

/// One experiment's report: its arms, holdouts, skips and SRM check.
struct ExperimentReport<'a> {
    spec: &'a ExperimentSpec,
    tally: &'a ExperimentTally,
    arms: Vec<(String, u64, u64)>,
    srm: Option<SrmCheck>,
}

fn reports<'a>(specs: &'a [ExperimentSpec], tally: &'a Tally) -> Vec<ExperimentReport<'a>> {
    static EMPTY: std::sync::OnceLock<ExperimentTally> = std::sync::OnceLock::new();
    let empty = EMPTY.get_or_init(ExperimentTally::default);
    specs
        .iter()
        .map(|spec| {
            let t = tally.experiments.get(&spec.key).unwrap_or(empty);
            let arms = arms(spec, t);
            let observed: Vec<u64> = arms.iter().map(|a| a.2).collect();
            let weights: Vec<u64> = arms.iter().map(|a| a.1).collect();
            ExperimentReport {
                spec,
                tally: t,
                srm: srm_check(&observed, &weights),
                arms,
            }
        })
        .collect()
}

/// Everything a report prints.
struct Report<'a> {
    args: &'a SimulateArgs,
    now: String,
    variants: Vec<(String, u64)>,
    tally: &'a Tally,
    experiments: Vec<ExperimentReport<'a>>,
}

fn to_json(report: &Report<'_>) -> Value {
    let (args, tally, reports) = (report.args, report.tally, &report.experiments);
    let n = args.units;
    let variants: Vec<Value> = report
        .variants
        .iter()
        .map(|(v, c)| json!({"variant": v, "units": c, "share": share(*c, n)}))
        .collect();
    let experiments: Vec<Value> = reports
        .iter()
        .map(|r| {
            let split = r.tally.split();
            let held = r.tally.held_out();
            let total_weight: u64 = r.arms.iter().map(|a| a.1).sum();
            json!({
                "key": r.spec.key,
                "layer": r.spec.layer,
                "units": split + held,
                "share": share(split + held, n),
                "split": split,
                "arms": r.arms.iter().map(|(v, w, o)| json!({
                    "variant": v,
                    "weight": w,
                    "expectedShare": share(*w, total_weight),
                    "units": o,
                    "share": share(*o, split),
                })).collect::<Vec<_>>(),
                "heldOut": held,
                "holdouts": r.tally.holdouts.iter().map(|(h, &c)| json!({
                    "holdout": h, "units": c, "share": share(c, split + held),
                })).collect::<Vec<_>>(),
                "skipped": r.tally.skipped,
                "srm": r.srm.map(|s| json!({
                    "chiSquare": number(s.statistic),
                    "degreesOfFreedom": s.df,
                    "pValue": number(s.p_value),
                    "alpha": SRM_ALPHA,
                    "mismatch": s.mismatch(),
                })),
            })
        })
        .collect();
    json!({
        "flag": args.flag,
        "units": n,
        "now": report.now,
        "variants": variants,
        "reasons": tally.reasons,
        "errors": tally.errors,
        "experiments": experiments,
        "noExperiment": {"units": tally.no_experiment, "share": share(tally.no_experiment, n)},
        "srm": reports.iter().any(|r| r.srm.is_some_and(|s| s.mismatch())),
    })
}

fn percent(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn to_text(report: &Report<'_>) -> String {
    let (args, tally, reports) = (report.args, report.tally, &report.experiments);
    let (n, now) = (args.units, &report.now);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "flag {}: {n} units (u0 … u{}), now {now}",
        args.flag,
        n - 1
    );
    let width = report
        .variants
        .iter()
        .map(|(v, _)| v.len())
        .chain(tally.reasons.keys().map(|r| r.len()))
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>10}  {:>8}",
        "variant", "units", "share"
    );
    for (variant, count) in &report.variants {
        let _ = writeln!(
            out,
            "{variant:<width$}  {count:>10}  {:>8}",
            percent(share(*count, n))
        );
    }
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>10}  {:>8}",
        "reason", "units", "share"
    );
    for (reason, &count) in &tally.reasons {
        let _ = writeln!(
            out,
            "{reason:<width$}  {count:>10}  {:>8}",
            percent(share(count, n))
        );
    }
    for (code, &count) in &tally.errors {
        let _ = writeln!(out, "  error {code}: {count} units");
    }
    for r in reports {
        let split = r.tally.split();
        let held = r.tally.held_out();
        let layer = r
            .spec
            .layer
            .as_deref()
            .map_or_else(|| "implicit layer".to_owned(), |l| format!("layer {l}"));
        let _ = writeln!(
            out,
            "\nexperiment {} ({layer}): {} units ({}), {split} split, {held} held out",
            r.spec.key,
            split + held,
            percent(share(split + held, n))
        );
        let arm_width = r.arms.iter().map(|a| a.0.len()).max().unwrap_or(0).max(3);
        let total_weight: u64 = r.arms.iter().map(|a| a.1).sum();
        let _ = writeln!(
            out,
            "  {:<arm_width$}  {:>8}  {:>9}  {:>10}  {:>8}",
            "arm", "weight", "expected", "units", "share"
        );
        for (variant, weight, observed) in &r.arms {
            let _ = writeln!(
                out,
                "  {variant:<arm_width$}  {weight:>8}  {:>9}  {observed:>10}  {:>8}",
                percent(share(*weight, total_weight)),
                percent(share(*observed, split))
            );
        }
        for (holdout, &count) in &r.tally.holdouts {
            let _ = writeln!(
                out,
                "  held out by {holdout}: {count} units ({} of the experiment's units)",
                percent(share(count, split + held))
            );
        }
        for (code, &count) in &r.tally.skipped {
            let _ = writeln!(out, "  skipped ({code}): {count} units");
        }
        let _ = match r.srm {
            Some(s) if s.mismatch() => writeln!(
                out,
                "  SRM check: chi-square {:.3}, df {}, p {:.3e}  SRM! (p < {SRM_ALPHA}): the arms \
                 do not match the weights",
                s.statistic, s.df, s.p_value
            ),
            Some(s) => writeln!(
                out,
                "  SRM check: chi-square {:.3}, df {}, p {:.4}  ok",
                s.statistic, s.df, s.p_value
            ),
            None => writeln!(
                out,
                "  SRM check: nothing to test (no split units or one arm)"
            ),
        };
    }
    let _ = writeln!(
        out,
        "\nno experiment: {} units ({})",
        tally.no_experiment,
        percent(share(tally.no_experiment, n))
    );
    out
}

pub(crate) fn run(args: &SimulateArgs) -> Result<ExitCode, String> {
    let text = read_file(&args.config)?;
    let clock = clock(args.now.as_deref())?;
    let now = clock.0.to_string();
    // Exposures are not what this reports: keep the client's bounded state small.
    let client = Client::from_json(&text, clock, entropy())
        .map_err(|e| e.message().to_owned())?
        .with_capacities(Capacities {
            events: 4096,
            exposure_dedup: 1,
            sticky: 1,
        });
    let base = match &args.context {
        Some(text) => {
            let value = json_arg("--context", text)?;
            Context::from_value(value).map_err(|e| format!("--context: {e}"))?
        }
        None => Context::new(),
    };
    let document: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let specs = experiment_specs(&document, &args.flag);
    let tally = simulate(&client, &args.flag, &base, args.units)?;
    let report = Report {
        args,
        now,
        variants: ordered_variants(&document, &args.flag, &tally),
        tally: &tally,
        experiments: reports(&specs, &tally),
    };
    if args.json {
        println!("{}", to_json(&report));
    } else {
        print!("{}", to_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srm_check_matches_hand_computed_values() {
        // 60/40 observed against 50/50: chi2 = (10² + 10²) / 50 = 4, df 1, p = 0.0455.
        let s = srm_check(&[60, 40], &[1, 1]).unwrap_or_else(|| unreachable!());
        assert!((s.statistic - 4.0).abs() < 1e-12);
        assert_eq!(s.df, 1);
        assert!(
            (s.p_value - 0.045_500_263_896_358_4).abs() < 1e-9,
            "{}",
            s.p_value
        );
        assert!(!s.mismatch());
        // Nothing to test.
        assert_eq!(srm_check(&[0, 0], &[1, 1]), None);
        assert_eq!(srm_check(&[10], &[1]), None);
        // Units in an arm of weight 0: a mismatch.
        let s = srm_check(&[10, 1], &[1, 0]).unwrap_or_else(|| unreachable!());
        assert!(s.mismatch());
        // A zero-weight arm with no units is left out of the test (df counts positive weights).
        let s = srm_check(&[50, 0, 50], &[1, 0, 1]).unwrap_or_else(|| unreachable!());
        assert_eq!((s.statistic, s.df), (0.0, 1));
    }
}
