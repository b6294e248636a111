//! The comparison of one metric between a treatment arm and the control: difference (Welch or
//! z), relative lift (delta method), ratio metrics (delta method) and CUPED with a pooled θ.
//!
//! Conventions (and the reference each follows):
//! - variances are sample variances (divisor n − 1), as scipy's Welch test and gbstats'
//!   `SampleMeanStatistic`; in the z form a conversion (`any`) metric uses `p(1 − p)` instead,
//!   as spotify-confidence's z-test does for binary data (any metric whose Σy² equals Σy);
//! - Welch–Satterthwaite degrees of freedom from the (adjusted) variances, as scipy and gbstats;
//! - CUPED: θ = pooled covariance / pooled covariate variance over the two arms compared (both
//!   with divisor n − 1 over the joint sums), as gbstats' `compute_theta`; the adjusted
//!   variance is `var(y) + θ² var(x) − 2θ cov(x, y)` per arm;
//! - lift = difference / control mean, its variance
//!   `v_t / (m_c² n_t) + v_c m_t² / (m_c⁴ n_c)` with the *unadjusted* means, as gbstats;
//! - ratio metrics: `R = Σnum / Σden` per arm, per-unit variance
//!   `var_n / d̄² − 2 cov m̄ / d̄³ + m̄² var_d / d̄⁴` (divisor n − 1), as gbstats'
//!   `RatioStatistic`.

use serde::Serialize;

use crate::dist::{norm_isf, norm_sf, t_isf, t_sf};
use crate::spec::{Aggregation, Metric, Source, Test};
use crate::stats::Sums;

/// One arm's estimate of a metric: the mean (CUPED-adjusted when it applies), the unadjusted
/// mean and the per-unit variance of the estimate's influence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArmEstimate {
    /// Units.
    pub n: u64,
    /// The (adjusted) mean.
    pub mean: f64,
    /// The unadjusted mean.
    pub raw_mean: f64,
    /// The per-unit variance (so the mean's variance is `variance / n`).
    pub variance: f64,
}

/// A difference and its sampling distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Effect {
    /// The point estimate.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Degrees of freedom (`None`: normal).
    pub df: Option<f64>,
    /// estimate / se.
    pub statistic: f64,
    /// The two-sided p-value against 0.
    pub p_value: f64,
    /// The two-sided (1 − α) interval.
    pub ci: [f64; 2],
}

impl Effect {
    pub(crate) fn new(estimate: f64, se: f64, df: Option<f64>, alpha: f64) -> Self {
        let statistic = estimate / se;
        let p_value = (2.0 * upper_tail(statistic.abs(), df)).min(1.0);
        let q = upper_quantile(alpha / 2.0, df);
        Self {
            estimate,
            se,
            df,
            statistic,
            p_value,
            ci: [estimate - q * se, estimate + q * se],
        }
    }

    /// `P(T > (estimate − null) / se)`: the one-sided p-value of "the effect exceeds `null`".
    pub fn p_above(&self, null: f64) -> f64 {
        upper_tail((self.estimate - null) / self.se, self.df)
    }

    /// `P(T < (estimate − null) / se)`.
    pub fn p_below(&self, null: f64) -> f64 {
        upper_tail((null - self.estimate) / self.se, self.df)
    }
}

/// The tail of the test's distribution (t with `df`, or normal).
pub fn upper_tail(x: f64, df: Option<f64>) -> f64 {
    match df {
        Some(df) => t_sf(x, df),
        None => norm_sf(x),
    }
}

/// The upper `q` quantile of the test's distribution.
pub fn upper_quantile(q: f64, df: Option<f64>) -> f64 {
    match df {
        Some(df) => t_isf(q, df),
        None => norm_isf(q),
    }
}

/// The comparison of one metric, treatment against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The control arm.
    pub control: ArmEstimate,
    /// The treatment arm.
    pub treatment: ArmEstimate,
    /// CUPED's θ, when the metric has a covariate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// treatment − control.
    pub difference: Effect,
    /// (treatment − control) / control mean.
    pub lift: Effect,
}

fn sample_variance(n: f64, sum: f64, sum2: f64) -> f64 {
    if n <= 1.0 {
        return 0.0;
    }
    (sum2 - sum * sum / n) / (n - 1.0)
}

fn sample_covariance(n: f64, sum_a: f64, sum_b: f64, sum_ab: f64) -> f64 {
    if n <= 1.0 {
        return 0.0;
    }
    (sum_ab - sum_a * sum_b / n) / (n - 1.0)
}

/// Compares `metric` in `treatment` against `control`. `None` when an arm has fewer than two
/// units or the control mean is 0 (no lift), or the difference has no variance.
///
/// `zero_one` says the metric's values are all 0 or 1 (`Σy² = Σy` in every arm): the z form
/// then uses `p(1 − p)`, recognising binary data as spotify-confidence does, over all the
/// experiment's arms (a count that happens to be at most 1 per unit counts as binary too).
pub fn compare(
    metric: &Metric,
    control: &Sums,
    treatment: &Sums,
    test: Test,
    alpha: f64,
    zero_one: bool,
) -> Option<Comparison> {
    if control.n < 2 || treatment.n < 2 {
        return None;
    }
    let (c, t, theta) = match &metric.source {
        Source::Ratio { .. } => (ratio_arm(control), ratio_arm(treatment), None),
        Source::Event {
            aggregation,
            cuped_lookback_ms,
            ..
        } => {
            let binary = test == Test::Z && (*aggregation == Aggregation::Any || zero_one);
            if cuped_lookback_ms.is_some() {
                let theta = pooled_theta(control, treatment);
                (
                    cuped_arm(control, theta),
                    cuped_arm(treatment, theta),
                    Some(theta),
                )
            } else {
                (mean_arm(control, binary), mean_arm(treatment, binary), None)
            }
        }
    };
    let (nc, nt) = (c.n as f64, t.n as f64);
    let (vc, vt) = (c.variance / nc, t.variance / nt);
    let se = (vc + vt).sqrt();
    if se.is_nan() || se <= 0.0 || c.raw_mean == 0.0 {
        return None;
    }
    let df = match test {
        Test::Welch => Some((vc + vt).powi(2) / (vc * vc / (nc - 1.0) + vt * vt / (nt - 1.0))),
        Test::Z => None,
    };
    let difference = Effect::new(t.mean - c.mean, se, df, alpha);
    let lift_variance = t.variance / (c.raw_mean.powi(2) * nt)
        + c.variance * t.raw_mean.powi(2) / (c.raw_mean.powi(4) * nc);
    let lift = Effect::new(
        (t.mean - c.mean) / c.raw_mean,
        lift_variance.sqrt(),
        df,
        alpha,
    );
    Some(Comparison {
        control: c,
        treatment: t,
        theta,
        difference,
        lift,
    })
}

fn mean_arm(s: &Sums, binary: bool) -> ArmEstimate {
    let n = s.n as f64;
    let mean = s.sum_y / n;
    let variance = if binary {
        s.sum_y2 / n - mean * mean
    } else {
        sample_variance(n, s.sum_y, s.sum_y2)
    };
    ArmEstimate {
        n: s.n,
        mean,
        raw_mean: mean,
        variance,
    }
}

/// θ from the two arms' joint sums.
pub fn pooled_theta(a: &Sums, b: &Sums) -> f64 {
    let n = (a.n + b.n) as f64;
    let var_y = sample_variance(n, a.sum_y + b.sum_y, a.sum_y2 + b.sum_y2);
    let var_x = sample_variance(n, a.sum_x + b.sum_x, a.sum_x2 + b.sum_x2);
    if var_x <= 0.0 || var_y <= 0.0 {
        return 0.0;
    }
    sample_covariance(n, a.sum_y + b.sum_y, a.sum_x + b.sum_x, a.sum_xy + b.sum_xy) / var_x
}

fn cuped_arm(s: &Sums, theta: f64) -> ArmEstimate {
    let n = s.n as f64;
    let raw_mean = s.sum_y / n;
    let var_y = sample_variance(n, s.sum_y, s.sum_y2);
    let var_x = sample_variance(n, s.sum_x, s.sum_x2);
    let cov = sample_covariance(n, s.sum_y, s.sum_x, s.sum_xy);
    ArmEstimate {
        n: s.n,
        mean: raw_mean - theta * s.sum_x / n,
        raw_mean,
        variance: var_y + theta * theta * var_x - 2.0 * theta * cov,
    }
}

fn ratio_arm(s: &Sums) -> ArmEstimate {
    let n = s.n as f64;
    let (m, d) = (s.sum_y / n, s.sum_x / n);
    let ratio = if s.sum_x == 0.0 {
        0.0
    } else {
        s.sum_y / s.sum_x
    };
    let variance = if d == 0.0 || n <= 1.0 {
        0.0
    } else {
        let var_m = sample_variance(n, s.sum_y, s.sum_y2);
        let var_d = sample_variance(n, s.sum_x, s.sum_x2);
        let cov = sample_covariance(n, s.sum_y, s.sum_x, s.sum_xy);
        var_m / d.powi(2) - 2.0 * cov * m / d.powi(3) + m * m * var_d / d.powi(4)
    };
    ArmEstimate {
        n: s.n,
        mean: ratio,
        raw_mean: ratio,
        variance,
    }
}

/// A ratio of per-unit sums `Σy / Σx` with its delta-method standard error (divisor n − 1):
/// the form of every off-policy estimate. With one decision per unit (`x = 1`) this is the
/// mean with its usual standard error.
pub fn ratio_of_sums(s: &Sums) -> Option<(f64, f64)> {
    if s.n < 2 || s.sum_x == 0.0 {
        return None;
    }
    let n = s.n as f64;
    let r = s.sum_y / s.sum_x;
    let residual = (s.sum_y2 - 2.0 * r * s.sum_xy + r * r * s.sum_x2).max(0.0);
    let x_bar = s.sum_x / n;
    let se = (residual / (n - 1.0) / n).sqrt() / x_bar;
    Some((r, se))
}
