//! The evaluation budget: work units that one flag evaluation may spend on its rules.
//!
//! Every rule the evaluation layer runs for one flag (its targeting and the audiences of its
//! experiments) draws from one [`Budget`]. A unit is a small amount of work of any kind, so
//! the budget bounds time, not iterations:
//!
//! - each compiled node evaluated costs [`NODE`]; a node that allocates its result costs
//!   [`ALLOC`] more. Rules that revisit shared `$ref` evaluators (a DAG of evaluators can reach
//!   one 2^30 times) or run bodies in nested iterators pay for every visit;
//! - each element visited, copied or compared costs [`ELEMENT`] (an array element, an object
//!   entry, a key of `missing`, an item of an argument list), plus an allocation for each
//!   string, array and object a copy creates; formatting a number as text costs
//!   [`NUMBER_TEXT`]; each step of a path look-up costs [`STEP`]; each error `try` catches
//!   costs [`CAUGHT`];
//! - string bytes cost one unit per [`FAST_BYTES`] where the loop runs at memory speed
//!   (comparing, copying, hashing with XXH3, the common prefix of a UTF-16 comparison), and one
//!   unit per [`SLOW_BYTES`] where it decodes a character or digit at a time or searches
//!   (`in` on strings: Two-Way search is linear but only short needles get a vectorised path,
//!   and not on every target), `substr`, parsing numbers, versions and path segments, and
//!   MurmurHash3 for `fractional`.
//!
//! Work is charged before it is done (structural comparisons charge as they go), so running
//! out stops an evaluation within one unit's worth of work, and a single operation on a huge
//! value fails at once instead of running.
//!
//! # The bound, and why
//!
//! [`Budget::PER_FLAG`] is 250,000 units. The constants were calibrated on rules built to
//! spend one kind of work each until the budget runs out (the cases of the
//! `targeting_worst_cases` bench: cheap nodes, allocating nodes, number formatting, long and
//! short needles, `substr`, UTF-16 ordering, number parsing, structural equality, copies,
//! `missing_some`, `reduce` building objects, caught errors, `fractional` keys, a DAG of
//! evaluators, and more): in a release build on a 2-core 2020s x86-64 VM, the slowest kind
//! costs about 3.5 ns a unit (number parsing and path steps about 1 ns, memory-speed scans
//! 0.1 to 1.5 ns), so one flag evaluation ends within about 0.9 ms whatever the rule and the
//! context. A millisecond per flag keeps a hostile or broken config from taking over a
//! server's or a browser's thread, while realistic targeting spends tens to hundreds of units
//! (the DESIGN §2 example: 20), and a rule that iterates over 5,000 context elements still
//! fits.

use std::cell::Cell;

use serde_json::Value;

use super::EvalError;

/// One node evaluated.
pub(crate) const NODE: u64 = 1;
/// A node that allocates its result (arithmetic, `cat`, `merge`, `$flagd` objects, ...).
pub(crate) const ALLOC: u64 = 8;
/// One array element, object entry or number copied, compared or converted to text.
pub(crate) const ELEMENT: u64 = 4;
/// Formatting one number as text, as JavaScript prints it.
pub(crate) const NUMBER_TEXT: u64 = 32;
/// One step of a path look-up: scanning a small object's keys or hashing into a large one.
pub(crate) const STEP: u64 = 8;
/// An error caught by `try` (errors are values: building one allocates).
pub(crate) const CAUGHT: u64 = 48;
/// Bytes per unit for byte-parallel work: searching, comparing, copying, hashing with XXH3.
pub(crate) const FAST_BYTES: u64 = 64;
/// Bytes per unit for work that decodes one character or digit at a time.
pub(crate) const SLOW_BYTES: u64 = 2;

/// The deepest value an evaluation copies. Context values come from JSON parsed with a depth
/// limit and rule literals are bounded by the rule depth, so only values built up by a rule
/// (a `reduce` that wraps its accumulator) get near it; stopping there keeps the recursion of
/// copying, comparing and dropping values bounded.
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

/// Work units shared by every rule evaluated for one flag evaluation.
///
/// Create one per flag evaluation and pass it to every rule run for that flag
/// ([`super::Rule::evaluate_within`], [`super::Rule::matches_within`]): the flag's targeting
/// and each experiment audience then draw from the same units, so a flag with many audiences
/// cannot multiply the bound. When it runs out, the rule fails with
/// [`super::EvalErrorKind::LimitExceeded`], which `try` cannot catch.
///
/// ```
/// use serde_json::json;
/// use tandem::targeting::{Budget, CompileOptions, Env, EvalErrorKind, Rule};
///
/// let rule = Rule::compile(&json!({"in": ["b", {"var": "list"}]}), &CompileOptions::default())?.rule;
/// let env = Env { flag_key: "f", timestamp: 0 };
/// let data = json!({"list": ["a", "b"]});
/// let budget = Budget::per_flag();
/// assert!(rule.matches_within(&data, &env, &budget)?);
/// assert!(budget.remaining() < Budget::PER_FLAG);
/// let tiny = Budget::new(2);
/// let error = rule.matches_within(&data, &env, &tiny).unwrap_err();
/// assert_eq!(error.kind(), EvalErrorKind::LimitExceeded);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Budget {
    left: Cell<u64>,
}

impl Budget {
    /// The units of one flag evaluation: about a millisecond of the slowest kind of work (see
    /// the module documentation), far above what realistic targeting needs.
    pub const PER_FLAG: u64 = 250_000;

    /// A budget of [`Budget::PER_FLAG`] units.
    #[must_use]
    pub fn per_flag() -> Self {
        Self::new(Self::PER_FLAG)
    }

    /// A budget of `units`.
    #[must_use]
    pub fn new(units: u64) -> Self {
        Self {
            left: Cell::new(units),
        }
    }

    /// The units not spent yet.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.left.get()
    }

    /// Spends `units`, or empties the budget and fails when fewer are left.
    // Always inlined in the wasm build (charged per node): see `context::entries`.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn charge(&self, units: u64) -> Result<(), EvalError> {
        let left = self.left.get();
        if units > left {
            self.left.set(0);
            return Err(EvalError::limit());
        }
        self.left.set(left - units);
        Ok(())
    }

    /// Byte-parallel work over `bytes` bytes.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn charge_fast(&self, bytes: usize) -> Result<(), EvalError> {
        self.charge(bytes_units(bytes, FAST_BYTES))
    }

    /// Character-at-a-time work over `bytes` bytes.
    #[inline]
    pub(crate) fn charge_slow(&self, bytes: usize) -> Result<(), EvalError> {
        self.charge(bytes_units(bytes, SLOW_BYTES))
    }

    /// Pays for copying `value`: its elements, string bytes and allocations. Values deeper
    /// than [`MAX_VALUE_DEPTH`] are refused. The walk stops as soon as the cost exceeds what
    /// is left, so a huge value costs no more than the budget to reject.
    pub(crate) fn charge_value(&self, value: &Value) -> Result<(), EvalError> {
        self.charge_walk(value, Walk::Copy)
    }

    /// Pays for converting `value` to text as JavaScript's `String()` does (numbers are
    /// formatted, arrays joined), with the depth check of [`Budget::charge_value`].
    pub(crate) fn charge_text(&self, value: &Value) -> Result<(), EvalError> {
        self.charge_walk(value, Walk::Text)
    }

    fn charge_walk(&self, value: &Value, walk: Walk) -> Result<(), EvalError> {
        if !matches!(value, Value::Array(_) | Value::Object(_)) {
            return self.charge(walk.cost(value));
        }
        let left = self.left.get();
        let mut spent = 0u64;
        let mut stack: Vec<(&Value, usize)> = vec![(value, 1)];
        while let Some((value, depth)) = stack.pop() {
            spent += walk.cost(value);
            match value {
                Value::Array(items) => {
                    if depth >= MAX_VALUE_DEPTH && !items.is_empty() {
                        self.left.set(0);
                        return Err(EvalError::limit());
                    }
                    stack.extend(items.iter().map(|item| (item, depth + 1)));
                }
                // As text, an object is `[object Object]`: its entries are not read.
                Value::Object(map) if matches!(walk, Walk::Copy) => {
                    if depth >= MAX_VALUE_DEPTH && !map.is_empty() {
                        self.left.set(0);
                        return Err(EvalError::limit());
                    }
                    for (key, item) in map {
                        spent += ALLOC + bytes_units(key.len(), FAST_BYTES);
                        stack.push((item, depth + 1));
                    }
                }
                _ => {}
            }
            if spent > left {
                self.left.set(0);
                return Err(EvalError::limit());
            }
        }
        self.left.set(left - spent);
        Ok(())
    }
}

/// What walking a value is for.
#[derive(Debug, Clone, Copy)]
enum Walk {
    /// A deep copy: every string, array and object is a new allocation.
    Copy,
    /// Text appended to one buffer: numbers are formatted, nothing else allocates.
    Text,
}

impl Walk {
    /// One value's own cost (not its children's).
    fn cost(self, value: &Value) -> u64 {
        match (self, value) {
            (Walk::Copy, Value::String(s)) => ELEMENT + ALLOC + bytes_units(s.len(), FAST_BYTES),
            (Walk::Text, Value::String(s)) => ELEMENT + bytes_units(s.len(), FAST_BYTES),
            (Walk::Copy, Value::Array(_)) => ELEMENT + ALLOC,
            // An object's table and its entries.
            (Walk::Copy, Value::Object(_)) => ELEMENT + 3 * ALLOC,
            (Walk::Text, Value::Number(_)) => NUMBER_TEXT,
            _ => ELEMENT,
        }
    }
}

/// Units for `bytes` bytes at `per_unit` bytes a unit, rounded up.
#[inline]
pub(crate) fn bytes_units(bytes: usize, per_unit: u64) -> u64 {
    (bytes as u64).div_ceil(per_unit)
}
