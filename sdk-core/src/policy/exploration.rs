//! Exploration rules: scores to probabilities over the eligible actions, and the cumulative walk
//! that turns a draw into an action (docs/policy-bundles.md, "Exploration").
//!
//! The arithmetic follows the formulas term by term and sums in action order, so another
//! implementation that does the same gets the same doubles, and the logged propensities are the
//! exact probabilities the walk used.

use serde_json::Value;

use super::read::{self, Path, Res};
use crate::float_text::Plain;

/// Most actions in a bundle; the eligible set is a bitset of this many bits.
pub(crate) const MAX_ACTIONS: usize = 256;

/// The set of eligible actions: a bit per action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Eligible {
    bits: [u64; MAX_ACTIONS / 64],
    count: usize,
}

impl Eligible {
    /// Every one of `actions` actions (at most [`MAX_ACTIONS`]).
    pub(crate) fn all(actions: usize) -> Self {
        let mut set = Self::none();
        (0..actions.min(MAX_ACTIONS)).for_each(|a| {
            set.insert(a);
        });
        set
    }

    pub(crate) fn none() -> Self {
        Self {
            bits: [0; MAX_ACTIONS / 64],
            count: 0,
        }
    }

    /// Adds action `a`; `false` when it was there already or is out of range.
    pub(crate) fn insert(&mut self, a: usize) -> bool {
        match self.bits.get_mut(a / 64) {
            Some(word) if *word & (1 << (a % 64)) == 0 => {
                *word |= 1 << (a % 64);
                self.count += 1;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn contains(&self, a: usize) -> bool {
        self.bits
            .get(a / 64)
            .is_some_and(|word| word & (1 << (a % 64)) != 0)
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

/// How scores become probabilities.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Exploration {
    Greedy,
    EpsilonGreedy { epsilon: f64 },
    Softmax { temperature: f64, floor: f64 },
    Igw { gamma: f64, floor: f64 },
}

impl Exploration {
    pub(crate) fn parse(value: &Value, path: Path<'_>) -> Res<Self> {
        let (name, params) = read::one_key(value, path, "`exploration`")?;
        let at = path.key(name);
        let floor = |map: Option<&serde_json::Map<String, Value>>| -> Res<f64> {
            match map.and_then(|m| m.get("floor")) {
                None => Ok(0.0),
                Some(v) => read::number_in(v, at.key("floor"), 0.0, 1.0),
            }
        };
        match name {
            "greedy" => {
                read::params(params, at, &[])?;
                Ok(Exploration::Greedy)
            }
            "epsilon_greedy" => {
                let map = read::params(params, at, &["epsilon"])?;
                let epsilon = read::param(map, "epsilon", at, "a number from 0 to 1")?;
                Ok(Exploration::EpsilonGreedy {
                    epsilon: read::number_in(epsilon, at.key("epsilon"), 0.0, 1.0)?,
                })
            }
            "softmax" => {
                let map = read::params(params, at, &["temperature", "floor"])?;
                let temperature = read::param(map, "temperature", at, "a number > 0")?;
                Ok(Exploration::Softmax {
                    temperature: read::positive(temperature, at.key("temperature"))?,
                    floor: floor(map)?,
                })
            }
            "igw" => {
                let map = read::params(params, at, &["gamma", "floor"])?;
                let gamma = read::param(map, "gamma", at, "a number ≥ 0")?;
                let gamma_path = at.key("gamma");
                let gamma = read::number(gamma, gamma_path)?;
                if gamma < 0.0 {
                    return Err(
                        gamma_path.error(format!("must be 0 or more, not {}", Plain(gamma)))
                    );
                }
                Ok(Exploration::Igw {
                    gamma,
                    floor: floor(map)?,
                })
            }
            _ => Err(path.error(
                "unknown exploration rule (expected greedy, epsilon_greedy, softmax or igw)",
            )),
        }
    }

    /// Writes into `out` the probability of each action: the rule applied to the eligible
    /// actions as if they were the only ones (`A` = their number, the best is the best of them),
    /// and 0 for the others. `scores` are finite and `eligible` is not empty.
    pub(crate) fn probabilities(&self, scores: &[f64], eligible: &Eligible, out: &mut [f64]) {
        out.fill(0.0);
        let Some(b) = best(scores, eligible) else {
            return;
        };
        // At most 256: exact as a double.
        let n = eligible.count() as f64;
        let s_b = scores.get(b).copied().unwrap_or(0.0);
        let each = out
            .iter_mut()
            .zip(scores)
            .enumerate()
            .filter(|(a, _)| eligible.contains(*a));
        match *self {
            Exploration::Greedy => {}
            Exploration::EpsilonGreedy { epsilon } => {
                each.for_each(|(_, (p, _))| *p = epsilon / n);
            }
            Exploration::Softmax { temperature, floor } => {
                let mut total = 0.0;
                for (_, (p, s)) in each {
                    // The maximum subtracted: every exponent is ≤ 0, so nothing overflows and
                    // the best action's term is 1, so the total is ≥ 1.
                    *p = ((s - s_b) / temperature).exp();
                    total += *p;
                }
                for (a, p) in out.iter_mut().enumerate() {
                    if eligible.contains(a) {
                        *p = floor / n + (1.0 - floor) * (*p / total);
                    }
                }
                return;
            }
            Exploration::Igw { gamma, floor } => {
                let mut others = 0.0;
                for (a, (p, s)) in each {
                    if a != b {
                        *p = (1.0 / (n + gamma * (s_b - s))).max(floor / n);
                        others += *p;
                    }
                }
                // Each other action has at most max(1, floor)/A ≤ 1/A, so this is ≥ 1/A.
                if let Some(p) = out.get_mut(b) {
                    *p = 1.0 - others;
                }
                return;
            }
        }
        if let Some(p) = out.get_mut(b) {
            *p += match *self {
                Exploration::EpsilonGreedy { epsilon } => 1.0 - epsilon,
                _ => 1.0,
            };
        }
    }
}

/// The first eligible action with the highest score.
pub(crate) fn best(scores: &[f64], eligible: &Eligible) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (a, &s) in scores.iter().enumerate() {
        if eligible.contains(a) && best.is_none_or(|(_, top)| s > top) {
            best = Some((a, s));
        }
    }
    best.map(|(a, _)| a)
}

/// The first action `a` with `u < p_0 + … + p_a` (summed in order); when rounding leaves `u`
/// past the total, the last action with a positive probability. Never an action of
/// probability 0, so the logged propensity is never 0.
pub(crate) fn walk(probabilities: &[f64], u: f64) -> Option<usize> {
    let mut cumulative = 0.0;
    let mut last = None;
    for (a, &p) in probabilities.iter().enumerate() {
        if p > 0.0 {
            cumulative += p;
            last = Some(a);
            if u < cumulative {
                return Some(a);
            }
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eligible_set_counts_distinct_actions() {
        let mut set = Eligible::none();
        assert!(set.insert(3));
        assert!(!set.insert(3));
        assert!(set.insert(255));
        assert!(!set.insert(256));
        assert_eq!(set.count(), 2);
        assert!(set.contains(255) && !set.contains(0));
        assert_eq!(Eligible::all(300).count(), 256);
    }

    #[test]
    fn the_walk_skips_zero_probabilities() {
        assert_eq!(walk(&[0.5, 0.0, 0.5], 0.5), Some(2));
        assert_eq!(walk(&[0.0, 1.0, 0.0], 0.999), Some(1));
        // Rounding short of u: the last action that can be chosen, not the last action.
        assert_eq!(walk(&[0.3, 0.3, 0.3, 0.0], 0.95), Some(2));
        assert_eq!(walk(&[0.0, 0.0], 0.1), None);
    }

    #[test]
    fn ties_go_to_the_first_eligible_action() {
        let mut set = Eligible::all(3);
        assert_eq!(best(&[1.0, 2.0, 2.0], &set), Some(1));
        set = Eligible::none();
        set.insert(2);
        assert_eq!(best(&[1.0, 2.0, 2.0], &set), Some(2));
    }
}
