//! Decimal text of `f64` values built on zmij, the float formatter serde_json already links for
//! JSON output, so that the WebAssembly builds carry one float formatter instead of two: std's
//! `Display`, `LowerExp` and `{:.0}` for `f64` (Grisu with a Dragon fallback, about 14 KB of
//! wasm code plus tables) were linked only for a few error messages, the unit of an integral
//! number and JavaScript's number-to-string.
//!
//! The text is exactly std's: zmij and std both print the shortest digits that read back as the
//! same `f64` (the closest of them when several are as short), and only the layout differs,
//! which [`Shortest`] redoes. The tests compare both on millions of values.

use std::fmt;

/// The shortest decimal digits of a finite, non-zero `f64`'s magnitude: the value is
/// `0.d1d2…dn × 10^point`, with `d1` and `dn` non-zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shortest {
    digits: [u8; 17],
    len: usize,
    point: i32,
}

impl Shortest {
    /// The digits of `|f|`; `None` for zero, infinities and NaN.
    pub(crate) fn of(f: f64) -> Option<Self> {
        if f == 0.0 || !f.is_finite() {
            return None;
        }
        let mut buffer = zmij::Buffer::new();
        // zmij writes `1.0`, `0.001`, `1.5e-7` or `1.2345e+17`: digits with at most one `.`,
        // then an optional exponent.
        let text = buffer.format_finite(f.abs());
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let mut shortest = Shortest {
            digits: [0; 17],
            len: 0,
            point: exponent,
        };
        let mut before_point = true;
        for byte in mantissa.bytes() {
            match byte {
                b'.' => before_point = false,
                b'0' if shortest.len == 0 => {
                    // A leading zero is no digit: after the point (`0.001`) it moves the point,
                    // before it (the `0` of `0.…`) it changes nothing.
                    if !before_point {
                        shortest.point -= 1;
                    }
                }
                _ => {
                    if let Some(slot) = shortest.digits.get_mut(shortest.len) {
                        *slot = byte;
                        shortest.len += 1;
                    }
                    if before_point {
                        shortest.point += 1;
                    }
                }
            }
        }
        shortest.trim();
        if shortest.is_lower_of_tie(f.abs()) {
            shortest.round_up();
        }
        Some(shortest)
    }

    /// Drops trailing zero digits.
    fn trim(&mut self) {
        while self.len > 0 && self.digits.get(self.len - 1) == Some(&b'0') {
            self.len -= 1;
        }
    }

    /// Whether `x` lies exactly halfway between these digits and the next larger ones of the
    /// same length. Both are then shortest and equally close: zmij keeps the even one, std
    /// the larger, and the text must be std's.
    fn is_lower_of_tie(&self, x: f64) -> bool {
        // The halfway point is `half × 10^q`: the digits with a 5 appended.
        // At most 17 digits and the 5: below 10^18, no overflow.
        let digits = self
            .digits
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .fold(0u64, |n, &digit| n * 10 + u64::from(digit - b'0'));
        let half = digits * 10 + 5;
        let q = self.point - i32::try_from(self.len).unwrap_or(i32::MAX) - 1;
        // x = m × 2^e with m odd (x is finite and non-zero).
        let bits = x.to_bits();
        let biased = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
        let fraction = bits & ((1 << 52) - 1);
        let (mut m, mut e) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        if m == 0 {
            return false;
        }
        let zeros = m.trailing_zeros();
        m >>= zeros;
        e += i32::try_from(zeros).unwrap_or(0);
        // `half` is odd, so `half × 10^q = m × 2^e` needs q = e, and then `half × 5^q = m`
        // (q >= 0) or `half = m × 5^-q` (q < 0). The bounds keep the products in a u128 and
        // exclude only exponents where the equation has no solution (m < 2^53, half < 2^61).
        if q != e {
            return false;
        }
        match u32::try_from(q) {
            Ok(q) => q <= 23 && u128::from(half) * 5u128.pow(q) == u128::from(m),
            Err(_) => {
                let q = q.unsigned_abs();
                q <= 27 && u128::from(m) * 5u128.pow(q) == u128::from(half)
            }
        }
    }

    /// The next larger digits of the same length (a carry out of the first digit adds one).
    fn round_up(&mut self) {
        let mut at = self.len;
        while at > 0 {
            at -= 1;
            if let Some(digit) = self.digits.get_mut(at) {
                if *digit == b'9' {
                    *digit = b'0';
                } else {
                    *digit += 1;
                    self.trim();
                    return;
                }
            }
        }
        // All nines: 0.99… × 10^p rounds up to 0.1 × 10^(p+1).
        if let Some(first) = self.digits.first_mut() {
            *first = b'1';
        }
        self.len = 1;
        self.point += 1;
    }

    /// The digits, as ASCII text.
    pub(crate) fn digits(&self) -> &str {
        // Only ASCII digits are ever stored.
        self.digits
            .get(..self.len)
            .and_then(|d| std::str::from_utf8(d).ok())
            .unwrap_or("")
    }

    /// The decimal exponent `point` of `0.digits × 10^point`.
    pub(crate) fn point(&self) -> i32 {
        self.point
    }
}

/// Displays an `f64` exactly as std's `{}` does (no exponent: `1`, `0.5`, `1e21` as
/// `1000000000000000000000`, `-0`, `NaN`, `inf`); the formatter's width and precision are ignored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plain(pub(crate) f64);

impl fmt::Display for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        if x.is_infinite() {
            return f.write_str("inf");
        }
        let Some(shortest) = Shortest::of(x) else {
            return f.write_str("0");
        };
        let digits = shortest.digits();
        let point = shortest.point();
        let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        if point <= 0 {
            f.write_str("0.")?;
            zeros(f, point.unsigned_abs())?;
            f.write_str(digits)
        } else if point < len {
            let (int, frac) = digits.split_at(point.unsigned_abs() as usize);
            f.write_str(int)?;
            f.write_str(".")?;
            f.write_str(frac)
        } else {
            f.write_str(digits)?;
            zeros(f, (point - len).unsigned_abs())
        }
    }
}

fn zeros(f: &mut fmt::Formatter<'_>, count: u32) -> fmt::Result {
    for _ in 0..count {
        f.write_str("0")?;
    }
    Ok(())
}

/// The exact decimal text of an integral, finite `f64`: what std's `format!("{:.0}", f)` prints
/// for it (`-0.0` prints `-0`). Values of 2^63 and more are expanded exactly, digit by digit
/// (`1e23` is `99999999999999991611392`).
pub(crate) fn integral(f: f64) -> String {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.abs() < TWO_POW_63 {
        // Integral and in range: the cast is exact.
        let n = f as i64;
        return if n == 0 && f.is_sign_negative() {
            "-0".to_owned()
        } else {
            n.to_string()
        };
    }
    // |f| = mantissa × 2^shift with a 53-bit mantissa and shift >= 11 (|f| >= 2^63).
    let bits = f.to_bits();
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let shift = ((bits >> 52) & 0x7ff) as u32 - 1075;
    // Base-10^9 limbs, least significant first; doubling in steps of up to 2^29 keeps every
    // product below 2^64 (10^9 × 2^29 + carry).
    const BASE: u64 = 1_000_000_000;
    let mut limbs = vec![
        mantissa % BASE,
        mantissa / BASE % BASE,
        mantissa / BASE / BASE,
    ];
    let mut left = shift;
    while left > 0 {
        let step = left.min(29);
        left -= step;
        let mut carry = 0u64;
        for limb in &mut limbs {
            let product = (*limb << step) + carry;
            *limb = product % BASE;
            carry = product / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut text = String::with_capacity(limbs.len() * 9 + 1);
    if f < 0.0 {
        text.push('-');
    }
    let mut rest = limbs.iter().rev();
    if let Some(top) = rest.next() {
        text.push_str(&top.to_string());
    }
    for limb in rest {
        let digits = limb.to_string();
        for _ in digits.len()..9 {
            text.push('0');
        }
        text.push_str(&digits);
    }
    text
}

#[cfg(test)]
mod tests;
