//! Gradient-boosted trees with the exact split semantics of XGBoost and LightGBM.
//!
//! A [`TreeEnsemble`] is the `trees` scorer of a policy bundle (docs/policy-bundles.md). Its
//! margins reproduce the library's own raw predictions: bit for bit in f32 for XGBoost (features
//! cast to f32, strict `<` splits, the margin summed in f32 tree by tree) and exactly in f64 for
//! LightGBM (`<=` splits, its missing-value rules). `tools/reference-models/` trains models with
//! the real libraries and `cli/tests/reference_models.rs` checks every row against them.
//!
//! ```
//! use serde_json::json;
//! use tandem::policy::trees::{Link, TreeEnsemble};
//!
//! let spec = json!({
//!     "source": "lightgbm", "base_score": [0.0], "link": "sigmoid",
//!     "trees": [{"output": 0, "nodes": [
//!         {"feature": 0, "threshold": 1.5, "left": 1, "right": 2, "default_left": true},
//!         {"leaf": -1.0},
//!         {"leaf": 1.0}
//!     ]}]
//! });
//! let model = TreeEnsemble::from_json(&spec, 1, 1)?;
//! let mut margin = [0.0];
//! model.margins(&[1.5], &mut margin);
//! assert_eq!(margin, [-1.0]); // LightGBM goes left when x <= threshold
//! assert_eq!(model.link(), Link::Sigmoid);
//! # Ok::<(), tandem::policy::trees::TreeProblem>(())
//! ```

mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

/// Which library trained the trees, and so which split semantics apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// XGBoost: f32 features and sums, `x < threshold`, categories in the set go right.
    Xgboost,
    /// LightGBM: f64 throughout, `x <= threshold`, categories in the set go left.
    Lightgbm,
}

/// What exploration sees: the raw margins or the objective's link applied to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The raw margins.
    Identity,
    /// Each output through the logistic function (one binary reward model per action).
    Sigmoid,
    /// A softmax over the outputs (a multi-class model whose classes are the actions).
    Softmax,
}

/// A problem found in a `trees` scorer: where (a path relative to the `trees` object, such as
/// `trees[3].nodes[17].left`) and what. Messages never quote user data beyond the bundle itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeProblem {
    /// Path of the offending field, relative to the scorer's `trees` object (`""` for the object
    /// itself).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for TreeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for TreeProblem {}

/// Most trees in one ensemble.
pub const MAX_TREES: usize = 2_000;
/// Most nodes in one ensemble, all trees together.
pub const MAX_NODES: usize = 1_000_000;

// Node flags.
const LEAF: u8 = 1;
const CATEGORICAL: u8 = 2;
const DEFAULT_LEFT: u8 = 4;
const MISSING_ZERO: u8 = 8;
const MISSING_NAN: u8 = 16;

/// LightGBM's `kZeroThreshold` is the f32 literal `1e-35f` widened to f64: its predictor drops
/// inputs with |x| ≤ this as zeros, and a `Zero` missing type tests against it.
const LGBM_ZERO: f64 = 1.000_000_018_002_509_5e-35;

/// XGBoost treats a category as invalid (and goes left) unless `0 ≤ x < 2^24` in f32, the range
/// where every integer is exact.
const XGB_MAX_CATEGORY: f32 = 16_777_216.0;

/// One node, 16 bytes. Nodes of a tree are stored breadth-first, so a split's children sit at
/// `left` and `left + 1` and always after the split itself: evaluation only moves forward and
/// cannot loop, whatever the input was.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// Leaf: the leaf value. Numeric split: the threshold. For XGBoost both are exact f32
    /// values. Categorical split: the index in `categories` where its set starts (an integer,
    /// exact in an f64).
    value: f64,
    /// Split: absolute index of the left child; the right child is the next node.
    left: u32,
    /// Split: the feature index (docs/policy-bundles.md caps `d` at 4,096).
    feature: u16,
    flags: u8,
}

/// One tree: its root's absolute node index and the output it adds to.
#[derive(Debug, Clone, Copy)]
struct Tree {
    root: u32,
    output: u32,
}

/// A validated tree ensemble, ready to score feature vectors. Build it with
/// [`TreeEnsemble::from_json`]. Scoring allocates nothing and walks each tree iteratively.
#[derive(Debug, Clone)]
pub struct TreeEnsemble {
    source: Source,
    link: Link,
    inputs: usize,
    base_score: Vec<f64>,
    trees: Vec<Tree>,
    nodes: Vec<Node>,
    /// Sorted, deduplicated category sets, each preceded by its length.
    categories: Vec<u32>,
}

impl TreeEnsemble {
    /// Parses and validates the `trees` scorer object of docs/policy-bundles.md (`source`,
    /// `base_score`, `link`, `trees`) for `inputs` features and `outputs` scores.
    ///
    /// # Errors
    ///
    /// A [`TreeProblem`] naming the first offending field: an unknown or missing field, a wrong
    /// type, a non-finite number, a feature index `>= inputs`, an output `>= outputs`,
    /// `base_score` without exactly `outputs` entries, a child index out of range, a node graph
    /// that is not a tree reachable from node 0 (a node reached twice, as in a cycle, or never),
    /// a base score and leaves that could add up to infinity, or more than [`MAX_TREES`] trees
    /// or [`MAX_NODES`] nodes. Hostile input is rejected without deep recursion.
    pub fn from_json(
        spec: &serde_json::Value,
        inputs: usize,
        outputs: usize,
    ) -> Result<TreeEnsemble, TreeProblem> {
        parse::ensemble(spec, inputs, outputs, parse::CAPS)
    }

    /// The library whose semantics the trees follow.
    pub fn source(&self) -> Source {
        self.source
    }

    /// What [`TreeEnsemble::scores`] applies to the margins.
    pub fn link(&self) -> Link {
        self.link
    }

    /// Number of features the trees read.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Number of outputs (scores) per row.
    pub fn outputs(&self) -> usize {
        self.base_score.len()
    }

    /// Number of trees.
    pub fn tree_count(&self) -> usize {
        self.trees.len()
    }

    /// Number of nodes, all trees together.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Writes the raw margins for the feature vector `x` into `out`, with the library's exact
    /// semantics: the base score plus the leaf of every tree, summed in tree order (in f32 for
    /// XGBoost, so the f64 results are f32 values; in f64 for LightGBM).
    ///
    /// `x` should have [`inputs`](Self::inputs) values (NaN for missing) and `out`
    /// [`outputs`](Self::outputs) slots: features past the end of `x` read as NaN, outputs past
    /// the end of `out` are skipped, and extra slots of `out` are left alone.
    pub fn margins(&self, x: &[f64], out: &mut [f64]) {
        for (slot, base) in out.iter_mut().zip(&self.base_score) {
            *slot = *base;
        }
        match self.source {
            Source::Xgboost => {
                // XGBoost starts from the base margin as f32 and adds each leaf in f32; keeping
                // the running sum in an f64 slot is exact because it always holds an f32 value.
                for slot in out.iter_mut().take(self.base_score.len()) {
                    *slot = f64::from(*slot as f32);
                }
                for tree in &self.trees {
                    let leaf = self.xgboost_leaf(tree.root as usize, x);
                    if let Some(slot) = out.get_mut(tree.output as usize) {
                        *slot = f64::from(*slot as f32 + leaf);
                    }
                }
            }
            Source::Lightgbm => {
                for tree in &self.trees {
                    let leaf = self.lightgbm_leaf(tree.root as usize, x);
                    if let Some(slot) = out.get_mut(tree.output as usize) {
                        *slot += leaf;
                    }
                }
            }
        }
    }

    /// Writes the scores exploration sees: [`margins`](Self::margins) with the
    /// [`link`](Self::link) applied (in f64). Same slot rules as `margins`.
    pub fn scores(&self, x: &[f64], out: &mut [f64]) {
        self.margins(x, out);
        let n = self.base_score.len().min(out.len());
        let Some(scores) = out.get_mut(..n) else {
            return;
        };
        match self.link {
            Link::Identity => {}
            Link::Sigmoid => {
                for s in scores.iter_mut() {
                    *s = 1.0 / (1.0 + (-*s).exp());
                }
            }
            Link::Softmax => {
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for s in scores.iter_mut() {
                    *s = (*s - max).exp();
                    sum += *s;
                }
                for s in scores.iter_mut() {
                    *s /= sum;
                }
            }
        }
    }

    /// The leaf value XGBoost reaches from `node` for `x`.
    fn xgboost_leaf(&self, mut node: usize, x: &[f64]) -> f32 {
        // Children always sit after their parent (see `Node`), so this ends within
        // `nodes.len()` steps; `get` keeps a broken invariant from panicking.
        while let Some(n) = self.nodes.get(node) {
            if n.flags & LEAF != 0 {
                return n.value as f32;
            }
            // XGBoost stores the features as f32 before it compares anything.
            let v = feature(x, n.feature) as f32;
            let left = if n.flags & CATEGORICAL == 0 {
                // Non-short-circuit operators: a data-dependent branch here would mispredict
                // half the time, a select does not.
                let nan = v.is_nan();
                (nan & (n.flags & DEFAULT_LEFT != 0)) | (!nan & (v < n.value as f32))
            } else if v.is_nan() {
                n.flags & DEFAULT_LEFT != 0
            } else {
                // Negative and too-large categories are invalid and go left; a valid one is
                // truncated to an integer, and a category in the set goes right.
                !(0.0..XGB_MAX_CATEGORY).contains(&v) || !self.in_set(n.value, v as u32)
            };
            node = n.left as usize + usize::from(!left);
        }
        0.0
    }

    /// The leaf value LightGBM reaches from `node` for `x`.
    fn lightgbm_leaf(&self, mut node: usize, x: &[f64]) -> f64 {
        // Termination as in `xgboost_leaf`.
        while let Some(n) = self.nodes.get(node) {
            if n.flags & LEAF != 0 {
                return n.value;
            }
            let mut v = feature(x, n.feature);
            // LightGBM's predictor keeps only inputs with |x| > kZeroThreshold (and NaN): the
            // rest become 0 before any tree sees them.
            if v.abs() <= LGBM_ZERO {
                v = 0.0;
            }
            let nan = v.is_nan();
            let left = if n.flags & CATEGORICAL == 0 {
                // Missing: NaN under the `nan` type; 0 (NaN included, as LightGBM turns it
                // into 0 first) under `zero`. Otherwise NaN compares as 0. Non-short-circuit
                // operators, as in `xgboost_leaf`.
                let missing = (n.flags & MISSING_NAN != 0 && nan)
                    | (n.flags & MISSING_ZERO != 0 && (nan | (v == 0.0)));
                let compared = if nan { 0.0 } else { v } <= n.value;
                (missing & (n.flags & DEFAULT_LEFT != 0)) | (!missing & compared)
            } else {
                // The value is truncated to an int; NaN and negative ints go right, a category
                // in the set goes left. `as` saturates, and a saturated value is in no set.
                !nan && v.trunc() >= 0.0 && self.in_set(n.value, v as u32)
            };
            node = n.left as usize + usize::from(!left);
        }
        0.0
    }

    /// Whether `category` is in the set stored at `at` in `self.categories`.
    fn in_set(&self, at: f64, category: u32) -> bool {
        let at = at as usize;
        let len = self.categories.get(at).map_or(0, |&len| len as usize);
        self.categories
            .get(at + 1..at + 1 + len)
            .is_some_and(|set| set.binary_search(&category).is_ok())
    }
}

/// Feature `j` of `x`, NaN (missing) when `x` is too short.
fn feature(x: &[f64], j: u16) -> f64 {
    x.get(j as usize).copied().unwrap_or(f64::NAN)
}
