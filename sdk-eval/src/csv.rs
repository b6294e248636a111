//! The statistics as one CSV table, the form a warehouse query writes (`sdk-eval/sql/`):
//!
//! ```text
//! section,group,name,fold,n,sum_y,sum_y2,sum_x,sum_x2,sum_xy
//! experiment,checkout,,,,,,,,
//! arm,control,units,,5012,17,,,,          (n = units, sum_y = units whose arm failed)
//! metric,control,conversion,,5012,611,611,0,0,0
//! count,,exposures,,10031,,,,,
//! ope,bandit,dr,0,812,61.5,70.1,1630,3410,130.2
//! weights,bandit,,,4051,4012.3,9120.4,12.5,,   (n = decisions, Σw, Σw², max w)
//! difference,bandit,blue,0,812,...
//! ope-meta,offers,,5,12,0,,,,              (group = policy, fold = K, n = skipped, sum_y = without context)
//! ```
//!
//! Text fields are quoted when they contain a comma, a quote or a line break.

use crate::error::Error;
use crate::stats::{
    ArmStats, Counts, DifferenceSums, MetricStats, OpeStats, OpeSums, Stats, Sums, WeightStats,
    FORMAT,
};

/// The header line.
pub const HEADER: &str = "section,group,name,fold,n,sum_y,sum_y2,sum_x,sum_x2,sum_xy";

fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn sums_fields(s: &Sums) -> String {
    format!(
        "{},{},{},{},{},{}",
        s.n, s.sum_y, s.sum_y2, s.sum_x, s.sum_x2, s.sum_xy
    )
}

/// Writes the statistics as CSV.
pub fn to_csv(stats: &Stats) -> String {
    let mut out = String::new();
    let mut row = |section: &str, group: &str, name: &str, fold: String, rest: String| {
        out.push_str(&format!(
            "{section},{},{},{fold},{rest}\n",
            quote(group),
            quote(name)
        ));
    };
    row(
        "experiment",
        &stats.experiment,
        "",
        String::new(),
        ",,,,,".to_owned(),
    );
    for a in &stats.arms {
        row(
            "arm",
            &a.arm,
            "units",
            String::new(),
            format!("{},{},,,,", a.units, a.failed_units),
        );
    }
    for m in &stats.metrics {
        row(
            "metric",
            &m.arm,
            &m.metric,
            String::new(),
            sums_fields(&m.sums),
        );
    }
    let c = &stats.counts;
    for (name, value) in [
        ("events", c.events),
        ("exposures", c.exposures),
        ("decisions", c.decisions),
        ("tracks", c.tracks),
        ("units_in_several_arms", c.units_in_several_arms),
        ("held_out_units", c.held_out_units),
        ("units_in_unknown_arms", c.units_in_unknown_arms),
    ] {
        row("count", "", name, String::new(), format!("{value},,,,,"));
    }
    if let Some(ope) = &stats.ope {
        row(
            "ope-meta",
            &ope.policy,
            "",
            ope.folds.to_string(),
            format!(
                "{},{},,,,",
                ope.skipped_decisions, ope.decisions_without_context
            ),
        );
        for e in &ope.estimates {
            row(
                "ope",
                &e.target,
                &e.estimator,
                e.fold.to_string(),
                sums_fields(&e.sums),
            );
        }
        for w in &ope.weights {
            row(
                "weights",
                &w.target,
                "",
                String::new(),
                format!("{},{},{},{},,", w.decisions, w.sum_w, w.sum_w2, w.max_w),
            );
        }
        for d in &ope.differences {
            row(
                "difference",
                &d.target,
                &d.action,
                d.fold.to_string(),
                sums_fields(&d.sums),
            );
        }
    }
    let mut text = format!("{HEADER}\n");
    text.push_str(&out);
    text
}

/// Splits one CSV line into fields (quotes as written by [`to_csv`]).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

/// Reads statistics from CSV (as [`to_csv`] writes them, or as the SQL files produce them:
/// rows in any order; metrics and arms keep their first-seen order).
///
/// # Errors
/// [`crate::ErrorKind::InvalidStats`] naming the line of a malformed row.
pub fn from_csv(text: &str) -> Result<Stats, Error> {
    let mut stats = Stats {
        format: FORMAT.to_owned(),
        version: 1,
        ..Stats::default()
    };
    let mut ope: Option<OpeStats> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || (i == 0 && line.trim() == HEADER) {
            continue;
        }
        let f = fields(line.trim_end_matches('\r'));
        let bad = |what: &str| Error::stats(format!("statistics CSV line {line_no}: {what}"));
        if f.len() != 10 {
            return Err(bad("expected 10 fields"));
        }
        let get = |k: usize| f.get(k).map(String::as_str).unwrap_or("");
        let num = |k: usize| -> Result<f64, Error> {
            let t = get(k);
            if t.is_empty() {
                return Ok(0.0);
            }
            t.parse::<f64>()
                .map_err(|_| bad("a number field is not a number"))
        };
        let int = |k: usize| -> Result<u64, Error> {
            let t = get(k);
            if t.is_empty() {
                return Ok(0);
            }
            t.parse::<u64>()
                .or_else(|_| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|v| v.fract() == 0.0 && *v >= 0.0)
                        .map(|v| v as u64)
                        .ok_or(())
                })
                .map_err(|_| bad("a count is not a non-negative integer"))
        };
        let sums = || -> Result<Sums, Error> {
            Ok(Sums {
                n: int(4)?,
                sum_y: num(5)?,
                sum_y2: num(6)?,
                sum_x: num(7)?,
                sum_x2: num(8)?,
                sum_xy: num(9)?,
            })
        };
        let fold = || -> Result<u32, Error> {
            u32::try_from(int(3)?).map_err(|_| bad("fold out of range"))
        };
        match get(0) {
            "experiment" => stats.experiment = get(1).to_owned(),
            "arm" => stats.arms.push(ArmStats {
                arm: get(1).to_owned(),
                units: int(4)?,
                failed_units: int(5)?,
            }),
            "metric" => stats.metrics.push(MetricStats {
                metric: get(2).to_owned(),
                arm: get(1).to_owned(),
                sums: sums()?,
            }),
            "count" => {
                let v = int(4)?;
                let c: &mut Counts = &mut stats.counts;
                match get(2) {
                    "events" => c.events = v,
                    "exposures" => c.exposures = v,
                    "decisions" => c.decisions = v,
                    "tracks" => c.tracks = v,
                    "units_in_several_arms" => c.units_in_several_arms = v,
                    "held_out_units" => c.held_out_units = v,
                    "units_in_unknown_arms" => c.units_in_unknown_arms = v,
                    _ => return Err(bad("unknown count")),
                }
            }
            "ope-meta" => {
                let o = ope.get_or_insert_with(OpeStats::default);
                o.policy = get(1).to_owned();
                o.folds = fold()?;
                o.skipped_decisions = int(4)?;
                o.decisions_without_context = int(5)?;
            }
            "ope" => ope
                .get_or_insert_with(OpeStats::default)
                .estimates
                .push(OpeSums {
                    target: get(1).to_owned(),
                    estimator: get(2).to_owned(),
                    fold: fold()?,
                    sums: sums()?,
                }),
            "weights" => ope
                .get_or_insert_with(OpeStats::default)
                .weights
                .push(WeightStats {
                    target: get(1).to_owned(),
                    decisions: int(4)?,
                    sum_w: num(5)?,
                    sum_w2: num(6)?,
                    max_w: num(7)?,
                }),
            "difference" => {
                ope.get_or_insert_with(OpeStats::default)
                    .differences
                    .push(DifferenceSums {
                        target: get(1).to_owned(),
                        action: get(2).to_owned(),
                        fold: fold()?,
                        sums: sums()?,
                    })
            }
            _ => return Err(bad("unknown section")),
        }
    }
    // Metrics in the analysis' layout: metric-major, arms in arm order.
    let arm_order: Vec<String> = stats.arms.iter().map(|a| a.arm.clone()).collect();
    let mut metric_order: Vec<String> = Vec::new();
    for m in &stats.metrics {
        if !metric_order.contains(&m.metric) {
            metric_order.push(m.metric.clone());
        }
    }
    stats.metrics.sort_by_key(|m| {
        (
            metric_order.iter().position(|x| *x == m.metric),
            arm_order.iter().position(|x| *x == m.arm),
        )
    });
    stats.ope = ope;
    Ok(stats)
}
