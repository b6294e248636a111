"""Trains reference models with the real XGBoost and LightGBM and writes what the Rust tests
need to check Tandem's importers and tree scorer against them (cli/tests/reference_models.rs).

    python train.py OUTDIR

Deterministic: fixed seeds, single-threaded training. For each model NAME, OUTDIR gets
  NAME.model.json  the library's own JSON: XGBoost `Booster.save_model`, LightGBM
                   `json.dump(booster.dump_model())`
  NAME.data.json   {"rows": [[x, ...], ...] (NaN written as null),
                    "margins": [[m, ...], ...]}: the library's raw predictions per row and
                   output. XGBoost margins (`output_margin=True`, float32) are written as the
                   float32 bit pattern (an unsigned integer), LightGBM's (`raw_score=True`,
                   float64) as Python's repr, which round-trips exactly.
and manifest.json lists every model: name, library, kind ("numeric" or "categorical"),
outputs, features.

The rows are fresh draws from the training distribution (with NaN, unseen and invalid
categories) plus probes: for every numeric split threshold in the model, rows whose feature
sits exactly on the threshold and one step either side, where `<` versus `<=` and f32 versus
f64 rounding decide the branch.
"""

import json
import math
import os
import sys

import lightgbm as lgb
import numpy as np
import xgboost as xgb

SEED = 20261126
TRAIN_ROWS = 4000
EVAL_ROWS = 2500
MAX_PROBES = 1500


def features(rng, n, categorical):
    """Synthetic features. Columns: 0 normal (10% NaN), 1 uniform, 2 exponential, 3 two-decimal
    normal (ties on thresholds, 15% NaN), 4 integer 0..20, 5 normal with 30% exact zeros;
    with `categorical`: 6 a 12-level category (10% NaN), 7 a 3-level category (one-hot splits).
    """
    cols = [
        rng.normal(size=n),
        rng.uniform(-2, 2, size=n),
        rng.exponential(size=n),
        np.round(rng.normal(size=n), 2),
        rng.integers(0, 21, size=n).astype(float),
        np.where(rng.uniform(size=n) < 0.3, 0.0, rng.normal(size=n)),
    ]
    cols[0][rng.uniform(size=n) < 0.10] = np.nan
    cols[3][rng.uniform(size=n) < 0.15] = np.nan
    if categorical:
        big = rng.integers(0, 12, size=n).astype(float)
        big[rng.uniform(size=n) < 0.10] = np.nan
        cols += [big, rng.integers(0, 3, size=n).astype(float)]
    return np.column_stack(cols)


def class_scores(x, k):
    """k noiseless class scores that depend on every feature, categories included."""
    f0 = np.nan_to_num(x[:, 0])
    f3 = np.nan_to_num(x[:, 3])
    base = [
        np.sin(f0) * 1.5 - 0.5 * x[:, 2],
        0.8 * x[:, 1] + 0.3 * f3 - 0.05 * x[:, 4],
        np.where(x[:, 5] == 0, 0.7, -0.4 * x[:, 5]) + 0.2 * f0 * x[:, 1],
        0.1 * x[:, 4] - 1.0 + np.abs(f3),
    ]
    if x.shape[1] > 6:
        cat = np.nan_to_num(x[:, 6], nan=-1)
        base[0] = base[0] + np.where(np.isin(cat, [1, 4, 7, 10]), 1.2, -0.3)
        base[1] = base[1] + np.where(x[:, 7] == 2, 1.0, 0.0)
        base[2] = base[2] + np.where(np.isin(cat, [0, 2, 3]), 0.9, 0.0)
        base[3] = base[3] + 0.1 * np.where(cat >= 0, cat, 5)
    return np.column_stack(base[:k])


def labels(rng, x, k):
    scores = class_scores(x, max(k, 2)) + rng.gumbel(size=(len(x), max(k, 2)))
    if k == 2:
        return (scores[:, 0] > scores[:, 1]).astype(float)
    return scores.argmax(axis=1).astype(float)


def eval_rows(rng, categorical, thresholds, f32_probes):
    """Fresh draws, invalid categories and threshold probes."""
    x = features(rng, EVAL_ROWS, categorical)
    if categorical:
        # Unseen (12, 40), negative, fractional and huge categories in ~8% of the rows.
        odd = rng.uniform(size=EVAL_ROWS) < 0.08
        x[odd, 6] = rng.choice([12.0, 40.0, -1.0, -0.5, 2.5, 7.9, 1e6], size=odd.sum())
    probes = []
    for feature, t in thresholds[:MAX_PROBES // 3]:
        for v in (t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)):
            row = x[len(probes) % EVAL_ROWS].copy()
            row[feature] = v
            probes.append(row)
    # The f32 neighbours of XGBoost thresholds: the f64 probes above round back to t in f32.
    for feature, t in thresholds[:MAX_PROBES // 6] if f32_probes else []:
        for v in (np.nextafter(np.float32(t), np.float32(np.inf)),
                  np.nextafter(np.float32(t), np.float32(-np.inf))):
            row = x[len(probes) % EVAL_ROWS].copy()
            row[feature] = float(v)
            probes.append(row)
    return np.vstack([x] + ([np.array(probes)] if probes else []))


def xgb_thresholds(model_json, categorical_features):
    out = set()
    for tree in model_json["learner"]["gradient_booster"]["model"]["trees"]:
        for f, c, left, kind in zip(tree["split_indices"], tree["split_conditions"],
                                    tree["left_children"], tree.get("split_type", [])):
            if left != -1 and kind == 0 and f not in categorical_features:
                out.add((f, float(np.float32(c))))
    return sorted(out)


def lgb_thresholds(dump):
    out = set()
    for info in dump["tree_info"]:
        stack = [info["tree_structure"]]
        while stack:
            node = stack.pop()
            if "leaf_value" in node:
                continue
            if node["decision_type"] == "<=":
                out.add((node["split_feature"], float(node["threshold"])))
            stack += [node["left_child"], node["right_child"]]
    return sorted(out)


def rows_json(x):
    return [[None if math.isnan(v) else float(v) for v in row] for row in x]


def write(outdir, name, model_text, rows, margins, manifest, **info):
    with open(os.path.join(outdir, f"{name}.model.json"), "w") as f:
        f.write(model_text)
    with open(os.path.join(outdir, f"{name}.data.json"), "w") as f:
        json.dump({"rows": rows_json(rows), "margins": margins}, f)
    manifest.append({"name": name, "features": rows.shape[1], **info})
    print(f"{name}: {len(rows)} rows, {info['outputs']} outputs", flush=True)


def xgboost_model(outdir, manifest, rng, name, objective, k, categorical, extra=None,
                  rounds=100, depth=6):
    x = features(rng, TRAIN_ROWS, categorical)
    types = ["q"] * 6 + (["c", "c"] if categorical else [])
    if objective.startswith(("binary", "reg:logistic")):
        y = labels(rng, x, 2)
    elif objective.startswith("multi"):
        y = labels(rng, x, k)
    else:
        # Positive targets for regression, Poisson, gamma and Tweedie objectives.
        y = np.exp(0.3 * class_scores(x, 2)[:, 0]) + rng.exponential(0.1, size=len(x))
    params = {"objective": objective, "max_depth": depth, "eta": 0.3, "seed": SEED,
              "nthread": 1, "tree_method": "hist", "max_cat_to_onehot": 4}
    if k > 2:
        params["num_class"] = k
    params.update(extra or {})
    train = xgb.DMatrix(x, label=y, feature_types=types, enable_categorical=categorical)
    booster = xgb.train(params, train, rounds)
    text = booster.save_raw("json").decode()
    cats = {6, 7} if categorical else set()
    rows = eval_rows(rng, categorical, xgb_thresholds(json.loads(text), cats), True)
    test = xgb.DMatrix(rows, feature_types=types, enable_categorical=categorical)
    margins = booster.predict(test, output_margin=True).astype(np.float32)
    margins = margins.reshape(len(rows), -1)
    write(outdir, name, text, rows, margins.view(np.uint32).tolist(), manifest,
          library="xgboost", kind="categorical" if categorical else "numeric",
          outputs=margins.shape[1], objective=objective)


def lightgbm_model(outdir, manifest, rng, name, objective, k, categorical, extra=None,
                   rounds=100):
    x = features(rng, TRAIN_ROWS, categorical)
    y = labels(rng, x, k) if k > 1 else class_scores(x, 2)[:, 0] + rng.normal(size=len(x))
    params = {"objective": objective, "num_leaves": 31, "learning_rate": 0.1, "seed": SEED,
              "num_threads": 1, "deterministic": True, "force_row_wise": True,
              "verbose": -1, "min_data_per_group": 20, "cat_smooth": 5}
    if k > 2:
        params["num_class"] = k
    params.update(extra or {})
    cats = [6, 7] if categorical else []
    train = lgb.Dataset(x, label=y, categorical_feature=cats or "auto", params={"verbose": -1})
    booster = lgb.train(params, train, rounds)
    dump = booster.dump_model()
    rows = eval_rows(rng, categorical, lgb_thresholds(dump), False)
    margins = np.asarray(booster.predict(rows, raw_score=True), dtype=np.float64)
    margins = margins.reshape(len(rows), -1)
    write(outdir, name, json.dumps(dump), rows, margins.tolist(), manifest,
          library="lightgbm", kind="categorical" if categorical else "numeric",
          outputs=margins.shape[1], objective=objective)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python train.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = []
    print(f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, numpy {np.__version__}")

    xgboost_model(outdir, manifest, rng, "xgb_binary_numeric", "binary:logistic", 2, False)
    xgboost_model(outdir, manifest, rng, "xgb_binary_categorical", "binary:logistic", 2, True)
    xgboost_model(outdir, manifest, rng, "xgb_multiclass_numeric", "multi:softprob", 4, False,
                  rounds=50)
    xgboost_model(outdir, manifest, rng, "xgb_multiclass_categorical", "multi:softprob", 4,
                  True, rounds=50)
    # Each supported objective's base-score-to-margin rule, on small models.
    small = {"rounds": 10, "depth": 3}
    for objective, k, extra in [
        ("reg:logistic", 2, None), ("binary:logitraw", 2, None), ("binary:hinge", 2, None),
        ("multi:softmax", 3, None), ("reg:squarederror", 1, None),
        ("reg:absoluteerror", 1, None), ("reg:pseudohubererror", 1, None),
        ("count:poisson", 1, None), ("reg:gamma", 1, None), ("reg:tweedie", 1, None),
        ("binary:logistic", 2, {"base_score": 0.1}), ("binary:logistic", 2, {"base_score": 0.73}),
    ]:
        name = "xgb_objective_" + objective.replace(":", "_")
        if extra:
            name += f"_base{extra['base_score']}"
        xgboost_model(outdir, manifest, rng, name, objective, k, False, extra, **small)

    lightgbm_model(outdir, manifest, rng, "lgb_binary_numeric", "binary", 2, False)
    lightgbm_model(outdir, manifest, rng, "lgb_binary_categorical", "binary", 2, True)
    lightgbm_model(outdir, manifest, rng, "lgb_multiclass_categorical", "multiclass", 4, True,
                   rounds=50)
    lightgbm_model(outdir, manifest, rng, "lgb_regression_zero_as_missing", "regression", 1,
                   True, {"zero_as_missing": True})
    lightgbm_model(outdir, manifest, rng, "lgb_binary_no_missing", "binary", 2, True,
                   {"use_missing": False})

    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"xgboost": xgb.__version__, "lightgbm": lgb.__version__,
                   "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
