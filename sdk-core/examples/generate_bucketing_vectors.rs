//! Writes `testdata/bucketing.json`, the cross-language vectors of DESIGN §4 (bucketing):
//!
//! ```text
//! cargo run -p tandem --example generate_bucketing_vectors > testdata/bucketing.json
//! ```
//!
//! Every expected value comes from `tandem::bucketing`; this file only chooses the inputs. The
//! choices are deterministic (SplitMix64 over a fixed seed, no RNG crate, no clock), so running
//! it again reproduces the file byte for byte. `sdk-core/tests/bucketing_vectors.rs` includes
//! this file as a module and fails when the checked-in file differs from [`render`], so a change
//! of behaviour cannot land without regenerating (and reviewing the diff).
//!
//! Layout of the output: a pretty-printed header, then one case per line so that a diff of a
//! regenerated file shows exactly which cases changed.
#![allow(
    clippy::indexing_slicing,
    reason = "indices into the constant, non-empty input pools are reduced modulo their length"
)]

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{json, Value};
use tandem::bucketing::{
    allocate, bucket, hash, held_out, holdout_threshold, normalize_unit, policy_draw, scale,
    UnitProblem,
};

/// The command that regenerates the file, recorded in it.
const GENERATOR: &str =
    "cargo run -p tandem --example generate_bucketing_vectors > testdata/bucketing.json";

/// Seed of the SplitMix64 stream that picks the inputs ("TANDEM\0\x01" in ASCII).
const SEED: u64 = 0x5441_4E44_454D_0001;

/// `2^53`: the denominator of the policy draw.
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

fn main() -> ExitCode {
    let text = match render() {
        Ok(text) => text,
        Err(message) => {
            eprintln!("generate_bucketing_vectors: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("generate_bucketing_vectors: cannot write: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One vector: the inputs and what every DESIGN §4 function returns for them.
#[derive(Debug, Serialize)]
struct Case {
    group: &'static str,
    salt: String,
    unit: Value,
    unit_normalized: String,
    hash: String,
    bucket: u32,
    weights: Vec<u32>,
    allocation: Option<usize>,
    percent: f64,
    holdout_threshold: u32,
    held_out: bool,
    decision_key: String,
    draw: f64,
    draw_numerator: String,
}

/// A context value that is not a unit, and the error code it maps to.
#[derive(Debug, Serialize)]
struct Rejection {
    /// `None` stands for an absent attribute (the key is left out of the case).
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<Value>,
    problem: &'static str,
}

/// The inputs of one case; [`Inputs::compute`] asks the core for the outputs.
struct Inputs {
    group: &'static str,
    salt: String,
    unit: Value,
    weights: Vec<u32>,
    percent: f64,
    decision_key: String,
}

impl Inputs {
    fn compute(self) -> Result<Case, String> {
        let unit = normalize_unit(Some(&self.unit))
            .map_err(|problem| format!("{:?} is not a unit ({problem:?})", self.unit))?
            .into_owned();
        let draw = policy_draw(&self.salt, &unit, &self.decision_key);
        // `draw` is a 53-bit integer over 2^53, so this product is exact and fits u64.
        let numerator = (draw * TWO_POW_53) as u64;
        Ok(Case {
            group: self.group,
            hash: format!("{:016x}", hash(&self.salt, &unit)),
            bucket: bucket(&self.salt, &unit),
            allocation: allocate(&self.salt, &unit, &self.weights),
            holdout_threshold: holdout_threshold(self.percent),
            held_out: held_out(&self.salt, &unit, self.percent),
            draw,
            draw_numerator: numerator.to_string(),
            unit_normalized: unit,
            salt: self.salt,
            unit: self.unit,
            weights: self.weights,
            percent: self.percent,
            decision_key: self.decision_key,
        })
    }
}

/// SplitMix64: a counter passed through a 64-bit finaliser, the simplest stream that is good
/// enough to spread inputs and is trivially reproducible in any language.
struct Picker(u64);

impl Picker {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)` (multiply-shift, no modulo bias).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn alnum(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.index(ALPHABET.len())]))
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.index(16)]))
            .collect()
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(4),
            self.hex(12)
        )
    }
}

/// Object keys as configs name them.
const KEYS: &[&str] = &[
    "checkout",
    "checkout-personalization",
    "onboarding-v2",
    "pricing_page",
    "search.ranking",
    "q4-global",
    "homepage-hero",
    "checkout-cb",
    "recs-bandit",
    "new-nav",
    "mobile-paywall",
    "email-subject",
    "free-shipping-threshold",
    "a",
    "x",
];

/// The namespaces of the default salts.
const KINDS: &[&str] = &["experiment", "layer", "holdout", "policy"];

/// Non-ASCII pieces: accents (precomposed and decomposed), other scripts, CJK, emoji (including
/// ZWJ sequences, flags, skin tones and variation selectors), astral-plane characters.
const ACCENTED: &[&str] = &[
    "café",
    "cafe\u{301}",
    "Zoë",
    "naïve",
    "São Paulo",
    "Ærøskøbing",
    "Łódź",
    "straße",
    "crème brûlée",
    "Ελλάδα",
    "Москва",
    "עברית",
    "العربية",
    "हिन्दी",
    "ไทย",
];
const CJK: &[&str] = &[
    "用户",
    "实验",
    "ユーザー",
    "東京",
    "사용자",
    "漢字",
    "𠜎",
    "测试桶",
    "個人化",
];
const EMOJI: &[&str] = &[
    "🚀",
    "😀",
    "👩\u{200D}💻",
    "🇸🇪",
    "👍🏽",
    "❤\u{FE0F}",
    "🧪",
    "🎲",
    "𝔘𝔫𝔦𝔱",
    "\u{200B}",
    "\u{FFFD}",
];

/// A unit as products use them: ids, UUIDs, e-mails, device ids, digit strings.
fn ascii_unit(p: &mut Picker) -> String {
    match p.below(6) {
        0 => format!("user-{}", p.below(10_000_000)),
        1 => p.uuid(),
        2 => format!(
            "{}{}@example.com",
            p.pick(&["ana", "bo", "chen", "dev"]),
            p.below(1000)
        ),
        3 => {
            let len = 1 + p.index(24);
            p.alnum(len)
        }
        4 => p.next().to_string(),
        _ => format!("dev_{}", p.hex(16)),
    }
}

/// One to three non-ASCII pieces, sometimes around ASCII, covering every pool in turn.
fn non_ascii(p: &mut Picker, turn: usize) -> String {
    let pools = [ACCENTED, CJK, EMOJI];
    let mut text = p.pick(pools[turn % pools.len()]).to_owned();
    for _ in 0..p.index(3) {
        let pool = p.pick(&pools);
        text.push_str(p.pick(&["", "-", " ", "/", "_"]));
        text.push_str(p.pick(pool));
    }
    if p.chance(3) {
        text = format!("{}-{text}", p.alnum(4));
    }
    text
}

fn key(p: &mut Picker) -> String {
    if p.chance(4) {
        let len = 1 + p.index(12);
        p.alnum(len).to_lowercase()
    } else {
        p.pick(KEYS).to_owned()
    }
}

fn namespaced(p: &mut Picker, kind: &str) -> String {
    format!("{kind}/{}", key(p))
}

/// 2 to 10 arms, in one of several shapes; the total is positive and at most `u32::MAX`.
fn weights(p: &mut Picker) -> Vec<u32> {
    let arms = 2 + p.index(9);
    let mut weights: Vec<u32> = match p.below(5) {
        0 => vec![p.pick(&[1, 50, 100, 1000, 5000]); arms],
        1 => (0..arms).map(|_| 1 + p.below(100) as u32).collect(),
        2 => (0..arms)
            .map(|_| if p.chance(2) { 0 } else { p.below(21) as u32 })
            .collect(),
        3 => (0..arms).map(|_| 1 + p.below(10_000) as u32).collect(),
        _ => {
            // Each below u32::MAX / arms, so the total stays within u32.
            let cap = u64::from(u32::MAX) / arms as u64;
            (0..arms).map(|_| p.below(cap + 1) as u32).collect()
        }
    };
    if weights.iter().all(|&w| w == 0) {
        let at = p.index(arms);
        weights[at] = 1 + p.below(10) as u32;
    }
    weights
}

/// Percents named by the spec and brief, ones where rounding matters (`x.5` after × 100, and
/// decimal literals whose double product falls just below `x.5`), and random ones.
fn percent(p: &mut Picker) -> f64 {
    const NAMED: &[f64] = &[
        0.0, 0.005, 0.01, 0.125, 0.285, 0.5, 1.0, 1.005, 2.5, 5.0, 10.0, 12.345, 25.0, 33.33, 50.0,
        75.0, 99.99, 99.995, 100.0,
    ];
    match p.below(3) {
        0 => p.pick(NAMED),
        1 => p.below(10_001) as f64 / 100.0,
        _ => p.below(100_001) as f64 / 1000.0,
    }
}

fn decision_key(p: &mut Picker) -> String {
    if p.chance(2) {
        return String::new();
    }
    match p.below(5) {
        0 => format!("req-{}", p.below(1_000_000)),
        1 => p.uuid(),
        2 => format!("请求-{}", p.below(100)),
        3 => format!("🎲-{}", p.alnum(6)),
        _ => format!("2026-11-25T10:{:02}:00Z#{}", p.below(60), p.below(10)),
    }
}

/// A case with random weights, percent and decision key.
fn random_case(p: &mut Picker, group: &'static str, salt: String, unit: Value) -> Inputs {
    Inputs {
        group,
        salt,
        unit,
        weights: weights(p),
        percent: percent(p),
        decision_key: decision_key(p),
    }
}

/// A string of exactly `bytes` UTF-8 bytes when `piece` is ASCII, else the fewest repetitions of
/// `piece` reaching at least `bytes`.
fn repeated(piece: &str, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + piece.len());
    while text.len() < bytes {
        text.push_str(piece);
    }
    if piece.is_ascii() {
        text.truncate(bytes);
    }
    text
}

fn all_inputs() -> Vec<Inputs> {
    let mut p = Picker(SEED);
    let mut all = Vec::new();

    // Default namespaced salts with everyday ASCII units: the bulk of real traffic.
    for i in 0..400 {
        let salt = namespaced(&mut p, KINDS[i % KINDS.len()]);
        let unit = ascii_unit(&mut p);
        all.push(random_case(&mut p, "namespaced", salt, json!(unit)));
    }

    // Salts an object sets itself, and odd ones: no namespace, empty key, case, spaces.
    for i in 0..100 {
        let salt = match i % 10 {
            0 => "2026-q4-reshuffle".to_owned(),
            1 => "experiment/".to_owned(),
            2 => "Experiment/Checkout".to_owned(),
            3 => " experiment/checkout".to_owned(),
            4 => "layer//x".to_owned(),
            5 => "/".to_owned(),
            _ => {
                let len = 1 + p.index(32);
                p.alnum(len)
            }
        };
        let unit = ascii_unit(&mut p);
        all.push(random_case(&mut p, "custom_salt", salt, json!(unit)));
    }

    // The empty salt: only the 0x00 separator precedes the unit.
    for i in 0..60 {
        let unit = if i % 3 == 0 {
            non_ascii(&mut p, i)
        } else {
            ascii_unit(&mut p)
        };
        all.push(random_case(
            &mut p,
            "empty_salt",
            String::new(),
            json!(unit),
        ));
    }

    // Non-ASCII in the unit, the salt's key, or both; `i` cycles through the pools.
    for i in 0..200 {
        let kind = KINDS[i % KINDS.len()];
        let (salt, unit) = match i % 3 {
            0 => (namespaced(&mut p, kind), non_ascii(&mut p, i)),
            1 => (
                format!("{kind}/{}", non_ascii(&mut p, i + 1)),
                ascii_unit(&mut p),
            ),
            _ => (
                format!("{kind}/{}", non_ascii(&mut p, i + 2)),
                non_ascii(&mut p, i),
            ),
        };
        all.push(random_case(&mut p, "non_ascii", salt, json!(unit)));
    }
    // Precomposed and decomposed forms are different bytes, so different units: no Unicode
    // normalisation happens.
    for (composed, decomposed) in [("café", "cafe\u{301}"), ("Zoë", "Zoe\u{308}")] {
        for unit in [composed, decomposed] {
            let salt = "experiment/unicode-forms".to_owned();
            all.push(random_case(&mut p, "non_ascii", salt, json!(unit)));
        }
    }

    // Input lengths around XXH3's internal size classes (1-3, 4-8, 9-16, 17-128, 129-240, 241+
    // bytes) and the core's 256-byte stack buffer (`salt ‖ 0x00 ‖ unit` of 255, 256, 257 bytes).
    let lengths = (1..=20).chain(126..=130).chain(238..=242).chain(253..=258);
    for len in lengths {
        for salt in ["", "experiment/len"] {
            let unit = p.alnum(len);
            all.push(random_case(
                &mut p,
                "length_sweep",
                salt.to_owned(),
                json!(unit),
            ));
        }
    }
    for len in [239, 240, 241] {
        // With a 15-byte salt: 15 + 1 + len = 255, 256, 257.
        let unit = p.alnum(len);
        let salt = "experiment/long".to_owned();
        all.push(random_case(&mut p, "length_sweep", salt, json!(unit)));
    }

    // Long units (past the stack buffer, up to a few KB), long salts, long decision keys.
    for bytes in [
        257, 300, 512, 1000, 1023, 1024, 1025, 2048, 3000, 4096, 8192,
    ] {
        let unit = p.alnum(bytes);
        let salt = namespaced(&mut p, KINDS[bytes % KINDS.len()]);
        all.push(random_case(&mut p, "long_unit", salt, json!(unit)));
    }
    for (piece, bytes) in [
        ("用户实验", 300),
        ("用户实验", 1500),
        ("🚀", 400),
        ("👩\u{200D}💻", 4096),
    ] {
        let unit = repeated(piece, bytes);
        let salt = namespaced(&mut p, "experiment");
        all.push(random_case(&mut p, "long_unit", salt, json!(unit)));
    }
    for bytes in [300, 1024] {
        let salt = format!("layer/{}", p.alnum(bytes));
        let unit = ascii_unit(&mut p);
        all.push(random_case(&mut p, "long_salt", salt, json!(unit)));
    }
    for bytes in [200, 300, 2000] {
        let salt = namespaced(&mut p, "policy");
        let unit = ascii_unit(&mut p);
        let mut inputs = random_case(&mut p, "long_decision_key", salt, json!(unit));
        inputs.decision_key = p.alnum(bytes);
        all.push(inputs);
    }

    // Integer-valued JSON numbers: the unit is their decimal digits. Literals that a double
    // cannot hold exactly get their own group: a binding that parses JSON numbers into doubles
    // (JavaScript's JSON.parse) needs a lossless parser for them.
    let numbers: [(Value, bool); 22] = [
        (json!(0), true),
        (json!(1), true),
        (json!(42), true),
        (json!(-7), true),
        (json!(42.0), true),
        (json!(-0.0), true),
        (json!(7.0), true),
        (json!(1500.0), true),
        (json!(-1.0), true),
        (json!(2_147_483_648_u64), true),
        (json!(4_294_967_296_u64), true),
        (json!(9_007_199_254_740_992_u64), true),
        (json!(9_007_199_254_740_993_u64), false),
        (json!(123_456_789_012_345_678_u64), false),
        (json!(i64::MAX), false),
        (json!(i64::MIN), true),
        (json!(u64::MAX), false),
        (json!(1e20), true),
        (json!(-1e20), true),
        (json!(1e21), true),
        (json!(18_446_744_073_709_551_616.0), true),
        (json!(1e300), true),
    ];
    for (number, f64_exact) in numbers {
        let group = if f64_exact {
            "integer_unit"
        } else {
            "integer_unit_beyond_f64"
        };
        for kind in KINDS {
            let salt = namespaced(&mut p, kind);
            all.push(random_case(&mut p, group, salt, number.clone()));
        }
    }
    // Strings are never reinterpreted: "42" is the unit 42, but "42.0" and "042" are not.
    let numeric_strings = [
        "42",
        "-7",
        "0",
        "42.0",
        "042",
        "+42",
        "4.2e1",
        " 42",
        "1e20",
        "100000000000000000000",
        "18446744073709551615",
    ];
    for unit in numeric_strings {
        for kind in ["experiment", "holdout"] {
            let salt = namespaced(&mut p, kind);
            all.push(random_case(&mut p, "numeric_string", salt, json!(unit)));
        }
    }

    // Holdout boundaries: percents whose threshold is the unit's bucket (not held out) or one
    // above it (held out).
    for i in 0..40 {
        let salt = namespaced(&mut p, "holdout");
        let unit = ascii_unit(&mut p);
        let b = bucket(&salt, &unit);
        let mut inputs = random_case(&mut p, "holdout_boundary", salt, json!(unit));
        inputs.percent = f64::from(b + (i % 2)) / 100.0;
        all.push(inputs);
    }

    // Allocation boundaries: the first arm ends exactly at `r` (the unit goes on to a later arm)
    // or one past it (the unit takes the first arm).
    for i in 0..40 {
        let salt = namespaced(&mut p, "experiment");
        let unit = ascii_unit(&mut p);
        let total = p.pick(&[7, 100, 10_000, 1_000_003, u64::from(u32::MAX)]);
        let r = scale(hash(&salt, &unit), total);
        let first = r + (i % 2);
        let rest = total - first;
        let weights: Vec<u64> = match p.below(3) {
            0 => vec![first, rest],
            1 => vec![first, rest / 2, rest - rest / 2],
            _ => vec![first, 0, rest],
        };
        let mut inputs = random_case(&mut p, "allocation_boundary", salt, json!(unit));
        // Every part is at most `total <= u32::MAX`.
        inputs.weights = weights.into_iter().map(|w| w as u32).collect();
        all.push(inputs);
    }

    // Weight shapes: equal, zero arms, totals of exactly u32::MAX, all zero (no arm: null).
    let max = u32::MAX;
    let shapes: [&[u32]; 17] = [
        &[1, 1],
        &[50, 50],
        &[34, 33, 33],
        &[0, 1],
        &[1, 0],
        &[0, 0, 5, 0],
        &[1, max - 1],
        &[max - 1, 1],
        &[0, max],
        &[2_147_483_648, 2_147_483_647],
        &[429_496_729; 10],
        &[1; 10],
        &[9999, 1],
        &[3, 7, 11, 13, 17, 19, 23, 29, 31, 37],
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        &[0, 0],
        &[0; 10],
    ];
    for shape in shapes {
        for _ in 0..3 {
            let salt = namespaced(&mut p, "experiment");
            let unit = ascii_unit(&mut p);
            let mut inputs = random_case(&mut p, "allocation_shape", salt, json!(unit));
            inputs.weights = shape.to_vec();
            all.push(inputs);
        }
    }

    // The separator and characters that JSON escapes. ("a\0b", "c") and ("a", "b\0c") hash the
    // same bytes: the 0x00 separator is not an escape, so a salt containing NUL can collide.
    let special: [(&str, &str); 14] = [
        ("ab", "c"),
        ("a", "bc"),
        ("a\0b", "c"),
        ("a", "b\0c"),
        ("experiment/x", "\0"),
        ("experiment/x", " "),
        ("experiment/x", "\t"),
        ("experiment/x", "line\nbreak"),
        ("experiment/x", "quote\"d"),
        ("experiment/x", "back\\slash"),
        ("experiment/x", "</script>"),
        ("experiment/x", "\u{7f}\u{1}\u{1f}"),
        ("experiment/x", "\u{2028}\u{2029}"),
        ("experiment/\"x\"", "u"),
    ];
    for (salt, unit) in special {
        all.push(random_case(
            &mut p,
            "special_chars",
            salt.to_owned(),
            json!(unit),
        ));
    }

    all
}

/// Context values that are not units (DESIGN §4), with the error code each maps to.
fn rejections() -> Result<Vec<Rejection>, String> {
    let values = [
        None,
        Some(Value::Null),
        Some(json!(true)),
        Some(json!(false)),
        Some(json!(1.5)),
        Some(json!(-0.5)),
        Some(json!(1e-7)),
        Some(json!(100.25)),
        Some(json!("")),
        Some(json!([])),
        Some(json!(["u1"])),
        Some(json!({})),
        Some(json!({"id": "u1"})),
    ];
    values
        .into_iter()
        .map(|unit| {
            let problem = match normalize_unit(unit.as_ref()) {
                Ok(normalized) => return Err(format!("{unit:?} is a unit: {normalized:?}")),
                Err(UnitProblem::Missing) => "TARGETING_KEY_MISSING",
                Err(UnitProblem::Invalid) => "INVALID_CONTEXT",
            };
            Ok(Rejection { unit, problem })
        })
        .collect()
}

fn header() -> Vec<(&'static str, Value)> {
    vec![
        (
            "description",
            json!(
                "Tandem bucketing vectors (DESIGN §4): the hash, bucket, allocation, holdout \
                   and policy draw of a salt and a unit, and unit normalisation. Normative: \
                   every implementation must reproduce every case bit for bit."
            ),
        ),
        ("generator", json!(GENERATOR)),
        (
            "note",
            json!(format!(
                "Generated by sdk-core/examples/generate_bucketing_vectors.rs; never edit by \
                 hand. Inputs are chosen by SplitMix64 (a counter hash) from seed {SEED:#018x}; \
                 every expected value is computed by tandem::bucketing, the Rust core. \
                 Regenerating reproduces this file byte for byte; \
                 sdk-core/tests/bucketing_vectors.rs asserts every case and fails when the file \
                 differs from the generator's output. testdata/python/ re-implements the spec \
                 independently and checks every case (.ci/vectors)."
            )),
        ),
        (
            "spec",
            json!({
                "hash": "h(salt, unit) = XXH3_64, seed 0, over the bytes UTF-8(salt) ‖ 0x00 ‖ \
                         UTF-8(unit). Strings are hashed exactly as given: no Unicode \
                         normalisation, no trimming, no case folding.",
                "bucket": "bucket = (h × 10000) >> 64, 128-bit product; in [0, 10000)",
                "allocation": "W = w_0 + … + w_n (u32 weights, summed in 64 bits); \
                               r = (h × W) >> 64, 128-bit product; allocation = the first \
                               0-based i with r < w_0 + … + w_i; null when W = 0",
                "holdout_threshold": "round(percent × 100): the product in IEEE-754 double \
                                      precision, rounded half away from zero, clamped to \
                                      [0, 10000]",
                "held_out": "bucket < holdout_threshold",
                "draw": "d = XXH3_64, seed 0, over UTF-8(salt) ‖ 0x00 ‖ UTF-8(unit) ‖ 0x00 ‖ \
                         UTF-8(decision_key) (the second 0x00 even when decision_key is \
                         empty); draw_numerator = d >> 11; draw = draw_numerator / 2^53, \
                         exact in a double, in [0, 1)",
                "unit": "a non-empty string as is; an integer-valued JSON number as its \
                         decimal digits, without sign for zero (42, -7, 42.0 → \"42\", \"-7\", \
                         \"42\"; -0.0 → \"0\"; 1e20 → \"100000000000000000000\"); missing or \
                         null → TARGETING_KEY_MISSING; a boolean, non-integral number, empty \
                         string, array or object → INVALID_CONTEXT",
                "default_salts": "experiment/<key>, layer/<key>, holdout/<key>, \
                                  policy/<bundle id>; an object may set its own salt",
            }),
        ),
        (
            "fields",
            json!({
                "group": "why the case exists; integer_unit_beyond_f64 holds integer literals \
                          that a double cannot represent (parse them losslessly)",
                "salt": "input",
                "unit": "input: the context value, a string or a JSON number",
                "unit_normalized": "the unit string that is hashed",
                "hash": "h(salt, unit_normalized) as 16 lower-case hex digits (a u64 does \
                         not fit a JavaScript number)",
                "bucket": "bucket(salt, unit_normalized)",
                "weights": "input: allocation weights",
                "allocation": "0-based index of the allocated arm, or null",
                "percent": "input: holdout percent",
                "holdout_threshold": "round(percent × 100) as specified",
                "held_out": "bucket < holdout_threshold",
                "decision_key": "input: the policy draw's decision key (often empty)",
                "draw": "the policy draw, a double (exact as JSON)",
                "draw_numerator": "the 53-bit integer draw × 2^53, as a decimal string",
            }),
        ),
    ]
}

/// Appends `"name": [` + one compact JSON line per item + `]`.
fn write_lines<T: Serialize>(out: &mut String, name: &str, items: &[T]) -> Result<(), String> {
    out.push_str(&format!("  {}: [\n", json!(name)));
    for (i, item) in items.iter().enumerate() {
        let line = serde_json::to_string(item).map_err(|e| e.to_string())?;
        let comma = if i + 1 < items.len() { "," } else { "" };
        out.push_str(&format!("    {line}{comma}\n"));
    }
    out.push_str("  ]");
    Ok(())
}

/// The whole `testdata/bucketing.json`.
///
/// # Errors
/// When an input the generator chose is not valid (a bug in this file), or serialization fails.
pub(crate) fn render() -> Result<String, String> {
    let cases = all_inputs()
        .into_iter()
        .map(Inputs::compute)
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = String::from("{\n");
    for (name, value) in header() {
        let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
        // JSON strings hold no raw newline, so this only indents the nested lines.
        let text = text.replace('\n', "\n  ");
        out.push_str(&format!("  {}: {text},\n", json!(name)));
    }
    write_lines(&mut out, "unit_rejections", &rejections()?)?;
    out.push_str(",\n");
    write_lines(&mut out, "cases", &cases)?;
    out.push_str("\n}\n");
    Ok(out)
}
