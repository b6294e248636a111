//! The analysis spec: which experiment, which metrics, which tests (see `sdk-eval/README.md`
//! for the format). Parsed strictly: unknown fields are errors, and every error names its JSON
//! path.

use serde_json::{Map, Value};

use crate::error::Error;

/// How a unit's events become its value for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// 1 when the unit has at least one event in the window, else 0 (a conversion).
    Any,
    /// The number of events in the window.
    Count,
    /// The sum of the events' `value` (an event without one counts 0).
    Sum,
    /// The mean of the events' `value`; units without an event in the window are left out.
    Mean,
}

/// Whether larger values of a metric are good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger is better (conversions, revenue).
    Higher,
    /// Smaller is better (refunds, latency).
    Lower,
}

impl Direction {
    /// +1 for higher-is-better, −1 for lower-is-better: multiplies a difference into "gain".
    pub fn sign(self) -> f64 {
        match self {
            Self::Higher => 1.0,
            Self::Lower => -1.0,
        }
    }
}

/// The role of a metric in the decision rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Must show a significant improvement (one-sided, multiplicity-corrected).
    Success,
    /// Must be non-inferior: the difference is tested against `−margin × control mean` (in
    /// the metric's good direction).
    Guardrail {
        /// The relative non-inferiority margin (0.01 = 1 % of the control mean).
        margin: f64,
    },
    /// Reported, and checked for significant deterioration, but neither success nor guardrail.
    Monitor,
}

/// A window in milliseconds relative to the unit's first exposure: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, ≥ 0.
    pub start_ms: i64,
    /// End (exclusive); `i64::MAX` for no end.
    pub end_ms: i64,
}

/// What a metric measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Track events of one name, aggregated per unit over a window.
    Event {
        /// The track event's `name`.
        event: String,
        /// How a unit's events become its value.
        aggregation: Aggregation,
        /// The window after the first exposure.
        window: Window,
        /// CUPED: the same aggregation over `[t0 − lookback, t0)` as the covariate.
        cuped_lookback_ms: Option<i64>,
    },
    /// The ratio of two event metrics' totals (delta method): indexes into `Spec::metrics`.
    Ratio {
        /// The numerator metric.
        numerator: usize,
        /// The denominator metric.
        denominator: usize,
    },
}

/// One metric of the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Its name in reports and statistics.
    pub name: String,
    /// What it measures.
    pub source: Source,
    /// Which direction is good.
    pub direction: Direction,
    /// Its role in the decision rule.
    pub kind: Kind,
}

/// The test statistic for differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// Welch's t (unequal variances, Welch–Satterthwaite degrees of freedom).
    Welch,
    /// The z (Wald) form: normal quantiles; a conversion's variance is `p(1 − p)`.
    Z,
}

/// The multiplicity correction over the success metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// α divided by the number of success comparisons.
    Bonferroni,
    /// Holm's step-down procedure.
    Holm,
    /// Benjamini–Hochberg (controls the false discovery rate, not the family-wise error).
    BenjaminiHochberg,
}

/// Sequential testing.
#[derive(Debug, Clone, PartialEq)]
pub enum Sequential {
    /// Group-sequential bounds with α·t² spending at planned looks.
    GroupSequential {
        /// The planned total number of units (information fraction 1).
        planned_units: f64,
        /// Units at the earlier looks, increasing; the current analysis is the next look.
        previous_looks: Vec<f64>,
    },
    /// Always-valid confidence sequences (Waudby-Smith et al.'s asymptotic CS, as GrowthBook).
    AlwaysValid {
        /// The sample size at which the sequence is tightest.
        tuning: f64,
    },
}

/// A target policy for off-policy evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSource {
    /// A policy bundle file (the CLI loads it; the library gets the `Bundle`).
    Bundle(String),
    /// Always this action (by key).
    Action(String),
}

/// A named target policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Its name in the report.
    pub name: String,
    /// What it is.
    pub source: TargetSource,
}

/// The reward model of the direct method and doubly robust estimators.
#[derive(Debug, Clone, PartialEq)]
pub enum RewardModel {
    /// The mean reward per (cell of categorical inputs, action), falling back to the
    /// action's mean in an empty cell.
    CellMean {
        /// Context paths (as logged in decision events) whose values make the cell.
        inputs: Vec<String>,
    },
    /// A ridge regression per action on a bundle's feature vector (plus an unpenalised
    /// intercept).
    Ridge {
        /// The target whose bundle's features are the regressors.
        bundle: String,
        /// The penalty λ ≥ 0.
        lambda: f64,
    },
}

/// Off-policy evaluation of logged decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Ope {
    /// The logging bundle's id: decisions whose `policy` is `<id>@<version>` are used.
    pub policy: String,
    /// The logging bundle's action keys, in bundle order.
    pub actions: Vec<String>,
    /// The track event that is the reward.
    pub reward_event: String,
    /// How the reward events after a decision make its reward (`any`, `count` or `sum`).
    pub reward_aggregation: Aggregation,
    /// A decision's reward counts events in `[t, t + window)` and before the unit's next
    /// decision of the policy.
    pub reward_window_ms: i64,
    /// K for the cross-fitting folds `bucket("ope-fold", unit) mod K`.
    pub folds: u32,
    /// The reward model for DM and DR.
    pub model: RewardModel,
    /// The policies to evaluate (every logged action is also evaluated as a static policy).
    pub targets: Vec<Target>,
}

/// A parsed analysis spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The experiment's key, as exposures name it.
    pub experiment: String,
    /// The configured arms and weights, in allocation order.
    pub allocation: Vec<(String, f64)>,
    /// The control arm's index in `allocation`.
    pub control: usize,
    /// The significance level.
    pub alpha: f64,
    /// The design power 1 − β.
    pub power: f64,
    /// Welch or z.
    pub test: Test,
    /// The correction over success metrics.
    pub correction: Correction,
    /// How far behind the newest event an exposure may arrive (ms).
    pub lateness_ms: i64,
    /// The metrics, in report order.
    pub metrics: Vec<Metric>,
    /// Sequential testing, if any.
    pub sequential: Option<Sequential>,
    /// Off-policy evaluation, if any.
    pub ope: Option<Ope>,
}

/// A JSON path under construction, for messages.
#[derive(Clone)]
struct Path(String);

impl Path {
    fn key(&self, key: &str) -> Path {
        if self.0.is_empty() {
            Path(key.to_owned())
        } else {
            Path(format!("{}.{key}", self.0))
        }
    }
    fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }
    fn err(&self, message: impl std::fmt::Display) -> Error {
        let path = if self.0.is_empty() { "(spec)" } else { &self.0 };
        Error::spec(path, message)
    }
}

fn object<'a>(
    value: &'a Value,
    path: &Path,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, Error> {
    let map = value
        .as_object()
        .ok_or_else(|| path.err("expected an object"))?;
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(path.key(unknown).err("unknown field"));
    }
    Ok(map)
}

fn string(map: &Map<String, Value>, key: &str, path: &Path) -> Result<Option<String>, Error> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(path.key(key).err("expected a non-empty string")),
    }
}

fn required_string(map: &Map<String, Value>, key: &str, path: &Path) -> Result<String, Error> {
    string(map, key, path)?.ok_or_else(|| path.key(key).err("required"))
}

fn number(map: &Map<String, Value>, key: &str, path: &Path) -> Result<Option<f64>, Error> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| path.key(key).err("expected a finite number")),
    }
}

fn millis(map: &Map<String, Value>, key: &str, path: &Path) -> Result<Option<i64>, Error> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => v.as_i64().filter(|x| *x >= 0).map(Some).ok_or_else(|| {
            path.key(key)
                .err("expected an integer number of milliseconds ≥ 0")
        }),
    }
}

fn one_of<T: Copy>(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
    choices: &[(&str, T)],
) -> Result<Option<T>, Error> {
    let Some(text) = string(map, key, path)? else {
        return Ok(None);
    };
    choices
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            path.key(key)
                .err(format!("expected one of {}", names.join(", ")))
        })
}

fn probability(
    map: &Map<String, Value>,
    key: &str,
    path: &Path,
    default: f64,
) -> Result<f64, Error> {
    let value = number(map, key, path)?.unwrap_or(default);
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(path
            .key(key)
            .err("expected a number strictly between 0 and 1"))
    }
}

const AGGREGATIONS: &[(&str, Aggregation)] = &[
    ("any", Aggregation::Any),
    ("count", Aggregation::Count),
    ("sum", Aggregation::Sum),
    ("mean", Aggregation::Mean),
];

impl Spec {
    /// Parses a spec from JSON text.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidSpec`] naming the JSON path of the first problem.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::spec("(spec)", format!("not JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// Parses a spec from a JSON value.
    ///
    /// # Errors
    /// As [`Spec::from_json`].
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let root = Path(String::new());
        let map = object(
            value,
            &root,
            &[
                "experiment",
                "allocation",
                "control",
                "alpha",
                "power",
                "test",
                "correction",
                "lateness_ms",
                "metrics",
                "sequential",
                "ope",
                "description",
            ],
        )?;
        let experiment = required_string(map, "experiment", &root)?;
        let allocation = parse_allocation(map.get("allocation"), &root.key("allocation"))?;
        let control = match string(map, "control", &root)? {
            None => 0,
            Some(name) => allocation
                .iter()
                .position(|(arm, _)| *arm == name)
                .ok_or_else(|| root.key("control").err("not an arm of `allocation`"))?,
        };
        let metrics = parse_metrics(map.get("metrics"), &root.key("metrics"))?;
        let sequential = match map.get("sequential") {
            None => None,
            Some(v) => Some(parse_sequential(v, &root.key("sequential"))?),
        };
        let ope = match map.get("ope") {
            None => None,
            Some(v) => Some(parse_ope(v, &root.key("ope"))?),
        };
        Ok(Spec {
            experiment,
            allocation,
            control,
            alpha: probability(map, "alpha", &root, 0.05)?,
            power: probability(map, "power", &root, 0.8)?,
            test: one_of(
                map,
                "test",
                &root,
                &[("welch", Test::Welch), ("z", Test::Z)],
            )?
            .unwrap_or(Test::Welch),
            correction: one_of(
                map,
                "correction",
                &root,
                &[
                    ("bonferroni", Correction::Bonferroni),
                    ("holm", Correction::Holm),
                    ("bh", Correction::BenjaminiHochberg),
                ],
            )?
            .unwrap_or(Correction::Bonferroni),
            lateness_ms: millis(map, "lateness_ms", &root)?.unwrap_or(3_600_000),
            metrics,
            sequential,
            ope,
        })
    }

    /// The number of success metrics.
    pub fn success_count(&self) -> usize {
        self.metrics
            .iter()
            .filter(|m| m.kind == Kind::Success)
            .count()
    }

    /// The number of guardrail metrics.
    pub fn guardrail_count(&self) -> usize {
        self.metrics
            .iter()
            .filter(|m| matches!(m.kind, Kind::Guardrail { .. }))
            .count()
    }
}

fn parse_allocation(value: Option<&Value>, path: &Path) -> Result<Vec<(String, f64)>, Error> {
    let items = value
        .and_then(Value::as_array)
        .ok_or_else(|| path.err("required: an array of [variant, weight] pairs"))?;
    if items.len() < 2 || items.len() > 64 {
        return Err(path.err("expected 2 to 64 arms"));
    }
    let mut arms: Vec<(String, f64)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let pair = item.as_array().filter(|a| a.len() == 2);
        let (Some(Value::String(name)), Some(weight)) = (
            pair.and_then(|a| a.first()),
            pair.and_then(|a| a.get(1)).and_then(Value::as_f64),
        ) else {
            return Err(p.err("expected [variant, weight]"));
        };
        if name.is_empty() || arms.iter().any(|(n, _)| n == name) {
            return Err(p.err("the variant must be a non-empty name, unique"));
        }
        if !(weight > 0.0 && weight.is_finite()) {
            return Err(p.err("the weight must be a positive number"));
        }
        arms.push((name.clone(), weight));
    }
    Ok(arms)
}

fn parse_metrics(value: Option<&Value>, path: &Path) -> Result<Vec<Metric>, Error> {
    let items = value
        .and_then(Value::as_array)
        .ok_or_else(|| path.err("required: an array of metrics"))?;
    if items.is_empty() || items.len() > 256 {
        return Err(path.err("expected 1 to 256 metrics"));
    }
    let names: Vec<Option<&str>> = items
        .iter()
        .map(|m| m.get("name").and_then(Value::as_str))
        .collect();
    let mut metrics = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let map = object(
            item,
            &p,
            &[
                "name",
                "event",
                "aggregation",
                "window",
                "cuped",
                "numerator",
                "denominator",
                "direction",
                "kind",
                "margin",
                "description",
            ],
        )?;
        let name = required_string(map, "name", &p)?;
        if names.iter().take(i).any(|n| *n == Some(name.as_str())) {
            return Err(p.key("name").err("duplicate metric name"));
        }
        let source = if map.contains_key("numerator") || map.contains_key("denominator") {
            for key in ["event", "aggregation", "window", "cuped"] {
                if map.contains_key(key) {
                    return Err(p
                        .key(key)
                        .err("a ratio metric has only numerator and denominator"));
                }
            }
            let side = |key: &str| -> Result<usize, Error> {
                let target = required_string(map, key, &p)?;
                let index = names
                    .iter()
                    .position(|n| *n == Some(target.as_str()))
                    .ok_or_else(|| p.key(key).err("names no metric of the spec"))?;
                let other = items.get(index).and_then(Value::as_object);
                let aggregation = other
                    .and_then(|o| o.get("aggregation"))
                    .and_then(Value::as_str);
                if other.is_some_and(|o| o.contains_key("numerator")) || aggregation == Some("mean")
                {
                    return Err(p
                        .key(key)
                        .err("must name an event metric aggregated by any, count or sum"));
                }
                Ok(index)
            };
            Source::Ratio {
                numerator: side("numerator")?,
                denominator: side("denominator")?,
            }
        } else {
            let event = required_string(map, "event", &p)?;
            let aggregation = one_of(map, "aggregation", &p, AGGREGATIONS)?
                .ok_or_else(|| p.key("aggregation").err("required"))?;
            let window = match map.get("window") {
                None => Window {
                    start_ms: 0,
                    end_ms: i64::MAX,
                },
                Some(w) => {
                    let wp = p.key("window");
                    let wm = object(w, &wp, &["start_ms", "end_ms"])?;
                    let start_ms = millis(wm, "start_ms", &wp)?.unwrap_or(0);
                    let end_ms = millis(wm, "end_ms", &wp)?.unwrap_or(i64::MAX);
                    if end_ms <= start_ms {
                        return Err(wp.key("end_ms").err("must be after start_ms"));
                    }
                    Window { start_ms, end_ms }
                }
            };
            let cuped_lookback_ms = match map.get("cuped") {
                None => None,
                Some(c) => {
                    let cp = p.key("cuped");
                    let cm = object(c, &cp, &["lookback_ms"])?;
                    if aggregation == Aggregation::Mean {
                        return Err(cp.err("CUPED needs an any, count or sum aggregation"));
                    }
                    let lookback = millis(cm, "lookback_ms", &cp)?
                        .filter(|l| *l > 0)
                        .ok_or_else(|| cp.key("lookback_ms").err("required, > 0"))?;
                    Some(lookback)
                }
            };
            Source::Event {
                event,
                aggregation,
                window,
                cuped_lookback_ms,
            }
        };
        let direction = one_of(
            map,
            "direction",
            &p,
            &[("higher", Direction::Higher), ("lower", Direction::Lower)],
        )?
        .ok_or_else(|| p.key("direction").err("required: higher or lower"))?;
        let kind_name = required_string(map, "kind", &p)?;
        let margin = number(map, "margin", &p)?;
        let kind = match (kind_name.as_str(), margin) {
            ("success", None) => Kind::Success,
            ("monitor", None) => Kind::Monitor,
            ("guardrail", Some(margin)) if margin >= 0.0 => Kind::Guardrail { margin },
            ("guardrail", _) => return Err(p.key("margin").err("a guardrail needs a margin ≥ 0")),
            ("success" | "monitor", Some(_)) => {
                return Err(p.key("margin").err("only a guardrail has a margin"))
            }
            _ => return Err(p.key("kind").err("expected success, guardrail or monitor")),
        };
        metrics.push(Metric {
            name,
            source,
            direction,
            kind,
        });
    }
    Ok(metrics)
}

fn parse_sequential(value: &Value, path: &Path) -> Result<Sequential, Error> {
    let map = object(
        value,
        path,
        &["planned_units", "previous_looks", "always_valid"],
    )?;
    if let Some(av) = map.get("always_valid") {
        if map.len() > 1 {
            return Err(path.err("always_valid excludes planned looks"));
        }
        let ap = path.key("always_valid");
        let am = object(av, &ap, &["tuning"])?;
        let tuning = number(am, "tuning", &ap)?.unwrap_or(5000.0);
        if tuning <= 0.0 {
            return Err(ap.key("tuning").err("must be > 0"));
        }
        return Ok(Sequential::AlwaysValid { tuning });
    }
    let planned_units = number(map, "planned_units", path)?
        .filter(|n| *n >= 2.0)
        .ok_or_else(|| path.key("planned_units").err("required, ≥ 2"))?;
    let mut previous_looks = Vec::new();
    if let Some(v) = map.get("previous_looks") {
        let lp = path.key("previous_looks");
        let items = v
            .as_array()
            .ok_or_else(|| lp.err("expected an array of unit counts"))?;
        for (i, item) in items.iter().enumerate() {
            let n = item
                .as_f64()
                .filter(|n| *n > 0.0 && n.is_finite())
                .ok_or_else(|| lp.index(i).err("expected a positive number"))?;
            if previous_looks.last().is_some_and(|last| n <= *last) {
                return Err(lp.index(i).err("looks must increase"));
            }
            previous_looks.push(n);
        }
        if items.len() > 50 {
            return Err(lp.err("at most 50 looks"));
        }
    }
    Ok(Sequential::GroupSequential {
        planned_units,
        previous_looks,
    })
}

fn parse_ope(value: &Value, path: &Path) -> Result<Ope, Error> {
    let map = object(
        value,
        path,
        &["policy", "actions", "reward", "folds", "model", "targets"],
    )?;
    let policy = required_string(map, "policy", path)?;
    let ap = path.key("actions");
    let actions: Vec<String> = map
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| ap.err("required: the logging bundle's action keys, in order"))?
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ap.index(i).err("expected an action key"))
        })
        .collect::<Result<_, _>>()?;
    if actions.is_empty() || actions.len() > 256 {
        return Err(ap.err("expected 1 to 256 actions"));
    }
    for (i, a) in actions.iter().enumerate() {
        if actions.iter().take(i).any(|b| b == a) {
            return Err(ap.index(i).err("duplicate action"));
        }
    }
    let rp = path.key("reward");
    let reward = object(
        map.get("reward").ok_or_else(|| rp.err("required"))?,
        &rp,
        &["event", "aggregation", "window_ms"],
    )?;
    let reward_event = required_string(reward, "event", &rp)?;
    let reward_aggregation =
        one_of(reward, "aggregation", &rp, AGGREGATIONS)?.unwrap_or(Aggregation::Any);
    if reward_aggregation == Aggregation::Mean {
        return Err(rp.key("aggregation").err("expected any, count or sum"));
    }
    let reward_window_ms = millis(reward, "window_ms", &rp)?
        .filter(|w| *w > 0)
        .ok_or_else(|| rp.key("window_ms").err("required, > 0"))?;
    let folds = match number(map, "folds", path)? {
        None => 5,
        Some(k) if k.fract() == 0.0 && (2.0..=100.0).contains(&k) => k as u32,
        Some(_) => return Err(path.key("folds").err("expected an integer from 2 to 100")),
    };
    let tp = path.key("targets");
    let mut targets = Vec::new();
    if let Some(v) = map.get("targets") {
        let items = v.as_array().ok_or_else(|| tp.err("expected an array"))?;
        for (i, item) in items.iter().enumerate() {
            let p = tp.index(i);
            let t = object(item, &p, &["name", "bundle", "action"])?;
            let name = required_string(t, "name", &p)?;
            let source = match (string(t, "bundle", &p)?, string(t, "action", &p)?) {
                (Some(file), None) => TargetSource::Bundle(file),
                (None, Some(action)) if actions.contains(&action) => TargetSource::Action(action),
                (None, Some(_)) => return Err(p.key("action").err("not one of ope.actions")),
                _ => return Err(p.err("expected exactly one of bundle or action")),
            };
            if targets.iter().any(|t: &Target| t.name == name) || actions.contains(&name) {
                return Err(p
                    .key("name")
                    .err("duplicate target name (action keys are taken)"));
            }
            targets.push(Target { name, source });
        }
    }
    let mp = path.key("model");
    let model = match map.get("model") {
        None => RewardModel::CellMean { inputs: Vec::new() },
        Some(m) => {
            let mm = object(m, &mp, &["cell_mean", "ridge"])?;
            if mm.len() != 1 {
                return Err(mp.err("expected one of cell_mean or ridge"));
            }
            if let Some(c) = mm.get("cell_mean") {
                let cp = mp.key("cell_mean");
                let cm = object(c, &cp, &["inputs"])?;
                let ip = cp.key("inputs");
                let inputs = cm
                    .get("inputs")
                    .and_then(Value::as_array)
                    .ok_or_else(|| ip.err("required: context paths"))?
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str()
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .ok_or_else(|| ip.index(i).err("expected a context path"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                RewardModel::CellMean { inputs }
            } else {
                let rp = mp.key("ridge");
                let r = object(
                    mm.get("ridge").unwrap_or(&Value::Null),
                    &rp,
                    &["bundle", "lambda"],
                )?;
                let bundle = required_string(r, "bundle", &rp)?;
                let is_bundle = targets
                    .iter()
                    .any(|t| t.name == bundle && matches!(t.source, TargetSource::Bundle(_)));
                if !is_bundle {
                    return Err(rp.key("bundle").err("must name a target that is a bundle"));
                }
                let lambda = number(r, "lambda", &rp)?.unwrap_or(1.0);
                if lambda < 0.0 {
                    return Err(rp.key("lambda").err("must be ≥ 0"));
                }
                RewardModel::Ridge { bundle, lambda }
            }
        }
    };
    Ok(Ope {
        policy,
        actions,
        reward_event,
        reward_aggregation,
        reward_window_ms,
        folds,
        model,
        targets,
    })
}
