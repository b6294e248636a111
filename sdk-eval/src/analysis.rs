//! From statistics to the verdict: every metric compared per treatment arm, the
//! sample-ratio-mismatch check, the decision rule with guardrails, sequential bounds, and the
//! off-policy estimates with the value of personalization.
//!
//! The decision rule (Schultzberg, Ankargren and Frånberg's risk-aware rule, as
//! spotify-confidence's `spot-1` corrections implement it), per treatment arm:
//! - success metrics: one-sided superiority in the metric's good direction, at α / S with S
//!   the number of success comparisons (success metrics × treatment arms) for Bonferroni, or
//!   by Holm's or Benjamini–Hochberg's procedure over those S p-values;
//! - guardrails: one-sided non-inferiority, `H0: gain ≤ −margin × control mean` (the
//!   absolute difference, signed in the good direction, against the margin times the control
//!   mean), at α: all must hold (an intersection–union test needs no correction);
//! - deterioration: every metric one-sided in the bad direction at α: none may be
//!   significant;
//! - no sample-ratio mismatch (χ² against the configured weights, p < 0.001).
//!
//! Ship iff some success metric wins, every guardrail is non-inferior, nothing deteriorated
//! and there is no SRM. The design power per metric is `1 − β / (G + 1)` with G guardrails
//! (`1 − β / G` without success metrics), and the reported minimum detectable effect is
//! `(z_{1−α_m} + z_{power}) × se` at the metric's level α_m.

use serde::Serialize;

use crate::ab::{compare, ratio_of_sums, upper_quantile, Comparison};
use crate::dist::{chi2_sf, norm_isf};
use crate::error::Error;
use crate::ope::ESTIMATORS;
use crate::sequential::{always_valid, group_sequential_bounds, AlwaysValid};
use crate::spec::{Correction, Direction, Kind, Sequential, Spec};
use crate::stats::{Stats, Sums};

/// Below this p-value the arms' counts are a sample-ratio mismatch.
pub const SRM_ALPHA: f64 = 0.001;

/// The SRM check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Srm {
    /// Units per arm, in allocation order.
    pub observed: Vec<u64>,
    /// Expected units per arm from the configured weights.
    pub expected: Vec<f64>,
    /// Pearson's χ².
    pub chi2: f64,
    /// Its p-value with (arms − 1) degrees of freedom.
    pub p_value: f64,
    /// p < 0.001.
    pub mismatch: bool,
}

/// χ² of the arms' units against the configured weights.
pub fn srm(observed: &[u64], weights: &[f64]) -> Srm {
    let total: f64 = observed.iter().map(|&o| o as f64).sum();
    let weight_sum: f64 = weights.iter().sum();
    let expected: Vec<f64> = weights.iter().map(|w| total * w / weight_sum).collect();
    let chi2: f64 = observed
        .iter()
        .zip(&expected)
        .filter(|(_, e)| **e > 0.0)
        .map(|(&o, e)| (o as f64 - e).powi(2) / e)
        .sum();
    let p_value = chi2_sf(chi2, (observed.len() as f64 - 1.0).max(1.0));
    Srm {
        observed: observed.to_vec(),
        expected,
        chi2,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    }
}

/// One metric's comparison and its part in the decision rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    /// The metric.
    pub metric: String,
    /// `success`, `guardrail` or `monitor`.
    pub kind: &'static str,
    /// `higher` or `lower`.
    pub direction: &'static str,
    /// The treatment arm.
    pub arm: String,
    /// The comparison (`None` when there is too little data).
    pub comparison: Option<Comparison>,
    /// The one-sided level of this metric's test in the decision rule.
    pub level: f64,
    /// The test's null hypothesis for the difference (0, or `−margin × control mean` signed
    /// by direction for a guardrail).
    pub null: f64,
    /// The one-sided p-value of the metric's test (superiority or non-inferiority).
    pub p_value: Option<f64>,
    /// That p-value after the multiplicity correction (success metrics).
    pub adjusted_p_value: Option<f64>,
    /// The bound of the one-sided (1 − level) interval on the difference in the good
    /// direction: the lower bound for higher-is-better, the upper for lower-is-better.
    pub bound: Option<f64>,
    /// The critical value used (sequential bounds replace the fixed one).
    pub critical: Option<f64>,
    /// The test passed (superior / non-inferior); monitors: `true`.
    pub passed: bool,
    /// Significantly worse (one-sided at α).
    pub deteriorated: bool,
    /// The minimum detectable effect at the design power, in the metric's units.
    pub mde: Option<f64>,
    /// Always-valid interval and p-value, when the spec asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub always_valid: Option<AlwaysValid>,
}

/// The verdict for one treatment arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The treatment arm.
    pub arm: String,
    /// Ship it.
    pub ship: bool,
    /// Why (or why not), one reason per line.
    pub reasons: Vec<String>,
}

/// Sequential bounds at the current look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialResult {
    /// Information fractions of every look so far, the current one last.
    pub fractions: Vec<f64>,
    /// Two-sided bounds at α for those looks.
    pub two_sided: Vec<f64>,
}

/// One off-policy estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpeEstimate {
    /// The target policy.
    pub target: String,
    /// `ips`, `snips`, `dm` or `dr`.
    pub estimator: String,
    /// The value per decision.
    pub value: f64,
    /// Its standard error (per-unit delta method).
    pub se: f64,
    /// The normal (1 − α) interval.
    pub ci: [f64; 2],
}

/// Importance-weight diagnostics of a target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightDiagnostics {
    /// The target policy.
    pub target: String,
    /// Σw / n (≈ 1 when the logging policy covers the target).
    pub mean_weight: f64,
    /// The largest weight.
    pub max_weight: f64,
    /// (Σw)² / Σw².
    pub effective_sample_size: f64,
    /// Decisions.
    pub decisions: u64,
}

/// The value of personalization of one target: V(π) − max_a V(a).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Personalization {
    /// The target policy.
    pub target: String,
    /// Cross-fitted: the best static action chosen on the other folds, per fold.
    pub cross_fitted: OpeEstimate,
    /// The static action chosen for each fold.
    pub chosen_per_fold: Vec<String>,
    /// In-sample: the best static action chosen on all the data (optimistic about the best
    /// static action — its estimate is the maximum of noisy estimates — so Δ is biased down).
    pub in_sample: OpeEstimate,
    /// The in-sample best static action.
    pub best_action: String,
}

/// The whole off-policy part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpeResult {
    /// Every (target, estimator), targets in order (static actions first).
    pub estimates: Vec<OpeEstimate>,
    /// Per target.
    pub weights: Vec<WeightDiagnostics>,
    /// Per bundle target.
    pub personalization: Vec<Personalization>,
    /// Decisions set aside.
    pub skipped_decisions: u64,
    /// Decisions without the logged context a target needed.
    pub decisions_without_context: u64,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The experiment.
    pub experiment: String,
    /// The control arm.
    pub control: String,
    /// α.
    pub alpha: f64,
    /// The per-metric design power `1 − β / (G + 1)`.
    pub design_power: f64,
    /// The SRM check.
    pub srm: Srm,
    /// Per (metric, treatment arm), metrics in spec order.
    pub metrics: Vec<MetricResult>,
    /// Per treatment arm.
    pub verdicts: Vec<Verdict>,
    /// Group-sequential bounds, when planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialResult>,
    /// Off-policy evaluation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ope: Option<OpeResult>,
    /// What the reducer set aside, for the report.
    pub counts: crate::stats::Counts,
    /// Units per arm whose arm failed at least once.
    pub failed_units: Vec<u64>,
}

/// Adjusted p-values: Bonferroni `min(m p, 1)`, Holm's step-down or Benjamini–Hochberg's
/// step-up (as statsmodels' `multipletests`).
pub fn adjust(p: &[f64], correction: Correction) -> Vec<f64> {
    let m = p.len() as f64;
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| {
        p.get(a)
            .partial_cmp(&p.get(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut adjusted = vec![1.0; p.len()];
    match correction {
        Correction::Bonferroni => {
            for (a, &pi) in adjusted.iter_mut().zip(p) {
                *a = (pi * m).min(1.0);
            }
        }
        Correction::Holm => {
            let mut running: f64 = 0.0;
            for (rank, &i) in order.iter().enumerate() {
                let value = ((m - rank as f64) * p.get(i).copied().unwrap_or(1.0)).min(1.0);
                running = running.max(value);
                if let Some(a) = adjusted.get_mut(i) {
                    *a = running;
                }
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running: f64 = 1.0;
            for (rank, &i) in order.iter().enumerate().rev() {
                let value = (m / (rank as f64 + 1.0) * p.get(i).copied().unwrap_or(1.0)).min(1.0);
                running = running.min(value);
                if let Some(a) = adjusted.get_mut(i) {
                    *a = running;
                }
            }
        }
    }
    adjusted
}

/// Runs the analysis of `stats` under `spec`.
///
/// # Errors
/// [`crate::ErrorKind::InvalidStats`] when the statistics do not have the spec's arms and
/// metrics.
pub fn analyze(spec: &Spec, stats: &Stats) -> Result<Analysis, Error> {
    if stats.experiment != spec.experiment
        || stats.arms.len() != spec.allocation.len()
        || stats
            .arms
            .iter()
            .zip(&spec.allocation)
            .any(|(a, (name, _))| a.arm != *name)
    {
        return Err(Error::stats(
            "the statistics are not of this spec's experiment and arms",
        ));
    }
    let control_name = spec
        .allocation
        .get(spec.control)
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let observed: Vec<u64> = stats.arms.iter().map(|a| a.units).collect();
    let weights: Vec<f64> = spec.allocation.iter().map(|(_, w)| *w).collect();
    let srm = srm(&observed, &weights);
    let treatments: Vec<usize> = (0..spec.allocation.len())
        .filter(|&a| a != spec.control)
        .collect();
    let success_comparisons = (spec.success_count() * treatments.len()).max(1) as f64;
    let guardrails = spec.guardrail_count() as f64;
    let beta = 1.0 - spec.power;
    let design_power = if spec.success_count() == 0 && guardrails > 0.0 {
        1.0 - beta / guardrails
    } else {
        1.0 - beta / (guardrails + 1.0)
    };
    let sequential = match &spec.sequential {
        Some(Sequential::GroupSequential {
            planned_units,
            previous_looks,
        }) => {
            let current: f64 = observed.iter().map(|&o| o as f64).sum();
            let mut fractions: Vec<f64> =
                previous_looks.iter().map(|n| n / planned_units).collect();
            fractions.push(current / planned_units);
            if fractions.windows(2).any(|w| w.first() >= w.get(1)) {
                return Err(Error::stats(
                    "sequential.previous_looks must be below the current number of units",
                ));
            }
            Some(fractions)
        }
        _ => None,
    };
    // The sequential critical value for a one-sided level: the current look's bound, computed
    // once per level (a handful of levels: success, guardrail, deterioration).
    let mut bounds: Vec<(f64, f64)> = Vec::new();
    let mut critical_for = |level: f64, df: Option<f64>| -> f64 {
        match &sequential {
            Some(fractions) => {
                if let Some(&(_, bound)) = bounds.iter().find(|(l, _)| *l == level) {
                    return bound;
                }
                let bound = group_sequential_bounds(fractions, level, false)
                    .last()
                    .copied()
                    .unwrap_or(f64::INFINITY);
                bounds.push((level, bound));
                bound
            }
            None => upper_quantile(level, df),
        }
    };
    let mut metrics = Vec::new();
    for (m, metric) in spec.metrics.iter().enumerate() {
        let control_sums = stats.metrics.get(m * spec.allocation.len() + spec.control);
        for &t in &treatments {
            let treatment_sums = stats.metrics.get(m * spec.allocation.len() + t);
            let (Some(c), Some(ts)) = (control_sums, treatment_sums) else {
                return Err(Error::stats("the statistics lack a metric of the spec"));
            };
            if c.metric != metric.name {
                return Err(Error::stats("the statistics' metrics are not the spec's"));
            }
            let arm = spec
                .allocation
                .get(t)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            let zero_one = stats
                .metrics
                .iter()
                .filter(|s| s.metric == metric.name)
                .all(|s| s.sums.sum_y2 == s.sums.sum_y);
            let comparison = compare(metric, &c.sums, &ts.sums, spec.test, spec.alpha, zero_one);
            let sign = metric.direction.sign();
            let (kind, level) = match metric.kind {
                Kind::Success => ("success", spec.alpha / success_comparisons),
                Kind::Guardrail { .. } => ("guardrail", spec.alpha),
                Kind::Monitor => ("monitor", spec.alpha),
            };
            let mut result = MetricResult {
                metric: metric.name.clone(),
                kind,
                direction: match metric.direction {
                    Direction::Higher => "higher",
                    Direction::Lower => "lower",
                },
                arm,
                comparison: comparison.clone(),
                level,
                null: 0.0,
                p_value: None,
                adjusted_p_value: None,
                bound: None,
                critical: None,
                passed: metric.kind == Kind::Monitor,
                deteriorated: false,
                mde: None,
                always_valid: None,
            };
            if let Some(cmp) = &comparison {
                let d = &cmp.difference;
                let null = match metric.kind {
                    Kind::Guardrail { margin } => -sign * margin * cmp.control.raw_mean,
                    _ => 0.0,
                };
                result.null = null;
                let critical = critical_for(level, d.df);
                result.critical = Some(critical);
                let p = if sign > 0.0 {
                    d.p_above(null)
                } else {
                    d.p_below(null)
                };
                result.p_value = Some(p);
                result.bound = Some(d.estimate - sign * critical * d.se);
                let gain_z = sign * (d.estimate - null) / d.se;
                if metric.kind != Kind::Monitor {
                    result.passed = gain_z >= critical && gain_z.is_finite();
                }
                let worse = critical_for(spec.alpha, d.df);
                result.deteriorated = -sign * d.estimate / d.se >= worse;
                result.mde = Some((norm_isf(level) + norm_isf(1.0 - design_power)) * d.se);
                if let Some(Sequential::AlwaysValid { tuning }) = &spec.sequential {
                    let n = (cmp.control.n + cmp.treatment.n) as f64;
                    let av = always_valid(d.estimate, d.se, n, spec.alpha, *tuning);
                    if metric.kind == Kind::Success {
                        let strict = always_valid(d.estimate, d.se, n, 2.0 * level, *tuning);
                        let low = if sign > 0.0 {
                            strict.ci[0]
                        } else {
                            -strict.ci[1]
                        };
                        result.passed = low > 0.0;
                    }
                    result.always_valid = Some(av);
                }
            }
            metrics.push(result);
        }
    }
    // The correction over the success comparisons (all arms together).
    let success: Vec<usize> = (0..metrics.len())
        .filter(|&i| metrics.get(i).is_some_and(|r| r.kind == "success"))
        .collect();
    let p: Vec<f64> = success
        .iter()
        .map(|&i| metrics.get(i).and_then(|r| r.p_value).unwrap_or(1.0))
        .collect();
    let adjusted = adjust(&p, spec.correction);
    let fixed = spec.sequential.is_none();
    for (&i, &a) in success.iter().zip(&adjusted) {
        if let Some(r) = metrics.get_mut(i) {
            r.adjusted_p_value = r.p_value.map(|_| a);
            // Holm and BH decide by the adjusted p-value; Bonferroni's equals the fixed test.
            if fixed && spec.correction != Correction::Bonferroni && r.comparison.is_some() {
                r.passed = a < spec.alpha;
            }
        }
    }
    let verdicts = treatments
        .iter()
        .map(|&t| {
            let arm = spec
                .allocation
                .get(t)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            verdict(&arm, &metrics, &srm)
        })
        .collect();
    let ope = match &stats.ope {
        Some(ope) => Some(ope_result(ope, spec.alpha)?),
        None => None,
    };
    Ok(Analysis {
        experiment: spec.experiment.clone(),
        control: control_name,
        alpha: spec.alpha,
        design_power,
        srm,
        metrics,
        verdicts,
        sequential: sequential.map(|fractions| SequentialResult {
            two_sided: group_sequential_bounds(&fractions, spec.alpha, true),
            fractions,
        }),
        ope,
        counts: stats.counts,
        failed_units: stats.arms.iter().map(|a| a.failed_units).collect(),
    })
}

fn verdict(arm: &str, metrics: &[MetricResult], srm: &Srm) -> Verdict {
    let mine: Vec<&MetricResult> = metrics.iter().filter(|r| r.arm == arm).collect();
    let mut reasons = Vec::new();
    let winners: Vec<&str> = mine
        .iter()
        .filter(|r| r.kind == "success" && r.passed)
        .map(|r| r.metric.as_str())
        .collect();
    if winners.is_empty() {
        reasons.push("no success metric is significantly better".to_owned());
    } else {
        reasons.push(format!("significantly better: {}", winners.join(", ")));
    }
    let failing: Vec<&str> = mine
        .iter()
        .filter(|r| r.kind == "guardrail" && !r.passed)
        .map(|r| r.metric.as_str())
        .collect();
    if !failing.is_empty() {
        reasons.push(format!("not shown non-inferior: {}", failing.join(", ")));
    }
    let worse: Vec<&str> = mine
        .iter()
        .filter(|r| r.deteriorated)
        .map(|r| r.metric.as_str())
        .collect();
    if !worse.is_empty() {
        reasons.push(format!("significantly worse: {}", worse.join(", ")));
    }
    if srm.mismatch {
        reasons.push(format!("sample-ratio mismatch (p = {:.3e})", srm.p_value));
    }
    Verdict {
        arm: arm.to_owned(),
        ship: !winners.is_empty() && failing.is_empty() && worse.is_empty() && !srm.mismatch,
        reasons,
    }
}

fn estimate(target: &str, estimator: &str, sums: &Sums, alpha: f64) -> Option<OpeEstimate> {
    let (value, se) = ratio_of_sums(sums)?;
    let q = norm_isf(alpha / 2.0);
    Some(OpeEstimate {
        target: target.to_owned(),
        estimator: estimator.to_owned(),
        value,
        se,
        ci: [value - q * se, value + q * se],
    })
}

fn total<'a>(sums: impl Iterator<Item = &'a Sums>) -> Sums {
    let mut out = Sums::default();
    for s in sums {
        out.merge(s);
    }
    out
}

fn ope_result(ope: &crate::stats::OpeStats, alpha: f64) -> Result<OpeResult, Error> {
    let mut targets: Vec<&str> = Vec::new();
    for e in &ope.estimates {
        if !targets.contains(&e.target.as_str()) {
            targets.push(&e.target);
        }
    }
    let mut estimates = Vec::new();
    for target in &targets {
        for estimator in ESTIMATORS {
            let sums = total(
                ope.estimates
                    .iter()
                    .filter(|e| e.target == *target && e.estimator == estimator)
                    .map(|e| &e.sums),
            );
            if let Some(e) = estimate(target, estimator, &sums, alpha) {
                estimates.push(e);
            }
        }
    }
    let weights = ope
        .weights
        .iter()
        .map(|w| WeightDiagnostics {
            target: w.target.clone(),
            mean_weight: if w.decisions > 0 {
                w.sum_w / w.decisions as f64
            } else {
                0.0
            },
            max_weight: w.max_w,
            effective_sample_size: if w.sum_w2 > 0.0 {
                w.sum_w * w.sum_w / w.sum_w2
            } else {
                0.0
            },
            decisions: w.decisions,
        })
        .collect();
    // Static actions: the targets that have difference rows.
    let mut actions: Vec<&str> = Vec::new();
    for d in &ope.differences {
        if !actions.contains(&d.action.as_str()) {
            actions.push(&d.action);
        }
    }
    let dr_of = |target: &str, keep: &dyn Fn(u32) -> bool| -> Option<f64> {
        let sums = total(
            ope.estimates
                .iter()
                .filter(|e| e.target == target && e.estimator == "dr" && keep(e.fold))
                .map(|e| &e.sums),
        );
        (sums.sum_x > 0.0).then(|| sums.sum_y / sums.sum_x)
    };
    let best = |keep: &dyn Fn(u32) -> bool| -> Option<&str> {
        let mut best: Option<(&str, f64)> = None;
        for a in &actions {
            if let Some(v) = dr_of(a, keep) {
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((a, v));
                }
            }
        }
        best.map(|(a, _)| a)
    };
    let mut personalization = Vec::new();
    let mut compared: Vec<&str> = Vec::new();
    for d in &ope.differences {
        if !compared.contains(&d.target.as_str()) {
            compared.push(&d.target);
        }
    }
    for target in compared {
        let mut chosen = Vec::new();
        let mut cross = Sums::default();
        for fold in 0..ope.folds {
            let Some(action) = best(&|f| f != fold) else {
                continue;
            };
            chosen.push(action.to_owned());
            for d in ope
                .differences
                .iter()
                .filter(|d| d.target == target && d.action == action && d.fold == fold)
            {
                cross.merge(&d.sums);
            }
        }
        let Some(best_action) = best(&|_| true) else {
            continue;
        };
        let in_sample = total(
            ope.differences
                .iter()
                .filter(|d| d.target == target && d.action == best_action)
                .map(|d| &d.sums),
        );
        if let (Some(cross_fitted), Some(in_sample)) = (
            estimate(target, "dr", &cross, alpha),
            estimate(target, "dr", &in_sample, alpha),
        ) {
            personalization.push(Personalization {
                target: target.to_owned(),
                cross_fitted,
                chosen_per_fold: chosen,
                in_sample,
                best_action: best_action.to_owned(),
            });
        }
    }
    Ok(OpeResult {
        estimates,
        weights,
        personalization,
        skipped_decisions: ope.skipped_decisions,
        decisions_without_context: ope.decisions_without_context,
    })
}
