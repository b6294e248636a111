//! JavaScript-like coercions, as JSON Logic defines its operators in terms of JavaScript.
//!
//! Where JavaScript silently produces `NaN` or compares apples with oranges, the modern JSON
//! Logic semantics (the compat tables) raise a `NaN` error instead; these helpers return that
//! error so every operator agrees.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::budget::{bytes_units, Budget, ELEMENT, FAST_BYTES};
use super::{EvalError, EvalErrorKind};
use crate::float_text::Shortest;
use crate::json_checked;

impl EvalError {
    pub(crate) fn nan() -> Self {
        Self::builtin(EvalErrorKind::NotANumber, "NaN")
    }

    pub(crate) fn invalid_args() -> Self {
        Self::builtin(EvalErrorKind::InvalidArguments, "Invalid Arguments")
    }

    pub(crate) fn limit() -> Self {
        Self::builtin(EvalErrorKind::LimitExceeded, "Limit Exceeded")
    }

    /// `throw`: a string `s` becomes `{"type": s}`, an object is raised as it is, anything
    /// else becomes the `type` of a new object.
    pub(crate) fn thrown(value: Value) -> Self {
        let value = match value {
            Value::Object(_) => value,
            other => {
                let mut map = Map::new();
                map.insert("type".to_owned(), other);
                Value::Object(map)
            }
        };
        Self::new(EvalErrorKind::Thrown, value)
    }

    fn builtin(kind: EvalErrorKind, type_name: &str) -> Self {
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::String(type_name.to_owned()));
        Self::new(kind, Value::Object(map))
    }

    fn new(kind: EvalErrorKind, value: Value) -> Self {
        Self {
            inner: Box::new(super::ErrorInner { kind, value }),
        }
    }

    /// Whether `try` may recover from this error. Budget exhaustion is final: recovering would
    /// let a hostile rule keep burning work.
    pub(crate) fn catchable(&self) -> bool {
        self.inner.kind != EvalErrorKind::LimitExceeded
    }
}

/// JSON Logic truthiness: JavaScript's, except that an empty array and an empty object are
/// falsy, as flagd's daemon (Go's jsonlogic) has it and DESIGN §3 asks (an attribute sent as
/// `{}` is "not set").
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => number_f64(n) != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

pub(crate) fn number_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// JavaScript's `ToNumber`, except that arrays and objects are never numbers (the compat
/// tables make `[1] + 1` a `NaN` error, not `2`).
pub(crate) fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => number_f64(n),
        Value::String(s) => parse_js_number(s),
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

/// `ToNumber` for strings: surrounding whitespace ignored, empty is 0, decimal with optional
/// exponent, `Infinity`, and unsigned `0x`/`0o`/`0b` integers. Anything else is NaN (Rust's
/// parser alone would also accept `inf`, `nan` and `infinity`).
pub(crate) fn parse_js_number(text: &str) -> f64 {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let (negative, body) = match t.as_bytes().first() {
        Some(b'+') => (false, t.get(1..).unwrap_or("")),
        Some(b'-') => (true, t.get(1..).unwrap_or("")),
        _ => (false, t),
    };
    if body == "Infinity" {
        return if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if body.len() == t.len() {
        let radix = match body.get(..2) {
            Some("0x" | "0X") => 16,
            Some("0o" | "0O") => 8,
            Some("0b" | "0B") => 2,
            _ => 0,
        };
        if radix != 0 {
            return parse_radix(body.get(2..).unwrap_or(""), radix);
        }
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    let magnitude = decimal_magnitude(body);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// The value of an unsigned decimal literal (one `is_decimal_literal` accepts), correctly
/// rounded, past `f64`'s range infinite. Read by serde_json's reader (`json_checked::number`)
/// rather than `str::parse::<f64>`, which rounds the same: one float parser in the full wasm
/// build instead of two (about 13 KB gzip). JavaScript's forms that JSON lacks (leading zeros
/// `007`, no integer digits `.5`, no fraction digits `5.` and `5.e3`) are first rewritten into
/// JSON's form with the same digits, so the same value.
fn decimal_magnitude(literal: &str) -> f64 {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let (int, rest) = literal
        .split_at_checked(digits(literal))
        .unwrap_or((literal, ""));
    let (fraction, exponent) = match rest.strip_prefix('.') {
        Some(after) => after.split_at_checked(digits(after)).unwrap_or((after, "")),
        None => ("", rest),
    };
    let json_int = match int.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let json: Cow<'_, str> =
        if json_int.len() == int.len() && (rest.len() == exponent.len() || !fraction.is_empty()) {
            // Already JSON's form (the common case): no copy.
            Cow::Borrowed(literal)
        } else {
            let mut text = String::with_capacity(literal.len() + 1);
            text.push_str(json_int);
            if !fraction.is_empty() {
                text.push('.');
                text.push_str(fraction);
            }
            text.push_str(exponent);
            Cow::Owned(text)
        };
    match json_checked::number(&json) {
        Some(n) => number_f64(&n),
        // serde_json refuses a well-formed literal only past `f64`'s range, which JavaScript
        // (and `str::parse`) round to infinity.
        None => f64::INFINITY,
    }
}

fn parse_radix(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut acc = 0.0_f64;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => acc = acc * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    acc
}

/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit.
fn is_decimal_literal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        mantissa_digits += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == bytes.len()
}

/// A computed number as JSON: an integer when it is integral and fits `i64` (so results look
/// like JavaScript's `3`, not `3.0`); NaN and infinities, which JSON cannot hold, raise `NaN`.
pub(crate) fn number_value(f: f64) -> Result<Value, EvalError> {
    if !f.is_finite() {
        return Err(EvalError::nan());
    }
    // 2^63 is exactly representable; every integral f64 below it in magnitude fits i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        // Exact: f is integral and in range (and -0.0 becomes 0).
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Value::from(f as i64));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(EvalError::nan)
}

/// Appends JavaScript's `String(value)`; `null` inside arrays is empty, as `join` does.
pub(crate) fn push_js_string(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_js_number(out, n),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    push_js_string(out, item);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// JavaScript's `String(value)` without copying when the value already is a string.
pub(crate) fn js_string(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        other => {
            let mut out = String::new();
            push_js_string(&mut out, other);
            Cow::Owned(out)
        }
    }
}

pub(crate) fn push_js_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        push_js_f64(out, number_f64(n));
    }
}

/// ECMAScript `Number::toString`: the shortest round-trip digits, laid out as JavaScript does
/// (plain notation for exponents in `[-7, 21)`, `1e+21` style otherwise).
pub(crate) fn push_js_f64(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f < 0.0 {
        out.push('-');
    }
    // The shortest digits that round-trip, `f = 0.digits × 10^n` (finite and non-zero here).
    let Some(shortest) = Shortest::of(f) else {
        return;
    };
    let digits = shortest.digits();
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = i64::from(shortest.point());
    if k <= n && n <= 21 {
        out.push_str(digits);
        for _ in k..n {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        let (int, frac) = digits.split_at(split.min(digits.len()));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in n..0 {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let mut chars = digits.chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        let rest = chars.as_str();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e >= 0 { "+" } else { "-" }, e.abs());
    }
}

/// Whether a primitive (`null`, a boolean or a number) meets a string that is not a number:
/// typically a context attribute that is missing or of another type than the rule expects.
/// JavaScript (json-logic-js, and so flagd) says "not equal, not ordered"; the compat tables
/// raise `NaN` for a number against such a string. Tandem follows JavaScript here, as a listed
/// divergence: an attribute of an unexpected type must make a rule not match, not fail the
/// whole flag over to the caller's default.
fn primitive_vs_text(a: &Value, b: &Value, budget: &Budget) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Null | Value::Bool(_) | Value::Number(_), Value::String(s))
        | (Value::String(s), Value::Null | Value::Bool(_) | Value::Number(_)) => {
            budget.charge_slow(s.len())?;
            Ok(parse_js_number(s).is_nan())
        }
        _ => Ok(false),
    }
}

/// `to_number`, paying for parsing a string.
fn number_of(value: &Value, budget: &Budget) -> Result<f64, EvalError> {
    if let Value::String(s) = value {
        budget.charge_slow(s.len())?;
    }
    Ok(to_number(value))
}

/// Two strings' equality, paying for the bytes compared (only equal lengths compare bytes).
fn same_text(x: &str, y: &str, budget: &Budget) -> Result<bool, EvalError> {
    if x.len() != y.len() {
        return Ok(false);
    }
    budget.charge_fast(x.len())?;
    Ok(x == y)
}

/// `==`: JavaScript's abstract equality on JSON values. `null` equals only `null` (so a
/// missing attribute is unequal to `""`, `0` and `false`, as in JavaScript, json-logic-js,
/// json-logic-engine and Go's jsonlogic); other values of the same type compare directly;
/// other primitive pairs compare as numbers (`1 == "1"`, `1 == true`); a number or boolean is
/// unequal to a string that is not a number; arrays and objects raise `NaN`.
pub(crate) fn loose_eq(a: &Value, b: &Value, budget: &Budget) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(EvalError::nan())
        }
        (Value::Null, Value::Null) => Ok(true),
        (Value::Null, _) | (_, Value::Null) => Ok(false),
        (Value::String(x), Value::String(y)) => same_text(x, y, budget),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Number(x), Value::Number(y)) => Ok(number_f64(x) == number_f64(y)),
        _ if primitive_vs_text(a, b, budget)? => Ok(false),
        _ => {
            let (x, y) = (number_of(a, budget)?, number_of(b, budget)?);
            if x.is_nan() || y.is_nan() {
                Err(EvalError::nan())
            } else {
                Ok(x == y)
            }
        }
    }
}

/// `===`: same type and value, numbers by value (`1 === 1.0`). Arrays and objects compare
/// structurally: JavaScript compares references, which means nothing for JSON data. Walks
/// without recursion, paying for each element as it goes.
pub(crate) fn strict_eq(a: &Value, b: &Value, budget: &Budget) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(true),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Number(x), Value::Number(y)) => Ok(number_f64(x) == number_f64(y)),
        (Value::String(x), Value::String(y)) => same_text(x, y, budget),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            strict_eq_deep(a, b, budget)
        }
        _ => Ok(false),
    }
}

fn strict_eq_deep(a: &Value, b: &Value, budget: &Budget) -> Result<bool, EvalError> {
    let left = budget.remaining();
    let mut spent = 0u64;
    let mut stack = vec![(a, b)];
    let mut equal = true;
    while let Some((x, y)) = stack.pop() {
        spent += ELEMENT;
        equal = match (x, y) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(p), Value::Bool(q)) => p == q,
            (Value::Number(p), Value::Number(q)) => number_f64(p) == number_f64(q),
            (Value::String(p), Value::String(q)) => {
                if p.len() == q.len() {
                    spent += bytes_units(p.len(), FAST_BYTES);
                }
                p == q
            }
            (Value::Array(p), Value::Array(q)) => {
                stack.extend(p.iter().zip(q));
                p.len() == q.len()
            }
            (Value::Object(p), Value::Object(q)) => {
                let mut all = p.len() == q.len();
                for (key, v) in p {
                    if !all {
                        break;
                    }
                    spent += bytes_units(key.len(), FAST_BYTES);
                    match q.get(key) {
                        Some(w) => stack.push((v, w)),
                        None => all = false,
                    }
                }
                all
            }
            _ => false,
        };
        if spent > left {
            return budget.charge(spent).map(|()| false);
        }
        if !equal {
            break;
        }
    }
    budget.charge(spent)?;
    Ok(equal)
}

/// `<`, `>` and friends: two strings compare as JavaScript does (UTF-16 code units); anything
/// else compares as numbers; a primitive and a non-numeric string are unordered (`None`: every
/// relation is false); arrays and objects raise `NaN`.
pub(crate) fn compare(
    a: &Value,
    b: &Value,
    budget: &Budget,
) -> Result<Option<Ordering>, EvalError> {
    match (a, b) {
        // The common case first (`age >= 18`): two numbers, neither of them NaN.
        (Value::Number(x), Value::Number(y)) => number_f64(x)
            .partial_cmp(&number_f64(y))
            .map(Some)
            .ok_or_else(EvalError::nan),
        (Value::String(x), Value::String(y)) => {
            budget.charge_fast(x.len().min(y.len()))?;
            Ok(Some(cmp_utf16(x, y)))
        }
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(EvalError::nan())
        }
        _ if primitive_vs_text(a, b, budget)? => Ok(None),
        _ => number_of(a, budget)?
            .partial_cmp(&number_of(b, budget)?)
            .map(Some)
            .ok_or_else(EvalError::nan),
    }
}

/// The order of two strings' UTF-16 code units, found at memory speed: the common prefix is
/// compared as bytes, and only the first differing characters are encoded. UTF-16 order
/// differs from code point order (and so from UTF-8 byte order) only between U+E000..U+FFFF
/// and the supplementary planes, which encoding the two characters settles.
pub(crate) fn cmp_utf16(x: &str, y: &str) -> Ordering {
    let (a, b) = (x.as_bytes(), y.as_bytes());
    let mut at = 0;
    for (p, q) in a.chunks(64).zip(b.chunks(64)) {
        if p != q {
            at += p.iter().zip(q).take_while(|(u, v)| u == v).count();
            break;
        }
        at += p.len().min(q.len());
    }
    // Both strings share the bytes before `at`, so they share its character boundary.
    let mut start = at;
    while !x.is_char_boundary(start) {
        start -= 1;
    }
    let next = |s: &str| s.get(start..).and_then(|rest| rest.chars().next());
    match (next(x), next(y)) {
        (Some(c), Some(d)) => {
            let (mut p, mut q) = ([0u16; 2], [0u16; 2]);
            let (p, q): (&[u16], &[u16]) = (c.encode_utf16(&mut p), d.encode_utf16(&mut q));
            p.cmp(q)
        }
        _ => a.len().cmp(&b.len()),
    }
}

/// The hash key of a number in a literal set: the bits of its `f64` value, `-0` as `0`, so
/// that keys are equal exactly when `===` says the numbers are.
pub(crate) fn number_key(n: &Number) -> u64 {
    (number_f64(n) + 0.0).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn js(f: f64) -> String {
        let mut s = String::new();
        push_js_f64(&mut s, f);
        s
    }

    #[test]
    fn formats_numbers_like_javascript() {
        assert_eq!(js(1.5), "1.5");
        assert_eq!(js(100.0), "100");
        assert_eq!(js(1e21), "1e+21");
        assert_eq!(js(1.5e21), "1.5e+21");
        assert_eq!(js(123_456_789_012_345_680_000.0), "123456789012345680000");
        assert_eq!(js(0.000_001), "0.000001");
        assert_eq!(js(0.000_000_1), "1e-7");
        assert_eq!(js(-2.5e-8), "-2.5e-8");
        assert_eq!(js(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(js(-0.0), "0");
    }

    #[test]
    fn parses_strings_like_javascript() {
        assert_eq!(parse_js_number(""), 0.0);
        assert_eq!(parse_js_number("  42\n"), 42.0);
        assert_eq!(parse_js_number("1e2"), 100.0);
        assert_eq!(parse_js_number("-1.5"), -1.5);
        assert_eq!(parse_js_number(".5"), 0.5);
        assert_eq!(parse_js_number("5."), 5.0);
        assert_eq!(parse_js_number("0x1F"), 31.0);
        assert_eq!(parse_js_number("-Infinity"), f64::NEG_INFINITY);
        for bad in [
            "inf", "nan", "NaN", "1e", "e5", ".", "-0x10", "1_000", "12px", "Hey",
        ] {
            assert!(parse_js_number(bad).is_nan(), "{bad}");
        }
    }

    /// The decimal forms go through serde_json's reader after a rewrite into JSON's form; the
    /// result must equal `str::parse::<f64>` (the parser used before) bit for bit.
    #[test]
    fn decimal_strings_match_std_parse() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "+0",
            "00",
            "007",
            "-007.50",
            "0.",
            ".0",
            "-.0",
            "5.",
            "5.e3",
            ".5e-3",
            "000.000",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e309",
            "-1e400",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "0e99999999999999999999",
            "4.9e-324",
            "2.4e-324",
            "2.5e-324",
            "1e-400",
            "9007199254740993",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "0.1",
            "1E+2",
            "2.2250738585072011e-308",
            "00000000000000000000001.5",
            "1e0000000000000000000001",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Deterministic pseudo-random literals: digit runs, optional dot and exponent.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..20_000 {
            let mut s = String::new();
            match next(3) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            for _ in 0..next(25) {
                s.push(char::from(b'0' + next(10) as u8));
            }
            if next(2) == 0 {
                s.push('.');
                for _ in 0..next(25) {
                    s.push(char::from(b'0' + next(10) as u8));
                }
            }
            if next(2) == 0 {
                s.push(if next(2) == 0 { 'e' } else { 'E' });
                match next(3) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                s.push_str(&next(700).to_string());
            }
            cases.push(s);
        }
        let mut decimal = 0;
        for case in &cases {
            let unsigned = case.strip_prefix(['+', '-']).unwrap_or(case);
            if case.is_empty() {
                continue; // JavaScript's 0, tested above
            }
            if !is_decimal_literal(unsigned) {
                assert!(parse_js_number(case).is_nan(), "{case}");
                continue;
            }
            decimal += 1;
            let want: f64 = case.parse().unwrap();
            let got = parse_js_number(case);
            assert_eq!(got.to_bits(), want.to_bits(), "{case}: {got} != {want}");
        }
        assert!(decimal > 10_000, "{decimal}");
    }

    fn eq(a: Value, b: Value) -> Result<bool, EvalError> {
        loose_eq(&a, &b, &Budget::per_flag())
    }

    fn strict(a: Value, b: Value) -> bool {
        strict_eq(&a, &b, &Budget::per_flag()).unwrap()
    }

    fn order(a: Value, b: Value) -> Result<Option<Ordering>, EvalError> {
        compare(&a, &b, &Budget::per_flag())
    }

    #[test]
    fn loose_equality_follows_javascript() {
        assert_eq!(eq(json!(1), json!("1")), Ok(true));
        assert_eq!(eq(json!(1), json!(true)), Ok(true));
        assert_eq!(eq(json!("a"), json!("b")), Ok(false));
        assert_eq!(eq(json!(""), json!(0)), Ok(true));
        // null equals only null (JavaScript, json-logic-js, json-logic-engine and Go agree;
        // the compat tables' `null == 0` is a listed divergence).
        assert_eq!(eq(json!(null), json!(null)), Ok(true));
        for other in [
            json!(0),
            json!(1),
            json!(false),
            json!(""),
            json!("0"),
            json!("SE"),
        ] {
            assert_eq!(eq(json!(null), other.clone()), Ok(false), "{other}");
            assert_eq!(eq(other.clone(), json!(null)), Ok(false), "{other}");
        }
        // Divergence from the tables (which raise NaN), as JavaScript and flagd do.
        assert_eq!(eq(json!(1), json!("A")), Ok(false));
        assert_eq!(eq(json!(true), json!("true")), Ok(false));
        assert_eq!(eq(json!([]), json!([1])), Err(EvalError::nan()));
        assert!(strict(json!(1), json!(1.0)));
        assert!(!strict(json!(1), json!("1")));
        assert!(strict(
            json!({"a": [1, {"b": "c"}]}),
            json!({"a": [1.0, {"b": "c"}]})
        ));
        assert!(!strict(
            json!({"a": [1, {"b": "c"}]}),
            json!({"a": [1, {"b": "d"}]})
        ));
        assert!(!strict(json!([1, 2]), json!([1, 2, 3])));
    }

    #[test]
    fn structural_equality_is_paid_for() {
        let big = json!((0..1000).collect::<Vec<_>>());
        let budget = Budget::new(100);
        assert_eq!(
            strict_eq(&big, &big, &budget).unwrap_err().kind(),
            EvalErrorKind::LimitExceeded
        );
        assert_eq!(budget.remaining(), 0);
        let budget = Budget::per_flag();
        assert_eq!(strict_eq(&big, &big, &budget), Ok(true));
        assert!(budget.remaining() <= Budget::PER_FLAG - 1000 * ELEMENT);
    }

    #[test]
    fn relational_comparison_coerces_or_fails() {
        use Ordering::{Equal, Greater, Less};
        assert_eq!(order(json!("21"), json!(3)), Ok(Some(Greater)));
        assert_eq!(order(json!("21"), json!("3")), Ok(Some(Less)));
        assert_eq!(order(json!(null), json!(true)), Ok(Some(Less)));
        assert_eq!(order(json!(2023), json!("2024-01-01")), Ok(None));
        assert_eq!(order(json!([1]), json!(5)), Err(EvalError::nan()));
        assert_eq!(order(json!(null), json!("gold")), Ok(None));
        // UTF-16 order: U+FF5E sorts after U+1F600's lead surrogate (0xD83D).
        assert_eq!(
            order(json!("\u{ff5e}"), json!("\u{1f600}")),
            Ok(Some(Greater))
        );
        assert_eq!(
            order(json!("a\u{ff5e}"), json!("a\u{1f600}b")),
            Ok(Some(Greater))
        );
        assert_eq!(order(json!("ab"), json!("abc")), Ok(Some(Less)));
        assert_eq!(order(json!(""), json!("")), Ok(Some(Equal)));
    }

    #[test]
    fn utf16_order_agrees_with_encoding_everything() {
        let samples = [
            "",
            "a",
            "ab",
            "b",
            "é",
            "e\u{301}",
            "\u{ff5e}",
            "\u{1f600}",
            "\u{e000}",
            "\u{ffff}",
            "\u{10000}",
            "z\u{1f600}",
            "z\u{ff5e}",
        ];
        let long: Vec<String> = samples
            .iter()
            .map(|s| format!("{}{s}", "x".repeat(130)))
            .collect();
        let all: Vec<&str> = samples
            .iter()
            .copied()
            .chain(long.iter().map(String::as_str))
            .collect();
        for x in &all {
            for y in &all {
                assert_eq!(
                    cmp_utf16(x, y),
                    x.encode_utf16().cmp(y.encode_utf16()),
                    "{x:?} vs {y:?}"
                );
            }
        }
    }

    #[test]
    fn numbers_come_out_integral_when_they_can() {
        assert_eq!(number_value(3.0), Ok(json!(3)));
        assert_eq!(number_value(-0.0), Ok(json!(0)));
        assert_eq!(number_value(0.5), Ok(json!(0.5)));
        assert_eq!(number_value(1e300), Ok(json!(1e300)));
        assert_eq!(number_value(f64::INFINITY), Err(EvalError::nan()));
        assert!(!truthy(&json!({})));
        assert!(truthy(&json!({"a": null})));
        assert!(!truthy(&json!([])));
        assert!(truthy(&json!("0")));
    }
}
