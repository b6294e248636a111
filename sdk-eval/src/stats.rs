//! Mergeable sufficient statistics: what one pass over the logs reduces to, and all the
//! analysis reads. Two statistics files of the same spec over disjoint sets of units merge by
//! addition (`Stats::merge`), so they can come from shards, from the SQL in `sdk-eval/sql/`
//! run where the logs live, or from this crate's reducer.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Sums over units of one group: `n`, `Σy`, `Σy²`, `Σx`, `Σx²`, `Σxy`.
///
/// For an event metric `y` is the unit's value and `x` its CUPED covariate (0 without CUPED);
/// for a ratio metric `y` is the numerator's value and `x` the denominator's; for an
/// off-policy estimate `y` is the unit's summed estimator terms and `x` its number of
/// decisions (or of summed weights, for SNIPS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sums {
    /// Units.
    pub n: u64,
    /// `Σy`.
    pub sum_y: f64,
    /// `Σy²`.
    pub sum_y2: f64,
    /// `Σx`.
    pub sum_x: f64,
    /// `Σx²`.
    pub sum_x2: f64,
    /// `Σxy`.
    pub sum_xy: f64,
}

impl Sums {
    /// Adds one unit's `(y, x)`.
    pub fn add(&mut self, y: f64, x: f64) {
        self.n += 1;
        self.sum_y += y;
        self.sum_y2 += y * y;
        self.sum_x += x;
        self.sum_x2 += x * x;
        self.sum_xy += x * y;
    }

    /// Adds another group's sums (disjoint units).
    pub fn merge(&mut self, other: &Sums) {
        self.n += other.n;
        self.sum_y += other.sum_y;
        self.sum_y2 += other.sum_y2;
        self.sum_x += other.sum_x;
        self.sum_x2 += other.sum_x2;
        self.sum_xy += other.sum_xy;
    }
}

/// Per arm: how many units it has and how many of its exposures reported a failed arm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmStats {
    /// The variant name.
    pub arm: String,
    /// Units assigned to it (units seen in two arms excluded).
    pub units: u64,
    /// Of those, units with an exposure whose arm failed (`errorCode`).
    pub failed_units: u64,
}

/// One metric in one arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricStats {
    /// The metric's name.
    pub metric: String,
    /// The arm.
    pub arm: String,
    /// The sums.
    #[serde(flatten)]
    pub sums: Sums,
}

/// What the reducer saw and set aside.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Event lines read.
    pub events: u64,
    /// Exposures of the experiment.
    pub exposures: u64,
    /// Decision events of the OPE policy.
    pub decisions: u64,
    /// Track events.
    pub tracks: u64,
    /// Units exposed to two or more arms: dropped from every metric.
    pub units_in_several_arms: u64,
    /// Units caught by a holdout (exposed to the default variant as its control): dropped.
    pub held_out_units: u64,
    /// Units exposed to a variant that is not in the spec's allocation: dropped.
    pub units_in_unknown_arms: u64,
}

/// One off-policy estimate's sums for one target policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeSums {
    /// The target policy (a target's name or an action key).
    pub target: String,
    /// `ips`, `snips`, `dm` or `dr`.
    pub estimator: String,
    /// The fold (`bucket("ope-fold", unit) mod K`) of the units summed.
    pub fold: u32,
    /// Per unit: `y` the summed estimator terms, `x` the decisions (SNIPS: the summed weights).
    #[serde(flatten)]
    pub sums: Sums,
}

/// The importance weights of one target policy, for diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightStats {
    /// The target policy.
    pub target: String,
    /// Decisions.
    pub decisions: u64,
    /// `Σw`.
    pub sum_w: f64,
    /// `Σw²`.
    pub sum_w2: f64,
    /// `max w`.
    pub max_w: f64,
}

/// Per (target, action, fold): sums of the unit's `ψ_target − ψ_action` (DR terms), for the
/// value of personalization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DifferenceSums {
    /// The target policy.
    pub target: String,
    /// The static action compared with.
    pub action: String,
    /// The fold.
    pub fold: u32,
    /// `y`: the unit's summed DR-term differences; `x`: its decisions.
    #[serde(flatten)]
    pub sums: Sums,
}

/// The off-policy part of the statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeStats {
    /// The logging policy's id.
    pub policy: String,
    /// K.
    pub folds: u32,
    /// Decisions set aside (another version, a missing propensity, an unknown action, ...).
    pub skipped_decisions: u64,
    /// Decisions whose bundle-target probabilities could not be computed (no logged
    /// context, or the bundle failed on it): set aside too.
    pub decisions_without_context: u64,
    /// Per (target, estimator, fold).
    pub estimates: Vec<OpeSums>,
    /// Per target.
    pub weights: Vec<WeightStats>,
    /// Per (target, action, fold).
    pub differences: Vec<DifferenceSums>,
}

/// Everything the analysis needs, as written by `--write-stats` and read by `--stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Always `tandem-evaluate-stats`.
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// The experiment.
    pub experiment: String,
    /// Per arm, in allocation order.
    pub arms: Vec<ArmStats>,
    /// Per (metric, arm), metrics in spec order.
    pub metrics: Vec<MetricStats>,
    /// What was read and set aside.
    pub counts: Counts,
    /// Off-policy evaluation, when the spec asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ope: Option<OpeStats>,
}

/// The `format` field of a statistics file.
pub const FORMAT: &str = "tandem-evaluate-stats";

impl Stats {
    /// Reads statistics from JSON text.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidStats`] when the text is not a version-1 statistics file.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let stats: Stats =
            serde_json::from_str(text).map_err(|e| Error::stats(format!("statistics: {e}")))?;
        if stats.format != FORMAT || stats.version != 1 {
            return Err(Error::stats(
                "statistics: not a version-1 tandem-evaluate-stats file",
            ));
        }
        Ok(stats)
    }

    /// Writes the statistics as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The sums of `metric` in `arm`.
    pub fn metric(&self, metric: &str, arm: &str) -> Option<&Sums> {
        self.metrics
            .iter()
            .find(|m| m.metric == metric && m.arm == arm)
            .map(|m| &m.sums)
    }

    /// Puts arms and metrics in the spec's order (statistics from SQL come in any order),
    /// with zero sums for an arm or metric the statistics lack (an arm without units).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidStats`] when the statistics are of another experiment or
    /// name an arm or metric the spec does not have.
    pub fn align(&mut self, spec: &crate::spec::Spec) -> Result<(), Error> {
        if self.experiment != spec.experiment {
            return Err(Error::stats(
                "the statistics are of another experiment than the spec's",
            ));
        }
        let known_arm = |a: &str| spec.allocation.iter().any(|(n, _)| n == a);
        if let Some(a) = self.arms.iter().find(|a| !known_arm(&a.arm)) {
            return Err(Error::stats(format!(
                "the statistics have an arm the spec lacks: {}",
                a.arm
            )));
        }
        if let Some(m) = self
            .metrics
            .iter()
            .find(|m| !known_arm(&m.arm) || !spec.metrics.iter().any(|s| s.name == m.metric))
        {
            return Err(Error::stats(format!(
                "the statistics have a metric or arm the spec lacks: {} / {}",
                m.metric, m.arm
            )));
        }
        let arms = spec
            .allocation
            .iter()
            .map(|(name, _)| {
                self.arms
                    .iter()
                    .find(|a| a.arm == *name)
                    .cloned()
                    .unwrap_or(ArmStats {
                        arm: name.clone(),
                        ..ArmStats::default()
                    })
            })
            .collect();
        let mut metrics = Vec::with_capacity(spec.metrics.len() * spec.allocation.len());
        for metric in &spec.metrics {
            for (arm, _) in &spec.allocation {
                let sums = self.metric(&metric.name, arm).copied().unwrap_or_default();
                metrics.push(MetricStats {
                    metric: metric.name.clone(),
                    arm: arm.clone(),
                    sums,
                });
            }
        }
        self.arms = arms;
        self.metrics = metrics;
        Ok(())
    }

    /// Adds another file's statistics (units disjoint from this one's: shards by unit).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidStats`] when the two do not describe the same analysis.
    pub fn merge(&mut self, other: &Stats) -> Result<(), Error> {
        let same_keys = self.experiment == other.experiment
            && self.arms.len() == other.arms.len()
            && self
                .arms
                .iter()
                .zip(&other.arms)
                .all(|(a, b)| a.arm == b.arm)
            && self.metrics.len() == other.metrics.len()
            && self
                .metrics
                .iter()
                .zip(&other.metrics)
                .all(|(a, b)| a.metric == b.metric && a.arm == b.arm);
        if !same_keys {
            return Err(Error::stats(
                "statistics to merge must have the same experiment, arms and metrics",
            ));
        }
        for (a, b) in self.arms.iter_mut().zip(&other.arms) {
            a.units += b.units;
            a.failed_units += b.failed_units;
        }
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.sums.merge(&b.sums);
        }
        let (c, o) = (&mut self.counts, &other.counts);
        c.events += o.events;
        c.exposures += o.exposures;
        c.decisions += o.decisions;
        c.tracks += o.tracks;
        c.units_in_several_arms += o.units_in_several_arms;
        c.held_out_units += o.held_out_units;
        c.units_in_unknown_arms += o.units_in_unknown_arms;
        match (&mut self.ope, &other.ope) {
            (None, None) => Ok(()),
            (Some(a), Some(b)) => merge_ope(a, b),
            _ => Err(Error::stats(
                "only one of the statistics to merge has an ope part",
            )),
        }
    }
}

fn merge_ope(a: &mut OpeStats, b: &OpeStats) -> Result<(), Error> {
    let same = a.policy == b.policy
        && a.folds == b.folds
        && a.estimates.len() == b.estimates.len()
        && a.weights.len() == b.weights.len()
        && a.differences.len() == b.differences.len();
    if !same {
        return Err(Error::stats(
            "the ope statistics to merge differ in policy, folds or targets",
        ));
    }
    a.skipped_decisions += b.skipped_decisions;
    a.decisions_without_context += b.decisions_without_context;
    for (x, y) in a.estimates.iter_mut().zip(&b.estimates) {
        if (&x.target, &x.estimator, x.fold) != (&y.target, &y.estimator, y.fold) {
            return Err(Error::stats(
                "the ope estimates to merge are not in the same order",
            ));
        }
        x.sums.merge(&y.sums);
    }
    for (x, y) in a.weights.iter_mut().zip(&b.weights) {
        if x.target != y.target {
            return Err(Error::stats(
                "the ope weights to merge are not in the same order",
            ));
        }
        x.decisions += y.decisions;
        x.sum_w += y.sum_w;
        x.sum_w2 += y.sum_w2;
        x.max_w = x.max_w.max(y.max_w);
    }
    for (x, y) in a.differences.iter_mut().zip(&b.differences) {
        if (&x.target, &x.action, x.fold) != (&y.target, &y.action, y.fold) {
            return Err(Error::stats(
                "the ope differences to merge are not in the same order",
            ));
        }
        x.sums.merge(&y.sums);
    }
    Ok(())
}
