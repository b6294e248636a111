//! Context values as features read them: numbers written as strings and integer codes, with
//! one grammar every language shares (not each language's own number parser).

use crate::json_checked;

/// An integer code written as decimal digits (`-?[0-9]+`), as a number.
pub(crate) fn integer_code(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Below 2^64 the integer converts with the same rounding as the decimal text would parse.
    let magnitude = match digits.parse::<u64>() {
        Ok(n) => n as f64,
        // Longer: the JSON number reader, without the leading zeros JSON does not allow.
        Err(_) => json_checked::number(digits.trim_start_matches('0'))?.as_f64()?,
    };
    Some(if digits.len() < text.len() {
        -magnitude
    } else {
        magnitude
    })
}

/// A string holding exactly a JSON number literal, as a finite f64. Stricter than
/// `str::parse`, which also takes `inf`, `NaN`, `+1` and `.5`: the grammar is the one every
/// language's JSON parser shares.
pub(crate) fn parse_json_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let int_digits = digits(&mut i);
    if int_digits == 0 || (int_digits > 1 && bytes.get(int_start) == Some(&b'0')) {
        return None;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    // Exactly a JSON number: serde_json's reader rounds it as `str::parse` would.
    json_checked::number(text)
        .and_then(|n| n.as_f64())
        .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings_follow_the_json_grammar() {
        assert_eq!(parse_json_number("12"), Some(12.0));
        assert_eq!(parse_json_number("-0.5e1"), Some(-5.0));
        assert_eq!(parse_json_number("1E+2"), Some(100.0));
        for bad in [
            "", "-", "01", "+1", ".5", "1.", "1e", "inf", "NaN", " 1", "1 ", "0x10", "1e999",
        ] {
            assert_eq!(parse_json_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integer_codes_are_plain_digits() {
        assert_eq!(integer_code("7"), Some(7.0));
        assert_eq!(integer_code("-12"), Some(-12.0));
        for bad in ["", "-", "+7", "7.0", "x", "1e3"] {
            assert_eq!(integer_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn values_are_those_of_rusts_float_parser() {
        // Bit for bit, -0 included: the JSON reader and `str::parse::<f64>` round alike.
        let mut state: u64 = 0x853C_49E6_748F_EA9B;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = ["0", "-0", "000", "-007", "18446744073709551615"]
            .into_iter()
            .map(String::from)
            .collect();
        for _ in 0..20_000 {
            let (a, b) = (next(), next());
            texts.push(format!("{}{}", a, b % 1_000_000_000_000));
            texts.push(format!("-00{a}{b}{a}"));
            texts.push(format!(
                "{}.{}e{}",
                a % 1000,
                b,
                i64::try_from(a % 700).unwrap() - 350
            ));
            texts.push(format!("-{}e-{}", b, a % 400));
            texts.push(format!("0.{a}{b}"));
        }
        for text in &texts {
            let expected = text.parse::<f64>().ok().filter(|v| v.is_finite());
            let digits = text.strip_prefix('-').unwrap_or(text);
            let got = if digits.bytes().all(|b| b.is_ascii_digit()) {
                integer_code(text)
            } else {
                parse_json_number(text)
            };
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{text}");
        }
    }
}
