"""Trains the example's offer model: which of three offers a user responds to, from age, visits
and device. Writes XGBoost's own JSON model (Booster.save_model), as an ML stack would.

    python3 train.py model.json      # needs xgboost (tools/reference-models/requirements.txt)
"""

import sys

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(7)
n = 4000
age = rng.uniform(18, 75, n)
visits = rng.poisson(6, n).astype(float)
device = rng.integers(0, 3, n).astype(float)  # 0 = web, 1 = ios, 2 = android
# Synthetic ground truth: young frequent visitors like free shipping, older users the discount,
# app users the bundle; noise keeps it a learning problem.
logits = np.stack(
    [
        1.5 - 0.04 * (age - 18) + 0.1 * visits,
        -1.0 + 0.05 * (age - 18),
        -0.5 + 1.2 * (device > 0),
    ],
    axis=1,
) + rng.normal(0, 0.8, (n, 3))
label = logits.argmax(axis=1)
missing = rng.random(n) < 0.05
visits[missing] = np.nan  # the model learns where missing visits go

features = np.stack([age, visits, device], axis=1)
dtrain = xgb.DMatrix(features, label=label, feature_names=["age", "visits", "device"])
params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3, "seed": 7}
booster = xgb.train(params, dtrain, num_boost_round=20)
booster.save_model(sys.argv[1] if len(sys.argv) > 1 else "model.json")
