//! The correctness check run before any timing (and by `tests/correctness.rs`): every engine,
//! through the very calls the bench times, must serve what Tandem serves wherever the semantics
//! are the same — the static and the targeted flags, on the reused context and on fresh ones —
//! and, where they are not (a split hashes the key its own way), must split fresh keys in the
//! configured proportions, within ±2 points over 10,000 keys.

use std::collections::BTreeMap;

use serde_json::Value;
use tandem_bench_peers::flagd::{Document, Flag, Rule, ValueKind};
use tandem_bench_peers::fresh::Generator;

use crate::engines::datalogic::{json_context, Datalogic, TandemRule};
use crate::engines::tandem::Tandem;
use crate::engines::Engine;

/// Fresh contexts compared value for value.
pub const SAMPLE: u32 = 2_000;
/// Fresh keys a split is counted over.
pub const SPLIT_KEYS: u32 = 10_000;
/// How far an arm's share may be from its weight, in percentage points.
pub const TOLERANCE_POINTS: f64 = 2.0;

/// The contexts a check compares on: the reused one (`None`), then fresh context `stride × i`
/// for `i` in `0..count`, each built by Tandem and by `E` from the same input.
fn context_pairs<'a, E: Engine>(
    static_json: &'a Value,
    count: u32,
    stride: u32,
) -> impl Iterator<Item = (Option<u32>, <Tandem as Engine>::Ctx, E::Ctx)> + 'a {
    let mut generator = Generator::new();
    std::iter::once(None)
        .chain((0..count).map(Some))
        .map(move |i| match i {
            None => (
                None,
                Tandem::static_context(static_json),
                E::static_context(static_json),
            ),
            Some(i) => {
                let input = generator.input(i * stride);
                (Some(i), Tandem::context(&input), E::context(&input))
            }
        })
}

/// One flag's value through an engine's typed call, as JSON.
fn served<E: Engine>(engine: &E, flag: &Flag, ctx: &E::Ctx) -> Result<Option<Value>, String> {
    Ok(match flag.kind().map_err(|e| e.to_string())? {
        ValueKind::Bool => engine.get_bool(&flag.key, ctx).map(Value::Bool),
        ValueKind::Str => engine.get_str(&flag.key, ctx, |s| s.map(|s| Value::String(s.into()))),
    })
}

fn same_as_tandem(flag: &Flag) -> bool {
    !matches!(flag.rule, Rule::Split(_))
}

fn is_variant_value(flag: &Flag, value: Option<&Value>) -> bool {
    value.is_some_and(|v| flag.variants.iter().any(|(_, value)| value == v))
}

/// The W1–W3 flags of `doc` through `engine`, against Tandem's answers, on the reused context
/// and on fresh ones; every split's proportions.
pub fn single_flags<E: Engine>(
    name: &str,
    engine: &E,
    tandem: &Tandem,
    doc: &Document,
    static_json: &Value,
) -> Result<(), String> {
    for (i, ours, theirs) in context_pairs::<E>(static_json, SAMPLE, 1) {
        let which = i.map_or("the reused context".to_owned(), |i| {
            format!("fresh context {i}")
        });
        for flag in &doc.flags {
            let expected = served(tandem, flag, &ours)?;
            let got = served(engine, flag, &theirs)?;
            if same_as_tandem(flag) {
                if got != expected || got.is_none() {
                    return Err(format!(
                        "{name}: {} on {which}: {got:?}, Tandem {expected:?}",
                        flag.key
                    ));
                }
            } else if !is_variant_value(flag, got.as_ref()) {
                return Err(format!("{name}: {} on {which}: {got:?}", flag.key));
            }
        }
    }
    let mut generator = Generator::new();
    for flag in &doc.flags {
        if let Rule::Split(arms) = &flag.rule {
            let mut counts = BTreeMap::new();
            for i in 0..SPLIT_KEYS {
                let ctx = E::context(&generator.input(i));
                let value = served(engine, flag, &ctx)?.unwrap_or(Value::Null);
                *counts.entry(value.to_string()).or_insert(0u32) += 1;
            }
            proportions(name, flag, arms, &counts)?;
        }
    }
    Ok(())
}

/// Each arm's share of [`SPLIT_KEYS`] within [`TOLERANCE_POINTS`] of its weight.
fn proportions(
    name: &str,
    flag: &Flag,
    arms: &[(String, u32)],
    counts: &BTreeMap<String, u32>,
) -> Result<(), String> {
    let total: f64 = arms.iter().map(|(_, w)| f64::from(*w)).sum();
    let seen: u32 = counts.values().sum();
    for (variant, weight) in arms {
        let value = flag
            .value_of(variant)
            .map(Value::to_string)
            .unwrap_or_default();
        let count = counts.get(&value).copied().unwrap_or(0);
        let share = 100.0 * f64::from(count) / f64::from(seen.max(1));
        let wanted = 100.0 * f64::from(*weight) / total;
        if (share - wanted).abs() > TOLERANCE_POINTS {
            return Err(format!(
                "{name}: {} arm {variant}: {share:.2} % of {seen} keys, configured {wanted:.2} %",
                flag.key
            ));
        }
    }
    let arms_seen: u32 = arms
        .iter()
        .filter_map(|(v, _)| flag.value_of(v))
        .map(|v| counts.get(&v.to_string()).copied().unwrap_or(0))
        .sum();
    if arms_seen != seen {
        return Err(format!(
            "{name}: {}: {} of {seen} keys got no arm",
            flag.key,
            seen - arms_seen
        ));
    }
    Ok(())
}

/// "Evaluate all" through `engine` against Tandem's, on the reused context and `sample` fresh
/// ones, and the proportions of every split over [`SPLIT_KEYS`] fresh keys.
pub fn all_flags<E: Engine>(
    name: &str,
    engine: &E,
    tandem: &Tandem,
    doc: &Document,
    static_json: &Value,
    sample: u32,
) -> Result<(), String> {
    let mut ours = <Tandem as Engine>::All::default();
    let mut theirs = E::All::default();
    for (i, our_ctx, their_ctx) in context_pairs::<E>(static_json, sample, 1) {
        tandem.evaluate_all(&our_ctx, &mut ours);
        engine.evaluate_all(&their_ctx, &mut theirs);
        let expected = tandem.all_values(&ours);
        let got = engine.all_values(&theirs);
        if E::all_len(&theirs) != doc.flags.len() || got.len() != doc.flags.len() {
            return Err(format!(
                "{name}: evaluate-all gave {} results ({} with a value) for {} flags",
                E::all_len(&theirs),
                got.len(),
                doc.flags.len()
            ));
        }
        for flag in &doc.flags {
            let (e, g) = (expected.get(&flag.key), got.get(&flag.key));
            let agrees = if same_as_tandem(flag) {
                g.is_some() && g == e
            } else {
                is_variant_value(flag, g)
            };
            if !agrees {
                return Err(format!(
                    "{name}: evaluate-all, {} on context {i:?}: {g:?}, Tandem {e:?}",
                    flag.key
                ));
            }
        }
    }
    let mut counts: BTreeMap<&str, BTreeMap<String, u32>> = BTreeMap::new();
    let mut generator = Generator::new();
    for i in 0..SPLIT_KEYS {
        engine.evaluate_all(&E::context(&generator.input(i)), &mut theirs);
        for (key, value) in engine.all_values(&theirs) {
            if let Some(flag) = doc.flag(&key).filter(|f| !same_as_tandem(f)) {
                *counts
                    .entry(flag.key.as_str())
                    .or_default()
                    .entry(value.to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    for flag in &doc.flags {
        if let Rule::Split(arms) = &flag.rule {
            let counts = counts.get(flag.key.as_str()).cloned().unwrap_or_default();
            proportions(name, flag, arms, &counts)?;
        }
    }
    Ok(())
}

/// A loaded 1,000-flag config: every flag on the reused context and a few fresh ones, through
/// the single-flag calls (the targeted ones equal to Tandem's, the splits serving an arm).
pub fn loaded<E: Engine>(
    name: &str,
    engine: &E,
    tandem: &Tandem,
    doc: &Document,
    static_json: &Value,
) -> Result<(), String> {
    for (i, ours, theirs) in context_pairs::<E>(static_json, 20, 7919) {
        for flag in &doc.flags {
            let expected = served(tandem, flag, &ours)?;
            let got = served(engine, flag, &theirs)?;
            let agrees = if same_as_tandem(flag) {
                got.is_some() && got == expected
            } else {
                is_variant_value(flag, got.as_ref())
            };
            if !agrees {
                return Err(format!(
                    "{name}: {} on context {i:?}: {got:?}, Tandem {expected:?}",
                    flag.key
                ));
            }
        }
    }
    Ok(())
}

/// Tandem itself against values worked out by hand from the workloads' README: the reused
/// context (age 34, SE) gets both booleans; fresh context `i` has age 10 + i mod 50 and country
/// SE US NO DE DK GB FI FR[i mod 8], so 0 (10, SE), 8 (18, SE), 10 (20, NO), 11 (21, DE).
pub fn tandem_by_hand(tandem: &Tandem, static_json: &Value) -> Result<(), String> {
    let reused = Tandem::static_context(static_json);
    let mut generator = Generator::new();
    let mut cases = vec![("reused".to_owned(), reused, true)];
    for (i, targeted) in [(0, false), (8, true), (10, true), (11, false)] {
        cases.push((
            format!("fresh {i}"),
            Tandem::context(&generator.input(i)),
            targeted,
        ));
    }
    for (which, ctx, targeted) in &cases {
        let got = (
            tandem.get_bool("w1-static", ctx),
            tandem.get_bool("w2-targeted", ctx),
        );
        if got != (Some(true), Some(*targeted)) {
            return Err(format!("tandem on {which}: (w1, w2) = {got:?}"));
        }
    }
    Ok(())
}

/// The W2 rule alone: datalogic-rs and Tandem's rule engine agree with each other and with the
/// W2 flag, on the reused context and on fresh ones.
pub fn rule_alone(
    datalogic: &Datalogic,
    rule: &TandemRule,
    tandem: &Tandem,
    static_text: &str,
    static_json: &Value,
) -> Result<(), String> {
    let mut arena = datalogic_rs::bumpalo::Bump::new();
    let parsed = Datalogic::parse_context(static_text)?;
    let theirs = datalogic.eval_parsed(&parsed, &mut arena, |s| s.map(str::to_owned));
    let ours = rule.eval(static_json, |s| s.map(str::to_owned));
    let flag = tandem.get_bool("w2-targeted", &Tandem::static_context(static_json));
    check_rule("the reused context", theirs, ours, flag)?;
    let mut generator = Generator::new();
    for i in 0..SAMPLE {
        let input = generator.input(i);
        let theirs = datalogic.eval_fresh(&input, &mut arena, |s| s.map(str::to_owned));
        let ours = rule.eval(&json_context(&input), |s| s.map(str::to_owned));
        let flag = tandem.get_bool("w2-targeted", &Tandem::context(&input));
        check_rule(&format!("fresh context {i}"), theirs, ours, flag)?;
    }
    Ok(())
}

fn check_rule(
    which: &str,
    theirs: Option<String>,
    ours: Option<String>,
    flag: Option<bool>,
) -> Result<(), String> {
    let from_flag = flag.map(|on| if on { "on" } else { "off" }.to_owned());
    if theirs.is_some() && theirs == ours && ours == from_flag {
        Ok(())
    } else {
        Err(format!(
            "rule alone on {which}: datalogic-rs {theirs:?}, Tandem's rule {ours:?}, the flag {flag:?}"
        ))
    }
}
