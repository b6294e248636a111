//! Scorers: the feature vector `x` (length `d`) to one score per action (`A` scores).
//! Linear and MLP scorers are ndarray matrix-vector products in f64; trees are
//! [`TreeEnsemble`], with the split semantics of the library that trained them.

use std::fmt;
use std::sync::Arc;

use ndarray::linalg::general_mat_vec_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1};
use serde_json::Value;

use super::read::{self, Path, Res};
use super::trees::TreeEnsemble;

/// Most MLP layers.
pub(crate) const MAX_LAYERS: usize = 8;
/// Most units (outputs) of one MLP layer.
pub(crate) const MAX_UNITS: usize = 1_024;

/// Buffers up to this many f64 live on the stack: the common bundle (tens of features) builds
/// its feature vector without touching the allocator.
const STACK_FLOATS: usize = 64;

/// Runs `f` on a zeroed buffer of `len` floats: on the stack when small, else on the heap.
pub(crate) fn with_buffer<R>(len: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    let mut stack = [0.0; STACK_FLOATS];
    match stack.get_mut(..len) {
        Some(buffer) => f(buffer),
        None => f(&mut vec![0.0; len]),
    }
}

/// A scorer of a bundle.
#[derive(Clone)]
pub(crate) enum Scorer {
    Linear(Dense),
    Mlp(Mlp),
    // Shared: a bundle clones cheaply, and the ensemble need not implement Clone.
    Trees(Arc<TreeEnsemble>),
}

impl fmt::Debug for Scorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scorer::Linear(dense) => f
                .debug_struct("Linear")
                .field("actions", &dense.bias.len())
                .field("inputs", &dense.weights.ncols())
                .finish(),
            Scorer::Mlp(mlp) => f
                .debug_struct("Mlp")
                .field("layers", &mlp.layers.len())
                .finish(),
            Scorer::Trees(_) => f.write_str("Trees"),
        }
    }
}

impl Scorer {
    /// Parses `scorer` for `inputs` features and `outputs` actions.
    pub(crate) fn parse(value: &Value, path: Path<'_>, inputs: usize, outputs: usize) -> Res<Self> {
        let (name, params) = read::one_key(value, path, "`scorer`")?;
        let at = path.key(name);
        match (name, params) {
            ("linear", Some(params)) => {
                let map = read::fields(params, at, "a linear scorer", &["weights", "bias"])?;
                let dense = Dense::parse(map, at, inputs, outputs, Activation::Identity)?;
                Ok(Scorer::Linear(dense))
            }
            ("mlp", Some(params)) => Mlp::parse(params, at, inputs, outputs).map(Scorer::Mlp),
            ("trees", Some(params)) => match TreeEnsemble::from_json(params, inputs, outputs) {
                Ok(ensemble) => Ok(Scorer::Trees(Arc::new(ensemble))),
                Err(problem) => Err(super::error::BundleError::new(
                    join(&at.render(), &problem.path),
                    problem.message,
                )),
            },
            ("linear" | "mlp" | "trees", None) => {
                Err(at.error("needs its parameters as an object"))
            }
            _ => Err(path.error("unknown scorer (expected linear, mlp or trees)")),
        }
    }

    pub(crate) fn is_trees(&self) -> bool {
        matches!(self, Scorer::Trees(_))
    }

    /// The scores exploration sees (for trees, after the bundle's link).
    pub(crate) fn scores(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Scorer::Linear(dense) => dense.forward(x, out),
            Scorer::Mlp(mlp) => mlp.forward(x, out),
            Scorer::Trees(trees) => trees.scores(x, out),
        }
    }

    /// The scorer's raw output: as [`Scorer::scores`], but trees give margins (no link).
    pub(crate) fn raw(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Scorer::Trees(trees) => trees.margins(x, out),
            other => other.scores(x, out),
        }
    }
}

/// `base` followed by a path relative to it (`weights[1]`, `[0].nodes`, or empty).
fn join(base: &str, relative: &str) -> String {
    if relative.is_empty() {
        base.to_owned()
    } else if relative.starts_with('[') || relative.starts_with('.') {
        format!("{base}{relative}")
    } else {
        format!("{base}.{relative}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Identity,
}

impl Activation {
    fn apply(self, y: &mut [f64]) {
        match self {
            Activation::Identity => {}
            Activation::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Tanh => y.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Sigmoid => y.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        }
    }
}

/// `y = activation(W·x + b)`, with `W` as `out` rows of `in` numbers.
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    weights: Array2<f64>,
    bias: Array1<f64>,
    activation: Activation,
}

impl Dense {
    fn parse(
        map: &serde_json::Map<String, Value>,
        path: Path<'_>,
        inputs: usize,
        outputs: usize,
        activation: Activation,
    ) -> Res<Self> {
        let weights_path = path.key("weights");
        let weights = read::required(map, "weights", path, "an array of rows")?;
        let flat = read::matrix(weights, weights_path, outputs, inputs, "`weights`")?;
        let bias_path = path.key("bias");
        let mut bias = Vec::new();
        read::numbers_into(
            read::required(map, "bias", path, "an array of numbers")?,
            bias_path,
            outputs,
            "`bias`",
            &mut bias,
        )?;
        let weights = Array2::from_shape_vec((outputs, inputs), flat)
            .map_err(|_| weights_path.error("the rows do not form a matrix"))?;
        Ok(Self {
            weights,
            bias: Array1::from(bias),
            activation,
        })
    }

    fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// Writes `out = activation(W·x + b)`. `x` has `in` and `out` has `out` elements: the
    /// bundle's validation fixed every shape, so ndarray's shape check never fires.
    fn forward(&self, x: &[f64], out: &mut [f64]) {
        if x.len() != self.weights.ncols() || out.len() != self.bias.len() {
            return;
        }
        out.iter_mut()
            .zip(self.bias.iter())
            .for_each(|(slot, bias)| *slot = *bias);
        let x = ArrayView1::from(x);
        let mut y = ArrayViewMut1::from(&mut *out);
        // y ← 1·W·x + 1·y, with y holding the bias: score = bias + W·x, no temporary array.
        general_mat_vec_mul(1.0, &self.weights, &x, 1.0, &mut y);
        self.activation.apply(out);
    }
}

/// Dense layers, the last of which has one output per action.
#[derive(Debug, Clone)]
pub(crate) struct Mlp {
    layers: Vec<Dense>,
    /// The widest layer: the size of the two ping-pong buffers.
    widest: usize,
}

impl Mlp {
    fn parse(value: &Value, path: Path<'_>, inputs: usize, outputs: usize) -> Res<Self> {
        let map = read::fields(value, path, "an mlp scorer", &["layers"])?;
        let layers_path = path.key("layers");
        let items = read::array(
            read::required(map, "layers", path, "an array of layers")?,
            layers_path,
            "`layers`",
        )?;
        if items.is_empty() || items.len() > MAX_LAYERS {
            return Err(layers_path.error(format!(
                "must have 1 to {MAX_LAYERS} layers, not {}",
                items.len()
            )));
        }
        let mut layers = Vec::with_capacity(items.len());
        let mut previous = inputs;
        for (i, item) in items.iter().enumerate() {
            let at = layers_path.index(i);
            let layer = read::fields(item, at, "a layer", &["weights", "bias", "activation"])?;
            let activation =
                match read::required(layer, "activation", at, "relu, tanh, sigmoid or identity")? {
                    Value::String(s) if s == "relu" => Activation::Relu,
                    Value::String(s) if s == "tanh" => Activation::Tanh,
                    Value::String(s) if s == "sigmoid" => Activation::Sigmoid,
                    Value::String(s) if s == "identity" => Activation::Identity,
                    _ => {
                        return Err(at
                            .key("activation")
                            .error("must be relu, tanh, sigmoid or identity"))
                    }
                };
            let last = i + 1 == items.len();
            let units = if last {
                outputs
            } else {
                // A hidden layer's width is its number of rows.
                let rows = read::required(layer, "weights", at, "an array of rows")?;
                let rows = read::array(rows, at.key("weights"), "`weights`")?.len();
                if rows == 0 || rows > MAX_UNITS {
                    return Err(at.key("weights").error(format!(
                        "a layer must have 1 to {MAX_UNITS} units (rows), not {rows}"
                    )));
                }
                rows
            };
            let dense = Dense::parse(layer, at, previous, units, activation)?;
            previous = dense.outputs();
            layers.push(dense);
        }
        let widest = layers.iter().map(Dense::outputs).max().unwrap_or(0);
        Ok(Self { layers, widest })
    }

    fn forward(&self, x: &[f64], out: &mut [f64]) {
        with_buffer(self.widest, |a| {
            with_buffer(self.widest, |b| {
                // Each layer reads `current` and writes `next`, then the two swap.
                let (mut current, mut next) = (a, b);
                let mut len = 0;
                for (i, layer) in self.layers.iter().enumerate() {
                    let width = layer.outputs();
                    if i == 0 {
                        if let Some(y) = current.get_mut(..width) {
                            layer.forward(x, y);
                        }
                    } else {
                        if let (Some(input), Some(y)) = (current.get(..len), next.get_mut(..width))
                        {
                            layer.forward(input, y);
                        }
                        std::mem::swap(&mut current, &mut next);
                    }
                    len = width;
                }
                if let Some(result) = current.get(..len) {
                    if result.len() == out.len() {
                        out.copy_from_slice(result);
                    }
                }
            });
        });
    }
}
