//! Every number of `tandem evaluate` against its reference package (scipy, gbstats,
//! spotify-confidence, statsmodels, vw-estimators, obp) and the DuckDB run of the rendered
//! SQL against the Rust reducer, on the files `.ci/evaluate` writes with
//! tools/evaluate-reference (`TANDEM_EVALUATE_REFERENCE` names their folder). Skipped with a
//! message when the variable is unset.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tandem::policy::Bundle;
use tandem_eval::spec::{Correction, TargetSource};
use tandem_eval::{analyze, Analysis, Reducer, Spec, Stats};

const REL: f64 = 1e-9;

/// Relative agreement, with an absolute floor for values that are 0 in both.
struct Checker {
    compared: usize,
    worst: f64,
    failures: Vec<String>,
}

impl Checker {
    fn new() -> Self {
        Self {
            compared: 0,
            worst: 0.0,
            failures: Vec::new(),
        }
    }

    fn close(&mut self, what: &str, ours: f64, theirs: f64, rel: f64) {
        self.compared += 1;
        let scale = theirs.abs().max(ours.abs());
        let diff = (ours - theirs).abs();
        let relative = if scale == 0.0 { 0.0 } else { diff / scale };
        if rel <= REL {
            self.worst = self.worst.max(relative);
        }
        if !(relative <= rel || diff <= 1e-300) {
            self.failures.push(format!(
                "{what}: ours {ours:e}, reference {theirs:e} (rel {relative:e})"
            ));
        }
    }

    fn value(&mut self, what: &str, ours: f64, theirs: &Value, rel: f64) {
        match theirs.as_f64() {
            Some(t) => self.close(what, ours, t, rel),
            None => self
                .failures
                .push(format!("{what}: no reference value ({theirs})")),
        }
    }
}

fn dir() -> Option<PathBuf> {
    match std::env::var_os("TANDEM_EVALUATE_REFERENCE") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!("TANDEM_EVALUATE_REFERENCE is not set: the reference checks skip (run .ci/evaluate)");
            None
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reduce(folder: &Path, spec_file: &str, events: &Path) -> (Spec, Stats) {
    let spec = Spec::from_json(&read(&folder.join(spec_file))).unwrap();
    let mut bundles = Vec::new();
    if let Some(ope) = &spec.ope {
        for t in &ope.targets {
            if let TargetSource::Bundle(file) = &t.source {
                bundles.push((
                    t.name.clone(),
                    Bundle::from_json(&read(&folder.join(file))).unwrap(),
                ));
            }
        }
    }
    let stats = {
        let mut reducer = Reducer::new(&spec, &bundles).unwrap();
        reducer
            .read(
                std::io::BufReader::new(std::fs::File::open(events).unwrap()),
                |_, _| {},
            )
            .unwrap();
        reducer.finish().unwrap()
    };
    (spec, stats)
}

fn metric<'a>(a: &'a Analysis, name: &str, arm: &str) -> &'a tandem_eval::analysis::MetricResult {
    a.metrics
        .iter()
        .find(|m| m.metric == name && m.arm == arm)
        .unwrap()
}

fn check_sums(
    c: &mut Checker,
    what: &str,
    ours: &tandem_eval::stats::Sums,
    theirs: &tandem_eval::stats::Sums,
) {
    c.close(&format!("{what} n"), ours.n as f64, theirs.n as f64, REL);
    c.close(&format!("{what} Σy"), ours.sum_y, theirs.sum_y, REL);
    c.close(&format!("{what} Σy²"), ours.sum_y2, theirs.sum_y2, REL);
    c.close(&format!("{what} Σx"), ours.sum_x, theirs.sum_x, REL);
    c.close(&format!("{what} Σx²"), ours.sum_x2, theirs.sum_x2, REL);
    c.close(&format!("{what} Σxy"), ours.sum_xy, theirs.sum_xy, REL);
}

#[test]
fn agrees_with_the_reference_packages() {
    let Some(root) = dir() else {
        return;
    };
    let expected: Value = serde_json::from_str(&read(&root.join("expected.json"))).unwrap();
    let mut c = Checker::new();
    let events = root.join("events.ndjson");
    for name in ["spec", "spec-z", "spec-always-valid"] {
        let (spec, stats) = reduce(&root, &format!("{name}.json"), &events);
        // DuckDB's run of the rendered SQL: the same sufficient statistics.
        let mut duck =
            tandem_eval::csv::from_csv(&read(&root.join(format!("duckdb-stats-{name}.csv"))))
                .unwrap();
        duck.align(&spec).unwrap();
        for (ours, theirs) in stats.arms.iter().zip(&duck.arms) {
            c.close(
                &format!("{name} duckdb units {}", ours.arm),
                ours.units as f64,
                theirs.units as f64,
                REL,
            );
            c.close(
                &format!("{name} duckdb failed {}", ours.arm),
                ours.failed_units as f64,
                theirs.failed_units as f64,
                REL,
            );
        }
        for (ours, theirs) in stats.metrics.iter().zip(&duck.metrics) {
            check_sums(
                &mut c,
                &format!("{name} duckdb {} {}", ours.metric, ours.arm),
                &ours.sums,
                &theirs.sums,
            );
        }
        let (o, t) = (&stats.counts, &duck.counts);
        for (what, a, b) in [
            ("events", o.events, t.events),
            ("exposures", o.exposures, t.exposures),
            ("decisions", o.decisions, t.decisions),
            ("tracks", o.tracks, t.tracks),
            ("several", o.units_in_several_arms, t.units_in_several_arms),
            ("held out", o.held_out_units, t.held_out_units),
            ("unknown", o.units_in_unknown_arms, t.units_in_unknown_arms),
        ] {
            c.close(
                &format!("{name} duckdb count {what}"),
                a as f64,
                b as f64,
                REL,
            );
        }
        let analysis = analyze(&spec, &stats).unwrap();
        let reference = &expected[name];
        c.value(
            &format!("{name} srm χ²"),
            analysis.srm.chi2,
            &reference["srm"]["chi2"],
            REL,
        );
        c.value(
            &format!("{name} srm p (scipy)"),
            analysis.srm.p_value,
            &reference["srm"]["p_value_scipy"],
            REL,
        );
        c.value(
            &format!("{name} srm p (gbstats)"),
            analysis.srm.p_value,
            &reference["srm"]["p_value_gbstats"],
            REL,
        );
        for r in reference["metrics"].as_array().unwrap() {
            let (metric_name, arm) = (r["metric"].as_str().unwrap(), r["arm"].as_str().unwrap());
            let ours = metric(&analysis, metric_name, arm);
            let what = format!("{name} {metric_name} {arm}");
            let cmp = ours.comparison.as_ref().unwrap();
            if let Some(theta) = r.get("theta") {
                c.value(&format!("{what} θ"), cmp.theta.unwrap(), theta, REL);
            }
            if spec.test == tandem_eval::spec::Test::Welch {
                for (key, effect) in [
                    ("gbstats_absolute", &cmp.difference),
                    ("gbstats_relative", &cmp.lift),
                ] {
                    let g = &r[key];
                    c.value(
                        &format!("{what} {key} estimate"),
                        effect.estimate,
                        &g["estimate"],
                        REL,
                    );
                    c.value(&format!("{what} {key} se"), effect.se, &g["se"], REL);
                    c.value(
                        &format!("{what} {key} df"),
                        effect.df.unwrap(),
                        &g["df"],
                        REL,
                    );
                    c.value(
                        &format!("{what} {key} ci lo"),
                        effect.ci[0],
                        &g["ci"][0],
                        REL,
                    );
                    c.value(
                        &format!("{what} {key} ci hi"),
                        effect.ci[1],
                        &g["ci"][1],
                        REL,
                    );
                    // gbstats computes 2 (1 − cdf): exact to 1e-9 only while p is not tiny.
                    c.value(
                        &format!("{what} {key} p"),
                        effect.p_value,
                        &g["p_value"],
                        REL,
                    );
                }
                if let Some(s) = r.get("scipy_welch") {
                    let d = &cmp.difference;
                    c.value(
                        &format!("{what} scipy statistic"),
                        d.statistic,
                        &s["statistic"],
                        REL,
                    );
                    c.value(&format!("{what} scipy p"), d.p_value, &s["p_value"], REL);
                    c.value(&format!("{what} scipy df"), d.df.unwrap(), &s["df"], REL);
                    c.value(&format!("{what} scipy ci lo"), d.ci[0], &s["ci"][0], REL);
                    c.value(&format!("{what} scipy ci hi"), d.ci[1], &s["ci"][1], REL);
                }
            }
            if let Some(av) = &ours.always_valid {
                let g = &r["gbstats_sequential_absolute"];
                c.value(
                    &format!("{what} always-valid ci lo"),
                    av.ci[0],
                    &g["ci"][0],
                    REL,
                );
                c.value(
                    &format!("{what} always-valid ci hi"),
                    av.ci[1],
                    &g["ci"][1],
                    REL,
                );
                c.value(
                    &format!("{what} always-valid p"),
                    av.p_value,
                    &g["p_value"],
                    REL,
                );
            }
        }
        if let Some(z) = reference.get("z") {
            for r in z["metrics"].as_array().unwrap() {
                let (metric_name, arm) =
                    (r["metric"].as_str().unwrap(), r["arm"].as_str().unwrap());
                let ours = metric(&analysis, metric_name, arm);
                let what = format!("{name} confidence {metric_name} {arm}");
                let d = &ours.comparison.as_ref().unwrap().difference;
                c.value(
                    &format!("{what} difference"),
                    d.estimate,
                    &r["difference"],
                    REL,
                );
                c.value(&format!("{what} se"), d.se, &r["se"], REL);
                c.value(&format!("{what} ci lo"), d.ci[0], &r["ci"][0], REL);
                c.value(&format!("{what} ci hi"), d.ci[1], &r["ci"][1], REL);
                c.value(&format!("{what} p"), d.p_value, &r["p_value"], REL);
                if let Some(p) = r.get("ni_p_value") {
                    c.value(
                        &format!("{what} non-inferiority p"),
                        ours.p_value.unwrap(),
                        p,
                        REL,
                    );
                }
            }
            let success = z["success_p"].as_array().unwrap();
            let mut ours_p = Vec::new();
            for (i, s) in success.iter().enumerate() {
                let ours = metric(
                    &analysis,
                    s["metric"].as_str().unwrap(),
                    s["arm"].as_str().unwrap(),
                );
                c.value(
                    &format!("{name} superiority p {i}"),
                    ours.p_value.unwrap(),
                    &s["p"],
                    REL,
                );
                ours_p.push(ours.p_value.unwrap());
            }
            // statsmodels adjusts the p-values of the metrics the z reference covers.
            let holm = tandem_eval::analysis::adjust(&ours_p, Correction::Holm);
            for (i, a) in holm.iter().enumerate() {
                c.value(&format!("{name} Holm {i}"), *a, &z["holm"][i], REL);
            }
            let bh = tandem_eval::analysis::adjust(&ours_p, Correction::BenjaminiHochberg);
            for (i, a) in bh.iter().enumerate() {
                c.value(&format!("{name} BH {i}"), *a, &z["fdr_bh"][i], REL);
            }
            // spotify-confidence's bound solver stops at a probability tolerance of 1e-7 on a
            // coarse grid: its bounds differ from the converged ones by up to 2e-5 relative
            // (Tandem's do not move in the 9th digit when its grid is refined 4-fold).
            let seq = analysis.sequential.as_ref().unwrap();
            for (i, b) in seq.two_sided.iter().enumerate() {
                c.value(
                    &format!("{name} sequential fraction {i}"),
                    seq.fractions[i],
                    &reference["sequential"]["fractions"][i],
                    REL,
                );
                c.value(
                    &format!("{name} sequential bound {i}"),
                    *b,
                    &reference["sequential"]["two_sided"][i],
                    5e-5,
                );
            }
        }
    }
    // Off-policy evaluation of the synthetic decisions (several per unit).
    let (spec, stats) = reduce(&root, "spec.json", &events);
    let analysis = analyze(&spec, &stats).unwrap();
    check_ope(&mut c, "synthetic", &analysis, &expected["ope"], false);
    let (spec, stats) = reduce(&root, "spec-ridge.json", &events);
    let analysis = analyze(&spec, &stats).unwrap();
    check_ope(
        &mut c,
        "synthetic ridge",
        &analysis,
        &expected["ope_ridge"],
        false,
    );
    // The Open Bandit Dataset samples (one decision per unit: vw's interval applies).
    if let Some(obd) = expected.get("obd") {
        for campaign in ["random", "bts"] {
            let folder = root.join(format!("obd-{campaign}"));
            let (spec, stats) = reduce(&folder, "spec.json", &folder.join("events.ndjson"));
            let analysis = analyze(&spec, &stats).unwrap();
            check_ope(
                &mut c,
                &format!("obd {campaign}"),
                &analysis,
                &obd[campaign],
                true,
            );
        }
    }
    println!(
        "reference checks: {} numbers compared, {} failed; worst relative difference at 1e-9 tolerance {:.2e}",
        c.compared,
        c.failures.len(),
        c.worst
    );
    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

fn check_ope(
    c: &mut Checker,
    what: &str,
    analysis: &Analysis,
    expected: &Value,
    one_per_unit: bool,
) {
    let ope = analysis.ope.as_ref().unwrap();
    for (target, t) in expected["targets"].as_object().unwrap() {
        let get = |estimator: &str| {
            ope.estimates
                .iter()
                .find(|e| e.target == *target && e.estimator == estimator)
                .unwrap()
        };
        for estimator in ["ips", "snips", "dm", "dr"] {
            c.value(
                &format!("{what} {target} {estimator} (obp)"),
                get(estimator).value,
                &t[estimator],
                REL,
            );
        }
        c.value(
            &format!("{what} {target} ips (vw)"),
            get("ips").value,
            &t["vw_ips"],
            REL,
        );
        c.value(
            &format!("{what} {target} snips (vw)"),
            get("snips").value,
            &t["vw_snips"],
            REL,
        );
        c.value(
            &format!("{what} {target} ips se"),
            get("ips").se,
            &t["ips_se"],
            REL,
        );
        c.value(
            &format!("{what} {target} snips se"),
            get("snips").se,
            &t["snips_se"],
            REL,
        );
        c.value(
            &format!("{what} {target} dr se"),
            get("dr").se,
            &t["dr_se"],
            REL,
        );
        if one_per_unit {
            c.value(
                &format!("{what} {target} ips ci lo (vw)"),
                get("ips").ci[0],
                &t["vw_ips_interval"][0],
                REL,
            );
            c.value(
                &format!("{what} {target} ips ci hi (vw)"),
                get("ips").ci[1],
                &t["vw_ips_interval"][1],
                REL,
            );
        }
        let w = ope.weights.iter().find(|w| w.target == *target).unwrap();
        c.value(
            &format!("{what} {target} Σw/n"),
            w.mean_weight,
            &t["mean_weight"],
            REL,
        );
        c.value(
            &format!("{what} {target} max w"),
            w.max_weight,
            &t["max_weight"],
            REL,
        );
        c.value(
            &format!("{what} {target} ESS"),
            w.effective_sample_size,
            &t["ess"],
            REL,
        );
    }
}
