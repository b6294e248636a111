//! JavaScript-like coercions, as JSON Logic defines its operators in terms of JavaScript.
//!
//! Where JavaScript silently produces `NaN` or compares apples with oranges, the modern JSON
//! Logic semantics (the compat tables) raise a `NaN` error instead; these helpers return that
//! error so every operator agrees.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::{EvalError, EvalErrorKind};

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

/// JSON Logic truthiness: JavaScript's, except that an empty array is falsy.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => number_f64(n) != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
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
    t.parse::<f64>().unwrap_or(f64::NAN)
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
pub(crate) fn js_string(value: &Value) -> std::borrow::Cow<'_, str> {
    match value {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        other => {
            let mut out = String::new();
            push_js_string(&mut out, other);
            std::borrow::Cow::Owned(out)
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
    // `{:e}` prints the shortest digits that round-trip: "1.2345e3", "1e21", "5e-7".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
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
        out.push_str(&digits);
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
fn primitive_vs_text(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null | Value::Bool(_) | Value::Number(_), Value::String(s))
        | (Value::String(s), Value::Null | Value::Bool(_) | Value::Number(_)) => {
            parse_js_number(s).is_nan()
        }
        _ => false,
    }
}

/// `==`: same-type values compare directly; different primitive types compare as numbers
/// (so `null == 0` and `1 == "1"`); a primitive is unequal to a string that is not a number;
/// arrays and objects raise `NaN`.
pub(crate) fn loose_eq(a: &Value, b: &Value) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(EvalError::nan())
        }
        (Value::Null, Value::Null) => Ok(true),
        _ if primitive_vs_text(a, b) => Ok(false),
        (Value::String(x), Value::String(y)) => Ok(x == y),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Number(x), Value::Number(y)) => Ok(number_f64(x) == number_f64(y)),
        _ => {
            let (x, y) = (to_number(a), to_number(b));
            if x.is_nan() || y.is_nan() {
                Err(EvalError::nan())
            } else {
                Ok(x == y)
            }
        }
    }
}

/// `===`: same type and value, numbers by value (`1 === 1.0`). Arrays and objects compare
/// structurally: JavaScript compares references, which means nothing for JSON data.
pub(crate) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => number_f64(x) == number_f64(y),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| strict_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| strict_eq(v, w)))
        }
        _ => false,
    }
}

/// `<`, `>` and friends: two strings compare as JavaScript does (UTF-16 code units); anything
/// else compares as numbers; a primitive and a non-numeric string are unordered (`None`: every
/// relation is false); arrays and objects raise `NaN`.
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, EvalError> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(Some(x.encode_utf16().cmp(y.encode_utf16()))),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(EvalError::nan())
        }
        _ if primitive_vs_text(a, b) => Ok(None),
        _ => to_number(a)
            .partial_cmp(&to_number(b))
            .map(Some)
            .ok_or_else(EvalError::nan),
    }
}

/// Roughly how much work copying `value` is, for the evaluation budget.
pub(crate) fn weight(value: &Value) -> usize {
    match value {
        Value::String(s) => 1 + s.len() / 16,
        Value::Array(items) => 1 + items.iter().map(weight).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(weight).sum::<usize>(),
        _ => 1,
    }
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

    #[test]
    fn loose_equality_follows_the_compat_tables() {
        assert_eq!(loose_eq(&json!(1), &json!("1")), Ok(true));
        assert_eq!(loose_eq(&json!(null), &json!(0)), Ok(true));
        assert_eq!(loose_eq(&json!(null), &json!(1)), Ok(false));
        assert_eq!(loose_eq(&json!(1), &json!(true)), Ok(true));
        assert_eq!(loose_eq(&json!("a"), &json!("b")), Ok(false));
        // Divergence from the tables (which raise NaN), as JavaScript and flagd do.
        assert_eq!(loose_eq(&json!(1), &json!("A")), Ok(false));
        assert_eq!(loose_eq(&json!(true), &json!("true")), Ok(false));
        assert_eq!(loose_eq(&json!([]), &json!([1])), Err(EvalError::nan()));
        // A missing attribute against a string is simply unequal.
        assert_eq!(loose_eq(&json!(null), &json!("SE")), Ok(false));
        assert_eq!(loose_eq(&json!(null), &json!("0")), Ok(true));
        assert!(strict_eq(&json!(1), &json!(1.0)));
        assert!(!strict_eq(&json!(1), &json!("1")));
    }

    #[test]
    fn relational_comparison_coerces_or_fails() {
        use Ordering::{Greater, Less};
        assert_eq!(compare(&json!("21"), &json!(3)), Ok(Some(Greater)));
        assert_eq!(compare(&json!("21"), &json!("3")), Ok(Some(Less)));
        assert_eq!(compare(&json!(null), &json!(true)), Ok(Some(Less)));
        assert_eq!(compare(&json!(2023), &json!("2024-01-01")), Ok(None));
        assert_eq!(compare(&json!([1]), &json!(5)), Err(EvalError::nan()));
        assert_eq!(compare(&json!(null), &json!("gold")), Ok(None));
        // UTF-16 order: U+FF5E sorts after U+1F600's lead surrogate (0xD83D).
        assert_eq!(
            compare(&json!("\u{ff5e}"), &json!("\u{1f600}")),
            Ok(Some(Greater))
        );
    }

    #[test]
    fn numbers_come_out_integral_when_they_can() {
        assert_eq!(number_value(3.0), Ok(json!(3)));
        assert_eq!(number_value(-0.0), Ok(json!(0)));
        assert_eq!(number_value(0.5), Ok(json!(0.5)));
        assert_eq!(number_value(1e300), Ok(json!(1e300)));
        assert_eq!(number_value(f64::INFINITY), Err(EvalError::nan()));
        assert!(truthy(&json!({})));
        assert!(!truthy(&json!([])));
        assert!(truthy(&json!("0")));
    }
}
