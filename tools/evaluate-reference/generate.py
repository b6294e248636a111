"""Writes a deterministic synthetic event log in the SDK's NDJSON format (DESIGN §6), the
analysis specs and a target bundle, for the reference checks of `tandem evaluate`.

Usage: python generate.py OUT_DIR [UNITS]

The population has what the reducer must handle: three arms (34/33/33), repeated exposures,
units exposed to two arms, held-out units, failed arms, exposures of another experiment,
outcomes before the exposure (CUPED lookback), inside and after the metric windows, tracks of
units never exposed, and decisions of a softmax bundle with their logged context and clicks.
Events are in time order up to a few seconds of jitter (within lateness_ms).
"""
import json
import math
import os
import sys

import numpy as np

DAY = 86_400_000
T0 = 1_790_000_000_000
ARMS = [("control", 34), ("cb-v1", 33), ("cb-v2", 33)]
ACTIONS = ["a", "b", "c"]
SEGMENTS = ["new", "returning", "vip"]
# The logging bundle's softmax scores per segment and the effect of x.
LOG_SCORES = {"new": [0.0, 0.3, -0.2], "returning": [0.2, 0.0, 0.1], "vip": [-0.1, 0.2, 0.4]}
CLICK = {"new": [0.05, 0.10, 0.04], "returning": [0.12, 0.06, 0.08], "vip": [0.05, 0.07, 0.20]}


def softmax(scores, temperature=1.0):
    m = max(scores)
    e = [math.exp((s - m) / temperature) for s in scores]
    z = sum(e)
    return [v / z for v in e]


def main():
    out = sys.argv[1]
    units = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    events = []

    def exposure(unit, variant, t, holdout=None, error=None, experiment="checkout-personalization"):
        e = {"type": "exposure", "flag": "checkout-button", "variant": variant,
             "experiment": experiment, "layer": "checkout", "unit": unit,
             "reason": "ERROR" if error else ("DEFAULT" if holdout else "SPLIT"),
             "revision": "r1", "timestamp": int(t)}
        if holdout:
            e["holdout"] = holdout
        if error:
            e["errorCode"] = error
        events.append(e)

    def track(unit, name, t, value=None):
        e = {"type": "track", "name": name, "unit": unit, "timestamp": int(t)}
        if value is not None:
            e["value"] = float(value)
        events.append(e)

    weights = np.array([w for _, w in ARMS], dtype=float)
    weights /= weights.sum()
    lift = {"control": 0.0, "cb-v1": 0.010, "cb-v2": 0.025}
    for i in range(units):
        unit = f"u{i}"
        arm = ARMS[rng.choice(3, p=weights)][0]
        start = T0 + rng.integers(0, 7 * DAY)
        propensity = rng.beta(2, 18)  # the unit's own purchase propensity
        held_out = rng.random() < 0.02
        if held_out:
            exposure(unit, "control", start, holdout="q4-global")
        else:
            failed = arm == "cb-v2" and rng.random() < 0.03
            exposure(unit, arm, start, error="GENERAL" if failed else None)
            for _ in range(rng.poisson(1.0)):
                exposure(unit, arm, start + rng.integers(1, 10 * DAY))
            if rng.random() < 0.01:
                other = ARMS[(ARMS.index((arm, dict(ARMS)[arm])) + 1) % 3][0]
                exposure(unit, other, start + rng.integers(1, 3 * DAY))
        if rng.random() < 0.02:
            exposure(unit, "x", start + 5, experiment="another-experiment")
        # Pre-period purchases (some older than the 14-day lookback).
        for _ in range(rng.poisson(propensity * 8)):
            track(unit, "purchase", start - rng.integers(1, 20 * DAY), round(rng.lognormal(3.5, 0.6), 2))
        # Post-period: purchases within and after the 7-day window.
        rate = propensity * (1 + lift[arm]) * 4
        for _ in range(rng.poisson(rate)):
            t = start + rng.integers(0, 10 * DAY)
            track(unit, "purchase", t, round(rng.lognormal(3.5 + 2 * lift[arm], 0.6), 2))
            if rng.random() < 0.08 + (0.01 if arm == "cb-v2" else 0.0):
                track(unit, "refund", t + rng.integers(1, DAY))
        for _ in range(rng.poisson(2.0)):
            track(unit, "latency_ms", start + rng.integers(0, 7 * DAY), round(rng.gamma(4.0, 30.0), 1))
    # Tracks of units never exposed.
    for i in range(units // 10):
        track(f"visitor{i}", "purchase", T0 + rng.integers(0, 10 * DAY), 12.5)
    # Decisions of the logging bundle offers@2 (softmax over segment scores + 0.5 x) with clicks.
    for i in range(units):
        unit = f"u{i}"
        segment = SEGMENTS[rng.integers(0, 3)]
        for _ in range(1 + rng.poisson(0.8)):
            x = round(float(rng.normal()), 4)
            t = T0 + rng.integers(0, 10 * DAY)
            scores = [s + 0.5 * x * (k - 1) for k, s in enumerate(LOG_SCORES[segment])]
            probabilities = softmax(scores)
            a = int(rng.choice(3, p=probabilities))
            events.append({"type": "decision", "flag": "offer", "variant": "personal",
                           "unit": unit, "reason": "STATIC", "policy": "offers@2",
                           "digest": "xxh3-128:" + "0" * 32, "action": ACTIONS[a],
                           "propensity": probabilities[a], "probabilities": probabilities,
                           "optimalityGap": max(scores) - scores[a], "decisionKey": "",
                           "context": {"targetingKey": unit, "segment": segment, "x": x},
                           "timestamp": int(t)})
            p_click = min(0.95, CLICK[segment][a] * (1 + 0.3 * x * (a - 1)))
            if rng.random() < max(p_click, 0.0):
                track(unit, "click", t + rng.integers(1, 3_600_000))
    # Time order with a few seconds of jitter (the reducer allows lateness_ms of disorder).
    jitter = rng.integers(0, 5000, size=len(events))
    order = sorted(range(len(events)), key=lambda k: events[k]["timestamp"] + jitter[k])
    with open(os.path.join(out, "events.ndjson"), "w") as f:
        for k in order:
            f.write(json.dumps(events[k], separators=(",", ":")) + "\n")

    metrics = [
        {"name": "conversion", "event": "purchase", "aggregation": "any",
         "window": {"start_ms": 0, "end_ms": 7 * DAY}, "direction": "higher", "kind": "success"},
        {"name": "revenue", "event": "purchase", "aggregation": "sum",
         "window": {"start_ms": 0, "end_ms": 7 * DAY}, "cuped": {"lookback_ms": 14 * DAY},
         "direction": "higher", "kind": "success"},
        {"name": "orders", "event": "purchase", "aggregation": "count",
         "window": {"start_ms": 0, "end_ms": 7 * DAY}, "direction": "higher", "kind": "monitor"},
        {"name": "aov", "numerator": "revenue", "denominator": "orders", "direction": "higher",
         "kind": "guardrail", "margin": 0.05},
        {"name": "refunds", "event": "refund", "aggregation": "count",
         "window": {"start_ms": 0, "end_ms": 8 * DAY}, "direction": "lower", "kind": "guardrail",
         "margin": 0.2},
        {"name": "latency", "event": "latency_ms", "aggregation": "mean", "direction": "lower",
         "kind": "monitor"},
    ]
    spec = {"experiment": "checkout-personalization", "allocation": [list(a) for a in ARMS],
            "control": "control", "alpha": 0.05, "power": 0.8, "test": "welch",
            "lateness_ms": 3_600_000, "metrics": metrics,
            "ope": {"policy": "offers", "actions": ACTIONS,
                    "reward": {"event": "click", "aggregation": "any", "window_ms": 3_600_000},
                    "folds": 5, "model": {"cell_mean": {"inputs": ["segment"]}},
                    "targets": [{"name": "greedy-v3", "bundle": "greedy-v3.json"},
                                {"name": "always-b", "action": "b"}]}}
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    z = dict(spec, test="z", correction="holm",
             sequential={"planned_units": 8000, "previous_looks": [2000, 4000]})
    del z["ope"]
    with open(os.path.join(out, "spec-z.json"), "w") as f:
        json.dump(z, f, indent=1)
    av = dict(spec, correction="bh", sequential={"always_valid": {"tuning": 5000}})
    del av["ope"]
    with open(os.path.join(out, "spec-always-valid.json"), "w") as f:
        json.dump(av, f, indent=1)
    # The target: greedy on segment (one_hot) with ε = 0.1, and a ridge-model spec on it.
    bundle = {"id": "offers", "version": 3,
              "actions": [{"key": k, "value": k} for k in ACTIONS],
              "features": [{"name": "segment", "source": "segment", "kind": "categorical",
                            "transform": {"one_hot": {"categories": SEGMENTS}}, "missing": "indicator"},
                           {"name": "x", "source": "x", "kind": "numeric", "transform": "identity",
                            "missing": 0.0}],
              "scorer": {"linear": {"weights": [[0.0, 0.12, 0.05, 0.0, -0.3],
                                                [0.1, 0.0, 0.07, 0.0, 0.0],
                                                [0.04, 0.08, 0.2, 0.0, 0.3]],
                                    "bias": [0.0, 0.0, 0.0]}},
              "exploration": {"epsilon_greedy": {"epsilon": 0.1}}, "vectors": []}
    with open(os.path.join(out, "greedy-v3.json"), "w") as f:
        json.dump(bundle, f, indent=1)
    ridge = json.loads(json.dumps(spec))
    ridge["ope"]["model"] = {"ridge": {"bundle": "greedy-v3", "lambda": 2.0}}
    with open(os.path.join(out, "spec-ridge.json"), "w") as f:
        json.dump(ridge, f, indent=1)


if __name__ == "__main__":
    main()
