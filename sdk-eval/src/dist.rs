//! The distributions the tests need: normal, Student t and chi-square tails and upper
//! quantiles.
//!
//! Tails come from statrs (regularised incomplete beta and gamma functions, accurate to a few
//! ulps in the tails we use). Quantiles are refined by Newton steps on the *tail* function
//! (`sf(x) = q`, never `cdf(x) = 1 − q`), so an upper quantile is as accurate as the tail
//! itself: statrs' own inverses are only good to about 1e-9, which is the whole error budget
//! the reference checks allow.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

/// Above this many degrees of freedom a t tail is computed as a normal one: the difference is
/// below 1e-12 relative there, and the incomplete beta function slows down with huge `a`.
const T_AS_NORMAL_DF: f64 = 1e12;

fn standard_normal() -> Option<Normal> {
    Normal::new(0.0, 1.0).ok()
}

/// `P(Z > x)` for a standard normal `Z`.
pub fn norm_sf(x: f64) -> f64 {
    standard_normal().map_or(f64::NAN, |n| n.sf(x))
}

/// `P(Z ≤ x)` for a standard normal `Z`.
pub fn norm_cdf(x: f64) -> f64 {
    standard_normal().map_or(f64::NAN, |n| n.cdf(x))
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The `x` with `P(Z > x) = q`, for `q` in `(0, 1)`.
pub fn norm_isf(q: f64) -> f64 {
    if !(q > 0.0 && q < 1.0) {
        return if q <= 0.0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
    }
    let Some(normal) = standard_normal() else {
        return f64::NAN;
    };
    let mut x = normal.inverse_cdf(1.0 - q);
    newton(&mut x, q, |x| normal.sf(x), norm_pdf);
    x
}

/// `P(T > x)` for Student's t with `df` degrees of freedom (`df = ∞` is the normal).
pub fn t_sf(x: f64, df: f64) -> f64 {
    if df.is_nan() || df >= T_AS_NORMAL_DF {
        return norm_sf(x);
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.sf(x))
}

/// The `x` with `P(T > x) = q` for Student's t with `df` degrees of freedom.
pub fn t_isf(q: f64, df: f64) -> f64 {
    if df.is_nan() || df >= T_AS_NORMAL_DF {
        return norm_isf(q);
    }
    if !(q > 0.0 && q < 1.0) {
        return if q <= 0.0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
    }
    let Ok(t) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    let mut x = t.inverse_cdf(1.0 - q);
    if !x.is_finite() {
        x = norm_isf(q);
    }
    newton(&mut x, q, |x| t.sf(x), |x| t.pdf(x));
    x
}

/// `P(X > x)` for a chi-square variable with `k` degrees of freedom.
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    ChiSquared::new(k).map_or(f64::NAN, |c| c.sf(x))
}

/// Newton steps on `sf(x) = q` (`sf' = −pdf`): quadratic convergence from a start that is
/// already within 1e-9, so a handful of steps reach the tail function's own accuracy.
fn newton(x: &mut f64, q: f64, sf: impl Fn(f64) -> f64, pdf: impl Fn(f64) -> f64) {
    for _ in 0..8 {
        let density = pdf(*x);
        if density.is_nan() || density <= 0.0 {
            return;
        }
        let step = (sf(*x) - q) / density;
        if !step.is_finite() {
            return;
        }
        *x += step;
        if step.abs() <= 1e-15 * x.abs().max(1e-300) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// Values from scipy 1.17 (`norm.isf`, `t.isf`, `t.sf`, `chi2.sf`), printed with repr.
    #[test]
    fn agrees_with_scipy() {
        assert!(close(norm_isf(0.025), 1.9599639845400545, 1e-14));
        assert!(close(norm_isf(0.05), 1.6448536269514729, 1e-14));
        assert!(close(norm_isf(1e-10), 6.361340902404056, 1e-13));
        assert!(close(t_isf(0.025, 10.0), 2.2281388519862753, 1e-12));
        assert!(close(t_isf(0.025, 3.5), 2.9400886379827296, 1e-12));
        assert!(close(t_sf(2.0, 10.0), 0.03669401738537018, 1e-12));
        assert!(close(t_sf(6.0, 30.0), 6.971384383602382e-07, 1e-10));
        assert!(close(chi2_sf(3.0, 2.0), 0.22313016014842982, 1e-13));
        assert!(close(chi2_sf(25.0, 3.0), 1.5440498291101365e-05, 1e-11));
    }

    #[test]
    fn quantiles_invert_tails() {
        for df in [1.5, 4.0, 37.25, 1e4, 1e7] {
            for q in [0.4, 0.05, 0.0125, 1e-6] {
                let x = t_isf(q, df);
                assert!(close(t_sf(x, df), q, 1e-12), "df {df} q {q}");
            }
        }
    }
}
