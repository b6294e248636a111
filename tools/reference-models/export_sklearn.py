"""Exports a fitted scikit-learn linear model to the JSON that `tandem import sklearn` reads.

    from export_sklearn import export
    export(model, "model.json")          # then: tandem import sklearn model.json --spec spec.json

or, for a model pickled with joblib:

    python export_sklearn.py MODEL.joblib OUT.json

Supported estimators: LinearRegression, Ridge, SGDRegressor (one or several targets),
LogisticRegression (binary or multinomial) and SGDClassifier. The file holds sklearn's own
attributes, unchanged, so the scores Tandem computes are the model's `decision_function`
(regressors: `predict`):

    {"format": "tandem-sklearn-linear", "version": 1, "estimator": "LogisticRegression",
     "sklearn": "1.9.1", "n_features": d, "feature_names": null or [d names],
     "coef": [[d numbers], ...], "intercept": [one number per coef row],
     "classes": null (regressors) or [labels], "link": "identity" | "sigmoid" | "softmax"}

- `coef` is always a list of rows, one per output of `decision_function`: a single-target
  regressor and a binary classifier have one row (the binary row scores `classes[1]` against
  `classes[0]`), a multinomial classifier one row per class, in `classes` order.
- `intercept` has one number per row (0.0 without `fit_intercept`).
- `link` records what turns the scores into the model's predictions: `sigmoid` for a binary
  log-loss classifier and for SGDClassifier's one-vs-rest log-loss rows, `softmax` for a
  multinomial LogisticRegression, `identity` otherwise (regressors, hinge losses).
- Numbers are written with Python's float repr (`json` does), which reads back to the same
  double: the weights are exactly the model's.

The preprocessing is not exported: the bundle's `features` must produce the columns the model
was fitted on, in order (a StandardScaler in front of the model becomes `standardize` transforms
with its `mean_` and `scale_`). docs/policy-bundles.md "Importing" says how outputs map to
actions.
"""

import json
import math
import sys

import numpy as np
import sklearn

FORMAT = "tandem-sklearn-linear"
VERSION = 1
REGRESSORS = ("LinearRegression", "Ridge", "SGDRegressor")
CLASSIFIERS = ("LogisticRegression", "SGDClassifier")


def _floats(values, what):
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{what}: the model holds non-finite numbers")
    return out


def _link(model, estimator, rows):
    if estimator in REGRESSORS:
        return "identity"
    # Only log loss makes the scores log-odds; hinge and the other SGD losses do not.
    log_loss = estimator == "LogisticRegression" or model.loss == "log_loss"
    if not log_loss:
        return "identity"
    # LogisticRegression fits one multinomial model for 3+ classes; SGDClassifier fits one
    # binary model per class (one-vs-rest).
    if rows > 1 and estimator == "LogisticRegression":
        return "softmax"
    return "sigmoid"


def to_dict(model):
    """The export of a fitted model as a dict (what `export` writes)."""
    estimator = type(model).__name__
    if estimator not in REGRESSORS + CLASSIFIERS:
        raise TypeError(f"{estimator} is not supported; supported: "
                        f"{', '.join(REGRESSORS + CLASSIFIERS)}")
    if not hasattr(model, "coef_"):
        raise ValueError(f"{estimator} is not fitted")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    rows, d = coef.shape
    # A scalar intercept (fit_intercept=False, or a single target) applies to every row.
    intercept = np.broadcast_to(np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64)),
                                (rows,))
    names = getattr(model, "feature_names_in_", None)
    classes = None
    if estimator in CLASSIFIERS:
        classes = np.asarray(model.classes_).tolist()
    return {
        "format": FORMAT,
        "version": VERSION,
        "estimator": estimator,
        "sklearn": sklearn.__version__,
        "n_features": int(d),
        "feature_names": None if names is None else [str(n) for n in names],
        "coef": [_floats(row, "coef") for row in coef],
        "intercept": _floats(intercept, "intercept"),
        "classes": classes,
        "link": _link(model, estimator, rows),
    }


def export(model, path):
    """Writes a fitted linear model to `path` as JSON for `tandem import sklearn`.

    Raises TypeError for an unsupported estimator and ValueError for an unfitted one or one
    with non-finite weights.
    """
    data = to_dict(model)
    with open(path, "w") as f:
        # allow_nan=False: JSON has no NaN or infinity, and the importer refuses them anyway.
        json.dump(data, f, allow_nan=False)
        f.write("\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: python export_sklearn.py MODEL.joblib OUT.json")
    import joblib

    export(joblib.load(sys.argv[1]), sys.argv[2])


if __name__ == "__main__":
    main()
