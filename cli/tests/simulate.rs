//! `tandem simulate` end to end. Expected results are derived from the spec (DESIGN §3-§4 and
//! the issue): with N units, a share p should land within a few standard errors
//! `sqrt(p (1 - p) / N)` of p, and a correct implementation shows no sample-ratio mismatch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

/// How many standard errors a share may be off: "a few" (p ≈ 6e-5 two-sided).
const TOLERANCE_SE: f64 = 4.0;
const NOW: &str = "2026-11-15T00:00:00Z";

fn tandem(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .output()
        .unwrap()
}

fn write_config(name: &str, config: &Value) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("simulate-{name}.json"));
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// Runs `simulate --json` and parses the report.
fn simulate_json(config: &Path, flag: &str, units: u64, extra: &[&str]) -> Value {
    let units = units.to_string();
    let mut args = vec![
        "simulate",
        config.to_str().unwrap(),
        flag,
        "--units",
        &units,
        "--now",
        NOW,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = tandem(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[track_caller]
fn assert_share_near(actual: &Value, expected: f64, n: u64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual}"));
    let se = (expected * (1.0 - expected) / n as f64).sqrt();
    assert!(
        (actual - expected).abs() <= TOLERANCE_SE * se,
        "{what}: share {actual}, expected {expected} ± {TOLERANCE_SE} × {se}"
    );
}

fn flag(variants: &[&str]) -> Value {
    let map: serde_json::Map<String, Value> = variants
        .iter()
        .map(|v| ((*v).to_owned(), json!(v)))
        .collect();
    json!({"state": "ENABLED", "variants": map, "defaultVariant": variants[0]})
}

fn experiment_named<'r>(report: &'r Value, key: &str) -> &'r Value {
    report["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no experiment {key} in {report}"))
}

fn variant_units(report: &Value, variant: &str) -> u64 {
    report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant"] == variant)
        .and_then(|v| v["units"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_50_50_experiment_over_100k_units_splits_evenly_without_srm() {
    let config = write_config(
        "half",
        &json!({
            "flags": {"f": flag(&["control", "treatment"])},
            "experiments": {"e": {"flag": "f", "status": "running",
                                  "allocation": [["control", 50], ["treatment", 50]]}}
        }),
    );
    let n = 100_000;
    let report = simulate_json(&config, "f", n, &[]);
    assert_eq!(report["units"], json!(n));
    assert_eq!(report["flag"], json!("f"));
    assert_eq!(report["now"], json!("2026-11-15T00:00:00.000Z"));
    assert_eq!(report["reasons"], json!({"SPLIT": n}));
    for variant in ["control", "treatment"] {
        let v = report["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["variant"] == variant)
            .unwrap();
        assert_share_near(&v["share"], 0.5, n, variant);
    }
    let e = experiment_named(&report, "e");
    assert_eq!(e["units"], json!(n));
    assert_eq!(e["split"], json!(n));
    assert_eq!(e["heldOut"], json!(0));
    for arm in e["arms"].as_array().unwrap() {
        assert_eq!(arm["expectedShare"], json!(0.5));
        assert_share_near(&arm["share"], 0.5, n, "arm");
    }
    let srm = &e["srm"];
    assert_eq!(srm["degreesOfFreedom"], json!(1));
    assert!(srm["pValue"].as_f64().unwrap() >= 0.001, "{srm}");
    assert!(srm["chiSquare"].as_f64().unwrap() >= 0.0);
    assert_eq!(srm["mismatch"], json!(false));
    assert_eq!(report["srm"], json!(false));
    assert_eq!(report["noExperiment"]["units"], json!(0));
}

#[test]
fn traffic_20_puts_about_20_percent_in_the_experiment() {
    let config = write_config(
        "traffic",
        &json!({
            "flags": {"f": flag(&["off", "a", "b", "c"])},
            "experiments": {"e": {"flag": "f", "status": "running", "traffic": 20,
                                  "allocation": [["a", 1], ["b", 2], ["c", 1]]}}
        }),
    );
    let n = 100_000;
    let report = simulate_json(&config, "f", n, &[]);
    let e = experiment_named(&report, "e");
    assert_share_near(&e["share"], 0.2, n, "experiment");
    assert_share_near(&report["noExperiment"]["share"], 0.8, n, "no experiment");
    let inside = e["units"].as_u64().unwrap();
    assert_eq!(
        inside + report["noExperiment"]["units"].as_u64().unwrap(),
        n
    );
    // The arms, among the ~20k units inside, follow 1/2/1.
    for (arm, expected) in e["arms"].as_array().unwrap().iter().zip([0.25, 0.5, 0.25]) {
        assert_eq!(arm["expectedShare"], json!(expected));
        assert_share_near(&arm["share"], expected, inside, "arm");
    }
    assert_eq!(e["srm"]["degreesOfFreedom"], json!(2));
    assert_eq!(e["srm"]["mismatch"], json!(false));
    // Units outside get the default variant, reason DEFAULT.
    assert_eq!(variant_units(&report, "off"), n - inside);
    assert_eq!(report["reasons"]["DEFAULT"], json!(n - inside));
    assert_eq!(report["reasons"]["SPLIT"], json!(inside));
}

/// DESIGN §2's experiment: audience, layer range [0, 5000), 34/33/33, 2.5 % global holdout,
/// November–December 2026.
fn design_config() -> PathBuf {
    write_config(
        "design",
        &json!({
            "flags": {"checkout-button": flag(&["control", "cb-v1", "cb-v2"])},
            "experiments": {"checkout-personalization": {
                "flag": "checkout-button", "status": "running", "layer": "checkout",
                "audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]},
                "allocation": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]],
                "start": "2026-11-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"
            }},
            "layers": {"checkout": {"ranges": {"checkout-personalization": [[0, 5000]]}}},
            "holdouts": {"q4-global": {"percent": 2.5, "experiments": ["*"]}}
        }),
    )
}

#[test]
fn holdouts_layers_and_the_context_show_in_the_report() {
    let config = design_config();
    let n = 100_000;
    let report = simulate_json(
        &config,
        "checkout-button",
        n,
        &["--context", r#"{"country": "SE"}"#],
    );
    let e = experiment_named(&report, "checkout-personalization");
    assert_eq!(e["layer"], json!("checkout"));
    // Half the layer, then 2.5 % of those held out.
    assert_share_near(&e["share"], 0.5, n, "in the layer range");
    let units = e["units"].as_u64().unwrap();
    let held = e["heldOut"].as_u64().unwrap();
    let split = e["split"].as_u64().unwrap();
    assert_eq!(held + split, units);
    let holdout = &e["holdouts"][0];
    assert_eq!(holdout["holdout"], json!("q4-global"));
    assert_eq!(holdout["units"], json!(held));
    assert_share_near(&holdout["share"], 0.025, units, "held out");
    for (arm, expected) in e["arms"].as_array().unwrap().iter().zip([0.34, 0.33, 0.33]) {
        assert_share_near(&arm["share"], expected, split, "arm");
    }
    assert_eq!(e["srm"]["mismatch"], json!(false));
    // Held-out units see the default variant, as do units outside the range.
    let control_arm = e["arms"][0]["units"].as_u64().unwrap();
    let outside = report["noExperiment"]["units"].as_u64().unwrap();
    assert_eq!(outside + units, n);
    assert_eq!(
        variant_units(&report, "control"),
        control_arm + held + outside
    );
    assert_eq!(report["reasons"]["SPLIT"], json!(split));
    assert_eq!(report["reasons"]["DEFAULT"], json!(held + outside));

    // Without the context the audience never matches; outside the schedule nothing runs.
    for extra in [vec![], vec!["--context", r#"{"country": "FR"}"#]] {
        let report = simulate_json(&config, "checkout-button", 1_000, &extra);
        assert_eq!(report["noExperiment"]["units"], json!(1_000), "{extra:?}");
        assert_eq!(
            experiment_named(&report, "checkout-personalization")["units"],
            json!(0)
        );
        assert_eq!(
            experiment_named(&report, "checkout-personalization")["srm"],
            Value::Null
        );
    }
    let out = tandem(&[
        "simulate",
        config.to_str().unwrap(),
        "checkout-button",
        "--units",
        "1000",
        "--context",
        r#"{"country": "SE"}"#,
        "--now",
        "2027-01-01T00:00:00Z",
        "--json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["noExperiment"]["units"], json!(1_000));
}

#[test]
fn the_context_targeting_key_is_replaced_by_each_unit() {
    let config = design_config();
    let plain = simulate_json(
        &config,
        "checkout-button",
        5_000,
        &["--context", r#"{"country": "SE"}"#],
    );
    let with_key = simulate_json(
        &config,
        "checkout-button",
        5_000,
        &[
            "--context",
            r#"{"country": "SE", "targetingKey": "everyone-the-same"}"#,
        ],
    );
    assert_eq!(plain, with_key);
}

/// The arm DESIGN §4 gives `unit` under weights 1/1: `(XXH3(salt ‖ 0x00 ‖ unit) × 2) >> 64`.
fn half_arm(salt: &str, unit: &str) -> u128 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{salt}\0{unit}").as_bytes());
    (u128::from(hash) * 2) >> 64
}

#[test]
fn an_audience_correlated_with_the_assignment_is_flagged_as_srm() {
    // The audience lets in every unit of u0..u1999 that the allocation sends to "b" but only
    // every fourth one it sends to "a" — a filter correlated with the assignment, the classic
    // cause of a sample-ratio mismatch: about 1000 "b" against 250 "a" for weights 1/1.
    let members: Vec<String> = (0..2000)
        .map(|n| format!("u{n}"))
        .enumerate()
        .filter(|(n, u)| half_arm("experiment/biased", u) == 1 || n % 4 == 0)
        .map(|(_, u)| u)
        .collect();
    let config = write_config(
        "biased",
        &json!({
            "flags": {"f": flag(&["a", "b"])},
            "experiments": {
                "biased": {"flag": "f", "status": "running",
                           "audience": {"in": [{"var": "targetingKey"}, members]},
                           "allocation": [["a", 1], ["b", 1]]},
                "fair": {"flag": "f", "status": "running", "allocation": [["a", 1], ["b", 1]]}
            }
        }),
    );
    let n = 2_000;
    let report = simulate_json(&config, "f", n, &[]);
    let biased = experiment_named(&report, "biased");
    let fair = experiment_named(&report, "fair");
    assert_eq!(biased["units"], json!(members.len()));
    assert_eq!(
        biased["units"].as_u64().unwrap() + fair["units"].as_u64().unwrap(),
        n
    );
    assert_eq!(biased["srm"]["mismatch"], json!(true));
    assert!(biased["srm"]["pValue"].as_f64().unwrap() < 0.001);
    assert_eq!(fair["srm"]["mismatch"], json!(false));
    assert_eq!(report["srm"], json!(true));

    let out = tandem(&[
        "simulate",
        config.to_str().unwrap(),
        "f",
        "--units",
        "2000",
        "--now",
        NOW,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("SRM!").count(),
        1,
        "only `biased` is flagged: {text}"
    );
}

#[test]
fn the_default_output_is_a_readable_table() {
    let config = design_config();
    let out = tandem(&[
        "simulate",
        config.to_str().unwrap(),
        "checkout-button",
        "--units",
        "10000",
        "--context",
        r#"{"country": "DE"}"#,
        "--now",
        NOW,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "not JSON");
    for needle in [
        "flag checkout-button: 10000 units (u0 … u9999), now 2026-11-15T00:00:00.000Z",
        "variant",
        "control",
        "cb-v1",
        "cb-v2",
        "SPLIT",
        "DEFAULT",
        "experiment checkout-personalization (layer checkout)",
        "held out by q4-global",
        "SRM check: chi-square",
        "ok",
        "no experiment:",
        " %",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("SRM!"), "{text}");
    // Deterministic: the same inputs print the same report.
    let again = tandem(&[
        "simulate",
        config.to_str().unwrap(),
        "checkout-button",
        "--units",
        "10000",
        "--context",
        r#"{"country": "DE"}"#,
        "--now",
        NOW,
    ]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn units_the_experiment_cannot_use_are_reported_as_skipped() {
    let config = write_config(
        "skipped",
        &json!({
            "flags": {"f": flag(&["a", "b"])},
            "experiments": {"by-user": {"flag": "f", "status": "running", "unit": "user.id",
                                        "allocation": [["a", 1], ["b", 1]]}}
        }),
    );
    let report = simulate_json(&config, "f", 100, &[]);
    let e = experiment_named(&report, "by-user");
    assert_eq!(e["skipped"], json!({"TARGETING_KEY_MISSING": 100}));
    assert_eq!(e["units"], json!(0));
    assert_eq!(report["noExperiment"]["units"], json!(100));
    let report = simulate_json(
        &config,
        "f",
        100,
        &["--context", r#"{"user": {"id": true}}"#],
    );
    assert_eq!(
        experiment_named(&report, "by-user")["skipped"],
        json!({"INVALID_CONTEXT": 100})
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let config = design_config();
    let path = config.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["simulate", path, "nope", "--units", "10"],
            "not in the config",
        ),
        (
            &[
                "simulate",
                path,
                "checkout-button",
                "--units",
                "10",
                "--context",
                "[1]",
            ],
            "--context",
        ),
        (
            &[
                "simulate",
                path,
                "checkout-button",
                "--units",
                "10",
                "--now",
                "yesterday",
            ],
            "--now",
        ),
        (
            &["simulate", path, "checkout-button", "--units", "0"],
            "--units",
        ),
        (&["simulate", path, "checkout-button"], "--units"),
    ];
    for (args, needle) in cases {
        let out = tandem(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = tandem(&["simulate", "/nonexistent/config.json", "f", "--units", "1"]);
    assert_eq!(out.status.code(), Some(2));
}
