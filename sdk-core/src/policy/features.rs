//! Feature specs: each turns one context value into columns of the feature vector `x`
//! (docs/policy-bundles.md, "Features").
//!
//! What a missing value becomes is computed once at load, so a decision only copies it, and a
//! `missing` that the transform cannot take is a load error rather than a surprise per request.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use super::lookup::{KeysBuilder, Source};
use super::read::{self, Path, Res};
use super::values::{integer_code, parse_json_number};
use crate::bucketing::normalize_unit;
use crate::hashing::{fast_map, FastMap};

/// Most feature specs in a bundle.
pub(crate) const MAX_FEATURES: usize = 1_024;
/// Most columns of `x` (`d`).
pub(crate) const MAX_WIDTH: usize = 4_096;

const FEATURE_FIELDS: [&str; 5] = ["name", "source", "kind", "transform", "missing"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Numeric,
    Boolean,
    Categorical,
}

#[derive(Debug, Clone)]
enum Transform {
    Identity,
    Standardize {
        mean: f64,
        std: f64,
    },
    MinMax {
        min: f64,
        max: f64,
    },
    Log1p,
    Clip {
        lo: f64,
        hi: f64,
    },
    Bucketize {
        edges: Box<[f64]>,
    },
    OneHot {
        categories: FastMap<Box<str>, usize>,
    },
    Hash {
        buckets: u64,
    },
}

#[derive(Debug, Clone)]
enum Missing {
    /// The transform's columns for the bundle's stand-in value, computed at load.
    Fill(Box<[f64]>),
    /// Zeros, and 1 in an extra column that is 0 when the value is present.
    Indicator,
    /// NaN in the single column, for trees to route.
    Nan,
}

/// A context value as a transform takes it.
enum Input<'v> {
    Number(f64),
    Text(Cow<'v, str>),
}

#[derive(Debug, Clone)]
struct Feature {
    source: Source,
    kind: Kind,
    transform: Transform,
    missing: Missing,
    /// Columns of the transform (the indicator column not included).
    columns: usize,
}

/// The feature specs of a bundle, in order.
#[derive(Debug, Clone)]
pub(crate) struct Features {
    specs: Vec<Feature>,
    width: usize,
    /// Whether some feature turns a missing value into NaN (allowed for trees only).
    has_nan: Option<usize>,
}

impl Features {
    pub(crate) fn parse(value: &Value, path: Path<'_>, keys: &mut KeysBuilder) -> Res<Self> {
        let items = read::array(value, path, "`features`")?;
        if items.len() > MAX_FEATURES {
            return Err(path.error(format!(
                "{} feature specs, more than the limit of {MAX_FEATURES}",
                items.len()
            )));
        }
        let mut specs = Vec::with_capacity(items.len());
        let mut names = HashSet::with_capacity(items.len());
        let mut width = 0usize;
        let mut has_nan = None;
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let (name, feature) = Feature::parse(item, at, keys)?;
            if !names.insert(name) {
                return Err(at.key("name").error("duplicate feature name"));
            }
            width += feature.width();
            if width > MAX_WIDTH {
                return Err(at.error(format!(
                    "the feature vector would have more than the limit of {MAX_WIDTH} columns"
                )));
            }
            if matches!(feature.missing, Missing::Nan) && has_nan.is_none() {
                has_nan = Some(i);
            }
            specs.push(feature);
        }
        Ok(Self {
            specs,
            width,
            has_nan,
        })
    }

    /// `d`: the length of the feature vector.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// The index of the first feature whose `missing` is `null`.
    pub(crate) fn first_nan_missing(&self) -> Option<usize> {
        self.has_nan
    }

    /// Fills `x` (of length [`Features::width`]) from the context values
    /// [`super::lookup::Keys::resolve`] found.
    pub(crate) fn build(&self, found: &[Option<&Value>], x: &mut [f64]) {
        let mut at = 0;
        for feature in &self.specs {
            let end = at + feature.width();
            // In bounds: the widths add up to `x.len()`.
            if let Some(out) = x.get_mut(at..end) {
                feature.write(feature.source.get(found), out);
            }
            at = end;
        }
    }
}

impl Feature {
    fn parse<'v>(value: &'v Value, path: Path<'_>, keys: &mut KeysBuilder) -> Res<(&'v str, Self)> {
        let map = read::fields(value, path, "a feature spec", &FEATURE_FIELDS)?;
        let name = read::required_text(map, "name", path, "a non-empty string")?;
        let source = read::required_text(map, "source", path, "a context path")?;
        let kind_path = path.key("kind");
        let kind = match read::required(map, "kind", path, "numeric, boolean or categorical")? {
            Value::String(s) if s == "numeric" => Kind::Numeric,
            Value::String(s) if s == "boolean" => Kind::Boolean,
            Value::String(s) if s == "categorical" => Kind::Categorical,
            _ => return Err(kind_path.error("must be numeric, boolean or categorical")),
        };
        let transform_path = path.key("transform");
        let transform = parse_transform(
            read::required(map, "transform", path, "a transform")?,
            transform_path,
            kind,
        )?;
        let columns = match &transform {
            Transform::Bucketize { edges } => edges.len() + 1,
            Transform::OneHot { categories } => categories.len(),
            // At most MAX_WIDTH: checked by the parser.
            Transform::Hash { buckets } => *buckets as usize,
            _ => 1,
        };
        let mut feature = Feature {
            source: keys.source(source),
            kind,
            transform,
            missing: Missing::Indicator,
            columns,
        };
        let missing_path = path.key("missing");
        feature.missing = match read::required(
            map,
            "missing",
            path,
            "a stand-in value, \"indicator\" or null",
        )? {
            Value::String(s) if s == "indicator" => Missing::Indicator,
            Value::Null if columns == 1 => Missing::Nan,
            Value::Null => {
                return Err(missing_path
                    .error("null (NaN for trees) needs a transform with a single column"))
            }
            stand_in => {
                let mut fill = vec![0.0; columns];
                let usable = feature
                    .read(stand_in)
                    .is_some_and(|input| feature.apply(&input, &mut fill));
                if !usable {
                    return Err(missing_path.error(
                        "the transform cannot take this stand-in value (it must be a valid input \
                         of the feature's kind and transform)",
                    ));
                }
                Missing::Fill(fill.into())
            }
        };
        Ok((name, feature))
    }

    /// Columns this feature writes: the transform's, plus the indicator's.
    fn width(&self) -> usize {
        self.columns + usize::from(matches!(self.missing, Missing::Indicator))
    }

    /// A context value as the transform takes it; `None` when it is unusable.
    fn read<'v>(&self, value: &'v Value) -> Option<Input<'v>> {
        match (self.kind, value) {
            (Kind::Numeric, Value::Number(n)) => n.as_f64().map(Input::Number),
            (Kind::Numeric, Value::String(s)) => parse_json_number(s).map(Input::Number),
            (Kind::Boolean, Value::Bool(b)) => Some(match self.transform {
                Transform::OneHot { .. } => {
                    Input::Text(Cow::Borrowed(if *b { "true" } else { "false" }))
                }
                _ => Input::Number(if *b { 1.0 } else { 0.0 }),
            }),
            (Kind::Categorical, Value::String(_) | Value::Number(_)) => {
                normalize_unit(Some(value)).ok().map(Input::Text)
            }
            _ => None,
        }
    }

    /// Writes the transform's columns; `false` when the input is unusable (the caller then
    /// writes the missing value instead).
    fn apply(&self, input: &Input<'_>, out: &mut [f64]) -> bool {
        match (&self.transform, input) {
            (_, Input::Number(v)) => self.numeric(*v, out),
            (Transform::Identity, Input::Text(code)) => {
                integer_code(code).is_some_and(|v| self.numeric(v, out))
            }
            (Transform::OneHot { categories }, Input::Text(t)) => {
                one_hot(out, categories.get(&**t).copied())
            }
            (Transform::Hash { buckets }, Input::Text(t)) => {
                // Below `buckets <= MAX_WIDTH`, so it fits usize.
                one_hot(out, Some((xxh3_64(t.as_bytes()) % buckets) as usize))
            }
            _ => false,
        }
    }

    /// The transforms of a number. Kept apart from [`Feature::apply`] and inlined: numeric
    /// features are most of a tabular model, and this path builds no [`Input`].
    #[inline]
    fn numeric(&self, v: f64, out: &mut [f64]) -> bool {
        let y = match &self.transform {
            Transform::Identity => v,
            Transform::Standardize { mean, std } => (v - mean) / std,
            Transform::MinMax { min, max } => (v - min) / (max - min),
            Transform::Log1p if v > -1.0 => v.ln_1p(),
            Transform::Clip { lo, hi } => v.max(*lo).min(*hi),
            Transform::Bucketize { edges } => {
                // The first edge with v < edge; past every edge, the last column.
                return one_hot(out, Some(edges.partition_point(|edge| *edge <= v)));
            }
            _ => return false,
        };
        match out.first_mut() {
            // A result that overflowed is no better than a missing value.
            Some(slot) if y.is_finite() => {
                *slot = y;
                true
            }
            _ => false,
        }
    }

    fn write(&self, value: Option<&Value>, out: &mut [f64]) {
        let (columns, indicator) = out.split_at_mut(self.columns.min(out.len()));
        let present = match value {
            // The common case first, without building an `Input`.
            Some(Value::Number(n)) if self.kind == Kind::Numeric => {
                n.as_f64().is_some_and(|v| self.numeric(v, columns))
            }
            Some(v) => self
                .read(v)
                .is_some_and(|input| self.apply(&input, columns)),
            None => false,
        };
        if present {
            indicator.fill(0.0);
            return;
        }
        match &self.missing {
            Missing::Fill(fill) => columns
                .iter_mut()
                .zip(fill.iter())
                .for_each(|(slot, value)| *slot = *value),
            Missing::Indicator => {
                columns.fill(0.0);
                indicator.fill(1.0);
            }
            Missing::Nan => columns.fill(f64::NAN),
        }
    }
}

/// Zeros, with 1 at `hot` (an unknown category has no column: all zeros).
fn one_hot(out: &mut [f64], hot: Option<usize>) -> bool {
    out.fill(0.0);
    if let Some(slot) = hot.and_then(|i| out.get_mut(i)) {
        *slot = 1.0;
    }
    true
}

fn parse_transform(value: &Value, path: Path<'_>, kind: Kind) -> Res<Transform> {
    let (name, params) = read::one_key(value, path, "a transform")?;
    let at = path.key(name);
    let needs = |kinds: &[Kind], what: &str| -> Res<()> {
        if kinds.contains(&kind) {
            Ok(())
        } else {
            Err(at.error(format!("applies to {what} features only")))
        }
    };
    let transform = match name {
        "identity" => {
            read::params(params, at, &[])?;
            Transform::Identity
        }
        "standardize" => {
            needs(&[Kind::Numeric], "numeric")?;
            let map = read::params(params, at, &["mean", "std"])?;
            let mean = read::number_param(map, "mean", at, "a number")?;
            let std = read::positive(read::param(map, "std", at, "a number > 0")?, at.key("std"))?;
            Transform::Standardize { mean, std }
        }
        "min_max" => {
            needs(&[Kind::Numeric], "numeric")?;
            let map = read::params(params, at, &["min", "max"])?;
            let min = read::number_param(map, "min", at, "a number")?;
            let max = read::number_param(map, "max", at, "a number > min")?;
            // `max - min` must be a finite positive divisor.
            if !(max > min && (max - min).is_finite()) {
                return Err(at
                    .key("max")
                    .error("must be greater than `min`, with max − min finite"));
            }
            Transform::MinMax { min, max }
        }
        "log1p" => {
            needs(&[Kind::Numeric], "numeric")?;
            read::params(params, at, &[])?;
            Transform::Log1p
        }
        "clip" => {
            needs(&[Kind::Numeric], "numeric")?;
            let map = read::params(params, at, &["lo", "hi"])?;
            let lo = read::number_param(map, "lo", at, "a number")?;
            let hi = read::number_param(map, "hi", at, "a number ≥ lo")?;
            if hi < lo {
                return Err(at.key("hi").error("must be at least `lo`"));
            }
            Transform::Clip { lo, hi }
        }
        "bucketize" => {
            needs(&[Kind::Numeric], "numeric")?;
            let map = read::params(params, at, &["edges"])?;
            let edges_path = at.key("edges");
            let edges = read::param(map, "edges", at, "an array of numbers")?;
            let items = read::array(edges, edges_path, "`edges`")?;
            if items.is_empty() || items.len() >= MAX_WIDTH {
                return Err(edges_path.error(format!("must have 1 to {} edges", MAX_WIDTH - 1)));
            }
            let mut edges = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let edge = read::number(item, edges_path.index(i))?;
                if edges.last().is_some_and(|last| edge <= *last) {
                    return Err(edges_path
                        .index(i)
                        .error("edges must be strictly increasing"));
                }
                edges.push(edge);
            }
            Transform::Bucketize {
                edges: edges.into(),
            }
        }
        "one_hot" => {
            needs(
                &[Kind::Categorical, Kind::Boolean],
                "categorical and boolean",
            )?;
            let map = read::params(params, at, &["categories"])?;
            let list_path = at.key("categories");
            let list = read::param(map, "categories", at, "an array")?;
            let items = read::array(list, list_path, "`categories`")?;
            if items.is_empty() || items.len() > MAX_WIDTH {
                return Err(list_path.error(format!("must have 1 to {MAX_WIDTH} categories")));
            }
            let mut categories = fast_map(items.len());
            for (i, item) in items.iter().enumerate() {
                let text = category_text(item, kind).ok_or_else(|| {
                    list_path.index(i).error(match kind {
                        Kind::Boolean => "a boolean feature's categories are true and false",
                        _ => "a category must be a non-empty string or an integer",
                    })
                })?;
                if categories.insert(text.into(), i).is_some() {
                    return Err(list_path.index(i).error("duplicate category"));
                }
            }
            Transform::OneHot { categories }
        }
        "hash" => {
            needs(&[Kind::Categorical], "categorical")?;
            let map = read::params(params, at, &["buckets"])?;
            let buckets = read::param(map, "buckets", at, "an integer")?;
            let buckets = read::count(buckets, at.key("buckets"), 1, MAX_WIDTH)?;
            // At most MAX_WIDTH: fits u64.
            Transform::Hash {
                buckets: buckets as u64,
            }
        }
        _ => {
            return Err(path.error(
                "unknown transform (expected identity, standardize, min_max, log1p, clip, \
                 bucketize, one_hot or hash)",
            ))
        }
    };
    Ok(transform)
}

/// The text of a `one_hot` category, as a context value of the feature's kind reads.
fn category_text(value: &Value, kind: Kind) -> Option<String> {
    match (kind, value) {
        (Kind::Boolean, Value::Bool(b)) => Some(b.to_string()),
        (Kind::Categorical, Value::String(_) | Value::Number(_)) => {
            normalize_unit(Some(value)).ok().map(Cow::into_owned)
        }
        _ => None,
    }
}
