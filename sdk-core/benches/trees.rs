//! Tree-ensemble latency (DESIGN §8: a 100-tree depth-6 GBDT decision ≤ 15 µs): the margins of
//! 100 complete depth-6 trees (127 nodes each) over 20 features, as XGBoost and as LightGBM
//! evaluate them, for a pool of feature vectors with 10 % missing values and a categorical
//! column, so branches are not all predicted.
//!
//! - `margins/xgboost_100x6`, `margins/lightgbm_100x6`: the raw margins, one output;
//! - `scores/xgboost_4class_100x6`: 4 outputs (25 trees each) with the softmax link;
//! - `from_json/100x6`: parsing and validating the scorer, for load budgets.
//!
//! `cargo bench -p tandem --bench trees`; `cargo test -p tandem --bench trees` runs each once.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a bench whose fixture does not build has nothing to measure: stopping is right; \
              indices are masked to the power-of-two length of the row pool"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use tandem::policy::trees::TreeEnsemble;

const FEATURES: usize = 20;
const TREES: usize = 100;
const DEPTH: u32 = 6;
/// Feature 19 is categorical (codes 0..9).
const CATEGORICAL: usize = 19;
const POOL: usize = 256;

/// xorshift64*: a fixed, dependency-free stream so every run measures the same model.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A complete tree of `DEPTH` splits on random features, stored breadth-first.
fn tree(stream: &mut Stream, source: &str, output: usize) -> Value {
    let splits = (1usize << DEPTH) - 1;
    let mut nodes = Vec::with_capacity(2 * splits + 1);
    for i in 0..splits {
        let feature = (stream.next() % FEATURES as u64) as usize;
        let mut node = json!({"feature": feature, "left": 2 * i + 1, "right": 2 * i + 2,
            "default_left": stream.next().is_multiple_of(2)});
        if feature == CATEGORICAL {
            node["categories"] = json!([stream.next() % 10, stream.next() % 10, 7]);
        } else {
            // Thresholds as f32 values, as XGBoost writes them.
            node["threshold"] = json!(f64::from((stream.unit() * 2.0 - 1.0) as f32));
            if source == "lightgbm" {
                node["missing"] = json!(["none", "zero", "nan"][(stream.next() % 3) as usize]);
            }
        }
        nodes.push(node);
    }
    for _ in 0..=splits {
        nodes.push(json!({"leaf": f64::from((stream.unit() - 0.5) as f32)}));
    }
    json!({"output": output, "nodes": nodes})
}

fn model(source: &str, outputs: usize, link: &str) -> (Value, TreeEnsemble) {
    let mut stream = Stream(0x9e37_79b9_7f4a_7c15);
    let trees: Vec<Value> = (0..TREES)
        .map(|t| tree(&mut stream, source, t % outputs))
        .collect();
    let spec = json!({"source": source, "base_score": vec![0.25; outputs], "link": link,
        "trees": trees});
    let ensemble = TreeEnsemble::from_json(&spec, FEATURES, outputs).expect("bench model");
    (spec, ensemble)
}

/// Feature vectors in the model's range, 10 % missing, the categorical column 0..11.
fn rows() -> Vec<[f64; FEATURES]> {
    let mut stream = Stream(42);
    (0..POOL)
        .map(|_| {
            let mut row = [0.0; FEATURES];
            for (j, v) in row.iter_mut().enumerate() {
                *v = if stream.unit() < 0.1 {
                    f64::NAN
                } else if j == CATEGORICAL {
                    (stream.next() % 12) as f64
                } else {
                    stream.unit() * 2.2 - 1.1
                };
            }
            row
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rows = rows();
    let mut group = c.benchmark_group("margins");
    for source in ["xgboost", "lightgbm"] {
        let (_, ensemble) = model(source, 1, "identity");
        let mut out = [0.0];
        let mut i = 0;
        group.bench_function(format!("{source}_100x6"), |b| {
            b.iter(|| {
                i = (i + 1) & (POOL - 1);
                ensemble.margins(black_box(&rows[i]), &mut out);
                black_box(out[0])
            })
        });
    }
    group.finish();

    let (spec, multi) = model("xgboost", 4, "softmax");
    let mut out = [0.0; 4];
    let mut i = 0;
    c.bench_function("scores/xgboost_4class_100x6", |b| {
        b.iter(|| {
            i = (i + 1) & (POOL - 1);
            multi.scores(black_box(&rows[i]), &mut out);
            black_box(out[0])
        })
    });
    c.bench_function("from_json/100x6", |b| {
        b.iter(|| TreeEnsemble::from_json(black_box(&spec), FEATURES, 4).expect("parses"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
