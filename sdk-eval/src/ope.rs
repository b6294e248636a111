//! Off-policy evaluation of logged decisions: IPS, SNIPS, the direct method and doubly robust
//! with K-fold cross-fitted reward models, per target policy, reduced to per-unit sums.
//!
//! Every estimate is a ratio of per-unit sums `Σ_u y_u / Σ_u x_u` (`x_u` the unit's decisions;
//! for SNIPS its summed weights), so its standard error comes from the per-unit sums (the
//! delta method), which stays right when a unit has many correlated decisions.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tandem::policy::Bundle;
use tandem::Context;

use crate::error::Error;
use crate::model::{CellModel, RidgeModel};
use crate::spec::{Aggregation, Ope, RewardModel, TargetSource};
use crate::stats::{DifferenceSums, OpeStats, OpeSums, Sums, WeightStats};

/// The OPE target bundles, by the target name the spec gives them.
pub type Targets<'s> = &'s [(String, Bundle)];

/// The estimators, in the order the statistics list them.
pub const ESTIMATORS: [&str; 4] = ["ips", "snips", "dm", "dr"];

/// The salt of the cross-fitting folds: `bucket("ope-fold", unit) mod K` (DESIGN §4's bucket).
pub const FOLD_SALT: &str = "ope-fold";

/// The fold of a unit.
pub fn fold_of(unit: &str, folds: u32) -> u32 {
    tandem::bucketing::bucket(FOLD_SALT, unit) % folds.max(1)
}

/// How a target policy's probabilities are found.
enum Policy<'s> {
    /// Always this action.
    Static(usize),
    /// A bundle run on the logged context; its action `j` is logged action `map[j]`.
    Bundle {
        bundle: &'s Bundle,
        map: Vec<usize>,
        /// Offset of its probabilities in each record's slice.
        offset: usize,
    },
}

struct TargetPolicy<'s> {
    name: String,
    policy: Policy<'s>,
    /// Named by the spec (as opposed to one of the implicit static actions).
    named: bool,
}

/// One logged decision, compact.
struct Record {
    /// Its place in the per-record arrays (probabilities, features), which are not
    /// reordered when the records are sorted.
    slot: u32,
    unit: u32,
    fold: u32,
    timestamp: i64,
    action: u16,
    propensity: f64,
    cell: u32,
    reward: f64,
}

/// Collects decisions and reward events during the pass.
pub(crate) struct OpeCollector<'s> {
    spec: &'s Ope,
    prefix: String,
    targets: Vec<TargetPolicy<'s>>,
    /// Per record: each bundle target's probabilities over the logged actions.
    probabilities: Vec<f64>,
    probabilities_per_record: usize,
    /// Per record: the ridge bundle's features.
    features: Vec<f64>,
    ridge: Option<(&'s Bundle, f64)>,
    cells: HashMap<String, u32>,
    needs_context: bool,
    records: Vec<Record>,
    rewards: Vec<(u32, i64, f64)>,
    skipped: u64,
    without_context: u64,
}

impl<'s> OpeCollector<'s> {
    pub(crate) fn new(spec: &'s Ope, bundles: Targets<'s>) -> Result<Self, Error> {
        let actions = spec.actions.len();
        let mut targets: Vec<TargetPolicy<'s>> = spec
            .actions
            .iter()
            .enumerate()
            .map(|(a, key)| TargetPolicy {
                name: key.clone(),
                policy: Policy::Static(a),
                named: false,
            })
            .collect();
        let mut offset = 0;
        for (i, target) in spec.targets.iter().enumerate() {
            let policy = match &target.source {
                TargetSource::Action(key) => {
                    Policy::Static(spec.actions.iter().position(|a| a == key).unwrap_or(0))
                }
                TargetSource::Bundle(_) => {
                    let bundle = find(bundles, &target.name).ok_or_else(|| {
                        Error::spec(&format!("ope.targets[{i}]"), "bundle not loaded")
                    })?;
                    let map = bundle
                        .actions()
                        .iter()
                        .map(|a| spec.actions.iter().position(|k| k == a.key()))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            Error::spec(
                                &format!("ope.targets[{i}].bundle"),
                                "the bundle has an action the logged policy does not: its value \
                                 cannot be estimated from these logs",
                            )
                        })?;
                    let policy = Policy::Bundle {
                        bundle,
                        map,
                        offset,
                    };
                    offset += actions;
                    policy
                }
            };
            targets.push(TargetPolicy {
                name: target.name.clone(),
                policy,
                named: true,
            });
        }
        let ridge = match &spec.model {
            RewardModel::Ridge { bundle, lambda } => Some((
                find(bundles, bundle)
                    .ok_or_else(|| Error::spec("ope.model.ridge.bundle", "bundle not loaded"))?,
                *lambda,
            )),
            RewardModel::CellMean { .. } => None,
        };
        let cell_inputs =
            matches!(&spec.model, RewardModel::CellMean { inputs } if !inputs.is_empty());
        Ok(Self {
            spec,
            prefix: format!("{}@", spec.policy),
            needs_context: offset > 0 || ridge.is_some() || cell_inputs,
            targets,
            probabilities: Vec::new(),
            probabilities_per_record: offset,
            features: Vec::new(),
            ridge,
            cells: HashMap::new(),
            records: Vec::new(),
            rewards: Vec::new(),
            skipped: 0,
            without_context: 0,
        })
    }

    pub(crate) fn is_policy(&self, policy: &str) -> bool {
        policy.starts_with(&self.prefix)
    }

    pub(crate) fn is_reward(&self, name: &str) -> bool {
        name == self.spec.reward_event
    }

    pub(crate) fn folds(&self) -> u32 {
        self.spec.folds
    }

    pub(crate) fn reward(&mut self, unit: u32, timestamp: i64, value: f64) {
        let value = match self.spec.reward_aggregation {
            Aggregation::Sum => value,
            _ => 1.0,
        };
        self.rewards.push((unit, timestamp, value));
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn decision(
        &mut self,
        unit_key: &str,
        unit: u32,
        fold: u32,
        timestamp: i64,
        action: Option<&str>,
        propensity: Option<f64>,
        context: Option<&RawValue>,
    ) {
        let action = action.and_then(|a| self.spec.actions.iter().position(|k| k == a));
        let (Some(action), Some(propensity)) =
            (action, propensity.filter(|p| *p > 0.0 && *p <= 1.0))
        else {
            self.skipped += 1;
            return;
        };
        let mut cell = 0;
        if self.needs_context {
            let Some(mut logged) =
                context.and_then(|c| serde_json::from_str::<Map<String, Value>>(c.get()).ok())
            else {
                self.without_context += 1;
                return;
            };
            // A target bundle may draw on a unit path the logging bundle did not read: the
            // decision's unit stands in (only the probabilities are used, never the draw).
            for target in &self.targets {
                if let Policy::Bundle { bundle, .. } = &target.policy {
                    logged
                        .entry(bundle.unit_path().to_owned())
                        .or_insert_with(|| Value::String(unit_key.to_owned()));
                }
            }
            let Some(filled) = self.fill(&logged) else {
                self.without_context += 1;
                return;
            };
            self.probabilities.extend(filled.0);
            self.features.extend(filled.1);
            cell = self.cell(&logged);
        }
        let Ok(slot) = u32::try_from(self.records.len()) else {
            self.skipped += 1;
            return;
        };
        self.records.push(Record {
            slot,
            unit,
            fold,
            timestamp,
            // At most 256 actions (checked by the spec parser).
            action: action as u16,
            propensity,
            cell,
            reward: 0.0,
        });
    }

    /// The bundle targets' probabilities and the ridge features for one logged context.
    fn fill(&self, logged: &Map<String, Value>) -> Option<(Vec<f64>, Vec<f64>)> {
        let context = Context::from_value(nest(logged)).ok()?;
        let actions = self.spec.actions.len();
        let mut probabilities = Vec::with_capacity(self.probabilities_per_record);
        for target in &self.targets {
            let Policy::Bundle { bundle, map, .. } = &target.policy else {
                continue;
            };
            let mut row = vec![0.0; actions];
            let decision = bundle.decide(&context, "", None).ok()?;
            for (j, p) in decision.probabilities.iter().enumerate() {
                if let Some(slot) = map.get(j).and_then(|&a| row.get_mut(a)) {
                    *slot = *p;
                }
            }
            probabilities.extend(row);
        }
        let features = match self.ridge {
            Some((bundle, _)) => bundle.features(&context),
            None => Vec::new(),
        };
        Some((probabilities, features))
    }

    fn cell(&mut self, logged: &Map<String, Value>) -> u32 {
        let RewardModel::CellMean { inputs } = &self.spec.model else {
            return 0;
        };
        let mut key = String::new();
        for input in inputs {
            // Categories normalised as the core reads categorical features: 7, 7.0 and "7" are
            // one category; anything else (missing included) by its JSON text.
            match logged.get(input) {
                Some(Value::String(s)) => key.push_str(s),
                Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    key.push_str(&format!("{}", n.as_f64().unwrap_or(0.0) as i64));
                }
                Some(other) => key.push_str(&other.to_string()),
                None => key.push('\u{0}'),
            }
            key.push('\u{1f}');
        }
        let next = self.cells.len() as u32;
        *self.cells.entry(key).or_insert(next)
    }

    /// Attributes rewards, fits the reward models and sums the estimators per unit.
    pub(crate) fn finish(mut self) -> Result<OpeStats, Error> {
        self.attribute();
        let actions = self.spec.actions.len();
        let folds = self.spec.folds as usize;
        let n = self.records.len();
        // q̂(x_i, a) for every record and action, each from the model fitted without its fold.
        let mut q = vec![0.0; n * actions];
        match (&self.spec.model, self.ridge) {
            (RewardModel::Ridge { .. }, Some((bundle, lambda))) => {
                let d = bundle.feature_width();
                let model = RidgeModel::fit(
                    self.records.iter().map(|r| {
                        let i = r.slot as usize;
                        let x = self.features.get(i * d..(i + 1) * d).unwrap_or(&[]);
                        (r.fold as usize, r.action as usize, x, r.reward)
                    }),
                    folds,
                    actions,
                    d,
                    lambda,
                );
                for (i, r) in self.records.iter().enumerate() {
                    let at = r.slot as usize;
                    let x = self.features.get(at * d..(at + 1) * d).unwrap_or(&[]);
                    for a in 0..actions {
                        if let Some(slot) = q.get_mut(i * actions + a) {
                            *slot = model.predict(r.fold as usize, a, x);
                        }
                    }
                }
            }
            _ => {
                let model = CellModel::fit(
                    self.records
                        .iter()
                        .map(|r| (r.fold as usize, r.cell, r.action as usize, r.reward)),
                    folds,
                    actions,
                );
                for (i, r) in self.records.iter().enumerate() {
                    for a in 0..actions {
                        if let Some(slot) = q.get_mut(i * actions + a) {
                            *slot = model.predict(r.fold as usize, r.cell, a);
                        }
                    }
                }
            }
        }
        Ok(self.sum(&q))
    }

    /// Gives each decision the reward events of its unit in `[t, t + window)` before the
    /// unit's next decision.
    fn attribute(&mut self) {
        self.records.sort_by_key(|r| (r.unit, r.timestamp));
        self.rewards.sort_by_key(|r| (r.0, r.1));
        let window = self.spec.reward_window_ms;
        let any = self.spec.reward_aggregation == Aggregation::Any;
        let mut r = 0;
        let len = self.records.len();
        for i in 0..len {
            let Some(record) = self.records.get(i) else {
                break;
            };
            let (unit, start) = (record.unit, record.timestamp);
            let mut end = start.saturating_add(window);
            if let Some(next) = self.records.get(i + 1).filter(|n| n.unit == unit) {
                end = end.min(next.timestamp);
            }
            while self
                .rewards
                .get(r)
                .is_some_and(|e| (e.0, e.1) < (unit, start))
            {
                r += 1;
            }
            let mut total = 0.0;
            let mut j = r;
            while let Some(&(u, t, v)) = self.rewards.get(j) {
                if u != unit || t >= end {
                    break;
                }
                total += v;
                j += 1;
            }
            if let Some(record) = self.records.get_mut(i) {
                record.reward = if any && total > 0.0 { 1.0 } else { total };
            }
        }
    }

    /// The target policy's probability of action `a` for the record in `slot`.
    fn pi(&self, target: &TargetPolicy<'_>, slot: usize, a: usize) -> f64 {
        match &target.policy {
            Policy::Static(s) => f64::from(u8::from(*s == a)),
            Policy::Bundle { offset, .. } => self
                .probabilities
                .get(slot * self.probabilities_per_record + offset + a)
                .copied()
                .unwrap_or(0.0),
        }
    }

    fn sum(&self, q: &[f64]) -> OpeStats {
        let actions = self.spec.actions.len();
        let folds = self.spec.folds as usize;
        let targets = self.targets.len();
        let estimators = ESTIMATORS.len();
        let mut estimates = vec![Sums::default(); targets * estimators * folds];
        let mut weights: Vec<WeightStats> = self
            .targets
            .iter()
            .map(|t| WeightStats {
                target: t.name.clone(),
                decisions: 0,
                sum_w: 0.0,
                sum_w2: 0.0,
                max_w: 0.0,
            })
            .collect();
        let compared: Vec<usize> = (0..targets)
            .filter(|&t| {
                self.targets
                    .get(t)
                    .is_some_and(|t| t.named && matches!(t.policy, Policy::Bundle { .. }))
            })
            .collect();
        let mut differences = vec![Sums::default(); compared.len() * actions * folds];
        // Per unit: for each target, Σ(w r), Σw, Σ dm, Σ dr.
        let mut unit_totals = vec![0.0; targets * 4];
        let mut i = 0;
        while i < self.records.len() {
            let Some(first) = self.records.get(i) else {
                break;
            };
            let (unit, fold) = (first.unit, first.fold as usize);
            unit_totals.iter_mut().for_each(|v| *v = 0.0);
            let mut decisions = 0.0;
            while let Some(record) = self.records.get(i).filter(|r| r.unit == unit) {
                decisions += 1.0;
                let logged = record.action as usize;
                let q_row = q.get(i * actions..(i + 1) * actions).unwrap_or(&[]);
                let q_logged = q_row.get(logged).copied().unwrap_or(0.0);
                for (t, target) in self.targets.iter().enumerate() {
                    let slot = record.slot as usize;
                    let w = self.pi(target, slot, logged) / record.propensity;
                    let dm: f64 = (0..actions)
                        .map(|a| self.pi(target, slot, a) * q_row.get(a).copied().unwrap_or(0.0))
                        .sum();
                    let dr = dm + w * (record.reward - q_logged);
                    if let Some([ips, sum_w, sum_dm, sum_dr]) =
                        unit_totals.get_mut(t * 4..t * 4 + 4)
                    {
                        *ips += w * record.reward;
                        *sum_w += w;
                        *sum_dm += dm;
                        *sum_dr += dr;
                    }
                    if let Some(ws) = weights.get_mut(t) {
                        ws.decisions += 1;
                        ws.sum_w += w;
                        ws.sum_w2 += w * w;
                        ws.max_w = ws.max_w.max(w);
                    }
                }
                i += 1;
            }
            for t in 0..targets {
                let Some(&[ips, sum_w, dm, dr]) = unit_totals.get(t * 4..t * 4 + 4) else {
                    continue;
                };
                let at = |e: usize| (t * estimators + e) * folds + fold;
                for (e, (y, x)) in [
                    (ips, decisions),
                    (ips, sum_w),
                    (dm, decisions),
                    (dr, decisions),
                ]
                .into_iter()
                .enumerate()
                {
                    if let Some(s) = estimates.get_mut(at(e)) {
                        s.add(y, x);
                    }
                }
            }
            for (c, &t) in compared.iter().enumerate() {
                let own = unit_totals.get(t * 4 + 3).copied().unwrap_or(0.0);
                for a in 0..actions {
                    let other = unit_totals.get(a * 4 + 3).copied().unwrap_or(0.0);
                    if let Some(s) = differences.get_mut((c * actions + a) * folds + fold) {
                        s.add(own - other, decisions);
                    }
                }
            }
        }
        let mut out = OpeStats {
            policy: self.spec.policy.clone(),
            folds: self.spec.folds,
            skipped_decisions: self.skipped,
            decisions_without_context: self.without_context,
            estimates: Vec::with_capacity(estimates.len()),
            weights,
            differences: Vec::with_capacity(differences.len()),
        };
        for (t, target) in self.targets.iter().enumerate() {
            for (e, estimator) in ESTIMATORS.iter().enumerate() {
                for fold in 0..folds {
                    out.estimates.push(OpeSums {
                        target: target.name.clone(),
                        estimator: (*estimator).to_owned(),
                        fold: fold as u32,
                        sums: estimates
                            .get((t * estimators + e) * folds + fold)
                            .copied()
                            .unwrap_or_default(),
                    });
                }
            }
        }
        for (c, &t) in compared.iter().enumerate() {
            for (a, action) in self.spec.actions.iter().enumerate() {
                for fold in 0..folds {
                    out.differences.push(DifferenceSums {
                        target: self
                            .targets
                            .get(t)
                            .map(|t| t.name.clone())
                            .unwrap_or_default(),
                        action: action.clone(),
                        fold: fold as u32,
                        sums: differences
                            .get((c * actions + a) * folds + fold)
                            .copied()
                            .unwrap_or_default(),
                    });
                }
            }
        }
        out
    }
}

fn find<'s>(bundles: Targets<'s>, name: &str) -> Option<&'s Bundle> {
    bundles.iter().find(|(n, _)| n == name).map(|(_, b)| b)
}

/// A logged context (values keyed by their dotted path) back as the nested object the
/// bundles read: `{"user.age": 41}` → `{"user": {"age": 41}}`.
pub fn nest(logged: &Map<String, Value>) -> Value {
    let mut root = Map::new();
    for (path, value) in logged {
        let mut node = &mut root;
        let mut segments = path.split('.').peekable();
        while let Some(segment) = segments.next() {
            if segments.peek().is_none() {
                node.insert(segment.to_owned(), value.clone());
                break;
            }
            let child = node
                .entry(segment.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            let Value::Object(next) = child else {
                break;
            };
            node = next;
        }
    }
    Value::Object(root)
}
