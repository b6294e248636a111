"""Trains reference models with the real XGBoost, LightGBM and scikit-learn and writes what the
Rust tests need to check Tandem's importers and scorers against them
(cli/tests/reference_models.rs for trees, cli/tests/reference_sklearn.rs for linear models).

    python train.py OUTDIR

Deterministic: fixed seeds, single-threaded training. For each model NAME, OUTDIR gets
  NAME.model.json  the library's own JSON: XGBoost `Booster.save_model`, LightGBM
                   `json.dump(booster.dump_model())`
  NAME.data.json   {"rows": [[x, ...], ...] (NaN written as null, ±infinity as "inf"/"-inf"),
                    "margins": [[m, ...], ...]}: the library's raw predictions per row and
                   output. XGBoost margins (`output_margin=True`, float32) are written as the
                   float32 bit pattern (an unsigned integer), LightGBM's (`raw_score=True`,
                   float64) as Python's repr, which round-trips exactly.
and manifest.json lists every model: name, library, kind ("numeric" or "categorical"),
outputs, features.

scikit-learn linear models (LinearRegression single- and multi-target, Ridge, SGDRegressor,
binary and multinomial LogisticRegression, one-vs-rest SGDClassifier, and a StandardScaler +
LogisticRegression pipeline) are exported with export_sklearn.py as NAME.sklearn.json, and
NAME.data.json holds {"rows": [[x, ...], ...], "outputs": [[s, ...], ...],
"predicted": [class index, ...] (classifiers only)}: the model's own `decision_function`
(regressors: `predict`) per row, 2-D, float64 written as repr. manifest.json lists them under
"linear_models": name, estimator, outputs (decision_function columns), features, and for the
pipeline the scaler's "standardize": {"mean": [...], "scale": [...]}.

The rows are fresh draws from the training distribution (with NaN, unseen, negative and
fractional categories; huge and infinite values for LightGBM) plus probes: for numeric splits
sampled across the model, rows that reach the split and put its feature exactly on the
threshold and one f64 step (for XGBoost also one f32 step) either side, where `<` versus `<=`
and f32 versus f64 rounding decide the branch.

Training data are synthetic: nothing is downloaded.
"""

import json
import math
import os
import sys

# One BLAS thread before numpy loads: scikit-learn's solvers and decision_function go through
# BLAS, whose threaded reductions could otherwise split sums differently from run to run.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import lightgbm as lgb
import numpy as np
import sklearn
import xgboost as xgb
from sklearn.linear_model import (LinearRegression, LogisticRegression, Ridge, SGDClassifier,
                                  SGDRegressor)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import export_sklearn

SEED = 20261126
TRAIN_ROWS = 4000
EVAL_ROWS = 2500
MAX_PROBES = 2500


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


def eval_rows(rng, categorical, trees, library):
    """Fresh draws with invalid categories, then threshold probes."""
    x = features(rng, EVAL_ROWS, categorical)
    if categorical:
        # Unseen (12, 40), negative, fractional and huge categories in ~8% of the rows.
        odd = rng.uniform(size=EVAL_ROWS) < 0.08
        x[odd, 6] = rng.choice([12.0, 40.0, -1.0, -0.5, 2.5, 7.9, 1e6], size=odd.sum())
    if library == "lightgbm":
        # Huge and infinite values: LightGBM's dump writes infinite thresholds as ±1e300.
        # (XGBoost refuses values beyond the f32 range as input.)
        huge = rng.uniform(size=EVAL_ROWS) < 0.02
        columns = rng.integers(0, 6, size=huge.sum())
        x[huge, columns] = rng.choice([1e301, -1e301, 1.7e308, -1.7e308, np.inf, -np.inf],
                                      size=huge.sum())
    probes = threshold_probes(trees, library, x)
    return np.vstack([x] + ([np.array(probes)] if probes else []))


# Each tree as {node id: split}, a split being (feature, threshold or None, category set or
# None, left id, right id, default_left, missing type); leaves are absent.
def xgb_trees(model_json):
    trees = []
    for tree in model_json["learner"]["gradient_booster"]["model"]["trees"]:
        sets = {}
        for k, node in enumerate(tree.get("categories_nodes", [])):
            start = tree["categories_segments"][k]
            sets[node] = set(tree["categories"][start:start + tree["categories_sizes"][k]])
        splits = {}
        for i, left in enumerate(tree["left_children"]):
            if left != -1:
                categorical = tree.get("split_type", [0] * (i + 1))[i] == 1
                splits[i] = (tree["split_indices"][i],
                             None if categorical else float(np.float32(tree["split_conditions"][i])),
                             sets.get(i) if categorical else None, left,
                             tree["right_children"][i], bool(tree["default_left"][i]), None)
        trees.append(splits)
    return trees


def lgb_trees(dump):
    trees = []
    for info in dump["tree_info"]:
        splits, stack, ids = {}, [info["tree_structure"]], {}
        ids[id(info["tree_structure"])] = 0
        while stack:
            node = stack.pop()
            if "leaf_value" in node:
                continue
            left, right = node["left_child"], node["right_child"]
            for child in (left, right):
                ids[id(child)] = len(ids)
                stack.append(child)
            categorical = node["decision_type"] == "=="
            cats = {int(c) for c in str(node["threshold"]).split("||")} if categorical else None
            splits[ids[id(node)]] = (node["split_feature"],
                                     None if categorical else float(node["threshold"]), cats,
                                     ids[id(left)], ids[id(right)], node["default_left"],
                                     node["missing_type"])
        trees.append(splits)
    return trees


def goes_left(library, split, v):
    """The library's routing rule (docs/policy-bundles.md), used only to aim the probes: a
    mistake here weakens them but cannot make the test pass wrongly."""
    _, t, cats, _, _, default_left, missing = split
    if library == "xgboost":
        if math.isnan(v):
            return default_left
        if cats is not None:
            v32 = float(np.float32(v))
            return v32 < 0 or v32 >= 2**24 or int(v32) not in cats
        return np.float32(v) < np.float32(t)
    if abs(v) <= float(np.float32(1e-35)):
        v = 0.0
    if cats is not None:
        return not math.isnan(v) and math.trunc(v) >= 0 and math.trunc(v) in cats
    nan = math.isnan(v)
    if (missing == "NaN" and nan) or (missing == "Zero" and (nan or v == 0.0)):
        return default_left
    return (0.0 if nan else v) <= t


def threshold_probes(trees, library, base):
    """Rows that reach a numeric split and put its feature exactly on the threshold and one
    f64 step (and, for XGBoost, one f32 step) either side: there `<` against `<=` and f32
    against f64 decide the branch. The other features on the path are set to satisfy it."""
    targets = [(t, n) for t, tree in enumerate(trees) for n, s in sorted(tree.items())
               if s[1] is not None]
    per_node = 5 if library == "xgboost" else 3
    step = max(1, len(targets) // (MAX_PROBES // per_node))
    probes = []
    for t, n in targets[::step]:
        tree = trees[t]
        parent = {c: (p, c == s[3]) for p, s in tree.items() for c in (s[3], s[4])}
        path, node = [], n
        while node in parent:
            node, left = parent[node]
            path.append((tree[node], left))
        row = base[len(probes) % len(base)].copy()
        feature, threshold = tree[n][0], tree[n][1]
        ok = True
        for f in {s[0] for s, _ in path} - {feature}:
            rules = [(s, left) for s, left in path if s[0] == f]
            candidates = [row[f]] + [float(c) for c in range(16)] + [
                x for s, _ in rules if s[1] is not None
                for x in (s[1], s[1] - max(1e-3, abs(s[1]) * 1e-3),
                          s[1] + max(1e-3, abs(s[1]) * 1e-3))]
            fits = [v for v in candidates if all(goes_left(library, s, v) == l for s, l in rules)]
            if not fits:
                ok = False
                break
            row[f] = fits[0]
        if not ok:
            continue
        values = [threshold, np.nextafter(threshold, -np.inf), np.nextafter(threshold, np.inf)]
        if library == "xgboost":
            t32 = np.float32(threshold)
            values += [float(np.nextafter(t32, np.float32(-np.inf))),
                       float(np.nextafter(t32, np.float32(np.inf)))]
        rules = [(s, left) for s, left in path if s[0] == feature]
        for v in values:
            if all(goes_left(library, s, v) == l for s, l in rules):
                probe = row.copy()
                probe[feature] = v
                probes.append(probe)
    return probes


def cell(v):
    """A feature value as JSON: NaN as null, infinities as the strings "inf" and "-inf"."""
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def rows_json(x):
    return [[cell(v) for v in row] for row in x]


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
    rows = eval_rows(rng, categorical, xgb_trees(json.loads(text)), "xgboost")
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
    rows = eval_rows(rng, categorical, lgb_trees(dump), "lightgbm")
    margins = np.asarray(booster.predict(rows, raw_score=True), dtype=np.float64)
    margins = margins.reshape(len(rows), -1)
    write(outdir, name, json.dumps(dump), rows, margins.tolist(), manifest,
          library="lightgbm", kind="categorical" if categorical else "numeric",
          outputs=margins.shape[1], objective=objective)


def linear_features(rng, n):
    """Complete rows (linear models take no NaN): normal, uniform, exponential, integer 0..20,
    a wide normal (scale 50) and a narrow one (scale 0.01), so the products differ in size."""
    return np.column_stack([
        rng.normal(size=n),
        rng.uniform(-2, 2, size=n),
        rng.exponential(size=n),
        rng.integers(0, 21, size=n).astype(float),
        rng.normal(scale=50.0, size=n),
        rng.normal(scale=0.01, size=n),
    ])


def sklearn_models(outdir, rng):
    """Fits, exports and predicts the linear models; returns their manifest entries."""
    x = linear_features(rng, TRAIN_ROWS)
    # Unit-scale columns for the targets, so every column matters but none dominates.
    z = x / np.array([1.0, 1.0, 1.0, 6.0, 50.0, 0.01])
    noise = rng.normal(size=(TRAIN_ROWS, 3))
    regression = z @ np.array([0.7, -1.2, 0.4, 0.3, -0.5, 0.9]) + 2.0 + noise[:, 0]
    targets = np.column_stack([regression, z @ np.array([-0.2, 0.5, 1.1, 0, 0.3, -0.4]) - 1.0
                               + noise[:, 1], z[:, 0] * 0.1 + noise[:, 2]])
    scores = z @ rng.normal(size=(6, 4)) + rng.gumbel(size=(TRAIN_ROWS, 4))
    binary = (scores[:, 0] > scores[:, 1]).astype(int)
    # String labels for the multi-class models: `classes_` sorts them, and class i is action i.
    labels = np.array(["c0", "c1", "c2", "c3"])[scores.argmax(axis=1)]
    models = [
        ("sk_linear_regression", LinearRegression(), regression),
        ("sk_linear_regression_3_targets", LinearRegression(), targets),
        ("sk_ridge", Ridge(alpha=3.0), regression),
        ("sk_ridge_no_intercept", Ridge(alpha=0.5, fit_intercept=False), regression),
        ("sk_logistic_binary", LogisticRegression(C=0.5, max_iter=2000), binary),
        ("sk_logistic_multinomial", LogisticRegression(max_iter=2000), labels),
        # SGD diverges on unscaled columns: the pipeline's scaler stands in front of it.
        ("sk_sgd_regressor", make_pipeline(StandardScaler(), SGDRegressor(random_state=SEED)),
         regression),
        ("sk_sgd_classifier_ovr", make_pipeline(
            StandardScaler(), SGDClassifier(loss="log_loss", random_state=SEED)), labels),
        ("sk_scaled_logistic", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
         binary),
    ]
    rows = linear_features(rng, EVAL_ROWS)
    entries = []
    for name, model, y in models:
        model.fit(x, y)
        final = model[-1] if hasattr(model, "steps") else model
        export_sklearn.export(final, os.path.join(outdir, f"{name}.sklearn.json"))
        is_classifier = hasattr(final, "classes_")
        raw = model.decision_function(rows) if is_classifier else model.predict(rows)
        raw = np.asarray(raw, dtype=np.float64).reshape(len(rows), -1)
        data = {"rows": rows.tolist(), "outputs": raw.tolist()}
        entry = {"name": name, "estimator": type(final).__name__, "outputs": raw.shape[1],
                 "features": rows.shape[1]}
        if is_classifier:
            classes = list(final.classes_)
            data["predicted"] = [classes.index(c) for c in model.predict(rows)]
        if hasattr(model, "steps"):
            scaler = model[0]
            entry["standardize"] = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
        with open(os.path.join(outdir, f"{name}.data.json"), "w") as f:
            json.dump(data, f)
        entries.append(entry)
        print(f"{name}: {len(rows)} rows, {raw.shape[1]} outputs", flush=True)
    return entries


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python train.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = []
    print(f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, "
          f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")

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

    linear = sklearn_models(outdir, rng)

    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"xgboost": xgb.__version__, "lightgbm": lgb.__version__,
                   "sklearn": sklearn.__version__, "models": manifest,
                   "linear_models": linear}, f, indent=1)


if __name__ == "__main__":
    main()
