//! The reward models of the direct method and doubly robust estimators, cross-fitted: the
//! prediction for a decision in fold `k` comes from a model fitted on the other folds only, so
//! a decision's own reward never enters its prediction (DR stays unbiased and its standard
//! error honest).

use std::collections::HashMap;

/// Per (cell, action) mean reward, falling back to the action's mean when the cell has no
/// training decisions for that action, and to the overall mean when the action has none.
#[derive(Debug)]
pub struct CellModel {
    folds: usize,
    actions: usize,
    /// (cell, action) → per fold (count, reward sum).
    cells: HashMap<(u32, usize), Vec<(f64, f64)>>,
    /// action → per fold (count, reward sum).
    by_action: Vec<Vec<(f64, f64)>>,
    /// per fold (count, reward sum).
    by_fold: Vec<(f64, f64)>,
}

/// Totals over every fold but `fold` (training data of that fold's model).
fn without(per_fold: &[(f64, f64)], fold: usize) -> (f64, f64) {
    per_fold
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != fold)
        .fold((0.0, 0.0), |(n, s), (_, (dn, ds))| (n + dn, s + ds))
}

impl CellModel {
    /// Fits from `(fold, cell, action, reward)` rows.
    pub fn fit(
        rows: impl Iterator<Item = (usize, u32, usize, f64)>,
        folds: usize,
        actions: usize,
    ) -> Self {
        let mut model = Self {
            folds,
            actions,
            cells: HashMap::new(),
            by_action: vec![vec![(0.0, 0.0); folds]; actions],
            by_fold: vec![(0.0, 0.0); folds],
        };
        for (fold, cell, action, reward) in rows {
            let slot = model
                .cells
                .entry((cell, action))
                .or_insert_with(|| vec![(0.0, 0.0); folds]);
            for per_fold in [
                slot.get_mut(fold),
                model
                    .by_action
                    .get_mut(action)
                    .and_then(|v| v.get_mut(fold)),
                model.by_fold.get_mut(fold),
            ]
            .into_iter()
            .flatten()
            {
                per_fold.0 += 1.0;
                per_fold.1 += reward;
            }
        }
        model
    }

    /// The prediction for a decision of `fold` in `cell` taking `action`.
    pub fn predict(&self, fold: usize, cell: u32, action: usize) -> f64 {
        debug_assert!(fold < self.folds && action < self.actions);
        if let Some((n, s)) = self.cells.get(&(cell, action)).map(|v| without(v, fold)) {
            if n > 0.0 {
                return s / n;
            }
        }
        if let Some((n, s)) = self.by_action.get(action).map(|v| without(v, fold)) {
            if n > 0.0 {
                return s / n;
            }
        }
        let (n, s) = without(&self.by_fold, fold);
        if n > 0.0 {
            s / n
        } else {
            0.0
        }
    }
}

/// Per action, ridge regression of the reward on `[1, x]` with penalty λ on the slopes (the
/// intercept is not penalised).
#[derive(Debug)]
pub struct RidgeModel {
    /// [fold][action] → coefficients (intercept first), or the training mean when the
    /// system is singular.
    coefficients: Vec<Vec<Vec<f64>>>,
}

impl RidgeModel {
    /// Fits from `(fold, action, x, reward)` rows, `x` of length `d`.
    pub fn fit<'x>(
        rows: impl Iterator<Item = (usize, usize, &'x [f64], f64)>,
        folds: usize,
        actions: usize,
        d: usize,
        lambda: f64,
    ) -> Self {
        let p = d + 1;
        // [action][fold] → (XᵀX, Xᵀr, n, Σr)
        let mut gram = vec![vec![(vec![0.0; p * p], vec![0.0; p], 0.0, 0.0); folds]; actions];
        let mut z = vec![0.0; p];
        for (fold, action, x, reward) in rows {
            let Some((xtx, xtr, n, sum)) = gram.get_mut(action).and_then(|v| v.get_mut(fold))
            else {
                continue;
            };
            if let Some((first, rest)) = z.split_first_mut() {
                *first = 1.0;
                for (slot, value) in rest.iter_mut().zip(x) {
                    *slot = *value;
                }
            }
            for (i, zi) in z.iter().enumerate() {
                for (j, zj) in z.iter().enumerate() {
                    if let Some(cell) = xtx.get_mut(i * p + j) {
                        *cell += zi * zj;
                    }
                }
                if let Some(cell) = xtr.get_mut(i) {
                    *cell += zi * reward;
                }
            }
            *n += 1.0;
            *sum += reward;
        }
        let mut coefficients = vec![vec![Vec::new(); actions]; folds];
        for (action, per_fold) in gram.iter().enumerate() {
            for fold in 0..folds {
                let mut a = vec![0.0; p * p];
                let mut b = vec![0.0; p];
                let (mut n, mut sum) = (0.0, 0.0);
                for (k, (xtx, xtr, nk, sk)) in per_fold.iter().enumerate() {
                    if k == fold {
                        continue;
                    }
                    a.iter_mut().zip(xtx).for_each(|(t, v)| *t += v);
                    b.iter_mut().zip(xtr).for_each(|(t, v)| *t += v);
                    n += nk;
                    sum += sk;
                }
                for i in 1..p {
                    if let Some(cell) = a.get_mut(i * p + i) {
                        *cell += lambda;
                    }
                }
                let beta = if n > 0.0 {
                    solve_spd(&a, &b, p).unwrap_or_else(|| intercept_only(sum / n, p))
                } else {
                    intercept_only(0.0, p)
                };
                if let Some(slot) = coefficients.get_mut(fold).and_then(|v| v.get_mut(action)) {
                    *slot = beta;
                }
            }
        }
        Self { coefficients }
    }

    /// The prediction for a decision of `fold` with features `x` taking `action`.
    pub fn predict(&self, fold: usize, action: usize, x: &[f64]) -> f64 {
        let Some(beta) = self.coefficients.get(fold).and_then(|v| v.get(action)) else {
            return 0.0;
        };
        let Some((intercept, slopes)) = beta.split_first() else {
            return 0.0;
        };
        intercept + slopes.iter().zip(x).map(|(b, v)| b * v).sum::<f64>()
    }
}

fn intercept_only(mean: f64, p: usize) -> Vec<f64> {
    let mut beta = vec![0.0; p];
    if let Some(first) = beta.first_mut() {
        *first = mean;
    }
    beta
}

/// Solves `A β = b` for a symmetric positive definite `A` (`p × p`, row-major) by Cholesky;
/// `None` when `A` is not positive definite (a feature constant in the training data with
/// λ = 0).
pub fn solve_spd(a: &[f64], b: &[f64], p: usize) -> Option<Vec<f64>> {
    let at = |m: &[f64], i: usize, j: usize| m.get(i * p + j).copied().unwrap_or(0.0);
    let mut l = vec![0.0; p * p];
    let scale = (0..p)
        .map(|i| at(a, i, i).abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    for i in 0..p {
        for j in 0..=i {
            let mut sum = at(a, i, j);
            for k in 0..j {
                sum -= at(&l, i, k) * at(&l, j, k);
            }
            let value = if i == j {
                if sum <= 1e-12 * scale {
                    return None;
                }
                sum.sqrt()
            } else {
                sum / at(&l, j, j)
            };
            if let Some(cell) = l.get_mut(i * p + j) {
                *cell = value;
            }
        }
    }
    let mut y = vec![0.0; p];
    for i in 0..p {
        let mut sum = b.get(i).copied().unwrap_or(0.0);
        for k in 0..i {
            sum -= at(&l, i, k) * y.get(k).copied().unwrap_or(0.0);
        }
        if let Some(slot) = y.get_mut(i) {
            *slot = sum / at(&l, i, i);
        }
    }
    let mut beta = vec![0.0; p];
    for i in (0..p).rev() {
        let mut sum = y.get(i).copied().unwrap_or(0.0);
        for k in i + 1..p {
            sum -= at(&l, k, i) * beta.get(k).copied().unwrap_or(0.0);
        }
        if let Some(slot) = beta.get_mut(i) {
            *slot = sum / at(&l, i, i);
        }
    }
    Some(beta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_means_are_cross_fitted_with_fallbacks() {
        // fold, cell, action, reward
        let rows = [
            (0, 0, 0, 1.0),
            (1, 0, 0, 0.0),
            (1, 0, 0, 1.0),
            (0, 1, 1, 4.0),
            (1, 2, 1, 2.0),
        ];
        let model = CellModel::fit(rows.into_iter(), 2, 2);
        // Fold 0's model sees only fold 1: cell 0 action 0 → (0 + 1) / 2.
        assert_eq!(model.predict(0, 0, 0), 0.5);
        // Fold 1's model sees only fold 0: cell 0 action 0 → 1.
        assert_eq!(model.predict(1, 0, 0), 1.0);
        // Cell 1 action 1 has no fold-1 data: fold 0's model falls back to action 1's mean
        // over fold 1 (2.0).
        assert_eq!(model.predict(0, 1, 1), 2.0);
        // Action 0 in cell 2 for fold 1: no cell data, action 0's fold-0 mean is 1.
        assert_eq!(model.predict(1, 2, 0), 1.0);
    }

    #[test]
    fn ridge_solves_the_normal_equations() {
        // y = 1 + 2x exactly, λ = 0: recovered exactly.
        let xs: Vec<[f64; 1]> = (0..10).map(|i| [f64::from(i)]).collect();
        let rows = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (i % 2, 0, &x[..], 1.0 + 2.0 * x[0]));
        let model = RidgeModel::fit(rows, 2, 1, 1, 0.0);
        assert!((model.predict(0, 0, &[20.0]) - 41.0).abs() < 1e-9);
        assert!((model.predict(1, 0, &[-3.0]) + 5.0).abs() < 1e-9);
    }
}
