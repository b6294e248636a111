"""Computes every number `tandem evaluate` reports with the reference packages, from the same
inputs, and writes them to OUT_DIR/expected.json for sdk-eval/tests/reference.rs.

Usage: python reference.py DIR TANDEM [OBD_DIR]

DIR holds generate.py's output; TANDEM is the tandem binary (only its `--sql` output is used:
the SQL is run by DuckDB here, and its statistics are the input of every reference package).

- DuckDB runs the rendered SQL over the events: DIR/duckdb-stats*.csv (compared with the Rust
  reducer's statistics by the Rust test, 1e-9 relative).
- scipy: Welch's t-test on the per-unit values (statistic, p, df, CI), χ² for the SRM.
- gbstats 0.8.0: absolute and relative differences (delta method), CUPED (pooled θ), ratio
  metrics, SRM, and the always-valid sequential test.
- spotify-confidence 4.1.0: the z-test (difference, CI, p), non-inferiority p-values against
  −margin × control mean, and group-sequential bounds (α·t² spending).
- statsmodels: Holm and Benjamini–Hochberg adjusted p-values.
- vw-estimators 0.2.2 and obp 0.5.7's estimators: IPS, SNIPS (and vw's Gaussian interval),
  DM and DR given the cross-fitted cell-mean reward model computed here with pandas.
"""
import glob
import json
import os
import subprocess
import sys
import types

import duckdb
import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.stats.multitest as multitest
import xxhash

from gbstats.frequentist.tests import FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest, TwoSidedTTest
from gbstats.models.statistics import RatioStatistic, RegressionAdjustedStatistic, SampleMeanStatistic, compute_theta
from gbstats.utils import check_srm
import spotify_confidence as confidence
from spotify_confidence.analysis.frequentist.confidence_computers.z_test_computer import sequential_bounds
from estimators.bandits import gaussian, ips as vw_ips, snips as vw_snips


def load_obp():
    """obp 0.5.7's estimators module without the rest of obp (its package imports torch,
    which the estimator formulas do not use)."""
    site = [p for p in sys.path if p.endswith("site-packages")][0]
    torch = types.ModuleType("torch")
    torch.Tensor = type("Tensor", (), {})
    torch.tensor = torch.Tensor
    sys.modules.setdefault("torch", torch)
    for name in ["obp", "obp.ope"]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(site, *name.split("."))]
        sys.modules[name] = module
    from obp.ope import estimators
    return estimators


EVENT_COLUMNS = {"type": "VARCHAR", "experiment": "VARCHAR", "variant": "VARCHAR", "holdout": "VARCHAR",
                 "unit": "VARCHAR", "errorCode": "VARCHAR", "name": "VARCHAR", "value": "DOUBLE",
                 "timestamp": "BIGINT", "policy": "VARCHAR"}


def duckdb_stats(con, sql_dir):
    rows = []
    for path in sorted(glob.glob(os.path.join(sql_dir, "*.sql"))):
        text = open(path).read()
        if os.path.basename(path).startswith("00_"):
            con.execute(text)
        else:
            rows.extend(con.execute(text).fetchall())
    return rows


def write_csv(rows, experiment, path):
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return repr(v)
        return str(v)
    with open(path, "w") as f:
        f.write("section,group,name,fold,n,sum_y,sum_y2,sum_x,sum_x2,sum_xy\n")
        f.write(f"experiment,{experiment},,,,,,,,\n")
        for r in rows:
            f.write(",".join(cell(v) for v in r) + "\n")


def per_unit(con, sql_dir, metric_name):
    """The per-unit (arm, y, x) rows behind one metric's sums."""
    [path] = [p for p in glob.glob(os.path.join(sql_dir, "*_metric_*.sql")) if f"'{metric_name}' AS name" in open(p).read()]
    text = open(path).read()
    inner = text[text.index("FROM (SELECT arm") + 5: text.rindex(") per_unit") + 1]
    return con.execute(f"SELECT arm, y, x FROM {inner} per_unit").df()


def stat_for(kind, s):
    """gbstats statistics from one arm's sums (sample variances: SampleMeanStatistic)."""
    if kind == "ratio":
        return RatioStatistic(n=int(s["n"]),
                              m_statistic=SampleMeanStatistic(n=int(s["n"]), sum=s["sum_y"], sum_squares=s["sum_y2"]),
                              d_statistic=SampleMeanStatistic(n=int(s["n"]), sum=s["sum_x"], sum_squares=s["sum_x2"]),
                              m_d_sum_of_products=s["sum_xy"])
    if kind == "cuped":
        return RegressionAdjustedStatistic(
            n=int(s["n"]), post_statistic=SampleMeanStatistic(n=int(s["n"]), sum=s["sum_y"], sum_squares=s["sum_y2"]),
            pre_statistic=SampleMeanStatistic(n=int(s["n"]), sum=s["sum_x"], sum_squares=s["sum_x2"]),
            post_pre_sum_of_products=s["sum_xy"], theta=0.0)
    return SampleMeanStatistic(n=int(s["n"]), sum=s["sum_y"], sum_squares=s["sum_y2"])


def ab_reference(con, spec, stats, sql_dir):
    arms = [a for a, _ in spec["allocation"]]
    control = spec.get("control", arms[0])
    alpha = spec.get("alpha", 0.05)
    units = {r["group"]: r["n"] for r in stats if r["section"] == "arm"}
    observed = [units.get(a, 0) for a in arms]
    weights = [w for _, w in spec["allocation"]]
    total = sum(observed)
    expected_counts = [total * w / sum(weights) for w in weights]
    chi = scipy.stats.chisquare(observed, expected_counts)
    out = {"srm": {"chi2": chi.statistic, "p_value_scipy": chi.pvalue,
                   "p_value_gbstats": check_srm(observed, weights)}, "metrics": []}
    sums = {(r["name"], r["group"]): r for r in stats if r["section"] == "metric"}
    for m in spec["metrics"]:
        kind = "ratio" if "numerator" in m else ("cuped" if "cuped" in m else "plain")
        unit_rows = per_unit(con, sql_dir, m["name"]) if kind == "plain" else None
        for arm in arms:
            if arm == control:
                continue
            c, t = sums[(m["name"], control)], sums[(m["name"], arm)]
            entry = {"metric": m["name"], "arm": arm}
            a, b = stat_for(kind, c), stat_for(kind, t)
            if kind == "cuped":
                theta = compute_theta(a, b)
                a.theta = theta
                b.theta = theta
                entry["theta"] = theta
            for difference_type in ["absolute", "relative"]:
                test = TwoSidedTTest(a, b, FrequentistConfig(alpha=alpha, difference_type=difference_type))
                r = test.compute_result()
                entry[f"gbstats_{difference_type}"] = {"estimate": r.expected, "ci": list(r.ci),
                                                       "p_value": r.p_value, "se": float(np.sqrt(test.variance)),
                                                       "df": float(test.dof)}
                seq = SequentialTwoSidedTTest(a, b, SequentialConfig(alpha=alpha, difference_type=difference_type,
                                                                    sequential_tuning_parameter=5000))
                rs = seq.compute_result()
                entry[f"gbstats_sequential_{difference_type}"] = {"ci": list(rs.ci), "p_value": rs.p_value}
            if unit_rows is not None:
                y_c = unit_rows[unit_rows.arm == control].y.to_numpy()
                y_t = unit_rows[unit_rows.arm == arm].y.to_numpy()
                res = scipy.stats.ttest_ind(y_t, y_c, equal_var=False)
                ci = res.confidence_interval(1 - alpha)
                entry["scipy_welch"] = {"statistic": res.statistic, "p_value": res.pvalue, "df": res.df,
                                        "ci": [ci.low, ci.high]}
            out["metrics"].append(entry)
    return out


def z_reference(spec, stats):
    """spotify-confidence's z-test formulas (its z_test_computer: point estimate, variance with
    p(1 - p) for binary data, standard error, p-value and interval, non-inferiority nulls) on the
    sums of the plain metrics. Called on hand-built frames: the package's high-level
    `ZTest.difference` pipeline fails under the pandas 1.5 that gbstats 0.8.0 pins."""
    import spotify_confidence.analysis.frequentist.confidence_computers.z_test_computer as zc
    arms = [a for a, _ in spec["allocation"]]
    control = spec.get("control", arms[0])
    alpha = spec.get("alpha", 0.05)
    kw = {"numerator": "numerator", "denominator": "denominator",
          "numerator_sum_of_squares": "numerator_sum_of_squares"}
    sums = {(r["name"], r["group"]): r for r in stats if r["section"] == "metric"}
    out = {"metrics": []}
    success = []
    for m in spec["metrics"]:
        if "numerator" in m or "cuped" in m:
            continue
        # One frame of all arms, as confidence's pipeline groups by metric: its binary-data
        # test (Σy² = Σy) then looks at every arm together.
        every = pd.DataFrame([{"arm": arm, "numerator": sums[(m["name"], arm)]["sum_y"],
                               "numerator_sum_of_squares": sums[(m["name"], arm)]["sum_y2"],
                               "denominator": float(sums[(m["name"], arm)]["n"])} for arm in arms])
        every["point_estimate"] = zc.point_estimate(every, **kw)
        every["original_point_estimate"] = every["point_estimate"]
        every["variance"] = zc.variance(every, **kw)

        def arm_frame(arm):
            return every[every.arm == arm].drop(columns=["arm"]).reset_index(drop=True)
        c = arm_frame(control)
        for arm in arms:
            if arm == control:
                continue
            t = arm_frame(arm)
            df = pd.DataFrame({f"{k}_1": c[k] for k in c.columns})
            for k in t.columns:
                df[f"{k}_2"] = t[k]
            df["std_err"] = zc.std_err(df, **kw)
            df["difference"] = df["point_estimate_2"] - df["point_estimate_1"]
            df["alpha"] = alpha
            df["preference_used_in_test"] = "two-sided"
            df["null_hypothesis"] = 0.0
            p = float(np.asarray(zc.p_value(df, **kw))[0])
            lo, hi = zc.ci(df, "alpha", **kw)
            entry = {"metric": m["name"], "arm": arm, "difference": float(df["difference"].iloc[0]),
                     "se": float(df["std_err"].iloc[0]), "ci": [float(np.asarray(lo)[0]), float(np.asarray(hi)[0])],
                     "p_value": p}
            sign = 1 if m["direction"] == "higher" else -1
            if m["kind"] == "guardrail":
                # confidence's null for a non-inferiority margin: -margin x control mean for
                # "increase", +margin x control mean for "decrease"; one-sided test.
                df["null_hypothesis"] = -sign * m["margin"] * float(c["original_point_estimate"].iloc[0])
                df["preference_used_in_test"] = "larger" if sign > 0 else "smaller"
                entry["ni_p_value"] = float(np.asarray(zc.p_value(df, **kw))[0])
            if m["kind"] == "success":
                df["null_hypothesis"] = 0.0
                df["preference_used_in_test"] = "larger" if sign > 0 else "smaller"
                success.append((m["name"], arm, float(np.asarray(zc.p_value(df, **kw))[0])))
            out["metrics"].append(entry)
    out["success_p"] = [{"metric": s[0], "arm": s[1], "p": s[2]} for s in success]
    for method in ["holm", "fdr_bh"]:
        _, adjusted, _, _ = multitest.multipletests([s[2] for s in success], alpha=alpha, method=method)
        out[method] = list(adjusted)
    return out


def bucket(salt, unit):
    h = xxhash.xxh3_64_intdigest(salt.encode() + b"\x00" + unit.encode(), seed=0)
    return (h * 10000) >> 64


def ope_frame(events, spec):
    """Decisions with their attributed rewards and folds, computed here independently."""
    ope = spec["ope"]
    prefix = ope["policy"] + "@"
    decisions = events[(events["type"] == "decision") & events["policy"].fillna("").str.startswith(prefix)].copy()
    decisions = decisions.reset_index(drop=True)
    decisions["order"] = np.arange(len(decisions))
    decisions = decisions.sort_values(["unit", "timestamp", "order"], kind="stable").reset_index(drop=True)
    clicks = events[(events["type"] == "track") & (events["name"] == ope["reward"]["event"])]
    by_unit = {u: np.sort(g.timestamp.to_numpy()) for u, g in clicks.groupby("unit")}
    rewards = []
    for i, row in decisions.iterrows():
        end = row.timestamp + ope["reward"]["window_ms"]
        if i + 1 < len(decisions) and decisions.unit[i + 1] == row.unit:
            end = min(end, decisions.timestamp[i + 1])
        ts = by_unit.get(row.unit, np.array([]))
        count = int(((ts >= row.timestamp) & (ts < end)).sum())
        rewards.append(1.0 if count > 0 else 0.0)
    decisions["reward"] = rewards
    decisions["fold"] = [bucket("ope-fold", u) % ope["folds"] for u in decisions.unit]
    decisions["a"] = [ope["actions"].index(a) for a in decisions.action]
    for path in ope["model"].get("cell_mean", {}).get("inputs", []):
        decisions[path] = [c.get(path) for c in decisions.context]
    return decisions


def cell_mean_q(d, inputs, actions, folds):
    """Cross-fitted cell means with the action-mean and overall-mean fallbacks."""
    cells = d[inputs].astype(str).agg("|".join, axis=1) if inputs else pd.Series([""] * len(d))
    q = np.zeros((len(d), actions))
    for k in range(folds):
        train = d.fold != k
        rows = np.where(~train)[0]
        tr = pd.DataFrame({"cell": cells[train], "a": d.a[train], "r": d.reward[train]})
        by_cell = tr.groupby(["cell", "a"]).r.mean().to_dict()
        by_action = tr.groupby("a").r.mean().to_dict()
        overall = tr.r.mean() if len(tr) else 0.0
        for i in rows:
            for a in range(actions):
                q[i, a] = by_cell.get((cells[i], a), by_action.get(a, overall))
    return q


def greedy_features(bundle, context):
    """The greedy-v3 bundle's feature vector: one_hot(segment) with a missing indicator, x."""
    segments = bundle["features"][0]["transform"]["one_hot"]["categories"]
    seg = context.get("segment")
    return [1.0 if seg == s else 0.0 for s in segments] + [0.0 if seg is not None else 1.0] + \
        [float(context.get("x", 0.0))]


def ridge_q(d, features, actions, folds, lam):
    """Cross-fitted ridge per action on [1, features], the intercept unpenalised (numpy)."""
    X = np.hstack([np.ones((len(d), 1)), np.asarray(features)])
    p = X.shape[1]
    penalty = lam * np.diag([0.0] + [1.0] * (p - 1))
    q = np.zeros((len(d), actions))
    for k in range(folds):
        train = (d.fold != k).to_numpy()
        test = ~train
        for a in range(actions):
            rows = train & (d.a == a).to_numpy()
            beta = np.linalg.solve(X[rows].T @ X[rows] + penalty, X[rows].T @ d.reward.to_numpy()[rows])
            q[test, a] = X[test] @ beta
    return q


def greedy_probabilities(bundle, context, actions):
    """ε-greedy over a linear scorer with one_hot(segment) + identity(x) features."""
    segments = bundle["features"][0]["transform"]["one_hot"]["categories"]
    seg = context.get("segment")
    onehot = [1.0 if seg == s else 0.0 for s in segments]
    indicator = [0.0 if seg is not None else 1.0]
    x = [float(context.get("x", 0.0))]
    features = onehot + indicator + x
    w = bundle["scorer"]["linear"]["weights"]
    b = bundle["scorer"]["linear"]["bias"]
    scores = [b[a] + sum(wi * fi for wi, fi in zip(w[a], features)) for a in range(actions)]
    best = scores.index(max(scores))
    eps = bundle["exploration"]["epsilon_greedy"]["epsilon"]
    return [eps / actions + (1 - eps if a == best else 0.0) for a in range(actions)]


def ope_reference(d, spec, targets, est, alpha=0.05, q=None):
    """IPS, SNIPS, DM, DR per target with obp, IPS and SNIPS with vw-estimators."""
    ope = spec["ope"]
    actions = len(ope["actions"])
    inputs = ope["model"].get("cell_mean", {}).get("inputs", []) if "cell_mean" in ope["model"] else None
    if q is None and inputs is not None:
        q = cell_mean_q(d, inputs, actions, ope["folds"])
    out = {"decisions": len(d), "mean_reward": float(d.reward.mean()), "targets": {}}
    for name, dist in targets.items():
        action_dist = dist[:, :, None]
        kwargs = dict(reward=d.reward.to_numpy(), action=d.a.to_numpy(), action_dist=action_dist,
                      pscore=d.propensity.to_numpy(), position=np.zeros(len(d), dtype=int))
        t = {"ips": est.InverseProbabilityWeighting().estimate_policy_value(**kwargs),
             "snips": est.SelfNormalizedInverseProbabilityWeighting().estimate_policy_value(**kwargs)}
        if q is not None:
            t["dm"] = est.DirectMethod().estimate_policy_value(action_dist=action_dist,
                                                               estimated_rewards_by_reg_model=q[:, :, None],
                                                               position=np.zeros(len(d), dtype=int))
            t["dr"] = est.DoublyRobust().estimate_policy_value(estimated_rewards_by_reg_model=q[:, :, None], **kwargs)
        vi, vs, vg = vw_ips.Estimator(), vw_snips.Estimator(), gaussian.Interval()
        p_pred = dist[np.arange(len(d)), d.a.to_numpy()]
        for p_log, r, p in zip(d.propensity, d.reward, p_pred):
            vi.add_example(p_log, r, p)
            vs.add_example(p_log, r, p)
            vg.add_example(p_log, r, p)
        t["vw_ips"] = vi.get()
        t["vw_snips"] = vs.get()
        t["vw_ips_interval"] = vg.get(alpha)
        w = p_pred / d.propensity.to_numpy()
        t["mean_weight"] = float(w.mean())
        t["max_weight"] = float(w.max())
        t["ess"] = float(w.sum() ** 2 / (w ** 2).sum())
        # Per-unit delta-method standard errors (units with several decisions), numpy.
        frame = pd.DataFrame({"unit": d.unit, "wr": w * d.reward.to_numpy(), "w": w, "m": 1.0})
        if q is not None:
            dm = (dist * q).sum(axis=1)
            frame["dr"] = dm + w * (d.reward.to_numpy() - q[np.arange(len(d)), d.a.to_numpy()])
        g = frame.groupby("unit").sum()
        def ratio_se(y, x):
            r = y.sum() / x.sum()
            n = len(y)
            return float(np.sqrt(((y - r * x) ** 2).sum() / (n - 1) / n) / x.mean())
        t["ips_se"] = ratio_se(g.wr, g.m)
        t["snips_se"] = ratio_se(g.wr, g.w)
        if q is not None:
            t["dr_se"] = ratio_se(g.dr, g.m)
        out["targets"][name] = t
    return out


def main():
    root, tandem = sys.argv[1], sys.argv[2]
    obd = sys.argv[3] if len(sys.argv) > 3 else None
    expected = {}
    events = pd.read_json(os.path.join(root, "events.ndjson"), lines=True, dtype=False, convert_dates=False)
    con = duckdb.connect()
    columns = ", ".join(f"'{k}': '{v}'" for k, v in EVENT_COLUMNS.items())
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{root}/events.ndjson', format='newline_delimited', columns={{{columns}}})")
    con.execute("CREATE TABLE tandem_events AS SELECT type, experiment, variant, holdout, unit, "
                "\"errorCode\" AS error_code, name, value, timestamp, policy FROM raw")
    for name in ["spec", "spec-z", "spec-always-valid"]:
        spec = json.load(open(os.path.join(root, f"{name}.json")))
        sql_dir = os.path.join(root, f"sql-{name}")
        subprocess.run([tandem, "evaluate", "--spec", os.path.join(root, f"{name}.json"), "--sql", sql_dir], check=True)
        rows = duckdb_stats(con, sql_dir)
        write_csv(rows, spec["experiment"], os.path.join(root, f"duckdb-stats-{name}.csv"))
        keys = ["section", "group", "name", "fold", "n", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy"]
        stats = [dict(zip(keys, r)) for r in rows]
        entry = ab_reference(con, spec, stats, sql_dir)
        if spec.get("test") == "z":
            entry["z"] = z_reference(spec, stats)
            seq = spec["sequential"]
            current = sum(r["n"] for r in stats if r["section"] == "arm")
            fractions = [n / seq["planned_units"] for n in seq["previous_looks"]] + [current / seq["planned_units"]]
            bounds = sequential_bounds(np.array(fractions), alpha=spec["alpha"], sides=2)
            entry["sequential"] = {"fractions": fractions, "two_sided": [float(z) for z in bounds.df["zb"]]}
        expected[name] = entry
    # Off-policy evaluation of the synthetic decisions.
    est = load_obp()
    spec = json.load(open(os.path.join(root, "spec.json")))
    d = ope_frame(events, spec)
    actions = len(spec["ope"]["actions"])
    bundle = json.load(open(os.path.join(root, "greedy-v3.json")))
    targets = {a: np.eye(actions)[np.full(len(d), i)] for i, a in enumerate(spec["ope"]["actions"])}
    targets["greedy-v3"] = np.array([greedy_probabilities(bundle, c, actions) for c in d.context])
    targets["always-b"] = targets["b"]
    expected["ope"] = ope_reference(d, spec, targets, est)
    # The same with the ridge reward model on greedy-v3's features.
    ridge_spec = json.load(open(os.path.join(root, "spec-ridge.json")))
    lam = ridge_spec["ope"]["model"]["ridge"]["lambda"]
    q = ridge_q(d, [greedy_features(bundle, c) for c in d.context], actions, spec["ope"]["folds"], lam)
    expected["ope_ridge"] = ope_reference(d, ridge_spec, targets, est, q=q)
    if obd:
        expected["obd"] = {}
        for campaign in ["random", "bts"]:
            frame = pd.read_csv(os.path.join(obd, campaign, "all", "all.csv"), index_col=0)
            folder = os.path.join(root, f"obd-{campaign}")
            os.makedirs(folder, exist_ok=True)
            write_obd(frame, folder)
            ospec = json.load(open(os.path.join(folder, "spec.json")))
            od = pd.DataFrame({"unit": [f"row{i}" for i in range(len(frame))],
                               "a": frame.item_id.to_numpy(), "propensity": frame.propensity_score.to_numpy(),
                               "reward": frame.click.astype(float).to_numpy(), "position": frame.position.to_numpy()})
            od["fold"] = [bucket("ope-fold", u) % ospec["ope"]["folds"] for u in od.unit]
            od = od.sort_values("unit", kind="stable").reset_index(drop=True)
            od["timestamp"] = 0
            n_items = 80
            targets = {f"item{i}": np.eye(n_items)[np.full(len(od), i)] for i in [0, 7, 25, 79]}
            uniform = np.full((len(od), n_items), 1.0 / n_items)
            targets["uniform"] = uniform
            expected["obd"][campaign] = ope_reference(od, ospec, targets, est)
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"wrote {os.path.join(root, 'expected.json')}")


def write_obd(frame, folder):
    """The Open Bandit Dataset sample as Tandem decision and track events: one decision per row
    (its own unit), the item as the action, the logged propensity, the position as logged
    context; a click as a `click` track one millisecond later."""
    with open(os.path.join(folder, "events.ndjson"), "w") as f:
        for i, row in enumerate(frame.itertuples()):
            unit = f"row{i}"
            t = int(pd.Timestamp(row.timestamp).value // 1_000_000) if isinstance(row.timestamp, str) else i
            f.write(json.dumps({"type": "decision", "flag": "recommend", "variant": "v", "unit": unit,
                                "reason": "STATIC", "policy": "obd@1", "digest": "", "action": f"item{row.item_id}",
                                "propensity": float(row.propensity_score), "probabilities": [],
                                "optimalityGap": 0.0, "decisionKey": "", "timestamp": t,
                                "context": {"position": int(row.position)}}) + "\n")
            if row.click:
                f.write(json.dumps({"type": "track", "name": "click", "unit": unit, "timestamp": t + 1}) + "\n")
    spec = {"experiment": "obd", "allocation": [["a", 1], ["b", 1]],
            "metrics": [{"name": "clicks", "event": "click", "aggregation": "any", "direction": "higher",
                         "kind": "success"}],
            "ope": {"policy": "obd", "actions": [f"item{i}" for i in range(80)],
                    "reward": {"event": "click", "aggregation": "any", "window_ms": 1000},
                    "folds": 5, "model": {"cell_mean": {"inputs": []}},
                    "targets": [{"name": "uniform", "bundle": "uniform.json"}]}}
    with open(os.path.join(folder, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    uniform = {"id": "uniform", "version": 1, "actions": [{"key": f"item{i}", "value": i} for i in range(80)],
               "features": [], "scorer": {"linear": {"weights": [[] for _ in range(80)], "bias": [0.0] * 80}},
               "exploration": "greedy", "vectors": []}
    uniform["exploration"] = {"epsilon_greedy": {"epsilon": 1.0}}
    with open(os.path.join(folder, "uniform.json"), "w") as f:
        json.dump(uniform, f)


if __name__ == "__main__":
    main()
