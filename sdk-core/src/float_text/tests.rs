#![allow(clippy::unwrap_used)]
use super::*;

/// splitmix64: a fixed, reproducible stream of bit patterns.
fn bit_patterns(seed: u64, count: usize) -> impl Iterator<Item = u64> {
    let mut state = seed;
    (0..count).map(move |_| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// Values where layouts and digit searches change: powers of two and ten and their
/// neighbours, the ends of the subnormal and normal ranges, zeros, infinities, NaN.
fn edge_values() -> Vec<f64> {
    let mut values = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        f64::from_bits(1),
        f64::from_bits((1 << 52) - 1),
        1e-9,
        0.1,
        0.3,
        1.5,
        123.456,
        9_007_199_254_740_993.0,
    ];
    for e in -1074..=1023i32 {
        let p = if e >= -1022 {
            f64::from_bits(u64::try_from(e + 1023).unwrap() << 52)
        } else {
            f64::from_bits(1 << (e + 1074))
        };
        values.extend([
            p,
            f64::from_bits(p.to_bits() - 1),
            f64::from_bits(p.to_bits() + 1),
        ]);
    }
    for e in -325..=308 {
        let p: f64 = format!("1e{e}").parse().unwrap();
        if p != 0.0 && p.is_finite() && p != f64::MAX {
            values.extend([
                p,
                f64::from_bits(p.to_bits() - 1),
                f64::from_bits(p.to_bits() + 1),
            ]);
        }
    }
    values
}

fn check_plain(f: f64) {
    assert_eq!(
        Plain(f).to_string(),
        format!("{f}"),
        "bits {:#x}",
        f.to_bits()
    );
}

fn check_shortest(f: f64) {
    let Some(shortest) = Shortest::of(f) else {
        assert!(f == 0.0 || !f.is_finite());
        return;
    };
    // std's `{:e}` of the magnitude: `d.ddde±x`, the same shortest digits.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap();
    assert_eq!(shortest.digits(), digits, "bits {:#x}", f.to_bits());
    assert_eq!(shortest.point(), exponent + 1, "bits {:#x}", f.to_bits());
}

#[test]
fn plain_and_shortest_match_std_on_edge_values() {
    for f in edge_values() {
        for f in [f, -f] {
            check_plain(f);
            check_shortest(f);
        }
    }
}

#[test]
fn plain_and_shortest_match_std_on_random_bit_patterns() {
    for bits in bit_patterns(0x7a4d_3e11, 300_000) {
        let f = f64::from_bits(bits);
        check_plain(f);
        check_shortest(f);
    }
}

#[test]
fn plain_and_shortest_match_std_on_short_decimals() {
    // Numbers people write: few digits, any scale.
    for bits in bit_patterns(0x51de, 100_000) {
        let digits = bits % 1_000_000;
        let exponent = i32::try_from((bits >> 32) % 60).unwrap() - 30;
        let f: f64 = format!("{digits}e{exponent}").parse().unwrap();
        check_plain(f);
        check_shortest(f);
    }
}

#[test]
fn integral_matches_std_precision_zero() {
    let mut values: Vec<f64> = edge_values()
        .into_iter()
        .filter(|f| f.is_finite())
        .map(f64::trunc)
        .collect();
    values.extend(bit_patterns(0x1e9, 100_000).map(|bits| f64::from_bits(bits).trunc()));
    for f in values {
        if !f.is_finite() {
            continue;
        }
        for f in [f, -f] {
            assert_eq!(integral(f), format!("{f:.0}"), "bits {:#x}", f.to_bits());
        }
    }
}

#[test]
fn plain_and_shortest_match_std_on_ties() {
    // Values with short exact expansions, where two shortest candidates can be equally close
    // (204193377871582.625: std prints ...582.63, a round-half-even printer ...582.62).
    let mut values = vec![1_633_547_022_972_661.0 / 8.0];
    for bits in bit_patterns(0x7e5, 200_000) {
        let m = bits >> 11;
        let k = i32::try_from(bits % 64).unwrap() - 12;
        values.push(m as f64 * 2f64.powi(k));
        let small = (bits >> 20) % 100_000;
        values.push(small as f64 * 2f64.powi(-i32::try_from(bits % 8).unwrap()));
    }
    for f in values {
        check_plain(f);
        check_shortest(f);
    }
}
