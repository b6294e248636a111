//! The core against `testdata/bucketing.json` (DESIGN §4): every case, the file's coverage (so a
//! truncated or thinned file fails), and the file against its generator (so behaviour cannot
//! drift from the checked-in vectors that every binding asserts).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use serde_json::{json, Value};
use tandem::bucketing::{
    allocate, bucket, hash, held_out, holdout_threshold, normalize_unit, policy_draw, UnitProblem,
};

/// The generator, compiled in: the drift test calls the same `render` as the example.
#[allow(dead_code, reason = "the example's `main` is not used here")]
#[path = "../examples/generate_bucketing_vectors.rs"]
mod generator;

const REGENERATE: &str =
    "cargo run -p tandem --example generate_bucketing_vectors > testdata/bucketing.json";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/bucketing.json")
}

fn text() -> String {
    std::fs::read_to_string(path()).unwrap_or_else(|e| panic!("{}: {e}", path().display()))
}

fn vectors() -> Value {
    serde_json::from_str(&text()).expect("testdata/bucketing.json is JSON")
}

fn cases(vectors: &Value) -> &Vec<Value> {
    vectors["cases"].as_array().expect("`cases` is an array")
}

fn str_of<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string in {case}"))
}

fn u64_of(case: &Value, field: &str) -> u64 {
    case[field]
        .as_u64()
        .unwrap_or_else(|| panic!("`{field}` is an unsigned integer in {case}"))
}

fn weights_of(case: &Value) -> Vec<u32> {
    case["weights"]
        .as_array()
        .expect("`weights` is an array")
        .iter()
        .map(|w| u32::try_from(w.as_u64().expect("a weight is an integer")).expect("u32"))
        .collect()
}

/// The numbers of `field` in the case lines, parsed from the text by Rust's correctly rounded
/// `f64::from_str`.
///
/// serde_json without its `float_roundtrip` feature parses some 17-digit doubles one ulp off
/// (about one draw in ten here), so exact doubles are read from the JSON text itself. The
/// generator writes one case per line with `field` as a plain number and the drift test pins that
/// layout. Inside a string a `"field":` is escaped as `\"field\":`, so every match is the key.
fn raw_numbers(text: &str, field: &str) -> Vec<f64> {
    let key = format!("\"{field}\":");
    text.lines()
        .filter(|line| line.starts_with("    {\"group\":"))
        .map(|line| {
            let at = line
                .rfind(&key)
                .unwrap_or_else(|| panic!("no {key} in {line}"))
                + key.len();
            let token: String = line[at..]
                .chars()
                .take_while(|c| !matches!(c, ',' | '}'))
                .collect();
            token
                .parse()
                .unwrap_or_else(|e| panic!("{key} {token}: {e}"))
        })
        .collect()
}

/// A short label for failure messages (some units are kilobytes long).
fn label(index: usize, case: &Value) -> String {
    let unit: String = case["unit"].to_string().chars().take(60).collect();
    format!(
        "case {index} ({}, salt {:?}, unit {unit})",
        case["group"], case["salt"]
    )
}

#[test]
fn every_case_matches_the_core() {
    let text = text();
    let vectors: Value = serde_json::from_str(&text).expect("testdata/bucketing.json is JSON");
    let cases = cases(&vectors);
    let percents = raw_numbers(&text, "percent");
    let draws = raw_numbers(&text, "draw");
    assert_eq!(percents.len(), cases.len(), "one case per line");
    assert_eq!(draws.len(), cases.len(), "one case per line");
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let salt = str_of(case, "salt");
        let normalized = match normalize_unit(case.get("unit")) {
            Ok(unit) => unit.into_owned(),
            Err(problem) => {
                failures.push(format!("{}: not a unit ({problem:?})", label(index, case)));
                continue;
            }
        };
        let weights = weights_of(case);
        let percent = percents[index];
        let key = str_of(case, "decision_key");
        let draw = policy_draw(salt, &normalized, key);
        let expected_allocation = case["allocation"].as_u64().map(|i| i as usize);
        let checks = [
            (
                "unit_normalized",
                normalized == str_of(case, "unit_normalized"),
            ),
            (
                "hash",
                format!("{:016x}", hash(salt, &normalized)) == str_of(case, "hash"),
            ),
            (
                "bucket",
                u64::from(bucket(salt, &normalized)) == u64_of(case, "bucket"),
            ),
            (
                "allocation",
                allocate(salt, &normalized, &weights) == expected_allocation,
            ),
            (
                "holdout_threshold",
                u64::from(holdout_threshold(percent)) == u64_of(case, "holdout_threshold"),
            ),
            (
                "held_out",
                Some(held_out(salt, &normalized, percent)) == case["held_out"].as_bool(),
            ),
            // Bit equality: the draw is exact, not approximately right.
            ("draw", draw.to_bits() == draws[index].to_bits()),
            (
                "draw_numerator",
                ((draw * 9_007_199_254_740_992.0) as u64).to_string()
                    == str_of(case, "draw_numerator"),
            ),
        ];
        for (field, ok) in checks {
            if !ok {
                failures.push(format!("{}: `{field}` differs", label(index, case)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unit_rejections_match_the_core() {
    let vectors = vectors();
    let rejections = vectors["unit_rejections"].as_array().expect("an array");
    assert!(
        rejections.len() >= 10,
        "too few rejections: {}",
        rejections.len()
    );
    for rejection in rejections {
        let expected = match rejection["problem"].as_str() {
            Some("TARGETING_KEY_MISSING") => UnitProblem::Missing,
            Some("INVALID_CONTEXT") => UnitProblem::Invalid,
            other => panic!("unknown problem {other:?} in {rejection}"),
        };
        // An absent `unit` key stands for an absent attribute.
        assert_eq!(
            normalize_unit(rejection.get("unit")).map(|u| u.into_owned()),
            Err(expected),
            "{rejection}"
        );
    }
}

/// Whether any character of `text` is in one of the `ranges`.
fn has_char_in(text: &str, ranges: &[(char, char)]) -> bool {
    text.chars()
        .any(|c| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)))
}

#[test]
fn the_file_covers_the_spec() {
    let vectors = vectors();
    let cases = cases(&vectors);
    assert!(cases.len() >= 1000, "only {} cases", cases.len());
    for header in ["description", "generator", "note", "spec"] {
        assert!(
            vectors.get(header).is_some(),
            "the `{header}` section is missing"
        );
    }

    let any = |what: &str, test: &dyn Fn(&Value) -> bool| {
        assert!(cases.iter().any(test), "no case with {what}");
    };
    let salt = |c: &Value| str_of(c, "salt").to_owned();
    let unit = |c: &Value| str_of(c, "unit_normalized").to_owned();
    let both = |c: &Value| format!("{}{}", salt(c), unit(c));

    // Non-ASCII: accents (precomposed or combining), CJK (incl. kana, Hangul, extension B) and
    // emoji, in salts and in units.
    let accents = [('\u{c0}', '\u{17f}'), ('\u{300}', '\u{36f}')];
    let cjk = [
        ('\u{3040}', '\u{30ff}'),
        ('\u{4e00}', '\u{9fff}'),
        ('\u{ac00}', '\u{d7af}'),
        ('\u{20000}', '\u{2a6df}'),
    ];
    let emoji = [('\u{1f300}', '\u{1faff}')];
    any("a non-ASCII salt", &|c| !salt(c).is_ascii());
    any("a non-ASCII unit", &|c| !unit(c).is_ascii());
    any("accents", &|c| has_char_in(&both(c), &accents));
    any("a combining accent", &|c| {
        has_char_in(&unit(c), &[accents[1]])
    });
    any("CJK in a unit", &|c| has_char_in(&unit(c), &cjk));
    any("CJK in a salt", &|c| has_char_in(&salt(c), &cjk));
    any("emoji in a unit", &|c| has_char_in(&unit(c), &emoji));
    any("emoji in a salt", &|c| has_char_in(&salt(c), &emoji));

    // Salts.
    any("an empty salt", &|c| salt(c).is_empty());
    for kind in ["experiment/", "layer/", "holdout/", "policy/"] {
        any(kind, &|c| salt(c).starts_with(kind));
    }

    // Lengths across the core's 256-byte stack buffer and up to a few KB.
    for total in [255, 256, 257] {
        any(&format!("a {total}-byte hash input"), &|c| {
            salt(c).len() + 1 + unit(c).len() == total
        });
    }
    any("a unit over 256 bytes", &|c| unit(c).len() > 256);
    any("a unit of at least 4 KB", &|c| unit(c).len() >= 4096);
    any("a long multi-byte unit", &|c| {
        unit(c).len() > 256 && !unit(c).is_ascii()
    });

    // Integer units given as JSON numbers, with their normalised strings. Value equality tells
    // an integer literal from a float one (42 is not 42.0).
    let number =
        |c: &Value, literal: Value, normalized: &str| c["unit"] == literal && unit(c) == normalized;
    any("unit 42", &|c| number(c, json!(42), "42"));
    any("unit -7", &|c| number(c, json!(-7), "-7"));
    any("unit 42.0", &|c| number(c, json!(42.0), "42"));
    any("unit -0.0", &|c| number(c, json!(-0.0), "0"));
    any("unit u64::MAX", &|c| {
        number(c, json!(u64::MAX), "18446744073709551615")
    });
    any("unit 1e20", &|c| {
        number(c, json!(1e20), "100000000000000000000")
    });

    // Allocation: every arm count from 2 to 10, zero weights, uneven totals, u32::MAX totals,
    // and both outcomes at the boundary of an arm.
    let total = |c: &Value| weights_of(c).iter().map(|&w| u64::from(w)).sum::<u64>();
    for arms in 2..=10 {
        any(&format!("{arms} arms"), &|c| weights_of(c).len() == arms);
    }
    any("a zero weight", &|c| weights_of(c).contains(&0));
    any("all-zero weights", &|c| c["allocation"].is_null());
    any("an uneven total", &|c| {
        let w = weights_of(c);
        total(c) % w.len() as u64 != 0
    });
    any("a total of u32::MAX", &|c| total(c) == u64::from(u32::MAX));
    assert!(
        cases.iter().all(|c| total(c) <= u64::from(u32::MAX)),
        "a total above u32::MAX"
    );
    any("a later arm", &|c| c["allocation"].as_u64() >= Some(5));

    // Holdouts: the named percents, both outcomes, and half-way rounding.
    for percent in [0.0, 0.01, 2.5, 100.0] {
        any(&format!("percent {percent}"), &|c| {
            c["percent"].as_f64() == Some(percent)
        });
    }
    any("a held-out unit", &|c| c["held_out"] == Value::Bool(true));
    any("a unit not held out", &|c| {
        c["held_out"] == Value::Bool(false)
    });
    any("a half-way percent", &|c| {
        c["percent"].as_f64() == Some(0.005)
    });
    any("a unit just inside a holdout", &|c| {
        u64_of(c, "bucket") + 1 == u64_of(c, "holdout_threshold")
    });
    any("a unit just outside a holdout", &|c| {
        u64_of(c, "bucket") == u64_of(c, "holdout_threshold")
    });

    // Policy draws with and without a decision key.
    any("an empty decision key", &|c| {
        str_of(c, "decision_key").is_empty()
    });
    any("a decision key", &|c| !str_of(c, "decision_key").is_empty());
    any("a non-ASCII decision key", &|c| {
        !str_of(c, "decision_key").is_ascii()
    });
}

#[test]
fn the_checked_in_file_is_what_the_generator_writes() {
    let generated = generator::render().expect("the generator runs");
    let checked_in = text();
    if generated != checked_in {
        let first = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "the files differ in length".to_owned(),
                |line| format!("first difference at line {}", line + 1),
            );
        panic!("testdata/bucketing.json is out of date ({first}); regenerate it with `{REGENERATE}` and review the diff");
    }
}
